//! Matrix completion on the standard synthetic instance
//! (`MatrixFactorization::standard()`: 500 users × 200 items, true rank 5, 10 % of
//! entries observed, noise σ = 0.5, a tenth of the observed entries held out),
//! trained by full-batch gradient descent, momentum and Adam, at model ranks 3, 5,
//! 10 and 20.
//!
//! **Gradients come from the tape**, through the dense route: the prediction
//! `U Vᵀ` (one `matmul_nt`), the loss `½·masked_mse(U Vᵀ, R, M) + λ(½‖U‖² + ½‖V‖²)`
//! with `M` the 0/1 mask of training entries, one backward sweep. That is the
//! problem's loss `(1/|Ω|) Σ_Ω ½(uᵢ·vⱼ − rᵢⱼ)² + (λ/2)(‖U‖² + ‖V‖²)` exactly; the
//! example checks the tape gradient against the hand-written
//! `MatrixFactorization::loss_grad` before training. (The sparse route,
//! `gather_rows` of the factors for the observed pairs and a row-wise dot
//! product, touches only the 9 000 training entries instead of all 100 000, but
//! at this size the dense product is a single GEMM and just as fast.)
//!
//! Prints the final training loss and held-out RMSE per method and rank, the
//! best held-out RMSE over the epochs, and the predict-the-mean baseline; writes
//! `mf_rmse.svg` (held-out RMSE per epoch, rank 5, each method) into
//! `out/matrix_factorization/` or the folder given as the first argument.
//!
//! Run: `cargo run --release --example matrix_factorization [OUT_DIR]`.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::time::Instant;

use plotters::prelude::*;
use wengert::ops::Matrix;
use wengert::optim::problems::MatrixFactorization;
use wengert::optim::{Adam, Grads, Momentum, Optimizer, Params, Sgd};
use wengert::tape::Tape;

/// Full-batch steps per run.
const EPOCHS: usize = 400;

/// The training ratings as a dense `users × items` matrix and its 0/1 mask.
struct Observed {
    ratings: Matrix<f64>,
    mask: Matrix<f64>,
}

impl Observed {
    fn new(mf: &MatrixFactorization) -> Self {
        let mut ratings = Matrix::zeros(mf.users, mf.items);
        let mut mask = Matrix::zeros(mf.users, mf.items);
        for &(i, j, r) in &mf.train {
            ratings[(i, j)] = r;
            mask[(i, j)] = 1.0;
        }
        Observed { ratings, mask }
    }
}

/// Training loss and gradient by the tape (dense route; see the module docs).
/// The tape is cleared and reused, so its buffers are allocated once.
fn tape_loss_grad(tape: &mut Tape, obs: &Observed, lambda: f64, params: &Params<f64>) -> (f64, Grads<f64>) {
    tape.clear();
    let u = tape.matrix(params.get("users").expect("users"));
    let v = tape.matrix(params.get("items").expect("items"));
    let r = tape.constant_matrix(&obs.ratings);
    let m = tape.constant_matrix(&obs.mask);
    let loss = u.matmul_nt(v).masked_mse(r, m) * 0.5 + (u.l2_penalty() + v.l2_penalty()) * lambda;
    let g = tape.backward(loss);
    (loss.primal(), Params::new().with("users", g.matrix(u)).with("items", g.matrix(v)))
}

#[derive(Clone, Copy)]
enum Method {
    Gd,
    Momentum,
    Adam,
}

impl Method {
    const ALL: [Method; 3] = [Method::Gd, Method::Momentum, Method::Adam];

    fn name(self) -> &'static str {
        match self {
            Method::Gd => "GD",
            Method::Momentum => "momentum",
            Method::Adam => "Adam",
        }
    }

    fn color(self) -> RGBColor {
        match self {
            Method::Gd => RGBColor(31, 119, 180),
            Method::Momentum => RGBColor(255, 127, 14),
            Method::Adam => RGBColor(44, 160, 44),
        }
    }

    /// Learning rates, from a sweep over factors of 2 at rank 5 (GD 50…800,
    /// momentum 10…160, Adam 0.005…0.08), 400 epochs each. The loss is a mean over
    /// |Ω| ≈ 9 000 entries while each user row sees only ~18 of them, so the
    /// per-parameter gradients are tiny and GD needs a rate in the hundreds: 100
    /// is the largest that converges (200 oscillates, 400 diverges). Every
    /// momentum rate in the sweep reached the same training loss; 20 gives an
    /// effective rate η/(1 − β) = 200. Adam's normalized steps make its rate a
    /// step size in parameter units: 0.04 is the smallest that reaches the same
    /// training loss within the budget.
    fn optimizer(self) -> Box<dyn Optimizer<f64>> {
        match self {
            Method::Gd => Box::new(Sgd::new().lr(LR_GD)),
            Method::Momentum => Box::new(Momentum::classical(LR_MOMENTUM, 0.9)),
            Method::Adam => Box::new(Adam::new().lr(LR_ADAM)),
        }
    }
}

const LR_GD: f64 = 100.0;
const LR_MOMENTUM: f64 = 20.0;
const LR_ADAM: f64 = 0.04;

struct Run {
    method: Method,
    rank: usize,
    train_loss: Vec<f64>,
    rmse: Vec<f64>,
    seconds: f64,
}

