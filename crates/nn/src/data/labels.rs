//! [`ClassMap`]: which target values are the classes, and the index
//! `0..K` each one gets.
//!
//! Why a map instead of "the label is the index": a label column holds
//! whatever values its author chose — 3 to 8 for wine quality, −1 and 1 for a
//! margin classifier, 3, 7 and 100000 for product codes. Using the value
//! itself as the index sized the confusion matrix (K² counts) and the
//! per-class buffers of the stratified split by the *largest* label, so a
//! single label 100000 asked for 80 GB and aborted the process. Here the
//! classes are the distinct values, sorted and numbered `0..K`; every buffer
//! is sized by K, never by a value.
//!
//! K is bounded by [`MAX_CLASSES`] (1000; its docs say why).
//!
//! The map is built once per table ([`ClassMap::from_targets`] for numbers,
//! [`ClassMap::from_names`] for text labels) and kept with the
//! [`Dataset`](super::Dataset), so that a training part and a test part cut
//! from it number their classes the same way even when a class is missing
//! from one of them. Any reader can call these functions: the CSV reader
//! ([`load_csv`](super::load_csv)), meeting a column of names, builds the map
//! with `from_names`, encodes each row with [`ClassMap::index_of_name`], and
//! hands both to [`Dataset::with_classes`](super::Dataset::with_classes).
//!
//! ```
//! use wengert_nn::data::{ClassLabel, ClassMap};
//!
//! let map = ClassMap::from_targets(&[7.0, 3.0, 100000.0, 3.0])?;
//! assert_eq!(map.len(), 3);
//! assert_eq!(map.to_string(), "3, 7, 100000");
//! assert_eq!(map.index_of(100000.0), Some(2));
//! assert_eq!(map.label(1), Some(ClassLabel::Number(7.0)));
//! assert_eq!(map.encode(&[100000.0, 3.0])?, vec![2, 0]);
//!
//! let names = ClassMap::from_names(["setosa", "virginica", "setosa", "versicolor"])?;
//! assert_eq!(names.to_string(), "setosa, versicolor, virginica");
//! assert_eq!(names.index_of_name("virginica"), Some(2));
//! # Ok::<(), wengert_nn::data::DataError>(())
//! ```

use std::fmt;

use super::DataError;

/// The most classes a target column may have.
///
/// Why 1000: it is the size of the largest common classification benchmark
/// (ImageNet-1k), the confusion matrix is then at most 10⁶ counts (8 MB) and
/// a softmax layer at most 1000 outputs; a target column with more distinct
/// integers than that is almost always a quantity — a price, a count, a
/// year — that a regression should fit, and the error
/// ([`DataError::TooManyClasses`]) says so.
pub const MAX_CLASSES: usize = 1000;

/// Largest magnitude a numeric class label may have: beyond 2⁵³ not every
/// integer is an `f64`, so two different labels in a file could read as one.
const MAX_LABEL_MAGNITUDE: f64 = 9_007_199_254_740_992.0; // 2^53

/// One class's label as the data spells it: a whole number, or a name.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ClassLabel<'a> {
    /// A numeric label (always a whole number).
    Number(f64),
    /// A text label.
    Name(&'a str),
}

impl fmt::Display for ClassLabel<'_> {
    /// A number without a fractional part (`100000`, `-1`), a name as it is.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClassLabel::Number(v) => write!(f, "{v}"),
            ClassLabel::Name(s) => f.write_str(s),
        }
    }
}

/// The sorted, distinct class labels of a target column, numbered `0..K`,
/// with K at most [`MAX_CLASSES`].
///
/// Numbers sort by value (−1 before 0 before 3), names by their bytes. Why a
/// map: labels are whatever values a file's author chose (3 to 8, −1 and 1,
/// 3, 7 and 100000), and every buffer indexed by class — the confusion
/// matrix, the per-class lists of a stratified split — is sized by K, never
/// by a label's value. A [`Dataset`](super::Dataset) keeps the map of the
/// table it was cut from, so its parts number their classes alike.
///
/// ```
/// use wengert_nn::data::ClassMap;
/// let map = ClassMap::from_targets(&[1e9, -1.0, 1e9])?;
/// assert_eq!((map.len(), map.to_string()), (2, "-1, 1000000000".to_string()));
/// # Ok::<(), wengert_nn::data::DataError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ClassMap {
    labels: Labels,
}

/// The labels, sorted and distinct; at most [`MAX_CLASSES`].
#[derive(Clone, Debug, PartialEq)]
enum Labels {
    Numbers(Vec<f64>),
    Names(Vec<String>),
}

/// Why a numeric target column is not class labels. Small and `Clone`, so a
/// [`Dataset`](super::Dataset) can keep the reason and report it on request.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum NotClassLabels {
    /// Example `index` has a target that is not a whole number.
    NotInteger { index: usize, value: f64 },
    /// Example `index` brings the `MAX_CLASSES + 1`-th distinct value.
    TooMany { index: usize, value: f64 },
}

