//! Curvature analysis on functions whose critical points and Hessians are known in
//! closed form: the classic 2-D shapes, the cubic `x³ − 3xy + y³`, a degenerate
//! quartic, Rosenbrock's condition number at its minimum, the Hessians of a
//! quadratic and of regularized logistic regression, and Jensen's inequality.

use wengert_ops::Matrix;
use wengert_optim::curvature::{
    analyze, analyze_derivatives, classify, condition_number, convexity_along_segment, hessian_eigen, CriticalPoint,
    CurvatureOptions,
};
use wengert_optim::linalg::norm_inf;
use wengert_optim::problems::{rosenbrock_hessian, LogisticRegression, Quadratic};
use wengert_tape::{Objective, Real};

/// `c·x² + y²`: a family whose shape at the origin depends on the sign of `c`.
struct Scaled(f64);
impl Objective for Scaled {
    fn eval<T: Real>(&self, v: &[T]) -> T {
        v[0].square() * self.0 + v[1].square()
    }
}

macro_rules! objective {
    ($name:ident, |$v:ident| $body:expr) => {
        struct $name;
        impl Objective for $name {
            fn eval<T: Real>(&self, $v: &[T]) -> T {
                $body
            }
        }
    };
}

objective!(Bowl, |v| v[0].square() + v[1].square());
objective!(SaddleXy, |v| v[0].square() - v[1].square());
objective!(Dome, |v| -v[0].square() - v[1].square());
objective!(Cubic, |v| v[0].powi(3) - v[0] * v[1] * 3.0 + v[1].powi(3));
objective!(Quartic, |v| v[0].powi(4) + v[1].square());
objective!(Rosenbrock, |v| (v[1] - v[0] * v[0]).square() * 100.0 + (v[0] - 1.0).square());
objective!(Convex, |v| v[0].square() + v[1].exp() + (v[0] - v[1]).square() * 0.5);

fn opts() -> CurvatureOptions {
    CurvatureOptions::default()
}

#[test]
fn the_three_quadratic_shapes_at_the_origin() {
    let r = analyze(&Bowl, &[0.0, 0.0], &opts());
    assert_eq!(r.critical_point(), Some(CriticalPoint::Minimum));
    assert_eq!(r.eigenvalues, vec![2.0, 2.0]);
    assert_eq!(r.condition_number, 1.0);

    let r = analyze(&SaddleXy, &[0.0, 0.0], &opts());
    assert_eq!(r.critical_point(), Some(CriticalPoint::Saddle));
    assert_eq!(r.eigenvalues, vec![2.0, -2.0]);
    assert_eq!(r.condition_number, f64::INFINITY);
    // The escape direction of the saddle is the y axis.
    let d = r.lowest_curvature_direction();
    assert!(d[0].abs() < 1e-15 && (d[1].abs() - 1.0).abs() < 1e-15, "{d:?}");

    let r = analyze(&Dome, &[0.0, 0.0], &opts());
    assert_eq!(r.critical_point(), Some(CriticalPoint::Maximum));
    assert_eq!(r.eigenvalues, vec![-2.0, -2.0]);
    assert_eq!(r.condition_number, f64::INFINITY);

    // Off the critical point: the curvature is still that of a bowl, but the
    // point is not classified.
    let r = analyze(&Bowl, &[0.5, 0.0], &opts());
    assert!(!r.is_critical && r.grad_norm == 1.0);
    assert_eq!((r.curvature, r.critical_point()), (CriticalPoint::Minimum, None));
}

