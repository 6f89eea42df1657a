//! No unused node can poison a gradient.
//!
//! A value computed on the tape but not reaching the output may have an
//! infinite or NaN local partial (`sqrt` or `ln` at 0, `1/x` at 0, an overflowed
//! `exp`). The sweep must never multiply such a partial by the zero adjoint the
//! node receives (`0 · ∞ = NaN`). These tests record the same function with and
//! without such dead code and require bit-identical gradients and Hessians.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use wengert_dual::Dual;
use wengert_tape::{gradcheck, hessian, MatVar, Scalar, Tape, Var};

/// The reproduction: an unused `sqrt(0)` must not turn `∂y/∂x` into NaN.
#[test]
fn an_unused_sqrt_at_zero_does_not_poison_the_branch_taken() {
    let t = Tape::new();
    let x = t.var(0.0);
    let s = x.sqrt(); // partial 1/(2·0) = ∞, never used
    let y = if x > 0.0 { s } else { x * 3.0 };
    assert_eq!(t.backward(y)[x], 3.0);
}

/// Dead values of every kind that has an infinite or NaN partial, each forced
/// onto the tape (combined with two more variables, so its pending node must be
/// written) and then dropped.
fn dead_code<'t>(x: Var<'t, f64>, a: Var<'t, f64>, b: Var<'t, f64>) -> Vec<Var<'t, f64>> {
    let zero = x - x.primal(); // exactly 0, tracked
    vec![
        zero.sqrt() * a + b,                   // ∂sqrt = ∞
        zero.ln() * a + b,                     // ∂ln = ∞, value −∞
        zero.recip() * a + b,                  // ∂(1/x) = −∞
        (zero + 1000.0).exp() * a + b,         // value and partial ∞
        (zero - 800.0).sigmoid().ln() * a + b, // ln(sigmoid(−800)): only for logging
        (zero.sqrt() * zero.ln()) * a + b,     // 0·(−∞): NaN value
        zero.powf(a * 0.0 + 0.5) * a + b,      // x^p at 0, p tracked
    ]
}

#[test]
fn unused_infinite_partials_leave_the_gradient_bit_identical() {
    fn f<'t>(x: Var<'t, f64>, a: Var<'t, f64>, b: Var<'t, f64>) -> Var<'t, f64> {
        (x * a).sin() + b.exp() * x
    }
    let clean = {
        let t = Tape::new();
        let v = t.vars(&[0.0, 1.5, -0.5]);
        let y = f(v[0], v[1], v[2]);
        t.backward(y).wrt(&v)
    };
    let dirty = {
        let t = Tape::new();
        let v = t.vars(&[0.0, 1.5, -0.5]);
        let before = dead_code(v[0], v[1], v[2]);
        let y = f(v[0], v[1], v[2]);
        let after = dead_code(v[0], v[2], v[1]);
        assert!(before.iter().chain(&after).any(|d| !d.primal().is_finite()), "the dead code is poisonous");
        t.backward(y).wrt(&v)
    };
    assert!(clean.iter().all(|g| g.is_finite()));
    assert_eq!(bits(&clean), bits(&dirty));
}

#[test]
fn unused_infinite_partials_leave_the_hessian_bit_identical() {
    let clean = hessian(|v| (v[0] * v[1]).sin() + v[2].exp() * v[0], &[0.0, 1.5, -0.5]);
    let dirty = hessian(
        |v| {
            let zero = v[0] - v[0].value();
            let _dead = [zero.sqrt() * v[1] + v[2], zero.ln() * v[1] + v[2], zero.recip() * v[2] + v[1]];
            (v[0] * v[1]).sin() + v[2].exp() * v[0]
        },
        &[0.0, 1.5, -0.5],
    );
    assert!(clean.as_slice().iter().all(|h| h.is_finite()));
    assert_eq!(bits(clean.as_slice()), bits(dirty.as_slice()));
}

#[test]
fn gradcheck_is_not_poisoned_by_dead_code() {
    let report = gradcheck(
        |v| {
            let zero = v[0] - v[0].primal();
            let _dead = zero.ln() * v[1] + v[0];
            v[0] * v[1] + v[1].exp()
        },
        &[0.0, 0.7],
    );
    assert!(report.passes(1e-7), "{report:?}");
}

#[test]
fn dead_bridges_between_scalars_and_matrices_do_not_poison() {
    let t = Tape::new();
    let v = t.vars(&[0.0, 2.0]);
    let zero = v[0] - 0.0 * v[0].primal();
    // A dead matrix assembled from an infinite-partial scalar, reduced back.
    let m = MatVar::from_vars(&t, &[zero.sqrt(), v[1]], 1, 2);
    let _dead = m.sum().ln();
    let y = v[0] * v[1] + v[1];
    let g = t.backward(y).wrt(&v);
    assert_eq!(g, vec![2.0, 1.0]);
}

