//! First-order optimizers: gradient descent and its momentum and adaptive descendants.
//!
//! Every optimizer is a config struct with builder methods (`Adam::new().lr(3e-4)`)
//! and documented defaults, plus its per-parameter state. All of them accept an
//! optional *coupled* L2 weight decay [`l2`](Adam::l2): the gradient is replaced by
//! `g + λθ` before the method sees it, exactly as if `λ/2 ‖θ‖²` were added to the
//! loss. [`AdamW`] and [`Lion`] additionally have a *decoupled* decay (applied to
//! the parameters directly, outside the adaptive scaling); see [`AdamW`] for why
//! the two differ.
//!
//! Arithmetic is done in `T` (so `f32` models keep `f32` state); step-dependent
//! constants such as Adam's bias corrections are computed in `f64` and converted
//! once per step.

use wengert_ops::Scalar;

use crate::optimizer::{for_each_param, optimizer_boilerplate, StateMap};
use crate::params::{Grads, Params};

fn c<T: Scalar>(x: f64) -> T {
    T::from_f64(x)
}

// ---------------------------------------------------------------------------------
// Gradient descent
// ---------------------------------------------------------------------------------

/// Plain (stochastic) gradient descent: `θ ← θ − η g`.
///
/// Defaults: `lr` 0.01, `l2` 0.
#[derive(Clone, Debug)]
pub struct Sgd<T> {
    lr: f64,
    l2: f64,
    t: u64,
    state: StateMap<std::marker::PhantomData<T>>,
}

impl<T: Scalar> Default for Sgd<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Scalar> Sgd<T> {
    /// Gradient descent with the default learning rate 0.01.
    pub fn new() -> Self {
        Sgd { lr: 0.01, l2: 0.0, t: 0, state: StateMap::new() }
    }
    /// Sets the learning rate η.
    pub fn lr(mut self, lr: f64) -> Self {
        self.lr = lr;
        self
    }
    /// Sets the coupled L2 weight decay λ (`g ← g + λθ`).
    pub fn l2(mut self, l2: f64) -> Self {
        self.l2 = l2;
        self
    }
    fn step_impl(&mut self, params: &mut Params<T>, grads: &Grads<T>) {
        let lr: T = c(self.lr);
        for_each_param(
            "Sgd::step",
            params,
            grads,
            self.l2,
            &mut self.state,
            |_| std::marker::PhantomData,
            |th, g, _, _| {
                for (t, &g) in th.iter_mut().zip(g) {
                    *t -= lr * g;
                }
            },
        );
    }
}
optimizer_boilerplate!(Sgd);

// ---------------------------------------------------------------------------------
// Momentum and Nesterov
// ---------------------------------------------------------------------------------

/// Which of the two common momentum conventions [`Momentum`] uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MomentumForm {
    /// Polyak's heavy ball as written in most deep-learning libraries:
    /// `v ← βv + g`, `θ ← θ − ηv`. Equivalent to
    /// `θ_{k+1} = θ_k − η g_k + β(θ_k − θ_{k−1})`, so the theory's optimal
    /// `(η, β)` for quadratics apply directly.
    Classical,
    /// Exponential moving average of gradients: `v ← βv + (1 − β)g`, `θ ← θ − ηv`.
    /// Same trajectory as `Classical` with learning rate `η(1 − β)`; the step size
    /// stays comparable to plain SGD when β changes.
    Ema,
}

/// Gradient descent with momentum, in either [`MomentumForm`].
///
/// Defaults: `lr` 0.01, `beta` 0.9, form [`MomentumForm::Classical`], `l2` 0.
#[derive(Clone, Debug)]
pub struct Momentum<T> {
    lr: f64,
    beta: f64,
    form: MomentumForm,
    l2: f64,
    t: u64,
    state: StateMap<Vec<T>>,
}

