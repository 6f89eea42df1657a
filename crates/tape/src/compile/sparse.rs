//! Sparse Jacobians and Hessians of a compiled function: the pattern and its
//! coloring are computed once (on first use) and kept; each call then costs one
//! forward pass plus one sweep per color.
//!
//! * **Jacobian**: one tangent sweep per column color over the stored partials
//!   (`J s_c`), each entry read from its color's product.
//! * **Hessian**: all colors at once by *second-order adjoints*. One forward
//!   pass gives values and partials, one reverse sweep the adjoints `r̄`; the
//!   second partials of the nonlinear ops come from the same op table evaluated
//!   on dual numbers ([`ScalarOp::eval`](crate::ScalarOp::eval) with a unit
//!   tangent). Then, with `C` tangent columns `ṫ = J S` carried together, one
//!   reverse sweep computes `H S`: for each op `r = φ(a, b)`,
//!   `ā̇ += φ_a·r̄̇ + r̄·(φ_aa·ȧ + φ_ab·ḃ)` and likewise for `b`. That is the
//!   forward-over-reverse HVP, with the transcendental work done once instead of
//!   once per color.

use std::cell::{OnceCell, RefCell};

use wengert_dual::Dual;
use wengert_ops::Matrix;

use super::coloring::{color_columns, ColumnColoring};
use super::csr::{CsrMatrix, SparsityPattern};
use super::error::ReplayError;
use super::function::Compiled;
use super::replay::{reverse_keeping, tangent};
use super::sparsity::{hessian_pattern, jacobian_pattern};

/// Patterns and colorings, computed on first use.
#[derive(Debug, Default)]
pub(crate) struct SparseCache {
    jacobian: OnceCell<(SparsityPattern, ColumnColoring)>,
    hessian: OnceCell<(SparsityPattern, ColumnColoring)>,
    /// The ops with a second derivative, and which (see
    /// [`ScalarOp::second_order`]).
    nonlinear: OnceCell<Vec<(u32, SecondOrder)>>,
    /// Buffers of the second-order sweeps, reused across calls.
    work: RefCell<HessianWork>,
}

/// Which second partials of an op can be nonzero: `(∂²/∂a², ∂²/∂a∂b, ∂²/∂b²)`.
type SecondOrder = (bool, bool, bool);

/// Buffers of [`Compiled::sparse_hessian`]: the second partials of the
/// nonlinear ops (in the order of the `nonlinear` list), tangents and
/// second-order adjoints in lanes.
#[derive(Debug, Default)]
struct HessianWork {
    second: Vec<[f64; 3]>,
    t: Vec<[f64; LANES]>,
    ad: Vec<[f64; LANES]>,
}

/// `x · y`, or 0 when `y` is exactly 0 (so an infinite partial of an operand
/// that carries no tangent cannot make a NaN, as in the reverse sweep).
#[inline(always)]
fn times_nonzero(x: f64, y: f64) -> f64 {
    if y == 0.0 {
        0.0
    } else {
        x * y
    }
}

/// Directions carried together by the second-order sweeps (one AVX register
/// of `f64`).
const LANES: usize = 4;

/// `x · y` lane by lane, a lane with `y = 0` giving 0 even if `x` is infinite
/// (only checked when `x` is not finite: the common case is one multiply).
#[inline(always)]
fn scale(x: f64, y: &[f64; LANES]) -> [f64; LANES] {
    if x.is_finite() {
        y.map(|v| x * v)
    } else {
        y.map(|v| times_nonzero(x, v))
    }
}

#[inline(always)]
fn add(a: [f64; LANES], b: [f64; LANES]) -> [f64; LANES] {
    std::array::from_fn(|i| a[i] + b[i])
}

