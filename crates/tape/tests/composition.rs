//! The transforms composed, and `value_grad_hessian`.
//!
//! * Every function-returning form (`fns::*`) equals its eager transform, bit for
//!   bit, on repeated calls at different points (the reused tape carries nothing
//!   over from one call to the next).
//! * Forward over reverse (`jvp(fns::grad(f))`, `jacfwd(fns::grad(f))`),
//!   forward over forward (`jacfwd(fns::jacfwd(f))`) and forward through a
//!   recording (`jvp(fns::on_tape(f))`) against the plain transforms, against
//!   each other and against finite differences.
//! * `value_grad_hessian` against `value_and_grad` and `hessian` and against
//!   finite differences, on scalar and matrix code.

use wengert_dual::Dual;
use wengert_ops::{Matrix, Real, Scalar};
use wengert_tape::{
    fns, grad, hessian, hvp, jacfwd, jacobian, jacrev, jvp, numerical_gradient, numerical_hessian, scalar_fn,
    value_and_grad, value_and_jacfwd, value_grad_hessian, vector_fn, vjp, MatVar, Objective, Tape, Var,
};

/// `|a − b| ≤ tol · max(1, |a|, |b|)`.
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
    assert_vec_close(a.as_slice(), b.as_slice(), tol, what);
}

fn mat_vec(a: &Matrix<f64>, v: &[f64]) -> Vec<f64> {
    (0..a.rows()).map(|i| a.row(i).iter().zip(v).map(|(x, y)| x * y).sum()).collect()
}

/// A smooth function exercising many ops.
fn mixed<T: Real>(v: &[T]) -> T {
    (v[0] * v[1]).sin() * v[2].exp() + (v[0].square() + v[3].square() + 1.0).ln() + v[1].tanh() * v[3].sigmoid()
        - (v[2] / (v[0].square() + 2.0)).sqrt().powf(v[3].softplus() * 0.5)
        + v[0].powi(-2)
}

/// f(x, y, z) = (x y sin z, eˣ + y², z / y).
fn three_outputs<T: Real>(v: &[T]) -> Vec<T> {
    vec![v[0] * v[1] * v[2].sin(), v[0].exp() + v[1].square(), v[2] / v[1]]
}

fn rosenbrock<T: Real>(x: &[T]) -> T {
    x.windows(2).fold(T::zero(), |acc, w| acc + (w[1] - w[0] * w[0]).square() * 100.0 + (w[0] - 1.0).square())
}

const MIXED_POINTS: [[f64; 4]; 3] = [[0.7, -0.4, 1.2, 0.3], [-1.5, 2.0, 0.4, -0.8], [1.1, 0.2, 2.5, 1.7]];

// ----- function-returning forms equal the eager transforms ----------------------------

#[test]
fn every_function_returning_form_equals_its_transform_on_repeated_calls() {
    let value_and_gradient = fns::value_and_grad(|v| mixed(v));
    let gradient = fns::grad(|v| mixed(v));
    let pullback = fns::vjp(|v| three_outputs(v));
    let jac_rev = fns::jacrev(|v| three_outputs(v));
    let push = fns::jvp(three_outputs);
    let jac_fwd = fns::jacfwd(three_outputs);
    let hv = fns::hvp(|v| mixed(v));
    let hess = fns::hessian(|v| mixed(v));
    let all = fns::value_grad_hessian(|v| mixed(v));
    let w = [0.5, -2.0, 1.5];
    let dir = [1.0, -0.5, 0.25, 2.0];
    // Twice round, so every call after the first records on a reused tape.
    for _ in 0..2 {
        for x in &MIXED_POINTS {
            assert_eq!(value_and_gradient(x), value_and_grad(|v| mixed(v), x));
            assert_eq!(gradient(x), grad(|v| mixed(v), x));
            assert_eq!(hv(x, &dir), hvp(|v| mixed(v), x, &dir));
            assert_eq!(hess(x), hessian(|v| mixed(v), x));
            assert_eq!(all(x), value_grad_hessian(|v| mixed(v), x));
            let y = &x[..3];
            assert_eq!(pullback(y, &w), vjp(|v| three_outputs(v), y, &w));
            assert_eq!(jac_rev(y), jacrev(|v| three_outputs(v), y));
            assert_eq!(push(y, &w), jvp(three_outputs, y, &w));
            assert_eq!(jac_fwd(y), jacfwd(three_outputs, y));
        }
    }
}

