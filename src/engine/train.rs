//! Training the score MLP in the page (issue 12; web::train runs it): the
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

use crate::engine::quality::T_MIN;
use crate::model::mlp::{time_embedding, CLASS_DIM, CLF_HIDDEN, HIDDEN, TIME_DIM};
use crate::science::rng::{gaussian2, hash_key, unit};
use crate::science::schedule::VpSde;
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

fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

/// The batch's loss and every parameter's gradient.
pub fn loss_and_grads(p: &ScoreParams, batch: &TrainBatch) -> (f32, ScoreParams) {
    let mut g = ScoreParams::zeros(p.num_classes);
    let loss = accumulate_rows(p, batch, 0..batch.x_t.len(), &mut g);
    ((loss / (2 * batch.x_t.len()) as f64) as f32, g)
}

/// Rows the CPU twin carries through the network together: every layer
/// loops over a block's rows innermost, so the wasm build's 128-bit SIMD
/// does four rows at once. Each row's arithmetic is exactly the one-row
/// pass's, and every gradient entry gathers its rows in order, so the sums
/// are the same bits whatever the blocks (the tests compare slicings).
const RB: usize = 8;

/// `out[o][l] = bias[o] + Σ_k w[o][k] · input[k][l]` over a block (the sum
/// from 0 in increasing k, then the bias: the one-row pass's order).
fn dense_block<const K: usize>(w: &[f32], bias: &[f32], input: &[[f32; RB]; K], out: &mut [[f32; RB]]) {
    for (o, row_out) in out.iter_mut().enumerate() {
        let row = &w[o * K..(o + 1) * K];
        let mut acc = [0.0f32; RB];
        for (wk, x) in row.iter().zip(input) {
            for l in 0..RB {
                acc[l] += wk * x[l];
            }
        }
        for l in 0..RB {
            row_out[l] = bias[o] + acc[l];
        }
    }
}

/// `SiLU'(z) = σ(z)(1 + z(1 − σ(z)))`, as the one-row pass wrote it.
fn silu_grad_times(back: f32, z: f32) -> f32 {
    let s = sigmoid(z);
    back * s * (1.0 + z * (1.0 - s))
}

/// `g[o][k] += Σ_l δ[o][l] · input[l][k]`, the rows in order (input by row).
fn outer_add(g: &mut [f32], delta: &[[f32; RB]], input_rows: &[[f32; HIDDEN]; RB], width: usize, n: usize) {
    for (o, d) in delta.iter().enumerate() {
        let gr = &mut g[o * width..(o + 1) * width];
        for l in 0..n {
            let dl = d[l];
            for (gw, v) in gr.iter_mut().zip(&input_rows[l][..width]) {
                *gw += dl * v;
            }
        }
    }
}

/// One hidden layer's backward over a block: `W`'s gradient (at
/// `grads[at]`, its bias at `at + 1`) from `delta` and the layer's input,
/// and the previous layer's δ through SiLU' at its pre-activation `z_prev`
/// (`Σ_o W[o][k] δ[o]` from 0 in increasing o, as the one-row pass).
#[allow(clippy::too_many_arguments)]
fn back_block(w: &[f32], delta: &[[f32; RB]; HIDDEN], input_rows: &[[f32; HIDDEN]; RB], z_prev: &[[f32; RB]; HIDDEN], grads: &mut [Vec<f32>; 9], at: usize, prev: &mut [[f32; RB]; HIDDEN], n: usize) {
    for (o, d) in delta.iter().enumerate() {
        for dl in &d[..n] {
            grads[at + 1][o] += dl;
        }
    }
    outer_add(&mut grads[at], delta, input_rows, HIDDEN, n);
    let mut acc = [[0.0f32; RB]; HIDDEN];
    for (o, d) in delta.iter().enumerate() {
        let row = &w[o * HIDDEN..(o + 1) * HIDDEN];
        for (a, wk) in acc.iter_mut().zip(row) {
            for l in 0..RB {
                a[l] += wk * d[l];
            }
        }
    }
    for k in 0..HIDDEN {
        for l in 0..RB {
            prev[k][l] = silu_grad_times(acc[k][l], z_prev[k][l]);
        }
    }
}

/// A block's activations by row (for the weight gradients' contiguous loops).
fn rows_of<const K: usize>(cols: &[[f32; RB]; K]) -> [[f32; HIDDEN]; RB] {
    let mut out = [[0.0f32; HIDDEN]; RB];
    for (k, c) in cols.iter().enumerate() {
        for l in 0..RB {
            out[l][k] = c[l];
        }
    }
    out
}

/// Adds rows `rows` of the batch's gradient into `g` (in row order, so
/// slices of a batch add up to exactly [`loss_and_grads`]' sums) and
/// returns their summed weighted squared error.
pub fn accumulate_rows(p: &ScoreParams, batch: &TrainBatch, rows: std::ops::Range<usize>, g: &mut ScoreParams) -> f64 {
    let t = &p.tensors;
    let scale = 2.0 / (2 * batch.x_t.len()) as f32;
    let mut loss = 0.0f64;
    let mut first = rows.start;
    while first < rows.end {
        let n = (rows.end - first).min(RB);
        // The inputs u = [x_t, temb(t), E[c]] of the block's rows, by feature (lanes past n stay 0).
        let mut u = [[0.0f32; RB]; INPUT];
        for l in 0..n {
            let i = first + l;
            let c = batch.labels[i] as usize;
            let row = batch.x_t[i].iter().chain(&batch.temb[i]).chain(&t[8][c * CLASS_DIM..(c + 1) * CLASS_DIM]);
            for (k, v) in row.enumerate() {
                u[k][l] = *v;
            }
        }
        let (mut z0, mut z1, mut z2) = ([[0.0f32; RB]; HIDDEN], [[0.0f32; RB]; HIDDEN], [[0.0f32; RB]; HIDDEN]);
        let (mut h0, mut h1, mut h2) = ([[0.0f32; RB]; HIDDEN], [[0.0f32; RB]; HIDDEN], [[0.0f32; RB]; HIDDEN]);
        let silu_all = |z: &[[f32; RB]; HIDDEN], h: &mut [[f32; RB]; HIDDEN]| {
            for (hk, zk) in h.iter_mut().zip(z) {
                for l in 0..RB {
                    hk[l] = zk[l] * sigmoid(zk[l]);
                }
            }
        };
        dense_block(&t[0], &t[1], &u, &mut z0);
        silu_all(&z0, &mut h0);
        dense_block(&t[2], &t[3], &h0, &mut z1);
        silu_all(&z1, &mut h1);
        dense_block(&t[4], &t[5], &h1, &mut z2);
        silu_all(&z2, &mut h2);
        let mut out = [[0.0f32; RB]; 2];
        dense_block(&t[6], &t[7], &h2, &mut out);
        // The weighted loss and ∂L/∂out (0 in the lanes past n).
        let mut dout = [[0.0f32; RB]; 2];
        for l in 0..n {
            let i = first + l;
            let (y, w) = (batch.target[i], batch.weight[i]);
            let r = [out[0][l] - y[0], out[1][l] - y[1]];
            loss += (w * (r[0] * r[0] + r[1] * r[1])) as f64;
            dout[0][l] = scale * w * r[0];
            dout[1][l] = scale * w * r[1];
        }
        // Back through the layers: dW += δ ⊗ input, db += δ, δ_in = Wᵀδ · SiLU'(z).
        let h2_rows = rows_of(&h2);
        for (o, d) in dout.iter().enumerate() {
            for dl in &d[..n] {
                g.tensors[7][o] += dl;
            }
        }
        outer_add(&mut g.tensors[6], &dout, &h2_rows, HIDDEN, n);
        let mut d2 = [[0.0f32; RB]; HIDDEN];
        for k in 0..HIDDEN {
            for l in 0..RB {
                d2[k][l] = silu_grad_times(dout[0][l] * t[6][k] + dout[1][l] * t[6][HIDDEN + k], z2[k][l]);
            }
        }
        let (mut d1, mut d0) = ([[0.0f32; RB]; HIDDEN], [[0.0f32; RB]; HIDDEN]);
        back_block(&t[4], &d2, &rows_of(&h1), &z1, &mut g.tensors, 4, &mut d1, n);
        back_block(&t[2], &d1, &rows_of(&h0), &z0, &mut g.tensors, 2, &mut d0, n);
        for (o, d) in d0.iter().enumerate() {
            for dl in &d[..n] {
                g.tensors[1][o] += dl;
            }
        }
        outer_add(&mut g.tensors[0], &d0, &rows_of(&u), INPUT, n);
        // The class embedding's gradient: W0's class columns transposed times δ0 (from 0, increasing o).
        let mut emb = [[0.0f32; RB]; CLASS_DIM];
        for (o, d) in d0.iter().enumerate() {
            let w_class = &t[0][o * INPUT + 2 + TIME_DIM..(o + 1) * INPUT];
            for (e, wj) in emb.iter_mut().zip(w_class) {
                for l in 0..RB {
                    e[l] += wj * d[l];
                }
            }
        }
        for l in 0..n {
            let c = batch.labels[first + l] as usize;
            for (j, e) in emb.iter().enumerate() {
                g.tensors[8][c * CLASS_DIM + j] += e[l];
            }
        }
        first += n;
    }
    loss
}

