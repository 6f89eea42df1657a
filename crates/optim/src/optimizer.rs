//! The [`Optimizer`] trait and the bookkeeping every first-order method shares.
//!
//! Why values and not a tape: an optimizer only needs the current parameters and
//! their gradients. Whoever computes the gradients (the tape, forward mode, an
//! analytic formula in a test) hands them over as a [`Grads`] with the same names.
//! State (moments, accumulators) lives inside the optimizer, keyed by parameter
//! name and created lazily the first time a name is seen, so parameters can be
//! added to a model between steps and state survives reordering.

use indexmap::IndexMap;
use wengert_ops::{Matrix, Scalar};

use crate::params::{assert_same_shape, Grads, Params};

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
    fn set_learning_rate(&mut self, lr: f64);

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
    fn step_slice(&mut self, params: &mut [T], grads: &[T]) {
        (**self).step_slice(params, grads)
    }
}

/// Per-parameter state keyed by name, created on first sight.
pub(crate) type StateMap<S> = IndexMap<String, S>;

/// Visits every parameter with its gradient (plus `l2 · θ`, the coupled weight
/// decay, when `l2 ≠ 0`) and its state, creating the state with `init` if needed.
///
/// This is where the "missing gradient / wrong shape" panics live, so every
/// optimizer reports them the same way.
pub(crate) fn for_each_param<T: Scalar, S>(
    ctx: &str,
    params: &mut Params<T>,
    grads: &Grads<T>,
    l2: f64,
    states: &mut StateMap<S>,
    mut init: impl FnMut(&Matrix<T>) -> S,
    mut update: impl FnMut(&mut [T], &[T], &mut S, (usize, usize)),
) {
    for name in grads.names() {
        assert!(params.contains(name), "{ctx}: gradient given for unknown parameter `{name}`");
    }
    let lam = T::from_f64(l2);
    for (name, p) in params.iter_mut() {
        let g = grads.get(name).unwrap_or_else(|| panic!("{ctx}: no gradient for parameter `{name}`"));
        assert_same_shape(ctx, name, p, g);
        if !states.contains_key(name) {
            states.insert(name.to_string(), init(p));
        }
        let state = states.get_mut(name).expect("state just inserted");
        let shape = p.shape();
        let theta = p.as_mut_slice();
        if l2 != 0.0 {
            let g_eff: Vec<T> = g.iter().zip(theta.iter()).map(|(&gi, &ti)| gi + lam * ti).collect();
            update(theta, &g_eff, state, shape);
        } else {
            update(theta, g.as_slice(), state, shape);
        }
    }
}

/// Implements `steps`, `reset`, `learning_rate`, `set_learning_rate` for a struct
/// with fields `lr: f64`, `t: u64`, `state: StateMap<_>`, and `step` through a
/// method `fn step_impl(&mut self, params, grads)`.
macro_rules! optimizer_boilerplate {
    ($ty:ident) => {
        impl<T: Scalar> $crate::optimizer::Optimizer<T> for $ty<T> {
            fn step(&mut self, params: &mut $crate::params::Params<T>, grads: &$crate::params::Grads<T>) {
                self.t += 1;
                self.step_impl(params, grads);
            }
            fn steps(&self) -> u64 {
                self.t
            }
            fn reset(&mut self) {
                self.t = 0;
                self.state.clear();
            }
            fn learning_rate(&self) -> f64 {
                self.lr
            }
            fn set_learning_rate(&mut self, lr: f64) {
                self.lr = lr;
            }
        }
    };
}
pub(crate) use optimizer_boilerplate;
