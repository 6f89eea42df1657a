//! One training step of logistic regression on a 569 × 30 batch (the shape of
//! the breast-cancer set), on the tape against the same step written by hand,
//! in the same run.
//!
//! A step is `z = X·w + b`, the mean binary cross-entropy of `sigmoid(z)`
//! against 0/1 labels (`bce_with_logits`), its gradient and a plain SGD update.
//! The model is tiny (31 parameters; two matrix-vector products of 569 × 30),
//! so the ratio tape / hand measures the tape's fixed cost per recorded op:
//! four recorded ops, their buffers and the sweep. Target: ≤ 1.20.
//!
//! Run: `cargo bench --bench logreg_step`; a table of the medians and their
//! ratio follows criterion's output.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, Criterion};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use wengert::ops::{Matrix, Scalar, Strided};
use wengert::tape::{Gradients, Tape};

mod common;

/// Examples and features.
const ROWS: usize = 569;
const COLS: usize = 30;
/// SGD learning rate.
const LR: f64 = 0.1;

/// Standard-normal features and labels from a noisy linear rule, seeded.
fn data() -> (Matrix<f64>, Matrix<f64>) {
    let mut rng = StdRng::seed_from_u64(11);
    let x = Matrix::random_normal(ROWS, COLS, 0.0, 1.0, &mut rng);
    let truth: Vec<f64> = (0..COLS).map(|j| if j % 3 == 0 { 1.0 } else { -0.5 }).collect();
    let y = Matrix::from_fn(ROWS, 1, |i, _| {
        let score: f64 = x.row(i).iter().zip(&truth).map(|(a, b)| a * b).sum::<f64>() + rng.random_range(-1.0..1.0);
        f64::from(u8::from(score > 0.0))
    });
    (x, y)
}

/// The tape's state carried across steps: parameters `[w (30×1), b (1×1)]`.
struct TapeStep {
    tape: Tape<f64>,
    grads: Gradients<f64>,
    params: [Matrix<f64>; 2],
}

impl TapeStep {
    fn step(&mut self, x: &Matrix<f64>, y: &Matrix<f64>) -> f64 {
        let TapeStep { tape, grads, params } = self;
        let (loss, g) = {
            let (w, b) = (tape.matrix(&params[0]), tape.matrix(&params[1]));
            let (xv, yv) = (tape.constant_matrix(x), tape.constant_matrix(y));
            let loss = (xv.matmul(w) + b).bce_with_logits(yv);
            tape.backward_into(loss, 1.0, grads);
            (loss.primal(), [grads.matrix(w), grads.matrix(b)])
        };
        tape.clear();
        for (p, g) in params.iter_mut().zip(&g) {
            p.as_mut_slice().iter_mut().zip(g.as_slice()).for_each(|(p, g)| *p -= LR * g);
        }
        loss
    }
}

/// The same step by hand over preallocated buffers, with the same GEMM kernel.
struct HandStep {
    params: [Matrix<f64>; 2],
    /// Logits, then `∂L/∂z`.
    z: Vec<f64>,
    /// `∂L/∂w`.
    gw: Vec<f64>,
}

impl HandStep {
    fn step(&mut self, x: &Matrix<f64>, y: &Matrix<f64>) -> f64 {
        let [w, b] = &mut self.params;
        f64::gemm(false, ROWS, 1, COLS, x.view(false), w.view(false), &mut self.z);
        let (bias, inv_n) = (b.as_slice()[0], 1.0 / ROWS as f64);
        let (mut loss, mut gb) = (0.0, 0.0);
        for (z, &t) in self.z.iter_mut().zip(y.as_slice()) {
            let v = *z + bias;
            // ln(1 + e^{−|v|}) + max(v, 0) − t·v, and σ(v) from the same exponential.
            let e = (-v.abs()).exp();
            loss += e.ln_1p() + v.max(0.0) - t * v;
            let sigma = if v >= 0.0 { 1.0 / (1.0 + e) } else { e / (1.0 + e) };
            *z = (sigma - t) * inv_n;
            gb += *z;
        }
        f64::gemm(
            false,
            COLS,
            1,
            ROWS,
            x.view(true),
            Strided { data: &self.z, row_stride: 1, col_stride: 1 },
            &mut self.gw,
        );
        w.as_mut_slice().iter_mut().zip(&self.gw).for_each(|(p, g)| *p -= LR * g);
        b.as_mut_slice()[0] -= LR * gb;
        loss * inv_n
    }
}

fn params() -> [Matrix<f64>; 2] {
    [Matrix::zeros(COLS, 1), Matrix::zeros(1, 1)]
}

fn benches(c: &mut Criterion) {
    let (x, y) = data();
    let mut tape = TapeStep { tape: Tape::new(), grads: Gradients::empty(), params: params() };
    let mut hand = HandStep { params: params(), z: vec![0.0; ROWS], gw: vec![0.0; COLS] };
    // Both compute the same losses and parameters, step after step.
    for _ in 0..5 {
        let (lt, lh) = (tape.step(&x, &y), hand.step(&x, &y));
        assert!((lt - lh).abs() <= 1e-12 * lh.abs(), "loss {lt} vs {lh}");
        for (a, b) in tape.params.iter().zip(&hand.params) {
            assert!(a.max_abs_diff(b) <= 1e-12, "parameters differ by {}", a.max_abs_diff(b));
        }
    }
    let mut group = c.benchmark_group("logreg_step");
    group.warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(2)).sample_size(20);
    group.bench_function("tape_f64", |b| b.iter(|| tape.step(black_box(&x), &y)));
    group.bench_function("hand_f64", |b| b.iter(|| hand.step(black_box(&x), &y)));
    group.finish();
}

criterion_group!(logreg, benches);

fn report() {
    let (Some(t), Some(h)) =
        (common::median_ns("logreg_step", "tape_f64"), common::median_ns("logreg_step", "hand_f64"))
    else {
        return;
    };
    println!("\nLogistic-regression step 569×30 f64, same-run medians (target tape / hand ≤ 1.20):");
    println!("tape {}   hand {}   ratio {:.3}×", common::human(t), common::human(h), t / h);
}

fn main() {
    logreg();
    Criterion::default().configure_from_args().final_summary();
    report();
}
