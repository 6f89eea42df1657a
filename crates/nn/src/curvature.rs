//! The Hessian of a model's training loss as a matrix-free operator:
//! [`LossHessian`], for the eigensolvers, trace estimators and spectral
//! densities of [`wengert_optim::spectra`].
//!
//! Why matrix-free: the MNIST net has 200 000 parameters, so its Hessian has
//! 4·10¹⁰ entries; a Hessian-vector product costs a few gradients. Each
//! product here is forward over reverse: the parameters are recorded on a
//! tape of dual numbers whose tangents hold the direction `v`, the model's
//! [`dual_loss`](Model::dual_loss) runs the forward pass and the loss on
//! them, and one reverse sweep leaves `∇L` in the real parts of the
//! gradients and `H·v` in their tangents. The batch is fixed when the
//! operator is built (a Hessian of a changing batch is not one matrix), and
//! the tape, the gradient buffers and the dual parameters are reused by
//! every product.
//!
//! The operator reads the model's parameters when it is built; after an
//! optimizer step, build a new one (cheap: it copies the parameters and the
//! batch once). Directions and products are flat `f64` vectors in the
//! order of the model's [`Params`] (insertion order, row-major within a
//! matrix, as [`Params::to_flat`]); [`LossHessian::to_params`] turns one
//! back into named matrices.
//!
//! ```
//! use wengert_nn::curvature::LossHessian;
//! use wengert_nn::data::load_bundled;
//! use wengert_nn::LinearRegression;
//! use wengert_ops::Matrix;
//! use wengert_optim::linalg::symmetric_eigen;
//! use wengert_optim::spectra::{lanczos_top_k, LanczosOptions};
//!
//! let diabetes = load_bundled("diabetes")?.into_single().unwrap();
//! let model = LinearRegression::<f64>::new(diabetes.n_features(), 0.0);
//! let hessian = LossHessian::new(&model, &diabetes)?;
//! let top = lanczos_top_k(&hessian, 1, &LanczosOptions::default()).unwrap();
//!
//! // For mean squared error the Hessian is 2/N·AᵀA with A = [X 1], whatever the weights.
//! let x = diabetes.features();
//! let (n, d) = x.shape();
//! let a = Matrix::from_fn(n, d + 1, |i, j| if j < d { x[(i, j)] } else { 1.0 });
//! let exact = symmetric_eigen(&a.transpose().matmul(&a)).values[0] * 2.0 / n as f64;
//! assert!((top.values[0] - exact).abs() < 1e-8 * exact);
//! # Ok::<(), wengert_nn::NnError>(())
//! ```

use std::cell::RefCell;

use wengert_dual::Dual;
use wengert_ops::Scalar;
use wengert_optim::spectra::LinearOperator;
use wengert_optim::Params;
use wengert_tape::{Gradients, Tape, Var};

use crate::data::{Batch, Batches, Dataset};
use crate::error::NnError;
use crate::model::{LossKind, Model, ParamVars, Targets};

/// The Hessian of `model`'s training loss (penalty included) on a fixed
/// batch, at the parameters the model had when the operator was built; see
/// the [module docs](self).
pub struct LossHessian<'m, T: Scalar, M: Model<T> + ?Sized> {
    model: &'m M,
    loss_kind: LossKind,
    batch: Batch<Dual<T>>,
    loss: f64,
    work: RefCell<Work<T>>,
}

/// What every product reuses.
struct Work<T: Scalar> {
    tape: Tape<Dual<T>>,
    grads: Gradients<Dual<T>>,
    /// The parameters as dual numbers: real parts fixed, tangents overwritten
    /// with each direction.
    params: Params<Dual<T>>,
}

