//! GEMM throughput: the `gemm` crate (what `wengert-ops` uses for `f32`/`f64`)
//! against `matrixmultiply`, and against the portable loop at small sizes (which
//! sets `kernels::SMALL_GEMM_FLOPS`). Throughput is reported as elements/s where
//! one element is one floating-point operation (`2·m·n·k` per product), so
//! criterion's `Gelem/s` reads as GFLOP/s.
//!
//! Shapes: square 64, 256, 512; the MLP forward product `256×784 · 784×128`; the
//! weight gradient `Xᵀ·G` with `X` 256×784 stored row-major and read transposed,
//! `784×256 · 256×128`; and squares 4..64 for the small-size crossover.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::time::Duration;
use wengert_ops::kernels::{gemm_fallback, gemm_tuned, TunedFloat};
use wengert_ops::{Matrix, Strided};

use rand::rngs::StdRng;
use rand::SeedableRng;

/// One benchmark case: `op(a)` is `m×k`, `b` is `k×n`; `a` stored transposed if `ta`.
struct Case {
    label: String,
    m: usize,
    n: usize,
    k: usize,
    ta: bool,
}

/// The element-type specific `matrixmultiply` entry point.
trait MmFloat: TunedFloat {
    /// `c = a·b` through `matrixmultiply`.
    fn mm(m: usize, n: usize, k: usize, a: Strided<'_, Self>, b: Strided<'_, Self>, c: &mut [Self]);
}

/// Panics unless an `rows × cols` strided view stays inside its slice.
fn assert_in_bounds<T>(v: &Strided<'_, T>, rows: usize, cols: usize) {
    if rows > 0 && cols > 0 {
        assert!((rows - 1) * v.row_stride + (cols - 1) * v.col_stride < v.data.len(), "view out of bounds");
    }
}

macro_rules! impl_mm {
    ($t:ty, $f:path) => {
        impl MmFloat for $t {
            fn mm(m: usize, n: usize, k: usize, a: Strided<'_, Self>, b: Strided<'_, Self>, c: &mut [Self]) {
                assert_eq!(c.len(), m * n);
                assert_in_bounds(&a, m, k);
                assert_in_bounds(&b, k, n);
                // SAFETY: the asserts above prove every element (i, p) of `a` with
                // i < m, p < k lies at offset i·rs + p·cs < a.data.len() (likewise
                // for `b` over k×n), and `c` holds exactly m·n elements addressed
                // with strides (n, 1), the largest offset being m·n − 1. All strides
                // are below the slice lengths, so the `isize` casts are lossless.
                // `c` is a unique borrow, so it cannot overlap `a` or `b`.
                unsafe {
                    $f(
                        m,
                        k,
                        n,
                        1.0,
                        a.data.as_ptr(),
                        a.row_stride as isize,
                        a.col_stride as isize,
                        b.data.as_ptr(),
                        b.row_stride as isize,
                        b.col_stride as isize,
                        0.0,
                        c.as_mut_ptr(),
                        n as isize,
                        1,
                    );
                }
            }
        }
    };
}
impl_mm!(f32, matrixmultiply::sgemm);
impl_mm!(f64, matrixmultiply::dgemm);

fn run_cases<T: MmFloat>(c: &mut Criterion, ty: &str, cases: &[Case], with_fallback_upto: usize) {
    let mut rng = StdRng::seed_from_u64(42);
    let mut group = c.benchmark_group(format!("gemm_{ty}"));
    for case in cases {
        let Case { m, n, k, ta, .. } = *case;
        let a: Matrix<T> = if ta {
            Matrix::random_normal(k, m, 0.0, 1.0, &mut rng)
        } else {
            Matrix::random_normal(m, k, 0.0, 1.0, &mut rng)
        };
        let b: Matrix<T> = Matrix::random_normal(k, n, 0.0, 1.0, &mut rng);
        let mut out = vec![T::zero(); m * n];
        group.throughput(Throughput::Elements((2 * m * n * k) as u64));
        group.bench_function(BenchmarkId::new("gemm", &case.label), |bench| {
            bench.iter(|| gemm_tuned(false, m, n, k, a.view(ta), b.view(false), &mut out))
        });
        group.bench_function(BenchmarkId::new("matrixmultiply", &case.label), |bench| {
            bench.iter(|| T::mm(m, n, k, a.view(ta), b.view(false), &mut out))
        });
        if m * n * k <= with_fallback_upto {
            group.bench_function(BenchmarkId::new("fallback", &case.label), |bench| {
                bench.iter(|| gemm_fallback(false, m, n, k, a.view(ta), b.view(false), &mut out))
            });
        }
    }
    group.finish();
}

fn cases() -> Vec<Case> {
    let sq = |n: usize| Case { label: format!("{n}x{n}x{n}"), m: n, n, k: n, ta: false };
    let mut v: Vec<Case> = [4, 8, 12, 16, 24, 32, 64, 256, 512].into_iter().map(sq).collect();
    v.push(Case { label: "mlp_fwd_256x784x128".into(), m: 256, n: 128, k: 784, ta: false });
    v.push(Case { label: "mlp_wgrad_T_784x256x128".into(), m: 784, n: 128, k: 256, ta: true });
    v
}

fn bench_gemm(c: &mut Criterion) {
    let cases = cases();
    run_cases::<f32>(c, "f32", &cases, 64 * 64 * 64);
    run_cases::<f64>(c, "f64", &cases, 64 * 64 * 64);
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(800));
    targets = bench_gemm
}
criterion_main!(benches);
