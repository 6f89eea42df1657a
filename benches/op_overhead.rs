//! Per-op overhead of the tape: recording one matrix op and sweeping it, against
//! calling the op's own rule functions directly, in the same run.
//!
//! For each op (matmul, `+` with a broadcast bias row, relu, sigmoid, sum,
//! softmax cross-entropy) on `1 × 1` and `8 × 8` operands:
//!
//! * **tape**: on a reused [`Tape`] and [`Gradients`]: `clear()`, register the
//!   inputs with `tape.matrix`, record the op, `backward_into`, read the input
//!   gradients.
//! * **direct**: the same arithmetic with the rule functions and nothing else —
//!   [`Builtin`]'s [`MatOp::forward`] and [`MatOp::vjp`] on preallocated buffers
//!   (zeroed before each VJP, since VJPs accumulate, as the tape's buffers are).
//!
//! `backward_into` needs a scalar output, so an op whose value is a matrix is
//! followed by `sum` on both sides (the direct side calls `sum`'s forward and
//! VJP too). What the ratio measures is therefore everything the tape adds
//! around the arithmetic: node bookkeeping, the `RefCell`, buffer pools, the
//! event list, `Gradients` slots, the dynamic dispatch to the op.
//!
//! Run: `cargo bench --bench op_overhead`; a table of medians and ratios is
//! printed after criterion's output.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, BenchmarkId, Criterion};
use rand::rngs::StdRng;
use rand::SeedableRng;
use wengert::ops::rules::{Add, Axis, Builtin, MatMul, Relu, Sigmoid, SoftmaxCrossEntropy, Sum};
use wengert::ops::{MatOp, Matrix};
use wengert::tape::{Gradients, MatVar, Tape, Var};

mod common;

/// The ops measured.
#[derive(Clone, Copy)]
enum Op {
    MatMul,
    AddBroadcast,
    Relu,
    Sigmoid,
    Sum,
    SoftmaxCrossEntropy,
}

const OPS: [Op; 6] = [Op::MatMul, Op::AddBroadcast, Op::Relu, Op::Sigmoid, Op::Sum, Op::SoftmaxCrossEntropy];
const SIZES: [usize; 2] = [1, 8];

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::MatMul => "matmul",
            Op::AddBroadcast => "add_bias",
            Op::Relu => "relu",
            Op::Sigmoid => "sigmoid",
            Op::Sum => "sum",
            Op::SoftmaxCrossEntropy => "softmax_ce",
        }
    }

    /// Shape of the second operand for an `n × n` first operand, if the op has one.
    fn rhs_shape(self, n: usize) -> Option<(usize, usize)> {
        match self {
            Op::MatMul => Some((n, n)),
            Op::AddBroadcast => Some((1, n)),
            _ => None,
        }
    }

    /// Whether the op's value is already `1 × 1` (no trailing `sum`).
    fn is_reduction(self) -> bool {
        matches!(self, Op::Sum | Op::SoftmaxCrossEntropy)
    }

    fn builtin(self, labels: &[usize]) -> Builtin {
        match self {
            Op::MatMul => Builtin::from(MatMul { ta: false, tb: false }),
            Op::AddBroadcast => Builtin::from(Add),
            Op::Relu => Builtin::from(Relu),
            Op::Sigmoid => Builtin::from(Sigmoid),
            Op::Sum => Builtin::from(Sum(Axis::All)),
            Op::SoftmaxCrossEntropy => Builtin::from(SoftmaxCrossEntropy(labels.to_vec())),
        }
    }

    /// Records the op (and the trailing `sum`, for a matrix value) on the tape.
    fn record<'t>(self, a: MatVar<'t, f64>, b: Option<MatVar<'t, f64>>, labels: &[usize]) -> Var<'t, f64> {
        let rhs = || b.expect("binary op has a second operand");
        match self {
            Op::MatMul => a.matmul(rhs()).sum(),
            Op::AddBroadcast => (a + rhs()).sum(),
            Op::Relu => a.relu().sum(),
            Op::Sigmoid => a.sigmoid().sum(),
            Op::Sum => a.sum(),
            Op::SoftmaxCrossEntropy => a.softmax_cross_entropy(labels),
        }
    }
}

/// Inputs of one measurement.
struct Inputs {
    a: Matrix<f64>,
    b: Option<Matrix<f64>>,
    labels: Vec<usize>,
}

impl Inputs {
    fn new(op: Op, n: usize) -> Self {
        let mut rng = StdRng::seed_from_u64(11);
        let a = Matrix::random_normal(n, n, 0.0, 1.0, &mut rng);
        let b = op.rhs_shape(n).map(|(r, c)| Matrix::random_normal(r, c, 0.0, 1.0, &mut rng));
        Inputs { a, b, labels: (0..n).map(|i| (3 * i + 1) % n).collect() }
    }
}

/// The tape side: reused tape and gradients.
struct OnTape {
    tape: Tape<f64>,
    grads: Gradients<f64>,
}

