//! Record once, solve many times: extended Rosenbrock with n = 10 000, compiled
//! once, minimized by L-BFGS (value and gradient by replay) and by sparse Newton
//! (the Hessian by coloring: 2 colors, one replay per step), against L-BFGS
//! recording the tape at every evaluation.
//!
//! Run: `cargo run --release --example compiled_rosenbrock`.

use std::time::Instant;

use wengert::optim::second_order::{lbfgs, newton_sparse, LbfgsOptions, NewtonCgOptions};
use wengert::prelude::*;
use wengert::tape::compile::compile;
use wengert::tape::fns;

/// Extended Rosenbrock (Moré, Garbow & Hillstrom): `n/2` independent pairs,
/// `Σ 100 (x₂ᵢ₊₁ − x₂ᵢ²)² + (1 − x₂ᵢ)²`, minimum 0 at all ones.
fn extended_rosenbrock<T: Real>(x: &[T]) -> T {
    x.chunks(2).fold(T::zero(), |acc, p| acc + (p[1] - p[0] * p[0]).square() * 100.0 + (p[0] - 1.0).square())
}

fn main() {
    let n = 10_000;
    let x0: Vec<f64> = (0..n).map(|i| if i % 2 == 0 { -1.2 } else { 1.0 }).collect();

    let t = Instant::now();
    let f = compile(|x| extended_rosenbrock(x), &x0).expect("scalar code compiles");
    println!(
        "compiled in {:.1} ms: {} ops, {} guards, {:.0} bytes per op",
        t.elapsed().as_secs_f64() * 1e3,
        f.ops(),
        f.guards(),
        f.bytes_per_op()
    );
    let t = Instant::now();
    let (pattern, coloring) = (f.hessian_pattern(), f.hessian_coloring());
    println!(
        "Hessian pattern: {} nonzeros of {}², {} colors (detected in {:.1} ms)",
        pattern.nnz(),
        n,
        coloring.count,
        t.elapsed().as_secs_f64() * 1e3
    );

    let opts = LbfgsOptions { max_iter: 5000, gtol: 1e-6, ..LbfgsOptions::default() };
    let t = Instant::now();
    let replayed = lbfgs(|x| f.value_and_gradient(x).expect("no guards"), &x0, &opts);
    let replay_time = t.elapsed();
    println!(
        "L-BFGS, compiled:  f = {:.3e}, ‖∇f‖∞ = {:.1e}, {} iterations, {} evaluations, {:.0} ms",
        replayed.f,
        replayed.grad_norm,
        replayed.iterations,
        replayed.f_evals,
        replay_time.as_secs_f64() * 1e3
    );

    let t = Instant::now();
    let recorded = lbfgs(fns::value_and_grad(|x| extended_rosenbrock(x)), &x0, &opts);
    let record_time = t.elapsed();
    println!(
        "L-BFGS, recording: f = {:.3e}, ‖∇f‖∞ = {:.1e}, {} iterations, {} evaluations, {:.0} ms",
        recorded.f,
        recorded.grad_norm,
        recorded.iterations,
        recorded.f_evals,
        record_time.as_secs_f64() * 1e3
    );

    let t = Instant::now();
    let newton = newton_sparse(
        |x| f.value_and_gradient(x).expect("no guards"),
        |x| f.sparse_hessian(x).expect("no guards"),
        &x0,
        &NewtonCgOptions { gtol: 1e-6, ..NewtonCgOptions::default() },
    );
    println!(
        "sparse Newton:     f = {:.3e}, ‖∇f‖∞ = {:.1e}, {} iterations ({} sparse Hessians, {} CG products), {:.0} ms",
        newton.result.f,
        newton.result.grad_norm,
        newton.result.iterations,
        newton.result.iterations,
        newton.cg_iterations,
        t.elapsed().as_secs_f64() * 1e3
    );
    assert!(replayed.converged() && recorded.converged() && newton.result.converged());
    assert!(newton.result.x.iter().all(|v| (v - 1.0).abs() < 1e-5));
}
