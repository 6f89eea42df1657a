//! After the first step, a training loop on the scalar path allocates nothing:
//! `clear()` keeps the node arrays and `backward_into` reuses the gradients.
//! Proven with a counting global allocator (this file is its own test binary, so
//! no other test allocates concurrently).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use wengert_ops::Real;
use wengert_tape::{Gradients, Tape};

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

#[test]
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
