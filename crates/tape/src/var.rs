//! `Var<'t, T>`: a scalar on the tape, with the reverse-mode rule of every
//! elementary function.
//!
//! A `Var` is a small `Copy` handle: its value, the index of its node, and a
//! reference to its tape (none for constants). Every operation computes its value
//! and its local partials right away and records one node; nothing is deferred.
//! These rules are written independently of the dual-number rules in
//! `wengert-dual`, so reverse and forward mode agreeing is evidence, not tautology.

use std::fmt;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use wengert_ops::Scalar;

use crate::tape::{Tape, SINK};

/// A scalar recorded on a [`Tape`] (or an untracked constant).
///
/// Implements [`Scalar`] and [`Real`](wengert_ops::Real), so generic model code
/// runs on it unchanged. Comparisons (`<`, `==`, …) compare values: use them for
/// control flow; the branch taken is what gets differentiated.
///
/// ```
/// use wengert_tape::Tape;
/// let tape = Tape::new();
/// let x = tape.var(3.0);
/// let y = if x > 0.0 { x * x } else { -x };
/// assert_eq!(tape.backward(y)[x], 6.0);
/// ```
#[derive(Clone, Copy)]
pub struct Var<'t, T: Scalar = f64> {
    pub(crate) tape: Option<&'t Tape<T>>,
    pub(crate) idx: u32,
    val: T,
}

impl<'t, T: Scalar> Var<'t, T> {
    #[inline(always)]
    pub(crate) fn tracked(tape: &'t Tape<T>, idx: u32, val: T) -> Self {
        Var { tape: Some(tape), idx, val }
    }

    /// An untracked constant: takes part in arithmetic, has no node and no
    /// gradient.
    #[inline(always)]
    pub fn constant(value: T) -> Self {
        Var { tape: None, idx: SINK, val: value }
    }

    /// The value, as the tape's element type.
    #[inline(always)]
    pub fn primal(&self) -> T {
        self.val
    }

    /// Whether this variable is recorded on a tape (false for constants and
    /// detached values).
    #[inline(always)]
    pub fn is_tracked(&self) -> bool {
        self.tape.is_some()
    }

    /// The tape this variable is recorded on, if any.
    #[inline(always)]
    pub fn tape(&self) -> Option<&'t Tape<T>> {
        self.tape
    }

    /// The same value with the gradient stopped: the result is a constant, so
    /// nothing flows back through it (`stop_gradient` in other frameworks).
    #[inline(always)]
    pub fn detach(self) -> Self {
        Var::constant(self.val)
    }

    /// Records a unary op with local partial `d`.
    #[inline(always)]
    fn unary(self, val: T, d: T) -> Self {
        match self.tape {
            Some(t) => Var::tracked(t, t.push([self.idx, SINK], [d, T::zero()]), val),
            None => Var::constant(val),
        }
    }

    /// Records a binary op with local partials `da`, `db`.
    ///
    /// The common case (both operands tracked on the same tape) is inlined into
    /// the caller; constants and errors take the out-of-line path.
    #[inline(always)]
    fn binary(self, other: Self, val: T, da: T, db: T) -> Self {
        if let (Some(t), Some(u)) = (self.tape, other.tape) {
            if std::ptr::eq(t, u) {
                return Var::tracked(t, t.push([self.idx, other.idx], [da, db]), val);
            }
        }
        self.binary_slow(other, val, da, db)
    }

    #[cold]
    #[inline(never)]
    fn binary_slow(self, other: Self, val: T, da: T, db: T) -> Self {
        match (self.tape, other.tape) {
            (Some(_), Some(_)) => panic!("Var: an operation mixes variables of two different tapes"),
            (Some(t), None) => Var::tracked(t, t.push([self.idx, SINK], [da, T::zero()]), val),
            (None, Some(u)) => Var::tracked(u, u.push([other.idx, SINK], [db, T::zero()]), val),
            (None, None) => Var::constant(val),
        }
    }
}

impl<T: Scalar> fmt::Debug for Var<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.tape {
            Some(_) => write!(f, "Var({:?} @ node {})", self.val, self.idx),
            None => write!(f, "Var({:?}, constant)", self.val),
        }
    }
}

impl<T: Scalar> fmt::Display for Var<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.val, f)
    }
}

impl<T: Scalar> PartialEq for Var<'_, T> {
    fn eq(&self, other: &Self) -> bool {
        self.val == other.val
    }
}

