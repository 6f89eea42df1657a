//! Every derivative rule of `Dual<f64>` against finite differences, nested duals
//! against analytic second (and third) derivatives, the conventions shared with
//! the rest of wengert, and extreme inputs.

use wengert_dual::Dual;
use wengert_ops::Scalar;

type D = Dual<f64>;
type D2 = Dual<Dual<f64>>;

/// Central 5-point finite difference (error O(h⁴)).
fn fd(f: impl Fn(f64) -> f64, x: f64) -> f64 {
    let h = 1e-3 * x.abs().max(1.0);
    (f(x - 2.0 * h) - 8.0 * f(x - h) + 8.0 * f(x + h) - f(x + 2.0 * h)) / (12.0 * h)
}

fn rel_err(a: f64, n: f64) -> f64 {
    (a - n).abs() / (a.abs() + n.abs() + 1e-10)
}

/// A unary rule: name, the dual version, the plain `f64` version, test points.
struct Unary {
    name: &'static str,
    dual: fn(D) -> D,
    plain: fn(f64) -> f64,
    points: &'static [f64],
}

fn unary_cases() -> Vec<Unary> {
    macro_rules! case {
        ($name:expr, |$x:ident| $body:expr, $points:expr) => {
            Unary { name: $name, dual: |$x: D| $body, plain: |$x: f64| $body, points: $points }
        };
    }
    vec![
        case!("exp", |x| x.exp(), &[-2.0, -0.3, 0.7, 3.0]),
        case!("ln", |x| x.ln(), &[0.2, 1.0, 2.5, 40.0]),
        case!("ln_1p", |x| x.ln_1p(), &[-0.5, 1e-3, 0.8, 10.0]),
        case!("exp_m1", |x| x.exp_m1(), &[-2.0, 1e-4, 0.5, 3.0]),
        case!("sqrt", |x| x.sqrt(), &[0.05, 1.0, 2.0, 100.0]),
        case!("powi(-3)", |x| x.powi(-3), &[-2.0, -0.7, 0.6, 3.0]),
        case!("powi(-1)", |x| x.powi(-1), &[-2.0, 0.6, 3.0]),
        case!("powi(0)", |x| x.powi(0), &[-2.0, 0.6, 3.0]),
        case!("powi(1)", |x| x.powi(1), &[-2.0, 0.6, 3.0]),
        case!("powi(2)", |x| x.powi(2), &[-2.0, 0.6, 3.0]),
        case!("powi(5)", |x| x.powi(5), &[-1.5, 0.6, 2.0]),
        case!("powf(x, 2.5)", |x| x.powf(Scalar::from_f64(2.5)), &[0.3, 1.0, 2.0, 5.0]),
        case!("powf(x, -0.7)", |x| x.powf(Scalar::from_f64(-0.7)), &[0.3, 1.0, 2.0, 5.0]),
        // Negative base, integer-valued constant exponent: the ln x term is NaN and
        // must be skipped.
        case!("powf(x, 3)", |x| x.powf(Scalar::from_f64(3.0)), &[-1.5, -0.2, 0.4, 2.0]),
        case!("powf(1.7, x)", |x| Scalar::powf(Scalar::from_f64(1.7), x), &[-1.0, 0.5, 2.0]),
        case!("powf(0.3, x)", |x| Scalar::powf(Scalar::from_f64(0.3), x), &[-1.0, 0.5, 2.0]),
        case!("powf(x, x)", |x| x.powf(x), &[0.5, 1.0, 2.0]),
        case!("sin", |x| x.sin(), &[-2.0, -0.4, 0.9, 3.0]),
        case!("cos", |x| x.cos(), &[-2.0, -0.4, 0.9, 3.0]),
        case!("tan", |x| x.tan(), &[-1.2, -0.3, 0.4, 1.1]),
        case!("tanh", |x| x.tanh(), &[-3.0, -0.5, 0.2, 2.5]),
        case!("sigmoid", |x| x.sigmoid(), &[-6.0, -1.0, 0.0, 2.0, 8.0]),
        case!("softplus", |x| x.softplus(), &[-8.0, -1.0, 0.0, 1.5, 9.0]),
        case!("relu", |x| x.relu(), &[-2.0, -0.5, 0.3, 4.0]),
        case!("abs", |x| x.abs(), &[-2.0, -0.5, 0.3, 4.0]),
        case!("max(x, 0.5)", |x| x.max(Scalar::from_f64(0.5)), &[-1.0, 0.2, 0.9, 3.0]),
        case!("max(0.5, x)", |x| Scalar::max(Scalar::from_f64(0.5), x), &[-1.0, 0.2, 0.9, 3.0]),
        case!("min(x, 0.5)", |x| x.min(Scalar::from_f64(0.5)), &[-1.0, 0.2, 0.9, 3.0]),
        case!("min(0.5, x)", |x| Scalar::min(Scalar::from_f64(0.5), x), &[-1.0, 0.2, 0.9, 3.0]),
        case!("recip", |x| x.recip(), &[-3.0, -0.4, 0.5, 7.0]),
        case!("square", |x| x.square(), &[-3.0, -0.4, 0.5, 7.0]),
        case!("neg", |x| -x, &[-1.0, 2.0]),
        case!("x + 1.5", |x| x + 1.5, &[-1.0, 2.0]),
        case!("1.5 + x", |x| 1.5 + x, &[-1.0, 2.0]),
        case!("x - 1.5", |x| x - 1.5, &[-1.0, 2.0]),
        case!("1.5 - x", |x| 1.5 - x, &[-1.0, 2.0]),
        case!("x * 1.5", |x| x * 1.5, &[-1.0, 2.0]),
        case!("1.5 * x", |x| 1.5 * x, &[-1.0, 2.0]),
        case!("x / 1.5", |x| x / 1.5, &[-1.0, 2.0]),
        case!("1.5 / x", |x| 1.5 / x, &[-1.0, 2.0]),
        case!(
            "assign forms",
            |x| {
                let mut y = x;
                y += x;
                y *= x;
                y -= 0.5;
                y /= x + 3.0;
                y *= 2.0;
                y += 1.0;
                y
            },
            &[-1.0, 0.5, 2.0]
        ),
        case!(
            "composite",
            |x| (x.sin() * x.exp() + x.square().ln_1p()).tanh() / (x.square() + 1.0).sqrt(),
            &[-1.3, 0.0, 0.4, 2.2]
        ),
    ]
}

