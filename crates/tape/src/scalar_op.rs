//! [`ScalarOp`]: every elementary operation a [`Var`](crate::Var) records, with
//! its value and local partials side by side.
//!
//! Why one table: the same rule is needed in three places — recording on the
//! tape, replaying a compiled recording at a new point, and naming the op in an
//! anomaly report — and they must agree bit for bit. Each op's value and
//! derivative are written once here (as micrograd keeps an op's forward and
//! backward together); [`Var`](crate::Var)'s operators only say which op they
//! are. Because [`ScalarOp::eval`] is always inlined with a constant op, the
//! `match` disappears at every call site: naming the op costs nothing.
//!
//! These rules are written independently of the dual-number rules in
//! `wengert-dual`, so reverse mode agreeing with forward mode is evidence, not a
//! tautology.
//!
//! # Conventions at kinks and edges
//!
//! * `relu` and `abs` have derivative 0 at 0; `max`/`min` (not in this table:
//!   they select an operand, recording nothing) send the derivative to the
//!   operand they pick, `self` on ties.
//! * NaN propagates: through values (IEEE), and through the partial of every
//!   kinked op (`relu`, `abs` at NaN have partial NaN), as in the major
//!   frameworks.
//! * `x^p` (`Powf`): `∂/∂x = p·x^{p−1}`, taken as exactly 0 when `p = 0` (the
//!   function is the constant 1); `∂/∂p = x^p·ln x`, taken as 0 at `x = 0` when
//!   `p > 0` (its limit there). So `d/dx xˣ` at 0 is `−∞`, its true limit.

use wengert_ops::Scalar;

