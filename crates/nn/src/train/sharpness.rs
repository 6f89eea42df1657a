//! Sharpness during training: the top eigenvalue of the training loss's
//! Hessian, measured every k optimizer steps ([`Sharpness`], given to
//! [`Trainer::sharpness`](super::Trainer::sharpness)) and kept in the run's
//! [`History::sharpness`](super::History::sharpness) as [`SharpnessRecord`]s.
//!
//! Why it is worth watching: on the local quadratic model, gradient descent
//! with learning rate η is stable along an eigendirection of curvature λ only
//! while `λ < 2/η`. Full-batch training of neural networks tends to raise the
//! top eigenvalue ("progressive sharpening") until it reaches `2/η`, and then
//! to keep it hovering there while the loss keeps falling, non-monotonically
//! — the edge of stability (Cohen et al. 2021; `examples/edge_of_stability.rs`
//! and `docs/optim.md` show it on MNIST). For adaptive optimizers the
//! threshold is that of the preconditioned Hessian, so the `2/η` line is only
//! a guide there.
//!
//! How it is measured: on a fixed subset of the training set (the first
//! [`examples`](Sharpness::examples) rows, so every measurement sees the same
//! loss), by Lanczos ([`lanczos_top_k`]) on the Hessian-vector products of
//! [`LossHessian`] — forward over reverse on a tape of dual numbers — from a
//! start vector seeded by [`seed`](Sharpness::seed). Each Lanczos step is
//! one product, 2.5–3 gradients of the subset. A measurement depends
//! only on the parameters, the subset and the seed, so a resumed run measures
//! what the uninterrupted run would have (and training is not affected).

use wengert_ops::Scalar;
use wengert_optim::spectra::{lanczos_top_k, LanczosOptions};

use crate::curvature::LossHessian;
use crate::data::Dataset;
use crate::error::NnError;
use crate::model::Model;

/// When and how [`Trainer`](super::Trainer) measures the sharpness (see the
/// [module docs](self)).
///
/// ```
/// use wengert_nn::data::{load_bundled, Standardizer};
/// use wengert_nn::train::{Sharpness, TrainConfig, Trainer};
/// use wengert_nn::LinearRegression;
/// use wengert_optim::Sgd;
///
/// let raw = load_bundled("diabetes")?.into_single().unwrap();
/// let diabetes = Standardizer::fit(raw.features())?.transform_dataset(&raw)?;
/// let mut model = LinearRegression::<f64>::new(diabetes.n_features(), 0.0);
/// let mut gd = Sgd::new().lr(0.05);
/// let config = TrainConfig { epochs: 4, batch_size: diabetes.len(), ..TrainConfig::default() };
/// let history = Trainer::new(config)
///     .sharpness(Sharpness { examples: 200, ..Sharpness::every(2) })
///     .fit(&mut model, &mut gd, &diabetes, None)?;
/// // Measured at the start and after steps 2 and 4; the loss of a linear
/// // model with squared error is quadratic, so its curvature never changes.
/// let steps: Vec<u64> = history.sharpness.iter().map(|r| r.step).collect();
/// assert_eq!(steps, [0, 2, 4]);
/// let first = history.sharpness[0].sharpness;
/// assert!(history.sharpness.iter().all(|r| (r.sharpness - first).abs() < 1e-9 * first));
/// // Gradient descent is stable on it because the sharpness is below 2/η.
/// assert!(first < 2.0 / 0.05);
/// # Ok::<(), wengert_nn::NnError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sharpness {
    /// Measure at the start of a run and after every `every_k_steps`-th
    /// optimizer step (at least 1).
    pub every_k_steps: u64,
    /// Budget of Lanczos steps (Hessian-vector products) per measurement
    /// (default 20; at least 1).
    pub lanczos_steps: usize,
    /// Stop a measurement early once the top Ritz pair's residual
    /// `‖Hy − θy‖` is at most `tol·θ` (default 1e-3; 0 always takes
    /// [`lanczos_steps`](Self::lanczos_steps) steps). The eigenvalue's
    /// error is at most the residual, and near `residual²/gap` once it is
    /// small, so 1e-3 bounds the relative error by 1e-3 and in practice
    /// gives 5–7 digits: on the 784-256-10 MNIST net at initialization (1 000
    /// images, `benches/curvature.rs`) it stops after 11 products instead of
    /// 20, with the eigenvalue 5·10⁻⁷ (relative) below the 20-step one (see
    /// `docs/optim.md`).
    pub tol: f64,
    /// Seed of Lanczos's start vector (default 0).
    pub seed: u64,
    /// Measure on the first `examples` rows of the training set, or all of it
    /// if it is smaller (default 1000; at least 1).
    pub examples: usize,
}

