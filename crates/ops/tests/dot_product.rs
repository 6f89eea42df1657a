//! The dot-product test for every built-in matrix op, through the public
//! harness ([`dot_product_test`] in `wengert_ops::check`):
//! ⟨J v, w⟩ = ⟨v, Jᵀ w⟩ to 1e-12 (relative).
//!
//! `J v` comes from the op's *JVP* rule, `Jᵀ w` from its *VJP* rule. The two are
//! written independently, so agreement checks each against the other with no
//! finite-difference step in between. Many random draws per op, on shapes
//! including 1×1, 1×n, n×1 and non-square. (`wengert-tape`'s
//! `tests/dot_product.rs` also checks the JVP against the op's *forward* rule
//! run on dual numbers.)

mod cases;

use cases::{cases, uniform, Case, SHAPES};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use wengert_ops::check::dot_product_test;
use wengert_ops::rules::{Builtin, SoftmaxCrossEntropy};

const TOL: f64 = 1e-12;

#[test]
fn every_builtin_op_passes_the_dot_product_test() {
    let mut rng = StdRng::seed_from_u64(2026);
    let mut rounds = 0;
    for _round in 0..20 {
        for &shape in &SHAPES {
            for Case { op, inputs } in cases(&mut rng, shape) {
                let report = dot_product_test(&op, &inputs, rng.random());
                assert!(report.passes(TOL), "{report}");
            }
            rounds += 1;
        }
    }
    assert_eq!(rounds, 20 * SHAPES.len());
}

#[test]
fn softmax_cross_entropy_passes_on_rows_wider_than_its_stack_buffer() {
    // The VJP keeps a row's exponentials on the stack up to 64 classes and
    // recomputes them beyond; both paths must give the same product.
    let mut rng = StdRng::seed_from_u64(7);
    for classes in [63, 64, 65, 200] {
        let labels: Vec<usize> = (0..4).map(|_| rng.random_range(0..classes)).collect();
        let op = Builtin::from(SoftmaxCrossEntropy(labels));
        let report = dot_product_test(&op, &[uniform(&mut rng, (4, classes), -2.0, 2.0)], rng.random());
        assert!(report.passes(TOL), "{report}");
    }
}
