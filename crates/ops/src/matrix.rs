//! `Matrix<T>`: a dense, row-major 2-D array with shared, copy-on-write storage.
//!
//! Why shared storage: a training step hands its parameters and its data batch to
//! the tape as leaves. With `Arc`-backed storage that is a reference-count bump,
//! not a copy of megabytes, and once the tape is cleared the caller's matrix is
//! the only owner again, so an optimizer updates it in place
//! ([`Matrix::as_mut_slice`] copies only if the storage is still shared).
//! A vector is a `1 × n` (row) or `n × 1` (column) matrix.

use std::fmt;
use std::ops::{Index, IndexMut};
use std::sync::Arc;

use rand::Rng;
use rand_distr::{Distribution, Normal, Uniform};

use crate::scalar::{Scalar, Strided};

/// A dense row-major matrix. Cloning is cheap (the storage is shared); writing
/// through [`as_mut_slice`](Matrix::as_mut_slice) or `IndexMut` copies first if
/// the storage is shared.
///
/// ```
/// use wengert_ops::Matrix;
/// let a = Matrix::from_rows(&[[1.0, 2.0], [3.0, 4.0]]);
/// assert_eq!(a.shape(), (2, 2));
/// assert_eq!(a[(1, 0)], 3.0);
/// assert_eq!(a.transpose()[(0, 1)], 3.0);
/// ```
#[derive(Clone)]
pub struct Matrix<T> {
    rows: usize,
    cols: usize,
    data: Arc<Vec<T>>,
}

/// Formats a shape as `(r×c)`, the form every shape error uses.
pub fn shape_str(shape: (usize, usize)) -> String {
    format!("({}×{})", shape.0, shape.1)
}

impl<T> Matrix<T> {
    /// Number of rows.
    #[inline]
    pub fn rows(&self) -> usize {
        self.rows
    }
    /// Number of columns.
    #[inline]
    pub fn cols(&self) -> usize {
        self.cols
    }
    /// `(rows, cols)`.
    #[inline]
    pub fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }
    /// Number of elements.
    #[inline]
    pub fn len(&self) -> usize {
        self.data.len()
    }
    /// Whether the matrix has no elements.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
    /// The elements in row-major order.
    #[inline]
    pub fn as_slice(&self) -> &[T] {
        &self.data
    }
    /// Row `i` as a slice.
    #[inline]
    pub fn row(&self, i: usize) -> &[T] {
        assert!(i < self.rows, "row: index {i} out of range for {} rows", self.rows);
        &self.data[i * self.cols..(i + 1) * self.cols]
    }
    /// Iterates over the rows as slices.
    pub fn row_iter(&self) -> impl Iterator<Item = &[T]> + '_ {
        // chunks_exact(0) panics; a matrix with zero columns has only empty rows.
        let cols = self.cols.max(1);
        self.data.chunks_exact(cols).take(if self.cols == 0 { 0 } else { self.rows })
    }
    /// Iterates over the elements in row-major order.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.data.iter()
    }
    /// Whether the storage is currently shared with another `Matrix` (so a write
    /// would copy).
    pub fn is_shared(&self) -> bool {
        Arc::strong_count(&self.data) > 1
    }
    /// Builds a matrix from a row-major `Vec`; panics if `data.len() != rows * cols`.
    pub fn from_vec(rows: usize, cols: usize, data: Vec<T>) -> Self {
        assert_eq!(
            data.len(),
            rows * cols,
            "Matrix::from_vec: {} elements do not fill {}",
            data.len(),
            shape_str((rows, cols))
        );
        Matrix { rows, cols, data: Arc::new(data) }
    }
    /// Takes the storage out, copying only if it is shared.
    pub fn into_vec(self) -> Vec<T>
    where
        T: Clone,
    {
        Arc::try_unwrap(self.data).unwrap_or_else(|shared| (*shared).clone())
    }
    /// Takes the storage out if this is its only owner.
    pub fn try_into_vec(self) -> Result<Vec<T>, Self> {
        let (rows, cols) = (self.rows, self.cols);
        Arc::try_unwrap(self.data).map_err(|data| Matrix { rows, cols, data })
    }
    /// The same elements viewed with another shape (no copy); panics if the
    /// element count differs.
    pub fn reshape(&self, rows: usize, cols: usize) -> Self {
        assert_eq!(
            rows * cols,
            self.len(),
            "reshape: {} cannot be viewed as {}",
            shape_str(self.shape()),
            shape_str((rows, cols))
        );
        Matrix { rows, cols, data: Arc::clone(&self.data) }
    }
    /// A strided view of this matrix, optionally transposed (no copy).
    #[inline]
    pub fn view(&self, transposed: bool) -> Strided<'_, T> {
        if transposed {
            Strided { data: &self.data, row_stride: 1, col_stride: self.cols }
        } else {
            Strided { data: &self.data, row_stride: self.cols, col_stride: 1 }
        }
    }
}

