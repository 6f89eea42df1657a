//! The forward-mode drivers and `DualVec`: one-pass gradients equal `n` passes of
//! `Dual`, Jacobians and JVPs agree with each other and with finite differences,
//! and generic `Real` code differentiates correctly.

use wengert_dual::{derivative, gradient, gradient_vec, jacobian, jacobian_vec, jvp, Dual, DualVec};
use wengert_ops::{Real, Scalar};

fn rel_err(a: f64, n: f64) -> f64 {
    (a - n).abs() / (a.abs() + n.abs() + 1e-10)
}

fn fd(f: impl Fn(f64) -> f64, x: f64) -> f64 {
    let h = 1e-3 * x.abs().max(1.0);
    (f(x - 2.0 * h) - 8.0 * f(x - h) + 8.0 * f(x + h) - f(x + 2.0 * h)) / (12.0 * h)
}

/// The Rosenbrock function, written once for every `Real`.
fn rosenbrock<T: Real>(x: &[T]) -> T {
    x.windows(2).fold(T::zero(), |acc, w| acc + (w[1] - w[0] * w[0]).square() * 100.0 + (w[0] - 1.0).square())
}

/// Its gradient, derived by hand:
/// ∂f/∂xᵢ = -400 xᵢ (xᵢ₊₁ - xᵢ²) + 2 (xᵢ - 1)   (i < n-1)
///        + 200 (xᵢ - xᵢ₋₁²)                     (i > 0).
fn rosenbrock_gradient(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    (0..n)
        .map(|i| {
            let mut g = 0.0;
            if i + 1 < n {
                g += -400.0 * x[i] * (x[i + 1] - x[i] * x[i]) + 2.0 * (x[i] - 1.0);
            }
            if i > 0 {
                g += 200.0 * (x[i] - x[i - 1] * x[i - 1]);
            }
            g
        })
        .collect()
}

const POINTS: [[f64; 4]; 4] =
    [[-1.2, 1.0, 0.5, -0.3], [1.0, 1.0, 1.0, 1.0], [0.3, -0.7, 2.0, 1.1], [10.0, -4.0, 0.01, 3.0]];

#[test]
fn rosenbrock_forward_gradient_matches_the_hand_derived_one() {
    for x in &POINTS {
        let want = rosenbrock_gradient(x);
        let n_passes = gradient(rosenbrock, x);
        let one_pass = gradient_vec::<4>(rosenbrock, x);
        for i in 0..4 {
            assert!(rel_err(n_passes[i], want[i]) < 1e-14, "x = {x:?}, i = {i}: {} vs {}", n_passes[i], want[i]);
            assert!(rel_err(one_pass[i], want[i]) < 1e-14, "x = {x:?}, i = {i}: {} vs {}", one_pass[i], want[i]);
        }
        // The value is the plain f64 one.
        let [a, b, c, d] = DualVec::seed(*x);
        assert_eq!(rosenbrock(&[a, b, c, d]).re, rosenbrock(x));
    }
    // The minimum has a zero gradient.
    assert_eq!(gradient(rosenbrock, &[1.0, 1.0, 1.0]), vec![0.0, 0.0, 0.0]);
}

/// A generic function that exercises every elementary function.
fn kitchen_sink<T: Real>(x: &[T]) -> T {
    let (a, b, c) = (x[0], x[1], x[2]);
    let s = a.sin() * b.cos() + (a * b).tanh() - c.sigmoid() * 3.0 + (b - c).softplus();
    let t = (a.square() + 1.0).sqrt().ln() + (c * 0.1).exp_m1() - (b * b).ln_1p();
    let u = (a - b).relu() + (b - c).abs() + a.max(c) - b.min(c) + (c * 0.5).tan();
    let v = (a.square() + 2.0).powf(b * 0.3) + c.powi(3) / (b.square() + 1.0) + (a * 0.2).exp();
    s + t * u - v.recip() * 2.0 + 1.0
}

fn kitchen_sink_vec<T: Real>(x: &[T]) -> Vec<T> {
    vec![kitchen_sink(x), x[0] * x[1] * x[2], (x[0] - x[2]).sin(), x[1].sqrt()]
}

