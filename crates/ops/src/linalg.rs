//! Dense linear algebra for any [`Scalar`]: LU factorization with partial
//! pivoting, and the solve, inverse and determinant built on it.
//!
//! Why our own LU instead of a LAPACK binding: the matrix-calculus ops (`det`,
//! `logdet`, `inverse`, `solve`) must run on dual numbers too, so that a tape
//! recorded over `Dual<f64>` differentiates them a second time (Hessian-vector
//! products). Every value here is computed with `T`'s own arithmetic; only the
//! pivot *choice* looks at plain values, which is a discrete decision with no
//! derivative.
//!
//! Singularity: a pivot whose magnitude is at most `n · ε · max|aᵢⱼ|` (ε the machine
//! epsilon of `T`, found by halving until `1 + ε/2 == 1`) makes [`lu`] report
//! [`LinalgError::Singular`]. That catches matrices that are singular up to
//! rounding, not only those whose elimination happens to hit an exact zero. A
//! NaN or infinite entry is reported as what it is,
//! [`LinalgError::NonFinite`] with its position, before any pivot is judged.
//!
//! ```
//! use wengert_ops::{linalg, Matrix};
//! let a: Matrix<f64> = Matrix::from_rows(&[[4.0, 3.0], [6.0, 3.0]]);
//! assert!((linalg::det(&a).unwrap() - (-6.0)).abs() < 1e-12);
//! let x = linalg::solve(&a, &Matrix::from_rows(&[[10.0], [12.0]])).unwrap();
//! assert!((x[(0, 0)] - 1.0).abs() < 1e-12 && (x[(1, 0)] - 2.0).abs() < 1e-12);
//! assert!(linalg::inverse(&Matrix::from_rows(&[[1.0f64, 2.0], [2.0, 4.0]])).is_err());
//! ```

use std::fmt;

use crate::matrix::{shape_str, Matrix};
use crate::scalar::Scalar;

/// Why a linear-algebra routine could not produce a result.
#[derive(Clone, Debug, PartialEq)]
pub enum LinalgError {
    /// The matrix must be square.
    NotSquare {
        /// Its shape.
        shape: (usize, usize),
    },
    /// The matrix is singular (to working precision).
    Singular {
        /// The elimination step (column) whose pivot vanished.
        column: usize,
    },
    /// The matrix has a NaN or infinite entry (the first, row by row): no
    /// factorization of it means anything.
    NonFinite {
        /// Its row.
        row: usize,
        /// Its column.
        col: usize,
        /// The entry (NaN, `inf` or `-inf`).
        value: f64,
    },
    /// The right-hand side of a solve has the wrong number of rows.
    DimensionMismatch {
        /// Shape of the (square) matrix.
        matrix: (usize, usize),
        /// Shape of the right-hand side.
        rhs: (usize, usize),
    },
}

impl fmt::Display for LinalgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinalgError::NotSquare { shape } => write!(f, "matrix {} is not square", shape_str(*shape)),
            LinalgError::Singular { column } => {
                write!(f, "matrix is singular (pivot {column} vanished to working precision)")
            }
            LinalgError::NonFinite { row, col, value } => write!(f, "non-finite entry at ({row}, {col}): {value}"),
            LinalgError::DimensionMismatch { matrix, rhs } => {
                write!(f, "right-hand side {} does not match matrix {}", shape_str(*rhs), shape_str(*matrix))
            }
        }
    }
}

impl std::error::Error for LinalgError {}

/// An LU factorization `P·A = L·U` with partial (row) pivoting.
///
/// `L` is unit lower triangular and `U` upper triangular, packed into one `n × n`
/// matrix (`L`'s unit diagonal is implicit). Row `i` of `P·A` is row `perm[i]` of `A`.
#[derive(Clone, Debug)]
pub struct Lu<T> {
    factors: Matrix<T>,
    perm: Vec<usize>,
    odd_swaps: bool,
    singular_at: Option<usize>,
    non_finite_at: Option<(usize, usize)>,
}

/// Machine epsilon of `T`: the smallest power of two `e` with `1 + e ≠ 1` in `T`.
fn machine_epsilon<T: Scalar>() -> f64 {
    let mut e = 1.0f64;
    while e > f64::MIN_POSITIVE && (T::one() + T::from_f64(e / 2.0)).value() != 1.0 {
        e /= 2.0;
    }
    e
}

