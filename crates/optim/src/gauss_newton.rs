//! Gauss-Newton: curvature from first derivatives of the model and second
//! derivatives of the loss only.
//!
//! For a loss `L(θ) = ℓ(F(θ))` of a model's outputs `F(θ)` (a network's logits
//! for a batch), the Hessian splits as
//!
//! ```text
//! ∇²L = Jᵀ (∇²ℓ) J  +  Σₖ (∂ℓ/∂Fₖ) ∇²Fₖ,        J = ∂F/∂θ
//! ```
//!
//! The first term is the **generalized Gauss-Newton** (GGN) matrix `G`. It is
//! positive semi-definite whenever the loss is convex in the outputs (MSE,
//! softmax cross-entropy), needs no second derivative of the model, and equals
//! the Hessian when the model is linear in θ or the residuals `∂ℓ/∂F` vanish.
//! A product `Gv` costs one Jacobian-vector product (forward mode), one product
//! with the small, exact loss Hessian, and one vector-Jacobian product (reverse
//! mode): [`ggn_vector_product`], or [`GgnOperator`] for the spectral methods.
//! For softmax cross-entropy `G` is also the Fisher information of the model's
//! predictive distribution, which is why it is the curvature behind natural
//! gradient and K-FAC.
//!
//! The loss Hessians are implemented exactly, with the conventions of the
//! tape's fused losses ([`MeanSquaredError`]: mean over all entries;
//! [`SoftmaxCrossEntropy`]: mean over rows).
//!
//! For least squares, `ℓ = ½‖r‖²`, `G = JᵀJ`, and minimizing the Gauss-Newton
//! model at each step gives the **Gauss-Newton** and **Levenberg-Marquardt**
//! methods ([`gauss_newton`], [`levenberg_marquardt`]): residual and Jacobian
//! closures in, a [`LeastSquaresReport`] out. Near a zero-residual solution they
//! converge quadratically with only first derivatives.

use wengert_ops::{shape_str, Matrix};

use crate::linalg::{cholesky, cholesky_solve, dot, matvec_t, norm, norm_inf};
use crate::second_order::Termination;
use crate::solver_error::{check_all_finite, check_len, check_start, SolverError};
use crate::spectra::LinearOperator;

// ---------------------------------------------------------------------------------
// Loss Hessians and GGN products
// ---------------------------------------------------------------------------------

/// A loss of a model's outputs (an `N × K` matrix for a batch of N), with its
/// exact gradient and Hessian-vector product with respect to the outputs.
pub trait OutputLoss {
    /// The shape `(N, K)` of the outputs this loss takes.
    fn shape(&self) -> (usize, usize);
    /// `ℓ(F)`.
    fn value(&self, outputs: &Matrix<f64>) -> f64;
    /// `∂ℓ/∂F`, shaped like the outputs.
    fn gradient(&self, outputs: &Matrix<f64>) -> Matrix<f64>;
    /// `(∇²ℓ)·u` for a direction `u` shaped like the outputs.
    fn hessian_vector(&self, outputs: &Matrix<f64>, u: &Matrix<f64>) -> Matrix<f64>;
}

/// Panics unless `m` has the loss's output shape.
fn check_outputs(name: &str, what: &str, expected: (usize, usize), m: &Matrix<f64>) {
    assert!(
        m.shape() == expected,
        "{name}: {what} is {} but the loss takes {} outputs",
        shape_str(m.shape()),
        shape_str(expected)
    );
}

/// Mean squared error `ℓ(F) = (1/(NK)) Σᵢⱼ (Fᵢⱼ − Yᵢⱼ)²`, the convention of the
/// tape's `mse`. Its Hessian is `(2/(NK)) I`.
///
/// ```
/// use wengert_ops::Matrix;
/// use wengert_optim::gauss_newton::{MeanSquaredError, OutputLoss};
/// let loss = MeanSquaredError::new(Matrix::from_rows(&[[1.0, 2.0]]));
/// let f = Matrix::from_rows(&[[2.0, 2.0]]);
/// assert_eq!(loss.value(&f), 0.5);
/// assert_eq!(loss.gradient(&f).as_slice(), &[1.0, 0.0]);
/// assert_eq!(loss.hessian_vector(&f, &Matrix::from_rows(&[[1.0, -3.0]])).as_slice(), &[1.0, -3.0]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct MeanSquaredError {
    targets: Matrix<f64>,
}

