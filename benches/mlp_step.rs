//! One training step of a two-layer MLP on the tape, against the same step
//! written by hand, in the same run.
//!
//! The network is Linear → ReLU → Linear → mean softmax cross-entropy, and a
//! step is forward, backward and a plain SGD update of the four parameter
//! matrices. Two implementations:
//!
//! * **tape**: records the loss on a reused [`Tape`], sweeps it into a reused
//!   [`Gradients`], reads the four gradient matrices, `clear()`s, and updates the
//!   parameters in place — exactly the pattern of `mlp_step` in
//!   `crates/tape/tests/no_alloc.rs`.
//! * **hand**: the forward and backward passes written out over preallocated
//!   buffers, with the **same** matrix-product kernel (`Scalar::gemm`, strided
//!   views for the transposes), bias, ReLU and the loss fused where a person
//!   writing it by hand would fuse them.
//!
//! Since both spend their time in the same GEMMs, the ratio tape / hand is the
//! overhead of the tape: recording, buffer management, zero-filled adjoint
//! buffers, and the unfused elementwise passes. Targets: ≤ 1.10 at every size,
//! ≤ 20 µs per step at batch 64.
//!
//! Run: `cargo bench --bench mlp_step`. After criterion's output a table lists,
//! per size and precision, the medians, their ratio and µs per step. The GEMM
//! runs on one thread (the default of `wengert_ops::kernels::set_num_threads`).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, BenchmarkId, Criterion};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use wengert::ops::{Matrix, Scalar, Strided};
use wengert::tape::{Gradients, Tape};

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

const SIZES: [Size; 3] = [
    Size { batch: 64, inputs: 64, hidden: 32, classes: 10 },
    Size { batch: 256, inputs: 784, hidden: 128, classes: 10 },
    Size { batch: 1024, inputs: 784, hidden: 512, classes: 10 },
];

/// SGD learning rate (small: thousands of steps on one batch must stay finite).
const LR: f64 = 0.01;

/// Parameters `[W1, b1, W2, b2]`, He-initialised from a fixed seed.
fn init_params<T: Scalar>(s: Size, seed: u64) -> [Matrix<T>; 4] {
    let mut rng = StdRng::seed_from_u64(seed);
    [
        Matrix::random_normal(s.inputs, s.hidden, 0.0, (2.0 / s.inputs as f64).sqrt(), &mut rng),
        Matrix::zeros(1, s.hidden),
        Matrix::random_normal(s.hidden, s.classes, 0.0, (2.0 / s.hidden as f64).sqrt(), &mut rng),
        Matrix::zeros(1, s.classes),
    ]
}

/// A random batch (standard normal inputs, uniform labels) from a fixed seed.
fn batch<T: Scalar>(s: Size, seed: u64) -> (Matrix<T>, Vec<usize>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let x = Matrix::random_normal(s.batch, s.inputs, 0.0, 1.0, &mut rng);
    let labels = (0..s.batch).map(|_| rng.random_range(0..s.classes)).collect();
    (x, labels)
}

/// `p -= lr · g` elementwise.
fn sgd<T: Scalar>(p: &mut [T], g: &[T], lr: T) {
    for (p, &g) in p.iter_mut().zip(g) {
        *p -= lr * g;
    }
}

// ----- the tape -------------------------------------------------------------

/// The tape's state carried across steps.
struct TapeStep<T: Scalar> {
    tape: Tape<T>,
    grads: Gradients<T>,
    params: [Matrix<T>; 4],
}

impl<T: Scalar> TapeStep<T> {
    fn new(params: [Matrix<T>; 4]) -> Self {
        TapeStep { tape: Tape::new(), grads: Gradients::empty(), params }
    }

    /// One step; returns the loss before the update.
    fn step(&mut self, x: &Matrix<T>, labels: &[usize], lr: T) -> T {
        let TapeStep { tape, grads, params } = self;
        let (loss, g) = {
            let [w1, b1, w2, b2] = &*params;
            let (w1, b1, w2, b2) = (tape.matrix(w1), tape.matrix(b1), tape.matrix(w2), tape.matrix(b2));
            let xv = tape.constant_matrix(x);
            let loss = ((xv.matmul(w1) + b1).relu().matmul(w2) + b2).softmax_cross_entropy(labels);
            tape.backward_into(loss, T::one(), grads);
            (loss.primal(), [grads.matrix(w1), grads.matrix(b1), grads.matrix(w2), grads.matrix(b2)])
        };
        // Cleared before the update: the parameters are no longer shared with the
        // tape, so `as_mut_slice` updates them in place.
        tape.clear();
        for (p, g) in params.iter_mut().zip(&g) {
            sgd(p.as_mut_slice(), g.as_slice(), lr);
        }
        loss
    }
}

