//! [`SparsityPattern`] and [`CsrMatrix`]: compressed sparse rows, hand-written.
//!
//! Why not a crate (`sprs`, `nalgebra-sparse`): a compiled function only
//! produces these (pattern, then values in the same order) and converts to a
//! dense [`Matrix`] for checking; a dependency would bring its own matrix types
//! and traits for four fields and two loops. Callers that need a sparse solver
//! pass `row_ptr`/`col_idx`/`values` on; the layout is the standard one.

use wengert_ops::Matrix;

/// Which entries of a `rows × cols` matrix can be nonzero, row by row:
/// row `i`'s columns are `col_idx[row_ptr[i]..row_ptr[i + 1]]`, ascending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SparsityPattern {
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
    /// Start of each row in `col_idx` (length `rows + 1`).
    pub row_ptr: Vec<usize>,
    /// Column of each entry.
    pub col_idx: Vec<usize>,
}

impl SparsityPattern {
    /// A pattern from each row's sorted, duplicate-free column list.
    pub fn from_rows(cols: usize, rows: &[Vec<u32>]) -> Self {
        let mut row_ptr = Vec::with_capacity(rows.len() + 1);
        let mut col_idx = Vec::with_capacity(rows.iter().map(Vec::len).sum());
        row_ptr.push(0);
        for r in rows {
            col_idx.extend(r.iter().map(|&c| c as usize));
            row_ptr.push(col_idx.len());
        }
        SparsityPattern { rows: rows.len(), cols, row_ptr, col_idx }
    }

    /// Number of (structurally) nonzero entries.
    pub fn nnz(&self) -> usize {
        self.col_idx.len()
    }

    /// The columns of row `i`.
    pub fn row(&self, i: usize) -> &[usize] {
        &self.col_idx[self.row_ptr[i]..self.row_ptr[i + 1]]
    }

    /// The largest number of entries in one row.
    pub fn max_row_degree(&self) -> usize {
        (0..self.rows).map(|i| self.row(i).len()).max().unwrap_or(0)
    }

    /// Whether entry `(i, j)` is in the pattern.
    pub fn contains(&self, i: usize, j: usize) -> bool {
        self.row(i).binary_search(&j).is_ok()
    }
}

/// A sparse matrix in compressed sparse row form: a [`SparsityPattern`] and one
/// value per entry.
///
/// ```
/// use wengert_tape::compile::compile;
/// let f = compile(|x| x[0] * x[1] + x[2].square(), &[1.0, 2.0, 3.0]).unwrap();
/// # use wengert_tape::Scalar;
/// let h = f.sparse_hessian(&[1.0, 2.0, 3.0]).unwrap();
/// assert_eq!(h.pattern.nnz(), 3); // (0,1), (1,0), (2,2)
/// assert_eq!(h.get(0, 1), 1.0);
/// assert_eq!(h.get(2, 2), 2.0);
/// assert_eq!(h.to_dense().as_slice(), &[0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 2.0]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct CsrMatrix {
    /// Where the entries are.
    pub pattern: SparsityPattern,
    /// The value of each entry, in `pattern.col_idx` order.
    pub values: Vec<f64>,
}

impl CsrMatrix {
    /// Entry `(i, j)` (0 outside the pattern).
    pub fn get(&self, i: usize, j: usize) -> f64 {
        let start = self.pattern.row_ptr[i];
        match self.pattern.row(i).binary_search(&j) {
            Ok(k) => self.values[start + k],
            Err(_) => 0.0,
        }
    }

    /// The matrix as coordinates: `(row, column, value)` per entry.
    pub fn to_coo(&self) -> Vec<(usize, usize, f64)> {
        (0..self.pattern.rows)
            .flat_map(|i| (self.pattern.row_ptr[i]..self.pattern.row_ptr[i + 1]).map(move |k| (i, k)))
            .map(|(i, k)| (i, self.pattern.col_idx[k], self.values[k]))
            .collect()
    }

    /// The dense matrix.
    pub fn to_dense(&self) -> Matrix<f64> {
        let mut m = Matrix::zeros(self.pattern.rows, self.pattern.cols);
        let cols = self.pattern.cols;
        for (i, j, v) in self.to_coo() {
            m.as_mut_slice()[i * cols + j] = v;
        }
        m
    }

    /// `y = A x`.
    pub fn mul_vec(&self, x: &[f64]) -> Vec<f64> {
        assert_eq!(
            x.len(),
            self.pattern.cols,
            "CsrMatrix::mul_vec: a vector of {} for {} columns",
            x.len(),
            self.pattern.cols
        );
        (0..self.pattern.rows)
            .map(|i| {
                (self.pattern.row_ptr[i]..self.pattern.row_ptr[i + 1])
                    .map(|k| self.values[k] * x[self.pattern.col_idx[k]])
                    .sum()
            })
            .collect()
    }
}
