//! Compiled functions (`wengert_tape::compile`): replay against recording on
//! the random expression generator, guards of every kind, re-recording, bad
//! use, sparse against dense derivatives, coloring bounds and graph export.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use wengert_dual::Dual;
use wengert_ops::{Matrix, Real, Scalar};
use wengert_tape::compile::{
    color_columns, compile, compile_vec, is_valid_coloring, CompileError, GuardKind, Recompiling, ReplayError,
    SparsityPattern,
};
use wengert_tape::{grad, hessian, jacrev, MatVar, Tape, Var};

mod common;
use common::expr::{Case, Expr};

/// Gradient of `expr` at `x` recorded on a tape in anomaly mode (one node per
/// op: the recording a replay mirrors node for node).
fn observed_gradient(expr: &Expr, x: &[f64]) -> (f64, Vec<f64>) {
    let mut tape = Tape::new();
    tape.detect_anomaly(true);
    let vars = tape.vars(x);
    let y = expr.eval(&vars);
    let g = tape.backward(y);
    (y.primal(), g.wrt(&vars))
}

/// HVP of `expr` at `x` along `v` recorded on a `Dual` tape in anomaly mode.
fn observed_hvp(expr: &Expr, x: &[f64], v: &[f64]) -> Vec<f64> {
    let mut tape = Tape::<Dual<f64>>::new();
    tape.detect_anomaly(true);
    let xd: Vec<Dual<f64>> = x.iter().zip(v).map(|(&a, &b)| Dual::new(a, b)).collect();
    let vars = tape.vars(&xd);
    let y = expr.eval(&vars);
    let g = tape.backward(y);
    g.wrt(&vars).iter().map(|d| d.eps).collect()
}

fn same_bits(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

#[test]
fn replay_equals_recording_bit_for_bit_on_random_expressions() {
    let (mut replayed, mut flipped) = (0, 0);
    for seed in 0..3000u64 {
        let case = Case::new(seed);
        let expr = &case.expr;
        let f = compile(|v| expr.eval(v), &case.x).unwrap_or_else(|e| case.fail(&e.to_string()));
        let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed);
        // The recording point, a nearby point and a farther one.
        for scale in [0.0, 1e-3, 0.3] {
            let x: Vec<f64> = case.x.iter().map(|&xi| xi + scale * rng.random_range(-1.0..1.0)).collect();
            match f.value_and_gradient(&x) {
                Ok((value, g)) => {
                    replayed += 1;
                    let (v_rec, g_rec) = observed_gradient(expr, &x);
                    if value.to_bits() != expr.eval(&x).to_bits() || value.to_bits() != v_rec.to_bits() {
                        case.fail(&format!("replayed value {value:e} vs recorded {v_rec:e} at {x:?}"));
                    }
                    if !same_bits(&g, &g_rec) {
                        case.fail(&format!("replayed gradient {g:?} vs recorded {g_rec:?} at {x:?}"));
                    }
                    // The plain (folding) tape multiplies the same partials in
                    // another order: equal to rounding.
                    let g_plain = grad(|v| expr.eval(v), &x);
                    let scale = 1f64.max(g_plain.iter().fold(0.0f64, |m, d| m.max(d.abs())));
                    if g.iter().zip(&g_plain).any(|(a, b)| (a - b).abs() > 1e-12 * scale) {
                        case.fail(&format!("replayed gradient {g:?} vs plain tape {g_plain:?}"));
                    }
                    if seed % 10 == 0 {
                        let v: Vec<f64> = (0..x.len()).map(|_| rng.random_range(-1.0..1.0)).collect();
                        let (_, _, hv) = f.hvp(&x, &v).expect("the guards held for the gradient");
                        let hv_rec = observed_hvp(expr, &x, &v);
                        if !same_bits(&hv, &hv_rec) {
                            case.fail(&format!("replayed HVP {hv:?} vs recorded {hv_rec:?}"));
                        }
                    }
                }
                Err(ReplayError::GuardFlipped(flip)) => {
                    assert!(scale > 0.0, "a guard flipped at the recording point itself: {flip}");
                    flipped += 1;
                    // Recording afresh at the new point is valid there.
                    let again = compile(|v| expr.eval(v), &x).unwrap();
                    assert!(again.value_and_gradient(&x).is_ok());
                }
                Err(e) => case.fail(&e.to_string()),
            }
        }
    }
    assert!(replayed > 8000, "only {replayed} replays");
    assert!(flipped > 0, "no guard ever flipped: the far points test nothing");
}

