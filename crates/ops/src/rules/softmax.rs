//! Row-wise softmax and log-softmax.
//!
//! Stability: each row's maximum is subtracted before exponentiating, so the
//! largest exponent is `e⁰ = 1`, nothing overflows, and the row sum is at least 1.
//! Log-softmax is computed as `x − max − ln Σ e^{x − max}`, never as `ln(softmax)`,
//! so it is finite for every finite input (a softmax entry can underflow to 0,
//! its logarithm cannot be −∞ this way).

use crate::matrix::Matrix;
use crate::scalar::Scalar;

/// `(max, ln Σ e^{x − max})` of a non-empty row, in `T` arithmetic.
/// `max + ln_sum` is the row's log-sum-exp.
pub(crate) fn row_max_lse<T: Scalar>(row: &[T]) -> (T, T) {
    let mut m = row[0];
    for &v in &row[1..] {
        if v.value() > m.value() {
            m = v;
        }
    }
    let s = row.iter().fold(T::zero(), |acc, &v| acc + (v - m).exp());
    (m, s.ln())
}

/// `out[i, :] = softmax(x[i, :])`.
pub fn softmax_forward<T: Scalar>(x: &Matrix<T>, out: &mut [T]) {
    let n = x.cols();
    for (i, row) in x.row_iter().enumerate() {
        let (m, ln_s) = row_max_lse(row);
        for (o, &v) in out[i * n..(i + 1) * n].iter_mut().zip(row) {
            *o = (v - m - ln_s).exp();
        }
    }
}

/// `gx += y ⊙ (g − Σⱼ gⱼ yⱼ)` per row, with `y` the softmax output.
pub fn softmax_vjp<T: Scalar>(y: &Matrix<T>, g: &[T], gx: &mut [T]) {
    let n = y.cols();
    for (i, yr) in y.row_iter().enumerate() {
        let gr = &g[i * n..(i + 1) * n];
        let dot = yr.iter().zip(gr).fold(T::zero(), |acc, (&y, &g)| acc + y * g);
        for ((gx, &y), &g) in gx[i * n..(i + 1) * n].iter_mut().zip(yr).zip(gr) {
            *gx += y * (g - dot);
        }
    }
}

/// `out[i, :] = x[i, :] − logsumexp(x[i, :])`.
pub fn log_softmax_forward<T: Scalar>(x: &Matrix<T>, out: &mut [T]) {
    let n = x.cols();
    for (i, row) in x.row_iter().enumerate() {
        let (m, ln_s) = row_max_lse(row);
        for (o, &v) in out[i * n..(i + 1) * n].iter_mut().zip(row) {
            *o = v - m - ln_s;
        }
    }
}

/// `gx += g − e^{y} Σⱼ gⱼ` per row, with `y` the log-softmax output.
pub fn log_softmax_vjp<T: Scalar>(y: &Matrix<T>, g: &[T], gx: &mut [T]) {
    let n = y.cols();
    for (i, yr) in y.row_iter().enumerate() {
        let gr = &g[i * n..(i + 1) * n];
        let gsum = gr.iter().fold(T::zero(), |acc, &g| acc + g);
        for ((gx, &y), &g) in gx[i * n..(i + 1) * n].iter_mut().zip(yr).zip(gr) {
            *gx += g - y.exp() * gsum;
        }
    }
}
