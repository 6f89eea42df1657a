//! Conversions between [`Matrix`](crate::Matrix) and the matrix types of other
//! crates, each behind a cargo feature of the crate's name, all off by default:
//!
//! | feature | their type | layout | to theirs | from theirs |
//! |---|---|---|---|---|
//! | `ndarray` | `Array2<T>`, `ArrayView2<T>` | row-major (C order), like ours | zero-copy (`Array2::from(m)` takes the storage when it is not shared; `m.as_ndarray()` is a view) | zero-copy for a standard-layout `Array2`; a copy otherwise |
//! | `nalgebra` | `DMatrix<T>`, any `nalgebra::Matrix` | column-major | a copy that reorders (`DMatrix::from(&m)`), or zero-copy **as the transpose** (`m.as_nalgebra_transposed()`, a view; `m.into_nalgebra_transposed()`, owned) | a copy that reorders (`Matrix::from(&dm)`) |
//! | `faer` | `Mat<T>`, `MatRef<T>` | column-major | a copy that reorders (`Mat::from(&m)`), or zero-copy as a strided view (`m.as_faer()`) | a copy that reorders (`Matrix::from(mat.as_ref())`) |
//!
//! Why features: each crate is large (faer alone compiles for minutes), and a
//! user of one should not build the others; `wengert-ops` itself depends on
//! none of them.
//!
//! Why "zero-copy where possible": [`Matrix`](crate::Matrix) is row-major in one
//! `Arc<Vec<T>>`. ndarray's default layout is the same, so an owned array
//! and a matrix can hand their `Vec` to each other. nalgebra and faer store
//! columns contiguously: an owned matrix of theirs holding the same elements
//! must reorder them (one pass, `rows × cols` element copies). faer accepts
//! **strided views**, so a `Matrix` is read by its algorithms in place; to
//! nalgebra the row-major buffer is handed without a copy as the transpose
//! (its kernels mishandle row strides above 1; the module says more).
//!
//! Every conversion keeps the shape and element `(i, j)`; the round trips are
//! tested in `tests/interop.rs` (run with `--all-features`).

#[cfg(feature = "faer")]
mod faer;
#[cfg(feature = "nalgebra")]
mod nalgebra;
#[cfg(feature = "ndarray")]
mod ndarray;
