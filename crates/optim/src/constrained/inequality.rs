//! The augmented Lagrangian for inequality (and equality) constraints, in the
//! shifted-penalty form of Powell, Hestenes and Rockafellar (PHR).
//!
//! For `min f(x)` subject to `c(x) = 0` and `g(x) ≤ 0`, with multipliers `λ`
//! (equalities) and `μ ≥ 0` (inequalities) and penalty `ρ > 0`, each outer
//! iteration minimizes
//!
//! ```text
//! L_A(x) = f(x) − λᵀc(x) + (ρ/2)‖c(x)‖² + (1/(2ρ)) Σᵢ [max(0, μᵢ + ρgᵢ(x))² − μᵢ²]
//! ```
//!
//! (continuously differentiable; `∇L_A = ∇f − J_cᵀ(λ − ρc) + J_gᵀ max(0, μ + ρg)`)
//! with [`lbfgs`], warm-started, and then updates
//! `λ ← λ − ρc`, `μ ← max(0, μ + ρg)`. The inequality term is the shifted
//! penalty `(ρ/2)‖max(0, g + μ/ρ)‖²`, up to a constant: a constraint with
//! `gᵢ < −μᵢ/ρ` (safely inactive) contributes nothing, and its multiplier drops
//! to 0 — which is complementary slackness, reached by construction. ρ grows
//! (by `mu_growth`) only while the combined infeasibility
//! `max(‖c‖_∞, ‖max(g, −μ/ρ)‖_∞)` (Birgin & Martínez 2014) fails to fall below a
//! quarter of its previous value, so ρ stays bounded on regular problems and
//! the subproblems stay well conditioned (it is capped at 1e10 regardless). The
//! result is the outer iterate with the smallest KKT residual: when the inner
//! solver reaches the limit of double precision (L-BFGS stops once the decrease
//! it needs is below `ε|f|`), later iterates can only be worse.
//!
//! Constraints are given through [`Constraints`]: their values and the product
//! `J_cᵀu + J_gᵀv`, which is all the method needs — so a problem with thousands
//! of sparse constraints (the SVM primal in [`svm`](crate::svm)) never forms a
//! Jacobian. [`DenseConstraints`] adapts closures that return values and
//! Jacobian matrices.

use wengert_ops::{shape_str, Matrix};

use super::{AugLagOptions, KktReport};
use crate::linalg::{dot, matvec_t, norm_inf};
use crate::second_order::lbfgs;
use crate::solver_error::{check_all_finite, check_len, check_start, SolverError};

const NAME: &str = "augmented_lagrangian_inequality";

/// The penalty never grows past this: beyond it the subproblems are too
/// ill-conditioned for L-BFGS to solve in double precision, and a larger ρ only
/// amplifies the inner solver's error into the multipliers.
const MAX_PENALTY: f64 = 1e10;

/// Equality constraints `c(x) = 0` and inequality constraints `g(x) ≤ 0`, seen
/// through their values and transposed-Jacobian products.
pub trait Constraints {
    /// `(c(x), g(x))`. The lengths must be the same at every `x`.
    fn values(&mut self, x: &[f64]) -> (Vec<f64>, Vec<f64>);
    /// `J_c(x)ᵀu + J_g(x)ᵀv` (one entry per variable), for `u` and `v` as long
    /// as `c` and `g`.
    fn transpose_product(&mut self, x: &[f64], u: &[f64], v: &[f64]) -> Vec<f64>;
}

/// [`Constraints`] from closures returning values and Jacobians
/// (`(c(x), J_c(x))` with `J_c` of shape `m_c × n`, likewise for `g`). The last
/// evaluation is cached, so values and products at the same point cost one call
/// of each closure.
pub struct DenseConstraints<C, G> {
    equalities: C,
    inequalities: G,
    cache: Option<Evaluation>,
}

/// The constraints' values and Jacobians at one point.
struct Evaluation {
    x: Vec<f64>,
    c: Vec<f64>,
    jc: Matrix<f64>,
    g: Vec<f64>,
    jg: Matrix<f64>,
}

