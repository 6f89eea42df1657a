//! The `predict` command: a trained model's predictions for new examples,
//! as CSV.
//!
//! The checkpoint says everything needed: the architecture (rebuilt, then
//! loaded), the scaling of the training data (applied to the inputs before
//! the model sees them) and the class names. Output, one line per example:
//! `row,class,p_<class>…` (the predicted class and every class's probability)
//! for a classifier, `row,prediction` for a real-valued target. Numbers are
//! written in full (Rust's shortest form that reads back to the same `f64`,
//! with an exponent for small ones: `9.36e-14` is `9.357622968839299e-14`).

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;
use wengert_nn::checkpoint::{Checkpoint, Float};
use wengert_nn::train::{predict, probabilities};
use wengert_nn::{Model, NnError};
use wengert_ops::Scalar;

use super::args::{print_stdout, RuntimeArgs};
use super::inputs::{read_inputs, with_model, ModelInputArgs, WithModel};

/// The flags of `predict`.
#[derive(Clone, Debug, Args)]
pub struct PredictArgs {
    #[command(flatten)]
    pub model_input: ModelInputArgs,
    /// Write the predictions to this CSV file [default: stdout].
    #[arg(long, value_name = "CSV")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub runtime: RuntimeArgs,
}

/// Runs `predict`.
pub fn run(args: &PredictArgs) -> Result<(), NnError> {
    args.runtime.apply();
    let text = with_model(&args.model_input.checkpoint, Job(args))?;
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| NnError::Output { path: path.clone(), message: format!("cannot write the predictions: {e}") }),
        None => print_stdout(&text),
    }
}

struct Job<'a>(&'a PredictArgs);

impl WithModel for Job<'_> {
    type Output = String;

    fn run<T: Float + 'static>(self, saved: &Checkpoint<T>, model: &dyn Model<T>) -> Result<String, NnError> {
        let info = saved.data.as_ref().expect("with_model checks the data description");
        let inputs = read_inputs(&self.0.model_input, info)?;
        let x = info.scaling.apply(&inputs.features)?;
        let outputs = predict::<T, _>(model, &x);
        Ok(predictions_csv(model.loss_kind(), info.classes.as_deref(), &outputs))
    }
}

/// The CSV of `outputs` (one row per example): the class and the
/// probabilities for a classifier, the value otherwise.
fn predictions_csv<T: Scalar>(
    loss_kind: wengert_nn::LossKind,
    classes: Option<&[String]>,
    outputs: &wengert_ops::Matrix<T>,
) -> String {
    let mut s = String::new();
    match (probabilities(loss_kind, outputs), classes) {
        (Some(p), Some(classes)) => {
            s.push_str("row,class");
            for c in classes {
                let _ = write!(s, ",{}", csv_field(&format!("p_{c}")));
            }
            s.push('\n');
            for (i, row) in p.row_iter().enumerate() {
                let best = wengert_nn::argmax(row);
                let _ = write!(s, "{},{}", i + 1, csv_field(&classes[best]));
                for v in row {
                    let _ = write!(s, ",{v:?}");
                }
                s.push('\n');
            }
        }
        _ => {
            s.push_str("row,prediction\n");
            for (i, row) in outputs.row_iter().enumerate() {
                let _ = writeln!(s, "{},{:?}", i + 1, row[0].value());
            }
        }
    }
    s
}

/// `text` as one CSV field: quoted (RFC 4180, inner quotes doubled) if it
/// holds a comma, a quote or a line break — class names read from a quoted
/// CSV may — and as it is otherwise.
fn csv_field(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\"")).into()
    } else {
        text.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wengert_nn::LossKind;
    use wengert_ops::Matrix;

    #[test]
    fn classes_come_with_their_probabilities_and_values_alone() {
        let classes: Vec<String> = vec!["setosa".into(), "virginica".into()];
        let logits = Matrix::from_rows(&[[0.0f32, 0.0], [0.0, 2.0f32.ln()]]);
        let text = predictions_csv(LossKind::SoftmaxCrossEntropy { classes: 2 }, Some(&classes), &logits);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[..2], ["row,class,p_setosa,p_virginica", "1,setosa,0.5,0.5"]);
        let row: Vec<&str> = lines[2].split(',').collect();
        assert_eq!(row[..2], ["2", "virginica"]);
        let p: Vec<f64> = row[2..].iter().map(|v| v.parse().unwrap()).collect();
        assert!((p[0] - 1.0 / 3.0).abs() < 1e-7 && (p[1] - 2.0 / 3.0).abs() < 1e-7, "{p:?}");
        let values = Matrix::from_rows(&[[1.5f64], [-2.0]]);
        assert_eq!(predictions_csv(LossKind::SquaredError, None, &values), "row,prediction\n1,1.5\n2,-2.0\n");
        // Small probabilities in exponent form, every digit kept.
        let sure = predictions_csv(LossKind::BinaryLogistic, Some(&classes), &Matrix::from_rows(&[[30.0f64]]));
        assert_eq!(sure, "row,class,p_setosa,p_virginica\n1,virginica,9.357622968839299e-14,0.9999999999999065\n");
    }

    #[test]
    fn class_names_with_commas_or_quotes_are_quoted() {
        let classes: Vec<String> = vec!["big, round".into(), "say \"hi\"".into()];
        let text = predictions_csv(LossKind::BinaryLogistic, Some(&classes), &Matrix::from_rows(&[[-30.0f64]]));
        assert!(text.starts_with("row,class,\"p_big, round\",\"p_say \"\"hi\"\"\"\n1,\"big, round\","), "{text}");
        assert_eq!(csv_field("setosa"), "setosa");
    }
}
