//! Every derivative transform of wengert, in one place, one name each, and
//! composable: give a function, get its derivatives back.
//!
//! This is JAX's `api.py` model: each transform is a small function written in
//! terms of two cores, the reverse sweep of the tape and the forward push of
//! dual-number tangents, and the higher-order ones are *compositions* of
//! lower-order ones rather than separate engines: [`hessian`] is literally
//! `jacfwd(fns::grad(f), x)` (forward over reverse) and [`hvp`] is
//! `jvp(fns::grad(f), x, v)`.
//!
//! # The catalogue
//!
//! `n` inputs, `m` outputs, `C` the cost of one evaluation of `f`.
//!
//! | transform | takes `f` as | returns | passes |
//! |---|---|---|---|
//! | [`grad`] | tape closure over `Var<T>`, scalar | `∇f` | 1 recording + 1 sweep (≈ 3–5 C) |
//! | [`value_and_grad`] | same | `(f, ∇f)` | same |
//! | [`vjp`] | tape closure over `Var<T>`, vector | `(f, wᵀJ)` | 1 recording + 1 sweep |
//! | [`jacrev`] | same | `J` (`m × n`) | 1 recording + `m` sweeps |
//! | [`jvp`] | dual function | `(f, J·v)` | 1 forward pass (≈ 2–3 C) |
//! | [`jacfwd`] | dual function | `J`, or `∇f` for a scalar `f` | `n` forward passes |
//! | [`value_and_jacfwd`] | dual function | `(f, J)` | `n` forward passes |
//! | [`jacfwd_vec`] | `DualVec<T, N>` function | `J`, or `∇f` | 1 pass carrying `N` tangents |
//! | [`jacobian`] | tape closure over `Var<Dual<T>>`, vector | `J` | the cheaper of `jacfwd` and `jacrev` |
//! | [`hvp`] | tape closure over `Var<Dual<T>>`, scalar | `H·v` | `jvp(fns::grad(f))`: 1 recording + 1 sweep on duals (≈ 2–4 gradients) |
//! | [`hessian`] | same | `H` (`n × n`) | `jacfwd(fns::grad(f))`: `n` HVPs |
//! | [`value_grad_hessian`] | same | `(f, ∇f, H)` | `value_and_jacfwd(fns::value_and_grad(f))`: `n` HVPs |
//!
//! Functions of **matrices** have their own family ([`grad_matrices`],
//! [`value_and_grad_matrices`], [`jvp_matrices`], [`hvp_matrices`],
//! [`value_grad_hvp_matrices`], [`hessian_matrices`]): the function receives
//! one [`MatVar`](crate::MatVar) per input matrix (`&[MatVar]`) instead of a
//! flat `&[Var]`, and each gradient comes back shaped like its input — no
//! `MatVar::from_vars`, no flat vector to split ([`matrix_fn`] types a closure
//! bound with `let` for them). `wengert-optim` adapts them to named parameters
//! (`value_and_grad_params`, `hvp_params`).
//!
//! Every transform that makes sense as a function of `x` alone also exists in
//! [`fns`], returning the function instead of evaluating it (`fns::grad(f)` is
//! JAX's `grad(f)`). Those reuse one tape across calls, so they are also the
//! right thing to hand an optimizer (`lbfgs(fns::value_and_grad(f), …)`).
//! [`Objective`] packages a model written once for every element type, with
//! every transform as a method.
//!
//! # Three kinds of function
//!
//! * A **tape closure** `for<'t> Fn(&[Var<'t, S>]) -> Var<'t, S>` (or
//!   `-> Vec<Var<'t, S>>`) is recorded, so reverse mode can sweep it; it may use
//!   matrix ops (`MatVar::from_vars(x[0].tape()…)`; a model whose inputs *are*
//!   matrices is simpler with the matrix family, over `&[MatVar<'t, S>]`). Reverse-mode transforms
//!   take these over `Var<T>`; the second-order ones over `Var<Dual<T>>`, because
//!   they differentiate the reverse sweep itself along a tangent.
//! * A **dual function** `Fn(&[Dual<T>]) -> Y`, with `Y` one [`Dual`], a
//!   `Vec` of them or a pair (see [`DualOutput`]): forward mode pushes tangents
//!   through it. No tape is involved, so it costs a plain evaluation on numbers
//!   twice as wide.
//! * The bridge: a reverse-mode transform of a tape closure over `S` *is* a
//!   function of plain `S` values ([`fns::grad`]`(f): &[S] → Vec<S>`), so with
//!   `S = Dual<T>` it is a dual function and forward mode can differentiate it.
//!   [`fns::on_tape`] does the same without differentiating, for forward mode
//!   through matrix ops.
//!
//! A model written once, `fn f<R: Real>(x: &[R]) -> R`, is all of these at once:
//! pass `|x| f(x)` to any transform.
//!
//! ```
//! use wengert_tape::{fns, grad, hessian, jacfwd, jvp, Real};
//!
//! fn f<R: Real>(x: &[R]) -> R {
//!     x[0] * x[0] * x[1] + x[1].sin()
//! }
//! let x = [3.0f64, 2.0];
//! let reverse = grad(|v| f(v), &x);                      // one sweep
//! let forward = jacfwd(|v| f(v), &x);                    // n forward passes
//! assert!((reverse[1] - forward[1]).abs() < 1e-15);
//! // Forward over reverse, written as the composition it is:
//! let (g, hv) = jvp(fns::grad(|v| f(v)), &x, &[1.0, 0.0]);
//! assert_eq!(g, reverse);
//! assert_eq!(hv, vec![2.0 * 2.0, 2.0 * 3.0]);            // H·e₀ = (2y, 2x)
//! assert_eq!(hessian(|v| f(v), &x).row(0), &hv[..]);     // H is symmetric
//! ```
//!
//! # Storing a closure first
//!
//! Rust infers "for every lifetime" only for a closure written directly as an
//! argument. To bind a tape closure to a name and pass it to several
//! transforms, wrap it in [`scalar_fn`] or [`vector_fn`], which change nothing
//! but tell the compiler its signature. (Dual functions need no wrapper.)
//!
//! ```
//! use wengert_tape::{gradcheck, hessian, scalar_fn, value_grad_hessian, Scalar};
//! let f = scalar_fn(|x| x[0] * x[1].exp());
//! assert!(gradcheck(&f, &[2.0, 0.0]).passes(1e-7));
//! // The element type is inferred from the use: `Var<f64>` above, `Var<Dual<f64>>`
//! // here (second order), so one binding cannot serve both; a generic
//! // `fn f<R: Real>` can (`|x| f(x)` at each use).
//! let g = scalar_fn(|x| x[0] * x[1].exp());
//! let (value, gradient, h) = value_grad_hessian(&g, &[2.0, 0.0]);
//! assert_eq!((value, gradient), (2.0, vec![1.0, 2.0]));
//! assert_eq!(h, hessian(&g, &[2.0, 0.0]));
//! ```
//!
//! # Adding a transform
//!
//! A transform is one public function in the file of its family (`reverse.rs`,
//! `forward.rs`, `jacobian.rs`, `second_order.rs`, `matrices.rs`), written with the existing
//! transforms where it can be, plus its function-returning form in that file's
//! `fns` module if it is a function of `x`, plus its test; the families are
//! re-exported by glob, so nothing else needs editing (add its row to the table
//! above). See "How to add a transform" in `docs/design.md`.

