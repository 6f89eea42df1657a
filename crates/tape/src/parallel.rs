//! Data-parallel gradients of sum-structured objectives, `F(θ) = Σᵢ fᵢ(θ)`.
//!
//! # Why, and how
//!
//! A tape is single-threaded (it is `Send`, not `Sync`: see "Threads" in the
//! docs of [`Tape`]). What parallelises is the *objective*: a loss that is a sum
//! (or a mean) over examples splits into shards of consecutive examples, each
//! shard is recorded and swept on **its own tape** on its own thread, with the
//! parameters shared read-only (a [`Matrix`] is shared copy-on-write, so every
//! tape takes the same storage as a leaf, nothing is copied), and the shards'
//! gradients are added up. Inside a shard the matrix products run on one
//! thread (`wengert_ops::kernels::with_num_threads(1, …)`): the other threads
//! are busy with the other shards.
//!
//! # Determinism
//!
//! Shard `s` always covers the same examples ([`shard_ranges`]) and the
//! shards' values and gradients are added **in shard order**,
//! `((g₀ + g₁) + g₂) + …`, on the calling thread, whichever thread finished
//! first. So the result
//! depends on the number of shards only — not on timing, nor on which thread
//! ran which shard — and the same inputs and shard count give the same bits,
//! run after run. By default the shard count is the thread count (capped by the
//! number of terms), so a given thread count is reproducible; fix it with
//! [`DataParallel::with_shards`] to get the same bits with any number of
//! threads.
//!
//! Different shard counts give results that differ by rounding only: each
//! shard sums its own terms, and the partial sums are added at the end, so the
//! floating-point additions happen in another order. Measured on the `nn`
//! models (f64, `crates/nn/tests/data_parallel.rs`): at most a few units in
//! the 16th digit relative to the gradient's size; the tests require 1e-12.
//!
//! # Panics in a shard
//!
//! A panic while recording or sweeping a shard is caught on its worker, every
//! other shard finishes, and the call then panics on the calling thread with
//! the shard's number and the original message — `data-parallel shard 1 of 2
//! panicked: …` — (the panic hook has also printed the original panic where it
//! happened). Which examples shard `s` covers is `shard_ranges(n, shards)[s]`.
//!
//! ```
//! use wengert_tape::parallel::par_value_and_grad;
//! use wengert_tape::Scalar;
//!
//! // F(a, b) = Σᵢ (a·xᵢ + b − yᵢ)² over 1000 points of y = 2x + 1; the closure
//! // records the terms of one shard.
//! let xs: Vec<f64> = (0..1000).map(|i| i as f64 / 1000.0).collect();
//! let ys: Vec<f64> = xs.iter().map(|x| 2.0 * x + 1.0).collect();
//! let (value, grad) = par_value_and_grad(
//!     |p, terms| terms.map(|i| (p[0] * xs[i] + p[1] - ys[i]).square()).sum(),
//!     &[0.0, 0.0],
//!     xs.len(),
//!     2, // threads: one shard each, 0..500 and 500..1000
//! );
//! // ∂F/∂b = Σᵢ 2(a·xᵢ + b − yᵢ) = −2 Σᵢ yᵢ at a = b = 0.
//! let expected: f64 = -2.0 * ys.iter().sum::<f64>();
//! assert!((grad[1] - expected).abs() <= 1e-12 * expected.abs());
//! assert!(value > 0.0);
//! ```

use std::ops::Range;
use std::panic::{catch_unwind, AssertUnwindSafe};

use wengert_ops::kernels::with_num_threads;
use wengert_ops::{Matrix, Scalar};

use crate::gradients::Gradients;
use crate::matvar::MatVar;
use crate::tape::Tape;
use crate::var::Var;

/// `0..n` cut into `shards` consecutive ranges whose lengths differ by at most
/// one (the first `n % shards` are one longer). Fewer ranges if `n < shards`
/// (never an empty one, except the single range `0..0` when `n == 0`).
///
/// ```
/// use wengert_tape::parallel::shard_ranges;
/// assert_eq!(shard_ranges(10, 3), vec![0..4, 4..7, 7..10]);
/// assert_eq!(shard_ranges(2, 4), vec![0..1, 1..2]);
/// assert_eq!(shard_ranges(0, 2), vec![0..0]);
/// ```
pub fn shard_ranges(n: usize, shards: usize) -> Vec<Range<usize>> {
    let shards = shards.clamp(1, n.max(1));
    let (base, longer) = (n / shards, n % shards);
    let mut start = 0;
    (0..shards)
        .map(|s| {
            let len = base + usize::from(s < longer);
            let range = start..start + len;
            start += len;
            range
        })
        .collect()
}

