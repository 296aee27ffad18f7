//! The weights file: one safetensors file per dataset, `models/<id>.safetensors`,
//! holding the score MLP and the classifier as the trainer wrote them
//! (unfolded, f32, row-major `[out][in]`), plus string metadata.
//!
//! Tensors: `score.w0` [128, 50] (input columns `[x (2), temb (32), E[c] (16)]`),
//! `score.b0`, `score.class_emb` [C+1, 16], `score.w1`, `score.b1`, `score.w2`,
//! `score.b2` [128, 128]/[128], `score.w3` [2, 128], `score.b3` [2];
//! `classifier.w0` [64, 34], `classifier.b0`, `classifier.w1` [64, 64],
//! `classifier.b1`, `classifier.w2` [C, 64], `classifier.b2` [C].
//!
//! Metadata (all strings): `format` (= [`FORMAT`]), `dataset`, `num_classes`,
//! `schedule`, `parameterization`, `architecture`, `seed`, `steps`,
//! `final_loss`, and the quality figures the trainer measured.

use super::energy::EnergyMlp;
use super::mlp::{Classifier, ScoreMlp, CLASS_DIM, CLF_HIDDEN, HIDDEN, TIME_DIM};
use crate::science::datasets::Dataset;
use safetensors::{Dtype, SafeTensors};
use std::collections::BTreeMap;

