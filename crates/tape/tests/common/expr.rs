//! The random expression generator shared by the property tests
//! (`properties.rs`) and the compiled-replay tests (`compile.rs`): trees over
//! the whole scalar op set, drawn from a seed, each op in a form that keeps its
//! argument in its domain, kinks kept away from the point (see `properties.rs`
//! for the full rationale).
#![allow(dead_code)]

use std::fmt;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use wengert_ops::Real;
use wengert_tape::jacfwd;

/// Largest magnitude of any node's value at the test point.
pub const MAX_VALUE: f64 = 1e3;
/// Largest `‖∇e(x)‖₁` of any node `e` at the test point. Without it, deep
/// compositions such as `sin(powf(exp(…), 1.5))` oscillate so fast that central
/// differences, not the AD engines, are what is wrong (a third derivative of 1e6
/// makes the O(h²) error 1e-5 at h = 7e-6); bounding every node's slope keeps the
/// k-th derivatives near `MAX_SLOPE^k`, where finite differences are a valid
/// reference.
pub const MAX_SLOPE: f64 = 10.0;
/// Largest test point coordinate.
pub const MAX_X: f64 = 2.0;
/// Largest number of inputs.
pub const MAX_INPUTS: usize = 4;
/// Largest tree depth.
pub const MAX_DEPTH: u32 = 8;

/// A unary op, with the constant it carries if any.
#[derive(Clone, Copy, Debug)]
pub enum Un {
    Neg,
    Exp,
    Ln,
    Ln1p,
    ExpM1,
    Sqrt,
    Powi(i32),
    PowfConst(f64),
    Sin,
    Cos,
    Tan,
    Tanh,
    Sigmoid,
    Softplus,
    Abs,
    Relu,
    Square,
    Recip,
    AddC(f64),
    SubC(f64),
    MulC(f64),
    DivC(f64),
    /// `c − u` with `c` a constant of the number type (`T::from_f64`): the
    /// constant-operand path of the binary rule.
    ConstMinus(f64),
}

/// A binary op.
#[derive(Clone, Copy, Debug)]
pub enum Bin {
    Add,
    Sub,
    Mul,
    Div,
    Powf,
    Max,
    Min,
}

/// An expression tree, evaluated generically.
#[derive(Clone, Debug)]
pub enum Expr {
    X(usize),
    C(f64),
    Un(Un, Box<Expr>),
    Bin(Bin, Box<Expr>, Box<Expr>),
}

impl Expr {
    /// The value over any number type. Every engine runs this same code.
    pub fn eval<T: Real>(&self, x: &[T]) -> T {
        match self {
            Expr::X(i) => x[*i],
            Expr::C(c) => T::from_f64(*c),
            Expr::Un(op, a) => {
                let u = a.eval(x);
                match *op {
                    Un::Neg => -u,
                    Un::Exp => (u.tanh() * 3.0).exp(),
                    Un::Ln => (u.softplus() + 0.1).ln(),
                    Un::Ln1p => (u.tanh() * 0.9).ln_1p(),
                    Un::ExpM1 => u.sin().exp_m1(),
                    Un::Sqrt => (u.square() + 0.1).sqrt(),
                    Un::Powi(n) if n < 0 => (u.square() + 0.5).powi(n),
                    Un::Powi(n) => u.powi(n),
                    Un::PowfConst(p) => (u.square() + 0.3).powf(T::from_f64(p)),
                    Un::Sin => u.sin(),
                    Un::Cos => u.cos(),
                    Un::Tan => (u.tanh() * 1.3).tan(),
                    Un::Tanh => u.tanh(),
                    Un::Sigmoid => u.sigmoid(),
                    Un::Softplus => u.softplus(),
                    Un::Abs => u.abs(),
                    Un::Relu => u.relu(),
                    Un::Square => u.square(),
                    Un::Recip => (u.square() + 0.5).recip(),
                    Un::AddC(c) => u + c,
                    Un::SubC(c) => u - c,
                    Un::MulC(c) => u * c,
                    Un::DivC(c) => u / c,
                    Un::ConstMinus(c) => T::from_f64(c) - u,
                }
            }
            Expr::Bin(op, a, b) => {
                let (u, v) = (a.eval(x), b.eval(x));
                match op {
                    Bin::Add => u + v,
                    Bin::Sub => u - v,
                    Bin::Mul => u * v,
                    Bin::Div => u / (v.square() + 0.5),
                    Bin::Powf => (u.softplus() + 0.2).powf(v.tanh() * 2.0),
                    Bin::Max => u.max(v),
                    Bin::Min => u.min(v),
                }
            }
        }
    }

