//! Dense BFGS and trust-region Newton-CG: the Rosenbrock minimum at a
//! superlinear rate (the ratio of successive errors goes to zero), the
//! inverse-Hessian approximation, escaping a saddle that gradient-based stopping
//! rules accept, and clear errors on bad input.

use wengert_ops::Matrix;
use wengert_optim::bfgs::{bfgs, BfgsOptions};
use wengert_optim::problems::{rosenbrock_hessian, rosenbrock_hvp, rosenbrock_value_grad, Quadratic};
use wengert_optim::second_order::{LbfgsOptions, NewtonCgOptions};
use wengert_optim::trust_region::{trust_region_newton_cg, StepKind, TrustRegionOptions};
use wengert_optim::{lbfgs, newton_cg};

/// `‖x − (1, …, 1)‖₂` of each iterate.
fn errors(iterates: &[Vec<f64>]) -> Vec<f64> {
    iterates.iter().map(|x| x.iter().map(|v| (v - 1.0).powi(2)).sum::<f64>().sqrt()).collect()
}

/// The ratios `e_{k+1}/e_k` over the tail where the error is still well above
/// rounding (`e_{k+1} > 1e-12`).
fn tail_ratios(e: &[f64]) -> Vec<f64> {
    e.windows(2).filter(|w| w[1] > 1e-12).map(|w| w[1] / w[0]).collect()
}

/// Superlinear: the ratio of successive errors goes to zero. Checked on the
/// last two ratios: their product is below 1e-3 and the last is below 0.05,
/// while a linearly convergent method keeps ratios near a constant (about
/// `1 − 1/κ ≈ 0.9996` for gradient descent at Rosenbrock's minimum).
///
/// The product, not each ratio: trust-region Newton-CG stops CG once the
/// residual is below `min(½, ‖g‖)‖g‖`, and on Rosenbrock's ill-conditioned
/// valley one CG step sometimes meets that while the error, which lies along
/// the flat direction, barely moves; the next step then takes it down by orders
/// of magnitude. (BFGS's ratios fall steadily.)
fn assert_superlinear(name: &str, e: &[f64]) {
    let r = tail_ratios(e);
    assert!(r.len() >= 3, "{name}: too few iterations to judge the rate: {e:?}");
    let last2 = &r[r.len() - 2..];
    println!("{name}: errors {:?}\n  last ratios {last2:?}", &e[e.len().saturating_sub(6)..]);
    assert!(last2[0] * last2[1] < 1e-3 && last2[1] < 0.05, "{name}: ratios {last2:?}");
}

#[test]
fn bfgs_reaches_the_rosenbrock_minimum_superlinearly() {
    let opts = BfgsOptions { gtol: 1e-12, keep_iterates: true, ..Default::default() };
    let r = bfgs(rosenbrock_value_grad, &[-1.2, 1.0], &opts).unwrap();
    assert!(r.result.converged(), "{:?}", r.result);
    assert!(errors(std::slice::from_ref(&r.result.x))[0] < 1e-10);
    assert!(r.result.iterations < 60, "{} iterations", r.result.iterations);
    assert_eq!(r.history.len(), r.result.iterations + 1);
    assert_eq!(r.iterates.len(), r.result.iterations + 1);
    assert_superlinear("BFGS", &errors(&r.iterates));
    // At the end H approximates the inverse Hessian (Dennis–Moré along the
    // steps; here all of it, since the steps span the plane).
    let exact = rosenbrock_hessian(&[1.0, 1.0]);
    let product = r.inverse_hessian.matmul(&exact);
    assert!(product.max_abs_diff(&Matrix::identity(2)) < 0.05, "H·∇²f = {product:?}");
}

#[test]
fn bfgs_learns_the_inverse_hessian_of_a_quadratic() {
    let q = Quadratic::anisotropic(6, 50.0, 3);
    let r = bfgs(|x| q.value_grad(x), &[0.0; 6], &BfgsOptions { gtol: 1e-11, ..Default::default() }).unwrap();
    assert!(r.result.converged());
    let xs = q.minimizer();
    assert!(r.result.x.iter().zip(&xs).all(|(a, b)| (a - b).abs() < 1e-9));
    assert!(r.result.iterations <= 20, "{} iterations for n = 6", r.result.iterations);
    // H₀ = I is far from A⁻¹ (‖A − I‖ = 49 here); the updates learn it. With an
    // inexact (Wolfe) line search the match is approximate, not exact after n steps.
    assert!(Matrix::<f64>::identity(6).matmul(&q.hessian()).max_abs_diff(&Matrix::identity(6)) > 40.0);
    assert!(r.inverse_hessian.matmul(&q.hessian()).max_abs_diff(&Matrix::identity(6)) < 0.1);
}