impl<T: Scalar> Default for Momentum<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Scalar> Momentum<T> {
    /// Classical (heavy-ball) momentum with the defaults.
    pub fn new() -> Self {
        Momentum { lr: 0.01, beta: 0.9, form: MomentumForm::Classical, l2: 0.0, t: 0, state: StateMap::new() }
    }
    /// Classical momentum `v ← βv + g`, `θ ← θ − ηv` with the given η and β.
    pub fn classical(lr: f64, beta: f64) -> Self {
        Self::new().lr(lr).beta(beta)
    }
    /// EMA momentum `v ← βv + (1 − β)g`, `θ ← θ − ηv` with the given η and β.
    pub fn ema(lr: f64, beta: f64) -> Self {
        Self::new().lr(lr).beta(beta).form(MomentumForm::Ema)
    }
    /// Sets the learning rate η.
    pub fn lr(mut self, lr: f64) -> Self {
        self.lr = lr;
        self
    }
    /// Sets the momentum coefficient β ∈ [0, 1).
    pub fn beta(mut self, beta: f64) -> Self {
        self.beta = beta;
        self
    }
    /// Sets the momentum convention.
    pub fn form(mut self, form: MomentumForm) -> Self {
        self.form = form;
        self
    }
    /// Sets the coupled L2 weight decay λ (`g ← g + λθ`).
    pub fn l2(mut self, l2: f64) -> Self {
        self.l2 = l2;
        self
    }
    fn step_impl(&mut self, params: &mut Params<T>, grads: &Grads<T>) {
        let (lr, beta): (T, T) = (c(self.lr), c(self.beta));
        let gscale: T = match self.form {
            MomentumForm::Classical => T::one(),
            MomentumForm::Ema => c(1.0 - self.beta),
        };
        for_each_param(
            "Momentum::step",
            params,
            grads,
            self.l2,
            &mut self.state,
            |p| vec![T::zero(); p.len()],
            |th, g, v, _| {
                for ((t, &g), v) in th.iter_mut().zip(g).zip(v.iter_mut()) {
                    *v = beta * *v + gscale * g;
                    *t -= lr * *v;
                }
            },
        );
    }
}
optimizer_boilerplate!(Momentum);

/// Nesterov accelerated gradient in the "look-ahead" form used by deep-learning
/// libraries: `v ← βv + g`, `θ ← θ − η(g + βv)`.
///
/// This is Nesterov's method reparametrised so the gradient is taken at the stored
/// iterate. On a quadratic mode of curvature λ its characteristic polynomial is
/// `z² − (1 + β)(1 − ηλ)z + β(1 − ηλ)`, versus heavy ball's
/// `z² − (1 + β − ηλ)z + β`: with the same (η, β) an under-damped mode contracts
/// by `√(β(1 − ηλ))` per step instead of `√β`.
///
/// Defaults: `lr` 0.01, `beta` 0.9, `l2` 0.
#[derive(Clone, Debug)]
pub struct Nesterov<T> {
    lr: f64,
    beta: f64,
    l2: f64,
    t: u64,
    state: StateMap<Vec<T>>,
}

impl<T: Scalar> Default for Nesterov<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Scalar> Nesterov<T> {
    /// Nesterov momentum with the defaults.
    pub fn new() -> Self {
        Nesterov { lr: 0.01, beta: 0.9, l2: 0.0, t: 0, state: StateMap::new() }
    }
    /// Sets the learning rate η.
    pub fn lr(mut self, lr: f64) -> Self {
        self.lr = lr;
        self
    }
    /// Sets the momentum coefficient β ∈ [0, 1).
    pub fn beta(mut self, beta: f64) -> Self {
        self.beta = beta;
        self
    }
    /// Sets the coupled L2 weight decay λ (`g ← g + λθ`).
    pub fn l2(mut self, l2: f64) -> Self {
        self.l2 = l2;
        self
    }
    fn step_impl(&mut self, params: &mut Params<T>, grads: &Grads<T>) {
        let (lr, beta): (T, T) = (c(self.lr), c(self.beta));
        for_each_param(
            "Nesterov::step",
            params,
            grads,
            self.l2,
            &mut self.state,
            |p| vec![T::zero(); p.len()],
            |th, g, v, _| {
                for ((t, &g), v) in th.iter_mut().zip(g).zip(v.iter_mut()) {
                    *v = beta * *v + g;
                    *t -= lr * (g + beta * *v);
                }
            },
        );
    }
}
optimizer_boilerplate!(Nesterov);

