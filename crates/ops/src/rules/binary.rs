//! Elementwise arithmetic of two matrices with broadcasting.
//!
//! Why broadcasting: a bias row (`1 × n`) added to every row of a batch, a
//! per-row scale (`m × 1`) or a tracked scalar (`1 × 1`) are the common cases,
//! and materializing the repeated operand would cost a copy on the way forward
//! and a separate reduction on the way back. The rule is NumPy's, restricted to
//! two axes: along each axis the lengths must be equal or one of them 1. The VJP
//! of a broadcast operand sums the adjoint over the axes it was repeated along,
//! which falls out of accumulating (`+=`) through the same index map.

use crate::matrix::{shape_str, Matrix};
use crate::rules::unary::pow_d_base;
use crate::rules::{op_family, two, Arity, Rule};
use crate::scalar::Scalar;

op_family! {
    /// Elementwise arithmetic of two matrices, broadcasting (and the tracked
    /// scale [`ScaleBy`]).
    pub enum BinaryOp in Builtin::Binary {
        Add = Add,
        Sub = Sub,
        Mul = Mul,
        Div = Div,
        Pow = Pow,
        ScaleBy = ScaleBy,
    }
}

/// What is particular to one broadcast arithmetic op `f(x, y)`, per element;
/// `broadcast_rule!` turns it into the op's [`Rule`] (shape check, loops,
/// broadcast reductions). The partial derivatives are written as products with
/// a factor `d`, which is the adjoint in the VJP and the tangent in the JVP.
pub trait Broadcast {
    /// The op's name, as in errors.
    const NAME: &'static str;
    /// `f(x, y)`.
    fn value<T: Scalar>(x: T, y: T) -> T;
    /// `d · ∂f/∂x`.
    fn d_left<T: Scalar>(d: T, x: T, y: T) -> T;
    /// `d · ∂f/∂y`.
    fn d_right<T: Scalar>(d: T, x: T, y: T) -> T;
}

/// `a + b`, broadcasting a `1×n`, `m×1` or `1×1` operand.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Add;
impl Broadcast for Add {
    const NAME: &'static str = "add";
    fn value<T: Scalar>(x: T, y: T) -> T {
        x + y
    }
    fn d_left<T: Scalar>(d: T, _x: T, _y: T) -> T {
        d
    }
    fn d_right<T: Scalar>(d: T, _x: T, _y: T) -> T {
        d
    }
}

/// `a − b`, broadcasting.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sub;
impl Broadcast for Sub {
    const NAME: &'static str = "sub";
    fn value<T: Scalar>(x: T, y: T) -> T {
        x - y
    }
    fn d_left<T: Scalar>(d: T, _x: T, _y: T) -> T {
        d
    }
    fn d_right<T: Scalar>(d: T, _x: T, _y: T) -> T {
        -d
    }
}

/// `a ⊙ b`, broadcasting.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mul;
impl Broadcast for Mul {
    const NAME: &'static str = "mul";
    fn value<T: Scalar>(x: T, y: T) -> T {
        x * y
    }
    fn d_left<T: Scalar>(d: T, _x: T, y: T) -> T {
        d * y
    }
    fn d_right<T: Scalar>(d: T, x: T, _y: T) -> T {
        d * x
    }
}

/// `a ⊘ b`, broadcasting.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Div;
impl Broadcast for Div {
    const NAME: &'static str = "div";
    fn value<T: Scalar>(x: T, y: T) -> T {
        x / y
    }
    fn d_left<T: Scalar>(d: T, _x: T, y: T) -> T {
        d / y
    }
    /// `−d·x/y²`, computed as `−(d·(x/y))/y`: `y²` alone would overflow or
    /// underflow (to `∞` or 0) where the quotient is in range, and at `x = 0`
    /// over a subnormal `y` it would make `0/0`.
    fn d_right<T: Scalar>(d: T, x: T, y: T) -> T {
        -(d * (x / y) / y)
    }
}