fn train(base: &MatrixFactorization, obs: &Observed, method: Method, rank: usize) -> Run {
    let mf = MatrixFactorization { rank, ..base.clone() };
    let mut params = mf.init_params(0.1, 7);
    let mut opt = method.optimizer();
    let mut tape = Tape::new();
    let (mut train_loss, mut rmse) = (Vec::with_capacity(EPOCHS), vec![mf.test_rmse(&params)]);
    let start = Instant::now();
    for _ in 0..EPOCHS {
        let (loss, grads) = tape_loss_grad(&mut tape, obs, mf.lambda, &params);
        train_loss.push(loss);
        opt.step(&mut params, &grads);
        rmse.push(mf.test_rmse(&params));
    }
    train_loss.push(mf.loss_grad(&params).0);
    Run { method, rank, train_loss, rmse, seconds: start.elapsed().as_secs_f64() }
}

fn plot_err(path: &Path, e: impl std::fmt::Display) -> Box<dyn Error> {
    format!("{}: could not draw the plot: {e}", path.display()).into()
}

fn plot_rmse(runs: &[&Run], baseline: f64, path: &Path) -> Result<(), Box<dyn Error>> {
    let root = SVGBackend::new(path, (860, 540)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| plot_err(path, e))?;
    let top = baseline * 1.15;
    let mut chart = ChartBuilder::on(&root)
        .caption("Matrix factorization (rank 5): held-out RMSE per epoch", ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(0.0..EPOCHS as f64, 0.0..top)
        .map_err(|e| plot_err(path, e))?;
    chart
        .configure_mesh()
        .x_desc("epoch (full-batch step)")
        .y_desc("held-out RMSE")
        .x_label_formatter(&|v| format!("{v:.0}"))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(|e| plot_err(path, e))?;
    for run in runs {
        let color = run.method.color();
        let pts: Vec<(f64, f64)> = run.rmse.iter().enumerate().map(|(k, &r)| (k as f64, r.min(top))).collect();
        chart
            .draw_series(LineSeries::new(pts, color.stroke_width(2)))
            .map_err(|e| plot_err(path, e))?
            .label(run.method.name())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
    }
    let horizontal = |y: f64| vec![(0.0, y), (EPOCHS as f64, y)];
    chart
        .draw_series(std::iter::once(PathElement::new(horizontal(baseline), BLACK.mix(0.6))))
        .map_err(|e| plot_err(path, e))?
        .label(format!("predict the mean ({baseline:.3})"))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.mix(0.6)));
    chart
        .draw_series(std::iter::once(PathElement::new(horizontal(0.5), RED.mix(0.6))))
        .map_err(|e| plot_err(path, e))?
        .label("noise σ = 0.5")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED.mix(0.6)));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| plot_err(path, e))?;
    root.present().map_err(|e| plot_err(path, e))?;
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    let out = std::env::args().nth(1).map_or_else(|| PathBuf::from("out/matrix_factorization"), PathBuf::from);
    std::fs::create_dir_all(&out)?;
    let mf = MatrixFactorization::standard();
    let obs = Observed::new(&mf);
    println!(
        "{} users × {} items, true rank {}, {} training and {} held-out ratings, λ = {}",
        mf.users,
        mf.items,
        mf.rank,
        mf.train.len(),
        mf.test.len(),
        mf.lambda
    );

    // The tape gradient must be the hand-written one.
    let p0 = mf.init_params(0.5, 1);
    let (tape_loss, tape_grad) = tape_loss_grad(&mut Tape::new(), &obs, mf.lambda, &p0);
    let (hand_loss, hand_grad) = mf.loss_grad(&p0);
    let diff = tape_grad.to_flat().iter().zip(hand_grad.to_flat()).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    let scale = hand_grad.to_flat().iter().fold(0.0f64, |m, g| m.max(g.abs()));
    println!(
        "tape vs hand-written: loss {tape_loss:.12} vs {hand_loss:.12}, max gradient difference {diff:.1e} (max |g| {scale:.1e})"
    );
    if diff > 1e-12 * scale.max(1e-300) || (tape_loss - hand_loss).abs() > 1e-12 * hand_loss.abs() {
        return Err("the tape gradient disagrees with MatrixFactorization::loss_grad".into());
    }

    let baseline = mf.baseline_rmse();
    println!("\npredict-the-mean baseline: held-out RMSE {baseline:.4}; noise floor σ = 0.5");
    println!("rates: GD {LR_GD}, momentum {LR_MOMENTUM} (β = 0.9), Adam {LR_ADAM}; {EPOCHS} full-batch epochs each\n");
    println!(
        "{:<9} {:>4} {:>12} {:>15} {:>21} {:>9}",
        "method", "rank", "train loss", "held-out RMSE", "best RMSE (epoch)", "time s"
    );
    let mut runs = Vec::new();
    for rank in [3, 5, 10, 20] {
        for method in Method::ALL {
            let run = train(&mf, &obs, method, rank);
            let (best_epoch, best) =
                run.rmse
                    .iter()
                    .copied()
                    .enumerate()
                    .fold((0, f64::INFINITY), |b, (k, r)| if r < b.1 { (k, r) } else { b });
            println!(
                "{:<9} {:>4} {:>12.4} {:>15.4} {:>14.4} ({:>4}) {:>9.2}",
                method.name(),
                rank,
                run.train_loss.last().expect("trained"),
                run.rmse.last().expect("trained"),
                best,
                best_epoch,
                run.seconds
            );
            runs.push(run);
        }
    }
    let rank5: Vec<&Run> = runs.iter().filter(|r| r.rank == 5).collect();
    let path = out.join("mf_rmse.svg");
    plot_rmse(&rank5, baseline, &path)?;
    println!("\nplot written to {}", path.display());
    Ok(())
}
