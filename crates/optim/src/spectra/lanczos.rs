//! Lanczos with full reorthogonalization: extreme eigenpairs of a symmetric
//! operator from a few tens of products.
//!
//! After `m` steps from a unit vector `q₁`, Lanczos has an orthonormal basis
//! `Q_m` of the Krylov space `span{q₁, Aq₁, …, A^{m−1}q₁}` and the tridiagonal
//! `T_m = Q_mᵀ A Q_m` (diagonal `α`, off-diagonal `β`). The eigenpairs `(θ, s)` of
//! `T_m` give Ritz pairs `(θ, Q_m s)`, whose extreme values converge to the
//! extreme eigenvalues of `A` first, and whose residual is known without another
//! product: `‖A Q_m s − θ Q_m s‖ = β_m |s_m|` (the last component of `s`).
//!
//! In floating point, plain Lanczos loses orthogonality as Ritz values converge
//! and then produces spurious copies of them. Here each new vector is
//! orthogonalized against the whole basis by classical Gram–Schmidt, with a
//! second pass whenever the first removed most of the vector ("twice is
//! enough"), which costs `O(m n)` per step and keeps `m` vectors — the right
//! trade when a product is a Hessian-vector product through a network and `m`
//! is tens.
//!
//! **Repeated eigenvalues.** A single start vector sees each *distinct*
//! eigenvalue once: its Krylov space becomes invariant (`β` at rounding level)
//! after as many steps as there are distinct eigenvalues it touches, and the
//! further copies of a repeated eigenvalue lie in the orthogonal complement. So
//! when that happens the process restarts from a random vector orthogonal to
//! the basis (a new block of `T`, coupled by `β = 0`), and keeps restarting while
//! each new block finds a value among the wanted `k`; a block that finds none
//! ends the run. An eigenvalue of multiplicity `r` among the wanted ones thus
//! appears `r` times. Before the first such breakdown the residual test decides,
//! and — as for every single-vector Krylov method — it cannot tell a converged
//! simple eigenvalue from one copy of a repeated one; with `max_steps = n` the
//! result is exact regardless.

use rand::rngs::StdRng;
use rand::SeedableRng;

use super::{apply_checked, check_dim, random_unit, LinearOperator};
use crate::linalg::{dot, norm, symmetric_tridiagonal_eigen, tridiagonal_eigen_row};
use crate::solver_error::SolverError;

/// Options of [`lanczos_top_k`] and [`lanczos_bottom_k`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LanczosOptions {
    /// Budget of Lanczos steps, one product each (default 100; capped at the
    /// dimension, where the result is exact).
    pub max_steps: usize,
    /// Stop when each wanted Ritz pair has `‖Ay − θy‖ ≤ tol · max|θ|`, relative to
    /// the largest Ritz value in magnitude (default 1e-10). The eigenvalue error
    /// is at most the residual, and near `residual²/gap` once it is small.
    pub tol: f64,
    /// Seed of the random start vector (and of any restart; default 0).
    pub seed: u64,
}

impl Default for LanczosOptions {
    fn default() -> Self {
        LanczosOptions { max_steps: 100, tol: 1e-10, seed: 0 }
    }
}

/// Eigenpairs found by Lanczos.
#[derive(Clone, Debug, PartialEq)]
pub struct Eigenpairs {
    /// Ritz values: descending for the top-k, ascending for the bottom-k (the
    /// most extreme first either way).
    pub values: Vec<f64>,
    /// Ritz vectors (unit length), in the order of `values`.
    pub vectors: Vec<Vec<f64>>,
    /// `‖Ay − θy‖` of each pair (the Lanczos bound `β_m |s_m|`, equal to the true
    /// residual to rounding under full reorthogonalization).
    pub residuals: Vec<f64>,
    /// Lanczos steps taken (= operator products).
    pub steps: usize,
    /// Times the Krylov space became invariant and the process restarted from a
    /// fresh random vector.
    pub restarts: usize,
    /// Whether every wanted pair met the tolerance (or the whole space was
    /// spanned).
    pub converged: bool,
}

/// Which end of the spectrum is wanted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    Top,
    Bottom,
}

