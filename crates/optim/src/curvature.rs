//! Curvature analysis: what the Hessian says about a point.
//!
//! Why this module: the optimizers' behaviour is governed by second-order
//! structure. Gradient descent converges like `(κ − 1)/(κ + 1)` with
//! `κ = λ_max/λ_min` of the Hessian at the minimum; Newton-CG and
//! [`newton_lm`](crate::newton_lm) must detect and step around negative curvature;
//! a point where the gradient vanishes is a minimum only if the Hessian is
//! positive definite there. With forward-over-reverse on the tape the exact
//! Hessian is cheap for small `n`, so these questions can be answered exactly
//! rather than estimated from finite differences:
//!
//! * [`hessian_eigen`]: eigen-decomposition of a Hessian (symmetrized first; the
//!   tape's Hessian is symmetric only to rounding), by
//!   [`symmetric_eigen`] (nalgebra's Householder + implicit QR).
//! * [`classify`]: the second-derivative test on the eigenvalues, with a
//!   tolerance: [`CriticalPoint::Minimum`], [`Maximum`](CriticalPoint::Maximum),
//!   [`Saddle`](CriticalPoint::Saddle) or [`Degenerate`](CriticalPoint::Degenerate).
//! * [`condition_number`]: `κ = λ_max/λ_min` for a positive definite Hessian,
//!   `+∞` otherwise.
//! * [`convexity_along_segment`]: samples Jensen's inequality
//!   `f(θa + (1 − θ)b) ≤ θf(a) + (1 − θ)f(b)` and returns the worst violation,
//!   a cheap *necessary* check of convexity that needs only values.
//! * [`analyze`]: all of the above at one point of an
//!   [`Objective`], with the gradient and Hessian
//!   from the tape; [`analyze_derivatives`] does the same for derivatives from any
//!   other source.
//!
//! All of this forms the dense Hessian (`n` Hessian-vector products, then
//! `O(n³)`), which is right up to a few hundred parameters. For a network, the
//! matrix-free methods of [`spectra`](crate::spectra) answer the same questions
//! — the extreme eigenvalues (is it a saddle? how sharp?), the trace, the whole
//! spectral density — from tens of Hessian-vector products.
//!
//! ```
//! use wengert_optim::curvature::{analyze, CriticalPoint, CurvatureOptions};
//! use wengert_tape::{Objective, Real};
//!
//! /// f(x, y) = x³ − 3xy + y³: a saddle at the origin, a minimum at (1, 1).
//! struct Cubic;
//! impl Objective for Cubic {
//!     fn eval<T: Real>(&self, v: &[T]) -> T {
//!         v[0].powi(3) - v[0] * v[1] * 3.0 + v[1].powi(3)
//!     }
//! }
//! let opts = CurvatureOptions::default();
//! let at_origin = analyze(&Cubic, &[0.0, 0.0], &opts);
//! assert_eq!(at_origin.critical_point(), Some(CriticalPoint::Saddle));
//! let at_one = analyze(&Cubic, &[1.0, 1.0], &opts);
//! assert_eq!(at_one.critical_point(), Some(CriticalPoint::Minimum));
//! // H = [[6, −3], [−3, 6]]: eigenvalues 9 and 3.
//! assert!((at_one.eigenvalues[0] - 9.0).abs() < 1e-12 && (at_one.eigenvalues[1] - 3.0).abs() < 1e-12);
//! assert!((at_one.condition_number - 3.0).abs() < 1e-12);
//! // Away from critical points the Hessian still has a shape, but the point is not
//! // a critical point.
//! assert_eq!(analyze(&Cubic, &[2.0, 0.0], &opts).critical_point(), None);
//! ```

use wengert_ops::Matrix;
use wengert_tape::Objective;

use crate::linalg::{norm_inf, symmetric_eigen, SymmetricEigen};

/// What the second-derivative test says about a point (from the signs of the
/// Hessian's eigenvalues).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CriticalPoint {
    /// Every eigenvalue clearly positive: a strict local minimum (at a critical point).
    Minimum,
    /// Every eigenvalue clearly negative: a strict local maximum.
    Maximum,
    /// Clearly positive and clearly negative eigenvalues: a saddle point (zero
    /// eigenvalues do not change that).
    Saddle,
    /// Some eigenvalue is zero within the tolerance and the others share a sign
    /// (or all are zero): the second-order test is inconclusive, higher-order terms
    /// decide (`x⁴ + y²` at 0 is a minimum, `x³ + y²` at 0 is not).
    Degenerate,
}