/// `out[o] = Σ_k w[o][k] · input[k] + bias[o]` (the sum from 0 in
/// increasing k, then the bias: the `gemm` kernel's order).
fn dense_row(w: &[f32], bias: &[f32], input: &[f32], out: &mut [f32]) {
    for (o, v) in out.iter_mut().enumerate() {
        let mut acc = 0.0f32;
        for (wk, x) in w[o * input.len()..(o + 1) * input.len()].iter().zip(input) {
            acc += wk * x;
        }
        *v = bias[o] + acc;
    }
}

/// `δ_in[k] = (Σ_o W[o][k] δ[o]) · SiLU'(z[k])` (from 0 in increasing o), and
/// the layer's gradients `dW += δ ⊗ input`, `db += δ`.
fn back_row(w: &[f32], delta: &[f32], input: &[f32], grads: (&mut [f32], &mut [f32]), z_prev: Option<&[f32]>, prev: &mut [f32]) {
    let width = input.len();
    for (o, &d) in delta.iter().enumerate() {
        grads.1[o] += d;
        for (gw, x) in grads.0[o * width..(o + 1) * width].iter_mut().zip(input) {
            *gw += d * x;
        }
    }
    let Some(z) = z_prev else { return };
    for (k, p) in prev.iter_mut().enumerate() {
        let mut acc = 0.0f32;
        for (o, &d) in delta.iter().enumerate() {
            acc += w[o * width + k] * d;
        }
        *p = silu_grad_times(acc, z[k]);
    }
}

/// Adds rows `rows` of the classifier's gradient into `g` (in row order,
/// as [`accumulate_rows`]) and returns their summed cross-entropy: candle's
/// `cross_entropy` of the logits at `[clf_x, temb]` and the point's class,
/// the mean over the batch (so `∂L/∂logit = (softmax − onehot)/B`).
pub fn accumulate_classifier_rows(p: &ClassifierParams, batch: &TrainBatch, rows: std::ops::Range<usize>, g: &mut ClassifierParams) -> f64 {
    let t = &p.tensors;
    let c = p.num_classes;
    let inv_b = 1.0 / batch.x_t.len() as f32;
    let mut loss = 0.0f64;
    let (mut u, mut z0, mut h0, mut z1, mut h1) = ([0.0f32; CLF_INPUT], [0.0f32; CLF_HIDDEN], [0.0f32; CLF_HIDDEN], [0.0f32; CLF_HIDDEN], [0.0f32; CLF_HIDDEN]);
    let (mut logits, mut dlogits) = (vec![0.0f32; c], vec![0.0f32; c]);
    let (mut d1, mut d0, mut unused) = ([0.0f32; CLF_HIDDEN], [0.0f32; CLF_HIDDEN], [0.0f32; 0]);
    for i in rows {
        u[..2].copy_from_slice(&batch.clf_x[i]);
        u[2..].copy_from_slice(&batch.temb[i]);
        dense_row(&t[0], &t[1], &u, &mut z0);
        for (h, z) in h0.iter_mut().zip(&z0) {
            *h = z * sigmoid(*z);
        }
        dense_row(&t[2], &t[3], &h0, &mut z1);
        for (h, z) in h1.iter_mut().zip(&z1) {
            *h = z * sigmoid(*z);
        }
        dense_row(&t[4], &t[5], &h1, &mut logits);
        let m = logits.iter().fold(f32::MIN, |a, &l| a.max(l));
        let sum: f32 = logits.iter().map(|l| (l - m).exp()).sum();
        let y = batch.classes[i] as usize;
        loss += (m + sum.ln() - logits[y]) as f64;
        for (k, (d, l)) in dlogits.iter_mut().zip(&logits).enumerate() {
            *d = ((l - m).exp() / sum - f32::from(k == y)) * inv_b;
        }
        let [gv0, gc0, gv1, gc1, gv2, gc2] = &mut g.tensors;
        back_row(&t[4], &dlogits, &h1, (gv2, gc2), Some(&z1), &mut d1);
        back_row(&t[2], &d1, &h0, (gv1, gc1), Some(&z0), &mut d0);
        back_row(&t[0], &d0, &u, (gv0, gc0), None, &mut unused);
    }
    loss
}

