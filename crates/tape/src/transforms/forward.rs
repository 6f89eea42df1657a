//! Forward mode: [`jvp`], [`jacfwd`], [`value_and_jacfwd`] and [`jacfwd_vec`],
//! on dual functions (`Fn(&[Dual<T>]) -> Y`).
//!
//! Each input is seeded `Dual::new(xᵢ, vᵢ)` and `f` is simply evaluated: every
//! value carries its tangent along, so the outputs' tangents are `J·v` as soon
//! as `f` returns. No tape, no sweep. A Jacobian is `n` such passes (one per
//! basis tangent), or one pass of [`DualVec<T, N>`] carrying all `N` tangents
//! at once.
//!
//! What `f` may return is open: one dual number (a scalar function: [`jvp`]
//! gives the directional derivative and [`jacfwd`] the gradient), a `Vec` of
//! them, or a pair of outputs; [`DualOutput`] says how each shape turns into
//! values and Jacobians. A reverse-mode transform over dual numbers
//! ([`fns::grad`](crate::fns::grad)) is itself a dual function returning a
//! `Vec`, which is how forward-over-reverse composes.
//!
//! Functions written with matrix ops need a tape; [`fns::on_tape`](crate::fns::on_tape)
//! records one and presents it as a dual function.

use wengert_dual::{Dual, DualVec};
use wengert_ops::{Matrix, Scalar};

/// A number that carries tangents: [`Dual<T>`] (one) or [`DualVec<T, N>`] (`N`).
/// Forward mode reads a result's real part and tangents through it.
pub trait DualNumber: Scalar {
    /// The type of the real part and of each tangent.
    type Real: Scalar;
    /// How many tangents one number carries.
    const TANGENTS: usize;
    /// The real part (the value).
    fn real(&self) -> Self::Real;
    /// Tangent `k` (`k < TANGENTS`).
    fn tangent(&self, k: usize) -> Self::Real;
}

impl<T: Scalar> DualNumber for Dual<T> {
    type Real = T;
    const TANGENTS: usize = 1;
    #[inline]
    fn real(&self) -> T {
        self.re
    }
    #[inline]
    fn tangent(&self, _k: usize) -> T {
        self.eps
    }
}

impl<T: Scalar, const N: usize> DualNumber for DualVec<T, N> {
    type Real = T;
    const TANGENTS: usize = N;
    #[inline]
    fn real(&self) -> T {
        self.re
    }
    #[inline]
    fn tangent(&self, k: usize) -> T {
        self.eps[k]
    }
}

/// What a forward-mode function may return, and how it becomes a value and a
/// Jacobian.
///
/// | output | `Value` (and tangent) | `Jacobian` (`n` inputs) |
/// |---|---|---|
/// | one dual number | `T` | `Vec<T>`: the gradient |
/// | `Vec` of `m` | `Vec<T>` | `Matrix<T>`, `m × n`, rows are outputs |
/// | pair `(A, B)` | `(A::Value, B::Value)` | `(A::Jacobian, B::Jacobian)` |
///
/// A new output shape (a matrix of duals, say) is one more implementation.
pub trait DualOutput<D: DualNumber> {
    /// The real parts, shaped like the output.
    type Value;
    /// The derivative with respect to `n` inputs.
    type Jacobian;
    /// The real parts.
    fn value(&self) -> Self::Value;
    /// Tangent `k` of every component, shaped like the output.
    fn tangent(&self, k: usize) -> Self::Value;
    /// A zero Jacobian for `n` inputs, sized from this output.
    fn zero_jacobian(&self, n: usize) -> Self::Jacobian;
    /// Writes this output's tangents into columns `first..first + D::TANGENTS`
    /// of `jac` (those below `n`). `pass` and `who` name the pass and the
    /// transform in the panic for an output of another size than on pass 0.
    fn write_columns(&self, jac: &mut Self::Jacobian, first: usize, pass: usize, who: &str);
}

impl<T: Scalar> DualOutput<Dual<T>> for Dual<T> {
    type Value = T;
    type Jacobian = Vec<T>;
    fn value(&self) -> T {
        self.re
    }
    fn tangent(&self, _k: usize) -> T {
        self.eps
    }
    fn zero_jacobian(&self, n: usize) -> Vec<T> {
        vec![T::zero(); n]
    }
    fn write_columns(&self, jac: &mut Vec<T>, first: usize, _pass: usize, _who: &str) {
        jac[first] = self.eps;
    }
}

