//! [`Checkpoint`]: everything a training run needs to continue bit for bit,
//! or a program needs to predict with the model, in one safetensors file.
//!
//! # What is in the file
//!
//! | tensors | dtype | what |
//! |---|---|---|
//! | the parameters (`fc1.weight`, …) | `T` | the model, [`Linear`](crate::Linear) layers in PyTorch's layout ([`layout`](super::layout)) |
//! | `optimizer.<parameter>.<buffer>` | `T` | the optimizer's buffers (`m`, `v`, …) in wengert's layout (`in × out`) |
//! | `best.<parameter>` | `T` | early stopping's best parameters so far (wengert's layout) |
//! | `scaling.mean`, `scaling.std`, `scaling.scale` | `F64` | how inputs are scaled: `(x − mean) / scale` (one value each for a global scaling) |
//! | `history.epochs` | `F64` | one row per completed epoch, columns [`HISTORY_COLUMNS`] (NaN where a number does not apply) |
//! | `history.step_losses` | `F64` | the loss of every optimizer step |
//! | `history.sharpness` | `F64` | one row per sharpness measurement, columns [`SHARPNESS_COLUMNS`] (absent when none was made) |
//!
//! | metadata key | value |
//! |---|---|
//! | `format` | `pt` |
//! | [`FORMAT_KEY`](super::FORMAT_KEY) | [`FORMAT_VERSION`](super::FORMAT_VERSION) (every file written by wengert has these two) |
//! | `wengert.order`, `wengert.torch_linear` | the parameter order; the layers in PyTorch's layout (every file written by wengert has these two) |
//! | `wengert.dtype` | `F32` or `F64` |
//! | `wengert.model` | the architecture as a [`ModelSpec`] (`mlp hidden=256`) |
//! | `wengert.features`, `wengert.target`, `wengert.classes` | the feature names and the target's name (one per line); the class names, absent for a real-valued target |
//! | `wengert.scaling` | `global` or `per-column` |
//! | `wengert.optimizer`, `wengert.optimizer.steps`, `wengert.optimizer.learning_rate` | the optimizer's name, steps, rate |
//! | `wengert.history.columns`, `wengert.best_epoch`, `wengert.stopped_early`, `wengert.seconds` | the run's bookkeeping |
//! | anything else | the caller's own entries ([`Checkpoint::extra`]; the command line keeps its flags there) |
//!
//! Every part but the parameters is optional, so one type serves a model
//! handed to someone else (parameters, architecture, data) and a run paused
//! overnight (all of it). Numbers in the metadata are written in Rust's
//! shortest round-trip form, so they read back to the same bits.
//!
//! ```
//! use wengert_nn::checkpoint::{Checkpoint, DataInfo};
//! use wengert_nn::data::{prepare, DataSource};
//! use wengert_nn::train::{TrainConfig, TrainState, Trainer};
//! use wengert_nn::{Model, ModelSpec};
//! use wengert_optim::{Adam, Optimizer};
//!
//! let data = DataSource::from_name_or_path("iris").unwrap().load()?;
//! let target = data.target_kind();
//! let iris = prepare(data, target, 0.2, 0)?;
//! let spec = ModelSpec::TwoLayerNet { hidden: 8 };
//! let mut net = spec.build::<f32>(4, iris.classes, 0)?;
//! let mut adam = Adam::new().lr(0.02);
//! let config = TrainConfig { epochs: 4, batch_size: 16, stop_after: Some(2), ..TrainConfig::default() };
//! let mut run = TrainState::new();
//! Trainer::new(config.clone()).fit_from(&mut *net, &mut adam, &iris.train, None, &mut run)?;
//!
//! // Save everything, …
//! let dir = std::env::temp_dir().join(format!("wengert-doc-ckpt-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let path = dir.join("iris.safetensors");
//! Checkpoint::of_model(&*net)
//!     .with_spec(spec)
//!     .with_data(DataInfo::of(&iris))
//!     .with_optimizer(adam.state())
//!     .with_run(run)
//!     .save(&path)?;
//!
//! // … and continue elsewhere from the file alone.
//! let saved = Checkpoint::<f32>::load(&path)?;
//! let mut net2 = saved.build_model()?;
//! let mut adam2 = Adam::new().lr(0.02);
//! saved.restore_optimizer(&mut adam2)?;
//! let mut run2 = saved.run.clone().unwrap();
//! let config = TrainConfig { stop_after: None, ..config };
//! Trainer::new(config).fit_from(&mut *net2, &mut adam2, &iris.train, None, &mut run2)?;
//! assert_eq!(run2.epochs_done(), 4);
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok::<(), wengert_nn::NnError>(())
//! ```

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use wengert_ops::Matrix;
use wengert_optim::{Optimizer, OptimizerState, Params};

