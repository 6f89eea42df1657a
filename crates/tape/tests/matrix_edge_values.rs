//! The matrix ops against the scalar ops, element by element, at edge values:
//! zeros of both signs, ±1, infinities, NaN, subnormal and huge numbers.
//!
//! A matrix op applied elementwise must give what the scalar op gives on each
//! element: the same value, the same gradient through the tape (reverse mode,
//! against `Var`) and the same tangent from its JVP rule (forward mode, against
//! `Dual`) — to 4 ulp, exactly where the answer is 0, ±∞ or NaN. The matrix
//! rules, the `Var` rules and the `Dual` rules are written independently, so
//! this is where a convention that one of them handles differently (a
//! derivative at a kink, at NaN, `0·∞` in `x⁰`) shows up. Covered: every
//! elementwise function that has a scalar counterpart, the broadcast
//! arithmetic and the power with a tracked exponent on every pair of edge
//! values, and `max_per_row` against a fold of the scalar `max`.

use wengert_dual::Dual;
use wengert_ops::rules::{self, Builtin};
use wengert_ops::MatOp;
use wengert_tape::{MatVar, Matrix, Scalar, Tape, Var};

const EDGES: [f64; 12] =
    [0.0, -0.0, 1.0, -1.0, f64::INFINITY, f64::NEG_INFINITY, f64::NAN, 5e-324, -5e-324, 1e300, -1e300, 0.5];

/// Equal up to 4 units in the last place for finite non-zero numbers, exactly
/// equal otherwise (zeros of either sign equal), or both NaN.
fn same(a: f64, b: f64) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    if a == b {
        return true;
    }
    a.is_finite() && b.is_finite() && a != 0.0 && b != 0.0 && (a - b).abs() <= 4.0 * f64::EPSILON * a.abs().max(b.abs())
}

type D = Dual<f64>;

/// Adjoint and tangent weights: powers of two (exact products), never 0.
fn weights(n: usize, offset: usize) -> Vec<f64> {
    (0..n).map(|k| [0.5, -2.0, 1.0, -0.25, 4.0][(k + offset) % 5]).collect()
}

/// A matrix op's name, its `MatVar` form, its rule, and the scalar op it
/// applies elementwise in reverse mode and in forward mode.
struct Unary {
    name: &'static str,
    on_matrix: for<'t> fn(MatVar<'t, f64>) -> MatVar<'t, f64>,
    rule: Builtin,
    on_var: for<'t> fn(Var<'t, f64>) -> Var<'t, f64>,
    on_dual: fn(D) -> D,
}

fn unary_ops() -> Vec<Unary> {
    macro_rules! u {
        ($name:expr, $m:expr, $rule:expr, $s:expr) => {
            Unary { name: $name, on_matrix: $m, rule: Builtin::from($rule), on_var: $s, on_dual: $s }
        };
    }
    vec![
        u!("neg", |x| -x, rules::Neg, |x| -x),
        u!("scale", |x| x * -1.5, rules::Scale(-1.5), |x| x * -1.5),
        u!("add_const", |x| x + 0.75, rules::AddConst(0.75), |x| x + 0.75),
        u!("exp", |x| x.exp(), rules::Exp, |x| x.exp()),
        u!("ln", |x| x.ln(), rules::Ln, |x| x.ln()),
        u!("sqrt", |x| x.sqrt(), rules::Sqrt, |x| x.sqrt()),
        u!("abs", |x| x.abs(), rules::Abs, |x| x.abs()),
        u!("sigmoid", |x| x.sigmoid(), rules::Sigmoid, |x| x.sigmoid()),
        u!("tanh", |x| x.tanh(), rules::Tanh, |x| x.tanh()),
        u!("relu", |x| x.relu(), rules::Relu, |x| x.relu()),
        u!("softplus", |x| x.softplus(), rules::Softplus, |x| x.softplus()),
        Unary {
            name: "powf(2.5)",
            on_matrix: |x| x.powf(2.5),
            rule: Builtin::from(rules::Powf(2.5)),
            on_var: |x| x.powf(Var::constant(2.5)),
            on_dual: |x| x.powf(D::constant(2.5)),
        },
        Unary {
            name: "powf(2)",
            on_matrix: |x| x.powf(2.0),
            rule: Builtin::from(rules::Powf(2.0)),
            on_var: |x| x.powf(Var::constant(2.0)),
            on_dual: |x| x.powf(D::constant(2.0)),
        },
        Unary {
            name: "powf(0.5)",
            on_matrix: |x| x.powf(0.5),
            rule: Builtin::from(rules::Powf(0.5)),
            on_var: |x| x.powf(Var::constant(0.5)),
            on_dual: |x| x.powf(D::constant(0.5)),
        },
        Unary {
            name: "powf(-1)",
            on_matrix: |x| x.powf(-1.0),
            rule: Builtin::from(rules::Powf(-1.0)),
            on_var: |x| x.powf(Var::constant(-1.0)),
            on_dual: |x| x.powf(D::constant(-1.0)),
        },
        // x⁰ ≡ 1: derivative 0 also at x = 0, where 0·x⁻¹ is 0·∞.
        Unary {
            name: "powf(0)",
            on_matrix: |x| x.powf(0.0),
            rule: Builtin::from(rules::Powf(0.0)),
            on_var: |x| x.powf(Var::constant(0.0)),
            on_dual: |x| x.powf(D::constant(0.0)),
        },
    ]
}

