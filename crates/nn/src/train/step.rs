//! One training step's loss and gradients — on one tape, or data-parallel on
//! several ([`GradientStep`]) — and the rule that picks between them
//! ([`plan_shards`]).
//!
//! # Data-parallel, and why it is exact
//!
//! Every loss of a [`LossKind`] is a **mean over the batch's rows** of a
//! per-row term, plus the model's [`penalty`](Model::penalty), which does not
//! depend on the data. So with the batch of `B` rows cut into shards of `b_s`
//! consecutive rows ([`shard_ranges`]) and `L_s` the loss the model computes on
//! shard `s` alone (its mean, plus the penalty),
//!
//! ```text
//! Σ_s (b_s / B) · L_s  =  (1/B) Σ_rows term  +  penalty · Σ_s b_s / B  =  L
//! ```
//!
//! Each shard is recorded on its own [`Tape`] on its own thread with the
//! parameters shared read-only, swept with the seed `b_s / B` — which weighs
//! its gradient — and the shards' gradients are added in shard order on the
//! calling thread. Inside a shard the matrix products run on one thread. The
//! result is the one-tape gradient up to rounding: the same sums, added in
//! another order (measured in `crates/nn/tests/data_parallel.rs`: within 1e-12,
//! f64, for every model and loss).
//!
//! It assumes the rows are independent: a model whose forward pass mixes rows
//! of the batch (a batch normalisation) would see per-shard statistics, as
//! with PyTorch's `DataParallel`; train such a model with one thread.
//!
//! # Determinism
//!
//! The shard count comes from [`plan_shards`] — the batch's size, the model's
//! size and the thread count, never a timing — and the reduction order is
//! fixed, so a run is the same bits every time for a given thread count. With
//! one shard the step is exactly the one-tape step (seed 1, no reduction):
//! `threads: 1` reproduces earlier runs bit for bit.

use std::ops::Range;

use wengert_ops::kernels::with_num_threads;
use wengert_ops::{Matrix, Scalar};
use wengert_optim::Params;
use wengert_tape::parallel::{shard_ranges, Workers};
use wengert_tape::{Anomaly, Gradients, Tape};

use crate::data::{Batch, Batches};
use crate::model::{LossKind, Model, ParamVars, Targets};

/// Fewest rows a shard gets: below this, per-op bookkeeping (the same for 8
/// rows as for 64) outweighs the rows' arithmetic.
pub const MIN_ROWS_PER_SHARD: usize = 16;

/// Least work per step, in `batch rows × model parameters` (about the
/// multiply-adds of a dense model's forward pass), for which splitting the
/// batch pays: below it, handing shards to other threads and waiting for
/// them costs more than it saves. Measured with `benches/data_parallel.rs`
/// (see docs/performance.md, "Threads").
pub const MIN_WORK_TO_SHARD: usize = 1 << 19;

/// How many shards a step of `batch_rows` rows through a model of
/// `parameters` parameters is split into on `threads` threads: 1 (one tape)
/// if `threads` is 1 or the step is too small to gain ([`MIN_WORK_TO_SHARD`]),
/// else as many as threads with at least [`MIN_ROWS_PER_SHARD`] rows each.
///
/// ```
/// use wengert_nn::train::plan_shards;
/// assert_eq!(plan_shards(128, 784 * 256 + 256 + 256 * 10 + 10, 2), 2); // MNIST: two shards
/// assert_eq!(plan_shards(128, 203_530, 1), 1);
/// assert_eq!(plan_shards(16, 4 * 16 + 16 + 16 * 3 + 3, 2), 1);       // iris: one tape
/// assert_eq!(plan_shards(20, 203_530, 4), 1);                        // 20 rows: no two shards of 16
/// ```
pub fn plan_shards(batch_rows: usize, parameters: usize, threads: usize) -> usize {
    if threads <= 1 || batch_rows.saturating_mul(parameters) < MIN_WORK_TO_SHARD {
        return 1;
    }
    threads.min(batch_rows / MIN_ROWS_PER_SHARD).max(1)
}

