//! Constrained optimization: feasibility of projected iterates, KKT residuals at a
//! known solution, the augmented Lagrangian, and PCA on the sphere against Jacobi.

use rand::rngs::StdRng;
use rand::SeedableRng;
use wengert_ops::Matrix;
use wengert_optim::constrained::{
    augmented_lagrangian, kkt_report, leading_eigenvector, projected_gradient, AugLagOptions, BoxSet, L2Ball,
    ProjectedGradientOptions, Projection, Simplex,
};
use wengert_optim::linalg::symmetric_eigen_jacobi;
use wengert_optim::problems::Quadratic;

/// Every iterate of projected gradient lies in the set, and the limit is a fixed
/// point of `x ↦ P(x − η∇f(x))` (the constrained optimality condition).
#[test]
fn projected_iterates_stay_feasible_and_reach_a_fixed_point() {
    let q = Quadratic::anisotropic(6, 10.0, 8);
    // Push the unconstrained minimizer far outside the sets.
    let b: Vec<f64> = q.b.iter().map(|v| v * 20.0).collect();
    let q = Quadratic::new(q.a.clone(), b);
    let lr = 1.0 / q.lipschitz();
    let sets: Vec<(&str, Box<dyn Projection>)> = vec![
        ("box", Box::new(BoxSet::uniform(6, -0.5, 0.5))),
        ("ball", Box::new(L2Ball { center: vec![0.1; 6], radius: 1.0 })),
        ("simplex", Box::new(Simplex::default())),
    ];
    for (name, set) in sets {
        let mut checked = 0;
        let r = projected_gradient(
            |x| q.value_grad(x),
            set.as_ref(),
            &[5.0, -3.0, 2.0, 0.0, 1.0, 9.0],
            &ProjectedGradientOptions { lr, max_iter: 20_000, tol: 1e-10 },
            |k, x| {
                assert!(set.contains(x, 1e-12), "{name}: iterate {k} infeasible: {x:?}");
                checked += 1;
            },
        );
        assert!(r.converged(), "{name}: {r:?}");
        assert!(checked > 2);
        let mut y: Vec<f64> = r.x.iter().zip(&q.gradient(&r.x)).map(|(a, g)| a - lr * g).collect();
        set.project(&mut y);
        assert!(y.iter().zip(&r.x).all(|(a, b)| (a - b).abs() < 1e-9), "{name}: not a fixed point");
        assert!(q.value(&r.x) > q.min_value(), "{name}: the constraint is active");
    }
}

/// `min ½‖x − c‖²` over the simplex is the projection of c: projected gradient with
/// η = 1 must land on it in one step.
#[test]
fn projected_gradient_on_distance_is_the_projection() {
    let c = [0.9, 0.6, -0.4, 0.1];
    let mut p = c.to_vec();
    Simplex::default().project(&mut p);
    let fg = |x: &[f64]| {
        let d: Vec<f64> = x.iter().zip(&c).map(|(a, b)| a - b).collect();
        (0.5 * d.iter().map(|v| v * v).sum::<f64>(), d)
    };
    let r = projected_gradient(
        fg,
        &Simplex::default(),
        &[0.25; 4],
        &ProjectedGradientOptions { lr: 1.0, max_iter: 1, tol: 0.0 },
        |_, _| {},
    );
    assert!(r.x.iter().zip(&p).all(|(a, b)| (a - b).abs() < 1e-15));
    assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-15 && p[2] == 0.0);
}

