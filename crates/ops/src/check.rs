//! Checks of an op's derivative rules, for built-in and custom ops alike: the
//! ones every built-in op passes in wengert's own tests, public so that a
//! custom op is verified exactly as the built-ins are.
//!
//! * [`check_vjp`]: the VJP against central finite differences of the value,
//!   plus two contract checks (the VJP accumulates into its slots, and an input's
//!   adjoint does not depend on which other slots are present).
//! * [`check_jvp`]: the JVP against central finite differences along a random
//!   direction, plus its contract (it writes its whole output, a `None` tangent
//!   is zero, and it is linear in the tangents).
//! * [`dot_product_test`]: `⟨J·v, w⟩ = ⟨v, Jᵀ·w⟩` for random `v`, `w`, with
//!   `J·v` from the JVP and `Jᵀ·w` from the VJP. The two rules are written
//!   independently, so agreement to rounding (1e-12 relative) checks each
//!   against the other with no finite-difference step in between.
//!
//! Each returns a report (largest error, and where) instead of panicking, with
//! a `passes` method and a `Display` that says what failed. Evaluate at a point
//! where the op is smooth (away from kinks, inside its domain): a difference
//! quotient that straddles a kink measures nothing.
//!
//! ```
//! use wengert_ops::check::{check_jvp, check_vjp, dot_product_test};
//! use wengert_ops::rules::{Builtin, Softmax};
//! use wengert_ops::Matrix;
//! let op = Builtin::from(Softmax);
//! let x = [Matrix::from_rows(&[[0.3, -1.2, 2.0], [1.0, 0.5, -0.7]])];
//! assert!(check_vjp(&op, &x, 1).passes(1e-6));
//! assert!(check_jvp(&op, &x, 2).passes(1e-6));
//! let dot = dot_product_test(&op, &x, 3);
//! assert!(dot.passes(1e-12), "{dot}");
//! ```

use std::fmt;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::matrix::{shape_str, Matrix};
use crate::op::MatOp;

/// Contract checks (a rule computed two ways that must agree to rounding) use
/// this relative tolerance: `|a − b| ≤ 1e-12·(1 + |b|)`.
pub const CONTRACT_TOL: f64 = 1e-12;

/// `|a − n| / max(1, |a|, |n|)`: relative for derivatives of size ≥ 1,
/// absolute below, where a relative error of a near-zero derivative would
/// measure only rounding noise.
fn fd_error(analytic: f64, numeric: f64) -> f64 {
    (analytic - numeric).abs() / 1f64.max(analytic.abs()).max(numeric.abs())
}

/// Keeps the largest value; a NaN wins (so it cannot hide behind a max).
fn worse(current: f64, candidate: f64) -> bool {
    candidate.is_nan() && !current.is_nan() || candidate > current
}

/// The output of `op` at `inputs`, from a buffer filled with NaN beforehand;
/// the flag says whether `forward` wrote all of it (the `MatOp` contract).
fn evaluate(op: &dyn MatOp<f64>, inputs: &[&Matrix<f64>], shape: (usize, usize)) -> (Matrix<f64>, bool) {
    let mut out = vec![f64::NAN; shape.0 * shape.1];
    op.forward(inputs, &mut out);
    let written = !out.iter().any(|v| v.is_nan());
    (Matrix::from_vec(shape.0, shape.1, out), written)
}

/// A matrix of `shape` with entries uniform in `[lo, hi)`.
fn uniform(rng: &mut StdRng, shape: (usize, usize), lo: f64, hi: f64) -> Matrix<f64> {
    Matrix::from_fn(shape.0, shape.1, |_, _| rng.random_range(lo..hi))
}

/// Where a finite-difference check found its largest error.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mismatch {
    /// The input (VJP check) whose adjoint, or the output (JVP check, always 0)
    /// whose tangent, disagreed most.
    pub input: usize,
    /// The element, row-major.
    pub element: usize,
    /// The rule's value.
    pub analytic: f64,
    /// The central difference.
    pub numeric: f64,
    /// `|analytic − numeric| / max(1, |analytic|, |numeric|)`.
    pub error: f64,
}

