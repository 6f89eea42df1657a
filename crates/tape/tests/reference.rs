//! Agreement with an independent AD framework: the project's third correctness
//! proof, after finite differences and hand-written derivatives.
//!
//! `scripts/reference_values.py` evaluated each function below with JAX in
//! float64 (values, gradients, Hessians, Hessian-vector products) and wrote
//! inputs and results to `tests/fixtures/<case>.txt`. Here wengert recomputes
//! every quantity **from the inputs stored in the same file** (nothing is
//! duplicated by hand) — gradients on a `Tape<f64>`, second order with
//! [`hessian`] / [`hvp`] (forward-over-reverse over `Dual<f64>`) — and the two
//! must agree. The fixtures are embedded with `include_str!`, so the test needs
//! neither Python nor the files at run time.
//!
//! Fixture format (documented in the script): `#` comments, otherwise one
//! quantity per line, `key rows cols v₁ … v_{rows·cols}` row-major, values
//! printed so that they parse back to the exact same `f64`.

use std::collections::HashMap;

use wengert_dual::Dual;
use wengert_tape::{hessian, hvp, MatVar, Matrix, Real, Scalar, Tape, Var};

/// Relative tolerance between wengert and JAX.
///
/// Why 1e-10: both sides compute in IEEE binary64 from bit-identical inputs, so
/// they differ only by rounding — a different order of summation, XLA's fused
/// kernels against our loops, LAPACK's LU against ours, `log1p(exp(−|z|))`
/// against our stable softplus. On these small, well-conditioned problems that
/// amounts to a few ulps (observed at most 5e-16, scaled by the entry or the
/// array's largest entry; run with `--nocapture` to see each). 1e-10 leaves
/// orders of magnitude of margin for rounding on other machines and library
/// versions, yet any wrong rule (error O(1)), a dropped term, or an
/// approximation such as finite differences (error ≈ 1e-7) fails it.
const REL_TOL: f64 = 1e-10;

/// Absolute floor, relative to the largest entry of the quantity compared.
///
/// Why: an entry that is (nearly) zero because large terms cancel — an
/// off-diagonal Hessian entry, a gradient component at a symmetric point — has
/// an absolute rounding error of order ε times the size of those terms, not ε
/// times itself, so a purely relative test would be meaningless there. The terms
/// are at most about the largest entry of the array, and 1e-13 of that is
/// ≈ 450 ε: far above rounding, far below any real error.
const ABS_FLOOR: f64 = 1e-13;

/// One fixture file: named matrices.
struct Fixture {
    name: &'static str,
    entries: HashMap<String, Matrix<f64>>,
}

