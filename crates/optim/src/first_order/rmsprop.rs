//! RMSProp: AdaGrad with a forgetting average of the squared gradient.

use wengert_ops::Scalar;

use super::{FirstOrder, StepInfo, UpdateRule};
use crate::hyperparameters::{Domain, Hyperparameter};
use crate::state::Buffer;

/// RMSProp: AdaGrad with a forgetting accumulator, so rates can recover.
/// `v ← ρv + (1 − ρ)g²`, `θ ← θ − η g / (√v + ε)`.
///
/// State per parameter: `v` (buffer `"mean_sq"`).
///
/// Defaults: `lr` 1e-3, `rho` 0.9 (Hinton's lecture value), `eps` 1e-8, `l2` 0.
pub type RmsProp<T> = FirstOrder<RmsPropRule, T>;

/// The update rule of [`RmsProp`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RmsPropRule {
    rho: f64,
    eps: f64,
}

impl Default for RmsPropRule {
    fn default() -> Self {
        RmsPropRule { rho: 0.9, eps: 1e-8 }
    }
}

impl UpdateRule for RmsPropRule {
    const NAME: &'static str = "RmsProp";
    const DEFAULT_LR: f64 = 1e-3;
    type State<T: Scalar> = Buffer<T>;

    fn hyperparameters(&self) -> Vec<Hyperparameter> {
        vec![
            Hyperparameter::new("rho", self.rho, Domain::FRACTION),
            Hyperparameter::new("eps", self.eps, Domain::POSITIVE),
        ]
    }

    fn hyperparameter_mut(&mut self, name: &str) -> Option<&mut f64> {
        match name {
            "rho" => Some(&mut self.rho),
            "eps" => Some(&mut self.eps),
            _ => None,
        }
    }

    fn init_state<T: Scalar>(&self, shape: (usize, usize)) -> Buffer<T> {
        Buffer::zeros("mean_sq", shape)
    }

    fn update<T: Scalar>(&self, step: StepInfo, theta: &mut [T], grad: &[T], mean_sq: &mut Buffer<T>) {
        let (lr, rho, eps) = (T::from_f64(step.lr), T::from_f64(self.rho), T::from_f64(self.eps));
        let one_m_rho = T::from_f64(1.0 - self.rho);
        for ((t, &g), v) in theta.iter_mut().zip(grad).zip(mean_sq.as_mut_slice()) {
            *v = rho * *v + one_m_rho * g * g;
            *t -= lr * g / (v.sqrt() + eps);
        }
    }
}

impl<T: Scalar> RmsProp<T> {
    /// Sets the decay ρ ∈ [0, 1) of the squared-gradient average.
    pub fn rho(self, rho: f64) -> Self {
        self.set("rho", rho)
    }

    /// Sets ε, added to `√v` in the denominator.
    pub fn eps(self, eps: f64) -> Self {
        self.set("eps", eps)
    }
}
