//! `Matrix<T>` ⇄ `nalgebra::DMatrix<T>` (feature `nalgebra`).
//!
//! nalgebra stores a matrix column by column; `Matrix` row by row. So:
//!
//! * **copy, reordered**: `DMatrix::from(&m)` and `Matrix::from(&dm)` (from
//!   any nalgebra matrix or view) copy every element once, transposing the
//!   memory order (not the matrix: element `(i, j)` stays `(i, j)`);
//! * **zero-copy, as the transpose**: a row-major buffer read column by column
//!   *is* the transpose, so [`Matrix::as_nalgebra_transposed`] (a view) and
//!   [`Matrix::into_nalgebra_transposed`] (an owned `DMatrix`, taking the
//!   buffer) give `Aᵀ` (`cols × rows`) without copying — the right thing when
//!   the transpose is what is wanted anyway (`Aᵀ b`, `AᵀA`, a solve with `Aᵀ`),
//!   and `A` itself is `.transpose()` of it (one copy, done by nalgebra).
//!
//! Why no zero-copy view of `A` itself: nalgebra can describe one (row stride
//! `cols`, column stride 1), but its small matrix-vector kernels (0.33, 0.35:
//! `axcpy` in `blas_uninit.rs`) walk a strided column by the length of the
//! memory it spans instead of its number of rows, which reads and writes out
//! of bounds when the row stride exceeds 1 (a debug build stops on it:
//! `tests/interop.rs` keeps the case that showed it). The transposed view has
//! unit row stride, which those kernels handle.
//!
use ::nalgebra::{DMatrix, DMatrixView, Dim, RawStorage, Scalar as NalgebraScalar};

use crate::Matrix;

impl<T: NalgebraScalar> Matrix<T> {
    /// This matrix's storage as a nalgebra view **of the transpose**
    /// (`cols × rows`, column-major with unit row stride): no copy.
    ///
    /// ```
    /// use wengert_ops::Matrix;
    /// let a = Matrix::from_rows(&[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]);
    /// let at = a.as_nalgebra_transposed();
    /// assert_eq!(at.shape(), (2, 3));
    /// assert_eq!(at[(0, 2)], 5.0); // (Aᵀ)₀₂ = A₂₀
    /// assert_eq!(at.as_ptr(), a.as_slice().as_ptr()); // zero-copy
    /// let gram = at * at.transpose(); // AᵀA with nalgebra, A never copied
    /// assert_eq!(gram[(0, 1)], 1.0 * 2.0 + 3.0 * 4.0 + 5.0 * 6.0);
    /// ```
    pub fn as_nalgebra_transposed(&self) -> DMatrixView<'_, T> {
        let (rows, cols) = self.shape();
        DMatrixView::from_slice(self.as_slice(), cols, rows)
    }

    /// This matrix's storage handed to nalgebra **as the transpose**
    /// (`cols × rows`): a row-major buffer read column by column is `Aᵀ`. No
    /// copy when this matrix is the storage's only owner (one copy, not
    /// reordered, when it is shared).
    ///
    /// ```
    /// use wengert_ops::Matrix;
    /// let m = Matrix::from_rows(&[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    /// let ptr = m.as_slice().as_ptr();
    /// let t = m.into_nalgebra_transposed();
    /// assert_eq!(t.shape(), (3, 2));
    /// assert_eq!(t[(2, 1)], 6.0); // (Aᵀ)₂₁ = A₁₂
    /// assert_eq!(t.as_ptr(), ptr); // the same buffer
    /// ```
    pub fn into_nalgebra_transposed(self) -> DMatrix<T> {
        let (rows, cols) = self.shape();
        DMatrix::from_vec(cols, rows, self.into_vec())
    }
}

/// Copies into a column-major `DMatrix`, element `(i, j)` to `(i, j)` (the
/// memory order is transposed, so this is a copy; see
/// [`Matrix::as_nalgebra_transposed`] for a view of `Aᵀ` without one).
///
/// ```
/// use nalgebra::DMatrix;
/// use wengert_ops::Matrix;
/// let m = Matrix::from_rows(&[[1.0, 2.0], [3.0, 4.0]]);
/// let d = DMatrix::from(&m);
/// assert_eq!(d, DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 3.0, 4.0]));
/// assert_eq!(d.try_inverse().unwrap()[(0, 0)], -2.0);
/// ```
impl<T: NalgebraScalar> From<&Matrix<T>> for DMatrix<T> {
    fn from(m: &Matrix<T>) -> Self {
        DMatrix::from_row_slice(m.rows(), m.cols(), m.as_slice())
    }
}

/// Copies into a column-major `DMatrix` (as `From<&Matrix>`).
impl<T: NalgebraScalar> From<Matrix<T>> for DMatrix<T> {
    fn from(m: Matrix<T>) -> Self {
        DMatrix::from(&m)
    }
}

/// Copies any nalgebra matrix or view (dynamic or fixed size, any strides) into
/// a row-major `Matrix`, element `(i, j)` to `(i, j)`.
///
/// ```
/// use nalgebra::{DMatrix, Matrix2x3};
/// use wengert_ops::Matrix;
/// let d = DMatrix::from_row_slice(2, 3, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
/// assert_eq!(Matrix::from(&d), Matrix::from_rows(&[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]));
/// let fixed = Matrix2x3::new(1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0);
/// assert_eq!(Matrix::from(&fixed.columns(1, 2)), Matrix::from_rows(&[[2.0f32, 3.0], [5.0, 6.0]]));
/// ```
impl<T, R, C, S> From<&::nalgebra::Matrix<T, R, C, S>> for Matrix<T>
where
    T: NalgebraScalar,
    R: Dim,
    C: Dim,
    S: RawStorage<T, R, C>,
{
    fn from(m: &::nalgebra::Matrix<T, R, C, S>) -> Self {
        let (rows, cols) = m.shape();
        Matrix::from_fn(rows, cols, |i, j| m[(i, j)].clone())
    }
}

/// Copies a `DMatrix` into a row-major `Matrix` (as `From<&nalgebra::Matrix>`).
impl<T: NalgebraScalar> From<DMatrix<T>> for Matrix<T> {
    fn from(m: DMatrix<T>) -> Self {
        Matrix::from(&m)
    }
}
