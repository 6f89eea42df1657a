//! Transforms of functions of **matrices**: [`grad_matrices`],
//! [`value_and_grad_matrices`], [`jvp_matrices`], [`hvp_matrices`],
//! [`value_grad_hvp_matrices`] and [`hessian_matrices`].
//!
//! Why a second family: the flat transforms ([`grad`](crate::grad),
//! [`hvp`](crate::hvp), …) pass a function one `&[Var]` of scalars, which suits
//! `fn f<T: Real>(x: &[T]) -> T` but not a model written with matrix ops. Such a
//! model through the flat transforms must fetch the tape from `x[0]`, rebuild
//! each matrix from scalars with `MatVar::from_vars` (one scalar node per
//! element, and a split of the flat vector by hand) and cast its data to the
//! tape's element type. Here the function receives its inputs as they are — one
//! [`MatVar`] per input matrix, each a leaf sharing the caller's storage — and
//! gets one gradient matrix per input back, shaped like it.
//!
//! | transform | returns | passes |
//! |---|---|---|
//! | [`grad_matrices`] | `∂f/∂Xₖ` per input | 1 recording + 1 sweep |
//! | [`value_and_grad_matrices`] | `(f, [∂f/∂Xₖ])` | same |
//! | [`jvp_matrices`] | `(f, Σₖ ⟨∂f/∂Xₖ, Vₖ⟩)` | 1 recording on duals, no sweep |
//! | [`hvp_matrices`] | `H·V` per input | 1 recording + 1 sweep on duals |
//! | [`value_grad_hvp_matrices`] | `(f, ∇f, H·V)` | same |
//! | [`hessian_matrices`] | `H` over all elements (`n × n`) | `n` HVPs on one reused tape |
//!
//! The first two take a closure over `MatVar<'t, S>` for any [`Scalar`] `S`;
//! the others, like every second-order transform, over `MatVar<'t, Dual<T>>`,
//! and data enters them with [`Tape::constant_matrix_from`], which converts a
//! `Matrix<f64>` to the tape's element type. The closure reaches its tape
//! through any input: `ms[0].tape()`. To bind the closure to a name first,
//! wrap it in [`matrix_fn`].
//!
//! ```
//! use wengert_dual::Dual;
//! use wengert_tape::{grad_matrices, hvp_matrices, MatVar, Matrix, Var};
//!
//! // Least squares ½‖X w − y‖², written once over matrices.
//! let x = Matrix::from_rows(&[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]);
//! let y = Matrix::from_rows(&[[1.0], [0.0], [2.0]]);
//! let w = Matrix::from_rows(&[[0.5], [-0.25]]);
//! let g = grad_matrices(
//!     |ms| {
//!         let tape = ms[0].tape();
//!         (tape.constant_matrix(&x).matmul(ms[0]) - tape.constant_matrix(&y)).l2_penalty()
//!     },
//!     &[w.clone()],
//! );
//! // ∇ = Xᵀ(Xw − y)
//! let r = x.matmul(&w).as_slice().iter().zip(y.as_slice()).map(|(a, b)| a - b).collect::<Vec<_>>();
//! assert_eq!(g[0], x.transpose().matmul(&Matrix::col_vector(&r)));
//! // H·V = XᵀX V, on a tape of dual numbers: the data enters with constant_matrix_from.
//! let v = Matrix::from_rows(&[[1.0], [0.0]]);
//! let hv = hvp_matrices(
//!     |ms: &[MatVar<'_, Dual<f64>>]| {
//!         let tape = ms[0].tape();
//!         let residual = tape.constant_matrix_from(&x).matmul(ms[0]) - tape.constant_matrix_from(&y);
//!         residual.l2_penalty()
//!     },
//!     &[w],
//!     &[v.clone()],
//! );
//! assert_eq!(hv[0], x.transpose().matmul(&x).matmul(&v));
//! ```

use wengert_dual::Dual;
use wengert_ops::{shape_str, Matrix, Scalar};

use super::record::ReusableTape;
use crate::gradients::Gradients;
use crate::matvar::MatVar;
use crate::tape::Tape;
use crate::var::Var;

/// Scalar-node capacity for a recording of a function of matrices: matrix ops
/// write one scalar node per reduction, not per element.
const CAPACITY: usize = 64;

