//! Property tests over **matrix** expressions: random compositions of matrix ops
//! (depth up to 8) on two 3×3 inputs, reduced to a scalar, and differentiated
//! three ways that share no derivative code:
//!
//! * reverse mode (`grad` on a `Tape<f64>`: the ops' VJP rules),
//! * forward mode (`jacfwd(fns::on_tape(f))`, recorded on a `Tape<Dual<f64>>`:
//!   the ops' *forward* rules run on dual numbers, no VJP involved),
//! * central differences of the plain value,
//!
//! plus forward-over-reverse Hessians (`hessian`) checked for symmetry and
//! against `numerical_hessian`. Ops are applied in forms that are smooth
//! everywhere (`exp ∘ tanh`, `ln(softplus + 0.1)`, `a / (softplus(b) + 0.5)`,
//! products squashed by `tanh`), so finite-difference probes never leave the
//! domain; kinked ops (relu, abs, clamp, max) are covered by the per-op
//! dot-product test instead. A failure prints the seed and the expression.

use std::fmt;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use wengert_tape::{
    fns, grad, hessian, jacfwd, numerical_gradient, numerical_hessian, MatVar, Matrix, Scalar, Tape, Var,
};

const N: usize = 3;
const INPUTS: usize = 2 * N * N;
const MAX_DEPTH: u32 = 8;

#[derive(Clone, Copy, Debug)]
enum Un {
    Sigmoid,
    Tanh,
    Softplus,
    ExpTanh,
    LnSoftplus,
    SqrtSquare,
    PowfSquare,
    Transpose,
    Softmax,
    LogSoftmax,
    Scale(f64),
    AddConst(f64),
    Neg,
    CenterRows,
    AddColMeans,
}

#[derive(Clone, Copy, Debug)]
enum Bin {
    Add,
    Sub,
    MulElem,
    DivSoftplus,
    MatMul,
    MatMulTn,
    MatMulNt,
}

#[derive(Clone, Copy, Debug)]
enum Reduce {
    Sum,
    Mean,
    Trace,
    L2,
    DotA,
    SoftmaxCe,
    SoftmaxCeSoft,
    Bce,
    MseB,
    LogDetGram,
    SolveDot,
}

#[derive(Clone, Debug)]
enum Expr {
    A,
    B,
    Un(Un, Box<Expr>),
    Bin(Bin, Box<Expr>, Box<Expr>),
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::A => write!(f, "A"),
            Expr::B => write!(f, "B"),
            Expr::Un(u, e) => write!(f, "{u:?}({e})"),
            Expr::Bin(b, x, y) => write!(f, "{b:?}({x}, {y})"),
        }
    }
}

fn eval<'t, T: Scalar>(e: &Expr, a: MatVar<'t, T>, b: MatVar<'t, T>) -> MatVar<'t, T> {
    match e {
        Expr::A => a,
        Expr::B => b,
        Expr::Un(u, x) => {
            let x = eval(x, a, b);
            match *u {
                Un::Sigmoid => x.sigmoid(),
                Un::Tanh => x.tanh(),
                Un::Softplus => x.softplus(),
                Un::ExpTanh => x.tanh().exp(),
                Un::LnSoftplus => (x.softplus() + 0.1).ln(),
                Un::SqrtSquare => (x.mul_elem(x) + 0.1).sqrt(),
                Un::PowfSquare => (x.mul_elem(x) + 0.3).powf(1.5),
                Un::Transpose => x.t(),
                Un::Softmax => x.softmax(),
                Un::LogSoftmax => x.log_softmax(),
                Un::Scale(c) => x * c,
                Un::AddConst(c) => x + c,
                Un::Neg => -x,
                Un::CenterRows => x - x.mean_per_row(),
                Un::AddColMeans => x + x.mean_per_col() * 0.5,
            }
        }
        Expr::Bin(op, x, y) => {
            let (x, y) = (eval(x, a, b), eval(y, a, b));
            match op {
                Bin::Add => x + y,
                Bin::Sub => x - y,
                Bin::MulElem => x.mul_elem(y),
                Bin::DivSoftplus => x.div_elem(y.softplus() + 0.5),
                Bin::MatMul => (x.matmul(y) * 0.5).tanh(),
                Bin::MatMulTn => (x.matmul_tn(y) * 0.5).tanh(),
                Bin::MatMulNt => (x.matmul_nt(y) * 0.5).tanh(),
            }
        }
    }
}

