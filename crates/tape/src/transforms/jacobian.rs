//! [`jacobian`]: the Jacobian by whichever mode is cheaper, from one closure.
//!
//! Forward mode needs dual numbers and reverse mode needs a tape; a tape closure
//! over `Var<Dual<T>>` offers both. The real parts of dual arithmetic never look
//! at the tangents, so sweeping a recording made over duals and reading the real
//! parts of the adjoints gives exactly the reverse-mode gradients, while the
//! same recording's output tangents are a forward-mode column. One recording
//! therefore yields column 0 *and* the number of outputs, and decides the mode.

use wengert_dual::Dual;
use wengert_ops::{Matrix, Scalar};

use super::capacity;
use crate::gradients::Gradients;
use crate::tape::Tape;
use crate::var::Var;

/// Records each input as a tape variable `Dual::new(x[i], 1 if i == j else 0)`.
fn seed_basis<'t, T: Scalar>(tape: &'t Tape<Dual<T>>, x: &[T], j: usize) -> Vec<Var<'t, Dual<T>>> {
    x.iter().enumerate().map(|(i, &xi)| tape.var(Dual::new(xi, if i == j { T::one() } else { T::zero() }))).collect()
}

/// Writes the tangents of `ys` into column `j` of `jac`, creating `jac` on the
/// first pass and checking that every pass has the same number of outputs.
fn store_column<T: Scalar>(jac: &mut Option<Matrix<T>>, ys: &[Var<'_, Dual<T>>], j: usize, n: usize) {
    let m = ys.len();
    let jac = jac.get_or_insert_with(|| Matrix::zeros(m, n));
    assert_eq!(jac.rows(), m, "jacobian: f returned {m} outputs on pass {j} but {} on pass 0", jac.rows());
    for (i, y) in ys.iter().enumerate() {
        jac[(i, j)] = y.primal().eps;
    }
}

/// The Jacobian (`m × n`, rows are outputs) of a vector tape closure over dual
/// numbers, by whichever mode is cheaper: forward (`n` passes, as
/// [`jacfwd`](crate::jacfwd)) when `n ≤ m`, reverse (`m` sweeps, as
/// [`jacrev`](crate::jacrev)) otherwise.
///
/// The closure is recorded over `Dual<T>` once, with tangent `e₀`. That first
/// recording yields column 0 by forward mode **and** `m`; then
///
/// * if `n ≤ m`, `n − 1` more forward passes (on the same tape, cleared) fill the
///   other columns;
/// * otherwise the same recording is swept once per output and row `i` is read
///   from the real parts of the adjoints.
///
/// The reverse path pays dual-number arithmetic in its sweeps (about twice the
/// work of a `Tape<T>` sweep); when you know `m` is small, [`jacrev`](crate::jacrev)
/// over `Var<T>` avoids that.
///
/// Panics if `f` returns a different number of outputs on different passes.
///
/// ```
/// use wengert_tape::{jacobian, Scalar};
/// // 3 inputs, 1 output: one sweep.  f = x y z
/// let j = jacobian(|v| vec![v[0] * v[1] * v[2]], &[1.0, 2.0, 3.0]);
/// assert_eq!(j.as_slice(), &[6.0, 3.0, 2.0]);
/// // 1 input, 3 outputs: one forward pass.  f = (t, t², sin t)
/// let j = jacobian(|t| vec![t[0], t[0].square(), t[0].sin()], &[0.0]);
/// assert_eq!(j.as_slice(), &[1.0, 0.0, 1.0]);
/// ```
pub fn jacobian<T, F>(f: F, x: &[T]) -> Matrix<T>
where
    T: Scalar,
    F: for<'t> Fn(&[Var<'t, Dual<T>>]) -> Vec<Var<'t, Dual<T>>>,
{
    let n = x.len();
    let mut tape = Tape::with_capacity(capacity(n));
    if n == 0 {
        return Matrix::zeros(f(&[]).len(), 0);
    }
    let mut jac = None;
    let reverse = {
        let vars = seed_basis(&tape, x, 0);
        let ys = f(&vars);
        store_column(&mut jac, &ys, 0, n);
        let m = ys.len();
        if n > m {
            let jac = jac.as_mut().expect("column 0 was stored");
            let mut grads = Gradients::empty();
            for (i, &y) in ys.iter().enumerate() {
                if !y.is_tracked() {
                    continue;
                }
                tape.backward_into(y, Dual::constant(T::one()), &mut grads);
                for (j, &v) in vars.iter().enumerate() {
                    jac[(i, j)] = grads[v].re;
                }
            }
        }
        n > m
    };
    if !reverse {
        for j in 1..n {
            tape.clear();
            let vars = seed_basis(&tape, x, j);
            let ys = f(&vars);
            store_column(&mut jac, &ys, j, n);
        }
    }
    jac.expect("the first pass stored column 0")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transforms::{jacfwd, vector_fn};
    use crate::{fns, jacrev};

    #[test]
    #[should_panic(expected = "jacobian: f returned 1 outputs on pass 1 but 2 on pass 0")]
    fn jacobian_rejects_a_varying_output_count() {
        let _ = jacobian(|x| if x[1].primal().eps == 1.0 { vec![x[0]] } else { x.to_vec() }, &[1.0, 2.0]);
    }

    #[test]
    fn empty_inputs_and_constant_outputs() {
        assert_eq!(jacobian(|_| vec![Var::constant(Dual::constant(1.0))], &[] as &[f64]).shape(), (1, 0));
        // A constant output row stays zero on the reverse path.
        let j = jacobian(|x| vec![x[0] * x[1], Var::constant(Dual::constant(4.0))], &[2.0, 3.0, 4.0]);
        assert_eq!(j.as_slice(), &[3.0, 2.0, 0.0, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn jacobian_takes_each_path_and_they_agree() {
        // n = 3 > m = 2: reverse sweeps over the dual recording.
        let f = vector_fn(|x: &[Var<'_, Dual<f64>>]| vec![x[0] * x[1].exp(), x[2].sin() * x[0]]);
        let x = [0.5, -0.25, 1.5];
        let rev = jacobian(f, &x);
        let fwd = jacfwd(fns::on_tape(f), &x);
        assert!(rev.max_abs_diff(&fwd) <= 1e-15, "{rev:?} vs {fwd:?}");
        let plain = jacrev(|x| vec![x[0] * x[1].exp(), x[2].sin() * x[0]], &x);
        assert!(rev.max_abs_diff(&plain) <= 1e-15, "{rev:?} vs {plain:?}");
        // n = 1 < m = 2: forward only.
        let j = jacobian(|t| vec![t[0].exp(), t[0].tanh()], &[0.0]);
        assert_eq!(j.as_slice(), &[1.0, 1.0]);
    }
}
