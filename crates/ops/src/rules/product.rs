//! Products: the matrix product (either operand optionally transposed, without
//! materializing the transpose), the dot product of two matrices and the outer
//! product of two vectors.
//!
//! All three are bilinear, so each JVP is the product rule
//! `d(a∘b) = ȧ∘b + a∘ḃ`, computed with the same kernels as the value.

use crate::matrix::{shape_str, Matrix};
use crate::rules::{op_family, two, Arity, Rule};
use crate::scalar::{Scalar, Strided};

op_family! {
    /// The products.
    pub enum ProductOp in Builtin::Product {
        MatMul = MatMul { ta: false, tb: false },
        Dot = Dot,
        Outer = Outer,
    }
}

/// `(a, b)`: `op(a)·op(b)`, `op` transposing `a` if `ta` and `b` if `tb` (no
/// transpose is materialized). Names `matmul`, `matmul_tn`, `matmul_nt`,
/// `matmul_tt`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MatMul {
    /// Use `aᵀ`.
    pub ta: bool,
    /// Use `bᵀ`.
    pub tb: bool,
}

impl Rule for MatMul {
    fn name(&self) -> &'static str {
        matmul_name(self.ta, self.tb)
    }
    fn arity(&self) -> Arity {
        Arity::Exactly(2)
    }
    fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize) {
        matmul_shape(inputs[0], self.ta, inputs[1], self.tb)
    }
    #[inline]
    fn forward<T: Scalar>(&self, inputs: &[&Matrix<T>], out: &mut [T]) {
        matmul_into(false, inputs[0], self.ta, inputs[1], self.tb, out)
    }
    #[inline]
    fn vjp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, g: &[T], grads: &mut [Option<&mut [T]>]) {
        let (ga, gb) = two(grads);
        matmul_vjp(inputs[0], self.ta, inputs[1], self.tb, g, ga, gb)
    }
    /// `op(ȧ)·op(b) + op(a)·op(ḃ)`.
    fn jvp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, tangents: &[Option<&[T]>], out: &mut [T]) {
        let (a, b) = (inputs[0], inputs[1]);
        let (m, n) = matmul_shape(a.shape(), self.ta, b.shape(), self.tb);
        let k = if self.ta { a.rows() } else { a.cols() };
        out.fill(T::zero());
        if let Some(da) = tangents[0] {
            T::gemm(true, m, n, k, slice_view(da, a.cols(), self.ta), b.view(self.tb), out);
        }
        if let Some(db) = tangents[1] {
            T::gemm(true, m, n, k, a.view(self.ta), slice_view(db, b.cols(), self.tb), out);
        }
    }
}

/// `(a, b)`: `Σ aᵢⱼ bᵢⱼ` of two same-shape matrices (→ 1×1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dot;

impl Rule for Dot {
    fn name(&self) -> &'static str {
        "dot"
    }
    fn arity(&self) -> Arity {
        Arity::Exactly(2)
    }
    fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize) {
        let (a, b) = (inputs[0], inputs[1]);
        assert!(a == b, "dot: {} and {} must have the same shape", shape_str(a), shape_str(b));
        (1, 1)
    }
    fn forward<T: Scalar>(&self, inputs: &[&Matrix<T>], out: &mut [T]) {
        out[0] = dot(inputs[0].as_slice(), inputs[1].as_slice());
    }
    /// `ga += g·b`, `gb += g·a`.
    fn vjp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, g: &[T], grads: &mut [Option<&mut [T]>]) {
        let (a, b) = (inputs[0], inputs[1]);
        let g0 = g[0];
        let (ga, gb) = two(grads);
        if let Some(ga) = ga {
            ga.iter_mut().zip(b.iter()).for_each(|(ga, &y)| *ga += g0 * y);
        }
        if let Some(gb) = gb {
            gb.iter_mut().zip(a.iter()).for_each(|(gb, &x)| *gb += g0 * x);
        }
    }
    /// `⟨ȧ, b⟩ + ⟨a, ḃ⟩`.
    fn jvp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, tangents: &[Option<&[T]>], out: &mut [T]) {
        let (a, b) = (inputs[0].as_slice(), inputs[1].as_slice());
        let left = tangents[0].map_or(T::zero(), |da| dot(da, b));
        let right = tangents[1].map_or(T::zero(), |db| dot(a, db));
        out[0] = left + right;
    }
}

/// `Σ xᵢyᵢ`, left to right.
fn dot<T: Scalar>(x: &[T], y: &[T]) -> T {
    x.iter().zip(y).fold(T::zero(), |acc, (&x, &y)| acc + x * y)
}

/// `(u, v)`: `u·vᵀ` of two vectors (each `1 × k` or `k × 1`) of lengths `m`
/// and `n` (→ `m × n`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outer;

