//! [`Builtin`]: every built-in matrix op as one enum value, implementing
//! [`MatOp`] by dispatching to the rule functions of this module.
//!
//! Why an enum: the tape records one op per node; a small enum value is stored
//! inline (no box, no allocation) and `match` dispatch is cheaper than a virtual
//! call. Variants hold only parameters (flags, constants, ranges, labels), never
//! data matrices: those are the node's inputs.

use crate::matrix::{shape_str, Matrix};
use crate::op::MatOp;
use crate::rules::binary::{binary_forward, binary_vjp, broadcast_shape, scale_by_shape, Binary};
use crate::rules::elementwise::{unary_forward, unary_vjp, Unary};
use crate::rules::loss::*;
use crate::rules::matmul::{matmul_into, matmul_shape, matmul_vjp};
use crate::rules::matrix_calculus::*;
use crate::rules::reduce::*;
use crate::rules::shape::*;
use crate::rules::softmax::*;
use crate::scalar::Scalar;

/// Every built-in matrix op. Inputs are listed per variant as `(a, b, …)`; shapes
/// are `m × n`; "→ 1×1" marks a scalar result. See `docs/ops.md` for the value and
/// VJP formula of each.
///
/// ```
/// use wengert_ops::rules::Builtin;
/// use wengert_ops::{MatOp, Matrix};
/// let x = Matrix::from_rows(&[[1.0, 2.0], [3.0, 4.0]]);
/// let bias = Matrix::from_rows(&[[10.0, 20.0]]);
/// let op = Builtin::Add;
/// assert_eq!(MatOp::<f64>::output_shape(&op, &[x.shape(), bias.shape()]), (2, 2));
/// let mut out = [0.0; 4];
/// op.forward(&[&x, &bias], &mut out);
/// assert_eq!(out, [11.0, 22.0, 13.0, 24.0]);
/// // The bias gradient sums over the broadcast rows.
/// let mut gb = [0.0; 2];
/// let y = Matrix::from_vec(2, 2, out.to_vec());
/// op.vjp(&[&x, &bias], &y, &[1.0; 4], &mut [None, Some(&mut gb[..])]);
/// assert_eq!(gb, [2.0, 2.0]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Builtin {
    /// `(a, b)`: `op(a)·op(b)`, `op` transposing `a` if `ta` and `b` if `tb`
    /// (no transpose is materialized).
    MatMul {
        /// Use `aᵀ`.
        ta: bool,
        /// Use `bᵀ`.
        tb: bool,
    },
    /// `(a, b)`: `a + b`, broadcasting a `1×n`, `m×1` or `1×1` operand.
    Add,
    /// `(a, b)`: `a − b`, broadcasting.
    Sub,
    /// `(a, b)`: `a ⊙ b`, broadcasting.
    Mul,
    /// `(a, b)`: `a ⊘ b`, broadcasting.
    Div,
    /// `(x)`: `−x`.
    Neg,
    /// `(x)`: `c·x` for a constant `c`.
    Scale(f64),
    /// `(x, s)`: `s·x` for a tracked `1×1` factor `s`.
    ScaleBy,
    /// `(x)`: `x + c` for a constant `c`.
    AddConst(f64),
    /// `(x)`: `eˣ`.
    Exp,
    /// `(x)`: `ln x`.
    Ln,
    /// `(x)`: `√x`.
    Sqrt,
    /// `(x)`: `xᵖ` for a constant `p`.
    Powf(f64),
    /// `(x)`: `|x|` (derivative 0 at 0).
    Abs,
    /// `(x)`: logistic sigmoid.
    Sigmoid,
    /// `(x)`: `tanh x`.
    Tanh,
    /// `(x)`: `max(x, 0)` (derivative 0 at 0).
    Relu,
    /// `(x)`: `ln(1 + eˣ)`.
    Softplus,
    /// `(x)`: `min(max(x, lo), hi)` (derivative 1 strictly inside, 0 at and beyond
    /// the bounds).
    Clamp {
        /// Lower bound.
        lo: f64,
        /// Upper bound.
        hi: f64,
    },
    /// `(x)`: sum over everything (→ 1×1), per row (→ m×1) or per column (→ 1×n).
    Sum(Axis),
    /// `(x)`: mean, same axes as [`Sum`](Builtin::Sum).
    Mean(Axis),
    /// `(x)`: maximum of each row (→ m×1); the gradient goes to the first arg-max.
    MaxRows,
    /// `(a, b)`: `Σ aᵢⱼ bᵢⱼ` of two same-shape matrices (→ 1×1).
    Dot,
    /// `(u, v)`: `u·vᵀ` of two vectors (either orientation) of lengths m, n (→ m×n).
    Outer,
    /// `(x)`: `xᵀ`.
    Transpose,
    /// `(x)`: the same elements, row-major, as `rows × cols`.
    Reshape {
        /// New row count.
        rows: usize,
        /// New column count.
        cols: usize,
    },
    /// `(x)`: rows `start..end`.
    SliceRows {
        /// First row.
        start: usize,
        /// One past the last row.
        end: usize,
    },
    /// `(x)`: columns `start..end`.
    SliceCols {
        /// First column.
        start: usize,
        /// One past the last column.
        end: usize,
    },
    /// `(x₀, x₁, …)`: stacked vertically (same column count).
    ConcatRows,
    /// `(x₀, x₁, …)`: side by side (same row count).
    ConcatCols,
    /// `(x)`: rows `x[idx[0]], x[idx[1]], …` (an embedding lookup); the backward
    /// scatter-adds, so repeated indices accumulate.
    GatherRows(Vec<usize>),
    /// `(x)`: softmax of each row.
    Softmax,
    /// `(x)`: log-softmax of each row.
    LogSoftmax,
    /// `(logits)`: mean over rows of `−log softmax(zᵢ)[labels[i]]` (→ 1×1).
    SoftmaxCrossEntropy(Vec<usize>),
    /// `(logits, targets)`: mean over rows of `−Σⱼ tᵢⱼ log softmax(zᵢ)ⱼ` (→ 1×1).
    SoftmaxCrossEntropySoft,
    /// `(logits, targets)`: mean of `ln(1 + e^{−|z|}) + max(z, 0) − y·z` (→ 1×1).
    BceWithLogits,
    /// `(a, b)`: mean of `(a − b)²` (→ 1×1).
    Mse,
    /// `(a, b, mask)`: `Σ m(a − b)² / Σ m`, 0 if the mask is empty (→ 1×1).
    MaskedMse,
    /// `(x)`: `½ Σ x²` (→ 1×1).
    L2Penalty,
    /// `(x)`: `Σ xᵢᵢ` of a square matrix (→ 1×1).
    Trace,
    /// `(x)`: `det x` (→ 1×1). The backward panics on a singular matrix.
    Det,
    /// `(x)`: `ln|det x|` (→ 1×1; the sign is dropped). Panics on a singular matrix.
    LogDet,
    /// `(x)`: `x⁻¹`. Panics on a singular matrix.
    Inverse,
    /// `(a, b)`: `a⁻¹·b`. Panics on a singular `a`.
    Solve,
}

