//! [`Dataset`]: a feature matrix, one target per row, the column names, and
//! — when the targets are class labels — the classes.
//!
//! Why one type for classification and regression: the bundled files all have
//! the same shape (numeric features, target last), and whether a target is a
//! class label is a question asked of the data ([`Dataset::class_labels`]), not
//! something the loader has to guess. The answer is worked out once, when the
//! dataset is built, and kept: the [`ClassMap`] of the whole table travels
//! with every subset, so a training part and a test part number their classes
//! alike.
//!
//! Why every value is checked to be finite on construction: one NaN feature
//! in iris trained to `Ok` with 16 of 131 weights NaN while the loss stayed
//! finite, so the place to catch it is where the data enters, with the row
//! and column named.

use std::fmt;

use wengert_ops::Matrix;

use super::labels::{ClassLabel, ClassMap, NotClassLabels};
use super::DataError;

/// A table of examples: features as an `n × d` [`Matrix<f64>`], one `f64`
/// target per row, the names of the feature and target columns, and the
/// classes when the targets are class labels.
///
/// Every feature and target is finite (the constructors check). The features
/// are shared copy-on-write storage, so cloning a `Dataset` or handing its
/// features to a tape does not copy them.
///
/// ```
/// use wengert_nn::data::Dataset;
/// use wengert_ops::Matrix;
///
/// let x = Matrix::from_rows(&[[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]);
/// let ds = Dataset::new(x, vec![3.0, 100000.0, 100000.0], vec!["a".into(), "b".into()], "label")?;
/// assert_eq!((ds.len(), ds.n_features()), (3, 2));
/// // The classes are the distinct labels, numbered in order.
/// assert_eq!(ds.class_map().unwrap().to_string(), "3, 100000");
/// assert_eq!(ds.class_labels()?, vec![0, 1, 1]);
/// assert_eq!(ds.n_classes()?, 2);
/// assert_eq!(ds.class_counts()?, vec![1, 2]);
/// # Ok::<(), wengert_nn::data::DataError>(())
/// ```
#[derive(Clone)]
pub struct Dataset {
    features: Matrix<f64>,
    targets: Vec<f64>,
    feature_names: Vec<String>,
    target_name: String,
    classes: Result<Classes, NotClassLabels>,
}

/// The classes of a dataset whose targets are class labels: the map (of the
/// whole table this dataset was cut from) and each row's class index.
#[derive(Clone, Debug, PartialEq)]
struct Classes {
    map: ClassMap,
    labels: Vec<usize>,
}

impl Dataset {
    /// Builds a dataset, checking that there is one target per feature row,
    /// one name per feature column, and that every value is finite
    /// ([`DataError::NotFinite`] names the row and column). If the targets
    /// are class labels (whole numbers, at most
    /// [`MAX_CLASSES`](super::MAX_CLASSES) distinct ones), their
    /// [`ClassMap`] is built here and kept.
    pub fn new(
        features: Matrix<f64>,
        targets: Vec<f64>,
        feature_names: Vec<String>,
        target_name: impl Into<String>,
    ) -> Result<Self, DataError> {
        check_shapes(&features, targets.len(), &feature_names)?;
        check_finite(&features, &feature_names, false)?;
        if let Some(row) = targets.iter().position(|t| !t.is_finite()) {
            let value = targets[row];
            return Err(DataError::NotFinite { row, column: None, column_name: None, value, scaled: false });
        }
        let classes = ClassMap::scan_targets(&targets).map(|map| {
            // Every target is in the map it was just built from.
            let labels = targets.iter().map(|&t| map.index_of(t).unwrap_or(0)).collect();
            Classes { map, labels }
        });
        Ok(Dataset { features, targets, feature_names, target_name: target_name.into(), classes })
    }