/// Factors without failing: a vanished pivot is recorded, its column skipped,
/// and so is the first non-finite entry (the elimination then runs in IEEE
/// arithmetic, so the determinant comes out NaN or infinite, and no pivot is
/// judged against a tolerance that would be infinite).
fn factor<T: Scalar>(a: &Matrix<T>) -> Result<Lu<T>, LinalgError> {
    let n = a.rows();
    if a.cols() != n {
        return Err(LinalgError::NotSquare { shape: a.shape() });
    }
    let non_finite_at = a.iter().position(|x| !x.value().is_finite()).map(|k| (k / n, k % n));
    let scale = if non_finite_at.is_some() { 0.0 } else { a.iter().map(|x| x.value().abs()).fold(0.0, f64::max) };
    let tol = n as f64 * machine_epsilon::<T>() * scale;
    let mut f = a.as_slice().to_vec();
    let mut perm: Vec<usize> = (0..n).collect();
    let mut odd_swaps = false;
    let mut singular_at = None;
    for k in 0..n {
        // Partial pivoting: the largest |value| in column k at or below the diagonal.
        let mut p = k;
        let mut best = f[k * n + k].value().abs();
        for i in k + 1..n {
            let v = f[i * n + k].value().abs();
            if v > best {
                best = v;
                p = i;
            }
        }
        if p != k {
            for j in 0..n {
                f.swap(k * n + j, p * n + j);
            }
            perm.swap(k, p);
            odd_swaps = !odd_swaps;
        }
        if best <= tol || best.is_nan() {
            singular_at.get_or_insert(k);
            if best == 0.0 || best.is_nan() {
                // Nothing to eliminate with (or nothing meaningful): leave the column.
                continue;
            }
        }
        let pivot = f[k * n + k];
        for i in k + 1..n {
            let l = f[i * n + k] / pivot;
            f[i * n + k] = l;
            for j in k + 1..n {
                let u = f[k * n + j];
                f[i * n + j] -= l * u;
            }
        }
    }
    Ok(Lu { factors: Matrix::from_vec(n, n, f), perm, odd_swaps, singular_at, non_finite_at })
}

/// Factors a square matrix as `P·A = L·U`.
///
/// Errors with [`LinalgError::NotSquare`], with [`LinalgError::NonFinite`]
/// (naming the first NaN or infinite entry) or, if a pivot vanishes to working
/// precision, [`LinalgError::Singular`].
pub fn lu<T: Scalar>(a: &Matrix<T>) -> Result<Lu<T>, LinalgError> {
    let f = factor(a)?;
    if let Some((row, col)) = f.non_finite_at {
        return Err(LinalgError::NonFinite { row, col, value: a[(row, col)].value() });
    }
    match f.singular_at {
        Some(column) => Err(LinalgError::Singular { column }),
        None => Ok(f),
    }
}

/// `A⁻¹·B` for square `A` and any `B` with as many rows.
pub fn solve<T: Scalar>(a: &Matrix<T>, b: &Matrix<T>) -> Result<Matrix<T>, LinalgError> {
    lu(a)?.solve(b)
}

/// `A⁻¹` for square non-singular `A`.
pub fn inverse<T: Scalar>(a: &Matrix<T>) -> Result<Matrix<T>, LinalgError> {
    Ok(lu(a)?.inverse())
}

/// The determinant of a square matrix. A singular matrix is not an error here:
/// its determinant is computed from the same elimination (and is `0` or within
/// rounding of it); nor is a non-finite entry, which gives a NaN (or infinite)
/// determinant as IEEE arithmetic would. Errors only with
/// [`LinalgError::NotSquare`].
pub fn det<T: Scalar>(a: &Matrix<T>) -> Result<T, LinalgError> {
    Ok(factor(a)?.det())
}

