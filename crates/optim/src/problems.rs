//! Test problems with hand-written derivatives and known answers.
//!
//! Why hand-written: these problems check the optimizers (and, later, the tape):
//! their gradients and Hessians must not come from the code under test. Each has
//! a closed-form answer or a known minimizer, so tests can assert the *theory*
//! (rates, exact one-step convergence, matching a normal equation) rather than
//! "the loss went down". The synthetic data sets are generated from a seeded
//! [`StdRng`], so every run sees the same numbers.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use wengert_ops::{Matrix, Real};
use wengert_tape::Objective;

use crate::linalg::{dot, matvec, matvec_t, solve_spd, symmetric_eigen};
use crate::params::{Grads, Params};

// ---------------------------------------------------------------------------------
// Quadratics
// ---------------------------------------------------------------------------------

/// `f(x) = ½ xᵀAx − bᵀx` with `A` symmetric positive definite; `∇f = Ax − b`,
/// `∇²f = A`, unique minimizer `x* = A⁻¹b`.
#[derive(Clone, Debug)]
pub struct Quadratic {
    /// The Hessian A.
    pub a: Matrix<f64>,
    /// The linear term b.
    pub b: Vec<f64>,
    eigenvalues: Vec<f64>,
}

impl Quadratic {
    /// From `A` (symmetric positive definite) and `b`.
    ///
    /// # Panics
    /// If `A` is not symmetric positive definite or sizes differ.
    pub fn new(a: Matrix<f64>, b: Vec<f64>) -> Self {
        assert_eq!(a.rows(), b.len(), "Quadratic::new: A is {}×{}, b has {}", a.rows(), a.cols(), b.len());
        let eigenvalues = symmetric_eigen(&a).values;
        assert!(eigenvalues.last().is_some_and(|&l| l > 0.0), "Quadratic::new: A is not positive definite");
        Quadratic { a, b, eigenvalues }
    }

    /// A random rotation of `diag(λ₁…λₙ)` with the eigenvalues spread evenly over
    /// `[1, κ]` (so μ = 1, L = κ), and `b` standard normal. Seeded.
    pub fn anisotropic(n: usize, kappa: f64, seed: u64) -> Self {
        assert!(n >= 2 && kappa >= 1.0, "Quadratic::anisotropic: need n ≥ 2 and κ ≥ 1");
        let mut rng = StdRng::seed_from_u64(seed);
        let lam: Vec<f64> = (0..n).map(|i| 1.0 + (kappa - 1.0) * i as f64 / (n - 1) as f64).collect();
        let q = random_orthogonal(n, &mut rng);
        let a = Matrix::from_fn(n, n, |i, j| (0..n).map(|k| q[(i, k)] * lam[k] * q[(j, k)]).sum::<f64>());
        // Symmetrize exactly (the sum above is symmetric up to rounding order).
        let a = Matrix::from_fn(n, n, |i, j| 0.5 * (a[(i, j)] + a[(j, i)]));
        let b = Matrix::<f64>::random_normal(1, n, 0.0, 1.0, &mut rng).into_vec();
        Quadratic::new(a, b)
    }

