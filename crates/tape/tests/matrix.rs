//! Matrix ops on the tape: the matrix-calculus identities, an MLP gradient
//! against hand-written backprop, scalar/matrix mixing, graph control and shape
//! errors.

use rand::rngs::StdRng;
use rand::SeedableRng;
use wengert_ops::linalg;
use wengert_tape::{gradcheck, scalar_fn, Gradients, MatVar, Matrix, Scalar, Tape, Var};

fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

fn random(r: usize, c: usize, seed: u64) -> Matrix<f64> {
    Matrix::random_normal(r, c, 0.0, 1.0, &mut rng(seed))
}

/// A well-conditioned random square matrix (diagonally dominant).
fn well_conditioned(n: usize, seed: u64) -> Matrix<f64> {
    let mut m = random(n, n, seed);
    for i in 0..n {
        m[(i, i)] += 3.0 + n as f64;
    }
    m
}

fn assert_matrix_close(a: &Matrix<f64>, b: &Matrix<f64>, tol: f64, what: &str) {
    assert_eq!(a.shape(), b.shape(), "{what}: shapes differ");
    for (i, (x, y)) in a.iter().zip(b.iter()).enumerate() {
        assert!((x - y).abs() <= tol * (1.0 + x.abs().max(y.abs())), "{what}: element {i}: {x} vs {y}");
    }
}

/// ∂f/∂X for a matrix function given as a closure over the tape.
fn gradient_of(x: &Matrix<f64>, f: impl for<'t> Fn(MatVar<'t, f64>) -> Var<'t, f64>) -> Matrix<f64> {
    let tape = Tape::new();
    let xv = tape.matrix(x);
    let y = f(xv);
    tape.backward(y).matrix(xv)
}

#[test]
fn d_trace_ax_dx_is_a_transpose() {
    let (a, x) = (random(3, 4, 1), random(4, 3, 2));
    let g = gradient_of(&x, |xv| xv.tape().constant_matrix(&a).matmul(xv).trace());
    assert_matrix_close(&g, &a.transpose(), 1e-14, "∂tr(AX)/∂X");
}

#[test]
fn d_trace_xt_a_x_dx_is_a_plus_at_times_x() {
    let (a, x) = (random(4, 4, 3), random(4, 2, 4));
    let g = gradient_of(&x, |xv| xv.matmul_tn(xv.tape().constant_matrix(&a).matmul(xv)).trace());
    let a_sym = Matrix::from_fn(4, 4, |i, j| a[(i, j)] + a[(j, i)]);
    assert_matrix_close(&g, &a_sym.matmul(&x), 1e-13, "∂tr(XᵀAX)/∂X");
}

#[test]
fn d_trace_axb_dx_is_at_bt() {
    let (a, x, b) = (random(2, 3, 5), random(3, 4, 6), random(4, 2, 7));
    let g = gradient_of(&x, |xv| {
        let t = xv.tape();
        t.constant_matrix(&a).matmul(xv).matmul(t.constant_matrix(&b)).trace()
    });
    assert_matrix_close(&g, &a.transpose().matmul(&b.transpose()), 1e-13, "∂tr(AXB)/∂X");
}

#[test]
fn d_det_dx_is_det_times_inverse_transpose() {
    let x = well_conditioned(4, 8);
    let g = gradient_of(&x, |xv| xv.det());
    let det = linalg::det(&x).expect("nonsingular");
    let inv_t = linalg::inverse(&x).expect("nonsingular").transpose();
    assert_matrix_close(&g, &inv_t.map(|v| v * det), 1e-12, "∂det X/∂X");
}

#[test]
fn d_logdet_dx_is_inverse_transpose() {
    let x = well_conditioned(5, 9);
    let g = gradient_of(&x, |xv| xv.logdet());
    assert_matrix_close(&g, &linalg::inverse(&x).expect("nonsingular").transpose(), 1e-12, "∂ln det X/∂X");
}

#[test]
fn differential_of_the_inverse_is_minus_x_inv_dx_x_inv() {
    // L = ⟨W, X⁻¹⟩ ⇒ dL = −⟨W, X⁻¹ dX X⁻¹⟩ ⇒ ∂L/∂X = −X⁻ᵀ W X⁻ᵀ.
    let (x, w) = (well_conditioned(4, 10), random(4, 4, 11));
    let g = gradient_of(&x, |xv| xv.inverse().dot(xv.tape().constant_matrix(&w)));
    let inv_t = linalg::inverse(&x).expect("nonsingular").transpose();
    let expected = inv_t.matmul(&w).matmul(&inv_t).map(|v| -v);
    assert_matrix_close(&g, &expected, 1e-12, "d(X⁻¹)");
    // And the differential itself, along a random direction, against finite differences.
    let dx = random(4, 4, 12);
    let directional: f64 = g.iter().zip(dx.iter()).map(|(a, b)| a * b).sum();
    let h = 1e-6;
    let l = |t: f64| {
        let xt = Matrix::from_fn(4, 4, |i, j| x[(i, j)] + t * dx[(i, j)]);
        let inv = linalg::inverse(&xt).expect("nonsingular");
        inv.iter().zip(w.iter()).map(|(a, b)| a * b).sum::<f64>()
    };
    let fd = (l(h) - l(-h)) / (2.0 * h);
    assert!((directional - fd).abs() < 1e-7 * (1.0 + fd.abs()), "{directional} vs {fd}");
}

