//! The wengert command line: trains a model (by default the two-layer network
//! on MNIST) and writes its loss curve and checkpoint. All the logic lives in
//! `wengert_nn::run`; this file only parses the flags and reports errors as
//! one line on stderr with a non-zero exit status.

use clap::error::ErrorKind;
use clap::Parser;
use wengert_nn::run::{run, Cli};

fn main() {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => e.exit(),
        Err(e) => {
            // clap's message is "error: …" followed by usage lines; keep the first.
            let text = e.to_string();
            eprintln!("{} (see --help)", text.lines().next().unwrap_or("error: invalid arguments"));
            std::process::exit(2);
        }
    };
    let result = cli.resolve().and_then(|cfg| run(&cfg));
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
