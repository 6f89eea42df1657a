//! Sharpness during training and the loss Hessian operator behind it: the
//! reported top eigenvalue against the exact one (linear regression, whose
//! Hessian is 2/N·AᵀA; a small network, whose Hessian is formed column by
//! column), Hessian-vector products against differences of tape gradients,
//! the early stop, runs that pause and continue, and every refusal.

use std::path::PathBuf;

use rand::rngs::StdRng;
use rand::SeedableRng;
use wengert_nn::checkpoint::{Checkpoint, CheckpointErrorKind};
use wengert_nn::curvature::LossHessian;
use wengert_nn::data::{load_bundled, prepare, DataSource, Dataset, Standardizer, TargetKind};
use wengert_nn::train::{Sharpness, SharpnessRecord, TrainConfig, TrainState, Trainer};
use wengert_nn::{Activation, FnModel, LinearRegression, LossKind, Model, ModelSpec, NnError, ParamVars, TwoLayerNet};
use wengert_ops::Matrix;
use wengert_optim::linalg::symmetric_eigen;
use wengert_optim::spectra::LinearOperator;
use wengert_optim::{Adam, Optimizer, Params, Sgd};
use wengert_tape::{Gradients, Tape};

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wengert-nn-sharpness-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The exact Hessian of `mean (x·w + b − y)² + λ/2 ‖w‖²` on the rows of `x`:
/// `2/N·AᵀA + λD` with `A = [X 1]` and `D = diag(1, …, 1, 0)`.
fn linear_regression_hessian(x: &Matrix<f64>, l2: f64) -> Matrix<f64> {
    let (n, d) = x.shape();
    let a = Matrix::from_fn(n, d + 1, |i, j| if j < d { x[(i, j)] } else { 1.0 });
    let mut h = a.transpose().matmul(&a);
    for i in 0..=d {
        for j in 0..=d {
            h[(i, j)] *= 2.0 / n as f64;
        }
        if i < d {
            h[(i, i)] += l2;
        }
    }
    h
}

#[test]
fn the_sharpness_of_linear_regression_is_the_exact_top_eigenvalue_of_two_over_n_xtx() {
    let raw = load_bundled("diabetes").unwrap().into_single().unwrap();
    let diabetes = Standardizer::fit(raw.features()).unwrap().transform_dataset(&raw).unwrap();
    for l2 in [0.0, 0.3] {
        let mut model = LinearRegression::<f64>::new(diabetes.n_features(), l2);
        let mut gd = Sgd::new().lr(0.05);
        let config = TrainConfig { epochs: 7, batch_size: 64, seed: 1, ..TrainConfig::default() };
        // tol 0: every step Lanczos can take (here all 11, which is exact).
        let settings = Sharpness { examples: 300, seed: 4, tol: 0.0, ..Sharpness::every(5) };
        let history =
            Trainer::new(config.clone()).sharpness(settings).fit(&mut model, &mut gd, &diabetes, None).unwrap();

        let subset = diabetes.subset(&(0..300).collect::<Vec<_>>()).unwrap();
        let exact = symmetric_eigen(&linear_regression_hessian(subset.features(), l2)).values[0];
        let steps = config.total_steps(diabetes.len());
        let expected: Vec<u64> = (0..=steps).filter(|s| s % 5 == 0).collect();
        let measured: Vec<u64> = history.sharpness.iter().map(|r| r.step).collect();
        assert_eq!(measured, expected, "at the start and after every fifth step");
        for r in &history.sharpness {
            // The loss is quadratic: the same Hessian at every step.
            assert!(
                (r.sharpness - exact).abs() <= 1e-8 * exact,
                "λ = {l2}, step {}: {} vs exact {exact}",
                r.step,
                r.sharpness
            );
            assert_eq!(r.learning_rate, 0.05);
            assert_eq!(r.lanczos_steps, 11, "11 parameters: Lanczos spans the space and stops");
        }
    }
}