impl MeanSquaredError {
    /// The loss against `targets` (`N × K`).
    pub fn new(targets: Matrix<f64>) -> Self {
        MeanSquaredError { targets }
    }
}

impl OutputLoss for MeanSquaredError {
    fn shape(&self) -> (usize, usize) {
        self.targets.shape()
    }
    fn value(&self, outputs: &Matrix<f64>) -> f64 {
        check_outputs("MeanSquaredError", "the output", self.shape(), outputs);
        outputs.iter().zip(self.targets.iter()).map(|(f, y)| (f - y).powi(2)).sum::<f64>() / outputs.len() as f64
    }
    fn gradient(&self, outputs: &Matrix<f64>) -> Matrix<f64> {
        check_outputs("MeanSquaredError", "the output", self.shape(), outputs);
        let s = 2.0 / outputs.len() as f64;
        Matrix::from_fn(outputs.rows(), outputs.cols(), |i, j| s * (outputs[(i, j)] - self.targets[(i, j)]))
    }
    fn hessian_vector(&self, outputs: &Matrix<f64>, u: &Matrix<f64>) -> Matrix<f64> {
        check_outputs("MeanSquaredError", "the output", self.shape(), outputs);
        check_outputs("MeanSquaredError", "the direction", self.shape(), u);
        let s = 2.0 / u.len() as f64;
        u.map(|x| s * x)
    }
}

/// Softmax cross-entropy from logits, `ℓ(Z) = (1/N) Σᵢ (logsumexp(zᵢ) − zᵢ,yᵢ)`,
/// the convention of the tape's `softmax_cross_entropy`. Per row the Hessian is
/// `(diag(p) − ppᵀ)/N` with `p = softmax(zᵢ)`, so `(∇²ℓ·u)ᵢ = pᵢ ⊙ (uᵢ − pᵢ·uᵢ)/N`:
/// positive semi-definite, with `1` in its null space (adding a constant to a
/// row of logits changes nothing).
///
/// ```
/// use wengert_ops::Matrix;
/// use wengert_optim::gauss_newton::{OutputLoss, SoftmaxCrossEntropy};
/// let loss = SoftmaxCrossEntropy::new(vec![0], 2);
/// let z = Matrix::from_rows(&[[0.0, 0.0]]); // p = (½, ½)
/// assert!((loss.value(&z) - 2f64.ln()).abs() < 1e-15);
/// assert_eq!(loss.gradient(&z).as_slice(), &[-0.5, 0.5]);
/// // (diag(p) − ppᵀ) e₁ = (¼, −¼)
/// assert_eq!(loss.hessian_vector(&z, &Matrix::from_rows(&[[1.0, 0.0]])).as_slice(), &[0.25, -0.25]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SoftmaxCrossEntropy {
    labels: Vec<usize>,
    classes: usize,
}

impl SoftmaxCrossEntropy {
    /// The loss for one label per row, each `< classes`.
    ///
    /// # Panics
    /// If a label is out of range.
    pub fn new(labels: Vec<usize>, classes: usize) -> Self {
        if let Some(&bad) = labels.iter().find(|&&c| c >= classes) {
            panic!("SoftmaxCrossEntropy: label {bad} out of range for {classes} classes");
        }
        SoftmaxCrossEntropy { labels, classes }
    }

    /// The softmax of each row of `z`.
    fn probabilities(&self, z: &Matrix<f64>) -> Matrix<f64> {
        check_outputs("SoftmaxCrossEntropy", "the logits", self.shape(), z);
        let mut p = z.clone();
        for i in 0..z.rows() {
            let row = z.row(i);
            let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let sum: f64 = row.iter().map(|v| (v - max).exp()).sum();
            for j in 0..z.cols() {
                p[(i, j)] = (row[j] - max).exp() / sum;
            }
        }
        p
    }
}