/// The text of a panic payload (`panic!` gives a `&str` or a `String`).
fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "(a panic payload that is not a string)"
    }
}

/// A panic caught in a shard: which shard, and its message.
struct ShardPanic {
    shard: usize,
    message: String,
}

/// The threads that run shards: the calling thread and `threads − 1` pool
/// threads of its own (a private rayon pool, created once and kept).
///
/// [`for_each`](Workers::for_each) hands out items (usually one per shard, each
/// holding that shard's tape) to the threads and waits for all of them.
/// Reusing one `Workers` for every step of a training loop keeps its threads;
/// creating one costs a thread spawn per thread.
pub struct Workers {
    threads: usize,
    /// `None` with one thread, or if the operating system refused to start more
    /// (then everything runs on the calling thread, with the same results).
    pool: Option<rayon::ThreadPool>,
}

impl std::fmt::Debug for Workers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workers").field("threads", &self.threads).field("pool", &self.pool.is_some()).finish()
    }
}

impl Workers {
    /// `threads` threads in all (`0` is treated as `1`): the caller's and
    /// `threads − 1` new ones.
    pub fn new(threads: usize) -> Self {
        let threads = threads.max(1);
        let pool = (threads > 1)
            .then(|| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads - 1)
                    .thread_name(|i| format!("wengert-worker-{i}"))
                    .build()
                    .ok()
            })
            .flatten();
        Workers { threads, pool }
    }

    /// Number of threads that run items, the caller's included.
    pub fn threads(&self) -> usize {
        if self.pool.is_some() {
            self.threads
        } else {
            1
        }
    }

    /// Runs `job(i, &mut items[i])` for every item, concurrently, and returns
    /// when all are done. The items are dealt out in consecutive blocks, one per
    /// thread (the calling thread takes the first); inside `job` the GEMM kernel
    /// runs on one thread.
    ///
    /// # Panics
    /// If `job` panicked for some item: after all other blocks have finished,
    /// with the lowest such item's index and its panic message
    /// (`data-parallel shard 1 of 2 panicked: …`). The rest of a block whose
    /// item panicked is not run.
    ///
    /// ```
    /// use wengert_tape::parallel::Workers;
    /// let mut squares = vec![0u64; 5];
    /// let workers = Workers::new(2);
    /// workers.for_each(&mut squares, |i, s| *s = (i * i) as u64);
    /// assert_eq!(squares, [0, 1, 4, 9, 16]);
    /// ```
    pub fn for_each<W: Send>(&self, items: &mut [W], job: impl Fn(usize, &mut W) + Sync) {
        if items.is_empty() {
            return;
        }
        let per_thread = items.len().div_ceil(self.threads());
        let blocks = items.len().div_ceil(per_thread);
        let mut failures: Vec<Option<ShardPanic>> = (0..blocks).map(|_| None).collect();
        let job = &job;
        let run_block = move |first: usize, block: &mut [W]| -> Option<ShardPanic> {
            for (k, item) in block.iter_mut().enumerate() {
                let shard = first + k;
                let done = catch_unwind(AssertUnwindSafe(|| with_num_threads(1, || job(shard, item))));
                if let Err(payload) = done {
                    return Some(ShardPanic { shard, message: panic_message(&*payload).to_string() });
                }
            }
            None
        };
        let mut work = failures.iter_mut().zip(items.chunks_mut(per_thread)).enumerate();
        match &self.pool {
            Some(pool) => pool.in_place_scope(|scope| {
                let (_, (first_failure, first_block)) = work.next().expect("at least one block");
                for (b, (failure, block)) in work {
                    scope.spawn(move |_| *failure = run_block(b * per_thread, block));
                }
                *first_failure = run_block(0, first_block);
            }),
            None => {
                for (b, (failure, block)) in work {
                    *failure = run_block(b * per_thread, block);
                }
            }
        }
        if let Some(p) = failures.into_iter().flatten().next() {
            panic!("data-parallel shard {} of {} panicked: {}", p.shard, items.len(), p.message);
        }
    }
}

/// Clears a tape when dropped, also while unwinding: a tape shares the
/// parameters' storage until cleared, and a caller that updates them in place
/// after a call (even one that panicked and was caught) should not copy them.
struct ClearOnDrop<'a, T: Scalar>(&'a mut Tape<T>);

impl<T: Scalar> Drop for ClearOnDrop<'_, T> {
    fn drop(&mut self) {
        self.0.clear();
    }
}

