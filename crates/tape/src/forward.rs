//! Forward mode on the tape, and every derivative product built from it:
//! [`jvp`], [`directional_derivative`], [`jacfwd`], [`jacobian`], [`hvp`],
//! [`grad_and_hvp`] and [`hessian`].
//!
//! # One closure type for both modes
//!
//! Every transform here takes a closure over **tape variables whose element type
//! is a dual number**, `Var<'t, Dual<T>>`:
//!
//! * **Forward mode** ([`jvp`], [`jacfwd`]) seeds the inputs as `Dual::new(xᵢ, vᵢ)`
//!   and records the closure. Each recorded value carries its tangent along, so
//!   the outputs' `eps` parts are `J·v` as soon as the closure returns: no sweep.
//!   The recording is still made (and is cheap: at most one node per op) because a
//!   closure that uses matrix ops needs a tape to build
//!   [`MatVar`](crate::MatVar)s on.
//! * **Reverse mode over the same recording.** The real parts of dual arithmetic
//!   never look at the tangents, so sweeping that recording and reading the `re`
//!   parts of the adjoints gives exactly what a plain `Tape<T>` would. That is how
//!   [`jacobian`] serves both modes from one closure: it records once, and either
//!   keeps going forward (few inputs) or sweeps once per output (few outputs).
//! * **Forward-over-reverse** ([`hvp`], [`hessian`]). Sweeping with the seed
//!   `Dual::new(1, 0)` differentiates the whole reverse sweep along `v`: the
//!   adjoints' `re` parts are `∇f(x)`, their `eps` parts `H(x)·v`. One recording
//!   and one sweep, on numbers twice as wide: an HVP costs a small constant times
//!   a gradient, whatever `n` is, and never forms `H`.
//!
//! A model written once as `fn f<T: Real>(x: &[T]) -> T` is usable everywhere
//! (`|x| f(x)`), since `Var<'t, Dual<f64>>` is [`Real`](wengert_ops::Real). To
//! bind a closure to a name first, wrap it in [`dual_scalar_fn`] or
//! [`dual_vector_fn`] (the `Dual<f64>` counterparts of
//! [`scalar_fn`](crate::scalar_fn) and [`vector_fn`](crate::vector_fn)).
//!
//! # Cost model (`n` inputs, `m` outputs, `C` = cost of one evaluation)
//!
//! | transform                 | passes                          | cost            |
//! |---------------------------|---------------------------------|-----------------|
//! | [`jvp`]                   | 1 forward                       | ≈ 2–3 C         |
//! | [`jacfwd`]                | n forward                       | ≈ n · 3 C       |
//! | [`jacrev`](crate::jacrev) | 1 recording, m sweeps           | ≈ C + m · 2 C   |
//! | [`jacobian`]              | whichever of the two is smaller | min of the two  |
//! | [`hvp`]                   | 1 recording + 1 sweep over duals| ≈ 2–4 × a gradient |
//! | [`hessian`]               | n HVPs                          | ≈ n × an HVP    |
//!
//! See `docs/modes.md` for measured figures and the forward/reverse crossover.

use wengert_dual::Dual;
use wengert_ops::{Matrix, Scalar};

use crate::gradients::Gradients;
use crate::tape::Tape;
use crate::var::Var;

/// Returns `f` unchanged, typed as a scalar function of `Dual<f64>` tape
/// variables, so a closure bound with `let` works with [`hvp`], [`hessian`],
/// [`directional_derivative`], … (for another element type `T`, use
/// [`scalar_fn::<Dual<T>, _>`](crate::scalar_fn)).
///
/// ```
/// use wengert_tape::{dual_scalar_fn, hessian, hvp, Scalar};
/// let f = dual_scalar_fn(|x| x[0].sin() * x[1]);
/// let h = hessian(&f, &[0.0, 2.0]);
/// assert_eq!(h.as_slice(), &[0.0, 1.0, 1.0, 0.0]);
/// assert_eq!(hvp(&f, &[0.0, 2.0], &[1.0, 0.0]), vec![0.0, 1.0]);
/// ```
pub fn dual_scalar_fn<F>(f: F) -> F
where
    F: for<'t> Fn(&[Var<'t, Dual<f64>>]) -> Var<'t, Dual<f64>>,
{
    f
}

