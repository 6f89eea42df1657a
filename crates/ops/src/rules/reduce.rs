//! Reductions and products to smaller shapes: sum and mean (over everything, per
//! row, per column), max per row, the dot product of two matrices and the outer
//! product of two vectors.
//!
//! Why the per-row/per-column forms are separate ops rather than a sum after a
//! matmul with a ones vector: they are the backward of broadcasting and appear
//! in every loss, so they should cost one pass and no allocation.
//! `max_rows` sends the whole adjoint of a row to its *first* arg-max (ties are
//! broken to the left), a subgradient; with no ties it is the gradient.

use crate::matrix::{shape_str, Matrix};
use crate::scalar::Scalar;

/// Which elements a reduction combines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Axis {
    /// All elements → `1 × 1`.
    All,
    /// Each row separately → `m × 1`.
    PerRow,
    /// Each column separately → `1 × n`.
    PerCol,
}

impl Axis {
    /// Output shape of reducing an `m × n` matrix.
    pub fn reduced_shape(&self, (m, n): (usize, usize)) -> (usize, usize) {
        match self {
            Axis::All => (1, 1),
            Axis::PerRow => (m, 1),
            Axis::PerCol => (1, n),
        }
    }
    /// Output index that input element `(i, j)` is reduced into.
    #[inline]
    fn target(&self, i: usize, j: usize) -> usize {
        match self {
            Axis::All => 0,
            Axis::PerRow => i,
            Axis::PerCol => j,
        }
    }
    /// How many elements each output combines, for an `m × n` input.
    pub fn count(&self, (m, n): (usize, usize)) -> usize {
        match self {
            Axis::All => m * n,
            Axis::PerRow => n,
            Axis::PerCol => m,
        }
    }
}

/// `out = Σ x` along `axis` (times `scale`, which `mean` sets to `1/count`).
fn reduce_forward<T: Scalar>(axis: Axis, x: &Matrix<T>, scale: Option<T>, out: &mut [T]) {
    out.iter_mut().for_each(|o| *o = T::zero());
    let n = x.cols();
    for (idx, &v) in x.iter().enumerate() {
        out[axis.target(idx / n, idx % n)] += v;
    }
    if let Some(s) = scale {
        out.iter_mut().for_each(|o| *o *= s);
    }
}

fn reduce_vjp<T: Scalar>(axis: Axis, x_shape: (usize, usize), g: &[T], scale: Option<T>, gx: &mut [T]) {
    let n = x_shape.1;
    for (idx, gx) in gx.iter_mut().enumerate() {
        let gi = g[axis.target(idx / n, idx % n)];
        *gx += match scale {
            Some(s) => gi * s,
            None => gi,
        };
    }
}

/// Sum along `axis`.
pub fn sum_forward<T: Scalar>(axis: Axis, x: &Matrix<T>, out: &mut [T]) {
    reduce_forward(axis, x, None, out);
}

/// `gx += g` broadcast back along `axis`.
pub fn sum_vjp<T: Scalar>(axis: Axis, x_shape: (usize, usize), g: &[T], gx: &mut [T]) {
    reduce_vjp(axis, x_shape, g, None, gx);
}

fn mean_scale<T: Scalar>(axis: Axis, shape: (usize, usize)) -> T {
    // A mean over zero elements is 0/0 = NaN, as in NumPy.
    T::from_f64(1.0 / axis.count(shape) as f64)
}

/// Mean along `axis` (NaN over an empty axis).
pub fn mean_forward<T: Scalar>(axis: Axis, x: &Matrix<T>, out: &mut [T]) {
    reduce_forward(axis, x, Some(mean_scale(axis, x.shape())), out);
}

/// `gx += g / count` broadcast back along `axis`.
pub fn mean_vjp<T: Scalar>(axis: Axis, x_shape: (usize, usize), g: &[T], gx: &mut [T]) {
    reduce_vjp(axis, x_shape, g, Some(mean_scale(axis, x_shape)), gx);
}

