//! [`Dual<T>`]: a value with one tangent (one directional derivative).

use std::fmt;

use wengert_ops::Scalar;

use crate::rules::dual_impls;

/// A dual number `re + eps·ε` with `ε² = 0`: a value and its derivative along one
/// direction, carried forward through every operation.
///
/// `T` is any [`Scalar`], including `Dual` itself: `Dual<Dual<f64>>` carries
/// second derivatives (see the [crate docs](crate)). `Dual<f64>` and
/// `Dual<Dual<f64>>` are [`Real`](wengert_ops::Real) (arithmetic with `f64` on
/// either side works on the concrete types).
///
/// Comparison (`==`, `<`, `max`, `min`, `relu`, `abs`) looks at **values only**:
/// it decides control flow, and the branch taken must not depend on the tangent.
/// `Display` prints `(re + epsε)`, recursively for nested duals, honouring the
/// formatter's precision; `Debug` shows both fields.
///
/// ```
/// use wengert_dual::Dual;
/// use wengert_ops::Scalar;
///
/// let x = Dual::variable(2.0); // d x / d x = 1
/// let y = x * x.sin() + 1.0;
/// assert_eq!(y.re, 2.0 * 2f64.sin() + 1.0);
/// assert_eq!(y.eps, 2f64.sin() + 2.0 * 2f64.cos());
/// assert_eq!(format!("{:.1}", Dual::new(1.0, 2.0)), "(1.0 + 2.0ε)");
/// ```
///
/// `#[repr(C)]`: a `Dual<T>` is laid out as `re` then `eps`, with no padding (two
/// fields of the same type), which lets the matrix product view a slice of duals
/// as its two interleaved planes without copying.
#[derive(Clone, Copy, Debug)]
#[repr(C)]
pub struct Dual<T> {
    /// The value (real part).
    pub re: T,
    /// The tangent: the derivative of the value along the seeded direction.
    pub eps: T,
}

impl<T: Scalar> Dual<T> {
    /// A dual number with the given value and tangent.
    #[inline]
    pub const fn new(re: T, eps: T) -> Self {
        Dual { re, eps }
    }

    /// A constant: tangent zero (its derivative with respect to anything is 0).
    #[inline]
    pub fn constant(re: T) -> Self {
        Dual { re, eps: T::zero() }
    }

    /// The independent variable: tangent one (`dx/dx = 1`).
    ///
    /// Nesting seeds second order: `Dual::variable(Dual::variable(x))` is
    /// `(x + ε₁) + (1 + 0·ε₁)ε₂`, whose result's `eps.eps` is `f''(x)`.
    #[inline]
    pub fn variable(re: T) -> Self {
        Dual { re, eps: T::one() }
    }

    #[inline]
    pub(crate) fn from_re(re: T) -> Self {
        Dual::constant(re)
    }

    #[inline]
    pub(crate) fn any_tangent_nan(&self) -> bool {
        self.eps.value().is_nan()
    }

    #[inline]
    pub(crate) fn all_tangents(&self, f: impl Fn(T) -> bool) -> bool {
        f(self.eps)
    }

    #[inline]
    pub(crate) fn map_tangents(self, re: T, f: impl Fn(T) -> T) -> Self {
        Dual { re, eps: f(self.eps) }
    }

    #[inline]
    pub(crate) fn zip_tangents(self, other: Self, re: T, f: impl Fn(T, T) -> T) -> Self {
        Dual { re, eps: f(self.eps, other.eps) }
    }
}

dual_impls!([T: Scalar] Dual<T>;
    /// Matrix product on dual numbers as three products of the element type:
    /// `re = Aᵣ·Bᵣ`, `eps = Aᵣ·Bₑ + Aₑ·Bᵣ`. For `Dual<f32>`/`Dual<f64>` those go to
    /// the tuned kernel, which is what makes Hessian-vector products through
    /// matrix ops cost a small multiple of a gradient.
    fn gemm(
        accumulate: bool,
        m: usize,
        n: usize,
        k: usize,
        a: wengert_ops::Strided<'_, Self>,
        b: wengert_ops::Strided<'_, Self>,
        c: &mut [Self],
    ) {
        crate::gemm::dual_gemm(accumulate, m, n, k, a, b, c);
    }
);

