//! Second order by composition: [`hvp`], [`hessian`] and
//! [`value_grad_hessian`] are forward mode applied to reverse mode.
//!
//! Record `f` on a tape of dual numbers whose inputs carry the tangent `v`, and
//! sweep with seed `Dual::new(1, 0)`: every adjoint is then a dual number whose
//! real part is the ordinary adjoint and whose tangent is its derivative along
//! `v`. At the inputs that is `∇f(x)` and `H(x)·v`. In transform terms:
//! [`fns::grad`](crate::fns::grad)`(f)` over `Dual<T>` is a dual function, and
//!
//! * `hvp(f, x, v)` = `jvp(fns::grad(f), x, v).1`: one recording, one sweep,
//!   on numbers twice as wide; costs a small constant times a gradient whatever
//!   `n` is, and never forms `H` (the building block of Newton–CG);
//! * `hessian(f, x)` = `jacfwd(fns::grad(f), x)`: `n` HVPs against the basis
//!   vectors, on one reused tape;
//! * `value_grad_hessian(f, x)` = `value_and_jacfwd(fns::value_and_grad(f), x)`
//!   keeps the value and gradient the passes compute anyway.
//!
//! The closures are tape closures over `Var<'t, Dual<T>>`; a model written once
//! as `fn f<R: Real>(x: &[R]) -> R` is one (`|x| f(x)`), and matrix ops work too
//! (every matrix rule is written for any `Scalar`).

use wengert_dual::Dual;
use wengert_ops::{Matrix, Scalar};

use super::{jacfwd, jvp, value_and_jacfwd};
use crate::var::Var;

/// The Hessian-vector product `H(x)·v` of a scalar function, by
/// forward-over-reverse: `jvp(fns::grad(f), x, v)`, whose value part is the
/// gradient (use that form to get both).
///
/// Panics if `x` and `v` differ in length.
///
/// ```
/// use wengert_tape::{fns, hvp, jvp, Scalar};
/// // f = ½‖x‖² + x₀x₁  →  H = [[1, 1], [1, 1]]
/// let hv = hvp(|x| (x[0].square() + x[1].square()) * 0.5 + x[0] * x[1], &[5.0, -7.0], &[2.0, 3.0]);
/// assert_eq!(hv, vec![5.0, 5.0]);
/// // The gradient comes with it in the composed form.
/// let (g, hv) = jvp(fns::grad(|x| x[0] * x[0] * x[1]), &[1.0, 3.0], &[1.0, -1.0]);
/// assert_eq!((g, hv), (vec![6.0, 1.0], vec![4.0, 2.0]));
/// ```
pub fn hvp<T, F>(f: F, x: &[T], v: &[T]) -> Vec<T>
where
    T: Scalar,
    F: for<'t> Fn(&[Var<'t, Dual<T>>]) -> Var<'t, Dual<T>>,
{
    assert_eq!(x.len(), v.len(), "hvp: x has {} elements but the direction v has {}", x.len(), v.len());
    jvp(crate::fns::grad(f), x, v).1
}

/// The Hessian (`n × n`) of a scalar function: `jacfwd(fns::grad(f), x)`, i.e.
/// `n` Hessian-vector products against the basis vectors (column `j` is `H·eⱼ`),
/// recorded on one reused tape, so after the first product only the outputs are
/// allocated.
///
/// The result is returned **as computed, not symmetrized**: `H[(i, j)]` and
/// `H[(j, i)]` come from different products and agree to rounding (the tests
/// check it), which makes asymmetry a useful symptom of a wrong rule.
///
/// ```
/// use wengert_tape::{hessian, Scalar};
/// // f = x³ − 3xy + y³;  H = [[6x, −3], [−3, 6y]]
/// let h = hessian(|v| v[0].powi(3) - v[0] * v[1] * 3.0 + v[1].powi(3), &[1.0, 2.0]);
/// assert_eq!(h.as_slice(), &[6.0, -3.0, -3.0, 12.0]);
/// ```
pub fn hessian<T, F>(f: F, x: &[T]) -> Matrix<T>
where
    T: Scalar,
    F: for<'t> Fn(&[Var<'t, Dual<T>>]) -> Var<'t, Dual<T>>,
{
    if x.is_empty() {
        return Matrix::zeros(0, 0);
    }
    jacfwd(crate::fns::grad(f), x)
}

/// The value, the gradient and the Hessian of a scalar function in one call,
/// from one closure: `value_and_jacfwd(fns::value_and_grad(f), x)`. The `n`
/// passes that build the Hessian compute the value and the gradient in their
/// real parts; those of the first pass are returned. Same cost as [`hessian`].
///
/// This is what a Newton step needs, and the way to get all three from one
/// closure (a closure over `Var<f64>` cannot also run over `Var<Dual<f64>>`).
/// The value and gradient are those of the dual recording's real parts, which
/// equal a `Tape<T>` recording's to rounding.
///
/// ```
/// use wengert_tape::{value_grad_hessian, Scalar};
/// // f = x² y + eʸ at (1, 0): ∇f = (2xy, x² + eʸ), H = [[2y, 2x], [2x, eʸ]]
/// let (f, g, h) = value_grad_hessian(|v| v[0] * v[0] * v[1] + v[1].exp(), &[1.0, 0.0]);
/// assert_eq!(f, 1.0);
/// assert_eq!(g, vec![0.0, 2.0]);
/// assert_eq!(h.as_slice(), &[0.0, 2.0, 2.0, 1.0]);
/// ```
pub fn value_grad_hessian<T, F>(f: F, x: &[T]) -> (T, Vec<T>, Matrix<T>)
where
    T: Scalar,
    F: for<'t> Fn(&[Var<'t, Dual<T>>]) -> Var<'t, Dual<T>>,
{
    let ((value, grad), (_, hessian)) = value_and_jacfwd(crate::fns::value_and_grad(f), x);
    (value, grad, hessian)
}

