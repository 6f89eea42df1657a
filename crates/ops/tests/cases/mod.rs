//! The test cases of the built-in ops: for each op, inputs at which it is smooth,
//! drawn around a base shape. One list feeds every check of the derivative
//! rules — the finite-difference checks of the VJP and the JVP
//! (`tests/ops_fd.rs`), the dot-product test (`tests/dot_product.rs`), the
//! dual-number cross-check in `wengert-tape` — and `tests/catalogue.rs` fails
//! if an op of [`Builtin::catalogue`] has no case here.
//!
//! Adding an op: add its case(s) to [`cases`], with inputs inside its domain and
//! away from its kinks by much more than a finite-difference step (1e-6).
#![allow(dead_code)] // each test binary that includes this module uses part of it

use rand::rngs::StdRng;
use rand::Rng;
use wengert_ops::rules::*;
use wengert_ops::Matrix;

/// An op and its inputs.
pub struct Case {
    /// The op.
    pub op: Builtin,
    /// Its inputs.
    pub inputs: Vec<Matrix<f64>>,
}

impl Case {
    /// A case for any op.
    pub fn new(op: impl Into<Builtin>, inputs: Vec<Matrix<f64>>) -> Self {
        Case { op: op.into(), inputs }
    }
}

/// The base shapes every suite loops over: scalar, row, column, non-square
/// both ways, square.
pub const SHAPES: [(usize, usize); 6] = [(1, 1), (1, 4), (4, 1), (3, 5), (5, 3), (4, 4)];

/// Standard normal entries.
pub fn normal(r: &mut StdRng, s: (usize, usize)) -> Matrix<f64> {
    Matrix::random_normal(s.0, s.1, 0.0, 1.0, r)
}

/// Entries uniform in `[lo, hi)`.
pub fn uniform(r: &mut StdRng, s: (usize, usize), lo: f64, hi: f64) -> Matrix<f64> {
    Matrix::from_fn(s.0, s.1, |_, _| r.random_range(lo..hi))
}

/// Positive entries in `[0.3, 3)` (domains of `ln`, `sqrt`, `powf`; divisors).
pub fn positive(r: &mut StdRng, s: (usize, usize)) -> Matrix<f64> {
    uniform(r, s, 0.3, 3.0)
}

/// Magnitudes in `[0.1, 2)` with a random sign: away from the kinks at 0.
pub fn off_zero(r: &mut StdRng, s: (usize, usize)) -> Matrix<f64> {
    Matrix::from_fn(s.0, s.1, |_, _| {
        let v = r.random_range(0.1..2.0);
        if r.random_bool(0.5) {
            v
        } else {
            -v
        }
    })
}

/// Probabilities in `[0.1, 0.9)` (soft targets, masks).
pub fn probability(r: &mut StdRng, s: (usize, usize)) -> Matrix<f64> {
    uniform(r, s, 0.1, 0.9)
}

/// A well-conditioned `n × n` matrix: normal entries plus `n + 1` on the
/// diagonal, with the first row negated if `negative_det`.
pub fn well_conditioned(r: &mut StdRng, n: usize, negative_det: bool) -> Matrix<f64> {
    let mut a = normal(r, (n, n));
    for i in 0..n {
        a[(i, i)] += n as f64 + 1.0;
    }
    if negative_det {
        for j in 0..n {
            a[(0, j)] = -a[(0, j)];
        }
    }
    a
}

/// Distinct values per row, at least 0.1 apart, in a shuffled order: a unique
/// row maximum with a margin.
pub fn distinct_rows(r: &mut StdRng, (m, n): (usize, usize)) -> Matrix<f64> {
    let shift = r.random_range(0..n.max(1));
    Matrix::from_fn(m, n, |i, j| ((j * 7 + i * 3 + shift) % n) as f64 * 0.1 + i as f64 + r.random_range(0.0..0.05))
}

/// Draws a matrix of the given shape from a domain.
type Draw = fn(&mut StdRng, (usize, usize)) -> Matrix<f64>;