#[test]
fn twenty_lanczos_steps_give_the_top_eigenvalue_of_a_fifty_parameter_regression_to_1e_8() {
    // 49 correlated features: 50 parameters, more than the 20 Lanczos steps.
    let mut rng = StdRng::seed_from_u64(3);
    let (n, d) = (400, 49);
    let base = Matrix::<f64>::random_normal(n, d, 0.0, 1.0, &mut rng);
    let shared = Matrix::<f64>::random_normal(n, 1, 0.0, 1.0, &mut rng);
    let x = Matrix::from_fn(n, d, |i, j| base[(i, j)] + 2.0 * shared[(i, 0)]);
    let y: Vec<f64> = (0..n).map(|i| x[(i, 0)] - 0.5 * x[(i, 3)]).collect();
    let data = Dataset::new(x.clone(), y, (0..d).map(|j| format!("x{j}")).collect(), "y").unwrap();
    let model = LinearRegression::<f64>::new(d, 0.0);
    let exact = symmetric_eigen(&linear_regression_hessian(&x, 0.0)).values[0];
    let settings = Sharpness { examples: n, tol: 0.0, ..Sharpness::every(1) };
    let record = settings.measure(&model, &data, 0, 0.01).unwrap();
    assert_eq!(record.lanczos_steps, 20);
    assert!((record.sharpness - exact).abs() <= 1e-8 * exact, "{} vs {exact}", record.sharpness);
    // The default stops once the residual is below 1e-3 of the value; the
    // eigenvalue is then far more accurate than that (error ≈ residual²/gap).
    let quick = Sharpness { tol: 1e-3, ..settings }.measure(&model, &data, 0, 0.01).unwrap();
    assert!(quick.lanczos_steps < 20, "{} steps", quick.lanczos_steps);
    assert!((quick.sharpness - exact).abs() <= 1e-3 * exact, "{} vs {exact}", quick.sharpness);
}

/// A small tanh network on 40 iris rows, with its parameters moved off the
/// initialization by a few Adam steps.
fn small_net() -> (TwoLayerNet<f64>, Dataset) {
    let iris = load_bundled("iris").unwrap().into_single().unwrap();
    let data = iris.subset(&(0..150).step_by(4).collect::<Vec<_>>()).unwrap();
    let mut net = TwoLayerNet::build(4, 5, LossKind::SoftmaxCrossEntropy { classes: 3 }, Activation::Tanh, 2);
    let config = TrainConfig { epochs: 5, batch_size: 8, ..TrainConfig::default() };
    Trainer::new(config).fit(&mut net, &mut Adam::new().lr(0.05), &data, None).unwrap();
    (net, data)
}

/// The tape gradient of `net`'s loss on `data` at `params`, flat.
fn gradient(net: &TwoLayerNet<f64>, params: &Params<f64>, data: &Dataset) -> Vec<f64> {
    let tape = Tape::<f64>::new();
    let p = ParamVars::track(&tape, params);
    let out = net.forward(&p, tape.constant_matrix(data.features()));
    let loss = net.loss(&p, out, wengert_nn::Targets::Labels(&data.class_labels().unwrap()));
    let mut grads = Gradients::empty();
    tape.backward_into(loss, 1.0, &mut grads);
    p.gradients(&grads).to_flat()
}

