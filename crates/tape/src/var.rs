//! `Var<'t, T>`: a scalar on the tape, with the reverse-mode rule of every
//! elementary function.
//!
//! A `Var` is a small `Copy` handle: its value, a reference to its tape (none for
//! constants) and a *pending node* — up to two parent nodes with the partials of
//! the value with respect to them. Every operation computes its value and local
//! partials right away (by the rule in [`ScalarOp`](crate::ScalarOp)) and
//! folds them into the handle; the tape is written only when a pending node would
//! need a third parent (see [`Var`]). That is why cheap scalar code records a
//! fraction of its operations: extended Rosenbrock writes 2 nodes per element
//! where one node per op would be 8.

use std::fmt;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use smallvec::SmallVec;
use wengert_ops::Scalar;

use crate::compile::log::{GuardKind, Operand};
use crate::scalar_op::ScalarOp;
use crate::tape::{Tape, OBSERVED, SINK};

/// A scalar recorded on a [`Tape`] (or an untracked constant).
///
/// Implements [`Scalar`] and [`Real`](wengert_ops::Real), so generic model code
/// runs on it unchanged. Comparisons (`<`, `==`, …) compare values: use them for
/// control flow; the branch taken is what gets differentiated. (While a closure
/// is being [compiled](mod@crate::compile), each comparison, `max` and `min` is
/// also kept as a guard, checked at every replay.)
///
/// ```
/// use wengert_tape::Tape;
/// let tape = Tape::new();
/// let x = tape.var(3.0);
/// let y = if x > 0.0 { x * x } else { -x };
/// assert_eq!(tape.backward(y)[x], 6.0);
/// ```
///
/// # A handle is a node not yet written
///
/// A `Var` holds its value and a *pending node*: up to two parent nodes with the
/// partial derivatives of the value with respect to them. Work happens in the
/// handle, in registers, and the tape is written only when it must be:
///
/// * a function of one variable (`exp`, `x * c`, `x + c`, `-x`, `square`, …)
///   multiplies the pending partials by its local derivative — nothing is
///   written;
/// * an operation on two single-parent handles gives a two-parent handle —
///   nothing is written (two handles of the same node, as in `x * x`, merge);
/// * only when the parents would exceed two is a pending node written to the
///   tape (24 bytes for `f64`), and the handle refers to it from then on.
///
/// Extended Rosenbrock writes 2 nodes per element this way, where one node per
/// operation would be 8; the reverse sweep is the same short loop either way.
///
/// A consequence: only a variable that *is* a node — an input from
/// [`Tape::var`], or a value the tape had to write — has a gradient of its own.
/// Asking [`Gradients`](crate::Gradients) about `y = x * 2.0` panics instead of
/// answering for `x`.
#[derive(Clone, Copy)]
pub struct Var<'t, T: Scalar = f64> {
    pub(crate) tape: Option<&'t Tape<T>>,
    val: T,
    /// The pending node's parents; `parents[1] == SINK` for a single parent.
    pub(crate) parents: [u32; 2],
    /// `∂val/∂parents[i]` (the second is meaningless for a single parent).
    pub(crate) partials: [T; 2],
    /// Whether the value is exactly node `parents[0]` (an input or a written
    /// node, with nothing folded in since).
    pub(crate) own: bool,
}

impl<'t, T: Scalar> Var<'t, T> {
    /// The handle of node `idx` itself.
    #[inline(always)]
    pub(crate) fn node(tape: &'t Tape<T>, idx: u32, val: T) -> Self {
        Var { tape: Some(tape), val, parents: [idx, SINK], partials: [T::one(), T::zero()], own: true }
    }

    /// The handle of node `idx` on a tape in anomaly mode (see
    /// [`record_observed`](Self::record_observed)).
    #[inline(always)]
    pub(crate) fn observed_node(tape: &'t Tape<T>, idx: u32, val: T) -> Self {
        Var { tape: Some(tape), val, parents: [idx, OBSERVED], partials: [T::one(), T::zero()], own: true }
    }

    /// A value depending on node `idx` alone, with derivative `partial`.
    #[inline(always)]
    fn single(tape: &'t Tape<T>, val: T, idx: u32, partial: T) -> Self {
        Var { tape: Some(tape), val, parents: [idx, SINK], partials: [partial, T::zero()], own: false }
    }

