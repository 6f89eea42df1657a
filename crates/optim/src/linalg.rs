//! Small dense linear algebra in `f64`: vector helpers, Cholesky, and two
//! symmetric eigen-decompositions.
//!
//! Why our own: the second-order methods need to solve damped Newton systems
//! (Cholesky, whose *failure* is the signal to increase damping), and the PCA check
//! needs eigenvectors computed by a method unrelated to the optimizer under test.
//! Sizes here are tens to hundreds, so simple `O(n³)` algorithms are the right tool
//! and keep the crate free of a LAPACK dependency.
//!
//! The eigen-decompositions:
//!
//! * [`symmetric_eigen`]: the dense default, by nalgebra (Householder + implicit
//!   QR), which `benches/eigen.rs` measured faster than a Householder + QL of
//!   our own (1.3× at 200 × 200, 1.9× at 50 × 50) and 15× faster than Jacobi at
//!   200.
//! * [`symmetric_eigen_jacobi`]: cyclic Jacobi, slower but simple and unrelated
//!   to the other solvers, kept as the independent reference the tests compare
//!   against.
//! * [`symmetric_tridiagonal_eigen`] and [`tridiagonal_eigen_row`]: the
//!   tridiagonal problem alone, which is what Lanczos
//!   ([`spectra`](crate::spectra)) reduces a large operator to; the second returns
//!   one component of each eigenvector (the first for quadrature weights, the last
//!   for residual bounds) in `O(k²)` instead of `O(k³)`.

use wengert_ops::Matrix;

