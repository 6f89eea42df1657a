//! Compiled functions: replay against re-recording, sparse Hessians by
//! coloring, dense Hessians, memory per op — same-run ratios.
//!
//! Run: `flock /tmp/wengert-bench.lock cargo bench --bench compile`. Prints,
//! after criterion's output, the ratios of the targets in `docs/compile.md`:
//!
//! * replayed value + gradient / re-recorded value + gradient (extended
//!   Rosenbrock, n = 10 000);
//! * sparse Hessian per call (pattern and coloring kept) / one gradient;
//! * the same including sparsity detection and coloring;
//! * dense `hessian` of Rosenbrock n = 100 / one gradient;
//! * bytes per op of a compiled Rosenbrock n = 10⁶.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, BenchmarkId, Criterion};
use wengert::optim::problems::rosenbrock;
use wengert::prelude::*;
use wengert::tape::compile::compile;

mod common;

fn inputs(n: usize) -> Vec<f64> {
    (0..n).map(|i| 0.5 + 0.4 * ((i as f64) * 0.7).sin()).collect()
}

/// Records Rosenbrock on a reused tape and sweeps it (what every evaluation
/// costs without compiling).
fn recorded_value_and_grad(tape: &mut Tape<f64>, grads: &mut Gradients<f64>, x: &[f64], out: &mut [f64]) -> f64 {
    tape.clear();
    let vars = tape.vars(x);
    let y = rosenbrock(&vars);
    tape.backward_into(y, 1.0, grads);
    for (o, v) in out.iter_mut().zip(&vars) {
        *o = grads[*v];
    }
    y.primal()
}

const SIZES: [usize; 2] = [100, 10_000];

fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("compile_rosenbrock");
    group.warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(2)).sample_size(20);
    for n in SIZES {
        let x = inputs(n);
        let mut tape = Tape::with_capacity(16 * n);
        let mut grads = Gradients::empty();
        let mut out = vec![0.0; n];
        group.bench_with_input(BenchmarkId::new("recorded_grad", n), &x, |b, x| {
            b.iter(|| recorded_value_and_grad(&mut tape, &mut grads, black_box(x), &mut out))
        });
        let f = compile(|v| rosenbrock(v), &x).expect("Rosenbrock compiles");
        group.bench_with_input(BenchmarkId::new("replayed_grad", n), &x, |b, x| {
            b.iter(|| f.value_and_gradient_into(black_box(x), &mut out).expect("no guards"))
        });
        let _ = f.sparse_hessian(&x).expect("no guards"); // pattern and coloring kept from here on
        group.bench_with_input(BenchmarkId::new("sparse_hessian", n), &x, |b, x| {
            b.iter(|| f.sparse_hessian(black_box(x)).expect("no guards"))
        });
        group.bench_with_input(BenchmarkId::new("sparse_hessian_with_detection", n), &x, |b, x| {
            // A clone keeps the op sequence but not the pattern or coloring.
            b.iter(|| f.clone().sparse_hessian(black_box(x)).expect("no guards"))
        });
        if n <= 100 {
            group.bench_with_input(BenchmarkId::new("dense_hessian", n), &x, |b, x| {
                b.iter(|| f.hessian(black_box(x)).expect("no guards"))
            });
            group.bench_with_input(BenchmarkId::new("tape_hessian", n), &x, |b, x| {
                b.iter(|| hessian(|v| rosenbrock(v), black_box(x)))
            });
        }
    }
    group.finish();
}

criterion_group!(compiled, benches);

fn report() {
    let m = |id: &str, n: usize| common::median_ns("compile_rosenbrock", &format!("{id}/{n}"));
    println!("\nSame-run ratios (medians), extended Rosenbrock:");
    for n in SIZES {
        let (Some(rec), Some(rep)) = (m("recorded_grad", n), m("replayed_grad", n)) else { continue };
        println!("n = {n}: re-recorded f+∇f {}, replayed f+∇f {}", common::human(rec), common::human(rep));
        println!("  replayed / re-recorded value+gradient: {:.2}×", rep / rec);
        if let Some(h) = m("sparse_hessian", n) {
            println!(
                "  sparse Hessian (pattern, coloring kept) {}: {:.1}× a replayed gradient, {:.1}× a recorded one",
                common::human(h),
                h / rep,
                h / rec
            );
        }
        if let Some(h) = m("sparse_hessian_with_detection", n) {
            println!(
                "  sparse Hessian incl. detection + coloring {}: {:.1}× a replayed gradient, {:.1}× a recorded one",
                common::human(h),
                h / rep,
                h / rec
            );
        }
        if let Some(h) = m("dense_hessian", n) {
            println!(
                "  compiled `hessian` {}: {:.1}× a replayed gradient, {:.1}× a recorded one",
                common::human(h),
                h / rep,
                h / rec
            );
        }
        if let Some(h) = m("tape_hessian", n) {
            println!(
                "  tape `hessian` (n HVPs, for reference) {}: {:.1}× a recorded gradient",
                common::human(h),
                h / rec
            );
        }
    }
    let n = 1_000_000;
    let f = compile(|v| rosenbrock(v), &inputs(n)).expect("Rosenbrock compiles");
    println!(
        "compiled Rosenbrock n = 10⁶: {} ops, {:.1} bytes per op (program + replay buffers)",
        f.ops(),
        f.bytes_per_op()
    );
}

fn main() {
    compiled();
    Criterion::default().configure_from_args().final_summary();
    report();
}
