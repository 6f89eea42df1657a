//! `Matrix<T>` ⇄ `ndarray::Array2<T>` (feature `ndarray`). Both are row-major,
//! so an owned conversion hands the `Vec` over without copying whenever the
//! other side can take it, and a view is free.

use ::ndarray::{Array2, ArrayView2};

use crate::Matrix;

impl<T> Matrix<T> {
    /// A read-only ndarray view of this matrix: no copy, the same storage.
    ///
    /// ```
    /// use wengert_ops::Matrix;
    /// let m = Matrix::from_rows(&[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    /// let view = m.as_ndarray();
    /// assert_eq!(view.shape(), &[2, 3]);
    /// assert_eq!(view[[1, 0]], 4.0);
    /// assert_eq!(view.as_ptr(), m.as_slice().as_ptr()); // zero-copy
    /// assert_eq!(view.sum_axis(ndarray::Axis(0)).to_vec(), vec![5.0, 7.0, 9.0]);
    /// ```
    pub fn as_ndarray(&self) -> ArrayView2<'_, T> {
        // The default (C) order of a shape is row-major: our layout.
        ArrayView2::from_shape((self.rows(), self.cols()), self.as_slice())
            .expect("a Matrix's slice holds rows × cols elements in row-major order")
    }
}

/// Moves the storage into an `Array2` (row-major, standard layout) without
/// copying when this matrix is its only owner; copies it once when the storage
/// is shared (with a clone of the matrix, or a tape).
///
/// ```
/// use ndarray::{array, Array2};
/// use wengert_ops::Matrix;
/// let m = Matrix::from_rows(&[[1.0, 2.0], [3.0, 4.0]]);
/// let ptr = m.as_slice().as_ptr();
/// let a = Array2::from(m);
/// assert_eq!(a, array![[1.0, 2.0], [3.0, 4.0]]);
/// assert_eq!(a.as_ptr(), ptr); // the same buffer: no copy
/// ```
impl<T: Clone> From<Matrix<T>> for Array2<T> {
    fn from(m: Matrix<T>) -> Self {
        let (rows, cols) = m.shape();
        Array2::from_shape_vec((rows, cols), m.into_vec()).expect("a Matrix's Vec holds rows × cols elements")
    }
}

/// Takes an `Array2`'s buffer without copying when it is in standard
/// (row-major, contiguous) layout starting at its first element — what
/// `Array2::zeros`, `from_shape_vec` and arithmetic produce; otherwise (a
/// transposed, column-major or sliced array) copies its elements once, in
/// row-major order.
///
/// ```
/// use ndarray::array;
/// use wengert_ops::Matrix;
/// let a = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
/// let ptr = a.as_ptr();
/// let m = Matrix::from(a);
/// assert_eq!(m, Matrix::from_rows(&[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]));
/// assert_eq!(m.as_slice().as_ptr(), ptr); // no copy
/// let t = Matrix::from(array![[1.0, 2.0], [3.0, 4.0]].reversed_axes()); // column-major: copied
/// assert_eq!(t, Matrix::from_rows(&[[1.0, 3.0], [2.0, 4.0]]));
/// ```
impl<T: Clone> From<Array2<T>> for Matrix<T> {
    fn from(a: Array2<T>) -> Self {
        let (rows, cols) = a.dim();
        if a.is_standard_layout() {
            let (data, offset) = a.into_raw_vec_and_offset();
            if offset.unwrap_or(0) == 0 && data.len() == rows * cols {
                return Matrix::from_vec(rows, cols, data);
            }
            // A standard-layout array that does not start at its buffer's
            // beginning (a slice of a larger one): copy the elements it shows.
            let start = offset.unwrap_or(0);
            return Matrix::from_vec(rows, cols, data[start..start + rows * cols].to_vec());
        }
        Matrix::from_vec(rows, cols, a.iter().cloned().collect())
    }
}

/// Copies a view (any layout) into a new matrix, in row-major order.
///
/// ```
/// use ndarray::{array, s};
/// use wengert_ops::Matrix;
/// let a = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
/// assert_eq!(Matrix::from(a.slice(s![.., 1..])), Matrix::from_rows(&[[2.0, 3.0], [5.0, 6.0]]));
/// ```
impl<T: Clone> From<ArrayView2<'_, T>> for Matrix<T> {
    fn from(a: ArrayView2<'_, T>) -> Self {
        let (rows, cols) = a.dim();
        Matrix::from_vec(rows, cols, a.iter().cloned().collect())
    }
}