use super::format::{serialize, write_atomically, Float, Reader, Tensor};
use super::{err, layer_names, params_metadata, params_tensors, read_params, CheckpointError, CheckpointErrorKind};
use crate::data::{Prepared, Scaling, Standardizer, TargetKind};
use crate::error::NnError;
use crate::model::Model;
use crate::spec::ModelSpec;
use crate::train::{EpochEnd, EpochRecord, Evaluation, History, SharpnessRecord, TrainState};

/// The columns of the `history.epochs` tensor, in order.
pub const HISTORY_COLUMNS: [&str; 9] = [
    "epoch",
    "step",
    "train_loss",
    "train_accuracy",
    "test_examples",
    "test_loss",
    "test_accuracy",
    "learning_rate",
    "seconds",
];

/// The columns of the `history.sharpness` tensor, in order (see
/// [`SharpnessRecord`]).
pub const SHARPNESS_COLUMNS: [&str; 4] = ["step", "sharpness", "learning_rate", "lanczos_steps"];

const DTYPE_KEY: &str = "wengert.dtype";
const MODEL_KEY: &str = "wengert.model";
const FEATURES_KEY: &str = "wengert.features";
const TARGET_KEY: &str = "wengert.target";
const CLASSES_KEY: &str = "wengert.classes";
const SCALING_KEY: &str = "wengert.scaling";
const OPTIMIZER_KEY: &str = "wengert.optimizer";
const OPTIMIZER_STEPS_KEY: &str = "wengert.optimizer.steps";
const OPTIMIZER_LR_KEY: &str = "wengert.optimizer.learning_rate";
const HISTORY_COLUMNS_KEY: &str = "wengert.history.columns";
const BEST_EPOCH_KEY: &str = "wengert.best_epoch";
const STOPPED_EARLY_KEY: &str = "wengert.stopped_early";
const SECONDS_KEY: &str = "wengert.seconds";

const OPTIMIZER_PREFIX: &str = "optimizer.";
const BEST_PREFIX: &str = "best.";
const HISTORY_EPOCHS: &str = "history.epochs";
const HISTORY_STEPS: &str = "history.step_losses";
const HISTORY_SHARPNESS: &str = "history.sharpness";
const SCALING_MEAN: &str = "scaling.mean";
const SCALING_STD: &str = "scaling.std";
const SCALING_SCALE: &str = "scaling.scale";

/// What a model was trained on: the input columns, the target, and how
/// inputs are scaled before they reach the model. Enough to run the model on
/// new raw data the way it saw its training data.
#[derive(Clone, Debug, PartialEq)]
pub struct DataInfo {
    /// The input columns, in order.
    pub feature_names: Vec<String>,
    /// The target column's name.
    pub target_name: String,
    /// The class names, output `i` being class `classes[i]`; `None` for a
    /// real-valued target.
    pub classes: Option<Vec<String>>,
    /// The scaling applied to the inputs ([`Scaling::apply`]).
    pub scaling: Scaling,
}