    /// A value depending on two distinct nodes.
    #[inline(always)]
    fn pair(tape: &'t Tape<T>, val: T, parents: [u32; 2], partials: [T; 2]) -> Self {
        Var { tape: Some(tape), val, parents, partials, own: false }
    }

    /// An untracked constant: takes part in arithmetic, has no node and no
    /// gradient.
    #[inline(always)]
    pub fn constant(value: T) -> Self {
        Var { tape: None, val: value, parents: [SINK; 2], partials: [T::zero(); 2], own: false }
    }

    /// The value, as the tape's element type.
    #[inline(always)]
    pub fn primal(&self) -> T {
        self.val
    }

    /// Whether this variable is recorded on a tape (false for constants and
    /// detached values).
    #[inline(always)]
    pub fn is_tracked(&self) -> bool {
        self.tape.is_some()
    }

    /// The tape this variable is recorded on, if any.
    #[inline(always)]
    pub fn tape(&self) -> Option<&'t Tape<T>> {
        self.tape
    }

    /// The same value with the gradient stopped: the result is a constant, so
    /// nothing flows back through it (`stop_gradient` in other frameworks).
    #[inline(always)]
    pub fn detach(self) -> Self {
        Var::constant(self.val)
    }

    /// Records a function of this variable that the tape has no rule for,
    /// given its `value` and `derivative` at this point: the same bookkeeping
    /// as a built-in op (the call writes nothing; the derivative folds into the
    /// pending node). `name` is shown in anomaly reports.
    ///
    /// Compute both from [`primal`](Self::primal) with `T`'s own arithmetic
    /// (through [`Scalar`]) and the function also differentiates a second
    /// time: on a `Tape<Dual<f64>>` (what [`hvp`](crate::hvp) and
    /// [`hessian`](crate::hessian) record on) the derivative then carries its
    /// own tangent. A derivative computed in `f64` and converted would make
    /// second-order results silently miss this function's curvature.
    ///
    /// ```
    /// use wengert_tape::{grad, hessian, Scalar, Var};
    /// // softsign(x) = x / (1 + |x|), derivative 1 / (1 + |x|)², for any element type.
    /// fn softsign<'t, T: Scalar>(x: Var<'t, T>) -> Var<'t, T> {
    ///     let v = x.primal();
    ///     let q = T::one() + v.abs();
    ///     x.custom1("softsign", v / q, (q * q).recip())
    /// }
    /// let g = grad(|x| softsign(x[0]) * x[1], &[3.0, 2.0]);
    /// assert_eq!(g, vec![2.0 / 16.0, 0.75]);
    /// // Second derivative −2·sign(x)/(1 + |x|)³ comes from the same code.
    /// let h = hessian(|x| softsign(x[0]), &[1.0]);
    /// assert_eq!(h[(0, 0)], -0.25);
    /// ```
    #[inline(always)]
    pub fn custom1(self, name: &'static str, value: T, derivative: T) -> Self {
        if self.parents[1] == OBSERVED {
            let op = ScalarOp::Custom1(name);
            let (t, idx) = Self::record_observed(op, self.operand(), None, value, derivative, T::zero());
            return Var::observed_node(t, idx, value);
        }
        self.unary(value, derivative)
    }

    /// Records a function of two variables the tape has no rule for, given its
    /// `value` and partial derivatives `d_self`, `d_other` at this point; see
    /// [`custom1`](Self::custom1) for how to compute them so second order
    /// works. Either operand may be a constant (its partial is then unused).
    ///
    /// ```
    /// use wengert_tape::{grad, Scalar, Var};
    /// // hypot(a, b) = √(a² + b²) with partials a/h and b/h.
    /// fn hypot<'t>(a: Var<'t, f64>, b: Var<'t, f64>) -> Var<'t, f64> {
    ///     let h = a.primal().hypot(b.primal());
    ///     a.custom2(b, "hypot", h, a.primal() / h, b.primal() / h)
    /// }
    /// let g = grad(|x| hypot(x[0], x[1]), &[3.0, 4.0]);
    /// assert_eq!(g, vec![0.6, 0.8]);
    /// ```
    #[inline(always)]
    pub fn custom2(self, other: Self, name: &'static str, value: T, d_self: T, d_other: T) -> Self {
        self.binary(ScalarOp::Custom2(name), other, value, d_self, d_other)
    }

    /// `self` clamped to `[lo, hi]`: `self.max(lo).min(hi)`, so the value and
    /// the derivative are `self`'s inside the interval and a constant's
    /// outside. In compile mode both picks are guards.
    ///
    /// ```
    /// use wengert_tape::Tape;
    /// let tape = Tape::new();
    /// let x = tape.var(3.0);
    /// assert_eq!(x.clamp(-1.0, 1.0).primal(), 1.0);
    /// ```
    #[track_caller]
    pub fn clamp(self, lo: f64, hi: f64) -> Self {
        use wengert_ops::Scalar as _;
        self.max(Var::constant(T::from_f64(lo))).min(Var::constant(T::from_f64(hi)))
    }

    /// Whether the pending node has two parents. (An observed handle, whose
    /// second parent is the [`OBSERVED`] marker, counts as one here, so it
    /// misses the fast path of [`binary`](Self::binary); it is tested for
    /// before anything else reads its parents.)
    #[inline(always)]
    fn is_pair(&self) -> bool {
        self.parents[1] != SINK
    }

    /// The parents and partials to seed or to bridge: `(node, ∂val/∂node)` for
    /// each parent (one or two; none for a constant).
    pub(crate) fn terms(&self) -> impl Iterator<Item = (u32, T)> + '_ {
        let n = match self.tape {
            None => 0,
            Some(_) if self.is_pair() && self.parents[1] != OBSERVED => 2,
            Some(_) => 1,
        };
        (0..n).map(move |k| (self.parents[k], self.partials[k]))
    }

    /// This variable as a node of its own: itself if it already is one,
    /// otherwise its pending node, written now. Used where one node index must
    /// stand for the value (matrix bridges).
    pub(crate) fn materialize(self) -> Self {
        match self.tape {
            Some(t) if !self.own => {
                let second = if self.is_pair() { self.partials[1] } else { T::zero() };
                Var::node(t, t.push(self.parents, [self.partials[0], second]), self.val)
            }
            _ => self,
        }
    }

    /// `(node, partial)` standing for this tracked handle: its single parent,
    /// or its pending pair written to the tape (partial 1).
    #[inline(always)]
    fn reduce(self, tape: &Tape<T>) -> (u32, T) {
        if self.is_pair() {
            (tape.push(self.parents, self.partials), T::one())
        } else {
            (self.parents[0], self.partials[0])
        }
    }

    /// Records `op` applied to this variable: folds into the handle.
    #[inline(always)]
    fn apply1(self, op: ScalarOp<T>) -> Self {
        let (val, d, _) = op.eval(self.val, T::zero());
        // An observed handle (anomaly mode) carries the marker in a register:
        // testing it costs no load.
        if self.parents[1] == OBSERVED {
            let (t, idx) = Self::record_observed(op, self.operand(), None, val, d, T::zero());
            return Var::observed_node(t, idx, val);
        }
        self.unary(val, d)
    }

    /// Records the two-input `op` applied to `self` and `other`.
    #[inline(always)]
    fn apply2(self, op: ScalarOp<T>, other: Self) -> Self {
        let (val, da, db) = op.eval(self.val, other.val);
        self.binary(op, other, val, da, db)
    }

    /// `op` recorded in anomaly mode: the operands become nodes, the op writes
    /// a node of its own (so every op has a position and its partials are
    /// kept), and the tape checks its value and partials.
    ///
    /// How it is reached for free: on a tape in anomaly mode every handle
    /// carries [`OBSERVED`] as its second parent. A one-input op tests that
    /// register; a two-input op never takes the inlined fast path (which
    /// needs two single-parent handles) and tests it in
    /// [`binary_wide`](Self::binary_wide). With the mode off the marker never
    /// appears and the plain paths pay nothing for the mode.
    #[cold]
    #[inline(never)]
    ///
    /// The operands come as plain values and the new node's index goes back,
    /// not handles: a handle passed to or returned from an out-of-line
    /// function would have to live in memory on every path, and the plain
    /// recording keeps it in registers.
    #[allow(clippy::too_many_arguments)]
    fn record_observed(
        op: ScalarOp<T>,
        (a_tape, a_node, a_val): (Option<&'t Tape<T>>, u32, T),
        b: Option<(Option<&'t Tape<T>>, u32, T)>,
        val: T,
        da: T,
        db: T,
    ) -> (&'t Tape<T>, u32) {
        let t = a_tape.or(b.and_then(|b| b.0)).expect("an observed op has a tracked operand");
        let mut parents = [SINK; 2];
        let mut partials = [T::zero(); 2];
        let mut tracked_partials: SmallVec<[(usize, T); 2]> = SmallVec::new();
        let mut inputs: SmallVec<[T; 2]> = SmallVec::new();
        let mut k = 0;
        for (operand, (v, d)) in [(Some((a_tape, a_node, a_val)), da), (b, db)].into_iter().enumerate() {
            let Some((v_tape, v_node, v_val)) = v else { continue };
            inputs.push(v_val);
            if let Some(vt) = v_tape {
                assert!(std::ptr::eq(vt, t), "Var: an operation mixes variables of two different tapes");
                // Every tracked handle on an observed tape is a node of its own.
                parents[k] = v_node;
                partials[k] = d;
                tracked_partials.push((operand, d));
                k += 1;
            }
        }
        let idx = t.push(parents, partials);
        t.observe_scalar(idx, op.name(), &inputs, val, &tracked_partials);
        let as_operand = |(v_tape, v_node, v_val): (Option<&'t Tape<T>>, u32, T)| match v_tape {
            Some(_) => Operand::Node(v_node),
            None => Operand::Const(v_val),
        };
        t.log_op(idx, op, [as_operand((a_tape, a_node, a_val)), b.map_or(Operand::Unused, as_operand)], a_val);
        (t, idx)
    }

    /// This handle as a plain operand of [`record_observed`](Self::record_observed).
    #[inline(always)]
    fn operand(&self) -> (Option<&'t Tape<T>>, u32, T) {
        (self.tape, self.parents[0], self.val)
    }

    /// A function of this variable alone with local derivative `d`: scales the
    /// pending partials (nothing is written).
    #[inline(always)]
    fn unary(self, val: T, d: T) -> Self {
        match self.tape {
            Some(t) => Var::pair(t, val, self.parents, [self.partials[0] * d, self.partials[1] * d]),
            None => Var::constant(val),
        }
    }

    /// A function of two variables with local partials `da`, `db`.
    ///
    /// The common case — two single-parent handles on the same tape — is
    /// inlined and writes nothing; everything else goes to
    /// [`binary_wide`](Self::binary_wide).
    #[inline(always)]
    fn binary(self, op: ScalarOp<T>, other: Self, val: T, da: T, db: T) -> Self {
        if let (Some(t), Some(u)) = (self.tape, other.tape) {
            if std::ptr::eq(t, u) && !self.is_pair() && !other.is_pair() {
                let (pa, pb) = (self.partials[0] * da, other.partials[0] * db);
                if self.parents[0] != other.parents[0] {
                    return Var::pair(t, val, [self.parents[0], other.parents[0]], [pa, pb]);
                }
                return Var::single(t, val, self.parents[0], pa + pb);
            }
        }
        self.binary_wide(op, other, val, da, db)
    }

    /// [`binary`](Self::binary) when an operand is a constant or has two
    /// parents: merges shared parents, and writes a pending pair to the tape
    /// only when the result would otherwise need three or four.
    #[inline(always)]
    fn binary_wide(self, op: ScalarOp<T>, other: Self, val: T, da: T, db: T) -> Self {
        if self.parents[1] == OBSERVED || other.parents[1] == OBSERVED {
            let (t, idx) = Self::record_observed(op, self.operand(), Some(other.operand()), val, da, db);
            return Var::observed_node(t, idx, val);
        }
        let (t, u) = match (self.tape, other.tape) {
            (Some(t), Some(u)) => (t, u),
            (Some(_), None) => return self.unary(val, da),
            (None, Some(_)) => return other.unary(val, db),
            (None, None) => return Var::constant(val),
        };
        assert!(std::ptr::eq(t, u), "Var: an operation mixes variables of two different tapes");
        let a = self.unary(val, da);
        let b = other.unary(val, db);
        if let Some(merged) = a.merge(b) {
            return merged;
        }
        let (ia, pa) = a.reduce(t);
        let (ib, pb) = b.reduce(t);
        Var::pair(t, val, [ia, ib], [pa, pb])
    }

    /// `a + b` of two pending nodes (partials already scaled, same value) when
    /// their parents overlap enough to fit in two; `None` otherwise.
    #[inline(always)]
    fn merge(self, b: Self) -> Option<Self> {
        let (a, t) = (self, self.tape?);
        let [a0, a1] = a.parents;
        let [b0, b1] = b.parents;
        let [da0, da1] = a.partials;
        let [db0, db1] = b.partials;
        let merged = match (a.is_pair(), b.is_pair()) {
            (true, false) if b0 == a0 => Var::pair(t, a.val, a.parents, [da0 + db0, da1]),
            (true, false) if b0 == a1 => Var::pair(t, a.val, a.parents, [da0, da1 + db0]),
            (false, true) if a0 == b0 => Var::pair(t, a.val, b.parents, [da0 + db0, db1]),
            (false, true) if a0 == b1 => Var::pair(t, a.val, b.parents, [db0, da0 + db1]),
            (true, true) if a0 == b0 && a1 == b1 => Var::pair(t, a.val, a.parents, [da0 + db0, da1 + db1]),
            (true, true) if a0 == b1 && a1 == b0 => Var::pair(t, a.val, a.parents, [da0 + db1, da1 + db0]),
            (false, false) if a0 == b0 => Var::single(t, a.val, a0, da0 + db0),
            (false, false) => Var::pair(t, a.val, [a0, b0], [da0, db0]),
            _ => return None,
        };
        Some(merged)
    }
}

impl<T: Scalar> fmt::Debug for Var<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.tape {
            None => write!(f, "Var({:?}, constant)", self.val),
            Some(_) if self.own => write!(f, "Var({:?} @ node {})", self.val, self.parents[0]),
            Some(_) if self.is_pair() => {
                write!(f, "Var({:?}, pending on nodes {} and {})", self.val, self.parents[0], self.parents[1])
            }
            Some(_) => write!(f, "Var({:?}, pending on node {})", self.val, self.parents[0]),
        }
    }
}

