//! Small dense linear algebra in `f64`: vector helpers, Cholesky, a cyclic Jacobi
//! symmetric eigen-decomposition.
//!
//! Why our own: the second-order methods need to solve damped Newton systems
//! (Cholesky, whose *failure* is the signal to increase damping), and the PCA check
//! needs eigenvectors computed by a method unrelated to the optimizer under test.
//! Sizes here are tens to hundreds, so simple `O(n³)` algorithms are the right tool
//! and keep the crate free of a LAPACK dependency.

use wengert_ops::Matrix;

/// `Σ aᵢbᵢ`.
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "dot: lengths {} and {} differ", a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Euclidean norm `‖a‖₂`.
pub fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

/// Max norm `‖a‖_∞`.
pub fn norm_inf(a: &[f64]) -> f64 {
    a.iter().fold(0.0, |m, x| m.max(x.abs()))
}

/// `y ← y + αx`.
pub fn axpy(alpha: f64, x: &[f64], y: &mut [f64]) {
    assert_eq!(x.len(), y.len(), "axpy: lengths {} and {} differ", x.len(), y.len());
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += alpha * xi;
    }
}

/// `A x` for a row-major `A`.
pub fn matvec(a: &Matrix<f64>, x: &[f64]) -> Vec<f64> {
    assert_eq!(a.cols(), x.len(), "matvec: {} columns but x has {} entries", a.cols(), x.len());
    a.row_iter().map(|r| dot(r, x)).collect()
}

/// `Aᵀ x` for a row-major `A`.
pub fn matvec_t(a: &Matrix<f64>, x: &[f64]) -> Vec<f64> {
    assert_eq!(a.rows(), x.len(), "matvec_t: {} rows but x has {} entries", a.rows(), x.len());
    let mut out = vec![0.0; a.cols()];
    for (r, &xi) in a.row_iter().zip(x) {
        axpy(xi, r, &mut out);
    }
    out
}

/// The factorization failed: the matrix is not (numerically) positive definite.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NotPositiveDefinite {
    /// The pivot index where a non-positive diagonal appeared.
    pub pivot: usize,
}

impl std::fmt::Display for NotPositiveDefinite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "matrix is not positive definite (pivot {})", self.pivot)
    }
}

impl std::error::Error for NotPositiveDefinite {}

/// Cholesky factor `L` (lower triangular, `A = L Lᵀ`) of a symmetric positive
/// definite matrix. Only the lower triangle of `a` is read.
pub fn cholesky(a: &Matrix<f64>) -> Result<Matrix<f64>, NotPositiveDefinite> {
    let n = a.rows();
    assert_eq!(a.cols(), n, "cholesky: matrix must be square");
    let mut l = vec![0.0; n * n];
    for j in 0..n {
        let mut d = a[(j, j)];
        for k in 0..j {
            d -= l[j * n + k] * l[j * n + k];
        }
        if d.is_nan() || d <= 0.0 {
            return Err(NotPositiveDefinite { pivot: j });
        }
        let djj = d.sqrt();
        l[j * n + j] = djj;
        for i in j + 1..n {
            let mut s = a[(i, j)];
            for k in 0..j {
                s -= l[i * n + k] * l[j * n + k];
            }
            l[i * n + j] = s / djj;
        }
    }
    Ok(Matrix::from_vec(n, n, l))
}

/// Solves `L Lᵀ x = b` given the Cholesky factor `L`.
pub fn cholesky_solve(l: &Matrix<f64>, b: &[f64]) -> Vec<f64> {
    let n = l.rows();
    assert_eq!(b.len(), n, "cholesky_solve: size mismatch");
    let mut y = b.to_vec();
    for i in 0..n {
        for k in 0..i {
            y[i] -= l[(i, k)] * y[k];
        }
        y[i] /= l[(i, i)];
    }
    for i in (0..n).rev() {
        for k in i + 1..n {
            y[i] -= l[(k, i)] * y[k];
        }
        y[i] /= l[(i, i)];
    }
    y
}

/// Solves `A x = b` for symmetric positive definite `A`.
pub fn solve_spd(a: &Matrix<f64>, b: &[f64]) -> Result<Vec<f64>, NotPositiveDefinite> {
    Ok(cholesky_solve(&cholesky(a)?, b))
}

/// Eigen-decomposition `A = V Λ Vᵀ` of a symmetric matrix.
#[derive(Clone, Debug)]
pub struct SymmetricEigen {
    /// Eigenvalues in descending order.
    pub values: Vec<f64>,
    /// Orthonormal eigenvectors as columns, in the order of `values`.
    pub vectors: Matrix<f64>,
    /// Number of Jacobi sweeps used.
    pub sweeps: usize,
}

impl SymmetricEigen {
    /// Column `k` of `vectors`: the eigenvector for `values[k]`.
    pub fn vector(&self, k: usize) -> Vec<f64> {
        (0..self.vectors.rows()).map(|i| self.vectors[(i, k)]).collect()
    }
}