impl<'m, T: Scalar, M: Model<T> + ?Sized> LossHessian<'m, T, M> {
    /// The Hessian of `model`'s loss on all of `data` (one batch) at the
    /// model's current parameters. Use [`Dataset::subset`] for a fixed part
    /// of a larger set.
    ///
    /// Fails with [`NnError::InvalidConfig`] if the data does not fit the
    /// model (features, class labels) or the model does not run on dual
    /// numbers (its [`dual_loss`](Model::dual_loss) is `None`).
    pub fn new(model: &'m M, data: &Dataset) -> Result<Self, NnError> {
        crate::train::check_data(model, data, "curvature batch")?;
        let loss_kind = model.loss_kind();
        let mut batches =
            Batches::new(data, data.len(), 0)?.class_targets(loss_kind.classes().is_some()).shuffle(false);
        let mut batch = Batch::<Dual<T>>::new();
        batches.epoch::<Dual<T>>().next_into(&mut batch);
        let params: Params<Dual<T>> =
            model.params().iter().map(|(name, m)| (name, m.map(|&w| Dual::new(w, T::zero())))).collect();
        let mut work = Work { tape: Tape::new(), grads: Gradients::empty(), params };
        // One recording with zero tangents: whether the model runs on dual
        // numbers at all, and the loss at this point.
        let loss = {
            let p = ParamVars::track(&work.tape, &work.params);
            record(model, loss_kind, &batch, &work.tape, &p).map(|l| l.value())
        };
        work.tape.clear();
        let loss = loss.ok_or_else(|| {
            NnError::config(
                "the model does not run on dual numbers (its Model::dual_loss is None), \
                 so the Hessian of its loss is not available",
            )
        })?;
        let hessian = LossHessian { model, loss_kind, batch, loss, work: RefCell::new(work) };
        Ok(hessian)
    }

    /// The training loss at the operator's point, on its batch.
    pub fn loss(&self) -> f64 {
        self.loss
    }

    /// Number of examples in the batch.
    pub fn examples(&self) -> usize {
        self.batch.len()
    }

    /// A flat vector (e.g. an eigenvector) as named parameters shaped like the
    /// model's.
    ///
    /// # Panics
    /// If `flat.len()` is not the number of parameters.
    pub fn to_params(&self, flat: &[f64]) -> Params<T> {
        let mut out = self.model.params().zeros_like();
        assert_eq!(
            flat.len(),
            out.num_elements(),
            "LossHessian::to_params: {} values for {} parameters",
            flat.len(),
            out.num_elements()
        );
        let mut at = 0;
        for (_, m) in out.iter_mut() {
            for x in m.as_mut_slice() {
                *x = T::from_f64(flat[at]);
                at += 1;
            }
        }
        out
    }
}

/// `model`'s loss of `batch` on `tape` with the dual parameters `p` (`None` if
/// the model does not run on dual numbers).
fn record<'t, T: Scalar, M: Model<T> + ?Sized>(
    model: &M,
    loss_kind: LossKind,
    batch: &Batch<Dual<T>>,
    tape: &'t Tape<Dual<T>>,
    p: &ParamVars<'_, 't, Dual<T>>,
) -> Option<Var<'t, Dual<T>>> {
    let x = tape.constant_matrix(&batch.features);
    let targets = match loss_kind {
        LossKind::SoftmaxCrossEntropy { .. } => Targets::Labels(&batch.labels),
        LossKind::BinaryLogistic | LossKind::SquaredError => Targets::Values(tape.constant_matrix(&batch.targets)),
    };
    model.dual_loss(p, x, targets)
}

impl<T: Scalar, M: Model<T> + ?Sized> LinearOperator for LossHessian<'_, T, M> {
    fn dim(&self) -> usize {
        self.model.params().num_elements()
    }

    /// `out = H·v`: one forward-over-reverse pass.
    ///
    /// # Panics
    /// If `v` or `out` is not of length [`dim`](LinearOperator::dim).
    fn apply(&self, v: &[f64], out: &mut [f64]) {
        let n = self.dim();
        assert!(
            v.len() == n && out.len() == n,
            "LossHessian::apply: vectors of {} and {} for {n} parameters",
            v.len(),
            out.len()
        );
        let mut work = self.work.borrow_mut();
        let Work { tape, grads, params } = &mut *work;
        let mut at = 0;
        for (_, m) in params.iter_mut() {
            for d in m.as_mut_slice() {
                d.eps = T::from_f64(v[at]);
                at += 1;
            }
        }
        {
            let p = ParamVars::track(tape, params);
            let loss = record(self.model, self.loss_kind, &self.batch, tape, &p)
                .expect("LossHessian::new checked that the model runs on dual numbers");
            tape.backward_into(loss, Dual::constant(T::one()), grads);
            let mut at = 0;
            for (_, var) in p.iter() {
                for d in grads.matrix(var).iter() {
                    out[at] = d.eps.value();
                    at += 1;
                }
            }
        }
        // Unshares the dual parameters, so the next direction is written in place.
        tape.clear();
    }
}
