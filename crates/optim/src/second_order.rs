//! Second-order and quasi-Newton methods on flat `f64` vectors, driven by closures.
//!
//! Why closures: these methods need the objective in three forms (value and
//! gradient, Hessian-vector products, the dense Hessian), and who provides them
//! varies: a hand-written formula in [`problems`](crate::problems), finite
//! differences, or the tape (`wengert_tape::fns::{value_and_grad, hvp, hessian}`,
//! or an `Objective`'s methods). The methods only see:
//!
//! * `fg: FnMut(&[f64]) -> (f64, Vec<f64>)`, the value and gradient at `x`;
//! * `hvp: FnMut(&[f64], &[f64]) -> Vec<f64>`, `H(x) v`;
//! * `hess: FnMut(&[f64]) -> Matrix<f64>`, `H(x)` as an `n × n` matrix.
//!
//! Three methods, in order of what they need:
//!
//! * [`lbfgs`]: gradients only; builds curvature from the last `m` steps. The
//!   default for smooth deterministic problems.
//! * [`newton_cg`]: Hessian-vector products only (truncated CG); no `n × n`
//!   matrix is ever formed, so it scales like L-BFGS per iteration but converges
//!   like Newton near the solution.
//! * [`newton_lm`]: the dense Hessian, Levenberg–Marquardt damped; quadratic
//!   convergence, `O(n³)` per step, for small `n`.
//! * [`newton_sparse`]: the Hessian as a sparse matrix (`hess: FnMut(&[f64]) ->
//!   CsrMatrix`, e.g. a compiled function's `sparse_hessian`), formed once per
//!   step and solved by truncated CG: Newton for large sparse problems.
//!
//! A compiled function (`wengert_tape::compile`) provides every form by replay:
//! `|x| f.value_and_gradient(x).unwrap()`, `|x, v| f.hvp(x, v).unwrap().2`,
//! `|x| f.hessian(x).unwrap()`, `|x| f.sparse_hessian(x).unwrap()` (or through
//! its `Objective` implementation, which panics where a guard flips).
//!
//! L-BFGS and Newton-CG use a line search satisfying the strong Wolfe conditions
//! ([`line_search_strong_wolfe`]).

use std::collections::VecDeque;

use wengert_ops::Matrix;

use crate::linalg::{axpy, cholesky, cholesky_solve, dot, norm, norm_inf};

/// Why an iterative method stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Termination {
    /// `‖∇f‖_∞ ≤ gtol`.
    GradientTolerance,
    /// The iteration budget ran out.
    MaxIterations,
    /// No acceptable step could be found (line search failed or damping exploded);
    /// usually means the gradient is inaccurate or the limit of precision is reached.
    NoProgress,
    /// The step became shorter than the step tolerance relative to `x` (the
    /// least-squares solvers: at a minimum with a non-zero residual the gradient
    /// tolerance may be out of reach while the iterates no longer move).
    StepTolerance,
}

/// Outcome of a minimization.
#[derive(Clone, Debug, PartialEq)]
pub struct OptimResult {
    /// Final iterate.
    pub x: Vec<f64>,
    /// `f(x)`.
    pub f: f64,
    /// `‖∇f(x)‖_∞`.
    pub grad_norm: f64,
    /// Outer iterations performed (accepted steps).
    pub iterations: usize,
    /// Calls of the value-and-gradient closure.
    pub f_evals: usize,
    /// Why it stopped.
    pub termination: Termination,
}

impl OptimResult {
    /// Whether the gradient tolerance was reached.
    pub fn converged(&self) -> bool {
        self.termination == Termination::GradientTolerance
    }
}

// ---------------------------------------------------------------------------------
// Line search
// ---------------------------------------------------------------------------------

