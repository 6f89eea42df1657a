//! First-order optimizers: gradient descent and its momentum and adaptive
//! descendants, each an [`UpdateRule`] driven by one shared [`FirstOrder`].
//!
//! Why one generic optimizer: every first-order method does the same
//! bookkeeping around a different arithmetic kernel. It matches gradients to
//! parameters by name and checks their shapes, creates per-parameter state the
//! first time it sees a name, counts steps, holds the learning rate, applies the
//! coupled L2 penalty, resets, validates its configuration and exports its state
//! for checkpoints. [`FirstOrder<R, T>`] does all of that once; an
//! [`UpdateRule`] `R` contributes only what differs: its hyperparameters with
//! their defaults and ranges, the buffers it keeps per parameter, and the update
//! of one parameter. So each optimizer below is a file holding its rule, a type
//! alias (`pub type Adam<T> = FirstOrder<AdamRule, T>`) and the typed setters of
//! its own hyperparameters; `docs/design.md` ("How to add an optimizer") walks
//! through writing one.
//!
//! Every optimizer is built by chained setters from documented defaults
//! (`Adam::new().lr(3e-4)`). All of them accept an optional *coupled* L2 weight
//! decay [`l2`](FirstOrder::l2): the gradient is replaced by `g + λθ` before the
//! rule sees it, exactly as if `λ/2 ‖θ‖²` were added to the loss. [`AdamW`] and
//! [`Lion`] additionally have a *decoupled* decay (applied to the parameters
//! directly, outside the adaptive scaling); see [`AdamW`] for why the two differ.
//!
//! Setters panic on out-of-range values with a message naming the optimizer, the
//! hyperparameter and the value; [`FirstOrder::try_set`] is the `Result` path for
//! values from users (see [`hyperparameters`](crate::hyperparameters) for why
//! both exist).
//!
//! Arithmetic is done in `T` (so `f32` models keep `f32` state); step-dependent
//! constants such as Adam's bias corrections are computed in `f64` and converted
//! once per parameter and step.

use std::fmt;

use indexmap::IndexMap;
use wengert_ops::{shape_str, Scalar};

use crate::hyperparameters::{check, require, Domain, Hyperparameter, HyperparameterError};
use crate::optimizer::Optimizer;
use crate::params::{Grads, Params};
use crate::state::{OptimizerState, ParamState, ParamStateEntry, StateError};

mod adafactor;
mod adagrad;
mod adam;
mod lion;
mod momentum;
mod nesterov;
mod rmsprop;
mod sgd;

pub use adafactor::{Adafactor, AdafactorRule, FactoredMoment};
pub use adagrad::{AdaGrad, AdaGradRule};
pub use adam::{Adam, AdamRule, AdamW, AmsGrad, Moments};
pub use lion::{Lion, LionRule};
pub use momentum::{Momentum, MomentumForm, MomentumRule};
pub use nesterov::{Nesterov, NesterovRule};
pub use rmsprop::{RmsProp, RmsPropRule};
pub use sgd::{Sgd, SgdRule};

/// What an [`UpdateRule`] is told about the step it is taking for one parameter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepInfo {
    /// The learning rate η of this step.
    pub lr: f64,
    /// The 1-based index of this step (`t` in Adam's bias correction `1 − β₁ᵗ`).
    pub t: u64,
    /// The parameter's shape (its data is row-major).
    pub shape: (usize, usize),
}

/// The arithmetic of one first-order method: how a parameter moves given its
/// gradient, and what it remembers between steps.
///
/// Implementors are small configuration structs (β, ε, …) whose [`Default`] is
/// the method's documented defaults. [`FirstOrder`] calls
/// [`init_state`](UpdateRule::init_state) the first time it sees a parameter and
/// [`update`](UpdateRule::update) on every step, with the coupled L2 term already
/// added to the gradient.
pub trait UpdateRule: Clone + fmt::Debug + Default {
    /// The optimizer's name, used in messages and saved states (`"Adam"`).
    const NAME: &'static str;
    /// The learning rate [`FirstOrder::new`] starts with.
    const DEFAULT_LR: f64;
    /// What the rule keeps per parameter (`()` for none).
    type State<T: Scalar>: ParamState<T>;

    /// The rule's numeric hyperparameters (not `lr`, `l2`, which [`FirstOrder`]
    /// holds), with their current values and allowed ranges.
    fn hyperparameters(&self) -> Vec<Hyperparameter>;