impl DataInfo {
    /// What [`prepare`](crate::data::prepare) made of the data: its columns,
    /// its classes (named by their labels: class `i` is the `i`-th smallest
    /// label, as [`ClassMap`](crate::data::ClassMap) numbers them) and its
    /// scaling.
    pub fn of(prepared: &Prepared) -> Self {
        let classes = match (prepared.classes, prepared.class_map()) {
            (Some(_), Some(map)) => Some(map.labels().map(|l| l.to_string()).collect()),
            (Some(k), None) => Some((0..k).map(|c| c.to_string()).collect()),
            (None, _) => None,
        };
        DataInfo {
            feature_names: prepared.train.feature_names().to_vec(),
            target_name: prepared.train.target_name().to_string(),
            classes,
            scaling: prepared.scaling.clone(),
        }
    }

    /// Number of input features.
    pub fn n_features(&self) -> usize {
        self.feature_names.len()
    }

    /// Number of classes (`None` for a real-valued target).
    pub fn n_classes(&self) -> Option<usize> {
        self.classes.as_ref().map(Vec::len)
    }

    /// Class labels or a real-valued target.
    pub fn target_kind(&self) -> TargetKind {
        if self.classes.is_some() {
            TargetKind::ClassLabels
        } else {
            TargetKind::RealValued
        }
    }
}

/// A model's parameters and, optionally, its architecture, its data, its
/// optimizer's state and its run: see the [module docs](self).
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint<T> {
    /// The parameters, in wengert's layout (`in × out` weights).
    pub params: Params<T>,
    /// The [`Linear`](crate::Linear) layers, stored in PyTorch's layout.
    pub linear_layers: Vec<String>,
    /// The architecture, to build the model again ([`build_model`](Self::build_model)).
    pub model: Option<ModelSpec>,
    /// The data the model was trained on and how its inputs are scaled.
    pub data: Option<DataInfo>,
    /// The optimizer's state.
    pub optimizer: Option<OptimizerState<T>>,
    /// The run so far.
    pub run: Option<TrainState<T>>,
    /// The caller's own entries, saved as metadata. Keys must not start with
    /// `wengert.` nor be `format`.
    pub extra: BTreeMap<String, String>,
    origin: PathBuf,
}

impl<T: Float> Checkpoint<T> {
    /// A checkpoint of `model`'s parameters (copied) and its linear layers;
    /// add the rest with the `with_*` methods.
    pub fn of_model<M: Model<T> + ?Sized>(model: &M) -> Self {
        Checkpoint {
            params: model.params().clone(),
            linear_layers: layer_names(model),
            model: None,
            data: None,
            optimizer: None,
            run: None,
            extra: BTreeMap::new(),
            origin: PathBuf::from("<unsaved checkpoint>"),
        }
    }

    /// A checkpoint of the run an [`on_epoch_end`](crate::train::Trainer::on_epoch_end)
    /// hook sees: the parameters, their linear layers, the optimizer's state
    /// and the run (all copied); add the architecture and the data with
    /// [`with_spec`](Self::with_spec) and [`with_data`](Self::with_data).
    pub fn of_epoch_end(end: &EpochEnd<'_, T>) -> Self {
        Checkpoint {
            params: end.params.clone(),
            linear_layers: end.linear_layers.to_vec(),
            model: None,
            data: None,
            optimizer: Some(end.optimizer.clone()),
            run: Some(end.state.clone()),
            extra: BTreeMap::new(),
            origin: PathBuf::from("<unsaved checkpoint>"),
        }
    }

    /// With the architecture.
    pub fn with_spec(mut self, spec: ModelSpec) -> Self {
        self.model = Some(spec);
        self
    }

    /// With the data's description.
    pub fn with_data(mut self, data: DataInfo) -> Self {
        self.data = Some(data);
        self
    }

    /// With the optimizer's state.
    pub fn with_optimizer(mut self, state: OptimizerState<T>) -> Self {
        self.optimizer = Some(state);
        self
    }

    /// With the run so far.
    pub fn with_run(mut self, run: TrainState<T>) -> Self {
        self.run = Some(run);
        self
    }

    /// With one entry of the caller's own.
    pub fn with_extra(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra.insert(key.into(), value.into());
        self
    }

    /// The file this checkpoint was loaded from (for messages).
    pub fn origin(&self) -> &Path {
        &self.origin
    }

