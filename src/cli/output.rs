//! What the training command writes: its output files (the checkpoint, the
//! metrics log, the loss curve), the console log (the run's description, one
//! line per epoch, the summary), and the flags that control both
//! ([`OutputArgs`]).
//!
//! Why one file: a new output — a metrics file, a quieter log — changes what
//! is written and its flag together, here. Every line goes through
//! [`Console`], so `--quiet` and `--log-every` have one place to act.

use std::fmt::{Display, Write as _};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::Args;
use wengert_nn::data::Prepared;
use wengert_nn::train::{ConfusionMatrix, EpochRecord, History};
use wengert_nn::NnError;

use super::args::positive_usize;
use super::choices::{spelling, ModelKind};
use super::run::RunSettings;

/// Where and how the training command reports.
#[derive(Clone, Debug, Args)]
pub struct OutputArgs {
    /// Output folder for the checkpoint, the metrics log and the loss curve
    /// (created if missing) [default: out, or with --resume the checkpoint's folder].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Do not show the progress bar (it is never shown when stdout is not a terminal).
    #[arg(long)]
    pub no_progress: bool,
    /// Print nothing (errors still go to stderr); the files are written as usual.
    #[arg(long, short)]
    pub quiet: bool,
    /// Print the line of every N-th epoch only (and of the first and the last).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = positive_usize)]
    pub log_every: usize,
}

impl OutputArgs {
    /// The output folder: `--out`, else `fallback`.
    pub fn folder(&self, fallback: &Path) -> PathBuf {
        self.out.clone().unwrap_or_else(|| fallback.to_path_buf())
    }
}

/// The files a training run writes into its output folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputFiles {
    /// `<dataset>_<model>`: what the files are named after.
    pub stem: String,
    /// `<out>/<stem>.safetensors`: the training checkpoint, written after
    /// every epoch.
    pub checkpoint: PathBuf,
    /// `<out>/<stem>_metrics.csv`: one line per epoch, rewritten after every
    /// epoch.
    pub metrics: PathBuf,
    /// `<out>/<stem>_loss.svg`.
    pub loss_curve: PathBuf,
}

impl OutputFiles {
    /// The files of a run of `model` on the dataset named `dataset`, in `out`.
    pub fn new(out: &Path, dataset: &str, model: ModelKind) -> Self {
        let stem = format!("{dataset}_{}", spelling(&model));
        OutputFiles {
            checkpoint: out.join(format!("{stem}.safetensors")),
            metrics: out.join(format!("{stem}_metrics.csv")),
            loss_curve: out.join(format!("{stem}_loss.svg")),
            stem,
        }
    }

    /// Writes the metrics log of `history` ([`metrics_csv`]).
    pub fn write_metrics(&self, history: &History) -> Result<(), NnError> {
        std::fs::write(&self.metrics, metrics_csv(history)).map_err(|e| NnError::Output {
            path: self.metrics.clone(),
            message: format!("cannot write the metrics log: {e}"),
        })
    }

    /// Creates the output folder if it is missing.
    pub fn create_folder(out: &Path) -> Result<(), NnError> {
        std::fs::create_dir_all(out).map_err(|e| NnError::Output {
            path: out.to_path_buf(),
            message: format!("cannot create the output folder: {e}"),
        })
    }
}