/// What a step computed besides the gradients.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepOutcome {
    /// The batch's loss (mean over its rows, plus the penalty).
    pub loss: f64,
    /// Rows whose predicted class is their label (0 for regression).
    pub correct: usize,
    /// How many shards the batch was split into (1: one tape).
    pub shards: usize,
}

/// Where a step's rows come from: a gathered batch, or dataset rows that each
/// shard gathers itself (on its own thread).
#[derive(Clone, Copy)]
enum Source<'s, 'd, T> {
    Batch(&'s Batch<T>),
    Rows(&'s Batches<'d>, &'s [usize]),
}

impl<T: Scalar> Source<'_, '_, T> {
    fn len(&self) -> usize {
        match self {
            Source::Batch(b) => b.len(),
            Source::Rows(_, rows) => rows.len(),
        }
    }

    /// Rows `range` of the step into `out` (its buffers reused).
    fn rows_into(&self, range: Range<usize>, out: &mut Batch<T>) {
        match self {
            Source::Batch(b) => copy_rows(b, range, out),
            Source::Rows(batches, rows) => batches.fill(&rows[range], out),
        }
    }
}

/// One shard: its tape, gradient buffers, rows and results, kept between steps.
struct Shard<T: Scalar> {
    tape: Tape<T>,
    grads: Gradients<T>,
    /// The shard's rows, copied out of the batch (its own buffers, reused).
    rows: Batch<T>,
    range: Range<usize>,
    /// `b_s / B`: the seed of its sweep, the weight of its loss.
    weight: T,
    loss: T,
    correct: usize,
    /// The gradient of every parameter, in parameter order (shares the buffers
    /// of `grads` until the reduction has read it).
    gradients: Vec<Matrix<T>>,
    /// What anomaly mode found on this shard's last step, if it is on.
    anomaly: Option<Anomaly>,
}

impl<T: Scalar> Shard<T> {
    fn new(detect_anomaly: bool) -> Self {
        let mut tape = Tape::new();
        tape.detect_anomaly(detect_anomaly);
        Shard {
            tape,
            grads: Gradients::empty(),
            rows: Batch::new(),
            range: 0..0,
            weight: T::one(),
            loss: T::zero(),
            correct: 0,
            gradients: Vec::new(),
            anomaly: None,
        }
    }
}

/// Computes the loss and the gradients of a training step: on one reused
/// tape, or split into shards recorded concurrently on one tape each (see
/// [Threads](super#threads) in the `train` docs). The [`Trainer`](super::Trainer) keeps one for a whole
/// run; its tapes, buffers and threads are reused by every step.
///
/// ```
/// use wengert_nn::data::{Batch, Batches, Dataset};
/// use wengert_nn::train::GradientStep;
/// use wengert_nn::{Model, TwoLayerNet};
/// use wengert_ops::Matrix;
/// use wengert_optim::Params;
///
/// let x = Matrix::from_fn(256, 20, |i, j| ((i * 7 + j * 3) % 17) as f64 / 8.0 - 1.0);
/// let data = Dataset::new(x, (0..256).map(|i| (i % 3) as f64).collect(), vec!["x".into(); 20], "y")?;
/// let net = TwoLayerNet::<f64>::new(20, 400, 3, 0);
/// let mut batch = Batch::new();
/// Batches::new(&data, 256, 0)?.epoch::<f64>().next_into(&mut batch);
///
/// let (mut one, mut two) = (Params::new(), Params::new());
/// let a = GradientStep::new(1).compute(&net, &batch, &mut one);
/// let b = GradientStep::new(2).compute(&net, &batch, &mut two);
/// assert_eq!((a.shards, b.shards), (1, 2));
/// assert!((a.loss - b.loss).abs() < 1e-12);
/// for ((_, g1), (_, g2)) in one.iter().zip(two.iter()) {
///     assert!(g1.max_abs_diff(g2) < 1e-12);
/// }
/// # Ok::<(), wengert_nn::data::DataError>(())
/// ```
pub struct GradientStep<T: Scalar> {
    threads: usize,
    /// A fixed shard count instead of [`plan_shards`]'s.
    fixed_shards: Option<usize>,
    /// Created at the first sharded step (never, if no step is).
    workers: Option<Workers>,
    tape: Tape<T>,
    grads: Gradients<T>,
    /// The one-tape step's batch when it gathers rows itself.
    batch: Batch<T>,
    shards: Vec<Shard<T>>,
    /// Whether every tape records in anomaly mode.
    detect_anomaly: bool,
    /// What anomaly mode found in the last step (the first shard, in shard
    /// order, that found something).
    anomaly: Option<Anomaly>,
}

impl<T: Scalar + Send + Sync> GradientStep<T> {
    /// Steps on `threads` threads (`0` is treated as `1`).
    pub fn new(threads: usize) -> Self {
        GradientStep {
            threads: threads.max(1),
            fixed_shards: None,
            workers: None,
            tape: Tape::new(),
            grads: Gradients::empty(),
            batch: Batch::new(),
            shards: Vec::new(),
            detect_anomaly: false,
            anomaly: None,
        }
    }

    /// Records every step in anomaly mode (on each shard's tape too); after a
    /// step, [`anomaly`](Self::anomaly) says what was found. See
    /// [`Tape::detect_anomaly`].
    pub fn with_anomaly_detection(mut self, on: bool) -> Self {
        self.detect_anomaly = on;
        self.tape.detect_anomaly(on);
        for shard in &mut self.shards {
            shard.tape.detect_anomaly(on);
        }
        self
    }

    /// The first op of the last step that made a NaN or an infinity from
    /// finite inputs, when anomaly mode is on ([`with_anomaly_detection`](Self::with_anomaly_detection)):
    /// on one tape, its first; sharded, the first of the lowest-numbered shard
    /// that found one. `None` when the mode is off or nothing was found.
    pub fn anomaly(&self) -> Option<Anomaly> {
        self.anomaly.clone()
    }

    /// Splits every batch into `shards` shards (at most one per row; `0` is
    /// treated as `1`) instead of as [`plan_shards`] decides, whatever the
    /// thread count: results then depend on `shards` alone, so they are the
    /// same bits on any machine. (Also how the tests shard models too small for
    /// the plan to split.)
    pub fn with_shards(mut self, shards: usize) -> Self {
        self.fixed_shards = Some(shards.max(1));
        self
    }

    /// How many shards a batch of `batch_rows` rows through a model of
    /// `parameters` parameters is split into.
    pub fn shards_for(&self, batch_rows: usize, parameters: usize) -> usize {
        match self.fixed_shards {
            Some(s) => s.min(batch_rows).max(1),
            None => plan_shards(batch_rows, parameters, self.threads),
        }
    }

    /// The thread count it was made with.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// The loss of `model` on `batch` and its gradients, written into `grads`
    /// by parameter name (entries of the right shape are overwritten in place,
    /// so a training loop allocates nothing here after its first step).
    ///
    /// With `threads > 1` the batch is split as [`plan_shards`] says (or
    /// [`with_shards`](Self::with_shards)); when it is not split, the one tape's matrix products may use the `threads`
    /// threads instead. With `threads == 1` the products use the process-wide
    /// count (`wengert_ops::kernels::num_threads`).
    ///
    /// # Panics
    /// If the model panics (a shape mismatch in its forward pass, say) — on a
    /// shard, with the shard's number and the model's message.
    pub fn compute<M>(&mut self, model: &M, batch: &Batch<T>, grads: &mut Params<T>) -> StepOutcome
    where
        M: Model<T> + Sync + ?Sized,
    {
        self.run(model, Source::Batch(batch), grads)
    }

    /// Like [`compute`](Self::compute) on the batch of dataset rows `rows`
    /// that `batches` would gather ([`Batches::fill`]) — but gathered by each
    /// shard on its own thread, so that reading the rows out of the dataset
    /// is parallel too. What the [`Trainer`](super::Trainer) calls with
    /// [`Epoch::next_rows`](crate::data::Epoch::next_rows).
    ///
    /// # Panics
    /// As [`compute`](Self::compute), and if a row is not in the dataset.
    pub fn compute_rows<M>(
        &mut self,
        model: &M,
        batches: &Batches<'_>,
        rows: &[usize],
        grads: &mut Params<T>,
    ) -> StepOutcome
    where
        M: Model<T> + Sync + ?Sized,
    {
        self.run(model, Source::Rows(batches, rows), grads)
    }

    fn run<M>(&mut self, model: &M, source: Source<'_, '_, T>, grads: &mut Params<T>) -> StepOutcome
    where
        M: Model<T> + Sync + ?Sized,
    {
        let shards = self.shards_for(source.len(), model.params().num_elements());
        if shards > 1 {
            return self.sharded(model, source, grads, shards);
        }
        let batch = match source {
            Source::Batch(b) => b,
            Source::Rows(..) => {
                source.rows_into(0..source.len(), &mut self.batch);
                &self.batch
            }
        };
        let (tape, tape_grads, anomaly) = (&mut self.tape, &mut self.grads, &mut self.anomaly);
        let (loss, correct) = if self.threads > 1 {
            with_num_threads(self.threads, || one_tape(model, batch, tape, tape_grads, grads, anomaly))
        } else {
            one_tape(model, batch, tape, tape_grads, grads, anomaly)
        };
        StepOutcome { loss, correct, shards: 1 }
    }

    fn sharded<M>(&mut self, model: &M, source: Source<'_, '_, T>, grads: &mut Params<T>, shards: usize) -> StepOutcome
    where
        M: Model<T> + Sync + ?Sized,
    {
        let ranges = shard_ranges(source.len(), shards);
        self.shards.truncate(ranges.len());
        while self.shards.len() < ranges.len() {
            self.shards.push(Shard::new(self.detect_anomaly));
        }
        let total = source.len() as f64;
        for (shard, range) in self.shards.iter_mut().zip(ranges) {
            shard.weight = T::from_f64(range.len() as f64 / total);
            shard.range = range;
        }
        let threads = self.threads;
        let workers = self.workers.get_or_insert_with(|| Workers::new(threads));
        workers.for_each(&mut self.shards, |_, shard| record_shard(model, source, shard));

        // The reduction, in shard order: loss = Σ w_s·L_s, ∇ = Σ ∇_s (each
        // already weighted by its seed).
        let mut loss = T::zero();
        let mut correct = 0;
        for shard in &self.shards {
            loss += shard.weight * shard.loss;
            correct += shard.correct;
        }
        let (first, rest) = self.shards.split_first_mut().expect("at least one shard");
        for (k, (name, _)) in model.params().iter().enumerate() {
            let g0 = &first.gradients[k];
            let dst = match grads.get_mut(name) {
                Some(dst) if dst.shape() == g0.shape() && !dst.is_shared() => dst,
                _ => {
                    grads.insert(name, Matrix::zeros(g0.rows(), g0.cols()));
                    grads.get_mut(name).expect("just inserted")
                }
            };
            // dst = (g₀ + g₁) + g₂ + …: the first two in one pass.
            let dst = dst.as_mut_slice();
            match rest.split_first() {
                Some((second, others)) => {
                    for ((d, &a), &b) in dst.iter_mut().zip(g0.as_slice()).zip(second.gradients[k].as_slice()) {
                        *d = a + b;
                    }
                    for shard in others {
                        for (d, &g) in dst.iter_mut().zip(shard.gradients[k].as_slice()) {
                            *d += g;
                        }
                    }
                }
                None => dst.copy_from_slice(g0.as_slice()),
            }
        }
        // Release the gradient buffers, so the next sweeps reuse them.
        for shard in &mut self.shards {
            shard.gradients.clear();
        }
        self.anomaly = self.shards.iter().find_map(|shard| shard.anomaly.clone());
        StepOutcome { loss: loss.value(), correct, shards }
    }
}

impl<T: Scalar> std::fmt::Debug for GradientStep<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GradientStep").field("threads", &self.threads).field("shards", &self.shards.len()).finish()
    }
}

