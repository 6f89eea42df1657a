//! The forward-mode derivative rules, written once for both dual types.
//!
//! Why a macro: [`Dual`](crate::Dual) (one tangent) and
//! [`DualVec`](crate::DualVec) (`N` tangents) apply exactly the same chain rule;
//! they only differ in how a tangent is stored. Each type provides three private
//! helpers and the macros below write the rules and operators in terms of them:
//!
//! * `from_re(re)`: a constant (every tangent zero);
//! * `map_tangents(re, f)`: a result with value `re` and tangents `f(eᵢ)`;
//! * `zip_tangents(other, re, f)`: a result with value `re` and tangents
//!   `f(aᵢ, bᵢ)`.
//!
//! A unary function `y = g(x)` becomes `chain(g(x), g'(x))` (tangents
//! `scale(e, g'(x))`) and a binary one `chain2(other, g(x, y), ∂g/∂x, ∂g/∂y)`
//! (tangents `scale(a, ∂g/∂x) + scale(b, ∂g/∂y)`); both compute the plain
//! products and fall back to the guarded `scale` only when one came out NaN.
//! Every rule is evaluated with the *inner* type's own arithmetic, so the rules
//! themselves are differentiated when the types are nested (second order).
//!
//! These rules are independent of the reverse-mode rules in `wengert-tape`, on
//! purpose: agreement between the two engines is then a real check.

use wengert_ops::Scalar;

/// `tangent · partial`, except that a tangent equal to zero stays exactly zero
/// when the local partial is not finite.
///
/// Why: a constant (zero tangent) fed into a function whose local derivative is
/// infinite there (`sqrt` at 0, `ln` at 0, the `ln x` term of `x^p` at `x = 0`,
/// `x^{p-1}` at 0 for `p < 1`) must stay a constant; plain IEEE arithmetic would
/// give `0 · ∞ = NaN` and poison every later tangent. When the partial is finite
/// the product is computed as usual, so `0 · partial` still carries the higher
/// order parts of a nested zero (`Dual(0, c) · partial` keeps `c · partial`); that
/// keeps mixed second derivatives exact where a value-only "is it zero?" test
/// would drop them. Comparison is by value (see [`Scalar`]'s `PartialEq`), which is
/// the only test available for a generic `T`.
///
/// How, cheaply: the product is computed first, and only a NaN product (which
/// `0 · ±∞` and `0 · NaN` are, and a finite partial never gives from a zero
/// tangent) is checked for a zero tangent. Both tests compile to compares and a
/// select, so the common case costs a multiply and no branch, and vector
/// tangents (`DualVec`) stay vectorizable.
#[inline(always)]
pub(crate) fn scale<T: Scalar>(tangent: T, partial: T) -> T {
    let p = tangent * partial;
    let poisoned = p.value().is_nan() & (tangent == T::zero());
    if poisoned {
        T::zero()
    } else {
        p
    }
}

