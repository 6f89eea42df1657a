//! Layer and model shapes, and the two linear models checked against their
//! closed forms: the logistic-regression gradient formula and the ridge normal
//! equation.

use rand::rngs::StdRng;
use rand::SeedableRng;
use wengert_nn::data::{load_bundled, Dataset, Standardizer};
use wengert_nn::train::{TrainConfig, Trainer};
use wengert_nn::{
    Activation, FnModel, Init, LinearRegression, LogisticRegression, LossKind, MatrixFactorization, Model, ParamVars,
    Targets, TwoLayerNet,
};
use wengert_ops::Matrix;
use wengert_optim::{Adam, Nesterov, Optimizer, Params};
use wengert_tape::{Gradients, Tape};

fn standardized(name: &str) -> Dataset {
    let ds = load_bundled(name).unwrap().into_single().unwrap();
    Standardizer::fit(ds.features()).unwrap().transform_dataset(&ds).unwrap()
}

#[test]
fn linear_layer_and_two_layer_net_shapes() {
    let net = TwoLayerNet::<f64>::new(5, 7, 3, 1);
    let p = net.params();
    assert_eq!(p.get("fc1.weight").unwrap().shape(), (5, 7));
    assert_eq!(p.get("fc1.bias").unwrap().shape(), (1, 7));
    assert_eq!(p.get("fc2.weight").unwrap().shape(), (7, 3));
    assert_eq!(p.get("fc2.bias").unwrap().shape(), (1, 3));
    assert!(p.get("fc1.bias").unwrap().iter().all(|&b| b == 0.0), "biases start at zero");
    assert_eq!(net.loss_kind(), LossKind::SoftmaxCrossEntropy { classes: 3 });
    assert_eq!(net.input_features(), Some(5));

    let tape = Tape::new();
    let pv = ParamVars::track(&tape, net.params());
    let out = net.forward(&pv, tape.constant_matrix(&Matrix::from_fn(4, 5, |i, j| (i + j) as f64 / 10.0)));
    assert_eq!(out.shape(), (4, 3));

    let bin = TwoLayerNet::<f32>::binary(5, 7, 1);
    assert_eq!(bin.params().get("fc2.weight").unwrap().shape(), (7, 1));
    assert_eq!(bin.loss_kind(), LossKind::BinaryLogistic);

    // Same seed, same weights; another seed, other weights.
    assert_eq!(TwoLayerNet::<f64>::new(5, 7, 3, 1).params(), net.params());
    assert_ne!(TwoLayerNet::<f64>::new(5, 7, 3, 2).params(), net.params());
}

#[test]
#[should_panic(expected = "Linear `fc1.weight`: input has 4 features, the layer expects 5")]
fn linear_layer_names_itself_on_a_shape_error() {
    let net = TwoLayerNet::<f64>::new(5, 3, 2, 0);
    let tape = Tape::new();
    let pv = ParamVars::track(&tape, net.params());
    net.forward(&pv, tape.constant_matrix(&Matrix::zeros(2, 4)));
}

#[test]
fn initializers_have_the_documented_variance() {
    let mut rng = StdRng::seed_from_u64(3);
    let var = |m: &Matrix<f64>| m.iter().map(|x| x * x).sum::<f64>() / m.len() as f64;
    let (fi, fo) = (300, 200);
    for (init, want) in [
        (Init::HeNormal, 2.0 / fi as f64),
        (Init::HeUniform, 2.0 / fi as f64),
        (Init::XavierNormal, 2.0 / (fi + fo) as f64),
        (Init::XavierUniform, 2.0 / (fi + fo) as f64),
    ] {
        let w = init.matrix::<f64, _>(fi, fo, &mut rng);
        assert!((var(&w) / want - 1.0).abs() < 0.05, "{init:?}: variance {} vs {want}", var(&w));
    }
    let a = (6.0 / fi as f64).sqrt();
    assert!(Init::HeUniform.matrix::<f64, _>(fi, fo, &mut rng).iter().all(|x| x.abs() <= a));
    assert_eq!(Activation::Relu.suggested_init(), Init::HeNormal);
}