#[test]
fn a_reused_tape_serves_inputs_of_changing_length() {
    let gradient = fns::grad(|v| rosenbrock(v));
    let hess = fns::hessian(|v| rosenbrock(v));
    for n in [2, 7, 3, 12, 1, 0, 5] {
        let x: Vec<f64> = (0..n).map(|i| 0.3 + 0.9 * ((i as f64) * 1.3).sin()).collect();
        assert_eq!(gradient(&x), grad(|v| rosenbrock(v), &x), "n = {n}");
        assert_eq!(hess(&x), hessian(|v| rosenbrock(v), &x), "n = {n}");
    }
}

// ----- forward over reverse ----------------------------------------------------------

#[test]
fn jvp_of_grad_is_the_gradient_and_the_hessian_vector_product() {
    for x in &MIXED_POINTS {
        let v = [0.5, -1.0, 2.0, 0.25];
        let (g, hv) = jvp(fns::grad(|p| mixed(p)), x, &v);
        // Against the plain transforms (the f64 tape's gradient to rounding: the
        // dual recording's real parts do the same arithmetic).
        assert_vec_close(&g, &grad(|p| mixed(p), x), 1e-14, "re parts vs grad");
        assert_eq!(hv, hvp(|p| mixed(p), x, &v));
        // Against finite differences: ∇f, and H·v = d/dt ∇f(x + t v).
        assert_vec_close(&g, &numerical_gradient(mixed::<f64>, x), 1e-7, "∇f vs FD");
        let h = numerical_hessian(mixed::<f64>, x);
        assert_vec_close(&hv, &mat_vec(&h, &v), 1e-5, "H·v vs FD");
    }
}

#[test]
fn jacfwd_of_grad_is_the_hessian_and_matches_forward_over_forward_and_finite_differences() {
    for x in &MIXED_POINTS {
        let over_reverse = jacfwd(fns::grad(|p| mixed(p)), x);
        assert_eq!(over_reverse, hessian(|p| mixed(p), x));
        // Forward over forward: no tape at all, `mixed` on Dual<Dual<f64>>.
        let over_forward = jacfwd(fns::jacfwd(mixed), x);
        assert_mat_close(&over_reverse, &over_forward, 1e-13, "forward-over-reverse vs forward-over-forward");
        assert_mat_close(&over_reverse, &numerical_hessian(mixed::<f64>, x), 1e-5, "vs FD");
    }
}

