//! [`Compiled`]: a closure recorded once, evaluated and differentiated at any
//! input by replaying its op sequence.

use std::cell::{OnceCell, RefCell};

use wengert_dual::Dual;
use wengert_ops::{Matrix, Scalar};

use super::error::{CompileError, ReplayError};
use super::program::{OutputRef, Program};
use super::replay::{cast_ops, check_guards, forward, reverse, tangent, Work};
use super::sparse::SparseCache;
use crate::scalar_op::ScalarOp;
use crate::tape::Tape;
use crate::var::Var;

/// A function recorded once from a closure over [`Var`]s, replayed at any input
/// of the same length without calling the closure again.
///
/// Every evaluation replays the recorded op sequence with the tape's own rules
/// ([`ScalarOp`](crate::ScalarOp)), checks the recording's *guards* (every
/// comparison the closure made, and the kinks of `relu`/`abs`) and returns an
/// error if one comes out differently — the closure would have run other ops
/// there. See [`Recompiling`](crate::compile::Recompiling) for a wrapper that
/// records again when that happens, and [the guide](mod@crate::compile) for the
/// semantics.
///
/// ```
/// use wengert_tape::compile::compile;
/// use wengert_tape::Scalar;
/// let f = compile(|x| (x[0] * x[1]).sin() + x[0].square(), &[1.0, 2.0]).unwrap();
/// let (value, g) = f.value_and_gradient(&[0.5, -1.0]).unwrap();
/// assert_eq!(value, (-0.5f64).sin() + 0.25);
/// assert!((g[0] - (-1.0 * (-0.5f64).cos() + 1.0)).abs() < 1e-15);
/// assert!((g[1] - 0.5 * (-0.5f64).cos()).abs() < 1e-15);
/// ```
#[derive(Debug)]
pub struct Compiled {
    pub(crate) program: Program,
    work: RefCell<Work<f64>>,
    pub(crate) sparse: SparseCache,
    dual_ops: OnceCell<Vec<crate::ScalarOp<Dual<f64>>>>,
}

impl Clone for Compiled {
    fn clone(&self) -> Self {
        Compiled::from_program(self.program.clone())
    }
}

/// Records the scalar closure `f` at `x` and returns it compiled.
///
/// `f` is run once, on a tape in compile mode (every op logged with its op
/// code, every comparison logged as a guard). Matrix ops cannot be replayed yet:
/// a closure that uses one gives [`CompileError::MatrixOp`].
///
/// ```
/// use wengert_tape::compile::compile;
/// let f = compile(|x| x[0] * x[0] + 3.0 * x[1], &[0.0, 0.0]).unwrap();
/// assert_eq!(f.value(&[2.0, 1.0]).unwrap(), 7.0);
/// assert_eq!(f.gradient(&[2.0, 1.0]).unwrap(), vec![4.0, 3.0]);
/// ```
pub fn compile<F>(f: F, x: &[f64]) -> Result<Compiled, CompileError>
where
    F: for<'t> FnOnce(&[Var<'t, f64>]) -> Var<'t, f64>,
{
    compile_vec(|v| vec![f(v)], x)
}

/// Records the vector-valued closure `f` at `x` and returns it compiled (see
/// [`compile`]); [`Compiled::jacobian`], [`jvp`](Compiled::jvp) and
/// [`vjp`](Compiled::vjp) apply to it.
///
/// ```
/// use wengert_tape::compile::compile_vec;
/// let f = compile_vec(|x| vec![x[0] * x[1], x[0] + 2.0 * x[1]], &[1.0, 1.0]).unwrap();
/// let j = f.jacobian(&[3.0, 4.0]).unwrap();
/// assert_eq!(j.as_slice(), &[4.0, 3.0, 1.0, 2.0]);
/// ```
pub fn compile_vec<F>(f: F, x: &[f64]) -> Result<Compiled, CompileError>
where
    F: for<'t> FnOnce(&[Var<'t, f64>]) -> Vec<Var<'t, f64>>,
{
    let mut tape = Tape::<f64>::with_capacity(x.len() * 8 + 16);
    tape.start_compile_log();
    let tape = tape;
    let outputs = {
        let vars = tape.vars(x);
        let ys = f(&vars);
        let mut outputs = Vec::with_capacity(ys.len());
        for y in &ys {
            outputs.push(match y.tape {
                Some(t) if std::ptr::eq(t, &tape) => OutputRef::Node(y.parents[0]),
                Some(_) => return Err(CompileError::ForeignOutput),
                None => OutputRef::Const(y.primal()),
            });
        }
        outputs
    };
    if let Some(op) = tape.first_matrix_op() {
        return Err(CompileError::MatrixOp { op });
    }
    let log = tape.take_compile_log().expect("the tape is in compile mode");
    let custom = log.ops.iter().find_map(|logged| match logged.op {
        ScalarOp::Custom1(name) | ScalarOp::Custom2(name) => Some(name),
        _ => None,
    });
    if let Some(name) = custom {
        return Err(CompileError::CustomScalar { name });
    }
    let program = Program::from_log(log, x.len(), tape.len(), &outputs)?;
    Ok(Compiled::from_program(program))
}

