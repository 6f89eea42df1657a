//! Elementwise functions of one matrix: `y = f(x)` applied to every element.
//!
//! Each op states only what is particular to it ([`Elementwise`]): its value per
//! element and `d · f'(x)` per element. The loops are written once, in the
//! [`Rule`] implementation every `Elementwise` op gets: the VJP is
//! `gx += g ⊙ f'(x)`, and the JVP `ẏ = f'(x) ⊙ ẋ` is the same per-element
//! product with the tangent in place of the adjoint (the Jacobian of an
//! elementwise function is diagonal, hence its own transpose). Each op is its
//! own type, so every loop is compiled for that one function (no per-element
//! dispatch) and vectorizes where the function allows.
//!
//! Kink conventions (each derivative at a non-differentiable point is a choice;
//! ours follow the scalar traits so reverse and forward mode agree):
//! `abs'(0) = 0`, `relu'(0) = 0`, and `clamp(lo, hi)` passes the gradient only
//! strictly inside `(lo, hi)`: at either bound and beyond it the derivative is 0.
//! NaN propagates: at a NaN input the value and the derivative of every op are
//! NaN (IEEE for the smooth ones; `relu`, `abs` and `clamp` say so explicitly,
//! where a comparison would otherwise pick a branch). `powf(0)` has derivative
//! exactly 0, also at `x = 0` (where `0·x⁻¹` would be `0·∞`).
//! Derivatives that reuse the output (`exp`, `sqrt`, `sigmoid`, `tanh`) read it
//! from `y` instead of recomputing.

use crate::matrix::Matrix;
use crate::rules::{op_family, Arity, Rule};
use crate::scalar::Scalar;

/// An elementwise function `y = f(x)`, one element at a time. Every
/// `Elementwise` type is a [`Rule`] (one input, output shape = input shape).
pub trait Elementwise {
    /// The op's name, as in errors.
    const NAME: &'static str;
    /// `f(x)`.
    fn value<T: Scalar>(&self, x: T) -> T;
    /// `d · f'(x)` for one element, given `y = f(x)`: the element's VJP with `d`
    /// the adjoint, and its JVP with `d` the tangent.
    fn times_derivative<T: Scalar>(&self, x: T, y: T, d: T) -> T;
    /// Checks the parameters, panicking with the op name (default: nothing to
    /// check).
    fn check(&self) {}
}

impl<E: Elementwise> Rule for E {
    fn name(&self) -> &'static str {
        E::NAME
    }
    fn arity(&self) -> Arity {
        Arity::Exactly(1)
    }
    fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize) {
        self.check();
        inputs[0]
    }
    #[inline]
    fn forward<T: Scalar>(&self, inputs: &[&Matrix<T>], out: &mut [T]) {
        for (o, &x) in out.iter_mut().zip(inputs[0].iter()) {
            *o = self.value(x);
        }
    }
    #[inline]
    fn vjp<T: Scalar>(&self, inputs: &[&Matrix<T>], output: &Matrix<T>, g: &[T], grads: &mut [Option<&mut [T]>]) {
        let Some(gx) = grads[0].as_deref_mut() else { return };
        for (((gx, &x), &y), &g) in gx.iter_mut().zip(inputs[0].iter()).zip(output.iter()).zip(g) {
            *gx += self.times_derivative(x, y, g);
        }
    }
    fn jvp<T: Scalar>(&self, inputs: &[&Matrix<T>], output: &Matrix<T>, tangents: &[Option<&[T]>], out: &mut [T]) {
        let Some(dx) = tangents[0] else {
            out.fill(T::zero());
            return;
        };
        for (((o, &x), &y), &d) in out.iter_mut().zip(inputs[0].iter()).zip(output.iter()).zip(dx) {
            *o = self.times_derivative(x, y, d);
        }
    }
}

/// The derivative factor of a kinked function (`relu`, `abs`, `clamp`) where
/// its derivative is 0 — except at NaN, where it is NaN: `d·x` there, so NaN
/// propagates into the VJP and the JVP as it does through the value (and as
/// the scalar `relu` and `abs` of `Var` and `Dual` do). A select, not a
/// product, elsewhere: a non-finite adjoint or tangent in the flat region
/// gives 0, not `∞·0`.
#[inline(always)]
fn at_nan_or_zero<T: Scalar>(x: T, d: T) -> T {
    if x.value().is_nan() {
        d * x
    } else {
        T::zero()
    }
}

