//! Gradient descent with (heavy-ball) momentum, in either of its two conventions.

use wengert_ops::Scalar;

use super::{FirstOrder, StepInfo, UpdateRule};
use crate::hyperparameters::{Domain, Hyperparameter};
use crate::state::Buffer;

/// Which of the two common momentum conventions [`Momentum`] uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MomentumForm {
    /// Polyak's heavy ball as written in most deep-learning libraries:
    /// `v ← βv + g`, `θ ← θ − ηv`. Equivalent to
    /// `θ_{k+1} = θ_k − η g_k + β(θ_k − θ_{k−1})`, so the theory's optimal
    /// `(η, β)` for quadratics apply directly.
    Classical,
    /// Exponential moving average of gradients: `v ← βv + (1 − β)g`, `θ ← θ − ηv`.
    /// Same trajectory as `Classical` with learning rate `η(1 − β)`; the step size
    /// stays comparable to plain SGD when β changes.
    Ema,
}

/// Gradient descent with momentum, in either [`MomentumForm`].
///
/// State per parameter: the velocity `v` (buffer `"velocity"`).
///
/// Defaults: `lr` 0.01, `beta` 0.9, form [`MomentumForm::Classical`], `l2` 0.
pub type Momentum<T> = FirstOrder<MomentumRule, T>;

/// The update rule of [`Momentum`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MomentumRule {
    beta: f64,
    form: MomentumForm,
}

impl Default for MomentumRule {
    fn default() -> Self {
        MomentumRule { beta: 0.9, form: MomentumForm::Classical }
    }
}

impl UpdateRule for MomentumRule {
    const NAME: &'static str = "Momentum";
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
        let gscale = match self.form {
            MomentumForm::Classical => T::one(),
            MomentumForm::Ema => T::from_f64(1.0 - self.beta),
        };
        for ((t, &g), v) in theta.iter_mut().zip(grad).zip(velocity.as_mut_slice()) {
            *v = beta * *v + gscale * g;
            *t -= lr * *v;
        }
    }
}

impl<T: Scalar> Momentum<T> {
    /// Classical momentum `v ← βv + g`, `θ ← θ − ηv` with the given η and β.
    pub fn classical(lr: f64, beta: f64) -> Self {
        Self::new().lr(lr).beta(beta)
    }

    /// EMA momentum `v ← βv + (1 − β)g`, `θ ← θ − ηv` with the given η and β.
    pub fn ema(lr: f64, beta: f64) -> Self {
        Self::new().lr(lr).beta(beta).form(MomentumForm::Ema)
    }

    /// Sets the momentum coefficient β ∈ [0, 1).
    pub fn beta(self, beta: f64) -> Self {
        self.set("beta", beta)
    }

    /// Sets the momentum convention.
    pub fn form(mut self, form: MomentumForm) -> Self {
        self.rule.form = form;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Optimizer;

    #[test]
    fn ema_momentum_equals_classical_with_scaled_rate() {
        let (beta, lr) = (0.8, 0.1);
        let mut a = Momentum::ema(lr, beta);
        let mut b = Momentum::classical(lr * (1.0 - beta), beta);
        let (mut xa, mut xb) = ([1.0f64, 2.0], [1.0f64, 2.0]);
        for k in 0..20 {
            let g = [xa[0] * 3.0 + k as f64, xa[1] - 1.0];
            a.step_slice(&mut xa, &g);
            b.step_slice(&mut xb, &g);
        }
        assert!((xa[0] - xb[0]).abs() < 1e-12 && (xa[1] - xb[1]).abs() < 1e-12);
    }
}
