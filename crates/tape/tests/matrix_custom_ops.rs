//! Custom matrix ops whose value exists for `f64` only, recorded through
//! `DualLift`: forward mode (`jvp`, `jacfwd`, `jacobian`) through their JVP,
//! Hessians through a VJP that runs on dual numbers, and what happens without
//! either.

use wengert_dual::Dual;
use wengert_ops::{MatOp, Matrix, Scalar};
use wengert_tape::{fns, grad, hessian, jacfwd, jacobian, jacrev, jvp, DualLift, MatVar, Tape, Var};

/// `y = atan(x)` elementwise: `f64::atan` has no `Scalar` counterpart, so the
/// value exists for `f64` only. `with_jvp` says whether it provides its JVP.
struct Atan {
    with_jvp: bool,
}

/// `gx += g / (1 + x²)` for any element type.
fn atan_vjp<T: Scalar>(inputs: &[&Matrix<T>], g: &[T], grads: &mut [Option<&mut [T]>]) {
    if let Some(gx) = grads[0].as_deref_mut() {
        for ((gx, &x), &g) in gx.iter_mut().zip(inputs[0].iter()).zip(g) {
            *gx += g / (T::one() + x * x);
        }
    }
}

impl MatOp<f64> for Atan {
    fn name(&self) -> &str {
        "atan"
    }
    fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize) {
        inputs[0]
    }
    fn forward(&self, inputs: &[&Matrix<f64>], out: &mut [f64]) {
        out.iter_mut().zip(inputs[0].iter()).for_each(|(o, x)| *o = x.atan());
    }
    fn vjp(&self, inputs: &[&Matrix<f64>], _: &Matrix<f64>, g: &[f64], grads: &mut [Option<&mut [f64]>]) {
        atan_vjp(inputs, g, grads)
    }
    fn jvp(&self, inputs: &[&Matrix<f64>], _: &Matrix<f64>, tangents: &[Option<&[f64]>], out: &mut [f64]) -> bool {
        if !self.with_jvp {
            return false;
        }
        for (k, (o, x)) in out.iter_mut().zip(inputs[0].iter()).enumerate() {
            *o = tangents[0].map_or(0.0, |t| t[k] / (1.0 + x * x));
        }
        true
    }
}

/// The op with its JVP, and with or without the VJP on dual numbers.
fn lifted(dual_vjp: bool) -> DualLift<Atan> {
    let op = DualLift::new(Atan { with_jvp: true });
    if dual_vjp {
        op.with_dual_vjp(|_, inputs, _, g, grads| atan_vjp(inputs, g, grads))
    } else {
        op
    }
}

const W: [f64; 6] = [0.5, -1.5, 2.0, 0.25, -0.75, 1.25];
const X: [f64; 6] = [0.3, -1.1, 0.7, 2.0, -0.4, 1.6];

/// `Σ wₖ atan(xₖ)²` over a `2 × 3` matrix, on any tape the lifted op supports.
fn f<'t, T: Scalar>(v: &[Var<'t, T>], op: DualLift<Atan>) -> Var<'t, T>
where
    DualLift<Atan>: MatOp<T>,
{
    let tape = v[0].tape().expect("tape variables");
    let y = tape.apply_custom(op, &[MatVar::from_vars(tape, v, 2, 3)]);
    let w = Matrix::from_vec(2, 3, W.iter().map(|&w| T::from_f64(w)).collect());
    y.mul_elem(y).dot(tape.constant_matrix(&w))
}

/// `atan(X·A)` flattened: 6 outputs of 6 inputs, through a matrix product.
fn g<'t, T: Scalar>(v: &[Var<'t, T>]) -> Vec<Var<'t, T>>
where
    DualLift<Atan>: MatOp<T>,
{
    let tape = v[0].tape().expect("tape variables");
    let a = Matrix::from_fn(3, 3, |i, j| T::from_f64(if i == j { 1.0 } else { 0.3 * (i as f64 - j as f64) }));
    let y = tape.apply_custom(lifted(true), &[MatVar::from_vars(tape, v, 2, 3).matmul(tape.constant_matrix(&a))]);
    (0..2).flat_map(|i| (0..3).map(move |j| y.at(i, j))).collect()
}

/// `∂f/∂xₖ = 2wₖ atan(xₖ)/(1 + xₖ²)` and `∂²f/∂xₖ² = 2wₖ(1 − 2xₖ atan(xₖ))/(1 + xₖ²)²`.
fn exact_gradient_and_hessian_diagonal() -> (Vec<f64>, Vec<f64>) {
    X.iter()
        .zip(&W)
        .map(|(&x, &w)| {
            let s = 1.0 + x * x;
            (2.0 * w * x.atan() / s, 2.0 * w * (1.0 - 2.0 * x * x.atan()) / (s * s))
        })
        .unzip()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-14 * (1.0 + b.abs())
}

#[test]
fn on_a_plain_tape_the_lifted_op_is_the_op_itself() {
    let direct = {
        let tape = Tape::new();
        let x = tape.matrix(&Matrix::from_vec(2, 3, X.to_vec()));
        let y = tape.apply_custom(Atan { with_jvp: false }, &[x]).sum();
        (y.primal(), tape.backward(y).matrix(x))
    };
    let tape = Tape::new();
    let x = tape.matrix(&Matrix::from_vec(2, 3, X.to_vec()));
    let y = tape.apply_custom(DualLift::new(Atan { with_jvp: false }), &[x]).sum();
    assert_eq!(y.primal(), direct.0);
    assert_eq!(tape.backward(y).matrix(x), direct.1);
}

