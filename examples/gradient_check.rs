//! Gradient checking: the tape's gradients against central finite differences.
//!
//! Three functions, each with its report (max and overall relative error; a
//! correct gradient scores around 1e-8 to 1e-11 with `f64` central
//! differences, a wrong one near 1):
//!
//! 1. a scalar expression, checked with [`gradcheck`] (reverse mode against
//!    differences of the same closure);
//! 2. the logistic loss with a hand-written gradient, checked with
//!    [`check_gradient`] — the tool for verifying derivatives you derived
//!    yourself;
//! 3. a matrix-valued computation: the inputs are assembled into a 3 × 3 matrix
//!    with `MatVar::from_vars`, then `ln det(AᵀA + I) + Σ tanh(A) + ‖softmax(A)‖`
//!    flows through matrix ops (`matmul_tn`, `logdet`, `tanh`, `softmax`) back
//!    to scalars.
//!
//! Run: `cargo run --release --example gradient_check`

use wengert::prelude::*;

fn main() {
    // 1. A scalar expression.
    let report = gradcheck(scalar_expression, &[0.3, -1.2, 0.7]);
    println!("1. sin(x₀x₁) + e^{{x₁}} tanh x₂ + ln(x₀² + 1):\n   {report}");
    assert!(report.passes(1e-7));

    // 2. Logistic loss with a hand-derived gradient:
    //    L(w) = Σᵢ ln(1 + exp(−yᵢ xᵢ·w)),  ∇L = −Σᵢ yᵢ xᵢ σ(−yᵢ xᵢ·w).
    let xs = [[1.0, 0.5, -1.0], [0.2, -1.5, 0.3], [-0.7, 0.8, 2.0], [1.1, 1.0, 0.1]];
    let ys: [f64; 4] = [1.0, -1.0, 1.0, -1.0];
    let loss = |w: &[f64]| -> f64 { xs.iter().zip(&ys).map(|(x, y)| (1.0 + (-y * dot(x, w)).exp()).ln()).sum() };
    let grad = |w: &[f64]| -> Vec<f64> {
        let mut g = vec![0.0; 3];
        for (x, y) in xs.iter().zip(&ys) {
            let s = 1.0 / (1.0 + (y * dot(x, w)).exp()); // σ(−y x·w)
            for (gj, xj) in g.iter_mut().zip(x) {
                *gj -= y * xj * s;
            }
        }
        g
    };
    let w = [0.4, -0.3, 0.9];
    let report = check_gradient(loss, &grad(&w), &w);
    println!("2. logistic loss, hand-written gradient:\n   {report}");
    assert!(report.passes(1e-7));

    // 3. A matrix-valued computation from nine scalar inputs.
    let x0 = [0.5, -0.2, 0.1, 0.3, 0.8, -0.6, -0.4, 0.2, 0.9];
    let report = gradcheck(matrix_function, &x0);
    println!("3. ln det(AᵀA + I) + Σ tanh(A) + ½‖softmax(A)‖², A = from_vars(x, 3, 3):\n   {report}");
    assert!(report.passes(1e-6));

    // And what a wrong derivative looks like: drop the factor y from case 2.
    let wrong: Vec<f64> = {
        let mut g = vec![0.0; 3];
        for x in &xs {
            for (gj, xj) in g.iter_mut().zip(x) {
                *gj -= xj / (1.0 + dot(x, &w).exp());
            }
        }
        g
    };
    let report = check_gradient(loss, &wrong, &w);
    println!("(a deliberately wrong gradient for case 2):\n   {report}");
    assert!(!report.passes(1e-3));
}

/// `sin(x₀x₁) + e^{x₁} tanh x₂ + ln(x₀² + 1)`.
fn scalar_expression<'t>(x: &[Var<'t, f64>]) -> Var<'t, f64> {
    (x[0] * x[1]).sin() + x[1].exp() * x[2].tanh() + (x[0] * x[0] + 1.0).ln()
}

/// `ln det(AᵀA + I) + Σ tanh(A) + ½‖softmax(A)‖²` with `A` the 3 × 3 matrix of
/// the nine inputs.
fn matrix_function<'t>(x: &[Var<'t, f64>]) -> Var<'t, f64> {
    let tape = x[0].tape().expect("gradcheck passes tracked variables");
    let a = MatVar::from_vars(tape, x, 3, 3);
    let spd = a.matmul_tn(a) + tape.constant_matrix(&Matrix::identity(3));
    spd.logdet() + a.tanh().sum() + a.softmax().l2_penalty()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
