//! Ops that move elements without arithmetic: transpose, reshape, slices,
//! concatenation and row gathering.
//!
//! Their VJPs move the adjoint back to where each element came from. The one
//! with a subtlety is `gather_rows` (an embedding or factor lookup): an index may
//! repeat within a batch, so its backward is a scatter-*add*, never a scatter
//! that would let the last occurrence overwrite the others.

use std::ops::Range;

use crate::matrix::{shape_str, Matrix};
use crate::scalar::Scalar;

/// `out = xᵀ`.
pub fn transpose_forward<T: Scalar>(x: &Matrix<T>, out: &mut [T]) {
    let (m, n) = x.shape();
    for i in 0..m {
        for j in 0..n {
            out[j * m + i] = x.as_slice()[i * n + j];
        }
    }
}

/// `gx += gᵀ` for `x` of shape `x_shape` (so `g` is `n × m`).
pub fn transpose_vjp<T: Scalar>(x_shape: (usize, usize), g: &[T], gx: &mut [T]) {
    let (m, n) = x_shape;
    for i in 0..m {
        for j in 0..n {
            gx[i * n + j] += g[j * m + i];
        }
    }
}

/// Shape check of `reshape`: the element count must be kept.
pub fn reshape_shape(x: (usize, usize), rows: usize, cols: usize) -> (usize, usize) {
    assert!(x.0 * x.1 == rows * cols, "reshape: {} cannot be viewed as {}", shape_str(x), shape_str((rows, cols)));
    (rows, cols)
}

/// Shape check of `slice_rows`: `range` within `0..rows`; output `len × cols`.
pub fn slice_rows_shape(x: (usize, usize), range: &Range<usize>) -> (usize, usize) {
    assert!(
        range.start <= range.end && range.end <= x.0,
        "slice_rows: rows {}..{} out of range for {}",
        range.start,
        range.end,
        shape_str(x)
    );
    (range.end - range.start, x.1)
}

/// `out = x[range, :]`.
pub fn slice_rows_forward<T: Scalar>(x: &Matrix<T>, range: Range<usize>, out: &mut [T]) {
    let n = x.cols();
    out.copy_from_slice(&x.as_slice()[range.start * n..range.end * n]);
}

/// `gx[range, :] += g`.
pub fn slice_rows_vjp<T: Scalar>(x_shape: (usize, usize), range: Range<usize>, g: &[T], gx: &mut [T]) {
    let n = x_shape.1;
    for (gx, &g) in gx[range.start * n..range.end * n].iter_mut().zip(g) {
        *gx += g;
    }
}

/// Shape check of `slice_cols`: `range` within `0..cols`; output `rows × len`.
pub fn slice_cols_shape(x: (usize, usize), range: &Range<usize>) -> (usize, usize) {
    assert!(
        range.start <= range.end && range.end <= x.1,
        "slice_cols: columns {}..{} out of range for {}",
        range.start,
        range.end,
        shape_str(x)
    );
    (x.0, range.end - range.start)
}

/// `out = x[:, range]`.
pub fn slice_cols_forward<T: Scalar>(x: &Matrix<T>, range: Range<usize>, out: &mut [T]) {
    let w = range.end - range.start;
    for (i, row) in x.row_iter().enumerate() {
        out[i * w..(i + 1) * w].copy_from_slice(&row[range.clone()]);
    }
}

/// `gx[:, range] += g`.
pub fn slice_cols_vjp<T: Scalar>(x_shape: (usize, usize), range: Range<usize>, g: &[T], gx: &mut [T]) {
    let (m, n) = x_shape;
    let w = range.end - range.start;
    for i in 0..m {
        for (k, j) in range.clone().enumerate() {
            gx[i * n + j] += g[i * w + k];
        }
    }
}

/// Shape check of `concat_rows` (stack vertically): at least one input, all with
/// the same number of columns.
pub fn concat_rows_shape(inputs: &[(usize, usize)]) -> (usize, usize) {
    assert!(!inputs.is_empty(), "concat_rows: needs at least one input");
    let cols = inputs[0].1;
    if let Some(bad) = inputs.iter().find(|s| s.1 != cols) {
        panic!("concat_rows: {} and {} have different column counts", shape_str(inputs[0]), shape_str(*bad));
    }
    (inputs.iter().map(|s| s.0).sum(), cols)
}

