//! Function transforms in the spirit of JAX: give a closure over tape variables,
//! get derivatives back.
//!
//! Each transform records the closure once on a fresh tape and sweeps it as many
//! times as the derivative needs: once for a gradient or a VJP, once per output
//! for a reverse-mode Jacobian.
//!
//! Closures take `&[Var<'t, T>]` for every tape lifetime `'t`; write them inline
//! (`|x| x[0] * x[1]`) or call a generic model `fn f<T: Real>(x: &[T]) -> T` from
//! one (`|x| f(x)`).
//!
//! **Storing a closure first.** Rust infers "for every lifetime" only for a
//! closure written directly as an argument. To bind one to a name and pass it to
//! several transforms, wrap it in [`scalar_fn`] or [`vector_fn`], which change
//! nothing but tell the compiler its signature:
//!
//! ```
//! use wengert_tape::{grad, gradcheck, scalar_fn, Scalar};
//! let f = scalar_fn(|x| x[0] * x[1].exp());
//! assert_eq!(grad(&f, &[2.0, 0.0]), vec![1.0, 2.0]);
//! assert!(gradcheck(&f, &[2.0, 0.0]).passes(1e-7));
//! ```

use wengert_ops::{Matrix, Scalar};

use crate::tape::Tape;
use crate::var::Var;

/// Returns `f` unchanged, typed as a scalar function of tape variables, so a
/// closure bound with `let` works with every transform (see the module docs).
pub fn scalar_fn<T, F>(f: F) -> F
where
    T: Scalar,
    F: for<'t> Fn(&[Var<'t, T>]) -> Var<'t, T>,
{
    f
}

/// Returns `f` unchanged, typed as a vector function of tape variables (for
/// [`vjp`], [`jacrev`], …), so a closure bound with `let` works with them.
pub fn vector_fn<T, F>(f: F) -> F
where
    T: Scalar,
    F: for<'t> Fn(&[Var<'t, T>]) -> Vec<Var<'t, T>>,
{
    f
}

/// The gradient of a scalar function at `x`, by one reverse sweep.
///
/// ```
/// use wengert_tape::{grad, Scalar};
/// // f(x, y) = x² y + sin y
/// let g = grad(|v| v[0] * v[0] * v[1] + v[1].sin(), &[3.0, 2.0]);
/// assert_eq!(g[0], 12.0);
/// assert!((g[1] - (9.0 + 2f64.cos())).abs() < 1e-15);
/// ```
pub fn grad<T, F>(f: F, x: &[T]) -> Vec<T>
where
    T: Scalar,
    F: for<'t> Fn(&[Var<'t, T>]) -> Var<'t, T>,
{
    value_and_grad(f, x).1
}

/// The value and the gradient of a scalar function at `x`, from one recording
/// and one sweep.
///
/// ```
/// use wengert_tape::value_and_grad;
/// let (v, g) = value_and_grad(|x| x.iter().map(|&xi| xi * xi).sum(), &[1.0, 2.0]);
/// assert_eq!(v, 5.0);
/// assert_eq!(g, vec![2.0, 4.0]);
/// ```
pub fn value_and_grad<T, F>(f: F, x: &[T]) -> (T, Vec<T>)
where
    T: Scalar,
    F: for<'t> Fn(&[Var<'t, T>]) -> Var<'t, T>,
{
    let tape = Tape::with_capacity(64 * x.len().max(1));
    let vars = tape.vars(x);
    let y = f(&vars);
    if !y.is_tracked() {
        // The output does not depend on the inputs at all.
        return (y.primal(), vec![T::zero(); x.len()]);
    }
    let g = tape.backward(y);
    (y.primal(), g.wrt(&vars))
}

/// Vector-Jacobian product `wᵀ J` of a vector function at `x`, by one reverse
/// sweep; returns `(f(x), wᵀ J)`.
///
/// ```
/// use wengert_tape::vjp;
/// // f(x, y) = (x y, x + y);  J = [[y, x], [1, 1]]
/// let (fx, wj) = vjp(|v| vec![v[0] * v[1], v[0] + v[1]], &[2.0, 3.0], &[1.0, 10.0]);
/// assert_eq!(fx, vec![6.0, 5.0]);
/// assert_eq!(wj, vec![3.0 + 10.0, 2.0 + 10.0]);
/// ```
pub fn vjp<T, F>(f: F, x: &[T], w: &[T]) -> (Vec<T>, Vec<T>)
where
    T: Scalar,
    F: for<'t> Fn(&[Var<'t, T>]) -> Vec<Var<'t, T>>,
{
    let tape = Tape::with_capacity(64 * x.len().max(1));
    let vars = tape.vars(x);
    let ys = f(&vars);
    assert_eq!(ys.len(), w.len(), "vjp: the function has {} outputs but w has {} entries", ys.len(), w.len());
    let values = ys.iter().map(|y| y.primal()).collect();
    let g = tape.backward_vector(&ys, w);
    (values, g.wrt(&vars))
}

/// The Jacobian (`m × n`, row `i` = gradient of output `i`) of a vector function
/// by reverse mode: one recording, `m` sweeps over it. Cheaper than
/// [`jacfwd`](crate::jacfwd) when there are fewer outputs than inputs.
///
/// ```
/// use wengert_tape::{jacrev, Scalar};
/// // polar → Cartesian: (r cos θ, r sin θ)
/// let j = jacrev(|v| vec![v[0] * v[1].cos(), v[0] * v[1].sin()], &[2.0, 0.0]);
/// assert_eq!(j.as_slice(), &[1.0, 0.0, 0.0, 2.0]);
/// ```
pub fn jacrev<T, F>(f: F, x: &[T]) -> Matrix<T>
where
    T: Scalar,
    F: for<'t> Fn(&[Var<'t, T>]) -> Vec<Var<'t, T>>,
{
    let tape = Tape::with_capacity(64 * x.len().max(1));
    let vars = tape.vars(x);
    let ys = f(&vars);
    let n = x.len();
    let mut jac = Matrix::zeros(ys.len(), n);
    let mut grads = crate::Gradients::empty();
    for (i, &y) in ys.iter().enumerate() {
        if !y.is_tracked() {
            continue;
        }
        tape.backward_into(y, T::one(), &mut grads);
        jac.row_mut(i).copy_from_slice(&grads.wrt(&vars));
    }
    jac
}
