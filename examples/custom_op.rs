//! User-defined matrix ops, of both kinds, through their whole life:
//!
//! 1. **generic**: row-wise L2 normalization `yᵢ = xᵢ / ‖xᵢ‖`, implementing
//!    [`MatOp<T>`] — a name, a shape rule, the value, the vector-Jacobian
//!    product and (optionally) the Jacobian-vector product — **for every
//!    `T: Scalar`**. Recorded with [`Tape::apply_custom`], it works in reverse
//!    mode, forward mode and for Hessians with no more code: on a tape over
//!    `Dual<f64>` its `forward` and `vjp` run on dual numbers, and the reverse
//!    sweep is differentiated in forward mode (forward-over-reverse).
//! 2. **plain `f64`**: elementwise arctangent, whose value needs `f64::atan` (the
//!    `Scalar` trait has no `atan`), so `forward` exists for `f64` only. It
//!    provides its JVP and a VJP written with `T`'s arithmetic, and is recorded
//!    through [`DualLift`], which runs it on dual-number tapes: `jvp` and
//!    `jacfwd` through it, and its Hessian by forward-over-reverse.
//!
//! Both are verified as the built-in ops are, with `wengert::ops::check`
//! (finite differences for the VJP and the JVP, and the dot-product test
//! `⟨J·v, w⟩ = ⟨v, Jᵀ·w⟩`), and their gradients and Hessians are compared with
//! finite differences of the whole objective.
//!
//! Run: `cargo run --example custom_op` (also run by `cargo test`).

use wengert::ops::check::{check_jvp, check_vjp, dot_product_test};
use wengert::prelude::*;
use wengert::tape::DualLift;

/// `yᵢ = xᵢ / ‖xᵢ‖₂` for every row `i`.
///
/// With `r = ‖x‖` and `y = x / r`, `∂y/∂x = (I − y yᵀ) / r`, which is
/// symmetric: the VJP of a row is `(g − y (y·g)) / r` for its adjoint `g`, and
/// the JVP the same expression of its tangent `ẋ`. Written with `y` (the stored
/// output), each needs one extra dot product per row.
///
/// A row of zeros has no direction: its value and gradient are NaN.
struct RowNormalize;

/// `‖row‖₂`.
fn norm<T: Scalar>(row: &[T]) -> T {
    row.iter().fold(T::zero(), |acc, &v| acc + v * v).sqrt()
}

impl RowNormalize {
    /// `out_row (+)= (d − y (y·d)) / ‖x‖` for every row: the VJP (`d = g`,
    /// accumulating) and the JVP (`d = ẋ`, writing).
    fn project<T: Scalar>(x: &Matrix<T>, y: &Matrix<T>, d: &[T], out: &mut [T], accumulate: bool) {
        let n = y.cols();
        if n == 0 {
            return;
        }
        let rows = x.row_iter().zip(y.row_iter()).zip(d.chunks_exact(n)).zip(out.chunks_exact_mut(n));
        for (((x, y), d), out) in rows {
            let r = norm(x);
            let yd = y.iter().zip(d).fold(T::zero(), |acc, (&y, &d)| acc + y * d);
            for ((o, &y), &d) in out.iter_mut().zip(y).zip(d) {
                let v = (d - y * yd) / r;
                *o = if accumulate { *o + v } else { v };
            }
        }
    }
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
        if let Some(gx) = grads[0].as_deref_mut() {
            Self::project(inputs[0], output, g, gx, true);
        }
    }

    /// Optional for a generic op (forward mode runs `forward` on dual numbers);
    /// written here so the dot-product test can check the VJP against it.
    fn jvp(&self, inputs: &[&Matrix<T>], output: &Matrix<T>, tangents: &[Option<&[T]>], out: &mut [T]) -> bool {
        match tangents[0] {
            Some(dx) => Self::project(inputs[0], output, dx, out, false),
            None => out.fill(T::zero()),
        }
        true
    }
}

/// `y = atan(x)` elementwise. The value needs `f64::atan`, so the op is a
/// `MatOp<f64>` only; its derivative `1 / (1 + x²)` is plain arithmetic, so the
/// VJP is written for every `T: Scalar` ([`Atan::vjp_any`]) and serves as the
/// VJP on dual numbers that Hessians need.
struct Atan;

impl Atan {
    /// `gx += g / (1 + x²)`, generic over the element type.
    fn vjp_any<T: Scalar>(inputs: &[&Matrix<T>], g: &[T], grads: &mut [Option<&mut [T]>]) {
        if let Some(gx) = grads[0].as_deref_mut() {
            for ((gx, &x), &g) in gx.iter_mut().zip(inputs[0].iter()).zip(g) {
                *gx += g / (T::one() + x * x);
            }
        }
    }

    /// The op as recorded on tapes over `f64` and over `Dual<f64>`: forward mode
    /// through its JVP, Hessians through its generic VJP run on dual numbers.
    fn lifted() -> DualLift<Atan> {
        DualLift::new(Atan).with_dual_vjp(|_, inputs, _, g, grads| Atan::vjp_any(inputs, g, grads))
    }
}