/// The batch's classifier loss (the mean cross-entropy) and its gradients.
pub fn classifier_loss_and_grads(p: &ClassifierParams, batch: &TrainBatch) -> (f32, ClassifierParams) {
    let mut g = ClassifierParams::zeros(p.num_classes);
    let loss = accumulate_classifier_rows(p, batch, 0..batch.x_t.len(), &mut g);
    ((loss / batch.x_t.len() as f64) as f32, g)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::science::datasets::Dataset;

    /// 300 steps of batch 128 on the two-moons points: the loss falls (the
    /// mean of the last 50 steps below 0.7 of the first 50's).
    #[test]
    fn the_loss_falls() {
        let (xs, labels) = Dataset::Moons.sample(2000, 3);
        let labels: Vec<u32> = labels.iter().map(|&l| l as u32).collect();
        let run = || {
            let mut p = ScoreParams::init(2, 1);
            let mut opt = AdamW::new(2, 2e-3, 0.0);
            let mut losses = Vec::new();
            for step in 0..300 {
                let b = TrainBatch::draw(&xs, &labels, 2, 128, step, 1, 1, Target::Eps);
                let (loss, g) = loss_and_grads(&p, &b);
                opt.update(&mut p, &g);
                losses.push(loss);
            }
            (p, losses)
        };
        let (_, losses) = run();
        let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len() as f32;
        let (first, last) = (mean(&losses[..50]), mean(&losses[250..]));
        eprintln!("loss {first:.3} → {last:.3}");
        assert!(last < 0.7 * first, "{first} → {last}");
    }

    #[test]
    fn uniforms_match_the_wgsl_layout() {
        use crate::engine::gpu::wgsl_layout;
        use std::mem::{offset_of, size_of};
        let (members, span) = wgsl_layout(TRAIN_WGSL, "GemmParams");
        assert_eq!(span as usize, size_of::<GemmParams>());
        for (f, o) in [("m", offset_of!(GemmParams, m)), ("mode", offset_of!(GemmParams, mode)), ("a_cs", offset_of!(GemmParams, a_cs)), ("b_off", offset_of!(GemmParams, b_off)), ("c_rs", offset_of!(GemmParams, c_rs)), ("bias_off", offset_of!(GemmParams, bias_off)), ("z_off", offset_of!(GemmParams, z_off))] {
            assert_eq!(members.iter().find(|(m, _)| m == f).map(|(_, off)| *off as usize), Some(o), "GemmParams.{f}");
        }
        let (members, span) = wgsl_layout(TRAIN_WGSL, "TrainParams");
        assert_eq!(span as usize, size_of::<TrainParams>());
        for (f, o) in [
            ("batch", offset_of!(TrainParams, batch)),
            ("t_power", offset_of!(TrainParams, t_power)),
            ("step_off", offset_of!(TrainParams, step_off)),
            ("demb_off", offset_of!(TrainParams, demb_off)),
            ("g_off", offset_of!(TrainParams, g_off)),
            ("ema_off", offset_of!(TrainParams, ema_off)),
            ("total", offset_of!(TrainParams, total)),
            ("t_min", offset_of!(TrainParams, t_min)),
            ("lr", offset_of!(TrainParams, lr)),
            ("weight_decay", offset_of!(TrainParams, weight_decay)),
            ("clf", offset_of!(TrainParams, clf)),
            ("clf_u_off", offset_of!(TrainParams, clf_u_off)),
            ("clf_loss_off", offset_of!(TrainParams, clf_loss_off)),
            ("pad", offset_of!(TrainParams, pad)),
        ] {
            assert_eq!(members.iter().find(|(m, _)| m == f).map(|(_, off)| *off as usize), Some(o), "TrainParams.{f}");
        }
    }

    /// A drawn-size set (1 000 two-moons points) trained by the CPU twin
    /// with `recipe`, then sampled (DDIM, 50 steps, all classes) from the
    /// moving-average weights read as the recipe's target: the energy
    /// distance of 1 000 samples to the points, that of the starting
    /// weights, and the data-vs-data distance of the same sizes (its mean
    /// over 20 pairs of fresh moons draws, the null), with the losses.
    fn learn_moons(recipe: Recipe) -> (f64, f64, f64, Vec<f32>) {
        use crate::engine::cpu::CpuSampler;
        use crate::model::{Conditioning, ScoreModel};
        use crate::science::metrics::energy_distance;
        use crate::science::plan::{SamplerKind, Spacing, StepPlan};
        use crate::science::schedule::ScheduleKind;
        let (xs, labels) = Dataset::Moons.sample(1000, 11);
        let labels: Vec<u32> = labels.iter().map(|&l| l as u32).collect();
        let (steps, target) = (recipe.steps, recipe.target);
        let mut trainer = CpuTrainer::new(ScoreParams::init(2, 1), xs.clone(), labels, recipe);
        let start = trainer.ema.clone();
        trainer.run_steps(steps);
        let sample = |p: &ScoreParams| {
            let model = ScoreModel::Mlp { score: p.score_mlp().with_target(target), classifier: None };
            let plan = StepPlan::build(ScheduleKind::VpLinear, SamplerKind::Ddim { eta: 0.0 }, 50, Spacing::Uniform);
            let mut s = CpuSampler::new(plan.clone(), model, Conditioning::class(None), 5, 1000);
            s.run_steps(plan.len());
            energy_distance(&s.particles, &xs)
        };
        let null = (0..20).map(|r| energy_distance(&Dataset::Moons.sample(1000, 100 + 2 * r).0, &Dataset::Moons.sample(1000, 101 + 2 * r).0)).sum::<f64>() / 20.0;
        (sample(&trainer.ema), sample(&start), null, trainer.losses)
    }

    /// The default recipe (ε): within 2× the data-vs-data distance (the
    /// issue's bar). Measured: 1.19× (0.0050 against 0.0042). The recipe was
    /// found by measuring here: at lr 2e-3 with uniform t the same 1 200
    /// steps reach 11×, at 5e-3 4.4×, at 1e-2 2.2×; u² time sampling brings
    /// it to 1.19×. The starting weights (the control) are far outside.
    #[test]
    fn a_short_recipe_learns_a_drawn_set() {
        let (trained, untrained, null, losses) = learn_moons(Recipe::default());
        let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len() as f32;
        eprintln!("loss {:.3} → {:.3}; energy distance {trained:.4} (untrained {untrained:.4}), data-vs-data {null:.4}", mean(&losses[..50]), mean(&losses[losses.len() - 50..]));
        assert!(trained < 2.0 * null, "{trained} against {null}");
        assert!(untrained > 10.0 * null, "the control: {untrained}");
    }

    /// The other targets with the same recipe (tuned for ε) and their
    /// comparable loss weights (science::targets), read as ε̂ by the
    /// sampler: each learns the set. Measured, as ratios to the null: v
    /// 2.42×, x0 5.30×, flow 5.27× (x0's reading multiplies its errors by
    /// a/σ near the data; flow's weight (1−s)² gives the low-noise end
    /// less). The bars are 1.5× those; the untrained control stays far out.
    #[test]
    fn every_target_learns_a_drawn_set() {
        for (target, bar) in [(Target::X0, 8.0), (Target::V, 3.6), (Target::Flow, 8.0)] {
            let (trained, untrained, null, _) = learn_moons(Recipe { target, ..Recipe::default() });
            eprintln!("{target:?}: energy distance {trained:.4} ({:.2}× the null {null:.4}); untrained {untrained:.4}", trained / null);
            assert!(trained < bar * null, "{target:?}: {trained} against {null}");
            assert!(untrained > 10.0 * null, "{target:?}, the control: {untrained}");
        }
    }

    /// The page cuts steps into row slices of any size: the weights, their
    /// average and the losses are the same bits as whole steps. The control:
    /// a different seed's run differs.
    #[test]
    fn slices_of_any_size_train_the_same_bits() {
        let (xs, labels) = Dataset::Moons.sample(300, 2);
        let labels: Vec<u32> = labels.iter().map(|&l| l as u32).collect();
        let recipe = Recipe { steps: 7, batch: 48, classifier: true, ..Recipe::default() };
        let mut whole = CpuTrainer::new(ScoreParams::init(2, 3), xs.clone(), labels.clone(), recipe.clone());
        assert_eq!(whole.run_steps(100), 7);
        assert_eq!(whole.clf_losses.len(), 7);
        for rows in [1, 5, 17, 48, 100] {
            let mut sliced = CpuTrainer::new(ScoreParams::init(2, 3), xs.clone(), labels.clone(), recipe.clone());
            while !sliced.done() {
                assert!(sliced.work(rows) > 0);
            }
            assert_eq!((&sliced.params, &sliced.ema, &sliced.losses), (&whole.params, &whole.ema, &whole.losses), "slices of {rows} rows");
            assert_eq!((&sliced.clf, &sliced.clf_losses), (&whole.clf, &whole.clf_losses), "the classifier, slices of {rows} rows");
        }
        // The classifier trains beside the score network without changing it.
        let mut alone = CpuTrainer::new(ScoreParams::init(2, 3), xs.clone(), labels.clone(), Recipe { classifier: false, ..recipe.clone() });
        alone.run_steps(7);
        assert_eq!((&alone.params, &alone.losses, &alone.clf), (&whole.params, &whole.losses, &None));
        let mut other = CpuTrainer::new(ScoreParams::init(2, 3), xs, labels, Recipe { seed: 2, ..recipe });
        other.run_steps(7);
        assert_ne!(other.params, whole.params);
    }

    /// A trained model survives export and import bit for bit; a bad file
    /// gets the reason (not safetensors, too big, a missing or misshapen or
    /// non-finite tensor, a bad class count), and the folded network equals
    /// the loader's folding of the same tensors.
    #[test]
    fn models_round_trip_and_bad_files_say_why() {
        use crate::model::weights::WeightsError;
        use std::collections::BTreeMap;
        let p = ScoreParams::init(3, 4);
        let meta = BTreeMap::from([("seed".to_string(), "4".to_string()), ("data_hash".to_string(), data_hash(&[[1.0, 2.0]], &[0]))]);
        let bytes = export_model(&p, None, &meta).unwrap();
        let (back, no_clf, m) = import_model(&bytes).unwrap();
        assert_eq!((&back, no_clf), (&p, None));
        assert_eq!((m["dataset"].as_str(), m["num_classes"].as_str(), m["seed"].as_str()), ("custom", "3", "4"));
        assert_eq!(back.score_mlp().class_bias, p.score_mlp().class_bias);
        assert!(matches!(import_model(b"not a model"), Err(WeightsError::Parse(_))));
        assert!(matches!(import_model(&vec![0u8; MODEL_BYTES_MAX + 1]), Err(WeightsError::Parse(e)) if e.contains("more than")));
        let mut bad = p.clone();
        bad.tensors[4][7] = f32::NAN;
        assert_eq!(import_model(&export_model(&bad, None, &meta).unwrap()).unwrap_err(), WeightsError::NotFinite("score.w2".into()));
        let mut nine = BTreeMap::new();
        nine.insert("num_classes".to_string(), "9".to_string());
        let mut wrong = export_model(&p, None, &BTreeMap::new()).unwrap();
        // The same tensors under a class count they do not have.
        let tensors = crate::model::weights::read_tensors(&wrong).unwrap();
        wrong = crate::model::weights::serialize(&tensors, &BTreeMap::from([("num_classes".to_string(), "2".to_string())])).unwrap();
        assert!(matches!(import_model(&wrong), Err(WeightsError::BadTensor { ref name, .. }) if name == "score.class_emb"));
        let many = crate::model::weights::serialize(&tensors, &nine).unwrap();
        assert!(matches!(import_model(&many), Err(WeightsError::BadMetadata { key: "num_classes", .. })));
        let missing: Vec<_> = tensors.iter().filter(|t| t.0 != "score.b3").cloned().collect();
        let missing = crate::model::weights::serialize(&missing, &BTreeMap::from([("num_classes".to_string(), "3".to_string())])).unwrap();
        assert_eq!(import_model(&missing).unwrap_err(), WeightsError::MissingTensor("score.b3".into()));
        assert_ne!(data_hash(&[[1.0, 2.0]], &[0]), data_hash(&[[1.0, 2.0]], &[1]));
        // With the classifier: it comes back too; one of its tensors missing,
        // or not finite, is said by name (a file has all six or none).
        let clf = ClassifierParams::init(3, 4);
        let with = export_model(&p, Some(&clf), &meta).unwrap();
        let (back, back_clf, _) = import_model(&with).unwrap();
        assert_eq!((back, back_clf.as_ref()), (p.clone(), Some(&clf)));
        assert_eq!(back_clf.unwrap().classifier().logits([0.3, -1.0], 0.4), clf.classifier().logits([0.3, -1.0], 0.4));
        let tensors = crate::model::weights::read_tensors(&with).unwrap();
        let partial: Vec<_> = tensors.iter().filter(|t| t.0 != "classifier.b1").cloned().collect();
        let partial = crate::model::weights::serialize(&partial, &BTreeMap::from([("num_classes".to_string(), "3".to_string())])).unwrap();
        assert_eq!(import_model(&partial).unwrap_err(), WeightsError::MissingTensor("classifier.b1".into()));
        let mut bad_clf = clf.clone();
        bad_clf.tensors[4][0] = f32::INFINITY;
        assert_eq!(import_model(&export_model(&p, Some(&bad_clf), &meta).unwrap()).unwrap_err(), WeightsError::NotFinite("classifier.w2".into()));
    }

    /// The classifier trained beside the score network by the drawn-set
    /// recipe's first 300 steps (batch 128, two-moons): its cross-entropy
    /// falls (the mean of the last 50 steps below 0.7 of the first 10's,
    /// which start near ln 2), and at low noise (t = 0.02) it names the
    /// class of 1 000 fresh points (noised) at over 93 %; the starting
    /// weights (the control) near chance. Measured: loss 0.69 → 0.36 (the
    /// mean over all t: at high noise no classifier can beat ln 2),
    /// accuracy 96.8 %, untrained 49 %. Fixed seeds: the figures move only
    /// with float rounding.
    #[test]
    fn the_classifier_learns_beside_the_score_network() {
        let (xs, labels) = Dataset::Moons.sample(1000, 3);
        let labels: Vec<u32> = labels.iter().map(|&l| l as u32).collect();
        let recipe = Recipe { steps: 300, batch: 128, classifier: true, ..Recipe::default() };
        let mut run = CpuTrainer::new(ScoreParams::init(2, 1), xs, labels, recipe);
        run.run_steps(300);
        let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len() as f32;
        let (first, last) = (mean(&run.clf_losses[..10]), mean(&run.clf_losses[250..]));
        let (test, test_labels) = Dataset::Moons.sample(1000, 4);
        let accuracy = |c: &crate::model::Classifier| {
            let right = test.iter().zip(&test_labels).enumerate().filter(|(i, (x, &y))| {
                let e = gaussian2(77, *i as u32, 0, 4);
                let (xt, _, _) = Target::Eps.training_pair(**x, e, 0.02);
                let l = c.logits(xt, 0.02);
                (l[1] > l[0]) == (y == 1)
            });
            right.count() as f32 / test.len() as f32
        };
        let (trained, untrained) = (accuracy(&run.clf.as_ref().unwrap().1.classifier()), accuracy(&ClassifierParams::init(2, 1).classifier()));
        eprintln!("classifier loss {first:.3} → {last:.3}; accuracy at t = 0.02 {trained:.3} (untrained {untrained:.3})");
        assert!(last < 0.7 * first, "{first} → {last}");
        assert!(trained > 0.93, "{trained}");
        assert!((untrained - 0.5).abs() < 0.25, "the control: {untrained}");
    }

    /// The batch draws: labels dropped to the null class at about 15 %
    /// (binomial sd of 4 000 draws: 0.6 %), x_t of unit-ish scale.
    #[test]
    fn batches_drop_labels_at_the_stated_rate() {
        let pts = vec![[1.0f32, 0.0], [0.0, 1.0]];
        let b = TrainBatch::draw(&pts, &[0, 1], 2, 4000, 7, 2, 1, Target::Eps);
        let dropped = b.labels.iter().filter(|&&l| l == 2).count() as f32 / 4000.0;
        assert!((dropped - LABEL_DROPOUT).abs() < 0.025, "{dropped}");
        assert!(b.x_t.iter().all(|x| x[0].is_finite() && x[0].abs() < 6.0));
    }
}

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