// ---------------------------------------------------------------------------------
// AdaGrad and RMSProp
// ---------------------------------------------------------------------------------

/// AdaGrad: per-coordinate rates shrinking with the accumulated squared gradient.
/// `G ← G + g²`, `θ ← θ − η g / (√G + ε)`.
///
/// Because `G` only grows, the effective rate `η / (√G + ε)` of every coordinate is
/// non-increasing ([`effective_learning_rates`](AdaGrad::effective_learning_rates)).
///
/// Defaults: `lr` 0.01, `eps` 1e-10, `initial_accumulator` 0, `l2` 0.
#[derive(Clone, Debug)]
pub struct AdaGrad<T> {
    lr: f64,
    eps: f64,
    initial_accumulator: f64,
    l2: f64,
    t: u64,
    state: StateMap<Vec<T>>,
}

impl<T: Scalar> Default for AdaGrad<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Scalar> AdaGrad<T> {
    /// AdaGrad with the defaults.
    pub fn new() -> Self {
        AdaGrad { lr: 0.01, eps: 1e-10, initial_accumulator: 0.0, l2: 0.0, t: 0, state: StateMap::new() }
    }
    /// Sets the learning rate η.
    pub fn lr(mut self, lr: f64) -> Self {
        self.lr = lr;
        self
    }
    /// Sets ε, added to `√G` in the denominator.
    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }
    /// Sets the starting value of the accumulator `G`.
    pub fn initial_accumulator(mut self, g0: f64) -> Self {
        self.initial_accumulator = g0;
        self
    }
    /// Sets the coupled L2 weight decay λ (`g ← g + λθ`).
    pub fn l2(mut self, l2: f64) -> Self {
        self.l2 = l2;
        self
    }
    /// The current per-coordinate rates `η / (√G + ε)` of parameter `name`, or
    /// `None` before the parameter's first step.
    pub fn effective_learning_rates(&self, name: &str) -> Option<Vec<f64>> {
        self.state.get(name).map(|acc| acc.iter().map(|g| self.lr / (g.value().sqrt() + self.eps)).collect())
    }
    fn step_impl(&mut self, params: &mut Params<T>, grads: &Grads<T>) {
        let (lr, eps, g0): (T, T, T) = (c(self.lr), c(self.eps), c(self.initial_accumulator));
        for_each_param(
            "AdaGrad::step",
            params,
            grads,
            self.l2,
            &mut self.state,
            |p| vec![g0; p.len()],
            |th, g, acc, _| {
                for ((t, &g), a) in th.iter_mut().zip(g).zip(acc.iter_mut()) {
                    *a += g * g;
                    *t -= lr * g / (a.sqrt() + eps);
                }
            },
        );
    }
}
optimizer_boilerplate!(AdaGrad);

/// RMSProp: AdaGrad with a forgetting accumulator, so rates can recover.
/// `v ← ρv + (1 − ρ)g²`, `θ ← θ − η g / (√v + ε)`.
///
/// Defaults: `lr` 1e-3, `rho` 0.9 (Hinton's lecture value), `eps` 1e-8, `l2` 0.
#[derive(Clone, Debug)]
pub struct RmsProp<T> {
    lr: f64,
    rho: f64,
    eps: f64,
    l2: f64,
    t: u64,
    state: StateMap<Vec<T>>,
}

impl<T: Scalar> Default for RmsProp<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Scalar> RmsProp<T> {
    /// RMSProp with the defaults.
    pub fn new() -> Self {
        RmsProp { lr: 1e-3, rho: 0.9, eps: 1e-8, l2: 0.0, t: 0, state: StateMap::new() }
    }
    /// Sets the learning rate η.
    pub fn lr(mut self, lr: f64) -> Self {
        self.lr = lr;
        self
    }
    /// Sets the decay ρ of the squared-gradient average.
    pub fn rho(mut self, rho: f64) -> Self {
        self.rho = rho;
        self
    }
    /// Sets ε, added to `√v` in the denominator.
    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }
    /// Sets the coupled L2 weight decay λ (`g ← g + λθ`).
    pub fn l2(mut self, l2: f64) -> Self {
        self.l2 = l2;
        self
    }
    fn step_impl(&mut self, params: &mut Params<T>, grads: &Grads<T>) {
        let (lr, rho, eps): (T, T, T) = (c(self.lr), c(self.rho), c(self.eps));
        let one_m_rho: T = c(1.0 - self.rho);
        for_each_param(
            "RmsProp::step",
            params,
            grads,
            self.l2,
            &mut self.state,
            |p| vec![T::zero(); p.len()],
            |th, g, v, _| {
                for ((t, &g), v) in th.iter_mut().zip(g).zip(v.iter_mut()) {
                    *v = rho * *v + one_m_rho * g * g;
                    *t -= lr * g / (v.sqrt() + eps);
                }
            },
        );
    }
}
optimizer_boilerplate!(RmsProp);