/// `∂(xᵖ)/∂x = p·xᵖ⁻¹`, taken as exactly 0 when `p = 0` makes it `0·∞` (at
/// `x = 0`) or `0·NaN` (`x` NaN): `x⁰ ≡ 1` does not depend on `x`. The rule of
/// the scalar `powf` of `Var` and `Dual`; checked on the product rather than by
/// testing `p = 0` first, so a dual-number `p` whose value is 0 keeps its
/// tangent wherever the product is a number (second order).
#[inline(always)]
pub(crate) fn pow_d_base<T: Scalar>(x: T, p: T) -> T {
    let d = p * x.powf(p - T::one());
    if d.value().is_nan() && p == T::zero() {
        T::zero()
    } else {
        d
    }
}

op_family! {
    /// The elementwise functions (one input, output shape = input shape).
    pub enum UnaryOp in Builtin::Unary {
        Neg = Neg,
        Scale = Scale(-1.5),
        AddConst = AddConst(0.75),
        Exp = Exp,
        Ln = Ln,
        Sqrt = Sqrt,
        Powf = Powf(2.5),
        Abs = Abs,
        Sigmoid = Sigmoid,
        Tanh = Tanh,
        Relu = Relu,
        Softplus = Softplus,
        Clamp = Clamp { lo: -0.5, hi: 0.5 },
    }
}

/// `−x`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Neg;
impl Elementwise for Neg {
    const NAME: &'static str = "neg";
    fn value<T: Scalar>(&self, x: T) -> T {
        -x
    }
    fn times_derivative<T: Scalar>(&self, _x: T, _y: T, d: T) -> T {
        -d
    }
}

/// `c·x` for a constant `c`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scale(pub f64);
impl Elementwise for Scale {
    const NAME: &'static str = "scale";
    fn value<T: Scalar>(&self, x: T) -> T {
        x * T::from_f64(self.0)
    }
    fn times_derivative<T: Scalar>(&self, _x: T, _y: T, d: T) -> T {
        d * T::from_f64(self.0)
    }
}

/// `x + c` for a constant `c`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AddConst(pub f64);
impl Elementwise for AddConst {
    const NAME: &'static str = "add_const";
    fn value<T: Scalar>(&self, x: T) -> T {
        x + T::from_f64(self.0)
    }
    fn times_derivative<T: Scalar>(&self, _x: T, _y: T, d: T) -> T {
        d
    }
}

/// `eˣ`; the derivative reuses the output.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Exp;
impl Elementwise for Exp {
    const NAME: &'static str = "exp";
    fn value<T: Scalar>(&self, x: T) -> T {
        x.exp()
    }
    fn times_derivative<T: Scalar>(&self, _x: T, y: T, d: T) -> T {
        d * y
    }
}

/// `ln x` (domain `x > 0`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ln;
impl Elementwise for Ln {
    const NAME: &'static str = "ln";
    fn value<T: Scalar>(&self, x: T) -> T {
        x.ln()
    }
    fn times_derivative<T: Scalar>(&self, x: T, _y: T, d: T) -> T {
        d / x
    }
}

/// `√x` (domain `x ≥ 0`; derivative infinite at 0); the derivative reuses the
/// output.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sqrt;
impl Elementwise for Sqrt {
    const NAME: &'static str = "sqrt";
    fn value<T: Scalar>(&self, x: T) -> T {
        x.sqrt()
    }
    fn times_derivative<T: Scalar>(&self, _x: T, y: T, d: T) -> T {
        d * T::from_f64(0.5) / y
    }
}

/// `xᵖ` for a constant `p` (domain `x > 0` unless `p` is an integer);
/// derivative exactly 0 for `p = 0`, also at `x = 0`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Powf(pub f64);
impl Elementwise for Powf {
    const NAME: &'static str = "powf";
    fn value<T: Scalar>(&self, x: T) -> T {
        x.powf(T::from_f64(self.0))
    }
    fn times_derivative<T: Scalar>(&self, x: T, _y: T, d: T) -> T {
        d * pow_d_base(x, T::from_f64(self.0))
    }
}

/// `|x|`, derivative 0 at 0; NaN (value and derivative) at NaN.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Abs;
impl Elementwise for Abs {
    const NAME: &'static str = "abs";
    fn value<T: Scalar>(&self, x: T) -> T {
        x.abs()
    }
    fn times_derivative<T: Scalar>(&self, x: T, _y: T, d: T) -> T {
        // `d`, `−d` or 0 as selects rather than a data-dependent branch chain;
        // 0 at 0, and `d·x` (NaN) at NaN.
        let v = x.value();
        let pos = if v > 0.0 { d } else { at_nan_or_zero(x, d) };
        if v < 0.0 {
            -d
        } else {
            pos
        }
    }
}

/// `1 / (1 + e⁻ˣ)`, overflow-free; the derivative reuses the output.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sigmoid;
impl Elementwise for Sigmoid {
    const NAME: &'static str = "sigmoid";
    fn value<T: Scalar>(&self, x: T) -> T {
        x.sigmoid()
    }
    fn times_derivative<T: Scalar>(&self, _x: T, y: T, d: T) -> T {
        d * y * (T::one() - y)
    }
}

