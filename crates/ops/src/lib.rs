//! # wengert-ops
//!
//! The bottom layer of wengert: the scalar traits every model is written against
//! ([`Scalar`], [`Real`]), the dense [`Matrix`] type, the kernels (matrix product),
//! and the *local rules* of every matrix operation: its value and its
//! vector-Jacobian product (VJP), as pure functions in [`rules`].
//!
//! Nothing here knows about a graph. Each rule can be tested alone against finite
//! differences, and the tape (`wengert-tape`) only decides *when* to call them.
#![warn(missing_docs)]

pub mod kernels;
pub mod linalg;
pub mod matrix;
pub mod op;
pub mod rules;
pub mod scalar;

pub use matrix::{shape_str, Matrix};
pub use op::MatOp;
pub use scalar::{Real, Scalar, Strided};
