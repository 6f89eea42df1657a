//! The forward-mode transforms and the derivative products, each against a
//! hand-derived answer, against the other mode, and against finite differences.
//! (The composition forms and `value_grad_hessian` have their own file,
//! `composition.rs`.)

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use wengert_dual::Dual;
use wengert_ops::{Matrix, Real, Scalar};
use wengert_tape::{
    fns, grad, hessian, hvp, jacfwd, jacobian, jacrev, jvp, numerical_hessian, scalar_fn, value_and_grad, vector_fn,
    MatVar, Tape, Var,
};

/// `|a − b| ≤ tol · max(1, |a|, |b|)`: relative for large values, absolute near 0.
fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * 1f64.max(a.abs()).max(b.abs())
}

fn assert_vec_close(a: &[f64], b: &[f64], tol: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths differ");
    for (i, (&x, &y)) in a.iter().zip(b).enumerate() {
        assert!(close(x, y, tol), "{what}[{i}]: {x:e} vs {y:e}");
    }
}

fn assert_mat_close(a: &Matrix<f64>, b: &Matrix<f64>, tol: f64, what: &str) {
    assert_eq!(a.shape(), b.shape(), "{what}: shapes differ");
    for i in 0..a.rows() {
        for j in 0..a.cols() {
            assert!(close(a[(i, j)], b[(i, j)], tol), "{what}[({i}, {j})]: {:e} vs {:e}", a[(i, j)], b[(i, j)]);
        }
    }
}

fn mat_vec(a: &Matrix<f64>, v: &[f64]) -> Vec<f64> {
    (0..a.rows()).map(|i| a.row(i).iter().zip(v).map(|(x, y)| x * y).sum()).collect()
}

/// Every entry of a recording on a `Tape<f64>` evaluated at `x` (for finite
/// differences of a closure written over tape variables).
fn eval_on_f64<F>(f: F) -> impl FnMut(&[f64]) -> f64
where
    F: for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>,
{
    let mut tape = Tape::new();
    move |x| {
        tape.clear();
        let v = tape.vars(x);
        f(&v).primal()
    }
}

// ----- jvp, directional derivatives, Jacobians ----------------------------------

/// f(x, y, z) = (x y sin z, eˣ + y², z / y).
fn three_outputs<T: Real>(v: &[T]) -> Vec<T> {
    vec![v[0] * v[1] * v[2].sin(), v[0].exp() + v[1].square(), v[2] / v[1]]
}

fn three_outputs_jacobian(x: f64, y: f64, z: f64) -> Matrix<f64> {
    Matrix::from_rows(&[
        [y * z.sin(), x * z.sin(), x * y * z.cos()],
        [x.exp(), 2.0 * y, 0.0],
        [0.0, -z / (y * y), 1.0 / y],
    ])
}

#[test]
fn jvp_matches_the_hand_derived_jacobian_times_v() {
    let (x, y, z) = (0.7, -1.3, 2.1);
    let v = [0.5, -2.0, 1.25];
    let (fx, jv) = jvp(three_outputs, &[x, y, z], &v);
    assert_vec_close(&fx, &three_outputs(&[x, y, z]), 0.0, "f(x)");
    let want = mat_vec(&three_outputs_jacobian(x, y, z), &v);
    assert_vec_close(&jv, &want, 1e-15, "J·v");
}

#[test]
fn directional_derivative_is_the_gradient_dotted_with_v() {
    let f = |v: &[f64]| (v[0] * v[1]).sin() + v[2].exp() * v[0];
    let x = [0.4, 1.7, -0.6];
    let v = [1.0, -0.5, 3.0];
    let (_, d) = jvp(|p| (p[0] * p[1]).sin() + p[2].exp() * p[0], &x, &v);
    let g = grad(|p| (p[0] * p[1]).sin() + p[2].exp() * p[0], &x);
    let want: f64 = g.iter().zip(&v).map(|(a, b)| a * b).sum();
    assert!(close(d, want, 1e-15), "{d} vs {want}");
    assert_eq!(f(&x), value_and_grad(|p| (p[0] * p[1]).sin() + p[2].exp() * p[0], &x).0);
}

