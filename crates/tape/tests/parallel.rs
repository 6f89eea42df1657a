//! Tapes across threads: a tape moves to another thread and records and sweeps
//! there; data-parallel gradients of sums equal the single-tape gradient, are
//! the same bits for the same shard count whatever the thread count, and a
//! panicking shard is reported with its message.

use std::ops::Range;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Mutex;
use std::thread::ThreadId;

use wengert_ops::{MatOp, Matrix, Scalar};
use wengert_tape::parallel::{shard_ranges, DataParallel, Workers};
use wengert_tape::{grad, par_value_and_grad, par_value_and_grad_matrices, MatVar, Tape, Var};

/// `y = x³` elementwise, a user op kept on the tape (so it must be `Send`).
struct Cube;

impl<T: Scalar> MatOp<T> for Cube {
    fn name(&self) -> &str {
        "cube"
    }
    fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize) {
        inputs[0]
    }
    fn forward(&self, inputs: &[&Matrix<T>], out: &mut [T]) {
        out.iter_mut().zip(inputs[0].iter()).for_each(|(o, &x)| *o = x * x * x);
    }
    fn vjp(&self, inputs: &[&Matrix<T>], _: &Matrix<T>, g: &[T], grads: &mut [Option<&mut [T]>]) {
        if let Some(gx) = grads[0].as_deref_mut() {
            for ((gx, &x), &g) in gx.iter_mut().zip(inputs[0].iter()).zip(g) {
                *gx += g * T::from_f64(3.0) * x * x;
            }
        }
    }
}

/// Records `Σ (W·x)³ + sin(w₀)` with a custom op and returns the value and ∂/∂W.
fn record_and_sweep(tape: &Tape<f64>, w: &Matrix<f64>) -> (f64, Matrix<f64>) {
    let wv = tape.matrix(w);
    let x = tape.constant_matrix(&Matrix::from_rows(&[[0.5], [-1.0], [2.0]]));
    let y = tape.apply_custom(Cube, &[wv.matmul(x)]).sum() + wv.at(0, 0).sin();
    let g = tape.backward(y);
    (y.primal(), g.matrix(wv))
}

#[test]
fn a_tape_and_its_custom_ops_move_to_another_thread_and_record_and_sweep_there() {
    let w = Matrix::from_rows(&[[0.1, 0.2, 0.3], [-0.4, 0.5, 0.6]]);
    let mut tape = Tape::<f64>::new();
    let here = record_and_sweep(&tape, &w);
    // Moved while still holding that recording: its matrix nodes, pooled
    // buffers and the boxed custom op cross the thread boundary.
    let (there, tape) = std::thread::spawn(move || {
        let first = tape.matrix_nodes();
        assert!(first > 0, "the recording travelled with the tape");
        tape.clear();
        let result = record_and_sweep(&tape, &w);
        (result, tape)
    })
    .join()
    .expect("the worker did not panic");
    assert_eq!(here.0.to_bits(), there.0.to_bits());
    assert_eq!(here.1, there.1);
    // And back: lent as `&mut Tape` to a scoped thread, then used here again.
    let mut tape = tape;
    std::thread::scope(|s| {
        s.spawn(|| {
            tape.clear();
            assert_eq!(record_and_sweep(&tape, &Matrix::from_rows(&[[0.1, 0.2, 0.3], [-0.4, 0.5, 0.6]])).0, here.0);
        });
    });
    tape.clear();
    assert!(tape.is_empty());
}

/// `Σᵢ (a·sin(xᵢ) + b·xᵢ² − yᵢ)²` over the terms `range` of a fixed data set.
fn data() -> (Vec<f64>, Vec<f64>) {
    let xs: Vec<f64> = (0..257).map(|i| (i as f64 * 0.37).sin() * 3.0).collect();
    let ys: Vec<f64> = xs.iter().map(|x| 1.5 * x.sin() - 0.25 * x * x + 0.1 * (x * 7.0).cos()).collect();
    (xs, ys)
}

/// Gives a closure the higher-ranked signature of a shard function, so that it
/// can be stored in a variable and passed several times.
fn scalar_shard<F: for<'t> Fn(&[Var<'t, f64>], Range<usize>) -> Var<'t, f64> + Sync>(f: F) -> F {
    f
}

/// The same for matrix parameters.
fn matrix_shard<F: for<'t> Fn(&[MatVar<'t, f64>], Range<usize>) -> Var<'t, f64> + Sync>(f: F) -> F {
    f
}

fn partial_sum<'t>(p: &[Var<'t, f64>], range: Range<usize>, xs: &[f64], ys: &[f64]) -> Var<'t, f64> {
    range.map(|i| (p[0] * xs[i].sin() + p[1] * (xs[i] * xs[i]) + p[2] - ys[i]).square()).sum()
}

#[test]
fn sharded_gradients_equal_the_single_tape_gradient() {
    let (xs, ys) = data();
    let theta = [0.3, -1.2, 0.7];
    let whole = grad(|p| partial_sum(p, 0..xs.len(), &xs, &ys), &theta);
    for threads in 1..=4 {
        let (value, g) = par_value_and_grad(|p, r| partial_sum(p, r, &xs, &ys), &theta, xs.len(), threads);
        let exact: f64 =
            (0..xs.len()).map(|i| (theta[0] * xs[i].sin() + theta[1] * xs[i] * xs[i] + theta[2] - ys[i]).powi(2)).sum();
        assert!((value - exact).abs() <= 1e-12 * exact, "{threads} threads: value {value} vs {exact}");
        for (a, b) in g.iter().zip(&whole) {
            assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{threads} threads: {a} vs {b}");
        }
    }
}