type V2 = DualVec<f64, 2>;
type D1 = Dual<f64>;
/// A unary case: name, the `DualVec` version, the `Dual` version.
type UnaryCase = (&'static str, fn(V2) -> V2, fn(D1) -> D1);
/// A binary case: name, the `DualVec` version, the `Dual` version.
type BinaryCase = (&'static str, fn(V2, V2) -> V2, fn(D1, D1) -> D1);

const SINK_POINTS: [[f64; 3]; 4] = [[0.3, 1.2, -0.7], [-1.1, 0.4, 0.9], [2.0, 2.5, 0.1], [0.05, 0.8, 1.7]];

#[test]
fn dual_vec_gradient_equals_n_passes_of_dual() {
    for x in &SINK_POINTS {
        let one_pass = gradient_vec::<3>(kitchen_sink, x);
        let n_passes = gradient(kitchen_sink, x);
        // Same rules, same operation order per tangent: bit-identical.
        assert_eq!(one_pass, n_passes, "x = {x:?}");
        // And both agree with finite differences.
        for i in 0..3 {
            let numeric = fd(
                |t| {
                    let mut y = *x;
                    y[i] = t;
                    kitchen_sink(&y)
                },
                x[i],
            );
            assert!(rel_err(one_pass[i], numeric) < 1e-7, "x = {x:?}, i = {i}: {} vs {numeric}", one_pass[i]);
        }
    }
}

#[test]
fn every_scalar_method_of_dual_vec_matches_dual_per_direction() {
    let x = [0.7, -0.4];
    let unary: [UnaryCase; 16] = [
        ("exp", |x| x.exp(), |x| x.exp()),
        ("ln", |x| (x * x + 0.5).ln(), |x| (x * x + 0.5).ln()),
        ("ln_1p", |x| (x * x).ln_1p(), |x| (x * x).ln_1p()),
        ("exp_m1", |x| x.exp_m1(), |x| x.exp_m1()),
        ("sqrt", |x| (x * x + 0.1).sqrt(), |x| (x * x + 0.1).sqrt()),
        ("powi", |x| x.powi(-3), |x| x.powi(-3)),
        ("sin", |x| x.sin(), |x| x.sin()),
        ("cos", |x| x.cos(), |x| x.cos()),
        ("tan", |x| x.tan(), |x| x.tan()),
        ("tanh", |x| x.tanh(), |x| x.tanh()),
        ("sigmoid", |x| x.sigmoid(), |x| x.sigmoid()),
        ("softplus", |x| x.softplus(), |x| x.softplus()),
        ("relu", |x| x.relu(), |x| x.relu()),
        ("abs", |x| x.abs(), |x| x.abs()),
        ("recip", |x| x.recip(), |x| x.recip()),
        ("square", |x| x.square(), |x| x.square()),
    ];
    for (name, fv, fd1) in unary {
        for &x0 in &x {
            // Direction 0 is the input, direction 1 is a scaled copy (tangent 2.5).
            let v = fv(DualVec::new(x0, [1.0, 2.5]));
            let d = fd1(Dual::new(x0, 1.0));
            let d2 = fd1(Dual::new(x0, 2.5));
            assert_eq!(v.re, d.re, "{name}({x0})");
            assert_eq!(v.eps, [d.eps, d2.eps], "{name}({x0})");
        }
    }
    let binary: [BinaryCase; 8] = [
        ("add", |a, b| a + b, |a, b| a + b),
        ("sub", |a, b| a - b, |a, b| a - b),
        ("mul", |a, b| a * b, |a, b| a * b),
        ("div", |a, b| a / b, |a, b| a / b),
        ("powf", |a, b| a.abs().powf(b), |a, b| a.abs().powf(b)),
        ("max", |a, b| a.max(b), |a, b| a.max(b)),
        ("min", |a, b| a.min(b), |a, b| a.min(b)),
        ("f64 both sides", |a, b| 2.0 / a - b * 3.0 + (1.0 - a) / 4.0, |a, b| 2.0 / a - b * 3.0 + (1.0 - a) / 4.0),
    ];
    for (name, fv, fd2) in binary {
        let [a, b] = DualVec::seed(x);
        let v = fv(a, b);
        let da = fd2(Dual::variable(x[0]), Dual::constant(x[1]));
        let db = fd2(Dual::constant(x[0]), Dual::variable(x[1]));
        assert_eq!(v.re, da.re, "{name}");
        assert_eq!(v.eps, [da.eps, db.eps], "{name}");
    }
}

#[test]
fn jacobians_agree_with_each_other_with_jvps_and_with_finite_differences() {
    for x in &SINK_POINTS {
        let j = jacobian(kitchen_sink_vec, x);
        let jv = jacobian_vec::<3>(kitchen_sink_vec, x);
        assert_eq!(j.shape(), (4, 3));
        assert_eq!(j, jv, "x = {x:?}");
        for col in 0..3 {
            // Column `col` is J·e_col.
            let mut e = [0.0; 3];
            e[col] = 1.0;
            let (y, jcol) = jvp(kitchen_sink_vec, x, &e);
            assert_eq!(y, kitchen_sink_vec(x));
            for (row, &jc) in jcol.iter().enumerate() {
                assert_eq!(jc, j[(row, col)]);
                let numeric = fd(
                    |t| {
                        let mut z = *x;
                        z[col] = t;
                        kitchen_sink_vec(&z)[row]
                    },
                    x[col],
                );
                if jc == 0.0 {
                    // A structural zero (output independent of that input): finite
                    // differences give rounding noise only.
                    assert!(numeric.abs() < 1e-10, "J[{row}, {col}] at {x:?}: 0 vs {numeric}");
                } else {
                    assert!(rel_err(jc, numeric) < 1e-7, "J[{row}, {col}] at {x:?}: {jc} vs {numeric}");
                }
            }
        }
        // A general direction is linear in the columns.
        let v = [0.5, -2.0, 1.5];
        let (_, jvv) = jvp(kitchen_sink_vec, x, &v);
        for (row, &got) in jvv.iter().enumerate() {
            let want: f64 = (0..3).map(|c| j[(row, c)] * v[c]).sum();
            assert!(rel_err(got, want) < 1e-13, "(J·v)[{row}] at {x:?}: {got} vs {want}");
        }
    }
}

#[test]
fn derivative_and_second_derivative_of_generic_code() {
    fn poly<T: Real>(x: T) -> T {
        x.powi(3) * 2.0 - x * 5.0 + 1.0
    }
    for &x in &[-2.0, 0.0, 1.5] {
        assert_eq!(derivative(poly, x), 6.0 * x * x - 5.0);
        assert_eq!(wengert_dual::second_derivative(poly, x), 12.0 * x);
    }
}

#[test]
fn forward_mode_newton_iteration_finds_a_root() {
    // Real use: Newton's method on cos x = x with forward-mode derivatives.
    let f = |x: Dual<f64>| x.cos() - x;
    let mut x = 1.0;
    for _ in 0..20 {
        let y = f(Dual::variable(x));
        x -= y.re / y.eps;
    }
    assert!((x.cos() - x).abs() < 1e-15, "{x}");
    assert!((x - 0.739_085_133_215_160_6).abs() < 1e-15);
}
