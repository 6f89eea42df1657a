//! # wengert-optim
#![warn(missing_docs)]
