//! Matrix-calculus ops on square matrices: trace, determinant, log-determinant,
//! inverse and linear solve, all through the LU factorization in
//! [`crate::linalg`].
//!
//! VJPs (with `G` the upstream adjoint, `g` when it is `1 × 1`):
//! `trace`: `g·I`; `det`: `g·det(X)·X⁻ᵀ`; `logdet`: `g·X⁻ᵀ`;
//! `inverse` (`Y = X⁻¹`): `−Yᵀ·G·Yᵀ`; `solve` (`X = A⁻¹B`): `G_B = A⁻ᵀ·G`,
//! `G_A = −G_B·Xᵀ`. The backward passes refactor the input instead of keeping the
//! factors, so an op stays a small value the tape can hold.
//!
//! # Panics
//!
//! On a non-square matrix (with the op name and shape), and on a singular one:
//! `logdet`, `inverse` and `solve` panic in the forward pass with
//! `<op>: matrix is singular …`. `det` of a singular matrix is a valid value (0)
//! but its gradient (the adjugate) is not computed: its backward pass panics
//! with `det: matrix is singular …`.

use crate::linalg::{self, LinalgError, Lu};
use crate::matrix::{shape_str, Matrix};
use crate::rules::matmul::matmul_into;
use crate::scalar::Scalar;

/// Shape check of the square-matrix ops: panics as `det: (2×3) is not square`.
pub fn square_shape(name: &str, x: (usize, usize)) -> (usize, usize) {
    assert!(x.0 == x.1, "{name}: {} is not square", shape_str(x));
    x
}

/// Shape check of `solve(A, B)`: `A` square, `B` with as many rows; output `B`'s shape.
pub fn solve_shape(a: (usize, usize), b: (usize, usize)) -> (usize, usize) {
    square_shape("solve", a);
    assert!(b.0 == a.0, "solve: {}⁻¹·{}: right-hand side needs {} rows", shape_str(a), shape_str(b), a.0);
    b
}

/// Factors `x` for op `name`, panicking with a clear message if it is singular.
fn lu_or_panic<T: Scalar>(name: &str, x: &Matrix<T>) -> Lu<T> {
    match linalg::lu(x) {
        Ok(f) => f,
        Err(LinalgError::Singular { column }) => {
            panic!("{name}: matrix is singular (pivot {column} vanished), {} has no inverse", shape_str(x.shape()))
        }
        Err(e) => panic!("{name}: {e}"),
    }
}

/// `out = Σᵢ xᵢᵢ`.
pub fn trace_forward<T: Scalar>(x: &Matrix<T>, out: &mut [T]) {
    let n = x.rows();
    out[0] = (0..n).fold(T::zero(), |acc, i| acc + x.as_slice()[i * n + i]);
}

/// `gx += g·I`.
pub fn trace_vjp<T: Scalar>(n: usize, g: &[T], gx: &mut [T]) {
    for i in 0..n {
        gx[i * n + i] += g[0];
    }
}

/// `out = det(x)` (0, or within rounding of it, for a singular matrix).
pub fn det_forward<T: Scalar>(x: &Matrix<T>, out: &mut [T]) {
    out[0] = linalg::det(x).unwrap_or_else(|e| panic!("det: {e}"));
}

/// `gx += g·det·X⁻ᵀ`, with `det` the forward value. Panics if `x` is singular.
pub fn det_vjp<T: Scalar>(x: &Matrix<T>, det: T, g: &[T], gx: &mut [T]) {
    let inv_t = lu_or_panic("det", x).inverse_transpose();
    let s = g[0] * det;
    gx.iter_mut().zip(inv_t.iter()).for_each(|(gx, &v)| *gx += s * v);
}

/// `out = ln|det(x)|`. The sign of the determinant is dropped (use `det` to read
/// it); for a matrix known to have a positive determinant this is `ln det(x)`.
/// Panics if `x` is singular.
pub fn logdet_forward<T: Scalar>(x: &Matrix<T>, out: &mut [T]) {
    out[0] = lu_or_panic("logdet", x).ln_abs_det();
}

/// `gx += g·X⁻ᵀ` (the same for either sign of the determinant).
pub fn logdet_vjp<T: Scalar>(x: &Matrix<T>, g: &[T], gx: &mut [T]) {
    let inv_t = lu_or_panic("logdet", x).inverse_transpose();
    gx.iter_mut().zip(inv_t.iter()).for_each(|(gx, &v)| *gx += g[0] * v);
}

/// `out = x⁻¹`. Panics if `x` is singular.
pub fn inverse_forward<T: Scalar>(x: &Matrix<T>, out: &mut [T]) {
    out.copy_from_slice(lu_or_panic("inverse", x).inverse().as_slice());
}

/// `gx += −Yᵀ·G·Yᵀ` with `Y = x⁻¹` the forward value.
pub fn inverse_vjp<T: Scalar>(y: &Matrix<T>, g: &[T], gx: &mut [T]) {
    let n = y.rows();
    let g = Matrix::from_vec(n, n, g.to_vec());
    let mut tmp = vec![T::zero(); n * n];
    matmul_into(false, y, true, &g, false, &mut tmp);
    let tmp = Matrix::from_vec(n, n, tmp);
    let mut prod = vec![T::zero(); n * n];
    matmul_into(false, &tmp, false, y, true, &mut prod);
    gx.iter_mut().zip(prod).for_each(|(gx, v)| *gx -= v);
}

/// `out = A⁻¹·B`. Panics if `A` is singular.
pub fn solve_forward<T: Scalar>(a: &Matrix<T>, b: &Matrix<T>, out: &mut [T]) {
    let x = lu_or_panic("solve", a).solve(b).unwrap_or_else(|e| panic!("solve: {e}"));
    out.copy_from_slice(x.as_slice());
}

/// `gb += A⁻ᵀ·G` and `ga += −(A⁻ᵀ·G)·Xᵀ`, with `X` the forward value.
pub fn solve_vjp<T: Scalar>(a: &Matrix<T>, x: &Matrix<T>, g: &[T], ga: Option<&mut [T]>, gb: Option<&mut [T]>) {
    if ga.is_none() && gb.is_none() {
        return;
    }
    let g = Matrix::from_vec(x.rows(), x.cols(), g.to_vec());
    let g_b = lu_or_panic("solve", a).solve_transpose(&g).unwrap_or_else(|e| panic!("solve: {e}"));
    if let Some(gb) = gb {
        gb.iter_mut().zip(g_b.iter()).for_each(|(gb, &v)| *gb += v);
    }
    if let Some(ga) = ga {
        let n = a.rows();
        let mut prod = vec![T::zero(); n * n];
        matmul_into(false, &g_b, false, x, true, &mut prod);
        ga.iter_mut().zip(prod).for_each(|(ga, v)| *ga -= v);
    }
}