/// Parameters of [`line_search_strong_wolfe`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WolfeParams {
    /// Sufficient-decrease constant c₁ (default 1e-4).
    pub c1: f64,
    /// Curvature constant c₂ (default 0.9, the quasi-Newton choice; use 0.1 for
    /// nonlinear CG).
    pub c2: f64,
    /// Largest step tried (default 1e10).
    pub max_step: f64,
    /// Budget of function evaluations (default 40).
    pub max_evals: usize,
}

impl Default for WolfeParams {
    fn default() -> Self {
        WolfeParams { c1: 1e-4, c2: 0.9, max_step: 1e10, max_evals: 40 }
    }
}

/// An accepted step of the line search.
#[derive(Clone, Debug, PartialEq)]
pub struct LineSearchStep {
    /// Step length α.
    pub alpha: f64,
    /// `x + αp`.
    pub x: Vec<f64>,
    /// `f(x + αp)`.
    pub f: f64,
    /// `∇f(x + αp)`.
    pub grad: Vec<f64>,
    /// Function evaluations used.
    pub evals: usize,
}

/// The line search could not satisfy the strong Wolfe conditions.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LineSearchError {
    /// `p` is not a descent direction (`∇f·p ≥ 0`).
    NotDescent,
    /// The evaluation budget ran out (often: the limit of floating-point precision).
    MaxEvaluations,
}

/// One sample of `φ(α) = f(x + αp)`.
#[derive(Clone, Debug)]
struct Sample {
    alpha: f64,
    phi: f64,
    dphi: f64,
    x: Vec<f64>,
    grad: Vec<f64>,
}

/// Minimiser of the cubic interpolating `φ` and `φ'` at `a` and `b`
/// (Nocedal & Wright eq. 3.59); `None` if the cubic has no real minimiser.
fn cubic_min(a: &Sample, b: &Sample) -> Option<f64> {
    let d1 = a.dphi + b.dphi - 3.0 * (a.phi - b.phi) / (a.alpha - b.alpha);
    let disc = d1 * d1 - a.dphi * b.dphi;
    if disc < 0.0 {
        return None;
    }
    let d2 = (b.alpha - a.alpha).signum() * disc.sqrt();
    let den = b.dphi - a.dphi + 2.0 * d2;
    if den == 0.0 {
        return None;
    }
    let t = b.alpha - (b.alpha - a.alpha) * (b.dphi + d2 - d1) / den;
    t.is_finite().then_some(t)
}

