//! Forward mode against reverse mode, and second-order products against one
//! gradient, in the same run.
//!
//! * `modes_gradient/{forward,reverse}/n`: the gradient of extended Rosenbrock by
//!   forward mode (`jacfwd`: `n` passes on `Dual<f64>`) and by reverse mode (record + one
//!   sweep on a reused `Tape<f64>`), n = 10, 100, 1 000.
//! * `modes_second_order/*`: for Rosenbrock at n = 100, one gradient, one
//!   Hessian-vector product (forward-over-reverse on a reused `Tape<Dual<f64>>`),
//!   the `hvp` transform (fresh tape per call) and the full Hessian (`hessian`,
//!   n HVPs).
//! * `modes_net/*`: the loss of a two-layer network (784-32-10, ReLU, softmax
//!   cross-entropy, batch 64) on matrix ops: one gradient and one HVP with
//!   respect to all 25 450 parameters.
//!
//! Run: `cargo bench --bench modes`. After criterion's output it prints a table of
//! same-run medians and ratios (target: one HVP ≤ 4× one gradient).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, BenchmarkGroup, BenchmarkId, Criterion};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use wengert::optim::problems::rosenbrock;
use wengert::prelude::*;

mod common;

fn point(n: usize) -> Vec<f64> {
    (0..n).map(|i| 0.5 + 0.4 * ((i as f64) * 0.7).sin()).collect()
}

const GRADIENT_SIZES: [usize; 3] = [10, 100, 1_000];
const SECOND_ORDER_N: usize = 100;

fn short<M: criterion::measurement::Measurement>(group: &mut BenchmarkGroup<'_, M>) {
    group.warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_millis(1500)).sample_size(15);
}

/// Reverse-mode gradient on a reused tape: clear, record, sweep.
fn reverse_gradient(tape: &mut Tape<f64>, grads: &mut Gradients<f64>, x: &[f64], out: &mut [f64]) {
    tape.clear();
    let vars = tape.vars(x);
    let y = rosenbrock(&vars);
    tape.backward_into(y, 1.0, grads);
    for (o, v) in out.iter_mut().zip(&vars) {
        *o = grads[*v];
    }
}

/// Forward-over-reverse HVP on a reused dual tape: clear, record with tangents
/// `v`, sweep with seed (1, 0); the adjoints' tangents are `H·v`.
fn reverse_hvp(tape: &mut Tape<Dual<f64>>, grads: &mut Gradients<Dual<f64>>, x: &[f64], v: &[f64], out: &mut [f64]) {
    tape.clear();
    let vars: Vec<_> = x.iter().zip(v).map(|(&xi, &vi)| tape.var(Dual::new(xi, vi))).collect();
    let y = rosenbrock(&vars);
    tape.backward_into(y, Dual::constant(1.0), grads);
    for (o, var) in out.iter_mut().zip(&vars) {
        *o = grads[*var].eps;
    }
}

fn bench_gradients(c: &mut Criterion) {
    let mut group = c.benchmark_group("modes_gradient");
    short(&mut group);
    for n in GRADIENT_SIZES {
        let x = point(n);
        group.bench_with_input(BenchmarkId::new("forward", n), &x, |b, x| b.iter(|| jacfwd(rosenbrock, black_box(x))));
        let mut tape = Tape::with_capacity(8 * n);
        let mut grads = Gradients::empty();
        let mut out = vec![0.0; n];
        group.bench_with_input(BenchmarkId::new("reverse", n), &x, |b, x| {
            b.iter(|| reverse_gradient(&mut tape, &mut grads, black_box(x), &mut out))
        });
    }
    group.finish();
}

fn bench_second_order(c: &mut Criterion) {
    let mut group = c.benchmark_group("modes_second_order");
    short(&mut group);
    let n = SECOND_ORDER_N;
    let x = point(n);
    let v: Vec<f64> = (0..n).map(|i| ((i % 5) as f64 - 2.0) * 0.5).collect();
    let mut tape = Tape::with_capacity(8 * n);
    let mut grads = Gradients::empty();
    let mut out = vec![0.0; n];
    group.bench_function("gradient", |b| b.iter(|| reverse_gradient(&mut tape, &mut grads, black_box(&x), &mut out)));
    let mut dual_tape = Tape::with_capacity(8 * n);
    let mut dual_grads = Gradients::empty();
    group.bench_function("hvp", |b| {
        b.iter(|| reverse_hvp(&mut dual_tape, &mut dual_grads, black_box(&x), black_box(&v), &mut out))
    });
    group.bench_function("hvp_transform", |b| b.iter(|| hvp(|p| rosenbrock(p), black_box(&x), black_box(&v))));
    group.bench_function("hessian", |b| b.iter(|| hessian(|p| rosenbrock(p), black_box(&x))));
    group.finish();
}

/// A two-layer network and a batch, as plain matrices.
struct Net {
    w1: Matrix<f64>,
    b1: Matrix<f64>,
    w2: Matrix<f64>,
    b2: Matrix<f64>,
    x: Matrix<f64>,
    labels: Vec<usize>,
}

