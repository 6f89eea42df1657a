//! The replay loops: one forward pass over the op array (values and local
//! partials, by [`ScalarOp::eval`] — the rule the tape records with), a guard
//! check, and the reverse and tangent sweeps over the stored partials.
//!
//! The reverse loop is the tape's scalar sweep (`adj[p] += ∂·adj[i]`, nodes
//! with a zero adjoint skipped, the second parent of a one-input op skipped) over
//! the same nodes in the same order, so a replayed gradient has the same bits as
//! the gradient of the same closure recorded in anomaly mode (one node per op).
//! (A plain recording folds one-input ops into its handles, which multiplies the
//! same partials in another order: its gradient agrees to rounding.)

use wengert_ops::Scalar;

use super::error::GuardFlip;
use super::program::Program;
use crate::scalar_op::ScalarOp;

/// Buffers of one replay, reused across calls.
#[derive(Debug)]
pub(crate) struct Work<T> {
    /// Value of every slot.
    pub(crate) vals: Vec<T>,
    /// Local partials of every op, `[∂/∂a, ∂/∂b]`.
    pub(crate) partials: Vec<[T; 2]>,
    /// Adjoint (or tangent) of every slot.
    pub(crate) adj: Vec<T>,
    /// Whether `adj` is known to be all zeros (the gradient path leaves it so,
    /// which spares the next call a pass over it).
    pub(crate) adj_zero: bool,
}

impl<T> Default for Work<T> {
    fn default() -> Self {
        Work { vals: Vec::new(), partials: Vec::new(), adj: Vec::new(), adj_zero: false }
    }
}

impl<T: Scalar> Work<T> {
    /// `adj` as `n` zeros.
    pub(crate) fn zero_adj(&mut self, n: usize) {
        if !(self.adj_zero && self.adj.len() == n) {
            self.adj.clear();
            self.adj.resize(n, T::zero());
        }
        self.adj_zero = false;
    }
}

/// Values and local partials of every op at input `x`.
pub(crate) fn forward<T: Scalar>(program: &Program, ops: &[ScalarOp<T>], x: &[T], work: &mut Work<T>) {
    let n_slots = program.n_slots();
    let first_op = program.first_op();
    let first_const = program.first_const();
    let vals = &mut work.vals;
    // Every slot but the sink is overwritten below: no need to clear.
    if vals.len() != n_slots {
        vals.clear();
        vals.resize(n_slots, T::zero());
    }
    vals[0] = T::zero();
    vals[1..first_op].copy_from_slice(x);
    for (v, &c) in vals[first_const..].iter_mut().zip(&program.consts) {
        *v = T::from_f64(c);
    }
    let partials = &mut work.partials;
    if partials.len() != ops.len() {
        partials.clear();
        partials.resize(ops.len(), [T::zero(); 2]);
    }
    assert_eq!(ops.len(), program.ops.len(), "replay: op array of another program");
    let args = program.arg_a.iter().zip(&program.arg_b);
    for (k, ((&op, (&a, &b)), d)) in ops.iter().zip(args).zip(partials.iter_mut()).enumerate() {
        debug_assert!((a as usize) < vals.len() && (b as usize) < vals.len() && first_op + k < vals.len());
        // SAFETY: every `Program` is built by `Program::from_log`, which runs
        // `Program::validate`: each operand slot is below `n_slots()` (and its
        // fields are never mutated afterwards). `vals.len() == n_slots()` (resized
        // above), and `first_op + k < first_const() <= n_slots()` because
        // `k < ops.len()` (`ops` is the program's op array or a cast of it, of
        // the same length — asserted below the loop's setup). So all three
        // indices are in bounds. Tested by `compile.rs` (every replay) and
        // `program::tests` (validation refuses bad operands).
        let (va, vb) = unsafe { (*vals.get_unchecked(a as usize), *vals.get_unchecked(b as usize)) };
        let (value, da, db) = op.eval(va, vb);
        unsafe { *vals.get_unchecked_mut(first_op + k) = value };
        *d = [da, db];
    }
}

/// The first guard whose comparison comes out differently on `vals`.
pub(crate) fn check_guards<T: Scalar>(program: &Program, vals: &[T]) -> Result<(), GuardFlip> {
    for (i, g) in program.guards.iter().enumerate() {
        let (a, b) = (vals[g.args[0] as usize].value(), vals[g.args[1] as usize].value());
        let now = g.kind.outcome(a, b);
        if now != g.outcome {
            return Err(GuardFlip {
                guard: i,
                kind: g.kind,
                after_op: g.after_ops,
                location: g.location,
                recorded: g.outcome,
                now,
                operands: (a, b),
            });
        }
    }
    Ok(())
}

/// The reverse sweep over the stored partials: `adj` must hold the seeds
/// (`∂L/∂output` in the outputs' slots, zero elsewhere). Each op's slot is
/// reset to zero once read, so afterwards only the inputs, constants and sink
/// can be nonzero.
pub(crate) fn reverse<T: Scalar>(program: &Program, partials: &[[T; 2]], adj: &mut [T]) {
    reverse_sweep::<T, true>(program, partials, adj);
}

/// [`reverse`] keeping every op's adjoint (second-order sweeps read them).
pub(crate) fn reverse_keeping<T: Scalar>(program: &Program, partials: &[[T; 2]], adj: &mut [T]) {
    reverse_sweep::<T, false>(program, partials, adj);
}

#[inline(always)]
fn reverse_sweep<T: Scalar, const RESET: bool>(program: &Program, partials: &[[T; 2]], adj: &mut [T]) {
    assert!(
        adj.len() >= program.n_slots() && partials.len() == program.ops.len(),
        "replay: buffers of another program"
    );
    let first_op = program.first_op();
    let args = program.arg_a.iter().zip(&program.arg_b);
    for (k, (&[da, db], (&a, &b))) in partials.iter().zip(args).enumerate().rev() {
        let g = if RESET { std::mem::replace(&mut adj[first_op + k], T::zero()) } else { adj[first_op + k] };
        // As on the tape: a node that does not reach the output is skipped, so
        // its partials (possibly infinite) cannot poison the gradient.
        if g.is_exact_zero() {
            continue;
        }
        // SAFETY: as in `forward`, operand slots are below `n_slots()`
        // (`Program::validate`), and `adj` is at least that long (asserted before
        // the loop).
        unsafe { *adj.get_unchecked_mut(a as usize) += da * g };
        if b != 0 {
            unsafe { *adj.get_unchecked_mut(b as usize) += db * g };
        }
    }
}

/// The tangent sweep: `t` holds the input tangents in slots `1..=n` (zero
/// elsewhere); fills every op's tangent. A zero tangent contributes nothing
/// (so a constant operand's infinite partial cannot make a NaN).
pub(crate) fn tangent<T: Scalar>(program: &Program, partials: &[[T; 2]], t: &mut [T]) {
    let first_op = program.first_op();
    for (k, &[da, db]) in partials.iter().enumerate() {
        let (ta, tb) = (t[program.arg_a[k] as usize], t[program.arg_b[k] as usize]);
        let mut out = T::zero();
        if !ta.is_exact_zero() {
            out = da * ta;
        }
        if !tb.is_exact_zero() {
            out += db * tb;
        }
        t[first_op + k] = out;
    }
}

/// `ops` over another number type (its constants converted).
pub(crate) fn cast_ops<T: Scalar>(ops: &[ScalarOp<f64>]) -> Vec<ScalarOp<T>> {
    ops.iter().map(|op| op.map_const(T::from_f64)).collect()
}
