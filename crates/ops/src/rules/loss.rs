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
//! the mask is all zero so an empty minibatch contributes nothing; entries whose
//! mask is exactly 0 are skipped, so a NaN marking a missing value there is
//! harmless). A mean over zero rows or elements is NaN.

use crate::matrix::{shape_str, Matrix};
use crate::rules::softmax::row_max_lse;
use crate::rules::{op_family, two, Arity, Rule, Spares};
use crate::scalar::Scalar;

op_family! {
    /// The losses, each reducing to `1 × 1`.
    pub enum LossOp in Builtin::Loss {
        SoftmaxCrossEntropy = SoftmaxCrossEntropy(vec![0]),
        SoftmaxCrossEntropySoft = SoftmaxCrossEntropySoft,
        BceWithLogits = BceWithLogits,
        Mse = Mse,
        MaskedMse = MaskedMse,
        L2Penalty = L2Penalty,
    }
}

fn same_shape(name: &str, a: (usize, usize), b: (usize, usize)) {
    assert!(a == b, "{name}: {} and {} must have the same shape", shape_str(a), shape_str(b));
}

/// A tangent's element `k`, or 0 for a missing tangent.
#[inline]
fn at<T: Scalar>(t: Option<&[T]>, k: usize) -> T {
    t.map_or(T::zero(), |t| t[k])
}

/// `(logits)`: mean over rows of `−log softmax(zᵢ)[labels[i]]` (→ 1×1), fused:
/// the gradient is `(p − onehot)/N`. One label per row, each a valid class.
#[derive(Clone, Debug, PartialEq)]
pub struct SoftmaxCrossEntropy(pub Vec<usize>);

impl Rule for SoftmaxCrossEntropy {
    fn name(&self) -> &'static str {
        "softmax_cross_entropy"
    }
    fn arity(&self) -> Arity {
        Arity::Exactly(1)
    }
    fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize) {
        let (logits, labels) = (inputs[0], &self.0);
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
    /// `L = (1/N) Σᵢ (logsumexp(zᵢ) − zᵢ,yᵢ)`, each term computed as
    /// `ln Σⱼ e^{zᵢⱼ − M} − (zᵢ,yᵢ − M)` with `M` the row's maximum: the two
    /// parts are small, so nothing of the loss is lost to rounding however
    /// large the logits (`(M + ln Σ) − z_y` at `M = 1e16` would round
    /// `M + ln 2` back to `M`).
    fn forward<T: Scalar>(&self, inputs: &[&Matrix<T>], out: &mut [T]) {
        let z = inputs[0];
        let mut total = T::zero();
        for (row, &c) in z.row_iter().zip(&self.0) {
            let (m, ln_s) = row_max_lse(row);
            total += ln_s - (row[c] - m);
        }
        out[0] = total * T::from_f64(1.0 / z.rows() as f64);
    }
    /// `gz += g·(softmax(z) − onehot(y)) / N`.
    ///
    /// Per row the maximum `M`, then `eⱼ = e^{zⱼ − M}` and their sum `S`, then
    /// `gzⱼ += (g/N)·eⱼ/S` and `gz_y −= g/N`. One exponential per logit for rows
    /// of up to 64 classes (kept in a stack buffer), two for wider rows; no
    /// allocation either way.
    fn vjp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, g: &[T], grads: &mut [Option<&mut [T]>]) {
        /// Rows up to this many classes keep their exponentials in a stack buffer
        /// (one `exp` per logit, no allocation: the tape promises allocation-free
        /// training steps); wider rows compute each exponential twice instead.
        const STACK_ROW: usize = 64;
        let Some(gz) = grads[0].as_deref_mut() else { return };
        let z = inputs[0];
        let n = z.cols();
        if n == 0 {
            return;
        }
        let s = g[0] * T::from_f64(1.0 / z.rows() as f64);
        let mut e = [T::zero(); STACK_ROW];
        for ((row, &c), gr) in z.row_iter().zip(&self.0).zip(gz.chunks_exact_mut(n)) {
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
    /// `L̇ = (1/N) Σᵢ (Σⱼ pᵢⱼżᵢⱼ − żᵢ,yᵢ)` with `p = softmax(z)`.
    fn jvp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, tangents: &[Option<&[T]>], out: &mut [T]) {
        let z = inputs[0];
        let n = z.cols();
        let mut total = T::zero();
        if let Some(dz) = tangents[0] {
            for (i, (row, &c)) in z.row_iter().zip(&self.0).enumerate() {
                let (m, ln_s) = row_max_lse(row);
                let dr = &dz[i * n..(i + 1) * n];
                let expected = row.iter().zip(dr).fold(T::zero(), |acc, (&v, &d)| acc + (v - m - ln_s).exp() * d);
                total += expected - dr[c];
            }
        }
        out[0] = total * T::from_f64(1.0 / z.rows() as f64);
    }
    /// The label vector goes back to the tape's spares.
    fn recycle(self, spares: &mut Spares) {
        spares.give_index_vec(self.0);
    }
}

