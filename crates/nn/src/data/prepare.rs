//! From a dataset's name or path to scaled train and test sets: the
//! preparation every training job repeats.
//!
//! Why one function for it: a training program, an example and a later
//! prediction all need the same steps in the same order — load, split
//! (stratified when the targets are class labels), fit the scaling on the
//! training part only, apply it to both parts — and a prediction needs the
//! *same* scaling again, so [`prepare`] returns it ([`Scaling`]) instead of
//! throwing it away.
//!
//! ```
//! use wengert_nn::data::{prepare, DataSource, TargetKind};
//!
//! let source = DataSource::from_name_or_path("iris").expect("a bundled name");
//! let data = source.load()?;
//! assert_eq!(data.target_kind(), TargetKind::ClassLabels);
//! let prepared = prepare(data, TargetKind::ClassLabels, 0.2, 42)?;
//! assert_eq!((prepared.train.len(), prepared.test.len(), prepared.classes), (120, 30, Some(3)));
//! // The training part is standardized: every column has mean ≈ 0.
//! let mean0 = (0..120).map(|i| prepared.train.features()[(i, 0)]).sum::<f64>() / 120.0;
//! assert!(mean0.abs() < 1e-12);
//! # Ok::<(), wengert_nn::data::DataError>(())
//! ```

use std::path::PathBuf;

use wengert_ops::Matrix;

use super::labels::too_few_per_class;
use super::{
    load_csv, load_mnist, train_test_split, train_test_split_stratified, Bundled, BundledName, ClassMap, DataError,
    Dataset, Standardizer,
};

/// Where a dataset comes from: a bundled name, a CSV file, or a folder of
/// MNIST-format IDX files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DataSource {
    /// A dataset bundled in `data/` (see [`BundledName`]).
    Bundled(BundledName),
    /// A CSV file: a header row, numeric columns, the target last
    /// ([`load_csv`]).
    Csv(PathBuf),
    /// A folder holding the four MNIST-format IDX files ([`load_mnist`]).
    IdxDir(PathBuf),
}

impl DataSource {
    /// A bundled name if `s` is one ([`BundledName`]'s parsing: case and `_`
    /// versus `-` do not matter), else an existing folder (IDX files) or file
    /// (CSV). `None` if it is neither: nothing on disk is read beyond checking
    /// that the path exists.
    ///
    /// ```
    /// use wengert_nn::data::{BundledName, DataSource};
    /// assert_eq!(DataSource::from_name_or_path("Breast_Cancer"), Some(DataSource::Bundled(BundledName::BreastCancer)));
    /// assert_eq!(DataSource::from_name_or_path("no/such/file.csv"), None);
    /// ```
    pub fn from_name_or_path(s: &str) -> Option<Self> {
        if let Ok(name) = s.parse::<BundledName>() {
            return Some(DataSource::Bundled(name));
        }
        let path = PathBuf::from(s);
        if path.is_dir() {
            Some(DataSource::IdxDir(path))
        } else if path.is_file() {
            Some(DataSource::Csv(path))
        } else {
            None
        }
    }

    /// A short name, for output file names and logs: the bundled name, or the
    /// file or folder name without its extension (`data` if there is none).
    ///
    /// ```
    /// use wengert_nn::data::DataSource;
    /// assert_eq!(DataSource::Csv("tables/prices.csv".into()).name(), "prices");
    /// ```
    pub fn name(&self) -> String {
        match self {
            DataSource::Bundled(n) => n.name().to_string(),
            DataSource::Csv(p) | DataSource::IdxDir(p) => {
                p.file_stem().map_or_else(|| "data".to_string(), |s| s.to_string_lossy().into_owned())
            }
        }
    }

    /// Whether the data comes as a published train/test pair (MNIST and IDX
    /// folders), which [`prepare`] keeps as it is instead of splitting.
    pub fn has_published_split(&self) -> bool {
        matches!(self, DataSource::Bundled(BundledName::Mnist) | DataSource::IdxDir(_))
    }

    /// Loads the data: one table, or the published train/test pair.
    pub fn load(&self) -> Result<Bundled, DataError> {
        match self {
            DataSource::Bundled(name) => name.load(),
            DataSource::Csv(path) => Ok(Bundled::Single(load_csv(path)?)),
            DataSource::IdxDir(dir) => {
                let (train, test) = load_mnist(dir)?;
                Ok(Bundled::TrainTest { train, test })
            }
        }
    }
}

/// What a dataset's targets are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetKind {
    /// Non-negative integers: class labels ([`Dataset::class_labels`]).
    ClassLabels,
    /// Anything else: a real value to regress on.
    RealValued,
}

