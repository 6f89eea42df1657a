//! Adafactor: Adam's second moment kept as row and column statistics.

use wengert_ops::{Matrix, Scalar};

use super::{FirstOrder, StepInfo, UpdateRule};
use crate::hyperparameters::{Domain, Hyperparameter};
use crate::state::ParamState;

/// Adafactor (Shazeer & Stern) without momentum and with a fixed learning rate.
///
/// For an `n × m` matrix the second moment is kept factored, as row sums and
/// column sums (`n + m` numbers instead of `nm`), and reconstructed as the rank-one
/// `v̂ = R Cᵀ / ΣR`. The decay grows with the step, `β₂ₜ = 1 − t^(−decay_rate)`,
/// and the update `u = g/√v̂` is clipped to RMS at most `clip_threshold`:
/// `θ ← θ − η u / max(1, RMS(u)/d)`. Vectors keep a full second moment
/// ([`FactoredMoment`]).
///
/// Defaults: `lr` 1e-2, `decay_rate` 0.8, `eps` 1e-30 (added to g²),
/// `clip_threshold` 1.0, `l2` 0.
pub type Adafactor<T> = FirstOrder<AdafactorRule, T>;

/// The update rule of [`Adafactor`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdafactorRule {
    decay_rate: f64,
    eps: f64,
    clip_threshold: f64,
}

impl Default for AdafactorRule {
    fn default() -> Self {
        AdafactorRule { decay_rate: 0.8, eps: 1e-30, clip_threshold: 1.0 }
    }
}

/// Second-moment state of one Adafactor parameter.
#[derive(Clone, Debug)]
pub enum FactoredMoment<T> {
    /// Row sums `R` (a `rows × 1` column, buffer `"row"`) and column sums `C` (a
    /// `1 × cols` row, buffer `"col"`) of the squared gradient average;
    /// `v̂_ij = R_i C_j / Σ R`.
    Factored {
        /// Row sums.
        row: Matrix<T>,
        /// Column sums.
        col: Matrix<T>,
    },
    /// Full second moment (buffer `"v"`), for vectors and scalars.
    Full(Matrix<T>),
}

impl<T: Scalar> ParamState<T> for FactoredMoment<T> {
    fn buffers(&self) -> Vec<(&'static str, &Matrix<T>)> {
        match self {
            FactoredMoment::Factored { row, col } => vec![("row", row), ("col", col)],
            FactoredMoment::Full(v) => vec![("v", v)],
        }
    }
    fn buffers_mut(&mut self) -> Vec<(&'static str, &mut Matrix<T>)> {
        match self {
            FactoredMoment::Factored { row, col } => vec![("row", row), ("col", col)],
            FactoredMoment::Full(v) => vec![("v", v)],
        }
    }
}

impl UpdateRule for AdafactorRule {
    const NAME: &'static str = "Adafactor";
    const DEFAULT_LR: f64 = 1e-2;
    type State<T: Scalar> = FactoredMoment<T>;

    fn hyperparameters(&self) -> Vec<Hyperparameter> {
        vec![
            Hyperparameter::new("decay_rate", self.decay_rate, Domain::POSITIVE),
            Hyperparameter::new("eps", self.eps, Domain::POSITIVE),
            Hyperparameter::new("clip_threshold", self.clip_threshold, Domain::POSITIVE),
        ]
    }

    fn hyperparameter_mut(&mut self, name: &str) -> Option<&mut f64> {
        match name {
            "decay_rate" => Some(&mut self.decay_rate),
            "eps" => Some(&mut self.eps),
            "clip_threshold" => Some(&mut self.clip_threshold),
            _ => None,
        }
    }

    fn init_state<T: Scalar>(&self, (rows, cols): (usize, usize)) -> FactoredMoment<T> {
        if rows > 1 && cols > 1 {
            FactoredMoment::Factored { row: Matrix::zeros(rows, 1), col: Matrix::zeros(1, cols) }
        } else {
            FactoredMoment::Full(Matrix::zeros(rows, cols))
        }
    }

    fn update<T: Scalar>(&self, step: StepInfo, theta: &mut [T], g: &[T], s: &mut FactoredMoment<T>) {
        let beta = 1.0 - (step.t as f64).powf(-self.decay_rate);
        let c = T::from_f64;
        let (b2, one_b2, eps) = (c(beta), c(1.0 - beta), c(self.eps));
        let (rows, cols) = step.shape;
        let mut u: Vec<T> = match s {
            FactoredMoment::Factored { row, col } => {
                let (row, col) = (row.as_mut_slice(), col.as_mut_slice());
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
                .as_mut_slice()
                .iter_mut()
                .zip(g)
                .map(|(v, &gi)| {
                    *v = b2 * *v + one_b2 * (gi * gi + eps);
                    gi / v.sqrt()
                })
                .collect(),
        };
        let rms = (u.iter().map(|x| x.value() * x.value()).sum::<f64>() / u.len().max(1) as f64).sqrt();
        let scale = c(step.lr / (rms / self.clip_threshold).max(1.0));
        for (t, u) in theta.iter_mut().zip(u.iter_mut()) {
            *t -= scale * *u;
        }
    }
}

impl<T: Scalar> Adafactor<T> {
    /// Sets the exponent c > 0 in `β₂ₜ = 1 − t^(−c)`.
    pub fn decay_rate(self, c: f64) -> Self {
        self.set("decay_rate", c)
    }

    /// Sets ε₁ > 0, added to `g²`.
    pub fn eps(self, eps: f64) -> Self {
        self.set("eps", eps)
    }

    /// Sets the update-clipping threshold d > 0.
    pub fn clip_threshold(self, d: f64) -> Self {
        self.set("clip_threshold", d)
    }

    /// Number of second-moment numbers stored for parameter `name` (`rows + cols`
    /// for a factored matrix, `len` otherwise), or `None` before its first step.
    pub fn state_len(&self, name: &str) -> Option<usize> {
        self.param_state(name).map(|s| s.buffers().iter().map(|(_, m)| m.len()).sum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Optimizer, Params};

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