impl Rule for Outer {
    fn name(&self) -> &'static str {
        "outer"
    }
    fn arity(&self) -> Arity {
        Arity::Exactly(2)
    }
    fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize) {
        let (u, v) = (inputs[0], inputs[1]);
        let is_vec = |s: (usize, usize)| s.0 == 1 || s.1 == 1;
        assert!(
            is_vec(u) && is_vec(v),
            "outer: {} and {} must both be vectors (1×n or n×1)",
            shape_str(u),
            shape_str(v)
        );
        (u.0 * u.1, v.0 * v.1)
    }
    fn forward<T: Scalar>(&self, inputs: &[&Matrix<T>], out: &mut [T]) {
        outer_into(inputs[0].as_slice(), inputs[1].as_slice(), false, out);
    }
    /// `gu += G·v`, `gv += Gᵀ·u`.
    fn vjp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, g: &[T], grads: &mut [Option<&mut [T]>]) {
        let (u, v) = (inputs[0], inputs[1]);
        let n = v.len();
        let (gu, gv) = two(grads);
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
    /// `u̇·vᵀ + u·v̇ᵀ`.
    fn jvp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, tangents: &[Option<&[T]>], out: &mut [T]) {
        let (u, v) = (inputs[0].as_slice(), inputs[1].as_slice());
        out.fill(T::zero());
        if let Some(du) = tangents[0] {
            outer_into(du, v, true, out);
        }
        if let Some(dv) = tangents[1] {
            outer_into(u, dv, true, out);
        }
    }
}

/// `out[i, j] (+)= uᵢ vⱼ`.
fn outer_into<T: Scalar>(u: &[T], v: &[T], accumulate: bool, out: &mut [T]) {
    let n = v.len();
    for (i, &ui) in u.iter().enumerate() {
        for (j, &vj) in v.iter().enumerate() {
            if accumulate {
                out[i * n + j] += ui * vj;
            } else {
                out[i * n + j] = ui * vj;
            }
        }
    }
}

/// `"matmul"`, `"matmul_tn"`, `"matmul_nt"` or `"matmul_tt"`.
fn matmul_name(ta: bool, tb: bool) -> &'static str {
    match (ta, tb) {
        (false, false) => "matmul",
        (true, false) => "matmul_tn",
        (false, true) => "matmul_nt",
        (true, true) => "matmul_tt",
    }
}

/// Shape of `op(a)·op(b)` where `op` transposes when its flag is set; panics with
/// both shapes when the inner dimensions differ.
pub fn matmul_shape(a: (usize, usize), ta: bool, b: (usize, usize), tb: bool) -> (usize, usize) {
    let (m, ka) = if ta { (a.1, a.0) } else { a };
    let (kb, n) = if tb { (b.1, b.0) } else { b };
    if ka != kb {
        let name = matmul_name(ta, tb);
        panic!("{name}: {}·{}: inner dimensions {ka} and {kb} differ", shape_str(a), shape_str(b));
    }
    (m, n)
}

/// `out (+)= op(a)·op(b)` into a row-major slice of the product's shape.
pub fn matmul_into<T: Scalar>(accumulate: bool, a: &Matrix<T>, ta: bool, b: &Matrix<T>, tb: bool, out: &mut [T]) {
    let (m, n) = matmul_shape(a.shape(), ta, b.shape(), tb);
    let k = if ta { a.rows() } else { a.cols() };
    T::gemm(accumulate, m, n, k, a.view(ta), b.view(tb), out);
}

/// `op(a)·op(b)` as a new matrix.
pub fn matmul_forward<T: Scalar>(a: &Matrix<T>, ta: bool, b: &Matrix<T>, tb: bool) -> Matrix<T> {
    let (m, n) = matmul_shape(a.shape(), ta, b.shape(), tb);
    let mut out = vec![T::zero(); m * n];
    matmul_into(false, a, ta, b, tb, &mut out);
    Matrix::from_vec(m, n, out)
}

/// A strided view of a row-major `rows × cols` buffer, transposed if asked.
fn slice_view<T>(data: &[T], cols: usize, transposed: bool) -> Strided<'_, T> {
    if transposed {
        Strided { data, row_stride: 1, col_stride: cols }
    } else {
        Strided { data, row_stride: cols, col_stride: 1 }
    }
}

/// VJP of `C = op(a)·op(b)`: accumulates `ga += ∂L/∂a` and `gb += ∂L/∂b` given
/// `g = ∂L/∂C`, straight into the gradient buffers (the kernel accumulates), and
/// without materializing any transpose:
///
/// * `ga = G·op(b)ᵀ` (or its transpose `op(b)·Gᵀ` when `ta`),
/// * `gb = op(a)ᵀ·G` (or its transpose `Gᵀ·op(a)` when `tb`).
fn matmul_vjp<T: Scalar>(
    a: &Matrix<T>,
    ta: bool,
    b: &Matrix<T>,
    tb: bool,
    g: &[T],
    ga: Option<&mut [T]>,
    gb: Option<&mut [T]>,
) {
    let (m, n) = matmul_shape(a.shape(), ta, b.shape(), tb);
    let k = if ta { a.rows() } else { a.cols() };
    // G is m×n row-major.
    if let Some(ga) = ga {
        if ta {
            // a is k×m: ga = op(b)·Gᵀ, (k×n)·(n×m).
            T::gemm(true, k, m, n, b.view(tb), slice_view(g, n, true), ga);
        } else {
            // a is m×k: ga = G·op(b)ᵀ, (m×n)·(n×k).
            T::gemm(true, m, k, n, slice_view(g, n, false), b.view(!tb), ga);
        }
    }
    if let Some(gb) = gb {
        if tb {
            // b is n×k: gb = Gᵀ·op(a), (n×m)·(m×k).
            T::gemm(true, n, k, m, slice_view(g, n, true), a.view(ta), gb);
        } else {
            // b is k×n: gb = op(a)ᵀ·G, (k×m)·(m×n).
            T::gemm(true, k, n, m, a.view(!ta), slice_view(g, n, false), gb);
        }
    }
}
