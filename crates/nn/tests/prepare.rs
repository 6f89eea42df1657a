//! Data preparation ([`prepare`], [`DataSource`]) and the model factory
//! ([`ModelSpec`]): the steps a training program strings together, checked
//! against doing each step by hand.

use std::path::{Path, PathBuf};

use wengert_nn::data::{
    load_bundled, prepare, train_test_split, train_test_split_stratified, BundledName, DataError, DataSource, Scaling,
    Standardizer, TargetKind, MNIST_PIXEL_MEAN, MNIST_PIXEL_STD, MNIST_TEST_IMAGES, MNIST_TEST_LABELS,
    MNIST_TRAIN_IMAGES, MNIST_TRAIN_LABELS,
};
use wengert_nn::{LossKind, Model, ModelSpec};
use wengert_ops::Matrix;

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wengert-prepare-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes a tiny MNIST-format folder: 3 training and 2 test images of 1 × 2
/// pixels (plain IDX; the loader accepts uncompressed files under the
/// standard names).
fn tiny_idx_folder(dir: &Path) {
    let images = |pixels: &[u8]| {
        let mut b = vec![0, 0, 8, 3];
        for n in [pixels.len() as u32 / 2, 1, 2] {
            b.extend_from_slice(&n.to_be_bytes());
        }
        b.extend_from_slice(pixels);
        b
    };
    let labels = |values: &[u8]| {
        let mut b = vec![0, 0, 8, 1];
        b.extend_from_slice(&(values.len() as u32).to_be_bytes());
        b.extend_from_slice(values);
        b
    };
    std::fs::write(dir.join(MNIST_TRAIN_IMAGES), images(&[0, 255, 51, 102, 255, 0])).unwrap();
    std::fs::write(dir.join(MNIST_TRAIN_LABELS), labels(&[1, 0, 1])).unwrap();
    std::fs::write(dir.join(MNIST_TEST_IMAGES), images(&[0, 0, 255, 255])).unwrap();
    std::fs::write(dir.join(MNIST_TEST_LABELS), labels(&[0, 1])).unwrap();
}

