//! Dense BFGS: the quasi-Newton method with the full `n × n` inverse-Hessian
//! approximation.
//!
//! Why dense BFGS next to L-BFGS: for up to a few thousand parameters the
//! `O(n²)` memory is affordable, the update keeps *all* curvature information
//! gathered along the way (L-BFGS forgets everything older than `m` steps), and
//! the final inverse-Hessian approximation is itself useful (e.g. as an
//! approximate covariance of a maximum-likelihood fit). It is also the textbook
//! method whose superlinear convergence the tests check: with the strong-Wolfe
//! line search the unit step is eventually accepted and
//! `‖x_{k+1} − x*‖ / ‖x_k − x*‖ → 0` (Dennis & Moré 1974).

use wengert_ops::Matrix;

use crate::linalg::{dot, norm, norm_inf};
use crate::second_order::{line_search_strong_wolfe, OptimResult, Termination, WolfeParams};
use crate::solver_error::{check_all_finite, check_finite, check_len, check_start, SolverError};

/// Options of [`bfgs`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BfgsOptions {
    /// Iteration budget (default 1000).
    pub max_iter: usize,
    /// Stop when `‖∇f‖_∞ ≤ gtol` (default 1e-8).
    pub gtol: f64,
    /// Line-search parameters (default c₁ = 1e-4, c₂ = 0.9), the search
    /// L-BFGS uses ([`line_search_strong_wolfe`]).
    pub wolfe: WolfeParams,
    /// Keep every iterate in [`BfgsReport::iterates`] (default false).
    pub keep_iterates: bool,
}

impl Default for BfgsOptions {
    fn default() -> Self {
        BfgsOptions { max_iter: 1000, gtol: 1e-8, wolfe: WolfeParams::default(), keep_iterates: false }
    }
}

/// One entry of a convergence history: the state after an iteration (entry 0
/// is the start).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IterationRecord {
    /// `f(x_k)`.
    pub f: f64,
    /// `‖∇f(x_k)‖_∞`.
    pub grad_norm: f64,
    /// `‖x_k − x_{k−1}‖₂` (0 for the start).
    pub step_norm: f64,
}

/// The outcome of [`bfgs`].
#[derive(Clone, Debug, PartialEq)]
pub struct BfgsReport {
    /// Final point, value, gradient norm, iterations, evaluations, termination.
    pub result: OptimResult,
    /// One record per iterate, the start first.
    pub history: Vec<IterationRecord>,
    /// Every iterate, the start first, if [`BfgsOptions::keep_iterates`].
    pub iterates: Vec<Vec<f64>>,
    /// The final inverse-Hessian approximation `H_k ≈ ∇²f(x)⁻¹`.
    pub inverse_hessian: Matrix<f64>,
}

/// Wraps `fg` so that a gradient of the wrong length becomes an error (the
/// line search sees NaN and stops) instead of a panic deep inside.
struct Checked<F> {
    fg: F,
    n: usize,
    error: Option<SolverError>,
}

impl<F: FnMut(&[f64]) -> (f64, Vec<f64>)> Checked<F> {
    fn call(&mut self, x: &[f64]) -> (f64, Vec<f64>) {
        let (f, g) = (self.fg)(x);
        if g.len() == self.n {
            (f, g)
        } else {
            self.error.get_or_insert(SolverError::new(
                "bfgs",
                format!("the gradient has {} entries, expected {}", g.len(), self.n),
            ));
            (f64::NAN, vec![f64::NAN; self.n])
        }
    }
}

