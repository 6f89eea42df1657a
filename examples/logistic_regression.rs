//! Logistic regression on the Breast Cancer Wisconsin data, with the tape's
//! gradient checked against the textbook formula.
//!
//! The model is `p = σ(x·w + b)` with loss `mean bce + λ/2 ‖w‖²`; its gradient
//! is `∇w = Xᵀ(p − y)/N + λw`, `∇b = mean(p − y)`. The example trains it with
//! Adam and a cosine schedule, prints the difference between the tape's
//! gradient and that formula at the trained parameters (it should be at
//! rounding level, ~1e-17), the test accuracy and confusion matrix, and the
//! features with the largest weights. Features are standardized, so the
//! weights are comparable; label 1 is *benign*, so a positive weight pushes
//! towards benign and a negative one towards malignant.
//!
//! Run: `cargo run --release --example logistic_regression`

use wengert::nn::data::{load_bundled, train_test_split_stratified, Standardizer};
use wengert::nn::train::{evaluate, TrainConfig, Trainer};
use wengert::nn::{LogisticRegression, Model, NnError, ParamVars, Targets};
use wengert::ops::Matrix;
use wengert::optim::{Adam, CosineAnnealing};
use wengert::tape::{Gradients, Tape};

fn main() -> Result<(), NnError> {
    let data = load_bundled("breast-cancer")?.into_single().expect("breast-cancer is one table");
    let (train, test) = train_test_split_stratified(&data, 0.2, 42)?;
    let scaler = Standardizer::fit(train.features())?;
    let (train, test) = (scaler.transform_dataset(&train)?, scaler.transform_dataset(&test)?);
    println!("breast cancer: {} train / {} test examples, {} features", train.len(), test.len(), train.n_features());

    let lambda = 1e-3;
    let mut model = LogisticRegression::<f64>::new(train.n_features(), 2, lambda);
    let mut adam = Adam::new().lr(0.01);
    let config = TrainConfig { epochs: 60, batch_size: 32, seed: 42, ..TrainConfig::default() };
    let total = config.total_steps(train.len());
    let history = Trainer::new(config).schedule(CosineAnnealing { max_lr: 0.01, min_lr: 1e-4, total }).fit(
        &mut model,
        &mut adam,
        &train,
        Some(&test),
    )?;
    let last = history.epochs.last().expect("trained at least one epoch");
    println!(
        "trained {} epochs in {:.3} s; final training loss {:.4}",
        history.epochs.len(),
        history.seconds,
        last.train_loss
    );

    // The gradient identity, on the whole training set at the trained point.
    let labels = train.class_labels()?;
    let tape = Tape::new();
    let p = ParamVars::track(&tape, model.params());
    let x = tape.constant_matrix(train.features());
    let loss = model.loss(&p, model.forward(&p, x), Targets::Labels(&labels));
    let mut grads = Gradients::empty();
    tape.backward_into(loss, 1.0, &mut grads);
    let from_tape = p.gradients(&grads);
    let formula = model.gradient_formula(train.features(), &labels);
    let norm = |m: &Matrix<f64>| m.iter().map(|v| v * v).sum::<f64>().sqrt();
    for name in ["linear.weight", "linear.bias"] {
        let (a, b) = (from_tape.get(name).expect("tape gradient"), formula.get(name).expect("formula"));
        let diff = Matrix::from_fn(a.rows(), a.cols(), |i, j| a[(i, j)] - b[(i, j)]);
        println!(
            "‖tape gradient − (Xᵀ(p − y)/N + λθ)‖ for {name}: {:.3e}  (gradient norm {:.3e})",
            norm(&diff),
            norm(b)
        );
    }

    let ev = evaluate(&model, &test)?;
    println!("test accuracy {:.2}%, log-loss {:.4}", 100.0 * ev.accuracy.unwrap_or(0.0), ev.loss);
    if let Some(cm) = &ev.confusion {
        println!("confusion matrix (0 = malignant, 1 = benign; rows true, columns predicted):\n{cm}");
    }

    let w = model.weights();
    let mut ranked: Vec<(&str, f64)> =
        train.feature_names().iter().enumerate().map(|(i, n)| (n.as_str(), w[(i, 0)])).collect();
    ranked.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
    println!("top features by |weight| (standardized inputs; + towards benign, − towards malignant):");
    for (name, weight) in ranked.iter().take(8) {
        println!("  {name:<26} {weight:+.3}");
    }
    Ok(())
}