/// The CPU twin's run: parameters, their exponential moving average (the
/// weights a run keeps), AdamW, and the losses so far; with the recipe's
/// classifier, its parameters, average and losses too. It advances by rows
/// ([`CpuTrainer::work`]) so the page can cut a step into frame-sized
/// slices; the sums are the same however it is cut.
#[derive(Clone, Debug)]
pub struct CpuTrainer {
    pub params: ScoreParams,
    pub ema: ScoreParams,
    pub recipe: Recipe,
    pub step: u32,
    pub losses: Vec<f32>,
    /// The classifier's parameters and their moving average (`recipe.classifier`).
    pub clf: Option<(ClassifierParams, ClassifierParams)>,
    pub clf_losses: Vec<f32>,
    opt: AdamW,
    points: Vec<[f32; 2]>,
    labels: Vec<u32>,
    /// The step under way: its batch, the next row, the gradients and losses so far.
    partial: Option<Partial>,
}

#[derive(Clone, Debug)]
struct Partial {
    batch: TrainBatch,
    at: usize,
    g: ScoreParams,
    loss: f64,
    clf_g: ClassifierParams,
    clf_loss: f64,
}

impl CpuTrainer {
    pub fn new(params: ScoreParams, points: Vec<[f32; 2]>, labels: Vec<u32>, recipe: Recipe) -> Self {
        let opt = AdamW::new(params.num_classes, recipe.lr, recipe.weight_decay);
        let clf = recipe.classifier.then(|| {
            let c = ClassifierParams::init(params.num_classes, recipe.seed);
            (c.clone(), c)
        });
        Self { ema: params.clone(), params, recipe, step: 0, losses: Vec::new(), clf, clf_losses: Vec::new(), opt, points, labels, partial: None }
    }

