//! What `predict` and `eval` share: opening a checkpoint as the model it
//! holds (in the precision it was saved in), and reading an input file — a
//! CSV, an IDX image file, or a folder of MNIST IDX files — into the model's
//! columns, labelled or not, scaled as the training data was.
//!
//! Why strict about columns: a CSV whose columns are in another order than the
//! training data's still parses, and the model would silently compute
//! nonsense. So a CSV's header must be the model's feature names (a
//! prediction input) or those plus the target (a labelled file); anything
//! else is an error that says which column differs.

use std::path::{Path, PathBuf};

use clap::Args;
use wengert_nn::checkpoint::{self, Checkpoint, DataInfo, Dtype, Float};
use wengert_nn::data::{load_csv, load_mnist, read_idx_images, read_idx_labels, Dataset};
use wengert_nn::{Model, NnError};
use wengert_ops::Matrix;

/// The flags that say which model and which data: shared by `predict` and `eval`.
#[derive(Clone, Debug, Args)]
pub struct ModelInputArgs {
    /// A checkpoint written by `wengert train` (its model, scaling and classes are used).
    #[arg(long, value_name = "FILE")]
    pub checkpoint: PathBuf,
    /// The examples: a CSV file whose header is the model's features (optionally
    /// followed by the target column), an IDX image file (gzip or not), or a
    /// folder of MNIST IDX files (its test set is used).
    #[arg(long, value_name = "CSV|IDX")]
    pub input: PathBuf,
    /// An IDX label file for an IDX image --input.
    #[arg(long, value_name = "IDX")]
    pub labels: Option<PathBuf>,
}

/// Something to do with a model of element type `T`, whichever `T` the
/// checkpoint holds.
pub trait WithModel {
    /// The result.
    type Output;
    /// Runs with the checkpoint and the model it holds.
    fn run<T: Float + 'static>(self, saved: &Checkpoint<T>, model: &dyn Model<T>) -> Result<Self::Output, NnError>;
}

/// Opens the checkpoint `path` in its precision, builds its model and hands
/// both to `job`. Fails if the file lacks the architecture or the data
/// description (a bare parameter file) or holds neither `F32` nor `F64`.
pub fn with_model<J: WithModel>(path: &Path, job: J) -> Result<J::Output, NnError> {
    fn typed<T: Float + 'static, J: WithModel>(path: &Path, job: J) -> Result<J::Output, NnError> {
        let saved = Checkpoint::<T>::load(path)?;
        if saved.model.is_none() || saved.data.is_none() {
            return Err(NnError::config(format!(
                "{}: not a checkpoint of a training run (it has no model or data description); \
                 write one with `wengert train`",
                path.display()
            )));
        }
        let model = saved.build_model()?;
        job.run(&saved, &*model)
    }
    match checkpoint::dtype(path)? {
        Dtype::F32 => typed::<f32, J>(path, job),
        Dtype::F64 => typed::<f64, J>(path, job),
        other => Err(NnError::config(format!("{}: parameters of dtype {other:?}, not F32 or F64", path.display()))),
    }
}

/// Input rows in the model's columns, unscaled, and their targets if the
/// file has them.
#[derive(Clone, Debug)]
pub struct Inputs {
    /// One example per row, in the order of the model's features.
    pub features: Matrix<f64>,
    /// The target of each row, as the file writes it.
    pub targets: Option<Targets>,
}

/// A file's targets: numbers (values, or numeric class labels), or class names.
#[derive(Clone, Debug, PartialEq)]
pub enum Targets {
    /// Numbers: regression values or numeric labels (`3`, `100000`).
    Numbers(Vec<f64>),
    /// Class names (`setosa`), from a CSV whose target column is text.
    Names(Vec<String>),
}

impl Targets {
    /// The targets of a loaded table: its class names if it has them.
    fn of(table: &Dataset) -> Self {
        match table.class_map().filter(|m| m.has_names()) {
            Some(map) => Targets::Names(
                table
                    .class_labels()
                    .expect("a table of names has class labels")
                    .into_iter()
                    .map(|c| map.label(c).map_or_else(String::new, |l| l.to_string()))
                    .collect(),
            ),
            None => Targets::Numbers(table.targets().to_vec()),
        }
    }
}

/// Reads `args.input` for a model trained on `info`'s columns.
pub fn read_inputs(args: &ModelInputArgs, info: &DataInfo) -> Result<Inputs, NnError> {
    let path = &args.input;
    let inputs = if path.is_dir() {
        let (_, test) = load_mnist(path)?;
        let (features, targets) = test.into_parts();
        Inputs { features, targets: Some(Targets::Numbers(targets)) }
    } else if looks_like_idx(path) {
        let images = read_idx_images(path)?;
        let targets = match &args.labels {
            Some(l) => {
                let labels = read_idx_labels(l)?;
                if labels.len() != images.count {
                    return Err(NnError::config(format!(
                        "{} holds {} images but {} holds {} labels",
                        path.display(),
                        images.count,
                        l.display(),
                        labels.len()
                    )));
                }
                Some(Targets::Numbers(labels.iter().map(|&v| f64::from(v)).collect()))
            }
            None => None,
        };
        Inputs { features: images.to_matrix(), targets }
    } else {
        if args.labels.is_some() {
            return Err(NnError::config("--labels goes with an IDX image --input; a CSV has its labels in it"));
        }
        csv_inputs(&load_csv(path)?, info, path)?
    };
    if inputs.features.cols() != info.n_features() {
        return Err(NnError::config(format!(
            "{} has {} features per example, the model was trained on {}",
            path.display(),
            inputs.features.cols(),
            info.n_features()
        )));
    }
    Ok(inputs)
}