/// Shape check of `max_rows`: needs at least one column.
pub fn max_rows_shape(x: (usize, usize)) -> (usize, usize) {
    assert!(x.1 > 0, "max_rows: {} has no columns to take a maximum over", shape_str(x));
    (x.0, 1)
}

/// Index of the first maximum of a non-empty row (by value).
fn first_argmax<T: Scalar>(row: &[T]) -> usize {
    let mut best = 0;
    for (j, v) in row.iter().enumerate().skip(1) {
        if v.value() > row[best].value() {
            best = j;
        }
    }
    best
}

/// `out[i] = maxⱼ xᵢⱼ` (`m × 1`).
pub fn max_rows_forward<T: Scalar>(x: &Matrix<T>, out: &mut [T]) {
    for (o, row) in out.iter_mut().zip(x.row_iter()) {
        *o = row[first_argmax(row)];
    }
}

/// `gx[i, argmaxᵢ] += g[i]`, the first arg-max of each row.
pub fn max_rows_vjp<T: Scalar>(x: &Matrix<T>, g: &[T], gx: &mut [T]) {
    let n = x.cols();
    for (i, row) in x.row_iter().enumerate() {
        gx[i * n + first_argmax(row)] += g[i];
    }
}

/// Shape check of `dot`: both operands the same shape; output `1 × 1`.
pub fn dot_shape(a: (usize, usize), b: (usize, usize)) -> (usize, usize) {
    assert!(a == b, "dot: {} and {} must have the same shape", shape_str(a), shape_str(b));
    (1, 1)
}

/// `out = Σ aᵢⱼ bᵢⱼ`.
pub fn dot_forward<T: Scalar>(a: &Matrix<T>, b: &Matrix<T>, out: &mut [T]) {
    out[0] = a.iter().zip(b.iter()).fold(T::zero(), |acc, (&x, &y)| acc + x * y);
}

/// `ga += g·b`, `gb += g·a`.
pub fn dot_vjp<T: Scalar>(a: &Matrix<T>, b: &Matrix<T>, g: &[T], ga: Option<&mut [T]>, gb: Option<&mut [T]>) {
    let g0 = g[0];
    if let Some(ga) = ga {
        ga.iter_mut().zip(b.iter()).for_each(|(ga, &y)| *ga += g0 * y);
    }
    if let Some(gb) = gb {
        gb.iter_mut().zip(a.iter()).for_each(|(gb, &x)| *gb += g0 * x);
    }
}

/// Shape check of `outer`: two vectors (each `1 × k` or `k × 1`) of lengths `m`
/// and `n`; output `m × n`.
pub fn outer_shape(u: (usize, usize), v: (usize, usize)) -> (usize, usize) {
    let is_vec = |s: (usize, usize)| s.0 == 1 || s.1 == 1;
    assert!(is_vec(u) && is_vec(v), "outer: {} and {} must both be vectors (1×n or n×1)", shape_str(u), shape_str(v));
    (u.0 * u.1, v.0 * v.1)
}

/// `out[i, j] = uᵢ vⱼ`.
pub fn outer_forward<T: Scalar>(u: &Matrix<T>, v: &Matrix<T>, out: &mut [T]) {
    let n = v.len();
    for (i, &ui) in u.iter().enumerate() {
        for (j, &vj) in v.iter().enumerate() {
            out[i * n + j] = ui * vj;
        }
    }
}

/// `gu += G·v`, `gv += Gᵀ·u`.
pub fn outer_vjp<T: Scalar>(u: &Matrix<T>, v: &Matrix<T>, g: &[T], gu: Option<&mut [T]>, gv: Option<&mut [T]>) {
    let n = v.len();
    if let Some(gu) = gu {
        for (i, gu) in gu.iter_mut().enumerate() {
            *gu += v.iter().enumerate().fold(T::zero(), |acc, (j, &vj)| acc + g[i * n + j] * vj);
        }
    }
    if let Some(gv) = gv {
        for (j, gv) in gv.iter_mut().enumerate() {
            *gv += u.iter().enumerate().fold(T::zero(), |acc, (i, &ui)| acc + g[i * n + j] * ui);
        }
    }
}