#[test]
fn f32_replay_equals_an_f32_recording() {
    fn model<T: Scalar>(x: &[T]) -> T {
        (x[0] * x[1]).sin() + x[0].exp() / (x[1].square() + T::from_f64(1.0)) + x[1].tanh().relu()
    }
    let f = compile(|v| model(v), &[0.3, 0.7]).unwrap();
    let x = [0.4f32, 0.9f32];
    let (v, g) = f.value_and_gradient_as(&x).unwrap();
    let mut tape = Tape::<f32>::new();
    tape.detect_anomaly(true);
    let vars = tape.vars(&x);
    let y = model(&vars);
    let g_rec = tape.backward(y).wrt(&vars);
    assert_eq!(v.to_bits(), y.primal().to_bits());
    assert_eq!(
        g.iter().map(|d| d.to_bits()).collect::<Vec<_>>(),
        g_rec.iter().map(|d| d.to_bits()).collect::<Vec<_>>()
    );
}

#[test]
fn jvp_vjp_and_jacobian_agree_with_the_tape() {
    fn f<'t>(x: &[Var<'t, f64>]) -> Vec<Var<'t, f64>> {
        vec![x[0] * x[1].sin(), (x[1] + x[2]).exp(), x[2].square() * 3.0 - x[0]]
    }
    let c = compile_vec(f, &[0.1, 0.2, 0.3]).unwrap();
    let x = [0.5, -0.4, 0.25];
    let j_tape = jacrev(f, &x);
    let j = c.jacobian(&x).unwrap();
    assert!(j.max_abs_diff(&j_tape) < 1e-14);
    let v = [1.0, -2.0, 0.5];
    let (_, jv) = c.jvp(&x, &v).unwrap();
    for i in 0..3 {
        let expect: f64 = (0..3).map(|k| j_tape[(i, k)] * v[k]).sum();
        assert!((jv[i] - expect).abs() < 1e-14);
    }
    let u = [0.3, 0.1, -1.0];
    let (ys, ujt) = c.vjp(&x, &u).unwrap();
    assert_eq!(ys.len(), 3);
    for k in 0..3 {
        let expect: f64 = (0..3).map(|i| u[i] * j_tape[(i, k)]).sum();
        assert!((ujt[k] - expect).abs() < 1e-14);
    }
    assert!(matches!(c.gradient(&x), Err(ReplayError::NotScalar { outputs: 3 })));
}

/// Compiles `f` at `at`, then checks that replaying at `same` succeeds and at
/// `flip` fails with a guard of `kind`.
fn guard_case<F>(name: &str, f: F, at: &[f64], same: &[f64], flip: &[f64], kind: GuardKind)
where
    F: for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>,
{
    let c = compile(&f, at).unwrap();
    assert!(c.guards() >= 1, "{name}: no guard recorded");
    let ok = c.value_and_gradient(same).unwrap_or_else(|e| panic!("{name}: flipped where it must not: {e}"));
    let tape = Tape::new();
    let vars = tape.vars(same);
    let y = f(&vars);
    assert_eq!(ok.0, y.primal(), "{name}");
    match c.value_and_gradient(flip) {
        Err(ReplayError::GuardFlipped(g)) => {
            assert_eq!(g.kind, kind, "{name}: {g}");
            assert!(g.to_string().contains(kind.describe()), "{name}: {g}");
        }
        other => panic!("{name}: expected a flipped guard, got {other:?}"),
    }
}

