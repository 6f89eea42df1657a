//! Numerical gradient checking: compare derivatives against central finite
//! differences, and report where they disagree.
//!
//! The measure is the one the whole project uses: per component,
//! `|a − n| / (|a| + |n| + 1e-10)`, where `a` is the analytic (AD) value and `n`
//! the numerical one. With central differences on `f64` a correct gradient
//! typically scores 1e-8 to 1e-11; a wrong rule scores near 1.
//!
//! Central differences are only a reference where the function is smooth over
//! the step: at a kink of `relu`, `abs` or `max`, or within a step of one
//! (`relu` at `1e-9`), they average two different slopes, and a correct
//! derivative fails. So [`gradcheck`] and [`check_gradient`] also look at the
//! one-sided differences `(f(x) − f(x − h))/h` and `(f(x + h) − f(x))/h`: where
//! they disagree by more than curvature explains (their gap does not shrink with
//! the step as a smooth function's does, or drops to nothing once the step no
//! longer reaches the kink), the coordinate is reported as a
//! [`Kink`] with both slopes, and the report's `Display` says so. That explains
//! a failure without hiding one: [`GradCheck::passes`] still fails there, and a
//! wrong derivative at a smooth point is not a kink.
//! [`GradCheck::passes_where_differentiable`] accepts, at a kink, any value
//! between the two one-sided slopes (a subgradient, such as the conventions
//! `relu'(0) = 0`, `abs'(0) = 0`).
//!
//! ```
//! use wengert_tape::{gradcheck, Scalar};
//! let report = gradcheck(|x| x[0].relu() + x[1] * x[1], &[0.0, 1.5]);
//! assert!(!report.passes(1e-7)); // central difference at the kink: 0.5
//! let kink = &report.kinks[0];
//! assert_eq!(kink.component, 0);
//! assert!(kink.left_slope.abs() < 1e-9 && (kink.right_slope - 1.0).abs() < 1e-9);
//! assert!(report.passes_where_differentiable(1e-7));
//! assert!(report.to_string().contains("not differentiable at this point along coordinate 0"));
//! ```
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

/// A coordinate along which the function is not smooth within the
/// finite-difference step: its one-sided difference quotients disagree by more
/// than curvature explains. Found by [`gradcheck`], listed in
/// [`GradCheck::kinks`]; [`GradCheck::passes_where_differentiable`] accepts any
/// value between the two slopes there.
#[derive(Clone, Debug, PartialEq)]
pub struct Kink {
    /// The coordinate.
    pub component: usize,
    /// `(f(x) − f(x − h)) / h`.
    pub left_slope: f64,
    /// `(f(x + h) − f(x)) / h`.
    pub right_slope: f64,
    /// The step `h`.
    pub step: f64,
}

impl Kink {
    /// Whether `value` lies between the two one-sided slopes, widened by
    /// `tol` relative to their size: a subgradient at this kink.
    pub fn admits(&self, value: f64, tol: f64) -> bool {
        let (lo, hi) = (self.left_slope.min(self.right_slope), self.left_slope.max(self.right_slope));
        let slack = tol * (lo.abs() + hi.abs() + 1e-10);
        value >= lo - slack && value <= hi + slack
    }
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
    /// The coordinates along which the function is not smooth within the step,
    /// with their one-sided slopes (empty from [`compare`](Self::compare),
    /// which has no function to probe).
    pub kinks: Vec<Kink>,
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
        GradCheck {
            analytic: analytic.to_vec(),
            numeric: numeric.to_vec(),
            errors,
            worst,
            max_error,
            overall_error,
            kinks: Vec::new(),
        }
    }

    /// Whether every component's relative error is below `tol` (and none is NaN).
    /// A kink fails like any other disagreement; see
    /// [`passes_where_differentiable`](Self::passes_where_differentiable).
    pub fn passes(&self, tol: f64) -> bool {
        self.errors.iter().all(|&e| e < tol)
    }

    /// Whether every component passes at `tol`, or is a [`Kink`] whose
    /// analytic value lies between its one-sided slopes (a subgradient). A
    /// wrong derivative at a smooth point still fails, and so does a value at a
    /// kink outside both slopes.
    pub fn passes_where_differentiable(&self, tol: f64) -> bool {
        self.errors
            .iter()
            .enumerate()
            .all(|(i, &e)| e < tol || self.kink_at(i).is_some_and(|k| k.admits(self.analytic[i], tol)))
    }

    /// The kink reported along coordinate `i`, if any.
    pub fn kink_at(&self, i: usize) -> Option<&Kink> {
        self.kinks.iter().find(|k| k.component == i)
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
        )?;
        const SHOWN: usize = 3;
        for k in self.kinks.iter().take(SHOWN) {
            write!(
                f,
                "\nnot differentiable at this point along coordinate {}: left slope {:.6e}, right slope {:.6e} \
                 (one-sided differences with step {:.1e}; the central difference {:.6e} averages them and is not a \
                 derivative here; analytic {:.6e})",
                k.component, k.left_slope, k.right_slope, k.step, self.numeric[k.component], self.analytic[k.component]
            )?;
        }
        if self.kinks.len() > SHOWN {
            write!(f, "\nand {} more coordinates with a kink", self.kinks.len() - SHOWN)?;
        }
        Ok(())
    }
}

