//! The matrix product of dual-number matrices, split into products of the
//! element type.
//!
//! `(Aᵣ + εAₑ)(Bᵣ + εBₑ) = AᵣBᵣ + ε(AᵣBₑ + AₑBᵣ)`, since `ε² = 0`. Products of
//! plain matrices replace one product of dual numbers, so `Dual<f64>` matrices
//! use the tuned `f64` kernel (and nested duals recurse). The input planes are not
//! copied: a slice of `#[repr(C)]` duals is a slice of `T` with the real and
//! tangent parts interleaved, so each plane is a strided view with doubled
//! strides over the same memory.
//!
//! When `B` is row-major (unit column stride) its memory *is* the `k × 2n`
//! matrix `[Bᵣ Bₑ]` with the columns of the two planes interleaved, and
//! `Aᵣ·[Bᵣ Bₑ]` is then `[AᵣBᵣ AᵣBₑ]` interleaved the same way — the dual
//! output itself. So both of `Aᵣ`'s products are one real product of twice
//! the width, written straight into the output: `Aᵣ` is packed once, `B` is
//! read contiguously, and nothing is copied. This is the common case of
//! forward-over-reverse through a network: the data batch `X` is a constant
//! (`Aₑ = 0`, so it is the only product), on the left of `X·W` in the forward
//! pass and of `Xᵀ·δ` in the backward pass.

use wengert_ops::kernels::{gemm_fallback, SMALL_GEMM_FLOPS};
use wengert_ops::{Scalar, Strided};

use crate::Dual;

/// The real and tangent planes of a strided view of duals, as strided views of
/// `T` over the same memory, and whether the tangent plane is all zeros (a
/// constant operand such as a data batch, whose product can then be skipped).
fn planes<T: Scalar>(v: Strided<'_, Dual<T>>) -> (Strided<'_, T>, Strided<'_, T>, bool) {
    let flat = as_interleaved(v.data);
    let eps_zero = v.data.iter().all(|d| d.eps == T::zero());
    let (rs, cs) = (2 * v.row_stride, 2 * v.col_stride);
    // Element (i, j) of the view is `data[i·rs + j·cs]`, i.e. `flat[2(i·rs + j·cs)]`
    // (re) and the element after it (eps). An empty view has no elements to read.
    let eps = if flat.is_empty() { flat } else { &flat[1..] };
    (
        Strided { data: flat, row_stride: rs, col_stride: cs },
        Strided { data: eps, row_stride: rs, col_stride: cs },
        eps_zero,
    )
}

/// `[Dual { re, eps }, …]` viewed as `[re, eps, re, eps, …]`.
fn as_interleaved<T>(duals: &[Dual<T>]) -> &[T] {
    // SAFETY: `Dual<T>` is `#[repr(C)]` with exactly two fields of type `T`, so its
    // size is `2 · size_of::<T>()` (two fields of one type leave no padding: the
    // second starts at `size_of::<T>()`, a multiple of `align_of::<T>()`), its
    // alignment is `align_of::<T>()`, and `re`, `eps` sit at offsets 0 and
    // `size_of::<T>()`. Hence `len` duals are `2·len` properly aligned,
    // initialized `T`s at the same address; the returned slice borrows `duals`,
    // so it cannot outlive or alias a mutable borrow of it.
    unsafe { std::slice::from_raw_parts(duals.as_ptr().cast::<T>(), 2 * duals.len()) }
}

