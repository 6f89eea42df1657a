//! Standardization, seeded shuffling and train/test splits.
//!
//! Why these three: gradient descent on raw features whose scales differ by
//! orders of magnitude (breast cancer's `mean_area` is ~1000, its
//! `mean_smoothness` ~0.1) converges badly, so features are standardized — with
//! statistics from the *training* set only, so the test set stays unseen. And the
//! bundled files are sorted by class, so they must be shuffled before splitting;
//! every shuffle takes a seed so that a run can be repeated exactly.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use wengert_ops::Matrix;

use super::labels::too_few_per_class;
use super::{DataError, Dataset};

/// Per-column standardization `(x - mean) / std`, fit on training features and
/// then applied unchanged to any other set (validation, test, new inputs).
///
/// `std` is the population standard deviation (dividing by `n`). A column that
/// is constant in the training set (std ≤ 10⁻¹² of its largest magnitude) is
/// only centred, not scaled, so it becomes all zeros instead of NaN or
/// infinity.
///
/// The statistics cannot overflow or underflow: each column is first scaled
/// by the power of two that brings its largest magnitude into `[0.5, 1)`, the
/// mean and the squared deviations (two passes, so no cancellation) are taken
/// there, and the results scaled back. A power of two scales exactly, so on
/// data that would not overflow the result is bit for bit the plain two-pass
/// one; a column of values near 10³⁰⁸ gets its true mean and std instead of
/// inf (which used to make it all −inf, or silently all zeros).
///
/// ```
/// use wengert_nn::data::Standardizer;
/// use wengert_ops::Matrix;
///
/// let train = Matrix::from_rows(&[[1.0, 5.0], [3.0, 5.0]]);
/// let s = Standardizer::fit(&train)?;
/// assert_eq!((s.mean(), s.std()), (&[2.0, 5.0][..], &[1.0, 0.0][..]));
/// assert_eq!(s.transform(&train)?.as_slice(), &[-1.0, 0.0, 1.0, 0.0]);
/// let test = Matrix::from_rows(&[[4.0, 6.0]]);
/// assert_eq!(s.transform(&test)?.as_slice(), &[2.0, 1.0]);
///
/// // Huge values standardize like small ones.
/// let huge = Matrix::from_rows(&[[1e308], [-1e308]]);
/// assert_eq!(Standardizer::fit(&huge)?.transform(&huge)?.as_slice(), &[1.0, -1.0]);
/// # Ok::<(), wengert_nn::data::DataError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Standardizer {
    mean: Vec<f64>,
    std: Vec<f64>,
    /// What each column is divided by: `std`, or 1 for a constant column.
    scale: Vec<f64>,
}

impl Standardizer {
    /// Computes the mean and standard deviation of every column. Fails on a
    /// matrix with no rows (there is nothing to fit), on a NaN or infinite
    /// entry ([`DataError::NotFinite`], naming its row and column), and on a
    /// column whose statistics are not finite
    /// ([`DataError::NonFiniteStatistics`]; with the scaling above only a
    /// column spanning ±`f64::MAX` can get there).
    pub fn fit(features: &Matrix<f64>) -> Result<Self, DataError> {
        let (n, d) = features.shape();
        if n == 0 {
            return Err(DataError::invalid("Standardizer::fit: the feature matrix has no rows"));
        }
        if let Some(at) = features.iter().position(|x| !x.is_finite()) {
            let (row, column) = (at / d, at % d);
            let value = features.as_slice()[at];
            return Err(DataError::NotFinite { row, column: Some(column), column_name: None, value, scaled: false });
        }
        // Per column: the largest magnitude, and from it the exponent k of
        // the power of two 2^k that each value is divided by.
        let mut largest = vec![0.0f64; d];
        for row in features.row_iter() {
            for (m, &x) in largest.iter_mut().zip(row) {
                *m = m.max(x.abs());
            }
        }
        let exponent: Vec<i32> = largest.iter().map(|&m| scale_exponent(m)).collect();
        let down: Vec<f64> = exponent.iter().map(|&k| pow2(-k)).collect();

        let mut mean = vec![0.0; d];
        for row in features.row_iter() {
            for ((m, &x), &s) in mean.iter_mut().zip(row).zip(&down) {
                *m += x * s;
            }
        }
        mean.iter_mut().for_each(|m| *m /= n as f64);
        // Two passes (mean first, then squared deviations) to avoid the
        // cancellation of the one-pass `E[x²] - E[x]²`.
        let mut var = vec![0.0; d];
        for row in features.row_iter() {
            for (((v, &m), &x), &s) in var.iter_mut().zip(&mean).zip(row).zip(&down) {
                *v += (x * s - m) * (x * s - m);
            }
        }
        let mut std = Vec::with_capacity(d);
        let mut scale = Vec::with_capacity(d);
        for c in 0..d {
            let up = pow2(exponent[c]);
            mean[c] *= up;
            let s = (var[c] / n as f64).sqrt() * up;
            if !(mean[c].is_finite() && s.is_finite()) {
                return Err(DataError::NonFiniteStatistics { column: c, column_name: None, mean: mean[c], std: s });
            }
            std.push(s);
            scale.push(if s > 1e-12 * largest[c] { s } else { 1.0 });
        }
        Ok(Standardizer { mean, std, scale })
    }

