//! # wengert-ops
//!
//! The bottom layer of wengert: the scalar traits every model is written against
//! ([`Scalar`], [`Real`]), the dense [`Matrix`] type, the kernels (matrix product),
//! the *local rules* of every matrix operation — its value, its vector-Jacobian
//! product (VJP) and its Jacobian-vector product (JVP) — in [`rules`], the
//! [`MatOp`] trait a custom op implements, and the [`check`]s that verify an op's
//! rules.
//!
//! Nothing here knows about a graph. Each rule can be tested alone against finite
//! differences, and the tape (`wengert-tape`) only decides *when* to call them.
#![warn(missing_docs)]

pub mod check;
pub mod interop;
pub mod kernels;
pub mod linalg;
pub mod matrix;
pub mod op;
pub mod rules;
pub mod scalar;

pub use matrix::{shape_str, Matrix};
pub use op::MatOp;
pub use scalar::{Real, Scalar, Strided};
