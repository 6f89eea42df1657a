//! The built-in matrix ops' forward rules, run on dual numbers, against their
//! JVP and VJP rules, for every case of the shared list
//! (`crates/ops/tests/cases/mod.rs`):
//!
//! * the tangent that `forward` computes on `Dual<f64>` inputs `x + εv` equals
//!   the op's JVP `J·v` to 1e-12 (relative to the size of its terms), and
//! * ⟨J v, w⟩ = ⟨v, Jᵀ w⟩ to 1e-12 with `J v` from that dual-number forward
//!   pass and `Jᵀ w` from the VJP on `f64` — the dot-product test with the
//!   forward computation itself on the left.
//!
//! The tape differentiates built-in ops in forward mode (and for HVPs) through
//! exactly this dual-number forward pass; `wengert-ops`'s own dot-product test
//! checks the JVP against the VJP.

#[path = "../../ops/tests/cases/mod.rs"]
mod cases;

use cases::{cases, uniform, Case, SHAPES};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use wengert_dual::Dual;
use wengert_ops::rules::Builtin;
use wengert_ops::{MatOp, Matrix};

type D = Dual<f64>;

fn to_dual(x: &Matrix<f64>, v: &Matrix<f64>) -> Matrix<D> {
    Matrix::from_fn(x.rows(), x.cols(), |i, j| Dual::new(x[(i, j)], v[(i, j)]))
}

fn check(op: &Builtin, xs: &[Matrix<f64>], rng: &mut StdRng) {
    let name = op.op_name();
    let vs: Vec<Matrix<f64>> = xs.iter().map(|x| uniform(rng, x.shape(), -2.0, 2.0)).collect();
    let shapes: Vec<(usize, usize)> = xs.iter().map(|x| x.shape()).collect();
    let out_shape = MatOp::<f64>::output_shape(op, &shapes);
    let len = out_shape.0 * out_shape.1;

    // J v: the forward rule on dual numbers. Outputs start as NaN: every forward
    // rule must overwrite its whole buffer (the MatOp contract; the tape reuses
    // buffers without clearing them).
    let dual_inputs: Vec<Matrix<D>> = xs.iter().zip(&vs).map(|(x, v)| to_dual(x, v)).collect();
    let dual_refs: Vec<&Matrix<D>> = dual_inputs.iter().collect();
    let mut dual_out = vec![D::new(f64::NAN, f64::NAN); len];
    op.forward(&dual_refs, &mut dual_out);

    // The same on f64, then the JVP and the VJP.
    let refs: Vec<&Matrix<f64>> = xs.iter().collect();
    let mut out = vec![f64::NAN; len];
    op.forward(&refs, &mut out);
    assert!(out.iter().all(|v| !v.is_nan()), "{name}: forward left part of its output unwritten");
    let out = Matrix::from_vec(out_shape.0, out_shape.1, out);
    let tangents: Vec<Option<&[f64]>> = vs.iter().map(|v| Some(v.as_slice())).collect();
    let mut jv = vec![f64::NAN; len];
    assert!(op.jvp(&refs, &out, &tangents, &mut jv), "{name}: no JVP");
    for (k, (d, &t)) in dual_out.iter().zip(&jv).enumerate() {
        assert_eq!(d.re.to_bits(), out.as_slice()[k].to_bits(), "{name}: the real part is the f64 value");
        // The JVP and the dual forward pass sum the same terms in different
        // orders: compare relative to the size of the value's tangent terms.
        let scale = d.eps.abs().max(t.abs()).max(1.0);
        assert!((d.eps - t).abs() <= 1e-12 * scale, "{name}: dual tangent {} vs JVP {t} at {k} ({shapes:?})", d.eps);
    }

    // Jᵀ w: the VJP rule on f64.
    let w = uniform(rng, out_shape, -2.0, 2.0);
    let mut grads: Vec<Vec<f64>> = xs.iter().map(|x| vec![0.0; x.len()]).collect();
    {
        let mut slots: Vec<Option<&mut [f64]>> = grads.iter_mut().map(|g| Some(g.as_mut_slice())).collect();
        op.vjp(&refs, &out, w.as_slice(), &mut slots);
    }
    let jv_w: f64 = dual_out.iter().zip(w.iter()).map(|(d, w)| d.eps * w).sum();
    let v_jtw: f64 = vs.iter().zip(&grads).flat_map(|(v, g)| v.iter().zip(g).map(|(a, b)| a * b)).sum();
    let scale: f64 = dual_out.iter().zip(w.iter()).map(|(d, w)| (d.eps * w).abs()).sum::<f64>()
        + vs.iter().zip(&grads).flat_map(|(v, g)| v.iter().zip(g).map(|(a, b)| (a * b).abs())).sum::<f64>();
    let tol = 1e-12 * scale.max(1e-300);
    assert!(
        (jv_w - v_jtw).abs() <= tol,
        "{name}: ⟨Jv, w⟩ = {jv_w:.17e} but ⟨v, Jᵀw⟩ = {v_jtw:.17e} (shapes {shapes:?})"
    );
}

#[test]
fn every_builtin_op_forward_on_duals_agrees_with_its_jvp_and_vjp() {
    let mut rng = StdRng::seed_from_u64(2026);
    let mut rounds = 0;
    for _round in 0..20 {
        for &shape in &SHAPES {
            for Case { op, inputs } in cases(&mut rng, shape) {
                check(&op, &inputs, &mut rng);
            }
            rounds += 1;
        }
    }
    assert_eq!(rounds, 20 * SHAPES.len());
}

#[test]
fn softmax_cross_entropy_passes_on_rows_wider_than_its_stack_buffer() {
    let mut rng = StdRng::seed_from_u64(7);
    for classes in [63, 64, 65, 200] {
        let labels: Vec<usize> = (0..4).map(|_| rng.random_range(0..classes)).collect();
        let x = uniform(&mut rng, (4, classes), -2.0, 2.0);
        check(&wengert_ops::rules::SoftmaxCrossEntropy(labels).into(), &[x], &mut rng);
    }
}