#[test]
fn hessian_vector_products_match_differences_of_tape_gradients_and_are_symmetric() {
    let (net, data) = small_net();
    let hessian = LossHessian::new(&net, &data).unwrap();
    let n = hessian.dim();
    assert_eq!(n, 4 * 5 + 5 + 5 * 3 + 3);
    let mut rng = StdRng::seed_from_u64(8);
    let u = Matrix::<f64>::random_normal(1, n, 0.0, 1.0, &mut rng).into_vec();
    let v = Matrix::<f64>::random_normal(1, n, 0.0, 1.0, &mut rng).into_vec();
    let (mut hu, mut hv) = (vec![0.0; n], vec![0.0; n]);
    hessian.apply(&u, &mut hu);
    hessian.apply(&v, &mut hv);
    // (∇L(θ + hv) − ∇L(θ − hv)) / 2h, with named parameters moved by ±hv.
    let h = 1e-5;
    let moved = |sign: f64| {
        let mut p = net.params().clone();
        p.add_scaled(sign * h, &hessian.to_params(&v));
        gradient(&net, &p, &data)
    };
    let (plus, minus) = (moved(1.0), moved(-1.0));
    let scale = hv.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    for i in 0..n {
        let fd = (plus[i] - minus[i]) / (2.0 * h);
        assert!((fd - hv[i]).abs() < 1e-6 * scale, "entry {i}: {fd} vs {}", hv[i]);
    }
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    assert!((dot(&u, &hv) - dot(&v, &hu)).abs() < 1e-12 * dot(&u, &hu).abs().max(1.0));
    // The loss it reports is the model's loss at that point.
    let ev = wengert_nn::train::evaluate(&net, &data).unwrap();
    assert!((hessian.loss() - ev.loss).abs() < 1e-12, "{} vs {}", hessian.loss(), ev.loss);
    assert_eq!(hessian.examples(), data.len());
}

#[test]
fn the_sharpness_of_a_small_net_is_the_top_eigenvalue_of_its_dense_hessian() {
    let (net, data) = small_net();
    let hessian = LossHessian::new(&net, &data).unwrap();
    let n = hessian.dim();
    // The dense Hessian, column by column, symmetrized.
    let mut h = Matrix::zeros(n, n);
    let (mut e, mut col) = (vec![0.0; n], vec![0.0; n]);
    for j in 0..n {
        e[j] = 1.0;
        hessian.apply(&e, &mut col);
        e[j] = 0.0;
        for i in 0..n {
            h[(i, j)] = col[i];
        }
    }
    let h = Matrix::from_fn(n, n, |i, j| 0.5 * (h[(i, j)] + h[(j, i)]));
    let exact = symmetric_eigen(&h).values[0];

    let full = Sharpness { lanczos_steps: n, examples: data.len(), tol: 0.0, ..Sharpness::every(1) };
    let record = full.measure(&net, &data, 0, 0.1).unwrap();
    assert!((record.sharpness - exact).abs() <= 1e-8 * exact, "{} vs {exact}", record.sharpness);

    // With a tolerance, Lanczos stops early and the answer stays within it.
    let early = Sharpness { tol: 1e-3, ..full };
    let quick = early.measure(&net, &data, 0, 0.1).unwrap();
    assert!(quick.lanczos_steps < record.lanczos_steps, "{} vs {}", quick.lanczos_steps, record.lanczos_steps);
    assert!((quick.sharpness - exact).abs() <= 1e-3 * exact && quick.sharpness <= exact * (1.0 + 1e-12));
}

