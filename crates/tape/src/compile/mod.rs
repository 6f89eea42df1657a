//! Record once, replay many times: a closure over [`Var`](crate::Var) compiled
//! into a flat op sequence that evaluates and differentiates at new inputs
//! without running the closure again — with *guards* that refuse a replay where
//! the closure would have taken another branch, sparse Jacobians and Hessians
//! by coloring, and Graphviz export.
//!
//! Why: an optimizer evaluates the same function thousands of times. Recording
//! re-runs the user's code and re-derives the graph every time; a compiled
//! function replays an array of op codes. The catch of every taping tool is a
//! replay that silently follows a branch the new point would not take; here
//! every comparison made while recording is kept and checked.
//!
//! ```
//! use wengert_tape::compile::{compile, ReplayError};
//! use wengert_tape::Scalar;
//! // One branch, recorded at x = 2: the `x > 1` side.
//! let f = compile(|x| if x[0] > 1.0 { x[0].ln() } else { x[0] - 1.0 }, &[2.0]).unwrap();
//! assert_eq!(f.gradient(&[4.0]).unwrap(), vec![0.25]);
//! // At x = 0.5 the closure would take the other branch: an error, not a wrong value.
//! let err = f.gradient(&[0.5]).unwrap_err();
//! assert!(matches!(err, ReplayError::GuardFlipped(_)));
//! assert!(err.to_string().contains("a > b"));
//! ```
//!
//! How it is wired (see `docs/compile.md`): the recording runs on a tape in
//! *compile mode*, which uses the observed path of anomaly mode — every handle
//! carries a marker, so every op takes a slow path that writes its own node and
//! now also logs its [`ScalarOp`](crate::ScalarOp) and operands; every
//! comparison of a marked handle is logged as a guard. A tape not compiling
//! never sees the marker and runs the same instructions as before. Replay
//! evaluates each op with the same [`ScalarOp::eval`](crate::ScalarOp::eval) the
//! tape records with, so values are bit-identical to a recording, and sweeps the
//! same nodes in the same order as the tape would.
//!
//! Files: `log` (what compile mode writes), `program` (the op arrays),
//! `replay` (the loops), `function` ([`Compiled`], [`compile`]), `error`,
//! `recompiling` ([`Recompiling`]), `objective` ([`Objective`](crate::Objective) for
//! [`Compiled`]), `sparsity`, `coloring`, `csr`, `sparse`
//! (sparse derivatives), `dot` (export).

mod coloring;
mod csr;
mod dot;
mod error;
mod function;
pub(crate) mod log;
mod objective;
mod program;
mod recompiling;
mod replay;
mod sparse;
mod sparsity;

pub use coloring::{color_columns, is_valid_coloring, ColumnColoring};
pub use csr::{CsrMatrix, SparsityPattern};
pub use error::{CompileError, GuardFlip, ReplayError};
pub use function::{compile, compile_vec, Compiled};
pub use log::GuardKind;
pub use recompiling::Recompiling;
