//! Trust-region Newton-CG (Steihaug–Toint): Newton's method made globally
//! convergent by a trust region, on Hessian-vector products only.
//!
//! Each iteration minimizes the quadratic model
//! `m(p) = f + gᵀp + ½pᵀHp` over the ball `‖p‖ ≤ Δ` approximately, by conjugate
//! gradients from `p = 0` that stop at the boundary, on negative curvature, or
//! when the residual is small (Steihaug 1983; Toint 1981; Nocedal & Wright
//! Algorithm 7.2). The ratio `ρ` of actual to predicted decrease then decides
//! whether the step is taken and how `Δ` changes (N&W Algorithm 4.1).
//!
//! Why a trust region next to [`newton_cg`](crate::newton_cg)'s line search:
//! where the Hessian is indefinite the line-search method can only fall back to
//! a descent direction, while the trust region *uses* negative curvature — CG
//! follows a direction of negative curvature to the boundary, which is the step
//! that escapes a saddle. And where the gradient vanishes exactly at a saddle,
//! CG has nothing to start from; there this solver asks Lanczos
//! ([`lanczos_bottom_k`]) for the most negative eigenvalue of the Hessian and,
//! if it is negative, steps along its eigenvector to the boundary. It stops only
//! at points where the gradient is small **and** no negative curvature is found
//! (approximate second-order stationarity).
//!
//! A saddle that stops gradient methods, seen by Lanczos and escaped here
//! (`examples/saddle.rs` does the same in 50 dimensions):
//!
//! ```
//! use wengert_optim::lbfgs;
//! use wengert_optim::second_order::LbfgsOptions;
//! use wengert_optim::spectra::{lanczos_bottom_k, FnOperator, LanczosOptions};
//! use wengert_optim::trust_region::{trust_region_newton_cg, TrustRegionOptions};
//!
//! // f(x, y) = x² − y² + y⁴/4: a saddle at the origin, minima at (0, ±√2) with f = −1.
//! let fg = |p: &[f64]| {
//!     let (x, y) = (p[0], p[1]);
//!     (x * x - y * y + y.powi(4) / 4.0, vec![2.0 * x, -2.0 * y + y.powi(3)])
//! };
//! let hvp = |p: &[f64], v: &[f64]| vec![2.0 * v[0], (3.0 * p[1] * p[1] - 2.0) * v[1]];
//! // On the saddle's stable manifold: ∂f/∂y = 0 all along y = 0.
//! let start = [0.5, 0.0];
//!
//! // L-BFGS reports convergence — at the saddle.
//! let stuck = lbfgs(fg, &start, &LbfgsOptions::default());
//! assert!(stuck.converged() && stuck.x[1] == 0.0 && stuck.f.abs() < 1e-12);
//!
//! // Lanczos (bottom-k) finds the negative curvature there and its direction, e_y.
//! let at = stuck.x.clone();
//! let hessian = FnOperator::new(2, |v: &[f64], out: &mut [f64]| out.copy_from_slice(&hvp(&at, v)));
//! let lowest = lanczos_bottom_k(&hessian, 1, &LanczosOptions::default())?;
//! assert!((lowest.values[0] + 2.0).abs() < 1e-10 && (lowest.vectors[0][1].abs() - 1.0).abs() < 1e-10);
//!
//! // The trust region asks the same before it stops, steps along ±e_y and reaches a minimum.
//! let r = trust_region_newton_cg(fg, hvp, &start, &TrustRegionOptions::default())?;
//! assert!(r.saddle_escapes >= 1 && (r.result.f + 1.0).abs() < 1e-10);
//! assert!((r.result.x[1].abs() - 2f64.sqrt()).abs() < 1e-6 && r.min_curvature.unwrap() > 0.0);
//! # Ok::<(), wengert_optim::SolverError>(())
//! ```
//!
//! The CG tolerance `min(½, ‖g‖)·‖g‖` (a forcing term that goes to zero like
//! the gradient) gives quadratic local convergence of the inexact Newton steps
//! (Dembo, Eisenstat & Steihaug 1982); the tests check the superlinear rate on
//! Rosenbrock. A looser `√‖g‖` forcing term is also superlinear in theory, but on
//! an ill-conditioned valley (κ ≈ 2500 at Rosenbrock's minimum) it lets one CG
//! step pass for a Newton step, and the error stalls every other iteration.

use std::cell::RefCell;

