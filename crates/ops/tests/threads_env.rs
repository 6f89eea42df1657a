//! `RAYON_NUM_THREADS` sets the GEMM kernel's default thread count and the
//! thread budget. A test binary of its own: the variable is read once per
//! process, at the first use of the count, so nothing may read it earlier.

use wengert_ops::kernels::{available_threads, gemm_float, num_threads, set_num_threads};
use wengert_ops::Matrix;

#[test]
fn rayon_num_threads_is_the_default_thread_count() {
    // The binary's only test: no other thread reads the environment meanwhile
    // (setting a variable while another thread reads one is what makes
    // `set_var` unsafe in edition 2024).
    std::env::set_var("RAYON_NUM_THREADS", "3");
    assert_eq!(available_threads(), 3);
    assert_eq!(num_threads(), 3, "the kernel's default follows the variable");
    // A product on 3 requested threads is still right.
    let a = Matrix::from_fn(200, 150, |i, j| ((i * 7 + j * 3) % 13) as f64 - 6.0);
    let b = Matrix::from_fn(150, 120, |i, j| ((i * 5 + j) % 11) as f64 - 5.0);
    let mut c = vec![0.0; 200 * 120];
    gemm_float(false, 200, 120, 150, a.view(false), b.view(false), &mut c);
    let mut expected = vec![0.0; 200 * 120];
    wengert_ops::kernels::gemm_fallback(false, 200, 120, 150, a.view(false), b.view(false), &mut expected);
    assert_eq!(c, expected, "integer-valued products are exact in any order");
    // An explicit setting wins over the variable.
    set_num_threads(1);
    assert_eq!(num_threads(), 1);
    // Values rayon ignores are ignored here too.
    for ignored in ["0", "two", ""] {
        std::env::set_var("RAYON_NUM_THREADS", ignored);
        assert_eq!(available_threads(), std::thread::available_parallelism().map_or(1, |n| n.get()), "{ignored:?}");
    }
}