    /// Builds a dataset whose targets are given as classes: `labels[i]` is
    /// row `i`'s index into `classes`. This is how a reader of text labels
    /// builds one (see [`ClassMap::from_names`]); [`targets`](Self::targets)
    /// are then the class indices for names, and the label values for
    /// numbers. Checks as [`new`](Self::new) does, and that every label is
    /// below `classes.len()`.
    ///
    /// ```
    /// use wengert_nn::data::{ClassMap, Dataset};
    /// use wengert_ops::Matrix;
    ///
    /// let species = ["virginica", "setosa", "virginica"];
    /// let classes = ClassMap::from_names(species)?;
    /// let labels = species.iter().map(|s| classes.index_of_name(s).unwrap()).collect();
    /// let x = Matrix::from_rows(&[[6.3], [5.1], [5.8]]);
    /// let ds = Dataset::with_classes(x, labels, classes, vec!["sepal_length".into()], "species")?;
    /// assert_eq!(ds.class_labels()?, vec![1, 0, 1]);
    /// assert_eq!(ds.class_map().unwrap().to_string(), "setosa, virginica");
    /// # Ok::<(), wengert_nn::data::DataError>(())
    /// ```
    pub fn with_classes(
        features: Matrix<f64>,
        labels: Vec<usize>,
        classes: ClassMap,
        feature_names: Vec<String>,
        target_name: impl Into<String>,
    ) -> Result<Self, DataError> {
        check_shapes(&features, labels.len(), &feature_names)?;
        check_finite(&features, &feature_names, false)?;
        if let Some(&bad) = labels.iter().find(|&&l| l >= classes.len()) {
            return Err(DataError::invalid(format!(
                "Dataset::with_classes: class index {bad} for {} classes",
                classes.len()
            )));
        }
        let targets = labels.iter().map(|&l| target_of(&classes, l)).collect();
        let classes = Ok(Classes { map: classes, labels });
        Ok(Dataset { features, targets, feature_names, target_name: target_name.into(), classes })
    }

    /// The `n × d` feature matrix.
    pub fn features(&self) -> &Matrix<f64> {
        &self.features
    }

    /// The targets, one per row: regression targets, or class labels as
    /// numbers (their values; the class index for text labels).
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

    /// The classes, if the targets are class labels: of the whole table this
    /// dataset was cut from, so a subset may lack some of them.
    pub fn class_map(&self) -> Option<&ClassMap> {
        self.classes.as_ref().ok().map(|c| &c.map)
    }

    /// Each row's class, as an index into [`class_map`](Self::class_map).
    /// Fails with [`DataError::NotClassLabel`] if a target is not a whole
    /// number (`2.5`) and [`DataError::TooManyClasses`] if there are more
    /// than [`MAX_CLASSES`](super::MAX_CLASSES) distinct targets.
    pub fn class_labels(&self) -> Result<Vec<usize>, DataError> {
        Ok(self.classes()?.labels.clone())
    }

    /// Number of classes K (of the whole table this dataset was cut from).
    /// Fails as [`class_labels`](Self::class_labels) does; an empty dataset
    /// has 0 classes.
    pub fn n_classes(&self) -> Result<usize, DataError> {
        Ok(self.classes()?.map.len())
    }

    /// How many examples each class has, indexed by class (length
    /// [`n_classes`](Self::n_classes)).
    pub fn class_counts(&self) -> Result<Vec<usize>, DataError> {
        let classes = self.classes()?;
        let mut counts = vec![0; classes.map.len()];
        for &l in &classes.labels {
            counts[l] += 1;
        }
        Ok(counts)
    }

    fn classes(&self) -> Result<&Classes, DataError> {
        self.classes.as_ref().map_err(|&reason| reason.into())
    }

