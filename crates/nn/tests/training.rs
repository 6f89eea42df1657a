//! The training loop: bit-identical reruns, quick convergence on small
//! datasets, schedules, clipping, early stopping, evaluation and errors.

use wengert_nn::data::{load_bundled, train_test_split_stratified, Dataset, Standardizer};
use wengert_nn::train::{evaluate, evaluate_chunked, predict_chunked, EarlyStopping, Monitor, TrainConfig, Trainer};
use wengert_nn::{LinearRegression, LogisticRegression, Model, NnError, TwoLayerNet};
use wengert_ops::Matrix;
use wengert_optim::{Adam, AdamW, Optimizer, Schedule, Sgd, WarmupCosine};

fn split(name: &str, seed: u64) -> (Dataset, Dataset) {
    let ds = load_bundled(name).unwrap().into_single().unwrap();
    let (train, test) = train_test_split_stratified(&ds, 0.2, seed).unwrap();
    let s = Standardizer::fit(train.features()).unwrap();
    (s.transform_dataset(&train).unwrap(), s.transform_dataset(&test).unwrap())
}

fn train_wine(seed: u64) -> (TwoLayerNet<f32>, Vec<f64>) {
    let (train, test) = split("wine", 0);
    let mut net = TwoLayerNet::<f32>::new(13, 16, 3, seed);
    let mut opt = AdamW::new().lr(0.01).weight_decay(1e-3);
    let config = TrainConfig { epochs: 6, batch_size: 16, seed, clip_norm: Some(5.0), ..TrainConfig::default() };
    let total = config.total_steps(train.len());
    let h = Trainer::new(config)
        .schedule(WarmupCosine { peak_lr: 0.01, min_lr: 1e-4, warmup: 5, total })
        .fit(&mut net, &mut opt, &train, Some(&test))
        .unwrap();
    (net, h.step_losses)
}

#[test]
fn same_seed_gives_bit_identical_parameters_and_losses() {
    let (a, la) = train_wine(5);
    let (b, lb) = train_wine(5);
    let bits = |m: &TwoLayerNet<f32>| m.params().to_flat().iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&a), bits(&b));
    assert_eq!(la.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), lb.iter().map(|x| x.to_bits()).collect::<Vec<_>>());
    let (c, lc) = train_wine(6);
    assert_ne!(bits(&a), bits(&c), "another seed trains another model");
    assert_ne!(la, lc);
}

#[test]
fn two_layer_net_learns_iris_in_a_few_epochs() {
    let (train, test) = split("iris", 3);
    let mut net = TwoLayerNet::<f64>::new(4, 16, 3, 0);
    let mut opt = Adam::new().lr(0.03);
    let config = TrainConfig { epochs: 15, batch_size: 16, seed: 1, ..TrainConfig::default() };
    let h = Trainer::new(config).fit(&mut net, &mut opt, &train, Some(&test)).unwrap();
    let last = h.epochs.last().unwrap();
    let v = last.valid.as_ref().unwrap();
    assert!(v.accuracy.unwrap() >= 0.9, "iris test accuracy {}", v.accuracy.unwrap());
    assert!(last.train_accuracy.unwrap() >= 0.9);
    assert!(last.train_loss < h.epochs[0].train_loss / 2.0);
    assert_eq!(h.step_losses.len(), 15 * 8);
    let cm = v.confusion.as_ref().unwrap();
    assert_eq!(cm.total(), 30);
    assert_eq!((0..3).map(|p| cm.get(0, p)).sum::<usize>(), 10, "10 test examples per class");
    assert!((cm.accuracy() - v.accuracy.unwrap()).abs() < 1e-15);
}

#[test]
fn two_layer_net_learns_a_digits_subset() {
    let (train, test) = split("digits", 0);
    let train = train.subset(&(0..600).collect::<Vec<_>>()).unwrap();
    let mut net = TwoLayerNet::<f32>::new(64, 32, 10, 0);
    let mut opt = Adam::new().lr(0.01);
    let config = TrainConfig { epochs: 8, batch_size: 32, ..TrainConfig::default() };
    let h = Trainer::new(config).fit(&mut net, &mut opt, &train, Some(&test)).unwrap();
    let acc = h.epochs.last().unwrap().valid.as_ref().unwrap().accuracy.unwrap();
    assert!(acc >= 0.9, "digits accuracy after 8 epochs on 600 examples: {acc}");
}

#[test]
fn logistic_regression_separates_breast_cancer() {
    let (train, test) = split("breast-cancer", 0);
    let mut model = LogisticRegression::<f64>::new(30, 2, 1e-3);
    let mut opt = Adam::new().lr(0.01);
    let config = TrainConfig { epochs: 20, batch_size: 32, ..TrainConfig::default() };
    Trainer::new(config).fit(&mut model, &mut opt, &train, None).unwrap();
    let ev = evaluate_chunked(&model, &test, 100).unwrap();
    assert!(ev.accuracy.unwrap() >= 0.95, "breast-cancer accuracy {}", ev.accuracy.unwrap());
    assert!(ev.loss < 0.15, "log-loss {}", ev.loss);
    // Evaluation's loss is the mean negative log-likelihood of the logits.
    let logits = predict_chunked::<f64, _>(&model, test.features(), 7);
    let nll = logits
        .iter()
        .zip(test.targets())
        .map(|(&z, &y)| -(y * (1.0 / (1.0 + (-z).exp())).ln() + (1.0 - y) * (1.0 / (1.0 + z.exp())).ln()))
        .sum::<f64>()
        / test.len() as f64;
    assert!((nll - ev.loss).abs() < 1e-12);
}

