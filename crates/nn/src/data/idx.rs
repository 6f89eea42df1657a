//! The IDX format of MNIST: a big-endian magic number, the dimension sizes, then
//! the raw elements.
//!
//! Why checks before trust: an IDX header is just a few integers, and a file cut
//! short by a failed download (or a label file passed where an image file was
//! meant) would otherwise turn into an index panic or silently wrong data. So the
//! magic number, the header length and `header sizes × element size == data
//! length` are all checked, and each failure names the file and the byte offset.
//!
//! Why the header is read first and the rest streamed: a gzip file can expand
//! a thousandfold, so decompressing a whole file before looking at it let a
//! 520 KB file that expands to 512 MiB take 528 MB of memory just to be told
//! it has trailing bytes. Files (and bytes in memory) are read as a stream —
//! gzip-decompressed on the fly when they start with the gzip magic `1f 8b`
//! (the bundled files are compressed; plain IDX files are accepted too) —
//! the header is checked, and exactly the data it declares is read, plus one
//! byte to tell whether more follows. Nothing is allocated by a size a file
//! declares beyond what its length can hold: the data buffer starts at the
//! declared size only up to what the input could decompress to (deflate
//! expands at most 1032-fold), and grows only as data actually arrives. A plain file's length is known, so it is checked against the
//! header before any data is read.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;
use wengert_ops::{Matrix, Scalar};

use super::{DataError, Dataset, IdxErrorKind};

/// File name of the MNIST training images in the standard distribution.
pub const MNIST_TRAIN_IMAGES: &str = "train-images-idx3-ubyte.gz";
/// File name of the MNIST training labels.
pub const MNIST_TRAIN_LABELS: &str = "train-labels-idx1-ubyte.gz";
/// File name of the MNIST test images.
pub const MNIST_TEST_IMAGES: &str = "t10k-images-idx3-ubyte.gz";
/// File name of the MNIST test labels.
pub const MNIST_TEST_LABELS: &str = "t10k-labels-idx1-ubyte.gz";

/// Magic number of an IDX file of unsigned bytes with 3 dimensions (images).
const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an IDX file of unsigned bytes with 1 dimension (labels).
const LABELS_MAGIC: u32 = 0x0000_0801;
/// The gzip magic number, the first two bytes of every gzip file.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// The most that deflate can expand: a 258-byte match costs at least two bits
/// (1032 = 258 × 8 / 2), so `n` compressed bytes hold at most `1032·n` bytes.
/// Bounds the buffer reserved for decompressed data before it arrives.
const MAX_DEFLATE_RATIO: u64 = 1032;

/// A stack of grey-scale images from an IDX file, as raw bytes.
///
/// ```
/// use wengert_nn::data::parse_idx_images;
/// // magic, 2 images of 1×2 pixels, then the pixels.
/// let bytes = [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 255, 51, 102];
/// let images = parse_idx_images(&bytes, "tiny.idx")?;
/// assert_eq!((images.count, images.rows, images.cols), (2, 1, 2));
/// assert_eq!(images.image(1), &[51, 102]);
/// assert_eq!(images.to_matrix::<f32>().row(1), &[0.2, 0.4]);
/// # Ok::<(), wengert_nn::data::DataError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct IdxImages {
    /// Number of images.
    pub count: usize,
    /// Rows of each image.
    pub rows: usize,
    /// Columns of each image.
    pub cols: usize,
    /// All pixels, image after image, each image row-major: `count * rows * cols` bytes.
    pub pixels: Vec<u8>,
}

impl IdxImages {
    /// Pixels per image (`rows * cols`).
    pub fn pixels_per_image(&self) -> usize {
        self.rows * self.cols
    }

    /// The pixels of image `i`; panics if `i >= count`.
    pub fn image(&self, i: usize) -> &[u8] {
        assert!(i < self.count, "IdxImages::image: index {i} out of range for {} images", self.count);
        let n = self.pixels_per_image();
        &self.pixels[i * n..(i + 1) * n]
    }