impl<T: Clone> Matrix<T> {
    /// The elements for writing, copying the storage first if it is shared.
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        Arc::make_mut(&mut self.data).as_mut_slice()
    }
    /// Reuses this matrix's storage for a `rows × cols` matrix filled with
    /// `fill`, if no other `Matrix` shares it; returns `false` (and changes
    /// nothing) otherwise. Buffer pools use it to recycle storage without
    /// allocating.
    pub fn try_reuse(&mut self, rows: usize, cols: usize, fill: T) -> bool {
        match Arc::get_mut(&mut self.data) {
            Some(v) => {
                v.clear();
                v.resize(rows * cols, fill);
                self.rows = rows;
                self.cols = cols;
                true
            }
            None => false,
        }
    }
    /// Like [`try_reuse`](Matrix::try_reuse), but leaves the elements that fit as
    /// they are (only growth is filled with `fill`): for buffers the caller is
    /// about to overwrite completely, such as an op's output.
    pub fn try_reuse_unfilled(&mut self, rows: usize, cols: usize, fill: T) -> bool {
        match Arc::get_mut(&mut self.data) {
            Some(v) => {
                v.resize(rows * cols, fill);
                self.rows = rows;
                self.cols = cols;
                true
            }
            None => false,
        }
    }
    /// Capacity of the storage, in elements.
    pub fn capacity(&self) -> usize {
        self.data.capacity()
    }
    /// Row `i` for writing.
    pub fn row_mut(&mut self, i: usize) -> &mut [T] {
        assert!(i < self.rows, "row_mut: index {i} out of range for {} rows", self.rows);
        let cols = self.cols;
        &mut self.as_mut_slice()[i * cols..(i + 1) * cols]
    }
    /// A matrix with every element equal to `value`.
    pub fn filled(rows: usize, cols: usize, value: T) -> Self {
        Matrix::from_vec(rows, cols, vec![value; rows * cols])
    }
    /// Builds a matrix from rows given as anything slice-like; panics on ragged rows.
    pub fn from_rows<R: AsRef<[T]>>(rows: &[R]) -> Self {
        let cols = rows.first().map_or(0, |r| r.as_ref().len());
        let mut data = Vec::with_capacity(rows.len() * cols);
        for (i, r) in rows.iter().enumerate() {
            let r = r.as_ref();
            assert_eq!(r.len(), cols, "Matrix::from_rows: row {i} has {} elements, row 0 has {cols}", r.len());
            data.extend_from_slice(r);
        }
        Matrix::from_vec(rows.len(), cols, data)
    }
    /// The transpose, materialized.
    pub fn transpose(&self) -> Self {
        let mut data = Vec::with_capacity(self.len());
        for j in 0..self.cols {
            for i in 0..self.rows {
                data.push(self.data[i * self.cols + j].clone());
            }
        }
        Matrix::from_vec(self.cols, self.rows, data)
    }
    /// Applies `f` to every element.
    pub fn map<U, F: FnMut(&T) -> U>(&self, f: F) -> Matrix<U> {
        Matrix::from_vec(self.rows, self.cols, self.data.iter().map(f).collect())
    }
    /// Builds a matrix from `f(i, j)`.
    pub fn from_fn<F: FnMut(usize, usize) -> T>(rows: usize, cols: usize, mut f: F) -> Self {
        let mut data = Vec::with_capacity(rows * cols);
        for i in 0..rows {
            for j in 0..cols {
                data.push(f(i, j));
            }
        }
        Matrix::from_vec(rows, cols, data)
    }
    /// Copies rows `idx[0], idx[1], …` into a new matrix (a batch, a factor lookup).
    pub fn select_rows(&self, idx: &[usize]) -> Self {
        let mut data = Vec::with_capacity(idx.len() * self.cols);
        for &i in idx {
            data.extend_from_slice(self.row(i));
        }
        Matrix::from_vec(idx.len(), self.cols, data)
    }
}