#[test]
fn every_kind_of_guard_is_detected_when_it_flips_and_silent_when_not() {
    guard_case("x < c", |x| if x[0] < 1.0 { x[0] * 2.0 } else { x[0] }, &[0.0], &[0.5], &[2.0], GuardKind::Lt);
    guard_case("x <= c", |x| if x[0] <= 1.0 { x[0] * 2.0 } else { x[0] }, &[0.0], &[1.0], &[2.0], GuardKind::Le);
    guard_case("x > c", |x| if x[0] > 1.0 { x[0] * 2.0 } else { x[0] }, &[2.0], &[3.0], &[0.0], GuardKind::Gt);
    guard_case("x >= c", |x| if x[0] >= 1.0 { x[0] * 2.0 } else { x[0] }, &[2.0], &[1.0], &[0.0], GuardKind::Ge);
    guard_case("x == c", |x| if x[0] == 0.0 { x[0] } else { x[0].sin() }, &[1.0], &[2.0], &[0.0], GuardKind::Eq);
    guard_case(
        "x < y",
        |x| if x[0] < x[1] { x[1] - x[0] } else { x[0] - x[1] },
        &[0.0, 1.0],
        &[3.0, 4.0],
        &[2.0, 1.0],
        GuardKind::Lt,
    );
    guard_case(
        "partial_cmp",
        |x| match x[0].partial_cmp(&x[1]) {
            Some(std::cmp::Ordering::Less) => x[0],
            _ => x[1],
        },
        &[0.0, 1.0],
        &[-1.0, 1.0],
        &[1.0, 1.0],
        GuardKind::Cmp,
    );
    guard_case("max", |x| x[0].max(x[1]) * 2.0, &[3.0, 1.0], &[2.0, 1.5], &[1.0, 2.0], GuardKind::Max);
    guard_case("min", |x| x[0].min(x[1]) * 2.0, &[3.0, 1.0], &[3.0, 0.5], &[1.0, 2.0], GuardKind::Min);
    guard_case("clamp high", |x| x[0].clamp(-1.0, 1.0) * 2.0, &[0.5], &[0.9], &[1.5], GuardKind::Min);
    guard_case("clamp low", |x| x[0].clamp(-1.0, 1.0) * 2.0, &[0.5], &[-0.9], &[-1.5], GuardKind::Max);
    guard_case("relu", |x| x[0].relu() * 2.0, &[1.0], &[0.1], &[-0.1], GuardKind::Relu);
    guard_case("relu at 0", |x| x[0].relu() * 2.0, &[-1.0], &[0.0], &[0.5], GuardKind::Relu);
    guard_case("abs", |x| x[0].abs() * 2.0, &[-1.0], &[-0.1], &[0.1], GuardKind::Abs);
    guard_case("abs at 0", |x| x[0].abs() * 2.0, &[1.0], &[2.0], &[0.0], GuardKind::Abs);
}

#[test]
fn a_flipped_guard_names_where_the_comparison_was_written() {
    let line = line!() + 1;
    let c = compile(|x| if x[0] > 0.0 { x[0].ln() } else { x[0] }, &[1.0]).unwrap();
    let Err(ReplayError::GuardFlipped(g)) = c.value(&[-1.0]) else { panic!("expected a flipped guard") };
    let loc = g.location.expect("comparisons know their location");
    assert!(loc.file().ends_with("compile.rs"), "{loc}");
    assert_eq!(loc.line(), line);
    assert_eq!((g.guard, g.after_op, g.recorded, g.now), (0, 0, 1, 0));
    let msg = ReplayError::GuardFlipped(g).to_string();
    assert!(msg.contains(&format!("compile.rs:{line}")) && msg.contains("a > b"), "{msg}");
}

#[test]
fn constants_comparisons_are_not_guards_and_plain_tapes_log_nothing() {
    let c = compile(|x| if Var::constant(1.0) < Var::constant(2.0) { x[0] } else { -x[0] }, &[1.0]).unwrap();
    assert_eq!(c.guards(), 0);
    // A tape not compiling: comparisons work as before.
    let tape = Tape::new();
    let x = tape.var(2.0);
    assert!(x > 1.0 && x.max(tape.var(3.0)).primal() == 3.0);
}

