//! What a model is: named parameters, a forward pass over tape variables, and an
//! loss kind that turns outputs and targets into a loss.
//!
//! Why this shape: a forward pass is ordinary Rust code on [`MatVar`]s, so a
//! model is just a function (or closure) plus its [`Params`]. Each training step
//! records the parameters on a fresh recording of one reused tape as tracked
//! leaves ([`ParamVars::track`]), runs the function, and reads the gradients
//! back by parameter name. The optimizer and the checkpoints see only the
//! [`Params`], never the tape, so both work with any model.
//!
//! ```
//! use wengert_nn::{FnModel, Model, LossKind, ParamVars, Targets};
//! use wengert_ops::Matrix;
//! use wengert_optim::Params;
//! use wengert_tape::{Gradients, Tape};
//!
//! // y = x·w + b as a closure over tape variables.
//! let params = Params::new()
//!     .with("w", Matrix::from_rows(&[[2.0], [-1.0]]))
//!     .with("b", Matrix::from_rows(&[[0.5]]));
//! let model = FnModel::new(params, LossKind::SquaredError, |p, x| x.matmul(p.get("w")) + p.get("b"));
//!
//! let tape = Tape::new();
//! let p = ParamVars::track(&tape, model.params());
//! let x = tape.constant_matrix(&Matrix::from_rows(&[[1.0, 1.0], [2.0, 0.0]]));
//! let y = tape.constant_matrix(&Matrix::from_rows(&[[1.0], [4.0]]));
//! let out = model.forward(&p, x);
//! assert_eq!(out.value().as_slice(), &[1.5, 4.5]);
//! let loss = model.loss(&p, out, Targets::Values(y));
//! let mut grads = Gradients::empty();
//! tape.backward_into(loss, 1.0, &mut grads);
//! let mut g = Params::new();
//! p.gradients_into(&grads, &mut g);
//! // ∂/∂b mean((ŷ − y)²) = 2·mean(ŷ − y) = 2·0.5
//! assert_eq!(g.get("b").unwrap().as_slice(), &[1.0]);
//! ```

use wengert_dual::Dual;
use wengert_ops::{Matrix, Scalar};
use wengert_optim::Params;
use wengert_tape::{Gradients, MatVar, Tape, Var};

use crate::layers::Linear;

/// The parameters of a model recorded on a tape, looked up by name.
///
/// Built once per step by [`track`](ParamVars::track) (tracked leaves: their
/// gradients are computed) or [`constant`](ParamVars::constant) (for
/// evaluation: no gradient buffers). Recording shares the parameters' storage:
/// nothing is copied.
pub struct ParamVars<'p, 't, T: Scalar> {
    entries: Vec<(&'p str, MatVar<'t, T>)>,
}

impl<'p, 't, T: Scalar> ParamVars<'p, 't, T> {
    /// Every parameter of `params` as a tracked leaf of `tape`, in order.
    pub fn track(tape: &'t Tape<T>, params: &'p Params<T>) -> Self {
        ParamVars { entries: params.iter().map(|(name, m)| (name, tape.matrix(m))).collect() }
    }

    /// Every parameter of `params` as a constant of `tape` (no gradients).
    pub fn constant(tape: &'t Tape<T>, params: &'p Params<T>) -> Self {
        ParamVars { entries: params.iter().map(|(name, m)| (name, tape.constant_matrix(m))).collect() }
    }

    /// The parameter called `name`.
    ///
    /// # Panics
    /// If there is none: a model asking for a parameter it did not create is a
    /// bug in the model, and the message names the parameter and lists the
    /// known ones.
    pub fn get(&self, name: &str) -> MatVar<'t, T> {
        match self.entries.iter().find(|(n, _)| *n == name) {
            Some(&(_, v)) => v,
            None => {
                let known: Vec<&str> = self.entries.iter().map(|(n, _)| *n).collect();
                panic!("ParamVars::get: no parameter `{name}` (the model has: {})", known.join(", "))
            }
        }
    }

    /// The parameter called `name`, or `None`.
    pub fn try_get(&self, name: &str) -> Option<MatVar<'t, T>> {
        self.entries.iter().find(|(n, _)| *n == name).map(|&(_, v)| v)
    }

    /// `(name, variable)` pairs in parameter order.
    pub fn iter(&self) -> impl Iterator<Item = (&'p str, MatVar<'t, T>)> + '_ {
        self.entries.iter().copied()
    }

    /// Copies the gradient of every parameter out of `grads` into `out`, by
    /// name. Entries of `out` that already have the right shape are overwritten
    /// in place (no allocation in a training loop after the first step); missing
    /// ones are created.
    ///
    /// Why a copy and not the shared gradient buffer: `out` is then owned by the
    /// caller alone, so clipping it in place never triggers a copy-on-write, and
    /// the tape's gradient buffers are free to be reused by the next sweep.
    ///
    /// # Panics
    /// If the parameters were recorded as constants (they have no gradient).
    pub fn gradients_into(&self, grads: &Gradients<T>, out: &mut Params<T>) {
        for &(name, v) in &self.entries {
            let g = grads.matrix(v);
            match out.get_mut(name) {
                Some(dst) if dst.shape() == g.shape() && !dst.is_shared() => {
                    dst.as_mut_slice().copy_from_slice(g.as_slice());
                }
                _ => {
                    out.insert(name, Matrix::from_vec(g.rows(), g.cols(), g.as_slice().to_vec()));
                }
            }
        }
    }

    /// The gradients of every parameter as a new [`Params`] (see
    /// [`gradients_into`](Self::gradients_into) to reuse buffers).
    pub fn gradients(&self, grads: &Gradients<T>) -> Params<T> {
        let mut out = Params::new();
        self.gradients_into(grads, &mut out);
        out
    }
}

