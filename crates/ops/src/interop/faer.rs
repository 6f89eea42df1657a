//! `Matrix<T>` ⇄ `faer::Mat<T>` (feature `faer`).
//!
//! faer stores a matrix column by column (with padded columns); `Matrix` row by
//! row. So:
//!
//! * **zero-copy, strided**: [`Matrix::as_faer`] is a `MatRef` over the
//!   matrix's own storage (row stride `cols`, column stride 1), which faer's
//!   algorithms take wherever they take a `MatRef`;
//! * **copy, reordered**: `Mat::from(&m)` and `Matrix::from(mat.as_ref())`
//!   (any `MatRef`, whatever its strides) copy every element once, element
//!   `(i, j)` to `(i, j)`. An owned `Mat` cannot take a `Matrix`'s buffer: its
//!   layout is faer's own.

use ::faer::{Mat, MatRef};

use crate::Matrix;

impl<T> Matrix<T> {
    /// A faer view of this matrix, without copying: the same storage, read with
    /// row stride `cols` and column stride 1.
    ///
    /// ```
    /// use wengert_ops::Matrix;
    /// let m = Matrix::from_rows(&[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]);
    /// let v = m.as_faer();
    /// assert_eq!((v.nrows(), v.ncols()), (3, 2));
    /// assert_eq!(v[(2, 0)], 5.0);
    /// assert_eq!(v.as_ptr(), m.as_slice().as_ptr()); // zero-copy
    /// let gram = v.transpose() * v; // faer arithmetic on views
    /// assert_eq!(gram[(0, 1)], 1.0 * 2.0 + 3.0 * 4.0 + 5.0 * 6.0);
    /// ```
    pub fn as_faer(&self) -> MatRef<'_, T> {
        MatRef::from_row_major_slice(self.as_slice(), self.rows(), self.cols())
    }
}

/// Copies into a column-major `faer::Mat`, element `(i, j)` to `(i, j)`.
///
/// ```
/// use faer::Mat;
/// use wengert_ops::Matrix;
/// let m = Matrix::from_rows(&[[4.0, 1.0], [1.0, 3.0]]);
/// let f = Mat::from(&m);
/// assert_eq!((f.nrows(), f.ncols(), f[(0, 1)]), (2, 2, 1.0));
/// ```
impl<T: Clone> From<&Matrix<T>> for Mat<T> {
    fn from(m: &Matrix<T>) -> Self {
        Mat::from_fn(m.rows(), m.cols(), |i, j| m[(i, j)].clone())
    }
}

/// Copies into a column-major `faer::Mat` (as `From<&Matrix>`).
impl<T: Clone> From<Matrix<T>> for Mat<T> {
    fn from(m: Matrix<T>) -> Self {
        Mat::from(&m)
    }
}

/// Copies a faer view (any strides: a `Mat`'s `as_ref()`, a transpose, a
/// submatrix) into a row-major `Matrix`.
///
/// ```
/// use faer::mat;
/// use wengert_ops::Matrix;
/// let f = mat![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
/// assert_eq!(Matrix::from(f.as_ref()), Matrix::from_rows(&[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]));
/// assert_eq!(Matrix::from(f.transpose()), Matrix::from_rows(&[[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]]));
/// ```
impl<T: Clone> From<MatRef<'_, T>> for Matrix<T> {
    fn from(m: MatRef<'_, T>) -> Self {
        Matrix::from_fn(m.nrows(), m.ncols(), |i, j| m[(i, j)].clone())
    }
}

/// Copies an owned `faer::Mat` into a row-major `Matrix` (as `From<MatRef>`).
impl<T: Clone> From<&Mat<T>> for Matrix<T> {
    fn from(m: &Mat<T>) -> Self {
        Matrix::from(m.as_ref())
    }
}

/// Copies an owned `faer::Mat` into a row-major `Matrix` (as `From<MatRef>`;
/// the `Mat`'s column-major buffer cannot be reused).
impl<T: Clone> From<Mat<T>> for Matrix<T> {
    fn from(m: Mat<T>) -> Self {
        Matrix::from(m.as_ref())
    }
}
