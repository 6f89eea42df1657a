//! Optimizer state as named tensors: what a checkpoint needs to continue a run
//! bit for bit.
//!
//! Why tensors with names: the moments and accumulators an optimizer keeps are
//! as much a part of a training run as the parameters. Resuming with fresh
//! moments (or a reset step counter, which changes Adam's bias correction) does
//! not continue the run, it starts a different one. So every optimizer can hand
//! out its state as an [`OptimizerState`]: the step count, the learning rate and,
//! per parameter, named buffers (`"m"`, `"v"` for Adam). Buffers are [`Matrix`]
//! values in the optimizer's element type, so an `f32` run exports `f32` moments
//! and nothing is rounded on the way out or back.
//!
//! [`OptimizerState::tensors`] flattens the buffers into one [`Params`] named
//! `"{parameter}.{buffer}"`, the form a checkpoint file stores, and
//! [`OptimizerState::from_tensors`] reads that form back given the model's
//! parameters (for their names and shapes). Buffer names never contain a `.`, so
//! the split is unambiguous even for parameter names like `"layer1.weight"`.
//! Restoring ([`Optimizer::load_state`](crate::Optimizer::load_state)) checks the
//! optimizer's name, every buffer's presence and shape, and fails without
//! changing the optimizer when anything is off.

use std::fmt;

use wengert_ops::{shape_str, Matrix, Scalar};

use crate::hyperparameters::HyperparameterError;
use crate::params::Params;

/// The state an update rule keeps for one parameter: a fixed list of named
/// buffers.
///
/// `buffers` and `buffers_mut` list the same buffers, with the same names, in
/// the same order. Names are short identifiers without `.` (`"m"`, `"velocity"`).
pub trait ParamState<T>: Clone + fmt::Debug {
    /// The buffers, for reading and exporting.
    fn buffers(&self) -> Vec<(&'static str, &Matrix<T>)>;
    /// The buffers, for restoring.
    fn buffers_mut(&mut self) -> Vec<(&'static str, &mut Matrix<T>)>;
}

/// No state at all (plain gradient descent).
impl<T> ParamState<T> for () {
    fn buffers(&self) -> Vec<(&'static str, &Matrix<T>)> {
        Vec::new()
    }
    fn buffers_mut(&mut self) -> Vec<(&'static str, &mut Matrix<T>)> {
        Vec::new()
    }
}

/// A state made of one named buffer (momentum's velocity, AdaGrad's sum of
/// squared gradients, …), usually shaped like its parameter.
#[derive(Clone, Debug)]
pub struct Buffer<T> {
    name: &'static str,
    values: Matrix<T>,
}

impl<T: Scalar> Buffer<T> {
    /// A buffer called `name` of `shape`, every entry `value`.
    pub fn filled(name: &'static str, shape: (usize, usize), value: T) -> Self {
        debug_assert!(!name.contains('.'), "buffer names must not contain '.': {name}");
        Buffer { name, values: Matrix::from_vec(shape.0, shape.1, vec![value; shape.0 * shape.1]) }
    }

    /// A buffer called `name` of `shape`, all zeros.
    pub fn zeros(name: &'static str, shape: (usize, usize)) -> Self {
        Self::filled(name, shape, T::zero())
    }

    /// The values.
    pub fn values(&self) -> &Matrix<T> {
        &self.values
    }

    /// The values for writing (copied first if an exported snapshot still shares them).
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        self.values.as_mut_slice()
    }
}

impl<T: Scalar> ParamState<T> for Buffer<T> {
    fn buffers(&self) -> Vec<(&'static str, &Matrix<T>)> {
        vec![(self.name, &self.values)]
    }
    fn buffers_mut(&mut self) -> Vec<(&'static str, &mut Matrix<T>)> {
        vec![(self.name, &mut self.values)]
    }
}

/// The state of one parameter: its shape and its named buffers.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamStateEntry<T> {
    /// The parameter's name.
    pub name: String,
    /// The parameter's shape (not necessarily the buffers' shapes: Adafactor's
    /// factored statistics are a column and a row).
    pub shape: (usize, usize),
    /// The buffers by name.
    pub buffers: Params<T>,
}

/// Everything an optimizer has accumulated: enough to continue bit for bit.
///
/// Got from [`Optimizer::state`](crate::Optimizer::state), given back to
/// [`Optimizer::load_state`](crate::Optimizer::load_state). Parameters the
/// optimizer has not stepped yet, or keeps no buffers for, have no entry (their
/// state is created on their next step, as it would have been).
///
/// ```
/// use wengert_optim::{Adam, Optimizer};
/// let mut a = Adam::new().lr(0.1);
/// let mut x = [1.0f64, -2.0];
/// a.step_slice(&mut x, &[0.5, 0.25]);
/// let saved = a.state();
/// assert_eq!((saved.optimizer.as_str(), saved.steps), ("Adam", 1));
/// assert_eq!(saved.tensors().names().collect::<Vec<_>>(), ["flat.m", "flat.v"]);
///
/// // A fresh optimizer with the same configuration continues exactly.
/// let mut b = Adam::new().lr(0.1);
/// b.load_state(&saved).unwrap();
/// let mut y = x;
/// a.step_slice(&mut x, &[0.1, 0.2]);
/// b.step_slice(&mut y, &[0.1, 0.2]);
/// assert_eq!(x, y);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct OptimizerState<T> {
    /// The optimizer's name (`"Adam"`); restoring into another optimizer fails.
    pub optimizer: String,
    /// Steps taken.
    pub steps: u64,
    /// The learning rate the next step would use (a schedule may have set it).
    pub learning_rate: f64,
    /// Per parameter, in the order the optimizer first saw them.
    pub params: Vec<ParamStateEntry<T>>,
}