/// Line search along `p` from `x` (with `f0 = f(x)`, `g0 = ∇f(x)`) for a step α
/// satisfying the strong Wolfe conditions
///
/// * sufficient decrease: `f(x + αp) ≤ f(x) + c₁ α ∇f(x)·p`,
/// * curvature: `|∇f(x + αp)·p| ≤ c₂ |∇f(x)·p|`,
///
/// starting from `alpha0`. When `f(x + αp)` is within rounding of `f(x)` the
/// sufficient-decrease test falls back to Hager & Zhang's approximate form
/// `∇f(x + αp)·p ≤ (2c₁ − 1) ∇f(x)·p`, so tight gradient tolerances stay reachable
/// where the decrease `O(‖∇f‖²)` is below `ε|f|`. Nocedal & Wright, Algorithms 3.5 (bracketing by
/// doubling) and 3.6 (zoom), with the trial point in zoom chosen by cubic
/// interpolation and safeguarded to the middle 80 % of the bracket (bisection when
/// the cubic is unusable).
pub fn line_search_strong_wolfe<F>(
    fg: &mut F,
    x: &[f64],
    f0: f64,
    g0: &[f64],
    p: &[f64],
    alpha0: f64,
    params: &WolfeParams,
) -> Result<LineSearchStep, LineSearchError>
where
    F: FnMut(&[f64]) -> (f64, Vec<f64>),
{
    let dphi0 = dot(g0, p);
    if dphi0 >= 0.0 || !dphi0.is_finite() {
        return Err(LineSearchError::NotDescent);
    }
    let mut evals = 0;
    let mut eval = |alpha: f64, evals: &mut usize| -> Sample {
        *evals += 1;
        let mut xa = x.to_vec();
        axpy(alpha, p, &mut xa);
        let (phi, grad) = fg(&xa);
        let dphi = dot(&grad, p);
        Sample { alpha, phi, dphi, x: xa, grad }
    };
    let done = |s: Sample, evals: usize| LineSearchStep { alpha: s.alpha, x: s.x, f: s.phi, grad: s.grad, evals };
    // Sufficient decrease, or Hager–Zhang's approximate form when f no longer
    // resolves the decrease (φ within rounding of φ(0) and φ' shows the step did
    // not overshoot the 1-D quadratic model).
    let rounding = 4.0 * f64::EPSILON * f0.abs();
    let armijo = |s: &Sample| {
        s.phi <= f0 + params.c1 * s.alpha * dphi0
            || (s.phi <= f0 + rounding && s.dphi <= (2.0 * params.c1 - 1.0) * dphi0)
    };
    let curvature = |s: &Sample| s.dphi.abs() <= -params.c2 * dphi0;

    let mut prev = Sample { alpha: 0.0, phi: f0, dphi: dphi0, x: x.to_vec(), grad: g0.to_vec() };
    let mut alpha = alpha0.min(params.max_step);
    let (mut lo, mut hi);
    loop {
        if evals >= params.max_evals {
            return Err(LineSearchError::MaxEvaluations);
        }
        let cur = eval(alpha, &mut evals);
        if !cur.phi.is_finite() || !armijo(&cur) || (prev.alpha > 0.0 && cur.phi >= prev.phi) {
            (lo, hi) = (prev, cur);
            break;
        }
        if curvature(&cur) {
            return Ok(done(cur, evals));
        }
        if cur.dphi >= 0.0 {
            (lo, hi) = (cur, prev);
            break;
        }
        if alpha >= params.max_step {
            return Err(LineSearchError::MaxEvaluations);
        }
        alpha = (2.0 * alpha).min(params.max_step);
        prev = cur;
    }
    // Zoom: `lo` satisfies sufficient decrease and has the lowest φ so far; the
    // bracket between `lo` and `hi` contains a strong-Wolfe point.
    loop {
        if evals >= params.max_evals {
            return Err(LineSearchError::MaxEvaluations);
        }
        let (a, b) = (lo.alpha.min(hi.alpha), lo.alpha.max(hi.alpha));
        let width = b - a;
        if width <= f64::EPSILON * b.max(1e-300) {
            return Err(LineSearchError::MaxEvaluations);
        }
        let mut trial = if hi.phi.is_finite() { cubic_min(&lo, &hi).unwrap_or(f64::NAN) } else { f64::NAN };
        if !(trial >= a + 0.1 * width && trial <= b - 0.1 * width) {
            trial = 0.5 * (a + b);
        }
        let cur = eval(trial, &mut evals);
        if !cur.phi.is_finite() || !armijo(&cur) || cur.phi >= lo.phi {
            hi = cur;
        } else {
            if curvature(&cur) {
                return Ok(done(cur, evals));
            }
            if cur.dphi * (hi.alpha - lo.alpha) >= 0.0 {
                hi = lo;
            }
            lo = cur;
        }
    }
}

// ---------------------------------------------------------------------------------
// L-BFGS
// ---------------------------------------------------------------------------------

/// Options of [`lbfgs`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LbfgsOptions {
    /// History length m (default 10).
    pub history: usize,
    /// Iteration budget (default 1000).
    pub max_iter: usize,
    /// Stop when `‖∇f‖_∞ ≤ gtol` (default 1e-8).
    pub gtol: f64,
    /// Line-search parameters (default c₁ = 1e-4, c₂ = 0.9).
    pub wolfe: WolfeParams,
}

impl Default for LbfgsOptions {
    fn default() -> Self {
        LbfgsOptions { history: 10, max_iter: 1000, gtol: 1e-8, wolfe: WolfeParams::default() }
    }
}