#[test]
fn jacrev_of_a_forward_mode_gradient_is_the_hessian_too() {
    // Reverse over forward: the tape records the n forward passes of `jacfwd`,
    // each on `Dual<Var<f64>>`, and is swept once per output.
    let x = [0.7, -0.4, 1.2, 0.3];
    let reverse_over_forward = jacrev(|v| jacfwd(|d: &[Dual<Var<'_, f64>>]| mixed(d), v), &x);
    assert_mat_close(&reverse_over_forward, &hessian(|p| mixed(p), &x), 1e-13, "reverse over forward");
}

#[test]
fn value_and_jacfwd_of_value_and_grad_splits_into_value_gradient_and_hessian() {
    let x = [0.7, -0.4, 1.2, 0.3];
    let ((value, g), (g_again, h)) = value_and_jacfwd(fns::value_and_grad(|p| mixed(p)), &x);
    assert_eq!((value, g.clone(), h.clone()), value_grad_hessian(|p| mixed(p), &x));
    // The forward-mode derivative of the value is the gradient again.
    assert_vec_close(&g_again, &g, 1e-14, "d value / dx vs ∇f");
}

// ----- forward through a recording ---------------------------------------------------

#[test]
fn forward_mode_through_a_recording_equals_forward_mode_on_numbers() {
    let x = [0.7, -1.3, 2.1];
    let v = [0.5, -2.0, 1.25];
    let on_numbers = jvp(three_outputs, &x, &v);
    let through_tape = jvp(fns::on_tape(|p| three_outputs(p)), &x, &v);
    assert_eq!(on_numbers, through_tape);
    assert_eq!(jacfwd(three_outputs, &x), jacfwd(fns::on_tape(|p| three_outputs(p)), &x));
    // And both are jacrev's Jacobian (times v).
    let j = jacrev(|p| three_outputs(p), &x);
    assert_vec_close(&on_numbers.1, &mat_vec(&j, &v), 1e-15, "J·v");
    assert_mat_close(&jacobian(|p| three_outputs(p), &x), &j, 1e-15, "jacobian");
}

#[test]
fn jvp_is_linear_in_the_direction_and_matches_a_central_difference() {
    let x = [0.7, -1.3, 2.1];
    let (u, w) = ([1.0, 0.5, -0.25], [-2.0, 0.0, 3.0]);
    let combined: Vec<f64> = u.iter().zip(&w).map(|(a, b)| 2.0 * a - 3.0 * b).collect();
    let (_, ju) = jvp(three_outputs, &x, &u);
    let (_, jw) = jvp(three_outputs, &x, &w);
    let (_, jc) = jvp(three_outputs, &x, &combined);
    let want: Vec<f64> = ju.iter().zip(&jw).map(|(a, b)| 2.0 * a - 3.0 * b).collect();
    assert_vec_close(&jc, &want, 1e-14, "linearity");
    // (f(x + h u) − f(x − h u)) / 2h.
    let h = 1e-6;
    let at = |t: f64| three_outputs(&x.iter().zip(&u).map(|(a, b)| a + t * b).collect::<Vec<f64>>());
    let fd: Vec<f64> = at(h).iter().zip(at(-h)).map(|(p, m)| (p - m) / (2.0 * h)).collect();
    assert_vec_close(&ju, &fd, 1e-8, "J·u vs central difference");
}

// ----- value_grad_hessian --------------------------------------------------------------

#[test]
fn value_grad_hessian_equals_value_and_grad_and_hessian_and_finite_differences() {
    for x in &MIXED_POINTS {
        let (value, g, h) = value_grad_hessian(|p| mixed(p), x);
        let (value_f64, g_f64) = value_and_grad(|p| mixed(p), x);
        assert!(close(value, value_f64, 1e-15), "{value} vs {value_f64}");
        assert_vec_close(&g, &g_f64, 1e-14, "gradient vs the f64 tape's");
        assert_eq!(h, hessian(|p| mixed(p), x));
        assert_eq!(value, mixed(x));
        assert_vec_close(&g, &numerical_gradient(mixed::<f64>, x), 1e-7, "∇f vs FD");
        assert_mat_close(&h, &numerical_hessian(mixed::<f64>, x), 1e-5, "H vs FD");
    }
}

#[test]
fn value_grad_hessian_of_rosenbrock_is_the_hand_derived_one() {
    let x = [-1.2, 1.0, 0.5];
    let (value, g, h) = value_grad_hessian(|p| rosenbrock(p), &x);
    assert_eq!(value, rosenbrock(&x));
    // ∂f/∂xᵢ = −400 xᵢ (xᵢ₊₁ − xᵢ²) + 2 (xᵢ − 1) (i < n−1) + 200 (xᵢ − xᵢ₋₁²) (i > 0)
    let want_g = [
        -400.0 * x[0] * (x[1] - x[0] * x[0]) + 2.0 * (x[0] - 1.0),
        -400.0 * x[1] * (x[2] - x[1] * x[1]) + 2.0 * (x[1] - 1.0) + 200.0 * (x[1] - x[0] * x[0]),
        200.0 * (x[2] - x[1] * x[1]),
    ];
    assert_vec_close(&g, &want_g, 1e-15, "∇f");
    let want_h = Matrix::from_rows(&[
        [1200.0 * x[0] * x[0] - 400.0 * x[1] + 2.0, -400.0 * x[0], 0.0],
        [-400.0 * x[0], 200.0 + 1200.0 * x[1] * x[1] - 400.0 * x[2] + 2.0, -400.0 * x[1]],
        [0.0, -400.0 * x[1], 200.0],
    ]);
    assert_mat_close(&h, &want_h, 1e-15, "H");
}

/// logdet(XᵀX + I) for X (4×3) given as a flat vector: matrix ops on the tape.
fn logdet_gram<'t, T: Scalar>(x: &[Var<'t, T>]) -> Var<'t, T> {
    let tape = x[0].tape().expect("inputs are recorded");
    let m = MatVar::from_vars(tape, x, 4, 3);
    let eye = tape.constant_matrix(&Matrix::identity(3));
    (m.matmul_tn(m) + eye).logdet()
}