    /// A standardizer with given column means, standard deviations and
    /// scales (what each column is divided by: its std, or 1 for a column
    /// treated as constant), as saved from [`fit`](Self::fit), e.g. in a
    /// checkpoint. Fails if the lengths differ, a value is not finite, a std is
    /// negative or a scale is not positive.
    pub fn from_parts(mean: Vec<f64>, std: Vec<f64>, scale: Vec<f64>) -> Result<Self, DataError> {
        if mean.len() != std.len() || mean.len() != scale.len() {
            return Err(DataError::invalid(format!(
                "Standardizer::from_parts: {} means, {} standard deviations and {} scales",
                mean.len(),
                std.len(),
                scale.len()
            )));
        }
        let valid = |j: usize| {
            mean[j].is_finite() && std[j].is_finite() && std[j] >= 0.0 && scale[j].is_finite() && scale[j] > 0.0
        };
        if let Some(j) = (0..mean.len()).find(|&j| !valid(j)) {
            return Err(DataError::invalid(format!(
                "Standardizer::from_parts: column {j} has mean {}, std {} and scale {}",
                mean[j], std[j], scale[j]
            )));
        }
        Ok(Standardizer { mean, std, scale })
    }

    /// What each column is divided by: its std, or 1 for a constant column.
    pub fn scale(&self) -> &[f64] {
        &self.scale
    }

    /// The column means of the training features.
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }

    /// The column standard deviations of the training features (0 for a
    /// constant column, which [`transform`](Self::transform) only centres).
    pub fn std(&self) -> &[f64] {
        &self.std
    }

    /// Number of columns this standardizer was fit on.
    pub fn n_features(&self) -> usize {
        self.mean.len()
    }

    /// Standardizes `features` with the fitted statistics. Fails if the column
    /// count differs from the one fit on, or if a result is not finite — a NaN
    /// or infinite input, or a value so far outside the training range that
    /// its standardized value overflows ([`DataError::NotFinite`], naming the
    /// row and column).
    pub fn transform(&self, features: &Matrix<f64>) -> Result<Matrix<f64>, DataError> {
        self.check_width(features, "transform")?;
        let mut out = features.clone();
        let d = self.n_features().max(1);
        for row in out.as_mut_slice().chunks_exact_mut(d) {
            for ((x, &m), &s) in row.iter_mut().zip(&self.mean).zip(&self.scale) {
                *x = (*x - m) / s;
            }
        }
        if let Some(at) = out.iter().position(|x| !x.is_finite()) {
            let (row, column) = (at / d, at % d);
            let (value, scaled) = (out.as_slice()[at], features.as_slice()[at].is_finite());
            return Err(DataError::NotFinite { row, column: Some(column), column_name: None, value, scaled });
        }
        Ok(out)
    }

    /// Maps standardized values back to the original units.
    pub fn inverse_transform(&self, features: &Matrix<f64>) -> Result<Matrix<f64>, DataError> {
        self.check_width(features, "inverse_transform")?;
        let mut out = features.clone();
        let d = self.n_features().max(1);
        for row in out.as_mut_slice().chunks_exact_mut(d) {
            for ((x, &m), &s) in row.iter_mut().zip(&self.mean).zip(&self.scale) {
                *x = *x * s + m;
            }
        }
        Ok(out)
    }

    /// The dataset with standardized features (targets, names and classes
    /// unchanged). Errors name the column as the dataset does.
    pub fn transform_dataset(&self, dataset: &Dataset) -> Result<Dataset, DataError> {
        let features = self.transform(dataset.features()).map_err(|e| e.name_column(dataset.feature_names()))?;
        dataset.with_features(features)
    }

    fn check_width(&self, features: &Matrix<f64>, what: &str) -> Result<(), DataError> {
        if features.cols() == self.n_features() {
            Ok(())
        } else {
            Err(DataError::invalid(format!(
                "Standardizer::{what}: the matrix has {} columns but the standardizer was fit on {}",
                features.cols(),
                self.n_features()
            )))
        }
    }
}

