//! The `wengert` program: its commands, their flags, and what they print and
//! write. Everything it computes is public API of the library crates (data
//! preparation, models, training, checkpoints in `wengert-nn`); this module
//! turns flags into calls and results into output.
//!
//! | file | job |
//! |---|---|
//! | `mod.rs` | the top-level parser ([`Cli`]): the commands, and the training flags at the top level so that `wengert` alone trains; error reporting and exit codes |
//! | `args.rs` | value parsers and flag groups shared by the commands; the short form of clap's errors |
//! | `choices.rs` | `--model`, `--optimizer`, `--schedule`, `--precision`: each name, its help, what it builds |
//! | `defaults.rs` | the per-dataset defaults (one table), the rules on top, their `--help` text |
//! | `train.rs` | the training command (fresh, or `--resume`d from a checkpoint) |
//! | `run.rs` | a training run's resolved settings, and how its checkpoint keeps them |
//! | `output.rs` | the output files (checkpoint, metrics log, loss curve) and the console log, with their flags |
//! | `plot.rs` | the loss curve as SVG |
//! | `predict.rs` | the `predict` command: predictions for new examples, as CSV |
//! | `eval.rs` | the `eval` command: loss, accuracy, confusion matrix on a labelled file |
//! | `inputs.rs` | what `predict` and `eval` share: a checkpoint's model, input files in its columns |
//!
//! Exit status: 0 on success (and for `--help`, `--version`), 2 for a flag
//! clap rejects, 1 for an error while running; errors go to stderr as
//! `error: …`.
//!
//! # Adding a command
//!
//! A command (as `predict` is) is one new file, `src/cli/predict.rs`, holding
//! `#[derive(clap::Args)] pub struct PredictArgs` (each flag's doc comment is
//! its help) and `pub fn run(args: &PredictArgs) -> Result<(), NnError>`. Here
//! it needs `mod predict;`, a variant `Predict(predict::PredictArgs)` of
//! [`Command`] (its doc comment is the command's help) and an arm in
//! [`dispatch`]. Flags that mean the same in several commands (`--threads`)
//! are a flag group in `args.rs`, flattened into each command's arguments.
//! Its tests run the built binary, as a user would, in `tests/cli.rs`.

use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{Parser, Subcommand};
use wengert_nn::NnError;

mod args;
mod choices;
mod defaults;
mod eval;
mod inputs;
mod output;
mod plot;
mod predict;
mod run;
mod train;

use train::TrainArgs;

/// The whole command line.
#[derive(Debug, Parser)]
#[command(
    name = "wengert",
    version,
    about = "Trains a model and writes its checkpoint (safetensors), metrics log (CSV) and loss curve (SVG); \
             predicts and evaluates with a checkpoint. With no command, runs `train`.",
    long_about = None,
    max_term_width = 100,
    allow_negative_numbers = true,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    // With no command, the flags of `train`.
    #[command(flatten)]
    train: TrainArgs,
}

/// The commands. With none, `wengert` runs `train`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Trains a model (what `wengert` does with no command).
    #[command(allow_negative_numbers = true)]
    Train(TrainArgs),
    /// Predicts with a trained model: the class and every class's probability
    /// (or the value) of each example, as CSV.
    Predict(predict::PredictArgs),
    /// Evaluates a trained model on a labelled file: loss, accuracy and
    /// confusion matrix (or mean squared error).
    Eval(eval::EvalArgs),
}

/// Parses the command line, runs the command, and turns the outcome into
/// output and an exit status.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => e.exit(),
        Err(e) => {
            eprintln!("{}", args::short_error(&e));
            return ExitCode::from(2);
        }
    };
    match dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// Runs the command the user chose.
fn dispatch(cli: Cli) -> Result<(), NnError> {
    match cli.command {
        None => train::run(&cli.train),
        Some(Command::Train(args)) => train::run(&args),
        Some(Command::Predict(args)) => predict::run(&args),
        Some(Command::Eval(args)) => eval::run(&args),
    }
}

