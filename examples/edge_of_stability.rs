//! The edge of stability (Cohen et al. 2021): full-batch gradient descent
//! raises the sharpness of its loss until it reaches `2/η`, then keeps it
//! there while the loss goes on falling.
//!
//! Setup: the first `EXAMPLES` MNIST training images, each pixel centred and
//! all scaled by the pixels' overall standard deviation; a 784-`HIDDEN`-10
//! tanh network (`TwoLayerNet`, Xavier initialization with the output layer
//! scaled by `OUTPUT_INIT`, the same seed for every run); the squared error
//! against one-hot targets, `½·mean ‖f(x) − e_y‖²`, as in Cohen et al.; plain
//! gradient descent (`Sgd`) on the whole subset every step, at the three
//! learning rates `RATES`. The trainer measures the sharpness — the top
//! eigenvalue of the loss's Hessian on all `EXAMPLES` images, by Lanczos on
//! forward-over-reverse Hessian-vector products (`Trainer::sharpness`; the
//! model implements `Model::dual_loss` for that) — at the start and every
//! `EVERY` steps.
//!
//! Why these choices: with the raw pixels (all positive, one large common
//! mean), cross-entropy (whose curvature flattens as the softmax saturates)
//! or a full-size output layer (large initial outputs), the sharpness starts
//! high and only falls; with a small output layer the network starts nearly
//! flat, and the sharpening Cohen et al. describe appears. 2 000 images and
//! 1 200 steps keep the run to about 45 s of CPU time (a minute of wall time
//! on two cores).
//!
//! Output, in `out/edge_of_stability/` or the folder given as the first
//! argument: `edge_of_stability_sharpness.svg` (sharpness against the step,
//! with each rate's `2/η` as a dashed line in its colour) and
//! `edge_of_stability_loss.svg` (the training loss of every step), and a table
//! per rate: the initial sharpness, the first measurement at or above 90 % of
//! `2/η`, the sharpness over the last third of the run relative to `2/η`
//! (mean and range), the final loss, the Hessian-vector products and the wall
//! time. `docs/optim.md` ("The edge of stability") shows and explains them.
//!
//! Run: `cargo run --release --example edge_of_stability [OUT_DIR]`.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::time::Instant;

use plotters::prelude::*;
use wengert::dual::Dual;
use wengert::nn::data::{load_bundled, Bundled};
use wengert::nn::train::{History, Sharpness, TrainConfig, Trainer};
use wengert::nn::{Activation, LossKind, Model, ParamVars, Targets, TwoLayerNet};
use wengert::ops::{Matrix, Scalar};
use wengert::optim::{Params, Sgd};
use wengert::tape::{MatVar, Var};

const CLASSES: usize = 10;

/// A tanh `TwoLayerNet` trained with the squared error against one-hot
/// targets, `½·mean ‖f(x) − e_y‖²`, as in Cohen et al.: the loss's Hessian
/// with respect to the outputs is constant, so the sharpness follows the
/// network's own curvature (cross-entropy's flattens as the softmax
/// saturates, which hides the effect behind a falling sharpness).
///
/// The loss kind says softmax cross-entropy so that the trainer hands over
/// class labels (and counts accuracy by the argmax); the loss itself is this
/// model's own, on `T` and on dual numbers alike.
struct OneHotSquaredError<T: Scalar> {
    net: TwoLayerNet<T>,
}

impl<T: Scalar> OneHotSquaredError<T> {
    /// The forward pass for any element type, from the net's public layers.
    fn outputs<'t, U: Scalar>(&self, p: &ParamVars<'_, 't, U>, x: MatVar<'t, U>) -> MatVar<'t, U> {
        self.net.fc2().forward(p, self.net.activation().apply(self.net.fc1().forward(p, x)))
    }
}

/// `½·mean over examples of ‖outputs − e_label‖²` (`mse` averages over the
/// `n × 10` entries, hence the factor 10/2).
fn one_hot_squared_error<'t, U: Scalar>(outputs: MatVar<'t, U>, targets: Targets<'_, 't, U>) -> Var<'t, U> {
    let Targets::Labels(labels) = targets else { panic!("one_hot_squared_error: class labels expected") };
    let one_hot = Matrix::from_fn(labels.len(), CLASSES, |i, j| if labels[i] == j { U::one() } else { U::zero() });
    outputs.mse(outputs.tape().constant_matrix(&one_hot)) * (CLASSES as f64 / 2.0)
}

