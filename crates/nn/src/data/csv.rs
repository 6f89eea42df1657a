//! The CSV reader for tables: a header row, numeric features, and the label or
//! target in the last column — numbers, or class names (`setosa`, `versicolor`).
//!
//! Why the `csv` crate underneath: real files quote fields (RFC 4180: a field in
//! `"…"` may hold commas and line breaks, `""` is a literal quote), which a
//! split on commas gets wrong. The crate does the tokenizing; this module keeps
//! what a hand-written reader gave: every error names the file, the 1-based
//! line and column (in fields), the column's header name and the offending
//! text ([`DataError::Csv`]). Records are read one at a time into one reused
//! buffer, so memory stays proportional to the input.
//!
//! Accepted: `\n` or `\r\n` line ends, a UTF-8 byte-order mark, spaces around
//! fields (trimmed), quoted fields anywhere (header included), and blank lines
//! (skipped, but still counted in line numbers). Numbers are anything
//! `f64::from_str` reads except NaN and infinities. A field's line is the line
//! its record starts on (a quoted line break makes a record span lines).
//!
//! **Targets: numbers or names.** If the first data row's target parses as a
//! number, the target column is numeric (regression values or numeric class
//! labels; a later non-number is an error). Otherwise it holds class names:
//! every value of the column is a name (trimmed; `3` is then the name "3"), the
//! classes are the distinct names in sorted order ([`ClassMap::from_names`];
//! at most [`MAX_CLASSES`]), and the dataset's targets are the class indices.
//! The names travel with the data into checkpoints and predictions.

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use csv::{ByteRecord, ReaderBuilder};
use wengert_ops::Matrix;

use super::{ClassMap, CsvErrorKind, DataError, Dataset, MAX_CLASSES};

/// Reads a CSV file into a [`Dataset`]: the first non-blank line is the header,
/// every later non-blank record a row of numbers with the target last (a number
/// or a class name).
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
///
/// // Quoted fields (RFC 4180) and class names.
/// let flowers = parse_csv("\"petal length, cm\",species\n1.4,setosa\n\"4,7\",versicolor\n5.1,setosa\n", "f.csv");
/// let err = flowers.unwrap_err(); // "4,7" is one field, and not a number
/// assert_eq!(err.to_string(), "f.csv, line 3, column 1 (`petal length, cm`): `4,7` is not a number");
/// let flowers = parse_csv("\"petal length, cm\",species\n1.4,setosa\n4.7,versicolor\n5.1,setosa\n", "f.csv")?;
/// assert_eq!(flowers.feature_names(), &["petal length, cm".to_string()]);
/// assert_eq!(flowers.class_map().unwrap().to_string(), "setosa, versicolor");
/// assert_eq!(flowers.class_labels()?, vec![0, 1, 0]);
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

/// One non-blank record at a time from the tokenizer, with the line it starts
/// on, each field checked to be UTF-8.
struct Records<'a> {
    bytes: &'a [u8],
    reader: csv::Reader<&'a [u8]>,
    record: ByteRecord,
}

/// Why [`Records::next`] stopped: a spot in the file (turned into a
/// [`DataError::Csv`] by the caller, who knows the header), or the reader
/// failed.
enum RecordError {
    At { line: usize, column: usize, kind: CsvErrorKind },
    Read(csv::Error),
}

impl<'a> Records<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        let reader = ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
        Records { bytes, reader, record: ByteRecord::new() }
    }

    /// Reads the next non-blank record (`Ok(None)` at the end of the file) as
    /// its line and its fields.
    fn next(&mut self) -> Result<Option<(usize, Vec<&str>)>, RecordError> {
        loop {
            if !self.reader.read_byte_record(&mut self.record).map_err(RecordError::Read)? {
                return Ok(None);
            }
            // The reader's position is where it started looking for the record,
            // before the blank lines it skips; move past those to the record.
            let position = self.record.position().expect("the reader sets a record's position");
            let (mut start, mut line) = (position.byte() as usize, position.line() as usize);
            while let Some(&b @ (b'\n' | b'\r')) = self.bytes.get(start) {
                line += usize::from(b == b'\n');
                start += 1;
            }
            // An opening quote with no closing one swallows the rest of the file
            // into its field, so only a record that ends the file can hold one;
            // report it before anything the swallowed text would cause.
            if self.reader.position().byte() as usize >= self.bytes.len() {
                if let Some((lines_in, field)) = unclosed_quote(&self.bytes[start.min(self.bytes.len())..]) {
                    let kind = CsvErrorKind::UnclosedQuote;
                    return Err(RecordError::At { line: line + lines_in, column: field + 1, kind });
                }
            }
            if self.record.len() == 1 && self.record[0].iter().all(u8::is_ascii_whitespace) {
                continue; // a blank line
            }
            let mut fields = Vec::with_capacity(self.record.len());
            for (c, raw) in self.record.iter().enumerate() {
                match std::str::from_utf8(raw) {
                    Ok(text) => fields.push(text),
                    Err(_) => return Err(RecordError::At { line, column: c + 1, kind: CsvErrorKind::InvalidUtf8 }),
                }
            }
            return Ok(Some((line, fields)));
        }
    }
}

