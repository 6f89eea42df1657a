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

/// `out[k] = f(x[k])` for every `k`: one tight loop, no per-element dispatch.
#[inline]
fn map<T: Scalar>(x: &[T], out: &mut [T], f: impl Fn(T) -> T) {
    for (o, &x) in out.iter_mut().zip(x) {
        *o = f(x);
    }
}

/// `out = f(x)` elementwise.
///
/// Same values as [`Unary::apply`] per element; the `match` on the variant is
/// taken once, outside a tight loop per variant, so the loops can vectorize.
pub fn unary_forward<T: Scalar>(op: Unary, x: &[T], out: &mut [T]) {
    match op {
        Unary::Neg => map(x, out, |x| -x),
        Unary::Scale(c) => {
            let c = T::from_f64(c);
            map(x, out, |x| x * c)
        }
        Unary::AddConst(c) => {
            let c = T::from_f64(c);
            map(x, out, |x| x + c)
        }
        Unary::Exp => map(x, out, T::exp),
        Unary::Ln => map(x, out, T::ln),
        Unary::Sqrt => map(x, out, T::sqrt),
        Unary::Powf(p) => {
            let p = T::from_f64(p);
            map(x, out, |x| x.powf(p))
        }
        Unary::Abs => map(x, out, T::abs),
        Unary::Sigmoid => map(x, out, T::sigmoid),
        Unary::Tanh => map(x, out, T::tanh),
        Unary::Relu => map(x, out, T::relu),
        Unary::Softplus => map(x, out, T::softplus),
        Unary::Clamp { lo, hi } => {
            let (lo_t, hi_t) = (T::from_f64(lo), T::from_f64(hi));
            map(x, out, |x| {
                let v = x.value();
                if v < lo {
                    lo_t
                } else if v > hi {
                    hi_t
                } else {
                    x
                }
            })
        }
    }
}

/// `gx[k] += f(g[k])`.
#[inline]
fn acc_g<T: Scalar>(g: &[T], gx: &mut [T], f: impl Fn(T) -> T) {
    for (gx, &g) in gx.iter_mut().zip(g) {
        *gx += f(g);
    }
}

/// `gx[k] += f(v[k], g[k])`, with `v` the input or the output.
#[inline]
fn acc_vg<T: Scalar>(v: &[T], g: &[T], gx: &mut [T], f: impl Fn(T, T) -> T) {
    for ((gx, &v), &g) in gx.iter_mut().zip(v).zip(g) {
        *gx += f(v, g);
    }
}

/// `gx += g ⊙ f'(x)` elementwise, with `y = f(x)` the forward value.
///
/// Same values as [`Unary::backprop`] per element; the `match` on the variant
/// is taken once, outside a tight loop per variant (reading only the operands
/// that variant needs), and the kinks (`relu`, `abs`, `clamp`) are selects
/// between `g`, `−g` and 0 rather than data-dependent branches.
pub fn unary_vjp<T: Scalar>(op: Unary, x: &[T], y: &[T], g: &[T], gx: &mut [T]) {
    // Every variant walks the common length, as the four-way zip would.
    let len = gx.len().min(x.len()).min(y.len()).min(g.len());
    let (x, y, g, gx) = (&x[..len], &y[..len], &g[..len], &mut gx[..len]);
    match op {
        Unary::Neg => acc_g(g, gx, |g| -g),
        Unary::Scale(c) => {
            let c = T::from_f64(c);
            acc_g(g, gx, |g| g * c)
        }
        Unary::AddConst(_) => acc_g(g, gx, |g| g),
        Unary::Exp => acc_vg(y, g, gx, |y, g| g * y),
        Unary::Ln => acc_vg(x, g, gx, |x, g| g / x),
        Unary::Sqrt => {
            let half = T::from_f64(0.5);
            acc_vg(y, g, gx, |y, g| g * half / y)
        }
        Unary::Powf(p) => {
            let (pt, pm1) = (T::from_f64(p), T::from_f64(p - 1.0));
            acc_vg(x, g, gx, |x, g| g * pt * x.powf(pm1))
        }
        Unary::Abs => acc_vg(x, g, gx, |x, g| {
            // 0 at 0 (and for NaN), as in `Unary::backprop`.
            let v = x.value();
            let pos = if v > 0.0 { g } else { T::zero() };
            if v < 0.0 {
                -g
            } else {
                pos
            }
        }),
        Unary::Sigmoid => acc_vg(y, g, gx, |y, g| g * y * (T::one() - y)),
        Unary::Tanh => acc_vg(y, g, gx, |y, g| g * (T::one() - y * y)),
        Unary::Relu => acc_vg(x, g, gx, |x, g| if x.value() > 0.0 { g } else { T::zero() }),
        Unary::Softplus => acc_vg(x, g, gx, |x, g| g * x.sigmoid()),
        Unary::Clamp { lo, hi } => acc_vg(x, g, gx, |x, g| {
            let v = x.value();
            if v > lo && v < hi {
                g
            } else {
                T::zero()
            }
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
    }

    /// The per-variant loops agree with `apply` / `backprop` element by element,
    /// kinks (0), both signs, bounds and NaN included.
    #[test]
    fn hoisted_loops_match_the_scalar_rules() {
        let x = [-2.5, -0.5, -0.0, 0.0, 0.25, 0.5, 1.75, 3.0, f64::NAN];
        let g: Vec<f64> = (0..x.len()).map(|k| 0.3 * k as f64 - 1.1).collect();
        let ops = [
            Unary::Neg,
            Unary::Scale(-1.5),
            Unary::AddConst(0.75),
            Unary::Exp,
            Unary::Ln,
            Unary::Sqrt,
            Unary::Powf(2.5),
            Unary::Abs,
            Unary::Sigmoid,
            Unary::Tanh,
            Unary::Relu,
            Unary::Softplus,
            Unary::Clamp { lo: -0.5, hi: 0.5 },
        ];
        for op in ops {
            let mut y = vec![0.0; x.len()];
            unary_forward(op, &x, &mut y);
            let y_ref: Vec<f64> = x.iter().map(|&v| op.apply(v)).collect();
            assert!(same(&y, &y_ref), "{op:?} forward: {y:?} vs {y_ref:?}");
            let mut gx = vec![0.125; x.len()];
            unary_vjp(op, &x, &y, &g, &mut gx);
            let gx_ref: Vec<f64> = (0..x.len()).map(|k| 0.125 + op.backprop(x[k], y[k], g[k])).collect();
            assert!(same(&gx, &gx_ref), "{op:?} vjp: {gx:?} vs {gx_ref:?}");
        }
    }
}
