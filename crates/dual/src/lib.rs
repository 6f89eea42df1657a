//! # wengert-dual
//!
//! Forward-mode automatic differentiation with dual numbers.
//!
//! ## Why forward mode next to reverse mode
//!
//! Reverse mode (`wengert-tape`) records the computation and sweeps it backwards:
//! one backward pass gives the gradient of a scalar with respect to *every*
//! input, at the price of storing the tape. Forward mode stores nothing: each
//! number carries its derivative along one direction, and every operation updates
//! value and tangent together. Its costs are the mirror image:
//!
//! | task (n inputs, m outputs)          | forward mode           | reverse mode    |
//! |-------------------------------------|------------------------|-----------------|
//! | Jacobian-vector product `J·v`       | **1 pass** ([`jvp`])   | m passes        |
//! | gradient of a scalar function       | n passes ([`gradient`])| **1 pass**      |
//! | full Jacobian                       | n passes ([`jacobian`])| m passes        |
//!
//! So forward mode is the right tool for few inputs, for directional derivatives,
//! for code that cannot be taped, and as an independent check of the reverse
//! engine: the rules here are written from scratch (see `rules.rs`) rather than
//! shared with the tape, so "forward and reverse agree" tests two
//! implementations. [`DualVec<T, N>`] carries `N` tangents at once, so a gradient
//! or Jacobian of an `N`-input function takes a single sweep ([`gradient_vec`],
//! [`jacobian_vec`]).
//!
//! ## How nesting gives second order
//!
//! [`Dual<T>`] is generic over any [`Scalar`], including itself. In
//! `Dual<Dual<f64>>` seeded as `(x + 1·ε₁) + (1 + 0·ε₁)·ε₂` every rule is
//! evaluated with the inner dual's arithmetic, so the outer tangent
//! `f'(x + ε₁) = f'(x) + f''(x)·ε₁` is itself differentiated: its `ε₁` part is the
//! exact second derivative ([`second_derivative`]). Seeding the two levels along
//! different inputs gives mixed partials `∂²f/∂xᵢ∂xⱼ`, and a tape recorded over
//! `Dual<f64>` gives Hessian-vector products (forward-over-reverse).
//!
//! ## Conventions shared with the rest of wengert
//!
//! * Comparisons look at values only (they decide control flow).
//! * `relu'(0) = 0`, `abs'(0) = 0`; `max`/`min` pick the other argument only on a
//!   strict win (ties pick `self`) and the derivative follows the pick.
//! * `sigmoid` and `softplus` are evaluated through `e^{-|x|}`; their tangents
//!   stay finite at ±1000.
//! * `powf(x, p)`: `∂/∂x = p·x^{p-1}`, `∂/∂p = x^p·ln x`, the `ln x` term skipped
//!   for a constant exponent, so `x = 0` with a constant exponent gives no NaN.
//!   More generally, a zero tangent never turns into NaN through an infinite local
//!   derivative (a constant stays a constant).
//!
//! ```
//! use wengert_dual::{gradient_vec, jvp, second_derivative, Dual};
//! use wengert_ops::{Real, Scalar};
//!
//! fn model<T: Real>(x: &[T]) -> T {
//!     (x[0] * x[1]).tanh() + x[1].square() * 0.5
//! }
//!
//! // One pass for all partials...
//! let g = gradient_vec::<2>(model, &[0.0, 2.0]);
//! assert_eq!(g, vec![2.0, 2.0]);
//! // ...one pass for a directional derivative...
//! let (_, jv) = jvp(|x| vec![model(x)], &[0.0, 2.0], &[1.0, 0.0]);
//! assert_eq!(jv, vec![2.0]);
//! // ...and nesting for second order: (tanh x)'' = -2 tanh x (1 - tanh² x).
//! let d2 = second_derivative(|x: Dual<Dual<f64>>| x.tanh(), 0.5);
//! let t = 0.5f64.tanh();
//! assert!((d2 + 2.0 * t * (1.0 - t * t)).abs() < 1e-15);
//! ```
#![warn(missing_docs)]

mod rules;

mod dual;
mod dual_vec;
mod forward;
mod gemm;

pub use dual::Dual;
pub use dual_vec::DualVec;
pub use forward::{derivative, gradient, gradient_vec, jacobian, jacobian_vec, jvp, second_derivative};
pub use wengert_ops::{Real, Scalar};