use crate::linalg::{dot, norm, norm_inf};
use crate::second_order::{OptimResult, Termination};
use crate::solver_error::{check_all_finite, check_finite, check_len, check_start, SolverError};
use crate::spectra::{lanczos_bottom_k, FnOperator, LanczosOptions};

const NAME: &str = "trust_region_newton_cg";

/// Options of [`trust_region_newton_cg`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrustRegionOptions {
    /// Initial radius Δ₀ (default 1).
    pub initial_radius: f64,
    /// Largest radius (default 1e10).
    pub max_radius: f64,
    /// A step is accepted when `ρ > eta` (default 0.1; must be in `[0, ¼)`).
    pub eta: f64,
    /// Budget of iterations (trial steps; default 1000).
    pub max_iter: usize,
    /// Gradient tolerance `‖∇f‖_∞ ≤ gtol` (default 1e-8).
    pub gtol: f64,
    /// CG iterations per step (default 0, meaning n).
    pub max_cg: usize,
    /// Lanczos steps of the second-order check at points with a small
    /// gradient (default 20, capped at n; 0 disables the check, and the solver
    /// then stops at any point with a small gradient, saddles included).
    pub saddle_lanczos_steps: usize,
    /// An eigenvalue counts as negative below `−tol · max(1, |λ|_max)` of the
    /// Lanczos Ritz values (default 1e-8).
    pub negative_curvature_tol: f64,
    /// Seed of the Lanczos start vector (default 0).
    pub seed: u64,
    /// Keep every accepted iterate in [`TrustRegionReport::iterates`] (default false).
    pub keep_iterates: bool,
}

impl Default for TrustRegionOptions {
    fn default() -> Self {
        TrustRegionOptions {
            initial_radius: 1.0,
            max_radius: 1e10,
            eta: 0.1,
            max_iter: 1000,
            gtol: 1e-8,
            max_cg: 0,
            saddle_lanczos_steps: 20,
            negative_curvature_tol: 1e-8,
            seed: 0,
            keep_iterates: false,
        }
    }
}

/// How the step of an iteration was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepKind {
    /// CG converged inside the region: an (inexact) Newton step.
    Interior,
    /// CG reached the boundary.
    Boundary,
    /// CG met a direction of non-positive curvature and followed it to the boundary.
    NegativeCurvature,
    /// The gradient was small and Lanczos found negative curvature: a step of
    /// length Δ along the eigenvector of the most negative eigenvalue.
    SaddleEscape,
}

/// One iteration (trial step) of [`trust_region_newton_cg`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrustRegionRecord {
    /// `f` at the iterate after this iteration (unchanged if rejected).
    pub f: f64,
    /// `‖∇f‖_∞` there.
    pub grad_norm: f64,
    /// The radius after the update.
    pub radius: f64,
    /// Length of the trial step.
    pub step_norm: f64,
    /// Actual over predicted decrease of the trial step.
    pub rho: f64,
    /// CG iterations (Hessian-vector products) used for the step.
    pub cg_iterations: usize,
    /// How the step was found.
    pub kind: StepKind,
    /// Whether it was taken.
    pub accepted: bool,
}

/// The outcome of [`trust_region_newton_cg`].
#[derive(Clone, Debug, PartialEq)]
pub struct TrustRegionReport {
    /// Final point, value, gradient norm, accepted steps (`iterations`),
    /// evaluations of `fg`, termination.
    pub result: OptimResult,
    /// One record per iteration (accepted or not).
    pub history: Vec<TrustRegionRecord>,
    /// The start and every accepted iterate, if [`TrustRegionOptions::keep_iterates`].
    pub iterates: Vec<Vec<f64>>,
    /// Hessian-vector products used (CG and Lanczos).
    pub hvp_evals: usize,
    /// Steps that followed negative curvature found by CG.
    pub negative_curvature_steps: usize,
    /// Steps along a Lanczos eigenvector at a point with a small gradient.
    pub saddle_escapes: usize,
    /// The most negative curvature estimate at the final point (the smallest
    /// Lanczos Ritz value), if the second-order check ran there.
    pub min_curvature: Option<f64>,
}

/// The Hessian-vector closure, counted and shape-checked.
struct Hvp<H> {
    hvp: H,
    n: usize,
    evals: usize,
}

