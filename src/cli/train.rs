//! The training command — `wengert` with no command, or `wengert train`:
//! load and prepare the data, resolve the hyper-parameters, build the model,
//! optimizer and schedule, train with a per-epoch log, then write the
//! checkpoint and the loss curve.
//!
//! Every step is public API of `wengert-nn` ([`DataSource`], [`prepare`],
//! [`ModelSpec`](wengert_nn::ModelSpec), [`Trainer`], [`checkpoint`]); this
//! file only strings them together with the flags.

use std::time::Instant;

use clap::Args;
use wengert_nn::checkpoint::{self, Float};
use wengert_nn::data::{prepare, Bundled, DataSource, Prepared, TargetKind};
use wengert_nn::train::{TrainConfig, Trainer};
use wengert_nn::{LinearRegression, NnError};

use super::args::{data_source, fraction, positive_f64, RuntimeArgs};
use super::choices::{spelling, ModelKind, Precision};
use super::defaults::{HyperFlags, Hyperparams, Row};
use super::output::{describe, Console, OutputArgs, OutputFiles};
use super::plot;

/// The flags of the training command.
#[derive(Clone, Debug, Args)]
pub struct TrainArgs {
    /// Dataset: mnist, digits, breast-cancer, iris, wine, diabetes, wine-quality
    /// (bundled in data/), a CSV file (header row, numeric columns, target last:
    /// class labels if all are whole numbers with at most 1000 distinct values
    /// and, beyond two, at least two examples per value on average, else a
    /// real-valued target, as diabetes' is), or a folder holding the four
    /// MNIST-format IDX files.
    #[arg(long, default_value = "mnist", value_name = "NAME|PATH", value_parser = data_source)]
    pub dataset: DataSource,
    #[command(flatten)]
    pub hyper: HyperFlags,
    /// Seed of the initial weights, the train/test split and the batch order.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Floating-point precision of the model.
    #[arg(long, value_enum, default_value_t = Precision::F32)]
    pub precision: Precision,
    /// Clip gradients to this global L2 norm before each step [default: no clipping].
    #[arg(long, value_parser = positive_f64, value_name = "NORM")]
    pub clip: Option<f64>,
    /// Fraction of a CSV dataset held out for testing (seeded, stratified for class labels).
    #[arg(long, default_value_t = 0.2, value_parser = fraction)]
    pub test_fraction: f64,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub runtime: RuntimeArgs,
}

/// Runs the training command.
pub fn run(args: &TrainArgs) -> Result<(), NnError> {
    let start = Instant::now();
    args.runtime.apply();
    if args.hyper.model == Some(ModelKind::Linreg) && args.dataset.has_published_split() {
        return Err(NnError::config("--model linreg needs real-valued targets; MNIST has class labels"));
    }
    let data = args.dataset.load()?;
    let hyper = Hyperparams::resolve(Row::of(&args.dataset, data.target_kind()), &args.hyper);
    check_targets(hyper.model, &data)?;
    let prepared = prepare(data, hyper.model.target(), args.test_fraction, args.seed)?;
    // Before training, so that a run does not train for minutes and then fail
    // to save; after loading, so that a mistyped dataset leaves no folder.
    OutputFiles::create_folder(&args.output.out)?;
    match args.precision {
        Precision::F32 => fit_and_report::<f32>(args, &hyper, &prepared, start),
        Precision::F64 => fit_and_report::<f64>(args, &hyper, &prepared, start),
    }
}

/// A classifier asked for (by `--model`) on targets that are not class labels
/// is an error that says why and what to use instead.
fn check_targets(model: ModelKind, data: &Bundled) -> Result<(), NnError> {
    if model.target() != TargetKind::ClassLabels {
        return Ok(());
    }
    let table = match data {
        Bundled::Single(table) => table,
        Bundled::TrainTest { train, .. } => train,
    };
    match table.class_labels() {
        Ok(_) => Ok(()),
        Err(e) => Err(NnError::config(format!(
            "--model {}: the targets are not class labels ({e}); use --model linreg for regression",
            spelling(&model)
        ))),
    }
}

fn fit_and_report<T: Float + 'static>(
    args: &TrainArgs,
    hyper: &Hyperparams,
    data: &Prepared,
    start: Instant,
) -> Result<(), NnError> {
    let console = Console::new(&args.output, hyper.epochs);
    console.say(describe(args, hyper, data));
    let (spec, optimizer_decay) = hyper.model.spec(hyper.hidden, hyper.weight_decay);
    let mut model = spec.build::<T>(data.train.n_features(), data.classes, args.seed)?;
    let mut optimizer = hyper.optimizer.build::<T>(hyper.lr, optimizer_decay);
    let config = TrainConfig {
        epochs: hyper.epochs,
        batch_size: hyper.batch_size,
        seed: args.seed,
        clip_norm: args.clip,
        progress: console.shows_progress(),
        early_stopping: None,
        eval_batch_size: 2000,
    };
    let schedule = hyper.schedule.build(hyper.lr, config.total_steps(data.train.len()));
    let history = Trainer::new(config).schedule(move |step| schedule.lr(step)).on_epoch(|r| console.epoch(r)).fit(
        &mut *model,
        &mut *optimizer,
        &data.train,
        Some(&data.test),
    )?;

    let files = OutputFiles::new(&args.output.out, &args.dataset.name(), hyper.model);
    checkpoint::save(model.params(), &files.checkpoint)?;
    plot::loss_curve_svg(&history, &format!("{}: loss", files.stem), &files.loss_curve)?;
    if hyper.model == ModelKind::Linreg {
        console.say(closed_form_comparison::<T>(data, hyper.weight_decay)?);
    }
    console.summary(&history, start.elapsed().as_secs_f64(), &files);
    Ok(())
}

/// The exact ridge solution on the same training data, for comparison: its
/// test MSE, or — when the normal equation is singular, which does not make
/// the trained model any less valid — why it is unavailable.
fn closed_form_comparison<T: Float>(data: &Prepared, l2: f64) -> Result<String, NnError> {
    const WHAT: &str = "closed-form (normal equation) solution";
    let y: Vec<T> = data.train.targets().iter().map(|&v| T::from_f64(v)).collect();
    match LinearRegression::closed_form(&data.train.features().cast::<T>(), &y, l2) {
        Ok(exact) => {
            let pred = exact.predict(&data.test.features().cast::<T>());
            let mse = pred.iter().zip(data.test.targets()).map(|(p, t)| (p.value() - t).powi(2)).sum::<f64>()
                / data.test.len().max(1) as f64;
            Ok(format!("{WHAT}: test mse {mse:.4}"))
        }
        Err(NnError::Linalg { source, .. }) => {
            let hint = if l2 == 0.0 { "; a positive --weight-decay makes it solvable" } else { "" };
            Ok(format!("{WHAT}: unavailable, {source}{hint}"))
        }
        Err(e) => Err(e),
    }
}
