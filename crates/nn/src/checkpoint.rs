//! Checkpoints: a [`Params`] saved to and loaded from a safetensors file.
//!
//! Why safetensors: the format is a little-endian JSON header (names, dtypes,
//! shapes, byte ranges) followed by raw tensor bytes, so a checkpoint written
//! here opens in PyTorch, JAX or candle, and reading one never executes code.
//! Each parameter is stored as a 2-D tensor `[rows, cols]` of dtype `F32` or
//! `F64`; the parameter order (which safetensors does not keep: it sorts by
//! name) goes into the header's metadata under `wengert.order`.
//!
//! Loading never panics on a bad file: a truncated, corrupted or mismatched file
//! (a missing or extra tensor, a wrong shape, a wrong dtype) is a
//! [`CheckpointError`] whose message names the file and the tensor.
//!
//! ```
//! use wengert_nn::checkpoint;
//! use wengert_ops::Matrix;
//! use wengert_optim::Params;
//!
//! let dir = std::env::temp_dir().join(format!("wengert-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let path = dir.join("model.safetensors");
//! let params = Params::<f32>::new()
//!     .with("fc1.weight", Matrix::from_rows(&[[1.0, 2.0], [3.0, 4.0]]))
//!     .with("fc1.bias", Matrix::from_rows(&[[0.5, -0.5]]));
//! checkpoint::save(&params, &path)?;
//! assert_eq!(checkpoint::load::<f32>(&path)?, params);
//!
//! // Loading into a model checks names and shapes.
//! let mut wrong = Params::<f32>::new().with("fc1.weight", Matrix::zeros(3, 2));
//! let err = checkpoint::load_into(&mut wrong, &path).unwrap_err();
//! assert!(err.to_string().contains("`fc1.weight` has shape (2×2), the model expects (3×2)"), "{err}");
//! // And the dtype: an f32 file is not an f64 checkpoint.
//! assert!(checkpoint::load::<f64>(&path).unwrap_err().to_string().contains("dtype F32"));
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok::<(), wengert_nn::checkpoint::CheckpointError>(())
//! ```

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use safetensors::tensor::{Dtype, SafeTensors, View};
use wengert_ops::{shape_str, Matrix, Scalar};
use wengert_optim::Params;

/// The metadata key holding the parameter names in order, one per line.
pub const ORDER_KEY: &str = "wengert.order";

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// A float type a checkpoint can hold: `f32` (dtype `F32`) or `f64` (`F64`).
pub trait Float: Scalar + sealed::Sealed {
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

/// Why a checkpoint could not be written or read; [`path`](Self::path) says
/// which file.
#[derive(Debug)]
pub struct CheckpointError {
    /// The checkpoint file.
    pub path: PathBuf,
    /// What is wrong.
    pub kind: CheckpointErrorKind,
}

/// What is wrong with a checkpoint (see [`CheckpointError`]).
#[derive(Debug)]
#[non_exhaustive]
pub enum CheckpointErrorKind {
    /// Reading or writing the file failed.
    Io(io::Error),
    /// The file is not valid safetensors (truncated, corrupted header, …);
    /// the message is the parser's.
    Format(String),
    /// A tensor has a dtype other than the one asked for.
    Dtype {
        /// The tensor.
        tensor: String,
        /// Its dtype in the file.
        found: String,
        /// The dtype the caller asked for.
        expected: String,
    },
    /// A tensor is not 1-D or 2-D.
    Rank {
        /// The tensor.
        tensor: String,
        /// Its shape in the file.
        shape: Vec<usize>,
    },
    /// The model has a parameter the file lacks.
    MissingTensor {
        /// The parameter.
        name: String,
    },
    /// The file has a tensor the model does not.
    UnexpectedTensor {
        /// The tensor.
        name: String,
    },
    /// A tensor's shape differs from the model's parameter.
    Shape {
        /// The tensor.
        tensor: String,
        /// Its shape in the file.
        found: (usize, usize),
        /// The model's shape.
        expected: (usize, usize),
    },
}

impl fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "checkpoint {}: ", self.path.display())?;
        match &self.kind {
            CheckpointErrorKind::Io(e) => write!(f, "{e}"),
            CheckpointErrorKind::Format(m) => write!(f, "not a valid safetensors file: {m}"),
            CheckpointErrorKind::Dtype { tensor, found, expected } => {
                write!(f, "tensor `{tensor}` has dtype {found}, expected {expected}")
            }
            CheckpointErrorKind::Rank { tensor, shape } => {
                write!(f, "tensor `{tensor}` has shape {shape:?}; only 1-D and 2-D tensors are parameters")
            }
            CheckpointErrorKind::MissingTensor { name } => write!(f, "no tensor `{name}`, which the model needs"),
            CheckpointErrorKind::UnexpectedTensor { name } => {
                write!(f, "tensor `{name}` is not a parameter of the model")
            }
            CheckpointErrorKind::Shape { tensor, found, expected } => write!(
                f,
                "tensor `{tensor}` has shape {}, the model expects {}",
                shape_str(*found),
                shape_str(*expected)
            ),
        }
    }
}

impl std::error::Error for CheckpointError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            CheckpointErrorKind::Io(e) => Some(e),
            _ => None,
        }
    }
}

