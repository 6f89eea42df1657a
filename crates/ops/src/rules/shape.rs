//! Ops that move elements without arithmetic: transpose, reshape, slices,
//! concatenation and row gathering.
//!
//! Their VJPs move the adjoint back to where each element came from. The one
//! with a subtlety is `gather_rows` (an embedding or factor lookup): an index may
//! repeat within a batch, so its backward is a scatter-*add*, never a scatter
//! that would let the last occurrence overwrite the others.
//!
//! All of them are linear, so each JVP is the op applied to the tangents (a
//! missing tangent contributing zeros).

use crate::matrix::{shape_str, Matrix};
use crate::rules::{op_family, Arity, Rule, Spares};
use crate::scalar::Scalar;

op_family! {
    /// The ops that move elements without arithmetic.
    pub enum ShapeOp in Builtin::Shape {
        Transpose = Transpose,
        Reshape = Reshape { rows: 1, cols: 4 },
        SliceRows = SliceRows { start: 0, end: 1 },
        SliceCols = SliceCols { start: 0, end: 1 },
        ConcatRows = ConcatRows,
        ConcatCols = ConcatCols,
        GatherRows = GatherRows(vec![0, 0]),
    }
}

/// `(x)`: `xᵀ`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Transpose;

impl Rule for Transpose {
    fn name(&self) -> &'static str {
        "transpose"
    }
    fn arity(&self) -> Arity {
        Arity::Exactly(1)
    }
    fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize) {
        (inputs[0].1, inputs[0].0)
    }
    fn forward<T: Scalar>(&self, inputs: &[&Matrix<T>], out: &mut [T]) {
        transpose_into(inputs[0].as_slice(), inputs[0].shape(), out);
    }
    /// `gx += gᵀ` (`g` is `n × m`).
    fn vjp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, g: &[T], grads: &mut [Option<&mut [T]>]) {
        let Some(gx) = grads[0].as_deref_mut() else { return };
        let (m, n) = inputs[0].shape();
        for i in 0..m {
            for j in 0..n {
                gx[i * n + j] += g[j * m + i];
            }
        }
    }
    fn jvp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, tangents: &[Option<&[T]>], out: &mut [T]) {
        match tangents[0] {
            Some(t) => transpose_into(t, inputs[0].shape(), out),
            None => out.fill(T::zero()),
        }
    }
}

/// `out = xᵀ` for `x` row-major `m × n`.
fn transpose_into<T: Copy>(x: &[T], (m, n): (usize, usize), out: &mut [T]) {
    for i in 0..m {
        for j in 0..n {
            out[j * m + i] = x[i * n + j];
        }
    }
}

/// `(x)`: the same elements, row-major, as `rows × cols` (the element count
/// must be kept).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reshape {
    /// New row count.
    pub rows: usize,
    /// New column count.
    pub cols: usize,
}

impl Rule for Reshape {
    fn name(&self) -> &'static str {
        "reshape"
    }
    fn arity(&self) -> Arity {
        Arity::Exactly(1)
    }
    fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize) {
        let (x, to) = (inputs[0], (self.rows, self.cols));
        assert!(x.0 * x.1 == to.0 * to.1, "reshape: {} cannot be viewed as {}", shape_str(x), shape_str(to));
        to
    }
    fn forward<T: Scalar>(&self, inputs: &[&Matrix<T>], out: &mut [T]) {
        out.copy_from_slice(inputs[0].as_slice());
    }
    /// `gx += g`, reinterpreted.
    fn vjp<T: Scalar>(&self, _: &[&Matrix<T>], _: &Matrix<T>, g: &[T], grads: &mut [Option<&mut [T]>]) {
        if let Some(gx) = grads[0].as_deref_mut() {
            gx.iter_mut().zip(g).for_each(|(gx, &g)| *gx += g);
        }
    }
    fn jvp<T: Scalar>(&self, _: &[&Matrix<T>], _: &Matrix<T>, tangents: &[Option<&[T]>], out: &mut [T]) {
        copy_or_zero(tangents[0], out);
    }
}

/// `out = t`, or zeros for a missing tangent.
fn copy_or_zero<T: Scalar>(t: Option<&[T]>, out: &mut [T]) {
    match t {
        Some(t) => out.copy_from_slice(t),
        None => out.fill(T::zero()),
    }
}

/// `(x)`: rows `start..end` (within `0..rows`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SliceRows {
    /// First row.
    pub start: usize,
    /// One past the last row.
    pub end: usize,
}

