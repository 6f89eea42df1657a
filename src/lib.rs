//! # wengert
//!
//! Reverse-mode automatic differentiation with a tape, in Rust: write a model as
//! an ordinary closure over tape variables, call `backward()` once, read every
//! gradient. The same model code, written against [`Real`](prelude::Real), runs
//! on plain floats and on dual numbers (forward mode) too.
//!
//! This crate re-exports the workspace:
//!
//! | crate | job |
//! |---|---|
//! | [`ops`] | `Scalar`/`Real` traits, `Matrix`, kernels, local derivative rules |
//! | [`dual`] | forward-mode numbers: `Dual`, `DualVec` and their rules |
//! | [`tape`] | the tape, `Var`, `MatVar`, `Gradients`, every transform (`tape::transforms`), gradient checking |
//! | [`optim`] | optimizers, schedules, clipping, second-order and constrained methods |
//! | [`nn`] | data loading, layers, models, training loop, checkpoints |
//!
//! ```
//! use wengert::prelude::*;
//! let tape = Tape::new();
//! let (x, y) = (tape.var(1.0), tape.var(2.0));
//! let f = (x + y) * x.sigmoid();
//! let g = tape.backward(f);
//! println!("df/dx = {}, df/dy = {}", g[x], g[y]);
//! ```

pub use wengert_dual as dual;
pub use wengert_nn as nn;
pub use wengert_ops as ops;
pub use wengert_optim as optim;
pub use wengert_tape as tape;

/// The `rand` (0.9) wengert draws with. Pass an RNG made from it to
/// [`Matrix::random_normal`](ops::Matrix::random_normal) or
/// [`Init::matrix`](nn::Init::matrix), and the versions always match — or
/// use the seeded constructors ([`Matrix::random_normal_seeded`](ops::Matrix::random_normal_seeded),
/// [`Init::matrix_seeded`](nn::Init::matrix_seeded)) and need no RNG at all.
///
/// ```
/// use wengert::prelude::*;
/// use wengert::rand::{rngs::StdRng, SeedableRng};
/// let a: Matrix<f64> = Matrix::random_normal(2, 3, 0.0, 1.0, &mut StdRng::seed_from_u64(7));
/// assert_eq!(a, Matrix::random_normal_seeded(2, 3, 0.0, 1.0, 7));
/// ```
pub use rand;

/// Everything a model needs, in one `use wengert::prelude::*;`: the number
/// types, the tape and every transform (`grad`, `value_and_grad`, `vjp`, `jvp`,
/// `jacfwd`, `jacrev`, `jacobian`, `hvp`, `hessian`, `value_grad_hessian`, the
/// matrix family `grad_matrices` … `hessian_matrices`, the function-returning
/// forms in `fns`, the `Objective` trait), the optimizers and schedules (with
/// `value_and_grad_params` and `hvp_params` for named parameters), and the
/// neural-network essentials (models, layers, training, evaluation,
/// checkpoints, data).
///
/// ```
/// use wengert::prelude::*;
///
/// let data = DataSource::from_name_or_path("iris").unwrap().load()?;
/// let target = data.target_kind();
/// let iris = prepare(data, target, 0.2, 0)?;
/// let mut net = TwoLayerNet::<f64>::new(4, 16, 3, 0);
/// let mut adam = Adam::new().lr(0.02);
/// let config = TrainConfig { epochs: 30, batch_size: 16, ..TrainConfig::default() };
/// Trainer::new(config).fit(&mut net, &mut adam, &iris.train, None)?;
/// let ev = evaluate(&net, &iris.test)?;
/// assert!(ev.accuracy.unwrap() > 0.9, "{ev}");
/// # Ok::<(), NnError>(())
/// ```
pub mod prelude {
    pub use wengert_dual::{Dual, DualVec};
    pub use wengert_nn::checkpoint::Checkpoint;
    pub use wengert_nn::data::{prepare, DataSource, Dataset};
    pub use wengert_nn::train::{evaluate, predict, TrainConfig, TrainState, Trainer};
    pub use wengert_nn::{
        Activation, FnModel, Init, Linear, LinearRegression, LogisticRegression, Model, ModelSpec, NnError, ParamVars,
        Targets, TwoLayerNet,
    };
    pub use wengert_ops::{MatOp, Matrix, Real, Scalar};
    pub use wengert_optim::{
        clip_grad_norm, hvp_params, value_and_grad_params, AdaGrad, Adam, AdamW, Lion, Momentum, Nesterov, Optimizer,
        Params, RmsProp, Schedule, Sgd, WarmupCosine,
    };
    pub use wengert_tape::transforms::*;
    pub use wengert_tape::{
        check_gradient, gradcheck, numerical_gradient, numerical_hessian, GradCheck, Gradients, MatVar, Tape, Var,
    };
}

/// The README's code blocks, compiled and run as doctests so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