#[test]
fn every_unary_rule_matches_finite_differences() {
    let mut checked = 0;
    for case in unary_cases() {
        for &x in case.points {
            let y = (case.dual)(D::variable(x));
            let want = (case.plain)(x);
            assert_eq!(y.re, want, "{}({x}): value", case.name);
            let numeric = fd(case.plain, x);
            let err = rel_err(y.eps, numeric);
            assert!(err < 1e-7, "{}'({x}): forward {} vs numeric {numeric} (rel err {err:e})", case.name, y.eps);
            // A constant input gives a constant output.
            assert_eq!((case.dual)(D::constant(x)).eps, 0.0, "{}({x}) of a constant", case.name);
            checked += 1;
        }
    }
    assert!(checked > 140, "only {checked} points checked");
}

/// A binary rule checked for both partials.
struct Binary {
    name: &'static str,
    dual: fn(D, D) -> D,
    plain: fn(f64, f64) -> f64,
    points: &'static [(f64, f64)],
}

#[test]
fn every_binary_rule_matches_finite_differences_in_both_arguments() {
    macro_rules! case {
        ($name:expr, |$a:ident, $b:ident| $body:expr, $points:expr) => {
            Binary { name: $name, dual: |$a: D, $b: D| $body, plain: |$a: f64, $b: f64| $body, points: $points }
        };
    }
    let cases = [
        case!("add", |a, b| a + b, &[(1.0, 2.0), (-3.0, 0.5)]),
        case!("sub", |a, b| a - b, &[(1.0, 2.0), (-3.0, 0.5)]),
        case!("mul", |a, b| a * b, &[(1.5, 2.0), (-3.0, 0.5), (0.0, 4.0)]),
        case!("div", |a, b| a / b, &[(1.5, 2.0), (-3.0, 0.5), (0.0, -4.0)]),
        case!("powf", |a, b| a.powf(b), &[(1.5, 2.0), (0.7, -1.3), (3.0, 0.5)]),
        // Away from ties, each argument wins on one side.
        case!("max", |a, b| a.max(b), &[(1.5, 2.0), (2.0, 1.5), (-1.0, -3.0)]),
        case!("min", |a, b| a.min(b), &[(1.5, 2.0), (2.0, 1.5), (-1.0, -3.0)]),
    ];
    for case in &cases {
        for &(a, b) in case.points {
            let da = (case.dual)(D::variable(a), D::constant(b));
            let db = (case.dual)(D::constant(a), D::variable(b));
            assert_eq!(da.re, (case.plain)(a, b), "{}({a}, {b}): value", case.name);
            assert_eq!(db.re, da.re);
            let na = fd(|t| (case.plain)(t, b), a);
            let nb = fd(|t| (case.plain)(a, t), b);
            assert!(rel_err(da.eps, na) < 1e-7, "∂{}/∂a at ({a}, {b}): {} vs {na}", case.name, da.eps);
            assert!(rel_err(db.eps, nb) < 1e-7, "∂{}/∂b at ({a}, {b}): {} vs {nb}", case.name, db.eps);
            // Both seeded: the directional derivative along (1, 1) is the sum.
            let both = (case.dual)(D::variable(a), D::variable(b));
            assert!(rel_err(both.eps, da.eps + db.eps) < 1e-14);
        }
    }
}

