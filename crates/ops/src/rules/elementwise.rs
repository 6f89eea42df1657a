//! Elementwise functions of one matrix: `y = f(x)` applied to every element, so
//! the VJP is `gx += g ⊙ f'(x)`.
//!
//! Kink conventions (each derivative at a non-differentiable point is a choice;
//! ours follow the scalar traits so reverse and forward mode agree):
//! `abs'(0) = 0`, `relu'(0) = 0`, and `clamp(lo, hi)` passes the gradient only
//! strictly inside `(lo, hi)`: at either bound and beyond it the derivative is 0.
//! Derivatives that reuse the output (`exp`, `sqrt`, `sigmoid`, `tanh`) read it
//! from `y` instead of recomputing.

use crate::scalar::Scalar;

/// An elementwise function with its constant parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Unary {
    /// `−x`.
    Neg,
    /// `c·x` for a constant `c`.
    Scale(f64),
    /// `x + c` for a constant `c`.
    AddConst(f64),
    /// `eˣ`.
    Exp,
    /// `ln x` (domain `x > 0`).
    Ln,
    /// `√x` (domain `x ≥ 0`; derivative infinite at 0).
    Sqrt,
    /// `xᵖ` for a constant `p` (domain `x > 0` unless `p` is an integer).
    Powf(f64),
    /// `|x|`, derivative 0 at 0.
    Abs,
    /// `1 / (1 + e⁻ˣ)`, overflow-free.
    Sigmoid,
    /// `tanh x`.
    Tanh,
    /// `max(x, 0)`, derivative 0 at 0.
    Relu,
    /// `ln(1 + eˣ)`, overflow-free.
    Softplus,
    /// `min(max(x, lo), hi)`; derivative 1 strictly inside `(lo, hi)`, else 0.
    Clamp {
        /// Lower bound.
        lo: f64,
        /// Upper bound (`lo ≤ hi`).
        hi: f64,
    },
}

impl Unary {
    /// The op name used in errors and graph dumps.
    pub fn name(&self) -> &'static str {
        match self {
            Unary::Neg => "neg",
            Unary::Scale(_) => "scale",
            Unary::AddConst(_) => "add_const",
            Unary::Exp => "exp",
            Unary::Ln => "ln",
            Unary::Sqrt => "sqrt",
            Unary::Powf(_) => "powf",
            Unary::Abs => "abs",
            Unary::Sigmoid => "sigmoid",
            Unary::Tanh => "tanh",
            Unary::Relu => "relu",
            Unary::Softplus => "softplus",
            Unary::Clamp { .. } => "clamp",
        }
    }

    /// Checks the parameters (`clamp` needs `lo ≤ hi`, neither NaN); panics
    /// with the op name otherwise.
    pub fn check(&self) {
        if let Unary::Clamp { lo, hi } = *self {
            assert!(lo <= hi, "clamp: lower bound {lo} exceeds upper bound {hi}");
        }
    }

    /// `f(x)` for one element.
    #[inline]
    pub fn apply<T: Scalar>(&self, x: T) -> T {
        match *self {
            Unary::Neg => -x,
            Unary::Scale(c) => x * T::from_f64(c),
            Unary::AddConst(c) => x + T::from_f64(c),
            Unary::Exp => x.exp(),
            Unary::Ln => x.ln(),
            Unary::Sqrt => x.sqrt(),
            Unary::Powf(p) => x.powf(T::from_f64(p)),
            Unary::Abs => x.abs(),
            Unary::Sigmoid => x.sigmoid(),
            Unary::Tanh => x.tanh(),
            Unary::Relu => x.relu(),
            Unary::Softplus => x.softplus(),
            Unary::Clamp { lo, hi } => {
                let v = x.value();
                if v < lo {
                    T::from_f64(lo)
                } else if v > hi {
                    T::from_f64(hi)
                } else {
                    x
                }
            }
        }
    }

    /// `g · f'(x)` for one element, given `y = f(x)`.
    #[inline]
    pub fn backprop<T: Scalar>(&self, x: T, y: T, g: T) -> T {
        match *self {
            Unary::Neg => -g,
            Unary::Scale(c) => g * T::from_f64(c),
            Unary::AddConst(_) => g,
            Unary::Exp => g * y,
            Unary::Ln => g / x,
            Unary::Sqrt => g * T::from_f64(0.5) / y,
            Unary::Powf(p) => g * T::from_f64(p) * x.powf(T::from_f64(p - 1.0)),
            Unary::Abs => {
                let v = x.value();
                if v > 0.0 {
                    g
                } else if v < 0.0 {
                    -g
                } else {
                    T::zero()
                }
            }
            Unary::Sigmoid => g * y * (T::one() - y),
            Unary::Tanh => g * (T::one() - y * y),
            Unary::Relu => {
                if x.value() > 0.0 {
                    g
                } else {
                    T::zero()
                }
            }
            Unary::Softplus => g * x.sigmoid(),
            Unary::Clamp { lo, hi } => {
                let v = x.value();
                if v > lo && v < hi {
                    g
                } else {
                    T::zero()
                }
            }
        }
    }
}

/// `out = f(x)` elementwise.
pub fn unary_forward<T: Scalar>(op: Unary, x: &[T], out: &mut [T]) {
    for (o, &x) in out.iter_mut().zip(x) {
        *o = op.apply(x);
    }
}

/// `gx += g ⊙ f'(x)` elementwise, with `y = f(x)` the forward value.
pub fn unary_vjp<T: Scalar>(op: Unary, x: &[T], y: &[T], g: &[T], gx: &mut [T]) {
    for (((gx, &x), &y), &g) in gx.iter_mut().zip(x).zip(y).zip(g) {
        *gx += op.backprop(x, y, g);
    }
}