impl MatOp<f64> for Atan {
    fn name(&self) -> &str {
        "atan"
    }
    fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize) {
        assert_eq!(inputs.len(), 1, "atan: expected one input, got {}", inputs.len());
        inputs[0]
    }
    fn forward(&self, inputs: &[&Matrix<f64>], out: &mut [f64]) {
        for (o, x) in out.iter_mut().zip(inputs[0].iter()) {
            *o = x.atan();
        }
    }
    fn vjp(&self, inputs: &[&Matrix<f64>], _: &Matrix<f64>, g: &[f64], grads: &mut [Option<&mut [f64]>]) {
        Atan::vjp_any(inputs, g, grads);
    }
    /// `ẏ = ẋ / (1 + x²)`.
    fn jvp(&self, inputs: &[&Matrix<f64>], _: &Matrix<f64>, tangents: &[Option<&[f64]>], out: &mut [f64]) -> bool {
        for (k, (o, x)) in out.iter_mut().zip(inputs[0].iter()).enumerate() {
            *o = tangents[0].map_or(0.0, |t| t[k] / (1.0 + x * x));
        }
        true
    }
}

const ROWS: usize = 3;
const COLS: usize = 4;

/// The first objective, generic over the tape's element type: normalize the rows
/// of `X`, then `Σ W ⊙ Y + Σ σ(2Y)` (the sigmoid makes the second derivative of
/// everything after the op non-trivial).
fn objective<'t, T: Scalar>(v: &[Var<'t, T>], w: &Matrix<T>) -> Var<'t, T> {
    let tape = v[0].tape().expect("the inputs are tape variables");
    let y = tape.apply_custom(RowNormalize, &[MatVar::from_vars(tape, v, ROWS, COLS)]);
    y.dot(tape.constant_matrix(w)) + (y * 2.0).sigmoid().sum()
}

/// The second objective, generic over the element types the lifted `atan`
/// supports (`f64` and `Dual<f64>`): `Σ W ⊙ atan(X·A)²`.
fn atan_objective<'t, T: Scalar>(v: &[Var<'t, T>], a: &Matrix<T>, w: &Matrix<T>) -> Var<'t, T>
where
    DualLift<Atan>: MatOp<T>,
{
    let tape = v[0].tape().expect("the inputs are tape variables");
    let x = MatVar::from_vars(tape, v, ROWS, COLS);
    let y = tape.apply_custom(Atan::lifted(), &[x.matmul(tape.constant_matrix(a))]);
    y.mul_elem(y).dot(tape.constant_matrix(w))
}

/// The largest `|aᵢⱼ − bᵢⱼ|` relative to the largest `|aᵢⱼ|`.
fn relative_diff(a: &Matrix<f64>, b: &Matrix<f64>) -> f64 {
    a.max_abs_diff(b) / a.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-300)
}

/// Both ops through the check harness, as every built-in op is checked.
fn check_ops(x: &Matrix<f64>) {
    println!("checks (wengert::ops::check, as for the built-in ops):");
    for (op, name) in [(&RowNormalize as &dyn MatOp<f64>, "row_normalize"), (&Atan, "atan")] {
        let vjp = check_vjp(op, std::slice::from_ref(x), 1);
        let jvp = check_jvp(op, std::slice::from_ref(x), 2);
        let dot = dot_product_test(op, std::slice::from_ref(x), 3);
        println!(
            "  {name:<14} VJP vs FD {:.1e}   JVP vs FD {:.1e}   ⟨Jv,w⟩ vs ⟨v,Jᵀw⟩ {:.1e}",
            vjp.max_error,
            jvp.max_error,
            dot.relative_error()
        );
        assert!(vjp.passes(1e-6), "{vjp}");
        assert!(jvp.passes(1e-6), "{jvp}");
        assert!(dot.passes(1e-12), "{dot}");
    }
}

