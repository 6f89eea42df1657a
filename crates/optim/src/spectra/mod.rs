//! Matrix-free spectra: eigenvalues, trace and spectral density of a symmetric
//! operator seen only through products `v ↦ Av`.
//!
//! Why matrix-free: the Hessian of a network with 200 000 parameters has 4·10¹⁰
//! entries, and the dense route ([`curvature`](crate::curvature): `n` HVPs, then
//! an `O(n³)` eigen-decomposition) stops at a few hundred. A Hessian-vector
//! product costs a small multiple of one gradient on the tape, and the methods
//! here need tens of them:
//!
//! | what | function | cost (products) |
//! |---|---|---|
//! | dominant eigenvalue (largest in magnitude) | [`power_iteration`] | until converged, typically 50–500 |
//! | top-k / bottom-k eigenpairs | [`lanczos_top_k`], [`lanczos_bottom_k`] | ≈ 20–100 |
//! | sharpness λ_max, fixed budget | [`top_eigenvalue`] | `iters` |
//! | trace | [`hutchinson_trace`] | one per probe |
//! | spectral density | [`spectral_density`] | probes × steps |
//!
//! Lanczos keeps the whole Krylov basis and re-orthogonalizes every new vector
//! against it (twice), so there are no spurious copies of converged eigenvalues
//! and the residual bound `β_m |s_m|` is the true residual `‖Ay − θy‖`; the
//! memory is `steps × n` floats (20 × 200 000 × 8 B = 32 MB for the MNIST net).
//! The small tridiagonal problem is solved by the crate's implicit QL
//! ([`linalg::symmetric_tridiagonal_eigen`](crate::linalg::symmetric_tridiagonal_eigen)).
//!
//! Every method is **seeded and deterministic**: start vectors and probes come
//! from a [`rand::rngs::StdRng`] seeded with the options' `seed`, so the
//! same operator and seed give the same bits.
//!
//! # Operators
//!
//! Everything takes a [`LinearOperator`] (`dim` and `apply(v, out)`), which
//! is implemented by
//!
//! * [`FnOperator`]: a closure `Fn(&[f64], &mut [f64])` and a dimension; e.g. the
//!   tape's HVP at a fixed point, `|v, out| out.copy_from_slice(&hvp(f, &x, v))`;
//! * [`ParamsOperator`]: a closure over named parameters,
//!   `Fn(&Params<T>) -> Params<T>` (direction ↦ H·direction), so a model's
//!   Hessian is used **without flattening by hand**: the operator converts
//!   between the flat vectors Lanczos works on and [`Params`] in the parameters'
//!   order, and [`ParamsOperator::to_params`] turns an eigenvector back into
//!   named matrices;
//! * `Matrix<f64>` (square and symmetric) itself, for tests and small problems;
//! * the Gauss-Newton operator [`GgnOperator`](crate::gauss_newton::GgnOperator).
//!
//! ```
//! use wengert_optim::spectra::{hutchinson_trace, lanczos_top_k, FnOperator, LanczosOptions};
//! // A = diag(1, 2, …, 100), seen only through products.
//! let n = 100;
//! let op = FnOperator::new(n, |v: &[f64], out: &mut [f64]| {
//!     for (i, (o, x)) in out.iter_mut().zip(v).enumerate() {
//!         *o = (i + 1) as f64 * x;
//!     }
//! });
//! let top = lanczos_top_k(&op, 3, &LanczosOptions::default())?;
//! assert!((top.values[0] - 100.0).abs() < 1e-8 && (top.values[2] - 98.0).abs() < 1e-8);
//! let trace = hutchinson_trace(&op, 30, 7)?;
//! // Rademacher probes read the diagonal exactly: zᵀAz = Σ aᵢᵢ when A is diagonal.
//! assert!((trace.trace - 5050.0).abs() < 1e-9 && trace.std_error < 1e-9);
//! # Ok::<(), wengert_optim::SolverError>(())
//! ```

use std::cell::RefCell;

use rand::rngs::StdRng;
use rand::Rng;
use wengert_ops::{shape_str, Matrix, Scalar};

use crate::params::Params;
use crate::solver_error::SolverError;

pub mod hutchinson;
pub mod lanczos;
pub mod power;
pub mod slq;

pub use hutchinson::{hutchinson_trace, TraceEstimate};
pub use lanczos::{lanczos_bottom_k, lanczos_top_k, top_eigenvalue, Eigenpairs, LanczosOptions};
pub use power::{power_iteration, PowerOptions, PowerResult};
pub use slq::{lanczos_quadrature, spectral_density, SlqOptions, SpectralDensity};