impl Errors<'_> {
    fn record(&self, e: RecordError) -> DataError {
        match e {
            RecordError::At { line, column, kind } => self.at(line, column, kind),
            RecordError::Read(e) => DataError::Io { path: self.path.to_path_buf(), source: std::io::Error::from(e) },
        }
    }
}

/// The target column as read so far: numbers, or class names numbered in the
/// order they first appear (sorted into a [`ClassMap`] at the end).
enum TargetColumn {
    Numbers(Vec<f64>),
    Names { first_seen: HashMap<String, usize>, ids: Vec<usize> },
}

fn parse_bytes(bytes: &[u8], path: &Path) -> Result<Dataset, DataError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let no_names = Errors { path, header: &[] };
    let mut records = Records::new(bytes);

    let Some((header_line, header_fields)) = records.next().map_err(|e| no_names.record(e))? else {
        return Err(no_names.at(1, 1, CsvErrorKind::EmptyFile));
    };
    let header = parse_header(header_line, &header_fields, &no_names)?;
    drop(header_fields);
    let errors = Errors { path, header: &header };
    let n_cols = header.len();
    let n_features = n_cols - 1;

    let mut features = Vec::new();
    let mut targets: Option<TargetColumn> = None;
    let mut first_data_line = 0;
    while let Some((line, fields)) = records.next().map_err(|e| errors.record(e))? {
        if fields.len() != n_cols {
            let column = fields.len().min(n_cols) + 1;
            return Err(errors.at(line, column, CsvErrorKind::RaggedRow { expected: n_cols, found: fields.len() }));
        }
        for (c, field) in fields[..n_features].iter().enumerate() {
            features.push(parse_number(field).map_err(|kind| errors.at(line, c + 1, kind))?);
        }
        let text = fields[n_features].trim();
        let at_target = |kind| errors.at(line, n_cols, kind);
        if text.is_empty() {
            return Err(at_target(CsvErrorKind::MissingField));
        }
        let column = targets.get_or_insert_with(|| {
            first_data_line = line;
            if text.parse::<f64>().is_ok() {
                TargetColumn::Numbers(Vec::new())
            } else {
                TargetColumn::Names { first_seen: HashMap::new(), ids: Vec::new() }
            }
        });
        match column {
            TargetColumn::Numbers(values) => {
                let value = parse_number(text).map_err(|kind| match kind {
                    CsvErrorKind::NotANumber { text } => {
                        at_target(CsvErrorKind::NameInNumericTarget { text, first_line: first_data_line })
                    }
                    other => at_target(other),
                })?;
                values.push(value);
            }
            TargetColumn::Names { first_seen, ids } => {
                let id = match first_seen.get(text) {
                    Some(&id) => id,
                    None if first_seen.len() == MAX_CLASSES => {
                        return Err(DataError::TooManyClasses {
                            max: MAX_CLASSES,
                            index: ids.len(),
                            label: text.to_string(),
                        });
                    }
                    None => {
                        let id = first_seen.len();
                        first_seen.insert(text.to_string(), id);
                        id
                    }
                };
                ids.push(id);
            }
        }
    }
    let Some(targets) = targets else {
        return Err(errors.at(header_line + 1, 1, CsvErrorKind::NoData));
    };
    let target_name = header[n_features].clone();
    let mut feature_names = header;
    feature_names.truncate(n_features);
    match targets {
        TargetColumn::Numbers(values) => {
            let x = Matrix::from_vec(values.len(), n_features, features);
            Dataset::new(x, values, feature_names, target_name)
        }
        TargetColumn::Names { first_seen, ids } => {
            let x = Matrix::from_vec(ids.len(), n_features, features);
            let mut names = vec![""; first_seen.len()];
            for (name, &id) in &first_seen {
                names[id] = name;
            }
            let classes = ClassMap::from_names(&names)?;
            let class_of: Vec<usize> =
                names.iter().map(|n| classes.index_of_name(n).expect("every name is in its own map")).collect();
            let labels = ids.into_iter().map(|id| class_of[id]).collect();
            Dataset::with_classes(x, labels, classes, feature_names, target_name)
        }
    }
}

/// Where a record left a quoted field open, if it did: `(lines after the
/// record's first line, 0-based field)` of the opening quote. Follows the
/// tokenizer's rules: a quote opens a field only as its first character, `""`
/// inside quotes is a literal quote, and text after a closing quote is part of
/// the field.
fn unclosed_quote(record: &[u8]) -> Option<(usize, usize)> {
    let (mut field, mut line) = (0, 0);
    let mut opened_at = None;
    let mut at_field_start = true;
    let mut i = 0;
    while i < record.len() {
        let b = record[i];
        match opened_at {
            Some(_) if b == b'"' && record.get(i + 1) == Some(&b'"') => i += 1,
            Some(_) if b == b'"' => opened_at = None,
            Some(_) => {}
            None if b == b'"' && at_field_start => opened_at = Some((line, field)),
            None if b == b',' => {
                field += 1;
                at_field_start = true;
                i += 1;
                continue;
            }
            None if b == b'\n' || b == b'\r' => return None, // the record ended, every quote closed
            None => {}
        }
        if b == b'\n' {
            line += 1;
        }
        at_field_start = false;
        i += 1;
    }
    opened_at
}