/// The tangent sweep `ṫ = J S` (the inputs' lanes of `t` seeded, the rest
/// zero) and the second-order reverse sweep: afterwards `ad` holds `H S` in
/// the inputs' slots. `adj` holds the first-order adjoints of every slot,
/// `second[i]` the `[φ_aa, φ_ab, φ_bb]` of op `nonlinear[i].0` (every other op
/// is affine).
fn second_order_sweeps(
    p: &super::program::Program,
    partials: &[[f64; 2]],
    nonlinear: &[(u32, SecondOrder)],
    second: &[[f64; 3]],
    adj: &[f64],
    t: &mut [[f64; LANES]],
    ad: &mut [[f64; LANES]],
) {
    let first_op = p.first_op();
    for k in 0..p.ops.len() {
        let [da, db] = partials[k];
        let (a, b) = (p.arg_a[k] as usize, p.arg_b[k] as usize);
        let mut v = scale(da, &t[a]);
        if b != 0 {
            v = add(v, scale(db, &t[b]));
        }
        t[first_op + k] = v;
    }
    // The nonlinear ops, met in reverse order alongside the sweep.
    let mut next_curved = nonlinear.len();
    for k in (0..p.ops.len()).rev() {
        let r = first_op + k;
        let mut h = [0.0; 3];
        if next_curved > 0 && nonlinear[next_curved - 1].0 as usize == k {
            next_curved -= 1;
            h = second[next_curved];
        }
        let (g, gd) = (adj[r], std::mem::replace(&mut ad[r], [0.0; LANES]));
        if g == 0.0 && gd == [0.0; LANES] {
            continue;
        }
        let [da, db] = partials[k];
        let [haa, hab, hbb] = h;
        let (a, b) = (p.arg_a[k] as usize, p.arg_b[k] as usize);
        let mut to_a = scale(da, &gd);
        let mut to_b = if b != 0 { scale(db, &gd) } else { [0.0; LANES] };
        if g != 0.0 && (haa != 0.0 || hab != 0.0 || hbb != 0.0) {
            let (ta, tb) = (t[a], t[b]);
            to_a = add(to_a, scale(g, &add(scale(haa, &ta), scale(hab, &tb))));
            to_b = add(to_b, scale(g, &add(scale(hab, &ta), scale(hbb, &tb))));
        }
        ad[a] = add(ad[a], to_a);
        if b != 0 {
            ad[b] = add(ad[b], to_b);
        }
    }
}

impl Compiled {
    fn jacobian_cache(&self) -> &(SparsityPattern, ColumnColoring) {
        self.sparse.jacobian.get_or_init(|| {
            let p = jacobian_pattern(&self.program);
            let c = color_columns(&p);
            (p, c)
        })
    }

    fn hessian_cache(&self) -> &(SparsityPattern, ColumnColoring) {
        self.sparse.hessian.get_or_init(|| {
            let p = hessian_pattern(&self.program);
            let c = color_columns(&p);
            (p, c)
        })
    }

    /// The sparsity pattern of the Jacobian (`outputs × inputs`), detected from
    /// the recording (computed once, then kept).
    ///
    /// ```
    /// use wengert_tape::compile::compile_vec;
    /// let f = compile_vec(|x| vec![x[0] * x[1], x[2].sin()], &[1.0, 2.0, 3.0]).unwrap();
    /// # use wengert_tape::Scalar;
    /// let p = f.jacobian_pattern();
    /// assert_eq!((p.row(0), p.row(1)), (&[0, 1][..], &[2][..]));
    /// ```
    pub fn jacobian_pattern(&self) -> &SparsityPattern {
        &self.jacobian_cache().0
    }

    /// The column coloring used by [`sparse_jacobian`](Self::sparse_jacobian).
    pub fn jacobian_coloring(&self) -> &ColumnColoring {
        &self.jacobian_cache().1
    }

    /// The sparsity pattern of the Hessian (both triangles), detected from the
    /// recording (computed once, then kept). One output only: it panics on a
    /// vector function (use [`Compiled::outputs`] to check).
    pub fn hessian_pattern(&self) -> &SparsityPattern {
        assert_eq!(self.outputs(), 1, "hessian_pattern: the compiled function has {} outputs", self.outputs());
        &self.hessian_cache().0
    }