/// Returns `f` unchanged, typed as a vector function of `Dual<f64>` tape
/// variables, so a closure bound with `let` works with [`jvp`], [`jacfwd`] and
/// [`jacobian`] (for another element type `T`, use
/// [`vector_fn::<Dual<T>, _>`](crate::vector_fn)).
///
/// ```
/// use wengert_tape::{dual_vector_fn, jacfwd, jacobian};
/// let f = dual_vector_fn(|x| vec![x[0] * x[1], x[0] + x[1]]);
/// assert_eq!(jacfwd(&f, &[2.0, 3.0]), jacobian(&f, &[2.0, 3.0]));
/// ```
pub fn dual_vector_fn<F>(f: F) -> F
where
    F: for<'t> Fn(&[Var<'t, Dual<f64>>]) -> Vec<Var<'t, Dual<f64>>>,
{
    f
}

/// Initial scalar-node capacity for a recording of a function of `n` inputs.
fn capacity(n: usize) -> usize {
    64 * n.max(1)
}

/// Records each input as a tape variable `Dual::new(x[i], tangent(i))`.
fn seed<'t, T: Scalar>(tape: &'t Tape<Dual<T>>, x: &[T], tangent: impl Fn(usize) -> T) -> Vec<Var<'t, Dual<T>>> {
    x.iter().enumerate().map(|(i, &xi)| tape.var(Dual::new(xi, tangent(i)))).collect()
}

/// The tangent `eᵢ` (1 at `j`, 0 elsewhere) as a function of the index.
fn basis<T: Scalar>(j: usize) -> impl Fn(usize) -> T {
    move |i| if i == j { T::one() } else { T::zero() }
}

/// The Jacobian-vector product by forward mode: returns `(f(x), J(x)·v)` from
/// **one** recording of `f` with inputs `Dual::new(xᵢ, vᵢ)`, reading the outputs'
/// tangents. No reverse sweep is run.
///
/// Panics if `x` and `v` differ in length.
///
/// ```
/// use wengert_tape::{jvp, Scalar};
/// // polar → Cartesian; J = [[cos θ, −r sin θ], [sin θ, r cos θ]]
/// let (y, jv) = jvp(|p| vec![p[0] * p[1].cos(), p[0] * p[1].sin()], &[2.0, 0.0], &[1.0, 0.5]);
/// assert_eq!(y, vec![2.0, 0.0]);
/// assert_eq!(jv, vec![1.0, 2.0 * 0.5]);
/// ```
pub fn jvp<T, F>(f: F, x: &[T], v: &[T]) -> (Vec<T>, Vec<T>)
where
    T: Scalar,
    F: for<'t> Fn(&[Var<'t, Dual<T>>]) -> Vec<Var<'t, Dual<T>>>,
{
    assert_eq!(x.len(), v.len(), "jvp: x has {} elements but the direction v has {}", x.len(), v.len());
    let tape = Tape::with_capacity(capacity(x.len()));
    let vars = seed(&tape, x, |i| v[i]);
    f(&vars)
        .into_iter()
        .map(|y| {
            let d = y.primal();
            (d.re, d.eps)
        })
        .unzip()
}

/// The directional derivative `∇f(x)·v` of a scalar function, by one forward
/// pass (see [`jvp`]).
///
/// Panics if `x` and `v` differ in length.
///
/// ```
/// use wengert_tape::{directional_derivative, Scalar};
/// // f = x·eʸ, ∇f = (eʸ, x eʸ); at (3, 0) along (1, 1): 1 + 3
/// let d = directional_derivative(|x| x[0] * x[1].exp(), &[3.0, 0.0], &[1.0, 1.0]);
/// assert_eq!(d, 4.0);
/// ```
pub fn directional_derivative<T, F>(f: F, x: &[T], v: &[T]) -> T
where
    T: Scalar,
    F: for<'t> Fn(&[Var<'t, Dual<T>>]) -> Var<'t, Dual<T>>,
{
    assert_eq!(
        x.len(),
        v.len(),
        "directional_derivative: x has {} elements but the direction v has {}",
        x.len(),
        v.len()
    );
    let tape = Tape::with_capacity(capacity(x.len()));
    let vars = seed(&tape, x, |i| v[i]);
    f(&vars).primal().eps
}