/// The rule's JVP at `x` along `v`.
fn rule_jvp(op: &Builtin, inputs: &[&Matrix<f64>], tangents: &[&[f64]]) -> Vec<f64> {
    let shapes: Vec<(usize, usize)> = inputs.iter().map(|m| m.shape()).collect();
    let (r, c) = MatOp::<f64>::output_shape(op, &shapes);
    let mut y = vec![0.0; r * c];
    op.forward(inputs, &mut y);
    let y = Matrix::from_vec(r, c, y);
    let t: Vec<Option<&[f64]>> = tangents.iter().map(|t| Some(*t)).collect();
    let mut out = vec![f64::NAN; r * c];
    assert!(op.jvp(inputs, &y, &t, &mut out));
    out
}

#[test]
fn elementwise_matrix_ops_agree_with_the_scalar_ops_at_edge_values() {
    let n = EDGES.len();
    let x = Matrix::from_vec(1, n, EDGES.to_vec());
    let w = weights(n, 0);
    let v = weights(n, 2);
    let mut checked = 0;
    for op in unary_ops() {
        let name = op.name;
        // Reverse mode through the tape: L = Σ w ⊙ f(x).
        let tape = Tape::new();
        let xm = tape.matrix(&x);
        let y = (op.on_matrix)(xm);
        let loss = y.mul_elem(tape.constant_matrix(&Matrix::from_vec(1, n, w.clone()))).sum();
        let grad = tape.backward(loss).matrix(xm);
        let value = y.value();
        let jvp = rule_jvp(&op.rule, &[&x], &[&v]);
        for k in 0..n {
            let at = format!("{name}({:e})", EDGES[k]);
            // The scalar op on its own tape, and in forward mode.
            let t = Tape::new();
            let xs = t.var(EDGES[k]);
            let ys = (op.on_var)(xs);
            let gs = if ys.is_tracked() { t.backward(ys)[xs] } else { 0.0 };
            let fw = (op.on_dual)(D::new(EDGES[k], v[k]));
            assert!(
                same(value.as_slice()[k], ys.primal()),
                "{at}: value {} (matrix) vs {} (Var)",
                value.as_slice()[k],
                ys.primal()
            );
            assert!(
                same(grad.as_slice()[k], w[k] * gs),
                "{at}: gradient {} (matrix) vs {}·{gs} (Var)",
                grad.as_slice()[k],
                w[k]
            );
            assert!(same(jvp[k], fw.eps), "{at}: JVP {} (matrix) vs {} (Dual)", jvp[k], fw.eps);
            // The forward rule on dual numbers (how the tape runs matrix ops in
            // forward mode and for Hessian-vector products).
            let xd = Matrix::from_vec(1, 1, vec![D::new(EDGES[k], v[k])]);
            let mut yd = [D::constant(0.0)];
            op.rule.forward(&[&xd], &mut yd);
            assert!(same(yd[0].re, fw.re) && same(yd[0].eps, fw.eps), "{at}: dual forward {:?} vs {fw:?}", yd[0]);
            checked += 1;
        }
    }
    assert_eq!(checked, 16 * n);
}

