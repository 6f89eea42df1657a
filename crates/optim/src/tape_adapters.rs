//! Adapters from the tape to the closures the optimizers take.
//!
//! The second-order and constrained methods of this crate see an objective only
//! through closures on flat `f64` vectors (see [`second_order`](crate::second_order)):
//!
//! * `fg: FnMut(&[f64]) -> (f64, Vec<f64>)`, value and gradient;
//! * `hvp: FnMut(&[f64], &[f64]) -> Vec<f64>`, Hessian-vector products;
//! * `hess: FnMut(&[f64]) -> Matrix<f64>`, the dense Hessian.
//!
//! This module builds those closures from a model recorded on the tape, so the
//! derivatives never have to be written by hand.
//!
//! # Two ways to hand over a model
//!
//! **A closure over tape variables** (`for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>`)
//! is enough for gradient-only methods: [`value_grad_fn`] and [`grad_fn`] wrap
//! [`wengert_tape::value_and_grad`].
//!
//! **An [`Objective`]** serves every derivative. Hessian-vector products and
//! Hessians are computed by forward-over-reverse mode, which runs the model on
//! tape variables whose element type is a dual number, so the same model must be
//! evaluated on `Var<'t, f64>` (gradients) *and* `Var<'t, Dual<f64>>` (HVPs,
//! Hessians). Rust closures are not generic over their argument type, so the way
//! to write a model once is a generic function `fn f<T: Real>(x: &[T]) -> T`. An
//! [`Objective`] is that function packaged as a trait method, with any data the
//! model needs (a design matrix, targets) in `self`:
//!
//! ```
//! use wengert_optim::tape_adapters::{fg, hessian_fn, Objective};
//! use wengert_optim::{newton_lm, second_order::NewtonOptions};
//! use wengert_tape::Real;
//!
//! /// The model, written once for every element type.
//! fn rosenbrock<T: Real>(x: &[T]) -> T {
//!     let (a, b) = (x[0], x[1]);
//!     (b - a * a).square() * 100.0 + (a - 1.0).square()
//! }
//!
//! struct Rosenbrock;
//! impl Objective for Rosenbrock {
//!     fn eval<T: Real>(&self, x: &[T]) -> T {
//!         rosenbrock(x)
//!     }
//! }
//!
//! let r = newton_lm(fg(&Rosenbrock), hessian_fn(&Rosenbrock), &[-1.2, 1.0], &NewtonOptions::default());
//! assert!(r.converged());
//! assert!((r.x[0] - 1.0).abs() < 1e-10 && (r.x[1] - 1.0).abs() < 1e-10);
//! ```
//!
//! The same generic function also plugs into the closure-based transforms, once
//! per element type: `value_grad_fn(|x| rosenbrock(x))` for the gradient, and
//! `wengert_tape::hessian(|x| rosenbrock(x), &x0)` for the Hessian.
//!
//! # Cost
//!
//! Each call records the model on a fresh tape: a gradient costs a small multiple
//! of one evaluation of the model, an HVP a small multiple of a gradient (dual
//! arithmetic is 2–4× real arithmetic), and a Hessian `n` HVPs. See `docs/modes.md`.

use wengert_ops::{Matrix, Real};
use wengert_tape::Var;

/// Value-and-gradient closure, in the form [`lbfgs`](crate::lbfgs),
/// [`newton_cg`](crate::newton_cg), [`newton_lm`](crate::newton_lm) and the
/// [`constrained`](crate::constrained) methods take, from a closure over tape
/// variables. Each call records `f` once on a fresh tape and sweeps it once
/// ([`wengert_tape::value_and_grad`]).
///
/// ```
/// use wengert_optim::tape_adapters::value_grad_fn;
/// use wengert_optim::{lbfgs, second_order::LbfgsOptions};
/// use wengert_tape::{Real, Scalar};
///
/// fn rosenbrock<T: Real>(x: &[T]) -> T {
///     (x[1] - x[0] * x[0]).square() * 100.0 + (x[0] - 1.0).square()
/// }
/// let r = lbfgs(value_grad_fn(|x| rosenbrock(x)), &[-1.2, 1.0], &LbfgsOptions::default());
/// assert!(r.converged());
/// assert!((r.x[0] - 1.0).abs() < 1e-7);
///
/// // Inline closures work too:
/// let mut fg = value_grad_fn(|x| x[0].exp() + x[1] * x[1]);
/// assert_eq!(fg(&[0.0, 3.0]), (10.0, vec![1.0, 6.0]));
/// ```
pub fn value_grad_fn<F>(f: F) -> impl Fn(&[f64]) -> (f64, Vec<f64>)
where
    F: for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>,
{
    move |x| wengert_tape::value_and_grad(&f, x)
}