// ---------------------------------------------------------------------------------
// Adam family
// ---------------------------------------------------------------------------------

/// First and second moment estimates of one parameter (plus the running maximum
/// of the second moment for AMSGrad; empty otherwise).
#[derive(Clone, Debug)]
struct Moments<T> {
    m: Vec<T>,
    v: Vec<T>,
    vmax: Vec<T>,
}

/// The shared Adam update. `decoupled` is AdamW's λ (0 for Adam), `amsgrad`
/// switches to the running maximum of `v`.
#[allow(clippy::too_many_arguments)]
fn adam_update<T: Scalar>(
    th: &mut [T],
    g: &[T],
    s: &mut Moments<T>,
    t: u64,
    lr: f64,
    b1: f64,
    b2: f64,
    eps: f64,
    decoupled: f64,
    amsgrad: bool,
) {
    let bc1 = 1.0 - b1.powf(t as f64);
    let bc2 = 1.0 - b2.powf(t as f64);
    let (beta1, beta2, one_b1, one_b2): (T, T, T, T) = (c(b1), c(b2), c(1.0 - b1), c(1.0 - b2));
    let (step, inv_bc2, eps_t, shrink): (T, T, T, T) = (c(lr / bc1), c(1.0 / bc2), c(eps), c(1.0 - lr * decoupled));
    for i in 0..th.len() {
        let gi = g[i];
        s.m[i] = beta1 * s.m[i] + one_b1 * gi;
        s.v[i] = beta2 * s.v[i] + one_b2 * gi * gi;
        let v = if amsgrad {
            s.vmax[i] = s.vmax[i].max(s.v[i]);
            s.vmax[i]
        } else {
            s.v[i]
        };
        // θ ← (1 − ηλ)θ − η m̂ / (√v̂ + ε), with m̂ = m / bc1 and v̂ = v / bc2.
        th[i] = shrink * th[i] - step * s.m[i] / ((v * inv_bc2).sqrt() + eps_t);
    }
}