/// A symmetric linear map `v ↦ Av` on `ℝⁿ`, seen only through its products.
///
/// The methods of this module assume symmetry and do not check it (they cannot,
/// without forming `A`); a non-symmetric operator gives meaningless results.
pub trait LinearOperator {
    /// The dimension `n`.
    fn dim(&self) -> usize;
    /// Writes `A·v` into `out` (both of length [`dim`](LinearOperator::dim);
    /// `out` is overwritten, not accumulated into).
    fn apply(&self, v: &[f64], out: &mut [f64]);
}

impl<A: LinearOperator + ?Sized> LinearOperator for &A {
    fn dim(&self) -> usize {
        (**self).dim()
    }
    fn apply(&self, v: &[f64], out: &mut [f64]) {
        (**self).apply(v, out)
    }
}

/// A square symmetric matrix as an operator (for tests and small problems).
///
/// # Panics
/// `apply` panics if the matrix is not square.
impl LinearOperator for Matrix<f64> {
    fn dim(&self) -> usize {
        self.rows()
    }
    fn apply(&self, v: &[f64], out: &mut [f64]) {
        assert!(self.rows() == self.cols(), "LinearOperator for Matrix: {} is not square", shape_str(self.shape()));
        for (o, row) in out.iter_mut().zip(self.row_iter()) {
            *o = row.iter().zip(v).map(|(a, b)| a * b).sum();
        }
    }
}

/// A closure `Fn(&[f64], &mut [f64])` of a given dimension as a
/// [`LinearOperator`].
///
/// ```
/// use wengert_optim::spectra::{FnOperator, LinearOperator};
/// let op = FnOperator::new(2, |v: &[f64], out: &mut [f64]| {
///     out[0] = 2.0 * v[0] + v[1];
///     out[1] = v[0] + 2.0 * v[1];
/// });
/// let mut out = [0.0; 2];
/// op.apply(&[1.0, 1.0], &mut out);
/// assert_eq!((op.dim(), out), (2, [3.0, 3.0]));
/// ```
pub struct FnOperator<F> {
    dim: usize,
    f: F,
}

impl<F: Fn(&[f64], &mut [f64])> FnOperator<F> {
    /// The operator `v ↦ f(v)` on `ℝ^dim`.
    pub fn new(dim: usize, f: F) -> Self {
        FnOperator { dim, f }
    }
}

impl<F: Fn(&[f64], &mut [f64])> LinearOperator for FnOperator<F> {
    fn dim(&self) -> usize {
        self.dim
    }
    fn apply(&self, v: &[f64], out: &mut [f64]) {
        (self.f)(v, out)
    }
}

/// An operator on a model's named parameters: `f` maps a direction (a
/// [`Params`] shaped like the model's) to the product, e.g. the Hessian of the
/// training loss times the direction by forward-over-reverse on the tape.
///
/// The spectral methods work on flat `f64` vectors; this adapter converts in
/// the order of the parameters given to [`new`](ParamsOperator::new) (insertion
/// order, row-major within a matrix, as [`Params::to_flat`]), whatever order
/// `f` returns its entries in. The element type `T` may be `f32` (a model
/// trained in single precision); products are converted to `f64`.
///
/// ```
/// use wengert_ops::Matrix;
/// use wengert_optim::spectra::{lanczos_top_k, LanczosOptions, ParamsOperator};
/// use wengert_optim::Params;
/// // f(w, b) = ½‖w‖²·3 + ½b²: the Hessian is diag(3, 3, 1).
/// let params = Params::new().with("w", Matrix::from_rows(&[[0.5, -1.0]])).with("b", Matrix::from_rows(&[[2.0]]));
/// let op = ParamsOperator::new(&params, |v: &Params<f64>| {
///     let mut hv = v.clone();
///     hv.get_mut("w").unwrap().as_mut_slice().iter_mut().for_each(|x| *x *= 3.0);
///     hv
/// });
/// let top = lanczos_top_k(&op, 1, &LanczosOptions::default())?;
/// assert!((top.values[0] - 3.0).abs() < 1e-12);
/// let direction = op.to_params(&top.vectors[0]); // named, shaped like the model
/// assert!(direction.get("b").unwrap()[(0, 0)].abs() < 1e-12);
/// # Ok::<(), wengert_optim::SolverError>(())
/// ```
pub struct ParamsOperator<T: Scalar, F> {
    like: Params<T>,
    f: F,
    direction: RefCell<Params<T>>,
}

