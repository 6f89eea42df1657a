//! Every built-in op at edge values: each element of each input of every test
//! case (`cases/mod.rs`) is replaced in turn by 0, −0, ±∞, NaN, the smallest
//! subnormal and ±1e300, and the op's value, VJP and JVP are computed.
//!
//! * **NaN propagates.** Which entries of the value, the VJP and the JVP depend
//!   on the replaced element is found by replacing it with a few ordinary
//!   values and seeing what changes. With NaN planted there, every dependent
//!   entry must be NaN, and every other entry must be exactly what it was
//!   (no NaN leaking into unrelated rows). The one documented exception is the
//!   selection op `MaxRows`, whose derivative follows the NaN it picks (as the
//!   scalar `max` does): the adjoint goes to the NaN element, 0 to the rest.
//! * **LU-based ops name the non-finite entry.** Where they need a
//!   factorization (`Inverse`, `LogDet`, `Solve` forward; `Det`'s derivatives),
//!   a NaN or ±∞ entry panics with `non-finite entry at (i, j)`, at the right
//!   position; ill-conditioned finite inputs (a 1e300 entry next to O(1) ones)
//!   may panic as singular. Nothing else panics.
//! * **No NaN out of non-NaN inputs, except where `docs/ops.md` says so.** The
//!   cases where a finite or infinite input legitimately gives NaN (`∞ − ∞`,
//!   `0 · ∞`, `ln` of a negative number, …) are listed in [`nan_is_documented`],
//!   and each is a sentence of the "Edge values" section of `docs/ops.md`.

mod cases;

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use cases::{cases, Case, SHAPES};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use wengert_ops::rules::Builtin;
use wengert_ops::{MatOp, Matrix};

