//! The training loop: epochs of seeded mini-batches, any [`Optimizer`], an
//! optional learning-rate [`Schedule`], gradient clipping, a progress bar,
//! running loss and accuracy, evaluation and early stopping.
//!
//! # What is reused, and why it matters
//!
//! One [`Tape`], one [`Gradients`], one gradient [`Params`] and one [`Batch`]
//! live for the whole run. Each step records on the tape (its node arrays and
//! matrix buffers come from the previous step), sweeps into the same
//! `Gradients`, copies the gradients into the same owned buffers, **clears the
//! tape**, then lets the optimizer update the parameters. The order matters:
//! the tape shares the parameters' and the batch's storage (copy-on-write), so
//! only after `clear()` are they unshared again and updated or refilled in
//! place instead of copied.
//!
//! # Determinism
//!
//! Everything random is seeded: the batch order from [`TrainConfig::seed`], the
//! initial weights by the model's constructor. Summation orders are fixed, so
//! two runs with the same seeds produce bit-identical parameters and losses
//! (the tests check it).
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
use wengert_ops::{Matrix, Scalar};
use wengert_optim::{clip_grad_norm, Optimizer, Params, Schedule};
use wengert_tape::{Gradients, Tape};

use crate::data::{Batch, Batches, Dataset};
use crate::error::NnError;
use crate::model::{Model, Objective, ParamVars};

/// Settings of [`Trainer::fit`].
#[derive(Clone, Debug, PartialEq)]
pub struct TrainConfig {
    /// Number of passes over the training set (default 10).
    pub epochs: usize,
    /// Examples per optimizer step (default 32).
    pub batch_size: usize,
    /// Seed of the batch order (default 0).
    pub seed: u64,
    /// Clip the gradients to this global L2 norm before each step (default none).
    pub clip_norm: Option<f64>,
    /// Show a progress bar — only ever when stdout is a terminal (default false).
    pub progress: bool,
    /// Stop when a validation metric stops improving (default none).
    pub early_stopping: Option<EarlyStopping>,
    /// Rows per forward pass during evaluation (default 1000).
    pub eval_batch_size: usize,
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
        }
    }
}

impl TrainConfig {
    /// Optimizer steps per epoch for `n_train` examples (the last partial batch
    /// counts).
    pub fn steps_per_epoch(&self, n_train: usize) -> u64 {
        n_train.div_ceil(self.batch_size.max(1)) as u64
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

/// A square table of counts: row = true class, column = predicted class.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfusionMatrix {
    counts: Vec<usize>,
    classes: usize,
}

impl ConfusionMatrix {
    /// An all-zero matrix for `classes` classes.
    pub fn new(classes: usize) -> Self {
        ConfusionMatrix { counts: vec![0; classes * classes], classes }
    }

    /// Counts one example.
    pub fn add(&mut self, truth: usize, predicted: usize) {
        self.counts[truth * self.classes + predicted] += 1;
    }

    /// Number of classes.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// How many examples of class `truth` were predicted as `predicted`.
    pub fn get(&self, truth: usize, predicted: usize) -> usize {
        self.counts[truth * self.classes + predicted]
    }

    /// Number of examples counted.
    pub fn total(&self) -> usize {
        self.counts.iter().sum()
    }

    /// Fraction on the diagonal.
    pub fn accuracy(&self) -> f64 {
        let right: usize = (0..self.classes).map(|c| self.get(c, c)).sum();
        right as f64 / self.total().max(1) as f64
    }

