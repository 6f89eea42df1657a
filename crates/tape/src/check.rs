//! Numerical gradient checking: compare derivatives against central finite
//! differences, and report where they disagree.
//!
//! The measure is the one the whole project uses: per component,
//! `|a − n| / (|a| + |n| + 1e-10)`, where `a` is the analytic (AD) value and `n`
//! the numerical one. With central differences on `f64` a correct gradient
//! typically scores 1e-8 to 1e-11; a wrong rule scores near 1.
//!
//! ```
//! use wengert_tape::{gradcheck, Scalar};
//! let report = gradcheck(|x| (x[0] * x[1]).sin() + x[1].exp(), &[0.3, -1.2]);
//! assert!(report.passes(1e-7), "{report}");
//! println!("{report}");
//! ```

use std::fmt;

use wengert_ops::Matrix;

use crate::tape::Tape;
use crate::var::Var;

/// `|a − n| / (|a| + |n| + 1e-10)`: small for agreement, near 1 for disagreement,
/// and well defined when both are zero.
pub fn relative_error(a: f64, n: f64) -> f64 {
    (a - n).abs() / (a.abs() + n.abs() + 1e-10)
}

/// Step for central differences at `x`: `∛ε · max(1, |x|)`, balancing truncation
/// (O(h²)) against round-off (O(ε/h)).
fn central_step(x: f64) -> f64 {
    f64::EPSILON.cbrt() * x.abs().max(1.0)
}

/// Step for the four-point Hessian formula: `∜ε · max(1, |x|)`.
fn hessian_step(x: f64) -> f64 {
    f64::EPSILON.powf(0.25) * x.abs().max(1.0)
}

/// The gradient of `f` at `x` by central differences,
/// `(f(x + h eᵢ) − f(x − h eᵢ)) / 2h`.
pub fn numerical_gradient<F: FnMut(&[f64]) -> f64>(mut f: F, x: &[f64]) -> Vec<f64> {
    let mut xp = x.to_vec();
    (0..x.len())
        .map(|i| {
            let h = central_step(x[i]);
            xp[i] = x[i] + h;
            let fp = f(&xp);
            xp[i] = x[i] - h;
            let fm = f(&xp);
            xp[i] = x[i];
            (fp - fm) / (2.0 * h)
        })
        .collect()
}

/// The Hessian of `f` at `x` by the four-point formula
/// `Hᵢⱼ ≈ [f(x+hᵢ+hⱼ) − f(x+hᵢ−hⱼ) − f(x−hᵢ+hⱼ) + f(x−hᵢ−hⱼ)] / 4hᵢhⱼ`,
/// symmetrized. Accurate to about 1e-6 relative on smooth functions.
///
/// ```
/// use wengert_tape::numerical_hessian;
/// let h = numerical_hessian(|x| x[0] * x[0] * x[1], &[1.0, 2.0]);
/// assert!((h[(0, 0)] - 4.0).abs() < 1e-6 && (h[(0, 1)] - 2.0).abs() < 1e-6);
/// ```
pub fn numerical_hessian<F: FnMut(&[f64]) -> f64>(mut f: F, x: &[f64]) -> Matrix<f64> {
    let n = x.len();
    let mut h = Matrix::zeros(n, n);
    let mut xp = x.to_vec();
    let mut eval = |di: (usize, f64), dj: (usize, f64)| {
        xp[di.0] += di.1;
        xp[dj.0] += dj.1;
        let v = f(&xp);
        xp.copy_from_slice(x);
        v
    };
    for i in 0..n {
        for j in i..n {
            let (hi, hj) = (hessian_step(x[i]), hessian_step(x[j]));
            let v = (eval((i, hi), (j, hj)) - eval((i, hi), (j, -hj)) - eval((i, -hi), (j, hj))
                + eval((i, -hi), (j, -hj)))
                / (4.0 * hi * hj);
            h[(i, j)] = v;
            h[(j, i)] = v;
        }
    }
    h
}

/// The outcome of a gradient check.
#[derive(Clone, Debug)]
pub struct GradCheck {
    /// The gradient under test.
    pub analytic: Vec<f64>,
    /// The central-difference gradient.
    pub numeric: Vec<f64>,
    /// Per-component relative error.
    pub errors: Vec<f64>,
    /// Index of the component with the largest relative error.
    pub worst: usize,
    /// Largest per-component relative error.
    pub max_error: f64,
    /// Relative error of the whole vector: `‖a − n‖ / (‖a‖ + ‖n‖ + 1e-10)`.
    pub overall_error: f64,
}

impl GradCheck {
    /// Compares an analytic gradient with a numerical one, component by component.
    pub fn compare(analytic: &[f64], numeric: &[f64]) -> Self {
        assert_eq!(
            analytic.len(),
            numeric.len(),
            "GradCheck::compare: {} analytic vs {} numeric components",
            analytic.len(),
            numeric.len()
        );
        let errors: Vec<f64> = analytic.iter().zip(numeric).map(|(&a, &n)| relative_error(a, n)).collect();
        let (worst, max_error) =
            errors
                .iter()
                .copied()
                .enumerate()
                .fold((0, 0.0), |best, (i, e)| if e > best.1 || e.is_nan() { (i, e) } else { best });
        let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
        let diff: Vec<f64> = analytic.iter().zip(numeric).map(|(a, n)| a - n).collect();
        let overall_error = norm(&diff) / (norm(analytic) + norm(numeric) + 1e-10);
        GradCheck { analytic: analytic.to_vec(), numeric: numeric.to_vec(), errors, worst, max_error, overall_error }
    }

    /// Whether every component's relative error is below `tol` (and none is NaN).
    pub fn passes(&self, tol: f64) -> bool {
        self.errors.iter().all(|&e| e < tol)
    }
}

impl fmt::Display for GradCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.analytic.is_empty() {
            return write!(f, "gradient check: no components");
        }
        write!(
            f,
            "gradient check over {} components: max relative error {:.2e} at component {} \
             (analytic {:.12e}, numeric {:.12e}); overall {:.2e}",
            self.analytic.len(),
            self.max_error,
            self.worst,
            self.analytic[self.worst],
            self.numeric[self.worst],
            self.overall_error
        )
    }
}

/// Checks a gradient you computed (by hand or by AD) against central
/// differences of `f` at `x`.
pub fn check_gradient<F: Fn(&[f64]) -> f64>(f: F, analytic: &[f64], x: &[f64]) -> GradCheck {
    GradCheck::compare(analytic, &numerical_gradient(f, x))
}

/// Checks the reverse-mode gradient of `f` at `x` against central differences of
/// the same closure.
pub fn gradcheck<F>(f: F, x: &[f64]) -> GradCheck
where
    F: for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>,
{
    let analytic = crate::grad(&f, x);
    let mut tape = Tape::new();
    let numeric = numerical_gradient(
        |p| {
            tape.clear();
            let v = tape.vars(p);
            f(&v).primal()
        },
        x,
    );
    GradCheck::compare(&analytic, &numeric)
}