/// How a model's outputs are compared with the targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LossKind {
    /// `classes` logits per example, softmax cross-entropy against class labels.
    SoftmaxCrossEntropy {
        /// Number of classes (columns of the output).
        classes: usize,
    },
    /// One logit per example, sigmoid + binary cross-entropy
    /// ([`bce_with_logits`](MatVar::bce_with_logits)) against 0/1 targets.
    BinaryLogistic,
    /// Mean squared error against real targets (regression).
    SquaredError,
}

impl LossKind {
    /// The classification loss for `classes` classes: one logit with
    /// sigmoid when `binary_logit` is set and there are two classes, softmax
    /// otherwise.
    pub fn for_classes(classes: usize, binary_logit: bool) -> Self {
        if classes == 2 && binary_logit {
            LossKind::BinaryLogistic
        } else {
            LossKind::SoftmaxCrossEntropy { classes }
        }
    }

    /// Number of output columns the model must produce.
    pub fn outputs(self) -> usize {
        match self {
            LossKind::SoftmaxCrossEntropy { classes } => classes,
            LossKind::BinaryLogistic | LossKind::SquaredError => 1,
        }
    }

    /// Number of classes (`None` for regression).
    pub fn classes(self) -> Option<usize> {
        match self {
            LossKind::SoftmaxCrossEntropy { classes } => Some(classes),
            LossKind::BinaryLogistic => Some(2),
            LossKind::SquaredError => None,
        }
    }

    /// The mean loss of `outputs` against `targets`: class labels for softmax
    /// cross-entropy, target values (an `n × 1` constant) for squared error,
    /// either for one logit (labels 0/1 become a constant on the outputs' tape).
    ///
    /// # Panics
    /// If the targets are of a kind the loss cannot use (values for
    /// softmax cross-entropy, labels for squared error), or their count is not
    /// the number of output rows; the message says which.
    pub fn loss<'t, T: Scalar>(self, outputs: MatVar<'t, T>, targets: Targets<'_, 't, T>) -> Var<'t, T> {
        match (self, targets) {
            (LossKind::SoftmaxCrossEntropy { .. }, Targets::Labels(labels)) => outputs.softmax_cross_entropy(labels),
            (LossKind::BinaryLogistic, Targets::Values(y)) => outputs.bce_with_logits(y),
            (LossKind::BinaryLogistic, Targets::Labels(labels)) => {
                assert_eq!(
                    labels.len(),
                    outputs.rows(),
                    "LossKind::loss: {} labels for {} output rows",
                    labels.len(),
                    outputs.rows()
                );
                let y = Matrix::from_fn(labels.len(), 1, |i, _| T::from_f64(labels[i] as f64));
                outputs.bce_with_logits(outputs.tape().constant_matrix(&y))
            }
            (LossKind::SquaredError, Targets::Values(y)) => outputs.mse(y),
            (LossKind::SoftmaxCrossEntropy { .. }, Targets::Values(_)) => {
                panic!("LossKind::loss: softmax cross-entropy needs class labels (Targets::Labels), not target values")
            }
            (LossKind::SquaredError, Targets::Labels(_)) => {
                panic!("LossKind::loss: squared error needs target values (Targets::Values), not class labels")
            }
        }
    }

    /// The predicted class of output row `row` (argmax of the logits, or
    /// `logit > 0` for one logit); `None` for regression.
    pub fn predict_class<T: Scalar>(self, row: &[T]) -> Option<usize> {
        match self {
            LossKind::SoftmaxCrossEntropy { .. } => Some(argmax(row)),
            LossKind::BinaryLogistic => Some(usize::from(row[0].value() > 0.0)),
            LossKind::SquaredError => None,
        }
    }

    /// The loss of one output row against its target, in `f64`: the negative
    /// log-likelihood of the label for classification (stable log-sum-exp and
    /// softplus forms), the squared error for regression.
    pub fn example_loss<T: Scalar>(self, row: &[T], target: f64) -> f64 {
        match self {
            LossKind::SoftmaxCrossEntropy { .. } => {
                let max = row.iter().map(|x| x.value()).fold(f64::NEG_INFINITY, f64::max);
                let lse = max + row.iter().map(|x| (x.value() - max).exp()).sum::<f64>().ln();
                lse - row[target as usize].value()
            }
            LossKind::BinaryLogistic => {
                let z = row[0].value();
                // ln(1 + e^{−|z|}) + max(z, 0) − y·z
                (-z.abs()).exp().ln_1p() + z.max(0.0) - target * z
            }
            LossKind::SquaredError => {
                let d = row[0].value() - target;
                d * d
            }
        }
    }
}

