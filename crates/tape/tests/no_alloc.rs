//! After the first step, a training loop on the scalar path allocates nothing:
//! `clear()` keeps the node arrays and `backward_into` reuses the gradients.
//! Proven with a counting global allocator (this file is its own test binary, so
//! no other test allocates concurrently).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use wengert_ops::Real;
use wengert_tape::{Gradients, Matrix, Tape};

struct Counting;
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call unchanged to the system allocator, which upholds
// the GlobalAlloc contract; the only addition is an atomic counter.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same layout the caller gave us, per the GlobalAlloc contract.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with this layout (see alloc).
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded unchanged; `ptr`/`layout` come from this allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn rosenbrock<T: Real>(x: &[T]) -> T {
    x.windows(2).fold(T::zero(), |acc, w| acc + (w[1] - w[0] * w[0]).square() * 100.0 + (w[0] - 1.0).square())
}

/// One SGD step of a two-layer MLP (Linear → ReLU → Linear → softmax
/// cross-entropy) on the tape. Gradients are read as matrices sharing the
/// `Gradients` buffers; the tape is cleared before the update so the parameters
/// are unshared again and update in place.
fn mlp_step(
    tape: &mut Tape<f64>,
    grads: &mut Gradients<f64>,
    params: &mut [Matrix<f64>; 4],
    x: &Matrix<f64>,
    labels: &[usize],
) {
    let g: [Matrix<f64>; 4] = {
        let [w1, b1, w2, b2] = &*params;
        let (w1, b1, w2, b2) = (tape.matrix(w1), tape.matrix(b1), tape.matrix(w2), tape.matrix(b2));
        let xv = tape.constant_matrix(x);
        let loss = ((xv.matmul(w1) + b1).relu().matmul(w2) + b2).softmax_cross_entropy(labels);
        tape.backward_into(loss, 1.0, grads);
        [grads.matrix(w1), grads.matrix(b1), grads.matrix(w2), grads.matrix(b2)]
    };
    tape.clear();
    for (p, g) in params.iter_mut().zip(&g) {
        for (p, d) in p.as_mut_slice().iter_mut().zip(g.iter()) {
            *p -= 0.1 * d;
        }
    }
}

#[test]
fn warmed_up_training_steps_allocate_nothing() {
    // Both checks in one test: tests in one binary run on parallel threads, and
    // the allocation counter is global.
    scalar_training_steps_allocate_nothing_after_the_first();
    matrix_training_steps_allocate_nothing_after_the_first();
}

/// What is measured is the tape: recording, the sweep, `clear()`, `Gradients`.
/// The network is small enough that every product stays below
/// `wengert_ops::kernels::SMALL_GEMM_FLOPS` and runs on the portable kernel: above
/// it, the `gemm` crate allocates its packing buffers inside each call, which is
/// the kernel's business, not the tape's (see docs/performance.md).
fn matrix_training_steps_allocate_nothing_after_the_first() {
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(1);
    let x: Matrix<f64> = Matrix::random_normal(6, 5, 0.0, 1.0, &mut rng);
    let labels: Vec<usize> = (0..6).map(|i| i % 3).collect();
    let mut params = [
        Matrix::random_normal(5, 4, 0.0, 0.3, &mut rng),
        Matrix::zeros(1, 4),
        Matrix::random_normal(4, 3, 0.0, 0.3, &mut rng),
        Matrix::zeros(1, 3),
    ];
    const { assert!(6 * 5 * 4 < wengert_ops::kernels::SMALL_GEMM_FLOPS, "keep the products on the portable kernel") };
    let mut tape = Tape::new();
    let mut grads = Gradients::empty();
    for _ in 0..2 {
        mlp_step(&mut tape, &mut grads, &mut params, &x, &labels); // warm-up
    }
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for _ in 0..10 {
        mlp_step(&mut tape, &mut grads, &mut params, &x, &labels);
    }
    let after = ALLOCATIONS.load(Ordering::Relaxed);
    assert_eq!(after - before, 0, "heap allocations in 10 warmed-up MLP steps");
}

fn scalar_training_steps_allocate_nothing_after_the_first() {
    let mut tape = Tape::<f64>::new();
    let mut grads = Gradients::empty();
    let mut params = [0.5f64; 100];
    let step = |tape: &mut Tape<f64>, grads: &mut Gradients<f64>, params: &mut [f64; 100]| {
        tape.clear();
        // Handles live on the stack; the tape's own buffers are what is measured.
        let vars: [_; 100] = std::array::from_fn(|i| tape.var(params[i]));
        let loss = rosenbrock(&vars);
        tape.backward_into(loss, 1.0, grads);
        for (p, v) in params.iter_mut().zip(&vars) {
            *p -= 1e-4 * grads[*v];
        }
    };
    step(&mut tape, &mut grads, &mut params); // warm-up: buffers grow here
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for _ in 0..10 {
        step(&mut tape, &mut grads, &mut params);
    }
    let after = ALLOCATIONS.load(Ordering::Relaxed);
    assert_eq!(after - before, 0, "heap allocations in 10 warmed-up steps");
}
