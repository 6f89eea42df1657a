//! The soft-margin linear support vector machine, solved in the primal and in
//! the dual — one problem, two constrained formulations whose solutions must
//! agree, which makes it a sharp test of the constrained solvers.
//!
//! For examples `xᵢ ∈ ℝᵈ` with labels `yᵢ ∈ {−1, +1}` and a cost `C > 0`:
//!
//! ```text
//! primal   min_{w,b,ξ}  ½‖w‖² + C Σᵢ ξᵢ   s.t.  yᵢ(wᵀxᵢ + b) ≥ 1 − ξᵢ,  ξᵢ ≥ 0
//! dual     max_α  Σᵢ αᵢ − ½ ‖Σᵢ αᵢyᵢxᵢ‖²   s.t.  0 ≤ αᵢ ≤ C,  Σᵢ αᵢyᵢ = 0
//! ```
//!
//! At the solution `w = Σ αᵢyᵢxᵢ` and, with the margins `mᵢ = yᵢ(wᵀxᵢ + b)`,
//! complementary slackness sorts the examples: `αᵢ = 0` ⇒ `mᵢ ≥ 1` (outside the
//! margin), `0 < αᵢ < C` ⇒ `mᵢ = 1` (on the margin: the *free* support vectors,
//! which fix `b`), `αᵢ = C` ⇒ `mᵢ ≤ 1` (inside the margin or misclassified).
//! The geometric margin is `2/‖w‖`.
//!
//! * [`svm_primal`]: the primal is the hinge loss `½‖w‖² + C Σ max(0, 1 − mᵢ)`
//!   **exactly** — neither subgradients nor a smoothed hinge: the hinge's kinks
//!   become the `2N` inequality constraints of the epigraph form above, solved
//!   by the PHR augmented Lagrangian
//!   ([`augmented_lagrangian_inequality`]), whose multipliers of the margin
//!   constraints are the dual variables α. The constraints are applied
//!   matrix-free (`O(Nd)` per product), so no `2N × (d + 1 + N)` Jacobian is
//!   formed.
//! * [`svm_dual`]: the dual is a box-constrained quadratic program with one
//!   equality, solved by accelerated projected gradient (FISTA with adaptive
//!   restart) with the exact Euclidean projection onto
//!   `{0 ≤ α ≤ C, yᵀα = 0}` ([`project_box_hyperplane`]) and step `1/L`,
//!   `L = λ_max(Q)` from Lanczos ([`top_eigenvalue`]).
//!
//! Both end with the same **active-set step**: the iterative solver's α sorts
//! the examples into `α = 0`, `0 < α < C` and `α = C`; with that guess the KKT
//! conditions are a linear system in the free αᵢ and b (size = free support
//! vectors + 1), solved exactly. The step is kept only if the sets were right
//! (the new point's KKT residual is smaller), which turns an answer accurate to
//! ~1e-5 into one accurate to rounding — the finite termination of active-set
//! methods. [`SvmSolution::solver_kkt`] keeps the residual before the step, so
//! the iterative solvers are judged on their own too.
//!
//! [`SvmProblem::kkt`] measures any `(w, b, α)` against all of these
//! conditions.

use wengert_ops::Matrix;

use crate::constrained::{augmented_lagrangian_inequality, AugLagOptions, Constraints};
use crate::linalg::{dot, norm, solve_dense};
use crate::second_order::LbfgsOptions;
use crate::solver_error::{check_all_finite, SolverError};
use crate::spectra::top_eigenvalue;

/// A soft-margin linear SVM: examples (rows of `x`), labels ±1 and the cost C.
#[derive(Clone, Debug, PartialEq)]
pub struct SvmProblem {
    x: Matrix<f64>,
    y: Vec<f64>,
    c: f64,
}

