//! [`DualLift`]: recording an op whose value exists only for a plain element
//! type (`f64`, say) on a tape over dual numbers, through its JVP. Why and how:
//! see the type's documentation.

use wengert_dual::Dual;
use wengert_ops::{MatOp, Matrix, Scalar};

/// A VJP on dual numbers for the op `O` (see [`DualLift::with_dual_vjp`]):
/// `(op, inputs, output, g, grads)`, with the meaning of [`MatOp::vjp`].
pub type DualVjp<O, T> = fn(&O, &[&Matrix<Dual<T>>], &Matrix<Dual<T>>, &[Dual<T>], &mut [Option<&mut [Dual<T>]>]);

/// An op `O: MatOp<T>` made usable on tapes over `Dual<T>` through its JVP; on
/// tapes over `T` it is `O` unchanged.
///
/// Forward mode (`jvp`, `jacfwd`, `jacobian` through matrix code) and
/// Hessian-vector products (`hvp`, `hessian`: forward-over-reverse) record the
/// computation on a `Tape<Dual<T>>`, so every op on it must be a
/// `MatOp<Dual<T>>`. An op written generically over `T: Scalar` already is. An
/// op whose `forward` calls an `f64`-only routine is not; `DualLift` makes it
/// one from what it does provide:
///
/// * **value**: `forward(x) + ε·jvp(x, ẋ)` — the op's `forward` on the real
///   parts, its [`MatOp::jvp`] on the tangents (required as soon as a tangent
///   is non-zero);
/// * **VJP on dual numbers** (what an HVP sweep calls): with inputs `x + εẋ`,
///   output `y + εẏ` and adjoint `ḡ + εġ`, the input adjoints must be
///   `Jᵀḡ + ε·(Jᵀġ + d/dt[J(x + tẋ)ᵀ ḡ])`. The last term involves the op's
///   second derivatives, which the plain rules do not give: pass a VJP that runs
///   on dual numbers with [`with_dual_vjp`](DualLift::with_dual_vjp) (a VJP
///   written with `T`'s own arithmetic, instantiated at `Dual<T>`, computes
///   exactly this, because it is then differentiated along the tangents).
///   Without one, the dual VJP computes the real parts `Jᵀḡ` (exact: a
///   reverse sweep on the dual tape reads these) and the tangents `Jᵀġ` where
///   that is all of it (no input carries a tangent, or `ḡ = 0`), and NaN
///   tangents otherwise, so an HVP that needed the missing term says so with
///   NaN instead of returning a wrong number.
///
/// On a tape over the plain type, `DualLift<O, T>` is `O` itself (every method
/// forwarded), so one model function generic over the element type records the
/// op on both kinds of tape (see `examples/custom_op.rs`).
///
/// ```
/// use wengert_dual::Dual;
/// use wengert_ops::{MatOp, Matrix, Scalar};
/// use wengert_tape::{fns, hvp, jvp, DualLift, MatVar, Var};
///
/// /// y = atan(x) elementwise: `f64::atan` has no `Scalar` counterpart, so the
/// /// value exists for f64 only.
/// struct Atan;
/// impl MatOp<f64> for Atan {
///     fn name(&self) -> &str { "atan" }
///     fn output_shape(&self, s: &[(usize, usize)]) -> (usize, usize) { s[0] }
///     fn forward(&self, x: &[&Matrix<f64>], out: &mut [f64]) {
///         out.iter_mut().zip(x[0].iter()).for_each(|(o, x)| *o = x.atan());
///     }
///     fn vjp(&self, x: &[&Matrix<f64>], _: &Matrix<f64>, g: &[f64], grads: &mut [Option<&mut [f64]>]) {
///         Atan::vjp_any(x, g, grads)
///     }
///     fn jvp(&self, x: &[&Matrix<f64>], _: &Matrix<f64>, t: &[Option<&[f64]>], out: &mut [f64]) -> bool {
///         let (x, t) = (x[0].as_slice(), t[0].unwrap_or(&[]));
///         out.iter_mut().enumerate().for_each(|(k, o)| *o = t.get(k).map_or(0.0, |t| t / (1.0 + x[k] * x[k])));
///         true
///     }
/// }
/// impl Atan {
///     /// The VJP `g / (1 + x²)`, generic: it also runs on dual numbers (for HVPs).
///     fn vjp_any<T: Scalar>(x: &[&Matrix<T>], g: &[T], grads: &mut [Option<&mut [T]>]) {
///         if let Some(gx) = grads[0].as_deref_mut() {
///             gx.iter_mut().zip(x[0].iter()).zip(g).for_each(|((gx, &x), &g)| *gx += g / (T::one() + x * x));
///         }
///     }
/// }
/// /// `Σ atan(x)` of a 1 × 2 matrix, on a dual-number tape.
/// fn on_tape<'t>(v: &[Var<'t, Dual<f64>>]) -> Var<'t, Dual<f64>> {
///     let lifted = DualLift::new(Atan).with_dual_vjp(|_, x, _, g, grads| Atan::vjp_any(x, g, grads));
///     let tape = v[0].tape().unwrap();
///     tape.apply_custom(lifted, &[MatVar::from_vars(tape, v, 1, 2)]).sum()
/// }
///
/// // Forward mode: d/dt Σ atan(x + t·v) = Σ v / (1 + x²).
/// let (_, d) = jvp(fns::on_tape(|v| vec![on_tape(v)]), &[0.0, 1.0], &[1.0, 2.0]);
/// assert!((d[0] - (1.0 + 2.0 / 2.0)).abs() < 1e-15);
///
/// // Forward-over-reverse: the Hessian of Σ atan(x) is diag(−2x / (1 + x²)²).
/// let hv = hvp(on_tape, &[0.0, 1.0], &[1.0, 2.0]);
/// assert!(hv[0].abs() < 1e-15 && (hv[1] + 2.0 * 2.0 / 4.0).abs() < 1e-15);
/// ```
pub struct DualLift<O, T: Scalar = f64> {
    op: O,
    dual_vjp: Option<DualVjp<O, T>>,
}