    pub fn done(&self) -> bool {
        self.step as usize >= self.recipe.steps
    }

    /// Up to `rows` rows of training (across steps); returns the rows done.
    pub fn work(&mut self, rows: usize) -> usize {
        let mut done = 0;
        while done < rows && !self.done() {
            let nc = self.params.num_classes;
            let mut part = match self.partial.take() {
                Some(p) => p,
                None => {
                    let r = &self.recipe;
                    let batch = TrainBatch::draw(&self.points, &self.labels, nc, r.batch, self.step, r.seed, r.t_power, r.target);
                    Partial { batch, at: 0, g: ScoreParams::zeros(nc), loss: 0.0, clf_g: ClassifierParams::zeros(if self.clf.is_some() { nc } else { 0 }), clf_loss: 0.0 }
                }
            };
            let (at, len) = (part.at, part.batch.x_t.len());
            let end = (at + rows - done).min(len);
            part.loss += accumulate_rows(&self.params, &part.batch, at..end, &mut part.g);
            if let Some((cp, _)) = &self.clf {
                part.clf_loss += accumulate_classifier_rows(cp, &part.batch, at..end, &mut part.clf_g);
            }
            done += end - at;
            if end < len {
                part.at = end;
                self.partial = Some(part);
                break;
            }
            self.opt.lr = self.recipe.lr_at(self.step) as f64;
            let decay = ema_decay(self.step);
            let average = |ema: &mut [Vec<f32>], p: &[Vec<f32>]| {
                for (e, p) in ema.iter_mut().flatten().zip(p.iter().flatten()) {
                    *e = decay * *e + (1.0 - decay) * p;
                }
            };
            match &mut self.clf {
                Some((cp, cema)) => {
                    self.opt.update_both(&mut self.params, &part.g, Some((cp, &part.clf_g)));
                    average(&mut cema.tensors, &cp.tensors);
                    self.clf_losses.push((part.clf_loss / len as f64) as f32);
                }
                None => self.opt.update(&mut self.params, &part.g),
            }
            average(&mut self.ema.tensors, &self.params.tensors);
            self.losses.push((part.loss / (2 * len) as f64) as f32);
            self.step += 1;
        }
        done
    }

    /// Up to `count` whole steps (fewer at the end of the recipe); returns how many ran.
    pub fn run_steps(&mut self, count: usize) -> usize {
        let start = self.step;
        let end = (self.step as usize + count).min(self.recipe.steps);
        while (self.step as usize) < end {
            self.work(self.recipe.batch);
        }
        (self.step - start) as usize
    }
}

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

/// The training kernels (shaders/train.wgsl), after the RNG they draw from.
pub const TRAIN_WGSL: &str = concat!(include_str!("../../shaders/rng.wgsl"), "\n", include_str!("../../shaders/train.wgsl"));

/// One `gemm` dispatch's uniform (shaders/train.wgsl, `GemmParams`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, bytemuck::Pod, bytemuck::Zeroable)]
pub struct GemmParams {
    pub m: u32,
    pub n: u32,
    pub k: u32,
    pub mode: u32,
    pub a_off: u32,
    pub a_rs: u32,
    pub a_cs: u32,
    pub b_off: u32,
    pub b_rs: u32,
    pub b_cs: u32,
    pub c_off: u32,
    pub c_rs: u32,
    pub bias_off: u32,
    pub h_off: u32,
    pub z_off: u32,
    pub pad: u32,
}

/// The run's uniform (shaders/train.wgsl, `TrainParams`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, bytemuck::Pod, bytemuck::Zeroable)]
pub struct TrainParams {
    pub batch: u32,
    pub points: u32,
    pub num_classes: u32,
    pub seed: u32,
    pub t_power: u32,
    pub points_off: u32,
    pub freqs_off: u32,
    pub u_off: u32,
    pub target_off: u32,
    pub label_off: u32,
    pub emb_off: u32,
    pub step_off: u32,
    pub out_off: u32,
    pub dout_off: u32,
    pub loss_off: u32,
    pub du_off: u32,
    pub demb_off: u32,
    pub params: u32,
    pub theta_off: u32,
    pub m_off: u32,
    pub v_off: u32,
    pub g_off: u32,
    pub ema_off: u32,
    pub warmup: u32,
    pub total: u32,
    pub t_min: f32,
    pub beta_min: f32,
    pub beta_max: f32,
    pub dropout: f32,
    pub lr: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub adam_eps: f32,
    pub weight_decay: f32,
    /// science::targets::Target: 0 ε, 1 x0, 2 v, 3 flow (`target` is a WGSL keyword); the loss weights' offset.
    pub target_kind: u32,
    pub weight_off: u32,
    /// 1 when the classifier trains too; its input rows `[x, temb]`, the
    /// rows' own classes, its logits, ∂L/∂logits and loss terms.
    pub clf: u32,
    pub clf_u_off: u32,
    pub clf_label_off: u32,
    pub logits_off: u32,
    pub dlogits_off: u32,
    pub clf_loss_off: u32,
    pub pad: [u32; 2],
}

/// Where everything lies in the kernels' one storage arena (f32 words).
#[derive(Clone, Debug)]
pub struct ArenaLayout {
    /// Each parameter tensor's offset within θ (and within m, v and g).
    pub tensor: [u32; 9],
    /// The classifier's tensors' offsets there, after the score network's
    /// (so one `adamw` dispatch runs over both).
    pub clf_tensor: [u32; 6],
    /// The score network's parameter count, and the span AdamW runs over (with the classifier's).
    pub score_params: u32,
    pub params: u32,
    pub theta: u32,
    pub m: u32,
    pub v: u32,
    pub g: u32,
    /// The EMA of θ.
    pub ema: u32,
    pub step: u32,
    pub freqs: u32,
    pub ones: u32,
    pub points: u32,
    pub u: u32,
    /// What each row should output, and its loss weight (science::targets).
    pub target: u32,
    pub weight: u32,
    pub label: u32,
    /// z0, h0, z1, h1, z2, h2.
    pub hidden: [u32; 6],
    pub out: u32,
    pub dout: u32,
    pub loss: u32,
    /// δ0, δ1, δ2.
    pub delta: [u32; 3],
    pub du: u32,
    /// The classifier's rows (empty without it): inputs `[x, temb]`, classes,
    /// z0, h0, z1, h1, logits, ∂L/∂logits, loss terms, δ0, δ1.
    pub clf_u: u32,
    pub clf_label: u32,
    pub clf_hidden: [u32; 4],
    pub logits: u32,
    pub dlogits: u32,
    pub clf_loss: u32,
    pub clf_delta: [u32; 2],
    pub total: u32,
}