/// `(logits, targets)`: mean over rows of `−Σⱼ tᵢⱼ log softmax(zᵢ)ⱼ` (→ 1×1);
/// logits and targets alike.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SoftmaxCrossEntropySoft;

impl Rule for SoftmaxCrossEntropySoft {
    fn name(&self) -> &'static str {
        "softmax_cross_entropy_soft"
    }
    fn arity(&self) -> Arity {
        Arity::Exactly(2)
    }
    fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize) {
        same_shape(self.name(), inputs[0], inputs[1]);
        (1, 1)
    }
    /// `L = −(1/N) Σᵢⱼ tᵢⱼ log_softmax(zᵢ)ⱼ`.
    fn forward<T: Scalar>(&self, inputs: &[&Matrix<T>], out: &mut [T]) {
        let (z, t) = (inputs[0], inputs[1]);
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
    fn vjp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, g: &[T], grads: &mut [Option<&mut [T]>]) {
        let (z, t) = (inputs[0], inputs[1]);
        let (mut gz, mut gt) = two(grads);
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
    /// `L̇ = (1/N) Σᵢⱼ ((Σₖ tᵢₖ)·pᵢⱼ − tᵢⱼ)·żᵢⱼ − ṫᵢⱼ·log_softmax(zᵢ)ⱼ`.
    fn jvp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, tangents: &[Option<&[T]>], out: &mut [T]) {
        let (z, t) = (inputs[0], inputs[1]);
        let (dz, dt) = (tangents[0], tangents[1]);
        let n = z.cols();
        let mut total = T::zero();
        for (i, (zr, tr)) in z.row_iter().zip(t.row_iter()).enumerate() {
            let (m, ln_s) = row_max_lse(zr);
            let tsum = tr.iter().fold(T::zero(), |acc, &t| acc + t);
            for j in 0..n {
                let lp = zr[j] - m - ln_s;
                let k = i * n + j;
                total += (tsum * lp.exp() - tr[j]) * at(dz, k) - at(dt, k) * lp;
            }
        }
        out[0] = total * T::from_f64(1.0 / z.rows() as f64);
    }
}

/// `(logits, targets)`: mean of `ln(1 + e^{−|z|}) + max(z, 0) − y·z` (→ 1×1),
/// the binary cross-entropy of `sigmoid(z)` in a form that cannot overflow.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BceWithLogits;

