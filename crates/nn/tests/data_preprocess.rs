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

/// The plain two-pass statistics the standardizer computed before it scaled
/// columns by a power of two, with its old constant-column rule.
fn naive_fit(x: &wengert_ops::Matrix<f64>) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let (n, d) = x.shape();
    let mut mean = vec![0.0; d];
    for row in x.row_iter() {
        for (m, &v) in mean.iter_mut().zip(row) {
            *m += v;
        }
    }
    mean.iter_mut().for_each(|m| *m /= n as f64);
    let mut var = vec![0.0; d];
    for row in x.row_iter() {
        for ((s, &m), &v) in var.iter_mut().zip(&mean).zip(row) {
            *s += (v - m) * (v - m);
        }
    }
    let std: Vec<f64> = var.iter().map(|v| (v / n as f64).sqrt()).collect();
    let scale = std.iter().zip(&mean).map(|(&s, &m)| if s > 1e-12 * m.abs().max(1.0) { s } else { 1.0 }).collect();
    (mean, std, scale)
}

#[test]
fn on_ordinary_data_the_overflow_safe_statistics_are_bit_for_bit_the_plain_ones() {
    for name in ["iris", "wine", "breast-cancer", "digits", "diabetes", "wine-quality"] {
        let x = table(name).features().clone();
        let s = Standardizer::fit(&x).unwrap();
        let (mean, std, scale) = naive_fit(&x);
        assert_eq!(s.mean(), &mean[..], "{name}");
        assert_eq!(s.std(), &std[..], "{name}");
        let z = s.transform(&x).unwrap();
        let expected = wengert_ops::Matrix::from_fn(x.rows(), x.cols(), |i, j| (x[(i, j)] - mean[j]) / scale[j]);
        assert_eq!(z, expected, "{name}: the same standardized values, so the same training runs");
    }
}

#[test]
fn columns_near_the_overflow_threshold_standardize_correctly() {
    // 1e308 made the mean inf and the column −inf; 1e200 made the std inf and
    // the column silently 0.
    let x = wengert_ops::Matrix::from_rows(&[[1e308, 1e200, 1.0], [1e308, -1e200, 2.0], [-1e308, 3e200, 3.0]]);
    let s = Standardizer::fit(&x).unwrap();
    let third = 1e308 / 3.0;
    assert!((s.mean()[0] - third).abs() <= 1e-15 * third, "{:?}", s.mean());
    assert!((s.mean()[1] - 1e200).abs() <= 1e-15 * 1e200);
    let std1 = (8.0f64 / 3.0).sqrt() * 1e200; // deviations 0, −2, 2 (×1e200)
    assert!((s.std()[1] - std1).abs() <= 1e-15 * std1, "{:?}", s.std());
    let z = s.transform(&x).unwrap();
    let expected_col0 = [1.0 / 2f64.sqrt(), 1.0 / 2f64.sqrt(), -2.0 / 2f64.sqrt()];
    let expected_col1 = [0.0, -(1.5f64).sqrt(), (1.5f64).sqrt()];
    for i in 0..3 {
        assert!((z[(i, 0)] - expected_col0[i]).abs() < 1e-12, "{z}");
        assert!((z[(i, 1)] - expected_col1[i]).abs() < 1e-12, "{z}");
    }
    assert!(s.inverse_transform(&z).unwrap().iter().zip(x.iter()).all(|(a, b)| (a - b).abs() <= 1e-12 * b.abs()));

    // The widest finite column and tiny (subnormal) values keep their spread.
    let (a, b) = (f64::from_bits(4000), f64::from_bits(1000)); // subnormals
    let extreme = wengert_ops::Matrix::from_rows(&[[f64::MAX, a], [-f64::MAX, b]]);
    let s = Standardizer::fit(&extreme).unwrap();
    assert_eq!(s.mean(), &[0.0, f64::from_bits(2500)]);
    assert_eq!(s.std()[1], f64::from_bits(1500));
    assert_eq!(s.std()[0], f64::MAX);
    assert_eq!(s.transform(&extreme).unwrap().as_slice(), &[1.0, 1.0, -1.0, -1.0]);
}

#[test]
fn tiny_but_varying_columns_are_scaled_not_zeroed() {
    let x = wengert_ops::Matrix::from_rows(&[[1e-20], [3e-20]]);
    let z = Standardizer::fit(&x).unwrap().transform(&x).unwrap();
    assert!((z[(0, 0)] + 1.0).abs() < 1e-12 && (z[(1, 0)] - 1.0).abs() < 1e-12, "{z}");
}

#[test]
fn non_finite_inputs_and_outputs_are_errors_naming_the_spot() {
    use wengert_nn::data::DataError;
    use wengert_ops::Matrix;
    let err = Standardizer::fit(&Matrix::from_rows(&[[1.0, 2.0], [f64::NAN, 3.0]])).unwrap_err();
    assert!(matches!(err, DataError::NotFinite { row: 1, column: Some(0), scaled: false, .. }), "{err}");
    let s = Standardizer::fit(&Matrix::from_rows(&[[1.0], [1.0 + 1e-9]])).unwrap();
    let err = s.transform(&Matrix::from_rows(&[[0.0], [1e308]])).unwrap_err();
    assert!(matches!(err, DataError::NotFinite { row: 1, column: Some(0), scaled: true, .. }), "{err}");
    assert!(err.to_string().contains("scaling makes it inf"), "{err}");
    // Through a dataset, the column is named.
    let train = Dataset::new(Matrix::from_rows(&[[1.0], [1.0 + 1e-9]]), vec![0.0, 1.0], vec!["w".into()], "y").unwrap();
    let far = Dataset::new(Matrix::from_rows(&[[1e308]]), vec![0.0], vec!["w".into()], "y").unwrap();
    let err = Standardizer::fit(train.features()).unwrap().transform_dataset(&far).unwrap_err();
    assert_eq!(
        err.to_string(),
        "example 0 (0-based), column 0 (0-based) (`w`): scaling makes it inf; the value is far outside the range \
         the scaling was fit on"
    );
}
