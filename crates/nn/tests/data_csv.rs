//! CSV loading from real files: every malformed-input case reports the file,
//! the 1-based line and column, and what is wrong.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use wengert_nn::data::{load_csv, CsvErrorKind, DataError};

/// Writes `contents` to a fresh file under the temp dir and returns its path.
fn temp_file(tag: &str, contents: &[u8]) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("wengert-data-csv-{}-{n}-{tag}.csv", std::process::id()));
    std::fs::write(&path, contents).expect("write temp file");
    path
}

/// Loads `contents` from a temp file and returns the error and the file path.
fn load_err(tag: &str, contents: &str) -> (DataError, PathBuf) {
    let path = temp_file(tag, contents.as_bytes());
    let err = load_csv(&path).expect_err("the file is malformed");
    std::fs::remove_file(&path).ok();
    (err, path)
}

#[test]
fn loads_a_well_formed_file() {
    let path = temp_file("ok", b"x1,x2,target\n1,2,0.5\n3,4,1.5\n");
    let ds = load_csv(&path).unwrap();
    std::fs::remove_file(&path).ok();
    assert_eq!(ds.features().shape(), (2, 2));
    assert_eq!(ds.features().as_slice(), &[1.0, 2.0, 3.0, 4.0]);
    assert_eq!(ds.targets(), &[0.5, 1.5]);
    assert_eq!(ds.feature_names(), &["x1".to_string(), "x2".to_string()]);
    assert_eq!(ds.target_name(), "target");
    assert!(ds.class_labels().is_err(), "0.5 is not a class label");
}

#[test]
fn missing_field_reports_line_and_column() {
    let (err, path) = load_err("missing", "a,b,c,label\n1,2,3,0\n4,,6,1\n");
    assert_eq!(
        err.to_string(),
        format!("{}, line 3, column 2 (`b`): missing field (the value is empty)", path.display())
    );
    assert!(matches!(err, DataError::Csv { line: 3, column: 2, kind: CsvErrorKind::MissingField, .. }));
}

#[test]
fn non_number_reports_the_offending_text() {
    let (err, path) = load_err("nan-text", "a,b,label\n1,2,0\n3,4,1\n5,abc,1\n");
    assert_eq!(err.to_string(), format!("{}, line 4, column 2 (`b`): `abc` is not a number", path.display()));
    match err {
        DataError::Csv { line, column, kind: CsvErrorKind::NotANumber { text }, .. } => {
            assert_eq!((line, column, text.as_str()), (4, 2, "abc"));
        }
        other => panic!("wrong error: {other}"),
    }
}

#[test]
fn ragged_rows_report_the_first_missing_or_extra_column() {
    let (short, path) = load_err("short", "a,b,label\n1,2,0\n3,4\n");
    assert_eq!(
        short.to_string(),
        format!("{}, line 3, column 3 (`label`): ragged row: it has 2 fields but the header has 3", path.display())
    );
    let (long, _) = load_err("long", "a,b,label\n1,2,0,9,9\n");
    assert!(long.to_string().contains("line 2, column 4: ragged row: it has 5 fields but the header has 3"), "{long}");
}

#[test]
fn empty_and_header_only_files_are_rejected() {
    let (empty, path) = load_err("empty", "");
    assert_eq!(
        empty.to_string(),
        format!("{}, line 1, column 1: the file is empty (expected a header row of column names)", path.display())
    );
    let (header_only, _) = load_err("header-only", "a,b,label\n\n");
    assert!(header_only.to_string().contains("line 2, column 1 (`a`): the header is not followed by any data row"));
    let (no_header, _) = load_err("no-header", "1,2,0\n3,4,1\n");
    assert!(matches!(no_header, DataError::Csv { line: 1, column: 1, kind: CsvErrorKind::NoHeader, .. }));
}

#[test]
fn quoted_fields_keep_their_commas() {
    // A field in quotes is one field, commas and all: here it is no number.
    let (err, path) = load_err("quoted", "a,b,label\n1,\"2,5\",0\n");
    assert_eq!(err.to_string(), format!("{}, line 2, column 2 (`b`): `2,5` is not a number", path.display()));
    // Quoted header names, numbers and labels with commas inside load.
    let text =
        "\"width, cm\",\"height (\"\"in\"\")\",\"kind\"\n\"1.5\",2,\"big, round\"\n3,\"4\",small\n5,6,\"big, round\"\n";
    let path = temp_file("quoted-ok", text.as_bytes());
    let ds = load_csv(&path).unwrap();
    std::fs::remove_file(&path).ok();
    assert_eq!(ds.feature_names(), &["width, cm".to_string(), "height (\"in\")".to_string()]);
    assert_eq!(ds.target_name(), "kind");
    assert_eq!(ds.features().as_slice(), &[1.5, 2.0, 3.0, 4.0, 5.0, 6.0]);
    assert_eq!(ds.class_map().unwrap().to_string(), "big, round, small");
    assert_eq!(ds.class_labels().unwrap(), vec![0, 1, 0]);
}

#[test]
fn an_unclosed_quote_is_reported_where_it_opens() {
    let (err, path) = load_err("unclosed", "a,b,label\n1,2,0\n3,\"4,1\n5,6,1\n");
    assert_eq!(
        err.to_string(),
        format!(
            "{}, line 3, column 2 (`b`): a quoted field is never closed (no `\"` ends it before the end of the file)",
            path.display()
        )
    );
}

#[test]
fn text_labels_are_classes_and_a_stray_name_in_numbers_is_located() {
    let path = temp_file("names", b"x,species\n1,setosa\n2,virginica\n3,versicolor\n4,setosa\n");
    let ds = load_csv(&path).unwrap();
    std::fs::remove_file(&path).ok();
    assert_eq!(ds.class_map().unwrap().to_string(), "setosa, versicolor, virginica");
    assert_eq!(ds.class_labels().unwrap(), vec![0, 2, 1, 0]);
    let (err, path) = load_err("mixed", "x,label\n1,0\n2,1\n3,setosa\n");
    assert_eq!(
        err.to_string(),
        format!(
            "{}, line 4, column 2 (`label`): `setosa` is not a number, but the target column starts with numbers \
             (line 2); a target column holds numbers throughout, or class names throughout",
            path.display()
        )
    );
    assert!(matches!(err, DataError::Csv { kind: CsvErrorKind::NameInNumericTarget { first_line: 2, .. }, .. }));
}

#[test]
fn blank_lines_and_crlf_keep_line_numbers_right() {
    let (err, _) = load_err("crlf", "a,label\r\n1,0\r\n\r\n2,x\r\n");
    assert!(err.to_string().contains("line 4, column 2 (`label`): `x` is not a number"), "{err}");
}

#[test]
fn a_missing_file_is_an_io_error_with_the_path() {
    let path = std::env::temp_dir().join(format!("wengert-data-csv-{}-does-not-exist.csv", std::process::id()));
    let err = load_csv(&path).unwrap_err();
    assert!(matches!(err, DataError::Io { .. }));
    assert!(err.to_string().starts_with(&format!("cannot read {}: ", path.display())), "{err}");
    assert!(std::error::Error::source(&err).is_some());
}
