//! Training never ends `Ok` with non-finite weights: a NaN feature is refused
//! where the data enters, and a parameter or gradient that goes NaN or
//! infinite while the loss stays finite stops training with its name.

use wengert_nn::data::{load_bundled, DataError, Dataset};
use wengert_nn::train::{TrainConfig, Trainer};
use wengert_nn::{FnModel, Model, NnError, TwoLayerNet};
use wengert_ops::Matrix;
use wengert_optim::{Adam, Params, Sgd};

#[test]
fn iris_with_one_nan_feature_is_refused_naming_row_and_column() {
    let iris = load_bundled("iris").unwrap().into_single().unwrap();
    let mut x = iris.features().clone();
    x.as_mut_slice()[17 * 4 + 2] = f64::NAN;
    // It used to train to Ok with 16 of 131 parameters NaN.
    let err = iris.with_features(x.clone()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "example 17 (0-based), column 2 (0-based) (`petal_length_cm`): the value is NaN; NaN and infinite values \
         cannot be trained on"
    );
    let (_, targets) = iris.clone().into_parts();
    let err = Dataset::new(x, targets, iris.feature_names().to_vec(), "label").unwrap_err();
    assert!(matches!(err, DataError::NotFinite { row: 17, column: Some(2), scaled: false, .. }), "{err}");
}

/// Two classes that are easy to tell apart.
fn two_blobs() -> Dataset {
    let x = Matrix::from_fn(16, 2, |i, j| if (i % 2 == 0) == (j == 0) { 1.0 } else { -1.0 } + 0.01 * i as f64);
    Dataset::new(x, (0..16).map(|i| (i % 2) as f64).collect(), vec!["a".into(), "b".into()], "y").unwrap()
}

#[test]
fn a_parameter_that_goes_infinite_while_the_loss_stays_finite_is_named() {
    // Class 2 never occurs; its bias is −inf, so its probability is 0 and the
    // loss finite — but the weights are not, and fit used to return Ok.
    let data = two_blobs();
    let mut net = TwoLayerNet::<f64>::new(2, 4, 3, 0);
    net.params_mut().get_mut("fc2.bias").unwrap().as_mut_slice()[2] = f64::NEG_INFINITY;
    let config = TrainConfig { epochs: 3, batch_size: 4, ..TrainConfig::default() };
    let mut adam = Adam::new().lr(0.01);
    let err = Trainer::new(config).fit(&mut net, &mut adam, &data, None).unwrap_err();
    assert!(
        matches!(&err, NnError::NonFinite { name, gradient: false, at: (0, 2), epoch: 1, step: 3, .. } if name == "fc2.bias"),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "training went non-finite although the loss did not: parameter `fc2.bias` is -inf at (0, 2) after epoch 1 \
         (step 3)"
    );
}

#[test]
fn a_gradient_that_goes_nan_while_the_loss_stays_finite_is_named() {
    // logits = sqrt(0 · xW): values 0 (loss ln 2), but d sqrt/dz = inf at 0,
    // times the 0 of the scaling, is a NaN gradient for W.
    let loss_kind = TwoLayerNet::<f64>::new(2, 2, 2, 0).loss_kind();
    let params = Params::new().with("w", Matrix::from_rows(&[[0.5, -0.5], [0.25, 1.0]]));
    let mut model = FnModel::new(params, loss_kind, |p, x| x.matmul(p.get("w")).scale(0.0).sqrt());
    // One epoch of one step: fit used to return Ok with W all NaN.
    let config = TrainConfig { epochs: 1, batch_size: 16, ..TrainConfig::default() };
    let err = Trainer::new(config).fit(&mut model, &mut Sgd::new().lr(0.1), &two_blobs(), None).unwrap_err();
    assert!(matches!(&err, NnError::NonFinite { name, gradient: true, epoch: 1, step: 0, .. } if name == "w"), "{err}");
    assert!(err.to_string().contains("the gradient of parameter `w` is NaN at (0, 0) after epoch 1"), "{err}");
}

#[test]
fn finite_training_passes_the_check() {
    let mut net = TwoLayerNet::<f32>::new(2, 4, 2, 0);
    let config = TrainConfig { epochs: 5, batch_size: 4, ..TrainConfig::default() };
    let history = Trainer::new(config).fit(&mut net, &mut Adam::new().lr(0.05), &two_blobs(), None).unwrap();
    assert_eq!(history.epochs.len(), 5);
    assert!(net.params().iter().all(|(_, m)| m.iter().all(|v| v.is_finite())));
}

#[test]
fn anomaly_mode_names_the_op_where_training_first_goes_non_finite() {
    // logits = ln(x·W): x·W has negative entries, so ln makes NaN from finite
    // inputs at op #1 of the first step (op #0 is the matmul).
    let loss_kind = TwoLayerNet::<f64>::new(2, 2, 2, 0).loss_kind();
    let params = Params::new().with("w", Matrix::from_rows(&[[0.5, -0.5], [0.25, 1.0]]));
    let mut model = FnModel::new(params, loss_kind, |p, x| x.matmul(p.get("w")).ln());
    let config = TrainConfig { epochs: 1, batch_size: 16, detect_anomaly: true, ..TrainConfig::default() };
    let err = Trainer::new(config).fit(&mut model, &mut Sgd::new().lr(0.1), &two_blobs(), None).unwrap_err();
    let NnError::Anomaly { epoch, step, anomaly } = &err else { panic!("expected an anomaly, got {err}") };
    assert_eq!((*epoch, *step), (1, 0));
    assert_eq!((anomaly.op.as_str(), anomaly.position), ("ln", 1));
    assert_eq!(anomaly.shapes, vec![(16, 2), (16, 2)]);
    assert!(
        err.to_string().starts_with("epoch 1, step 0: anomaly while recording: op #1 `ln` (16×2) → (16×2)"),
        "{err}"
    );
    // Without the mode the same run fails later and less precisely (the loss).
    let config = TrainConfig { epochs: 1, batch_size: 16, ..TrainConfig::default() };
    let err = Trainer::new(config).fit(&mut model, &mut Sgd::new().lr(0.1), &two_blobs(), None).unwrap_err();
    assert!(matches!(err, NnError::Diverged { .. }), "{err}");
}
