//! Matrix-calculus ops on square matrices: trace, determinant, log-determinant,
//! inverse and linear solve, all through the LU factorization in
//! [`crate::linalg`].
//!
//! VJPs (with `G` the upstream adjoint, `g` when it is `1 × 1`):
//! `trace`: `g·I`; `det`: `g·det(X)·X⁻ᵀ`; `logdet`: `g·X⁻ᵀ`;
//! `inverse` (`Y = X⁻¹`): `−Yᵀ·G·Yᵀ`; `solve` (`X = A⁻¹B`): `G_B = A⁻ᵀ·G`,
//! `G_A = −G_B·Xᵀ`. JVPs: `tr Ẋ`; `det(X)·tr(X⁻¹Ẋ)`; `tr(X⁻¹Ẋ)`; `−Y·Ẋ·Y`;
//! `A⁻¹(Ḃ − Ȧ·X)`. The derivative rules refactor the input instead of keeping
//! the factors, so an op stays a small value the tape can hold.
//!
//! # Panics
//!
//! On a non-square matrix (with the op name and shape), and on a singular one:
//! `logdet`, `inverse` and `solve` panic in the forward pass with
//! `<op>: matrix is singular …`. `det` of a singular matrix is a valid value (0)
//! but its derivatives (through the adjugate) are not computed: its VJP and JVP
//! panic with `det: matrix is singular …`. A NaN or infinite entry is named
//! where the singular matrix would be: `inverse: non-finite entry at (0, 1) of
//! (2×2): NaN` (the value of `det` is then NaN or infinite, as IEEE gives it).
//!
//! `det`'s derivatives `det·X⁻ᵀ` take the determinant from the LU factors in a
//! scaled form (mantissa and power of two), so they stay exact where `det`
//! itself underflows: `det(1e-200·I₂)` is 0 in `f64` but its gradient is
//! `1e-200·I`.

use crate::linalg::{self, LinalgError, Lu};
use crate::matrix::{shape_str, Matrix};
use crate::rules::product::matmul_into;
use crate::rules::{op_family, tangent_matrix, two, Arity, Rule};
use crate::scalar::Scalar;

op_family! {
    /// The LU-based matrix-calculus ops on square matrices.
    pub enum MatrixCalculusOp in Builtin::MatrixCalculus {
        Trace = Trace,
        Det = Det,
        LogDet = LogDet,
        Inverse = Inverse,
        Solve = Solve,
    }
}

/// Shape check of the square-matrix ops: panics as `det: (2×3) is not square`.
fn square_shape(name: &str, x: (usize, usize)) -> (usize, usize) {
    assert!(x.0 == x.1, "{name}: {} is not square", shape_str(x));
    x
}

/// Factors `x` for op `name`, panicking with a clear message if it is singular
/// or has a NaN or infinite entry.
fn lu_or_panic<T: Scalar>(name: &str, x: &Matrix<T>) -> Lu<T> {
    match linalg::lu(x) {
        Ok(f) => f,
        Err(LinalgError::Singular { column }) => {
            panic!("{name}: matrix is singular (pivot {column} vanished), {} has no inverse", shape_str(x.shape()))
        }
        Err(LinalgError::NonFinite { row, col, value }) => {
            panic!("{name}: non-finite entry at ({row}, {col}) of {}: {value}", shape_str(x.shape()))
        }
        Err(e) => panic!("{name}: {e}"),
    }
}

/// `det(x)·M` for the `M` that `f` computes from the factors of `x`, scaled so
/// that it does not underflow (or overflow) where `det(x)` alone would:
/// `det = d·2ᵉ` ([`Lu::scaled_det`]), and each entry is `(d·mᵢⱼ)·2ᵉ`, which
/// is in range whenever the product is (`det(1e-200·I₂)·X⁻ᵀ = 1e-200·I`
/// although `det = 1e-400` is 0 in `f64`).
fn times_det<T: Scalar>(lu: &Lu<T>, scale: T, m: &mut [T]) {
    let (d, e) = lu.scaled_det();
    let k = scale * d;
    m.iter_mut().for_each(|v| *v = linalg::times_pow2(k * *v, e));
}

/// `Σ aᵢⱼ bᵢⱼ`.
fn frobenius<T: Scalar>(a: &[T], b: &[T]) -> T {
    a.iter().zip(b).fold(T::zero(), |acc, (&x, &y)| acc + x * y)
}

/// `(x)`: `Σ xᵢᵢ` of a square matrix (→ 1×1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Trace;

