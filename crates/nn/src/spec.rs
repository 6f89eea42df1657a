//! [`ModelSpec`]: one of the built-in models chosen by value, built for a
//! number of inputs and a target.
//!
//! Why a value and not a constructor call: a program that lets its user pick
//! the model (a command line, a config file, a checkpoint that must be loaded
//! back into the same architecture) needs the choice as data, decided before
//! the data's width and class count are known, and one place that turns it
//! into a model. [`ModelSpec::build`] is that place.
//!
//! ```
//! use wengert_nn::{Model, ModelSpec};
//! let spec = ModelSpec::TwoLayerNet { hidden: 16 };
//! let net = spec.build::<f32>(4, Some(3), 42)?;
//! assert_eq!(net.params().num_elements(), 4 * 16 + 16 + 16 * 3 + 3);
//! // A regression target gives the same network one output and squared error.
//! let reg = spec.build::<f64>(4, None, 42)?;
//! assert_eq!(reg.loss_kind().outputs(), 1);
//! assert!(ModelSpec::LogisticRegression { l2: 0.0 }.build::<f64>(4, None, 0).is_err());
//! # Ok::<(), wengert_nn::NnError>(())
//! ```
//!
//! A spec is written and read as text — `mlp hidden=16`, `logreg l2=0.001`,
//! `linreg l2=0` — which is how a [`Checkpoint`](crate::checkpoint::Checkpoint)
//! records the architecture it must be loaded back into:
//!
//! ```
//! use wengert_nn::ModelSpec;
//! let spec = ModelSpec::LogisticRegression { l2: 1e-3 };
//! assert_eq!(spec.to_string(), "logreg l2=0.001");
//! assert_eq!("logreg l2=0.001".parse::<ModelSpec>(), Ok(spec));
//! assert!("cnn layers=3".parse::<ModelSpec>().unwrap_err().contains("unknown model `cnn`"));
//! ```

use std::fmt;
use std::str::FromStr;

use wengert_ops::Scalar;

use crate::error::NnError;
use crate::layers::Activation;
use crate::model::{LossKind, Model};
use crate::models::{LinearRegression, LogisticRegression, TwoLayerNet};

/// One of the built-in models with the hyper-parameters that shape it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ModelSpec {
    /// [`TwoLayerNet`]: `fc1 → ReLU → fc2`, softmax cross-entropy for class
    /// labels, squared error for a real-valued target.
    TwoLayerNet {
        /// Hidden units.
        hidden: usize,
    },
    /// [`LogisticRegression`] (softmax regression for more than two classes)
    /// with the penalty `l2/2 ‖W‖²`. Needs class labels.
    LogisticRegression {
        /// The L2 penalty λ.
        l2: f64,
    },
    /// [`LinearRegression`] (ridge) with the penalty `l2/2 ‖w‖²`. Needs a
    /// real-valued target.
    LinearRegression {
        /// The L2 penalty λ.
        l2: f64,
    },
}

impl ModelSpec {
    /// Builds the model for `inputs` features and `classes` classes (`None`
    /// for a real-valued target), with initial weights from `seed` (the two
    /// regressions start at zero).
    ///
    /// Fails if the model cannot fit that target: logistic regression on a
    /// real-valued target, linear regression on class labels.
    ///
    /// The model is `Send + Sync`, so a [`Trainer`](crate::train::Trainer)
    /// can share it between its threads.
    pub fn build<T: Scalar + Send + Sync + 'static>(
        &self,
        inputs: usize,
        classes: Option<usize>,
        seed: u64,
    ) -> Result<Box<dyn Model<T> + Send + Sync>, NnError> {
        match (*self, classes) {
            (ModelSpec::TwoLayerNet { hidden }, Some(k)) => Ok(Box::new(TwoLayerNet::new(inputs, hidden, k, seed))),
            (ModelSpec::TwoLayerNet { hidden }, None) => {
                Ok(Box::new(TwoLayerNet::build(inputs, hidden, LossKind::SquaredError, Activation::Relu, seed)))
            }
            (ModelSpec::LogisticRegression { l2 }, Some(k)) => Ok(Box::new(LogisticRegression::new(inputs, k, l2))),
            (ModelSpec::LogisticRegression { .. }, None) => {
                Err(NnError::config("logistic regression needs class labels, not a real-valued target"))
            }
            (ModelSpec::LinearRegression { l2 }, None) => Ok(Box::new(LinearRegression::new(inputs, l2))),
            (ModelSpec::LinearRegression { .. }, Some(k)) => Err(NnError::config(format!(
                "linear regression fits a real-valued target, not {k} classes (build it with `classes: None`)"
            ))),
        }
    }
}

impl fmt::Display for ModelSpec {
    /// `mlp hidden=16`, `logreg l2=0.001`, `linreg l2=0` (numbers in the
    /// shortest form that reads back to the same bits).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelSpec::TwoLayerNet { hidden } => write!(f, "mlp hidden={hidden}"),
            ModelSpec::LogisticRegression { l2 } => write!(f, "logreg l2={l2}"),
            ModelSpec::LinearRegression { l2 } => write!(f, "linreg l2={l2}"),
        }
    }
}

impl FromStr for ModelSpec {
    type Err = String;

    /// Reads what [`Display`](fmt::Display) writes; the error says what is wrong.
    fn from_str(s: &str) -> Result<Self, String> {
        let mut words = s.split_whitespace();
        let kind = words.next().ok_or("an empty model spec")?;
        let (key, value) = match (words.next(), words.next()) {
            (Some(kv), None) => kv.split_once('=').ok_or_else(|| format!("`{kv}` is not `name=value`"))?,
            _ => return Err(format!("`{s}` is not `<model> <name>=<value>`")),
        };
        let bad = |what: &str| format!("`{value}` is not {what} (in `{s}`)");
        match (kind, key) {
            ("mlp", "hidden") => {
                Ok(ModelSpec::TwoLayerNet { hidden: value.parse().map_err(|_| bad("a number of hidden units"))? })
            }
            ("logreg", "l2") => Ok(ModelSpec::LogisticRegression { l2: value.parse().map_err(|_| bad("a number"))? }),
            ("linreg", "l2") => Ok(ModelSpec::LinearRegression { l2: value.parse().map_err(|_| bad("a number"))? }),
            ("mlp" | "logreg" | "linreg", _) => Err(format!("model `{kind}` has no setting `{key}` (in `{s}`)")),
            _ => Err(format!("unknown model `{kind}` (in `{s}`; known: mlp, logreg, linreg)")),
        }
    }
}
