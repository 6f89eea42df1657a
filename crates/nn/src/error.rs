//! [`NnError`]: everything that can go wrong while building, training, saving
//! or running a model, as one type the command line can print.
//!
//! Why one error type on top of [`DataError`] and [`CheckpointError`]: the
//! training job strings loading, training, checkpointing and plotting together,
//! and `main` wants a single `Result` whose message already says what and where.

use std::fmt;
use std::path::PathBuf;

use wengert_ops::linalg::LinalgError;
use wengert_optim::SolverError;

use crate::checkpoint::CheckpointError;
use crate::data::DataError;

/// The error type of the models, data preparation, the training loop and
/// checkpoints.
#[derive(Debug)]
#[non_exhaustive]
pub enum NnError {
    /// Loading or preparing data failed.
    Data(DataError),
    /// Saving or loading a checkpoint failed.
    Checkpoint(CheckpointError),
    /// A linear solve failed (e.g. a singular normal equation).
    Linalg {
        /// What was being solved.
        context: String,
        /// The underlying error.
        source: LinalgError,
    },
    /// A configuration value is out of range or does not fit the data.
    InvalidConfig {
        /// What is wrong, in words.
        message: String,
    },
    /// The loss became NaN or infinite during training.
    Diverged {
        /// 1-based epoch.
        epoch: usize,
        /// 0-based global optimizer step.
        step: u64,
        /// The non-finite loss.
        loss: f64,
    },
    /// A parameter or its gradient became NaN or infinite during training
    /// while the loss stayed finite (checked at the end of every epoch).
    NonFinite {
        /// The parameter's name.
        name: String,
        /// Whether it was the gradient (of the epoch's last step) rather than
        /// the parameter itself.
        gradient: bool,
        /// The first offending entry, `(row, column)`.
        at: (usize, usize),
        /// Its value.
        value: f64,
        /// 1-based epoch.
        epoch: usize,
        /// 0-based global optimizer step of the epoch's last step.
        step: u64,
    },
    /// Anomaly detection ([`TrainConfig::detect_anomaly`](crate::train::TrainConfig::detect_anomaly))
    /// found the first op that made a NaN or an infinity from finite inputs.
    Anomaly {
        /// 1-based epoch.
        epoch: usize,
        /// 0-based global optimizer step.
        step: u64,
        /// What the tape found: the op, its shapes, its position, the phase.
        anomaly: Box<wengert_tape::Anomaly>,
    },
    /// Measuring the curvature of the training loss (the
    /// [`Sharpness`](crate::train::Sharpness) of a run) failed: a
    /// Hessian-vector product was not finite.
    Curvature {
        /// Optimizer steps taken when it was measured.
        step: u64,
        /// What the eigensolver reported.
        source: SolverError,
    },
    /// Writing an output file (a plot, a folder) failed.
    Output {
        /// The file or folder.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

impl NnError {
    /// An [`NnError::InvalidConfig`] with the given message.
    pub fn config(message: impl Into<String>) -> Self {
        NnError::InvalidConfig { message: message.into() }
    }
}

impl fmt::Display for NnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NnError::Data(e) => write!(f, "{e}"),
            NnError::Checkpoint(e) => write!(f, "{e}"),
            NnError::Linalg { context, source } => write!(f, "{context}: {source}"),
            NnError::InvalidConfig { message } => f.write_str(message),
            NnError::Diverged { epoch, step, loss } => write!(
                f,
                "training diverged: the loss is {loss} at epoch {epoch}, step {step} \
                 (try a smaller --lr or --clip)"
            ),
            NnError::NonFinite { name, gradient, at: (i, j), value, epoch, step } => {
                let what = if *gradient { "the gradient of parameter" } else { "parameter" };
                write!(
                    f,
                    "training went non-finite although the loss did not: {what} `{name}` is {value} at ({i}, {j}) \
                     after epoch {epoch} (step {step})"
                )
            }
            NnError::Anomaly { epoch, step, anomaly } => write!(f, "epoch {epoch}, step {step}: {anomaly}"),
            NnError::Curvature { step, source } => {
                write!(f, "measuring the sharpness of the training loss after step {step} failed: {source}")
            }
            NnError::Output { path, message } => write!(f, "{}: {message}", path.display()),
        }
    }
}

impl std::error::Error for NnError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            NnError::Data(e) => Some(e),
            NnError::Checkpoint(e) => Some(e),
            NnError::Linalg { source, .. } => Some(source),
            NnError::Anomaly { anomaly, .. } => Some(anomaly.as_ref()),
            NnError::Curvature { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<DataError> for NnError {
    fn from(e: DataError) -> Self {
        NnError::Data(e)
    }
}

impl From<CheckpointError> for NnError {
    fn from(e: CheckpointError) -> Self {
        NnError::Checkpoint(e)
    }
}
