//! Training the score MLP in the page (issue 12, in progress): the CPU
//! twin of the training step — the class-conditional ε-MLP's forward pass
//! over a batch, its backward pass written out by hand, the loss, and
//! AdamW — in f32 on the page's thread. It is the reference the WGSL
//! training kernels will be tested against, and it is tested against candle
//! (`tools/train`: every parameter's gradient and one AdamW step of the
//! same network on the same batch, against `backward()` and
//! `candle_nn::AdamW`).
//!
//! The network is model::mlp's (the shipped architecture) in the weights
//! file's layout: dense layers `W [out, in]` row-major and `b [out]`, the
//! first layer's input `[x, temb(t), E[c]]` (2 + 32 + 16), three SiLU layers
//! of 128 units, and the class table `E [(C + 1), 16]` whose last row is the
//! null class. The loss is candle's `mse`: the mean over the batch and both
//! coordinates of `(ε̂ − ε)²`.

use crate::engine::quality::T_MIN;
use crate::model::mlp::{time_embedding, CLASS_DIM, HIDDEN, TIME_DIM};
use crate::science::rng::{gaussian2, hash_key, unit};
use crate::science::schedule::VpSde;

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
}

/// One training batch: noised inputs `x_t`, their time embeddings, labels
/// (the null class is `num_classes`) and the noise ε to predict.
#[derive(Clone, Debug)]
pub struct TrainBatch {
    pub x_t: Vec<[f32; 2]>,
    pub temb: Vec<[f32; TIME_DIM]>,
    pub labels: Vec<u32>,
    pub eps: Vec<[f32; 2]>,
}

impl TrainBatch {
    /// Batch `step` for `seed` from a point set (the drawn data): `batch`
    /// draws of its points (uniform over them), times
    /// `t = T_MIN + (1 − T_MIN) u^t_power`, noise ε, `x_t = a_t x0 + σ_t ε`
    /// on the VP SDE, and labels dropped to the null class `num_classes`
    /// with probability [`LABEL_DROPOUT`]. Every draw comes from the counter
    /// RNG keyed by (seed, row, step), so a batch is the same on any backend.
    pub fn draw(points: &[[f32; 2]], labels: &[u32], num_classes: usize, batch: usize, step: u32, seed: u32, t_power: i32) -> Self {
        let sde = VpSde::default();
        let mut out = TrainBatch { x_t: Vec::with_capacity(batch), temb: Vec::with_capacity(batch), labels: Vec::with_capacity(batch), eps: Vec::with_capacity(batch) };
        for i in 0..batch as u32 {
            let h = hash_key(seed, i, step, 3);
            let k = ((unit(h[2]) * points.len() as f32) as usize).min(points.len() - 1);
            let t = T_MIN + (1.0 - T_MIN) * unit(h[0]).powi(t_power);
            let ab = sde.alpha_bar(t as f64);
            let (a, s) = (ab.sqrt() as f32, (1.0 - ab).sqrt() as f32);
            let e = gaussian2(seed, i, step, 4);
            out.x_t.push([a * points[k][0] + s * e[0], a * points[k][1] + s * e[1]]);
            out.temb.push(time_embedding(t));
            out.labels.push(if unit(h[1]) < LABEL_DROPOUT { num_classes as u32 } else { labels[k] });
            out.eps.push(e);
        }
        out
    }
}

fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

/// `y = W u + b` for `W [out, in]`.
fn dense(w: &[f32], b: &[f32], u: &[f32], y: &mut [f32]) {
    let n = u.len();
    for (o, y) in y.iter_mut().enumerate() {
        *y = b[o] + w[o * n..(o + 1) * n].iter().zip(u).map(|(a, v)| a * v).sum::<f32>();
    }
}