#[test]
fn the_schedule_sets_the_rate_of_every_step() {
    let (train, _) = split("iris", 0);
    let mut net = TwoLayerNet::<f64>::new(4, 4, 3, 0);
    let mut opt = Sgd::new().lr(123.0);
    let config = TrainConfig { epochs: 3, batch_size: 50, ..TrainConfig::default() };
    let sched = WarmupCosine { peak_lr: 0.1, min_lr: 0.0, warmup: 2, total: 6 };
    let h = Trainer::new(config).schedule(sched).fit(&mut net, &mut opt, &train, None).unwrap();
    // 120 examples, batch 50 → 3 steps per epoch; the last step of epoch e is 3e − 1.
    for r in &h.epochs {
        assert_eq!(r.learning_rate, sched.lr(3 * r.epoch as u64 - 1));
    }
    assert_eq!(opt.steps(), 9);
}

#[test]
fn early_stopping_stops_and_restores_the_best_parameters() {
    let (train, test) = split("iris", 0);
    let mut net = TwoLayerNet::<f64>::new(4, 32, 3, 0);
    // A rate this large makes the validation loss bounce, so it stops improving.
    let mut opt = Sgd::new().lr(2.0);
    let es = EarlyStopping { monitor: Monitor::ValidLoss, patience: 2, min_delta: 0.0, restore_best: true };
    let config = TrainConfig { epochs: 200, batch_size: 8, early_stopping: Some(es), ..TrainConfig::default() };
    let h = Trainer::new(config).fit(&mut net, &mut opt, &train, Some(&test)).unwrap();
    assert!(h.stopped_early && h.epochs.len() < 200);
    let best = h.best_epoch.unwrap();
    assert_eq!(h.epochs.len(), best + 2, "stopped after `patience` epochs without improvement");
    let best_loss = h.epochs[best - 1].valid.as_ref().unwrap().loss;
    assert!(h.epochs.iter().all(|r| r.valid.as_ref().unwrap().loss >= best_loss));
    let now = evaluate(&net, &test).unwrap().loss;
    assert_eq!(now, best_loss, "the best epoch's parameters are back");

    // Early stopping without a validation set is a configuration error.
    let config = TrainConfig { early_stopping: Some(es), ..TrainConfig::default() };
    assert!(matches!(Trainer::new(config).fit(&mut net, &mut opt, &train, None), Err(NnError::InvalidConfig { .. })));
}

#[test]
fn clipping_bounds_every_step() {
    // With SGD, clipping to norm c moves the parameters by at most lr·c per step.
    let (train, _) = split("wine", 0);
    let mut net = TwoLayerNet::<f64>::new(13, 8, 3, 0);
    let before = net.params().clone();
    let mut opt = Sgd::new().lr(0.5);
    let config = TrainConfig { epochs: 1, batch_size: train.len(), clip_norm: Some(1e-3), ..TrainConfig::default() };
    Trainer::new(config).fit(&mut net, &mut opt, &train, None).unwrap();
    let mut moved = net.params().clone();
    moved.add_scaled(-1.0, &before);
    assert!(moved.global_norm() <= 0.5 * 1e-3 * (1.0 + 1e-12), "moved {}", moved.global_norm());
    assert!(moved.global_norm() > 0.5 * 1e-3 * 0.999, "the full gradient is much larger than the clip");
}

#[test]
fn bad_data_bad_settings_and_divergence_are_errors() {
    let (train, _) = split("iris", 0);
    let mut opt = Adam::new();
    // Wrong feature count.
    let mut net = TwoLayerNet::<f64>::new(5, 4, 3, 0);
    let err = Trainer::new(TrainConfig::default()).fit(&mut net, &mut opt, &train, None).unwrap_err();
    assert_eq!(err.to_string(), "the training set has 4 features but the model expects 5");
    // Labels beyond the model's classes.
    let mut net = TwoLayerNet::<f64>::new(4, 4, 2, 0);
    let err = Trainer::new(TrainConfig::default()).fit(&mut net, &mut opt, &train, None).unwrap_err();
    assert_eq!(err.to_string(), "the training set has class label 2, but the model has 2 classes");
    // Zero epochs.
    let mut net = TwoLayerNet::<f64>::new(4, 4, 3, 0);
    let config = TrainConfig { epochs: 0, ..TrainConfig::default() };
    assert!(Trainer::new(config).fit(&mut net, &mut opt, &train, None).is_err());
    // A rate that blows linear regression up.
    let x = Matrix::from_fn(20, 1, |i, _| i as f64);
    let ds = Dataset::new(x, (0..20).map(|i| 3.0 * i as f64).collect(), vec!["x".into()], "y").unwrap();
    let mut lin = LinearRegression::<f64>::new(1, 0.0);
    let mut sgd = Sgd::new().lr(10.0);
    let config = TrainConfig { epochs: 500, batch_size: 20, ..TrainConfig::default() };
    let err = Trainer::new(config).fit(&mut lin, &mut sgd, &ds, None).unwrap_err();
    assert!(matches!(err, NnError::Diverged { epoch, .. } if epoch < 500), "{err}");
}