impl Rule for SliceRows {
    fn name(&self) -> &'static str {
        "slice_rows"
    }
    fn arity(&self) -> Arity {
        Arity::Exactly(1)
    }
    fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize) {
        let (x, (start, end)) = (inputs[0], (self.start, self.end));
        assert!(start <= end && end <= x.0, "slice_rows: rows {start}..{end} out of range for {}", shape_str(x));
        (end - start, x.1)
    }
    fn forward<T: Scalar>(&self, inputs: &[&Matrix<T>], out: &mut [T]) {
        let n = inputs[0].cols();
        out.copy_from_slice(&inputs[0].as_slice()[self.start * n..self.end * n]);
    }
    /// `gx[start..end, :] += g`.
    fn vjp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, g: &[T], grads: &mut [Option<&mut [T]>]) {
        let Some(gx) = grads[0].as_deref_mut() else { return };
        let n = inputs[0].cols();
        for (gx, &g) in gx[self.start * n..self.end * n].iter_mut().zip(g) {
            *gx += g;
        }
    }
    fn jvp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, tangents: &[Option<&[T]>], out: &mut [T]) {
        let n = inputs[0].cols();
        copy_or_zero(tangents[0].map(|t| &t[self.start * n..self.end * n]), out);
    }
}

/// `(x)`: columns `start..end` (within `0..cols`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SliceCols {
    /// First column.
    pub start: usize,
    /// One past the last column.
    pub end: usize,
}

impl Rule for SliceCols {
    fn name(&self) -> &'static str {
        "slice_cols"
    }
    fn arity(&self) -> Arity {
        Arity::Exactly(1)
    }
    fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize) {
        let (x, (start, end)) = (inputs[0], (self.start, self.end));
        assert!(start <= end && end <= x.1, "slice_cols: columns {start}..{end} out of range for {}", shape_str(x));
        (x.0, end - start)
    }
    fn forward<T: Scalar>(&self, inputs: &[&Matrix<T>], out: &mut [T]) {
        self.slice_into(inputs[0].as_slice(), inputs[0].cols(), out);
    }
    /// `gx[:, start..end] += g`.
    fn vjp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, g: &[T], grads: &mut [Option<&mut [T]>]) {
        let Some(gx) = grads[0].as_deref_mut() else { return };
        let (m, n) = inputs[0].shape();
        let w = self.end - self.start;
        for i in 0..m {
            for (k, j) in (self.start..self.end).enumerate() {
                gx[i * n + j] += g[i * w + k];
            }
        }
    }
    fn jvp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, tangents: &[Option<&[T]>], out: &mut [T]) {
        match tangents[0] {
            Some(t) => self.slice_into(t, inputs[0].cols(), out),
            None => out.fill(T::zero()),
        }
    }
}

impl SliceCols {
    /// `out = x[:, start..end]` for `x` row-major with `n` columns.
    fn slice_into<T: Copy>(&self, x: &[T], n: usize, out: &mut [T]) {
        let w = self.end - self.start;
        if n == 0 || w == 0 {
            return;
        }
        for (row, out) in x.chunks_exact(n).zip(out.chunks_exact_mut(w)) {
            out.copy_from_slice(&row[self.start..self.end]);
        }
    }
}

/// `(x₀, x₁, …)`: stacked vertically (one or more inputs, all with the same
/// column count).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConcatRows;

impl Rule for ConcatRows {
    fn name(&self) -> &'static str {
        "concat_rows"
    }
    fn arity(&self) -> Arity {
        Arity::AtLeastOne
    }
    fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize) {
        assert!(!inputs.is_empty(), "concat_rows: needs at least one input");
        let cols = inputs[0].1;
        if let Some(bad) = inputs.iter().find(|s| s.1 != cols) {
            panic!("concat_rows: {} and {} have different column counts", shape_str(inputs[0]), shape_str(*bad));
        }
        (inputs.iter().map(|s| s.0).sum(), cols)
    }
    fn forward<T: Scalar>(&self, inputs: &[&Matrix<T>], out: &mut [T]) {
        let mut at = 0;
        for x in inputs {
            out[at..at + x.len()].copy_from_slice(x.as_slice());
            at += x.len();
        }
    }
    /// Each `gxₖ +=` its block of rows of `g`.
    fn vjp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, g: &[T], grads: &mut [Option<&mut [T]>]) {
        let mut at = 0;
        for (x, gx) in inputs.iter().zip(grads.iter_mut()) {
            let len = x.len();
            if let Some(gx) = gx.as_deref_mut() {
                gx.iter_mut().zip(&g[at..at + len]).for_each(|(gx, &g)| *gx += g);
            }
            at += len;
        }
    }
    fn jvp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, tangents: &[Option<&[T]>], out: &mut [T]) {
        let mut at = 0;
        for (x, t) in inputs.iter().zip(tangents) {
            copy_or_zero(*t, &mut out[at..at + x.len()]);
            at += x.len();
        }
    }
}

