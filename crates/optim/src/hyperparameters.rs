//! Hyperparameter ranges and the error that names a value outside its range,
//! shared by the optimizers and the learning-rate schedules.
//!
//! Why check at all: an optimizer given nonsense does not fail, it computes.
//! Adam with learning rate −1 ascends the loss, a NaN rate turns every parameter
//! into NaN on the first step, β₁ = 1 freezes the first moment at zero, and
//! ε = 0 divides 0 by 0 on a zero gradient. None of these is ever intended, so
//! each value is checked where it enters: when an optimizer or a schedule is
//! configured, and when a learning rate is set between steps.
//!
//! Why two paths, panics and `Result`: optimizers are built by chained setters
//! (`Adam::new().lr(3e-4).beta1(0.8)`), and an out-of-range value written in
//! code is a programming error, so the typed setters panic at once with a message
//! naming the optimizer, the hyperparameter, its range and the value. Values that
//! come from users (command-line flags, configuration files, checkpoints) go
//! through the fallible path instead:
//! [`FirstOrder::try_set`](crate::first_order::FirstOrder::try_set) for
//! optimizers and [`Schedule::validate`](crate::Schedule::validate) /
//! [`Scheduled::try_new`](crate::Scheduled::try_new) for schedules, which return
//! a [`HyperparameterError`] with the same message.
//!
//! ```
//! use wengert_optim::{Adam, HyperparameterError};
//! let err = Adam::<f64>::new().try_set("lr", -1.0).unwrap_err();
//! assert_eq!(err.to_string(), "Adam: `lr` must be finite and > 0, got -1");
//! assert!(matches!(err, HyperparameterError::OutOfRange { name: "lr", .. }));
//! ```

use std::fmt;

/// The values a hyperparameter may take. Every domain excludes NaN and ±∞.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Domain {
    /// Finite and strictly greater than the bound.
    GreaterThan(f64),
    /// Finite and at least the bound.
    AtLeast(f64),
    /// The half-open interval `[low, high)`.
    HalfOpen(f64, f64),
}

impl Domain {
    /// Finite and `> 0`: learning rates, ε, clipping thresholds.
    pub const POSITIVE: Domain = Domain::GreaterThan(0.0);
    /// Finite and `≥ 0`: weight decay, initial accumulators, the rate a schedule sets.
    pub const NON_NEGATIVE: Domain = Domain::AtLeast(0.0);
    /// `[0, 1)`: the decay factors of moving averages (β, ρ).
    pub const FRACTION: Domain = Domain::HalfOpen(0.0, 1.0);

    /// Whether `value` lies in the domain (never for NaN or ±∞).
    pub fn contains(self, value: f64) -> bool {
        value.is_finite()
            && match self {
                Domain::GreaterThan(low) => value > low,
                Domain::AtLeast(low) => value >= low,
                Domain::HalfOpen(low, high) => low <= value && value < high,
            }
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Domain::GreaterThan(low) => write!(f, "finite and > {low}"),
            Domain::AtLeast(low) => write!(f, "finite and ≥ {low}"),
            Domain::HalfOpen(low, high) => write!(f, "in [{low}, {high})"),
        }
    }
}

/// One numeric hyperparameter of an optimizer: its name (the name of its setter),
/// its current value and the values it may take.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hyperparameter {
    /// The name, as accepted by `try_set` (`"lr"`, `"beta1"`, …).
    pub name: &'static str,
    /// The current value.
    pub value: f64,
    /// The allowed values.
    pub domain: Domain,
}

impl Hyperparameter {
    /// A hyperparameter called `name` with `value`, allowed in `domain`.
    pub fn new(name: &'static str, value: f64, domain: Domain) -> Self {
        Hyperparameter { name, value, domain }
    }
}

/// A hyperparameter value out of its range, or a name the optimizer does not have.
#[derive(Clone, Debug, PartialEq)]
pub enum HyperparameterError {
    /// `value` is not in `domain`.
    OutOfRange {
        /// The optimizer or schedule (`"Adam"`, `"WarmupCosine"`).
        owner: &'static str,
        /// The hyperparameter (`"lr"`).
        name: &'static str,
        /// The rejected value.
        value: f64,
        /// What was required.
        domain: Domain,
    },
    /// `try_set` was given a name the optimizer has no hyperparameter for.
    Unknown {
        /// The optimizer.
        owner: &'static str,
        /// The name given.
        name: String,
        /// The names it does have.
        known: Vec<&'static str>,
    },
}

impl fmt::Display for HyperparameterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HyperparameterError::OutOfRange { owner, name, value, domain } => {
                write!(f, "{owner}: `{name}` must be {domain}, got {value}")
            }
            HyperparameterError::Unknown { owner, name, known } => {
                write!(f, "{owner} has no hyperparameter `{name}` (it has: {})", known.join(", "))
            }
        }
    }
}

impl std::error::Error for HyperparameterError {}

/// `Ok(value)` if `value` lies in `domain`, otherwise the error naming `owner`
/// and `name`.
pub fn check(owner: &'static str, name: &'static str, value: f64, domain: Domain) -> Result<f64, HyperparameterError> {
    if domain.contains(value) {
        Ok(value)
    } else {
        Err(HyperparameterError::OutOfRange { owner, name, value, domain })
    }
}

/// [`check`] for configuration written in code: panics with the error's message.
pub(crate) fn require(owner: &'static str, name: &'static str, value: f64, domain: Domain) -> f64 {
    check(owner, name, value, domain).unwrap_or_else(|e| panic!("{e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_exclude_non_finite_values_and_respect_their_bounds() {
        for d in [Domain::POSITIVE, Domain::NON_NEGATIVE, Domain::FRACTION] {
            assert!(!d.contains(f64::NAN) && !d.contains(f64::INFINITY) && !d.contains(f64::NEG_INFINITY), "{d}");
        }
        assert!(!Domain::POSITIVE.contains(0.0) && Domain::POSITIVE.contains(1e-300));
        assert!(Domain::NON_NEGATIVE.contains(0.0) && !Domain::NON_NEGATIVE.contains(-1e-300));
        assert!(Domain::FRACTION.contains(0.0) && Domain::FRACTION.contains(0.999) && !Domain::FRACTION.contains(1.0));
    }

    #[test]
    fn messages_name_owner_hyperparameter_range_and_value() {
        let e = check("Lion", "beta2", 1.0, Domain::FRACTION).unwrap_err();
        assert_eq!(e.to_string(), "Lion: `beta2` must be in [0, 1), got 1");
        let e = check("Adam", "eps", f64::NAN, Domain::POSITIVE).unwrap_err();
        assert_eq!(e.to_string(), "Adam: `eps` must be finite and > 0, got NaN");
        let e = HyperparameterError::Unknown { owner: "Sgd", name: "beta1".into(), known: vec!["lr", "l2"] };
        assert_eq!(e.to_string(), "Sgd has no hyperparameter `beta1` (it has: lr, l2)");
    }
}
