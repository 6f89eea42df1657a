//! Loading, preprocessing and batching the datasets a network trains on.
//!
//! Why a data layer of its own: every example and test of `wengert-nn` trains on
//! real data, and the repository ships that data in `data/` (see its README for
//! sources and licenses) so that nothing is downloaded at run time. This module
//! turns those files into [`Dataset`]s and prepares them for training:
//!
//! - [`load_csv`] / [`parse_csv`]: a header row, numeric features, the label or
//!   target in the last column — numbers, or class names (the format of every
//!   bundled CSV, plus RFC 4180 quoting).
//! - [`read_idx_images`], [`read_idx_labels`], [`load_idx_dataset`] and
//!   [`load_mnist`]: the IDX format of MNIST, gzip-compressed or not.
//! - [`ClassMap`]: the classes of a label column — its distinct values (or
//!   names), numbered `0..K`, at most [`MAX_CLASSES`] — kept with the
//!   [`Dataset`] so that every part of a table numbers them alike.
//! - [`Standardizer`]: per-column mean/std scaling fit on the training set only,
//!   so that nothing about the test set leaks into training; its statistics
//!   cannot overflow, whatever the magnitude of the values.
//! - [`shuffle_indices`], [`train_test_split`] and
//!   [`train_test_split_stratified`]: seeded, so that every run is reproducible.
//! - [`Batches`]: seeded mini-batches per epoch, as `Matrix<f32>` or
//!   `Matrix<f64>`, optionally refilling one reused buffer.
//! - [`data_dir`], [`load_bundled`] and [`BundledName`]: the bundled datasets by
//!   name.
//! - [`DataSource`] and [`prepare`]: a bundled name, CSV file or IDX folder to
//!   scaled train and test sets in one call, keeping the [`Scaling`] for new
//!   inputs.
//!
//! Bad input never panics: every loader returns `Result<_, DataError>`, and the
//! error says which file and where (line and column for CSV, byte offset for IDX).
//! No loader allocates by a size the input declares before checking it: an
//! IDX file is decompressed only as far as its header says, and nothing is
//! sized by a label's value. And no [`Dataset`] holds a NaN or an infinity:
//! the constructors reject them, naming the row and column.
//!
//! ```
//! use wengert_nn::data::{load_bundled, train_test_split_stratified, Batches, Standardizer};
//!
//! let iris = load_bundled("iris")?.into_single().expect("iris is one table");
//! let (train, test) = train_test_split_stratified(&iris, 0.2, 42)?;
//! let scaler = Standardizer::fit(train.features())?;
//! let (train, test) = (scaler.transform_dataset(&train)?, scaler.transform_dataset(&test)?);
//! assert_eq!((train.len(), test.len()), (120, 30));
//!
//! let mut batches = Batches::new(&train, 32, 7)?;
//! let mut seen = 0;
//! for batch in batches.epoch::<f32>() {
//!     assert_eq!(batch.features.cols(), 4);
//!     seen += batch.len();
//! }
//! assert_eq!(seen, 120);
//! # Ok::<(), wengert_nn::data::DataError>(())
//! ```

mod batch;
mod bundled;
mod csv;
mod dataset;
mod error;
mod idx;
mod labels;
mod prepare;
mod preprocess;

pub use batch::{Batch, Batches, Epoch};
pub use bundled::{data_dir, load_bundled, Bundled, BundledName};
pub use csv::{load_csv, parse_csv};
pub use dataset::Dataset;
pub use error::{CsvErrorKind, DataError, IdxErrorKind};
pub use idx::{
    load_idx_dataset, load_mnist, parse_idx_images, parse_idx_labels, read_idx_images, read_idx_labels, IdxImages,
    MNIST_TEST_IMAGES, MNIST_TEST_LABELS, MNIST_TRAIN_IMAGES, MNIST_TRAIN_LABELS,
};
pub use labels::{ClassLabel, ClassMap, MAX_CLASSES};
pub use prepare::{
    prepare, share_classes, DataSource, Prepared, Scaling, TargetKind, MNIST_PIXEL_MEAN, MNIST_PIXEL_STD,
};
pub use preprocess::{shuffle_indices, train_test_split, train_test_split_stratified, Standardizer};
