//! A small CSV reader for numeric tables: a header row, numeric features, and
//! the label or target in the last column.
//!
//! Why hand-written: the bundled files are plain comma-separated numbers with
//! no quoting, and a dozen lines of parsing give better error messages (line,
//! column, header name, the offending text) than a general CSV crate would
//! without extra plumbing. Quoting is *not* supported: a field containing `"` is
//! reported as [`CsvErrorKind::QuotedField`] instead of being mis-parsed.
//!
//! Accepted: `\n` or `\r\n` line ends, a UTF-8 byte-order mark, spaces around
//! fields, and blank lines (skipped, but still counted in line numbers). Numbers
//! are anything `f64::from_str` reads except NaN and infinities.

use std::fs;
use std::path::Path;

use wengert_ops::Matrix;

use super::{CsvErrorKind, DataError, Dataset};

/// Reads a CSV file into a [`Dataset`]: the first non-blank line is the header,
/// every later non-blank line a row of numbers with the target last.
///
/// ```
/// let iris = wengert_nn::data::load_csv(wengert_nn::data::data_dir().join("iris.csv"))?;
/// assert_eq!(iris.features().shape(), (150, 4));
/// assert_eq!(iris.feature_names()[0], "sepal_length_cm");
/// assert_eq!(iris.target_name(), "label");
/// # Ok::<(), wengert_nn::data::DataError>(())
/// ```
pub fn load_csv(path: impl AsRef<Path>) -> Result<Dataset, DataError> {
    let path = path.as_ref();
    let bytes = fs::read(path).map_err(|source| DataError::Io { path: path.to_path_buf(), source })?;
    parse_bytes(&bytes, path)
}

/// Parses CSV text already in memory, exactly as [`load_csv`] parses a file.
/// `source` names the text in error messages (a path or any label).
///
/// ```
/// use wengert_nn::data::parse_csv;
/// let ds = parse_csv("height,weight,label\n1.5,60,0\n1.8,85,1\n", "people.csv")?;
/// assert_eq!(ds.features().row(1), &[1.8, 85.0]);
/// assert_eq!(ds.targets(), &[0.0, 1.0]);
///
/// let err = parse_csv("height,weight,label\n1.5,60\n", "people.csv").unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "people.csv, line 2, column 3 (`label`): ragged row: it has 2 fields but the header has 3"
/// );
/// # Ok::<(), wengert_nn::data::DataError>(())
/// ```
pub fn parse_csv(text: &str, source: impl AsRef<Path>) -> Result<Dataset, DataError> {
    parse_bytes(text.as_bytes(), source.as_ref())
}

/// Builds [`DataError::Csv`] errors for one file, filling in the column name.
struct Errors<'a> {
    path: &'a Path,
    header: &'a [String],
}

impl Errors<'_> {
    fn at(&self, line: usize, column: usize, kind: CsvErrorKind) -> DataError {
        DataError::Csv {
            path: self.path.to_path_buf(),
            line,
            column,
            column_name: column.checked_sub(1).and_then(|c| self.header.get(c)).cloned(),
            kind,
        }
    }
}

fn parse_bytes(bytes: &[u8], path: &Path) -> Result<Dataset, DataError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let no_names = Errors { path, header: &[] };
    // Non-blank lines with their 1-based numbers, decoded as UTF-8.
    let mut lines = bytes.split(|&b| b == b'\n').enumerate().filter_map(|(i, raw)| {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        Some(match std::str::from_utf8(raw) {
            Ok(text) => Ok((i + 1, text)),
            Err(e) => {
                let column = raw[..e.valid_up_to()].iter().filter(|&&b| b == b',').count() + 1;
                Err((i + 1, column))
            }
        })
    });

    let (header_line, header_text) = match lines.next() {
        None => return Err(no_names.at(1, 1, CsvErrorKind::EmptyFile)),
        Some(Err((line, column))) => return Err(no_names.at(line, column, CsvErrorKind::InvalidUtf8)),
        Some(Ok(found)) => found,
    };
    let header = parse_header(header_line, header_text, &no_names)?;
    let errors = Errors { path, header: &header };
    let n_cols = header.len();
    let n_features = n_cols - 1;

    let mut features = Vec::new();
    let mut targets = Vec::new();
    for next in lines {
        let (line, text) = next.map_err(|(line, column)| errors.at(line, column, CsvErrorKind::InvalidUtf8))?;
        // Quotes first: a quoted field may hide a comma and look like a ragged row.
        if let Some((c, field)) = text.split(',').enumerate().find(|(_, f)| f.contains('"')) {
            return Err(errors.at(line, c + 1, CsvErrorKind::QuotedField { text: field.trim().to_string() }));
        }
        let found = text.split(',').count();
        if found != n_cols {
            let column = found.min(n_cols) + 1;
            return Err(errors.at(line, column, CsvErrorKind::RaggedRow { expected: n_cols, found }));
        }
        for (c, field) in text.split(',').enumerate() {
            let value = parse_number(field).map_err(|kind| errors.at(line, c + 1, kind))?;
            if c < n_features {
                features.push(value);
            } else {
                targets.push(value);
            }
        }
    }
    if targets.is_empty() {
        return Err(errors.at(header_line + 1, 1, CsvErrorKind::NoData));
    }
    let n_rows = targets.len();
    let target_name = header[n_features].clone();
    let mut feature_names = header;
    feature_names.truncate(n_features);
    Dataset::new(Matrix::from_vec(n_rows, n_features, features), targets, feature_names, target_name)
}