#[test]
fn jacfwd_jacrev_jacobian_and_hand_agree_on_a_three_by_three_map() {
    let x = [0.7, -1.3, 2.1];
    let fwd = jacfwd(three_outputs, &x);
    let rev = jacrev(|p| three_outputs(p), &x);
    let auto = jacobian(|p| three_outputs(p), &x);
    let hand = three_outputs_jacobian(x[0], x[1], x[2]);
    assert_mat_close(&fwd, &hand, 1e-15, "jacfwd");
    assert_mat_close(&rev, &hand, 1e-15, "jacrev");
    assert_mat_close(&auto, &hand, 1e-15, "jacobian");
}

/// Polar → Cartesian: (r, θ) ↦ (r cos θ, r sin θ).
fn polar<T: Real>(p: &[T]) -> Vec<T> {
    vec![p[0] * p[1].cos(), p[0] * p[1].sin()]
}

#[test]
fn polar_coordinates_jacobian_in_both_modes_with_determinant_r() {
    for &(r, theta) in &[(2.0, 0.0), (1.5, 0.3), (0.25, -2.0), (3.0, std::f64::consts::PI)] {
        let x = [r, theta];
        let fwd = jacfwd(polar, &x);
        let rev = jacrev(|p| polar(p), &x);
        let auto = jacobian(|p| polar(p), &x);
        let hand = Matrix::from_rows(&[[theta.cos(), -r * theta.sin()], [theta.sin(), r * theta.cos()]]);
        assert_mat_close(&fwd, &hand, 1e-15, "jacfwd");
        assert_mat_close(&rev, &hand, 1e-15, "jacrev");
        assert_mat_close(&auto, &hand, 1e-15, "jacobian");
        let det = fwd[(0, 0)] * fwd[(1, 1)] - fwd[(0, 1)] * fwd[(1, 0)];
        assert!(close(det, r, 1e-15), "det J = {det}, r = {r}");
    }
}

