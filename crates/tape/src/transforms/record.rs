//! Recording a tape closure: the reusable tape behind every function-returning
//! form ([`ReusableTape`]), and [`fns::on_tape`], which turns a tape closure into
//! a plain function of numbers.
//!
//! Why a reusable tape: `fns::grad(f)` is called many times (once per forward
//! pass of a Hessian, once per iteration of an optimizer). Recording each call
//! on the same cleared tape keeps its node arrays and matrix buffers, so after
//! the first call a recording allocates nothing but its outputs.

use std::cell::RefCell;

use wengert_ops::Scalar;

use super::capacity;
use crate::gradients::Gradients;
use crate::tape::Tape;

/// A tape and a gradient buffer kept by a function-returning transform and
/// reused (cleared) on every call.
pub(crate) struct ReusableTape<S: Scalar> {
    tape: RefCell<Option<Tape<S>>>,
    grads: RefCell<Gradients<S>>,
}

impl<S: Scalar> ReusableTape<S> {
    /// No tape yet: the first call creates one sized for its inputs.
    pub(crate) fn new() -> Self {
        ReusableTape { tape: RefCell::new(None), grads: RefCell::new(Gradients::empty()) }
    }

    /// Runs `job` on the cleared tape and the gradient buffer. `n` (the number of
    /// inputs) sizes the tape when it is first created.
    ///
    /// A re-entrant call (the closure being recorded calls this same transformed
    /// function) finds the tape busy and records on a fresh one instead, so it is
    /// correct, only slower.
    pub(crate) fn with<R>(&self, n: usize, job: impl FnOnce(&Tape<S>, &mut Gradients<S>) -> R) -> R {
        match (self.tape.try_borrow_mut(), self.grads.try_borrow_mut()) {
            (Ok(mut slot), Ok(mut grads)) => {
                let tape = slot.get_or_insert_with(|| Tape::with_capacity(capacity(n)));
                tape.clear();
                job(tape, &mut grads)
            }
            _ => job(&Tape::with_capacity(capacity(n)), &mut Gradients::empty()),
        }
    }
}

/// The function-returning form of recording itself.
pub mod fns {
    use wengert_ops::Scalar;

    use super::ReusableTape;
    use crate::var::Var;

    /// The function `x ↦ f(x)` of plain values, computed by recording the tape
    /// closure `f` (on one reused tape) and reading its outputs' values. Nothing is
    /// differentiated.
    ///
    /// Its use is forward mode through code that needs a tape, i.e. matrix ops:
    /// with `S = Dual<T>`, `fns::on_tape(f)` is a dual function, so [`jvp`] and
    /// [`jacfwd`] push tangents through `f`'s `MatVar`s (every matrix rule is
    /// written for any `Scalar`, duals included).
    ///
    /// [`jvp`]: crate::jvp
    /// [`jacfwd`]: crate::jacfwd
    ///
    /// ```
    /// use wengert_tape::{fns, jacfwd, jacrev, MatVar, Matrix, Scalar};
    /// // y = tanh(W x): a matrix-op closure, differentiated in both modes.
    /// let w = Matrix::from_rows(&[[0.5, -1.0], [2.0, 0.25]]);
    /// let (x, n) = ([0.3, -0.2], 2);
    /// let fwd = jacfwd(
    ///     fns::on_tape(|x| {
    ///         let tape = x[0].tape().expect("inputs are recorded");
    ///         let y = tape.constant_matrix(&w.cast()).matmul(MatVar::from_vars(tape, x, n, 1)).tanh();
    ///         vec![y.at(0, 0), y.at(1, 0)]
    ///     }),
    ///     &x,
    /// );
    /// let rev = jacrev(
    ///     |x| {
    ///         let tape = x[0].tape().expect("inputs are recorded");
    ///         let y = tape.constant_matrix(&w).matmul(MatVar::from_vars(tape, x, n, 1)).tanh();
    ///         vec![y.at(0, 0), y.at(1, 0)]
    ///     },
    ///     &x,
    /// );
    /// assert!(fwd.max_abs_diff(&rev) < 1e-15);
    /// ```
    pub fn on_tape<S, F>(f: F) -> impl Fn(&[S]) -> Vec<S>
    where
        S: Scalar,
        F: for<'t> Fn(&[Var<'t, S>]) -> Vec<Var<'t, S>>,
    {
        let recording = ReusableTape::new();
        move |x| {
            recording.with(x.len(), |tape, _| {
                let vars = tape.vars(x);
                f(&vars).iter().map(|y| y.primal()).collect()
            })
        }
    }
}
