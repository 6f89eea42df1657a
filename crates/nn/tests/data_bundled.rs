//! Every bundled dataset loads with its known shape and class counts.
//!
//! MNIST is loaded once (it is ~47 MB of pixels, slowish in the debug profile).

use wengert_nn::data::{data_dir, load_bundled, Bundled, BundledName, DataError};

fn single(name: &str) -> wengert_nn::data::Dataset {
    match load_bundled(name).unwrap_or_else(|e| panic!("{name}: {e}")) {
        Bundled::Single(ds) => ds,
        Bundled::TrainTest { .. } => panic!("{name} should be a single table"),
    }
}

#[test]
fn iris() {
    let ds = single("iris");
    assert_eq!(ds.features().shape(), (150, 4));
    assert_eq!(ds.class_counts().unwrap(), vec![50, 50, 50]);
    assert_eq!(ds.n_classes().unwrap(), 3);
    assert_eq!(ds.features().row(0), &[5.1, 3.5, 1.4, 0.2]);
    assert_eq!(ds.feature_names(), &["sepal_length_cm", "sepal_width_cm", "petal_length_cm", "petal_width_cm"]);
}

#[test]
fn breast_cancer() {
    let ds = single("breast-cancer");
    assert_eq!(ds.features().shape(), (569, 30));
    assert_eq!(ds.class_counts().unwrap(), vec![212, 357]);
    assert_eq!(ds.feature_names()[0], "mean_radius");
    assert_eq!(ds.features()[(0, 0)], 17.99);
}

#[test]
fn wine() {
    let ds = single("wine");
    assert_eq!(ds.features().shape(), (178, 13));
    assert_eq!(ds.class_counts().unwrap(), vec![59, 71, 48]);
    assert_eq!(ds.features()[(0, 12)], 1065.0);
}

#[test]
fn digits() {
    let ds = single("digits");
    assert_eq!(ds.features().shape(), (1797, 64));
    assert_eq!(ds.class_counts().unwrap(), vec![178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
    assert!(ds.features().iter().all(|&p| (0.0..=16.0).contains(&p) && p.fract() == 0.0));
    assert_eq!(ds.feature_names()[63], "pixel_7_7");
}

#[test]
fn diabetes_is_a_regression_table() {
    let ds = single("diabetes");
    assert_eq!(ds.features().shape(), (442, 10));
    assert_eq!(ds.target_name(), "target");
    let (min, max) = ds.targets().iter().fold((f64::MAX, f64::MIN), |(lo, hi), &t| (lo.min(t), hi.max(t)));
    assert_eq!((min, max), (25.0, 346.0));
    assert_eq!(ds.features().row(0)[..3], [59.0, 2.0, 32.1]);
}

#[test]
fn wine_quality() {
    let ds = single("wine-quality");
    assert_eq!(ds.features().shape(), (1599, 11));
    assert_eq!(ds.target_name(), "quality");
    // Scores 3 to 8: six classes (the scores as labels, numbered 0..6).
    assert_eq!(ds.class_counts().unwrap(), vec![10, 53, 681, 638, 199, 18]);
    assert_eq!(ds.class_map().unwrap().to_string(), "3, 4, 5, 6, 7, 8");
}

#[test]
fn mnist_train_and_test() {
    let (train, test) = match load_bundled("mnist").unwrap() {
        Bundled::TrainTest { train, test } => (train, test),
        Bundled::Single(_) => panic!("MNIST comes with its own test set"),
    };
    assert_eq!(train.features().shape(), (60000, 784));
    assert_eq!(test.features().shape(), (10000, 784));
    assert_eq!(train.targets()[0], 5.0);
    assert_eq!(test.targets()[0], 7.0);
    assert_eq!(train.class_counts().unwrap(), vec![5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    assert_eq!(test.class_counts().unwrap(), vec![980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    for ds in [&train, &test] {
        let (lo, hi) = ds.features().iter().fold((f64::MAX, f64::MIN), |(lo, hi), &p| (lo.min(p), hi.max(p)));
        assert_eq!((lo, hi), (0.0, 1.0), "pixels span exactly [0, 1]");
    }
    // The first training image (a 5) has ink in the middle and none in the corner.
    assert_eq!(train.features()[(0, 0)], 0.0);
    assert!(train.features().row(0).iter().filter(|&&p| p > 0.5).count() > 100);
}

#[test]
fn unknown_names_list_the_valid_ones() {
    let err = load_bundled("mnist-fashion").unwrap_err();
    assert!(matches!(&err, DataError::UnknownDataset { name } if name == "mnist-fashion"));
    let msg = err.to_string();
    for n in BundledName::ALL {
        assert!(msg.contains(n.name()), "{msg} should list {n}");
    }
}

#[test]
fn data_dir_holds_the_readme_and_checksums() {
    let dir = data_dir();
    assert!(dir.join("README.md").is_file());
    let sums = std::fs::read_to_string(dir.join("SHA256SUMS")).unwrap();
    for n in BundledName::ALL {
        let file = n.path();
        let rel = file.strip_prefix(&dir).unwrap().to_string_lossy().into_owned();
        assert!(sums.contains(&rel), "SHA256SUMS should cover {rel}");
    }
}
