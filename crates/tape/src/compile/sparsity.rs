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

/// Index sets of many slots in one arena: slot `s`'s set is
/// `data[range[s].0 .. range[s].0 + range[s].1]`, sorted. A one-input op shares
/// its operand's range (no copy).
struct Sets {
    data: Vec<u32>,
    range: Vec<(u32, u32)>,
}

impl Sets {
    fn get(&self, s: usize) -> &[u32] {
        let (start, len) = self.range[s];
        &self.data[start as usize..(start + len) as usize]
    }

    /// Appends the sorted union of the sets of slots `a` and `b` and returns
    /// its range.
    fn union(&mut self, a: usize, b: usize) -> (u32, u32) {
        let ((sa, la), (sb, lb)) = (self.range[a], self.range[b]);
        let start = self.data.len();
        let (mut i, mut j) = (sa as usize, sb as usize);
        let (ea, eb) = (i + la as usize, j + lb as usize);
        while i < ea && j < eb {
            let (x, y) = (self.data[i], self.data[j]);
            let next = x.min(y);
            i += usize::from(x == next);
            j += usize::from(y == next);
            self.data.push(next);
        }
        for k in i..ea {
            let v = self.data[k];
            self.data.push(v);
        }
        for k in j..eb {
            let v = self.data[k];
            self.data.push(v);
        }
        (start as u32, (self.data.len() - start) as u32)
    }
}

/// The inputs each `needed` slot depends on (input `i` is index `i`, from 0).
/// Slots not needed get no set: a running sum over all inputs, which no
/// nonlinear op reads, would otherwise cost a copy of a growing set per term.
fn dependencies(program: &Program, needed: &[bool]) -> Sets {
    let mut sets = Sets { data: (0..program.n_inputs as u32).collect(), range: vec![(0, 0); program.n_slots()] };
    for i in 0..program.n_inputs {
        sets.range[1 + i] = (i as u32, 1);
    }
    let first_op = program.first_op();
    for k in 0..program.ops.len() {
        if !needed[first_op + k] {
            continue;
        }
        let (a, b) = (program.arg_a[k] as usize, program.arg_b[k] as usize);
        let (ra, rb) = (sets.range[a], sets.range[b]);
        sets.range[first_op + k] = if b == 0 || rb.1 == 0 || rb == ra {
            ra
        } else if ra.1 == 0 {
            rb
        } else {
            sets.union(a, b)
        };
    }
    sets
}

/// Which slots reach one of `outputs` (reverse reachability).
fn reaching(program: &Program, outputs: &[u32]) -> Vec<bool> {
    let mut live = vec![false; program.n_slots()];
    for &o in outputs {
        live[o as usize] = true;
    }
    let first_op = program.first_op();
    for k in (0..program.ops.len()).rev() {
        if live[first_op + k] {
            live[program.arg_a[k] as usize] = true;
            live[program.arg_b[k] as usize] = true;
        }
    }
    live
}

/// The Jacobian's pattern: `outputs × inputs`. One output: the inputs it
/// reaches back to (one reverse pass). Several: forward index sets.
pub(crate) fn jacobian_pattern(program: &Program) -> SparsityPattern {
    let n = program.n_inputs;
    if program.outputs.len() == 1 {
        let live = reaching(program, &program.outputs);
        let row: Vec<u32> = (0..n as u32).filter(|&i| live[1 + i as usize]).collect();
        return SparsityPattern::from_rows(n, &[row]);
    }
    let live = reaching(program, &program.outputs);
    let sets = dependencies(program, &live);
    let rows: Vec<Vec<u32>> = program.outputs.iter().map(|&s| sets.get(s as usize).to_vec()).collect();
    SparsityPattern::from_rows(n, &rows)
}

/// The Hessian's pattern (`inputs × inputs`, both triangles) of output 0.
pub(crate) fn hessian_pattern(program: &Program) -> SparsityPattern {
    let n = program.n_inputs;
    let live = reaching(program, &program.outputs[..1]);
    let first_op = program.first_op();
    // Slots whose dependency set is read: operands of live nonlinear ops, and
    // (transitively) the operands of every needed op.
    let mut needed = vec![false; program.n_slots()];
    for k in (0..program.ops.len()).rev() {
        let r = first_op + k;
        let (a, b) = (program.arg_a[k] as usize, program.arg_b[k] as usize);
        if live[r] {
            let (aa, ab, bb) = program.ops[k].second_order();
            needed[a] |= aa || ab;
            needed[b] |= ab || bb;
        }
        if needed[r] {
            needed[a] = true;
            needed[b] = true;
        }
    }
    let sets = dependencies(program, &needed);
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    let mut pair = |xs: &[u32], ys: &[u32]| {
        // `xs × xs` is symmetric already; otherwise both orders.
        let square = xs == ys;
        for &i in xs {
            for &j in ys {
                pairs.push((i, j));
                if !square {
                    pairs.push((j, i));
                }
            }
        }
    };
    for k in 0..program.ops.len() {
        if !live[first_op + k] {
            continue;
        }
        let (aa, ab, bb) = program.ops[k].second_order();
        let xa = sets.get(program.arg_a[k] as usize);
        let xb = sets.get(program.arg_b[k] as usize);
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
    pairs_to_pattern(n, pairs)
}

/// The pattern holding the `(row, column)` pairs given (duplicates allowed):
/// a counting sort by row, then each row sorted and deduplicated.
fn pairs_to_pattern(n: usize, pairs: Vec<(u32, u32)>) -> SparsityPattern {
    let mut count = vec![0usize; n + 1];
    for &(i, _) in &pairs {
        count[i as usize + 1] += 1;
    }
    for i in 0..n {
        count[i + 1] += count[i];
    }
    let mut cols = vec![0u32; pairs.len()];
    let mut next = count.clone();
    for &(i, j) in &pairs {
        cols[next[i as usize]] = j;
        next[i as usize] += 1;
    }
    let mut row_ptr = Vec::with_capacity(n + 1);
    let mut col_idx = Vec::with_capacity(pairs.len());
    row_ptr.push(0);
    for i in 0..n {
        let row = &mut cols[count[i]..count[i + 1]];
        row.sort_unstable();
        let mut last = None;
        for &j in row.iter() {
            if last != Some(j) {
                col_idx.push(j as usize);
                last = Some(j);
            }
        }
        row_ptr.push(col_idx.len());
    }
    SparsityPattern { rows: n, cols: n, row_ptr, col_idx }
}

#[cfg(test)]
mod tests {
    use super::{pairs_to_pattern, Sets};

    #[test]
    fn union_merges_sorted_sets() {
        let mut sets = Sets { data: vec![1, 3, 5, 2, 3, 6, 4], range: vec![(0, 3), (3, 3), (6, 1), (0, 0)] };
        let r = sets.union(0, 1);
        sets.range.push(r);
        assert_eq!(sets.get(4), &[1, 2, 3, 5, 6]);
        let r = sets.union(3, 2);
        sets.range.push(r);
        assert_eq!(sets.get(5), &[4]);
    }

    #[test]
    fn pairs_become_sorted_rows_without_duplicates() {
        let p = pairs_to_pattern(3, vec![(2, 1), (0, 2), (2, 1), (2, 0), (0, 0)]);
        assert_eq!((p.row(0), p.row(1), p.row(2)), (&[0, 2][..], &[][..], &[0, 1][..]));
    }
}
