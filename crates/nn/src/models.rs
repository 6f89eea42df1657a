//! The models: [`TwoLayerNet`], [`LogisticRegression`], [`LinearRegression`]
//! and [`MatrixFactorization`].
//!
//! Each is a thin struct around a [`Params`] (so optimizers and checkpoints see
//! the same named matrices) with a forward pass written as ordinary tape code.
//! The two linear models also carry their closed forms — the gradient formula of
//! logistic regression and the normal equation of ridge regression — so the
//! tests can check the tape against the math, not only against itself.

use rand::rngs::StdRng;
use rand::SeedableRng;
use wengert_dual::Dual;
use wengert_ops::{linalg, Matrix, Scalar};
use wengert_optim::{Optimizer, Params};
use wengert_tape::{Gradients, MatVar, Tape, Var};

use crate::error::NnError;
use crate::init::Init;
use crate::layers::{Activation, Linear};
use crate::model::{loss_with_penalty, LossKind, Model, ParamVars, Targets};

// ---------------------------------------------------------------------------
// Two-layer network
// ---------------------------------------------------------------------------

/// `Linear(fc1) → activation → Linear(fc2)`: a one-hidden-layer perceptron.
///
/// With `k` classes the output is `k` logits and the loss softmax
/// cross-entropy; for two classes [`binary`](TwoLayerNet::binary) gives one
/// logit with sigmoid and [`bce_with_logits`](MatVar::bce_with_logits).
/// Parameters: `fc1.weight` (`inputs × hidden`, He-initialized for the ReLU),
/// `fc1.bias`, `fc2.weight` (`hidden × outputs`, Xavier), `fc2.bias`.
///
/// ```
/// use wengert_nn::{Model, TwoLayerNet};
/// let net = TwoLayerNet::<f32>::new(784, 256, 10, 7);
/// let names: Vec<&str> = net.params().names().collect();
/// assert_eq!(names, ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]);
/// assert_eq!(net.params().num_elements(), 784 * 256 + 256 + 256 * 10 + 10);
/// ```
#[derive(Clone, Debug)]
pub struct TwoLayerNet<T: Scalar> {
    params: Params<T>,
    fc1: Linear,
    fc2: Linear,
    activation: Activation,
    loss_kind: LossKind,
}

impl<T: Scalar> TwoLayerNet<T> {
    /// A ReLU network with `classes` softmax outputs, initialized from `seed`.
    pub fn new(inputs: usize, hidden: usize, classes: usize, seed: u64) -> Self {
        Self::build(inputs, hidden, LossKind::SoftmaxCrossEntropy { classes }, Activation::Relu, seed)
    }

    /// A ReLU network with one logit (sigmoid + binary cross-entropy) for two
    /// classes.
    pub fn binary(inputs: usize, hidden: usize, seed: u64) -> Self {
        Self::build(inputs, hidden, LossKind::BinaryLogistic, Activation::Relu, seed)
    }

    /// A network with any hidden activation and loss kind (regression with
    /// [`LossKind::SquaredError`] included).
    pub fn build(inputs: usize, hidden: usize, loss_kind: LossKind, activation: Activation, seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let fc1 = Linear::new("fc1", inputs, hidden);
        let fc2 = Linear::new("fc2", hidden, loss_kind.outputs());
        let mut params = Params::new();
        fc1.init(&mut params, activation.suggested_init(), &mut rng);
        fc2.init(&mut params, Init::XavierUniform, &mut rng);
        TwoLayerNet { params, fc1, fc2, activation, loss_kind }
    }

    /// The first layer.
    pub fn fc1(&self) -> &Linear {
        &self.fc1
    }

    /// The output layer.
    pub fn fc2(&self) -> &Linear {
        &self.fc2
    }

    /// The hidden activation.
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// The forward pass for any element type (`T`, or `Dual<T>` for
    /// Hessian-vector products).
    fn outputs<'t, U: Scalar>(&self, p: &ParamVars<'_, 't, U>, x: MatVar<'t, U>) -> MatVar<'t, U> {
        let h = self.activation.apply(self.fc1.forward(p, x));
        self.fc2.forward(p, h)
    }
}