/// KKT residuals of a candidate `(w, b, α)` of the SVM (all zero at the solution).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SvmKkt {
    /// `max(‖w − Σ αᵢyᵢxᵢ‖_∞, |Σ αᵢyᵢ|)`: stationarity in `w` and `b`.
    pub stationarity: f64,
    /// `max(0, maxᵢ −αᵢ, maxᵢ (αᵢ − C))`: how far α is outside the box.
    pub dual_feasibility: f64,
    /// `maxᵢ max(|αᵢ (mᵢ − 1 + ξᵢ)|, |(C − αᵢ) ξᵢ|)` with `ξᵢ = max(0, 1 − mᵢ)`:
    /// the complementary slackness of both constraints of each example (the
    /// primal constraints hold by this choice of ξ).
    pub complementary_slackness: f64,
}

impl SvmKkt {
    /// The largest residual.
    pub fn max_residual(&self) -> f64 {
        self.stationarity.max(self.dual_feasibility).max(self.complementary_slackness)
    }
}

/// A solution of [`svm_primal`] or [`svm_dual`].
#[derive(Clone, Debug, PartialEq)]
pub struct SvmSolution {
    /// The normal of the separating hyperplane.
    pub w: Vec<f64>,
    /// The offset: the decision function is `wᵀx + b`.
    pub b: f64,
    /// The dual variables (for the primal: the multipliers of the margin constraints).
    pub alpha: Vec<f64>,
    /// The primal objective `½‖w‖² + C Σ max(0, 1 − mᵢ)`.
    pub objective: f64,
    /// Iterations: outer augmented-Lagrangian iterations (primal) or projected
    /// gradient steps (dual).
    pub iterations: usize,
    /// The KKT residuals of `(w, b, α)`.
    pub kkt: SvmKkt,
    /// The KKT residuals of the iterative solver's own answer, before the
    /// active-set step.
    pub solver_kkt: SvmKkt,
    /// Whether the active-set step was taken (it improved the KKT residual).
    pub polished: bool,
}

impl SvmSolution {
    /// The geometric margin `2/‖w‖` (the width of the band `|wᵀx + b| ≤ 1`).
    pub fn margin(&self) -> f64 {
        2.0 / norm(&self.w)
    }

    /// The free support vectors: indices with `tol·C < αᵢ < (1 − tol)·C`.
    pub fn free_support_vectors(&self, c: f64, tol: f64) -> Vec<usize> {
        (0..self.alpha.len()).filter(|&i| self.alpha[i] > tol * c && self.alpha[i] < (1.0 - tol) * c).collect()
    }
}

impl SvmProblem {
    /// The problem for examples `x` (`N × d`), labels `y` (each −1 or +1) and cost `c`.
    ///
    /// # Errors
    /// A [`SolverError`] naming `SvmProblem` if the sizes differ, there are no
    /// examples, a label is not ±1, both classes are not present, an entry of
    /// `x` is not finite, or `c` is not positive and finite.
    pub fn new(x: Matrix<f64>, y: Vec<f64>, c: f64) -> Result<Self, SolverError> {
        const NAME: &str = "SvmProblem";
        if x.rows() != y.len() || y.is_empty() {
            return Err(SolverError::new(NAME, format!("{} examples but {} labels", x.rows(), y.len())));
        }
        if let Some(i) = y.iter().position(|&v| v != 1.0 && v != -1.0) {
            return Err(SolverError::new(NAME, format!("label y[{i}] = {} is not ±1", y[i])));
        }
        if !(y.contains(&1.0) && y.contains(&-1.0)) {
            return Err(SolverError::new(NAME, "both classes must be present"));
        }
        check_all_finite(NAME, "the data", "x", x.as_slice())?;
        if !(c > 0.0 && c.is_finite()) {
            return Err(SolverError::new(NAME, format!("C must be finite and > 0, got {c}")));
        }
        Ok(SvmProblem { x, y, c })
    }

    /// The cost C.
    pub fn c(&self) -> f64 {
        self.c
    }

    /// Number of examples N.
    pub fn len(&self) -> usize {
        self.y.len()
    }