#[test]
fn solve_gradient_matches_inverse_route() {
    let (a, b, w) = (well_conditioned(3, 13), random(3, 2, 14), random(3, 2, 15));
    let tape = Tape::new();
    let (av, bv, wv) = (tape.matrix(&a), tape.matrix(&b), tape.constant_matrix(&w));
    let g1 = tape.backward(av.solve(bv).dot(wv));
    let g2 = tape.backward(av.inverse().matmul(bv).dot(wv));
    assert_matrix_close(&g1.matrix(av), &g2.matrix(av), 1e-12, "∂/∂A");
    assert_matrix_close(&g1.matrix(bv), &g2.matrix(bv), 1e-12, "∂/∂B");
}

/// Hand-written forward and backward pass of Linear → ReLU → Linear → mean
/// softmax cross-entropy: the reference the tape must match.
#[allow(clippy::type_complexity)]
fn mlp_by_hand(
    x: &Matrix<f64>,
    labels: &[usize],
    w1: &Matrix<f64>,
    b1: &Matrix<f64>,
    w2: &Matrix<f64>,
    b2: &Matrix<f64>,
) -> (f64, Matrix<f64>, Matrix<f64>, Matrix<f64>, Matrix<f64>) {
    let n = x.rows();
    let z1 = Matrix::from_fn(n, w1.cols(), |i, j| x.matmul(w1)[(i, j)] + b1[(0, j)]);
    let h = z1.map(|&v| v.max(0.0));
    let hw = h.matmul(w2);
    let z2 = Matrix::from_fn(n, w2.cols(), |i, j| hw[(i, j)] + b2[(0, j)]);
    let mut loss = 0.0;
    let mut dz2 = Matrix::zeros(n, w2.cols());
    for i in 0..n {
        let row = z2.row(i);
        let m = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let s: f64 = row.iter().map(|v| (v - m).exp()).sum();
        loss += -(row[labels[i]] - m - s.ln());
        for j in 0..row.len() {
            let p = (row[j] - m).exp() / s;
            dz2[(i, j)] = (p - if j == labels[i] { 1.0 } else { 0.0 }) / n as f64;
        }
    }
    let dw2 = h.transpose().matmul(&dz2);
    let db2 = Matrix::from_fn(1, w2.cols(), |_, j| (0..n).map(|i| dz2[(i, j)]).sum());
    let dh = dz2.matmul(&w2.transpose());
    let dz1 = Matrix::from_fn(n, w1.cols(), |i, j| if z1[(i, j)] > 0.0 { dh[(i, j)] } else { 0.0 });
    let dw1 = x.transpose().matmul(&dz1);
    let db1 = Matrix::from_fn(1, w1.cols(), |_, j| (0..n).map(|i| dz1[(i, j)]).sum());
    (loss / n as f64, dw1, db1, dw2, db2)
}

#[test]
fn two_layer_net_gradients_match_hand_written_backprop() {
    let (x, w1, b1, w2, b2) =
        (random(16, 8, 20), random(8, 6, 21), random(1, 6, 22), random(6, 3, 23), random(1, 3, 24));
    let labels: Vec<usize> = (0..16).map(|i| i % 3).collect();
    let tape = Tape::new();
    let (w1v, b1v, w2v, b2v) = (tape.matrix(&w1), tape.matrix(&b1), tape.matrix(&w2), tape.matrix(&b2));
    let xv = tape.constant_matrix(&x);
    let loss = (xv.matmul(w1v) + b1v).relu().matmul(w2v).add_bias(b2v).softmax_cross_entropy(&labels);
    let g = tape.backward(loss);
    let (l, dw1, db1, dw2, db2) = mlp_by_hand(&x, &labels, &w1, &b1, &w2, &b2);
    assert!((loss.primal() - l).abs() < 1e-13, "{} vs {l}", loss.primal());
    assert_matrix_close(&g.matrix(w1v), &dw1, 1e-12, "dW1");
    assert_matrix_close(&g.matrix(b1v), &db1, 1e-12, "db1");
    assert_matrix_close(&g.matrix(w2v), &dw2, 1e-12, "dW2");
    assert_matrix_close(&g.matrix(b2v), &db2, 1e-12, "db2");
}

