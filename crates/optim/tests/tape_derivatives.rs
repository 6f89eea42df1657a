//! The optimizers driven by tape derivatives: L-BFGS on Rosenbrock, Newton-LM's
//! one-step property on a quadratic, Newton-CG on 10-D Rosenbrock with tape HVPs,
//! and logistic regression whose tape gradient must match the hand-written one at
//! every iterate.
//!
//! Every model here is written once, generically over `T: Real`, and handed to the
//! tape either as a closure (`fns::value_and_grad(|x| model(x))`) or as an
//! [`Objective`] (`|x| model.value_and_grad(x)`).

use wengert_optim::linalg::norm_inf;
use wengert_optim::problems::{
    rosenbrock, rosenbrock_grad, rosenbrock_hessian, rosenbrock_hvp, LogisticRegression, Quadratic, Rosenbrock,
};
use wengert_optim::second_order::{LbfgsOptions, NewtonCgOptions, NewtonOptions};
use wengert_optim::{lbfgs, newton_cg, newton_lm};
use wengert_tape::{fns, jvp, Objective, Real};

/// `(1/N) Σ [softplus(xᵢθ) − yᵢ xᵢθ] + (λ/2)‖θ‖²`, as scalar ops on the tape.
fn logistic_loss<T: Real>(p: &LogisticRegression, theta: &[T]) -> T {
    let n = p.y.len();
    let mut loss = T::zero();
    for i in 0..n {
        let mut z = T::zero();
        for (j, &t) in theta.iter().enumerate() {
            z += t * p.x[(i, j)];
        }
        loss += z.softplus() - z * p.y[i];
    }
    let mut reg = T::zero();
    for &t in theta {
        reg += t * t;
    }
    loss / n as f64 + reg * (0.5 * p.lambda)
}

fn max_rel_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs() / (1.0 + y.abs())).fold(0.0, f64::max)
}

#[test]
fn tape_derivatives_of_rosenbrock_match_the_hand_written_ones() {
    let x = [-1.2, 1.0, 0.3, 2.0, -0.7];
    let v = [0.5, -1.0, 2.0, 0.25, 1.5];
    let (f, g) = fns::value_and_grad(|x| rosenbrock(x))(&x);
    assert_eq!(f, rosenbrock(&x));
    assert!(max_rel_diff(&g, &rosenbrock_grad(&x)) < 1e-14);
    assert!(max_rel_diff(&fns::grad(|x| rosenbrock(x))(&x), &rosenbrock_grad(&x)) < 1e-14);
    assert!(max_rel_diff(&Rosenbrock.grad(&x), &rosenbrock_grad(&x)) < 1e-14);
    assert!(max_rel_diff(&fns::hvp(|x| Rosenbrock.eval(x))(&x, &v), &rosenbrock_hvp(&x, &v)) < 1e-14);
    assert!(max_rel_diff(&Rosenbrock.hvp(&x, &v), &rosenbrock_hvp(&x, &v)) < 1e-14);
    let (g2, hv) = jvp(fns::grad(|y| Rosenbrock.eval(y)), &x, &v);
    assert!(max_rel_diff(&g2, &rosenbrock_grad(&x)) < 1e-14);
    assert!(max_rel_diff(&hv, &rosenbrock_hvp(&x, &v)) < 1e-14);
    let h = fns::hessian(|x| Rosenbrock.eval(x))(&x);
    assert!(max_rel_diff(h.as_slice(), rosenbrock_hessian(&x).as_slice()) < 1e-14);
    let (f3, g3, h3) = Rosenbrock.value_grad_hessian(&x);
    assert_eq!(f3, rosenbrock(&x));
    assert!(max_rel_diff(&g3, &rosenbrock_grad(&x)) < 1e-14);
    assert!(max_rel_diff(h3.as_slice(), rosenbrock_hessian(&x).as_slice()) < 1e-14);
    // A reference to an Objective is an Objective too.
    fn value_of<O: Objective>(o: O, x: &[f64]) -> f64 {
        o.value(x)
    }
    assert_eq!(value_of(Rosenbrock, &x), rosenbrock(&x));
}

