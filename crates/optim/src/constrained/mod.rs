//! Constrained optimization: projections, projected gradient, the augmented
//! Lagrangian for equality constraints and — in the PHR shifted-penalty form —
//! for inequality constraints, a KKT checker, and PCA as optimization on the
//! unit sphere.
//!
//! Why these pieces: projected gradient is the simplest method that keeps every
//! iterate feasible, provided the projection is cheap and exact (box, ball and
//! simplex all are). Constraints without a cheap projection are handled by the
//! augmented Lagrangian, which turns them into a sequence of unconstrained
//! problems solved by [`lbfgs`]: [`augmented_lagrangian`] for equalities,
//! [`augmented_lagrangian_inequality`] for inequalities `g(x) ≤ 0` (and
//! equalities) with multipliers that satisfy complementary slackness. And
//! whatever produced a candidate solution, the KKT residuals ([`kkt_report`])
//! say how far it is from optimal.

use wengert_ops::Matrix;

use crate::linalg::{dot, matvec, matvec_t, norm, norm_inf};
use crate::second_order::{lbfgs, LbfgsOptions, OptimResult, Termination};

pub mod inequality;

pub use inequality::{
    augmented_lagrangian_inequality, Constraints, DenseConstraints, InequalityAugLagResult, NoEqualities,
};

/// A set with an (exact) Euclidean projection `P(x) = argmin_{y ∈ C} ‖y − x‖`.
pub trait Projection {
    /// Replaces `x` by its projection onto the set.
    fn project(&self, x: &mut [f64]);
    /// Whether `x` lies in the set up to `tol`.
    fn contains(&self, x: &[f64], tol: f64) -> bool;
}

/// The box `{x : lowerᵢ ≤ xᵢ ≤ upperᵢ}`; the projection clamps each coordinate.
#[derive(Clone, Debug, PartialEq)]
pub struct BoxSet {
    /// Lower bounds (use `f64::NEG_INFINITY` for none).
    pub lower: Vec<f64>,
    /// Upper bounds (use `f64::INFINITY` for none).
    pub upper: Vec<f64>,
}

impl BoxSet {
    /// The box `[lo, hi]ⁿ`.
    pub fn uniform(n: usize, lo: f64, hi: f64) -> Self {
        assert!(lo <= hi, "BoxSet: need lo ≤ hi");
        BoxSet { lower: vec![lo; n], upper: vec![hi; n] }
    }
}

impl Projection for BoxSet {
    fn project(&self, x: &mut [f64]) {
        assert_eq!(x.len(), self.lower.len(), "BoxSet::project: dimension mismatch");
        for ((xi, lo), hi) in x.iter_mut().zip(&self.lower).zip(&self.upper) {
            *xi = xi.clamp(*lo, *hi);
        }
    }
    fn contains(&self, x: &[f64], tol: f64) -> bool {
        x.iter().zip(&self.lower).zip(&self.upper).all(|((xi, lo), hi)| *xi >= lo - tol && *xi <= hi + tol)
    }
}

/// The ball `{x : ‖x − center‖₂ ≤ radius}`; the projection pulls outside points
/// radially onto the sphere.
#[derive(Clone, Debug, PartialEq)]
pub struct L2Ball {
    /// Centre.
    pub center: Vec<f64>,
    /// Radius (≥ 0).
    pub radius: f64,
}

impl Projection for L2Ball {
    fn project(&self, x: &mut [f64]) {
        let d: Vec<f64> = x.iter().zip(&self.center).map(|(a, c)| a - c).collect();
        let r = norm(&d);
        if r > self.radius {
            let s = self.radius / r;
            for ((xi, c), di) in x.iter_mut().zip(&self.center).zip(&d) {
                *xi = c + s * di;
            }
        }
    }
    fn contains(&self, x: &[f64], tol: f64) -> bool {
        let d: Vec<f64> = x.iter().zip(&self.center).map(|(a, c)| a - c).collect();
        norm(&d) <= self.radius + tol
    }
}

/// The scaled probability simplex `{x : xᵢ ≥ 0, Σxᵢ = total}` (`total = 1` is the
/// probability simplex).
///
/// The projection is the exact sort-based algorithm (Held, Wolfe & Crowder 1974;
/// Duchi et al. 2008): sort `u = x` descending, find the largest ρ with
/// `u_ρ − (Σ_{i≤ρ} uᵢ − total)/ρ > 0`, set `τ = (Σ_{i≤ρ} uᵢ − total)/ρ`, and
/// return `max(x − τ, 0)`. `O(n log n)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Simplex {
    /// The sum every point has (> 0).
    pub total: f64,
}

impl Default for Simplex {
    fn default() -> Self {
        Simplex { total: 1.0 }
    }
}

