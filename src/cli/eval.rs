//! The `eval` command: a trained model's loss, accuracy and confusion matrix
//! (or mean squared error) on a labelled file.
//!
//! The file's labels are matched to the model's classes by name, and its
//! inputs scaled as the training data was, both from the checkpoint; the
//! numbers are those of [`evaluate`], which the training log reports for the
//! test set after every epoch — so `eval` on the test set of a run repeats its
//! last epoch's test numbers.

use clap::Args;
use wengert_nn::checkpoint::{Checkpoint, Float};
use wengert_nn::data::Dataset;
use wengert_nn::train::{evaluate, Evaluation};
use wengert_nn::{Model, NnError};

use super::args::{print_stdout, RuntimeArgs};
use super::inputs::{class_indices, read_inputs, with_model, ModelInputArgs, Targets, WithModel};

/// The flags of `eval`.
#[derive(Clone, Debug, Args)]
pub struct EvalArgs {
    #[command(flatten)]
    pub model_input: ModelInputArgs,
    #[command(flatten)]
    pub runtime: RuntimeArgs,
}

/// Runs `eval`: prints what was evaluated, then the [`Evaluation`] with its
/// confusion matrix.
pub fn run(args: &EvalArgs) -> Result<(), NnError> {
    args.runtime.apply();
    let (what, evaluation) = with_model(&args.model_input.checkpoint, Job(args))?;
    print_stdout(&format!("{what}\n{evaluation:#}\n"))
}

struct Job<'a>(&'a EvalArgs);

impl WithModel for Job<'_> {
    type Output = (String, Evaluation);

    fn run<T: Float + 'static>(
        self,
        saved: &Checkpoint<T>,
        model: &dyn Model<T>,
    ) -> Result<(String, Evaluation), NnError> {
        let args = &self.0.model_input;
        let info = saved.data.as_ref().expect("with_model checks the data description");
        let inputs = read_inputs(args, info)?;
        let Some(targets) = inputs.targets else {
            return Err(NnError::config(format!(
                "{} has no labels to evaluate against (a CSV needs its target column `{}`; an IDX image file \
                 needs --labels)",
                args.input.display(),
                info.target_name
            )));
        };
        let targets = match (&info.classes, targets) {
            (Some(classes), targets) => class_indices(&targets, classes)?.into_iter().map(|c| c as f64).collect(),
            (None, Targets::Numbers(values)) => values,
            (None, Targets::Names(_)) => {
                return Err(NnError::config(format!(
                    "{}: the target column `{}` holds class names, but the model predicts values",
                    args.input.display(),
                    info.target_name
                )))
            }
        };
        let features = info.scaling.apply(&inputs.features)?;
        let data = Dataset::new(features, targets, info.feature_names.clone(), info.target_name.clone())?;
        let spec = saved.model.map_or_else(String::new, |m| m.to_string());
        let what = format!(
            "model {spec} ({}) from {}, on {} examples of {}",
            format!("{:?}", T::DTYPE).to_lowercase(),
            saved.origin().display(),
            data.len(),
            args.input.display()
        );
        let mut evaluation = evaluate(model, &data)?;
        if let (Some(classes), Some(cm)) = (&info.classes, evaluation.confusion.take()) {
            evaluation.confusion = Some(cm.with_class_names(classes.clone()));
        }
        Ok((what, evaluation))
    }
}
