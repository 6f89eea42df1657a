//! Standardization, seeded splits and mini-batches on the bundled data.

use std::collections::HashSet;

use wengert_nn::data::{
    load_bundled, shuffle_indices, train_test_split, train_test_split_stratified, Batch, Batches, Dataset, Standardizer,
};

fn table(name: &str) -> Dataset {
    load_bundled(name).unwrap().into_single().unwrap()
}

/// Column means and population standard deviations.
fn column_stats(ds: &Dataset) -> (Vec<f64>, Vec<f64>) {
    let (n, d) = ds.features().shape();
    let mut mean = vec![0.0; d];
    let mut sq = vec![0.0; d];
    for row in ds.features().row_iter() {
        for j in 0..d {
            mean[j] += row[j] / n as f64;
        }
    }
    for row in ds.features().row_iter() {
        for j in 0..d {
            sq[j] += (row[j] - mean[j]).powi(2) / n as f64;
        }
    }
    (mean, sq.into_iter().map(f64::sqrt).collect())
}

#[test]
fn standardized_training_columns_have_mean_0_and_std_1() {
    let (train, test) = train_test_split(&table("breast-cancer"), 0.2, 3).unwrap();
    let scaler = Standardizer::fit(train.features()).unwrap();
    let z_train = scaler.transform_dataset(&train).unwrap();
    let (mean, std) = column_stats(&z_train);
    for j in 0..30 {
        assert!(mean[j].abs() < 1e-12, "column {j} mean {}", mean[j]);
        assert!((std[j] - 1.0).abs() < 1e-12, "column {j} std {}", std[j]);
    }
    // The test set uses the training statistics: close to, but not exactly, 0/1.
    let z_test = scaler.transform_dataset(&test).unwrap();
    let (test_mean, _) = column_stats(&z_test);
    assert!(test_mean.iter().all(|m| m.abs() < 0.5) && test_mean.iter().any(|m| m.abs() > 1e-6));
    assert_eq!(z_test.targets(), test.targets());
    let back = scaler.inverse_transform(z_test.features()).unwrap();
    assert!(back.max_abs_diff(test.features()) < 1e-9);
}

#[test]
fn digits_constant_pixel_columns_stay_finite() {
    // Pixel (0, 0) is 0 in every digits image.
    let digits = table("digits");
    let scaler = Standardizer::fit(digits.features()).unwrap();
    assert_eq!((scaler.mean()[0], scaler.std()[0]), (0.0, 0.0));
    let z = scaler.transform(digits.features()).unwrap();
    assert!(z.iter().all(|v| v.is_finite()));
    assert!((0..z.rows()).all(|i| z[(i, 0)] == 0.0));
}

#[test]
fn splits_have_the_right_sizes_and_are_seeded() {
    let iris = table("iris");
    let (train, test) = train_test_split(&iris, 0.3, 11).unwrap();
    assert_eq!((train.len(), test.len()), (105, 45));
    let (train2, test2) = train_test_split(&iris, 0.3, 11).unwrap();
    assert_eq!(train.features(), train2.features());
    assert_eq!(test.targets(), test2.targets());
    let (_, test3) = train_test_split(&iris, 0.3, 12).unwrap();
    assert_ne!(test.features(), test3.features(), "another seed gives another split");
    assert_ne!(shuffle_indices(150, 11), shuffle_indices(150, 12));
    // Train and test are disjoint and cover the data: compare rows as bit patterns.
    let key = |row: &[f64]| row.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    let mut all: Vec<Vec<u64>> = train.features().row_iter().chain(test.features().row_iter()).map(key).collect();
    let mut orig: Vec<Vec<u64>> = iris.features().row_iter().map(key).collect();
    all.sort();
    orig.sort();
    assert_eq!(all, orig);
}

#[test]
fn stratified_split_keeps_class_proportions() {
    let wine = table("wine");
    let (train, test) = train_test_split_stratified(&wine, 0.25, 5).unwrap();
    // round(59/4) = 15, round(71/4) = 18, round(48/4) = 12.
    assert_eq!(test.class_counts().unwrap(), vec![15, 18, 12]);
    assert_eq!(train.class_counts().unwrap(), vec![44, 53, 36]);
    let labels = test.class_labels().unwrap();
    assert!(
        labels.windows(2).any(|w| w[0] != w[1]) && labels[..12].iter().collect::<HashSet<_>>().len() > 1,
        "classes are interleaved, not in blocks"
    );
    let (_, again) = train_test_split_stratified(&wine, 0.25, 5).unwrap();
    assert_eq!(again.features(), test.features());
    assert!(train_test_split_stratified(&table("diabetes"), 0.25, 5).is_ok(), "integer targets count as labels");
}

#[test]
fn batches_cover_every_example_once_per_epoch() {
    let digits = table("digits");
    let mut batches = Batches::new(&digits, 64, 9).unwrap();
    assert_eq!(batches.batches_per_epoch(), 29); // 28 full batches + 5 examples
    let mut orders = Vec::new();
    for _ in 0..3 {
        let mut seen = vec![0usize; digits.len()];
        let mut order = Vec::new();
        let mut sizes = Vec::new();
        for batch in batches.epoch::<f32>() {
            assert_eq!(batch.features.shape(), (batch.len(), 64));
            assert_eq!(batch.targets.shape(), (batch.len(), 1));
            for (k, &i) in batch.indices.iter().enumerate() {
                seen[i] += 1;
                assert_eq!(batch.labels[k] as f64, digits.targets()[i]);
                assert_eq!(batch.features[(k, 10)], digits.features()[(i, 10)] as f32);
            }
            sizes.push(batch.len());
            order.extend(batch.indices);
        }
        assert!(seen.iter().all(|&c| c == 1), "every example exactly once");
        assert_eq!(sizes.last(), Some(&5));
        orders.push(order);
    }
    assert_ne!(orders[0], orders[1], "each epoch is reshuffled");
    // The same seed replays the same epochs.
    let mut replay = Batches::new(&digits, 64, 9).unwrap();
    let first: Vec<usize> = replay.epoch::<f64>().flat_map(|b| b.indices).collect();
    assert_eq!(first, orders[0]);
}

#[test]
fn reused_buffer_and_dropped_partial_batch() {
    let iris = table("iris");
    let mut batches = Batches::new(&iris, 32, 1).unwrap().keep_partial(false);
    assert_eq!(batches.batches_per_epoch(), 4);
    let mut buf = Batch::<f64>::new();
    let mut epoch = batches.epoch::<f64>();
    let mut seen = HashSet::new();
    let mut count = 0;
    while epoch.next_into(&mut buf) {
        assert_eq!(buf.len(), 32);
        for (k, &i) in buf.indices.iter().enumerate() {
            assert_eq!(buf.features.row(k), iris.features().row(i));
            assert!(seen.insert(i), "no example twice in an epoch");
        }
        count += 1;
    }
    assert_eq!((count, seen.len()), (4, 128), "the 22 left over are skipped this epoch");
}
