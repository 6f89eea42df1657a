//! Schedules hit their documented values; the scheduled wrapper uses them; the
//! learning-rate finder brackets the stability limit; clipping preserves direction;
//! gradient accumulation equals one large-batch step.

use wengert_ops::Matrix;
use wengert_optim::problems::LinearRegression;
use wengert_optim::{
    clip_grad_norm, clip_grad_value, clip_norm_slice, Adam, Constant, CosineAnnealing, ExponentialDecay,
    GradAccumulator, LrFinder, Optimizer, Params, Schedule, Scheduled, Sgd, StepDecay, Triangular, WarmRestarts,
    WarmupCosine,
};

fn assert_at(s: &dyn Schedule, cases: &[(u64, f64)]) {
    for &(t, want) in cases {
        let got = s.lr(t);
        assert!((got - want).abs() < 1e-12, "lr({t}) = {got}, want {want}");
    }
}

#[test]
fn each_schedule_hits_its_documented_values() {
    assert_at(&Constant(0.3), &[(0, 0.3), (1_000_000, 0.3)]);
    assert_at(&StepDecay { initial: 0.1, gamma: 0.5, step_size: 10 }, &[(0, 0.1), (9, 0.1), (10, 0.05), (25, 0.025)]);
    assert_at(&ExponentialDecay { initial: 1.0, gamma: 0.9 }, &[(0, 1.0), (1, 0.9), (2, 0.81), (10, 0.9f64.powi(10))]);
    assert_at(
        &CosineAnnealing { max_lr: 1.0, min_lr: 0.0, total: 100 },
        &[(0, 1.0), (50, 0.5), (25, 0.5 + 0.5 * std::f64::consts::FRAC_1_SQRT_2), (100, 0.0), (250, 0.0)],
    );
    assert_at(
        &WarmupCosine { peak_lr: 1.0, min_lr: 0.1, warmup: 10, total: 110 },
        &[(0, 0.1), (4, 0.5), (9, 1.0), (10, 1.0), (60, 0.55), (110, 0.1), (500, 0.1)],
    );
    assert_at(
        &Triangular { base_lr: 0.1, max_lr: 1.0, half_cycle: 10 },
        &[(0, 0.1), (5, 0.55), (10, 1.0), (15, 0.55), (20, 0.1), (30, 1.0), (40, 0.1)],
    );
    // Periods 10, 20, 40: restarts at 0, 10, 30, 70.
    assert_at(
        &WarmRestarts { max_lr: 1.0, min_lr: 0.0, period: 10, period_mult: 2 },
        &[(0, 1.0), (5, 0.5), (10, 1.0), (20, 0.5), (30, 1.0), (50, 0.5), (70, 1.0)],
    );
    let sgdr = WarmRestarts { max_lr: 1.0, min_lr: 0.0, period: 10, period_mult: 2 };
    assert!(sgdr.lr(29) < 0.01 && sgdr.lr(9) < 0.03, "end of a period is near the floor");
    // Closures are schedules too.
    assert_at(&|t: u64| 1.0 / (1.0 + t as f64), &[(0, 1.0), (3, 0.25)]);
}

#[test]
fn scheduled_optimizer_uses_the_schedule_at_each_step() {
    let mut opt = Scheduled::new(Sgd::new(), StepDecay { initial: 0.1, gamma: 0.5, step_size: 2 });
    let mut x = [0.0f64];
    let mut prev = 0.0;
    for (k, want) in [0.1, 0.1, 0.05, 0.05, 0.025].into_iter().enumerate() {
        assert!((opt.learning_rate() - want).abs() < 1e-15, "step {k}");
        opt.step_slice(&mut x, &[-1.0]);
        assert!((x[0] - prev - want).abs() < 1e-15, "step {k} moved by {}", x[0] - prev);
        prev = x[0];
    }
    assert_eq!(Optimizer::<f64>::steps(&opt), 5);
    Optimizer::<f64>::reset(&mut opt);
    assert!((Optimizer::<f64>::learning_rate(&opt) - 0.1).abs() < 1e-15);
}

