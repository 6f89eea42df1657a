//! # wengert-optim
//!
//! Optimizers for wengert, decoupled from how gradients are computed.
//!
//! * **First-order methods** implement [`Optimizer`]: they consume parameter
//!   values and gradients as named [`Params`] (state is kept per parameter name)
//!   and update the parameters in place. Each is an update rule driven by one
//!   generic [`FirstOrder`] ([`first_order`]); their hyperparameters are checked
//!   ([`hyperparameters`]) and their state can be saved and restored bit for bit
//!   ([`state`]). The gradients of a function of named parameters come from
//!   [`value_and_grad_params`] (and `H·v` from [`hvp_params`]): the tape's
//!   matrix transforms, named like the `Params` ([`param_transforms`]).
//! * **Second-order and constrained methods** ([`second_order`], [`constrained`])
//!   work on flat `f64` vectors and take closures: value-and-gradient,
//!   Hessian-vector product, Hessian. The tape's function-returning transforms
//!   produce exactly those closures ([`wengert_tape::fns`]: `value_and_grad(f)`,
//!   `hvp(f)`, `hessian(f)`), as do the methods of an
//!   [`Objective`](wengert_tape::Objective) (`|x| obj.value_and_grad(x)`); the
//!   hand-written derivatives in [`problems`] do the same for tests and
//!   benchmarks.
//! * **Curvature analysis** ([`curvature`]): the Hessian's spectrum at a point,
//!   minimum / maximum / saddle / degenerate, the condition number, and a
//!   Jensen-inequality convexity check along a segment.
//! * **Curvature at network scale** ([`spectra`]): power iteration, Lanczos
//!   top-k / bottom-k eigenpairs, the sharpness `top_eigenvalue`, Hutchinson's
//!   trace and stochastic Lanczos quadrature for the spectral density — from
//!   Hessian-vector products only, on closures or directly on a model's
//!   [`Params`].
//! * **Gauss-Newton** ([`gauss_newton`]): generalized Gauss-Newton products for
//!   MSE and softmax cross-entropy, and the Gauss-Newton / Levenberg-Marquardt
//!   least-squares solvers. **Dense BFGS** ([`bfgs`]) and **trust-region
//!   Newton-CG** ([`trust_region`], which escapes saddles along Lanczos
//!   eigenvectors). The **soft-margin SVM** ([`svm`]) in the primal and the dual.
//!   These newer solvers return a [`SolverError`] naming the solver and the
//!   problem on bad input (a non-finite start, a closure returning the wrong
//!   dimension).
//!
//! ## The family tree
//!
//! ```text
//! gradient descent (Sgd)                 θ ← θ − ηg
//! ├── momentum (Momentum)                v ← βv + g,  θ ← θ − ηv      (heavy ball)
//! │   └── Nesterov (Nesterov)            gradient "after" the momentum step
//! ├── AdaGrad (AdaGrad)                  per-coordinate η/√(Σg²)
//! │   └── RMSProp (RmsProp)              …with a forgetting average of g²
//! │       └── Adam (Adam)                + momentum, both bias-corrected
//! │           ├── AdamW (AdamW)          decay decoupled from the adaptive scaling
//! │           ├── AMSGrad (AmsGrad)      denominator never shrinks
//! │           └── Adafactor (Adafactor)  second moment factored into rows × columns
//! ├── Lion (Lion)                        sign of an interpolated momentum
//! ├── second order (second_order)
//! │   ├── L-BFGS (lbfgs)                 curvature from the last m gradient changes
//! │   ├── BFGS (bfgs::bfgs)              the full n × n inverse-Hessian update
//! │   ├── Newton-CG (newton_cg)          Newton step by CG on Hessian-vector products
//! │   ├── trust-region Newton-CG (trust_region::trust_region_newton_cg)   Steihaug CG in a ball
//! │   └── Newton + Levenberg–Marquardt (newton_lm)   dense Hessian, damped
//! └── least squares (gauss_newton)
//!     ├── Gauss-Newton (gauss_newton::gauss_newton)          JᵀJ instead of the Hessian
//!     └── Levenberg-Marquardt (gauss_newton::levenberg_marquardt)   …damped
//! ```
//!
//! ## Which to use
//!
//! * **Deterministic, smooth, ≤ 10⁶ parameters** (fitting a model to a fixed data
//!   set, a physics objective): [`lbfgs`]. If Hessian-vector
//!   products are cheap (the tape gives them for about the price of two gradients)
//!   and high accuracy is wanted, [`newton_cg`]; for tens
//!   of parameters, [`newton_lm`].
//! * **Stochastic mini-batch training** (neural networks): [`Adam`] or [`AdamW`]
//!   (with weight decay) with a [`schedule`] (warmup + cosine is the usual
//!   recipe), [`clip_grad_norm`] for stability. [`Lion`] uses less memory and
//!   often a 3–10× smaller rate; [`Adafactor`] less still for large matrices.
//! * **Well-understood convex problems, and theory checks**: [`Sgd`],
//!   [`Momentum`], [`Nesterov`] with rates set from the smoothness L and strong
//!   convexity μ (gradient descent converges like `(κ − 1)/(κ + 1)` at best,
//!   momentum like `(√κ − 1)/(√κ + 1)`, κ = L/μ).
//! * **Sparse or very unevenly scaled features**: [`AdaGrad`]; [`RmsProp`] if the
//!   rates must be able to grow back.
//! * **Nonlinear least squares** (curve fitting): [`levenberg_marquardt`](gauss_newton::levenberg_marquardt).
//! * **Up to a few thousand parameters, gradients only**: [`bfgs`](bfgs::bfgs)
//!   keeps all curvature it has seen (and returns the inverse-Hessian
//!   approximation). **Indefinite problems with HVPs**:
//!   [`trust_region_newton_cg`](trust_region::trust_region_newton_cg), which
//!   does not stop at saddles.
//! * **Constraints**: [`projected_gradient`](constrained::projected_gradient) when
//!   the feasible set has a cheap projection (box, ball, simplex, sphere);
//!   [`augmented_lagrangian`](constrained::augmented_lagrangian) for equality
//!   constraints, [`augmented_lagrangian_inequality`](constrained::augmented_lagrangian_inequality)
//!   for inequalities `g(x) ≤ 0` (and equalities);
//!   [`kkt_report`](constrained::kkt_report) to check any candidate
//!   solution of an inequality-constrained problem.
//! * **How sharp, how curved, is it a saddle?** [`spectra`] on Hessian-vector
//!   products; [`curvature`] with the dense Hessian for small problems.
//!
//! ## Example
//!
//! ```
//! use wengert_optim::{Adam, Optimizer};
//! // Minimize (x − 3)² with Adam on a flat vector.
//! let mut opt = Adam::new().lr(0.1);
//! let mut x = [0.0f64];
//! for _ in 0..500 {
//!     let g = [2.0 * (x[0] - 3.0)];
//!     opt.step_slice(&mut x, &g);
//! }
//! assert!((x[0] - 3.0).abs() < 1e-3);
//! ```
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod bfgs;
pub mod clip;
pub mod constrained;
pub mod curvature;
pub mod first_order;
pub mod gauss_newton;
pub mod hyperparameters;
pub mod linalg;
pub mod optimizer;
pub mod param_transforms;
pub mod params;
pub mod problems;
pub mod schedule;
pub mod second_order;
pub mod solver_error;
pub mod spectra;
pub mod state;
pub mod svm;
pub mod trust_region;

pub use clip::{clip_grad_norm, clip_grad_value, clip_norm_slice, GradAccumulator};
pub use first_order::{
    AdaGrad, Adafactor, Adam, AdamW, AmsGrad, FirstOrder, Lion, Momentum, MomentumForm, Nesterov, RmsProp, Sgd,
    UpdateRule,
};
pub use hyperparameters::{Domain, HyperparameterError};
pub use optimizer::{Optimizer, FLAT_PARAM};
pub use param_transforms::{hvp_params, value_and_grad_params};
pub use params::{Grads, Params};
pub use schedule::{
    Constant, CosineAnnealing, ExponentialDecay, LrFinder, LrFinderResult, Schedule, Scheduled, StepDecay, Triangular,
    WarmRestarts, WarmupCosine,
};
pub use second_order::{lbfgs, newton_cg, newton_lm, newton_sparse, OptimResult, Termination};
pub use solver_error::SolverError;
pub use state::{OptimizerState, StateError};
