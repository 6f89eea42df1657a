//! Every built-in op's VJP against central finite differences, through one
//! generic harness ([`check_vjp`]) that accepts any `MatOp<f64>`.
//!
//! The harness builds `L = Σ w ⊙ forward(inputs)` for a random weight matrix `w`,
//! asks the op for its VJP seeded with `g = w`, and compares every element of
//! every input's adjoint with `(L(x + h) − L(x − h)) / 2h`, `h = 1e-6·max(1, |x|)`.
//! The error measure is `|analytic − numeric| / max(1, |analytic|, |numeric|)`:
//! relative for adjoints of size ≥ 1, absolute below (where a relative error of
//! a near-zero derivative would measure only rounding noise). Central differences
//! on f64 with this step are accurate to about 1e-9 here, so `1e-6` has margin.
//!
//! Inputs are drawn inside each op's domain: positive for `ln`/`sqrt`/`powf`,
//! away from the kinks of `relu`/`abs`/`clamp`/`max_rows` by more than `h`, and
//! diagonally dominant (well conditioned) for the LU-based ops.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use wengert_ops::rules::{Axis, Builtin};
use wengert_ops::{MatOp, Matrix};

/// Checks `op`'s VJP against central differences for every input element.
/// Also checks that the VJP accumulates (pre-filled slots keep their contents
/// added) and that a `None` slot leaves the other inputs' adjoints unchanged.
fn check_vjp(op: &dyn MatOp<f64>, inputs: &[Matrix<f64>], tol: f64, rng: &mut StdRng) {
    let shapes: Vec<_> = inputs.iter().map(|m| m.shape()).collect();
    let out_shape = op.output_shape(&shapes);
    let w: Matrix<f64> = Matrix::random_normal(out_shape.0, out_shape.1, 0.0, 1.0, rng);
    let eval = |xs: &[Matrix<f64>]| -> (Matrix<f64>, f64) {
        let refs: Vec<&Matrix<f64>> = xs.iter().collect();
        let mut out = vec![f64::NAN; out_shape.0 * out_shape.1];
        op.forward(&refs, &mut out);
        let l = out.iter().zip(w.iter()).map(|(o, w)| o * w).sum();
        (Matrix::from_vec(out_shape.0, out_shape.1, out), l)
    };
    let (output, _) = eval(inputs);
    assert!(output.iter().all(|v| v.is_finite()), "{}: non-finite output {output:?}", op.name());

    // Analytic adjoints, accumulated onto a random prefill.
    let prefill: Vec<Vec<f64>> =
        inputs.iter().map(|x| (0..x.len()).map(|_| rng.random_range(-1.0..1.0)).collect()).collect();
    let mut bufs = prefill.clone();
    {
        let refs: Vec<&Matrix<f64>> = inputs.iter().collect();
        let mut slots: Vec<Option<&mut [f64]>> = bufs.iter_mut().map(|b| Some(b.as_mut_slice())).collect();
        op.vjp(&refs, &output, w.as_slice(), &mut slots);
    }
    let analytic: Vec<Vec<f64>> =
        bufs.iter().zip(&prefill).map(|(b, p)| b.iter().zip(p).map(|(b, p)| b - p).collect()).collect();

    // With only one slot present, that input's adjoint must be the same.
    for i in 0..inputs.len() {
        let refs: Vec<&Matrix<f64>> = inputs.iter().collect();
        let mut only = vec![0.0; inputs[i].len()];
        let mut slots: Vec<Option<&mut [f64]>> = (0..inputs.len()).map(|_| None).collect();
        slots[i] = Some(only.as_mut_slice());
        op.vjp(&refs, &output, w.as_slice(), &mut slots);
        for (k, (a, b)) in only.iter().zip(&analytic[i]).enumerate() {
            assert!(
                (a - b).abs() <= 1e-12 * (1.0 + b.abs()),
                "{}: input {i}[{k}] alone {a} vs with all {b}",
                op.name()
            );
        }
    }

    // Central differences.
    let mut xs: Vec<Matrix<f64>> = inputs.to_vec();
    for (i, analytic_i) in analytic.iter().enumerate() {
        for (k, &a) in analytic_i.iter().enumerate() {
            let x0 = inputs[i].as_slice()[k];
            let h = 1e-6 * x0.abs().max(1.0);
            xs[i].as_mut_slice()[k] = x0 + h;
            let (_, lp) = eval(&xs);
            xs[i].as_mut_slice()[k] = x0 - h;
            let (_, lm) = eval(&xs);
            xs[i].as_mut_slice()[k] = x0;
            let numeric = (lp - lm) / (2.0 * h);
            let err = (a - numeric).abs() / 1f64.max(a.abs()).max(numeric.abs());
            assert!(
                err < tol,
                "{}: input {i} {:?} element {k}: analytic {a}, numeric {numeric}, error {err:.2e}",
                op.name(),
                inputs[i].shape()
            );
        }
    }
}

