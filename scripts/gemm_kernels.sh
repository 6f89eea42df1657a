#!/bin/sh
# Both builds of the `gemm` crate's kernels on this machine, in one session:
# benches/gemm_kernels.rs built with the default feature `avx512` (the crate's
# AVX-512 micro-kernels, chosen at run time on a CPU that has AVX-512F) and
# without it (AVX2+FMA only), run back to back in the order A B A B. The last
# run prints both builds' GFLOP/s and their ratio.
#
# Run it from the repository root, NOT under flock: it builds both benches
# first, then takes /tmp/wengert-bench.lock itself for the runs only (a flock
# around the script would deadlock with the one inside).
#   scripts/gemm_kernels.sh
set -eu

# The path of the bench executable `cargo bench --no-run "$@"` builds.
build() {
    cargo bench --bench gemm_kernels --no-run "$@" 2>&1 |
        sed -n 's/.*Executable benches\/gemm_kernels.rs (\(.*\))/\1/p' | tail -n 1
}

with_avx512=$(build)
avx2_only=$(build --no-default-features --features cli)
if [ -z "$with_avx512" ] || [ -z "$avx2_only" ] || [ "$with_avx512" = "$avx2_only" ]; then
    echo "gemm_kernels.sh: could not build the two benches" >&2
    exit 1
fi
lscpu | grep -E '^Model name|^CPU\(s\)' || true
uptime
flock /tmp/wengert-bench.lock sh -c '
    for bench in "$1" "$2" "$1" "$2"; do
        # criterion reports progress on stderr: keep only the table and errors.
        "$bench" --bench 2>&1 | grep -E "^This build|^GFLOP|^shape|^(b[0-9]|[0-9])|panicked|[Ee]rror" || true
    done
' gemm_kernels "$with_avx512" "$avx2_only"
uptime