impl Sharpness {
    /// A measurement every `k` steps with the defaults: at most 20 Lanczos
    /// steps, stopping at a relative residual of 1e-3, seed 0, the first 1000
    /// training examples.
    pub fn every(k: u64) -> Self {
        Sharpness { every_k_steps: k, lanczos_steps: 20, tol: 1e-3, seed: 0, examples: 1000 }
    }

    /// Checks the settings.
    pub fn validate(&self) -> Result<(), NnError> {
        if self.every_k_steps == 0 || self.lanczos_steps == 0 || self.examples == 0 {
            return Err(NnError::config(format!(
                "sharpness: every_k_steps, lanczos_steps and examples must be at least 1, got {}, {} and {}",
                self.every_k_steps, self.lanczos_steps, self.examples
            )));
        }
        if !(self.tol >= 0.0 && self.tol.is_finite()) {
            return Err(NnError::config(format!("sharpness: tol must be finite and ≥ 0, got {}", self.tol)));
        }
        Ok(())
    }

    /// The rows measured on: the first [`examples`](Self::examples) of `data`.
    pub fn subset(&self, data: &Dataset) -> Result<Dataset, NnError> {
        let rows: Vec<usize> = (0..self.examples.min(data.len())).collect();
        Ok(data.subset(&rows)?)
    }

    /// The sharpness of `model`'s loss on all of `data` (already the subset
    /// to measure on) now, labelled with the optimizer's position: `step`
    /// steps taken, `learning_rate` the rate of the next one.
    ///
    /// Fails if the settings are invalid, the data does not fit the model or
    /// the model does not run on dual numbers ([`NnError::InvalidConfig`]),
    /// or a Hessian-vector product is not finite ([`NnError::Curvature`]).
    pub fn measure<T: Scalar, M: Model<T> + ?Sized>(
        &self,
        model: &M,
        data: &Dataset,
        step: u64,
        learning_rate: f64,
    ) -> Result<SharpnessRecord, NnError> {
        self.validate()?;
        let hessian = LossHessian::new(model, data)?;
        let opts = LanczosOptions { max_steps: self.lanczos_steps, tol: self.tol, seed: self.seed };
        let top = lanczos_top_k(&hessian, 1, &opts).map_err(|source| NnError::Curvature { step, source })?;
        Ok(SharpnessRecord { step, sharpness: top.values[0], learning_rate, lanczos_steps: top.steps })
    }
}

/// One sharpness measurement of a run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SharpnessRecord {
    /// Optimizer steps taken when it was measured (0: the initial parameters).
    pub step: u64,
    /// The top eigenvalue of the training loss's Hessian (a Ritz value: at
    /// most the true one).
    pub sharpness: f64,
    /// The learning rate of the next step: gradient descent is stable on the
    /// local quadratic model while `sharpness < 2 / learning_rate`.
    pub learning_rate: f64,
    /// Lanczos steps (Hessian-vector products) the measurement took.
    pub lanczos_steps: usize,
}

/// The trainer's side: the settings and the subset, cut once per run.
pub(crate) struct SharpnessMonitor {
    settings: Sharpness,
    subset: Dataset,
}

impl SharpnessMonitor {
    /// Checks the settings and cuts the subset of `train`.
    pub(crate) fn new(settings: Sharpness, train: &Dataset) -> Result<Self, NnError> {
        settings.validate()?;
        Ok(SharpnessMonitor { settings, subset: settings.subset(train)? })
    }

    /// Measures and appends to `records` if `step` is a multiple of
    /// `every_k_steps`.
    pub(crate) fn after<T: Scalar, M: Model<T> + ?Sized>(
        &self,
        step: u64,
        model: &M,
        learning_rate: f64,
        records: &mut Vec<SharpnessRecord>,
    ) -> Result<(), NnError> {
        if step.is_multiple_of(self.settings.every_k_steps) {
            records.push(self.settings.measure(model, &self.subset, step, learning_rate)?);
        }
        Ok(())
    }
}