impl<T: Scalar> Matrix<T> {
    /// All zeros.
    pub fn zeros(rows: usize, cols: usize) -> Self {
        Matrix::filled(rows, cols, T::zero())
    }
    /// All ones.
    pub fn ones(rows: usize, cols: usize) -> Self {
        Matrix::filled(rows, cols, T::one())
    }
    /// The `n × n` identity.
    pub fn identity(n: usize) -> Self {
        Matrix::from_fn(n, n, |i, j| if i == j { T::one() } else { T::zero() })
    }
    /// A row vector (`1 × n`).
    pub fn row_vector(values: &[T]) -> Self {
        Matrix::from_vec(1, values.len(), values.to_vec())
    }
    /// A column vector (`n × 1`).
    pub fn col_vector(values: &[T]) -> Self {
        Matrix::from_vec(values.len(), 1, values.to_vec())
    }
    /// Elements drawn from `N(mean, std²)`.
    pub fn random_normal<R: Rng + ?Sized>(rows: usize, cols: usize, mean: f64, std: f64, rng: &mut R) -> Self {
        let dist = Normal::new(mean, std).expect("Matrix::random_normal: std must be finite and non-negative");
        Matrix::from_fn(rows, cols, |_, _| T::from_f64(dist.sample(rng)))
    }
    /// [`random_normal`](Self::random_normal) drawn from
    /// `StdRng::seed_from_u64(seed)`: the same matrix for the same seed, with
    /// no RNG (nor `rand` version) to match.
    ///
    /// ```
    /// use wengert_ops::Matrix;
    /// let a: Matrix<f32> = Matrix::random_normal_seeded(3, 4, 0.0, 1.0, 42);
    /// assert_eq!(a, Matrix::random_normal_seeded(3, 4, 0.0, 1.0, 42));
    /// ```
    pub fn random_normal_seeded(rows: usize, cols: usize, mean: f64, std: f64, seed: u64) -> Self {
        use rand::SeedableRng;
        Self::random_normal(rows, cols, mean, std, &mut rand::rngs::StdRng::seed_from_u64(seed))
    }
    /// Elements drawn uniformly from `[low, high)`.
    pub fn random_uniform<R: Rng + ?Sized>(rows: usize, cols: usize, low: f64, high: f64, rng: &mut R) -> Self {
        let dist = Uniform::new(low, high).expect("Matrix::random_uniform: need low < high, both finite");
        Matrix::from_fn(rows, cols, |_, _| T::from_f64(dist.sample(rng)))
    }
    /// Converts every element through `f64` (e.g. `Matrix<f32>` → `Matrix<f64>`).
    pub fn cast<U: Scalar>(&self) -> Matrix<U> {
        self.map(|&x| U::from_f64(x.value()))
    }
    /// The matrix product `self · other` (no tape; see `MatVar::matmul` for the
    /// recorded version). Panics with both shapes if the inner dimensions differ.
    pub fn matmul(&self, other: &Matrix<T>) -> Matrix<T> {
        crate::rules::matmul_forward(self, false, other, false)
    }
    /// The column of each row's largest element: one index per row, the
    /// predicted class of each row of logits or probabilities.
    ///
    /// Ties go to the **first** (leftmost) index. **NaN wins**: a row holding a
    /// NaN returns the index of its first NaN, as [`Scalar::max`] picks a NaN
    /// operand, so a poisoned row is found rather than hidden behind a finite
    /// value. Elements compare by [`value`](Scalar::value) (the real part of a
    /// dual number).
    ///
    /// Panics if the matrix has rows but no columns (a row with no element
    /// has no largest one).
    ///
    /// ```
    /// use wengert_ops::Matrix;
    /// let logits = Matrix::from_rows(&[[0.1, 2.0, -1.0], [3.0, 3.0, 0.0], [1.0, f64::NAN, 9.0]]);
    /// assert_eq!(logits.argmax_rows(), vec![1, 0, 1]); // first on ties, NaN wins
    /// ```
    pub fn argmax_rows(&self) -> Vec<usize> {
        assert!(
            self.cols > 0 || self.rows == 0,
            "argmax_rows: {} has no columns to take a maximum over",
            shape_str(self.shape())
        );
        self.row_iter()
            .map(|row| {
                let mut best = 0;
                let mut best_value = row[0].value();
                for (j, x) in row.iter().enumerate() {
                    let v = x.value();
                    if v.is_nan() {
                        return j;
                    }
                    if v > best_value {
                        (best, best_value) = (j, v);
                    }
                }
                best
            })
            .collect()
    }
    /// Largest absolute difference between two matrices of the same shape.
    pub fn max_abs_diff(&self, other: &Matrix<T>) -> f64 {
        assert_eq!(self.shape(), other.shape(), "max_abs_diff: shapes differ");
        self.iter().zip(other.iter()).map(|(a, b)| (a.value() - b.value()).abs()).fold(0.0, f64::max)
    }
}

impl<T> Index<(usize, usize)> for Matrix<T> {
    type Output = T;
    #[inline]
    fn index(&self, (i, j): (usize, usize)) -> &T {
        assert!(i < self.rows && j < self.cols, "Matrix index ({i}, {j}) out of range for {}", shape_str(self.shape()));
        &self.data[i * self.cols + j]
    }
}

impl<T: Clone> IndexMut<(usize, usize)> for Matrix<T> {
    #[inline]
    fn index_mut(&mut self, (i, j): (usize, usize)) -> &mut T {
        assert!(i < self.rows && j < self.cols, "Matrix index ({i}, {j}) out of range for {}", shape_str(self.shape()));
        let cols = self.cols;
        &mut self.as_mut_slice()[i * cols + j]
    }
}

