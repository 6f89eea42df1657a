//! The [`Optimizer`] trait: what a training loop, a schedule and a checkpoint
//! need from any optimizer.
//!
//! Why values and not a tape: an optimizer only needs the current parameters and
//! their gradients. Whoever computes the gradients (the tape, forward mode, an
//! analytic formula in a test) hands them over as a [`Grads`] with the same names.
//! State (moments, accumulators) lives inside the optimizer, keyed by parameter
//! name and created lazily the first time a name is seen, so parameters can be
//! added to a model between steps and state survives reordering.
//!
//! The per-parameter methods share one implementation,
//! [`FirstOrder`](crate::first_order::FirstOrder); an optimizer whose state
//! couples parameters (a quasi-Newton method over all of them, say) implements
//! this trait directly, and exports its state through the same
//! [`OptimizerState`].

use wengert_ops::{Matrix, Scalar};

use crate::params::{Grads, Params};
use crate::state::{OptimizerState, StateError};

/// The name [`Optimizer::step_slice`] files a flat parameter vector under.
pub const FLAT_PARAM: &str = "flat";

/// A first-order optimizer: updates parameters in place from their gradients.
pub trait Optimizer<T: Scalar> {
    /// Applies one update to every parameter in `params`.
    ///
    /// # Panics
    /// If a parameter has no gradient, a gradient names an unknown parameter, or
    /// shapes differ; the message names the parameter.
    fn step(&mut self, params: &mut Params<T>, grads: &Grads<T>);

    /// Number of [`step`](Optimizer::step) calls since creation or [`reset`](Optimizer::reset).
    fn steps(&self) -> u64;

    /// Forgets all per-parameter state and the step counter (the configuration,
    /// including the learning rate, is kept).
    fn reset(&mut self);

    /// The current learning rate η.
    fn learning_rate(&self) -> f64;

    /// Sets the learning rate η used from the next step on.
    ///
    /// # Panics
    /// If `lr` is negative or not finite, with a message naming the optimizer and
    /// the value. Zero is accepted: annealing schedules end there.
    fn set_learning_rate(&mut self, lr: f64);

    /// A snapshot of the step count, the learning rate and every per-parameter
    /// buffer (see [`OptimizerState`]).
    fn state(&self) -> OptimizerState<T>;

    /// Replaces the step count, the learning rate and all per-parameter state by
    /// `state`, as saved by [`state`](Optimizer::state) of an optimizer of the same
    /// kind; the configuration (β, ε, …) is this optimizer's own. On error nothing
    /// is changed.
    ///
    /// # Errors
    /// If `state` comes from another kind of optimizer, its learning rate is
    /// invalid, or a buffer is missing, unknown or of the wrong shape.
    fn load_state(&mut self, state: &OptimizerState<T>) -> Result<(), StateError>;

    /// Convenience for a single flat parameter vector: one [`step`](Optimizer::step)
    /// with the parameter named [`FLAT_PARAM`]. Repeated calls share state.
    ///
    /// # Panics
    /// If the lengths differ.
    fn step_slice(&mut self, params: &mut [T], grads: &[T]) {
        assert_eq!(
            params.len(),
            grads.len(),
            "step_slice: {} parameters but {} gradient entries",
            params.len(),
            grads.len()
        );
        let mut p = Params::new().with(FLAT_PARAM, Matrix::row_vector(params));
        let g = Params::new().with(FLAT_PARAM, Matrix::row_vector(grads));
        self.step(&mut p, &g);
        params.copy_from_slice(p.get(FLAT_PARAM).expect("flat parameter").as_slice());
    }
}

impl<T: Scalar, O: Optimizer<T> + ?Sized> Optimizer<T> for Box<O> {
    fn step(&mut self, params: &mut Params<T>, grads: &Grads<T>) {
        (**self).step(params, grads)
    }
    fn steps(&self) -> u64 {
        (**self).steps()
    }
    fn reset(&mut self) {
        (**self).reset()
    }
    fn learning_rate(&self) -> f64 {
        (**self).learning_rate()
    }
    fn set_learning_rate(&mut self, lr: f64) {
        (**self).set_learning_rate(lr)
    }
    fn state(&self) -> OptimizerState<T> {
        (**self).state()
    }
    fn load_state(&mut self, state: &OptimizerState<T>) -> Result<(), StateError> {
        (**self).load_state(state)
    }
    fn step_slice(&mut self, params: &mut [T], grads: &[T]) {
        (**self).step_slice(params, grads)
    }
}
