//! Graphviz `dot` export of a compiled function: inputs, constants, ops in
//! recording order, outputs and guards, for debugging and teaching.
//!
//! Render with `dot -Tsvg graph.dot > graph.svg`. Inputs are boxes (all are
//! tracked: they are what the gradient is taken with respect to), constants
//! plain text, ops ellipses numbered in recording order, outputs double
//! circles, guards dashed diamonds linked to the values they compare. Every
//! value is a scalar (`1×1`): matrix ops do not compile yet.

use std::fmt::Write;

use super::function::Compiled;

impl Compiled {
    /// The recording as a Graphviz `dot` graph.
    ///
    /// ```
    /// use wengert_tape::compile::compile;
    /// use wengert_tape::Scalar;
    /// let f = compile(|x| (x[0] * x[1]).max(x[0]).exp(), &[2.0, 3.0]).unwrap();
    /// let dot = f.to_dot();
    /// assert!(dot.starts_with("digraph compiled {"));
    /// assert!(dot.contains("mul") && dot.contains("exp") && dot.contains("a.max(b)"));
    /// ```
    pub fn to_dot(&self) -> String {
        let p = &self.program;
        let mut s = String::new();
        let _ = writeln!(s, "digraph compiled {{");
        let _ = writeln!(s, "  rankdir=LR;");
        let _ = writeln!(s, "  node [fontname=\"Helvetica\"];");
        for i in 0..p.n_inputs {
            let _ = writeln!(s, "  s{} [shape=box, label=\"x{i}\\n1×1, tracked\"];", 1 + i);
        }
        for (k, c) in p.consts.iter().enumerate() {
            let _ = writeln!(s, "  s{} [shape=plaintext, label=\"{c:?}\"];", p.first_const() + k);
        }
        for (k, op) in p.ops.iter().enumerate() {
            let r = p.first_op() + k;
            let label = match constant_of(op) {
                Some(c) => format!("#{k} {}({c:?})", op.name()),
                None => format!("#{k} {}", op.name()),
            };
            let _ = writeln!(s, "  s{r} [shape=ellipse, label=\"{label}\"];");
            let _ = writeln!(s, "  s{} -> s{r};", p.arg_a[k]);
            if p.arg_b[k] != 0 {
                let _ = writeln!(s, "  s{} -> s{r};", p.arg_b[k]);
            }
        }
        for (i, &o) in p.outputs.iter().enumerate() {
            let _ = writeln!(s, "  y{i} [shape=doublecircle, label=\"y{i}\"];");
            let _ = writeln!(s, "  s{o} -> y{i};");
        }
        for (i, g) in p.guards.iter().enumerate() {
            let at = g.location.map(|l| format!("\\n{}:{}", l.file(), l.line())).unwrap_or_default();
            let _ = writeln!(
                s,
                "  g{i} [shape=diamond, style=dashed, label=\"guard #{i}\\n{} = {}{at}\"];",
                g.kind.describe(),
                g.kind.describe_outcome(g.outcome)
            );
            let _ = writeln!(s, "  s{} -> g{i} [style=dashed, label=\"a\"];", g.args[0]);
            if g.args[1] != 0 {
                let _ = writeln!(s, "  s{} -> g{i} [style=dashed, label=\"b\"];", g.args[1]);
            }
        }
        let _ = writeln!(s, "}}");
        s
    }
}

/// The constant an op carries, for its label.
fn constant_of(op: &crate::ScalarOp<f64>) -> Option<f64> {
    use crate::ScalarOp::*;
    match *op {
        AddConst(c) | SubConst(c) | ConstSub(c) | MulConst(c) | DivConst(c) | ConstDiv(c) | PowConst(c)
        | ConstPow(c) => Some(c),
        Powi(n) => Some(f64::from(n)),
        _ => None,
    }
}