/// `a + b` spelled as a method, to show both forms record the same op.
trait AddBias<'t> {
    fn add_bias(self, b: MatVar<'t, f64>) -> MatVar<'t, f64>;
}
impl<'t> AddBias<'t> for MatVar<'t, f64> {
    fn add_bias(self, b: MatVar<'t, f64>) -> MatVar<'t, f64> {
        self + b
    }
}

#[test]
fn scalars_and_matrices_mix_on_one_tape() {
    // f(a, s) = s · Σ sigmoid(A) + A[0][1]² with s a scalar Var scaling a matrix.
    let f = scalar_fn(|v| {
        let tape = v[0].tape().expect("tracked");
        let a = MatVar::from_vars(tape, &v[..6], 2, 3);
        let s = v[6];
        (a.sigmoid() * s).sum() + a.at(0, 1).square()
    });
    let x = [0.1, -0.4, 0.9, 1.5, -2.0, 0.3, 0.7];
    let report = gradcheck(f, &x);
    assert!(report.passes(1e-7), "{report}");
    let g = wengert_tape::grad(f, &x);
    let sig = |z: f64| 1.0 / (1.0 + (-z).exp());
    assert!((g[6] - x[..6].iter().map(|&z| sig(z)).sum::<f64>()).abs() < 1e-14);
    assert!((g[1] - (0.7 * sig(-0.4) * (1.0 - sig(-0.4)) + 2.0 * -0.4)).abs() < 1e-14);
}

#[test]
fn constants_get_no_gradient_and_detach_stops_it() {
    let tape = Tape::new();
    let w = tape.matrix(&random(3, 3, 30));
    let c = tape.constant_matrix(&random(3, 3, 31));
    assert!(w.is_tracked() && !c.is_tracked());
    assert!(!(c.exp() + c).is_tracked(), "ops on constants only stay constants");
    let loss = w.matmul(w.detach()).sum();
    let g = tape.backward(loss);
    // d/dW Σ W·stop(W) = 1·stop(W)ᵀ.
    let wt = w.value();
    let ones_wt = Matrix::from_fn(3, 3, |_, j| (0..3).map(|k| wt[(j, k)]).sum::<f64>());
    assert_matrix_close(&g.matrix(w), &ones_wt, 1e-14, "detach");
}

#[test]
#[should_panic(expected = "this matrix is a constant")]
fn constant_matrices_have_no_gradient() {
    let tape = Tape::new();
    let w = tape.matrix(&random(2, 2, 32));
    let c = tape.constant_matrix(&random(2, 2, 33));
    let g = tape.backward(w.dot(c));
    let _ = g.matrix(c);
}

#[test]
fn gradients_index_by_matrix_variable() {
    let mut tape = Tape::new();
    let mut grads = Gradients::empty();
    for step in 0..3 {
        let w = tape.matrix(&random(2, 3, 40 + step));
        let unused = tape.matrix(&random(4, 1, 50 + step));
        let x = tape.constant_matrix(&random(3, 2, 60 + step));
        let loss = w.matmul(x).tanh().sum();
        tape.backward_into(loss, 1.0, &mut grads);
        // By reference, the same numbers as the owned handle.
        let gw: &Matrix<f64> = &grads[w];
        assert_eq!(*gw, grads.matrix(w));
        assert_eq!(gw.shape(), (2, 3));
        assert!(gw.iter().any(|&v| v != 0.0));
        // A matrix no gradient reached reads as zeros of its shape, every time.
        assert_eq!(grads[unused], Matrix::zeros(4, 1));
        assert!(std::ptr::eq(&grads[unused], &grads[unused]), "materialized once per sweep");
        assert_eq!(grads.matrix(unused), Matrix::zeros(4, 1));
        // Scalar and matrix lookups in one expression.
        let s = tape.var(2.0);
        let g2 = tape.backward(w.sum() * s);
        assert_eq!((g2[w][(1, 2)], g2[s]), (2.0, w.value().iter().sum::<f64>()));
        tape.clear();
    }
}

#[test]
#[should_panic(expected = "Gradients[MatVar]: this matrix is a constant")]
fn indexing_a_constant_matrix_panics() {
    let tape = Tape::new();
    let w = tape.matrix(&random(2, 2, 70));
    let c = tape.constant_matrix(&random(2, 2, 71));
    let g = tape.backward(w.dot(c));
    let _ = &g[c];
}