/// L-BFGS: quasi-Newton with the inverse Hessian approximated from the last `m`
/// pairs `(s, y) = (x_{k+1} − x_k, ∇f_{k+1} − ∇f_k)` by the two-loop recursion,
/// scaled by `γ = sᵀy / yᵀy` (Nocedal & Wright, Algorithm 7.4–7.5).
///
/// The strong Wolfe line search guarantees `sᵀy > 0`, so the approximation stays
/// positive definite; pairs with `sᵀy ≤ 1e-12 ‖s‖‖y‖` are skipped anyway. The first
/// step has length `min(1, 1/‖∇f‖₂)` along `−∇f`.
pub fn lbfgs<F>(mut fg: F, x0: &[f64], opts: &LbfgsOptions) -> OptimResult
where
    F: FnMut(&[f64]) -> (f64, Vec<f64>),
{
    let mut x = x0.to_vec();
    let (mut f, mut g) = fg(&x);
    let mut f_evals = 1;
    let mut hist: VecDeque<(Vec<f64>, Vec<f64>, f64)> = VecDeque::with_capacity(opts.history);
    let mut iterations = 0;
    let termination = loop {
        if norm_inf(&g) <= opts.gtol {
            break Termination::GradientTolerance;
        }
        if iterations >= opts.max_iter {
            break Termination::MaxIterations;
        }
        // Two-loop recursion: p = −H_k g.
        let mut q = g.clone();
        let mut alphas = Vec::with_capacity(hist.len());
        for (s, y, rho) in hist.iter().rev() {
            let a = rho * dot(s, &q);
            axpy(-a, y, &mut q);
            alphas.push(a);
        }
        if let Some((s, y, _)) = hist.back() {
            let gamma = dot(s, y) / dot(y, y);
            q.iter_mut().for_each(|v| *v *= gamma);
        }
        for ((s, y, rho), a) in hist.iter().zip(alphas.iter().rev()) {
            let b = rho * dot(y, &q);
            axpy(a - b, s, &mut q);
        }
        let mut p: Vec<f64> = q.iter().map(|v| -v).collect();
        let mut alpha0 = 1.0;
        if dot(&p, &g) >= 0.0 || hist.is_empty() {
            hist.clear();
            p = g.iter().map(|v| -v).collect();
            alpha0 = (1.0 / norm(&g)).min(1.0);
        }
        let step = match line_search_strong_wolfe(&mut fg, &x, f, &g, &p, alpha0, &opts.wolfe) {
            Ok(step) => step,
            Err(_) if !hist.is_empty() => {
                // Retry once from steepest descent with a fresh memory.
                hist.clear();
                continue;
            }
            Err(_) => break Termination::NoProgress,
        };
        f_evals += step.evals;
        let s: Vec<f64> = step.x.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = step.grad.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &y);
        if sy > 1e-12 * norm(&s) * norm(&y) {
            if hist.len() == opts.history {
                hist.pop_front();
            }
            hist.push_back((s, y, 1.0 / sy));
        }
        x = step.x;
        f = step.f;
        g = step.grad;
        iterations += 1;
    };
    OptimResult { grad_norm: norm_inf(&g), x, f, iterations, f_evals, termination }
}

// ---------------------------------------------------------------------------------
// Newton with Levenberg–Marquardt damping
// ---------------------------------------------------------------------------------

/// Options of [`newton_lm`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NewtonOptions {
    /// Initial damping λ (default 0: a pure Newton step whenever the Hessian is
    /// positive definite and the step decreases f).
    pub damping: f64,
    /// Factor by which λ grows on failure and shrinks on success (default 10).
    pub factor: f64,
    /// Iteration budget (default 100).
    pub max_iter: usize,
    /// Stop when `‖∇f‖_∞ ≤ gtol` (default 1e-10).
    pub gtol: f64,
}

impl Default for NewtonOptions {
    fn default() -> Self {
        NewtonOptions { damping: 0.0, factor: 10.0, max_iter: 100, gtol: 1e-10 }
    }
}