impl Fixture {
    /// Parses `text` (the format in the module docs); panics with the line on
    /// any malformed entry.
    fn parse(name: &'static str, text: &str) -> Self {
        let mut entries = HashMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut fields = line.split_ascii_whitespace();
            let bad = |what: &str| -> ! { panic!("fixture {name}, line {}: {what}", n + 1) };
            let key = fields.next().unwrap_or_else(|| bad("no key"));
            let mut dim = || -> usize {
                fields.next().and_then(|s| s.parse().ok()).unwrap_or_else(|| bad("rows/cols missing or not integers"))
            };
            let (rows, cols) = (dim(), dim());
            let values: Vec<f64> =
                fields.map(|s| s.parse().unwrap_or_else(|_| bad(&format!("{s:?} is not a number")))).collect();
            if values.len() != rows * cols {
                bad(&format!("{} values for a {rows}×{cols} matrix", values.len()));
            }
            if entries.insert(key.to_string(), Matrix::from_vec(rows, cols, values)).is_some() {
                bad(&format!("duplicate key {key}"));
            }
        }
        Fixture { name, entries }
    }

    fn get(&self, key: &str) -> &Matrix<f64> {
        self.entries.get(key).unwrap_or_else(|| panic!("fixture {}: no entry {key:?}", self.name))
    }

    /// A `1 × 1` entry.
    fn scalar(&self, key: &str) -> f64 {
        let m = self.get(key);
        assert_eq!(m.shape(), (1, 1), "fixture {}: {key} is not a scalar", self.name);
        m[(0, 0)]
    }

    /// An entry of any shape, flattened row-major.
    fn vector(&self, key: &str) -> Vec<f64> {
        self.get(key).as_slice().to_vec()
    }

    /// An entry holding class indices (stored as exact small floats).
    fn labels(&self, key: &str) -> Vec<usize> {
        self.get(key)
            .iter()
            .map(|&v| {
                assert!(v >= 0.0 && v.fract() == 0.0, "fixture {}: {key} holds {v}, not an index", self.name);
                v as usize
            })
            .collect()
    }

    /// Asserts `got` (row-major) agrees with entry `key` to [`REL_TOL`] with the
    /// [`ABS_FLOOR`], and prints the worst difference (scaled by the entry, or by
    /// the array's largest entry where that is larger) — see it with `--nocapture`.
    fn check(&self, key: &str, got: &[f64]) {
        let want = self.get(key);
        assert_eq!(got.len(), want.len(), "{}/{key}: {} values, the fixture has {}", self.name, got.len(), want.len());
        let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let mut worst = 0.0f64;
        for (i, (&g, &w)) in got.iter().zip(want.iter()).enumerate() {
            let allowed = REL_TOL * g.abs().max(w.abs()) + ABS_FLOOR * scale;
            let err = (g - w).abs();
            assert!(
                err <= allowed,
                "{}/{key}[{i}]: wengert {g:e}, JAX {w:e}: |difference| {err:e} exceeds {allowed:e}",
                self.name
            );
            worst = worst.max(err / w.abs().max(scale).max(f64::MIN_POSITIVE));
        }
        println!("{}/{key}: worst scaled difference {worst:.1e}", self.name);
    }

    fn check_scalar(&self, key: &str, got: f64) {
        self.check(key, &[got]);
    }
}

macro_rules! fixture {
    ($name:literal) => {
        Fixture::parse($name, include_str!(concat!("fixtures/", $name, ".txt")))
    };
}

/// Value and gradient of a scalar function of a vector on a `Tape<f64>`.
fn value_and_grad(f: impl for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>, x: &[f64]) -> (f64, Vec<f64>) {
    let tape = Tape::new();
    let vars = tape.vars(x);
    let y = f(&vars);
    let g = tape.backward(y);
    (y.primal(), g.wrt(&vars))
}

/// Checks value, gradient and Hessian of a fixture written by the script's
/// `value_grad_hessian`. The function is given twice — the same generic
/// definition, instantiated for `f64` tapes and for `Dual<f64>` tapes — because a
/// closure cannot be generic over the element type.
fn check_value_grad_hessian(
    fx: &Fixture,
    f: impl for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>,
    f_dual: impl for<'t> Fn(&[Var<'t, Dual<f64>>]) -> Var<'t, Dual<f64>>,
) {
    let x = fx.vector("x");
    let (value, grad) = value_and_grad(f, &x);
    fx.check_scalar("value", value);
    fx.check("grad", &grad);
    let h = hessian(f_dual, &x);
    fx.check("hessian", h.as_slice());
}

// ----- scalar functions -------------------------------------------------------

/// Extended Rosenbrock, `Σ 100(x_{i+1} − x_i²)² + (x_i − 1)²`.
fn rosenbrock<T: Real>(x: &[T]) -> T {
    x.windows(2).fold(T::zero(), |acc, w| acc + (w[1] - w[0] * w[0]).square() * 100.0 + (w[0] - 1.0).square())
}

/// `sin(a)eᵇ + ln(c²+1) + tanh(ad) + σ(b−c) + softplus(d) + √(a²+b²+1) +
/// (c²+½)^1.5 + (d²+1)ᵇ`: every transcendental rule, and `powf` with a constant
/// and with a variable exponent.
fn transcendental<T: Real>(x: &[T]) -> T {
    let (a, b, c, d) = (x[0], x[1], x[2], x[3]);
    a.sin() * b.exp()
        + (c * c + 1.0).ln()
        + (a * d).tanh()
        + (b - c).sigmoid()
        + d.softplus()
        + (a * a + b * b + 1.0).sqrt()
        + (c * c + 0.5).powf(T::from_f64(1.5))
        + (d * d + 1.0).powf(b)
}