impl ArenaLayout {
    pub fn new(num_classes: usize, batch: usize, points: usize, classifier: bool) -> Self {
        let mut tensor = [0u32; 9];
        let mut at = 0u32;
        for (k, (r, c)) in shapes(num_classes).into_iter().enumerate() {
            tensor[k] = at;
            at += (r * c) as u32;
        }
        let score_params = at;
        let mut clf_tensor = [0u32; 6];
        if classifier {
            for (k, (r, c)) in classifier_shapes(num_classes).into_iter().enumerate() {
                clf_tensor[k] = at;
                at += (r * c) as u32;
            }
        }
        let params = at;
        let b = batch as u32;
        let h = (batch * HIDDEN) as u32;
        let mut next = 0u32;
        let mut take = |n: u32| {
            let o = next;
            next += n;
            o
        };
        let (theta, m, v, g, ema) = (take(params), take(params), take(params), take(params), take(params));
        let (step, freqs, ones, points) = (take(1), take(crate::model::mlp::TIME_FREQS as u32), take(b), take(3 * points as u32));
        let (u, target, weight, label) = (take(b * INPUT as u32), take(2 * b), take(b), take(b));
        let hidden = [take(h), take(h), take(h), take(h), take(h), take(h)];
        let (out, dout, loss) = (take(2 * b), take(2 * b), take(b));
        let delta = [take(h), take(h), take(h)];
        let du = take(b * INPUT as u32);
        let on = u32::from(classifier);
        let (ch, nc) = (on * b * CLF_HIDDEN as u32, on * b * num_classes as u32);
        let (clf_u, clf_label) = (take(on * b * CLF_INPUT as u32), take(on * b));
        let clf_hidden = [take(ch), take(ch), take(ch), take(ch)];
        let (logits, dlogits, clf_loss) = (take(nc), take(nc), take(on * b));
        let clf_delta = [take(ch), take(ch)];
        Self {
            tensor, clf_tensor, score_params, params, theta, m, v, g, ema, step, freqs, ones, points, u, target, weight, label, hidden, out, dout, loss, delta, du,
            clf_u, clf_label, clf_hidden, logits, dlogits, clf_loss, clf_delta, total: next,
        }
    }
}

/// What [`GpuTrainer::run_and_watch`] reads back after a submit.
#[derive(Clone, Debug)]
pub struct Watched {
    /// The moving average of the weights after the submit's last step.
    pub ema: ScoreParams,
    /// That step's loss (the mean of its terms, as [`GpuTrainer::loss`]).
    pub loss: f32,
    /// The classifier's moving average and last loss, when it trains.
    pub clf_ema: Option<ClassifierParams>,
    pub clf_loss: Option<f32>,
}

/// The training run on a GPU: the arena, the pipelines, and the step's
/// dispatches (their uniforms fixed for the run; the step counter lives in
/// the arena), encoded as many steps per submit as asked.
pub struct GpuTrainer {
    arena: wgpu::Buffer,
    gemm_uniforms: wgpu::Buffer,
    bind_group: wgpu::BindGroup,
    pipelines: Vec<wgpu::ComputePipeline>,
    /// (entry index, GEMM uniform index, workgroups x, y) in a step's order.
    dispatches: Vec<(usize, u32, u32, u32)>,
    stride: u64,
    pub layout: ArenaLayout,
    pub num_classes: usize,
    pub batch: usize,
    pub classifier: bool,
}

const ENTRIES: [&str; 7] = ["draw_batch", "gemm", "loss_grad", "class_grad", "adamw", "advance", "clf_loss_grad"];

