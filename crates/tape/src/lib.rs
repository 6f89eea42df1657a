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
//! # One model, every transform
//!
//! Each transform runs the model on its own element type: [`grad`] on
//! `Var<'t, f64>`, [`hessian`] and [`hvp`] on `Var<'t, Dual<f64>>`, [`jacfwd`] on
//! `Dual<f64>`, and plain `f64` gives the value. A Rust closure has one argument
//! type, so one `let f = |x| …` cannot feed both `grad(&f, …)` and
//! `hessian(&f, …)`. Write the model once as a generic function and pass
//! `|x| f(x)` to each (or implement [`Objective`], or call
//! [`value_grad_hessian`], which needs one closure):
//!
//! ```
//! use wengert_tape::{grad, hessian, jacfwd, value_grad_hessian, Real};
//!
//! fn f<T: Real>(x: &[T]) -> T {
//!     (x[0] * x[1]).sin() + x[0] * x[0] * 3.0 // constants on the right
//! }
//! let x = [0.5, 2.0];
//! let g = grad(|v| f(v), &x);
//! let h = hessian(|v| f(v), &x);
//! assert_eq!(jacfwd(|v| f(v), &x), g);
//! assert_eq!(value_grad_hessian(|v| f(v), &x), (f(&x), g, h));
//! ```
//!
//! **Constants on the left need a concrete type.** In generic code
//! (`fn f<T: Real>`), write constants on the right: `x * 3.0`, `x - 1.0`,
//! `x / 2.0`, or convert them, `T::from_f64(3.0) * x`. `3.0 * x` and
//! `1.0 - x` compile only where `T` is concrete (`f64`, `Dual<f64>`,
//! `Var<'t, f64>` all have them), because Rust cannot make "`f64` times `T`"
//! part of the `Real` trait (rust-lang/rust#20671).
//!
//! A model whose inputs are matrices (weights, biases) is a function of
//! `&[MatVar]`: the matrix transforms ([`grad_matrices`], [`hvp_matrices`],
//! [`hessian_matrices`], …) pass one [`MatVar`] per input matrix and return
//! gradients shaped like the inputs; data enters a tape of any element type
//! through [`Tape::constant_matrix_from`], and `grads[w]` reads the gradient of
//! a matrix `w` off a [`Gradients`].
//!
//! Modules: [`tape`](Tape) (the arena and recording), `var` and `matvar` (the
//! handles and their rules), `gradients`, the reverse sweep, [`transforms`]
//! (every derivative transform: `grad`, `value_and_grad`, `vjp`, `jvp`,
//! `jacfwd`, `jacrev`, `jacobian`, `hvp`, `hessian`, `value_grad_hessian`, the
//! matrix family `grad_matrices` … `hessian_matrices`, their
//! function-returning forms in [`fns`], and the [`Objective`] trait; all
//! re-exported here), [gradient checking](gradcheck), [`parallel`]
//! (data-parallel gradients of sums over examples: one tape per thread, a
//! fixed-order reduction) and [`compile`](mod@compile) (record a closure once,
//! replay it at new inputs: guards, sparse Jacobians and Hessians by coloring,
//! Graphviz export).
#![warn(missing_docs)]

mod anomaly;
mod check;
pub mod compile;
mod gradients;
mod lift;
mod matvar;
mod matvar_ops;
pub mod parallel;
mod pool;
mod scalar_op;
mod sweep;
mod tape;
pub mod transforms;
mod var;

pub use anomaly::{Anomaly, Phase};
pub use check::{check_gradient, gradcheck, numerical_gradient, numerical_hessian, relative_error, GradCheck, Kink};
pub use compile::{compile, compile_vec, Compiled};
pub use gradients::Gradients;
pub use lift::{DualLift, DualVjp};
pub use matvar::MatVar;
pub use matvar_ops::PowExponent;
pub use parallel::{par_value_and_grad, par_value_and_grad_matrices, DataParallel};
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