/// `aᵇ` elementwise, broadcasting (a `1×1` exponent is the common case: a
/// tracked power of every element). `∂/∂a = b·aᵇ⁻¹`, exactly 0 when `b = 0`
/// (also at `a = 0`); `∂/∂b = aᵇ·ln a`, taken as 0 at `a = 0` for `b > 0` (its
/// limit there). The conventions of the scalar `powf` of `Var` and `Dual`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pow;
impl Broadcast for Pow {
    const NAME: &'static str = "pow";
    fn value<T: Scalar>(x: T, y: T) -> T {
        x.powf(y)
    }
    fn d_left<T: Scalar>(d: T, x: T, y: T) -> T {
        d * pow_d_base(x, y)
    }
    fn d_right<T: Scalar>(d: T, x: T, y: T) -> T {
        d * pow_d_exponent(x, y)
    }
}

/// `∂(xᵖ)/∂p = xᵖ·ln x`, taken as 0 at `x = 0` when `p > 0` (the limit of
/// `xᵖ ln x` as `x → 0⁺`); elsewhere IEEE (a negative base gives NaN).
#[inline(always)]
fn pow_d_exponent<T: Scalar>(x: T, p: T) -> T {
    if x == T::zero() && p > T::zero() {
        T::zero()
    } else {
        x.powf(p) * x.ln()
    }
}

/// Implements [`Rule`] for [`Broadcast`] ops: two inputs, the broadcast shape,
/// and the loops below.
macro_rules! broadcast_rule {
    ($($op:ident),+) => {$(
        impl Rule for $op {
            fn name(&self) -> &'static str {
                <$op as Broadcast>::NAME
            }
            fn arity(&self) -> Arity {
                Arity::Exactly(2)
            }
            fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize) {
                broadcast_shape(self.name(), inputs[0], inputs[1])
            }
            #[inline]
            fn forward<T: Scalar>(&self, inputs: &[&Matrix<T>], out: &mut [T]) {
                broadcast_forward::<$op, T>(inputs[0], inputs[1], out)
            }
            #[inline]
            fn vjp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, g: &[T], grads: &mut [Option<&mut [T]>]) {
                let (ga, gb) = two(grads);
                broadcast_vjp::<$op, T>(inputs[0], inputs[1], g, ga, gb)
            }
            fn jvp<T: Scalar>(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, tangents: &[Option<&[T]>], out: &mut [T]) {
                broadcast_jvp::<$op, T>(inputs[0], inputs[1], tangents[0], tangents[1], out)
            }
        }
    )+};
}
broadcast_rule!(Add, Sub, Mul, Div, Pow);

/// `(x, s)`: `s·x` for a tracked `1×1` factor `s` (the broadcast product, with
/// the factor's shape checked).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScaleBy;
impl Rule for ScaleBy {
    fn name(&self) -> &'static str {
        "scale_by"
    }
    fn arity(&self) -> Arity {
        Arity::Exactly(2)
    }
    fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize) {
        let (x, s) = (inputs[0], inputs[1]);
        assert!(s == (1, 1), "scale_by: {} by {}: the factor must be 1×1", shape_str(x), shape_str(s));
        x
    }
    fn forward<T: Scalar>(&self, inputs: &[&Matrix<T>], out: &mut [T]) {
        Mul.forward(inputs, out)
    }
    fn vjp<T: Scalar>(&self, inputs: &[&Matrix<T>], output: &Matrix<T>, g: &[T], grads: &mut [Option<&mut [T]>]) {
        Mul.vjp(inputs, output, g, grads)
    }
    fn jvp<T: Scalar>(&self, inputs: &[&Matrix<T>], output: &Matrix<T>, tangents: &[Option<&[T]>], out: &mut [T]) {
        Mul.jvp(inputs, output, tangents, out)
    }
}

/// The broadcast shape of `a` and `b`; panics as
/// `add: (2×3) and (4×3) cannot be broadcast` (with `name`) if an axis has two
/// different lengths neither of which is 1.
pub fn broadcast_shape(name: &str, a: (usize, usize), b: (usize, usize)) -> (usize, usize) {
    let axis = |x: usize, y: usize| {
        if x == y {
            Some(x)
        } else if x == 1 {
            Some(y)
        } else if y == 1 {
            Some(x)
        } else {
            None
        }
    };
    match (axis(a.0, b.0), axis(a.1, b.1)) {
        (Some(r), Some(c)) => (r, c),
        _ => panic!("{name}: {} and {} cannot be broadcast", shape_str(a), shape_str(b)),
    }
}

