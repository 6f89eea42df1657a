//! # wengert-tape
