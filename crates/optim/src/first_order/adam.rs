//! The Adam family: Adam, AdamW (decoupled weight decay) and AMSGrad, one rule
//! with two compile-time switches.

use wengert_ops::{Matrix, Scalar};

use super::{FirstOrder, StepInfo, UpdateRule};
use crate::hyperparameters::{Domain, Hyperparameter};
use crate::state::ParamState;

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
/// State per parameter: [`Moments`] `m` and `v`.
///
/// Defaults: `lr` 1e-3, `beta1` 0.9, `beta2` 0.999, `eps` 1e-8, `l2` 0.
pub type Adam<T> = FirstOrder<AdamRule, T>;

/// AdamW (Loshchilov & Hutter): Adam with decoupled weight decay,
/// `θ ← (1 − ηλ)θ − η m̂/(√v̂ + ε)`.
///
/// Why it differs from Adam + L2 ([`l2`](FirstOrder::l2)): coupled L2 adds `λθ`
/// to the gradient, which is then divided by `√v̂`; parameters with large
/// gradients get less decay, and the decay's strength changes when the loss is
/// rescaled. AdamW shrinks every parameter by the same factor `1 − ηλ` whatever
/// the gradients are.
///
/// State per parameter: [`Moments`] `m` and `v`.
///
/// Defaults: `lr` 1e-3, `beta1` 0.9, `beta2` 0.999, `eps` 1e-8,
/// `weight_decay` 0.01 (decoupled), `l2` 0.
pub type AdamW<T> = FirstOrder<AdamRule<true, false>, T>;

/// AMSGrad (Reddi et al.): Adam whose denominator uses the running maximum of
/// the second moment, `v_max ← max(v_max, v)`, `θ ← θ − η m̂/(√(v_max/(1 − β₂ᵗ)) + ε)`,
/// so per-coordinate rates never grow (fixing Adam's non-convergence example).
///
/// State per parameter: [`Moments`] `m`, `v` and `v_max`.
///
/// Defaults: `lr` 1e-3, `beta1` 0.9, `beta2` 0.999, `eps` 1e-8, `l2` 0.
pub type AmsGrad<T> = FirstOrder<AdamRule<false, true>, T>;

/// The update rule of the Adam family. `DECOUPLED` adds AdamW's decoupled
/// weight decay (and its setter), `AMSGRAD` switches the denominator to the
/// running maximum of `v`; both are compile-time, so each variant's inner loop
/// has no branch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamRule<const DECOUPLED: bool = false, const AMSGRAD: bool = false> {
    beta1: f64,
    beta2: f64,
    eps: f64,
    /// Decoupled decay λ; always 0 unless `DECOUPLED`.
    weight_decay: f64,
}

impl<const DECOUPLED: bool, const AMSGRAD: bool> Default for AdamRule<DECOUPLED, AMSGRAD> {
    fn default() -> Self {
        AdamRule { beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: if DECOUPLED { 0.01 } else { 0.0 } }
    }
}

/// First and second moment estimates of one parameter, plus the running maximum
/// of the second moment for AMSGrad. Buffers `"m"`, `"v"` and `"v_max"`.
#[derive(Clone, Debug)]
pub struct Moments<T> {
    m: Matrix<T>,
    v: Matrix<T>,
    v_max: Option<Matrix<T>>,
}

impl<T> Moments<T> {
    /// The first-moment (gradient) average `m`, not bias-corrected.
    pub fn m(&self) -> &Matrix<T> {
        &self.m
    }
    /// The second-moment (squared gradient) average `v`, not bias-corrected.
    pub fn v(&self) -> &Matrix<T> {
        &self.v
    }
    /// AMSGrad's running maximum of `v` (`None` for Adam and AdamW).
    pub fn v_max(&self) -> Option<&Matrix<T>> {
        self.v_max.as_ref()
    }
}

impl<T: Scalar> ParamState<T> for Moments<T> {
    fn buffers(&self) -> Vec<(&'static str, &Matrix<T>)> {
        let mut b = vec![("m", &self.m), ("v", &self.v)];
        b.extend(self.v_max.as_ref().map(|vm| ("v_max", vm)));
        b
    }
    fn buffers_mut(&mut self) -> Vec<(&'static str, &mut Matrix<T>)> {
        let mut b = vec![("m", &mut self.m), ("v", &mut self.v)];
        b.extend(self.v_max.as_mut().map(|vm| ("v_max", vm)));
        b
    }
}