/// `tanh x`; the derivative reuses the output.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tanh;
impl Elementwise for Tanh {
    const NAME: &'static str = "tanh";
    fn value<T: Scalar>(&self, x: T) -> T {
        x.tanh()
    }
    fn times_derivative<T: Scalar>(&self, _x: T, y: T, d: T) -> T {
        d * (T::one() - y * y)
    }
}

/// `max(x, 0)`, derivative 0 at 0; NaN (value and derivative) at NaN.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Relu;
impl Elementwise for Relu {
    const NAME: &'static str = "relu";
    fn value<T: Scalar>(&self, x: T) -> T {
        x.relu()
    }
    fn times_derivative<T: Scalar>(&self, x: T, _y: T, d: T) -> T {
        if x.value() > 0.0 {
            d
        } else {
            at_nan_or_zero(x, d)
        }
    }
}

/// `ln(1 + eˣ)`, overflow-free.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Softplus;
impl Elementwise for Softplus {
    const NAME: &'static str = "softplus";
    fn value<T: Scalar>(&self, x: T) -> T {
        x.softplus()
    }
    fn times_derivative<T: Scalar>(&self, x: T, _y: T, d: T) -> T {
        d * x.sigmoid()
    }
}

/// `min(max(x, lo), hi)`; derivative 1 strictly inside `(lo, hi)`, else 0;
/// NaN (value and derivative) at NaN.
/// Panics (in the shape check) if `lo > hi` or either is NaN.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Clamp {
    /// Lower bound.
    pub lo: f64,
    /// Upper bound (`lo ≤ hi`).
    pub hi: f64,
}
impl Elementwise for Clamp {
    const NAME: &'static str = "clamp";
    fn value<T: Scalar>(&self, x: T) -> T {
        let v = x.value();
        if v < self.lo {
            T::from_f64(self.lo)
        } else if v > self.hi {
            T::from_f64(self.hi)
        } else {
            x
        }
    }
    fn times_derivative<T: Scalar>(&self, x: T, _y: T, d: T) -> T {
        let v = x.value();
        if v > self.lo && v < self.hi {
            d
        } else {
            at_nan_or_zero(x, d)
        }
    }
    fn check(&self) {
        let (lo, hi) = (self.lo, self.hi);
        assert!(lo <= hi, "clamp: lower bound {lo} exceeds upper bound {hi}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
    }

    /// The family's loops over a row of elements (forward, VJP, JVP, through
    /// the `UnaryOp` dispatch) agree with the same rules applied to one element
    /// at a time, kinks (0), both signs, bounds and NaN included; the VJP
    /// accumulates onto what the slot held, and the JVP is the same
    /// per-element product with the tangent in place of the adjoint.
    #[test]
    fn family_loops_match_the_per_element_rules() {
        let x = [-2.5, -0.5, -0.0, 0.0, 0.25, 0.5, 1.75, 3.0, f64::NAN];
        let g: Vec<f64> = (0..x.len()).map(|k| 0.3 * k as f64 - 1.1).collect();
        let row = |v: &[f64]| Matrix::from_vec(1, v.len(), v.to_vec());
        for op in UnaryOp::catalogue() {
            let mut y = vec![0.0; x.len()];
            op.forward(&[&row(&x)], &mut y);
            let (mut y_ref, mut gx_ref) = (vec![], vec![]);
            for k in 0..x.len() {
                let mut yk = [0.0];
                op.forward(&[&row(&x[k..=k])], &mut yk);
                let mut gk = [0.125];
                op.vjp(&[&row(&x[k..=k])], &row(&yk), &g[k..=k], &mut [Some(&mut gk[..])]);
                y_ref.push(yk[0]);
                gx_ref.push(gk[0]);
            }
            assert!(same(&y, &y_ref), "{op:?} forward: {y:?} vs {y_ref:?}");
            let mut gx = vec![0.125; x.len()];
            op.vjp(&[&row(&x)], &row(&y), &g, &mut [Some(&mut gx[..])]);
            assert!(same(&gx, &gx_ref), "{op:?} vjp: {gx:?} vs {gx_ref:?}");
            let mut dy = vec![f64::NAN; x.len()];
            op.jvp(&[&row(&x)], &row(&y), &[Some(&g)], &mut dy);
            // Onto −0.0, so that adding a zero product keeps its sign.
            let mut dg = vec![-0.0; x.len()];
            op.vjp(&[&row(&x)], &row(&y), &g, &mut [Some(&mut dg[..])]);
            assert!(same(&dy, &dg), "{op:?} jvp: {dy:?} vs {dg:?}");
        }
    }
}