    /// Whether there are no examples (never, for a constructed problem).
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// The margins `mᵢ = yᵢ(wᵀxᵢ + b)`.
    pub fn margins(&self, w: &[f64], b: f64) -> Vec<f64> {
        self.x.row_iter().zip(&self.y).map(|(row, y)| y * (dot(row, w) + b)).collect()
    }

    /// The primal objective `½‖w‖² + C Σ max(0, 1 − mᵢ)`.
    pub fn primal_objective(&self, w: &[f64], b: f64) -> f64 {
        0.5 * dot(w, w) + self.c * self.margins(w, b).iter().map(|m| (1.0 - m).max(0.0)).sum::<f64>()
    }

    /// The dual objective `Σ αᵢ − ½‖Σ αᵢyᵢxᵢ‖²` (a lower bound on the primal's
    /// minimum for every feasible α; equal to it at the solution).
    pub fn dual_objective(&self, alpha: &[f64]) -> f64 {
        let w = self.weights(alpha);
        alpha.iter().sum::<f64>() - 0.5 * dot(&w, &w)
    }

    /// `w = Σ αᵢyᵢxᵢ`.
    pub fn weights(&self, alpha: &[f64]) -> Vec<f64> {
        let mut w = vec![0.0; self.x.cols()];
        for ((row, &y), &a) in self.x.row_iter().zip(&self.y).zip(alpha) {
            if a != 0.0 {
                w.iter_mut().zip(row).for_each(|(wj, xj)| *wj += a * y * xj);
            }
        }
        w
    }

    /// The KKT residuals of `(w, b, α)`; see [`SvmKkt`].
    pub fn kkt(&self, w: &[f64], b: f64, alpha: &[f64]) -> SvmKkt {
        let from_alpha = self.weights(alpha);
        let stationarity =
            w.iter().zip(&from_alpha).map(|(a, b)| (a - b).abs()).fold(dot(alpha, &self.y).abs(), f64::max);
        let dual_feasibility = alpha.iter().fold(0.0f64, |acc, &a| acc.max(-a).max(a - self.c));
        let complementary_slackness = self.margins(w, b).iter().zip(alpha).fold(0.0f64, |acc, (&m, &a)| {
            let xi = (1.0 - m).max(0.0);
            acc.max((a * (m - 1.0 + xi)).abs()).max(((self.c - a) * xi).abs())
        });
        SvmKkt { stationarity, dual_feasibility, complementary_slackness }
    }

    /// `b` from the free support vectors (the mean of `yᵢ − wᵀxᵢ` over
    /// `0 < αᵢ < C`), or — with none — the middle of the interval of `b` the
    /// KKT conditions allow.
    fn offset(&self, w: &[f64], alpha: &[f64]) -> f64 {
        let tol = 1e-8 * self.c;
        let scores: Vec<f64> = self.x.row_iter().map(|row| dot(row, w)).collect();
        let free: Vec<f64> = (0..self.len())
            .filter(|&i| alpha[i] > tol && alpha[i] < self.c - tol)
            .map(|i| self.y[i] - scores[i])
            .collect();
        if !free.is_empty() {
            return free.iter().sum::<f64>() / free.len() as f64;
        }
        // yᵢ(sᵢ + b) ≥ 1 where αᵢ = 0, ≤ 1 where αᵢ = C: bounds on b.
        let (mut lo, mut hi) = (f64::NEG_INFINITY, f64::INFINITY);
        for i in 0..self.len() {
            let bound = self.y[i] - scores[i];
            let at_zero = alpha[i] <= tol;
            if (self.y[i] > 0.0) == at_zero {
                lo = lo.max(bound);
            } else {
                hi = hi.min(bound);
            }
        }
        match (lo.is_finite(), hi.is_finite()) {
            (true, true) => 0.5 * (lo + hi),
            (true, false) => lo,
            (false, true) => hi,
            (false, false) => 0.0,
        }
    }

