//! Learning-rate schedules, a wrapper that applies one to any optimizer, and a
//! learning-rate finder.
//!
//! Why a separate trait: the schedule is a pure function `step → η`, independent of
//! the optimizer, so any [`Schedule`] composes with any [`Optimizer`] through
//! [`Scheduled`], and schedules can be tested by evaluating them at chosen steps.
//! Steps are 0-based: `lr(0)` is the rate of the first update.
//!
//! Schedules are plain structs with public fields, so their configuration is
//! checked by [`Schedule::validate`] (rates finite, starting rates `> 0`, floors
//! `≥ 0`, periods `> 0`), which [`Scheduled::new`] calls (panicking) and
//! [`Scheduled::try_new`] returns; and [`Scheduled`] checks every rate a schedule
//! produces before handing it to the optimizer, which catches closures too.

use std::f64::consts::PI;

use wengert_ops::Scalar;

use crate::hyperparameters::{check, Domain, HyperparameterError};
use crate::optimizer::Optimizer;
use crate::params::{Grads, Params};
use crate::state::{OptimizerState, StateError};

/// A learning-rate schedule: the rate to use for the update with 0-based index `step`.
pub trait Schedule {
    /// The learning rate at `step`.
    fn lr(&self, step: u64) -> f64;

    /// Checks the schedule's configuration, naming the first field out of range.
    /// The default accepts everything (closures are checked step by step by
    /// [`Scheduled`] instead).
    ///
    /// ```
    /// use wengert_optim::{CosineAnnealing, Schedule};
    /// let bad = CosineAnnealing { max_lr: 0.1, min_lr: -0.01, total: 100 };
    /// assert_eq!(
    ///     bad.validate().unwrap_err().to_string(),
    ///     "CosineAnnealing: `min_lr` must be finite and ≥ 0, got -0.01"
    /// );
    /// ```
    ///
    /// # Errors
    /// The first field outside its documented range.
    fn validate(&self) -> Result<(), HyperparameterError> {
        Ok(())
    }
}

/// Checks `(name, value, domain)` triples of schedule `owner` in order.
fn check_all(owner: &'static str, fields: &[(&'static str, f64, Domain)]) -> Result<(), HyperparameterError> {
    fields.iter().try_for_each(|&(name, value, domain)| check(owner, name, value, domain).map(|_| ()))
}

/// Domain of a period or length in steps: at least one step.
const STEPS: Domain = Domain::AtLeast(1.0);

impl<F: Fn(u64) -> f64> Schedule for F {
    fn lr(&self, step: u64) -> f64 {
        self(step)
    }
}

/// `η(t) = η₀`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Constant(pub f64);

impl Schedule for Constant {
    fn lr(&self, _step: u64) -> f64 {
        self.0
    }
    fn validate(&self) -> Result<(), HyperparameterError> {
        check_all("Constant", &[("lr", self.0, Domain::POSITIVE)])
    }
}

/// Step decay: `η(t) = η₀ · γ^⌊t / step_size⌋` (multiply by γ every `step_size` steps).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepDecay {
    /// η₀ (> 0).
    pub initial: f64,
    /// Factor γ applied at each drop (> 0).
    pub gamma: f64,
    /// Steps between drops (> 0).
    pub step_size: u64,
}

impl Schedule for StepDecay {
    fn lr(&self, step: u64) -> f64 {
        self.initial * self.gamma.powi((step / self.step_size.max(1)) as i32)
    }
    fn validate(&self) -> Result<(), HyperparameterError> {
        check_all(
            "StepDecay",
            &[
                ("initial", self.initial, Domain::POSITIVE),
                ("gamma", self.gamma, Domain::POSITIVE),
                ("step_size", self.step_size as f64, STEPS),
            ],
        )
    }
}

/// Exponential decay: `η(t) = η₀ · γ^t`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ExponentialDecay {
    /// η₀ (> 0).
    pub initial: f64,
    /// Per-step factor γ (> 0).
    pub gamma: f64,
}

impl Schedule for ExponentialDecay {
    fn lr(&self, step: u64) -> f64 {
        self.initial * self.gamma.powf(step as f64)
    }
    fn validate(&self) -> Result<(), HyperparameterError> {
        check_all(
            "ExponentialDecay",
            &[("initial", self.initial, Domain::POSITIVE), ("gamma", self.gamma, Domain::POSITIVE)],
        )
    }
}

