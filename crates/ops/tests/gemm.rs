//! The tuned `f32`/`f64` matrix product against the portable loop, on random
//! shapes (empty, 1, odd, large enough to take the tuned path), with transposed
//! operands and with accumulation on and off.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use wengert_ops::kernels::{
    gemm_fallback, gemm_float, gemm_tuned, num_threads, set_num_threads, with_num_threads, TunedFloat,
};
use wengert_ops::{Matrix, Scalar, Strided};

/// A strided view of `m` (`rows × cols` as stored), transposed if asked.
fn view<T>(m: &Matrix<T>, transposed: bool) -> Strided<'_, T> {
    m.view(transposed)
}

fn check_shape<T: TunedFloat>(rng: &mut StdRng, m: usize, n: usize, k: usize, ta: bool, tb: bool, tol: f64) {
    // Stored shapes: op(a) is m×k, op(b) is k×n.
    let a: Matrix<T> =
        if ta { Matrix::random_normal(k, m, 0.0, 1.0, rng) } else { Matrix::random_normal(m, k, 0.0, 1.0, rng) };
    let b: Matrix<T> =
        if tb { Matrix::random_normal(n, k, 0.0, 1.0, rng) } else { Matrix::random_normal(k, n, 0.0, 1.0, rng) };
    let c0: Matrix<T> = Matrix::random_normal(m, n, 0.0, 1.0, rng);
    for accumulate in [false, true] {
        let mut want = c0.as_slice().to_vec();
        gemm_fallback(accumulate, m, n, k, view(&a, ta), view(&b, tb), &mut want);
        for tuned in [true, false] {
            let mut got = c0.as_slice().to_vec();
            if tuned {
                gemm_tuned(accumulate, m, n, k, view(&a, ta), view(&b, tb), &mut got);
            } else {
                gemm_float(accumulate, m, n, k, view(&a, ta), view(&b, tb), &mut got);
            }
            for (idx, (g, w)) in got.iter().zip(&want).enumerate() {
                let (g, w) = (g.value(), w.value());
                // Sums of k products of N(0,1) values: scale the tolerance by √k.
                let scale = 1.0 + (k as f64).sqrt();
                assert!(
                    (g - w).abs() <= tol * scale,
                    "m={m} n={n} k={k} ta={ta} tb={tb} acc={accumulate} tuned={tuned}: [{idx}] {g} vs {w}"
                );
            }
            if !accumulate && k == 0 {
                assert!(got.iter().all(|x| x.value() == 0.0), "an empty sum must give zeros");
            }
        }
    }
}

fn random_shapes<T: TunedFloat>(seed: u64, tol: f64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let dims = [0usize, 1, 2, 3, 7, 16, 33, 64, 97];
    for _ in 0..120 {
        let m = dims[rng.random_range(0..dims.len())];
        let n = dims[rng.random_range(0..dims.len())];
        let k = dims[rng.random_range(0..dims.len())];
        let (ta, tb) = (rng.random_bool(0.5), rng.random_bool(0.5));
        check_shape::<T>(&mut rng, m, n, k, ta, tb, tol);
    }
    // Every transpose combination on one odd, non-square, above-threshold shape.
    for ta in [false, true] {
        for tb in [false, true] {
            check_shape::<T>(&mut rng, 37, 29, 41, ta, tb, tol);
            check_shape::<T>(&mut rng, 1, 29, 41, ta, tb, tol);
            check_shape::<T>(&mut rng, 37, 1, 41, ta, tb, tol);
            check_shape::<T>(&mut rng, 37, 29, 1, ta, tb, tol);
        }
    }
}

#[test]
fn tuned_f64_matches_fallback_on_random_shapes() {
    random_shapes::<f64>(1, 1e-12);
}

#[test]
fn tuned_f32_matches_fallback_on_random_shapes() {
    random_shapes::<f32>(2, 1e-4);
}

