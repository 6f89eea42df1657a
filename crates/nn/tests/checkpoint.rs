//! Checkpoints: round trips in both precisions, and every kind of bad file
//! (truncated, corrupted header, missing/extra tensor, wrong shape, wrong
//! dtype, missing file) is an error naming the file, never a panic.

use std::path::{Path, PathBuf};

use wengert_nn::checkpoint::{self, CheckpointErrorKind};
use wengert_nn::{Model, TwoLayerNet};
use wengert_ops::Matrix;
use wengert_optim::Params;

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wengert-nn-ckpt-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn model_params() -> Params<f32> {
    TwoLayerNet::<f32>::new(6, 5, 3, 9).params().clone()
}

#[test]
fn round_trip_keeps_names_order_shapes_and_bits() {
    let dir = temp_dir("roundtrip");
    let p32 = model_params();
    let path = dir.join("a.safetensors");
    checkpoint::save(&p32, &path).unwrap();
    let back = checkpoint::load::<f32>(&path).unwrap();
    assert_eq!(back, p32);
    assert_eq!(back.names().collect::<Vec<_>>(), ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]);

    // f64, including values that need all 64 bits, and names that sort
    // differently from their insertion order.
    let p64 = Params::<f64>::new()
        .with("z.last", Matrix::from_rows(&[[std::f64::consts::PI, -1e-300, f64::MAX]]))
        .with("a.first", Matrix::from_fn(3, 2, |i, j| 0.1 * (i * 2 + j) as f64));
    let path64 = dir.join("b.safetensors");
    checkpoint::save(&p64, &path64).unwrap();
    let back64 = checkpoint::load::<f64>(&path64).unwrap();
    assert_eq!(back64, p64);
    assert_eq!(back64.names().collect::<Vec<_>>(), ["z.last", "a.first"]);

    // load_into a fresh model of the same architecture restores it exactly.
    let mut fresh = TwoLayerNet::<f32>::new(6, 5, 3, 1234);
    assert_ne!(fresh.params(), &p32);
    checkpoint::load_into(fresh.params_mut(), &path).unwrap();
    assert_eq!(fresh.params(), &p32);
    std::fs::remove_dir_all(&dir).ok();
}

fn expect_err(bytes: &[u8], path: &Path) -> String {
    std::fs::write(path, bytes).unwrap();
    let mut target = model_params();
    let before = target.clone();
    let err = checkpoint::load_into(&mut target, path).expect_err("a bad checkpoint must not load");
    assert_eq!(target, before, "a failed load leaves the model unchanged");
    let msg = err.to_string();
    assert!(msg.contains(&path.display().to_string()), "the message names the file: {msg}");
    msg
}

