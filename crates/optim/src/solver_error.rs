//! The error the curvature-scale solvers return on bad input.
//!
//! Why an error and not a panic: these solvers are driven by data (a model's
//! parameters, a data set, a starting point read from a checkpoint), and a NaN in
//! the start or a closure that returns a gradient of the wrong length is a
//! condition the caller wants to report, not a bug in the solver. Every message
//! names the solver and says what was wrong, e.g.
//! `bfgs: the starting point has a non-finite entry x[2] = NaN`.
//!
//! The checks here run once, before the first iteration (and on the shapes the
//! closures return at the start); inside the iteration a non-finite value is
//! handled by the method itself (a line search or a trust region shrinks the
//! step).

use std::fmt;

/// Bad input to a solver: which solver, and what was wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SolverError {
    /// The solver's name as a user calls it (`"bfgs"`, `"lanczos"`, …).
    pub solver: &'static str,
    /// What was wrong, in words.
    pub problem: String,
}

impl SolverError {
    /// An error of `solver` with the message `problem`.
    pub fn new(solver: &'static str, problem: impl Into<String>) -> Self {
        SolverError { solver, problem: problem.into() }
    }
}

impl fmt::Display for SolverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.solver, self.problem)
    }
}

impl std::error::Error for SolverError {}

/// `Err` unless `x` is non-empty and every entry is finite.
pub(crate) fn check_start(solver: &'static str, x: &[f64]) -> Result<(), SolverError> {
    if x.is_empty() {
        return Err(SolverError::new(solver, "the starting point is empty (dimension 0)"));
    }
    check_all_finite(solver, "the starting point", "x", x)
}

/// `Err` naming the first non-finite entry of `values` (called `name[i]`).
pub(crate) fn check_all_finite(
    solver: &'static str,
    what: &str,
    name: &str,
    values: &[f64],
) -> Result<(), SolverError> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => Err(SolverError::new(solver, format!("{what} has a non-finite entry {name}[{i}] = {}", values[i]))),
    }
}

/// `Err` unless `got == expected`, saying `what` has the wrong length.
pub(crate) fn check_len(solver: &'static str, what: &str, got: usize, expected: usize) -> Result<(), SolverError> {
    if got == expected {
        Ok(())
    } else {
        Err(SolverError::new(solver, format!("{what} has {got} entries, expected {expected}")))
    }
}

/// `Err` unless `value` is finite.
pub(crate) fn check_finite(solver: &'static str, what: &str, value: f64) -> Result<(), SolverError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(SolverError::new(solver, format!("{what} is {value}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_solver_and_the_entry() {
        let e = check_start("bfgs", &[1.0, f64::NAN]).unwrap_err();
        assert_eq!(e.to_string(), "bfgs: the starting point has a non-finite entry x[1] = NaN");
        let e = check_start("lanczos", &[]).unwrap_err();
        assert_eq!(e.to_string(), "lanczos: the starting point is empty (dimension 0)");
        let e = check_len("gauss_newton", "the residual", 3, 4).unwrap_err();
        assert_eq!(e.to_string(), "gauss_newton: the residual has 3 entries, expected 4");
        assert!(check_finite("bfgs", "f(x0)", 1.0).is_ok());
        assert_eq!(check_finite("bfgs", "f(x0)", f64::INFINITY).unwrap_err().problem, "f(x0) is inf");
    }
}