impl OutputLoss for SoftmaxCrossEntropy {
    fn shape(&self) -> (usize, usize) {
        (self.labels.len(), self.classes)
    }
    fn value(&self, z: &Matrix<f64>) -> f64 {
        check_outputs("SoftmaxCrossEntropy", "the logits", self.shape(), z);
        let total: f64 = (0..z.rows())
            .map(|i| {
                let row = z.row(i);
                let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                max + row.iter().map(|v| (v - max).exp()).sum::<f64>().ln() - row[self.labels[i]]
            })
            .sum();
        total / z.rows() as f64
    }
    fn gradient(&self, z: &Matrix<f64>) -> Matrix<f64> {
        let mut g = self.probabilities(z);
        let n = z.rows() as f64;
        for (i, &c) in self.labels.iter().enumerate() {
            g[(i, c)] -= 1.0;
        }
        g.map(|v| v / n)
    }
    fn hessian_vector(&self, z: &Matrix<f64>, u: &Matrix<f64>) -> Matrix<f64> {
        check_outputs("SoftmaxCrossEntropy", "the direction", self.shape(), u);
        let p = self.probabilities(z);
        let n = z.rows() as f64;
        let mut out = u.clone();
        for i in 0..u.rows() {
            let (pi, ui) = (p.row(i), u.row(i));
            let pu: f64 = dot(pi, ui);
            for j in 0..u.cols() {
                out[(i, j)] = pi[j] * (ui[j] - pu) / n;
            }
        }
        out
    }
}

/// The GGN product `Gv = Jᵀ (∇²ℓ) J v` at outputs `F`: `jvp(v)` returns `Jv`
/// (the outputs' tangent, `N·K` entries row-major), `vjp(w)` returns `Jᵀw` (one
/// entry per parameter).
///
/// ```
/// use wengert_ops::Matrix;
/// use wengert_optim::gauss_newton::{ggn_vector_product, MeanSquaredError};
/// // A linear model F = θ₀·a + θ₁·b with MSE: G = (2/N) [a b]ᵀ[a b], the Hessian.
/// let (a, b) = ([1.0, 2.0, 0.0], [0.0, 1.0, 1.0]);
/// let loss = MeanSquaredError::new(Matrix::zeros(3, 1));
/// let outputs = Matrix::zeros(3, 1);
/// let jvp = |v: &[f64]| (0..3).map(|i| a[i] * v[0] + b[i] * v[1]).collect::<Vec<_>>();
/// let vjp = |w: &[f64]| vec![(0..3).map(|i| a[i] * w[i]).sum(), (0..3).map(|i| b[i] * w[i]).sum()];
/// let gv = ggn_vector_product(&loss, &outputs, jvp, vjp, &[1.0, 0.0]);
/// // (2/3)·(aᵀa, bᵀa) = (2/3)·(5, 2)
/// assert!((gv[0] - 10.0 / 3.0).abs() < 1e-15 && (gv[1] - 4.0 / 3.0).abs() < 1e-15);
/// ```
///
/// # Panics
/// If `jvp` returns other than `N·K` entries.
pub fn ggn_vector_product<L, J, Jt>(loss: &L, outputs: &Matrix<f64>, jvp: J, vjp: Jt, v: &[f64]) -> Vec<f64>
where
    L: OutputLoss + ?Sized,
    J: Fn(&[f64]) -> Vec<f64>,
    Jt: Fn(&[f64]) -> Vec<f64>,
{
    let (n, k) = loss.shape();
    let jv = jvp(v);
    assert_eq!(jv.len(), n * k, "ggn_vector_product: jvp returned {} entries for {n}×{k} outputs", jv.len());
    let hjv = loss.hessian_vector(outputs, &Matrix::from_vec(n, k, jv));
    vjp(hjv.as_slice())
}

