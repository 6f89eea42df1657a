//! Greedy column coloring: columns of one color share no row, so one
//! directional derivative along the sum of their unit vectors gives every one
//! of their entries at once (Curtis–Powell–Reid).
//!
//! Used for the Jacobian (forward sweeps, one per color) and, unchanged, for the
//! Hessian: a column coloring of the symmetric pattern is a *distance-2*
//! coloring of its adjacency graph, which is symmetric-safe (every entry is
//! read directly from one Hessian-vector product, `H_ij = (H s_{c(j)})_i`) but
//! does not exploit symmetry. A star coloring would use fewer colors on some
//! patterns (an arrowhead: 2 instead of `n`); on banded patterns, such as the
//! tridiagonal Hessian of extended Rosenbrock, both need the bandwidth (3).
//!
//! Greedy in natural order uses at most `Δ + 1` colors, `Δ` the largest number
//! of other columns a column shares a row with. It uses exactly `ρ` (the largest
//! row degree, a lower bound) on banded patterns; no coloring can promise
//! `ρ + 1` in general (rows that are the edges of a complete graph on 5 columns
//! have `ρ = 2` and need 5 colors) — a test shows both.

use super::csr::SparsityPattern;

/// A coloring of a pattern's columns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnColoring {
    /// The color of each column, `0..count`.
    pub colors: Vec<u32>,
    /// Number of colors.
    pub count: usize,
}

/// Colors the columns of `pattern` greedily (each column, in order, the
/// smallest color no column sharing a row with it has), so that columns of one
/// color share no row.
///
/// Used for Jacobians and, unchanged, for Hessians: on a symmetric pattern this
/// is a distance-2 coloring, symmetric-safe with direct recovery
/// (`H_ij = (H s_c(j))_i`) but blind to symmetry (a star coloring can use fewer
/// colors, e.g. on an arrowhead). It uses at most `Δ + 1` colors (`Δ` the most
/// other columns one column shares rows with), exactly the largest row degree
/// on banded patterns; no coloring can promise "largest row degree + 1" in
/// general:
///
/// ```
/// use wengert_tape::compile::{color_columns, SparsityPattern};
/// // Rows are the 10 edges of the complete graph on 5 columns: each row has 2
/// // entries, yet every pair of columns shares a row.
/// let edges: Vec<Vec<u32>> = (0..5u32).flat_map(|a| (a + 1..5).map(move |b| vec![a, b])).collect();
/// let p = SparsityPattern::from_rows(5, &edges);
/// assert_eq!((p.max_row_degree(), color_columns(&p).count), (2, 5));
/// ```
pub fn color_columns(pattern: &SparsityPattern) -> ColumnColoring {
    // Column → rows (the transpose, by a counting sort).
    let mut col_ptr = vec![0usize; pattern.cols + 1];
    for &j in &pattern.col_idx {
        col_ptr[j + 1] += 1;
    }
    for j in 0..pattern.cols {
        col_ptr[j + 1] += col_ptr[j];
    }
    let mut col_rows = vec![0usize; pattern.nnz()];
    let mut next = col_ptr.clone();
    for i in 0..pattern.rows {
        for &j in pattern.row(i) {
            col_rows[next[j]] = i;
            next[j] += 1;
        }
    }
    let mut colors = vec![u32::MAX; pattern.cols];
    // `forbidden[c] == j + 1`: color c is taken by a neighbor of column j.
    let mut forbidden: Vec<usize> = Vec::new();
    let mut count = 0usize;
    for j in 0..pattern.cols {
        for &i in &col_rows[col_ptr[j]..col_ptr[j + 1]] {
            for &k in pattern.row(i) {
                let c = colors[k];
                if c != u32::MAX {
                    forbidden[c as usize] = j + 1;
                }
            }
        }
        let c = (0..count).find(|&c| forbidden[c] != j + 1).unwrap_or(count);
        if c == count {
            count += 1;
            forbidden.push(0);
        }
        colors[j] = c as u32;
    }
    ColumnColoring { colors, count }
}

/// Whether `coloring` is valid for `pattern`: no row holds two columns of one
/// color.
pub fn is_valid_coloring(pattern: &SparsityPattern, coloring: &ColumnColoring) -> bool {
    (0..pattern.rows).all(|i| {
        let mut seen: Vec<u32> = pattern.row(i).iter().map(|&j| coloring.colors[j]).collect();
        seen.sort_unstable();
        seen.windows(2).all(|w| w[0] != w[1])
    })
}
