//! The hyper-parameters that depend on the dataset: their flags
//! ([`HyperFlags`]), the per-dataset defaults ([`Row::defaults`], the only place
//! they are written), the few rules on top (`--lr` with SGD, `--weight-decay`
//! with logreg) and the `[default: …]` text of `--help`, generated from the
//! table so that it cannot drift from it.
//!
//! Every flag has a per-dataset default, so `wengert --dataset iris` just
//! works. The defaults were chosen so that each dataset reaches its target
//! accuracy (MNIST ≥ 98 %, digits ≥ 95 %, breast cancer ≥ 95 %, iris and
//! wine ≥ 90 %; see docs/nn.md for measurements).
//!
//! To add a hyper-parameter with per-dataset defaults: a field in
//! [`Hyperparams`] and [`HyperFlags`], its value in the table, one line in
//! [`Hyperparams::resolve`].

use clap::Args;
use wengert_nn::data::{BundledName, DataSource, TargetKind};

use super::args::{nonnegative_f64, positive_f64, positive_usize};
use super::choices::{spelling, ModelKind, OptimizerKind, ScheduleKind};

/// The resolved hyper-parameters of a training run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hyperparams {
    /// Model.
    pub model: ModelKind,
    /// Hidden units of the mlp.
    pub hidden: usize,
    /// Optimizer.
    pub optimizer: OptimizerKind,
    /// Peak learning rate.
    pub lr: f64,
    /// Learning-rate schedule.
    pub schedule: ScheduleKind,
    /// Passes over the training set.
    pub epochs: usize,
    /// Examples per optimizer step.
    pub batch_size: usize,
    /// Weight decay, or the L2 penalty λ of logreg/linreg.
    pub weight_decay: f64,
}

/// Which row of the defaults table a run takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Row {
    /// MNIST, and any folder of MNIST-format IDX files.
    Mnist,
    /// The 8 × 8 digits.
    Digits,
    /// Breast cancer (logistic regression).
    BreastCancer,
    /// Iris.
    Iris,
    /// Wine.
    Wine,
    /// A real-valued target: diabetes, or a CSV whose target column is not
    /// class labels (linear regression).
    RealValued,
    /// Everything else: wine-quality and CSVs of class labels.
    Other,
}

impl Row {
    /// Every row, in the order `--help` lists them.
    pub const ALL: [Row; 7] =
        [Row::Mnist, Row::Digits, Row::BreastCancer, Row::Iris, Row::Wine, Row::RealValued, Row::Other];

    /// The row of a data source whose targets are of kind `target`.
    pub fn of(source: &DataSource, target: TargetKind) -> Row {
        match source {
            DataSource::Bundled(BundledName::Mnist) | DataSource::IdxDir(_) => Row::Mnist,
            DataSource::Bundled(BundledName::Digits) => Row::Digits,
            DataSource::Bundled(BundledName::BreastCancer) => Row::BreastCancer,
            DataSource::Bundled(BundledName::Iris) => Row::Iris,
            DataSource::Bundled(BundledName::Wine) => Row::Wine,
            // Diabetes' targets are integers but mean a disease progression score.
            DataSource::Bundled(BundledName::Diabetes) => Row::RealValued,
            _ if target == TargetKind::RealValued => Row::RealValued,
            _ => Row::Other,
        }
    }

    /// The defaults table.
    pub fn defaults(self) -> Hyperparams {
        const OTHER: Hyperparams = Hyperparams {
            model: ModelKind::Mlp,
            hidden: 64,
            optimizer: OptimizerKind::Adam,
            lr: 0.01,
            schedule: ScheduleKind::Cosine,
            epochs: 30,
            batch_size: 32,
            weight_decay: 0.0,
        };
        match self {
            Row::Mnist => Hyperparams {
                hidden: 256,
                optimizer: OptimizerKind::Adamw,
                lr: 2e-3,
                schedule: ScheduleKind::WarmupCosine,
                epochs: 8,
                batch_size: 128,
                weight_decay: 1e-4,
                ..OTHER
            },
            Row::Digits => Hyperparams { hidden: 128, lr: 3e-3, epochs: 40, ..OTHER },
            Row::BreastCancer => Hyperparams { model: ModelKind::Logreg, epochs: 60, weight_decay: 1e-3, ..OTHER },
            Row::Iris => Hyperparams { hidden: 16, epochs: 150, batch_size: 16, ..OTHER },
            Row::Wine => Hyperparams { hidden: 32, epochs: 100, batch_size: 16, ..OTHER },
            Row::RealValued => Hyperparams { model: ModelKind::Linreg, lr: 0.5, epochs: 200, ..OTHER },
            Row::Other => OTHER,
        }
    }