#[test]
fn jacobian_picks_reverse_for_wide_and_forward_for_tall_maps() {
    // Wide: 5 inputs, 2 outputs (reverse path). Tall: 2 inputs, 5 outputs (forward).
    let wide = vector_fn(|v| vec![v.iter().copied().sum::<Var<'_, Dual<f64>>>().tanh(), v[0] * v[4]]);
    let x = [0.1, 0.2, -0.3, 0.4, 0.5];
    let got = jacobian(wide, &x);
    let want = jacfwd(fns::on_tape(wide), &x);
    assert_mat_close(&got, &want, 1e-15, "wide");
    assert_eq!(got.shape(), (2, 5));

    let tall = vector_fn(|v: &[Var<'_, Dual<f64>>]| (1..=5).map(|k| (v[0] * k as f64).sin() * v[1]).collect());
    let x = [0.3, -1.1];
    let got = jacobian(tall, &x);
    let want = jacrev(|v| (1..=5).map(|k| (v[0] * k as f64).sin() * v[1]).collect(), &x);
    assert_mat_close(&got, &want, 1e-15, "tall");
    assert_eq!(got.shape(), (5, 2));
}

// ----- Hessians -------------------------------------------------------------------

#[test]
fn hessian_of_a_quadratic_is_its_matrix() {
    // A = MᵀM + I (symmetric positive definite), f = ½xᵀAx − bᵀx.
    let m =
        Matrix::from_rows(&[[1.0, 2.0, 0.0, -1.0], [0.5, -1.0, 3.0, 0.0], [2.0, 0.0, 1.0, 1.5], [0.0, 1.0, -2.0, 0.5]]);
    let a = m.transpose().matmul(&m);
    let a = Matrix::from_fn(4, 4, |i, j| a[(i, j)] + if i == j { 1.0 } else { 0.0 });
    let b = [1.0, -2.0, 0.5, 3.0];
    let quad = scalar_fn(|x| {
        let mut s = Var::constant(Dual::constant(0.0));
        for i in 0..4 {
            for j in 0..4 {
                s += x[i] * x[j] * a[(i, j)] * 0.5;
            }
            s -= x[i] * b[i];
        }
        s
    });
    for x in [[0.0; 4], [1.0, -1.0, 2.0, 0.5], [-3.0, 7.0, 0.1, 100.0]] {
        let h = hessian(quad, &x);
        assert!(h.max_abs_diff(&a) <= 1e-12, "H = {h:?}, A = {a:?}");
        // The gradient from the same recording is Ax − b.
        let (g, _) = jvp(fns::grad(quad), &x, &[0.0; 4]);
        let want: Vec<f64> = mat_vec(&a, &x).iter().zip(&b).map(|(ax, bi)| ax - bi).collect();
        assert_vec_close(&g, &want, 1e-14, "∇f");
    }
}

#[test]
fn hessian_of_a_cubic_with_a_saddle() {
    // f = x³ − 3xy + y³, H = [[6x, −3], [−3, 6y]].
    let f = scalar_fn(|v: &[Var<'_, Dual<f64>>]| v[0].powi(3) - v[0] * v[1] * 3.0 + v[1].powi(3));
    for &(x, y) in &[(1.0, 1.0), (0.0, 0.0), (-0.5, 2.5)] {
        let h = hessian(f, &[x, y]);
        assert_eq!(h.as_slice(), &[6.0 * x, -3.0, -3.0, 6.0 * y], "at ({x}, {y})");
    }
}

fn rosenbrock<T: Real>(x: &[T]) -> T {
    x.windows(2).fold(T::zero(), |acc, w| acc + (w[1] - w[0] * w[0]).square() * 100.0 + (w[0] - 1.0).square())
}

/// The tridiagonal Hessian of the extended Rosenbrock function, by hand.
fn rosenbrock_hessian_by_hand(x: &[f64]) -> Matrix<f64> {
    let n = x.len();
    let mut h = Matrix::zeros(n, n);
    for i in 0..n {
        if i + 1 < n {
            h[(i, i)] += -400.0 * (x[i + 1] - x[i] * x[i]) + 800.0 * x[i] * x[i] + 2.0;
            h[(i, i + 1)] = -400.0 * x[i];
            h[(i + 1, i)] = -400.0 * x[i];
        }
        if i > 0 {
            h[(i, i)] += 200.0;
        }
    }
    h
}

fn rosenbrock_point(n: usize) -> Vec<f64> {
    (0..n).map(|i| 0.3 + 0.9 * ((i as f64) * 1.3).sin()).collect()
}

#[test]
fn hessian_of_rosenbrock_is_the_hand_derived_tridiagonal() {
    let x = rosenbrock_point(10);
    let h = hessian(|v| rosenbrock(v), &x);
    let want = rosenbrock_hessian_by_hand(&x);
    assert_mat_close(&h, &want, 1e-13, "Rosenbrock Hessian");
    // Exactly zero off the three diagonals.
    for i in 0..10usize {
        for j in 0..10usize {
            if i.abs_diff(j) > 1 {
                assert_eq!(h[(i, j)], 0.0);
            }
        }
    }
    let num = numerical_hessian(rosenbrock::<f64>, &x);
    assert_mat_close(&h, &num, 1e-5, "vs numerical");
}

#[test]
fn hvp_equals_hessian_times_v_and_its_gradient_is_reverse_modes() {
    let x = rosenbrock_point(10);
    let v: Vec<f64> = (0..10).map(|i| ((i * 7 % 5) as f64) - 2.0).collect();
    let h = hessian(|p| rosenbrock(p), &x);
    let (g, hv) = jvp(fns::grad(|p| rosenbrock(p)), &x, &v);
    assert_vec_close(&hv, &mat_vec(&h, &v), 1e-13, "H·v");
    assert_vec_close(&hvp(|p| rosenbrock(p), &x, &v), &hv, 0.0, "hvp vs jvp(fns::grad)");
    // The real parts of the dual sweep are the plain reverse-mode gradient.
    assert_vec_close(&g, &grad(|p| rosenbrock(p), &x), 1e-15, "∇f");
}

/// A smooth function exercising many ops, for comparison with finite differences.
fn mixed<T: Real>(v: &[T]) -> T {
    (v[0] * v[1]).sin() * v[2].exp() + (v[0].square() + v[3].square() + 1.0).ln() + v[1].tanh() * v[3].sigmoid()
        - (v[2] / (v[0].square() + 2.0)).sqrt().powf(v[3].softplus() * 0.5)
        + v[0].powi(-2)
}

/// A scalar function on second-order dual numbers.
type HyperDualFn = fn(&[Dual<Dual<f64>>]) -> Dual<Dual<f64>>;

/// The Hessian by forward-over-forward (`Dual<Dual<f64>>`, seeded along `eᵢ`
/// inside and `eⱼ` outside): an engine that shares no code with the tape.
fn hessian_forward_over_forward(f: HyperDualFn, x: &[f64]) -> Matrix<f64> {
    let n = x.len();
    Matrix::from_fn(n, n, |i, j| {
        let seeded: Vec<_> = (0..n)
            .map(|k| {
                let (ei, ej) = (if k == i { 1.0 } else { 0.0 }, if k == j { 1.0 } else { 0.0 });
                Dual::new(Dual::new(x[k], ei), Dual::new(ej, 0.0))
            })
            .collect();
        f(&seeded).eps.eps
    })
}

#[test]
fn hessian_equals_the_numerical_and_the_forward_over_forward_hessian() {
    for x in [[0.7, -0.4, 1.2, 0.3], [-1.5, 2.0, 0.4, -0.8]] {
        let h = hessian(|v| mixed(v), &x);
        let num = numerical_hessian(mixed::<f64>, &x);
        assert_mat_close(&h, &num, 1e-5, "mixed");
        assert_mat_close(&h, &hessian_forward_over_forward(mixed, &x), 1e-13, "forward-over-forward");
        // Raw, not symmetrized, but symmetric to rounding.
        assert_mat_close(&h, &h.transpose(), 1e-13, "symmetry");
    }
    // Near the square root's singularity at 0 (x₂ = 0.05) the four-point formula is off
    // by ~1e-5 relative (its step is 1.2e-4); the two exact engines still agree.
    let x = [-1.5, 2.0, 0.05, -0.8];
    let h = hessian(|v| mixed(v), &x);
    assert_mat_close(&h, &hessian_forward_over_forward(mixed, &x), 1e-13, "forward-over-forward near a singularity");
}

// ----- logistic regression --------------------------------------------------------

struct Logistic {
    x: Matrix<f64>,
    y: Vec<f64>,
    lambda: f64,
}

impl Logistic {
    fn new(n: usize, d: usize, seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let x = Matrix::from_fn(n, d, |_, _| rng.random_range(-2.0..2.0));
        let y = (0..n).map(|_| if rng.random_bool(0.5) { 1.0 } else { 0.0 }).collect();
        Logistic { x, y, lambda: 0.1 }
    }

    /// (1/N) Σ [softplus(xᵢᵀθ) − yᵢ xᵢᵀθ] + λ/2 ‖θ‖², in scalar ops.
    fn loss<T: Real>(&self, theta: &[T]) -> T {
        let n = self.x.rows();
        let mut data = T::zero();
        for i in 0..n {
            let z = self.x.row(i).iter().zip(theta).fold(T::zero(), |acc, (&xij, &t)| acc + t * xij);
            data += z.softplus() - z * self.y[i];
        }
        let reg = theta.iter().fold(T::zero(), |acc, &t| acc + t * t);
        data / n as f64 + reg * (self.lambda * 0.5)
    }

    /// XᵀSX/N + λI with S = diag(p(1 − p)), p = σ(Xθ).
    fn hessian_by_hand(&self, theta: &[f64]) -> Matrix<f64> {
        let (n, d) = self.x.shape();
        let mut h = Matrix::from_fn(d, d, |i, j| if i == j { self.lambda } else { 0.0 });
        for r in 0..n {
            let row = self.x.row(r);
            let z: f64 = row.iter().zip(theta).map(|(a, b)| a * b).sum();
            let p = 1.0 / (1.0 + (-z).exp());
            let s = p * (1.0 - p) / n as f64;
            for i in 0..d {
                for j in 0..d {
                    h[(i, j)] += s * row[i] * row[j];
                }
            }
        }
        h
    }
}

#[test]
fn hessian_of_regularized_logistic_regression_is_xt_s_x_over_n_plus_lambda() {
    let model = Logistic::new(40, 4, 7);
    for theta in [[0.0; 4], [0.5, -1.0, 0.25, 2.0]] {
        let h = hessian(|t| model.loss(t), &theta);
        assert_mat_close(&h, &model.hessian_by_hand(&theta), 1e-13, "logistic Hessian");
        let num = numerical_hessian(|t| model.loss(t), &theta);
        assert_mat_close(&h, &num, 1e-5, "vs numerical");
    }
}

// ----- one model, three number types ------------------------------------------------

/// Written once, run on `f64`, `Dual<f64>` and `Var<f64>`.
fn model<T: Real>(x: &[T]) -> T {
    let mut acc = T::zero();
    for (i, &xi) in x.iter().enumerate() {
        let next = x[(i + 1) % x.len()];
        acc += (xi * next).tanh() + (xi.square() + 1.0).ln() * 0.5 + (xi - next).exp() / (i + 1) as f64;
    }
    acc.sqrt()
}

#[test]
fn one_generic_model_gives_the_same_value_and_gradient_on_every_number_type() {
    let x: Vec<f64> = (0..8).map(|i| 0.2 * i as f64 - 0.6).collect();
    let plain = model(&x);
    let forward = jacfwd(model, &x);
    let forward_value = model(&x.iter().map(|&xi| Dual::constant(xi)).collect::<Vec<_>>()).re;
    let (reverse_value, reverse) = value_and_grad(|v| model(v), &x);
    assert!(close(forward_value, plain, 1e-12) && close(reverse_value, plain, 1e-12));
    assert_vec_close(&forward, &reverse, 1e-12, "forward vs reverse");
    // And forward-over-reverse gives the same gradient in its real parts.
    let (g, _) = jvp(fns::grad(|v| model(v)), &x, &[1.0; 8]);
    assert_vec_close(&g, &reverse, 1e-12, "dual tape vs f64 tape");
}

// ----- matrix ops -------------------------------------------------------------------

/// Two-layer tanh network with softmax cross-entropy, parameters in one flat
/// vector: W₁ (d×h), b₁ (1×h), W₂ (h×k), b₂ (1×k).
struct Mlp {
    data: Matrix<f64>,
    labels: Vec<usize>,
    d: usize,
    h: usize,
    k: usize,
}

impl Mlp {
    fn new(seed: u64) -> Self {
        let (n, d, h, k) = (6, 3, 4, 3);
        let mut rng = StdRng::seed_from_u64(seed);
        let data = Matrix::from_fn(n, d, |_, _| rng.random_range(-1.0..1.0));
        let labels = (0..n).map(|_| rng.random_range(0..k)).collect();
        Mlp { data, labels, d, h, k }
    }

    fn n_params(&self) -> usize {
        self.d * self.h + self.h + self.h * self.k + self.k
    }

    fn loss<'t, T: Scalar>(&self, p: &[Var<'t, T>]) -> Var<'t, T> {
        let tape = p[0].tape().expect("parameters are recorded");
        let (d, h, k) = (self.d, self.h, self.k);
        let mut at = 0;
        let mut take = |rows: usize, cols: usize| {
            let m = MatVar::from_vars(tape, &p[at..at + rows * cols], rows, cols);
            at += rows * cols;
            m
        };
        let (w1, b1, w2, b2) = (take(d, h), take(1, h), take(h, k), take(1, k));
        let x = tape.constant_matrix(&self.data.cast());
        let hidden = (x.matmul(w1) + b1).tanh();
        (hidden.matmul(w2) + b2).softmax_cross_entropy(&self.labels)
    }

    fn params(&self, seed: u64) -> Vec<f64> {
        let mut rng = StdRng::seed_from_u64(seed);
        (0..self.n_params()).map(|_| rng.random_range(-0.8..0.8)).collect()
    }
}

#[test]
fn hvp_and_hessian_of_a_softmax_cross_entropy_mlp_match_finite_differences() {
    let mlp = Mlp::new(3);
    let p = mlp.params(11);
    let n = p.len();
    let h = hessian(|v| mlp.loss(v), &p);
    let num = numerical_hessian(eval_on_f64(|v| mlp.loss(v)), &p);
    assert_mat_close(&h, &num, 1e-5, "MLP Hessian");
    assert_mat_close(&h, &h.transpose(), 1e-13, "MLP Hessian symmetry");
    let v: Vec<f64> = (0..n).map(|i| ((i % 7) as f64 - 3.0) / 3.0).collect();
    let (g, hv) = jvp(fns::grad(|w| mlp.loss(w)), &p, &v);
    assert_vec_close(&hv, &mat_vec(&h, &v), 1e-13, "MLP H·v");
    assert_vec_close(&g, &grad(|w| mlp.loss(w), &p), 1e-14, "MLP ∇f");
}

/// logdet(XᵀX + I) for X (4×3) given as a flat vector.
fn logdet_gram<'t, T: Scalar>(x: &[Var<'t, T>]) -> Var<'t, T> {
    let tape = x[0].tape().expect("inputs are recorded");
    let m = MatVar::from_vars(tape, x, 4, 3);
    let eye = tape.constant_matrix(&Matrix::identity(3));
    (m.matmul_tn(m) + eye).logdet()
}