impl Compiled {
    pub(crate) fn from_program(program: Program) -> Self {
        Compiled {
            program,
            work: RefCell::new(Work::default()),
            sparse: SparseCache::default(),
            dual_ops: OnceCell::new(),
        }
    }

    /// Number of inputs.
    pub fn inputs(&self) -> usize {
        self.program.n_inputs
    }

    /// Number of outputs (1 for [`compile`]).
    pub fn outputs(&self) -> usize {
        self.program.outputs.len()
    }

    /// Number of recorded ops (one per elementary operation on tracked values).
    pub fn ops(&self) -> usize {
        self.program.ops.len()
    }

    /// Number of guards (comparisons and kinks) the recording keeps.
    pub fn guards(&self) -> usize {
        self.program.guards.len()
    }

    /// Bytes the compiled program holds per op: its op code with constant (16
    /// for `f64`), two operand slots (8), and the replay buffers (a value, two
    /// partials and an adjoint: 32), averaged including guards and constants.
    pub fn bytes_per_op(&self) -> f64 {
        let p = &self.program;
        let program = p.ops.len() * (std::mem::size_of::<crate::ScalarOp<f64>>() + 8)
            + p.consts.len() * 8
            + p.outputs.len() * 4
            + p.guards.len() * std::mem::size_of::<super::program::Guard>();
        let buffers = p.n_slots() * 16 + p.ops.len() * 16;
        (program + buffers) as f64 / p.ops.len().max(1) as f64
    }

    /// The program's ops over dual numbers (converted once, for [`hvp`](Self::hvp)).
    fn dual_ops(&self) -> &[crate::ScalarOp<Dual<f64>>] {
        self.dual_ops.get_or_init(|| cast_ops(&self.program.ops))
    }

    pub(crate) fn check_len(&self, what: &'static str, found: usize, expected: usize) -> Result<(), ReplayError> {
        if found == expected {
            Ok(())
        } else {
            Err(ReplayError::Length { what, expected, found })
        }
    }

    fn check_scalar(&self) -> Result<(), ReplayError> {
        match self.outputs() {
            1 => Ok(()),
            outputs => Err(ReplayError::NotScalar { outputs }),
        }
    }

    /// Runs `job` on the forward pass at `x` (guards checked), with the reused
    /// buffers (fresh ones if a call is already using them).
    pub(crate) fn with_forward<R>(
        &self,
        x: &[f64],
        job: impl FnOnce(&Program, &mut Work<f64>) -> R,
    ) -> Result<R, ReplayError> {
        self.check_len("input", x.len(), self.inputs())?;
        let mut fresh = Work::default();
        let mut borrowed = self.work.try_borrow_mut();
        let work = match borrowed.as_mut() {
            Ok(w) => &mut **w,
            Err(_) => &mut fresh,
        };
        forward(&self.program, &self.program.ops, x, work);
        check_guards(&self.program, &work.vals)?;
        Ok(job(&self.program, work))
    }

    /// The outputs at `x`.
    pub fn values(&self, x: &[f64]) -> Result<Vec<f64>, ReplayError> {
        self.with_forward(x, |p, w| p.outputs.iter().map(|&s| w.vals[s as usize]).collect())
    }

    /// The value at `x` (one output).
    pub fn value(&self, x: &[f64]) -> Result<f64, ReplayError> {
        self.check_scalar()?;
        self.with_forward(x, |p, w| w.vals[p.outputs[0] as usize])
    }

    /// The value and the gradient at `x`: one forward pass and one reverse
    /// sweep.
    pub fn value_and_gradient(&self, x: &[f64]) -> Result<(f64, Vec<f64>), ReplayError> {
        let mut g = vec![0.0; self.inputs()];
        let v = self.value_and_gradient_into(x, &mut g)?;
        Ok((v, g))
    }

    /// The gradient at `x`.
    pub fn gradient(&self, x: &[f64]) -> Result<Vec<f64>, ReplayError> {
        Ok(self.value_and_gradient(x)?.1)
    }

    /// [`value_and_gradient`](Self::value_and_gradient) writing the gradient into
    /// `grad` (no allocation once warm).
    pub fn value_and_gradient_into(&self, x: &[f64], grad: &mut [f64]) -> Result<f64, ReplayError> {
        self.check_scalar()?;
        self.check_len("gradient buffer", grad.len(), self.inputs())?;
        self.with_forward(x, |p, w| {
            let out = p.outputs[0] as usize;
            let n_slots = p.n_slots();
            w.zero_adj(n_slots);
            let adj = &mut w.adj;
            adj[out] += 1.0;
            reverse(p, &w.partials, adj);
            grad.copy_from_slice(&adj[1..p.first_op()]);
            // The sweep zeroed every op's slot; zero the rest, so the next call
            // need not clear the whole buffer.
            adj[..p.first_op()].fill(0.0);
            adj[p.first_const()..].fill(0.0);
            w.adj_zero = true;
            w.vals[out]
        })
    }

