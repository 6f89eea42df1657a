//! The tape: an arena that records every operation of a computation, and the
//! reverse sweep that turns the recording into gradients.
//!
//! # Layout, and why
//!
//! * **Scalar nodes** live in one `Vec<ScalarNode<T>>`. A node is two parent
//!   indices and the two partials `∂node/∂parent`, computed while recording (24
//!   bytes for `f64`). A one-parent node or a leaf points its unused slot(s) at
//!   node 0, the *sink*. The sweep is `adj[p₀] += d₀·adj[i]; adj[p₁] +=
//!   d₁·adj[i]`, skipping nodes whose adjoint is exactly zero (they do not reach
//!   the output, and their partials may be infinite) and sink slots. The value
//!   of a node is not stored on the tape: the [`Var`] handle carries it, with
//!   the node it has not yet written (see [`Var`]).
//! * **Matrix nodes** live in a second `Vec`: a value ([`Matrix`], shared storage),
//!   the op that produced it and its inputs. Recording a built-in op allocates
//!   nothing once the tape is warm: output buffers come from a pool that
//!   [`Tape::clear`] refills.
//! * **Events** interleave the two: a matrix op, or a bridge between a scalar and
//!   a matrix node, remembers how many scalar nodes existed when it was recorded.
//!   The sweep walks scalar nodes backwards down to that point, runs the event's
//!   vector-Jacobian product, and goes on. One loop, no recursion: a graph of
//!   10⁷ nodes sweeps without growing the stack.
//!
//! # Safety of handles
//!
//! A [`Var<'t, T>`] borrows its tape immutably and [`Tape::clear`] takes `&mut
//! self`, so a handle can neither outlive its tape nor survive a `clear()`: both
//! are compile errors. [`Gradients`] remember which tape and which recording they
//! came from and panic if asked about a variable of another.
//!
//! ```compile_fail
//! use wengert_tape::Tape;
//! let mut tape = Tape::<f64>::new();
//! let x = tape.var(1.0);
//! tape.clear(); // error: `tape` is still borrowed by `x`
//! let y = x * 2.0;
//! ```
//!
//! # Threads: `Send`, not `Sync`
//!
//! A tape and everything it owns — nodes, matrix values, pooled buffers, the
//! built-in ops' parameters and custom ops (recorded as `Box<dyn MatOp<T> +
//! Send>`, so [`Tape::apply_custom`] asks for `Send` ops) — may move to another
//! thread: `Tape<T>` is `Send` whenever `T` is. That is what data-parallel
//! training is built on ([`crate::parallel`]): one tape per worker thread, each
//! recording its shard of the batch, kept from step to step and lent to a worker
//! as `&mut Tape` (which is `Send` because `Tape` is).
//!
//! A tape is **not `Sync`**, deliberately, and must stay so: recording goes
//! through `&self` (every [`Var`] holds `&Tape`), and it mutates the tape
//! through interior mutability without locks — the scalar node array is an
//! `UnsafeCell` written by [`Tape::push`], everything else sits in a `RefCell`.
//! Two threads recording on one tape at once would race on the node vector
//! (the `RefCell`'s borrow flag is not atomic either). The soundness argument of
//! `push` rests on it: with `Tape: !Sync`, no `&Tape` — hence no [`Var`] or
//! [`MatVar`] — can cross to another thread, so only the thread that owns the
//! tape (or holds the `&mut` lent to it) can ever record on it. Moving a tape
//! needs no outstanding borrow (handles borrow it), so a moved tape is never
//! also reachable from the thread it left.
//!
//! ```
//! use wengert_tape::Tape;
//! fn assert_send<S: Send>() {}
//! assert_send::<Tape<f64>>();
//! ```
//!
//! ```compile_fail
//! use wengert_tape::Tape;
//! fn assert_sync<S: Sync>() {}
//! assert_sync::<Tape<f64>>(); // error: `UnsafeCell<…>` cannot be shared between threads
//! ```

use std::cell::{RefCell, UnsafeCell};
use std::sync::atomic::{AtomicU64, Ordering};

use smallvec::SmallVec;
use wengert_ops::rules::{Builtin, Spares};
use wengert_ops::{MatOp, Matrix, Scalar};

use crate::anomaly::{first_non_finite, Anomaly, AnomalyLog, Phase};
use crate::compile::log::{GuardKind, LoggedGuard, LoggedOp, OpLog, Operand};
use crate::gradients::Gradients;
use crate::matvar::MatVar;
use crate::pool::MatrixPool;
use crate::scalar_op::ScalarOp;
use crate::var::Var;