impl From<NotClassLabels> for DataError {
    fn from(reason: NotClassLabels) -> Self {
        match reason {
            NotClassLabels::NotInteger { index, value } => DataError::NotClassLabel { index, value },
            NotClassLabels::TooMany { index, value } => {
                DataError::TooManyClasses { max: MAX_CLASSES, index, label: ClassLabel::Number(value).to_string() }
            }
        }
    }
}

/// `value` as a class label: a whole number of magnitude at most 2⁵³, with
/// −0 read as 0 (they are the same label).
fn whole_number(value: f64) -> Option<f64> {
    (value.fract() == 0.0 && value.abs() <= MAX_LABEL_MAGNITUDE).then_some(value + 0.0)
}

impl ClassMap {
    /// The classes of a numeric target column: its distinct values, sorted.
    ///
    /// Fails with [`DataError::NotClassLabel`] at the first target that is not
    /// a whole number (`2.5`, NaN, ±inf, or beyond ±2⁵³), and with
    /// [`DataError::TooManyClasses`] at the first target that would make
    /// more than [`MAX_CLASSES`] classes. Memory is bounded by
    /// `MAX_CLASSES`, whatever the values.
    pub fn from_targets(targets: &[f64]) -> Result<ClassMap, DataError> {
        Ok(Self::scan_targets(targets)?)
    }

    pub(crate) fn scan_targets(targets: &[f64]) -> Result<ClassMap, NotClassLabels> {
        let mut values: Vec<f64> = Vec::new();
        for (index, &value) in targets.iter().enumerate() {
            let label = whole_number(value).ok_or(NotClassLabels::NotInteger { index, value })?;
            if let Err(at) = values.binary_search_by(|v| v.total_cmp(&label)) {
                if values.len() == MAX_CLASSES {
                    return Err(NotClassLabels::TooMany { index, value });
                }
                values.insert(at, label);
            }
        }
        Ok(ClassMap { labels: Labels::Numbers(values) })
    }

    /// The classes of a column of text labels: its distinct names, sorted.
    /// Fails with [`DataError::TooManyClasses`] beyond [`MAX_CLASSES`] names.
    pub fn from_names<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> Result<ClassMap, DataError> {
        let mut sorted: Vec<String> = Vec::new();
        for (index, name) in names.into_iter().enumerate() {
            let name = name.as_ref();
            if let Err(at) = sorted.binary_search_by(|s| s.as_str().cmp(name)) {
                if sorted.len() == MAX_CLASSES {
                    return Err(DataError::TooManyClasses { max: MAX_CLASSES, index, label: name.to_string() });
                }
                sorted.insert(at, name.to_string());
            }
        }
        Ok(ClassMap { labels: Labels::Names(sorted) })
    }

    /// Number of classes, K.
    pub fn len(&self) -> usize {
        match &self.labels {
            Labels::Numbers(v) => v.len(),
            Labels::Names(v) => v.len(),
        }
    }

    /// Whether there are no classes (the map of an empty column).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the labels are names (else whole numbers).
    pub fn has_names(&self) -> bool {
        matches!(self.labels, Labels::Names(_))
    }

    /// The label of class `index`, or `None` if `index >= len()`.
    pub fn label(&self, index: usize) -> Option<ClassLabel<'_>> {
        match &self.labels {
            Labels::Numbers(v) => v.get(index).map(|&x| ClassLabel::Number(x)),
            Labels::Names(v) => v.get(index).map(|s| ClassLabel::Name(s)),
        }
    }

    /// Every label, in class order.
    pub fn labels(&self) -> impl Iterator<Item = ClassLabel<'_>> + '_ {
        (0..self.len()).filter_map(|i| self.label(i))
    }

    /// The class of a numeric label, or `None` if it is not one of them (or
    /// the map holds names).
    pub fn index_of(&self, value: f64) -> Option<usize> {
        let label = whole_number(value)?;
        match &self.labels {
            Labels::Numbers(v) => v.binary_search_by(|x| x.total_cmp(&label)).ok(),
            Labels::Names(_) => None,
        }
    }

    /// The class of a text label, or `None` if it is not one of them (or the
    /// map holds numbers).
    pub fn index_of_name(&self, name: &str) -> Option<usize> {
        match &self.labels {
            Labels::Names(v) => v.binary_search_by(|s| s.as_str().cmp(name)).ok(),
            Labels::Numbers(_) => None,
        }
    }

    /// The class of every numeric target. Fails with
    /// [`DataError::NotClassLabel`] on a target that is not a whole number
    /// and [`DataError::UnknownClass`] on one that is not among the classes.
    pub fn encode(&self, targets: &[f64]) -> Result<Vec<usize>, DataError> {
        targets
            .iter()
            .enumerate()
            .map(|(index, &value)| {
                if whole_number(value).is_none() {
                    return Err(DataError::NotClassLabel { index, value });
                }
                self.index_of(value).ok_or_else(|| self.unknown(index, ClassLabel::Number(value)))
            })
            .collect()
    }

    /// The error for example `index` whose label is not among the classes.
    pub(crate) fn unknown(&self, index: usize, label: ClassLabel<'_>) -> DataError {
        DataError::UnknownClass { index, label: label.to_string(), classes: self.to_string() }
    }

    /// Whether the labels are the numbers `0, 1, …, K−1`, so that each class
    /// index equals its label (MNIST, iris): then there is nothing to report.
    pub fn is_identity(&self) -> bool {
        match &self.labels {
            Labels::Numbers(v) => v.iter().enumerate().all(|(i, &x)| x == i as f64),
            Labels::Names(_) => false,
        }
    }
}

