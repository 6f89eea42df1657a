//! Gauss-Newton: the loss Hessians against the tape's second derivatives, the
//! GGN against the exact Hessian where they must agree (models linear in θ),
//! and the least-squares solvers on an exponential-decay fit.

use rand::rngs::StdRng;
use rand::SeedableRng;
use wengert_ops::{Matrix, Real};
use wengert_optim::gauss_newton::{
    gauss_newton, ggn_vector_product, levenberg_marquardt, GgnOperator, LeastSquaresOptions, MeanSquaredError,
    OutputLoss, SoftmaxCrossEntropy,
};
use wengert_optim::linalg::symmetric_eigen_jacobi;
use wengert_optim::spectra::{lanczos_bottom_k, lanczos_top_k, LanczosOptions};
use wengert_optim::Termination;
use wengert_tape::hessian;

/// A linear model `F = XW + b` (N × K) with flat parameters `[W row-major, b]`.
struct Linear {
    x: Matrix<f64>,
    k: usize,
}

impl Linear {
    fn new(n: usize, d: usize, k: usize, seed: u64) -> Self {
        Linear { x: Matrix::random_normal(n, d, 0.0, 1.0, &mut StdRng::seed_from_u64(seed)), k }
    }
    fn dim(&self) -> usize {
        (self.x.cols() + 1) * self.k
    }
    /// Outputs for any element type (row-major N·K).
    fn outputs<T: Real>(&self, p: &[T]) -> Vec<T> {
        let (n, d, k) = (self.x.rows(), self.x.cols(), self.k);
        let mut out = Vec::with_capacity(n * k);
        for i in 0..n {
            for c in 0..k {
                out.push((0..d).fold(p[d * k + c], |acc, j| acc + p[j * k + c] * self.x[(i, j)]));
            }
        }
        out
    }
    /// `J v` (the model is linear: J v = outputs of v without the … bias included).
    fn jvp(&self, v: &[f64]) -> Vec<f64> {
        self.outputs(v)
    }
    /// `Jᵀ w`.
    fn vjp(&self, w: &[f64]) -> Vec<f64> {
        let (n, d, k) = (self.x.rows(), self.x.cols(), self.k);
        let mut g = vec![0.0; self.dim()];
        for i in 0..n {
            for c in 0..k {
                let wi = w[i * k + c];
                for j in 0..d {
                    g[j * k + c] += self.x[(i, j)] * wi;
                }
                g[d * k + c] += wi;
            }
        }
        g
    }
}

/// `ℓ` of the tape's conventions on scalars, for the tape's `hessian`.
fn mse<T: Real>(f: &[T], y: &Matrix<f64>) -> T {
    f.iter().zip(y.iter()).fold(T::zero(), |acc, (&a, &b)| acc + (a - b).square()) * (1.0 / f.len() as f64)
}

fn softmax_ce<T: Real>(z: &[T], labels: &[usize], k: usize) -> T {
    let n = labels.len();
    let mut total = T::zero();
    for (i, &c) in labels.iter().enumerate() {
        let row = &z[i * k..(i + 1) * k];
        let lse = row.iter().fold(T::zero(), |acc, &v| acc + v.exp()).ln();
        total += lse - row[c];
    }
    total * (1.0 / n as f64)
}

/// The dense matrix of a linear map given by its products with the basis.
fn dense(dim: usize, apply: impl Fn(&[f64]) -> Vec<f64>) -> Matrix<f64> {
    let mut m = Matrix::zeros(dim, dim);
    for j in 0..dim {
        let mut e = vec![0.0; dim];
        e[j] = 1.0;
        for (i, v) in apply(&e).into_iter().enumerate() {
            m[(i, j)] = v;
        }
    }
    m
}

#[test]
fn loss_hessians_match_the_tapes_second_derivatives() {
    let mut rng = StdRng::seed_from_u64(2);
    let (n, k) = (4, 3);
    let z = Matrix::<f64>::random_normal(n, k, 0.0, 2.0, &mut rng);
    let y = Matrix::<f64>::random_normal(n, k, 0.0, 1.0, &mut rng);
    let labels = vec![2, 0, 1, 2];
    let mse_loss = MeanSquaredError::new(y.clone());
    let ce_loss = SoftmaxCrossEntropy::new(labels.clone(), k);
    let h_mse = hessian(|f| mse(f, &y), z.as_slice());
    let h_ce = hessian(|f| softmax_ce(f, &labels, k), z.as_slice());
    let ours_mse = dense(n * k, |u| mse_loss.hessian_vector(&z, &Matrix::from_vec(n, k, u.to_vec())).into_vec());
    let ours_ce = dense(n * k, |u| ce_loss.hessian_vector(&z, &Matrix::from_vec(n, k, u.to_vec())).into_vec());
    assert!(ours_mse.max_abs_diff(&h_mse) < 1e-14, "{}", ours_mse.max_abs_diff(&h_mse));
    assert!(ours_ce.max_abs_diff(&h_ce) < 1e-14, "{}", ours_ce.max_abs_diff(&h_ce));
    // Values and gradients too.
    assert!((mse_loss.value(&z) - mse(z.as_slice(), &y)).abs() < 1e-14);
    assert!((ce_loss.value(&z) - softmax_ce(z.as_slice(), &labels, k)).abs() < 1e-14);
    let g = wengert_tape::grad(|f| softmax_ce(f, &labels, k), z.as_slice());
    assert!(ce_loss.gradient(&z).as_slice().iter().zip(&g).all(|(a, b)| (a - b).abs() < 1e-15));
    // The CE Hessian is PSD with the all-ones direction of each row in its null space.
    let ones = Matrix::from_fn(n, k, |i, _| if i == 1 { 1.0 } else { 0.0 });
    assert!(ce_loss.hessian_vector(&z, &ones).iter().all(|v| v.abs() < 1e-16));
}