/// The closure type of "no equality constraints".
pub type NoEqualities = fn(&[f64]) -> (Vec<f64>, Matrix<f64>);

impl<G: FnMut(&[f64]) -> (Vec<f64>, Matrix<f64>)> DenseConstraints<NoEqualities, G> {
    /// Inequality constraints only.
    pub fn inequalities(inequalities: G) -> Self {
        fn none(x: &[f64]) -> (Vec<f64>, Matrix<f64>) {
            (Vec::new(), Matrix::zeros(0, x.len()))
        }
        DenseConstraints { equalities: none, inequalities, cache: None }
    }
}

impl<C, G> DenseConstraints<C, G>
where
    C: FnMut(&[f64]) -> (Vec<f64>, Matrix<f64>),
    G: FnMut(&[f64]) -> (Vec<f64>, Matrix<f64>),
{
    /// Equality and inequality constraints.
    pub fn new(equalities: C, inequalities: G) -> Self {
        DenseConstraints { equalities, inequalities, cache: None }
    }

    fn evaluate(&mut self, x: &[f64]) -> &Evaluation {
        if self.cache.as_ref().is_none_or(|e| e.x != x) {
            let (c, jc) = (self.equalities)(x);
            let (g, jg) = (self.inequalities)(x);
            for (name, values, jac) in [("equality", &c, &jc), ("inequality", &g, &jg)] {
                assert!(
                    jac.shape() == (values.len(), x.len()),
                    "DenseConstraints: {} {name} constraints of {} variables but a {} Jacobian",
                    values.len(),
                    x.len(),
                    shape_str(jac.shape())
                );
            }
            self.cache = Some(Evaluation { x: x.to_vec(), c, jc, g, jg });
        }
        self.cache.as_ref().expect("filled above")
    }
}

impl<C, G> Constraints for DenseConstraints<C, G>
where
    C: FnMut(&[f64]) -> (Vec<f64>, Matrix<f64>),
    G: FnMut(&[f64]) -> (Vec<f64>, Matrix<f64>),
{
    fn values(&mut self, x: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let e = self.evaluate(x);
        (e.c.clone(), e.g.clone())
    }
    fn transpose_product(&mut self, x: &[f64], u: &[f64], v: &[f64]) -> Vec<f64> {
        let Evaluation { jc, jg, .. } = self.evaluate(x);
        let mut out = vec![0.0; x.len()];
        if !u.is_empty() {
            out = matvec_t(jc, u);
        }
        if !v.is_empty() {
            out.iter_mut().zip(matvec_t(jg, v)).for_each(|(o, a)| *o += a);
        }
        out
    }
}

/// Outcome of [`augmented_lagrangian_inequality`].
#[derive(Clone, Debug, PartialEq)]
pub struct InequalityAugLagResult {
    /// Final iterate.
    pub x: Vec<f64>,
    /// `f(x)`.
    pub f: f64,
    /// Multipliers λ of the equalities.
    pub equality_multipliers: Vec<f64>,
    /// Multipliers μ ≥ 0 of the inequalities.
    pub inequality_multipliers: Vec<f64>,
    /// The KKT residuals of `(x, λ, μ)` for the Lagrangian `f − λᵀc + μᵀg`:
    /// stationarity `‖∇f − J_cᵀλ + J_gᵀμ‖_∞`, primal feasibility
    /// `max(‖c‖_∞, max(0, maxᵢ gᵢ))`, dual feasibility `max(0, maxᵢ −μᵢ)` (0 by
    /// construction) and complementary slackness `maxᵢ |μᵢ gᵢ|`.
    pub kkt: KktReport,
    /// Outer iterations (multiplier updates) performed; the result is the
    /// iterate with the smallest KKT residual among them.
    pub outer_iterations: usize,
    /// Inner L-BFGS iterations, summed.
    pub inner_iterations: usize,
    /// Final penalty ρ.
    pub penalty: f64,
    /// Whether stationarity ≤ `10 · inner.gtol` and feasibility and
    /// complementarity ≤ `ctol`.
    pub converged: bool,
}

