//! Every built-in op is tested and documented: for each kind in
//! [`Builtin::catalogue`] (generated from the same lists that define the op
//! families, so a new op is in it automatically) there must be
//!
//! * a test case in `cases/mod.rs` — the list that the finite-difference checks
//!   of the VJP and the JVP (`ops_fd.rs`) and the dot-product test
//!   (`dot_product.rs`) run, so a case there is a case in both;
//! * a row in `docs/ops.md` whose first cell names the kind.

mod cases;

use std::collections::BTreeSet;

use rand::rngs::StdRng;
use rand::SeedableRng;
use wengert_ops::rules::Builtin;

fn kinds() -> Vec<&'static str> {
    Builtin::catalogue().iter().map(Builtin::kind).collect()
}

#[test]
fn every_builtin_op_has_a_finite_difference_and_dot_product_case() {
    let mut rng = StdRng::seed_from_u64(1);
    let covered: BTreeSet<&str> =
        cases::SHAPES.iter().flat_map(|&s| cases::cases(&mut rng, s)).map(|c| c.op.kind()).collect();
    let missing: Vec<&str> = kinds().into_iter().filter(|k| !covered.contains(k)).collect();
    assert!(missing.is_empty(), "ops without a test case in crates/ops/tests/cases/mod.rs: {missing:?}");
}

#[test]
fn every_builtin_op_has_a_row_in_docs_ops_md() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/ops.md");
    let doc = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    // First cells of table rows: "| `MatMul { ta, tb }` |" names the kind MatMul.
    let documented: BTreeSet<String> = doc
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .map(|rest| rest.chars().take_while(|c| c.is_ascii_alphanumeric()).collect())
        .collect();
    let missing: Vec<&str> = kinds().into_iter().filter(|k| !documented.contains(*k)).collect();
    assert!(missing.is_empty(), "ops without a row in docs/ops.md: {missing:?}");
}
