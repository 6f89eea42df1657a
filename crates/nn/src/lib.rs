//! # wengert-nn
#![warn(missing_docs)]

pub mod data;