/// Value of the `format` metadata key this loader reads.
pub const FORMAT: &str = "diffusion-playground-weights/1";

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum WeightsError {
    #[error("not a safetensors file: {0}")]
    Parse(String),
    #[error("the file has no `{0}` metadata")]
    MissingMetadata(&'static str),
    #[error("metadata `{key}` is `{value}`, expected {expected}")]
    BadMetadata { key: &'static str, value: String, expected: String },
    #[error("tensor `{0}` is missing")]
    MissingTensor(String),
    #[error("tensor `{name}` has shape {got:?} and type {dtype}, expected f32 {expected:?}")]
    BadTensor { name: String, got: Vec<usize>, dtype: String, expected: Vec<usize> },
    #[error("tensor `{0}` holds a NaN or infinite value")]
    NotFinite(String),
}

/// A loaded weights file.
#[derive(Clone, Debug)]
pub struct ModelFile {
    pub dataset: Dataset,
    pub score: ScoreMlp,
    pub classifier: Classifier,
    pub metadata: BTreeMap<String, String>,
}

pub(crate) fn tensor(st: &SafeTensors, name: &str, shape: &[usize]) -> Result<Vec<f32>, WeightsError> {
    let view = st.tensor(name).map_err(|_| WeightsError::MissingTensor(name.to_string()))?;
    if view.dtype() != Dtype::F32 || view.shape() != shape {
        return Err(WeightsError::BadTensor {
            name: name.to_string(),
            got: view.shape().to_vec(),
            dtype: format!("{:?}", view.dtype()),
            expected: shape.to_vec(),
        });
    }
    let values: Vec<f32> = view.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
    if values.iter().any(|v| !v.is_finite()) {
        return Err(WeightsError::NotFinite(name.to_string()));
    }
    Ok(values)
}

/// The checked metadata of a file for `expected` (format, dataset, class count).
fn checked_metadata(bytes: &[u8], expected: Dataset) -> Result<BTreeMap<String, String>, WeightsError> {
    let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| WeightsError::Parse(e.to_string()))?;
    let metadata: BTreeMap<String, String> = header.metadata().as_ref().map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default();
    let get = |key: &'static str| metadata.get(key).ok_or(WeightsError::MissingMetadata(key));
    let format = get("format")?;
    if format != FORMAT {
        return Err(WeightsError::BadMetadata { key: "format", value: format.clone(), expected: FORMAT.to_string() });
    }
    let id = get("dataset")?;
    if id != expected.id() {
        return Err(WeightsError::BadMetadata { key: "dataset", value: id.clone(), expected: expected.id().to_string() });
    }
    let c = expected.num_classes();
    let nc = get("num_classes")?;
    if nc.parse::<usize>().ok() != Some(c) {
        return Err(WeightsError::BadMetadata { key: "num_classes", value: nc.clone(), expected: c.to_string() });
    }
    Ok(metadata)
}

/// The class-conditional MLP under `prefix` (`score` or `energy`) with
/// `outputs` outputs, folded ([`ScoreMlp::from_unfolded`]).
fn class_mlp(st: &SafeTensors, prefix: &str, c: usize, outputs: usize) -> Result<ScoreMlp, WeightsError> {
    let input = 2 + TIME_DIM + CLASS_DIM;
    let t = |name: &str, shape: &[usize]| tensor(st, &format!("{prefix}.{name}"), shape);
    Ok(ScoreMlp::from_unfolded(
        c,
        &t("w0", &[HIDDEN, input])?,
        &t("b0", &[HIDDEN])?,
        &t("class_emb", &[c + 1, CLASS_DIM])?,
        [t("w1", &[HIDDEN, HIDDEN])?, t("b1", &[HIDDEN])?, t("w2", &[HIDDEN, HIDDEN])?, t("b2", &[HIDDEN])?, t("w3", &[outputs, HIDDEN])?, t("b3", &[outputs])?],
    ))
}

impl ModelFile {
    /// Parse and check a weights file; `expected` is the dataset it must be for.
    pub fn from_bytes(bytes: &[u8], expected: Dataset) -> Result<Self, WeightsError> {
        let metadata = checked_metadata(bytes, expected)?;
        let c = expected.num_classes();
        let st = SafeTensors::deserialize(bytes).map_err(|e| WeightsError::Parse(e.to_string()))?;
        let score = class_mlp(&st, "score", c, 2)?;
        let classifier = Classifier {
            num_classes: c,
            v0: tensor(&st, "classifier.w0", &[CLF_HIDDEN, 2 + TIME_DIM])?,
            c0: tensor(&st, "classifier.b0", &[CLF_HIDDEN])?,
            v1: tensor(&st, "classifier.w1", &[CLF_HIDDEN, CLF_HIDDEN])?,
            c1: tensor(&st, "classifier.b1", &[CLF_HIDDEN])?,
            v2: tensor(&st, "classifier.w2", &[c, CLF_HIDDEN])?,
            c2: tensor(&st, "classifier.b2", &[c])?,
        };
        Ok(ModelFile { dataset: expected, score, classifier, metadata })
    }
}

/// A loaded energy-model file, `models/<id>.energy.safetensors`
/// (model::energy): the tensors `energy.w0 … energy.b3, energy.class_emb`,
/// the score net's shapes with a one-row last layer, and the same metadata keys.
#[derive(Clone, Debug)]
pub struct EnergyFile {
    pub dataset: Dataset,
    pub net: EnergyMlp,
    pub metadata: BTreeMap<String, String>,
}

impl EnergyFile {
    /// Parse and check an energy file; `expected` is the dataset it must be for.
    pub fn from_bytes(bytes: &[u8], expected: Dataset) -> Result<Self, WeightsError> {
        let metadata = checked_metadata(bytes, expected)?;
        let st = SafeTensors::deserialize(bytes).map_err(|e| WeightsError::Parse(e.to_string()))?;
        let net = EnergyMlp { net: class_mlp(&st, "energy", expected.num_classes(), 1)? };
        Ok(EnergyFile { dataset: expected, net, metadata })
    }
}

/// Every tensor of a file as written (the trainer's re-evaluation rewrites
/// the metadata of unchanged weights).
pub fn read_tensors(bytes: &[u8]) -> Result<Vec<NamedTensor>, WeightsError> {
    let st = SafeTensors::deserialize(bytes).map_err(|e| WeightsError::Parse(e.to_string()))?;
    let mut names: Vec<String> = st.names().into_iter().map(str::to_string).collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let shape = st.tensor(&name).map_err(|e| WeightsError::Parse(e.to_string()))?.shape().to_vec();
            let values = tensor(&st, &name, &shape)?;
            Ok((name, shape, values))
        })
        .collect()
}

/// One tensor to write: name, shape, row-major f32 values.
pub type NamedTensor = (String, Vec<usize>, Vec<f32>);