    /// The same dataset with its classes numbered by `map` instead — e.g. a
    /// test file's by the classes a model was trained on, so that a class
    /// missing from the file does not shift the others. Fails with
    /// [`DataError::UnknownClass`] on a label that is not in `map`, and if the
    /// targets are not class labels or are names where `map` has numbers (or
    /// the other way round).
    ///
    /// ```
    /// use wengert_nn::data::{ClassMap, Dataset};
    /// use wengert_ops::Matrix;
    ///
    /// let test = Dataset::new(Matrix::zeros(2, 1), vec![7.0, 9.0], vec!["x".into()], "y")?;
    /// assert_eq!(test.class_labels()?, vec![0, 1]);
    /// let trained_on = ClassMap::from_targets(&[3.0, 7.0, 9.0])?;
    /// assert_eq!(test.with_class_map(&trained_on)?.class_labels()?, vec![1, 2]);
    /// # Ok::<(), wengert_nn::data::DataError>(())
    /// ```
    pub fn with_class_map(&self, map: &ClassMap) -> Result<Dataset, DataError> {
        let own = self.classes()?;
        let labels = if map.has_names() != own.map.has_names() {
            let kind = |names: bool| if names { "names" } else { "numbers" };
            return Err(DataError::invalid(format!(
                "Dataset::with_class_map: the labels are {} but the classes are {}",
                kind(own.map.has_names()),
                kind(map.has_names())
            )));
        } else if map.has_names() {
            let mut labels = Vec::with_capacity(self.len());
            for (index, &l) in own.labels.iter().enumerate() {
                // A row's class is always in its own map, and this map holds names.
                let label = own.map.label(l).unwrap_or(ClassLabel::Name(""));
                let found = match label {
                    ClassLabel::Name(name) => map.index_of_name(name),
                    ClassLabel::Number(_) => None,
                };
                labels.push(found.ok_or_else(|| map.unknown(index, label))?);
            }
            labels
        } else {
            map.encode(&self.targets)?
        };
        let targets = labels.iter().map(|&l| target_of(map, l)).collect();
        Ok(Dataset { targets, classes: Ok(Classes { map: map.clone(), labels }), ..self.clone() })
    }

    /// A new dataset with rows `indices[0], indices[1], …` (in that order;
    /// repeats allowed), keeping the classes of this one. Fails if an index
    /// is out of range.
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
            classes: self.classes.as_ref().map_or_else(
                |&reason| Err(reason),
                |c| Ok(Classes { map: c.map.clone(), labels: indices.iter().map(|&i| c.labels[i]).collect() }),
            ),
        }
    }

    /// The same dataset with its features replaced (e.g. by standardized ones).
    /// Fails if the new matrix has a different shape or a non-finite value.
    pub fn with_features(&self, features: Matrix<f64>) -> Result<Dataset, DataError> {
        Dataset { features: Matrix::zeros(0, 0), ..self.clone() }.replace_features(features, false)
    }

    /// This dataset with every feature `x` replaced by `f(x)`, in place when
    /// the storage is not shared (no second copy of a 60000 × 784 matrix).
    /// Fails if a result is not finite (reported as a scaling problem).
    pub(crate) fn map_features(mut self, f: impl Fn(f64) -> f64) -> Result<Dataset, DataError> {
        let mut features = std::mem::replace(&mut self.features, Matrix::zeros(0, 0));
        features.as_mut_slice().iter_mut().for_each(|x| *x = f(*x));
        self.replace_features(features, true)
    }

    fn replace_features(mut self, features: Matrix<f64>, scaled: bool) -> Result<Dataset, DataError> {
        let expected = (self.targets.len(), self.feature_names.len());
        if features.shape() != expected {
            return Err(DataError::invalid(format!(
                "Dataset::with_features: new features are {}, the dataset's are {}",
                wengert_ops::shape_str(features.shape()),
                wengert_ops::shape_str(expected)
            )));
        }
        check_finite(&features, &self.feature_names, scaled)?;
        self.features = features;
        Ok(self)
    }

    /// Splits the dataset into its feature matrix and targets.
    pub fn into_parts(self) -> (Matrix<f64>, Vec<f64>) {
        (self.features, self.targets)
    }
}

/// The target stored for class `index`: the label's value for numbers, the
/// index itself for names.
fn target_of(map: &ClassMap, index: usize) -> f64 {
    match map.label(index) {
        Some(ClassLabel::Number(v)) => v,
        _ => index as f64,
    }
}

fn check_shapes(features: &Matrix<f64>, n_targets: usize, feature_names: &[String]) -> Result<(), DataError> {
    if features.rows() != n_targets {
        return Err(DataError::invalid(format!(
            "Dataset::new: {} feature rows but {n_targets} targets",
            features.rows()
        )));
    }
    if features.cols() != feature_names.len() {
        return Err(DataError::invalid(format!(
            "Dataset::new: {} feature columns but {} feature names",
            features.cols(),
            feature_names.len()
        )));
    }
    Ok(())
}

