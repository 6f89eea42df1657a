//! What a run has done so far: the per-epoch records ([`EpochRecord`]), the
//! whole run's [`History`], and the [`TrainState`] that lets
//! [`Trainer::fit_from`](super::Trainer::fit_from) continue a run where it
//! stopped.
//!
//! Why the state is this small: everything else a run depends on is either
//! somewhere else already or a function of what is here. The parameters live
//! in the model and the moments in the optimizer
//! ([`Optimizer::state`](wengert_optim::Optimizer::state)); the learning-rate
//! schedule is a function of the global step, which is the number of step
//! losses recorded; and the batch order of epoch `e` is a function of
//! `(seed, e)`, because the trainer replays the `e` shuffles of the seeded
//! RNG before it continues (microseconds for a small set, a few milliseconds
//! per epoch for MNIST). Early stopping's best score is read back from the
//! best epoch's record. So a checkpoint that saves the parameters, the
//! optimizer's state and this struct continues a run bit for bit.

use wengert_optim::Params;

use super::evaluation::Evaluation;
use super::sharpness::SharpnessRecord;

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
    /// Optimizer steps taken since the start of the run, this epoch's included.
    pub step: u64,
}

/// What [`Trainer::fit`](super::Trainer::fit) did.
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
    /// Total wall time of training, in seconds (over every part of a resumed
    /// run).
    pub seconds: f64,
    /// The sharpness measurements, in step order, when the trainer was asked
    /// for them ([`Trainer::sharpness`](super::Trainer::sharpness)).
    pub sharpness: Vec<SharpnessRecord>,
}

impl History {
    /// Number of completed epochs.
    pub fn epochs_done(&self) -> usize {
        self.epochs.len()
    }

    /// Number of optimizer steps taken (the schedule's position).
    pub fn steps_done(&self) -> u64 {
        self.step_losses.len() as u64
    }
}

/// A run between two epochs: enough, with the model's parameters and the
/// optimizer's state, to continue it exactly (see the [module docs](self)).
///
/// Start one with [`TrainState::default`], hand it to
/// [`Trainer::fit_from`](super::Trainer::fit_from), save it with a
/// [`Checkpoint`](crate::checkpoint::Checkpoint) and continue later.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainState<T> {
    /// The epochs completed and every step's loss so far.
    pub history: History,
    /// The parameters of the best epoch so far, kept when early stopping is
    /// to restore them.
    pub best_params: Option<Params<T>>,
}

impl<T> Default for TrainState<T> {
    fn default() -> Self {
        TrainState { history: History::default(), best_params: None }
    }
}

impl<T> TrainState<T> {
    /// A run that has not started.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of completed epochs.
    pub fn epochs_done(&self) -> usize {
        self.history.epochs_done()
    }

    /// Number of optimizer steps taken.
    pub fn steps_done(&self) -> u64 {
        self.history.steps_done()
    }
}
