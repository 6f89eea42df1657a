//! The built-in matrix ops as methods of [`MatVar`], and its operators.
//!
//! Each method records one [`Builtin`] node (see `docs/ops.md` for every value,
//! vector-Jacobian product and Jacobian-vector product); any other op of the
//! catalogue is recorded with [`Tape::apply`](crate::Tape::apply). Reductions to
//! a scalar return a [`Var`].
//! Operators: `a + b`, `a - b` (broadcasting a row vector, a column vector or a
//! `1 × 1` operand), `-a`, `a * c` / `a / c` / `a + c` / `a - c` with an `f64`
//! constant, and `a * s` with a scalar [`Var`] (a tracked scale). `*` between two
//! matrices is deliberately not an operator: say [`matmul`](MatVar::matmul) or
//! [`mul_elem`](MatVar::mul_elem).

use std::ops::{Add, Div, Mul, Neg, Sub};

use wengert_ops::rules::{self, Axis, Builtin};
use wengert_ops::Scalar;

use crate::matvar::MatVar;
use crate::var::Var;

impl<'t, T: Scalar> MatVar<'t, T> {
    fn unary(self, op: impl Into<Builtin>) -> Self {
        self.tape.apply(op, &[self])
    }
    fn binary(self, op: impl Into<Builtin>, other: Self) -> Self {
        self.tape.apply(op, &[self, other])
    }
    fn reduce(self, op: impl Into<Builtin>) -> Var<'t, T> {
        self.unary(op).to_scalar()
    }

    // ----- products -----
    /// Matrix product `self · b`. Panics if the inner dimensions differ, e.g.
    /// `matmul: (3×4)·(5×2): inner dimensions 4 and 5 differ`.
    pub fn matmul(self, b: Self) -> Self {
        self.binary(rules::MatMul { ta: false, tb: false }, b)
    }
    /// `selfᵀ · b`, without materializing the transpose.
    pub fn matmul_tn(self, b: Self) -> Self {
        self.binary(rules::MatMul { ta: true, tb: false }, b)
    }
    /// `self · bᵀ`, without materializing the transpose.
    pub fn matmul_nt(self, b: Self) -> Self {
        self.binary(rules::MatMul { ta: false, tb: true }, b)
    }
    /// `selfᵀ · bᵀ`, without materializing either transpose.
    pub fn matmul_tt(self, b: Self) -> Self {
        self.binary(rules::MatMul { ta: true, tb: true }, b)
    }
    /// Elementwise product, broadcasting like `+`.
    pub fn mul_elem(self, b: Self) -> Self {
        self.binary(rules::Mul, b)
    }
    /// Elementwise quotient, broadcasting like `+`.
    pub fn div_elem(self, b: Self) -> Self {
        self.binary(rules::Div, b)
    }
    /// `Σ selfᵢⱼ bᵢⱼ` of two same-shape matrices.
    pub fn dot(self, b: Self) -> Var<'t, T> {
        self.binary(rules::Dot, b).to_scalar()
    }
    /// Outer product `u vᵀ` of two vectors (each a row or a column).
    pub fn outer(self, v: Self) -> Self {
        self.binary(rules::Outer, v)
    }
    /// `c · self` for a constant `c`.
    pub fn scale(self, c: f64) -> Self {
        self.unary(rules::Scale(c))
    }
    /// `s · self` for a tracked scalar `s`: the gradient reaches `s` too.
    pub fn scale_by(self, s: Var<'t, T>) -> Self {
        match s.tape() {
            Some(_) => self.binary(rules::ScaleBy, s.to_matrix()),
            None => self.unary(rules::Scale(s.value())),
        }
    }

    // ----- elementwise functions -----
    /// `eˣ` elementwise.
    pub fn exp(self) -> Self {
        self.unary(rules::Exp)
    }
    /// `ln x` elementwise.
    pub fn ln(self) -> Self {
        self.unary(rules::Ln)
    }
    /// `√x` elementwise.
    pub fn sqrt(self) -> Self {
        self.unary(rules::Sqrt)
    }
    /// `xᵖ` elementwise. The exponent is what the scalar
    /// [`powf`](Scalar::powf) takes too, a tracked value, or a constant:
    ///
    /// * an `f64` constant: `x.powf(2.0)`;
    /// * a scalar [`Var`]: tracked (the gradient reaches `p`: `∂/∂p =
    ///   Σ G ⊙ xᵖ ln x`), or recorded as a constant power if `p` is a constant;
    /// * a matrix `MatVar`, broadcast against `self` like `+` (`1 × 1`, a row, a
    ///   column or the same shape).
    ///
    /// The derivative in `x` is exactly 0 where `p = 0` (also at `x = 0`), and
    /// the derivative in `p` is 0 at `x = 0` for `p > 0`: the scalar rules.
    ///
    /// ```
    /// use wengert_tape::Tape;
    /// use wengert_ops::Matrix;
    /// let tape = Tape::new();
    /// let x = tape.matrix(&Matrix::from_rows(&[[4.0, 9.0]]));
    /// let p = tape.var(0.5);
    /// let y = x.powf(p).sum(); // 2 + 3
    /// let g = tape.backward(y);
    /// assert_eq!(y.primal(), 5.0);
    /// assert!((g[p] - (2.0 * 4f64.ln() + 3.0 * 9f64.ln())).abs() < 1e-12);
    /// assert_eq!(x.powf(2.0).value().as_slice(), &[16.0, 81.0]);
    /// ```
    pub fn powf(self, p: impl PowExponent<'t, T>) -> Self {
        p.raise(self)
    }
    /// `|x|` elementwise (derivative 0 at 0).
    pub fn abs(self) -> Self {
        self.unary(rules::Abs)
    }
    /// Logistic sigmoid elementwise.
    pub fn sigmoid(self) -> Self {
        self.unary(rules::Sigmoid)
    }
    /// `tanh x` elementwise.
    pub fn tanh(self) -> Self {
        self.unary(rules::Tanh)
    }
    /// `max(x, 0)` elementwise (derivative 0 at 0).
    pub fn relu(self) -> Self {
        self.unary(rules::Relu)
    }
    /// `ln(1 + eˣ)` elementwise, stable for large `|x|`.
    pub fn softplus(self) -> Self {
        self.unary(rules::Softplus)
    }
    /// `min(max(x, lo), hi)` elementwise (derivative 1 strictly inside, 0 at and
    /// beyond the bounds).
    pub fn clamp(self, lo: f64, hi: f64) -> Self {
        self.unary(rules::Clamp { lo, hi })
    }

    // ----- reductions -----
    /// Sum of all elements.
    pub fn sum(self) -> Var<'t, T> {
        self.reduce(rules::Sum(Axis::All))
    }
    /// Mean of all elements.
    pub fn mean(self) -> Var<'t, T> {
        self.reduce(rules::Mean(Axis::All))
    }
    /// Sum of each row (`m × 1`).
    pub fn sum_per_row(self) -> Self {
        self.unary(rules::Sum(Axis::PerRow))
    }
    /// Sum of each column (`1 × n`).
    pub fn sum_per_col(self) -> Self {
        self.unary(rules::Sum(Axis::PerCol))
    }
    /// Mean of each row (`m × 1`).
    pub fn mean_per_row(self) -> Self {
        self.unary(rules::Mean(Axis::PerRow))
    }
    /// Mean of each column (`1 × n`).
    pub fn mean_per_col(self) -> Self {
        self.unary(rules::Mean(Axis::PerCol))
    }
    /// Maximum of each row (`m × 1`); the gradient goes to the first arg-max.
    /// A row holding NaN has maximum NaN, wherever the NaN stands.
    pub fn max_per_row(self) -> Self {
        self.unary(rules::MaxRows)
    }
    /// `ln Σ eˣ` of all elements, computed stably (the largest element is
    /// factored out: finite for every finite input). Its gradient is the
    /// softmax of all elements.
    ///
    /// ```
    /// use wengert_tape::Tape;
    /// use wengert_ops::Matrix;
    /// let tape = Tape::new();
    /// let x = tape.matrix(&Matrix::from_rows(&[[1000.0, 1000.0]]));
    /// let y = x.logsumexp();
    /// assert!((y.primal() - (1000.0 + 2f64.ln())).abs() < 1e-12);
    /// assert_eq!(tape.backward(y).matrix(x).as_slice(), &[0.5, 0.5]);
    /// ```
    pub fn logsumexp(self) -> Var<'t, T> {
        self.reduce(rules::LogSumExp(Axis::All))
    }
    /// `ln Σⱼ eˣⁱʲ` of each row (`m × 1`), stably; the gradient of row `i` is
    /// its softmax.
    pub fn logsumexp_per_row(self) -> Self {
        self.unary(rules::LogSumExp(Axis::PerRow))
    }
    /// `ln Σᵢ eˣⁱʲ` of each column (`1 × n`), stably.
    pub fn logsumexp_per_col(self) -> Self {
        self.unary(rules::LogSumExp(Axis::PerCol))
    }

    // ----- shape -----
    /// Transpose.
    pub fn t(self) -> Self {
        self.unary(rules::Transpose)
    }
    /// The same elements (row-major) as a `rows × cols` matrix.
    pub fn reshape(self, rows: usize, cols: usize) -> Self {
        self.unary(rules::Reshape { rows, cols })
    }
    /// Rows `start..end`.
    pub fn slice_rows(self, start: usize, end: usize) -> Self {
        self.unary(rules::SliceRows { start, end })
    }
    /// Columns `start..end`.
    pub fn slice_cols(self, start: usize, end: usize) -> Self {
        self.unary(rules::SliceCols { start, end })
    }
    /// Element `(i, j)` as a scalar variable.
    pub fn at(self, i: usize, j: usize) -> Var<'t, T> {
        self.slice_rows(i, i + 1).slice_cols(j, j + 1).to_scalar()
    }
    /// Stacks matrices vertically (all with the same column count).
    pub fn concat_rows(parts: &[Self]) -> Self {
        let first = parts.first().expect("concat_rows: no matrices given");
        first.tape.apply(rules::ConcatRows, parts)
    }
    /// Places matrices side by side (all with the same row count).
    pub fn concat_cols(parts: &[Self]) -> Self {
        let first = parts.first().expect("concat_cols: no matrices given");
        first.tape.apply(rules::ConcatCols, parts)
    }
    /// Rows `idx[0], idx[1], …` (an embedding or factor lookup); the gradient
    /// scatter-adds back, so repeated indices accumulate.
    pub fn gather_rows(self, idx: &[usize]) -> Self {
        self.unary(rules::GatherRows(self.tape.index_vec(idx)))
    }

    // ----- softmax and losses -----
    /// Softmax of each row (max subtracted: no overflow).
    pub fn softmax(self) -> Self {
        self.unary(rules::Softmax)
    }
    /// Log-softmax of each row (finite for every finite input).
    pub fn log_softmax(self) -> Self {
        self.unary(rules::LogSoftmax)
    }
    /// Mean cross-entropy of row-wise softmax(`self`) against class indices
    /// `labels` (one per row), fused: the gradient is `(p − onehot)/N`.
    pub fn softmax_cross_entropy(self, labels: &[usize]) -> Var<'t, T> {
        self.reduce(rules::SoftmaxCrossEntropy(self.tape.index_vec(labels)))
    }
    /// Mean cross-entropy of row-wise softmax(`self`) against target
    /// distributions (one-hot or soft) of the same shape.
    pub fn softmax_cross_entropy_soft(self, targets: Self) -> Var<'t, T> {
        self.binary(rules::SoftmaxCrossEntropySoft, targets).to_scalar()
    }
    /// Mean binary cross-entropy of sigmoid(`self`) against 0/1 (or soft)
    /// targets, in the stable form `ln(1 + e^{−|z|}) + max(z, 0) − y·z`.
    pub fn bce_with_logits(self, targets: Self) -> Var<'t, T> {
        self.binary(rules::BceWithLogits, targets).to_scalar()
    }
    /// Mean squared difference to `target`.
    pub fn mse(self, target: Self) -> Var<'t, T> {
        self.binary(rules::Mse, target).to_scalar()
    }
    /// Mean squared difference over the entries where `mask` is 1 (observed
    /// entries of a matrix-factorization problem); 0 if none is.
    pub fn masked_mse(self, target: Self, mask: Self) -> Var<'t, T> {
        self.tape.apply(rules::MaskedMse, &[self, target, mask]).to_scalar()
    }
    /// `½ ‖self‖²` (Frobenius).
    pub fn l2_penalty(self) -> Var<'t, T> {
        self.reduce(rules::L2Penalty)
    }

    // ----- matrix calculus -----
    /// Trace of a square matrix.
    pub fn trace(self) -> Var<'t, T> {
        self.reduce(rules::Trace)
    }
    /// Determinant (LU with partial pivoting). Its backward panics if the matrix
    /// is singular.
    pub fn det(self) -> Var<'t, T> {
        self.reduce(rules::Det)
    }
    /// `ln |det self|`; panics if the matrix is singular.
    pub fn logdet(self) -> Var<'t, T> {
        self.reduce(rules::LogDet)
    }
    /// Inverse; panics if the matrix is singular.
    pub fn inverse(self) -> Self {
        self.unary(rules::Inverse)
    }
    /// `self⁻¹ · b` by LU, without forming the inverse; panics if `self` is
    /// singular.
    pub fn solve(self, b: Self) -> Self {
        self.binary(rules::Solve, b)
    }
}