/// Row `i` of the broadcast view of an operand: a slice of the output's width,
/// or one element repeated along it (an `m × 1` or `1 × 1` operand).
#[derive(Clone, Copy)]
enum Row<'s, T> {
    Full(&'s [T]),
    Same(T),
}

/// Row `i` of operand `s` (shape `shape`) in an output of width `shape.1` or
/// more, repeating along length-1 axes.
#[inline]
fn row<T: Copy>(s: &[T], shape: (usize, usize), i: usize) -> Row<'_, T> {
    let r = if shape.0 == 1 { 0 } else { i };
    if shape.1 == 1 {
        Row::Same(s[r])
    } else {
        Row::Full(&s[r * shape.1..(r + 1) * shape.1])
    }
}

/// Binds `$xs` and `$ys` to iterators over the elements of two [`Row`]s (a
/// repeated element becomes an endless `repeat`, so the loop in `$body` must be
/// bounded by a slice it zips with) and runs `$body`, monomorphized for each of
/// the four full/repeated combinations: the dispatch is per row, the loop
/// inside is free of index arithmetic.
macro_rules! with_rows {
    ($ra:expr, $rb:expr, |$xs:ident, $ys:ident| $body:expr) => {
        match ($ra, $rb) {
            (Row::Full(a), Row::Full(b)) => {
                let ($xs, $ys) = (a.iter().copied(), b.iter().copied());
                $body
            }
            (Row::Full(a), Row::Same(b)) => {
                let ($xs, $ys) = (a.iter().copied(), std::iter::repeat(b));
                $body
            }
            (Row::Same(a), Row::Full(b)) => {
                let ($xs, $ys) = (std::iter::repeat(a), b.iter().copied());
                $body
            }
            (Row::Same(a), Row::Same(b)) => {
                let ($xs, $ys) = (std::iter::repeat(a), std::iter::repeat(b));
                $body
            }
        }
    };
}

/// `out = a ∘ b` with broadcasting (`out` has the broadcast shape).
#[inline]
fn broadcast_forward<B: Broadcast, T: Scalar>(a: &Matrix<T>, b: &Matrix<T>, out: &mut [T]) {
    let shape = broadcast_shape(B::NAME, a.shape(), b.shape());
    forward_with(a, b, shape, out, B::value)
}

/// `out = f(a, b)` with broadcasting: a flat loop when the shapes agree or one
/// operand is `1 × 1`, otherwise a loop per output row over the rows of the
/// broadcast operands (a `1 × n` bias row, an `m × 1` column, …).
#[inline]
fn forward_with<T: Scalar>(a: &Matrix<T>, b: &Matrix<T>, (m, n): (usize, usize), out: &mut [T], f: impl Fn(T, T) -> T) {
    let (sa, sb) = (a.as_slice(), b.as_slice());
    let (ash, bsh) = (a.shape(), b.shape());
    if ash == bsh {
        for ((o, &x), &y) in out.iter_mut().zip(sa).zip(sb) {
            *o = f(x, y);
        }
    } else if bsh == (1, 1) {
        let y = sb[0];
        for (o, &x) in out.iter_mut().zip(sa) {
            *o = f(x, y);
        }
    } else if ash == (1, 1) {
        let x = sa[0];
        for (o, &y) in out.iter_mut().zip(sb) {
            *o = f(x, y);
        }
    } else if n > 0 {
        for (i, orow) in out[..m * n].chunks_exact_mut(n).enumerate() {
            with_rows!(row(sa, ash, i), row(sb, bsh, i), |xs, ys| {
                for ((o, x), y) in orow.iter_mut().zip(xs).zip(ys) {
                    *o = f(x, y);
                }
            });
        }
    }
}

