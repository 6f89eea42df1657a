//! SVG plots: the loss curve of a training run and the decision regions of a
//! 2-D classifier.
//!
//! Why SVG only: it needs no system font or image library (text is written as
//! SVG `<text>` elements and rendered by the viewer), so the plots work on any
//! machine that builds the crate.

use std::path::Path;

use plotters::prelude::*;

use crate::error::NnError;
use crate::train::History;

fn plot_err(path: &Path, e: impl std::fmt::Display) -> NnError {
    NnError::Output { path: path.to_path_buf(), message: format!("could not draw the plot: {e}") }
}

/// Writes the loss curve of `history` to `path`: the loss of every step (thin
/// line), the mean training loss of every epoch and, if there was a validation
/// set, the validation loss (both plotted at the epoch's last step). The
/// y-axis is logarithmic when the losses span more than a factor of 20.
pub fn loss_curve_svg(history: &History, title: &str, path: &Path) -> Result<(), NnError> {
    let steps = history.step_losses.len().max(1) as f64;
    let per_epoch = steps / history.epochs.len().max(1) as f64;
    let epoch_x = |e: usize| e as f64 * per_epoch;
    let mut values: Vec<f64> = history.step_losses.iter().copied().filter(|v| v.is_finite() && *v > 0.0).collect();
    values.extend(history.epochs.iter().filter_map(|r| r.valid.as_ref().map(|v| v.loss)));
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if lo.is_finite() && hi.is_finite() && hi > lo { (lo, hi) } else { (1e-3, 1.0) };

    let root = SVGBackend::new(path, (900, 540)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| plot_err(path, e))?;
    let mut builder = ChartBuilder::on(&root);
    builder.caption(title, ("sans-serif", 22)).margin(15).x_label_area_size(40).y_label_area_size(60);
    let step_series: Vec<(f64, f64)> =
        history.step_losses.iter().enumerate().map(|(i, &l)| (i as f64 + 1.0, l)).collect();
    let train_series: Vec<(f64, f64)> = history.epochs.iter().map(|r| (epoch_x(r.epoch), r.train_loss)).collect();
    let valid_series: Vec<(f64, f64)> =
        history.epochs.iter().filter_map(|r| r.valid.as_ref().map(|v| (epoch_x(r.epoch), v.loss))).collect();

    macro_rules! draw {
        ($chart:expr) => {{
            let mut chart = $chart;
            chart
                .configure_mesh()
                .x_desc("optimizer step")
                .y_desc("loss")
                .light_line_style(WHITE.mix(0.0))
                .draw()
                .map_err(|e| plot_err(path, e))?;
            chart
                .draw_series(LineSeries::new(step_series.iter().copied(), BLUE.mix(0.35)))
                .map_err(|e| plot_err(path, e))?
                .label("step loss")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE.mix(0.35)));
            chart
                .draw_series(LineSeries::new(train_series.iter().copied(), BLUE.stroke_width(2)))
                .map_err(|e| plot_err(path, e))?
                .label("train loss (epoch mean)")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(2)));
            if !valid_series.is_empty() {
                chart
                    .draw_series(LineSeries::new(valid_series.iter().copied(), RED.stroke_width(2)))
                    .map_err(|e| plot_err(path, e))?
                    .label("validation loss")
                    .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED.stroke_width(2)));
                chart
                    .draw_series(valid_series.iter().map(|&p| Circle::new(p, 3, RED.filled())))
                    .map_err(|e| plot_err(path, e))?;
            }
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()
                .map_err(|e| plot_err(path, e))?;
        }};
    }
    if hi / lo > 20.0 {
        draw!(builder
            .build_cartesian_2d(0.0..steps, (lo * 0.8..hi * 1.25).log_scale())
            .map_err(|e| plot_err(path, e))?);
    } else {
        draw!(builder.build_cartesian_2d(0.0..steps, 0.0..hi * 1.1).map_err(|e| plot_err(path, e))?);
    }
    root.present().map_err(|e| plot_err(path, e))?;
    Ok(())
}

/// The palette of [`decision_boundary_svg`], one colour per class (cycled).
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
pub fn decision_boundary_svg(
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
