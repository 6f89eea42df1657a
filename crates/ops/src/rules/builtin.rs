//! [`Builtin`]: every built-in matrix op as one value — a family and, inside
//! it, the op — implementing [`MatOp`] for every `T: Scalar`.
//!
//! Why an enum: the tape records one op per node; a small enum value is stored
//! inline (no box, no allocation) and `match` dispatch is cheaper than a virtual
//! call. Ops hold only parameters (flags, constants, ranges, labels), never data
//! matrices: those are the node's inputs.

use crate::matrix::{shape_str, Matrix};
use crate::op::MatOp;
use crate::rules::{
    Arity, BinaryOp, LossOp, MatrixCalculusOp, ProductOp, ReduceOp, Rule, ShapeOp, SoftmaxOp, Spares, UnaryOp,
};
use crate::scalar::Scalar;

/// Defines [`Builtin`] from the list of families, and everything that goes
/// through every family: `From<Family>`, the catalogue, and the dispatch of each
/// [`Rule`] method to the family (which dispatches to the op).
macro_rules! builtin_families {
    ($( $(#[$doc:meta])* $variant:ident($family:ident), )+) => {
        /// Every built-in matrix op: a family, and inside it the op with its
        /// parameters. Build one from the op with `From`
        /// (`Builtin::from(MatMul { ta: false, tb: true })`, `Exp.into()`);
        /// `docs/ops.md` lists the value, VJP and JVP of each.
        ///
        /// ```
        /// use wengert_ops::rules::{Add, Builtin};
        /// use wengert_ops::{MatOp, Matrix};
        /// let x = Matrix::from_rows(&[[1.0, 2.0], [3.0, 4.0]]);
        /// let bias = Matrix::from_rows(&[[10.0, 20.0]]);
        /// let op = Builtin::from(Add);
        /// assert_eq!(MatOp::<f64>::output_shape(&op, &[x.shape(), bias.shape()]), (2, 2));
        /// let mut out = [0.0; 4];
        /// op.forward(&[&x, &bias], &mut out);
        /// assert_eq!(out, [11.0, 22.0, 13.0, 24.0]);
        /// // The bias gradient sums over the broadcast rows.
        /// let mut gb = [0.0; 2];
        /// let y = Matrix::from_vec(2, 2, out.to_vec());
        /// op.vjp(&[&x, &bias], &y, &[1.0; 4], &mut [None, Some(&mut gb[..])]);
        /// assert_eq!(gb, [2.0, 2.0]);
        /// ```
        #[derive(Clone, Debug, PartialEq)]
        pub enum Builtin {
            $( $(#[$doc])* $variant($family), )+
        }

        $(
            impl From<$family> for Builtin {
                fn from(op: $family) -> Self {
                    Builtin::$variant(op)
                }
            }
        )+

        impl Builtin {
            /// One instance of every kind of built-in op, family by family (each
            /// family's list is the one its enum is generated from, so no op can
            /// be missing). The tests check each against finite differences,
            /// the dot-product test and `docs/ops.md`.
            pub fn catalogue() -> Vec<Builtin> {
                let mut all = Vec::new();
                $( all.extend($family::catalogue().into_iter().map(Builtin::$variant)); )+
                all
            }

            /// The op's kind: its type name (`"MatMul"`, `"Sum"`, …), the same
            /// for every parameter value, as in the first column of `docs/ops.md`.
            pub fn kind(&self) -> &'static str {
                match self {
                    $( Builtin::$variant(f) => f.kind(), )+
                }
            }

            /// The op's name (as in shape errors), e.g. `"matmul_tn"`, `"sum_rows"`.
            pub fn op_name(&self) -> &'static str {
                match self {
                    $( Builtin::$variant(f) => f.name(), )+
                }
            }

            /// How many inputs the op takes.
            pub fn arity(&self) -> Arity {
                match self {
                    $( Builtin::$variant(f) => f.arity(), )+
                }
            }

            /// Hands the op's own storage (label and index vectors) to `spares`
            /// for reuse; the tape calls this for every node it forgets.
            pub fn recycle(self, spares: &mut Spares) {
                match self {
                    $( Builtin::$variant(f) => f.recycle(spares), )+
                }
            }

            /// [`MatOp::forward`] without re-checking the input shapes, for a
            /// caller that has just called [`MatOp::output_shape`] on them and
            /// sized `out` by it (the tape does, once per op). A wrong shape
            /// here is still caught, by a bounds check, just without the op's
            /// message.
            #[inline]
            pub fn forward_prechecked<T: Scalar>(&self, inputs: &[&Matrix<T>], out: &mut [T]) {
                self.rule_forward(inputs, out)
            }

            fn rule_output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize) {
                match self {
                    $( Builtin::$variant(f) => f.output_shape(inputs), )+
                }
            }

            #[inline]
            fn rule_forward<T: Scalar>(&self, inputs: &[&Matrix<T>], out: &mut [T]) {
                match self {
                    $( Builtin::$variant(f) => f.forward(inputs, out), )+
                }
            }

            #[inline]
            fn rule_vjp<T: Scalar>(&self, inputs: &[&Matrix<T>], output: &Matrix<T>, g: &[T], grads: &mut [Option<&mut [T]>]) {
                match self {
                    $( Builtin::$variant(f) => f.vjp(inputs, output, g, grads), )+
                }
            }

            fn rule_jvp<T: Scalar>(&self, inputs: &[&Matrix<T>], output: &Matrix<T>, tangents: &[Option<&[T]>], out: &mut [T]) {
                match self {
                    $( Builtin::$variant(f) => f.jvp(inputs, output, tangents, out), )+
                }
            }
        }
    };
}

builtin_families! {
    /// Products: [`MatMul`](crate::rules::MatMul), [`Dot`](crate::rules::Dot),
    /// [`Outer`](crate::rules::Outer).
    Product(ProductOp),
    /// Broadcast arithmetic: [`Add`](crate::rules::Add), …, and
    /// [`ScaleBy`](crate::rules::ScaleBy).
    Binary(BinaryOp),
    /// Elementwise functions: [`Exp`](crate::rules::Exp), [`Relu`](crate::rules::Relu), ….
    Unary(UnaryOp),
    /// Reductions: [`Sum`](crate::rules::Sum), [`Mean`](crate::rules::Mean),
    /// [`MaxRows`](crate::rules::MaxRows).
    Reduce(ReduceOp),
    /// Element moves: [`Transpose`](crate::rules::Transpose), slices, concatenations,
    /// [`GatherRows`](crate::rules::GatherRows), ….
    Shape(ShapeOp),
    /// Row-wise [`Softmax`](crate::rules::Softmax) and
    /// [`LogSoftmax`](crate::rules::LogSoftmax).
    Softmax(SoftmaxOp),
    /// Losses (→ 1×1): [`SoftmaxCrossEntropy`](crate::rules::SoftmaxCrossEntropy), ….
    Loss(LossOp),
    /// LU-based ops on square matrices: [`Det`](crate::rules::Det),
    /// [`Inverse`](crate::rules::Inverse), [`Solve`](crate::rules::Solve), ….
    MatrixCalculus(MatrixCalculusOp),
}

impl<T: Scalar> MatOp<T> for Builtin {
    fn name(&self) -> &str {
        self.op_name()
    }

    fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize) {
        // The name is looked up only to report a mismatch.
        match self.arity() {
            Arity::Exactly(k) => assert!(
                inputs.len() == k,
                "{}: expected {k} input{}, got {}",
                self.op_name(),
                if k == 1 { "" } else { "s" },
                inputs.len()
            ),
            Arity::AtLeastOne => assert!(!inputs.is_empty(), "{}: needs at least one input", self.op_name()),
        }
        self.rule_output_shape(inputs)
    }

    fn forward(&self, inputs: &[&Matrix<T>], out: &mut [T]) {
        // Re-check the shapes (cheaply: no allocation for up to three inputs) so a
        // mismatch panics with the op's message rather than an index error.
        let (m, n) = if inputs.len() <= 3 {
            let mut buf = [(0, 0); 3];
            for (b, x) in buf.iter_mut().zip(inputs) {
                *b = x.shape();
            }
            MatOp::<T>::output_shape(self, &buf[..inputs.len()])
        } else {
            MatOp::<T>::output_shape(self, &inputs.iter().map(|x| x.shape()).collect::<Vec<_>>())
        };
        assert!(
            out.len() == m * n,
            "{}: output buffer holds {} elements, expected {}",
            self.op_name(),
            out.len(),
            shape_str((m, n))
        );
        self.rule_forward(inputs, out);
    }

    fn vjp(&self, inputs: &[&Matrix<T>], output: &Matrix<T>, g: &[T], grads: &mut [Option<&mut [T]>]) {
        self.rule_vjp(inputs, output, g, grads);
    }

    /// Every built-in op has its forward-mode rule: always `true`.
    fn jvp(&self, inputs: &[&Matrix<T>], output: &Matrix<T>, tangents: &[Option<&[T]>], out: &mut [T]) -> bool {
        self.rule_jvp(inputs, output, tangents, out);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The catalogue has one entry per kind, and kinds are distinct.
    #[test]
    fn catalogue_lists_each_kind_once() {
        let kinds: Vec<&str> = Builtin::catalogue().iter().map(Builtin::kind).collect();
        let mut unique = kinds.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), kinds.len(), "duplicate kinds in {kinds:?}");
    }

    /// Recording an op stores a `Builtin` inline in every matrix node: keep it
    /// as small as the flat enum it replaced (a `Vec` and a tag).
    #[test]
    fn a_builtin_is_no_larger_than_a_vec_and_a_tag() {
        assert!(std::mem::size_of::<Builtin>() <= 32, "{} bytes", std::mem::size_of::<Builtin>());
    }
}