#[test]
fn truncated_files_are_errors() {
    let dir = temp_dir("truncated");
    let path = dir.join("cut.safetensors");
    let bytes = checkpoint::to_bytes(&model_params(), &path).unwrap();
    // Every prefix: inside the length, inside the header, inside the data.
    for len in (0..bytes.len()).step_by(7).chain([bytes.len() - 1]) {
        let msg = expect_err(&bytes[..len], &path);
        assert!(msg.contains("not a valid safetensors file"), "cut at {len}: {msg}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn flipped_header_bytes_never_panic_and_the_length_field_is_checked() {
    let dir = temp_dir("flipped");
    let path = dir.join("flip.safetensors");
    let params = model_params();
    let bytes = checkpoint::to_bytes(&params, &path).unwrap();
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let mut errors = 0;
    for pos in 0..8 + header_len {
        for mask in [0x01u8, 0x80, 0xff] {
            let mut bad = bytes.clone();
            bad[pos] ^= mask;
            std::fs::write(&path, &bad).unwrap();
            let mut target = params.clone();
            // Must return, not panic. A flip may leave a valid file (e.g. a
            // space in the JSON padding); then it must load the same numbers
            // or fail on names/shapes.
            match checkpoint::load_into(&mut target, &path) {
                Ok(()) => assert_eq!(target, params, "a flip at {pos} loaded different values"),
                Err(e) => {
                    assert!(e.to_string().contains("flip.safetensors"));
                    errors += 1;
                }
            }
        }
    }
    assert!(errors > 3 * (8 + header_len) / 2, "most flips are detected ({errors})");
    // The length field in particular.
    for pos in 0..8 {
        let mut bad = bytes.clone();
        bad[pos] ^= 0x40;
        expect_err(&bad, &path);
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn missing_extra_misshapen_and_mistyped_tensors_are_named() {
    let dir = temp_dir("mismatch");
    let path = dir.join("m.safetensors");
    let full = model_params();

    let mut missing = full.clone();
    missing.remove("fc2.bias");
    let msg = expect_err(&checkpoint::to_bytes(&missing, &path).unwrap(), &path);
    assert!(msg.ends_with("no tensor `fc2.bias`, which the model needs"), "{msg}");

    let extra = full.clone().with("fc3.weight", Matrix::zeros(2, 2));
    let msg = expect_err(&checkpoint::to_bytes(&extra, &path).unwrap(), &path);
    assert!(msg.ends_with("tensor `fc3.weight` is not a parameter of the model"), "{msg}");

    let mut misshapen = full.clone();
    misshapen.insert("fc1.weight", Matrix::zeros(5, 6));
    let msg = expect_err(&checkpoint::to_bytes(&misshapen, &path).unwrap(), &path);
    assert!(msg.ends_with("tensor `fc1.weight` has shape (5×6), the model expects (6×5)"), "{msg}");

    let as_f64: Params<f64> = full.iter().map(|(n, m)| (n, m.cast::<f64>())).collect();
    let msg = expect_err(&checkpoint::to_bytes(&as_f64, &path).unwrap(), &path);
    assert!(msg.contains("has dtype F64, expected F32"), "{msg}");

    let err = checkpoint::load::<f32>(dir.join("nope.safetensors")).unwrap_err();
    assert!(matches!(err.kind, CheckpointErrorKind::Io(_)));
    assert!(err.to_string().contains("nope.safetensors"));

    // Not a checkpoint at all.
    let msg = expect_err(b"hello, this is not a checkpoint", &path);
    assert!(msg.contains("not a valid safetensors file"), "{msg}");
    std::fs::remove_dir_all(&dir).ok();
}

/// A tensor of the raw file as (shape, f32 values), read with the safetensors
/// crate alone, as another framework would.
fn raw_f32(bytes: &[u8], name: &str) -> (Vec<usize>, Vec<f32>) {
    let st = safetensors::SafeTensors::deserialize(bytes).unwrap();
    let view = st.tensor(name).unwrap();
    assert_eq!(view.dtype(), safetensors::Dtype::F32);
    let values = view.data().chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect();
    (view.shape().to_vec(), values)
}

#[test]
fn linear_layers_are_stored_as_torch_nn_linear_and_read_back_exactly() {
    use wengert_nn::train::predict;

    let dir = temp_dir("torch");
    let path = dir.join("net.safetensors");
    let net = TwoLayerNet::<f32>::new(6, 5, 3, 9);
    checkpoint::save_model(&net, &path).unwrap();
    let bytes = std::fs::read(&path).unwrap();

    // The file: weight [out, in], bias [out], and metadata that says so.
    let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let meta = meta.metadata().clone().unwrap();
    assert_eq!(meta.get(checkpoint::TORCH_LINEAR_KEY).map(String::as_str), Some("fc1\nfc2"));
    assert_eq!(meta.get("format").map(String::as_str), Some("pt"));
    let (w1_shape, w1) = raw_f32(&bytes, "fc1.weight");
    let (b1_shape, b1) = raw_f32(&bytes, "fc1.bias");
    let (w2_shape, w2) = raw_f32(&bytes, "fc2.weight");
    let (b2_shape, b2) = raw_f32(&bytes, "fc2.bias");
    assert_eq!((w1_shape, b1_shape, w2_shape, b2_shape), (vec![5, 6], vec![5], vec![3, 5], vec![3]));
    let ours = net.params().get("fc1.weight").unwrap();
    for o in 0..5 {
        for i in 0..6 {
            assert_eq!(w1[o * 6 + i], ours[(i, o)], "weight[out={o}, in={i}] is wengert's (in, out)");
        }
    }

    // A forward pass written the PyTorch way on the raw tensors,
    // y = relu(x W1ᵀ + b1) W2ᵀ + b2, gives wengert's outputs.
    let x = Matrix::from_fn(4, 6, |r, c| ((r * 6 + c) as f64 * 0.37).sin());
    let linear = |x: &[f32], w: &[f32], b: &[f32], n_in: usize| -> Vec<f32> {
        b.iter().enumerate().map(|(o, &bo)| bo + (0..n_in).map(|i| x[i] * w[o * n_in + i]).sum::<f32>()).collect()
    };
    let expected = predict::<f32, _>(&net, &x);
    for r in 0..4 {
        let xr: Vec<f32> = x.row(r).iter().map(|&v| v as f32).collect();
        let h: Vec<f32> = linear(&xr, &w1, &b1, 6).into_iter().map(|v| v.max(0.0)).collect();
        let y = linear(&h, &w2, &b2, 5);
        for (k, &yk) in y.iter().enumerate() {
            assert!((yk - expected[(r, k)]).abs() <= 1e-5 * (1.0 + yk.abs()), "row {r} output {k}");
        }
    }

    // Read back: the same parameters, in wengert's layout, by every reader.
    assert_eq!(&checkpoint::load::<f32>(&path).unwrap(), net.params());
    let mut other = TwoLayerNet::<f32>::new(6, 5, 3, 0);
    checkpoint::load_model_into(&mut other, &path).unwrap();
    assert_eq!(other.params(), net.params());
    // A network of another shape is refused, naming the tensor.
    let mut wrong = TwoLayerNet::<f32>::new(6, 4, 3, 0);
    let err = checkpoint::load_model_into(&mut wrong, &path).unwrap_err();
    assert!(err.to_string().ends_with("tensor `fc1.weight` has shape (6×5), the model expects (6×4)"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}
