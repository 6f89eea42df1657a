//! `Gradients`: the adjoints one reverse sweep produced, looked up by variable.

use std::ops::Index;
use std::sync::OnceLock;

use wengert_ops::{Matrix, Scalar};

use crate::matvar::MatVar;
use crate::pool::MatrixPool;
use crate::var::Var;

/// The result of a reverse sweep: `∂output/∂v` for every variable `v` recorded
/// before the output.
///
/// Look a scalar up with `grads[x]` or [`wrt`](Gradients::wrt), a matrix with
/// `grads[w]` (a `&Matrix`) or [`matrix`](Gradients::matrix) (an owned handle
/// to the same storage). A `Gradients` remembers the tape and the recording it
/// came from; asking it about a variable of another tape, or of a later
/// recording (after `clear()`), panics instead of returning stale numbers.
///
/// ```
/// use wengert_tape::{Matrix, Tape};
/// let tape = Tape::new();
/// let w = tape.matrix(&Matrix::from_rows(&[[1.0, 2.0], [3.0, 4.0]]));
/// let unused = tape.matrix(&Matrix::from_rows(&[[5.0, 6.0]]));
/// let x = tape.constant_matrix(&Matrix::from_rows(&[[1.0], [-1.0]]));
/// let g = tape.backward(w.matmul(x).sum()); // d/dW Σ W x = 1 xᵀ
/// assert_eq!(g[w], Matrix::from_rows(&[[1.0, -1.0], [1.0, -1.0]]));
/// assert_eq!(g[unused], Matrix::zeros(1, 2)); // no gradient reached it: zeros
/// assert_eq!(g.matrix(w), g[w]);
/// ```
///
/// Reuse one `Gradients` across training steps with
/// [`Tape::backward_into`](crate::Tape::backward_into): its buffers are kept.
///
/// **Accumulation.** [`Tape::accumulate_into`](crate::Tape::accumulate_into) adds
/// the gradients of another output of the same recording into an existing
/// `Gradients`; [`add_assign`](Gradients::add_assign) adds two results of the
/// same recording.
#[derive(Clone, Debug)]
pub struct Gradients<T: Scalar = f64> {
    tape_id: u64,
    generation: u64,
    pub(crate) adj: Vec<T>,
    /// Adjoint per matrix node; `live[k]` says whether slot `k` belongs to this
    /// sweep (a dead slot keeps its buffer for reuse).
    pub(crate) mats: Vec<Option<Matrix<T>>>,
    pub(crate) live: Vec<bool>,
    shapes: Vec<(usize, usize)>,
    spare: MatrixPool<T>,
    /// Zeros for `grads[m]` on a matrix node no adjoint reached: `Index` must
    /// return a reference, and such a node has no buffer. Created on the first
    /// lookup of that node (through `&self`, hence the `OnceLock`), kept until
    /// the next sweep, then recycled like any dead buffer.
    zero_views: Vec<OnceLock<Matrix<T>>>,
}

impl<T: Scalar> Gradients<T> {
    /// An empty result, to be filled by [`Tape::backward_into`](crate::Tape::backward_into).
    pub fn empty() -> Self {
        Gradients {
            tape_id: 0,
            generation: 0,
            adj: Vec::new(),
            mats: Vec::new(),
            live: Vec::new(),
            shapes: Vec::new(),
            spare: MatrixPool::new(),
            zero_views: Vec::new(),
        }
    }

    /// Prepares for a sweep of a recording with `n_scalars` scalar and `n_mats`
    /// matrix nodes: zeroes the scalar adjoints, retires the matrix slots.
    pub(crate) fn reset(&mut self, tape_id: u64, generation: u64, n_scalars: usize, n_mats: usize) {
        self.tape_id = tape_id;
        self.generation = generation;
        self.adj.clear();
        self.adj.resize(n_scalars, T::zero());
        for (slot, live) in self.mats.iter_mut().zip(self.live.iter_mut()) {
            if let Some(m) = slot.take() {
                self.spare.give(m);
            }
            *live = false;
        }
        self.mats.resize_with(n_mats, || None);
        self.live.clear();
        self.live.resize(n_mats, false);
        self.shapes.clear();
        self.shapes.resize(n_mats, (0, 0));
        for view in &mut self.zero_views {
            if let Some(m) = view.take() {
                if !m.is_shared() {
                    self.spare.give(m);
                }
            }
        }
        self.zero_views.resize_with(n_mats, OnceLock::new);
    }

    /// The adjoint buffer of matrix node `k`, created zeroed on first use.
    pub(crate) fn mat_slot(&mut self, k: usize, shape: (usize, usize)) -> &mut [T] {
        if !self.live[k] {
            self.live[k] = true;
            self.shapes[k] = shape;
            self.mats[k] = Some(self.spare.take(shape.0, shape.1, true));
        }
        self.mats[k].as_mut().expect("live slot has a buffer").as_mut_slice()
    }