#[test]
fn lbfgs_with_tape_gradients_solves_rosenbrock_2d() {
    let opts = LbfgsOptions { gtol: 1e-11, ..LbfgsOptions::default() };
    let r = lbfgs(fns::value_and_grad(|x| rosenbrock(x)), &[-1.2, 1.0], &opts);
    assert!(r.converged(), "{r:?}");
    assert!(r.iterations < 100, "took {} iterations", r.iterations);
    assert!((r.x[0] - 1.0).abs() < 1e-8 && (r.x[1] - 1.0).abs() < 1e-8, "{:?}", r.x);
    assert!(r.f < 1e-16);
    // The Objective route gives the same iterates (same arithmetic, same tape).
    let r2 = lbfgs(|x| Rosenbrock.value_and_grad(x), &[-1.2, 1.0], &opts);
    assert_eq!((r.x, r.iterations), (r2.x, r2.iterations));
}

/// On a quadratic the undamped Newton step lands on `A⁻¹b` from anywhere; with
/// the tape Hessian (`n` forward-over-reverse products of a scalar-op recording)
/// that must still hold to rounding.
#[test]
fn newton_lm_with_the_tape_hessian_solves_a_quadratic_in_one_step() {
    for kappa in [10.0, 1e4] {
        let q = Quadratic::anisotropic(8, kappa, 5);
        let model = &q;
        let xs = q.minimizer();
        let opts = NewtonOptions { max_iter: 1, damping: 0.0, ..NewtonOptions::default() };
        // `Objective::` because `Quadratic` also has the analytic `hessian` and `hvp`.
        let r =
            newton_lm(|x| Objective::value_and_grad(&model, x), |x| Objective::hessian(&model, x), &[2.0; 8], &opts);
        assert_eq!(r.iterations, 1);
        let scale = norm_inf(&xs);
        let err = r.x.iter().zip(&xs).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        assert!(err <= 1e-10 * scale * kappa, "κ = {kappa}: error {err}");
        assert!((r.f - q.min_value()).abs() <= 1e-10 * q.min_value().abs());
    }
}

#[test]
fn newton_cg_with_tape_hvps_solves_rosenbrock_10d() {
    let mut x0 = vec![-1.2; 10];
    x0.iter_mut().skip(1).step_by(2).for_each(|v| *v = 1.0);
    let opts = NewtonCgOptions { gtol: 1e-10, ..NewtonCgOptions::default() };
    let r = newton_cg(fns::value_and_grad(|x| rosenbrock(x)), fns::hvp(|x| rosenbrock(x)), &x0, &opts);
    assert!(r.result.converged(), "{:?}", r.result);
    assert!(r.result.x.iter().all(|v| (v - 1.0).abs() < 1e-8), "{:?}", r.result.x);
    assert!(r.result.f < 1e-18);
    assert!(r.cg_iterations > 0 && r.result.iterations < 200, "{r:?}");
}

/// Every point L-BFGS asks about (iterates and line-search trials) gets the tape
/// gradient and the hand-written gradient compared; the optimizer runs on the
/// tape's.
#[test]
fn logistic_regression_by_lbfgs_on_tape_gradients_matches_the_analytic_gradient() {
    let p = LogisticRegression::synthetic(200, 5, 0.05, 11);
    let tape_fg = fns::value_and_grad(|t| logistic_loss(&p, t));
    let mut checked = 0;
    let mut worst: f64 = 0.0;
    let checking_fg = |t: &[f64]| {
        let (f, g) = tape_fg(t);
        let (fa, ga) = p.value_grad(t);
        assert!((f - fa).abs() <= 1e-13 * (1.0 + fa.abs()), "loss {f} vs {fa} at {t:?}");
        worst = worst.max(max_rel_diff(&g, &ga));
        checked += 1;
        (f, g)
    };
    let r = lbfgs(checking_fg, &[0.0; 5], &LbfgsOptions { gtol: 1e-9, ..LbfgsOptions::default() });
    assert!(r.converged(), "{r:?}");
    assert!(checked > r.iterations && r.iterations >= 5, "{checked} checks, {} iterations", r.iterations);
    assert!(worst < 1e-12, "tape and analytic gradients differ by {worst}");
    // The solution zeroes the analytic gradient, and matches the analytic-gradient run.
    assert!(norm_inf(&p.value_grad(&r.x).1) < 1e-9);
    let analytic = lbfgs(|t| p.value_grad(t), &[0.0; 5], &LbfgsOptions { gtol: 1e-9, ..LbfgsOptions::default() });
    assert!(max_rel_diff(&r.x, &analytic.x) < 1e-8, "{:?} vs {:?}", r.x, analytic.x);
}