/// What [`check_vjp`] found.
#[derive(Clone, Debug, PartialEq)]
pub struct VjpReport {
    /// The op's name.
    pub op: String,
    /// The input shapes.
    pub shapes: Vec<(usize, usize)>,
    /// Whether `forward` wrote a finite value into every output element.
    pub output_finite: bool,
    /// Largest error of an adjoint element against central differences (see
    /// [`Mismatch::error`]); NaN if any comparison was NaN.
    pub max_error: f64,
    /// Where `max_error` occurred (`None` if the inputs have no elements).
    pub worst: Option<Mismatch>,
    /// Largest relative difference (`|a − b| / (1 + |b|)`) between an input's
    /// adjoint computed with every slot present and with only its own slot, the
    /// prefill of the slots subtracted: 0 for a VJP that accumulates (`+=`) and
    /// treats slots independently.
    pub slot_error: f64,
}

impl VjpReport {
    /// Whether the output was finite, every adjoint matched the central
    /// differences with error below `tol`, and the slot contract held to
    /// [`CONTRACT_TOL`].
    pub fn passes(&self, tol: f64) -> bool {
        self.output_finite && self.max_error < tol && self.slot_error <= CONTRACT_TOL
    }
}

impl fmt::Display for VjpReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shapes: Vec<String> = self.shapes.iter().map(|&s| shape_str(s)).collect();
        write!(f, "{} on {}: ", self.op, shapes.join(", "))?;
        if !self.output_finite {
            write!(f, "non-finite or unwritten output; ")?;
        }
        match self.worst {
            Some(m) => write!(
                f,
                "VJP max error {:.2e} at input {} element {} (analytic {}, numeric {})",
                self.max_error, m.input, m.element, m.analytic, m.numeric
            )?,
            None => write!(f, "no elements to check")?,
        }
        write!(f, "; slot contract error {:.2e}", self.slot_error)
    }
}

/// Checks `op`'s VJP at `inputs` against central finite differences.
///
/// With a random weight `w` (standard normal, of the output's shape, drawn from
/// `seed`), `L = Σ w ⊙ forward(inputs)`; the VJP seeded with `g = w` must equal
/// `∂L/∂xₖ ≈ (L(x + h) − L(x − h)) / 2h`, `h = 1e-6·max(1, |xₖ|)`, for every
/// element of every input. Central differences in `f64` with this step are
/// accurate to about 1e-9 for smooth ops, so a tolerance of `1e-6` has margin.
///
/// The VJP is called on slots prefilled with random values (it must add, not
/// overwrite), and once per input with only that input's slot present (its
/// adjoint must not change); see [`VjpReport::slot_error`].
pub fn check_vjp(op: &dyn MatOp<f64>, inputs: &[Matrix<f64>], seed: u64) -> VjpReport {
    let mut rng = StdRng::seed_from_u64(seed);
    let shapes: Vec<(usize, usize)> = inputs.iter().map(|m| m.shape()).collect();
    let out_shape = op.output_shape(&shapes);
    let w = Matrix::random_normal(out_shape.0, out_shape.1, 0.0, 1.0, &mut rng);
    let loss = |xs: &[Matrix<f64>]| -> f64 {
        let refs: Vec<&Matrix<f64>> = xs.iter().collect();
        evaluate(op, &refs, out_shape).0.iter().zip(w.iter()).map(|(o, w)| o * w).sum()
    };
    let refs: Vec<&Matrix<f64>> = inputs.iter().collect();
    let (output, written) = evaluate(op, &refs, out_shape);
    let output_finite = written && output.iter().all(|v| v.is_finite());

    // Analytic adjoints, accumulated onto a random prefill.
    let prefill: Vec<Vec<f64>> =
        inputs.iter().map(|x| (0..x.len()).map(|_| rng.random_range(-1.0..1.0)).collect()).collect();
    let mut bufs = prefill.clone();
    {
        let mut slots: Vec<Option<&mut [f64]>> = bufs.iter_mut().map(|b| Some(b.as_mut_slice())).collect();
        op.vjp(&refs, &output, w.as_slice(), &mut slots);
    }
    let analytic: Vec<Vec<f64>> =
        bufs.iter().zip(&prefill).map(|(b, p)| b.iter().zip(p).map(|(b, p)| b - p).collect()).collect();

    // With only one slot present, that input's adjoint must be the same.
    let mut slot_error = 0.0;
    for i in 0..inputs.len() {
        let mut only = vec![0.0; inputs[i].len()];
        let mut slots: Vec<Option<&mut [f64]>> = (0..inputs.len()).map(|_| None).collect();
        slots[i] = Some(only.as_mut_slice());
        op.vjp(&refs, &output, w.as_slice(), &mut slots);
        for (a, b) in only.iter().zip(&analytic[i]) {
            let e = (a - b).abs() / (1.0 + b.abs());
            if worse(slot_error, e) {
                slot_error = e;
            }
        }
    }

    // Central differences.
    let mut max_error = 0.0;
    let mut worst = None;
    let mut xs: Vec<Matrix<f64>> = inputs.to_vec();
    for (i, analytic_i) in analytic.iter().enumerate() {
        for (k, &a) in analytic_i.iter().enumerate() {
            let x0 = inputs[i].as_slice()[k];
            let h = 1e-6 * x0.abs().max(1.0);
            xs[i].as_mut_slice()[k] = x0 + h;
            let lp = loss(&xs);
            xs[i].as_mut_slice()[k] = x0 - h;
            let lm = loss(&xs);
            xs[i].as_mut_slice()[k] = x0;
            let numeric = (lp - lm) / (2.0 * h);
            let error = fd_error(a, numeric);
            if worst.is_none() || worse(max_error, error) {
                max_error = error;
                worst = Some(Mismatch { input: i, element: k, analytic: a, numeric, error });
            }
        }
    }
    VjpReport { op: op.name().to_string(), shapes, output_finite, max_error, worst, slot_error }
}

