//! Mini-batches: each epoch visits every example once, in a fresh seeded order.
//!
//! Why a reusable buffer: an MNIST epoch at batch size 64 is ~940 batches, and
//! allocating a new `Matrix` for each is avoidable churn. [`Epoch::next_into`]
//! refills a caller-owned [`Batch`] in place. Because [`Matrix`] storage is
//! shared copy-on-write, the refill writes in place only when nothing else still
//! holds the previous batch's matrices — e.g. after the tape that took them as
//! leaves has been cleared or dropped. If a clone is still alive, the refill
//! leaves that clone untouched and allocates fresh storage for the buffer
//! instead, so reuse is an optimization that can never corrupt data.
//!
//! The element type of the batch (`f32` or `f64`) is chosen per epoch with a
//! generic parameter; the dataset itself stays `f64`.

use std::marker::PhantomData;

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use wengert_ops::{Matrix, Scalar};

use super::{DataError, Dataset};

/// One mini-batch: `features` is `batch_len × n_features`, `targets` is
/// `batch_len × 1`, and `labels` holds each row's class (an index into the
/// dataset's [`ClassMap`](super::ClassMap)) — filled only when the dataset's
/// targets are class labels, empty otherwise (e.g. for a regression target).
/// `indices` are the rows of the dataset in the batch.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch<T> {
    /// The feature rows of the batch.
    pub features: Matrix<T>,
    /// The targets as a column vector: the raw targets (for regression
    /// losses), or each row's class index with
    /// [`Batches::class_targets`] (for a binary logistic loss, which compares
    /// against 0 and 1 whatever the two labels are).
    pub targets: Matrix<T>,
    /// Each row's class index (for classification losses); empty if the
    /// dataset's targets are not class labels.
    pub labels: Vec<usize>,
    /// Which dataset rows are in the batch, in batch order.
    pub indices: Vec<usize>,
}

impl<T: Scalar> Batch<T> {
    /// An empty batch, to be filled by [`Epoch::next_into`].
    pub fn new() -> Self {
        Batch { features: Matrix::zeros(0, 0), targets: Matrix::zeros(0, 1), labels: Vec::new(), indices: Vec::new() }
    }
}

impl<T: Scalar> Default for Batch<T> {
    fn default() -> Self {
        Batch::new()
    }
}

impl<T> Batch<T> {
    /// Number of examples in the batch.
    pub fn len(&self) -> usize {
        self.indices.len()
    }

    /// Whether the batch has no examples.
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }
}

/// A mini-batch schedule over a dataset: batch size, seed, whether to shuffle
/// and whether to keep the final partial batch.
///
/// Each call of [`epoch`](Self::epoch) reshuffles the order with the schedule's
/// own seeded RNG, so epoch `k` has the same order in every run with the same
/// seed, and different epochs have different orders.
///
/// ```
/// use wengert_nn::data::{Batch, Batches, Dataset};
/// use wengert_ops::Matrix;
///
/// let x = Matrix::from_fn(10, 2, |i, j| (10 * i + j) as f64);
/// let ds = Dataset::new(x, (0..10).map(|i| (i % 3) as f64).collect(), vec!["a".into(), "b".into()], "y")?;
/// let mut batches = Batches::new(&ds, 4, 42)?;
///
/// // Allocating: one new Batch per step.
/// let sizes: Vec<usize> = batches.epoch::<f64>().map(|b| b.len()).collect();
/// assert_eq!(sizes, vec![4, 4, 2]);
///
/// // Reusing one buffer: refilled in place while nothing else holds it.
/// let mut buf = Batch::<f32>::new();
/// let mut epoch = batches.epoch::<f32>();
/// while epoch.next_into(&mut buf) {
///     for (k, &row) in buf.indices.iter().enumerate() {
///         assert_eq!(buf.features[(k, 1)], (10 * row + 1) as f32);
///         assert_eq!(buf.labels[k], row % 3);
///     }
/// }
///
/// // Dropping the partial batch.
/// let mut full_only = Batches::new(&ds, 4, 42)?.keep_partial(false);
/// assert_eq!(full_only.epoch::<f64>().count(), 2);
/// # Ok::<(), wengert_nn::data::DataError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Batches<'a> {
    dataset: &'a Dataset,
    labels: Option<Vec<usize>>,
    order: Vec<usize>,
    batch_size: usize,
    keep_partial: bool,
    shuffle: bool,
    class_targets: bool,
    rng: StdRng,
}

impl<'a> Batches<'a> {
    /// A schedule over `dataset` with `batch_size` examples per batch, shuffled
    /// each epoch with an RNG seeded by `seed`, keeping the final partial batch.
    /// Fails if `batch_size` is 0.
    pub fn new(dataset: &'a Dataset, batch_size: usize, seed: u64) -> Result<Self, DataError> {
        if batch_size == 0 {
            return Err(DataError::invalid("Batches::new: batch_size must be at least 1"));
        }
        Ok(Batches {
            dataset,
            labels: dataset.class_labels().ok(),
            order: (0..dataset.len()).collect(),
            batch_size,
            keep_partial: true,
            shuffle: true,
            class_targets: false,
            rng: StdRng::seed_from_u64(seed),
        })
    }