/// Prints `(re + epsε)`; nested duals nest the parentheses. The formatter's
/// options (precision, width) apply to each part.
impl<T: fmt::Display> fmt::Display for Dual<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(")?;
        fmt::Display::fmt(&self.re, f)?;
        f.write_str(" + ")?;
        fmt::Display::fmt(&self.eps, f)?;
        f.write_str("ε)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wengert_ops::Real;

    fn assert_real<T: Real>() {}

    #[test]
    fn nested_and_f32_duals_are_real() {
        assert_real::<Dual<f64>>();
        assert_real::<Dual<f32>>();
        assert_real::<Dual<Dual<f64>>>();
        assert_real::<Dual<Dual<Dual<f64>>>>();
        let x = Dual::variable(3.0f32);
        let y = x * 2.0 + 1.0;
        assert_eq!((y.re, y.eps), (7.0, 2.0));
    }

    #[test]
    fn constructors_default_and_from_f64() {
        assert_eq!(Dual::constant(2.5).eps, 0.0);
        assert_eq!(Dual::variable(2.5).eps, 1.0);
        let d = Dual::<f64>::default();
        assert_eq!((d.re, d.eps), (0.0, 0.0));
        let c = Dual::<Dual<f64>>::from_f64(4.0);
        assert_eq!((c.re.re, c.re.eps, c.eps.re, c.eps.eps), (4.0, 0.0, 0.0, 0.0));
        assert_eq!(c.value(), 4.0);
        assert_eq!(Dual::<Dual<f64>>::one().re.re, 1.0);
    }

    #[test]
    fn value_recurses_through_nesting() {
        let x = Dual::new(Dual::new(1.5, 7.0), Dual::new(9.0, 11.0));
        assert_eq!(x.value(), 1.5);
    }

    #[test]
    fn comparison_ignores_tangents() {
        let a = Dual::new(1.0, 5.0);
        let b = Dual::new(1.0, -5.0);
        assert_eq!(a, b);
        assert!(Dual::new(1.0, 100.0) < Dual::new(2.0, -100.0));
        assert_eq!(a.partial_cmp(&b), Some(std::cmp::Ordering::Equal));
        assert_eq!(Dual::new(f64::NAN, 0.0).partial_cmp(&a), None);
    }

    #[test]
    fn display_prints_value_and_tangent() {
        assert_eq!(Dual::new(1.5, -2.0).to_string(), "(1.5 + -2ε)");
        assert_eq!(format!("{:.2}", Dual::new(1.0, 0.5)), "(1.00 + 0.50ε)");
        let nested = Dual::new(Dual::new(1.0, 2.0), Dual::new(3.0, 4.0));
        assert_eq!(nested.to_string(), "((1 + 2ε) + (3 + 4ε)ε)");
    }

    #[test]
    fn binary_operators_and_assign_forms() {
        let a = Dual::new(3.0, 2.0);
        let b = Dual::new(-2.0, 5.0);
        let s = a + b;
        assert_eq!((s.re, s.eps), (1.0, 7.0));
        let d = a - b;
        assert_eq!((d.re, d.eps), (5.0, -3.0));
        let p = a * b;
        assert_eq!((p.re, p.eps), (-6.0, 2.0 * -2.0 + 3.0 * 5.0));
        let q = a / b;
        assert_eq!(q.re, -1.5);
        assert!((q.eps - (2.0 * -2.0 - 3.0 * 5.0) / 4.0).abs() < 1e-15);
        let n = -a;
        assert_eq!((n.re, n.eps), (-3.0, -2.0));

        let mut c = a;
        c += b;
        assert_eq!((c.re, c.eps), (s.re, s.eps));
        c = a;
        c -= b;
        assert_eq!((c.re, c.eps), (d.re, d.eps));
        c = a;
        c *= b;
        assert_eq!((c.re, c.eps), (p.re, p.eps));
        c = a;
        c /= b;
        assert_eq!((c.re, c.eps), (q.re, q.eps));
    }

    #[test]
    fn f64_on_either_side() {
        let x = Dual::new(2.0, 3.0);
        let pairs = [
            (x + 1.5, (3.5, 3.0)),
            (1.5 + x, (3.5, 3.0)),
            (x - 1.5, (0.5, 3.0)),
            (1.5 - x, (-0.5, -3.0)),
            (x * 4.0, (8.0, 12.0)),
            (4.0 * x, (8.0, 12.0)),
            (x / 4.0, (0.5, 0.75)),
            (4.0 / x, (2.0, -4.0 * 3.0 / 4.0)),
        ];
        for (i, (got, want)) in pairs.iter().enumerate() {
            assert_eq!((got.re, got.eps), *want, "case {i}");
        }
        let mut y = x;
        y += 1.0;
        y -= 3.0;
        y *= 2.0;
        y /= 4.0;
        assert_eq!((y.re, y.eps), (0.0, 1.5));
        // Zero tangent divided by a zero constant stays zero.
        let z = Dual::constant(1.0) / 0.0;
        assert_eq!((z.re, z.eps), (f64::INFINITY, 0.0));
    }

    #[test]
    fn sum_and_product() {
        let xs = [Dual::new(1.0, 1.0), Dual::new(2.0, 0.0), Dual::new(3.0, 2.0)];
        let s: Dual<f64> = xs.iter().copied().sum();
        assert_eq!((s.re, s.eps), (6.0, 3.0));
        let p: Dual<f64> = xs.iter().copied().product();
        // d(x y z) = dx·yz + x·dy·z + xy·dz = 6 + 0 + 4
        assert_eq!((p.re, p.eps), (6.0, 10.0));
    }

    #[test]
    fn matrix_product_uses_the_portable_gemm() {
        use wengert_ops::Matrix;
        // d/dt of (A + tB)·C at t = 0 is B·C.
        let a = Matrix::from_rows(&[[1.0, 2.0], [3.0, 4.0]]);
        let b = Matrix::from_rows(&[[0.5, -1.0], [2.0, 0.0]]);
        let c = Matrix::from_rows(&[[1.0, -1.0], [0.5, 2.0]]);
        let ad = Matrix::from_fn(2, 2, |i, j| Dual::new(a[(i, j)], b[(i, j)]));
        let cd = c.map(|&x| Dual::constant(x));
        let prod = ad.matmul(&cd);
        let want_re = a.matmul(&c);
        let want_eps = b.matmul(&c);
        for i in 0..2 {
            for j in 0..2 {
                assert_eq!(prod[(i, j)].re, want_re[(i, j)]);
                assert_eq!(prod[(i, j)].eps, want_eps[(i, j)]);
            }
        }
    }
}
