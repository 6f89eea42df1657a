//! Class labels are the distinct target values, numbered `0..K`, with K
//! bounded: a label column of large integers trains (it used to abort the
//! process asking for the label² confusion matrix), a column of prices is
//! refused with a pointer to regression, and the parts of a table number
//! their classes alike.

use wengert_nn::data::{
    load_bundled, parse_csv, prepare, share_classes, Bundled, ClassLabel, DataError, Dataset, TargetKind, MAX_CLASSES,
};
use wengert_nn::train::{evaluate, TrainConfig, Trainer};
use wengert_nn::TwoLayerNet;
use wengert_ops::Matrix;
use wengert_optim::Adam;

/// A CSV of 30 rows, two features, whose label is `labels[i % labels.len()]`
/// (class `k` clustered around `(k, −k)`, so it can be learnt).
fn csv_with_labels(labels: &[&str]) -> String {
    let mut text = String::from("a,b,label\n");
    for i in 0..30 {
        let k = i % labels.len();
        let jitter = (i as f64 * 0.37).sin() * 0.1;
        text += &format!("{},{},{}\n", k as f64 + jitter, -(k as f64) - jitter, labels[k]);
    }
    text
}

#[test]
fn large_integer_labels_are_three_classes_and_train() {
    for (labels, listed) in [
        (&["3", "7", "100000"][..], "3, 7, 100000"),
        (&["1e9", "0", "-1"], "-1, 0, 1000000000"),
        (&["9007199254740992", "1", "2"], "1, 2, 9007199254740992"),
    ] {
        let table = parse_csv(&csv_with_labels(labels), "codes.csv").unwrap();
        assert_eq!(TargetKind::of(&table), TargetKind::ClassLabels);
        let prepared = prepare(Bundled::Single(table), TargetKind::ClassLabels, 0.2, 1).unwrap();
        assert_eq!(prepared.classes, Some(3), "{labels:?}");
        assert_eq!(prepared.class_map().unwrap().to_string(), listed);
        assert_eq!(prepared.train.class_counts().unwrap(), vec![8, 8, 8]);
        assert_eq!(prepared.test.class_counts().unwrap(), vec![2, 2, 2]);

        let mut net = TwoLayerNet::<f64>::new(2, 8, 3, 1);
        let config = TrainConfig { epochs: 30, batch_size: 8, ..TrainConfig::default() };
        let history = Trainer::new(config)
            .fit(&mut net, &mut Adam::new().lr(0.05), &prepared.train, Some(&prepared.test))
            .unwrap();
        let eval = history.epochs.last().unwrap().valid.clone().unwrap();
        let confusion = eval.confusion.unwrap();
        assert_eq!((confusion.classes(), confusion.total()), (3, 6));
        assert_eq!(eval.accuracy, Some(1.0), "{labels:?}");
    }
}

