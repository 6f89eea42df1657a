//! Runs that stop and continue: train(8) == train(4) + checkpoint file +
//! resume(4), bit for bit, for the parameters, every step's loss and every
//! epoch's metrics; with early stopping across the pause; and the overfitting
//! mode that repeats one batch.

use std::path::PathBuf;

use wengert_nn::checkpoint::{Checkpoint, CheckpointErrorKind, DataInfo};
use wengert_nn::data::{prepare, DataSource, Prepared, TargetKind};
use wengert_nn::train::{EarlyStopping, EpochRecord, Monitor, TrainConfig, TrainState, Trainer};
use wengert_nn::{ModelSpec, NnError};
use wengert_optim::{AdamW, Momentum, Optimizer, Schedule, WarmupCosine};

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wengert-nn-resume-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn data(name: &str) -> Prepared {
    let bundled = DataSource::from_name_or_path(name).unwrap().load().unwrap();
    prepare(bundled, TargetKind::ClassLabels, 0.2, 3).unwrap()
}

fn bits<T: Copy + Into<f64>>(xs: &[T]) -> Vec<u64> {
    xs.iter().map(|&x| x.into().to_bits()).collect()
}

/// A record without its wall time (the only thing two runs may differ in).
fn untimed(r: &EpochRecord) -> EpochRecord {
    EpochRecord { seconds: 0.0, ..r.clone() }
}

