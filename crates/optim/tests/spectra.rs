//! Matrix-free spectra against the dense route: Lanczos, power iteration,
//! Hutchinson and stochastic Lanczos quadrature on the exact Hessian of a small
//! tanh network (dense Hessian from the tape's `hessian`, eigenvalues by the
//! independent Jacobi solver), on model parameters given as `Params`, and on
//! operators with known spectra.

use rand::rngs::StdRng;
use rand::SeedableRng;
use wengert_dual::Dual;
use wengert_ops::{Matrix, Real};
use wengert_optim::linalg::{dot, symmetric_eigen_jacobi};
use wengert_optim::spectra::{
    hutchinson_trace, lanczos_bottom_k, lanczos_quadrature, lanczos_top_k, power_iteration, spectral_density,
    top_eigenvalue, FnOperator, LanczosOptions, LinearOperator, ParamsOperator, PowerOptions, SlqOptions,
};
use wengert_optim::Params;
use wengert_tape::{hessian, hvp, Gradients, Tape};

/// A 3-4-2 tanh network with squared error on 8 fixed examples; the parameters
/// flat in the order W1 (3×4, row-major), b1 (4), W2 (4×2), b2 (2): 26 of them.
struct SmallNet {
    x: Matrix<f64>,
    y: Matrix<f64>,
}

const SHAPES: [(&str, usize, usize); 4] = [("w1", 3, 4), ("b1", 1, 4), ("w2", 4, 2), ("b2", 1, 2)];

impl SmallNet {
    fn new() -> Self {
        let mut rng = StdRng::seed_from_u64(11);
        SmallNet {
            x: Matrix::random_normal(8, 3, 0.0, 1.0, &mut rng),
            y: Matrix::random_normal(8, 2, 0.0, 1.0, &mut rng),
        }
    }

    fn point(&self) -> Vec<f64> {
        let mut rng = StdRng::seed_from_u64(12);
        Matrix::<f64>::random_normal(1, 26, 0.0, 0.8, &mut rng).into_vec()
    }

    /// mean((tanh(X W1 + b1) W2 + b2 − Y)²), written on scalars for any `Real`.
    fn loss<T: Real>(&self, p: &[T]) -> T {
        let (w1, rest) = p.split_at(12);
        let (b1, rest) = rest.split_at(4);
        let (w2, b2) = rest.split_at(8);
        let mut total = T::zero();
        for i in 0..8 {
            let hidden: Vec<T> =
                (0..4).map(|j| (0..3).fold(b1[j], |acc, k| acc + w1[k * 4 + j] * self.x[(i, k)]).tanh()).collect();
            for c in 0..2 {
                let out = (0..4).fold(b2[c], |acc, j| acc + hidden[j] * w2[j * 2 + c]);
                total += (out - self.y[(i, c)]).square();
            }
        }
        total * (1.0 / 16.0)
    }

    /// The same loss on matrix ops over named parameters, recorded on a dual tape
    /// whose tangents are `direction`: returns H·direction as named parameters.
    fn hvp_params(&self, at: &Params<f64>, direction: &Params<f64>) -> Params<f64> {
        let tape = Tape::<Dual<f64>>::new();
        let dual: Vec<(&str, Matrix<Dual<f64>>)> = SHAPES
            .iter()
            .map(|&(name, r, c)| {
                let (p, d) = (at.get(name).unwrap(), direction.get(name).unwrap());
                (name, Matrix::from_fn(r, c, |i, j| Dual::new(p[(i, j)], d[(i, j)])))
            })
            .collect();
        let vars: Vec<_> = dual.iter().map(|(_, m)| tape.matrix(m)).collect();
        let x = tape.constant_matrix(&self.x.cast());
        let y = tape.constant_matrix(&self.y.cast());
        let out = (x.matmul(vars[0]) + vars[1]).tanh().matmul(vars[2]) + vars[3];
        let loss = out.mse(y);
        let mut grads = Gradients::empty();
        tape.backward_into(loss, Dual::constant(1.0), &mut grads);
        dual.iter().zip(&vars).map(|((name, _), v)| (*name, grads.matrix(*v).map(|d| d.eps))).collect()
    }
}

fn params_from_flat(flat: &[f64]) -> Params<f64> {
    let mut p = Params::new();
    let mut at = 0;
    for (name, r, c) in SHAPES {
        p.insert(name, Matrix::from_vec(r, c, flat[at..at + r * c].to_vec()));
        at += r * c;
    }
    p
}

