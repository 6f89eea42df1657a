//! Optimizers and schedules refuse nonsense instead of computing with it: a
//! negative or NaN learning rate, β ≥ 1, ε = 0, negative decay. Every message
//! names the optimizer (or schedule), the hyperparameter and the value.

use wengert_ops::Matrix;
use wengert_optim::first_order::{
    AdaGradRule, AdafactorRule, AdamRule, LionRule, MomentumRule, NesterovRule, RmsPropRule, SgdRule,
};
use wengert_optim::{
    AdaGrad, Adafactor, Adam, AdamW, AmsGrad, Constant, CosineAnnealing, Domain, ExponentialDecay, FirstOrder,
    HyperparameterError, Lion, Momentum, Nesterov, Optimizer, Params, RmsProp, Schedule, Scheduled, Sgd, StepDecay,
    Triangular, UpdateRule, WarmRestarts, WarmupCosine,
};

/// The first example: Adam with lr −1 would ascend the loss.
#[test]
#[should_panic(expected = "Adam: `lr` must be finite and > 0, got -1")]
fn adam_with_a_negative_learning_rate_is_refused() {
    let _ = Adam::<f64>::new().lr(-1.0);
}

/// The second example: lr NaN would make every parameter NaN.
#[test]
#[should_panic(expected = "Adam: `lr` must be finite and > 0, got NaN")]
fn adam_with_a_nan_learning_rate_is_refused() {
    let _ = Adam::<f32>::new().lr(f64::NAN);
}

#[test]
#[should_panic(expected = "Sgd: `lr` must be finite and ≥ 0, got NaN")]
fn setting_a_nan_learning_rate_between_steps_is_refused() {
    let mut opt = Sgd::<f64>::new();
    opt.set_learning_rate(f64::NAN);
}

#[test]
fn a_learning_rate_of_zero_may_be_set_between_steps_where_annealing_ends() {
    let mut opt = Adam::<f64>::new();
    opt.set_learning_rate(0.0);
    let mut x = [1.0];
    opt.step_slice(&mut x, &[0.5]);
    assert_eq!(x, [1.0]);
}

#[test]
#[should_panic(expected = "Momentum: `beta` must be in [0, 1), got 1")]
fn momentum_of_one_is_refused() {
    let _ = Momentum::<f64>::classical(0.1, 1.0);
}

#[test]
#[should_panic(expected = "AdamW: `weight_decay` must be finite and ≥ 0, got -0.01")]
fn negative_decoupled_decay_is_refused() {
    let _ = AdamW::<f64>::new().weight_decay(-0.01);
}

#[test]
#[should_panic(expected = "RmsProp: `eps` must be finite and > 0, got 0")]
fn zero_epsilon_is_refused() {
    let _ = RmsProp::<f64>::new().eps(0.0);
}

#[test]
#[should_panic(expected = "Lion: `l2` must be finite and ≥ 0, got inf")]
fn infinite_coupled_decay_is_refused() {
    let _ = Lion::<f64>::new().l2(f64::INFINITY);
}

/// Values in range but just outside the domain's bound for `domain`, and one inside.
fn outside_and_inside(domain: Domain) -> (Vec<f64>, f64) {
    let mut outside = vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY];
    let inside = match domain {
        Domain::GreaterThan(low) => {
            outside.extend([low, low - 1.0]);
            low + 0.5
        }
        Domain::AtLeast(low) => {
            outside.push(low - 1e-9);
            low
        }
        Domain::HalfOpen(low, high) => {
            outside.extend([low - 1e-9, high]);
            low
        }
    };
    (outside, inside)
}