/// The Krylov basis and the tridiagonal matrix built so far.
pub(crate) struct Krylov<'a, A: ?Sized> {
    solver: &'static str,
    op: &'a A,
    rng: StdRng,
    /// Orthonormal basis vectors q₁ … q_m.
    pub(crate) basis: Vec<Vec<f64>>,
    /// Diagonal of T: αⱼ = qⱼᵀAqⱼ.
    pub(crate) alpha: Vec<f64>,
    /// Off-diagonal of T (length m − 1); 0 where the process restarted.
    pub(crate) beta: Vec<f64>,
    /// The residual after the last step, `r = Aq_m − α_m q_m − β_{m−1} q_{m−1}`
    /// orthogonalized against the basis, and its norm β_m.
    residual: Vec<f64>,
    pub(crate) last_beta: f64,
    /// Largest |α| or |β| seen: the scale for the breakdown test.
    scale: f64,
    pub(crate) restarts: usize,
    /// Index of the first basis vector of the current block (0, or where the
    /// last restart happened).
    block_start: usize,
    product: Vec<f64>,
}

impl<'a, A: LinearOperator + ?Sized> Krylov<'a, A> {
    /// A process on `op` starting from `start` (normalized here), or from a
    /// seeded random unit vector if `start` is `None`.
    pub(crate) fn new(solver: &'static str, op: &'a A, start: Option<&[f64]>, seed: u64) -> Result<Self, SolverError> {
        let n = op.dim();
        let mut rng = StdRng::seed_from_u64(seed);
        let first = match start {
            Some(s) => {
                let len = norm(s);
                if !(len > 0.0 && len.is_finite()) {
                    return Err(SolverError::new(solver, format!("the start vector has norm {len}")));
                }
                s.iter().map(|x| x / len).collect()
            }
            None => random_unit(n, &mut rng),
        };
        Ok(Krylov {
            solver,
            op,
            rng,
            basis: Vec::new(),
            alpha: Vec::new(),
            beta: Vec::new(),
            residual: first,
            last_beta: 1.0,
            scale: 0.0,
            restarts: 0,
            block_start: 0,
            product: vec![0.0; n],
        })
    }

    /// Steps taken.
    pub(crate) fn steps(&self) -> usize {
        self.alpha.len()
    }

    /// Whether the Krylov space of the current block is invariant (the residual
    /// after the last step is at rounding level), so the next step restarts.
    pub(crate) fn invariant(&self) -> bool {
        !self.basis.is_empty() && self.last_beta <= 1e-12 * self.scale
    }

    /// One Lanczos step: extends the basis by one vector and T by one row.
    pub(crate) fn step(&mut self) -> Result<(), SolverError> {
        let n = self.op.dim();
        debug_assert!(self.basis.len() < n, "Krylov::step past the dimension");
        let q = if self.basis.is_empty() {
            std::mem::take(&mut self.residual)
        } else if !self.invariant() {
            self.beta.push(self.last_beta);
            let b = self.last_beta;
            self.residual.iter().map(|r| r / b).collect()
        } else {
            // Invariant subspace: continue from a random vector orthogonal to it.
            self.restarts += 1;
            self.block_start = self.basis.len();
            self.beta.push(0.0);
            let mut v = random_unit(n, &mut self.rng);
            for _ in 0..2 {
                reorthogonalize(&self.basis, &mut v);
            }
            let len = norm(&v);
            v.iter_mut().for_each(|x| *x /= len);
            v
        };
        apply_checked(self.solver, self.op, &q, &mut self.product)?;
        let mut w = self.product.clone();
        let a = dot(&q, &w);
        w.iter_mut().zip(&q).for_each(|(wi, qi)| *wi -= a * qi);
        if let (Some(prev), Some(&b)) = (self.basis.last(), self.beta.last()) {
            w.iter_mut().zip(prev).for_each(|(wi, pi)| *wi -= b * pi);
        }
        self.basis.push(q);
        // Full reorthogonalization, repeated only when the first pass removed
        // most of w (norm dropped below 1/√2: Daniel, Gragg, Kaufman & Stewart
        // 1976) — "twice is enough", and once usually is. The basis is read from
        // memory once per pass, which is what a step costs at n = 200 000.
        let before = norm(&w);
        reorthogonalize(&self.basis, &mut w);
        let mut after = norm(&w);
        if after < std::f64::consts::FRAC_1_SQRT_2 * before {
            reorthogonalize(&self.basis, &mut w);
            after = norm(&w);
        }
        self.alpha.push(a);
        self.last_beta = after;
        self.scale = self.scale.max(a.abs()).max(self.last_beta);
        self.residual = w;
        Ok(())
    }
}

/// `w ← w − Q(Qᵀw)` by classical Gram–Schmidt against every basis vector.
fn reorthogonalize(basis: &[Vec<f64>], w: &mut [f64]) {
    let coefficients: Vec<f64> = basis.iter().map(|q| dot(q, w)).collect();
    for (q, c) in basis.iter().zip(coefficients) {
        w.iter_mut().zip(q).for_each(|(wi, qi)| *wi -= c * qi);
    }
}