/// Tolerances of [`analyze`] and [`classify`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CurvatureOptions {
    /// A point is critical when `‖∇f‖_∞ ≤ gtol` (absolute; default 1e-8).
    pub gtol: f64,
    /// An eigenvalue counts as zero when `|λ| ≤ eig_rtol · max_k |λ_k|`
    /// (relative to the spectral radius, so the test does not depend on the
    /// scale of f; default 1e-8).
    pub eig_rtol: f64,
}

impl Default for CurvatureOptions {
    fn default() -> Self {
        CurvatureOptions { gtol: 1e-8, eig_rtol: 1e-8 }
    }
}

/// The result of [`analyze`]: value, gradient, Hessian and its spectrum at a point.
#[derive(Clone, Debug)]
pub struct CurvatureReport {
    /// The point analysed.
    pub x: Vec<f64>,
    /// `f(x)`.
    pub value: f64,
    /// `∇f(x)`.
    pub gradient: Vec<f64>,
    /// `‖∇f(x)‖_∞`.
    pub grad_norm: f64,
    /// Whether `‖∇f(x)‖_∞ ≤ gtol`, i.e. whether `x` is (numerically) a critical point.
    pub is_critical: bool,
    /// The symmetrized Hessian `(H + Hᵀ)/2`.
    pub hessian: Matrix<f64>,
    /// `max |Hᵢⱼ − Hⱼᵢ|` of the Hessian as given (a rounding-level number for a
    /// correct Hessian; larger values point at a wrong derivative rule).
    pub asymmetry: f64,
    /// Eigenvalues of the Hessian, descending.
    pub eigenvalues: Vec<f64>,
    /// Orthonormal eigenvectors as columns, in the order of `eigenvalues`.
    pub eigenvectors: Matrix<f64>,
    /// The second-derivative test on the eigenvalues (meaningful as a statement
    /// about the point only when `is_critical`; see [`critical_point`](Self::critical_point)).
    pub curvature: CriticalPoint,
    /// [`condition_number`] of the eigenvalues (`+∞` unless positive definite).
    pub condition_number: f64,
}

impl CurvatureReport {
    /// The classification of `x` as a critical point, or `None` if the gradient
    /// is not zero there (within `gtol`).
    pub fn critical_point(&self) -> Option<CriticalPoint> {
        self.is_critical.then_some(self.curvature)
    }

    /// The eigenvector of the smallest eigenvalue: at a saddle, the direction of
    /// steepest negative curvature (an escape direction); at a minimum, the
    /// flattest direction, along which gradient descent is slowest.
    pub fn lowest_curvature_direction(&self) -> Vec<f64> {
        let k = self.eigenvalues.len().saturating_sub(1);
        (0..self.eigenvectors.rows()).map(|i| self.eigenvectors[(i, k)]).collect()
    }
}

/// `(H + Hᵀ)/2` and `max |Hᵢⱼ − Hⱼᵢ|`.
///
/// # Panics
/// If `h` is not square.
pub fn symmetrize(h: &Matrix<f64>) -> (Matrix<f64>, f64) {
    let n = h.rows();
    assert_eq!(h.cols(), n, "symmetrize: the Hessian must be square, got {}×{}", h.rows(), h.cols());
    let mut asym: f64 = 0.0;
    for i in 0..n {
        for j in 0..i {
            asym = asym.max((h[(i, j)] - h[(j, i)]).abs());
        }
    }
    (Matrix::from_fn(n, n, |i, j| 0.5 * (h[(i, j)] + h[(j, i)])), asym)
}