/// The network's dense Hessian (symmetrized) and its eigenvalues by Jacobi, descending.
fn dense_spectrum(net: &SmallNet, x: &[f64]) -> (Matrix<f64>, Vec<f64>) {
    let h = hessian(|p| net.loss(p), x);
    let h = Matrix::from_fn(26, 26, |i, j| 0.5 * (h[(i, j)] + h[(j, i)]));
    let values = symmetric_eigen_jacobi(&h).values;
    (h, values)
}

#[test]
fn lanczos_top_and_bottom_k_match_the_dense_eigensolver_on_a_small_nets_hessian() {
    let net = SmallNet::new();
    let x = net.point();
    let (_, exact) = dense_spectrum(&net, &x);
    assert!(exact[25] < 0.0 && exact[0] > 0.0, "the point should be indefinite: {exact:?}");
    let op = FnOperator::new(26, |v: &[f64], out: &mut [f64]| out.copy_from_slice(&hvp(|p| net.loss(p), &x, v)));
    let opts = LanczosOptions { max_steps: 26, tol: 1e-12, seed: 5 };
    let scale = exact[0].abs().max(exact[25].abs());
    let top = lanczos_top_k(&op, 4, &opts).unwrap();
    let bottom = lanczos_bottom_k(&op, 4, &opts).unwrap();
    assert!(top.converged && bottom.converged);
    for i in 0..4 {
        assert!((top.values[i] - exact[i]).abs() < 1e-8 * scale, "top {i}: {} vs {}", top.values[i], exact[i]);
        assert!(
            (bottom.values[i] - exact[25 - i]).abs() < 1e-8 * scale,
            "bottom {i}: {} vs {}",
            bottom.values[i],
            exact[25 - i]
        );
        // Each Ritz vector is an eigenvector: ‖Hy − θy‖ small, as reported.
        for (value, vector, reported) in [
            (top.values[i], &top.vectors[i], top.residuals[i]),
            (bottom.values[i], &bottom.vectors[i], bottom.residuals[i]),
        ] {
            let mut hy = vec![0.0; 26];
            op.apply(vector, &mut hy);
            let r = hy.iter().zip(vector).map(|(a, b)| (a - value * b).powi(2)).sum::<f64>().sqrt();
            assert!(r < 1e-7 * scale && reported < 1e-7 * scale, "residual {r}, reported {reported}");
        }
    }
    println!("Lanczos: top-4 in {} steps, bottom-4 in {} steps", top.steps, bottom.steps);
}

#[test]
fn lanczos_on_model_params_needs_no_flattening_and_agrees_with_the_flat_operator() {
    let net = SmallNet::new();
    let x = net.point();
    let at = params_from_flat(&x);
    let (_, exact) = dense_spectrum(&net, &x);
    let op = ParamsOperator::new(&at, |direction: &Params<f64>| net.hvp_params(&at, direction));
    assert_eq!(op.dim(), 26);
    let opts = LanczosOptions { max_steps: 26, tol: 1e-12, seed: 1 };
    let top = lanczos_top_k(&op, 2, &opts).unwrap();
    let bottom = lanczos_bottom_k(&op, 1, &opts).unwrap();
    let scale = exact[0].abs().max(exact[25].abs());
    assert!((top.values[0] - exact[0]).abs() < 1e-8 * scale && (top.values[1] - exact[1]).abs() < 1e-8 * scale);
    assert!((bottom.values[0] - exact[25]).abs() < 1e-8 * scale);
    // The eigenvector comes back as named parameters, and it is an eigenvector of
    // the flat (scalar-tape) Hessian too: the two orders agree.
    let direction = op.to_params(&top.vectors[0]);
    assert_eq!(direction.get("w1").unwrap().shape(), (3, 4));
    let flat = direction.to_flat();
    let hv = hvp(|p| net.loss(p), &x, &flat);
    let r = hv.iter().zip(&flat).map(|(a, b)| (a - top.values[0] * b).abs()).fold(0.0, f64::max);
    assert!(r < 1e-7 * scale, "{r}");
    assert_eq!(op.to_flat(&direction), flat);
}