/// Every built-in op, on inputs built around the base shape `(m, n)`.
pub fn cases(r: &mut StdRng, (m, n): (usize, usize)) -> Vec<Case> {
    let s = (m, n);
    let mut c = Vec::new();

    // Products.
    let k = r.random_range(1..5);
    for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
        let a = normal(r, if ta { (k, m) } else { (m, k) });
        let b = normal(r, if tb { (n, k) } else { (k, n) });
        c.push(Case::new(MatMul { ta, tb }, vec![a, b]));
    }
    c.push(Case::new(Dot, vec![normal(r, s), normal(r, s)]));
    c.push(Case::new(Outer, vec![normal(r, (m, 1)), normal(r, (1, n))]));
    c.push(Case::new(Outer, vec![normal(r, (1, m)), normal(r, (n, 1))]));

    // Broadcast arithmetic: same shape, and each operand broadcast as a row, a
    // column or a scalar, on either side; divisors kept away from 0.
    for other in [s, (1, n), (m, 1), (1, 1)] {
        for op in [BinaryOp::from(Add), Sub.into(), Mul.into()] {
            c.push(Case::new(op.clone(), vec![normal(r, s), normal(r, other)]));
            c.push(Case::new(op, vec![normal(r, other), normal(r, s)]));
        }
        c.push(Case::new(Div, vec![normal(r, s), positive(r, other)]));
        c.push(Case::new(Div, vec![normal(r, other), positive(r, s)]));
    }
    // Row against column: both broadcast to m×n.
    c.push(Case::new(Mul, vec![normal(r, (1, n)), normal(r, (m, 1))]));
    // Powers: positive bases (any real exponent), the exponent of each shape
    // (a tracked scalar exponent is 1×1) and a broadcast base.
    for other in [s, (1, 1), (1, n), (m, 1)] {
        c.push(Case::new(Pow, vec![positive(r, s), normal(r, other)]));
    }
    c.push(Case::new(Pow, vec![positive(r, (1, n)), normal(r, s)]));
    c.push(Case::new(ScaleBy, vec![normal(r, s), normal(r, (1, 1))]));

    // Elementwise.
    let unary: [(UnaryOp, Draw); 17] = [
        (Neg.into(), normal),
        (Scale(-2.5).into(), normal),
        (Scale(-1.7).into(), normal),
        (AddConst(3.0).into(), normal),
        (AddConst(0.3).into(), normal),
        (Exp.into(), normal),
        (Sigmoid.into(), normal),
        (Tanh.into(), normal),
        (Softplus.into(), normal),
        (Ln.into(), positive),
        (Sqrt.into(), positive),
        (Powf(2.7).into(), positive),
        (Powf(2.5).into(), positive),
        (Powf(-0.5).into(), positive),
        (Powf(-1.5).into(), positive),
        (Abs.into(), off_zero),
        (Relu.into(), off_zero),
    ];
    for (op, draw) in unary {
        c.push(Case::new(op, vec![draw(r, s)]));
    }
    // Clamp to [-0.5, 0.5]: values in the open interval and outside, all at
    // least 0.01 (≫ h) from a bound; and to [-1, 1] strictly inside.
    let pattern = Matrix::from_fn(m, n, |i, j| [-1.3, -0.45, 0.0, 0.3, 0.45, 0.9][(i + 2 * j) % 6] + 0.01 * i as f64);
    c.push(Case::new(Clamp { lo: -0.5, hi: 0.5 }, vec![pattern]));
    c.push(Case::new(Clamp { lo: -1.0, hi: 1.0 }, vec![uniform(r, s, -0.8, 0.8)]));

    // Reductions.
    for axis in [Axis::All, Axis::PerRow, Axis::PerCol] {
        c.push(Case::new(Sum(axis), vec![normal(r, s)]));
        c.push(Case::new(Mean(axis), vec![normal(r, s)]));
    }
    c.push(Case::new(MaxRows, vec![distinct_rows(r, s)]));
    for axis in [Axis::All, Axis::PerRow, Axis::PerCol] {
        c.push(Case::new(LogSumExp(axis), vec![normal(r, s)]));
    }
    c.push(Case::new(L2Penalty, vec![normal(r, s)]));

    // Shape ops.
    c.push(Case::new(Transpose, vec![normal(r, s)]));
    c.push(Case::new(Reshape { rows: n, cols: m }, vec![normal(r, s)]));
    c.push(Case::new(Reshape { rows: 1, cols: m * n }, vec![normal(r, s)]));
    c.push(Case::new(SliceRows { start: m / 2, end: m }, vec![normal(r, s)]));
    let r0 = r.random_range(0..m);
    c.push(Case::new(SliceRows { start: r0, end: m }, vec![normal(r, s)]));
    c.push(Case::new(SliceCols { start: 0, end: n.div_ceil(2) }, vec![normal(r, s)]));
    let c0 = r.random_range(0..n);
    c.push(Case::new(SliceCols { start: c0, end: n }, vec![normal(r, s)]));
    c.push(Case::new(ConcatRows, vec![normal(r, s), normal(r, (2, n)), normal(r, (1, n))]));
    c.push(Case::new(ConcatCols, vec![normal(r, s), normal(r, (m, 3))]));
    // Repeated indices: the backward must scatter-add.
    let idx: Vec<usize> = (0..6).map(|k| (k * 5) % m).collect();
    c.push(Case::new(GatherRows(idx), vec![normal(r, s)]));
    let idx: Vec<usize> = (0..m + 2).map(|_| r.random_range(0..m)).collect();
    c.push(Case::new(GatherRows(idx), vec![normal(r, s)]));

    // Softmax and losses.
    c.push(Case::new(Softmax, vec![normal(r, s)]));
    c.push(Case::new(LogSoftmax, vec![normal(r, s)]));
    let labels: Vec<usize> = (0..m).map(|i| (i * 3 + 1) % n).collect();
    c.push(Case::new(SoftmaxCrossEntropy(labels), vec![normal(r, s)]));
    let labels: Vec<usize> = (0..m).map(|_| r.random_range(0..n)).collect();
    c.push(Case::new(SoftmaxCrossEntropy(labels), vec![normal(r, s)]));
    // Soft targets: arbitrary non-normalized ones.
    c.push(Case::new(SoftmaxCrossEntropySoft, vec![normal(r, s), uniform(r, s, 0.0, 1.0)]));
    let y = Matrix::from_fn(m, n, |i, j| ((i + j) % 2) as f64);
    c.push(Case::new(BceWithLogits, vec![normal(r, s), y]));
    c.push(Case::new(BceWithLogits, vec![normal(r, s), probability(r, s)]));
    c.push(Case::new(Mse, vec![normal(r, s), normal(r, s)]));
    // A 0/1 mask with at least one observed entry (element 0), and a soft one.
    let mask = Matrix::from_fn(m, n, |i, j| if (i + 2 * j) % 3 == 0 { 1.0 } else { 0.0 });
    c.push(Case::new(MaskedMse, vec![normal(r, s), normal(r, s), mask]));
    c.push(Case::new(MaskedMse, vec![normal(r, s), normal(r, s), probability(r, s)]));

    // Matrix calculus on square matrices, determinants of either sign.
    let q = m.max(n);
    let negative = r.random_bool(0.5);
    c.push(Case::new(Trace, vec![normal(r, (q, q))]));
    c.push(Case::new(Det, vec![well_conditioned(r, q, negative)]));
    c.push(Case::new(LogDet, vec![well_conditioned(r, q, !negative)]));
    c.push(Case::new(Inverse, vec![well_conditioned(r, q, negative)]));
    c.push(Case::new(Solve, vec![well_conditioned(r, q, !negative), normal(r, (q, n))]));
    c
}