impl<T: Scalar> Model<T> for OneHotSquaredError<T> {
    fn params(&self) -> &Params<T> {
        self.net.params()
    }
    fn params_mut(&mut self) -> &mut Params<T> {
        self.net.params_mut()
    }
    fn forward<'t>(&self, p: &ParamVars<'_, 't, T>, x: MatVar<'t, T>) -> MatVar<'t, T> {
        self.outputs(p, x)
    }
    fn loss_kind(&self) -> LossKind {
        LossKind::SoftmaxCrossEntropy { classes: CLASSES }
    }
    fn input_features(&self) -> Option<usize> {
        self.net.input_features()
    }
    fn loss<'t>(&self, _p: &ParamVars<'_, 't, T>, outputs: MatVar<'t, T>, targets: Targets<'_, 't, T>) -> Var<'t, T> {
        one_hot_squared_error(outputs, targets)
    }
    fn dual_loss<'t>(
        &self,
        p: &ParamVars<'_, 't, Dual<T>>,
        x: MatVar<'t, Dual<T>>,
        targets: Targets<'_, 't, Dual<T>>,
    ) -> Option<Var<'t, Dual<T>>> {
        Some(one_hot_squared_error(self.outputs(p, x), targets))
    }
}

/// Training images used (the first ones of the MNIST training set).
const EXAMPLES: usize = 2000;
/// Hidden units.
const HIDDEN: usize = 64;
/// Gradient-descent steps per run.
const STEPS: usize = 1200;
/// Steps between sharpness measurements.
const EVERY: u64 = 25;
/// The learning rates; their edges `2/η` are 10, 6.7 and 5.
const RATES: [f64; 3] = [0.2, 0.3, 0.4];
/// The output layer's initial weights, as a fraction of Xavier's.
const OUTPUT_INIT: f32 = 0.1;

/// One run: its rate and what the trainer recorded.
struct Run {
    lr: f64,
    history: History,
    seconds: f64,
}

fn main() -> Result<(), Box<dyn Error>> {
    let out = std::env::args().nth(1).map_or_else(|| PathBuf::from("out/edge_of_stability"), PathBuf::from);
    std::fs::create_dir_all(&out)?;

    let train = match load_bundled("mnist")? {
        Bundled::TrainTest { train, .. } => train,
        Bundled::Single(all) => all,
    };
    let subset = train.subset(&(0..EXAMPLES).collect::<Vec<_>>())?;
    // Centre each pixel and divide by the pixels' overall standard deviation
    // (the raw pixels, in [0, 1], share a large mean, whose direction
    // dominates the initial curvature and then flattens).
    let x = subset.features();
    let (n, d) = x.shape();
    let mean: Vec<f64> = (0..d).map(|j| (0..n).map(|i| x[(i, j)]).sum::<f64>() / n as f64).collect();
    let var = (0..n).flat_map(|i| (0..d).map(move |j| (i, j))).map(|(i, j)| (x[(i, j)] - mean[j]).powi(2)).sum::<f64>()
        / (n * d) as f64;
    let subset = subset.with_features(Matrix::from_fn(n, d, |i, j| (x[(i, j)] - mean[j]) / var.sqrt()))?;
    println!(
        "MNIST, first {EXAMPLES} training images (centred, scaled to unit variance); 784-{HIDDEN}-10 tanh net, \
         squared error on one-hot targets, f32; full-batch gradient descent for {STEPS} steps; \
         sharpness every {EVERY} steps"
    );
    let mut runs = Vec::new();
    for lr in RATES {
        let mut net = OneHotSquaredError {
            // Ten outputs (the net's own loss kind is not used).
            net: TwoLayerNet::<f32>::build(
                784,
                HIDDEN,
                LossKind::SoftmaxCrossEntropy { classes: CLASSES },
                Activation::Tanh,
                0,
            ),
        };
        let output_weights = net.params_mut().get_mut("fc2.weight").expect("the output layer");
        output_weights.as_mut_slice().iter_mut().for_each(|w| *w *= OUTPUT_INIT);
        let mut gd = Sgd::new().lr(lr);
        // One epoch is one step: the batch is the whole subset.
        let config = TrainConfig { epochs: STEPS, batch_size: EXAMPLES, seed: 0, ..TrainConfig::default() };
        let settings = Sharpness { examples: EXAMPLES, ..Sharpness::every(EVERY) };
        let t0 = Instant::now();
        let history = Trainer::new(config).sharpness(settings).fit(&mut net, &mut gd, &subset, None)?;
        let seconds = t0.elapsed().as_secs_f64();
        println!("η = {lr}: {seconds:.1} s");
        runs.push(Run { lr, history, seconds });
    }
    report(&runs);
    plot_sharpness(&runs, &out.join("edge_of_stability_sharpness.svg"))?;
    plot_loss(&runs, &out.join("edge_of_stability_loss.svg"))?;
    println!("\nplots written to {}", out.display());
    Ok(())
}