// ----- by hand --------------------------------------------------------------

/// A row-major `rows × cols` slice as a strided view, transposed if asked.
fn view<T>(data: &[T], cols: usize, transposed: bool) -> Strided<'_, T> {
    if transposed {
        Strided { data, row_stride: 1, col_stride: cols }
    } else {
        Strided { data, row_stride: cols, col_stride: 1 }
    }
}

/// `out[j] = Σᵢ m[i][j]`: the bias gradient.
fn column_sums<T: Scalar>(m: &[T], cols: usize, out: &mut [T]) {
    out.iter_mut().for_each(|o| *o = T::zero());
    for row in m.chunks_exact(cols) {
        for (o, &v) in out.iter_mut().zip(row) {
            *o += v;
        }
    }
}

/// The hand-written step's parameters and preallocated buffers.
struct HandStep<T: Scalar> {
    s: Size,
    params: [Matrix<T>; 4],
    /// `relu(X W1 + b1)`, `batch × hidden`; becomes `∂L/∂(X W1 + b1)` in the backward pass.
    h: Vec<T>,
    /// Logits `h W2 + b2`, `batch × classes`; become `∂L/∂logits`.
    z: Vec<T>,
    /// `∂L/∂h`.
    dh: Vec<T>,
    /// Gradients of `[W1, b1, W2, b2]`.
    grads: [Vec<T>; 4],
}

impl<T: Scalar> HandStep<T> {
    fn new(s: Size, params: [Matrix<T>; 4]) -> Self {
        let grads = std::array::from_fn(|i| vec![T::zero(); params[i].len()]);
        HandStep {
            s,
            params,
            h: vec![T::zero(); s.batch * s.hidden],
            z: vec![T::zero(); s.batch * s.classes],
            dh: vec![T::zero(); s.batch * s.hidden],
            grads,
        }
    }

    /// One step; returns the loss before the update.
    fn step(&mut self, x: &Matrix<T>, labels: &[usize], lr: T) -> T {
        let Size { batch: n, inputs: d, hidden: k, classes: c } = self.s;
        let [w1, b1, w2, b2] = &mut self.params;
        // Forward: h = relu(X W1 + b1), z = h W2 + b2.
        T::gemm(false, n, k, d, x.view(false), w1.view(false), &mut self.h);
        for row in self.h.chunks_exact_mut(k) {
            for (v, &b) in row.iter_mut().zip(b1.as_slice()) {
                *v = (*v + b).relu();
            }
        }
        T::gemm(false, n, c, k, view(&self.h, k, false), w2.view(false), &mut self.z);
        // Loss and ∂L/∂z = (softmax(z) − onehot)/N, fused, in place.
        let inv_n = T::from_f64(1.0 / n as f64);
        let mut loss = T::zero();
        for (row, &label) in self.z.chunks_exact_mut(c).zip(labels) {
            let mut max = row[0] + b2.as_slice()[0];
            for (v, &b) in row.iter_mut().zip(b2.as_slice()) {
                *v += b;
                max = max.max(*v);
            }
            // −ln softmax(z)_label = ln Σ e^{z − max} − (z_label − max).
            let shifted_label = row[label] - max;
            let mut sum = T::zero();
            for v in row.iter_mut() {
                *v = (*v - max).exp();
                sum += *v;
            }
            loss += sum.ln() - shifted_label;
            let scale = inv_n / sum;
            row.iter_mut().for_each(|v| *v *= scale);
            row[label] -= inv_n;
        }
        // Backward, output layer: dW2 = hᵀ dz, db2 = Σ dz, dh = dz W2ᵀ.
        let [gw1, gb1, gw2, gb2] = &mut self.grads;
        T::gemm(false, k, c, n, view(&self.h, k, true), view(&self.z, c, false), gw2);
        column_sums(&self.z, c, gb2);
        T::gemm(false, n, k, c, view(&self.z, c, false), w2.view(true), &mut self.dh);
        // Through the ReLU (h > 0 exactly where the pre-activation was), in place.
        for (g, &hv) in self.dh.iter_mut().zip(&self.h) {
            if hv <= T::zero() {
                *g = T::zero();
            }
        }
        // Hidden layer: dW1 = Xᵀ dz1, db1 = Σ dz1 (no gradient for the data X).
        T::gemm(false, d, k, n, x.view(true), view(&self.dh, k, false), gw1);
        column_sums(&self.dh, k, gb1);
        for (p, g) in [w1, b1, w2, b2].into_iter().zip(&self.grads) {
            sgd(p.as_mut_slice(), g, lr);
        }
        loss * inv_n
    }
}

