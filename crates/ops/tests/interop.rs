//! Conversions to and from ndarray, nalgebra and faer (features of the same
//! names; `cargo test -p wengert-ops --all-features` runs these): every shape
//! and element survives a round trip, and the conversions documented as
//! zero-copy share the buffer.
#![cfg(any(feature = "ndarray", feature = "nalgebra", feature = "faer"))]

use wengert_ops::Matrix;

/// Shapes that catch a transposed stride or an empty edge case.
const SHAPES: [(usize, usize); 6] = [(1, 1), (2, 3), (3, 2), (5, 1), (0, 3), (3, 0)];

fn sample(rows: usize, cols: usize) -> Matrix<f64> {
    Matrix::from_fn(rows, cols, |i, j| (10 * i + j) as f64 + 0.5)
}

#[cfg(feature = "ndarray")]
mod ndarray_interop {
    use ndarray::{s, Array2, ShapeBuilder};

    use super::*;

    #[test]
    fn round_trips_keep_shape_and_elements() {
        for (r, c) in SHAPES {
            let m = sample(r, c);
            let a = Array2::from(m.clone());
            assert_eq!(a.dim(), (r, c));
            for ((i, j), &x) in a.indexed_iter() {
                assert_eq!(x, m[(i, j)]);
            }
            assert_eq!(m.as_ndarray(), a.view());
            assert_eq!(Matrix::from(a), m, "{r}×{c}");
        }
    }

    #[test]
    fn owned_conversions_move_the_buffer_and_copy_only_when_they_must() {
        let m = sample(3, 4);
        let ptr = m.as_slice().as_ptr();
        let a = Array2::from(m);
        assert_eq!(a.as_ptr(), ptr, "an unshared matrix gives its buffer away");
        let back = Matrix::from(a);
        assert_eq!(back.as_slice().as_ptr(), ptr, "and a standard-layout array gives it back");
        // Shared storage is copied, and the other owner keeps its data.
        let shared = back.clone();
        let a = Array2::from(back);
        assert_ne!(a.as_ptr(), shared.as_slice().as_ptr());
        assert_eq!(Matrix::from(a), shared);
    }

    #[test]
    fn other_layouts_are_copied_in_row_major_order() {
        let column_major = Array2::from_shape_vec((2, 3).f(), vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]).unwrap();
        let expected = Matrix::from_rows(&[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
        assert_eq!(Matrix::from(column_major), expected);
        let big = Array2::from_shape_fn((4, 3), |(i, j)| (i * 3 + j + 1) as f64 - 3.0);
        assert_eq!(Matrix::from(big.clone().slice_move(s![1..3, ..])), expected, "a standard-layout slice");
        assert_eq!(Matrix::from(big.slice(s![1..3, ..])), expected, "a view");
        assert_eq!(Matrix::from(big.slice(s![1..3;1, ..;1]).reversed_axes()), expected.transpose(), "transposed");
    }
}

#[cfg(feature = "nalgebra")]
mod nalgebra_interop {
    use nalgebra::{DMatrix, Dyn, Matrix3x2, MatrixView};

    use super::*;

    #[test]
    fn round_trips_keep_shape_and_elements() {
        for (r, c) in SHAPES {
            let m = sample(r, c);
            let d = DMatrix::from(&m);
            assert_eq!(d.shape(), (r, c));
            for i in 0..r {
                for j in 0..c {
                    assert_eq!(d[(i, j)], m[(i, j)]);
                }
            }
            assert_eq!(m.as_nalgebra_transposed(), d.transpose(), "the view reads the transpose");
            assert_eq!(Matrix::from(&d), m, "{r}×{c}");
            assert_eq!(Matrix::from(d), m);
            assert_eq!(Matrix::from(&m.clone().into_nalgebra_transposed()), m.transpose());
            assert_eq!(Matrix::from(&m.as_nalgebra_transposed().transpose()), m);
        }
    }

