//! One optimizer step on ≈ 200 000 parameters, the library's against the same
//! update written by hand, in the same run.
//!
//! The parameters are those of a 784 → 256 linear layer (a 256 × 784 weight and
//! a 1 × 256 bias, 200 960 numbers), held in a [`Params`] and updated from a
//! fixed gradient of the same shape. Two implementations per optimizer:
//!
//! * **lib**: `Optimizer::step` of `wengert_optim`: name lookup, shape checks,
//!   lazy per-parameter state, the step counter and the update rule.
//! * **hand**: the textbook update over preallocated `Vec`s with the step
//!   constants computed exactly as the library computes them, so both produce
//!   the same numbers bit for bit (checked once before timing).
//!
//! Both touch the same memory, so the ratio lib / hand is the cost of the
//! library's bookkeeping and of how its inner loop is written. Run:
//! `flock /tmp/wengert-bench.lock cargo bench --bench optim_step`; after
//! criterion's output a table lists the medians and their ratio.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, BenchmarkId, Criterion};
use wengert::ops::{Matrix, Scalar};
use wengert::optim::{Adam, Optimizer, Params, Sgd};

mod common;

/// Rows and columns of the weight; the bias has `ROWS` entries.
const ROWS: usize = 256;
const COLS: usize = 784;
const LR: f64 = 1e-3;
const BETA1: f64 = 0.9;
const BETA2: f64 = 0.999;
const EPS: f64 = 1e-8;

/// Deterministic, varied parameters and gradients (no RNG needed).
fn params<T: Scalar>(phase: f64) -> Params<T> {
    Params::new()
        .with("weight", Matrix::from_fn(ROWS, COLS, |i, j| T::from_f64(((i * COLS + j) as f64 * 0.37 + phase).sin())))
        .with("bias", Matrix::from_fn(1, ROWS, |_, j| T::from_f64((j as f64 * 0.11 + phase).cos())))
}

/// Adam written out over flat buffers, one `(θ, m, v)` triple per parameter.
struct HandAdam<T> {
    t: u64,
    m: Vec<Vec<T>>,
    v: Vec<Vec<T>>,
}

impl<T: Scalar> HandAdam<T> {
    fn new(p: &Params<T>) -> Self {
        let zeros = || p.iter().map(|(_, m)| vec![T::zero(); m.len()]).collect();
        HandAdam { t: 0, m: zeros(), v: zeros() }
    }

    fn step(&mut self, theta: &mut [Vec<T>], grads: &[Vec<T>]) {
        self.t += 1;
        let bc1 = 1.0 - BETA1.powf(self.t as f64);
        let bc2 = 1.0 - BETA2.powf(self.t as f64);
        let c = T::from_f64;
        let (b1, b2, one_b1, one_b2) = (c(BETA1), c(BETA2), c(1.0 - BETA1), c(1.0 - BETA2));
        let (step, inv_bc2, eps, shrink) = (c(LR / bc1), c(1.0 / bc2), c(EPS), c(1.0 - LR * 0.0));
        for (((th, g), m), v) in theta.iter_mut().zip(grads).zip(&mut self.m).zip(&mut self.v) {
            for (((th, &g), m), v) in th.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
                *m = b1 * *m + one_b1 * g;
                *v = b2 * *v + one_b2 * g * g;
                *th = shrink * *th - step * *m / ((*v * inv_bc2).sqrt() + eps);
            }
        }
    }
}

/// Plain gradient descent written out.
fn hand_sgd<T: Scalar>(theta: &mut [Vec<T>], grads: &[Vec<T>]) {
    let lr = T::from_f64(LR);
    for (th, g) in theta.iter_mut().zip(grads) {
        for (t, &g) in th.iter_mut().zip(g) {
            *t -= lr * g;
        }
    }
}

fn flat<T: Scalar>(p: &Params<T>) -> Vec<Vec<T>> {
    p.iter().map(|(_, m)| m.as_slice().to_vec()).collect()
}

/// Three steps of each; panics unless the library and the hand loop agree bit for bit.
fn assert_same_steps<T: Scalar>() {
    let grads = params::<T>(1.0);
    let (mut lib, mut hand) = (params::<T>(0.0), flat(&params::<T>(0.0)));
    let (mut adam, mut hand_adam) = (Adam::new().lr(LR).beta1(BETA1).beta2(BETA2).eps(EPS), HandAdam::new(&lib));
    for _ in 0..3 {
        adam.step(&mut lib, &grads);
        hand_adam.step(&mut hand, &flat(&grads));
    }
    let mut sgd = Sgd::new().lr(LR);
    sgd.step(&mut lib, &grads);
    hand_sgd(&mut hand, &flat(&grads));
    for ((name, m), h) in lib.iter().zip(&hand) {
        assert!(m.iter().zip(h).all(|(a, b)| a.value().to_bits() == b.value().to_bits()), "`{name}` differs");
    }
}

fn bench_precision<T: Scalar>(c: &mut Criterion, precision: &str) {
    let mut group = c.benchmark_group("optim_step");
    group.warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_millis(2000)).sample_size(20);
    let grads = params::<T>(1.0);
    let flat_grads = flat(&grads);
    let mut checked = false;

    let mut p = params::<T>(0.0);
    let mut adam = Adam::new().lr(LR).beta1(BETA1).beta2(BETA2).eps(EPS);
    group.bench_function(BenchmarkId::new(format!("adam_lib_{precision}"), "200k"), |b| {
        if !std::mem::replace(&mut checked, true) {
            assert_same_steps::<T>();
        }
        b.iter(|| adam.step(&mut p, black_box(&grads)));
    });
    let mut theta = flat(&params::<T>(0.0));
    let mut hand = HandAdam::new(&params::<T>(0.0));
    group.bench_function(BenchmarkId::new(format!("adam_hand_{precision}"), "200k"), |b| {
        b.iter(|| hand.step(&mut theta, black_box(&flat_grads)));
    });

    let mut sgd = Sgd::new().lr(LR);
    group.bench_function(BenchmarkId::new(format!("sgd_lib_{precision}"), "200k"), |b| {
        b.iter(|| sgd.step(&mut p, black_box(&grads)));
    });
    group.bench_function(BenchmarkId::new(format!("sgd_hand_{precision}"), "200k"), |b| {
        b.iter(|| hand_sgd(&mut theta, black_box(&flat_grads)));
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    bench_precision::<f32>(c, "f32");
    bench_precision::<f64>(c, "f64");
}

criterion_group!(optim, benches);

fn report() {
    println!("\nOptimizer step on 200 960 parameters, same-run medians (lib / hand):");
    println!("{:<10} {:>5} {:>12} {:>12} {:>8}", "optimizer", "type", "lib", "hand", "ratio");
    for opt in ["adam", "sgd"] {
        for precision in ["f32", "f64"] {
            let id = |kind: &str| common::median_ns("optim_step", &format!("{opt}_{kind}_{precision}/200k"));
            let (Some(l), Some(h)) = (id("lib"), id("hand")) else { continue };
            println!("{opt:<10} {precision:>5} {:>12} {:>12} {:>7.3}×", common::human(l), common::human(h), l / h);
        }
    }
}

fn main() {
    optim();
    Criterion::default().configure_from_args().final_summary();
    report();
}
