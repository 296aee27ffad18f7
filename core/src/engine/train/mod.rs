//! Training the score MLP in the page (issue 12; web::playground::train runs it): the
//! CPU twin of the training step — the batch from the
//! counter RNG, the class-conditional ε-MLP's forward pass, its backward
//! pass written out by hand, the loss, and AdamW — in f32, and the same step
//! on the GPU ([`GpuTrainer`], `shaders/train.wgsl`: tiled GEMMs for every
//! layer's forward and backward products, many steps per submit, nothing
//! read back between them). The twin is tested against candle (`tools/train`:
//! every parameter's gradient and one AdamW step of the same network on the
//! same batch, against `backward()` and `candle_nn::AdamW`), and the kernels
//! against the twin (tests/gpu_parity.rs).
//!
//! The network is model::mlp's (the shipped architecture) in the weights
//! file's layout: dense layers `W [out, in]` row-major and `b [out]`, the
//! first layer's input `[x, temb(t), E[c]]` (2 + 32 + 16), three SiLU layers
//! of 128 units, and the class table `E [(C + 1), 16]` whose last row is the
//! null class. The loss is candle's `mse`: the mean over the batch and both
//! coordinates of `(ε̂ − ε)²` (each term weighted for the other targets).
//! With `Recipe::classifier`, the noisy-input classifier (model::mlp's
//! `[x, temb]` → 64 → 64 → C) trains in the same steps on the same noised
//! points with candle's `cross_entropy`: [`ClassifierParams`].
//!
//! By concern: [`params`] (the networks' tensors and the batch), [`backward`]
//! (the CPU twin's forward and backward passes), [`adamw`], [`cpu`] (the
//! twin's run, sliced by rows), [`file`] (a trained model's file) and [`gpu`]
//! (the same step in WGSL). Their items are re-exported here.

pub mod adamw;
pub mod backward;
pub mod cpu;
pub mod file;
pub mod gpu;
pub mod params;
#[cfg(test)]
mod tests;

pub use adamw::AdamW;
pub use backward::{accumulate_classifier_rows, accumulate_rows, classifier_loss_and_grads, loss_and_grads};
pub use cpu::CpuTrainer;
pub use file::{data_hash, export_model, import_model, ImportedModel, CLASSIFIER_NAMES, MODEL_BYTES_MAX, TENSOR_NAMES};
pub use gpu::{ArenaLayout, GemmMode, GemmParams, GpuTrainer, TrainParams, Watched, TRAIN_WGSL};
pub use params::{classifier_shapes, shapes, ClassifierParams, ScoreParams, TrainBatch, CLF_INPUT, INPUT, LABEL_DROPOUT};

use crate::science::targets::Target;

/// A training run's settings (the page's recipe keys).
#[derive(Clone, Debug, PartialEq)]
pub struct Recipe {
    pub steps: usize,
    pub batch: usize,
    /// The peak learning rate, after a linear warm-up, then a cosine decay to 0.5 % of it.
    pub lr: f64,
    pub warmup: usize,
    pub weight_decay: f64,
    /// Training times `t = T_MIN + (1 − T_MIN) u^t_power`.
    pub t_power: i32,
    pub seed: u32,
    /// What the network learns to output (science::targets).
    pub target: Target,
    /// Also train the noisy-input classifier (for classifier guidance) on
    /// each step's noised points, beside the score network, with the same
    /// optimizer and schedule; it starts from [`ClassifierParams::init`] at
    /// the recipe's seed.
    pub classifier: bool,
}

/// The drawn-set recipe: 1 200 steps of batch 256, peak rate 1e-2 after
/// 100 warm-up steps, `t ∝ u²` (more of the training at low noise). It brings
/// a 1 000-point two-moons set within 1.2× of the data-vs-data energy
/// distance (the test `a_short_recipe_learns_a_drawn_set`). Shorter runs
/// measured the same way stay further off: 300 steps of batch 512 at 2e-2
/// 2.3×, 600 of 256 at 1e-2 4.6×, 300 of 128 at 1e-2 22×.
impl Default for Recipe {
    fn default() -> Self {
        Self { steps: 1200, batch: 256, lr: 1e-2, warmup: 100, weight_decay: 0.0, t_power: 2, seed: 1, target: Target::Eps, classifier: false }
    }
}

impl Recipe {
    /// The learning rate of step `step` (the native trainer's schedule), in
    /// f32 as the AdamW kernel computes it.
    pub fn lr_at(&self, step: u32) -> f32 {
        let (peak, warmup, total) = (self.lr as f32, self.warmup as u32, self.steps as u32);
        if step < warmup {
            return peak * (step + 1) as f32 / warmup as f32;
        }
        let p = ((step - warmup) as f32 / total.saturating_sub(warmup).max(1) as f32).min(1.0);
        peak * 0.5 * (1.0 + (std::f32::consts::PI * p).cos()).max(0.01)
    }
}

/// The EMA's decay after step `step`: `min(0.999, (1 + step)/(10 + step))`, in f32.
pub fn ema_decay(step: u32) -> f32 {
    ((1 + step) as f32 / (10 + step) as f32).min(0.999)
}