#[test]
fn power_iteration_finds_the_largest_magnitude_eigenvalue() {
    let net = SmallNet::new();
    let x = net.point();
    let (h, exact) = dense_spectrum(&net, &x);
    let dominant = if exact[0].abs() >= exact[25].abs() { exact[0] } else { exact[25] };
    let r = power_iteration(&h, &PowerOptions { max_iter: 20_000, tol: 1e-11, seed: 2 }).unwrap();
    assert!(r.converged, "{r:?}");
    assert!((r.eigenvalue - dominant).abs() < 1e-9 * dominant.abs(), "{} vs {dominant}", r.eigenvalue);
    // Lanczos gets there in far fewer products.
    let l = lanczos_top_k(&h, 1, &LanczosOptions { seed: 2, ..Default::default() }).unwrap();
    assert!(l.steps < r.iterations, "Lanczos {} steps, power {} iterations", l.steps, r.iterations);
}

#[test]
fn hutchinson_is_within_four_standard_errors_of_the_exact_trace() {
    let net = SmallNet::new();
    let x = net.point();
    let (h, _) = dense_spectrum(&net, &x);
    let exact: f64 = (0..26).map(|i| h[(i, i)]).sum();
    let op = FnOperator::new(26, |v: &[f64], out: &mut [f64]| out.copy_from_slice(&hvp(|p| net.loss(p), &x, v)));
    for seed in 0..5 {
        let est = hutchinson_trace(&op, 100, seed).unwrap();
        assert!(est.std_error > 0.0);
        assert!(
            (est.trace - exact).abs() < 4.0 * est.std_error,
            "seed {seed}: {} ± {} vs {exact}",
            est.trace,
            est.std_error
        );
        // The standard error is the sample standard deviation over √m.
        let m = est.samples.len() as f64;
        let mean = est.samples.iter().sum::<f64>() / m;
        let sd = (est.samples.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / (m - 1.0)).sqrt();
        assert!((est.std_error - sd / m.sqrt()).abs() < 1e-12 * sd);
    }
    // Rademacher variance is 2 Σ_{i≠j} aᵢⱼ²: compare the sample variance with it.
    let est = hutchinson_trace(&h, 4000, 9).unwrap();
    let off: f64 = (0..26)
        .flat_map(|i| (0..26).map(move |j| (i, j)))
        .filter(|(i, j)| i != j)
        .map(|(i, j)| h[(i, j)].powi(2))
        .sum();
    let sample_var = est.std_error.powi(2) * 4000.0;
    assert!((sample_var / (2.0 * off) - 1.0).abs() < 0.1, "variance {sample_var} vs theory {}", 2.0 * off);
}

