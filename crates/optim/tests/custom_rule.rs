//! An update rule written outside the crate gets everything the built-in
//! optimizers have: name-matched gradients and shape checks, lazy state, the step
//! counter, coupled L2, hyperparameter checking, schedules and state export.
//!
//! The rule is Signum (Bernstein et al. 2018, "signSGD"): sign descent on a
//! momentum, `m ← βm + (1 − β)g`, `θ ← θ − η sign(m)`. It is the example of
//! `docs/design.md`, "How to add an optimizer".

use wengert_ops::{Matrix, Scalar};
use wengert_optim::first_order::{FirstOrder, StepInfo, UpdateRule};
use wengert_optim::hyperparameters::{Domain, Hyperparameter};
use wengert_optim::state::Buffer;
use wengert_optim::{Optimizer, OptimizerState, Params, Scheduled, StepDecay};

/// Signum's configuration; `Default` holds its documented defaults.
#[derive(Clone, Copy, Debug, PartialEq)]
struct SignumRule {
    beta: f64,
}

impl Default for SignumRule {
    fn default() -> Self {
        SignumRule { beta: 0.9 }
    }
}

impl UpdateRule for SignumRule {
    const NAME: &'static str = "Signum";
    const DEFAULT_LR: f64 = 1e-3;
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
        Buffer::zeros("m", shape)
    }

    fn update<T: Scalar>(&self, step: StepInfo, theta: &mut [T], grad: &[T], momentum: &mut Buffer<T>) {
        let (lr, beta, one_m_beta) = (T::from_f64(step.lr), T::from_f64(self.beta), T::from_f64(1.0 - self.beta));
        for ((t, &g), m) in theta.iter_mut().zip(grad).zip(momentum.as_mut_slice()) {
            *m = beta * *m + one_m_beta * g;
            let sign = if *m > T::zero() {
                T::one()
            } else if *m < T::zero() {
                -T::one()
            } else {
                T::zero()
            };
            *t -= lr * sign;
        }
    }
}

type Signum<T> = FirstOrder<SignumRule, T>;

#[test]
fn every_coordinate_moves_by_exactly_the_learning_rate() {
    let mut opt = Signum::new().set("lr", 0.25).set("beta", 0.5);
    let mut x = [0.0f64, 0.0, 0.0];
    opt.step_slice(&mut x, &[3.0, -1e-9, 0.0]);
    assert_eq!(x, [-0.25, 0.25, 0.0]);
    // m = [1.5, −5e-10, 0]; a gradient of −2 on the first coordinate makes it
    // 0.75 − 1 < 0, so that coordinate moves back.
    opt.step_slice(&mut x, &[-2.0, 0.0, 0.0]);
    assert_eq!(x, [0.0, 0.5, 0.0]);
    assert_eq!(opt.steps(), 2);
}

#[test]
fn the_shared_bookkeeping_applies_to_it() {
    // Hyperparameters are range-checked by name…
    let err = Signum::<f64>::new().try_set("beta", 1.0).unwrap_err();
    assert_eq!(err.to_string(), "Signum: `beta` must be in [0, 1), got 1");
    assert_eq!(Signum::<f64>::new().hyperparameter("lr"), Some(1e-3));

    // …it runs under a schedule on named parameters, converging on |w − 3|…
    let mut opt = Scheduled::new(Signum::new(), StepDecay { initial: 0.5, gamma: 0.5, step_size: 20 });
    let mut p = Params::new().with("w", Matrix::from_rows(&[[0.0f64, 10.0]]));
    for _ in 0..200 {
        let g = Params::new().with("w", p.get("w").unwrap().map(|&w| w - 3.0));
        opt.step(&mut p, &g);
    }
    // A sign method ends oscillating within a few steps of its last rate
    // (0.5 · 0.5⁹ ≈ 1e-3) around the minimizer.
    let last_lr = 0.5 * 0.5f64.powi(9);
    assert!(p.get("w").unwrap().iter().all(|&w| (w - 3.0).abs() < 10.0 * last_lr), "{}", p.get("w").unwrap());

    // …and its state saves and restores like any other.
    let saved = opt.state();
    assert_eq!(saved.tensors().names().collect::<Vec<_>>(), ["w.m"]);
    let mut resumed = Signum::<f64>::new();
    resumed.load_state(&saved).unwrap();
    assert_eq!(resumed.state(), saved);
    let wrong = OptimizerState::<f64> { optimizer: "Adam".into(), ..saved };
    assert!(resumed.load_state(&wrong).is_err());
}
