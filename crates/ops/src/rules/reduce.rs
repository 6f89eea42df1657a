//! Reductions to smaller shapes: sum, mean and log-sum-exp (over everything,
//! per row, per column) and the maximum of each row.
//!
//! Why the per-row/per-column forms are separate ops rather than a sum after a
//! matmul with a ones vector: they are the backward of broadcasting and appear
//! in every loss, so they should cost one pass and no allocation.
//! `max_rows` sends the whole adjoint of a row to its *first* arg-max (ties are
//! broken to the left), a subgradient; with no ties it is the gradient. A NaN
//! in a row is its maximum, wherever it stands (the gradient goes to the first
//! NaN), so NaN propagates as through the scalar `max`.
//! Sum and mean are linear (their JVP is the reduction of the tangent); the JVP
//! of `max_rows` reads the tangent at the same arg-max.

use crate::matrix::{shape_str, Matrix};
use crate::rules::{op_family, Arity, Rule};
use crate::scalar::Scalar;

op_family! {
    /// The reductions.
    pub enum ReduceOp in Builtin::Reduce {
        Sum = Sum(Axis::All),
        Mean = Mean(Axis::All),
        MaxRows = MaxRows,
        LogSumExp = LogSumExp(Axis::PerRow),
    }
}

/// Which elements a reduction combines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Axis {
    /// All elements → `1 × 1`.
    All,
    /// Each row separately → `m × 1`.
    PerRow,
    /// Each column separately → `1 × n`.
    PerCol,
}

impl Axis {
    /// Output shape of reducing an `m × n` matrix.
    pub fn reduced_shape(&self, (m, n): (usize, usize)) -> (usize, usize) {
        match self {
            Axis::All => (1, 1),
            Axis::PerRow => (m, 1),
            Axis::PerCol => (1, n),
        }
    }
    /// Output index that input element `(i, j)` is reduced into.
    #[inline]
    fn target(&self, i: usize, j: usize) -> usize {
        match self {
            Axis::All => 0,
            Axis::PerRow => i,
            Axis::PerCol => j,
        }
    }
    /// How many elements each output combines, for an `m × n` input.
    pub fn count(&self, (m, n): (usize, usize)) -> usize {
        match self {
            Axis::All => m * n,
            Axis::PerRow => n,
            Axis::PerCol => m,
        }
    }
}

/// `(x)`: sum over everything (→ 1×1, name `sum`), per row (→ m×1,
/// `sum_rows`) or per column (→ 1×n, `sum_cols`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sum(pub Axis);

impl Rule for Sum {
    fn name(&self) -> &'static str {
        match self.0 {
            Axis::All => "sum",
            Axis::PerRow => "sum_rows",
            Axis::PerCol => "sum_cols",
        }
    }
    fn arity(&self) -> Arity {
        Arity::Exactly(1)
    }
    fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize) {
        self.0.reduced_shape(inputs[0])
    }
    #[inline]
    fn forward<T: Scalar>(&self, inputs: &[&Matrix<T>], out: &mut [T]) {
        reduce_into(self.0, inputs[0].as_slice(), inputs[0].cols(), None, out);
    }
    /// `gx += g` broadcast back along the axis.
    #[inline]
    fn vjp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, g: &[T], grads: &mut [Option<&mut [T]>]) {
        if let Some(gx) = grads[0].as_deref_mut() {
            spread(self.0, inputs[0].cols(), g, None, gx);
        }
    }
    /// The sum of the tangent.
    fn jvp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, tangents: &[Option<&[T]>], out: &mut [T]) {
        reduce_tangent(self.0, inputs[0], tangents[0], None, out);
    }
}

/// `(x)`: the mean, over the same axes as [`Sum`] (names `mean`, `mean_rows`,
/// `mean_cols`); NaN over an empty axis, as in NumPy.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mean(pub Axis);

impl Rule for Mean {
    fn name(&self) -> &'static str {
        match self.0 {
            Axis::All => "mean",
            Axis::PerRow => "mean_rows",
            Axis::PerCol => "mean_cols",
        }
    }
    fn arity(&self) -> Arity {
        Arity::Exactly(1)
    }
    fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize) {
        self.0.reduced_shape(inputs[0])
    }
    fn forward<T: Scalar>(&self, inputs: &[&Matrix<T>], out: &mut [T]) {
        let x = inputs[0];
        reduce_into(self.0, x.as_slice(), x.cols(), Some(mean_scale(self.0, x.shape())), out);
    }
    /// `gx += g / count` broadcast back along the axis.
    fn vjp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, g: &[T], grads: &mut [Option<&mut [T]>]) {
        if let Some(gx) = grads[0].as_deref_mut() {
            let x = inputs[0];
            spread(self.0, x.cols(), g, Some(mean_scale(self.0, x.shape())), gx);
        }
    }
    /// The mean of the tangent.
    fn jvp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, tangents: &[Option<&[T]>], out: &mut [T]) {
        let x = inputs[0];
        reduce_tangent(self.0, x, tangents[0], Some(mean_scale(self.0, x.shape())), out);
    }
}