#[test]
fn trust_region_newton_cg_reaches_the_rosenbrock_minimum_superlinearly() {
    let opts = TrustRegionOptions { gtol: 1e-12, keep_iterates: true, ..Default::default() };
    let r = trust_region_newton_cg(rosenbrock_value_grad, rosenbrock_hvp, &[-1.2, 1.0], &opts).unwrap();
    assert!(r.result.converged(), "{:?}", r.result);
    assert!(errors(std::slice::from_ref(&r.result.x))[0] < 1e-10);
    assert!(r.result.iterations < 40, "{} accepted steps", r.result.iterations);
    assert_eq!(r.iterates.len(), r.result.iterations + 1);
    assert_superlinear("trust-region Newton-CG", &errors(&r.iterates));
    // The end is a minimum: the second-order check found no negative curvature.
    let lambda_min = r.min_curvature.expect("the check ran at the final point");
    assert!((lambda_min - 0.3994).abs() < 1e-3, "λ_min = {lambda_min}");
    // Near the solution the steps are interior Newton steps, all accepted.
    let tail = &r.history[r.history.len() - 3..];
    assert!(tail.iter().all(|h| h.accepted && h.kind == StepKind::Interior), "{tail:?}");
}

#[test]
fn trust_region_newton_cg_uses_negative_curvature_in_20_dimensions() {
    let mut x0 = vec![-1.2; 20];
    x0.iter_mut().skip(1).step_by(2).for_each(|v| *v = 1.0);
    let opts = TrustRegionOptions { keep_iterates: true, gtol: 1e-10, ..Default::default() };
    let r = trust_region_newton_cg(rosenbrock_value_grad, rosenbrock_hvp, &x0, &opts).unwrap();
    assert!(r.result.converged(), "{:?}", r.result);
    assert!(r.result.x.iter().all(|v| (v - 1.0).abs() < 1e-8));
    assert!(r.negative_curvature_steps >= 1, "CG should meet negative curvature from this start");
    assert_superlinear("trust-region Newton-CG, n = 20", &errors(&r.iterates));
}

/// f(x, y) = x² − y² + y⁴/4 + (z…)²: a saddle at the origin (gradient exactly
/// zero, curvature −2 along y) and minima at y = ±√2 with f = −1.
fn saddle(x: &[f64]) -> (f64, Vec<f64>) {
    let f = x[0] * x[0] - x[1] * x[1] + x[1].powi(4) / 4.0 + x[2..].iter().map(|v| v * v).sum::<f64>();
    let mut g = vec![2.0 * x[0], -2.0 * x[1] + x[1].powi(3)];
    g.extend(x[2..].iter().map(|v| 2.0 * v));
    (f, g)
}

fn saddle_hvp(x: &[f64], v: &[f64]) -> Vec<f64> {
    let mut out = vec![2.0 * v[0], (-2.0 + 3.0 * x[1] * x[1]) * v[1]];
    out.extend(v[2..].iter().map(|vi| 2.0 * vi));
    out
}