#[test]
fn scalar_gemm_dispatch_agrees_with_known_product() {
    // [[1,2],[3,4]]·[[5,6],[7,8]] = [[19,22],[43,50]], via the trait hook.
    let a = Matrix::from_rows(&[[1.0f64, 2.0], [3.0, 4.0]]);
    let b = Matrix::from_rows(&[[5.0f64, 6.0], [7.0, 8.0]]);
    let mut c = vec![1.0; 4];
    <f64 as Scalar>::gemm(true, 2, 2, 2, a.view(false), b.view(false), &mut c);
    assert_eq!(c, vec![20.0, 23.0, 44.0, 51.0]);
    // Big enough for the tuned path: 32×32 identity times B gives B.
    let id: Matrix<f32> = Matrix::identity(32);
    let mut rng = StdRng::seed_from_u64(3);
    let b: Matrix<f32> = Matrix::random_normal(32, 32, 0.0, 1.0, &mut rng);
    let mut c = vec![0.0f32; 32 * 32];
    <f32 as Scalar>::gemm(false, 32, 32, 32, id.view(false), b.view(false), &mut c);
    assert_eq!(c, b.as_slice());
}

#[test]
fn threads_setting_round_trips_and_multithreaded_product_is_correct() {
    // The default comes from RAYON_NUM_THREADS (tests/threads_env.rs), else 1.
    let from_env = std::env::var("RAYON_NUM_THREADS").ok().and_then(|v| v.parse::<usize>().ok()).filter(|&n| n > 0);
    assert_eq!(num_threads(), from_env.unwrap_or(1), "default");
    set_num_threads(2);
    assert_eq!(num_threads(), 2);
    let mut rng = StdRng::seed_from_u64(4);
    check_shape::<f64>(&mut rng, 300, 200, 250, false, true, 1e-12);
    // A scope of one thread: the product runs single-threaded, the global is kept.
    with_num_threads(1, || {
        assert_eq!(num_threads(), 1);
        check_shape::<f64>(&mut rng, 300, 200, 250, false, true, 1e-12);
    });
    assert_eq!(num_threads(), 2);
    // Other threads see the global count, not this thread's scope.
    with_num_threads(3, || {
        assert_eq!(num_threads(), 3);
        assert_eq!(std::thread::spawn(num_threads).join().unwrap(), 2);
        assert_eq!(with_num_threads(0, num_threads), 1, "0 means 1 in a scope too");
        assert_eq!(num_threads(), 3, "nested scopes restore the outer one");
    });
    // A panic inside the scope restores the setting too.
    let caught = std::panic::catch_unwind(|| with_num_threads(5, || panic!("inside")));
    assert!(caught.is_err());
    assert_eq!(num_threads(), 2);
    set_num_threads(0);
    assert_eq!(num_threads(), 1, "0 means 1");
}

#[test]
#[should_panic(expected = "gemm: lhs view 3×4 with strides (4, 1) reaches element 11, but holds 10")]
fn tuned_kernel_rejects_a_view_that_reads_out_of_bounds() {
    let data = vec![0.0f64; 10];
    let a = Strided { data: &data, row_stride: 4, col_stride: 1 };
    let b_data = vec![0.0f64; 8];
    let b = Strided { data: &b_data, row_stride: 2, col_stride: 1 };
    let mut c = vec![0.0f64; 6];
    gemm_tuned(false, 3, 2, 4, a, b, &mut c);
}

#[test]
#[should_panic(expected = "gemm: output buffer holds 5 elements, expected 3×2")]
fn tuned_kernel_rejects_a_short_output() {
    let a = vec![0.0f64; 12];
    let b = vec![0.0f64; 8];
    let mut c = vec![0.0f64; 5];
    gemm_tuned(
        false,
        3,
        2,
        4,
        Strided { data: &a, row_stride: 4, col_stride: 1 },
        Strided { data: &b, row_stride: 2, col_stride: 1 },
        &mut c,
    );
}
