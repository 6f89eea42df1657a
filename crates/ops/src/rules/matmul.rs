//! Matrix product, with either operand optionally transposed without
//! materializing the transpose.

use crate::matrix::{shape_str, Matrix};
use crate::scalar::{Scalar, Strided};

/// Shape of `op(a)·op(b)` where `op` transposes when its flag is set; panics with
/// both shapes when the inner dimensions differ.
pub fn matmul_shape(a: (usize, usize), ta: bool, b: (usize, usize), tb: bool) -> (usize, usize) {
    let (m, ka) = if ta { (a.1, a.0) } else { a };
    let (kb, n) = if tb { (b.1, b.0) } else { b };
    if ka != kb {
        let name = match (ta, tb) {
            (false, false) => "matmul",
            (true, false) => "matmul_tn",
            (false, true) => "matmul_nt",
            (true, true) => "matmul_tt",
        };
        panic!("{name}: {}·{}: inner dimensions {ka} and {kb} differ", shape_str(a), shape_str(b));
    }
    (m, n)
}

/// `out (+)= op(a)·op(b)` into a row-major slice of the product's shape.
pub fn matmul_into<T: Scalar>(accumulate: bool, a: &Matrix<T>, ta: bool, b: &Matrix<T>, tb: bool, out: &mut [T]) {
    let (m, n) = matmul_shape(a.shape(), ta, b.shape(), tb);
    let k = if ta { a.rows() } else { a.cols() };
    T::gemm(accumulate, m, n, k, a.view(ta), b.view(tb), out);
}

/// `op(a)·op(b)` as a new matrix.
pub fn matmul_forward<T: Scalar>(a: &Matrix<T>, ta: bool, b: &Matrix<T>, tb: bool) -> Matrix<T> {
    let (m, n) = matmul_shape(a.shape(), ta, b.shape(), tb);
    let mut out = vec![T::zero(); m * n];
    matmul_into(false, a, ta, b, tb, &mut out);
    Matrix::from_vec(m, n, out)
}

/// A strided view of a row-major `rows × cols` buffer, transposed if asked.
fn slice_view<T>(data: &[T], cols: usize, transposed: bool) -> Strided<'_, T> {
    if transposed {
        Strided { data, row_stride: 1, col_stride: cols }
    } else {
        Strided { data, row_stride: cols, col_stride: 1 }
    }
}

/// VJP of `C = op(a)·op(b)`: accumulates `ga += ∂L/∂a` and `gb += ∂L/∂b` given
/// `g = ∂L/∂C`, straight into the gradient buffers (the kernel accumulates), and
/// without materializing any transpose:
///
/// * `ga = G·op(b)ᵀ` (or its transpose `op(b)·Gᵀ` when `ta`),
/// * `gb = op(a)ᵀ·G` (or its transpose `Gᵀ·op(a)` when `tb`).
pub fn matmul_vjp<T: Scalar>(
    a: &Matrix<T>,
    ta: bool,
    b: &Matrix<T>,
    tb: bool,
    g: &[T],
    ga: Option<&mut [T]>,
    gb: Option<&mut [T]>,
) {
    let (m, n) = matmul_shape(a.shape(), ta, b.shape(), tb);
    let k = if ta { a.rows() } else { a.cols() };
    // G is m×n row-major.
    if let Some(ga) = ga {
        if ta {
            // a is k×m: ga = op(b)·Gᵀ, (k×n)·(n×m).
            T::gemm(true, k, m, n, b.view(tb), slice_view(g, n, true), ga);
        } else {
            // a is m×k: ga = G·op(b)ᵀ, (m×n)·(n×k).
            T::gemm(true, m, k, n, slice_view(g, n, false), b.view(!tb), ga);
        }
    }
    if let Some(gb) = gb {
        if tb {
            // b is n×k: gb = Gᵀ·op(a), (n×m)·(m×k).
            T::gemm(true, n, k, m, slice_view(g, n, true), a.view(ta), gb);
        } else {
            // b is k×n: gb = op(a)ᵀ·G, (k×m)·(m×n).
            T::gemm(true, k, n, m, a.view(!ta), slice_view(g, n, false), gb);
        }
    }
}
