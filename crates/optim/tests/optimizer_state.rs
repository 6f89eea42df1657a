//! Saving and restoring optimizer state continues a run bit for bit: for every
//! optimizer and both precisions, 10 uninterrupted steps equal 5 steps, a save
//! through the flat named tensors a checkpoint stores, a restore into a fresh
//! optimizer, and 5 more steps. Bad states are refused without changing the
//! optimizer.

use wengert_ops::{Matrix, Scalar};
use wengert_optim::first_order::Moments;
use wengert_optim::state::ParamState;
use wengert_optim::{
    AdaGrad, Adafactor, Adam, AdamW, AmsGrad, Lion, Momentum, Nesterov, Optimizer, OptimizerState, Params, RmsProp,
    Scheduled, Sgd, StateError, WarmupCosine,
};

/// Parameters at step `k`: a 3 × 4 matrix (factored by Adafactor), a 1 × 4
/// vector, and from step 7 on a third parameter the optimizer first sees after
/// the save point.
fn params_for<T: Scalar>(k: usize, previous: Option<Params<T>>) -> Params<T> {
    let mut p = previous.unwrap_or_else(|| {
        Params::new()
            .with("layer1.weight", Matrix::from_fn(3, 4, |i, j| T::from_f64(((i * 4 + j) as f64 * 0.7).sin())))
            .with("layer1.bias", Matrix::from_fn(1, 4, |_, j| T::from_f64((j as f64).cos())))
    });
    if k == 7 && !p.contains("late") {
        p.insert("late", Matrix::from_fn(2, 2, |i, j| T::from_f64((i + 2 * j) as f64 * 0.3 - 0.4)));
    }
    p
}

/// A gradient that depends on the parameters and the step.
fn grads_at<T: Scalar>(p: &Params<T>, k: usize) -> Params<T> {
    p.iter()
        .map(|(name, m)| {
            let g = m.map(|&x| T::from_f64(x.value() * 1.3 - 0.2 + (k as f64 * 0.37 + name.len() as f64).sin()));
            (name.to_string(), g)
        })
        .collect()
}

fn run<T: Scalar>(opt: &mut dyn Optimizer<T>, p: &mut Params<T>, steps: std::ops::Range<usize>) {
    for k in steps {
        *p = params_for(k, Some(std::mem::replace(p, Params::new())));
        let g = grads_at(p, k);
        opt.step(p, &g);
    }
}

fn bits<T: Scalar>(p: &Params<T>) -> Vec<u64> {
    p.to_flat().iter().map(|x| x.value().to_bits()).collect()
}

/// Runs the save/restore round trip for the optimizer `make` builds.
fn resumes_bit_for_bit<T: Scalar, O: Optimizer<T>>(label: &str, make: impl Fn() -> O) {
    let mut whole = make();
    let mut p_whole = params_for::<T>(0, None);
    run(&mut whole, &mut p_whole, 0..10);

    let mut first = make();
    let mut p = params_for::<T>(0, None);
    run(&mut first, &mut p, 0..5);
    let saved = first.state();
    assert_eq!(saved.steps, 5, "{label}");
    // What a checkpoint file holds: flat named tensors plus three scalars.
    let tensors = saved.tensors();
    let reread = OptimizerState::from_tensors(saved.optimizer.clone(), saved.steps, saved.learning_rate, &p, &tensors)
        .unwrap_or_else(|e| panic!("{label}: {e}"));
    assert_eq!(reread, saved, "{label}: the flat tensors carry the whole state");

    let mut resumed = make();
    resumed.load_state(&reread).unwrap_or_else(|e| panic!("{label}: {e}"));
    assert_eq!(resumed.steps(), 5, "{label}");
    assert_eq!(resumed.state(), saved, "{label}: restoring then saving gives the same state");
    run(&mut resumed, &mut p, 5..10);

    assert_eq!(bits(&p), bits(&p_whole), "{label}: resumed parameters differ");
    assert_eq!(resumed.state(), whole.state(), "{label}: resumed state differs");
}

fn every_optimizer_resumes<T: Scalar + 'static>() {
    resumes_bit_for_bit::<T, _>("Sgd", || Sgd::new().lr(0.05).l2(0.1));
    resumes_bit_for_bit::<T, _>("Momentum", || Momentum::classical(0.05, 0.8).l2(0.01));
    resumes_bit_for_bit::<T, _>("Nesterov", || Nesterov::new().lr(0.03).beta(0.85));
    resumes_bit_for_bit::<T, _>("AdaGrad", || AdaGrad::new().lr(0.3).initial_accumulator(0.1));
    resumes_bit_for_bit::<T, _>("RmsProp", || RmsProp::new().lr(0.01).rho(0.8));
    resumes_bit_for_bit::<T, _>("Adam", || Adam::new().lr(0.02).beta1(0.8).l2(0.01));
    resumes_bit_for_bit::<T, _>("AdamW", || AdamW::new().lr(0.02).weight_decay(0.1));
    resumes_bit_for_bit::<T, _>("AmsGrad", || AmsGrad::new().lr(0.02).beta2(0.9));
    resumes_bit_for_bit::<T, _>("Lion", || Lion::new().lr(0.01).weight_decay(0.1));
    resumes_bit_for_bit::<T, _>("Adafactor", || Adafactor::new().lr(0.05).clip_threshold(0.5));
    // The schedule's position is the step count, so it resumes too.
    let schedule = WarmupCosine { peak_lr: 0.1, min_lr: 0.0, warmup: 3, total: 10 };
    resumes_bit_for_bit::<T, _>("Scheduled Adam", || Scheduled::new(Adam::new(), schedule));
    resumes_bit_for_bit::<T, _>("boxed Lion", || Box::new(Lion::new().lr(0.01)) as Box<dyn Optimizer<T>>);
}

