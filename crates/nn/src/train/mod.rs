//! The training loop: epochs of seeded mini-batches, any [`Optimizer`], an
//! optional learning-rate [`Schedule`], gradient clipping, a progress bar with
//! the running loss, running loss and accuracy, evaluation, early stopping,
//! and runs that stop and continue ([`TrainState`], [`Trainer::fit_from`]).
//!
//! | file | job |
//! |---|---|
//! | `mod.rs` | [`TrainConfig`], [`Trainer`]: the loop |
//! | `state.rs` | [`EpochRecord`], [`History`], [`TrainState`]: what a run has done, enough to continue it |
//! | `evaluation.rs` | [`predict`], [`evaluate`], [`probabilities`], [`Evaluation`], [`ConfusionMatrix`] |
//! | `sharpness.rs` | [`Sharpness`]: the top Hessian eigenvalue of the loss every k steps ([`Trainer::sharpness`]) |
//! | `step.rs` | [`GradientStep`]: one step's loss and gradients, on one tape or data-parallel; [`plan_shards`] |
//!
//! # What is reused, and why it matters
//!
//! One [`GradientStep`] (its tapes, `Gradients`, batch buffers and threads)
//! and one gradient [`Params`] live for the whole run. Each step records on
//! the tape (its node arrays and matrix buffers come from the previous step),
//! sweeps into the same `Gradients`, copies the gradients into the same owned
//! buffers, **clears the tape**, then lets the optimizer update the
//! parameters. The order matters: the tape shares the parameters' and the
//! batch's storage (copy-on-write), so only after `clear()` are they unshared
//! again and updated or refilled in place instead of copied.
//!
//! # Threads
//!
//! With [`TrainConfig::threads`] above 1, a step whose batch is large enough
//! ([`plan_shards`]) is split into shards of consecutive rows, each recorded
//! and swept on its own tape on its own thread, and their gradients are added
//! in a fixed order (see [`GradientStep`] for why that is the batch's gradient).
//! The optimizer, the schedule and the callbacks stay on the calling thread, so
//! the model must be `Sync` (every model of this crate is) to be shared by the
//! threads.
//!
//! # Determinism
//!
//! Everything random is seeded: the batch order from [`TrainConfig::seed`], the
//! initial weights by the model's constructor. Summation orders are fixed, so
//! two runs with the same seeds and the same thread count produce
//! bit-identical parameters and losses (the tests check it). Another thread
//! count may split batches into another number of shards, which adds the same
//! numbers in another order: the runs then differ by rounding, and drift apart
//! over many steps as any two floating-point runs do. A run stopped after some epochs
//! ([`TrainConfig::stop_after`]) and continued with [`Trainer::fit_from`] —
//! from the same [`TrainState`], or from one saved in a
//! [`Checkpoint`](crate::checkpoint::Checkpoint) with the parameters and the
//! optimizer's state — gives the same bits as the run that never stopped
//! (tested too; [`state`] says why it holds).
//!
//! ```
//! use wengert_nn::data::{load_bundled, train_test_split_stratified, Standardizer};
//! use wengert_nn::train::{TrainConfig, Trainer};
//! use wengert_nn::TwoLayerNet;
//! use wengert_optim::Adam;
//!
//! let iris = load_bundled("iris")?.into_single().unwrap();
//! let (train, test) = train_test_split_stratified(&iris, 0.2, 0)?;
//! let scaler = Standardizer::fit(train.features())?;
//! let (train, test) = (scaler.transform_dataset(&train)?, scaler.transform_dataset(&test)?);
//!
//! let mut net = TwoLayerNet::<f64>::new(4, 16, 3, 0);
//! let mut adam = Adam::new().lr(0.02);
//! let config = TrainConfig { epochs: 40, batch_size: 16, ..TrainConfig::default() };
//! let history = Trainer::new(config).fit(&mut net, &mut adam, &train, Some(&test))?;
//! let last = history.epochs.last().unwrap();
//! assert!(last.valid.as_ref().unwrap().accuracy.unwrap() >= 0.9);
//! # Ok::<(), wengert_nn::NnError>(())
//! ```

use std::io::IsTerminal;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use wengert_ops::kernels::with_num_threads;
use wengert_ops::{Matrix, Scalar};
use wengert_optim::{clip_grad_norm, Optimizer, OptimizerState, Params, Schedule};

