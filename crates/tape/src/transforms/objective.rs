//! [`Objective`]: a scalar model written once for every element type, with
//! every transform as a method.
//!
//! Why a trait: the transforms run a model on different element types —
//! `Var<'t, f64>` for gradients, `Var<'t, Dual<f64>>` for Hessian-vector
//! products and Hessians, `Dual<f64>` for forward mode, plain `f64` for values —
//! and a Rust closure is not generic over its argument type. A generic function
//! `fn f<T: Real>(x: &[T]) -> T` is; an `Objective` is that function packaged
//! as a trait method, with the data the model needs (a design matrix, targets)
//! in `self`, so one value can be handed to anything that wants derivatives.

use wengert_ops::{Matrix, Real};

/// A scalar objective written once, generically over the element type, so it
/// runs on plain `f64`, on `Var<'t, f64>` (reverse mode: gradients) and on
/// `Var<'t, Dual<f64>>` (forward over reverse: Hessian-vector products and
/// Hessians).
///
/// Implement [`eval`](Objective::eval); every derivative is provided, each the
/// transform of the same name applied to `|x| self.eval(x)`. Data the model
/// needs lives in `self` and enters the computation as `f64` constants
/// (`x[i] * self.a[i]`, `T::from_f64(c)`).
///
/// To hand an objective to an optimizer, pass its methods as closures
/// (`|x| obj.value_and_grad(x)`, `|x, v| obj.hvp(x, v)`) or a function-returning
/// transform (`fns::value_and_grad(|x| obj.eval(x))`, which also reuses its tape
/// across calls).
///
/// ```
/// use wengert_tape::{Objective, Real};
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
/// let (f, g, h) = w.value_grad_hessian(&[1.0, 1.0]);
/// assert_eq!((f, g, h.as_slice()), (4.0, vec![3.0, 5.0], &[2.0, 1.0, 1.0, 4.0][..]));
/// ```
pub trait Objective {
    /// The objective at `x`, for any element type.
    fn eval<T: Real>(&self, x: &[T]) -> T;

    /// `f(x)` on plain floats (no tape).
    fn value(&self, x: &[f64]) -> f64 {
        self.eval(x)
    }

    /// `(f(x), ∇f(x))` by one recording and one reverse sweep
    /// ([`value_and_grad`](crate::value_and_grad)).
    fn value_and_grad(&self, x: &[f64]) -> (f64, Vec<f64>) {
        crate::value_and_grad(|v| self.eval(v), x)
    }

    /// `∇f(x)` by one recording and one reverse sweep ([`grad`](crate::grad)).
    fn grad(&self, x: &[f64]) -> Vec<f64> {
        crate::grad(|v| self.eval(v), x)
    }

    /// `H(x)·v` by forward over reverse ([`hvp`](crate::hvp)): never forms `H`.
    fn hvp(&self, x: &[f64], v: &[f64]) -> Vec<f64> {
        crate::hvp(|y| self.eval(y), x, v)
    }

    /// The dense Hessian `H(x)` as `n` HVPs ([`hessian`](crate::hessian)).
    /// Returned as computed: `H[(i, j)]` and `H[(j, i)]` agree to rounding, not
    /// bit for bit.
    fn hessian(&self, x: &[f64]) -> Matrix<f64> {
        crate::hessian(|y| self.eval(y), x)
    }

    /// `(f(x), ∇f(x), H(x))` in one call
    /// ([`value_grad_hessian`](crate::value_grad_hessian)): the cost of the
    /// Hessian alone.
    fn value_grad_hessian(&self, x: &[f64]) -> (f64, Vec<f64>, Matrix<f64>) {
        crate::value_grad_hessian(|y| self.eval(y), x)
    }
}

impl<O: Objective + ?Sized> Objective for &O {
    fn eval<T: Real>(&self, x: &[T]) -> T {
        (**self).eval(x)
    }
}
