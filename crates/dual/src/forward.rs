//! Forward-mode drivers: derivatives, Jacobian-vector products, gradients and
//! Jacobians, built on [`Dual`] and [`DualVec`].
//!
//! Cost model (why each helper exists):
//!
//! * [`jvp`]: one pass for `J·v`, whatever the number of inputs or outputs. This
//!   is what forward mode is best at.
//! * [`gradient`] / [`jacobian`]: one pass per input (`n` passes), each seeding one
//!   unit direction. Fine for few inputs; for many inputs and a scalar output use
//!   reverse mode (`wengert-tape`), which costs one backward pass.
//! * [`gradient_vec`] / [`jacobian_vec`]: one pass carrying `N` tangents at once
//!   ([`DualVec`]); values are computed once instead of `N` times.
//! * [`second_derivative`]: nested duals, one pass.
//!
//! Jacobians are returned as a [`Matrix`] with one **row per output** and one
//! column per input (`J[(i, j)] = ∂fᵢ/∂xⱼ`).

use wengert_ops::{Matrix, Scalar};

use crate::{Dual, DualVec};

/// `f'(x)` in one forward pass.
///
/// ```
/// use wengert_dual::derivative;
/// use wengert_ops::Scalar;
///
/// let d = derivative(|x| x * x.exp(), 1.0);
/// assert!((d - 2.0 * 1f64.exp()).abs() < 1e-14);
/// ```
pub fn derivative<T: Scalar>(f: impl Fn(Dual<T>) -> Dual<T>, x: T) -> T {
    f(Dual::variable(x)).eps
}

/// `f''(x)` in one forward pass, by nesting: `f` is evaluated on
/// `Dual<Dual<T>>` seeded with `(x + ε₁) + (1 + 0ε₁)ε₂`, and the `ε₁ε₂`
/// coefficient of the result is the second derivative (exact, no finite
/// differences).
///
/// ```
/// use wengert_dual::second_derivative;
/// use wengert_ops::Scalar;
///
/// // (x³ + sin x)'' = 6x - sin x
/// let d2 = second_derivative(|x| x.powi(3) + x.sin(), 0.5);
/// assert!((d2 - (3.0 - 0.5f64.sin())).abs() < 1e-14);
/// ```
pub fn second_derivative<T: Scalar>(f: impl Fn(Dual<Dual<T>>) -> Dual<Dual<T>>, x: T) -> T {
    f(Dual::variable(Dual::variable(x))).eps.eps
}

/// The Jacobian-vector product: returns `(f(x), J(x)·v)` in one forward pass.
///
/// Panics if `x` and `v` differ in length.
///
/// ```
/// use wengert_dual::jvp;
///
/// // f(x, y) = (x·y, x + y); J = [[y, x], [1, 1]]
/// let (y, jv) = jvp(|x| vec![x[0] * x[1], x[0] + x[1]], &[2.0, 3.0], &[1.0, -1.0]);
/// assert_eq!(y, vec![6.0, 5.0]);
/// assert_eq!(jv, vec![3.0 - 2.0, 0.0]);
/// ```
pub fn jvp<T: Scalar>(f: impl Fn(&[Dual<T>]) -> Vec<Dual<T>>, x: &[T], v: &[T]) -> (Vec<T>, Vec<T>) {
    assert_eq!(x.len(), v.len(), "jvp: x has {} elements but the direction v has {}", x.len(), v.len());
    let seeded: Vec<Dual<T>> = x.iter().zip(v).map(|(&x, &v)| Dual::new(x, v)).collect();
    f(&seeded).into_iter().map(|y| (y.re, y.eps)).unzip()
}

/// The gradient of a scalar function, by `n` forward passes (one per input).
///
/// ```
/// use wengert_dual::gradient;
///
/// // f(x, y) = x²·y
/// let g = gradient(|x| x[0] * x[0] * x[1], &[3.0, 2.0]);
/// assert_eq!(g, vec![12.0, 9.0]);
/// ```
pub fn gradient<T: Scalar>(f: impl Fn(&[Dual<T>]) -> Dual<T>, x: &[T]) -> Vec<T> {
    let mut seeded: Vec<Dual<T>> = x.iter().map(|&x| Dual::constant(x)).collect();
    (0..x.len())
        .map(|i| {
            seeded[i].eps = T::one();
            let g = f(&seeded).eps;
            seeded[i].eps = T::zero();
            g
        })
        .collect()
}

/// The Jacobian (`m` outputs × `n` inputs, rows are outputs), by `n` forward
/// passes. With no inputs, `f` is called once to learn `m`.
///
/// Panics if `f` returns a different number of outputs on different passes.
///
/// ```
/// use wengert_dual::jacobian;
/// use wengert_ops::Scalar;
///
/// // f(x, y) = (x·y, sin x, y)
/// let j = jacobian(|x| vec![x[0] * x[1], x[0].sin(), x[1]], &[0.0, 2.0]);
/// assert_eq!(j.shape(), (3, 2));
/// assert_eq!(j.row(0), &[2.0, 0.0]);
/// assert_eq!(j.row(1), &[1.0, 0.0]);
/// assert_eq!(j.row(2), &[0.0, 1.0]);
/// ```
pub fn jacobian<T: Scalar>(f: impl Fn(&[Dual<T>]) -> Vec<Dual<T>>, x: &[T]) -> Matrix<T> {
    let n = x.len();
    let mut seeded: Vec<Dual<T>> = x.iter().map(|&x| Dual::constant(x)).collect();
    if n == 0 {
        return Matrix::from_vec(f(&seeded).len(), 0, Vec::new());
    }
    let mut columns: Vec<Vec<T>> = Vec::with_capacity(n);
    for j in 0..n {
        seeded[j].eps = T::one();
        let column: Vec<T> = f(&seeded).into_iter().map(|y| y.eps).collect();
        seeded[j].eps = T::zero();
        if let Some(first) = columns.first() {
            assert_eq!(
                column.len(),
                first.len(),
                "jacobian: f returned {} outputs on pass {j} but {} on pass 0",
                column.len(),
                first.len()
            );
        }
        columns.push(column);
    }
    Matrix::from_fn(columns[0].len(), n, |i, j| columns[j][i])
}

