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

use super::{DataError, Dataset};

/// Per-column standardization `(x - mean) / std`, fit on training features and
/// then applied unchanged to any other set (validation, test, new inputs).
///
/// `std` is the population standard deviation (dividing by `n`). A column that
/// is constant in the training set (std ≈ 0, relative to its mean) is only
/// centred, not scaled, so it becomes all zeros instead of NaN or infinity.
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
    /// matrix with no rows (there is nothing to fit).
    pub fn fit(features: &Matrix<f64>) -> Result<Self, DataError> {
        let (n, d) = features.shape();
        if n == 0 {
            return Err(DataError::invalid("Standardizer::fit: the feature matrix has no rows"));
        }
        let mut mean = vec![0.0; d];
        for row in features.row_iter() {
            for (m, &x) in mean.iter_mut().zip(row) {
                *m += x;
            }
        }
        mean.iter_mut().for_each(|m| *m /= n as f64);
        // Two passes (mean first, then squared deviations) to avoid the
        // cancellation of the one-pass `E[x²] - E[x]²`.
        let mut var = vec![0.0; d];
        for row in features.row_iter() {
            for ((v, &m), &x) in var.iter_mut().zip(&mean).zip(row) {
                *v += (x - m) * (x - m);
            }
        }
        let std: Vec<f64> = var.iter().map(|v| (v / n as f64).sqrt()).collect();
        Ok(Self::with_stats(mean, std))
    }

    /// A standardizer with given column means and standard deviations (saved
    /// from [`fit`](Self::fit), e.g. in a checkpoint). Fails if the lengths
    /// differ or a value is not finite, or a std is negative.
    pub fn from_mean_std(mean: Vec<f64>, std: Vec<f64>) -> Result<Self, DataError> {
        if mean.len() != std.len() {
            return Err(DataError::invalid(format!(
                "Standardizer::from_mean_std: {} means but {} standard deviations",
                mean.len(),
                std.len()
            )));
        }
        if let Some(j) = (0..mean.len()).find(|&j| !(mean[j].is_finite() && std[j].is_finite() && std[j] >= 0.0)) {
            return Err(DataError::invalid(format!(
                "Standardizer::from_mean_std: column {j} has mean {} and std {}",
                mean[j], std[j]
            )));
        }
        Ok(Self::with_stats(mean, std))
    }

    /// The standardizer of these statistics: a column is divided by its std,
    /// or by 1 when it is constant (std ≈ 0 relative to its mean).
    fn with_stats(mean: Vec<f64>, std: Vec<f64>) -> Self {
        let scale = std.iter().zip(&mean).map(|(&s, &m)| if s > 1e-12 * m.abs().max(1.0) { s } else { 1.0 }).collect();
        Standardizer { mean, std, scale }
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
    /// count differs from the one fit on.
    pub fn transform(&self, features: &Matrix<f64>) -> Result<Matrix<f64>, DataError> {
        self.check_width(features, "transform")?;
        let mut out = features.clone();
        let d = self.n_features().max(1);
        for row in out.as_mut_slice().chunks_exact_mut(d) {
            for ((x, &m), &s) in row.iter_mut().zip(&self.mean).zip(&self.scale) {
                *x = (*x - m) / s;
            }
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

    /// The dataset with standardized features (targets and names unchanged).
    pub fn transform_dataset(&self, dataset: &Dataset) -> Result<Dataset, DataError> {
        dataset.with_features(self.transform(dataset.features())?)
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
/// targets must be class labels ([`Dataset::class_labels`]). Both parts are
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
    let n_classes = labels.iter().max().map_or(0, |&m| m + 1);
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
        return Err(DataError::invalid(format!(
            "train_test_split_stratified: test_fraction {test_fraction} leaves {} training and {} test examples \
             out of {}",
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