    /// The storage of the hyperparameter called `name`, for every name that
    /// [`hyperparameters`](UpdateRule::hyperparameters) lists, `None` otherwise.
    /// [`FirstOrder`] checks the range before writing.
    fn hyperparameter_mut(&mut self, name: &str) -> Option<&mut f64>;

    /// The state of a parameter of `shape` before its first step.
    fn init_state<T: Scalar>(&self, shape: (usize, usize)) -> Self::State<T>;

    /// Updates `theta` in place from `grad` (same length, row-major, of shape
    /// `step.shape`) and the parameter's `state`.
    fn update<T: Scalar>(&self, step: StepInfo, theta: &mut [T], grad: &[T], state: &mut Self::State<T>);
}

/// A parameter's state and the shape it was created for.
#[derive(Clone, Debug)]
struct Slot<S> {
    shape: (usize, usize),
    state: S,
}

/// A first-order optimizer: an [`UpdateRule`] plus the bookkeeping every such
/// method shares. The named optimizers ([`Adam`], [`Sgd`], …) are aliases of it.
///
/// ```
/// use wengert_optim::{Adam, Optimizer};
/// let mut opt = Adam::new().lr(0.1).beta1(0.8).l2(1e-4);
/// let mut x = [0.0f64];
/// for _ in 0..500 {
///     let g = [2.0 * (x[0] - 3.0)];
///     opt.step_slice(&mut x, &g);
/// }
/// assert!((x[0] - 3.0).abs() < 1e-2);
/// assert_eq!(opt.hyperparameter("beta1"), Some(0.8));
/// ```
#[derive(Clone, Debug)]
pub struct FirstOrder<R: UpdateRule, T: Scalar> {
    rule: R,
    lr: f64,
    l2: f64,
    steps: u64,
    states: IndexMap<String, Slot<R::State<T>>>,
    /// `g + λθ` of the parameter being updated, reused across parameters and steps.
    l2_gradient: Vec<T>,
}

impl<R: UpdateRule, T: Scalar> Default for FirstOrder<R, T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<R: UpdateRule, T: Scalar> FirstOrder<R, T> {
    /// The optimizer with its documented defaults.
    pub fn new() -> Self {
        FirstOrder {
            rule: R::default(),
            lr: R::DEFAULT_LR,
            l2: 0.0,
            steps: 0,
            states: IndexMap::new(),
            l2_gradient: Vec::new(),
        }
    }

    /// Sets the learning rate η.
    ///
    /// # Panics
    /// Unless `lr` is finite and `> 0`.
    pub fn lr(mut self, lr: f64) -> Self {
        self.lr = require(R::NAME, "lr", lr, Domain::POSITIVE);
        self
    }

    /// Sets the coupled L2 weight decay λ: the rule sees `g + λθ` instead of `g`.
    ///
    /// # Panics
    /// Unless `l2` is finite and `≥ 0`.
    pub fn l2(mut self, l2: f64) -> Self {
        self.l2 = require(R::NAME, "l2", l2, Domain::NON_NEGATIVE);
        self
    }

