//! Stochastic Lanczos quadrature: the spectral density of a symmetric operator.
//!
//! The spectral density of `A` (`n × n`, eigenvalues `λᵢ`) is the measure
//! `φ(t) = (1/n) Σᵢ δ(t − λᵢ)`. For a unit vector `v`, `vᵀ g(A) v = Σᵢ (vᵀuᵢ)² g(λᵢ)`
//! is an integral of `g` against a measure with the same support, and `m` Lanczos
//! steps from `v` give its `m`-point Gauss quadrature: nodes `θₖ` (the Ritz values)
//! and weights `τₖ = s₁ₖ²` (the first components of the eigenvectors of `T_m`
//! squared), exact for polynomials of degree `< 2m` (Golub & Meurant). For a
//! random `v` (normalized Rademacher) the expectation of that measure is `φ`, so
//! averaging the quadratures of a few probes estimates the density
//! (Lin, Saad & Yang 2016; Ghorbani, Krishnan & Xiao 2019; Yao et al. 2020,
//! PyHessian).

use rand::rngs::StdRng;
use rand::SeedableRng;

use super::lanczos::Krylov;
use super::{check_dim, rademacher, LinearOperator};
use crate::linalg::tridiagonal_eigen_row;
use crate::solver_error::SolverError;

/// Options of [`spectral_density`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SlqOptions {
    /// Random probes (default 10).
    pub probes: usize,
    /// Lanczos steps per probe, i.e. quadrature nodes per probe (default 30;
    /// capped at the dimension).
    pub steps: usize,
    /// Seed of the probes (default 0).
    pub seed: u64,
}

impl Default for SlqOptions {
    fn default() -> Self {
        SlqOptions { probes: 10, steps: 30, seed: 0 }
    }
}

/// An estimate of the spectral density: a discrete measure (nodes and weights)
/// and its Gaussian smoothing.
#[derive(Clone, Debug, PartialEq)]
pub struct SpectralDensity {
    /// Quadrature nodes (Ritz values) of all probes, probe by probe.
    pub nodes: Vec<f64>,
    /// Their weights; each probe's weights sum to `1/probes`, so all sum to 1.
    pub weights: Vec<f64>,
    /// Probes used.
    pub probes: usize,
    /// Lanczos steps per probe.
    pub steps: usize,
}

impl SpectralDensity {
    /// `Σ wₖ θₖ^p`: an estimate of the `p`-th spectral moment `tr(Aᵖ)/n` (exact
    /// per probe for `p < 2·steps`, so only the probe noise remains).
    pub fn moment(&self, p: i32) -> f64 {
        self.nodes.iter().zip(&self.weights).map(|(t, w)| w * t.powi(p)).sum()
    }

    /// The density smoothed by a Gaussian of width `sigma` at the points `grid`:
    /// `ρ(t) = Σₖ wₖ exp(−(t − θₖ)²/(2σ²)) / (σ√(2π))`. It integrates to 1 over the
    /// real line.
    ///
    /// # Panics
    /// If `sigma` is not positive.
    pub fn broadened(&self, grid: &[f64], sigma: f64) -> Vec<f64> {
        assert!(sigma > 0.0, "SpectralDensity::broadened: sigma must be > 0, got {sigma}");
        let norm = 1.0 / (sigma * (2.0 * std::f64::consts::PI).sqrt());
        grid.iter()
            .map(|&t| {
                self.nodes
                    .iter()
                    .zip(&self.weights)
                    .map(|(&theta, &w)| w * (-(t - theta).powi(2) / (2.0 * sigma * sigma)).exp())
                    .sum::<f64>()
                    * norm
            })
            .collect()
    }

    /// An evenly spaced grid of `points` from `min θ − 4σ` to `max θ + 4σ`, with
    /// the broadened density on it, where `σ = relative_width · (max θ − min θ)`
    /// (or `relative_width` if all nodes coincide). `relative_width` around 0.01
    /// resolves outliers; 0.05 gives a smooth bulk.
    ///
    /// # Panics
    /// If `points < 2` or `relative_width` is not positive.
    pub fn on_grid(&self, points: usize, relative_width: f64) -> (Vec<f64>, Vec<f64>) {
        assert!(points >= 2, "SpectralDensity::on_grid: need at least 2 points");
        assert!(relative_width > 0.0, "SpectralDensity::on_grid: relative_width must be > 0");
        let lo = self.nodes.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = self.nodes.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let sigma = if hi > lo { relative_width * (hi - lo) } else { relative_width };
        let (a, b) = (lo - 4.0 * sigma, hi + 4.0 * sigma);
        let grid: Vec<f64> = (0..points).map(|i| a + (b - a) * i as f64 / (points - 1) as f64).collect();
        let density = self.broadened(&grid, sigma);
        (grid, density)
    }
}