/// What [`check_jvp`] found.
#[derive(Clone, Debug, PartialEq)]
pub struct JvpReport {
    /// The op's name.
    pub op: String,
    /// The input shapes.
    pub shapes: Vec<(usize, usize)>,
    /// Whether the op provides a JVP at all ([`MatOp::jvp`] returned `true`).
    pub provided: bool,
    /// Whether the JVP wrote every element of its output.
    pub fully_written: bool,
    /// Largest error of an output-tangent element against central differences
    /// along the same direction (see [`Mismatch::error`]); NaN if any was.
    pub max_error: f64,
    /// Where `max_error` occurred (`input` is 0: the output).
    pub worst: Option<Mismatch>,
    /// Largest relative difference (`|a − b| / (1 + |b|)`) between the JVP with
    /// every tangent and the sum of the JVPs with one tangent each (the others
    /// `None`): 0 for a JVP that is linear and reads `None` as zero.
    pub linearity_error: f64,
}

impl JvpReport {
    /// Whether the JVP exists, wrote its whole output, matched the central
    /// differences with error below `tol`, and is linear to [`CONTRACT_TOL`].
    pub fn passes(&self, tol: f64) -> bool {
        self.provided && self.fully_written && self.max_error < tol && self.linearity_error <= CONTRACT_TOL
    }
}

impl fmt::Display for JvpReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shapes: Vec<String> = self.shapes.iter().map(|&s| shape_str(s)).collect();
        write!(f, "{} on {}: ", self.op, shapes.join(", "))?;
        if !self.provided {
            return write!(f, "the op provides no JVP");
        }
        if !self.fully_written {
            write!(f, "the JVP left part of its output unwritten; ")?;
        }
        match self.worst {
            Some(m) => write!(
                f,
                "JVP max error {:.2e} at output element {} (analytic {}, numeric {})",
                self.max_error, m.element, m.analytic, m.numeric
            )?,
            None => write!(f, "no output elements to check")?,
        }
        write!(f, "; linearity error {:.2e}", self.linearity_error)
    }
}

/// Output tangent of `op` for the given tangents, from a NaN-filled buffer;
/// `None` if the op provides no JVP, else the tangent and whether it was all
/// written.
fn tangent_of(
    op: &dyn MatOp<f64>,
    inputs: &[&Matrix<f64>],
    output: &Matrix<f64>,
    tangents: &[Option<&[f64]>],
) -> Option<(Vec<f64>, bool)> {
    let mut out = vec![f64::NAN; output.len()];
    if !op.jvp(inputs, output, tangents, &mut out) {
        return None;
    }
    let written = !out.iter().any(|v| v.is_nan());
    Some((out, written))
}