    /// Dimension n.
    pub fn dim(&self) -> usize {
        self.b.len()
    }
    /// `f(x)`.
    pub fn value(&self, x: &[f64]) -> f64 {
        0.5 * dot(x, &matvec(&self.a, x)) - dot(&self.b, x)
    }
    /// `∇f(x) = Ax − b`.
    pub fn gradient(&self, x: &[f64]) -> Vec<f64> {
        matvec(&self.a, x).iter().zip(&self.b).map(|(ax, b)| ax - b).collect()
    }
    /// `(f(x), ∇f(x))`.
    pub fn value_grad(&self, x: &[f64]) -> (f64, Vec<f64>) {
        let ax = matvec(&self.a, x);
        (0.5 * dot(x, &ax) - dot(&self.b, x), ax.iter().zip(&self.b).map(|(p, q)| p - q).collect())
    }
    /// `∇²f = A`.
    pub fn hessian(&self) -> Matrix<f64> {
        self.a.clone()
    }
    /// `A v`.
    pub fn hvp(&self, v: &[f64]) -> Vec<f64> {
        matvec(&self.a, v)
    }
    /// `x* = A⁻¹b`.
    pub fn minimizer(&self) -> Vec<f64> {
        solve_spd(&self.a, &self.b).expect("A is positive definite")
    }
    /// `f(x*) = −½ bᵀA⁻¹b`.
    pub fn min_value(&self) -> f64 {
        -0.5 * dot(&self.b, &self.minimizer())
    }
    /// Eigenvalues of A, descending.
    pub fn eigenvalues(&self) -> &[f64] {
        &self.eigenvalues
    }
    /// L = λ_max(A), the gradient's Lipschitz constant.
    pub fn lipschitz(&self) -> f64 {
        self.eigenvalues[0]
    }
    /// μ = λ_min(A), the strong-convexity constant.
    pub fn strong_convexity(&self) -> f64 {
        *self.eigenvalues.last().expect("non-empty")
    }
    /// κ = L/μ.
    pub fn condition_number(&self) -> f64 {
        self.lipschitz() / self.strong_convexity()
    }
    /// The A-norm `‖v‖_A = √(vᵀAv)`.
    pub fn a_norm(&self, v: &[f64]) -> f64 {
        dot(v, &matvec(&self.a, v)).sqrt()
    }
}

/// `½xᵀAx − bᵀx` written with scalar ops, so the tape differentiates it (twice,
/// for Newton and curvature analysis). The inherent methods
/// ([`Quadratic::gradient`], [`Quadratic::hessian`], …) are the analytic
/// formulas; call the trait's (`Objective::hessian(&q, x)`) for the tape's.
impl Objective for Quadratic {
    fn eval<T: Real>(&self, x: &[T]) -> T {
        let mut acc = T::zero();
        for i in 0..x.len() {
            for j in 0..x.len() {
                acc += x[i] * x[j] * (0.5 * self.a[(i, j)]);
            }
            acc -= x[i] * self.b[i];
        }
        acc
    }
}

/// A random orthogonal matrix: the eigenvectors of a random symmetric matrix.
fn random_orthogonal(n: usize, rng: &mut StdRng) -> Matrix<f64> {
    let g = Matrix::<f64>::random_normal(n, n, 0.0, 1.0, rng);
    symmetric_eigen(&Matrix::from_fn(n, n, |i, j| g[(i, j)] + g[(j, i)])).vectors
}

// ---------------------------------------------------------------------------------
// Rosenbrock
// ---------------------------------------------------------------------------------

/// The chained n-D Rosenbrock function
/// `f(x) = Σ_{i<n−1} [100 (x_{i+1} − xᵢ²)² + (1 − xᵢ)²]`, minimum 0 at `(1, …, 1)`.
/// For n = 2 it is the classic banana `100(y − x²)² + (1 − x)²`.
///
/// Generic over the scalar type, so one definition serves plain evaluation,
/// forward mode (`Dual`) and reverse mode (`Var`), and the benches and examples
/// that compare them measure the same function:
///
/// ```
/// use wengert_optim::problems::rosenbrock;
/// assert_eq!(rosenbrock(&[1.0, 1.0, 1.0]), 0.0);
/// let g = wengert_tape::grad(|x| rosenbrock(x), &[-1.2f64, 1.0]);
/// assert!((g[0] - (-215.6)).abs() < 1e-12 && (g[1] - (-88.0)).abs() < 1e-12);
/// ```
#[inline]
pub fn rosenbrock<T: Real>(x: &[T]) -> T {
    let mut acc = T::zero();
    for w in x.windows(2) {
        let t = w[1] - w[0] * w[0];
        let u = w[0] - 1.0;
        acc += t * t * 100.0 + u * u;
    }
    acc
}