/// Splits and checks the header: at least two names, none empty, and not a row
/// of numbers (which would mean the file has no header at all).
fn parse_header(line: usize, fields: &[&str], errors: &Errors<'_>) -> Result<Vec<String>, DataError> {
    let mut names = Vec::with_capacity(fields.len());
    for (c, field) in fields.iter().enumerate() {
        let name = field.trim();
        if name.is_empty() {
            return Err(errors.at(line, c + 1, CsvErrorKind::MissingField));
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
        let spaces = parse_csv("a,y\n   \n1,2\n \t \n3,4\n", "t.csv").unwrap();
        assert_eq!(spaces.targets(), &[2.0, 4.0], "lines of spaces are blank");
    }

    #[test]
    fn quoted_fields_follow_rfc_4180() {
        let text =
            "\"x, first\",\"say \"\"hi\"\"\",label\n\"1.5\",\" 2 \",\"a, b\"\n3,4,\"line\nbreak\"\n5,6,\"a, b\"\n";
        let ds = parse_csv(text, "t.csv").unwrap();
        assert_eq!(ds.feature_names(), &["x, first".to_string(), "say \"hi\"".to_string()]);
        assert_eq!(ds.features().as_slice(), &[1.5, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(ds.class_map().unwrap().to_string(), "a, b, line\nbreak");
        assert_eq!(ds.class_labels().unwrap(), vec![0, 1, 0]);
        // A quoted line break moves the next record's line number on.
        assert_eq!(err("a,y\n\"1\n\",0\n2,x\n"), (4, 2, Some("y".into()), name_in_numbers("x", 2)));
    }

    fn name_in_numbers(text: &str, first_line: usize) -> CsvErrorKind {
        CsvErrorKind::NameInNumericTarget { text: text.into(), first_line }
    }

    #[test]
    fn names_are_classes_in_sorted_order() {
        let ds = parse_csv("x,species\n1,virginica\n2,setosa\n3, versicolor \n4,setosa\n5,3\n", "t.csv").unwrap();
        assert_eq!(ds.class_map().unwrap().to_string(), "3, setosa, versicolor, virginica");
        assert_eq!(ds.class_labels().unwrap(), vec![3, 1, 2, 1, 0]);
        assert_eq!(ds.targets(), &[3.0, 1.0, 2.0, 1.0, 0.0]);
        let many: String =
            std::iter::once("x,y\n".to_string()).chain((0..=MAX_CLASSES).map(|i| format!("{i},c{i}\n"))).collect();
        assert!(matches!(
            parse_csv(&many, "t.csv").unwrap_err(),
            DataError::TooManyClasses { max: MAX_CLASSES, index: 1000, .. }
        ));
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
        assert_eq!(err("a,y\n1,cat\n2,\"\"\n"), (3, 2, Some("y".into()), CsvErrorKind::MissingField));
        assert_eq!(
            err("a,b,y\n1,2,3,4\n"),
            (2, 4, None, CsvErrorKind::RaggedRow { expected: 3, found: 4 }),
            "an extra field is reported at the first column past the header"
        );
        assert_eq!(err("a,y\n1,inf\n"), (2, 2, Some("y".into()), CsvErrorKind::NotFinite { text: "inf".into() }));
        assert_eq!(err("a,y\n1,0\n\n2,cat\n"), (4, 2, Some("y".into()), name_in_numbers("cat", 2)));
        assert_eq!(
            err("\n\na,y\r\n1,0\r\n\r\n\r\n \r\n2,cat\r\n"),
            (8, 2, Some("y".into()), name_in_numbers("cat", 4))
        );
        assert_eq!(err("a,y\nx,0\n"), (2, 1, Some("a".into()), CsvErrorKind::NotANumber { text: "x".into() }));
    }

    #[test]
    fn an_unclosed_quote_is_located_where_it_opens() {
        assert_eq!(err("a,b,y\n1,2,0\n3,\"4,0\n5,6,1\n"), (3, 2, Some("b".into()), CsvErrorKind::UnclosedQuote));
        assert_eq!(err("a,y\n1,\"x\ny\n\"\"z\n"), (2, 2, Some("y".into()), CsvErrorKind::UnclosedQuote));
        assert_eq!(err("\"a,y\n1,0\n"), (1, 1, None, CsvErrorKind::UnclosedQuote));
        // Closed quotes, escaped quotes and a quote inside an unquoted field are fine.
        assert_eq!(unclosed_quote(b"1,\"a\"\"b\",x\"y\n"), None);
        assert_eq!(unclosed_quote(b"\"a\"b,\"c\nd\""), None);
        assert_eq!(unclosed_quote(b"1,2,\"\"\"\n"), Some((0, 2)));
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