#[test]
fn slq_quadrature_is_exact_for_low_moments_and_the_density_integrates_to_one() {
    let net = SmallNet::new();
    let x = net.point();
    let (h, exact) = dense_spectrum(&net, &x);
    // Per probe: Σ τθᵖ = vᵀHᵖv for p < 2m (Gauss quadrature with m nodes).
    let v: Vec<f64> = (0..26).map(|i| ((i * 7 % 5) as f64 - 2.0) / 3.0).collect();
    let unit: Vec<f64> = v.iter().map(|a| a / dot(&v, &v).sqrt()).collect();
    let (nodes, weights) = lanczos_quadrature(&h, &v, 5).unwrap();
    assert_eq!(nodes.len(), 5);
    assert!((weights.iter().sum::<f64>() - 1.0).abs() < 1e-13);
    let mut power = unit.clone();
    for p in 1..10 {
        let mut next = vec![0.0; 26];
        h.apply(&power, &mut next);
        power = next;
        let exact_moment = dot(&unit, &power);
        let quad: f64 = nodes.iter().zip(&weights).map(|(t, w)| w * t.powi(p)).sum();
        assert!(
            (quad - exact_moment).abs() < 1e-10 * exact[0].abs().powi(p).max(1.0),
            "p = {p}: {quad} vs {exact_moment}"
        );
    }
    // The density: weights sum to 1, the moments estimate tr(Hᵖ)/n, nodes stay
    // inside the spectrum, and the broadened density integrates to 1.
    let d = spectral_density(&h, &SlqOptions { probes: 40, steps: 12, seed: 4 }).unwrap();
    assert!((d.weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    assert!(d.nodes.iter().all(|&t| t <= exact[0] + 1e-10 && t >= exact[25] - 1e-10));
    let trace: f64 = exact.iter().sum();
    let est = hutchinson_trace(&h, 40, 4).unwrap();
    // Same probes (up to normalization) as Hutchinson with the same seed: the same
    // trace estimate.
    assert!(
        (26.0 * d.moment(1) - est.trace).abs() < 1e-9 * trace.abs().max(1.0),
        "{} vs {}",
        26.0 * d.moment(1),
        est.trace
    );
    assert!((26.0 * d.moment(1) - trace).abs() < 4.0 * est.std_error);
    let (grid, density) = d.on_grid(2000, 0.02);
    let dt = grid[1] - grid[0];
    let integral: f64 = density.iter().sum::<f64>() * dt;
    assert!((integral - 1.0).abs() < 1e-3, "∫ρ = {integral}");
}

#[test]
fn top_eigenvalue_is_a_lower_bound_that_converges() {
    // diag(1 … 1000): λ_max = 1000.
    let hvp = |v: &[f64], out: &mut [f64]| {
        for (i, (o, x)) in out.iter_mut().zip(v).enumerate() {
            *o = (i + 1) as f64 * x;
        }
    };
    let mut previous = 0.0;
    for iters in [5, 10, 20, 40] {
        let l = top_eigenvalue(hvp, 1000, iters, 3).unwrap();
        assert!(l <= 1000.0 + 1e-9 && l >= previous, "{iters} steps: {l}");
        previous = l;
    }
    assert!(previous > 999.0, "{previous}");
    // Deterministic: the same seed gives the same bits.
    assert_eq!(top_eigenvalue(hvp, 1000, 20, 3).unwrap(), top_eigenvalue(hvp, 1000, 20, 3).unwrap());
}

#[test]
fn repeated_eigenvalues_are_found_after_restarts() {
    // diag(5, 5, 5, 1, 1, …): the top eigenvalue has multiplicity 3.
    let a = Matrix::from_fn(12, 12, |i, j| {
        if i != j {
            0.0
        } else if i < 3 {
            5.0
        } else {
            1.0 + 0.1 * i as f64
        }
    });
    let top = lanczos_top_k(&a, 3, &LanczosOptions { max_steps: 12, tol: 1e-12, seed: 0 }).unwrap();
    assert!(top.values.iter().all(|&l| (l - 5.0).abs() < 1e-12), "{:?}", top.values);
    assert!(top.restarts >= 1);
}

#[test]
fn bad_input_is_a_clear_error() {
    let empty = FnOperator::new(0, |_: &[f64], _: &mut [f64]| {});
    let err = lanczos_top_k(&empty, 1, &LanczosOptions::default()).unwrap_err();
    assert_eq!(err.to_string(), "lanczos_top_k: the operator has dimension 0");
    let a = Matrix::from_rows(&[[1.0, 0.0], [0.0, 2.0]]);
    assert_eq!(
        lanczos_bottom_k(&a, 3, &LanczosOptions::default()).unwrap_err().to_string(),
        "lanczos_bottom_k: k = 3 eigenpairs asked of an operator of dimension 2"
    );
    assert_eq!(
        lanczos_top_k(&a, 2, &LanczosOptions { max_steps: 1, ..Default::default() }).unwrap_err().to_string(),
        "lanczos_top_k: max_steps = 1 is smaller than k = 2"
    );
    let nan = FnOperator::new(3, |_: &[f64], out: &mut [f64]| out.fill(f64::NAN));
    assert_eq!(
        top_eigenvalue(|_: &[f64], out: &mut [f64]| out.fill(f64::NAN), 3, 5, 0).unwrap_err().to_string(),
        "top_eigenvalue: the operator returned a non-finite entry out[0] = NaN"
    );
    assert!(power_iteration(&nan, &PowerOptions::default()).unwrap_err().to_string().starts_with("power_iteration: "));
    assert_eq!(
        hutchinson_trace(&a, 1, 0).unwrap_err().to_string(),
        "hutchinson_trace: need at least 2 probes for a standard error, got 1"
    );
    assert_eq!(
        lanczos_quadrature(&a, &[1.0, 0.0, 0.0], 2).unwrap_err().to_string(),
        "lanczos_quadrature: the start vector has 3 entries, expected 2"
    );
    assert_eq!(
        lanczos_quadrature(&a, &[0.0, 0.0], 2).unwrap_err().to_string(),
        "lanczos_quadrature: the start vector has norm 0"
    );
    assert!(spectral_density(&a, &SlqOptions { probes: 0, ..Default::default() })
        .unwrap_err()
        .to_string()
        .starts_with("spectral_density: probes and steps must be at least 1"));
    assert_eq!(
        top_eigenvalue(|_: &[f64], _: &mut [f64]| {}, 4, 0, 0).unwrap_err().to_string(),
        "top_eigenvalue: iters must be at least 1"
    );
}