    /// The solution from the solver's `(w, b, α)`, with the active-set step
    /// taken if it lowers the KKT residual.
    fn solution(&self, w: Vec<f64>, b: f64, alpha: Vec<f64>, iterations: usize) -> SvmSolution {
        let solver_kkt = self.kkt(&w, b, &alpha);
        let polished = self.active_set_step(&alpha).filter(|p| p.3.max_residual() < solver_kkt.max_residual());
        let (w, b, alpha, kkt, polished) = match polished {
            Some((w, b, alpha, kkt)) => (w, b, alpha, kkt, true),
            None => (w, b, alpha, solver_kkt, false),
        };
        SvmSolution { objective: self.primal_objective(&w, b), w, b, alpha, iterations, kkt, solver_kkt, polished }
    }

    /// The exact solution for the active sets that `alpha` suggests (free:
    /// `1e-4·C < αᵢ < (1 − 1e-4)·C`), or `None` if there is no free support
    /// vector, the system is singular, or a solved αᵢ leaves `(0, C)`.
    ///
    /// With `B_C` the examples at `α = C`, the unknowns `α_F` and `b` solve
    /// `yᵢ(wᵀxᵢ + b) = 1` for `i ∈ F` and `Σ αᵢyᵢ = 0`, where
    /// `w = Σ_F αⱼyⱼxⱼ + C Σ_{B_C} yⱼxⱼ`:
    ///
    /// ```text
    /// [ Q_FF  y_F ] [α_F]   [ 1 − y_F ⊙ X_F w_C ]
    /// [ y_Fᵀ   0  ] [ b ] = [ −C Σ_{B_C} yⱼ     ]
    /// ```
    fn active_set_step(&self, alpha: &[f64]) -> Option<(Vec<f64>, f64, Vec<f64>, SvmKkt)> {
        let (n, c) = (self.len(), self.c);
        let tol = 1e-4 * c;
        let free: Vec<usize> = (0..n).filter(|&i| alpha[i] > tol && alpha[i] < c - tol).collect();
        if free.is_empty() {
            return None;
        }
        let mut base = vec![0.0; n];
        for i in 0..n {
            if alpha[i] >= c - tol {
                base[i] = c;
            }
        }
        let w_c = self.weights(&base);
        let k = free.len();
        let mut a = Matrix::zeros(k + 1, k + 1);
        let mut rhs = vec![0.0; k + 1];
        for (p, &i) in free.iter().enumerate() {
            for (q, &j) in free.iter().enumerate() {
                a[(p, q)] = self.y[i] * self.y[j] * dot(self.x.row(i), self.x.row(j));
            }
            a[(p, k)] = self.y[i];
            a[(k, p)] = self.y[i];
            rhs[p] = 1.0 - self.y[i] * dot(self.x.row(i), &w_c);
        }
        rhs[k] = -dot(&base, &self.y);
        let solved = solve_dense(&a, &rhs)?;
        let mut new_alpha = base;
        for (p, &i) in free.iter().enumerate() {
            if !(solved[p] > 0.0 && solved[p] < c) {
                return None;
            }
            new_alpha[i] = solved[p];
        }
        let w = self.weights(&new_alpha);
        let b = solved[k];
        let kkt = self.kkt(&w, b, &new_alpha);
        Some((w, b, new_alpha, kkt))
    }
}

/// The margin constraints of the epigraph form on `z = (w, b, ξ)`:
/// `gᵢ = 1 − ξᵢ − yᵢ(wᵀxᵢ + b) ≤ 0` and `g_{N+i} = −ξᵢ ≤ 0`.
struct MarginConstraints<'a> {
    problem: &'a SvmProblem,
}

