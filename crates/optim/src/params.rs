//! Named parameter sets: [`Params`] and its gradient twin [`Grads`].
//!
//! Why names and a stable order: optimizer state (Adam's moments, AdaGrad's sums)
//! must follow a parameter across steps, checkpoints must write and read tensors by
//! name, and a model built from layers wants `"layer1.weight"` rather than an index.
//! An [`IndexMap`] gives both: lookup by name and iteration in insertion order, so
//! two runs that insert the same parameters see the same order (and the same
//! global norm, summed in the same order, bit for bit).
//!
//! Every entry is a [`Matrix`]: scalars are `1 × 1`, vectors `1 × n`.

use indexmap::IndexMap;
use wengert_ops::{shape_str, Matrix, Scalar};

/// A named, ordered set of matrices: the parameters of a model, or their gradients.
///
/// ```
/// use wengert_ops::Matrix;
/// use wengert_optim::Params;
/// let mut p = Params::<f64>::new();
/// p.insert("w", Matrix::from_rows(&[[3.0, 4.0]]));
/// p.insert_scalar("b", 0.0);
/// assert_eq!(p.names().collect::<Vec<_>>(), ["w", "b"]);
/// assert_eq!(p.global_norm(), 5.0);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Params<T> {
    entries: IndexMap<String, Matrix<T>>,
}

/// Gradients have exactly the shape of the parameters: same names, same shapes.
pub type Grads<T> = Params<T>;

impl<T: Scalar> Params<T> {
    /// An empty set.
    pub fn new() -> Self {
        Params { entries: IndexMap::new() }
    }

    /// Inserts (or replaces, keeping its position) the parameter `name`; returns the
    /// previous value if there was one.
    pub fn insert(&mut self, name: impl Into<String>, value: Matrix<T>) -> Option<Matrix<T>> {
        self.entries.insert(name.into(), value)
    }

    /// Inserts a scalar as a `1 × 1` matrix.
    pub fn insert_scalar(&mut self, name: impl Into<String>, value: T) -> Option<Matrix<T>> {
        self.insert(name, Matrix::from_vec(1, 1, vec![value]))
    }

    /// Inserts a vector as a `1 × n` matrix.
    pub fn insert_vector(&mut self, name: impl Into<String>, values: &[T]) -> Option<Matrix<T>> {
        self.insert(name, Matrix::row_vector(values))
    }

    /// Builder form of [`insert`](Params::insert).
    pub fn with(mut self, name: impl Into<String>, value: Matrix<T>) -> Self {
        self.insert(name, value);
        self
    }

    /// The parameter called `name`.
    pub fn get(&self, name: &str) -> Option<&Matrix<T>> {
        self.entries.get(name)
    }