/// `f = x³ − 3xy + y³`: ∇f = (3x² − 3y, 3y² − 3x) vanishes at (0, 0) and (1, 1);
/// H = [[6x, −3], [−3, 6y]] has eigenvalues ±3 at the origin and 9, 3 at (1, 1).
#[test]
fn the_cubic_has_a_saddle_at_the_origin_and_a_minimum_at_one_one() {
    let r = analyze(&Cubic, &[1.0, 1.0], &opts());
    assert_eq!(r.critical_point(), Some(CriticalPoint::Minimum));
    assert_eq!(r.value, -1.0);
    assert!((r.eigenvalues[0] - 9.0).abs() < 1e-13 && (r.eigenvalues[1] - 3.0).abs() < 1e-13);
    assert!((r.condition_number - 3.0).abs() < 1e-13);
    assert_eq!(r.asymmetry, 0.0);

    let r = analyze(&Cubic, &[0.0, 0.0], &opts());
    assert_eq!(r.critical_point(), Some(CriticalPoint::Saddle));
    assert!((r.eigenvalues[0] - 3.0).abs() < 1e-13 && (r.eigenvalues[1] + 3.0).abs() < 1e-13);
}

/// `x⁴ + y²` at 0 is a minimum, but its Hessian diag(0, 2) cannot tell: degenerate.
#[test]
fn a_quartic_valley_is_degenerate() {
    let r = analyze(&Quartic, &[0.0, 0.0], &opts());
    assert!(r.is_critical);
    assert_eq!(r.critical_point(), Some(CriticalPoint::Degenerate));
    assert_eq!(r.eigenvalues, vec![2.0, 0.0]);
    assert_eq!(r.condition_number, f64::INFINITY);
    // A tiny but resolvable curvature is not degenerate; one below the tolerance is.
    assert_eq!(classify(&[2.0, 1e-6], 1e-8), CriticalPoint::Minimum);
    assert_eq!(classify(&[2.0, -1e-9], 1e-8), CriticalPoint::Degenerate);
    assert_eq!(classify(&[0.0, 0.0], 1e-8), CriticalPoint::Degenerate);
    assert_eq!(classify(&[], 1e-8), CriticalPoint::Degenerate);
    assert_eq!(condition_number(&[]), f64::INFINITY);
}

/// At (1, 1) Rosenbrock's Hessian is [[802, −400], [−400, 200]]: trace 1002,
/// determinant 400, so λ± = (1002 ± √(1002² − 1600))/2 and κ = λ₊/λ₋ = λ₊²/400.
#[test]
fn rosenbrock_minimum_has_the_exact_condition_number() {
    let r = analyze(&Rosenbrock, &[1.0, 1.0], &opts());
    assert_eq!(r.critical_point(), Some(CriticalPoint::Minimum));
    assert_eq!(r.hessian.as_slice(), &[802.0, -400.0, -400.0, 200.0]);
    let lam_max = (1002.0 + (1002.0f64 * 1002.0 - 1600.0).sqrt()) / 2.0;
    let lam_min = 400.0 / lam_max; // λ₊λ₋ = det, without cancellation
    let kappa = lam_max / lam_min;
    assert!((kappa - 2508.0).abs() < 1.0, "κ = {kappa}");
    assert!((r.condition_number - kappa).abs() <= 1e-6 * kappa, "{} vs {kappa}", r.condition_number);
    assert!((r.eigenvalues[1] - lam_min).abs() <= 1e-9 * lam_min);
    // The same from the hand-written Hessian.
    let hand = analyze_derivatives(&[1.0, 1.0], 0.0, vec![0.0, 0.0], &rosenbrock_hessian(&[1.0, 1.0]), &opts());
    assert!((hand.condition_number - kappa).abs() <= 1e-6 * kappa);
}

#[test]
fn the_hessian_of_a_quadratic_is_a_and_its_minimizer_is_a_minimum() {
    let q = Quadratic::anisotropic(6, 50.0, 3);
    let m = &q;
    let x: Vec<f64> = (0..6).map(|i| (i as f64 * 0.9).sin() * 3.0).collect();
    // The tape's Hessian of the scalar-op objective (not the analytic `Quadratic::hessian`).
    let h = Objective::hessian(m, &x);
    assert!(h.max_abs_diff(&q.a) <= 1e-13 * 50.0, "{}", h.max_abs_diff(&q.a));
    let r = analyze(&m, &q.minimizer(), &opts());
    assert_eq!(r.critical_point(), Some(CriticalPoint::Minimum));
    assert!((r.condition_number - 50.0).abs() < 1e-9 * 50.0, "κ = {}", r.condition_number);
    for (l, e) in r.eigenvalues.iter().zip(q.eigenvalues()) {
        assert!((l - e).abs() < 1e-11);
    }
    // hessian_eigen of A itself agrees.
    let e = hessian_eigen(&q.a);
    assert!((e.values[0] / e.values[5] - 50.0).abs() < 1e-9);
}

