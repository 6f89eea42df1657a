//! # wengert-nn
#![warn(missing_docs)]