/// Index of the sink node: the parent of every unused slot.
pub(crate) const SINK: u32 = 0;

/// Not a node: the second parent of every handle on a tape in anomaly mode,
/// which sends each op to the observed path (see `Var::record_observed`).
/// Never written to the tape. (Node indices stop short of it: `push` panics
/// beyond `u32::MAX - 1` nodes.)
pub(crate) const OBSERVED: u32 = u32::MAX;

/// One recorded scalar operation: two parents and the local partials with
/// respect to them.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ScalarNode<T> {
    pub(crate) parents: [u32; 2],
    pub(crate) partials: [T; 2],
}

/// What produced a matrix node.
pub(crate) enum NodeOp<T: Scalar> {
    /// A built-in op (recorded without allocating).
    Builtin(Builtin),
    /// A user's op (`Send`, so that the tape holding it is; see "Threads" in
    /// the module docs).
    Custom(Box<dyn MatOp<T> + Send>),
}

impl<T: Scalar> NodeOp<T> {
    pub(crate) fn as_op(&self) -> &dyn MatOp<T> {
        match self {
            NodeOp::Builtin(b) => b,
            NodeOp::Custom(c) => c.as_ref(),
        }
    }
}

/// A recorded matrix value and, unless it is a leaf, how it was computed.
pub(crate) struct MatNode<T: Scalar> {
    pub(crate) value: Matrix<T>,
    /// Whether any gradient flows into this node (false for constants and for
    /// values computed only from constants).
    pub(crate) tracked: bool,
    pub(crate) op: Option<NodeOp<T>>,
    pub(crate) inputs: SmallVec<[u32; 3]>,
}

/// A step of the reverse sweep that is not a plain scalar node.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Event {
    /// Matrix node `0` was computed by its op; run its VJP.
    MatOp(u32),
    /// Scalar node `scalar` reads the single element of the `1 × 1` matrix `mat`.
    ToScalar { mat: u32, scalar: u32 },
    /// Matrix node `mat` was assembled from the scalar nodes listed at
    /// `scalar_refs[start .. start + len]`.
    FromScalars { mat: u32, start: u32, len: u32 },
}

/// An event and the number of scalar nodes recorded before it: the sweep
/// processes scalar nodes `pos..` first, then the event.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Timed {
    pub(crate) pos: u32,
    pub(crate) event: Event,
}

pub(crate) struct Inner<T: Scalar> {
    pub(crate) mats: Vec<MatNode<T>>,
    pub(crate) events: Vec<Timed>,
    pub(crate) scalar_refs: Vec<u32>,
    /// Storage of op outputs that `clear()` recovered, for reuse (the
    /// pool's contents are unspecified: an op's `forward` overwrites all of
    /// its output, the `MatOp` contract checked for every built-in op by the
    /// harness in `wengert_ops::check`).
    pub(crate) pool: MatrixPool<T>,
    /// Storage of ops' parameters (label and index vectors) that `clear()`
    /// recovered through [`Builtin::recycle`].
    pub(crate) spares: Spares,
    /// Anomaly mode's log (`None` when the mode is off).
    pub(crate) anomaly: Option<AnomalyLog>,
    /// Compile mode's log of op codes and guards (`None` unless recording for
    /// [`compile`](crate::compile::compile)).
    pub(crate) compile: Option<OpLog<T>>,
}