/// The GGN matrix at fixed outputs as a [`LinearOperator`], for the spectral
/// methods: its top eigenvalue bounds the sharpness of the Gauss-Newton model,
/// and it is positive semi-definite even where the Hessian is not.
pub struct GgnOperator<'a, L: ?Sized, J, Jt> {
    dim: usize,
    loss: &'a L,
    outputs: Matrix<f64>,
    jvp: J,
    vjp: Jt,
}

impl<'a, L, J, Jt> GgnOperator<'a, L, J, Jt>
where
    L: OutputLoss + ?Sized,
    J: Fn(&[f64]) -> Vec<f64>,
    Jt: Fn(&[f64]) -> Vec<f64>,
{
    /// `G = Jᵀ(∇²ℓ)J` on `dim` parameters at `outputs`; see [`ggn_vector_product`].
    ///
    /// # Panics
    /// If `outputs` does not have the loss's shape.
    pub fn new(dim: usize, loss: &'a L, outputs: Matrix<f64>, jvp: J, vjp: Jt) -> Self {
        check_outputs("GgnOperator", "the output", loss.shape(), &outputs);
        GgnOperator { dim, loss, outputs, jvp, vjp }
    }
}

impl<L, J, Jt> LinearOperator for GgnOperator<'_, L, J, Jt>
where
    L: OutputLoss + ?Sized,
    J: Fn(&[f64]) -> Vec<f64>,
    Jt: Fn(&[f64]) -> Vec<f64>,
{
    fn dim(&self) -> usize {
        self.dim
    }

    /// # Panics
    /// If `vjp` returns other than `dim` entries.
    fn apply(&self, v: &[f64], out: &mut [f64]) {
        let gv = ggn_vector_product(self.loss, &self.outputs, &self.jvp, &self.vjp, v);
        assert_eq!(gv.len(), self.dim, "GgnOperator: vjp returned {} entries for {} parameters", gv.len(), self.dim);
        out.copy_from_slice(&gv);
    }
}

// ---------------------------------------------------------------------------------
// Nonlinear least squares
// ---------------------------------------------------------------------------------

/// Options of [`levenberg_marquardt`] and [`gauss_newton`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LeastSquaresOptions {
    /// Iteration budget (accepted steps; default 100). Levenberg-Marquardt also
    /// stops after `10 · max_iter` rejected trials.
    pub max_iter: usize,
    /// Levenberg-Marquardt's initial damping relative to the largest diagonal
    /// entry of `JᵀJ`: `μ₀ = τ · maxᵢ (JᵀJ)ᵢᵢ` (default τ = 1e-3, for a start
    /// believed close; use 1 or more for a poor start).
    pub initial_damping: f64,
    /// Stop when `‖Jᵀr‖_∞ ≤ gtol` (default 1e-10).
    pub gtol: f64,
    /// Stop when the step `‖h‖ ≤ xtol (‖x‖ + xtol)` (default 1e-12).
    pub xtol: f64,
}

impl Default for LeastSquaresOptions {
    fn default() -> Self {
        LeastSquaresOptions { max_iter: 100, initial_damping: 1e-3, gtol: 1e-10, xtol: 1e-12 }
    }
}

/// The outcome of [`levenberg_marquardt`] or [`gauss_newton`].
#[derive(Clone, Debug, PartialEq)]
pub struct LeastSquaresReport {
    /// Final parameters.
    pub x: Vec<f64>,
    /// `‖r(x)‖₂`.
    pub residual_norm: f64,
    /// `‖Jᵀr‖_∞`, the gradient of `½‖r‖²`.
    pub grad_norm: f64,
    /// Accepted steps.
    pub iterations: usize,
    /// Calls of the residual closure.
    pub residual_evals: usize,
    /// Calls of the Jacobian closure.
    pub jacobian_evals: usize,
    /// `‖r‖₂` at the start and after each accepted step.
    pub history: Vec<f64>,
    /// The final damping μ (0 for Gauss-Newton).
    pub damping: f64,
    /// Why it stopped ([`Termination::GradientTolerance`] and
    /// [`Termination::StepTolerance`] both mean converged).
    pub termination: Termination,
}