#[derive(Clone, Debug)]
struct Case {
    seed: u64,
    expr: Expr,
    reduce: Reduce,
    labels: Vec<usize>,
    targets: Matrix<f64>,
    x: Vec<f64>,
}

/// The case's scalar loss, generic over the tape's element type.
fn loss<'t, T: Scalar>(case: &Case, x: &[Var<'t, T>]) -> Var<'t, T> {
    let tape = x[0].tape().expect("inputs are tracked");
    let a = MatVar::from_vars(tape, &x[..N * N], N, N);
    let b = MatVar::from_vars(tape, &x[N * N..], N, N);
    let m = eval(&case.expr, a, b);
    let targets = tape.constant_matrix(&case.targets.cast());
    match case.reduce {
        Reduce::Sum => m.sum(),
        Reduce::Mean => m.mean(),
        Reduce::Trace => m.trace(),
        Reduce::L2 => m.l2_penalty(),
        Reduce::DotA => m.dot(a),
        Reduce::SoftmaxCe => m.softmax_cross_entropy(&case.labels),
        Reduce::SoftmaxCeSoft => m.softmax_cross_entropy_soft(targets.softmax()),
        Reduce::Bce => m.bce_with_logits(targets),
        Reduce::MseB => m.mse(b),
        Reduce::LogDetGram => (m.matmul_nt(m) + tape.constant_matrix(&Matrix::identity(N))).logdet(),
        Reduce::SolveDot => {
            let spd = m.matmul_tn(m) + tape.constant_matrix(&Matrix::identity(N));
            spd.solve(b).dot(targets)
        }
    }
}

fn draw_expr(rng: &mut StdRng, depth: u32) -> Expr {
    if depth == 0 || rng.random_bool(0.2) {
        return if rng.random_bool(0.5) { Expr::A } else { Expr::B };
    }
    if rng.random_bool(0.55) {
        let u = match rng.random_range(0..15) {
            0 => Un::Sigmoid,
            1 => Un::Tanh,
            2 => Un::Softplus,
            3 => Un::ExpTanh,
            4 => Un::LnSoftplus,
            5 => Un::SqrtSquare,
            6 => Un::PowfSquare,
            7 => Un::Transpose,
            8 => Un::Softmax,
            9 => Un::LogSoftmax,
            10 => Un::Scale(rng.random_range(-1.5..1.5)),
            11 => Un::AddConst(rng.random_range(-1.0..1.0)),
            12 => Un::Neg,
            13 => Un::CenterRows,
            _ => Un::AddColMeans,
        };
        Expr::Un(u, Box::new(draw_expr(rng, depth - 1)))
    } else {
        let b = match rng.random_range(0..7) {
            0 => Bin::Add,
            1 => Bin::Sub,
            2 => Bin::MulElem,
            3 => Bin::DivSoftplus,
            4 => Bin::MatMul,
            5 => Bin::MatMulTn,
            _ => Bin::MatMulNt,
        };
        Expr::Bin(b, Box::new(draw_expr(rng, depth - 1)), Box::new(draw_expr(rng, depth - 1)))
    }
}

fn draw_case(seed: u64) -> Case {
    let mut rng = StdRng::seed_from_u64(seed);
    let depth = rng.random_range(1..=MAX_DEPTH);
    let expr = draw_expr(&mut rng, depth);
    let reduce = match rng.random_range(0..11) {
        0 => Reduce::Sum,
        1 => Reduce::Mean,
        2 => Reduce::Trace,
        3 => Reduce::L2,
        4 => Reduce::DotA,
        5 => Reduce::SoftmaxCe,
        6 => Reduce::SoftmaxCeSoft,
        7 => Reduce::Bce,
        8 => Reduce::MseB,
        9 => Reduce::LogDetGram,
        _ => Reduce::SolveDot,
    };
    let labels = (0..N).map(|_| rng.random_range(0..N)).collect();
    let targets = Matrix::from_fn(N, N, |_, _| rng.random_range(0.0..1.0));
    let x = (0..INPUTS).map(|_| rng.random_range(-1.0..1.0)).collect();
    Case { seed, expr, reduce, labels, targets, x }
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * a.abs().max(b.abs()).max(1.0)
}