/// The metrics log: a header, then per epoch its number, the optimizer steps
/// so far, the training loss and accuracy (running, over the epoch's
/// batches), the test loss and accuracy, the learning rate of its last step,
/// the last sharpness measured during it (`--sharpness-every`; every
/// measurement is in the checkpoint and the plot) and its wall time in
/// seconds. Numbers are written in full (they read back to the same bits); an
/// accuracy of a real-valued target, a test number of a run without a test
/// set, or the sharpness of an epoch without a measurement is left empty.
pub fn metrics_csv(history: &History) -> String {
    let mut s =
        String::from("epoch,step,train_loss,train_accuracy,test_loss,test_accuracy,learning_rate,sharpness,seconds\n");
    let opt = |x: Option<f64>| x.map_or_else(String::new, |v| v.to_string());
    let mut previous_step = 0;
    for r in &history.epochs {
        let v = r.valid.as_ref();
        let sharpness =
            history.sharpness.iter().rev().find(|m| m.step > previous_step && m.step <= r.step).map(|m| m.sharpness);
        previous_step = r.step;
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{:.3}",
            r.epoch,
            r.step,
            r.train_loss,
            opt(r.train_accuracy),
            opt(v.map(|v| v.loss)),
            opt(v.and_then(|v| v.accuracy)),
            r.learning_rate,
            opt(sharpness),
            r.seconds
        );
    }
    s
}

/// The console log of a training run (stdout).
#[derive(Clone, Debug)]
pub struct Console {
    epochs: usize,
    first: usize,
    progress: bool,
    quiet: bool,
    log_every: usize,
}

impl Console {
    /// A log for a run of `epochs` epochs, as `args` ask.
    pub fn new(args: &OutputArgs, epochs: usize) -> Self {
        Console {
            epochs,
            first: 1,
            progress: !args.no_progress && !args.quiet,
            quiet: args.quiet,
            log_every: args.log_every,
        }
    }

    /// The same log for a run continued after `done` epochs: its first line is
    /// of epoch `done + 1`.
    pub fn resumed_after(self, done: usize) -> Self {
        Console { first: done + 1, ..self }
    }

    /// Whether the training loop may show its progress bar (it does so only
    /// when stdout is a terminal).
    pub fn shows_progress(&self) -> bool {
        self.progress
    }

    /// Prints one line (or block) of the log, unless `--quiet`. A closed
    /// stdout (`wengert … | head`) is not an error: the run goes on and
    /// writes its files.
    pub fn say(&self, text: impl Display) {
        if !self.quiet {
            let _ = writeln!(std::io::stdout().lock(), "{text}");
        }
    }

    /// Whether epoch `epoch`'s line is printed: every `--log-every`-th, and
    /// the first (of this process) and the last.
    pub fn logs_epoch(&self, epoch: usize) -> bool {
        epoch == self.first || epoch == self.epochs || epoch.is_multiple_of(self.log_every)
    }

    /// Prints the line of a finished epoch (if `--log-every` lets it).
    pub fn epoch(&self, record: &EpochRecord) {
        if self.logs_epoch(record.epoch) {
            self.say(epoch_line(record, self.epochs));
        }
    }

    /// Prints the end of the run: the confusion matrix (for class labels),
    /// the total time with the final test number, and the files written.
    /// `earlier` is the training time of a resumed run before this process.
    pub fn summary(&self, history: &History, seconds: f64, earlier: f64, files: &OutputFiles) {
        let last = history.epochs.last().and_then(|r| r.valid.as_ref());
        if let Some(cm) = last.and_then(|v| v.confusion.as_ref()) {
            self.say(confusion_block(cm));
        }
        // A resumed run trained `earlier` seconds before this process started.
        let training = if earlier > 0.0 {
            format!("training {:.2} s, {:.2} s over the whole run", history.seconds - earlier, history.seconds)
        } else {
            format!("training {:.2} s", history.seconds)
        };
        match last {
            Some(v) => match v.accuracy {
                Some(a) => {
                    self.say(format!("total {seconds:.2} s ({training}); final test accuracy {:.2}%", 100.0 * a))
                }
                None => self.say(format!(
                    "total {seconds:.2} s ({training}); final test mse {:.4} (rmse {:.4})",
                    v.loss,
                    v.loss.sqrt()
                )),
            },
            None => self.say(format!("total {seconds:.2} s ({training})")),
        }
        self.say(format!(
            "wrote {}, {} and {}",
            files.checkpoint.display(),
            files.metrics.display(),
            files.loss_curve.display()
        ));
    }
}

