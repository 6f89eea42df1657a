//! The command line: flags parse into a resolved configuration with
//! per-dataset defaults, bad values are rejected with a message naming the
//! flag, `--help` documents every flag, and a small run end to end writes its
//! checkpoint and loss curve.

use clap::{CommandFactory, Parser};
use wengert_nn::checkpoint;
use wengert_nn::data::BundledName;
use wengert_nn::run::{run, Cli, DatasetSpec, ModelKind, OptimizerKind, Precision, RunConfig, ScheduleKind};
use wengert_nn::{Model, TwoLayerNet};

fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
    Cli::try_parse_from(std::iter::once("wengert").chain(args.iter().copied()))
}

fn resolve(args: &[&str]) -> RunConfig {
    parse(args).unwrap().resolve().unwrap()
}

#[test]
fn no_arguments_is_the_mnist_job() {
    let cfg = resolve(&[]);
    assert_eq!(cfg.dataset, DatasetSpec::Bundled(BundledName::Mnist));
    assert_eq!(cfg.model, ModelKind::Mlp);
    assert_eq!(cfg.hidden, 256);
    assert_eq!(cfg.optimizer, OptimizerKind::Adamw);
    assert_eq!(cfg.schedule, ScheduleKind::WarmupCosine);
    assert_eq!((cfg.epochs, cfg.batch_size, cfg.threads), (8, 128, 2));
    assert_eq!(cfg.precision, Precision::F32);
    assert_eq!(cfg.out, std::path::PathBuf::from("out"));
    assert_eq!(cfg.clip, None);
}

#[test]
fn every_flag_is_parsed() {
    let cfg = resolve(&[
        "--dataset",
        "wine",
        "--model",
        "logreg",
        "--hidden",
        "7",
        "--optimizer",
        "nesterov",
        "--lr",
        "0.3",
        "--schedule",
        "step",
        "--epochs",
        "3",
        "--batch-size",
        "9",
        "--seed",
        "17",
        "--precision",
        "f64",
        "--out",
        "/tmp/x",
        "--threads",
        "1",
        "--weight-decay",
        "0.5",
        "--clip",
        "2.5",
        "--test-fraction",
        "0.3",
        "--no-progress",
    ]);
    assert_eq!(cfg.dataset, DatasetSpec::Bundled(BundledName::Wine));
    assert_eq!((cfg.model, cfg.hidden, cfg.optimizer), (ModelKind::Logreg, 7, OptimizerKind::Nesterov));
    assert_eq!((cfg.lr, cfg.schedule, cfg.epochs, cfg.batch_size), (0.3, ScheduleKind::Step, 3, 9));
    assert_eq!((cfg.seed, cfg.precision, cfg.threads), (17, Precision::F64, 1));
    assert_eq!((cfg.weight_decay, cfg.clip, cfg.test_fraction, cfg.progress), (0.5, Some(2.5), 0.3, false));
    assert_eq!(cfg.out, std::path::PathBuf::from("/tmp/x"));
}

#[test]
fn datasets_bring_their_own_defaults() {
    let bc = resolve(&["--dataset", "breast-cancer"]);
    assert_eq!((bc.model, bc.weight_decay), (ModelKind::Logreg, 1e-3));
    let iris = resolve(&["--dataset", "iris"]);
    assert_eq!((iris.model, iris.hidden, iris.batch_size), (ModelKind::Mlp, 16, 16));
    assert_eq!(resolve(&["--dataset", "Diabetes"]).model, ModelKind::Linreg);
    // SGD-family optimizers get a larger default rate than Adam.
    assert_eq!(resolve(&["--dataset", "iris", "--optimizer", "sgd"]).lr, 0.05);
    assert_eq!(resolve(&["--dataset", "iris"]).lr, 0.01);
    // An explicit flag wins.
    assert_eq!(resolve(&["--dataset", "iris", "--hidden", "99"]).hidden, 99);
}