/// For every hyperparameter of the optimizer with rule `R`: its default is in
/// range, `try_set` refuses every out-of-range value with the error naming it,
/// and accepts a value in range.
fn every_hyperparameter_is_checked<R: UpdateRule>() {
    let defaults = FirstOrder::<R, f64>::new();
    let hyperparameters = defaults.hyperparameters();
    assert!(hyperparameters.len() >= 2, "{}: lr and l2 at least", R::NAME);
    for hp in hyperparameters {
        assert!(hp.domain.contains(hp.value), "{}: default {} = {} out of range", R::NAME, hp.name, hp.value);
        let (outside, inside) = outside_and_inside(hp.domain);
        for bad in outside {
            let err = FirstOrder::<R, f64>::new().try_set(hp.name, bad).err();
            match err {
                Some(HyperparameterError::OutOfRange { owner, name, value, domain }) => {
                    assert_eq!((owner, name, domain), (R::NAME, hp.name, hp.domain));
                    assert!(value.to_bits() == bad.to_bits());
                }
                other => panic!("{}: {} = {bad} gave {other:?}", R::NAME, hp.name),
            }
        }
        let ok = FirstOrder::<R, f64>::new().try_set(hp.name, inside).unwrap();
        assert_eq!(ok.hyperparameter(hp.name), Some(inside), "{}: {}", R::NAME, hp.name);
    }
}

#[test]
fn every_hyperparameter_of_every_optimizer_is_range_checked() {
    every_hyperparameter_is_checked::<SgdRule>();
    every_hyperparameter_is_checked::<MomentumRule>();
    every_hyperparameter_is_checked::<NesterovRule>();
    every_hyperparameter_is_checked::<AdaGradRule>();
    every_hyperparameter_is_checked::<RmsPropRule>();
    every_hyperparameter_is_checked::<AdamRule>();
    every_hyperparameter_is_checked::<AdamRule<true, false>>();
    every_hyperparameter_is_checked::<AdamRule<false, true>>();
    every_hyperparameter_is_checked::<LionRule>();
    every_hyperparameter_is_checked::<AdafactorRule>();
}

/// An expected message prefix and a builder call that should panic with it.
type SetterCase = (&'static str, Box<dyn Fn() + std::panic::RefUnwindSafe>);

/// The typed setters are the checked ones: each optimizer's own setter refuses
/// NaN (spot check of one per optimizer, through `catch_unwind`).
#[test]
fn typed_setters_refuse_nan() {
    let cases: Vec<SetterCase> = vec![
        ("Nesterov: `beta`", Box::new(|| drop(Nesterov::<f64>::new().beta(f64::NAN)))),
        ("AdaGrad: `initial_accumulator`", Box::new(|| drop(AdaGrad::<f64>::new().initial_accumulator(f64::NAN)))),
        ("RmsProp: `rho`", Box::new(|| drop(RmsProp::<f64>::new().rho(f64::NAN)))),
        ("Adam: `beta1`", Box::new(|| drop(Adam::<f64>::new().beta1(f64::NAN)))),
        ("AmsGrad: `beta2`", Box::new(|| drop(AmsGrad::<f64>::new().beta2(f64::NAN)))),
        ("AdamW: `eps`", Box::new(|| drop(AdamW::<f64>::new().eps(f64::NAN)))),
        ("Lion: `weight_decay`", Box::new(|| drop(Lion::<f64>::new().weight_decay(f64::NAN)))),
        ("Adafactor: `decay_rate`", Box::new(|| drop(Adafactor::<f64>::new().decay_rate(f64::NAN)))),
        ("Adafactor: `clip_threshold`", Box::new(|| drop(Adafactor::<f64>::new().clip_threshold(f64::NAN)))),
        ("Sgd: `lr`", Box::new(|| drop(Sgd::<f64>::new().lr(f64::NAN)))),
    ];
    for (want, f) in &cases {
        let payload = std::panic::catch_unwind(f).expect_err(want);
        let msg = payload.downcast_ref::<String>().expect("formatted panic message");
        assert_eq!(msg, &format!("{want} must be {}, got NaN", domain_text(want)));
    }
}

fn domain_text(which: &str) -> &'static str {
    match which {
        w if w.ends_with("`beta`") || w.ends_with("`beta1`") || w.ends_with("`beta2`") || w.ends_with("`rho`") => {
            "in [0, 1)"
        }
        w if w.ends_with("`initial_accumulator`") || w.ends_with("`weight_decay`") => "finite and ≥ 0",
        _ => "finite and > 0",
    }
}