/// The body of `impl Scalar for ...`: every elementary function with its own
/// derivative rule. Expanded inside an impl whose element type is called `T`.
macro_rules! scalar_rules {
    () => {
        #[inline]
        fn from_f64(x: f64) -> Self {
            Self::from_re(T::from_f64(x))
        }

        #[inline]
        fn value(self) -> f64 {
            self.re.value()
        }

        #[inline]
        fn zero() -> Self {
            Self::from_re(T::zero())
        }

        /// Zero value and every tangent zero (`==` looks at the value only).
        #[inline]
        fn is_exact_zero(self) -> bool {
            self.re.is_exact_zero() && self.all_tangents(|t| t.is_exact_zero())
        }

        #[inline]
        fn one() -> Self {
            Self::from_re(T::one())
        }

        /// `(e^x)' = e^x`.
        #[inline]
        fn exp(self) -> Self {
            let e = self.re.exp();
            self.chain(e, e)
        }

        /// `(ln x)' = 1/x`.
        #[inline]
        fn ln(self) -> Self {
            let d = self.re.recip();
            self.chain(self.re.ln(), d)
        }

        /// `(ln(1 + x))' = 1/(1 + x)`.
        #[inline]
        fn ln_1p(self) -> Self {
            let d = (T::one() + self.re).recip();
            self.chain(self.re.ln_1p(), d)
        }

        /// `(e^x - 1)' = e^x`.
        #[inline]
        fn exp_m1(self) -> Self {
            let d = self.re.exp();
            self.chain(self.re.exp_m1(), d)
        }

        /// `(√x)' = 1/(2√x)`.
        #[inline]
        fn sqrt(self) -> Self {
            let s = self.re.sqrt();
            let d = (s + s).recip();
            self.chain(s, d)
        }

        /// `(xⁿ)' = n·xⁿ⁻¹` (and exactly 0 for `n = 0`, also at `x = 0`).
        #[inline]
        fn powi(self, n: i32) -> Self {
            let d = match n {
                0 => T::zero(),
                // `n - 1` would overflow; the real power is exact for integers.
                i32::MIN => T::from_f64(f64::from(n)) * self.re.powf(T::from_f64(f64::from(n) - 1.0)),
                _ => T::from_f64(f64::from(n)) * self.re.powi(n - 1),
            };
            self.chain(self.re.powi(n), d)
        }

        /// `∂(x^p)/∂x = p·x^{p-1}` (0 when `p = 0`), `∂(x^p)/∂p = x^p·ln x` (0 at
        /// `x = 0` for `p > 0`, its limit). A constant exponent with a non-finite
        /// `ln x` term (`x < 0`) gives no NaN: the guard in `chain2` keeps a zero
        /// tangent zero. So `d/dx xˣ` at 0 is `−∞`, as its limit.
        #[inline]
        fn powf(self, p: Self) -> Self {
            let y = self.re.powf(p.re);
            let zero = T::zero();
            // x^p ≡ 1 when p = 0: no dependence on x, even at x = 0 (where
            // x^{p−1} = ∞); the guard keeps a nested exponent's inner parts.
            let d_base = $crate::rules::scale(p.re, self.re.powf(p.re - T::one()));
            // x^p·ln x → 0 as x → 0⁺ for p > 0.
            let d_exp = if self.re == zero && p.re > zero { zero } else { y * self.re.ln() };
            self.chain2(p, y, d_base, d_exp)
        }

        /// `(sin x)' = cos x`.
        #[inline]
        fn sin(self) -> Self {
            let d = self.re.cos();
            self.chain(self.re.sin(), d)
        }

        /// `(cos x)' = -sin x`.
        #[inline]
        fn cos(self) -> Self {
            let d = -self.re.sin();
            self.chain(self.re.cos(), d)
        }

        /// `(tan x)' = 1 + tan² x`.
        #[inline]
        fn tan(self) -> Self {
            let y = self.re.tan();
            let d = T::one() + y * y;
            self.chain(y, d)
        }

        /// `(tanh x)' = 1 - tanh² x`, as `(1 - t)(1 + t)`.
        #[inline]
        fn tanh(self) -> Self {
            let y = self.re.tanh();
            let d = (T::one() - y) * (T::one() + y);
            self.chain(y, d)
        }

        /// `σ'(x) = σ(x)·σ(-x) = e/(1+e)²` with `e = e^{-|x|}`: neither overflows
        /// nor loses the tail to `1 - σ(x)` cancellation.
        #[inline]
        fn sigmoid(self) -> Self {
            // With e = e^{-|x|} (chosen by sign, not through `abs`, so a nested
            // dual keeps its tangent at 0): σ = 1/(1+e) for x ≥ 0, e/(1+e)
            // otherwise, and σ(x)σ(−x) = e/(1+e)². One exp.
            let nonneg = self.re >= T::zero();
            let e = if nonneg { (-self.re).exp() } else { self.re.exp() };
            let q = T::one() + e;
            let y = if nonneg { q.recip() } else { e / q };
            self.chain(y, e / (q * q))
        }

        /// `softplus'(x) = σ(x)` (stable).
        #[inline]
        fn softplus(self) -> Self {
            let d = self.re.sigmoid();
            self.chain(self.re.softplus(), d)
        }

        /// `relu'(x) = 1` for `x > 0`, else 0 (including at 0); at NaN the
        /// value and every tangent are NaN.
        #[inline]
        fn relu(self) -> Self {
            if self.re > T::zero() {
                self
            } else if self.re.value().is_nan() {
                self.chain(self.re, self.re)
            } else {
                Self::from_re(self.re.relu())
            }
        }

        /// `|x|' = sign(x)`, and 0 at `x = 0`; at NaN the value and every
        /// tangent are NaN.
        #[inline]
        fn abs(self) -> Self {
            if self.re < T::zero() {
                -self
            } else if self.re > T::zero() {
                self
            } else if self.re.value().is_nan() {
                self.chain(self.re, self.re)
            } else {
                Self::from_re(self.re.abs())
            }
        }

        /// Picks `other` if `other > self` or `other` is NaN (ties pick
        /// `self`, a NaN on either side is picked); the tangent is the picked
        /// argument's.
        #[inline]
        fn max(self, other: Self) -> Self {
            if other.re > self.re || other.re.value().is_nan() {
                other
            } else {
                self
            }
        }

        /// Picks `other` if `other < self` or `other` is NaN (see `max`).
        #[inline]
        fn min(self, other: Self) -> Self {
            if other.re < self.re || other.re.value().is_nan() {
                other
            } else {
                self
            }
        }

        /// `(1/x)' = -1/x²`.
        #[inline]
        fn recip(self) -> Self {
            let y = self.re.recip();
            let d = -(y * y);
            self.chain(y, d)
        }

        /// `(x²)' = 2x`.
        #[inline]
        fn square(self) -> Self {
            let d = self.re + self.re;
            self.chain(self.re * self.re, d)
        }

        /// Whether the *value* is finite; tangents are not inspected.
        #[inline]
        fn is_finite(self) -> bool {
            self.re.is_finite()
        }
    };
}