/// What a batch's outputs are compared with: class labels or target values.
///
/// Softmax cross-entropy needs [`Labels`](Targets::Labels), squared error
/// [`Values`](Targets::Values); one logit with binary cross-entropy takes
/// either (labels 0 and 1). So a caller passes only what the loss reads:
///
/// ```
/// use wengert_nn::{Model, ParamVars, Targets, TwoLayerNet};
/// use wengert_ops::Matrix;
/// use wengert_tape::Tape;
///
/// let net = TwoLayerNet::<f64>::new(4, 8, 3, 0);
/// let tape = Tape::new();
/// let p = ParamVars::track(&tape, net.params());
/// let logits = net.forward(&p, tape.constant_matrix(&Matrix::zeros(2, 4)));
/// let loss = net.loss(&p, logits, Targets::Labels(&[0, 2]));
/// assert!((loss.primal() - 3f64.ln()).abs() < 1e-12, "zero inputs: uniform over 3 classes");
/// ```
#[derive(Clone, Copy, Debug)]
pub enum Targets<'a, 't, T: Scalar> {
    /// One class label per output row.
    Labels(&'a [usize]),
    /// The target values, an `n × 1` constant on the outputs' tape.
    Values(MatVar<'t, T>),
}

/// Index of the largest element (the first one on ties).
pub fn argmax<T: Scalar>(row: &[T]) -> usize {
    let mut best = 0;
    for (i, x) in row.iter().enumerate() {
        if x.value() > row[best].value() {
            best = i;
        }
    }
    best
}

/// A trainable model: parameters by name, a forward pass over tape variables
/// and a loss kind.
///
/// Implemented by the models of this crate ([`TwoLayerNet`](crate::TwoLayerNet),
/// [`LogisticRegression`](crate::LogisticRegression),
/// [`LinearRegression`](crate::LinearRegression)) and by [`FnModel`], which wraps
/// any closure.
pub trait Model<T: Scalar> {
    /// The parameters (what optimizers update and checkpoints save).
    fn params(&self) -> &Params<T>;

    /// The parameters, for an optimizer step or loading a checkpoint.
    fn params_mut(&mut self) -> &mut Params<T>;

    /// The outputs (logits or predictions, one row per example) for the input
    /// rows `x`.
    fn forward<'t>(&self, p: &ParamVars<'_, 't, T>, x: MatVar<'t, T>) -> MatVar<'t, T>;

    /// How outputs meet targets.
    fn loss_kind(&self) -> LossKind;

    /// Number of input features the forward pass expects, when the model
    /// knows it (the training loop then checks the data against it).
    fn input_features(&self) -> Option<usize> {
        None
    }

    /// A regularization term added to the loss (e.g. `λ/2 ‖w‖²`); none by default.
    fn penalty<'t>(&self, _p: &ParamVars<'_, 't, T>) -> Option<Var<'t, T>> {
        None
    }

    /// The [`Linear`] layers among the parameters, which checkpoints store in
    /// PyTorch's `nn.Linear` layout (see [`checkpoint`](crate::checkpoint)).
    /// None by default: every parameter is then stored as it is.
    fn linear_layers(&self) -> Vec<&Linear> {
        Vec::new()
    }

    /// The training loss: the loss kind on `outputs` against `targets`, plus
    /// the penalty.
    fn loss<'t>(&self, p: &ParamVars<'_, 't, T>, outputs: MatVar<'t, T>, targets: Targets<'_, 't, T>) -> Var<'t, T> {
        loss_with_penalty(self.loss_kind(), outputs, targets, self.penalty(p))
    }

    /// The training loss of the inputs `x` — [`loss`](Self::loss) of
    /// [`forward`](Self::forward), penalty included — recorded on a tape of
    /// dual numbers, or `None` (the default) for a model that runs on `T`
    /// only.
    ///
    /// Why: a Hessian-vector product of the loss is forward over reverse.
    /// The parameters' tangents carry a direction `v`, and one reverse sweep
    /// of this loss returns the gradient in the real parts and `H·v` in the
    /// tangents. That needs the same forward pass on `Dual<T>`, and the
    /// trait's other methods are for one element type. The built-in models
    /// write their forward pass once, generic over the element type, and
    /// implement both; a custom model does the same to get
    /// [`LossHessian`](crate::curvature::LossHessian) and the trainer's
    /// [`Sharpness`](crate::train::Sharpness) measurement. ([`FnModel`]'s
    /// closure is for `T` only, so it returns `None`.)
    ///
    /// ```
    /// use wengert_dual::Dual;
    /// use wengert_nn::{Model, ParamVars, Targets, TwoLayerNet};
    /// use wengert_ops::Matrix;
    /// use wengert_optim::Params;
    /// use wengert_tape::{Gradients, Tape};
    ///
    /// let net = TwoLayerNet::<f64>::new(3, 4, 2, 0);
    /// // The parameters as dual numbers whose tangents are the direction (all ones).
    /// let dual: Params<Dual<f64>> = net.params().iter().map(|(name, m)| (name, m.map(|&w| Dual::new(w, 1.0)))).collect();
    /// let tape = Tape::new();
    /// let p = ParamVars::track(&tape, &dual);
    /// let x = tape.constant_matrix(&Matrix::from_rows(&[[Dual::constant(0.5), Dual::constant(-1.0), Dual::constant(2.0)]]));
    /// let loss = net.dual_loss(&p, x, Targets::Labels(&[1])).expect("built-in models run on dual numbers");
    /// let mut grads = Gradients::empty();
    /// tape.backward_into(loss, Dual::constant(1.0), &mut grads);
    /// let hv = p.gradients(&grads); // real parts: ∇L; tangents: H·(1, 1, …)
    /// assert_eq!(hv.get("fc1.weight").unwrap().shape(), (3, 4));
    /// ```
    fn dual_loss<'t>(
        &self,
        _p: &ParamVars<'_, 't, Dual<T>>,
        _x: MatVar<'t, Dual<T>>,
        _targets: Targets<'_, 't, Dual<T>>,
    ) -> Option<Var<'t, Dual<T>>> {
        None
    }
}

