//! Checkpoints: parameters, a model, or a whole training run saved to and
//! loaded from a safetensors file.
//!
//! Why safetensors: the format is a little-endian JSON header (names, dtypes,
//! shapes, byte ranges, string metadata) followed by raw tensor bytes, so a
//! checkpoint written here opens in PyTorch, JAX, candle or plain numpy, and
//! reading one never executes code. Three levels, each a superset of the one
//! before:
//!
//! | what | write | read |
//! |---|---|---|
//! | a [`Params`], each parameter a 2-D tensor `[rows, cols]` | [`save`] | [`load`], [`load_into`] |
//! | a model: its [`Linear`](crate::Linear) layers in PyTorch's `nn.Linear` layout ([`layout`]) | [`save_model`] | [`load_model_into`], [`load`] |
//! | a training run: the model, the optimizer's state, the run's history, the data's scaling and classes, the architecture ([`Checkpoint`]) | [`Checkpoint::save`] | [`Checkpoint::load`], and the two above for its parameters |
//!
//! Tensors have dtype `F32` or `F64`. The parameter order (which safetensors
//! does not keep: it sorts by name) goes into the metadata under
//! [`ORDER_KEY`]; a file with that key is read as exactly the tensors it lists
//! (a training checkpoint's other tensors are not parameters), a file without
//! it (written by another program) as all of its tensors, sorted by name.
//!
//! | file | job |
//! |---|---|
//! | `mod.rs` | errors; saving and loading parameters and models |
//! | `format.rs` | [`Float`], tensors to write, the checked reader |
//! | `layout.rs` | PyTorch's `nn.Linear` layout |
//! | `training.rs` | [`Checkpoint`], [`DataInfo`]: everything a run needs to continue or to predict |
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

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use wengert_ops::shape_str;
use wengert_optim::{Params, StateError};

use crate::model::Model;

mod format;
pub mod layout;
pub mod training;

pub use format::Float;
pub use layout::TORCH_LINEAR_KEY;
pub use safetensors::tensor::Dtype;
pub use training::{Checkpoint, DataInfo, HISTORY_COLUMNS};

use format::{serialize, write_atomically, Reader, Tensor};

/// The metadata key holding the parameter names in order, one per line.
pub const ORDER_KEY: &str = "wengert.order";

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
    /// The metadata is missing a key this kind of checkpoint needs, or has
    /// a value that does not parse.
    Metadata {
        /// The key.
        key: String,
        /// What is wrong with it.
        message: String,
    },
    /// The saved optimizer state does not fit the optimizer it is restored
    /// into (another kind, another set of parameters).
    OptimizerState(StateError),
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
            CheckpointErrorKind::Metadata { key, message } => write!(f, "metadata `{key}`: {message}"),
            CheckpointErrorKind::OptimizerState(e) => write!(f, "{e}"),
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
            CheckpointErrorKind::OptimizerState(e) => Some(e),
            _ => None,
        }
    }
}

pub(crate) fn err(path: &Path, kind: CheckpointErrorKind) -> CheckpointError {
    CheckpointError { path: path.to_path_buf(), kind }
}

/// The metadata key that marks a file written by wengert, with the version
/// of its layout, [`FORMAT_VERSION`].
pub const FORMAT_KEY: &str = "wengert.checkpoint";
/// The version of the layout described in this module and in
/// [`Checkpoint`]'s.
pub const FORMAT_VERSION: &str = "1";

/// The metadata every file written here has: the format version, the
/// parameter order, and the layers stored in PyTorch's layout (the key is
/// there even when no layer is, so that its loss is noticed). `format: pt` is
/// what `safetensors.torch.save_file` writes; tools that check it (Hugging Face
/// `transformers`) then accept the file.
fn params_metadata<T: Float>(params: &Params<T>, layers: &[String]) -> HashMap<String, String> {
    let order: Vec<&str> = params.names().collect();
    HashMap::from([
        ("format".to_string(), "pt".to_string()),
        (FORMAT_KEY.to_string(), FORMAT_VERSION.to_string()),
        (ORDER_KEY.to_string(), order.join("\n")),
        (TORCH_LINEAR_KEY.to_string(), layers.join("\n")),
    ])
}

/// The tensors of `params` with `layers` in PyTorch's layout.
fn params_tensors<T: Float>(
    params: &Params<T>,
    layers: &[String],
    path: &Path,
) -> Result<Vec<(String, Tensor)>, CheckpointError> {
    layout::encode(params, layers).map_err(|m| err(path, CheckpointErrorKind::Format(m)))
}

/// `params` as the bytes of a safetensors file (`path` only names the file in
/// errors). Every parameter is stored as it is, `[rows, cols]`.
pub fn to_bytes<T: Float>(params: &Params<T>, path: &Path) -> Result<Vec<u8>, CheckpointError> {
    serialize(&params_tensors(params, &[], path)?, params_metadata(params, &[]), path)
}

/// Writes `params` to `path` as safetensors, creating or replacing the file.
pub fn save<T: Float>(params: &Params<T>, path: impl AsRef<Path>) -> Result<(), CheckpointError> {
    let path = path.as_ref();
    write_atomically(&to_bytes(params, path)?, path)
}

/// The layer names of a model's [`linear_layers`](Model::linear_layers).
pub(crate) fn layer_names<T: Float, M: Model<T> + ?Sized>(model: &M) -> Vec<String> {
    model.linear_layers().iter().map(|l| l.name().to_string()).collect()
}