const EDGES: [f64; 8] = [0.0, -0.0, f64::INFINITY, f64::NEG_INFINITY, f64::NAN, 5e-324, 1e300, -1e300];

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f`, turning a panic into its message; the expected panics of this
/// test are not printed (other panics, such as failed assertions, are).
fn catch<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                default(info)
            }
        }));
    });
    QUIET.with(|q| q.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(false));
    result.map_err(|e| {
        e.downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    })
}

/// Value, VJP (one vector per input) and JVP of an op at one point.
#[derive(Clone, Debug)]
struct Eval {
    value: Vec<f64>,
    vjp: Vec<Vec<f64>>,
    jvp: Vec<f64>,
}

/// Each part separately, so that a forward pass that works is kept even when
/// a derivative panics: `Err` holds the panic message.
struct Parts {
    value: Result<Vec<f64>, String>,
    vjp: Result<Vec<Vec<f64>>, String>,
    jvp: Result<Vec<f64>, String>,
}

impl Parts {
    fn all(self) -> Option<Eval> {
        Some(Eval { value: self.value.ok()?, vjp: self.vjp.ok()?, jvp: self.jvp.ok()? })
    }
}

/// The op at `inputs`, its VJP seeded with `w` and its JVP along `v`.
fn evaluate(op: &Builtin, inputs: &[Matrix<f64>], w: &[f64], v: &[Matrix<f64>]) -> Parts {
    let refs: Vec<&Matrix<f64>> = inputs.iter().collect();
    let shapes: Vec<(usize, usize)> = inputs.iter().map(Matrix::shape).collect();
    let shape = MatOp::<f64>::output_shape(op, &shapes);
    let value = catch(|| {
        let mut out = vec![0.0; shape.0 * shape.1];
        op.forward(&refs, &mut out);
        out
    });
    let Ok(y) = value.clone() else {
        let e = value.clone().unwrap_err();
        return Parts { value, vjp: Err(e.clone()), jvp: Err(e) };
    };
    let y = Matrix::from_vec(shape.0, shape.1, y);
    let vjp = catch(|| {
        let mut grads: Vec<Vec<f64>> = inputs.iter().map(|x| vec![0.0; x.len()]).collect();
        let mut slots: Vec<Option<&mut [f64]>> = grads.iter_mut().map(|g| Some(&mut g[..])).collect();
        op.vjp(&refs, &y, w, &mut slots);
        grads
    });
    let jvp = catch(|| {
        let tangents: Vec<Option<&[f64]>> = v.iter().map(|t| Some(t.as_slice())).collect();
        let mut out = vec![0.0; y.len()];
        assert!(op.jvp(&refs, &y, &tangents, &mut out));
        out
    });
    Parts { value, vjp, jvp }
}

fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// Which entries differ between two evaluations (flattened: value, then each
/// input's VJP, then the JVP).
fn flatten(e: &Eval) -> Vec<f64> {
    let mut all = e.value.clone();
    for g in &e.vjp {
        all.extend_from_slice(g);
    }
    all.extend_from_slice(&e.jvp);
    all
}

/// Which part a flat index belongs to, for messages and the documented list.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Part {
    Value,
    Vjp(usize),
    Jvp,
}

fn part_of(e: &Eval, mut k: usize) -> (Part, usize) {
    if k < e.value.len() {
        return (Part::Value, k);
    }
    k -= e.value.len();
    for (i, g) in e.vjp.iter().enumerate() {
        if k < g.len() {
            return (Part::Vjp(i), k);
        }
        k -= g.len();
    }
    (Part::Jvp, k)
}

/// Ops that factor a matrix, and which input they factor.
fn factors_input(op: &Builtin, input: usize) -> bool {
    matches!(op.kind(), "Inverse" | "LogDet" | "Det" | "Solve") && input == 0
}

/// Whether the op normalizes over groups of one element here, where its value
/// or derivative is a constant in exact arithmetic (a softmax of one logit is
/// 1, its log 0, the loss 0; a mean weighted by a single mask entry ignores
/// the weight) but is computed from the element (`x − x`, `m/m`), so a NaN
/// there still makes it NaN: not a leak into an unrelated entry.
fn one_element_groups(op: &Builtin, shapes: &[(usize, usize)]) -> bool {
    let (m, n) = shapes[0];
    match op.op_name() {
        "softmax" | "log_softmax" | "softmax_cross_entropy" | "softmax_cross_entropy_soft" | "logsumexp_rows" => n == 1,
        "logsumexp_cols" => m == 1,
        "logsumexp" | "masked_mse" => m * n == 1,
        _ => false,
    }
}

/// Where a non-NaN edge value legitimately produces NaN: each arm is a
/// sentence of the "Edge values" section of `docs/ops.md`. `j` is the input
/// holding the edge value `x`, `part` the part of the result that is NaN.
fn nan_is_documented(op: &str, shapes: &[(usize, usize)], j: usize, x: f64, part: Part) -> bool {
    let inf = x.is_infinite();
    let one_column = shapes[0].1 == 1;
    let derivative = part != Part::Value;
    match op {
        // Outside the domain: ln, sqrt of a negative number; a negative base
        // to a non-integer power.
        "ln" | "sqrt" | "powf" if x < 0.0 => true,
        "pow" if j == 0 && x < 0.0 => true,
        // Powers at a zero, subnormal, huge or infinite base or exponent: the
        // partials pxᵖ⁻¹ and xᵖ ln x overflow, and meet as ∞ − ∞ or 0·∞.
        "pow" => derivative,
        // Division by 0 (or a subnormal): infinite partials, ∞ − ∞ where they
        // are summed (the JVP, the reduction of a broadcast divisor).
        "div" => j == 1 && x.abs() < 1e-300 && derivative,
        // A +∞ logit: ∞ − ∞ in its row. A row of −∞ only: 0/0.
        "softmax" | "log_softmax" | "softmax_cross_entropy" | "softmax_cross_entropy_soft"
            if j == 0 && (x == f64::INFINITY || inf && one_column) =>
        {
            true
        }
        // An infinite soft target: (Σt)·p − t is ∞ − ∞ (and ∞·0 in a row of
        // one class, whose log-softmax is 0).
        "softmax_cross_entropy_soft" if j == 1 && inf => part != Part::Value || one_column,
        // logsumexp: value +∞, but the derivative e^{x − y} is NaN at a +∞
        // entry, and in a group of −∞ only.
        "logsumexp" | "logsumexp_rows" | "logsumexp_cols" => {
            derivative && (x == f64::INFINITY || inf && one_element_group(op, shapes[0]))
        }
        // An infinite logit: softplus(z) − y·z is ∞ − ∞ (or ∞·0).
        "bce_with_logits" => j == 0 && inf && part == Part::Value,
        // A squared difference that overflows makes the loss ∞, and the
        // mask's partial d² − L is ∞ − ∞; an infinite mask weight gives ∞/∞.
        "masked_mse" if j < 2 => x.abs() >= 1e300 && matches!(part, Part::Vjp(2) | Part::Jvp),
        "masked_mse" => inf,
        // An infinite right-hand side: the elimination mixes ±∞.
        "solve" => j == 1 && inf && part != Part::Vjp(1),
        _ => false,
    }
}

/// Whether a `logsumexp` group (by the op's axis) has one element.
fn one_element_group(op: &str, (m, n): (usize, usize)) -> bool {
    match op {
        "logsumexp_rows" => n == 1,
        "logsumexp_cols" => m == 1,
        _ => m * n == 1,
    }
}

#[test]
fn every_op_propagates_nan_and_names_non_finite_entries() {
    let mut r = StdRng::seed_from_u64(31);
    let mut checked = 0usize;
    let mut undocumented = std::collections::BTreeMap::new();
    let mut failures = std::collections::BTreeSet::new();
    for &s in &SHAPES {
        for Case { op, inputs } in cases(&mut r, s) {
            let kind = op.kind();
            let shapes: Vec<(usize, usize)> = inputs.iter().map(Matrix::shape).collect();
            let out_shape = MatOp::<f64>::output_shape(&op, &shapes);
            // Adjoint and tangents: powers of two (exact products), never 0.
            let pick = |r: &mut StdRng| [0.5, -2.0, 1.0, -0.25, 4.0][r.random_range(0..5)];
            let w: Vec<f64> = (0..out_shape.0 * out_shape.1).map(|_| pick(&mut r)).collect();
            // Each input's tangents a different power of 3 times those, so no
            // two tangents cancel (`ȧ − ḃ` is never 0).
            let v: Vec<Matrix<f64>> = inputs
                .iter()
                .enumerate()
                .map(|(j, x)| Matrix::from_fn(x.rows(), x.cols(), |_, _| pick(&mut r) * 3f64.powi(j as i32)))
                .collect();
            let base = evaluate(&op, &inputs, &w, &v).all().unwrap_or_else(|| panic!("{kind} fails at its test case"));
            let base_flat = flatten(&base);
            for (j, x) in inputs.iter().enumerate() {
                for l in 0..x.len() {
                    let at = |t: f64| {
                        let mut xs = inputs.clone();
                        xs[j].as_mut_slice()[l] = t;
                        xs
                    };
                    // Dependence: what ordinary replacements change.
                    let x0 = x.as_slice()[l];
                    let big = 10.0 * (1.0 + x0.abs());
                    let mut dependent = vec![false; base_flat.len()];
                    for t in [x0 * 1.5 + 0.25, x0 * 0.5 - 0.75, 0.1 - x0, x0 + big, x0 - big, 0.3, -0.6] {
                        if let Some(e) = evaluate(&op, &at(t), &w, &v).all() {
                            for (d, (a, b)) in dependent.iter_mut().zip(flatten(&e).iter().zip(&base_flat)) {
                                *d |= !same(*a, *b);
                            }
                        }
                    }
                    for &edge in &EDGES {
                        let where_ = format!("{kind} ({shapes:?}) with input {j} element {l} = {edge:e}");
                        let parts = evaluate(&op, &at(edge), &w, &v);
                        checked += 1;
                        // Panics: only the factorizations, with the right message.
                        let errors: Vec<&String> =
                            [parts.value.as_ref().err(), parts.vjp.as_ref().err(), parts.jvp.as_ref().err()]
                                .into_iter()
                                .flatten()
                                .collect();
                        if let Some(msg) = errors.first() {
                            let n = x.cols();
                            let position = format!("non-finite entry at ({}, {})", l / n, l % n);
                            if !factors_input(&op, j) {
                                failures.insert(format!("{kind}: unexpected panic {msg:?} ({where_})"));
                            } else if edge.is_finite() && !msg.contains("singular") {
                                failures.insert(format!("{kind}: {msg:?} ({where_})"));
                            } else if !edge.is_finite() && !msg.contains(&position) {
                                failures.insert(format!("{kind}: {msg:?} should say {position:?} ({where_})"));
                            }
                            // Det's value is computed without factoring for
                            // the derivatives: it must still be there.
                            if kind == "Det" {
                                let value = parts.value.as_ref().unwrap_or_else(|e| panic!("{where_}: det value {e}"));
                                assert!(!edge.is_nan() || value[0].is_nan(), "{where_}: det {value:?}");
                            }
                            continue;
                        }
                        let e = parts.all().expect("no panic");
                        let flat = flatten(&e);
                        for (k, (&got, &was)) in flat.iter().zip(&base_flat).enumerate() {
                            let (part, idx) = part_of(&e, k);
                            if edge.is_nan() {
                                if kind == "MaxRows" && part != Part::Value {
                                    continue; // checked in `max_rows_picks_nan_wherever_it_is`
                                }
                                if dependent[k] && !got.is_nan() {
                                    failures.insert(format!(
                                        "{kind}: {part:?} = {got}, not NaN (e.g. {where_}, entry {idx})"
                                    ));
                                } else if !(dependent[k]
                                    || same(got, was)
                                    || got.is_nan() && one_element_groups(&op, &shapes))
                                {
                                    failures.insert(format!(
                                        "{kind}: unrelated {part:?} = {got}, was {was} (e.g. {where_}, entry {idx})"
                                    ));
                                }
                            } else if got.is_nan() && !nan_is_documented(op.op_name(), &shapes, j, edge, part) {
                                undocumented
                                    .entry(format!("{} with input {j} = {edge:e}: {part:?} NaN", op.op_name()))
                                    .or_insert_with(|| format!("e.g. {where_}, entry {idx}"));
                            }
                        }
                    }
                }
            }
        }
    }
    // One example per op and kind of failure.
    let mut seen = std::collections::BTreeSet::new();
    let failures: Vec<String> = failures
        .into_iter()
        .filter(|f| seen.insert(f.split(" = ").next().unwrap_or(f).split(" (").next().unwrap_or(f).to_string()))
        .collect();
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    let list: Vec<String> = undocumented.into_iter().map(|(k, v)| format!("{k} ({v})")).collect();
    assert!(list.is_empty(), "{} undocumented NaN:\n{}", list.len(), list.join("\n"));
    println!("{checked} edge evaluations");
}