/// Runs `f` on the shapes of `inputs`, from a stack array when there are at
/// most four of them (every built-in op but the concatenations).
#[inline]
fn with_shapes<T: Scalar, R>(inputs: &[MatVar<'_, T>], f: impl FnOnce(&[(usize, usize)]) -> R) -> R {
    if inputs.len() <= 4 {
        let mut buf = [(0, 0); 4];
        for (b, m) in buf.iter_mut().zip(inputs) {
            *b = m.shape();
        }
        f(&buf[..inputs.len()])
    } else {
        f(&inputs.iter().map(|m| m.shape()).collect::<Vec<_>>())
    }
}

/// Runs `f` on the values of `inputs` (matrix nodes of `mats`), from a stack
/// array when there are between one and four of them.
#[inline]
fn with_values<T: Scalar, R>(mats: &[MatNode<T>], inputs: &[MatVar<'_, T>], f: impl FnOnce(&[&Matrix<T>]) -> R) -> R {
    match inputs.first() {
        Some(first) if inputs.len() <= 4 => {
            let mut buf = [&mats[first.idx as usize].value; 4];
            for (b, m) in buf.iter_mut().zip(inputs) {
                *b = &mats[m.idx as usize].value;
            }
            f(&buf[..inputs.len()])
        }
        _ => f(&inputs.iter().map(|m| &mats[m.idx as usize].value).collect::<Vec<_>>()),
    }
}

#[cold]
#[inline(never)]
fn too_many_nodes() -> ! {
    panic!("Tape: more than 2^32 − 1 scalar nodes recorded")
}

static NEXT_TAPE_ID: AtomicU64 = AtomicU64::new(1);

/// Compile-time proof that a tape over any `Send` element type, and the
/// gradients a sweep returns, may move between threads (see "Threads" in the
/// module docs): this fails to compile if a field stops being `Send`.
const _: () = {
    const fn assert_send<S: Send>() {}
    const fn check<T: Scalar + Send + Sync>() {
        assert_send::<Tape<T>>();
        assert_send::<Gradients<T>>();
    }
    check::<f64>();
    check::<f32>();
    check::<wengert_dual::Dual<f64>>();
};

/// A recording of a computation, for reverse-mode differentiation.
///
/// Create leaves with [`var`](Tape::var) / [`vars`](Tape::vars) (scalars) and
/// [`matrix`](Tape::matrix) (matrices); compute with them as with plain numbers;
/// call [`backward`](Tape::backward) on the scalar result.
///
/// ```
/// use wengert_tape::{Scalar, Tape};
/// let tape = Tape::new();
/// let (x, y) = (tape.var(1.0), tape.var(2.0));
/// let f = (x + y) * x.sigmoid();
/// let g = tape.backward(f);
/// let s = 1.0 / (1.0 + (-1.0f64).exp());
/// assert!((g[x] - (s + 3.0 * s * (1.0 - s))).abs() < 1e-15);
/// assert!((g[y] - s).abs() < 1e-15);
/// ```
///
/// A tape is reused across training steps with [`clear`](Tape::clear), which keeps
/// every allocation: after the first step, recording scalar ops allocates nothing.
pub struct Tape<T: Scalar = f64> {
    id: u64,
    /// Which recording this is: incremented by every [`clear`](Tape::clear).
    generation: u64,
    /// The scalar nodes. Not in the `RefCell` with the rest: recording a scalar
    /// op is the hottest path of the crate, and a borrow flag per push costs a
    /// measurable share of it. Access goes only through [`Tape::push`],
    /// [`Tape::scalar_len`], [`Tape::with_nodes`] and `clear` — see the safety
    /// argument on `push`.
    nodes: UnsafeCell<Vec<ScalarNode<T>>>,
    /// Whether every op is observed (anomaly mode): handles made by this tape
    /// then carry the `OBSERVED` marker (see `Var::record_observed`).
    observed: bool,
    /// Everything else (matrix nodes, events, pools): touched once per matrix
    /// op, so a checked borrow is cheap enough.
    pub(crate) inner: RefCell<Inner<T>>,
}

impl<T: Scalar> Default for Tape<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Scalar> std::fmt::Debug for Tape<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.inner.borrow();
        f.debug_struct("Tape")
            .field("id", &self.id)
            .field("scalar_nodes", &self.scalar_len())
            .field("matrix_nodes", &inner.mats.len())
            .finish()
    }
}

impl<T: Scalar> Tape<T> {
    /// An empty tape.
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// An empty tape with room for `scalar_nodes` scalar nodes before it grows.
    pub fn with_capacity(scalar_nodes: usize) -> Self {
        let mut nodes = Vec::with_capacity(scalar_nodes.max(1));
        nodes.push(ScalarNode { parents: [SINK; 2], partials: [T::zero(); 2] });
        Tape {
            id: NEXT_TAPE_ID.fetch_add(1, Ordering::Relaxed),
            generation: 0,
            nodes: UnsafeCell::new(nodes),
            observed: false,
            inner: RefCell::new(Inner {
                mats: Vec::new(),
                events: Vec::new(),
                scalar_refs: Vec::new(),
                pool: MatrixPool::new(),
                spares: Spares::default(),
                anomaly: None,
                compile: None,
            }),
        }
    }