/// Whether `classes` classes over `examples` examples look like the values of
/// a quantity rather than classes: more than two classes and fewer than two
/// examples per class on average (integer prices, each nearly unique). Such
/// classes cannot even be split for testing — most have no example to spare.
pub(crate) fn too_few_per_class(classes: usize, examples: usize) -> bool {
    classes > 2 && 2 * classes > examples
}

/// How many labels [`ClassMap`]'s `Display` writes before eliding.
const SHOWN: usize = 10;

impl fmt::Display for ClassMap {
    /// The labels in class order, comma-separated (`3, 7, 100000`); more than
    /// ten are elided in the middle (`0, 1, 2, 3, 4, 5, 6, 7, …, 999`). Every
    /// label is available from [`ClassMap::labels`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.len();
        for (i, label) in self.labels().enumerate() {
            if n > SHOWN && i >= SHOWN - 2 && i + 1 < n {
                if i == SHOWN - 2 {
                    f.write_str(", …")?;
                }
                continue;
            }
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{label}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_sort_by_value_and_minus_zero_is_zero() {
        let map = ClassMap::from_targets(&[1.0, -1.0, -0.0, 0.0, 1.0]).unwrap();
        assert_eq!(map.to_string(), "-1, 0, 1");
        assert_eq!(map.index_of(-0.0), Some(1));
        assert!(!map.is_identity());
        assert!(ClassMap::from_targets(&[2.0, 0.0, 1.0]).unwrap().is_identity());
        assert!(ClassMap::from_targets(&[]).unwrap().is_empty());
    }

    #[test]
    fn non_integers_and_huge_values_are_not_labels() {
        for bad in [2.5, f64::NAN, f64::INFINITY, -f64::INFINITY, 1e17] {
            let reason = ClassMap::scan_targets(&[0.0, bad]).unwrap_err();
            assert!(matches!(reason, NotClassLabels::NotInteger { index: 1, .. }), "{bad}: {reason:?}");
        }
        assert!(ClassMap::from_targets(&[9_007_199_254_740_992.0, -9_007_199_254_740_992.0]).is_ok());
    }

    #[test]
    fn the_class_count_is_bounded_and_memory_with_it() {
        let fine: Vec<f64> = (0..MAX_CLASSES).map(|i| (i * 1_000_000) as f64).collect();
        assert_eq!(ClassMap::from_targets(&fine).unwrap().len(), MAX_CLASSES);
        let mut too_many = fine.clone();
        too_many.push(fine[7]); // a repeat is no new class
        too_many.push(3.0);
        let err = ClassMap::from_targets(&too_many).unwrap_err();
        assert!(matches!(err, DataError::TooManyClasses { max: MAX_CLASSES, index: 1001, .. }), "{err}");
        let names: Vec<String> = (0..=MAX_CLASSES).map(|i| format!("c{i}")).collect();
        assert!(matches!(ClassMap::from_names(&names).unwrap_err(), DataError::TooManyClasses { index: 1000, .. }));
    }

    #[test]
    fn display_elides_long_lists() {
        let map = ClassMap::from_targets(&(0..1000).map(f64::from).collect::<Vec<_>>()).unwrap();
        assert_eq!(map.to_string(), "0, 1, 2, 3, 4, 5, 6, 7, …, 999");
        let map = ClassMap::from_targets(&(0..10).map(f64::from).collect::<Vec<_>>()).unwrap();
        assert_eq!(map.to_string(), "0, 1, 2, 3, 4, 5, 6, 7, 8, 9");
        let map = ClassMap::from_targets(&(0..11).map(f64::from).collect::<Vec<_>>()).unwrap();
        assert_eq!(map.to_string(), "0, 1, 2, 3, 4, 5, 6, 7, …, 10");
    }

    #[test]
    fn names_and_numbers_do_not_mix() {
        let names = ClassMap::from_names(["b", "a"]).unwrap();
        assert!(names.has_names());
        assert_eq!(names.index_of(0.0), None);
        assert_eq!(names.label(0), Some(ClassLabel::Name("a")));
        let numbers = ClassMap::from_targets(&[5.0]).unwrap();
        assert_eq!(numbers.index_of_name("5"), None);
        assert_eq!(numbers.label(1), None);
        let err = numbers.encode(&[5.0, 6.0]).unwrap_err();
        assert_eq!(err.to_string(), "example 1 (0-based) has the label 6, which is not one of the classes (5)");
        assert!(matches!(numbers.encode(&[0.5]).unwrap_err(), DataError::NotClassLabel { index: 0, .. }));
    }
}