impl<T: Scalar> Model<T> for TwoLayerNet<T> {
    fn params(&self) -> &Params<T> {
        &self.params
    }
    fn params_mut(&mut self) -> &mut Params<T> {
        &mut self.params
    }
    fn forward<'t>(&self, p: &ParamVars<'_, 't, T>, x: MatVar<'t, T>) -> MatVar<'t, T> {
        self.outputs(p, x)
    }
    fn loss_kind(&self) -> LossKind {
        self.loss_kind
    }
    fn input_features(&self) -> Option<usize> {
        Some(self.fc1.in_features())
    }
    fn linear_layers(&self) -> Vec<&Linear> {
        vec![&self.fc1, &self.fc2]
    }
    fn dual_loss<'t>(
        &self,
        p: &ParamVars<'_, 't, Dual<T>>,
        x: MatVar<'t, Dual<T>>,
        targets: Targets<'_, 't, Dual<T>>,
    ) -> Option<Var<'t, Dual<T>>> {
        Some(loss_with_penalty(self.loss_kind, self.outputs(p, x), targets, None))
    }
}

// ---------------------------------------------------------------------------
// Logistic regression
// ---------------------------------------------------------------------------

/// Logistic regression with an L2 penalty `λ/2 ‖W‖²` on the weights (the bias is
/// not penalized).
///
/// Two classes: one logit `z = x·w + b`, loss `mean bce(z, y) + λ/2 ‖w‖²`, whose
/// gradient is `∇w = Xᵀ(p − y)/N + λw`, `∇b = mean(p − y)` with `p = σ(Xw + b)`.
/// More classes: multinomial (softmax) regression, with the same formula for
/// `P = softmax(XW + b)` and one-hot `Y`. [`gradient_formula`](Self::gradient_formula)
/// evaluates it without the tape.
///
/// Parameters: `linear.weight` (`d × 1`, or `d × k`) and `linear.bias`, both
/// zero-initialized (the loss is convex).
#[derive(Clone, Debug)]
pub struct LogisticRegression<T: Scalar> {
    params: Params<T>,
    linear: Linear,
    l2: f64,
    loss_kind: LossKind,
}

impl<T: Scalar> LogisticRegression<T> {
    /// A model for `features` inputs and `classes` classes (one logit when
    /// `classes == 2`), with penalty strength `l2` (λ).
    pub fn new(features: usize, classes: usize, l2: f64) -> Self {
        let loss_kind = LossKind::for_classes(classes, true);
        let linear = Linear::new("linear", features, loss_kind.outputs());
        let mut params = Params::new();
        linear.init(&mut params, Init::Zeros, &mut StdRng::seed_from_u64(0));
        LogisticRegression { params, linear, l2, loss_kind }
    }

    /// λ, the L2 penalty strength.
    pub fn l2(&self) -> f64 {
        self.l2
    }

    /// The weight matrix (`d × 1` for two classes).
    pub fn weights(&self) -> &Matrix<T> {
        self.params.get(self.linear.weight_name()).expect("LogisticRegression has its weight")
    }

    /// The gradient of the loss at the current parameters, from the closed
    /// formula `∇W = Xᵀ(P − Y)/N + λW`, `∇b = mean(P − Y)` (computed in `f64`,
    /// without the tape), for features `x` (`N × d`) and class labels.
    pub fn gradient_formula(&self, x: &Matrix<f64>, labels: &[usize]) -> Params<f64> {
        let w: Matrix<f64> = self.weights().cast();
        let b: Matrix<f64> = self.params.get("linear.bias").expect("LogisticRegression has its bias").cast();
        let (n, d, k) = (x.rows(), x.cols(), w.cols());
        let mut z = x.matmul(&w);
        for i in 0..n {
            for j in 0..k {
                z[(i, j)] += b[(0, j)];
            }
        }
        // residual R = P − Y
        let mut r = Matrix::zeros(n, k);
        for i in 0..n {
            if k == 1 {
                r[(i, 0)] = 1.0 / (1.0 + (-z[(i, 0)]).exp()) - labels[i] as f64;
            } else {
                let max = z.row(i).iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let sum: f64 = z.row(i).iter().map(|v| (v - max).exp()).sum();
                for j in 0..k {
                    r[(i, j)] = (z[(i, j)] - max).exp() / sum - f64::from(u8::from(labels[i] == j));
                }
            }
        }
        let mut gw = x.transpose().matmul(&r);
        for a in 0..d {
            for j in 0..k {
                gw[(a, j)] = gw[(a, j)] / n as f64 + self.l2 * w[(a, j)];
            }
        }
        let gb = Matrix::from_fn(1, k, |_, j| (0..n).map(|i| r[(i, j)]).sum::<f64>() / n as f64);
        Params::new().with("linear.weight", gw).with("linear.bias", gb)
    }
}