    /// Sets the hyperparameter `name` (`"lr"`, `"l2"` or one of the rule's),
    /// panicking with [`try_set`](FirstOrder::try_set)'s message on error. The
    /// typed setters (`.beta1(0.8)`) call this.
    pub fn set(self, name: &str, value: f64) -> Self {
        self.try_set(name, value).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Sets the hyperparameter `name` (`"lr"`, `"l2"` or one of the rule's) if
    /// `value` is in its range: the path for values from users.
    ///
    /// ```
    /// use wengert_optim::Adam;
    /// let opt = Adam::<f32>::new().try_set("beta2", 0.99).unwrap();
    /// assert_eq!(opt.hyperparameter("beta2"), Some(0.99));
    /// let err = Adam::<f32>::new().try_set("beta2", 1.0).unwrap_err();
    /// assert_eq!(err.to_string(), "Adam: `beta2` must be in [0, 1), got 1");
    /// ```
    ///
    /// # Errors
    /// [`HyperparameterError::OutOfRange`] for a value outside the range,
    /// [`HyperparameterError::Unknown`] for a name the optimizer does not have.
    pub fn try_set(mut self, name: &str, value: f64) -> Result<Self, HyperparameterError> {
        let hp = self.hyperparameters().into_iter().find(|h| h.name == name).ok_or_else(|| {
            HyperparameterError::Unknown {
                owner: R::NAME,
                name: name.to_string(),
                known: self.hyperparameters().iter().map(|h| h.name).collect(),
            }
        })?;
        let value = check(R::NAME, hp.name, value, hp.domain)?;
        let slot = match hp.name {
            "lr" => &mut self.lr,
            "l2" => &mut self.l2,
            _ => self
                .rule
                .hyperparameter_mut(hp.name)
                .unwrap_or_else(|| panic!("{}: hyperparameter `{}` is listed but has no storage", R::NAME, hp.name)),
        };
        *slot = value;
        Ok(self)
    }

    /// Every numeric hyperparameter with its value and range: `lr`, `l2`, then the
    /// rule's.
    pub fn hyperparameters(&self) -> Vec<Hyperparameter> {
        let mut all = vec![
            Hyperparameter::new("lr", self.lr, Domain::POSITIVE),
            Hyperparameter::new("l2", self.l2, Domain::NON_NEGATIVE),
        ];
        all.extend(self.rule.hyperparameters());
        all
    }

    /// The value of the hyperparameter `name`, if the optimizer has one.
    pub fn hyperparameter(&self, name: &str) -> Option<f64> {
        self.hyperparameters().into_iter().find(|h| h.name == name).map(|h| h.value)
    }

    /// The state kept for parameter `name`, or `None` before its first step.
    pub fn param_state(&self, name: &str) -> Option<&R::State<T>> {
        self.states.get(name).map(|slot| &slot.state)
    }

    /// The update rule (its configuration).
    pub fn rule(&self) -> &R {
        &self.rule
    }
}

impl<R: UpdateRule, T: Scalar> Optimizer<T> for FirstOrder<R, T> {
    fn step(&mut self, params: &mut Params<T>, grads: &Grads<T>) {
        for name in grads.names() {
            assert!(params.contains(name), "{}::step: gradient given for unknown parameter `{name}`", R::NAME);
        }
        self.steps += 1;
        let lam = T::from_f64(self.l2);
        for (name, p) in params.iter_mut() {
            let g = grads.get(name).unwrap_or_else(|| panic!("{}::step: no gradient for parameter `{name}`", R::NAME));
            let shape = p.shape();
            assert!(
                shape == g.shape(),
                "{}::step: parameter `{name}` has shape {} but its gradient has shape {}",
                R::NAME,
                shape_str(shape),
                shape_str(g.shape())
            );
            if !self.states.contains_key(name) {
                self.states.insert(name.to_string(), Slot { shape, state: self.rule.init_state(shape) });
            }
            let slot = self.states.get_mut(name).expect("state just inserted");
            assert!(
                slot.shape == shape,
                "{}::step: parameter `{name}` is {} but its optimizer state was created for {}; \
                 call reset() after reshaping a parameter",
                R::NAME,
                shape_str(shape),
                shape_str(slot.shape)
            );
            let step = StepInfo { lr: self.lr, t: self.steps, shape };
            let theta = p.as_mut_slice();
            if self.l2 != 0.0 {
                self.l2_gradient.clear();
                self.l2_gradient.extend(g.iter().zip(theta.iter()).map(|(&gi, &ti)| gi + lam * ti));
                self.rule.update(step, theta, &self.l2_gradient, &mut slot.state);
            } else {
                self.rule.update(step, theta, g.as_slice(), &mut slot.state);
            }
        }
    }

    fn steps(&self) -> u64 {
        self.steps
    }

    fn reset(&mut self) {
        self.steps = 0;
        self.states.clear();
    }

    fn learning_rate(&self) -> f64 {
        self.lr
    }

    fn set_learning_rate(&mut self, lr: f64) {
        self.lr = require(R::NAME, "lr", lr, Domain::NON_NEGATIVE);
    }

    fn state(&self) -> OptimizerState<T> {
        // A state without buffers (plain SGD) has nothing to save; it is
        // recreated, identical, on the parameter's next step.
        let params = self
            .states
            .iter()
            .map(|(name, slot)| ParamStateEntry {
                name: name.clone(),
                shape: slot.shape,
                buffers: slot.state.buffers().into_iter().map(|(b, m)| (b, m.clone())).collect(),
            })
            .filter(|entry| !entry.buffers.is_empty())
            .collect();
        OptimizerState { optimizer: R::NAME.to_string(), steps: self.steps, learning_rate: self.lr, params }
    }

    fn load_state(&mut self, saved: &OptimizerState<T>) -> Result<(), StateError> {
        if saved.optimizer != R::NAME {
            return Err(StateError::WrongOptimizer { expected: R::NAME, found: saved.optimizer.clone() });
        }
        let lr = check(R::NAME, "lr", saved.learning_rate, Domain::NON_NEGATIVE).map_err(StateError::LearningRate)?;
        let mut states = IndexMap::with_capacity(saved.params.len());
        for entry in &saved.params {
            let mut state = self.rule.init_state::<T>(entry.shape);
            let mut buffers = state.buffers_mut();
            for (buffer, values) in buffers.iter_mut() {
                let (buffer, param) = (*buffer, || entry.name.clone());
                let saved_values =
                    entry.buffers.get(buffer).ok_or_else(|| StateError::MissingBuffer { param: param(), buffer })?;
                if saved_values.shape() != values.shape() {
                    return Err(StateError::ShapeMismatch {
                        param: param(),
                        buffer,
                        expected: values.shape(),
                        found: saved_values.shape(),
                    });
                }
                **values = saved_values.clone();
            }
            if let Some(extra) = entry.buffers.names().find(|b| !buffers.iter().any(|(known, _)| known == b)) {
                return Err(StateError::UnexpectedBuffer { param: entry.name.clone(), buffer: extra.to_string() });
            }
            drop(buffers);
            if states.insert(entry.name.clone(), Slot { shape: entry.shape, state }).is_some() {
                return Err(StateError::DuplicateParam { param: entry.name.clone() });
            }
        }
        self.states = states;
        self.steps = saved.steps;
        self.lr = lr;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wengert_ops::Matrix;

    #[test]
    #[should_panic(expected = "no gradient for parameter `b`")]
    fn missing_gradient_panics_naming_the_parameter() {
        let mut p = Params::<f64>::new().with("w", Matrix::zeros(1, 2)).with("b", Matrix::zeros(1, 1));
        let g = Params::<f64>::new().with("w", Matrix::zeros(1, 2));
        Adam::new().step(&mut p, &g);
    }

    #[test]
    #[should_panic(expected = "parameter `w` has shape (1×2) but its gradient has shape (2×1)")]
    fn shape_mismatch_panics_naming_the_parameter() {
        let mut p = Params::<f64>::new().with("w", Matrix::zeros(1, 2));
        let g = Params::<f64>::new().with("w", Matrix::zeros(2, 1));
        Sgd::new().step(&mut p, &g);
    }

    #[test]
    #[should_panic(expected = "Adam::step: gradient given for unknown parameter `z`")]
    fn stray_gradient_panics_naming_it() {
        let mut p = Params::<f64>::new().with("w", Matrix::zeros(1, 2));
        let g = Params::<f64>::new().with("w", Matrix::zeros(1, 2)).with("z", Matrix::zeros(1, 1));
        Adam::new().step(&mut p, &g);
    }

    #[test]
    #[should_panic(expected = "Momentum::step: parameter `w` is (2×2) but its optimizer state was created for (1×2)")]
    fn reshaped_parameter_panics_instead_of_reusing_stale_state() {
        let mut opt = Momentum::new();
        let mut p = Params::<f64>::new().with("w", Matrix::zeros(1, 2));
        let g = p.clone();
        opt.step(&mut p, &g);
        let mut q = Params::<f64>::new().with("w", Matrix::zeros(2, 2));
        let g = q.clone();
        opt.step(&mut q, &g);
    }

    #[test]
    fn reset_clears_state_and_counter_but_keeps_lr() {
        let mut opt = Adam::<f32>::new().lr(0.5);
        let mut x = [1.0f32];
        opt.step_slice(&mut x, &[1.0]);
        opt.reset();
        assert_eq!(opt.steps(), 0);
        assert_eq!(opt.learning_rate(), 0.5);
        assert!(opt.param_state("flat").is_none());
        let mut y = [1.0f32];
        opt.step_slice(&mut y, &[1.0]);
        assert_eq!(x, y, "after reset the first step repeats exactly");
    }

    #[test]
    fn hyperparameters_list_lr_l2_then_the_rules_and_try_set_rejects_unknown_names() {
        let opt = AdamW::<f64>::new().lr(0.01).l2(0.5).weight_decay(0.2);
        let names: Vec<_> = opt.hyperparameters().iter().map(|h| (h.name, h.value)).collect();
        assert_eq!(
            names,
            [("lr", 0.01), ("l2", 0.5), ("beta1", 0.9), ("beta2", 0.999), ("eps", 1e-8), ("weight_decay", 0.2)]
        );
        let err = Sgd::<f64>::new().try_set("beta1", 0.5).unwrap_err();
        assert_eq!(err.to_string(), "Sgd has no hyperparameter `beta1` (it has: lr, l2)");
    }
}