impl<H: FnMut(&[f64], &[f64]) -> Vec<f64>> Hvp<H> {
    fn apply(&mut self, x: &[f64], v: &[f64]) -> Result<Vec<f64>, SolverError> {
        self.evals += 1;
        let hv = (self.hvp)(x, v);
        check_len(NAME, "the Hessian-vector product", hv.len(), self.n)?;
        check_all_finite(NAME, "a Hessian-vector product", "Hv", &hv)?;
        Ok(hv)
    }
}

/// The result of one Steihaug CG solve.
struct CgStep {
    p: Vec<f64>,
    /// The model decrease's negative, `gᵀp + ½pᵀHp`.
    model: f64,
    kind: StepKind,
    iterations: usize,
}

/// `τ ≥ 0` with `‖z + τd‖ = Δ`.
fn to_boundary(z: &[f64], d: &[f64], radius: f64) -> f64 {
    let (zz, zd, dd) = (dot(z, z), dot(z, d), dot(d, d));
    let disc = (zd * zd + dd * (radius * radius - zz)).max(0.0);
    (-zd + disc.sqrt()) / dd
}

/// Steihaug's truncated CG on `min gᵀp + ½pᵀHp, ‖p‖ ≤ Δ` from `p = 0`, tracking the
/// model value `q(z) = gᵀz + ½zᵀHz` by `q(z + τd) = q(z) + τ rᵀd + ½τ² dᵀHd`
/// (with `r = g + Hz`, the CG residual), so no extra product is needed.
fn steihaug<H: FnMut(&[f64], &[f64]) -> Vec<f64>>(
    hvp: &mut Hvp<H>,
    x: &[f64],
    g: &[f64],
    radius: f64,
    max_cg: usize,
) -> Result<CgStep, SolverError> {
    let n = g.len();
    let gnorm = norm(g);
    let tol = gnorm.min(0.5) * gnorm;
    let mut z = vec![0.0; n];
    let mut r = g.to_vec();
    let mut d: Vec<f64> = g.iter().map(|v| -v).collect();
    let mut rr = dot(&r, &r);
    let mut q = 0.0;
    for j in 0..max_cg {
        let hd = hvp.apply(x, &d)?;
        let dhd = dot(&d, &hd);
        let rd = dot(&r, &d);
        if dhd <= 0.0 {
            let tau = to_boundary(&z, &d, radius);
            z.iter_mut().zip(&d).for_each(|(zi, di)| *zi += tau * di);
            q += tau * rd + 0.5 * tau * tau * dhd;
            return Ok(CgStep { p: z, model: q, kind: StepKind::NegativeCurvature, iterations: j + 1 });
        }
        let alpha = rr / dhd;
        let z_next: Vec<f64> = z.iter().zip(&d).map(|(zi, di)| zi + alpha * di).collect();
        if norm(&z_next) >= radius {
            let tau = to_boundary(&z, &d, radius);
            z.iter_mut().zip(&d).for_each(|(zi, di)| *zi += tau * di);
            q += tau * rd + 0.5 * tau * tau * dhd;
            return Ok(CgStep { p: z, model: q, kind: StepKind::Boundary, iterations: j + 1 });
        }
        q += alpha * rd + 0.5 * alpha * alpha * dhd;
        z = z_next;
        r.iter_mut().zip(&hd).for_each(|(ri, hi)| *ri += alpha * hi);
        let rr_next = dot(&r, &r);
        if rr_next.sqrt() < tol {
            return Ok(CgStep { p: z, model: q, kind: StepKind::Interior, iterations: j + 1 });
        }
        let beta = rr_next / rr;
        rr = rr_next;
        d.iter_mut().zip(&r).for_each(|(di, ri)| *di = -ri + beta * *di);
    }
    Ok(CgStep { p: z, model: q, kind: StepKind::Interior, iterations: max_cg })
}