    /// The bytes of the safetensors file (`path` only names the file in
    /// errors). Fails if a tensor name would be used twice (a parameter named
    /// like an optimizer buffer) or an [`extra`](Self::extra) key is reserved.
    pub fn to_bytes(&self, path: &Path) -> Result<Vec<u8>, CheckpointError> {
        let format = |m: String| err(path, CheckpointErrorKind::Format(m));
        let mut tensors = params_tensors(&self.params, &self.linear_layers, path)?;
        let mut meta = params_metadata(&self.params, &self.linear_layers);
        meta.insert(DTYPE_KEY.into(), format!("{:?}", T::DTYPE));
        if let Some(spec) = &self.model {
            meta.insert(MODEL_KEY.into(), spec.to_string());
        }
        if let Some(data) = &self.data {
            write_data(data, &mut tensors, &mut meta);
        }
        if let Some(opt) = &self.optimizer {
            meta.insert(OPTIMIZER_KEY.into(), opt.optimizer.clone());
            meta.insert(OPTIMIZER_STEPS_KEY.into(), opt.steps.to_string());
            meta.insert(OPTIMIZER_LR_KEY.into(), opt.learning_rate.to_string());
            for (name, m) in opt.tensors().iter() {
                tensors.push((format!("{OPTIMIZER_PREFIX}{name}"), Tensor::matrix(m)));
            }
        }
        if let Some(run) = &self.run {
            write_run(run, &mut tensors, &mut meta);
        }
        for (key, value) in &self.extra {
            if key.starts_with("wengert.") || key == "format" {
                return Err(format(format!("the extra entry `{key}` uses a reserved key")));
            }
            meta.insert(key.clone(), value.clone());
        }
        let mut names: Vec<&str> = tensors.iter().map(|(n, _)| n.as_str()).collect();
        names.sort_unstable();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(format(format!("two tensors would be called `{}`", w[0])));
        }
        serialize(&tensors, meta, path)
    }

    /// Writes the checkpoint to `path` (through a temporary file, so an
    /// interrupted write leaves the previous file whole).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), CheckpointError> {
        let path = path.as_ref();
        write_atomically(&self.to_bytes(path)?, path)
    }

    /// Parses a checkpoint from the bytes of a file. A file written by
    /// [`save`](super::save) or [`save_model`](super::save_model) (or any
    /// safetensors file of parameters) reads as a checkpoint of parameters only.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Self, CheckpointError> {
        let file = Reader::new(bytes, path)?;
        let params = read_params::<T>(&file)?;
        let linear_layers = super::layout::parse_layers(file.meta(super::TORCH_LINEAR_KEY));
        let model = match file.meta(MODEL_KEY) {
            Some(text) => Some(text.parse().map_err(|m| bad_meta(path, MODEL_KEY, m))?),
            None => None,
        };
        let data = read_data(&file)?;
        let optimizer = match file.meta(OPTIMIZER_KEY) {
            Some(name) => {
                let steps = parse_meta(&file, OPTIMIZER_STEPS_KEY)?;
                let lr = parse_meta(&file, OPTIMIZER_LR_KEY)?;
                let mut buffers = Params::new();
                for tensor in file.names() {
                    if let Some(rest) = tensor.strip_prefix(OPTIMIZER_PREFIX) {
                        buffers.insert(rest, file.matrix::<T>(&tensor)?);
                    }
                }
                let state = OptimizerState::from_tensors(name, steps, lr, &params, &buffers)
                    .map_err(|e| err(path, CheckpointErrorKind::OptimizerState(e)))?;
                Some(state)
            }
            None => None,
        };
        let run = read_run(&file, &params)?;
        let extra = file
            .metadata()
            .iter()
            .filter(|(k, _)| !k.starts_with("wengert.") && k.as_str() != "format")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Ok(Checkpoint { params, linear_layers, model, data, optimizer, run, extra, origin: path.to_path_buf() })
    }

    /// Reads a checkpoint. Fails on a file that is not valid safetensors,
    /// parameters of another dtype than `T` (see [`dtype`](super::dtype)),
    /// or metadata that does not parse.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, CheckpointError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| err(path, CheckpointErrorKind::Io(e)))?;
        Self::from_bytes(&bytes, path)
    }

    /// Copies the parameters into `model`, which must have exactly their
    /// names and shapes (the same architecture); on error `model` is unchanged.
    pub fn restore_model<M: Model<T> + ?Sized>(&self, model: &mut M) -> Result<(), CheckpointError> {
        super::assign(model.params_mut(), &self.params, &self.origin)
    }

    /// Restores the optimizer's state into `optimizer`, which must be of the
    /// same kind (its hyper-parameters are its own). Fails if the checkpoint
    /// has no optimizer state or it does not fit.
    pub fn restore_optimizer<O: Optimizer<T> + ?Sized>(&self, optimizer: &mut O) -> Result<(), CheckpointError> {
        let state = self
            .optimizer
            .as_ref()
            .ok_or_else(|| bad_meta(&self.origin, OPTIMIZER_KEY, "absent: the checkpoint holds no optimizer state"))?;
        optimizer.load_state(state).map_err(|e| err(&self.origin, CheckpointErrorKind::OptimizerState(e)))
    }

    /// The model again: built from the architecture ([`model`](Self::model))
    /// for the data ([`data`](Self::data)), with the saved parameters. Fails
    /// if either is missing or the parameters do not fit. (`Send + Sync`, so
    /// that a [`Trainer`](crate::train::Trainer) can continue training it on
    /// several threads.)
    pub fn build_model(&self) -> Result<Box<dyn Model<T> + Send + Sync>, NnError>
    where
        T: 'static,
    {
        let spec = self.model.ok_or_else(|| bad_meta(&self.origin, MODEL_KEY, "absent: no architecture saved"))?;
        let data = self.data.as_ref().ok_or_else(|| bad_meta(&self.origin, FEATURES_KEY, "absent: no data saved"))?;
        let mut model = spec.build::<T>(data.n_features(), data.n_classes(), 0)?;
        self.restore_model(&mut *model)?;
        Ok(model)
    }
}