#[test]
fn ggn_equals_the_hessian_for_a_linear_model_with_mse() {
    let model = Linear::new(7, 3, 2, 5);
    let mut rng = StdRng::seed_from_u64(6);
    let targets = Matrix::<f64>::random_normal(7, 2, 0.0, 1.0, &mut rng);
    let theta = Matrix::<f64>::random_normal(1, model.dim(), 0.0, 1.0, &mut rng).into_vec();
    let loss = MeanSquaredError::new(targets.clone());
    let outputs = Matrix::from_vec(7, 2, model.outputs(&theta));
    let ggn = dense(model.dim(), |v| ggn_vector_product(&loss, &outputs, |u| model.jvp(u), |w| model.vjp(w), v));
    let h = hessian(|p| mse(&model.outputs(p), &targets), &theta);
    assert!(ggn.max_abs_diff(&h) < 1e-13, "GGN − H = {}", ggn.max_abs_diff(&h));
}

#[test]
fn ggn_equals_the_hessian_for_softmax_regression_and_is_psd() {
    let model = Linear::new(9, 4, 3, 7);
    let labels: Vec<usize> = (0..9).map(|i| (i * 5) % 3).collect();
    let theta = Matrix::<f64>::random_normal(1, model.dim(), 0.0, 1.0, &mut StdRng::seed_from_u64(8)).into_vec();
    let loss = SoftmaxCrossEntropy::new(labels.clone(), 3);
    let outputs = Matrix::from_vec(9, 3, model.outputs(&theta));
    let op = GgnOperator::new(model.dim(), &loss, outputs.clone(), |u: &[f64]| model.jvp(u), |w: &[f64]| model.vjp(w));
    let ggn = dense(model.dim(), |v| ggn_vector_product(&loss, &outputs, |u| model.jvp(u), |w| model.vjp(w), v));
    let h = hessian(|p| softmax_ce(&model.outputs(p), &labels, 3), &theta);
    assert!(ggn.max_abs_diff(&h) < 1e-13, "GGN − H = {}", ggn.max_abs_diff(&h));
    // Through the operator: Lanczos agrees with the dense spectrum, which is PSD
    // (the rows' all-ones directions make it singular: adding c to every bias
    // changes no probability).
    let exact = symmetric_eigen_jacobi(&Matrix::from_fn(15, 15, |i, j| 0.5 * (ggn[(i, j)] + ggn[(j, i)]))).values;
    let opts = LanczosOptions { max_steps: 15, tol: 1e-12, seed: 0 };
    let top = lanczos_top_k(&op, 1, &opts).unwrap();
    let bottom = lanczos_bottom_k(&op, 1, &opts).unwrap();
    assert!((top.values[0] - exact[0]).abs() < 1e-10 * exact[0]);
    assert!(bottom.values[0] > -1e-12 && bottom.values[0].abs() < 1e-10, "{}", bottom.values[0]);
}

/// θ₀ e^{−θ₁ t} + θ₂ at 25 times in [0, 6] with noise σ = 0.01 around θ* = (3, 0.9, 0.5).
struct Decay {
    t: Vec<f64>,
    y: Vec<f64>,
}

impl Decay {
    fn new() -> Self {
        let t: Vec<f64> = (0..25).map(|i| 0.25 * i as f64).collect();
        let noise = Matrix::<f64>::random_normal(1, 25, 0.0, 0.01, &mut StdRng::seed_from_u64(13)).into_vec();
        let y = t.iter().zip(&noise).map(|(&t, e)| 3.0 * (-0.9 * t).exp() + 0.5 + e).collect();
        Decay { t, y }
    }
    fn residual(&self, p: &[f64]) -> Vec<f64> {
        self.t.iter().zip(&self.y).map(|(&t, &y)| p[0] * (-p[1] * t).exp() + p[2] - y).collect()
    }
    fn jacobian(&self, p: &[f64]) -> Matrix<f64> {
        Matrix::from_fn(self.t.len(), 3, |i, j| {
            let e = (-p[1] * self.t[i]).exp();
            [e, -p[0] * self.t[i] * e, 1.0][j]
        })
    }
}