    /// Whether [`Batch::targets`] holds each row's class index instead of
    /// its raw target (default `false`). A classifier wants the index: labels
    /// 3 and 7 are classes 0 and 1, and a binary logistic loss compares with
    /// 0 and 1. Has no effect if the targets are not class labels.
    pub fn class_targets(mut self, yes: bool) -> Self {
        self.class_targets = yes;
        self
    }

    /// Whether to yield the last batch of an epoch when it has fewer than
    /// `batch_size` examples (default `true`). With `false` those examples are
    /// skipped for that epoch (a different few each epoch, when shuffling).
    pub fn keep_partial(mut self, keep: bool) -> Self {
        self.keep_partial = keep;
        self
    }

    /// Whether to shuffle each epoch (default `true`). With `false` every epoch
    /// visits the rows in dataset order, e.g. for evaluation.
    pub fn shuffle(mut self, shuffle: bool) -> Self {
        self.shuffle = shuffle;
        self
    }

    /// The batch size.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// Whether batches carry class labels (the dataset's targets are class labels:
    /// see [`Dataset::class_labels`]).
    pub fn has_labels(&self) -> bool {
        self.labels.is_some()
    }

    /// Number of batches in each epoch.
    pub fn batches_per_epoch(&self) -> usize {
        let n = self.dataset.len();
        if self.keep_partial {
            n.div_ceil(self.batch_size)
        } else {
            n / self.batch_size
        }
    }

    /// Starts the next epoch (reshuffling if enabled) and returns an iterator
    /// over its batches with elements of type `T` (`f32` or `f64`).
    pub fn epoch<T: Scalar>(&mut self) -> Epoch<'_, 'a, T> {
        if self.shuffle {
            self.order.shuffle(&mut self.rng);
        }
        Epoch { batches: self, next_batch: 0, _elem: PhantomData }
    }
}

/// The batches of one epoch; see [`Batches`]. Iterating allocates a new
/// [`Batch`] per step; [`next_into`](Self::next_into) refills a reused one.
#[derive(Debug)]
pub struct Epoch<'b, 'a, T> {
    batches: &'b Batches<'a>,
    next_batch: usize,
    _elem: PhantomData<T>,
}

impl<T: Scalar> Epoch<'_, '_, T> {
    /// Writes the next batch into `buf` and returns `true`, or returns `false`
    /// (leaving `buf` as it was) when the epoch is over.
    ///
    /// No allocation happens when `buf` already has this batch's shape and its
    /// matrices are not shared; only the final partial batch changes the shape.
    /// Because [`Matrix`] storage is shared copy-on-write, the matrices stay
    /// shared while anything still holds a clone of them — e.g. a tape that took
    /// `buf.features` as a leaf and has not been cleared or dropped yet. In that
    /// case the clone is left untouched and `buf` gets fresh storage, so reuse
    /// can never corrupt data that is still in use; it just stops saving work.
    pub fn next_into(&mut self, buf: &mut Batch<T>) -> bool {
        match self.next_rows() {
            Some(rows) => {
                self.batches.fill(rows, buf);
                true
            }
            None => false,
        }
    }
}

impl<'b, 'a, T> Epoch<'b, 'a, T> {
    /// The dataset rows of the next batch, without gathering them, or `None`
    /// when the epoch is over: for a caller that gathers them itself with
    /// [`Batches::fill`] — the data-parallel training step gathers each
    /// shard's rows on that shard's thread. [`next_into`](Self::next_into) is
    /// `next_rows` followed by `fill`.
    pub fn next_rows(&mut self) -> Option<&'b [usize]> {
        let b = self.batches;
        if self.next_batch >= b.batches_per_epoch() {
            return None;
        }
        let start = self.next_batch * b.batch_size;
        let end = (start + b.batch_size).min(b.order.len());
        self.next_batch += 1;
        Some(&b.order[start..end])
    }

    /// The schedule this epoch belongs to (to [`fill`](Batches::fill) a batch
    /// with rows from [`next_rows`](Self::next_rows)).
    pub fn batches(&self) -> &'b Batches<'a> {
        self.batches
    }
}

