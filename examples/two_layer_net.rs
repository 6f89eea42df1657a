//! A two-layer network on a toy 2-D problem (two moons) with its decision
//! boundary drawn to an SVG, then on the 8 × 8 digits.
//!
//! The moons are generated with a seed: two interleaved half circles with
//! Gaussian noise. The network (2 → 32 → 1, ReLU, one logit with sigmoid +
//! binary cross-entropy) bends its boundary around them; the plot shows the
//! predicted class on a grid under the data points.
//!
//! Run: `cargo run --release --example two_layer_net [OUTPUT_FOLDER]`
//! (default `out/examples`).

use std::path::{Path, PathBuf};

use plotters::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use wengert::nn::data::{load_bundled, train_test_split_stratified, Dataset, Standardizer};
use wengert::nn::train::{predict_chunked, TrainConfig, Trainer};
use wengert::nn::{LossKind, NnError, TwoLayerNet};
use wengert::ops::Matrix;
use wengert::optim::{Adam, WarmupCosine};

/// `n` points of two interleaved half moons with noise `noise`, seeded.
fn two_moons(n: usize, noise: f64, seed: u64) -> Result<Dataset, NnError> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut gauss = move || {
        // Box–Muller.
        let (u, v): (f64, f64) = (rng.random::<f64>().max(1e-300), rng.random());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    };
    let mut x = Vec::with_capacity(2 * n);
    let mut y = Vec::with_capacity(n);
    for i in 0..n {
        let label = i % 2;
        let t = std::f64::consts::PI * (i / 2) as f64 / (n / 2) as f64;
        let (px, py) = if label == 0 { (t.cos(), t.sin()) } else { (1.0 - t.cos(), 0.5 - t.sin()) };
        x.push(px + noise * gauss());
        x.push(py + noise * gauss());
        y.push(label as f64);
    }
    Ok(Dataset::new(Matrix::from_vec(n, 2, x), y, vec!["x".into(), "y".into()], "moon")?)
}

fn main() -> Result<(), NnError> {
    let out = std::env::args().nth(1).map_or_else(|| PathBuf::from("out/examples"), PathBuf::from);
    std::fs::create_dir_all(&out)
        .map_err(|e| NnError::Output { path: out.clone(), message: format!("cannot create the folder: {e}") })?;

    // ----- two moons -----
    let moons = two_moons(600, 0.15, 7)?;
    let (train, test) = train_test_split_stratified(&moons, 0.25, 7)?;
    let mut net = TwoLayerNet::<f64>::binary(2, 32, 7);
    let mut adam = Adam::new().lr(0.02);
    let config = TrainConfig { epochs: 150, batch_size: 32, seed: 7, ..TrainConfig::default() };
    let total = config.total_steps(train.len());
    let history = Trainer::new(config).schedule(WarmupCosine { peak_lr: 0.02, min_lr: 2e-4, warmup: 20, total }).fit(
        &mut net,
        &mut adam,
        &train,
        Some(&test),
    )?;
    let last = history.epochs.last().expect("trained");
    let acc = last.valid.as_ref().and_then(|v| v.accuracy).unwrap_or(0.0);
    println!(
        "two moons ({} train / {} test): test accuracy {:.2}% after {} epochs ({:.2} s)",
        train.len(),
        test.len(),
        100.0 * acc,
        history.epochs.len(),
        history.seconds
    );
    let points: Vec<(f64, f64, usize)> = (0..moons.len())
        .map(|i| (moons.features()[(i, 0)], moons.features()[(i, 1)], moons.targets()[i] as usize))
        .collect();
    let svg = out.join("two_moons_boundary.svg");
    decision_boundary_svg(
        &points,
        |grid| {
            let g = Matrix::from_fn(grid.len(), 2, |i, j| if j == 0 { grid[i].0 } else { grid[i].1 });
            let logits = predict_chunked::<f64, _>(&net, &g, 4096);
            logits.iter().map(|&z| LossKind::BinaryLogistic.predict_class(&[z]).unwrap_or(0)).collect()
        },
        100,
        &format!("two moons: 2-32-1 ReLU net, test accuracy {:.1}%", 100.0 * acc),
        &svg,
    )?;
    println!("wrote {}", svg.display());

    // ----- digits -----
    let digits = load_bundled("digits")?.into_single().expect("digits is one table");
    let (train, test) = train_test_split_stratified(&digits, 0.2, 42)?;
    let scaler = Standardizer::fit(train.features())?;
    let (train, test) = (scaler.transform_dataset(&train)?, scaler.transform_dataset(&test)?);
    let mut net = TwoLayerNet::<f32>::new(64, 128, 10, 42);
    let mut adam = Adam::new().lr(3e-3);
    let config = TrainConfig { epochs: 40, batch_size: 32, seed: 42, ..TrainConfig::default() };
    let total = config.total_steps(train.len());
    let history = Trainer::new(config)
        .schedule(WarmupCosine { peak_lr: 3e-3, min_lr: 3e-5, warmup: total / 30, total })
        .on_epoch(|r| {
            if r.epoch % 10 == 0 {
                let v = r.valid.as_ref().and_then(|v| v.accuracy).unwrap_or(0.0);
                println!("  digits epoch {:>2}: loss {:.4}, test accuracy {:.2}%", r.epoch, r.train_loss, 100.0 * v);
            }
        })
        .fit(&mut net, &mut adam, &train, Some(&test))?;
    let ev = history.epochs.last().and_then(|r| r.valid.clone()).expect("evaluated");
    println!(
        "digits ({} train / {} test): test accuracy {:.2}% in {:.2} s",
        train.len(),
        test.len(),
        100.0 * ev.accuracy.unwrap_or(0.0),
        history.seconds
    );
    if let Some(cm) = &ev.confusion {
        println!("{cm}");
    }
    Ok(())
}

