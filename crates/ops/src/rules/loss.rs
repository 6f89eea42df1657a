//! Losses, each reducing to a `1 × 1` matrix.
//!
//! Why fused: the cross-entropies are computed from logits in one op, not as
//! `−Σ y·ln(softmax(z))` or `ln(sigmoid(z))` chains, because the chains overflow
//! or take `ln 0` for large logits, and their composed gradients are both slower
//! and less accurate than the closed forms used here (`p − onehot`, `σ(z) − y`).
//!
//! Averaging conventions: `softmax_cross_entropy*` average over rows (examples);
//! `bce_with_logits` and `mse` over all elements; `masked_mse` over the entries
//! whose mask is set (a weighted mean `Σ m·d² / Σ m` for general masks, 0 when
//! the mask is all zero so an empty minibatch contributes nothing). A mean over
//! zero rows or elements is NaN.

use crate::matrix::{shape_str, Matrix};
use crate::rules::softmax::row_max_lse;
use crate::scalar::Scalar;

fn same_shape(name: &str, a: (usize, usize), b: (usize, usize)) {
    assert!(a == b, "{name}: {} and {} must have the same shape", shape_str(a), shape_str(b));
}

/// Shape check of `softmax_cross_entropy`: one label per row, each a valid class.
pub fn softmax_cross_entropy_shape(logits: (usize, usize), labels: &[usize]) -> (usize, usize) {
    assert!(
        labels.len() == logits.0,
        "softmax_cross_entropy: {} logits but {} labels",
        shape_str(logits),
        labels.len()
    );
    if let Some(&bad) = labels.iter().find(|&&c| c >= logits.1) {
        panic!("softmax_cross_entropy: label {bad} out of range for {} classes in {}", logits.1, shape_str(logits));
    }
    (1, 1)
}

/// `L = (1/N) Σᵢ (logsumexp(zᵢ) − zᵢ,yᵢ)`.
pub fn softmax_cross_entropy_forward<T: Scalar>(z: &Matrix<T>, labels: &[usize], out: &mut [T]) {
    let mut total = T::zero();
    for (row, &c) in z.row_iter().zip(labels) {
        let (m, ln_s) = row_max_lse(row);
        total += m + ln_s - row[c];
    }
    out[0] = total * T::from_f64(1.0 / z.rows() as f64);
}

/// `gz += g·(softmax(z) − onehot(y)) / N`.
///
/// Per row the maximum `M`, then `eⱼ = e^{zⱼ − M}` and their sum `S`, then
/// `gzⱼ += (g/N)·eⱼ/S` and `gz_y −= g/N`. One exponential per logit for rows of
/// up to 64 classes (kept in a stack buffer), two for wider rows; no allocation
/// either way.
pub fn softmax_cross_entropy_vjp<T: Scalar>(z: &Matrix<T>, labels: &[usize], g: &[T], gz: &mut [T]) {
    /// Rows up to this many classes keep their exponentials in a stack buffer
    /// (one `exp` per logit, no allocation: the tape promises allocation-free
    /// training steps); wider rows compute each exponential twice instead.
    const STACK_ROW: usize = 64;
    let n = z.cols();
    if n == 0 {
        return;
    }
    let s = g[0] * T::from_f64(1.0 / z.rows() as f64);
    let mut e = [T::zero(); STACK_ROW];
    for ((row, &c), gr) in z.row_iter().zip(labels).zip(gz.chunks_exact_mut(n)) {
        let mut m = row[0];
        for &v in &row[1..] {
            if v.value() > m.value() {
                m = v;
            }
        }
        if n <= STACK_ROW {
            let e = &mut e[..n];
            let mut sum = T::zero();
            for (e, &v) in e.iter_mut().zip(row) {
                *e = (v - m).exp();
                sum += *e;
            }
            let k = s / sum;
            for (gz, &e) in gr.iter_mut().zip(e.iter()) {
                *gz += k * e;
            }
        } else {
            let sum = row.iter().fold(T::zero(), |acc, &v| acc + (v - m).exp());
            let k = s / sum;
            for (gz, &v) in gr.iter_mut().zip(row) {
                *gz += k * (v - m).exp();
            }
        }
        gr[c] -= s;
    }
}

