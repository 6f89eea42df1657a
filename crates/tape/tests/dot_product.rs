//! The dot-product test for every built-in matrix op:
//! ⟨J v, w⟩ = ⟨v, Jᵀ w⟩ to 1e-12 (relative).
//!
//! `J v` comes from running the op's *forward* rule on dual numbers (tangent
//! `v`), `Jᵀ w` from its *VJP* rule on `f64` (seed `w`). The two are written
//! independently, so agreement checks the VJP against the forward computation
//! itself, with no finite-difference step in between. Many random draws per op,
//! on shapes including 1×1, 1×n, n×1 and non-square.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use wengert_dual::Dual;
use wengert_ops::rules::{Axis, Builtin};
use wengert_ops::{MatOp, Matrix};

type D = Dual<f64>;

/// How to draw an input so the op is smooth there.
#[derive(Clone, Copy)]
enum Domain {
    /// Any value in [−2, 2].
    Any,
    /// Positive, in [0.5, 2.5].
    Positive,
    /// |x| in [0.3, 2] with a random sign (away from kinks at 0).
    AwayFromZero,
    /// Well-conditioned square matrix (diagonally dominant).
    WellConditioned,
    /// Values spread apart so the row maximum is unique.
    Distinct,
    /// Inside the clamp bounds (−1, 1) but away from them.
    InsideClamp,
    /// Probabilities in [0.1, 0.9].
    Probability,
}

fn draw(rng: &mut StdRng, (r, c): (usize, usize), d: Domain) -> Matrix<f64> {
    match d {
        Domain::Any => Matrix::from_fn(r, c, |_, _| rng.random_range(-2.0..2.0)),
        Domain::Positive => Matrix::from_fn(r, c, |_, _| rng.random_range(0.5..2.5)),
        Domain::AwayFromZero => Matrix::from_fn(r, c, |_, _| {
            let m: f64 = rng.random_range(0.3..2.0);
            if rng.random_bool(0.5) {
                m
            } else {
                -m
            }
        }),
        Domain::WellConditioned => {
            Matrix::from_fn(r, c, |i, j| if i == j { 3.0 + r as f64 } else { 0.0 } + rng.random_range(-1.0..1.0))
        }
        Domain::Distinct => Matrix::from_fn(r, c, |_, j| j as f64 * 0.7 + rng.random_range(0.0..0.3)),
        Domain::InsideClamp => Matrix::from_fn(r, c, |_, _| rng.random_range(-0.8..0.8)),
        Domain::Probability => Matrix::from_fn(r, c, |_, _| rng.random_range(0.1..0.9)),
    }
}

fn to_dual(x: &Matrix<f64>, v: &Matrix<f64>) -> Matrix<D> {
    Matrix::from_fn(x.rows(), x.cols(), |i, j| Dual::new(x[(i, j)], v[(i, j)]))
}