/// Half-cosine from `η_max` at `t = 0` to `η_min` at `t = total`, then `η_min`:
/// `η(t) = η_min + (η_max − η_min)(1 + cos(π t / total)) / 2`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CosineAnnealing {
    /// Rate at step 0 (> 0).
    pub max_lr: f64,
    /// Rate from step `total` on (≥ 0).
    pub min_lr: f64,
    /// Length of the decay (> 0).
    pub total: u64,
}

fn half_cosine(max: f64, min: f64, t: f64, total: f64) -> f64 {
    min + (max - min) * (1.0 + (PI * t / total).cos()) / 2.0
}

impl Schedule for CosineAnnealing {
    fn lr(&self, step: u64) -> f64 {
        let t = step.min(self.total) as f64;
        half_cosine(self.max_lr, self.min_lr, t, self.total.max(1) as f64)
    }
    fn validate(&self) -> Result<(), HyperparameterError> {
        check_all(
            "CosineAnnealing",
            &[
                ("max_lr", self.max_lr, Domain::POSITIVE),
                ("min_lr", self.min_lr, Domain::NON_NEGATIVE),
                ("total", self.total as f64, STEPS),
            ],
        )
    }
}

/// Linear warmup then cosine decay, the usual transformer recipe.
///
/// For `t < warmup`: `η(t) = η_peak (t + 1) / warmup` (so step `warmup − 1` already
/// uses the peak and step 0 is not wasted at rate 0). For `warmup ≤ t ≤ total`:
/// cosine from `η_peak` at `t = warmup` to `η_min` at `t = total`; `η_min` after.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WarmupCosine {
    /// Peak rate reached at the end of warmup (> 0).
    pub peak_lr: f64,
    /// Final rate (≥ 0).
    pub min_lr: f64,
    /// Warmup length in steps.
    pub warmup: u64,
    /// Step at which the cosine reaches `min_lr` (> `warmup`; equal to it means
    /// no decay: the rate stays at the peak).
    pub total: u64,
}

impl Schedule for WarmupCosine {
    fn lr(&self, step: u64) -> f64 {
        if step < self.warmup {
            self.peak_lr * (step + 1) as f64 / self.warmup as f64
        } else {
            let span = self.total.saturating_sub(self.warmup).max(1) as f64;
            let t = (step - self.warmup).min(self.total.saturating_sub(self.warmup)) as f64;
            half_cosine(self.peak_lr, self.min_lr, t, span)
        }
    }
    fn validate(&self) -> Result<(), HyperparameterError> {
        check_all(
            "WarmupCosine",
            &[
                ("peak_lr", self.peak_lr, Domain::POSITIVE),
                ("min_lr", self.min_lr, Domain::NON_NEGATIVE),
                ("total", self.total as f64, Domain::AtLeast(self.warmup.max(1) as f64)),
            ],
        )
    }
}

/// Cyclical learning rate, triangular policy (Smith 2017): linear from `base_lr`
/// up to `max_lr` over `half_cycle` steps, back down over the next `half_cycle`,
/// repeat. `η(t) = base + (max − base) · max(0, 1 − |t / half_cycle − 2c + 1|)`
/// with `c = ⌊1 + t / (2 half_cycle)⌋`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Triangular {
    /// Lowest rate (at `t = 0, 2h, 4h, …`; ≥ 0).
    pub base_lr: f64,
    /// Highest rate (at `t = h, 3h, …`; > 0).
    pub max_lr: f64,
    /// Half-period h in steps (> 0).
    pub half_cycle: u64,
}

impl Schedule for Triangular {
    fn lr(&self, step: u64) -> f64 {
        let h = self.half_cycle.max(1) as f64;
        let t = step as f64;
        let cycle = (1.0 + t / (2.0 * h)).floor();
        let x = (t / h - 2.0 * cycle + 1.0).abs();
        self.base_lr + (self.max_lr - self.base_lr) * (1.0 - x).max(0.0)
    }
    fn validate(&self) -> Result<(), HyperparameterError> {
        check_all(
            "Triangular",
            &[
                ("base_lr", self.base_lr, Domain::NON_NEGATIVE),
                ("max_lr", self.max_lr, Domain::POSITIVE),
                ("half_cycle", self.half_cycle as f64, STEPS),
            ],
        )
    }
}