#[cfg(test)]
impl Cli {
    /// The training flags, whether given at the top level or after `train`.
    fn train_args(&self) -> &TrainArgs {
        match &self.command {
            Some(Command::Train(args)) => args,
            None => &self.train,
            Some(other) => panic!("not a training command: {other:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use clap::CommandFactory;
    use wengert_nn::data::{BundledName, DataSource};

    use super::choices::{ModelKind, OptimizerKind, Precision, ScheduleKind};
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("wengert").chain(args.iter().copied()))
    }

    #[test]
    fn no_arguments_is_the_mnist_job() {
        let cli = parse(&[]).unwrap();
        assert!(cli.command.is_none());
        let args = cli.train_args();
        assert_eq!(args.dataset, DataSource::Bundled(BundledName::Mnist));
        assert_eq!(args.hyper.model, None, "left to the dataset's defaults");
        let threads = wengert_ops::kernels::available_threads();
        assert_eq!((args.seed, args.precision, args.runtime.threads), (42, Precision::F32, threads));
        assert_eq!((args.clip, args.test_fraction), (None, 0.2));
        assert_eq!((args.output.out.clone(), args.output.no_progress), (None, false));
        assert_eq!(
            (args.output.quiet, args.output.log_every, args.resume.clone(), args.stop_after),
            (false, 1, None, None)
        );
    }

    #[test]
    fn every_flag_is_parsed_at_the_top_level_and_after_train() {
        let flags = [
            "--dataset",
            "wine",
            "--model",
            "logreg",
            "--hidden",
            "7",
            "--optimizer",
            "nesterov",
            "--lr",
            "0.3",
            "--schedule",
            "step",
            "--epochs",
            "3",
            "--batch-size",
            "9",
            "--seed",
            "17",
            "--precision",
            "f64",
            "--out",
            "/tmp/x",
            "--threads",
            "1",
            "--weight-decay",
            "0.5",
            "--clip",
            "2.5",
            "--test-fraction",
            "0.3",
            "--no-progress",
            "--quiet",
            "--log-every",
            "5",
            "--stop-after",
            "2",
        ];
        let top = parse(&flags).unwrap();
        let sub = parse(&[&["train"][..], &flags].concat()).unwrap();
        assert!(matches!(sub.command, Some(Command::Train(_))));
        for cli in [top, sub] {
            let a = cli.train_args();
            assert_eq!(a.dataset, DataSource::Bundled(BundledName::Wine));
            let h = &a.hyper;
            assert_eq!(
                (h.model, h.hidden, h.optimizer),
                (Some(ModelKind::Logreg), Some(7), Some(OptimizerKind::Nesterov))
            );
            assert_eq!(
                (h.lr, h.schedule, h.epochs, h.batch_size),
                (Some(0.3), Some(ScheduleKind::Step), Some(3), Some(9))
            );
            assert_eq!(h.weight_decay, Some(0.5));
            assert_eq!((a.seed, a.precision, a.runtime.threads), (17, Precision::F64, 1));
            assert_eq!((a.clip, a.test_fraction, a.output.no_progress), (Some(2.5), 0.3, true));
            assert_eq!(a.output.out, Some(PathBuf::from("/tmp/x")));
            assert_eq!((a.output.quiet, a.output.log_every, a.stop_after), (true, 5, Some(2)));
        }
    }

    #[test]
    fn paths_are_csv_files_or_idx_folders() {
        let dir = std::env::temp_dir().join(format!("wengert-cli-paths-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let csv = dir.join("toy.csv");
        std::fs::write(&csv, "a,b,label\n1,2,0\n3,4,1\n").unwrap();
        let dataset = |p: &PathBuf| parse(&["--dataset", p.to_str().unwrap()]).unwrap().train.dataset;
        assert_eq!(dataset(&csv), DataSource::Csv(csv.clone()));
        assert_eq!(dataset(&dir), DataSource::IdxDir(dir.clone()));
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn bad_values_are_rejected_with_the_flag_named() {
        for (args, needle) in [
            (&["--lr", "-1"][..], "--lr"),
            (&["train", "--lr", "-1"], "--lr"),
            (&["--lr", "abc"], "--lr"),
            (&["--lr", "NaN"], "--lr"),
            (&["--epochs", "0"], "--epochs"),
            (&["--batch-size", "1.5"], "--batch-size"),
            (&["--hidden", "-3"], "--hidden"),
            (&["--optimizer", "adamx"], "--optimizer"),
            (&["--schedule", "linear"], "--schedule"),
            (&["--precision", "f16"], "--precision"),
            (&["--model", "cnn"], "--model"),
            (&["--weight-decay", "-0.1"], "--weight-decay"),
            (&["--clip", "0"], "--clip"),
            (&["--test-fraction", "1"], "--test-fraction"),
            (&["--threads", "0"], "--threads"),
            (&["--dataset", "cifar"], "--dataset"),
            (&["--no-such-flag"], "--no-such-flag"),
            (&["--dataset", "iris", "train"], "train"),
            (&["--log-every", "0"], "--log-every"),
            (&["--stop-after", "0"], "--stop-after"),
            (&["--resume", "x.safetensors", "--lr", "0.1"], "--lr"),
            (&["--resume", "x.safetensors", "--dataset", "iris"], "--dataset"),
            (&["train", "--resume", "x.safetensors", "--seed", "1"], "--seed"),
            (&["predict", "--input", "x.csv"], "provided: --checkpoint <FILE> (see"),
            (&["eval", "--checkpoint", "x.safetensors"], "provided: --input <CSV|IDX> (see"),
        ] {
            let err = parse(args).expect_err(&format!("{args:?} must be rejected"));
            let first = args::short_error(&err).lines().next().unwrap().to_string();
            assert!(first.starts_with("error: ") && first.contains(needle), "{args:?}: {first}");
            assert!(first.ends_with("(see --help)"), "{first}");
        }
    }

    #[test]
    fn resume_takes_epochs_and_the_output_and_runtime_flags() {
        let cli =
            parse(&["--resume", "out/iris_mlp.safetensors", "--epochs", "12", "--out", "o", "--threads", "1"]).unwrap();
        let a = cli.train_args();
        assert_eq!(a.resume, Some(PathBuf::from("out/iris_mlp.safetensors")));
        assert_eq!((a.hyper.epochs, a.output.out.clone(), a.runtime.threads), (Some(12), Some(PathBuf::from("o")), 1));
    }

    #[test]
    fn predict_and_eval_take_a_checkpoint_and_an_input() {
        let cli =
            parse(&["predict", "--checkpoint", "c.safetensors", "--input", "x.csv", "--output", "p.csv"]).unwrap();
        match cli.command {
            Some(Command::Predict(p)) => {
                assert_eq!(p.model_input.checkpoint, PathBuf::from("c.safetensors"));
                assert_eq!((p.model_input.input, p.output), (PathBuf::from("x.csv"), Some(PathBuf::from("p.csv"))));
            }
            other => panic!("{other:?}"),
        }
        let cli = parse(&["eval", "--checkpoint", "c", "--input", "t10k.gz", "--labels", "l.gz"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Eval(e)) if e.model_input.labels == Some(PathBuf::from("l.gz"))));
    }

    #[test]
    fn errors_keep_clap_hints_but_not_the_usage_block() {
        let wrong_value = args::short_error(&parse(&["--optimizer", "adamx"]).unwrap_err());
        assert!(wrong_value.contains("[possible values: sgd, momentum,") && wrong_value.contains("adafactor]"));
        assert!(wrong_value.contains("tip: a similar value exists: 'adam'"), "{wrong_value}");
        let misspelt = args::short_error(&parse(&["--datset", "iris"]).unwrap_err());
        assert!(misspelt.contains("tip: a similar argument exists: '--dataset'"), "{misspelt}");
        for e in [&wrong_value, &misspelt] {
            assert!(!e.contains("Usage:") && !e.contains("For more information") && !e.contains("\n\n"), "{e}");
            assert!(e.lines().count() <= 3, "short: {e}");
        }
        let err = args::short_error(&parse(&["--dataset", "cifar"]).unwrap_err());
        assert_eq!(
            err,
            "error: invalid value 'cifar' for '--dataset <NAME|PATH>': not a bundled dataset (mnist, digits, \
             breast-cancer, iris, wine, diabetes, wine-quality) and no such file or folder (see --help)"
        );
    }

    #[test]
    fn help_documents_every_flag_with_its_defaults() {
        for help in [
            Cli::command().render_long_help().to_string(),
            Cli::command().find_subcommand_mut("train").unwrap().render_long_help().to_string(),
        ] {
            for flag in [
                "--dataset",
                "--model",
                "--hidden",
                "--optimizer",
                "--lr",
                "--schedule",
                "--epochs",
                "--batch-size",
                "--seed",
                "--precision",
                "--out",
                "--threads",
                "--weight-decay",
                "--clip",
                "--test-fraction",
                "--no-progress",
                "--quiet",
                "--log-every",
                "--resume",
                "--stop-after",
            ] {
                let line = help
                    .lines()
                    .find(|l| l.trim_start().starts_with(flag) || l.contains(&format!(", {flag}")))
                    .unwrap_or_else(|| panic!("{flag}"));
                let after = help.split(line).nth(1).unwrap();
                assert!(after.lines().nth(1).is_some_and(|l| !l.trim().is_empty()), "{flag} has a description");
            }
            for value in ["adamw", "warmup-cosine", "logreg", "f64"] {
                assert!(help.contains(value), "possible value {value} listed");
            }
            // The defaults come from the table (see defaults.rs), the real-valued rule included.
            assert!(help
                .contains("Model [default: logreg for breast-cancer, linreg for real-valued targets, mlp otherwise]"));
            assert!(help
                .contains("Passes over the training set [default: 8 for mnist, 40 for digits, 60 for breast-cancer"));
        }
        let top = Cli::command().render_long_help().to_string();
        for line in
            ["train    Trains a model", "predict  Predicts with a trained model", "eval     Evaluates a trained model"]
        {
            assert!(top.contains(line), "{line} in\n{top}");
        }
    }
}