/// `1 / count` of a mean (a mean over zero elements is 0/0 = NaN).
fn mean_scale<T: Scalar>(axis: Axis, shape: (usize, usize)) -> T {
    T::from_f64(1.0 / axis.count(shape) as f64)
}

/// `out = Σ x` along `axis` (times `scale`, which `mean` sets to `1/count`),
/// for `x` row-major with `n` columns.
#[inline]
fn reduce_into<T: Scalar>(axis: Axis, x: &[T], n: usize, scale: Option<T>, out: &mut [T]) {
    out.iter_mut().for_each(|o| *o = T::zero());
    for (idx, &v) in x.iter().enumerate() {
        out[axis.target(idx / n, idx % n)] += v;
    }
    if let Some(s) = scale {
        out.iter_mut().for_each(|o| *o *= s);
    }
}

/// The reduction of a tangent of `x`'s shape (zero for `None`).
fn reduce_tangent<T: Scalar>(axis: Axis, x: &Matrix<T>, t: Option<&[T]>, scale: Option<T>, out: &mut [T]) {
    match t {
        Some(t) => reduce_into(axis, t, x.cols(), scale, out),
        None => out.fill(T::zero()),
    }
}

/// `gx += g (× scale)`, each element of `g` broadcast back over the elements
/// it reduced, for `gx` row-major with `n` columns.
#[inline]
fn spread<T: Scalar>(axis: Axis, n: usize, g: &[T], scale: Option<T>, gx: &mut [T]) {
    for (idx, gx) in gx.iter_mut().enumerate() {
        let gi = g[axis.target(idx / n, idx % n)];
        *gx += match scale {
            Some(s) => gi * s,
            None => gi,
        };
    }
}

/// `(x)`: the maximum of each row (→ m×1); the gradient goes to the first
/// arg-max. A row holding NaN has maximum NaN and sends its gradient to its
/// first NaN (as the scalar `max` picks a NaN on either side). Needs at least
/// one column.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MaxRows;

impl Rule for MaxRows {
    fn name(&self) -> &'static str {
        "max_rows"
    }
    fn arity(&self) -> Arity {
        Arity::Exactly(1)
    }
    fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize) {
        let x = inputs[0];
        assert!(x.1 > 0, "max_rows: {} has no columns to take a maximum over", shape_str(x));
        (x.0, 1)
    }
    fn forward<T: Scalar>(&self, inputs: &[&Matrix<T>], out: &mut [T]) {
        for (o, row) in out.iter_mut().zip(inputs[0].row_iter()) {
            *o = row[first_argmax(row)];
        }
    }
    /// `gx[i, argmaxᵢ] += g[i]`, the first arg-max of each row.
    fn vjp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, g: &[T], grads: &mut [Option<&mut [T]>]) {
        let Some(gx) = grads[0].as_deref_mut() else { return };
        let x = inputs[0];
        let n = x.cols();
        for (i, row) in x.row_iter().enumerate() {
            gx[i * n + first_argmax(row)] += g[i];
        }
    }
    /// `ẏᵢ = ẋ[i, argmaxᵢ]`.
    fn jvp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, tangents: &[Option<&[T]>], out: &mut [T]) {
        let x = inputs[0];
        let n = x.cols();
        for (i, (o, row)) in out.iter_mut().zip(x.row_iter()).enumerate() {
            *o = tangents[0].map_or(T::zero(), |t| t[i * n + first_argmax(row)]);
        }
    }
}

/// Index of the first maximum of a non-empty row (by value), or of its first
/// NaN: a NaN is picked wherever it is, as the scalar `max` picks a NaN
/// operand on either side, so the row's maximum is NaN and its derivative
/// follows the NaN.
fn first_argmax<T: Scalar>(row: &[T]) -> usize {
    let mut best = 0;
    let mut best_value = row[0].value();
    if best_value.is_nan() {
        return 0;
    }
    for (j, v) in row.iter().enumerate().skip(1) {
        let v = v.value();
        if v.is_nan() {
            return j;
        }
        if v > best_value {
            best = j;
            best_value = v;
        }
    }
    best
}