const TOL: f64 = 1e-6;
const SHAPES: [(usize, usize); 6] = [(1, 1), (1, 4), (4, 1), (3, 5), (5, 3), (4, 4)];

fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

fn normal(r: &mut StdRng, s: (usize, usize)) -> Matrix<f64> {
    Matrix::random_normal(s.0, s.1, 0.0, 1.0, r)
}

fn positive(r: &mut StdRng, s: (usize, usize)) -> Matrix<f64> {
    Matrix::random_uniform(s.0, s.1, 0.3, 3.0, r)
}

/// Values with magnitude in [0.1, 2] and random sign: away from 0 (relu, abs).
fn off_zero(r: &mut StdRng, s: (usize, usize)) -> Matrix<f64> {
    Matrix::from_fn(s.0, s.1, |_, _| {
        let v = r.random_range(0.1..2.0);
        if r.random_bool(0.5) {
            v
        } else {
            -v
        }
    })
}

/// Well-conditioned square matrix: random plus `n` (or `-n`) on the diagonal.
fn well_conditioned(r: &mut StdRng, n: usize, negative_det: bool) -> Matrix<f64> {
    let mut a = normal(r, (n, n));
    for i in 0..n {
        a[(i, i)] += n as f64 + 1.0;
    }
    if negative_det {
        for j in 0..n {
            a[(0, j)] = -a[(0, j)];
        }
    }
    a
}

#[test]
fn elementwise_ops() {
    let mut r = rng(10);
    for &s in &SHAPES {
        for op in [
            Builtin::Neg,
            Builtin::Scale(-2.5),
            Builtin::AddConst(3.0),
            Builtin::Exp,
            Builtin::Sigmoid,
            Builtin::Tanh,
            Builtin::Softplus,
        ] {
            let x = normal(&mut r, s);
            check_vjp(&op, &[x], TOL, &mut r);
        }
        for op in [Builtin::Ln, Builtin::Sqrt, Builtin::Powf(2.7), Builtin::Powf(-0.5)] {
            let x = positive(&mut r, s);
            check_vjp(&op, &[x], TOL, &mut r);
        }
        for op in [Builtin::Abs, Builtin::Relu] {
            let x = off_zero(&mut r, s);
            check_vjp(&op, &[x], TOL, &mut r);
        }
        // Clamp to [-0.5, 0.5]: values in the open interval and outside, all
        // at least 0.01 (≫ h) from a bound.
        let x = Matrix::from_fn(s.0, s.1, |i, j| [-1.3, -0.45, 0.0, 0.3, 0.45, 0.9][(i + 2 * j) % 6] + 0.01 * i as f64);
        check_vjp(&Builtin::Clamp { lo: -0.5, hi: 0.5 }, &[x], TOL, &mut r);
    }
}

#[test]
fn broadcast_binary_ops() {
    let mut r = rng(11);
    for &(m, n) in &SHAPES {
        // Same shape, and each operand broadcast as a row, a column, a scalar.
        let partner_shapes = [(m, n), (1, n), (m, 1), (1, 1)];
        for &ps in &partner_shapes {
            for (left_full, op) in [
                (true, Builtin::Add),
                (false, Builtin::Add),
                (true, Builtin::Sub),
                (false, Builtin::Sub),
                (true, Builtin::Mul),
                (false, Builtin::Mul),
            ] {
                let (a, b) = if left_full {
                    (normal(&mut r, (m, n)), normal(&mut r, ps))
                } else {
                    (normal(&mut r, ps), normal(&mut r, (m, n)))
                };
                check_vjp(&op, &[a, b], TOL, &mut r);
            }
            // Division: keep the divisor away from 0.
            check_vjp(&Builtin::Div, &[normal(&mut r, (m, n)), positive(&mut r, ps)], TOL, &mut r);
            check_vjp(&Builtin::Div, &[normal(&mut r, ps), positive(&mut r, (m, n))], TOL, &mut r);
        }
        // Row against column: both broadcast to m×n.
        check_vjp(&Builtin::Mul, &[normal(&mut r, (1, n)), normal(&mut r, (m, 1))], TOL, &mut r);
        check_vjp(&Builtin::ScaleBy, &[normal(&mut r, (m, n)), normal(&mut r, (1, 1))], TOL, &mut r);
    }
}

