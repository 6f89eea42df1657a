//! Anomaly mode: the first op that makes a non-finite number from finite inputs
//! is reported with its name, shapes and position, while recording or in the
//! sweep; with the mode off nothing changes.

use wengert_tape::{MatVar, Matrix, Phase, Scalar, Tape, Var};

/// A 3-layer net, `softmax_ce(tanh(relu(x·W₁ + b₁)·W₂ + b₂)·W₃)`, with every
/// op recorded in this order (positions 0, 1, …):
/// 0 matmul, 1 add, 2 relu, 3 matmul, 4 add, 5 tanh, 6 matmul, 7 softmax_cross_entropy.
fn three_layer_loss(tape: &Tape<f64>, w2_scale: f64) -> (Var<'_, f64>, Vec<MatVar<'_, f64>>) {
    let x = tape.constant_matrix(&Matrix::from_fn(6, 4, |i, j| 0.5 + 0.1 * (i + j) as f64));
    let w1 = tape.matrix(&Matrix::from_fn(4, 5, |i, j| 0.3 + 0.05 * (i * 5 + j) as f64));
    let b1 = tape.matrix(&Matrix::from_fn(1, 5, |_, j| 0.1 * j as f64));
    let w2 = tape.matrix(&Matrix::from_fn(5, 5, |i, j| if j == 2 { w2_scale } else { 0.1 * (i as f64 - j as f64) }));
    let b2 = tape.matrix(&Matrix::zeros(1, 5));
    let w3 = tape.matrix(&Matrix::from_fn(5, 3, |i, j| 0.2 * (i as f64) - 0.1 * (j as f64)));
    let h1 = (x.matmul(w1) + b1).relu();
    let h2 = (h1.matmul(w2) + b2).tanh();
    (h2.matmul(w3).softmax_cross_entropy(&[0, 1, 2, 0, 1, 2]), vec![w1, b1, w2, b2, w3])
}

#[test]
fn an_overflow_planted_in_a_three_layer_net_is_reported_at_the_exact_op() {
    let mut tape = Tape::new();
    tape.detect_anomaly(true);
    // Column 2 of W₂ at 1e308: h₁·W₂ overflows to +∞ (five positive terms),
    // everything after it is ∞ or NaN, but only the matmul made it so.
    let (loss, _) = three_layer_loss(&tape, 1e308);
    let _ = tape.backward(loss);
    let a = tape.anomaly().expect("the overflow is found");
    assert_eq!(a.phase, Phase::Recording);
    assert_eq!(a.op, "matmul");
    assert_eq!(a.position, 3, "{a}");
    assert_eq!(a.shapes, vec![(6, 5), (5, 5), (6, 5)]);
    assert_eq!(a.found, f64::INFINITY);
    let msg = a.to_string();
    assert!(msg.contains("op #3 `matmul` (6×5), (5×5) → (6×5)"), "{msg}");
    assert_eq!(tape.check_anomaly(), Err(a));
}

#[test]
fn a_healthy_net_reports_nothing_and_its_gradients_do_not_change() {
    let grads_of = |detect: bool| {
        let mut tape = Tape::new();
        tape.detect_anomaly(detect);
        let (loss, params) = three_layer_loss(&tape, 0.3);
        let g = tape.backward(loss);
        assert!(tape.anomaly().is_none());
        let grads: Vec<Vec<u64>> =
            params.iter().map(|&p| g.matrix(p).as_slice().iter().map(|x| x.to_bits()).collect()).collect();
        (loss.primal().to_bits(), grads)
    };
    assert_eq!(grads_of(false), grads_of(true));
}

#[test]
fn a_scalar_op_is_named_with_its_inputs() {
    let mut tape = Tape::new();
    tape.detect_anomaly(true);
    let x = tape.var(2.0);
    let y = tape.var(2.0);
    let d = x - y; // op 0: exactly 0
    let z = (d.ln() + 1.0) * x; // op 1: ln(0) = −∞
    let _ = tape.backward(z);
    let a = tape.anomaly().expect("found");
    assert_eq!((a.op.as_str(), a.position, a.phase), ("ln", 1, Phase::Recording));
    assert_eq!(a.what, "value");
    assert_eq!(a.inputs, vec![0.0]);
    assert!(a.to_string().contains("`ln` at (0e0) gave value = -inf"), "{a}");
}