/// The table described in the module docs.
fn report(runs: &[Run]) {
    println!(
        "\n{:>6} {:>7} {:>10} {:>12} {:>22} {:>10} {:>6} {:>8}",
        "η", "2/η", "λ at 0", "λ ≥ 0.9·2/η", "λ/(2/η), last third", "final loss", "HVPs", "time"
    );
    for run in runs {
        let edge = 2.0 / run.lr;
        let records = &run.history.sharpness;
        let reached =
            records.iter().find(|r| r.sharpness >= 0.9 * edge).map_or("never".to_string(), |r| r.step.to_string());
        let last_step = run.history.step_losses.len() as u64;
        let tail: Vec<f64> =
            records.iter().filter(|r| 3 * r.step >= 2 * last_step).map(|r| r.sharpness / edge).collect();
        let mean = tail.iter().sum::<f64>() / tail.len().max(1) as f64;
        let (lo, hi) = tail.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
        let hvps: usize = records.iter().map(|r| r.lanczos_steps).sum();
        println!(
            "{:>6} {:>7.1} {:>10.2} {:>12} {:>22} {:>10.4} {:>6} {:>7.1}s",
            run.lr,
            edge,
            records[0].sharpness,
            reached,
            format!("{mean:.3} ({lo:.3}–{hi:.3})"),
            run.history.step_losses.last().copied().unwrap_or(f64::NAN),
            hvps,
            run.seconds
        );
    }
}

const COLORS: [RGBColor; 3] = [RGBColor(30, 90, 200), RGBColor(20, 150, 60), RGBColor(210, 40, 40)];

/// Sharpness against the step, with each rate's 2/η dashed.
fn plot_sharpness(runs: &[Run], path: &Path) -> Result<(), Box<dyn Error>> {
    let steps = runs.iter().map(|r| r.history.step_losses.len()).max().unwrap_or(1) as u64;
    let top = runs
        .iter()
        .flat_map(|r| r.history.sharpness.iter().map(|m| m.sharpness).chain([2.0 / r.lr]))
        .fold(0.0f64, f64::max)
        * 1.1;
    let root = SVGBackend::new(path, (900, 560)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Sharpness during full-batch gradient descent (2 000 MNIST images, tanh MLP)", ("sans-serif", 20))
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0..steps, 0.0..top)?;
    chart.configure_mesh().x_desc("step").y_desc("top Hessian eigenvalue").light_line_style(WHITE.mix(0.0)).draw()?;
    for (run, &color) in runs.iter().zip(COLORS.iter().cycle()) {
        let edge = 2.0 / run.lr;
        let points: Vec<(u64, f64)> = run.history.sharpness.iter().map(|r| (r.step, r.sharpness)).collect();
        chart
            .draw_series(LineSeries::new(points.iter().copied(), color.stroke_width(2)))?
            .label(format!("η = {}", run.lr))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 2, color.filled())))?;
        chart
            .draw_series(DashedLineSeries::new(vec![(0, edge), (steps, edge)], 8, 6, color.stroke_width(1)))?
            .label(format!("2/η = {edge:.2}"))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(1)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

/// Ticks 1, 2, 5 × 10ᵏ in `[lo, hi]` (plotters' own log-scale ticks skip the
/// lowest decade when it is only partly shown, where the final losses are).
fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let first = lo.log10().floor() as i32;
    let last = hi.log10().ceil() as i32;
    (first..=last).flat_map(|k| [1.0, 2.0, 5.0].map(|m| m * 10f64.powi(k))).filter(|t| (lo..=hi).contains(t)).collect()
}

/// The training loss of every step, log scale.
fn plot_loss(runs: &[Run], path: &Path) -> Result<(), Box<dyn Error>> {
    let steps = runs.iter().map(|r| r.history.step_losses.len()).max().unwrap_or(1) as u64;
    let losses = runs.iter().flat_map(|r| r.history.step_losses.iter().copied());
    let (lo, hi) = losses.fold((f64::INFINITY, 0.0f64), |(a, b), x| (a.min(x), b.max(x)));
    let root = SVGBackend::new(path, (900, 560)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Training loss of full-batch gradient descent", ("sans-serif", 20))
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(
            0..steps,
            (lo * 0.8..hi * 1.25).log_scale().with_key_points(log_ticks(lo * 0.8, hi * 1.25)),
        )?;
    chart
        .configure_mesh()
        .x_desc("step")
        .y_desc("½·mean ‖f(x) − one-hot‖²")
        .y_label_formatter(&|v| format!("{v:.2}"))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    for (run, &color) in runs.iter().zip(COLORS.iter().cycle()) {
        let points = run.history.step_losses.iter().enumerate().map(|(i, &l)| (i as u64, l));
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))?
            .label(format!("η = {}", run.lr))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}
