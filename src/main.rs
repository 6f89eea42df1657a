//! The wengert command line: the main job of the project.

fn main() {
    println!("wengert {}: reverse-mode automatic differentiation with a tape.", env!("CARGO_PKG_VERSION"));
    println!();
    println!("usage: cargo run --release            (trains the two-layer network on MNIST; coming with the nn crate)");
    println!("       cargo test --workspace         (runs every test)");
    println!("       cargo run --release --example forward_vs_reverse");
    println!("       cargo bench --bench scalar_tape");
}