/// On `f(x, y) = ½ (L x² + c y²) + 1` with L = 7, c = 0.3 (the 1 plays an
/// irreducible loss), a gradient step multiplies x by `1 − ηL` and y by `1 − ηc`,
/// so the loss blows up once η > 2/L. The finder must stop after that point, and
/// both suggestions must lie in the stable range.
#[test]
fn lr_finder_brackets_the_stability_limit() {
    let (l, c) = (7.0, 0.3);
    let (mut x, mut y) = (1.0f64, 1.0f64);
    let res = LrFinder { min_lr: 1e-5, max_lr: 10.0, num_steps: 100, ..LrFinder::default() }.run(|lr| {
        x -= lr * l * x;
        y -= lr * c * y;
        0.5 * (l * x * x + c * y * y) + 1.0
    });
    let blow = res.blow_up_lr.expect("the loss must blow up");
    assert!(blow > 2.0 / l && blow < 2.0, "blow-up at {blow}");
    assert!(res.steepest_lr > 1e-3 && res.steepest_lr < 2.0 / l, "steepest at {}", res.steepest_lr);
    assert!((res.tenth_of_blow_up_lr - blow / 10.0).abs() < 1e-15);
    assert!(res.tenth_of_blow_up_lr < 2.0 / l);
    assert_eq!(res.lrs.len(), res.losses.len());
    assert!(res.lrs.windows(2).all(|w| w[1] > w[0]));
    // The sweep is geometric: constant ratio between consecutive rates.
    let r = res.lrs[1] / res.lrs[0];
    assert!((r - 10f64.powf(6.0 / 99.0)).abs() < 1e-12);
}

#[test]
fn clip_by_global_norm_keeps_direction_and_caps_norm() {
    let mut g = Params::new()
        .with("w", Matrix::from_rows(&[[3.0f64, 0.0], [0.0, 4.0]]))
        .with("b", Matrix::from_rows(&[[0.0f64, 0.0, 0.0]]));
    let before = g.to_flat();
    let pre = clip_grad_norm(&mut g, 1.0);
    assert!((pre - 5.0).abs() < 1e-15, "returns the pre-clip norm");
    assert!((g.global_norm() - 1.0).abs() < 1e-15, "caps the norm");
    for (a, b) in g.to_flat().iter().zip(&before) {
        assert!((a - b / 5.0).abs() < 1e-15, "same direction");
    }
    // Below the cap nothing changes.
    let snapshot = g.clone();
    assert!((clip_grad_norm(&mut g, 10.0) - 1.0).abs() < 1e-15);
    assert_eq!(g, snapshot);

    let mut v = [6.0f32, -8.0];
    assert!((clip_norm_slice(&mut v, 2.0) - 10.0).abs() < 1e-6);
    assert!((v[0] - 1.2).abs() < 1e-6 && (v[1] + 1.6).abs() < 1e-6);

    let mut g = Params::new().with("w", Matrix::from_rows(&[[3.0f64, -0.5, -7.0]]));
    assert_eq!(clip_grad_value(&mut g, 1.0), 2);
    assert_eq!(g.to_flat(), [1.0, -0.5, -1.0]);
}

/// K micro-batches of unequal sizes, averaged with weights by size, give exactly
/// the full-batch gradient, so an Adam step on the accumulated gradient equals the
/// step on the whole batch (to 1e-12, over several steps).
#[test]
fn accumulated_step_equals_the_large_batch_step() {
    let data = LinearRegression::synthetic(120, 4, 0.2, 3);
    let splits = [0..50, 50..80, 80..120];
    let mut p_full = Params::new().with("theta", Matrix::row_vector(&[0.5, -0.5, 1.0, 0.0]));
    let mut p_acc = p_full.clone();
    let (mut opt_full, mut opt_acc) = (Adam::new().lr(0.05), Adam::new().lr(0.05));
    let mut acc = GradAccumulator::new();
    for _ in 0..5 {
        let th = p_full.get("theta").unwrap().as_slice().to_vec();
        let g_full = Params::new().with("theta", Matrix::row_vector(&data.gradient(&th)));
        opt_full.step(&mut p_full, &g_full);

        let th = p_acc.get("theta").unwrap().as_slice().to_vec();
        let mut unweighted = vec![0.0; 4];
        for rows in splits.clone() {
            let n = rows.len();
            let (_, g) = data.loss_grad_rows(&th, rows);
            unweighted.iter_mut().zip(&g).for_each(|(u, gi)| *u += gi / 3.0);
            acc.add(&Params::new().with("theta", Matrix::row_vector(&g)), n);
        }
        assert_eq!((acc.micro_batches(), acc.examples()), (3, 120));
        let g_acc = acc.take().unwrap();
        assert_eq!(acc.micro_batches(), 0);
        let diff = g_acc.get("theta").unwrap().max_abs_diff(&Matrix::row_vector(&data.gradient(&th)));
        assert!(diff < 1e-12, "accumulated gradient differs by {diff}");
        // Weighting matters: the plain mean of micro-batch means is not the batch mean.
        let un = Matrix::row_vector(&unweighted).max_abs_diff(g_acc.get("theta").unwrap());
        assert!(un > 1e-6);
        opt_acc.step(&mut p_acc, &g_acc);
        let d = p_full.get("theta").unwrap().max_abs_diff(p_acc.get("theta").unwrap());
        assert!(d < 1e-12, "iterates differ by {d}");
    }
}
