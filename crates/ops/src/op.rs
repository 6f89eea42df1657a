//! The one interface every matrix operation implements, built-in or custom.
//!
//! Why one trait: the tape records "this op, these inputs" and later asks the op
//! for its vector-Jacobian product. Built-in ops (an enum, [`crate::rules::Builtin`],
//! so recording them allocates nothing) and a user's own op (boxed) go through the
//! same three methods, and the same finite-difference harness tests both.
//!
//! Second order comes for free: implement the trait generically for every
//! `T: Scalar`, writing the VJP with `T`'s own arithmetic. A tape recorded over
//! `Dual<f64>` then differentiates your VJP in forward mode, which is exactly the
//! Hessian-vector product (forward-over-reverse); no second set of rules is needed.

use crate::matrix::Matrix;
use crate::scalar::Scalar;

/// A differentiable matrix operation: inputs are matrices, the output is one matrix
/// (a scalar result is `1 × 1`).
///
/// ```
/// use wengert_ops::{Matrix, MatOp, Scalar};
/// /// y = x³ elementwise.
/// struct Cube;
/// impl<T: Scalar> MatOp<T> for Cube {
///     fn name(&self) -> &str { "cube" }
///     fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize) { inputs[0] }
///     fn forward(&self, inputs: &[&Matrix<T>], out: &mut [T]) {
///         for (o, &x) in out.iter_mut().zip(inputs[0].iter()) { *o = x * x * x; }
///     }
///     fn vjp(&self, inputs: &[&Matrix<T>], _out: &Matrix<T>, g: &[T], grads: &mut [Option<&mut [T]>]) {
///         if let Some(gx) = grads[0].as_deref_mut() {
///             for ((gx, &x), &g) in gx.iter_mut().zip(inputs[0].iter()).zip(g) {
///                 *gx += g * T::from_f64(3.0) * x * x;
///             }
///         }
///     }
/// }
/// let x = Matrix::from_rows(&[[2.0]]);
/// let mut out = [0.0];
/// Cube.forward(&[&x], &mut out);
/// assert_eq!(out[0], 8.0);
/// ```
pub trait MatOp<T: Scalar> {
    /// The op's name, used in shape errors and graph dumps.
    fn name(&self) -> &str;
    /// Checks the input shapes and returns the output shape. On a mismatch it must
    /// panic with the op name and the shapes involved.
    fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize);
    /// Writes the value, row-major, into `out` (already sized to the output shape;
    /// its prior contents are unspecified).
    fn forward(&self, inputs: &[&Matrix<T>], out: &mut [T]);
    /// Vector-Jacobian product: given `g = ∂L/∂output` (row-major), **adds**
    /// `∂L/∂input_i` into `grads[i]` for every input whose slot is `Some`.
    /// `output` is the value `forward` produced, for ops whose derivative is
    /// cheapest in terms of it (sigmoid, exp, softmax, inverse).
    fn vjp(&self, inputs: &[&Matrix<T>], output: &Matrix<T>, g: &[T], grads: &mut [Option<&mut [T]>]);
}
