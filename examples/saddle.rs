//! Saddle points: where gradient-based methods stop, Lanczos sees negative
//! curvature, and a trust region steps off.
//!
//! `f(x) = ½ Σᵢ dᵢxᵢ² + ¼ Σᵢ xᵢ⁴` on ℝ⁵⁰ with curvatures `d₀ = −1` and
//! `d₁…d₄₉` spread over [1, 10]: the origin is a saddle (one direction of
//! negative curvature, e₀), and the minima are at `x = ±e₀` with `f = −¼`.
//! Started with `x₀ = 0` exactly — on the saddle's stable manifold — gradient
//! descent never acquires an `e₀` component, and neither do L-BFGS or
//! line-search Newton-CG, whose steps are built from gradients: all three
//! report convergence at the saddle. The Hessian there is not positive
//! definite, which Lanczos finds with a few Hessian-vector products (from the
//! tape), and trust-region Newton-CG, which checks for exactly that before it
//! stops, steps along the eigenvector to the boundary of its region and on to
//! a minimum.
//!
//! Run: `cargo run --release --example saddle`

use wengert::ops::Real;
use wengert::optim::second_order::{LbfgsOptions, NewtonCgOptions};
use wengert::optim::spectra::{lanczos_bottom_k, FnOperator, LanczosOptions};
use wengert::optim::trust_region::{trust_region_newton_cg, TrustRegionOptions};
use wengert::optim::{lbfgs, newton_cg};
use wengert::tape::{hvp, value_and_grad};

const N: usize = 50;

/// The curvatures: −1, then 49 values evenly over [1, 10].
fn curvature(i: usize) -> f64 {
    if i == 0 {
        -1.0
    } else {
        1.0 + 9.0 * (i - 1) as f64 / (N - 2) as f64
    }
}

fn f<T: Real>(x: &[T]) -> T {
    x.iter().enumerate().fold(T::zero(), |acc, (i, &xi)| acc + xi.square() * (0.5 * curvature(i)) + xi.powi(4) * 0.25)
}

fn main() {
    let fg = |x: &[f64]| value_and_grad(|v| f(v), x);
    let hv = |x: &[f64], v: &[f64]| hvp(|p| f(p), x, v);
    // A start with no component along e₀.
    let x0: Vec<f64> = (0..N).map(|i| if i == 0 { 0.0 } else { 0.5 + 0.01 * i as f64 }).collect();

    println!("f(x) = ½Σ dᵢxᵢ² + ¼Σ xᵢ⁴ on ℝ^{N}, d₀ = −1: a saddle at 0, minima at ±e₀ with f = −0.25\n");
    println!("{:<26} {:>10} {:>12} {:>10} {:>10}", "method", "converged", "f", "|x₀|", "‖∇f‖∞");
    let l = lbfgs(fg, &x0, &LbfgsOptions::default());
    println!("{:<26} {:>10} {:>12.3e} {:>10.3e} {:>10.1e}", "L-BFGS", l.converged(), l.f, l.x[0].abs(), l.grad_norm);
    let n = newton_cg(fg, hv, &x0, &NewtonCgOptions::default()).result;
    println!(
        "{:<26} {:>10} {:>12.3e} {:>10.3e} {:>10.1e}",
        "Newton-CG (line search)",
        n.converged(),
        n.f,
        n.x[0].abs(),
        n.grad_norm
    );

    // What the gradient cannot see, the Hessian can.
    let at = l.x.clone();
    let op = FnOperator::new(N, |v: &[f64], out: &mut [f64]| out.copy_from_slice(&hv(&at, v)));
    let lowest = lanczos_bottom_k(&op, 1, &LanczosOptions { max_steps: 20, ..Default::default() }).expect("Lanczos");
    println!(
        "\nLanczos at L-BFGS's answer: λ_min = {:.6} after {} Hessian-vector products; its eigenvector has |u₀| = {:.6}",
        lowest.values[0],
        lowest.steps,
        lowest.vectors[0][0].abs()
    );
    println!("so the point is a saddle, and ±u is the way down.\n");

    let r = trust_region_newton_cg(fg, hv, &x0, &TrustRegionOptions::default()).expect("trust region");
    println!("{:<26} {:>10} {:>12} {:>10} {:>10}", "method", "converged", "f", "|x₀|", "‖∇f‖∞");
    println!(
        "{:<26} {:>10} {:>12.6} {:>10.6} {:>10.1e}",
        "trust-region Newton-CG",
        r.result.converged(),
        r.result.f,
        r.result.x[0].abs(),
        r.result.grad_norm
    );
    println!(
        "{} accepted steps, {} saddle escape(s) along the Lanczos eigenvector, {} Hessian-vector products; \
         λ_min at the end = {:.4} (a minimum)",
        r.result.iterations,
        r.saddle_escapes,
        r.hvp_evals,
        r.min_curvature.unwrap_or(f64::NAN)
    );
}