/// [`rosenbrock`] as an [`Objective`], for the methods that take one (Newton,
/// Newton-CG, curvature analysis).
#[derive(Clone, Copy, Debug, Default)]
pub struct Rosenbrock;

impl Objective for Rosenbrock {
    fn eval<T: Real>(&self, x: &[T]) -> T {
        rosenbrock(x)
    }
}

/// `∇f` of [`rosenbrock`].
pub fn rosenbrock_grad(x: &[f64]) -> Vec<f64> {
    let mut g = vec![0.0; x.len()];
    for i in 0..x.len().saturating_sub(1) {
        let t = x[i + 1] - x[i] * x[i];
        g[i] += -400.0 * x[i] * t - 2.0 * (1.0 - x[i]);
        g[i + 1] += 200.0 * t;
    }
    g
}

/// `(f, ∇f)` of [`rosenbrock`].
pub fn rosenbrock_value_grad(x: &[f64]) -> (f64, Vec<f64>) {
    (rosenbrock(x), rosenbrock_grad(x))
}

/// `∇²f` of [`rosenbrock`] (tridiagonal).
pub fn rosenbrock_hessian(x: &[f64]) -> Matrix<f64> {
    let n = x.len();
    let mut h = Matrix::zeros(n, n);
    for i in 0..n.saturating_sub(1) {
        h[(i, i)] += 1200.0 * x[i] * x[i] - 400.0 * x[i + 1] + 2.0;
        h[(i + 1, i + 1)] += 200.0;
        h[(i, i + 1)] -= 400.0 * x[i];
        h[(i + 1, i)] -= 400.0 * x[i];
    }
    h
}

/// `∇²f(x) v` of [`rosenbrock`] in `O(n)`, without forming the Hessian.
pub fn rosenbrock_hvp(x: &[f64], v: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; x.len()];
    for i in 0..x.len().saturating_sub(1) {
        let d = 1200.0 * x[i] * x[i] - 400.0 * x[i + 1] + 2.0;
        let o = -400.0 * x[i];
        out[i] += d * v[i] + o * v[i + 1];
        out[i + 1] += o * v[i] + 200.0 * v[i + 1];
    }
    out
}

// ---------------------------------------------------------------------------------
// Linear regression
// ---------------------------------------------------------------------------------

/// Least squares `L(θ) = ‖Xθ − y‖² / (2N)` (mean squared error over 2), with
/// `∇L = Xᵀ(Xθ − y)/N` and Hessian `XᵀX/N`.
#[derive(Clone, Debug)]
pub struct LinearRegression {
    /// Design matrix, `N × d`.
    pub x: Matrix<f64>,
    /// Targets, length N.
    pub y: Vec<f64>,
    /// The coefficients the data were generated from (empty if not synthetic).
    pub true_theta: Vec<f64>,
}

