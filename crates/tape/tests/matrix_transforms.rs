//! The matrix transforms (`grad_matrices`, `hvp_matrices`, …) against the flat
//! ones (`grad`, `hvp`, `hessian`, `jvp`) on the same model, written once
//! generically; the flat versions rebuild each matrix from scalars with
//! `MatVar::from_vars`, the way a user had to before the matrix family existed.

use wengert_dual::Dual;
use wengert_tape::{
    fns, grad, grad_matrices, hessian, hessian_matrices, hvp, hvp_matrices, jvp, jvp_matrices, value_and_grad,
    value_and_grad_matrices, value_grad_hvp_matrices, MatVar, Matrix, Scalar, Tape, Var,
};

/// A small network's loss: softmax cross-entropy of `tanh(X W1 + b1) W2` on
/// labels `y`, plus ½‖W1‖²/10 — every kind of op (matmul, broadcast add,
/// nonlinearity, loss, penalty) on `f64` data entering any tape.
fn loss<'t, S: Scalar + 'static>(ms: &[MatVar<'t, S>], x: &Matrix<f64>, y: &[usize]) -> Var<'t, S> {
    let tape = ms[0].tape();
    let hidden = (tape.constant_matrix_from(x).matmul(ms[0]) + ms[1]).tanh();
    hidden.matmul(ms[2]).softmax_cross_entropy(y) + ms[0].l2_penalty() * 0.1
}

struct Problem {
    x: Matrix<f64>,
    y: Vec<usize>,
    params: Vec<Matrix<f64>>,
}

fn problem() -> Problem {
    Problem {
        x: Matrix::random_normal_seeded(5, 3, 0.0, 1.0, 1),
        y: vec![0, 2, 1, 1, 0],
        params: vec![
            Matrix::random_normal_seeded(3, 4, 0.0, 0.7, 2),
            Matrix::random_normal_seeded(1, 4, 0.0, 0.3, 3),
            Matrix::random_normal_seeded(4, 3, 0.0, 0.7, 4),
        ],
    }
}

/// The same loss as a function of the flat vector of all parameters.
fn flat_loss<'t, S: Scalar + 'static>(v: &[Var<'t, S>], p: &Problem) -> Var<'t, S> {
    let tape = v[0].tape().expect("inputs are recorded");
    let mut at = 0;
    let ms: Vec<MatVar<'t, S>> = p
        .params
        .iter()
        .map(|m| {
            let piece = MatVar::from_vars(tape, &v[at..at + m.len()], m.rows(), m.cols());
            at += m.len();
            piece
        })
        .collect();
    loss(&ms, &p.x, &p.y)
}

fn flatten(ms: &[Matrix<f64>]) -> Vec<f64> {
    ms.iter().flat_map(|m| m.iter().copied()).collect()
}

fn assert_close(a: &[f64], b: &[f64], tol: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= tol * (1.0 + x.abs()), "{what}: element {i}: {x} vs {y}");
    }
}

fn directions() -> Vec<Matrix<f64>> {
    problem()
        .params
        .iter()
        .enumerate()
        .map(|(k, m)| Matrix::random_normal_seeded(m.rows(), m.cols(), 0.0, 1.0, 10 + k as u64))
        .collect()
}

#[test]
fn value_and_gradient_match_the_flat_transform() {
    let p = problem();
    let (value, grads) = value_and_grad_matrices(|ms| loss(ms, &p.x, &p.y), &p.params);
    let (flat_value, flat_grad) = value_and_grad(|v| flat_loss(v, &p), &flatten(&p.params));
    assert!((value - flat_value).abs() < 1e-14, "{value} vs {flat_value}");
    for (g, m) in grads.iter().zip(&p.params) {
        assert_eq!(g.shape(), m.shape(), "each gradient is shaped like its input");
    }
    assert_close(&flatten(&grads), &flat_grad, 1e-13, "gradient");
    assert_eq!(grad_matrices(|ms| loss(ms, &p.x, &p.y), &p.params), grads);
    // The function-returning form, called repeatedly on one tape.
    let reused = fns::value_and_grad_matrices(|ms| loss(ms, &p.x, &p.y));
    for _ in 0..3 {
        assert_eq!(reused(&p.params), (value, grads.clone()));
    }
    // And on f32: the same model, the tape converts the f64 data.
    let p32: Vec<Matrix<f32>> = p.params.iter().map(Matrix::cast).collect();
    let g32 = grad_matrices(|ms| loss(ms, &p.x, &p.y), &p32);
    assert_close(&flatten(&g32.iter().map(Matrix::cast).collect::<Vec<_>>()), &flat_grad, 1e-5, "f32 gradient");
}

#[test]
fn hessian_vector_products_match_the_flat_transform() {
    let p = problem();
    let v = directions();
    let hv = hvp_matrices(|ms| loss(ms, &p.x, &p.y), &p.params, &v);
    let flat_hv = hvp(|x| flat_loss(x, &p), &flatten(&p.params), &flatten(&v));
    assert_close(&flatten(&hv), &flat_hv, 1e-12, "H·v");
    let (value, g, hv2) = value_grad_hvp_matrices(|ms| loss(ms, &p.x, &p.y), &p.params, &v);
    assert_eq!(hv2, hv);
    let (flat_value, flat_grad) = value_and_grad(|x| flat_loss(x, &p), &flatten(&p.params));
    assert!((value - flat_value).abs() < 1e-14);
    assert_close(&flatten(&g), &flat_grad, 1e-13, "gradient of the dual pass");
    let reused = fns::hvp_matrices(|ms| loss(ms, &p.x, &p.y));
    assert_eq!(reused(&p.params, &v), hv);
    assert_eq!(reused(&p.params, &v), hv, "a second call on the reused tape");
}

#[test]
fn the_hessian_matches_the_flat_transform() {
    let p = problem();
    let h = hessian_matrices(|ms| loss(ms, &p.x, &p.y), &p.params);
    let flat = hessian(|x| flat_loss(x, &p), &flatten(&p.params));
    let n = flatten(&p.params).len();
    assert_eq!((h.shape(), flat.shape()), ((n, n), (n, n)));
    assert_close(h.as_slice(), flat.as_slice(), 1e-12, "Hessian");
}

#[test]
fn directional_derivatives_match_the_flat_transform() {
    let p = problem();
    let v = directions();
    let (value, dv) = jvp_matrices(|ms| loss(ms, &p.x, &p.y), &p.params, &v);
    let (flat_value, flat_dv) = jvp(fns::on_tape(|x| vec![flat_loss(x, &p)]), &flatten(&p.params), &flatten(&v));
    assert!((value - flat_value[0]).abs() < 1e-14);
    assert!((dv - flat_dv[0]).abs() < 1e-12, "{dv} vs {}", flat_dv[0]);
    // ⟨∇f, v⟩ from reverse mode, too.
    let g = grad(|x| flat_loss(x, &p), &flatten(&p.params));
    let dot: f64 = g.iter().zip(flatten(&v)).map(|(a, b)| a * b).sum();
    assert!((dv - dot).abs() < 1e-12, "{dv} vs {dot}");
}

#[test]
fn unused_inputs_and_constant_outputs_get_zero_gradients() {
    let a = Matrix::from_rows(&[[1.0, 2.0]]);
    let b = Matrix::from_rows(&[[3.0], [4.0], [5.0]]);
    let g = grad_matrices(|ms| ms[0].sum(), &[a.clone(), b.clone()]);
    assert_eq!(g, vec![Matrix::filled(1, 2, 1.0), Matrix::zeros(3, 1)]);
    let (value, g) = value_and_grad_matrices(|_| Var::constant(7.0), &[a.clone(), b.clone()]);
    assert_eq!((value, g), (7.0, vec![Matrix::zeros(1, 2), Matrix::zeros(3, 1)]));
    let hv = hvp_matrices(|ms| ms[0].sum(), &[a.clone(), b], &[a.clone(), Matrix::zeros(3, 1)]);
    assert_eq!(hv, vec![Matrix::zeros(1, 2), Matrix::zeros(3, 1)], "a linear function has H = 0");
}

#[test]
fn inputs_are_shared_not_copied() {
    let w = Matrix::from_rows(&[[1.0, 2.0]]);
    let _ = grad_matrices(
        |ms| {
            assert_eq!(
                ms[0].value().as_slice().as_ptr(),
                w.as_slice().as_ptr(),
                "the leaf shares the caller's storage"
            );
            ms[0].sum()
        },
        std::slice::from_ref(&w),
    );
    assert!(!w.is_shared(), "and releases it");
}

#[test]
#[should_panic(expected = "hvp_matrices: direction 1 has shape (2×1) but input 1 has shape (1×2)")]
fn a_misshapen_direction_is_named() {
    let x = Matrix::from_rows(&[[1.0, 2.0]]);
    let _ = hvp_matrices(|ms| ms[0].sum(), &[x.clone(), x], &[Matrix::zeros(1, 2), Matrix::zeros(2, 1)]);
}

#[test]
#[should_panic(expected = "jvp_matrices: 1 inputs but 2 directions")]
fn a_missing_direction_is_named() {
    let x = Matrix::from_rows(&[[1.0, 2.0]]);
    let _ = jvp_matrices(|ms| ms[0].sum(), std::slice::from_ref(&x), &[x.clone(), x.clone()]);
}

#[test]
fn constant_matrix_from_converts_or_shares() {
    let data = Matrix::from_rows(&[[1.5f32, -2.0]]);
    let tape = Tape::<Dual<f64>>::new();
    assert_eq!(
        tape.constant_matrix_from(&data).value(),
        Matrix::from_rows(&[[Dual::constant(1.5), Dual::constant(-2.0)]])
    );
    let duals = Matrix::from_rows(&[[Dual::new(1.0, 5.0)]]);
    assert_eq!(Tape::<f64>::new().constant_matrix_from(&duals).value(), Matrix::from_rows(&[[1.0]]), "the real part");
    let same = Tape::<Dual<f64>>::new();
    let c = same.constant_matrix_from(&duals);
    assert!(!c.is_tracked());
    assert_eq!(c.value().as_slice().as_ptr(), duals.as_slice().as_ptr(), "same element type: shared, tangents kept");
}