    /// How `--help` names the row.
    fn label(self) -> &'static str {
        match self {
            Row::Mnist => "mnist",
            Row::Digits => "digits",
            Row::BreastCancer => "breast-cancer",
            Row::Iris => "iris",
            Row::Wine => "wine",
            Row::RealValued => "real-valued targets",
            Row::Other => "otherwise",
        }
    }
}

/// The rule on top of the table for `--lr`, as `--help` states it.
const LR_RULE: &str = "0.05 with sgd, momentum and nesterov, a fifth of the dataset's value with lion";
/// The rule on top of the table for `--weight-decay`, as `--help` states it.
const WEIGHT_DECAY_RULE: &str = "1e-3 with logreg";

/// The flags of [`Hyperparams`]; one left out takes the dataset's default.
#[derive(Clone, Debug, Default, Args)]
pub struct HyperFlags {
    #[arg(long, value_enum, help = help("Model", |h| spelling(&h.model), None))]
    pub model: Option<ModelKind>,
    #[arg(long, value_parser = positive_usize, help = help("Hidden units of the mlp", |h| h.hidden.to_string(), None))]
    pub hidden: Option<usize>,
    #[arg(long, value_enum, help = help("Optimizer", |h| spelling(&h.optimizer), None))]
    pub optimizer: Option<OptimizerKind>,
    #[arg(long, value_parser = positive_f64, help = help("Peak learning rate", |h| number(h.lr), Some(LR_RULE)))]
    pub lr: Option<f64>,
    #[arg(long, value_enum, help = help("Learning-rate schedule", |h| spelling(&h.schedule), None))]
    pub schedule: Option<ScheduleKind>,
    #[arg(long, value_parser = positive_usize, help = help("Passes over the training set", |h| h.epochs.to_string(), None))]
    pub epochs: Option<usize>,
    #[arg(long, value_parser = positive_usize, help = help("Examples per optimizer step", |h| h.batch_size.to_string(), None))]
    pub batch_size: Option<usize>,
    #[arg(
        long,
        value_parser = nonnegative_f64,
        help = help(
            "Weight decay: decoupled for adamw and lion, L2 (added to the gradient) for the other optimizers, \
             the penalty λ of logreg/linreg",
            |h| number(h.weight_decay),
            Some(WEIGHT_DECAY_RULE),
        )
    )]
    pub weight_decay: Option<f64>,
}

impl Hyperparams {
    /// The hyper-parameters of a run on `row`: each flag given wins; a flag
    /// left out takes the row's value, except that `--lr` depends on the
    /// optimizer and `--weight-decay` on the model (the `*_RULE` texts).
    pub fn resolve(row: Row, flags: &HyperFlags) -> Hyperparams {
        let d = row.defaults();
        let model = flags.model.unwrap_or(d.model);
        let optimizer = flags.optimizer.unwrap_or(d.optimizer);
        let default_lr = match optimizer {
            OptimizerKind::Sgd | OptimizerKind::Momentum | OptimizerKind::Nesterov => 0.05,
            OptimizerKind::Lion => d.lr / 5.0,
            _ => d.lr,
        };
        let default_decay = if model == ModelKind::Logreg { 1e-3 } else { d.weight_decay };
        Hyperparams {
            model,
            hidden: flags.hidden.unwrap_or(d.hidden),
            optimizer,
            lr: flags.lr.unwrap_or(default_lr),
            schedule: flags.schedule.unwrap_or(d.schedule),
            epochs: flags.epochs.unwrap_or(d.epochs),
            batch_size: flags.batch_size.unwrap_or(d.batch_size),
            weight_decay: flags.weight_decay.unwrap_or(default_decay),
        }
    }
}

/// `what [default: v₁ for rows…, v₂ for rows…, v otherwise; rule]`: the table
/// column `value`, rows with equal values grouped, rows equal to
/// [`Row::Other`] left to "otherwise".
fn help(what: &str, value: impl Fn(&Hyperparams) -> String, rule: Option<&str>) -> String {
    let otherwise = value(&Row::Other.defaults());
    let mut groups: Vec<(String, Vec<&str>)> = Vec::new();
    for row in Row::ALL.into_iter().filter(|&r| r != Row::Other) {
        let v = value(&row.defaults());
        if v == otherwise {
            continue;
        }
        match groups.iter_mut().find(|(g, _)| *g == v) {
            Some((_, labels)) => labels.push(row.label()),
            None => groups.push((v, vec![row.label()])),
        }
    }
    let mut parts: Vec<String> = groups.into_iter().map(|(v, labels)| format!("{v} for {}", list(&labels))).collect();
    parts.push(format!("{otherwise} otherwise"));
    let rule = rule.map_or_else(String::new, |r| format!("; {r}"));
    format!("{what} [default: {}{rule}]", parts.join(", "))
}

