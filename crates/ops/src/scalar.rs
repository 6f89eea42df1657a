//! The scalar traits every model is written against.
//!
//! Two traits, for a reason the orphan rule forces on us:
//!
//! * [`Scalar`] is the element type of everything numeric in wengert: arithmetic
//!   with itself, the elementary functions, comparison by value, conversion from and
//!   to `f64`. It is implemented for `f32` and `f64` here, for `Dual<T>` in
//!   `wengert-dual` and for the tape variable `Var<'t, T>` in `wengert-tape`.
//!   Matrices, tapes and kernels are generic over it.
//! * [`Real`] is `Scalar` plus arithmetic with `f64` constants on the right
//!   (`x * 2.0`, `x - 1.0`), so generic model code reads like the math. It is a
//!   blanket trait: every `Scalar` that has those operators is `Real`. `f64`, `Dual`
//!   and `Var` are; `f32` cannot be, because `impl Add<f64> for f32` is forbidden
//!   to any crate but `core`. Concrete `f32` code does not miss it: a literal next
//!   to an `f32` is already an `f32`.
//!
//! Constants on the *left* (`2.0 * x`) work on every concrete type (`f64`, `Dual`,
//! `Var`). In generic code (`fn f<T: Real>`) Rust cannot express that bound as part
//! of a trait (rust-lang/rust#20671), so write `x * 2.0` or `T::from_f64(2.0) * x`.
//!
//! Every implementation writes its own derivative rules: `f64` has none, `Dual`
//! carries tangents forward, `Var` records local partials on the tape. Keeping the
//! rules independent is what makes "reverse mode agrees with forward mode" a real
//! check rather than a tautology.

use std::fmt::{Debug, Display};
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

/// The element type of all numeric code in wengert.
///
/// Implemented for `f32`, `f64`, `Dual<T>` (forward mode) and `Var<'t, T>`
/// (reverse mode). See the [module docs](self) for how it relates to [`Real`].
///
/// ```
/// use wengert_ops::Scalar;
/// fn softplus_sum<T: Scalar>(xs: &[T]) -> T {
///     xs.iter().fold(T::zero(), |acc, &x| acc + x.softplus())
/// }
/// assert!((softplus_sum(&[0.0f64, 0.0]) - 2.0 * 2f64.ln()).abs() < 1e-15);
/// ```
pub trait Scalar:
    Copy
    + Debug
    + Display
    + PartialEq
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
{
    /// Converts an `f64` constant. For tracked types the result is an untracked
    /// constant (zero tangent, no tape node).
    fn from_f64(x: f64) -> Self;
    /// The plain value as `f64`: the real part of a dual number, the value of a tape
    /// variable. Use it for control flow, printing and metrics.
    fn value(self) -> f64;
    /// Additive identity.
    #[inline]
    fn zero() -> Self {
        Self::from_f64(0.0)
    }
    /// Multiplicative identity.
    #[inline]
    fn one() -> Self {
        Self::from_f64(1.0)
    }
    /// `e^x`.
    fn exp(self) -> Self;
    /// Natural logarithm.
    fn ln(self) -> Self;
    /// `ln(1 + x)`, accurate for small `x`.
    fn ln_1p(self) -> Self;
    /// `e^x - 1`, accurate for small `x`.
    fn exp_m1(self) -> Self;
    /// Square root.
    fn sqrt(self) -> Self;
    /// Integer power.
    fn powi(self, n: i32) -> Self;
    /// Real power `self^p` (both may be tracked).
    fn powf(self, p: Self) -> Self;
    /// Sine.
    fn sin(self) -> Self;
    /// Cosine.
    fn cos(self) -> Self;
    /// Tangent.
    fn tan(self) -> Self;
    /// Hyperbolic tangent.
    fn tanh(self) -> Self;
    /// Logistic function `1 / (1 + e^{-x})`, computed without overflow.
    fn sigmoid(self) -> Self;
    /// `ln(1 + e^x)`, computed without overflow.
    fn softplus(self) -> Self;
    /// `max(x, 0)`; its derivative at 0 is taken as 0. NaN propagates (value and
    /// derivative).
    fn relu(self) -> Self;
    /// Absolute value; its derivative at 0 is taken as 0, at NaN is NaN.
    fn abs(self) -> Self;
    /// The larger of two values (ties pick `self`); the derivative follows the
    /// pick. A NaN operand is picked, whichever side it is on, so NaN propagates.
    fn max(self, other: Self) -> Self;
    /// The smaller of two values (ties pick `self`); the derivative follows the
    /// pick. A NaN operand is picked, whichever side it is on.
    fn min(self, other: Self) -> Self;
    /// `1 / x`.
    #[inline]
    fn recip(self) -> Self {
        Self::one() / self
    }
    /// `x²`.
    #[inline]
    fn square(self) -> Self {
        self * self
    }
    /// Whether this is exactly zero in every component: the value, and for dual
    /// numbers every tangent too (unlike `==`, which compares values only).
    ///
    /// The reverse sweep skips a node whose adjoint is exactly zero, so an
    /// infinite or NaN partial of a node that does not reach the output can
    /// never turn `0 · ∞` into a NaN gradient.
    #[inline]
    fn is_exact_zero(self) -> bool {
        self == Self::zero()
    }
    /// Whether the value is finite (not NaN, not ±∞).
    #[inline]
    fn is_finite(self) -> bool {
        self.value().is_finite()
    }

    /// Matrix product kernel: `c = a·b` (or `c += a·b` when `accumulate`), with `c`
    /// row-major `m × n` and contiguous, `a` an `m × k` and `b` a `k × n` strided view
    /// (so transposed operands cost nothing).
    ///
    /// The default is a plain triple loop that works for any `Scalar`, including
    /// dual numbers; `f32` and `f64` override it with a tuned kernel.
    fn gemm(
        accumulate: bool,
        m: usize,
        n: usize,
        k: usize,
        a: Strided<'_, Self>,
        b: Strided<'_, Self>,
        c: &mut [Self],
    ) {
        crate::kernels::gemm_fallback(accumulate, m, n, k, a, b, c);
    }
}

