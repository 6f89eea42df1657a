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
    assert!(text.ends_with("wrote out/iris_mlp.safetensors and out/iris_mlp_loss.svg\n"), "{text}");

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
