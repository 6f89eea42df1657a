//! The loss curve of a training run, as SVG.
//!
//! Why here and not in `wengert-nn`: plotting is what this program does with a
//! [`History`]; the library hands the history back and stays free of a
//! plotting dependency. Why SVG only: it needs no system font or image library
//! (text is written as SVG `<text>` elements and rendered by the viewer), so
//! the plot works on any machine that builds the program.

use std::path::Path;

use plotters::prelude::*;
use wengert_nn::train::History;
use wengert_nn::NnError;

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
