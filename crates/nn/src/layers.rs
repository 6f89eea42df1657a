//! Layers: [`Linear`] and the elementwise [`Activation`]s.
//!
//! A layer owns no numbers. It knows its parameter names (`"fc1.weight"`,
//! `"fc1.bias"`) and shapes, creates them in a [`Params`] with
//! [`init`](Linear::init), and applies itself to [`MatVar`]s looked up by those
//! names. Keeping the numbers in one [`Params`] is what lets a single optimizer
//! and a single checkpoint file serve every model.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use wengert_ops::Scalar;
use wengert_optim::Params;
use wengert_tape::MatVar;

use crate::init::Init;
use crate::model::ParamVars;

/// A fully connected layer `y = x·W + b`: `W` is `in_features × out_features`
/// (so a batch of row vectors multiplies on the left) and `b` a `1 × out`
/// row broadcast over the batch.
///
/// ```
/// use rand::SeedableRng;
/// use wengert_nn::{Init, Linear, ParamVars};
/// use wengert_ops::Matrix;
/// use wengert_optim::Params;
/// use wengert_tape::Tape;
///
/// let fc = Linear::new("fc1", 3, 2);
/// let mut params = Params::<f64>::new();
/// fc.init(&mut params, Init::XavierUniform, &mut rand::rngs::StdRng::seed_from_u64(0));
/// assert_eq!(params.get("fc1.weight").unwrap().shape(), (3, 2));
/// assert_eq!(params.get("fc1.bias").unwrap().shape(), (1, 2));
///
/// let tape = Tape::new();
/// let p = ParamVars::track(&tape, &params);
/// let y = fc.forward(&p, tape.constant_matrix(&Matrix::zeros(5, 3)));
/// assert_eq!(y.shape(), (5, 2));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Linear {
    weight: String,
    bias: Option<String>,
    in_features: usize,
    out_features: usize,
}

impl Linear {
    /// A layer called `name` (parameters `name.weight` and `name.bias`).
    pub fn new(name: &str, in_features: usize, out_features: usize) -> Self {
        Linear { weight: format!("{name}.weight"), bias: Some(format!("{name}.bias")), in_features, out_features }
    }

    /// The same layer without a bias.
    pub fn without_bias(mut self) -> Self {
        self.bias = None;
        self
    }

    /// The layer's name (`fc1` for parameters `fc1.weight` and `fc1.bias`).
    pub fn name(&self) -> &str {
        self.weight.strip_suffix(".weight").unwrap_or(&self.weight)
    }

    /// Name of the weight parameter.
    pub fn weight_name(&self) -> &str {
        &self.weight
    }

    /// Name of the bias parameter, if the layer has one.
    pub fn bias_name(&self) -> Option<&str> {
        self.bias.as_deref()
    }

    /// Number of input features.
    pub fn in_features(&self) -> usize {
        self.in_features
    }

    /// Number of output features.
    pub fn out_features(&self) -> usize {
        self.out_features
    }

    /// Creates the parameters in `params`: the weight drawn from `init`, the
    /// bias zero.
    pub fn init<T: Scalar, R: Rng + ?Sized>(&self, params: &mut Params<T>, init: Init, rng: &mut R) {
        params.insert(self.weight.clone(), init.matrix(self.in_features, self.out_features, rng));
        if let Some(b) = &self.bias {
            params.insert(b.clone(), Init::Zeros.matrix(1, self.out_features, rng));
        }
    }

    /// [`init`](Self::init) with the weight drawn from
    /// `StdRng::seed_from_u64(seed)`: no RNG to pass.
    ///
    /// ```
    /// use wengert_nn::{Init, Linear};
    /// use wengert_optim::Params;
    /// let mut params = Params::<f64>::new();
    /// Linear::new("fc1", 3, 2).init_seeded(&mut params, Init::HeNormal, 42);
    /// assert_eq!(params.names().collect::<Vec<_>>(), ["fc1.weight", "fc1.bias"]);
    /// ```
    pub fn init_seeded<T: Scalar>(&self, params: &mut Params<T>, init: Init, seed: u64) {
        self.init(params, init, &mut StdRng::seed_from_u64(seed));
    }

    /// `x·W + b` for a batch `x` of `n × in_features`.
    ///
    /// # Panics
    /// If `x` has the wrong number of columns (the message names the layer).
    pub fn forward<'t, T: Scalar>(&self, p: &ParamVars<'_, 't, T>, x: MatVar<'t, T>) -> MatVar<'t, T> {
        assert_eq!(
            x.cols(),
            self.in_features,
            "Linear `{}`: input has {} features, the layer expects {}",
            self.weight,
            x.cols(),
            self.in_features
        );
        let y = x.matmul(p.get(&self.weight));
        match &self.bias {
            Some(b) => y + p.get(b),
            None => y,
        }
    }
}

/// An elementwise activation function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// `max(x, 0)`.
    Relu,
    /// `1 / (1 + e^{−x})`.
    Sigmoid,
    /// `tanh x`.
    Tanh,
    /// `ln(1 + eˣ)`.
    Softplus,
    /// `x` (no activation).
    Identity,
}

impl Activation {
    /// Applies the activation elementwise.
    pub fn apply<'t, T: Scalar>(self, x: MatVar<'t, T>) -> MatVar<'t, T> {
        match self {
            Activation::Relu => x.relu(),
            Activation::Sigmoid => x.sigmoid(),
            Activation::Tanh => x.tanh(),
            Activation::Softplus => x.softplus(),
            Activation::Identity => x,
        }
    }

    /// The initializer that suits a layer followed by this activation: He for
    /// ReLU-like functions, Xavier for the symmetric ones.
    pub fn suggested_init(self) -> Init {
        match self {
            Activation::Relu | Activation::Softplus => Init::HeNormal,
            Activation::Sigmoid | Activation::Tanh | Activation::Identity => Init::XavierUniform,
        }
    }
}
