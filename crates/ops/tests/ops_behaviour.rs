//! Exact values, conventions at kinks, numerical stability at extreme logits,
//! shape-error messages and singular-matrix errors of the built-in ops.

use wengert_ops::linalg::{self, LinalgError};
use wengert_ops::rules::*;
use wengert_ops::{MatOp, Matrix};

/// Forward value of `op` on `inputs`, as a matrix.
fn fwd(op: &Builtin, inputs: &[&Matrix<f64>]) -> Matrix<f64> {
    let shapes: Vec<_> = inputs.iter().map(|m| m.shape()).collect();
    let (r, c) = MatOp::<f64>::output_shape(op, &shapes);
    let mut out = vec![f64::NAN; r * c];
    op.forward(inputs, &mut out);
    Matrix::from_vec(r, c, out)
}

/// Adjoints of every input for upstream `g` (zero-initialised slots).
fn vjp(op: &Builtin, inputs: &[&Matrix<f64>], g: &[f64]) -> Vec<Vec<f64>> {
    let out = fwd(op, inputs);
    let mut bufs: Vec<Vec<f64>> = inputs.iter().map(|x| vec![0.0; x.len()]).collect();
    let mut slots: Vec<Option<&mut [f64]>> = bufs.iter_mut().map(|b| Some(b.as_mut_slice())).collect();
    op.vjp(inputs, &out, g, &mut slots);
    bufs
}

fn close(a: &[f64], b: &[f64], tol: f64) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tol)
}

// ---------- values and conventions ----------

#[test]
fn kink_conventions_relu_abs_clamp_max() {
    let x = Matrix::from_rows(&[[-1.0, 0.0, 2.0]]);
    assert_eq!(vjp(&Builtin::from(Relu), &[&x], &[1.0; 3])[0], vec![0.0, 0.0, 1.0]);
    assert_eq!(vjp(&Builtin::from(Abs), &[&x], &[1.0; 3])[0], vec![-1.0, 0.0, 1.0]);
    // Clamp to [0, 2]: −1 below, 0 and 2 at the bounds → gradient 0; only the
    // strict interior passes it.
    let c = Builtin::from(Clamp { lo: 0.0, hi: 2.0 });
    let y = Matrix::from_rows(&[[-1.0, 0.0, 1.0, 2.0, 3.0]]);
    assert_eq!(fwd(&c, &[&y]).as_slice(), &[0.0, 0.0, 1.0, 2.0, 2.0]);
    assert_eq!(vjp(&c, &[&y], &[1.0; 5])[0], vec![0.0, 0.0, 1.0, 0.0, 0.0]);
    // max_rows: ties go to the first arg-max.
    let m = Matrix::from_rows(&[[1.0, 5.0, 5.0], [7.0, 2.0, 7.0]]);
    assert_eq!(fwd(&Builtin::from(MaxRows), &[&m]).as_slice(), &[5.0, 7.0]);
    assert_eq!(vjp(&Builtin::from(MaxRows), &[&m], &[1.0, 2.0])[0], vec![0.0, 1.0, 0.0, 2.0, 0.0, 0.0]);
}