/// One shard's tape, gradient buffers and result, kept between calls.
struct Slot<T: Scalar> {
    tape: Tape<T>,
    grads: Gradients<T>,
    terms: Range<usize>,
    value: T,
    /// The shard's gradient: one entry per scalar input, or per matrix input.
    scalars: Vec<T>,
    matrices: Vec<Matrix<T>>,
}

impl<T: Scalar> Slot<T> {
    fn new() -> Self {
        Slot {
            tape: Tape::new(),
            grads: Gradients::empty(),
            terms: 0..0,
            value: T::zero(),
            scalars: Vec::new(),
            matrices: Vec::new(),
        }
    }
}

/// Reusable data-parallel value-and-gradient of `F(θ) = Σ_{i<n} fᵢ(θ)`: its
/// worker threads, one tape per shard (kept and cleared between calls, so a loop
/// of calls allocates little) and the shard count. See the [module docs](self)
/// for the split, the fixed-order reduction and panics.
///
/// The objective is given shard by shard: a closure receiving the parameters
/// (as tape variables of the shard's tape) and a range of terms, returning the
/// sum of those terms. It runs on several threads at once, so it must be
/// `Sync` (closures over shared data are).
///
/// ```
/// use wengert_tape::parallel::DataParallel;
/// use wengert_tape::{Matrix, MatVar};
///
/// // F(W) = Σᵢ ‖xᵢ·W‖² over the rows xᵢ of a 100 × 3 matrix X.
/// let x = Matrix::from_fn(100, 3, |i, j| ((i * 3 + j) % 7) as f64 - 3.0);
/// let w = Matrix::from_fn(3, 2, |i, j| (i + 2 * j) as f64 * 0.1);
/// let mut dp = DataParallel::new(2).with_shards(4); // the same bits with 1, 2 or 8 threads
/// let (value, grad) = dp.value_and_grad_matrices(
///     |p: &[MatVar<'_, f64>], rows| {
///         let tape = p[0].tape();
///         let xs = tape.constant_matrix(&x.select_rows(&rows.collect::<Vec<_>>()));
///         let y = xs.matmul(p[0]);
///         y.mul_elem(y).sum()
///     },
///     &[w.clone()],
///     x.rows(),
/// );
/// // ∇W = 2·XᵀXW
/// let exact = x.transpose().matmul(&x).matmul(&w);
/// assert!(grad[0].iter().zip(exact.iter()).all(|(g, e)| (g - 2.0 * e).abs() < 1e-10));
/// assert!(value > 0.0);
/// ```
pub struct DataParallel<T: Scalar> {
    workers: Workers,
    shards: Option<usize>,
    slots: Vec<Slot<T>>,
}

impl<T: Scalar + Send + Sync> DataParallel<T> {
    /// Data-parallel gradients on `threads` threads (`0` is treated as `1`),
    /// with as many shards as threads.
    pub fn new(threads: usize) -> Self {
        DataParallel { workers: Workers::new(threads), shards: None, slots: Vec::new() }
    }

    /// Splits into `shards` shards whatever the thread count (`0` is treated as
    /// `1`): results then depend on `shards` only, so they are the same bits on
    /// any machine.
    pub fn with_shards(mut self, shards: usize) -> Self {
        self.shards = Some(shards.max(1));
        self
    }

    /// Number of threads.
    pub fn threads(&self) -> usize {
        self.workers.threads()
    }

    /// The shards used for `n` terms: [`shard_ranges`] of the shard count
    /// ([`with_shards`](Self::with_shards), else the thread count).
    pub fn shards_for(&self, n: usize) -> Vec<Range<usize>> {
        shard_ranges(n, self.shards.unwrap_or(self.workers.threads))
    }

    /// Records every shard on its own tape, concurrently, sweeps it, and stores
    /// the shard's value and gradient (through `shard_job`) in its slot.
    fn run(
        &mut self,
        n: usize,
        shard_job: impl Fn(&Tape<T>, &mut Gradients<T>, Range<usize>, &mut Vec<T>, &mut Vec<Matrix<T>>) -> T + Sync,
    ) {
        let ranges = self.shards_for(n);
        self.slots.truncate(ranges.len());
        while self.slots.len() < ranges.len() {
            self.slots.push(Slot::new());
        }
        for (slot, range) in self.slots.iter_mut().zip(ranges) {
            slot.terms = range;
        }
        self.workers.for_each(&mut self.slots, |_, slot| {
            let Slot { tape, grads, terms, value, scalars, matrices } = slot;
            tape.clear();
            let tape = ClearOnDrop(tape);
            *value = shard_job(tape.0, grads, terms.clone(), scalars, matrices);
        });
    }