#[test]
fn paths_are_csv_files_or_idx_folders() {
    let dir = std::env::temp_dir().join(format!("wengert-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("toy.csv");
    std::fs::write(&csv, "a,b,label\n1,2,0\n3,4,1\n").unwrap();
    assert_eq!(resolve(&["--dataset", csv.to_str().unwrap()]).dataset, DatasetSpec::Csv(csv.clone()));
    assert_eq!(resolve(&["--dataset", dir.to_str().unwrap()]).dataset, DatasetSpec::IdxDir(dir.clone()));
    assert_eq!(DatasetSpec::Csv(csv).stem(), "toy");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_values_are_rejected_with_the_flag_named() {
    for (args, needle) in [
        (&["--lr", "-1"][..], "--lr"),
        (&["--lr", "abc"], "--lr"),
        (&["--lr", "NaN"], "--lr"),
        (&["--epochs", "0"], "--epochs"),
        (&["--batch-size", "1.5"], "--batch-size"),
        (&["--hidden", "-3"], "--hidden"),
        (&["--optimizer", "adamx"], "--optimizer"),
        (&["--schedule", "linear"], "--schedule"),
        (&["--precision", "f16"], "--precision"),
        (&["--model", "cnn"], "--model"),
        (&["--weight-decay", "-0.1"], "--weight-decay"),
        (&["--clip", "0"], "--clip"),
        (&["--test-fraction", "1"], "--test-fraction"),
        (&["--threads", "0"], "--threads"),
        (&["--no-such-flag"], "--no-such-flag"),
    ] {
        let err = parse(args).expect_err(&format!("{args:?} must be rejected"));
        let first = err.to_string().lines().next().unwrap().to_string();
        assert!(first.starts_with("error: ") && first.contains(needle), "{args:?}: {first}");
    }
    let err = parse(&["--dataset", "cifar"]).unwrap().resolve().unwrap_err().to_string();
    assert!(err.starts_with("--dataset `cifar`: not a bundled dataset (mnist, digits"), "{err}");
    let err = parse(&["--model", "linreg"]).unwrap().resolve().unwrap_err().to_string();
    assert!(err.contains("linreg"), "{err}");
}

#[test]
fn help_documents_every_flag() {
    let help = Cli::command().render_long_help().to_string();
    for flag in [
        "--dataset",
        "--model",
        "--hidden",
        "--optimizer",
        "--lr",
        "--schedule",
        "--epochs",
        "--batch-size",
        "--seed",
        "--precision",
        "--out",
        "--threads",
        "--weight-decay",
        "--clip",
        "--test-fraction",
        "--no-progress",
    ] {
        let line = help.lines().find(|l| l.trim_start().starts_with(flag)).unwrap_or_else(|| panic!("{flag}"));
        let after = help.split(line).nth(1).unwrap();
        assert!(after.lines().nth(1).is_some_and(|l| !l.trim().is_empty()), "{flag} has a description");
    }
    for value in ["adamw", "warmup-cosine", "logreg", "f64"] {
        assert!(help.contains(value), "possible value {value} listed");
    }
}

#[test]
fn a_small_run_trains_and_writes_a_loadable_checkpoint_and_a_plot() {
    let out = std::env::temp_dir().join(format!("wengert-cli-run-{}", std::process::id()));
    let cfg = resolve(&["--dataset", "iris", "--epochs", "30", "--threads", "1", "--out", out.to_str().unwrap()]);
    let report = run(&cfg).unwrap();
    assert!(report.test_accuracy.unwrap() >= 0.9, "iris accuracy {:?}", report.test_accuracy);
    assert_eq!(report.history.epochs.len(), 30);
    let svg = std::fs::read_to_string(&report.loss_curve).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("polyline"), "an SVG with lines");
    let mut net = TwoLayerNet::<f32>::new(4, 16, 3, 0);
    checkpoint::load_into(net.params_mut(), &report.checkpoint).unwrap();
    std::fs::remove_dir_all(&out).ok();

    // A missing CSV column count / unreadable file is an error, not a panic.
    let bad = std::env::temp_dir().join(format!("wengert-cli-bad-{}.csv", std::process::id()));
    std::fs::write(&bad, "a,b,label\n1,2,0\n3,x,1\n").unwrap();
    let cfg = resolve(&["--dataset", bad.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    let err = run(&cfg).unwrap_err().to_string();
    assert!(err.contains("line 3, column 2") && err.contains("is not a number"), "{err}");
    std::fs::remove_file(&bad).ok();
    std::fs::remove_dir_all(&out).ok();
}