#[test]
fn forward_mode_goes_through_the_jvp() {
    let (exact, _) = exact_gradient_and_hessian_diagonal();
    let v: Vec<f64> = (0..6).map(|k| 0.5 - 0.3 * k as f64).collect();
    let (value, jv) = jvp(fns::on_tape(|x| vec![f(x, lifted(false))]), &X, &v);
    let want: f64 = X.iter().zip(&W).map(|(x, w)| w * x.atan().powi(2)).sum();
    assert!(close(value[0], want), "{} vs {want}", value[0]);
    let directional: f64 = exact.iter().zip(&v).map(|(g, v)| g * v).sum();
    assert!(close(jv[0], directional), "{} vs {directional}", jv[0]);

    // A Jacobian through a product and the op: forward mode (n passes of the
    // JVP) against reverse mode on a plain tape, and `jacobian`, which
    // sweeps the dual-number recording when that is cheaper.
    let by_reverse = jacrev(g, &X);
    let by_forward = jacfwd(fns::on_tape(g), &X);
    assert!(by_forward.max_abs_diff(&by_reverse) <= 1e-15, "{by_forward}\nvs\n{by_reverse}");
    let many_inputs = jacobian(|x| vec![f(x, lifted(false))], &X);
    assert!(many_inputs.iter().zip(&exact).all(|(a, b)| close(*a, *b)), "{many_inputs} vs {exact:?}");
}

#[test]
fn hessians_go_through_the_vjp_on_dual_numbers() {
    let (gradient, diagonal) = exact_gradient_and_hessian_diagonal();
    let h = hessian(|x| f(x, lifted(true)), &X);
    for i in 0..6 {
        for j in 0..6 {
            let want = if i == j { diagonal[i] } else { 0.0 };
            assert!(close(h[(i, j)], want), "H[{i}][{j}] = {} vs {want}", h[(i, j)]);
        }
    }
    let g = grad(|x| f(x, lifted(true)), &X);
    assert!(g.iter().zip(&gradient).all(|(a, b)| close(*a, *b)), "{g:?} vs {gradient:?}");
}

#[test]
fn without_a_dual_vjp_the_unknown_second_derivatives_are_nan_and_the_rest_exact() {
    let (gradient, _) = exact_gradient_and_hessian_diagonal();
    // H·v needs d/dt[J(x + tv)ᵀ g], which a plain VJP cannot give: NaN, never
    // a wrong number.
    let h = hessian(|x| f(x, lifted(false)), &X);
    assert!(h.iter().all(|v| v.is_nan()), "{h}");
    // The real parts of the same sweep are the gradient, exactly.
    let tape = Tape::<Dual<f64>>::new();
    let x: Vec<_> = X.iter().map(|&x| tape.var(Dual::new(x, 1.0))).collect();
    let y = f(&x, lifted(false));
    let grads = tape.backward(y);
    for (v, want) in x.iter().zip(&gradient) {
        assert!(close(grads[*v].re, *want) && grads[*v].eps.is_nan());
    }
    // Where no input of the op carries a tangent, the tangent of the VJP is
    // `Jᵀġ`, exact: `L = s·Σ atan(x)²` with the tangent on `s` only.
    let tape = Tape::<Dual<f64>>::new();
    let s = tape.var(Dual::new(2.0, 1.0));
    let x: Vec<_> = X.iter().map(|&x| tape.var(Dual::new(x, 0.0))).collect();
    let y = tape.apply_custom(lifted(false), &[MatVar::from_vars(&tape, &x, 2, 3)]);
    let loss = y.mul_elem(y).sum() * s;
    let grads = tape.backward(loss);
    for (v, &x) in x.iter().zip(&X) {
        let d = 2.0 * x.atan() / (1.0 + x * x);
        assert!(close(grads[*v].re, 2.0 * d) && close(grads[*v].eps, d), "{:?} vs {d}", grads[*v]);
    }
}

#[test]
fn an_op_without_a_jvp_is_recorded_on_dual_tapes_only_while_no_tangent_reaches_it() {
    let no_jvp = || DualLift::new(Atan { with_jvp: false });
    // Constant data: zero tangents, no JVP needed.
    let tape = Tape::<Dual<f64>>::new();
    let data = Matrix::from_vec(1, 2, vec![Dual::new(1.0, 0.0), Dual::new(-2.0, 0.0)]);
    let y = tape.apply_custom(no_jvp(), &[tape.constant_matrix(&data)]).value();
    assert_eq!((y[(0, 0)].re, y[(0, 1)].re), (1f64.atan(), (-2f64).atan()));
    // A tangent reaching it is a clear error.
    let err = std::panic::catch_unwind(|| {
        jvp(
            fns::on_tape(|x| {
                let tape = x[0].tape().unwrap();
                vec![tape.apply_custom(no_jvp(), &[MatVar::from_vars(tape, x, 1, 2)]).sum()]
            }),
            &[1.0, 2.0],
            &[1.0, 0.0],
        )
    })
    .expect_err("a tangent reached an op without a JVP");
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("atan") && msg.contains("provides no JVP"), "{msg}");
}
