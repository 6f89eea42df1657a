//! What every command's flags share: the value parsers (so `--epochs 0` and
//! `--lr NaN` are rejected with the flag named, the same way in every
//! command), the flag groups more than one command takes, and the short form
//! of clap's error messages.

use clap::Args;
use wengert_nn::data::{BundledName, DataSource};

/// A whole number ≥ 1.
pub fn positive_usize(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{s}` is not a whole number")),
    }
}

fn finite_f64(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(format!("`{s}` is not a finite number")),
    }
}

/// A finite number > 0.
pub fn positive_f64(s: &str) -> Result<f64, String> {
    let x = finite_f64(s)?;
    if x > 0.0 {
        Ok(x)
    } else {
        Err("must be positive".into())
    }
}

/// A finite number ≥ 0.
pub fn nonnegative_f64(s: &str) -> Result<f64, String> {
    let x = finite_f64(s)?;
    if x >= 0.0 {
        Ok(x)
    } else {
        Err("must not be negative".into())
    }
}

/// A number strictly between 0 and 1.
pub fn fraction(s: &str) -> Result<f64, String> {
    let x = finite_f64(s)?;
    if x > 0.0 && x < 1.0 {
        Ok(x)
    } else {
        Err("must be strictly between 0 and 1".into())
    }
}

/// A bundled dataset's name, an existing CSV file or a folder of IDX files.
pub fn data_source(s: &str) -> Result<DataSource, String> {
    DataSource::from_name_or_path(s).ok_or_else(|| {
        let names: Vec<&str> = BundledName::ALL.iter().map(|n| n.name()).collect();
        format!("not a bundled dataset ({}) and no such file or folder", names.join(", "))
    })
}

/// How the program uses the machine.
#[derive(Clone, Debug, Args)]
pub struct RuntimeArgs {
    /// Threads: training splits each large enough batch into one shard per
    /// thread (one tape each, gradients added in a fixed order: the same
    /// --threads gives the same bits); evaluation and prediction use them in
    /// the matrix products [default: RAYON_NUM_THREADS if set, else the number
    /// of CPUs]
    #[arg(long, default_value_t = wengert_ops::kernels::available_threads(), hide_default_value = true,
          value_parser = positive_usize)]
    pub threads: usize,
}

impl RuntimeArgs {
    /// Applies the settings to the process: the matrix-product kernel's
    /// thread count is global (training's shards set their own, one each).
    pub fn apply(&self) {
        wengert_ops::kernels::set_num_threads(self.threads);
    }
}

/// Writes `text` to stdout; a reader that went away (`wengert … | head`) is
/// not an error, any other failure is.
pub fn print_stdout(text: &str) -> Result<(), wengert_nn::NnError> {
    use std::io::Write;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(wengert_nn::NnError::Output { path: "<stdout>".into(), message: e.to_string() })
        }
        _ => Ok(()),
    }
}

/// clap's error message, shortened but with its hints: the `error:` line
/// (ending in "(see --help)"; a line that ends in `:` takes the list after
/// it, as in "required arguments were not provided: --checkpoint <FILE>"),
/// then any `[possible values: …]` and `tip: …` lines, without the usage block
/// and blank lines.
pub fn short_error(err: &clap::Error) -> String {
    let text = err.to_string();
    let mut lines = text
        .lines()
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .filter(|l| !l.trim().is_empty())
        .peekable();
    let mut first = lines.next().unwrap_or("error: invalid arguments").trim_end().to_string();
    if first.ends_with(':') {
        let mut items = Vec::new();
        let is_item = |l: &&str| {
            let t = l.trim_start();
            l.starts_with(' ') && !t.starts_with('[') && !t.starts_with("tip:")
        };
        while let Some(item) = lines.next_if(is_item) {
            items.push(item.trim());
        }
        first = format!("{first} {}", items.join(", "));
    }
    let mut out = format!("{first} (see --help)");
    for line in lines {
        out.push('\n');
        out.push_str(line.trim_end());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsers_accept_the_range_and_name_the_problem() {
        assert_eq!(positive_usize("3"), Ok(3));
        assert_eq!(positive_usize("0").unwrap_err(), "must be at least 1");
        assert_eq!(positive_usize("1.5").unwrap_err(), "`1.5` is not a whole number");
        assert_eq!(positive_f64("0.5"), Ok(0.5));
        for bad in ["0", "-1", "NaN", "inf", "x"] {
            assert!(positive_f64(bad).is_err(), "{bad}");
        }
        assert_eq!(nonnegative_f64("0"), Ok(0.0));
        assert!(nonnegative_f64("-0.1").is_err());
        assert!(fraction("0.3").is_ok() && fraction("1").is_err() && fraction("0").is_err());
        assert_eq!(data_source("IRIS"), Ok(DataSource::Bundled(BundledName::Iris)));
        let err = data_source("cifar").unwrap_err();
        assert!(err.starts_with("not a bundled dataset (mnist, digits,") && err.ends_with("no such file or folder"));
    }
}