/// Runs the dot-product test for `op` on inputs of the given shapes/domains.
fn check(op: &Builtin, inputs: &[((usize, usize), Domain)], rng: &mut StdRng) {
    let xs: Vec<Matrix<f64>> = inputs.iter().map(|&(s, d)| draw(rng, s, d)).collect();
    let vs: Vec<Matrix<f64>> = inputs.iter().map(|&(s, _)| draw(rng, s, Domain::Any)).collect();
    let shapes: Vec<(usize, usize)> = xs.iter().map(|x| x.shape()).collect();
    let out_shape = MatOp::<f64>::output_shape(op, &shapes);

    // J v: the forward rule on dual numbers.
    let dual_inputs: Vec<Matrix<D>> = xs.iter().zip(&vs).map(|(x, v)| to_dual(x, v)).collect();
    let dual_refs: Vec<&Matrix<D>> = dual_inputs.iter().collect();
    // Outputs start as NaN: every forward rule must overwrite its whole buffer
    // (the MatOp contract; the tape reuses buffers without clearing them).
    let mut dual_out = vec![D::new(f64::NAN, f64::NAN); out_shape.0 * out_shape.1];
    op.forward(&dual_refs, &mut dual_out);

    // Jᵀ w: the VJP rule on f64.
    let w = draw(rng, out_shape, Domain::Any);
    let refs: Vec<&Matrix<f64>> = xs.iter().collect();
    let mut out = vec![f64::NAN; out_shape.0 * out_shape.1];
    op.forward(&refs, &mut out);
    assert!(out.iter().all(|v| !v.is_nan()), "{}: forward left part of its output unwritten", op.op_name());
    let out = Matrix::from_vec(out_shape.0, out_shape.1, out);
    let mut grads: Vec<Vec<f64>> = xs.iter().map(|x| vec![0.0; x.len()]).collect();
    {
        let mut slots: Vec<Option<&mut [f64]>> = grads.iter_mut().map(|g| Some(g.as_mut_slice())).collect();
        op.vjp(&refs, &out, w.as_slice(), &mut slots);
    }

    let jv_w: f64 = dual_out.iter().zip(w.iter()).map(|(d, w)| d.eps * w).sum();
    let v_jtw: f64 = vs.iter().zip(&grads).flat_map(|(v, g)| v.iter().zip(g).map(|(a, b)| a * b)).sum();
    let scale: f64 = dual_out.iter().zip(w.iter()).map(|(d, w)| (d.eps * w).abs()).sum::<f64>()
        + vs.iter().zip(&grads).flat_map(|(v, g)| v.iter().zip(g).map(|(a, b)| (a * b).abs())).sum::<f64>();
    let tol = 1e-12 * scale.max(1e-300);
    assert!(
        (jv_w - v_jtw).abs() <= tol,
        "{}: ⟨Jv, w⟩ = {jv_w:.17e} but ⟨v, Jᵀw⟩ = {v_jtw:.17e} (shapes {shapes:?})",
        op.op_name()
    );
}

const SHAPES: [(usize, usize); 6] = [(1, 1), (1, 4), (4, 1), (3, 5), (5, 3), (4, 4)];