/// Newton's method with Levenberg–Marquardt damping: solve `(H + λI) p = −∇f` by
/// Cholesky and move to `x + p`.
///
/// * If the Cholesky factorization fails (`H + λI` not positive definite), λ is
///   increased (to `max(factor·λ, 1e-8 · max|Hᵢᵢ|)`) and the factorization retried.
/// * If the step does not decrease f, it is rejected and λ increased (a step whose
///   increase is within rounding of f and which reduces `‖∇f‖` is accepted, so the
///   method can reach gradients below `√ε·|f|`).
/// * After an accepted step λ is divided by `factor` (and snaps to 0 below 1e-12
///   times the Hessian scale, so the method ends with pure Newton steps and
///   quadratic convergence).
///
/// Large λ turns the step into a short gradient step `−∇f/λ`, so the method is
/// globally convergent on problems where plain Newton would diverge.
pub fn newton_lm<F, H>(mut fg: F, mut hess: H, x0: &[f64], opts: &NewtonOptions) -> OptimResult
where
    F: FnMut(&[f64]) -> (f64, Vec<f64>),
    H: FnMut(&[f64]) -> Matrix<f64>,
{
    let n = x0.len();
    let mut x = x0.to_vec();
    let (mut f, mut g) = fg(&x);
    let mut f_evals = 1;
    let mut lambda = opts.damping;
    let mut iterations = 0;
    let termination = 'outer: loop {
        if norm_inf(&g) <= opts.gtol {
            break Termination::GradientTolerance;
        }
        if iterations >= opts.max_iter {
            break Termination::MaxIterations;
        }
        let h = hess(&x);
        assert_eq!(h.shape(), (n, n), "newton_lm: Hessian closure returned the wrong shape");
        let scale = (0..n).map(|i| h[(i, i)].abs()).fold(0.0, f64::max).max(1e-300);
        let bump = |l: f64| (opts.factor * l).max(1e-8 * scale);
        loop {
            if !lambda.is_finite() || lambda > 1e20 * scale {
                break 'outer Termination::NoProgress;
            }
            let damped = Matrix::from_fn(n, n, |i, j| if i == j { h[(i, j)] + lambda } else { h[(i, j)] });
            let Ok(l) = cholesky(&damped) else {
                lambda = bump(lambda);
                continue;
            };
            let neg_g: Vec<f64> = g.iter().map(|v| -v).collect();
            let p = cholesky_solve(&l, &neg_g);
            let mut xn = x.clone();
            axpy(1.0, &p, &mut xn);
            let (fn_, gn) = fg(&xn);
            f_evals += 1;
            // Near the optimum f stops resolving the decrease (it is O(‖g‖²)); a step
            // whose increase is within rounding and that shrinks the gradient counts.
            let within_rounding = fn_ - f <= 4.0 * f64::EPSILON * f.abs() && norm_inf(&gn) < norm_inf(&g);
            if fn_.is_finite() && (fn_ <= f || within_rounding) {
                x = xn;
                f = fn_;
                g = gn;
                lambda /= opts.factor;
                if lambda < 1e-12 * scale {
                    lambda = 0.0;
                }
                break;
            }
            lambda = bump(lambda);
        }
        iterations += 1;
    };
    OptimResult { grad_norm: norm_inf(&g), x, f, iterations, f_evals, termination }
}

// ---------------------------------------------------------------------------------
// Newton-CG
// ---------------------------------------------------------------------------------

/// Options of [`newton_cg`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NewtonCgOptions {
    /// Iteration budget (default 200).
    pub max_iter: usize,
    /// Stop when `‖∇f‖_∞ ≤ gtol` (default 1e-8).
    pub gtol: f64,
    /// Cap on CG iterations per outer step (default 0 = the dimension n).
    pub max_cg: usize,
    /// Line-search parameters.
    pub wolfe: WolfeParams,
}

impl Default for NewtonCgOptions {
    fn default() -> Self {
        NewtonCgOptions { max_iter: 200, gtol: 1e-8, max_cg: 0, wolfe: WolfeParams::default() }
    }
}

