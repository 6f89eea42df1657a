//! # wengert
//!
//! Reverse-mode automatic differentiation with a tape, in Rust: write a model as
//! an ordinary closure over tape variables, call `backward()` once, read every
//! gradient. The same model code, written against [`Real`](prelude::Real), runs
//! on plain floats and on dual numbers (forward mode) too.
//!
//! This crate re-exports the workspace:
//!
//! | crate | job |
//! |---|---|
//! | [`ops`] | `Scalar`/`Real` traits, `Matrix`, kernels, local derivative rules |
//! | [`dual`] | forward-mode numbers: `Dual`, `DualVec` and their rules |
//! | [`tape`] | the tape, `Var`, `MatVar`, `Gradients`, every transform (`tape::transforms`), gradient checking |
//! | [`optim`] | optimizers, schedules, clipping, second-order and constrained methods |
//! | [`nn`] | data loading, layers, models, training loop, checkpoints |
//!
//! ```
//! use wengert::prelude::*;
//! let tape = Tape::new();
//! let (x, y) = (tape.var(1.0), tape.var(2.0));
//! let f = (x + y) * x.sigmoid();
//! let g = tape.backward(f);
//! println!("df/dx = {}, df/dy = {}", g[x], g[y]);
//! ```

pub use wengert_dual as dual;
pub use wengert_nn as nn;
pub use wengert_ops as ops;
pub use wengert_optim as optim;
pub use wengert_tape as tape;

/// Everything a model needs, in one `use wengert::prelude::*;`: the number
/// types, the tape and its handles, gradient checking, and every transform
/// (`grad`, `value_and_grad`, `vjp`, `jvp`, `jacfwd`, `jacrev`, `jacobian`, `hvp`,
/// `hessian`, `value_grad_hessian`, the function-returning forms in `fns`, and
/// the `Objective` trait).
pub mod prelude {
    pub use wengert_dual::{Dual, DualVec};
    pub use wengert_ops::{MatOp, Matrix, Real, Scalar};
    pub use wengert_tape::transforms::*;
    pub use wengert_tape::{
        check_gradient, gradcheck, numerical_gradient, numerical_hessian, GradCheck, Gradients, MatVar, Tape, Var,
    };
}

/// The README's code blocks, compiled and run as doctests so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