/// `out = [x₀; x₁; …]`.
pub fn concat_rows_forward<T: Scalar>(inputs: &[&Matrix<T>], out: &mut [T]) {
    let mut at = 0;
    for x in inputs {
        out[at..at + x.len()].copy_from_slice(x.as_slice());
        at += x.len();
    }
}

/// Each `gxₖ +=` its block of rows of `g`.
pub fn concat_rows_vjp<T: Scalar>(shapes: &[(usize, usize)], g: &[T], grads: &mut [Option<&mut [T]>]) {
    let mut at = 0;
    for (s, gx) in shapes.iter().zip(grads.iter_mut()) {
        let len = s.0 * s.1;
        if let Some(gx) = gx.as_deref_mut() {
            gx.iter_mut().zip(&g[at..at + len]).for_each(|(gx, &g)| *gx += g);
        }
        at += len;
    }
}

/// Shape check of `concat_cols` (side by side): at least one input, all with the
/// same number of rows.
pub fn concat_cols_shape(inputs: &[(usize, usize)]) -> (usize, usize) {
    assert!(!inputs.is_empty(), "concat_cols: needs at least one input");
    let rows = inputs[0].0;
    if let Some(bad) = inputs.iter().find(|s| s.0 != rows) {
        panic!("concat_cols: {} and {} have different row counts", shape_str(inputs[0]), shape_str(*bad));
    }
    (rows, inputs.iter().map(|s| s.1).sum())
}

/// `out = [x₀, x₁, …]`.
pub fn concat_cols_forward<T: Scalar>(inputs: &[&Matrix<T>], out: &mut [T]) {
    let total: usize = inputs.iter().map(|x| x.cols()).sum();
    let mut off = 0;
    for x in inputs {
        let w = x.cols();
        for (i, row) in x.row_iter().enumerate() {
            out[i * total + off..i * total + off + w].copy_from_slice(row);
        }
        off += w;
    }
}

/// Each `gxₖ +=` its block of columns of `g`.
pub fn concat_cols_vjp<T: Scalar>(shapes: &[(usize, usize)], g: &[T], grads: &mut [Option<&mut [T]>]) {
    let total: usize = shapes.iter().map(|s| s.1).sum();
    let mut off = 0;
    for (&(m, w), gx) in shapes.iter().zip(grads.iter_mut()) {
        if let Some(gx) = gx.as_deref_mut() {
            for i in 0..m {
                for k in 0..w {
                    gx[i * w + k] += g[i * total + off + k];
                }
            }
        }
        off += w;
    }
}

/// Shape check of `gather_rows`: every index below the row count; output
/// `idx.len() × cols`.
pub fn gather_rows_shape(x: (usize, usize), idx: &[usize]) -> (usize, usize) {
    if let Some(&bad) = idx.iter().find(|&&i| i >= x.0) {
        panic!("gather_rows: index {bad} out of range for {}", shape_str(x));
    }
    (idx.len(), x.1)
}

/// `out[k, :] = x[idx[k], :]`.
pub fn gather_rows_forward<T: Scalar>(x: &Matrix<T>, idx: &[usize], out: &mut [T]) {
    let n = x.cols();
    for (k, &i) in idx.iter().enumerate() {
        out[k * n..(k + 1) * n].copy_from_slice(x.row(i));
    }
}

/// Scatter-add: `gx[idx[k], :] += g[k, :]` for every `k` (repeats accumulate).
pub fn gather_rows_vjp<T: Scalar>(x_shape: (usize, usize), idx: &[usize], g: &[T], gx: &mut [T]) {
    let n = x_shape.1;
    for (k, &i) in idx.iter().enumerate() {
        for (gx, &g) in gx[i * n..(i + 1) * n].iter_mut().zip(&g[k * n..(k + 1) * n]) {
            *gx += g;
        }
    }
}