/// The exponent k with `largest / 2^k` in `[0.5, 1)`, kept within
/// `[-1022, 1023]` so that both `2^k` and `2^-k` are representable (a column
/// of subnormals is scaled by 2^1022, one beyond 2^1023 lands in `[1, 2)`).
fn scale_exponent(largest: f64) -> i32 {
    if largest < f64::MIN_POSITIVE {
        return -1022; // zero or subnormal
    }
    let biased = ((largest.to_bits() >> 52) & 0x7ff) as i32; // largest = 1.f × 2^(biased − 1023)
    (biased - 1022).min(1023)
}

/// `2^e` exactly, for `e` in `[-1074, 1023]` (subnormal below −1022).
fn pow2(e: i32) -> f64 {
    debug_assert!((-1074..=1023).contains(&e));
    if e >= -1022 {
        f64::from_bits(((e + 1023) as u64) << 52)
    } else {
        f64::from_bits(1u64 << (e + 1074))
    }
}

/// A permutation of `0..n`, the same for the same seed (via
/// `StdRng::seed_from_u64`).
///
/// ```
/// use wengert_nn::data::shuffle_indices;
/// let p = shuffle_indices(10, 3);
/// assert_eq!(p, shuffle_indices(10, 3));
/// let mut sorted = p.clone();
/// sorted.sort();
/// assert_eq!(sorted, (0..10).collect::<Vec<_>>());
/// ```
pub fn shuffle_indices(n: usize, seed: u64) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n).collect();
    idx.shuffle(&mut StdRng::seed_from_u64(seed));
    idx
}

impl Dataset {
    /// The rows in a seeded random order (see [`shuffle_indices`]).
    pub fn shuffled(&self, seed: u64) -> Dataset {
        self.take(&shuffle_indices(self.len(), seed))
    }
}

/// Checks a test fraction and a dataset size for splitting.
fn check_split(dataset: &Dataset, test_fraction: f64, what: &str) -> Result<(), DataError> {
    if !(test_fraction > 0.0 && test_fraction < 1.0) {
        return Err(DataError::invalid(format!("{what}: test_fraction must be in (0, 1), got {test_fraction}")));
    }
    if dataset.len() < 2 {
        return Err(DataError::invalid(format!(
            "{what}: need at least 2 examples to split, the dataset has {}",
            dataset.len()
        )));
    }
    Ok(())
}

/// Shuffles the rows with `seed` and splits them into `(train, test)`, with
/// `round(n · test_fraction)` test examples (at least 1, and at least 1 left
/// for training). Both parts are in shuffled order.
///
/// ```
/// use wengert_nn::data::{load_bundled, train_test_split};
/// let wine = load_bundled("wine")?.into_single().unwrap();
/// let (train, test) = train_test_split(&wine, 0.25, 1)?;
/// assert_eq!((train.len(), test.len()), (133, 45));
/// # Ok::<(), wengert_nn::data::DataError>(())
/// ```
pub fn train_test_split(dataset: &Dataset, test_fraction: f64, seed: u64) -> Result<(Dataset, Dataset), DataError> {
    check_split(dataset, test_fraction, "train_test_split")?;
    let n = dataset.len();
    let n_test = ((n as f64 * test_fraction).round() as usize).clamp(1, n - 1);
    let order = shuffle_indices(n, seed);
    Ok((dataset.take(&order[n_test..]), dataset.take(&order[..n_test])))
}