    /// Number of nodes.
    pub fn size(&self) -> usize {
        match self {
            Expr::X(_) | Expr::C(_) => 1,
            Expr::Un(_, a) => 1 + a.size(),
            Expr::Bin(_, a, b) => 1 + a.size() + b.size(),
        }
    }
}

/// Prints the expression exactly as [`Expr::eval`] computes it.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::X(i) => write!(f, "x{i}"),
            Expr::C(c) => write!(f, "{c:?}"),
            Expr::Un(op, a) => match *op {
                Un::Neg => write!(f, "(-{a})"),
                Un::Exp => write!(f, "exp(3*tanh({a}))"),
                Un::Ln => write!(f, "ln(softplus({a}) + 0.1)"),
                Un::Ln1p => write!(f, "ln_1p(0.9*tanh({a}))"),
                Un::ExpM1 => write!(f, "exp_m1(sin({a}))"),
                Un::Sqrt => write!(f, "sqrt(square({a}) + 0.1)"),
                Un::Powi(n) if n < 0 => write!(f, "powi(square({a}) + 0.5, {n})"),
                Un::Powi(n) => write!(f, "powi({a}, {n})"),
                Un::PowfConst(p) => write!(f, "powf(square({a}) + 0.3, const {p:?})"),
                Un::Sin => write!(f, "sin({a})"),
                Un::Cos => write!(f, "cos({a})"),
                Un::Tan => write!(f, "tan(1.3*tanh({a}))"),
                Un::Tanh => write!(f, "tanh({a})"),
                Un::Sigmoid => write!(f, "sigmoid({a})"),
                Un::Softplus => write!(f, "softplus({a})"),
                Un::Abs => write!(f, "abs({a})"),
                Un::Relu => write!(f, "relu({a})"),
                Un::Square => write!(f, "square({a})"),
                Un::Recip => write!(f, "recip(square({a}) + 0.5)"),
                Un::AddC(c) => write!(f, "({a} + {c:?})"),
                Un::SubC(c) => write!(f, "({a} - {c:?})"),
                Un::MulC(c) => write!(f, "({a} * {c:?})"),
                Un::DivC(c) => write!(f, "({a} / {c:?})"),
                Un::ConstMinus(c) => write!(f, "(const {c:?} - {a})"),
            },
            Expr::Bin(op, a, b) => match op {
                Bin::Add => write!(f, "({a} + {b})"),
                Bin::Sub => write!(f, "({a} - {b})"),
                Bin::Mul => write!(f, "({a} * {b})"),
                Bin::Div => write!(f, "({a} / (square({b}) + 0.5))"),
                Bin::Powf => write!(f, "powf(softplus({a}) + 0.2, 2*tanh({b}))"),
                Bin::Max => write!(f, "max({a}, {b})"),
                Bin::Min => write!(f, "min({a}, {b})"),
            },
        }
    }
}

/// The generator: draws a point, then a tree bottom-up, checking each node at the
/// point (magnitude, distance from kinks).
pub struct Gen {
    pub rng: StdRng,
    pub x: Vec<f64>,
    /// How far (in any coordinate) a finite-difference probe moves from `x`: the
    /// four-point Hessian formula moves two coordinates by `∜ε·max(1, |xᵢ|)`.
    pub probe: f64,
}

impl Gen {
    pub fn new(seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let n = rng.random_range(1..=MAX_INPUTS);
        let x: Vec<f64> = (0..n).map(|_| rng.random_range(-MAX_X..MAX_X)).collect();
        let probe = f64::EPSILON.powf(0.25) * MAX_X;
        Gen { rng, x, probe }
    }

    pub fn constant(&mut self) -> f64 {
        // Round to two decimals so printed expressions are short and exact enough
        // to re-type.
        (self.rng.random_range(-3.0f64..3.0) * 100.0).round() / 100.0
    }

    pub fn leaf(&mut self) -> Expr {
        if self.rng.random_bool(0.8) {
            Expr::X(self.rng.random_range(0..self.x.len()))
        } else {
            Expr::C(self.constant())
        }
    }

