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

    /// Checks what the replay loops rely on to index without bounds checks:
    /// op `k`'s operands are slots below its own (`first_op() + k`) or
    /// constants, and every slot (operands, guards, outputs) is below
    /// `n_slots()`. A program that fails this is never built.
    pub(crate) fn validate(&self) -> Result<(), CompileError> {
        let (first_op, first_const, n_slots) = (self.first_op(), self.first_const(), self.n_slots());
        let ok_operand = |k: usize, s: u32| {
            let s = s as usize;
            s < first_op + k || (first_const..n_slots).contains(&s)
        };
        let ops_ok = self.arg_a.len() == self.ops.len()
            && self.arg_b.len() == self.ops.len()
            && (0..self.ops.len()).all(|k| ok_operand(k, self.arg_a[k]) && ok_operand(k, self.arg_b[k]));
        let rest_ok = self.guards.iter().all(|g| g.args.iter().all(|&s| (s as usize) < n_slots))
            && self.outputs.iter().all(|&s| (s as usize) < n_slots);
        if ops_ok && rest_ok {
            Ok(())
        } else {
            Err(CompileError::UnloggedNode)
        }
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
            // Node numbers fit in `u32` (the tape panics beyond), and so do
            // constants: at most two per op.
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
        program.validate()?;
        Ok(program)
    }
}

#[cfg(test)]
mod tests {
    use super::super::log::{LoggedOp, OpLog, Operand};
    use super::{OutputRef, Program};
    use crate::scalar_op::ScalarOp;

    fn log(args: [Operand<f64>; 2]) -> OpLog<f64> {
        OpLog { ops: vec![LoggedOp { node: 2, op: ScalarOp::Add, args }], guards: Vec::new() }
    }

    #[test]
    fn a_program_whose_operand_is_not_yet_computed_is_refused() {
        // One input (slot 1), op 0 writes slot 2.
        let good = Program::from_log(log([Operand::Node(1), Operand::Const(2.0)]), 1, 3, &[OutputRef::Node(2)]);
        assert!(good.is_ok());
        for bad in [Operand::Node(2), Operand::Node(7)] {
            let p = Program::from_log(log([Operand::Node(1), bad]), 1, 3, &[OutputRef::Node(2)]);
            assert!(p.is_err(), "{bad:?} accepted");
        }
        assert!(Program::from_log(log([Operand::Node(1), Operand::Unused]), 1, 3, &[OutputRef::Node(9)]).is_err());
    }
}
