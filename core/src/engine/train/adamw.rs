//! The optimizer, as candle_nn's.

use super::params::{ClassifierParams, ScoreParams};

/// AdamW as candle_nn computes it (decoupled weight decay `θ(1 − lr λ)`,
/// bias-corrected moments, `ε` added to `√v̂`).
#[derive(Clone, Debug)]
pub struct AdamW {
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: f64,
    pub step: i32,
    m: ScoreParams,
    v: ScoreParams,
    /// The classifier's moments, once it trains with the score network.
    clf: Option<(ClassifierParams, ClassifierParams)>,
}

impl AdamW {
    /// candle_nn's defaults for the moments, the given rate and weight decay.
    pub fn new(num_classes: usize, lr: f64, weight_decay: f64) -> Self {
        Self { lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay, step: 0, m: ScoreParams::zeros(num_classes), v: ScoreParams::zeros(num_classes), clf: None }
    }

    pub fn update(&mut self, p: &mut ScoreParams, g: &ScoreParams) {
        self.update_both(p, g, None);
    }

    /// One step of the score network and, when given, of the classifier
    /// beside it (one optimizer over both networks' parameters, as the GPU's
    /// `adamw` runs over one span of them).
    pub fn update_both(&mut self, p: &mut ScoreParams, g: &ScoreParams, clf: Option<(&mut ClassifierParams, &ClassifierParams)>) {
        self.step += 1;
        let (b1, b2) = (self.beta1 as f32, self.beta2 as f32);
        let scale_m = (1.0 / (1.0 - self.beta1.powi(self.step))) as f32;
        let scale_v = (1.0 / (1.0 - self.beta2.powi(self.step))) as f32;
        let (lr, decay, eps) = (self.lr as f32, (1.0 - self.lr * self.weight_decay) as f32, self.eps as f32);
        let apply = |theta: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]| {
            for (((theta, g), m), v) in theta.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
                *m = *m * b1 + g * (1.0 - b1);
                *v = *v * b2 + g * g * (1.0 - b2);
                let adjusted = (*m * scale_m) / ((*v * scale_v).sqrt() + eps);
                *theta = *theta * decay - adjusted * lr;
            }
        };
        for k in 0..9 {
            apply(&mut p.tensors[k], &g.tensors[k], &mut self.m.tensors[k], &mut self.v.tensors[k]);
        }
        if let Some((cp, cg)) = clf {
            let (m, v) = self.clf.get_or_insert_with(|| (ClassifierParams::zeros(cp.num_classes), ClassifierParams::zeros(cp.num_classes)));
            for k in 0..6 {
                apply(&mut cp.tensors[k], &cg.tensors[k], &mut m.tensors[k], &mut v.tensors[k]);
            }
        }
    }
}