/// The `k` algebraically largest eigenvalues of a symmetric operator and their
/// eigenvectors, by Lanczos with full reorthogonalization (see the
/// [module](self)). Descending.
///
/// ```
/// use wengert_ops::Matrix;
/// use wengert_optim::spectra::{lanczos_top_k, LanczosOptions};
/// // The (2, −1) second-difference matrix of order 50: λ_max = 2 − 2cos(50π/51).
/// let n = 50;
/// let a = Matrix::from_fn(n, n, |i, j| match i.abs_diff(j) { 0 => 2.0, 1 => -1.0, _ => 0.0 });
/// let top = lanczos_top_k(&a, 2, &LanczosOptions { max_steps: 50, ..Default::default() })?;
/// let exact = 2.0 - 2.0 * (50.0 * std::f64::consts::PI / 51.0).cos();
/// assert!(top.converged && (top.values[0] - exact).abs() < 1e-10);
/// # Ok::<(), wengert_optim::SolverError>(())
/// ```
///
/// # Errors
/// A [`SolverError`] naming `lanczos_top_k` if the operator has dimension 0,
/// `k` is 0 or larger than the dimension, `max_steps < k`, `tol` is negative or
/// not finite, or a product has a non-finite entry.
pub fn lanczos_top_k<A: LinearOperator + ?Sized>(
    op: &A,
    k: usize,
    opts: &LanczosOptions,
) -> Result<Eigenpairs, SolverError> {
    lanczos("lanczos_top_k", op, k, End::Top, opts)
}

/// The `k` algebraically smallest eigenvalues and their eigenvectors, ascending
/// (the most negative first): at a saddle point the first is the direction of
/// steepest negative curvature. See [`lanczos_top_k`].
///
/// ```
/// use wengert_ops::Matrix;
/// use wengert_optim::spectra::{lanczos_bottom_k, LanczosOptions};
/// let h = Matrix::from_rows(&[[1.0, 0.0, 0.0], [0.0, -2.0, 0.0], [0.0, 0.0, 5.0]]);
/// let bottom = lanczos_bottom_k(&h, 1, &LanczosOptions::default())?;
/// assert!((bottom.values[0] + 2.0).abs() < 1e-12);
/// assert!((bottom.vectors[0][1].abs() - 1.0).abs() < 1e-12); // the escape direction ±e₂
/// # Ok::<(), wengert_optim::SolverError>(())
/// ```
///
/// # Errors
/// As [`lanczos_top_k`], naming `lanczos_bottom_k`.
pub fn lanczos_bottom_k<A: LinearOperator + ?Sized>(
    op: &A,
    k: usize,
    opts: &LanczosOptions,
) -> Result<Eigenpairs, SolverError> {
    lanczos("lanczos_bottom_k", op, k, End::Bottom, opts)
}

/// The largest eigenvalue λ_max of a symmetric operator given as a closure
/// `hvp(v, out)` on `ℝ^dim`, from at most `iters` Lanczos steps started from a
/// vector seeded by `seed` (it stops earlier if λ_max has converged to 1e-10
/// relative).
///
/// This is the sharpness of a training loss when `hvp` is its Hessian-vector
/// product at the current parameters: gradient descent with learning rate η is
/// stable on the local quadratic model only while `λ_max < 2/η`, and full-batch
/// training tends to push λ_max up to that edge (Cohen et al. 2021). Twenty steps
/// usually give λ_max to 3–6 digits when it is well separated; the estimate is
/// always a lower bound (a Ritz value lies inside the spectrum).
///
/// ```
/// use wengert_optim::spectra::top_eigenvalue;
/// // f(x) = Σ cᵢxᵢ²/2 with curvatures cᵢ = 1…1000: sharpness 1000.
/// let hvp = |v: &[f64], out: &mut [f64]| {
///     for (i, (o, x)) in out.iter_mut().zip(v).enumerate() {
///         *o = (i + 1) as f64 * x;
///     }
/// };
/// let sharpness = top_eigenvalue(hvp, 1000, 20, 0)?;
/// assert!(sharpness <= 1000.0 && sharpness > 990.0);
/// # Ok::<(), wengert_optim::SolverError>(())
/// ```
///
/// # Errors
/// A [`SolverError`] naming `top_eigenvalue` if `dim` or `iters` is 0 or a
/// product has a non-finite entry.
pub fn top_eigenvalue<F: Fn(&[f64], &mut [f64])>(
    hvp: F,
    dim: usize,
    iters: usize,
    seed: u64,
) -> Result<f64, SolverError> {
    const NAME: &str = "top_eigenvalue";
    if iters == 0 {
        return Err(SolverError::new(NAME, "iters must be at least 1"));
    }
    let op = super::FnOperator::new(dim, hvp);
    let opts = LanczosOptions { max_steps: iters, tol: 1e-10, seed };
    Ok(lanczos(NAME, &op, 1, End::Top, &opts)?.values[0])
}

