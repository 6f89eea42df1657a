//! The safetensors level: element types ([`Float`]), tensors to write, and a
//! reader that turns a file's tensors back into matrices with the checks
//! (dtype, rank, byte count) every loader needs.
//!
//! Why a layer of its own: a parameter file and a full training checkpoint
//! hold different things (one element type, or parameters in `T` beside
//! statistics in `f64`), but read and write tensors the same way.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;

use safetensors::tensor::{Dtype, SafeTensors, View};
use wengert_ops::{shape_str, Matrix, Scalar};

use super::{err, CheckpointError, CheckpointErrorKind};

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// A float type a checkpoint can hold: `f32` (dtype `F32`) or `f64` (`F64`).
/// (`Send + Sync`, as both are, so that code generic over it can train on
/// several threads.)
pub trait Float: Scalar + Send + Sync + sealed::Sealed {
    /// The safetensors dtype.
    const DTYPE: Dtype;
    /// Bytes per element.
    const SIZE: usize;
    /// Appends the little-endian bytes of `self`.
    fn put_le(self, out: &mut Vec<u8>);
    /// Reads one element from exactly [`SIZE`](Float::SIZE) little-endian bytes.
    fn get_le(bytes: &[u8]) -> Self;
}

impl Float for f32 {
    const DTYPE: Dtype = Dtype::F32;
    const SIZE: usize = 4;
    fn put_le(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
    fn get_le(bytes: &[u8]) -> Self {
        let mut b = [0u8; 4];
        b.copy_from_slice(bytes);
        f32::from_le_bytes(b)
    }
}

impl Float for f64 {
    const DTYPE: Dtype = Dtype::F64;
    const SIZE: usize = 8;
    fn put_le(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
    fn get_le(bytes: &[u8]) -> Self {
        let mut b = [0u8; 8];
        b.copy_from_slice(bytes);
        f64::from_le_bytes(b)
    }
}

/// One tensor ready to be written: dtype, shape, little-endian bytes.
pub(crate) struct Tensor {
    dtype: Dtype,
    shape: Vec<usize>,
    data: Vec<u8>,
}

impl Tensor {
    /// The elements of `values` (row-major) as a tensor of `shape`, whose
    /// element count must be `values.len()`.
    pub(crate) fn new<T: Float>(values: &[T], shape: Vec<usize>) -> Self {
        debug_assert_eq!(shape.iter().product::<usize>(), values.len());
        let mut data = Vec::with_capacity(values.len() * T::SIZE);
        values.iter().for_each(|&x| x.put_le(&mut data));
        Tensor { dtype: T::DTYPE, shape, data }
    }

    /// A matrix as a 2-D tensor `[rows, cols]`.
    pub(crate) fn matrix<T: Float>(m: &Matrix<T>) -> Self {
        Self::new(m.as_slice(), vec![m.rows(), m.cols()])
    }
}

impl View for &Tensor {
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.data)
    }
    fn data_len(&self) -> usize {
        self.data.len()
    }
}

/// The bytes of a safetensors file holding `tensors` and `metadata`.
pub(crate) fn serialize(
    tensors: &[(String, Tensor)],
    metadata: HashMap<String, String>,
    path: &Path,
) -> Result<Vec<u8>, CheckpointError> {
    safetensors::serialize(tensors.iter().map(|(n, t)| (n.as_str(), t)), Some(metadata))
        .map_err(|e| err(path, CheckpointErrorKind::Format(e.to_string())))
}

/// Writes `bytes` to `path` through a temporary file beside it, so that an
/// interrupted write (a run killed while saving) leaves the previous file
/// whole.
pub(crate) fn write_atomically(bytes: &[u8], path: &Path) -> Result<(), CheckpointError> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".partial");
    let tmp = std::path::PathBuf::from(tmp);
    std::fs::write(&tmp, bytes).map_err(|e| err(path, CheckpointErrorKind::Io(e)))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        err(path, CheckpointErrorKind::Io(e))
    })
}

/// A parsed safetensors file: its tensors and its metadata.
pub(crate) struct Reader<'b> {
    st: SafeTensors<'b>,
    metadata: HashMap<String, String>,
    path: &'b Path,
}

impl<'b> Reader<'b> {
    /// Parses `bytes` (`path` names the file in errors).
    pub(crate) fn new(bytes: &'b [u8], path: &'b Path) -> Result<Self, CheckpointError> {
        let format = |e: safetensors::SafeTensorError| err(path, CheckpointErrorKind::Format(e.to_string()));
        let st = SafeTensors::deserialize(bytes).map_err(format)?;
        let (_, meta) = SafeTensors::read_metadata(bytes).map_err(format)?;
        Ok(Reader { st, metadata: meta.metadata().clone().unwrap_or_default(), path })
    }

    /// The file, for errors.
    pub(crate) fn path(&self) -> &Path {
        self.path
    }

    /// The metadata value of `key`.
    pub(crate) fn meta(&self, key: &str) -> Option<&str> {
        self.metadata.get(key).map(String::as_str)
    }

    /// All metadata.
    pub(crate) fn metadata(&self) -> &HashMap<String, String> {
        &self.metadata
    }

    /// The tensor names, sorted.
    pub(crate) fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.st.names().into_iter().map(str::to_string).collect();
        names.sort();
        names
    }

    /// Whether the file has a tensor called `name`.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.st.tensor(name).is_ok()
    }

    /// The dtype of tensor `name`.
    pub(crate) fn dtype(&self, name: &str) -> Result<Dtype, CheckpointError> {
        let view = self.st.tensor(name).map_err(|e| err(self.path, CheckpointErrorKind::Format(e.to_string())))?;
        Ok(view.dtype())
    }

    /// Tensor `name` as a matrix: a 1-D tensor `[n]` is read as `1 × n`, a
    /// 2-D one as it is. Fails on another dtype than `T`'s, another rank, or a
    /// byte count that does not match the shape.
    pub(crate) fn matrix<T: Float>(&self, name: &str) -> Result<Matrix<T>, CheckpointError> {
        let path = self.path;
        let view = self.st.tensor(name).map_err(|e| err(path, CheckpointErrorKind::Format(e.to_string())))?;
        if view.dtype() != T::DTYPE {
            return Err(err(
                path,
                CheckpointErrorKind::Dtype {
                    tensor: name.to_string(),
                    found: format!("{:?}", view.dtype()),
                    expected: format!("{:?}", T::DTYPE),
                },
            ));
        }
        let (rows, cols) = match *view.shape() {
            [n] => (1, n),
            [r, c] => (r, c),
            _ => {
                return Err(err(
                    path,
                    CheckpointErrorKind::Rank { tensor: name.to_string(), shape: view.shape().to_vec() },
                ))
            }
        };
        let data = view.data();
        if data.len() != rows * cols * T::SIZE {
            return Err(err(
                path,
                CheckpointErrorKind::Format(format!(
                    "tensor `{name}` has {} bytes, its shape {} needs {}",
                    data.len(),
                    shape_str((rows, cols)),
                    rows * cols * T::SIZE
                )),
            ));
        }
        let values: Vec<T> = data.chunks_exact(T::SIZE).map(T::get_le).collect();
        Ok(Matrix::from_vec(rows, cols, values))
    }

    /// Tensor `name` as a flat list of `f64` (any shape).
    pub(crate) fn f64s(&self, name: &str) -> Result<Vec<f64>, CheckpointError> {
        Ok(self.matrix::<f64>(name)?.as_slice().to_vec())
    }
}