    /// The column coloring used by [`sparse_hessian`](Self::sparse_hessian)
    /// (a distance-2 coloring: see [`color_columns`](super::color_columns)).
    pub fn hessian_coloring(&self) -> &ColumnColoring {
        assert_eq!(self.outputs(), 1, "hessian_coloring: the compiled function has {} outputs", self.outputs());
        &self.hessian_cache().1
    }

    /// The Jacobian at `x` in CSR form: one forward pass and one tangent sweep
    /// per color of [`jacobian_coloring`](Self::jacobian_coloring).
    ///
    /// ```
    /// use wengert_tape::compile::compile_vec;
    /// // A banded map: y_i = x_i · x_{i+1}.
    /// let f = compile_vec(|x| x.windows(2).map(|w| w[0] * w[1]).collect(), &[1.0; 6]).unwrap();
    /// let j = f.sparse_jacobian(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
    /// assert_eq!(f.jacobian_coloring().count, 2);
    /// assert_eq!((j.get(2, 2), j.get(2, 3), j.get(2, 4)), (4.0, 3.0, 0.0));
    /// ```
    pub fn sparse_jacobian(&self, x: &[f64]) -> Result<CsrMatrix, ReplayError> {
        let (pattern, coloring) = self.jacobian_cache();
        let n = self.inputs();
        self.with_forward(x, |p, w| {
            let m = p.outputs.len();
            // out_t[c * m + i]: output i's tangent along color c.
            let mut out_t = vec![0.0; coloring.count * m];
            for c in 0..coloring.count {
                w.zero_adj(p.n_slots());
                for j in 0..n {
                    if coloring.colors[j] as usize == c {
                        w.adj[1 + j] = 1.0;
                    }
                }
                tangent(p, &w.partials, &mut w.adj);
                for (i, &s) in p.outputs.iter().enumerate() {
                    out_t[c * m + i] = w.adj[s as usize];
                }
            }
            let mut values = Vec::with_capacity(pattern.nnz());
            for i in 0..m {
                for &j in pattern.row(i) {
                    values.push(out_t[coloring.colors[j] as usize * m + i]);
                }
            }
            CsrMatrix { pattern: pattern.clone(), values }
        })
    }

    /// The Hessian at `x` in CSR form (both triangles): one forward pass, one
    /// reverse sweep, and one second-order sweep carrying all colors of
    /// [`hessian_coloring`](Self::hessian_coloring) at once (see the module
    /// notes). Pattern and coloring are computed on the first call and kept.
    ///
    /// ```
    /// use wengert_tape::compile::compile;
    /// use wengert_tape::Scalar;
    /// // Extended Rosenbrock: a tridiagonal Hessian, 3 colors whatever n is.
    /// let n = 50;
    /// let f = compile(
    ///     |x| x.windows(2).map(|w| (w[1] - w[0].square()).square() * 100.0 + (w[0] - 1.0).square()).sum(),
    ///     &vec![0.5; n],
    /// )
    /// .unwrap();
    /// let h = f.sparse_hessian(&vec![0.5; n]).unwrap();
    /// assert_eq!((f.hessian_coloring().count, h.pattern.nnz()), (3, 3 * n - 2));
    /// assert!((h.get(1, 0) - (-400.0 * 0.5)).abs() < 1e-12);
    /// ```
    pub fn sparse_hessian(&self, x: &[f64]) -> Result<CsrMatrix, ReplayError> {
        if self.outputs() != 1 {
            return Err(ReplayError::NotScalar { outputs: self.outputs() });
        }
        let (pattern, coloring) = self.hessian_cache();
        let hs = self.hessian_times_colors(x, coloring)?;
        let cc = coloring.count;
        let mut values = Vec::with_capacity(pattern.nnz());
        for i in 0..pattern.rows {
            for &j in pattern.row(i) {
                values.push(hs[i * cc + coloring.colors[j] as usize]);
            }
        }
        Ok(CsrMatrix { pattern: pattern.clone(), values })
    }