use crate::data::{Batches, Dataset};
use crate::error::NnError;
use crate::model::Model;

mod evaluation;
pub mod sharpness;
pub mod state;
mod step;

pub use evaluation::{
    evaluate, evaluate_chunked, predict, predict_chunked, probabilities, ConfusionMatrix, Evaluation, DEFAULT_CHUNK,
};
pub use sharpness::{Sharpness, SharpnessRecord};
pub use state::{EpochRecord, History, TrainState};
pub use step::{plan_shards, GradientStep, StepOutcome, MIN_ROWS_PER_SHARD, MIN_WORK_TO_SHARD};

/// Settings of [`Trainer::fit`].
#[derive(Clone, Debug, PartialEq)]
pub struct TrainConfig {
    /// Number of passes over the training set: the run's length, which the
    /// progress bar and early stopping go by (default 10).
    pub epochs: usize,
    /// Examples per optimizer step (default 32).
    pub batch_size: usize,
    /// Seed of the batch order (default 0).
    pub seed: u64,
    /// Clip the gradients to this global L2 norm before each step (default none).
    pub clip_norm: Option<f64>,
    /// Show a progress bar with the running loss — only ever when stdout is a
    /// terminal (default false).
    pub progress: bool,
    /// Stop when a validation metric stops improving (default none).
    pub early_stopping: Option<EarlyStopping>,
    /// Rows per forward pass during evaluation (default 1000).
    pub eval_batch_size: usize,
    /// Train on the first `n` batches of the training set, in dataset order,
    /// every epoch, instead of on all of it shuffled (default none). A model
    /// that cannot drive the loss to about zero on one batch
    /// (`Some(1)`) has a bug; this is the quickest check there is.
    pub overfit_batches: Option<usize>,
    /// Pause the run after this epoch, as if it had been interrupted there
    /// (default none): the run keeps its length (`epochs`), early stopping does
    /// not restore the best parameters yet, and [`Trainer::fit_from`]
    /// continues it.
    pub stop_after: Option<usize>,
    /// Record every step in anomaly mode (default off): the first op that
    /// makes a NaN or an infinity from finite inputs, while recording or in
    /// the sweep, stops the run with [`NnError::Anomaly`] naming it (see
    /// [`Tape::detect_anomaly`](wengert_tape::Tape::detect_anomaly)). Slower:
    /// for finding where a divergence starts, not for every run.
    pub detect_anomaly: bool,
    /// Threads a step may use (default 1). Above 1, a batch large enough to
    /// gain ([`plan_shards`]) is split into shards trained concurrently, one
    /// tape per thread; a smaller one runs on one tape whose matrix products
    /// may use the threads, as do the evaluation's. With 1, steps run on one
    /// tape and the products use the process-wide count
    /// (`wengert_ops::kernels::num_threads`). The same seed and thread count
    /// give the same bits; see the [module docs](self#threads).
    pub threads: usize,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 10,
            batch_size: 32,
            seed: 0,
            clip_norm: None,
            progress: false,
            early_stopping: None,
            eval_batch_size: 1000,
            overfit_batches: None,
            stop_after: None,
            detect_anomaly: false,
            threads: 1,
        }
    }
}

impl TrainConfig {
    /// Optimizer steps per epoch for `n_train` examples (the last partial batch
    /// counts; with [`overfit_batches`](Self::overfit_batches), at most that
    /// many).
    pub fn steps_per_epoch(&self, n_train: usize) -> u64 {
        let all = n_train.div_ceil(self.batch_size.max(1));
        self.overfit_batches.map_or(all, |n| n.min(all)) as u64
    }

    /// Optimizer steps of the whole run (what a schedule's `total` should be).
    pub fn total_steps(&self, n_train: usize) -> u64 {
        self.steps_per_epoch(n_train) * self.epochs as u64
    }

    fn validate(&self) -> Result<(), NnError> {
        if self.epochs == 0 {
            return Err(NnError::config("training: epochs must be at least 1"));
        }
        if self.batch_size == 0 || self.eval_batch_size == 0 {
            return Err(NnError::config("training: batch sizes must be at least 1"));
        }
        if self.threads == 0 {
            return Err(NnError::config("training: threads must be at least 1"));
        }
        if self.overfit_batches == Some(0) {
            return Err(NnError::config("training: overfit_batches must be at least 1"));
        }
        if self.stop_after == Some(0) {
            return Err(NnError::config("training: stop_after must be at least 1"));
        }
        if let Some(c) = self.clip_norm {
            if !(c > 0.0 && c.is_finite()) {
                return Err(NnError::config(format!("training: the clipping norm must be positive, got {c}")));
            }
        }
        Ok(())
    }
}