/// Checks `op`'s JVP at `inputs` against central finite differences.
///
/// With a random direction `v` (uniform in `[−1, 1)`, one matrix per input,
/// drawn from `seed`), the JVP must equal
/// `(forward(x + h·v) − forward(x − h·v)) / 2h`, `h = 1e-6·max(1, max |x|)`,
/// in every output element (error as in [`check_vjp`]). Also checks that the
/// JVP writes all of its output and is linear: with every tangent it equals the
/// sum of the JVPs with one tangent each.
pub fn check_jvp(op: &dyn MatOp<f64>, inputs: &[Matrix<f64>], seed: u64) -> JvpReport {
    let mut rng = StdRng::seed_from_u64(seed);
    let shapes: Vec<(usize, usize)> = inputs.iter().map(|m| m.shape()).collect();
    let out_shape = op.output_shape(&shapes);
    let v: Vec<Matrix<f64>> = shapes.iter().map(|&s| uniform(&mut rng, s, -1.0, 1.0)).collect();
    let refs: Vec<&Matrix<f64>> = inputs.iter().collect();
    let (output, _) = evaluate(op, &refs, out_shape);
    let all: Vec<Option<&[f64]>> = v.iter().map(|m| Some(m.as_slice())).collect();
    let mut report = JvpReport {
        op: op.name().to_string(),
        shapes: shapes.clone(),
        provided: false,
        fully_written: false,
        max_error: f64::NAN,
        worst: None,
        linearity_error: f64::NAN,
    };
    let Some((jv, written)) = tangent_of(op, &refs, &output, &all) else { return report };
    report.provided = true;
    report.fully_written = written;

    // Linearity, and `None` read as zero: the sum of one-tangent JVPs.
    let mut sum = vec![0.0; jv.len()];
    for i in 0..inputs.len() {
        let mut one: Vec<Option<&[f64]>> = vec![None; inputs.len()];
        one[i] = all[i];
        let (part, part_written) = tangent_of(op, &refs, &output, &one).unwrap_or_default();
        report.fully_written &= part_written;
        sum.iter_mut().zip(&part).for_each(|(s, p)| *s += p);
    }
    report.linearity_error = 0.0;
    for (a, b) in sum.iter().zip(&jv) {
        let e = (a - b).abs() / (1.0 + b.abs());
        if worse(report.linearity_error, e) {
            report.linearity_error = e;
        }
    }

    // Central differences along v.
    let scale = inputs.iter().flat_map(|m| m.iter()).fold(1f64, |m, x| m.max(x.abs()));
    let h = 1e-6 * scale;
    let shifted = |sign: f64| -> Matrix<f64> {
        let xs: Vec<Matrix<f64>> = inputs
            .iter()
            .zip(&v)
            .map(|(x, d)| {
                Matrix::from_vec(x.rows(), x.cols(), x.iter().zip(d.iter()).map(|(x, d)| x + sign * h * d).collect())
            })
            .collect();
        let refs: Vec<&Matrix<f64>> = xs.iter().collect();
        evaluate(op, &refs, out_shape).0
    };
    let (plus, minus) = (shifted(1.0), shifted(-1.0));
    report.max_error = 0.0;
    for (k, (&a, (p, m))) in jv.iter().zip(plus.iter().zip(minus.iter())).enumerate() {
        let numeric = (p - m) / (2.0 * h);
        let error = fd_error(a, numeric);
        if report.worst.is_none() || worse(report.max_error, error) {
            report.max_error = error;
            report.worst = Some(Mismatch { input: 0, element: k, analytic: a, numeric, error });
        }
    }
    report
}

/// What [`dot_product_test`] found: the two sides of `⟨J·v, w⟩ = ⟨v, Jᵀ·w⟩`.
#[derive(Clone, Debug, PartialEq)]
pub struct DotProductReport {
    /// The op's name.
    pub op: String,
    /// The input shapes.
    pub shapes: Vec<(usize, usize)>,
    /// Whether the op provides a JVP at all.
    pub provided: bool,
    /// Whether `forward` and the JVP wrote every element of their outputs.
    pub fully_written: bool,
    /// `⟨J·v, w⟩`, with `J·v` from the JVP.
    pub jv_w: f64,
    /// `⟨v, Jᵀ·w⟩`, with `Jᵀ·w` from the VJP.
    pub v_jtw: f64,
    /// `Σ |(J·v)ₖ wₖ| + Σ |vₖ (Jᵀ·w)ₖ|`: the size of the terms summed, the scale
    /// rounding errors are relative to.
    pub scale: f64,
}