impl Builtin {
    /// The elementwise function of a one-input elementwise variant.
    fn as_unary(&self) -> Option<Unary> {
        Some(match *self {
            Builtin::Neg => Unary::Neg,
            Builtin::Scale(c) => Unary::Scale(c),
            Builtin::AddConst(c) => Unary::AddConst(c),
            Builtin::Exp => Unary::Exp,
            Builtin::Ln => Unary::Ln,
            Builtin::Sqrt => Unary::Sqrt,
            Builtin::Powf(p) => Unary::Powf(p),
            Builtin::Abs => Unary::Abs,
            Builtin::Sigmoid => Unary::Sigmoid,
            Builtin::Tanh => Unary::Tanh,
            Builtin::Relu => Unary::Relu,
            Builtin::Softplus => Unary::Softplus,
            Builtin::Clamp { lo, hi } => Unary::Clamp { lo, hi },
            _ => return None,
        })
    }

    fn as_binary(&self) -> Option<Binary> {
        Some(match self {
            Builtin::Add => Binary::Add,
            Builtin::Sub => Binary::Sub,
            Builtin::Mul => Binary::Mul,
            Builtin::Div => Binary::Div,
            _ => return None,
        })
    }

    /// The op's name (as in shape errors), e.g. `"matmul_tn"`, `"sum_rows"`.
    pub fn op_name(&self) -> &'static str {
        if let Some(u) = self.as_unary() {
            return u.name();
        }
        if let Some(b) = self.as_binary() {
            return b.name();
        }
        match self {
            Builtin::MatMul { ta: false, tb: false } => "matmul",
            Builtin::MatMul { ta: true, tb: false } => "matmul_tn",
            Builtin::MatMul { ta: false, tb: true } => "matmul_nt",
            Builtin::MatMul { ta: true, tb: true } => "matmul_tt",
            Builtin::ScaleBy => "scale_by",
            Builtin::Sum(Axis::All) => "sum",
            Builtin::Sum(Axis::PerRow) => "sum_rows",
            Builtin::Sum(Axis::PerCol) => "sum_cols",
            Builtin::Mean(Axis::All) => "mean",
            Builtin::Mean(Axis::PerRow) => "mean_rows",
            Builtin::Mean(Axis::PerCol) => "mean_cols",
            Builtin::MaxRows => "max_rows",
            Builtin::Dot => "dot",
            Builtin::Outer => "outer",
            Builtin::Transpose => "transpose",
            Builtin::Reshape { .. } => "reshape",
            Builtin::SliceRows { .. } => "slice_rows",
            Builtin::SliceCols { .. } => "slice_cols",
            Builtin::ConcatRows => "concat_rows",
            Builtin::ConcatCols => "concat_cols",
            Builtin::GatherRows(_) => "gather_rows",
            Builtin::Softmax => "softmax",
            Builtin::LogSoftmax => "log_softmax",
            Builtin::SoftmaxCrossEntropy(_) => "softmax_cross_entropy",
            Builtin::SoftmaxCrossEntropySoft => "softmax_cross_entropy_soft",
            Builtin::BceWithLogits => "bce_with_logits",
            Builtin::Mse => "mse",
            Builtin::MaskedMse => "masked_mse",
            Builtin::L2Penalty => "l2_penalty",
            Builtin::Trace => "trace",
            Builtin::Det => "det",
            Builtin::LogDet => "logdet",
            Builtin::Inverse => "inverse",
            Builtin::Solve => "solve",
            // Elementwise variants returned above.
            _ => unreachable!("every variant is named"),
        }
    }

    /// How many inputs the op takes; `None` for the variadic concatenations
    /// (one or more).
    pub fn arity(&self) -> Option<usize> {
        match self {
            Builtin::ConcatRows | Builtin::ConcatCols => None,
            Builtin::MaskedMse => Some(3),
            Builtin::MatMul { .. }
            | Builtin::Add
            | Builtin::Sub
            | Builtin::Mul
            | Builtin::Div
            | Builtin::ScaleBy
            | Builtin::Dot
            | Builtin::Outer
            | Builtin::SoftmaxCrossEntropySoft
            | Builtin::BceWithLogits
            | Builtin::Mse
            | Builtin::Solve => Some(2),
            _ => Some(1),
        }
    }
}

