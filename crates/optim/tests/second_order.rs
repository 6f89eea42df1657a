//! Second-order methods: Newton's one-step property on quadratics, L-BFGS and
//! Newton-CG on Rosenbrock, agreement of all three on logistic regression.

use wengert_optim::linalg::norm_inf;
use wengert_optim::problems::{
    rosenbrock, rosenbrock_hessian, rosenbrock_hvp, rosenbrock_value_grad, LogisticRegression, Quadratic,
};
use wengert_optim::second_order::{LbfgsOptions, NewtonCgOptions, NewtonOptions};
use wengert_optim::{lbfgs, newton_cg, newton_lm};

/// On `½xᵀAx − bᵀx` the undamped Newton step from any point is `x − A⁻¹(Ax − b) =
/// A⁻¹b = x*`: one step, whatever the conditioning.
#[test]
fn newton_reaches_the_minimum_of_a_quadratic_in_one_step() {
    for kappa in [10.0, 100.0, 1e6] {
        let q = Quadratic::anisotropic(15, kappa, 21);
        let xs = q.minimizer();
        let opts = NewtonOptions { max_iter: 1, damping: 0.0, ..NewtonOptions::default() };
        let r = newton_lm(|x| q.value_grad(x), |_| q.hessian(), &[3.0; 15], &opts);
        assert_eq!(r.iterations, 1);
        let err = r.x.iter().zip(&xs).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        let scale = xs.iter().map(|v| v.abs()).fold(0.0, f64::max);
        assert!(err <= 1e-9 * scale * kappa.sqrt().max(1.0), "κ = {kappa}: error {err}");
        assert!((r.f - q.min_value()).abs() <= 1e-10 * q.min_value().abs());
    }
}

#[test]
fn lbfgs_solves_rosenbrock_2d_from_the_classic_start() {
    let opts = LbfgsOptions { gtol: 1e-11, ..LbfgsOptions::default() };
    let r = lbfgs(rosenbrock_value_grad, &[-1.2, 1.0], &opts);
    assert!(r.converged(), "{r:?}");
    assert!(r.iterations < 100, "took {} iterations", r.iterations);
    assert!((r.x[0] - 1.0).abs() < 1e-8 && (r.x[1] - 1.0).abs() < 1e-8, "{:?}", r.x);
    assert!(r.f < 1e-16);
}

#[test]
fn lbfgs_and_newton_cg_solve_rosenbrock_in_20_dimensions() {
    let mut x0 = vec![-1.2; 20];
    x0.iter_mut().skip(1).step_by(2).for_each(|v| *v = 1.0);
    let r = lbfgs(rosenbrock_value_grad, &x0, &LbfgsOptions { gtol: 1e-10, ..LbfgsOptions::default() });
    assert!(r.converged(), "{r:?}");
    assert!(r.x.iter().all(|v| (v - 1.0).abs() < 1e-8));

    let r =
        newton_cg(rosenbrock_value_grad, rosenbrock_hvp, &x0, &NewtonCgOptions { gtol: 1e-10, ..Default::default() });
    assert!(r.result.converged(), "{:?}", r.result);
    assert!(r.result.x.iter().all(|v| (v - 1.0).abs() < 1e-8));
    assert!(r.cg_iterations > 0);
    // The alternating start crosses regions where the Hessian is indefinite: CG
    // must have detected negative curvature there (and fallen back to descent).
    assert!(r.negative_curvature_steps > 0, "{r:?}");
    assert!(r.result.iterations < 200, "{r:?}");
}

#[test]
fn damped_newton_solves_rosenbrock_2d() {
    let r = newton_lm(rosenbrock_value_grad, rosenbrock_hessian, &[-1.2, 1.0], &NewtonOptions::default());
    assert!(r.converged(), "{r:?}");
    assert!((r.x[0] - 1.0).abs() < 1e-10 && (r.x[1] - 1.0).abs() < 1e-10);
    assert!(r.iterations < 50);
    assert!(rosenbrock(&r.x) < 1e-20);
}

/// The three methods agree on a strictly convex problem, and the solution makes
/// the analytic gradient vanish.
#[test]
fn all_three_agree_on_regularized_logistic_regression() {
    let p = LogisticRegression::synthetic(300, 6, 0.05, 17);
    let x0 = vec![0.0; 6];
    // L-BFGS's line search works on function values, which stop resolving changes
    // below ~1e-16·|f|, so its tolerance is looser than the Newton methods'.
    let a = lbfgs(|t| p.value_grad(t), &x0, &LbfgsOptions { gtol: 1e-9, ..LbfgsOptions::default() });
    let b =
        newton_cg(|t| p.value_grad(t), |t, v| p.hvp(t, v), &x0, &NewtonCgOptions { gtol: 1e-12, ..Default::default() });
    let c = newton_lm(|t| p.value_grad(t), |t| p.hessian(t), &x0, &NewtonOptions { gtol: 1e-12, ..Default::default() });
    assert!(a.converged(), "{a:?}");
    assert!(b.result.converged(), "{b:?}");
    assert!(c.converged(), "{c:?}");
    for i in 0..6 {
        assert!((a.x[i] - c.x[i]).abs() < 1e-7 && (b.result.x[i] - c.x[i]).abs() < 1e-9);
    }
    assert!(norm_inf(&p.value_grad(&c.x).1) < 1e-12);
    assert!(c.iterations <= 10, "Newton should converge quadratically: {} iterations", c.iterations);
    assert!(p.accuracy(&c.x) > 0.75);
}