/// The targets `model`'s loss reads from `batch`, as constants of `tape`.
fn targets<'b, 't, T: Scalar>(loss_kind: LossKind, batch: &'b Batch<T>, tape: &'t Tape<T>) -> Targets<'b, 't, T> {
    match loss_kind {
        LossKind::SoftmaxCrossEntropy { .. } => Targets::Labels(&batch.labels),
        LossKind::BinaryLogistic | LossKind::SquaredError => Targets::Values(tape.constant_matrix(&batch.targets)),
    }
}

/// The step on one tape: record, sweep with seed 1, copy the gradients out,
/// clear. Returns the loss and the count of right predictions.
fn one_tape<T: Scalar, M: Model<T> + ?Sized>(
    model: &M,
    batch: &Batch<T>,
    tape: &mut Tape<T>,
    tape_grads: &mut Gradients<T>,
    grads: &mut Params<T>,
    anomaly: &mut Option<Anomaly>,
) -> (f64, usize) {
    let loss_kind = model.loss_kind();
    let result = {
        let p = ParamVars::track(tape, model.params());
        let x = tape.constant_matrix(&batch.features);
        let out = model.forward(&p, x);
        let loss = model.loss(&p, out, targets(loss_kind, batch, tape));
        tape.backward_into(loss, T::one(), tape_grads);
        p.gradients_into(tape_grads, grads);
        (loss.value(), count_correct(loss_kind, &out.value(), &batch.labels))
    };
    *anomaly = tape.anomaly();
    // Cleared before the optimizer updates the parameters: the tape shares
    // their storage until then, and an update would copy them.
    tape.clear();
    result
}

