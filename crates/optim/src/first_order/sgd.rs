//! Plain (stochastic) gradient descent.

use wengert_ops::Scalar;

use super::{FirstOrder, StepInfo, UpdateRule};
use crate::hyperparameters::Hyperparameter;

/// Plain (stochastic) gradient descent: `θ ← θ − η g`.
///
/// Defaults: `lr` 0.01, `l2` 0.
pub type Sgd<T> = FirstOrder<SgdRule, T>;

/// The update rule of [`Sgd`]: no hyperparameters besides η, no state.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SgdRule;

impl UpdateRule for SgdRule {
    const NAME: &'static str = "Sgd";
    const DEFAULT_LR: f64 = 0.01;
    type State<T: Scalar> = ();

    fn hyperparameters(&self) -> Vec<Hyperparameter> {
        Vec::new()
    }

    fn hyperparameter_mut(&mut self, _name: &str) -> Option<&mut f64> {
        None
    }

    fn init_state<T: Scalar>(&self, _shape: (usize, usize)) {}

    fn update<T: Scalar>(&self, step: StepInfo, theta: &mut [T], grad: &[T], _state: &mut ()) {
        let lr = T::from_f64(step.lr);
        for (t, &g) in theta.iter_mut().zip(grad) {
            *t -= lr * g;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Optimizer;

    #[test]
    fn sgd_step_is_lr_times_gradient_with_coupled_l2() {
        let mut opt = Sgd::new().lr(0.1).l2(0.5);
        let mut x = [1.0f64, -2.0];
        opt.step_slice(&mut x, &[1.0, 1.0]);
        // g + λθ = [1.5, 0.0]
        assert!((x[0] - 0.85).abs() < 1e-15 && (x[1] + 2.0).abs() < 1e-15);
        assert_eq!(Optimizer::<f64>::steps(&opt), 1);
    }
}