#[test]
#[should_panic(expected = "Gradients[MatVar]: these gradients were computed on another tape")]
fn indexing_a_matrix_of_another_tape_panics() {
    let (t1, t2) = (Tape::new(), Tape::new());
    let g = t1.backward(t1.matrix(&random(2, 2, 72)).sum());
    let _ = &g[t2.matrix(&random(2, 2, 73))];
}

#[test]
#[should_panic(expected = "Gradients[MatVar]: these gradients come from an earlier recording")]
fn indexing_a_matrix_of_a_later_recording_panics() {
    let mut tape = Tape::new();
    let g = tape.backward(tape.matrix(&random(2, 2, 74)).sum());
    tape.clear();
    let _ = &g[tape.matrix(&random(2, 2, 75))];
}

#[test]
#[should_panic(expected = "Gradients[MatVar]: this matrix was recorded after the backward sweep")]
fn indexing_a_matrix_recorded_after_the_sweep_panics() {
    let tape = Tape::new();
    let g = tape.backward(tape.matrix(&random(2, 2, 76)).sum());
    let _ = &g[tape.matrix(&random(2, 2, 77))];
}

#[test]
fn gradients_accumulate_across_backward_calls() {
    let tape = Tape::new();
    let w = tape.matrix(&random(2, 3, 34));
    let l1 = w.l2_penalty();
    let l2 = w.sum();
    let mut g = tape.backward(l1);
    tape.accumulate_into(l2, 1.0, &mut g);
    let expected = w.value().map(|v| v + 1.0);
    assert_matrix_close(&g.matrix(w), &expected, 1e-15, "accumulated");
}

#[test]
fn matrix_seeds_give_vector_jacobian_products() {
    let tape = Tape::new();
    let x = tape.matrix(&random(2, 2, 35));
    let y = x.exp();
    let seed = random(2, 2, 36);
    let g = tape.backward_matrix(y, &seed);
    let expected = Matrix::from_fn(2, 2, |i, j| seed[(i, j)] * y.value()[(i, j)]);
    assert_matrix_close(&g.matrix(x), &expected, 1e-15, "VJP of exp");
}

#[test]
fn extreme_logits_give_finite_losses_and_gradients() {
    let tape = Tape::new();
    let z = tape.matrix(&Matrix::from_rows(&[[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]]));
    let ce = z.softmax_cross_entropy(&[1, 1]);
    let g = tape.backward(ce);
    // Row 0: −(−1000 − 1000) = 2000; row 1: ln(1 + e^{−1}); the mean of the two.
    let expected = (2000.0 + (1.0 + (-1.0f64).exp()).ln()) / 2.0;
    assert!((ce.primal() - expected).abs() < 1e-9, "{} vs {expected}", ce.primal());
    assert!(g.matrix(z).iter().all(|v| v.is_finite()));
    let y = tape.constant_matrix(&Matrix::from_rows(&[[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]));
    let bce = z.bce_with_logits(y);
    assert!(bce.primal().is_finite());
    assert!(tape.backward(bce).matrix(z).iter().all(|v| v.is_finite()));
    assert!(z.log_softmax().value().iter().all(|v| v.is_finite()));
}

#[test]
#[should_panic(expected = "matmul: (3×4)·(5×2): inner dimensions 4 and 5 differ")]
fn shape_errors_name_the_op_and_both_shapes() {
    let tape = Tape::<f64>::new();
    let a = tape.matrix(&Matrix::zeros(3, 4));
    let b = tape.matrix(&Matrix::zeros(5, 2));
    let _ = a.matmul(b);
}

#[test]
fn reused_gradients_keep_their_buffers() {
    let w0 = random(4, 4, 37);
    let mut w = w0.clone();
    let mut tape = Tape::new();
    let mut grads = Gradients::empty();
    for _ in 0..3 {
        tape.clear();
        let wv = tape.matrix(&w);
        let loss = wv.matmul(wv).l2_penalty();
        tape.backward_into(loss, 1.0, &mut grads);
        let g = grads.matrix(wv);
        for (p, d) in w.as_mut_slice().iter_mut().zip(g.iter()) {
            *p -= 1e-3 * d;
        }
    }
    assert!(w.max_abs_diff(&w0) > 0.0);
    assert!(!w0.is_shared(), "the parameter's original storage is not kept alive by the tape");
}

#[test]
fn mean_and_scale_agree_with_scalar_code() {
    let x = random(3, 5, 38);
    let tape = Tape::<f64>::new();
    let xv = tape.matrix(&x);
    let m = (xv * 2.0 - 1.0).mean();
    let expected = x.iter().map(|v| 2.0 * v - 1.0).sum::<f64>() / 15.0;
    assert!((m.value() - expected).abs() < 1e-14);
    let g = tape.backward(m);
    assert!(g.matrix(xv).iter().all(|&v| (v - 2.0 / 15.0).abs() < 1e-15));
}
