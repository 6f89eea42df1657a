//! The `wengert` command line: its flags ([`Cli`]), per-dataset defaults
//! ([`Cli::resolve`] → [`RunConfig`]) and the training job ([`run`]).
//!
//! Why here and not in `src/main.rs`: the flags and their validation are worth
//! testing, and a binary's `main` cannot be tested. `main` only parses, calls
//! [`run`] and turns an error into one line on stderr.
//!
//! Every flag has a per-dataset default, so `wengert --dataset iris` just works:
//! see [`Defaults::for_dataset`].
//!
//! ```
//! use clap::Parser;
//! use wengert_nn::run::{Cli, DatasetSpec, ModelKind};
//! let cfg = Cli::try_parse_from(["wengert", "--dataset", "iris", "--epochs", "5"]).unwrap().resolve().unwrap();
//! assert_eq!(cfg.model, ModelKind::Mlp);
//! assert_eq!(cfg.epochs, 5);
//! assert!(matches!(cfg.dataset, DatasetSpec::Bundled(_)));
//! assert!(Cli::try_parse_from(["wengert", "--lr", "-1"]).is_err());
//! ```

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Parser, ValueEnum};
use wengert_ops::Scalar;
use wengert_optim::{
    AdaGrad, Adafactor, Adam, AdamW, AmsGrad, Constant, CosineAnnealing, ExponentialDecay, Lion, Momentum, Nesterov,
    Optimizer, RmsProp, Schedule, Sgd, StepDecay, WarmRestarts, WarmupCosine,
};

use crate::checkpoint::{self, Float};
use crate::data::{
    load_csv, load_mnist, train_test_split, train_test_split_stratified, BundledName, Dataset, Standardizer,
};
use crate::error::NnError;
use crate::layers::Activation;
use crate::model::{LossKind, Model};
use crate::models::{LinearRegression, LogisticRegression, TwoLayerNet};
use crate::plot;
use crate::train::{EpochRecord, History, TrainConfig, Trainer};

/// Which model to train.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ModelKind {
    /// Two-layer perceptron: Linear → ReLU → Linear, softmax cross-entropy.
    Mlp,
    /// Logistic regression (softmax regression for more than two classes) with
    /// an L2 penalty λ/2‖W‖², λ = --weight-decay.
    Logreg,
    /// Linear (ridge) regression for real-valued targets, λ = --weight-decay.
    Linreg,
}

/// Which optimizer to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OptimizerKind {
    /// Plain stochastic gradient descent.
    Sgd,
    /// Heavy-ball momentum (β = 0.9).
    Momentum,
    /// Nesterov momentum (β = 0.9).
    Nesterov,
    /// AdaGrad.
    Adagrad,
    /// RMSProp (ρ = 0.9).
    Rmsprop,
    /// Adam.
    Adam,
    /// Adam with decoupled weight decay.
    Adamw,
    /// AMSGrad.
    Amsgrad,
    /// Lion (sign of an interpolated momentum; use a 3–10× smaller --lr).
    Lion,
    /// Adafactor (factored second moment).
    Adafactor,
}

/// Which learning-rate schedule to use (over the whole run's steps).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ScheduleKind {
    /// The same rate throughout.
    Constant,
    /// Half-cosine from --lr down to --lr/100.
    Cosine,
    /// Linear warmup over the first 3% of steps, then cosine down to --lr/100.
    WarmupCosine,
    /// Multiply by 0.1 after each third of the run.
    Step,
    /// Exponential decay down to --lr/100 at the last step.
    Exponential,
    /// Cosine with warm restarts (SGDR), periods of 1, 2, 4… ⁄ 7 of the run.
    Restarts,
}

/// Element type of the model and its computation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Precision {
    /// 32-bit floats (faster).
    F32,
    /// 64-bit floats.
    F64,
}

