//! Every built-in op's VJP and JVP against central finite differences, through
//! the public harness ([`check_vjp`], [`check_jvp`] in `wengert_ops::check`),
//! which accepts any `MatOp<f64>` — a custom op is checked the same way.
//!
//! `check_vjp` builds `L = Σ w ⊙ forward(inputs)` for a random weight matrix
//! `w`, asks the op for its VJP seeded with `g = w`, and compares every element
//! of every input's adjoint with `(L(x + h) − L(x − h)) / 2h`,
//! `h = 1e-6·max(1, |x|)`; `check_jvp` compares the JVP along a random
//! direction with the central difference of the value along it. The error
//! measure is `|analytic − numeric| / max(1, |analytic|, |numeric|)`: relative
//! for derivatives of size ≥ 1, absolute below. Central differences on f64
//! with this step are accurate to about 1e-9 here, so `1e-6` has margin.
//!
//! Inputs come from the shared case list (`cases/mod.rs`): inside each op's
//! domain, away from kinks by much more than `h`, diagonally dominant (well
//! conditioned) for the LU-based ops.

mod cases;

use cases::{cases, normal, well_conditioned, Case, SHAPES};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use wengert_ops::check::{check_jvp, check_vjp};
use wengert_ops::rules::{Builtin, Det, Inverse, LogDet, MatMul, Outer, Solve, Trace};
use wengert_ops::{MatOp, Matrix};

const TOL: f64 = 1e-6;

fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// Both finite-difference checks of one op on one set of inputs.
fn check(op: &dyn MatOp<f64>, inputs: &[Matrix<f64>], r: &mut StdRng) {
    let vjp = check_vjp(op, inputs, r.random());
    assert!(vjp.passes(TOL), "{vjp}");
    let jvp = check_jvp(op, inputs, r.random());
    assert!(jvp.passes(TOL), "{jvp}");
}

#[test]
fn every_builtin_op_at_every_base_shape() {
    let mut r = rng(10);
    let mut checked = 0;
    for &s in &SHAPES {
        for Case { op, inputs } in cases(&mut r, s) {
            check(&op, &inputs, &mut r);
            checked += 1;
        }
    }
    println!("{checked} cases");
    assert!(checked >= 80 * SHAPES.len(), "{checked} cases");
}

#[test]
fn matmul_all_transpose_flags() {
    let mut r = rng(12);
    for &(m, k, n) in &[(1, 1, 1), (1, 4, 1), (4, 1, 3), (3, 5, 2), (2, 3, 6), (7, 6, 5), (20, 17, 19)] {
        for ta in [false, true] {
            for tb in [false, true] {
                let a = normal(&mut r, if ta { (k, m) } else { (m, k) });
                let b = normal(&mut r, if tb { (n, k) } else { (k, n) });
                check(&Builtin::from(MatMul { ta, tb }), &[a, b], &mut r);
            }
        }
    }
}

#[test]
fn outer_of_vectors_in_either_orientation() {
    let mut r = rng(13);
    for (us, vs) in [((1, 1), (1, 1)), ((1, 3), (4, 1)), ((3, 1), (1, 5)), ((2, 1), (3, 1))] {
        check(&Builtin::from(Outer), &[normal(&mut r, us), normal(&mut r, vs)], &mut r);
    }
}

#[test]
fn matrix_calculus_ops() {
    let mut r = rng(16);
    for n in [1, 2, 3, 5] {
        for neg in [false, true] {
            check(&Builtin::from(Trace), &[normal(&mut r, (n, n))], &mut r);
            check(&Builtin::from(Det), &[well_conditioned(&mut r, n, neg)], &mut r);
            check(&Builtin::from(LogDet), &[well_conditioned(&mut r, n, neg)], &mut r);
            check(&Builtin::from(Inverse), &[well_conditioned(&mut r, n, neg)], &mut r);
            for k in [1, 3] {
                check(&Builtin::from(Solve), &[well_conditioned(&mut r, n, neg), normal(&mut r, (n, k))], &mut r);
            }
        }
    }
}