/// The Gauss quadrature of the measure `Σᵢ (vᵀuᵢ)² δ(t − λᵢ)` (for a unit `v`;
/// `start` is normalized first) from `steps` Lanczos steps with full
/// reorthogonalization: returns the nodes (ascending order is not guaranteed;
/// they are descending) and weights (summing to 1), such that
/// `Σₖ τₖ θₖ^p = vᵀAᵖv` for every `p < 2·steps`.
///
/// ```
/// use wengert_ops::Matrix;
/// use wengert_optim::spectra::lanczos_quadrature;
/// let a = Matrix::from_fn(6, 6, |i, j| if i == j { i as f64 } else { 0.1 });
/// let v = [1.0, 0.0, 0.0, 0.0, 0.0, 0.0];
/// let (nodes, weights) = lanczos_quadrature(&a, &v, 3)?;
/// // p = 2: vᵀA²v = Σⱼ a₀ⱼ² = 0 + 5·0.01.
/// let m2: f64 = nodes.iter().zip(&weights).map(|(t, w)| w * t * t).sum();
/// assert!((m2 - 0.05).abs() < 1e-14);
/// # Ok::<(), wengert_optim::SolverError>(())
/// ```
///
/// # Errors
/// A [`SolverError`] naming `lanczos_quadrature` if the operator has dimension
/// 0, `start` has the wrong length or a zero or non-finite norm, `steps` is 0,
/// or a product has a non-finite entry.
pub fn lanczos_quadrature<A: LinearOperator + ?Sized>(
    op: &A,
    start: &[f64],
    steps: usize,
) -> Result<(Vec<f64>, Vec<f64>), SolverError> {
    quadrature("lanczos_quadrature", op, start, steps)
}

fn quadrature<A: LinearOperator + ?Sized>(
    solver: &'static str,
    op: &A,
    start: &[f64],
    steps: usize,
) -> Result<(Vec<f64>, Vec<f64>), SolverError> {
    let n = check_dim(solver, op)?;
    crate::solver_error::check_len(solver, "the start vector", start.len(), n)?;
    if steps == 0 {
        return Err(SolverError::new(solver, "steps must be at least 1"));
    }
    let mut krylov = Krylov::new(solver, op, Some(start), 0)?;
    while krylov.steps() < steps.min(n) {
        krylov.step()?;
        // An invariant subspace ends the quadrature: it is exact from here on,
        // and a restart would leave the measure of `start`.
        if krylov.steps() < n && krylov.last_beta <= 1e-12 * krylov.alpha.iter().fold(0.0f64, |m, a| m.max(a.abs())) {
            break;
        }
    }
    let m = krylov.steps();
    let (nodes, first) = tridiagonal_eigen_row(&krylov.alpha, &krylov.beta[..m - 1], 0);
    let weights = first.iter().map(|s| s * s).collect();
    Ok((nodes, weights))
}

/// Stochastic Lanczos quadrature: the spectral density of a symmetric operator
/// from `probes` normalized Rademacher probes and `steps` Lanczos steps each
/// (`probes × steps` products).
///
/// The result's [`moment`](SpectralDensity::moment)s estimate `tr(Aᵖ)/n` (so
/// `n · moment(1)` estimates the trace, with the same variance as Hutchinson's
/// estimator on the same probes), and [`broadened`](SpectralDensity::broadened)
/// / [`on_grid`](SpectralDensity::on_grid) give a plottable density. Outlying
/// eigenvalues (the top of a network's Hessian) appear as nodes of small weight
/// (≈ 1/n each); the bulk near zero carries almost all the weight.
///
/// ```
/// use wengert_optim::spectra::{spectral_density, FnOperator, SlqOptions};
/// // Half the eigenvalues at 1, half at 3: two bumps of mass ½.
/// let op = FnOperator::new(200, |v: &[f64], out: &mut [f64]| {
///     for (i, (o, x)) in out.iter_mut().zip(v).enumerate() {
///         *o = if i % 2 == 0 { 1.0 } else { 3.0 } * x;
///     }
/// });
/// let d = spectral_density(&op, &SlqOptions { probes: 20, steps: 10, seed: 3 })?;
/// let mass_near_one: f64 = d.nodes.iter().zip(&d.weights).filter(|(t, _)| (**t - 1.0).abs() < 1e-6).map(|(_, w)| w).sum();
/// assert!((mass_near_one - 0.5).abs() < 0.1);
/// assert!((d.moment(1) - 2.0).abs() < 0.1);
/// # Ok::<(), wengert_optim::SolverError>(())
/// ```
///
/// # Errors
/// A [`SolverError`] naming `spectral_density` if the operator has dimension 0,
/// `probes` or `steps` is 0, or a product has a non-finite entry.
pub fn spectral_density<A: LinearOperator + ?Sized>(op: &A, opts: &SlqOptions) -> Result<SpectralDensity, SolverError> {
    const NAME: &str = "spectral_density";
    let n = check_dim(NAME, op)?;
    if opts.probes == 0 || opts.steps == 0 {
        return Err(SolverError::new(
            NAME,
            format!("probes and steps must be at least 1, got {} and {}", opts.probes, opts.steps),
        ));
    }
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let (mut nodes, mut weights) = (Vec::new(), Vec::new());
    for _ in 0..opts.probes {
        let z = rademacher(n, &mut rng);
        let (t, w) = quadrature(NAME, op, &z, opts.steps)?;
        nodes.extend(t);
        weights.extend(w.into_iter().map(|w| w / opts.probes as f64));
    }
    Ok(SpectralDensity { nodes, weights, probes: opts.probes, steps: opts.steps.min(n) })
}