fn fail(case: &Case, what: &str) -> ! {
    panic!("seed {}: {what}\n  loss {:?} of {}\n  at {:?}", case.seed, case.reduce, case.expr, case.x)
}

/// Checks one case (and its Hessian when `with_hessian`).
fn check(case: &Case, with_hessian: bool) {
    let reverse = grad(|x| loss(case, x), &case.x);
    let forward = jacfwd(fns::on_tape(|x| vec![loss(case, x)]), &case.x);
    let mut tape = Tape::new();
    let numeric = numerical_gradient(
        |p| {
            tape.clear();
            let v = tape.vars(p);
            loss(case, &v).primal()
        },
        &case.x,
    );
    for i in 0..INPUTS {
        let (r, f, n) = (reverse[i], forward[(0, i)], numeric[i]);
        if !r.is_finite() {
            fail(case, &format!("non-finite gradient component {i}: {r}"));
        }
        if !close(r, f, 1e-12) {
            fail(case, &format!("reverse {r:.17e} vs forward {f:.17e} at component {i}"));
        }
        if !close(r, n, 1e-6) {
            fail(case, &format!("reverse {r:.17e} vs central differences {n:.17e} at component {i}"));
        }
    }
    if with_hessian {
        let h = hessian(|x| loss(case, x), &case.x);
        let mut tape = Tape::new();
        let nh = numerical_hessian(
            |p| {
                tape.clear();
                let v = tape.vars(p);
                loss(case, &v).primal()
            },
            &case.x,
        );
        for i in 0..INPUTS {
            for j in 0..INPUTS {
                if !close(h[(i, j)], h[(j, i)], 1e-12) {
                    fail(case, &format!("Hessian not symmetric at ({i}, {j}): {} vs {}", h[(i, j)], h[(j, i)]));
                }
                if !close(h[(i, j)], nh[(i, j)], 1e-5) {
                    fail(case, &format!("Hessian ({i}, {j}) {:.12e} vs numerical {:.12e}", h[(i, j)], nh[(i, j)]));
                }
            }
        }
    }
}

fn run(first_seed: u64, count: u64) {
    for seed in first_seed..first_seed + count {
        check(&draw_case(seed), seed % 10 == 0);
    }
}

#[test]
fn one_thousand_random_matrix_expressions_agree_in_every_mode() {
    run(0, 1_000);
}

#[test]
fn the_generator_reaches_every_op_and_reduction() {
    let mut seen = std::collections::BTreeSet::new();
    fn walk(e: &Expr, seen: &mut std::collections::BTreeSet<String>) {
        match e {
            Expr::A | Expr::B => {}
            Expr::Un(u, x) => {
                seen.insert(format!("{u:?}").split('(').next().unwrap_or_default().to_string());
                walk(x, seen);
            }
            Expr::Bin(b, x, y) => {
                seen.insert(format!("{b:?}"));
                walk(x, seen);
                walk(y, seen);
            }
        }
    }
    for seed in 0..1_000 {
        let case = draw_case(seed);
        walk(&case.expr, &mut seen);
        seen.insert(format!("reduce {:?}", case.reduce));
    }
    assert_eq!(seen.len(), 15 + 7 + 11, "ops and reductions reached: {seen:?}");
}

/// Ten times the default run; about a minute at the test profile.
#[test]
#[ignore = "10 000 matrix cases, about a minute: run explicitly with --ignored"]
fn ten_thousand_random_matrix_expressions_agree_in_every_mode() {
    run(1_000, 10_000);
}
