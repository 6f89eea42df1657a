//! The tests that prove the scalar engine: each derivative against its
//! hand-derived form, and each also against central differences
//! (relative error < 1e-7).

use wengert_ops::{Real, Scalar};
use wengert_tape::{grad, gradcheck, relative_error, scalar_fn, value_and_grad, vector_fn, Gradients, Tape, Var};

const TOL: f64 = 1e-7;

fn assert_close(a: f64, b: f64, what: &str) {
    assert!(relative_error(a, b) < 1e-12, "{what}: {a} vs {b} (relative error {:.2e})", relative_error(a, b));
}

fn assert_gradcheck<F>(f: F, x: &[f64])
where
    F: for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>,
{
    let report = gradcheck(f, x);
    assert!(report.passes(TOL), "{report}");
    assert!(report.kinks.is_empty(), "a smooth point reported as a kink: {report}");
}

#[test]
fn square_has_derivative_two_x() {
    for &x in &[-3.0, -0.5, 0.0, 0.25, 7.0] {
        let g = grad(|v| v[0] * v[0], &[x]);
        assert_eq!(g[0], 2.0 * x);
        assert_gradcheck(|v| v[0] * v[0], &[x]);
    }
}

#[test]
fn ln_has_derivative_one_over_x() {
    for &x in &[0.1, 1.0, 2.5, 100.0] {
        assert_close(grad(|v| v[0].ln(), &[x])[0], 1.0 / x, "d ln x");
        assert_gradcheck(|v| v[0].ln(), &[x]);
    }
}

#[test]
fn sigmoid_has_derivative_sigma_one_minus_sigma() {
    for &x in &[-5.0, -1.0, 0.0, 0.7, 4.0] {
        let s = 1.0 / (1.0 + (-x).exp());
        assert_close(grad(|v| v[0].sigmoid(), &[x])[0], s * (1.0 - s), "d sigmoid");
        assert_gradcheck(|v| v[0].sigmoid(), &[x]);
    }
}

#[test]
fn tanh_has_derivative_one_minus_tanh_squared() {
    for &x in &[-2.0, -0.3, 0.0, 1.1] {
        let t = x.tanh();
        assert_close(grad(|v| v[0].tanh(), &[x])[0], 1.0 - t * t, "d tanh");
        assert_gradcheck(|v| v[0].tanh(), &[x]);
    }
}

fn sum_squares<T: Real>(x: &[T]) -> T {
    x.iter().fold(T::zero(), |acc, &xi| acc + xi * xi)
}

#[test]
fn squared_norm_has_gradient_two_x() {
    let x = [1.0, -2.0, 0.5, 3.0];
    let g = grad(|v| sum_squares(v), &x);
    assert_eq!(g, x.iter().map(|xi| 2.0 * xi).collect::<Vec<_>>());
    assert_gradcheck(|v| sum_squares(v), &x);
}

#[test]
fn quadratic_form_has_gradient_a_plus_a_transpose_x() {
    // A deliberately non-symmetric A: the answer is (A + Aᵀ)x, not 2Ax.
    let a = [[1.0, 2.0, 0.0], [-1.0, 3.0, 4.0], [0.5, 0.0, -2.0]];
    let x = [0.3, -1.2, 2.0];
    let f = scalar_fn(|v: &[Var<'_, f64>]| {
        let mut s = Var::constant(0.0);
        for i in 0..3 {
            for j in 0..3 {
                s += v[i] * a[i][j] * v[j];
            }
        }
        s
    });
    let g = grad(f, &x);
    for i in 0..3 {
        let expected: f64 = (0..3).map(|j| (a[i][j] + a[j][i]) * x[j]).sum();
        assert_close(g[i], expected, "xᵀAx");
    }
    assert_gradcheck(f, &x);
}

#[test]
fn euclidean_norm_has_gradient_x_over_norm() {
    let x = [3.0, -4.0, 12.0];
    let norm = 13.0;
    let g = grad(|v| sum_squares(v).sqrt(), &x);
    for i in 0..3 {
        assert_close(g[i], x[i] / norm, "‖x‖₂");
    }
    assert_gradcheck(|v| sum_squares(v).sqrt(), &x);
}