/// Writes the tangents of `ys` into column `j` of `jac`, creating `jac` on the
/// first pass and checking that every pass has the same number of outputs.
fn store_column<T: Scalar>(jac: &mut Option<Matrix<T>>, ys: &[Var<'_, Dual<T>>], j: usize, n: usize, who: &str) {
    let m = ys.len();
    let jac = jac.get_or_insert_with(|| Matrix::zeros(m, n));
    assert_eq!(jac.rows(), m, "{who}: f returned {m} outputs on pass {j} but {} on pass 0", jac.rows());
    for (i, y) in ys.iter().enumerate() {
        jac[(i, j)] = y.primal().eps;
    }
}

/// Forward passes for columns `from..n` of the Jacobian on `tape` (cleared
/// before each pass).
fn forward_columns<T, F>(f: &F, x: &[T], tape: &mut Tape<Dual<T>>, jac: &mut Option<Matrix<T>>, from: usize)
where
    T: Scalar,
    F: for<'t> Fn(&[Var<'t, Dual<T>>]) -> Vec<Var<'t, Dual<T>>>,
{
    let n = x.len();
    for j in from..n {
        tape.clear();
        let vars = seed(tape, x, basis(j));
        let ys = f(&vars);
        store_column(jac, &ys, j, n, "jacfwd");
    }
}

/// The Jacobian (`m × n`, row `i` = gradient of output `i`) by forward mode:
/// `n` passes, pass `j` seeding the tangent `eⱼ` and filling column `j`. One tape
/// is reused across passes ([`Tape::clear`]). Cheaper than
/// [`jacrev`](crate::jacrev) when there are fewer inputs than outputs; see
/// [`jacobian`] for the automatic choice. With no inputs, `f` is called once to
/// learn `m`.
///
/// Panics if `f` returns a different number of outputs on different passes.
///
/// ```
/// use wengert_tape::{jacfwd, Scalar};
/// // polar → Cartesian at r = 2, θ = 0
/// let j = jacfwd(|p| vec![p[0] * p[1].cos(), p[0] * p[1].sin()], &[2.0, 0.0]);
/// assert_eq!(j.as_slice(), &[1.0, 0.0, 0.0, 2.0]);
/// ```
pub fn jacfwd<T, F>(f: F, x: &[T]) -> Matrix<T>
where
    T: Scalar,
    F: for<'t> Fn(&[Var<'t, Dual<T>>]) -> Vec<Var<'t, Dual<T>>>,
{
    let mut tape = Tape::with_capacity(capacity(x.len()));
    if x.is_empty() {
        return Matrix::zeros(f(&[]).len(), 0);
    }
    let mut jac = None;
    forward_columns(&f, x, &mut tape, &mut jac, 0);
    jac.expect("at least one forward pass ran")
}

/// The Jacobian (`m × n`, rows are outputs) by whichever mode is cheaper:
/// forward ([`jacfwd`], `n` passes) when `n ≤ m`, reverse (`m` sweeps) otherwise.
///
/// The closure is recorded over `Dual<T>` once, with tangent `e₀`. That first
/// recording yields column 0 by forward mode **and** `m`; then
///
/// * if `n ≤ m`, `n − 1` more forward passes fill the other columns;
/// * otherwise the same recording is swept once per output and row `i` is read
///   from the `re` parts of the adjoints (real parts of dual arithmetic never
///   depend on tangents, so these are exactly the reverse-mode gradients).
///
/// So one closure type serves both modes, and no recording is wasted. The
/// reverse path pays dual-number arithmetic in its sweeps (about twice the work
/// of a `Tape<T>` sweep); when you know `m` is small, [`jacrev`](crate::jacrev)
/// on a `Tape<T>` closure avoids that.
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
    if n == 0 {
        return jacfwd(f, x);
    }
    let mut tape = Tape::with_capacity(capacity(n));
    let mut jac = None;
    let reverse = {
        let vars = seed(&tape, x, basis(0));
        let ys = f(&vars);
        store_column(&mut jac, &ys, 0, n, "jacobian");
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
        forward_columns(&f, x, &mut tape, &mut jac, 1);
    }
    jac.expect("the first pass stored column 0")
}

