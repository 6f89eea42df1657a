//! AdaGrad: per-coordinate rates from the accumulated squared gradient.

use wengert_ops::Scalar;

use super::{FirstOrder, StepInfo, UpdateRule};
use crate::hyperparameters::{Domain, Hyperparameter};
use crate::state::Buffer;

/// AdaGrad: per-coordinate rates shrinking with the accumulated squared gradient.
/// `G ← G + g²`, `θ ← θ − η g / (√G + ε)`.
///
/// Because `G` only grows, the effective rate `η / (√G + ε)` of every coordinate is
/// non-increasing ([`effective_learning_rates`](AdaGrad::effective_learning_rates)).
///
/// State per parameter: `G` (buffer `"sum_sq"`).
///
/// Defaults: `lr` 0.01, `eps` 1e-10, `initial_accumulator` 0, `l2` 0.
pub type AdaGrad<T> = FirstOrder<AdaGradRule, T>;

/// The update rule of [`AdaGrad`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdaGradRule {
    eps: f64,
    initial_accumulator: f64,
}

impl Default for AdaGradRule {
    fn default() -> Self {
        AdaGradRule { eps: 1e-10, initial_accumulator: 0.0 }
    }
}

impl UpdateRule for AdaGradRule {
    const NAME: &'static str = "AdaGrad";
    const DEFAULT_LR: f64 = 0.01;
    type State<T: Scalar> = Buffer<T>;

    fn hyperparameters(&self) -> Vec<Hyperparameter> {
        vec![
            Hyperparameter::new("eps", self.eps, Domain::POSITIVE),
            Hyperparameter::new("initial_accumulator", self.initial_accumulator, Domain::NON_NEGATIVE),
        ]
    }

    fn hyperparameter_mut(&mut self, name: &str) -> Option<&mut f64> {
        match name {
            "eps" => Some(&mut self.eps),
            "initial_accumulator" => Some(&mut self.initial_accumulator),
            _ => None,
        }
    }

    fn init_state<T: Scalar>(&self, shape: (usize, usize)) -> Buffer<T> {
        Buffer::filled("sum_sq", shape, T::from_f64(self.initial_accumulator))
    }

    fn update<T: Scalar>(&self, step: StepInfo, theta: &mut [T], grad: &[T], sum_sq: &mut Buffer<T>) {
        let (lr, eps) = (T::from_f64(step.lr), T::from_f64(self.eps));
        for ((t, &g), a) in theta.iter_mut().zip(grad).zip(sum_sq.as_mut_slice()) {
            *a += g * g;
            *t -= lr * g / (a.sqrt() + eps);
        }
    }
}

impl<T: Scalar> AdaGrad<T> {
    /// Sets ε, added to `√G` in the denominator.
    pub fn eps(self, eps: f64) -> Self {
        self.set("eps", eps)
    }

    /// Sets the starting value of the accumulator `G`.
    pub fn initial_accumulator(self, g0: f64) -> Self {
        self.set("initial_accumulator", g0)
    }

    /// The current per-coordinate rates `η / (√G + ε)` of parameter `name`, or
    /// `None` before the parameter's first step.
    pub fn effective_learning_rates(&self, name: &str) -> Option<Vec<f64>> {
        let (lr, eps) = (self.lr, self.rule.eps);
        self.param_state(name).map(|acc| acc.values().iter().map(|g| lr / (g.value().sqrt() + eps)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::ParamState;
    use crate::Optimizer;

    #[test]
    fn the_accumulator_starts_at_initial_accumulator_and_is_exported() {
        let mut opt = AdaGrad::new().lr(0.5).initial_accumulator(0.25);
        let mut x = [0.0f64, 0.0];
        opt.step_slice(&mut x, &[1.0, 0.0]);
        let state = opt.param_state(crate::FLAT_PARAM).unwrap();
        assert_eq!(state.buffers()[0].0, "sum_sq");
        assert_eq!(state.values().as_slice(), [1.25, 0.25]);
        assert_eq!(x, [-0.5 / (1.25f64.sqrt() + 1e-10), 0.0]);
    }
}