/// Splits and checks the header: at least two names, none empty or quoted, and
/// not a row of numbers (which would mean the file has no header at all).
fn parse_header(line: usize, text: &str, errors: &Errors<'_>) -> Result<Vec<String>, DataError> {
    let mut names = Vec::new();
    for (c, field) in text.split(',').enumerate() {
        let name = field.trim();
        if name.is_empty() {
            return Err(errors.at(line, c + 1, CsvErrorKind::MissingField));
        }
        if name.contains('"') {
            return Err(errors.at(line, c + 1, CsvErrorKind::QuotedField { text: name.to_string() }));
        }
        names.push(name.to_string());
    }
    if names.len() < 2 {
        return Err(errors.at(line, 1, CsvErrorKind::TooFewColumns { found: names.len() }));
    }
    if names.iter().all(|n| n.parse::<f64>().is_ok()) {
        return Err(errors.at(line, 1, CsvErrorKind::NoHeader));
    }
    Ok(names)
}

/// Parses one numeric field (surrounding spaces allowed).
fn parse_number(field: &str) -> Result<f64, CsvErrorKind> {
    let text = field.trim();
    if text.is_empty() {
        return Err(CsvErrorKind::MissingField);
    }
    if text.contains('"') {
        return Err(CsvErrorKind::QuotedField { text: text.to_string() });
    }
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(CsvErrorKind::NotFinite { text: text.to_string() }),
        Err(_) => Err(CsvErrorKind::NotANumber { text: text.to_string() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> (usize, usize, Option<String>, CsvErrorKind) {
        match parse_csv(text, "t.csv").unwrap_err() {
            DataError::Csv { line, column, column_name, kind, .. } => (line, column, column_name, kind),
            other => panic!("expected a CSV error, got {other}"),
        }
    }

    #[test]
    fn parses_crlf_bom_spaces_and_blank_lines() {
        let ds = parse_csv("\u{feff}a, b ,y\r\n\r\n 1 , 2e1,3\r\n-4,+5.5,0\r\n\r\n", "t.csv").unwrap();
        assert_eq!(ds.feature_names(), &["a".to_string(), "b".to_string()]);
        assert_eq!(ds.target_name(), "y");
        assert_eq!(ds.features().as_slice(), &[1.0, 20.0, -4.0, 5.5]);
        assert_eq!(ds.targets(), &[3.0, 0.0]);
    }

    #[test]
    fn each_error_kind_has_its_spot() {
        assert_eq!(err(""), (1, 1, None, CsvErrorKind::EmptyFile));
        assert_eq!(err("\n  \n"), (1, 1, None, CsvErrorKind::EmptyFile));
        assert_eq!(err("1,2,3\n4,5,6\n"), (1, 1, None, CsvErrorKind::NoHeader));
        assert_eq!(err("\na,y\n"), (3, 1, Some("a".into()), CsvErrorKind::NoData));
        assert_eq!(err("y\n1\n"), (1, 1, None, CsvErrorKind::TooFewColumns { found: 1 }));
        assert_eq!(err("a,,y\n"), (1, 2, None, CsvErrorKind::MissingField));
        assert_eq!(err("a,y\n1,0\n2,\n"), (3, 2, Some("y".into()), CsvErrorKind::MissingField));
        assert_eq!(
            err("a,b,y\n1,2,3,4\n"),
            (2, 4, None, CsvErrorKind::RaggedRow { expected: 3, found: 4 }),
            "an extra field is reported at the first column past the header"
        );
        assert_eq!(err("a,y\n1,inf\n"), (2, 2, Some("y".into()), CsvErrorKind::NotFinite { text: "inf".into() }));
        assert_eq!(err("a,y\n\"1\",0\n"), (2, 1, Some("a".into()), CsvErrorKind::QuotedField { text: "\"1\"".into() }));
        assert_eq!(err("\"a\",y\n"), (1, 1, None, CsvErrorKind::QuotedField { text: "\"a\"".into() }));
    }

    #[test]
    fn invalid_utf8_is_located() {
        let bytes = b"a,b,y\n1,2,3\n1,\xff,3\n";
        match parse_bytes(bytes, Path::new("t.csv")).unwrap_err() {
            DataError::Csv { line: 3, column: 2, kind: CsvErrorKind::InvalidUtf8, .. } => {}
            other => panic!("wrong error: {other}"),
        }
    }
}
