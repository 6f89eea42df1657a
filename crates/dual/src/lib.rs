//! # wengert-dual
//!
//! Forward-mode automatic differentiation with dual numbers.
#![warn(missing_docs)]
