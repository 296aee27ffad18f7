//! A trained model's file: safetensors with the shipped tensor names and
//! the recipe in its metadata.

use super::{classifier_shapes, shapes, ClassifierParams, ScoreParams};

/// Largest trained-model file an import reads (a 128-unit net of up to 8
/// classes is about 160 KB).
pub const MODEL_BYTES_MAX: usize = 1 << 20;

/// The score tensors' names in a weights file, in [`ScoreParams`]' order.
pub const TENSOR_NAMES: [&str; 9] = ["score.w0", "score.b0", "score.w1", "score.b1", "score.w2", "score.b2", "score.w3", "score.b3", "score.class_emb"];

/// The classifier's tensors' names (the shipped files'), in [`ClassifierParams`]' order.
pub const CLASSIFIER_NAMES: [&str; 6] = ["classifier.w0", "classifier.b0", "classifier.w1", "classifier.b1", "classifier.w2", "classifier.b2"];

/// A hash of a point set (FNV-1a over the coordinates' bits and the labels), hex: the metadata `data_hash`.
pub fn data_hash(points: &[[f32; 2]], labels: &[u32]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let words = points.iter().flat_map(|p| [p[0].to_bits(), p[1].to_bits()]).chain(labels.iter().copied());
    for w in words {
        for b in w.to_le_bytes() {
            h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// A trained model as a safetensors file in the shipped format
/// (model::weights: the `score.*` tensors and, when trained, the
/// `classifier.*` ones, unfolded, f32, row-major), with `dataset = custom`,
/// `num_classes` and the caller's metadata (the recipe, seed, target, data
/// hash, losses).
pub fn export_model(p: &ScoreParams, clf: Option<&ClassifierParams>, metadata: &std::collections::BTreeMap<String, String>) -> Result<Vec<u8>, crate::model::weights::WeightsError> {
    let named = |names: &[&str], shapes: &[(usize, usize)], tensors: &[Vec<f32>]| -> Vec<crate::model::weights::NamedTensor> {
        names.iter().zip(shapes).zip(tensors).map(|((name, &(r, c)), t)| (name.to_string(), if c == 1 { vec![r] } else { vec![r, c] }, t.clone())).collect()
    };
    let mut tensors = named(&TENSOR_NAMES, &shapes(p.num_classes), &p.tensors);
    if let Some(c) = clf {
        tensors.extend(named(&CLASSIFIER_NAMES, &classifier_shapes(c.num_classes), &c.tensors));
    }
    let mut meta = metadata.clone();
    meta.insert("dataset".into(), "custom".into());
    meta.insert("num_classes".into(), p.num_classes.to_string());
    crate::model::weights::serialize(&tensors, &meta)
}

/// A model file read back: the score network, its classifier if the file
/// has one, and the file's metadata.
pub type ImportedModel = (ScoreParams, Option<ClassifierParams>, std::collections::BTreeMap<String, String>);

/// Reads a trained model back, checked: the size limit, the format, a
/// class count of 1–8, every score tensor present with its shape, f32 and
/// finite; the classifier's tensors likewise, all six or none.
pub fn import_model(bytes: &[u8]) -> Result<ImportedModel, crate::model::weights::WeightsError> {
    use crate::model::weights::{tensor, WeightsError, FORMAT};
    if bytes.len() > MODEL_BYTES_MAX {
        return Err(WeightsError::Parse(format!("the file is {} bytes, more than a trained model's {MODEL_BYTES_MAX}", bytes.len())));
    }
    let (_, header) = safetensors::SafeTensors::read_metadata(bytes).map_err(|e| WeightsError::Parse(e.to_string()))?;
    let metadata: std::collections::BTreeMap<String, String> = header.metadata().as_ref().map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default();
    let format = metadata.get("format").ok_or(WeightsError::MissingMetadata("format"))?;
    if format != FORMAT {
        return Err(WeightsError::BadMetadata { key: "format", value: format.clone(), expected: FORMAT.into() });
    }
    let nc = metadata.get("num_classes").ok_or(WeightsError::MissingMetadata("num_classes"))?;
    let c = nc.parse::<usize>().ok().filter(|c| (1..=8).contains(c)).ok_or_else(|| WeightsError::BadMetadata { key: "num_classes", value: nc.clone(), expected: "1 to 8".into() })?;
    let st = safetensors::SafeTensors::deserialize(bytes).map_err(|e| WeightsError::Parse(e.to_string()))?;
    let read = |names: &[&str], shapes: &[(usize, usize)], out: &mut [Vec<f32>]| -> Result<(), WeightsError> {
        for ((name, &(r, cols)), t) in names.iter().zip(shapes).zip(out.iter_mut()) {
            *t = tensor(&st, name, &if cols == 1 { vec![r] } else { vec![r, cols] })?;
        }
        Ok(())
    };
    let mut p = ScoreParams::zeros(c);
    read(&TENSOR_NAMES, &shapes(c), &mut p.tensors)?;
    let has_classifier = st.names().iter().any(|n| n.starts_with("classifier."));
    let clf = if has_classifier {
        let mut q = ClassifierParams::zeros(c);
        read(&CLASSIFIER_NAMES, &classifier_shapes(c), &mut q.tensors)?;
        Some(q)
    } else {
        None
    };
    Ok((p, clf, metadata))
}