/// Whether the current (last) block has a Ritz value at least as extreme as the
/// k-th wanted value of the whole tridiagonal matrix (within `tol` relative).
fn latest_block_contributes<A: LinearOperator + ?Sized>(krylov: &Krylov<'_, A>, k: usize, end: End, tol: f64) -> bool {
    let m = krylov.steps();
    let b = krylov.block_start;
    let block = crate::linalg::tridiagonal_eigen_row(&krylov.alpha[b..], &krylov.beta[b..m - 1], 0).0;
    let all = tridiagonal_eigen_row(&krylov.alpha, &krylov.beta, 0).0;
    let slack = tol.max(1e-12) * all[0].abs().max(all[m - 1].abs());
    match end {
        End::Top => block[0] >= all[k - 1] - slack,
        End::Bottom => block[block.len() - 1] <= all[m - k] + slack,
    }
}

/// Ritz values sorted with the wanted end first, with their indices into the
/// descending order of the tridiagonal solver.
fn wanted_order(values: &[f64], end: End) -> Vec<usize> {
    let m = values.len();
    match end {
        End::Top => (0..m).collect(),
        End::Bottom => (0..m).rev().collect(),
    }
}

fn lanczos<A: LinearOperator + ?Sized>(
    solver: &'static str,
    op: &A,
    k: usize,
    end: End,
    opts: &LanczosOptions,
) -> Result<Eigenpairs, SolverError> {
    let n = check_dim(solver, op)?;
    if k == 0 || k > n {
        return Err(SolverError::new(solver, format!("k = {k} eigenpairs asked of an operator of dimension {n}")));
    }
    if opts.max_steps < k {
        return Err(SolverError::new(solver, format!("max_steps = {} is smaller than k = {k}", opts.max_steps)));
    }
    if !(opts.tol >= 0.0 && opts.tol.is_finite()) {
        return Err(SolverError::new(solver, format!("tol must be finite and ≥ 0, got {}", opts.tol)));
    }
    let max_steps = opts.max_steps.min(n);
    let mut krylov = Krylov::new(solver, op, None, opts.seed)?;
    let mut converged = false;
    while krylov.steps() < max_steps {
        krylov.step()?;
        let m = krylov.steps();
        if m < k {
            continue;
        }
        if m == n {
            converged = true;
            break;
        }
        if krylov.invariant() {
            // The first block is exhausted: every distinct eigenvalue the start
            // vector touched has been found once; what remains are further copies,
            // which only restarts can reveal. A later block is done when it found
            // nothing that belongs to the wanted k.
            if krylov.restarts > 0 && !latest_block_contributes(&krylov, k, end, opts.tol) {
                converged = true;
                break;
            }
            continue;
        }
        if krylov.restarts > 0 {
            // A block after a restart holds copies of eigenvalues already found;
            // it is judged when it becomes invariant, not by residuals midway.
            continue;
        }
        // Residual bounds β_m |s_m| from the last components only: O(m²).
        let (values, last) = tridiagonal_eigen_row(&krylov.alpha, &krylov.beta, m - 1);
        let spread = values[0].abs().max(values[m - 1].abs());
        let order = wanted_order(&values, end);
        if order[..k].iter().all(|&j| krylov.last_beta * last[j].abs() <= opts.tol * spread) {
            converged = true;
            break;
        }
    }
    let m = krylov.steps();
    let eig = symmetric_tridiagonal_eigen(&krylov.alpha, &krylov.beta);
    let order = wanted_order(&eig.values, end);
    let mut pairs = Eigenpairs {
        values: Vec::with_capacity(k),
        vectors: Vec::with_capacity(k),
        residuals: Vec::with_capacity(k),
        steps: m,
        restarts: krylov.restarts,
        converged,
    };
    for &j in &order[..k] {
        let mut y = vec![0.0; n];
        for (i, q) in krylov.basis.iter().enumerate() {
            let s = eig.vectors[(i, j)];
            y.iter_mut().zip(q).for_each(|(yi, qi)| *yi += s * qi);
        }
        // Unit length to rounding already; normalize so callers can rely on it.
        let len = norm(&y);
        y.iter_mut().for_each(|v| *v /= len);
        pairs.values.push(eig.values[j]);
        pairs.vectors.push(y);
        pairs.residuals.push(if m == n { 0.0 } else { krylov.last_beta * eig.vectors[(m - 1, j)].abs() });
    }
    Ok(pairs)
}