/// Write tensors and metadata as safetensors bytes (the trainer's output;
/// `format` is added here).
pub fn serialize(tensors: &[NamedTensor], metadata: &BTreeMap<String, String>) -> Result<Vec<u8>, WeightsError> {
    let bytes: Vec<Vec<u8>> = tensors.iter().map(|(_, _, v)| v.iter().flat_map(|x| x.to_le_bytes()).collect()).collect();
    let views = tensors
        .iter()
        .zip(&bytes)
        .map(|((name, shape, _), b)| {
            safetensors::tensor::TensorView::new(Dtype::F32, shape.clone(), b).map(|v| (name.clone(), v))
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| WeightsError::Parse(e.to_string()))?;
    // The map type is safetensors' own (std's or hashbrown's, by its features).
    let meta = metadata.iter().map(|(k, v)| (k.clone(), v.clone())).chain([("format".to_string(), FORMAT.to_string())]);
    let bytes = safetensors::serialize(views, Some(meta.collect())).map_err(|e| WeightsError::Parse(e.to_string()))?;
    canonical_header(bytes)
}

/// The same file with its JSON header's keys sorted (the metadata map
/// safetensors writes iterates in a per-process order): one model, one file,
/// so a retrained model's download is bit-identical.
fn canonical_header(bytes: Vec<u8>) -> Result<Vec<u8>, WeightsError> {
    let bad = |e: String| WeightsError::Parse(format!("rewriting the header: {e}"));
    let n = u64::from_le_bytes(bytes.get(..8).ok_or_else(|| bad("no length".into()))?.try_into().expect("8 bytes")) as usize;
    let header: serde_json::Value = serde_json::from_slice(bytes.get(8..8 + n).ok_or_else(|| bad("short".into()))?).map_err(|e| bad(e.to_string()))?;
    // serde_json's maps are ordered by key; the header is padded with spaces to 8 bytes, as safetensors does.
    let mut text = serde_json::to_string(&header).map_err(|e| bad(e.to_string()))?;
    while text.len() % 8 != 0 {
        text.push(' ');
    }
    let mut out = Vec::with_capacity(8 + text.len() + bytes.len() - 8 - n);
    out.extend_from_slice(&(text.len() as u64).to_le_bytes());
    out.extend_from_slice(text.as_bytes());
    out.extend_from_slice(&bytes[8 + n..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::mlp::{silu, time_embedding};

    /// Reproducible tensors with the right shapes for `dataset`.
    fn toy_tensors(dataset: Dataset) -> Vec<NamedTensor> {
        let c = dataset.num_classes();
        let shapes: Vec<(&str, Vec<usize>)> = vec![
            ("score.w0", vec![HIDDEN, 2 + TIME_DIM + CLASS_DIM]),
            ("score.b0", vec![HIDDEN]),
            ("score.class_emb", vec![c + 1, CLASS_DIM]),
            ("score.w1", vec![HIDDEN, HIDDEN]),
            ("score.b1", vec![HIDDEN]),
            ("score.w2", vec![HIDDEN, HIDDEN]),
            ("score.b2", vec![HIDDEN]),
            ("score.w3", vec![2, HIDDEN]),
            ("score.b3", vec![2]),
            ("classifier.w0", vec![CLF_HIDDEN, 2 + TIME_DIM]),
            ("classifier.b0", vec![CLF_HIDDEN]),
            ("classifier.w1", vec![CLF_HIDDEN, CLF_HIDDEN]),
            ("classifier.b1", vec![CLF_HIDDEN]),
            ("classifier.w2", vec![c, CLF_HIDDEN]),
            ("classifier.b2", vec![c]),
        ];
        let mut k = 0u32;
        shapes
            .into_iter()
            .map(|(name, shape)| {
                let n: usize = shape.iter().product();
                let fan_in = *shape.last().unwrap() as f32;
                let v = (0..n)
                    .map(|_| {
                        k += 1;
                        let h = crate::science::rng::pcg4d([k, 3, 1, 4])[0];
                        (crate::science::rng::unit(h) * 2.0 - 1.0) / fan_in.sqrt()
                    })
                    .collect();
                (name.to_string(), shape, v)
            })
            .collect()
    }

    fn meta(dataset: Dataset) -> BTreeMap<String, String> {
        [("dataset", dataset.id().to_string()), ("num_classes", dataset.num_classes().to_string())]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect()
    }

    #[test]
    fn round_trip_and_folding() {
        let d = Dataset::Moons;
        let tensors = toy_tensors(d);
        let bytes = serialize(&tensors, &meta(d)).unwrap();
        let file = ModelFile::from_bytes(&bytes, d).unwrap();
        assert_eq!(file.metadata["format"], FORMAT);
        // The folded network equals the unfolded definition, in f64.
        let get = |name: &str| tensors.iter().find(|t| t.0 == name).unwrap().2.clone();
        let (w0, b0, emb) = (get("score.w0"), get("score.b0"), get("score.class_emb"));
        let s = |v: f64| v / (1.0 + (-v).exp());
        let dense = |w: &[f32], b: &[f32], h: &[f64], act: bool| -> Vec<f64> {
            (0..b.len())
                .map(|o| {
                    let v = b[o] as f64 + (0..h.len()).map(|i| w[o * h.len() + i] as f64 * h[i]).sum::<f64>();
                    if act { s(v) } else { v }
                })
                .collect()
        };
        for (class, row) in [(Some(1), 1), (None, 2)] {
            let (x, t) = ([0.3f32, -1.2f32], 0.42f32);
            let mut input: Vec<f64> = vec![x[0] as f64, x[1] as f64];
            input.extend(time_embedding(t).iter().map(|&v| v as f64));
            input.extend(emb[row * CLASS_DIM..(row + 1) * CLASS_DIM].iter().map(|&v| v as f64));
            let h0 = dense(&w0, &b0, &input, true);
            let h1 = dense(&get("score.w1"), &get("score.b1"), &h0, true);
            let h2 = dense(&get("score.w2"), &get("score.b2"), &h1, true);
            let want = dense(&get("score.w3"), &get("score.b3"), &h2, false);
            let got = file.score.eps_hat(x, t, class);
            for c in 0..2 {
                assert!((got[c] as f64 - want[c]).abs() < 1e-5, "{got:?} vs {want:?}");
            }
        }
        // The classifier's logits, likewise.
        let (x, t) = ([1.0f32, 0.5f32], 0.1f32);
        let mut input: Vec<f64> = vec![x[0] as f64, x[1] as f64];
        input.extend(time_embedding(t).iter().map(|&v| v as f64));
        let h0 = dense(&get("classifier.w0"), &get("classifier.b0"), &input, true);
        let h1 = dense(&get("classifier.w1"), &get("classifier.b1"), &h0, true);
        let want = dense(&get("classifier.w2"), &get("classifier.b2"), &h1, false);
        let got = file.classifier.logits(x, t);
        assert!(got.iter().zip(&want).all(|(g, w)| (*g as f64 - w).abs() < 1e-5));
        assert!(silu(0.0) == 0.0);
    }

    #[test]
    fn bad_files_give_clear_errors() {
        let d = Dataset::Rings;
        let good = serialize(&toy_tensors(d), &meta(d)).unwrap();
        assert!(matches!(ModelFile::from_bytes(&good[..good.len() / 2], d), Err(WeightsError::Parse(_))));
        assert!(matches!(ModelFile::from_bytes(b"<!doctype html>", d), Err(WeightsError::Parse(_))));
        assert_eq!(
            ModelFile::from_bytes(&good, Dataset::Moons).unwrap_err(),
            WeightsError::BadMetadata { key: "dataset", value: "rings".into(), expected: "moons".into() }
        );
        let mut no_meta = meta(d);
        no_meta.remove("num_classes");
        let bytes = serialize(&toy_tensors(d), &no_meta).unwrap();
        assert_eq!(ModelFile::from_bytes(&bytes, d).unwrap_err(), WeightsError::MissingMetadata("num_classes"));
        let mut t = toy_tensors(d);
        t[4].2[7] = f32::NAN;
        let bytes = serialize(&t, &meta(d)).unwrap();
        assert_eq!(ModelFile::from_bytes(&bytes, d).unwrap_err(), WeightsError::NotFinite("score.b1".into()));
        let mut t = toy_tensors(d);
        t.remove(3);
        let bytes = serialize(&t, &meta(d)).unwrap();
        assert_eq!(ModelFile::from_bytes(&bytes, d).unwrap_err(), WeightsError::MissingTensor("score.w1".into()));
        let mut t = toy_tensors(d);
        t[8] = ("score.b3".into(), vec![3], vec![0.0; 3]);
        let bytes = serialize(&t, &meta(d)).unwrap();
        assert!(matches!(ModelFile::from_bytes(&bytes, d), Err(WeightsError::BadTensor { .. })));
        // The message names what is wrong.
        assert!(ModelFile::from_bytes(&bytes, d).unwrap_err().to_string().contains("score.b3"));
    }

    /// An energy file: the score tensors renamed `energy.*` with a one-row
    /// last layer. Its φ equals the unfolded definition in f64; a score-model
    /// file is not an energy file (the message names the missing tensor), nor
    /// is an energy file with a two-row last layer.
    #[test]
    fn energy_files_load_and_check() {
        let d = Dataset::Moons;
        let energy: Vec<NamedTensor> = toy_tensors(d)
            .into_iter()
            .filter_map(|(name, mut shape, mut v)| {
                let rest = name.strip_prefix("score.")?;
                if rest == "w3" || rest == "b3" {
                    shape[0] = 1;
                    v.truncate(v.len() / 2);
                }
                Some((format!("energy.{rest}"), shape, v))
            })
            .collect();
        let file = EnergyFile::from_bytes(&serialize(&energy, &meta(d)).unwrap(), d).unwrap();
        let get = |name: &str| energy.iter().find(|t| t.0 == name).unwrap().2.clone();
        let s = |v: f64| v / (1.0 + (-v).exp());
        let dense = |w: &[f32], b: &[f32], h: &[f64]| -> Vec<f64> { (0..b.len()).map(|o| b[o] as f64 + (0..h.len()).map(|i| w[o * h.len() + i] as f64 * h[i]).sum::<f64>()).collect() };
        let (x, t) = ([0.7f32, -0.4f32], 0.3f32);
        let mut input: Vec<f64> = vec![x[0] as f64, x[1] as f64];
        input.extend(time_embedding(t).iter().map(|&v| v as f64));
        input.extend(get("energy.class_emb")[CLASS_DIM..2 * CLASS_DIM].iter().map(|&v| v as f64));
        let mut h = input;
        for k in 0..3 {
            h = dense(&get(&format!("energy.w{k}")), &get(&format!("energy.b{k}")), &h).into_iter().map(s).collect();
        }
        let want = dense(&get("energy.w3"), &get("energy.b3"), &h)[0];
        let (phi, _) = file.net.phi_and_eps(x, t, Some(1));
        assert!((phi as f64 - want).abs() < 1e-5, "{phi} vs {want}");
        let score_file = serialize(&toy_tensors(d), &meta(d)).unwrap();
        assert_eq!(EnergyFile::from_bytes(&score_file, d).unwrap_err(), WeightsError::MissingTensor("energy.w0".into()));
        let mut two_rows = energy.clone();
        two_rows[7] = ("energy.w3".into(), vec![2, HIDDEN], vec![0.0; 2 * HIDDEN]);
        assert!(matches!(EnergyFile::from_bytes(&serialize(&two_rows, &meta(d)).unwrap(), d), Err(WeightsError::BadTensor { .. })));
    }

    /// The header's keys are sorted, so the same model always makes the same
    /// file; the file reads back with every tensor and key.
    #[test]
    fn files_are_canonical() {
        let tensors = vec![("b".to_string(), vec![2], vec![1.0f32, 2.0]), ("a".to_string(), vec![1, 3], vec![3.0, 4.0, 5.0])];
        let meta: BTreeMap<String, String> = (0..40).map(|k| (format!("key{k:02}"), k.to_string())).collect();
        let bytes = serialize(&tensors, &meta).unwrap();
        let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
        assert_eq!((8 + n) % 8, 0, "the data starts 8-aligned");
        let header = std::str::from_utf8(&bytes[8..8 + n]).unwrap();
        let at: Vec<usize> = (0..40).map(|k| header.find(&format!("\"key{k:02}\"")).unwrap()).collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "metadata keys in order: {header}");
        let back = read_tensors(&bytes).unwrap();
        assert_eq!(back.len(), 2);
        let (_, h) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
        assert_eq!(h.metadata().as_ref().unwrap().len(), 41);
    }
}