/// Records and sweeps one shard on its own tape (on a worker thread).
fn record_shard<T: Scalar, M: Model<T> + ?Sized>(model: &M, source: Source<'_, '_, T>, shard: &mut Shard<T>) {
    source.rows_into(shard.range.clone(), &mut shard.rows);
    let loss_kind = model.loss_kind();
    let Shard { tape, grads, rows, weight, loss, correct, gradients, anomaly, .. } = shard;
    tape.clear();
    {
        let p = ParamVars::track(tape, model.params());
        let x = tape.constant_matrix(&rows.features);
        let out = model.forward(&p, x);
        let shard_loss = model.loss(&p, out, targets(loss_kind, rows, tape));
        tape.backward_into(shard_loss, *weight, grads);
        gradients.clear();
        gradients.extend(p.iter().map(|(_, v)| grads.matrix(v)));
        *loss = shard_loss.primal();
        *correct = count_correct(loss_kind, &out.value(), &rows.labels);
    }
    *anomaly = tape.anomaly();
    tape.clear();
}

/// Copies rows `range` of `batch` into `out`, reusing its buffers.
fn copy_rows<T: Scalar>(batch: &Batch<T>, range: Range<usize>, out: &mut Batch<T>) {
    let d = batch.features.cols();
    let copy = |m: &mut Matrix<T>, src: &Matrix<T>, cols: usize| {
        if !m.try_reuse_unfilled(range.len(), cols, T::zero()) {
            *m = Matrix::zeros(range.len(), cols);
        }
        m.as_mut_slice().copy_from_slice(&src.as_slice()[range.start * cols..range.end * cols]);
    };
    copy(&mut out.features, &batch.features, d);
    // Targets are filled by `Batches` for every batch; a hand-made batch
    // without them (a classifier's) keeps its shards' empty too.
    if batch.targets.rows() == batch.len() {
        copy(&mut out.targets, &batch.targets, batch.targets.cols());
    } else {
        out.targets = Matrix::zeros(0, 1);
    }
    out.labels.clear();
    if !batch.labels.is_empty() {
        out.labels.extend_from_slice(&batch.labels[range.clone()]);
    }
    out.indices.clear();
    out.indices.extend_from_slice(&batch.indices[range]);
}

/// How many rows of `out` are predicted as their label (0 for regression).
pub(crate) fn count_correct<T: Scalar>(loss_kind: LossKind, out: &Matrix<T>, labels: &[usize]) -> usize {
    if loss_kind.classes().is_none() {
        return 0;
    }
    out.row_iter().zip(labels).filter(|(row, &l)| loss_kind.predict_class(row) == Some(l)).count()
}
