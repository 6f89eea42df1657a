//! Running a trained model on data: [`predict`] (the outputs), [`evaluate`]
//! (loss, accuracy and a [`ConfusionMatrix`] as an [`Evaluation`]) and
//! [`probabilities`] (the outputs as class probabilities).
//!
//! Why in chunks: a forward pass over all of MNIST's 10000 test images at once
//! would hold a 10000 × 256 hidden activation on the tape; a chunk of
//! [`DEFAULT_CHUNK`] rows keeps memory flat and costs nothing in speed. The
//! `_chunked` variants take the chunk size for callers who care.
//!
//! ```
//! use wengert_nn::data::{prepare, DataSource};
//! use wengert_nn::train::{evaluate, TrainConfig, Trainer};
//! use wengert_nn::TwoLayerNet;
//! use wengert_optim::Adam;
//!
//! let data = DataSource::from_name_or_path("iris").unwrap().load()?;
//! let target = data.target_kind();
//! let iris = prepare(data, target, 0.2, 0)?;
//! let mut net = TwoLayerNet::<f64>::new(4, 16, 3, 0);
//! let config = TrainConfig { epochs: 20, batch_size: 16, ..TrainConfig::default() };
//! Trainer::new(config).fit(&mut net, &mut Adam::new().lr(0.02), &iris.train, None)?;
//! let ev = evaluate(&net, &iris.test)?;
//! println!("{ev}");    // accuracy 96.67%, loss 0.1858 (30 examples)
//! println!("{ev:#}");  // … and the confusion matrix
//! assert!(ev.accuracy.unwrap() > 0.9 && ev.to_string().starts_with("accuracy "));
//! # Ok::<(), wengert_nn::NnError>(())
//! ```

use std::fmt;

use wengert_ops::{Matrix, Scalar};
use wengert_tape::Tape;

use crate::data::Dataset;
use crate::error::NnError;
use crate::model::{LossKind, Model, ParamVars};

/// Rows per forward pass of [`predict`] and [`evaluate`].
pub const DEFAULT_CHUNK: usize = 1000;

/// A square table of counts: row = true class, column = predicted class.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfusionMatrix {
    counts: Vec<usize>,
    classes: usize,
    /// The classes' names for display (their labels), if given.
    names: Option<Vec<String>>,
}

impl ConfusionMatrix {
    /// An all-zero matrix for `classes` classes.
    pub fn new(classes: usize) -> Self {
        ConfusionMatrix { counts: vec![0; classes * classes], classes, names: None }
    }

    /// The same counts, displayed with the classes' names (their labels, such
    /// as `3`, `7`, `100000`) instead of their indices. Ignored unless there
    /// is one name per class.
    pub fn with_class_names(mut self, names: Vec<String>) -> Self {
        if names.len() == self.classes {
            self.names = Some(names);
        }
        self
    }

    /// The display name of class `c`: its name if given, else its index.
    fn name(&self, c: usize) -> String {
        self.names.as_ref().map_or_else(|| c.to_string(), |n| n[c].clone())
    }

    /// Counts one example.
    pub fn add(&mut self, truth: usize, predicted: usize) {
        self.counts[truth * self.classes + predicted] += 1;
    }

    /// Number of classes.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// How many examples of class `truth` were predicted as `predicted`.
    pub fn get(&self, truth: usize, predicted: usize) -> usize {
        self.counts[truth * self.classes + predicted]
    }

    /// Number of examples counted.
    pub fn total(&self) -> usize {
        self.counts.iter().sum()
    }

    /// Fraction on the diagonal.
    pub fn accuracy(&self) -> f64 {
        let right: usize = (0..self.classes).map(|c| self.get(c, c)).sum();
        right as f64 / self.total().max(1) as f64
    }

    /// Recall of each class: right / examples of that class (0 for an empty class).
    pub fn recall(&self) -> Vec<f64> {
        (0..self.classes)
            .map(|c| {
                let n: usize = (0..self.classes).map(|p| self.get(c, p)).sum();
                self.get(c, c) as f64 / n.max(1) as f64
            })
            .collect()
    }
}

