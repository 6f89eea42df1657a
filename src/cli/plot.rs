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
/// The sharpness panel's two series.
const SHARPNESS: (&str, RGBColor) = ("sharpness (top Hessian eigenvalue)", RGBColor(20, 130, 60));
const EDGE: (&str, RGBColor) = ("2 / learning rate", RGBColor(120, 120, 120));

/// Writes the loss curve of `history` to `path`: the training loss of every
/// step (thin line), the mean training loss of every epoch and, if there was
/// a test set, the test loss (both at the epoch's last step), against the
/// optimizer step (integer ticks). The legend sits above the plot, outside
/// the data. The y-axis is logarithmic when the losses span more than a
/// factor of 20. A run that measured its sharpness gets a second panel below,
/// on the same steps: the sharpness and the stability edge `2/η` of gradient
/// descent (left out, and its value named, when it is more than three times
/// the largest sharpness, as with Adam's small rates).
pub fn loss_curve_svg(history: &History, title: &str, path: &Path) -> Result<(), NnError> {
    let steps = history.step_losses.len().max(1) as u64;
    let mut values: Vec<f64> = history.step_losses.iter().copied().filter(|v| v.is_finite() && *v > 0.0).collect();
    values.extend(history.epochs.iter().filter_map(|r| r.valid.as_ref().map(|v| v.loss)));
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if lo.is_finite() && hi.is_finite() && hi > lo { (lo, hi) } else { (1e-3, 1.0) };

    let with_sharpness = !history.sharpness.is_empty();
    let root = SVGBackend::new(path, (900, if with_sharpness { 860 } else { 560 })).into_drawing_area();
    root.fill(&WHITE).map_err(|e| plot_err(path, e))?;
    let (header, body) = root.split_vertically(64);
    let (body, lower) = body.split_vertically(496);
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
    if with_sharpness {
        sharpness_panel(history, steps, &lower, path)?;
    }
    root.present().map_err(|e| plot_err(path, e))?;
    Ok(())
}

/// The sharpness of `history` and `2/η` against the step, on `area`.
fn sharpness_panel(
    history: &History,
    steps: u64,
    area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    path: &Path,
) -> Result<(), NnError> {
    let points: Vec<(u64, f64)> =
        history.sharpness.iter().filter(|r| r.sharpness.is_finite()).map(|r| (r.step, r.sharpness)).collect();
    let edge: Vec<(u64, f64)> = history
        .sharpness
        .iter()
        .filter(|r| r.learning_rate > 0.0)
        .map(|r| (r.step, 2.0 / r.learning_rate))
        .filter(|p| p.1.is_finite())
        .collect();
    let hi = points.iter().map(|p| p.1).fold(0.0f64, f64::max).max(1e-12);
    let edge_hi = edge.iter().map(|p| p.1).fold(0.0f64, f64::max);
    let show_edge = !edge.is_empty() && edge_hi <= 3.0 * hi;
    let top = if show_edge { hi.max(edge_hi) * 1.15 } else { hi * 1.25 };
    let (legend, plot) = area.split_vertically(30);
    let edge_name = if show_edge || edge.is_empty() {
        EDGE.0.to_string()
    } else {
        format!("{}: {:.3e}, off the scale", EDGE.0, edge_hi)
    };
    let mut x = 90;
    for (name, color) in [(SHARPNESS.0.to_string(), SHARPNESS.1), (edge_name, EDGE.1)] {
        legend
            .draw(&PathElement::new(vec![(x, 16), (x + 28, 16)], color.stroke_width(3)))
            .map_err(|e| plot_err(path, e))?;
        legend.draw(&Text::new(name.clone(), (x + 36, 9), ("sans-serif", 15))).map_err(|e| plot_err(path, e))?;
        x += 60 + 8 * name.len() as i32;
    }
    let mut chart = ChartBuilder::on(&plot)
        .margin(15)
        .margin_top(4)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0..steps, 0.0..top)
        .map_err(|e| plot_err(path, e))?;
    chart
        .configure_mesh()
        .x_desc("optimizer step")
        .y_desc("sharpness")
        .x_labels(10)
        .x_label_formatter(&|s| s.to_string())
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(|e| plot_err(path, e))?;
    if show_edge {
        chart
            .draw_series(LineSeries::new(edge.iter().copied(), EDGE.1.stroke_width(2)))
            .map_err(|e| plot_err(path, e))?;
    }
    chart
        .draw_series(LineSeries::new(points.iter().copied(), SHARPNESS.1.stroke_width(2)))
        .map_err(|e| plot_err(path, e))?;
    chart
        .draw_series(points.iter().map(|&p| Circle::new(p, 3, SHARPNESS.1.filled())))
        .map_err(|e| plot_err(path, e))?;
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
        assert!(!svg.contains("sharpness"), "no sharpness panel without measurements");
    }

    #[test]
    fn a_run_with_sharpness_gets_a_second_panel_with_two_over_the_rate() {
        use wengert_nn::train::SharpnessRecord;
        let record = |step: u64, sharpness: f64, learning_rate: f64| SharpnessRecord {
            step,
            sharpness,
            learning_rate,
            lanczos_steps: 20,
        };
        let path = std::env::temp_dir().join(format!("wengert-plot-sharp-{}.svg", std::process::id()));
        let mut history = History {
            step_losses: (1..=30).map(|s| 2.0 / s as f64).collect(),
            sharpness: (0..=6).map(|k| record(5 * k, 10.0 + 3.0 * k as f64, 0.08)).collect(),
            ..History::default()
        };
        loss_curve_svg(&history, "gd: loss", &path).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        // The data lines are 2 px wide (the legend's 3 px): the sharpness in green, 2/η in grey.
        let line =
            |color: RGBColor| format!("stroke=\"#{:02X}{:02X}{:02X}\" stroke-width=\"2\"", color.0, color.1, color.2);
        assert!(svg.contains("sharpness (top Hessian eigenvalue)") && svg.contains("2 / learning rate"));
        assert!(svg.contains(&line(SHARPNESS.1)) && svg.contains(&line(EDGE.1)), "{svg}");
        // Adam's 2/η = 2000 next to a sharpness of 28 would flatten the panel: named, not drawn.
        history.sharpness.iter_mut().for_each(|r| r.learning_rate = 1e-3);
        loss_curve_svg(&history, "adam: loss", &path).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_file(&path).ok();
        assert!(svg.contains("2 / learning rate: 2.000e3, off the scale"), "{svg}");
        assert!(svg.contains(&line(SHARPNESS.1)) && !svg.contains(&line(EDGE.1)));
    }
}