/// Trains a model and writes its loss curve (SVG) and checkpoint (safetensors).
///
/// With no arguments: the two-layer network on MNIST. Flags left out take the
/// dataset's defaults (listed with each flag).
#[derive(Clone, Debug, Parser)]
#[command(name = "wengert", version, about, long_about = None, max_term_width = 100, allow_negative_numbers = true)]
pub struct Cli {
    /// Dataset: mnist, digits, breast-cancer, iris, wine, diabetes, wine-quality
    /// (bundled in data/), a CSV file (header row, numeric columns, target last),
    /// or a folder holding the four MNIST-format IDX files.
    #[arg(long, default_value = "mnist", value_name = "NAME|PATH")]
    pub dataset: String,
    /// Model [default: logreg for breast-cancer, linreg for real-valued targets, mlp otherwise].
    #[arg(long, value_enum)]
    pub model: Option<ModelKind>,
    /// Hidden units of the mlp [default: 256 mnist, 128 digits, 16 iris, 32 wine, 64 otherwise].
    #[arg(long, value_parser = parse_positive_usize)]
    pub hidden: Option<usize>,
    /// Optimizer [default: adamw for mnist, adam otherwise].
    #[arg(long, value_enum)]
    pub optimizer: Option<OptimizerKind>,
    /// Peak learning rate [default: 2e-3 mnist, 3e-3 digits, 0.5 diabetes, 0.01 other CSVs; 0.05 with sgd/momentum/nesterov].
    #[arg(long, value_parser = parse_positive_f64)]
    pub lr: Option<f64>,
    /// Learning-rate schedule [default: warmup-cosine for mnist, cosine otherwise].
    #[arg(long, value_enum)]
    pub schedule: Option<ScheduleKind>,
    /// Passes over the training set [default: 8 mnist, 40 digits, 60 breast-cancer, 150 iris, 100 wine].
    #[arg(long, value_parser = parse_positive_usize)]
    pub epochs: Option<usize>,
    /// Examples per optimizer step [default: 128 mnist, 32 digits and breast-cancer, 16 iris and wine].
    #[arg(long, value_parser = parse_positive_usize)]
    pub batch_size: Option<usize>,
    /// Seed of the initial weights, the train/test split and the batch order.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Floating-point precision of the model.
    #[arg(long, value_enum, default_value_t = Precision::F32)]
    pub precision: Precision,
    /// Output folder for the loss curve and the checkpoint (created if missing).
    #[arg(long, default_value = "out", value_name = "DIR")]
    pub out: PathBuf,
    /// Threads for the matrix-product kernel.
    #[arg(long, default_value_t = 2, value_parser = parse_positive_usize)]
    pub threads: usize,
    /// Weight decay: decoupled for adamw and lion, L2 (added to the gradient) for the other
    /// optimizers, the penalty λ of logreg/linreg [default: 1e-4 mnist, 1e-3 logreg, 0 otherwise].
    #[arg(long, value_parser = parse_nonnegative_f64)]
    pub weight_decay: Option<f64>,
    /// Clip gradients to this global L2 norm before each step [default: no clipping].
    #[arg(long, value_parser = parse_positive_f64, value_name = "NORM")]
    pub clip: Option<f64>,
    /// Fraction of a CSV dataset held out for testing (seeded, stratified for class labels).
    #[arg(long, default_value_t = 0.2, value_parser = parse_fraction)]
    pub test_fraction: f64,
    /// Do not show the progress bar (it is never shown when stdout is not a terminal).
    #[arg(long)]
    pub no_progress: bool,
}

