//! Mutation fuzzing of the three file loaders — CSV ([`load_csv`]), IDX
//! ([`parse_idx_images`], [`parse_idx_labels`]) and safetensors checkpoints
//! ([`checkpoint::from_bytes`]) — as bounded, seeded tests: valid files are
//! mutated (bit flips, interesting bytes and integers, insertions, deletions,
//! duplicated chunks, truncation), and every loader must return `Ok` or `Err`
//! without panicking and without allocating more than a bound proportional to
//! its input.
//!
//! Allocation is measured, not inferred: this file is its own test binary
//! with a counting global allocator that keeps, per thread, the bytes live
//! and their peak, so tests running in parallel do not see each other's
//! allocations. The bound per loader is `factor × input length + a constant`
//! (the constant covers fixed buffers such as the gzip decoder's window);
//! an allocation sized by a length or count that a file *declares* — an IDX
//! header, a gzip size trailer, a safetensors shape — or by a label's value
//! breaks it at once.
//!
//! The default run is a few thousand cases per loader (seconds). The ignored
//! test runs 100 times as many: too slow for every `cargo test` on a 2-core
//! machine, worth running after changing a loader:
//! `cargo test -p wengert-nn --test data_fuzz -- --ignored`.
//!
//! The gzip bomb of issue 11 is here too: a file whose header declares one
//! label but which expands to megabytes of trailing zeros must be refused
//! after reading a few bytes of it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::Compression;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use wengert_nn::checkpoint;
use wengert_nn::data::{
    load_csv, parse_idx_images, parse_idx_labels, prepare, Bundled, DataError, IdxErrorKind, TargetKind,
};
use wengert_ops::Matrix;
use wengert_optim::Params;

struct Counting;

thread_local! {
    /// Bytes allocated and not yet freed by this thread.
    static LIVE: Cell<isize> = const { Cell::new(0) };
    /// The largest `LIVE` since the last reset.
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn track(delta: isize) {
    // `try_with`: during thread teardown the cells may be gone; skip then.
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

// SAFETY: every call is forwarded unchanged to the system allocator, which
// upholds the GlobalAlloc contract. The only addition is bookkeeping in
// const-initialized thread-local `Cell<isize>`s, which have no destructor and
// never allocate, so the allocator is not re-entered.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's layout, passed on as the contract requires.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            track(layout.size() as isize);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as in `alloc`.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            track(layout.size() as isize);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with this layout.
        unsafe { System.dealloc(ptr, layout) };
        track(-(layout.size() as isize));
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded unchanged; `ptr` and `layout` come from this allocator.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            track(new_size as isize - layout.size() as isize);
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `f` and returns its result with the most bytes it had allocated at
/// once (on this thread, beyond what was live when it started).
fn peak_allocation<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let start = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(start));
    let result = f();
    let peak = PEAK.with(Cell::get);
    (result, (peak - start).max(0) as usize)
}

/// A loader's allowance: `per_byte × input length + fixed` bytes.
#[derive(Clone, Copy)]
struct Bound {
    per_byte: usize,
    fixed: usize,
}

impl Bound {
    fn of(self, input_len: usize) -> usize {
        self.per_byte * input_len + self.fixed
    }
}

/// CSV: the file's bytes, the parsed numbers (8 bytes each, at least 2 bytes
/// of text each, in vectors that may double), then preparing the table —
/// class map, split and standardized copies — a few more copies of them.
const CSV_BOUND: Bound = Bound { per_byte: 64, fixed: 64 << 10 };
/// IDX: the decompressed data is at most 1032× the compressed input (deflate's
/// limit) and its buffer may double once; plus the gzip decoder's window and
/// buffers.
const IDX_BOUND: Bound = Bound { per_byte: 2 * 1032 + 1, fixed: 256 << 10 };
/// Safetensors: the JSON header parsed into names, shapes and metadata, and
/// the tensors converted to `f64` (8 bytes for every 4 of an `F32` file).
const SAFETENSORS_BOUND: Bound = Bound { per_byte: 16, fixed: 64 << 10 };

