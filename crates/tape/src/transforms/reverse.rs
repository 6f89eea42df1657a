//! Reverse mode: [`grad`], [`value_and_grad`], [`vjp`] and [`jacrev`].
//!
//! Each records the tape closure once and sweeps the recording as many times as
//! the derivative needs: once for a gradient or a VJP, once per output for a
//! Jacobian. The element type `S` is any [`Scalar`]; with `S = Dual<T>` the sweep
//! also differentiates itself along the inputs' tangents, which is how the
//! second-order transforms are built from these ([`fns::grad`] is a dual
//! function).

use wengert_ops::{Matrix, Scalar};

use super::record::ReusableTape;
use crate::gradients::Gradients;
use crate::tape::Tape;
use crate::var::Var;

/// Records `f` at `x` on `tape` and sweeps once: `(f(x), ∇f(x))`.
fn value_and_grad_on<S, F>(tape: &Tape<S>, grads: &mut Gradients<S>, f: &F, x: &[S]) -> (S, Vec<S>)
where
    S: Scalar,
    F: for<'t> Fn(&[Var<'t, S>]) -> Var<'t, S>,
{
    let vars = tape.vars(x);
    let y = f(&vars);
    if !y.is_tracked() {
        // The output does not depend on the inputs at all.
        return (y.primal(), vec![S::zero(); x.len()]);
    }
    tape.backward_into(y, S::one(), grads);
    (y.primal(), grads.wrt(&vars))
}

/// Records `f` at `x` on `tape` and sweeps once with the output weights `w`.
fn vjp_on<S, F>(tape: &Tape<S>, f: &F, x: &[S], w: &[S]) -> (Vec<S>, Vec<S>)
where
    S: Scalar,
    F: for<'t> Fn(&[Var<'t, S>]) -> Vec<Var<'t, S>>,
{
    let vars = tape.vars(x);
    let ys = f(&vars);
    assert_eq!(ys.len(), w.len(), "vjp: the function has {} outputs but w has {} entries", ys.len(), w.len());
    let values = ys.iter().map(|y| y.primal()).collect();
    let g = tape.backward_vector(&ys, w);
    (values, g.wrt(&vars))
}

/// Records `f` at `x` on `tape` and sweeps once per output.
fn jacrev_on<S, F>(tape: &Tape<S>, grads: &mut Gradients<S>, f: &F, x: &[S]) -> Matrix<S>
where
    S: Scalar,
    F: for<'t> Fn(&[Var<'t, S>]) -> Vec<Var<'t, S>>,
{
    let vars = tape.vars(x);
    let ys = f(&vars);
    let mut jac = Matrix::zeros(ys.len(), x.len());
    for (i, &y) in ys.iter().enumerate() {
        if !y.is_tracked() {
            continue;
        }
        tape.backward_into(y, S::one(), grads);
        jac.row_mut(i).copy_from_slice(&grads.wrt(&vars));
    }
    jac
}

/// The gradient of a scalar function at `x`, by one recording and one reverse
/// sweep.
///
/// ```
/// use wengert_tape::{grad, Scalar};
/// // f(x, y) = x² y + sin y
/// let g = grad(|v| v[0] * v[0] * v[1] + v[1].sin(), &[3.0, 2.0]);
/// assert_eq!(g[0], 12.0);
/// assert!((g[1] - (9.0 + 2f64.cos())).abs() < 1e-15);
/// ```
pub fn grad<S, F>(f: F, x: &[S]) -> Vec<S>
where
    S: Scalar,
    F: for<'t> Fn(&[Var<'t, S>]) -> Var<'t, S>,
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
pub fn value_and_grad<S, F>(f: F, x: &[S]) -> (S, Vec<S>)
where
    S: Scalar,
    F: for<'t> Fn(&[Var<'t, S>]) -> Var<'t, S>,
{
    let tape = Tape::with_capacity(super::capacity(x.len()));
    value_and_grad_on(&tape, &mut Gradients::empty(), &f, x)
}

/// Vector-Jacobian product `wᵀ J` of a vector function at `x`, by one reverse
/// sweep; returns `(f(x), wᵀ J)`.
///
/// Panics if `w` does not have one entry per output.
///
/// ```
/// use wengert_tape::vjp;
/// // f(x, y) = (x y, x + y);  J = [[y, x], [1, 1]]
/// let (fx, wj) = vjp(|v| vec![v[0] * v[1], v[0] + v[1]], &[2.0, 3.0], &[1.0, 10.0]);
/// assert_eq!(fx, vec![6.0, 5.0]);
/// assert_eq!(wj, vec![3.0 + 10.0, 2.0 + 10.0]);
/// ```
pub fn vjp<S, F>(f: F, x: &[S], w: &[S]) -> (Vec<S>, Vec<S>)
where
    S: Scalar,
    F: for<'t> Fn(&[Var<'t, S>]) -> Vec<Var<'t, S>>,
{
    vjp_on(&Tape::with_capacity(super::capacity(x.len())), &f, x, w)
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
pub fn jacrev<S, F>(f: F, x: &[S]) -> Matrix<S>
where
    S: Scalar,
    F: for<'t> Fn(&[Var<'t, S>]) -> Vec<Var<'t, S>>,
{
    jacrev_on(&Tape::with_capacity(super::capacity(x.len())), &mut Gradients::empty(), &f, x)
}

