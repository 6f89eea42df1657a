//! A compiled function as a Graphviz graph: a small scalar MLP (2 → 3 → 1,
//! tanh hidden layer, ReLU output) recorded once, printed as `dot`.
//!
//! Run: `cargo run --example compiled_graph > mlp.dot && dot -Tsvg mlp.dot > mlp.svg`.
//! Boxes are inputs, ellipses ops in recording order (`#k name(constant)`),
//! the double circle the output, dashed diamonds the guards (here the kink of
//! the output's ReLU). The MLP is written with scalar ops: matrix ops
//! (`MatVar`) cannot be replayed yet, and compiling one says so (shown on
//! stderr at the end).

use wengert::prelude::*;
use wengert::tape::compile::{compile, CompileError};

/// `relu(w₂ · tanh(W₁ x + b₁) + b₂)` with fixed weights.
fn mlp<T: Real>(x: &[T]) -> T {
    const W1: [[f64; 2]; 3] = [[0.5, -1.0], [1.5, 0.25], [-0.75, 0.5]];
    const B1: [f64; 3] = [0.1, -0.2, 0.0];
    const W2: [f64; 3] = [1.0, -0.5, 2.0];
    let hidden = W1.iter().zip(B1).map(|(w, b)| (x[0] * w[0] + x[1] * w[1] + b).tanh());
    let out = hidden.zip(W2).fold(T::from_f64(1.0), |acc, (h, w)| acc + h * w);
    out.relu()
}

fn main() {
    let x = [0.3, -0.8];
    let f = compile(|v| mlp(v), &x).expect("scalar code compiles");
    eprintln!(
        "{} ops, {} guard(s); value {:.6}, gradient {:?}",
        f.ops(),
        f.guards(),
        f.value(&x).expect("recorded here"),
        f.gradient(&x).expect("recorded here")
    );
    print!("{}", f.to_dot());

    // The same network with matrix ops: not replayable yet, and a clear error.
    let err = compile(
        |v| {
            let tape = v[0].tape().expect("inputs are recorded");
            let w = tape.constant_matrix(&Matrix::from_rows(&[[0.5, -1.0], [1.5, 0.25]]));
            w.matmul(MatVar::from_vars(tape, v, 2, 1)).tanh().sum()
        },
        &x,
    )
    .unwrap_err();
    assert!(matches!(err, CompileError::MatrixOp { .. }));
    eprintln!("matrix version: {err}");
}