/// A broadcast op's name, rule, `MatVar` form and scalar forms.
struct BinaryCase {
    name: &'static str,
    rule: Builtin,
    on_matrix: for<'t> fn(MatVar<'t, f64>, MatVar<'t, f64>) -> MatVar<'t, f64>,
    on_var: for<'t> fn(Var<'t, f64>, Var<'t, f64>) -> Var<'t, f64>,
    on_dual: fn(D, D) -> D,
}

/// The one place where `Var` disagrees with `Dual` and the matrix rule: its
/// quotient's partial `∂(a/b)/∂b = −q·(1/b)` is `0·∞ = NaN` at `a = ±0` over a
/// subnormal `b` (where `1/b` overflows), although the derivative `−a/b²` is
/// 0 there; `Dual` computes `−q/b` and the matrix rule `−(q/b)`, both 0. (A
/// scalar-tape rule, outside the matrix ops; the forward-mode comparison below
/// still checks the matrix rule at these points.)
fn var_div_overflows(op: &str, a: f64, b: f64) -> bool {
    op == "div" && a == 0.0 && b != 0.0 && (1.0 / b).is_infinite()
}

#[test]
fn broadcast_arithmetic_and_pow_agree_with_the_scalar_ops_on_every_pair_of_edge_values() {
    let n = EDGES.len();
    // Every pair: a[i][j] = EDGES[i], b[i][j] = EDGES[j].
    let a = Matrix::from_fn(n, n, |i, _| EDGES[i]);
    let b = Matrix::from_fn(n, n, |_, j| EDGES[j]);
    let w = weights(n * n, 0);
    let (va, vb) = (weights(n * n, 1), weights(n * n, 3));
    let cases = [
        BinaryCase {
            name: "add",
            rule: rules::Add.into(),
            on_matrix: |a, b| a + b,
            on_var: |a, b| a + b,
            on_dual: |a, b| a + b,
        },
        BinaryCase {
            name: "sub",
            rule: rules::Sub.into(),
            on_matrix: |a, b| a - b,
            on_var: |a, b| a - b,
            on_dual: |a, b| a - b,
        },
        BinaryCase {
            name: "mul",
            rule: rules::Mul.into(),
            on_matrix: |a, b| a.mul_elem(b),
            on_var: |a, b| a * b,
            on_dual: |a, b| a * b,
        },
        BinaryCase {
            name: "div",
            rule: rules::Div.into(),
            on_matrix: |a, b| a.div_elem(b),
            on_var: |a, b| a / b,
            on_dual: |a, b| a / b,
        },
        BinaryCase {
            name: "pow",
            rule: rules::Pow.into(),
            on_matrix: |a, b| a.powf(b),
            on_var: |a, b| a.powf(b),
            on_dual: |a, b| a.powf(b),
        },
    ];
    for case in cases {
        let tape = Tape::new();
        let (am, bm) = (tape.matrix(&a), tape.matrix(&b));
        let y = (case.on_matrix)(am, bm);
        let loss = y.mul_elem(tape.constant_matrix(&Matrix::from_vec(n, n, w.clone()))).sum();
        let g = tape.backward(loss);
        let (ga, gb, value) = (g.matrix(am), g.matrix(bm), y.value());
        let jvp = rule_jvp(&case.rule, &[&a, &b], &[&va, &vb]);
        let mut bad = Vec::new();
        for k in 0..n * n {
            let (x, p) = (a.as_slice()[k], b.as_slice()[k]);
            let at = format!("{}({x:e}, {p:e})", case.name);
            let t = Tape::new();
            let (xs, ps) = (t.var(x), t.var(p));
            let ys = (case.on_var)(xs, ps);
            let gs = t.backward(ys);
            let fw = (case.on_dual)(D::new(x, va[k]), D::new(p, vb[k]));
            if !same(value.as_slice()[k], ys.primal()) {
                bad.push(format!("{at}: value {} vs {}", value.as_slice()[k], ys.primal()));
            }
            if !same(ga.as_slice()[k], w[k] * gs[xs]) {
                bad.push(format!("{at}: ∂/∂a {} vs {}·{}", ga.as_slice()[k], w[k], gs[xs]));
            }
            if !same(gb.as_slice()[k], w[k] * gs[ps]) && !var_div_overflows(case.name, x, p) {
                bad.push(format!("{at}: ∂/∂b {} vs {}·{}", gb.as_slice()[k], w[k], gs[ps]));
            }
            // Each partial on its own in forward mode too.
            let da = (case.on_dual)(D::variable(x), D::constant(p)).eps;
            let db = (case.on_dual)(D::constant(x), D::variable(p)).eps;
            if !same(ga.as_slice()[k], w[k] * da) || !same(gb.as_slice()[k], w[k] * db) {
                bad.push(format!(
                    "{at}: VJP ({}, {}) vs {}·({da}, {db}) (Dual)",
                    ga.as_slice()[k],
                    gb.as_slice()[k],
                    w[k]
                ));
            }
            if !same(jvp[k], fw.eps) {
                bad.push(format!("{at}: JVP {} vs {} (Dual {va:?} {vb:?})", jvp[k], fw.eps, va = va[k], vb = vb[k]));
            }
        }
        assert!(bad.is_empty(), "{}", bad.join("\n"));
    }
}

