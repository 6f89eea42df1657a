//! What can go wrong when compiling a closure or replaying a compiled function.
//!
//! A replay never returns a value it cannot vouch for: a guard that flips, an
//! input of the wrong length or a scalar-only request on a vector function is
//! an `Err`, not a panic and not a silently wrong number.

use std::fmt;
use std::panic::Location;

use super::log::GuardKind;

/// Why a closure could not be compiled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CompileError {
    /// The closure used a matrix op ([`MatVar`](crate::MatVar)); replaying matrix
    /// ops is not implemented yet, so the recording cannot be replayed.
    MatrixOp {
        /// The first matrix op's name (`"matrix input"` for a matrix leaf).
        op: String,
    },
    /// The closure used a custom scalar function ([`Var::custom1`](crate::Var::custom1),
    /// [`Var::custom2`](crate::Var::custom2)): its value and partials exist
    /// only as its caller computed them at the recording point, so a replay at
    /// another point could not evaluate it.
    CustomScalar {
        /// The function's name.
        name: &'static str,
    },
    /// The closure created a variable of its own (`tape.var(…)`) or wrote a node
    /// compile mode does not log: only the inputs passed to the closure can vary.
    UnloggedNode,
    /// An output was recorded on another tape.
    ForeignOutput,
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompileError::MatrixOp { op } => write!(
                f,
                "compile: matrix op `{op}` cannot be replayed yet (only scalar `Var` code compiles); \
                 record it on a tape each time instead"
            ),
            CompileError::CustomScalar { name } => write!(
                f,
                "compile: custom scalar function `{name}` cannot be replayed (its value and partials come from \
                 its caller at the recording point); record it on a tape each time instead"
            ),
            CompileError::UnloggedNode => write!(
                f,
                "compile: the closure created a tape variable of its own; only the inputs passed to it \
                 can vary (use a constant, or make it an input)"
            ),
            CompileError::ForeignOutput => write!(f, "compile: an output was recorded on another tape"),
        }
    }
}

impl std::error::Error for CompileError {}

/// A guard whose comparison comes out differently at the replay's input: the
/// recorded op sequence is not the one the closure would run there.
#[derive(Clone, Debug, PartialEq)]
pub struct GuardFlip {
    /// The guard's number (comparisons in recording order, from 0).
    pub guard: usize,
    /// The comparison.
    pub kind: GuardKind,
    /// Number of ops recorded before the comparison was made (its place in
    /// the op sequence).
    pub after_op: usize,
    /// Where the comparison was written (`None` for the kink of `relu`/`abs`).
    pub location: Option<&'static Location<'static>>,
    /// Outcome while recording (see [`GuardKind::outcome`]).
    pub recorded: i8,
    /// Outcome at the new input.
    pub now: i8,
    /// The operands `(a, b)` at the new input (`b` is 0 for a kink).
    pub operands: (f64, f64),
}

impl fmt::Display for GuardFlip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "guard #{} `{}` recorded after op {}", self.guard, self.kind.describe(), self.after_op)?;
        if let Some(loc) = self.location {
            write!(f, " at {loc}")?;
        }
        write!(
            f,
            " was {} when recorded but is {} at this input (a = {:e}, b = {:e}): the closure would take \
             another branch here",
            self.kind.describe_outcome(self.recorded),
            self.kind.describe_outcome(self.now),
            self.operands.0,
            self.operands.1
        )
    }
}

/// Why a replay returned no result.
#[derive(Clone, Debug, PartialEq)]
pub enum ReplayError {
    /// A guard flipped (see [`GuardFlip`]).
    GuardFlipped(GuardFlip),
    /// The input (or a direction vector) has the wrong length.
    Length {
        /// What was being checked: `"input"`, `"direction"`, `"cotangent"`.
        what: &'static str,
        /// The length the recording needs.
        expected: usize,
        /// The length given.
        found: usize,
    },
    /// A scalar-only request (gradient, HVP, Hessian) on a function with
    /// several outputs.
    NotScalar {
        /// Number of outputs of the function.
        outputs: usize,
    },
    /// [`Recompiling`](super::Recompiling) recorded its closure again and the
    /// recording failed.
    Recompile(CompileError),
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplayError::GuardFlipped(g) => write!(f, "replay: {g}"),
            ReplayError::Length { what, expected, found } => {
                write!(f, "replay: {what} of length {found}, the compiled function takes {expected}")
            }
            ReplayError::NotScalar { outputs } => {
                write!(f, "replay: the compiled function has {outputs} outputs; this needs exactly one")
            }
            ReplayError::Recompile(e) => write!(f, "replay: recording again failed: {e}"),
        }
    }
}

impl std::error::Error for ReplayError {}

impl From<GuardFlip> for ReplayError {
    fn from(g: GuardFlip) -> Self {
        ReplayError::GuardFlipped(g)
    }
}