/// Cyclic Jacobi eigen-decomposition of a symmetric matrix.
///
/// Sweeps over all off-diagonal pairs `(p, q)` in row order, zeroing each with a
/// plane rotation (Rutishauser's stable formulas), until the off-diagonal
/// Frobenius norm falls below `1e-14 · ‖A‖_F` (or 100 sweeps). Convergence is
/// quadratic once the off-diagonal part is small; each sweep costs `O(n³)`.
/// Eigenvalues are returned sorted in descending order with their vectors.
///
/// # Panics
/// If `a` is not square or not symmetric to `1e-10` relative.
pub fn symmetric_eigen(a: &Matrix<f64>) -> SymmetricEigen {
    let n = a.rows();
    assert_eq!(a.cols(), n, "symmetric_eigen: matrix must be square");
    let scale = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    for i in 0..n {
        for j in 0..i {
            assert!(
                (a[(i, j)] - a[(j, i)]).abs() <= 1e-10 * scale.max(1.0),
                "symmetric_eigen: matrix is not symmetric at ({i}, {j})"
            );
        }
    }
    let mut m: Vec<f64> = a.as_slice().to_vec();
    let mut v = vec![0.0; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    let off = |m: &[f64]| -> f64 {
        let mut s = 0.0;
        for i in 0..n {
            for j in 0..n {
                if i != j {
                    s += m[i * n + j] * m[i * n + j];
                }
            }
        }
        s.sqrt()
    };
    let mut sweeps = 0;
    while sweeps < 100 && off(&m) > 1e-14 * scale {
        sweeps += 1;
        for p in 0..n {
            for q in p + 1..n {
                let apq = m[p * n + q];
                if apq == 0.0 {
                    continue;
                }
                let (app, aqq) = (m[p * n + p], m[q * n + q]);
                // θ = (a_qq − a_pp) / (2 a_pq); t = sign(θ)/(|θ| + √(θ² + 1)) is the
                // smaller root of t² + 2θt − 1 = 0, which keeps the rotation angle ≤ π/4.
                let theta = (aqq - app) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let cs = 1.0 / (t * t + 1.0).sqrt();
                let sn = t * cs;
                // A ← Jᵀ A J with J the rotation in the (p, q) plane.
                for k in 0..n {
                    let (akp, akq) = (m[k * n + p], m[k * n + q]);
                    m[k * n + p] = cs * akp - sn * akq;
                    m[k * n + q] = sn * akp + cs * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (m[p * n + k], m[q * n + k]);
                    m[p * n + k] = cs * apk - sn * aqk;
                    m[q * n + k] = sn * apk + cs * aqk;
                }
                m[p * n + q] = 0.0;
                m[q * n + p] = 0.0;
                for k in 0..n {
                    let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
                    v[k * n + p] = cs * vkp - sn * vkq;
                    v[k * n + q] = sn * vkp + cs * vkq;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| m[j * n + j].total_cmp(&m[i * n + i]));
    let values = order.iter().map(|&i| m[i * n + i]).collect();
    let vectors = Matrix::from_fn(n, n, |i, k| v[i * n + order[k]]);
    SymmetricEigen { values, vectors, sweeps }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn random_symmetric(n: usize, seed: u64) -> Matrix<f64> {
        let mut rng = StdRng::seed_from_u64(seed);
        let b = Matrix::<f64>::random_normal(n, n, 0.0, 1.0, &mut rng);
        Matrix::from_fn(n, n, |i, j| b[(i, j)] + b[(j, i)])
    }

    #[test]
    fn jacobi_reconstructs_a_with_orthonormal_sorted_eigenvectors() {
        for (n, seed) in [(1, 1), (2, 2), (5, 3), (12, 4), (30, 5)] {
            let a = random_symmetric(n, seed);
            let e = symmetric_eigen(&a);
            let v = &e.vectors;
            let vtv = v.transpose().matmul(v);
            assert!(vtv.max_abs_diff(&Matrix::identity(n)) < 1e-12, "VᵀV ≠ I for n = {n}");
            let lam = Matrix::from_fn(n, n, |i, j| if i == j { e.values[i] } else { 0.0 });
            let rec = v.matmul(&lam).matmul(&v.transpose());
            assert!(rec.max_abs_diff(&a) < 1e-11, "VΛVᵀ ≠ A for n = {n}: {}", rec.max_abs_diff(&a));
            assert!(e.values.windows(2).all(|w| w[0] >= w[1]), "eigenvalues not descending");
            // Each column really is an eigenvector.
            for k in 0..n {
                let x = e.vector(k);
                let ax = matvec(&a, &x);
                let r: f64 = ax.iter().zip(&x).map(|(p, q)| (p - e.values[k] * q).abs()).fold(0.0, f64::max);
                assert!(r < 1e-11);
            }
            assert!(e.sweeps < 15, "Jacobi took {} sweeps", e.sweeps);
        }
    }

    #[test]
    fn jacobi_matches_known_eigenvalues() {
        // Tridiagonal (2, −1): eigenvalues 2 − 2cos(kπ/(n+1)).
        let n = 8;
        let a = Matrix::from_fn(n, n, |i, j| match i.abs_diff(j) {
            0 => 2.0,
            1 => -1.0,
            _ => 0.0,
        });
        let e = symmetric_eigen(&a);
        let mut expect: Vec<f64> =
            (1..=n).map(|k| 2.0 - 2.0 * (k as f64 * std::f64::consts::PI / (n as f64 + 1.0)).cos()).collect();
        expect.sort_by(|a, b| b.total_cmp(a));
        for (x, y) in e.values.iter().zip(&expect) {
            assert!((x - y).abs() < 1e-13);
        }
    }

    #[test]
    fn cholesky_solves_and_detects_indefinite() {
        let a = Matrix::from_rows(&[[4.0, 2.0, 0.6], [2.0, 5.0, 1.0], [0.6, 1.0, 3.0]]);
        let x = solve_spd(&a, &[1.0, 2.0, 3.0]).unwrap();
        let ax = matvec(&a, &x);
        for (p, q) in ax.iter().zip([1.0, 2.0, 3.0]) {
            assert!((p - q).abs() < 1e-14);
        }
        let l = cholesky(&a).unwrap();
        assert!(l.matmul(&l.transpose()).max_abs_diff(&a) < 1e-14);
        let indef = Matrix::from_rows(&[[1.0, 2.0], [2.0, 1.0]]);
        assert_eq!(cholesky(&indef), Err(NotPositiveDefinite { pivot: 1 }));
    }
}
