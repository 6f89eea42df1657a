//! Dense kernels: the matrix product for any [`Scalar`], and the
//! dispatch to a tuned kernel for `f32`/`f64`.
//!
//! Why two paths: the same op catalogue must run over dual numbers (forward mode,
//! Hessian-vector products), which no BLAS knows, so a portable loop is kept for
//! every element type; plain floats go to the tuned kernel (the `gemm` crate, with
//! runtime-dispatched AVX2/AVX-512 micro-kernels) because the matrix product is
//! where training spends its time.
//!
//! Why a size threshold: the tuned kernel packs its operands into cache-friendly
//! panels before multiplying. For tiny products that set-up costs more than the
//! multiplication, so products below [`SMALL_GEMM_FLOPS`] multiply-adds stay in the
//! portable loop (measured with `benches/gemm.rs`; see `docs/ops.md`).
//!
//! Threads: the tuned kernel runs on one thread unless asked for more — by
//! `RAYON_NUM_THREADS` in the environment, by [`set_num_threads`] for the whole
//! process, or by [`with_num_threads`] for one scope of one thread — because the
//! engine is usually one of several processes sharing a machine and small
//! products lose more to synchronisation than they gain. (The `gemm` crate
//! itself also keeps products below about 590 000 multiply-adds per block on
//! one thread, whatever it is given.) Data-parallel training
//! (`wengert_tape::parallel`) runs each shard's products on one thread through
//! [`with_num_threads`]: its threads are already busy with the other shards.
//!
//! Kernels: with the default feature `avx512` the `gemm` crate is built with its
//! AVX-512 micro-kernels (its `x86-v4` feature) and uses them at run time on a CPU
//! that has AVX-512F, its AVX2+FMA kernels on one that has not (the choice is made
//! by CPU detection when the kernel is first called, so a binary built with the
//! feature runs on a CPU without AVX-512; [`avx512_in_use`] says which run here).
//! Turning the feature off (`default-features = false` on every wengert crate a
//! program depends on) builds the AVX2 kernels only; [`avx512_kernels`] says
//! which build this is. See `docs/performance.md` for both builds measured on one CPU.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::scalar::{Scalar, Strided};

/// Products with fewer than this many multiply-adds (`m·n·k`) use
/// [`gemm_fallback`] even for `f32`/`f64`: below it the tuned kernel's set-up
/// (dispatch, packing) dominates. Measured with `benches/gemm.rs` (single thread):
/// at `4×4·4` the portable loop is 4–7× faster, at `8×8·8` (512) the two are within
/// noise of each other, from `12×12·12` on the tuned kernel wins.
pub const SMALL_GEMM_FLOPS: usize = 512;

/// The process-wide thread count of the tuned kernel; `0` until it is first
/// read or set (the first read takes the default from the environment).
static NUM_THREADS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// A thread count that [`with_num_threads`] set for the current scope of this
    /// thread; `0` when none is.
    static SCOPED_THREADS: Cell<usize> = const { Cell::new(0) };
}

/// `RAYON_NUM_THREADS` if it holds a whole number ≥ 1 (rayon's own reading of
/// it: anything else means "not set").
fn env_threads() -> Option<usize> {
    std::env::var("RAYON_NUM_THREADS").ok()?.trim().parse::<usize>().ok().filter(|&n| n > 0)
}