fn err(path: &Path, kind: CheckpointErrorKind) -> CheckpointError {
    CheckpointError { path: path.to_path_buf(), kind }
}

/// One tensor ready to be written.
struct TensorBytes {
    dtype: Dtype,
    shape: [usize; 2],
    data: Vec<u8>,
}

impl View for &TensorBytes {
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

/// `params` as the bytes of a safetensors file (`path` only names the file in
/// errors).
pub fn to_bytes<T: Float>(params: &Params<T>, path: &Path) -> Result<Vec<u8>, CheckpointError> {
    let tensors: Vec<(String, TensorBytes)> = params
        .iter()
        .map(|(name, m)| {
            let mut data = Vec::with_capacity(m.len() * T::SIZE);
            m.iter().for_each(|&x| x.put_le(&mut data));
            (name.to_string(), TensorBytes { dtype: T::DTYPE, shape: [m.rows(), m.cols()], data })
        })
        .collect();
    let order: Vec<&str> = params.names().collect();
    let meta = HashMap::from([(ORDER_KEY.to_string(), order.join("\n"))]);
    safetensors::serialize(tensors.iter().map(|(n, t)| (n.as_str(), t)), Some(meta))
        .map_err(|e| err(path, CheckpointErrorKind::Format(e.to_string())))
}

/// Writes `params` to `path` as safetensors, creating or replacing the file.
pub fn save<T: Float>(params: &Params<T>, path: impl AsRef<Path>) -> Result<(), CheckpointError> {
    let path = path.as_ref();
    let bytes = to_bytes(params, path)?;
    std::fs::write(path, bytes).map_err(|e| err(path, CheckpointErrorKind::Io(e)))
}

/// Parses the bytes of a safetensors file into a [`Params`], in the saved
/// order (by name if the file has no `wengert.order` metadata). Every tensor
/// must have dtype `T::DTYPE` and be 1-D (read as `1 × n`) or 2-D.
pub fn from_bytes<T: Float>(bytes: &[u8], path: &Path) -> Result<Params<T>, CheckpointError> {
    let st = SafeTensors::deserialize(bytes).map_err(|e| err(path, CheckpointErrorKind::Format(e.to_string())))?;
    let mut names: Vec<String> = st.names().into_iter().map(str::to_string).collect();
    names.sort();
    let (_, meta) =
        SafeTensors::read_metadata(bytes).map_err(|e| err(path, CheckpointErrorKind::Format(e.to_string())))?;
    if let Some(order) = meta.metadata().as_ref().and_then(|m| m.get(ORDER_KEY)) {
        let listed: Vec<String> = order.lines().map(str::to_string).collect();
        let mut sorted = listed.clone();
        sorted.sort();
        // Use the saved order only when it lists exactly the tensors present.
        if sorted == names {
            names = listed;
        }
    }
    let mut params = Params::new();
    for name in names {
        let view = st.tensor(&name).map_err(|e| err(path, CheckpointErrorKind::Format(e.to_string())))?;
        if view.dtype() != T::DTYPE {
            return Err(err(
                path,
                CheckpointErrorKind::Dtype {
                    tensor: name,
                    found: format!("{:?}", view.dtype()),
                    expected: format!("{:?}", T::DTYPE),
                },
            ));
        }
        let (rows, cols) = match *view.shape() {
            [n] => (1, n),
            [r, c] => (r, c),
            _ => return Err(err(path, CheckpointErrorKind::Rank { tensor: name, shape: view.shape().to_vec() })),
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
        params.insert(name, Matrix::from_vec(rows, cols, values));
    }
    Ok(params)
}

/// Reads a checkpoint written by [`save`] (or any safetensors file of 1-D/2-D
/// tensors of dtype `T`).
pub fn load<T: Float>(path: impl AsRef<Path>) -> Result<Params<T>, CheckpointError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| err(path, CheckpointErrorKind::Io(e)))?;
    from_bytes(&bytes, path)
}

/// Checks that `loaded` has exactly the names and shapes of `model`, then copies
/// its values into `model` (in place, keeping the model's order).
pub fn assign<T: Float>(model: &mut Params<T>, loaded: &Params<T>, path: &Path) -> Result<(), CheckpointError> {
    for (name, m) in model.iter() {
        let l = loaded.get(name).ok_or_else(|| err(path, CheckpointErrorKind::MissingTensor { name: name.into() }))?;
        if l.shape() != m.shape() {
            return Err(err(
                path,
                CheckpointErrorKind::Shape { tensor: name.into(), found: l.shape(), expected: m.shape() },
            ));
        }
    }
    if let Some(extra) = loaded.names().find(|n| !model.contains(n)) {
        return Err(err(path, CheckpointErrorKind::UnexpectedTensor { name: extra.into() }));
    }
    for (name, m) in model.iter_mut() {
        let l = loaded.get(name).expect("checked above");
        m.as_mut_slice().copy_from_slice(l.as_slice());
    }
    Ok(())
}

/// Loads `path` into an existing parameter set (a freshly built model's),
/// which must match it exactly: same names, same shapes, same dtype. On error
/// `model` is left unchanged.
pub fn load_into<T: Float>(model: &mut Params<T>, path: impl AsRef<Path>) -> Result<(), CheckpointError> {
    let path = path.as_ref();
    let loaded = load::<T>(path)?;
    assign(model, &loaded, path)
}
