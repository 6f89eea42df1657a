//! Nesterov accelerated gradient in the look-ahead form of deep-learning libraries.

use wengert_ops::Scalar;

use super::{FirstOrder, StepInfo, UpdateRule};
use crate::hyperparameters::{Domain, Hyperparameter};
use crate::state::Buffer;

/// Nesterov accelerated gradient in the "look-ahead" form used by deep-learning
/// libraries: `v ← βv + g`, `θ ← θ − η(g + βv)`.
///
/// This is Nesterov's method reparametrised so the gradient is taken at the stored
/// iterate. On a quadratic mode of curvature λ its characteristic polynomial is
/// `z² − (1 + β)(1 − ηλ)z + β(1 − ηλ)`, versus heavy ball's
/// `z² − (1 + β − ηλ)z + β`: with the same (η, β) an under-damped mode contracts
/// by `√(β(1 − ηλ))` per step instead of `√β`.
///
/// State per parameter: the velocity `v` (buffer `"velocity"`).
///
/// Defaults: `lr` 0.01, `beta` 0.9, `l2` 0.
pub type Nesterov<T> = FirstOrder<NesterovRule, T>;

/// The update rule of [`Nesterov`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NesterovRule {
    beta: f64,
}

impl Default for NesterovRule {
    fn default() -> Self {
        NesterovRule { beta: 0.9 }
    }
}

impl UpdateRule for NesterovRule {
    const NAME: &'static str = "Nesterov";
    const DEFAULT_LR: f64 = 0.01;
    type State<T: Scalar> = Buffer<T>;

    fn hyperparameters(&self) -> Vec<Hyperparameter> {
        vec![Hyperparameter::new("beta", self.beta, Domain::FRACTION)]
    }

    fn hyperparameter_mut(&mut self, name: &str) -> Option<&mut f64> {
        match name {
            "beta" => Some(&mut self.beta),
            _ => None,
        }
    }

    fn init_state<T: Scalar>(&self, shape: (usize, usize)) -> Buffer<T> {
        Buffer::zeros("velocity", shape)
    }

    fn update<T: Scalar>(&self, step: StepInfo, theta: &mut [T], grad: &[T], velocity: &mut Buffer<T>) {
        let (lr, beta) = (T::from_f64(step.lr), T::from_f64(self.beta));
        for ((t, &g), v) in theta.iter_mut().zip(grad).zip(velocity.as_mut_slice()) {
            *v = beta * *v + g;
            *t -= lr * (g + beta * *v);
        }
    }
}

impl<T: Scalar> Nesterov<T> {
    /// Sets the momentum coefficient β ∈ [0, 1).
    pub fn beta(self, beta: f64) -> Self {
        self.set("beta", beta)
    }
}