impl<T: Scalar, F: Fn(&Params<T>) -> Params<T>> ParamsOperator<T, F> {
    /// The operator `f` on parameters named and shaped like `like` (only the
    /// names and shapes are used, not the values).
    pub fn new(like: &Params<T>, f: F) -> Self {
        ParamsOperator { like: like.zeros_like(), f, direction: RefCell::new(like.zeros_like()) }
    }

    /// A flat vector (e.g. an eigenvector) as named parameters.
    ///
    /// # Panics
    /// If `flat.len()` is not the number of parameters.
    pub fn to_params(&self, flat: &[f64]) -> Params<T> {
        let mut p = self.like.clone();
        fill_params(&mut p, flat);
        p
    }

    /// Named parameters (the same names and shapes) as a flat vector in this
    /// operator's order.
    ///
    /// # Panics
    /// If a parameter is missing or has another shape.
    pub fn to_flat(&self, params: &Params<T>) -> Vec<f64> {
        let mut out = vec![0.0; self.like.num_elements()];
        flatten_like(&self.like, params, &mut out, "ParamsOperator::to_flat");
        out
    }
}

impl<T: Scalar, F: Fn(&Params<T>) -> Params<T>> LinearOperator for ParamsOperator<T, F> {
    fn dim(&self) -> usize {
        self.like.num_elements()
    }

    /// # Panics
    /// If `f` returns a set without one of the parameters or with another shape.
    fn apply(&self, v: &[f64], out: &mut [f64]) {
        let mut direction = self.direction.borrow_mut();
        fill_params(&mut direction, v);
        let product = (self.f)(&direction);
        drop(direction);
        flatten_like(&self.like, &product, out, "ParamsOperator: the product");
    }
}

/// Overwrites every element of `p` from `flat` (in `p`'s order).
fn fill_params<T: Scalar>(p: &mut Params<T>, flat: &[f64]) {
    assert_eq!(
        flat.len(),
        p.num_elements(),
        "ParamsOperator: a vector of {} for {} parameters",
        flat.len(),
        p.num_elements()
    );
    let mut at = 0;
    for (_, m) in p.iter_mut() {
        let n = m.len();
        for (x, &y) in m.as_mut_slice().iter_mut().zip(&flat[at..at + n]) {
            *x = T::from_f64(y);
        }
        at += n;
    }
}

/// Writes `params` into `out` in the order of `like`, checking names and shapes.
fn flatten_like<T: Scalar>(like: &Params<T>, params: &Params<T>, out: &mut [f64], ctx: &str) {
    let mut at = 0;
    for (name, m) in like.iter() {
        let p = params.get(name).unwrap_or_else(|| panic!("{ctx} has no parameter `{name}`"));
        assert!(
            p.shape() == m.shape(),
            "{ctx}: parameter `{name}` has shape {} but the model's is {}",
            shape_str(p.shape()),
            shape_str(m.shape())
        );
        for (o, x) in out[at..at + m.len()].iter_mut().zip(p.iter()) {
            *o = x.value();
        }
        at += m.len();
    }
}

/// Applies `op` to `v`, returning an error naming `solver` if the product has a
/// non-finite entry.
pub(crate) fn apply_checked<A: LinearOperator + ?Sized>(
    solver: &'static str,
    op: &A,
    v: &[f64],
    out: &mut [f64],
) -> Result<(), SolverError> {
    op.apply(v, out);
    match out.iter().position(|x| !x.is_finite()) {
        None => Ok(()),
        Some(i) => {
            Err(SolverError::new(solver, format!("the operator returned a non-finite entry out[{i}] = {}", out[i])))
        }
    }
}

/// `Err` unless the operator has a positive dimension.
pub(crate) fn check_dim<A: LinearOperator + ?Sized>(solver: &'static str, op: &A) -> Result<usize, SolverError> {
    match op.dim() {
        0 => Err(SolverError::new(solver, "the operator has dimension 0")),
        n => Ok(n),
    }
}

/// A Rademacher vector (entries ±1 with probability ½ each).
pub(crate) fn rademacher(n: usize, rng: &mut StdRng) -> Vec<f64> {
    (0..n).map(|_| if rng.random::<bool>() { 1.0 } else { -1.0 }).collect()
}

/// A unit vector in a uniformly random direction (normalized standard normal).
pub(crate) fn random_unit(n: usize, rng: &mut StdRng) -> Vec<f64> {
    let mut v = Matrix::<f64>::random_normal(1, n, 0.0, 1.0, rng).into_vec();
    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    v.iter_mut().for_each(|x| *x /= norm);
    v
}