/// Gradient closure `x ↦ ∇f(x)` from a closure over tape variables (for
/// first-order loops that do not need the value).
///
/// ```
/// use wengert_optim::tape_adapters::grad_fn;
/// use wengert_optim::{Momentum, Optimizer};
/// // Minimize (x − 3)² + 10 (y + 1)² with heavy-ball momentum.
/// let grad = grad_fn(|v| (v[0] - 3.0) * (v[0] - 3.0) + (v[1] + 1.0) * (v[1] + 1.0) * 10.0);
/// let mut opt = Momentum::classical(0.02, 0.8);
/// let mut x = [0.0, 0.0];
/// for _ in 0..300 {
///     let g = grad(&x);
///     opt.step_slice(&mut x, &g);
/// }
/// assert!((x[0] - 3.0).abs() < 1e-8 && (x[1] + 1.0).abs() < 1e-8);
/// ```
pub fn grad_fn<F>(f: F) -> impl Fn(&[f64]) -> Vec<f64>
where
    F: for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>,
{
    move |x| wengert_tape::value_and_grad(&f, x).1
}

/// A scalar objective written once, generically over the element type, so the
/// tape can evaluate it on plain `f64`, on `Var<'t, f64>` (reverse mode:
/// gradients) and on `Var<'t, Dual<f64>>` (forward-over-reverse: Hessian-vector
/// products and Hessians).
///
/// Implement [`eval`](Objective::eval); every derivative is provided. Data the
/// model needs lives in `self` and enters the computation as `f64` constants
/// (`x[i] * self.a[i]`, `T::from_f64(c)`).
///
/// ```
/// use wengert_optim::tape_adapters::Objective;
/// use wengert_tape::Real;
///
/// /// f(x) = Σ cᵢ xᵢ² + x₀ x₁
/// struct Weighted(Vec<f64>);
/// impl Objective for Weighted {
///     fn eval<T: Real>(&self, x: &[T]) -> T {
///         let mut acc = x[0] * x[1];
///         for (&xi, &ci) in x.iter().zip(&self.0) {
///             acc += xi * xi * ci;
///         }
///         acc
///     }
/// }
/// let w = Weighted(vec![1.0, 2.0]);
/// assert_eq!(w.value(&[1.0, 1.0]), 4.0);
/// assert_eq!(w.value_and_grad(&[1.0, 1.0]), (4.0, vec![3.0, 5.0]));
/// assert_eq!(w.hvp(&[1.0, 1.0], &[1.0, 0.0]), vec![2.0, 1.0]);
/// assert_eq!(w.hessian(&[0.0, 0.0]).as_slice(), &[2.0, 1.0, 1.0, 4.0]);
/// ```
pub trait Objective {
    /// The objective at `x`, for any element type.
    fn eval<T: Real>(&self, x: &[T]) -> T;

    /// `f(x)` on plain floats (no tape).
    fn value(&self, x: &[f64]) -> f64 {
        self.eval(x)
    }

    /// `(f(x), ∇f(x))` by one recording and one reverse sweep.
    fn value_and_grad(&self, x: &[f64]) -> (f64, Vec<f64>) {
        wengert_tape::value_and_grad(|v| self.eval(v), x)
    }