/// Outcome of [`newton_cg`]: the usual result plus CG statistics.
#[derive(Clone, Debug, PartialEq)]
pub struct NewtonCgResult {
    /// Iterate, value, counts, termination.
    pub result: OptimResult,
    /// Total CG iterations (= Hessian-vector products).
    pub cg_iterations: usize,
    /// Outer steps where CG met a direction with `dᵀHd ≤ 0` and stopped early.
    pub negative_curvature_steps: usize,
}

/// Truncated Newton (Newton-CG, Nocedal & Wright Algorithm 7.1) using only
/// Hessian-vector products.
///
/// Each outer step runs CG on `H p = −∇f` from `p = 0` until the residual is below
/// `min(0.5, √‖∇f‖)·‖∇f‖` (superlinear convergence), `max_cg` iterations pass, or
/// a direction `d` with `dᵀHd ≤ 0` appears (negative curvature: CG's model is
/// unbounded below there). On negative curvature at the first CG iteration the
/// direction is `−∇f`; later, the CG iterate so far (a descent direction). A strong
/// Wolfe line search starting at α = 1 then sets the step.
pub fn newton_cg<F, Hv>(mut fg: F, mut hvp: Hv, x0: &[f64], opts: &NewtonCgOptions) -> NewtonCgResult
where
    F: FnMut(&[f64]) -> (f64, Vec<f64>),
    Hv: FnMut(&[f64], &[f64]) -> Vec<f64>,
{
    let n = x0.len();
    let max_cg = if opts.max_cg == 0 { n.max(1) } else { opts.max_cg };
    let mut x = x0.to_vec();
    let (mut f, mut g) = fg(&x);
    let mut f_evals = 1;
    let (mut iterations, mut cg_iterations, mut neg_steps) = (0, 0, 0);
    let termination = loop {
        if norm_inf(&g) <= opts.gtol {
            break Termination::GradientTolerance;
        }
        if iterations >= opts.max_iter {
            break Termination::MaxIterations;
        }
        let gnorm = norm(&g);
        let tol = gnorm.sqrt().min(0.5) * gnorm;
        let mut z = vec![0.0; n];
        let mut r = g.clone();
        let mut d: Vec<f64> = g.iter().map(|v| -v).collect();
        let mut rr = dot(&r, &r);
        let mut p = None;
        for j in 0..max_cg {
            cg_iterations += 1;
            let hd = hvp(&x, &d);
            let dhd = dot(&d, &hd);
            if dhd <= 1e-14 * dot(&d, &d) * gnorm.max(1.0) {
                neg_steps += 1;
                p = Some(if j == 0 { g.iter().map(|v| -v).collect() } else { z.clone() });
                break;
            }
            let a = rr / dhd;
            axpy(a, &d, &mut z);
            axpy(a, &hd, &mut r);
            let rr_new = dot(&r, &r);
            if rr_new.sqrt() < tol {
                p = Some(z.clone());
                break;
            }
            let beta = rr_new / rr;
            rr = rr_new;
            for (di, ri) in d.iter_mut().zip(&r) {
                *di = -ri + beta * *di;
            }
        }
        let p = p.unwrap_or(z);
        let step = match line_search_strong_wolfe(&mut fg, &x, f, &g, &p, 1.0, &opts.wolfe) {
            Ok(s) => s,
            Err(_) => {
                // Fall back to steepest descent once before giving up.
                let sd: Vec<f64> = g.iter().map(|v| -v).collect();
                match line_search_strong_wolfe(&mut fg, &x, f, &g, &sd, 1.0 / gnorm.max(1.0), &opts.wolfe) {
                    Ok(s) => s,
                    Err(_) => break Termination::NoProgress,
                }
            }
        };
        f_evals += step.evals;
        x = step.x;
        f = step.f;
        g = step.grad;
        iterations += 1;
    };
    NewtonCgResult {
        result: OptimResult { grad_norm: norm_inf(&g), x, f, iterations, f_evals, termination },
        cg_iterations,
        negative_curvature_steps: neg_steps,
    }
}