    /// The outputs and the vector-Jacobian product `uᵀJ` at `x`.
    pub fn vjp(&self, x: &[f64], u: &[f64]) -> Result<(Vec<f64>, Vec<f64>), ReplayError> {
        self.check_len("cotangent", u.len(), self.outputs())?;
        self.with_forward(x, |p, w| {
            w.zero_adj(p.n_slots());
            for (&s, &ui) in p.outputs.iter().zip(u) {
                w.adj[s as usize] += ui;
            }
            reverse(p, &w.partials, &mut w.adj);
            (p.outputs.iter().map(|&s| w.vals[s as usize]).collect(), w.adj[1..p.first_op()].to_vec())
        })
    }

    /// The outputs and the Jacobian-vector product `J v` at `x` (one forward
    /// pass and one tangent sweep).
    pub fn jvp(&self, x: &[f64], v: &[f64]) -> Result<(Vec<f64>, Vec<f64>), ReplayError> {
        self.check_len("direction", v.len(), self.inputs())?;
        self.with_forward(x, |p, w| {
            w.zero_adj(p.n_slots());
            w.adj[1..p.first_op()].copy_from_slice(v);
            tangent(p, &w.partials, &mut w.adj);
            let ys = p.outputs.iter().map(|&s| w.vals[s as usize]).collect();
            let jv = p.outputs.iter().map(|&s| w.adj[s as usize]).collect();
            (ys, jv)
        })
    }

    /// The dense Jacobian (`outputs × inputs`) at `x`: one reverse sweep per
    /// output over one forward pass. For a sparse Jacobian see
    /// [`sparse_jacobian`](Self::sparse_jacobian).
    pub fn jacobian(&self, x: &[f64]) -> Result<Matrix<f64>, ReplayError> {
        let (m, n) = (self.outputs(), self.inputs());
        self.with_forward(x, |p, w| {
            let mut j = Matrix::zeros(m, n);
            for (i, &s) in p.outputs.iter().enumerate() {
                w.adj.clear();
                w.adj.resize(p.n_slots(), 0.0);
                w.adj[s as usize] += 1.0;
                reverse(p, &w.partials, &mut w.adj);
                j.as_mut_slice()[i * n..(i + 1) * n].copy_from_slice(&w.adj[1..p.first_op()]);
            }
            j
        })
    }

    /// The value, gradient and Hessian-vector product `H v` at `x`, exactly:
    /// the program replayed on dual numbers (`x + ε v`) and swept back —
    /// forward-over-reverse, as [`hvp`](crate::hvp) does on a tape.
    pub fn hvp(&self, x: &[f64], v: &[f64]) -> Result<(f64, Vec<f64>, Vec<f64>), ReplayError> {
        self.check_scalar()?;
        self.check_len("input", x.len(), self.inputs())?;
        self.check_len("direction", v.len(), self.inputs())?;
        let ops = self.dual_ops();
        let xd: Vec<Dual<f64>> = x.iter().zip(v).map(|(&a, &b)| Dual::new(a, b)).collect();
        let mut work = Work::default();
        let p = &self.program;
        forward(p, ops, &xd, &mut work);
        check_guards(p, &work.vals)?;
        let out = p.outputs[0] as usize;
        work.adj.resize(p.n_slots(), Dual::zero());
        work.adj[out] += Dual::one();
        reverse(p, &work.partials, &mut work.adj);
        let adj = &work.adj[1..p.first_op()];
        Ok((work.vals[out].re, adj.iter().map(|d| d.re).collect(), adj.iter().map(|d| d.eps).collect()))
    }

    /// The value and gradient at `x` computed in another number type (`f32`,
    /// or dual numbers for a directional derivative): the program's constants
    /// are converted by [`Scalar::from_f64`] and every op runs in `T`, as a tape
    /// of `T` would record it.
    ///
    /// ```
    /// use wengert_tape::compile::compile;
    /// let f = compile(|x| x[0] * x[0] * 0.5, &[1.0]).unwrap();
    /// let (v, g) = f.value_and_gradient_as(&[3.0f32]).unwrap();
    /// assert_eq!((v, g), (4.5f32, vec![3.0f32]));
    /// ```
    pub fn value_and_gradient_as<T: Scalar>(&self, x: &[T]) -> Result<(T, Vec<T>), ReplayError> {
        self.check_scalar()?;
        self.check_len("input", x.len(), self.inputs())?;
        let ops = cast_ops::<T>(&self.program.ops);
        let mut work = Work::default();
        let p = &self.program;
        forward(p, &ops, x, &mut work);
        check_guards(p, &work.vals)?;
        let out = p.outputs[0] as usize;
        work.adj.resize(p.n_slots(), T::zero());
        work.adj[out] += T::one();
        reverse(p, &work.partials, &mut work.adj);
        Ok((work.vals[out], work.adj[1..p.first_op()].to_vec()))
    }

    /// Whether every guard holds at `x` (the recording is valid there).
    pub fn check(&self, x: &[f64]) -> Result<(), ReplayError> {
        self.with_forward(x, |_, _| ())
    }
}