impl LinearRegression {
    /// `N` samples, `d` standard-normal features, `y = Xθ* + noise·ε` with θ* and ε
    /// standard normal. Seeded.
    pub fn synthetic(n: usize, d: usize, noise: f64, seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let x = Matrix::<f64>::random_normal(n, d, 0.0, 1.0, &mut rng);
        let true_theta = Matrix::<f64>::random_normal(1, d, 0.0, 1.0, &mut rng).into_vec();
        let eps = Matrix::<f64>::random_normal(1, n, 0.0, 1.0, &mut rng).into_vec();
        let y = matvec(&x, &true_theta).iter().zip(&eps).map(|(a, e)| a + noise * e).collect();
        LinearRegression { x, y, true_theta }
    }
    /// Number of samples N.
    pub fn len(&self) -> usize {
        self.y.len()
    }
    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }
    /// `L(θ)`.
    pub fn loss(&self, theta: &[f64]) -> f64 {
        self.loss_grad_rows(theta, 0..self.len()).0
    }
    /// `∇L(θ)`.
    pub fn gradient(&self, theta: &[f64]) -> Vec<f64> {
        self.loss_grad_rows(theta, 0..self.len()).1
    }
    /// Loss and gradient restricted to the samples `rows` (a micro-batch), as a
    /// mean over those rows: `‖X_B θ − y_B‖²/(2|B|)`, `X_Bᵀ(X_B θ − y_B)/|B|`.
    pub fn loss_grad_rows(&self, theta: &[f64], rows: std::ops::Range<usize>) -> (f64, Vec<f64>) {
        let nb = rows.len() as f64;
        let mut g = vec![0.0; theta.len()];
        let mut loss = 0.0;
        for i in rows {
            let xi = self.x.row(i);
            let r = dot(xi, theta) - self.y[i];
            loss += r * r;
            g.iter_mut().zip(xi).for_each(|(gj, xj)| *gj += r * xj);
        }
        g.iter_mut().for_each(|v| *v /= nb);
        (loss / (2.0 * nb), g)
    }
    /// `XᵀX / N`.
    pub fn hessian(&self) -> Matrix<f64> {
        let n = self.len() as f64;
        self.x.transpose().matmul(&self.x).map(|v| v / n)
    }
    /// The least-squares solution from the normal equations `XᵀX θ = Xᵀy`.
    pub fn normal_equation(&self) -> Vec<f64> {
        self.ridge(0.0)
    }
    /// The minimizer of `L(θ) + (λ/2)‖θ‖²`: `(XᵀX/N + λI) θ = Xᵀy/N`.
    pub fn ridge(&self, lambda: f64) -> Vec<f64> {
        let n = self.len() as f64;
        let mut h = self.hessian();
        for i in 0..h.rows() {
            h[(i, i)] += lambda;
        }
        let rhs: Vec<f64> = matvec_t(&self.x, &self.y).iter().map(|v| v / n).collect();
        solve_spd(&h, &rhs).expect("XᵀX/N + λI must be positive definite")
    }
}

// ---------------------------------------------------------------------------------
// Logistic regression
// ---------------------------------------------------------------------------------

/// L2-regularized logistic regression with labels in {0, 1}:
/// `L(θ) = (1/N) Σ [softplus(xᵢθ) − yᵢ xᵢθ] + (λ/2)‖θ‖²`,
/// `∇L = Xᵀ(p − y)/N + λθ` with `p = σ(Xθ)`, `∇²L = XᵀDX/N + λI`, `D = diag(p(1 − p))`.
#[derive(Clone, Debug)]
pub struct LogisticRegression {
    /// Features, `N × d`.
    pub x: Matrix<f64>,
    /// Labels in {0, 1}.
    pub y: Vec<f64>,
    /// Regularization strength λ.
    pub lambda: f64,
}

fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

fn softplus(z: f64) -> f64 {
    z.max(0.0) + (-z.abs()).exp().ln_1p()
}