    /// A process-unique identifier of this tape.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// Which recording this is: incremented by every [`clear`](Tape::clear).
    #[inline]
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    /// Forgets the recording but keeps every allocation (node arrays, matrix
    /// buffers), so the next recording of the same size allocates nothing.
    ///
    /// Takes `&mut self`: no [`Var`] or [`MatVar`] of the old recording can be
    /// alive (the borrow checker enforces it).
    pub fn clear(&mut self) {
        self.nodes.get_mut().truncate(1);
        let inner = self.inner.get_mut();
        inner.events.clear();
        inner.scalar_refs.clear();
        if let Some(log) = inner.anomaly.as_mut() {
            log.clear();
        }
        self.generation += 1;
        // Last node first: the next recording asks for the first node's
        // buffer first, and finds it on top of the pool.
        for node in inner.mats.drain(..).rev() {
            // A value still shared with the caller (a parameter, a data batch) is
            // simply released; a value the tape owns alone goes back to the pool.
            inner.pool.give(node.value);
            if let Some(NodeOp::Builtin(op)) = node.op {
                op.recycle(&mut inner.spares);
            }
        }
    }

    // ----- anomaly mode ------------------------------------------------------

    /// Turns anomaly detection on or off (off by default; see
    /// [`Anomaly`](crate::Anomaly) for what is checked). Takes effect for ops
    /// recorded from now on; [`clear`](Tape::clear) keeps the setting and
    /// forgets the previous recording's finding.
    ///
    /// With it on, every scalar op writes a node of its own and checks its
    /// value and partials; every matrix op checks its value; every sweep checks
    /// each vector-Jacobian product. Read the first finding with
    /// [`anomaly`](Tape::anomaly) or [`check_anomaly`](Tape::check_anomaly).
    pub fn detect_anomaly(&mut self, on: bool) {
        self.observed = on;
        let inner = self.inner.get_mut();
        match (on, inner.anomaly.is_some()) {
            (true, false) => inner.anomaly = Some(AnomalyLog::default()),
            (false, true) => inner.anomaly = None,
            _ => {}
        }
    }

    /// Whether anomaly detection is on. (A tape recording for
    /// [`compile`](crate::compile::compile) marks its handles the same way but
    /// checks nothing: it answers `false`.)
    pub fn detects_anomalies(&self) -> bool {
        self.inner.borrow().anomaly.is_some()
    }

    /// The first anomaly found in this recording (while recording or in any
    /// sweep since), if anomaly detection is on and one was found.
    pub fn anomaly(&self) -> Option<Anomaly> {
        self.inner.borrow().anomaly.as_ref().and_then(|log| log.first.clone())
    }

    /// `Err` with the first anomaly found in this recording, if any.
    pub fn check_anomaly(&self) -> Result<(), Anomaly> {
        match self.anomaly() {
            Some(a) => Err(a),
            None => Ok(()),
        }
    }

    /// Anomaly mode's check of scalar op `op`, recorded as node `idx`: a
    /// non-finite value or partial (of a tracked operand, given with the
    /// operand's index) from finite inputs is reported.
    pub(crate) fn observe_scalar(&self, idx: u32, op: &'static str, inputs: &[T], value: T, partials: &[(usize, T)]) {
        let mut inner = self.inner.borrow_mut();
        let Some(log) = inner.anomaly.as_mut() else { return };
        let position = log.next_position();
        log.name_scalar(idx, op, position);
        if first_non_finite(inputs).is_some() {
            return;
        }
        let bad = if !value.is_finite() {
            Some(("value".to_string(), value.value()))
        } else {
            partials.iter().find(|(_, d)| !d.is_finite()).map(|(k, d)| (format!("partial ∂/∂input {k}"), d.value()))
        };
        if let Some((what, found)) = bad {
            log.report(Anomaly {
                phase: Phase::Recording,
                position,
                op: op.to_string(),
                shapes: Vec::new(),
                what,
                found,
                inputs: inputs.iter().map(|x| x.value()).collect(),
            });
        }
    }

    // ----- compile mode -------------------------------------------------------

    /// Puts the tape in compile mode: every op goes through the observed path
    /// (one node per op, like anomaly mode) and is logged with its op code and
    /// operands; every comparison of its variables is logged as a guard.
    pub(crate) fn start_compile_log(&mut self) {
        self.observed = true;
        self.inner.get_mut().compile = Some(OpLog::default());
    }

    /// Takes the compile log (compile mode stays on for the handles alive).
    pub(crate) fn take_compile_log(&self) -> Option<OpLog<T>> {
        self.inner.borrow_mut().compile.take()
    }

    /// The name of the first matrix op recorded (`"matrix input"` if only
    /// matrix leaves were), or `None` if the recording has no matrix node.
    pub(crate) fn first_matrix_op(&self) -> Option<String> {
        let inner = self.inner.borrow();
        if inner.mats.is_empty() {
            return None;
        }
        let op = inner.mats.iter().find_map(|m| m.op.as_ref().map(|o| o.as_op().name().to_string()));
        Some(op.unwrap_or_else(|| "matrix input".to_string()))
    }