/// SGDR: cosine annealing with warm restarts (Loshchilov & Hutter). The first
/// period lasts `period` steps, each next one `period_mult` times longer; within a
/// period of length `Tᵢ`, at offset `t_cur`,
/// `η = η_min + (η_max − η_min)(1 + cos(π t_cur / Tᵢ)) / 2`, and the rate jumps back
/// to `η_max` at the start of each period.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WarmRestarts {
    /// Rate at the start of each period (> 0).
    pub max_lr: f64,
    /// Floor approached at the end of each period (≥ 0).
    pub min_lr: f64,
    /// Length T₀ of the first period (> 0).
    pub period: u64,
    /// Growth factor of the period lengths (≥ 1).
    pub period_mult: u64,
}

impl Schedule for WarmRestarts {
    fn lr(&self, step: u64) -> f64 {
        let mut len = self.period.max(1);
        let mut t = step;
        while t >= len {
            t -= len;
            len = len.saturating_mul(self.period_mult.max(1));
        }
        half_cosine(self.max_lr, self.min_lr, t as f64, len as f64)
    }
    fn validate(&self) -> Result<(), HyperparameterError> {
        check_all(
            "WarmRestarts",
            &[
                ("max_lr", self.max_lr, Domain::POSITIVE),
                ("min_lr", self.min_lr, Domain::NON_NEGATIVE),
                ("period", self.period as f64, STEPS),
                ("period_mult", self.period_mult as f64, STEPS),
            ],
        )
    }
}

/// Any optimizer driven by a schedule: before each step the inner optimizer's rate
/// is set to `schedule.lr(inner.steps())`.
///
/// [`set_learning_rate`](Optimizer::set_learning_rate) forwards to the inner
/// optimizer but is overridden by the schedule at the next step;
/// [`learning_rate`](Optimizer::learning_rate) reports the rate the next step will use.
/// The schedule's position is the inner step count, so the inner optimizer's
/// [`state`](Optimizer::state) is all a checkpoint needs.
///
/// # Panics
/// [`step`](Optimizer::step) panics, naming the step, if the schedule gives a
/// rate that is negative or not finite.
#[derive(Clone, Debug)]
pub struct Scheduled<O, S> {
    /// The wrapped optimizer.
    pub inner: O,
    /// The schedule.
    pub schedule: S,
}

impl<O, S: Schedule> Scheduled<O, S> {
    /// Wraps `inner` so each step uses `schedule`.
    ///
    /// # Panics
    /// If [`schedule.validate()`](Schedule::validate) fails; the message names the
    /// schedule, the field and the value.
    pub fn new(inner: O, schedule: S) -> Self {
        Self::try_new(inner, schedule).unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`new`](Scheduled::new) for schedules built from user input.
    ///
    /// # Errors
    /// The first field of `schedule` outside its range.
    pub fn try_new(inner: O, schedule: S) -> Result<Self, HyperparameterError> {
        schedule.validate()?;
        Ok(Scheduled { inner, schedule })
    }
}

impl<T: Scalar, O: Optimizer<T>, S: Schedule> Optimizer<T> for Scheduled<O, S> {
    fn step(&mut self, params: &mut Params<T>, grads: &Grads<T>) {
        let step = self.inner.steps();
        let lr = self.schedule.lr(step);
        assert!(
            Domain::NON_NEGATIVE.contains(lr),
            "Scheduled: the schedule gave learning rate {lr} for step {step}; rates must be finite and ≥ 0"
        );
        self.inner.set_learning_rate(lr);
        self.inner.step(params, grads);
    }
    fn steps(&self) -> u64 {
        self.inner.steps()
    }
    fn reset(&mut self) {
        self.inner.reset();
    }
    fn learning_rate(&self) -> f64 {
        self.schedule.lr(self.inner.steps())
    }
    fn set_learning_rate(&mut self, lr: f64) {
        self.inner.set_learning_rate(lr);
    }
    fn state(&self) -> OptimizerState<T> {
        self.inner.state()
    }
    fn load_state(&mut self, state: &OptimizerState<T>) -> Result<(), StateError> {
        self.inner.load_state(state)
    }
}