impl<T: Scalar> Lu<T> {
    /// The order `n` of the factored matrix.
    pub fn n(&self) -> usize {
        self.factors.rows()
    }
    /// The packed factors: `U` on and above the diagonal, `L` (unit diagonal
    /// implied) below.
    pub fn factors(&self) -> &Matrix<T> {
        &self.factors
    }
    /// The row permutation: row `i` of `P·A` is row `perm()[i]` of `A`.
    pub fn perm(&self) -> &[usize] {
        &self.perm
    }
    /// `det(P)`: `+1` for an even number of row swaps, `−1` for odd.
    pub fn perm_sign(&self) -> f64 {
        if self.odd_swaps {
            -1.0
        } else {
            1.0
        }
    }
    /// The determinant, `det(P)·∏ uᵢᵢ`.
    pub fn det(&self) -> T {
        let n = self.n();
        let d = (0..n).fold(T::one(), |acc, i| acc * self.factors.as_slice()[i * n + i]);
        if self.odd_swaps {
            -d
        } else {
            d
        }
    }
    /// The determinant as `(d, e)` with `det A = d·2ᵉ` and `|d|` in
    /// `[½, 1)` (or `d` zero or not finite): the product of the pivots
    /// renormalized by powers of two at every step, so it neither underflows
    /// nor overflows where `det A` itself would (`det(1e-200·I₃) = 1e-600`).
    /// `d` is computed with `T`'s arithmetic (scaling by powers of two is
    /// exact), so it carries derivatives for dual numbers.
    ///
    /// ```
    /// use wengert_ops::{linalg, Matrix};
    /// let a: Matrix<f64> = Matrix::from_fn(3, 3, |i, j| if i == j { 1e-200 } else { 0.0 });
    /// let f = linalg::lu(&a).unwrap();
    /// assert_eq!(f.det(), 0.0); // 1e-600 underflows
    /// let (d, e) = f.scaled_det();
    /// assert!(((d.log2() + e as f64) - 3.0 * 1e-200f64.log2()).abs() < 1e-9);
    /// ```
    pub fn scaled_det(&self) -> (T, i64) {
        let n = self.n();
        let mut d = if self.odd_swaps { -T::one() } else { T::one() };
        let mut e = 0i64;
        for i in 0..n {
            let u = self.factors.as_slice()[i * n + i];
            let eu = binary_exponent(u.value());
            d *= times_pow2(u, -eu);
            let ed = binary_exponent(d.value());
            d = times_pow2(d, -ed);
            e += eu + ed;
        }
        (d, e)
    }
    /// `ln|det A| = Σ ln|uᵢᵢ|` (the sign is `perm_sign()·∏ sign(uᵢᵢ)`, see
    /// [`det_sign`](Self::det_sign)). Computed as a sum, so it neither overflows nor
    /// underflows where the determinant itself would.
    pub fn ln_abs_det(&self) -> T {
        let n = self.n();
        (0..n).fold(T::zero(), |acc, i| acc + self.factors.as_slice()[i * n + i].abs().ln())
    }
    /// The sign of the determinant: `1.0`, `-1.0`, or `0.0` for an exact zero pivot.
    pub fn det_sign(&self) -> f64 {
        let n = self.n();
        let mut sign = self.perm_sign();
        for i in 0..n {
            let v = self.factors.as_slice()[i * n + i].value();
            if v == 0.0 {
                return 0.0;
            }
            if v < 0.0 {
                sign = -sign;
            }
        }
        sign
    }
    fn check_rhs(&self, b: &Matrix<T>) -> Result<(), LinalgError> {
        if b.rows() != self.n() {
            return Err(LinalgError::DimensionMismatch { matrix: (self.n(), self.n()), rhs: b.shape() });
        }
        Ok(())
    }
    /// `A⁻¹·B`. Errors if `B` has the wrong number of rows.
    pub fn solve(&self, b: &Matrix<T>) -> Result<Matrix<T>, LinalgError> {
        self.check_rhs(b)?;
        let (n, k) = b.shape();
        let f = self.factors.as_slice();
        // x = P·b, then L·y = x (forward, unit diagonal), then U·z = y (backward).
        let mut x: Vec<T> = Vec::with_capacity(n * k);
        for &p in &self.perm {
            x.extend_from_slice(b.row(p));
        }
        for i in 0..n {
            for j in 0..i {
                let l = f[i * n + j];
                for c in 0..k {
                    let v = x[j * k + c];
                    x[i * k + c] -= l * v;
                }
            }
        }
        for i in (0..n).rev() {
            for j in i + 1..n {
                let u = f[i * n + j];
                for c in 0..k {
                    let v = x[j * k + c];
                    x[i * k + c] -= u * v;
                }
            }
            let d = f[i * n + i];
            for c in 0..k {
                x[i * k + c] /= d;
            }
        }
        Ok(Matrix::from_vec(n, k, x))
    }
    /// `A⁻ᵀ·B` (solves `Aᵀ·X = B` with the same factors). Errors if `B` has the
    /// wrong number of rows.
    pub fn solve_transpose(&self, b: &Matrix<T>) -> Result<Matrix<T>, LinalgError> {
        self.check_rhs(b)?;
        let (n, k) = b.shape();
        let f = self.factors.as_slice();
        // Aᵀ = Uᵀ·Lᵀ·P: solve Uᵀ·y = b (forward), Lᵀ·w = y (backward, unit), x = Pᵀ·w.
        let mut y = b.as_slice().to_vec();
        for i in 0..n {
            for j in 0..i {
                let u = f[j * n + i];
                for c in 0..k {
                    let v = y[j * k + c];
                    y[i * k + c] -= u * v;
                }
            }
            let d = f[i * n + i];
            for c in 0..k {
                y[i * k + c] /= d;
            }
        }
        for i in (0..n).rev() {
            for j in i + 1..n {
                let l = f[j * n + i];
                for c in 0..k {
                    let v = y[j * k + c];
                    y[i * k + c] -= l * v;
                }
            }
        }
        let mut x = vec![T::zero(); n * k];
        for (i, &p) in self.perm.iter().enumerate() {
            x[p * k..(p + 1) * k].copy_from_slice(&y[i * k..(i + 1) * k]);
        }
        Ok(Matrix::from_vec(n, k, x))
    }
    /// `A⁻¹`.
    pub fn inverse(&self) -> Matrix<T> {
        self.solve(&Matrix::identity(self.n())).expect("identity has n rows")
    }
    /// `A⁻ᵀ`.
    pub fn inverse_transpose(&self) -> Matrix<T> {
        self.solve_transpose(&Matrix::identity(self.n())).expect("identity has n rows")
    }
}