impl Projection for Simplex {
    fn project(&self, x: &mut [f64]) {
        assert!(!x.is_empty(), "Simplex::project: empty vector");
        let mut u = x.to_vec();
        u.sort_by(|a, b| b.total_cmp(a));
        let (mut cum, mut tau) = (0.0, 0.0);
        for (j, uj) in u.iter().enumerate() {
            cum += uj;
            let t = (cum - self.total) / (j + 1) as f64;
            if uj - t > 0.0 {
                tau = t;
            }
        }
        x.iter_mut().for_each(|xi| *xi = (*xi - tau).max(0.0));
    }
    fn contains(&self, x: &[f64], tol: f64) -> bool {
        x.iter().all(|&v| v >= -tol) && (x.iter().sum::<f64>() - self.total).abs() <= tol
    }
}

/// The unit sphere `{x : ‖x‖₂ = 1}` (not convex; the projection `x/‖x‖` is still
/// the nearest point for `x ≠ 0`). Used for [`leading_eigenvector`].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct UnitSphere;

impl Projection for UnitSphere {
    fn project(&self, x: &mut [f64]) {
        let r = norm(x);
        assert!(r > 0.0, "UnitSphere::project: cannot project the origin");
        x.iter_mut().for_each(|v| *v /= r);
    }
    fn contains(&self, x: &[f64], tol: f64) -> bool {
        (norm(x) - 1.0).abs() <= tol
    }
}

/// Options of [`projected_gradient`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ProjectedGradientOptions {
    /// Fixed step η (use `1/L` for an L-smooth objective; default 0.01).
    pub lr: f64,
    /// Iteration budget (default 10 000).
    pub max_iter: usize,
    /// Stop when the gradient mapping `‖x_k − x_{k+1}‖/η ≤ tol` (default 1e-8).
    pub tol: f64,
}

impl Default for ProjectedGradientOptions {
    fn default() -> Self {
        ProjectedGradientOptions { lr: 0.01, max_iter: 10_000, tol: 1e-8 }
    }
}

/// Projected gradient descent `x ← P(x − η∇f(x))`, starting from `P(x0)`.
///
/// Every iterate is feasible by construction. `on_iterate(k, x)` is called with
/// each iterate (including the projected start, `k = 0`). The reported
/// `grad_norm` is the last gradient-mapping norm `‖x_k − x_{k+1}‖_∞/η`, which is
/// zero exactly at constrained stationary points.
pub fn projected_gradient<F, P, C>(
    mut fg: F,
    proj: &P,
    x0: &[f64],
    opts: &ProjectedGradientOptions,
    mut on_iterate: C,
) -> OptimResult
where
    F: FnMut(&[f64]) -> (f64, Vec<f64>),
    P: Projection + ?Sized,
    C: FnMut(usize, &[f64]),
{
    let mut x = x0.to_vec();
    proj.project(&mut x);
    on_iterate(0, &x);
    let (mut f, mut g) = fg(&x);
    let mut f_evals = 1;
    let mut mapping = f64::INFINITY;
    let mut iterations = 0;
    let termination = loop {
        if iterations >= opts.max_iter {
            break Termination::MaxIterations;
        }
        let mut xn: Vec<f64> = x.iter().zip(&g).map(|(a, b)| a - opts.lr * b).collect();
        proj.project(&mut xn);
        mapping = xn.iter().zip(&x).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max) / opts.lr;
        x = xn;
        iterations += 1;
        on_iterate(iterations, &x);
        (f, g) = fg(&x);
        f_evals += 1;
        if mapping <= opts.tol {
            break Termination::GradientTolerance;
        }
    };
    OptimResult { x, f, grad_norm: mapping, iterations, f_evals, termination }
}

/// Options of [`augmented_lagrangian`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AugLagOptions {
    /// Initial penalty μ (default 10).
    pub mu: f64,
    /// Factor applied to μ when ‖c‖ did not drop below a quarter of its previous
    /// value (default 10).
    pub mu_growth: f64,
    /// Outer iteration budget (default 50).
    pub max_outer: usize,
    /// Feasibility tolerance on `‖c(x)‖_∞` (default 1e-9).
    pub ctol: f64,
    /// Inner L-BFGS options (its `gtol` is the stationarity tolerance).
    pub inner: LbfgsOptions,
}

impl Default for AugLagOptions {
    fn default() -> Self {
        AugLagOptions {
            mu: 10.0,
            mu_growth: 10.0,
            max_outer: 50,
            ctol: 1e-9,
            inner: LbfgsOptions { gtol: 1e-9, ..LbfgsOptions::default() },
        }
    }
}