/// `(x₀, x₁, …)`: side by side (one or more inputs, all with the same row
/// count).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConcatCols;

impl Rule for ConcatCols {
    fn name(&self) -> &'static str {
        "concat_cols"
    }
    fn arity(&self) -> Arity {
        Arity::AtLeastOne
    }
    fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize) {
        assert!(!inputs.is_empty(), "concat_cols: needs at least one input");
        let rows = inputs[0].0;
        if let Some(bad) = inputs.iter().find(|s| s.0 != rows) {
            panic!("concat_cols: {} and {} have different row counts", shape_str(inputs[0]), shape_str(*bad));
        }
        (rows, inputs.iter().map(|s| s.1).sum())
    }
    fn forward<T: Scalar>(&self, inputs: &[&Matrix<T>], out: &mut [T]) {
        let parts = inputs.iter().map(|x| (Some(x.as_slice()), x.shape()));
        concat_cols_into(parts, out);
    }
    /// Each `gxₖ +=` its block of columns of `g`.
    fn vjp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, g: &[T], grads: &mut [Option<&mut [T]>]) {
        let total: usize = inputs.iter().map(|x| x.cols()).sum();
        let mut off = 0;
        for (x, gx) in inputs.iter().zip(grads.iter_mut()) {
            let (m, w) = x.shape();
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
    fn jvp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, tangents: &[Option<&[T]>], out: &mut [T]) {
        let parts = inputs.iter().zip(tangents).map(|(x, &t)| (t, x.shape()));
        concat_cols_into(parts, out);
    }
}

/// `out = [x₀, x₁, …]` from the parts' data (zeros for `None`) and shapes.
fn concat_cols_into<'a, T: Scalar + 'a>(
    parts: impl Iterator<Item = (Option<&'a [T]>, (usize, usize))> + Clone,
    out: &mut [T],
) {
    let total: usize = parts.clone().map(|(_, s)| s.1).sum();
    let mut off = 0;
    for (data, (m, w)) in parts {
        for i in 0..m {
            let dst = &mut out[i * total + off..i * total + off + w];
            copy_or_zero(data.map(|d| &d[i * w..(i + 1) * w]), dst);
        }
        off += w;
    }
}

/// `(x)`: rows `x[idx[0]], x[idx[1]], …` (an embedding lookup, every index below
/// the row count); the backward scatter-adds, so repeated indices accumulate.
#[derive(Clone, Debug, PartialEq)]
pub struct GatherRows(pub Vec<usize>);

impl Rule for GatherRows {
    fn name(&self) -> &'static str {
        "gather_rows"
    }
    fn arity(&self) -> Arity {
        Arity::Exactly(1)
    }
    fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize) {
        let x = inputs[0];
        if let Some(&bad) = self.0.iter().find(|&&i| i >= x.0) {
            panic!("gather_rows: index {bad} out of range for {}", shape_str(x));
        }
        (self.0.len(), x.1)
    }
    fn forward<T: Scalar>(&self, inputs: &[&Matrix<T>], out: &mut [T]) {
        gather_into(&self.0, inputs[0].as_slice(), inputs[0].cols(), out);
    }
    /// Scatter-add: `gx[idx[k], :] += g[k, :]` for every `k`.
    fn vjp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, g: &[T], grads: &mut [Option<&mut [T]>]) {
        let Some(gx) = grads[0].as_deref_mut() else { return };
        let n = inputs[0].cols();
        for (k, &i) in self.0.iter().enumerate() {
            for (gx, &g) in gx[i * n..(i + 1) * n].iter_mut().zip(&g[k * n..(k + 1) * n]) {
                *gx += g;
            }
        }
    }
    fn jvp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, tangents: &[Option<&[T]>], out: &mut [T]) {
        match tangents[0] {
            Some(t) => gather_into(&self.0, t, inputs[0].cols(), out),
            None => out.fill(T::zero()),
        }
    }
    /// The index vector goes back to the tape's spares.
    fn recycle(self, spares: &mut Spares) {
        spares.give_index_vec(self.0);
    }
}

/// `out[k, :] = x[idx[k], :]` for `x` row-major with `n` columns.
fn gather_into<T: Copy>(idx: &[usize], x: &[T], n: usize, out: &mut [T]) {
    for (k, &i) in idx.iter().enumerate() {
        out[k * n..(k + 1) * n].copy_from_slice(&x[i * n..(i + 1) * n]);
    }
}
