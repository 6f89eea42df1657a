//! Power iteration: the dominant eigenpair (largest `|λ|`) of a symmetric operator.

use rand::rngs::StdRng;
use rand::SeedableRng;

use super::{apply_checked, check_dim, random_unit, LinearOperator};
use crate::linalg::{dot, norm};
use crate::solver_error::SolverError;

/// Options of [`power_iteration`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PowerOptions {
    /// Iteration budget, one product each (default 1000).
    pub max_iter: usize,
    /// Stop when `‖Av − θv‖ ≤ tol·|θ|` (default 1e-10).
    pub tol: f64,
    /// Seed of the random start vector (default 0).
    pub seed: u64,
}

impl Default for PowerOptions {
    fn default() -> Self {
        PowerOptions { max_iter: 1000, tol: 1e-10, seed: 0 }
    }
}

/// The outcome of [`power_iteration`].
#[derive(Clone, Debug, PartialEq)]
pub struct PowerResult {
    /// The Rayleigh quotient `θ = vᵀAv` of the final vector.
    pub eigenvalue: f64,
    /// The final unit vector `v`.
    pub eigenvector: Vec<f64>,
    /// `‖Av − θv‖`.
    pub residual: f64,
    /// Products used.
    pub iterations: usize,
    /// Whether the residual tolerance was met.
    pub converged: bool,
}

/// Power iteration `v ← Av/‖Av‖` from a seeded random unit vector, with the
/// Rayleigh quotient as the estimate.
///
/// Finds the eigenvalue of **largest magnitude**: for a Hessian with a large
/// negative eigenvalue that is the negative one, not λ_max (use
/// [`lanczos_top_k`](super::lanczos_top_k) for the algebraically largest). The
/// error contracts like `|λ₂/λ₁|` per step, so it is slow when the top two
/// eigenvalues are close; Lanczos is never slower in products and usually much
/// faster (it converges like Chebyshev acceleration of the same iteration). Its
/// merit is that it keeps two vectors, whatever the number of steps.
///
/// ```
/// use wengert_ops::Matrix;
/// use wengert_optim::spectra::{power_iteration, PowerOptions};
/// let a = Matrix::from_rows(&[[2.0, 1.0], [1.0, 2.0]]);
/// let r = power_iteration(&a, &PowerOptions::default())?;
/// assert!(r.converged && (r.eigenvalue - 3.0).abs() < 1e-12);
/// # Ok::<(), wengert_optim::SolverError>(())
/// ```
///
/// # Errors
/// A [`SolverError`] if the operator has dimension 0, `tol` is negative or not
/// finite, or a product has a non-finite entry.
pub fn power_iteration<A: LinearOperator + ?Sized>(op: &A, opts: &PowerOptions) -> Result<PowerResult, SolverError> {
    const NAME: &str = "power_iteration";
    let n = check_dim(NAME, op)?;
    if !(opts.tol >= 0.0 && opts.tol.is_finite()) {
        return Err(SolverError::new(NAME, format!("tol must be finite and ≥ 0, got {}", opts.tol)));
    }
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let mut v = random_unit(n, &mut rng);
    let mut av = vec![0.0; n];
    let (mut theta, mut residual, mut iterations) = (0.0, f64::INFINITY, 0);
    while iterations < opts.max_iter {
        apply_checked(NAME, op, &v, &mut av)?;
        iterations += 1;
        theta = dot(&v, &av);
        residual = av.iter().zip(&v).map(|(a, x)| (a - theta * x).powi(2)).sum::<f64>().sqrt();
        if residual <= opts.tol * theta.abs() {
            break;
        }
        let len = norm(&av);
        if len == 0.0 {
            // v is in the null space: A = 0 on the start's span, θ = 0 is exact.
            break;
        }
        v.iter_mut().zip(&av).for_each(|(x, a)| *x = a / len);
    }
    Ok(PowerResult {
        eigenvalue: theta,
        eigenvector: v,
        converged: residual <= opts.tol * theta.abs() || residual == 0.0,
        residual,
        iterations,
    })
}