/// Which validation number [`EarlyStopping`] watches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Monitor {
    /// The validation loss (lower is better).
    ValidLoss,
    /// The validation accuracy (higher is better).
    ValidAccuracy,
}

impl Monitor {
    /// The watched number of `ev` as a score where lower is better.
    fn score(self, ev: &Evaluation) -> f64 {
        match self {
            Monitor::ValidLoss => ev.loss,
            Monitor::ValidAccuracy => -ev.accuracy.unwrap_or(0.0),
        }
    }
}

/// Stop training when the monitored validation metric has not improved by more
/// than `min_delta` for `patience` epochs; optionally restore the parameters of
/// the best epoch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EarlyStopping {
    /// What to watch.
    pub monitor: Monitor,
    /// Epochs without improvement before stopping.
    pub patience: usize,
    /// Smallest change that counts as an improvement.
    pub min_delta: f64,
    /// Put back the parameters of the best epoch when stopping (or at the end).
    pub restore_best: bool,
}

/// What an [`on_epoch_end`](Trainer::on_epoch_end) hook sees after each
/// epoch: everything a checkpoint of the run needs.
pub struct EpochEnd<'e, T> {
    /// The epoch just finished (also the last record of `state`).
    pub record: &'e EpochRecord,
    /// The run so far.
    pub state: &'e TrainState<T>,
    /// The model's parameters after the epoch.
    pub params: &'e Params<T>,
    /// The optimizer's state after the epoch.
    pub optimizer: &'e OptimizerState<T>,
    /// The names of the model's [`linear_layers`](Model::linear_layers).
    pub linear_layers: &'e [String],
}

type EpochCallback<'a> = Box<dyn FnMut(&EpochRecord) + 'a>;
type EpochEndHook<'a, T> = Box<dyn FnMut(&EpochEnd<'_, T>) -> Result<(), NnError> + 'a>;

/// Runs training: see the [module docs](self).
pub struct Trainer<'a, T: Scalar> {
    config: TrainConfig,
    schedule: Option<Box<dyn Schedule + 'a>>,
    on_epoch: Option<EpochCallback<'a>>,
    on_epoch_end: Option<EpochEndHook<'a, T>>,
    sharpness: Option<Sharpness>,
}

impl<'a, T: Scalar + Send + Sync> Trainer<'a, T> {
    /// A trainer with the given settings, no schedule and no callback.
    pub fn new(config: TrainConfig) -> Self {
        Trainer { config, schedule: None, on_epoch: None, on_epoch_end: None, sharpness: None }
    }

    /// Measures the sharpness of the training loss (the top eigenvalue of its
    /// Hessian) at the start of the run and every `k` steps, into
    /// [`History::sharpness`]; see [`sharpness`] for how and why. The model
    /// must run on dual numbers ([`Model::dual_loss`]; the built-in models
    /// do).
    pub fn sharpness(mut self, settings: Sharpness) -> Self {
        self.sharpness = Some(settings);
        self
    }

    /// Sets the learning rate before every step to `schedule.lr(step)`, with
    /// `step` counting optimizer steps from 0 over the whole run.
    pub fn schedule(mut self, schedule: impl Schedule + 'a) -> Self {
        self.schedule = Some(Box::new(schedule));
        self
    }

    /// Calls `f` after every epoch (e.g. to print a line of the log).
    pub fn on_epoch(mut self, f: impl FnMut(&EpochRecord) + 'a) -> Self {
        self.on_epoch = Some(Box::new(f));
        self
    }