#[test]
fn tracked_exponent_of_a_matrix_power_matches_the_scalar_powf() {
    // x^p with p a tracked scalar: the gradient of p sums over the elements.
    let x = Matrix::from_rows(&[[0.0, 0.5, 2.0, 3.0]]);
    for p0 in [0.0, 2.0, 0.5, -1.0] {
        let tape = Tape::new();
        let (xm, p) = (tape.matrix(&x), tape.var(p0));
        let loss = xm.powf(p).sum();
        let g = tape.backward(loss);
        let t = Tape::new();
        let xs: Vec<Var<'_, f64>> = x.as_slice().iter().map(|&v| t.var(v)).collect();
        let ps = t.var(p0);
        let total = xs.iter().fold(Var::constant(0.0), |acc, &xi| acc + xi.powf(ps));
        let gs = t.backward(total);
        assert!(same(loss.primal(), total.primal()), "p = {p0}");
        assert!(same(g[p], gs[ps]), "p = {p0}: ∂/∂p {} vs {}", g[p], gs[ps]);
        for (k, &xi) in xs.iter().enumerate() {
            assert!(same(g.matrix(xm).as_slice()[k], gs[xi]), "p = {p0}: ∂/∂x{k}");
        }
        // A constant exponent records the constant power.
        let tape = Tape::new();
        let xm = tape.matrix(&x);
        let via_var = xm.powf(Var::constant(p0)).value();
        assert_eq!(via_var.as_slice(), xm.powf(p0).value().as_slice());
    }
}

#[test]
fn max_per_row_matches_a_fold_of_the_scalar_max() {
    let nan = f64::NAN;
    let inf = f64::INFINITY;
    let rows: [[f64; 3]; 8] = [
        [nan, 1.0, 2.0],
        [1.0, nan, 2.0],
        [1.0, 2.0, nan],
        [inf, 1.0, 2.0],
        [-inf, -inf, -inf],
        [-0.0, 0.0, -1.0],
        [1e300, 5e-324, -1e300],
        [2.0, 2.0, 1.0],
    ];
    let x = Matrix::from_fn(rows.len(), 3, |i, j| rows[i][j]);
    let tape = Tape::new();
    let xm = tape.matrix(&x);
    let y = xm.max_per_row();
    let wm = Matrix::from_vec(rows.len(), 1, weights(rows.len(), 0));
    let g = tape.backward(y.mul_elem(tape.constant_matrix(&wm)).sum()).matrix(xm);
    let v = weights(x.len(), 1);
    let jvp = rule_jvp(&Builtin::from(rules::MaxRows), &[&x], &[&v]);
    for (i, row) in rows.iter().enumerate() {
        let t = Tape::new();
        let xs: Vec<Var<'_, f64>> = row.iter().map(|&r| t.var(r)).collect();
        let m = xs[1..].iter().fold(xs[0], |acc, &x| acc.max(x));
        let gs = t.backward(m);
        let fw = row
            .iter()
            .enumerate()
            .skip(1)
            .fold(D::new(row[0], v[3 * i]), |acc, (j, &r)| acc.max(D::new(r, v[3 * i + j])));
        assert!(
            same(y.value().as_slice()[i], m.primal()),
            "row {row:?}: {} vs {}",
            y.value().as_slice()[i],
            m.primal()
        );
        for j in 0..3 {
            assert!(same(g.as_slice()[3 * i + j], wm.as_slice()[i] * gs[xs[j]]), "row {row:?}: ∂/∂x{j}");
        }
        assert!(same(jvp[i], fw.eps), "row {row:?}: JVP {} vs {}", jvp[i], fw.eps);
    }
}