#[test]
fn an_infinite_partial_is_found_while_recording() {
    let mut tape = Tape::new();
    tape.detect_anomaly(true);
    let x = tape.var(0.0);
    let y = x.sqrt(); // value 0 is fine; ∂/∂x = ∞
    let _ = tape.backward(y + x);
    let a = tape.anomaly().expect("found");
    assert_eq!((a.op.as_str(), a.what.as_str(), a.found), ("sqrt", "partial ∂/∂input 0", f64::INFINITY));
}

#[test]
fn an_overflow_in_the_sweep_is_found_in_the_sweep() {
    let mut tape = Tape::new();
    tape.detect_anomaly(true);
    let a = tape.var(1e200);
    let b = tape.var(1e-200);
    let z = (a * b) * 1e200; // values 1 and 1e200: all finite
    let _ = tape.backward(z);
    // ∂z/∂b = 1e200 · a = 1e400: the VJP of op 0 (`mul`) overflows.
    let found = tape.anomaly().expect("found");
    assert_eq!((found.phase, found.op.as_str(), found.position), (Phase::Sweep, "mul", 0));
    assert_eq!(found.what, "gradient of input 1");
}

#[test]
fn a_matrix_vjp_that_overflows_is_found_in_the_sweep() {
    let mut tape = Tape::new();
    tape.detect_anomaly(true);
    let x = tape.matrix(&Matrix::from_rows(&[[0.0, 4.0]]));
    let y = x.powf(0.5).sum(); // value √0 + √4 = 2; VJP 0.5·0^{−0.5} = ∞
    let _ = tape.backward(y);
    let a = tape.anomaly().expect("found");
    assert_eq!((a.phase, a.op.as_str(), a.position), (Phase::Sweep, "powf", 0));
    assert_eq!(a.shapes, vec![(1, 2), (1, 2)]);
}

#[test]
fn clear_forgets_the_finding_and_keeps_the_mode() {
    let mut tape = Tape::new();
    tape.detect_anomaly(true);
    {
        let x = tape.var(-1.0);
        let _ = tape.backward(x.ln());
    }
    assert!(tape.anomaly().is_some());
    tape.clear();
    assert!(tape.anomaly().is_none());
    assert!(tape.detects_anomalies());
    let x = tape.var(1.0);
    let _ = tape.backward(x.ln());
    assert!(tape.anomaly().is_none());
}

#[test]
fn off_by_default_and_silent_when_off() {
    let tape = Tape::new();
    assert!(!tape.detects_anomalies());
    let x = tape.var(-1.0);
    let _ = tape.backward(x.ln() * x);
    assert_eq!(tape.anomaly(), None);
    assert_eq!(tape.check_anomaly(), Ok(()));
}

#[test]
fn scalar_gradients_are_identical_with_the_mode_on() {
    fn f<'t>(v: &[Var<'t, f64>]) -> Var<'t, f64> {
        let mut acc = v[0] * 0.0;
        for w in v.windows(2) {
            acc += (w[1] - w[0] * w[0]).square() * 100.0 + (w[0] - 1.0).square() + w[0].sin() * w[1].exp();
        }
        acc
    }
    let x = [0.3, -1.2, 0.8, 2.0];
    let run = |detect: bool| {
        let mut tape = Tape::new();
        tape.detect_anomaly(detect);
        let v = tape.vars(&x);
        let y = f(&v);
        let g = tape.backward(y).wrt(&v);
        assert!(tape.anomaly().is_none());
        g
    };
    let (off, on) = (run(false), run(true));
    for (a, b) in off.iter().zip(&on) {
        assert!((a - b).abs() <= 1e-14 * a.abs().max(1.0), "{off:?} vs {on:?}");
    }
}
