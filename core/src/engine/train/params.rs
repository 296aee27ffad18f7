//! The networks' parameters as the trainer holds them (the weights file's
//! layout) and one training batch drawn from the counter RNG.

use crate::engine::quality::T_MIN;
use crate::model::mlp::{time_embedding, CLASS_DIM, CLF_HIDDEN, HIDDEN, TIME_DIM};
use crate::science::rng::{gaussian2, hash_key, unit};
use crate::science::targets::Target;

/// Probability that a training label is dropped to the null class (for classifier-free guidance).
pub const LABEL_DROPOUT: f32 = 0.15;

/// Inputs of the first layer: x, the time embedding, the class embedding.
pub const INPUT: usize = 2 + TIME_DIM + CLASS_DIM;

/// The trained tensors, in the weights file's order: `w0 b0 w1 b1 w2 b2 w3 b3 class_emb`.
#[derive(Clone, Debug, PartialEq)]
pub struct ScoreParams {
    pub tensors: [Vec<f32>; 9],
    pub num_classes: usize,
}

/// Each tensor's `[rows, columns]` (biases: `[n, 1]`).
pub fn shapes(num_classes: usize) -> [(usize, usize); 9] {
    [(HIDDEN, INPUT), (HIDDEN, 1), (HIDDEN, HIDDEN), (HIDDEN, 1), (HIDDEN, HIDDEN), (HIDDEN, 1), (2, HIDDEN), (2, 1), (num_classes + 1, CLASS_DIM)]
}

impl ScoreParams {
    pub fn zeros(num_classes: usize) -> Self {
        Self { tensors: shapes(num_classes).map(|(r, c)| vec![0.0; r * c]), num_classes }
    }

    /// The network these parameters are, folded for sampling (model::mlp).
    pub fn score_mlp(&self) -> crate::model::ScoreMlp {
        let t = &self.tensors;
        crate::model::ScoreMlp::from_unfolded(self.num_classes, &t[0], &t[1], &t[8], [t[2].clone(), t[3].clone(), t[4].clone(), t[5].clone(), t[6].clone(), t[7].clone()])
    }

    /// Starting weights: each layer's weights and bias uniform in
    /// ±1/√fan-in (the trainer's range), the class table in ±1.7 (unit
    /// variance), from the counter RNG keyed by the seed.
    pub fn init(num_classes: usize, seed: u32) -> Self {
        let s = shapes(num_classes);
        let mut p = Self::zeros(num_classes);
        for (k, t) in p.tensors.iter_mut().enumerate() {
            let fan_in = if k == 8 { 0 } else { s[k - k % 2].1 };
            let bound = if k == 8 { 3f32.sqrt() } else { 1.0 / (fan_in as f32).sqrt() };
            for (j, v) in t.iter_mut().enumerate() {
                *v = bound * (2.0 * unit(hash_key(seed, j as u32, k as u32, 9)[0]) - 1.0);
            }
        }
        p
    }
}

/// Inputs of the noisy-input classifier's first layer: x and the time embedding.
pub const CLF_INPUT: usize = 2 + TIME_DIM;

/// The noisy-input classifier's trained tensors (for classifier guidance),
/// in the weights file's order: `w0 b0 w1 b1 w2 b2` (model::mlp::Classifier:
/// `[x, temb(t)]` → 64 → 64 → C logits, SiLU).
#[derive(Clone, Debug, PartialEq)]
pub struct ClassifierParams {
    pub tensors: [Vec<f32>; 6],
    pub num_classes: usize,
}

/// Each classifier tensor's `[rows, columns]` (biases: `[n, 1]`).
pub fn classifier_shapes(num_classes: usize) -> [(usize, usize); 6] {
    [(CLF_HIDDEN, CLF_INPUT), (CLF_HIDDEN, 1), (CLF_HIDDEN, CLF_HIDDEN), (CLF_HIDDEN, 1), (num_classes, CLF_HIDDEN), (num_classes, 1)]
}

impl ClassifierParams {
    pub fn zeros(num_classes: usize) -> Self {
        Self { tensors: classifier_shapes(num_classes).map(|(r, c)| vec![0.0; r * c]), num_classes }
    }