    /// Calls `hook` after every epoch (after [`on_epoch`](Self::on_epoch))
    /// with the parameters, the optimizer's state and the run so far — what a
    /// checkpoint written every epoch needs. An error from the hook ends
    /// training with that error.
    pub fn on_epoch_end(mut self, hook: impl FnMut(&EpochEnd<'_, T>) -> Result<(), NnError> + 'a) -> Self {
        self.on_epoch_end = Some(Box::new(hook));
        self
    }

    /// The settings.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// Trains `model` on `train` with `optimizer`, evaluating on `valid` after
    /// every epoch if given.
    ///
    /// Fails if the configuration is invalid, the data does not fit the model
    /// (labels needed but absent, a label beyond the model's classes, a feature
    /// count mismatch), early stopping has no validation set, the loss
    /// becomes non-finite ([`NnError::Diverged`]), or a parameter or the
    /// epoch's last gradient does ([`NnError::NonFinite`], checked after
    /// every epoch).
    pub fn fit<M, O>(
        &mut self,
        model: &mut M,
        optimizer: &mut O,
        train: &Dataset,
        valid: Option<&Dataset>,
    ) -> Result<History, NnError>
    where
        M: Model<T> + Sync + ?Sized,
        O: Optimizer<T> + ?Sized,
    {
        let mut state = TrainState::new();
        self.fit_from(model, optimizer, train, valid, &mut state)?;
        Ok(state.history)
    }

    /// Continues the run `state` up to [`TrainConfig::epochs`] (or
    /// [`stop_after`](TrainConfig::stop_after)), updating `state` after every
    /// epoch. A new [`TrainState`] starts a run, so
    /// [`fit`](Self::fit) is `fit_from` with a fresh state.
    ///
    /// To continue exactly, the model and the optimizer must be where the run
    /// left them (the same objects, or restored from a
    /// [`Checkpoint`](crate::checkpoint::Checkpoint)), and the trainer must
    /// have the same settings, schedule and data. A run that has finished, or
    /// that early stopping ended, is left as it is.
    ///
    /// ```
    /// use wengert_nn::data::{prepare, DataSource};
    /// use wengert_nn::train::{TrainConfig, TrainState, Trainer};
    /// use wengert_nn::{Model, TwoLayerNet};
    /// use wengert_optim::Adam;
    ///
    /// let data = DataSource::from_name_or_path("iris").unwrap().load()?;
    /// let target = data.target_kind();
    /// let iris = prepare(data, target, 0.2, 0)?;
    /// let config = TrainConfig { epochs: 6, batch_size: 16, ..TrainConfig::default() };
    ///
    /// // Six epochs in one go …
    /// let (mut a, mut adam_a) = (TwoLayerNet::<f64>::new(4, 8, 3, 0), Adam::new().lr(0.02));
    /// let whole = Trainer::new(config.clone()).fit(&mut a, &mut adam_a, &iris.train, None)?;
    /// // … or three, a pause, and the other three.
    /// let (mut b, mut adam_b) = (TwoLayerNet::<f64>::new(4, 8, 3, 0), Adam::new().lr(0.02));
    /// let mut run = TrainState::new();
    /// let paused = TrainConfig { stop_after: Some(3), ..config.clone() };
    /// Trainer::new(paused).fit_from(&mut b, &mut adam_b, &iris.train, None, &mut run)?;
    /// assert_eq!(run.epochs_done(), 3);
    /// Trainer::new(config).fit_from(&mut b, &mut adam_b, &iris.train, None, &mut run)?;
    /// assert_eq!(a.params(), b.params());
    /// assert_eq!(whole.step_losses, run.history.step_losses);
    /// # Ok::<(), wengert_nn::NnError>(())
    /// ```
    pub fn fit_from<M, O>(
        &mut self,
        model: &mut M,
        optimizer: &mut O,
        train: &Dataset,
        valid: Option<&Dataset>,
        state: &mut TrainState<T>,
    ) -> Result<(), NnError>
    where
        M: Model<T> + Sync + ?Sized,
        O: Optimizer<T> + ?Sized,
    {
        let cfg = self.config.clone();
        cfg.validate()?;
        check_data(&*model, train, "training set")?;
        if let Some(v) = valid {
            check_data(&*model, v, "validation set")?;
        }
        if cfg.early_stopping.is_some() && valid.is_none() {
            return Err(NnError::config("training: early stopping needs a validation set"));
        }
        let sharpness = self.sharpness.map(|s| sharpness::SharpnessMonitor::new(s, train)).transpose()?;
        let done = state.epochs_done();
        let last = cfg.stop_after.map_or(cfg.epochs, |s| s.min(cfg.epochs));
        if state.history.stopped_early || done >= last {
            return Ok(());
        }
        let loss_kind = model.loss_kind();
        let mut clock = Instant::now();
        let mut batches = Batches::new(train, cfg.batch_size, cfg.seed)?.class_targets(loss_kind.classes().is_some());
        if cfg.overfit_batches.is_some() {
            batches = batches.shuffle(false);
        }
        // The batch order of epoch `e` depends on the e − 1 shuffles before it:
        // replay them, so that a continued run sees the orders it would have seen.
        for _ in 0..done {
            batches.epoch::<T>();
        }
        let per_epoch = cfg.steps_per_epoch(train.len());
        let bar = progress_bar(cfg.progress, cfg.total_steps(train.len()), state.steps_done());

        let mut gradient_step = GradientStep::<T>::new(cfg.threads).with_anomaly_detection(cfg.detect_anomaly);
        let mut grad_params = Params::new();

        let mut step = state.steps_done();
        // Early stopping's best score so far, read back from its epoch's record.
        let mut best: Option<(f64, usize)> = match (&cfg.early_stopping, state.history.best_epoch) {
            (Some(es), Some(e)) => state.history.epochs[e - 1].valid.as_ref().map(|v| (es.monitor.score(v), e)),
            _ => None,
        };
        let mut stopped_early = false;
        let linear_layers: Vec<String> = model.linear_layers().iter().map(|l| l.name().to_string()).collect();
        // The learning rate of step `s` (0-based), for the sharpness records.
        let rate_of = |s: u64, optimizer: &O| self.schedule.as_ref().map_or(optimizer.learning_rate(), |f| f.lr(s));
        if let (Some(m), 0) = (&sharpness, step) {
            m.after(0, &*model, rate_of(0, optimizer), &mut state.history.sharpness)?;
        }

        for epoch in done + 1..=last {
            let t0 = Instant::now();
            let (mut loss_sum, mut correct, mut seen) = (0.0f64, 0usize, 0usize);
            let mut ep = batches.epoch::<T>();
            let mut taken = 0;
            while taken < per_epoch {
                let Some(rows) = ep.next_rows() else { break };
                taken += 1;
                if let Some(s) = &self.schedule {
                    optimizer.set_learning_rate(s.lr(step));
                }
                let StepOutcome { loss, correct: right, .. } =
                    gradient_step.compute_rows(&*model, ep.batches(), rows, &mut grad_params);
                if let Some(anomaly) = gradient_step.anomaly() {
                    bar.finish_and_clear();
                    return Err(NnError::Anomaly { epoch, step, anomaly: Box::new(anomaly) });
                }
                if !loss.is_finite() {
                    bar.finish_and_clear();
                    return Err(NnError::Diverged { epoch, step, loss });
                }
                if let Some(c) = cfg.clip_norm {
                    clip_grad_norm(&mut grad_params, c);
                }
                optimizer.step(model.params_mut(), &grad_params);
                step += 1;
                if let Some(m) = &sharpness {
                    m.after(step, &*model, rate_of(step, optimizer), &mut state.history.sharpness)
                        .inspect_err(|_| bar.finish_and_clear())?;
                }
                loss_sum += loss * rows.len() as f64;
                correct += right;
                seen += rows.len();
                state.history.step_losses.push(loss);
                bar.inc(1);
                if !bar.is_hidden() {
                    bar.set_message(format!("epoch {epoch}/{}  loss {:.4}", cfg.epochs, loss_sum / seen as f64));
                }
            }
            check_finite(model.params(), &grad_params, epoch, step).inspect_err(|_| bar.finish_and_clear())?;
            let valid_eval = match valid {
                // With several threads, the evaluation's large products use them.
                Some(v) if cfg.threads > 1 => {
                    Some(with_num_threads(cfg.threads, || evaluate_chunked(&*model, v, cfg.eval_batch_size))?)
                }
                Some(v) => Some(evaluate_chunked(&*model, v, cfg.eval_batch_size)?),
                None => None,
            };
            let record = EpochRecord {
                epoch,
                train_loss: loss_sum / seen.max(1) as f64,
                train_accuracy: loss_kind.classes().map(|_| correct as f64 / seen.max(1) as f64),
                valid: valid_eval,
                learning_rate: optimizer.learning_rate(),
                seconds: t0.elapsed().as_secs_f64(),
                step,
            };
            if let (Some(es), Some(ev)) = (&cfg.early_stopping, &record.valid) {
                let score = es.monitor.score(ev);
                if best.is_none_or(|(b, _)| score < b - es.min_delta) {
                    best = Some((score, epoch));
                    state.history.best_epoch = Some(epoch);
                    state.best_params = es.restore_best.then(|| deep_copy(model.params()));
                } else if best.is_some_and(|(_, e)| epoch - e >= es.patience) {
                    stopped_early = true;
                }
            }
            if let Some(f) = &mut self.on_epoch {
                // Hide the bar while the callback prints, so lines do not tear it.
                bar.suspend(|| f(&record));
            }
            state.history.epochs.push(record);
            state.history.stopped_early = stopped_early && epoch < cfg.epochs;
            state.history.seconds += clock.elapsed().as_secs_f64();
            clock = Instant::now();
            if let Some(hook) = &mut self.on_epoch_end {
                let record = state.history.epochs.last().expect("pushed above");
                let end = EpochEnd {
                    record,
                    state: &*state,
                    params: model.params(),
                    optimizer: &optimizer.state(),
                    linear_layers: &linear_layers,
                };
                bar.suspend(|| hook(&end))?;
            }
            if stopped_early {
                break;
            }
        }
        bar.finish_and_clear();
        let finished = stopped_early || state.epochs_done() == cfg.epochs;
        if finished && cfg.early_stopping.is_some_and(|es| es.restore_best) {
            if let Some(snapshot) = &state.best_params {
                *model.params_mut() = deep_copy(snapshot);
            }
        }
        Ok(())
    }
}

/// Fails with [`NnError::NonFinite`] at the first NaN or infinity in the
/// gradients of the epoch's last step, then in the parameters. The loss is
/// checked every step, but a NaN can reach the weights while the loss stays
/// finite (a zero that multiplies it in a gradient, an output the loss
/// ignores, a class whose logit is −inf); once there it stays, so one look
/// per epoch finds it, for the cost of reading every parameter twice — cheap
/// next to an epoch of steps that each read them several times.
fn check_finite<T: Scalar>(params: &Params<T>, grads: &Params<T>, epoch: usize, step: u64) -> Result<(), NnError> {
    for (gradient, set) in [(true, grads), (false, params)] {
        for (name, m) in set.iter() {
            if let Some(k) = m.iter().position(|x| !x.is_finite()) {
                let cols = m.cols().max(1);
                return Err(NnError::NonFinite {
                    name: name.to_string(),
                    gradient,
                    at: (k / cols, k % cols),
                    value: m.as_slice()[k].value(),
                    epoch,
                    step: step.saturating_sub(1),
                });
            }
        }
    }
    Ok(())
}

/// A copy of `params` that shares no storage with it.
fn deep_copy<T: Scalar>(params: &Params<T>) -> Params<T> {
    params.iter().map(|(n, m)| (n, Matrix::from_vec(m.rows(), m.cols(), m.as_slice().to_vec()))).collect()
}

/// The bar of a run of `total` steps, `done` of them taken before: the steps,
/// the epoch and its running loss (the message), the time. Hidden unless
/// asked for and stdout is a terminal.
fn progress_bar(wanted: bool, total: u64, done: u64) -> ProgressBar {
    if !wanted || !std::io::stdout().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} steps  {msg}  {elapsed_precise} (eta {eta})")
    {
        bar.set_style(style);
    }
    bar.set_position(done);
    bar
}

/// Checks that `data` fits `model`: feature count, and class labels within the
/// model's classes for classification.
pub(crate) fn check_data<T: Scalar, M: Model<T> + ?Sized>(
    model: &M,
    data: &Dataset,
    what: &str,
) -> Result<(), NnError> {
    if data.is_empty() {
        return Err(NnError::config(format!("the {what} is empty")));
    }
    if let Some(d) = model.input_features() {
        if d != data.n_features() {
            return Err(NnError::config(format!(
                "the {what} has {} features but the model expects {d}",
                data.n_features()
            )));
        }
    }
    if let Some(k) = model.loss_kind().classes() {
        let labels = data.class_labels()?;
        if let Some(&bad) = labels.iter().find(|&&l| l >= k) {
            return Err(NnError::config(format!("the {what} has class label {bad}, but the model has {k} classes")));
        }
    }
    Ok(())
}