/// The function-returning forms of the second-order transforms. Each keeps one
/// tape of dual numbers and reuses it on every call (and, for `hessian`, on
/// every one of the `n` products).
pub mod fns {
    use wengert_dual::Dual;
    use wengert_ops::{Matrix, Scalar};

    use crate::transforms::fns::{grad, value_and_grad};
    use crate::transforms::{jacfwd, jvp, value_and_jacfwd};
    use crate::var::Var;

    /// The function `(x, v) ↦ H(x)·v` (see [`hvp`](crate::hvp)): the `hvp`
    /// argument of `wengert-optim`'s `newton_cg`.
    ///
    /// ```
    /// use wengert_tape::{fns, Scalar};
    /// let hv = fns::hvp(|x| x[0].square() * x[1]);
    /// assert_eq!(hv(&[1.0, 3.0], &[1.0, 0.0]), vec![6.0, 2.0]);
    /// ```
    pub fn hvp<T, F>(f: F) -> impl Fn(&[T], &[T]) -> Vec<T>
    where
        T: Scalar,
        F: for<'t> Fn(&[Var<'t, Dual<T>>]) -> Var<'t, Dual<T>>,
    {
        let gradient = grad(f);
        move |x, v| {
            assert_eq!(x.len(), v.len(), "hvp: x has {} elements but the direction v has {}", x.len(), v.len());
            jvp(&gradient, x, v).1
        }
    }

    /// The function `x ↦ H(x)` (see [`hessian`](crate::hessian)): the `hess`
    /// argument of `wengert-optim`'s `newton_lm`.
    ///
    /// ```
    /// use wengert_tape::{fns, Scalar};
    /// let h = fns::hessian(|x| x[0].square() * x[1]);
    /// assert_eq!(h(&[1.0, 3.0]).as_slice(), &[6.0, 2.0, 2.0, 0.0]);
    /// ```
    pub fn hessian<T, F>(f: F) -> impl Fn(&[T]) -> Matrix<T>
    where
        T: Scalar,
        F: for<'t> Fn(&[Var<'t, Dual<T>>]) -> Var<'t, Dual<T>>,
    {
        let gradient = grad(f);
        move |x| if x.is_empty() { Matrix::zeros(0, 0) } else { jacfwd(&gradient, x) }
    }

    /// The function `x ↦ (f(x), ∇f(x), H(x))` (see
    /// [`value_grad_hessian`](crate::value_grad_hessian)).
    ///
    /// ```
    /// use wengert_tape::{fns, Scalar};
    /// let all = fns::value_grad_hessian(|x| x[0].square() * x[1]);
    /// let (f, g, h) = all(&[1.0, 3.0]);
    /// assert_eq!((f, g), (3.0, vec![6.0, 1.0]));
    /// assert_eq!(h.as_slice(), &[6.0, 2.0, 2.0, 0.0]);
    /// ```
    pub fn value_grad_hessian<T, F>(f: F) -> impl Fn(&[T]) -> (T, Vec<T>, Matrix<T>)
    where
        T: Scalar,
        F: for<'t> Fn(&[Var<'t, Dual<T>>]) -> Var<'t, Dual<T>>,
    {
        let value_and_gradient = value_and_grad(f);
        move |x| {
            let ((value, grad), (_, hessian)) = value_and_jacfwd(&value_and_gradient, x);
            (value, grad, hessian)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "hvp: x has 1 elements but the direction v has 2")]
    fn hvp_rejects_a_mismatched_direction() {
        let _ = hvp(|x| x[0], &[1.0], &[1.0, 2.0]);
    }

    #[test]
    fn constant_outputs_and_empty_inputs() {
        let c = crate::scalar_fn(|_| Var::constant(Dual::constant(2.0)));
        assert_eq!(hessian(c, &[1.0, 2.0]).as_slice(), &[0.0; 4]);
        assert_eq!(jvp(crate::fns::grad(c), &[1.0], &[1.0]), (vec![0.0], vec![0.0]));
        assert_eq!(value_grad_hessian(c, &[1.0]), (2.0, vec![0.0], Matrix::zeros(1, 1)));
        assert_eq!(hessian(|x| x[0], &[] as &[f64]).shape(), (0, 0));
        assert_eq!(value_grad_hessian(c, &[]), (2.0, vec![], Matrix::zeros(0, 0)));
    }

    #[test]
    fn generic_over_the_element_type() {
        let h = hessian(|v: &[Var<'_, Dual<f32>>]| v[0] * v[0] * v[1], &[1.0f32, 3.0]);
        assert_eq!(h.as_slice(), &[6.0f32, 2.0, 2.0, 0.0]);
    }
}