/// `[Dual { re, eps }, …]` viewed as `[re, eps, re, eps, …]`, writable.
fn as_interleaved_mut<T>(duals: &mut [Dual<T>]) -> &mut [T] {
    // SAFETY: the layout argument of `as_interleaved` (same size, alignment and
    // field offsets) makes `2·len` initialized `T`s at the same address, and
    // every bit pattern written through the result is a valid `T`, hence leaves
    // valid `Dual<T>`s behind. The result reborrows `duals` mutably for its
    // lifetime, so nothing else can read or write those duals meanwhile.
    unsafe { std::slice::from_raw_parts_mut(duals.as_mut_ptr().cast::<T>(), 2 * duals.len()) }
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
    let (ar, ae, ae_zero) = planes(a);
    let (br, be, be_zero) = planes(b);
    if b.col_stride == 1 && !be_zero {
        // `B`'s memory is `[Bᵣ Bₑ]` (k × 2n, columns interleaved) and `c`'s is
        // `[Cᵣ Cₑ]` likewise (see the module docs): element (l, 2j + p) of the
        // first is at 2(l·rs + j) + p = l·2rs + (2j + p).
        let interleaved_b = Strided { data: as_interleaved(b.data), row_stride: 2 * b.row_stride, col_stride: 1 };
        T::gemm(accumulate, m, 2 * n, k, ar, interleaved_b, as_interleaved_mut(c));
        if !ae_zero {
            let mut eps = vec![T::zero(); m * n];
            T::gemm(false, m, n, k, ae, br, &mut eps);
            for (c, e) in c.iter_mut().zip(eps) {
                c.eps += e;
            }
        }
        return;
    }
    let mut re = vec![T::zero(); m * n];
    let mut eps = vec![T::zero(); m * n];
    T::gemm(false, m, n, k, ar, br, &mut re);
    // A zero tangent plane contributes exactly zero: skip its product.
    if !be_zero {
        T::gemm(true, m, n, k, ar, be, &mut eps);
    }
    if !ae_zero {
        T::gemm(true, m, n, k, ae, br, &mut eps);
    }
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
    #[test]
    fn interleaved_view_reads_real_and_tangent_parts() {
        let duals = [Dual::new(1.0, 2.0), Dual::new(3.0, 4.0), Dual::new(5.0, 6.0)];
        assert_eq!(super::as_interleaved(&duals), &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let nested = [Dual::new(Dual::new(1.0, 2.0), Dual::new(3.0, 4.0))];
        assert_eq!(super::as_interleaved(&nested), &[Dual::new(1.0, 2.0), Dual::new(3.0, 4.0)]);
        assert_eq!(std::mem::size_of::<Dual<f32>>(), 8);
        let empty: [Dual<f64>; 0] = [];
        assert!(super::as_interleaved(&empty).is_empty());
        let mut writable = duals;
        super::as_interleaved_mut(&mut writable)[3] = 9.0;
        assert_eq!(writable[1], Dual::new(3.0, 9.0));
    }

    use super::*;
    use wengert_ops::Matrix;

    fn dual_matrix(r: usize, c: usize, seed: f64) -> Matrix<Dual<f64>> {
        Matrix::from_fn(r, c, |i, j| {
            let x = (i * c + j) as f64 + seed;
            Dual::new((x * 0.37).sin(), (x * 0.73).cos())
        })
    }

    #[test]
    fn constant_operands_skip_their_product_and_stay_exact() {
        let a = dual_matrix(20, 30, 1.0).map(|d| Dual::constant(d.re));
        let b = dual_matrix(30, 10, 2.0);
        // Constant on the left (one product of twice the width when the right
        // operand is row-major) and on the right, each way of transposing,
        // overwriting and accumulating.
        for (p, q) in [(&a, &b), (&b.transpose(), &a.transpose())] {
            let (m, k, n) = (p.rows(), p.cols(), q.cols());
            for (tx, ty) in [(false, false), (true, false), (false, true), (true, true)] {
                // Stored transposed and viewed transposed: the same operands.
                let x = if tx { p.transpose() } else { p.clone() };
                let y = if ty { q.transpose() } else { q.clone() };
                for accumulate in [false, true] {
                    let start = dual_matrix(m, n, 3.0);
                    let mut fast = start.as_slice().to_vec();
                    let mut slow = fast.clone();
                    dual_gemm(accumulate, m, n, k, x.view(tx), y.view(ty), &mut fast);
                    gemm_fallback(accumulate, m, n, k, x.view(tx), y.view(ty), &mut slow);
                    for (p, q) in fast.iter().zip(&slow) {
                        assert!((p.re - q.re).abs() < 1e-12 && (p.eps - q.eps).abs() < 1e-12, "{p:?} vs {q:?}");
                    }
                }
            }
        }
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