#[test]
fn gauss_newton_fits_exponential_decay_in_at_most_ten_iterations() {
    let data = Decay::new();
    let start = [1.0, 0.5, 0.0];
    let opts = LeastSquaresOptions::default();
    let gn = gauss_newton(|p| data.residual(p), |p| data.jacobian(p), &start, &opts).unwrap();
    let lm = levenberg_marquardt(|p| data.residual(p), |p| data.jacobian(p), &start, &opts).unwrap();
    for (name, fit) in [("Gauss-Newton", &gn), ("Levenberg-Marquardt", &lm)] {
        assert!(fit.converged(), "{name}: {fit:?}");
        assert!(fit.iterations <= 10, "{name} took {} iterations", fit.iterations);
        // The fit recovers θ* to the noise level, and its residual is the noise's.
        assert!((fit.x[0] - 3.0).abs() < 0.05 && (fit.x[1] - 0.9).abs() < 0.05 && (fit.x[2] - 0.5).abs() < 0.05);
        assert!(fit.residual_norm < 0.01 * 25f64.sqrt() * 1.5, "{name}: ‖r‖ = {}", fit.residual_norm);
        assert!(fit.history.windows(2).all(|w| w[1] <= w[0]), "{name}: the residual must not grow");
        println!("{name}: {} iterations, ‖r‖ history {:?}", fit.iterations, fit.history);
    }
    // Both reach the same minimizer.
    assert!(gn.x.iter().zip(&lm.x).all(|(a, b)| (a - b).abs() < 1e-8));
}

#[test]
fn levenberg_marquardt_converges_from_a_poor_start() {
    // Rosenbrock as least squares: r = (10(x₂ − x₁²), 1 − x₁), zero residual at (1, 1).
    let r = |x: &[f64]| vec![10.0 * (x[1] - x[0] * x[0]), 1.0 - x[0]];
    let j = |x: &[f64]| Matrix::from_rows(&[[-20.0 * x[0], 10.0], [-1.0, 0.0]]);
    let fit = levenberg_marquardt(r, j, &[-1.2, 1.0], &LeastSquaresOptions::default()).unwrap();
    assert!(fit.converged() && (fit.x[0] - 1.0).abs() < 1e-9 && (fit.x[1] - 1.0).abs() < 1e-9, "{fit:?}");
    // Quadratic convergence at the end: the last residuals fall like e, e², …
    let h = &fit.history;
    let k = h.len();
    assert!(h[k - 1] < 1e-10 && h[k - 2] < 1e-4, "{h:?}");
}

#[test]
fn bad_input_is_a_clear_error() {
    let data = Decay::new();
    let opts = LeastSquaresOptions::default();
    let err =
        levenberg_marquardt(|p| data.residual(p), |p| data.jacobian(p), &[1.0, f64::NAN, 0.0], &opts).unwrap_err();
    assert_eq!(err.to_string(), "levenberg_marquardt: the starting point has a non-finite entry x[1] = NaN");
    let err = gauss_newton(|p| data.residual(p), |p| data.jacobian(p), &[], &opts).unwrap_err();
    assert_eq!(err.to_string(), "gauss_newton: the starting point is empty (dimension 0)");
    // A Jacobian of the wrong shape (the parameters have 2 entries, not 3).
    let err = levenberg_marquardt(
        |p| data.residual(&[p[0], p[1], 0.0]),
        |p| data.jacobian(&[p[0], p[1], 0.0]),
        &[1.0, 1.0],
        &opts,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "levenberg_marquardt: the Jacobian is (25×3) but 25 residuals of 2 parameters need (25×2)"
    );
    // A residual whose length changes between calls.
    let calls = std::cell::Cell::new(0);
    let r = |p: &[f64]| {
        calls.set(calls.get() + 1);
        if calls.get() == 1 {
            data.residual(p)
        } else {
            vec![0.0; 3]
        }
    };
    let err = gauss_newton(r, |p| data.jacobian(p), &[1.0, 0.5, 0.0], &opts).unwrap_err();
    assert_eq!(err.to_string(), "gauss_newton: the residual has 3 entries, expected 25");
    let err = levenberg_marquardt(
        |p| data.residual(p),
        |p| data.jacobian(p),
        &[1.0, 0.5, 0.0],
        &LeastSquaresOptions { gtol: -1.0, ..opts },
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "levenberg_marquardt: gtol must be finite and ≥ 0, got -1");
    // A rank-deficient Jacobian: Gauss-Newton cannot solve the normal equations.
    let flat =
        gauss_newton(|p| vec![p[0] + p[1] - 1.0], |_| Matrix::from_rows(&[[1.0, 1.0]]), &[0.0, 0.0], &opts).unwrap();
    assert_eq!(flat.termination, Termination::NoProgress);
    let damped =
        levenberg_marquardt(|p| vec![p[0] + p[1] - 1.0], |_| Matrix::from_rows(&[[1.0, 1.0]]), &[0.0, 0.0], &opts)
            .unwrap();
    assert!(damped.converged() && damped.residual_norm < 1e-10);
}