    /// Recall of each class: right / examples of that class (0 for an empty class).
    pub fn recall(&self) -> Vec<f64> {
        (0..self.classes)
            .map(|c| {
                let n: usize = (0..self.classes).map(|p| self.get(c, p)).sum();
                self.get(c, c) as f64 / n.max(1) as f64
            })
            .collect()
    }
}

impl std::fmt::Display for ConfusionMatrix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let width = self.counts.iter().max().map_or(1, |m| m.to_string().len()).max(2);
        write!(f, "{:>6} |", "true\\p")?;
        for p in 0..self.classes {
            write!(f, " {p:>width$}")?;
        }
        writeln!(f)?;
        for t in 0..self.classes {
            write!(f, "{t:>6} |")?;
            for p in 0..self.classes {
                write!(f, " {:>width$}", self.get(t, p))?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// Metrics of a model on a dataset.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// Number of examples.
    pub examples: usize,
    /// Mean loss without the penalty: log-loss (negative log-likelihood) for
    /// classification, mean squared error for regression.
    pub loss: f64,
    /// Fraction classified correctly (`None` for regression).
    pub accuracy: Option<f64>,
    /// The confusion matrix (`None` for regression).
    pub confusion: Option<ConfusionMatrix>,
}

/// One epoch of [`History`].
#[derive(Clone, Debug, PartialEq)]
pub struct EpochRecord {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Mean training loss over the epoch's batches (penalty included), weighted
    /// by batch size, as the parameters moved.
    pub train_loss: f64,
    /// Running training accuracy over the epoch's batches, from the same
    /// forward passes that computed the gradients (`None` for regression).
    pub train_accuracy: Option<f64>,
    /// Metrics on the validation set, if one was given.
    pub valid: Option<Evaluation>,
    /// Learning rate of the epoch's last step.
    pub learning_rate: f64,
    /// Wall time of the epoch (training and evaluation), in seconds.
    pub seconds: f64,
}

/// What [`Trainer::fit`] did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    /// One record per completed epoch.
    pub epochs: Vec<EpochRecord>,
    /// The loss of every optimizer step, in order.
    pub step_losses: Vec<f64>,
    /// The epoch (1-based) whose validation metric was best, when early
    /// stopping watched one.
    pub best_epoch: Option<usize>,
    /// Whether early stopping ended the run before the last epoch.
    pub stopped_early: bool,
    /// Total wall time, in seconds.
    pub seconds: f64,
}

type EpochCallback<'a> = Box<dyn FnMut(&EpochRecord) + 'a>;

/// Runs training: see the [module docs](self).
pub struct Trainer<'a> {
    config: TrainConfig,
    schedule: Option<Box<dyn Schedule + 'a>>,
    on_epoch: Option<EpochCallback<'a>>,
}

impl<'a> Trainer<'a> {
    /// A trainer with the given settings, no schedule and no callback.
    pub fn new(config: TrainConfig) -> Self {
        Trainer { config, schedule: None, on_epoch: None }
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
    pub fn fit<T, M, O>(
        &mut self,
        model: &mut M,
        optimizer: &mut O,
        train: &Dataset,
        valid: Option<&Dataset>,
    ) -> Result<History, NnError>
    where
        T: Scalar,
        M: Model<T> + ?Sized,
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
        let objective = model.objective();
        let start = Instant::now();
        let mut batches = Batches::new(train, cfg.batch_size, cfg.seed)?.class_targets(objective.classes().is_some());
        let bar = progress_bar(cfg.progress, cfg.total_steps(train.len()));

        let mut tape = Tape::<T>::new();
        let mut grads = Gradients::empty();
        let mut grad_params = Params::new();
        let mut buf = Batch::<T>::new();
        let mut history = History::default();
        let mut step: u64 = 0;
        let mut best: Option<(f64, usize, Params<T>)> = None;

        for epoch in 1..=cfg.epochs {
            let t0 = Instant::now();
            let (mut loss_sum, mut correct, mut seen) = (0.0f64, 0usize, 0usize);
            let mut ep = batches.epoch::<T>();
            while ep.next_into(&mut buf) {
                if let Some(s) = &self.schedule {
                    optimizer.set_learning_rate(s.lr(step));
                }
                let (loss, right) = {
                    let p = ParamVars::track(&tape, model.params());
                    let x = tape.constant_matrix(&buf.features);
                    let y = tape.constant_matrix(&buf.targets);
                    let out = model.forward(&p, x);
                    let loss = model.loss(&p, out, y, &buf.labels);
                    tape.backward_into(loss, T::one(), &mut grads);
                    p.gradients_into(&grads, &mut grad_params);
                    (loss.value(), count_correct(objective, &out.value(), &buf.labels))
                };
                tape.clear();
                if !loss.is_finite() {
                    bar.finish_and_clear();
                    return Err(NnError::Diverged { epoch, step, loss });
                }
                if let Some(c) = cfg.clip_norm {
                    clip_grad_norm(&mut grad_params, c);
                }
                optimizer.step(model.params_mut(), &grad_params);
                step += 1;
                loss_sum += loss * buf.len() as f64;
                correct += right;
                seen += buf.len();
                history.step_losses.push(loss);
                bar.inc(1);
            }
            check_finite(model.params(), &grad_params, epoch, step).inspect_err(|_| bar.finish_and_clear())?;
            let valid_eval = match valid {
                Some(v) => Some(evaluate(&*model, v, cfg.eval_batch_size)?),
                None => None,
            };
            let record = EpochRecord {
                epoch,
                train_loss: loss_sum / seen.max(1) as f64,
                train_accuracy: objective.classes().map(|_| correct as f64 / seen.max(1) as f64),
                valid: valid_eval,
                learning_rate: optimizer.learning_rate(),
                seconds: t0.elapsed().as_secs_f64(),
            };
            if let Some(f) = &mut self.on_epoch {
                // Hide the bar while the callback prints, so lines do not tear it.
                bar.suspend(|| f(&record));
            }
            let mut stop = false;
            if let (Some(es), Some(ev)) = (&cfg.early_stopping, &record.valid) {
                // Lower is better for both, after negating the accuracy.
                let score = match es.monitor {
                    Monitor::ValidLoss => ev.loss,
                    Monitor::ValidAccuracy => -ev.accuracy.unwrap_or(0.0),
                };
                let improved = best.as_ref().is_none_or(|(b, _, _)| score < b - es.min_delta);
                if improved {
                    let snapshot = if es.restore_best { deep_copy(model.params()) } else { Params::new() };
                    best = Some((score, epoch, snapshot));
                } else if best.as_ref().is_some_and(|(_, e, _)| epoch - e >= es.patience) {
                    stop = true;
                }
            }
            history.epochs.push(record);
            if stop {
                history.stopped_early = epoch < cfg.epochs;
                break;
            }
        }
        bar.finish_and_clear();
        if let Some((_, epoch, snapshot)) = best {
            history.best_epoch = Some(epoch);
            if cfg.early_stopping.is_some_and(|es| es.restore_best) {
                *model.params_mut() = snapshot;
            }
        }
        history.seconds = start.elapsed().as_secs_f64();
        Ok(history)
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

fn progress_bar(wanted: bool, total: u64) -> ProgressBar {
    if !wanted || !std::io::stdout().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} steps  {elapsed_precise} (eta {eta})") {
        bar.set_style(style);
    }
    bar
}