impl<T: Scalar> fmt::Display for Var<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.val, f)
    }
}

// Comparisons compare values. On a tape in compile mode (whose handles carry
// the `OBSERVED` marker) each one is also logged as a guard; testing the
// marker is a register compare, and the logging is out of line.

impl<T: Scalar> Var<'_, T> {
    /// Whether either operand is a handle of an observed tape.
    #[inline(always)]
    fn observed_with(&self, other_parent: u32) -> bool {
        self.parents[1] == OBSERVED || other_parent == OBSERVED
    }

    /// This handle as an operand of a logged guard.
    fn guard_operand(&self) -> Operand<T> {
        match self.tape {
            Some(_) => Operand::Node(self.parents[0]),
            None => Operand::Const(self.val),
        }
    }

    /// Logs the comparison `kind` of `self` with `other` (a handle, or an `f64`
    /// as a constant) as a guard of the compile-mode recording.
    #[cold]
    #[inline(never)]
    fn log_guard(&self, kind: GuardKind, other: Result<&Self, f64>, location: &'static std::panic::Location<'static>) {
        let (rhs, b) = match other {
            Ok(o) => (o.guard_operand(), o.val.value()),
            Err(c) => (Operand::Const(T::from_f64(c)), c),
        };
        let tape = self.tape.or(other.ok().and_then(|o| o.tape));
        if let Some(t) = tape {
            t.log_guard(kind, [self.guard_operand(), rhs], kind.outcome(self.val.value(), b), location);
        }
    }
}