    /// Compile mode's record of scalar op `op`, written as node `idx`, and of
    /// its kink (if it has one) as a guard.
    pub(crate) fn log_op(&self, idx: u32, op: ScalarOp<T>, args: [Operand<T>; 2], a_value: T) {
        let mut inner = self.inner.borrow_mut();
        let Some(log) = inner.compile.as_mut() else { return };
        if let Some(outcome) = op.kink_region(a_value.value()) {
            let kind = if matches!(op, ScalarOp::Relu) { GuardKind::Relu } else { GuardKind::Abs };
            let after_ops = log.ops.len();
            log.guards.push(LoggedGuard { kind, args: [args[0], Operand::Unused], outcome, after_ops, location: None });
        }
        log.ops.push(LoggedOp { node: idx, op, args });
    }

    /// Compile mode's record of a comparison between values (a guard).
    pub(crate) fn log_guard(
        &self,
        kind: GuardKind,
        args: [Operand<T>; 2],
        outcome: i8,
        location: &'static std::panic::Location<'static>,
    ) {
        let mut inner = self.inner.borrow_mut();
        let Some(log) = inner.compile.as_mut() else { return };
        let after_ops = log.ops.len();
        log.guards.push(LoggedGuard { kind, args, outcome, after_ops, location: Some(location) });
    }

    /// Number of scalar nodes recorded (including the sink).
    pub fn len(&self) -> usize {
        self.scalar_len()
    }

    /// Whether nothing has been recorded yet.
    pub fn is_empty(&self) -> bool {
        self.scalar_len() == 1 && self.inner.borrow().mats.is_empty()
    }

    /// Number of matrix nodes recorded.
    pub fn matrix_nodes(&self) -> usize {
        self.inner.borrow().mats.len()
    }

    /// Bytes one recorded scalar operation occupies on the tape (two parent
    /// indices and two partials): 24 for `f64`.
    pub const fn bytes_per_scalar_node() -> usize {
        std::mem::size_of::<ScalarNode<T>>()
    }

    // ----- scalar recording -------------------------------------------------

    /// Appends a scalar node and returns its index.
    ///
    /// Every parent index must be a node of this recording (`< scalar_len()`);
    /// callers pass indices of live [`Var`]s of this tape or [`SINK`].
    #[inline(always)]
    pub(crate) fn push(&self, parents: [u32; 2], partials: [T; 2]) -> u32 {
        // SAFETY: `Tape` holds an `UnsafeCell`, so it is `!Sync` (and must stay
        // so — it is `Send`, which is fine: moving a tape, or lending `&mut Tape`
        // to another thread, leaves no `&Tape` behind on this one): only the
        // thread that holds this `&Tape` can reach `self.nodes`. References into it are created
        // only here, in `scalar_len` and in `with_nodes`, each living only for the
        // duration of that call, and none of those calls runs code that could
        // re-enter the tape: here only `Vec::push` runs, in `scalar_len` nothing,
        // and `with_nodes` is crate-private and only ever given the scalar sweep
        // loop, which records nothing. (`clear` uses `get_mut` on `&mut self`.)
        // So this `&mut` is the only reference to the vector while it lives.
        let nodes = unsafe { &mut *self.nodes.get() };
        let idx = nodes.len();
        if idx >= OBSERVED as usize {
            too_many_nodes();
        }
        nodes.push(ScalarNode { parents, partials });
        idx as u32
    }

    /// Number of scalar nodes recorded, including the sink.
    #[inline(always)]
    pub(crate) fn scalar_len(&self) -> usize {
        // SAFETY: a shared reference for the duration of one `len()` call; no
        // `&mut` can be alive at the same time (see `push`).
        unsafe { (*self.nodes.get()).len() }
    }

    /// Runs `f` on the scalar nodes. `f` must not record on this tape (every
    /// caller passes the sweep loop, which only reads nodes and writes adjoints).
    pub(crate) fn with_nodes<R>(&self, f: impl FnOnce(&[ScalarNode<T>]) -> R) -> R {
        // SAFETY: a shared reference that lives for the call of `f`; `f` is
        // crate-internal code that never records (the contract above), so no
        // `push` can create a `&mut` while it lives. See `push`.
        let nodes = unsafe { &*self.nodes.get() };
        f(nodes)
    }

