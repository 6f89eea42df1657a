//! [`DataError`]: what went wrong while loading or preparing data, and where.
//!
//! Why so much detail: a data file that fails to load is usually fixed by hand,
//! so the message must point at the spot — the file, and the line and column of
//! a CSV or the byte offset of an IDX file — and say what was expected there.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// The error type of every loader and preprocessing step in [`crate::data`].
///
/// Its [`Display`](fmt::Display) output is meant to be shown to a person as is:
///
/// ```
/// use wengert_nn::data::parse_csv;
/// let err = parse_csv("a,b,label\n1,2,0\n3,x,1\n", "toy.csv").unwrap_err();
/// assert_eq!(err.to_string(), "toy.csv, line 3, column 2 (`b`): `x` is not a number");
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum DataError {
    /// Reading a file failed (missing file, permissions, …).
    Io {
        /// The file that could not be read.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A gzip-compressed file could not be decompressed (corrupt or cut short).
    Decompress {
        /// The compressed file.
        path: PathBuf,
        /// The error the decoder reported.
        source: io::Error,
    },
    /// A CSV file is malformed at a given spot.
    Csv {
        /// The file (or the name given to [`parse_csv`](crate::data::parse_csv)).
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// 1-based column number, counted in fields (the first field is column 1).
        column: usize,
        /// The header name of that column, when the header has one there.
        column_name: Option<String>,
        /// What is wrong.
        kind: CsvErrorKind,
    },
    /// An IDX file is malformed.
    Idx {
        /// The file.
        path: PathBuf,
        /// Byte offset of the problem in the IDX data (after gzip decompression
        /// when `compressed` is true).
        offset: u64,
        /// Whether the file was gzip-compressed.
        compressed: bool,
        /// What is wrong.
        kind: IdxErrorKind,
    },
    /// An image file and its label file hold different numbers of examples.
    CountMismatch {
        /// The image file.
        images: PathBuf,
        /// The label file.
        labels: PathBuf,
        /// Number of images in `images`.
        n_images: usize,
        /// Number of labels in `labels`.
        n_labels: usize,
    },
    /// A target was asked for as a class label but is not a whole number (or
    /// is beyond ±2⁵³, where not every integer is an `f64`).
    NotClassLabel {
        /// 0-based index of the example.
        index: usize,
        /// Its target value.
        value: f64,
    },
    /// The targets have more distinct values than a classifier takes
    /// ([`MAX_CLASSES`](crate::data::MAX_CLASSES)): most likely a quantity to
    /// regress on.
    TooManyClasses {
        /// The limit.
        max: usize,
        /// 0-based index of the first example whose label is one class too many.
        index: usize,
        /// That label.
        label: String,
    },
    /// A label is not one of the classes of a given
    /// [`ClassMap`](crate::data::ClassMap) (e.g. a test file with a class the
    /// model was not trained on).
    UnknownClass {
        /// 0-based index of the example.
        index: usize,
        /// Its label.
        label: String,
        /// The classes, as [`ClassMap`](crate::data::ClassMap)'s `Display` lists them.
        classes: String,
    },
    /// A feature or target is NaN or infinite, or scaling made it so.
    NotFinite {
        /// 0-based example (row).
        row: usize,
        /// 0-based feature column, `None` for the target.
        column: Option<usize>,
        /// The column's name, when known.
        column_name: Option<String>,
        /// The value.
        value: f64,
        /// Whether the value was finite and became non-finite when scaled
        /// (the input is far outside the range the scaling was fit on).
        scaled: bool,
    },
    /// A feature column's mean or standard deviation is not finite, so it
    /// cannot be standardized.
    NonFiniteStatistics {
        /// 0-based column.
        column: usize,
        /// The column's name, when known.
        column_name: Option<String>,
        /// Its mean.
        mean: f64,
        /// Its standard deviation.
        std: f64,
    },
    /// [`load_bundled`](crate::data::load_bundled) was given a name it does not know.
    UnknownDataset {
        /// The name given.
        name: String,
    },
    /// An argument is out of range or does not fit the data (a test fraction
    /// outside `(0, 1)`, a batch size of 0, a feature count that differs from the
    /// one a [`Standardizer`](crate::data::Standardizer) was fit on, …).
    InvalidArgument {
        /// What is wrong, in words.
        message: String,
    },
}

/// What is wrong in a CSV file (see [`DataError::Csv`] for where).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CsvErrorKind {
    /// The file has no non-blank line at all.
    EmptyFile,
    /// The first line is all numbers: the loader needs a header of column names.
    NoHeader,
    /// The header is there but no data row follows it.
    NoData,
    /// The header has fewer than two columns (at least one feature plus the
    /// target in the last column are needed).
    TooFewColumns {
        /// Columns found in the header.
        found: usize,
    },
    /// A field is empty (for example `1,,3`), in the header or in a data row.
    MissingField,
    /// A field does not parse as a number.
    NotANumber {
        /// The offending text.
        text: String,
    },
    /// A field parses as a number but is NaN or infinite.
    NotFinite {
        /// The offending text.
        text: String,
    },
    /// A row has a different number of fields than the header.
    RaggedRow {
        /// Fields in the header.
        expected: usize,
        /// Fields in this row.
        found: usize,
    },
    /// A quoted field is opened (`"` as its first character) and never closed:
    /// the rest of the file would be one field. Located at the opening quote.
    UnclosedQuote,
    /// The target column started with numbers (line `first_line`), and this
    /// value is not one. A target column holds numbers throughout, or class
    /// names throughout (when its first value is not a number).
    NameInNumericTarget {
        /// The offending text.
        text: String,
        /// The line of the column's first value.
        first_line: usize,
    },
    /// The line is not valid UTF-8.
    InvalidUtf8,
}