impl Constraints for MarginConstraints<'_> {
    fn values(&mut self, z: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let p = self.problem;
        let d = p.x.cols();
        let (w, b, xi) = (&z[..d], z[d], &z[d + 1..]);
        let mut g: Vec<f64> = p.margins(w, b).iter().zip(xi).map(|(m, x)| 1.0 - x - m).collect();
        g.extend(xi.iter().map(|x| -x));
        (Vec::new(), g)
    }

    fn transpose_product(&mut self, z: &[f64], _u: &[f64], v: &[f64]) -> Vec<f64> {
        let p = self.problem;
        let (n, d) = (p.len(), p.x.cols());
        let mut out = vec![0.0; z.len()];
        for (i, (row, &y)) in p.x.row_iter().zip(&p.y).enumerate() {
            let vi = v[i];
            if vi != 0.0 {
                out[..d].iter_mut().zip(row).for_each(|(o, xj)| *o -= vi * y * xj);
                out[d] -= vi * y;
            }
            out[d + 1 + i] = -vi - v[n + i];
        }
        out
    }
}

/// The primal SVM by the PHR augmented Lagrangian on the epigraph form of the
/// hinge loss (see the [module](self)), then the active-set step; `ctol` is the
/// augmented Lagrangian's tolerance on feasibility and complementary slackness,
/// and the inner L-BFGS stops at `gtol = ctol/10` (or earlier, where double
/// precision no longer resolves the decrease: about 1e-6 on the breast-cancer
/// data).
///
/// # Errors
/// A [`SolverError`] if the augmented Lagrangian reports bad input (it cannot,
/// for a valid [`SvmProblem`]) or `ctol` is not positive.
pub fn svm_primal(problem: &SvmProblem, ctol: f64) -> Result<SvmSolution, SolverError> {
    if !(ctol > 0.0 && ctol.is_finite()) {
        return Err(SolverError::new("svm_primal", format!("ctol must be finite and > 0, got {ctol}")));
    }
    let (n, d, c) = (problem.len(), problem.x.cols(), problem.c);
    let fg = |z: &[f64]| {
        let w = &z[..d];
        let f = 0.5 * dot(w, w) + c * z[d + 1..].iter().sum::<f64>();
        let mut g = z.to_vec();
        g[d] = 0.0;
        g[d + 1..].iter_mut().for_each(|v| *v = c);
        (f, g)
    };
    let opts = AugLagOptions {
        mu: 10.0,
        mu_growth: 10.0,
        max_outer: 30,
        ctol,
        inner: LbfgsOptions { gtol: ctol / 10.0, max_iter: 20_000, ..LbfgsOptions::default() },
    };
    let z0 = vec![0.0; d + 1 + n];
    let r = augmented_lagrangian_inequality(fg, MarginConstraints { problem }, &z0, &opts)
        .map_err(|e| SolverError::new("svm_primal", e.problem))?;
    let w = r.x[..d].to_vec();
    let b = r.x[d];
    let alpha = r.inequality_multipliers[..n].to_vec();
    Ok(problem.solution(w, b, alpha, r.outer_iterations))
}