/// Interesting 32-bit values for headers and sizes.
const INTERESTING_U32: [u32; 9] = [0, 1, 2, 0x7f, 0xff, 0xffff, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff];
/// Interesting bytes for text formats: separators, signs, exponents, quotes.
const INTERESTING_BYTES: &[u8] = b",\n\r\"-+.eE9 0\xff\x00";

/// Applies 1 to 4 random mutations to a copy of `seed`.
fn mutate(seed: &[u8], rng: &mut StdRng) -> Vec<u8> {
    let mut b = seed.to_vec();
    for _ in 0..rng.random_range(1..=4) {
        let len = b.len();
        match rng.random_range(0..9) {
            0 if len > 0 => {
                let i = rng.random_range(0..len);
                b[i] ^= 1 << rng.random_range(0..8);
            }
            1 if len > 0 => {
                let i = rng.random_range(0..len);
                b[i] = INTERESTING_BYTES[rng.random_range(0..INTERESTING_BYTES.len())];
            }
            2 if len > 0 => {
                let i = rng.random_range(0..len);
                b[i] = rng.random();
            }
            3 => {
                let i = rng.random_range(0..=len);
                let extra: Vec<u8> = (0..rng.random_range(1..=8)).map(|_| rng.random()).collect();
                b.splice(i..i, extra);
            }
            4 if len > 0 => {
                let i = rng.random_range(0..len);
                let j = (i + rng.random_range(1..=16)).min(len);
                b.drain(i..j);
            }
            5 => b.truncate(rng.random_range(0..=len)),
            6 if len > 1 => {
                let i = rng.random_range(0..len);
                let j = (i + rng.random_range(1..=32)).min(len);
                let chunk = b[i..j].to_vec();
                let at = rng.random_range(0..=b.len());
                b.splice(at..at, chunk);
            }
            7 if len >= 4 => {
                let i = rng.random_range(0..=len - 4);
                let v = INTERESTING_U32[rng.random_range(0..INTERESTING_U32.len())];
                let bytes = if rng.random() { v.to_be_bytes() } else { v.to_le_bytes() };
                b[i..i + 4].copy_from_slice(&bytes);
            }
            8 if len >= 8 => {
                let i = rng.random_range(0..=len - 8);
                let v: u64 = if rng.random() { rng.random() } else { rng.random_range(0..4096) };
                b[i..i + 8].copy_from_slice(&v.to_le_bytes());
            }
            _ => {}
        }
    }
    b
}

/// Runs `load` on `cases` mutations of the seeds, failing with the case's
/// seed and bytes on a panic or on an allocation beyond `bound`.
fn fuzz(name: &str, seeds: &[Vec<u8>], cases: usize, rng_seed: u64, bound: Bound, load: impl Fn(&[u8])) {
    let mut rng = StdRng::seed_from_u64(rng_seed);
    let (mut worst_ratio, mut worst_bytes) = (0.0f64, 0usize);
    for case in 0..cases {
        let seed = &seeds[case % seeds.len()];
        let input = mutate(seed, &mut rng);
        let (outcome, peak) = peak_allocation(|| catch_unwind(AssertUnwindSafe(|| load(&input))));
        if outcome.is_err() {
            panic!("{name}: case {case} (rng seed {rng_seed}) panicked on input {input:?}");
        }
        let allowed = bound.of(input.len());
        assert!(
            peak <= allowed,
            "{name}: case {case} (rng seed {rng_seed}) allocated {peak} bytes for a {}-byte input (bound {allowed}): \
             {input:?}",
            input.len()
        );
        worst_bytes = worst_bytes.max(peak);
        worst_ratio = worst_ratio.max(peak as f64 / input.len().max(1) as f64);
    }
    eprintln!("{name}: {cases} cases, peak allocation {worst_bytes} bytes, at most {worst_ratio:.0} per input byte");
}

/// A scratch file per test thread, rewritten for every case.
fn scratch_file(tag: &str) -> PathBuf {
    std::env::temp_dir().join(format!("wengert-fuzz-{}-{tag}.csv", std::process::id()))
}

