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
//! | task (n inputs, m outputs)          | forward mode  | reverse mode    |
//! |-------------------------------------|---------------|-----------------|
//! | Jacobian-vector product `J·v`       | **1 pass**    | m passes        |
//! | gradient of a scalar function       | n passes      | **1 pass**      |
//! | full Jacobian                       | n passes      | m passes        |
//!
//! So forward mode is the right tool for few inputs, for directional derivatives,
//! for code that cannot be taped, and as an independent check of the reverse
//! engine: the rules here are written from scratch (see `rules.rs`) rather than
//! shared with the tape, so "forward and reverse agree" tests two
//! implementations. [`DualVec<T, N>`] carries `N` tangents at once, so a gradient
//! or Jacobian of an `N`-input function takes a single pass.
//!
//! This crate is the numbers and their rules only. The transforms that seed them
//! and read the tangents back (`jvp`, `jacfwd`, `jacfwd_vec`, and forward over
//! reverse: `hvp`, `hessian`) are in `wengert_tape::transforms`, with every other
//! transform, so that each has one name and they compose.
//!
//! ## How nesting gives second order
//!
//! [`Dual<T>`] is generic over any [`Scalar`], including itself. In
//! `Dual<Dual<f64>>` seeded as `(x + 1·ε₁) + (1 + 0·ε₁)·ε₂` every rule is
//! evaluated with the inner dual's arithmetic, so the outer tangent
//! `f'(x + ε₁) = f'(x) + f''(x)·ε₁` is itself differentiated: its `ε₁` part is
//! the exact second derivative (`Dual::variable(Dual::variable(x))` seeds it).
//! Seeding the two levels along different inputs gives mixed partials
//! `∂²f/∂xᵢ∂xⱼ`, and a tape recorded over `Dual<f64>` gives Hessian-vector
//! products (forward-over-reverse).
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
//! use wengert_dual::{Dual, DualVec};
//! use wengert_ops::{Real, Scalar};
//!
//! fn model<T: Real>(x: &[T]) -> T {
//!     (x[0] * x[1]).tanh() + x[1].square() * 0.5
//! }
//!
//! // One pass for all partials: seed x₀ with e₀ and x₁ with e₁...
//! let g = model(&DualVec::seed([0.0, 2.0]));
//! assert_eq!(g.eps, [2.0, 2.0]);
//! // ...one pass for a directional derivative (tangent 1 on x₀, 0 on x₁)...
//! let d = model(&[Dual::new(0.0, 1.0), Dual::new(2.0, 0.0)]);
//! assert_eq!(d.eps, 2.0);
//! // ...and nesting for second order: (tanh x)'' = -2 tanh x (1 - tanh² x).
//! let d2 = Dual::variable(Dual::variable(0.5)).tanh().eps.eps;
//! let t = 0.5f64.tanh();
//! assert!((d2 + 2.0 * t * (1.0 - t * t)).abs() < 1e-15);
//! ```
#![warn(missing_docs)]

mod rules;

mod dual;
mod dual_vec;
mod gemm;

pub use dual::Dual;
pub use dual_vec::DualVec;
pub use wengert_ops::{Real, Scalar};
