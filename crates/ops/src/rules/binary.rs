//! Elementwise arithmetic of two matrices with broadcasting.
//!
//! Why broadcasting: a bias row (`1 × n`) added to every row of a batch, a
//! per-row scale (`m × 1`) or a tracked scalar (`1 × 1`) are the common cases,
//! and materializing the repeated operand would cost a copy on the way forward
//! and a separate reduction on the way back. The rule is NumPy's, restricted to
//! two axes: along each axis the lengths must be equal or one of them 1. The VJP
//! of a broadcast operand sums the adjoint over the axes it was repeated along,
//! which falls out of accumulating (`+=`) through the same index map.

use crate::matrix::{shape_str, Matrix};
use crate::scalar::Scalar;

/// The arithmetic operation of a [`binary_forward`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binary {
    /// `a + b`.
    Add,
    /// `a − b`.
    Sub,
    /// `a ⊙ b`.
    Mul,
    /// `a ⊘ b`.
    Div,
}

impl Binary {
    /// The op name used in errors and graph dumps.
    pub fn name(&self) -> &'static str {
        match self {
            Binary::Add => "add",
            Binary::Sub => "sub",
            Binary::Mul => "mul",
            Binary::Div => "div",
        }
    }
}

/// The broadcast shape of `a` and `b`; panics as
/// `add: (2×3) and (4×3) cannot be broadcast` (with `name`) if an axis has two
/// different lengths neither of which is 1.
pub fn broadcast_shape(name: &str, a: (usize, usize), b: (usize, usize)) -> (usize, usize) {
    let axis = |x: usize, y: usize| {
        if x == y {
            Some(x)
        } else if x == 1 {
            Some(y)
        } else if y == 1 {
            Some(x)
        } else {
            None
        }
    };
    match (axis(a.0, b.0), axis(a.1, b.1)) {
        (Some(r), Some(c)) => (r, c),
        _ => panic!("{name}: {} and {} cannot be broadcast", shape_str(a), shape_str(b)),
    }
}

/// Index into a row-major buffer of `shape` for output element `(i, j)`,
/// repeating along length-1 axes.
#[inline]
fn bidx(shape: (usize, usize), i: usize, j: usize) -> usize {
    let i = if shape.0 == 1 { 0 } else { i };
    let j = if shape.1 == 1 { 0 } else { j };
    i * shape.1 + j
}

/// `out = a ∘ b` with broadcasting (`out` has the broadcast shape).
pub fn binary_forward<T: Scalar>(op: Binary, a: &Matrix<T>, b: &Matrix<T>, out: &mut [T]) {
    let (m, n) = broadcast_shape(op.name(), a.shape(), b.shape());
    let (sa, sb) = (a.as_slice(), b.as_slice());
    if a.shape() == b.shape() {
        for ((o, &x), &y) in out.iter_mut().zip(sa).zip(sb) {
            *o = apply(op, x, y);
        }
        return;
    }
    for i in 0..m {
        for j in 0..n {
            out[i * n + j] = apply(op, sa[bidx(a.shape(), i, j)], sb[bidx(b.shape(), i, j)]);
        }
    }
}

#[inline]
fn apply<T: Scalar>(op: Binary, x: T, y: T) -> T {
    match op {
        Binary::Add => x + y,
        Binary::Sub => x - y,
        Binary::Mul => x * y,
        Binary::Div => x / y,
    }
}

/// Accumulates `∂L/∂a` and `∂L/∂b` of `out = a ∘ b` (broadcast) given
/// `g = ∂L/∂out`; a broadcast operand receives the sum over its repeated axes.
pub fn binary_vjp<T: Scalar>(
    op: Binary,
    a: &Matrix<T>,
    b: &Matrix<T>,
    g: &[T],
    mut ga: Option<&mut [T]>,
    mut gb: Option<&mut [T]>,
) {
    let (m, n) = broadcast_shape(op.name(), a.shape(), b.shape());
    let (sa, sb) = (a.as_slice(), b.as_slice());
    for i in 0..m {
        for j in 0..n {
            let (ia, ib) = (bidx(a.shape(), i, j), bidx(b.shape(), i, j));
            let gij = g[i * n + j];
            let (x, y) = (sa[ia], sb[ib]);
            if let Some(ga) = ga.as_deref_mut() {
                ga[ia] += match op {
                    Binary::Add | Binary::Sub => gij,
                    Binary::Mul => gij * y,
                    Binary::Div => gij / y,
                };
            }
            if let Some(gb) = gb.as_deref_mut() {
                gb[ib] += match op {
                    Binary::Add => gij,
                    Binary::Sub => -gij,
                    Binary::Mul => gij * x,
                    Binary::Div => -(gij * x / (y * y)),
                };
            }
        }
    }
}

/// Shape check of `scale_by`: `x` times a `1 × 1` factor; panics as
/// `scale_by: (2×3) by (1×2): the factor must be 1×1`.
pub fn scale_by_shape(x: (usize, usize), s: (usize, usize)) -> (usize, usize) {
    assert!(s == (1, 1), "scale_by: {} by {}: the factor must be 1×1", shape_str(x), shape_str(s));
    x
}