/// The gradient and the Hessian-vector product `H(x)·v` of a scalar function,
/// by forward-over-reverse: one recording over `Dual<T>` with inputs
/// `Dual::new(xᵢ, vᵢ)`, one reverse sweep seeded with `Dual::new(1, 0)`. The
/// adjoints' `re` parts are `∇f(x)` and their `eps` parts `H(x)·v`.
///
/// Costs a small constant times one gradient (dual arithmetic is about 2–4×
/// real arithmetic) and never forms `H`, so it scales to any `n`: it is the
/// building block of Newton–CG and other Hessian-free methods.
///
/// Panics if `x` and `v` differ in length.
///
/// ```
/// use wengert_tape::grad_and_hvp;
/// // f = x² y;  ∇f = (2xy, x²);  H = [[2y, 2x], [2x, 0]]
/// let (g, hv) = grad_and_hvp(|v| v[0] * v[0] * v[1], &[1.0, 3.0], &[1.0, -1.0]);
/// assert_eq!(g, vec![6.0, 1.0]);
/// assert_eq!(hv, vec![6.0 - 2.0, 2.0]);
/// ```
pub fn grad_and_hvp<T, F>(f: F, x: &[T], v: &[T]) -> (Vec<T>, Vec<T>)
where
    T: Scalar,
    F: for<'t> Fn(&[Var<'t, Dual<T>>]) -> Var<'t, Dual<T>>,
{
    assert_eq!(x.len(), v.len(), "hvp: x has {} elements but the direction v has {}", x.len(), v.len());
    let tape = Tape::with_capacity(capacity(x.len()));
    let vars = seed(&tape, x, |i| v[i]);
    let y = f(&vars);
    if !y.is_tracked() {
        // The output does not depend on the inputs: gradient and HVP are zero.
        return (vec![T::zero(); x.len()], vec![T::zero(); x.len()]);
    }
    let g = tape.backward_with(y, Dual::constant(T::one()));
    vars.iter().map(|&xi| (g[xi].re, g[xi].eps)).unzip()
}

/// The Hessian-vector product `H(x)·v` of a scalar function by
/// forward-over-reverse (one recording, one sweep); see [`grad_and_hvp`].
///
/// ```
/// use wengert_tape::{hvp, Scalar};
/// // f = ½‖x‖² + x₀x₁  →  H = [[1, 1], [1, 1]]
/// let hv = hvp(|x| (x[0].square() + x[1].square()) * 0.5 + x[0] * x[1], &[5.0, -7.0], &[2.0, 3.0]);
/// assert_eq!(hv, vec![5.0, 5.0]);
/// ```
pub fn hvp<T, F>(f: F, x: &[T], v: &[T]) -> Vec<T>
where
    T: Scalar,
    F: for<'t> Fn(&[Var<'t, Dual<T>>]) -> Var<'t, Dual<T>>,
{
    grad_and_hvp(f, x, v).1
}

