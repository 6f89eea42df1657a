//! PyTorch's `nn.Linear` layout: how a [`Linear`](crate::Linear) layer's
//! parameters are stored so that another framework loads them as they are.
//!
//! wengert multiplies a batch of row vectors on the left, `y = x·W + b`, so a
//! layer's weight is `in × out` and its bias a `1 × out` row. PyTorch's
//! `nn.Linear(in, out)` computes `y = x·Wᵀ + b` with `weight` of shape
//! `[out, in]` and `bias` of shape `[out]`. A checkpoint of a model stores
//! each of its [`linear_layers`](crate::Model::linear_layers) the PyTorch way:
//!
//! | wengert parameter | shape in wengert | tensor in the file | shape in the file |
//! |---|---|---|---|
//! | `<layer>.weight` | `in × out` | `<layer>.weight` | `[out, in]` (the transpose) |
//! | `<layer>.bias` | `1 × out` | `<layer>.bias` | `[out]` |
//!
//! and lists the layers, one name per line, in the metadata key
//! [`TORCH_LINEAR_KEY`], so that the file says how it is laid out. Every other
//! parameter is stored as it is (`[rows, cols]`). Loading reads the list and
//! transposes those weights back, so the layout is invisible to wengert code;
//! a file without the key is read as it is.

use wengert_ops::Matrix;
use wengert_optim::Params;

use super::format::{Float, Tensor};

/// The metadata key listing the layers stored in PyTorch's `nn.Linear`
/// layout, one layer name per line.
pub const TORCH_LINEAR_KEY: &str = "wengert.torch_linear";

/// The weight and bias names of layer `layer`.
fn names(layer: &str) -> (String, String) {
    (format!("{layer}.weight"), format!("{layer}.bias"))
}

/// The tensors of `params`, with the layers `layers` in PyTorch's layout.
/// Fails (with the reason) if a layer has no weight in `params`.
pub(crate) fn encode<T: Float>(params: &Params<T>, layers: &[String]) -> Result<Vec<(String, Tensor)>, String> {
    for layer in layers {
        let (weight, _) = names(layer);
        if !params.contains(&weight) {
            return Err(format!("linear layer `{layer}` has no parameter `{weight}`"));
        }
    }
    let role = |name: &str| {
        layers.iter().find_map(|l| {
            let (w, b) = names(l);
            (name == w).then_some(true).or((name == b).then_some(false))
        })
    };
    Ok(params
        .iter()
        .map(|(name, m)| {
            let tensor = match role(name) {
                Some(true) => Tensor::matrix(&m.transpose()),
                Some(false) => Tensor::new(m.as_slice(), vec![m.len()]),
                None => Tensor::matrix(m),
            };
            (name.to_string(), tensor)
        })
        .collect())
}

/// Undoes [`encode`] on parameters just read (1-D biases were already read as
/// rows): transposes each listed layer's weight back to `in × out`. Fails (with
/// the reason) if a listed layer has no weight.
pub(crate) fn decode<T: Float>(params: &mut Params<T>, layers: &[String]) -> Result<(), String> {
    for layer in layers {
        let (weight, _) = names(layer);
        let w = params.get(&weight).ok_or_else(|| format!("linear layer `{layer}` has no tensor `{weight}`"))?;
        let back: Matrix<T> = w.transpose();
        params.insert(weight, back);
    }
    Ok(())
}

/// The layer list of the metadata value (`None` or empty: no layers).
pub(crate) fn parse_layers(value: Option<&str>) -> Vec<String> {
    value.map_or_else(Vec::new, |v| v.lines().filter(|l| !l.is_empty()).map(str::to_string).collect())
}