/// ∇ of mean bce(Xw + b, y) + λ/2‖w‖² on the tape equals Xᵀ(p − y)/N + λw, and
/// ∇b = mean(p − y), on the breast-cancer data at a non-trivial point.
#[test]
fn logistic_regression_gradient_is_the_closed_formula_on_breast_cancer() {
    let ds = standardized("breast-cancer");
    let labels = ds.class_labels().unwrap();
    let lambda = 0.05;
    let mut model = LogisticRegression::<f64>::new(ds.n_features(), 2, lambda);
    let mut rng = StdRng::seed_from_u64(11);
    model.params_mut().insert("linear.weight", Matrix::random_normal(30, 1, 0.0, 0.3, &mut rng));
    model.params_mut().insert("linear.bias", Matrix::from_rows(&[[0.2]]));

    let tape = Tape::new();
    let p = ParamVars::track(&tape, model.params());
    let x = tape.constant_matrix(ds.features());
    let y = tape.constant_matrix(&Matrix::col_vector(ds.targets()));
    let loss = model.loss(&p, model.forward(&p, x), Targets::Values(y));
    // One logit takes the 0/1 labels as well, for the same loss.
    let from_labels = model.loss(&p, model.forward(&p, x), Targets::Labels(&labels));
    assert_eq!(loss.primal(), from_labels.primal());
    let mut grads = Gradients::empty();
    tape.backward_into(loss, 1.0, &mut grads);
    let tape_grad = p.gradients(&grads);

    let formula = model.gradient_formula(ds.features(), &labels);
    for name in ["linear.weight", "linear.bias"] {
        let (a, b) = (tape_grad.get(name).unwrap(), formula.get(name).unwrap());
        let diff = a.max_abs_diff(b);
        let scale = b.iter().map(|v| v.abs()).fold(0.0, f64::max);
        assert!(scale > 1e-3, "the point is not a stationary one");
        assert!(diff <= 1e-12 * scale.max(1.0), "{name}: |tape − formula| = {diff:e}");
    }

    // The same identity for three classes (softmax regression) on iris.
    let iris = standardized("iris");
    let labels = iris.class_labels().unwrap();
    let mut model = LogisticRegression::<f64>::new(4, 3, 0.1);
    model.params_mut().insert("linear.weight", Matrix::random_normal(4, 3, 0.0, 0.5, &mut rng));
    let mut tape = Tape::new();
    tape.clear();
    let p = ParamVars::track(&tape, model.params());
    let x = tape.constant_matrix(iris.features());
    let loss = model.loss(&p, model.forward(&p, x), Targets::Labels(&labels));
    tape.backward_into(loss, 1.0, &mut grads);
    let g = p.gradients(&grads);
    let f = model.gradient_formula(iris.features(), &labels);
    assert!(g.get("linear.weight").unwrap().max_abs_diff(f.get("linear.weight").unwrap()) < 1e-12);
    assert!(g.get("linear.bias").unwrap().max_abs_diff(f.get("linear.bias").unwrap()) < 1e-12);
}

/// Full-batch Nesterov on standardized diabetes converges to the ridge normal
/// equation's solution.
#[test]
fn linear_regression_by_gradient_descent_matches_the_closed_form_on_diabetes() {
    let ds = standardized("diabetes");
    // Targets standardized too, so the tolerance is relative to O(1) numbers.
    let (mean, std) = {
        let t = ds.targets();
        let m = t.iter().sum::<f64>() / t.len() as f64;
        (m, (t.iter().map(|v| (v - m).powi(2)).sum::<f64>() / t.len() as f64).sqrt())
    };
    let y: Vec<f64> = ds.targets().iter().map(|v| (v - mean) / std).collect();
    let ds = Dataset::new(ds.features().clone(), y.clone(), ds.feature_names().to_vec(), "progression").unwrap();
    let lambda = 1e-3;
    let exact = LinearRegression::closed_form(ds.features(), &y, lambda).unwrap();

    let mut model = LinearRegression::<f64>::new(ds.n_features(), lambda);
    let mut opt = Nesterov::new().lr(0.05).beta(0.95);
    let config = TrainConfig { epochs: 3000, batch_size: ds.len(), ..TrainConfig::default() };
    let history = Trainer::new(config).fit(&mut model, &mut opt, &ds, None).unwrap();
    assert!(history.step_losses.last().unwrap() < &history.step_losses[0]);

    for name in ["linear.weight", "linear.bias"] {
        let diff = model.params().get(name).unwrap().max_abs_diff(exact.params().get(name).unwrap());
        assert!(diff < 1e-6, "{name}: gradient descent vs normal equation differ by {diff:e}");
    }
    // And predictions of the closed form fit the data as well as least squares can.
    let pred = exact.predict(ds.features());
    let mse = pred.iter().zip(&y).map(|(p, t)| (p - t).powi(2)).sum::<f64>() / y.len() as f64;
    assert!(mse > 0.4 && mse < 0.55, "diabetes R² is about 0.5, got mse {mse}");
}