/// Shape check of `softmax_cross_entropy_soft`: logits and targets alike.
pub fn softmax_cross_entropy_soft_shape(z: (usize, usize), t: (usize, usize)) -> (usize, usize) {
    same_shape("softmax_cross_entropy_soft", z, t);
    (1, 1)
}

/// `L = −(1/N) Σᵢⱼ tᵢⱼ log_softmax(zᵢ)ⱼ`.
pub fn softmax_cross_entropy_soft_forward<T: Scalar>(z: &Matrix<T>, t: &Matrix<T>, out: &mut [T]) {
    let mut total = T::zero();
    for (zr, tr) in z.row_iter().zip(t.row_iter()) {
        let (m, ln_s) = row_max_lse(zr);
        for (&v, &t) in zr.iter().zip(tr) {
            total -= t * (v - m - ln_s);
        }
    }
    out[0] = total * T::from_f64(1.0 / z.rows() as f64);
}

/// `gz += g·((Σⱼ tᵢⱼ)·softmax(zᵢ) − tᵢ) / N` and `gt += −g·log_softmax(z) / N`.
/// (For targets that sum to 1 per row the first is the familiar `p − t`.)
pub fn softmax_cross_entropy_soft_vjp<T: Scalar>(
    z: &Matrix<T>,
    t: &Matrix<T>,
    g: &[T],
    mut gz: Option<&mut [T]>,
    mut gt: Option<&mut [T]>,
) {
    let n = z.cols();
    let s = g[0] * T::from_f64(1.0 / z.rows() as f64);
    for (i, (zr, tr)) in z.row_iter().zip(t.row_iter()).enumerate() {
        let (m, ln_s) = row_max_lse(zr);
        let tsum = tr.iter().fold(T::zero(), |acc, &t| acc + t);
        for j in 0..n {
            let lp = zr[j] - m - ln_s;
            if let Some(gz) = gz.as_deref_mut() {
                gz[i * n + j] += s * (tsum * lp.exp() - tr[j]);
            }
            if let Some(gt) = gt.as_deref_mut() {
                gt[i * n + j] -= s * lp;
            }
        }
    }
}

/// Shape check of `bce_with_logits`: logits and targets alike.
pub fn bce_with_logits_shape(z: (usize, usize), y: (usize, usize)) -> (usize, usize) {
    same_shape("bce_with_logits", z, y);
    (1, 1)
}

/// `L = mean(ln(1 + e^{−|z|}) + max(z, 0) − y·z)` (= `mean(softplus(z) − y·z)`).
pub fn bce_with_logits_forward<T: Scalar>(z: &Matrix<T>, y: &Matrix<T>, out: &mut [T]) {
    let total = z.iter().zip(y.iter()).fold(T::zero(), |acc, (&z, &y)| acc + z.softplus() - y * z);
    out[0] = total * T::from_f64(1.0 / z.len() as f64);
}

/// `gz += g·(σ(z) − y) / count`, `gy += −g·z / count`.
pub fn bce_with_logits_vjp<T: Scalar>(
    z: &Matrix<T>,
    y: &Matrix<T>,
    g: &[T],
    gz: Option<&mut [T]>,
    gy: Option<&mut [T]>,
) {
    let s = g[0] * T::from_f64(1.0 / z.len() as f64);
    if let Some(gz) = gz {
        for ((gz, &z), &y) in gz.iter_mut().zip(z.iter()).zip(y.iter()) {
            *gz += s * (z.sigmoid() - y);
        }
    }
    if let Some(gy) = gy {
        for (gy, &z) in gy.iter_mut().zip(z.iter()) {
            *gy -= s * z;
        }
    }
}

/// Shape check of `mse`: both operands alike.
pub fn mse_shape(a: (usize, usize), b: (usize, usize)) -> (usize, usize) {
    same_shape("mse", a, b);
    (1, 1)
}