impl<T: PartialEq> PartialEq for Matrix<T> {
    fn eq(&self, other: &Self) -> bool {
        self.shape() == other.shape() && self.data == other.data
    }
}

impl<T: fmt::Display> fmt::Display for Matrix<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Matrix {}", shape_str(self.shape()))?;
        for i in 0..self.rows {
            write!(f, "[")?;
            for j in 0..self.cols {
                if j > 0 {
                    write!(f, ", ")?;
                }
                match f.precision() {
                    Some(p) => write!(f, "{:.*}", p, self.data[i * self.cols + j])?,
                    None => write!(f, "{}", self.data[i * self.cols + j])?,
                }
            }
            writeln!(f, "]")?;
        }
        Ok(())
    }
}

impl<T: fmt::Debug> fmt::Debug for Matrix<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Matrix").field("rows", &self.rows).field("cols", &self.cols).field("data", &self.data).finish()
    }
}

impl<'a, T> IntoIterator for &'a Matrix<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.data.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn constructors_and_indexing() {
        let m: Matrix<f64> = Matrix::identity(3);
        assert_eq!(m[(1, 1)], 1.0);
        assert_eq!(m[(0, 1)], 0.0);
        let v = Matrix::from_vec(2, 3, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(v.row(1), &[4.0, 5.0, 6.0]);
        assert_eq!(v.transpose().shape(), (3, 2));
        assert_eq!(v.transpose()[(2, 1)], 6.0);
        assert_eq!(v.reshape(3, 2)[(2, 1)], 6.0);
        let s = format!("{v:.1}");
        assert!(s.contains("(2×3)") && s.contains("[4.0, 5.0, 6.0]"), "{s}");
        assert_eq!(v.row_iter().count(), 2);
    }

    #[test]
    fn writes_copy_only_shared_storage() {
        let mut a = Matrix::from_vec(1, 2, vec![1.0, 2.0]);
        let b = a.clone();
        assert!(a.is_shared());
        a[(0, 0)] = 9.0;
        assert_eq!(b[(0, 0)], 1.0, "the clone must not see the write");
        assert!(!a.is_shared());
        let ptr = a.as_slice().as_ptr();
        a.as_mut_slice()[1] = 7.0;
        assert_eq!(a.as_slice().as_ptr(), ptr, "an unshared write happens in place");
    }

    #[test]
    #[should_panic(expected = "Matrix::from_vec: 5 elements do not fill (2×3)")]
    fn from_vec_checks_the_element_count() {
        let _ = Matrix::from_vec(2, 3, vec![0.0f64; 5]);
    }

    #[test]
    fn argmax_rows_takes_the_first_maximum_and_lets_nan_win() {
        let m = Matrix::from_rows(&[
            [1.0, 5.0, 5.0, 2.0],
            [-3.0, -3.0, -3.0, -3.0],
            [f64::NEG_INFINITY, f64::NEG_INFINITY, -1e308, f64::INFINITY],
            [0.0, 7.0, f64::NAN, f64::NAN],
            [f64::NAN, 9.0, 1.0, 0.0],
            [-0.0, 0.0, -1.0, -0.0],
        ]);
        assert_eq!(m.argmax_rows(), vec![1, 0, 3, 2, 0, 0]);
        let single: Matrix<f32> = Matrix::from_rows(&[[4.0f32], [-1.0]]);
        assert_eq!(single.argmax_rows(), vec![0, 0]);
        assert_eq!(Matrix::<f64>::zeros(0, 3).argmax_rows(), Vec::<usize>::new());
        assert_eq!(Matrix::<f64>::zeros(0, 0).argmax_rows(), Vec::<usize>::new());
    }

    #[test]
    #[should_panic(expected = "argmax_rows: (2×0) has no columns to take a maximum over")]
    fn argmax_rows_needs_a_column() {
        let _ = Matrix::<f64>::zeros(2, 0).argmax_rows();
    }

    #[test]
    fn random_matrices_are_seeded() {
        let mut r1 = rand::rngs::StdRng::seed_from_u64(7);
        let mut r2 = rand::rngs::StdRng::seed_from_u64(7);
        let a: Matrix<f64> = Matrix::random_normal(3, 4, 0.0, 1.0, &mut r1);
        let b: Matrix<f64> = Matrix::random_normal(3, 4, 0.0, 1.0, &mut r2);
        assert_eq!(a, b);
        let u: Matrix<f32> = Matrix::random_uniform(10, 10, -1.0, 1.0, &mut r1);
        assert!(u.iter().all(|&x| (-1.0..1.0).contains(&x)));
    }
}