impl TargetKind {
    /// [`ClassLabels`](Self::ClassLabels) if the targets are class labels —
    /// names, or whole numbers with at most
    /// [`MAX_CLASSES`](super::MAX_CLASSES) distinct values and, when there
    /// are more than two, at least two examples per class on average — else
    /// [`RealValued`](Self::RealValued). A column of integer prices, nearly
    /// every one different, is a quantity. (Integer targets can still be
    /// meant as real values even with few distinct ones — diabetes' are; the
    /// caller decides.)
    ///
    /// ```
    /// use wengert_nn::data::{Dataset, TargetKind};
    /// use wengert_ops::Matrix;
    /// let table = |y: Vec<f64>| Dataset::new(Matrix::zeros(y.len(), 1), y, vec!["x".into()], "y").unwrap();
    /// assert_eq!(TargetKind::of(&table(vec![3.0, 7.0, 3.0, 7.0])), TargetKind::ClassLabels);
    /// assert_eq!(TargetKind::of(&table(vec![1.5, 2.0])), TargetKind::RealValued);
    /// assert_eq!(TargetKind::of(&table(vec![120.0, 95.0, 310.0, 95.0])), TargetKind::RealValued);
    /// ```
    pub fn of(dataset: &Dataset) -> Self {
        match dataset.class_map() {
            Some(map) if map.has_names() || !too_few_per_class(map.len(), dataset.len()) => TargetKind::ClassLabels,
            _ => TargetKind::RealValued,
        }
    }
}

impl Bundled {
    /// The [`TargetKind`] of the table, or of the training set of a pair.
    pub fn target_kind(&self) -> TargetKind {
        match self {
            Bundled::Single(table) => TargetKind::of(table),
            Bundled::TrainTest { train, .. } => TargetKind::of(train),
        }
    }
}

/// MNIST's pixel mean over its training set (pixels in `[0, 1]`).
pub const MNIST_PIXEL_MEAN: f64 = 0.1307;
/// MNIST's pixel standard deviation over its training set (pixels in `[0, 1]`).
pub const MNIST_PIXEL_STD: f64 = 0.3081;

/// How [`prepare`] scaled the features, to scale new inputs the same way.
#[derive(Clone, Debug, PartialEq)]
pub enum Scaling {
    /// `(x − mean) / std` with one mean and std for every feature: MNIST's
    /// pixel statistics, because per-pixel standardization would blow up the
    /// border pixels that are almost always 0.
    Global {
        /// Subtracted from every feature.
        mean: f64,
        /// What every feature is then divided by.
        std: f64,
    },
    /// Per-column standardization fit on the training part.
    PerColumn(Standardizer),
}

impl Scaling {
    /// Scales `features` (one example per row) as the training set was.
    /// Fails if a [`PerColumn`](Self::PerColumn) scaling was fit on a
    /// different number of columns.
    /// Fails, too, on a result that is not finite (a NaN or infinite input,
    /// or one far outside the training range), naming its row and column.
    pub fn apply(&self, features: &Matrix<f64>) -> Result<Matrix<f64>, DataError> {
        match self {
            Scaling::Global { mean, std } => {
                let out = features.map(|v| (v - mean) / std);
                match out.iter().position(|v| !v.is_finite()) {
                    None => Ok(out),
                    Some(at) => {
                        let d = out.cols().max(1);
                        Err(DataError::NotFinite {
                            row: at / d,
                            column: Some(at % d),
                            column_name: None,
                            value: out.as_slice()[at],
                            scaled: features.as_slice()[at].is_finite(),
                        })
                    }
                }
            }
            Scaling::PerColumn(s) => s.transform(features),
        }
    }

    /// In place, for a dataset that is not needed unscaled (no second copy of
    /// a 60000 × 784 matrix).
    fn apply_owned(&self, dataset: Dataset) -> Result<Dataset, DataError> {
        match self {
            Scaling::Global { mean, std } => dataset.map_features(|v| (v - mean) / std),
            Scaling::PerColumn(s) => s.transform_dataset(&dataset),
        }
    }
}

/// Training and test sets ready for a model, and how they were made.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// The training set, scaled.
    pub train: Dataset,
    /// The test set, scaled with the training set's statistics.
    pub test: Dataset,
    /// Number of classes (at least 2) for class labels, `None` for a
    /// real-valued target.
    pub classes: Option<usize>,
    /// The scaling applied to both sets.
    pub scaling: Scaling,
}

