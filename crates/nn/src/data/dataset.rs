//! [`Dataset`]: a feature matrix, one target per row, and the column names.
//!
//! Why one type for classification and regression: the bundled files all have
//! the same shape (numeric features, target last), and whether a target is a
//! class label is a question asked of the data ([`Dataset::class_labels`]), not
//! something the loader has to guess.

use std::fmt;

use wengert_ops::Matrix;

use super::DataError;

/// A table of examples: features as an `n × d` [`Matrix<f64>`], one `f64`
/// target per row, and the names of the feature and target columns.
///
/// The features are shared copy-on-write storage, so cloning a `Dataset` or
/// handing its features to a tape does not copy them.
///
/// ```
/// use wengert_nn::data::Dataset;
/// use wengert_ops::Matrix;
///
/// let x = Matrix::from_rows(&[[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]);
/// let ds = Dataset::new(x, vec![0.0, 2.0, 2.0], vec!["a".into(), "b".into()], "label")?;
/// assert_eq!((ds.len(), ds.n_features()), (3, 2));
/// assert_eq!(ds.class_labels()?, vec![0, 2, 2]);
/// assert_eq!(ds.n_classes()?, 3);
/// assert_eq!(ds.class_counts()?, vec![1, 0, 2]);
/// # Ok::<(), wengert_nn::data::DataError>(())
/// ```
#[derive(Clone)]
pub struct Dataset {
    features: Matrix<f64>,
    targets: Vec<f64>,
    feature_names: Vec<String>,
    target_name: String,
}

impl Dataset {
    /// Builds a dataset, checking that there is one target per feature row and
    /// one name per feature column.
    pub fn new(
        features: Matrix<f64>,
        targets: Vec<f64>,
        feature_names: Vec<String>,
        target_name: impl Into<String>,
    ) -> Result<Self, DataError> {
        if features.rows() != targets.len() {
            return Err(DataError::invalid(format!(
                "Dataset::new: {} feature rows but {} targets",
                features.rows(),
                targets.len()
            )));
        }
        if features.cols() != feature_names.len() {
            return Err(DataError::invalid(format!(
                "Dataset::new: {} feature columns but {} feature names",
                features.cols(),
                feature_names.len()
            )));
        }
        Ok(Dataset { features, targets, feature_names, target_name: target_name.into() })
    }

    /// The `n × d` feature matrix.
    pub fn features(&self) -> &Matrix<f64> {
        &self.features
    }

    /// The targets, one per row (class labels stored as whole numbers, or
    /// regression targets).
    pub fn targets(&self) -> &[f64] {
        &self.targets
    }

    /// The feature column names, from the CSV header (`pixel_R_C` for images).
    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    /// The name of the target column.
    pub fn target_name(&self) -> &str {
        &self.target_name
    }

    /// Number of examples (rows).
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// Whether the dataset has no examples.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// Number of features (columns).
    pub fn n_features(&self) -> usize {
        self.features.cols()
    }

    /// The targets as class labels. Fails with [`DataError::NotClassLabel`] on
    /// the first target that is not a non-negative integer (e.g. `2.5`, `-1`, NaN).
    pub fn class_labels(&self) -> Result<Vec<usize>, DataError> {
        self.targets.iter().enumerate().map(|(index, &value)| to_label(index, value)).collect()
    }

    /// Number of classes: the largest class label plus one (so labels `3..=8`
    /// give 9 classes, the unused ones counting as empty). Fails as
    /// [`class_labels`](Self::class_labels) does; an empty dataset has 0 classes.
    pub fn n_classes(&self) -> Result<usize, DataError> {
        let mut n = 0;
        for (index, &value) in self.targets.iter().enumerate() {
            n = n.max(to_label(index, value)? + 1);
        }
        Ok(n)
    }

    /// How many examples each class has, indexed by label (length
    /// [`n_classes`](Self::n_classes)).
    pub fn class_counts(&self) -> Result<Vec<usize>, DataError> {
        let labels = self.class_labels()?;
        let n = labels.iter().max().map_or(0, |&m| m + 1);
        let mut counts = vec![0; n];
        for l in labels {
            counts[l] += 1;
        }
        Ok(counts)
    }