    /// A new input variable (a leaf whose gradient [`backward`](Tape::backward)
    /// computes).
    #[inline]
    pub fn var(&self, value: T) -> Var<'_, T> {
        let idx = self.push([SINK; 2], [T::zero(); 2]);
        self.handle(idx, value)
    }

    /// The handle of node `idx`: marked for observation in anomaly mode.
    #[inline(always)]
    pub(crate) fn handle(&self, idx: u32, value: T) -> Var<'_, T> {
        if self.observed {
            Var::observed_node(self, idx, value)
        } else {
            Var::node(self, idx, value)
        }
    }

    /// One input variable per value.
    pub fn vars(&self, values: &[T]) -> Vec<Var<'_, T>> {
        values.iter().map(|&v| self.var(v)).collect()
    }

    /// A constant: takes part in arithmetic, is never recorded, has no gradient.
    /// (Same as `Var::constant`; here for discoverability.)
    #[inline]
    pub fn constant(&self, value: T) -> Var<'_, T> {
        Var::constant(value)
    }

    // ----- matrix recording -------------------------------------------------

    fn push_mat(&self, inner: &mut Inner<T>, node: MatNode<T>) -> u32 {
        let idx = u32::try_from(inner.mats.len()).expect("Tape: more than 2^32 matrix nodes recorded");
        inner.mats.push(node);
        idx
    }

    fn leaf(&self, value: &Matrix<T>, tracked: bool) -> MatVar<'_, T> {
        let mut inner = self.inner.borrow_mut();
        let shape = value.shape();
        let node = MatNode { value: value.clone(), tracked, op: None, inputs: SmallVec::new() };
        let idx = self.push_mat(&mut inner, node);
        MatVar::new(self, idx, shape, tracked)
    }

    /// A matrix input variable (a parameter): its gradient is computed.
    ///
    /// No copy is made: the tape shares the matrix's storage until
    /// [`clear`](Tape::clear), after which an in-place update of `value` by an
    /// optimizer does not copy either.
    pub fn matrix(&self, value: &Matrix<T>) -> MatVar<'_, T> {
        self.leaf(value, true)
    }

    /// A matrix constant (data, targets, masks): used in ops, never given a
    /// gradient buffer. Shares storage like [`matrix`](Tape::matrix).
    ///
    /// Takes a matrix of the tape's element type; for data of another type
    /// (an `f64` design matrix on a `Tape<Dual<f64>>`) use
    /// [`constant_matrix_from`](Tape::constant_matrix_from), which converts.
    pub fn constant_matrix(&self, value: &Matrix<T>) -> MatVar<'_, T> {
        self.leaf(value, false)
    }

    /// A matrix constant from a matrix of **any** element type `U`, converted
    /// to the tape's: data kept in `f64` (or `f32`) entering a recording over
    /// `Dual<f64>`, as the second-order transforms make (`hvp`, `hessian`,
    /// [`hvp_matrices`](crate::hvp_matrices)), without a `.cast()` at every use.
    ///
    /// When `U` already is the tape's element type the storage is shared, as
    /// by [`constant_matrix`]; otherwise every element is converted once, through
    /// `f64` ([`Matrix::cast`]): exact from `f32` or `f64`, the real part of a
    /// dual number (its tangents are dropped, as befits a constant).
    ///
    /// [`constant_matrix`]: Tape::constant_matrix
    ///
    /// ```
    /// use wengert_dual::Dual;
    /// use wengert_tape::{Matrix, Tape};
    /// let data = Matrix::from_rows(&[[1.0, 2.0], [3.0, 4.0]]);   // Matrix<f64>
    /// let tape = Tape::<Dual<f64>>::new();
    /// let x = tape.constant_matrix_from(&data);                   // no `.cast()` needed
    /// assert_eq!(x.value()[(1, 0)], Dual::constant(3.0));
    /// let same = Tape::<f64>::new();
    /// let shared = same.constant_matrix_from(&data);              // same type: no copy
    /// assert_eq!(shared.value().as_slice().as_ptr(), data.as_slice().as_ptr());
    /// ```
    pub fn constant_matrix_from<U: Scalar + 'static>(&self, value: &Matrix<U>) -> MatVar<'_, T>
    where
        T: 'static,
    {
        match (value as &dyn std::any::Any).downcast_ref::<Matrix<T>>() {
            Some(same) => self.leaf(same, false),
            None => self.leaf(&value.cast::<T>(), false),
        }
    }

    /// Records the built-in `op` applied to `inputs` and returns its output.
    ///
    /// The methods of [`MatVar`] (`matmul`, `relu`, `softmax_cross_entropy`, …)
    /// are thin wrappers around this; any op of the catalogue can be recorded
    /// directly, e.g. `tape.apply(Exp, &[x])` (see `wengert_ops::rules`). If no
    /// input is tracked, the value is computed and the node is a constant.
    pub fn apply(&self, op: impl Into<Builtin>, inputs: &[MatVar<'_, T>]) -> MatVar<'_, T> {
        self.record(NodeOp::Builtin(op.into()), inputs)
    }

    /// A vector of indices for an op's parameters (labels, row indices), reusing
    /// storage recovered by `clear()`.
    pub(crate) fn index_vec(&self, idx: &[usize]) -> Vec<usize> {
        self.inner.borrow_mut().spares.index_vec(idx)
    }

    /// Records a user-defined op (any [`MatOp`]) applied to `inputs`.
    ///
    /// Implement `MatOp<T>` generically for every `T: Scalar` and the op also
    /// works on tapes over dual numbers, which gives forward mode and exact
    /// Hessian-vector products through it. An op whose value exists for one
    /// plain type only is recorded on dual-number tapes through
    /// [`DualLift`](crate::DualLift) and its JVP.
    ///
    /// The op must be `Send` (it is kept on the tape, and tapes move between
    /// threads); an op holding an `Rc` or a `RefCell` borrowed elsewhere cannot
    /// be recorded — hold an `Arc` instead.
    pub fn apply_custom<O: MatOp<T> + Send + 'static>(&self, op: O, inputs: &[MatVar<'_, T>]) -> MatVar<'_, T> {
        self.record(NodeOp::Custom(Box::new(op)), inputs)
    }

    fn record(&self, op: NodeOp<T>, inputs: &[MatVar<'_, T>]) -> MatVar<'_, T> {
        for m in inputs {
            assert!(std::ptr::eq(m.tape, self), "{}: an input was recorded on another tape", op.as_op().name());
        }
        let mut inner = self.inner.borrow_mut();
        let inner = &mut *inner;
        let shape = with_shapes(inputs, |shapes| op.as_op().output_shape(shapes));
        let mut value = inner.pool.take(shape.0, shape.1, false);
        with_values(&inner.mats, inputs, |values| match &op {
            // The shape was checked just above: skip the built-in's re-check.
            NodeOp::Builtin(b) => b.forward_prechecked(values, value.as_mut_slice()),
            NodeOp::Custom(c) => c.forward(values, value.as_mut_slice()),
        });
        if let Some(log) = inner.anomaly.as_mut() {
            let position = log.next_position();
            log.place_matrix(inner.mats.len() as u32, position);
            let inputs_finite =
                inputs.iter().all(|m| first_non_finite(inner.mats[m.idx as usize].value.as_slice()).is_none());
            if let (true, Some(found)) = (inputs_finite, first_non_finite(value.as_slice())) {
                let mut shapes: Vec<(usize, usize)> = inputs.iter().map(|m| m.shape()).collect();
                shapes.push(shape);
                log.report(Anomaly {
                    phase: Phase::Recording,
                    position,
                    op: op.as_op().name().to_string(),
                    shapes,
                    what: "value".to_string(),
                    found,
                    inputs: Vec::new(),
                });
            }
        }
        let tracked = inputs.iter().any(|m| m.tracked);
        let (op, input_idx) = if tracked {
            let mut idx = SmallVec::new();
            for m in inputs {
                idx.push(m.idx);
            }
            (Some(op), idx)
        } else {
            (None, SmallVec::new())
        };
        let idx = self.push_mat(inner, MatNode { value, tracked, op, inputs: input_idx });
        if tracked {
            let pos = self.scalar_len() as u32;
            inner.events.push(Timed { pos, event: Event::MatOp(idx) });
        }
        MatVar::new(self, idx, shape, tracked)
    }

    /// The single element of a `1 × 1` matrix node as a scalar variable.
    pub(crate) fn mat_to_scalar(&self, m: MatVar<'_, T>) -> Var<'_, T> {
        assert_eq!(m.shape(), (1, 1), "to_scalar: expected a (1×1) matrix, got ({}×{})", m.rows(), m.cols());
        let value = self.inner.borrow().mats[m.idx as usize].value.as_slice()[0];
        if !m.tracked {
            return Var::constant(value);
        }
        let s = self.push([SINK; 2], [T::zero(); 2]);
        let mut inner = self.inner.borrow_mut();
        let pos = self.scalar_len() as u32;
        inner.events.push(Timed { pos, event: Event::ToScalar { mat: m.idx, scalar: s } });
        self.handle(s, value)
    }

    /// A matrix node assembled from scalar variables (row-major).
    pub(crate) fn scalars_to_mat(&self, vars: &[Var<'_, T>], rows: usize, cols: usize) -> MatVar<'_, T> {
        assert_eq!(vars.len(), rows * cols, "from_vars: {} variables do not fill a ({rows}×{cols}) matrix", vars.len());
        for v in vars {
            if let Some(t) = v.tape {
                assert!(std::ptr::eq(t, self), "from_vars: a variable was recorded on another tape");
            }
        }
        // Each element must be a node of its own: the sweep adds the matrix
        // adjoint straight into it.
        let vars: SmallVec<[Var<'_, T>; 16]> = vars.iter().map(|v| v.materialize()).collect();
        let mut inner = self.inner.borrow_mut();
        let inner = &mut *inner;
        let mut value = inner.pool.take(rows, cols, false);
        for (b, v) in value.as_mut_slice().iter_mut().zip(&vars) {
            *b = v.primal();
        }
        let tracked = vars.iter().any(|v| v.is_tracked());
        let node = MatNode { value, tracked, op: None, inputs: SmallVec::new() };
        let idx = self.push_mat(inner, node);
        if tracked {
            let start = inner.scalar_refs.len() as u32;
            inner.scalar_refs.extend(vars.iter().map(|v| v.parents[0]));
            let pos = self.scalar_len() as u32;
            inner.events.push(Timed { pos, event: Event::FromScalars { mat: idx, start, len: vars.len() as u32 } });
        }
        MatVar::new(self, idx, (rows, cols), tracked)
    }

    /// The value of a matrix node (shares storage; no copy).
    pub(crate) fn mat_value(&self, idx: u32) -> Matrix<T> {
        self.inner.borrow().mats[idx as usize].value.clone()
    }

    // ----- reverse sweep ----------------------------------------------------

    /// Gradients of the scalar `output` with respect to every variable recorded
    /// before it (seed `∂output/∂output = 1`).
    pub fn backward(&self, output: Var<'_, T>) -> Gradients<T> {
        self.backward_with(output, T::one())
    }

    /// Like [`backward`](Tape::backward) with the seed `∂L/∂output = seed`. One
    /// recording can be swept many times (Jacobian rows, VJPs, several losses).
    pub fn backward_with(&self, output: Var<'_, T>, seed: T) -> Gradients<T> {
        let mut grads = Gradients::empty();
        self.backward_into(output, seed, &mut grads);
        grads
    }

    /// Like [`backward_with`](Tape::backward_with), writing into an existing
    /// [`Gradients`] and reusing its buffers: in a training loop this allocates
    /// nothing after the first step. Previous contents are overwritten.
    pub fn backward_into(&self, output: Var<'_, T>, seed: T, grads: &mut Gradients<T>) {
        crate::sweep::backward(self, &[(output, seed)], &[], grads);
    }

    /// Vector-Jacobian product of several scalar outputs: one sweep with seed
    /// `weights[i]` on `outputs[i]`.
    pub fn backward_vector(&self, outputs: &[Var<'_, T>], weights: &[T]) -> Gradients<T> {
        assert_eq!(
            outputs.len(),
            weights.len(),
            "backward_vector: {} outputs but {} weights",
            outputs.len(),
            weights.len()
        );
        let seeds: Vec<(Var<'_, T>, T)> = outputs.iter().copied().zip(weights.iter().copied()).collect();
        let mut grads = Gradients::empty();
        crate::sweep::backward(self, &seeds, &[], &mut grads);
        grads
    }

    /// Vector-Jacobian product of a matrix output: one sweep with seed
    /// `∂L/∂output = seed` (same shape as `output`).
    pub fn backward_matrix(&self, output: MatVar<'_, T>, seed: &Matrix<T>) -> Gradients<T> {
        assert_eq!(
            output.shape(),
            seed.shape(),
            "backward_matrix: seed shape ({}×{}) differs from output shape ({}×{})",
            seed.rows(),
            seed.cols(),
            output.rows(),
            output.cols()
        );
        let mut grads = Gradients::empty();
        crate::sweep::backward(self, &[], &[(output, seed)], &mut grads);
        grads
    }

    /// Adds the gradients of `output` (seed `seed`) into `grads`, which must come
    /// from this same recording. Use it to sum the gradients of several losses
    /// computed on one recording without recording their sum; each call is one
    /// sweep into scratch buffers followed by an addition.
    pub fn accumulate_into(&self, output: Var<'_, T>, seed: T, grads: &mut Gradients<T>) {
        grads.check_recording(self.id, self.generation(), "accumulate_into");
        let mut scratch = Gradients::empty();
        crate::sweep::backward(self, &[(output, seed)], &[], &mut scratch);
        grads.add_assign(&scratch);
    }
}
