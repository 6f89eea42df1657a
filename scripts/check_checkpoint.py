#!/usr/bin/env python3
"""Load a wengert checkpoint elsewhere: numpy + safetensors, no torch, no wengert.

What it shows
-------------
A checkpoint written by `wengert train` is a safetensors file that any
framework can read without wengert's code:

* the model's `Linear` layers are stored as PyTorch's `nn.Linear` stores them,
  `<layer>.weight` of shape [out, in] and `<layer>.bias` of shape [out]
  (the metadata key `wengert.torch_linear` lists those layers), so the forward
  pass is `x @ W.T + b`, as in PyTorch;
* the architecture is the metadata `wengert.model` (`mlp hidden=16`: fc1,
  ReLU, fc2; `logreg …`/`linreg …`: one layer `linear`);
* the inputs are scaled as the training data was: `(x - scaling.mean) /
  scaling.scale`, for the feature columns named in `wengert.features`;
* the class names are `wengert.classes`; the outputs are logits (softmax over
  classes, or one logit whose sigmoid is the probability of the second class)
  or, for a real-valued target, the prediction itself.

The script recomputes the predictions of the checkpoint on a CSV file and
compares them with those `wengert predict` wrote for the same file:

    wengert --dataset iris
    wengert predict --checkpoint out/iris_mlp.safetensors --input data/iris.csv --output out/iris_pred.csv
    python3 scripts/check_checkpoint.py out/iris_mlp.safetensors data/iris.csv out/iris_pred.csv

It prints the largest difference (relative to the value, for values above 1)
and exits with status 1 if it exceeds the tolerance (1e-5 for an f32 model,
1e-10 for f64). In PyTorch the same file
loads with `safetensors.torch.load_file` and, for the parameters,
`model.load_state_dict(tensors, strict=False)` (the other tensors, `optimizer.*`,
`history.*`, `scaling.*`, `best.*`, are what `wengert --resume` continues from).

Requirements: `pip install numpy safetensors`.
"""

import csv
import sys

import numpy as np
from safetensors import safe_open


def load(path):
    """The tensors and the metadata of a safetensors file."""
    with safe_open(path, framework="numpy") as f:
        return {name: f.get_tensor(name) for name in f.keys()}, f.metadata() or {}


def forward(tensors, meta, x):
    """The model's outputs (logits or predictions) for the raw inputs x."""
    x = (x - tensors["scaling.mean"]) / tensors["scaling.scale"]
    kind = meta["wengert.model"].split()[0]
    linear_layers = meta.get("wengert.torch_linear", "").split("\n")
    assert {"fc1", "fc2"} <= set(linear_layers) or "linear" in linear_layers, linear_layers

    def linear(h, layer):
        return h @ tensors[layer + ".weight"].astype(np.float64).T + tensors[layer + ".bias"].astype(np.float64)

    if kind == "mlp":
        return linear(np.maximum(linear(x, "fc1"), 0.0), "fc2")
    return linear(x, "linear")


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def main(checkpoint, input_csv, predictions_csv):
    tensors, meta = load(checkpoint)
    features = meta["wengert.features"].split("\n")
    header, rows = read_csv(input_csv)
    columns = [header.index(name) for name in features]
    x = np.array([[float(r[c]) for c in columns] for r in rows])
    z = forward(tensors, meta, x)

    if "wengert.classes" in meta:
        classes = meta["wengert.classes"].split("\n")
        if z.shape[1] == 1:
            ours = np.stack([1.0 / (1.0 + np.exp(z[:, 0])), 1.0 / (1.0 + np.exp(-z[:, 0]))], axis=1)
        else:
            e = np.exp(z - z.max(axis=1, keepdims=True))
            ours = e / e.sum(axis=1, keepdims=True)
        wanted = ["p_" + c for c in classes]
    else:
        ours = z[:, :1]
        wanted = ["prediction"]

    pred_header, pred_rows = read_csv(predictions_csv)
    theirs = np.array([[float(r[pred_header.index(w)]) for w in wanted] for r in pred_rows])
    if theirs.shape != ours.shape:
        print(f"shapes differ: wengert wrote {theirs.shape}, numpy computed {ours.shape}")
        return 1
    # Relative to the size of the value (probabilities are at most 1).
    diff = float(np.max(np.abs(theirs - ours) / np.maximum(1.0, np.abs(ours))))
    tolerance = 1e-5 if meta.get("wengert.dtype") == "F32" else 1e-10
    print(
        f"{checkpoint}: {meta['wengert.model']} ({meta.get('wengert.dtype')}), {len(rows)} examples; "
        f"largest (relative) difference from `wengert predict`: {diff:.2e} (tolerance {tolerance:.0e})"
    )
    return 0 if diff <= tolerance else 1


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))