    /// A `count × (rows·cols)` matrix with one flattened image per row and the
    /// pixels scaled from `0..=255` to `[0, 1]`. Use `T = f32` to halve the
    /// memory of a large set (MNIST's training images are 376 MB as `f64`).
    ///
    /// Panics if `pixels.len() != count * rows * cols`, which the readers
    /// guarantee and only a hand-built value can break.
    pub fn to_matrix<T: Scalar>(&self) -> Matrix<T> {
        let data = self.pixels.iter().map(|&p| T::from_f64(f64::from(p) / 255.0)).collect();
        Matrix::from_vec(self.count, self.pixels_per_image(), data)
    }
}

/// Reads an IDX image file (magic `0x00000803`: unsigned bytes, 3 dimensions),
/// gzip-compressed or not.
pub fn read_idx_images(path: impl AsRef<Path>) -> Result<IdxImages, DataError> {
    let path = path.as_ref();
    images(read_file(path, IMAGES_MAGIC)?)
}

/// Reads an IDX label file (magic `0x00000801`: unsigned bytes, 1 dimension),
/// gzip-compressed or not.
pub fn read_idx_labels(path: impl AsRef<Path>) -> Result<Vec<u8>, DataError> {
    Ok(read_file(path.as_ref(), LABELS_MAGIC)?.1)
}

/// Parses IDX image data already in memory (gzip-compressed or not); `source`
/// names it in error messages.
pub fn parse_idx_images(bytes: &[u8], source: impl AsRef<Path>) -> Result<IdxImages, DataError> {
    images(parse_bytes(bytes, source.as_ref(), IMAGES_MAGIC)?)
}

/// Parses IDX label data already in memory (gzip-compressed or not); `source`
/// names it in error messages.
///
/// ```
/// use wengert_nn::data::parse_idx_labels;
/// assert_eq!(parse_idx_labels(&[0, 0, 8, 1, 0, 0, 0, 3, 5, 0, 4], "l.idx")?, vec![5, 0, 4]);
/// let err = parse_idx_labels(&[0, 0, 8, 1, 0, 0, 0, 3, 5], "l.idx").unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "l.idx, byte offset 9: file truncated: the header sizes 3 imply 11 bytes in total, but the file has 9"
/// );
/// # Ok::<(), wengert_nn::data::DataError>(())
/// ```
pub fn parse_idx_labels(bytes: &[u8], source: impl AsRef<Path>) -> Result<Vec<u8>, DataError> {
    Ok(parse_bytes(bytes, source.as_ref(), LABELS_MAGIC)?.1)
}

fn images((dims, pixels): (Vec<u32>, Vec<u8>)) -> Result<IdxImages, DataError> {
    Ok(IdxImages { count: dims[0] as usize, rows: dims[1] as usize, cols: dims[2] as usize, pixels })
}

/// Loads an image file and its label file as one [`Dataset`]: one flattened
/// image per row, pixels scaled to `[0, 1]`, features named `pixel_R_C`, and the
/// labels as targets. Fails with [`DataError::CountMismatch`] if the files hold
/// different numbers of examples.
pub fn load_idx_dataset(images: impl AsRef<Path>, labels: impl AsRef<Path>) -> Result<Dataset, DataError> {
    let (images_path, labels_path) = (images.as_ref(), labels.as_ref());
    let images = read_idx_images(images_path)?;
    let labels = read_idx_labels(labels_path)?;
    if images.count != labels.len() {
        return Err(DataError::CountMismatch {
            images: images_path.to_path_buf(),
            labels: labels_path.to_path_buf(),
            n_images: images.count,
            n_labels: labels.len(),
        });
    }
    let names = (0..images.rows).flat_map(|r| (0..images.cols).map(move |c| format!("pixel_{r}_{c}"))).collect();
    let targets = labels.iter().map(|&l| f64::from(l)).collect();
    Dataset::new(images.to_matrix(), targets, names, "label")
}

/// Loads MNIST from `dir`, which must hold the four files of the standard
/// distribution ([`MNIST_TRAIN_IMAGES`], [`MNIST_TRAIN_LABELS`],
/// [`MNIST_TEST_IMAGES`], [`MNIST_TEST_LABELS`]). Returns `(train, test)`:
/// 60000 and 10000 examples of 784 pixels in `[0, 1]`, labels `0..=9`.
pub fn load_mnist(dir: impl AsRef<Path>) -> Result<(Dataset, Dataset), DataError> {
    let dir = dir.as_ref();
    let train = load_idx_dataset(dir.join(MNIST_TRAIN_IMAGES), dir.join(MNIST_TRAIN_LABELS))?;
    let test = load_idx_dataset(dir.join(MNIST_TEST_IMAGES), dir.join(MNIST_TEST_LABELS))?;
    Ok((train, test))
}