/// An elementary scalar operation: its name, arity, value and local partials.
///
/// One-input ops carry their constant operand (`x + c`, `c / x`, `xⁿ`); two-input
/// ops take both operands from the tape.
///
/// ```
/// use wengert_tape::ScalarOp;
/// let (value, d_x, _) = ScalarOp::Mul.eval(3.0, 4.0);
/// assert_eq!((value, d_x), (12.0, 4.0));
/// assert_eq!(ScalarOp::<f64>::Sqrt.name(), "sqrt");
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ScalarOp<T> {
    /// `a + b`.
    Add,
    /// `a − b`.
    Sub,
    /// `a · b`.
    Mul,
    /// `a / b`.
    Div,
    /// `a^b`, both tracked.
    Powf,
    /// `−x`.
    Neg,
    /// `x + c`.
    AddConst(T),
    /// `x − c`.
    SubConst(T),
    /// `c − x`.
    ConstSub(T),
    /// `x · c`.
    MulConst(T),
    /// `x / c`.
    DivConst(T),
    /// `c / x`.
    ConstDiv(T),
    /// `x^c` for a constant exponent.
    PowConst(T),
    /// `c^x` for a constant base.
    ConstPow(T),
    /// `xⁿ` for an integer `n`.
    Powi(i32),
    /// `eˣ`.
    Exp,
    /// `ln x`.
    Ln,
    /// `ln(1 + x)`.
    Ln1p,
    /// `eˣ − 1`.
    ExpM1,
    /// `√x`.
    Sqrt,
    /// `sin x`.
    Sin,
    /// `cos x`.
    Cos,
    /// `tan x`.
    Tan,
    /// `tanh x`.
    Tanh,
    /// `1 / (1 + e^{−x})`.
    Sigmoid,
    /// `ln(1 + eˣ)`.
    Softplus,
    /// `max(x, 0)`.
    Relu,
    /// `|x|`.
    Abs,
    /// `1 / x`.
    Recip,
    /// `x²`.
    Square,
    /// A user's function of one variable, recorded by
    /// [`Var::custom1`](crate::Var::custom1) with the value and derivative its
    /// caller computed; the name is the caller's, for reports.
    Custom1(&'static str),
    /// A user's function of two variables, recorded by
    /// [`Var::custom2`](crate::Var::custom2).
    Custom2(&'static str),
}

impl<T: Scalar> ScalarOp<T> {
    /// The op's name, as in anomaly reports and graph dumps.
    pub fn name(&self) -> &'static str {
        match self {
            ScalarOp::Add => "add",
            ScalarOp::Sub => "sub",
            ScalarOp::Mul => "mul",
            ScalarOp::Div => "div",
            ScalarOp::Powf => "powf",
            ScalarOp::Neg => "neg",
            ScalarOp::AddConst(_) => "add_const",
            ScalarOp::SubConst(_) => "sub_const",
            ScalarOp::ConstSub(_) => "const_sub",
            ScalarOp::MulConst(_) => "mul_const",
            ScalarOp::DivConst(_) => "div_const",
            ScalarOp::ConstDiv(_) => "const_div",
            ScalarOp::PowConst(_) => "pow_const",
            ScalarOp::ConstPow(_) => "const_pow",
            ScalarOp::Powi(_) => "powi",
            ScalarOp::Exp => "exp",
            ScalarOp::Ln => "ln",
            ScalarOp::Ln1p => "ln_1p",
            ScalarOp::ExpM1 => "exp_m1",
            ScalarOp::Sqrt => "sqrt",
            ScalarOp::Sin => "sin",
            ScalarOp::Cos => "cos",
            ScalarOp::Tan => "tan",
            ScalarOp::Tanh => "tanh",
            ScalarOp::Sigmoid => "sigmoid",
            ScalarOp::Softplus => "softplus",
            ScalarOp::Relu => "relu",
            ScalarOp::Abs => "abs",
            ScalarOp::Recip => "recip",
            ScalarOp::Square => "square",
            ScalarOp::Custom1(name) | ScalarOp::Custom2(name) => name,
        }
    }

    /// Number of tracked inputs: 2 for `Add`, `Sub`, `Mul`, `Div`, `Powf` and
    /// `Custom2`; 1 for the rest.
    pub fn arity(&self) -> usize {
        match self {
            ScalarOp::Add | ScalarOp::Sub | ScalarOp::Mul | ScalarOp::Div | ScalarOp::Powf | ScalarOp::Custom2(_) => 2,
            _ => 1,
        }
    }

    /// The same op over another number type: its constant converted by `f`
    /// (a compiled recording, kept in `f64`, replays in `f32` or on dual
    /// numbers this way).
    pub fn map_const<U>(self, f: impl FnOnce(T) -> U) -> ScalarOp<U> {
        match self {
            ScalarOp::Add => ScalarOp::Add,
            ScalarOp::Sub => ScalarOp::Sub,
            ScalarOp::Mul => ScalarOp::Mul,
            ScalarOp::Div => ScalarOp::Div,
            ScalarOp::Powf => ScalarOp::Powf,
            ScalarOp::Neg => ScalarOp::Neg,
            ScalarOp::AddConst(c) => ScalarOp::AddConst(f(c)),
            ScalarOp::SubConst(c) => ScalarOp::SubConst(f(c)),
            ScalarOp::ConstSub(c) => ScalarOp::ConstSub(f(c)),
            ScalarOp::MulConst(c) => ScalarOp::MulConst(f(c)),
            ScalarOp::DivConst(c) => ScalarOp::DivConst(f(c)),
            ScalarOp::ConstDiv(c) => ScalarOp::ConstDiv(f(c)),
            ScalarOp::PowConst(c) => ScalarOp::PowConst(f(c)),
            ScalarOp::ConstPow(c) => ScalarOp::ConstPow(f(c)),
            ScalarOp::Powi(n) => ScalarOp::Powi(n),
            ScalarOp::Exp => ScalarOp::Exp,
            ScalarOp::Ln => ScalarOp::Ln,
            ScalarOp::Ln1p => ScalarOp::Ln1p,
            ScalarOp::ExpM1 => ScalarOp::ExpM1,
            ScalarOp::Sqrt => ScalarOp::Sqrt,
            ScalarOp::Sin => ScalarOp::Sin,
            ScalarOp::Cos => ScalarOp::Cos,
            ScalarOp::Tan => ScalarOp::Tan,
            ScalarOp::Tanh => ScalarOp::Tanh,
            ScalarOp::Sigmoid => ScalarOp::Sigmoid,
            ScalarOp::Softplus => ScalarOp::Softplus,
            ScalarOp::Relu => ScalarOp::Relu,
            ScalarOp::Abs => ScalarOp::Abs,
            ScalarOp::Recip => ScalarOp::Recip,
            ScalarOp::Square => ScalarOp::Square,
            ScalarOp::Custom1(name) => ScalarOp::Custom1(name),
            ScalarOp::Custom2(name) => ScalarOp::Custom2(name),
        }
    }

    /// Which second derivatives of the op can be nonzero, for Hessian
    /// sparsity: `(∂²/∂a², ∂²/∂a∂b, ∂²/∂b²)`. Affine ops (`+`, `−`, `x·c`,
    /// `x/c`, `x + c`, …) have none; `relu` and `abs` are piecewise linear (their
    /// kink is a guard of a compiled recording, so no second derivative
    /// either); `a·b` only the mixed one.
    pub fn second_order(&self) -> (bool, bool, bool) {
        match self {
            ScalarOp::Add
            | ScalarOp::Sub
            | ScalarOp::Neg
            | ScalarOp::AddConst(_)
            | ScalarOp::SubConst(_)
            | ScalarOp::ConstSub(_)
            | ScalarOp::MulConst(_)
            | ScalarOp::DivConst(_)
            | ScalarOp::Relu
            | ScalarOp::Abs => (false, false, false),
            ScalarOp::Powi(n) => (*n != 0 && *n != 1, false, false),
            ScalarOp::Mul => (false, true, false),
            ScalarOp::Div => (false, true, true),
            ScalarOp::Powf | ScalarOp::Custom2(_) => (true, true, true),
            _ => (true, false, false),
        }
    }

    /// The branch of its rule a kinked op (`relu`, `abs`) takes at `a`: `Some`
    /// region code (`1` positive, `-1` negative, `0` zero, `2` NaN; `relu`
    /// puts zero and negative together, as its rule does), `None` for ops
    /// without a kink. A compiled recording keeps the region as a guard.
    pub fn kink_region(&self, a: f64) -> Option<i8> {
        let region = if a > 0.0 {
            1
        } else if a.is_nan() {
            2
        } else if a < 0.0 {
            -1
        } else {
            0
        };
        match self {
            ScalarOp::Relu => Some(if region == -1 { 0 } else { region }),
            ScalarOp::Abs => Some(region),
            _ => None,
        }
    }

    /// `(value, ∂value/∂a, ∂value/∂b)` at `(a, b)`. One-input ops ignore `b` and
    /// return a zero second partial.
    ///
    /// Panics for `Custom1`/`Custom2`: their value and partials exist only as
    /// their caller computed them at the recorded point.
    #[inline(always)]
    pub fn eval(self, a: T, b: T) -> (T, T, T) {
        let zero = T::zero();
        let one = T::one();
        match self {
            ScalarOp::Add => (a + b, one, one),
            ScalarOp::Sub => (a - b, one, -one),
            ScalarOp::Mul => (a * b, b, a),
            ScalarOp::Div => {
                // A true division, so the value matches plain code bit for bit.
                let q = a / b;
                let inv = b.recip();
                (q, inv, -q * inv)
            }
            ScalarOp::Powf => {
                let v = a.powf(b);
                (v, pow_d_base(a, b), pow_d_exponent(a, b, v))
            }
            ScalarOp::Neg => (-a, -one, zero),
            ScalarOp::AddConst(c) => (a + c, one, zero),
            ScalarOp::SubConst(c) => (a - c, one, zero),
            ScalarOp::ConstSub(c) => (c - a, -one, zero),
            ScalarOp::MulConst(c) => (a * c, c, zero),
            ScalarOp::DivConst(c) => (a / c, c.recip(), zero),
            ScalarOp::ConstDiv(c) => {
                let q = c / a;
                (q, -q / a, zero)
            }
            ScalarOp::PowConst(p) => (a.powf(p), pow_d_base(a, p), zero),
            ScalarOp::ConstPow(c) => {
                let v = c.powf(a);
                (v, pow_d_exponent(c, a, v), zero)
            }
            ScalarOp::Powi(n) => {
                let d = match n {
                    0 => zero,
                    // `n − 1` would overflow; the real power is exact for integers.
                    i32::MIN => T::from_f64(f64::from(n)) * a.powf(T::from_f64(f64::from(n) - 1.0)),
                    _ => T::from_f64(f64::from(n)) * a.powi(n - 1),
                };
                (a.powi(n), d, zero)
            }
            ScalarOp::Exp => {
                let e = a.exp();
                (e, e, zero)
            }
            ScalarOp::Ln => (a.ln(), a.recip(), zero),
            ScalarOp::Ln1p => (a.ln_1p(), (one + a).recip(), zero),
            ScalarOp::ExpM1 => (a.exp_m1(), a.exp(), zero),
            ScalarOp::Sqrt => {
                let s = a.sqrt();
                (s, (s + s).recip(), zero)
            }
            ScalarOp::Sin => (a.sin(), a.cos(), zero),
            ScalarOp::Cos => (a.cos(), -a.sin(), zero),
            ScalarOp::Tan => {
                let t = a.tan();
                (t, one + t * t, zero)
            }
            ScalarOp::Tanh => {
                let t = a.tanh();
                (t, one - t * t, zero)
            }
            ScalarOp::Sigmoid => {
                let (s, ds) = sigmoid_and_derivative(a);
                (s, ds, zero)
            }
            // softplus' = sigmoid, evaluated in its stable form.
            ScalarOp::Softplus => (a.softplus(), sigmoid_and_derivative(a).0, zero),
            ScalarOp::Relu => {
                if a > zero {
                    (a, one, zero)
                } else if a.value().is_nan() {
                    (a, a, zero)
                } else {
                    (zero, zero, zero)
                }
            }
            ScalarOp::Abs => {
                let d = if a > zero {
                    one
                } else if a < zero {
                    -one
                } else if a.value().is_nan() {
                    a
                } else {
                    zero
                };
                (a.abs(), d, zero)
            }
            ScalarOp::Recip => {
                let inv = a.recip();
                (inv, -inv * inv, zero)
            }
            ScalarOp::Square => (a * a, a + a, zero),
            ScalarOp::Custom1(name) | ScalarOp::Custom2(name) => panic!(
                "ScalarOp::eval: `{name}` is a custom function; its value and partials are the ones its caller \
                 passed to Var::custom1/custom2, there is no rule to evaluate"
            ),
        }
    }
}

/// `σ(x)` and `σ'(x)`, through `e = e^{−|x|}`: `σ = 1/(1+e)` or `e/(1+e)`, and
/// `σ' = σ(x)σ(−x) = e/(1+e)²` — accurate where `1 − σ(x)` would cancel (large
/// `x`), never overflowing, one `exp`. The one stable form of the sigmoid's
/// derivative on the tape (`Dual` computes the same `σ(x)σ(−x)`).
///
/// `e` is `e^{−x}` or `eˣ` chosen by a branch, not `exp(−|x|)`: each branch is
/// a formula valid around the point, so a dual-number argument keeps its
/// tangent at `x = 0` where `|x|` has a kink (that matters for second order).
#[inline(always)]
pub(crate) fn sigmoid_and_derivative<T: Scalar>(x: T) -> (T, T) {
    let nonneg = x >= T::zero();
    let e = if nonneg { (-x).exp() } else { x.exp() };
    let q = T::one() + e;
    let s = if nonneg { q.recip() } else { e / q };
    (s, e / (q * q))
}

/// `∂(x^p)/∂x = p·x^{p−1}`, and 0 when `p = 0` makes that `0 · ∞` (at `x = 0`:
/// then `x^p ≡ 1`). Checked on the product rather than by testing `p = 0` first,
/// so a dual-number `p` whose value is 0 keeps its tangent parts (second order).
#[inline(always)]
fn pow_d_base<T: Scalar>(x: T, p: T) -> T {
    let d = p * x.powf(p - T::one());
    if d.value().is_nan() && p == T::zero() {
        T::zero()
    } else {
        d
    }
}

/// `∂(x^p)/∂p = x^p·ln x`, taken as 0 at `x = 0` for `p > 0` (the limit of
/// `x^p ln x` as `x → 0⁺`); elsewhere IEEE (so `ln` of a negative base is NaN).
#[inline(always)]
fn pow_d_exponent<T: Scalar>(x: T, p: T, value: T) -> T {
    if x == T::zero() && p > T::zero() {
        T::zero()
    } else {
        value * x.ln()
    }
}