/// `a`, `a and b`, `a, b and c`.
fn list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// A rate as people write it: `2e-3`, `0.01`, `0.5`, `0`.
fn number(x: f64) -> String {
    if x != 0.0 && x.abs() < 0.01 {
        format!("{x:e}")
    } else {
        x.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn each_row_resolves_to_its_defaults_without_flags() {
        let none = HyperFlags::default();
        let mnist = Hyperparams::resolve(Row::Mnist, &none);
        assert_eq!(
            mnist,
            Hyperparams {
                model: ModelKind::Mlp,
                hidden: 256,
                optimizer: OptimizerKind::Adamw,
                lr: 2e-3,
                schedule: ScheduleKind::WarmupCosine,
                epochs: 8,
                batch_size: 128,
                weight_decay: 1e-4,
            }
        );
        let bc = Hyperparams::resolve(Row::BreastCancer, &none);
        assert_eq!((bc.model, bc.weight_decay, bc.epochs), (ModelKind::Logreg, 1e-3, 60));
        let iris = Hyperparams::resolve(Row::Iris, &none);
        assert_eq!((iris.model, iris.hidden, iris.batch_size, iris.lr), (ModelKind::Mlp, 16, 16, 0.01));
        let reg = Hyperparams::resolve(Row::RealValued, &none);
        assert_eq!((reg.model, reg.lr, reg.epochs), (ModelKind::Linreg, 0.5, 200));
    }

    #[test]
    fn flags_win_and_the_rules_follow_the_chosen_optimizer_and_model() {
        let sgd = HyperFlags { optimizer: Some(OptimizerKind::Sgd), ..HyperFlags::default() };
        assert_eq!(Hyperparams::resolve(Row::Iris, &sgd).lr, 0.05);
        let lion = HyperFlags { optimizer: Some(OptimizerKind::Lion), ..HyperFlags::default() };
        assert_eq!(Hyperparams::resolve(Row::Iris, &lion).lr, 0.01 / 5.0);
        let logreg = HyperFlags { model: Some(ModelKind::Logreg), ..HyperFlags::default() };
        assert_eq!(Hyperparams::resolve(Row::Iris, &logreg).weight_decay, 1e-3);
        let explicit = HyperFlags { hidden: Some(99), lr: Some(0.3), weight_decay: Some(0.0), ..logreg };
        let h = Hyperparams::resolve(Row::Iris, &explicit);
        assert_eq!((h.hidden, h.lr, h.weight_decay), (99, 0.3, 0.0));
    }

    #[test]
    fn rows_follow_the_dataset_and_for_a_csv_its_target() {
        let csv = DataSource::Csv(PathBuf::from("t.csv"));
        assert_eq!(Row::of(&csv, TargetKind::RealValued), Row::RealValued);
        assert_eq!(Row::of(&csv, TargetKind::ClassLabels), Row::Other);
        assert_eq!(Row::of(&DataSource::IdxDir(PathBuf::from("d")), TargetKind::ClassLabels), Row::Mnist);
        let diabetes = DataSource::Bundled(BundledName::Diabetes);
        assert_eq!(Row::of(&diabetes, TargetKind::ClassLabels), Row::RealValued);
        let quality = DataSource::Bundled(BundledName::WineQuality);
        assert_eq!(Row::of(&quality, TargetKind::ClassLabels), Row::Other);
    }

    #[test]
    fn the_help_text_is_the_table() {
        assert_eq!(
            help("Hidden units", |h| h.hidden.to_string(), None),
            "Hidden units [default: 256 for mnist, 128 for digits, 16 for iris, 32 for wine, 64 otherwise]"
        );
        assert_eq!(
            help("Examples per optimizer step", |h| h.batch_size.to_string(), None),
            "Examples per optimizer step [default: 128 for mnist, 16 for iris and wine, 32 otherwise]"
        );
        assert_eq!(
            help("Model", |h| spelling(&h.model), None),
            "Model [default: logreg for breast-cancer, linreg for real-valued targets, mlp otherwise]"
        );
        assert_eq!(
            help("Peak learning rate", |h| number(h.lr), Some(LR_RULE)),
            "Peak learning rate [default: 2e-3 for mnist, 3e-3 for digits, 0.5 for real-valued targets, \
             0.01 otherwise; 0.05 with sgd, momentum and nesterov, a fifth of the dataset's value with lion]"
        );
        assert_eq!(list(&["a", "b", "c"]), "a, b and c");
        assert_eq!((number(1e-4), number(0.0), number(0.01)), ("1e-4".into(), "0".into(), "0.01".into()));
    }
}