fn bad_meta(path: &Path, key: &str, message: impl Into<String>) -> CheckpointError {
    err(path, CheckpointErrorKind::Metadata { key: key.to_string(), message: message.into() })
}

/// The value of `key`, parsed.
fn parse_meta<V: std::str::FromStr>(file: &Reader<'_>, key: &str) -> Result<V, CheckpointError> {
    let text = file.meta(key).ok_or_else(|| bad_meta(file.path(), key, "absent"))?;
    text.parse().map_err(|_| bad_meta(file.path(), key, format!("`{text}` does not parse")))
}

fn lines(text: &str) -> Vec<String> {
    text.split('\n').map(str::to_string).collect()
}

fn write_data(data: &DataInfo, tensors: &mut Vec<(String, Tensor)>, meta: &mut HashMap<String, String>) {
    meta.insert(FEATURES_KEY.into(), data.feature_names.join("\n"));
    meta.insert(TARGET_KEY.into(), data.target_name.clone());
    if let Some(classes) = &data.classes {
        meta.insert(CLASSES_KEY.into(), classes.join("\n"));
    }
    let (kind, mean, std, scale) = match &data.scaling {
        Scaling::Global { mean, std } => ("global", vec![*mean], vec![*std], vec![*std]),
        Scaling::PerColumn(s) => ("per-column", s.mean().to_vec(), s.std().to_vec(), s.scale().to_vec()),
    };
    meta.insert(SCALING_KEY.into(), kind.into());
    for (name, values) in [(SCALING_MEAN, mean), (SCALING_STD, std), (SCALING_SCALE, scale)] {
        let n = values.len();
        tensors.push((name.to_string(), Tensor::new(&values, vec![n])));
    }
}