impl<T: Scalar> PartialEq for Var<'_, T> {
    #[track_caller]
    #[inline(always)]
    fn eq(&self, other: &Self) -> bool {
        if self.observed_with(other.parents[1]) {
            self.log_guard(GuardKind::Eq, Ok(other), std::panic::Location::caller());
        }
        self.val == other.val
    }
}

/// Each comparison method is written out (not left to `partial_cmp`), so a
/// guard records the comparison the code made.
impl<T: Scalar> PartialOrd for Var<'_, T> {
    #[track_caller]
    #[inline(always)]
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        if self.observed_with(other.parents[1]) {
            self.log_guard(GuardKind::Cmp, Ok(other), std::panic::Location::caller());
        }
        self.val.partial_cmp(&other.val)
    }
    #[track_caller]
    #[inline(always)]
    fn lt(&self, other: &Self) -> bool {
        if self.observed_with(other.parents[1]) {
            self.log_guard(GuardKind::Lt, Ok(other), std::panic::Location::caller());
        }
        self.val < other.val
    }
    #[track_caller]
    #[inline(always)]
    fn le(&self, other: &Self) -> bool {
        if self.observed_with(other.parents[1]) {
            self.log_guard(GuardKind::Le, Ok(other), std::panic::Location::caller());
        }
        self.val <= other.val
    }
    #[track_caller]
    #[inline(always)]
    fn gt(&self, other: &Self) -> bool {
        if self.observed_with(other.parents[1]) {
            self.log_guard(GuardKind::Gt, Ok(other), std::panic::Location::caller());
        }
        self.val > other.val
    }
    #[track_caller]
    #[inline(always)]
    fn ge(&self, other: &Self) -> bool {
        if self.observed_with(other.parents[1]) {
            self.log_guard(GuardKind::Ge, Ok(other), std::panic::Location::caller());
        }
        self.val >= other.val
    }
}

