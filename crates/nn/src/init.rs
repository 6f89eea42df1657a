//! Seeded weight initializers: He (Kaiming) and Xavier (Glorot).
//!
//! Why these two: a layer followed by a ReLU halves the variance of its input on
//! average, so He initialization draws with variance `2 / fan_in` to keep the
//! signal's scale constant through depth; a layer followed by a symmetric
//! function (tanh, sigmoid, the output logits) uses Xavier's `2 / (fan_in +
//! fan_out)`, which balances the forward and the backward pass. Every draw comes
//! from a caller-supplied RNG, so a seed fixes the whole model.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal, Uniform};
use wengert_ops::{Matrix, Scalar};

/// How to fill a weight matrix of shape `fan_in × fan_out`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    /// All zeros (biases; convex models such as logistic regression).
    Zeros,
    /// Every element equal to the given constant.
    Constant(f64),
    /// He/Kaiming normal: `N(0, 2 / fan_in)`, for layers followed by a ReLU.
    HeNormal,
    /// He/Kaiming uniform: `U(−a, a)` with `a = √(6 / fan_in)`.
    HeUniform,
    /// Xavier/Glorot normal: `N(0, 2 / (fan_in + fan_out))`.
    XavierNormal,
    /// Xavier/Glorot uniform: `U(−a, a)` with `a = √(6 / (fan_in + fan_out))`.
    XavierUniform,
    /// `N(0, std²)` with the given standard deviation.
    Normal(f64),
}

impl Init {
    /// A `fan_in × fan_out` matrix drawn from this initializer with `rng`.
    ///
    /// ```
    /// use rand::SeedableRng;
    /// use wengert_nn::Init;
    /// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    /// let w = Init::HeNormal.matrix::<f64, _>(400, 300, &mut rng);
    /// let var = w.iter().map(|x| x * x).sum::<f64>() / w.len() as f64;
    /// assert!((var - 2.0 / 400.0).abs() < 0.1 * 2.0 / 400.0);
    /// ```
    pub fn matrix<T: Scalar, R: Rng + ?Sized>(self, fan_in: usize, fan_out: usize, rng: &mut R) -> Matrix<T> {
        let (fi, fo) = (fan_in.max(1) as f64, fan_out.max(1) as f64);
        match self {
            Init::Zeros => Matrix::zeros(fan_in, fan_out),
            Init::Constant(c) => Matrix::filled(fan_in, fan_out, T::from_f64(c)),
            Init::HeNormal => normal(fan_in, fan_out, (2.0 / fi).sqrt(), rng),
            Init::HeUniform => uniform(fan_in, fan_out, (6.0 / fi).sqrt(), rng),
            Init::XavierNormal => normal(fan_in, fan_out, (2.0 / (fi + fo)).sqrt(), rng),
            Init::XavierUniform => uniform(fan_in, fan_out, (6.0 / (fi + fo)).sqrt(), rng),
            Init::Normal(std) => normal(fan_in, fan_out, std.abs(), rng),
        }
    }

    /// [`matrix`](Self::matrix) drawn from `StdRng::seed_from_u64(seed)`: the
    /// same matrix for the same seed, and no RNG (nor `rand` version) to match.
    ///
    /// ```
    /// use wengert_nn::Init;
    /// let a = Init::XavierUniform.matrix_seeded::<f32>(3, 2, 7);
    /// assert_eq!(a, Init::XavierUniform.matrix_seeded::<f32>(3, 2, 7));
    /// assert_ne!(a, Init::XavierUniform.matrix_seeded::<f32>(3, 2, 8));
    /// ```
    pub fn matrix_seeded<T: Scalar>(self, fan_in: usize, fan_out: usize, seed: u64) -> Matrix<T> {
        self.matrix(fan_in, fan_out, &mut StdRng::seed_from_u64(seed))
    }
}

fn normal<T: Scalar, R: Rng + ?Sized>(rows: usize, cols: usize, std: f64, rng: &mut R) -> Matrix<T> {
    // `std` is finite and non-negative by construction (a square root of a
    // positive ratio, or an absolute value); a non-finite user value falls back
    // to zeros rather than panicking.
    match Normal::new(0.0, std) {
        Ok(dist) => Matrix::from_fn(rows, cols, |_, _| T::from_f64(dist.sample(rng))),
        Err(_) => Matrix::zeros(rows, cols),
    }
}

fn uniform<T: Scalar, R: Rng + ?Sized>(rows: usize, cols: usize, a: f64, rng: &mut R) -> Matrix<T> {
    match Uniform::new(-a, a) {
        Ok(dist) => Matrix::from_fn(rows, cols, |_, _| T::from_f64(dist.sample(rng))),
        Err(_) => Matrix::zeros(rows, cols),
    }
}