#[test]
fn eight_epochs_equal_four_a_checkpoint_file_and_four_more() {
    let wine = data("wine");
    let spec = ModelSpec::TwoLayerNet { hidden: 16 };
    let config = TrainConfig { epochs: 8, batch_size: 16, seed: 9, clip_norm: Some(1.0), ..TrainConfig::default() };
    let total = config.total_steps(wine.train.len());
    let schedule = WarmupCosine { peak_lr: 0.02, min_lr: 1e-4, warmup: 10, total };
    let optimizer = || AdamW::new().lr(0.02).weight_decay(1e-3);

    // One run of eight epochs.
    let mut whole = spec.build::<f32>(13, wine.classes, 1).unwrap();
    let mut opt = optimizer();
    let full = Trainer::new(config.clone())
        .schedule(schedule)
        .fit(&mut *whole, &mut opt, &wine.train, Some(&wine.test))
        .unwrap();

    // Four epochs, written to a file after every epoch as the command line does …
    let dir = temp_dir("eight");
    let path = dir.join("wine.safetensors");
    let mut first = spec.build::<f32>(13, wine.classes, 1).unwrap();
    let mut opt = optimizer();
    let mut run = TrainState::new();
    let mut saves = 0;
    let paused = TrainConfig { stop_after: Some(4), ..config.clone() };
    Trainer::new(paused)
        .schedule(schedule)
        .on_epoch_end(|end| {
            saves += 1;
            let checkpoint = Checkpoint::of_epoch_end(end)
                .with_spec(spec)
                .with_data(DataInfo::of(&wine))
                .with_extra("note", "paused at epoch 4");
            checkpoint.save(&path).map_err(NnError::from)
        })
        .fit_from(&mut *first, &mut opt, &wine.train, Some(&wine.test), &mut run)
        .unwrap();
    assert_eq!((saves, run.epochs_done()), (4, 4));
    drop((first, opt, run));

    // … and four more from the file alone, in fresh objects.
    let saved = Checkpoint::<f32>::load(&path).unwrap();
    assert_eq!(saved.extra.get("note").map(String::as_str), Some("paused at epoch 4"));
    assert_eq!(saved.model, Some(spec));
    assert_eq!(saved.data.as_ref().unwrap(), &DataInfo::of(&wine), "scaling and classes come back exactly");
    let mut second = saved.build_model().unwrap();
    let mut opt = AdamW::new().lr(0.02).weight_decay(1e-3);
    saved.restore_optimizer(&mut opt).unwrap();
    assert_eq!(opt.steps(), 4 * config.steps_per_epoch(wine.train.len()));
    let mut run = saved.run.clone().unwrap();
    Trainer::new(config)
        .schedule(schedule)
        .fit_from(&mut *second, &mut opt, &wine.train, Some(&wine.test), &mut run)
        .unwrap();

    assert_eq!(bits(&whole.params().to_flat()), bits(&second.params().to_flat()), "parameters");
    assert_eq!(bits(&full.step_losses), bits(&run.history.step_losses), "every step's loss");
    assert_eq!(run.history.epochs.len(), 8);
    for (a, b) in full.epochs.iter().zip(&run.history.epochs).skip(4) {
        assert_eq!(untimed(a), untimed(b), "epoch {}: losses, accuracies, confusion matrix, rate", a.epoch);
    }
    for (a, b) in full.epochs.iter().zip(&run.history.epochs).take(4) {
        // Saved epochs keep every number of the metrics log (not the confusion matrices).
        let (a, b) = (untimed(a), untimed(b));
        assert_eq!(
            (a.epoch, a.step, a.train_loss, a.train_accuracy),
            (b.epoch, b.step, b.train_loss, b.train_accuracy)
        );
        let (va, vb) = (a.valid.unwrap(), b.valid.unwrap());
        assert_eq!((va.examples, va.loss, va.accuracy), (vb.examples, vb.loss, vb.accuracy));
        assert_eq!(a.learning_rate, b.learning_rate);
    }
    assert_eq!(run.history.epochs[7].learning_rate, schedule.lr(total - 1));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn early_stopping_continues_across_a_pause() {
    let iris = data("iris");
    let es = EarlyStopping { monitor: Monitor::ValidLoss, patience: 3, min_delta: 0.0, restore_best: true };
    let config = TrainConfig { epochs: 60, batch_size: 8, seed: 2, early_stopping: Some(es), ..TrainConfig::default() };
    let spec = ModelSpec::TwoLayerNet { hidden: 32 };
    let mut a = spec.build::<f64>(4, iris.classes, 0).unwrap();
    // Far too much momentum and rate: the validation loss soon stops improving.
    let mut opt_a = Momentum::classical(0.5, 0.9);
    let whole = Trainer::new(config.clone()).fit(&mut *a, &mut opt_a, &iris.train, Some(&iris.test)).unwrap();
    assert!(whole.stopped_early, "the setting makes early stopping stop");
    let stop = whole.epochs.len();
    assert!(stop > 3, "stopped at {stop}");

    // Pause one epoch before the stop, save, load, continue.
    let dir = temp_dir("early");
    let path = dir.join("iris.safetensors");
    let mut b = spec.build::<f64>(4, iris.classes, 0).unwrap();
    let mut opt_b = Momentum::classical(0.5, 0.9);
    let mut run = TrainState::new();
    let paused = TrainConfig { stop_after: Some(stop - 1), ..config.clone() };
    Trainer::new(paused).fit_from(&mut *b, &mut opt_b, &iris.train, Some(&iris.test), &mut run).unwrap();
    assert!(!run.history.stopped_early);
    Checkpoint::of_model(&*b).with_spec(spec).with_optimizer(opt_b.state()).with_run(run).save(&path).unwrap();

    let saved = Checkpoint::<f64>::load(&path).unwrap();
    let mut c = spec.build::<f64>(4, iris.classes, 7).unwrap();
    saved.restore_model(&mut *c).unwrap();
    let mut opt_c = Momentum::classical(0.5, 0.9);
    saved.restore_optimizer(&mut opt_c).unwrap();
    let mut run = saved.run.clone().unwrap();
    Trainer::new(config).fit_from(&mut *c, &mut opt_c, &iris.train, Some(&iris.test), &mut run).unwrap();
    assert!(run.history.stopped_early);
    assert_eq!((run.history.epochs.len(), run.history.best_epoch), (stop, whole.best_epoch));
    assert_eq!(c.params(), a.params(), "the best epoch's parameters are restored in both");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn overfitting_one_batch_drives_its_loss_to_zero() {
    let digits = data("digits");
    let mut net = ModelSpec::TwoLayerNet { hidden: 64 }.build::<f64>(64, digits.classes, 0).unwrap();
    let mut adam = wengert_optim::Adam::new().lr(0.01);
    let config =
        TrainConfig { epochs: 60, batch_size: 32, overfit_batches: Some(1), seed: 5, ..TrainConfig::default() };
    assert_eq!(config.steps_per_epoch(digits.train.len()), 1);
    let h = Trainer::new(config).fit(&mut *net, &mut adam, &digits.train, None).unwrap();
    assert_eq!(h.step_losses.len(), 60, "one step per epoch");
    let last = h.epochs.last().unwrap();
    assert!(last.train_loss < 1e-2 && last.train_accuracy == Some(1.0), "{last:?}");
    // Always the first 32 rows: their loss is what the model now reports on them.
    let first = digits.train.subset(&(0..32).collect::<Vec<_>>()).unwrap();
    let ev = wengert_nn::train::evaluate(&*net, &first).unwrap();
    assert_eq!(ev.accuracy, Some(1.0));
    // … while the whole training set is far from fit by one batch.
    assert!(wengert_nn::train::evaluate(&*net, &digits.train).unwrap().accuracy.unwrap() < 0.9);
}

#[test]
fn a_checkpoint_refuses_another_dtype_architecture_or_optimizer() {
    let iris = data("iris");
    let dir = temp_dir("refuse");
    let path = dir.join("iris.safetensors");
    let spec = ModelSpec::TwoLayerNet { hidden: 8 };
    let mut net = spec.build::<f32>(4, iris.classes, 0).unwrap();
    let mut adam = AdamW::new().lr(0.01);
    let config = TrainConfig { epochs: 1, ..TrainConfig::default() };
    Trainer::new(config).fit(&mut *net, &mut adam, &iris.train, None).unwrap();
    Checkpoint::of_model(&*net)
        .with_spec(spec)
        .with_data(DataInfo::of(&iris))
        .with_optimizer(adam.state())
        .save(&path)
        .unwrap();

    let err = Checkpoint::<f64>::load(&path).unwrap_err();
    assert!(err.to_string().ends_with("tensor `fc1.weight` has dtype F32, expected F64"), "{err}");
    assert_eq!(wengert_nn::checkpoint::dtype(&path).unwrap(), wengert_nn::checkpoint::Dtype::F32);

    let saved = Checkpoint::<f32>::load(&path).unwrap();
    let mut wider = ModelSpec::TwoLayerNet { hidden: 9 }.build::<f32>(4, iris.classes, 0).unwrap();
    let before = wider.params().clone();
    let err = saved.restore_model(&mut *wider).unwrap_err();
    assert!(err.to_string().ends_with("tensor `fc1.weight` has shape (4×8), the model expects (4×9)"), "{err}");
    assert_eq!(wider.params(), &before, "unchanged on error");
    let mut logreg = ModelSpec::LogisticRegression { l2: 0.0 }.build::<f32>(4, iris.classes, 0).unwrap();
    let err = saved.restore_model(&mut *logreg).unwrap_err();
    assert!(err.to_string().contains("no tensor `linear.weight`, which the model needs"), "{err}");

    let mut momentum = Momentum::<f32>::classical(0.1, 0.9);
    let err = saved.restore_optimizer(&mut momentum).unwrap_err();
    assert!(matches!(err.kind, CheckpointErrorKind::OptimizerState(_)), "{err}");
    assert!(err.to_string().contains("saved by AdamW, cannot restore it into Momentum"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_damaged_training_checkpoint_is_an_error_never_a_panic() {
    let iris = data("iris");
    let spec = ModelSpec::TwoLayerNet { hidden: 3 };
    let mut net = spec.build::<f32>(4, iris.classes, 0).unwrap();
    let mut adam = AdamW::new().lr(0.01);
    let es = EarlyStopping { monitor: Monitor::ValidAccuracy, patience: 5, min_delta: 0.0, restore_best: true };
    let config = TrainConfig { epochs: 2, batch_size: 64, early_stopping: Some(es), ..TrainConfig::default() };
    let mut run = TrainState::new();
    Trainer::new(config).fit_from(&mut *net, &mut adam, &iris.train, Some(&iris.test), &mut run).unwrap();
    let dir = temp_dir("damaged");
    let path = dir.join("c.safetensors");
    let full = Checkpoint::of_model(&*net).with_spec(spec).with_data(DataInfo::of(&iris)).with_optimizer(adam.state());
    let bytes = full.with_run(run).to_bytes(&path).unwrap();
    let original = Checkpoint::<f32>::from_bytes(&bytes, &path).unwrap();
    let header = 8 + u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let mut errors = 0;
    for pos in 0..header {
        let mut bad = bytes.clone();
        bad[pos] ^= 0x01;
        match Checkpoint::<f32>::from_bytes(&bad, &path) {
            Ok(c) => assert!(
                c.params == original.params,
                "a flip at {pos} changed the parameters: {}",
                String::from_utf8_lossy(&bad[pos.saturating_sub(40)..pos + 20])
            ),
            Err(e) => {
                assert!(e.to_string().contains("c.safetensors"), "{e}");
                errors += 1;
            }
        }
    }
    assert!(errors > header / 2, "most flips are detected ({errors} of {header})");
    std::fs::remove_dir_all(&dir).ok();
}