/// `min (x₁ − 2)² + (x₂ − 1)²` s.t. `g₁ = x₁ + x₂ − 2 ≤ 0`, `g₂ = −x₁ ≤ 0`.
/// Solution: project (2, 1) onto the half-plane, x* = (1.5, 0.5); ∇f(x*) = (−1, −1),
/// so μ = (1, 0) (g₂ inactive).
#[test]
fn kkt_residuals_vanish_at_the_known_solution_of_a_small_qp() {
    let grad_f = |x: &[f64]| vec![2.0 * (x[0] - 2.0), 2.0 * (x[1] - 1.0)];
    let g = |x: &[f64]| vec![x[0] + x[1] - 2.0, -x[0]];
    let jac = Matrix::from_rows(&[[1.0, 1.0], [-1.0, 0.0]]);
    let xs = [1.5, 0.5];
    let rep = kkt_report(&grad_f(&xs), &g(&xs), &jac, &[1.0, 0.0]);
    assert!(rep.satisfied(1e-15), "{rep:?}");

    // Each residual detects its own kind of failure.
    let wrong_mu = kkt_report(&grad_f(&xs), &g(&xs), &jac, &[0.5, 0.0]);
    assert!((wrong_mu.stationarity - 0.5).abs() < 1e-15);
    let infeasible = [2.0, 1.0];
    let r = kkt_report(&grad_f(&infeasible), &g(&infeasible), &jac, &[0.0, 0.0]);
    assert!((r.primal_feasibility - 1.0).abs() < 1e-15 && r.stationarity == 0.0);
    let neg = kkt_report(&grad_f(&xs), &g(&xs), &jac, &[1.0, -0.25]);
    assert!((neg.dual_feasibility - 0.25).abs() < 1e-15);
    let slack = kkt_report(&grad_f(&xs), &g(&xs), &jac, &[1.0, 0.5]);
    assert!((slack.complementary_slackness - 0.75).abs() < 1e-15);

    // A solver finds the same point: the augmented Lagrangian on the active
    // constraint as an equality; its multiplier passes the inequality KKT check.
    let al = augmented_lagrangian(
        |x| ((x[0] - 2.0).powi(2) + (x[1] - 1.0).powi(2), grad_f(x)),
        |x| (vec![x[0] + x[1] - 2.0], Matrix::from_rows(&[[1.0, 1.0]])),
        &[0.0, 0.0],
        &AugLagOptions::default(),
    );
    assert!(al.converged, "{al:?}");
    // The AL convention is ∇f = Jᵀλ; for g ≤ 0 the KKT multiplier is μ = −λ.
    let mu = [-al.multipliers[0], 0.0];
    let rep = kkt_report(&grad_f(&al.x), &g(&al.x), &jac, &mu);
    assert!(rep.satisfied(1e-8), "{rep:?}");
    assert!((al.x[0] - 1.5).abs() < 1e-8 && (al.x[1] - 0.5).abs() < 1e-8);
}

#[test]
fn augmented_lagrangian_solves_a_nonlinear_equality_problem() {
    // min x + y s.t. x² + y² = 2: x* = (−1, −1), ∇f = λ∇c ⇒ 1 = λ(−2) ⇒ λ = −½.
    let r = augmented_lagrangian(
        |x| (x[0] + x[1], vec![1.0, 1.0]),
        |x| (vec![x[0] * x[0] + x[1] * x[1] - 2.0], Matrix::from_rows(&[[2.0 * x[0], 2.0 * x[1]]])),
        &[-0.5, -0.2],
        &AugLagOptions::default(),
    );
    assert!(r.converged, "{r:?}");
    assert!((r.x[0] + 1.0).abs() < 1e-8 && (r.x[1] + 1.0).abs() < 1e-8, "{:?}", r.x);
    assert!((r.multipliers[0] + 0.5).abs() < 1e-8);
    assert!(r.mu < 1e6, "the multiplier update keeps μ bounded: {}", r.mu);
}

/// PCA: maximize wᵀΣw on the unit sphere by projected gradient; the result is the
/// leading eigenvector of the sample covariance from the Jacobi decomposition.
#[test]
fn pca_by_projected_gradient_recovers_the_jacobi_leading_eigenvector() {
    let mut rng = StdRng::seed_from_u64(99);
    let (n, d) = (400, 6);
    let z = Matrix::<f64>::random_normal(n, d, 0.0, 1.0, &mut rng);
    let scales = [3.0, 2.0, 1.5, 1.0, 0.5, 0.2];
    let mix = Matrix::<f64>::random_normal(d, d, 0.0, 1.0, &mut rng);
    let data = Matrix::from_fn(n, d, |i, j| scales[j] * z[(i, j)]).matmul(&mix);
    let mean: Vec<f64> = (0..d).map(|j| (0..n).map(|i| data[(i, j)]).sum::<f64>() / n as f64).collect();
    let centered = Matrix::from_fn(n, d, |i, j| data[(i, j)] - mean[j]);
    let sigma = centered.transpose().matmul(&centered).map(|v| v / (n - 1) as f64);
    let sigma = Matrix::from_fn(d, d, |i, j| 0.5 * (sigma[(i, j)] + sigma[(j, i)]));

    let eig = symmetric_eigen_jacobi(&sigma);
    let v1 = eig.vector(0);
    let lr = 1.0 / eig.values[0];
    let r = leading_eigenvector(&sigma, &[1.0; 6], lr, 10_000, 1e-13);
    assert!(r.converged, "{r:?}");
    let sign = if r.vector.iter().zip(&v1).map(|(a, b)| a * b).sum::<f64>() < 0.0 { -1.0 } else { 1.0 };
    for (a, b) in r.vector.iter().zip(&v1) {
        assert!((sign * a - b).abs() < 1e-6, "{:?} vs {v1:?}", r.vector);
    }
    assert!((r.value - eig.values[0]).abs() < 1e-9 * eig.values[0]);
    assert!((r.vector.iter().map(|v| v * v).sum::<f64>() - 1.0).abs() < 1e-14);
}