    #[test]
    fn the_transposed_forms_do_not_copy_and_nalgebra_computes_on_them() {
        let m = sample(3, 2);
        assert_eq!(m.as_nalgebra_transposed().as_ptr(), m.as_slice().as_ptr());
        let ptr = m.as_slice().as_ptr();
        let t = m.into_nalgebra_transposed();
        assert_eq!(t.as_ptr(), ptr);
        // Aᵀ·b and Aᵀ·A through nalgebra agree with ours, at small sizes (its
        // matrix-vector kernels) and large ones (matrixmultiply).
        for (r, c) in [(2, 3), (9, 7)] {
            let a = Matrix::from_fn(r, c, |i, j| ((i * c + j) as f32 * 0.37).sin());
            let b = Matrix::from_fn(r, 1, |i, _| i as f32 - 1.0);
            let atb = a.as_nalgebra_transposed() * DMatrix::from(&b);
            assert!(Matrix::from(&atb).max_abs_diff(&a.transpose().matmul(&b)) < 1e-5);
            let ata = a.as_nalgebra_transposed() * a.as_nalgebra_transposed().transpose();
            assert!(Matrix::from(&ata).max_abs_diff(&a.transpose().matmul(&a)) < 1e-5);
        }
        let fixed = Matrix3x2::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0);
        assert_eq!(Matrix::from(&fixed), Matrix::from_rows(&[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]));
    }

    /// Why `Matrix` offers nalgebra no row-major strided view: nalgebra's
    /// matrix-vector product runs a strided column for the length of the memory
    /// it spans, past the output's end when the row stride exceeds 1 (a debug
    /// build aborts on the out-of-bounds access). Kept, ignored, as the record;
    /// run it to see whether a newer nalgebra fixed it.
    #[test]
    #[ignore = "nalgebra 0.33 axcpy reads out of bounds on row-strided views (a debug build aborts)"]
    fn nalgebra_mishandles_row_strided_views() {
        let a = Matrix::from_rows(&[[2.0, 1.0], [1.0, 3.0]]);
        let view = MatrixView::<f64, Dyn, Dyn, Dyn, Dyn>::from_slice_with_strides(a.as_slice(), 2, 2, 2, 1);
        let b = DMatrix::from_row_slice(2, 1, &[1.0, 2.0]);
        assert_eq!(Matrix::from(&(view * b)), Matrix::from_rows(&[[4.0], [7.0]]));
    }
}

#[cfg(feature = "faer")]
mod faer_interop {
    use faer::Mat;

    use super::*;

    #[test]
    fn round_trips_keep_shape_and_elements() {
        for (r, c) in SHAPES {
            let m = sample(r, c);
            let f = Mat::from(&m);
            assert_eq!((f.nrows(), f.ncols()), (r, c));
            for i in 0..r {
                for j in 0..c {
                    assert_eq!(f[(i, j)], m[(i, j)]);
                    assert_eq!(m.as_faer()[(i, j)], m[(i, j)]);
                }
            }
            assert_eq!(Matrix::from(&f), m, "{r}×{c}");
            assert_eq!(Matrix::from(m.as_faer()), m);
            assert_eq!(Matrix::from(f.transpose()), m.transpose());
            assert_eq!(Matrix::from(Mat::from(m.clone())), m);
        }
    }

    #[test]
    fn the_view_does_not_copy_and_faer_computes_on_it() {
        let a = Matrix::from_rows(&[[2.0, 1.0, 0.0], [1.0, 3.0, 1.0]]);
        let v = a.as_faer();
        assert_eq!(v.as_ptr(), a.as_slice().as_ptr());
        let b = Matrix::from_rows(&[[1.0], [2.0], [3.0]]);
        assert_eq!(Matrix::from((v * b.as_faer()).as_ref()), a.matmul(&b));
    }
}

/// The example of docs/ops.md ("Interop"), as written there.
#[cfg(all(feature = "ndarray", feature = "nalgebra", feature = "faer"))]
#[test]
fn the_docs_example_runs() {
    let a = Matrix::from_rows(&[[4.0, 1.0], [1.0, 3.0]]);
    let view = a.as_faer(); // zero-copy; faer reads the strides
    let array = ndarray::Array2::from(a.clone()); // zero-copy when `a` is not shared
    let d = nalgebra::DMatrix::from(&a); // a copy, reordered to columns
    assert_eq!(Matrix::from(&d), a);
    assert_eq!((view[(0, 1)], array[[1, 0]]), (1.0, 1.0));
}