// ----- the benchmark ----------------------------------------------------------

/// Before timing: both implementations, from the same parameters, must compute
/// the same loss and the same updated parameters.
fn assert_same_step<T: Scalar>(s: Size, tol: f64) {
    let (x, labels) = batch::<T>(s, 7);
    let mut tape = TapeStep::new(init_params::<T>(s, 3));
    let mut hand = HandStep::new(s, init_params::<T>(s, 3));
    let lr = T::from_f64(LR);
    let (lt, lh) = (tape.step(&x, &labels, lr), hand.step(&x, &labels, lr));
    assert!((lt.value() - lh.value()).abs() <= tol * lh.value().abs(), "{}: loss {lt} vs {lh}", s.label());
    for (i, (a, b)) in tape.params.iter().zip(&hand.params).enumerate() {
        let diff = a.max_abs_diff(b);
        assert!(diff <= tol, "{}: parameter {i} differs by {diff}", s.label());
    }
}

/// Benchmarks every size at precision `T`; `tol` is the agreement required by
/// [`assert_same_step`], which runs once per benchmark actually selected (inside
/// the routine, so a filtered run — or a profiler attached to one — does not pay
/// for the large sizes).
fn bench_precision<T: Scalar>(c: &mut Criterion, precision: &str, tol: f64) {
    let mut group = c.benchmark_group("mlp_step");
    group.warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_millis(1500)).sample_size(10);
    for s in SIZES {
        let (x, labels) = batch::<T>(s, 7);
        let lr = T::from_f64(LR);
        let mut checked = false;
        let mut tape = TapeStep::new(init_params::<T>(s, 3));
        group.bench_function(BenchmarkId::new(format!("tape_{precision}"), s.label()), |b| {
            if !std::mem::replace(&mut checked, true) {
                assert_same_step::<T>(s, tol);
            }
            b.iter(|| tape.step(black_box(&x), &labels, lr));
            assert!(tape.step(&x, &labels, lr).value().is_finite(), "the tape's training diverged");
        });
        let mut hand = HandStep::new(s, init_params::<T>(s, 3));
        group.bench_function(BenchmarkId::new(format!("hand_{precision}"), s.label()), |b| {
            b.iter(|| hand.step(black_box(&x), &labels, lr));
            assert!(hand.step(&x, &labels, lr).value().is_finite(), "the hand-written training diverged");
        });
    }
    group.finish();
}

fn benches(c: &mut Criterion) {
    bench_precision::<f32>(c, "f32", 1e-4);
    bench_precision::<f64>(c, "f64", 1e-12);
}

criterion_group!(mlp, benches);

fn report() {
    println!("\nMLP training step, same-run medians (tape / hand; targets ≤ 1.10 and ≤ 20 µs at batch 64):");
    println!("{:<20} {:>5} {:>12} {:>12} {:>8} {:>14}", "size", "type", "tape", "hand", "ratio", "tape µs/step");
    for s in SIZES {
        for precision in ["f32", "f64"] {
            let id = |kind: &str| common::median_ns("mlp_step", &format!("{kind}_{precision}/{}", s.label()));
            let (Some(t), Some(h)) = (id("tape"), id("hand")) else { continue };
            println!(
                "{:<20} {:>5} {:>12} {:>12} {:>7.3}× {:>14.1}",
                s.label(),
                precision,
                common::human(t),
                common::human(h),
                t / h,
                t / 1e3
            );
        }
    }
}

fn main() {
    mlp();
    Criterion::default().configure_from_args().final_summary();
    report();
}