#[test]
fn matmul_all_transpose_flags() {
    let mut r = rng(12);
    for &(m, k, n) in &[(1, 1, 1), (1, 4, 1), (4, 1, 3), (3, 5, 2), (2, 3, 6), (7, 6, 5), (20, 17, 19)] {
        for ta in [false, true] {
            for tb in [false, true] {
                let a = normal(&mut r, if ta { (k, m) } else { (m, k) });
                let b = normal(&mut r, if tb { (n, k) } else { (k, n) });
                check_vjp(&Builtin::MatMul { ta, tb }, &[a, b], TOL, &mut r);
            }
        }
    }
}

#[test]
fn reductions_dot_and_outer() {
    let mut r = rng(13);
    for &s in &SHAPES {
        for axis in [Axis::All, Axis::PerRow, Axis::PerCol] {
            check_vjp(&Builtin::Sum(axis), &[normal(&mut r, s)], TOL, &mut r);
            check_vjp(&Builtin::Mean(axis), &[normal(&mut r, s)], TOL, &mut r);
        }
        // Distinct values per row, spaced 0.1 apart, in a random order.
        let x = Matrix::from_fn(s.0, s.1, |i, j| ((j * 7 + i * 3) % s.1) as f64 * 0.1 + i as f64);
        check_vjp(&Builtin::MaxRows, &[x], TOL, &mut r);
        check_vjp(&Builtin::Dot, &[normal(&mut r, s), normal(&mut r, s)], TOL, &mut r);
        check_vjp(&Builtin::L2Penalty, &[normal(&mut r, s)], TOL, &mut r);
    }
    for (us, vs) in [((1, 1), (1, 1)), ((1, 3), (4, 1)), ((3, 1), (1, 5)), ((2, 1), (3, 1))] {
        check_vjp(&Builtin::Outer, &[normal(&mut r, us), normal(&mut r, vs)], TOL, &mut r);
    }
}

#[test]
fn shape_ops() {
    let mut r = rng(14);
    for &s in &SHAPES {
        check_vjp(&Builtin::Transpose, &[normal(&mut r, s)], TOL, &mut r);
        check_vjp(&Builtin::Reshape { rows: 1, cols: s.0 * s.1 }, &[normal(&mut r, s)], TOL, &mut r);
        check_vjp(&Builtin::SliceRows { start: s.0 / 2, end: s.0 }, &[normal(&mut r, s)], TOL, &mut r);
        check_vjp(&Builtin::SliceCols { start: 0, end: s.1.div_ceil(2) }, &[normal(&mut r, s)], TOL, &mut r);
        let other_rows = (2, s.1);
        check_vjp(
            &Builtin::ConcatRows,
            &[normal(&mut r, s), normal(&mut r, other_rows), normal(&mut r, (1, s.1))],
            TOL,
            &mut r,
        );
        check_vjp(&Builtin::ConcatCols, &[normal(&mut r, s), normal(&mut r, (s.0, 3))], TOL, &mut r);
        // Repeated indices: the backward must scatter-add.
        let idx: Vec<usize> = (0..6).map(|k| (k * 5) % s.0).collect();
        check_vjp(&Builtin::GatherRows(idx), &[normal(&mut r, s)], TOL, &mut r);
    }
}

