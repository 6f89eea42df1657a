//! Data-parallel training steps: the sharded gradient equals the one-tape
//! gradient for every model and loss (f64, 1e-12), the same seed and thread
//! count give the same bits, and a panic on a shard's thread is reported with
//! its message.

use std::panic::{catch_unwind, AssertUnwindSafe};

use wengert_nn::data::{load_bundled, Batch, Batches, Dataset, Standardizer};
use wengert_nn::train::{plan_shards, GradientStep, TrainConfig, Trainer};
use wengert_nn::{Activation, FnModel, LinearRegression, LogisticRegression, LossKind, Model, TwoLayerNet};
use wengert_ops::Matrix;
use wengert_optim::{AdamW, Params};

/// A dataset of `rows` rows, `features` features and targets in `0..classes`
/// (as class labels), or real targets when `classes` is 0.
fn synthetic(rows: usize, features: usize, classes: usize) -> Dataset {
    let x =
        Matrix::from_fn(rows, features, |i, j| (((i * 31 + j * 17) % 23) as f64 / 11.0 - 1.0) * (1.0 + j as f64 / 9.0));
    let targets = (0..rows)
        .map(|i| if classes > 0 { ((i * 7 + i / 3) % classes) as f64 } else { (i as f64 * 0.37).sin() * 3.0 + 0.5 })
        .collect();
    Dataset::new(x, targets, (0..features).map(|j| format!("x{j}")).collect(), "y").unwrap()
}

/// The first shuffled batch of `batch` rows, with class indices as targets
/// (what the trainer hands a classifier).
fn first_batch(data: &Dataset, batch: usize, class_targets: bool) -> Batch<f64> {
    let mut buf = Batch::new();
    let mut batches = Batches::new(data, batch, 3).unwrap().class_targets(class_targets);
    assert!(batches.epoch::<f64>().next_into(&mut buf));
    buf
}

/// The largest difference between two gradient sets, relative to each
/// entry's size (absolute below 1).
fn max_difference(a: &Params<f64>, b: &Params<f64>) -> f64 {
    assert_eq!(a.names().collect::<Vec<_>>(), b.names().collect::<Vec<_>>());
    a.iter()
        .zip(b.iter())
        .flat_map(|((_, x), (_, y))| x.iter().zip(y.iter()).map(|(p, q)| (p - q).abs() / q.abs().max(1.0)))
        .fold(0.0, f64::max)
}

/// Checks `model` on `data`: one tape against 2, 3, 4 and 7 shards (on 2 and
/// 3 threads), gradients and loss within 1e-12; returns the largest
/// difference seen.
fn check_model<M: Model<f64> + Sync>(name: &str, model: &M, data: &Dataset) -> f64 {
    let class_targets = model.loss_kind().classes().is_some();
    let batch = first_batch(data, 60, class_targets);
    let mut one = Params::new();
    let reference = GradientStep::new(1).compute(model, &batch, &mut one);
    assert_eq!(reference.shards, 1);
    let mut worst: f64 = 0.0;
    for (threads, shards) in [(2, 2), (2, 3), (3, 4), (3, 7)] {
        let mut grads = Params::new();
        let out = GradientStep::new(threads).with_shards(shards).compute(model, &batch, &mut grads);
        assert_eq!(out.shards, shards);
        assert_eq!(out.correct, reference.correct, "{name}: the same predictions");
        assert!(
            (out.loss - reference.loss).abs() <= 1e-12 * reference.loss.abs().max(1.0),
            "{name}, {shards} shards: loss {} vs {}",
            out.loss,
            reference.loss
        );
        let diff = max_difference(&grads, &one);
        assert!(diff <= 1e-12, "{name}, {shards} shards: gradients differ by {diff:e}");
        worst = worst.max(diff);
    }
    eprintln!("{name}: sharded vs one tape, largest relative difference {worst:.1e}");
    worst
}