mod forward;
mod jacobian;
mod matrices;
mod objective;
mod record;
mod reverse;
mod second_order;

// Each family's public items, by glob, so a new transform is exported by
// writing it. (Each family's own `fns` module is shadowed by the `fns` below,
// which gathers them.)
pub use forward::*;
pub use jacobian::*;
pub use matrices::*;
pub use objective::*;
pub use reverse::*;
pub use second_order::*;

use wengert_dual::Dual;
use wengert_ops::Scalar;

use crate::var::Var;

/// The transforms as functions that return functions (JAX's `grad(f)`): each
/// `fns::t(f)` is the function `x ↦ t(f, x)`.
///
/// Two uses:
///
/// * **Composition.** `fns::grad(f)` of a tape closure over `Var<Dual<T>>` is a
///   dual function, so `jvp(fns::grad(f), x, v)` is forward-over-reverse
///   (`(∇f, H·v)`) and `jacfwd(fns::grad(f), x)` is the Hessian; likewise
///   `jacfwd(fns::jacfwd(f), x)` is forward-over-forward on `Dual<Dual<T>>`.
/// * **Handing derivatives to an optimizer.** `lbfgs(fns::value_and_grad(f), …)`,
///   `newton_cg(fns::value_and_grad(f), fns::hvp(g), …)`: the returned functions
///   keep one tape (and one gradient buffer) and reuse it on every call, so a
///   long optimization allocates a tape once. The tape grows to the largest
///   recording and is freed with the function.
///
/// ```
/// use wengert_tape::{fns, hvp, jvp, scalar_fn, Scalar};
/// // f = x² y;  ∇f = (2xy, x²);  H = [[2y, 2x], [2x, 0]]
/// let f = scalar_fn(|v| v[0] * v[0] * v[1]);
/// let (g, hv) = jvp(fns::grad(f), &[1.0, 3.0], &[1.0, -1.0]);
/// assert_eq!(g, vec![6.0, 1.0]);
/// assert_eq!(hv, vec![6.0 - 2.0, 2.0]);
/// assert_eq!(hvp(f, &[1.0, 3.0], &[1.0, -1.0]), hv);
/// let value_and_grad = fns::value_and_grad(|v| v[0].exp() + v[1] * v[1]);
/// assert_eq!(value_and_grad(&[0.0, 3.0]), (10.0, vec![1.0, 6.0]));
/// ```
pub mod fns {
    pub use super::forward::fns::*;
    pub use super::matrices::fns::*;
    pub use super::record::fns::*;
    pub use super::reverse::fns::*;
    pub use super::second_order::fns::*;
}

/// Returns `f` unchanged, typed as a scalar tape closure, so a closure bound
/// with `let` works with every transform (see the [module docs](self)).
///
/// The element type `T` is usually inferred from the transform the closure is
/// given to (`f64` for [`grad`], `Dual<f64>` for [`hessian`]); annotate the
/// argument (`|x: &[Var<'_, Dual<f64>>]|`) when the body alone must fix it.
pub fn scalar_fn<T, F>(f: F) -> F
where
    T: Scalar,
    F: for<'t> Fn(&[Var<'t, T>]) -> Var<'t, T>,
{
    f
}

/// Returns `f` unchanged, typed as a vector tape closure (for [`vjp`],
/// [`jacrev`], [`jacobian`], [`fns::on_tape`]), so a closure bound with `let`
/// works with them.
pub fn vector_fn<T, F>(f: F) -> F
where
    T: Scalar,
    F: for<'t> Fn(&[Var<'t, T>]) -> Vec<Var<'t, T>>,
{
    f
}

/// Initial scalar-node capacity for a recording of a function of `n` inputs.
fn capacity(n: usize) -> usize {
    64 * n.max(1)
}

/// The inputs `x` as constant dual numbers (tangent zero), ready for seeding.
fn constants<T: Scalar>(x: &[T]) -> Vec<Dual<T>> {
    x.iter().map(|&xi| Dual::constant(xi)).collect()
}