#[test]
fn trust_region_escapes_a_saddle_where_gradient_methods_stop() {
    // Start on the saddle's stable manifold (y = 0): the gradient never has a y
    // component, so L-BFGS and line-search Newton-CG converge to the saddle.
    let x0 = [0.7, 0.0, -0.3, 0.2];
    let l = lbfgs(saddle, &x0, &LbfgsOptions::default());
    assert!(l.converged() && l.x[1] == 0.0 && l.f.abs() < 1e-12, "{l:?}");
    let n = newton_cg(saddle, saddle_hvp, &x0, &NewtonCgOptions::default());
    assert!(n.result.converged() && n.result.x[1] == 0.0, "{:?}", n.result);
    // The trust region's Lanczos check finds the negative curvature at the saddle
    // and steps off it, to a minimum.
    let r = trust_region_newton_cg(saddle, saddle_hvp, &x0, &TrustRegionOptions::default()).unwrap();
    assert!(r.result.converged(), "{:?}", r.result);
    assert!(r.saddle_escapes >= 1);
    assert!((r.result.f + 1.0).abs() < 1e-12 && (r.result.x[1].abs() - 2f64.sqrt()).abs() < 1e-8, "{:?}", r.result);
    assert!(r.min_curvature.unwrap() > 0.0);
    // With the check disabled it stops at the saddle like the others.
    let off = TrustRegionOptions { saddle_lanczos_steps: 0, ..Default::default() };
    let stuck = trust_region_newton_cg(saddle, saddle_hvp, &x0, &off).unwrap();
    assert!(stuck.result.converged() && stuck.result.x[1] == 0.0 && stuck.saddle_escapes == 0);
}

#[test]
fn bad_input_is_a_clear_error() {
    let opts = BfgsOptions::default();
    assert_eq!(
        bfgs(rosenbrock_value_grad, &[f64::INFINITY, 1.0], &opts).unwrap_err().to_string(),
        "bfgs: the starting point has a non-finite entry x[0] = inf"
    );
    assert_eq!(
        bfgs(rosenbrock_value_grad, &[], &opts).unwrap_err().to_string(),
        "bfgs: the starting point is empty (dimension 0)"
    );
    assert_eq!(
        bfgs(|x: &[f64]| (x[0], vec![1.0; 3]), &[1.0, 2.0], &opts).unwrap_err().to_string(),
        "bfgs: the gradient at the start has 3 entries, expected 2"
    );
    assert_eq!(
        bfgs(|x: &[f64]| (f64::NAN, x.to_vec()), &[1.0, 2.0], &opts).unwrap_err().to_string(),
        "bfgs: f(x0) is NaN"
    );
    // A gradient that changes length after the start is caught inside the line search.
    let calls = std::cell::Cell::new(0);
    let fg = |x: &[f64]| {
        calls.set(calls.get() + 1);
        let (f, g) = rosenbrock_value_grad(x);
        (f, if calls.get() > 1 { g[..1].to_vec() } else { g })
    };
    assert_eq!(bfgs(fg, &[-1.2, 1.0], &opts).unwrap_err().to_string(), "bfgs: the gradient has 1 entries, expected 2");

    let tr = TrustRegionOptions::default();
    assert_eq!(
        trust_region_newton_cg(rosenbrock_value_grad, rosenbrock_hvp, &[1.0, f64::NAN], &tr).unwrap_err().to_string(),
        "trust_region_newton_cg: the starting point has a non-finite entry x[1] = NaN"
    );
    assert_eq!(
        trust_region_newton_cg(rosenbrock_value_grad, |_: &[f64], _: &[f64]| vec![0.0; 5], &[-1.2, 1.0], &tr)
            .unwrap_err()
            .to_string(),
        "trust_region_newton_cg: the Hessian-vector product has 5 entries, expected 2"
    );
    assert_eq!(
        trust_region_newton_cg(|x: &[f64]| (0.0, vec![0.0; x.len() + 1]), rosenbrock_hvp, &[1.0], &tr)
            .unwrap_err()
            .to_string(),
        "trust_region_newton_cg: the gradient at the start has 2 entries, expected 1"
    );
    assert_eq!(
        trust_region_newton_cg(
            rosenbrock_value_grad,
            rosenbrock_hvp,
            &[0.0, 0.0],
            &TrustRegionOptions { eta: 0.5, ..tr }
        )
        .unwrap_err()
        .to_string(),
        "trust_region_newton_cg: eta must be in [0, 0.25), got 0.5"
    );
    assert_eq!(
        trust_region_newton_cg(
            rosenbrock_value_grad,
            rosenbrock_hvp,
            &[0.0, 0.0],
            &TrustRegionOptions { initial_radius: 0.0, ..tr }
        )
        .unwrap_err()
        .to_string(),
        "trust_region_newton_cg: need 0 < initial_radius ≤ max_radius < ∞, got 0 and 10000000000"
    );
}