// ----- the plot (plotters, SVG backend: no font or image libraries) -----

fn plot_err(path: &Path, e: impl std::fmt::Display) -> NnError {
    NnError::Output { path: path.to_path_buf(), message: format!("could not draw the plot: {e}") }
}

/// The palette of `decision_boundary_svg`, one colour per class (cycled).
const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

/// Writes the decision regions of a 2-D classifier and the labelled points to
/// `path`. `classify` maps a batch of `(x, y)` grid points to classes (one call
/// for the whole `resolution × resolution` grid); `points` are
/// `(x, y, class)` triples drawn on top.
fn decision_boundary_svg(
    points: &[(f64, f64, usize)],
    classify: impl FnOnce(&[(f64, f64)]) -> Vec<usize>,
    resolution: usize,
    title: &str,
    path: &Path,
) -> Result<(), NnError> {
    let (mut x0, mut x1, mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
    for &(x, y, _) in points {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    if !(x0 < x1 && y0 < y1) {
        return Err(NnError::Output { path: path.to_path_buf(), message: "need points spanning a 2-D area".into() });
    }
    let (px, py) = (0.1 * (x1 - x0), 0.1 * (y1 - y0));
    let (x0, x1, y0, y1) = (x0 - px, x1 + px, y0 - py, y1 + py);
    let r = resolution.max(2);
    let (dx, dy) = ((x1 - x0) / r as f64, (y1 - y0) / r as f64);
    let grid: Vec<(f64, f64)> =
        (0..r * r).map(|k| (x0 + (k % r) as f64 * dx + dx / 2.0, y0 + (k / r) as f64 * dy + dy / 2.0)).collect();
    let classes = classify(&grid);
    if classes.len() != grid.len() {
        return Err(NnError::Output {
            path: path.to_path_buf(),
            message: format!("the classifier returned {} classes for {} grid points", classes.len(), grid.len()),
        });
    }

    let root = SVGBackend::new(path, (640, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| plot_err(path, e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(40)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(|e| plot_err(path, e))?;
    chart.configure_mesh().disable_mesh().draw().map_err(|e| plot_err(path, e))?;
    chart
        .draw_series(grid.iter().zip(&classes).map(|(&(x, y), &c)| {
            let col = PALETTE[c % PALETTE.len()].mix(0.25);
            Rectangle::new([(x - dx / 2.0, y - dy / 2.0), (x + dx / 2.0, y + dy / 2.0)], col.filled())
        }))
        .map_err(|e| plot_err(path, e))?;
    chart
        .draw_series(points.iter().map(|&(x, y, c)| Circle::new((x, y), 3, PALETTE[c % PALETTE.len()].filled())))
        .map_err(|e| plot_err(path, e))?;
    root.present().map_err(|e| plot_err(path, e))?;
    Ok(())
}