/// Whether `path` starts like an IDX file (magic `00 00 08 ..`) or a gzip one.
fn looks_like_idx(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 3];
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut head)).is_ok()
        && (head[..2] == [0x1f, 0x8b] || head == [0, 0, 8])
}

/// A loaded CSV (whose last column the loader took as the target) as inputs:
/// all columns are features if they are the model's, or the last one is the
/// target if the others are.
fn csv_inputs(table: &Dataset, info: &DataInfo, path: &Path) -> Result<Inputs, NnError> {
    let names: Vec<&str> = table.feature_names().iter().map(String::as_str).collect();
    let expected: Vec<&str> = info.feature_names.iter().map(String::as_str).collect();
    if names == expected {
        return Ok(Inputs { features: table.features().clone(), targets: Some(Targets::of(table)) });
    }
    let mut all = names.clone();
    all.push(table.target_name());
    if all == expected {
        if let Some(map) = table.class_map().filter(|m| m.has_names()) {
            return Err(NnError::config(format!(
                "{}: column `{}` holds text ({map}) where the model has a numeric feature",
                path.display(),
                table.target_name()
            )));
        }
        let (x, y) = (table.features(), table.targets());
        let features = Matrix::from_fn(x.rows(), x.cols() + 1, |i, j| if j < x.cols() { x[(i, j)] } else { y[i] });
        return Ok(Inputs { features, targets: None });
    }
    let first_difference = all.iter().zip(&expected).position(|(a, b)| a != b).map_or_else(
        || format!("it has {} columns, the model's features are {}", all.len(), expected.len()),
        |i| format!("column {} is `{}` where the model has `{}`", i + 1, all[i], expected[i]),
    );
    Err(NnError::config(format!(
        "{}: the header is not the model's features ({first_difference}); the model was trained on: {}",
        path.display(),
        expected.join(",")
    )))
}

/// The position of each target among the model's `classes`, matched by
/// name: a class name as it is, a number as the checkpoint names it (`"3"` for
/// a target 3). Fails on a target that is none of them.
pub fn class_indices(targets: &Targets, classes: &[String]) -> Result<Vec<usize>, NnError> {
    let names: Vec<String> = match targets {
        Targets::Names(names) => names.clone(),
        Targets::Numbers(values) => values
            .iter()
            .map(|&t| if t.fract() == 0.0 && t.abs() < 1e15 { format!("{}", t as i64) } else { t.to_string() })
            .collect(),
    };
    names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            classes.iter().position(|c| c == name).ok_or_else(|| {
                NnError::config(format!(
                    "example {}: label `{name}` is not one of the model's classes ({})",
                    i + 1,
                    classes.join(", ")
                ))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use wengert_nn::data::Scaling;

    fn info() -> DataInfo {
        DataInfo {
            feature_names: vec!["a".into(), "b".into()],
            target_name: "label".into(),
            classes: Some(vec!["0".into(), "1".into(), "2".into()]),
            scaling: Scaling::Global { mean: 0.0, std: 1.0 },
        }
    }

    fn table(header: &str) -> Dataset {
        wengert_nn::data::parse_csv(&format!("{header}\n1,2,3\n4,5,6\n"), "t.csv").unwrap()
    }

    #[test]
    fn a_csv_is_features_or_features_and_target_and_nothing_else() {
        let labelled = csv_inputs(&table("a,b,label"), &info(), Path::new("t.csv")).unwrap();
        assert_eq!(labelled.features.as_slice(), &[1.0, 2.0, 4.0, 5.0]);
        assert_eq!(labelled.targets, Some(Targets::Numbers(vec![3.0, 6.0])));
        let info3 = DataInfo { feature_names: vec!["a".into(), "b".into(), "c".into()], ..info() };
        let bare = csv_inputs(&table("a,b,c"), &info3, Path::new("t.csv")).unwrap();
        assert_eq!((bare.features.as_slice(), bare.targets), (&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0][..], None));
        let err = csv_inputs(&table("b,a,label"), &info(), Path::new("t.csv")).unwrap_err().to_string();
        assert_eq!(
            err,
            "t.csv: the header is not the model's features (column 1 is `b` where the model has `a`); \
             the model was trained on: a,b"
        );
    }

    #[test]
    fn labels_are_found_among_the_classes_by_name() {
        let classes: Vec<String> = ["0", "1", "2"].iter().map(|s| s.to_string()).collect();
        assert_eq!(class_indices(&Targets::Numbers(vec![2.0, 0.0]), &classes).unwrap(), vec![2, 0]);
        let err = class_indices(&Targets::Numbers(vec![1.0, 7.0]), &classes).unwrap_err().to_string();
        assert_eq!(err, "example 2: label `7` is not one of the model's classes (0, 1, 2)");
        assert!(class_indices(&Targets::Numbers(vec![0.5]), &classes).is_err());
        let names: Vec<String> = ["setosa", "versicolor"].iter().map(|s| s.to_string()).collect();
        let given = Targets::Names(vec!["versicolor".into(), "setosa".into()]);
        assert_eq!(class_indices(&given, &names).unwrap(), vec![1, 0]);
        let err = class_indices(&Targets::Names(vec!["rosa".into()]), &names).unwrap_err().to_string();
        assert_eq!(err, "example 1: label `rosa` is not one of the model's classes (setosa, versicolor)");
    }
}