fn csv_seeds() -> Vec<Vec<u8>> {
    let iris = std::fs::read_to_string(wengert_nn::data::data_dir().join("iris.csv")).unwrap();
    let head: String = iris.lines().take(1).chain(iris.lines().skip(1).step_by(12)).map(|l| format!("{l}\n")).collect();
    vec![
        head.into_bytes(),
        b"a, b ,label\r\n1,2e1,3\r\n\r\n-4,+5.5,100000\r\n7,8,3\r\n9,10,100000\r\n".to_vec(),
        b"\xEF\xBB\xBFx,y\n0.5,1.25\n1.5,2.75\n2.5,4.25\n3.5,5.75\n".to_vec(),
        // Quoting (commas, an escaped quote, a line break in a field) and class names.
        b"\"w, cm\",\"h \"\"in\"\"\",species\n1.5,\"2\",setosa\n3,4,\"vir,\nginica\"\n5,6,setosa\n7,8,\"vir,\nginica\"\n"
            .to_vec(),
    ]
}

fn run_csv(cases: usize, rng_seed: u64) {
    let path = scratch_file(&format!("csv-{rng_seed}"));
    fuzz("csv", &csv_seeds(), cases, rng_seed, CSV_BOUND, |bytes| {
        std::fs::write(&path, bytes).unwrap();
        if let Ok(table) = load_csv(&path) {
            // What a training run does next must not panic either.
            let kind = TargetKind::of(&table);
            let _ = table.class_counts();
            let _ = prepare(Bundled::Single(table.clone()), kind, 0.3, 1);
            let _ = prepare(Bundled::Single(table), TargetKind::RealValued, 0.3, 1);
        }
    });
    std::fs::remove_file(&path).ok();
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn idx_seeds() -> Vec<Vec<u8>> {
    let mut images = vec![0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2];
    images.extend((0..12).map(|k| k * 20));
    let labels = vec![0, 0, 8, 1, 0, 0, 0, 3, 5, 0, 9];
    vec![gzip(&images), gzip(&labels), images, labels]
}

fn run_idx(cases: usize, rng_seed: u64) {
    fuzz("idx", &idx_seeds(), cases, rng_seed, IDX_BOUND, |bytes| {
        if let Ok(images) = parse_idx_images(bytes, "fuzz.idx") {
            assert_eq!(images.pixels.len(), images.count * images.rows * images.cols);
        }
        let _ = parse_idx_labels(bytes, "fuzz.idx");
    });
}

fn safetensors_seeds() -> Vec<Vec<u8>> {
    let path = std::env::temp_dir().join(format!("wengert-fuzz-{}-seed.safetensors", std::process::id()));
    let params = Params::<f32>::new()
        .with("fc1.weight", Matrix::from_fn(3, 2, |i, j| (i * 2 + j) as f32 * 0.5))
        .with("fc1.bias", Matrix::from_rows(&[[0.25, -0.5]]));
    checkpoint::save(&params, &path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).ok();
    assert_eq!(checkpoint::from_bytes::<f32>(&bytes, &path).unwrap(), params, "the seed is valid");
    vec![bytes]
}

fn run_safetensors(cases: usize, rng_seed: u64) {
    let path = Path::new("fuzz.safetensors");
    fuzz("safetensors", &safetensors_seeds(), cases, rng_seed, SAFETENSORS_BOUND, |bytes| {
        let _ = checkpoint::from_bytes::<f32>(bytes, path);
        let _ = checkpoint::from_bytes::<f64>(bytes, path);
    });
}

#[test]
fn csv_loader_survives_mutations() {
    run_csv(3000, 11);
}

#[test]
fn idx_loader_survives_mutations() {
    run_idx(4000, 12);
}

#[test]
fn safetensors_loader_survives_mutations() {
    run_safetensors(4000, 13);
}

#[test]
#[ignore = "100× the default cases: minutes on a 2-core machine; run after changing a loader"]
fn loaders_survive_many_more_mutations() {
    for round in 0..10 {
        run_csv(30_000, 1000 + round);
        run_idx(40_000, 2000 + round);
        run_safetensors(40_000, 3000 + round);
    }
}

/// `header` followed by `zeros` zero bytes, gzip-compressed in a stream (the
/// expanded data is never held in memory).
fn gzip_with_zeros(header: &[u8], zeros: usize) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    enc.write_all(header).unwrap();
    let chunk = vec![0u8; 1 << 16];
    let mut left = zeros;
    while left > 0 {
        let n = left.min(chunk.len());
        enc.write_all(&chunk[..n]).unwrap();
        left -= n;
    }
    enc.finish().unwrap()
}

