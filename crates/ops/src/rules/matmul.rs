//! Matrix product, with either operand optionally transposed without
//! materializing the transpose.

use crate::matrix::{shape_str, Matrix};
use crate::scalar::Scalar;

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
