//! The one interface every matrix operation implements, built-in or custom.
//!
//! Why one trait: the tape records "this op, these inputs" and later asks the op
//! for its vector-Jacobian product. Built-in ops (an enum, [`crate::rules::Builtin`],
//! so recording them allocates nothing) and a user's own op (boxed) go through the
//! same methods, and the same checks ([`crate::check`]) verify both.
//!
//! # Second order, and forward mode
//!
//! There are two ways for an op to take part in forward mode (`jvp`, `jacfwd`
//! through matrix code) and in Hessian-vector products (forward-over-reverse),
//! both of which record the computation on a tape over dual numbers
//! `Dual<T>` (value + tangent):
//!
//! 1. **Generic**: implement `MatOp<T>` for every `T: Scalar`, writing `forward`
//!    and `vjp` with `T`'s own arithmetic (comparisons through `value()`). On a
//!    dual-number tape both run on dual numbers: `forward` carries the tangents
//!    forward (that is the JVP), and the `vjp` on dual numbers is differentiated
//!    along the tangents, which is exactly what an HVP needs. Nothing else to
//!    write; every built-in op works this way.
//! 2. **Plain `forward`, explicit JVP**: an op whose value can only be computed
//!    for one element type (an external `f64` routine, say) implements
//!    `MatOp<f64>` with [`jvp`](MatOp::jvp), and is recorded through the adapter
//!    `wengert_tape::DualLift`, which computes a dual-number value as
//!    `forward(re) + ε·jvp(re, eps)`. Forward mode then works. An HVP also needs
//!    the **tangent of the VJP**: with inputs `x + εẋ`, output `y + εẏ` and
//!    upstream adjoint `ḡ + εġ`, the input adjoints must be
//!    `J(x)ᵀḡ + ε·(J(x)ᵀġ + d/dt[J(x + tẋ)ᵀ ḡ]_{t=0})`. The first two terms
//!    come from the op's plain `vjp`; the last one (second derivatives of the
//!    op, contracted with `ḡ` and `ẋ`) only from a VJP that runs on dual numbers,
//!    which `DualLift::with_dual_vjp` takes (a VJP written generically, as in 1,
//!    provides it when instantiated at `Dual<T>`). Without it, the adapter's
//!    dual VJP gives the exact real parts and the exact tangent wherever the
//!    inputs' tangents are zero, and NaN tangents elsewhere (never a silently
//!    wrong second derivative).

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
///     // Optional: the forward-mode rule, ẏ = 3x²·ẋ.
///     fn jvp(&self, inputs: &[&Matrix<T>], _out: &Matrix<T>, tangents: &[Option<&[T]>], out: &mut [T]) -> bool {
///         let dx = tangents[0].unwrap_or(&[]);
///         for (k, (o, &x)) in out.iter_mut().zip(inputs[0].iter()).enumerate() {
///             *o = dx.get(k).map_or(T::zero(), |&d| T::from_f64(3.0) * x * x * d);
///         }
///         true
///     }
/// }
/// let x = Matrix::from_rows(&[[2.0]]);
/// let mut out = [0.0];
/// Cube.forward(&[&x], &mut out);
/// assert_eq!(out[0], 8.0);
/// let mut dy = [0.0];
/// assert!(Cube.jvp(&[&x], &Matrix::from_rows(&[[8.0]]), &[Some(&[0.5][..])], &mut dy));
/// assert_eq!(dy[0], 6.0);
/// ```
pub trait MatOp<T: Scalar> {
    /// The op's name, used in shape errors and graph dumps.
    fn name(&self) -> &str;
    /// Checks the input shapes and returns the output shape. On a mismatch it must
    /// panic with the op name and the shapes involved.
    fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize);
    /// Writes the value, row-major, into `out` (already sized to the output shape;
    /// its prior contents are unspecified, so all of it must be written).
    fn forward(&self, inputs: &[&Matrix<T>], out: &mut [T]);
    /// Vector-Jacobian product: given `g = ∂L/∂output` (row-major), **adds**
    /// `∂L/∂input_i` into `grads[i]` for every input whose slot is `Some`.
    /// `output` is the value `forward` produced, for ops whose derivative is
    /// cheapest in terms of it (sigmoid, exp, softmax, inverse).
    fn vjp(&self, inputs: &[&Matrix<T>], output: &Matrix<T>, g: &[T], grads: &mut [Option<&mut [T]>]);
    /// Jacobian-vector product (forward-mode rule), optional: given each input's
    /// tangent (`None` for a zero tangent; otherwise row-major, of the input's
    /// shape) and the value `output` that `forward` produced, **writes** the
    /// output's tangent `Σᵢ Jᵢ·tangents[i]` into `out` (sized to the output,
    /// prior contents unspecified) and returns `true`.
    ///
    /// The default returns `false` without touching `out`: the op provides no
    /// JVP. Ops implemented generically over `T: Scalar` need none to run in
    /// forward mode (their `forward` on dual numbers is one); an op whose
    /// `forward` exists only for a plain `T` needs it (see the
    /// [module docs](self)), and every op can be checked with it
    /// ([`crate::check::check_jvp`], [`crate::check::dot_product_test`]).
    fn jvp(&self, inputs: &[&Matrix<T>], output: &Matrix<T>, tangents: &[Option<&[T]>], out: &mut [T]) -> bool {
        let _ = (inputs, output, tangents, out);
        false
    }
}