/// Minimizes `f(x)` subject to `c(x) = 0` and `g(x) ≤ 0` by the PHR augmented
/// Lagrangian (see the [module](self)); `fg(x) = (f(x), ∇f(x))`. The options are
/// those of [`augmented_lagrangian`](super::augmented_lagrangian): `mu` is the
/// initial penalty ρ, `ctol` the tolerance on feasibility and complementary
/// slackness, `inner.gtol` (× 10) on stationarity.
///
/// ```
/// use wengert_ops::Matrix;
/// use wengert_optim::constrained::{augmented_lagrangian_inequality, AugLagOptions, DenseConstraints};
/// // min (x − 2)² + (y − 1)²  s.t.  x + y ≤ 2,  x ≥ 0 (as −x ≤ 0).
/// // Solution (1.5, 0.5), the first constraint active with μ = 1, the second inactive.
/// let fg = |v: &[f64]| ((v[0] - 2.0).powi(2) + (v[1] - 1.0).powi(2), vec![2.0 * (v[0] - 2.0), 2.0 * (v[1] - 1.0)]);
/// let g = |v: &[f64]| (vec![v[0] + v[1] - 2.0, -v[0]], Matrix::from_rows(&[[1.0, 1.0], [-1.0, 0.0]]));
/// let r = augmented_lagrangian_inequality(fg, DenseConstraints::inequalities(g), &[0.0, 0.0], &AugLagOptions::default())?;
/// assert!(r.converged && (r.x[0] - 1.5).abs() < 1e-8 && (r.x[1] - 0.5).abs() < 1e-8);
/// assert!((r.inequality_multipliers[0] - 1.0).abs() < 1e-7 && r.inequality_multipliers[1] == 0.0);
/// assert!(r.kkt.complementary_slackness < 1e-8);
/// # Ok::<(), wengert_optim::SolverError>(())
/// ```
///
/// # Errors
/// A [`SolverError`] naming `augmented_lagrangian_inequality` if `x0` is empty or
/// not finite, `f`, `∇f` or a constraint value is not finite at `x0`, the
/// gradient or a constraint vector changes length, or the options are not
/// positive and finite.
pub fn augmented_lagrangian_inequality<F, C>(
    mut fg: F,
    mut constraints: C,
    x0: &[f64],
    opts: &AugLagOptions,
) -> Result<InequalityAugLagResult, SolverError>
where
    F: FnMut(&[f64]) -> (f64, Vec<f64>),
    C: Constraints,
{
    check_start(NAME, x0)?;
    for (name, value) in [("mu", opts.mu), ("mu_growth", opts.mu_growth), ("ctol", opts.ctol)] {
        if !(value > 0.0 && value.is_finite()) {
            return Err(SolverError::new(NAME, format!("{name} must be finite and > 0, got {value}")));
        }
    }
    let n = x0.len();
    let (f0, g0) = fg(x0);
    check_len(NAME, "the gradient at the start", g0.len(), n)?;
    check_all_finite(NAME, "f and its gradient at the start", "(f, ∇f)", &[&[f0][..], &g0].concat())?;
    let (c0, h0) = constraints.values(x0);
    check_all_finite(NAME, "the equality constraints at the start", "c", &c0)?;
    check_all_finite(NAME, "the inequality constraints at the start", "g", &h0)?;
    let (mc, mg) = (c0.len(), h0.len());
    let mut x = x0.to_vec();
    let mut lambda = vec![0.0; mc];
    let mut mu = vec![0.0; mg];
    let mut rho = opts.mu;
    let mut previous = f64::INFINITY;
    let (mut outer, mut inner_iterations) = (0, 0);
    let mut error: Option<SolverError> = None;
    let mut best: Option<InequalityAugLagResult> = None;
    loop {
        outer += 1;
        {
            let (lam, mul, r) = (&lambda, &mu, rho);
            let constraints = &mut constraints;
            let fg = &mut fg;
            let error = &mut error;
            let la = |x: &[f64]| {
                let (f, mut grad) = fg(x);
                let (c, g) = constraints.values(x);
                if grad.len() != n || c.len() != mc || g.len() != mg {
                    error.get_or_insert(SolverError::new(
                        NAME,
                        format!(
                            "the gradient or a constraint vector changed length (got {}, {}, {}; expected {n}, {mc}, {mg})",
                            grad.len(),
                            c.len(),
                            g.len()
                        ),
                    ));
                    return (f64::NAN, vec![f64::NAN; n]);
                }
                let u: Vec<f64> = lam.iter().zip(&c).map(|(l, ci)| -(l - r * ci)).collect();
                let v: Vec<f64> = mul.iter().zip(&g).map(|(m, gi)| (m + r * gi).max(0.0)).collect();
                let jt = constraints.transpose_product(x, &u, &v);
                grad.iter_mut().zip(&jt).for_each(|(a, b)| *a += b);
                let value = f - dot(lam, &c)
                    + 0.5 * r * dot(&c, &c)
                    + v.iter().zip(mul).map(|(vi, m)| vi * vi - m * m).sum::<f64>() / (2.0 * r);
                (value, grad)
            };
            let inner = lbfgs(la, &x, &opts.inner);
            inner_iterations += inner.iterations;
            x = inner.x;
        }
        if let Some(e) = error.take() {
            return Err(e);
        }
        let (c, g) = constraints.values(&x);
        let infeasibility =
            norm_inf(&c).max(g.iter().zip(&mu).fold(0.0f64, |a, (gi, m)| a.max(gi.max(-m / rho).abs())));
        for (l, ci) in lambda.iter_mut().zip(&c) {
            *l -= rho * ci;
        }
        for (m, gi) in mu.iter_mut().zip(&g) {
            *m = (*m + rho * gi).max(0.0);
        }
        let kkt = kkt_residuals(&mut fg, &mut constraints, &x, &lambda, &mu);
        let converged = kkt.stationarity <= 10.0 * opts.inner.gtol
            && kkt.primal_feasibility <= opts.ctol
            && kkt.complementary_slackness <= opts.ctol;
        let current = InequalityAugLagResult {
            f: fg(&x).0,
            x: x.clone(),
            equality_multipliers: lambda.clone(),
            inequality_multipliers: mu.clone(),
            kkt,
            outer_iterations: outer,
            inner_iterations,
            penalty: rho,
            converged,
        };
        if best.as_ref().is_none_or(|b| kkt.max_residual() <= b.kkt.max_residual()) {
            best = Some(current);
        }
        if converged || outer >= opts.max_outer {
            let mut result = best.expect("set above");
            result.outer_iterations = outer;
            result.inner_iterations = inner_iterations;
            return Ok(result);
        }
        if infeasibility > 0.25 * previous {
            rho = (rho * opts.mu_growth).min(MAX_PENALTY);
        }
        previous = infeasibility;
    }
}

/// The KKT residuals of `(x, λ, μ)` for `min f` s.t. `c = 0`, `g ≤ 0`, with the
/// Lagrangian `f − λᵀc + μᵀg`.
fn kkt_residuals<F, C>(fg: &mut F, constraints: &mut C, x: &[f64], lambda: &[f64], mu: &[f64]) -> KktReport
where
    F: FnMut(&[f64]) -> (f64, Vec<f64>),
    C: Constraints,
{
    let (_, grad) = fg(x);
    let (c, g) = constraints.values(x);
    let minus_lambda: Vec<f64> = lambda.iter().map(|l| -l).collect();
    let jt = constraints.transpose_product(x, &minus_lambda, mu);
    let r: Vec<f64> = grad.iter().zip(&jt).map(|(a, b)| a + b).collect();
    KktReport {
        stationarity: norm_inf(&r),
        primal_feasibility: norm_inf(&c).max(g.iter().fold(0.0, |a, &gi| a.max(gi))),
        dual_feasibility: mu.iter().fold(0.0, |a, &m| a.max(-m)),
        complementary_slackness: mu.iter().zip(&g).fold(0.0, |a, (m, gi)| a.max((m * gi).abs())),
    }
}