#[test]
fn the_same_shard_count_gives_the_same_bits_with_any_thread_count() {
    let (xs, ys) = data();
    let theta = [0.3, -1.2, 0.7];
    let f = scalar_shard(|p, r| partial_sum(p, r, &xs, &ys));
    let bits = |(v, g): (f64, Vec<f64>)| (v.to_bits(), g.iter().map(|x| x.to_bits()).collect::<Vec<_>>());
    let reference = bits(DataParallel::new(1).with_shards(5).value_and_grad(f, &theta, xs.len()));
    for threads in [1, 2, 3, 8] {
        let mut dp = DataParallel::new(threads).with_shards(5);
        for _ in 0..3 {
            assert_eq!(bits(dp.value_and_grad(f, &theta, xs.len())), reference, "{threads} threads");
        }
    }
    // The default (one shard per thread) is reproducible for a given thread count.
    let mut dp = DataParallel::new(2);
    let first = bits(dp.value_and_grad(f, &theta, xs.len()));
    for _ in 0..5 {
        assert_eq!(bits(dp.value_and_grad(f, &theta, xs.len())), first);
    }
}

#[test]
fn matrix_parameters_shard_like_scalars() {
    // F(W, b) = Σᵢ softplus(xᵢ·W + b)·1 over the rows of X.
    let x = Matrix::from_fn(37, 4, |i, j| ((i * 5 + j * 3) % 11) as f64 / 5.0 - 1.0);
    let params = [Matrix::from_fn(4, 3, |i, j| (i as f64 - j as f64) * 0.3), Matrix::from_fn(1, 3, |_, j| j as f64)];
    let f = matrix_shard(|p, rows| {
        let tape = p[0].tape();
        let xs = tape.constant_matrix(&x).slice_rows(rows.start, rows.end);
        (xs.matmul(p[0]) + p[1]).softplus().sum()
    });
    let tape = Tape::new();
    let vars: Vec<MatVar<'_, f64>> = params.iter().map(|m| tape.matrix(m)).collect();
    let y = f(&vars, 0..x.rows());
    let g = tape.backward(y);
    for threads in [1, 2, 3] {
        let (value, grads) = par_value_and_grad_matrices(f, &params, x.rows(), threads);
        assert!((value - y.primal()).abs() <= 1e-12 * y.primal().abs());
        for (k, gk) in grads.iter().enumerate() {
            let diff = gk.max_abs_diff(&g.matrix(vars[k]));
            assert!(diff <= 1e-12, "{threads} threads, parameter {k}: {diff}");
        }
    }
}

#[test]
fn a_panicking_shard_is_reported_with_its_message() {
    let (xs, ys) = data();
    let mut dp = DataParallel::new(2);
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        dp.value_and_grad(
            |p, r| {
                if r.start > 0 {
                    panic!("bad example at {}", r.start);
                }
                partial_sum(p, r, &xs, &ys)
            },
            &[0.0, 0.0, 0.0],
            xs.len(),
        )
    }));
    let payload = outcome.expect_err("the shard's panic reaches the caller");
    let message = payload.downcast_ref::<String>().expect("a formatted message");
    assert_eq!(message, "data-parallel shard 1 of 2 panicked: bad example at 129");
    // The object is still usable afterwards.
    let (_, g) = dp.value_and_grad(|p, r| partial_sum(p, r, &xs, &ys), &[0.0, 0.0, 0.0], xs.len());
    assert!(g.iter().all(|x| x.is_finite()));
}

#[test]
fn workers_use_distinct_threads_and_report_the_lowest_failing_item() {
    let ids: Mutex<Vec<(usize, ThreadId)>> = Mutex::new(Vec::new());
    let workers = Workers::new(2);
    assert_eq!(workers.threads(), 2);
    let mut items = vec![0usize; 4];
    workers.for_each(&mut items, |i, item| {
        *item = i + 1;
        ids.lock().unwrap().push((i, std::thread::current().id()));
    });
    assert_eq!(items, [1, 2, 3, 4]);
    let ids = ids.into_inner().unwrap();
    let caller = std::thread::current().id();
    // Items 0 and 1 on the calling thread, 2 and 3 on the pool's thread.
    for (i, id) in ids {
        assert_eq!(id == caller, i < 2, "item {i}");
    }
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        workers.for_each(&mut items, |i, _| {
            if i == 3 || i == 1 {
                panic!("item {i} failed")
            }
        })
    }));
    let message = outcome.expect_err("reported").downcast_ref::<String>().cloned().unwrap();
    assert_eq!(message, "data-parallel shard 1 of 4 panicked: item 1 failed");
}

#[test]
fn shard_ranges_cover_every_term_once() {
    for n in 0..40 {
        for shards in 1..9 {
            let ranges = shard_ranges(n, shards);
            assert_eq!(ranges.len(), shards.min(n.max(1)));
            assert_eq!(ranges.first().unwrap().start, 0);
            assert_eq!(ranges.last().unwrap().end, n);
            for pair in ranges.windows(2) {
                assert_eq!(pair[0].end, pair[1].start);
                assert!(pair[0].len() >= pair[1].len() && pair[0].len() <= pair[1].len() + 1);
            }
        }
    }
}