#[test]
fn sum_times_sigmoid_matches_hand_derived_partials() {
    // f(x, y) = (x + y)·σ(x) at (1, 2):
    // ∂f/∂x = σ(1) + 3σ(1)(1 − σ(1)),  ∂f/∂y = σ(1).
    let f = scalar_fn(|v| (v[0] + v[1]) * v[0].sigmoid());
    let (value, g) = value_and_grad(f, &[1.0, 2.0]);
    let s = 1.0 / (1.0 + (-1.0f64).exp());
    assert_close(value, 3.0 * s, "value");
    assert_close(g[0], s + 3.0 * s * (1.0 - s), "∂f/∂x");
    assert_close(g[1], s, "∂f/∂y");
    assert_gradcheck(f, &[1.0, 2.0]);
}

/// Extended Rosenbrock, f(x) = Σ 100(x_{i+1} − x_i²)² + (1 − x_i)², written once
/// for every scalar type.
fn rosenbrock<T: Real>(x: &[T]) -> T {
    x.windows(2).fold(T::zero(), |acc, w| acc + (w[1] - w[0] * w[0]).square() * 100.0 + (w[0] - 1.0).square())
}

fn rosenbrock_grad_by_hand(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let mut g = vec![0.0; n];
    for i in 0..n - 1 {
        let t = x[i + 1] - x[i] * x[i];
        g[i] += -400.0 * x[i] * t - 2.0 * (1.0 - x[i]);
        g[i + 1] += 200.0 * t;
    }
    g
}

#[test]
fn extended_rosenbrock_matches_hand_derived_gradient() {
    let x: Vec<f64> = (0..20).map(|i| (i as f64 * 0.37).sin() * 1.5).collect();
    let g = grad(|v| rosenbrock(v), &x);
    let by_hand = rosenbrock_grad_by_hand(&x);
    for i in 0..x.len() {
        assert_close(g[i], by_hand[i], "Rosenbrock");
    }
    assert_gradcheck(|v| rosenbrock(v), &x);
    assert_eq!(rosenbrock(&[1.0; 5]), 0.0);
    assert_eq!(grad(|v| rosenbrock(v), &[1.0; 5]), vec![0.0; 5]);
}

#[test]
fn regularized_logistic_loss_gradient_is_xt_p_minus_y_over_n_plus_lambda_theta() {
    // L(θ) = (1/N) Σᵢ [softplus(zᵢ) − yᵢ zᵢ] + (λ/2)‖θ‖², zᵢ = xᵢ·θ.
    let xs = [[1.0, 0.5, -1.2], [1.0, -0.3, 0.8], [1.0, 2.0, 0.1], [1.0, -1.5, -0.4], [1.0, 0.7, 1.9]];
    let ys = [1.0, 0.0, 1.0, 0.0, 1.0];
    let lambda = 0.1;
    let theta = [0.2, -0.4, 0.3];
    let n = xs.len() as f64;
    let loss = scalar_fn(|t| {
        let mut data = Var::constant(0.0);
        for (x, &y) in xs.iter().zip(&ys) {
            let z = t[0] * x[0] + t[1] * x[1] + t[2] * x[2];
            data += z.softplus() - z * y;
        }
        data / n + sum_squares(t) * (lambda / 2.0)
    });
    let g = grad(loss, &theta);
    for j in 0..3 {
        let mut expected = lambda * theta[j];
        for (x, &y) in xs.iter().zip(&ys) {
            let z: f64 = (0..3).map(|k| x[k] * theta[k]).sum();
            let p = 1.0 / (1.0 + (-z).exp());
            expected += x[j] * (p - y) / n;
        }
        assert_close(g[j], expected, "logistic gradient");
    }
    assert_gradcheck(loss, &theta);
}

#[test]
fn a_branch_is_differentiated_on_the_side_taken() {
    let f = scalar_fn(|v| if v[0] > 0.0 { v[0] * v[0] * v[0] } else { v[0] * -3.0 + v[0].exp() });
    assert_close(grad(f, &[2.0])[0], 12.0, "x > 0 side");
    assert_close(grad(f, &[-1.0])[0], -3.0 + (-1.0f64).exp(), "x ≤ 0 side");
    assert_gradcheck(f, &[2.0]);
    assert_gradcheck(f, &[-1.0]);
}