/// Outcome of [`augmented_lagrangian`].
#[derive(Clone, Debug, PartialEq)]
pub struct AugLagResult {
    /// Final iterate.
    pub x: Vec<f64>,
    /// `f(x)`.
    pub f: f64,
    /// Lagrange multipliers λ, with the convention `∇f(x) = J(x)ᵀλ` at the solution.
    pub multipliers: Vec<f64>,
    /// `‖c(x)‖_∞`.
    pub constraint_violation: f64,
    /// `‖∇f(x) − J(x)ᵀλ‖_∞`.
    pub stationarity: f64,
    /// Outer iterations (multiplier updates).
    pub outer_iterations: usize,
    /// Final penalty μ.
    pub mu: f64,
    /// Whether both tolerances were met.
    pub converged: bool,
}

/// Minimizes `f(x)` subject to `c(x) = 0` by the augmented Lagrangian method
/// (method of multipliers, Nocedal & Wright Algorithm 17.3).
///
/// `constraints(x)` returns `(c(x), J(x))` with `J` the `m × n` Jacobian. Each outer
/// iteration minimizes `L_A(x) = f(x) − λᵀc(x) + (μ/2)‖c(x)‖²` with [`lbfgs`]
/// (warm-started), then updates `λ ← λ − μ c(x)`; μ grows when feasibility stalls.
/// Unlike a pure penalty method, μ need not go to infinity: the multiplier
/// estimate absorbs the constraint force, so the subproblems stay well conditioned.
pub fn augmented_lagrangian<F, C>(mut fg: F, mut constraints: C, x0: &[f64], opts: &AugLagOptions) -> AugLagResult
where
    F: FnMut(&[f64]) -> (f64, Vec<f64>),
    C: FnMut(&[f64]) -> (Vec<f64>, Matrix<f64>),
{
    let mut x = x0.to_vec();
    let m = constraints(&x).0.len();
    let mut lambda = vec![0.0; m];
    let mut mu = opts.mu;
    let mut prev_viol = f64::INFINITY;
    let mut outer = 0;
    let (mut viol, mut stat, mut f);
    loop {
        outer += 1;
        {
            let (lam, mu_k) = (&lambda, mu);
            let la = |x: &[f64]| {
                let (fv, mut g) = fg(x);
                let (c, jac) = constraints(x);
                // ∇L_A = ∇f − Jᵀ(λ − μc).
                let w: Vec<f64> = lam.iter().zip(&c).map(|(l, ci)| l - mu_k * ci).collect();
                let jt = matvec_t(&jac, &w);
                g.iter_mut().zip(&jt).for_each(|(gi, ji)| *gi -= ji);
                (fv - dot(lam, &c) + 0.5 * mu_k * dot(&c, &c), g)
            };
            x = lbfgs(la, &x, &opts.inner).x;
        }
        let (c, jac) = constraints(&x);
        let (fv, g) = fg(&x);
        f = fv;
        viol = norm_inf(&c);
        for (l, ci) in lambda.iter_mut().zip(&c) {
            *l -= mu * ci;
        }
        let jt = matvec_t(&jac, &lambda);
        stat = norm_inf(&g.iter().zip(&jt).map(|(a, b)| a - b).collect::<Vec<_>>());
        if (viol <= opts.ctol && stat <= opts.inner.gtol * 10.0) || outer >= opts.max_outer {
            break;
        }
        if viol > 0.25 * prev_viol {
            mu *= opts.mu_growth;
        }
        prev_viol = viol;
    }
    let converged = viol <= opts.ctol && stat <= opts.inner.gtol * 10.0;
    AugLagResult {
        x,
        f,
        multipliers: lambda,
        constraint_violation: viol,
        stationarity: stat,
        outer_iterations: outer,
        mu,
        converged,
    }
}

/// KKT residuals of a candidate solution of `min f(x)` s.t. `gᵢ(x) ≤ 0`, with
/// multipliers `μᵢ` and the Lagrangian `f + Σ μᵢ gᵢ`. All are zero exactly at a
/// KKT point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KktReport {
    /// `‖∇f + Σ μᵢ ∇gᵢ‖_∞`.
    pub stationarity: f64,
    /// `max(0, maxᵢ gᵢ(x))`: how much a constraint is violated.
    pub primal_feasibility: f64,
    /// `max(0, maxᵢ −μᵢ)`: how negative a multiplier is.
    pub dual_feasibility: f64,
    /// `maxᵢ |μᵢ gᵢ(x)|`.
    pub complementary_slackness: f64,
}

impl KktReport {
    /// The largest of the four residuals.
    pub fn max_residual(&self) -> f64 {
        self.stationarity.max(self.primal_feasibility).max(self.dual_feasibility).max(self.complementary_slackness)
    }
    /// Whether every residual is at most `tol`.
    pub fn satisfied(&self, tol: f64) -> bool {
        self.max_residual() <= tol
    }
}