impl LeastSquaresReport {
    /// Whether the gradient or the step tolerance was met.
    pub fn converged(&self) -> bool {
        matches!(self.termination, Termination::GradientTolerance | Termination::StepTolerance)
    }
}

/// The residual and Jacobian closures, with their shapes checked on every call.
struct LeastSquares<R, J> {
    solver: &'static str,
    residual: R,
    jacobian: J,
    m: usize,
    n: usize,
    residual_evals: usize,
    jacobian_evals: usize,
}

impl<R, J> LeastSquares<R, J>
where
    R: FnMut(&[f64]) -> Vec<f64>,
    J: FnMut(&[f64]) -> Matrix<f64>,
{
    /// Checks the start and the closures' shapes there; returns `(problem, r(x0))`.
    fn new(solver: &'static str, mut residual: R, jacobian: J, x0: &[f64]) -> Result<(Self, Vec<f64>), SolverError> {
        check_start(solver, x0)?;
        let r = residual(x0);
        if r.is_empty() {
            return Err(SolverError::new(solver, "the residual at the start is empty"));
        }
        check_all_finite(solver, "the residual at the start", "r", &r)?;
        let problem =
            LeastSquares { solver, residual, jacobian, m: r.len(), n: x0.len(), residual_evals: 1, jacobian_evals: 0 };
        Ok((problem, r))
    }

    fn residual(&mut self, x: &[f64]) -> Result<Vec<f64>, SolverError> {
        self.residual_evals += 1;
        let r = (self.residual)(x);
        check_len(self.solver, "the residual", r.len(), self.m)?;
        Ok(r)
    }

    fn jacobian(&mut self, x: &[f64]) -> Result<Matrix<f64>, SolverError> {
        self.jacobian_evals += 1;
        let jac = (self.jacobian)(x);
        if jac.shape() != (self.m, self.n) {
            return Err(SolverError::new(
                self.solver,
                format!(
                    "the Jacobian is {} but {} residuals of {} parameters need {}",
                    shape_str(jac.shape()),
                    self.m,
                    self.n,
                    shape_str((self.m, self.n))
                ),
            ));
        }
        check_all_finite(self.solver, "the Jacobian", "J", jac.as_slice())?;
        Ok(jac)
    }
}

/// `JᵀJ` (n × n).
fn gram(jac: &Matrix<f64>) -> Matrix<f64> {
    let n = jac.cols();
    let mut a = Matrix::zeros(n, n);
    for row in jac.row_iter() {
        for i in 0..n {
            if row[i] == 0.0 {
                continue;
            }
            for j in 0..=i {
                a[(i, j)] += row[i] * row[j];
            }
        }
    }
    for i in 0..n {
        for j in 0..i {
            a[(j, i)] = a[(i, j)];
        }
    }
    a
}

fn check_options(solver: &'static str, opts: &LeastSquaresOptions) -> Result<(), SolverError> {
    for (name, value) in [("initial_damping", opts.initial_damping), ("gtol", opts.gtol), ("xtol", opts.xtol)] {
        if !(value >= 0.0 && value.is_finite()) {
            return Err(SolverError::new(solver, format!("{name} must be finite and ≥ 0, got {value}")));
        }
    }
    Ok(())
}

