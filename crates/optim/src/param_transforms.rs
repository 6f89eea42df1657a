//! The tape's matrix transforms on named [`Params`]: [`value_and_grad_params`]
//! and [`hvp_params`].
//!
//! Why here and thin: the transforms live in `wengert-tape`, which knows
//! matrices but not `Params` (that type lives here, a layer above). The tape
//! side takes `&[Matrix]`
//! ([`value_and_grad_matrices`],
//! [`value_grad_hvp_matrices`]); these
//! adapters pass a `Params`' matrices in its order (insertion order) and name
//! the results like it, so the gradient goes straight into
//! [`Optimizer::step`](crate::Optimizer::step) and the product into a
//! [`ParamsOperator`](crate::spectra::ParamsOperator). No values are copied:
//! the matrices enter the tape sharing their storage.
//!
//! The function receives one [`MatVar`] per parameter, in the `Params`' order.
//!
//! ```
//! use wengert_optim::{value_and_grad_params, Optimizer, Params, Sgd};
//! use wengert_ops::Matrix;
//!
//! // Fit w, b to y = 2x + 1 by least squares: ½‖x w + b − y‖² / n.
//! let x = Matrix::from_rows(&[[0.0], [1.0], [2.0], [3.0]]);
//! let y = Matrix::from_rows(&[[1.0], [3.0], [5.0], [7.0]]);
//! let mut params = Params::<f64>::new().with("w", Matrix::zeros(1, 1)).with("b", Matrix::zeros(1, 1));
//! let mut sgd = Sgd::new().lr(0.1);
//! for _ in 0..2000 {
//!     let (_, grads) = value_and_grad_params(
//!         |p| {
//!             let tape = p[0].tape();
//!             (tape.constant_matrix(&x).matmul(p[0]) + p[1] - tape.constant_matrix(&y)).l2_penalty() * 0.25
//!         },
//!         &params,
//!     );
//!     sgd.step(&mut params, &grads);
//! }
//! assert!((params.get("w").unwrap()[(0, 0)] - 2.0).abs() < 1e-9);
//! assert!((params.get("b").unwrap()[(0, 0)] - 1.0).abs() < 1e-9);
//! ```

use wengert_dual::Dual;
use wengert_ops::{shape_str, Matrix, Scalar};
use wengert_tape::{value_and_grad_matrices, value_grad_hvp_matrices, MatVar, Var};

use crate::params::{Grads, Params};

/// `(f(params), ∇f)` with the gradient named and shaped like `params`, by one
/// recording and one reverse sweep
/// ([`value_and_grad_matrices`]).
/// `f` receives one [`MatVar`] per parameter, in `params`' order.
pub fn value_and_grad_params<T, F>(f: F, params: &Params<T>) -> (T, Grads<T>)
where
    T: Scalar,
    F: for<'t> Fn(&[MatVar<'t, T>]) -> Var<'t, T>,
{
    let values: Vec<Matrix<T>> = params.iter().map(|(_, m)| m.clone()).collect();
    let (value, grads) = value_and_grad_matrices(f, &values);
    (value, params.names().zip(grads).collect())
}