/// The batch's loss and every parameter's gradient.
pub fn loss_and_grads(p: &ScoreParams, batch: &TrainBatch) -> (f32, ScoreParams) {
    let t = &p.tensors;
    let mut g = ScoreParams::zeros(p.num_classes);
    let scale = 2.0 / (2 * batch.x_t.len()) as f32;
    let mut loss = 0.0f64;
    let (mut u, mut z0, mut z1, mut z2) = ([0.0f32; INPUT], [0.0f32; HIDDEN], [0.0f32; HIDDEN], [0.0f32; HIDDEN]);
    let (mut h0, mut h1, mut h2) = ([0.0f32; HIDDEN], [0.0f32; HIDDEN], [0.0f32; HIDDEN]);
    let (mut d0, mut d1, mut d2) = ([0.0f32; HIDDEN], [0.0f32; HIDDEN], [0.0f32; HIDDEN]);
    for i in 0..batch.x_t.len() {
        let c = batch.labels[i] as usize;
        u[..2].copy_from_slice(&batch.x_t[i]);
        u[2..2 + TIME_DIM].copy_from_slice(&batch.temb[i]);
        u[2 + TIME_DIM..].copy_from_slice(&t[8][c * CLASS_DIM..(c + 1) * CLASS_DIM]);
        dense(&t[0], &t[1], &u, &mut z0);
        h0.iter_mut().zip(&z0).for_each(|(h, z)| *h = z * sigmoid(*z));
        dense(&t[2], &t[3], &h0, &mut z1);
        h1.iter_mut().zip(&z1).for_each(|(h, z)| *h = z * sigmoid(*z));
        dense(&t[4], &t[5], &h1, &mut z2);
        h2.iter_mut().zip(&z2).for_each(|(h, z)| *h = z * sigmoid(*z));
        let mut out = [0.0f32; 2];
        dense(&t[6], &t[7], &h2, &mut out);
        let r = [out[0] - batch.eps[i][0], out[1] - batch.eps[i][1]];
        loss += (r[0] * r[0] + r[1] * r[1]) as f64;
        let dout = [scale * r[0], scale * r[1]];
        // Back through the layers: dW += δ ⊗ input, db += δ, δ_in = Wᵀδ · SiLU'(z).
        for o in 0..2 {
            g.tensors[7][o] += dout[o];
            for (gw, h) in g.tensors[6][o * HIDDEN..(o + 1) * HIDDEN].iter_mut().zip(&h2) {
                *gw += dout[o] * h;
            }
        }
        for k in 0..HIDDEN {
            let s = sigmoid(z2[k]);
            d2[k] = (dout[0] * t[6][k] + dout[1] * t[6][HIDDEN + k]) * s * (1.0 + z2[k] * (1.0 - s));
        }
        back(&t[4], &d2, &h1, &z1, &mut g.tensors, 4, &mut d1);
        back(&t[2], &d1, &h0, &z0, &mut g.tensors, 2, &mut d0);
        for o in 0..HIDDEN {
            g.tensors[1][o] += d0[o];
            for (gw, v) in g.tensors[0][o * INPUT..(o + 1) * INPUT].iter_mut().zip(&u) {
                *gw += d0[o] * v;
            }
        }
        // The class embedding's gradient: W0's class columns transposed times δ0.
        for j in 0..CLASS_DIM {
            let col = 2 + TIME_DIM + j;
            g.tensors[8][c * CLASS_DIM + j] += (0..HIDDEN).map(|o| t[0][o * INPUT + col] * d0[o]).sum::<f32>();
        }
    }
    ((loss / (2 * batch.x_t.len()) as f64) as f32, g)
}

/// One hidden layer's backward: `W`'s gradient (at `grads[at]`, its bias at
/// `at + 1`) from `delta` and the layer's input `input`, and the previous
/// layer's δ through SiLU' at its pre-activation `z_prev`.
fn back(w: &[f32], delta: &[f32; HIDDEN], input: &[f32; HIDDEN], z_prev: &[f32; HIDDEN], grads: &mut [Vec<f32>; 9], at: usize, prev: &mut [f32; HIDDEN]) {
    for o in 0..HIDDEN {
        grads[at + 1][o] += delta[o];
        for (gw, h) in grads[at][o * HIDDEN..(o + 1) * HIDDEN].iter_mut().zip(input) {
            *gw += delta[o] * h;
        }
    }
    for k in 0..HIDDEN {
        let s = sigmoid(z_prev[k]);
        let back = (0..HIDDEN).map(|o| w[o * HIDDEN + k] * delta[o]).sum::<f32>();
        prev[k] = back * s * (1.0 + z_prev[k] * (1.0 - s));
    }
}

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
}