/// The most negative eigenpair of `H(x)` by Lanczos: `(λ_min, u, |λ|_max)`.
fn lowest_curvature<H: FnMut(&[f64], &[f64]) -> Vec<f64>>(
    hvp: &mut Hvp<H>,
    x: &[f64],
    opts: &TrustRegionOptions,
) -> Result<(f64, Vec<f64>, f64), SolverError> {
    let n = x.len();
    let cell = RefCell::new((hvp, None::<SolverError>));
    let op = FnOperator::new(n, |v: &[f64], out: &mut [f64]| {
        let mut guard = cell.borrow_mut();
        let (hvp, error) = &mut *guard;
        match hvp.apply(x, v) {
            Ok(hv) => out.copy_from_slice(&hv),
            Err(e) => {
                error.get_or_insert(e);
                out.fill(f64::NAN);
            }
        }
    });
    let steps = opts.saddle_lanczos_steps.min(n);
    let lanczos = LanczosOptions { max_steps: steps, tol: 1e-8, seed: opts.seed };
    let result = lanczos_bottom_k(&op, 1, &lanczos);
    if let Some(e) = cell.borrow_mut().1.take() {
        return Err(e);
    }
    let pairs = result.map_err(|e| SolverError::new(NAME, format!("second-order check: {}", e.problem)))?;
    let top = crate::spectra::lanczos_top_k(
        &op,
        1,
        &LanczosOptions { max_steps: steps.clamp(1, 5), tol: 1e-2, seed: opts.seed },
    )
    .map_err(|e| SolverError::new(NAME, format!("second-order check: {}", e.problem)))?;
    let scale = pairs.values[0].abs().max(top.values[0].abs());
    Ok((pairs.values[0], pairs.vectors[0].clone(), scale))
}

