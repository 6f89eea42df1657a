//! The soft-margin linear SVM on the bundled breast-cancer data (569 examples,
//! 30 features, standardized), solved in the primal (exact hinge loss, epigraph
//! form, PHR augmented Lagrangian) and in the dual (box-constrained QP with one
//! equality, accelerated projected gradient): the two agree on w, b and the
//! margin; the free support vectors (0 < α < C) are exactly the examples on the
//! margin; KKT residuals are below 1e-6 for both (each iterative solver gets to
//! 1e-5 or 1e-4 on its own, and the shared active-set step finishes exactly).

use std::time::Instant;

use wengert_ops::Matrix;
use wengert_optim::svm::{svm_dual, svm_primal, SvmProblem};

/// `data/breast_cancer.csv` (the copy `wengert-nn` loads as `breast-cancer`):
/// features standardized to mean 0 and standard deviation 1 (population), labels
/// 1 (benign) → +1 and 0 (malignant) → −1.
fn breast_cancer() -> (Matrix<f64>, Vec<f64>) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/breast_cancer.csv");
    let text = std::fs::read_to_string(path).expect("read data/breast_cancer.csv");
    let rows: Vec<Vec<f64>> = text
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').map(|v| v.trim().parse().expect("a number")).collect())
        .collect();
    let (n, d) = (rows.len(), rows[0].len() - 1);
    let mut x = Matrix::from_fn(n, d, |i, j| rows[i][j]);
    for j in 0..d {
        let mean = (0..n).map(|i| x[(i, j)]).sum::<f64>() / n as f64;
        let sd = ((0..n).map(|i| (x[(i, j)] - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
        for i in 0..n {
            x[(i, j)] = (x[(i, j)] - mean) / sd;
        }
    }
    let y = rows.iter().map(|r| if r[d] == 1.0 { 1.0 } else { -1.0 }).collect();
    (x, y)
}

#[test]
fn primal_and_dual_agree_on_breast_cancer() {
    let (x, y) = breast_cancer();
    assert_eq!(x.shape(), (569, 30));
    let c = 1.0;
    let problem = SvmProblem::new(x, y, c).unwrap();
    let t = Instant::now();
    let primal = svm_primal(&problem, 1e-8).unwrap();
    let primal_time = t.elapsed();
    let t = Instant::now();
    let dual = svm_dual(&problem, 1e-9, 200_000).unwrap();
    let dual_time = t.elapsed();
    println!(
        "primal: {} outer iterations, {:.2?}, solver KKT {:?}, final KKT {:?}\ndual: {} steps, {:.2?}, solver KKT {:?}, final KKT {:?}",
        primal.iterations, primal_time, primal.solver_kkt, primal.kkt, dual.iterations, dual_time, dual.solver_kkt, dual.kkt
    );
    println!(
        "objective {} (primal) vs {} (dual bound), margin {}, b {}",
        primal.objective,
        problem.dual_objective(&dual.alpha),
        primal.margin(),
        primal.b
    );
    // Each iterative solver on its own gets close (the primal's L-BFGS stops where
    // double precision stops resolving the decrease, the dual hands over at 1e-4);
    // the active-set step then finishes exactly, for both.
    assert!(primal.solver_kkt.max_residual() < 1e-5, "primal solver KKT {:?}", primal.solver_kkt);
    assert!(dual.solver_kkt.max_residual() < 1e-4, "dual solver KKT {:?}", dual.solver_kkt);
    assert!(primal.polished && dual.polished);
    // KKT residuals below 1e-6 for both.
    assert!(primal.kkt.max_residual() < 1e-6, "primal KKT {:?}", primal.kkt);
    assert!(dual.kkt.max_residual() < 1e-6, "dual KKT {:?}", dual.kkt);
    // They agree on w, b and the margin.
    let scale = primal.w.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let dw = primal.w.iter().zip(&dual.w).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    assert!(dw < 1e-6 * scale, "‖w_primal − w_dual‖_∞ = {dw} (scale {scale})");
    assert!((primal.b - dual.b).abs() < 1e-6, "b {} vs {}", primal.b, dual.b);
    assert!((primal.margin() - dual.margin()).abs() < 1e-6 * primal.margin());
    // Strong duality: the primal minimum equals the dual maximum.
    assert!((primal.objective - problem.dual_objective(&dual.alpha)).abs() < 1e-6 * primal.objective);
    // The free support vectors (0 < α < C) are the examples on the margin
    // (yᵢ(wᵀxᵢ + b) = 1), in both solutions; α = 0 outside, α = C inside.
    let free = dual.free_support_vectors(c, 1e-6);
    assert!(!free.is_empty());
    assert_eq!(primal.free_support_vectors(c, 1e-6), free);
    let margins = problem.margins(&dual.w, dual.b);
    for (i, (&m, &a)) in margins.iter().zip(&dual.alpha).enumerate() {
        if free.contains(&i) {
            assert!((m - 1.0).abs() < 1e-6, "free support vector {i} has margin {m}");
        } else if a < 0.5 * c {
            assert!(a < 1e-6 * c && m > 1.0 - 1e-6, "example {i}: α = {a}, margin {m}");
        } else {
            assert!(a > (1.0 - 1e-6) * c && m < 1.0 + 1e-6, "example {i}: α = {a}, margin {m}");
        }
    }
    let at_c = dual.alpha.iter().filter(|&&a| a > (1.0 - 1e-6) * c).count();
    println!("{} free support vectors, {at_c} at α = C, {} with α = 0", free.len(), 569 - free.len() - at_c);
    // The multipliers of the primal are the dual variables.
    let da = primal.alpha.iter().zip(&dual.alpha).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    assert!(da < 1e-5, "‖α_primal − α_dual‖_∞ = {da}");
}

#[test]
fn bad_problems_are_clear_errors() {
    let x = Matrix::from_rows(&[[1.0], [2.0]]);
    assert_eq!(
        SvmProblem::new(x.clone(), vec![1.0, 0.0], 1.0).unwrap_err().to_string(),
        "SvmProblem: label y[1] = 0 is not ±1"
    );
    assert_eq!(
        SvmProblem::new(x.clone(), vec![1.0], 1.0).unwrap_err().to_string(),
        "SvmProblem: 2 examples but 1 labels"
    );
    assert_eq!(
        SvmProblem::new(x.clone(), vec![1.0, 1.0], 1.0).unwrap_err().to_string(),
        "SvmProblem: both classes must be present"
    );
    assert_eq!(
        SvmProblem::new(x.clone(), vec![1.0, -1.0], -1.0).unwrap_err().to_string(),
        "SvmProblem: C must be finite and > 0, got -1"
    );
    assert_eq!(
        SvmProblem::new(Matrix::from_rows(&[[f64::NAN], [2.0]]), vec![1.0, -1.0], 1.0).unwrap_err().to_string(),
        "SvmProblem: the data has a non-finite entry x[0] = NaN"
    );
    let p = SvmProblem::new(x, vec![1.0, -1.0], 1.0).unwrap();
    assert_eq!(svm_dual(&p, 0.0, 10).unwrap_err().to_string(), "svm_dual: tol must be finite and > 0, got 0");
    assert_eq!(svm_primal(&p, f64::NAN).unwrap_err().to_string(), "svm_primal: ctol must be finite and > 0, got NaN");
}