impl Rule for Trace {
    fn name(&self) -> &'static str {
        "trace"
    }
    fn arity(&self) -> Arity {
        Arity::Exactly(1)
    }
    fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize) {
        square_shape(self.name(), inputs[0]);
        (1, 1)
    }
    fn forward<T: Scalar>(&self, inputs: &[&Matrix<T>], out: &mut [T]) {
        out[0] = diagonal_sum(inputs[0].as_slice(), inputs[0].rows());
    }
    /// `gx += g·I`.
    fn vjp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, g: &[T], grads: &mut [Option<&mut [T]>]) {
        let Some(gx) = grads[0].as_deref_mut() else { return };
        let n = inputs[0].rows();
        for i in 0..n {
            gx[i * n + i] += g[0];
        }
    }
    /// `tr Ẋ`.
    fn jvp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, tangents: &[Option<&[T]>], out: &mut [T]) {
        out[0] = tangents[0].map_or(T::zero(), |t| diagonal_sum(t, inputs[0].rows()));
    }
}

/// `Σᵢ xᵢᵢ` of a row-major `n × n` matrix.
fn diagonal_sum<T: Scalar>(x: &[T], n: usize) -> T {
    (0..n).fold(T::zero(), |acc, i| acc + x[i * n + i])
}

/// `(x)`: `det x` (→ 1×1), 0 (or within rounding of it) for a singular matrix;
/// the derivatives panic on a singular matrix.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Det;

impl Rule for Det {
    fn name(&self) -> &'static str {
        "det"
    }
    fn arity(&self) -> Arity {
        Arity::Exactly(1)
    }
    fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize) {
        square_shape(self.name(), inputs[0]);
        (1, 1)
    }
    fn forward<T: Scalar>(&self, inputs: &[&Matrix<T>], out: &mut [T]) {
        out[0] = linalg::det(inputs[0]).unwrap_or_else(|e| panic!("det: {e}"));
    }
    /// `gx += g·det·X⁻ᵀ`, with `det` taken from the LU factors in scaled
    /// form: the gradient is right where `det` itself underflows.
    fn vjp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, g: &[T], grads: &mut [Option<&mut [T]>]) {
        let Some(gx) = grads[0].as_deref_mut() else { return };
        let lu = lu_or_panic("det", inputs[0]);
        let mut grad = lu.inverse_transpose().into_vec();
        times_det(&lu, g[0], &mut grad);
        gx.iter_mut().zip(grad).for_each(|(gx, v)| *gx += v);
    }
    /// `det·tr(X⁻¹Ẋ) = det·⟨X⁻ᵀ, Ẋ⟩`, scaled like the VJP.
    fn jvp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, tangents: &[Option<&[T]>], out: &mut [T]) {
        out[0] = match tangents[0] {
            Some(t) => {
                let lu = lu_or_panic("det", inputs[0]);
                let mut d = [frobenius(lu.inverse_transpose().as_slice(), t)];
                times_det(&lu, T::one(), &mut d);
                d[0]
            }
            None => T::zero(),
        };
    }
}

/// `(x)`: `ln|det x|` (→ 1×1; the sign is dropped: for a matrix known to have a
/// positive determinant this is `ln det x`). Panics on a singular matrix.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogDet;

impl Rule for LogDet {
    fn name(&self) -> &'static str {
        "logdet"
    }
    fn arity(&self) -> Arity {
        Arity::Exactly(1)
    }
    fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize) {
        square_shape(self.name(), inputs[0]);
        (1, 1)
    }
    fn forward<T: Scalar>(&self, inputs: &[&Matrix<T>], out: &mut [T]) {
        out[0] = lu_or_panic("logdet", inputs[0]).ln_abs_det();
    }
    /// `gx += g·X⁻ᵀ` (the same for either sign of the determinant).
    fn vjp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, g: &[T], grads: &mut [Option<&mut [T]>]) {
        let Some(gx) = grads[0].as_deref_mut() else { return };
        let inv_t = lu_or_panic("logdet", inputs[0]).inverse_transpose();
        gx.iter_mut().zip(inv_t.iter()).for_each(|(gx, &v)| *gx += g[0] * v);
    }
    /// `tr(X⁻¹Ẋ) = ⟨X⁻ᵀ, Ẋ⟩`.
    fn jvp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, tangents: &[Option<&[T]>], out: &mut [T]) {
        out[0] = match tangents[0] {
            Some(t) => frobenius(lu_or_panic("logdet", inputs[0]).inverse_transpose().as_slice(), t),
            None => T::zero(),
        };
    }
}

/// `(x)`: `x⁻¹`. Panics on a singular matrix.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Inverse;