impl<T: Scalar, const N: usize> DualOutput<DualVec<T, N>> for DualVec<T, N> {
    type Value = T;
    type Jacobian = Vec<T>;
    fn value(&self) -> T {
        self.re
    }
    fn tangent(&self, k: usize) -> T {
        self.eps[k]
    }
    fn zero_jacobian(&self, n: usize) -> Vec<T> {
        vec![T::zero(); n]
    }
    fn write_columns(&self, jac: &mut Vec<T>, first: usize, _pass: usize, _who: &str) {
        let n = jac.len();
        for (k, &e) in self.eps.iter().enumerate().take(n.saturating_sub(first)) {
            jac[first + k] = e;
        }
    }
}

impl<D: DualNumber> DualOutput<D> for Vec<D> {
    type Value = Vec<D::Real>;
    type Jacobian = Matrix<D::Real>;
    fn value(&self) -> Vec<D::Real> {
        self.iter().map(DualNumber::real).collect()
    }
    fn tangent(&self, k: usize) -> Vec<D::Real> {
        self.iter().map(|y| y.tangent(k)).collect()
    }
    fn zero_jacobian(&self, n: usize) -> Matrix<D::Real> {
        Matrix::zeros(self.len(), n)
    }
    fn write_columns(&self, jac: &mut Matrix<D::Real>, first: usize, pass: usize, who: &str) {
        let m = self.len();
        assert_eq!(jac.rows(), m, "{who}: f returned {m} outputs on pass {pass} but {} on pass 0", jac.rows());
        let lanes = D::TANGENTS.min(jac.cols().saturating_sub(first));
        for (i, y) in self.iter().enumerate() {
            for k in 0..lanes {
                jac[(i, first + k)] = y.tangent(k);
            }
        }
    }
}

impl<D: DualNumber, A: DualOutput<D>, B: DualOutput<D>> DualOutput<D> for (A, B) {
    type Value = (A::Value, B::Value);
    type Jacobian = (A::Jacobian, B::Jacobian);
    fn value(&self) -> Self::Value {
        (self.0.value(), self.1.value())
    }
    fn tangent(&self, k: usize) -> Self::Value {
        (self.0.tangent(k), self.1.tangent(k))
    }
    fn zero_jacobian(&self, n: usize) -> Self::Jacobian {
        (self.0.zero_jacobian(n), self.1.zero_jacobian(n))
    }
    fn write_columns(&self, jac: &mut Self::Jacobian, first: usize, pass: usize, who: &str) {
        self.0.write_columns(&mut jac.0, first, pass, who);
        self.1.write_columns(&mut jac.1, first, pass, who);
    }
}

/// The Jacobian-vector product: `(f(x), J(x)·v)` from **one** evaluation of `f`
/// on the inputs `Dual::new(xᵢ, vᵢ)`.
///
/// For a scalar `f` the tangent is the directional derivative `∇f(x)·v`; for a
/// vector `f`, `J·v`; for `f = fns::grad(g)` over dual numbers, `(∇g, H·v)`.
///
/// Panics if `x` and `v` differ in length.
///
/// ```
/// use wengert_tape::{jvp, Scalar};
/// // polar → Cartesian; J = [[cos θ, −r sin θ], [sin θ, r cos θ]]
/// let (y, jv) = jvp(|p| vec![p[0] * p[1].cos(), p[0] * p[1].sin()], &[2.0, 0.0], &[1.0, 0.5]);
/// assert_eq!(y, vec![2.0, 0.0]);
/// assert_eq!(jv, vec![1.0, 2.0 * 0.5]);
/// // A scalar function: the directional derivative. f = x·eʸ at (3, 0) along (1, 1).
/// let (fx, d) = jvp(|x| x[0] * x[1].exp(), &[3.0, 0.0], &[1.0, 1.0]);
/// assert_eq!((fx, d), (3.0, 1.0 + 3.0));
/// ```
pub fn jvp<T, Y, F>(f: F, x: &[T], v: &[T]) -> (Y::Value, Y::Value)
where
    T: Scalar,
    Y: DualOutput<Dual<T>>,
    F: Fn(&[Dual<T>]) -> Y,
{
    assert_eq!(x.len(), v.len(), "jvp: x has {} elements but the direction v has {}", x.len(), v.len());
    let seeded: Vec<Dual<T>> = x.iter().zip(v).map(|(&xi, &vi)| Dual::new(xi, vi)).collect();
    let y = f(&seeded);
    (y.value(), y.tangent(0))
}