impl<const DECOUPLED: bool, const AMSGRAD: bool> UpdateRule for AdamRule<DECOUPLED, AMSGRAD> {
    const NAME: &'static str = match (DECOUPLED, AMSGRAD) {
        (false, false) => "Adam",
        (true, false) => "AdamW",
        (false, true) => "AmsGrad",
        (true, true) => "AdamW-AMSGrad",
    };
    const DEFAULT_LR: f64 = 1e-3;
    type State<T: Scalar> = Moments<T>;

    fn hyperparameters(&self) -> Vec<Hyperparameter> {
        let mut h = vec![
            Hyperparameter::new("beta1", self.beta1, Domain::FRACTION),
            Hyperparameter::new("beta2", self.beta2, Domain::FRACTION),
            Hyperparameter::new("eps", self.eps, Domain::POSITIVE),
        ];
        if DECOUPLED {
            h.push(Hyperparameter::new("weight_decay", self.weight_decay, Domain::NON_NEGATIVE));
        }
        h
    }

    fn hyperparameter_mut(&mut self, name: &str) -> Option<&mut f64> {
        match name {
            "beta1" => Some(&mut self.beta1),
            "beta2" => Some(&mut self.beta2),
            "eps" => Some(&mut self.eps),
            "weight_decay" if DECOUPLED => Some(&mut self.weight_decay),
            _ => None,
        }
    }

    fn init_state<T: Scalar>(&self, (rows, cols): (usize, usize)) -> Moments<T> {
        Moments {
            m: Matrix::zeros(rows, cols),
            v: Matrix::zeros(rows, cols),
            v_max: AMSGRAD.then(|| Matrix::zeros(rows, cols)),
        }
    }

    fn update<T: Scalar>(&self, step: StepInfo, theta: &mut [T], grad: &[T], s: &mut Moments<T>) {
        let (lr, b1, b2) = (step.lr, self.beta1, self.beta2);
        let bc1 = 1.0 - b1.powf(step.t as f64);
        let bc2 = 1.0 - b2.powf(step.t as f64);
        let c = T::from_f64;
        let (beta1, beta2, one_b1, one_b2) = (c(b1), c(b2), c(1.0 - b1), c(1.0 - b2));
        // θ ← (1 − ηλ)θ − η m̂ / (√v̂ + ε), with m̂ = m / bc1 and v̂ = v / bc2.
        let (step_size, inv_bc2, eps, shrink) =
            (c(lr / bc1), c(1.0 / bc2), c(self.eps), c(1.0 - lr * self.weight_decay));
        let moments = theta.iter_mut().zip(grad).zip(s.m.as_mut_slice()).zip(s.v.as_mut_slice());
        match s.v_max.as_mut() {
            Some(v_max) => {
                for ((((th, &g), m), v), vm) in moments.zip(v_max.as_mut_slice()) {
                    *m = beta1 * *m + one_b1 * g;
                    *v = beta2 * *v + one_b2 * g * g;
                    *vm = vm.max(*v);
                    *th = shrink * *th - step_size * *m / ((*vm * inv_bc2).sqrt() + eps);
                }
            }
            None => {
                for (((th, &g), m), v) in moments {
                    *m = beta1 * *m + one_b1 * g;
                    *v = beta2 * *v + one_b2 * g * g;
                    *th = shrink * *th - step_size * *m / ((*v * inv_bc2).sqrt() + eps);
                }
            }
        }
    }
}

impl<const DECOUPLED: bool, const AMSGRAD: bool, T: Scalar> FirstOrder<AdamRule<DECOUPLED, AMSGRAD>, T> {
    /// Sets β₁ ∈ [0, 1), the decay of the first-moment (gradient) average.
    pub fn beta1(self, beta1: f64) -> Self {
        self.set("beta1", beta1)
    }

    /// Sets β₂ ∈ [0, 1), the decay of the second-moment (squared gradient) average.
    pub fn beta2(self, beta2: f64) -> Self {
        self.set("beta2", beta2)
    }

    /// Sets ε > 0, added to `√v̂` in the denominator.
    pub fn eps(self, eps: f64) -> Self {
        self.set("eps", eps)
    }
}

impl<const AMSGRAD: bool, T: Scalar> FirstOrder<AdamRule<true, AMSGRAD>, T> {
    /// Sets the decoupled weight decay λ ≥ 0: `θ ← (1 − ηλ)θ` each step, outside
    /// the adaptive scaling.
    pub fn weight_decay(self, weight_decay: f64) -> Self {
        self.set("weight_decay", weight_decay)
    }
}