fn parse_positive_usize(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{s}` is not a whole number")),
    }
}

fn parse_f64(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(format!("`{s}` is not a finite number")),
    }
}

fn parse_positive_f64(s: &str) -> Result<f64, String> {
    let x = parse_f64(s)?;
    if x > 0.0 {
        Ok(x)
    } else {
        Err("must be positive".into())
    }
}

fn parse_nonnegative_f64(s: &str) -> Result<f64, String> {
    let x = parse_f64(s)?;
    if x >= 0.0 {
        Ok(x)
    } else {
        Err("must not be negative".into())
    }
}

fn parse_fraction(s: &str) -> Result<f64, String> {
    let x = parse_f64(s)?;
    if x > 0.0 && x < 1.0 {
        Ok(x)
    } else {
        Err("must be strictly between 0 and 1".into())
    }
}

/// Where the data comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatasetSpec {
    /// A dataset bundled in `data/`.
    Bundled(BundledName),
    /// A CSV file.
    Csv(PathBuf),
    /// A folder of MNIST-format IDX files.
    IdxDir(PathBuf),
}

impl DatasetSpec {
    /// Interprets `--dataset`: a bundled name, else an existing folder (IDX) or
    /// file (CSV). Anything else is an error listing the valid names.
    pub fn parse(s: &str) -> Result<Self, NnError> {
        if let Ok(name) = s.parse::<BundledName>() {
            return Ok(DatasetSpec::Bundled(name));
        }
        let path = PathBuf::from(s);
        if path.is_dir() {
            Ok(DatasetSpec::IdxDir(path))
        } else if path.is_file() {
            Ok(DatasetSpec::Csv(path))
        } else {
            let names: Vec<&str> = BundledName::ALL.iter().map(|n| n.name()).collect();
            Err(NnError::config(format!(
                "--dataset `{s}`: not a bundled dataset ({}) and no such file or folder",
                names.join(", ")
            )))
        }
    }

    /// A short name for output files: the bundled name or the file/folder stem.
    pub fn stem(&self) -> String {
        match self {
            DatasetSpec::Bundled(n) => n.name().to_string(),
            DatasetSpec::Csv(p) | DatasetSpec::IdxDir(p) => {
                p.file_stem().map_or_else(|| "data".to_string(), |s| s.to_string_lossy().into_owned())
            }
        }
    }

    fn is_mnist_like(&self) -> bool {
        matches!(self, DatasetSpec::Bundled(BundledName::Mnist) | DatasetSpec::IdxDir(_))
    }
}

/// The hyper-parameters a dataset starts from when a flag is left out.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Defaults {
    /// Model.
    pub model: ModelKind,
    /// Hidden units of the mlp.
    pub hidden: usize,
    /// Optimizer.
    pub optimizer: OptimizerKind,
    /// Peak learning rate for adaptive optimizers.
    pub lr: f64,
    /// Schedule.
    pub schedule: ScheduleKind,
    /// Epochs.
    pub epochs: usize,
    /// Batch size.
    pub batch_size: usize,
    /// Weight decay.
    pub weight_decay: f64,
}

impl Defaults {
    /// The defaults for a dataset, chosen so that each reaches its target
    /// accuracy (MNIST ≥ 98 %, digits ≥ 95 %, breast cancer ≥ 95 %, iris and
    /// wine ≥ 90 %; see docs/nn.md for measurements).
    pub fn for_dataset(spec: &DatasetSpec) -> Self {
        let generic = Defaults {
            model: ModelKind::Mlp,
            hidden: 64,
            optimizer: OptimizerKind::Adam,
            lr: 0.01,
            schedule: ScheduleKind::Cosine,
            epochs: 30,
            batch_size: 32,
            weight_decay: 0.0,
        };
        match spec {
            DatasetSpec::Bundled(BundledName::Mnist) | DatasetSpec::IdxDir(_) => Defaults {
                hidden: 256,
                optimizer: OptimizerKind::Adamw,
                lr: 2e-3,
                schedule: ScheduleKind::WarmupCosine,
                epochs: 8,
                batch_size: 128,
                weight_decay: 1e-4,
                ..generic
            },
            DatasetSpec::Bundled(BundledName::Digits) => {
                Defaults { hidden: 128, lr: 3e-3, epochs: 40, batch_size: 32, ..generic }
            }
            DatasetSpec::Bundled(BundledName::BreastCancer) => {
                Defaults { model: ModelKind::Logreg, epochs: 60, weight_decay: 1e-3, ..generic }
            }
            DatasetSpec::Bundled(BundledName::Iris) => Defaults { hidden: 16, epochs: 150, batch_size: 16, ..generic },
            DatasetSpec::Bundled(BundledName::Wine) => Defaults { hidden: 32, epochs: 100, batch_size: 16, ..generic },
            DatasetSpec::Bundled(BundledName::Diabetes) => {
                Defaults { model: ModelKind::Linreg, lr: 0.5, epochs: 200, batch_size: 32, ..generic }
            }
            _ => generic,
        }
    }
}

/// A fully resolved run: every flag has its value.
#[derive(Clone, Debug, PartialEq)]
pub struct RunConfig {
    /// Where the data comes from.
    pub dataset: DatasetSpec,
    /// Model.
    pub model: ModelKind,
    /// Hidden units (mlp).
    pub hidden: usize,
    /// Optimizer.
    pub optimizer: OptimizerKind,
    /// Peak learning rate.
    pub lr: f64,
    /// Schedule.
    pub schedule: ScheduleKind,
    /// Epochs.
    pub epochs: usize,
    /// Batch size.
    pub batch_size: usize,
    /// Seed.
    pub seed: u64,
    /// Precision.
    pub precision: Precision,
    /// Output folder.
    pub out: PathBuf,
    /// Kernel threads.
    pub threads: usize,
    /// Weight decay / L2 penalty.
    pub weight_decay: f64,
    /// Gradient clipping norm.
    pub clip: Option<f64>,
    /// Held-out fraction for CSV data.
    pub test_fraction: f64,
    /// Whether to show a progress bar on a terminal.
    pub progress: bool,
}

impl Cli {
    /// Fills every flag left out from the dataset's [`Defaults`] and checks
    /// what clap cannot: that the dataset exists and the model fits it.
    pub fn resolve(&self) -> Result<RunConfig, NnError> {
        let dataset = DatasetSpec::parse(&self.dataset)?;
        let d = Defaults::for_dataset(&dataset);
        let model = self.model.unwrap_or(d.model);
        if model == ModelKind::Linreg && dataset.is_mnist_like() {
            return Err(NnError::config("--model linreg needs real-valued targets; MNIST has class labels"));
        }
        let optimizer = self.optimizer.unwrap_or(d.optimizer);
        let default_lr = match optimizer {
            OptimizerKind::Sgd | OptimizerKind::Momentum | OptimizerKind::Nesterov => 0.05,
            OptimizerKind::Lion => d.lr / 5.0,
            _ => d.lr,
        };
        let weight_decay = self.weight_decay.unwrap_or(match model {
            ModelKind::Logreg => 1e-3,
            _ => d.weight_decay,
        });
        Ok(RunConfig {
            dataset,
            model,
            hidden: self.hidden.unwrap_or(d.hidden),
            optimizer,
            lr: self.lr.unwrap_or(default_lr),
            schedule: self.schedule.unwrap_or(d.schedule),
            epochs: self.epochs.unwrap_or(d.epochs),
            batch_size: self.batch_size.unwrap_or(d.batch_size),
            seed: self.seed,
            precision: self.precision,
            out: self.out.clone(),
            threads: self.threads,
            weight_decay,
            clip: self.clip,
            test_fraction: self.test_fraction,
            progress: !self.no_progress,
        })
    }
}

/// What a run produced.
#[derive(Clone, Debug)]
pub struct RunReport {
    /// The training history.
    pub history: History,
    /// Test accuracy after the last epoch (`None` for regression).
    pub test_accuracy: Option<f64>,
    /// Test loss after the last epoch.
    pub test_loss: f64,
    /// The checkpoint written.
    pub checkpoint: PathBuf,
    /// The loss-curve SVG written.
    pub loss_curve: PathBuf,
    /// Wall time of the whole run (loading included), in seconds.
    pub seconds: f64,
}

/// The prepared data of a run.
#[derive(Clone, Debug)]
pub struct PreparedData {
    /// Training set (standardized for CSV data, scaled for MNIST).
    pub train: Dataset,
    /// Test set, transformed like the training set.
    pub test: Dataset,
    /// Number of classes, or `None` for a regression target.
    pub classes: Option<usize>,
}

/// MNIST's pixel mean and standard deviation over the training set (pixels in
/// `[0, 1]`): one scale for every pixel, because per-pixel standardization
/// would blow up the border pixels that are almost always 0.
const MNIST_MEAN: f64 = 0.1307;
const MNIST_STD: f64 = 0.3081;

/// Loads and prepares the data of `cfg`: MNIST keeps its published split and
/// is scaled by one global mean and std; a CSV table is split (stratified when
/// the targets are class labels and the model classifies) with `cfg.seed` and
/// standardized with statistics of the training part only.
pub fn prepare_data(cfg: &RunConfig) -> Result<PreparedData, NnError> {
    let (train, test) = match &cfg.dataset {
        DatasetSpec::Bundled(BundledName::Mnist) | DatasetSpec::IdxDir(_) => {
            let dir = match &cfg.dataset {
                DatasetSpec::IdxDir(p) => p.clone(),
                _ => BundledName::Mnist.path(),
            };
            let (train, test) = load_mnist(&dir)?;
            (scale_pixels(train)?, scale_pixels(test)?)
        }
        DatasetSpec::Bundled(name) => {
            let table = name
                .load()?
                .into_single()
                .ok_or_else(|| NnError::config(format!("dataset `{name}` comes with its own train/test split")))?;
            split_and_standardize(&table, cfg)?
        }
        DatasetSpec::Csv(path) => split_and_standardize(&load_csv(path)?, cfg)?,
    };
    let classes =
        if cfg.model == ModelKind::Linreg { None } else { Some(train.n_classes()?.max(test.n_classes()?).max(2)) };
    Ok(PreparedData { train, test, classes })
}

/// `(x − mean) / std` on every pixel, in place (the feature matrix is not
/// shared once the dataset is taken apart, so no second 60000 × 784 copy).
fn scale_pixels(ds: Dataset) -> Result<Dataset, NnError> {
    let names = ds.feature_names().to_vec();
    let target = ds.target_name().to_string();
    let (mut x, y) = ds.into_parts();
    x.as_mut_slice().iter_mut().for_each(|v| *v = (*v - MNIST_MEAN) / MNIST_STD);
    Ok(Dataset::new(x, y, names, target)?)
}

/// Splits a table (stratified when the model classifies) and standardizes both
/// parts with the training part's statistics.
fn split_and_standardize(table: &Dataset, cfg: &RunConfig) -> Result<(Dataset, Dataset), NnError> {
    let (train, test) = if cfg.model == ModelKind::Linreg {
        train_test_split(table, cfg.test_fraction, cfg.seed)?
    } else {
        if let Err(e) = table.class_labels() {
            return Err(NnError::config(format!(
                "--model {}: the targets are not class labels ({e}); use --model linreg for regression",
                model_name(cfg.model)
            )));
        }
        train_test_split_stratified(table, cfg.test_fraction, cfg.seed)?
    };
    let scaler = Standardizer::fit(train.features())?;
    Ok((scaler.transform_dataset(&train)?, scaler.transform_dataset(&test)?))
}

fn model_name(m: ModelKind) -> &'static str {
    match m {
        ModelKind::Mlp => "mlp",
        ModelKind::Logreg => "logreg",
        ModelKind::Linreg => "linreg",
    }
}

/// The optimizer of `cfg`, with its learning rate and weight decay.
pub fn build_optimizer<T: Scalar + 'static>(cfg: &RunConfig, decay: f64) -> Box<dyn Optimizer<T>> {
    let lr = cfg.lr;
    match cfg.optimizer {
        OptimizerKind::Sgd => Box::new(Sgd::new().lr(lr).l2(decay)),
        OptimizerKind::Momentum => Box::new(Momentum::classical(lr, 0.9).l2(decay)),
        OptimizerKind::Nesterov => Box::new(Nesterov::new().lr(lr).beta(0.9).l2(decay)),
        OptimizerKind::Adagrad => Box::new(AdaGrad::new().lr(lr).l2(decay)),
        OptimizerKind::Rmsprop => Box::new(RmsProp::new().lr(lr).rho(0.9).l2(decay)),
        OptimizerKind::Adam => Box::new(Adam::new().lr(lr).l2(decay)),
        OptimizerKind::Adamw => Box::new(AdamW::new().lr(lr).weight_decay(decay)),
        OptimizerKind::Amsgrad => Box::new(AmsGrad::new().lr(lr).l2(decay)),
        OptimizerKind::Lion => Box::new(Lion::new().lr(lr).weight_decay(decay)),
        OptimizerKind::Adafactor => Box::new(Adafactor::new().lr(lr).l2(decay)),
    }
}

/// The schedule of `cfg` over `total` steps, as a boxed [`Schedule`].
pub fn build_schedule(kind: ScheduleKind, lr: f64, total: u64) -> Box<dyn Schedule> {
    let total = total.max(1);
    let min_lr = lr / 100.0;
    match kind {
        ScheduleKind::Constant => Box::new(Constant(lr)),
        ScheduleKind::Cosine => Box::new(CosineAnnealing { max_lr: lr, min_lr, total }),
        ScheduleKind::WarmupCosine => {
            let warmup = (total * 3 / 100).max(1);
            Box::new(WarmupCosine { peak_lr: lr, min_lr, warmup, total })
        }
        ScheduleKind::Step => Box::new(StepDecay { initial: lr, gamma: 0.1, step_size: total.div_ceil(3) }),
        ScheduleKind::Exponential => {
            Box::new(ExponentialDecay { initial: lr, gamma: 0.01f64.powf(1.0 / total as f64) })
        }
        ScheduleKind::Restarts => {
            Box::new(WarmRestarts { max_lr: lr, min_lr, period: total.div_ceil(7), period_mult: 2 })
        }
    }
}

fn describe(cfg: &RunConfig, data: &PreparedData) -> String {
    let mut s = String::new();
    let (n, d) = (data.train.len(), data.train.n_features());
    let _ = write!(s, "dataset {}: {n} train / {} test examples, {d} features", cfg.dataset.stem(), data.test.len());
    match data.classes {
        Some(k) => {
            let _ = write!(s, ", {k} classes");
        }
        None => s.push_str(", real-valued target"),
    }
    let model = match cfg.model {
        ModelKind::Mlp => format!("mlp {d}-{}-{}", cfg.hidden, data.classes.unwrap_or(1)),
        ModelKind::Logreg => "logistic regression".to_string(),
        ModelKind::Linreg => "linear regression".to_string(),
    };
    let _ = write!(
        s,
        "\nmodel {model}, {:?} precision; optimizer {:?}, lr {}, schedule {:?}, weight decay {}, {} epochs, \
         batch {}, seed {}, {} thread{}",
        cfg.precision,
        cfg.optimizer,
        cfg.lr,
        cfg.schedule,
        cfg.weight_decay,
        cfg.epochs,
        cfg.batch_size,
        cfg.seed,
        cfg.threads,
        if cfg.threads == 1 { "" } else { "s" }
    );
    if let Some(c) = cfg.clip {
        let _ = write!(s, ", clip {c}");
    }
    s.to_lowercase()
}

/// One line of the per-epoch log.
pub fn format_epoch(r: &EpochRecord, epochs: usize) -> String {
    let mut s = format!("epoch {:>3}/{epochs}  loss {:.4}", r.epoch, r.train_loss);
    if let Some(a) = r.train_accuracy {
        let _ = write!(s, "  train acc {:6.2}%", 100.0 * a);
    }
    if let Some(v) = &r.valid {
        match v.accuracy {
            Some(a) => {
                let _ = write!(s, "  test acc {:6.2}%  test loss {:.4}", 100.0 * a, v.loss);
            }
            None => {
                let _ = write!(s, "  test mse {:.4}", v.loss);
            }
        }
    }
    let _ = write!(s, "  lr {:.2e}  {:.2} s", r.learning_rate, r.seconds);
    s
}

/// Runs the job of `cfg`: load and prepare the data, build the model and the
/// optimizer, train with a per-epoch log on stdout, then write the checkpoint
/// and the loss curve into `cfg.out` (created if missing).
pub fn run(cfg: &RunConfig) -> Result<RunReport, NnError> {
    wengert_ops::kernels::set_num_threads(cfg.threads);
    match cfg.precision {
        Precision::F32 => run_typed::<f32>(cfg),
        Precision::F64 => run_typed::<f64>(cfg),
    }
}

fn run_typed<T: Float + 'static>(cfg: &RunConfig) -> Result<RunReport, NnError> {
    let start = Instant::now();
    std::fs::create_dir_all(&cfg.out).map_err(|e| NnError::Output {
        path: cfg.out.clone(),
        message: format!("cannot create the output folder: {e}"),
    })?;
    let data = prepare_data(cfg)?;
    println!("{}", describe(cfg, &data));
    let d = data.train.n_features();
    let (mut model, decay): (Box<dyn Model<T>>, f64) = match (cfg.model, data.classes) {
        (ModelKind::Mlp, Some(k)) => (Box::new(TwoLayerNet::<T>::new(d, cfg.hidden, k, cfg.seed)), cfg.weight_decay),
        (ModelKind::Mlp, None) => {
            let net = TwoLayerNet::<T>::build(d, cfg.hidden, LossKind::SquaredError, Activation::Relu, cfg.seed);
            (Box::new(net), cfg.weight_decay)
        }
        (ModelKind::Logreg, Some(k)) => (Box::new(LogisticRegression::<T>::new(d, k, cfg.weight_decay)), 0.0),
        (ModelKind::Logreg, None) | (ModelKind::Linreg, _) => {
            (Box::new(LinearRegression::<T>::new(d, cfg.weight_decay)), 0.0)
        }
    };
    let mut optimizer = build_optimizer::<T>(cfg, decay);
    let train_cfg = TrainConfig {
        epochs: cfg.epochs,
        batch_size: cfg.batch_size,
        seed: cfg.seed,
        clip_norm: cfg.clip,
        progress: cfg.progress,
        early_stopping: None,
        eval_batch_size: 2000,
    };
    let schedule = build_schedule(cfg.schedule, cfg.lr, train_cfg.total_steps(data.train.len()));
    let epochs = cfg.epochs;
    let mut trainer = Trainer::new(train_cfg)
        .schedule(move |step| schedule.lr(step))
        .on_epoch(move |r| println!("{}", format_epoch(r, epochs)));
    let history = trainer.fit(&mut *model, &mut *optimizer, &data.train, Some(&data.test))?;
    let last = history.epochs.last().and_then(|r| r.valid.clone());
    let (test_accuracy, test_loss) = last.as_ref().map_or((None, f64::NAN), |v| (v.accuracy, v.loss));

    let stem = format!("{}_{}", cfg.dataset.stem(), model_name(cfg.model));
    let checkpoint_path = checkpoint_path(&cfg.out, &cfg.dataset, cfg.model);
    checkpoint::save(model.params(), &checkpoint_path)?;
    let curve_path = cfg.out.join(format!("{stem}_loss.svg"));
    plot::loss_curve_svg(&history, &format!("{stem}: loss"), &curve_path)?;

    if cfg.model == ModelKind::Linreg {
        // The exact ridge solution on the same training data, for comparison.
        let y: Vec<T> = data.train.targets().iter().map(|&v| T::from_f64(v)).collect();
        let exact = LinearRegression::closed_form(&data.train.features().cast::<T>(), &y, cfg.weight_decay)?;
        let pred = exact.predict(&data.test.features().cast::<T>());
        let mse = pred.iter().zip(data.test.targets()).map(|(p, t)| (p.value() - t).powi(2)).sum::<f64>()
            / data.test.len().max(1) as f64;
        println!("closed-form (normal equation) solution: test mse {mse:.4}");
    }
    let seconds = start.elapsed().as_secs_f64();
    if let Some(cm) = last.as_ref().and_then(|v| v.confusion.as_ref()) {
        println!("test confusion matrix (rows: true class, columns: predicted):\n{cm}");
    }
    match test_accuracy {
        Some(a) => {
            println!("total {seconds:.2} s (training {:.2} s); final test accuracy {:.2}%", history.seconds, 100.0 * a)
        }
        None => println!(
            "total {seconds:.2} s (training {:.2} s); final test mse {test_loss:.4} (rmse {:.4})",
            history.seconds,
            test_loss.sqrt()
        ),
    }
    println!("wrote {} and {}", checkpoint_path.display(), curve_path.display());
    Ok(RunReport { history, test_accuracy, test_loss, checkpoint: checkpoint_path, loss_curve: curve_path, seconds })
}

/// Where [`run`] writes the checkpoint of a dataset and model inside `out`
/// (`<out>/<dataset>_<model>.safetensors`).
pub fn checkpoint_path(out: &Path, dataset: &DatasetSpec, model: ModelKind) -> PathBuf {
    out.join(format!("{}_{}.safetensors", dataset.stem(), model_name(model)))
}