/// Converts `x` to the `N` seeded inputs, or panics naming the caller.
fn seed_slice<const N: usize>(caller: &str, x: &[f64]) -> [DualVec<f64, N>; N] {
    let x: [f64; N] =
        x.try_into().unwrap_or_else(|_| panic!("{caller}::<{N}>: x has {} elements but N = {N}", x.len()));
    DualVec::seed(x)
}

/// The gradient of a scalar function of `N` inputs in **one** forward pass, with
/// [`DualVec<f64, N>`].
///
/// `N` is usually given by turbofish (`gradient_vec::<3>(f, &x)`), which is why
/// this helper is for `f64` only; for other element types call
/// [`DualVec::seed`] directly. Panics if `x.len() != N`.
///
/// ```
/// use wengert_dual::gradient_vec;
/// use wengert_ops::Scalar;
///
/// // f(x, y, z) = x·y·z + exp(z)
/// let g = gradient_vec::<3>(|x| x[0] * x[1] * x[2] + x[2].exp(), &[1.0, 2.0, 0.0]);
/// assert_eq!(g, vec![0.0, 0.0, 2.0 + 1.0]);
/// ```
pub fn gradient_vec<const N: usize>(f: impl Fn(&[DualVec<f64, N>]) -> DualVec<f64, N>, x: &[f64]) -> Vec<f64> {
    let seeded = seed_slice("gradient_vec", x);
    f(&seeded).eps.to_vec()
}

/// The Jacobian (rows are outputs) of a function of `N` inputs in **one** forward
/// pass, with [`DualVec<f64, N>`]. Panics if `x.len() != N`.
///
/// ```
/// use wengert_dual::jacobian_vec;
///
/// // f(x, y) = (x·y, x - y)
/// let j = jacobian_vec::<2>(|x| vec![x[0] * x[1], x[0] - x[1]], &[3.0, 4.0]);
/// assert_eq!(j.row(0), &[4.0, 3.0]);
/// assert_eq!(j.row(1), &[1.0, -1.0]);
/// ```
pub fn jacobian_vec<const N: usize>(f: impl Fn(&[DualVec<f64, N>]) -> Vec<DualVec<f64, N>>, x: &[f64]) -> Matrix<f64> {
    let seeded = seed_slice("jacobian_vec", x);
    let outputs = f(&seeded);
    Matrix::from_fn(outputs.len(), N, |i, j| outputs[i].eps[j])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "gradient_vec::<3>: x has 2 elements but N = 3")]
    fn gradient_vec_rejects_wrong_length() {
        let _ = gradient_vec::<3>(|x| x[0], &[1.0, 2.0]);
    }

    #[test]
    #[should_panic(expected = "jacobian_vec::<2>: x has 3 elements but N = 2")]
    fn jacobian_vec_rejects_wrong_length() {
        let _ = jacobian_vec::<2>(|x| x.to_vec(), &[1.0, 2.0, 3.0]);
    }

    #[test]
    #[should_panic(expected = "jvp: x has 2 elements but the direction v has 1")]
    fn jvp_rejects_mismatched_direction() {
        let _ = jvp(|x| x.to_vec(), &[1.0, 2.0], &[1.0]);
    }

    #[test]
    #[should_panic(expected = "jacobian: f returned")]
    fn jacobian_rejects_varying_output_count() {
        let _ = jacobian(|x| if x[1].eps == 1.0 { vec![x[0]] } else { x.to_vec() }, &[1.0, 2.0]);
    }

    #[test]
    fn empty_inputs() {
        assert!(gradient(|_| Dual::constant(1.0), &[]).is_empty());
        let j = jacobian(|_| vec![Dual::constant(1.0), Dual::constant(2.0)], &[]);
        assert_eq!(j.shape(), (2, 0));
        assert!(gradient_vec::<0>(|_| DualVec::constant(3.0), &[]).is_empty());
    }

    #[test]
    fn gradient_restores_the_seed_between_passes() {
        // If a seed leaked into the next pass, the later partials would be sums.
        let g = gradient(|x| x[0] * 10.0 + x[1] * 100.0 + x[2], &[0.0, 0.0, 0.0]);
        assert_eq!(g, vec![10.0, 100.0, 1.0]);
    }

    #[test]
    fn generic_over_the_element_type() {
        // Gradient of a gradient component: forward-over-forward with T = Dual<f64>.
        // f(x, y) = x²y; ∂f/∂x = 2xy; d/dy along y of that at (3, 2) = 2x = 6.
        let x = [Dual::constant(3.0), Dual::variable(2.0)];
        let g = gradient(|v| v[0] * v[0] * v[1], &x);
        assert_eq!((g[0].re, g[0].eps), (12.0, 6.0));
        assert_eq!((g[1].re, g[1].eps), (9.0, 0.0));
        let d = derivative(|t| t.powi(2), 3.0f32);
        assert_eq!(d, 6.0f32);
    }
}
