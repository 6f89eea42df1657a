//! The loss curve of a training run, as SVG.
//!
//! Why here and not in `wengert-nn`: plotting is what this program does with a
//! [`History`]; the library hands the history back and stays free of a
//! plotting dependency. Why SVG only: it needs no system font or image library
//! (text is written as SVG `<text>` elements and rendered by the viewer), so
//! the plot works on any machine that builds the program.

use std::path::Path;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use wengert_nn::train::History;
use wengert_nn::NnError;

fn plot_err(path: &Path, e: impl std::fmt::Display) -> NnError {
    NnError::Output { path: path.to_path_buf(), message: format!("could not draw the plot: {e}") }
}

/// The three series, their colours and their names: the names match the
/// console log ("loss" is the training loss, "test loss" the held-out one).
const STEP: (&str, RGBColor) = ("train loss, each step", RGBColor(120, 150, 220));
const TRAIN: (&str, RGBColor) = ("train loss, epoch mean", RGBColor(20, 60, 200));
const TEST: (&str, RGBColor) = ("test loss, end of epoch", RGBColor(210, 30, 30));

/// Writes the loss curve of `history` to `path`: the training loss of every
/// step (thin line), the mean training loss of every epoch and, if there was
/// a test set, the test loss (both at the epoch's last step), against the
/// optimizer step (integer ticks). The legend sits above the plot, outside
/// the data. The y-axis is logarithmic when the losses span more than a
/// factor of 20.
pub fn loss_curve_svg(history: &History, title: &str, path: &Path) -> Result<(), NnError> {
    let steps = history.step_losses.len().max(1) as u64;
    let mut values: Vec<f64> = history.step_losses.iter().copied().filter(|v| v.is_finite() && *v > 0.0).collect();
    values.extend(history.epochs.iter().filter_map(|r| r.valid.as_ref().map(|v| v.loss)));
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if lo.is_finite() && hi.is_finite() && hi > lo { (lo, hi) } else { (1e-3, 1.0) };

    let root = SVGBackend::new(path, (900, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| plot_err(path, e))?;
    let (header, body) = root.split_vertically(64);
    header
        .draw(&Text::new(
            title.to_string(),
            (450, 8),
            TextStyle::from(("sans-serif", 22).into_font()).pos(Pos::new(HPos::Center, VPos::Top)),
        ))
        .map_err(|e| plot_err(path, e))?;
    let mut entries = vec![(STEP, 1), (TRAIN, 3)];
    if history.epochs.iter().any(|r| r.valid.is_some()) {
        entries.push((TEST, 3));
    }
    let mut x = 90;
    for ((name, color), width) in entries {
        header
            .draw(&PathElement::new(vec![(x, 48), (x + 28, 48)], color.stroke_width(width)))
            .map_err(|e| plot_err(path, e))?;
        header.draw(&Text::new(name, (x + 36, 41), ("sans-serif", 15))).map_err(|e| plot_err(path, e))?;
        x += 60 + 8 * name.len() as i32;
    }

    let mut builder = ChartBuilder::on(&body);
    builder.margin(15).margin_top(4).x_label_area_size(40).y_label_area_size(60);
    let step_series: Vec<(u64, f64)> =
        history.step_losses.iter().enumerate().map(|(i, &l)| (i as u64 + 1, l)).collect();
    let train_series: Vec<(u64, f64)> = history.epochs.iter().map(|r| (r.step, r.train_loss)).collect();
    let test_series: Vec<(u64, f64)> =
        history.epochs.iter().filter_map(|r| r.valid.as_ref().map(|v| (r.step, v.loss))).collect();

    macro_rules! draw {
        ($chart:expr) => {{
            let mut chart = $chart;
            chart
                .configure_mesh()
                .x_desc("optimizer step")
                .y_desc("loss")
                .x_labels(10)
                .x_label_formatter(&|s| s.to_string())
                .light_line_style(WHITE.mix(0.0))
                .draw()
                .map_err(|e| plot_err(path, e))?;
            chart
                .draw_series(LineSeries::new(step_series.iter().copied(), STEP.1.stroke_width(1)))
                .map_err(|e| plot_err(path, e))?;
            chart
                .draw_series(LineSeries::new(train_series.iter().copied(), TRAIN.1.stroke_width(3)))
                .map_err(|e| plot_err(path, e))?;
            if !test_series.is_empty() {
                chart
                    .draw_series(LineSeries::new(test_series.iter().copied(), TEST.1.stroke_width(3)))
                    .map_err(|e| plot_err(path, e))?;
                chart
                    .draw_series(test_series.iter().map(|&p| Circle::new(p, 3, TEST.1.filled())))
                    .map_err(|e| plot_err(path, e))?;
            }
        }};
    }
    if hi / lo > 20.0 {
        draw!(builder
            .build_cartesian_2d(0..steps, (lo * 0.8..hi * 1.25).log_scale())
            .map_err(|e| plot_err(path, e))?);
    } else {
        draw!(builder.build_cartesian_2d(0..steps, 0.0..hi * 1.1).map_err(|e| plot_err(path, e))?);
    }
    root.present().map_err(|e| plot_err(path, e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use wengert_nn::train::{EpochRecord, Evaluation};

    #[test]
    fn the_plot_has_integer_step_ticks_and_a_legend_that_says_test() {
        let epochs = (1..=3)
            .map(|e| EpochRecord {
                epoch: e,
                train_loss: 1.0 / e as f64,
                train_accuracy: None,
                valid: Some(Evaluation { examples: 5, loss: 1.2 / e as f64, accuracy: None, confusion: None }),
                learning_rate: 0.1,
                seconds: 0.0,
                step: 7 * e as u64,
            })
            .collect();
        let history =
            History { epochs, step_losses: (1..=21).map(|s| 1.5 / s as f64 + 0.3).collect(), ..History::default() };
        let path = std::env::temp_dir().join(format!("wengert-plot-{}.svg", std::process::id()));
        loss_curve_svg(&history, "toy: loss", &path).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_file(&path).ok();
        for text in ["toy: loss", "test loss, end of epoch", "train loss, epoch mean", "optimizer step"] {
            assert!(svg.contains(text), "{text}");
        }
        assert!(!svg.contains("validation"));
        // The x labels are whole numbers: no "10.0".
        let labels: Vec<&str> =
            svg.split("<text").filter_map(|t| Some(t.split('>').nth(1)?.split('<').next()?.trim())).collect();
        for step in ["5", "10", "15", "20"] {
            assert!(labels.contains(&step), "{labels:?}");
            assert!(!labels.contains(&format!("{step}.0").as_str()), "{labels:?}");
        }
    }
}
