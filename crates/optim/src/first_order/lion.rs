//! Lion: a sign update on an interpolation of momentum and gradient.

use wengert_ops::Scalar;

use super::{FirstOrder, StepInfo, UpdateRule};
use crate::hyperparameters::{Domain, Hyperparameter};
use crate::state::Buffer;

/// Lion (Chen et al., "Symbolic Discovery of Optimization Algorithms"): a sign
/// update on an interpolation of momentum and gradient.
///
/// `u = sign(β₁m + (1 − β₁)g)`, `θ ← θ − η(u + λθ)`, `m ← β₂m + (1 − β₂)g`.
/// Every coordinate moves by exactly η (plus decay), so η is typically 3–10×
/// smaller than Adam's; only one state vector is kept (buffer `"m"`).
///
/// Defaults: `lr` 1e-4, `beta1` 0.9, `beta2` 0.99, `weight_decay` 0 (decoupled),
/// `l2` 0.
pub type Lion<T> = FirstOrder<LionRule, T>;

/// The update rule of [`Lion`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LionRule {
    beta1: f64,
    beta2: f64,
    weight_decay: f64,
}

impl Default for LionRule {
    fn default() -> Self {
        LionRule { beta1: 0.9, beta2: 0.99, weight_decay: 0.0 }
    }
}

impl UpdateRule for LionRule {
    const NAME: &'static str = "Lion";
    const DEFAULT_LR: f64 = 1e-4;
    type State<T: Scalar> = Buffer<T>;

    fn hyperparameters(&self) -> Vec<Hyperparameter> {
        vec![
            Hyperparameter::new("beta1", self.beta1, Domain::FRACTION),
            Hyperparameter::new("beta2", self.beta2, Domain::FRACTION),
            Hyperparameter::new("weight_decay", self.weight_decay, Domain::NON_NEGATIVE),
        ]
    }

    fn hyperparameter_mut(&mut self, name: &str) -> Option<&mut f64> {
        match name {
            "beta1" => Some(&mut self.beta1),
            "beta2" => Some(&mut self.beta2),
            "weight_decay" => Some(&mut self.weight_decay),
            _ => None,
        }
    }

    fn init_state<T: Scalar>(&self, shape: (usize, usize)) -> Buffer<T> {
        Buffer::zeros("m", shape)
    }

    fn update<T: Scalar>(&self, step: StepInfo, theta: &mut [T], grad: &[T], momentum: &mut Buffer<T>) {
        let c = T::from_f64;
        let (lr, b1, b2, wd) = (c(step.lr), c(self.beta1), c(self.beta2), c(self.weight_decay));
        let (one_b1, one_b2) = (c(1.0 - self.beta1), c(1.0 - self.beta2));
        for ((t, &g), m) in theta.iter_mut().zip(grad).zip(momentum.as_mut_slice()) {
            let u = b1 * *m + one_b1 * g;
            let sign = if u > T::zero() {
                T::one()
            } else if u < T::zero() {
                -T::one()
            } else {
                T::zero()
            };
            *t -= lr * (sign + wd * *t);
            *m = b2 * *m + one_b2 * g;
        }
    }
}

impl<T: Scalar> Lion<T> {
    /// Sets β₁ ∈ [0, 1), the interpolation used for the sign.
    pub fn beta1(self, beta1: f64) -> Self {
        self.set("beta1", beta1)
    }

    /// Sets β₂ ∈ [0, 1), the decay of the momentum that is kept.
    pub fn beta2(self, beta2: f64) -> Self {
        self.set("beta2", beta2)
    }

    /// Sets the decoupled weight decay λ ≥ 0.
    pub fn weight_decay(self, weight_decay: f64) -> Self {
        self.set("weight_decay", weight_decay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Optimizer;

    #[test]
    fn lion_moves_each_coordinate_by_exactly_lr() {
        let mut opt = Lion::new().lr(0.01);
        let mut x = [0.0f64, 0.0, 0.0];
        opt.step_slice(&mut x, &[3.0, -1e-6, 0.0]);
        assert_eq!(x, [-0.01, 0.01, 0.0]);
    }
}
