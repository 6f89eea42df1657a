//! The training command — `wengert` with no command, or `wengert train`:
//! load and prepare the data, resolve the hyper-parameters, build the model,
//! optimizer and schedule, train with a per-epoch log, writing the
//! checkpoint and the metrics log after every epoch, then the loss curve.
//! With `--resume FILE` the settings, the model, the optimizer's state and
//! the run's position come from a checkpoint instead, and the run continues
//! exactly where it stopped.
//!
//! Every step is public API of `wengert-nn` ([`DataSource`](wengert_nn::data::DataSource),
//! [`prepare`], [`ModelSpec`](wengert_nn::ModelSpec), [`Trainer`],
//! [`Checkpoint`]); this file only strings them together with the flags.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use wengert_nn::checkpoint::{self, Checkpoint, DataInfo, Dtype, Float};
use wengert_nn::data::{prepare, Bundled, DataSource, Prepared, TargetKind};
use wengert_nn::train::{Sharpness, TrainConfig, TrainState, Trainer};
use wengert_nn::{LinearRegression, NnError};

use super::args::{data_source, fraction, positive_f64, positive_usize, RuntimeArgs};
use super::choices::{spelling, ModelKind, Precision};
use super::defaults::{HyperFlags, Row};
use super::output::{count, describe, Console, OutputArgs, OutputFiles};
use super::plot;
use super::run::RunSettings;

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
    /// Continue the run saved in this checkpoint, bit for bit, with its settings
    /// (only --epochs, which lengthens the run and re-plans its schedule, and the
    /// output and runtime flags may be given with it).
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with_all = [
            "dataset", "model", "hidden", "optimizer", "lr", "schedule", "batch_size", "weight_decay",
            "seed", "precision", "clip", "test_fraction",
        ]
    )]
    pub resume: Option<PathBuf>,
    /// Stop after this epoch, as if interrupted (the run keeps its --epochs and
    /// schedule); --resume continues it.
    #[arg(long, value_name = "EPOCH", value_parser = positive_usize)]
    pub stop_after: Option<usize>,
    /// Record every step in anomaly mode: stop at the first op that makes a
    /// NaN or an infinity from finite inputs, naming it, its shapes and its
    /// position (slower; for finding where a divergence starts).
    #[arg(long)]
    pub detect_anomaly: bool,
    /// Measure the sharpness — the top eigenvalue of the training loss's
    /// Hessian, by Lanczos on the first 1000 training examples (at most 20
    /// Hessian-vector products, fewer once its relative residual is below 1e-3) — at
    /// the start and after every K-th optimizer step: a `sharpness` column in
    /// the metrics log and a panel under the loss curve, against 2/lr.
    #[arg(long, value_name = "K", value_parser = positive_usize)]
    pub sharpness_every: Option<usize>,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub runtime: RuntimeArgs,
}

/// Runs the training command.
pub fn run(args: &TrainArgs) -> Result<(), NnError> {
    let start = Instant::now();
    args.runtime.apply();
    match &args.resume {
        Some(file) => match checkpoint::dtype(file)? {
            Dtype::F32 => resume::<f32>(args, file, start),
            Dtype::F64 => resume::<f64>(args, file, start),
            other => Err(NnError::config(format!("{}: parameters of dtype {other:?}, not F32 or F64", file.display()))),
        },
        None => fresh(args, start),
    }
}

/// A new run, its settings from the flags.
fn fresh(args: &TrainArgs, start: Instant) -> Result<(), NnError> {
    if args.hyper.model == Some(ModelKind::Linreg) && args.dataset.has_published_split() {
        return Err(NnError::config("--model linreg needs real-valued targets; MNIST has class labels"));
    }
    let data = args.dataset.load()?;
    let settings = RunSettings::from_flags(args, Row::of(&args.dataset, data.target_kind()));
    check_targets(settings.hyper.model, &data)?;
    let prepared = prepare(data, settings.hyper.model.target(), settings.test_fraction, settings.seed)?;
    // Before training, so that a run does not train for minutes and then fail
    // to save; after loading, so that a mistyped dataset leaves no folder.
    let out = args.output.folder(Path::new("out"));
    OutputFiles::create_folder(&out)?;
    match settings.precision {
        Precision::F32 => fit_and_report::<f32>(args, &settings, &prepared, &out, None, start),
        Precision::F64 => fit_and_report::<f64>(args, &settings, &prepared, &out, None, start),
    }
}