/// The PHR augmented Lagrangian with equality and inequality constraints on a
/// problem solved by hand: `min x² + y² + z²` s.t. `x + y + z = 1`, `x ≥ ½`
/// (as `½ − x ≤ 0`), `z ≤ 2` (inactive). Solution (½, ¼, ¼), λ = ½ (equality),
/// μ = (½, 0): stationarity `2x − λ − μ₁ = 0`, `2y − λ = 0`.
#[test]
fn augmented_lagrangian_handles_inequalities_with_complementary_slackness() {
    use wengert_optim::constrained::{augmented_lagrangian_inequality, DenseConstraints};
    let fg = |v: &[f64]| (v.iter().map(|a| a * a).sum::<f64>(), v.iter().map(|a| 2.0 * a).collect::<Vec<_>>());
    let eq = |v: &[f64]| (vec![v[0] + v[1] + v[2] - 1.0], Matrix::from_rows(&[[1.0, 1.0, 1.0]]));
    let ineq = |v: &[f64]| (vec![0.5 - v[0], v[2] - 2.0], Matrix::from_rows(&[[-1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]));
    let r = augmented_lagrangian_inequality(
        fg,
        DenseConstraints::new(eq, ineq),
        &[3.0, -1.0, 0.0],
        &AugLagOptions::default(),
    )
    .unwrap();
    assert!(r.converged, "{r:?}");
    for (x, e) in r.x.iter().zip([0.5, 0.25, 0.25]) {
        assert!((x - e).abs() < 1e-8, "{:?}", r.x);
    }
    assert!((r.equality_multipliers[0] - 0.5).abs() < 1e-7);
    assert!((r.inequality_multipliers[0] - 0.5).abs() < 1e-7);
    // The inactive constraint's multiplier is exactly zero: complementary slackness.
    assert_eq!(r.inequality_multipliers[1], 0.0);
    assert!(r.kkt.complementary_slackness < 1e-9 && r.kkt.primal_feasibility < 1e-9 && r.kkt.stationarity < 1e-7);
    // Its KKT report agrees with kkt_report on the inequality part alone (with
    // the equality folded into the objective's gradient).
    let grad_f: Vec<f64> = r.x.iter().map(|a| 2.0 * a - r.equality_multipliers[0]).collect();
    let (g, jg) = ineq(&r.x);
    let check = kkt_report(&grad_f, &g, &jg, &r.inequality_multipliers);
    assert!((check.stationarity - r.kkt.stationarity).abs() < 1e-12);
    assert!((check.complementary_slackness - r.kkt.complementary_slackness).abs() < 1e-15);
}

#[test]
fn the_inequality_augmented_lagrangian_refuses_bad_input() {
    use wengert_optim::constrained::{augmented_lagrangian_inequality, DenseConstraints};
    let fg = |v: &[f64]| (v[0] * v[0], vec![2.0 * v[0]]);
    let ineq = |v: &[f64]| (vec![1.0 - v[0]], Matrix::from_rows(&[[-1.0]]));
    let err = augmented_lagrangian_inequality(
        fg,
        DenseConstraints::inequalities(ineq),
        &[f64::NAN],
        &AugLagOptions::default(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "augmented_lagrangian_inequality: the starting point has a non-finite entry x[0] = NaN"
    );
    let bad_grad = |v: &[f64]| (v[0] * v[0], vec![2.0 * v[0], 0.0]);
    let err = augmented_lagrangian_inequality(
        bad_grad,
        DenseConstraints::inequalities(ineq),
        &[2.0],
        &AugLagOptions::default(),
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "augmented_lagrangian_inequality: the gradient at the start has 2 entries, expected 1");
    let err = augmented_lagrangian_inequality(
        fg,
        DenseConstraints::inequalities(ineq),
        &[2.0],
        &AugLagOptions { mu: 0.0, ..AugLagOptions::default() },
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "augmented_lagrangian_inequality: mu must be finite and > 0, got 0");
}