    /// Mutable access to the parameter called `name`.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Matrix<T>> {
        self.entries.get_mut(name)
    }

    /// Whether a parameter called `name` exists.
    pub fn contains(&self, name: &str) -> bool {
        self.entries.contains_key(name)
    }

    /// Removes `name`, keeping the order of the others.
    pub fn remove(&mut self, name: &str) -> Option<Matrix<T>> {
        self.entries.shift_remove(name)
    }

    /// `(name, value)` pairs in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Matrix<T>)> + '_ {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// `(name, value)` pairs in insertion order, values mutable.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&str, &mut Matrix<T>)> + '_ {
        self.entries.iter_mut().map(|(k, v)| (k.as_str(), v))
    }

    /// Parameter names in insertion order.
    pub fn names(&self) -> impl Iterator<Item = &str> + '_ {
        self.entries.keys().map(String::as_str)
    }

    /// Number of named parameters (not of scalar elements; see
    /// [`num_elements`](Params::num_elements)).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no parameters.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Total number of scalar elements over all parameters.
    pub fn num_elements(&self) -> usize {
        self.entries.values().map(Matrix::len).sum()
    }

    /// A set with the same names and shapes, all zeros (e.g. to start a gradient sum).
    pub fn zeros_like(&self) -> Self {
        Params { entries: self.entries.iter().map(|(k, v)| (k.clone(), Matrix::zeros(v.rows(), v.cols()))).collect() }
    }

    /// The global Euclidean norm `sqrt(Σ_params Σ_elements x²)`, accumulated in `f64`
    /// in insertion order.
    pub fn global_norm(&self) -> f64 {
        self.entries.values().flat_map(|m| m.iter()).map(|x| x.value() * x.value()).sum::<f64>().sqrt()
    }

    /// Multiplies every element by `factor`.
    pub fn scale(&mut self, factor: f64) {
        let f = T::from_f64(factor);
        for m in self.entries.values_mut() {
            m.as_mut_slice().iter_mut().for_each(|x| *x *= f);
        }
    }

    /// `self += alpha · other`, element by element.
    ///
    /// # Panics
    /// If `other` lacks a parameter of `self` or a shape differs.
    pub fn add_scaled(&mut self, alpha: f64, other: &Params<T>) {
        let a = T::from_f64(alpha);
        for (name, m) in self.entries.iter_mut() {
            let o = other.get(name).unwrap_or_else(|| panic!("Params::add_scaled: `{name}` missing in other"));
            assert_same_shape("Params::add_scaled", name, m, o);
            for (x, &y) in m.as_mut_slice().iter_mut().zip(o.iter()) {
                *x += a * y;
            }
        }
    }

    /// All elements, concatenated in insertion order (row-major within a matrix).
    pub fn to_flat(&self) -> Vec<T> {
        self.entries.values().flat_map(|m| m.iter().copied()).collect()
    }

    /// Overwrites every element from a flat vector in [`to_flat`](Params::to_flat) order.
    ///
    /// # Panics
    /// If `flat.len()` differs from [`num_elements`](Params::num_elements).
    pub fn set_from_flat(&mut self, flat: &[T]) {
        assert_eq!(flat.len(), self.num_elements(), "Params::set_from_flat: length mismatch");
        let mut at = 0;
        for m in self.entries.values_mut() {
            let n = m.len();
            m.as_mut_slice().copy_from_slice(&flat[at..at + n]);
            at += n;
        }
    }
}

impl<'a, T> IntoIterator for &'a Params<T> {
    type Item = (&'a String, &'a Matrix<T>);
    type IntoIter = indexmap::map::Iter<'a, String, Matrix<T>>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter()
    }
}

impl<T: Scalar, S: Into<String>> FromIterator<(S, Matrix<T>)> for Params<T> {
    fn from_iter<I: IntoIterator<Item = (S, Matrix<T>)>>(iter: I) -> Self {
        Params { entries: iter.into_iter().map(|(k, v)| (k.into(), v)).collect() }
    }
}

/// Panics with a message naming the parameter if the shapes of `a` and `b` differ.
pub(crate) fn assert_same_shape<T>(ctx: &str, name: &str, a: &Matrix<T>, b: &Matrix<T>) {
    assert!(
        a.shape() == b.shape(),
        "{ctx}: parameter `{name}` has shape {} but its gradient has shape {}",
        shape_str(a.shape()),
        shape_str(b.shape())
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_insertion_order_and_replace_keeps_position() {
        let mut p = Params::<f64>::new();
        p.insert_vector("z", &[1.0]);
        p.insert_vector("a", &[2.0, 2.0]);
        p.insert_vector("m", &[3.0]);
        p.insert_vector("z", &[4.0, 4.0, 4.0]);
        assert_eq!(p.names().collect::<Vec<_>>(), ["z", "a", "m"]);
        assert_eq!(p.get("z").unwrap().shape(), (1, 3));
        assert_eq!(p.num_elements(), 6);
        assert_eq!(p.to_flat(), [4.0, 4.0, 4.0, 2.0, 2.0, 3.0]);
        p.remove("a");
        assert_eq!(p.names().collect::<Vec<_>>(), ["z", "m"]);
    }

    #[test]
    fn flat_round_trip_norm_and_arithmetic() {
        let mut p = Params::<f32>::new().with("w", Matrix::from_rows(&[[1.0, 2.0], [3.0, 4.0]]));
        p.insert_scalar("b", 10.0);
        assert!((p.global_norm() - 130f64.sqrt()).abs() < 1e-6);
        let q = p.clone();
        p.add_scaled(-1.0, &q);
        assert_eq!(p.global_norm(), 0.0);
        p.set_from_flat(&[1.0, 1.0, 1.0, 1.0, 2.0]);
        p.scale(2.0);
        assert_eq!(p.to_flat(), [2.0, 2.0, 2.0, 2.0, 4.0]);
        assert_eq!(p.zeros_like().global_norm(), 0.0);
    }
}
