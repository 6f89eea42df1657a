//! Gradient clipping and gradient accumulation.
//!
//! Why clip by *global* norm: scaling every gradient by the same factor keeps the
//! update direction and only shortens it, whereas clipping each coordinate
//! ([`clip_grad_value`]) changes the direction. Why accumulate: when a batch does
//! not fit in memory, summing `Σ nₖ gₖ` over micro-batches of sizes `nₖ` and
//! dividing by `Σ nₖ` gives exactly the mean gradient of the whole batch, so one
//! optimizer step on the average equals one step on the large batch.

use wengert_ops::Scalar;

use crate::params::{assert_same_shape, Grads};

/// Rescales `grads` so their global norm is at most `max_norm`, preserving the
/// direction, and returns the norm **before** clipping. Gradients already within
/// the bound are left untouched.
///
/// # Panics
/// If `max_norm` is negative or NaN.
pub fn clip_grad_norm<T: Scalar>(grads: &mut Grads<T>, max_norm: f64) -> f64 {
    assert!(max_norm >= 0.0, "clip_grad_norm: max_norm must be non-negative");
    let norm = grads.global_norm();
    if norm > max_norm {
        grads.scale(max_norm / norm);
    }
    norm
}

/// [`clip_grad_norm`] for a single flat gradient vector.
pub fn clip_norm_slice<T: Scalar>(grad: &mut [T], max_norm: f64) -> f64 {
    assert!(max_norm >= 0.0, "clip_norm_slice: max_norm must be non-negative");
    let norm = grad.iter().map(|x| x.value() * x.value()).sum::<f64>().sqrt();
    if norm > max_norm {
        let f = T::from_f64(max_norm / norm);
        grad.iter_mut().for_each(|x| *x *= f);
    }
    norm
}

/// Clamps every gradient element to `[−clip, clip]` (changes the direction when
/// any element is clamped). Returns how many elements were clamped.
pub fn clip_grad_value<T: Scalar>(grads: &mut Grads<T>, clip: f64) -> usize {
    assert!(clip >= 0.0, "clip_grad_value: clip must be non-negative");
    let (hi, lo) = (T::from_f64(clip), T::from_f64(-clip));
    let mut clamped = 0;
    for (_, m) in grads.iter_mut() {
        for x in m.as_mut_slice() {
            if *x > hi {
                *x = hi;
                clamped += 1;
            } else if *x < lo {
                *x = lo;
                clamped += 1;
            }
        }
    }
    clamped
}

/// Accumulates gradients over micro-batches, weighted by micro-batch size.
///
/// Each [`add`](GradAccumulator::add) takes the *mean* gradient of a micro-batch of
/// `n` examples; [`average`](GradAccumulator::average) returns `Σ nₖ gₖ / Σ nₖ`,
/// the mean gradient over all examples seen, which for a loss that is a mean over
/// examples is exactly the gradient of the combined batch.
#[derive(Clone, Debug)]
pub struct GradAccumulator<T> {
    sum: Option<Grads<T>>,
    total_weight: f64,
    micro_batches: usize,
}

impl<T: Scalar> Default for GradAccumulator<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Scalar> GradAccumulator<T> {
    /// An empty accumulator.
    pub fn new() -> Self {
        GradAccumulator { sum: None, total_weight: 0.0, micro_batches: 0 }
    }

    /// Adds the mean gradient `grads` of a micro-batch of `batch_size` examples.
    ///
    /// # Panics
    /// If `batch_size` is 0, or the names/shapes differ from the first micro-batch.
    pub fn add(&mut self, grads: &Grads<T>, batch_size: usize) {
        assert!(batch_size > 0, "GradAccumulator::add: empty micro-batch");
        let w = batch_size as f64;
        match &mut self.sum {
            None => {
                let mut s = grads.clone();
                s.scale(w);
                self.sum = Some(s);
            }
            Some(sum) => {
                assert_eq!(sum.len(), grads.len(), "GradAccumulator::add: different parameter sets");
                for (name, g) in grads.iter() {
                    let s =
                        sum.get(name).unwrap_or_else(|| panic!("GradAccumulator::add: unexpected parameter `{name}`"));
                    assert_same_shape("GradAccumulator::add", name, s, g);
                }
                sum.add_scaled(w, grads);
            }
        }
        self.total_weight += w;
        self.micro_batches += 1;
    }

    /// Number of micro-batches added since the last [`take`](GradAccumulator::take).
    pub fn micro_batches(&self) -> usize {
        self.micro_batches
    }

    /// Total number of examples added.
    pub fn examples(&self) -> usize {
        self.total_weight as usize
    }

    /// The size-weighted mean gradient, or `None` if nothing was added.
    pub fn average(&self) -> Option<Grads<T>> {
        self.sum.as_ref().map(|s| {
            let mut a = s.clone();
            a.scale(1.0 / self.total_weight);
            a
        })
    }

    /// Returns the average and empties the accumulator for the next batch.
    pub fn take(&mut self) -> Option<Grads<T>> {
        let avg = self.average();
        self.sum = None;
        self.total_weight = 0.0;
        self.micro_batches = 0;
        avg
    }
}
