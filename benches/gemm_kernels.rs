//! The `gemm` crate's kernels in this build — AVX-512 (the default feature
//! `avx512`, the crate's `x86-v4`) or AVX2+FMA only (`--no-default-features`) —
//! on one thread, f32 and f64, at the sizes training uses.
//!
//! Both builds pick their kernels at run time: the AVX-512 build runs its
//! AVX-512 kernels only on a CPU that has AVX-512F (and its AVX2+FMA kernels on
//! one that has not), so on a CPU without AVX-512 the two builds measure the
//! same kernels. The table's first line says which this machine runs.
//!
//! One binary holds one build, so the comparison takes two: `scripts/gemm_kernels.sh`
//! builds both, then takes the bench lock itself and runs them back to back
//! (twice, in the order A B A B); each run files its medians under its own
//! criterion group, `gemm_kernels_avx512` or `gemm_kernels_avx2`, and the last
//! run prints the table of both with their ratio. Throughput is in GFLOP/s
//! (`2·m·n·k` per product). Not run by CI (which only builds the benches).
//!
//! ```sh
//! scripts/gemm_kernels.sh   # takes /tmp/wengert-bench.lock for the runs
//! ```

use std::time::Duration;

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use wengert::ops::kernels::{avx512_in_use, avx512_kernels, gemm_tuned, with_num_threads, TunedFloat};
use wengert::ops::Matrix;

mod common;

/// A product `op(a)·b`: `m × k` times `k × n`, `a` stored transposed if `ta`.
struct Shape {
    label: &'static str,
    m: usize,
    n: usize,
    k: usize,
    ta: bool,
}

const SHAPES: [Shape; 9] = [
    Shape { label: "16x16x16", m: 16, n: 16, k: 16, ta: false },
    Shape { label: "32x32x32", m: 32, n: 32, k: 32, ta: false },
    Shape { label: "64x64x64", m: 64, n: 64, k: 64, ta: false },
    Shape { label: "128x128x128", m: 128, n: 128, k: 128, ta: false },
    Shape { label: "256x256x256", m: 256, n: 256, k: 256, ta: false },
    Shape { label: "b64_fwd_64x32x64", m: 64, n: 32, k: 64, ta: false },
    Shape { label: "b128_fwd_128x256x784", m: 128, n: 256, k: 784, ta: false },
    Shape { label: "b128_wgrad_T_784x256x128", m: 784, n: 256, k: 128, ta: true },
    Shape { label: "b256_fwd_256x128x784", m: 256, n: 128, k: 784, ta: false },
];

/// This build's criterion group.
fn group_name(avx512: bool) -> &'static str {
    if avx512 {
        "gemm_kernels_avx512"
    } else {
        "gemm_kernels_avx2"
    }
}

fn run<T: TunedFloat>(c: &mut Criterion, ty: &str) {
    let mut group = c.benchmark_group(group_name(avx512_kernels()));
    group.warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_millis(1000)).sample_size(15);
    for s in &SHAPES {
        let a: Matrix<T> = if s.ta {
            Matrix::random_normal_seeded(s.k, s.m, 0.0, 1.0, 1)
        } else {
            Matrix::random_normal_seeded(s.m, s.k, 0.0, 1.0, 1)
        };
        let b: Matrix<T> = Matrix::random_normal_seeded(s.k, s.n, 0.0, 1.0, 2);
        let mut out = vec![T::zero(); s.m * s.n];
        group.throughput(Throughput::Elements((2 * s.m * s.n * s.k) as u64));
        group.bench_function(BenchmarkId::new(ty, s.label), |bench| {
            with_num_threads(1, || {
                bench.iter(|| gemm_tuned(false, s.m, s.n, s.k, a.view(s.ta), b.view(false), &mut out))
            })
        });
    }
    group.finish();
}

fn benches(c: &mut Criterion) {
    run::<f32>(c, "f32");
    run::<f64>(c, "f64");
}

criterion_group!(gemm_kernels, benches);

fn report() {
    println!(
        "\nThis build: {} kernels; AVX-512 in use on this CPU: {}",
        if avx512_kernels() { "AVX-512 + AVX2" } else { "AVX2 only" },
        avx512_in_use()
    );
    println!("GFLOP/s, one thread (medians; the other build's from its latest run):");
    println!(
        "{:<26} {:>5} {:>10} {:>10} {:>14} {:>12}",
        "shape", "type", "avx512", "avx2", "avx512 / avx2", "avx512 time"
    );
    for ty in ["f32", "f64"] {
        for s in &SHAPES {
            let median = |avx512| common::median_ns(group_name(avx512), &format!("{ty}/{}", s.label));
            let gflops = |avx512| median(avx512).map(|ns| (2 * s.m * s.n * s.k) as f64 / ns);
            let (with, without) = (gflops(true), gflops(false));
            let time = median(true).map_or("—".to_string(), common::human);
            let show = |g: Option<f64>| g.map_or("—".to_string(), |g| format!("{g:.1}"));
            let ratio = match (with, without) {
                (Some(a), Some(b)) => format!("{:.2}×", a / b),
                _ => "—".into(),
            };
            println!("{:<26} {:>5} {:>10} {:>10} {:>14} {:>12}", s.label, ty, show(with), show(without), ratio, time);
        }
    }
}

fn main() {
    gemm_kernels();
    Criterion::default().configure_from_args().final_summary();
    report();
}