/// Accumulates `∂L/∂a` and `∂L/∂b` of `out = a ∘ b` (broadcast) given
/// `g = ∂L/∂out`; a broadcast operand receives the sum over its repeated axes.
///
/// Kept out of line: inlined into `Builtin`'s VJP dispatch beside every other
/// op's loops, it compiled to about 120 more instructions per 8×8 bias VJP
/// (measured with callgrind).
#[inline(never)]
fn broadcast_vjp<B: Broadcast, T: Scalar>(
    a: &Matrix<T>,
    b: &Matrix<T>,
    g: &[T],
    ga: Option<&mut [T]>,
    gb: Option<&mut [T]>,
) {
    let shape = broadcast_shape(B::NAME, a.shape(), b.shape());
    if let Some(ga) = ga {
        accumulate(ga, a.shape(), a, b, g, shape, B::d_left);
    }
    if let Some(gb) = gb {
        accumulate(gb, b.shape(), a, b, g, shape, B::d_right);
    }
}

/// `out = ∂f/∂a ⊙ ȧ + ∂f/∂b ⊙ ḃ` over the broadcast shape, a `None` tangent
/// being zero. (Not on a hot path: the tape differentiates built-in ops on dual
/// numbers through `forward`; this serves the checks and custom-op lifting.)
fn broadcast_jvp<B: Broadcast, T: Scalar>(
    a: &Matrix<T>,
    b: &Matrix<T>,
    da: Option<&[T]>,
    db: Option<&[T]>,
    out: &mut [T],
) {
    let (m, n) = broadcast_shape(B::NAME, a.shape(), b.shape());
    let (ash, bsh) = (a.shape(), b.shape());
    let at =
        |s: (usize, usize), i: usize, j: usize| (if s.0 == 1 { 0 } else { i }) * s.1 + if s.1 == 1 { 0 } else { j };
    for i in 0..m {
        for j in 0..n {
            let (ia, ib) = (at(ash, i, j), at(bsh, i, j));
            let (x, y) = (a.as_slice()[ia], b.as_slice()[ib]);
            out[i * n + j] = match (da, db) {
                (Some(da), Some(db)) => B::d_left(da[ia], x, y) + B::d_right(db[ib], x, y),
                (Some(da), None) => B::d_left(da[ia], x, y),
                (None, Some(db)) => B::d_right(db[ib], x, y),
                (None, None) => T::zero(),
            };
        }
    }
}