    /// The dense Hessian at `x`, exactly: [`sparse_hessian`](Self::sparse_hessian)
    /// (which carries one column per color — `n` for a dense Hessian) expanded.
    ///
    /// ```
    /// use wengert_tape::compile::compile;
    /// let f = compile(|x| x[0] * x[0] * x[1], &[1.0, 1.0]).unwrap();
    /// let h = f.hessian(&[3.0, 2.0]).unwrap();
    /// assert_eq!(h.as_slice(), &[4.0, 6.0, 6.0, 0.0]);
    /// ```
    pub fn hessian(&self, x: &[f64]) -> Result<Matrix<f64>, ReplayError> {
        Ok(self.sparse_hessian(x)?.to_dense())
    }

    /// `H S` at `x`, where column `c` of `S` is the sum of the unit vectors of
    /// the inputs of color `c`; returned as `n × colors`, row-major.
    fn hessian_times_colors(&self, x: &[f64], coloring: &ColumnColoring) -> Result<Vec<f64>, ReplayError> {
        let n = self.inputs();
        let cc = coloring.count;
        let nonlinear = self.sparse.nonlinear.get_or_init(|| {
            let ops = self.program.ops.iter().enumerate();
            ops.map(|(k, op)| (k as u32, op.second_order())).filter(|(_, f)| f.0 || f.1 || f.2).collect()
        });
        let mut fresh = HessianWork::default();
        let mut borrowed = self.sparse.work.try_borrow_mut();
        let hw = match borrowed.as_mut() {
            Ok(w) => &mut **w,
            Err(_) => &mut fresh,
        };
        self.with_forward(x, |p, w| {
            let n_slots = p.n_slots();
            // First-order adjoints.
            w.zero_adj(n_slots);
            w.adj[p.outputs[0] as usize] += 1.0;
            reverse_keeping(p, &w.partials, &mut w.adj);
            if hw.second.len() != nonlinear.len() || hw.t.len() != n_slots {
                hw.second = vec![[0.0; 3]; nonlinear.len()];
                hw.t = vec![[0.0; LANES]; n_slots];
                hw.ad = vec![[0.0; LANES]; n_slots];
            }
            // Second partials of the nonlinear ops, from the op table on duals.
            for (&(k, (aa, ab, bb)), h) in nonlinear.iter().zip(hw.second.iter_mut()) {
                let k = k as usize;
                let (a, b) = (w.vals[p.arg_a[k] as usize], w.vals[p.arg_b[k] as usize]);
                let op = p.ops[k].map_const(Dual::constant);
                if aa || ab {
                    let (_, dda, ddb) = op.eval(Dual::new(a, 1.0), Dual::new(b, 0.0));
                    h[0] = dda.eps;
                    h[1] = ddb.eps;
                }
                if bb {
                    let (_, _, ddb) = op.eval(Dual::new(a, 0.0), Dual::new(b, 1.0));
                    h[2] = ddb.eps;
                }
            }
            // Colors go through in blocks of LANES, each block one tangent
            // sweep and one second-order sweep over lane arrays. The tangent
            // sweep overwrites every op's slot, and the second-order sweep
            // leaves every op's slot zero: only the others are reset here.
            let mut out = vec![0.0; n * cc];
            let first_op = p.first_op();
            for base in (0..cc).step_by(LANES) {
                let first_const = p.first_const();
                for buffer in [&mut hw.t, &mut hw.ad] {
                    buffer[..first_op].fill([0.0; LANES]);
                    buffer[first_const..].fill([0.0; LANES]);
                }
                for (j, &c) in coloring.colors.iter().enumerate() {
                    let c = c as usize;
                    if c >= base && c < base + LANES {
                        hw.t[1 + j][c - base] = 1.0;
                    }
                }
                second_order_sweeps(p, &w.partials, nonlinear, &hw.second, &w.adj, &mut hw.t, &mut hw.ad);
                let lanes = LANES.min(cc - base);
                for (j, row) in out.chunks_exact_mut(cc).enumerate() {
                    row[base..base + lanes].copy_from_slice(&hw.ad[1 + j][..lanes]);
                }
            }
            out
        })
    }
}
