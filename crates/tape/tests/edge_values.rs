//! Reverse mode (`Var`) and forward mode (`Dual`) at edge values: zeros of both
//! signs, infinities, NaN, subnormal and huge numbers. The two engines share no
//! derivative code; at every op and every edge value they must give the same
//! value and the same derivative (to 4 ulp; exactly where the answer is 0, ±∞ or
//! NaN), and NaN must
//! propagate through values and derivatives alike.

use wengert_dual::Dual;
use wengert_tape::{grad, Real, Scalar, Tape};

const EDGES: [f64; 12] =
    [0.0, -0.0, 1.0, -1.0, f64::INFINITY, f64::NEG_INFINITY, f64::NAN, 5e-324, -5e-324, 1e300, -1e300, 0.5];

/// Equal up to 4 units in the last place for finite non-zero results (the two
/// modes may evaluate a derivative by equivalent formulas), exactly equal for
/// zeros (of either sign: a reverse sweep accumulates into a +0 adjoint) and
/// infinities, or both NaN.
fn same(a: f64, b: f64) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    if a == b {
        return true;
    }
    a.is_finite() && b.is_finite() && a != 0.0 && b != 0.0 && (a - b).abs() <= 4.0 * f64::EPSILON * a.abs().max(b.abs())
}

type Var1<'t> = wengert_tape::Var<'t, f64>;
type D = Dual<f64>;
/// An op's name, its reverse-mode form and its forward-mode form.
type UnaryCase = (&'static str, for<'t> fn(Var1<'t>) -> Var1<'t>, fn(D) -> D);

fn unary_ops() -> Vec<UnaryCase> {
    vec![
        ("exp", |x| x.exp(), |x| x.exp()),
        ("ln", |x| x.ln(), |x| x.ln()),
        ("ln_1p", |x| x.ln_1p(), |x| x.ln_1p()),
        ("exp_m1", |x| x.exp_m1(), |x| x.exp_m1()),
        ("sqrt", |x| x.sqrt(), |x| x.sqrt()),
        ("powi(3)", |x| x.powi(3), |x| x.powi(3)),
        ("powi(-2)", |x| x.powi(-2), |x| x.powi(-2)),
        ("powi(0)", |x| x.powi(0), |x| x.powi(0)),
        ("sin", |x| x.sin(), |x| x.sin()),
        ("cos", |x| x.cos(), |x| x.cos()),
        ("tanh", |x| x.tanh(), |x| x.tanh()),
        ("sigmoid", |x| x.sigmoid(), |x| x.sigmoid()),
        ("softplus", |x| x.softplus(), |x| x.softplus()),
        ("relu", |x| x.relu(), |x| x.relu()),
        ("abs", |x| x.abs(), |x| x.abs()),
        ("recip", |x| x.recip(), |x| x.recip()),
        ("square", |x| x.square(), |x| x.square()),
        ("neg", |x| -x, |x| -x),
        ("x*3", |x| x * 3.0, |x| x * 3.0),
        ("x+3", |x| x + 3.0, |x| x + 3.0),
        ("2/x", |x| 2.0 / x, |x| 2.0 / x),
        ("x^0.5", |x| x.powf(Var1::constant(0.5)), |x| x.powf(D::constant(0.5))),
        ("2^x", |x| Var1::constant(2.0).powf(x), |x| D::constant(2.0).powf(x)),
    ]
}

#[test]
fn every_unary_op_agrees_in_both_modes_at_every_edge_value() {
    let mut checked = 0;
    for (name, on_var, on_dual) in unary_ops() {
        for &x in &EDGES {
            let tape = Tape::new();
            let v = tape.var(x);
            let y = on_var(v);
            let reverse = if y.is_tracked() {
                let g = tape.backward(y);
                g[v]
            } else {
                0.0
            };
            let f = on_dual(D::variable(x));
            assert!(same(y.primal(), f.re), "{name}({x}): value {} (reverse) vs {} (forward)", y.primal(), f.re);
            assert!(same(reverse, f.eps), "{name}'({x}): {reverse} (reverse) vs {} (forward)", f.eps);
            // NaN propagates into every value (but IEEE's NaN⁰ = 1), and into
            // every derivative that depends on the point (not the constant
            // slopes of −x, 3x, x + 3, x⁰).
            if x.is_nan() && name != "powi(0)" {
                assert!(f.re.is_nan(), "{name}(NaN) must be NaN, got {}", f.re);
                if !matches!(name, "neg" | "x*3" | "x+3") {
                    assert!(f.eps.is_nan(), "{name}'(NaN) must be NaN, got {}", f.eps);
                }
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 23 * EDGES.len());
}

#[test]
fn nan_propagates_through_kinked_ops_and_both_argument_orders() {
    let nan = f64::NAN;
    // Values: f64, Dual and Var.
    assert!(Scalar::relu(nan).is_nan());
    assert!(Scalar::max(nan, 1.0).is_nan() && Scalar::max(1.0, nan).is_nan());
    assert!(Scalar::min(nan, 1.0).is_nan() && Scalar::min(1.0, nan).is_nan());
    assert!(D::variable(nan).relu().re.is_nan() && D::variable(nan).relu().eps.is_nan());
    assert!(D::constant(1.0).max(D::variable(nan)).re.is_nan());
    assert!(D::variable(nan).max(D::constant(1.0)).re.is_nan());
    // Derivatives through the tape: max/min send the gradient to the NaN side.
    let g = grad(|v| v[0].max(v[1]), &[nan, 1.0]);
    assert_eq!(g, vec![1.0, 0.0]);
    let g = grad(|v| v[1].max(v[0]), &[nan, 1.0]);
    assert_eq!(g, vec![1.0, 0.0]);
    let g = grad(|v| v[0].min(v[1]), &[1.0, nan]);
    assert_eq!(g, vec![0.0, 1.0]);
    assert!(grad(|v| v[0].relu(), &[nan])[0].is_nan());
    assert!(grad(|v| v[0].abs(), &[nan])[0].is_nan());
    // A constant NaN stays a constant in forward mode (zero tangent).
    assert_eq!(D::constant(nan).relu().eps, 0.0);
    assert_eq!(D::constant(nan).abs().eps, 0.0);
}

/// The same generic function in both modes, over two inputs.
fn both_modes(f: impl for<'t> Fn(&[Var1<'t>]) -> Var1<'t>, g: impl Fn(&[D]) -> D, x: [f64; 2]) -> ([f64; 2], [f64; 2]) {
    let reverse = grad(|v| f(v), &x);
    let forward = [g(&[D::variable(x[0]), D::constant(x[1])]).eps, g(&[D::constant(x[0]), D::variable(x[1])]).eps];
    ([reverse[0], reverse[1]], forward)
}

#[test]
fn powers_agree_at_zero_in_both_modes() {
    // d/dp (0^p + p) at p = 2 is 1 (0^p ≡ 0 for p > 0); forward mode once gave NaN.
    fn f<T: Real>(v: &[T]) -> T {
        v[0].powf(v[1]) + v[1]
    }
    let (r, fw) = both_modes(|v| f(v), f, [0.0, 2.0]);
    assert_eq!(r, [0.0, 1.0]);
    assert_eq!(fw, [0.0, 1.0]);
    // d/dx xˣ at 0 is −∞ (its limit: xˣ(ln x + 1)); reverse mode once gave 0.
    fn self_power<T: Real>(v: &[T]) -> T {
        v[0].powf(v[0])
    }
    let (r, fw) = both_modes(|v| self_power(v), self_power, [0.0, 0.0]);
    assert_eq!(r[0], f64::NEG_INFINITY);
    assert_eq!(fw[0], f64::NEG_INFINITY);
    // x^0 is the constant 1: derivative 0 also at x = 0.
    fn zeroth<T: Real>(v: &[T]) -> T {
        v[0].powf(v[1] * 0.0)
    }
    let (r, fw) = both_modes(|v| zeroth(v), zeroth, [0.0, 1.0]);
    assert_eq!(r[0], 0.0);
    assert_eq!(fw[0], 0.0);
    // powi(i32::MIN) does not overflow computing n − 1.
    let (r, fw) = both_modes(|v| v[0].powi(i32::MIN), |v| v[0].powi(i32::MIN), [1.0, 0.0]);
    assert_eq!(r[0], f64::from(i32::MIN));
    assert_eq!(fw[0], f64::from(i32::MIN));
}

#[test]
fn sigmoid_derivative_does_not_cancel_far_out() {
    // σ'(40) = e^{−40}/(1+e^{−40})² ≈ 4.25e-18; 1 − σ(40) would cancel to 0.
    let want = (-40f64).exp() / (1.0 + (-40f64).exp()).powi(2);
    let g = grad(|v| v[0].sigmoid(), &[40.0])[0];
    assert!((g - want).abs() <= 1e-15 * want, "{g} vs {want}");
    assert!((D::variable(40.0).sigmoid().eps - want).abs() <= 1e-15 * want);
    // And the second derivative through 0 is exact (σ''(0) = 0, σ'''(0) = −1/8).
    let h = wengert_tape::hessian(|v| v[0].softplus(), &[0.0]);
    assert_eq!(h.as_slice(), &[0.25]);
}
