//! `MatVar<'t, T>`: a matrix on the tape.
//!
//! A matrix op is one node whatever the size of the matrix: its backward step is
//! the op's vector-Jacobian product, which costs what hand-written backprop costs
//! (a matmul's backward is two matmuls). Reductions to a scalar return a
//! [`Var`], and scalar `Var`s can enter matrix expressions, so scalar and matrix
//! code mix freely on one tape.

use std::fmt;

use wengert_ops::{Matrix, Scalar};

use crate::tape::Tape;
use crate::var::Var;

/// A matrix recorded on a [`Tape`]: a parameter ([`Tape::matrix`]), a constant
/// ([`Tape::constant_matrix`]) or the result of a matrix op.
#[derive(Clone, Copy)]
pub struct MatVar<'t, T: Scalar = f64> {
    pub(crate) tape: &'t Tape<T>,
    pub(crate) idx: u32,
    rows: usize,
    cols: usize,
    pub(crate) tracked: bool,
}

impl<'t, T: Scalar> MatVar<'t, T> {
    pub(crate) fn new(tape: &'t Tape<T>, idx: u32, shape: (usize, usize), tracked: bool) -> Self {
        MatVar { tape, idx, rows: shape.0, cols: shape.1, tracked }
    }

    /// A matrix assembled from scalar variables, row-major. Gradients flow back
    /// to each of them, so a function of a flat `&[Var]` (as the transforms
    /// [`grad`](crate::grad), [`hessian`](crate::hessian), … pass in) can use
    /// matrix ops.
    ///
    /// Panics if `vars` is empty (no tape to record on) or does not fill
    /// `rows × cols`.
    pub fn from_vars(tape: &'t Tape<T>, vars: &[Var<'t, T>], rows: usize, cols: usize) -> Self {
        tape.scalars_to_mat(vars, rows, cols)
    }

    /// The tape this matrix is recorded on.
    pub fn tape(&self) -> &'t Tape<T> {
        self.tape
    }
    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }
    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }
    /// `(rows, cols)`.
    pub fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }
    /// Whether gradients flow into this matrix (false for constants and for
    /// values computed only from constants).
    pub fn is_tracked(&self) -> bool {
        self.tracked
    }
    /// The value. Shares storage with the tape: no copy.
    pub fn value(&self) -> Matrix<T> {
        self.tape.mat_value(self.idx)
    }
    /// The single element of a `1 × 1` matrix as a scalar variable; panics for
    /// any other shape.
    pub fn to_scalar(self) -> Var<'t, T> {
        self.tape.mat_to_scalar(self)
    }
    /// The same values with the gradient stopped: a constant node sharing the
    /// value's storage.
    pub fn detach(self) -> Self {
        self.tape.constant_matrix(&self.value())
    }
}

impl<T: Scalar> fmt::Debug for MatVar<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "MatVar(({}×{}) @ node {}{})",
            self.rows,
            self.cols,
            self.idx,
            if self.tracked { "" } else { ", constant" }
        )
    }
}

impl<'t, T: Scalar> Var<'t, T> {
    /// This scalar as a `1 × 1` matrix (to scale matrices by it, or to feed it to
    /// a matrix op). Panics for an untracked constant; use
    /// [`Tape::constant_matrix`] for those.
    pub fn to_matrix(self) -> MatVar<'t, T> {
        let tape = self.tape().expect("to_matrix: a constant has no tape; use Tape::constant_matrix");
        tape.scalars_to_mat(&[self], 1, 1)
    }
}