struct Logistic<'a>(&'a LogisticRegression);
impl Objective for Logistic<'_> {
    fn eval<T: Real>(&self, theta: &[T]) -> T {
        let p = self.0;
        let mut loss = T::zero();
        for i in 0..p.y.len() {
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
        loss / p.y.len() as f64 + reg * (0.5 * p.lambda)
    }
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// The tape Hessian of the scalar-op logistic loss equals `XᵀSX/N + λI` with
/// `S = diag(p(1 − p))`, computed here entry by entry.
#[test]
fn the_logistic_regression_hessian_is_x_transpose_s_x_over_n_plus_lambda() {
    let p = LogisticRegression::synthetic(120, 4, 0.3, 9);
    let theta = [0.4, -0.3, 0.8, -1.1];
    let (n, d) = (p.y.len(), theta.len());
    let probs: Vec<f64> = (0..n).map(|i| sigmoid((0..d).map(|j| p.x[(i, j)] * theta[j]).sum())).collect();
    let expect = Matrix::from_fn(d, d, |j, k| {
        (0..n).map(|i| probs[i] * (1.0 - probs[i]) * p.x[(i, j)] * p.x[(i, k)]).sum::<f64>() / n as f64
            + if j == k { p.lambda } else { 0.0 }
    });
    let r = analyze(&Logistic(&p), &theta, &opts());
    assert!(r.hessian.max_abs_diff(&expect) < 1e-10, "{}", r.hessian.max_abs_diff(&expect));
    assert!(r.asymmetry < 1e-14);
    assert!(p.hessian(&theta).max_abs_diff(&expect) < 1e-12);
    // Strictly convex: positive definite everywhere, every eigenvalue ≥ λ.
    assert_eq!(r.curvature, CriticalPoint::Minimum);
    assert!(*r.eigenvalues.last().unwrap() >= p.lambda);
    assert!(!r.is_critical && norm_inf(&r.gradient) > 1e-3);
}

#[test]
fn jensen_holds_for_a_convex_function_and_fails_for_sine() {
    let c = convexity_along_segment(|x| Convex.value(x), &[-3.0, -1.0], &[2.0, 4.0], 25);
    assert!(c.convex, "{c:?}");
    assert!(c.worst_violation < 0.0, "strictly convex: the chord lies strictly above, {c:?}");

    let c = convexity_along_segment(|x: &[f64]| x[0].sin(), &[0.0], &[12.0], 25);
    assert!(!c.convex, "{c:?}");
    assert!(c.worst_violation > 0.5, "{c:?}");
    assert!(c.worst_theta > 0.0 && c.worst_theta < 1.0);

    // A linear function sits exactly on its chords: passes (within rounding).
    let c = convexity_along_segment(|x: &[f64]| 3.0 * x[0] - x[1], &[1.0, 2.0], &[-5.0, 7.0], 9);
    assert!(c.convex && c.worst_violation.abs() < 1e-12, "{c:?}");
}

#[test]
fn the_sign_of_one_curvature_switches_the_classification() {
    assert_eq!(analyze(&Scaled(1.0), &[0.0, 0.0], &opts()).curvature, CriticalPoint::Minimum);
    assert_eq!(analyze(&Scaled(-1.0), &[0.0, 0.0], &opts()).curvature, CriticalPoint::Saddle);
    assert_eq!(analyze(&Scaled(0.0), &[0.0, 0.0], &opts()).curvature, CriticalPoint::Degenerate);
    assert_eq!(analyze(&Scaled(1e-12), &[0.0, 0.0], &opts()).curvature, CriticalPoint::Degenerate);
}