#[test]
fn closed_form_reports_a_singular_system() {
    let x = Matrix::from_rows(&[[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]]);
    let err = LinearRegression::closed_form(&x, &[1.0, 2.0, 3.0], 0.0).unwrap_err();
    assert!(err.to_string().contains("LinearRegression::closed_form"), "{err}");
    assert!(LinearRegression::closed_form(&x, &[1.0], 0.0).is_err());
}

#[test]
fn matrix_factorization_recovers_a_low_rank_matrix_from_observed_entries() {
    // A rank-2 6×5 matrix; 70% of entries observed, the rest held out.
    let u = Matrix::from_fn(6, 2, |i, j| ((i * 2 + j) as f64 * 0.7).sin());
    let v = Matrix::from_fn(5, 2, |i, j| ((i * 3 + j) as f64 * 0.4).cos());
    let r = u.matmul(&v.transpose());
    let (mut observed, mut held_out) = (Vec::new(), Vec::new());
    for i in 0..6 {
        for j in 0..5 {
            if (i * 5 + j) % 10 < 7 {
                observed.push((i, j, r[(i, j)]))
            } else {
                held_out.push((i, j, r[(i, j)]))
            }
        }
    }
    let mut mf = MatrixFactorization::<f64>::new(6, 5, 2, 1e-4, 5);
    let before = mf.rmse(&observed);
    let losses = mf.fit(&observed, &mut Adam::new().lr(0.05), 1500);
    assert!(losses.last().unwrap() < &1e-3, "final loss {}", losses.last().unwrap());
    assert!(mf.rmse(&observed) < 0.02 && mf.rmse(&observed) < before / 10.0);
    assert!(mf.rmse(&held_out) < 0.25, "held-out rmse {}", mf.rmse(&held_out));

    // The dense masked loss equals the gathered one at the same parameters.
    let tape = Tape::new();
    let p = ParamVars::track(&tape, mf.params());
    let (users, items): (Vec<usize>, Vec<usize>) = observed.iter().map(|e| (e.0, e.1)).unzip();
    let ratings = Matrix::from_fn(observed.len(), 1, |k, _| observed[k].2);
    let gathered = mf.loss_observed(&p, &users, &items, tape.constant_matrix(&ratings));
    let mut target = Matrix::zeros(6, 5);
    let mut mask = Matrix::zeros(6, 5);
    for &(i, j, x) in &observed {
        target[(i, j)] = x;
        mask[(i, j)] = 1.0;
    }
    let masked = mf.loss_masked(&p, tape.constant_matrix(&target), tape.constant_matrix(&mask));
    assert!((gathered.primal() - masked.primal()).abs() < 1e-12);
}

#[test]
fn a_closure_model_trains_like_a_built_in_one() {
    let mut rng = StdRng::seed_from_u64(0);
    let params =
        Params::<f64>::new().with("w", Init::XavierUniform.matrix(2, 1, &mut rng)).with("b", Matrix::zeros(1, 1));
    let mut model = FnModel::new(params, LossKind::BinaryLogistic, |p, x| x.matmul(p.get("w")) + p.get("b"));
    // Linearly separable: label = x0 + x1 > 0.
    let x = Matrix::from_fn(40, 2, |i, j| ((i * 7 + j * 3) % 11) as f64 - 5.0 + 0.5 * j as f64);
    let y: Vec<f64> = (0..40).map(|i| f64::from(u8::from(x[(i, 0)] + x[(i, 1)] > 0.0))).collect();
    let ds = Dataset::new(x, y, vec!["a".into(), "b".into()], "y").unwrap();
    let mut opt = Adam::new().lr(0.1);
    let cfg = TrainConfig { epochs: 60, batch_size: 8, ..TrainConfig::default() };
    let h = Trainer::new(cfg).fit(&mut model, &mut opt, &ds, Some(&ds)).unwrap();
    assert!(h.epochs.last().unwrap().valid.as_ref().unwrap().accuracy.unwrap() >= 0.95);
    assert_eq!(opt.steps(), 60 * 5);
}