/// `(x + y)·σ(x)`.
fn xy_sigmoid<T: Real>(x: &[T]) -> T {
    (x[0] + x[1]) * x[0].sigmoid()
}

#[test]
fn rosenbrock_matches_jax() {
    check_value_grad_hessian(&fixture!("rosenbrock"), |x| rosenbrock(x), |x| rosenbrock(x));
}

#[test]
fn transcendental_mix_matches_jax() {
    check_value_grad_hessian(&fixture!("transcendental"), |x| transcendental(x), |x| transcendental(x));
}

#[test]
fn x_plus_y_times_sigmoid_matches_jax() {
    check_value_grad_hessian(&fixture!("xy_sigmoid"), |x| xy_sigmoid(x), |x| xy_sigmoid(x));
}

// ----- matrix functions -------------------------------------------------------

/// The tape of a non-empty slice of tracked variables.
fn tape_of<'t, T: Scalar>(v: &[Var<'t, T>]) -> &'t Tape<T> {
    v[0].tape().expect("inputs are tracked")
}

/// Regularized logistic loss `mean(bce_with_logits(Xw + b, y)) + λ·½‖w‖²` with
/// `θ = (w₀, w₁, w₂, b)`.
fn logistic<'t, T: Scalar>(theta: &[Var<'t, T>], data: &Matrix<T>, targets: &Matrix<T>, lambda: f64) -> Var<'t, T> {
    let tape = tape_of(theta);
    let k = data.cols();
    let w = MatVar::from_vars(tape, &theta[..k], k, 1);
    let b = MatVar::from_vars(tape, &theta[k..], 1, 1);
    let z = tape.constant_matrix(data).matmul(w) + b;
    z.bce_with_logits(tape.constant_matrix(targets)) + w.l2_penalty() * lambda
}

#[test]
fn regularized_logistic_loss_and_its_hessian_match_jax() {
    let fx = fixture!("logistic");
    let (data, targets, lambda) = (fx.get("data").clone(), fx.get("targets").clone(), fx.scalar("lambda"));
    let (data_d, targets_d) = (data.cast::<Dual<f64>>(), targets.cast::<Dual<f64>>());
    check_value_grad_hessian(
        &fx,
        |t| logistic(t, &data, &targets, lambda),
        |t| logistic(t, &data_d, &targets_d, lambda),
    );
}

/// Linear → ReLU → Linear → mean softmax cross-entropy.
fn mlp<'t, T: Scalar>([w1, b1, w2, b2]: [MatVar<'t, T>; 4], x: &Matrix<T>, labels: &[usize]) -> Var<'t, T> {
    let xv = w1.tape().constant_matrix(x);
    ((xv.matmul(w1) + b1).relu().matmul(w2) + b2).softmax_cross_entropy(labels)
}

#[test]
fn two_layer_mlp_gradients_and_hvp_match_jax() {
    let fx = fixture!("mlp");
    let (x, labels) = (fx.get("x"), fx.labels("labels"));
    let keys = ["w1", "b1", "w2", "b2"];

    let tape = Tape::new();
    let params = keys.map(|k| tape.matrix(fx.get(k)));
    let loss = mlp(params, x, &labels);
    fx.check_scalar("value", loss.primal());
    let g = tape.backward(loss);
    for (k, p) in keys.iter().zip(params) {
        fx.check(&format!("grad_{k}"), g.matrix(p).as_slice());
    }

    // H·v with respect to all parameters, flattened in the order W1, b1, W2, b2.
    let theta: Vec<f64> = keys.iter().flat_map(|k| fx.vector(k)).collect();
    let shapes = keys.map(|k| fx.get(k).shape());
    let x_d = x.cast::<Dual<f64>>();
    let hv = hvp(
        |v| {
            let tape = tape_of(v);
            let mut at = 0;
            let params = shapes.map(|(r, c)| {
                at += r * c;
                MatVar::from_vars(tape, &v[at - r * c..at], r, c)
            });
            mlp(params, &x_d, &labels)
        },
        &theta,
        &fx.vector("hvp_direction"),
    );
    fx.check("hvp", &hv);
}