/// The Euclidean projection of `v` onto `{α : 0 ≤ αᵢ ≤ C, Σ αᵢyᵢ = 0}` for
/// labels `y ∈ {±1}ⁿ` with both signs present.
///
/// The projection is `α(τ) = clamp(v − τy, 0, C)` for the τ with
/// `h(τ) = yᵀα(τ) = 0` (the KKT conditions of the projection, τ the multiplier
/// of the equality). `h` is continuous, piecewise linear and non-increasing with
/// breakpoints `yᵢvᵢ` and `yᵢ(vᵢ − C)`; sorting them and locating the sign
/// change gives τ exactly, in `O(n log n)`.
///
/// ```
/// use wengert_optim::svm::project_box_hyperplane;
/// let y = [1.0, 1.0, -1.0];
/// let a = project_box_hyperplane(&[0.9, 0.5, 0.0], &y, 1.0);
/// assert!((a[0] + a[1] - a[2]).abs() < 1e-15 && a.iter().all(|&v| (0.0..=1.0).contains(&v)));
/// ```
///
/// # Panics
/// If `v` and `y` differ in length or `C ≤ 0`.
pub fn project_box_hyperplane(v: &[f64], y: &[f64], c: f64) -> Vec<f64> {
    assert_eq!(v.len(), y.len(), "project_box_hyperplane: {} values but {} labels", v.len(), y.len());
    assert!(c > 0.0, "project_box_hyperplane: C must be > 0, got {c}");
    let h = |tau: f64| -> f64 { v.iter().zip(y).map(|(vi, yi)| yi * (vi - tau * yi).clamp(0.0, c)).sum() };
    let mut breaks: Vec<f64> = v.iter().zip(y).flat_map(|(vi, yi)| [yi * vi, yi * (vi - c)]).collect();
    breaks.sort_by(f64::total_cmp);
    breaks.dedup();
    // h is non-increasing: find adjacent breakpoints with h(a) ≥ 0 ≥ h(b).
    let (mut lo, mut hi) = (0, breaks.len() - 1);
    let tau = if h(breaks[lo]) <= 0.0 {
        breaks[lo]
    } else if h(breaks[hi]) >= 0.0 {
        breaks[hi]
    } else {
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            if h(breaks[mid]) >= 0.0 {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        // Linear between the two breakpoints: interpolate the root exactly.
        let (a, b) = (breaks[lo], breaks[hi]);
        let (ha, hb) = (h(a), h(b));
        if ha == hb {
            a
        } else {
            a + (b - a) * ha / (ha - hb)
        }
    };
    v.iter().zip(y).map(|(vi, yi)| (vi - tau * yi).clamp(0.0, c)).collect()
}

/// The dual SVM by accelerated projected gradient (FISTA with the gradient
/// restart of O'Donoghue & Candès 2015) on
/// `min ½αᵀQα − 1ᵀα`, `Qᵢⱼ = yᵢyⱼxᵢᵀxⱼ`, over `{0 ≤ α ≤ C, yᵀα = 0}`, with the
/// exact projection [`project_box_hyperplane`] and step `1/L`,
/// `L = λ_max(Q) = λ_max(XᵀX)` from 30 Lanczos steps on `α ↦ Qα` (plus 1 %, since a
/// Ritz value is a lower bound). `Qα = y ⊙ X(Xᵀ(y ⊙ α))` costs `O(Nd)`; Q is
/// never formed. Stops when [`SvmProblem::kkt`] of `(w(α), b(α), α)` is below
/// `tol` — its own, or, once it is below 1e-4, that of the active-set step
/// (see the [module](self)) — or after `max_iter` steps; `b` comes from the free
/// support vectors.
///
/// # Errors
/// A [`SolverError`] naming `svm_dual` if `tol` is not positive and finite.
pub fn svm_dual(problem: &SvmProblem, tol: f64, max_iter: usize) -> Result<SvmSolution, SolverError> {
    /// KKT residual below which the dual solver tries the active-set step.
    const POLISH_FROM: f64 = 1e-4;
    const NAME: &str = "svm_dual";
    if !(tol > 0.0 && tol.is_finite()) {
        return Err(SolverError::new(NAME, format!("tol must be finite and > 0, got {tol}")));
    }
    let (n, c) = (problem.len(), problem.c);
    let q_times = |alpha: &[f64]| -> Vec<f64> {
        let w = problem.weights(alpha);
        problem.x.row_iter().zip(&problem.y).map(|(row, y)| y * dot(row, &w)).collect()
    };
    let lipschitz = 1.01
        * top_eigenvalue(|v: &[f64], out: &mut [f64]| out.copy_from_slice(&q_times(v)), n, 30, 0)
            .map_err(|e| SolverError::new(NAME, e.problem))?;
    let step = 1.0 / lipschitz;
    let mut alpha = vec![0.0; n];
    let mut momentum_point = alpha.clone();
    let mut t = 1.0f64;
    let mut iterations = 0;
    let check_every = 10;
    loop {
        let grad: Vec<f64> = q_times(&momentum_point).iter().map(|g| g - 1.0).collect();
        let trial: Vec<f64> = momentum_point.iter().zip(&grad).map(|(a, g)| a - step * g).collect();
        let next = project_box_hyperplane(&trial, &problem.y, c);
        iterations += 1;
        // Gradient restart: drop the momentum when it points uphill.
        let uphill = grad.iter().zip(next.iter().zip(&alpha)).map(|(g, (a, b))| g * (a - b)).sum::<f64>() > 0.0;
        let t_next = if uphill { 1.0 } else { 0.5 * (1.0 + (1.0 + 4.0 * t * t).sqrt()) };
        let beta = if uphill { 0.0 } else { (t - 1.0) / t_next };
        momentum_point = next.iter().zip(&alpha).map(|(a, b)| a + beta * (a - b)).collect();
        alpha = next;
        t = t_next;
        if iterations % check_every == 0 || iterations >= max_iter {
            let w = problem.weights(&alpha);
            let b = problem.offset(&w, &alpha);
            let kkt = problem.kkt(&w, b, &alpha);
            // Once the sets are plausibly identified, the active-set step may
            // finish the job exactly.
            let finished = kkt.max_residual() <= POLISH_FROM
                && problem.active_set_step(&alpha).is_some_and(|p| p.3.max_residual() <= tol);
            if finished || kkt.max_residual() <= tol || iterations >= max_iter {
                return Ok(problem.solution(w, b, alpha, iterations));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    #[test]
    fn the_projection_is_feasible_and_nearest() {
        let mut rng = StdRng::seed_from_u64(4);
        for _ in 0..50 {
            let n = rng.random_range(2..12);
            let y: Vec<f64> = (0..n)
                .map(|i| {
                    if i == 0 {
                        1.0
                    } else if i == 1 {
                        -1.0
                    } else if rng.random::<bool>() {
                        1.0
                    } else {
                        -1.0
                    }
                })
                .collect();
            let v: Vec<f64> = (0..n).map(|_| rng.random_range(-1.0..2.0)).collect();
            let p = project_box_hyperplane(&v, &y, 1.0);
            assert!(dot(&p, &y).abs() < 1e-12 && p.iter().all(|&a| (0.0..=1.0).contains(&a)));
            // No random feasible point is closer: compare with projections of
            // perturbed points (all feasible) and the optimality condition.
            let d = |a: &[f64]| a.iter().zip(&v).map(|(x, y)| (x - y).powi(2)).sum::<f64>();
            for _ in 0..20 {
                let other: Vec<f64> = v.iter().map(|x| x + rng.random_range(-0.5..0.5)).collect();
                let q = project_box_hyperplane(&other, &y, 1.0);
                assert!(d(&q) >= d(&p) - 1e-12);
            }
        }
    }

    #[test]
    fn a_separable_toy_problem_has_the_textbook_solution() {
        // Two points per class on a line: x = −2, −1 (class −1) and 1, 2 (class +1).
        // Hard-margin solution (C large): w = 1, b = 0, margin 2, support vectors ±1.
        let x = Matrix::from_rows(&[[-2.0], [-1.0], [1.0], [2.0]]);
        let p = SvmProblem::new(x, vec![-1.0, -1.0, 1.0, 1.0], 100.0).unwrap();
        let dual = svm_dual(&p, 1e-10, 10_000).unwrap();
        assert!((dual.w[0] - 1.0).abs() < 1e-8 && dual.b.abs() < 1e-8, "{dual:?}");
        assert_eq!(dual.free_support_vectors(100.0, 1e-6), [1, 2]);
        assert!((dual.alpha[1] - 0.5).abs() < 1e-8 && dual.alpha[0].abs() < 1e-12);
        let primal = svm_primal(&p, 1e-9).unwrap();
        assert!((primal.w[0] - 1.0).abs() < 1e-7 && primal.b.abs() < 1e-7, "{primal:?}");
        assert!((primal.margin() - 2.0).abs() < 1e-6);
    }
}