/// A read-only 2-D view with arbitrary row and column strides (in elements).
///
/// Element `(i, j)` is `data[i * row_stride + j * col_stride]`. A row-major matrix
/// has strides `(cols, 1)`; its transpose is the same data with `(1, cols)`.
#[derive(Clone, Copy, Debug)]
pub struct Strided<'a, T> {
    /// The backing elements.
    pub data: &'a [T],
    /// Distance between consecutive rows.
    pub row_stride: usize,
    /// Distance between consecutive columns.
    pub col_stride: usize,
}

impl<'a, T: Copy> Strided<'a, T> {
    /// Element `(i, j)`.
    #[inline]
    pub fn at(&self, i: usize, j: usize) -> T {
        self.data[i * self.row_stride + j * self.col_stride]
    }
}

/// [`Scalar`] plus arithmetic with `f64` constants on the right, so generic model
/// code can write `x * 100.0` and `x - 1.0`.
///
/// A blanket trait: implemented for every `Scalar` with those operators (`f64`,
/// `Dual<T>`, `Var<'t, T>`). See the [module docs](self) for why `f32` is not.
///
/// ```
/// use wengert_ops::Real;
/// fn rosenbrock<T: Real>(x: &[T]) -> T {
///     x.windows(2).fold(T::zero(), |acc, w| {
///         acc + (w[1] - w[0] * w[0]).square() * 100.0 + (w[0] - 1.0).square()
///     })
/// }
/// assert_eq!(rosenbrock(&[1.0, 1.0, 1.0]), 0.0);
/// ```
pub trait Real:
    Scalar + Add<f64, Output = Self> + Sub<f64, Output = Self> + Mul<f64, Output = Self> + Div<f64, Output = Self>
{
}

impl<T> Real for T where
    T: Scalar + Add<f64, Output = T> + Sub<f64, Output = T> + Mul<f64, Output = T> + Div<f64, Output = T>
{
}