#[test]
fn hessian_of_logdet_of_a_gram_matrix_matches_finite_differences() {
    let x: Vec<f64> = (0..12).map(|i| ((i as f64) * 0.9).cos() * 1.2).collect();
    let h = hessian(logdet_gram, &x);
    let num = numerical_hessian(eval_on_f64(logdet_gram), &x);
    assert_mat_close(&h, &num, 1e-5, "logdet Hessian");
    assert_mat_close(&h, &h.transpose(), 1e-13, "logdet Hessian symmetry");
    // The gradient of logdet(XᵀX + I) is 2X(XᵀX + I)⁻¹.
    let xm = Matrix::from_vec(4, 3, x.clone());
    let gram = xm.transpose().matmul(&xm);
    let a = Matrix::from_fn(3, 3, |i, j| gram[(i, j)] + if i == j { 1.0 } else { 0.0 });
    let inv = wengert_ops::linalg::inverse(&a).expect("XᵀX + I is invertible");
    let want: Vec<f64> = xm.matmul(&inv).as_slice().iter().map(|g| 2.0 * g).collect();
    let (g, _) = jvp(fns::grad(logdet_gram), &x, &[0.0; 12]);
    assert_vec_close(&g, &want, 1e-13, "∇ logdet");
}

#[test]
fn forward_and_reverse_jacobians_agree_through_matrix_ops() {
    // y = tanh(W x) with W constant and x tracked, read back element by element.
    let w = Matrix::from_rows(&[[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]]);
    let f = vector_fn(|x: &[Var<'_, Dual<f64>>]| {
        let tape = x[0].tape().expect("recorded");
        let xv = MatVar::from_vars(tape, x, 3, 1);
        let y = tape.constant_matrix(&w.cast()).matmul(xv).tanh();
        vec![y.at(0, 0), y.at(1, 0)]
    });
    let x = [0.3, -0.2, 0.1];
    let fwd = jacfwd(fns::on_tape(f), &x);
    let auto = jacobian(f, &x);
    let hand = Matrix::from_fn(2, 3, |i, j| {
        let z: f64 = (0..3).map(|k| w[(i, k)] * x[k]).sum();
        (1.0 - z.tanh().powi(2)) * w[(i, j)]
    });
    assert_mat_close(&fwd, &hand, 1e-15, "jacfwd through matmul");
    assert_mat_close(&auto, &hand, 1e-15, "jacobian through matmul");
    let (_, jv) = jvp(fns::on_tape(f), &x, &[1.0, 1.0, 1.0]);
    assert_vec_close(&jv, &mat_vec(&hand, &[1.0, 1.0, 1.0]), 1e-15, "jvp through matmul");
}