#[test]
fn value_grad_hessian_through_matrix_ops_matches_the_f64_tape_and_finite_differences() {
    let x: Vec<f64> = (0..12).map(|i| ((i as f64) * 0.9).cos() * 1.2).collect();
    let (value, g, h) = value_grad_hessian(logdet_gram, &x);
    let (value_f64, g_f64) = value_and_grad(logdet_gram, &x);
    assert!(close(value, value_f64, 1e-14), "{value} vs {value_f64}");
    assert_vec_close(&g, &g_f64, 1e-13, "∇ logdet");
    assert_eq!(h, hessian(logdet_gram, &x));
    let mut tape = Tape::new();
    let f = |p: &[f64]| {
        tape.clear();
        let v = tape.vars(p);
        logdet_gram(&v).primal()
    };
    assert_mat_close(&h, &numerical_hessian(f, &x), 1e-5, "H vs FD");
}

#[test]
fn one_bound_closure_feeds_every_second_order_transform() {
    let f = scalar_fn(|v: &[Var<'_, Dual<f64>>]| (v[0] * v[1]).sin() + v[1].square() * v[2]);
    let x = [0.3, -0.8, 1.5];
    let (value, g, h) = value_grad_hessian(f, &x);
    assert_eq!(h, hessian(f, &x));
    assert_eq!(jvp(fns::grad(f), &x, &[1.0, 0.0, 0.0]), (g.clone(), hvp(f, &x, &[1.0, 0.0, 0.0])));
    assert_eq!(value, (x[0] * x[1]).sin() + x[1] * x[1] * x[2]);
    let rows = vector_fn(|v: &[Var<'_, Dual<f64>>]| vec![v[0] * v[1], v[2].exp()]);
    assert_eq!(jacobian(rows, &x), jacfwd(fns::on_tape(rows), &x));
}

/// `Σ cᵢ (xᵢ − 1)² + x₀ x₁ x₂`, an objective with data.
struct Weighted(Vec<f64>);
impl Objective for Weighted {
    fn eval<T: Real>(&self, x: &[T]) -> T {
        let mut acc = x[0] * x[1] * x[2];
        for (&xi, &ci) in x.iter().zip(&self.0) {
            acc += (xi - 1.0).square() * ci;
        }
        acc
    }
}

#[test]
fn objective_methods_are_the_transforms_of_eval() {
    let w = Weighted(vec![1.0, 2.0, 0.5]);
    let x = [0.5, -1.0, 2.0];
    let v = [1.0, 2.0, -1.0];
    assert_eq!(w.value_and_grad(&x), value_and_grad(|p| w.eval(p), &x));
    assert_eq!(w.grad(&x), grad(|p| w.eval(p), &x));
    assert_eq!(w.hvp(&x, &v), hvp(|p| w.eval(p), &x, &v));
    assert_eq!(w.hessian(&x), hessian(|p| w.eval(p), &x));
    assert_eq!(w.value_grad_hessian(&x), value_grad_hessian(|p| w.eval(p), &x));
    // And through a function-returning form, as an optimizer would take it.
    assert_eq!(fns::value_and_grad(|p| w.eval(p))(&x), w.value_and_grad(&x));
    let (value, g, h) = w.value_grad_hessian(&x);
    assert_eq!(value, w.value(&x));
    assert_vec_close(&g, &numerical_gradient(|p| w.value(p), &x), 1e-8, "∇f vs FD");
    assert_mat_close(&h, &numerical_hessian(|p| w.value(p), &x), 1e-6, "H vs FD");
}
