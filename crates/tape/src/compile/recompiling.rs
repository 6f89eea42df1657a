//! [`Recompiling`]: a compiled function that records its closure again when a
//! guard flips, and counts how often it had to.
//!
//! Why a wrapper rather than silent re-recording inside [`Compiled`]: a compiled
//! function does not own its closure (it can outlive it, be cloned, be sent to
//! a solver), and a replay that quietly re-runs user code would hide the cost.
//! Here the closure is kept on purpose and the count is visible.

use std::cell::{Cell, Ref, RefCell};

use wengert_ops::Matrix;

use super::csr::CsrMatrix;
use super::error::ReplayError;
use super::function::{compile, Compiled};
use crate::var::Var;

/// A closure compiled at one input and recompiled wherever one of its guards
/// flips.
///
/// ```
/// use wengert_tape::compile::Recompiling;
/// use wengert_tape::Scalar;
/// // |x| written with a branch: the recording at x = 1 takes the `x` branch.
/// let f = Recompiling::new(|x| if x[0] > 0.0 { x[0] * 1.0 } else { -x[0] }, &[1.0]).unwrap();
/// assert_eq!(f.gradient(&[2.0]).unwrap(), vec![1.0]);
/// assert_eq!(f.recompilations(), 0);
/// assert_eq!(f.gradient(&[-2.0]).unwrap(), vec![-1.0]); // guard flipped: recorded again
/// assert_eq!(f.recompilations(), 1);
/// ```
pub struct Recompiling<F> {
    f: F,
    compiled: RefCell<Compiled>,
    recompilations: Cell<usize>,
}

impl<F> std::fmt::Debug for Recompiling<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recompiling").field("recompilations", &self.recompilations.get()).finish()
    }
}

impl<F> Recompiling<F>
where
    F: for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>,
{
    /// Compiles `f` at `x`.
    pub fn new(f: F, x: &[f64]) -> Result<Self, ReplayError> {
        let compiled = compile(&f, x).map_err(ReplayError::Recompile)?;
        Ok(Recompiling { f, compiled: RefCell::new(compiled), recompilations: Cell::new(0) })
    }

    /// How many times a flipped guard made it record the closure again.
    pub fn recompilations(&self) -> usize {
        self.recompilations.get()
    }

    /// The current recording.
    pub fn compiled(&self) -> Ref<'_, Compiled> {
        self.compiled.borrow()
    }

    /// Runs `job` on the current recording; if a guard flips, records `f` at `x`
    /// and runs it once more (a second flip at the fresh recording's own point
    /// cannot happen, and any other error is returned as it is).
    pub fn run<R>(&self, x: &[f64], job: impl Fn(&Compiled) -> Result<R, ReplayError>) -> Result<R, ReplayError> {
        let first = job(&self.compiled.borrow());
        match first {
            Err(ReplayError::GuardFlipped(_)) => {
                let fresh = compile(&self.f, x).map_err(ReplayError::Recompile)?;
                *self.compiled.borrow_mut() = fresh;
                self.recompilations.set(self.recompilations.get() + 1);
                job(&self.compiled.borrow())
            }
            other => other,
        }
    }

    /// The value at `x`.
    pub fn value(&self, x: &[f64]) -> Result<f64, ReplayError> {
        self.run(x, |c| c.value(x))
    }

    /// The value and gradient at `x`.
    pub fn value_and_gradient(&self, x: &[f64]) -> Result<(f64, Vec<f64>), ReplayError> {
        self.run(x, |c| c.value_and_gradient(x))
    }

    /// The gradient at `x`.
    pub fn gradient(&self, x: &[f64]) -> Result<Vec<f64>, ReplayError> {
        self.run(x, |c| c.gradient(x))
    }

    /// The value, gradient and Hessian-vector product at `x`.
    pub fn hvp(&self, x: &[f64], v: &[f64]) -> Result<(f64, Vec<f64>, Vec<f64>), ReplayError> {
        self.run(x, |c| c.hvp(x, v))
    }

    /// The dense Hessian at `x`.
    pub fn hessian(&self, x: &[f64]) -> Result<Matrix<f64>, ReplayError> {
        self.run(x, |c| c.hessian(x))
    }

    /// The sparse Hessian at `x` (a recompilation detects the pattern again).
    pub fn sparse_hessian(&self, x: &[f64]) -> Result<CsrMatrix, ReplayError> {
        self.run(x, |c| c.sparse_hessian(x))
    }
}