/// The generic op: gradient and Hessian (forward-over-reverse) against finite
/// differences, and an exact identity of its second derivatives.
fn generic_op(x: &[f64], w: &Matrix<f64>) {
    let tape = Tape::new();
    let y = tape.apply_custom(RowNormalize, &[tape.matrix(&Matrix::from_vec(ROWS, COLS, x.to_vec()))]).value();
    let norms: Vec<f64> = y.row_iter().map(norm).collect();
    println!("\nrow norms of row_normalize(X): {norms:?}");
    assert!(norms.iter().all(|r| (r - 1.0).abs() < 1e-15));

    let report = gradcheck(|v| objective(v, w), x);
    println!("gradient check of Σ W ⊙ Y + Σ σ(2Y), Y = row_normalize(X):\n{report}");
    assert!(report.passes(1e-7), "the VJP of row_normalize disagrees with finite differences");

    let w_dual = w.cast::<Dual<f64>>();
    let h = hessian(|v| objective(v, &w_dual), x);
    let h_num = numerical_hessian(|p| objective(&Tape::new().vars(p), w).primal(), x);
    let max_entry = h.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let asymmetry = h.max_abs_diff(&h.transpose());
    println!("Hessian ({n}×{n}) through the generic op:", n = x.len());
    println!("  max |forward-over-reverse − FD| / max |H|   {:.1e}", relative_diff(&h, &h_num));
    println!("  max |H − Hᵀ| (not symmetrized)             {asymmetry:.1e}");
    assert!(relative_diff(&h, &h_num) <= 1e-5, "the Hessian disagrees with finite differences");
    assert!(asymmetry <= 1e-12 * max_entry, "the Hessian is not symmetric to rounding");

    // Row normalization is invariant to scaling a row, so f is homogeneous of
    // degree 0 in each row: xᵢ·∇ₓᵢf = 0 for every row i (Euler). Differentiating
    // that identity gives H·x = −∇f: an exact check of the second derivatives
    // that needs no finite differences.
    let g = grad(|v| objective(v, w), x);
    let hx: Vec<f64> = (0..x.len()).map(|i| h.row(i).iter().zip(x).map(|(a, b)| a * b).sum()).collect();
    let euler = hx.iter().zip(&g).fold(0.0f64, |m, (a, b)| m.max((a + b).abs()));
    println!("  max |H·x + ∇f| (0 by Euler)                {euler:.1e}");
    assert!(euler <= 1e-12 * max_entry.max(1.0), "H·x ≠ −∇f");
}

/// The `f64`-only op through `DualLift`: forward mode against reverse mode, and
/// the Hessian against finite differences.
fn f64_only_op(x: &[f64], w: &Matrix<f64>) {
    let a = Matrix::from_fn(COLS, COLS, |i, j| if i == j { 0.8 } else { 0.1 * (i as f64 - j as f64) });
    let (a_dual, w_dual) = (a.cast::<Dual<f64>>(), w.cast::<Dual<f64>>());

    // Reverse mode on a Tape<f64> (DualLift is the op itself there) and forward
    // mode on a Tape<Dual<f64>> (through the op's JVP).
    let g = grad(|v| atan_objective(v, &a, w), x);
    let j_fwd = jacfwd(fns::on_tape(|v| vec![atan_objective(v, &a_dual, &w_dual)]), x);
    let g_fwd = j_fwd.row(0);
    let fwd_rev = g.iter().zip(g_fwd).fold(0.0f64, |m, (r, f)| m.max((r - f).abs()));
    let dir: Vec<f64> = (0..x.len()).map(|i| (i as f64 * 0.7).sin()).collect();
    let (_, jv) = jvp(fns::on_tape(|v| vec![atan_objective(v, &a_dual, &w_dual)]), x, &dir);
    let directional: f64 = g.iter().zip(&dir).map(|(g, d)| g * d).sum();
    println!("\nΣ W ⊙ atan(X·A)², atan for f64 only, recorded through DualLift:");
    println!("  max |∇f by jacfwd − ∇f by reverse mode|   {fwd_rev:.1e}");
    println!("  |jvp − ∇f·v|                              {:.1e}", (jv[0] - directional).abs());
    assert!(fwd_rev <= 1e-13 && (jv[0] - directional).abs() <= 1e-13);

    let report = gradcheck(|v| atan_objective(v, &a, w), x);
    assert!(report.passes(1e-7), "{report}");

    let h = hessian(|v| atan_objective(v, &a_dual, &w_dual), x);
    let h_num = numerical_hessian(|p| atan_objective(&Tape::new().vars(p), &a, w).primal(), x);
    let max_entry = h.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let asymmetry = h.max_abs_diff(&h.transpose());
    println!("  Hessian: max |forward-over-reverse − FD| / max |H|   {:.1e}", relative_diff(&h, &h_num));
    println!("  Hessian: max |H − Hᵀ|                               {asymmetry:.1e}");
    assert!(relative_diff(&h, &h_num) <= 1e-5, "the Hessian disagrees with finite differences");
    assert!(asymmetry <= 1e-12 * max_entry, "the Hessian is not symmetric to rounding");
}

fn main() {
    let x: Vec<f64> = vec![0.8, -1.2, 0.3, 2.0, -0.5, 0.4, 1.1, -0.7, 1.5, 0.2, -0.9, 0.6];
    let w = Matrix::from_vec(ROWS, COLS, vec![0.3, -0.2, 0.5, 0.1, -0.4, 0.6, 0.2, -0.1, 0.7, 0.3, -0.5, 0.2]);
    check_ops(&Matrix::from_vec(ROWS, COLS, x.clone()));
    generic_op(&x, &w);
    f64_only_op(&x, &w);
}

#[cfg(test)]
mod tests {
    /// The example's assertions (checks, gradients, Hessians of both ops) hold.
    #[test]
    fn example_runs() {
        super::main();
    }
}