/// Checks that `data` fits `model`: feature count, and class labels within the
/// model's classes for classification.
fn check_data<T: Scalar, M: Model<T> + ?Sized>(model: &M, data: &Dataset, what: &str) -> Result<(), NnError> {
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
    if let Some(k) = model.objective().classes() {
        let labels = data.class_labels()?;
        if let Some(&bad) = labels.iter().find(|&&l| l >= k) {
            return Err(NnError::config(format!("the {what} has class label {bad}, but the model has {k} classes")));
        }
    }
    Ok(())
}

fn count_correct<T: Scalar>(objective: Objective, out: &Matrix<T>, labels: &[usize]) -> usize {
    if objective.classes().is_none() {
        return 0;
    }
    out.row_iter().zip(labels).filter(|(row, &l)| objective.predict_class(row) == Some(l)).count()
}

/// The model's outputs (logits, or predictions for regression) for every row
/// of `features`, computed `chunk` rows at a time on one reused tape with the
/// parameters as constants.
pub fn predict<T: Scalar, M: Model<T> + ?Sized>(model: &M, features: &Matrix<f64>, chunk: usize) -> Matrix<T> {
    let (n, d) = features.shape();
    let k = model.objective().outputs();
    let mut out = Vec::with_capacity(n * k);
    let mut tape = Tape::<T>::new();
    let chunk = chunk.max(1);
    let mut start = 0;
    while start < n {
        let end = (start + chunk).min(n);
        let x = Matrix::from_fn(end - start, d, |i, j| T::from_f64(features[(start + i, j)]));
        {
            let p = ParamVars::constant(&tape, model.params());
            let y = model.forward(&p, tape.constant_matrix(&x));
            out.extend_from_slice(y.value().as_slice());
        }
        tape.clear();
        start = end;
    }
    Matrix::from_vec(n, k, out)
}

/// Loss, accuracy and confusion matrix of `model` on `data`, forwarding
/// `chunk` rows at a time.
pub fn evaluate<T: Scalar, M: Model<T> + ?Sized>(
    model: &M,
    data: &Dataset,
    chunk: usize,
) -> Result<Evaluation, NnError> {
    let objective = model.objective();
    let out = predict(model, data.features(), chunk);
    // A classifier's target is the class index (labels 3 and 7 are classes 0 and 1).
    let targets: Vec<f64> = match objective.classes() {
        Some(_) => data.class_labels()?.into_iter().map(|l| l as f64).collect(),
        None => data.targets().to_vec(),
    };
    let loss = out.row_iter().zip(&targets).map(|(row, &t)| objective.example_loss(row, t)).sum::<f64>()
        / data.len().max(1) as f64;
    let (accuracy, confusion) = match objective.classes() {
        Some(k) => {
            let labels = data.class_labels()?;
            let mut cm = ConfusionMatrix::new(k);
            for (row, &l) in out.row_iter().zip(&labels) {
                if l >= k {
                    return Err(NnError::config(format!("evaluation: class label {l}, but the model has {k} classes")));
                }
                cm.add(l, objective.predict_class(row).unwrap_or(0));
            }
            (Some(cm.accuracy()), Some(cm))
        }
        None => (None, None),
    };
    Ok(Evaluation { examples: data.len(), loss, accuracy, confusion })
}