/// A random straight-line program over the inputs: each step combines earlier
/// values with an op kept in its domain, so every live partial is finite.
#[derive(Clone, Debug)]
enum Step {
    Add(usize, usize),
    Mul(usize, usize),
    Sin(usize),
    Exp(usize),
    Scale(usize, f64),
}

fn random_program(rng: &mut StdRng, inputs: usize, steps: usize) -> Vec<Step> {
    (0..steps)
        .map(|k| {
            let n = inputs + k;
            let (i, j) = (rng.random_range(0..n), rng.random_range(0..n));
            match rng.random_range(0..5) {
                0 => Step::Add(i, j),
                1 => Step::Mul(i, j),
                2 => Step::Sin(i),
                3 => Step::Exp(i),
                _ => Step::Scale(i, rng.random_range(-2.0..2.0)),
            }
        })
        .collect()
}

/// Runs `program` on `x`; before step `k`, if `dead[k]` is set, records
/// poisonous dead code on a value chosen from it.
fn run_program<'t, T: Scalar>(program: &[Step], x: &[Var<'t, T>], dead: &[Option<usize>]) -> Var<'t, T> {
    let mut vals: Vec<Var<'t, T>> = x.to_vec();
    for (k, step) in program.iter().enumerate() {
        if let Some(d) = dead[k] {
            let u = vals[d % vals.len()];
            let w = vals[(d / 7) % vals.len()];
            let zero = u - Var::constant(u.primal());
            let poisons = [zero.sqrt(), zero.ln(), zero.recip(), (zero + Var::constant(T::from_f64(1e3))).exp()];
            // Each poisonous pending node is written: it meets two more nodes.
            let _dead = poisons[d % 4] * w + u;
        }
        let v = match *step {
            Step::Add(i, j) => vals[i] + vals[j],
            Step::Mul(i, j) => vals[i] * vals[j],
            Step::Sin(i) => vals[i].sin(),
            Step::Exp(i) => vals[i].tanh().exp(),
            Step::Scale(i, c) => vals[i] * Var::constant(T::from_f64(c)),
        };
        vals.push(v);
    }
    // The output sums the last few values so most of the program is live.
    vals.iter().rev().take(4).fold(Var::constant(T::zero()), |acc, &v| acc + v.tanh())
}

fn bits<T: Scalar>(v: &[T]) -> Vec<u64> {
    v.iter().map(|x| x.value().to_bits()).collect()
}

#[test]
fn random_programs_with_random_dead_poison_give_bit_identical_gradients() {
    let mut rng = StdRng::seed_from_u64(0x9015_0201);
    for case in 0..500 {
        let inputs = rng.random_range(1..5);
        let steps = rng.random_range(1..30);
        let program = random_program(&mut rng, inputs, steps);
        let x: Vec<f64> = (0..inputs).map(|_| rng.random_range(-1.5..1.5)).collect();
        let dead: Vec<Option<usize>> =
            (0..steps).map(|_| if rng.random_bool(0.4) { Some(rng.random_range(0..1000)) } else { None }).collect();
        let none = vec![None; steps];

        let grad_of = |dead: &[Option<usize>]| {
            let t = Tape::new();
            let v = t.vars(&x);
            let y = run_program(&program, &v, dead);
            (y.primal(), t.backward(y).wrt(&v))
        };
        let (y0, clean) = grad_of(&none);
        let (y1, dirty) = grad_of(&dead);
        assert_eq!(y0.to_bits(), y1.to_bits(), "case {case}: value differs");
        assert!(clean.iter().all(|g| g.is_finite()), "case {case}: {program:?} at {x:?} gives {clean:?}");
        assert_eq!(bits(&clean), bits(&dirty), "case {case}: {program:?} at {x:?}, dead {dead:?}");

        // Forward-over-reverse (a tape over dual numbers) must be clean too:
        // the HVP along e₀ with and without the dead code.
        let hvp_of = |dead: &[Option<usize>]| {
            let t: Tape<Dual<f64>> = Tape::new();
            let v: Vec<Var<'_, Dual<f64>>> =
                x.iter().enumerate().map(|(i, &xi)| t.var(Dual::new(xi, if i == 0 { 1.0 } else { 0.0 }))).collect();
            let y = run_program(&program, &v, dead);
            let g = t.backward(y).wrt(&v);
            g.iter().flat_map(|d| [d.re.to_bits(), d.eps.to_bits()]).collect::<Vec<u64>>()
        };
        assert_eq!(hvp_of(&none), hvp_of(&dead), "case {case}: HVP differs, {program:?}, dead {dead:?}");
    }
}