#[test]
fn sharded_gradients_equal_one_tape_gradients_for_every_model_and_loss() {
    let classes3 = synthetic(200, 12, 3);
    let classes2 = synthetic(200, 12, 2);
    let real = synthetic(200, 12, 0);
    check_model("mlp, softmax cross-entropy", &TwoLayerNet::<f64>::new(12, 20, 3, 1), &classes3);
    check_model("mlp, one logit (bce)", &TwoLayerNet::<f64>::binary(12, 20, 2), &classes2);
    for activation in [Activation::Sigmoid, Activation::Tanh, Activation::Softplus, Activation::Identity] {
        let net = TwoLayerNet::<f64>::build(12, 20, LossKind::SoftmaxCrossEntropy { classes: 3 }, activation, 3);
        check_model(&format!("mlp {activation:?}"), &net, &classes3);
    }
    check_model(
        "mlp, squared error",
        &TwoLayerNet::<f64>::build(12, 20, LossKind::SquaredError, Activation::Tanh, 4),
        &real,
    );
    // The penalties are added once per shard and weighted by b_s/B: once in all.
    let mut logreg = LogisticRegression::<f64>::new(12, 3, 0.05);
    logreg
        .params_mut()
        .iter_mut()
        .for_each(|(_, m)| m.as_mut_slice().iter_mut().enumerate().for_each(|(k, v)| *v = (k as f64 * 0.13).sin()));
    check_model("softmax regression + L2", &logreg, &classes3);
    let mut binary = LogisticRegression::<f64>::new(12, 2, 0.05);
    binary
        .params_mut()
        .iter_mut()
        .for_each(|(_, m)| m.as_mut_slice().iter_mut().enumerate().for_each(|(k, v)| *v = (k as f64 * 0.29).cos()));
    check_model("logistic regression + L2", &binary, &classes2);
    let mut linreg = LinearRegression::<f64>::new(12, 0.1);
    linreg
        .params_mut()
        .iter_mut()
        .for_each(|(_, m)| m.as_mut_slice().iter_mut().enumerate().for_each(|(k, v)| *v = 0.1 * k as f64));
    check_model("ridge regression", &linreg, &real);
    let params = Params::new()
        .with("w", Matrix::from_fn(12, 3, |i, j| ((i + 2 * j) as f64 * 0.21).sin()))
        .with("b", Matrix::from_fn(1, 3, |_, j| j as f64 * 0.1));
    let fn_model = FnModel::new(params, LossKind::SoftmaxCrossEntropy { classes: 3 }, |p, x| {
        (x.matmul(p.get("w")) + p.get("b")).tanh().scale(2.0)
    });
    check_model("FnModel", &fn_model, &classes3);
}

#[test]
fn the_planned_split_is_used_and_exact_at_network_scale() {
    // 784-256-10 at batch 128 — the MNIST job's step — is split in two.
    let net = TwoLayerNet::<f64>::new(784, 256, 10, 0);
    let data = synthetic(128, 784, 10);
    let batch = first_batch(&data, 128, true);
    assert_eq!(plan_shards(128, net.params().num_elements(), 2), 2);
    let (mut one, mut two) = (Params::new(), Params::new());
    let a = GradientStep::new(1).compute(&net, &batch, &mut one);
    let b = GradientStep::new(2).compute(&net, &batch, &mut two);
    assert_eq!((a.shards, b.shards), (1, 2));
    let diff = max_difference(&two, &one);
    eprintln!("784-256-10, batch 128, 2 shards vs one tape: largest relative difference {diff:.1e}");
    assert!(diff <= 1e-12 && (a.loss - b.loss).abs() <= 1e-12 * a.loss);
    // The same object computes the same bits again (buffers reused).
    let mut again = Params::new();
    let mut step = GradientStep::new(2);
    step.compute(&net, &batch, &mut again);
    step.compute(&net, &batch, &mut again);
    assert_eq!(again, two);
}

/// Trains 128 hidden units on `digits` for 2 epochs on `threads` threads:
/// batches of 64 through 9.8 k parameters, which the plan splits in two.
fn train_digits(threads: usize) -> (Vec<u64>, Vec<u64>) {
    let data = load_bundled("digits").unwrap().into_single().unwrap();
    let data = Standardizer::fit(data.features()).unwrap().transform_dataset(&data).unwrap();
    let mut net = TwoLayerNet::<f64>::new(64, 128, 10, 9);
    assert_eq!(plan_shards(64, net.params().num_elements(), 2), 2, "the test must exercise sharding");
    let mut opt = AdamW::new().lr(0.01);
    let config = TrainConfig { epochs: 2, batch_size: 64, seed: 4, threads, ..TrainConfig::default() };
    let history = Trainer::new(config).fit(&mut net, &mut opt, &data, None).unwrap();
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect();
    (bits(&net.params().to_flat()), bits(&history.step_losses))
}

#[test]
fn the_same_seed_and_thread_count_give_the_same_bits() {
    let two = train_digits(2);
    assert_eq!(train_digits(2), two, "2 threads, twice");
    let one = train_digits(1);
    assert_eq!(train_digits(1), one, "1 thread, twice");
    // Another thread count adds in another order: close, not equal.
    let as_f64 = |bits: &[u64]| bits.iter().map(|&b| f64::from_bits(b)).collect::<Vec<_>>();
    let (p1, p2) = (as_f64(&one.0), as_f64(&two.0));
    let drift = p1.iter().zip(&p2).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    eprintln!("digits, 2 epochs (56 steps), 1 vs 2 threads: parameters differ by at most {drift:.1e}");
    assert!(drift < 1e-9, "rounding only: {drift:e}");
}