impl Rule for BceWithLogits {
    fn name(&self) -> &'static str {
        "bce_with_logits"
    }
    fn arity(&self) -> Arity {
        Arity::Exactly(2)
    }
    fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize) {
        same_shape(self.name(), inputs[0], inputs[1]);
        (1, 1)
    }
    /// `L = mean(softplus(z) − y·z)`.
    fn forward<T: Scalar>(&self, inputs: &[&Matrix<T>], out: &mut [T]) {
        let (z, y) = (inputs[0], inputs[1]);
        let total = z.iter().zip(y.iter()).fold(T::zero(), |acc, (&z, &y)| acc + z.softplus() - y * z);
        out[0] = total * T::from_f64(1.0 / z.len() as f64);
    }
    /// `gz += g·(σ(z) − y) / count`, `gy += −g·z / count`.
    fn vjp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, g: &[T], grads: &mut [Option<&mut [T]>]) {
        let (z, y) = (inputs[0], inputs[1]);
        let (gz, gy) = two(grads);
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
    /// `L̇ = mean((σ(z) − y)·ż − z·ẏ)`.
    fn jvp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, tangents: &[Option<&[T]>], out: &mut [T]) {
        let (z, y) = (inputs[0], inputs[1]);
        let (dz, dy) = (tangents[0], tangents[1]);
        let total = z
            .iter()
            .zip(y.iter())
            .enumerate()
            .fold(T::zero(), |acc, (k, (&z, &y))| acc + (z.sigmoid() - y) * at(dz, k) - z * at(dy, k));
        out[0] = total * T::from_f64(1.0 / z.len() as f64);
    }
}

/// `(a, b)`: mean of `(a − b)²` (→ 1×1); both operands alike.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mse;

impl Rule for Mse {
    fn name(&self) -> &'static str {
        "mse"
    }
    fn arity(&self) -> Arity {
        Arity::Exactly(2)
    }
    fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize) {
        same_shape(self.name(), inputs[0], inputs[1]);
        (1, 1)
    }
    /// `L = mean((a − b)²)`.
    fn forward<T: Scalar>(&self, inputs: &[&Matrix<T>], out: &mut [T]) {
        let (a, b) = (inputs[0], inputs[1]);
        let total = a.iter().zip(b.iter()).fold(T::zero(), |acc, (&a, &b)| acc + (a - b).square());
        out[0] = total * T::from_f64(1.0 / a.len() as f64);
    }
    /// `ga += 2g·(a − b)/count`, `gb −= 2g·(a − b)/count`.
    fn vjp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, g: &[T], grads: &mut [Option<&mut [T]>]) {
        let (a, b) = (inputs[0], inputs[1]);
        let (mut ga, mut gb) = two(grads);
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
    /// `L̇ = (2/count) Σ (a − b)(ȧ − ḃ)`.
    fn jvp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, tangents: &[Option<&[T]>], out: &mut [T]) {
        let (a, b) = (inputs[0], inputs[1]);
        let (da, db) = (tangents[0], tangents[1]);
        let total = a
            .iter()
            .zip(b.iter())
            .enumerate()
            .fold(T::zero(), |acc, (k, (&x, &y))| acc + (x - y) * (at(da, k) - at(db, k)));
        out[0] = total * T::from_f64(2.0 / a.len() as f64);
    }
}

/// `(a, b, mask)`: `Σ m(a − b)² / Σ m`, the mean squared error over observed
/// entries (`m = 1`), 0 if the mask is empty (→ 1×1); all three alike. An
/// entry whose mask is exactly 0 is skipped, not multiplied by 0: a NaN in
/// `a` or `b` there (a missing value) does not make the loss or the
/// gradients of `a` and `b` NaN. (The mask's own derivative there, `(d² −
/// L)/M`, does involve it.)
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MaskedMse;

