//! The datasets bundled in the repository's `data/` folder, by name.
//!
//! Why by name: examples and tests should say `load_bundled("iris")` instead of
//! spelling out file paths, and the folder is found from this crate's source
//! location at compile time, so it works from any working directory inside a
//! checkout. (A copy of the crate outside the repository has no `data/`; loading
//! then fails with an I/O error naming the missing path.)

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::{load_csv, load_mnist, train_test_split, DataError, Dataset};

/// The repository's `data/` folder (found from this crate's manifest
/// directory, `crates/nn/../../data`).
///
/// ```
/// assert!(wengert_nn::data::data_dir().join("README.md").is_file());
/// ```
pub fn data_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("..").join("data");
    // A clean path reads better in error messages; keep the raw one if the
    // folder is missing, so the error still says where it was looked for.
    dir.canonicalize().unwrap_or(dir)
}

/// A bundled dataset, by name. See `data/README.md` for sources and licenses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BundledName {
    /// MNIST handwritten digits: 60000 training and 10000 test images of 28×28
    /// pixels in `[0, 1]`, labels 0–9.
    Mnist,
    /// UCI optical digits: 1797 images of 8×8 pixels (integers 0–16), labels 0–9.
    Digits,
    /// Breast Cancer Wisconsin (Diagnostic): 569 × 30, label 0 malignant / 1 benign.
    BreastCancer,
    /// Fisher's iris: 150 × 4, three classes of 50.
    Iris,
    /// UCI wine: 178 × 13, three cultivars (59/71/48).
    Wine,
    /// Diabetes progression: 442 × 10 raw features, regression target 25–346.
    Diabetes,
    /// Red wine quality: 1599 × 11, quality scores 3–8.
    WineQuality,
}

impl BundledName {
    /// Every bundled dataset, in the order they are listed in error messages.
    pub const ALL: [BundledName; 7] = [
        BundledName::Mnist,
        BundledName::Digits,
        BundledName::BreastCancer,
        BundledName::Iris,
        BundledName::Wine,
        BundledName::Diabetes,
        BundledName::WineQuality,
    ];

    /// The name [`load_bundled`] accepts (`"breast-cancer"`, …).
    pub fn name(self) -> &'static str {
        match self {
            BundledName::Mnist => "mnist",
            BundledName::Digits => "digits",
            BundledName::BreastCancer => "breast-cancer",
            BundledName::Iris => "iris",
            BundledName::Wine => "wine",
            BundledName::Diabetes => "diabetes",
            BundledName::WineQuality => "wine-quality",
        }
    }

    /// Where the data lives: the CSV file, or for MNIST the folder of its four
    /// IDX files.
    pub fn path(self) -> PathBuf {
        let dir = data_dir();
        match self {
            BundledName::Mnist => dir.join("mnist"),
            BundledName::Digits => dir.join("digits_8x8.csv"),
            BundledName::BreastCancer => dir.join("breast_cancer.csv"),
            BundledName::Iris => dir.join("iris.csv"),
            BundledName::Wine => dir.join("wine.csv"),
            BundledName::Diabetes => dir.join("diabetes.csv"),
            BundledName::WineQuality => dir.join("winequality_red.csv"),
        }
    }

    /// Loads the dataset: MNIST as its published train/test pair, the others as
    /// one table.
    pub fn load(self) -> Result<Bundled, DataError> {
        match self {
            BundledName::Mnist => {
                let (train, test) = load_mnist(self.path())?;
                Ok(Bundled::TrainTest { train, test })
            }
            _ => Ok(Bundled::Single(load_csv(self.path())?)),
        }
    }
}

impl FromStr for BundledName {
    type Err = DataError;

    /// Parses a name as listed in [`BundledName::name`]; case and `_` versus
    /// `-` do not matter (`"Breast_Cancer"` works).
    fn from_str(s: &str) -> Result<Self, DataError> {
        let wanted = s.trim().to_ascii_lowercase().replace('_', "-");
        BundledName::ALL
            .into_iter()
            .find(|n| n.name() == wanted)
            .ok_or_else(|| DataError::UnknownDataset { name: s.to_string() })
    }
}

impl fmt::Display for BundledName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A loaded bundled dataset: one table, or — for MNIST — the published
/// train/test split, which should be kept as it is.
#[derive(Clone, Debug)]
pub enum Bundled {
    /// A single table; split it yourself (see [`Bundled::into_train_test`]).
    Single(Dataset),
    /// A dataset that comes with its own train and test sets.
    TrainTest {
        /// The training set.
        train: Dataset,
        /// The test set.
        test: Dataset,
    },
}

impl Bundled {
    /// The single table, or `None` for a train/test pair.
    pub fn into_single(self) -> Option<Dataset> {
        match self {
            Bundled::Single(ds) => Some(ds),
            Bundled::TrainTest { .. } => None,
        }
    }

    /// `(train, test)`: the published split as it is, or a single table split
    /// with [`train_test_split`]`(table, test_fraction, seed)` (arguments
    /// ignored for a published split).
    pub fn into_train_test(self, test_fraction: f64, seed: u64) -> Result<(Dataset, Dataset), DataError> {
        match self {
            Bundled::Single(ds) => train_test_split(&ds, test_fraction, seed),
            Bundled::TrainTest { train, test } => Ok((train, test)),
        }
    }

    /// Total number of examples (train plus test for a pair).
    pub fn len(&self) -> usize {
        match self {
            Bundled::Single(ds) => ds.len(),
            Bundled::TrainTest { train, test } => train.len() + test.len(),
        }
    }

    /// Whether there are no examples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Loads a bundled dataset by name: `mnist`, `digits`, `breast-cancer`,
/// `iris`, `wine`, `diabetes` or `wine-quality` (see [`BundledName`]). An
/// unknown name fails with [`DataError::UnknownDataset`], whose message lists
/// the valid ones.
///
/// ```
/// use wengert_nn::data::load_bundled;
/// let cancer = load_bundled("breast-cancer")?.into_single().unwrap();
/// assert_eq!(cancer.features().shape(), (569, 30));
/// assert_eq!(cancer.class_counts()?, vec![212, 357]);
///
/// let err = load_bundled("cifar").unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "unknown bundled dataset `cifar`; valid names are: \
///      mnist, digits, breast-cancer, iris, wine, diabetes, wine-quality"
/// );
/// # Ok::<(), wengert_nn::data::DataError>(())
/// ```
pub fn load_bundled(name: &str) -> Result<Bundled, DataError> {
    name.parse::<BundledName>()?.load()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_every_file_exists() {
        for n in BundledName::ALL {
            assert_eq!(n.name().parse::<BundledName>().unwrap(), n);
            assert_eq!(n.to_string(), n.name());
            assert!(n.path().exists(), "{} is missing", n.path().display());
        }
        assert_eq!("Wine_Quality".parse::<BundledName>().unwrap(), BundledName::WineQuality);
        assert!(matches!("".parse::<BundledName>(), Err(DataError::UnknownDataset { .. })));
    }
}
