//! `DualVec` against `Dual`: every scalar method of `DualVec<f64, 2>` gives, in
//! each tangent, what `Dual<f64>` gives along that direction; and a forward-mode
//! Newton iteration on plain `Dual` numbers. (The forward-mode transforms built on
//! these numbers, `jvp`, `jacfwd` and `jacfwd_vec`, live in `wengert-tape` and are
//! tested there, in `tests/forward_mode.rs`.)

use wengert_dual::{Dual, DualVec};
use wengert_ops::Scalar;

type V2 = DualVec<f64, 2>;
type D1 = Dual<f64>;
/// A unary case: name, the `DualVec` version, the `Dual` version.
type UnaryCase = (&'static str, fn(V2) -> V2, fn(D1) -> D1);
/// A binary case: name, the `DualVec` version, the `Dual` version.
type BinaryCase = (&'static str, fn(V2, V2) -> V2, fn(D1, D1) -> D1);

#[test]
fn every_scalar_method_of_dual_vec_matches_dual_per_direction() {
    let x = [0.7, -0.4];
    let unary: [UnaryCase; 16] = [
        ("exp", |x| x.exp(), |x| x.exp()),
        ("ln", |x| (x * x + 0.5).ln(), |x| (x * x + 0.5).ln()),
        ("ln_1p", |x| (x * x).ln_1p(), |x| (x * x).ln_1p()),
        ("exp_m1", |x| x.exp_m1(), |x| x.exp_m1()),
        ("sqrt", |x| (x * x + 0.1).sqrt(), |x| (x * x + 0.1).sqrt()),
        ("powi", |x| x.powi(-3), |x| x.powi(-3)),
        ("sin", |x| x.sin(), |x| x.sin()),
        ("cos", |x| x.cos(), |x| x.cos()),
        ("tan", |x| x.tan(), |x| x.tan()),
        ("tanh", |x| x.tanh(), |x| x.tanh()),
        ("sigmoid", |x| x.sigmoid(), |x| x.sigmoid()),
        ("softplus", |x| x.softplus(), |x| x.softplus()),
        ("relu", |x| x.relu(), |x| x.relu()),
        ("abs", |x| x.abs(), |x| x.abs()),
        ("recip", |x| x.recip(), |x| x.recip()),
        ("square", |x| x.square(), |x| x.square()),
    ];
    for (name, fv, fd1) in unary {
        for &x0 in &x {
            // Direction 0 is the input, direction 1 is a scaled copy (tangent 2.5).
            let v = fv(DualVec::new(x0, [1.0, 2.5]));
            let d = fd1(Dual::new(x0, 1.0));
            let d2 = fd1(Dual::new(x0, 2.5));
            assert_eq!(v.re, d.re, "{name}({x0})");
            assert_eq!(v.eps, [d.eps, d2.eps], "{name}({x0})");
        }
    }
    let binary: [BinaryCase; 8] = [
        ("add", |a, b| a + b, |a, b| a + b),
        ("sub", |a, b| a - b, |a, b| a - b),
        ("mul", |a, b| a * b, |a, b| a * b),
        ("div", |a, b| a / b, |a, b| a / b),
        ("powf", |a, b| a.abs().powf(b), |a, b| a.abs().powf(b)),
        ("max", |a, b| a.max(b), |a, b| a.max(b)),
        ("min", |a, b| a.min(b), |a, b| a.min(b)),
        ("f64 both sides", |a, b| 2.0 / a - b * 3.0 + (1.0 - a) / 4.0, |a, b| 2.0 / a - b * 3.0 + (1.0 - a) / 4.0),
    ];
    for (name, fv, fd2) in binary {
        let [a, b] = DualVec::seed(x);
        let v = fv(a, b);
        let da = fd2(Dual::variable(x[0]), Dual::constant(x[1]));
        let db = fd2(Dual::constant(x[0]), Dual::variable(x[1]));
        assert_eq!(v.re, da.re, "{name}");
        assert_eq!(v.eps, [da.eps, db.eps], "{name}");
    }
}

#[test]
fn forward_mode_newton_iteration_finds_a_root() {
    // Real use: Newton's method on cos x = x with forward-mode derivatives.
    let f = |x: Dual<f64>| x.cos() - x;
    let mut x = 1.0;
    for _ in 0..20 {
        let y = f(Dual::variable(x));
        x -= y.re / y.eps;
    }
    assert!((x.cos() - x).abs() < 1e-15, "{x}");
    assert!((x - 0.739_085_133_215_160_6).abs() < 1e-15);
}
