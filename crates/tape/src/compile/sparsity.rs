//! Sparsity patterns of a compiled function's Jacobian and Hessian, read off the
//! op sequence by index-set propagation (no derivative is computed).
//!
//! * **Jacobian**: each slot carries the set of inputs it depends on (sorted
//!   index vectors, merged op by op); output `i`'s set is row `i`.
//! * **Hessian** (one output): the *nonlinear interaction* rule (as in ADOL-C
//!   and CppAD). `H = Σ_k r̄_k · J_kᵀ ∇²φ_k J_k` over the ops `φ_k`, so entry
//!   `(i, j)` can be nonzero only if some op that reaches the output has a
//!   nonzero second partial between an operand depending on `i` and one
//!   depending on `j`: `∂²/∂a²` pairs `X_a × X_a`, `∂²/∂a∂b` pairs `X_a × X_b`
//!   (both ways), `∂²/∂b²` pairs `X_b × X_b`, where `X` are the dependency sets
//!   and the flags are [`ScalarOp::second_order`](crate::ScalarOp::second_order).
//!   Affine ops, `relu` and `abs` add nothing. The pattern is a superset of the
//!   true one (a cancellation, like `x·y − y·x`, is not seen) and holds at every
//!   input where the guards hold.
//!
//! Cost: the sum of the set sizes over all slots, plus `Σ |X_a|·|X_b|` over the
//! nonlinear ops — small for the partially separable functions sparsity is for.

use super::csr::SparsityPattern;
use super::program::Program;

/// Sorted union of two sorted index sets.
fn union(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => {
                out.push(a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(b[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// The inputs each slot depends on (input `i` is index `i`, from 0).
fn dependencies(program: &Program) -> Vec<Vec<u32>> {
    let mut deps: Vec<Vec<u32>> = vec![Vec::new(); program.n_slots()];
    for i in 0..program.n_inputs {
        deps[1 + i] = vec![i as u32];
    }
    let first_op = program.first_op();
    for k in 0..program.ops.len() {
        let (a, b) = (program.arg_a[k] as usize, program.arg_b[k] as usize);
        deps[first_op + k] = if b == 0 || deps[b].is_empty() {
            deps[a].clone()
        } else if deps[a].is_empty() {
            deps[b].clone()
        } else {
            union(&deps[a], &deps[b])
        };
    }
    deps
}

/// The Jacobian's pattern: `outputs × inputs`.
pub(crate) fn jacobian_pattern(program: &Program) -> SparsityPattern {
    let deps = dependencies(program);
    let rows: Vec<Vec<u32>> = program.outputs.iter().map(|&s| deps[s as usize].clone()).collect();
    SparsityPattern::from_rows(program.n_inputs, &rows)
}

/// Which ops can reach output `out` (reverse reachability).
fn reaching(program: &Program, out: u32) -> Vec<bool> {
    let mut live = vec![false; program.n_slots()];
    live[out as usize] = true;
    let first_op = program.first_op();
    for k in (0..program.ops.len()).rev() {
        if live[first_op + k] {
            live[program.arg_a[k] as usize] = true;
            live[program.arg_b[k] as usize] = true;
        }
    }
    live
}

/// The Hessian's pattern (`inputs × inputs`, both triangles) of output 0.
pub(crate) fn hessian_pattern(program: &Program) -> SparsityPattern {
    let n = program.n_inputs;
    let deps = dependencies(program);
    let live = reaching(program, program.outputs[0]);
    let first_op = program.first_op();
    let mut rows: Vec<Vec<u32>> = vec![Vec::new(); n];
    let mut pair = |xs: &[u32], ys: &[u32]| {
        for &i in xs {
            rows[i as usize].extend_from_slice(ys);
        }
        for &j in ys {
            rows[j as usize].extend_from_slice(xs);
        }
    };
    for k in 0..program.ops.len() {
        if !live[first_op + k] {
            continue;
        }
        let (aa, ab, bb) = program.ops[k].second_order();
        let xa = &deps[program.arg_a[k] as usize];
        let xb = &deps[program.arg_b[k] as usize];
        if aa {
            pair(xa, xa);
        }
        if ab {
            pair(xa, xb);
        }
        if bb {
            pair(xb, xb);
        }
    }
    for r in &mut rows {
        r.sort_unstable();
        r.dedup();
    }
    SparsityPattern::from_rows(n, &rows)
}

#[cfg(test)]
mod tests {
    use super::union;

    #[test]
    fn union_merges_sorted_sets() {
        assert_eq!(union(&[1, 3, 5], &[2, 3, 6]), vec![1, 2, 3, 5, 6]);
        assert_eq!(union(&[], &[4]), vec![4]);
    }
}