/// Trust-region Newton-CG (Steihaug–Toint) with a Lanczos second-order check:
/// minimizes `f` from `x0` given `fg(x) = (f(x), ∇f(x))` and `hvp(x, v) = H(x)v`.
///
/// * The step: Steihaug CG on the quadratic model within radius Δ (see the
///   [module](self)); CG tolerance `min(½, ‖g‖)‖g‖`.
/// * Acceptance: `ρ = (f(x) − f(x + p)) / (m(0) − m(p)) > eta`. When both
///   decreases are within rounding of `f`, the step counts as accepted if it
///   reduces `‖∇f‖` (as in [`newton_lm`](crate::newton_lm)).
/// * Radius: `ρ < ¼` → `Δ ← ¼‖p‖`; `ρ > ¾` with a step on the boundary →
///   `Δ ← min(2Δ, max_radius)`.
/// * At a point with `‖∇f‖_∞ ≤ gtol`: unless disabled, Lanczos estimates the
///   smallest eigenvalue of `H(x)`; if it is negative (below
///   `−negative_curvature_tol · max(1, |λ|_max)`) the next trial step is `±Δu`
///   along its eigenvector `u` (sign making `gᵀp ≤ 0`), predicted decrease
///   `−gᵀp − ½λΔ²`; otherwise the solver stops.
///
/// ```
/// use wengert_optim::problems::{rosenbrock_hvp, rosenbrock_value_grad};
/// use wengert_optim::trust_region::{trust_region_newton_cg, TrustRegionOptions};
/// let r = trust_region_newton_cg(rosenbrock_value_grad, rosenbrock_hvp, &[-1.2, 1.0], &TrustRegionOptions::default())?;
/// assert!(r.result.converged() && (r.result.x[0] - 1.0).abs() < 1e-9);
/// assert!(r.min_curvature.unwrap() > 0.0); // a minimum, not a saddle
/// # Ok::<(), wengert_optim::SolverError>(())
/// ```
///
/// # Errors
/// A [`SolverError`] naming `trust_region_newton_cg` if `x0` is empty or has a
/// non-finite entry, `f(x0)` or `∇f(x0)` is not finite, `fg` or `hvp` return a
/// vector of the wrong length or `hvp` a non-finite entry (at any call), or
/// an option is out of range (`initial_radius`, `max_radius` not positive and
/// finite, `eta` outside `[0, ¼)`).
pub fn trust_region_newton_cg<F, H>(
    mut fg: F,
    hvp: H,
    x0: &[f64],
    opts: &TrustRegionOptions,
) -> Result<TrustRegionReport, SolverError>
where
    F: FnMut(&[f64]) -> (f64, Vec<f64>),
    H: FnMut(&[f64], &[f64]) -> Vec<f64>,
{
    check_start(NAME, x0)?;
    let radii_ok = opts.initial_radius > 0.0
        && opts.initial_radius.is_finite()
        && opts.max_radius >= opts.initial_radius
        && opts.max_radius.is_finite();
    if !radii_ok {
        return Err(SolverError::new(
            NAME,
            format!("need 0 < initial_radius ≤ max_radius < ∞, got {} and {}", opts.initial_radius, opts.max_radius),
        ));
    }
    if !(0.0..0.25).contains(&opts.eta) {
        return Err(SolverError::new(NAME, format!("eta must be in [0, 0.25), got {}", opts.eta)));
    }
    let n = x0.len();
    let max_cg = if opts.max_cg == 0 { n } else { opts.max_cg };
    let mut hvp = Hvp { hvp, n, evals: 0 };
    let mut x = x0.to_vec();
    let (mut f, mut g) = fg(&x);
    check_len(NAME, "the gradient at the start", g.len(), n)?;
    check_finite(NAME, "f(x0)", f)?;
    check_all_finite(NAME, "the gradient at the start", "g", &g)?;
    let mut f_evals = 1;
    let mut radius = opts.initial_radius;
    let mut history = Vec::new();
    let mut iterates = if opts.keep_iterates { vec![x.clone()] } else { Vec::new() };
    let (mut accepted_steps, mut negative_curvature_steps, mut saddle_escapes) = (0, 0, 0);
    // Lanczos result at the current x: (λ_min, eigenvector, scale).
    let mut curvature: Option<(f64, Vec<f64>, f64)> = None;
    let termination = loop {
        if history.len() >= opts.max_iter {
            break Termination::MaxIterations;
        }
        let step = if norm_inf(&g) <= opts.gtol {
            if opts.saddle_lanczos_steps == 0 {
                break Termination::GradientTolerance;
            }
            if curvature.is_none() {
                curvature = Some(lowest_curvature(&mut hvp, &x, opts)?);
            }
            let (lambda, u, scale) = curvature.as_ref().expect("computed above");
            if *lambda >= -opts.negative_curvature_tol * scale.max(1.0) {
                break Termination::GradientTolerance;
            }
            let sign = if dot(&g, u) > 0.0 { -1.0 } else { 1.0 };
            let p: Vec<f64> = u.iter().map(|ui| sign * radius * ui).collect();
            let model = dot(&g, &p) + 0.5 * lambda * radius * radius;
            CgStep { p, model, kind: StepKind::SaddleEscape, iterations: 0 }
        } else {
            steihaug(&mut hvp, &x, &g, radius, max_cg)?
        };
        let x_new: Vec<f64> = x.iter().zip(&step.p).map(|(a, b)| a + b).collect();
        let (f_new, g_new) = fg(&x_new);
        f_evals += 1;
        check_len(NAME, "the gradient", g_new.len(), n)?;
        let actual = f - f_new;
        let predicted = -step.model;
        let rounding = 4.0 * f64::EPSILON * f.abs().max(f64::MIN_POSITIVE);
        let finite = f_new.is_finite() && g_new.iter().all(|v| v.is_finite());
        let rho = if !finite {
            f64::NEG_INFINITY
        } else if predicted <= rounding && actual.abs() <= rounding {
            // Both decreases are below what f resolves: judge by the gradient.
            if norm(&g_new) < norm(&g) {
                1.0
            } else {
                0.0
            }
        } else if predicted > 0.0 {
            actual / predicted
        } else {
            f64::NEG_INFINITY
        };
        let step_norm = norm(&step.p);
        if rho < 0.25 {
            radius = 0.25 * step_norm;
        } else if rho > 0.75 && step_norm >= 0.99 * radius {
            radius = (2.0 * radius).min(opts.max_radius);
        }
        let accepted = rho > opts.eta;
        match step.kind {
            StepKind::NegativeCurvature => negative_curvature_steps += 1,
            StepKind::SaddleEscape => saddle_escapes += 1,
            _ => {}
        }
        if accepted {
            x = x_new;
            f = f_new;
            g = g_new;
            accepted_steps += 1;
            curvature = None;
            if opts.keep_iterates {
                iterates.push(x.clone());
            }
        }
        history.push(TrustRegionRecord {
            f,
            grad_norm: norm_inf(&g),
            radius,
            step_norm,
            rho,
            cg_iterations: step.iterations,
            kind: step.kind,
            accepted,
        });
        let radius_ok = radius > 1e-14 * (1.0 + norm(&x));
        if !radius_ok {
            break Termination::NoProgress;
        }
    };
    Ok(TrustRegionReport {
        result: OptimResult { grad_norm: norm_inf(&g), x, f, iterations: accepted_steps, f_evals, termination },
        history,
        iterates,
        hvp_evals: hvp.evals,
        negative_curvature_steps,
        saddle_escapes,
        min_curvature: curvature.map(|c| c.0),
    })
}
