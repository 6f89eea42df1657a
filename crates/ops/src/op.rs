//! The one interface every matrix operation implements, built-in or custom.
//!
//! Why one trait: the tape records "this op, these inputs" and later asks the op
//! for its vector-Jacobian product. Built-in ops (an enum, [`crate::rules::Builtin`],
//! so recording them allocates nothing) and a user's own op (boxed) go through the
//! same methods, and the same checks ([`crate::check`]) verify both.
//!
//! How an op takes part in forward mode and in Hessian-vector products is
//! documented on the trait ([`MatOp`], "Forward mode and second order").

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
///
/// # Forward mode and second order
///
/// Forward mode (`jvp`, `jacfwd` through matrix code) and Hessian-vector
/// products (forward-over-reverse: `hvp`, `hessian`) record the computation on a
/// tape over dual numbers `Dual<T>` (value + tangent), so the op must be a
/// `MatOp<Dual<T>>` there. Two ways:
///
/// 1. **Generic**: implement `MatOp<T>` for every `T: Scalar`, writing `forward`
///    and `vjp` with `T`'s own arithmetic (comparisons through `value()`). On a
///    dual-number tape both run on dual numbers: `forward` carries the tangents
///    (that is the JVP), and `vjp` on dual numbers is differentiated along the
///    tangents, which is what an HVP needs. Nothing else to write; every
///    built-in op works this way, and [`jvp`](MatOp::jvp) is optional.
/// 2. **Value for a plain `T` only** (an external `f64` routine, say):
///    implement `MatOp<f64>` with [`jvp`](MatOp::jvp) and record the op
///    through the adapter `wengert_tape::DualLift`, whose value on dual numbers
///    is `forward(re) + ε·jvp(re, eps)`. That is enough for forward mode. An
///    HVP also needs the **tangent of the VJP**: with inputs `x + εẋ`, output
///    `y + εẏ` (`ẏ = J·ẋ`) and upstream adjoint `ḡ + εġ`, the input adjoints
///    must be `J(x)ᵀḡ + ε·(J(x)ᵀġ + d/dt[J(x + tẋ)ᵀ ḡ]_{t=0})`. The plain
///    `vjp` gives the first two terms; the last (the op's second derivatives,
///    contracted with `ḡ` and `ẋ`) comes only from a VJP that runs on dual
///    numbers, passed to `DualLift::with_dual_vjp` — a VJP written with `T`'s
///    arithmetic from `x`, `y` and `g` computes it when instantiated at
///    `Dual<T>`. Without one, the adapter gives exact real parts and the exact
///    tangent where no input carries one, and NaN tangents elsewhere (never a
///    silently wrong second derivative).
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
    /// `forward` exists only for a plain `T` needs it (see "Forward mode and
    /// second order" above), and every op can be checked with it
    /// ([`crate::check::check_jvp`], [`crate::check::dot_product_test`]).
    fn jvp(&self, inputs: &[&Matrix<T>], output: &Matrix<T>, tangents: &[Option<&[T]>], out: &mut [T]) -> bool {
        let _ = (inputs, output, tangents, out);
        false
    }
}