#[test]
fn too_many_distinct_integers_are_a_quantity_not_classes() {
    // 2000 integer prices: more distinct values than MAX_CLASSES.
    let mut text = String::from("size,price\n");
    for i in 0..2000 {
        text += &format!("{i},{}\n", 50_000 + 37 * i);
    }
    let table = parse_csv(&text, "prices.csv").unwrap();
    assert_eq!(TargetKind::of(&table), TargetKind::RealValued, "the default is regression");
    assert!(table.class_map().is_none());
    let err = table.class_labels().unwrap_err();
    assert!(matches!(err, DataError::TooManyClasses { max: MAX_CLASSES, index: 1000, .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "more than 1000 distinct target values (label 87000 of example 1000, 0-based, is one too many): too many \
         to be class labels; a target like this is usually a quantity to fit by regression"
    );
    // Asked to classify anyway, preparation refuses; regression works.
    let err = prepare(Bundled::Single(table.clone()), TargetKind::ClassLabels, 0.2, 0).unwrap_err();
    assert!(matches!(err, DataError::TooManyClasses { .. }), "{err}");
    let prepared = prepare(Bundled::Single(table), TargetKind::RealValued, 0.2, 0).unwrap();
    assert_eq!((prepared.classes, prepared.class_map()), (None, None));
}

#[test]
fn a_few_hundred_nearly_unique_integers_are_a_quantity_too() {
    // 400 integer prices, 300 distinct: within MAX_CLASSES, but fewer than
    // two examples per value — no stratified split could even hold one out.
    let mut text = String::from("size,price\n");
    for i in 0..400 {
        text += &format!("{i},{}\n", 1000 + (i * 7) % 300);
    }
    let table = parse_csv(&text, "prices.csv").unwrap();
    assert_eq!(table.n_classes().unwrap(), 300);
    assert_eq!(TargetKind::of(&table), TargetKind::RealValued, "the default is regression");
    let err = prepare(Bundled::Single(table), TargetKind::ClassLabels, 0.2, 0).unwrap_err();
    assert!(
        err.to_string().ends_with(
            "leaves 400 training and 0 test examples out of 400 (300 classes for 400 examples: a target with nearly \
             one value per example is usually a quantity to fit by regression)"
        ),
        "{err}"
    );
}

#[test]
fn wine_quality_scores_are_six_classes() {
    let ds = load_bundled("wine-quality").unwrap().into_single().unwrap();
    let map = ds.class_map().unwrap();
    assert_eq!(map.to_string(), "3, 4, 5, 6, 7, 8");
    assert_eq!(map.label(0), Some(ClassLabel::Number(3.0)));
    assert!(!map.is_identity());
    let prepared = prepare(Bundled::Single(ds), TargetKind::ClassLabels, 0.2, 42).unwrap();
    assert_eq!(prepared.classes, Some(6));
}

#[test]
fn a_test_set_missing_a_class_is_numbered_like_its_training_set() {
    let x = |n| Matrix::from_fn(n, 1, |i, _| i as f64);
    let train = Dataset::new(x(4), vec![0.0, 1.0, 2.0, 2.0], vec!["x".into()], "y").unwrap();
    let test = Dataset::new(x(2), vec![2.0, 1.0], vec!["x".into()], "y").unwrap();
    // On its own the test set would call label 2 class 1.
    assert_eq!(test.class_labels().unwrap(), vec![1, 0]);
    let prepared = prepare(Bundled::TrainTest { train, test }, TargetKind::ClassLabels, 0.5, 0).unwrap();
    assert_eq!(prepared.classes, Some(3));
    assert_eq!(prepared.test.class_labels().unwrap(), vec![2, 1]);
    assert_eq!(prepared.train.class_map(), prepared.test.class_map());

    // A label only in the test set joins the classes, too.
    let a = Dataset::new(x(2), vec![0.0, 1.0], vec!["x".into()], "y").unwrap();
    let b = Dataset::new(x(1), vec![5.0], vec!["x".into()], "y").unwrap();
    let (a, b) = share_classes(&a, &b).unwrap();
    assert_eq!((a.n_classes().unwrap(), b.class_labels().unwrap()), (3, vec![2]));
}

#[test]
fn a_model_evaluates_a_file_by_the_classes_it_was_trained_on() {
    let table = parse_csv(&csv_with_labels(&["10", "20", "30"]), "t.csv").unwrap();
    let prepared = prepare(Bundled::Single(table), TargetKind::ClassLabels, 0.2, 3).unwrap();
    let mut net = TwoLayerNet::<f64>::new(2, 8, 3, 0);
    let config = TrainConfig { epochs: 30, batch_size: 8, ..TrainConfig::default() };
    Trainer::new(config).fit(&mut net, &mut Adam::new().lr(0.05), &prepared.train, None).unwrap();
    // A new file with only labels 20 and 30, scaled as the training data was.
    let rows = prepared.test.subset(&[1, 2]).unwrap();
    let new_file = Dataset::new(rows.features().clone(), vec![20.0, 30.0], vec!["a".into(), "b".into()], "label")
        .unwrap()
        .with_class_map(prepared.class_map().unwrap())
        .unwrap();
    assert_eq!(new_file.class_labels().unwrap(), vec![1, 2]);
    assert_eq!(evaluate(&net, &new_file).unwrap().confusion.unwrap().classes(), 3);
    let unknown = Dataset::new(Matrix::zeros(1, 2), vec![40.0], vec!["a".into(), "b".into()], "label").unwrap();
    let err = unknown.with_class_map(prepared.class_map().unwrap()).unwrap_err();
    assert_eq!(err.to_string(), "example 0 (0-based) has the label 40, which is not one of the classes (10, 20, 30)");
}

#[test]
fn class_names_from_a_csv_train_and_name_the_checkpoint_classes() {
    let table = parse_csv(&csv_with_labels(&["virginica", "setosa", "versicolor"]), "iris-names.csv").unwrap();
    assert_eq!(TargetKind::of(&table), TargetKind::ClassLabels);
    let prepared = prepare(Bundled::Single(table.clone()), TargetKind::ClassLabels, 0.2, 1).unwrap();
    assert_eq!(prepared.class_map().unwrap().to_string(), "setosa, versicolor, virginica");
    let info = wengert_nn::checkpoint::DataInfo::of(&prepared);
    assert_eq!(info.classes, Some(vec!["setosa".to_string(), "versicolor".into(), "virginica".into()]));
    let mut net = TwoLayerNet::<f64>::new(2, 8, 3, 1);
    let config = TrainConfig { epochs: 30, batch_size: 8, ..TrainConfig::default() };
    Trainer::new(config).fit(&mut net, &mut Adam::new().lr(0.05), &prepared.train, None).unwrap();
    assert_eq!(evaluate(&net, &prepared.test).unwrap().accuracy, Some(1.0));
    // Names are not numbers to regress on.
    let err = prepare(Bundled::Single(table), TargetKind::RealValued, 0.2, 1).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid argument: the target `label` holds class names (setosa, versicolor, virginica), which a real-valued \
         model cannot fit; use a classifier"
    );
}