    /// `(F(x), ∇F(x))` for `F(x) = Σ_{i<n} fᵢ(x)`, where `f(vars, range)`
    /// records `Σ_{i ∈ range} fᵢ` on the tape of `vars`.
    ///
    /// # Panics
    /// If `f` panics on a shard (see the [module docs](self#panics-in-a-shard)).
    pub fn value_and_grad<F>(&mut self, f: F, x: &[T], n: usize) -> (T, Vec<T>)
    where
        F: for<'t> Fn(&[Var<'t, T>], Range<usize>) -> Var<'t, T> + Sync,
    {
        self.run(n, |tape, grads, terms, scalars, _| {
            let vars = tape.vars(x);
            let y = f(&vars, terms);
            scalars.clear();
            if y.is_tracked() {
                tape.backward_into(y, T::one(), grads);
                scalars.extend(vars.iter().map(|&v| grads[v]));
            } else {
                scalars.resize(x.len(), T::zero());
            }
            y.primal()
        });
        let mut shards = self.slots.iter();
        let first = shards.next().expect("at least one shard");
        let (mut value, mut grad) = (first.value, first.scalars.clone());
        for slot in shards {
            value += slot.value;
            for (g, &s) in grad.iter_mut().zip(&slot.scalars) {
                *g += s;
            }
        }
        (value, grad)
    }

    /// Like [`value_and_grad`](Self::value_and_grad) with matrix parameters:
    /// `f(params, range)` receives every matrix of `params` as a tracked leaf
    /// of the shard's tape (sharing its storage: nothing is copied) and returns
    /// `Σ_{i ∈ range} fᵢ`. Returns `F` and one gradient matrix per parameter.
    ///
    /// # Panics
    /// If `f` panics on a shard (see the [module docs](self#panics-in-a-shard)).
    pub fn value_and_grad_matrices<F>(&mut self, f: F, params: &[Matrix<T>], n: usize) -> (T, Vec<Matrix<T>>)
    where
        F: for<'t> Fn(&[MatVar<'t, T>], Range<usize>) -> Var<'t, T> + Sync,
    {
        self.run(n, |tape, grads, terms, _, matrices| {
            let vars: Vec<MatVar<'_, T>> = params.iter().map(|m| tape.matrix(m)).collect();
            let y = f(&vars, terms);
            matrices.clear();
            if y.is_tracked() {
                tape.backward_into(y, T::one(), grads);
                matrices.extend(vars.iter().map(|&v| grads.matrix(v)));
            } else {
                matrices.extend(params.iter().map(|m| Matrix::zeros(m.rows(), m.cols())));
            }
            y.primal()
        });
        let mut shards = self.slots.iter_mut();
        let first = shards.next().expect("at least one shard");
        let mut value = first.value;
        let mut grad: Vec<Matrix<T>> =
            first.matrices.drain(..).map(|m| Matrix::from_vec(m.rows(), m.cols(), m.as_slice().to_vec())).collect();
        for slot in shards {
            value += slot.value;
            for (g, s) in grad.iter_mut().zip(slot.matrices.drain(..)) {
                for (a, &b) in g.as_mut_slice().iter_mut().zip(s.as_slice()) {
                    *a += b;
                }
            }
        }
        (value, grad)
    }
}

/// `(F(x), ∇F(x))` for `F(x) = Σ_{i<n} fᵢ(x)` on `threads` threads, one shard
/// per thread: `f(vars, range)` records `Σ_{i ∈ range} fᵢ`. A one-off
/// [`DataParallel::value_and_grad`] (which keeps its threads and tapes for
/// repeated calls); see the [module docs](self) for an example.
pub fn par_value_and_grad<T, F>(f: F, x: &[T], n: usize, threads: usize) -> (T, Vec<T>)
where
    T: Scalar + Send + Sync,
    F: for<'t> Fn(&[Var<'t, T>], Range<usize>) -> Var<'t, T> + Sync,
{
    DataParallel::new(threads).value_and_grad(f, x, n)
}

/// The matrix-parameter form of [`par_value_and_grad`]: a one-off
/// [`DataParallel::value_and_grad_matrices`].
pub fn par_value_and_grad_matrices<T, F>(f: F, params: &[Matrix<T>], n: usize, threads: usize) -> (T, Vec<Matrix<T>>)
where
    T: Scalar + Send + Sync,
    F: for<'t> Fn(&[MatVar<'t, T>], Range<usize>) -> Var<'t, T> + Sync,
{
    DataParallel::new(threads).value_and_grad_matrices(f, params, n)
}