/// `dst[idx(i, j)] += f(g[i, j], a[i, j], b[i, j])` over the broadcast shape
/// `m × n`, where `dst` is the adjoint of an operand of shape `dshape` (so a
/// repeated axis sums). Element `(i, j)` contributes in row-major order, as a
/// plain double loop would: a `1 × n` adjoint adds row after row (`Σᵢ` by row
/// loops), an `m × 1` or `1 × 1` one sums each row into a running total.
#[inline]
fn accumulate<T: Scalar>(
    dst: &mut [T],
    dshape: (usize, usize),
    a: &Matrix<T>,
    b: &Matrix<T>,
    g: &[T],
    (m, n): (usize, usize),
    f: impl Fn(T, T, T) -> T,
) {
    let (sa, sb) = (a.as_slice(), b.as_slice());
    let (ash, bsh) = (a.shape(), b.shape());
    let g = &g[..m * n];
    if ash == bsh {
        for (((d, &g), &x), &y) in dst.iter_mut().zip(g).zip(sa).zip(sb) {
            *d += f(g, x, y);
        }
        return;
    }
    if n == 0 {
        return;
    }
    if n == 1 {
        // Columns (`m × 1` against `m × 1` or `1 × 1`): one element per row, so
        // the row loop below would pay its set-up per element. Same operations
        // in the same order.
        let pick = |s: &[T], sh: (usize, usize), k: usize| if sh.0 == 1 { s[0] } else { s[k] };
        if dshape.0 == 1 {
            let mut acc = dst[0];
            for (k, &g) in g.iter().enumerate() {
                acc += f(g, pick(sa, ash, k), pick(sb, bsh, k));
            }
            dst[0] = acc;
        } else {
            for (k, (d, &g)) in dst.iter_mut().zip(g).enumerate() {
                *d += f(g, pick(sa, ash, k), pick(sb, bsh, k));
            }
        }
        return;
    }
    for (i, grow) in g.chunks_exact(n).enumerate() {
        let r = if dshape.0 == 1 { 0 } else { i };
        if dshape.1 == 1 {
            let mut acc = dst[r];
            with_rows!(row(sa, ash, i), row(sb, bsh, i), |xs, ys| {
                for ((&g, x), y) in grow.iter().zip(xs).zip(ys) {
                    acc += f(g, x, y);
                }
            });
            dst[r] = acc;
        } else {
            let drow = &mut dst[r * n..(r + 1) * n];
            with_rows!(row(sa, ash, i), row(sb, bsh, i), |xs, ys| {
                for (((d, &g), x), y) in drow.iter_mut().zip(grow).zip(xs).zip(ys) {
                    *d += f(g, x, y);
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain double loop with per-element index arithmetic the fast paths
    /// replace; they must agree with it bit for bit (same operations, same
    /// order of accumulation).
    fn reference(op: &BinaryOp, a: &Matrix<f64>, b: &Matrix<f64>, g: &[f64]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let (m, n) = broadcast_shape(op.name(), a.shape(), b.shape());
        let idx =
            |s: (usize, usize), i: usize, j: usize| (if s.0 == 1 { 0 } else { i }) * s.1 + if s.1 == 1 { 0 } else { j };
        let (mut out, mut ga, mut gb) = (vec![0.0; m * n], vec![0.5; a.len()], vec![-0.25; b.len()]);
        for i in 0..m {
            for j in 0..n {
                let (ia, ib) = (idx(a.shape(), i, j), idx(b.shape(), i, j));
                let (x, y, gij) = (a.as_slice()[ia], b.as_slice()[ib], g[i * n + j]);
                let (o, da, db) = match op.name() {
                    "add" => (x + y, gij, gij),
                    "sub" => (x - y, gij, -gij),
                    "mul" => (x * y, gij * y, gij * x),
                    "div" => (x / y, gij / y, -(gij * (x / y) / y)),
                    other => panic!("{other}: no reference loop"),
                };
                out[i * n + j] = o;
                ga[ia] += da;
                gb[ib] += db;
            }
        }
        (out, ga, gb)
    }

    #[test]
    fn fast_paths_match_the_indexed_double_loop_exactly() {
        let val = |k: usize| ((k * 7919) % 101) as f64 / 13.0 + 0.3;
        for (m, n) in [(1, 1), (1, 4), (5, 1), (3, 4), (6, 9)] {
            let shapes = [(m, n), (1, n), (m, 1), (1, 1)];
            for &sa in &shapes {
                for &sb in &shapes {
                    let a = Matrix::from_fn(sa.0, sa.1, |i, j| val(i * 3 + j) - 2.0);
                    let b = Matrix::from_fn(sb.0, sb.1, |i, j| val(i * 5 + j + 1));
                    let (bm, bn) = broadcast_shape("test", sa, sb);
                    let g: Vec<f64> = (0..bm * bn).map(|k| val(k + 5) - 3.0).collect();
                    for op in [BinaryOp::from(Add), Sub.into(), Mul.into(), Div.into()] {
                        let (out_r, ga_r, gb_r) = reference(&op, &a, &b, &g);
                        let mut out = vec![0.0; bm * bn];
                        op.forward(&[&a, &b], &mut out);
                        let (mut ga, mut gb) = (vec![0.5; a.len()], vec![-0.25; b.len()]);
                        let y = Matrix::from_vec(bm, bn, out.clone());
                        op.vjp(&[&a, &b], &y, &g, &mut [Some(&mut ga[..]), Some(&mut gb[..])]);
                        let case = format!("{op:?} {sa:?} {sb:?}");
                        assert_eq!(out, out_r, "forward {case}");
                        assert_eq!(ga, ga_r, "ga {case}");
                        assert_eq!(gb, gb_r, "gb {case}");
                    }
                }
            }
        }
    }
}