impl<T: Scalar> Model<T> for LogisticRegression<T> {
    fn params(&self) -> &Params<T> {
        &self.params
    }
    fn params_mut(&mut self) -> &mut Params<T> {
        &mut self.params
    }
    fn forward<'t>(&self, p: &ParamVars<'_, 't, T>, x: MatVar<'t, T>) -> MatVar<'t, T> {
        self.linear.forward(p, x)
    }
    fn loss_kind(&self) -> LossKind {
        self.loss_kind
    }
    fn input_features(&self) -> Option<usize> {
        Some(self.linear.in_features())
    }
    fn linear_layers(&self) -> Vec<&Linear> {
        vec![&self.linear]
    }
    fn penalty<'t>(&self, p: &ParamVars<'_, 't, T>) -> Option<Var<'t, T>> {
        l2_term(&self.linear, self.l2, p)
    }
    fn dual_loss<'t>(
        &self,
        p: &ParamVars<'_, 't, Dual<T>>,
        x: MatVar<'t, Dual<T>>,
        targets: Targets<'_, 't, Dual<T>>,
    ) -> Option<Var<'t, Dual<T>>> {
        Some(loss_with_penalty(self.loss_kind, self.linear.forward(p, x), targets, l2_term(&self.linear, self.l2, p)))
    }
}

// ---------------------------------------------------------------------------
// Linear regression
// ---------------------------------------------------------------------------

/// Linear (ridge) regression: `ŷ = x·w + b`, loss `mean (ŷ − y)² + λ/2 ‖w‖²`.
///
/// Train it like any [`Model`] (by gradient descent), or solve it exactly with
/// [`closed_form`](Self::closed_form); the two must agree, which the tests check.
#[derive(Clone, Debug)]
pub struct LinearRegression<T: Scalar> {
    params: Params<T>,
    linear: Linear,
    l2: f64,
}

impl<T: Scalar> LinearRegression<T> {
    /// A zero-initialized model for `features` inputs with penalty `l2` (λ).
    pub fn new(features: usize, l2: f64) -> Self {
        let linear = Linear::new("linear", features, 1);
        let mut params = Params::new();
        linear.init(&mut params, Init::Zeros, &mut StdRng::seed_from_u64(0));
        LinearRegression { params, linear, l2 }
    }

    /// λ, the L2 penalty strength.
    pub fn l2(&self) -> f64 {
        self.l2
    }