/// A user-defined op goes through the same harness: `y = x₀·x₁²` elementwise.
struct MulSquare;
impl MatOp<f64> for MulSquare {
    fn name(&self) -> &str {
        "mul_square"
    }
    fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize) {
        inputs[0]
    }
    fn forward(&self, inputs: &[&Matrix<f64>], out: &mut [f64]) {
        for ((o, a), b) in out.iter_mut().zip(inputs[0].iter()).zip(inputs[1].iter()) {
            *o = a * b * b;
        }
    }
    fn vjp(&self, inputs: &[&Matrix<f64>], _: &Matrix<f64>, g: &[f64], grads: &mut [Option<&mut [f64]>]) {
        let (a, b) = (inputs[0].as_slice(), inputs[1].as_slice());
        if let Some(ga) = grads[0].as_deref_mut() {
            for k in 0..a.len() {
                ga[k] += g[k] * b[k] * b[k];
            }
        }
        if let Some(gb) = grads[1].as_deref_mut() {
            for k in 0..a.len() {
                gb[k] += g[k] * 2.0 * a[k] * b[k];
            }
        }
    }
    fn jvp(&self, inputs: &[&Matrix<f64>], _: &Matrix<f64>, tangents: &[Option<&[f64]>], out: &mut [f64]) -> bool {
        let (a, b) = (inputs[0].as_slice(), inputs[1].as_slice());
        for (k, o) in out.iter_mut().enumerate() {
            let da = tangents[0].map_or(0.0, |t| t[k]);
            let db = tangents[1].map_or(0.0, |t| t[k]);
            *o = da * b[k] * b[k] + 2.0 * a[k] * b[k] * db;
        }
        true
    }
}

#[test]
fn harness_accepts_custom_ops_and_catches_a_wrong_vjp_or_jvp() {
    let mut r = rng(17);
    check(&MulSquare, &[normal(&mut r, (3, 2)), normal(&mut r, (3, 2))], &mut r);

    /// `exp` with the derivative off by a factor 1.001 (VJP and JVP), and a
    /// VJP that overwrites its slot instead of adding to it.
    struct BadExp {
        overwrite: bool,
    }
    impl MatOp<f64> for BadExp {
        fn name(&self) -> &str {
            "bad_exp"
        }
        fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize) {
            inputs[0]
        }
        fn forward(&self, inputs: &[&Matrix<f64>], out: &mut [f64]) {
            out.iter_mut().zip(inputs[0].iter()).for_each(|(o, x)| *o = x.exp());
        }
        fn vjp(&self, _: &[&Matrix<f64>], y: &Matrix<f64>, g: &[f64], grads: &mut [Option<&mut [f64]>]) {
            if let Some(gx) = grads[0].as_deref_mut() {
                if self.overwrite {
                    gx.iter_mut().zip(y.iter()).zip(g).for_each(|((gx, y), g)| *gx = g * y);
                } else {
                    gx.iter_mut().zip(y.iter()).zip(g).for_each(|((gx, y), g)| *gx += g * y * 1.001);
                }
            }
        }
        fn jvp(&self, _: &[&Matrix<f64>], y: &Matrix<f64>, t: &[Option<&[f64]>], out: &mut [f64]) -> bool {
            let t = t[0].expect("checked with a tangent");
            out.iter_mut().zip(y.iter()).zip(t).for_each(|((o, y), t)| *o = t * y * 1.001);
            true
        }
    }
    let x = [Matrix::from_rows(&[[1.0, 2.0]])];
    let report = check_vjp(&BadExp { overwrite: false }, &x, 18);
    assert!(!report.passes(TOL), "a 0.1% error in a VJP must fail the harness: {report}");
    // The report says where: an element of input 0, whose analytic value is
    // the numeric one times 1.001.
    let worst = report.worst.expect("two elements were compared");
    assert!(worst.input == 0 && worst.element < 2 && worst.error == report.max_error, "{report}");
    assert!((worst.analytic / worst.numeric - 1.001).abs() < 1e-6, "{report}");
    // Overwriting loses what the slot held (a random prefill in the check).
    let report = check_vjp(&BadExp { overwrite: true }, &x, 18);
    assert!(!report.passes(TOL) && report.slot_error > 1e-3, "an overwriting VJP must fail the harness: {report}");
    let report = check_jvp(&BadExp { overwrite: false }, &x, 19);
    assert!(!report.passes(TOL), "a 0.1% error in a JVP must fail the harness: {report}");
}