impl fmt::Display for ConfusionMatrix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = (0..self.classes).map(|c| self.name(c)).collect();
        let longest = names.iter().map(String::len).max().unwrap_or(1);
        let width = self.counts.iter().max().map_or(1, |m| m.to_string().len()).max(2).max(longest);
        let first = longest.max(6);
        write!(f, "{:>first$} |", "true\\p")?;
        for p in &names {
            write!(f, " {p:>width$}")?;
        }
        writeln!(f)?;
        for (t, name) in names.iter().enumerate() {
            write!(f, "{name:>first$} |")?;
            for p in 0..self.classes {
                write!(f, " {:>width$}", self.get(t, p))?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// Metrics of a model on a dataset.
///
/// `Display` gives one line — `accuracy 96.67%, loss 0.0937 (30 examples)`,
/// or `mse 0.0123 (rmse 0.1109, 40 examples)` for regression — and the
/// alternate form (`{:#}`) adds the confusion matrix.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// Number of examples.
    pub examples: usize,
    /// Mean loss without the penalty: log-loss (negative log-likelihood) for
    /// classification, mean squared error for regression.
    pub loss: f64,
    /// Fraction classified correctly (`None` for regression).
    pub accuracy: Option<f64>,
    /// The confusion matrix (`None` for regression).
    pub confusion: Option<ConfusionMatrix>,
}

impl fmt::Display for Evaluation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.accuracy {
            Some(a) => write!(f, "accuracy {:.2}%, loss {:.4} ({} examples)", 100.0 * a, self.loss, self.examples)?,
            None => write!(f, "mse {:.4} (rmse {:.4}, {} examples)", self.loss, self.loss.sqrt(), self.examples)?,
        }
        if let (true, Some(cm)) = (f.alternate(), &self.confusion) {
            write!(f, "\nconfusion matrix (rows: true class, columns: predicted):\n{cm}")?;
        }
        Ok(())
    }
}

/// The model's outputs (logits, or predictions for regression) for every row
/// of `features`, [`DEFAULT_CHUNK`] rows at a time, with the parameters as
/// constants.
pub fn predict<T: Scalar, M: Model<T> + ?Sized>(model: &M, features: &Matrix<f64>) -> Matrix<T> {
    predict_chunked(model, features, DEFAULT_CHUNK)
}

/// [`predict`], forwarding `chunk` rows at a time on one reused tape.
pub fn predict_chunked<T: Scalar, M: Model<T> + ?Sized>(model: &M, features: &Matrix<f64>, chunk: usize) -> Matrix<T> {
    let (n, d) = features.shape();
    let k = model.loss_kind().outputs();
    let mut out = Vec::with_capacity(n * k);
    let mut tape = Tape::<T>::new();
    let chunk = chunk.max(1);
    let mut start = 0;
    while start < n {
        let end = (start + chunk).min(n);
        let x = Matrix::from_fn(end - start, d, |i, j| T::from_f64(features[(start + i, j)]));
        {
            let p = ParamVars::constant(&tape, model.params());
            let y = model.forward(&p, tape.constant_matrix(&x));
            out.extend_from_slice(y.value().as_slice());
        }
        tape.clear();
        start = end;
    }
    Matrix::from_vec(n, k, out)
}