/// `Σ aᵢbᵢ`, summed in four interleaved partial sums (so the compiler can keep
/// four additions in flight: the long dot products of Lanczos on a network's
/// parameters run at memory speed rather than at one add per latency).
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "dot: lengths {} and {} differ", a.len(), b.len());
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let tail: f64 = ca.remainder().iter().zip(cb.remainder()).map(|(x, y)| x * y).sum();
    let mut acc = [0.0f64; 4];
    for (x, y) in ca.zip(cb) {
        for k in 0..4 {
            acc[k] += x[k] * y[k];
        }
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
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

/// Solves `A x = b` for a square `A` by Gaussian elimination with partial
/// pivoting; `None` if `A` is singular to working precision (a pivot below
/// `n·ε·max|Aᵢⱼ|`).
///
/// ```
/// use wengert_ops::Matrix;
/// use wengert_optim::linalg::solve_dense;
/// // Symmetric but indefinite (a KKT matrix): Cholesky would refuse it.
/// let a = Matrix::from_rows(&[[2.0, 1.0], [1.0, 0.0]]);
/// assert_eq!(solve_dense(&a, &[3.0, 1.0]), Some(vec![1.0, 1.0]));
/// assert_eq!(solve_dense(&Matrix::from_rows(&[[1.0, 2.0], [2.0, 4.0]]), &[1.0, 1.0]), None);
/// ```
///
/// # Panics
/// If `a` is not square or `b` has the wrong length.
pub fn solve_dense(a: &Matrix<f64>, b: &[f64]) -> Option<Vec<f64>> {
    let n = a.rows();
    assert_eq!(a.cols(), n, "solve_dense: matrix must be square, got {}×{}", a.rows(), a.cols());
    assert_eq!(b.len(), n, "solve_dense: {n}×{n} matrix but b has {} entries", b.len());
    let mut m = a.as_slice().to_vec();
    let mut x = b.to_vec();
    let scale = m.iter().fold(0.0f64, |s, v| s.max(v.abs()));
    let tiny = n as f64 * f64::EPSILON * scale;
    for k in 0..n {
        let pivot = (k..n).max_by(|&i, &j| m[i * n + k].abs().total_cmp(&m[j * n + k].abs()))?;
        let size = m[pivot * n + k].abs();
        if size.is_nan() || size <= tiny {
            return None;
        }
        if pivot != k {
            for j in 0..n {
                m.swap(k * n + j, pivot * n + j);
            }
            x.swap(k, pivot);
        }
        for i in k + 1..n {
            let factor = m[i * n + k] / m[k * n + k];
            if factor != 0.0 {
                for j in k..n {
                    m[i * n + j] -= factor * m[k * n + j];
                }
                x[i] -= factor * x[k];
            }
        }
    }
    for k in (0..n).rev() {
        let s: f64 = (k + 1..n).map(|j| m[k * n + j] * x[j]).sum();
        x[k] = (x[k] - s) / m[k * n + k];
    }
    Some(x)
}

/// Eigen-decomposition `A = V Λ Vᵀ` of a symmetric matrix.
#[derive(Clone, Debug)]
pub struct SymmetricEigen {
    /// Eigenvalues in descending order.
    pub values: Vec<f64>,
    /// Orthonormal eigenvectors as columns, in the order of `values`.
    pub vectors: Matrix<f64>,
    /// Iterations used: sweeps for [`symmetric_eigen_jacobi`], QL iterations
    /// (summed over all eigenvalues) for [`symmetric_tridiagonal_eigen`]; 0 for
    /// [`symmetric_eigen`], whose solver does not report them.
    pub iterations: usize,
}

impl SymmetricEigen {
    /// Column `k` of `vectors`: the eigenvector for `values[k]`.
    pub fn vector(&self, k: usize) -> Vec<f64> {
        (0..self.vectors.rows()).map(|i| self.vectors[(i, k)]).collect()
    }
}

/// Cyclic Jacobi eigen-decomposition of a symmetric matrix (the independent
/// reference; [`symmetric_eigen`] is faster).
///
/// Sweeps over all off-diagonal pairs `(p, q)` in row order, zeroing each with a
/// plane rotation (Rutishauser's stable formulas), until the off-diagonal
/// Frobenius norm falls below `1e-14 · ‖A‖_F` (or 100 sweeps). Convergence is
/// quadratic once the off-diagonal part is small; each sweep costs `O(n³)`.
/// Eigenvalues are returned sorted in descending order with their vectors.
///
/// # Panics
/// If `a` is not square or not symmetric to `1e-10` relative.
pub fn symmetric_eigen_jacobi(a: &Matrix<f64>) -> SymmetricEigen {
    let n = a.rows();
    let scale = check_symmetric("symmetric_eigen_jacobi", a);
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
    SymmetricEigen { values, vectors, iterations: sweeps }
}

/// `‖A‖_F`, after checking that `a` is square and symmetric to `1e-10` relative.
fn check_symmetric(name: &str, a: &Matrix<f64>) -> f64 {
    let n = a.rows();
    assert_eq!(a.cols(), n, "{name}: matrix must be square, got {}×{}", a.rows(), a.cols());
    let scale = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    for i in 0..n {
        for j in 0..i {
            assert!(
                (a[(i, j)] - a[(j, i)]).abs() <= 1e-10 * scale.max(1.0),
                "{name}: matrix is not symmetric at ({i}, {j})"
            );
        }
    }
    scale
}

/// Eigen-decomposition of a symmetric matrix by nalgebra's `SymmetricEigen`
/// (Householder reduction to tridiagonal form, then implicit symmetric QR with
/// Wilkinson shifts). Eigenvalues descending, orthonormal eigenvectors as
/// columns.
///
/// Why a crate here and not our own: `benches/eigen.rs` measured nalgebra
/// against this crate's Householder + implicit QL (`tred2`/`tql2` style, with the
/// lower-triangle update and backward accumulation of Q): nalgebra took
/// 7.1 ms against 9.0 ms at 200 × 200 and 0.18 ms against 0.34 ms at 50 × 50
/// (same run), so the faster one is used. The crate keeps its own tridiagonal QL
/// ([`symmetric_tridiagonal_eigen`], [`tridiagonal_eigen_row`]), which Lanczos
/// needs in an `O(k²)` one-row form no dense solver offers, and cyclic Jacobi
/// ([`symmetric_eigen_jacobi`]) as an independent reference for tests.
///
/// ```
/// use wengert_optim::linalg::symmetric_eigen;
/// use wengert_ops::Matrix;
/// let e = symmetric_eigen(&Matrix::from_rows(&[[2.0, 1.0], [1.0, 2.0]]));
/// assert!((e.values[0] - 3.0).abs() < 1e-14 && (e.values[1] - 1.0).abs() < 1e-14);
/// let v = e.vector(0);
/// assert!((v[0].abs() - 0.5f64.sqrt()).abs() < 1e-14 && (v[0] - v[1]).abs() < 1e-14);
/// ```
///
/// # Panics
/// If `a` is not square, not symmetric to `1e-10` relative, or has a non-finite
/// entry.
pub fn symmetric_eigen(a: &Matrix<f64>) -> SymmetricEigen {
    let n = a.rows();
    check_symmetric("symmetric_eigen", a);
    assert!(a.iter().all(|x| x.is_finite()), "symmetric_eigen: matrix has a non-finite entry");
    if n == 0 {
        return SymmetricEigen { values: Vec::new(), vectors: Matrix::zeros(0, 0), iterations: 0 };
    }
    let e = nalgebra::SymmetricEigen::new(nalgebra::DMatrix::from_row_slice(n, n, a.as_slice()));
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| e.eigenvalues[j].total_cmp(&e.eigenvalues[i]));
    let values = order.iter().map(|&i| e.eigenvalues[i]).collect();
    let vectors = Matrix::from_fn(n, n, |i, k| e.eigenvectors[(i, order[k])]);
    SymmetricEigen { values, vectors, iterations: 0 }
}

