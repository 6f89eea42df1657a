//! Hutchinson's stochastic trace estimator.

use rand::rngs::StdRng;
use rand::SeedableRng;

use super::{apply_checked, check_dim, rademacher, LinearOperator};
use crate::linalg::dot;
use crate::solver_error::SolverError;

/// The outcome of [`hutchinson_trace`].
#[derive(Clone, Debug, PartialEq)]
pub struct TraceEstimate {
    /// The estimate `(1/m) Σ zᵢᵀAzᵢ`.
    pub trace: f64,
    /// Its standard error `s/√m`, with `s` the sample standard deviation of the
    /// `zᵢᵀAzᵢ` (denominator `m − 1`). The estimate is a mean of independent
    /// samples, so it lies within 2 standard errors of the trace about 95 % of
    /// the time (the central limit theorem, for `m` of 20 or more).
    pub std_error: f64,
    /// The samples `zᵢᵀAzᵢ`, one per probe.
    pub samples: Vec<f64>,
}

/// Hutchinson's estimator of `tr(A)`: the mean of `zᵀAz` over `probes`
/// Rademacher vectors `z` (entries ±1), seeded by `seed`, with its standard
/// error.
///
/// Unbiased, since `E[zzᵀ] = I` gives `E[zᵀAz] = tr(A)`. For Rademacher probes
/// the variance of one sample is `2 Σ_{i≠j} aᵢⱼ²` — the off-diagonal mass only,
/// the smallest of any probe distribution with `E[zzᵀ] = I` — so a diagonally
/// dominant Hessian needs few probes. One product per probe.
///
/// ```
/// use wengert_ops::Matrix;
/// use wengert_optim::spectra::hutchinson_trace;
/// let a = Matrix::from_fn(30, 30, |i, j| if i == j { 2.0 } else { 0.05 * ((i * j) as f64).sin() });
/// let est = hutchinson_trace(&a, 50, 1)?;
/// assert!((est.trace - 60.0).abs() < 4.0 * est.std_error);
/// # Ok::<(), wengert_optim::SolverError>(())
/// ```
///
/// # Errors
/// A [`SolverError`] naming `hutchinson_trace` if the operator has dimension
/// 0, `probes < 2` (one sample has no standard error), or a product has a
/// non-finite entry.
pub fn hutchinson_trace<A: LinearOperator + ?Sized>(
    op: &A,
    probes: usize,
    seed: u64,
) -> Result<TraceEstimate, SolverError> {
    const NAME: &str = "hutchinson_trace";
    let n = check_dim(NAME, op)?;
    if probes < 2 {
        return Err(SolverError::new(NAME, format!("need at least 2 probes for a standard error, got {probes}")));
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let mut az = vec![0.0; n];
    let mut samples = Vec::with_capacity(probes);
    for _ in 0..probes {
        let z = rademacher(n, &mut rng);
        apply_checked(NAME, op, &z, &mut az)?;
        samples.push(dot(&z, &az));
    }
    let m = probes as f64;
    let trace = samples.iter().sum::<f64>() / m;
    let variance = samples.iter().map(|s| (s - trace).powi(2)).sum::<f64>() / (m - 1.0);
    Ok(TraceEstimate { trace, std_error: (variance / m).sqrt(), samples })
}