// ---------------------------------------------------------------------------------
// Newton with a sparse Hessian
// ---------------------------------------------------------------------------------

/// Newton's method with the Hessian as a sparse matrix: at each outer step the
/// Hessian is computed **once** (`hess(x)`, e.g. a compiled function's
/// [`sparse_hessian`](wengert_tape::compile::Compiled::sparse_hessian), which
/// costs a few gradients whatever `n` is when the Hessian is banded), and the
/// Newton system is solved by the truncated CG of [`newton_cg`] with sparse
/// matrix-vector products; a strong Wolfe line search sets the step.
///
/// So it scales to problems whose dense Hessian does not fit (extended
/// Rosenbrock at n = 10 000: 3n − 2 nonzeros instead of n²) and converges like
/// Newton. Options, result and negative-curvature handling are those of
/// [`newton_cg`]; `cg_iterations` counts sparse products, and the number of
/// Hessians formed is the number of outer iterations.
///
/// ```
/// use wengert_optim::second_order::{newton_sparse, NewtonCgOptions};
/// use wengert_tape::compile::compile;
/// use wengert_tape::Scalar;
/// // Σ (xᵢ − i)⁴ + xᵢ²: a diagonal Hessian.
/// let x0 = vec![0.0; 50];
/// let f = compile(|x| x.iter().enumerate().map(|(i, &v)| (v - i as f64).powi(4) + v.square()).sum(), &x0).unwrap();
/// let r = newton_sparse(
///     |x| f.value_and_gradient(x).expect("no guards"),
///     |x| f.sparse_hessian(x).expect("no guards"),
///     &x0,
///     &NewtonCgOptions::default(),
/// );
/// assert!(r.result.converged(), "{:?}", r.result.termination);
/// ```
pub fn newton_sparse<F, H>(fg: F, mut hess: H, x0: &[f64], opts: &NewtonCgOptions) -> NewtonCgResult
where
    F: FnMut(&[f64]) -> (f64, Vec<f64>),
    H: FnMut(&[f64]) -> wengert_tape::compile::CsrMatrix,
{
    let mut current: Option<(Vec<f64>, wengert_tape::compile::CsrMatrix)> = None;
    let hvp = move |x: &[f64], v: &[f64]| {
        let stale = current.as_ref().is_none_or(|(at, _)| at != x);
        if stale {
            let h = hess(x);
            assert_eq!(
                (h.pattern.rows, h.pattern.cols),
                (x.len(), x.len()),
                "newton_sparse: Hessian closure returned the wrong shape"
            );
            current = Some((x.to_vec(), h));
        }
        current.as_ref().map_or_else(Vec::new, |(_, h)| h.mul_vec(v))
    };
    newton_cg(fg, hvp, x0, opts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quartic(x: &[f64]) -> (f64, Vec<f64>) {
        // f = x⁴/4 − x²/2 + y²/2: minima at (±1, 0), saddle at the origin.
        (x[0].powi(4) / 4.0 - x[0] * x[0] / 2.0 + x[1] * x[1] / 2.0, vec![x[0].powi(3) - x[0], x[1]])
    }

    #[test]
    fn wolfe_step_satisfies_both_conditions() {
        let mut fg = |x: &[f64]| crate::problems::rosenbrock_value_grad(x);
        let x = [-1.2, 1.0];
        let (f0, g0) = fg(&x);
        let p: Vec<f64> = g0.iter().map(|v| -v).collect();
        let params = WolfeParams::default();
        let s = line_search_strong_wolfe(&mut fg, &x, f0, &g0, &p, 1.0, &params).unwrap();
        let d0 = dot(&g0, &p);
        assert!(s.f <= f0 + params.c1 * s.alpha * d0);
        assert!(dot(&s.grad, &p).abs() <= params.c2 * d0.abs());
        assert!(s.alpha < 1.0, "the full gradient step overshoots here, so zoom must have run");
    }

    #[test]
    fn line_search_rejects_ascent_directions() {
        let mut fg = quartic;
        let (f0, g0) = fg(&[2.0, 1.0]);
        let r = line_search_strong_wolfe(&mut fg, &[2.0, 1.0], f0, &g0, &g0, 1.0, &WolfeParams::default());
        assert_eq!(r, Err(LineSearchError::NotDescent));
    }

    /// Extended Rosenbrock (Moré, Garbow & Hillstrom): independent pairs,
    /// `Σ 100 (x₂ᵢ₊₁ − x₂ᵢ²)² + (1 − x₂ᵢ)²`; a 2×2 block-diagonal Hessian.
    fn extended_rosenbrock<T: wengert_ops::Real>(x: &[T]) -> T {
        x.chunks(2).fold(T::zero(), |acc, p| acc + (p[1] - p[0] * p[0]).square() * 100.0 + (p[0] - 1.0).square())
    }

    #[test]
    fn newton_sparse_solves_extended_rosenbrock_with_a_compiled_hessian() {
        let n = 1000;
        let x0: Vec<f64> = (0..n).map(|i| if i % 2 == 0 { -1.2 } else { 1.0 }).collect();
        let f = wengert_tape::compile::compile(|x| extended_rosenbrock(x), &x0).expect("compiles");
        assert_eq!(f.hessian_coloring().count, 2);
        let r = newton_sparse(
            |x| f.value_and_gradient(x).expect("no guards"),
            |x| f.sparse_hessian(x).expect("no guards"),
            &x0,
            &NewtonCgOptions::default(),
        );
        assert!(r.result.converged(), "{:?} after {}", r.result.termination, r.result.iterations);
        assert!(r.result.x.iter().all(|v| (v - 1.0).abs() < 1e-6));
        assert!(r.result.iterations < 150, "{} Newton steps", r.result.iterations);
        // The sparse products are the exact Hessian's: the chained Rosenbrock's
        // against its hand-written HVP.
        let chained = wengert_tape::compile::compile(|x| crate::problems::rosenbrock(x), &x0).expect("compiles");
        let h = chained.sparse_hessian(&x0).expect("no guards");
        let v: Vec<f64> = (0..n).map(|i| (i as f64).sin()).collect();
        let by_hand = crate::problems::rosenbrock_hvp(&x0, &v);
        assert!(h.mul_vec(&v).iter().zip(&by_hand).all(|(a, b)| (a - b).abs() < 1e-9 * b.abs().max(1.0)));
    }

    #[test]
    fn newton_cg_detects_negative_curvature_and_escapes() {
        // At (0.5, 0) the Hessian diag(3x² − 1, 1) = diag(−0.25, 1) and the gradient
        // points along the negative-curvature axis.
        let hvp = |x: &[f64], v: &[f64]| vec![(3.0 * x[0] * x[0] - 1.0) * v[0], v[1]];
        let r = newton_cg(quartic, hvp, &[0.5, 0.0], &NewtonCgOptions::default());
        assert!(r.negative_curvature_steps >= 1);
        assert!(r.result.converged());
        assert!((r.result.x[0] - 1.0).abs() < 1e-8 && r.result.x[1].abs() < 1e-8);
        assert!((r.result.f + 0.25).abs() < 1e-14);
    }

    #[test]
    fn newton_lm_damps_through_an_indefinite_hessian() {
        let hess = |x: &[f64]| Matrix::from_rows(&[[3.0 * x[0] * x[0] - 1.0, 0.0], [0.0, 1.0]]);
        let r = newton_lm(quartic, hess, &[0.3, 1.0], &NewtonOptions::default());
        assert!(r.converged(), "{r:?}");
        assert!((r.x[0].abs() - 1.0).abs() < 1e-10 && r.x[1].abs() < 1e-10);
    }
}