    /// The exact minimizer, from the normal equation. With `A = [X 1]` and
    /// `D = diag(1, …, 1, 0)` (the bias is not penalized), setting the gradient
    /// `2/N Aᵀ(Aθ − y) + λDθ` to zero gives
    /// `(AᵀA + (Nλ/2) D) θ = Aᵀy`, solved by LU ([`wengert_ops::linalg::solve`]).
    ///
    /// Fails with [`NnError::Linalg`] if the system is singular (e.g. a constant
    /// feature with `λ = 0`), or [`NnError::InvalidConfig`] if `y` does not have
    /// one target per row.
    pub fn closed_form(x: &Matrix<T>, y: &[T], l2: f64) -> Result<Self, NnError> {
        let (n, d) = x.shape();
        if y.len() != n {
            return Err(NnError::config(format!(
                "LinearRegression::closed_form: {n} feature rows but {} targets",
                y.len()
            )));
        }
        let a = Matrix::from_fn(n, d + 1, |i, j| if j < d { x[(i, j)] } else { T::one() });
        let mut ata = a.transpose().matmul(&a);
        let ridge = T::from_f64(n as f64 * l2 / 2.0);
        for j in 0..d {
            ata[(j, j)] += ridge;
        }
        let aty = a.transpose().matmul(&Matrix::col_vector(y));
        let theta = linalg::solve(&ata, &aty)
            .map_err(|source| NnError::Linalg { context: "LinearRegression::closed_form".into(), source })?;
        let mut model = Self::new(d, l2);
        let w = Matrix::from_fn(d, 1, |i, _| theta[(i, 0)]);
        model.params.insert("linear.weight", w);
        model.params.insert("linear.bias", Matrix::from_vec(1, 1, vec![theta[(d, 0)]]));
        Ok(model)
    }

    /// Predictions `x·w + b` for the rows of `x`, computed without a tape.
    pub fn predict(&self, x: &Matrix<T>) -> Vec<T> {
        let w = self.params.get("linear.weight").expect("LinearRegression has its weight");
        let b = self.params.get("linear.bias").expect("LinearRegression has its bias")[(0, 0)];
        x.matmul(w).iter().map(|&v| v + b).collect()
    }
}

impl<T: Scalar> Model<T> for LinearRegression<T> {
    fn params(&self) -> &Params<T> {
        &self.params
    }
    fn params_mut(&mut self) -> &mut Params<T> {
        &mut self.params
    }
    fn forward<'t>(&self, p: &ParamVars<'_, 't, T>, x: MatVar<'t, T>) -> MatVar<'t, T> {
        self.linear.forward(p, x)
    }
    fn loss_kind(&self) -> LossKind {
        LossKind::SquaredError
    }
    fn input_features(&self) -> Option<usize> {
        Some(self.linear.in_features())
    }
    fn linear_layers(&self) -> Vec<&Linear> {
        vec![&self.linear]
    }
    fn penalty<'t>(&self, p: &ParamVars<'_, 't, T>) -> Option<Var<'t, T>> {
        l2_term(&self.linear, self.l2, p)
    }
    fn dual_loss<'t>(
        &self,
        p: &ParamVars<'_, 't, Dual<T>>,
        x: MatVar<'t, Dual<T>>,
        targets: Targets<'_, 't, Dual<T>>,
    ) -> Option<Var<'t, Dual<T>>> {
        Some(loss_with_penalty(
            LossKind::SquaredError,
            self.linear.forward(p, x),
            targets,
            l2_term(&self.linear, self.l2, p),
        ))
    }
}

/// The penalty `λ/2 ‖W‖²` on `linear`'s weight (none when `λ = 0`), for any
/// element type.
fn l2_term<'t, U: Scalar>(linear: &Linear, l2: f64, p: &ParamVars<'_, 't, U>) -> Option<Var<'t, U>> {
    (l2 != 0.0).then(|| p.get(linear.weight_name()).l2_penalty() * l2)
}

// ---------------------------------------------------------------------------
// Matrix factorization
// ---------------------------------------------------------------------------

/// Low-rank matrix completion: a ratings matrix `R ≈ U Vᵀ` with user factors
/// `U` (`users × rank`, parameter `user_factors`) and item factors `V`
/// (`items × rank`, `item_factors`), fit on the observed entries only, with an
/// L2 penalty `λ/2 (‖U‖² + ‖V‖²)`.
///
/// Two equivalent losses: [`loss_observed`](Self::loss_observed) gathers the
/// factor rows of each observed `(user, item)` pair (cost proportional to the
/// number of observations), [`loss_masked`](Self::loss_masked) forms the whole
/// product and masks it (simpler, fine for small dense matrices).
#[derive(Clone, Debug)]
pub struct MatrixFactorization<T: Scalar> {
    params: Params<T>,
    l2: f64,
}