/// Levenberg-Marquardt for `min ½‖r(x)‖²`: each step solves
/// `(JᵀJ + μI) h = −Jᵀr` and is accepted when the gain ratio
/// `ρ = (F(x) − F(x + h)) / (L(0) − L(h))` of actual to predicted decrease is
/// positive. The damping follows Nielsen's schedule (Madsen, Nielsen & Tingleff
/// 2004): after an accepted step `μ ← μ · max(⅓, 1 − (2ρ − 1)³)`, after a
/// rejected one `μ ← μν`, `ν ← 2ν` (ν resets to 2 on acceptance).
///
/// Large μ makes the step a short gradient step (robust far from the solution);
/// small μ makes it the Gauss-Newton step (quadratic convergence near a
/// zero-residual solution). `residual(x)` returns `r(x)` (m entries) and
/// `jacobian(x)` returns `J(x)` (`m × n`).
///
/// ```
/// use wengert_ops::Matrix;
/// use wengert_optim::gauss_newton::{levenberg_marquardt, LeastSquaresOptions};
/// // Fit y = a·eᵇᵗ through three exact points of a = 2, b = −1.
/// let t = [0.0, 1.0, 2.0];
/// let y: Vec<f64> = t.iter().map(|&t: &f64| 2.0 * (-t).exp()).collect();
/// let r = |p: &[f64]| t.iter().zip(&y).map(|(&t, &y)| p[0] * (p[1] * t).exp() - y).collect::<Vec<_>>();
/// let jac = |p: &[f64]| Matrix::from_fn(3, 2, |i, j| {
///     let e = (p[1] * t[i]).exp();
///     if j == 0 { e } else { p[0] * t[i] * e }
/// });
/// let fit = levenberg_marquardt(r, jac, &[1.0, 0.0], &LeastSquaresOptions::default())?;
/// assert!(fit.converged() && (fit.x[0] - 2.0).abs() < 1e-9 && (fit.x[1] + 1.0).abs() < 1e-9);
/// # Ok::<(), wengert_optim::SolverError>(())
/// ```
///
/// # Errors
/// A [`SolverError`] naming `levenberg_marquardt` if the start is empty or has
/// a non-finite entry, the residual is empty or non-finite at the start, a
/// residual or Jacobian of the wrong shape is returned (at any call), a Jacobian
/// has a non-finite entry, or an option is negative or not finite.
pub fn levenberg_marquardt<R, J>(
    residual: R,
    jacobian: J,
    x0: &[f64],
    opts: &LeastSquaresOptions,
) -> Result<LeastSquaresReport, SolverError>
where
    R: FnMut(&[f64]) -> Vec<f64>,
    J: FnMut(&[f64]) -> Matrix<f64>,
{
    const NAME: &str = "levenberg_marquardt";
    check_options(NAME, opts)?;
    let (mut problem, mut r) = LeastSquares::new(NAME, residual, jacobian, x0)?;
    let n = x0.len();
    let mut x = x0.to_vec();
    let mut jac = problem.jacobian(&x)?;
    let mut a = gram(&jac);
    let mut g = matvec_t(&jac, &r);
    let mut cost = 0.5 * dot(&r, &r);
    let max_diag = (0..n).map(|i| a[(i, i)]).fold(0.0, f64::max);
    let mut mu = opts.initial_damping * max_diag.max(f64::MIN_POSITIVE);
    let mut nu = 2.0;
    let (mut iterations, mut trials) = (0, 0);
    let mut history = vec![norm(&r)];
    let termination = loop {
        if norm_inf(&g) <= opts.gtol {
            break Termination::GradientTolerance;
        }
        if iterations >= opts.max_iter || trials >= 10 * opts.max_iter.max(1) {
            break Termination::MaxIterations;
        }
        trials += 1;
        let damped = Matrix::from_fn(n, n, |i, j| if i == j { a[(i, j)] + mu } else { a[(i, j)] });
        let h = match cholesky(&damped) {
            Ok(l) => cholesky_solve(&l, &g.iter().map(|v| -v).collect::<Vec<_>>()),
            Err(_) => {
                mu *= nu;
                nu *= 2.0;
                continue;
            }
        };
        if norm(&h) <= opts.xtol * (norm(&x) + opts.xtol) {
            break Termination::StepTolerance;
        }
        let x_new: Vec<f64> = x.iter().zip(&h).map(|(a, b)| a + b).collect();
        let r_new = problem.residual(&x_new)?;
        let cost_new = 0.5 * dot(&r_new, &r_new);
        // L(0) − L(h) = −hᵀg − ½hᵀJᵀJh = ½hᵀ(μh − g) since (JᵀJ + μI)h = −g.
        let predicted = 0.5 * h.iter().zip(&g).map(|(hi, gi)| hi * (mu * hi - gi)).sum::<f64>();
        let rho = if cost_new.is_finite() && predicted > 0.0 { (cost - cost_new) / predicted } else { -1.0 };
        if rho > 0.0 {
            x = x_new;
            r = r_new;
            cost = cost_new;
            jac = problem.jacobian(&x)?;
            a = gram(&jac);
            g = matvec_t(&jac, &r);
            mu *= (1.0f64 / 3.0).max(1.0 - (2.0 * rho - 1.0).powi(3));
            nu = 2.0;
            iterations += 1;
            history.push(norm(&r));
        } else {
            mu *= nu;
            nu *= 2.0;
            if !mu.is_finite() {
                break Termination::NoProgress;
            }
        }
    };
    Ok(LeastSquaresReport {
        x,
        residual_norm: norm(&r),
        grad_norm: norm_inf(&g),
        iterations,
        residual_evals: problem.residual_evals,
        jacobian_evals: problem.jacobian_evals,
        history,
        damping: mu,
        termination,
    })
}