#[test]
fn an_invalid_optimizer_never_reaches_a_step() {
    // What used to happen: lr −1 ascends. Through the user-input path the value
    // is refused before any parameter moves.
    let err = Adam::<f64>::new().try_set("lr", -1.0).unwrap_err();
    assert_eq!(err.to_string(), "Adam: `lr` must be finite and > 0, got -1");
    let err = Sgd::<f64>::new().try_set("momentum", 0.9).unwrap_err();
    assert!(matches!(err, HyperparameterError::Unknown { owner: "Sgd", .. }), "{err:?}");
}

#[test]
fn every_schedule_names_its_first_bad_field() {
    let cases: Vec<(Box<dyn Schedule>, &str)> = vec![
        (Box::new(Constant(-0.1)), "Constant: `lr` must be finite and > 0, got -0.1"),
        (
            Box::new(StepDecay { initial: 0.1, gamma: f64::NAN, step_size: 3 }),
            "StepDecay: `gamma` must be finite and > 0, got NaN",
        ),
        (
            Box::new(StepDecay { initial: 0.1, gamma: 0.5, step_size: 0 }),
            "StepDecay: `step_size` must be finite and ≥ 1, got 0",
        ),
        (
            Box::new(ExponentialDecay { initial: f64::INFINITY, gamma: 0.9 }),
            "ExponentialDecay: `initial` must be finite and > 0, got inf",
        ),
        (
            Box::new(CosineAnnealing { max_lr: 0.1, min_lr: -1.0, total: 10 }),
            "CosineAnnealing: `min_lr` must be finite and ≥ 0, got -1",
        ),
        (
            Box::new(WarmupCosine { peak_lr: 0.1, min_lr: 0.0, warmup: 10, total: 5 }),
            "WarmupCosine: `total` must be finite and ≥ 10, got 5",
        ),
        (
            Box::new(Triangular { base_lr: 0.0, max_lr: 0.0, half_cycle: 5 }),
            "Triangular: `max_lr` must be finite and > 0, got 0",
        ),
        (
            Box::new(WarmRestarts { max_lr: 0.1, min_lr: 0.0, period: 10, period_mult: 0 }),
            "WarmRestarts: `period_mult` must be finite and ≥ 1, got 0",
        ),
    ];
    for (schedule, want) in cases {
        assert_eq!(schedule.validate().unwrap_err().to_string(), want);
    }
    // The valid configurations the rest of the suite uses pass.
    assert!(WarmupCosine { peak_lr: 0.1, min_lr: 0.0, warmup: 2, total: 6 }.validate().is_ok());
    assert!(WarmRestarts { max_lr: 1.0, min_lr: 0.0, period: 10, period_mult: 2 }.validate().is_ok());
}

#[test]
#[should_panic(expected = "CosineAnnealing: `total` must be finite and ≥ 1, got 0")]
fn scheduled_refuses_an_invalid_schedule_at_construction() {
    let _ = Scheduled::new(Adam::<f64>::new(), CosineAnnealing { max_lr: 0.1, min_lr: 0.0, total: 0 });
}

#[test]
fn scheduled_try_new_returns_the_error() {
    let err = Scheduled::try_new(Sgd::<f64>::new(), Constant(f64::NAN)).err().unwrap();
    assert_eq!(err.to_string(), "Constant: `lr` must be finite and > 0, got NaN");
}

#[test]
#[should_panic(expected = "Scheduled: the schedule gave learning rate -0.5 for step 3; rates must be finite and ≥ 0")]
fn a_closure_schedule_that_goes_negative_is_stopped_at_that_step() {
    let mut opt = Scheduled::new(Sgd::<f64>::new(), |step: u64| 1.0 - 0.5 * step as f64);
    let mut p = Params::new().with("w", Matrix::from_rows(&[[1.0, 2.0]]));
    let g = p.clone();
    for _ in 0..4 {
        opt.step(&mut p, &g);
    }
}