/// The class probabilities of output rows (from [`predict`]): softmax of the
/// logits, or `[σ(−z), σ(z)]` for one logit. `None` for regression.
///
/// ```
/// use wengert_nn::train::probabilities;
/// use wengert_nn::LossKind;
/// use wengert_ops::Matrix;
///
/// let p = probabilities(LossKind::SoftmaxCrossEntropy { classes: 2 }, &Matrix::from_rows(&[[0.0, 0.0]])).unwrap();
/// assert_eq!(p.as_slice(), &[0.5, 0.5]);
/// let p = probabilities(LossKind::BinaryLogistic, &Matrix::from_rows(&[[0.0f32]])).unwrap();
/// assert_eq!(p.as_slice(), &[0.5, 0.5]);
/// assert!(probabilities(LossKind::SquaredError, &Matrix::<f64>::zeros(1, 1)).is_none());
/// ```
pub fn probabilities<T: Scalar>(loss_kind: LossKind, outputs: &Matrix<T>) -> Option<Matrix<f64>> {
    let n = outputs.rows();
    match loss_kind {
        LossKind::SoftmaxCrossEntropy { classes } => {
            let mut p = Matrix::zeros(n, classes);
            for (i, row) in outputs.row_iter().enumerate() {
                let max = row.iter().map(|x| x.value()).fold(f64::NEG_INFINITY, f64::max);
                let sum: f64 = row.iter().map(|x| (x.value() - max).exp()).sum();
                for (j, x) in row.iter().enumerate() {
                    p[(i, j)] = (x.value() - max).exp() / sum;
                }
            }
            Some(p)
        }
        LossKind::BinaryLogistic => Some(Matrix::from_fn(n, 2, |i, j| {
            // σ(z) and σ(−z), each computed as such: 1 − σ(z) would lose the
            // small probability to cancellation.
            let z = outputs[(i, 0)].value();
            let z = if j == 1 { z } else { -z };
            1.0 / (1.0 + (-z).exp())
        })),
        LossKind::SquaredError => None,
    }
}

/// Loss, accuracy and confusion matrix of `model` on `data`, forwarding
/// [`DEFAULT_CHUNK`] rows at a time.
///
/// Fails if the model classifies and a target is not a class label, or is a
/// class the model does not have.
pub fn evaluate<T: Scalar, M: Model<T> + ?Sized>(model: &M, data: &Dataset) -> Result<Evaluation, NnError> {
    evaluate_chunked(model, data, DEFAULT_CHUNK)
}

/// [`evaluate`], forwarding `chunk` rows at a time.
pub fn evaluate_chunked<T: Scalar, M: Model<T> + ?Sized>(
    model: &M,
    data: &Dataset,
    chunk: usize,
) -> Result<Evaluation, NnError> {
    let loss_kind = model.loss_kind();
    let out = predict_chunked(model, data.features(), chunk);
    // A classifier's target is the class index (labels 3 and 7 are classes 0 and 1).
    let targets: Vec<f64> = match loss_kind.classes() {
        Some(_) => data.class_labels()?.into_iter().map(|l| l as f64).collect(),
        None => data.targets().to_vec(),
    };
    let (accuracy, confusion) = match loss_kind.classes() {
        Some(k) => {
            let labels = data.class_labels()?;
            let mut cm = ConfusionMatrix::new(k);
            for (row, &l) in out.row_iter().zip(&labels) {
                if l >= k {
                    return Err(NnError::config(format!("evaluation: class label {l}, but the model has {k} classes")));
                }
                cm.add(l, loss_kind.predict_class(row).unwrap_or(0));
            }
            (Some(cm.accuracy()), Some(cm))
        }
        None => (None, None),
    };
    let loss = out.row_iter().zip(&targets).map(|(row, &t)| loss_kind.example_loss(row, t)).sum::<f64>()
        / data.len().max(1) as f64;
    Ok(Evaluation { examples: data.len(), loss, accuracy, confusion })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_evaluation_prints_one_line_or_with_its_confusion_matrix() {
        let mut cm = ConfusionMatrix::new(2);
        cm.add(0, 0);
        cm.add(1, 0);
        let ev = Evaluation { examples: 2, loss: 0.5, accuracy: Some(cm.accuracy()), confusion: Some(cm) };
        assert_eq!(ev.to_string(), "accuracy 50.00%, loss 0.5000 (2 examples)");
        assert_eq!(
            format!("{ev:#}"),
            "accuracy 50.00%, loss 0.5000 (2 examples)\nconfusion matrix (rows: true class, columns: predicted):\n\
             true\\p |  0  1\n     0 |  1  0\n     1 |  1  0\n"
        );
        let reg = Evaluation { examples: 4, loss: 0.25, accuracy: None, confusion: None };
        assert_eq!(reg.to_string(), "mse 0.2500 (rmse 0.5000, 4 examples)");
        assert_eq!(format!("{reg:#}"), reg.to_string());
    }
}
