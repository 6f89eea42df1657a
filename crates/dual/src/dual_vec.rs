//! [`DualVec<T, N>`]: a value with `N` tangents, i.e. `N` directional derivatives
//! in one pass.
//!
//! Why: a gradient of an `n`-input function takes `n` passes with [`Dual`](crate::Dual),
//! each re-evaluating every value. Seeding input `i` with the unit tangent `eᵢ`
//! in a `DualVec<T, n>` computes every value once and all `n` partials alongside
//! it: one forward sweep for the whole gradient (or Jacobian). The tangent
//! arithmetic is still `n`-fold, so it pays off when `n` is small and known at
//! compile time; beyond that, reverse mode is the tool.

use std::fmt;

use wengert_ops::Scalar;

use crate::rules::dual_impls;

/// A value with `N` tangents: `re + Σ eps[i]·εᵢ`, all `εᵢεⱼ = 0`.
///
/// Same rules, conventions and comparison semantics as [`Dual`](crate::Dual)
/// (comparison by value only). `Display` prints `(re + [e₀, e₁, …]ε)`.
///
/// ```
/// use wengert_dual::DualVec;
/// use wengert_ops::Scalar;
///
/// // f(x, y) = x·y + sin x at (2, 3): both partials in one pass.
/// let [x, y] = DualVec::seed([2.0, 3.0]);
/// let f = x * y + x.sin();
/// assert_eq!(f.eps, [3.0 + 2f64.cos(), 2.0]);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct DualVec<T, const N: usize> {
    /// The value (real part).
    pub re: T,
    /// The tangents: `eps[i]` is the derivative along the `i`-th seeded direction.
    pub eps: [T; N],
}

impl<T: Scalar, const N: usize> DualVec<T, N> {
    /// A value with the given tangents.
    #[inline]
    pub const fn new(re: T, eps: [T; N]) -> Self {
        DualVec { re, eps }
    }

    /// A constant: every tangent zero.
    #[inline]
    pub fn constant(re: T) -> Self {
        DualVec { re, eps: [T::zero(); N] }
    }

    /// The `i`-th independent variable: tangent `eᵢ` (one in slot `i`, zero
    /// elsewhere). Panics if `i >= N`.
    #[inline]
    pub fn variable(re: T, i: usize) -> Self {
        assert!(i < N, "DualVec::variable: direction {i} out of range for N = {N}");
        let mut eps = [T::zero(); N];
        eps[i] = T::one();
        DualVec { re, eps }
    }

    /// Seeds `N` inputs as the independent variables `x₀ … x_{N-1}` (input `i`
    /// gets tangent `eᵢ`), ready for one gradient/Jacobian pass.
    #[inline]
    pub fn seed(x: [T; N]) -> [Self; N] {
        std::array::from_fn(|i| DualVec::variable(x[i], i))
    }

    #[inline]
    pub(crate) fn from_re(re: T) -> Self {
        DualVec::constant(re)
    }

    #[inline]
    pub(crate) fn any_tangent_nan(&self) -> bool {
        self.eps.iter().fold(false, |acc, e| acc | e.value().is_nan())
    }

    #[inline]
    pub(crate) fn all_tangents(&self, f: impl Fn(T) -> bool) -> bool {
        self.eps.iter().all(|&t| f(t))
    }

    #[inline]
    pub(crate) fn map_tangents(self, re: T, f: impl Fn(T) -> T) -> Self {
        DualVec { re, eps: self.eps.map(f) }
    }

    #[inline]
    pub(crate) fn zip_tangents(self, other: Self, re: T, f: impl Fn(T, T) -> T) -> Self {
        DualVec { re, eps: std::array::from_fn(|i| f(self.eps[i], other.eps[i])) }
    }
}

dual_impls!([T: Scalar, const N: usize] DualVec<T, N>);

/// Prints `(re + [e₀, e₁, …]ε)`. The formatter's options apply to each part.
impl<T: fmt::Display, const N: usize> fmt::Display for DualVec<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(")?;
        fmt::Display::fmt(&self.re, f)?;
        f.write_str(" + [")?;
        for (i, e) in self.eps.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            fmt::Display::fmt(e, f)?;
        }
        f.write_str("]ε)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wengert_ops::Real;

    fn assert_real<T: Real>() {}

    #[test]
    fn vector_duals_are_real() {
        assert_real::<DualVec<f64, 1>>();
        assert_real::<DualVec<f64, 4>>();
        assert_real::<DualVec<crate::Dual<f64>, 2>>();
    }

    #[test]
    fn seed_variable_constant_default() {
        let [a, b, c] = DualVec::seed([1.0, 2.0, 3.0]);
        assert_eq!(a.eps, [1.0, 0.0, 0.0]);
        assert_eq!(b.eps, [0.0, 1.0, 0.0]);
        assert_eq!((c.re, c.eps), (3.0, [0.0, 0.0, 1.0]));
        assert_eq!(DualVec::<f64, 2>::constant(5.0).eps, [0.0, 0.0]);
        let d = DualVec::<f64, 2>::default();
        assert_eq!((d.re, d.eps), (0.0, [0.0, 0.0]));
        assert_eq!(DualVec::<f64, 3>::from_f64(7.0).eps, [0.0; 3]);
    }

    #[test]
    #[should_panic(expected = "direction 2 out of range for N = 2")]
    fn variable_out_of_range_panics() {
        let _ = DualVec::<f64, 2>::variable(1.0, 2);
    }

    #[test]
    fn operators_carry_every_tangent() {
        let x = DualVec::new(2.0, [1.0, 0.0, 3.0]);
        let y = DualVec::new(-1.0, [0.0, 1.0, 1.0]);
        let p = x * y;
        assert_eq!((p.re, p.eps), (-2.0, [-1.0, 2.0, -3.0 + 2.0]));
        let q = 1.0 / x;
        assert_eq!((q.re, q.eps), (0.5, [-0.25, 0.0, -0.75]));
        let r = 3.0 - y * 2.0;
        assert_eq!((r.re, r.eps), (5.0, [0.0, -2.0, -2.0]));
        let mut z = x;
        z *= y;
        z += 1.0;
        assert_eq!((z.re, z.eps), (-1.0, p.eps));
        let s: DualVec<f64, 3> = [x, y].into_iter().sum();
        assert_eq!((s.re, s.eps), (1.0, [1.0, 1.0, 4.0]));
    }

    #[test]
    fn comparison_and_display() {
        let a = DualVec::new(1.0, [1.0, 2.0]);
        let b = DualVec::new(1.0, [9.0, 9.0]);
        assert_eq!(a, b);
        assert!(a < DualVec::new(1.5, [0.0, 0.0]));
        assert_eq!(a.to_string(), "(1 + [1, 2]ε)");
        assert_eq!(format!("{:.1}", a), "(1.0 + [1.0, 2.0]ε)");
        assert_eq!(DualVec::<f64, 0>::constant(2.0).to_string(), "(2 + []ε)");
    }
}
