//! The flat operation sequence a compiled function replays, built once from a
//! compile-mode recording.
//!
//! Layout (structure of arrays, so the replay loop reads each array in order):
//! every value has a *slot*. Slot 0 is the sink (value 0, the unused operand of
//! one-input ops), slots `1..=n` the inputs, slot `1 + n + k` the result of op
//! `k`, and the constants the recording met as operands come last. An op is its
//! [`ScalarOp`] (which carries its own constant, if any) and the slots of its
//! two operands. Slot numbers of inputs and ops are the node numbers the tape
//! gave them, so the replay's reverse loop visits exactly the nodes a recording
//! in anomaly mode would, in the same order.

use std::panic::Location;

use super::error::CompileError;
use super::log::{GuardKind, OpLog, Operand};
use crate::scalar_op::ScalarOp;

/// A guard in slot form: `kind` applied to the values of slots `args` must give
/// `outcome` again.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Guard {
    pub(crate) kind: GuardKind,
    pub(crate) args: [u32; 2],
    pub(crate) outcome: i8,
    pub(crate) after_ops: usize,
    pub(crate) location: Option<&'static Location<'static>>,
}

/// The operation sequence of a compiled function.
#[derive(Clone, Debug)]
pub(crate) struct Program {
    pub(crate) n_inputs: usize,
    pub(crate) ops: Vec<ScalarOp<f64>>,
    /// First operand's slot, per op.
    pub(crate) arg_a: Vec<u32>,
    /// Second operand's slot, per op (0, the sink, for one-input ops).
    pub(crate) arg_b: Vec<u32>,
    /// Constant operands, in slots `first_const()..`.
    pub(crate) consts: Vec<f64>,
    /// Slot of each output.
    pub(crate) outputs: Vec<u32>,
    pub(crate) guards: Vec<Guard>,
}

/// An output of the recorded closure: a node of the recording or a constant.
pub(crate) enum OutputRef {
    Node(u32),
    Const(f64),
}

impl Program {
    /// Slot of op 0's result.
    #[inline]
    pub(crate) fn first_op(&self) -> usize {
        1 + self.n_inputs
    }

    /// Slot of the first constant.
    #[inline]
    pub(crate) fn first_const(&self) -> usize {
        1 + self.n_inputs + self.ops.len()
    }

    /// Number of slots.
    #[inline]
    pub(crate) fn n_slots(&self) -> usize {
        self.first_const() + self.consts.len()
    }

    /// Builds the program from a compile-mode log. `n_nodes` is the number of
    /// scalar nodes the tape holds: it must be the sink, the inputs and one node
    /// per logged op, in order (anything else was written by something a
    /// program cannot replay).
    pub(crate) fn from_log(
        log: OpLog<f64>,
        n_inputs: usize,
        n_nodes: usize,
        outputs: &[OutputRef],
    ) -> Result<Program, CompileError> {
        let first_op = 1 + n_inputs;
        if n_nodes != first_op + log.ops.len()
            || log.ops.iter().enumerate().any(|(k, o)| o.node as usize != first_op + k)
        {
            return Err(CompileError::UnloggedNode);
        }
        let mut program = Program {
            n_inputs,
            ops: Vec::with_capacity(log.ops.len()),
            arg_a: Vec::with_capacity(log.ops.len()),
            arg_b: Vec::with_capacity(log.ops.len()),
            consts: Vec::new(),
            outputs: Vec::with_capacity(outputs.len()),
            guards: Vec::with_capacity(log.guards.len()),
        };
        let first_const = first_op + log.ops.len();
        let mut consts = Vec::new();
        let mut slot = |operand: Operand<f64>| -> u32 {
            match operand {
                Operand::Node(i) => i,
                Operand::Unused => 0,
                Operand::Const(c) => {
                    consts.push(c);
                    (first_const + consts.len() - 1) as u32
                }
            }
        };
        for op in &log.ops {
            program.ops.push(op.op);
            program.arg_a.push(slot(op.args[0]));
            program.arg_b.push(slot(op.args[1]));
        }
        for g in &log.guards {
            let args = [slot(g.args[0]), slot(g.args[1])];
            program.guards.push(Guard {
                kind: g.kind,
                args,
                outcome: g.outcome,
                after_ops: g.after_ops,
                location: g.location,
            });
        }
        for out in outputs {
            let s = match *out {
                OutputRef::Node(i) => i,
                OutputRef::Const(c) => slot(Operand::Const(c)),
            };
            program.outputs.push(s);
        }
        program.consts = consts;
        Ok(program)
    }
}