/// What is wrong in an IDX file (see [`DataError::Idx`] for where).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum IdxErrorKind {
    /// The magic number is not the one expected for this kind of file.
    BadMagic {
        /// The magic number wanted (`0x00000803` images, `0x00000801` labels).
        expected: u32,
        /// The first four bytes of the file, big-endian.
        found: u32,
    },
    /// The file ends inside the header.
    TruncatedHeader {
        /// Bytes the header needs.
        needed: u64,
        /// Bytes in the file.
        found: u64,
    },
    /// The data goes on past the size the header declares. Raised while
    /// streaming compressed data, which stops there instead of decompressing
    /// the rest (so its length is not known).
    TrailingData {
        /// The dimension sizes from the header.
        dims: Vec<u32>,
        /// Total length the header implies (header + data).
        expected_len: u64,
    },
    /// The sizes in the header do not match the number of data bytes.
    SizeMismatch {
        /// The dimension sizes from the header.
        dims: Vec<u32>,
        /// Total file length the header implies (header + data).
        expected_len: u64,
        /// Actual length.
        actual_len: u64,
    },
}

impl DataError {
    /// Shorthand for [`DataError::InvalidArgument`].
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        DataError::InvalidArgument { message: message.into() }
    }

    /// Fills in the column name of a [`NotFinite`](Self::NotFinite) or
    /// [`NonFiniteStatistics`](Self::NonFiniteStatistics) error raised on a
    /// bare matrix, from the dataset's `names`.
    pub(crate) fn name_column(mut self, names: &[String]) -> Self {
        if let DataError::NotFinite { column: Some(c), column_name, .. }
        | DataError::NonFiniteStatistics { column: c, column_name, .. } = &mut self
        {
            if column_name.is_none() {
                *column_name = names.get(*c).cloned();
            }
        }
        self
    }
}

/// Describes an IDX magic number in words, for error messages.
fn describe_magic(magic: u32) -> String {
    let [z0, z1, ty, dims] = magic.to_be_bytes();
    if z0 != 0 || z1 != 0 {
        return "not an IDX file".to_string();
    }
    let ty = match ty {
        0x08 => "unsigned byte",
        0x09 => "signed byte",
        0x0B => "i16",
        0x0C => "i32",
        0x0D => "f32",
        0x0E => "f64",
        _ => return "IDX with an unknown element type".to_string(),
    };
    let what = match (ty, dims) {
        ("unsigned byte", 3) => ": images",
        ("unsigned byte", 1) => ": labels",
        _ => "",
    };
    format!("IDX {ty}, {dims} dimension{}{what}", if dims == 1 { "" } else { "s" })
}

/// `60000×28×28`.
fn join_dims(dims: &[u32]) -> String {
    dims.iter().map(u32::to_string).collect::<Vec<_>>().join("×")
}

impl fmt::Display for CsvErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CsvErrorKind::EmptyFile => write!(f, "the file is empty (expected a header row of column names)"),
            CsvErrorKind::NoHeader => {
                write!(f, "no header: the first line is all numbers, but a header row of column names is expected")
            }
            CsvErrorKind::NoData => write!(f, "the header is not followed by any data row"),
            CsvErrorKind::TooFewColumns { found } => write!(
                f,
                "the header has {found} column{}; at least 2 are needed (features, then the target last)",
                if *found == 1 { "" } else { "s" }
            ),
            CsvErrorKind::MissingField => write!(f, "missing field (the value is empty)"),
            CsvErrorKind::NotANumber { text } => write!(f, "`{text}` is not a number"),
            CsvErrorKind::NotFinite { text } => write!(f, "`{text}` is not a finite number"),
            CsvErrorKind::RaggedRow { expected, found } => {
                write!(f, "ragged row: it has {found} fields but the header has {expected}")
            }
            CsvErrorKind::UnclosedQuote => {
                write!(f, "a quoted field is never closed (no `\"` ends it before the end of the file)")
            }
            CsvErrorKind::NameInNumericTarget { text, first_line } => write!(
                f,
                "`{text}` is not a number, but the target column starts with numbers (line {first_line}); a \
                 target column holds numbers throughout, or class names throughout"
            ),
            CsvErrorKind::InvalidUtf8 => write!(f, "the line is not valid UTF-8"),
        }
    }
}