    /// Starting weights: uniform in ±1/√fan-in, from the counter RNG keyed
    /// by the seed (streams 9–14, past the score network's 0–8).
    pub fn init(num_classes: usize, seed: u32) -> Self {
        let s = classifier_shapes(num_classes);
        let mut p = Self::zeros(num_classes);
        for (k, t) in p.tensors.iter_mut().enumerate() {
            let bound = 1.0 / (s[k - k % 2].1 as f32).sqrt();
            for (j, v) in t.iter_mut().enumerate() {
                *v = bound * (2.0 * unit(hash_key(seed, j as u32, 9 + k as u32, 9)[0]) - 1.0);
            }
        }
        p
    }

    /// The classifier these parameters are (model::mlp, for classifier guidance).
    pub fn classifier(&self) -> crate::model::Classifier {
        let [v0, c0, v1, c1, v2, c2] = self.tensors.clone();
        crate::model::Classifier { num_classes: self.num_classes, v0, c0, v1, c1, v2, c2 }
    }
}

/// One training batch: noised inputs `x_t`, their time embeddings, labels
/// (the null class is `num_classes`), what the network should output (ε,
/// x0, v or the flow's velocity: science::targets) and each term's loss
/// weight (1 for ε; the weights that make the others the ε-loss); and the
/// classifier's rows: the same point, noise and time on the VP SDE
/// (`clf_x`, which is `x_t` for every target but flow's straight path) and
/// the point's own class (never dropped).
#[derive(Clone, Debug)]
pub struct TrainBatch {
    pub x_t: Vec<[f32; 2]>,
    pub temb: Vec<[f32; TIME_DIM]>,
    pub labels: Vec<u32>,
    pub target: Vec<[f32; 2]>,
    pub weight: Vec<f32>,
    pub clf_x: Vec<[f32; 2]>,
    pub classes: Vec<u32>,
}

impl TrainBatch {
    /// Batch `step` for `seed` from a point set (the drawn data): `batch`
    /// draws of its points (uniform over them), times
    /// `t = T_MIN + (1 − T_MIN) u^t_power` (VP network time; for `flow` the
    /// path's time), noise ε, the input and target of `target`
    /// (science::targets: `x_t = a_t x0 + σ_t ε` on the VP SDE, or
    /// `(1−t) x0 + t ε`), and labels dropped to the null class
    /// `num_classes` with probability [`LABEL_DROPOUT`]. Every draw comes
    /// from the counter RNG keyed by (seed, row, step), so a batch is the
    /// same on any backend.
    #[allow(clippy::too_many_arguments)]
    pub fn draw(points: &[[f32; 2]], labels: &[u32], num_classes: usize, batch: usize, step: u32, seed: u32, t_power: i32, target: Target) -> Self {
        let mut out = TrainBatch {
            x_t: Vec::with_capacity(batch),
            temb: Vec::with_capacity(batch),
            labels: Vec::with_capacity(batch),
            target: Vec::with_capacity(batch),
            weight: Vec::with_capacity(batch),
            clf_x: Vec::with_capacity(batch),
            classes: Vec::with_capacity(batch),
        };
        for i in 0..batch as u32 {
            let h = hash_key(seed, i, step, 3);
            let k = ((unit(h[2]) * points.len() as f32) as usize).min(points.len() - 1);
            let t = T_MIN + (1.0 - T_MIN) * unit(h[0]).powi(t_power);
            let e = gaussian2(seed, i, step, 4);
            let (x_t, y, w) = target.training_pair(points[k], e, t);
            out.x_t.push(x_t);
            out.temb.push(time_embedding(t));
            out.labels.push(if unit(h[1]) < LABEL_DROPOUT { num_classes as u32 } else { labels[k] });
            out.target.push(y);
            out.weight.push(w);
            out.clf_x.push(if target == Target::Flow { Target::Eps.training_pair(points[k], e, t).0 } else { x_t });
            out.classes.push(labels[k]);
        }
        out
    }
}