impl LogisticRegression {
    /// `N` samples with standard-normal features and labels drawn from
    /// `Bernoulli(σ(xθ*))` with θ* standard normal scaled by 2. Seeded.
    pub fn synthetic(n: usize, d: usize, lambda: f64, seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let x = Matrix::<f64>::random_normal(n, d, 0.0, 1.0, &mut rng);
        let theta = Matrix::<f64>::random_normal(1, d, 0.0, 2.0, &mut rng).into_vec();
        let y = (0..n).map(|i| if rng.random::<f64>() < sigmoid(dot(x.row(i), &theta)) { 1.0 } else { 0.0 }).collect();
        LogisticRegression { x, y, lambda }
    }
    /// `(L(θ), ∇L(θ))`.
    pub fn value_grad(&self, theta: &[f64]) -> (f64, Vec<f64>) {
        let n = self.y.len() as f64;
        let z = matvec(&self.x, theta);
        let loss = z.iter().zip(&self.y).map(|(&zi, &yi)| softplus(zi) - yi * zi).sum::<f64>() / n;
        let r: Vec<f64> = z.iter().zip(&self.y).map(|(&zi, &yi)| (sigmoid(zi) - yi) / n).collect();
        let mut g = matvec_t(&self.x, &r);
        g.iter_mut().zip(theta).for_each(|(gi, ti)| *gi += self.lambda * ti);
        (loss + 0.5 * self.lambda * dot(theta, theta), g)
    }
    /// `∇²L(θ) v = Xᵀ D X v / N + λv`.
    pub fn hvp(&self, theta: &[f64], v: &[f64]) -> Vec<f64> {
        let n = self.y.len() as f64;
        let z = matvec(&self.x, theta);
        let xv = matvec(&self.x, v);
        let w: Vec<f64> = z.iter().zip(&xv).map(|(&zi, &xvi)| sigmoid(zi) * (1.0 - sigmoid(zi)) * xvi / n).collect();
        let mut out = matvec_t(&self.x, &w);
        out.iter_mut().zip(v).for_each(|(o, vi)| *o += self.lambda * vi);
        out
    }
    /// `∇²L(θ) = XᵀDX/N + λI`.
    pub fn hessian(&self, theta: &[f64]) -> Matrix<f64> {
        let n = self.y.len() as f64;
        let d = theta.len();
        let z = matvec(&self.x, theta);
        let mut h = Matrix::from_fn(d, d, |j, k| {
            (0..self.y.len())
                .map(|i| {
                    let p = sigmoid(z[i]);
                    p * (1.0 - p) * self.x[(i, j)] * self.x[(i, k)]
                })
                .sum::<f64>()
                / n
        });
        for j in 0..d {
            h[(j, j)] += self.lambda;
        }
        h
    }
    /// Fraction of samples where `σ(xθ) > ½` agrees with the label.
    pub fn accuracy(&self, theta: &[f64]) -> f64 {
        let z = matvec(&self.x, theta);
        z.iter().zip(&self.y).filter(|(&zi, &yi)| (zi > 0.0) == (yi > 0.5)).count() as f64 / self.y.len() as f64
    }
}

// ---------------------------------------------------------------------------------
// Matrix factorization
// ---------------------------------------------------------------------------------

/// One observed rating `(user, item, value)`.
pub type Rating = (usize, usize, f64);

/// Low-rank matrix completion: predict `R ≈ U Vᵀ` from a few observed entries.
///
/// Parameters (in a [`Params`]): `"users"` (`users × rank`) and `"items"`
/// (`items × rank`). Training loss over the observed training entries Ω:
/// `L = (1/|Ω|) Σ_Ω ½ (uᵢ·vⱼ − rᵢⱼ)² + (λ/2)(‖U‖²_F + ‖V‖²_F)`.
#[derive(Clone, Debug)]
pub struct MatrixFactorization {
    /// Number of users (rows of R).
    pub users: usize,
    /// Number of items (columns of R).
    pub items: usize,
    /// Rank of the model.
    pub rank: usize,
    /// Training entries.
    pub train: Vec<Rating>,
    /// Held-out entries.
    pub test: Vec<Rating>,
    /// L2 regularization λ.
    pub lambda: f64,
}

impl MatrixFactorization {
    /// The standard synthetic instance: 500 users × 200 items, true rank 5
    /// (factor entries standard normal), 10 % of entries observed, Gaussian noise
    /// of standard deviation 0.5, 10 % of the observed entries held out,
    /// λ = 1e-4, seed 42.
    pub fn standard() -> Self {
        Self::synthetic(500, 200, 5, 0.1, 0.5, 0.1, 42)
    }