impl fmt::Display for IdxErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdxErrorKind::BadMagic { expected, found } => write!(
                f,
                "bad magic number: expected 0x{expected:08x} ({}), found 0x{found:08x} ({})",
                describe_magic(*expected),
                describe_magic(*found)
            ),
            IdxErrorKind::TruncatedHeader { needed, found } => {
                write!(f, "file truncated inside the header: the header needs {needed} bytes, the file has {found}")
            }
            IdxErrorKind::SizeMismatch { dims, expected_len, actual_len } => {
                let how = if actual_len < expected_len { "file truncated" } else { "trailing bytes after the data" };
                write!(
                    f,
                    "{how}: the header sizes {} imply {expected_len} bytes in total, but the file has {actual_len}",
                    join_dims(dims)
                )
            }
            IdxErrorKind::TrailingData { dims, expected_len } => write!(
                f,
                "trailing bytes after the data: the header sizes {} imply {expected_len} bytes in total, but the \
                 data goes on (not decompressed further)",
                join_dims(dims)
            ),
        }
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataError::Io { path, source } => write!(f, "cannot read {}: {source}", path.display()),
            DataError::Decompress { path, source } => {
                write!(f, "{}: gzip decompression failed: {source}", path.display())
            }
            DataError::Csv { path, line, column, column_name, kind } => {
                write!(f, "{}, line {line}, column {column}", path.display())?;
                if let Some(name) = column_name {
                    write!(f, " (`{name}`)")?;
                }
                write!(f, ": {kind}")
            }
            DataError::Idx { path, offset, compressed, kind } => {
                let after = if *compressed { " of the decompressed data" } else { "" };
                write!(f, "{}, byte offset {offset}{after}: {kind}", path.display())
            }
            DataError::CountMismatch { images, labels, n_images, n_labels } => write!(
                f,
                "image/label count mismatch: {} holds {n_images} images but {} holds {n_labels} labels",
                images.display(),
                labels.display()
            ),
            DataError::NotClassLabel { index, value } => write!(
                f,
                "target {value} of example {index} (0-based) is not a class label: \
                 class labels must be whole numbers (at most 2^53 in magnitude) or names"
            ),
            DataError::TooManyClasses { max, index, label } => write!(
                f,
                "more than {max} distinct target values (label {label} of example {index}, 0-based, is one too \
                 many): too many to be class labels; a target like this is usually a quantity to fit by regression"
            ),
            DataError::UnknownClass { index, label, classes } => write!(
                f,
                "example {index} (0-based) has the label {label}, which is not one of the classes ({classes})"
            ),
            DataError::NotFinite { row, column, column_name, value, scaled } => {
                write!(f, "example {row} (0-based)")?;
                match column {
                    Some(c) => write!(f, ", column {c} (0-based)")?,
                    None => f.write_str(", target")?,
                }
                if let Some(name) = column_name {
                    write!(f, " (`{name}`)")?;
                }
                if *scaled {
                    write!(f, ": scaling makes it {value}; the value is far outside the range the scaling was fit on")
                } else {
                    write!(f, ": the value is {value}; NaN and infinite values cannot be trained on")
                }
            }
            DataError::NonFiniteStatistics { column, column_name, mean, std } => {
                write!(f, "column {column} (0-based)")?;
                if let Some(name) = column_name {
                    write!(f, " (`{name}`)")?;
                }
                write!(f, ": its mean {mean} or standard deviation {std} is not finite, so it cannot be standardized")
            }
            DataError::UnknownDataset { name } => {
                let valid: Vec<&str> = crate::data::BundledName::ALL.iter().map(|n| n.name()).collect();
                write!(f, "unknown bundled dataset `{name}`; valid names are: {}", valid.join(", "))
            }
            DataError::InvalidArgument { message } => write!(f, "invalid argument: {message}"),
        }
    }
}

impl std::error::Error for DataError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DataError::Io { source, .. } | DataError::Decompress { source, .. } => Some(source),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_numbers_are_described() {
        assert_eq!(describe_magic(0x0000_0803), "IDX unsigned byte, 3 dimensions: images");
        assert_eq!(describe_magic(0x0000_0801), "IDX unsigned byte, 1 dimension: labels");
        assert_eq!(describe_magic(0x1f8b_0800), "not an IDX file");
        assert_eq!(describe_magic(0x0000_0D02), "IDX f32, 2 dimensions");
    }

    #[test]
    fn io_errors_name_the_path_and_keep_the_source() {
        let err = DataError::Io {
            path: PathBuf::from("/nowhere/x.csv"),
            source: io::Error::new(io::ErrorKind::NotFound, "gone"),
        };
        assert_eq!(err.to_string(), "cannot read /nowhere/x.csv: gone");
        assert!(std::error::Error::source(&err).is_some());
    }
}