/// Like [`train_test_split`], but each class keeps its proportion: from every
/// class, `round(count · test_fraction)` examples go to the test set. The
/// targets must be class labels ([`Dataset::class_labels`]); both parts keep
/// the dataset's [`ClassMap`](super::ClassMap). Both parts are
/// shuffled, so classes are interleaved. Fails if either part would be empty.
///
/// ```
/// use wengert_nn::data::{load_bundled, train_test_split_stratified};
/// let iris = load_bundled("iris")?.into_single().unwrap();
/// let (train, test) = train_test_split_stratified(&iris, 0.2, 1)?;
/// assert_eq!(train.class_counts()?, vec![40, 40, 40]);
/// assert_eq!(test.class_counts()?, vec![10, 10, 10]);
/// # Ok::<(), wengert_nn::data::DataError>(())
/// ```
pub fn train_test_split_stratified(
    dataset: &Dataset,
    test_fraction: f64,
    seed: u64,
) -> Result<(Dataset, Dataset), DataError> {
    check_split(dataset, test_fraction, "train_test_split_stratified")?;
    let labels = dataset.class_labels()?;
    // Sized by the number of classes (at most MAX_CLASSES), not by a label's value.
    let n_classes = dataset.n_classes()?;
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); n_classes];
    for (i, &l) in labels.iter().enumerate() {
        by_class[l].push(i);
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for mut members in by_class {
        members.shuffle(&mut rng);
        let n_test = (members.len() as f64 * test_fraction).round() as usize;
        test.extend_from_slice(&members[..n_test]);
        train.extend_from_slice(&members[n_test..]);
    }
    if train.is_empty() || test.is_empty() {
        let hint = if too_few_per_class(n_classes, dataset.len()) {
            format!(
                " ({n_classes} classes for {} examples: a target with nearly one value per example is usually \
                 a quantity to fit by regression)",
                dataset.len()
            )
        } else {
            String::new()
        };
        return Err(DataError::invalid(format!(
            "train_test_split_stratified: test_fraction {test_fraction} leaves {} training and {} test examples \
             out of {}{hint}",
            train.len(),
            test.len(),
            dataset.len()
        )));
    }
    train.shuffle(&mut rng);
    test.shuffle(&mut rng);
    Ok((dataset.take(&train), dataset.take(&test)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy(n: usize) -> Dataset {
        let x = Matrix::from_fn(n, 2, |i, j| (i * 2 + j) as f64);
        Dataset::new(x, (0..n).map(|i| (i % 2) as f64).collect(), vec!["a".into(), "b".into()], "y").unwrap()
    }

    #[test]
    fn constant_and_near_constant_columns_stay_finite() {
        let x = Matrix::from_rows(&[[0.1, 1e9, 7.0], [0.1, 1e9, 9.0], [0.1, 1e9, 8.0]]);
        let s = Standardizer::fit(&x).unwrap();
        let z = s.transform(&x).unwrap();
        assert!(z.iter().all(|v| v.is_finite()));
        for i in 0..3 {
            assert!(z[(i, 0)].abs() < 1e-12 && z[(i, 1)].abs() < 1e-6, "{z}");
        }
        assert!(s.inverse_transform(&z).unwrap().max_abs_diff(&x) < 1e-6);
        assert!(s.transform(&Matrix::zeros(1, 2)).is_err());
        assert!(Standardizer::fit(&Matrix::zeros(0, 3)).is_err());
    }

    #[test]
    fn power_of_two_scaling_is_exact() {
        assert_eq!(pow2(0), 1.0);
        assert_eq!(pow2(1023), 2f64.powi(1023));
        assert_eq!(pow2(-1022), f64::MIN_POSITIVE);
        assert_eq!(pow2(-1074), f64::from_bits(1));
        for m in [1.0, 0.75, 3.0, 1e-300, 1e300, f64::MAX, f64::MIN_POSITIVE, 5e-324, 1e-310] {
            let k = scale_exponent(m);
            let scaled = m * pow2(-k);
            if m >= f64::MIN_POSITIVE {
                assert!((0.5..2.0).contains(&scaled), "{m}: k {k}, scaled {scaled}");
            }
            assert_eq!(scaled * pow2(k), m, "{m} scales back exactly");
        }
        assert_eq!(scale_exponent(0.0), -1022);
    }

    #[test]
    fn split_rejects_bad_fractions_and_tiny_sets() {
        for f in [0.0, 1.0, -0.5, f64::NAN] {
            assert!(train_test_split(&toy(10), f, 0).is_err(), "{f}");
        }
        assert!(train_test_split(&toy(1), 0.5, 0).is_err());
        let (train, test) = train_test_split(&toy(2), 0.01, 0).unwrap();
        assert_eq!((train.len(), test.len()), (1, 1));
        // Two examples of different classes: 0.4 rounds to 0 test examples per class.
        assert!(train_test_split_stratified(&toy(2), 0.4, 0).is_err());
    }

    #[test]
    fn split_partitions_the_rows() {
        let ds = toy(11);
        let (train, test) = train_test_split(&ds, 0.3, 5).unwrap();
        let mut seen: Vec<f64> = train.features().iter().chain(test.features()).copied().collect();
        seen.sort_by(f64::total_cmp);
        assert_eq!(seen, (0..22).map(|v| v as f64).collect::<Vec<_>>());
        assert_eq!(test.len(), 3);
    }
}