impl<T: Scalar> PartialEq<f64> for Var<'_, T> {
    #[track_caller]
    #[inline(always)]
    fn eq(&self, other: &f64) -> bool {
        if self.observed_with(SINK) {
            self.log_guard(GuardKind::Eq, Err(*other), std::panic::Location::caller());
        }
        self.val.value() == *other
    }
}

impl<T: Scalar> PartialOrd<f64> for Var<'_, T> {
    #[track_caller]
    #[inline(always)]
    fn partial_cmp(&self, other: &f64) -> Option<std::cmp::Ordering> {
        if self.observed_with(SINK) {
            self.log_guard(GuardKind::Cmp, Err(*other), std::panic::Location::caller());
        }
        self.val.value().partial_cmp(other)
    }
    #[track_caller]
    #[inline(always)]
    fn lt(&self, other: &f64) -> bool {
        if self.observed_with(SINK) {
            self.log_guard(GuardKind::Lt, Err(*other), std::panic::Location::caller());
        }
        self.val.value() < *other
    }
    #[track_caller]
    #[inline(always)]
    fn le(&self, other: &f64) -> bool {
        if self.observed_with(SINK) {
            self.log_guard(GuardKind::Le, Err(*other), std::panic::Location::caller());
        }
        self.val.value() <= *other
    }
    #[track_caller]
    #[inline(always)]
    fn gt(&self, other: &f64) -> bool {
        if self.observed_with(SINK) {
            self.log_guard(GuardKind::Gt, Err(*other), std::panic::Location::caller());
        }
        self.val.value() > *other
    }
    #[track_caller]
    #[inline(always)]
    fn ge(&self, other: &f64) -> bool {
        if self.observed_with(SINK) {
            self.log_guard(GuardKind::Ge, Err(*other), std::panic::Location::caller());
        }
        self.val.value() >= *other
    }
}