fn read_data(file: &Reader<'_>) -> Result<Option<DataInfo>, CheckpointError> {
    let Some(features) = file.meta(FEATURES_KEY) else { return Ok(None) };
    let path = file.path();
    let feature_names = lines(features);
    let target_name = file.meta(TARGET_KEY).unwrap_or("target").to_string();
    let classes = file.meta(CLASSES_KEY).map(lines);
    let (mean, std) = (file.f64s(SCALING_MEAN)?, file.f64s(SCALING_STD)?);
    let scaling = match file.meta(SCALING_KEY) {
        Some("global") if mean.len() == 1 && std.len() == 1 => Scaling::Global { mean: mean[0], std: std[0] },
        Some("per-column") if mean.len() == feature_names.len() => Scaling::PerColumn(
            Standardizer::from_parts(mean, std, file.f64s(SCALING_SCALE)?)
                .map_err(|e| bad_meta(path, SCALING_KEY, e.to_string()))?,
        ),
        Some(other) => {
            return Err(bad_meta(
                path,
                SCALING_KEY,
                format!("`{other}` with {} means for {} features", mean.len(), feature_names.len()),
            ))
        }
        None => return Err(bad_meta(path, SCALING_KEY, "absent")),
    };
    Ok(Some(DataInfo { feature_names, target_name, classes, scaling }))
}

/// `Some(x)` as `x`, `None` as NaN (the history tensor's missing value).
fn or_nan(x: Option<f64>) -> f64 {
    x.unwrap_or(f64::NAN)
}

fn from_nan(x: f64) -> Option<f64> {
    (!x.is_nan()).then_some(x)
}

fn write_run<T: Float>(run: &TrainState<T>, tensors: &mut Vec<(String, Tensor)>, meta: &mut HashMap<String, String>) {
    let h = &run.history;
    let rows: Vec<f64> = h
        .epochs
        .iter()
        .flat_map(|r| {
            let v = r.valid.as_ref();
            [
                r.epoch as f64,
                r.step as f64,
                r.train_loss,
                or_nan(r.train_accuracy),
                v.map_or(0.0, |v| v.examples as f64),
                or_nan(v.map(|v| v.loss)),
                or_nan(v.and_then(|v| v.accuracy)),
                r.learning_rate,
                r.seconds,
            ]
        })
        .collect();
    tensors.push((HISTORY_EPOCHS.into(), Tensor::new(&rows, vec![h.epochs.len(), HISTORY_COLUMNS.len()])));
    tensors.push((HISTORY_STEPS.into(), Tensor::new(&h.step_losses, vec![h.step_losses.len()])));
    if !h.sharpness.is_empty() {
        let rows: Vec<f64> = h
            .sharpness
            .iter()
            .flat_map(|r| [r.step as f64, r.sharpness, r.learning_rate, r.lanczos_steps as f64])
            .collect();
        tensors.push((HISTORY_SHARPNESS.into(), Tensor::new(&rows, vec![h.sharpness.len(), SHARPNESS_COLUMNS.len()])));
    }
    meta.insert(HISTORY_COLUMNS_KEY.into(), HISTORY_COLUMNS.join(","));
    if let Some(e) = h.best_epoch {
        meta.insert(BEST_EPOCH_KEY.into(), e.to_string());
    }
    meta.insert(STOPPED_EARLY_KEY.into(), h.stopped_early.to_string());
    meta.insert(SECONDS_KEY.into(), h.seconds.to_string());
    if let Some(best) = &run.best_params {
        for (name, m) in best.iter() {
            tensors.push((format!("{BEST_PREFIX}{name}"), Tensor::matrix(m)));
        }
    }
}

/// The `history.sharpness` table of a run of `steps` steps: whole step
/// numbers, increasing, none beyond the run.
fn read_sharpness(file: &Reader<'_>, steps: u64) -> Result<Vec<SharpnessRecord>, CheckpointError> {
    let path = file.path();
    let table = file.matrix::<f64>(HISTORY_SHARPNESS)?;
    let width = SHARPNESS_COLUMNS.len();
    if table.cols() != width && !table.is_empty() {
        return Err(bad_meta(path, HISTORY_SHARPNESS, format!("{} columns, not {width}", table.cols())));
    }
    let mut records: Vec<SharpnessRecord> = Vec::with_capacity(table.rows());
    for row in table.row_iter().filter(|r| r.len() == width) {
        let whole = |x: f64| x >= 0.0 && x.fract() == 0.0 && x < 2f64.powi(53);
        let after_last = records.last().is_none_or(|r| row[0] > r.step as f64);
        if !(whole(row[0]) && whole(row[3]) && row[0] <= steps as f64 && after_last) {
            return Err(bad_meta(
                path,
                HISTORY_SHARPNESS,
                format!("a row with step {} and {} Lanczos steps in a run of {steps} steps", row[0], row[3]),
            ));
        }
        records.push(SharpnessRecord {
            step: row[0] as u64,
            sharpness: row[1],
            learning_rate: row[2],
            lanczos_steps: row[3] as usize,
        });
    }
    Ok(records)
}