#[test]
fn recompiling_records_again_when_a_guard_flips_and_counts_it() {
    let f = Recompiling::new(|x| if x[0] > 0.0 { x[0].square() } else { x[0] * -3.0 }, &[1.0]).unwrap();
    assert_eq!(f.gradient(&[2.0]).unwrap(), vec![4.0]);
    assert_eq!(f.recompilations(), 0);
    assert_eq!(f.gradient(&[-1.0]).unwrap(), vec![-3.0]);
    assert_eq!(f.gradient(&[-2.0]).unwrap(), vec![-3.0]);
    assert_eq!(f.recompilations(), 1);
    assert_eq!(f.value(&[3.0]).unwrap(), 9.0);
    assert_eq!(f.recompilations(), 2);
    assert!(matches!(f.value(&[1.0, 2.0]), Err(ReplayError::Length { what: "input", expected: 1, found: 2 })));
}

#[test]
fn bad_use_is_a_clear_error() {
    let c = compile(|x| x[0] * x[1], &[1.0, 2.0]).unwrap();
    let e = c.value(&[1.0]).unwrap_err();
    assert_eq!(e, ReplayError::Length { what: "input", expected: 2, found: 1 });
    assert!(e.to_string().contains("length 1") && e.to_string().contains("takes 2"));
    assert!(matches!(c.hvp(&[1.0, 2.0], &[1.0]), Err(ReplayError::Length { what: "direction", .. })));
    // A matrix op cannot be replayed yet.
    let err = compile(
        |x| {
            let tape = x[0].tape().expect("recorded");
            MatVar::from_vars(tape, x, 2, 1).tanh().sum()
        },
        &[1.0, 2.0],
    )
    .unwrap_err();
    assert_eq!(err, CompileError::MatrixOp { op: "tanh".into() });
    assert!(err.to_string().contains("cannot be replayed yet"), "{err}");
    // A variable the closure made itself cannot vary.
    let err = compile(
        |x| {
            let tape = x[0].tape().expect("recorded");
            x[0] * tape.var(3.0)
        },
        &[1.0],
    )
    .unwrap_err();
    assert_eq!(err, CompileError::UnloggedNode);
    // A custom scalar function has no rule to replay.
    let err = compile(|x| x[0].custom1("my_sin", x[0].primal().sin(), x[0].primal().cos()) * 2.0, &[1.0]).unwrap_err();
    assert_eq!(err, CompileError::CustomScalar { name: "my_sin" });
    assert!(err.to_string().contains("custom scalar function `my_sin` cannot be replayed"), "{err}");
    let err = compile(
        |x| x[0].custom2(x[1], "my_mul", x[0].primal() * x[1].primal(), x[1].primal(), x[0].primal()),
        &[1.0, 2.0],
    )
    .unwrap_err();
    assert_eq!(err, CompileError::CustomScalar { name: "my_mul" });
    // The recording tape checks nothing for NaNs: compile mode is not anomaly mode.
    let _ = compile(
        |x| {
            assert!(!x[0].tape().expect("recorded").detects_anomalies());
            x[0]
        },
        &[1.0],
    );
}

#[test]
fn an_output_that_is_an_input_or_a_constant_replays() {
    let c = compile_vec(|x| vec![x[1], Var::constant(7.0), x[0] * x[0]], &[1.0, 2.0]).unwrap();
    assert_eq!(c.values(&[3.0, 4.0]).unwrap(), vec![4.0, 7.0, 9.0]);
    let j = c.jacobian(&[3.0, 4.0]).unwrap();
    assert_eq!(j.as_slice(), &[0.0, 1.0, 0.0, 0.0, 6.0, 0.0]);
}

/// A random partially separable function: `terms` random expressions, each
/// of up to 4 randomly chosen inputs out of `n`.
struct SparseCase {
    terms: Vec<(Expr, Vec<usize>)>,
    x: Vec<f64>,
}

