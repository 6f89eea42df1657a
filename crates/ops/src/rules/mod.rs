//! Local rules of the matrix operations: forward values and vector-Jacobian
//! products, as pure functions over [`Matrix`](crate::Matrix), and [`Builtin`],
//! the enum that names each op and implements [`MatOp`](crate::MatOp) by
//! dispatching to them.
//!
//! Conventions, shared by every rule so the tape can call them uniformly:
//!
//! * `*_forward` computes the value (a fresh matrix, or into an `out` slice).
//! * `*_vjp` receives the upstream adjoint `g = ∂L/∂out` and **accumulates**
//!   (`+=`) each input's adjoint into a `&mut [T]` of that input's shape; an input
//!   that needs no gradient gets `None` and costs nothing.
//! * `*_shape` checks the input shapes and panics with the op name and the
//!   shapes, e.g. `matmul: (3×4)·(5×2): inner dimensions 4 and 5 differ` or
//!   `add: (2×3) and (4×3) cannot be broadcast`.
//! * Every rule is generic over [`Scalar`](crate::Scalar) and computes values with
//!   `T`'s own arithmetic (comparisons look at `value()`), so the same rules run
//!   on dual numbers and differentiate a second time.
//!
//! Files by family: [`matmul`](self) (products), `binary` (broadcast
//! arithmetic), `elementwise`, `reduce`, `shape`, `softmax`, `loss`,
//! `matrix_calculus` (LU-based ops); `docs/ops.md` tabulates all of them.

mod binary;
mod builtin;
mod elementwise;
mod loss;
mod matmul;
mod matrix_calculus;
mod reduce;
mod shape;
mod softmax;

pub use binary::*;
pub use builtin::Builtin;
pub use elementwise::*;
pub use loss::*;
pub use matmul::*;
pub use matrix_calculus::*;
pub use reduce::*;
pub use shape::*;
pub use softmax::*;