fn read_run<T: Float>(file: &Reader<'_>, params: &Params<T>) -> Result<Option<TrainState<T>>, CheckpointError> {
    if !file.has(HISTORY_EPOCHS) {
        return Ok(None);
    }
    let path = file.path();
    let table = file.matrix::<f64>(HISTORY_EPOCHS)?;
    let step_losses = file.f64s(HISTORY_STEPS)?;
    let width = HISTORY_COLUMNS.len();
    // An empty history is stored as [0, width], which reads back as 0 × width.
    if table.cols() != width && !table.is_empty() {
        return Err(bad_meta(
            path,
            HISTORY_COLUMNS_KEY,
            format!("`{HISTORY_EPOCHS}` has {} columns, not {width}", table.cols()),
        ));
    }
    let mut epochs = Vec::with_capacity(table.rows());
    for row in table.row_iter().filter(|r| r.len() == width) {
        let whole = |x: f64, what: &str| -> Result<u64, CheckpointError> {
            if x >= 0.0 && x.fract() == 0.0 && x < 2f64.powi(53) {
                Ok(x as u64)
            } else {
                Err(bad_meta(path, HISTORY_COLUMNS_KEY, format!("`{HISTORY_EPOCHS}` has {what} {x}")))
            }
        };
        let valid = (row[4] > 0.0).then(|| Evaluation {
            examples: row[4] as usize,
            loss: row[5],
            accuracy: from_nan(row[6]),
            confusion: None,
        });
        epochs.push(EpochRecord {
            epoch: whole(row[0], "epoch")? as usize,
            step: whole(row[1], "step")?,
            train_loss: row[2],
            train_accuracy: from_nan(row[3]),
            valid,
            learning_rate: row[7],
            seconds: row[8],
        });
    }
    if epochs.last().is_some_and(|r| r.step != step_losses.len() as u64) {
        return Err(bad_meta(
            path,
            HISTORY_COLUMNS_KEY,
            format!(
                "the last epoch ends at step {}, but {} step losses are saved",
                epochs[epochs.len() - 1].step,
                step_losses.len()
            ),
        ));
    }
    let best_epoch = match file.meta(BEST_EPOCH_KEY) {
        Some(_) => Some(parse_meta::<usize>(file, BEST_EPOCH_KEY)?),
        None => None,
    };
    if best_epoch.is_some_and(|e| e == 0 || e > epochs.len()) {
        return Err(bad_meta(path, BEST_EPOCH_KEY, format!("epoch {} of {}", best_epoch.unwrap_or(0), epochs.len())));
    }
    let sharpness =
        if file.has(HISTORY_SHARPNESS) { read_sharpness(file, step_losses.len() as u64)? } else { Vec::new() };
    let history = History {
        epochs,
        step_losses,
        best_epoch,
        stopped_early: parse_meta(file, STOPPED_EARLY_KEY)?,
        seconds: parse_meta(file, SECONDS_KEY)?,
        sharpness,
    };
    let best: Vec<(String, Matrix<T>)> = params
        .names()
        .filter(|n| file.has(&format!("{BEST_PREFIX}{n}")))
        .map(|n| Ok((n.to_string(), file.matrix::<T>(&format!("{BEST_PREFIX}{n}"))?)))
        .collect::<Result<_, CheckpointError>>()?;
    let best_params = (!best.is_empty()).then(|| best.into_iter().collect());
    Ok(Some(TrainState { history, best_params }))
}