#[test]
fn softmax_family_and_losses() {
    let mut r = rng(15);
    for &s in &SHAPES {
        check_vjp(&Builtin::Softmax, &[normal(&mut r, s)], TOL, &mut r);
        check_vjp(&Builtin::LogSoftmax, &[normal(&mut r, s)], TOL, &mut r);
        let labels: Vec<usize> = (0..s.0).map(|i| (i * 3 + 1) % s.1).collect();
        check_vjp(&Builtin::SoftmaxCrossEntropy(labels), &[normal(&mut r, s)], TOL, &mut r);
        // Soft targets: rows of a softmax, and arbitrary non-normalized ones.
        let t = Matrix::from_fn(s.0, s.1, |_, _| r.random_range(0.0..1.0));
        check_vjp(&Builtin::SoftmaxCrossEntropySoft, &[normal(&mut r, s), t], TOL, &mut r);
        let y = Matrix::from_fn(s.0, s.1, |i, j| ((i + j) % 2) as f64);
        check_vjp(&Builtin::BceWithLogits, &[normal(&mut r, s), y], TOL, &mut r);
        check_vjp(&Builtin::Mse, &[normal(&mut r, s), normal(&mut r, s)], TOL, &mut r);
        // A mask with at least one observed entry (element 0).
        let mask = Matrix::from_fn(s.0, s.1, |i, j| if (i + 2 * j) % 3 == 0 { 1.0 } else { 0.0 });
        check_vjp(&Builtin::MaskedMse, &[normal(&mut r, s), normal(&mut r, s), mask], TOL, &mut r);
    }
}

#[test]
fn matrix_calculus_ops() {
    let mut r = rng(16);
    for n in [1, 2, 3, 5] {
        for neg in [false, true] {
            check_vjp(&Builtin::Trace, &[normal(&mut r, (n, n))], TOL, &mut r);
            check_vjp(&Builtin::Det, &[well_conditioned(&mut r, n, neg)], TOL, &mut r);
            check_vjp(&Builtin::LogDet, &[well_conditioned(&mut r, n, neg)], TOL, &mut r);
            check_vjp(&Builtin::Inverse, &[well_conditioned(&mut r, n, neg)], TOL, &mut r);
            for k in [1, 3] {
                check_vjp(&Builtin::Solve, &[well_conditioned(&mut r, n, neg), normal(&mut r, (n, k))], TOL, &mut r);
            }
        }
    }
}

/// A user-defined op goes through the same harness: `y = x₀·x₁²` elementwise.
struct MulSquare;
impl MatOp<f64> for MulSquare {
    fn name(&self) -> &str {
        "mul_square"
    }
    fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize) {
        inputs[0]
    }
    fn forward(&self, inputs: &[&Matrix<f64>], out: &mut [f64]) {
        for ((o, a), b) in out.iter_mut().zip(inputs[0].iter()).zip(inputs[1].iter()) {
            *o = a * b * b;
        }
    }
    fn vjp(&self, inputs: &[&Matrix<f64>], _: &Matrix<f64>, g: &[f64], grads: &mut [Option<&mut [f64]>]) {
        let (a, b) = (inputs[0].as_slice(), inputs[1].as_slice());
        if let Some(ga) = grads[0].as_deref_mut() {
            for k in 0..a.len() {
                ga[k] += g[k] * b[k] * b[k];
            }
        }
        if let Some(gb) = grads[1].as_deref_mut() {
            for k in 0..a.len() {
                gb[k] += g[k] * 2.0 * a[k] * b[k];
            }
        }
    }
}

#[test]
fn harness_accepts_custom_ops_and_catches_a_wrong_vjp() {
    let mut r = rng(17);
    check_vjp(&MulSquare, &[normal(&mut r, (3, 2)), normal(&mut r, (3, 2))], TOL, &mut r);

    /// `exp` with the derivative off by a factor 1.001: must be rejected.
    struct BadExp;
    impl MatOp<f64> for BadExp {
        fn name(&self) -> &str {
            "bad_exp"
        }
        fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize) {
            inputs[0]
        }
        fn forward(&self, inputs: &[&Matrix<f64>], out: &mut [f64]) {
            out.iter_mut().zip(inputs[0].iter()).for_each(|(o, x)| *o = x.exp());
        }
        fn vjp(&self, _: &[&Matrix<f64>], y: &Matrix<f64>, g: &[f64], grads: &mut [Option<&mut [f64]>]) {
            if let Some(gx) = grads[0].as_deref_mut() {
                gx.iter_mut().zip(y.iter()).zip(g).for_each(|((gx, y), g)| *gx += g * y * 1.001);
            }
        }
    }
    let x = Matrix::from_rows(&[[1.0, 2.0]]);
    let caught = std::panic::catch_unwind(move || check_vjp(&BadExp, &[x], TOL, &mut rng(18)));
    assert!(caught.is_err(), "a 0.1% error in a VJP must fail the harness");
}