/// Operators, comparisons, `Default`, `Sum`/`Product` and the `Scalar` impl for a
/// dual type. Usage: `dual_impls!([generics] Type)` or `dual_impls!([generics] Type;
/// extra items of the Scalar impl)`, with the element type named
/// `T`.
macro_rules! dual_impls {
    ([$($gen:tt)*] $ty:ty $(; $($extra:tt)*)?) => {
        impl<$($gen)*> $ty {
            /// The chain rule for a function of one variable: value `re`,
            /// tangents `t·d`, with the `0 · ∞` guard of [`scale`](crate::rules::scale).
            ///
            /// The plain products are computed first; only if one came out NaN
            /// (which `0 · ∞` does, and a finite partial never does) is the
            /// guarded form recomputed. The common case is a multiply per
            /// tangent and one well-predicted branch.
            #[inline(always)]
            pub(crate) fn chain(self, re: T, d: T) -> Self {
                let out = self.map_tangents(re, |t| t * d);
                if out.any_tangent_nan() {
                    self.map_tangents(re, |t| $crate::rules::scale(t, d))
                } else {
                    out
                }
            }

            /// The chain rule for a function of two variables: tangents
            /// `a·da + b·db`, guarded like [`chain`](Self::chain). A NaN sum
            /// means some product was NaN, so the guarded recomputation changes
            /// the result exactly when a per-product guard would.
            #[inline(always)]
            pub(crate) fn chain2(self, other: Self, re: T, da: T, db: T) -> Self {
                let out = self.zip_tangents(other, re, |a, b| a * da + b * db);
                if out.any_tangent_nan() {
                    self.zip_tangents(other, re, |a, b| $crate::rules::scale(a, da) + $crate::rules::scale(b, db))
                } else {
                    out
                }
            }
        }

        impl<$($gen)*> ::core::ops::Add for $ty {
            type Output = Self;
            #[inline]
            fn add(self, rhs: Self) -> Self {
                self.zip_tangents(rhs, self.re + rhs.re, |a, b| a + b)
            }
        }

        impl<$($gen)*> ::core::ops::Sub for $ty {
            type Output = Self;
            #[inline]
            fn sub(self, rhs: Self) -> Self {
                self.zip_tangents(rhs, self.re - rhs.re, |a, b| a - b)
            }
        }

        /// `(ab)' = a'b + ab'`.
        impl<$($gen)*> ::core::ops::Mul for $ty {
            type Output = Self;
            // The product rule adds the two partial contributions.
            #[allow(clippy::suspicious_arithmetic_impl)]
            #[inline]
            fn mul(self, rhs: Self) -> Self {
                self.chain2(rhs, self.re * rhs.re, rhs.re, self.re)
            }
        }

        /// `∂(a/b)/∂a = 1/b`, `∂(a/b)/∂b = -(a/b)/b`.
        impl<$($gen)*> ::core::ops::Div for $ty {
            type Output = Self;
            // The quotient rule adds the two partial contributions.
            #[allow(clippy::suspicious_arithmetic_impl)]
            #[inline]
            fn div(self, rhs: Self) -> Self {
                let q = self.re / rhs.re;
                self.chain2(rhs, q, rhs.re.recip(), -(q / rhs.re))
            }
        }

        impl<$($gen)*> ::core::ops::Neg for $ty {
            type Output = Self;
            #[inline]
            fn neg(self) -> Self {
                self.map_tangents(-self.re, |t| -t)
            }
        }

        impl<$($gen)*> ::core::ops::Add<f64> for $ty {
            type Output = Self;
            #[inline]
            fn add(self, rhs: f64) -> Self {
                self.map_tangents(self.re + T::from_f64(rhs), |t| t)
            }
        }

        impl<$($gen)*> ::core::ops::Sub<f64> for $ty {
            type Output = Self;
            #[inline]
            fn sub(self, rhs: f64) -> Self {
                self.map_tangents(self.re - T::from_f64(rhs), |t| t)
            }
        }

        impl<$($gen)*> ::core::ops::Mul<f64> for $ty {
            type Output = Self;
            #[inline]
            fn mul(self, rhs: f64) -> Self {
                let c = T::from_f64(rhs);
                self.map_tangents(self.re * c, |t| t * c)
            }
        }

        impl<$($gen)*> ::core::ops::Div<f64> for $ty {
            type Output = Self;
            #[inline]
            fn div(self, rhs: f64) -> Self {
                let c = T::from_f64(rhs);
                let zero = T::zero();
                // A zero tangent over a zero constant stays zero (not 0/0 = NaN).
                self.map_tangents(self.re / c, |t| if t == zero && c == zero { zero } else { t / c })
            }
        }

        impl<$($gen)*> ::core::ops::Add<$ty> for f64 {
            type Output = $ty;
            #[inline]
            fn add(self, rhs: $ty) -> $ty {
                rhs + self
            }
        }

        impl<$($gen)*> ::core::ops::Sub<$ty> for f64 {
            type Output = $ty;
            #[inline]
            fn sub(self, rhs: $ty) -> $ty {
                rhs.map_tangents(T::from_f64(self) - rhs.re, |t| -t)
            }
        }

        impl<$($gen)*> ::core::ops::Mul<$ty> for f64 {
            type Output = $ty;
            #[inline]
            fn mul(self, rhs: $ty) -> $ty {
                rhs * self
            }
        }

        /// `∂(c/x)/∂x = -(c/x)/x`.
        impl<$($gen)*> ::core::ops::Div<$ty> for f64 {
            type Output = $ty;
            #[inline]
            fn div(self, rhs: $ty) -> $ty {
                let q = T::from_f64(self) / rhs.re;
                let d = -(q / rhs.re);
                rhs.chain(q, d)
            }
        }

        impl<$($gen)*> ::core::ops::AddAssign for $ty {
            #[inline]
            fn add_assign(&mut self, rhs: Self) {
                *self = *self + rhs;
            }
        }

        impl<$($gen)*> ::core::ops::SubAssign for $ty {
            #[inline]
            fn sub_assign(&mut self, rhs: Self) {
                *self = *self - rhs;
            }
        }

        impl<$($gen)*> ::core::ops::MulAssign for $ty {
            #[inline]
            fn mul_assign(&mut self, rhs: Self) {
                *self = *self * rhs;
            }
        }

        impl<$($gen)*> ::core::ops::DivAssign for $ty {
            #[inline]
            fn div_assign(&mut self, rhs: Self) {
                *self = *self / rhs;
            }
        }

        impl<$($gen)*> ::core::ops::AddAssign<f64> for $ty {
            #[inline]
            fn add_assign(&mut self, rhs: f64) {
                *self = *self + rhs;
            }
        }

        impl<$($gen)*> ::core::ops::SubAssign<f64> for $ty {
            #[inline]
            fn sub_assign(&mut self, rhs: f64) {
                *self = *self - rhs;
            }
        }

        impl<$($gen)*> ::core::ops::MulAssign<f64> for $ty {
            #[inline]
            fn mul_assign(&mut self, rhs: f64) {
                *self = *self * rhs;
            }
        }

        impl<$($gen)*> ::core::ops::DivAssign<f64> for $ty {
            #[inline]
            fn div_assign(&mut self, rhs: f64) {
                *self = *self / rhs;
            }
        }

        /// Compares values only; tangents are ignored. Comparison drives control
        /// flow (`if x > 0`, `max`, `relu`), and the branch taken must not depend
        /// on the direction being differentiated.
        impl<$($gen)*> ::core::cmp::PartialEq for $ty {
            #[inline]
            fn eq(&self, other: &Self) -> bool {
                self.re == other.re
            }
        }

        /// Orders by value only; tangents are ignored (see `PartialEq`).
        impl<$($gen)*> ::core::cmp::PartialOrd for $ty {
            #[inline]
            fn partial_cmp(&self, other: &Self) -> Option<::core::cmp::Ordering> {
                self.re.partial_cmp(&other.re)
            }
        }

        /// Zero value, zero tangent.
        impl<$($gen)*> ::core::default::Default for $ty {
            #[inline]
            fn default() -> Self {
                <Self as ::wengert_ops::Scalar>::zero()
            }
        }

        impl<$($gen)*> ::core::iter::Sum for $ty {
            fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
                iter.fold(<Self as ::wengert_ops::Scalar>::zero(), |acc, x| acc + x)
            }
        }

        impl<$($gen)*> ::core::iter::Product for $ty {
            fn product<I: Iterator<Item = Self>>(iter: I) -> Self {
                iter.fold(<Self as ::wengert_ops::Scalar>::one(), |acc, x| acc * x)
            }
        }

        /// Forward-mode rules, plus any extra items (such as a `gemm` override)
        /// given after the type.
        impl<$($gen)*> ::wengert_ops::Scalar for $ty {
            $crate::rules::scalar_rules!();
            $($($extra)*)?
        }
    };
}

pub(crate) use dual_impls;
pub(crate) use scalar_rules;