/// Learning-rate range test (Smith 2017; popularised by fast.ai).
///
/// Runs `num_steps` training steps with the rate growing geometrically from
/// `min_lr` to `max_lr`, records the loss after each step, and stops early when
/// the loss is not finite or exceeds `divergence_factor` (default 4) times the
/// best loss seen.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LrFinder {
    /// First rate tried (default 1e-7).
    pub min_lr: f64,
    /// Last rate tried (default 10).
    pub max_lr: f64,
    /// Number of steps K of the sweep (default 100).
    pub num_steps: usize,
    /// Stop when `loss > divergence_factor · best` (default 4).
    pub divergence_factor: f64,
    /// EMA factor for the smoothed loss used by the suggestion (default 0.0:
    /// no smoothing, right for deterministic losses; use ~0.9 for mini-batches).
    pub smoothing: f64,
}

impl Default for LrFinder {
    fn default() -> Self {
        LrFinder { min_lr: 1e-7, max_lr: 10.0, num_steps: 100, divergence_factor: 4.0, smoothing: 0.0 }
    }
}

/// What [`LrFinder::run`] measured and suggests.
#[derive(Clone, Debug, PartialEq)]
pub struct LrFinderResult {
    /// Rates tried, in order.
    pub lrs: Vec<f64>,
    /// Loss after each step (raw).
    pub losses: Vec<f64>,
    /// Bias-corrected exponentially smoothed losses (equal to `losses` without smoothing).
    pub smoothed: Vec<f64>,
    /// The rate at which the sweep stopped because the loss blew up, if it did.
    pub blow_up_lr: Option<f64>,
    /// **The suggestion**: the rate where the smoothed loss falls fastest per unit
    /// of `ln η` (most negative finite difference `Δloss / Δln η`), taken over the
    /// points before the blow-up.
    pub steepest_lr: f64,
    /// The conservative alternative: one order of magnitude below the blow-up rate
    /// (or below the last rate tried if the loss never blew up).
    pub tenth_of_blow_up_lr: f64,
}

impl LrFinder {
    /// Runs the sweep. `train_step(lr)` must perform one training step with rate
    /// `lr` on the user's model and return the resulting loss. The model is left in
    /// whatever state the sweep reached: restore a copy before real training.
    ///
    /// # Panics
    /// If `num_steps < 2` or the rates are not finite with `0 < min_lr < max_lr`.
    pub fn run(&self, mut train_step: impl FnMut(f64) -> f64) -> LrFinderResult {
        assert!(self.num_steps >= 2, "LrFinder: need at least 2 steps");
        assert!(
            0.0 < self.min_lr && self.min_lr < self.max_lr && self.max_lr.is_finite(),
            "LrFinder: need finite rates with 0 < min_lr < max_lr, got min_lr {} and max_lr {}",
            self.min_lr,
            self.max_lr
        );
        let ratio = (self.max_lr / self.min_lr).powf(1.0 / (self.num_steps - 1) as f64);
        let (mut lrs, mut losses, mut smoothed) = (Vec::new(), Vec::new(), Vec::new());
        let (mut best, mut avg) = (f64::INFINITY, 0.0);
        let mut blow_up_lr = None;
        for k in 0..self.num_steps {
            let lr = self.min_lr * ratio.powi(k as i32);
            let loss = train_step(lr);
            if !loss.is_finite() || loss > self.divergence_factor * best {
                blow_up_lr = Some(lr);
                break;
            }
            avg = self.smoothing * avg + (1.0 - self.smoothing) * loss;
            let s = avg / (1.0 - self.smoothing.powi(k as i32 + 1));
            best = best.min(loss);
            lrs.push(lr);
            losses.push(loss);
            smoothed.push(s);
        }
        let mut steepest_lr = lrs.first().copied().unwrap_or(self.min_lr);
        let mut steepest = f64::INFINITY;
        for i in 1..lrs.len() {
            let slope = (smoothed[i] - smoothed[i - 1]) / (lrs[i].ln() - lrs[i - 1].ln());
            if slope < steepest {
                steepest = slope;
                steepest_lr = lrs[i];
            }
        }
        let last = blow_up_lr.unwrap_or(*lrs.last().unwrap_or(&self.max_lr));
        LrFinderResult { lrs, losses, smoothed, blow_up_lr, steepest_lr, tenth_of_blow_up_lr: last / 10.0 }
    }
}