/// Where an IDX stream comes from, for its errors and its limits.
struct Source<'a> {
    path: &'a Path,
    /// Gzip-compressed (errors from the reader are decompression errors, and
    /// offsets count decompressed bytes).
    compressed: bool,
    /// The total length, when it is known before reading (plain data).
    known_len: Option<u64>,
    /// The most bytes the data can hold: the buffer reserved up front never
    /// exceeds it.
    max_len: u64,
}

impl Source<'_> {
    fn read_error(&self, source: io::Error) -> DataError {
        let path = self.path.to_path_buf();
        if self.compressed {
            DataError::Decompress { path, source }
        } else {
            DataError::Io { path, source }
        }
    }

    fn error(&self, offset: u64, kind: IdxErrorKind) -> DataError {
        DataError::Idx { path: self.path.to_path_buf(), offset, compressed: self.compressed, kind }
    }
}

/// Opens a file and reads it as an IDX stream, decompressing if it starts
/// with the gzip magic.
fn read_file(path: &Path, magic: u32) -> Result<(Vec<u32>, Vec<u8>), DataError> {
    let io_error = |source| DataError::Io { path: path.to_path_buf(), source };
    let mut file = File::open(path).map_err(io_error)?;
    let file_len = file.metadata().map_err(io_error)?.len();
    let mut head = [0u8; 2];
    let n = read_full(&mut file, &mut head).map_err(io_error)?;
    let reader = (&head[..n]).chain(file);
    if head[..n] == GZIP_MAGIC {
        let max_len = file_len.saturating_mul(MAX_DEFLATE_RATIO);
        let source = Source { path, compressed: true, known_len: None, max_len };
        read_idx(MultiGzDecoder::new(reader), &source, magic)
    } else {
        read_idx(reader, &Source { path, compressed: false, known_len: Some(file_len), max_len: file_len }, magic)
    }
}

/// Reads bytes in memory as an IDX stream, decompressing if they start with
/// the gzip magic.
fn parse_bytes(bytes: &[u8], path: &Path, magic: u32) -> Result<(Vec<u32>, Vec<u8>), DataError> {
    let len = bytes.len() as u64;
    if bytes.starts_with(&GZIP_MAGIC) {
        let max_len = len.saturating_mul(MAX_DEFLATE_RATIO);
        read_idx(MultiGzDecoder::new(bytes), &Source { path, compressed: true, known_len: None, max_len }, magic)
    } else {
        read_idx(bytes, &Source { path, compressed: false, known_len: Some(len), max_len: len }, magic)
    }
}

