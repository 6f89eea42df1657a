//! Forward mode against num-dual: the same `n`-pass gradient of extended
//! Rosenbrock (one pass per input, one tangent per pass), with wengert's
//! `Dual<f64>` and with `num_dual::Dual64`, in the same run; also the
//! vector-tangent form (`DualVec<f64, N>` against `num_dual::DualVec64<N>`),
//! which gets `N` partials per pass.
//!
//! Run: `cargo bench --bench forward_mode`. After criterion's output it prints
//! the medians and the ratio wengert / num-dual (target ≤ 1.0×).
//!
//! Both sides run the same loop shape; only the number type differs. num-dual
//! has no guard against `0 · ∞` (a constant fed into `sqrt` at 0 gets a NaN
//! tangent there); wengert's does, so the comparison includes its price.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, BenchmarkId, Criterion};
use num_dual::{Dual64, DualNum};
use wengert::dual::{Dual, DualVec};
use wengert::optim::problems::rosenbrock;

mod common;

/// `optim::problems::rosenbrock` (the one extended Rosenbrock every bench
/// uses), written again over num-dual's number types: same operations in the
/// same order.
fn rosenbrock_num_dual<D: DualNum<Primitive = f64> + Copy>(x: &[D]) -> D {
    let mut acc = D::zero();
    for w in x.windows(2) {
        let t = w[1] - w[0] * w[0];
        let u = w[0] - 1.0;
        acc += t * t * 100.0 + u * u;
    }
    acc
}

/// `n` forward passes with wengert's `Dual<f64>`.
fn gradient_wengert(x: &[f64], seeded: &mut [Dual<f64>], out: &mut [f64]) {
    for (s, &xi) in seeded.iter_mut().zip(x) {
        *s = Dual::constant(xi);
    }
    for i in 0..x.len() {
        seeded[i].eps = 1.0;
        out[i] = rosenbrock(seeded).eps;
        seeded[i].eps = 0.0;
    }
}

/// `n` forward passes with `num_dual::Dual64`.
fn gradient_num_dual(x: &[f64], seeded: &mut [Dual64], out: &mut [f64]) {
    for (s, &xi) in seeded.iter_mut().zip(x) {
        *s = Dual64::from_re(xi);
    }
    for i in 0..x.len() {
        seeded[i].eps = 1.0;
        out[i] = rosenbrock_num_dual(seeded).eps;
        seeded[i].eps = 0.0;
    }
}

const LANES: usize = 4;

/// `n / LANES` passes with `DualVec<f64, LANES>`.
fn gradient_wengert_vec(x: &[f64], seeded: &mut [DualVec<f64, LANES>], out: &mut [f64]) {
    for (s, &xi) in seeded.iter_mut().zip(x) {
        *s = DualVec::constant(xi);
    }
    for start in (0..x.len()).step_by(LANES) {
        for k in 0..LANES.min(x.len() - start) {
            seeded[start + k].eps[k] = 1.0;
        }
        let y = rosenbrock(seeded);
        for k in 0..LANES.min(x.len() - start) {
            out[start + k] = y.eps[k];
            seeded[start + k].eps[k] = 0.0;
        }
    }
}

/// `n / LANES` passes with `num_dual::DualSVec64<LANES>`.
fn gradient_num_dual_vec(x: &[f64], seeded: &mut [num_dual::DualSVec64<LANES>], out: &mut [f64]) {
    for (s, &xi) in seeded.iter_mut().zip(x) {
        *s = num_dual::DualSVec64::from_re(xi);
    }
    for start in (0..x.len()).step_by(LANES) {
        let lanes = LANES.min(x.len() - start);
        for k in 0..lanes {
            seeded[start + k] = num_dual::DualSVec64::from_re(x[start + k]).derivative(k);
        }
        let y = rosenbrock_num_dual(seeded);
        let eps = y.eps.0.expect("the output depends on the seeded inputs");
        for k in 0..lanes {
            out[start + k] = eps[k];
            seeded[start + k] = num_dual::DualSVec64::from_re(x[start + k]);
        }
    }
}

const SIZES: [usize; 2] = [10, 100];

fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("forward_mode");
    group.warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(2)).sample_size(20);
    for n in SIZES {
        let x: Vec<f64> = (0..n).map(|i| 0.5 + 0.4 * ((i as f64) * 0.7).sin()).collect();
        let mut out_w = vec![0.0; n];
        let mut out_n = vec![0.0; n];
        let mut seeded_w = vec![Dual::constant(0.0); n];
        let mut seeded_n = vec![Dual64::from_re(0.0); n];
        gradient_wengert(&x, &mut seeded_w, &mut out_w);
        gradient_num_dual(&x, &mut seeded_n, &mut out_n);
        assert_eq!(out_w, out_n, "both give the same gradient");
        group.bench_with_input(BenchmarkId::new("f64", n), &x, |b, x| b.iter(|| rosenbrock(black_box(x))));
        group.bench_with_input(BenchmarkId::new("wengert_dual", n), &x, |b, x| {
            b.iter(|| gradient_wengert(black_box(x), &mut seeded_w, &mut out_w))
        });
        group.bench_with_input(BenchmarkId::new("num_dual", n), &x, |b, x| {
            b.iter(|| gradient_num_dual(black_box(x), &mut seeded_n, &mut out_n))
        });
        let mut seeded_wv = vec![DualVec::constant(0.0); n];
        let mut seeded_nv = vec![num_dual::DualSVec64::<LANES>::from_re(0.0); n];
        gradient_wengert_vec(&x, &mut seeded_wv, &mut out_w);
        gradient_num_dual_vec(&x, &mut seeded_nv, &mut out_n);
        assert_eq!(out_w, out_n, "both vector forms give the same gradient");
        group.bench_with_input(BenchmarkId::new("wengert_dual_vec", n), &x, |b, x| {
            b.iter(|| gradient_wengert_vec(black_box(x), &mut seeded_wv, &mut out_w))
        });
        group.bench_with_input(BenchmarkId::new("num_dual_vec", n), &x, |b, x| {
            b.iter(|| gradient_num_dual_vec(black_box(x), &mut seeded_nv, &mut out_n))
        });
    }
    group.finish();
}

criterion_group!(forward, benches);

fn report() {
    println!("\nSame-run medians; ratios against f and against num-dual:");
    println!(
        "{:>5} {:>10} {:>12} {:>12} {:>9} {:>9} {:>14} {:>14} {:>9}",
        "n", "f64", "Dual", "num-dual", "Dual/f", "Dual/nd", "DualVec<4>", "nd DualVec<4>", "vec/nd"
    );
    for n in SIZES {
        let id = |kind: &str| common::median_ns("forward_mode", &format!("{kind}/{n}"));
        let (Some(f), Some(w), Some(nd)) = (id("f64"), id("wengert_dual"), id("num_dual")) else { continue };
        let (wv, ndv) = (id("wengert_dual_vec"), id("num_dual_vec"));
        println!(
            "{:>5} {:>10} {:>12} {:>12} {:>8.0}× {:>8.2}× {:>14} {:>14} {:>8}",
            n,
            common::human(f),
            common::human(w),
            common::human(nd),
            w / f,
            w / nd,
            wv.map_or("-".into(), common::human),
            ndv.map_or("-".into(), common::human),
            match (wv, ndv) {
                (Some(a), Some(b)) => format!("{:.2}×", a / b),
                _ => "-".into(),
            }
        );
    }
}

fn main() {
    forward();
    Criterion::default().configure_from_args().final_summary();
    report();
}