macro_rules! adam_like {
    ($(#[$doc:meta])* $name:ident, $ctx:literal, decoupled: $has_decoupled:tt, amsgrad: $ams:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name<T> {
            lr: f64,
            beta1: f64,
            beta2: f64,
            eps: f64,
            l2: f64,
            weight_decay: f64,
            t: u64,
            state: StateMap<Moments<T>>,
        }

        impl<T: Scalar> Default for $name<T> {
            fn default() -> Self {
                Self::new()
            }
        }

        impl<T: Scalar> $name<T> {
            /// A new optimizer with the documented defaults.
            pub fn new() -> Self {
                $name {
                    lr: 1e-3,
                    beta1: 0.9,
                    beta2: 0.999,
                    eps: 1e-8,
                    l2: 0.0,
                    weight_decay: adam_like!(@default_wd $has_decoupled),
                    t: 0,
                    state: StateMap::new(),
                }
            }
            /// Sets the learning rate η.
            pub fn lr(mut self, lr: f64) -> Self {
                self.lr = lr;
                self
            }
            /// Sets β₁, the decay of the first-moment (gradient) average.
            pub fn beta1(mut self, beta1: f64) -> Self {
                self.beta1 = beta1;
                self
            }
            /// Sets β₂, the decay of the second-moment (squared gradient) average.
            pub fn beta2(mut self, beta2: f64) -> Self {
                self.beta2 = beta2;
                self
            }
            /// Sets ε, added to `√v̂` in the denominator.
            pub fn eps(mut self, eps: f64) -> Self {
                self.eps = eps;
                self
            }
            /// Sets the coupled L2 weight decay λ (`g ← g + λθ`, before the moments).
            pub fn l2(mut self, l2: f64) -> Self {
                self.l2 = l2;
                self
            }
            adam_like!(@wd_setter $has_decoupled);
            fn step_impl(&mut self, params: &mut Params<T>, grads: &Grads<T>) {
                let (t, lr, b1, b2, eps, wd) = (self.t, self.lr, self.beta1, self.beta2, self.eps, self.weight_decay);
                for_each_param(
                    $ctx,
                    params,
                    grads,
                    self.l2,
                    &mut self.state,
                    |p| Moments {
                        m: vec![T::zero(); p.len()],
                        v: vec![T::zero(); p.len()],
                        vmax: if $ams { vec![T::zero(); p.len()] } else { Vec::new() },
                    },
                    |th, g, s, _| adam_update(th, g, s, t, lr, b1, b2, eps, wd, $ams),
                );
            }
        }
        optimizer_boilerplate!($name);
    };
    (@default_wd true) => { 0.01 };
    (@default_wd false) => { 0.0 };
    (@wd_setter true) => {
        /// Sets the decoupled weight decay λ: `θ ← (1 − ηλ)θ` each step, outside the
        /// adaptive scaling.
        pub fn weight_decay(mut self, weight_decay: f64) -> Self {
            self.weight_decay = weight_decay;
            self
        }
    };
    (@wd_setter false) => {};
}

adam_like!(
    /// Adam (Kingma & Ba): momentum on the gradient and an RMSProp denominator, both
    /// bias-corrected.
    ///
    /// `m ← β₁m + (1 − β₁)g`, `v ← β₂v + (1 − β₂)g²`, `m̂ = m/(1 − β₁ᵗ)`,
    /// `v̂ = v/(1 − β₂ᵗ)`, `θ ← θ − η m̂ / (√v̂ + ε)`.
    ///
    /// Bias correction makes the first step `η g/(|g| + ε)`, i.e. magnitude η per
    /// coordinate, instead of the tiny `η(1 − β₁)/√(1 − β₂)`-scaled step the raw
    /// moments would give.
    ///
    /// Defaults: `lr` 1e-3, `beta1` 0.9, `beta2` 0.999, `eps` 1e-8, `l2` 0.
    Adam, "Adam::step", decoupled: false, amsgrad: false
);

adam_like!(
    /// AdamW (Loshchilov & Hutter): Adam with decoupled weight decay,
    /// `θ ← (1 − ηλ)θ − η m̂/(√v̂ + ε)`.
    ///
    /// Why it differs from Adam + L2 ([`Adam::l2`]): coupled L2 adds `λθ` to the
    /// gradient, which is then divided by `√v̂`; parameters with large gradients get
    /// less decay, and the decay's strength changes when the loss is rescaled.
    /// AdamW shrinks every parameter by the same factor `1 − ηλ` whatever the
    /// gradients are.
    ///
    /// Defaults: `lr` 1e-3, `beta1` 0.9, `beta2` 0.999, `eps` 1e-8,
    /// `weight_decay` 0.01 (decoupled), `l2` 0.
    AdamW, "AdamW::step", decoupled: true, amsgrad: false
);

adam_like!(
    /// AMSGrad (Reddi et al.): Adam whose denominator uses the running maximum of
    /// the second moment, `v_max ← max(v_max, v)`, `θ ← θ − η m̂/(√(v_max/(1 − β₂ᵗ)) + ε)`,
    /// so per-coordinate rates never grow (fixing Adam's non-convergence example).
    ///
    /// Defaults: `lr` 1e-3, `beta1` 0.9, `beta2` 0.999, `eps` 1e-8, `l2` 0.
    AmsGrad, "AmsGrad::step", decoupled: false, amsgrad: true
);

// ---------------------------------------------------------------------------------
// Lion
// ---------------------------------------------------------------------------------