/// Eigen-decomposition of a Hessian: symmetrized first (see [`symmetrize`]),
/// then [`symmetric_eigen`]. Eigenvalues descending.
///
/// ```
/// use wengert_optim::curvature::hessian_eigen;
/// use wengert_ops::Matrix;
/// let e = hessian_eigen(&Matrix::from_rows(&[[2.0, 1.0], [1.0, 2.0]]));
/// assert!((e.values[0] - 3.0).abs() < 1e-14 && (e.values[1] - 1.0).abs() < 1e-14);
/// ```
///
/// # Panics
/// If `h` is not square.
pub fn hessian_eigen(h: &Matrix<f64>) -> SymmetricEigen {
    symmetric_eigen(&symmetrize(h).0)
}

/// The second-derivative test on a spectrum (any order): an eigenvalue is zero
/// when `|λ| ≤ eig_rtol · max_k |λ_k|`; then
///
/// * positive and negative eigenvalues present → [`Saddle`](CriticalPoint::Saddle),
/// * otherwise any zero (including the empty spectrum and the zero matrix) →
///   [`Degenerate`](CriticalPoint::Degenerate),
/// * otherwise all positive → [`Minimum`](CriticalPoint::Minimum), all negative →
///   [`Maximum`](CriticalPoint::Maximum).
///
/// ```
/// use wengert_optim::curvature::{classify, CriticalPoint};
/// assert_eq!(classify(&[2.0, 1e-3], 1e-8), CriticalPoint::Minimum);
/// assert_eq!(classify(&[2.0, 1e-9], 1e-8), CriticalPoint::Degenerate);
/// assert_eq!(classify(&[2.0, 0.0, -1.0], 1e-8), CriticalPoint::Saddle);
/// assert_eq!(classify(&[-1.0, -4.0], 1e-8), CriticalPoint::Maximum);
/// ```
pub fn classify(eigenvalues: &[f64], eig_rtol: f64) -> CriticalPoint {
    let radius = eigenvalues.iter().fold(0.0f64, |m, l| m.max(l.abs()));
    let zero = eig_rtol * radius;
    let pos = eigenvalues.iter().filter(|&&l| l > zero).count();
    let neg = eigenvalues.iter().filter(|&&l| l < -zero).count();
    if pos > 0 && neg > 0 {
        CriticalPoint::Saddle
    } else if radius == 0.0 || pos + neg < eigenvalues.len() {
        CriticalPoint::Degenerate
    } else if pos > 0 {
        CriticalPoint::Minimum
    } else {
        CriticalPoint::Maximum
    }
}

/// Condition number `κ = λ_max/λ_min` of a spectrum (any order).
///
/// Defined for a **positive definite** Hessian (smallest eigenvalue `> 0`), where
/// it sets the convergence rate of first-order methods (`(κ − 1)/(κ + 1)` per step
/// for gradient descent with the best fixed step). When the smallest eigenvalue is
/// `≤ 0` (indefinite, negative definite or singular) there is no such rate and
/// this returns `f64::INFINITY`; so does an empty spectrum.
///
/// ```
/// use wengert_optim::curvature::condition_number;
/// assert_eq!(condition_number(&[10.0, 1.0]), 10.0);
/// assert_eq!(condition_number(&[1.0, -1.0]), f64::INFINITY);
/// assert_eq!(condition_number(&[1.0, 0.0]), f64::INFINITY);
/// ```
pub fn condition_number(eigenvalues: &[f64]) -> f64 {
    let max = eigenvalues.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let min = eigenvalues.iter().copied().fold(f64::INFINITY, f64::min);
    if eigenvalues.is_empty() || min <= 0.0 {
        f64::INFINITY
    } else {
        max / min
    }
}

/// Curvature analysis at `x` from derivatives computed elsewhere (hand-written,
/// finite differences, …): eigen-decomposition, classification, κ. See
/// [`analyze`] for the tape-based version.
///
/// # Panics
/// If `hessian` is not `n × n` with `n = x.len() = gradient.len()`.
pub fn analyze_derivatives(
    x: &[f64],
    value: f64,
    gradient: Vec<f64>,
    hessian: &Matrix<f64>,
    opts: &CurvatureOptions,
) -> CurvatureReport {
    let n = x.len();
    assert_eq!(gradient.len(), n, "analyze: gradient has {} entries for a point of {n}", gradient.len());
    assert_eq!(hessian.shape(), (n, n), "analyze: Hessian is {}×{} for a point of {n}", hessian.rows(), hessian.cols());
    let (sym, asymmetry) = symmetrize(hessian);
    let eigen = symmetric_eigen(&sym);
    let grad_norm = norm_inf(&gradient);
    CurvatureReport {
        x: x.to_vec(),
        value,
        is_critical: grad_norm <= opts.gtol,
        grad_norm,
        gradient,
        hessian: sym,
        asymmetry,
        curvature: classify(&eigen.values, opts.eig_rtol),
        condition_number: condition_number(&eigen.values),
        eigenvalues: eigen.values,
        eigenvectors: eigen.vectors,
    }
}