impl<T: Scalar> PartialOrd for Var<'_, T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        self.val.partial_cmp(&other.val)
    }
}

impl<T: Scalar> PartialEq<f64> for Var<'_, T> {
    fn eq(&self, other: &f64) -> bool {
        self.val.value() == *other
    }
}

impl<T: Scalar> PartialOrd<f64> for Var<'_, T> {
    fn partial_cmp(&self, other: &f64) -> Option<std::cmp::Ordering> {
        self.val.value().partial_cmp(other)
    }
}

impl<T: Scalar> Add for Var<'_, T> {
    type Output = Self;
    #[inline(always)]
    fn add(self, rhs: Self) -> Self {
        self.binary(rhs, self.val + rhs.val, T::one(), T::one())
    }
}

impl<T: Scalar> Sub for Var<'_, T> {
    type Output = Self;
    #[inline(always)]
    fn sub(self, rhs: Self) -> Self {
        self.binary(rhs, self.val - rhs.val, T::one(), -T::one())
    }
}

impl<T: Scalar> Mul for Var<'_, T> {
    type Output = Self;
    #[inline(always)]
    fn mul(self, rhs: Self) -> Self {
        self.binary(rhs, self.val * rhs.val, rhs.val, self.val)
    }
}

impl<T: Scalar> Div for Var<'_, T> {
    type Output = Self;
    #[inline(always)]
    fn div(self, rhs: Self) -> Self {
        // The value is a true division, so it matches plain f64 code bit for bit.
        let q = self.val / rhs.val;
        let inv = rhs.val.recip();
        self.binary(rhs, q, inv, -q * inv)
    }
}

impl<T: Scalar> Neg for Var<'_, T> {
    type Output = Self;
    #[inline(always)]
    fn neg(self) -> Self {
        self.unary(-self.val, -T::one())
    }
}

// Mixed arithmetic with f64 constants, on both sides. A constant operand records
// a unary node (one partial), not a binary one.
impl<T: Scalar> Add<f64> for Var<'_, T> {
    type Output = Self;
    #[inline(always)]
    fn add(self, c: f64) -> Self {
        self.unary(self.val + T::from_f64(c), T::one())
    }
}
impl<T: Scalar> Sub<f64> for Var<'_, T> {
    type Output = Self;
    #[inline(always)]
    fn sub(self, c: f64) -> Self {
        self.unary(self.val - T::from_f64(c), T::one())
    }
}
impl<T: Scalar> Mul<f64> for Var<'_, T> {
    type Output = Self;
    #[inline(always)]
    fn mul(self, c: f64) -> Self {
        let c = T::from_f64(c);
        self.unary(self.val * c, c)
    }
}
impl<T: Scalar> Div<f64> for Var<'_, T> {
    type Output = Self;
    #[inline(always)]
    fn div(self, c: f64) -> Self {
        let c = T::from_f64(c);
        self.unary(self.val / c, c.recip())
    }
}
impl<'t, T: Scalar> Add<Var<'t, T>> for f64 {
    type Output = Var<'t, T>;
    #[inline(always)]
    fn add(self, x: Var<'t, T>) -> Var<'t, T> {
        x + self
    }
}
impl<'t, T: Scalar> Sub<Var<'t, T>> for f64 {
    type Output = Var<'t, T>;
    #[inline(always)]
    fn sub(self, x: Var<'t, T>) -> Var<'t, T> {
        x.unary(T::from_f64(self) - x.val, -T::one())
    }
}
impl<'t, T: Scalar> Mul<Var<'t, T>> for f64 {
    type Output = Var<'t, T>;
    #[inline(always)]
    fn mul(self, x: Var<'t, T>) -> Var<'t, T> {
        x * self
    }
}
impl<'t, T: Scalar> Div<Var<'t, T>> for f64 {
    type Output = Var<'t, T>;
    #[inline(always)]
    fn div(self, x: Var<'t, T>) -> Var<'t, T> {
        let q = T::from_f64(self) / x.val;
        x.unary(q, -q / x.val)
    }
}

macro_rules! assign_ops {
    ($($tr:ident $method:ident $op:tt),*) => {$(
        impl<T: Scalar> $tr for Var<'_, T> {
            #[inline(always)]
            fn $method(&mut self, rhs: Self) {
                *self = *self $op rhs;
            }
        }
        impl<T: Scalar> $tr<f64> for Var<'_, T> {
            #[inline(always)]
            fn $method(&mut self, rhs: f64) {
                *self = *self $op rhs;
            }
        }
    )*};
}
assign_ops!(AddAssign add_assign +, SubAssign sub_assign -, MulAssign mul_assign *, DivAssign div_assign /);

impl<T: Scalar> std::iter::Sum for Var<'_, T> {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Var::constant(T::zero()), |a, b| a + b)
    }
}