impl<O: MatOp<T>, T: Scalar> DualLift<O, T> {
    /// Lifts `op`: forward mode works through its JVP; Hessian-vector products
    /// need [`with_dual_vjp`](DualLift::with_dual_vjp) as well.
    pub fn new(op: O) -> Self {
        DualLift { op, dual_vjp: None }
    }

    /// Supplies the VJP on dual numbers used by sweeps over a dual-number tape
    /// (Hessian-vector products). It must compute [`MatOp::vjp`]'s contract on
    /// `Dual<T>` such that its tangents are exact: given inputs `x + εẋ`, the
    /// output `y + εẏ` (`ẏ = J·ẋ`, from the op's JVP) and the adjoint
    /// `ḡ + εġ`, add `Jᵀḡ + ε·(Jᵀġ + d/dt[J(x + tẋ)ᵀ ḡ]_{t=0})` into each
    /// slot. A VJP written only with `T`'s arithmetic (comparisons through
    /// `value()`), reading `x` and `y` and `g`, does so when called with
    /// `T = Dual<…>`.
    pub fn with_dual_vjp(mut self, vjp: DualVjp<O, T>) -> Self {
        self.dual_vjp = Some(vjp);
        self
    }

    /// The lifted op.
    pub fn op(&self) -> &O {
        &self.op
    }
}

/// On a tape over `T`, the op itself.
impl<O: MatOp<T>, T: Scalar> MatOp<T> for DualLift<O, T> {
    fn name(&self) -> &str {
        self.op.name()
    }
    fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize) {
        self.op.output_shape(inputs)
    }
    fn forward(&self, inputs: &[&Matrix<T>], out: &mut [T]) {
        self.op.forward(inputs, out)
    }
    fn vjp(&self, inputs: &[&Matrix<T>], output: &Matrix<T>, g: &[T], grads: &mut [Option<&mut [T]>]) {
        self.op.vjp(inputs, output, g, grads)
    }
    fn jvp(&self, inputs: &[&Matrix<T>], output: &Matrix<T>, tangents: &[Option<&[T]>], out: &mut [T]) -> bool {
        self.op.jvp(inputs, output, tangents, out)
    }
}

/// The real parts of a dual matrix, and its tangents (`None` if all zero).
fn split<T: Scalar>(m: &Matrix<Dual<T>>) -> (Matrix<T>, Option<Vec<T>>) {
    let re = m.map(|d| d.re);
    let eps: Vec<T> = m.iter().map(|d| d.eps).collect();
    let zero = eps.iter().all(|&e| e == T::zero());
    (re, if zero { None } else { Some(eps) })
}