#[test]
fn every_optimizer_resumes_bit_for_bit_in_f64() {
    every_optimizer_resumes::<f64>();
}

#[test]
fn every_optimizer_resumes_bit_for_bit_in_f32() {
    every_optimizer_resumes::<f32>();
}

#[test]
fn the_exported_buffers_are_the_moments() {
    let mut opt = AmsGrad::new().lr(0.1);
    let mut x = [1.0f64, 2.0];
    opt.step_slice(&mut x, &[0.5, -1.0]);
    let s: &Moments<f64> = opt.param_state("flat").unwrap();
    assert_eq!(s.buffers().iter().map(|(n, _)| *n).collect::<Vec<_>>(), ["m", "v", "v_max"]);
    // After one step m = (1 − β₁)g and v = (1 − β₂)g², exactly as computed in f64.
    assert_eq!(s.m().as_slice(), [(1.0 - 0.9) * 0.5, -(1.0 - 0.9)]);
    assert_eq!(s.v().as_slice(), [(1.0 - 0.999) * 0.5 * 0.5, (1.0 - 0.999) * 1.0 * 1.0]);
    let state = opt.state();
    assert_eq!(state.tensors().names().collect::<Vec<_>>(), ["flat.m", "flat.v", "flat.v_max"]);
    assert_eq!((state.optimizer.as_str(), state.steps, state.learning_rate), ("AmsGrad", 1, 0.1));
}

/// One step of Adam on a 2 × 2 parameter `w` and a 1 × 2 parameter `b`.
fn stepped_adam() -> (wengert_optim::Adam<f64>, Params<f64>) {
    let mut opt = Adam::new().lr(0.1);
    let mut p = Params::new().with("w", Matrix::from_rows(&[[1.0, 2.0], [3.0, 4.0]])).with("b", Matrix::zeros(1, 2));
    let g = grads_at(&p, 0);
    opt.step(&mut p, &g);
    (opt, p)
}

/// Asserts that loading `bad` into a stepped Adam fails with `want` and leaves it unchanged.
fn refused(bad: &OptimizerState<f64>, want: StateError) {
    let (mut opt, _) = stepped_adam();
    let before = opt.state();
    assert_eq!(opt.load_state(bad), Err(want));
    assert_eq!(opt.state(), before, "a refused state must not change the optimizer");
}

#[test]
fn bad_states_are_refused_and_change_nothing() {
    let (opt, params) = stepped_adam();
    let good = opt.state();

    let mut other = good.clone();
    other.optimizer = "AdamW".into();
    refused(&other, StateError::WrongOptimizer { expected: "Adam", found: "AdamW".into() });

    let mut missing = good.clone();
    missing.params[1].buffers.remove("v");
    refused(&missing, StateError::MissingBuffer { param: "b".into(), buffer: "v" });

    let mut extra = good.clone();
    extra.params[0].buffers.insert("v_max", Matrix::zeros(2, 2));
    refused(&extra, StateError::UnexpectedBuffer { param: "w".into(), buffer: "v_max".into() });

    let mut reshaped = good.clone();
    reshaped.params[0].buffers.insert("m", Matrix::zeros(4, 1));
    refused(&reshaped, StateError::ShapeMismatch { param: "w".into(), buffer: "m", expected: (2, 2), found: (4, 1) });

    let mut twice = good.clone();
    twice.params.push(good.params[0].clone());
    refused(&twice, StateError::DuplicateParam { param: "w".into() });

    let mut nan_rate = good.clone();
    nan_rate.learning_rate = f64::NAN;
    let (mut probe, _) = stepped_adam();
    let err = probe.load_state(&nan_rate).unwrap_err();
    assert_eq!(err.to_string(), "optimizer state: Adam: `lr` must be finite and ≥ 0, got NaN");

    // Flat tensors that belong to no parameter of the model.
    let mut tensors = good.tensors();
    tensors.insert("decoder.m", Matrix::zeros(1, 1));
    let err = OptimizerState::from_tensors("Adam", 1, 0.1, &params, &tensors).unwrap_err();
    assert_eq!(err, StateError::UnexpectedTensor { name: "decoder.m".into() });
    assert_eq!(err.to_string(), "optimizer state tensor `decoder.m` belongs to no parameter of the model");
}

#[test]
fn dotted_parameter_names_split_at_the_last_dot() {
    let mut opt = Momentum::new();
    let mut p = Params::new()
        .with("a", Matrix::from_rows(&[[1.0f64]]))
        .with("a.b", Matrix::from_rows(&[[2.0, 3.0]]))
        .with("a.b.c", Matrix::from_rows(&[[4.0]]));
    let g = p.clone();
    opt.step(&mut p, &g);
    let state = opt.state();
    let tensors = state.tensors();
    assert_eq!(tensors.names().collect::<Vec<_>>(), ["a.velocity", "a.b.velocity", "a.b.c.velocity"]);
    let reread = OptimizerState::from_tensors("Momentum", 1, 0.01, &p, &tensors).unwrap();
    assert_eq!(reread, state);
}