/// Lion (Chen et al., "Symbolic Discovery of Optimization Algorithms"): a sign
/// update on an interpolation of momentum and gradient.
///
/// `u = sign(β₁m + (1 − β₁)g)`, `θ ← θ − η(u + λθ)`, `m ← β₂m + (1 − β₂)g`.
/// Every coordinate moves by exactly η (plus decay), so η is typically 3–10×
/// smaller than Adam's; only one state vector is kept.
///
/// Defaults: `lr` 1e-4, `beta1` 0.9, `beta2` 0.99, `weight_decay` 0 (decoupled),
/// `l2` 0.
#[derive(Clone, Debug)]
pub struct Lion<T> {
    lr: f64,
    beta1: f64,
    beta2: f64,
    weight_decay: f64,
    l2: f64,
    t: u64,
    state: StateMap<Vec<T>>,
}

impl<T: Scalar> Default for Lion<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Scalar> Lion<T> {
    /// Lion with the defaults.
    pub fn new() -> Self {
        Lion { lr: 1e-4, beta1: 0.9, beta2: 0.99, weight_decay: 0.0, l2: 0.0, t: 0, state: StateMap::new() }
    }
    /// Sets the learning rate η.
    pub fn lr(mut self, lr: f64) -> Self {
        self.lr = lr;
        self
    }
    /// Sets β₁, the interpolation used for the sign.
    pub fn beta1(mut self, beta1: f64) -> Self {
        self.beta1 = beta1;
        self
    }
    /// Sets β₂, the decay of the momentum that is kept.
    pub fn beta2(mut self, beta2: f64) -> Self {
        self.beta2 = beta2;
        self
    }
    /// Sets the decoupled weight decay λ.
    pub fn weight_decay(mut self, weight_decay: f64) -> Self {
        self.weight_decay = weight_decay;
        self
    }
    /// Sets the coupled L2 weight decay λ (`g ← g + λθ`).
    pub fn l2(mut self, l2: f64) -> Self {
        self.l2 = l2;
        self
    }
    fn step_impl(&mut self, params: &mut Params<T>, grads: &Grads<T>) {
        let (lr, b1, b2, wd): (T, T, T, T) = (c(self.lr), c(self.beta1), c(self.beta2), c(self.weight_decay));
        let (one_b1, one_b2): (T, T) = (c(1.0 - self.beta1), c(1.0 - self.beta2));
        for_each_param(
            "Lion::step",
            params,
            grads,
            self.l2,
            &mut self.state,
            |p| vec![T::zero(); p.len()],
            |th, g, m, _| {
                for ((t, &g), m) in th.iter_mut().zip(g).zip(m.iter_mut()) {
                    let u = b1 * *m + one_b1 * g;
                    let sign = if u > T::zero() {
                        T::one()
                    } else if u < T::zero() {
                        -T::one()
                    } else {
                        T::zero()
                    };
                    *t -= lr * (sign + wd * *t);
                    *m = b2 * *m + one_b2 * g;
                }
            },
        );
    }
}
optimizer_boilerplate!(Lion);

// ---------------------------------------------------------------------------------
// Adafactor
// ---------------------------------------------------------------------------------

/// Second-moment state of one Adafactor parameter.
#[derive(Clone, Debug)]
enum FactoredMoment<T> {
    /// Row sums `R` (length rows) and column sums `C` (length cols) of the squared
    /// gradient average; `v̂_ij = R_i C_j / Σ R`.
    Factored { row: Vec<T>, col: Vec<T> },
    /// Full second moment, for vectors and scalars.
    Full(Vec<T>),
}

/// Adafactor (Shazeer & Stern) without momentum and with a fixed learning rate.
///
/// For an `n × m` matrix the second moment is kept factored, as row sums and
/// column sums (`n + m` numbers instead of `nm`), and reconstructed as the rank-one
/// `v̂ = R Cᵀ / ΣR`. The decay grows with the step, `β₂ₜ = 1 − t^(−decay_rate)`,
/// and the update `u = g/√v̂` is clipped to RMS at most `clip_threshold`:
/// `θ ← θ − η u / max(1, RMS(u)/d)`. Vectors keep a full second moment.
///
/// Defaults: `lr` 1e-2, `decay_rate` 0.8, `eps` 1e-30 (added to g²),
/// `clip_threshold` 1.0, `l2` 0.
#[derive(Clone, Debug)]
pub struct Adafactor<T> {
    lr: f64,
    decay_rate: f64,
    eps: f64,
    clip_threshold: f64,
    l2: f64,
    t: u64,
    state: StateMap<FactoredMoment<T>>,
}