/// On a tape over `Dual<T>`: the value through the op's JVP, the VJP through
/// the dual VJP if given (see [`DualLift::with_dual_vjp`]).
impl<O: MatOp<T>, T: Scalar> MatOp<Dual<T>> for DualLift<O, T> {
    fn name(&self) -> &str {
        self.op.name()
    }

    fn output_shape(&self, inputs: &[(usize, usize)]) -> (usize, usize) {
        self.op.output_shape(inputs)
    }

    /// `forward(re) + ε·jvp(re, eps)`; panics if a tangent is non-zero and the
    /// op has no JVP.
    fn forward(&self, inputs: &[&Matrix<Dual<T>>], out: &mut [Dual<T>]) {
        let (re, eps): (Vec<Matrix<T>>, Vec<Option<Vec<T>>>) = inputs.iter().map(|m| split(m)).unzip();
        let re_refs: Vec<&Matrix<T>> = re.iter().collect();
        let shape = self.op.output_shape(&re.iter().map(|m| m.shape()).collect::<Vec<_>>());
        let mut y = vec![T::zero(); out.len()];
        self.op.forward(&re_refs, &mut y);
        let y = Matrix::from_vec(shape.0, shape.1, y);
        let mut dy = vec![T::zero(); out.len()];
        if eps.iter().any(Option::is_some) {
            let tangents: Vec<Option<&[T]>> = eps.iter().map(|e| e.as_deref()).collect();
            assert!(
                self.op.jvp(&re_refs, &y, &tangents, &mut dy),
                "{}: recorded on a dual-number tape through DualLift, but the op provides no JVP (MatOp::jvp)",
                self.op.name()
            );
        }
        for ((o, &y), &d) in out.iter_mut().zip(y.iter()).zip(&dy) {
            *o = Dual::new(y, d);
        }
    }

    /// The dual VJP if one was given; otherwise `Jᵀḡ + ε·Jᵀġ` from the plain
    /// VJP, with NaN tangents where the second-order term is missing (an input
    /// carries a tangent and `ḡ ≠ 0`).
    fn vjp(
        &self,
        inputs: &[&Matrix<Dual<T>>],
        output: &Matrix<Dual<T>>,
        g: &[Dual<T>],
        grads: &mut [Option<&mut [Dual<T>]>],
    ) {
        if let Some(dual_vjp) = self.dual_vjp {
            return dual_vjp(&self.op, inputs, output, g, grads);
        }
        let (re, eps): (Vec<Matrix<T>>, Vec<Option<Vec<T>>>) = inputs.iter().map(|m| split(m)).unzip();
        let re_refs: Vec<&Matrix<T>> = re.iter().collect();
        let y = output.map(|d| d.re);
        let g_re: Vec<T> = g.iter().map(|d| d.re).collect();
        let g_eps: Vec<T> = g.iter().map(|d| d.eps).collect();
        let adjoints = |seed: &[T]| -> Vec<Option<Vec<T>>> {
            let mut bufs: Vec<Option<Vec<T>>> =
                grads.iter().zip(&re).map(|(s, x)| s.as_ref().map(|_| vec![T::zero(); x.len()])).collect();
            let mut slots: Vec<Option<&mut [T]>> = bufs.iter_mut().map(|b| b.as_deref_mut()).collect();
            self.op.vjp(&re_refs, &y, seed, &mut slots);
            bufs
        };
        let first = adjoints(&g_re);
        let second = if g_eps.iter().any(|&e| e != T::zero()) { Some(adjoints(&g_eps)) } else { None };
        let unknown = eps.iter().any(Option::is_some) && g_re.iter().any(|&e| e != T::zero());
        for (j, slot) in grads.iter_mut().enumerate() {
            let (Some(dst), Some(re_part)) = (slot.as_deref_mut(), first[j].as_ref()) else { continue };
            for (k, (d, &r)) in dst.iter_mut().zip(re_part).enumerate() {
                let tangent = if unknown {
                    T::from_f64(f64::NAN)
                } else {
                    second.as_ref().and_then(|s| s[j].as_ref()).map_or(T::zero(), |s| s[k])
                };
                *d += Dual::new(r, tangent);
            }
        }
    }
}
