//! # wengert-nn
//!
//! Neural networks and classic models on the wengert tape, data preparation,
//! the training loop and checkpoints. (The `wengert` command line is built on
//! this crate's public API in the root package; this crate needs no
//! argument parser or plotting library.)
//!
//! A model is plain Rust: named parameters in a [`Params`](wengert_optim::Params)
//! and a forward pass written on tape variables ([`MatVar`](wengert_tape::MatVar)).
//! Each training step records the parameters on a reused tape, runs the forward
//! pass and the loss, sweeps backward once, hands the gradients (by parameter
//! name) to any [`Optimizer`](wengert_optim::Optimizer), and clears the tape.
//!
//! | module | job |
//! |---|---|
//! | [`data`] | datasets, CSV/IDX loaders, standardization, splits, mini-batches, [`prepare`](data::prepare) |
//! | [`model`] | the [`Model`] trait, [`ParamVars`], [`LossKind`], [`Targets`], [`FnModel`] |
//! | [`layers`], [`init`] | [`Linear`], [`Activation`], He/Xavier [`Init`] |
//! | [`models`] | [`TwoLayerNet`], [`LogisticRegression`], [`LinearRegression`], [`MatrixFactorization`] |
//! | [`spec`] | [`ModelSpec`]: a built-in model chosen by value, built for the data |
//! | [`train`] | [`Trainer`](train::Trainer), evaluation, confusion matrix, early stopping, runs that stop and continue, sharpness every k steps |
//! | [`curvature`] | [`LossHessian`](curvature::LossHessian): a model's loss Hessian as an operator for `wengert_optim::spectra` |
//! | [`checkpoint`] | safetensors files: parameters, models in PyTorch's `nn.Linear` layout, whole training runs ([`Checkpoint`](checkpoint::Checkpoint)) |
//!
//! The crate's random numbers come from [`rand`] 0.9, re-exported here so a
//! caller who passes an RNG (to [`Init::matrix`]) uses the same version; the
//! seeded constructors ([`Init::matrix_seeded`], [`Linear::init_seeded`],
//! the models' `seed` arguments) need no RNG at all.
//!
//! See `docs/nn.md` for a walk-through.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod checkpoint;
pub mod curvature;
pub mod data;
pub mod error;
pub mod init;
pub mod layers;
pub mod model;
pub mod models;
pub mod spec;
pub mod train;

pub use error::NnError;
pub use init::Init;
pub use layers::{Activation, Linear};
pub use model::{argmax, FnModel, LossKind, Model, ParamVars, Targets};
pub use models::{LinearRegression, LogisticRegression, MatrixFactorization, TwoLayerNet};
pub use spec::ModelSpec;

/// The `rand` this crate draws with (0.9): an RNG from here always fits
/// [`Init::matrix`] and [`Linear::init`].
pub use rand;

/// The walk-through in `docs/nn.md`, compiled as doc tests so that its code
/// stays correct.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/nn.md")]
pub struct NnGuide;
