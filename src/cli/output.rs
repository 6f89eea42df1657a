//! What the training command writes: its output files' names, the console
//! log (the run's description, one line per epoch, the summary), and the flags
//! that control both ([`OutputArgs`]).
//!
//! Why one file: a new output — a metrics file, a quieter log — changes what
//! is written and its flag together, here. Every line goes through
//! [`Console`], so a flag that silences or thins the log has one place to act.

use std::fmt::{Display, Write as _};
use std::path::{Path, PathBuf};

use clap::Args;
use wengert_nn::data::Prepared;
use wengert_nn::train::{ConfusionMatrix, EpochRecord, History};
use wengert_nn::NnError;

use super::choices::{spelling, ModelKind};
use super::defaults::Hyperparams;
use super::train::TrainArgs;

/// Where and how the training command reports.
#[derive(Clone, Debug, Args)]
pub struct OutputArgs {
    /// Output folder for the loss curve and the checkpoint (created if missing).
    #[arg(long, default_value = "out", value_name = "DIR")]
    pub out: PathBuf,
    /// Do not show the progress bar (it is never shown when stdout is not a terminal).
    #[arg(long)]
    pub no_progress: bool,
}

/// The files a training run writes into `--out`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputFiles {
    /// `<dataset>_<model>`: what the files are named after.
    pub stem: String,
    /// `<out>/<stem>.safetensors`.
    pub checkpoint: PathBuf,
    /// `<out>/<stem>_loss.svg`.
    pub loss_curve: PathBuf,
}

impl OutputFiles {
    /// The files of a run of `model` on the dataset named `dataset`, in `out`.
    pub fn new(out: &Path, dataset: &str, model: ModelKind) -> Self {
        let stem = format!("{dataset}_{}", spelling(&model));
        OutputFiles {
            checkpoint: out.join(format!("{stem}.safetensors")),
            loss_curve: out.join(format!("{stem}_loss.svg")),
            stem,
        }
    }

    /// Creates the output folder if it is missing.
    pub fn create_folder(out: &Path) -> Result<(), NnError> {
        std::fs::create_dir_all(out).map_err(|e| NnError::Output {
            path: out.to_path_buf(),
            message: format!("cannot create the output folder: {e}"),
        })
    }
}

/// The console log of a training run (stdout).
#[derive(Clone, Debug)]
pub struct Console {
    epochs: usize,
    progress: bool,
}

impl Console {
    /// A log for a run of `epochs` epochs, as `args` ask.
    pub fn new(args: &OutputArgs, epochs: usize) -> Self {
        Console { epochs, progress: !args.no_progress }
    }

    /// Whether the training loop may show its progress bar (it does so only
    /// when stdout is a terminal).
    pub fn shows_progress(&self) -> bool {
        self.progress
    }

    /// Prints one line (or block) of the log.
    pub fn say(&self, text: impl Display) {
        println!("{text}");
    }

    /// Prints the line of a finished epoch.
    pub fn epoch(&self, record: &EpochRecord) {
        self.say(epoch_line(record, self.epochs));
    }

    /// Prints the end of the run: the confusion matrix (for class labels),
    /// the total time with the final test number, and the files written.
    pub fn summary(&self, history: &History, seconds: f64, files: &OutputFiles) {
        let last = history.epochs.last().and_then(|r| r.valid.as_ref());
        if let Some(cm) = last.and_then(|v| v.confusion.as_ref()) {
            self.say(confusion_block(cm));
        }
        let training = history.seconds;
        match last {
            Some(v) => match v.accuracy {
                Some(a) => self.say(format!(
                    "total {seconds:.2} s (training {training:.2} s); final test accuracy {:.2}%",
                    100.0 * a
                )),
                None => self.say(format!(
                    "total {seconds:.2} s (training {training:.2} s); final test mse {:.4} (rmse {:.4})",
                    v.loss,
                    v.loss.sqrt()
                )),
            },
            None => self.say(format!("total {seconds:.2} s (training {training:.2} s)")),
        }
        self.say(format!("wrote {} and {}", files.checkpoint.display(), files.loss_curve.display()));
    }
}

fn confusion_block(cm: &ConfusionMatrix) -> String {
    format!("test confusion matrix (rows: true class, columns: predicted):\n{cm}")
}

/// `n thing` or `n things`.
fn count(n: usize, thing: &str) -> String {
    if n == 1 {
        format!("1 {thing}")
    } else {
        format!("{n} {thing}s")
    }
}

/// The two lines that open the log: the data, then the model and every
/// setting, with each choice spelled as its flag value.
pub fn describe(args: &TrainArgs, hyper: &Hyperparams, data: &Prepared) -> String {
    let (n, d) = (data.train.len(), data.train.n_features());
    let mut s = format!("dataset {}: {n} train / {} test examples, {d} features", args.dataset.name(), data.test.len());
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
        spelling(&args.precision),
        spelling(&hyper.optimizer),
        hyper.lr,
        spelling(&hyper.schedule),
        hyper.weight_decay,
        count(hyper.epochs, "epoch"),
        hyper.batch_size,
        args.seed,
        count(args.runtime.threads, "thread"),
    );
    if let Some(c) = args.clip {
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
        let hyper = Hyperparams::resolve(Row::Iris, &args.hyper);
        let prepared = prepare(data, hyper.model.target(), args.test_fraction, args.seed).unwrap();
        describe(args, &hyper, &prepared)
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
        let text = described(&["--dataset", "iris", "--precision", "f64", "--optimizer", "adamw", "--clip", "2"]);
        assert!(
            text.ends_with(
                "f64 precision; optimizer adamw, lr 0.01, schedule cosine, weight decay 0, 150 epochs, \
                                batch 16, seed 42, 2 threads, clip 2"
            ),
            "{text}"
        );
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
    fn no_progress_turns_the_bar_off() {
        let args = |no_progress| OutputArgs { out: PathBuf::from("out"), no_progress };
        assert!(Console::new(&args(false), 3).shows_progress());
        assert!(!Console::new(&args(true), 3).shows_progress());
    }

    #[test]
    fn files_are_named_after_the_dataset_and_the_model() {
        let files =
            OutputFiles::new(Path::new("out"), &DataSource::Csv("x/My Table.csv".into()).name(), ModelKind::Linreg);
        assert_eq!(files.checkpoint, Path::new("out/My Table_linreg.safetensors"));
        assert_eq!(files.loss_curve, Path::new("out/My Table_linreg_loss.svg"));
    }
}