/// The exponent `e` of `v = f·2ᵉ` with `|f|` in `[½, 1)` (C's `frexp`); 0 for
/// zero, infinities and NaN.
pub(crate) fn binary_exponent(v: f64) -> i64 {
    if v == 0.0 || !v.is_finite() {
        return 0;
    }
    let biased = ((v.to_bits() >> 52) & 0x7ff) as i64;
    if biased == 0 {
        // Subnormal: scale into the normal range first.
        return binary_exponent(v * 2f64.powi(64)) - 64;
    }
    biased - 1022
}

/// `x·2ᵉ` in `T`'s arithmetic, in steps of at most `2⁶⁰` (a factor every
/// float type holds exactly): exact unless the result itself leaves `T`'s
/// normal range, and never over- or underflowing on the way to a result that
/// is in range (each step moves toward it).
pub(crate) fn times_pow2<T: Scalar>(mut x: T, mut e: i64) -> T {
    const STEP: i64 = 60;
    while e > STEP {
        x *= T::from_f64(2f64.powi(STEP as i32));
        e -= STEP;
    }
    while e < -STEP {
        x *= T::from_f64(2f64.powi(-STEP as i32));
        e += STEP;
    }
    x * T::from_f64(2f64.powi(e as i32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_epsilon_matches_the_float_types() {
        assert_eq!(machine_epsilon::<f64>(), f64::EPSILON);
        assert_eq!(machine_epsilon::<f32>(), f32::EPSILON as f64);
    }

    #[test]
    fn lu_reconstructs_pa() {
        let a = Matrix::from_rows(&[[0.0, 2.0, 1.0], [1.0, 1.0, 1.0], [4.0, -1.0, 3.0]]);
        let f = lu(&a).unwrap();
        let n = 3;
        let l = Matrix::from_fn(n, n, |i, j| match i.cmp(&j) {
            std::cmp::Ordering::Greater => f.factors()[(i, j)],
            std::cmp::Ordering::Equal => 1.0,
            std::cmp::Ordering::Less => 0.0,
        });
        let u = Matrix::from_fn(n, n, |i, j| if j >= i { f.factors()[(i, j)] } else { 0.0 });
        let pa = a.select_rows(f.perm());
        assert!(l.matmul(&u).max_abs_diff(&pa) < 1e-14);
        // det = 0·… expanded by hand: 0(3+1) − 2(3−4) + 1(−1−4) = −3.
        assert!((f.det() + 3.0).abs() < 1e-13);
        assert_eq!(f.det_sign(), -1.0);
        assert!((f.ln_abs_det() - 3f64.ln()).abs() < 1e-13);
    }
}
