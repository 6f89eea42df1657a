//! The `wengert` program run as a user runs it: the built binary, started in
//! a fresh folder, judged by its exit status, stdout, stderr and the files it
//! writes. (How flags parse and resolve is tested beside the code, in
//! `src/cli/`.)

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use wengert::nn::{checkpoint, Model, TwoLayerNet};

/// A fresh, empty folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wengert-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `wengert args…` in `dir` (no progress bar: stdout is a pipe anyway).
fn wengert(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wengert")).args(args).current_dir(dir).output().expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A CSV of `n` rows whose target is a real-valued linear function of two
/// features (no noise, so a linear model fits it well).
fn real_valued_csv(path: &Path, n: usize) {
    let mut text = String::from("x1,x2,price\n");
    for i in 0..n {
        let (a, b) = ((i % 17) as f64 * 0.37, (i % 5) as f64 * 1.3 - 2.0);
        text += &format!("{a},{b},{}\n", 3.0 * a - 2.0 * b + 0.25);
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn a_small_run_trains_and_writes_a_loadable_checkpoint_and_a_plot() {
    let dir = scratch("iris");
    let out = wengert(&dir, &["--dataset", "iris", "--epochs", "30", "--threads", "1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().filter(|l| l.starts_with("epoch ")).count(), 30, "{text}");
    let acc: f64 = text
        .lines()
        .find_map(|l| l.split("final test accuracy ").nth(1))
        .and_then(|a| a.trim_end_matches('%').parse().ok())
        .unwrap_or_else(|| panic!("no final accuracy in\n{text}"));
    assert!(acc >= 90.0, "iris accuracy {acc}");
    assert!(
        text.ends_with("wrote out/iris_mlp.safetensors, out/iris_mlp_metrics.csv and out/iris_mlp_loss.svg\n"),
        "{text}"
    );
    let metrics = std::fs::read_to_string(dir.join("out/iris_mlp_metrics.csv")).unwrap();
    assert_eq!(metrics.lines().count(), 31, "a header and a line per epoch");
    assert!(metrics.starts_with(
        "epoch,step,train_loss,train_accuracy,test_loss,test_accuracy,learning_rate,sharpness,seconds\n1,8,"
    ));

    let svg = std::fs::read_to_string(dir.join("out/iris_mlp_loss.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("polyline"), "an SVG with lines");
    let mut net = TwoLayerNet::<f32>::new(4, 16, 3, 0);
    checkpoint::load_into(net.params_mut(), dir.join("out/iris_mlp.safetensors")).unwrap();
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_log_spells_choices_as_their_flags_and_counts_in_words() {
    let dir = scratch("spelling");
    let out = wengert(
        &dir,
        &["train", "--dataset", "iris", "--epochs", "1", "--schedule", "warmup-cosine", "--threads", "1"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let model_line = text.lines().nth(1).unwrap();
    assert_eq!(
        model_line,
        "model mlp 4-16-3, f32 precision; optimizer adam, lr 0.01, schedule warmup-cosine, weight decay 0, \
         1 epoch, batch 16, seed 42, 1 thread"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_real_valued_csv_gets_linear_regression_as_the_help_says() {
    let dir = scratch("real");
    real_valued_csv(&dir.join("prices.csv"), 200);
    let out = wengert(&dir, &["--dataset", "prices.csv", "--threads", "1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with("dataset prices: 160 train / 40 test examples, 2 features, real-valued target\n"),
        "{text}"
    );
    assert!(
        text.contains("\nmodel linear regression, f32 precision; optimizer adam, lr 0.5, schedule cosine"),
        "{text}"
    );
    assert!(text.contains("closed-form (normal equation) solution: test mse"), "{text}");
    let rmse: f64 = text
        .lines()
        .find_map(|l| l.split("(rmse ").nth(1))
        .and_then(|r| r.trim_end_matches(')').parse().ok())
        .unwrap_or_else(|| panic!("no rmse in\n{text}"));
    assert!(rmse < 0.05, "a linear target is fit: rmse {rmse}");
    assert!(dir.join("out/prices_linreg.safetensors").is_file());

    // Asking for a classifier on it says why not and what to use.
    let out = wengert(&dir, &["--dataset", "prices.csv", "--model", "mlp"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.starts_with("error: --model mlp: the targets are not class labels (") && err.contains("--model linreg"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn linreg_whose_closed_form_is_singular_still_succeeds() {
    // Digits has pixels that are 0 in every training image: with λ = 0 the
    // normal equation is singular, which says nothing against the trained model.
    let dir = scratch("singular");
    let out = wengert(&dir, &["--dataset", "digits", "--model", "linreg", "--epochs", "2", "--threads", "1"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(
            "closed-form (normal equation) solution: unavailable, matrix is singular (pivot 0 vanished to working \
             precision); a positive --weight-decay makes it solvable\n"
        ),
        "{text}"
    );
    assert!(text.contains("final test mse"), "{text}");
    // … and as the hint says, a ridge penalty makes it available.
    let out = wengert(&dir, &["--dataset", "digits", "--model", "linreg", "--epochs", "1", "--weight-decay", "0.01"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("closed-form (normal equation) solution: test mse"), "{}", stdout(&out));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_files_and_flags_are_one_clear_message_and_a_nonzero_status() {
    let dir = scratch("bad");
    std::fs::write(dir.join("bad.csv"), "a,b,label\n1,2,0\n3,x,1\n").unwrap();
    let out = wengert(&dir, &["--dataset", "bad.csv"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.starts_with("error: ") && err.contains("line 3, column 2") && err.contains("is not a number"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    let out = wengert(&dir, &["--model", "linreg"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out), "error: --model linreg needs real-valued targets; MNIST has class labels\n");

    // clap's hints survive, its usage block does not.
    let out = wengert(&dir, &["--optimizer", "adamx"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.starts_with("error: invalid value 'adamx' for '--optimizer <OPTIMIZER>' (see --help)\n"), "{err}");
    assert!(
        err.contains("[possible values: sgd, momentum, nesterov,")
            && err.contains("tip: a similar value exists: 'adam'")
    );
    let out = wengert(&dir, &["--datset", "iris"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(
        err,
        "error: unexpected argument '--datset' found (see --help)\n  tip: a similar argument exists: '--dataset'\n"
    );
    assert!(std::fs::read_dir(&dir).unwrap().count() == 1, "no output folder for failed runs");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn help_and_version_print_to_stdout_and_succeed() {
    let dir = scratch("help");
    for args in [&["--help"][..], &["-h"], &["train", "--help"], &["help", "train"]] {
        let out = wengert(&dir, args);
        assert!(out.status.success(), "{args:?}");
        let text = stdout(&out);
        assert!(text.contains("--dataset <NAME|PATH>") && text.contains("--weight-decay"), "{args:?}: {text}");
    }
    let out = wengert(&dir, &["--version"]);
    assert!(out.status.success());
    assert_eq!(stdout(&out), format!("wengert {}\n", env!("CARGO_PKG_VERSION")));
    std::fs::remove_dir_all(&dir).ok();
}

/// The metrics log without its last column (the wall time).
fn metrics_without_time(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines().map(|l| l.rsplit_once(',').unwrap().0.to_string() + "\n").collect()
}

/// The parameter tensors of a checkpoint, read as the library reads them.
fn params_of(path: &Path) -> Vec<u32> {
    checkpoint::load::<f32>(path).unwrap().to_flat().iter().map(|x| x.to_bits()).collect()
}

#[test]
fn a_run_stopped_and_resumed_equals_the_run_that_never_stopped() {
    let dir = scratch("resume");
    let flags = ["--dataset", "wine", "--epochs", "8", "--threads", "1", "--clip", "3"];
    let whole = wengert(&dir, &[&flags[..], &["--out", "whole"]].concat());
    assert!(whole.status.success(), "{}", stderr(&whole));

    let first = wengert(&dir, &[&flags[..], &["--out", "parts", "--stop-after", "4"]].concat());
    assert!(first.status.success(), "{}", stderr(&first));
    let text = stdout(&first);
    assert_eq!(text.lines().filter(|l| l.starts_with("epoch ")).count(), 4, "{text}");
    assert!(
        text.ends_with("stopped after epoch 4 of 8; `wengert --resume parts/wine_mlp.safetensors` continues the run\n"),
        "{text}"
    );
    let second = wengert(&dir, &["--resume", "parts/wine_mlp.safetensors", "--threads", "1"]);
    assert!(second.status.success(), "{}", stderr(&second));
    let text = stdout(&second);
    assert!(
        text.contains("\nresuming parts/wine_mlp.safetensors: 4 epochs of 8 done (36 steps)\nepoch   5/8 "),
        "{text}"
    );
    assert!(text.contains("clip 3"), "the settings come from the checkpoint: {text}");
    assert!(
        text.ends_with("wrote parts/wine_mlp.safetensors, parts/wine_mlp_metrics.csv and parts/wine_mlp_loss.svg\n")
    );

    // The same epochs lines, metrics log and parameters, bit for bit.
    let epoch_lines = |o: &Output| -> Vec<String> {
        stdout(o)
            .lines()
            .filter(|l| l.starts_with("epoch "))
            .map(|l| l.rsplit_once("  ").unwrap().0.to_string())
            .collect()
    };
    let mut parts = epoch_lines(&first);
    parts.extend(epoch_lines(&second));
    assert_eq!(epoch_lines(&whole), parts);
    assert_eq!(
        metrics_without_time(&dir.join("whole/wine_mlp_metrics.csv")),
        metrics_without_time(&dir.join("parts/wine_mlp_metrics.csv"))
    );
    assert_eq!(params_of(&dir.join("whole/wine_mlp.safetensors")), params_of(&dir.join("parts/wine_mlp.safetensors")));
    // … and every other part of the checkpoint but the wall times.
    let load = |p: &str| wengert::nn::checkpoint::Checkpoint::<f32>::load(dir.join(p)).unwrap();
    let (a, b) = (load("whole/wine_mlp.safetensors"), load("parts/wine_mlp.safetensors"));
    assert_eq!((&a.optimizer, &a.data, &a.model, &a.extra), (&b.optimizer, &b.data, &b.model, &b.extra));
    let (ra, rb) = (a.run.unwrap(), b.run.unwrap());
    assert_eq!(ra.history.step_losses, rb.history.step_losses);
    let untimed = |r: &wengert::nn::train::EpochRecord| wengert::nn::train::EpochRecord { seconds: 0.0, ..r.clone() };
    assert!(ra.history.epochs.iter().zip(&rb.history.epochs).all(|(x, y)| untimed(x) == untimed(y)));

    // A finished run has nothing left; a longer one does; other settings are refused.
    let done = wengert(&dir, &["--resume", "parts/wine_mlp.safetensors"]);
    assert_eq!(done.status.code(), Some(1));
    assert_eq!(
        stderr(&done),
        "error: parts/wine_mlp.safetensors: the run has done 8 epochs of 8; give --epochs a larger number to train \
         longer\n"
    );
    let longer = wengert(&dir, &["--resume", "parts/wine_mlp.safetensors", "--epochs", "9", "--quiet"]);
    assert!(longer.status.success(), "{}", stderr(&longer));
    assert_eq!(stdout(&longer), "", "--quiet prints nothing");
    assert_eq!(std::fs::read_to_string(dir.join("parts/wine_mlp_metrics.csv")).unwrap().lines().count(), 10);
    let refused = wengert(&dir, &["--resume", "parts/wine_mlp.safetensors", "--lr", "0.1"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).starts_with("error: the argument '--resume <FILE>' cannot be used with '--lr <LR>'"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn sharpness_every_fills_the_sharpness_column_and_adds_a_panel_to_the_plot() {
    let dir = scratch("sharpness");
    // Iris: 120 training rows, batch 16, so 8 steps an epoch; measured at 0, 6, 12, 18, 24.
    let out = wengert(&dir, &["--dataset", "iris", "--epochs", "3", "--sharpness-every", "6", "--threads", "1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let metrics = std::fs::read_to_string(dir.join("out/iris_mlp_metrics.csv")).unwrap();
    let cells: Vec<&str> = metrics.lines().skip(1).map(|l| l.split(',').nth(7).unwrap()).collect();
    assert_eq!(cells.len(), 3);
    for cell in cells {
        let sharpness: f64 = cell.parse().unwrap_or_else(|_| panic!("`{cell}` in\n{metrics}"));
        assert!(sharpness > 0.0 && sharpness.is_finite());
    }
    let svg = std::fs::read_to_string(dir.join("out/iris_mlp_loss.svg")).unwrap();
    assert!(svg.contains("sharpness (top Hessian eigenvalue)"), "the second panel");
    let saved = checkpoint::Checkpoint::<f32>::load(dir.join("out/iris_mlp.safetensors")).unwrap();
    let steps: Vec<u64> = saved.run.unwrap().history.sharpness.iter().map(|r| r.step).collect();
    assert_eq!(steps, [0, 6, 12, 18, 24]);

    let refused = wengert(&dir, &["--dataset", "iris", "--sharpness-every", "0"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("must be at least 1"), "{}", stderr(&refused));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_sharpness_of_linear_regression_in_the_log_is_the_top_eigenvalue_of_its_hessian() {
    use wengert::nn::data::{prepare, DataSource, TargetKind};
    use wengert::ops::Matrix;
    use wengert::optim::linalg::symmetric_eigen;
    let dir = scratch("sharpness-linreg");
    let l2 = 0.1;
    let args = "--dataset diabetes --model linreg --optimizer sgd --lr 0.05 --weight-decay 0.1 --precision f64 \
                --seed 3 --epochs 2 --sharpness-every 4 --threads 1";
    let args: Vec<&str> = args.split_whitespace().collect();
    let out = wengert(&dir, &args);
    assert!(out.status.success(), "{}", stderr(&out));

    // The loss `mean (x·w + b − y)² + λ/2 ‖w‖²` is quadratic: its Hessian is
    // 2/N·AᵀA + λ·diag(1, …, 1, 0) with A = [X 1], on the training rows the
    // program prepared (all of them: fewer than the 1000 it measures on).
    let data = DataSource::from_name_or_path("diabetes").unwrap().load().unwrap();
    let train = prepare(data, TargetKind::RealValued, 0.2, 3).unwrap().train;
    let x = train.features();
    let (n, d) = x.shape();
    let a = Matrix::from_fn(n, d + 1, |i, j| if j < d { x[(i, j)] } else { 1.0 });
    let mut h = a.transpose().matmul(&a);
    for i in 0..=d {
        for j in 0..=d {
            h[(i, j)] *= 2.0 / n as f64;
        }
        if i < d {
            h[(i, i)] += l2;
        }
    }
    let exact = symmetric_eigen(&h).values[0];

    let saved = checkpoint::Checkpoint::<f64>::load(dir.join("out/diabetes_linreg.safetensors")).unwrap();
    let records = saved.run.unwrap().history.sharpness;
    // 353 training rows, batch 32: 12 steps an epoch, measured at 0, 4, …, 24.
    assert_eq!(records.iter().map(|r| r.step).collect::<Vec<_>>(), [0, 4, 8, 12, 16, 20, 24]);
    for r in &records {
        // The default early stop (relative residual 1e-3) leaves the
        // eigenvalue far more accurate than that.
        assert!((r.sharpness - exact).abs() <= 1e-6 * exact, "step {}: {} vs exact {exact}", r.step, r.sharpness);
    }
    // The log's column holds each epoch's last measurement: steps 12 and 24.
    let metrics = std::fs::read_to_string(dir.join("out/diabetes_linreg_metrics.csv")).unwrap();
    let column: Vec<f64> = metrics.lines().skip(1).map(|l| l.split(',').nth(7).unwrap().parse().unwrap()).collect();
    assert_eq!(column, [records[3].sharpness, records[6].sharpness], "{metrics}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn log_every_thins_the_epoch_lines() {
    let dir = scratch("log-every");
    let out = wengert(&dir, &["--dataset", "iris", "--epochs", "10", "--log-every", "4", "--threads", "1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let epochs: Vec<String> = stdout(&out)
        .lines()
        .filter(|l| l.starts_with("epoch "))
        .map(|l| l.split_whitespace().nth(1).unwrap().to_string())
        .collect();
    assert_eq!(epochs, ["1/10", "4/10", "8/10", "10/10"]);
    assert_eq!(std::fs::read_to_string(dir.join("out/iris_mlp_metrics.csv")).unwrap().lines().count(), 11);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn predict_and_eval_use_the_saved_scaling_and_classes_on_csv_files() {
    let dir = scratch("predict");
    let iris = wengert::nn::data::data_dir().join("iris.csv");
    let out = wengert(&dir, &["--dataset", "iris", "--epochs", "40", "--threads", "1"]);
    assert!(out.status.success(), "{}", stderr(&out));

    // eval on the whole labelled file.
    let ev = wengert(&dir, &["eval", "--checkpoint", "out/iris_mlp.safetensors", "--input", iris.to_str().unwrap()]);
    assert!(ev.status.success(), "{}", stderr(&ev));
    let text = stdout(&ev);
    assert!(text.starts_with("model mlp hidden=16 (f32) from out/iris_mlp.safetensors, on 150 examples of "), "{text}");
    assert!(text.contains("\naccuracy ") && text.contains("%, loss "), "{text}");
    assert!(
        text.contains("(150 examples)\nconfusion matrix (rows: true class, columns: predicted):\ntrue\\p |"),
        "{text}"
    );

    // predict on the same rows without their labels, to a file.
    let raw = std::fs::read_to_string(&iris).unwrap();
    let unlabelled: String = raw.lines().map(|l| l.rsplit_once(',').unwrap().0.to_string() + "\n").collect();
    std::fs::write(dir.join("new.csv"), unlabelled).unwrap();
    let pr = wengert(
        &dir,
        &["predict", "--checkpoint", "out/iris_mlp.safetensors", "--input", "new.csv", "--output", "pred.csv"],
    );
    assert!(pr.status.success(), "{}", stderr(&pr));
    assert_eq!(stdout(&pr), "");
    let pred = std::fs::read_to_string(dir.join("pred.csv")).unwrap();
    let mut lines = pred.lines();
    assert_eq!(lines.next(), Some("row,class,p_0,p_1,p_2"));
    let mut right = 0;
    for (line, truth) in lines.zip(raw.lines().skip(1)) {
        let cells: Vec<&str> = line.split(',').collect();
        let p: Vec<f64> = cells[2..].iter().map(|v| v.parse().unwrap()).collect();
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{line}");
        let best = (0..3).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap();
        assert_eq!(cells[1], best.to_string(), "the class is the most probable one: {line}");
        right += usize::from(truth.ends_with(&format!(",{}", cells[1])));
    }
    // The predictions agree with eval's accuracy.
    let acc: f64 = text.split("accuracy ").nth(1).unwrap().split('%').next().unwrap().parse().unwrap();
    assert!((100.0 * right as f64 / 150.0 - acc).abs() < 0.01, "{right} right vs {acc}%");

    // Wrong columns, no labels, a missing checkpoint: one clear line each.
    std::fs::write(dir.join("swapped.csv"), "sepal_width_cm,sepal_length_cm,petal_length_cm,petal_width_cm\n1,2,3,4\n")
        .unwrap();
    let bad = wengert(&dir, &["predict", "--checkpoint", "out/iris_mlp.safetensors", "--input", "swapped.csv"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stderr(&bad).starts_with(
            "error: swapped.csv: the header is not the model's features (column 1 is `sepal_width_cm` where the model \
             has `sepal_length_cm`)"
        ),
        "{}",
        stderr(&bad)
    );
    let unlabelled = wengert(&dir, &["eval", "--checkpoint", "out/iris_mlp.safetensors", "--input", "new.csv"]);
    assert_eq!(unlabelled.status.code(), Some(1));
    assert!(stderr(&unlabelled).contains("new.csv has no labels to evaluate against"), "{}", stderr(&unlabelled));
    let missing = wengert(&dir, &["eval", "--checkpoint", "nope.safetensors", "--input", "new.csv"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).starts_with("error: checkpoint nope.safetensors: "), "{}", stderr(&missing));
    std::fs::remove_dir_all(&dir).ok();
}

/// An IDX file of `dims` (unsigned bytes) holding `payload`.
fn idx(dims: &[u32], payload: &[u8]) -> Vec<u8> {
    let mut b = vec![0, 0, 8, dims.len() as u8];
    for d in dims {
        b.extend_from_slice(&d.to_be_bytes());
    }
    b.extend_from_slice(payload);
    b
}

#[test]
fn predict_and_eval_read_idx_image_files_and_folders() {
    // A tiny MNIST look-alike: 3×3 images, the label is the row that is lit.
    let dir = scratch("idx");
    let data = dir.join("tiny");
    std::fs::create_dir_all(&data).unwrap();
    let images = |n: usize| -> (Vec<u8>, Vec<u8>) {
        let labels: Vec<u8> = (0..n).map(|i| (i % 3) as u8).collect();
        let pixels =
            labels.iter().flat_map(|&l| (0..9).map(move |p| if p / 3 == l as usize { 200 } else { 10 })).collect();
        (pixels, labels)
    };
    for (n, img, lab) in [
        (60, "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
        (12, "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
    ] {
        let (pixels, labels) = images(n);
        std::fs::write(data.join(img), idx(&[n as u32, 3, 3], &pixels)).unwrap();
        std::fs::write(data.join(lab), idx(&[n as u32], &labels)).unwrap();
    }
    let out = wengert(
        &dir,
        &[
            "--dataset",
            "tiny",
            "--epochs",
            "20",
            "--hidden",
            "8",
            "--batch-size",
            "10",
            "--lr",
            "0.05",
            "--threads",
            "1",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("final test accuracy 100.00%"), "{}", stdout(&out));

    let ev = wengert(&dir, &["eval", "--checkpoint", "out/tiny_mlp.safetensors", "--input", "tiny"]);
    assert!(ev.status.success(), "{}", stderr(&ev));
    assert!(stdout(&ev).contains("on 12 examples of tiny\naccuracy 100.00%"), "{}", stdout(&ev));
    let files = [
        "eval",
        "--checkpoint",
        "out/tiny_mlp.safetensors",
        "--input",
        "tiny/t10k-images-idx3-ubyte.gz",
        "--labels",
        "tiny/t10k-labels-idx1-ubyte.gz",
    ];
    let ev2 = wengert(&dir, &files);
    assert!(ev2.status.success(), "{}", stderr(&ev2));
    assert_eq!(stdout(&ev).lines().nth(1), stdout(&ev2).lines().nth(1), "the same numbers");

    let pr = wengert(
        &dir,
        &["predict", "--checkpoint", "out/tiny_mlp.safetensors", "--input", "tiny/t10k-images-idx3-ubyte.gz"],
    );
    assert!(pr.status.success(), "{}", stderr(&pr));
    let classes: Vec<String> = stdout(&pr).lines().skip(1).map(|l| l.split(',').nth(1).unwrap().to_string()).collect();
    assert_eq!(classes, (0..12).map(|i| (i % 3).to_string()).collect::<Vec<_>>());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn labels_that_are_not_class_indices_are_kept_through_train_eval_and_predict() {
    // Labels 3, 7 and 100000 are three classes (not 100001): the log lists
    // them, and eval and predict speak of them by label.
    let dir = scratch("codes");
    let mut text = String::from("a,b,code\n");
    for i in 0..60 {
        let c = i % 3;
        text += &format!(
            "{},{},{}\n",
            c as f64 * 2.0 + (i % 7) as f64 * 0.1,
            c as f64 - (i % 5) as f64 * 0.1,
            [3, 7, 100000][c]
        );
    }
    std::fs::write(dir.join("codes.csv"), text).unwrap();
    let out = wengert(&dir, &["--dataset", "codes.csv", "--epochs", "40", "--threads", "1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("3 classes (labels 3, 7, 100000)"), "{}", stdout(&out));
    let ckpt = "out/codes_mlp.safetensors";
    let out = wengert(&dir, &["eval", "--checkpoint", ckpt, "--input", "codes.csv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("true\\p |      3      7 100000\n"), "{text}");
    assert!(text.contains("100000 |"), "{text}");
    let out = wengert(&dir, &["predict", "--checkpoint", ckpt, "--input", "codes.csv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("row,class,p_3,p_7,p_100000\n"), "{text}");
    let classes: Vec<&str> = text.lines().skip(1).filter_map(|l| l.split(',').nth(1)).collect();
    assert_eq!(classes.len(), 60);
    assert!(classes.iter().all(|c| ["3", "7", "100000"].contains(c)), "{classes:?}");
}

#[test]
fn detect_anomaly_names_the_op_where_a_run_goes_non_finite() {
    let dir = scratch("anomaly");
    let out =
        wengert(&dir, &["--dataset", "iris", "--lr", "1e30", "--epochs", "3", "--threads", "1", "--detect-anomaly"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("anomaly while recording: op #"), "{err}");
    assert!(err.contains("`matmul`") && err.contains("from finite inputs"), "{err}");
    // The same run without the flag stops later, at the loss, without naming an op.
    let out = wengert(&dir, &["--dataset", "iris", "--lr", "1e30", "--epochs", "3", "--threads", "1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("training diverged"), "{}", stderr(&out));
}

#[test]
fn class_names_in_a_quoted_csv_train_and_come_back_from_eval_and_predict() {
    // Iris with its species written out, some fields quoted (RFC 4180),
    // a header name with a comma in it.
    let dir = scratch("names");
    let iris = std::fs::read_to_string(wengert::nn::data::data_dir().join("iris.csv")).unwrap();
    let mut text = String::from("\"sepal length, cm\",sepal_width_cm,petal_length_cm,petal_width_cm,species\n");
    let mut features_only = String::from("\"sepal length, cm\",sepal_width_cm,petal_length_cm,petal_width_cm\n");
    for line in iris.lines().skip(1) {
        let (x, label) = line.rsplit_once(',').unwrap();
        let species = ["setosa", "versicolor", "virginica"][label.parse::<usize>().unwrap()];
        let quoted = if species == "versicolor" { format!("\"{species}\"") } else { species.to_string() };
        text += &format!("{x},{quoted}\n");
        features_only += &format!("{x}\n");
    }
    std::fs::write(dir.join("species.csv"), &text).unwrap();
    std::fs::write(dir.join("new.csv"), &features_only).unwrap();
    let out = wengert(&dir, &["--dataset", "species.csv", "--epochs", "60", "--threads", "1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("3 classes (labels setosa, versicolor, virginica)"), "{}", stdout(&out));
    let ckpt = "out/species_mlp.safetensors";
    let out = wengert(&dir, &["eval", "--checkpoint", ckpt, "--input", "species.csv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = stdout(&out);
    assert!(report.contains("setosa") && report.contains("virginica |"), "{report}");
    let accuracy: f64 = report.split("accuracy ").nth(1).unwrap().split('%').next().unwrap().parse().unwrap();
    assert!(accuracy > 90.0, "{report}");
    let out = wengert(&dir, &["predict", "--checkpoint", ckpt, "--input", "new.csv", "--output", "pred.csv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let predictions = std::fs::read_to_string(dir.join("pred.csv")).unwrap();
    assert!(predictions.starts_with("row,class,p_setosa,p_versicolor,p_virginica\n"), "{predictions}");
    let predicted: Vec<&str> = predictions.lines().skip(1).map(|l| l.split(',').nth(1).unwrap()).collect();
    assert_eq!(predicted.len(), 150);
    let expected: Vec<&str> = text.lines().skip(1).map(|l| l.rsplit(',').next().unwrap().trim_matches('"')).collect();
    let right = predicted.iter().zip(&expected).filter(|(p, e)| p == e).count();
    assert!(right >= 135, "{right} of 150 predicted as labelled");
    // A regression model refuses names, saying why.
    let out = wengert(&dir, &["--dataset", "species.csv", "--model", "linreg", "--epochs", "1"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("holds class names (setosa, versicolor, virginica)"), "{}", stderr(&out));
}
