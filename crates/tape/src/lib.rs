//! # wengert-tape
//!
//! Reverse-mode automatic differentiation on a tape (a Wengert list).
//!
//! Record a computation by running ordinary Rust code on [`Var`] (scalars) and
//! [`MatVar`] (matrices) handles; call [`Tape::backward`] once; read every
//! gradient from the returned [`Gradients`].
//!
//! ```
//! use wengert_tape::Tape;
//! let tape = Tape::new();
//! let x = tape.vars(&[1.0, 2.0, 3.0]);
//! let norm2 = x.iter().map(|&xi| xi * xi).sum::<wengert_tape::Var>();
//! let g = tape.backward(norm2);
//! assert_eq!(g.wrt(&x), vec![2.0, 4.0, 6.0]);
//! ```
//!
//! Modules: [`tape`](Tape) (the arena and recording), `var` and `matvar` (the
//! handles and their rules), `gradients`, the reverse sweep, [`transforms`]
//! (every derivative transform: `grad`, `value_and_grad`, `vjp`, `jvp`,
//! `jacfwd`, `jacrev`, `jacobian`, `hvp`, `hessian`, `value_grad_hessian`, their
//! function-returning forms in [`fns`], and the [`Objective`] trait; all
//! re-exported here), [gradient checking](gradcheck) and [`compile`](mod@compile)
//! (record a closure once, replay it at new inputs: guards, sparse Jacobians
//! and Hessians by coloring, Graphviz export).
#![warn(missing_docs)]

mod anomaly;
mod check;
pub mod compile;
mod gradients;
mod lift;
mod matvar;
mod matvar_ops;
mod scalar_op;
mod sweep;
mod tape;
pub mod transforms;
mod var;

pub use anomaly::{Anomaly, Phase};
pub use check::{check_gradient, gradcheck, numerical_gradient, numerical_hessian, relative_error, GradCheck};
pub use compile::{compile, compile_vec, Compiled};
pub use gradients::Gradients;
pub use lift::{DualLift, DualVjp};
pub use matvar::MatVar;
pub use scalar_op::ScalarOp;
pub use tape::Tape;
pub use transforms::*;
pub use var::Var;
/// The scalar traits and the matrix type, re-exported so `use wengert_tape::*` is enough.
pub use wengert_ops::{Matrix, Real, Scalar};

/// The walk-through in `docs/debugging.md` (anomaly mode, NaN propagation),
/// compiled as doc tests so that its code stays correct.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/debugging.md")]
pub struct DebuggingGuide;

/// The guide in `docs/compile.md` (compiled functions, guards, sparsity),
/// compiled as doc tests so that its code stays correct.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/compile.md")]
pub struct CompileGuide;
