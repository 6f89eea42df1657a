//! Scalar-tape overhead: value + gradient on the tape against plain `f64`
//! evaluation of the same generic function, in the same run.
//!
//! Run: `cargo bench --bench scalar_tape`. Prints, after criterion's output, a
//! table of medians and the ratio (f + ∇f on the tape) / (f in plain f64), plus
//! the hand-written Rosenbrock gradient for reference, and bytes per tape node.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use wengert::optim::problems::rosenbrock;
use wengert::prelude::*;

mod common;

/// Hand-written gradient of Rosenbrock (the floor any AD tool is measured
/// against), fused with the value.
fn rosenbrock_value_and_grad_by_hand(x: &[f64], g: &mut [f64]) -> f64 {
    g.iter_mut().for_each(|gi| *gi = 0.0);
    let mut f = 0.0;
    for i in 0..x.len() - 1 {
        let t = x[i + 1] - x[i] * x[i];
        let u = x[i] - 1.0;
        f += 100.0 * t * t + u * u;
        g[i] += -400.0 * x[i] * t + 2.0 * u;
        g[i + 1] += 200.0 * t;
    }
    f
}

/// A transcendental-heavy function: per element sin, exp, ln and tanh.
fn transcendental<T: Real>(x: &[T]) -> T {
    let mut acc = T::zero();
    for &xi in x {
        acc += xi.sin() * (xi * 0.1).exp() + (xi * xi + 1.0).ln() + xi.tanh();
    }
    acc
}

fn inputs(n: usize) -> Vec<f64> {
    (0..n).map(|i| 0.5 + 0.4 * ((i as f64) * 0.7).sin()).collect()
}

/// A scalar function of tape variables, for any tape lifetime.
type TapeFn = for<'t> fn(&[Var<'t, f64>]) -> Var<'t, f64>;

/// Records `f` on a reused tape and sweeps it: what a training loop does.
fn tape_value_and_grad(tape: &mut Tape<f64>, grads: &mut Gradients<f64>, x: &[f64], out: &mut [f64], f: TapeFn) -> f64 {
    tape.clear();
    let vars = tape.vars(x);
    let y = f(&vars);
    tape.backward_into(y, 1.0, grads);
    for (o, v) in out.iter_mut().zip(&vars) {
        *o = grads[*v];
    }
    y.primal()
}

const SIZES: [usize; 4] = [10, 1_000, 10_000, 100_000];

fn bench_function(c: &mut Criterion, name: &str, plain: fn(&[f64]) -> f64, on_tape: TapeFn, with_hand: bool) {
    let mut group = c.benchmark_group(name);
    group.warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(2)).sample_size(20);
    for n in SIZES {
        let x = inputs(n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("f64", n), &x, |b, x| b.iter(|| plain(black_box(x))));
        let mut tape = Tape::with_capacity(16 * n);
        let mut grads = Gradients::empty();
        let mut out = vec![0.0; n];
        group.bench_with_input(BenchmarkId::new("tape", n), &x, |b, x| {
            b.iter(|| tape_value_and_grad(&mut tape, &mut grads, black_box(x), &mut out, on_tape))
        });
        if with_hand {
            group.bench_with_input(BenchmarkId::new("hand", n), &x, |b, x| {
                b.iter(|| rosenbrock_value_and_grad_by_hand(black_box(x), &mut out))
            });
        }
    }
    group.finish();
}

fn benches(c: &mut Criterion) {
    bench_function(c, "rosenbrock", rosenbrock::<f64>, |x| rosenbrock(x), true);
    bench_function(c, "transcendental", transcendental::<f64>, |x| transcendental(x), false);
}

criterion_group!(scalar, benches);

fn report() {
    println!("\nSame-run ratios (medians):");
    println!(
        "{:<16} {:>8} {:>12} {:>12} {:>12} {:>10} {:>10}",
        "function", "n", "f64", "tape f+∇f", "hand f+∇f", "tape/f", "hand/f"
    );
    for name in ["rosenbrock", "transcendental"] {
        for n in SIZES {
            let id = |kind: &str| common::median_ns(name, &format!("{kind}/{n}"));
            let (Some(f), Some(t)) = (id("f64"), id("tape")) else { continue };
            let hand = id("hand");
            println!(
                "{:<16} {:>8} {:>12} {:>12} {:>12} {:>9.1}× {:>10}",
                name,
                n,
                common::human(f),
                common::human(t),
                hand.map_or("-".into(), common::human),
                t / f,
                hand.map_or("-".into(), |h| format!("{:.1}×", h / f)),
            );
        }
    }
    println!(
        "bytes per recorded binary op: {} (f64), {} (f32)",
        Tape::<f64>::bytes_per_scalar_node(),
        Tape::<f32>::bytes_per_scalar_node()
    );
}

fn main() {
    scalar();
    Criterion::default().configure_from_args().final_summary();
    report();
}