/// Records `f` at `xs` on `tape` and sweeps once: `(f(xs), [∂f/∂Xₖ])`.
fn value_and_grad_on<S, F>(tape: &Tape<S>, grads: &mut Gradients<S>, f: &F, xs: &[Matrix<S>]) -> (S, Vec<Matrix<S>>)
where
    S: Scalar,
    F: for<'t> Fn(&[MatVar<'t, S>]) -> Var<'t, S>,
{
    let inputs: Vec<MatVar<'_, S>> = xs.iter().map(|x| tape.matrix(x)).collect();
    let y = f(&inputs);
    if !y.is_tracked() {
        // The output does not depend on the inputs at all.
        return (y.primal(), xs.iter().map(|x| Matrix::zeros(x.rows(), x.cols())).collect());
    }
    tape.backward_into(y, S::one(), grads);
    (y.primal(), inputs.iter().map(|&m| grads.matrix(m)).collect())
}

/// Panics, naming `who`, unless `vs` has one direction per input, shaped like it.
fn check_directions<T>(who: &str, xs: &[Matrix<T>], vs: &[Matrix<T>]) {
    assert_eq!(xs.len(), vs.len(), "{who}: {} inputs but {} directions", xs.len(), vs.len());
    for (k, (x, v)) in xs.iter().zip(vs).enumerate() {
        assert!(
            x.shape() == v.shape(),
            "{who}: direction {k} has shape {} but input {k} has shape {}",
            shape_str(v.shape()),
            shape_str(x.shape())
        );
    }
}

/// The inputs as dual numbers carrying the directions as tangents.
fn seeded<T: Scalar>(xs: &[Matrix<T>], vs: &[Matrix<T>]) -> Vec<Matrix<Dual<T>>> {
    xs.iter()
        .zip(vs)
        .map(|(x, v)| {
            let data = x.iter().zip(v.iter()).map(|(&re, &eps)| Dual::new(re, eps)).collect();
            Matrix::from_vec(x.rows(), x.cols(), data)
        })
        .collect()
}

/// Records `f` over duals at `xs` with tangents `vs` and sweeps once:
/// `(f, [∂f/∂Xₖ], [(H·V)ₖ])`.
fn grad_hvp_on<T, F>(
    tape: &Tape<Dual<T>>,
    grads: &mut Gradients<Dual<T>>,
    f: &F,
    xs: &[Matrix<T>],
    vs: &[Matrix<T>],
) -> (T, Vec<Matrix<T>>, Vec<Matrix<T>>)
where
    T: Scalar,
    F: for<'t> Fn(&[MatVar<'t, Dual<T>>]) -> Var<'t, Dual<T>>,
{
    let (value, dual_grads) = value_and_grad_on(tape, grads, f, &seeded(xs, vs));
    let gradient = dual_grads.iter().map(|g| g.map(|d| d.re)).collect();
    let hv = dual_grads.iter().map(|g| g.map(|d| d.eps)).collect();
    (value.re, gradient, hv)
}

/// The gradient of a scalar function of matrices: `∂f/∂Xₖ` for every input
/// `Xₖ`, each shaped like it, by one recording and one reverse sweep. The
/// inputs are recorded as leaves that share the caller's storage (no copy).
///
/// ```
/// use wengert_tape::{grad_matrices, Matrix};
/// // f(W, b) = Σ tanh(W x + b)
/// let x = Matrix::from_rows(&[[1.0], [-2.0]]);
/// let (w, b) = (Matrix::from_rows(&[[0.1, 0.2], [0.3, 0.4]]), Matrix::from_rows(&[[0.0], [0.5]]));
/// let g = grad_matrices(|ms| (ms[0].matmul(ms[0].tape().constant_matrix(&x)) + ms[1]).tanh().sum(), &[w, b]);
/// assert_eq!((g[0].shape(), g[1].shape()), ((2, 2), (2, 1)));
/// assert_eq!(g[0][(1, 1)], -2.0 * g[1][(1, 0)]); // ∂/∂W = (∂/∂b) xᵀ
/// ```
pub fn grad_matrices<S, F>(f: F, xs: &[Matrix<S>]) -> Vec<Matrix<S>>
where
    S: Scalar,
    F: for<'t> Fn(&[MatVar<'t, S>]) -> Var<'t, S>,
{
    value_and_grad_matrices(f, xs).1
}