/// The central-difference gradient of `f` at `x`, and the coordinates along
/// which `f` is not smooth within the step.
///
/// Per coordinate, with `f₀ = f(x)` and `f(x ± h)` (already needed for the
/// central difference) the one-sided slopes at `h` cost nothing. Their gap
/// `right − left` is, for a smooth `f`, `h·f''` plus smaller terms and
/// rounding. Only where it is not negligible (above `1e-3` of the slopes and a
/// thousand times the rounding level `ε·Σ|f|/h`) is the step halved, up to
/// three times (`f(x ± h/2ᵏ)`, two evaluations each): a smooth function's gap
/// shrinks by a factor of 2 (or 8, where `f'' = 0`) with each halving, while
/// a kink at distance `δ` from `x` keeps its gap (`ratio > ¾`) until the step
/// falls below `δ`, where the gap drops to rounding level. Either is reported
/// as a kink; a gap that keeps shrinking without vanishing is curvature.
fn probe<F: FnMut(&[f64]) -> f64>(mut f: F, x: &[f64]) -> (Vec<f64>, Vec<Kink>) {
    let f0 = f(x);
    let mut xp = x.to_vec();
    let mut at = |i: usize, t: f64, f: &mut F| {
        xp[i] = t;
        let v = f(&xp);
        xp[i] = x[i];
        v
    };
    // The gap between the one-sided slopes with step `h`, and its rounding level.
    let gap =
        |fp: f64, fm: f64, h: f64| ((fp - f0) / h - (f0 - fm) / h, f64::EPSILON * (f0.abs() + fp.abs() + fm.abs()) / h);
    let mut numeric = Vec::with_capacity(x.len());
    let mut kinks = Vec::new();
    for (i, &xi) in x.iter().enumerate() {
        let h = central_step(xi);
        let (fp, fm) = (at(i, xi + h, &mut f), at(i, xi - h, &mut f));
        numeric.push((fp - fm) / (2.0 * h));
        let (left, right) = ((f0 - fm) / h, (fp - f0) / h);
        let (mut previous, rounding) = gap(fp, fm, h);
        if !(previous.abs() > 1e-3 * left.abs().max(right.abs()) && previous.abs() > 1e3 * rounding) {
            continue;
        }
        for k in 1..=3 {
            let hk = h / f64::from(1 << k);
            let (g, rounding) = gap(at(i, xi + hk, &mut f), at(i, xi - hk, &mut f), hk);
            if g.abs() <= 10.0 * rounding || g / previous > 0.75 {
                kinks.push(Kink { component: i, left_slope: left, right_slope: right, step: h });
                break;
            }
            previous = g;
        }
    }
    (numeric, kinks)
}

/// Checks a gradient you computed (by hand or by AD) against central
/// differences of `f` at `x`, reporting the coordinates along which `f` has a
/// kink within the step.
pub fn check_gradient<F: Fn(&[f64]) -> f64>(f: F, analytic: &[f64], x: &[f64]) -> GradCheck {
    let (numeric, kinks) = probe(f, x);
    GradCheck { kinks, ..GradCheck::compare(analytic, &numeric) }
}

/// Checks the reverse-mode gradient of `f` at `x` against central differences of
/// the same closure, reporting the coordinates along which `f` has a kink
/// within the step ([`Kink`], with both one-sided slopes, in
/// [`GradCheck::kinks`]).
pub fn gradcheck<F>(f: F, x: &[f64]) -> GradCheck
where
    F: for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>,
{
    let analytic = crate::grad(&f, x);
    let mut tape = Tape::new();
    let (numeric, kinks) = probe(
        |p| {
            tape.clear();
            let v = tape.vars(p);
            f(&v).primal()
        },
        x,
    );
    GradCheck { kinks, ..GradCheck::compare(&analytic, &numeric) }
}