/// The Hessian-vector product `H·v` of `f` at `params` along `direction` (named
/// like `params`; looked up by name, so its order does not matter), named like
/// `params`: forward over reverse, one recording and one sweep on dual numbers
/// ([`value_grad_hvp_matrices`]). `f`
/// receives one `MatVar` over `Dual<T>` per parameter, in `params`' order.
///
/// # Panics
/// If `direction` lacks a parameter of `params` or a shape differs.
///
/// ```
/// use wengert_dual::Dual;
/// use wengert_ops::Matrix;
/// use wengert_optim::spectra::{lanczos_top_k, LanczosOptions, ParamsOperator};
/// use wengert_optim::{hvp_params, Params};
/// use wengert_tape::{matrix_fn, MatVar};
///
/// // f(w, b) = ½‖w‖²·3 + ½b²: the Hessian is diag(3, 3, 1).
/// let f = matrix_fn(|p: &[MatVar<'_, Dual<f64>>]| p[0].l2_penalty() * 3.0 + p[1].l2_penalty());
/// let params = Params::new().with("w", Matrix::from_rows(&[[0.5, -1.0]])).with("b", Matrix::from_rows(&[[2.0]]));
/// let op = ParamsOperator::new(&params, |v: &Params<f64>| hvp_params(f, &params, v));
/// let top = lanczos_top_k(&op, 1, &LanczosOptions::default())?;
/// assert!((top.values[0] - 3.0).abs() < 1e-12);
/// # Ok::<(), wengert_optim::SolverError>(())
/// ```
pub fn hvp_params<T, F>(f: F, params: &Params<T>, direction: &Params<T>) -> Params<T>
where
    T: Scalar,
    F: for<'t> Fn(&[MatVar<'t, Dual<T>>]) -> Var<'t, Dual<T>>,
{
    let values: Vec<Matrix<T>> = params.iter().map(|(_, m)| m.clone()).collect();
    let directions: Vec<Matrix<T>> = params
        .iter()
        .map(|(name, m)| {
            let v = direction.get(name).unwrap_or_else(|| panic!("hvp_params: `{name}` missing in the direction"));
            assert!(
                m.shape() == v.shape(),
                "hvp_params: parameter `{name}` has shape {} but its direction has shape {}",
                shape_str(m.shape()),
                shape_str(v.shape())
            );
            v.clone()
        })
        .collect();
    let (_, _, hv) = value_grad_hvp_matrices(f, &values, &directions);
    params.names().zip(hv).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use wengert_tape::{hvp, scalar_fn, value_and_grad};

    /// Two named matrices for f(W, b) = Σ tanh(exp(W) b), a function with a full Hessian.
    fn params() -> Params<f64> {
        Params::new()
            .with("w", Matrix::from_rows(&[[0.1, -0.2], [0.3, 0.4]]))
            .with("b", Matrix::from_rows(&[[0.5], [-0.5]]))
    }

    #[test]
    fn gradients_and_products_are_named_like_the_parameters_and_match_the_flat_transforms() {
        let p = params();
        let (value, g) = value_and_grad_params(|m| m[0].exp().matmul(m[1]).tanh().sum(), &p);
        let flat = scalar_fn(|v| {
            let tape = v[0].tape().unwrap();
            let w = MatVar::from_vars(tape, &v[..4], 2, 2);
            let b = MatVar::from_vars(tape, &v[4..], 2, 1);
            w.exp().matmul(b).tanh().sum()
        });
        let (flat_value, flat_grad) = value_and_grad(flat, &p.to_flat());
        assert_eq!(g.names().collect::<Vec<_>>(), ["w", "b"]);
        assert!((value - flat_value).abs() < 1e-15);
        for (a, b) in g.to_flat().iter().zip(&flat_grad) {
            assert!((a - b).abs() < 1e-14, "{a} vs {b}");
        }

        // A direction given in another order is matched by name.
        let direction = Params::new()
            .with("b", Matrix::from_rows(&[[1.0], [2.0]]))
            .with("w", Matrix::from_rows(&[[0.5, 0.0], [-1.0, 3.0]]));
        let hv = hvp_params(|m| m[0].exp().matmul(m[1]).tanh().sum(), &p, &direction);
        assert_eq!(hv.names().collect::<Vec<_>>(), ["w", "b"]);
        let flat_v = [0.5, 0.0, -1.0, 3.0, 1.0, 2.0];
        let flat_hv = hvp(
            |v| {
                let tape = v[0].tape().unwrap();
                MatVar::from_vars(tape, &v[..4], 2, 2).exp().matmul(MatVar::from_vars(tape, &v[4..], 2, 1)).tanh().sum()
            },
            &p.to_flat(),
            &flat_v,
        );
        for (a, b) in hv.to_flat().iter().zip(&flat_hv) {
            assert!((a - b).abs() < 1e-13, "{a} vs {b}");
        }
    }

    #[test]
    #[should_panic(expected = "hvp_params: `b` missing in the direction")]
    fn a_direction_missing_a_parameter_is_named() {
        let direction = Params::new().with("w", Matrix::zeros(2, 2));
        let _ = hvp_params(|m| m[0].sum() + m[1].sum(), &params(), &direction);
    }

    #[test]
    #[should_panic(expected = "hvp_params: parameter `w` has shape (2×2) but its direction has shape (1×4)")]
    fn a_misshapen_direction_is_named() {
        let direction = Params::new().with("w", Matrix::zeros(1, 4)).with("b", Matrix::zeros(2, 1));
        let _ = hvp_params(|m| m[0].sum() + m[1].sum(), &params(), &direction);
    }
}