/// Reads an unsigned-byte IDX stream: checks the magic number and the
/// header, then reads exactly the data the header declares and one byte more
/// to tell whether anything follows. Returns the dimension sizes and the data.
fn read_idx(mut reader: impl Read, source: &Source<'_>, magic: u32) -> Result<(Vec<u32>, Vec<u8>), DataError> {
    let n_dims = (magic & 0xff) as usize;
    let header_len = 4 + 4 * n_dims;
    let mut header = [0u8; 4 + 4 * 3];
    let header = &mut header[..header_len];
    let got = read_full(&mut reader, header).map_err(|e| source.read_error(e))? as u64;
    let truncated = IdxErrorKind::TruncatedHeader { needed: header_len as u64, found: got };
    if got < 4 {
        return Err(source.error(got, truncated));
    }
    let found = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
    if found != magic {
        return Err(source.error(0, IdxErrorKind::BadMagic { expected: magic, found }));
    }
    if got < header_len as u64 {
        return Err(source.error(got, truncated));
    }
    let dims: Vec<u32> = header[4..].chunks_exact(4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]])).collect();
    // u32 sizes multiplied in u128 cannot overflow; saturate for the report.
    let elements = dims.iter().fold(1u128, |acc, &d| acc * u128::from(d));
    let expected_len = u64::try_from(elements + header_len as u128).unwrap_or(u64::MAX);
    let size_mismatch = |actual_len: u64| IdxErrorKind::SizeMismatch { dims: dims.clone(), expected_len, actual_len };
    if let Some(actual_len) = source.known_len {
        if actual_len != expected_len {
            return Err(source.error(expected_len.min(actual_len), size_mismatch(actual_len)));
        }
    }

    let data_len = expected_len - header_len as u64;
    let reserve = usize::try_from(data_len.min(source.max_len)).unwrap_or(0);
    let mut data = Vec::with_capacity(reserve);
    (&mut reader).take(data_len).read_to_end(&mut data).map_err(|e| source.read_error(e))?;
    let actual_len = header_len as u64 + data.len() as u64;
    if actual_len < expected_len {
        return Err(source.error(actual_len, size_mismatch(actual_len)));
    }
    if read_full(&mut reader, &mut [0u8; 1]).map_err(|e| source.read_error(e))? > 0 {
        return Err(source.error(expected_len, IdxErrorKind::TrailingData { dims, expected_len }));
    }
    Ok((dims, data))
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use flate2::Compression;
    use std::io::Write;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    fn idx_kind(err: DataError) -> (u64, bool, IdxErrorKind) {
        match err {
            DataError::Idx { offset, compressed, kind, .. } => (offset, compressed, kind),
            other => panic!("expected an IDX error, got {other}"),
        }
    }

    #[test]
    fn gzip_and_plain_give_the_same_images() {
        let plain = [0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4];
        let a = parse_idx_images(&plain, "p").unwrap();
        let b = parse_idx_images(&gzip(&plain), "g").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.pixels, vec![1, 2, 3, 4]);
        assert_eq!(a.to_matrix::<f64>()[(0, 3)], 4.0 / 255.0);
    }

    #[test]
    fn header_problems_are_located() {
        // Labels passed as images: the magic says so.
        let (offset, compressed, kind) = idx_kind(parse_idx_images(&[0, 0, 8, 1, 0, 0, 0, 0], "x").unwrap_err());
        assert_eq!((offset, compressed), (0, false));
        assert_eq!(kind, IdxErrorKind::BadMagic { expected: 0x803, found: 0x801 });
        // Cut inside the magic, and inside the dimension sizes (compressed).
        let (offset, _, kind) = idx_kind(parse_idx_labels(&[0, 0], "x").unwrap_err());
        assert_eq!((offset, kind), (2, IdxErrorKind::TruncatedHeader { needed: 8, found: 2 }));
        let err = parse_idx_images(&gzip(&[0, 0, 8, 3, 0, 0, 0, 1, 0, 0]), "x").unwrap_err();
        assert!(err.to_string().contains("byte offset 10 of the decompressed data"), "{err}");
        let (offset, compressed, kind) = idx_kind(err);
        assert_eq!((offset, compressed), (10, true));
        assert_eq!(kind, IdxErrorKind::TruncatedHeader { needed: 16, found: 10 });
        // Trailing bytes after the data.
        let (offset, _, kind) = idx_kind(parse_idx_labels(&[0, 0, 8, 1, 0, 0, 0, 1, 7, 7], "x").unwrap_err());
        assert_eq!((offset, kind), (9, IdxErrorKind::SizeMismatch { dims: vec![1], expected_len: 9, actual_len: 10 }));
        // Huge sizes do not overflow.
        let huge = [0, 0, 8, 3, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255];
        let (_, _, kind) = idx_kind(parse_idx_images(&huge, "x").unwrap_err());
        assert!(matches!(kind, IdxErrorKind::SizeMismatch { expected_len: u64::MAX, actual_len: 16, .. }));
    }

    #[test]
    fn corrupt_gzip_is_a_decompress_error() {
        let mut bytes = gzip(&[0, 0, 8, 1, 0, 0, 0, 1, 7]);
        bytes.truncate(bytes.len() - 6);
        let err = parse_idx_labels(&bytes, "cut.gz").unwrap_err();
        assert!(matches!(err, DataError::Decompress { .. }), "{err}");
        assert!(err.to_string().starts_with("cut.gz: gzip decompression failed"), "{err}");
    }
}
