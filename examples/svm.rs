//! A soft-margin linear SVM on the Breast Cancer Wisconsin data, solved twice:
//! in the primal (the exact hinge loss as inequality constraints, by the PHR
//! augmented Lagrangian) and in the dual (a box-constrained QP with one
//! equality, by accelerated projected gradient). The two must agree — on w, b,
//! the margin and the support vectors — and the KKT conditions must hold.
//!
//! The whole data set (569 examples, 30 features) is standardized and used for
//! training with C = 1, the setting of `crates/optim/tests/svm.rs`; the example
//! prints both solutions side by side, the support-vector counts, the KKT
//! residuals and the training accuracy, then the same for a 80/20 stratified
//! split to show the test accuracy.
//!
//! Run: `cargo run --release --example svm`

use std::time::Instant;

use wengert::nn::data::{load_bundled, train_test_split_stratified, Dataset, Standardizer};
use wengert::nn::NnError;
use wengert::optim::linalg::dot;
use wengert::optim::svm::{svm_dual, svm_primal, SvmProblem, SvmSolution};

/// Labels 1 (benign) → +1, 0 (malignant) → −1.
fn signed_labels(data: &Dataset) -> Vec<f64> {
    data.targets().iter().map(|&t| if t == 1.0 { 1.0 } else { -1.0 }).collect()
}

fn accuracy(sol: &SvmSolution, data: &Dataset) -> f64 {
    let y = signed_labels(data);
    let correct = data.features().row_iter().zip(&y).filter(|(row, &y)| y * (dot(row, &sol.w) + sol.b) > 0.0).count();
    correct as f64 / y.len() as f64
}

fn report(name: &str, sol: &SvmSolution, c: f64, seconds: f64) {
    let free = sol.free_support_vectors(c, 1e-6).len();
    let bounded = sol.alpha.iter().filter(|&&a| a > (1.0 - 1e-6) * c).count();
    println!(
        "{name:<7} {:>10} {:>9.6} {:>9.6} {:>13.9} {:>5} {:>5} {:>10.1e} {:>10.1e} {:>8.3}",
        sol.iterations,
        sol.b,
        sol.margin(),
        sol.objective,
        free,
        bounded,
        sol.solver_kkt.max_residual(),
        sol.kkt.max_residual(),
        seconds
    );
}

fn solve_both(train: &Dataset, c: f64) -> Result<(SvmSolution, SvmSolution), NnError> {
    let problem = SvmProblem::new(train.features().clone(), signed_labels(train), c).expect("a valid SVM problem");
    println!(
        "{:<7} {:>10} {:>9} {:>9} {:>13} {:>5} {:>5} {:>10} {:>10} {:>8}",
        "", "iterations", "b", "margin", "objective", "free", "at C", "solver KKT", "final KKT", "seconds"
    );
    let t = Instant::now();
    let primal = svm_primal(&problem, 1e-8).expect("primal");
    report("primal", &primal, c, t.elapsed().as_secs_f64());
    let t = Instant::now();
    let dual = svm_dual(&problem, 1e-9, 200_000).expect("dual");
    report("dual", &dual, c, t.elapsed().as_secs_f64());
    let dw = primal.w.iter().zip(&dual.w).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    let same_svs = primal.free_support_vectors(c, 1e-6) == dual.free_support_vectors(c, 1e-6);
    println!(
        "max |w_primal − w_dual| = {dw:.1e}, |b_primal − b_dual| = {:.1e}, same free support vectors: {same_svs}, \
         duality gap {:.1e}",
        (primal.b - dual.b).abs(),
        primal.objective - problem.dual_objective(&dual.alpha)
    );
    Ok((primal, dual))
}

fn main() -> Result<(), NnError> {
    let data = load_bundled("breast-cancer")?.into_single().expect("breast-cancer is one table");
    let c = 1.0;

    println!(
        "Soft-margin linear SVM, C = {c}, breast cancer ({} examples, {} features, standardized)\n",
        data.len(),
        data.n_features()
    );
    let all = Standardizer::fit(data.features())?.transform_dataset(&data)?;
    let (primal, _) = solve_both(&all, c)?;
    println!("training accuracy {:.2} %", 100.0 * accuracy(&primal, &all));
    let mut weights: Vec<(usize, f64)> = primal.w.iter().copied().enumerate().collect();
    weights.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
    let names = all.feature_names();
    let top: Vec<String> = weights[..5].iter().map(|&(j, w)| format!("{} {w:+.3}", names[j])).collect();
    println!("largest weights (+ benign, − malignant): {}", top.join(", "));

    println!("\nStratified 80/20 split, standardized on the training part:\n");
    let (train, test) = train_test_split_stratified(&data, 0.2, 42)?;
    let scaler = Standardizer::fit(train.features())?;
    let (train, test) = (scaler.transform_dataset(&train)?, scaler.transform_dataset(&test)?);
    let (primal, dual) = solve_both(&train, c)?;
    println!(
        "train accuracy {:.2} %, test accuracy {:.2} % (primal), {:.2} % (dual)",
        100.0 * accuracy(&primal, &train),
        100.0 * accuracy(&primal, &test),
        100.0 * accuracy(&dual, &test)
    );
    Ok(())
}