impl Net {
    fn new() -> Self {
        let mut rng = StdRng::seed_from_u64(5);
        let (d, h, k, batch) = (784, 32, 10, 64);
        Net {
            w1: Matrix::random_normal(d, h, 0.0, (2.0 / d as f64).sqrt(), &mut rng),
            b1: Matrix::zeros(1, h),
            w2: Matrix::random_normal(h, k, 0.0, (2.0 / h as f64).sqrt(), &mut rng),
            b2: Matrix::zeros(1, k),
            x: Matrix::random_uniform(batch, d, 0.0, 1.0, &mut rng),
            labels: (0..batch).map(|_| rng.random_range(0..k)).collect(),
        }
    }

    fn params(&self) -> [&Matrix<f64>; 4] {
        [&self.w1, &self.b1, &self.w2, &self.b2]
    }

    /// Records the loss on `tape` with the parameters `p` and the batch `x`.
    fn loss<'t, T: Scalar>(tape: &'t Tape<T>, p: &[MatVar<'t, T>], x: &Matrix<T>, labels: &[usize]) -> Var<'t, T> {
        let x = tape.constant_matrix(x);
        let hidden = (x.matmul(p[0]) + p[1]).relu();
        (hidden.matmul(p[2]) + p[3]).softmax_cross_entropy(labels)
    }
}

fn bench_net(c: &mut Criterion) {
    let mut group = c.benchmark_group("modes_net");
    short(&mut group);
    let net = Net::new();
    let mut tape = Tape::<f64>::new();
    let mut grads = Gradients::empty();
    group.bench_function("gradient", |b| {
        b.iter(|| {
            tape.clear();
            let p: Vec<_> = net.params().iter().map(|m| tape.matrix(m)).collect();
            let y = Net::loss(&tape, &p, &net.x, &net.labels);
            tape.backward_into(y, 1.0, &mut grads);
            black_box(grads.matrix(p[0]));
        })
    });
    // The direction v: a fixed pseudo-random perturbation of every parameter.
    let mut rng = StdRng::seed_from_u64(9);
    let dual_params: Vec<Matrix<Dual<f64>>> =
        net.params().iter().map(|m| m.map(|&w| Dual::new(w, rng.random_range(-1.0..1.0)))).collect();
    let dual_x: Matrix<Dual<f64>> = net.x.cast();
    let mut dual_tape = Tape::<Dual<f64>>::new();
    let mut dual_grads = Gradients::empty();
    group.bench_function("hvp", |b| {
        b.iter(|| {
            dual_tape.clear();
            let p: Vec<_> = dual_params.iter().map(|m| dual_tape.matrix(m)).collect();
            let y = Net::loss(&dual_tape, &p, &dual_x, &net.labels);
            dual_tape.backward_into(y, Dual::constant(1.0), &mut dual_grads);
            black_box(dual_grads.matrix(p[0]));
        })
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    bench_gradients(c);
    bench_second_order(c);
    bench_net(c);
}

criterion_group!(modes, benches);

fn report() {
    println!("\nSame-run medians and ratios.");
    println!("\nGradient of extended Rosenbrock, forward (n passes) vs reverse (one sweep):");
    println!("{:>8} {:>12} {:>12} {:>10}", "n", "forward", "reverse", "fwd/rev");
    for n in GRADIENT_SIZES {
        let get = |mode: &str| common::median_ns("modes_gradient", &format!("{mode}/{n}"));
        if let (Some(f), Some(r)) = (get("forward"), get("reverse")) {
            println!("{:>8} {:>12} {:>12} {:>9.1}×", n, common::human(f), common::human(r), f / r);
        }
    }
    println!("\nSecond order, Rosenbrock n = {SECOND_ORDER_N}, relative to one gradient:");
    let grad = common::median_ns("modes_second_order", "gradient");
    for (id, what) in [
        ("gradient", "one gradient (reused tape)"),
        ("hvp", "one HVP (reused dual tape)"),
        ("hvp_transform", "hvp() transform (fresh tape)"),
        ("hessian", "hessian() (n HVPs)"),
    ] {
        if let (Some(t), Some(g)) = (common::median_ns("modes_second_order", id), grad) {
            println!("{:<30} {:>12} {:>9.1}×", what, common::human(t), t / g);
        }
    }
    println!("\nTwo-layer net 784-32-10, batch 64 (25 450 parameters), relative to one gradient:");
    let grad = common::median_ns("modes_net", "gradient");
    for (id, what) in [("gradient", "one gradient"), ("hvp", "one HVP")] {
        if let (Some(t), Some(g)) = (common::median_ns("modes_net", id), grad) {
            println!("{:<30} {:>12} {:>9.1}×", what, common::human(t), t / g);
        }
    }
}

fn main() {
    modes();
    Criterion::default().configure_from_args().final_summary();
    report();
}