impl<T: Scalar> Scalar for Var<'_, T> {
    #[inline(always)]
    fn from_f64(x: f64) -> Self {
        Var::constant(T::from_f64(x))
    }
    #[inline(always)]
    fn value(self) -> f64 {
        self.val.value()
    }
    #[inline(always)]
    fn exp(self) -> Self {
        let e = self.val.exp();
        self.unary(e, e)
    }
    #[inline(always)]
    fn ln(self) -> Self {
        self.unary(self.val.ln(), self.val.recip())
    }
    #[inline(always)]
    fn ln_1p(self) -> Self {
        self.unary(self.val.ln_1p(), (T::one() + self.val).recip())
    }
    #[inline(always)]
    fn exp_m1(self) -> Self {
        self.unary(self.val.exp_m1(), self.val.exp())
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        let s = self.val.sqrt();
        self.unary(s, (s + s).recip())
    }
    #[inline(always)]
    fn powi(self, n: i32) -> Self {
        let d = match n {
            0 => T::zero(),
            _ => T::from_f64(f64::from(n)) * self.val.powi(n - 1),
        };
        self.unary(self.val.powi(n), d)
    }
    #[inline(always)]
    fn powf(self, p: Self) -> Self {
        let v = self.val.powf(p.val);
        // ∂/∂x = p·x^{p−1}; ∂/∂p = x^p·ln x, taken as 0 at x = 0 (its limit for
        // p > 0) and skipped entirely when the exponent is a constant.
        let dx = if p.val == T::zero() { T::zero() } else { p.val * self.val.powf(p.val - T::one()) };
        if p.tape.is_none() {
            return self.unary(v, dx);
        }
        let dp = if self.val == T::zero() { T::zero() } else { v * self.val.ln() };
        self.binary(p, v, dx, dp)
    }
    #[inline(always)]
    fn sin(self) -> Self {
        self.unary(self.val.sin(), self.val.cos())
    }
    #[inline(always)]
    fn cos(self) -> Self {
        self.unary(self.val.cos(), -self.val.sin())
    }
    #[inline(always)]
    fn tan(self) -> Self {
        let t = self.val.tan();
        self.unary(t, T::one() + t * t)
    }
    #[inline(always)]
    fn tanh(self) -> Self {
        let t = self.val.tanh();
        self.unary(t, T::one() - t * t)
    }
    #[inline(always)]
    fn sigmoid(self) -> Self {
        // With e = e^{−|x|}: σ(x) = 1/(1+e) or e/(1+e), and σ(1−σ) = e/(1+e)² on
        // both sides — accurate where 1 − σ(x) would cancel (large x).
        let e = (-self.val.abs()).exp();
        let q = T::one() + e;
        let s = if self.val >= T::zero() { q.recip() } else { e / q };
        self.unary(s, e / (q * q))
    }
    #[inline(always)]
    fn softplus(self) -> Self {
        self.unary(self.val.softplus(), self.val.sigmoid())
    }
    #[inline(always)]
    fn relu(self) -> Self {
        if self.val > T::zero() {
            self.unary(self.val, T::one())
        } else {
            self.unary(T::zero(), T::zero())
        }
    }
    #[inline(always)]
    fn abs(self) -> Self {
        let zero = T::zero();
        let d = if self.val > zero {
            T::one()
        } else if self.val < zero {
            -T::one()
        } else {
            zero
        };
        self.unary(self.val.abs(), d)
    }
    #[inline(always)]
    fn max(self, other: Self) -> Self {
        if other.val > self.val {
            other
        } else {
            self
        }
    }
    #[inline(always)]
    fn min(self, other: Self) -> Self {
        if other.val < self.val {
            other
        } else {
            self
        }
    }
    #[inline(always)]
    fn recip(self) -> Self {
        let inv = self.val.recip();
        self.unary(inv, -inv * inv)
    }
    #[inline(always)]
    fn square(self) -> Self {
        self.unary(self.val * self.val, self.val + self.val)
    }
}