/// The function-returning forms of the reverse-mode transforms.
pub mod fns {
    use wengert_ops::{Matrix, Scalar};

    use super::{jacrev_on, value_and_grad_on, vjp_on, ReusableTape};
    use crate::var::Var;

    /// The function `x ↦ ∇f(x)`, recording on one reused tape.
    ///
    /// Generic over the element type `S`: over `S = Dual<T>` it returns, for
    /// inputs carrying tangents `v`, the gradient in the real parts and `H·v` in
    /// the tangents. That makes it a dual function, and the second-order
    /// transforms are this composed with forward mode:
    /// `jvp(fns::grad(f), x, v) = (∇f, H·v)` and `jacfwd(fns::grad(f), x) = H`.
    ///
    /// ```
    /// use wengert_tape::{fns, jacfwd, Scalar};
    /// // f = x³ − 3xy + y³;  H = [[6x, −3], [−3, 6y]]
    /// let h = jacfwd(fns::grad(|v| v[0].powi(3) - v[0] * v[1] * 3.0 + v[1].powi(3)), &[1.0, 2.0]);
    /// assert_eq!(h.as_slice(), &[6.0, -3.0, -3.0, 12.0]);
    /// // Over f64 it is a gradient closure for a first-order loop.
    /// let g = fns::grad(|v| (v[0] - 3.0) * (v[0] - 3.0));
    /// assert_eq!(g(&[1.0]), vec![-4.0]);
    /// ```
    pub fn grad<S, F>(f: F) -> impl Fn(&[S]) -> Vec<S>
    where
        S: Scalar,
        F: for<'t> Fn(&[Var<'t, S>]) -> Var<'t, S>,
    {
        let value_and_grad = value_and_grad(f);
        move |x| value_and_grad(x).1
    }

    /// The function `x ↦ (f(x), ∇f(x))`, recording on one reused tape: the
    /// value-and-gradient closure `lbfgs`, `newton_cg`, `newton_lm` and the
    /// constrained methods of `wengert-optim` take.
    ///
    /// ```
    /// use wengert_tape::{fns, Real};
    /// fn rosenbrock<T: Real>(x: &[T]) -> T {
    ///     (x[1] - x[0] * x[0]).square() * 100.0 + (x[0] - 1.0).square()
    /// }
    /// let fg = fns::value_and_grad(|x| rosenbrock(x));
    /// assert_eq!(fg(&[1.0, 1.0]), (0.0, vec![0.0, 0.0]));
    /// assert_eq!(fg(&[0.0, 0.0]), (1.0, vec![-2.0, 0.0]));
    /// ```
    pub fn value_and_grad<S, F>(f: F) -> impl Fn(&[S]) -> (S, Vec<S>)
    where
        S: Scalar,
        F: for<'t> Fn(&[Var<'t, S>]) -> Var<'t, S>,
    {
        let recording = ReusableTape::new();
        move |x| recording.with(x.len(), |tape, grads| value_and_grad_on(tape, grads, &f, x))
    }

    /// The function `(x, w) ↦ (f(x), wᵀJ(x))`, recording on one reused tape.
    ///
    /// ```
    /// use wengert_tape::fns;
    /// let pullback = fns::vjp(|v| vec![v[0] * v[1], v[0] + v[1]]);
    /// assert_eq!(pullback(&[2.0, 3.0], &[1.0, 0.0]), (vec![6.0, 5.0], vec![3.0, 2.0]));
    /// ```
    pub fn vjp<S, F>(f: F) -> impl Fn(&[S], &[S]) -> (Vec<S>, Vec<S>)
    where
        S: Scalar,
        F: for<'t> Fn(&[Var<'t, S>]) -> Vec<Var<'t, S>>,
    {
        let recording = ReusableTape::new();
        move |x, w| recording.with(x.len(), |tape, _| vjp_on(tape, &f, x, w))
    }

    /// The function `x ↦ J(x)` by reverse mode, recording on one reused tape.
    ///
    /// ```
    /// use wengert_tape::fns;
    /// let jac = fns::jacrev(|v| vec![v[0] * v[1]]);
    /// assert_eq!(jac(&[2.0, 3.0]).as_slice(), &[3.0, 2.0]);
    /// ```
    pub fn jacrev<S, F>(f: F) -> impl Fn(&[S]) -> Matrix<S>
    where
        S: Scalar,
        F: for<'t> Fn(&[Var<'t, S>]) -> Vec<Var<'t, S>>,
    {
        let recording = ReusableTape::new();
        move |x| recording.with(x.len(), |tape, grads| jacrev_on(tape, grads, &f, x))
    }
}