#[test]
fn every_builtin_op_passes_the_dot_product_test() {
    let mut rng = StdRng::seed_from_u64(2026);
    let mut cases = 0;
    for _round in 0..20 {
        for &(m, n) in &SHAPES {
            let any = |s| (s, Domain::Any);
            // Products.
            let k = rng.random_range(1..5);
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                let a = if ta { (k, m) } else { (m, k) };
                let b = if tb { (n, k) } else { (k, n) };
                check(&Builtin::MatMul { ta, tb }, &[any(a), any(b)], &mut rng);
            }
            check(&Builtin::Dot, &[any((m, n)), any((m, n))], &mut rng);
            check(&Builtin::Outer, &[any((m, 1)), any((1, n))], &mut rng);
            check(&Builtin::Outer, &[any((1, m)), any((n, 1))], &mut rng);
            // Broadcasting arithmetic: same shape, row, column, scalar, either side.
            for other in [(m, n), (1, n), (m, 1), (1, 1)] {
                for op in [Builtin::Add, Builtin::Sub, Builtin::Mul] {
                    check(&op, &[any((m, n)), any(other)], &mut rng);
                    check(&op, &[any(other), any((m, n))], &mut rng);
                }
                check(&Builtin::Div, &[any((m, n)), (other, Domain::Positive)], &mut rng);
                check(&Builtin::Div, &[any(other), ((m, n), Domain::Positive)], &mut rng);
            }
            check(&Builtin::ScaleBy, &[any((m, n)), any((1, 1))], &mut rng);
            // Elementwise.
            for (op, d) in [
                (Builtin::Neg, Domain::Any),
                (Builtin::Scale(-1.7), Domain::Any),
                (Builtin::AddConst(0.3), Domain::Any),
                (Builtin::Exp, Domain::Any),
                (Builtin::Ln, Domain::Positive),
                (Builtin::Sqrt, Domain::Positive),
                (Builtin::Powf(2.5), Domain::Positive),
                (Builtin::Powf(-1.5), Domain::Positive),
                (Builtin::Abs, Domain::AwayFromZero),
                (Builtin::Sigmoid, Domain::Any),
                (Builtin::Tanh, Domain::Any),
                (Builtin::Relu, Domain::AwayFromZero),
                (Builtin::Softplus, Domain::Any),
                (Builtin::Clamp { lo: -1.0, hi: 1.0 }, Domain::InsideClamp),
                (Builtin::Clamp { lo: -1.0, hi: 1.0 }, Domain::AwayFromZero),
            ] {
                check(&op, &[((m, n), d)], &mut rng);
            }
            // Reductions.
            for axis in [Axis::All, Axis::PerRow, Axis::PerCol] {
                check(&Builtin::Sum(axis), &[any((m, n))], &mut rng);
                check(&Builtin::Mean(axis), &[any((m, n))], &mut rng);
            }
            check(&Builtin::MaxRows, &[((m, n), Domain::Distinct)], &mut rng);
            check(&Builtin::L2Penalty, &[any((m, n))], &mut rng);
            // Shape ops.
            check(&Builtin::Transpose, &[any((m, n))], &mut rng);
            check(&Builtin::Reshape { rows: n, cols: m }, &[any((m, n))], &mut rng);
            check(&Builtin::Reshape { rows: 1, cols: m * n }, &[any((m, n))], &mut rng);
            let r0 = rng.random_range(0..m);
            check(&Builtin::SliceRows { start: r0, end: m }, &[any((m, n))], &mut rng);
            let c0 = rng.random_range(0..n);
            check(&Builtin::SliceCols { start: c0, end: n }, &[any((m, n))], &mut rng);
            check(&Builtin::ConcatRows, &[any((m, n)), any((2, n)), any((1, n))], &mut rng);
            check(&Builtin::ConcatCols, &[any((m, n)), any((m, 3))], &mut rng);
            let idx: Vec<usize> = (0..m + 2).map(|_| rng.random_range(0..m)).collect();
            check(&Builtin::GatherRows(idx), &[any((m, n))], &mut rng);
            // Softmax and losses.
            check(&Builtin::Softmax, &[any((m, n))], &mut rng);
            check(&Builtin::LogSoftmax, &[any((m, n))], &mut rng);
            let labels: Vec<usize> = (0..m).map(|_| rng.random_range(0..n)).collect();
            check(&Builtin::SoftmaxCrossEntropy(labels), &[any((m, n))], &mut rng);
            check(&Builtin::SoftmaxCrossEntropySoft, &[any((m, n)), ((m, n), Domain::Probability)], &mut rng);
            check(&Builtin::BceWithLogits, &[any((m, n)), ((m, n), Domain::Probability)], &mut rng);
            check(&Builtin::Mse, &[any((m, n)), any((m, n))], &mut rng);
            check(&Builtin::MaskedMse, &[any((m, n)), any((m, n)), ((m, n), Domain::Probability)], &mut rng);
            // Matrix calculus on square matrices.
            let s = m.max(n);
            check(&Builtin::Trace, &[any((s, s))], &mut rng);
            for op in [Builtin::Det, Builtin::LogDet, Builtin::Inverse] {
                check(&op, &[((s, s), Domain::WellConditioned)], &mut rng);
            }
            check(&Builtin::Solve, &[((s, s), Domain::WellConditioned), any((s, n))], &mut rng);
            cases += 1;
        }
    }
    assert_eq!(cases, 20 * SHAPES.len());
}

#[test]
fn softmax_cross_entropy_passes_on_rows_wider_than_its_stack_buffer() {
    // The VJP keeps a row's exponentials on the stack up to 64 classes and
    // recomputes them beyond; both paths must give the same product.
    let mut rng = StdRng::seed_from_u64(7);
    for classes in [63, 64, 65, 200] {
        let labels: Vec<usize> = (0..4).map(|_| rng.random_range(0..classes)).collect();
        check(&Builtin::SoftmaxCrossEntropy(labels), &[((4, classes), Domain::Any)], &mut rng);
    }
}