    /// Whether a kinked op's argument `e` stays at least 1e-3 away from 0 over
    /// every probe point: `|e(x)| > 1e-3 + ‖∇e(x)‖₁ · 2·probe` (two coordinates
    /// move at once in the Hessian formula; the linear bound is generous for the
    /// steps involved, ≤ 3e-4).
    pub fn clear_of_kink(&self, e: &Expr) -> bool {
        e.eval(&self.x).abs() > 1e-3 + self.slope(e) * 2.0 * self.probe
    }

    /// `‖∇e(x)‖₁`, by forward mode.
    pub fn slope(&self, e: &Expr) -> f64 {
        jacfwd(|v| e.eval(v), &self.x).iter().map(|d| d.abs()).sum()
    }

    pub fn unary_op(&mut self) -> Un {
        match self.rng.random_range(0..23) {
            0 => Un::Neg,
            1 => Un::Exp,
            2 => Un::Ln,
            3 => Un::Ln1p,
            4 => Un::ExpM1,
            5 => Un::Sqrt,
            6 => Un::Powi(self.rng.random_range(-3..=4)),
            7 => Un::PowfConst([-1.5, -0.5, 0.5, 1.5, 2.5][self.rng.random_range(0..5)]),
            8 => Un::Sin,
            9 => Un::Cos,
            10 => Un::Tan,
            11 => Un::Tanh,
            12 => Un::Sigmoid,
            13 => Un::Softplus,
            14 => Un::Abs,
            15 => Un::Relu,
            16 => Un::Square,
            17 => Un::Recip,
            18 => Un::AddC(self.constant()),
            19 => Un::SubC(self.constant()),
            20 => Un::MulC(self.constant()),
            21 => {
                let c = self.constant();
                Un::DivC(if c.abs() < 0.5 { c.signum() * 0.5 + c } else { c })
            }
            _ => Un::ConstMinus(self.constant()),
        }
    }

    pub fn binary_op(&mut self) -> Bin {
        [Bin::Add, Bin::Sub, Bin::Mul, Bin::Div, Bin::Powf, Bin::Max, Bin::Min][self.rng.random_range(0..7)]
    }

    /// A tree of depth at most `depth`.
    pub fn expr(&mut self, depth: u32) -> Expr {
        if depth == 0 || self.rng.random_bool(0.1) {
            return self.leaf();
        }
        // Draw an op until the node is acceptable at the point; after a few
        // refusals squash the child with tanh (always acceptable).
        for _ in 0..8 {
            let candidate = if self.rng.random_bool(0.55) {
                let op = self.unary_op();
                let a = self.expr(depth - 1);
                if matches!(op, Un::Abs | Un::Relu) && !self.clear_of_kink(&a) {
                    continue;
                }
                Expr::Un(op, Box::new(a))
            } else {
                let op = self.binary_op();
                let (a, b) = (self.expr(depth - 1), self.expr(depth - 1));
                if matches!(op, Bin::Max | Bin::Min) {
                    let diff = Expr::Bin(Bin::Sub, Box::new(a.clone()), Box::new(b.clone()));
                    if !self.clear_of_kink(&diff) {
                        continue;
                    }
                }
                Expr::Bin(op, Box::new(a), Box::new(b))
            };
            let value = candidate.eval(&self.x);
            if value.is_finite() && value.abs() <= MAX_VALUE && self.slope(&candidate) <= MAX_SLOPE {
                return candidate;
            }
        }
        Expr::Un(Un::Tanh, Box::new(self.leaf()))
    }
}

/// A random case: the expression and the point.
pub struct Case {
    pub seed: u64,
    pub expr: Expr,
    pub x: Vec<f64>,
}

impl Case {
    pub fn new(seed: u64) -> Self {
        let mut g = Gen::new(seed);
        let depth = g.rng.random_range(1..=MAX_DEPTH);
        let expr = g.expr(depth);
        Case { seed, expr, x: g.x }
    }

    pub fn fail(&self, what: &str) -> ! {
        panic!(
            "{what}\n  case seed: {} (rerun: Case::new({}))\n  f(x) = {}\n  x = {:?}",
            self.seed, self.seed, self.expr, self.x
        )
    }
}