#[test]
fn sources_are_names_files_or_folders() {
    let dir = scratch("sources");
    let csv = dir.join("My Table.csv");
    std::fs::write(&csv, "a,y\n1,0\n").unwrap();
    assert_eq!(DataSource::from_name_or_path("wine_quality"), Some(DataSource::Bundled(BundledName::WineQuality)));
    assert_eq!(DataSource::from_name_or_path(csv.to_str().unwrap()), Some(DataSource::Csv(csv.clone())));
    assert_eq!(DataSource::from_name_or_path(dir.to_str().unwrap()), Some(DataSource::IdxDir(dir.clone())));
    assert_eq!(DataSource::from_name_or_path(dir.join("missing.csv").to_str().unwrap()), None);
    assert_eq!(DataSource::Csv(csv).name(), "My Table");
    assert_eq!(DataSource::Bundled(BundledName::BreastCancer).name(), "breast-cancer");
    assert!(DataSource::Bundled(BundledName::Mnist).has_published_split());
    assert!(DataSource::IdxDir(dir.clone()).has_published_split());
    assert!(!DataSource::Bundled(BundledName::Iris).has_published_split());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_table_of_class_labels_is_split_stratified_and_standardized_on_the_training_part() {
    let wine = load_bundled("wine").unwrap().into_single().unwrap();
    let source = DataSource::Bundled(BundledName::Wine);
    let data = source.load().unwrap();
    assert_eq!(data.target_kind(), TargetKind::ClassLabels);
    let prepared = prepare(data, TargetKind::ClassLabels, 0.25, 9).unwrap();

    // The same as the steps done by hand.
    let (train, test) = train_test_split_stratified(&wine, 0.25, 9).unwrap();
    let scaler = Standardizer::fit(train.features()).unwrap();
    assert_eq!(*prepared.train.features(), scaler.transform(train.features()).unwrap());
    assert_eq!(*prepared.test.features(), scaler.transform(test.features()).unwrap());
    assert_eq!((prepared.train.targets(), prepared.test.targets()), (train.targets(), test.targets()));
    assert_eq!(prepared.classes, Some(3));
    // The kept scaling turns raw inputs into what the model was trained on.
    assert_eq!(prepared.scaling, Scaling::PerColumn(scaler));
    assert_eq!(prepared.scaling.apply(test.features()).unwrap(), *prepared.test.features());
    assert!(prepared.scaling.apply(&Matrix::zeros(2, 5)).is_err(), "a different width is an error");
}

#[test]
fn a_real_valued_target_is_split_plainly_and_has_no_classes() {
    let dir = scratch("real");
    let path = dir.join("prices.csv");
    let rows: String = (0..20).map(|i| format!("{i},{}\n", 0.5 + i as f64 * 1.25)).collect();
    std::fs::write(&path, format!("size,price\n{rows}")).unwrap();
    let data = DataSource::Csv(path.clone()).load().unwrap();
    assert_eq!(data.target_kind(), TargetKind::RealValued);
    // Asked to classify, it says which target is not a label.
    let err = prepare(data.clone(), TargetKind::ClassLabels, 0.2, 1).unwrap_err();
    assert!(matches!(err, DataError::NotClassLabel { index: 0, .. }), "{err}");

    let prepared = prepare(data, TargetKind::RealValued, 0.2, 1).unwrap();
    let table = wengert_nn::data::load_csv(&path).unwrap();
    let (train, _) = train_test_split(&table, 0.2, 1).unwrap();
    assert_eq!((prepared.train.len(), prepared.test.len(), prepared.classes), (16, 4, None));
    assert_eq!(prepared.train.targets(), train.targets(), "targets are not scaled");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_published_split_is_kept_and_scaled_by_the_mnist_pixel_statistics() {
    let dir = scratch("idx");
    tiny_idx_folder(&dir);
    let data = DataSource::IdxDir(dir.clone()).load().unwrap();
    let prepared = prepare(data, TargetKind::ClassLabels, 0.5, 0).unwrap();
    assert_eq!((prepared.train.len(), prepared.test.len(), prepared.classes), (3, 2, Some(2)));
    assert_eq!(prepared.scaling, Scaling::Global { mean: MNIST_PIXEL_MEAN, std: MNIST_PIXEL_STD });
    let expect = |pixel: f64| (pixel / 255.0 - MNIST_PIXEL_MEAN) / MNIST_PIXEL_STD;
    assert_eq!(prepared.train.features().row(1), &[expect(51.0), expect(102.0)]);
    assert_eq!(prepared.test.features().row(1), &[expect(255.0), expect(255.0)]);
    assert_eq!(prepared.train.targets(), &[1.0, 0.0, 1.0]);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn model_specs_build_the_built_in_models_for_the_target() {
    let net = ModelSpec::TwoLayerNet { hidden: 5 }.build::<f64>(3, Some(4), 7).unwrap();
    assert_eq!(net.loss_kind(), LossKind::SoftmaxCrossEntropy { classes: 4 });
    assert_eq!(net.params().get("fc1.weight").unwrap().shape(), (3, 5));
    // Same seed, same initial weights as the constructor.
    let direct = wengert_nn::TwoLayerNet::<f64>::new(3, 5, 4, 7);
    assert_eq!(net.params().get("fc1.weight"), direct.params().get("fc1.weight"));

    let reg = ModelSpec::TwoLayerNet { hidden: 5 }.build::<f32>(3, None, 7).unwrap();
    assert_eq!(reg.loss_kind(), LossKind::SquaredError);
    let logreg = ModelSpec::LogisticRegression { l2: 0.1 }.build::<f64>(3, Some(2), 0).unwrap();
    assert_eq!(logreg.loss_kind().classes(), Some(2));
    let linreg = ModelSpec::LinearRegression { l2: 0.1 }.build::<f64>(3, None, 0).unwrap();
    assert_eq!(linreg.loss_kind(), LossKind::SquaredError);

    let err = ModelSpec::LogisticRegression { l2: 0.0 }.build::<f64>(3, None, 0).err().unwrap();
    assert!(err.to_string().contains("needs class labels"), "{err}");
    let err = ModelSpec::LinearRegression { l2: 0.0 }.build::<f64>(3, Some(3), 0).err().unwrap();
    assert!(err.to_string().contains("not 3 classes"), "{err}");
}
