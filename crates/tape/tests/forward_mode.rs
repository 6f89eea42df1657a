//! The forward-mode transforms on dual functions: `jacfwd` (`n` passes of `Dual`)
//! and `jacfwd_vec` (one pass of `DualVec`) agree bit for bit, Jacobians and JVPs
//! agree with each other and with finite differences, and generic `Real` code
//! differentiates correctly, to first and (by composition) second order.

use wengert_dual::DualVec;
use wengert_ops::Real;
use wengert_tape::{fns, jacfwd, jacfwd_vec, jvp};

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
        let n_passes = jacfwd(rosenbrock, x);
        let one_pass = jacfwd_vec(rosenbrock, x);
        for i in 0..4 {
            assert!(rel_err(n_passes[i], want[i]) < 1e-14, "x = {x:?}, i = {i}: {} vs {}", n_passes[i], want[i]);
            assert!(rel_err(one_pass[i], want[i]) < 1e-14, "x = {x:?}, i = {i}: {} vs {}", one_pass[i], want[i]);
        }
        // The value is the plain f64 one.
        let [a, b, c, d] = DualVec::seed(*x);
        assert_eq!(rosenbrock(&[a, b, c, d]).re, rosenbrock(x));
    }
    // The minimum has a zero gradient.
    assert_eq!(jacfwd(rosenbrock, &[1.0, 1.0, 1.0]), vec![0.0, 0.0, 0.0]);
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

const SINK_POINTS: [[f64; 3]; 4] = [[0.3, 1.2, -0.7], [-1.1, 0.4, 0.9], [2.0, 2.5, 0.1], [0.05, 0.8, 1.7]];

#[test]
fn dual_vec_gradient_equals_n_passes_of_dual() {
    for x in &SINK_POINTS {
        let one_pass = jacfwd_vec(kitchen_sink, x);
        let n_passes = jacfwd(kitchen_sink, x);
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
fn jacobians_agree_with_each_other_with_jvps_and_with_finite_differences() {
    for x in &SINK_POINTS {
        let j = jacfwd(kitchen_sink_vec, x);
        let jv = jacfwd_vec(kitchen_sink_vec, x);
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
        // The derivative is a one-input jvp; the second, jacfwd of fns::jacfwd
        // (forward over forward, on `Dual<Dual<f64>>`).
        assert_eq!(jvp(|x| poly(x[0]), &[x], &[1.0]).1, 6.0 * x * x - 5.0);
        assert_eq!(jacfwd(fns::jacfwd(|x| poly(x[0])), &[x])[(0, 0)], 12.0 * x);
    }
}