    /// Takes matrix node `k`'s adjoint out (creating it zeroed), to be put back
    /// with [`put_back`](Self::put_back).
    pub(crate) fn take_slot(&mut self, k: usize, shape: (usize, usize)) -> Matrix<T> {
        self.mat_slot(k, shape);
        self.mats[k].take().expect("live slot has a buffer")
    }

    pub(crate) fn put_back(&mut self, k: usize, m: Matrix<T>) {
        self.mats[k] = Some(m);
    }

    /// Whether matrix node `k` received any adjoint in this sweep.
    #[inline]
    pub(crate) fn is_live(&self, k: usize) -> bool {
        self.live[k]
    }

    pub(crate) fn check_recording(&self, tape_id: u64, generation: u64, what: &str) {
        assert!(self.tape_id == tape_id, "{what}: these gradients were computed on another tape");
        assert!(
            self.generation == generation,
            "{what}: these gradients come from an earlier recording of this tape (before clear())"
        );
    }

    fn check_var(&self, tape_id: u64, generation: u64) {
        self.check_recording(tape_id, generation, "Gradients");
    }

    /// `∂output/∂x`. Panics if `x` is an untracked constant, belongs to another
    /// tape or recording, or was recorded after the sweep.
    pub fn get(&self, x: Var<'_, T>) -> T {
        self[x]
    }

    /// `∂output/∂x` for each of `xs`, in order.
    pub fn wrt(&self, xs: &[Var<'_, T>]) -> Vec<T> {
        xs.iter().map(|&x| self[x]).collect()
    }

    /// `∂output/∂m` as a matrix of `m`'s shape (zeros if no gradient reached it).
    /// Shares storage with this `Gradients`: no copy. `grads[m]` is the same
    /// matrix by reference.
    ///
    /// Panics if `m` is a constant matrix (it has no gradient), or belongs to
    /// another tape or recording.
    pub fn matrix(&self, m: MatVar<'_, T>) -> Matrix<T> {
        self.matrix_ref(m, "Gradients::matrix").clone()
    }

    /// The adjoint of matrix input `m` by reference, or a zero matrix of its
    /// shape if no gradient reached it (created on first use, see `zero_views`).
    fn matrix_ref(&self, m: MatVar<'_, T>, who: &str) -> &Matrix<T> {
        self.check_recording(m.tape.id(), m.tape.generation(), who);
        assert!(m.tracked, "{who}: this matrix is a constant (no gradient is computed for it)");
        let k = m.idx as usize;
        assert!(k < self.live.len(), "{who}: this matrix was recorded after the backward sweep");
        if self.live[k] {
            self.mats[k].as_ref().expect("live slot has a buffer")
        } else {
            self.zero_views[k].get_or_init(|| Matrix::zeros(m.rows(), m.cols()))
        }
    }

    /// Adds another result of the same recording into this one.
    pub fn add_assign(&mut self, other: &Gradients<T>) {
        self.check_recording(other.tape_id, other.generation, "Gradients::add_assign");
        for (a, &b) in self.adj.iter_mut().zip(&other.adj) {
            *a += b;
        }
        for k in 0..other.live.len() {
            if other.live[k] {
                let src = other.mats[k].as_ref().expect("live slot has a buffer");
                let dst = self.mat_slot(k, other.shapes[k]);
                for (d, &s) in dst.iter_mut().zip(src.as_slice()) {
                    *d += s;
                }
            }
        }
    }
}

/// `grads[m]`: `∂output/∂m` for a matrix input, by reference (see
/// [`Gradients::matrix`] for an owned handle). A matrix no gradient reached reads
/// as zeros of its shape; the first such lookup of a node allocates them, and
/// they are kept (and recycled) with this `Gradients`.
///
/// Panics, naming `Gradients[MatVar]`, if `m` is a constant matrix, belongs to
/// another tape or recording, or was recorded after the sweep.
impl<'t, T: Scalar> Index<MatVar<'t, T>> for Gradients<T> {
    type Output = Matrix<T>;
    fn index(&self, m: MatVar<'t, T>) -> &Matrix<T> {
        self.matrix_ref(m, "Gradients[MatVar]")
    }
}

impl<'t, T: Scalar> Index<Var<'t, T>> for Gradients<T> {
    type Output = T;
    fn index(&self, x: Var<'t, T>) -> &T {
        let tape = x.tape.expect("Gradients: this variable is an untracked constant (no gradient is computed for it)");
        self.check_var(tape.id(), tape.generation());
        assert!(
            x.own,
            "Gradients: this variable is a function of another one folded into its handle (such as `x * 2.0` or \
             `x.exp()`), so it has no node and no gradient of its own; ask for the gradient of an input"
        );
        self.adj.get(x.parents[0] as usize).expect("Gradients: this variable was recorded after the backward sweep")
    }
}
