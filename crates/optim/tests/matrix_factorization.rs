//! Matrix factorization on the standard synthetic instance (500 users × 200 items,
//! rank 5, 10 % observed, noise 0.5): Adam on the full training loss must bring the
//! held-out RMSE well below predicting the mean, and close to the noise level.

use wengert_optim::problems::MatrixFactorization;
use wengert_optim::{Adam, CosineAnnealing, Optimizer, Scheduled};

#[test]
fn held_out_rmse_ends_well_below_the_mean_baseline() {
    let mf = MatrixFactorization::standard();
    let mut params = mf.init_params(0.1, 7);
    let baseline = mf.baseline_rmse();
    let start = mf.test_rmse(&params);
    let mut opt = Scheduled::new(Adam::new(), CosineAnnealing { max_lr: 0.03, min_lr: 1e-3, total: 800 });
    let mut first_loss = None;
    let mut last_loss = 0.0;
    for _ in 0..800 {
        let (loss, grads) = mf.loss_grad(&params);
        first_loss.get_or_insert(loss);
        last_loss = loss;
        opt.step(&mut params, &grads);
    }
    let rmse = mf.test_rmse(&params);
    println!("held-out RMSE: mean baseline {baseline:.3}, start {start:.3}, trained {rmse:.3}");
    // The mean predictor's RMSE is about the rating spread, √(5 + 0.25) ≈ 2.3.
    assert!(baseline > 2.0, "baseline {baseline}");
    assert!(start > 0.9 * baseline, "an untrained model is no better than the mean");
    assert!(rmse < 0.4 * baseline, "held-out RMSE {rmse} vs baseline {baseline}");
    // The noise standard deviation 0.5 is the floor no model can beat on average.
    assert!(rmse > 0.45, "held-out RMSE {rmse} below the noise floor is suspicious");
    assert!(last_loss < 0.2 * first_loss.unwrap());
}