#[test]
fn reductions_and_products_have_known_values() {
    let x = Matrix::from_rows(&[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    assert_eq!(fwd(&Builtin::from(Sum(Axis::All)), &[&x]).as_slice(), &[21.0]);
    assert_eq!(fwd(&Builtin::from(Sum(Axis::PerRow)), &[&x]).shape(), (2, 1));
    assert_eq!(fwd(&Builtin::from(Sum(Axis::PerRow)), &[&x]).as_slice(), &[6.0, 15.0]);
    assert_eq!(fwd(&Builtin::from(Mean(Axis::PerCol)), &[&x]).as_slice(), &[2.5, 3.5, 4.5]);
    assert_eq!(fwd(&Builtin::from(Mean(Axis::All)), &[&x]).as_slice(), &[3.5]);
    assert_eq!(fwd(&Builtin::from(Dot), &[&x, &x]).as_slice(), &[91.0]);
    let u = Matrix::from_rows(&[[1.0, 2.0]]);
    let v = Matrix::col_vector(&[3.0, 4.0, 5.0]);
    let o = fwd(&Builtin::from(Outer), &[&u, &v]);
    assert_eq!(o.shape(), (2, 3));
    assert_eq!(o.as_slice(), &[3.0, 4.0, 5.0, 6.0, 8.0, 10.0]);
    assert_eq!(fwd(&Builtin::from(L2Penalty), &[&u]).as_slice(), &[2.5]);
    let a = Matrix::from_rows(&[[1.0, 2.0], [3.0, 4.0]]);
    let b = Matrix::from_rows(&[[5.0, 6.0], [7.0, 8.0]]);
    // aᵀ·b = [[26, 30], [38, 44]]; a·bᵀ = [[17, 23], [39, 53]].
    assert_eq!(fwd(&Builtin::from(MatMul { ta: true, tb: false }), &[&a, &b]).as_slice(), &[26.0, 30.0, 38.0, 44.0]);
    assert_eq!(fwd(&Builtin::from(MatMul { ta: false, tb: true }), &[&a, &b]).as_slice(), &[17.0, 23.0, 39.0, 53.0]);
}

#[test]
fn broadcasting_values_and_reduced_adjoints() {
    let x = Matrix::from_rows(&[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    let col = Matrix::col_vector(&[10.0, 20.0]);
    let s = Matrix::from_rows(&[[2.0]]);
    assert_eq!(fwd(&Builtin::from(Sub), &[&col, &x]).as_slice(), &[9.0, 8.0, 7.0, 16.0, 15.0, 14.0]);
    assert_eq!(fwd(&Builtin::from(ScaleBy), &[&x, &s]).as_slice(), &[2.0, 4.0, 6.0, 8.0, 10.0, 12.0]);
    let g = vjp(&Builtin::from(Sub), &[&col, &x], &[1.0; 6]);
    assert_eq!(g[0], vec![3.0, 3.0], "column operand sums over the columns");
    assert_eq!(g[1], vec![-1.0; 6]);
    let g = vjp(&Builtin::from(ScaleBy), &[&x, &s], &[1.0; 6]);
    assert_eq!(g[1], vec![21.0], "the scalar factor gets Σ g·x");
}

#[test]
fn shape_ops_move_elements() {
    let x = Matrix::from_rows(&[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]);
    assert_eq!(fwd(&Builtin::from(SliceRows { start: 1, end: 3 }), &[&x]).as_slice(), &[4.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
    assert_eq!(fwd(&Builtin::from(SliceCols { start: 1, end: 2 }), &[&x]).as_slice(), &[2.0, 5.0, 8.0]);
    let y = Matrix::from_rows(&[[0.5], [0.25], [0.125]]);
    assert_eq!(fwd(&Builtin::from(ConcatCols), &[&x, &y]).row(2), &[7.0, 8.0, 9.0, 0.125]);
    assert_eq!(fwd(&Builtin::from(ConcatRows), &[&x, &x]).shape(), (6, 3));
    // Repeated index 2 receives the sum of both rows' adjoints.
    let op = Builtin::from(GatherRows(vec![2, 0, 2]));
    assert_eq!(fwd(&op, &[&x]).as_slice(), &[7.0, 8.0, 9.0, 1.0, 2.0, 3.0, 7.0, 8.0, 9.0]);
    let g = vjp(&op, &[&x], &[1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 10.0, 10.0, 10.0]);
    assert_eq!(g[0], vec![2.0, 2.0, 2.0, 0.0, 0.0, 0.0, 11.0, 11.0, 11.0]);
}

#[test]
fn masked_mse_averages_observed_entries_and_is_zero_when_none_are() {
    let a = Matrix::from_rows(&[[1.0, 2.0], [3.0, 4.0]]);
    let b = Matrix::from_rows(&[[0.0, 0.0], [0.0, 0.0]]);
    let mask = Matrix::from_rows(&[[1.0, 0.0], [0.0, 1.0]]);
    assert_eq!(fwd(&Builtin::from(MaskedMse), &[&a, &b, &mask]).as_slice(), &[8.5]);
    let none = Matrix::zeros(2, 2);
    assert_eq!(fwd(&Builtin::from(MaskedMse), &[&a, &b, &none]).as_slice(), &[0.0]);
    assert_eq!(vjp(&Builtin::from(MaskedMse), &[&a, &b, &none], &[1.0])[0], vec![0.0; 4]);
    assert_eq!(fwd(&Builtin::from(Mse), &[&a, &b]).as_slice(), &[7.5]);
}

// ---------- stability ----------

#[test]
fn softmax_cross_entropy_is_stable_at_extreme_logits() {
    let z = Matrix::from_rows(&[[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]]);
    let op = Builtin::from(SoftmaxCrossEntropy(vec![1, 2]));
    let loss = fwd(&op, &[&z]).as_slice()[0];
    // Row 0: lse = 1000, loss 2000. Row 1: lse = 1000 + ln(1 + e⁻¹), loss 1 + ln(1 + e⁻¹).
    let want = (2000.0 + 1.0 + (-1f64).exp().ln_1p()) / 2.0;
    assert!(loss.is_finite() && (loss - want).abs() < 1e-9, "{loss} vs {want}");
    let g = &vjp(&op, &[&z], &[1.0])[0];
    let p1 = 1.0 / (1.0 + (-1f64).exp());
    let want_g = [0.5, -0.5, 0.0, 0.0, 0.5 * p1, 0.5 * (1.0 - p1 - 1.0)];
    assert!(close(g, &want_g, 1e-12), "{g:?} vs {want_g:?}");
    // The soft-target version with one-hot targets agrees.
    let t = Matrix::from_rows(&[[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]);
    let soft = fwd(&Builtin::from(SoftmaxCrossEntropySoft), &[&z, &t]).as_slice()[0];
    assert!((soft - want).abs() < 1e-9);
    assert!(close(&vjp(&Builtin::from(SoftmaxCrossEntropySoft), &[&z, &t], &[1.0])[0], &want_g, 1e-12));
}

#[test]
fn bce_with_logits_is_stable_at_extreme_logits() {
    let z = Matrix::from_rows(&[[1000.0, -1000.0, 1000.0, -1000.0]]);
    let y = Matrix::from_rows(&[[0.0, 1.0, 1.0, 0.0]]);
    let loss = fwd(&Builtin::from(BceWithLogits), &[&z, &y]).as_slice()[0];
    assert!((loss - 500.0).abs() < 1e-9, "two confident mistakes of 1000 over 4 entries: {loss}");
    let g = &vjp(&Builtin::from(BceWithLogits), &[&z, &y], &[1.0])[0];
    assert!(close(g, &[0.25, -0.25, 0.0, 0.0], 1e-12), "{g:?}");
}

#[test]
fn log_softmax_and_softmax_stay_finite() {
    let z = Matrix::from_rows(&[[1000.0, -1000.0, 0.0]]);
    let ls = fwd(&Builtin::from(LogSoftmax), &[&z]);
    assert!(close(ls.as_slice(), &[0.0, -2000.0, -1000.0], 1e-9), "{ls:?}");
    let sm = fwd(&Builtin::from(Softmax), &[&z]);
    assert!(close(sm.as_slice(), &[1.0, 0.0, 0.0], 1e-300));
    let g = &vjp(&Builtin::from(LogSoftmax), &[&z], &[1.0, 1.0, 1.0])[0];
    assert!(g.iter().all(|v| v.is_finite()) && close(g, &[-2.0, 1.0, 1.0], 1e-12), "{g:?}");
}

// ---------- shape errors ----------

fn panic_message(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
    let err = std::panic::catch_unwind(f).expect_err("expected a panic");
    err.downcast_ref::<String>().cloned().or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string())).unwrap()
}

#[test]
fn matmul_shape_error_message() {
    let msg = panic_message(|| {
        MatOp::<f64>::output_shape(&Builtin::from(MatMul { ta: false, tb: false }), &[(3, 4), (5, 2)]);
    });
    assert_eq!(msg, "matmul: (3×4)·(5×2): inner dimensions 4 and 5 differ");
    let msg = panic_message(|| {
        MatOp::<f64>::output_shape(&Builtin::from(MatMul { ta: true, tb: false }), &[(3, 4), (5, 2)]);
    });
    assert_eq!(msg, "matmul_tn: (3×4)·(5×2): inner dimensions 3 and 5 differ");
}

/// An op, its input shapes and the exact panic message expected.
type ShapeCase = (Builtin, Vec<(usize, usize)>, &'static str);

#[test]
fn broadcast_and_other_shape_error_messages() {
    let cases: Vec<ShapeCase> = vec![
        (Builtin::from(Add), vec![(2, 3), (4, 3)], "add: (2×3) and (4×3) cannot be broadcast"),
        (Builtin::from(Div), vec![(2, 3), (2, 2)], "div: (2×3) and (2×2) cannot be broadcast"),
        (Builtin::from(ScaleBy), vec![(2, 3), (1, 2)], "scale_by: (2×3) by (1×2): the factor must be 1×1"),
        (Builtin::from(Dot), vec![(2, 3), (3, 2)], "dot: (2×3) and (3×2) must have the same shape"),
        (Builtin::from(Outer), vec![(2, 3), (3, 1)], "outer: (2×3) and (3×1) must both be vectors (1×n or n×1)"),
        (Builtin::from(ConcatRows), vec![(2, 3), (1, 4)], "concat_rows: (2×3) and (1×4) have different column counts"),
        (Builtin::from(ConcatCols), vec![(2, 3), (1, 4)], "concat_cols: (2×3) and (1×4) have different row counts"),
        (Builtin::from(GatherRows(vec![0, 3])), vec![(3, 2)], "gather_rows: index 3 out of range for (3×2)"),
        (
            Builtin::from(SliceCols { start: 1, end: 4 }),
            vec![(3, 2)],
            "slice_cols: columns 1..4 out of range for (3×2)",
        ),
        (Builtin::from(Reshape { rows: 4, cols: 2 }), vec![(3, 2)], "reshape: (3×2) cannot be viewed as (4×2)"),
        (
            Builtin::from(SoftmaxCrossEntropy(vec![0, 5])),
            vec![(2, 3)],
            "softmax_cross_entropy: label 5 out of range for 3 classes in (2×3)",
        ),
        (Builtin::from(SoftmaxCrossEntropy(vec![0])), vec![(2, 3)], "softmax_cross_entropy: (2×3) logits but 1 labels"),
        (Builtin::from(Mse), vec![(2, 3), (3, 2)], "mse: (2×3) and (3×2) must have the same shape"),
        (Builtin::from(Det), vec![(2, 3)], "det: (2×3) is not square"),
        (Builtin::from(Solve), vec![(3, 3), (2, 1)], "solve: (3×3)⁻¹·(2×1): right-hand side needs 3 rows"),
        (Builtin::from(MaxRows), vec![(2, 0)], "max_rows: (2×0) has no columns to take a maximum over"),
        (Builtin::from(Clamp { lo: 1.0, hi: 0.0 }), vec![(2, 2)], "clamp: lower bound 1 exceeds upper bound 0"),
        (Builtin::from(Add), vec![(2, 3)], "add: expected 2 inputs, got 1"),
    ];
    for (op, shapes, want) in cases {
        let msg = panic_message(move || {
            MatOp::<f64>::output_shape(&op, &shapes);
        });
        assert_eq!(msg, want);
    }
}

#[test]
fn forward_rechecks_shapes() {
    let a = Matrix::<f64>::zeros(2, 3);
    let b = Matrix::<f64>::zeros(4, 3);
    let msg = panic_message(move || {
        let mut out = vec![0.0; 6];
        Builtin::from(Add).forward(&[&a, &b], &mut out);
    });
    assert_eq!(msg, "add: (2×3) and (4×3) cannot be broadcast");
}

// ---------- linear algebra ----------

#[test]
fn linalg_values() {
    let a: Matrix<f64> = Matrix::from_rows(&[[2.0, 1.0, 1.0], [1.0, 3.0, 2.0], [1.0, 0.0, 0.0]]);
    // det by cofactor expansion along row 3: 1·(1·2 − 1·3) = −1.
    assert!((linalg::det(&a).unwrap() + 1.0).abs() < 1e-12);
    let inv = linalg::inverse(&a).unwrap();
    assert!(a.matmul(&inv).max_abs_diff(&Matrix::identity(3)) < 1e-12);
    let b = Matrix::from_rows(&[[1.0, 0.0], [2.0, 1.0], [3.0, -1.0]]);
    let x = linalg::solve(&a, &b).unwrap();
    assert!(a.matmul(&x).max_abs_diff(&b) < 1e-12);
    let f = linalg::lu(&a).unwrap();
    assert_eq!(f.det_sign(), -1.0);
    assert!(f.ln_abs_det().abs() < 1e-12);
    let xt = f.solve_transpose(&b).unwrap();
    assert!(a.transpose().matmul(&xt).max_abs_diff(&b) < 1e-12);
    // logdet drops the sign: ln|−1| = 0.
    assert!(fwd(&Builtin::from(LogDet), &[&a]).as_slice()[0].abs() < 1e-12);
    assert_eq!(fwd(&Builtin::from(Trace), &[&a]).as_slice(), &[5.0]);
    // f32 through the same generic code.
    let a32: Matrix<f32> = a.cast();
    assert!((linalg::det(&a32).unwrap() + 1.0).abs() < 1e-5);
}

#[test]
fn singular_matrices_are_errors_in_linalg_and_panics_in_ops() {
    let s: Matrix<f64> = Matrix::from_rows(&[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]);
    assert!(matches!(linalg::lu(&s), Err(LinalgError::Singular { .. })));
    assert!(matches!(linalg::inverse(&s), Err(LinalgError::Singular { .. })));
    assert!(matches!(linalg::solve(&s, &Matrix::ones(3, 1)), Err(LinalgError::Singular { .. })));
    assert!(linalg::det(&s).unwrap().abs() < 1e-12, "det of a singular matrix is a value, ≈ 0");
    assert_eq!(linalg::det(&Matrix::<f64>::zeros(2, 2)).unwrap(), 0.0);
    assert_eq!(linalg::inverse(&Matrix::<f64>::zeros(2, 3)).unwrap_err(), LinalgError::NotSquare { shape: (2, 3) });
    assert_eq!(
        linalg::solve(&Matrix::<f64>::identity(2), &Matrix::ones(3, 1)).unwrap_err(),
        LinalgError::DimensionMismatch { matrix: (2, 2), rhs: (3, 1) }
    );
    assert_eq!(
        LinalgError::Singular { column: 2 }.to_string(),
        "matrix is singular (pivot 2 vanished to working precision)"
    );

    let exact = Matrix::from_rows(&[[1.0, 2.0], [2.0, 4.0]]);
    for (op, name) in [(Builtin::from(Inverse), "inverse"), (Builtin::from(LogDet), "logdet")] {
        let e = exact.clone();
        let msg = panic_message(move || {
            fwd(&op, &[&e]);
        });
        assert!(msg.starts_with(&format!("{name}: matrix is singular")), "{msg}");
    }
    let e = exact.clone();
    let msg = panic_message(move || {
        fwd(&Builtin::from(Solve), &[&e, &Matrix::ones(2, 1)]);
    });
    assert!(msg.starts_with("solve: matrix is singular"), "{msg}");
    // det's value is fine (0); its gradient is what needs the inverse.
    assert_eq!(fwd(&Builtin::from(Det), &[&exact]).as_slice(), &[0.0]);
    let msg = panic_message(move || {
        vjp(&Builtin::from(Det), &[&exact], &[1.0]);
    });
    assert!(msg.starts_with("det: matrix is singular"), "{msg}");
}

#[test]
fn ops_run_on_f32() {
    let x32: Matrix<f32> = Matrix::from_rows(&[[0.5f32, -1.0, 2.0], [3.0, 0.25, -0.5]]);
    let x64: Matrix<f64> = x32.cast();
    for op in [
        Builtin::from(Softmax),
        Builtin::from(LogSoftmax),
        Builtin::from(Sigmoid),
        Builtin::from(MatMul { ta: false, tb: true }),
    ] {
        let two = matches!(op, Builtin::Product(ProductOp::MatMul(_)));
        let in32: Vec<&Matrix<f32>> = if two { vec![&x32, &x32] } else { vec![&x32] };
        let in64: Vec<&Matrix<f64>> = if two { vec![&x64, &x64] } else { vec![&x64] };
        let s = MatOp::<f32>::output_shape(&op, &in32.iter().map(|m| m.shape()).collect::<Vec<_>>());
        let mut o32 = vec![0.0f32; s.0 * s.1];
        op.forward(&in32, &mut o32);
        let o64 = fwd(&op, &in64);
        for (a, b) in o32.iter().zip(o64.iter()) {
            assert!((*a as f64 - b).abs() < 1e-5 * (1.0 + b.abs()), "{op:?}: {a} vs {b}");
        }
    }
}

// ---------- NaN, huge logits, powers at 0, non-finite and tiny matrices ----------

/// The JVP of `op` at `inputs` along `tangents`.
fn jvp(op: &Builtin, inputs: &[&Matrix<f64>], tangents: &[&[f64]]) -> Vec<f64> {
    let out = fwd(op, inputs);
    let mut d = vec![f64::NAN; out.len()];
    let t: Vec<Option<&[f64]>> = tangents.iter().map(|t| Some(*t)).collect();
    assert!(op.jvp(inputs, &out, &t, &mut d));
    d
}

#[test]
fn nan_propagates_through_relu_abs_clamp_values_and_derivatives() {
    // 0 is the kink of relu and abs, and the lower bound of this clamp.
    let x = Matrix::from_rows(&[[f64::NAN, 0.0, -1.0, 2.0]]);
    for op in [Builtin::from(Relu), Builtin::from(Abs), Builtin::from(Clamp { lo: 0.0, hi: 1.0 })] {
        let y = fwd(&op, &[&x]);
        assert!(y.as_slice()[0].is_nan(), "{op:?} value at NaN: {y:?}");
        let g = &vjp(&op, &[&x], &[1.0, 1.0, 1.0, 1.0])[0];
        assert!(g[0].is_nan(), "{op:?} derivative at NaN: {g:?}");
        assert_eq!(g[1], 0.0, "{op:?}: the convention at the kink stays");
        let d = jvp(&op, &[&x], &[&[2.0, 2.0, 2.0, 2.0]]);
        assert!(d[0].is_nan() && d[1] == 0.0, "{op:?} JVP: {d:?}");
    }
}

#[test]
fn max_rows_picks_nan_wherever_it_is() {
    let op = Builtin::from(MaxRows);
    let nan = f64::NAN;
    // NaN first, in the middle, last; and a row without NaN.
    let x = Matrix::from_rows(&[[nan, 5.0, 1.0], [1.0, nan, 5.0], [5.0, 1.0, nan], [1.0, 5.0, 2.0]]);
    let y = fwd(&op, &[&x]);
    assert!(y.as_slice()[..3].iter().all(|v| v.is_nan()), "{y:?}");
    assert_eq!(y.as_slice()[3], 5.0);
    // The adjoint follows the NaN it picked (as the scalar max does).
    let g = &vjp(&op, &[&x], &[1.0, 2.0, 3.0, 4.0])[0];
    assert_eq!(g, &[1.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 3.0, 0.0, 4.0, 0.0]);
    let t: Vec<f64> = (0..12).map(|k| k as f64).collect();
    assert_eq!(jvp(&op, &[&x], &[&t]), vec![0.0, 4.0, 8.0, 10.0]);
}

#[test]
fn softmax_cross_entropy_keeps_the_loss_at_huge_logits() {
    let ln2 = std::f64::consts::LN_2;
    let op = Builtin::from(SoftmaxCrossEntropy(vec![0]));
    // f32: 1e6 and 1e7 have ulps 0.0625 and 1: `(M + ln 2) − z` lost the loss.
    for big in [1e6f32, 1e7, 1e30, 3e38] {
        let z: Matrix<f32> = Matrix::from_rows(&[[big, big]]);
        let mut out = [0.0f32];
        op.forward(&[&z], &mut out);
        assert!((out[0] as f64 - ln2).abs() < 1e-6, "f32 [{big}, {big}]: {} vs ln 2", out[0]);
        let y = Matrix::from_vec(1, 1, out.to_vec());
        let mut g = [0.0f32; 2];
        op.vjp(&[&z], &y, &[1.0], &mut [Some(&mut g[..])]);
        assert_eq!(g, [-0.5, 0.5], "f32 [{big}, {big}]");
    }
    for big in [1e16, 1e100, 1e300] {
        let z = Matrix::from_rows(&[[big, big]]);
        let loss = fwd(&op, &[&z]).as_slice()[0];
        assert!((loss - ln2).abs() < 1e-15, "f64 [{big}, {big}]: {loss} vs ln 2");
        assert_eq!(vjp(&op, &[&z], &[1.0])[0], vec![-0.5, 0.5]);
        assert!((jvp(&op, &[&z], &[&[1.0, 3.0]])[0] - 1.0).abs() < 1e-15);
    }
    // Unequal huge logits (1e16 + 2 is exact): loss ln(1 + e²), gradient
    // softmax − onehot, both to rounding.
    let z = Matrix::from_rows(&[[1e16, 1e16 + 2.0]]);
    let want = (2f64).exp().ln_1p();
    let loss = fwd(&op, &[&z]).as_slice()[0];
    assert!((loss - want).abs() < 1e-15 * want, "{loss} vs {want}");
    let p1 = 1.0 / (1.0 + (-2f64).exp());
    let g = &vjp(&op, &[&z], &[1.0])[0];
    assert!(close(g, &[-p1, p1], 1e-15), "{g:?}");
}

#[test]
fn powf_zero_has_derivative_zero_everywhere_it_is_one() {
    // x⁰ ≡ 1 (IEEE: also at 0, ∞ and NaN): no dependence on x, so the
    // derivative is 0 — not 0·x⁻¹ = 0·∞ = NaN at x = 0.
    let x = Matrix::from_rows(&[[0.0, -0.0, 2.0, f64::INFINITY, f64::NAN]]);
    let op = Builtin::from(Powf(0.0));
    assert_eq!(fwd(&op, &[&x]).as_slice(), &[1.0; 5]);
    assert_eq!(vjp(&op, &[&x], &[1.0; 5])[0], vec![0.0; 5]);
    assert!(jvp(&op, &[&x], &[&[1.0; 5]]).iter().all(|&d| d == 0.0));
    // Other powers keep their IEEE derivative at 0: x^0.5 → ∞, x² → 0.
    assert_eq!(vjp(&Builtin::from(Powf(0.5)), &[&Matrix::from_rows(&[[0.0]])], &[1.0])[0], vec![f64::INFINITY]);
    assert_eq!(vjp(&Builtin::from(Powf(2.0)), &[&Matrix::from_rows(&[[0.0]])], &[1.0])[0], vec![0.0]);
}

#[test]
fn non_finite_entries_are_named_not_called_singular() {
    for (bad, at) in [(f64::NAN, (1, 0)), (f64::INFINITY, (0, 2)), (f64::NEG_INFINITY, (2, 2))] {
        let mut a = Matrix::from_rows(&[[4.0, 1.0, 0.5], [1.0, 3.0, 0.25], [0.5, 0.25, 2.0]]);
        a[at] = bad;
        let position = format!("non-finite entry at ({}, {})", at.0, at.1);
        let e = linalg::lu(&a).unwrap_err();
        assert!(e.to_string().contains(&position), "{e}");
        assert!(linalg::inverse(&a).unwrap_err().to_string().contains(&position));
        assert!(linalg::solve(&a, &Matrix::ones(3, 1)).unwrap_err().to_string().contains(&position));
        for (op, name) in [(Builtin::from(Inverse), "inverse"), (Builtin::from(LogDet), "logdet")] {
            let a = a.clone();
            let msg = panic_message(move || {
                fwd(&op, &[&a]);
            });
            assert!(msg.starts_with(&format!("{name}: {position}")), "{msg}");
        }
        let a2 = a.clone();
        let msg = panic_message(move || {
            fwd(&Builtin::from(Solve), &[&a2, &Matrix::ones(3, 1)]);
        });
        assert!(msg.starts_with(&format!("solve: {position}")), "{msg}");
        // det's value is what IEEE arithmetic gives (NaN for a NaN entry); its
        // derivatives, which need the inverse, name the entry.
        let d = linalg::det(&a).unwrap();
        assert!(if bad.is_nan() { d.is_nan() } else { !d.is_finite() || d.is_nan() }, "det {d}");
        let msg = panic_message(move || {
            vjp(&Builtin::from(Det), &[&a], &[1.0]);
        });
        assert!(msg.starts_with(&format!("det: {position}")), "{msg}");
    }
}

#[test]
fn det_gradient_is_exact_where_det_underflows_or_overflows() {
    let op = Builtin::from(Det);
    let rel = |a: f64, b: f64| (a - b).abs() / b.abs();
    // det(1e-200·I₂) = 1e-400 underflows to 0; its gradient is 1e-200·I.
    for (c, n) in [(1e-200, 2), (1e200, 2), (1e-150, 3), (1e-100, 4)] {
        let x = Matrix::from_fn(n, n, |i, j| if i == j { c } else { 0.0 });
        let g = &vjp(&op, &[&x], &[1.0])[0];
        let want = c.powi(n as i32 - 1);
        for i in 0..n {
            for j in 0..n {
                let k = i * n + j;
                if i == j {
                    assert!(rel(g[k], want) < 1e-12, "det({c:e}·I{n}): ∂/∂x{i}{i} = {:e}, want {want:e}", g[k]);
                } else {
                    assert_eq!(g[k], 0.0);
                }
            }
        }
        // The JVP along I: tr(adj(X)) = n·c^{n−1}.
        let d = jvp(&op, &[&x], &[Matrix::<f64>::identity(n).as_slice()])[0];
        assert!(rel(d, n as f64 * want) < 1e-12, "det({c:e}·I{n}) JVP {d:e}");
    }
    // A general matrix: ∂det(cA)/∂(cA) = c^{n−1}·cof(A), with the cofactors of
    // A computed by hand (written as the textbook products, entries of A and
    // their signs kept visible, hence the allowed `-1.0 * …`).
    let a = Matrix::from_rows(&[[2.0, -1.0, 0.5], [1.0, 3.0, -2.0], [0.0, 1.5, 4.0]]);
    #[allow(clippy::neg_multiply)]
    let cof = [
        [3.0 * 4.0 + 2.0 * 1.5, -(1.0 * 4.0 - 0.0), 1.0 * 1.5 - 0.0],
        [-(-1.0 * 4.0 - 0.5 * 1.5), 2.0 * 4.0 - 0.0, -(2.0 * 1.5 - 0.0)],
        [-1.0 * -2.0 - 0.5 * 3.0, -(2.0 * -2.0 - 0.5 * 1.0), 2.0 * 3.0 + 1.0],
    ];
    let c = 1e-150;
    let x = a.map(|&v| v * c);
    assert_eq!(fwd(&op, &[&x]).as_slice(), &[0.0], "det(1e-150·A) underflows");
    let g = &vjp(&op, &[&x], &[1.0])[0];
    for i in 0..3 {
        for j in 0..3 {
            let want = c * c * cof[i][j];
            assert!(rel(g[i * 3 + j], want) < 1e-12, "({i}, {j}): {:e} vs {want:e}", g[i * 3 + j]);
        }
    }
}

#[test]
fn masked_mse_ignores_nan_where_the_mask_is_zero() {
    // A missing observation marked NaN, masked out: not part of the loss.
    let nan = f64::NAN;
    let a = Matrix::from_rows(&[[1.0, 2.0], [3.0, 4.0]]);
    let b = Matrix::from_rows(&[[0.0, nan], [0.0, 0.0]]);
    let mask = Matrix::from_rows(&[[1.0, 0.0], [0.0, 1.0]]);
    let op = Builtin::from(MaskedMse);
    assert_eq!(fwd(&op, &[&a, &b, &mask]).as_slice(), &[8.5]);
    let g = vjp(&op, &[&a, &b, &mask], &[1.0]);
    assert_eq!(g[0], vec![1.0, 0.0, 0.0, 4.0]);
    assert_eq!(g[1], vec![-1.0, 0.0, 0.0, -4.0]);
    let d = jvp(&op, &[&a, &b, &mask], &[&[1.0; 4], &[0.0; 4], &[0.0; 4]]);
    assert_eq!(d, vec![5.0]);
    // Observed, the NaN is the loss's.
    let observed = Matrix::from_rows(&[[1.0, 1.0], [0.0, 1.0]]);
    assert!(fwd(&op, &[&a, &b, &observed]).as_slice()[0].is_nan());
}

#[test]
fn logsumexp_per_row_per_column_and_overall() {
    let x = Matrix::from_rows(&[[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]]);
    let naive = |v: &[f64]| v.iter().map(|a| a.exp()).sum::<f64>().ln();
    let rows = fwd(&Builtin::from(LogSumExp(Axis::PerRow)), &[&x]);
    assert_eq!(rows.shape(), (2, 1));
    assert!(close(rows.as_slice(), &[naive(&[1.0, 2.0, 3.0]), naive(&[-1.0, 0.5, 0.0])], 1e-15));
    let cols = fwd(&Builtin::from(LogSumExp(Axis::PerCol)), &[&x]);
    assert_eq!(cols.shape(), (1, 3));
    assert!(close(cols.as_slice(), &[naive(&[1.0, -1.0]), naive(&[2.0, 0.5]), naive(&[3.0, 0.0])], 1e-15));
    let all = fwd(&Builtin::from(LogSumExp(Axis::All)), &[&x]);
    assert!(close(all.as_slice(), &[naive(x.as_slice())], 1e-15));
    // The derivative is the softmax of each group.
    let g = &vjp(&Builtin::from(LogSumExp(Axis::PerRow)), &[&x], &[1.0, 2.0])[0];
    let sm = fwd(&Builtin::from(Softmax), &[&x]);
    let want: Vec<f64> = sm.as_slice().iter().enumerate().map(|(k, p)| p * if k < 3 { 1.0 } else { 2.0 }).collect();
    assert!(close(g, &want, 1e-15), "{g:?} vs {want:?}");
    // Stable at huge values; infinities as in PyTorch (no ∞ − ∞ in the value).
    let inf = f64::INFINITY;
    let z = Matrix::from_rows(&[[1000.0, 1000.0], [1e308, 1e308], [inf, 1.0], [-inf, -inf], [-inf, 2.0]]);
    let y = fwd(&Builtin::from(LogSumExp(Axis::PerRow)), &[&z]);
    let ln2 = std::f64::consts::LN_2;
    assert!((y.as_slice()[0] - (1000.0 + ln2)).abs() < 1e-12, "{y:?}");
    assert_eq!(y.as_slice()[1], 1e308 + ln2, "{y:?}");
    assert_eq!(&y.as_slice()[2..], &[inf, -inf, 2.0]);
    let g = &vjp(
        &Builtin::from(LogSumExp(Axis::PerRow)),
        &[&Matrix::from_rows(&[[1000.0, 1000.0], [1e308, 1e308]])],
        &[1.0, 1.0],
    )[0];
    assert_eq!(g, &[0.5, 0.5, 0.5, 0.5]);
}

#[test]
fn pow_broadcasts_a_tracked_exponent() {
    let x = Matrix::from_rows(&[[4.0, 9.0], [0.0, 1.0]]);
    let p = Matrix::from_rows(&[[0.5]]);
    let op = Builtin::from(Pow);
    assert_eq!(fwd(&op, &[&x, &p]).as_slice(), &[2.0, 3.0, 0.0, 1.0]);
    let g = vjp(&op, &[&x, &p], &[1.0; 4]);
    // ∂/∂x = p·x^{p−1} (∞ at 0 for p < 1); ∂/∂p = Σ xᵖ ln x, with 0 ln 0 = 0.
    assert_eq!(g[0], vec![0.25, 0.5 / 3.0, f64::INFINITY, 0.5]);
    let want = 2.0 * 4f64.ln() + 3.0 * 9f64.ln();
    assert!((g[1][0] - want).abs() < 1e-14, "{} vs {want}", g[1][0]);
    // p = 0: x⁰ ≡ 1, derivative 0 in x also at 0; ∂/∂p = ln x (−∞ at 0).
    let g = vjp(&op, &[&x, &Matrix::from_rows(&[[0.0]])], &[1.0; 4]);
    assert_eq!(g[0], vec![0.0; 4]);
    assert_eq!(g[1], vec![f64::NEG_INFINITY]);
}