/// Eigen-decomposition of the symmetric tridiagonal matrix with diagonal `diag`
/// (length k) and sub/super-diagonal `off` (length k − 1), by the implicit QL
/// iteration with Wilkinson shifts. Eigenvalues descending, orthonormal
/// eigenvectors as columns (`k × k`).
///
/// ```
/// use wengert_optim::linalg::symmetric_tridiagonal_eigen;
/// // The (2, −1) second-difference matrix: eigenvalues 2 − 2cos(jπ/(k+1)).
/// let e = symmetric_tridiagonal_eigen(&[2.0; 4], &[-1.0; 3]);
/// let expect = 2.0 - 2.0 * (4.0 * std::f64::consts::PI / 5.0).cos();
/// assert!((e.values[0] - expect).abs() < 1e-14);
/// ```
///
/// # Panics
/// If `off.len() + 1 != diag.len()` (for a non-empty `diag`) or an entry is not
/// finite.
pub fn symmetric_tridiagonal_eigen(diag: &[f64], off: &[f64]) -> SymmetricEigen {
    let k = check_tridiagonal("symmetric_tridiagonal_eigen", diag, off);
    let mut d = diag.to_vec();
    let mut e = off.to_vec();
    e.push(0.0);
    let mut rows = Matrix::<f64>::identity(k).into_vec();
    let iterations = implicit_ql(&mut d, &mut e, &mut rows, k)
        .unwrap_or_else(|| panic!("symmetric_tridiagonal_eigen: the QL iteration did not converge"));
    let (values, rows) = sort_descending(&d, &rows, k);
    let vectors = Matrix::from_fn(k, k, |i, j| rows[j * k + i]);
    SymmetricEigen { values, vectors, iterations }
}

