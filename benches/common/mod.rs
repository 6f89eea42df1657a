//! Shared by the benches: reading back the medians criterion measured in this
//! run, so each bench can print ratios against a baseline from the same run.

use std::path::PathBuf;

/// Directory where criterion writes its results.
fn criterion_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("criterion")
}

/// Median time in nanoseconds of benchmark `group/id` from this run, if it ran.
pub fn median_ns(group: &str, id: &str) -> Option<f64> {
    let path = criterion_dir().join(group).join(id).join("new").join("estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let at = text.find("\"median\"")?;
    let rest = &text[at..];
    let key = "\"point_estimate\":";
    let start = rest.find(key)? + key.len();
    let end = rest[start..].find([',', '}'])? + start;
    rest[start..end].trim().parse().ok()
}

/// Formats nanoseconds for humans.
pub fn human(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.1} ns")
    }
}