    /// `∇f(x)` by one recording and one reverse sweep.
    fn gradient(&self, x: &[f64]) -> Vec<f64> {
        self.value_and_grad(x).1
    }

    /// `(∇f(x), H(x)·v)` by forward-over-reverse ([`wengert_tape::grad_and_hvp`]).
    fn grad_and_hvp(&self, x: &[f64], v: &[f64]) -> (Vec<f64>, Vec<f64>) {
        wengert_tape::grad_and_hvp(|y| self.eval(y), x, v)
    }

    /// `H(x)·v` by forward-over-reverse ([`wengert_tape::hvp`]): never forms `H`.
    fn hvp(&self, x: &[f64], v: &[f64]) -> Vec<f64> {
        wengert_tape::hvp(|y| self.eval(y), x, v)
    }

    /// The dense Hessian `H(x)` as `n` HVPs ([`wengert_tape::hessian`]). Returned
    /// as computed: `H[(i, j)]` and `H[(j, i)]` agree to rounding, not bit for bit.
    fn hessian(&self, x: &[f64]) -> Matrix<f64> {
        wengert_tape::hessian(|y| self.eval(y), x)
    }
}

impl<O: Objective + ?Sized> Objective for &O {
    fn eval<T: Real>(&self, x: &[T]) -> T {
        (**self).eval(x)
    }
}

/// Value-and-gradient closure of an [`Objective`] (the `fg` argument of
/// [`lbfgs`](crate::lbfgs), [`newton_cg`](crate::newton_cg),
/// [`newton_lm`](crate::newton_lm), …).
///
/// ```
/// use wengert_optim::tape_adapters::{fg, Objective};
/// use wengert_optim::{lbfgs, second_order::LbfgsOptions};
/// use wengert_tape::Real;
/// struct Bowl;
/// impl Objective for Bowl {
///     fn eval<T: Real>(&self, x: &[T]) -> T {
///         (x[0] - 1.0).square() + (x[1] + 2.0).square() * 5.0
///     }
/// }
/// let r = lbfgs(fg(&Bowl), &[0.0, 0.0], &LbfgsOptions::default());
/// assert!((r.x[0] - 1.0).abs() < 1e-8 && (r.x[1] + 2.0).abs() < 1e-8);
/// ```
pub fn fg<O: Objective + ?Sized>(objective: &O) -> impl Fn(&[f64]) -> (f64, Vec<f64>) + '_ {
    move |x| objective.value_and_grad(x)
}

/// Hessian-vector-product closure of an [`Objective`] (the `hvp` argument of
/// [`newton_cg`](crate::newton_cg)), by forward-over-reverse on the tape.
///
/// ```
/// use wengert_optim::tape_adapters::{fg, hvp_fn, Objective};
/// use wengert_optim::{newton_cg, second_order::NewtonCgOptions};
/// use wengert_tape::{Real, Scalar};
/// /// Σ (eˣⁱ − xᵢ): convex, minimum at 0.
/// struct Sum;
/// impl Objective for Sum {
///     fn eval<T: Real>(&self, x: &[T]) -> T {
///         x.iter().fold(T::zero(), |acc, &xi| acc + xi.exp() - xi)
///     }
/// }
/// let r = newton_cg(fg(&Sum), hvp_fn(&Sum), &[1.0, -0.5, 2.0], &NewtonCgOptions::default());
/// assert!(r.result.converged());
/// assert!(r.result.x.iter().all(|v| v.abs() < 1e-8));
/// ```
pub fn hvp_fn<O: Objective + ?Sized>(objective: &O) -> impl Fn(&[f64], &[f64]) -> Vec<f64> + '_ {
    move |x, v| objective.hvp(x, v)
}

/// Dense-Hessian closure of an [`Objective`] (the `hess` argument of
/// [`newton_lm`](crate::newton_lm)), as `n` forward-over-reverse HVPs. See the
/// [module example](self).
pub fn hessian_fn<O: Objective + ?Sized>(objective: &O) -> impl Fn(&[f64]) -> Matrix<f64> + '_ {
    move |x| objective.hessian(x)
}