impl OnTape {
    /// Record, sweep, read the input gradients; returns the output value.
    fn run(&mut self, op: Op, x: &Inputs) -> f64 {
        self.tape.clear();
        let tape = &self.tape;
        let a = tape.matrix(&x.a);
        let b = x.b.as_ref().map(|b| tape.matrix(b));
        let y = op.record(a, b, &x.labels);
        tape.backward_into(y, 1.0, &mut self.grads);
        black_box(self.grads.matrix(a));
        if let Some(b) = b {
            black_box(self.grads.matrix(b));
        }
        y.primal()
    }
}

/// The direct side: the rule functions on preallocated buffers.
struct Direct {
    op: Builtin,
    /// Whether `op`'s value is the scalar output itself (else a `sum` follows).
    reduction: bool,
    sum: Builtin,
    /// The op's value.
    out: Matrix<f64>,
    /// `sum(out)` when the op's value is a matrix.
    total: Matrix<f64>,
    /// `∂L/∂out`.
    g_out: Matrix<f64>,
    ga: Matrix<f64>,
    gb: Matrix<f64>,
}

impl Direct {
    fn new(op: Op, x: &Inputs) -> Self {
        let op_b = op.builtin(&x.labels);
        let shapes: Vec<(usize, usize)> = std::iter::once(x.a.shape()).chain(x.b.as_ref().map(|b| b.shape())).collect();
        let (r, c) = MatOp::<f64>::output_shape(&op_b, &shapes);
        let gb_shape = x.b.as_ref().map_or((0, 0), |b| b.shape());
        assert!(!op.is_reduction() || (r, c) == (1, 1), "{}: a reduction has a 1×1 value", op.name());
        Direct {
            op: op_b,
            reduction: op.is_reduction(),
            sum: Builtin::from(Sum(Axis::All)),
            out: Matrix::zeros(r, c),
            total: Matrix::zeros(1, 1),
            g_out: Matrix::zeros(r, c),
            ga: Matrix::zeros(x.a.rows(), x.a.cols()),
            gb: Matrix::zeros(gb_shape.0, gb_shape.1),
        }
    }

    /// Forward and VJP of the op (and of the trailing `sum`); returns the output value.
    fn run(&mut self, x: &Inputs) -> f64 {
        let Direct { op, reduction, sum, out, total, g_out, ga, gb } = self;
        let (pair, single);
        let inputs: &[&Matrix<f64>] = match &x.b {
            Some(b) => {
                pair = [&x.a, b];
                &pair
            }
            None => {
                single = [&x.a];
                &single
            }
        };
        MatOp::<f64>::forward(op, inputs, out.as_mut_slice());
        let value = if *reduction {
            g_out.as_mut_slice()[0] = 1.0;
            out.as_slice()[0]
        } else {
            MatOp::<f64>::forward(sum, &[&*out], total.as_mut_slice());
            g_out.as_mut_slice().fill(0.0);
            MatOp::<f64>::vjp(sum, &[&*out], total, &[1.0], &mut [Some(g_out.as_mut_slice())]);
            total.as_slice()[0]
        };
        ga.as_mut_slice().fill(0.0);
        gb.as_mut_slice().fill(0.0);
        let mut slots = [Some(ga.as_mut_slice()), Some(gb.as_mut_slice())];
        MatOp::<f64>::vjp(op, inputs, out, g_out.as_slice(), &mut slots[..inputs.len()]);
        black_box((&*ga, &*gb));
        value
    }
}

fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("op_overhead");
    group.warm_up_time(Duration::from_millis(200)).measurement_time(Duration::from_millis(700)).sample_size(20);
    for op in OPS {
        for n in SIZES {
            let x = Inputs::new(op, n);
            let mut on_tape = OnTape { tape: Tape::new(), grads: Gradients::empty() };
            let mut direct = Direct::new(op, &x);
            // Both sides compute the same thing.
            let (vt, vd) = (on_tape.run(op, &x), direct.run(&x));
            assert!((vt - vd).abs() <= 1e-12 * (1.0 + vd.abs()), "{}/{n}: tape {vt} vs direct {vd}", op.name());
            let label = format!("{n}x{n}");
            group.bench_function(BenchmarkId::new(format!("{}_tape", op.name()), &label), |b| {
                b.iter(|| on_tape.run(op, black_box(&x)))
            });
            group.bench_function(BenchmarkId::new(format!("{}_direct", op.name()), &label), |b| {
                b.iter(|| direct.run(black_box(&x)))
            });
        }
    }
    group.finish();
}

criterion_group!(overhead, benches);

fn report() {
    println!(
        "\nPer-op overhead, same-run medians (record + backward on a reused tape / rule functions called directly):"
    );
    println!("{:<12} {:>6} {:>12} {:>12} {:>8} {:>12}", "op", "size", "tape", "direct", "ratio", "tape − direct");
    for op in OPS {
        for n in SIZES {
            let id = |kind: &str| common::median_ns("op_overhead", &format!("{}_{kind}/{n}x{n}", op.name()));
            let (Some(t), Some(d)) = (id("tape"), id("direct")) else { continue };
            println!(
                "{:<12} {:>6} {:>12} {:>12} {:>7.1}× {:>12}",
                op.name(),
                format!("{n}×{n}"),
                common::human(t),
                common::human(d),
                t / d,
                common::human(t - d)
            );
        }
    }
}

fn main() {
    overhead();
    Criterion::default().configure_from_args().final_summary();
    report();
}