#[test]
fn a_gzip_bomb_is_refused_after_its_header_without_expanding_it() {
    // One label declared, then 32 MiB of zeros (a 32 KB file).
    let bomb = gzip_with_zeros(&[0, 0, 8, 1, 0, 0, 0, 1, 7], 32 << 20);
    assert!(bomb.len() < 64 << 10, "{} bytes", bomb.len());
    let (result, peak) = peak_allocation(|| parse_idx_labels(&bomb, "bomb.gz"));
    let err = result.unwrap_err();
    assert!(
        matches!(&err, DataError::Idx { offset: 9, compressed: true, kind: IdxErrorKind::TrailingData { .. }, .. }),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "bomb.gz, byte offset 9 of the decompressed data: trailing bytes after the data: the header sizes 1 imply 9 \
         bytes in total, but the data goes on (not decompressed further)"
    );
    // It used to decompress everything first: 32 MiB (512 MiB for a 520 KB file).
    assert!(peak < 512 << 10, "the bomb took {peak} bytes");

    // From a file, the same.
    let path = std::env::temp_dir().join(format!("wengert-fuzz-{}-bomb.gz", std::process::id()));
    std::fs::write(&path, &bomb).unwrap();
    let (result, peak) = peak_allocation(|| wengert_nn::data::read_idx_labels(&path));
    std::fs::remove_file(&path).ok();
    assert!(matches!(result, Err(DataError::Idx { kind: IdxErrorKind::TrailingData { .. }, .. })));
    assert!(peak < 512 << 10, "the bomb took {peak} bytes from a file");
}

#[test]
fn a_lying_size_reserves_nothing_beyond_what_the_input_can_hold() {
    // A header that declares 2³²−1 × 2³²−1 × 2³²−1 pixels, and a gzip trailer
    // that claims 4 GiB: neither is believed beyond 1032× the file's length.
    let mut liar = gzip(&[0, 0, 8, 3, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 1, 2, 3]);
    let n = liar.len();
    liar[n - 4..].copy_from_slice(&u32::MAX.to_le_bytes());
    let (result, peak) = peak_allocation(|| parse_idx_images(&liar, "liar.gz"));
    assert!(result.is_err());
    assert!(peak <= IDX_BOUND.of(liar.len()), "{peak} bytes for a {n}-byte file");
    // A plain file's length is known: its header is checked before any data is read.
    let mut plain = vec![0, 0, 8, 3, 0, 0, 255, 255, 0, 0, 255, 255, 0, 0, 255, 255];
    plain.extend_from_slice(&[0; 64]);
    let (result, peak) = peak_allocation(|| parse_idx_images(&plain, "liar.idx"));
    assert!(matches!(result, Err(DataError::Idx { kind: IdxErrorKind::SizeMismatch { .. }, .. })));
    assert!(peak < 4 << 10, "{peak}");
}

#[test]
fn large_labels_allocate_by_the_class_count_not_the_value() {
    let mut text = String::from("a,label\n");
    for i in 0..40 {
        text += &format!("{i},{}\n", [3.0, 7.0, 1e9, 1e15][i % 4]);
    }
    let path = scratch_file("labels");
    std::fs::write(&path, &text).unwrap();
    let (prepared, peak) =
        peak_allocation(|| prepare(Bundled::Single(load_csv(&path).unwrap()), TargetKind::ClassLabels, 0.25, 0));
    std::fs::remove_file(&path).ok();
    assert_eq!(prepared.unwrap().classes, Some(4));
    assert!(peak < 64 << 10, "{peak} bytes");
}
