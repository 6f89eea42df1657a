//! [`Objective`] for [`Compiled`]: a compiled function goes wherever an
//! objective does (curvature analysis, the solvers' closures), with every
//! derivative a replay.
//!
//! The trait's methods return plain values, so a replay error (a guard that
//! flips, an input of the wrong length) is a panic with the error's message
//! here; use the inherent `Result` methods, or [`Recompiling`](super::Recompiling),
//! where the input can leave the region the recording is valid in.

use wengert_ops::{Matrix, Real};

use super::function::Compiled;
use super::replay::{cast_ops, check_guards, forward, Work};
use crate::transforms::Objective;

impl Objective for Compiled {
    /// The replay on any element type (plain floats, dual numbers, or tape
    /// variables — the replay is then recorded, like any generic code).
    ///
    /// # Panics
    ///
    /// If a guard flips at `x`, or `x` or the output count is wrong.
    fn eval<T: Real>(&self, x: &[T]) -> T {
        let p = &self.program;
        assert_eq!(p.outputs.len(), 1, "Objective::eval: the compiled function has {} outputs", p.outputs.len());
        assert_eq!(x.len(), p.n_inputs, "Objective::eval: {} inputs for a function of {}", x.len(), p.n_inputs);
        let ops = cast_ops::<T>(&p.ops);
        let mut work = Work::default();
        forward(p, &ops, x, &mut work);
        if let Err(flip) = check_guards(p, &work.vals) {
            panic!("Objective::eval on a compiled function: {flip}");
        }
        work.vals[p.outputs[0] as usize]
    }

    fn value(&self, x: &[f64]) -> f64 {
        Compiled::value(self, x).unwrap_or_else(|e| panic!("{e}"))
    }

    fn value_and_grad(&self, x: &[f64]) -> (f64, Vec<f64>) {
        self.value_and_gradient(x).unwrap_or_else(|e| panic!("{e}"))
    }

    fn grad(&self, x: &[f64]) -> Vec<f64> {
        self.gradient(x).unwrap_or_else(|e| panic!("{e}"))
    }

    fn hvp(&self, x: &[f64], v: &[f64]) -> Vec<f64> {
        Compiled::hvp(self, x, v).unwrap_or_else(|e| panic!("{e}")).2
    }

    fn hessian(&self, x: &[f64]) -> Matrix<f64> {
        Compiled::hessian(self, x).unwrap_or_else(|e| panic!("{e}"))
    }

    fn value_grad_hessian(&self, x: &[f64]) -> (f64, Vec<f64>, Matrix<f64>) {
        let (v, g) = self.value_and_gradient(x).unwrap_or_else(|e| panic!("{e}"));
        (v, g, Compiled::hessian(self, x).unwrap_or_else(|e| panic!("{e}")))
    }
}