/// Gauss-Newton for `min ½‖r(x)‖²`: the step solves the normal equations
/// `JᵀJ h = −Jᵀr` (Cholesky), followed by a backtracking line search (halving,
/// Armijo constant 1e-4) so every step decreases the cost.
///
/// No damping: fastest near a zero-residual solution with a well-conditioned
/// Jacobian, and it stops with [`Termination::NoProgress`] where `JᵀJ` is
/// singular (rank-deficient Jacobian) — [`levenberg_marquardt`] handles that.
///
/// # Errors
/// As [`levenberg_marquardt`], naming `gauss_newton`.
pub fn gauss_newton<R, J>(
    residual: R,
    jacobian: J,
    x0: &[f64],
    opts: &LeastSquaresOptions,
) -> Result<LeastSquaresReport, SolverError>
where
    R: FnMut(&[f64]) -> Vec<f64>,
    J: FnMut(&[f64]) -> Matrix<f64>,
{
    const NAME: &str = "gauss_newton";
    check_options(NAME, opts)?;
    let (mut problem, mut r) = LeastSquares::new(NAME, residual, jacobian, x0)?;
    let mut x = x0.to_vec();
    let mut jac = problem.jacobian(&x)?;
    let mut g = matvec_t(&jac, &r);
    let mut cost = 0.5 * dot(&r, &r);
    let mut iterations = 0;
    let mut history = vec![norm(&r)];
    let termination = 'outer: loop {
        if norm_inf(&g) <= opts.gtol {
            break Termination::GradientTolerance;
        }
        if iterations >= opts.max_iter {
            break Termination::MaxIterations;
        }
        let Ok(l) = cholesky(&gram(&jac)) else {
            break Termination::NoProgress;
        };
        let h = cholesky_solve(&l, &g.iter().map(|v| -v).collect::<Vec<_>>());
        if norm(&h) <= opts.xtol * (norm(&x) + opts.xtol) {
            break Termination::StepTolerance;
        }
        let slope = dot(&g, &h);
        let mut t = 1.0;
        loop {
            let x_new: Vec<f64> = x.iter().zip(&h).map(|(a, b)| a + t * b).collect();
            let r_new = problem.residual(&x_new)?;
            let cost_new = 0.5 * dot(&r_new, &r_new);
            if cost_new.is_finite() && cost_new <= cost + 1e-4 * t * slope {
                x = x_new;
                r = r_new;
                cost = cost_new;
                break;
            }
            t *= 0.5;
            if t < 1e-10 {
                break 'outer Termination::NoProgress;
            }
        }
        jac = problem.jacobian(&x)?;
        g = matvec_t(&jac, &r);
        iterations += 1;
        history.push(norm(&r));
    };
    Ok(LeastSquaresReport {
        x,
        residual_norm: norm(&r),
        grad_norm: norm_inf(&g),
        iterations,
        residual_evals: problem.residual_evals,
        jacobian_evals: problem.jacobian_evals,
        history,
        damping: 0.0,
        termination,
    })
}