/// The value and the gradient of a scalar function of matrices, from one
/// recording and one sweep (see [`grad_matrices`]).
///
/// ```
/// use wengert_tape::{value_and_grad_matrices, Matrix};
/// let w = Matrix::from_rows(&[[1.0, -2.0], [3.0, 0.5]]);
/// let (loss, g) = value_and_grad_matrices(|ms| ms[0].l2_penalty(), &[w.clone()]); // ½‖W‖²
/// assert_eq!(loss, 0.5 * (1.0 + 4.0 + 9.0 + 0.25));
/// assert_eq!(g[0], w);
/// ```
pub fn value_and_grad_matrices<S, F>(f: F, xs: &[Matrix<S>]) -> (S, Vec<Matrix<S>>)
where
    S: Scalar,
    F: for<'t> Fn(&[MatVar<'t, S>]) -> Var<'t, S>,
{
    value_and_grad_on(&Tape::with_capacity(CAPACITY), &mut Gradients::empty(), &f, xs)
}

/// The directional derivative of a scalar function of matrices along the
/// directions `vs` (one per input, shaped like it), by forward mode: returns
/// `(f(xs), Σₖ ⟨∂f/∂Xₖ, Vₖ⟩)`. One recording on dual numbers whose tangents
/// are `vs`, and no sweep; the tape is only needed because matrix ops record.
///
/// Panics if `vs` does not have one direction per input, shaped like it.
///
/// ```
/// use wengert_tape::{jvp_matrices, Matrix};
/// // f(X) = Σ X²  →  ⟨∇f, V⟩ = Σ 2 X ⊙ V
/// let x = Matrix::from_rows(&[[1.0, 2.0]]);
/// let (f, df) = jvp_matrices(|ms| ms[0].mul_elem(ms[0]).sum(), &[x], &[Matrix::from_rows(&[[1.0, 10.0]])]);
/// assert_eq!((f, df), (5.0, 2.0 + 40.0));
/// ```
pub fn jvp_matrices<T, F>(f: F, xs: &[Matrix<T>], vs: &[Matrix<T>]) -> (T, T)
where
    T: Scalar,
    F: for<'t> Fn(&[MatVar<'t, Dual<T>>]) -> Var<'t, Dual<T>>,
{
    check_directions("jvp_matrices", xs, vs);
    let tape = Tape::with_capacity(CAPACITY);
    let inputs: Vec<MatVar<'_, Dual<T>>> = seeded(xs, vs).iter().map(|x| tape.matrix(x)).collect();
    let y = f(&inputs).primal();
    (y.re, y.eps)
}

/// The Hessian-vector product of a scalar function of matrices: `(H·V)ₖ` for
/// every input, shaped like it, where `V` is the direction `vs` (one matrix per
/// input) and `H` the Hessian over all inputs' elements. Forward over reverse,
/// as [`hvp`](crate::hvp): one recording and one sweep on dual numbers; `H` is
/// never formed. [`value_grad_hvp_matrices`] also returns the value and the
/// gradient the same pass computes.
///
/// Panics if `vs` does not have one direction per input, shaped like it.
///
/// ```
/// use wengert_dual::Dual;
/// use wengert_tape::{hvp_matrices, MatVar, Matrix};
/// // f(A, B) = Σ (A B)  →  H·(VA, VB) = (1 VBᵀ, VAᵀ 1)
/// let (a, b) = (Matrix::from_rows(&[[1.0, 2.0]]), Matrix::from_rows(&[[3.0], [4.0]]));
/// let (va, vb) = (Matrix::from_rows(&[[1.0, 0.0]]), Matrix::from_rows(&[[0.0], [1.0]]));
/// let hv = hvp_matrices(|ms: &[MatVar<'_, Dual<f64>>]| ms[0].matmul(ms[1]).sum(), &[a, b], &[va, vb]);
/// assert_eq!(hv, vec![Matrix::from_rows(&[[0.0, 1.0]]), Matrix::from_rows(&[[1.0], [0.0]])]);
/// ```
pub fn hvp_matrices<T, F>(f: F, xs: &[Matrix<T>], vs: &[Matrix<T>]) -> Vec<Matrix<T>>
where
    T: Scalar,
    F: for<'t> Fn(&[MatVar<'t, Dual<T>>]) -> Var<'t, Dual<T>>,
{
    value_grad_hvp_matrices(f, xs, vs).2
}