impl SparseCase {
    fn new(seed: u64, n: usize, terms: usize) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let terms = (0..terms)
            .map(|t| {
                let case = Case::new(seed * 1000 + t as u64);
                let idx: Vec<usize> = (0..case.x.len()).map(|_| rng.random_range(0..n)).collect();
                (case.expr, idx)
            })
            .collect();
        let x = (0..n).map(|_| rng.random_range(-1.5..1.5)).collect();
        SparseCase { terms, x }
    }

    fn eval<T: Real>(&self, x: &[T]) -> Vec<T> {
        self.terms.iter().map(|(e, idx)| e.eval(&idx.iter().map(|&i| x[i]).collect::<Vec<_>>())).collect()
    }

    fn sum<T: Real>(&self, x: &[T]) -> T {
        self.eval(x).into_iter().fold(T::zero(), |a, b| a + b)
    }
}

#[test]
fn sparse_hessians_and_jacobians_equal_dense_ones_on_random_sparse_functions() {
    for seed in 0..60u64 {
        let (n, terms) = (12 + (seed as usize % 20), 6 + (seed as usize % 9));
        let case = SparseCase::new(seed, n, terms);
        let x = &case.x;
        // Hessian.
        let f = compile(|v| case.sum(v), x).unwrap();
        let sparse = f.sparse_hessian(x).unwrap();
        let dense = hessian(|v| case.sum(v), x);
        let scale = 1f64.max(dense.as_slice().iter().fold(0.0f64, |m, d| m.max(d.abs())));
        for i in 0..n {
            for j in 0..n {
                let (s, d) = (sparse.get(i, j), dense[(i, j)]);
                assert!((s - d).abs() <= 1e-12 * scale, "seed {seed}: H[{i},{j}] sparse {s:e} vs dense {d:e}");
                if !sparse.pattern.contains(i, j) {
                    assert_eq!(d, 0.0, "seed {seed}: H[{i},{j}] = {d:e} outside the detected pattern");
                }
            }
        }
        assert!(is_valid_coloring(&sparse.pattern, f.hessian_coloring()));
        // The dense Hessian of the compiled function and one HVP agree too.
        assert!(f.hessian(x).unwrap().max_abs_diff(&dense) <= 1e-12 * scale);
        let v: Vec<f64> = (0..n).map(|k| (k as f64 * 0.37).sin()).collect();
        let (_, _, hv) = f.hvp(x, &v).unwrap();
        for (i, hvi) in sparse.mul_vec(&v).iter().enumerate() {
            assert!((hvi - hv[i]).abs() <= 1e-12 * scale * n as f64, "seed {seed}: Hv[{i}]");
        }
        // Jacobian of the vector of terms.
        let fv = compile_vec(|v| case.eval(v), x).unwrap();
        let sj = fv.sparse_jacobian(x).unwrap();
        let dj = jacrev(|v| case.eval(v), x);
        let jscale = 1f64.max(dj.as_slice().iter().fold(0.0f64, |m, d| m.max(d.abs())));
        assert!(sj.to_dense().max_abs_diff(&dj) <= 1e-12 * jscale, "seed {seed}: sparse Jacobian");
        let (pattern, coloring) = (fv.jacobian_pattern(), fv.jacobian_coloring());
        assert!(is_valid_coloring(pattern, coloring));
        assert!(coloring.count >= pattern.max_row_degree());
    }
}

#[test]
fn rosenbrock_hessian_is_tridiagonal_with_three_colors() {
    fn rosen<T: Real>(x: &[T]) -> T {
        x.windows(2).fold(T::zero(), |acc, w| acc + (w[1] - w[0] * w[0]).square() * 100.0 + (w[0] - 1.0).square())
    }
    let n = 200;
    let x: Vec<f64> = (0..n).map(|i| (i as f64 * 0.1).cos()).collect();
    let f = compile(|v| rosen(v), &x).unwrap();
    let h = f.sparse_hessian(&x).unwrap();
    assert_eq!(h.pattern.nnz(), 3 * n - 2);
    assert_eq!(f.hessian_coloring().count, 3);
    let dense = hessian(|v| rosen(v), &x);
    assert!(h.to_dense().max_abs_diff(&dense) < 1e-10);
}