impl DotProductReport {
    /// `|⟨J·v, w⟩ − ⟨v, Jᵀ·w⟩| / scale` (NaN if the op has no JVP).
    pub fn relative_error(&self) -> f64 {
        (self.jv_w - self.v_jtw).abs() / self.scale.max(1e-300)
    }

    /// Whether the JVP exists, both outputs were fully written, and the two
    /// sides agree to `tol` relative to [`scale`](DotProductReport::scale).
    pub fn passes(&self, tol: f64) -> bool {
        self.provided && self.fully_written && (self.jv_w - self.v_jtw).abs() <= tol * self.scale.max(1e-300)
    }
}

impl fmt::Display for DotProductReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shapes: Vec<String> = self.shapes.iter().map(|&s| shape_str(s)).collect();
        write!(f, "{} on {}: ", self.op, shapes.join(", "))?;
        if !self.provided {
            return write!(f, "the op provides no JVP");
        }
        if !self.fully_written {
            write!(f, "forward or JVP left part of its output unwritten; ")?;
        }
        write!(
            f,
            "⟨Jv, w⟩ = {:.17e} but ⟨v, Jᵀw⟩ = {:.17e} (relative error {:.2e})",
            self.jv_w,
            self.v_jtw,
            self.relative_error()
        )
    }
}

/// The dot-product test of `op` at `inputs`: `⟨J·v, w⟩ = ⟨v, Jᵀ·w⟩` for a random
/// direction `v` (one matrix per input) and a random output weight `w`, both
/// uniform in `[−2, 2)` and drawn from `seed`. `J·v` comes from the op's JVP,
/// `Jᵀ·w` from its VJP; the output buffers start as NaN so a rule that leaves
/// part of its output unwritten is caught.
pub fn dot_product_test(op: &dyn MatOp<f64>, inputs: &[Matrix<f64>], seed: u64) -> DotProductReport {
    let mut rng = StdRng::seed_from_u64(seed);
    let shapes: Vec<(usize, usize)> = inputs.iter().map(|m| m.shape()).collect();
    let out_shape = op.output_shape(&shapes);
    let v: Vec<Matrix<f64>> = shapes.iter().map(|&s| uniform(&mut rng, s, -2.0, 2.0)).collect();
    let w = uniform(&mut rng, out_shape, -2.0, 2.0);
    let refs: Vec<&Matrix<f64>> = inputs.iter().collect();
    let (output, forward_written) = evaluate(op, &refs, out_shape);
    let mut report = DotProductReport {
        op: op.name().to_string(),
        shapes,
        provided: false,
        fully_written: false,
        jv_w: f64::NAN,
        v_jtw: f64::NAN,
        scale: f64::NAN,
    };
    let tangents: Vec<Option<&[f64]>> = v.iter().map(|m| Some(m.as_slice())).collect();
    let Some((jv, jvp_written)) = tangent_of(op, &refs, &output, &tangents) else { return report };
    report.provided = true;
    report.fully_written = forward_written && jvp_written;

    let mut grads: Vec<Vec<f64>> = inputs.iter().map(|x| vec![0.0; x.len()]).collect();
    {
        let mut slots: Vec<Option<&mut [f64]>> = grads.iter_mut().map(|g| Some(g.as_mut_slice())).collect();
        op.vjp(&refs, &output, w.as_slice(), &mut slots);
    }
    let pairs_out = || jv.iter().zip(w.iter()).map(|(a, b)| a * b);
    let pairs_in = || v.iter().zip(&grads).flat_map(|(v, g)| v.iter().zip(g).map(|(a, b)| a * b));
    report.jv_w = pairs_out().sum();
    report.v_jtw = pairs_in().sum();
    report.scale = pairs_out().map(f64::abs).sum::<f64>() + pairs_in().map(f64::abs).sum::<f64>();
    report
}