impl AdamW {
    /// candle_nn's defaults for the moments, the given rate and weight decay.
    pub fn new(num_classes: usize, lr: f64, weight_decay: f64) -> Self {
        Self { lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay, step: 0, m: ScoreParams::zeros(num_classes), v: ScoreParams::zeros(num_classes) }
    }

    pub fn update(&mut self, p: &mut ScoreParams, g: &ScoreParams) {
        self.step += 1;
        let (b1, b2) = (self.beta1 as f32, self.beta2 as f32);
        let scale_m = (1.0 / (1.0 - self.beta1.powi(self.step))) as f32;
        let scale_v = (1.0 / (1.0 - self.beta2.powi(self.step))) as f32;
        let (lr, decay, eps) = (self.lr as f32, (1.0 - self.lr * self.weight_decay) as f32, self.eps as f32);
        for k in 0..9 {
            for (((theta, g), m), v) in p.tensors[k].iter_mut().zip(&g.tensors[k]).zip(self.m.tensors[k].iter_mut()).zip(self.v.tensors[k].iter_mut()) {
                *m = *m * b1 + g * (1.0 - b1);
                *v = *v * b2 + g * g * (1.0 - b2);
                let adjusted = (*m * scale_m) / ((*v * scale_v).sqrt() + eps);
                *theta = *theta * decay - adjusted * lr;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::science::datasets::Dataset;

    /// Small random starting weights (the trainer's U(±1/√fan-in) range,
    /// from the counter RNG), for the twin's own tests.
    fn init(num_classes: usize, seed: u32) -> ScoreParams {
        let mut p = ScoreParams::zeros(num_classes);
        for (k, ((t, (_, fan_in)), key)) in p.tensors.iter_mut().zip(shapes(num_classes)).zip(0u32..).enumerate() {
            let bound = if k == 8 { 1.7 } else { 1.0 / ((if k % 2 == 0 { fan_in } else { shapes(num_classes)[k - 1].1 }) as f32).sqrt() };
            for (j, v) in t.iter_mut().enumerate() {
                *v = bound * (2.0 * unit(hash_key(seed, j as u32, key, 9)[0]) - 1.0);
            }
        }
        p
    }

    /// 300 steps of batch 128 on the two-moons points: the loss falls (the
    /// mean of the last 50 steps below 0.7 of the first 50's), and the run
    /// is the same twice (deterministic for a seed).
    #[test]
    fn the_loss_falls_and_training_is_deterministic() {
        let (xs, labels) = Dataset::Moons.sample(2000, 3);
        let labels: Vec<u32> = labels.iter().map(|&l| l as u32).collect();
        let run = || {
            let mut p = init(2, 1);
            let mut opt = AdamW::new(2, 2e-3, 0.0);
            let mut losses = Vec::new();
            for step in 0..300 {
                let b = TrainBatch::draw(&xs, &labels, 2, 128, step, 1, 1);
                let (loss, g) = loss_and_grads(&p, &b);
                opt.update(&mut p, &g);
                losses.push(loss);
            }
            (p, losses)
        };
        let (p, losses) = run();
        let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len() as f32;
        let (first, last) = (mean(&losses[..50]), mean(&losses[250..]));
        eprintln!("loss {first:.3} → {last:.3}");
        assert!(last < 0.7 * first, "{first} → {last}");
        assert_eq!(run().0, p);
    }

    /// The batch draws: labels dropped to the null class at about 15 %
    /// (binomial sd of 4 000 draws: 0.6 %), x_t of unit-ish scale.
    #[test]
    fn batches_drop_labels_at_the_stated_rate() {
        let pts = vec![[1.0f32, 0.0], [0.0, 1.0]];
        let b = TrainBatch::draw(&pts, &[0, 1], 2, 4000, 7, 2, 1);
        let dropped = b.labels.iter().filter(|&&l| l == 2).count() as f32 / 4000.0;
        assert!((dropped - LABEL_DROPOUT).abs() < 0.025, "{dropped}");
        assert!(b.x_t.iter().all(|x| x[0].is_finite() && x[0].abs() < 6.0));
    }
}