#[test]
fn a_run_that_pauses_and_continues_measures_the_same_sharpness_bit_for_bit() {
    let iris = prepare(DataSource::from_name_or_path("iris").unwrap().load().unwrap(), TargetKind::ClassLabels, 0.2, 3)
        .unwrap();
    let spec = ModelSpec::TwoLayerNet { hidden: 8 };
    let config = TrainConfig { epochs: 6, batch_size: 32, seed: 2, ..TrainConfig::default() };
    let settings = Sharpness { lanczos_steps: 10, examples: 64, ..Sharpness::every(3) };

    let mut a = spec.build::<f32>(4, iris.classes, 0).unwrap();
    let whole = Trainer::new(config.clone())
        .sharpness(settings)
        .fit(&mut *a, &mut Adam::new().lr(0.02), &iris.train, None)
        .unwrap();
    // 4 steps per epoch, 24 in all: at 0, 3, 6, …, 24.
    assert_eq!(whole.sharpness.len(), 9);
    assert!(whole.sharpness.iter().all(|r| r.sharpness.is_finite() && r.sharpness > 0.0));

    let dir = temp_dir("resume");
    let path = dir.join("iris.safetensors");
    let mut b = spec.build::<f32>(4, iris.classes, 0).unwrap();
    let mut adam = Adam::new().lr(0.02);
    let mut run = TrainState::new();
    Trainer::new(TrainConfig { stop_after: Some(2), ..config.clone() })
        .sharpness(settings)
        .fit_from(&mut *b, &mut adam, &iris.train, None, &mut run)
        .unwrap();
    assert_eq!(run.history.sharpness.len(), 3, "steps 0, 3 and 6");
    Checkpoint::of_model(&*b).with_spec(spec).with_optimizer(adam.state()).with_run(run).save(&path).unwrap();

    let saved = Checkpoint::<f32>::load(&path).unwrap();
    let mut c = spec.build::<f32>(4, iris.classes, 5).unwrap();
    saved.restore_model(&mut *c).unwrap();
    let mut adam = Adam::new().lr(0.02);
    saved.restore_optimizer(&mut adam).unwrap();
    let mut run = saved.run.clone().unwrap();
    Trainer::new(config).sharpness(settings).fit_from(&mut *c, &mut adam, &iris.train, None, &mut run).unwrap();
    let bits = |rs: &[SharpnessRecord]| -> Vec<(u64, u64, u64, usize)> {
        rs.iter().map(|r| (r.step, r.sharpness.to_bits(), r.learning_rate.to_bits(), r.lanczos_steps)).collect()
    };
    assert_eq!(bits(&whole.sharpness), bits(&run.history.sharpness));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_checkpoint_refuses_sharpness_records_beyond_its_run() {
    let iris = load_bundled("iris").unwrap().into_single().unwrap();
    let spec = ModelSpec::TwoLayerNet { hidden: 4 };
    let mut net = spec.build::<f64>(4, Some(3), 0).unwrap();
    let mut run = TrainState::new();
    let config = TrainConfig { epochs: 1, batch_size: 150, ..TrainConfig::default() };
    Trainer::new(config).fit_from(&mut *net, &mut Sgd::new().lr(0.1), &iris, None, &mut run).unwrap();
    run.history.sharpness.push(SharpnessRecord { step: 5, sharpness: 1.0, learning_rate: 0.1, lanczos_steps: 3 });
    let dir = temp_dir("refuse");
    let path = dir.join("bad.safetensors");
    Checkpoint::of_model(&*net).with_run(run).save(&path).unwrap();
    let err = Checkpoint::<f64>::load(&path).unwrap_err();
    assert!(matches!(err.kind, CheckpointErrorKind::Metadata { .. }), "{err}");
    assert!(err.to_string().contains("step 5") && err.to_string().contains("run of 1 steps"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_settings_and_models_without_dual_numbers_are_refused() {
    let iris = load_bundled("iris").unwrap().into_single().unwrap();
    let config = TrainConfig { epochs: 1, batch_size: 50, ..TrainConfig::default() };
    for (bad, what) in [
        (Sharpness::every(0), "every_k_steps"),
        (Sharpness { lanczos_steps: 0, ..Sharpness::every(1) }, "lanczos_steps"),
        (Sharpness { examples: 0, ..Sharpness::every(1) }, "examples"),
        (Sharpness { tol: f64::NAN, ..Sharpness::every(1) }, "tol"),
    ] {
        let mut net = TwoLayerNet::<f64>::new(4, 4, 3, 0);
        let err = Trainer::new(config.clone()).sharpness(bad).fit(&mut net, &mut Sgd::new(), &iris, None).unwrap_err();
        assert!(matches!(err, NnError::InvalidConfig { .. }) && err.to_string().contains(what), "{err}");
        assert_eq!(net.params(), TwoLayerNet::<f64>::new(4, 4, 3, 0).params(), "nothing trained");
    }
    // A closure model runs on f64 only: no Hessian, said before training starts.
    let params = Params::<f64>::new().with("w", Matrix::zeros(4, 3));
    let mut model = FnModel::new(params, LossKind::SoftmaxCrossEntropy { classes: 3 }, |p, x| x.matmul(p.get("w")));
    let err =
        Trainer::new(config).sharpness(Sharpness::every(1)).fit(&mut model, &mut Sgd::new(), &iris, None).unwrap_err();
    assert!(err.to_string().contains("does not run on dual numbers"), "{err}");
    assert!(LossHessian::new(&model, &iris).is_err());
}
