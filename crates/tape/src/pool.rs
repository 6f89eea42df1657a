//! [`MatrixPool`]: storage of matrix values and adjoints, recycled from one
//! recording to the next so that a warm training step allocates nothing.
//!
//! Why it is a stack with a fast path: a training loop records the same ops on
//! the same shapes every step, so the buffer an op needs is, almost always,
//! exactly the size of one freed in the same position last step. The tape gives
//! its buffers back in reverse recording order and asks for them in recording
//! order, so the next one wanted sits on top of the stack: taking it is one
//! comparison. Anything else (a new shape, a different op sequence) falls back
//! to the smallest buffer that fits, and only then to a fresh allocation.

use wengert_ops::{Matrix, Scalar};

/// Free matrices, for reuse.
#[derive(Clone, Debug, Default)]
pub(crate) struct MatrixPool<T> {
    free: Vec<Matrix<T>>,
}

impl<T: Scalar> MatrixPool<T> {
    /// An empty pool.
    pub(crate) fn new() -> Self {
        MatrixPool { free: Vec::new() }
    }

    /// Gives `m`'s storage to the pool, unless another matrix still shares it
    /// (a parameter, a data batch, a gradient the caller kept): that one is
    /// simply released.
    #[inline]
    pub(crate) fn give(&mut self, m: Matrix<T>) {
        if !m.is_shared() {
            self.free.push(m);
        }
    }

    /// A `rows × cols` matrix: the top of the stack if its capacity is exactly
    /// the size (the steady state of a training loop), else the smallest pooled
    /// buffer that fits, else a new one. Zeroed if `zeroed` (adjoint buffers,
    /// which VJPs accumulate into); otherwise its contents are unspecified (an
    /// op's output, which its `forward` overwrites completely).
    #[inline]
    pub(crate) fn take(&mut self, rows: usize, cols: usize, zeroed: bool) -> Matrix<T> {
        let len = rows * cols;
        let pick = match self.free.last() {
            Some(top) if top.capacity() == len => Some(self.free.len() - 1),
            _ => self.best_fit(len),
        };
        if let Some(i) = pick {
            let mut m = self.free.swap_remove(i);
            let reused =
                if zeroed { m.try_reuse(rows, cols, T::zero()) } else { m.try_reuse_unfilled(rows, cols, T::zero()) };
            if reused {
                return m;
            }
        }
        Matrix::zeros(rows, cols)
    }

    /// Index of the smallest free buffer holding at least `len` elements.
    #[cold]
    fn best_fit(&self, len: usize) -> Option<usize> {
        self.free
            .iter()
            .enumerate()
            .filter(|(_, m)| m.capacity() >= len)
            .min_by_key(|(_, m)| m.capacity())
            .map(|(i, _)| i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_come_back_in_the_order_they_are_asked_for() {
        let mut pool = MatrixPool::<f64>::new();
        let (a, b) = (Matrix::zeros(2, 3), Matrix::zeros(4, 4));
        let (pa, pb) = (a.as_slice().as_ptr(), b.as_slice().as_ptr());
        // Given back in reverse recording order, taken in recording order.
        pool.give(b);
        pool.give(a);
        assert_eq!(pool.take(2, 3, false).as_slice().as_ptr(), pa);
        assert_eq!(pool.take(4, 4, true).as_slice().as_ptr(), pb);
        assert!(pool.free.is_empty());
    }

    #[test]
    fn a_new_shape_gets_the_smallest_buffer_that_fits_and_zeroed_means_zeroed() {
        let mut pool = MatrixPool::<f64>::new();
        pool.give(Matrix::filled(1, 10, 7.0));
        pool.give(Matrix::filled(1, 100, 7.0));
        pool.give(Matrix::filled(1, 3, 7.0));
        let m = pool.take(2, 4, true);
        assert_eq!((m.shape(), m.capacity()), ((2, 4), 10));
        assert!(m.as_slice().iter().all(|&x| x == 0.0));
        let big = pool.take(5, 20, false);
        assert_eq!(big.capacity(), 100);
        let fresh = pool.take(1, 50, false);
        assert_eq!(fresh.shape(), (1, 50));
    }

    #[test]
    fn shared_storage_is_not_pooled() {
        let mut pool = MatrixPool::<f64>::new();
        let m = Matrix::zeros(2, 2);
        let keep = m.clone();
        pool.give(m);
        assert!(pool.free.is_empty());
        drop(keep);
    }
}