    /// A synthetic instance: true factors `U*`, `V*` with standard-normal entries,
    /// each entry observed with probability `observed`, observed value
    /// `u*ᵢ·v*ⱼ + noise·ε`, and each observed entry held out with probability
    /// `test_fraction`. The model rank equals the true rank. Seeded.
    pub fn synthetic(
        users: usize,
        items: usize,
        rank: usize,
        observed: f64,
        noise: f64,
        test_fraction: f64,
        seed: u64,
    ) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let u = Matrix::<f64>::random_normal(users, rank, 0.0, 1.0, &mut rng);
        let v = Matrix::<f64>::random_normal(items, rank, 0.0, 1.0, &mut rng);
        let eps = Matrix::<f64>::random_normal(users, items, 0.0, 1.0, &mut rng);
        let (mut train, mut test) = (Vec::new(), Vec::new());
        for i in 0..users {
            for j in 0..items {
                if rng.random::<f64>() < observed {
                    let r = dot(u.row(i), v.row(j)) + noise * eps[(i, j)];
                    if rng.random::<f64>() < test_fraction {
                        test.push((i, j, r));
                    } else {
                        train.push((i, j, r));
                    }
                }
            }
        }
        MatrixFactorization { users, items, rank, train, test, lambda: 1e-4 }
    }

    /// Random initial factors with entries `N(0, scale²)`. Seeded.
    pub fn init_params(&self, scale: f64, seed: u64) -> Params<f64> {
        let mut rng = StdRng::seed_from_u64(seed);
        Params::new()
            .with("users", Matrix::random_normal(self.users, self.rank, 0.0, scale, &mut rng))
            .with("items", Matrix::random_normal(self.items, self.rank, 0.0, scale, &mut rng))
    }

    /// Training loss and its gradient with respect to `"users"` and `"items"`.
    pub fn loss_grad(&self, params: &Params<f64>) -> (f64, Grads<f64>) {
        let (u, v) = self.factors(params);
        let mut gu = u.map(|&x| self.lambda * x);
        let mut gv = v.map(|&x| self.lambda * x);
        let n = self.train.len() as f64;
        let mut loss = 0.0;
        {
            let (gus, gvs) = (gu.as_mut_slice(), gv.as_mut_slice());
            let k = self.rank;
            for &(i, j, r) in &self.train {
                let (ui, vj) = (u.row(i), v.row(j));
                let e = dot(ui, vj) - r;
                loss += 0.5 * e * e;
                for t in 0..k {
                    gus[i * k + t] += e * vj[t] / n;
                    gvs[j * k + t] += e * ui[t] / n;
                }
            }
        }
        let reg = 0.5 * self.lambda * (u.iter().map(|x| x * x).sum::<f64>() + v.iter().map(|x| x * x).sum::<f64>());
        (loss / n + reg, Params::new().with("users", gu).with("items", gv))
    }

    /// Root-mean-square error of the model on the held-out entries.
    pub fn test_rmse(&self, params: &Params<f64>) -> f64 {
        let (u, v) = self.factors(params);
        let se: f64 = self.test.iter().map(|&(i, j, r)| (dot(u.row(i), v.row(j)) - r).powi(2)).sum();
        (se / self.test.len() as f64).sqrt()
    }

    /// RMSE on the held-out entries of predicting the mean training rating for all.
    pub fn baseline_rmse(&self) -> f64 {
        let mean = self.train.iter().map(|t| t.2).sum::<f64>() / self.train.len() as f64;
        (self.test.iter().map(|t| (t.2 - mean).powi(2)).sum::<f64>() / self.test.len() as f64).sqrt()
    }

    fn factors<'a>(&self, params: &'a Params<f64>) -> (&'a Matrix<f64>, &'a Matrix<f64>) {
        let u = params.get("users").expect("MatrixFactorization: missing parameter `users`");
        let v = params.get("items").expect("MatrixFactorization: missing parameter `items`");
        assert_eq!(u.shape(), (self.users, self.rank), "MatrixFactorization: `users` has the wrong shape");
        assert_eq!(v.shape(), (self.items, self.rank), "MatrixFactorization: `items` has the wrong shape");
        (u, v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fd_grad(f: impl Fn(&[f64]) -> f64, x: &[f64]) -> Vec<f64> {
        (0..x.len())
            .map(|i| {
                let h = 1e-6 * x[i].abs().max(1.0);
                let (mut xp, mut xm) = (x.to_vec(), x.to_vec());
                xp[i] += h;
                xm[i] -= h;
                (f(&xp) - f(&xm)) / (2.0 * h)
            })
            .collect()
    }

    fn close(a: &[f64], b: &[f64], tol: f64) -> bool {
        a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tol * (1.0 + y.abs()))
    }

    #[test]
    fn rosenbrock_derivatives_match_finite_differences() {
        let x = [-1.2, 1.0, 0.3, 2.0];
        assert!(close(&rosenbrock_grad(&x), &fd_grad(rosenbrock, &x), 1e-6));
        let h = rosenbrock_hessian(&x);
        for j in 0..4 {
            let col = fd_grad(|y| rosenbrock_grad(y)[j], &x);
            assert!(close(h.row(j), &col, 1e-6));
        }
        let v = [0.5, -1.0, 2.0, 0.25];
        assert!(close(&rosenbrock_hvp(&x, &v), &matvec(&h, &v), 1e-14));
        assert_eq!(rosenbrock(&[1.0; 4]), 0.0);
        assert!((rosenbrock(&[-1.2, 1.0]) - 24.2).abs() < 1e-12);
    }

    #[test]
    fn quadratic_has_the_requested_spectrum_and_minimizer() {
        let q = Quadratic::anisotropic(10, 100.0, 3);
        assert!((q.lipschitz() - 100.0).abs() < 1e-9 && (q.strong_convexity() - 1.0).abs() < 1e-9);
        let xs = q.minimizer();
        assert!(q.gradient(&xs).iter().all(|g| g.abs() < 1e-12));
        assert!((q.value(&xs) - q.min_value()).abs() < 1e-12);
        let x = vec![0.3; 10];
        assert!(close(&q.gradient(&x), &fd_grad(|y| q.value(y), &x), 1e-6));
    }

    #[test]
    fn logistic_gradient_and_hvp_match_finite_differences() {
        let lr = LogisticRegression::synthetic(60, 4, 0.1, 5);
        let th = [0.3, -0.2, 0.5, 1.0];
        let g = lr.value_grad(&th).1;
        assert!(close(&g, &fd_grad(|t| lr.value_grad(t).0, &th), 1e-6));
        let v = [1.0, 0.5, -0.5, 2.0];
        assert!(close(&lr.hvp(&th, &v), &matvec(&lr.hessian(&th), &v), 1e-12));
        let hv_fd = fd_grad(|t| dot(&lr.value_grad(t).1, &v), &th);
        assert!(close(&lr.hvp(&th, &v), &hv_fd, 1e-5));
    }

    #[test]
    fn linear_regression_closed_forms_zero_the_gradient() {
        let lr = LinearRegression::synthetic(50, 3, 0.1, 1);
        let th = lr.normal_equation();
        assert!(lr.gradient(&th).iter().all(|g| g.abs() < 1e-12));
        let lam = 0.5;
        let tr = lr.ridge(lam);
        let g = lr.gradient(&tr);
        assert!(g.iter().zip(&tr).all(|(gi, ti)| (gi + lam * ti).abs() < 1e-12));
        let t0 = [0.1, 0.2, 0.3];
        assert!(close(&lr.gradient(&t0), &fd_grad(|t| lr.loss(t), &t0), 1e-6));
    }

    #[test]
    fn matrix_factorization_instance_and_gradient() {
        let mf = MatrixFactorization::standard();
        let total = mf.train.len() + mf.test.len();
        assert!((9000..11000).contains(&total), "about 10 % of 100 000 entries observed: {total}");
        assert!((800..1200).contains(&mf.test.len()));
        // Gradient check on a small instance.
        let small = MatrixFactorization::synthetic(6, 5, 2, 0.6, 0.5, 0.2, 3);
        let p = small.init_params(0.5, 1);
        let (_, g) = small.loss_grad(&p);
        let flat = p.to_flat();
        let f = |x: &[f64]| {
            let mut q = p.clone();
            q.set_from_flat(x);
            small.loss_grad(&q).0
        };
        assert!(close(&g.to_flat(), &fd_grad(f, &flat), 1e-6));
    }
}
