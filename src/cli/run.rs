//! The settings of one training run, resolved from the flags (and the
//! dataset's defaults), and how they are kept in the run's checkpoint so
//! that `--resume` continues with exactly the same ones.
//!
//! Why its own type: a fresh run takes its settings from the command line, a
//! resumed one from the checkpoint; everything after that (the log, the
//! model, the optimizer, the schedule, the files) reads one [`RunSettings`]
//! and cannot tell the two apart. The checkpoint keeps them as metadata
//! entries `cli.<flag>` holding what the flag would hold, so `wengert` can
//! read them back and a person can read them with any safetensors tool.

use std::collections::BTreeMap;
use std::path::Path;

use clap::ValueEnum;
use wengert_nn::data::DataSource;
use wengert_nn::NnError;

use super::choices::{spelling, Precision};
use super::defaults::{Hyperparams, Row};
use super::train::TrainArgs;

/// Everything a training run depends on besides the data's contents.
#[derive(Clone, Debug, PartialEq)]
pub struct RunSettings {
    /// Where the data comes from.
    pub dataset: DataSource,
    /// The resolved hyper-parameters.
    pub hyper: Hyperparams,
    /// Seed of the weights, the split and the batch order.
    pub seed: u64,
    /// Element type.
    pub precision: Precision,
    /// Global-norm clipping.
    pub clip: Option<f64>,
    /// Held-out fraction of a single table.
    pub test_fraction: f64,
}

/// The prefix of the checkpoint's metadata entries that hold the settings.
const PREFIX: &str = "cli.";

impl RunSettings {
    /// The settings of a fresh run: the flags, and the row of the defaults
    /// table the data falls in for the ones left out.
    pub fn from_flags(args: &TrainArgs, row: Row) -> Self {
        RunSettings {
            dataset: args.dataset.clone(),
            hyper: Hyperparams::resolve(row, &args.hyper),
            seed: args.seed,
            precision: args.precision,
            clip: args.clip,
            test_fraction: args.test_fraction,
        }
    }

    /// The settings as metadata entries (`cli.dataset`, `cli.lr`, …), each
    /// written as its flag's value; a dataset path is made absolute so the
    /// checkpoint can be resumed from any folder.
    pub fn to_entries(&self) -> BTreeMap<String, String> {
        let dataset = match &self.dataset {
            DataSource::Bundled(name) => name.name().to_string(),
            DataSource::Csv(p) | DataSource::IdxDir(p) => {
                std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()).display().to_string()
            }
        };
        let h = &self.hyper;
        let mut e = BTreeMap::new();
        let mut put = |k: &str, v: String| {
            e.insert(format!("{PREFIX}{k}"), v);
        };
        put("dataset", dataset);
        put("model", spelling(&h.model));
        put("hidden", h.hidden.to_string());
        put("optimizer", spelling(&h.optimizer));
        put("lr", h.lr.to_string());
        put("schedule", spelling(&h.schedule));
        put("epochs", h.epochs.to_string());
        put("batch-size", h.batch_size.to_string());
        put("weight-decay", h.weight_decay.to_string());
        put("seed", self.seed.to_string());
        put("precision", spelling(&self.precision));
        put("test-fraction", self.test_fraction.to_string());
        if let Some(c) = self.clip {
            put("clip", c.to_string());
        }
        e
    }

    /// The settings saved by [`to_entries`](Self::to_entries) in the
    /// checkpoint `file`. Fails, naming the entry, if one is missing or does
    /// not parse (a checkpoint written by the library, not by `wengert train`).
    pub fn from_entries(entries: &BTreeMap<String, String>, file: &Path) -> Result<Self, NnError> {
        let get = |k: &str| -> Result<&str, NnError> {
            entries.get(&format!("{PREFIX}{k}")).map(String::as_str).ok_or_else(|| {
                NnError::config(format!(
                    "{}: no `{PREFIX}{k}` entry; only a checkpoint written by `wengert train` can be resumed",
                    file.display()
                ))
            })
        };
        let bad = |k: &str, v: &str| {
            NnError::config(format!("{}: entry `{PREFIX}{k}` = `{v}` does not parse", file.display()))
        };
        fn parse<V: std::str::FromStr>(v: &str) -> Option<V> {
            v.parse().ok()
        }
        fn choice<E: ValueEnum>(v: &str) -> Option<E> {
            E::from_str(v, false).ok()
        }
        let dataset_text = get("dataset")?;
        let dataset = DataSource::from_name_or_path(dataset_text).ok_or_else(|| {
            NnError::config(format!(
                "{}: the run's dataset `{dataset_text}` is no longer there (not a bundled name, file or folder)",
                file.display()
            ))
        })?;
        macro_rules! read {
            ($k:expr, $f:expr) => {{
                let v = get($k)?;
                match $f(v) {
                    Some(x) => x,
                    None => return Err(bad($k, v)),
                }
            }};
        }
        let hyper = Hyperparams {
            model: read!("model", choice),
            hidden: read!("hidden", parse),
            optimizer: read!("optimizer", choice),
            lr: read!("lr", parse),
            schedule: read!("schedule", choice),
            epochs: read!("epochs", parse),
            batch_size: read!("batch-size", parse),
            weight_decay: read!("weight-decay", parse),
        };
        let clip = match entries.get(&format!("{PREFIX}clip")) {
            Some(_) => Some(read!("clip", parse)),
            None => None,
        };
        Ok(RunSettings {
            dataset,
            hyper,
            seed: read!("seed", parse),
            precision: read!("precision", choice),
            clip,
            test_fraction: read!("test-fraction", parse),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use wengert_nn::data::BundledName;

    use super::super::choices::{ModelKind, OptimizerKind, ScheduleKind};
    use super::*;

    fn settings() -> RunSettings {
        RunSettings {
            dataset: DataSource::Bundled(BundledName::Wine),
            hyper: Hyperparams {
                model: ModelKind::Mlp,
                hidden: 7,
                optimizer: OptimizerKind::Adamw,
                lr: 0.1 + 0.2,
                schedule: ScheduleKind::WarmupCosine,
                epochs: 3,
                batch_size: 9,
                weight_decay: 1e-4,
            },
            seed: u64::MAX,
            precision: Precision::F64,
            clip: Some(2.5),
            test_fraction: 0.3,
        }
    }

    #[test]
    fn settings_come_back_from_their_entries_to_the_bit() {
        let s = settings();
        let entries = s.to_entries();
        assert_eq!(entries["cli.schedule"], "warmup-cosine");
        assert_eq!(entries["cli.lr"], "0.30000000000000004");
        assert_eq!(RunSettings::from_entries(&entries, Path::new("x")).unwrap(), s);
        let no_clip = RunSettings { clip: None, ..s };
        assert_eq!(RunSettings::from_entries(&no_clip.to_entries(), Path::new("x")).unwrap(), no_clip);
    }

    #[test]
    fn a_missing_or_bad_entry_is_named() {
        let mut entries = settings().to_entries();
        entries.remove("cli.seed");
        let err = RunSettings::from_entries(&entries, &PathBuf::from("run.safetensors")).unwrap_err().to_string();
        assert_eq!(
            err,
            "run.safetensors: no `cli.seed` entry; only a checkpoint written by `wengert train` can be resumed"
        );
        let mut entries = settings().to_entries();
        entries.insert("cli.optimizer".into(), "adamx".into());
        let err = RunSettings::from_entries(&entries, Path::new("r")).unwrap_err().to_string();
        assert_eq!(err, "r: entry `cli.optimizer` = `adamx` does not parse");
    }
}