    /// A new dataset with rows `indices[0], indices[1], …` (in that order;
    /// repeats allowed). Fails if an index is out of range.
    pub fn subset(&self, indices: &[usize]) -> Result<Dataset, DataError> {
        if let Some(&bad) = indices.iter().find(|&&i| i >= self.len()) {
            return Err(DataError::invalid(format!(
                "Dataset::subset: index {bad} out of range for {} examples",
                self.len()
            )));
        }
        Ok(self.take(indices))
    }

    /// [`subset`](Self::subset) for indices known to be in range (a permutation
    /// or part of one); panics otherwise.
    pub(crate) fn take(&self, indices: &[usize]) -> Dataset {
        Dataset {
            features: self.features.select_rows(indices),
            targets: indices.iter().map(|&i| self.targets[i]).collect(),
            feature_names: self.feature_names.clone(),
            target_name: self.target_name.clone(),
        }
    }

    /// The same dataset with its features replaced (e.g. by standardized ones).
    /// Fails if the new matrix has a different shape.
    pub fn with_features(&self, features: Matrix<f64>) -> Result<Dataset, DataError> {
        if features.shape() != self.features.shape() {
            return Err(DataError::invalid(format!(
                "Dataset::with_features: new features are {}, the dataset's are {}",
                wengert_ops::shape_str(features.shape()),
                wengert_ops::shape_str(self.features.shape())
            )));
        }
        Ok(Dataset { features, ..self.clone() })
    }

    /// Splits the dataset into its feature matrix and targets.
    pub fn into_parts(self) -> (Matrix<f64>, Vec<f64>) {
        (self.features, self.targets)
    }
}

/// Converts one target to a class label, or says which example is not one.
pub(crate) fn to_label(index: usize, value: f64) -> Result<usize, DataError> {
    // The upper bound keeps the `as` conversion exact (and rejects +inf).
    if value >= 0.0 && value.fract() == 0.0 && value < 2f64.powi(52) {
        Ok(value as usize)
    } else {
        Err(DataError::NotClassLabel { index, value })
    }
}

impl fmt::Debug for Dataset {
    /// Shape and names only: printing every value of MNIST would be useless.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dataset")
            .field("len", &self.len())
            .field("n_features", &self.n_features())
            .field("target_name", &self.target_name)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy(targets: Vec<f64>) -> Dataset {
        let n = targets.len();
        Dataset::new(Matrix::from_fn(n, 1, |i, _| i as f64), targets, vec!["x".into()], "y").unwrap()
    }

    #[test]
    fn class_labels_reject_non_integers() {
        let err = toy(vec![0.0, 1.0, 2.5]).class_labels().unwrap_err();
        assert!(matches!(err, DataError::NotClassLabel { index: 2, value } if value == 2.5), "{err}");
        assert!(err.to_string().contains("target 2.5 of example 2"), "{err}");
        assert!(toy(vec![-1.0]).n_classes().is_err());
        assert!(toy(vec![f64::NAN]).class_counts().is_err());
        assert_eq!(toy(vec![]).n_classes().unwrap(), 0);
        assert_eq!(toy(vec![3.0, 8.0, 3.0]).class_counts().unwrap(), vec![0, 0, 0, 2, 0, 0, 0, 0, 1]);
    }

    #[test]
    fn constructor_and_subset_check_shapes() {
        let x = Matrix::from_rows(&[[1.0, 2.0]]);
        assert!(Dataset::new(x.clone(), vec![], vec!["a".into(), "b".into()], "y").is_err());
        assert!(Dataset::new(x, vec![0.0], vec!["a".into()], "y").is_err());
        let ds = toy(vec![0.0, 1.0, 0.0]);
        let sub = ds.subset(&[2, 0, 2]).unwrap();
        assert_eq!(sub.features().as_slice(), &[2.0, 0.0, 2.0]);
        assert_eq!(sub.targets(), &[0.0, 0.0, 0.0]);
        assert!(ds.subset(&[3]).is_err());
        assert!(ds.with_features(Matrix::zeros(2, 1)).is_err());
        assert_eq!(ds.with_features(Matrix::zeros(3, 1)).unwrap().features().as_slice(), &[0.0; 3]);
        assert_eq!(format!("{ds:?}"), "Dataset { len: 3, n_features: 1, target_name: \"y\", .. }");
    }
}