/// Writes `model`'s parameters to `path`, its [`Linear`](crate::Linear)
/// layers in PyTorch's `nn.Linear` layout ([`layout`]): `fc1.weight` as
/// `[out, in]`, `fc1.bias` as `[out]`, so that
/// `torch.nn.Linear(in, out).load_state_dict(...)` takes them as they are.
///
/// ```
/// use wengert_nn::{checkpoint, Model, TwoLayerNet};
/// let dir = std::env::temp_dir().join(format!("wengert-doc-model-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let net = TwoLayerNet::<f32>::new(4, 8, 3, 0);
/// checkpoint::save_model(&net, dir.join("net.safetensors"))?;
/// // In the file, fc1.weight is [8, 4]; read back, it is 4 × 8 again.
/// let mut other = TwoLayerNet::<f32>::new(4, 8, 3, 1);
/// checkpoint::load_model_into(&mut other, dir.join("net.safetensors"))?;
/// assert_eq!(other.params(), net.params());
/// # std::fs::remove_dir_all(&dir).ok();
/// # Ok::<(), wengert_nn::checkpoint::CheckpointError>(())
/// ```
pub fn save_model<T: Float, M: Model<T> + ?Sized>(model: &M, path: impl AsRef<Path>) -> Result<(), CheckpointError> {
    let path = path.as_ref();
    let layers = layer_names(model);
    let bytes =
        serialize(&params_tensors(model.params(), &layers, path)?, params_metadata(model.params(), &layers), path)?;
    write_atomically(&bytes, path)
}

/// Loads `path` into `model`, which must match it exactly: same names, same
/// shapes, same dtype ([`load_into`]).
pub fn load_model_into<T: Float, M: Model<T> + ?Sized>(
    model: &mut M,
    path: impl AsRef<Path>,
) -> Result<(), CheckpointError> {
    load_into(model.params_mut(), path)
}

/// The parameters in a parsed file: the tensors [`ORDER_KEY`] lists, in that
/// order (all tensors, by name, if the key is absent), with the layers of
/// [`TORCH_LINEAR_KEY`] put back into wengert's layout.
fn read_params<T: Float>(file: &Reader<'_>) -> Result<Params<T>, CheckpointError> {
    let path = file.path();
    // A file of ours says how its layers are laid out; without that key it
    // would be read in the wrong layout, so its absence is damage.
    match file.meta(FORMAT_KEY) {
        Some(FORMAT_VERSION) if file.meta(TORCH_LINEAR_KEY).is_none() => {
            return Err(err(
                path,
                CheckpointErrorKind::Metadata { key: TORCH_LINEAR_KEY.into(), message: "absent".into() },
            ))
        }
        Some(FORMAT_VERSION) | None => {}
        Some(other) => {
            return Err(err(
                path,
                CheckpointErrorKind::Metadata {
                    key: FORMAT_KEY.into(),
                    message: format!("version `{other}`; this wengert reads version {FORMAT_VERSION}"),
                },
            ))
        }
    }
    let names: Vec<String> = match file.meta(ORDER_KEY) {
        Some(order) => order.lines().map(str::to_string).collect(),
        None => file.names(),
    };
    let mut params = Params::new();
    for name in names {
        if !file.has(&name) {
            return Err(err(
                path,
                CheckpointErrorKind::Format(format!("`{ORDER_KEY}` lists `{name}`, which the file does not hold")),
            ));
        }
        let m = file.matrix::<T>(&name)?;
        if params.insert(name.clone(), m).is_some() {
            return Err(err(path, CheckpointErrorKind::Format(format!("`{ORDER_KEY}` lists `{name}` twice"))));
        }
    }
    let layers = layout::parse_layers(file.meta(TORCH_LINEAR_KEY));
    layout::decode(&mut params, &layers).map_err(|m| err(path, CheckpointErrorKind::Format(m)))?;
    Ok(params)
}

/// Parses the bytes of a safetensors file into a [`Params`] (see the
/// [module docs](self) for which tensors are parameters). Every parameter must
/// have dtype `T::DTYPE` and be 1-D (read as `1 × n`) or 2-D.
pub fn from_bytes<T: Float>(bytes: &[u8], path: &Path) -> Result<Params<T>, CheckpointError> {
    read_params(&Reader::new(bytes, path)?)
}

/// Reads the parameters of a checkpoint written by [`save`], [`save_model`]
/// or [`Checkpoint::save`] (or of any safetensors file of 1-D/2-D tensors of
/// dtype `T`).
pub fn load<T: Float>(path: impl AsRef<Path>) -> Result<Params<T>, CheckpointError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| err(path, CheckpointErrorKind::Io(e)))?;
    from_bytes(&bytes, path)
}

/// The dtype a checkpoint's parameters are stored in (`F32` or `F64`), to
/// choose the `T` to load it as. Reads the whole file.
pub fn dtype(path: impl AsRef<Path>) -> Result<Dtype, CheckpointError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| err(path, CheckpointErrorKind::Io(e)))?;
    let file = Reader::new(&bytes, path)?;
    let first = match file.meta(ORDER_KEY) {
        Some(order) => order.lines().next().map(str::to_string),
        None => file.names().into_iter().next(),
    };
    let first = first.ok_or_else(|| err(path, CheckpointErrorKind::Format("the file holds no parameters".into())))?;
    file.dtype(&first)
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