/// Eigenvalues of a symmetric tridiagonal matrix (as in
/// [`symmetric_tridiagonal_eigen`]), descending, with component `row` of each
/// normalized eigenvector (signs arbitrary) — without forming the eigenvectors:
/// the QL rotations are applied to one row of the identity only, so this costs
/// `O(k²)`, not `O(k³)`.
///
/// Lanczos needs exactly this: the first components squared are the Gauss
/// quadrature weights of stochastic Lanczos quadrature, and the last components
/// times the next off-diagonal are the residual norms of the Ritz pairs.
///
/// ```
/// use wengert_optim::linalg::{symmetric_tridiagonal_eigen, tridiagonal_eigen_row};
/// let (d, e) = ([4.0, 1.0, -2.0, 0.5], [1.0, 0.3, 2.0]);
/// let full = symmetric_tridiagonal_eigen(&d, &e);
/// let (values, first) = tridiagonal_eigen_row(&d, &e, 0);
/// for j in 0..4 {
///     assert!((values[j] - full.values[j]).abs() < 1e-13);
///     assert!((first[j].abs() - full.vectors[(0, j)].abs()).abs() < 1e-13);
/// }
/// ```
///
/// # Panics
/// As [`symmetric_tridiagonal_eigen`], and if `row ≥ diag.len()`.
pub fn tridiagonal_eigen_row(diag: &[f64], off: &[f64], row: usize) -> (Vec<f64>, Vec<f64>) {
    let k = check_tridiagonal("tridiagonal_eigen_row", diag, off);
    assert!(row < k, "tridiagonal_eigen_row: row {row} of a {k}×{k} matrix");
    let mut d = diag.to_vec();
    let mut e = off.to_vec();
    e.push(0.0);
    // Width-1 "rows": entry i is component `row` of eigenvector i.
    let mut comp = vec![0.0; k];
    comp[row] = 1.0;
    implicit_ql(&mut d, &mut e, &mut comp, 1)
        .unwrap_or_else(|| panic!("tridiagonal_eigen_row: the QL iteration did not converge"));
    sort_descending(&d, &comp, 1)
}

/// Checks the shapes and finiteness of a tridiagonal matrix; returns its order.
fn check_tridiagonal(name: &str, diag: &[f64], off: &[f64]) -> usize {
    let k = diag.len();
    assert!(
        off.len() + 1 == k || (k == 0 && off.is_empty()),
        "{name}: a diagonal of {k} entries needs {} off-diagonal entries, got {}",
        k.saturating_sub(1),
        off.len()
    );
    assert!(diag.iter().chain(off).all(|x| x.is_finite()), "{name}: non-finite entry");
    k
}

/// Eigenvalues `d` sorted descending, with the rows of the `k × width` matrix
/// `rows` permuted alike.
fn sort_descending(d: &[f64], rows: &[f64], width: usize) -> (Vec<f64>, Vec<f64>) {
    let mut order: Vec<usize> = (0..d.len()).collect();
    order.sort_by(|&i, &j| d[j].total_cmp(&d[i]));
    let values = order.iter().map(|&i| d[i]).collect();
    let sorted = order.iter().flat_map(|&i| rows[i * width..(i + 1) * width].iter().copied()).collect();
    (values, sorted)
}