macro_rules! impl_scalar_for_float {
    ($t:ty) => {
        impl Scalar for $t {
            #[inline]
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            #[inline]
            fn value(self) -> f64 {
                self as f64
            }
            #[inline]
            fn exp(self) -> Self {
                <$t>::exp(self)
            }
            #[inline]
            fn ln(self) -> Self {
                <$t>::ln(self)
            }
            #[inline]
            fn ln_1p(self) -> Self {
                <$t>::ln_1p(self)
            }
            #[inline]
            fn exp_m1(self) -> Self {
                <$t>::exp_m1(self)
            }
            #[inline]
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
            #[inline]
            fn powi(self, n: i32) -> Self {
                <$t>::powi(self, n)
            }
            #[inline]
            fn powf(self, p: Self) -> Self {
                <$t>::powf(self, p)
            }
            #[inline]
            fn sin(self) -> Self {
                <$t>::sin(self)
            }
            #[inline]
            fn cos(self) -> Self {
                <$t>::cos(self)
            }
            #[inline]
            fn tan(self) -> Self {
                <$t>::tan(self)
            }
            #[inline]
            fn tanh(self) -> Self {
                <$t>::tanh(self)
            }
            #[inline]
            fn sigmoid(self) -> Self {
                // Evaluate through e^{-|x|} so neither branch can overflow.
                let e = <$t>::exp(-<$t>::abs(self));
                if self >= 0.0 {
                    1.0 / (1.0 + e)
                } else {
                    e / (1.0 + e)
                }
            }
            #[inline]
            fn softplus(self) -> Self {
                // ln(1 + e^x) = max(x, 0) + ln(1 + e^{-|x|}).
                <$t>::max(self, 0.0) + <$t>::ln_1p(<$t>::exp(-<$t>::abs(self)))
            }
            /// NaN propagates (`max(x, 0)` of IEEE would drop it).
            #[inline]
            fn relu(self) -> Self {
                if self > 0.0 || self.is_nan() {
                    self
                } else {
                    0.0
                }
            }
            #[inline]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            /// NaN wins whichever side it is on (IEEE `maxNum` would drop it).
            #[inline]
            fn max(self, other: Self) -> Self {
                if other > self || other.is_nan() {
                    other
                } else {
                    self
                }
            }
            /// NaN wins whichever side it is on.
            #[inline]
            fn min(self, other: Self) -> Self {
                if other < self || other.is_nan() {
                    other
                } else {
                    self
                }
            }
            #[inline]
            fn recip(self) -> Self {
                1.0 / self
            }
            #[inline]
            fn gemm(
                accumulate: bool,
                m: usize,
                n: usize,
                k: usize,
                a: Strided<'_, Self>,
                b: Strided<'_, Self>,
                c: &mut [Self],
            ) {
                crate::kernels::gemm_float(accumulate, m, n, k, a, b, c);
            }
        }
    };
}

impl_scalar_for_float!(f32);
impl_scalar_for_float!(f64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigmoid_and_softplus_are_finite_and_accurate_at_extremes() {
        for &x in &[-1000.0f64, -40.0, -1.0, 0.0, 1.0, 40.0, 1000.0] {
            let s = Scalar::sigmoid(x);
            assert!(s.is_finite() && (0.0..=1.0).contains(&s), "sigmoid({x}) = {s}");
            let sp = Scalar::softplus(x);
            assert!(sp.is_finite() && sp >= 0.0, "softplus({x}) = {sp}");
        }
        assert_eq!(Scalar::sigmoid(0.0f64), 0.5);
        assert!((Scalar::softplus(1000.0f64) - 1000.0).abs() < 1e-12);
        assert!((Scalar::softplus(0.0f64) - 2f64.ln()).abs() < 1e-15);
        assert!((Scalar::sigmoid(-40.0f64) - (-40f64).exp() / (1.0 + (-40f64).exp())).abs() < 1e-30);
    }

    #[test]
    fn relu_abs_max_min_follow_their_conventions() {
        assert_eq!(Scalar::relu(-2.0f64), 0.0);
        assert_eq!(Scalar::relu(3.0f32), 3.0);
        assert_eq!(Scalar::max(1.0f64, 2.0), 2.0);
        assert_eq!(Scalar::min(1.0f64, 2.0), 1.0);
        assert_eq!(Scalar::abs(-3.0f64), 3.0);
    }

    fn generic_poly<T: Real>(x: T) -> T {
        (x - 1.0) * 3.0 + x * x / 2.0
    }

    #[test]
    fn real_allows_right_hand_f64_constants_in_generic_code() {
        assert_eq!(generic_poly(2.0f64), 5.0);
    }
}