impl Rule for MaskedMse {
    fn name(&self) -> &'static str {
        "masked_mse"
    }
    fn arity(&self) -> Arity {
        Arity::Exactly(3)
    }
    fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize) {
        same_shape(self.name(), inputs[0], inputs[1]);
        same_shape(self.name(), inputs[0], inputs[2]);
        (1, 1)
    }
    fn forward<T: Scalar>(&self, inputs: &[&Matrix<T>], out: &mut [T]) {
        let (s, c) = masked_sums(inputs[0], inputs[1], inputs[2]);
        out[0] = if c.value() == 0.0 { T::zero() } else { s / c };
    }
    /// With `M = Σ m` and `L` the loss: `ga += 2g·m·d/M`, `gb −= 2g·m·d/M`,
    /// `gmask += g·(d² − L)/M` (the mask's derivative, exact for the weighted
    /// mean; usually the mask is data and its slot is `None`). Nothing when
    /// `M = 0`.
    fn vjp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, g: &[T], grads: &mut [Option<&mut [T]>]) {
        let (a, b, mask) = (inputs[0], inputs[1], inputs[2]);
        let (s, c) = masked_sums(a, b, mask);
        if c.value() == 0.0 {
            return;
        }
        let loss = s / c;
        let gs = g[0] / c;
        let (a_slot, rest) = grads.split_at_mut(1);
        let (b_slot, m_slot) = rest.split_at_mut(1);
        let (mut ga, mut gb, mut gm) = (a_slot[0].as_deref_mut(), b_slot[0].as_deref_mut(), m_slot[0].as_deref_mut());
        for (k, ((&x, &y), &m)) in a.iter().zip(b.iter()).zip(mask.iter()).enumerate() {
            let d = x - y;
            if !m.is_exact_zero() {
                let gd = gs * m * d * T::from_f64(2.0);
                if let Some(ga) = ga.as_deref_mut() {
                    ga[k] += gd;
                }
                if let Some(gb) = gb.as_deref_mut() {
                    gb[k] -= gd;
                }
            }
            if let Some(gm) = gm.as_deref_mut() {
                gm[k] += gs * (d * d - loss);
            }
        }
    }
    /// `L̇ = (Σ (2m·d·ḋ + ṁ·d²) − L·Σ ṁ) / M` with `d = a − b`; 0 when `M = 0`.
    fn jvp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, tangents: &[Option<&[T]>], out: &mut [T]) {
        let (a, b, mask) = (inputs[0], inputs[1], inputs[2]);
        let (s, c) = masked_sums(a, b, mask);
        if c.value() == 0.0 {
            out[0] = T::zero();
            return;
        }
        let loss = s / c;
        let (da, db, dm) = (tangents[0], tangents[1], tangents[2]);
        let mut total = T::zero();
        for (k, ((&x, &y), &m)) in a.iter().zip(b.iter()).zip(mask.iter()).enumerate() {
            let d = x - y;
            if !m.is_exact_zero() {
                total += T::from_f64(2.0) * m * d * (at(da, k) - at(db, k));
            }
            let dm = at(dm, k);
            if !dm.is_exact_zero() {
                total += dm * (d * d - loss);
            }
        }
        out[0] = total / c;
    }
}

/// `(Σ m·d², Σ m)` with `d = a − b`, over the entries whose mask is not
/// exactly 0: a masked-out entry is not part of the loss, so a NaN or ∞ there
/// (a missing observation) does not reach it.
fn masked_sums<T: Scalar>(a: &Matrix<T>, b: &Matrix<T>, mask: &Matrix<T>) -> (T, T) {
    a.iter().zip(b.iter()).zip(mask.iter()).fold((T::zero(), T::zero()), |(s, c), ((&a, &b), &m)| {
        if m.is_exact_zero() {
            (s, c)
        } else {
            (s + m * (a - b).square(), c + m)
        }
    })
}

/// `(x)`: `½ Σ x²` (→ 1×1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct L2Penalty;

impl Rule for L2Penalty {
    fn name(&self) -> &'static str {
        "l2_penalty"
    }
    fn arity(&self) -> Arity {
        Arity::Exactly(1)
    }
    fn output_shape(&self, _: &[(usize, usize)]) -> (usize, usize) {
        (1, 1)
    }
    fn forward<T: Scalar>(&self, inputs: &[&Matrix<T>], out: &mut [T]) {
        out[0] = inputs[0].iter().fold(T::zero(), |acc, &v| acc + v * v) * T::from_f64(0.5);
    }
    /// `gx += g·x`.
    fn vjp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, g: &[T], grads: &mut [Option<&mut [T]>]) {
        if let Some(gx) = grads[0].as_deref_mut() {
            gx.iter_mut().zip(inputs[0].iter()).for_each(|(gx, &v)| *gx += g[0] * v);
        }
    }
    /// `L̇ = Σ x·ẋ`.
    fn jvp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, tangents: &[Option<&[T]>], out: &mut [T]) {
        out[0] = match tangents[0] {
            Some(t) => inputs[0].iter().zip(t).fold(T::zero(), |acc, (&v, &d)| acc + v * d),
            None => T::zero(),
        };
    }
}
