//! Local rules of the matrix operations: forward values and vector-Jacobian
//! products, as pure functions over [`Matrix`](crate::Matrix).
//!
//! Conventions, shared by every rule so the tape can call them uniformly:
//!
//! * `*_forward` computes the value (a fresh matrix, or into an `out` slice).
//! * `*_vjp` receives the upstream adjoint `g = ∂L/∂out` and **accumulates**
//!   (`+=`) each input's adjoint into a `&mut [T]` of that input's shape; an input
//!   that needs no gradient gets `None` and costs nothing.
//! * Shape checks panic with the op name and both shapes, e.g.
//!   `matmul: (3×4)·(5×2): inner dimensions 4 and 5 differ`.

mod matmul;

pub use matmul::*;