fn confusion_block(cm: &ConfusionMatrix) -> String {
    format!("test confusion matrix (rows: true class, columns: predicted):\n{cm}")
}

/// `n thing` or `n things`.
pub fn count(n: usize, thing: &str) -> String {
    if n == 1 {
        format!("1 {thing}")
    } else {
        format!("{n} {thing}s")
    }
}

/// The two lines that open the log: the data, then the model and every
/// setting, with each choice spelled as its flag value.
pub fn describe(run: &RunSettings, threads: usize, data: &Prepared) -> String {
    let hyper = &run.hyper;
    let (n, d) = (data.train.len(), data.train.n_features());
    let mut s = format!("dataset {}: {n} train / {} test examples, {d} features", run.dataset.name(), data.test.len());
    match data.classes {
        Some(k) => {
            let _ = write!(s, ", {k} classes");
            // Say which label each class stands for, unless it is its own index.
            if let Some(map) = data.class_map().filter(|m| !m.is_identity()) {
                let _ = write!(s, " (labels {map})");
            }
        }
        None => s.push_str(", real-valued target"),
    }
    let _ = write!(
        s,
        "\nmodel {}, {} precision; optimizer {}, lr {}, schedule {}, weight decay {}, {}, batch {}, seed {}, {}",
        hyper.model.describe(hyper.hidden, d, data.classes),
        spelling(&run.precision),
        spelling(&hyper.optimizer),
        hyper.lr,
        spelling(&hyper.schedule),
        hyper.weight_decay,
        count(hyper.epochs, "epoch"),
        hyper.batch_size,
        run.seed,
        count(threads, "thread"),
    );
    if let Some(c) = run.clip {
        let _ = write!(s, ", clip {c}");
    }
    s
}