#[test]
fn a_panic_on_a_shard_is_reported_with_its_message() {
    // The model fails on the shard whose first row has a large first feature.
    // (`pad`, unused, makes it large enough for the plan to split batches of 40.)
    let params =
        Params::new().with("w", Matrix::from_fn(4, 2, |i, j| (i + j) as f64)).with("pad", Matrix::zeros(1, 20_000));
    let model = FnModel::new(params, LossKind::SoftmaxCrossEntropy { classes: 2 }, |p, x| {
        let first = x.value()[(0, 0)];
        assert!(first < 10.0, "row feature {first} is out of range");
        x.matmul(p.get("w"))
    });
    let x = Matrix::from_fn(40, 4, |i, j| if j == 0 { i as f64 } else { 0.5 });
    let data = Dataset::new(x, (0..40).map(|i| (i % 2) as f64).collect(), vec!["a".into(); 4], "y").unwrap();
    let mut batches = Batches::new(&data, 40, 0).unwrap().shuffle(false).class_targets(true);
    let mut batch = Batch::new();
    batches.epoch::<f64>().next_into(&mut batch);
    let mut step = GradientStep::new(2).with_shards(2);
    let outcome = catch_unwind(AssertUnwindSafe(|| step.compute(&model, &batch, &mut Params::new())));
    let payload = outcome.expect_err("the shard's panic reaches the caller");
    let message = payload.downcast_ref::<String>().expect("a formatted message");
    assert_eq!(message, "data-parallel shard 1 of 2 panicked: row feature 20 is out of range");

    // Through the trainer too (shuffled rows: some shard fails).
    assert_eq!(plan_shards(40, model.params().num_elements(), 2), 2);
    let config = TrainConfig { epochs: 1, batch_size: 40, threads: 2, ..TrainConfig::default() };
    let mut model = model;
    let outcome =
        catch_unwind(AssertUnwindSafe(|| Trainer::new(config).fit(&mut model, &mut AdamW::new(), &data, None)));
    let payload = outcome.expect_err("not swallowed");
    let message = payload.downcast_ref::<String>().expect("a formatted message");
    assert!(message.starts_with("data-parallel shard ") && message.ends_with(" is out of range"), "{message}");
}

#[test]
fn zero_threads_is_a_configuration_error() {
    let data = synthetic(20, 3, 2);
    let config = TrainConfig { threads: 0, ..TrainConfig::default() };
    let err = Trainer::new(config).fit(&mut TwoLayerNet::<f64>::new(3, 4, 2, 0), &mut AdamW::new(), &data, None);
    assert_eq!(err.unwrap_err().to_string(), "training: threads must be at least 1");
}

#[test]
fn anomaly_mode_reports_the_first_shard_that_goes_non_finite() {
    // logits = ln(x·w) with x·w = 20 − row: positive on rows 0..20 (shard 0 of
    // 2), zero or negative on rows 20..40 (shard 1), where `ln` makes −∞/NaN.
    let params = Params::new().with("w", Matrix::from_fn(4, 2, |i, _| if i == 0 { -1.0 } else { 40.0 / 3.0 }));
    let model = FnModel::new(params, LossKind::SoftmaxCrossEntropy { classes: 2 }, |p, x| x.matmul(p.get("w")).ln());
    let x = Matrix::from_fn(40, 4, |i, j| if j == 0 { i as f64 } else { 0.5 });
    let data = Dataset::new(x, (0..40).map(|i| (i % 2) as f64).collect(), vec!["a".into(); 4], "y").unwrap();
    let mut batches = Batches::new(&data, 40, 0).unwrap().shuffle(false).class_targets(true);
    let mut batch = Batch::new();
    batches.epoch::<f64>().next_into(&mut batch);
    for shards in [1, 2] {
        let mut step = GradientStep::new(2).with_shards(shards).with_anomaly_detection(true);
        let out = step.compute(&model, &batch, &mut Params::new());
        assert_eq!(out.shards, shards);
        let anomaly = step.anomaly().unwrap_or_else(|| panic!("{shards} shard(s): the ln is found"));
        assert_eq!((anomaly.op.as_str(), anomaly.position), ("ln", 1), "{anomaly}");
        // The shard's own shape: 20 rows when split in two.
        assert_eq!(anomaly.shapes, vec![(40 / shards, 2), (40 / shards, 2)], "{anomaly}");
        // Off, nothing is reported (and the loss is not finite).
        let mut off = GradientStep::new(2).with_shards(shards);
        let out = off.compute(&model, &batch, &mut Params::new());
        assert!(off.anomaly().is_none() && !out.loss.is_finite());
    }
    // A healthy step on the same model (rows 0..20 only) finds nothing.
    let healthy = Dataset::new(
        Matrix::from_fn(20, 4, |i, j| if j == 0 { i as f64 } else { 0.5 }),
        (0..20).map(|i| (i % 2) as f64).collect(),
        vec!["a".into(); 4],
        "y",
    )
    .unwrap();
    let mut batches = Batches::new(&healthy, 20, 0).unwrap().shuffle(false).class_targets(true);
    batches.epoch::<f64>().next_into(&mut batch);
    let mut step = GradientStep::new(2).with_shards(2).with_anomaly_detection(true);
    assert!(step.compute(&model, &batch, &mut Params::new()).loss.is_finite());
    assert!(step.anomaly().is_none());
}