impl Batches<'_> {
    /// Writes the dataset rows `rows`, in that order, into `buf`: features as
    /// `T`, targets (class indices with [`class_targets`](Self::class_targets)),
    /// labels and indices — what [`Epoch::next_into`] does for the next batch.
    /// No allocation when `buf` already has the shape and nothing shares its
    /// matrices.
    ///
    /// # Panics
    /// If a row is not a row of the dataset.
    pub fn fill<T: Scalar>(&self, rows: &[usize], buf: &mut Batch<T>) {
        let (ds, d) = (self.dataset, self.dataset.n_features());
        refill(&mut buf.features, rows.len(), d, |out| {
            for (dst, &i) in out.chunks_exact_mut(d.max(1)).zip(rows) {
                for (o, &x) in dst.iter_mut().zip(ds.features().row(i)) {
                    *o = T::from_f64(x);
                }
            }
        });
        let class_targets = self.labels.as_ref().filter(|_| self.class_targets);
        refill(&mut buf.targets, rows.len(), 1, |out| {
            for (o, &i) in out.iter_mut().zip(rows) {
                *o = T::from_f64(class_targets.map_or(ds.targets()[i], |labels| labels[i] as f64));
            }
        });
        buf.labels.clear();
        if let Some(labels) = &self.labels {
            buf.labels.extend(rows.iter().map(|&i| labels[i]));
        }
        buf.indices.clear();
        buf.indices.extend_from_slice(rows);
    }
}

impl<T: Scalar> Iterator for Epoch<'_, '_, T> {
    type Item = Batch<T>;

    fn next(&mut self) -> Option<Batch<T>> {
        let mut batch = Batch::new();
        self.next_into(&mut batch).then_some(batch)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.batches.batches_per_epoch() - self.next_batch;
        (left, Some(left))
    }
}

impl<T: Scalar> ExactSizeIterator for Epoch<'_, '_, T> {}

/// Makes `m` a `rows × cols` matrix whose every element `fill` writes: in place
/// when the shape matches and the storage is not shared, otherwise in the old
/// storage taken back out (if unshared) or a fresh one.
fn refill<T: Scalar>(m: &mut Matrix<T>, rows: usize, cols: usize, fill: impl FnOnce(&mut [T])) {
    if m.shape() == (rows, cols) && !m.is_shared() {
        fill(m.as_mut_slice());
        return;
    }
    let old = std::mem::replace(m, Matrix::zeros(0, 0));
    let mut data = old.try_into_vec().unwrap_or_default();
    data.clear();
    data.resize(rows * cols, T::zero());
    fill(&mut data);
    *m = Matrix::from_vec(rows, cols, data);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy(n: usize) -> Dataset {
        let x = Matrix::from_fn(n, 3, |i, j| (i * 3 + j) as f64);
        Dataset::new(x, (0..n).map(|i| i as f64 * 0.5).collect(), vec!["a".into(), "b".into(), "c".into()], "y")
            .unwrap()
    }

    #[test]
    fn in_place_refill_does_not_reallocate_and_respects_shared_storage() {
        let ds = toy(8);
        let mut batches = Batches::new(&ds, 4, 0).unwrap();
        assert!(!batches.has_labels(), "0.5 steps are not class labels");
        let mut epoch = batches.epoch::<f64>();
        let mut buf = Batch::new();
        assert!(epoch.next_into(&mut buf));
        let held = buf.features.clone();
        let first = held.as_slice().to_vec();
        assert!(epoch.next_into(&mut buf));
        assert_eq!(held.as_slice(), &first[..], "a held clone is never overwritten");
        assert!(!epoch.next_into(&mut buf));
        drop(held);
        let mut epoch = batches.epoch::<f64>();
        assert!(epoch.next_into(&mut buf));
        let ptr2 = buf.features.as_slice().as_ptr();
        assert!(epoch.next_into(&mut buf));
        assert_eq!(buf.features.as_slice().as_ptr(), ptr2, "unshared storage is refilled in place");
        for (k, &i) in buf.indices.iter().enumerate() {
            assert_eq!(buf.features.row(k), ds.features().row(i));
            assert_eq!(buf.targets[(k, 0)], ds.targets()[i]);
        }
        assert!(buf.labels.is_empty());
    }

    #[test]
    fn unshuffled_epochs_follow_dataset_order_and_zero_batch_size_fails() {
        let ds = toy(5);
        let mut batches = Batches::new(&ds, 2, 0).unwrap().shuffle(false);
        let idx: Vec<Vec<usize>> = batches.epoch::<f32>().map(|b| b.indices).collect();
        assert_eq!(idx, vec![vec![0, 1], vec![2, 3], vec![4]]);
        assert_eq!(batches.epoch::<f32>().len(), 3);
        assert!(Batches::new(&ds, 0, 0).is_err());
    }

    #[test]
    fn class_targets_are_the_class_indices() {
        let x = Matrix::from_fn(3, 1, |i, _| i as f64);
        let ds = Dataset::new(x, vec![7.0, 3.0, 7.0], vec!["x".into()], "y").unwrap();
        let plain: Vec<f64> =
            Batches::new(&ds, 3, 0).unwrap().shuffle(false).epoch::<f64>().next().unwrap().targets.as_slice().to_vec();
        assert_eq!(plain, vec![7.0, 3.0, 7.0]);
        let mut batches = Batches::new(&ds, 3, 0).unwrap().shuffle(false).class_targets(true);
        let batch = batches.epoch::<f64>().next().unwrap();
        assert_eq!((batch.targets.as_slice(), &batch.labels[..]), (&[1.0, 0.0, 1.0][..], &[1, 0, 1][..]));
    }
}
