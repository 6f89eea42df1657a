//! What a tape in compile mode writes down besides its nodes: every scalar op
//! with its op code and operands, and every value comparison (a *guard*).
//!
//! Why a side log and not the nodes themselves: a node holds partials, which
//! depend on the point; replaying at a new point needs the op and where its
//! operands come from. The log is written only on the observed path of
//! [`Var`](crate::Var) (the path anomaly mode uses), so a tape that is not
//! compiling never touches it.

use std::panic::Location;

use crate::scalar_op::ScalarOp;

/// Where an operand of a logged op comes from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Operand<T> {
    /// Scalar node of the recording (an input or an op's result).
    Node(u32),
    /// An untracked constant, as recorded.
    Const(T),
    /// No operand (the second operand of a one-input op).
    Unused,
}

/// One scalar op as recorded: the node it wrote, its op and its operands.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LoggedOp<T> {
    pub(crate) node: u32,
    pub(crate) op: ScalarOp<T>,
    pub(crate) args: [Operand<T>; 2],
}

/// The kind of comparison a guard repeats at replay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuardKind {
    /// `a < b`.
    Lt,
    /// `a <= b`.
    Le,
    /// `a > b`.
    Gt,
    /// `a >= b`.
    Ge,
    /// `a == b` (also `!=`, which is `!(a == b)`).
    Eq,
    /// `a.partial_cmp(&b)` (sorting, `max_by`, …): the whole ordering is kept.
    Cmp,
    /// `a.max(b)`: which operand was picked.
    Max,
    /// `a.min(b)`: which operand was picked.
    Min,
    /// `relu(a)`: which branch of its rule (positive, or zero and negative).
    Relu,
    /// `abs(a)`: which branch of its rule (positive, negative, zero).
    Abs,
}

impl GuardKind {
    /// The outcome of this comparison at `(a, b)`, as a small code: a boolean
    /// (0 or 1), an ordering (−1, 0, 1; 2 for unordered), the operand picked
    /// (1 = `b`), or a kink region (see [`ScalarOp::kink_region`]). Recording and
    /// replay both call this, so they cannot disagree on what counts as a flip.
    pub fn outcome(self, a: f64, b: f64) -> i8 {
        match self {
            GuardKind::Lt => i8::from(a < b),
            GuardKind::Le => i8::from(a <= b),
            GuardKind::Gt => i8::from(a > b),
            GuardKind::Ge => i8::from(a >= b),
            GuardKind::Eq => i8::from(a == b),
            GuardKind::Cmp => match a.partial_cmp(&b) {
                Some(std::cmp::Ordering::Less) => -1,
                Some(std::cmp::Ordering::Equal) => 0,
                Some(std::cmp::Ordering::Greater) => 1,
                None => 2,
            },
            // The rules of `Var::max` / `Var::min`: `b` wins if it is larger
            // (smaller) or NaN; `a` on ties.
            GuardKind::Max => i8::from(b > a || b.is_nan()),
            GuardKind::Min => i8::from(b < a || b.is_nan()),
            GuardKind::Relu => ScalarOp::<f64>::Relu.kink_region(a).unwrap_or(0),
            GuardKind::Abs => ScalarOp::<f64>::Abs.kink_region(a).unwrap_or(0),
        }
    }

    /// How the comparison reads in source code, with `a` and `b` for its
    /// operands.
    pub fn describe(self) -> &'static str {
        match self {
            GuardKind::Lt => "a < b",
            GuardKind::Le => "a <= b",
            GuardKind::Gt => "a > b",
            GuardKind::Ge => "a >= b",
            GuardKind::Eq => "a == b",
            GuardKind::Cmp => "a.partial_cmp(b)",
            GuardKind::Max => "a.max(b)",
            GuardKind::Min => "a.min(b)",
            GuardKind::Relu => "relu(a) (kink at 0)",
            GuardKind::Abs => "abs(a) (kink at 0)",
        }
    }

    /// The outcome code in words.
    pub fn describe_outcome(self, outcome: i8) -> String {
        match self {
            GuardKind::Lt | GuardKind::Le | GuardKind::Gt | GuardKind::Ge | GuardKind::Eq => (outcome == 1).to_string(),
            GuardKind::Cmp => match outcome {
                -1 => "Less".into(),
                0 => "Equal".into(),
                1 => "Greater".into(),
                _ => "unordered".into(),
            },
            GuardKind::Max | GuardKind::Min => if outcome == 1 { "picked b" } else { "picked a" }.into(),
            GuardKind::Relu | GuardKind::Abs => match outcome {
                1 => "a > 0".into(),
                -1 => "a < 0".into(),
                0 if self == GuardKind::Relu => "a <= 0".into(),
                0 => "a == 0".into(),
                _ => "a is NaN".into(),
            },
        }
    }
}

/// A comparison made while recording.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LoggedGuard<T> {
    pub(crate) kind: GuardKind,
    pub(crate) args: [Operand<T>; 2],
    pub(crate) outcome: i8,
    /// Number of ops logged before the comparison.
    pub(crate) after_ops: usize,
    pub(crate) location: Option<&'static Location<'static>>,
}

/// The side log of a tape in compile mode.
#[derive(Debug)]
pub(crate) struct OpLog<T> {
    pub(crate) ops: Vec<LoggedOp<T>>,
    pub(crate) guards: Vec<LoggedGuard<T>>,
}

impl<T> Default for OpLog<T> {
    fn default() -> Self {
        OpLog { ops: Vec::new(), guards: Vec::new() }
    }
}
