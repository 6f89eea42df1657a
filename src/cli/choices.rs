//! The named choices of the command line — `--model`, `--optimizer`,
//! `--schedule`, `--precision` — and what each name means: the model spec,
//! optimizer or schedule it builds, with the constants this program fixes
//! (β = 0.9, a floor of `--lr`/100, a 3 % warmup…).
//!
//! Why in one file: each variant's doc comment is its `--help` text, so the
//! documentation of a choice and the code it selects sit side by side; adding
//! a choice is a variant and a match arm here.

use clap::ValueEnum;
use wengert_nn::data::TargetKind;
use wengert_nn::ModelSpec;
use wengert_ops::Scalar;
use wengert_optim::{
    AdaGrad, Adafactor, Adam, AdamW, AmsGrad, Constant, CosineAnnealing, ExponentialDecay, Lion, Momentum, Nesterov,
    Optimizer, RmsProp, Schedule, Sgd, StepDecay, WarmRestarts, WarmupCosine,
};

/// The spelling of a choice on the command line (`warmup-cosine`), for
/// messages and logs that should match what the user types.
pub fn spelling<E: ValueEnum>(choice: &E) -> String {
    choice.to_possible_value().map_or_else(String::new, |v| v.get_name().to_string())
}

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

impl ModelKind {
    /// The target this model fits: linreg regresses on the targets as
    /// numbers, the others classify.
    pub fn target(self) -> TargetKind {
        match self {
            ModelKind::Linreg => TargetKind::RealValued,
            ModelKind::Mlp | ModelKind::Logreg => TargetKind::ClassLabels,
        }
    }

    /// The model spec and the weight decay left to the optimizer: `--weight-decay`
    /// is the penalty λ inside logreg's and linreg's loss, and the optimizer's
    /// decay for the mlp.
    pub fn spec(self, hidden: usize, weight_decay: f64) -> (ModelSpec, f64) {
        match self {
            ModelKind::Mlp => (ModelSpec::TwoLayerNet { hidden }, weight_decay),
            ModelKind::Logreg => (ModelSpec::LogisticRegression { l2: weight_decay }, 0.0),
            ModelKind::Linreg => (ModelSpec::LinearRegression { l2: weight_decay }, 0.0),
        }
    }

    /// How the model is named in the log (`mlp 784-256-10`).
    pub fn describe(self, hidden: usize, inputs: usize, classes: Option<usize>) -> String {
        match self {
            ModelKind::Mlp => format!("mlp {inputs}-{hidden}-{}", classes.unwrap_or(1)),
            ModelKind::Logreg => "logistic regression".to_string(),
            ModelKind::Linreg => "linear regression".to_string(),
        }
    }
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

impl OptimizerKind {
    /// The optimizer with learning rate `lr` and weight decay `decay`:
    /// decoupled for adamw and lion, an L2 term added to the gradient for the
    /// others.
    pub fn build<T: Scalar + 'static>(self, lr: f64, decay: f64) -> Box<dyn Optimizer<T>> {
        match self {
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

impl ScheduleKind {
    /// The schedule from the peak rate `lr` over `total` optimizer steps.
    pub fn build(self, lr: f64, total: u64) -> Box<dyn Schedule> {
        let total = total.max(1);
        let min_lr = lr / 100.0;
        match self {
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
}

/// Element type of the model and its computation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Precision {
    /// 32-bit floats (faster).
    F32,
    /// 64-bit floats.
    F64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_are_the_flag_values() {
        assert_eq!(spelling(&ScheduleKind::WarmupCosine), "warmup-cosine");
        assert_eq!(spelling(&OptimizerKind::Adamw), "adamw");
        assert_eq!(spelling(&Precision::F64), "f64");
        assert_eq!(spelling(&ModelKind::Linreg), "linreg");
    }

    #[test]
    fn the_weight_decay_goes_into_the_loss_of_the_regressions_and_the_optimizer_of_the_mlp() {
        assert_eq!(ModelKind::Mlp.spec(8, 0.1), (ModelSpec::TwoLayerNet { hidden: 8 }, 0.1));
        assert_eq!(ModelKind::Logreg.spec(8, 0.1), (ModelSpec::LogisticRegression { l2: 0.1 }, 0.0));
        assert_eq!(ModelKind::Linreg.spec(8, 0.1), (ModelSpec::LinearRegression { l2: 0.1 }, 0.0));
    }

    #[test]
    fn schedules_start_and_end_where_their_help_says() {
        let total = 1000;
        for kind in ScheduleKind::value_variants() {
            let s = kind.build(0.1, total);
            let (first, last) = (s.lr(0), s.lr(total - 1));
            assert!(first > 0.0 && first <= 0.1 + 1e-12 && last > 0.0, "{kind:?}: {first} … {last}");
            match kind {
                ScheduleKind::Constant => assert_eq!(last, 0.1),
                ScheduleKind::Cosine | ScheduleKind::WarmupCosine | ScheduleKind::Exponential => {
                    assert!((last - 1e-3).abs() < 1e-4, "{kind:?} ends at {last}")
                }
                ScheduleKind::Step => assert!((last - 1e-3).abs() < 1e-12, "{last}"),
                ScheduleKind::Restarts => assert!(last < 0.1),
            }
        }
        assert!(ScheduleKind::WarmupCosine.build(0.1, total).lr(0) < 0.01, "warms up");
    }
}
