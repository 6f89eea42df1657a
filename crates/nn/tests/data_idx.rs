//! IDX loading from real files (plain and gzip): bad magic numbers, truncated
//! files, size mismatches and image/label count mismatches are reported with the
//! file and byte offset.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use flate2::write::GzEncoder;
use flate2::Compression;
use wengert_nn::data::{load_idx_dataset, load_mnist, read_idx_images, read_idx_labels, DataError, IdxErrorKind};

/// A fresh file path under the temp dir.
fn temp_path(tag: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("wengert-data-idx-{}-{n}-{tag}", std::process::id()))
}

fn write(path: &PathBuf, bytes: &[u8]) {
    std::fs::write(path, bytes).expect("write temp file");
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// An IDX image file of `count` images of `rows × cols`, pixel `k` = `k % 256`.
fn images(count: u32, rows: u32, cols: u32) -> Vec<u8> {
    let mut b = vec![0, 0, 8, 3];
    for d in [count, rows, cols] {
        b.extend_from_slice(&d.to_be_bytes());
    }
    b.extend((0..count * rows * cols).map(|k| (k % 256) as u8));
    b
}

fn labels(values: &[u8]) -> Vec<u8> {
    let mut b = vec![0, 0, 8, 1];
    b.extend_from_slice(&(values.len() as u32).to_be_bytes());
    b.extend_from_slice(values);
    b
}

#[test]
fn plain_and_gzip_files_load_to_the_same_dataset() {
    let (img, lab, img_gz, lab_gz) = (temp_path("i"), temp_path("l"), temp_path("i.gz"), temp_path("l.gz"));
    write(&img, &images(3, 2, 2));
    write(&lab, &labels(&[1, 0, 2]));
    write(&img_gz, &gzip(&images(3, 2, 2)));
    write(&lab_gz, &gzip(&labels(&[1, 0, 2])));
    let a = load_idx_dataset(&img, &lab).unwrap();
    let b = load_idx_dataset(&img_gz, &lab_gz).unwrap();
    for p in [&img, &lab, &img_gz, &lab_gz] {
        std::fs::remove_file(p).ok();
    }
    assert_eq!(a.features().shape(), (3, 4));
    assert_eq!(a.features(), b.features());
    assert_eq!(a.targets(), b.targets());
    assert_eq!(a.class_labels().unwrap(), vec![1, 0, 2]);
    assert_eq!(a.features().row(2), &[8.0 / 255.0, 9.0 / 255.0, 10.0 / 255.0, 11.0 / 255.0]);
    assert_eq!(a.feature_names()[3], "pixel_1_1");
}

#[test]
fn bad_magic_names_file_offset_expected_and_found() {
    let path = temp_path("magic.gz");
    write(&path, &gzip(&labels(&[1, 2])));
    let err = read_idx_images(&path).unwrap_err();
    std::fs::remove_file(&path).ok();
    assert_eq!(
        err.to_string(),
        format!(
            "{}, byte offset 0 of the decompressed data: bad magic number: expected 0x00000803 \
             (IDX unsigned byte, 3 dimensions: images), found 0x00000801 (IDX unsigned byte, 1 dimension: labels)",
            path.display()
        )
    );
    assert!(matches!(
        err,
        DataError::Idx {
            offset: 0,
            compressed: true,
            kind: IdxErrorKind::BadMagic { expected: 0x803, found: 0x801 },
            ..
        }
    ));
}

#[test]
fn truncated_files_report_expected_and_actual_length() {
    let full = images(2, 3, 3);
    // Cut inside the data.
    let path = temp_path("cut-data");
    write(&path, &full[..full.len() - 5]);
    let err = read_idx_images(&path).unwrap_err();
    std::fs::remove_file(&path).ok();
    assert_eq!(
        err.to_string(),
        format!(
            "{}, byte offset 29: file truncated: the header sizes 2×3×3 imply 34 bytes in total, but the file has 29",
            path.display()
        )
    );
    // Cut inside the header.
    let path = temp_path("cut-header");
    write(&path, &full[..7]);
    let err = read_idx_images(&path).unwrap_err();
    std::fs::remove_file(&path).ok();
    assert!(matches!(
        err,
        DataError::Idx {
            offset: 7,
            compressed: false,
            kind: IdxErrorKind::TruncatedHeader { needed: 16, found: 7 },
            ..
        }
    ));
    // Extra bytes after the data: the header disagrees with the data length.
    let path = temp_path("long");
    let mut long = labels(&[1, 2, 3]);
    long.extend_from_slice(&[0; 4]);
    write(&path, &long);
    let err = read_idx_labels(&path).unwrap_err();
    std::fs::remove_file(&path).ok();
    assert!(err.to_string().contains("byte offset 11: trailing bytes after the data: the header sizes 3 imply 11"));
}

#[test]
fn image_label_count_mismatch_names_both_files() {
    let (img, lab) = (temp_path("img"), temp_path("lab"));
    write(&img, &images(3, 2, 2));
    write(&lab, &labels(&[1, 2]));
    let err = load_idx_dataset(&img, &lab).unwrap_err();
    for p in [&img, &lab] {
        std::fs::remove_file(p).ok();
    }
    assert_eq!(
        err.to_string(),
        format!("image/label count mismatch: {} holds 3 images but {} holds 2 labels", img.display(), lab.display())
    );
    assert!(matches!(err, DataError::CountMismatch { n_images: 3, n_labels: 2, .. }));
}

#[test]
fn missing_mnist_folder_is_an_io_error_naming_the_file() {
    let dir = temp_path("no-mnist-here");
    let err = load_mnist(&dir).unwrap_err();
    assert!(matches!(err, DataError::Io { .. }));
    assert!(err.to_string().contains("train-images-idx3-ubyte.gz"), "{err}");
}

#[test]
fn compressed_files_are_checked_against_their_header_while_streaming() {
    // Short: the stream ends, so the length is known.
    let path = temp_path("short.gz");
    write(&path, &gzip(&labels(&[1, 2, 3])[..10]));
    let err = read_idx_labels(&path).unwrap_err();
    std::fs::remove_file(&path).ok();
    assert!(matches!(
        err,
        DataError::Idx {
            offset: 10,
            compressed: true,
            kind: IdxErrorKind::SizeMismatch { expected_len: 11, actual_len: 10, .. },
            ..
        }
    ));
    // Long: reading stops one byte past the declared data.
    let path = temp_path("long.gz");
    let mut long = labels(&[1, 2, 3]);
    long.extend_from_slice(&[0; 1000]);
    write(&path, &gzip(&long));
    let err = read_idx_labels(&path).unwrap_err();
    std::fs::remove_file(&path).ok();
    assert_eq!(
        err.to_string(),
        format!(
            "{}, byte offset 11 of the decompressed data: trailing bytes after the data: the header sizes 3 imply 11 \
             bytes in total, but the data goes on (not decompressed further)",
            path.display()
        )
    );
}