#[test]
fn a_variable_used_many_times_accumulates_every_use() {
    // f(x) = Σₖ sin(k x), k = 1..10 000: every use of x adds k cos(k x).
    let f = scalar_fn(|v| (1..=10_000).map(|k| (v[0] * k as f64).sin()).sum::<Var<'_, f64>>());
    let x = 0.3;
    let expected: f64 = (1..=10_000).map(|k| k as f64 * (k as f64 * x).cos()).sum();
    let g = grad(f, &[x]);
    assert!(relative_error(g[0], expected) < 1e-12, "{} vs {expected}", g[0]);
    // Central differences on a function this oscillatory (frequencies up to 10⁴)
    // need a tiny step; check at a smaller fan-out instead.
    assert_gradcheck(|v| (1..=50).map(|k| (v[0] * k as f64).sin()).sum::<Var<'_, f64>>(), &[x]);
}

#[test]
fn a_long_chain_of_a_million_ops_is_exact() {
    // y = x·c·c·…·c (10⁶ times), dy/dx = c^(10⁶).
    let c = 1.0 + 1e-6;
    let tape = Tape::with_capacity(1_000_002);
    let x = tape.var(2.0);
    let mut y = x;
    for _ in 0..1_000_000 {
        y *= c;
    }
    let g = tape.backward(y);
    let expected = c.powi(1_000_000);
    assert!(relative_error(g[x], expected) < 1e-9, "{} vs {expected}", g[x]);
    assert!(relative_error(y.primal(), 2.0 * expected) < 1e-9);
}

#[test]
fn ten_million_nodes_sweep_on_a_small_stack() {
    // The sweep is a loop, not a recursion: run it on a 256 KiB stack.
    let handle = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(|| {
            let tape = Tape::with_capacity(10_000_004);
            let xs = tape.vars(&[1.0, 2.0, 3.0]);
            // Cycling over three inputs: each `+=` has to write the running
            // sum's pending node (a handle holds at most two parents), so this
            // records one node per addition.
            let mut y = xs[0] + xs[1];
            for i in 0..10_000_000 {
                y += xs[(i + 2) % 3];
            }
            assert_eq!(tape.len(), 1 + 3 + 10_000_000);
            tape.backward(y).wrt(&xs)
        })
        .expect("spawn");
    // x₀ and x₁ once at the start, then each input 10⁷/3 times (x₂ once more).
    let g = handle.join().expect("sweep on a small stack");
    assert_eq!(g, vec![3_333_334.0, 3_333_334.0, 3_333_334.0]);
}

type Unary = for<'a> fn(Var<'a, f64>) -> Var<'a, f64>;
type Binary = for<'a> fn(Var<'a, f64>, Var<'a, f64>) -> Var<'a, f64>;

#[test]
fn every_elementary_function_passes_gradcheck() {
    let cases: Vec<(&str, Unary, f64)> = vec![
        ("exp", |x| x.exp(), 0.7),
        ("ln", |x| x.ln(), 1.3),
        ("ln_1p", |x| x.ln_1p(), 0.2),
        ("exp_m1", |x| x.exp_m1(), -0.4),
        ("sqrt", |x| x.sqrt(), 2.0),
        ("powi", |x| x.powi(5), 1.1),
        ("powi(-2)", |x| x.powi(-2), 1.7),
        ("sin", |x| x.sin(), 0.9),
        ("cos", |x| x.cos(), 0.9),
        ("tan", |x| x.tan(), 0.4),
        ("tanh", |x| x.tanh(), 0.4),
        ("sigmoid", |x| x.sigmoid(), -0.8),
        ("softplus", |x| x.softplus(), 0.3),
        ("relu+", |x| x.relu(), 0.5),
        ("relu-", |x| x.relu(), -0.5),
        ("abs+", |x| x.abs(), 0.5),
        ("abs-", |x| x.abs(), -0.5),
        ("recip", |x| x.recip(), 1.9),
        ("square", |x| x.square(), -1.9),
        ("neg", |x| -x, 3.0),
        ("const-x", |x| 2.0 - x, 3.0),
        ("const/x", |x| 2.0 / x, 3.0),
        ("x/const", |x| x / 4.0, 3.0),
        ("const*x", |x| 2.0 * x + 1.0, 3.0),
    ];
    for (name, f, x) in cases {
        let report = gradcheck(|v| f(v[0]), &[x]);
        assert!(report.passes(TOL) && report.kinks.is_empty(), "{name}: {report}");
    }
    let binary: Vec<(&str, Binary)> = vec![
        ("add", |a, b| a + b),
        ("sub", |a, b| a - b),
        ("mul", |a, b| a * b),
        ("div", |a, b| a / b),
        ("powf", |a, b| a.powf(b)),
        ("max", |a, b| a.max(b)),
        ("min", |a, b| a.min(b)),
    ];
    for (name, f) in binary {
        let report = gradcheck(|v| f(v[0], v[1]), &[1.3, 0.6]);
        assert!(report.passes(TOL) && report.kinks.is_empty(), "{name}: {report}");
    }
}

#[test]
fn kink_conventions_give_zero_at_zero() {
    assert_eq!(grad(|v| v[0].relu(), &[0.0])[0], 0.0);
    assert_eq!(grad(|v| v[0].abs(), &[0.0])[0], 0.0);
    // max/min: ties pick the left operand, and the derivative follows the pick.
    assert_eq!(grad(|v| v[0].max(v[1]), &[1.0, 1.0]), vec![1.0, 0.0]);
    assert_eq!(grad(|v| v[0].min(v[1]), &[1.0, 1.0]), vec![1.0, 0.0]);
    // x^p at x = 0 with a tracked exponent: ∂/∂p = x^p ln x → 0, not NaN.
    let g = grad(|v| v[0].powf(v[1]), &[0.0, 2.0]);
    assert!(g.iter().all(|d| d.is_finite()), "{g:?}");
}

#[test]
fn extreme_inputs_give_finite_gradients() {
    for &x in &[-1000.0, 1000.0] {
        for g in [grad(|v| v[0].sigmoid(), &[x]), grad(|v| v[0].softplus(), &[x]), grad(|v| v[0].tanh(), &[x])] {
            assert!(g[0].is_finite(), "non-finite gradient at {x}: {g:?}");
        }
    }
}

#[test]
fn detach_and_constants_stop_the_gradient() {
    let tape = Tape::new();
    let x = tape.var(3.0);
    let y = x * x.detach() + Var::constant(2.0) * x;
    let g = tape.backward(y);
    assert_eq!(g[x], 3.0 + 2.0, "x·stop(x) + 2x has derivative stop(x) + 2");
}

#[test]
fn one_recording_serves_several_seeds_and_outputs() {
    let tape = Tape::new();
    let x = tape.var(2.0);
    let y = tape.var(5.0);
    let f = x * y;
    let h = x + y * y;
    assert_eq!(tape.backward_with(f, 3.0).wrt(&[x, y]), vec![15.0, 6.0]);
    assert_eq!(tape.backward(h).wrt(&[x, y]), vec![1.0, 10.0]);
    let mut acc = tape.backward(f);
    tape.accumulate_into(h, 1.0, &mut acc);
    assert_eq!(acc.wrt(&[x, y]), vec![5.0 + 1.0, 2.0 + 10.0]);
    let vector = tape.backward_vector(&[f, h], &[1.0, 1.0]);
    assert_eq!(vector.wrt(&[x, y]), acc.wrt(&[x, y]));
}

#[test]
fn reused_gradients_are_overwritten_not_summed() {
    let mut tape = Tape::new();
    let mut grads = Gradients::empty();
    for step in 0..3 {
        let x = tape.var(step as f64);
        let y = x * x;
        tape.backward_into(y, 1.0, &mut grads);
        assert_eq!(grads[x], 2.0 * step as f64);
        tape.clear();
    }
}

#[test]
#[should_panic(expected = "earlier recording of this tape")]
fn gradients_of_an_earlier_recording_refuse_new_variables() {
    let mut tape = Tape::new();
    let old = {
        let x = tape.var(1.0);
        tape.backward(x * x)
    };
    tape.clear();
    let x = tape.var(1.0);
    let _ = old[x];
}

#[test]
#[should_panic(expected = "computed on another tape")]
fn gradients_refuse_variables_of_another_tape() {
    let t1 = Tape::new();
    let t2 = Tape::new();
    let g = t1.backward(t1.var(1.0) * 2.0);
    let _ = g[t2.var(1.0)];
}

#[test]
#[should_panic(expected = "two different tapes")]
fn mixing_tapes_in_one_op_panics() {
    let t1 = Tape::new();
    let t2 = Tape::new();
    let _ = t1.var(1.0) + t2.var(1.0);
}

#[test]
#[should_panic(expected = "untracked constant")]
fn constants_have_no_gradient() {
    let tape = Tape::new();
    let x = tape.var(1.0);
    let g = tape.backward(x * 2.0);
    let _ = g[Var::constant(1.0)];
}

#[test]
fn f32_tapes_work_too() {
    let g = grad(|v: &[Var<'_, f32>]| v[0] * v[0] * 3.0f64 + v[0].sin(), &[1.5f32]);
    assert!((g[0] - (9.0 + 1.5f32.cos())).abs() < 1e-5);
}

#[test]
fn tape_nodes_are_24_bytes_for_f64() {
    assert_eq!(Tape::<f64>::bytes_per_scalar_node(), 24);
    assert_eq!(Tape::<f32>::bytes_per_scalar_node(), 16);
}

#[test]
fn gradcheck_names_the_worst_component() {
    let report = wengert_tape::check_gradient(|x| x[0] * x[0] + x[1] * x[1], &[2.0, 5.0], &[1.0, 2.0]);
    assert_eq!(report.worst, 1, "component 1 is wrong (5 instead of 4)");
    assert!(!report.passes(1e-3));
    let text = report.to_string();
    assert!(text.contains("at component 1") && text.contains("analytic 5.0"), "{text}");
}

#[test]
fn numerical_hessian_matches_analytic_one() {
    // f = x² y + y³: H = [[2y, 2x], [2x, 6y]].
    let h = wengert_tape::numerical_hessian(|v| v[0] * v[0] * v[1] + v[1].powi(3), &[1.5, -0.5]);
    let expected = [[-1.0, 3.0], [3.0, -3.0]];
    for i in 0..2 {
        for j in 0..2 {
            assert!((h[(i, j)] - expected[i][j]).abs() < 1e-6, "H[{i}][{j}] = {}", h[(i, j)]);
        }
    }
}

#[test]
fn vjp_and_jacrev_agree_with_hand_derived_jacobians() {
    // Polar → Cartesian: J = [[cos θ, −r sin θ], [sin θ, r cos θ]], det J = r.
    let (r, th) = (2.0, 0.6);
    let f = vector_fn(|v| vec![v[0] * v[1].cos(), v[0] * v[1].sin()]);
    let j = wengert_tape::jacrev(f, &[r, th]);
    let expected = [th.cos(), -r * th.sin(), th.sin(), r * th.cos()];
    for (a, b) in j.as_slice().iter().zip(expected) {
        assert_close(*a, b, "polar Jacobian");
    }
    assert_close(j[(0, 0)] * j[(1, 1)] - j[(0, 1)] * j[(1, 0)], r, "det J = r");
    let (_, wj) = wengert_tape::vjp(f, &[r, th], &[0.5, -2.0]);
    assert_close(wj[0], 0.5 * expected[0] - 2.0 * expected[2], "vjp 0");
    assert_close(wj[1], 0.5 * expected[1] - 2.0 * expected[3], "vjp 1");
}

#[test]
fn gradient_of_a_function_independent_of_its_input_is_zero() {
    assert_eq!(grad(|_v| Var::constant(4.0), &[1.0, 2.0]), vec![0.0, 0.0]);
}

/// The central-difference step `gradcheck` uses at `x`.
fn step(x: f64) -> f64 {
    f64::EPSILON.cbrt() * x.abs().max(1.0)
}

#[test]
fn gradcheck_explains_a_failure_at_a_kink() {
    // relu at its kink: central difference 0.5, analytic 0 (the convention).
    let report = gradcheck(|v| v[0].relu() * 2.0 + v[1].sin(), &[0.0, 0.4]);
    assert!(!report.passes(1e-7), "the central difference is not a derivative here");
    assert_eq!(report.kinks.len(), 1, "{report}");
    let k = &report.kinks[0];
    assert_eq!((k.component, k.left_slope), (0, 0.0));
    assert!((k.right_slope - 2.0).abs() < 1e-9, "{k:?}");
    // The convention relu'(0) = 0 lies between the slopes; component 1 is smooth.
    assert!(report.passes_where_differentiable(1e-7));
    let text = gradcheck(|v| v[0].relu(), &[0.0]).to_string();
    assert!(
        text.contains(
            "not differentiable at this point along coordinate 0: left slope 0.000000e0, right slope 1.000000e0"
        ),
        "{text}"
    );
    // The step straddles the kink of relu at 1e-9: reported too, analytic 1.
    let report = gradcheck(|v| v[0].relu(), &[1e-9]);
    assert!(!report.passes(1e-7) && report.kinks.len() == 1, "{report}");
    assert!(report.passes_where_differentiable(1e-7));
    // abs at 0 passes anyway (central 0 = analytic 0), and says why it is special.
    let report = gradcheck(|v| v[0].abs(), &[0.0]);
    assert!(report.passes(1e-7));
    assert_eq!((report.kinks[0].left_slope, report.kinks[0].right_slope), (-1.0, 1.0));
    // max at a tie: a kink along both coordinates; ties pick the first operand.
    let report = gradcheck(|v| v[0].max(v[1]) * 3.0, &[1.5, 1.5]);
    assert_eq!(report.kinks.iter().map(|k| k.component).collect::<Vec<_>>(), vec![0, 1], "{report}");
    assert_eq!(report.analytic, vec![3.0, 0.0]);
    assert!(!report.passes(1e-7) && report.passes_where_differentiable(1e-7));
}

#[test]
fn gradcheck_finds_a_kink_anywhere_within_the_step() {
    // relu and abs with the kink at every fraction of the step on either side.
    for t in [0.0, 1e-6, 0.05, 0.1, 0.19, 0.2, 0.21, 0.24, 0.25, 0.3, 0.43, 0.45, 0.5, 0.6, 0.7, 0.9, 0.99] {
        for sign in [1.0, -1.0] {
            let x = sign * t * step(0.0);
            let report = gradcheck(|v| v[0].relu() + v[0] * 0.25, &[x]);
            assert_eq!(report.kinks.len(), 1, "relu at {t}·h ({x:e}): {report}");
            assert!(report.passes_where_differentiable(1e-7), "{report}");
            let report = gradcheck(|v| (v[0] - 3.0).abs(), &[3.0 + x]);
            assert_eq!(report.kinks.len(), 1, "abs at {t}·h: {report}");
        }
    }
    // Beyond the step there is no kink to see, and the check passes.
    let report = gradcheck(|v| v[0].relu(), &[1.01 * step(0.0)]);
    assert!(report.kinks.is_empty() && report.passes(1e-7), "{report}");
}

#[test]
fn gradcheck_finds_no_kink_where_the_function_is_smooth() {
    type F = for<'t> fn(&[Var<'t, f64>]) -> Var<'t, f64>;
    let cases: Vec<(&str, F, Vec<f64>)> = vec![
        // Stationary points: the one-sided slopes ±h·f'' have opposite signs.
        ("x² at 0", |v| v[0] * v[0], vec![0.0]),
        ("cos at 0", |v| v[0].cos(), vec![0.0]),
        ("x⁴ at 0 (f'' = 0 too)", |v| v[0].powi(4), vec![0.0]),
        ("x⁴ + 1e-9 x² at 0", |v| v[0].powi(4) + v[0] * v[0] * 1e-9, vec![0.0]),
        (
            "rosenbrock at its minimum",
            |v| (v[1] - v[0] * v[0]).square() * 100.0 + (v[0] - 1.0).square(),
            vec![1.0, 1.0],
        ),
        ("tiny scale", |v| v[0] * v[0] * 1e-12, vec![0.0]),
        ("large offset", |v| v[0] * v[0] + 1e6, vec![0.0]),
        // Strong curvature relative to the slope.
        ("sin(50x)", |v| (v[0] * 50.0).sin(), vec![0.031]),
        ("exp(10x)", |v| (v[0] * 10.0).exp(), vec![1.3]),
        ("softplus far out", |v| v[0].softplus(), vec![-30.0]),
        ("relu away from its kink", |v| v[0].relu(), vec![0.5]),
    ];
    for (name, f, x) in cases {
        let report = gradcheck(f, &x);
        assert!(report.kinks.is_empty(), "{name}: {report}");
        // (A zero gradient against rounding noise fails the relative measure:
        // rosenbrock at its minimum.)
        let zero = report.analytic.iter().all(|&a| a == 0.0) && report.numeric.iter().all(|n| n.abs() < 1e-6);
        assert!(report.passes(1e-6) || zero, "{name}: {report}");
    }
}

#[test]
fn a_wrong_derivative_still_fails_at_smooth_points_and_outside_the_slopes_at_kinks() {
    // Smooth point, wrong value: no kink, fails both ways.
    let report = wengert_tape::check_gradient(|x| x[0] * x[0], &[3.0], &[1.0]);
    assert!(report.kinks.is_empty());
    assert!(!report.passes(1e-6) && !report.passes_where_differentiable(1e-6), "{report}");
    assert!(!report.to_string().contains("not differentiable"));
    // At the kink of relu, 2 is no subgradient (the slopes are 0 and 1).
    let report = wengert_tape::check_gradient(|x| x[0].max(0.0), &[2.0], &[0.0]);
    assert_eq!(report.kinks.len(), 1);
    assert!(!report.passes_where_differentiable(1e-6), "{report}");
}
