//! Row-wise softmax and log-softmax.
//!
//! Stability: each row's maximum is subtracted before exponentiating, so the
//! largest exponent is `e⁰ = 1`, nothing overflows, and the row sum is at least 1.
//! Log-softmax is computed as `x − max − ln Σ e^{x − max}`, never as `ln(softmax)`,
//! so it is finite for every finite input (a softmax entry can underflow to 0,
//! its logarithm cannot be −∞ this way).
//!
//! Both derivatives are written with the output `y`: the VJPs as below, the
//! JVPs as `ẏ = y ⊙ (ẋ − Σⱼ yⱼẋⱼ)` (softmax) and `ẏ = ẋ − Σⱼ e^{yⱼ}ẋⱼ`
//! (log-softmax), row by row.

use crate::matrix::Matrix;
use crate::rules::{op_family, Arity, Rule};
use crate::scalar::Scalar;

op_family! {
    /// The row-wise softmax family.
    pub enum SoftmaxOp in Builtin::Softmax {
        Softmax = Softmax,
        LogSoftmax = LogSoftmax,
    }
}

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

/// `(x)`: softmax of each row.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Softmax;

impl Rule for Softmax {
    fn name(&self) -> &'static str {
        "softmax"
    }
    fn arity(&self) -> Arity {
        Arity::Exactly(1)
    }
    fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize) {
        inputs[0]
    }
    /// `out[i, :] = e^{x[i, :] − lseᵢ}`.
    fn forward<T: Scalar>(&self, inputs: &[&Matrix<T>], out: &mut [T]) {
        let x = inputs[0];
        let n = x.cols();
        for (i, row) in x.row_iter().enumerate() {
            let (m, ln_s) = row_max_lse(row);
            for (o, &v) in out[i * n..(i + 1) * n].iter_mut().zip(row) {
                *o = (v - m - ln_s).exp();
            }
        }
    }
    /// `gx += y ⊙ (g − Σⱼ gⱼ yⱼ)` per row.
    fn vjp<T: Scalar>(&self, _: &[&Matrix<T>], y: &Matrix<T>, g: &[T], grads: &mut [Option<&mut [T]>]) {
        let Some(gx) = grads[0].as_deref_mut() else { return };
        let n = y.cols();
        for (i, yr) in y.row_iter().enumerate() {
            let gr = &g[i * n..(i + 1) * n];
            let dot = yr.iter().zip(gr).fold(T::zero(), |acc, (&y, &g)| acc + y * g);
            for ((gx, &y), &g) in gx[i * n..(i + 1) * n].iter_mut().zip(yr).zip(gr) {
                *gx += y * (g - dot);
            }
        }
    }
    /// `ẏ = y ⊙ (ẋ − Σⱼ yⱼẋⱼ)` per row (the Jacobian is symmetric).
    fn jvp<T: Scalar>(&self, inputs: &[&Matrix<T>], y: &Matrix<T>, tangents: &[Option<&[T]>], out: &mut [T]) {
        out.fill(T::zero());
        let Some(dx) = tangents[0] else { return };
        self.vjp(inputs, y, dx, &mut [Some(out)]);
    }
}

/// `(x)`: log-softmax of each row, `x − logsumexp(x)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogSoftmax;

impl Rule for LogSoftmax {
    fn name(&self) -> &'static str {
        "log_softmax"
    }
    fn arity(&self) -> Arity {
        Arity::Exactly(1)
    }
    fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize) {
        inputs[0]
    }
    /// `out[i, :] = x[i, :] − logsumexp(x[i, :])`.
    fn forward<T: Scalar>(&self, inputs: &[&Matrix<T>], out: &mut [T]) {
        let x = inputs[0];
        let n = x.cols();
        for (i, row) in x.row_iter().enumerate() {
            let (m, ln_s) = row_max_lse(row);
            for (o, &v) in out[i * n..(i + 1) * n].iter_mut().zip(row) {
                *o = v - m - ln_s;
            }
        }
    }
    /// `gx += g − e^{y} Σⱼ gⱼ` per row.
    fn vjp<T: Scalar>(&self, _: &[&Matrix<T>], y: &Matrix<T>, g: &[T], grads: &mut [Option<&mut [T]>]) {
        let Some(gx) = grads[0].as_deref_mut() else { return };
        let n = y.cols();
        for (i, yr) in y.row_iter().enumerate() {
            let gr = &g[i * n..(i + 1) * n];
            let gsum = gr.iter().fold(T::zero(), |acc, &g| acc + g);
            for ((gx, &y), &g) in gx[i * n..(i + 1) * n].iter_mut().zip(yr).zip(gr) {
                *gx += g - y.exp() * gsum;
            }
        }
    }
    /// `ẏ = ẋ − Σⱼ e^{yⱼ} ẋⱼ` per row.
    fn jvp<T: Scalar>(&self, _: &[&Matrix<T>], y: &Matrix<T>, tangents: &[Option<&[T]>], out: &mut [T]) {
        let Some(dx) = tangents[0] else {
            out.fill(T::zero());
            return;
        };
        let n = y.cols();
        for (i, yr) in y.row_iter().enumerate() {
            let dr = &dx[i * n..(i + 1) * n];
            let mean = yr.iter().zip(dr).fold(T::zero(), |acc, (&y, &d)| acc + y.exp() * d);
            for (o, &d) in out[i * n..(i + 1) * n].iter_mut().zip(dr) {
                *o = d - mean;
            }
        }
    }
}
