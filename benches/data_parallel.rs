//! Training steps on 1, 2, … threads, in the same run: how data-parallel
//! gradients scale, and what the matrix kernel's own threads do instead.
//!
//! A step is what [`Trainer`](wengert::nn::train::Trainer) does per batch:
//! [`GradientStep::compute`] (record, sweep, gradients) of a `TwoLayerNet`
//! (Linear → ReLU → Linear, softmax cross-entropy, f32) followed by an SGD
//! update. For each size and thread count `t`:
//!
//! * `planned_t` — `GradientStep::new(t)`: the split [`plan_shards`] picks (what
//!   the trainer and `wengert --threads t` run);
//! * `shards_t` — `GradientStep::new(t).with_shards(t)`: always `t` shards, one
//!   tape per thread, products single-threaded inside each;
//! * `gemm_t` — one tape, the matrix products on `t` threads
//!   (`kernels::with_num_threads`): the only parallelism before data-parallel
//!   training, measured for comparison.
//!
//! Thread counts come from `WENGERT_BENCH_THREADS` (comma-separated, default
//! `1,2`), so the same bench measures a bigger machine:
//!
//! ```sh
//! flock /tmp/wengert-bench.lock cargo bench --bench data_parallel
//! WENGERT_BENCH_THREADS=1,2,4,8 cargo bench --bench data_parallel
//! ```
//!
//! After criterion's output a table gives each median and its ratio to the
//! 1-thread `planned` step of the same size, measured in the same run.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, BenchmarkId, Criterion};
use wengert::nn::data::{Batch, Batches, Dataset};
use wengert::nn::train::{plan_shards, GradientStep};
use wengert::nn::{Model, TwoLayerNet};
use wengert::ops::kernels::{available_threads, with_num_threads};
use wengert::ops::Matrix;
use wengert::optim::{Optimizer, Params, Sgd};

mod common;

/// A network and batch size: `batch × inputs → hidden → classes`.
#[derive(Clone, Copy)]
struct Size {
    batch: usize,
    inputs: usize,
    hidden: usize,
    classes: usize,
}

impl Size {
    /// The benchmark id, e.g. `b64_64-32-10`.
    fn label(&self) -> String {
        format!("b{}_{}-{}-{}", self.batch, self.inputs, self.hidden, self.classes)
    }
}

/// The issue's two sizes, and the MNIST job's step (`cargo run --release`).
const SIZES: [Size; 3] = [
    Size { batch: 64, inputs: 64, hidden: 32, classes: 10 },
    Size { batch: 256, inputs: 784, hidden: 128, classes: 10 },
    Size { batch: 128, inputs: 784, hidden: 256, classes: 10 },
];

/// The thread counts to measure: `WENGERT_BENCH_THREADS`, else `1,2`.
fn thread_counts() -> Vec<usize> {
    let list = std::env::var("WENGERT_BENCH_THREADS").unwrap_or_else(|_| "1,2".into());
    let mut counts: Vec<usize> = list.split(',').filter_map(|t| t.trim().parse().ok()).filter(|&t| t > 0).collect();
    if !counts.contains(&1) {
        counts.insert(0, 1); // the baseline of every ratio
    }
    counts
}

/// A batch of standard-normal-ish inputs and uniform labels, from a fixed seed.
fn batch(s: Size) -> Batch<f32> {
    let x = Matrix::random_normal_seeded(s.batch, s.inputs, 0.0, 1.0, 7);
    let labels = (0..s.batch).map(|i| ((i * 7919) % s.classes) as f64).collect();
    let names = (0..s.inputs).map(|j| format!("x{j}")).collect();
    let data = Dataset::new(x, labels, names, "label").expect("a valid dataset");
    let mut buf = Batch::new();
    Batches::new(&data, s.batch, 0).expect("batch size ≥ 1").epoch::<f32>().next_into(&mut buf);
    buf
}

/// What is measured: the step's gradients, then the update.
struct Step {
    net: TwoLayerNet<f32>,
    sgd: Sgd<f32>,
    grads: Params<f32>,
    engine: GradientStep<f32>,
    /// Matrix-kernel threads for the one-tape `gemm_t` variant.
    gemm_threads: usize,
}

impl Step {
    fn new(s: Size, engine: GradientStep<f32>, gemm_threads: usize) -> Self {
        Step {
            net: TwoLayerNet::new(s.inputs, s.hidden, s.classes, 3),
            sgd: Sgd::new().lr(0.01),
            grads: Params::new(),
            engine,
            gemm_threads,
        }
    }

    fn run(&mut self, batch: &Batch<f32>) -> f64 {
        let Step { net, sgd, grads, engine, gemm_threads } = self;
        let out = with_num_threads(*gemm_threads, || engine.compute(&*net, batch, grads));
        sgd.step(net.params_mut(), grads);
        out.loss
    }
}

fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("data_parallel");
    group.warm_up_time(Duration::from_millis(400)).measurement_time(Duration::from_millis(2000)).sample_size(20);
    for s in SIZES {
        let buf = batch(s);
        for &t in &thread_counts() {
            let variants: [(&str, GradientStep<f32>, usize); 3] = [
                ("planned", GradientStep::new(t), 1),
                ("shards", GradientStep::new(t).with_shards(t), 1),
                ("gemm", GradientStep::new(1), t),
            ];
            for (name, engine, gemm_threads) in variants {
                if t == 1 && name != "planned" {
                    continue; // all three are the same one-tape step
                }
                let mut step = Step::new(s, engine, gemm_threads);
                group.bench_function(BenchmarkId::new(format!("{name}_{t}"), s.label()), |b| {
                    b.iter(|| step.run(black_box(&buf)));
                    assert!(step.run(&buf).is_finite(), "training diverged");
                });
            }
        }
    }
    group.finish();
}

criterion_group!(data_parallel, benches);

fn report() {
    let counts = thread_counts();
    println!(
        "\nTraining step (f32, SGD), same-run medians; ratio = time / 1-thread time (this machine: {} threads available)",
        available_threads()
    );
    println!("{:<20} {:>8} {:>7} {:>12} {:>8}", "size", "variant", "shards", "median", "ratio");
    for s in SIZES {
        let id = |name: &str, t: usize| common::median_ns("data_parallel", &format!("{name}_{t}/{}", s.label()));
        let Some(base) = id("planned", 1) else { continue };
        let params = s.inputs * s.hidden + s.hidden + s.hidden * s.classes + s.classes;
        for &t in &counts {
            for name in ["planned", "shards", "gemm"] {
                if t == 1 && name != "planned" {
                    continue;
                }
                let Some(ns) = id(name, t) else { continue };
                let shards = match name {
                    "planned" => plan_shards(s.batch, params, t),
                    "shards" => t,
                    _ => 1,
                };
                println!(
                    "{:<20} {:>8} {:>7} {:>12} {:>7.2}×",
                    s.label(),
                    format!("{name}_{t}"),
                    shards,
                    common::human(ns),
                    ns / base
                );
            }
        }
    }
}

fn main() {
    data_parallel();
    Criterion::default().configure_from_args().final_summary();
    report();
}