impl Rule for Inverse {
    fn name(&self) -> &'static str {
        "inverse"
    }
    fn arity(&self) -> Arity {
        Arity::Exactly(1)
    }
    fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize) {
        square_shape(self.name(), inputs[0])
    }
    fn forward<T: Scalar>(&self, inputs: &[&Matrix<T>], out: &mut [T]) {
        out.copy_from_slice(lu_or_panic("inverse", inputs[0]).inverse().as_slice());
    }
    /// `gx += −Yᵀ·G·Yᵀ` with `Y = x⁻¹` the forward value.
    fn vjp<T: Scalar>(&self, _: &[&Matrix<T>], y: &Matrix<T>, g: &[T], grads: &mut [Option<&mut [T]>]) {
        let Some(gx) = grads[0].as_deref_mut() else { return };
        let n = y.rows();
        let g = Matrix::from_vec(n, n, g.to_vec());
        let mut tmp = vec![T::zero(); n * n];
        matmul_into(false, y, true, &g, false, &mut tmp);
        let tmp = Matrix::from_vec(n, n, tmp);
        let mut prod = vec![T::zero(); n * n];
        matmul_into(false, &tmp, false, y, true, &mut prod);
        gx.iter_mut().zip(prod).for_each(|(gx, v)| *gx -= v);
    }
    /// `Ẏ = −Y·Ẋ·Y`.
    fn jvp<T: Scalar>(&self, _: &[&Matrix<T>], y: &Matrix<T>, tangents: &[Option<&[T]>], out: &mut [T]) {
        let Some(t) = tangents[0] else {
            out.fill(T::zero());
            return;
        };
        let n = y.rows();
        let mut tmp = vec![T::zero(); n * n];
        matmul_into(false, y, false, &Matrix::from_vec(n, n, t.to_vec()), false, &mut tmp);
        matmul_into(false, &Matrix::from_vec(n, n, tmp), false, y, false, out);
        out.iter_mut().for_each(|v| *v = -*v);
    }
}

/// `(a, b)`: `a⁻¹·b` by LU, without forming the inverse (`a` square, `b` with as
/// many rows). Panics on a singular `a`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Solve;

impl Rule for Solve {
    fn name(&self) -> &'static str {
        "solve"
    }
    fn arity(&self) -> Arity {
        Arity::Exactly(2)
    }
    fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize) {
        let (a, b) = (inputs[0], inputs[1]);
        square_shape("solve", a);
        assert!(b.0 == a.0, "solve: {}⁻¹·{}: right-hand side needs {} rows", shape_str(a), shape_str(b), a.0);
        b
    }
    fn forward<T: Scalar>(&self, inputs: &[&Matrix<T>], out: &mut [T]) {
        let x = lu_or_panic("solve", inputs[0]).solve(inputs[1]).unwrap_or_else(|e| panic!("solve: {e}"));
        out.copy_from_slice(x.as_slice());
    }
    /// `gb += A⁻ᵀ·G` and `ga += −(A⁻ᵀ·G)·Xᵀ`, with `X` the forward value.
    fn vjp<T: Scalar>(&self, inputs: &[&Matrix<T>], x: &Matrix<T>, g: &[T], grads: &mut [Option<&mut [T]>]) {
        let (ga, gb) = two(grads);
        if ga.is_none() && gb.is_none() {
            return;
        }
        let a = inputs[0];
        let g = Matrix::from_vec(x.rows(), x.cols(), g.to_vec());
        let g_b = lu_or_panic("solve", a).solve_transpose(&g).unwrap_or_else(|e| panic!("solve: {e}"));
        if let Some(gb) = gb {
            gb.iter_mut().zip(g_b.iter()).for_each(|(gb, &v)| *gb += v);
        }
        if let Some(ga) = ga {
            let n = a.rows();
            let mut prod = vec![T::zero(); n * n];
            matmul_into(false, &g_b, false, x, true, &mut prod);
            ga.iter_mut().zip(prod).for_each(|(ga, v)| *ga -= v);
        }
    }
    /// `Ẋ = A⁻¹(Ḃ − Ȧ·X)`.
    fn jvp<T: Scalar>(&self, inputs: &[&Matrix<T>], x: &Matrix<T>, tangents: &[Option<&[T]>], out: &mut [T]) {
        let (a, b) = (inputs[0], inputs[1]);
        let mut rhs = tangent_matrix(b.shape(), tangents[1]);
        if let Some(da) = tangents[0] {
            let mut prod = vec![T::zero(); x.len()];
            matmul_into(false, &Matrix::from_vec(a.rows(), a.cols(), da.to_vec()), false, x, false, &mut prod);
            rhs.as_mut_slice().iter_mut().zip(prod).for_each(|(r, p)| *r -= p);
        }
        let dx = lu_or_panic("solve", a).solve(&rhs).unwrap_or_else(|e| panic!("solve: {e}"));
        out.copy_from_slice(dx.as_slice());
    }
}
