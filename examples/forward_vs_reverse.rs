//! Forward mode against reverse mode on one model, written once.
//!
//! The extended Rosenbrock function is written a single time, generically over
//! `T: Real`, and run on three number types:
//!
//! * `f64`: the value, and central differences of it;
//! * `Dual<f64>` (forward mode): one pass per input, so `n` passes for a gradient;
//! * `Var<f64>` (reverse mode): one recording and one backward sweep.
//!
//! For n = 10 … 10 000 it prints the value, how well the three gradients agree,
//! and the time of each; then it measures small n to find where reverse mode
//! starts to beat forward mode.
//!
//! Run: `cargo run --release --example forward_vs_reverse` (in a debug build the
//! forward gradient at n = 10 000, 10⁸ dual operations, takes a while).

use std::hint::black_box;
use std::time::Instant;

use wengert::optim::problems::rosenbrock;
use wengert::prelude::*;

fn point(n: usize) -> Vec<f64> {
    (0..n).map(|i| 0.5 + 0.4 * ((i as f64) * 0.7).sin()).collect()
}

/// Seconds per call of `f`: the fastest of three batches, each long enough
/// (≥ 20 ms) to be timed reliably.
fn seconds_per_call(mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    f();
    let once = start.elapsed().as_secs_f64().max(1e-9);
    let reps = ((0.02 / once).ceil() as usize).clamp(1, 1_000_000);
    (0..3)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..reps {
                f();
            }
            start.elapsed().as_secs_f64() / reps as f64
        })
        .fold(f64::INFINITY, f64::min)
}

/// Forward mode: n passes of the model on `Dual<f64>`, pass i seeding eᵢ
/// (`jacfwd` of a scalar function is its forward-mode gradient).
fn forward_gradient(x: &[f64]) -> Vec<f64> {
    jacfwd(rosenbrock, x)
}

/// Reverse mode on a reused tape (what a training loop does): record, sweep.
fn reverse_gradient(tape: &mut Tape<f64>, grads: &mut Gradients<f64>, x: &[f64]) -> Vec<f64> {
    tape.clear();
    let vars = tape.vars(x);
    let y = rosenbrock(&vars);
    tape.backward_into(y, 1.0, grads);
    grads.wrt(&vars)
}

/// max_i |a_i − b_i| / max(1, |a_i|, |b_i|).
fn max_rel_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(&x, &y)| (x - y).abs() / 1f64.max(x.abs()).max(y.abs())).fold(0.0, f64::max)
}

fn human(s: f64) -> String {
    if s >= 1.0 {
        format!("{s:.2} s")
    } else if s >= 1e-3 {
        format!("{:.2} ms", s * 1e3)
    } else if s >= 1e-6 {
        format!("{:.2} µs", s * 1e6)
    } else {
        format!("{:.0} ns", s * 1e9)
    }
}

fn main() {
    println!("Extended Rosenbrock, one generic fn, three number types.\n");
    println!(
        "{:>6} {:>14} {:>11} {:>11} {:>11} {:>11} {:>11} {:>11} {:>9}",
        "n", "f(x)", "fwd~rev", "rev~FD", "f64 f", "forward ∇f", "reverse ∇f", "FD ∇f", "fwd/rev"
    );
    let mut tape = Tape::new();
    let mut grads = Gradients::empty();
    for n in [10, 100, 1_000, 10_000] {
        let x = point(n);
        let value = rosenbrock(&x);
        let fwd = forward_gradient(&x);
        let rev = reverse_gradient(&mut tape, &mut grads, &x);
        let t_f64 = seconds_per_call(|| {
            black_box(rosenbrock(black_box(&x)));
        });
        let t_fwd = seconds_per_call(|| {
            black_box(forward_gradient(black_box(&x)));
        });
        let t_rev = seconds_per_call(|| {
            black_box(reverse_gradient(&mut tape, &mut grads, black_box(&x)));
        });
        // Central differences: 2n evaluations of an O(n) function; skipped
        // beyond n = 1 000, where they stop being a quick check.
        let (fd_agreement, t_fd) = if n <= 1_000 {
            let fd = numerical_gradient(rosenbrock::<f64>, &x);
            let t = seconds_per_call(|| {
                black_box(numerical_gradient(rosenbrock::<f64>, black_box(&x)));
            });
            (format!("{:.1e}", max_rel_diff(&rev, &fd)), human(t))
        } else {
            ("-".into(), "-".into())
        };
        println!(
            "{:>6} {:>14.6e} {:>11.1e} {:>11} {:>11} {:>11} {:>11} {:>11} {:>8.1}×",
            n,
            value,
            max_rel_diff(&fwd, &rev),
            fd_agreement,
            human(t_f64),
            human(t_fwd),
            human(t_rev),
            t_fd,
            t_fwd / t_rev
        );
    }
    println!(
        "\nfwd~rev, rev~FD: max over components of |a − b| / max(1, |a|, |b|).\n\
         Forward mode runs the model n times (one pass per input direction): its cost\n\
         grows like n × (cost of f) = O(n²) here. Reverse mode records once and sweeps\n\
         once: a constant multiple of f, whatever n is. So fwd/rev grows linearly in n."
    );

    // Crossover: the smallest n where one reverse sweep beats n forward passes.
    println!("\nSmall n (forward = n passes, reverse = record + one sweep on a reused tape):");
    println!("{:>6} {:>12} {:>12} {:>9}", "n", "forward ∇f", "reverse ∇f", "fwd/rev");
    let mut crossover = None;
    for n in [2, 3, 4, 6, 8, 12, 16, 24, 32, 64] {
        let x = point(n);
        let t_fwd = seconds_per_call(|| {
            black_box(forward_gradient(black_box(&x)));
        });
        let t_rev = seconds_per_call(|| {
            black_box(reverse_gradient(&mut tape, &mut grads, black_box(&x)));
        });
        println!("{:>6} {:>12} {:>12} {:>8.2}×", n, human(t_fwd), human(t_rev), t_fwd / t_rev);
        if crossover.is_none() && t_rev < t_fwd {
            crossover = Some(n);
        }
    }
    match crossover {
        Some(n) => println!("\ncrossover: reverse mode is faster from n = {n} inputs on"),
        None => println!("\ncrossover: forward mode stayed faster up to n = 64"),
    }
}