/// The value and the Jacobian by forward mode: `n` evaluations of `f`, pass `j`
/// seeding the tangent `eⱼ` and filling column `j`. With no inputs, `f` is
/// evaluated once for its value and output size.
///
/// The value is read from the first pass (every pass computes the same real
/// parts). See [`DualOutput`] for the shapes.
///
/// Panics if `f` returns a different number of outputs on different passes.
///
/// ```
/// use wengert_tape::{value_and_jacfwd, Scalar};
/// let (y, j) = value_and_jacfwd(|v| vec![v[0] * v[1], v[0].sin()], &[0.0, 2.0]);
/// assert_eq!(y, vec![0.0, 0.0]);
/// assert_eq!(j.as_slice(), &[2.0, 0.0, 1.0, 0.0]);
/// ```
pub fn value_and_jacfwd<T, Y, F>(f: F, x: &[T]) -> (Y::Value, Y::Jacobian)
where
    T: Scalar,
    Y: DualOutput<Dual<T>>,
    F: Fn(&[Dual<T>]) -> Y,
{
    let n = x.len();
    let mut seeded = super::constants(x);
    if n == 0 {
        let y = f(&seeded);
        return (y.value(), y.zero_jacobian(0));
    }
    let mut out: Option<(Y::Value, Y::Jacobian)> = None;
    for j in 0..n {
        seeded[j].eps = T::one();
        let y = f(&seeded);
        seeded[j].eps = T::zero();
        let (_, jac) = out.get_or_insert_with(|| (y.value(), y.zero_jacobian(n)));
        y.write_columns(jac, j, j, "jacfwd");
    }
    out.expect("n > 0 passes ran")
}

/// The Jacobian by forward mode (`n` passes; see [`value_and_jacfwd`]). For a
/// scalar `f` this is the gradient by `n` forward passes of [`Dual`] — the
/// forward-mode gradient, O(n) evaluations, best for few inputs. Cheaper than
/// [`jacrev`](crate::jacrev) when there are fewer inputs than outputs; see
/// [`jacobian`](crate::jacobian) for the automatic choice.
///
/// Panics if `f` returns a different number of outputs on different passes.
///
/// ```
/// use wengert_tape::{jacfwd, Scalar};
/// // polar → Cartesian at r = 2, θ = 0
/// let j = jacfwd(|p| vec![p[0] * p[1].cos(), p[0] * p[1].sin()], &[2.0, 0.0]);
/// assert_eq!(j.as_slice(), &[1.0, 0.0, 0.0, 2.0]);
/// // A scalar function: its gradient. f(x, y) = x²·y
/// assert_eq!(jacfwd(|x| x[0] * x[0] * x[1], &[3.0, 2.0]), vec![12.0, 9.0]);
/// ```
pub fn jacfwd<T, Y, F>(f: F, x: &[T]) -> Y::Jacobian
where
    T: Scalar,
    Y: DualOutput<Dual<T>>,
    F: Fn(&[Dual<T>]) -> Y,
{
    value_and_jacfwd(f, x).1
}

/// The Jacobian (or, for a scalar `f`, the gradient) of a function of `N`
/// inputs in **one** forward pass, with [`DualVec<T, N>`] seeded `eᵢ` on input
/// `i`: every value is computed once and all `N` partials alongside it. Pays off
/// for small `N` known at compile time (the tangent arithmetic is still
/// `N`-fold); results are bit-identical to [`jacfwd`]'s `N` passes.
///
/// ```
/// use wengert_tape::{jacfwd_vec, Scalar};
/// // f(x, y, z) = x·y·z + exp(z)
/// let g = jacfwd_vec(|x| x[0] * x[1] * x[2] + x[2].exp(), &[1.0, 2.0, 0.0]);
/// assert_eq!(g, vec![0.0, 0.0, 2.0 + 1.0]);
/// // f(x, y) = (x·y, x − y)
/// let j = jacfwd_vec(|x| vec![x[0] * x[1], x[0] - x[1]], &[3.0, 4.0]);
/// assert_eq!(j.as_slice(), &[4.0, 3.0, 1.0, -1.0]);
/// ```
pub fn jacfwd_vec<T, Y, F, const N: usize>(f: F, x: &[T; N]) -> Y::Jacobian
where
    T: Scalar,
    Y: DualOutput<DualVec<T, N>>,
    F: Fn(&[DualVec<T, N>]) -> Y,
{
    let y = f(&DualVec::seed(*x));
    let mut jac = y.zero_jacobian(N);
    y.write_columns(&mut jac, 0, 0, "jacfwd_vec");
    jac
}

/// The function-returning forms of the forward-mode transforms.
pub mod fns {
    use wengert_dual::Dual;
    use wengert_ops::Scalar;