/// `(f, [∂f/∂Xₖ], [(H·V)ₖ])` from the one pass [`hvp_matrices`] makes: its
/// real parts are the value and the gradient (equal to a `Tape<T>`
/// recording's to rounding).
///
/// Panics if `vs` does not have one direction per input, shaped like it.
///
/// ```
/// use wengert_tape::{value_grad_hvp_matrices, Matrix};
/// // f(X) = Σ X³  →  ∇ = 3X², H·V = 6 X ⊙ V
/// let x = Matrix::from_rows(&[[1.0, -2.0]]);
/// let (f, g, hv) = value_grad_hvp_matrices(|ms| ms[0].mul_elem(ms[0]).mul_elem(ms[0]).sum(), &[x], &[Matrix::filled(1, 2, 1.0)]);
/// assert_eq!((f, &g[0], &hv[0]), (-7.0, &Matrix::from_rows(&[[3.0, 12.0]]), &Matrix::from_rows(&[[6.0, -12.0]])));
/// ```
pub fn value_grad_hvp_matrices<T, F>(f: F, xs: &[Matrix<T>], vs: &[Matrix<T>]) -> (T, Vec<Matrix<T>>, Vec<Matrix<T>>)
where
    T: Scalar,
    F: for<'t> Fn(&[MatVar<'t, Dual<T>>]) -> Var<'t, Dual<T>>,
{
    check_directions("hvp_matrices", xs, vs);
    grad_hvp_on(&Tape::with_capacity(CAPACITY), &mut Gradients::empty(), &f, xs, vs)
}

/// The Hessian of a scalar function of matrices over all their elements: an
/// `n × n` matrix, `n` the total number of elements, ordered input by input and
/// row-major within one (the order of the flat transforms over the inputs
/// concatenated, and of `Params::to_flat` in `wengert-optim`). Column `j` is
/// the HVP against the `j`-th basis direction; `n` of them on one reused tape.
/// Returned as computed, not symmetrized (see [`hessian`](crate::hessian)).
///
/// ```
/// use wengert_dual::Dual;
/// use wengert_tape::{hessian_matrices, MatVar, Matrix};
/// // f(A, b) = (A b)² with A 1×2, b 2×1, s = A b: H over (a₀, a₁, b₀, b₁).
/// let h = hessian_matrices(
///     |ms: &[MatVar<'_, Dual<f64>>]| {
///         let s = ms[0].matmul(ms[1]);
///         s.mul_elem(s).sum()
///     },
///     &[Matrix::from_rows(&[[1.0, 2.0]]), Matrix::from_rows(&[[3.0], [4.0]])],
/// );
/// assert_eq!(h.shape(), (4, 4));
/// // Row a₀: (2b₀², 2b₀b₁, 2(a₀b₀ + s), 2a₁b₀) with s = 11.
/// assert_eq!(h.row(0), &[18.0, 24.0, 28.0, 12.0]);
/// ```
pub fn hessian_matrices<T, F>(f: F, xs: &[Matrix<T>]) -> Matrix<T>
where
    T: Scalar,
    F: for<'t> Fn(&[MatVar<'t, Dual<T>>]) -> Var<'t, Dual<T>>,
{
    let n: usize = xs.iter().map(Matrix::len).sum();
    let mut hessian = Matrix::zeros(n, n);
    let mut tape = Tape::with_capacity(CAPACITY);
    let mut grads = Gradients::empty();
    let mut directions: Vec<Matrix<T>> = xs.iter().map(|x| Matrix::zeros(x.rows(), x.cols())).collect();
    let mut j = 0;
    for k in 0..directions.len() {
        for e in 0..directions[k].len() {
            directions[k].as_mut_slice()[e] = T::one();
            tape.clear();
            let (_, _, hv) = grad_hvp_on(&tape, &mut grads, &f, xs, &directions);
            directions[k].as_mut_slice()[e] = T::zero();
            for (i, h) in hv.iter().flat_map(|m| m.iter()).enumerate() {
                hessian[(i, j)] = *h;
            }
            j += 1;
        }
    }
    hessian
}