/// The run saved in `file`, continued: its settings (with `--epochs` if
/// given), its data prepared the same way and checked against the saved
/// scaling, its model, optimizer state and position.
fn resume<T: Float + 'static>(args: &TrainArgs, file: &Path, start: Instant) -> Result<(), NnError> {
    let saved = Checkpoint::<T>::load(file)?;
    let mut settings = RunSettings::from_entries(&saved.extra, file)?;
    if let Some(epochs) = args.hyper.epochs {
        settings.hyper.epochs = epochs;
    }
    let run = saved.run.as_ref().ok_or_else(|| {
        NnError::config(format!("{}: the checkpoint holds no training run to continue", file.display()))
    })?;
    if run.history.stopped_early {
        return Err(NnError::config(format!(
            "{}: early stopping ended this run after epoch {}; there is nothing to continue",
            file.display(),
            run.epochs_done()
        )));
    }
    if run.epochs_done() >= settings.hyper.epochs {
        return Err(NnError::config(format!(
            "{}: the run has done {} of {}; give --epochs a larger number to train longer",
            file.display(),
            count(run.epochs_done(), "epoch"),
            settings.hyper.epochs
        )));
    }
    let data = settings.dataset.load()?;
    let prepared = prepare(data, settings.hyper.model.target(), settings.test_fraction, settings.seed)?;
    if saved.data.as_ref() != Some(&DataInfo::of(&prepared)) {
        return Err(NnError::config(format!(
            "{}: the data of `{}` is not what the run was trained on (its columns, classes or scaling differ)",
            file.display(),
            settings.dataset.name()
        )));
    }
    let folder = file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let out = args.output.folder(folder);
    OutputFiles::create_folder(&out)?;
    fit_and_report(args, &settings, &prepared, &out, Some(&saved), start)
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

/// Trains (from scratch, or from `resumed`) with a per-epoch log, a
/// checkpoint and metrics log written after every epoch, then the loss curve
/// and the summary.
fn fit_and_report<T: Float + 'static>(
    args: &TrainArgs,
    settings: &RunSettings,
    data: &Prepared,
    out: &Path,
    resumed: Option<&Checkpoint<T>>,
    start: Instant,
) -> Result<(), NnError> {
    let hyper = &settings.hyper;
    let done = resumed.and_then(|c| c.run.as_ref()).map_or(0, |r| r.epochs_done());
    let console = Console::new(&args.output, hyper.epochs).resumed_after(done);
    console.say(describe(settings, args.runtime.threads, data));
    let (spec, optimizer_decay) = hyper.model.spec(hyper.hidden, hyper.weight_decay);
    let mut model = spec.build::<T>(data.train.n_features(), data.classes, settings.seed)?;
    let mut optimizer = hyper.optimizer.build::<T>(hyper.lr, optimizer_decay);
    let mut state = TrainState::new();
    if let Some(saved) = resumed {
        saved.restore_model(&mut *model)?;
        saved.restore_optimizer(&mut *optimizer)?;
        state = saved.run.clone().unwrap_or_default();
        console.say(format!(
            "resuming {}: {} of {} done ({} steps)",
            saved.origin().display(),
            count(state.epochs_done(), "epoch"),
            hyper.epochs,
            state.steps_done()
        ));
    }
    let config = TrainConfig {
        epochs: hyper.epochs,
        batch_size: hyper.batch_size,
        seed: settings.seed,
        clip_norm: settings.clip,
        progress: console.shows_progress(),
        early_stopping: None,
        eval_batch_size: 2000,
        overfit_batches: None,
        stop_after: args.stop_after,
        detect_anomaly: args.detect_anomaly,
        threads: args.runtime.threads,
    };
    let schedule = hyper.schedule.build(hyper.lr, config.total_steps(data.train.len()));
    let files = OutputFiles::new(out, &settings.dataset.name(), hyper.model);
    let (info, entries) = (DataInfo::of(data), settings.to_entries());
    let earlier = state.history.seconds;
    let mut trainer = Trainer::new(config)
        .schedule(move |step| schedule.lr(step))
        .on_epoch(|r| console.epoch(r))
        .on_epoch_end(|end| {
            let mut saved = Checkpoint::of_epoch_end(end).with_spec(spec).with_data(info.clone());
            saved.extra = entries.clone();
            saved.save(&files.checkpoint)?;
            files.write_metrics(&end.state.history)
        });
    if let Some(k) = args.sharpness_every {
        trainer = trainer.sharpness(Sharpness::every(k as u64));
    }
    trainer.fit_from(&mut *model, &mut *optimizer, &data.train, Some(&data.test), &mut state)?;

    let history = &state.history;
    plot::loss_curve_svg(history, &format!("{}: loss", files.stem), &files.loss_curve)?;
    if hyper.model == ModelKind::Linreg {
        console.say(closed_form_comparison::<T>(data, hyper.weight_decay)?);
    }
    console.summary(history, start.elapsed().as_secs_f64(), earlier, &files);
    let done = state.epochs_done();
    if done < hyper.epochs && !history.stopped_early {
        console.say(format!(
            "stopped after epoch {done} of {}; `wengert --resume {}` continues the run",
            hyper.epochs,
            files.checkpoint.display()
        ));
    }
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