/// How many threads this process may use: `RAYON_NUM_THREADS` if set to a whole
/// number ≥ 1, otherwise the number of CPUs the process may run on
/// ([`std::thread::available_parallelism`]), and `1` if that is unknown.
///
/// The `wengert` program's `--threads` defaults to it; the library never uses
/// more threads than it is given, so it is only a default for callers to pass.
///
/// ```
/// assert!(wengert_ops::kernels::available_threads() >= 1);
/// ```
pub fn available_threads() -> usize {
    env_threads().unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Sets how many threads the tuned `f32`/`f64` kernel may use, for the whole
/// process (the global rayon pool does the work). `0` is treated as `1`. The
/// default is `RAYON_NUM_THREADS` if set (see [`available_threads`]), else `1`.
///
/// ```
/// wengert_ops::kernels::set_num_threads(2);
/// assert_eq!(wengert_ops::kernels::num_threads(), 2);
/// wengert_ops::kernels::set_num_threads(1);
/// ```
pub fn set_num_threads(n: usize) {
    NUM_THREADS.store(n.max(1), Ordering::Relaxed);
}

/// How many threads the tuned kernel uses when called from this thread now: the
/// count of the innermost [`with_num_threads`] scope if there is one, else the
/// process-wide count ([`set_num_threads`]; by default `RAYON_NUM_THREADS` if
/// set, else `1`).
pub fn num_threads() -> usize {
    let scoped = SCOPED_THREADS.with(Cell::get);
    if scoped > 0 {
        return scoped;
    }
    match NUM_THREADS.load(Ordering::Relaxed) {
        0 => {
            let n = env_threads().unwrap_or(1);
            // Another thread may have called `set_num_threads` meanwhile: keep its value.
            match NUM_THREADS.compare_exchange(0, n, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => n,
                Err(set) => set,
            }
        }
        n => n,
    }
}

/// Runs `f` with the tuned kernel limited to `n` threads (`0` is treated as
/// `1`) on the current thread only, then restores the previous setting (also
/// if `f` panics). Other threads, and the process-wide count, are unaffected.
///
/// ```
/// use wengert_ops::kernels::{num_threads, set_num_threads, with_num_threads};
/// set_num_threads(2);
/// let inside = with_num_threads(1, num_threads);
/// assert_eq!((inside, num_threads()), (1, 2));
/// set_num_threads(1);
/// ```
pub fn with_num_threads<R>(n: usize, f: impl FnOnce() -> R) -> R {
    /// Puts the previous scoped count back when the scope ends, even by unwinding.
    struct Restore(usize);
    impl Drop for Restore {
        fn drop(&mut self) {
            SCOPED_THREADS.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(SCOPED_THREADS.with(|c| c.replace(n.max(1))));
    f()
}

/// Whether this build of the tuned kernel includes the AVX-512 micro-kernels
/// (the default feature `avx512`). They are used only on a CPU that has
/// AVX-512F; [`avx512_in_use`] says whether this one does.
pub const fn avx512_kernels() -> bool {
    cfg!(feature = "avx512")
}

/// Whether the tuned kernel runs its AVX-512 micro-kernels on this machine: the
/// build has them ([`avx512_kernels`]) and the CPU has AVX-512F. (The `gemm`
/// crate makes the same test, once, when it is first called.)
pub fn avx512_in_use() -> bool {
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    {
        avx512_kernels() && std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(any(target_arch = "x86", target_arch = "x86_64")))]
    {
        false
    }
}

fn parallelism() -> gemm::Parallelism {
    match num_threads() {
        n if n > 1 => gemm::Parallelism::Rayon(n),
        _ => gemm::Parallelism::None,
    }
}

/// Portable `c (+)= a·b`, correct for every [`Scalar`] (dual numbers included).
///
/// Loop order `i, p, j` streams over rows of `b` and `c` so the inner loop is
/// contiguous when `b` is row-major.
pub fn gemm_fallback<T: Scalar>(
    accumulate: bool,
    m: usize,
    n: usize,
    k: usize,
    a: Strided<'_, T>,
    b: Strided<'_, T>,
    c: &mut [T],
) {
    assert_eq!(c.len(), m * n, "gemm: output buffer holds {} elements, expected {m}×{n}", c.len());
    if !accumulate {
        c.iter_mut().for_each(|x| *x = T::zero());
    }
    for i in 0..m {
        let c_row = &mut c[i * n..(i + 1) * n];
        for p in 0..k {
            let aip = a.at(i, p);
            if b.col_stride == 1 {
                let b_row = &b.data[p * b.row_stride..p * b.row_stride + n];
                for (cj, &bj) in c_row.iter_mut().zip(b_row) {
                    *cj += aip * bj;
                }
            } else {
                for (j, cj) in c_row.iter_mut().enumerate() {
                    *cj += aip * b.at(p, j);
                }
            }
        }
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// The element types the tuned kernel handles: exactly `f32` and `f64` (sealed).
/// `gemm::gemm` panics on any other type, so the bound makes that unreachable.
pub trait TunedFloat: Scalar + sealed::Sealed + Send + Sync + 'static {}
impl TunedFloat for f32 {}
impl TunedFloat for f64 {}

/// Checks that a strided `rows × cols` view stays inside its slice and returns the
/// strides as `isize` (a stride along an axis of length ≤ 1 is never used to form
/// an address, so it is replaced by 0, which also keeps the cast in range).
///
/// Panics with `what` and the offending extent otherwise.
fn checked_strides<T>(what: &str, view: &Strided<'_, T>, rows: usize, cols: usize) -> (isize, isize) {
    let rs = if rows > 1 { view.row_stride } else { 0 };
    let cs = if cols > 1 { view.col_stride } else { 0 };
    if rows > 0 && cols > 0 {
        let last = (rows - 1)
            .checked_mul(rs)
            .and_then(|r| (cols - 1).checked_mul(cs).and_then(|c| r.checked_add(c)))
            .unwrap_or(usize::MAX);
        assert!(
            last < view.data.len(),
            "gemm: {what} view {rows}×{cols} with strides ({}, {}) reaches element {last}, but holds {}",
            view.row_stride,
            view.col_stride,
            view.data.len()
        );
    }
    // Both strides are ≤ last < data.len() ≤ isize::MAX (a slice never exceeds
    // isize::MAX bytes), or were set to 0 above, so the casts are lossless.
    (rs as isize, cs as isize)
}

/// `c (+)= a·b` with the tuned kernel of the `gemm` crate, whatever the size.
///
/// `c` is row-major `m × n`, `a` an `m × k` and `b` a `k × n` strided view. Panics
/// if `c.len() != m·n` or if either view would read past its slice. Exposed so
/// benchmarks can compare it with [`gemm_fallback`]; normal code calls
/// [`gemm_float`] (or just [`Scalar::gemm`]), which also picks the portable loop
/// for tiny products.
pub fn gemm_tuned<T: TunedFloat>(
    accumulate: bool,
    m: usize,
    n: usize,
    k: usize,
    a: Strided<'_, T>,
    b: Strided<'_, T>,
    c: &mut [T],
) {
    assert_eq!(c.len(), m * n, "gemm: output buffer holds {} elements, expected {m}×{n}", c.len());
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        // An empty sum: c = 0 (or unchanged when accumulating).
        if !accumulate {
            c.iter_mut().for_each(|x| *x = T::zero());
        }
        return;
    }
    let (a_rs, a_cs) = checked_strides("lhs", &a, m, k);
    let (b_rs, b_cs) = checked_strides("rhs", &b, k, n);
    // dst = alpha·dst + beta·lhs·rhs; with read_dst = false dst is only written.
    let (alpha, beta) = if accumulate { (T::one(), T::one()) } else { (T::zero(), T::one()) };
    // SAFETY:
    // * dst: `c` is a live `&mut [T]` of exactly m·n elements (asserted above); with
    //   row stride n and column stride 1 the largest offset is (m-1)·n + (n-1) =
    //   m·n - 1 < c.len(), and all offsets are distinct, so every write is in bounds.
    // * lhs: `checked_strides` asserted (m-1)·a_rs + (k-1)·a_cs < a.data.len(), and
    //   every element (i, p) with i < m, p < k has an offset at most that, so every
    //   read is in bounds; likewise rhs with (k-1)·b_rs + (n-1)·b_cs < b.data.len().
    //   Strides are non-negative, so no offset is below 0.
    // * aliasing: `c` is a unique borrow while `a.data` and `b.data` are shared
    //   borrows alive for this call, so the borrow checker guarantees dst does not
    //   overlap lhs or rhs; lhs and rhs are only read, so they may overlap.
    // * m, n, k > 0 here, and T is f32 or f64 (sealed `TunedFloat`), the types
    //   `gemm::gemm` supports, so it takes no panicking branch.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            a.data.as_ptr(),
            a_cs,
            a_rs,
            b.data.as_ptr(),
            b_cs,
            b_rs,
            alpha,
            beta,
            false,
            false,
            false,
            parallelism(),
        );
    }
}

/// `c (+)= a·b` for `f32`/`f64`: the portable loop below [`SMALL_GEMM_FLOPS`]
/// multiply-adds, the tuned kernel ([`gemm_tuned`]) above. Same contract as
/// [`gemm_fallback`].
pub fn gemm_float<T: TunedFloat>(
    accumulate: bool,
    m: usize,
    n: usize,
    k: usize,
    a: Strided<'_, T>,
    b: Strided<'_, T>,
    c: &mut [T],
) {
    if m.saturating_mul(n).saturating_mul(k) < SMALL_GEMM_FLOPS {
        gemm_fallback(accumulate, m, n, k, a, b, c);
    } else {
        gemm_tuned(accumulate, m, n, k, a, b, c);
    }
}