impl<T: Scalar> OptimizerState<T> {
    /// All buffers as one flat set named `"{parameter}.{buffer}"`, in order.
    pub fn tensors(&self) -> Params<T> {
        let mut out = Params::new();
        for entry in &self.params {
            for (buffer, m) in entry.buffers.iter() {
                out.insert(format!("{}.{buffer}", entry.name), m.clone());
            }
        }
        out
    }

    /// Reassembles a state from its [`tensors`](OptimizerState::tensors), taking
    /// parameter names and shapes from `params` (the model the state belongs to).
    /// A parameter with no tensors gets no entry.
    ///
    /// # Errors
    /// [`StateError::UnexpectedTensor`] for a tensor that is not
    /// `"{parameter}.{buffer}"` for any parameter of `params`.
    pub fn from_tensors(
        optimizer: impl Into<String>,
        steps: u64,
        learning_rate: f64,
        params: &Params<T>,
        tensors: &Params<T>,
    ) -> Result<Self, StateError> {
        let mut used = 0;
        let mut entries = Vec::new();
        for (name, p) in params.iter() {
            let mut buffers = Params::new();
            for (tensor, m) in tensors.iter() {
                let buffer = tensor.strip_prefix(name).and_then(|rest| rest.strip_prefix('.'));
                if let Some(buffer) = buffer.filter(|b| !b.contains('.')) {
                    buffers.insert(buffer, m.clone());
                }
            }
            if !buffers.is_empty() {
                used += buffers.len();
                entries.push(ParamStateEntry { name: name.to_string(), shape: p.shape(), buffers });
            }
        }
        if used != tensors.len() {
            let stray = tensors
                .names()
                .find(|t| !entries.iter().any(|e| e.buffers.names().any(|b| *t == format!("{}.{b}", e.name))))
                .expect("some tensor was not used");
            return Err(StateError::UnexpectedTensor { name: stray.to_string() });
        }
        Ok(OptimizerState { optimizer: optimizer.into(), steps, learning_rate, params: entries })
    }
}

/// Why an [`OptimizerState`] could not be restored.
#[derive(Clone, Debug, PartialEq)]
pub enum StateError {
    /// The state was saved by another optimizer.
    WrongOptimizer {
        /// The optimizer being restored.
        expected: &'static str,
        /// The optimizer named in the state.
        found: String,
    },
    /// The saved learning rate is not a rate this optimizer accepts.
    LearningRate(HyperparameterError),
    /// A parameter appears twice.
    DuplicateParam {
        /// The parameter.
        param: String,
    },
    /// A buffer the optimizer keeps is absent.
    MissingBuffer {
        /// The parameter.
        param: String,
        /// The buffer.
        buffer: &'static str,
    },
    /// A buffer the optimizer does not keep is present.
    UnexpectedBuffer {
        /// The parameter.
        param: String,
        /// The buffer.
        buffer: String,
    },
    /// A buffer has the wrong shape for its parameter.
    ShapeMismatch {
        /// The parameter.
        param: String,
        /// The buffer.
        buffer: &'static str,
        /// The shape the optimizer keeps for it.
        expected: (usize, usize),
        /// The shape in the state.
        found: (usize, usize),
    },
    /// A flat tensor names no parameter of the model ([`OptimizerState::from_tensors`]).
    UnexpectedTensor {
        /// The tensor.
        name: String,
    },
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateError::WrongOptimizer { expected, found } => {
                write!(f, "optimizer state was saved by {found}, cannot restore it into {expected}")
            }
            StateError::LearningRate(e) => write!(f, "optimizer state: {e}"),
            StateError::DuplicateParam { param } => write!(f, "optimizer state lists parameter `{param}` twice"),
            StateError::MissingBuffer { param, buffer } => {
                write!(f, "optimizer state of parameter `{param}` lacks buffer `{buffer}`")
            }
            StateError::UnexpectedBuffer { param, buffer } => {
                write!(f, "optimizer state of parameter `{param}` has an unknown buffer `{buffer}`")
            }
            StateError::ShapeMismatch { param, buffer, expected, found } => write!(
                f,
                "optimizer state of parameter `{param}`: buffer `{buffer}` should be {} but is {}",
                shape_str(*expected),
                shape_str(*found)
            ),
            StateError::UnexpectedTensor { name } => {
                write!(f, "optimizer state tensor `{name}` belongs to no parameter of the model")
            }
        }
    }
}

impl std::error::Error for StateError {}
