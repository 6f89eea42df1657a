//! Anomaly detection: the first op that turns finite numbers into a NaN or an
//! infinity, while recording or during the reverse sweep.
//!
//! A NaN in a loss or a gradient says that something went wrong, not where.
//! With [`Tape::detect_anomaly`](crate::Tape::detect_anomaly) on, the tape
//! checks every op as it is recorded (its value and, for scalar ops, its local
//! partials) and every vector-Jacobian product the sweep computes, and keeps
//! the **first** op whose output is not finite although its inputs are: the
//! place where the bad number was born, not the hundred places it flowed to.
//!
//! ```
//! use wengert_tape::{Phase, Scalar, Tape};
//! let mut tape = Tape::new();
//! tape.detect_anomaly(true);
//! let x = tape.var(-1.0);
//! let y = (x * 2.0 + 1.0).sqrt() * x; // sqrt(-1) is NaN
//! let _ = tape.backward(y);
//! let a = tape.anomaly().expect("found");
//! assert_eq!((a.op.as_str(), a.phase, a.position), ("sqrt", Phase::Recording, 2));
//! assert!(a.to_string().contains("sqrt"));
//! ```
//!
//! **Why it is free when off.** In anomaly mode every handle the tape makes
//! carries a marker in place of its second parent; a one-input op tests that
//! register, a two-input op meets it only on the path it takes anyway when a
//! node must be written, and the sweep picks its checking loop once per sweep.
//! With the mode off the marker never appears, and scalar ops run the same
//! instructions as before the mode existed. (The marker also serves compile
//! mode, [`compile`](mod@crate::compile): there comparisons, `max` and `min` test
//! it too, to keep guards — a register compare each.) With the mode on, every op writes its own node (no folding
//! into the handle, see [`Var`](crate::Var)), so positions are exact and every
//! partial is checked; that costs a few times the plain recording, which is
//! what a debugging mode may cost.

use std::fmt;

/// When an anomaly was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// While the op was recorded (its value or a local partial).
    Recording,
    /// In the reverse sweep (its vector-Jacobian product).
    Sweep,
}

/// The first op that produced a non-finite number from finite inputs.
#[derive(Clone, Debug, PartialEq)]
pub struct Anomaly {
    /// Recording or sweep.
    pub phase: Phase,
    /// The op's position in the recording: 0 for the first op recorded after
    /// the inputs, counting scalar and matrix ops alike in recording order
    /// (inputs and constants are not ops).
    pub position: usize,
    /// The op's name: the elementary function of a scalar op (`"ln"`, `"mul"`,
    /// …, as in [`ScalarOp::name`](crate::ScalarOp::name)) or the name of a
    /// matrix op (`"matmul"`, `"softmax_cross_entropy"`, a custom op's name).
    pub op: String,
    /// A matrix op's input shapes followed by its output shape; empty for a
    /// scalar op.
    pub shapes: Vec<(usize, usize)>,
    /// Which number went bad: `"value"`, `"partial ∂/∂input k"` or
    /// `"gradient of input k"`.
    pub what: String,
    /// The first non-finite number found (its value part, for dual numbers).
    pub found: f64,
    /// A scalar op's input values (empty for matrix ops).
    pub inputs: Vec<f64>,
}

impl fmt::Display for Anomaly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let phase = match self.phase {
            Phase::Recording => "while recording",
            Phase::Sweep => "in the backward sweep",
        };
        write!(f, "anomaly {phase}: op #{} `{}`", self.position, self.op)?;
        if let Some((out, ins)) = self.shapes.split_last() {
            let ins: Vec<String> = ins.iter().map(|&(r, c)| format!("({r}×{c})")).collect();
            write!(f, " {} → ({}×{})", ins.join(", "), out.0, out.1)?;
        }
        if !self.inputs.is_empty() {
            let ins: Vec<String> = self.inputs.iter().map(|x| format!("{x:e}")).collect();
            write!(f, " at ({})", ins.join(", "))?;
        }
        write!(f, " gave {} = {} from finite inputs", self.what, self.found)
    }
}

impl std::error::Error for Anomaly {}

/// What the tape remembers in anomaly mode.
#[derive(Debug, Default)]
pub(crate) struct AnomalyLog {
    /// The first anomaly of this recording, if any.
    pub(crate) first: Option<Anomaly>,
    /// Ops recorded so far (the next op's position).
    pub(crate) ops: usize,
    /// Per scalar node: its op's name and position (`None` for inputs and
    /// bridge nodes).
    pub(crate) scalar: Vec<Option<(&'static str, usize)>>,
    /// Per matrix node: its op's position (`usize::MAX` for leaves).
    pub(crate) matrix: Vec<usize>,
}

impl AnomalyLog {
    /// Forgets the recording (keeps the allocations).
    pub(crate) fn clear(&mut self) {
        self.first = None;
        self.ops = 0;
        self.scalar.clear();
        self.matrix.clear();
    }

    /// Takes the next position.
    pub(crate) fn next_position(&mut self) -> usize {
        self.ops += 1;
        self.ops - 1
    }

    /// Keeps `a` if it is the first anomaly.
    pub(crate) fn report(&mut self, a: Anomaly) {
        if self.first.is_none() {
            self.first = Some(a);
        }
    }

    /// Records the name and position of scalar node `idx`.
    pub(crate) fn name_scalar(&mut self, idx: u32, name: &'static str, position: usize) {
        let idx = idx as usize;
        if self.scalar.len() <= idx {
            self.scalar.resize(idx + 1, None);
        }
        self.scalar[idx] = Some((name, position));
    }

    /// Records the position of matrix node `idx`.
    pub(crate) fn place_matrix(&mut self, idx: u32, position: usize) {
        let idx = idx as usize;
        if self.matrix.len() <= idx {
            self.matrix.resize(idx + 1, usize::MAX);
        }
        self.matrix[idx] = position;
    }
}

/// The first non-finite value of `xs`, as `f64`.
pub(crate) fn first_non_finite<T: wengert_ops::Scalar>(xs: &[T]) -> Option<f64> {
    xs.iter().find(|x| !x.is_finite()).map(|x| x.value())
}