impl<T: Scalar> MatrixFactorization<T> {
    /// Factors drawn from `N(0, 0.1²)` with `seed`.
    pub fn new(users: usize, items: usize, rank: usize, l2: f64, seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let params = Params::new()
            .with("user_factors", Init::Normal(0.1).matrix(users, rank, &mut rng))
            .with("item_factors", Init::Normal(0.1).matrix(items, rank, &mut rng));
        MatrixFactorization { params, l2 }
    }

    /// The parameters (`user_factors`, `item_factors`).
    pub fn params(&self) -> &Params<T> {
        &self.params
    }

    /// The parameters, for an optimizer step.
    pub fn params_mut(&mut self) -> &mut Params<T> {
        &mut self.params
    }

    fn penalty<'t>(&self, u: MatVar<'t, T>, v: MatVar<'t, T>) -> Var<'t, T> {
        (u.l2_penalty() + v.l2_penalty()) * self.l2
    }

    /// `mean over observations (U[uₖ]·V[iₖ] − rₖ)² + λ/2 (‖U‖² + ‖V‖²)` for the
    /// observed triples `(users[k], items[k], ratings[k])`; `ratings` is an
    /// `n × 1` constant.
    pub fn loss_observed<'t>(
        &self,
        p: &ParamVars<'_, 't, T>,
        users: &[usize],
        items: &[usize],
        ratings: MatVar<'t, T>,
    ) -> Var<'t, T> {
        let (u, v) = (p.get("user_factors"), p.get("item_factors"));
        let pred = u.gather_rows(users).mul_elem(v.gather_rows(items)).sum_per_row();
        pred.mse(ratings) + self.penalty(u, v)
    }

    /// `masked_mse(U Vᵀ, target, mask) + λ/2 (‖U‖² + ‖V‖²)`: the mean squared
    /// error over the entries where `mask` is 1.
    pub fn loss_masked<'t>(&self, p: &ParamVars<'_, 't, T>, target: MatVar<'t, T>, mask: MatVar<'t, T>) -> Var<'t, T> {
        let (u, v) = (p.get("user_factors"), p.get("item_factors"));
        u.matmul_nt(v).masked_mse(target, mask) + self.penalty(u, v)
    }

    /// The predicted rating of `(user, item)`.
    pub fn predict(&self, user: usize, item: usize) -> f64 {
        let u = self.params.get("user_factors").expect("MatrixFactorization has user factors");
        let v = self.params.get("item_factors").expect("MatrixFactorization has item factors");
        u.row(user).iter().zip(v.row(item)).map(|(a, b)| a.value() * b.value()).sum()
    }

    /// Root mean squared error of the predictions on `(user, item, rating)` triples.
    pub fn rmse(&self, entries: &[(usize, usize, f64)]) -> f64 {
        let se: f64 = entries.iter().map(|&(u, i, r)| (self.predict(u, i) - r).powi(2)).sum();
        (se / entries.len().max(1) as f64).sqrt()
    }

    /// Full-batch training on the observed triples for `steps` optimizer steps
    /// with [`loss_observed`](Self::loss_observed); returns the loss per step.
    /// The tape and the gradient buffers are reused across steps.
    pub fn fit<O: Optimizer<T> + ?Sized>(
        &mut self,
        entries: &[(usize, usize, f64)],
        optimizer: &mut O,
        steps: usize,
    ) -> Vec<f64> {
        let users: Vec<usize> = entries.iter().map(|e| e.0).collect();
        let items: Vec<usize> = entries.iter().map(|e| e.1).collect();
        let ratings = Matrix::from_fn(entries.len(), 1, |k, _| T::from_f64(entries[k].2));
        let (mut tape, mut grads, mut g) = (Tape::new(), Gradients::empty(), Params::new());
        let mut losses = Vec::with_capacity(steps);
        for _ in 0..steps {
            {
                let p = ParamVars::track(&tape, &self.params);
                let loss = self.loss_observed(&p, &users, &items, tape.constant_matrix(&ratings));
                tape.backward_into(loss, T::one(), &mut grads);
                p.gradients_into(&grads, &mut g);
                losses.push(loss.value());
            }
            tape.clear();
            optimizer.step(&mut self.params, &g);
        }
        losses
    }
}