impl<T: Scalar> Default for Adafactor<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Scalar> Adafactor<T> {
    /// Adafactor with the defaults.
    pub fn new() -> Self {
        Adafactor { lr: 1e-2, decay_rate: 0.8, eps: 1e-30, clip_threshold: 1.0, l2: 0.0, t: 0, state: StateMap::new() }
    }
    /// Sets the learning rate η.
    pub fn lr(mut self, lr: f64) -> Self {
        self.lr = lr;
        self
    }
    /// Sets the exponent c in `β₂ₜ = 1 − t^(−c)`.
    pub fn decay_rate(mut self, c: f64) -> Self {
        self.decay_rate = c;
        self
    }
    /// Sets ε₁, added to `g²`.
    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }
    /// Sets the update-clipping threshold d.
    pub fn clip_threshold(mut self, d: f64) -> Self {
        self.clip_threshold = d;
        self
    }
    /// Sets the coupled L2 weight decay λ (`g ← g + λθ`).
    pub fn l2(mut self, l2: f64) -> Self {
        self.l2 = l2;
        self
    }
    /// Number of second-moment numbers stored for parameter `name` (`rows + cols`
    /// for a factored matrix, `len` otherwise), or `None` before its first step.
    pub fn state_len(&self, name: &str) -> Option<usize> {
        self.state.get(name).map(|s| match s {
            FactoredMoment::Factored { row, col } => row.len() + col.len(),
            FactoredMoment::Full(v) => v.len(),
        })
    }
    fn step_impl(&mut self, params: &mut Params<T>, grads: &Grads<T>) {
        let beta = 1.0 - (self.t as f64).powf(-self.decay_rate);
        let (b2, one_b2, eps): (T, T, T) = (c(beta), c(1.0 - beta), c(self.eps));
        let (lr, d) = (self.lr, self.clip_threshold);
        for_each_param(
            "Adafactor::step",
            params,
            grads,
            self.l2,
            &mut self.state,
            |p| {
                if p.rows() > 1 && p.cols() > 1 {
                    FactoredMoment::Factored { row: vec![T::zero(); p.rows()], col: vec![T::zero(); p.cols()] }
                } else {
                    FactoredMoment::Full(vec![T::zero(); p.len()])
                }
            },
            |th, g, s, (rows, cols)| {
                let mut u: Vec<T> = match s {
                    FactoredMoment::Factored { row, col } => {
                        for (i, r) in row.iter_mut().enumerate() {
                            let sum = g[i * cols..(i + 1) * cols].iter().fold(T::zero(), |a, &x| a + x * x + eps);
                            *r = b2 * *r + one_b2 * sum;
                        }
                        for (j, cj) in col.iter_mut().enumerate() {
                            let sum = (0..rows).fold(T::zero(), |a, i| a + g[i * cols + j] * g[i * cols + j] + eps);
                            *cj = b2 * *cj + one_b2 * sum;
                        }
                        let total = row.iter().fold(T::zero(), |a, &x| a + x);
                        (0..rows * cols).map(|k| g[k] / (row[k / cols] * col[k % cols] / total).sqrt()).collect()
                    }
                    FactoredMoment::Full(v) => v
                        .iter_mut()
                        .zip(g)
                        .map(|(v, &gi)| {
                            *v = b2 * *v + one_b2 * (gi * gi + eps);
                            gi / v.sqrt()
                        })
                        .collect(),
                };
                let rms = (u.iter().map(|x| x.value() * x.value()).sum::<f64>() / u.len().max(1) as f64).sqrt();
                let scale: T = c(lr / (rms / d).max(1.0));
                for (t, u) in th.iter_mut().zip(u.iter_mut()) {
                    *t -= scale * *u;
                }
            },
        );
    }
}
optimizer_boilerplate!(Adafactor);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optimizer::Optimizer;
    use wengert_ops::Matrix;

    #[test]
    fn sgd_step_is_lr_times_gradient_with_coupled_l2() {
        let mut opt = Sgd::new().lr(0.1).l2(0.5);
        let mut x = [1.0f64, -2.0];
        opt.step_slice(&mut x, &[1.0, 1.0]);
        // g + λθ = [1.5, 0.0]
        assert!((x[0] - 0.85).abs() < 1e-15 && (x[1] + 2.0).abs() < 1e-15);
        assert_eq!(Optimizer::<f64>::steps(&opt), 1);
    }

    #[test]
    fn ema_momentum_equals_classical_with_scaled_rate() {
        let (beta, lr) = (0.8, 0.1);
        let mut a = Momentum::ema(lr, beta);
        let mut b = Momentum::classical(lr * (1.0 - beta), beta);
        let (mut xa, mut xb) = ([1.0f64, 2.0], [1.0f64, 2.0]);
        for k in 0..20 {
            let g = [xa[0] * 3.0 + k as f64, xa[1] - 1.0];
            a.step_slice(&mut xa, &g);
            b.step_slice(&mut xb, &g);
        }
        assert!((xa[0] - xb[0]).abs() < 1e-12 && (xa[1] - xb[1]).abs() < 1e-12);
    }

    #[test]
    #[should_panic(expected = "no gradient for parameter `b`")]
    fn missing_gradient_panics_naming_the_parameter() {
        let mut p = Params::<f64>::new().with("w", Matrix::zeros(1, 2)).with("b", Matrix::zeros(1, 1));
        let g = Params::<f64>::new().with("w", Matrix::zeros(1, 2));
        Adam::new().step(&mut p, &g);
    }

    #[test]
    #[should_panic(expected = "parameter `w` has shape (1×2) but its gradient has shape (2×1)")]
    fn shape_mismatch_panics_naming_the_parameter() {
        let mut p = Params::<f64>::new().with("w", Matrix::zeros(1, 2));
        let g = Params::<f64>::new().with("w", Matrix::zeros(2, 1));
        Sgd::new().step(&mut p, &g);
    }

    #[test]
    fn reset_clears_state_and_counter_but_keeps_lr() {
        let mut opt = Adam::<f32>::new().lr(0.5);
        let mut x = [1.0f32];
        opt.step_slice(&mut x, &[1.0]);
        opt.reset();
        assert_eq!(opt.steps(), 0);
        assert_eq!(opt.learning_rate(), 0.5);
        let mut y = [1.0f32];
        opt.step_slice(&mut y, &[1.0]);
        assert_eq!(x, y, "after reset the first step repeats exactly");
    }

    #[test]
    fn lion_moves_each_coordinate_by_exactly_lr() {
        let mut opt = Lion::new().lr(0.01);
        let mut x = [0.0f64, 0.0, 0.0];
        opt.step_slice(&mut x, &[3.0, -1e-6, 0.0]);
        assert_eq!(x, [-0.01, 0.01, 0.0]);
    }

    #[test]
    fn adafactor_factors_matrices_and_converges_on_a_quadratic() {
        let target = Matrix::from_fn(4, 3, |i, j| (i as f64) - (j as f64) * 0.5);
        let mut p = Params::new().with("w", Matrix::<f64>::zeros(4, 3)).with("b", Matrix::zeros(1, 3));
        let mut opt = Adafactor::new().lr(0.05);
        for k in 0..600 {
            if k == 400 {
                opt.set_learning_rate(0.005);
            }
            let w = p.get("w").unwrap();
            let gw = Matrix::from_fn(4, 3, |i, j| w[(i, j)] - target[(i, j)]);
            let gb = p.get("b").unwrap().map(|&b| b - 1.0);
            let g = Params::new().with("w", gw).with("b", gb);
            opt.step(&mut p, &g);
        }
        assert_eq!(opt.state_len("w"), Some(7));
        assert_eq!(opt.state_len("b"), Some(3));
        assert!(p.get("w").unwrap().max_abs_diff(&target) < 0.02, "{}", p.get("w").unwrap());
        assert!(p.get("b").unwrap().iter().all(|&b| (b - 1.0).abs() < 0.02));
    }
}