/// Splits the gradient slots of a two-input op.
fn two<'a, T>(grads: &'a mut [Option<&mut [T]>]) -> (Option<&'a mut [T]>, Option<&'a mut [T]>) {
    let (a, b) = grads.split_at_mut(1);
    (a[0].as_deref_mut(), b[0].as_deref_mut())
}

impl<T: Scalar> MatOp<T> for Builtin {
    fn name(&self) -> &str {
        self.op_name()
    }

    fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize) {
        let name = self.op_name();
        match self.arity() {
            Some(k) => assert!(
                inputs.len() == k,
                "{name}: expected {k} input{}, got {}",
                if k == 1 { "" } else { "s" },
                inputs.len()
            ),
            None => assert!(!inputs.is_empty(), "{name}: needs at least one input"),
        }
        if let Some(u) = self.as_unary() {
            u.check();
            return inputs[0];
        }
        if let Some(b) = self.as_binary() {
            return broadcast_shape(b.name(), inputs[0], inputs[1]);
        }
        let x = inputs[0];
        match self {
            Builtin::MatMul { ta, tb } => matmul_shape(x, *ta, inputs[1], *tb),
            Builtin::ScaleBy => scale_by_shape(x, inputs[1]),
            Builtin::Sum(axis) | Builtin::Mean(axis) => axis.reduced_shape(x),
            Builtin::MaxRows => max_rows_shape(x),
            Builtin::Dot => dot_shape(x, inputs[1]),
            Builtin::Outer => outer_shape(x, inputs[1]),
            Builtin::Transpose => (x.1, x.0),
            Builtin::Reshape { rows, cols } => reshape_shape(x, *rows, *cols),
            Builtin::SliceRows { start, end } => slice_rows_shape(x, &(*start..*end)),
            Builtin::SliceCols { start, end } => slice_cols_shape(x, &(*start..*end)),
            Builtin::ConcatRows => concat_rows_shape(inputs),
            Builtin::ConcatCols => concat_cols_shape(inputs),
            Builtin::GatherRows(idx) => gather_rows_shape(x, idx),
            Builtin::Softmax | Builtin::LogSoftmax => x,
            Builtin::SoftmaxCrossEntropy(labels) => softmax_cross_entropy_shape(x, labels),
            Builtin::SoftmaxCrossEntropySoft => softmax_cross_entropy_soft_shape(x, inputs[1]),
            Builtin::BceWithLogits => bce_with_logits_shape(x, inputs[1]),
            Builtin::Mse => mse_shape(x, inputs[1]),
            Builtin::MaskedMse => masked_mse_shape(x, inputs[1], inputs[2]),
            Builtin::L2Penalty => (1, 1),
            Builtin::Trace | Builtin::Det | Builtin::LogDet => {
                square_shape(name, x);
                (1, 1)
            }
            Builtin::Inverse => square_shape(name, x),
            Builtin::Solve => solve_shape(x, inputs[1]),
            _ => unreachable!("{name}: elementwise variants are handled above"),
        }
    }

    fn forward(&self, inputs: &[&Matrix<T>], out: &mut [T]) {
        // Re-check the shapes (cheaply: no allocation for up to three inputs) so a
        // mismatch panics with the op's message rather than an index error.
        let (m, n) = if inputs.len() <= 3 {
            let mut buf = [(0, 0); 3];
            for (b, x) in buf.iter_mut().zip(inputs) {
                *b = x.shape();
            }
            MatOp::<T>::output_shape(self, &buf[..inputs.len()])
        } else {
            MatOp::<T>::output_shape(self, &inputs.iter().map(|x| x.shape()).collect::<Vec<_>>())
        };
        assert!(
            out.len() == m * n,
            "{}: output buffer holds {} elements, expected {}",
            self.op_name(),
            out.len(),
            shape_str((m, n))
        );
        if let Some(u) = self.as_unary() {
            return unary_forward(u, inputs[0].as_slice(), out);
        }
        if let Some(b) = self.as_binary() {
            return binary_forward(b, inputs[0], inputs[1], out);
        }
        let x = inputs[0];
        match self {
            Builtin::MatMul { ta, tb } => matmul_into(false, x, *ta, inputs[1], *tb, out),
            Builtin::ScaleBy => binary_forward(Binary::Mul, x, inputs[1], out),
            Builtin::Sum(axis) => sum_forward(*axis, x, out),
            Builtin::Mean(axis) => mean_forward(*axis, x, out),
            Builtin::MaxRows => max_rows_forward(x, out),
            Builtin::Dot => dot_forward(x, inputs[1], out),
            Builtin::Outer => outer_forward(x, inputs[1], out),
            Builtin::Transpose => transpose_forward(x, out),
            Builtin::Reshape { .. } => out.copy_from_slice(x.as_slice()),
            Builtin::SliceRows { start, end } => slice_rows_forward(x, *start..*end, out),
            Builtin::SliceCols { start, end } => slice_cols_forward(x, *start..*end, out),
            Builtin::ConcatRows => concat_rows_forward(inputs, out),
            Builtin::ConcatCols => concat_cols_forward(inputs, out),
            Builtin::GatherRows(idx) => gather_rows_forward(x, idx, out),
            Builtin::Softmax => softmax_forward(x, out),
            Builtin::LogSoftmax => log_softmax_forward(x, out),
            Builtin::SoftmaxCrossEntropy(labels) => softmax_cross_entropy_forward(x, labels, out),
            Builtin::SoftmaxCrossEntropySoft => softmax_cross_entropy_soft_forward(x, inputs[1], out),
            Builtin::BceWithLogits => bce_with_logits_forward(x, inputs[1], out),
            Builtin::Mse => mse_forward(x, inputs[1], out),
            Builtin::MaskedMse => masked_mse_forward(x, inputs[1], inputs[2], out),
            Builtin::L2Penalty => l2_penalty_forward(x, out),
            Builtin::Trace => trace_forward(x, out),
            Builtin::Det => det_forward(x, out),
            Builtin::LogDet => logdet_forward(x, out),
            Builtin::Inverse => inverse_forward(x, out),
            Builtin::Solve => solve_forward(x, inputs[1], out),
            _ => unreachable!("elementwise variants are handled above"),
        }
    }

    fn vjp(&self, inputs: &[&Matrix<T>], output: &Matrix<T>, g: &[T], grads: &mut [Option<&mut [T]>]) {
        let x = inputs[0];
        if let Some(u) = self.as_unary() {
            if let Some(gx) = grads[0].as_deref_mut() {
                unary_vjp(u, x.as_slice(), output.as_slice(), g, gx);
            }
            return;
        }
        if let Some(b) = self.as_binary() {
            let (ga, gb) = two(grads);
            return binary_vjp(b, x, inputs[1], g, ga, gb);
        }
        match self {
            Builtin::MatMul { ta, tb } => {
                let (ga, gb) = two(grads);
                matmul_vjp(x, *ta, inputs[1], *tb, g, ga, gb);
            }
            Builtin::ScaleBy => {
                let (ga, gb) = two(grads);
                binary_vjp(Binary::Mul, x, inputs[1], g, ga, gb);
            }
            Builtin::Dot => {
                let (ga, gb) = two(grads);
                dot_vjp(x, inputs[1], g, ga, gb);
            }
            Builtin::Outer => {
                let (ga, gb) = two(grads);
                outer_vjp(x, inputs[1], g, ga, gb);
            }
            Builtin::ConcatRows | Builtin::ConcatCols => {
                let shapes: Vec<(usize, usize)> = inputs.iter().map(|m| m.shape()).collect();
                if matches!(self, Builtin::ConcatRows) {
                    concat_rows_vjp(&shapes, g, grads);
                } else {
                    concat_cols_vjp(&shapes, g, grads);
                }
            }
            Builtin::SoftmaxCrossEntropySoft => {
                let (ga, gb) = two(grads);
                softmax_cross_entropy_soft_vjp(x, inputs[1], g, ga, gb);
            }
            Builtin::BceWithLogits => {
                let (ga, gb) = two(grads);
                bce_with_logits_vjp(x, inputs[1], g, ga, gb);
            }
            Builtin::Mse => {
                let (ga, gb) = two(grads);
                mse_vjp(x, inputs[1], g, ga, gb);
            }
            Builtin::MaskedMse => {
                let (a, rest) = grads.split_at_mut(1);
                let (b, c) = rest.split_at_mut(1);
                masked_mse_vjp(
                    x,
                    inputs[1],
                    inputs[2],
                    g,
                    [a[0].as_deref_mut(), b[0].as_deref_mut(), c[0].as_deref_mut()],
                );
            }
            Builtin::Solve => {
                let (ga, gb) = two(grads);
                solve_vjp(x, output, g, ga, gb);
            }
            _ => {
                // One-input ops: nothing to do without a slot.
                let Some(gx) = grads[0].as_deref_mut() else { return };
                match self {
                    Builtin::Sum(axis) => sum_vjp(*axis, x.shape(), g, gx),
                    Builtin::Mean(axis) => mean_vjp(*axis, x.shape(), g, gx),
                    Builtin::MaxRows => max_rows_vjp(x, g, gx),
                    Builtin::Transpose => transpose_vjp(x.shape(), g, gx),
                    Builtin::Reshape { .. } => gx.iter_mut().zip(g).for_each(|(gx, &g)| *gx += g),
                    Builtin::SliceRows { start, end } => slice_rows_vjp(x.shape(), *start..*end, g, gx),
                    Builtin::SliceCols { start, end } => slice_cols_vjp(x.shape(), *start..*end, g, gx),
                    Builtin::GatherRows(idx) => gather_rows_vjp(x.shape(), idx, g, gx),
                    Builtin::Softmax => softmax_vjp(output, g, gx),
                    Builtin::LogSoftmax => log_softmax_vjp(output, g, gx),
                    Builtin::SoftmaxCrossEntropy(labels) => softmax_cross_entropy_vjp(x, labels, g, gx),
                    Builtin::L2Penalty => l2_penalty_vjp(x, g, gx),
                    Builtin::Trace => trace_vjp(x.rows(), g, gx),
                    Builtin::Det => det_vjp(x, output.as_slice()[0], g, gx),
                    Builtin::LogDet => logdet_vjp(x, g, gx),
                    Builtin::Inverse => inverse_vjp(output, g, gx),
                    _ => unreachable!("{}: every one-input op is handled", self.op_name()),
                }
            }
        }
    }
}