/// `kind`'s loss of `outputs` against `targets`, plus `penalty`: the body of
/// [`Model::loss`] and of the built-in models' [`Model::dual_loss`], for any
/// element type.
pub(crate) fn loss_with_penalty<'t, U: Scalar>(
    kind: LossKind,
    outputs: MatVar<'t, U>,
    targets: Targets<'_, 't, U>,
    penalty: Option<Var<'t, U>>,
) -> Var<'t, U> {
    let data = kind.loss(outputs, targets);
    match penalty {
        Some(pen) => data + pen,
        None => data,
    }
}

/// A model made of [`Params`], a [`LossKind`] and a forward closure.
///
/// The closure receives the parameters as tape variables and the input batch,
/// and returns the outputs; see the [module example](self).
pub struct FnModel<T: Scalar, F> {
    params: Params<T>,
    loss_kind: LossKind,
    forward: F,
}

impl<T: Scalar, F> FnModel<T, F>
where
    F: for<'p, 't> Fn(&ParamVars<'p, 't, T>, MatVar<'t, T>) -> MatVar<'t, T>,
{
    /// A model computing `forward(params, x)`.
    pub fn new(params: Params<T>, loss_kind: LossKind, forward: F) -> Self {
        FnModel { params, loss_kind, forward }
    }
}

impl<T: Scalar, F> Model<T> for FnModel<T, F>
where
    F: for<'p, 't> Fn(&ParamVars<'p, 't, T>, MatVar<'t, T>) -> MatVar<'t, T>,
{
    fn params(&self) -> &Params<T> {
        &self.params
    }
    fn params_mut(&mut self) -> &mut Params<T> {
        &mut self.params
    }
    fn forward<'t>(&self, p: &ParamVars<'_, 't, T>, x: MatVar<'t, T>) -> MatVar<'t, T> {
        (self.forward)(p, x)
    }
    fn loss_kind(&self) -> LossKind {
        self.loss_kind
    }
}