/// Operators between two variables, each one op of the table.
macro_rules! binary_ops {
    ($($tr:ident $method:ident $op:ident),*) => {$(
        impl<T: Scalar> $tr for Var<'_, T> {
            type Output = Self;
            #[inline(always)]
            fn $method(self, rhs: Self) -> Self {
                self.apply2(ScalarOp::$op, rhs)
            }
        }
    )*};
}
binary_ops!(Add add Add, Sub sub Sub, Mul mul Mul, Div div Div);

impl<T: Scalar> Neg for Var<'_, T> {
    type Output = Self;
    #[inline(always)]
    fn neg(self) -> Self {
        self.apply1(ScalarOp::Neg)
    }
}

/// Arithmetic with `f64` constants on either side: one-input ops carrying the
/// constant (nothing is recorded, see [`Var`]).
macro_rules! const_ops {
    ($($tr:ident $method:ident $right:ident $left:expr),*) => {$(
        impl<T: Scalar> $tr<f64> for Var<'_, T> {
            type Output = Self;
            #[inline(always)]
            fn $method(self, c: f64) -> Self {
                self.apply1(ScalarOp::$right(T::from_f64(c)))
            }
        }
        impl<'t, T: Scalar> $tr<Var<'t, T>> for f64 {
            type Output = Var<'t, T>;
            #[inline(always)]
            fn $method(self, x: Var<'t, T>) -> Var<'t, T> {
                let op: fn(T) -> ScalarOp<T> = $left;
                x.apply1(op(T::from_f64(self)))
            }
        }
    )*};
}
const_ops!(
    Add add AddConst ScalarOp::AddConst,
    Sub sub SubConst ScalarOp::ConstSub,
    Mul mul MulConst ScalarOp::MulConst,
    Div div DivConst ScalarOp::ConstDiv
);