/// BFGS with the inverse-Hessian update
///
/// ```text
/// H ← (I − ρsyᵀ) H (I − ρysᵀ) + ρssᵀ,    s = x_{k+1} − x_k,  y = ∇f_{k+1} − ∇f_k,  ρ = 1/(yᵀs)
/// ```
///
/// (Nocedal & Wright, Algorithm 6.1), computed in `O(n²)` as
/// `H − ρ(s(Hy)ᵀ + (Hy)sᵀ) + (ρ²yᵀHy + ρ)ssᵀ`, and the strong-Wolfe line search
/// L-BFGS uses, which guarantees `yᵀs > 0` and so keeps `H` positive definite.
/// `H₀ = I`, rescaled to `(yᵀs/yᵀy) I` before the first update (N&W eq. 6.20);
/// the first step has length `min(1, 1/‖∇f‖₂)`. A pair with
/// `yᵀs ≤ 1e-12‖s‖‖y‖` is skipped; if the line search fails, `H` is reset to
/// the identity once and the step retried along `−∇f`.
///
/// ```
/// use wengert_optim::bfgs::{bfgs, BfgsOptions};
/// use wengert_optim::problems::rosenbrock_value_grad;
/// let r = bfgs(rosenbrock_value_grad, &[-1.2, 1.0], &BfgsOptions::default())?;
/// assert!(r.result.converged());
/// assert!((r.result.x[0] - 1.0).abs() < 1e-8 && (r.result.x[1] - 1.0).abs() < 1e-8);
/// // H approximates the inverse Hessian at (1, 1): [[802, −400], [−400, 200]]⁻¹.
/// assert!((r.inverse_hessian[(0, 0)] - 0.5).abs() < 0.05);
/// # Ok::<(), wengert_optim::SolverError>(())
/// ```
///
/// # Errors
/// A [`SolverError`] naming `bfgs` if `x0` is empty or has a non-finite entry,
/// `f(x0)` or `∇f(x0)` is not finite, or `fg` returns a gradient of the wrong
/// length (at any call).
pub fn bfgs<F>(fg: F, x0: &[f64], opts: &BfgsOptions) -> Result<BfgsReport, SolverError>
where
    F: FnMut(&[f64]) -> (f64, Vec<f64>),
{
    const NAME: &str = "bfgs";
    check_start(NAME, x0)?;
    let n = x0.len();
    let mut fg = Checked { fg, n, error: None };
    let mut x = x0.to_vec();
    let (mut f, mut g) = (fg.fg)(&x);
    check_len(NAME, "the gradient at the start", g.len(), n)?;
    check_finite(NAME, "f(x0)", f)?;
    check_all_finite(NAME, "the gradient at the start", "g", &g)?;
    let mut f_evals = 1;
    let mut h = Matrix::<f64>::identity(n);
    let mut fresh = true; // H is the unscaled identity: no update yet
    let mut history = vec![IterationRecord { f, grad_norm: norm_inf(&g), step_norm: 0.0 }];
    let mut iterates = if opts.keep_iterates { vec![x.clone()] } else { Vec::new() };
    let mut iterations = 0;
    let termination = loop {
        if norm_inf(&g) <= opts.gtol {
            break Termination::GradientTolerance;
        }
        if iterations >= opts.max_iter {
            break Termination::MaxIterations;
        }
        let mut p: Vec<f64> = h.row_iter().map(|row| -dot(row, &g)).collect();
        let mut alpha0 = 1.0;
        if fresh || dot(&p, &g) >= 0.0 {
            p = g.iter().map(|v| -v).collect();
            alpha0 = (1.0 / norm(&g)).min(1.0);
        }
        let mut line = |x: &[f64]| fg.call(x);
        let step = match line_search_strong_wolfe(&mut line, &x, f, &g, &p, alpha0, &opts.wolfe) {
            Ok(step) => step,
            Err(_) if !fresh => {
                if let Some(e) = fg.error.take() {
                    return Err(e);
                }
                h = Matrix::identity(n);
                fresh = true;
                continue;
            }
            Err(_) => {
                if let Some(e) = fg.error.take() {
                    return Err(e);
                }
                break Termination::NoProgress;
            }
        };
        if let Some(e) = fg.error.take() {
            return Err(e);
        }
        f_evals += step.evals;
        let s: Vec<f64> = step.x.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = step.grad.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &y);
        if sy > 1e-12 * norm(&s) * norm(&y) {
            if fresh {
                let gamma = sy / dot(&y, &y);
                h = Matrix::from_fn(n, n, |i, j| if i == j { gamma } else { 0.0 });
                fresh = false;
            }
            let rho = 1.0 / sy;
            let hy: Vec<f64> = h.row_iter().map(|row| dot(row, &y)).collect();
            let c = rho * rho * dot(&y, &hy) + rho;
            for i in 0..n {
                for j in 0..n {
                    h[(i, j)] += -rho * (s[i] * hy[j] + hy[i] * s[j]) + c * s[i] * s[j];
                }
            }
        }
        x = step.x;
        f = step.f;
        g = step.grad;
        iterations += 1;
        history.push(IterationRecord { f, grad_norm: norm_inf(&g), step_norm: norm(&s) });
        if opts.keep_iterates {
            iterates.push(x.clone());
        }
    };
    Ok(BfgsReport {
        result: OptimResult { grad_norm: norm_inf(&g), x, f, iterations, f_evals, termination },
        history,
        iterates,
        inverse_hessian: h,
    })
}