impl GpuTrainer {
    /// A run of `recipe` from `params` on the points (labels `labels`); with
    /// the recipe's classifier, it starts from [`ClassifierParams::init`].
    pub fn new(ctx: &crate::engine::gpu::GpuContext, params: &ScoreParams, points: &[[f32; 2]], labels: &[u32], recipe: &Recipe) -> Self {
        let (batch, seed, t_power, lr, weight_decay) = (recipe.batch, recipe.seed, recipe.t_power, recipe.lr, recipe.weight_decay);
        use wgpu::util::DeviceExt;
        let d = &ctx.device;
        let c = params.num_classes;
        let l = ArenaLayout::new(c, batch, points.len(), recipe.classifier);
        // The arena starts zeroed (WebGPU and wgpu zero new buffers); only
        // what is not zero is written: θ, then its average, the step counter,
        // the frequencies, the ones and the points (laid out in a row). At
        // batch 1 024 the whole arena is 6 MB, this 0.4 MB: uploading all
        // of it made the page's first training task 50 ms long.
        let clf_start = recipe.classifier.then(|| ClassifierParams::init(c, seed));
        let clf_tensors = clf_start.iter().flat_map(|p| p.tensors.iter());
        let theta: Vec<f32> = params.tensors.iter().chain(clf_tensors).flatten().copied().collect();
        let mut tail = theta.clone();
        debug_assert_eq!((l.ema + l.params, l.freqs, l.ones, l.points), (l.step, l.step + 1, l.freqs + crate::model::mlp::TIME_FREQS as u32, l.ones + batch as u32));
        tail.push(0.0);
        tail.extend((0..crate::model::mlp::TIME_FREQS).map(|j| (-(10000f32.ln()) * j as f32 / crate::model::mlp::TIME_FREQS as f32).exp()));
        tail.extend(std::iter::repeat_n(1.0, batch));
        tail.extend(points.iter().zip(labels).flat_map(|(p, lab)| [p[0], p[1], *lab as f32]));
        let buffer = d.create_buffer(&wgpu::BufferDescriptor {
            label: Some("train arena"),
            size: l.total as u64 * 4,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        ctx.queue.write_buffer(&buffer, l.theta as u64 * 4, bytemuck::cast_slice(&theta));
        ctx.queue.write_buffer(&buffer, l.ema as u64 * 4, bytemuck::cast_slice(&tail));
        let sde = VpSde::default();
        let tp = TrainParams {
            batch: batch as u32,
            points: points.len() as u32,
            num_classes: c as u32,
            seed,
            t_power: t_power as u32,
            points_off: l.points,
            freqs_off: l.freqs,
            u_off: l.u,
            target_off: l.target,
            label_off: l.label,
            emb_off: l.theta + l.tensor[8],
            step_off: l.step,
            out_off: l.out,
            dout_off: l.dout,
            loss_off: l.loss,
            du_off: l.du,
            demb_off: l.g + l.tensor[8],
            params: l.params,
            theta_off: l.theta,
            m_off: l.m,
            v_off: l.v,
            g_off: l.g,
            ema_off: l.ema,
            warmup: recipe.warmup as u32,
            total: recipe.steps as u32,
            t_min: T_MIN,
            beta_min: sde.beta_min as f32,
            beta_max: sde.beta_max as f32,
            dropout: LABEL_DROPOUT,
            lr: lr as f32,
            beta1: 0.9,
            beta2: 0.999,
            adam_eps: 1e-8,
            weight_decay: weight_decay as f32,
            target_kind: match recipe.target {
                Target::Eps => 0,
                Target::X0 => 1,
                Target::V => 2,
                Target::Flow => 3,
            },
            weight_off: l.weight,
            clf: u32::from(recipe.classifier),
            clf_u_off: l.clf_u,
            clf_label_off: l.clf_label,
            logits_off: l.logits,
            dlogits_off: l.dlogits,
            clf_loss_off: l.clf_loss,
            pad: [0; 2],
        };
        // The step's GEMMs.
        let (b, hid) = (batch as u32, HIDDEN as u32);
        let none = u32::MAX;
        let th = |k: usize| l.theta + l.tensor[k];
        let gr = |k: usize| l.g + l.tensor[k];
        let [z0, h0, z1, h1, z2, h2] = l.hidden;
        let [d0, d1, d2] = l.delta;
        let input = INPUT as u32;
        let g = |m, n, k, mode, a: (u32, u32, u32), bm: (u32, u32, u32), c_off, c_rs, bias_off, h_off, z_off| GemmParams {
            m, n, k, mode, a_off: a.0, a_rs: a.1, a_cs: a.2, b_off: bm.0, b_rs: bm.1, b_cs: bm.2, c_off, c_rs, bias_off, h_off, z_off, pad: 0,
        };
        let gemms = [
            // Forward: Z = U Wᵀ + b, H = SiLU(Z).
            g(b, hid, input, 1, (l.u, input, 1), (th(0), 1, input), z0, hid, th(1), h0, 0),
            g(b, hid, hid, 1, (h0, hid, 1), (th(2), 1, hid), z1, hid, th(3), h1, 0),
            g(b, hid, hid, 1, (h1, hid, 1), (th(4), 1, hid), z2, hid, th(5), h2, 0),
            g(b, 2, hid, 0, (h2, hid, 1), (th(6), 1, hid), l.out, 2, th(7), 0, 0),
            // Backward through layer 3: dW3 = δoutᵀ H2, db3 = 1ᵀ δout, δ2 = δout W3 · SiLU'(Z2).
            g(2, hid, b, 0, (l.dout, 1, 2), (h2, hid, 1), gr(6), hid, none, 0, 0),
            g(1, 2, b, 0, (l.ones, 0, 1), (l.dout, 2, 1), gr(7), 2, none, 0, 0),
            g(b, hid, 2, 2, (l.dout, 2, 1), (th(6), hid, 1), d2, hid, none, 0, z2),
            // Layer 2.
            g(hid, hid, b, 0, (d2, 1, hid), (h1, hid, 1), gr(4), hid, none, 0, 0),
            g(1, hid, b, 0, (l.ones, 0, 1), (d2, hid, 1), gr(5), hid, none, 0, 0),
            g(b, hid, hid, 2, (d2, hid, 1), (th(4), hid, 1), d1, hid, none, 0, z1),
            // Layer 1.
            g(hid, hid, b, 0, (d1, 1, hid), (h0, hid, 1), gr(2), hid, none, 0, 0),
            g(1, hid, b, 0, (l.ones, 0, 1), (d1, hid, 1), gr(3), hid, none, 0, 0),
            g(b, hid, hid, 2, (d1, hid, 1), (th(2), hid, 1), d0, hid, none, 0, z0),
            // Layer 0, and ∂L/∂u for the class table.
            g(hid, input, b, 0, (d0, 1, hid), (l.u, input, 1), gr(0), input, none, 0, 0),
            g(1, hid, b, 0, (l.ones, 0, 1), (d0, hid, 1), gr(1), hid, none, 0, 0),
            g(b, input, hid, 0, (d0, hid, 1), (th(0), input, 1), l.du, input, none, 0, 0),
        ];
        // The classifier's GEMMs (when it trains): the same products for its
        // three layers, 34 → 64 → 64 → C, with the cross-entropy between.
        let (ch, ci, nc) = (CLF_HIDDEN as u32, CLF_INPUT as u32, c as u32);
        let cth = |k: usize| l.theta + l.clf_tensor[k];
        let cgr = |k: usize| l.g + l.clf_tensor[k];
        let [cz0, ch0, cz1, ch1] = l.clf_hidden;
        let [cd0, cd1] = l.clf_delta;
        let clf_gemms = [
            g(b, ch, ci, 1, (l.clf_u, ci, 1), (cth(0), 1, ci), cz0, ch, cth(1), ch0, 0),
            g(b, ch, ch, 1, (ch0, ch, 1), (cth(2), 1, ch), cz1, ch, cth(3), ch1, 0),
            g(b, nc, ch, 0, (ch1, ch, 1), (cth(4), 1, ch), l.logits, nc, cth(5), 0, 0),
            g(nc, ch, b, 0, (l.dlogits, 1, nc), (ch1, ch, 1), cgr(4), ch, none, 0, 0),
            g(1, nc, b, 0, (l.ones, 0, 1), (l.dlogits, nc, 1), cgr(5), nc, none, 0, 0),
            g(b, ch, nc, 2, (l.dlogits, nc, 1), (cth(4), ch, 1), cd1, ch, none, 0, cz1),
            g(ch, ch, b, 0, (cd1, 1, ch), (ch0, ch, 1), cgr(2), ch, none, 0, 0),
            g(1, ch, b, 0, (l.ones, 0, 1), (cd1, ch, 1), cgr(3), ch, none, 0, 0),
            g(b, ch, ch, 2, (cd1, ch, 1), (cth(2), ch, 1), cd0, ch, none, 0, cz0),
            g(ch, ci, b, 0, (cd0, 1, ch), (l.clf_u, ci, 1), cgr(0), ci, none, 0, 0),
            g(1, ch, b, 0, (l.ones, 0, 1), (cd0, ch, 1), cgr(1), ch, none, 0, 0),
        ];
        let gemms: Vec<GemmParams> = gemms.iter().chain(&clf_gemms[..if recipe.classifier { clf_gemms.len() } else { 0 }]).copied().collect();
        let stride = (std::mem::size_of::<GemmParams>() as u64).next_multiple_of(d.limits().min_uniform_buffer_offset_alignment as u64);
        let mut table = vec![0u8; stride as usize * gemms.len()];
        for (k, p) in gemms.iter().enumerate() {
            table[k * stride as usize..k * stride as usize + std::mem::size_of::<GemmParams>()].copy_from_slice(bytemuck::bytes_of(p));
        }
        let gemm_uniforms = d.create_buffer_init(&wgpu::util::BufferInitDescriptor { label: Some("train gemms"), contents: &table, usage: wgpu::BufferUsages::UNIFORM });
        let train_uniform = d.create_buffer_init(&wgpu::util::BufferInitDescriptor { label: Some("train params"), contents: bytemuck::bytes_of(&tp), usage: wgpu::BufferUsages::UNIFORM });
        let entry = |binding, ty| wgpu::BindGroupLayoutEntry { binding, visibility: wgpu::ShaderStages::COMPUTE, ty, count: None };
        let uniform = |dynamic| wgpu::BindingType::Buffer { ty: wgpu::BufferBindingType::Uniform, has_dynamic_offset: dynamic, min_binding_size: None };
        let bgl = d.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("train layout"),
            entries: &[
                entry(0, uniform(true)),
                entry(1, uniform(false)),
                entry(2, wgpu::BindingType::Buffer { ty: wgpu::BufferBindingType::Storage { read_only: false }, has_dynamic_offset: false, min_binding_size: None }),
            ],
        });
        let bind_group = d.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("train bind group"),
            layout: &bgl,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding { buffer: &gemm_uniforms, offset: 0, size: wgpu::BufferSize::new(std::mem::size_of::<GemmParams>() as u64) }),
                },
                wgpu::BindGroupEntry { binding: 1, resource: train_uniform.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 2, resource: buffer.as_entire_binding() },
            ],
        });
        let pipeline_layout = d.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor { label: Some("train pipeline layout"), bind_group_layouts: &[Some(&bgl)], immediate_size: 0 });
        let module = d.create_shader_module(wgpu::ShaderModuleDescriptor { label: Some("train"), source: wgpu::ShaderSource::Wgsl(TRAIN_WGSL.into()) });
        let pipelines = ENTRIES
            .iter()
            .map(|e| d.create_compute_pipeline(&wgpu::ComputePipelineDescriptor { label: Some(e), layout: Some(&pipeline_layout), module: &module, entry_point: Some(e), compilation_options: Default::default(), cache: None }))
            .collect();
        let per = |n: u32| crate::engine::gpu::grid(n.div_ceil(64));
        let mut dispatches = vec![(0, 0, b.div_ceil(64), 1)];
        for (k, p) in gemms.iter().enumerate() {
            dispatches.push((1, k as u32, p.n.div_ceil(64), p.m.div_ceil(64)));
            // After each network's forward pass, its loss and ∂L/∂(output).
            if k == 3 {
                dispatches.push((2, 0, b.div_ceil(64), 1));
            } else if k == 18 {
                dispatches.push((6, 0, b.div_ceil(64), 1));
            }
        }
        dispatches.push((3, 0, ((c as u32 + 1) * CLASS_DIM as u32).div_ceil(64), 1));
        let (ax, ay) = per(l.params);
        dispatches.push((4, 0, ax, ay));
        dispatches.push((5, 0, 1, 1));
        Self { arena: buffer, gemm_uniforms, bind_group, pipelines, dispatches, stride, layout: l, num_classes: c, batch, classifier: recipe.classifier }
    }

    /// Encodes `count` whole training steps.
    pub fn encode_steps(&self, enc: &mut wgpu::CommandEncoder, count: usize) {
        let _ = &self.gemm_uniforms;
        let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("train steps"), timestamp_writes: None });
        for _ in 0..count {
            for &(e, u, x, y) in &self.dispatches {
                pass.set_pipeline(&self.pipelines[e]);
                pass.set_bind_group(0, &self.bind_group, &[(u as u64 * self.stride) as u32]);
                pass.dispatch_workgroups(x, y, 1);
            }
        }
    }

    /// `count` steps, then the whole arena read back.
    pub fn run(&self, ctx: &crate::engine::gpu::GpuContext, count: usize) -> impl std::future::Future<Output = Result<Vec<f32>, crate::engine::gpu::GpuError>> + 'static {
        let d = &ctx.device;
        let mut enc = d.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("train") });
        self.encode_steps(&mut enc, count);
        let bytes = self.layout.total as u64 * 4;
        let staging = d.create_buffer(&wgpu::BufferDescriptor { label: Some("train readback"), size: bytes, usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST, mapped_at_creation: false });
        enc.copy_buffer_to_buffer(&self.arena, 0, &staging, 0, bytes);
        ctx.queue.submit(Some(enc.finish()));
        let read = crate::engine::gpu::map_and_read(ctx, staging);
        async move { Ok(bytemuck::pod_collect_to_vec(&read.await?)) }
    }

    /// `count` steps, then only what a run watches read back: the moving
    /// average of the weights (the model it keeps) and the last step's loss
    /// (the classifier's too, when it trains) — about 1/30 of the arena at
    /// batch 1 024 (its activations and Adam's moments stay on the GPU).
    pub fn run_and_watch(&self, ctx: &crate::engine::gpu::GpuContext, count: usize) -> impl std::future::Future<Output = Result<Watched, crate::engine::gpu::GpuError>> + 'static {
        let d = &ctx.device;
        let mut enc = d.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("train") });
        self.encode_steps(&mut enc, count);
        let l = &self.layout;
        let (ema_words, loss_words) = (l.params as u64, self.batch as u64);
        let clf_words = if self.classifier { loss_words } else { 0 };
        let staging = d.create_buffer(&wgpu::BufferDescriptor { label: Some("train watch"), size: 4 * (ema_words + loss_words + clf_words), usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST, mapped_at_creation: false });
        enc.copy_buffer_to_buffer(&self.arena, 4 * l.ema as u64, &staging, 0, 4 * ema_words);
        enc.copy_buffer_to_buffer(&self.arena, 4 * l.loss as u64, &staging, 4 * ema_words, 4 * loss_words);
        if self.classifier {
            enc.copy_buffer_to_buffer(&self.arena, 4 * l.clf_loss as u64, &staging, 4 * (ema_words + loss_words), 4 * clf_words);
        }
        ctx.queue.submit(Some(enc.finish()));
        let read = crate::engine::gpu::map_and_read(ctx, staging);
        let (layout, num_classes, classifier, batch) = (l.clone(), self.num_classes, self.classifier, self.batch);
        async move {
            let words: Vec<f32> = bytemuck::pod_collect_to_vec(&read.await?);
            let params = layout.params as usize;
            let ema = read_score(&layout, num_classes, &words, 0);
            let clf_ema = classifier.then(|| read_classifier(&layout, num_classes, &words, 0));
            let mean = |terms: &[f32], per: usize| (terms.iter().map(|&v| v as f64).sum::<f64>() / (per * terms.len()) as f64) as f32;
            let loss = mean(&words[params..params + batch], 2);
            let clf_loss = classifier.then(|| mean(&words[params + batch..], 1));
            Ok(Watched { ema, loss, clf_ema, clf_loss })
        }
    }

    /// The parameters (or, with `at = layout.g`, the last step's gradients) in an arena read back.
    pub fn tensors(&self, arena: &[f32], at: u32) -> ScoreParams {
        read_score(&self.layout, self.num_classes, arena, at as usize)
    }

    /// The classifier's parameters (or gradients) likewise, when it trains.
    pub fn classifier(&self, arena: &[f32], at: u32) -> Option<ClassifierParams> {
        self.classifier.then(|| read_classifier(&self.layout, self.num_classes, arena, at as usize))
    }

    /// The last step's loss (the mean of its terms) in an arena read back.
    pub fn loss(&self, arena: &[f32]) -> f32 {
        let o = self.layout.loss as usize;
        (arena[o..o + self.batch].iter().map(|&v| v as f64).sum::<f64>() / (2 * self.batch) as f64) as f32
    }

    /// The last step's classifier loss (the mean cross-entropy), when it trains.
    pub fn clf_loss(&self, arena: &[f32]) -> Option<f32> {
        let o = self.layout.clf_loss as usize;
        self.classifier.then(|| (arena[o..o + self.batch].iter().map(|&v| v as f64).sum::<f64>() / self.batch as f64) as f32)
    }
}

/// The score network's tensors from a block of `words` laid out as θ (starting at `at`).
fn read_score(l: &ArenaLayout, num_classes: usize, words: &[f32], at: usize) -> ScoreParams {
    let mut p = ScoreParams::zeros(num_classes);
    for (k, t) in p.tensors.iter_mut().enumerate() {
        let o = at + l.tensor[k] as usize;
        let n = t.len();
        t.copy_from_slice(&words[o..o + n]);
    }
    p
}

/// The classifier's tensors likewise.
fn read_classifier(l: &ArenaLayout, num_classes: usize, words: &[f32], at: usize) -> ClassifierParams {
    let mut p = ClassifierParams::zeros(num_classes);
    for (k, t) in p.tensors.iter_mut().enumerate() {
        let o = at + l.clf_tensor[k] as usize;
        let n = t.len();
        t.copy_from_slice(&words[o..o + n]);
    }
    p
}