/// What [`MatVar::powf`] accepts as the exponent: an `f64` constant, a scalar
/// [`Var`] (tracked or constant) or a matrix [`MatVar`] (broadcast). Each
/// records the matching op: [`Powf`](rules::Powf) for a constant,
/// [`Pow`](rules::Pow) for a tracked exponent.
pub trait PowExponent<'t, T: Scalar> {
    /// `baseᵖ` elementwise, with `self` the exponent `p`.
    fn raise(self, base: MatVar<'t, T>) -> MatVar<'t, T>;
}

impl<'t, T: Scalar> PowExponent<'t, T> for f64 {
    fn raise(self, base: MatVar<'t, T>) -> MatVar<'t, T> {
        base.unary(rules::Powf(self))
    }
}

impl<'t, T: Scalar> PowExponent<'t, T> for Var<'t, T> {
    fn raise(self, base: MatVar<'t, T>) -> MatVar<'t, T> {
        match self.tape() {
            Some(_) => base.binary(rules::Pow, self.to_matrix()),
            None => base.unary(rules::Powf(self.value())),
        }
    }
}

impl<'t, T: Scalar> PowExponent<'t, T> for MatVar<'t, T> {
    fn raise(self, base: MatVar<'t, T>) -> MatVar<'t, T> {
        base.binary(rules::Pow, self)
    }
}

impl<'t, T: Scalar> Add for MatVar<'t, T> {
    type Output = Self;
    fn add(self, b: Self) -> Self {
        self.binary(rules::Add, b)
    }
}
impl<'t, T: Scalar> Sub for MatVar<'t, T> {
    type Output = Self;
    fn sub(self, b: Self) -> Self {
        self.binary(rules::Sub, b)
    }
}
impl<'t, T: Scalar> Neg for MatVar<'t, T> {
    type Output = Self;
    fn neg(self) -> Self {
        self.unary(rules::Neg)
    }
}
impl<'t, T: Scalar> Mul<f64> for MatVar<'t, T> {
    type Output = Self;
    fn mul(self, c: f64) -> Self {
        self.scale(c)
    }
}
impl<'t, T: Scalar> Div<f64> for MatVar<'t, T> {
    type Output = Self;
    fn div(self, c: f64) -> Self {
        self.scale(1.0 / c)
    }
}
impl<'t, T: Scalar> Add<f64> for MatVar<'t, T> {
    type Output = Self;
    fn add(self, c: f64) -> Self {
        self.unary(rules::AddConst(c))
    }
}
impl<'t, T: Scalar> Sub<f64> for MatVar<'t, T> {
    type Output = Self;
    fn sub(self, c: f64) -> Self {
        self.unary(rules::AddConst(-c))
    }
}
impl<'t, T: Scalar> Mul<Var<'t, T>> for MatVar<'t, T> {
    type Output = Self;
    fn mul(self, s: Var<'t, T>) -> Self {
        self.scale_by(s)
    }
}