/// Computes the [`KktReport`] from `∇f(x)`, the constraint values `gᵢ(x)`, their
/// gradients as the rows of `jacobian` (`m × n`) and the multipliers `μ`.
pub fn kkt_report(grad_f: &[f64], g_values: &[f64], jacobian: &Matrix<f64>, multipliers: &[f64]) -> KktReport {
    let m = g_values.len();
    assert_eq!(multipliers.len(), m, "kkt_report: {m} constraints but {} multipliers", multipliers.len());
    assert_eq!(jacobian.shape(), (m, grad_f.len()), "kkt_report: Jacobian must be m × n");
    let mut r = grad_f.to_vec();
    if m > 0 {
        let jt = matvec_t(jacobian, multipliers);
        r.iter_mut().zip(&jt).for_each(|(a, b)| *a += b);
    }
    KktReport {
        stationarity: norm_inf(&r),
        primal_feasibility: g_values.iter().fold(0.0, |a, &g| a.max(g)),
        dual_feasibility: multipliers.iter().fold(0.0, |a, &l| a.max(-l)),
        complementary_slackness: multipliers.iter().zip(g_values).fold(0.0, |a, (l, g)| a.max((l * g).abs())),
    }
}

/// Result of [`leading_eigenvector`].
#[derive(Clone, Debug, PartialEq)]
pub struct LeadingEigen {
    /// Unit vector maximizing `wᵀΣw`.
    pub vector: Vec<f64>,
    /// The Rayleigh quotient `wᵀΣw` (the leading eigenvalue at convergence).
    pub value: f64,
    /// Iterations used.
    pub iterations: usize,
    /// Whether the gradient-mapping tolerance was met.
    pub converged: bool,
}

/// PCA as constrained optimization: maximize `wᵀΣw` subject to `‖w‖ = 1` by
/// projected gradient ascent, `w ← normalize(w + 2η Σw)` (the gradient is `2Σw`;
/// the projection onto the sphere is normalization).
///
/// The fixed point is the leading eigenvector; the iteration is power iteration on
/// `I + 2ηΣ`, so it converges at rate `(1 + 2ηλ₂)/(1 + 2ηλ₁)` and a larger η is
/// faster. `w0` must not be orthogonal to the leading eigenvector.
pub fn leading_eigenvector(sigma: &Matrix<f64>, w0: &[f64], lr: f64, max_iter: usize, tol: f64) -> LeadingEigen {
    let fg = |w: &[f64]| {
        let sw = matvec(sigma, w);
        (-dot(w, &sw), sw.iter().map(|v| -2.0 * v).collect())
    };
    let r = projected_gradient(fg, &UnitSphere, w0, &ProjectedGradientOptions { lr, max_iter, tol }, |_, _| {});
    LeadingEigen { value: -r.f, converged: r.converged(), iterations: r.iterations, vector: r.x }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simplex_projection_matches_hand_computed_cases() {
        let s = Simplex::default();
        let mut x = vec![0.5, 0.2, 0.3];
        s.project(&mut x);
        assert_eq!(x, [0.5, 0.2, 0.3], "points in the simplex are fixed");
        let mut x = vec![2.0, 0.0, 0.0];
        s.project(&mut x);
        assert_eq!(x, [1.0, 0.0, 0.0]);
        let mut x = vec![1.0, 1.0, -5.0];
        s.project(&mut x);
        assert_eq!(x, [0.5, 0.5, 0.0]);
        let mut x = vec![0.0, 0.0, 0.0, 0.0];
        s.project(&mut x);
        assert_eq!(x, [0.25; 4]);
    }

    #[test]
    fn simplex_projection_is_the_nearest_point() {
        // Compare with random feasible points: none may be closer.
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let s = Simplex { total: 2.0 };
        for _ in 0..50 {
            let x: Vec<f64> = (0..5).map(|_| rng.random_range(-2.0..3.0)).collect();
            let mut p = x.clone();
            s.project(&mut p);
            assert!(s.contains(&p, 1e-12));
            let d = |y: &[f64]| y.iter().zip(&x).map(|(a, b)| (a - b).powi(2)).sum::<f64>();
            for _ in 0..100 {
                let mut y: Vec<f64> = (0..5).map(|_| rng.random_range(0.0..1.0)).collect();
                let sum: f64 = y.iter().sum();
                y.iter_mut().for_each(|v| *v *= 2.0 / sum);
                assert!(d(&y) >= d(&p) - 1e-12);
            }
        }
    }

    #[test]
    fn ball_and_box_projections() {
        let ball = L2Ball { center: vec![1.0, 1.0], radius: 1.0 };
        let mut x = vec![4.0, 5.0];
        ball.project(&mut x);
        assert!((x[0] - 1.6).abs() < 1e-15 && (x[1] - 1.8).abs() < 1e-15);
        let b = BoxSet { lower: vec![0.0, -1.0], upper: vec![1.0, f64::INFINITY] };
        let mut x = vec![-3.0, 7.0];
        b.project(&mut x);
        assert_eq!(x, [0.0, 7.0]);
    }
}