/// The implicit QL iteration with Wilkinson shifts on a symmetric tridiagonal
/// matrix: diagonal `d`, off-diagonal `e` (`e[i]` couples `i` and `i + 1`;
/// `e[k − 1]` is workspace). On return `d` holds the eigenvalues (unsorted).
///
/// Each plane rotation applied to the matrix is applied to rows `i`, `i + 1` of
/// `rows` (`k × width`, row-major), so starting from the identity the rows end as
/// the eigenvectors, and starting from one row of the identity (`width = 1`) they
/// end as one component of each eigenvector.
///
/// For each `l` the iteration deflates once `|e[l]| ≤ ε·max_j(|d_j| + |e_j|)`:
/// find the first negligible `e[m]` at or after `l`, shift by the eigenvalue of
/// the leading 2 × 2 block closer to `d[l]`, and chase the bulge from `m` back to
/// `l` with Givens rotations. Returns the total number of iterations, or `None`
/// after 60 iterations on one eigenvalue (which happens only for non-finite input).
fn implicit_ql(d: &mut [f64], e: &mut [f64], rows: &mut [f64], width: usize) -> Option<usize> {
    let k = d.len();
    if k == 0 {
        return Some(0);
    }
    e[k - 1] = 0.0;
    let (mut shift_total, mut scale, mut total) = (0.0f64, 0.0f64, 0);
    for l in 0..k {
        scale = scale.max(d[l].abs() + e[l].abs());
        let mut m = l;
        while m < k - 1 && e[m].abs() > f64::EPSILON * scale {
            m += 1;
        }
        if m > l {
            let mut iter = 0;
            loop {
                iter += 1;
                total += 1;
                if iter > 60 {
                    return None;
                }
                // Shift: the eigenvalue of [[d_l, e_l], [e_l, d_{l+1}]] nearer d_l.
                let g = d[l];
                let p = (d[l + 1] - g) / (2.0 * e[l]);
                let r = if p < 0.0 { -p.hypot(1.0) } else { p.hypot(1.0) };
                d[l] = e[l] / (p + r);
                d[l + 1] = e[l] * (p + r);
                let dl1 = d[l + 1];
                let h = g - d[l];
                for di in &mut d[l + 2..] {
                    *di -= h;
                }
                shift_total += h;
                // Chase the bulge from m up to l.
                let mut p = d[m];
                let (mut c, mut c2, mut c3) = (1.0, 1.0, 1.0);
                let el1 = e[l + 1];
                let (mut s, mut s2) = (0.0, 0.0);
                for i in (l..m).rev() {
                    c3 = c2;
                    c2 = c;
                    s2 = s;
                    let g = c * e[i];
                    let h = c * p;
                    let r = p.hypot(e[i]);
                    e[i + 1] = s * r;
                    s = e[i] / r;
                    c = p / r;
                    p = c * d[i] - s * g;
                    d[i + 1] = h + s * (c * g + s * d[i]);
                    let (upper, lower) = rows.split_at_mut((i + 1) * width);
                    let ri = &mut upper[i * width..];
                    let ri1 = &mut lower[..width];
                    for (a, b) in ri.iter_mut().zip(ri1.iter_mut()) {
                        let (x, y) = (*a, *b);
                        *b = s * x + c * y;
                        *a = c * x - s * y;
                    }
                }
                let p = -s * s2 * c3 * el1 * e[l] / dl1;
                e[l] = s * p;
                d[l] = c * p;
                let remaining = e[l].abs();
                if remaining.is_nan() || remaining <= f64::EPSILON * scale {
                    break;
                }
            }
        }
        d[l] += shift_total;
        e[l] = 0.0;
    }
    Some(total)
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

    /// Checks `VᵀV = I`, `VΛVᵀ = A`, descending order and `Av = λv` for each pair.
    fn assert_decomposes(a: &Matrix<f64>, e: &SymmetricEigen, tol: f64) {
        let n = a.rows();
        let v = &e.vectors;
        let vtv = v.transpose().matmul(v);
        assert!(vtv.max_abs_diff(&Matrix::identity(n)) < tol, "VᵀV ≠ I for n = {n}");
        let lam = Matrix::from_fn(n, n, |i, j| if i == j { e.values[i] } else { 0.0 });
        let rec = v.matmul(&lam).matmul(&v.transpose());
        assert!(rec.max_abs_diff(a) < tol, "VΛVᵀ ≠ A for n = {n}: {}", rec.max_abs_diff(a));
        assert!(e.values.windows(2).all(|w| w[0] >= w[1]), "eigenvalues not descending");
        for k in 0..n {
            let x = e.vector(k);
            let ax = matvec(a, &x);
            let r: f64 = ax.iter().zip(&x).map(|(p, q)| (p - e.values[k] * q).abs()).fold(0.0, f64::max);
            assert!(r < tol, "residual {r} for pair {k} of n = {n}");
        }
    }

    #[test]
    fn symmetric_eigen_decomposes_random_and_structured_matrices() {
        for (n, seed) in [(1, 1), (2, 2), (3, 9), (5, 3), (12, 4), (30, 5), (80, 6)] {
            let a = random_symmetric(n, seed);
            let e = symmetric_eigen(&a);
            assert_decomposes(&a, &e, 1e-11 * n as f64);
            let reference = symmetric_eigen_jacobi(&a);
            for (x, y) in e.values.iter().zip(&reference.values) {
                assert!((x - y).abs() < 1e-11 * n as f64, "QL {x} vs Jacobi {y}");
            }
        }
        // Repeated eigenvalues, a zero matrix, a diagonal matrix and one with a
        // zero column below the diagonal (no reflection needed).
        let repeated = Matrix::from_fn(6, 6, |i, j| if i == j { 2.0 } else { 1.0 });
        let e = symmetric_eigen(&repeated);
        assert_decomposes(&repeated, &e, 1e-13);
        assert!((e.values[0] - 7.0).abs() < 1e-13 && e.values[1..].iter().all(|&l| (l - 1.0).abs() < 1e-13));
        assert_decomposes(&Matrix::zeros(4, 4), &symmetric_eigen(&Matrix::zeros(4, 4)), 1e-300);
        let diag = Matrix::from_fn(5, 5, |i, j| if i == j { [3.0, -1.0, 4.0, 1.0, -5.0][i] } else { 0.0 });
        let e = symmetric_eigen(&diag);
        assert_eq!(e.values, [4.0, 3.0, 1.0, -1.0, -5.0]);
        assert_decomposes(&diag, &e, 1e-15);
        let block = Matrix::from_rows(&[[1.0, 0.0, 0.0], [0.0, 2.0, 3.0], [0.0, 3.0, 1.0]]);
        assert_decomposes(&block, &symmetric_eigen(&block), 1e-14);
        assert_eq!(symmetric_eigen(&Matrix::zeros(0, 0)).values, Vec::<f64>::new());
    }

    #[test]
    fn tridiagonal_solver_matches_closed_forms_and_one_row_mode() {
        // Second-difference matrix of every order up to 40.
        for k in 1..=40 {
            let e = symmetric_tridiagonal_eigen(&vec![2.0; k], &vec![-1.0; k - 1]);
            let t = Matrix::from_fn(k, k, |i, j| match i.abs_diff(j) {
                0 => 2.0,
                1 => -1.0,
                _ => 0.0,
            });
            assert_decomposes(&t, &e, 1e-13);
            for (j, l) in e.values.iter().enumerate() {
                let expect = 2.0 - 2.0 * ((k - j) as f64 * std::f64::consts::PI / (k as f64 + 1.0)).cos();
                assert!((l - expect).abs() < 1e-13, "k = {k}: {l} vs {expect}");
            }
        }
        // Random tridiagonal: the one-row mode returns the eigenvector entries.
        let mut rng = StdRng::seed_from_u64(3);
        let d = Matrix::<f64>::random_normal(1, 25, 0.0, 1.0, &mut rng).into_vec();
        let off = Matrix::<f64>::random_normal(1, 24, 0.0, 1.0, &mut rng).into_vec();
        let full = symmetric_tridiagonal_eigen(&d, &off);
        for row in [0, 7, 24] {
            let (values, comp) = tridiagonal_eigen_row(&d, &off, row);
            for j in 0..25 {
                assert!((values[j] - full.values[j]).abs() < 1e-13);
                assert!((comp[j].abs() - full.vectors[(row, j)].abs()).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn jacobi_reconstructs_a_with_orthonormal_sorted_eigenvectors() {
        for (n, seed) in [(1, 1), (2, 2), (5, 3), (12, 4), (30, 5)] {
            let a = random_symmetric(n, seed);
            let e = symmetric_eigen_jacobi(&a);
            assert_decomposes(&a, &e, 1e-11);
            assert!(e.iterations < 15, "Jacobi took {} sweeps", e.iterations);
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
        let e = symmetric_eigen_jacobi(&a);
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