macro_rules! assign_ops {
    ($($tr:ident $method:ident $op:tt),*) => {$(
        impl<T: Scalar> $tr for Var<'_, T> {
            #[inline(always)]
            fn $method(&mut self, rhs: Self) {
                *self = *self $op rhs;
            }
        }
        impl<T: Scalar> $tr<f64> for Var<'_, T> {
            #[inline(always)]
            fn $method(&mut self, rhs: f64) {
                *self = *self $op rhs;
            }
        }
    )*};
}
assign_ops!(AddAssign add_assign +, SubAssign sub_assign -, MulAssign mul_assign *, DivAssign div_assign /);

impl<T: Scalar> std::iter::Sum for Var<'_, T> {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Var::constant(T::zero()), |a, b| a + b)
    }
}

impl<T: Scalar> Scalar for Var<'_, T> {
    #[inline(always)]
    fn from_f64(x: f64) -> Self {
        Var::constant(T::from_f64(x))
    }
    #[inline(always)]
    fn value(self) -> f64 {
        self.val.value()
    }
    #[inline(always)]
    fn is_exact_zero(self) -> bool {
        self.val.is_exact_zero()
    }
    #[inline(always)]
    fn exp(self) -> Self {
        self.apply1(ScalarOp::Exp)
    }
    #[inline(always)]
    fn ln(self) -> Self {
        self.apply1(ScalarOp::Ln)
    }
    #[inline(always)]
    fn ln_1p(self) -> Self {
        self.apply1(ScalarOp::Ln1p)
    }
    #[inline(always)]
    fn exp_m1(self) -> Self {
        self.apply1(ScalarOp::ExpM1)
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        self.apply1(ScalarOp::Sqrt)
    }
    #[inline(always)]
    fn powi(self, n: i32) -> Self {
        self.apply1(ScalarOp::Powi(n))
    }
    #[inline(always)]
    fn powf(self, p: Self) -> Self {
        // A constant exponent or base is a one-input op: no `ln` is computed
        // for a partial nobody needs.
        match (self.tape, p.tape) {
            (_, None) => self.apply1(ScalarOp::PowConst(p.val)),
            (None, Some(_)) => p.apply1(ScalarOp::ConstPow(self.val)),
            (Some(_), Some(_)) => self.apply2(ScalarOp::Powf, p),
        }
    }
    #[inline(always)]
    fn sin(self) -> Self {
        self.apply1(ScalarOp::Sin)
    }
    #[inline(always)]
    fn cos(self) -> Self {
        self.apply1(ScalarOp::Cos)
    }
    #[inline(always)]
    fn tan(self) -> Self {
        self.apply1(ScalarOp::Tan)
    }
    #[inline(always)]
    fn tanh(self) -> Self {
        self.apply1(ScalarOp::Tanh)
    }
    #[inline(always)]
    fn sigmoid(self) -> Self {
        self.apply1(ScalarOp::Sigmoid)
    }
    #[inline(always)]
    fn softplus(self) -> Self {
        self.apply1(ScalarOp::Softplus)
    }
    #[inline(always)]
    fn relu(self) -> Self {
        self.apply1(ScalarOp::Relu)
    }
    #[inline(always)]
    fn abs(self) -> Self {
        self.apply1(ScalarOp::Abs)
    }
    /// Picks an operand (recording nothing); NaN wins, so it propagates. In
    /// compile mode the pick is a guard.
    #[track_caller]
    #[inline(always)]
    fn max(self, other: Self) -> Self {
        if self.observed_with(other.parents[1]) {
            self.log_guard(GuardKind::Max, Ok(&other), std::panic::Location::caller());
        }
        if other.val > self.val || other.val.value().is_nan() {
            other
        } else {
            self
        }
    }
    /// Picks an operand (recording nothing); NaN wins, so it propagates. In
    /// compile mode the pick is a guard.
    #[track_caller]
    #[inline(always)]
    fn min(self, other: Self) -> Self {
        if self.observed_with(other.parents[1]) {
            self.log_guard(GuardKind::Min, Ok(&other), std::panic::Location::caller());
        }
        if other.val < self.val || other.val.value().is_nan() {
            other
        } else {
            self
        }
    }
    #[inline(always)]
    fn recip(self) -> Self {
        self.apply1(ScalarOp::Recip)
    }
    #[inline(always)]
    fn square(self) -> Self {
        self.apply1(ScalarOp::Square)
    }
}
