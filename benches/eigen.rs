//! Dense symmetric eigen-decomposition (values and vectors):
//! `linalg::symmetric_eigen` (nalgebra's `SymmetricEigen` plus the conversion
//! and the descending sort), nalgebra's `SymmetricEigen` alone, and the crate's
//! cyclic Jacobi (`linalg::symmetric_eigen_jacobi`, the reference the tests
//! use), on random symmetric matrices of order 50 and 200, in the same run.
//!
//! The dense solver serves Hessians of up to a few hundred parameters
//! (`curvature::analyze`). This bench decided the choice: a Householder +
//! implicit QL of the crate's own measured 9.0 ms at 200 and 0.34 ms at 50
//! against nalgebra's 7.1 ms and 0.18 ms in the same run, so `symmetric_eigen`
//! uses nalgebra (the crate's QL stays for Lanczos's small tridiagonal
//! matrices, `linalg::symmetric_tridiagonal_eigen`).
//!
//! Run: `cargo bench --bench eigen`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, BenchmarkId, Criterion};
use rand::rngs::StdRng;
use rand::SeedableRng;
use wengert::ops::Matrix;
use wengert::optim::linalg::{symmetric_eigen, symmetric_eigen_jacobi};

mod common;

const SIZES: [usize; 2] = [50, 200];

/// `B + Bᵀ` for a standard normal `B`, from a fixed seed.
fn random_symmetric(n: usize) -> Matrix<f64> {
    let mut rng = StdRng::seed_from_u64(n as u64);
    let b = Matrix::<f64>::random_normal(n, n, 0.0, 1.0, &mut rng);
    Matrix::from_fn(n, n, |i, j| b[(i, j)] + b[(j, i)])
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("eigen");
    group.warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3)).sample_size(10);
    for n in SIZES {
        let a = random_symmetric(n);
        let na = nalgebra::DMatrix::from_row_slice(n, n, a.as_slice());
        // The three agree before they are timed.
        let ours = symmetric_eigen(&a);
        let theirs = nalgebra::SymmetricEigen::new(na.clone());
        let mut their_values: Vec<f64> = theirs.eigenvalues.iter().copied().collect();
        their_values.sort_by(|x, y| y.total_cmp(x));
        let jacobi = symmetric_eigen_jacobi(&a);
        for ((x, y), z) in ours.values.iter().zip(&their_values).zip(&jacobi.values) {
            assert!((x - y).abs() < 1e-9 && (x - z).abs() < 1e-9, "eigenvalues disagree: {x} {y} {z}");
        }
        group.bench_with_input(BenchmarkId::new("symmetric_eigen", n), &a, |b, a| {
            b.iter(|| symmetric_eigen(black_box(a)))
        });
        group.bench_with_input(BenchmarkId::new("jacobi", n), &a, |b, a| {
            b.iter(|| symmetric_eigen_jacobi(black_box(a)))
        });
        group.bench_with_input(BenchmarkId::new("nalgebra", n), &na, |b, na| {
            b.iter(|| nalgebra::SymmetricEigen::new(black_box(na.clone())))
        });
    }
    group.finish();
}

criterion_group!(eigen, bench);

fn report() {
    println!("\nSame-run medians, relative to linalg::symmetric_eigen:");
    println!(
        "{:>6} {:>16} {:>14} {:>14} {:>10} {:>10}",
        "n", "symmetric_eigen", "Jacobi", "nalgebra", "Jacobi/se", "nalg/se"
    );
    for n in SIZES {
        let get = |id: &str| common::median_ns("eigen", &format!("{id}/{n}"));
        if let (Some(q), Some(j), Some(l)) = (get("symmetric_eigen"), get("jacobi"), get("nalgebra")) {
            println!(
                "{:>6} {:>16} {:>14} {:>14} {:>9.2}× {:>9.2}×",
                n,
                common::human(q),
                common::human(j),
                common::human(l),
                j / q,
                l / q
            );
        }
    }
}

fn main() {
    eigen();
    Criterion::default().configure_from_args().final_summary();
    report();
}