#[test]
fn bce_with_logits_matches_jax() {
    let fx = fixture!("bce");
    let tape = Tape::new();
    let (z, y) = (tape.matrix(fx.get("z")), tape.matrix(fx.get("y")));
    let loss = z.bce_with_logits(y);
    fx.check_scalar("value", loss.primal());
    let g = tape.backward(loss);
    fx.check("grad_z", g.matrix(z).as_slice());
    fx.check("grad_y", g.matrix(y).as_slice());
}

/// `ln det(XᵀX + I)`.
fn logdet_gram<'t, T: Scalar>(x: MatVar<'t, T>) -> Var<'t, T> {
    let eye = x.tape().constant_matrix(&Matrix::identity(x.cols()));
    (x.matmul_tn(x) + eye).logdet()
}

#[test]
fn logdet_of_gram_plus_identity_and_its_hvp_match_jax() {
    let fx = fixture!("logdet");
    let x = fx.get("x");
    let tape = Tape::new();
    let xv = tape.matrix(x);
    let y = logdet_gram(xv);
    fx.check_scalar("value", y.primal());
    fx.check("grad", tape.backward(y).matrix(xv).as_slice());

    let (r, c) = x.shape();
    let hv = hvp(|v| logdet_gram(MatVar::from_vars(tape_of(v), v, r, c)), x.as_slice(), &fx.vector("hvp_direction"));
    fx.check("hvp", &hv);
}

#[test]
fn trace_of_a_x_b_matches_jax() {
    let fx = fixture!("trace_axb");
    let tape = Tape::new();
    let (a, b) = (tape.constant_matrix(fx.get("a")), tape.constant_matrix(fx.get("b")));
    let x = tape.matrix(fx.get("x"));
    let y = a.matmul(x).matmul(b).trace();
    fx.check_scalar("value", y.primal());
    fx.check("grad", tape.backward(y).matrix(x).as_slice());
}

#[test]
fn weighted_inverse_matches_jax() {
    let fx = fixture!("inverse");
    let tape = Tape::new();
    let m = tape.matrix(fx.get("m"));
    let y = m.inverse().dot(tape.constant_matrix(fx.get("w")));
    fx.check_scalar("value", y.primal());
    fx.check("grad", tape.backward(y).matrix(m).as_slice());
}

#[test]
fn solve_based_loss_matches_jax() {
    let fx = fixture!("solve");
    let tape = Tape::new();
    let (a, b) = (tape.matrix(fx.get("a")), tape.matrix(fx.get("b")));
    let y = a.solve(b).l2_penalty();
    fx.check_scalar("value", y.primal());
    let g = tape.backward(y);
    fx.check("grad_a", g.matrix(a).as_slice());
    fx.check("grad_b", g.matrix(b).as_slice());
}

#[test]
fn log_softmax_matches_jax() {
    let fx = fixture!("log_softmax");
    let tape = Tape::new();
    let z = tape.matrix(fx.get("z"));
    let ls = z.log_softmax();
    fx.check("log_softmax", ls.value().as_slice());
    let y = ls.dot(tape.constant_matrix(fx.get("w")));
    fx.check_scalar("value", y.primal());
    fx.check("grad", tape.backward(y).matrix(z).as_slice());
}

#[test]
fn fixture_parser_rejects_malformed_lines() {
    let ok = Fixture::parse("inline", "# comment\n\nv 1 2 0.5 -1e-3\n");
    assert_eq!(ok.vector("v"), vec![0.5, -1e-3]);
    for bad in ["v 2 2 1 2 3", "v 1 1 x", "v one 1 1", "v 1 1 1\nv 1 1 2"] {
        let r = std::panic::catch_unwind(|| Fixture::parse("inline", bad));
        assert!(r.is_err(), "accepted {bad:?}");
    }
}