/// `L = mean((a − b)²)`.
pub fn mse_forward<T: Scalar>(a: &Matrix<T>, b: &Matrix<T>, out: &mut [T]) {
    let total = a.iter().zip(b.iter()).fold(T::zero(), |acc, (&a, &b)| acc + (a - b).square());
    out[0] = total * T::from_f64(1.0 / a.len() as f64);
}

/// `ga += 2g·(a − b)/count`, `gb −= 2g·(a − b)/count`.
pub fn mse_vjp<T: Scalar>(a: &Matrix<T>, b: &Matrix<T>, g: &[T], mut ga: Option<&mut [T]>, mut gb: Option<&mut [T]>) {
    let s = g[0] * T::from_f64(2.0 / a.len() as f64);
    for (k, (&x, &y)) in a.iter().zip(b.iter()).enumerate() {
        let d = s * (x - y);
        if let Some(ga) = ga.as_deref_mut() {
            ga[k] += d;
        }
        if let Some(gb) = gb.as_deref_mut() {
            gb[k] -= d;
        }
    }
}

/// Shape check of `masked_mse`: prediction, target and mask alike.
pub fn masked_mse_shape(a: (usize, usize), b: (usize, usize), mask: (usize, usize)) -> (usize, usize) {
    same_shape("masked_mse", a, b);
    same_shape("masked_mse", a, mask);
    (1, 1)
}

/// `(Σ m·d², Σ m)` with `d = a − b`.
fn masked_sums<T: Scalar>(a: &Matrix<T>, b: &Matrix<T>, mask: &Matrix<T>) -> (T, T) {
    a.iter()
        .zip(b.iter())
        .zip(mask.iter())
        .fold((T::zero(), T::zero()), |(s, c), ((&a, &b), &m)| (s + m * (a - b).square(), c + m))
}

/// `L = Σ m·(a − b)² / Σ m`: the mean squared error over observed entries
/// (`m = 1`), 0 if none is observed.
pub fn masked_mse_forward<T: Scalar>(a: &Matrix<T>, b: &Matrix<T>, mask: &Matrix<T>, out: &mut [T]) {
    let (s, c) = masked_sums(a, b, mask);
    out[0] = if c.value() == 0.0 { T::zero() } else { s / c };
}

/// With `M = Σ m` and `L` the loss: `ga += 2g·m·d/M`, `gb −= 2g·m·d/M`,
/// `gmask += g·(d² − L)/M` (the mask's derivative, exact for the weighted mean;
/// usually the mask is data and its slot is `None`). Nothing when `M = 0`.
pub fn masked_mse_vjp<T: Scalar>(
    a: &Matrix<T>,
    b: &Matrix<T>,
    mask: &Matrix<T>,
    g: &[T],
    grads: [Option<&mut [T]>; 3],
) {
    let (s, c) = masked_sums(a, b, mask);
    if c.value() == 0.0 {
        return;
    }
    let loss = s / c;
    let gs = g[0] / c;
    let [mut ga, mut gb, mut gm] = grads;
    for (k, ((&x, &y), &m)) in a.iter().zip(b.iter()).zip(mask.iter()).enumerate() {
        let d = x - y;
        let gd = gs * m * d * T::from_f64(2.0);
        if let Some(ga) = ga.as_deref_mut() {
            ga[k] += gd;
        }
        if let Some(gb) = gb.as_deref_mut() {
            gb[k] -= gd;
        }
        if let Some(gm) = gm.as_deref_mut() {
            gm[k] += gs * (d * d - loss);
        }
    }
}

/// `L = ½ Σ x²`.
pub fn l2_penalty_forward<T: Scalar>(x: &Matrix<T>, out: &mut [T]) {
    out[0] = x.iter().fold(T::zero(), |acc, &v| acc + v * v) * T::from_f64(0.5);
}

/// `gx += g·x`.
pub fn l2_penalty_vjp<T: Scalar>(x: &Matrix<T>, g: &[T], gx: &mut [T]) {
    gx.iter_mut().zip(x.iter()).for_each(|(gx, &v)| *gx += g[0] * v);
}
