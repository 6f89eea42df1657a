//! A user-defined matrix op: row-wise L2 normalization, `yᵢ = xᵢ / ‖xᵢ‖`.
//!
//! Shows the whole life of a custom op:
//!
//! 1. implement [`MatOp<T>`] — a name, a shape rule, the value and the
//!    vector-Jacobian product — **generically for every `T: Scalar`**;
//! 2. record it with [`Tape::apply_custom`] between built-in ops;
//! 3. check its gradient against finite differences with [`gradcheck`] (the
//!    closure builds the matrix input from the flat variables with
//!    [`MatVar::from_vars`]);
//! 4. get its **Hessian** with [`hessian`] and compare with [`numerical_hessian`].
//!
//! Step 4 needs no extra code: `hessian` records the function on a tape over
//! `Dual<f64>`, so the op's `forward` and `vjp` run on dual numbers and the
//! reverse sweep is differentiated in forward mode (forward-over-reverse). That
//! only works because the op is generic over the element type — an op written
//! for `f64` alone could not be used there.
//!
//! Run: `cargo run --example custom_op`.

use wengert::prelude::*;

/// `yᵢ = xᵢ / ‖xᵢ‖₂` for every row `i`.
///
/// VJP: with `r = ‖x‖` and `y = x / r`, `∂y/∂x = (I − y yᵀ) / r`, which is
/// symmetric, so `∂L/∂x = (g − y (y·g)) / r` for the incoming adjoint `g` of a
/// row. Written with `y` (the stored output), it needs only one extra dot
/// product per row.
///
/// A row of zeros has no direction: its value and gradient are NaN.
struct RowNormalize;

/// `‖row‖₂`.
fn norm<T: Scalar>(row: &[T]) -> T {
    row.iter().fold(T::zero(), |acc, &v| acc + v * v).sqrt()
}

impl<T: Scalar> MatOp<T> for RowNormalize {
    fn name(&self) -> &str {
        "row_normalize"
    }

    fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize) {
        assert_eq!(inputs.len(), 1, "row_normalize: expected one input, got {}", inputs.len());
        inputs[0]
    }

    fn forward(&self, inputs: &[&Matrix<T>], out: &mut [T]) {
        let x = inputs[0];
        if x.cols() == 0 {
            return;
        }
        for (row, out) in x.row_iter().zip(out.chunks_exact_mut(x.cols())) {
            let r = norm(row);
            for (o, &v) in out.iter_mut().zip(row) {
                *o = v / r;
            }
        }
    }

    fn vjp(&self, inputs: &[&Matrix<T>], output: &Matrix<T>, g: &[T], grads: &mut [Option<&mut [T]>]) {
        let Some(gx) = grads[0].as_deref_mut() else { return };
        let n = output.cols();
        if n == 0 {
            return;
        }
        let rows = inputs[0].row_iter().zip(output.row_iter()).zip(g.chunks_exact(n)).zip(gx.chunks_exact_mut(n));
        for (((x, y), g), gx) in rows {
            let r = norm(x);
            let yg = y.iter().zip(g).fold(T::zero(), |acc, (&y, &g)| acc + y * g);
            for ((gx, &y), &g) in gx.iter_mut().zip(y).zip(g) {
                *gx += (g - y * yg) / r;
            }
        }
    }
}

const ROWS: usize = 3;
const COLS: usize = 4;

/// The objective, generic over the tape's element type: normalize the rows of
/// `X`, then `Σ W ⊙ Y + Σ σ(2Y)` (the sigmoid makes the second derivative of
/// everything after the op non-trivial).
fn objective<'t, T: Scalar>(x: MatVar<'t, T>, w: &Matrix<T>) -> Var<'t, T> {
    let tape = x.tape();
    let y = tape.apply_custom(RowNormalize, &[x]);
    y.dot(tape.constant_matrix(w)) + (y * 2.0).sigmoid().sum()
}

/// [`objective`] of a flat vector of variables (the shape the transforms use).
fn objective_flat<'t, T: Scalar>(v: &[Var<'t, T>], w: &Matrix<T>) -> Var<'t, T> {
    let tape = v[0].tape().expect("the inputs are tape variables");
    objective(MatVar::from_vars(tape, v, ROWS, COLS), w)
}

fn main() {
    let x: Vec<f64> = vec![0.8, -1.2, 0.3, 2.0, -0.5, 0.4, 1.1, -0.7, 1.5, 0.2, -0.9, 0.6];
    let w = Matrix::from_vec(ROWS, COLS, vec![0.3, -0.2, 0.5, 0.1, -0.4, 0.6, 0.2, -0.1, 0.7, 0.3, -0.5, 0.2]);

    // The op's value: every row of Y has unit length.
    let tape = Tape::new();
    let xv = tape.matrix(&Matrix::from_vec(ROWS, COLS, x.clone()));
    let y = tape.apply_custom(RowNormalize, &[xv]).value();
    let norms: Vec<f64> = y.row_iter().map(norm).collect();
    println!("row norms of row_normalize(X): {norms:?}");
    assert!(norms.iter().all(|r| (r - 1.0).abs() < 1e-15));

    // The gradient against central differences.
    let report = gradcheck(|v| objective_flat(v, &w), &x);
    println!("\ngradient check of Σ W ⊙ Y + Σ σ(2Y), Y = row_normalize(X):\n{report}");
    assert!(report.passes(1e-7), "the VJP of row_normalize disagrees with finite differences");

    // The Hessian by forward-over-reverse through the op, against the
    // four-point finite-difference formula.
    let w_dual = w.cast::<Dual<f64>>();
    let h = hessian(|v| objective_flat(v, &w_dual), &x);
    let h_num = numerical_hessian(
        |p| {
            let tape = Tape::new();
            objective_flat(&tape.vars(p), &w).primal()
        },
        &x,
    );
    let max_entry = h.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let max_diff = h.max_abs_diff(&h_num);
    let asymmetry = h.max_abs_diff(&h.transpose());
    println!("Hessian ({n}×{n}) through the custom op:", n = x.len());
    println!("  largest entry                      {max_entry:.3e}");
    println!("  max |forward-over-reverse − FD|    {max_diff:.3e}  (relative {:.1e})", max_diff / max_entry);
    println!("  max |H − Hᵀ| (not symmetrized)     {asymmetry:.3e}");
    println!("  H[0][0..4] = {:.6?}", &h.row(0)[..4]);
    println!("  FD[0][0..4] = {:.6?}", &h_num.row(0)[..4]);
    assert!(max_diff <= 1e-5 * max_entry, "the Hessian disagrees with finite differences");
    assert!(asymmetry <= 1e-12 * max_entry, "the Hessian is not symmetric to rounding");

    // Row normalization is invariant to scaling a row, so f is homogeneous of
    // degree 0 in each row: xᵢ·∇ₓᵢf = 0 for every row i (Euler). Differentiating
    // that identity gives H·x = −∇f: an exact check of the second derivatives
    // that needs no finite differences.
    let g = grad(|v| objective_flat(v, &w), &x);
    let hx: Vec<f64> = (0..x.len()).map(|i| h.row(i).iter().zip(&x).map(|(a, b)| a * b).sum()).collect();
    let euler = hx.iter().zip(&g).fold(0.0f64, |m, (a, b)| m.max((a + b).abs()));
    println!("  max |H·x + ∇f| (0 by Euler)        {euler:.3e}");
    assert!(euler <= 1e-12 * max_entry.max(1.0), "H·x ≠ −∇f");
}