/// `(x)`: `ln Σ eˣ` over everything (→ 1×1, name `logsumexp`), per row (→ m×1,
/// `logsumexp_rows`) or per column (→ 1×n, `logsumexp_cols`).
///
/// Computed as `M + ln Σ e^{x − M}` with `M` the group's largest element, so
/// nothing overflows and the sum is at least 1 (finite for every finite input:
/// `[1000, 1000]` → `1000 + ln 2`). An infinite `M` is not subtracted (as in
/// PyTorch): a `+∞` element gives `+∞`, a group of `−∞` gives `−∞`, not
/// `∞ − ∞`. The derivative is the softmax of the group, `∂y/∂xₖ =
/// e^{(xₖ − M) − ln Σ}` (recomputed, not read from the output `y`: `xₖ − y`
/// loses everything when `y` rounds to `M`). An empty group gives `ln 0 = −∞`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogSumExp(pub Axis);

impl LogSumExp {
    /// Calls `f` with the flat index of every element of output `t`'s group in
    /// an `m × n` input.
    #[inline]
    fn for_group(&self, (m, n): (usize, usize), t: usize, mut f: impl FnMut(usize)) {
        match self.0 {
            Axis::All => (0..m * n).for_each(f),
            Axis::PerRow => (t * n..(t + 1) * n).for_each(f),
            Axis::PerCol => (0..m).for_each(|i| f(i * n + t)),
        }
    }

    /// `(M, ln Σ e^{x − M})` of group `t`, `M` its largest element as a
    /// constant (0 if that is infinite or the group empty): the value is
    /// their sum, and the derivatives use `e^{(x − M) − ln Σ}`, whose parts
    /// are small — never `e^{x − y}`, which loses everything when `y = M +
    /// ln Σ` rounds to `M` (`M = 1e308`).
    fn shift_and_ln_sum<T: Scalar>(&self, x: &Matrix<T>, t: usize) -> (T, T) {
        let xs = x.as_slice();
        let mut max = f64::NEG_INFINITY;
        self.for_group(x.shape(), t, |k| max = max.max(xs[k].value()));
        // The shift is a constant: any value gives the same function, this one
        // keeps the exponentials in range.
        let shift = T::from_f64(if max.is_finite() { max } else { 0.0 });
        let mut sum = T::zero();
        self.for_group(x.shape(), t, |k| sum += (xs[k] - shift).exp());
        (shift, sum.ln())
    }
}

impl Rule for LogSumExp {
    fn name(&self) -> &'static str {
        match self.0 {
            Axis::All => "logsumexp",
            Axis::PerRow => "logsumexp_rows",
            Axis::PerCol => "logsumexp_cols",
        }
    }
    fn arity(&self) -> Arity {
        Arity::Exactly(1)
    }
    fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize) {
        self.0.reduced_shape(inputs[0])
    }
    /// `yₜ = M + ln Σ e^{x − M}` over group `t`.
    fn forward<T: Scalar>(&self, inputs: &[&Matrix<T>], out: &mut [T]) {
        for (t, o) in out.iter_mut().enumerate() {
            let (shift, ln_sum) = self.shift_and_ln_sum(inputs[0], t);
            *o = shift + ln_sum;
        }
    }
    /// `gx[k] += gₜ·softmax(group t)ₖ` for `k` in group `t`.
    fn vjp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, g: &[T], grads: &mut [Option<&mut [T]>]) {
        let Some(gx) = grads[0].as_deref_mut() else { return };
        let x = inputs[0];
        let xs = x.as_slice();
        for (t, &gt) in g.iter().enumerate() {
            let (shift, ln_sum) = self.shift_and_ln_sum(x, t);
            self.for_group(x.shape(), t, |k| gx[k] += gt * ((xs[k] - shift) - ln_sum).exp());
        }
    }
    /// `ẏₜ = Σₖ softmax(group t)ₖ·ẋ[k]`.
    fn jvp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, tangents: &[Option<&[T]>], out: &mut [T]) {
        let Some(dx) = tangents[0] else {
            out.fill(T::zero());
            return;
        };
        let x = inputs[0];
        let xs = x.as_slice();
        for (t, o) in out.iter_mut().enumerate() {
            let (shift, ln_sum) = self.shift_and_ln_sum(x, t);
            let mut total = T::zero();
            self.for_group(x.shape(), t, |k| total += ((xs[k] - shift) - ln_sum).exp() * dx[k]);
            *o = total;
        }
    }
}