/// A function with its analytic first, second and (where written) third
/// derivatives.
struct Analytic {
    name: &'static str,
    f: fn(D2) -> D2,
    d1: fn(f64) -> f64,
    d2: fn(f64) -> f64,
    points: &'static [f64],
}

fn sig(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

#[test]
fn nested_duals_give_exact_second_derivatives_of_every_elementary_function() {
    macro_rules! case {
        ($name:expr, |$x:ident| $f:expr, |$y:ident| $d1:expr, |$z:ident| $d2:expr, $points:expr) => {
            Analytic { name: $name, f: |$x: D2| $f, d1: |$y: f64| $d1, d2: |$z: f64| $d2, points: $points }
        };
    }
    let cases = [
        case!("exp", |x| x.exp(), |x| x.exp(), |x| x.exp(), &[-2.0, 0.0, 1.5]),
        case!("ln", |x| x.ln(), |x| 1.0 / x, |x| -1.0 / (x * x), &[0.3, 1.0, 4.0]),
        case!("ln_1p", |x| x.ln_1p(), |x| 1.0 / (1.0 + x), |x| -1.0 / ((1.0 + x) * (1.0 + x)), &[-0.5, 0.0, 3.0]),
        case!("exp_m1", |x| x.exp_m1(), |x| x.exp(), |x| x.exp(), &[-2.0, 1e-6, 1.5]),
        case!("sqrt", |x| x.sqrt(), |x| 0.5 / x.sqrt(), |x| -0.25 * x.powf(-1.5), &[0.1, 1.0, 9.0]),
        case!("powi(4)", |x| x.powi(4), |x| 4.0 * x.powi(3), |x| 12.0 * x * x, &[-1.5, 0.0, 2.0]),
        case!("powi(-2)", |x| x.powi(-2), |x| -2.0 * x.powi(-3), |x| 6.0 * x.powi(-4), &[-1.5, 0.5, 2.0]),
        case!("powi(1)", |x| x.powi(1), |_x| 1.0, |_x| 0.0, &[-1.5, 0.0, 2.0]),
        case!(
            "powf(x, 2.5)",
            |x| x.powf(Scalar::from_f64(2.5)),
            |x| 2.5 * x.powf(1.5),
            |x| 3.75 * x.sqrt(),
            &[0.2, 1.0, 3.0]
        ),
        case!(
            "powf(x, 3) incl. x = 0",
            |x| x.powf(Scalar::from_f64(3.0)),
            |x| 3.0 * x * x,
            |x| 6.0 * x,
            &[-1.0, 0.0, 2.0]
        ),
        case!(
            "powf(2, x)",
            |x| <D2 as Scalar>::from_f64(2.0).powf(x),
            |x| 2f64.powf(x) * 2f64.ln(),
            |x| 2f64.powf(x) * 2f64.ln() * 2f64.ln(),
            &[-1.0, 0.5, 3.0]
        ),
        case!(
            "powf(x, x)",
            |x| x.powf(x),
            |x| x.powf(x) * (x.ln() + 1.0),
            |x| x.powf(x) * ((x.ln() + 1.0).powi(2) + 1.0 / x),
            &[0.5, 1.0, 2.0]
        ),
        case!("sin", |x| x.sin(), |x| x.cos(), |x| -x.sin(), &[-2.0, 0.0, 1.0]),
        case!("cos", |x| x.cos(), |x| -x.sin(), |x| -x.cos(), &[-2.0, 0.0, 1.0]),
        case!(
            "tan",
            |x| x.tan(),
            |x| 1.0 + x.tan().powi(2),
            |x| 2.0 * x.tan() * (1.0 + x.tan().powi(2)),
            &[-1.0, 0.0, 0.7]
        ),
        case!(
            "tanh",
            |x| x.tanh(),
            |x| 1.0 - x.tanh().powi(2),
            |x| -2.0 * x.tanh() * (1.0 - x.tanh().powi(2)),
            &[-2.0, 0.0, 0.5]
        ),
        case!(
            "sigmoid",
            |x| x.sigmoid(),
            |x| sig(x) * sig(-x),
            |x| sig(x) * sig(-x) * (sig(-x) - sig(x)),
            &[-3.0, 0.0, 0.7, 5.0]
        ),
        case!("softplus", |x| x.softplus(), |x| sig(x), |x| sig(x) * sig(-x), &[-3.0, 0.0, 0.7, 5.0]),
        case!("relu", |x| x.relu(), |x| if x > 0.0 { 1.0 } else { 0.0 }, |_x| 0.0, &[-1.0, 0.0, 2.0]),
        case!(
            "abs",
            |x| x.abs(),
            |x| if x > 0.0 {
                1.0
            } else if x < 0.0 {
                -1.0
            } else {
                0.0
            },
            |_x| 0.0,
            &[-1.0, 0.0, 2.0]
        ),
        case!("recip", |x| x.recip(), |x| -1.0 / (x * x), |x| 2.0 / (x * x * x), &[-2.0, 0.5, 3.0]),
        case!("square", |x| x.square(), |x| 2.0 * x, |_x| 2.0, &[-2.0, 0.0, 3.0]),
        case!(
            "max(x², 1)",
            |x| x.square().max(Scalar::one()),
            |x| if x * x > 1.0 { 2.0 * x } else { 0.0 },
            |x| if x * x > 1.0 { 2.0 } else { 0.0 },
            &[-2.0, 0.5, 3.0]
        ),
        case!(
            "min(x², 1)",
            |x| x.square().min(Scalar::one()),
            |x| if x * x < 1.0 { 2.0 * x } else { 0.0 },
            |x| if x * x < 1.0 { 2.0 } else { 0.0 },
            &[-2.0, 0.5, 3.0]
        ),
        case!(
            "x / (1 + x²)",
            |x| x / (x.square() + 1.0),
            |x| (1.0 - x * x) / (1.0 + x * x).powi(2),
            |x| 2.0 * x * (x * x - 3.0) / (1.0 + x * x).powi(3),
            &[-2.0, 0.0, 0.7]
        ),
        case!(
            "3 / x - x * 2",
            |x| 3.0 / x - x * 2.0,
            |x| -3.0 / (x * x) - 2.0,
            |x| 6.0 / (x * x * x),
            &[-2.0, 0.5, 3.0]
        ),
    ];
    for case in &cases {
        for &x in case.points {
            // Second-order seeding spelled out: (x + ε₁) + (1 + 0ε₁)ε₂.
            let seeded = Dual::new(Dual::new(x, 1.0), Dual::new(1.0, 0.0));
            let y = (case.f)(seeded);
            let (d1, d2) = ((case.d1)(x), (case.d2)(x));
            assert!(rel_err(y.re.eps, d1) < 1e-13, "{}'({x}) inner: {} vs {d1}", case.name, y.re.eps);
            assert!(rel_err(y.eps.re, d1) < 1e-13, "{}'({x}) outer: {} vs {d1}", case.name, y.eps.re);
            assert!(rel_err(y.eps.eps, d2) < 1e-13, "{}''({x}): {} vs {d2}", case.name, y.eps.eps);
            // ...which is what nesting `Dual::variable` builds.
            let nested = (case.f)(Dual::variable(Dual::variable(x))).eps.eps;
            assert_eq!(nested, y.eps.eps, "{}: Dual::variable(Dual::variable(x))", case.name);
        }
    }
}

#[test]
fn nested_duals_give_exact_mixed_partials() {
    // f(x, y) = x^y: ∂²f/∂x∂y = x^{y-1}(1 + y ln x), in either seeding order.
    let (x, y) = (1.7, 2.3);
    let want = x.powf(y - 1.0) * (1.0 + y * x.ln());
    let xs = Dual::new(Dual::new(x, 1.0), Dual::new(0.0, 0.0)); // inner direction x
    let ys = Dual::new(Dual::new(y, 0.0), Dual::new(1.0, 0.0)); // outer direction y
    assert!(rel_err(xs.powf(ys).eps.eps, want) < 1e-14);
    let xs = Dual::new(Dual::new(x, 0.0), Dual::new(1.0, 0.0));
    let ys = Dual::new(Dual::new(y, 1.0), Dual::new(0.0, 0.0));
    assert!(rel_err(xs.powf(ys).eps.eps, want) < 1e-14);

    // f(x, y) = x^{x·y} at y = 0: the exponent's outer tangent has value 0 but a
    // non-zero inner part, and ∂²f/∂x∂y = 1 + ln x must keep it.
    let x = 2.0;
    let xs = Dual::new(Dual::new(x, 0.0), Dual::new(1.0, 0.0)); // outer direction x
    let ys = Dual::new(Dual::new(0.0, 1.0), Dual::new(0.0, 0.0)); // inner direction y
    let f = xs.powf(xs * ys);
    assert_eq!(f.eps.re, 0.0);
    assert!(rel_err(f.eps.eps, 1.0 + x.ln()) < 1e-14, "{}", f.eps.eps);
}

#[test]
fn triple_nesting_gives_third_derivatives() {
    type D3 = Dual<Dual<Dual<f64>>>;
    let seed = |x: f64| -> D3 { Dual::variable(Dual::variable(Dual::variable(x))) };
    for &x in &[-1.0, 0.3, 2.0] {
        let third = |y: D3| y.eps.eps.eps;
        assert!(rel_err(third(seed(x).sin()), -x.cos()) < 1e-14);
        assert!(rel_err(third(seed(x).exp()), x.exp()) < 1e-14);
        assert!(rel_err(third(seed(x).powi(5)), 60.0 * x * x) < 1e-14);
        assert!(
            rel_err(third(seed(x).tanh()), {
                let t = x.tanh();
                -2.0 * (1.0 - t * t) * (1.0 - 3.0 * t * t)
            }) < 1e-13
        );
    }
}

#[test]
fn relu_and_abs_have_zero_derivative_at_zero() {
    for x in [D::variable(0.0), D::variable(-0.0)] {
        assert_eq!((x.relu().re, x.relu().eps), (0.0, 0.0));
        assert_eq!((x.abs().re, x.abs().eps), (0.0, 0.0));
    }
    assert_eq!(D::variable(1e-300).relu().eps, 1.0);
    assert_eq!(D::variable(-1e-300).relu().eps, 0.0);
    assert_eq!(D::variable(-1e-300).abs().eps, -1.0);
    // Nested: first and second derivative both 0 at the kink.
    let x = D2::variable(D::variable(0.0));
    for y in [x.relu(), x.abs()] {
        assert_eq!((y.re.re, y.re.eps, y.eps.re, y.eps.eps), (0.0, 0.0, 0.0, 0.0));
    }
}

#[test]
fn max_and_min_ties_pick_self_and_the_derivative_follows_the_pick() {
    let a = D::new(1.0, 10.0);
    let b = D::new(1.0, 20.0);
    assert_eq!(a.max(b).eps, 10.0);
    assert_eq!(b.max(a).eps, 20.0);
    assert_eq!(a.min(b).eps, 10.0);
    assert_eq!(b.min(a).eps, 20.0);
    let c = D::new(2.0, 30.0);
    assert_eq!(a.max(c).eps, 30.0);
    assert_eq!(c.max(a).eps, 30.0);
    assert_eq!(a.min(c).eps, 10.0);
    assert_eq!(c.min(a).eps, 10.0);
}

#[test]
fn powf_and_powi_at_zero_base() {
    // Constant exponent: ln 0 = -∞ is never multiplied in.
    let y = D::variable(0.0).powf(D::constant(2.0));
    assert_eq!((y.re, y.eps), (0.0, 0.0));
    let y = D::variable(0.0).powf(D::constant(1.0));
    assert_eq!((y.re, y.eps), (0.0, 1.0));
    let y = D::variable(0.0).powf(D::constant(0.0));
    assert_eq!((y.re, y.eps), (1.0, 0.0));
    let y = D::constant(0.0).powf(D::constant(0.5));
    assert_eq!((y.re, y.eps), (0.0, 0.0));
    // A variable base at 0 with exponent < 1 has an infinite slope, not NaN.
    let y = D::variable(0.0).powf(D::constant(0.5));
    assert_eq!((y.re, y.eps), (0.0, f64::INFINITY));
    // Nested: (x³)'' = 6x = 0 at 0.
    assert_eq!(Dual::variable(Dual::variable(0.0)).powf(Scalar::from_f64(3.0)).eps.eps, 0.0);
    // Exponent tangent present at x > 0: the ln x term is included.
    let y = D::constant(2.0).powf(D::variable(3.0));
    assert_eq!(y.eps, 8.0 * 2f64.ln());
    // powi: n·x^{n-1}, and 0 for n = 0 even at x = 0.
    assert_eq!(D::variable(0.0).powi(0).eps, 0.0);
    assert_eq!(D::variable(0.0).powi(1).eps, 1.0);
    assert_eq!(D::variable(0.0).powi(3).eps, 0.0);
    assert_eq!(D::variable(2.0).powi(3).eps, 12.0);
    assert_eq!(D::variable(2.0).powi(-2).eps, -2.0 / 8.0);
    let y = D::variable(1.0).powi(i32::MIN);
    assert_eq!((y.re, y.eps), (1.0, f64::from(i32::MIN)));
}

#[test]
fn sqrt_ln_and_division_near_zero_produce_no_nan() {
    // sqrt(x²) at 0: the inner tangent is 0, the local slope ∞; the result must
    // be 0, not 0·∞ = NaN.
    let x = D::variable(0.0);
    let y = x.square().sqrt();
    assert_eq!((y.re, y.eps), (0.0, 0.0));
    let y = D::constant(0.0).sqrt();
    assert_eq!((y.re, y.eps), (0.0, 0.0));
    let y = D::variable(0.0).sqrt();
    assert_eq!((y.re, y.eps), (0.0, f64::INFINITY));
    let y = D::constant(0.0).ln();
    assert_eq!((y.re, y.eps), (f64::NEG_INFINITY, 0.0));
    let y = D::variable(1.0) / D::constant(0.0);
    assert_eq!((y.re, y.eps), (f64::INFINITY, f64::INFINITY));
    let y = D::constant(1.0) / D::constant(0.0);
    assert_eq!((y.re, y.eps), (f64::INFINITY, 0.0));
    let y = D::constant(0.0).recip();
    assert_eq!((y.re, y.eps), (f64::INFINITY, 0.0));
    // sqrt(x² + ε) stays smooth through 0.
    let y = (x.square() + 1e-12).sqrt();
    assert_eq!(y.eps, 0.0);
    assert!(y.re > 0.0);
}

#[test]
fn sigmoid_and_softplus_are_stable_at_plus_minus_1000() {
    let s = D::variable(1000.0).sigmoid();
    assert_eq!((s.re, s.eps), (1.0, 0.0));
    let s = D::variable(-1000.0).sigmoid();
    assert_eq!((s.re, s.eps), (0.0, 0.0));
    let s = D::variable(1000.0).softplus();
    assert_eq!((s.re, s.eps), (1000.0, 1.0));
    let s = D::variable(-1000.0).softplus();
    assert_eq!((s.re, s.eps), (0.0, 0.0));
    // The tail is kept where it is representable: σ'(-40) = σ(-40)σ(40) ≈ e^{-40}.
    let s = D::variable(-40.0).sigmoid();
    assert!(rel_err(s.eps, (-40f64).exp()) < 1e-15, "{}", s.eps);
    let s = D::variable(40.0).sigmoid();
    assert!(rel_err(s.eps, (-40f64).exp()) < 1e-15, "{}", s.eps);
    // Second derivatives are finite too.
    for x in [-1000.0, 1000.0] {
        for f in [|x: D2| x.sigmoid(), |x: D2| x.softplus(), |x: D2| x.tanh()] {
            let y = f(D2::variable(D::variable(x)));
            for part in [y.re.re, y.re.eps, y.eps.re, y.eps.eps] {
                assert!(part.is_finite(), "{part} at {x}");
            }
        }
    }
}

#[test]
fn extreme_inputs_give_finite_results_where_the_math_is_finite() {
    type Case = (&'static str, fn(D) -> D, &'static [f64]);
    let cases: [Case; 19] = [
        ("exp", |x| x.exp(), &[-1000.0]),
        ("exp_m1", |x| x.exp_m1(), &[-1000.0]),
        ("ln", |x| x.ln(), &[1000.0, 1e-300]),
        ("ln_1p", |x| x.ln_1p(), &[1000.0]),
        ("sqrt", |x| x.sqrt(), &[1000.0, 1e-300]),
        ("powi", |x| x.powi(3), &[-1000.0, 0.0, 1000.0]),
        ("powf", |x| x.powf(Scalar::from_f64(2.0)), &[0.0, 1000.0]),
        ("sin", |x| x.sin(), &[-1000.0, 1000.0]),
        ("cos", |x| x.cos(), &[-1000.0, 1000.0]),
        ("tan", |x| x.tan(), &[-1000.0, 1000.0]),
        ("tanh", |x| x.tanh(), &[-1000.0, 0.0, 1000.0]),
        ("sigmoid", |x| x.sigmoid(), &[-1000.0, 0.0, 1000.0]),
        ("softplus", |x| x.softplus(), &[-1000.0, 0.0, 1000.0]),
        ("relu", |x| x.relu(), &[-1000.0, 0.0, 1000.0]),
        ("abs", |x| x.abs(), &[-1000.0, 0.0, 1000.0]),
        ("recip", |x| x.recip(), &[-1000.0, 1000.0]),
        ("square", |x| x.square(), &[-1000.0, 0.0, 1000.0]),
        ("max", |x| x.max(Scalar::zero()), &[-1000.0, 0.0, 1000.0]),
        ("min", |x| x.min(Scalar::zero()), &[-1000.0, 0.0, 1000.0]),
    ];
    for (name, f, points) in cases {
        for &x in points {
            let y = f(D::variable(x));
            assert!(y.is_finite() && y.eps.is_finite(), "{name}({x}) = {y}");
            let c = f(D::constant(x));
            assert_eq!(c.eps, 0.0, "{name}({x}) of a constant");
        }
    }
    assert!(!D::variable(1000.0).exp().is_finite());
    assert!(!D::new(f64::NAN, 0.0).is_finite());
}

#[test]
fn works_over_f32() {
    let x = Dual::variable(0.5f32);
    let y = x.sin() * x.exp();
    let want = 0.5f32.exp() * (0.5f32.sin() + 0.5f32.cos());
    assert!((y.eps - want).abs() < 1e-6, "{} vs {want}", y.eps);
    assert_eq!(y.value(), f64::from(0.5f32.sin() * 0.5f32.exp()));
}
