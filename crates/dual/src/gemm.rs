//! The matrix product of dual-number matrices, split into products of the
//! element type.
//!
//! `(Aᵣ + εAₑ)(Bᵣ + εBₑ) = AᵣBᵣ + ε(AᵣBₑ + AₑBᵣ)`, since `ε² = 0`. Three products of
//! plain matrices replace one product of dual numbers, so `Dual<f64>` matrices
//! use the tuned `f64` kernel (and nested duals recurse). The planes are copied
//! out once per call: `O(mk + kn + mn)` against the `O(mnk)` product.

use wengert_ops::kernels::{gemm_fallback, SMALL_GEMM_FLOPS};
use wengert_ops::{Scalar, Strided};

use crate::Dual;

/// Copies the real and tangent parts of an `rows × cols` strided view into two
/// row-major planes.
fn planes<T: Scalar>(v: Strided<'_, Dual<T>>, rows: usize, cols: usize) -> (Vec<T>, Vec<T>) {
    let mut re = Vec::with_capacity(rows * cols);
    let mut eps = Vec::with_capacity(rows * cols);
    for i in 0..rows {
        for j in 0..cols {
            let d = v.at(i, j);
            re.push(d.re);
            eps.push(d.eps);
        }
    }
    (re, eps)
}

fn view<T>(data: &[T], cols: usize) -> Strided<'_, T> {
    Strided { data, row_stride: cols, col_stride: 1 }
}

/// `c (+)= a·b` on dual numbers; same contract as [`Scalar::gemm`].
pub(crate) fn dual_gemm<T: Scalar>(
    accumulate: bool,
    m: usize,
    n: usize,
    k: usize,
    a: Strided<'_, Dual<T>>,
    b: Strided<'_, Dual<T>>,
    c: &mut [Dual<T>],
) {
    assert_eq!(c.len(), m * n, "gemm: output buffer holds {} elements, expected {m}×{n}", c.len());
    if m.saturating_mul(n).saturating_mul(k) < SMALL_GEMM_FLOPS {
        return gemm_fallback(accumulate, m, n, k, a, b, c);
    }
    let (ar, ae) = planes(a, m, k);
    let (br, be) = planes(b, k, n);
    let mut re = vec![T::zero(); m * n];
    let mut eps = vec![T::zero(); m * n];
    T::gemm(false, m, n, k, view(&ar, k), view(&br, n), &mut re);
    T::gemm(false, m, n, k, view(&ar, k), view(&be, n), &mut eps);
    T::gemm(true, m, n, k, view(&ae, k), view(&br, n), &mut eps);
    for ((c, r), e) in c.iter_mut().zip(re).zip(eps) {
        if accumulate {
            c.re += r;
            c.eps += e;
        } else {
            *c = Dual::new(r, e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wengert_ops::Matrix;

    fn dual_matrix(r: usize, c: usize, seed: f64) -> Matrix<Dual<f64>> {
        Matrix::from_fn(r, c, |i, j| {
            let x = (i * c + j) as f64 + seed;
            Dual::new((x * 0.37).sin(), (x * 0.73).cos())
        })
    }

    #[test]
    fn split_product_equals_the_portable_loop() {
        for &(m, n, k) in &[(13, 9, 11), (1, 40, 30), (40, 1, 30), (64, 32, 50)] {
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                let a = if ta { dual_matrix(k, m, 1.0) } else { dual_matrix(m, k, 1.0) };
                let b = if tb { dual_matrix(n, k, 2.0) } else { dual_matrix(k, n, 2.0) };
                for accumulate in [false, true] {
                    let start = dual_matrix(m, n, 3.0);
                    let mut fast = start.as_slice().to_vec();
                    let mut slow = start.as_slice().to_vec();
                    dual_gemm(accumulate, m, n, k, a.view(ta), b.view(tb), &mut fast);
                    gemm_fallback(accumulate, m, n, k, a.view(ta), b.view(tb), &mut slow);
                    for (x, y) in fast.iter().zip(&slow) {
                        assert!((x.re - y.re).abs() < 1e-12 && (x.eps - y.eps).abs() < 1e-12, "{x:?} vs {y:?}");
                    }
                }
            }
        }
    }
}
