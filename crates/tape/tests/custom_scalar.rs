//! Custom scalar functions (`Var::custom1`, `Var::custom2`): recorded with the
//! value and partials their caller computed, they must behave exactly like a
//! built-in op with the same rule — same gradient bits, same second order when
//! the caller computes in `T`'s arithmetic — and show their name in anomaly
//! reports.

use wengert_tape::{grad, hessian, Scalar, Tape, Var};

/// `tanh` written as a custom function, with the tape's own derivative form.
fn my_tanh<'t, T: Scalar>(x: Var<'t, T>) -> Var<'t, T> {
    let t = x.primal().tanh();
    x.custom1("my_tanh", t, T::one() - t * t)
}

/// `a · b` written as a custom function of two variables.
fn my_mul<'t, T: Scalar>(a: Var<'t, T>, b: Var<'t, T>) -> Var<'t, T> {
    let (u, v) = (a.primal(), b.primal());
    a.custom2(b, "my_mul", u * v, v, u)
}

type Unary<'t, T> = fn(Var<'t, T>) -> Var<'t, T>;
type Binary<'t, T> = fn(Var<'t, T>, Var<'t, T>) -> Var<'t, T>;

/// A small composite, once with the built-ins and once with the custom twins.
fn model<'t, T: Scalar>(x: &[Var<'t, T>], custom: bool) -> Var<'t, T> {
    let (tanh, mul): (Unary<'t, T>, Binary<'t, T>) =
        if custom { (my_tanh, my_mul) } else { (|x| x.tanh(), |a, b| a * b) };
    let a = tanh(mul(x[0], x[1]) + x[2]);
    let b = mul(a, x[0].exp()) - tanh(x[2] * x[1]);
    mul(b, mul(a, x[2]))
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn custom_twins_of_built_in_ops_give_the_same_gradient_bits() {
    // A seeded sweep over points, including a custom op applied twice to one value.
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    for _ in 0..200 {
        let x: Vec<f64> = (0..3)
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                (state >> 11) as f64 / (1u64 << 53) as f64 * 4.0 - 2.0
            })
            .collect();
        let built_in = grad(|v| model(v, false), &x);
        let custom = grad(|v| model(v, true), &x);
        assert_eq!(bits(&built_in), bits(&custom), "at {x:?}");
    }
}

#[test]
fn custom_functions_differentiate_a_second_time() {
    let x = [0.3, -1.2, 0.7];
    let built_in = hessian(|v| model(v, false), &x);
    let custom = hessian(|v| model(v, true), &x);
    assert_eq!(bits(built_in.as_slice()), bits(custom.as_slice()));
    assert!(built_in.as_slice().iter().all(|h| h.is_finite() && *h != 0.0), "{built_in:?}");
}

#[test]
fn a_constant_operand_of_a_custom_function_gets_no_gradient() {
    let tape = Tape::new();
    let x = tape.var(3.0);
    let c = Var::constant(5.0);
    let left = my_mul(c, x);
    let right = my_mul(x, c);
    let both = my_mul(c, c);
    assert!(!both.is_tracked());
    assert_eq!(both.primal(), 25.0);
    let g = tape.backward(left + right * 2.0);
    assert_eq!(g[x], 15.0);
}

#[test]
fn a_custom_function_that_goes_non_finite_is_named_in_anomaly_mode() {
    let mut tape = Tape::new();
    tape.detect_anomaly(true);
    let x = tape.var(0.0);
    let y = x * 2.0;
    let bad = y.custom1("my_log", y.primal().ln(), y.primal().recip());
    let _ = tape.backward(bad);
    let a = tape.anomaly().expect("ln 0 is found");
    assert_eq!(a.op, "my_log");
    assert_eq!(a.found, f64::NEG_INFINITY);
    assert!(a.to_string().contains("`my_log`"), "{a}");
}

#[test]
#[should_panic(expected = "`my_fn` is a custom function")]
fn a_custom_op_has_no_rule_to_evaluate() {
    let _ = wengert_tape::ScalarOp::<f64>::Custom1("my_fn").eval(1.0, 0.0);
}