/// Returns `f` unchanged, typed as a scalar function of matrices, so a closure
/// bound with `let` works with every matrix transform (as [`scalar_fn`] does
/// for the flat ones: Rust infers "for every tape lifetime" only for a closure
/// written directly as an argument).
///
/// [`scalar_fn`]: crate::scalar_fn
///
/// ```
/// use wengert_dual::Dual;
/// use wengert_tape::{hessian_matrices, hvp_matrices, matrix_fn, MatVar, Matrix};
/// let f = matrix_fn(|ms: &[MatVar<'_, Dual<f64>>]| ms[0].mul_elem(ms[0]).sum()); // H = 2I
/// let x = [Matrix::from_rows(&[[1.0, 2.0]])];
/// assert_eq!(hvp_matrices(&f, &x, &[Matrix::from_rows(&[[1.0, 0.0]])])[0], Matrix::from_rows(&[[2.0, 0.0]]));
/// assert_eq!(hessian_matrices(&f, &x), Matrix::from_rows(&[[2.0, 0.0], [0.0, 2.0]]));
/// ```
pub fn matrix_fn<T, F>(f: F) -> F
where
    T: Scalar,
    F: for<'t> Fn(&[MatVar<'t, T>]) -> Var<'t, T>,
{
    f
}

/// The function-returning forms of the matrix transforms, each recording on one
/// tape reused across calls: what a training loop or an optimizer calls at
/// every step.
pub mod fns {
    use wengert_dual::Dual;
    use wengert_ops::{Matrix, Scalar};

    use super::{check_directions, grad_hvp_on, value_and_grad_on, ReusableTape, CAPACITY};
    use crate::matvar::MatVar;
    use crate::var::Var;

    /// The function `xs ↦ (f(xs), [∂f/∂Xₖ])` (see
    /// [`value_and_grad_matrices`](crate::value_and_grad_matrices)), recording on
    /// one reused tape.
    ///
    /// ```
    /// use wengert_tape::{fns, Matrix};
    /// // Gradient descent on ½‖W − T‖², one tape for every step.
    /// let target = Matrix::from_rows(&[[1.0, 2.0], [3.0, 4.0]]);
    /// let loss = fns::value_and_grad_matrices(|ms| (ms[0] - ms[0].tape().constant_matrix(&target)).l2_penalty());
    /// let mut w = Matrix::zeros(2, 2);
    /// for _ in 0..50 {
    ///     let (_, g) = loss(&[w.clone()]);
    ///     w.as_mut_slice().iter_mut().zip(g[0].iter()).for_each(|(p, d)| *p -= 0.5 * d);
    /// }
    /// assert!(w.max_abs_diff(&target) < 1e-12);
    /// ```
    pub fn value_and_grad_matrices<S, F>(f: F) -> impl Fn(&[Matrix<S>]) -> (S, Vec<Matrix<S>>)
    where
        S: Scalar,
        F: for<'t> Fn(&[MatVar<'t, S>]) -> Var<'t, S>,
    {
        let recording = ReusableTape::new();
        move |xs| recording.with(CAPACITY, |tape, grads| value_and_grad_on(tape, grads, &f, xs))
    }

    /// The function `(xs, vs) ↦ [(H·V)ₖ]` (see [`hvp_matrices`](crate::hvp_matrices)),
    /// recording on one reused tape of dual numbers.
    ///
    /// ```
    /// use wengert_dual::Dual;
    /// use wengert_tape::{fns, MatVar, Matrix};
    /// let hv = fns::hvp_matrices(|ms: &[MatVar<'_, Dual<f64>>]| ms[0].mul_elem(ms[0]).sum()); // H = 2I
    /// let x = [Matrix::from_rows(&[[5.0, 6.0]])];
    /// assert_eq!(hv(&x, &[Matrix::from_rows(&[[1.0, -1.0]])]), vec![Matrix::from_rows(&[[2.0, -2.0]])]);
    /// ```
    // The returned closure's type is spelled out so its signature documents
    // itself; a type alias cannot name an `impl Fn`.
    #[allow(clippy::type_complexity)]
    pub fn hvp_matrices<T, F>(f: F) -> impl Fn(&[Matrix<T>], &[Matrix<T>]) -> Vec<Matrix<T>>
    where
        T: Scalar,
        F: for<'t> Fn(&[MatVar<'t, Dual<T>>]) -> Var<'t, Dual<T>>,
    {
        let recording = ReusableTape::<Dual<T>>::new();
        move |xs, vs| {
            check_directions("hvp_matrices", xs, vs);
            recording.with(CAPACITY, |tape, grads| grad_hvp_on(tape, grads, &f, xs, vs).2)
        }
    }
}