    use super::DualOutput;

    /// The function `(x, v) ↦ (f(x), J(x)·v)` (see [`jvp`](crate::jvp)).
    ///
    /// ```
    /// use wengert_tape::fns;
    /// let push = fns::jvp(|x| x[0] * x[1]);
    /// assert_eq!(push(&[2.0, 3.0], &[1.0, 0.0]), (6.0, 3.0));
    /// ```
    pub fn jvp<T, Y, F>(f: F) -> impl Fn(&[T], &[T]) -> (Y::Value, Y::Value)
    where
        T: Scalar,
        Y: DualOutput<Dual<T>>,
        F: Fn(&[Dual<T>]) -> Y,
    {
        move |x, v| super::jvp(&f, x, v)
    }

    /// The function `x ↦ J(x)` by forward mode (see [`jacfwd`](crate::jacfwd)).
    ///
    /// Generic over the element type, so it composes with itself:
    /// `jacfwd(fns::jacfwd(f), x)` is the Hessian by forward-over-forward, with
    /// `f` evaluated on `Dual<Dual<T>>`.
    ///
    /// ```
    /// use wengert_tape::{fns, jacfwd, Real};
    /// fn f<R: Real>(x: &[R]) -> R {
    ///     x[0] * x[0] * x[1]
    /// }
    /// let h = jacfwd(fns::jacfwd(|x| f(x)), &[1.0, 3.0]);
    /// assert_eq!(h.as_slice(), &[6.0, 2.0, 2.0, 0.0]);
    /// ```
    pub fn jacfwd<T, Y, F>(f: F) -> impl Fn(&[T]) -> Y::Jacobian
    where
        T: Scalar,
        Y: DualOutput<Dual<T>>,
        F: Fn(&[Dual<T>]) -> Y,
    {
        move |x| super::jacfwd(&f, x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "jvp: x has 2 elements but the direction v has 1")]
    fn jvp_rejects_a_mismatched_direction() {
        let _ = jvp(|x| x.to_vec(), &[1.0, 2.0], &[1.0]);
    }

    #[test]
    #[should_panic(expected = "jacfwd: f returned 1 outputs on pass 1 but 2 on pass 0")]
    fn jacfwd_rejects_a_varying_output_count() {
        let _ = jacfwd(|x| if x[1].eps == 1.0 { vec![x[0]] } else { x.to_vec() }, &[1.0, 2.0]);
    }

    #[test]
    fn empty_inputs() {
        let j = jacfwd(|_| vec![Dual::constant(1.0); 3], &[]);
        assert_eq!(j.shape(), (3, 0));
        assert!(jacfwd(|_| Dual::constant(1.0), &[]).is_empty());
        assert_eq!(value_and_jacfwd(|_| Dual::constant(4.0), &[]), (4.0, vec![]));
        assert!(jacfwd_vec(|_| DualVec::<f64, 0>::constant(3.0), &[]).is_empty());
    }

    #[test]
    fn jacfwd_restores_the_seed_between_passes() {
        // If a seed leaked into the next pass, the later partials would be sums.
        let g = jacfwd(|x| x[0] * 10.0 + x[1] * 100.0 + x[2], &[0.0, 0.0, 0.0]);
        assert_eq!(g, vec![10.0, 100.0, 1.0]);
    }

    #[test]
    fn pairs_of_outputs_give_pairs_of_jacobians() {
        let (value, jac) = value_and_jacfwd(|x| (x[0] * x[1], vec![x[0], x[1].square()]), &[2.0, 3.0]);
        assert_eq!(value, (6.0, vec![2.0, 9.0]));
        assert_eq!(jac.0, vec![3.0, 2.0]);
        assert_eq!(jac.1.as_slice(), &[1.0, 0.0, 0.0, 6.0]);
    }

    #[test]
    fn generic_over_the_element_type() {
        let (y, jv) = jvp(|v: &[Dual<f32>]| vec![v[0] * v[1]], &[2.0f32, 3.0], &[1.0, 0.0]);
        assert_eq!((y, jv), (vec![6.0f32], vec![3.0f32]));
        // Forward over forward with T = Dual<f64>: f(x, y) = x²y; ∂f/∂x = 2xy,
        // differentiated along y at (3, 2): 2x = 6.
        let x = [Dual::constant(3.0), Dual::variable(2.0)];
        let g = jacfwd(|v| v[0] * v[0] * v[1], &x);
        assert_eq!((g[0].re, g[0].eps), (12.0, 6.0));
        assert_eq!((g[1].re, g[1].eps), (9.0, 0.0));
    }
}