/// A banded pattern: row `i` holds columns `i − lo ..= i + hi` (clipped).
fn banded(n: usize, lo: usize, hi: usize) -> SparsityPattern {
    let rows: Vec<Vec<u32>> =
        (0..n).map(|i| (i.saturating_sub(lo)..=(i + hi).min(n - 1)).map(|j| j as u32).collect()).collect();
    SparsityPattern::from_rows(n, &rows)
}

#[test]
fn jacobian_coloring_stays_within_max_row_degree_plus_one_on_banded_and_block_patterns() {
    let mut rng = StdRng::seed_from_u64(7);
    for _ in 0..200 {
        let n = rng.random_range(1..60);
        let (lo, hi) = (rng.random_range(0..5), rng.random_range(0..5));
        let p = banded(n, lo, hi);
        let c = color_columns(&p);
        assert!(is_valid_coloring(&p, &c));
        assert!(c.count <= p.max_row_degree() + 1, "banded {n} {lo} {hi}: {} colors", c.count);
        // Block-diagonal patterns with random block sizes, rows subsets of a block.
        let mut rows = Vec::new();
        let mut start = 0;
        while start < n {
            let size = rng.random_range(1..6).min(n - start);
            for _ in 0..size {
                let row: Vec<u32> = (start..start + size).filter(|_| rng.random_bool(0.7)).map(|j| j as u32).collect();
                rows.push(row);
            }
            start += size;
        }
        let p = SparsityPattern::from_rows(n, &rows);
        let c = color_columns(&p);
        assert!(is_valid_coloring(&p, &c));
        assert!(c.count <= p.max_row_degree() + 1);
    }
    // Random patterns: always valid, within the greedy bound (neighbors + 1).
    for _ in 0..100 {
        let (m, n) = (rng.random_range(1..40), rng.random_range(1..40));
        let rows: Vec<Vec<u32>> = (0..m).map(|_| (0..n as u32).filter(|_| rng.random_bool(0.1)).collect()).collect();
        let p = SparsityPattern::from_rows(n, &rows);
        let c = color_columns(&p);
        assert!(is_valid_coloring(&p, &c));
        let max_neighbors = (0..n)
            .map(|j| {
                let mut nb: Vec<usize> =
                    (0..m).filter(|&i| p.contains(i, j)).flat_map(|i| p.row(i).to_vec()).filter(|&k| k != j).collect();
                nb.sort_unstable();
                nb.dedup();
                nb.len()
            })
            .max()
            .unwrap_or(0);
        assert!(c.count <= max_neighbors + 1);
    }
    // Why ρ + 1 cannot hold in general: the rows are the 10 edges of the
    // complete graph on 5 columns, ρ = 2, and any valid coloring needs 5.
    let edges: Vec<Vec<u32>> = (0..5u32).flat_map(|a| (a + 1..5).map(move |b| vec![a, b])).collect();
    let p = SparsityPattern::from_rows(5, &edges);
    assert_eq!((p.max_row_degree(), color_columns(&p).count), (2, 5));
}

#[test]
fn dot_export_shows_inputs_ops_constants_outputs_and_guards() {
    let c = compile(|x| (x[0] * x[1] + 2.5).relu().max(x[1]), &[1.0, 2.0]).unwrap();
    let dot = c.to_dot();
    for needle in
        ["digraph compiled", "x0\\n1×1, tracked", "#0 mul", "#1 add_const(2.5)", "relu", "doublecircle", "guard #"]
    {
        assert!(dot.contains(needle), "missing {needle:?} in\n{dot}");
    }
    assert_eq!(dot.matches("->").count(), 2 + 1 + 1 + 1 + 3);
}

#[test]
fn compiled_functions_are_cloned_and_reused_across_calls() {
    let c = compile(|x| x.iter().map(|v| v.sin()).sum::<Var>(), &[0.0; 4]).unwrap();
    let d = c.clone();
    for k in 0..5 {
        let x = [k as f64, 1.0, 2.0, 3.0];
        assert_eq!(c.value_and_gradient(&x).unwrap(), d.value_and_gradient(&x).unwrap());
    }
    // Four `sin`, and four additions: `sum` starts from the constant 0.
    assert_eq!(c.ops(), 4 + 4);
    assert!(c.bytes_per_op() > 0.0);
    let _ = Matrix::<f64>::zeros(1, 1);
}