/// One line of the per-epoch log.
pub fn epoch_line(r: &EpochRecord, epochs: usize) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use wengert_nn::data::{prepare, DataSource};

    use crate::cli::defaults::Row;
    use crate::cli::Cli;

    fn described(args: &[&str]) -> String {
        let cli = Cli::try_parse_from(std::iter::once("wengert").chain(args.iter().copied())).unwrap();
        let args = cli.train_args();
        let data = args.dataset.load().unwrap();
        let run = RunSettings::from_flags(args, Row::Iris);
        let prepared = prepare(data, run.hyper.model.target(), args.test_fraction, args.seed).unwrap();
        describe(&run, args.runtime.threads, &prepared)
    }

    #[test]
    fn the_description_spells_choices_as_flags_and_counts_in_words() {
        let text = described(&["--dataset", "iris", "--schedule", "warmup-cosine", "--epochs", "1", "--threads", "1"]);
        assert_eq!(
            text,
            "dataset iris: 120 train / 30 test examples, 4 features, 3 classes\n\
             model mlp 4-16-3, f32 precision; optimizer adam, lr 0.01, schedule warmup-cosine, weight decay 0, \
             1 epoch, batch 16, seed 42, 1 thread"
        );
        let text = described(&[
            "--dataset",
            "iris",
            "--precision",
            "f64",
            "--optimizer",
            "adamw",
            "--clip",
            "2",
            "--threads",
            "2",
        ]);
        assert!(
            text.ends_with(
                "f64 precision; optimizer adamw, lr 0.01, schedule cosine, weight decay 0, 150 epochs, \
                                batch 16, seed 42, 2 threads, clip 2"
            ),
            "{text}"
        );
    }

    fn output_args(no_progress: bool, quiet: bool, log_every: usize) -> OutputArgs {
        OutputArgs { out: None, no_progress, quiet, log_every }
    }

    #[test]
    fn no_progress_and_quiet_turn_the_bar_off() {
        assert!(Console::new(&output_args(false, false, 1), 3).shows_progress());
        assert!(!Console::new(&output_args(true, false, 1), 3).shows_progress());
        assert!(!Console::new(&output_args(false, true, 1), 3).shows_progress());
    }

    #[test]
    fn log_every_keeps_the_first_the_last_and_every_nth_epoch() {
        let console = Console::new(&output_args(false, false, 50), 200);
        let logged: Vec<usize> = (1..=200).filter(|&e| console.logs_epoch(e)).collect();
        assert_eq!(logged, [1, 50, 100, 150, 200]);
        let every = Console::new(&output_args(false, false, 1), 3);
        assert!((1..=3).all(|e| every.logs_epoch(e)));
        let resumed = Console::new(&output_args(false, false, 50), 150).resumed_after(50);
        let logged: Vec<usize> = (51..=150).filter(|&e| resumed.logs_epoch(e)).collect();
        assert_eq!(logged, [51, 100, 150]);
    }

    #[test]
    fn the_metrics_log_has_a_line_per_epoch_with_empty_cells_for_what_does_not_apply() {
        use wengert_nn::train::{Evaluation, SharpnessRecord};
        let record = |epoch: usize, valid: Option<Evaluation>, acc: Option<f64>| EpochRecord {
            epoch,
            train_loss: 0.5 / epoch as f64,
            train_accuracy: acc,
            valid,
            learning_rate: 1e-3,
            seconds: 0.25,
            step: 10 * epoch as u64,
        };
        let ev = Evaluation { examples: 4, loss: 0.1, accuracy: Some(0.75), confusion: None };
        let history = History {
            epochs: vec![record(1, Some(ev.clone()), Some(0.5)), record(2, None, None)],
            ..History::default()
        };
        assert_eq!(
            metrics_csv(&history),
            "epoch,step,train_loss,train_accuracy,test_loss,test_accuracy,learning_rate,sharpness,seconds\n\
             1,10,0.5,0.5,0.1,0.75,0.001,,0.250\n\
             2,20,0.25,,,,0.001,,0.250\n"
        );
        // The last measurement of each epoch; the one at step 0 precedes epoch 1.
        let measured =
            |step: u64, sharpness: f64| SharpnessRecord { step, sharpness, learning_rate: 1e-3, lanczos_steps: 20 };
        let history = History {
            epochs: (1..=3).map(|e| record(e, None, None)).collect(),
            sharpness: vec![measured(0, 1.0), measured(8, 2.0), measured(10, 2.5), measured(24, 4.0)],
            ..History::default()
        };
        let cells: Vec<String> =
            metrics_csv(&history).lines().skip(1).map(|l| l.split(',').nth(7).unwrap().to_string()).collect();
        assert_eq!(cells, ["2.5", "", "4"]);
    }

    #[test]
    fn classes_that_are_not_their_own_index_are_listed() {
        let dir = std::env::temp_dir().join(format!("wengert-cli-labels-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let csv = dir.join("codes.csv");
        let rows: String = (0..30).map(|i| format!("{i},{},{}\n", i % 3, [3, 7, 100000][i % 3])).collect();
        std::fs::write(&csv, format!("a,b,code\n{rows}")).unwrap();
        let text = described(&["--dataset", csv.to_str().unwrap(), "--threads", "1"]);
        std::fs::remove_dir_all(&dir).ok();
        assert!(
            text.starts_with(
                "dataset codes: 24 train / 6 test examples, 2 features, 3 classes (labels 3, 7, 100000)\n"
            ),
            "{text}"
        );
        let text = described(&["--dataset", "iris"]);
        assert!(text.starts_with("dataset iris: 120 train / 30 test examples, 4 features, 3 classes\n"), "{text}");
    }

    #[test]
    fn files_are_named_after_the_dataset_and_the_model() {
        let files =
            OutputFiles::new(Path::new("out"), &DataSource::Csv("x/My Table.csv".into()).name(), ModelKind::Linreg);
        assert_eq!(files.checkpoint, Path::new("out/My Table_linreg.safetensors"));
        assert_eq!(files.loss_curve, Path::new("out/My Table_linreg_loss.svg"));
        assert_eq!(files.metrics, Path::new("out/My Table_linreg_metrics.csv"));
    }
}