/// The Hessian (`n × n`) of a scalar function, as `n` Hessian-vector products
/// against the basis vectors: column `j` is `H·eⱼ`, from one recording and one
/// sweep over `Dual<T>`. One tape and one [`Gradients`] are reused across the
/// `n` products ([`Tape::clear`], [`Tape::backward_into`]), so after the first
/// product nothing is allocated.
///
/// The result is returned **as computed, not symmetrized**: `H[(i, j)]` and
/// `H[(j, i)]` come from different products and agree to rounding (the tests
/// check it), which makes asymmetry a useful symptom of a wrong rule.
///
/// ```
/// use wengert_tape::{hessian, Scalar};
/// // f = x³ − 3xy + y³;  H = [[6x, −3], [−3, 6y]]
/// let h = hessian(|v| v[0].powi(3) - v[0] * v[1] * 3.0 + v[1].powi(3), &[1.0, 2.0]);
/// assert_eq!(h.as_slice(), &[6.0, -3.0, -3.0, 12.0]);
/// ```
pub fn hessian<T, F>(f: F, x: &[T]) -> Matrix<T>
where
    T: Scalar,
    F: for<'t> Fn(&[Var<'t, Dual<T>>]) -> Var<'t, Dual<T>>,
{
    let n = x.len();
    let mut h = Matrix::zeros(n, n);
    let mut tape = Tape::with_capacity(capacity(n));
    let mut grads = Gradients::empty();
    for j in 0..n {
        tape.clear();
        let vars = seed(&tape, x, basis(j));
        let y = f(&vars);
        if !y.is_tracked() {
            // Constant in x: the Hessian is zero.
            break;
        }
        tape.backward_into(y, Dual::constant(T::one()), &mut grads);
        for (i, &xi) in vars.iter().enumerate() {
            h[(i, j)] = grads[xi].eps;
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "jvp: x has 2 elements but the direction v has 1")]
    fn jvp_rejects_a_mismatched_direction() {
        let _ = jvp(|x| x.to_vec(), &[1.0, 2.0], &[1.0]);
    }

    #[test]
    #[should_panic(expected = "hvp: x has 1 elements but the direction v has 2")]
    fn hvp_rejects_a_mismatched_direction() {
        let _ = hvp(|x| x[0], &[1.0], &[1.0, 2.0]);
    }

    #[test]
    #[should_panic(expected = "f returned 1 outputs on pass 1 but 2 on pass 0")]
    fn jacfwd_rejects_a_varying_output_count() {
        let _ = jacfwd(|x| if x[1].primal().eps == 1.0 { vec![x[0]] } else { x.to_vec() }, &[1.0, 2.0]);
    }

    #[test]
    fn empty_inputs_and_constant_outputs() {
        let j = jacfwd(|_| vec![Var::constant(Dual::constant(1.0)); 3], &[]);
        assert_eq!(j.shape(), (3, 0));
        assert_eq!(jacobian(|_| vec![Var::constant(Dual::constant(1.0))], &[]).shape(), (1, 0));
        assert_eq!(hessian(|_| Var::constant(Dual::constant(2.0)), &[1.0, 2.0]).as_slice(), &[0.0; 4]);
        assert_eq!(grad_and_hvp(|_| Var::constant(Dual::constant(2.0)), &[1.0], &[1.0]), (vec![0.0], vec![0.0]));
        // A constant output row stays zero on the reverse path of `jacobian`.
        let j = jacobian(|x| vec![x[0] * x[1], Var::constant(Dual::constant(4.0))], &[2.0, 3.0, 4.0]);
        assert_eq!(j.as_slice(), &[3.0, 2.0, 0.0, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn jacobian_takes_each_path_and_they_agree() {
        // n = 3 > m = 2: reverse sweeps over the dual recording.
        let f = dual_vector_fn(|x| vec![x[0] * x[1].exp(), x[2].sin() * x[0]]);
        let x = [0.5, -0.25, 1.5];
        let rev = jacobian(f, &x);
        let fwd = jacfwd(f, &x);
        assert!(rev.max_abs_diff(&fwd) <= 1e-15, "{rev:?} vs {fwd:?}");
        // n = 1 < m = 2: forward only.
        let j = jacobian(|t| vec![t[0].exp(), t[0].tanh()], &[0.0]);
        assert_eq!(j.as_slice(), &[1.0, 1.0]);
    }

    #[test]
    fn generic_over_the_element_type() {
        let h = hessian(|v: &[Var<'_, Dual<f32>>]| v[0] * v[0] * v[1], &[1.0f32, 3.0]);
        assert_eq!(h.as_slice(), &[6.0f32, 2.0, 2.0, 0.0]);
        let (y, jv) = jvp(|v: &[Var<'_, Dual<f32>>]| vec![v[0] * v[1]], &[2.0f32, 3.0], &[1.0, 0.0]);
        assert_eq!((y, jv), (vec![6.0f32], vec![3.0f32]));
    }
}