#[test]
fn a_compiled_function_is_an_objective() {
    use wengert_tape::Objective;
    fn model<T: Real>(x: &[T]) -> T {
        (x[0] * x[1]).sin() + x[0].square() * 0.5 + x[1].exp()
    }
    let c = compile(|v| model(v), &[0.2, 0.3]).unwrap();
    let x = [0.4, -0.1];
    assert_eq!(Objective::value(&c, &x), model(&x));
    assert_eq!(c.eval(&x), model(&x));
    let (v, g) = Objective::value_and_grad(&c, &x);
    assert_eq!((v, g.clone()), c.value_and_gradient(&x).unwrap());
    // Generic eval on tape variables: the replay is itself recorded.
    let g_tape = grad(|v| c.eval(v), &x);
    assert!(g_tape.iter().zip(&g).all(|(a, b)| (a - b).abs() < 1e-15));
    let h = Objective::hessian(&c, &x);
    assert!(h.max_abs_diff(&hessian(|v| model(v), &x)) < 1e-13);
    let hv = Objective::hvp(&c, &x, &[1.0, 0.0]);
    assert!((hv[0] - h[(0, 0)]).abs() < 1e-13 && (hv[1] - h[(1, 0)]).abs() < 1e-13);
}

#[test]
#[should_panic(expected = "guard #0")]
fn the_objective_of_a_compiled_function_panics_where_a_guard_flips() {
    use wengert_tape::Objective;
    let c = compile(|x| x[0].abs(), &[1.0]).unwrap();
    let _ = Objective::grad(&c, &[-1.0]);
}

/// A custom matrix op (`x ↦ x³`, elementwise), to show it is refused by name.
struct Cube;

impl wengert_ops::MatOp<f64> for Cube {
    fn name(&self) -> &str {
        "cube"
    }
    fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize) {
        inputs[0]
    }
    fn forward(&self, inputs: &[&Matrix<f64>], out: &mut [f64]) {
        out.iter_mut().zip(inputs[0].iter()).for_each(|(o, x)| *o = x * x * x);
    }
    fn vjp(&self, inputs: &[&Matrix<f64>], _: &Matrix<f64>, g: &[f64], grads: &mut [Option<&mut [f64]>]) {
        if let Some(gx) = grads[0].as_deref_mut() {
            for ((gx, &x), &g) in gx.iter_mut().zip(inputs[0].iter()).zip(g) {
                *gx += 3.0 * x * x * g;
            }
        }
    }
}

#[test]
fn a_custom_matrix_op_is_refused_by_name() {
    let err = compile(
        |x| {
            let tape = x[0].tape().expect("recorded");
            let y = x[0] * 2.0;
            tape.apply_custom(Cube, &[MatVar::from_vars(tape, &[y, x[1]], 1, 2)]).sum()
        },
        &[1.0, 2.0],
    )
    .unwrap_err();
    assert_eq!(err, CompileError::MatrixOp { op: "cube".into() });
}

#[test]
fn functions_of_no_input_and_of_unused_inputs_replay() {
    let c = compile(|_| Var::constant(3.0), &[]).unwrap();
    assert_eq!(c.value_and_gradient(&[]).unwrap(), (3.0, vec![]));
    assert_eq!(c.hessian(&[]).unwrap().shape(), (0, 0));
    let c = compile(|x| x[1].sin(), &[1.0, 2.0, 3.0]).unwrap();
    assert_eq!(c.gradient(&[0.0, 0.0, 0.0]).unwrap(), vec![0.0, 1.0, 0.0]);
    assert_eq!(c.hessian_pattern().nnz(), 1);
    assert_eq!(c.sparse_hessian(&[0.0, 0.5, 0.0]).unwrap().get(1, 1), -(0.5f64.sin()));
}