/// Curvature analysis of an [`Objective`] at `x`: value and gradient by one
/// reverse sweep, the exact Hessian by `n` forward-over-reverse products
/// ([`wengert_tape::hessian`]), then [`analyze_derivatives`]. Costs `O(n)`
/// gradients plus an `O(n³)` eigen-decomposition: meant for small `n` (up to a
/// few hundred).
///
/// See the [module example](self).
pub fn analyze<O: Objective + ?Sized>(objective: &O, x: &[f64], opts: &CurvatureOptions) -> CurvatureReport {
    let (value, gradient) = objective.value_and_grad(x);
    let h = objective.hessian(x);
    analyze_derivatives(x, value, gradient, &h, opts)
}

/// The outcome of [`convexity_along_segment`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConvexityCheck {
    /// `max_θ [f(θa + (1 − θ)b) − θf(a) − (1 − θ)f(b)]` over the sampled θ: ≤ 0
    /// where Jensen's inequality holds (strictly negative for a strictly convex
    /// function), > 0 where it is violated.
    pub worst_violation: f64,
    /// The θ at which `worst_violation` occurred.
    pub worst_theta: f64,
    /// Whether no sample violated the inequality by more than rounding
    /// (`worst_violation ≤ 1e-12 · (1 + |f(a)| + |f(b)|)`).
    pub convex: bool,
}

/// Samples Jensen's inequality `f(θa + (1 − θ)b) ≤ θf(a) + (1 − θ)f(b)` at
/// `θ = k/(samples + 1)`, `k = 1…samples`, and reports the worst violation.
///
/// A convex function passes for every segment, so a violation *proves* `f` is not
/// convex; passing proves nothing beyond the samples, but is a cheap, value-only
/// check (no derivatives) for a region one expects to be convex, e.g. the line
/// between two iterates of an optimizer.
///
/// ```
/// use wengert_optim::curvature::convexity_along_segment;
/// let c = convexity_along_segment(|x: &[f64]| x[0].sin(), &[0.0], &[10.0], 20);
/// assert!(!c.convex && c.worst_violation > 0.5);
/// let c = convexity_along_segment(|x: &[f64]| x[0] * x[0], &[-1.0], &[3.0], 20);
/// assert!(c.convex && c.worst_violation < 0.0);
/// ```
///
/// # Panics
/// If `a` and `b` differ in length or `samples` is 0.
pub fn convexity_along_segment<F>(mut f: F, a: &[f64], b: &[f64], samples: usize) -> ConvexityCheck
where
    F: FnMut(&[f64]) -> f64,
{
    assert_eq!(a.len(), b.len(), "convexity_along_segment: a has {} entries, b has {}", a.len(), b.len());
    assert!(samples > 0, "convexity_along_segment: need at least one sample");
    let (fa, fb) = (f(a), f(b));
    let mut worst = (f64::NEG_INFINITY, 0.0);
    let mut point = vec![0.0; a.len()];
    for k in 1..=samples {
        let theta = k as f64 / (samples + 1) as f64;
        for ((p, &ai), &bi) in point.iter_mut().zip(a).zip(b) {
            *p = theta * ai + (1.0 - theta) * bi;
        }
        let violation = f(&point) - (theta * fa + (1.0 - theta) * fb);
        // NaN counts as the worst possible violation.
        if violation.is_nan() || violation > worst.0 {
            worst = (if violation.is_nan() { f64::INFINITY } else { violation }, theta);
        }
    }
    let tol = 1e-12 * (1.0 + fa.abs() + fb.abs());
    ConvexityCheck { worst_violation: worst.0, worst_theta: worst.1, convex: worst.0 <= tol }
}