/// The first non-finite feature, as an error naming its row and column.
fn check_finite(features: &Matrix<f64>, names: &[String], scaled: bool) -> Result<(), DataError> {
    match features.iter().position(|x| !x.is_finite()) {
        None => Ok(()),
        Some(at) => {
            let d = features.cols().max(1);
            let (row, column) = (at / d, at % d);
            Err(DataError::NotFinite {
                row,
                column: Some(column),
                column_name: names.get(column).cloned(),
                value: features.as_slice()[at],
                scaled,
            })
        }
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
        assert!(toy(vec![0.5]).n_classes().is_err());
        assert_eq!(toy(vec![]).n_classes().unwrap(), 0);
        assert_eq!(toy(vec![3.0, 8.0, 3.0]).class_counts().unwrap(), vec![2, 1]);
        assert_eq!(toy(vec![-1.0, 1.0, -1.0]).class_labels().unwrap(), vec![0, 1, 0]);
    }

    #[test]
    fn non_finite_values_are_rejected_with_row_and_column() {
        let x = Matrix::from_rows(&[[1.0, 2.0], [3.0, f64::NAN]]);
        let err = Dataset::new(x, vec![0.0, 1.0], vec!["a".into(), "b".into()], "y").unwrap_err();
        assert!(matches!(err, DataError::NotFinite { row: 1, column: Some(1), scaled: false, .. }), "{err}");
        assert_eq!(
            err.to_string(),
            "example 1 (0-based), column 1 (0-based) (`b`): the value is NaN; NaN and infinite values cannot be \
             trained on"
        );
        let err = Dataset::new(Matrix::zeros(2, 1), vec![0.0, f64::INFINITY], vec!["a".into()], "y").unwrap_err();
        assert_eq!(
            err.to_string(),
            "example 1 (0-based), target: the value is inf; NaN and infinite values cannot be trained on"
        );
        let ds = toy(vec![0.0, 1.0]);
        let err = ds.with_features(Matrix::from_rows(&[[0.0], [f64::NEG_INFINITY]])).unwrap_err();
        assert!(matches!(err, DataError::NotFinite { row: 1, column: Some(0), .. }), "{err}");
        let err = ds.map_features(|x| x / 0.0).unwrap_err();
        assert!(err.to_string().contains("scaling makes it NaN"), "{err}");
    }

    #[test]
    fn subsets_keep_the_classes_of_the_whole_table() {
        let ds = toy(vec![5.0, 9.0, 7.0, 9.0]);
        let part = ds.subset(&[1, 3]).unwrap();
        assert_eq!(part.class_labels().unwrap(), vec![2, 2]);
        assert_eq!(part.class_counts().unwrap(), vec![0, 0, 2]);
        assert_eq!(part.class_map(), ds.class_map());
        assert_eq!(part.with_features(Matrix::zeros(2, 1)).unwrap().class_map(), ds.class_map());
    }

    #[test]
    fn a_class_map_renumbers_or_names_the_unknown_label() {
        let names = ClassMap::from_names(["cat", "dog"]).unwrap();
        let ds = Dataset::with_classes(Matrix::zeros(2, 1), vec![1, 0], names, vec!["x".into()], "pet").unwrap();
        assert_eq!(ds.targets(), &[1.0, 0.0]);
        let wider = ClassMap::from_names(["ant", "cat", "dog"]).unwrap();
        let again = ds.with_class_map(&wider).unwrap();
        assert_eq!((again.class_labels().unwrap(), again.targets()), (vec![2, 1], &[2.0, 1.0][..]));
        let narrower = ClassMap::from_names(["cat"]).unwrap();
        let err = ds.with_class_map(&narrower).unwrap_err();
        assert_eq!(err.to_string(), "example 0 (0-based) has the label dog, which is not one of the classes (cat)");
        let numbers = ClassMap::from_targets(&[0.0, 1.0]).unwrap();
        assert!(ds.with_class_map(&numbers).is_err(), "names are not numbers");
        let bad = Dataset::with_classes(Matrix::zeros(1, 1), vec![2], numbers, vec!["x".into()], "y");
        assert!(bad.is_err(), "an index beyond the classes");
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