impl Prepared {
    /// The classes, for class labels: which label each class index stands
    /// for (shared by `train` and `test`). `None` for a real-valued target.
    pub fn class_map(&self) -> Option<&ClassMap> {
        self.classes.and_then(|_| self.train.class_map())
    }
}

/// Prepares loaded data for training a model of `target` kind:
///
/// * a published train/test pair (MNIST) is kept as it is and scaled by
///   MNIST's global pixel mean and std ([`Scaling::Global`]); for class
///   labels both parts get the classes of the two together
///   ([`share_classes`]);
/// * a single table is split with `test_fraction` and `seed` — stratified
///   ([`train_test_split_stratified`]) for class labels, plain
///   ([`train_test_split`]) for a real-valued target — and both parts are
///   standardized with statistics of the training part only
///   ([`Scaling::PerColumn`]). Both keep the table's classes.
///
/// `target` is what the model fits: [`TargetKind::RealValued`] regresses on
/// the targets as numbers even when they are integers (and refuses class
/// names). Fails if the targets
/// are not class labels but `target` says they are (not whole numbers, or
/// more than [`MAX_CLASSES`](super::MAX_CLASSES) of them), if the split
/// leaves a part empty, or if a column cannot be standardized.
pub fn prepare(data: Bundled, target: TargetKind, test_fraction: f64, seed: u64) -> Result<Prepared, DataError> {
    if target == TargetKind::RealValued {
        let table = match &data {
            Bundled::Single(table) | Bundled::TrainTest { train: table, .. } => table,
        };
        if let Some(map) = table.class_map().filter(|m| m.has_names()) {
            return Err(DataError::invalid(format!(
                "the target `{}` holds class names ({map}), which a real-valued model cannot fit; use a classifier",
                table.target_name()
            )));
        }
    }
    let (train, test, scaling) = match data {
        Bundled::TrainTest { train, test } => {
            let (train, test) = match target {
                TargetKind::ClassLabels => share_classes(&train, &test)?,
                TargetKind::RealValued => (train, test),
            };
            let scaling = Scaling::Global { mean: MNIST_PIXEL_MEAN, std: MNIST_PIXEL_STD };
            (scaling.apply_owned(train)?, scaling.apply_owned(test)?, scaling)
        }
        Bundled::Single(table) => {
            let (train, test) = match target {
                TargetKind::ClassLabels => train_test_split_stratified(&table, test_fraction, seed)?,
                TargetKind::RealValued => train_test_split(&table, test_fraction, seed)?,
            };
            let standardizer = Standardizer::fit(train.features()).map_err(|e| e.name_column(train.feature_names()))?;
            let scaling = Scaling::PerColumn(standardizer);
            (scaling.apply_owned(train)?, scaling.apply_owned(test)?, scaling)
        }
    };
    let classes = match target {
        TargetKind::ClassLabels => Some(train.n_classes()?.max(2)),
        TargetKind::RealValued => None,
    };
    Ok(Prepared { train, test, classes, scaling })
}

/// A training and a test set numbering their classes alike: both get the
/// classes of their labels together. (Loaded separately, a test set that
/// lacks a class would number the others differently.)
///
/// ```
/// use wengert_nn::data::{share_classes, Dataset};
/// use wengert_ops::Matrix;
///
/// let train = Dataset::new(Matrix::zeros(2, 1), vec![0.0, 5.0], vec!["x".into()], "y")?;
/// let test = Dataset::new(Matrix::zeros(2, 1), vec![5.0, 9.0], vec!["x".into()], "y")?;
/// assert_eq!(test.class_labels()?, vec![0, 1]);
/// let (train, test) = share_classes(&train, &test)?;
/// assert_eq!((train.class_labels()?, test.class_labels()?), (vec![0, 1], vec![1, 2]));
/// # Ok::<(), wengert_nn::data::DataError>(())
/// ```
pub fn share_classes(train: &Dataset, test: &Dataset) -> Result<(Dataset, Dataset), DataError> {
    let (a, b) = (train.class_map(), test.class_map());
    let map = match (a, b) {
        (Some(a), Some(b)) if a == b => return Ok((train.clone(), test.clone())),
        // Names (numbers among names fail in `with_class_map` below, saying so).
        (Some(a), Some(b)) if a.has_names() || b.has_names() => {
            ClassMap::from_names(a.labels().chain(b.labels()).map(|l| l.to_string()))?
        }
        _ => {
            let both: Vec<f64> = train.targets().iter().chain(test.targets()).copied().collect();
            ClassMap::from_targets(&both)?
        }
    };
    Ok((train.with_class_map(&map)?, test.with_class_map(&map)?))
}
