//! The `wengert` command line: trains a model (by default the two-layer
//! network on MNIST) and writes its loss curve and checkpoint. The program
//! lives in `src/cli/` (one file per job, see its module docs); this file only
//! hands over to it.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
