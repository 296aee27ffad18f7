//! The pretrained networks and their f32 forward passes.
//!
//! **Score MLP** (ε-prediction, class-conditional; the trainer in
//! `tools/train` builds the same graph in candle):
//!
//! ```text
//! temb(t)  = [sin(1000 t f_j), cos(1000 t f_j)]_{j<16},  f_j = 10000^(−j/16)   (32)
//! h0 = SiLU(W0 · [x, temb(t), E[c]] + b0)      x ∈ R², E: (C+1)×16 class table
//! h1 = SiLU(W1 h0 + b1),  h2 = SiLU(W2 h1 + b2)  (128 units each)
//! ε̂  = W3 h2 + b3
//! ```
//!
//! Class `C` (one past the last class) is the null token of classifier-free
//! guidance: the trainer drops labels to it with probability 0.15, so
//! `class=all` is the unconditional model.
//!
//! For evaluation the first layer is split by input: `W0 = [W0x | W0t | W0c]`.
//! Its class part folds into a per-class bias `B[c] = W0c E[c] + b0` at load,
//! and its time part `W0t temb(t)` is computed once per step
//! ([`ScoreMlp::time_bias`]), so per particle the first layer costs 2×128
//! multiply-adds. The GPU kernel reads the same folded tensors.
//!
//! **Classifier** (noisy-input, for classifier guidance):
//! `logits = V2 SiLU(V1 SiLU(V0 [x, temb(t)] + c0) + c1) + c2`, 64 units.

use crate::science::targets::Target;

/// Frequencies of the sinusoidal time embedding.
pub const TIME_FREQS: usize = 16;
/// Width of the time embedding.
pub const TIME_DIM: usize = 2 * TIME_FREQS;
/// Width of the class embedding.
pub const CLASS_DIM: usize = 16;
/// Hidden units of the score MLP (three hidden layers).
pub const HIDDEN: usize = 128;
/// Hidden units of the classifier (two hidden layers).
pub const CLF_HIDDEN: usize = 64;
/// Particles per CPU forward block (weights stay in cache across a block).
pub const BLOCK: usize = 32;
/// A level's row of the time table: `W0t · temb(t′)` (HIDDEN), then the
/// reading `(A, B, C, 0)` of science::targets — `ε̂ = A x + B net(C x, t′)`.
pub const TABLE_ROW: usize = HIDDEN + 4;

/// `temb(t)`: sinusoidal features of the continuous VP time `t ∈ [0, 1]`.
pub fn time_embedding(t: f32) -> [f32; TIME_DIM] {
    let mut e = [0.0f32; TIME_DIM];
    for j in 0..TIME_FREQS {
        let f = (-(10000f32.ln()) * j as f32 / TIME_FREQS as f32).exp();
        let arg = 1000.0 * t * f;
        e[j] = arg.sin();
        e[TIME_FREQS + j] = arg.cos();
    }
    e
}

/// `SiLU(v) = v / (1 + e^{−v})`. In the browser's CPU backend (wasm) the
/// exponential is [`exp_poly`], which LLVM vectorizes with the blocked
/// layers (wasm SIMD); natively it is libm's `exp`, so the native reference
/// (and the quality figures recorded in the weights files) does not depend
/// on it. The two differ by about an ulp.
#[inline(always)]
pub fn silu(v: f32) -> f32 {
    #[cfg(target_arch = "wasm32")]
    let e = exp_poly(-v);
    #[cfg(not(target_arch = "wasm32"))]
    let e = (-v).exp();
    v / (1.0 + e)
}

/// `e^x` without a libm call, branch-free so loops over it vectorize:
/// Cephes' `expf` (x = n ln 2 + r, |r| ≤ ½ ln 2, a degree-6 polynomial for
/// e^r, then the exponent bits), with x clamped to the finite range.
/// Relative error below 2e-7 (tested against libm).
#[inline(always)]
pub fn exp_poly(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    // ln 2 split in two so n·LN2_HI is exact.
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    let x = x.clamp(-87.0, 88.0);
    let n = (x * LOG2E + 0.5).floor();
    let r = x - n * LN2_HI - n * LN2_LO;
    let mut p = 1.987_569_1e-4f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 5.000_000_1e-1;
    let e_r = p * r * r + r + 1.0;
    e_r * f32::from_bits(((n as i32 + 127) as u32) << 23)
}

/// The score MLP with its first layer folded (see the module docs).
/// Matrices are row-major `[out][in]`.
#[derive(Clone, Debug, PartialEq)]
pub struct ScoreMlp {
    pub num_classes: usize,
    /// `W0x`: HIDDEN × 2.
    pub w0x: Vec<f32>,
    /// `W0t`: HIDDEN × TIME_DIM.
    pub w0t: Vec<f32>,
    /// `B[c] = W0c E[c] + b0`: (num_classes + 1) × HIDDEN; the last row is the null class.
    pub class_bias: Vec<f32>,
    pub w1: Vec<f32>,
    pub b1: Vec<f32>,
    pub w2: Vec<f32>,
    pub b2: Vec<f32>,
    /// `W3`: 2 × HIDDEN.
    pub w3: Vec<f32>,
    pub b3: Vec<f32>,
    /// What the network outputs (ε for the shipped models), read as ε̂ level by level.
    pub target: Target,
}

/// `z[o][b] = bias[o] + Σ_k (w[o][4k]·h[4k][b] + … + w[o][4k+3]·h[4k+3][b])`
/// over a block: inputs in groups of four summed left to right, groups added
/// in increasing `k` — the order of the WGSL kernels' layer loops
/// (`dense_tile`; score_energy.wgsl's `product`).
pub(crate) fn dense(w: &[f32], bias: &[f32], h: &[[f32; BLOCK]], z: &mut [[f32; BLOCK]], n: usize) {
    let width_in = h.len();
    for (o, zo) in z.iter_mut().enumerate() {
        let row = &w[o * width_in..(o + 1) * width_in];
        let mut acc = [bias[o]; BLOCK];
        for (k, wk) in row.chunks_exact(4).enumerate() {
            let (ha, hb, hc, hd) = (&h[4 * k], &h[4 * k + 1], &h[4 * k + 2], &h[4 * k + 3]);
            for b in 0..n {
                acc[b] += wk[0] * ha[b] + wk[1] * hb[b] + wk[2] * hc[b] + wk[3] * hd[b];
            }
        }
        *zo = acc;
    }
}

/// `out = SiLU(W h + b)` over a block ([`dense`], then the activation).
fn dense_silu(w: &[f32], bias: &[f32], h: &[[f32; BLOCK]], out: &mut [[f32; BLOCK]], n: usize) {
    dense(w, bias, h, out, n);
    for row in out.iter_mut() {
        for v in row.iter_mut().take(n) {
            *v = silu(*v);
        }
    }
}

/// A HIDDEN × HIDDEN row-major matrix in the order of the cooperative
/// kernel's loads (shaders/score_mlp.wgsl, `dense_tile`): row `o = 4·rg + i`,
/// inputs `4k … 4k+3`, at vec4 index `k·HIDDEN + i·G + rg` (G = HIDDEN / 4),
/// so the row groups `rg` of one load are consecutive vec4.
pub fn gpu_matrix(w: &[f32]) -> impl Iterator<Item = f32> + '_ {
    const G: usize = HIDDEN / 4;
    (0..G).flat_map(move |k| (0..4).flat_map(move |i| (0..G).flat_map(move |rg| w[(4 * rg + i) * HIDDEN + 4 * k..][..4].iter().copied())))
}

impl ScoreMlp {
    /// The network from the trainer's unfolded tensors (`w0 [HIDDEN, 50]`,
    /// `b0`, the class table `[C + 1, 16]`, then `w1 b1 w2 b2 w3 b3`), with
    /// the first layer folded as the module docs say: `W0 = [W0x | W0t | W0c]`,
    /// `B[c] = W0c E[c] + b0`.
    pub fn from_unfolded(num_classes: usize, w0: &[f32], b0: &[f32], class_emb: &[f32], rest: [Vec<f32>; 6]) -> Self {
        let input = 2 + TIME_DIM + CLASS_DIM;
        let mut w0x = Vec::with_capacity(HIDDEN * 2);
        let mut w0t = Vec::with_capacity(HIDDEN * TIME_DIM);
        for row in w0.chunks_exact(input) {
            w0x.extend_from_slice(&row[..2]);
            w0t.extend_from_slice(&row[2..2 + TIME_DIM]);
        }
        let mut class_bias = Vec::with_capacity((num_classes + 1) * HIDDEN);
        for e in class_emb.chunks_exact(CLASS_DIM) {
            for (o, row) in w0.chunks_exact(input).enumerate() {
                let mut acc = b0[o];
                for (w, v) in row[2 + TIME_DIM..].iter().zip(e) {
                    acc += w * v;
                }
                class_bias.push(acc);
            }
        }
        let [w1, b1, w2, b2, w3, b3] = rest;
        Self { num_classes, w0x, w0t, class_bias, w1, b1, w2, b2, w3, b3, target: Target::Eps }
    }

    /// The same network read as predicting `target`.
    pub fn with_target(self, target: Target) -> Self {
        Self { target, ..self }
    }

    /// Row of `class_bias` for a class choice (`None` → the null class).
    pub fn class_row(&self, class: Option<u32>) -> usize {
        match class {
            Some(k) if (k as usize) < self.num_classes => k as usize,
            _ => self.num_classes,
        }
    }

    /// The level's row of the time table ([`TABLE_ROW`] floats), shared by
    /// every particle at VP network time `t`: `W0t · temb(t′)` at the time
    /// `t′` the target reads (the sum over the embedding in increasing index,
    /// as in the GPU table), then the reading `(A, B, C, 0)`.
    pub fn time_bias(&self, t: f32) -> Vec<f32> {
        let r = self.target.reading(t);
        let e = time_embedding(r.t);
        let mut row: Vec<f32> = (0..HIDDEN)
            .map(|o| {
                let row = &self.w0t[o * TIME_DIM..(o + 1) * TIME_DIM];
                let mut acc = 0.0f32;
                for (w, v) in row.iter().zip(&e) {
                    acc += w * v;
                }
                acc
            })
            .collect();
        row.extend([r.a, r.b, r.c, 0.0]);
        row
    }

    /// `ε̂` for up to [`BLOCK`] particles sharing one level and class.
    pub fn eps_hat_block(&self, xs: &[[f32; 2]], time_bias: &[f32], class: Option<u32>, out: &mut [[f32; 2]]) {
        let n = xs.len();
        assert!(n <= BLOCK && out.len() >= n);
        let cb = &self.class_bias[self.class_row(class) * HIDDEN..][..HIDDEN];
        let [ra, rb, rc] = [time_bias[HIDDEN], time_bias[HIDDEN + 1], time_bias[HIDDEN + 2]];
        let mut h0 = vec![[0.0f32; BLOCK]; HIDDEN];
        for (o, row) in h0.iter_mut().enumerate() {
            let base = cb[o] + time_bias[o];
            let (wx, wy) = (self.w0x[2 * o], self.w0x[2 * o + 1]);
            for b in 0..n {
                row[b] = silu(base + wx * (rc * xs[b][0]) + wy * (rc * xs[b][1]));
            }
        }
        let mut h1 = vec![[0.0f32; BLOCK]; HIDDEN];
        dense_silu(&self.w1, &self.b1, &h0, &mut h1, n);
        dense_silu(&self.w2, &self.b2, &h1, &mut h0, n);
        for (b, o) in out.iter_mut().enumerate().take(n) {
            let mut e = [self.b3[0], self.b3[1]];
            for k in 0..HIDDEN / 4 {
                let h = [h0[4 * k][b], h0[4 * k + 1][b], h0[4 * k + 2][b], h0[4 * k + 3][b]];
                for (c, ec) in e.iter_mut().enumerate() {
                    let w = &self.w3[c * HIDDEN + 4 * k..][..4];
                    *ec += w[0] * h[0] + w[1] * h[1] + w[2] * h[2] + w[3] * h[3];
                }
            }
            // The target's reading (an ε-network: 0·x + 1·e, exactly e).
            *o = [ra * xs[b][0] + rb * e[0], ra * xs[b][1] + rb * e[1]];
        }
    }

    /// The folded weights as `shaders/mlp_common.wgsl` lays them out, in vec4
    /// units (so the kernel loads 16 bytes at a time): the x and y columns
    /// of `W0x` (HIDDEN each), `W1, b1, W2, b2, W3`, `b3` padded to 4, then
    /// `B` (last: its length depends on C). `W1` and `W2` are stored for
    /// coalesced loads ([`gpu_matrix`]); the rest row-major.
    pub fn gpu_weights(&self) -> Vec<f32> {
        let w0x_x = (0..HIDDEN).map(|o| self.w0x[2 * o]);
        let w0x_y = (0..HIDDEN).map(|o| self.w0x[2 * o + 1]);
        let b3 = [self.b3[0], self.b3[1], 0.0, 0.0];
        w0x_x
            .chain(w0x_y)
            .chain(gpu_matrix(&self.w1))
            .chain(self.b1.iter().copied())
            .chain(gpu_matrix(&self.w2))
            .chain(self.b2.iter().copied())
            .chain(self.w3.iter().copied())
            .chain(b3)
            .chain(self.class_bias.iter().copied())
            .collect()
    }

    /// `ε̂` of one point and its Jacobian `J_ij = ∂ε̂_i/∂x_j`, by forward-mode
    /// differentiation: the tangents along x₁ and x₂ go through every layer
    /// beside the activations (`SiLU'(z) = σ(z)(1 + z(1 − σ(z)))`). For the
    /// score diagnostics (curl, divergence); finite differences are only its test.
    pub fn eps_hat_jacobian(&self, x: [f32; 2], time_bias: &[f32], class: Option<u32>) -> ([f32; 2], [[f32; 2]; 2]) {
        let silu_grad = |z: f32| {
            let sig = 1.0 / (1.0 + (-z).exp());
            sig * (1.0 + z * (1.0 - sig))
        };
        // Sums in groups of four, each summed left to right, then added to
        // the accumulator: the order of the kernel (score_mlp_jacobian.wgsl).
        let dot = |acc: f32, w: &[f32], v: &[f32; HIDDEN]| {
            w.chunks_exact(4).zip(v.chunks_exact(4)).fold(acc, |a, (w, v)| a + (w[0] * v[0] + w[1] * v[1] + w[2] * v[2] + w[3] * v[3]))
        };
        let cb = &self.class_bias[self.class_row(class) * HIDDEN..][..HIDDEN];
        let [ra, rb, rc] = [time_bias[HIDDEN], time_bias[HIDDEN + 1], time_bias[HIDDEN + 2]];
        // The activations and their tangents along x₁ and x₂ (of the network's input C·x).
        let (mut h, mut dx, mut dy) = ([0.0f32; HIDDEN], [0.0f32; HIDDEN], [0.0f32; HIDDEN]);
        for o in 0..HIDDEN {
            let (wx, wy) = (self.w0x[2 * o], self.w0x[2 * o + 1]);
            let z = cb[o] + time_bias[o] + wx * (rc * x[0]) + wy * (rc * x[1]);
            let g = silu_grad(z);
            h[o] = silu(z);
            dx[o] = g * wx;
            dy[o] = g * wy;
        }
        for (w, b) in [(&self.w1, &self.b1), (&self.w2, &self.b2)] {
            let (mut h_next, mut dx_next, mut dy_next) = ([0.0f32; HIDDEN], [0.0f32; HIDDEN], [0.0f32; HIDDEN]);
            for o in 0..HIDDEN {
                let row = &w[o * HIDDEN..(o + 1) * HIDDEN];
                let z = dot(b[o], row, &h);
                let g = silu_grad(z);
                h_next[o] = silu(z);
                dx_next[o] = g * dot(0.0, row, &dx);
                dy_next[o] = g * dot(0.0, row, &dy);
            }
            (h, dx, dy) = (h_next, dx_next, dy_next);
        }
        let (mut eps, mut jac) = ([0.0f32; 2], [[0.0f32; 2]; 2]);
        for c in 0..2 {
            let row = &self.w3[c * HIDDEN..(c + 1) * HIDDEN];
            // ε̂ = A x + B net(C x): J = A I + B C J_net.
            eps[c] = ra * x[c] + rb * dot(self.b3[c], row, &h);
            jac[c] = [rb * (rc * dot(0.0, row, &dx)), rb * (rc * dot(0.0, row, &dy))];
            jac[c][c] += ra;
        }
        (eps, jac)
    }

    /// `ε̂` of one particle (tests and diagnostics).
    pub fn eps_hat(&self, x: [f32; 2], t: f32, class: Option<u32>) -> [f32; 2] {
        let mut out = [[0.0; 2]];
        self.eps_hat_block(&[x], &self.time_bias(t), class, &mut out);
        out[0]
    }
}

/// The noisy-input classifier `p_φ(y | x_t, t)`. Matrices row-major `[out][in]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Classifier {
    pub num_classes: usize,
    /// CLF_HIDDEN × (2 + TIME_DIM).
    pub v0: Vec<f32>,
    pub c0: Vec<f32>,
    /// CLF_HIDDEN × CLF_HIDDEN.
    pub v1: Vec<f32>,
    pub c1: Vec<f32>,
    /// num_classes × CLF_HIDDEN.
    pub v2: Vec<f32>,
    pub c2: Vec<f32>,
}

fn affine(w: &[f32], b: &[f32], x: &[f32]) -> Vec<f32> {
    b.iter()
        .enumerate()
        .map(|(o, &bo)| {
            let mut acc = bo;
            for (wi, xi) in w[o * x.len()..(o + 1) * x.len()].iter().zip(x) {
                acc += wi * xi;
            }
            acc
        })
        .collect()
}

impl Classifier {
    /// Class logits at `x` and network time `t`.
    pub fn logits(&self, x: [f32; 2], t: f32) -> Vec<f32> {
        let mut input = vec![x[0], x[1]];
        input.extend_from_slice(&time_embedding(t));
        let h0: Vec<f32> = affine(&self.v0, &self.c0, &input).into_iter().map(silu).collect();
        let h1: Vec<f32> = affine(&self.v1, &self.c1, &h0).into_iter().map(silu).collect();
        affine(&self.v2, &self.c2, &h1)
    }

    /// `V0t · temb(t) + c0`: the classifier's first-layer time part at one
    /// level (the GPU's classifier time table holds the same rows).
    pub fn time_bias(&self, t: f32) -> Vec<f32> {
        let e = time_embedding(t);
        let width = 2 + TIME_DIM;
        (0..CLF_HIDDEN)
            .map(|o| {
                let mut acc = 0.0f32;
                for (w, v) in self.v0[o * width + 2..(o + 1) * width].iter().zip(&e) {
                    acc += w * v;
                }
                acc + self.c0[o]
            })
            .collect()
    }

    /// The classifier's weights in the order `shaders/mlp_common.wgsl` lays
    /// them out: `V0x` (the x columns of V0), `V1, c1, V2, c2`.
    pub fn gpu_weights(&self) -> Vec<f32> {
        let width = 2 + TIME_DIM;
        let v0x = (0..CLF_HIDDEN).flat_map(|o| [self.v0[o * width], self.v0[o * width + 1]]);
        v0x.chain(self.v1.iter().copied())
            .chain(self.c1.iter().copied())
            .chain(self.v2.iter().copied())
            .chain(self.c2.iter().copied())
            .collect()
    }

    /// `∇_x log p_φ(class | x, t)` by backpropagation through the classifier,
    /// with `time_bias` from [`Classifier::time_bias`]. The sums run in the
    /// order of the WGSL twin `log_class_grad_tile` (groups of four, left to right).
    pub fn grad_log_prob(&self, x: [f32; 2], time_bias: &[f32], class: u32) -> [f32; 2] {
        const G: usize = CLF_HIDDEN / 4;
        let width = 2 + TIME_DIM;
        let dot4 = |a: &[f32], b: &[f32]| a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3];
        let dsilu = |u: f32| {
            let s = 1.0 / (1.0 + (-u).exp());
            s * (1.0 + u * (1.0 - s))
        };
        let (mut u0, mut h0, mut u1, mut h1) = ([0.0f32; CLF_HIDDEN], [0.0f32; CLF_HIDDEN], [0.0f32; CLF_HIDDEN], [0.0f32; CLF_HIDDEN]);
        for o in 0..CLF_HIDDEN {
            u0[o] = time_bias[o] + self.v0[o * width] * x[0] + self.v0[o * width + 1] * x[1];
            h0[o] = silu(u0[o]);
        }
        for o in 0..CLF_HIDDEN {
            let mut acc = self.c1[o];
            for k in 0..G {
                acc += dot4(&self.v1[o * CLF_HIDDEN + 4 * k..], &h0[4 * k..]);
            }
            u1[o] = acc;
            h1[o] = silu(acc);
        }
        let c = self.num_classes;
        let mut logits = vec![0.0f32; c];
        let mut m = f32::MIN;
        for (k, l) in logits.iter_mut().enumerate() {
            let mut acc = self.c2[k];
            for j in 0..G {
                acc += dot4(&self.v2[k * CLF_HIDDEN + 4 * j..], &h1[4 * j..]);
            }
            *l = acc;
            m = m.max(acc);
        }
        let mut z = 0.0f32;
        for l in logits.iter_mut() {
            *l = (*l - m).exp();
            z += *l;
        }
        // ∂ log p_y / ∂ logit_k = δ_yk − p_k, back through V2, V1, V0x.
        let mut g_h1 = [0.0f32; CLF_HIDDEN];
        for (k, e) in logits.iter().enumerate() {
            let g = (if k as u32 == class { 1.0 } else { 0.0 }) - e / z;
            for j in 0..CLF_HIDDEN {
                g_h1[j] += g * self.v2[k * CLF_HIDDEN + j];
            }
        }
        let mut g_h0 = [0.0f32; CLF_HIDDEN];
        for i in 0..G {
            let g: [f32; 4] = std::array::from_fn(|q| g_h1[4 * i + q] * dsilu(u1[4 * i + q]));
            for j in 0..CLF_HIDDEN {
                let v = |q: usize| self.v1[(4 * i + q) * CLF_HIDDEN + j];
                g_h0[j] += g[0] * v(0) + g[1] * v(1) + g[2] * v(2) + g[3] * v(3);
            }
        }
        let mut gx = [0.0f32; 2];
        for o in 0..CLF_HIDDEN {
            let g = g_h0[o] * dsilu(u0[o]);
            gx[0] += g * self.v0[o * width];
            gx[1] += g * self.v0[o * width + 1];
        }
        gx
    }

    /// The most probable class at `x`, `t`.
    pub fn predict(&self, x: [f32; 2], t: f32) -> usize {
        let l = self.logits(x, t);
        (0..l.len()).fold(0, |best, k| if l[k] > l[best] { k } else { best })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A small network with reproducible non-trivial weights.
    pub(crate) fn toy_mlp(num_classes: usize) -> ScoreMlp {
        let mut k = 0u32;
        let mut w = |n: usize, scale: f32| -> Vec<f32> {
            (0..n)
                .map(|_| {
                    k += 1;
                    let h = crate::science::rng::pcg4d([k, 7, 7, 7])[0];
                    scale * (crate::science::rng::unit(h) * 2.0 - 1.0)
                })
                .collect()
        };
        ScoreMlp {
            num_classes,
            w0x: w(HIDDEN * 2, 0.7),
            w0t: w(HIDDEN * TIME_DIM, 0.2),
            class_bias: w((num_classes + 1) * HIDDEN, 0.3),
            w1: w(HIDDEN * HIDDEN, 0.15),
            b1: w(HIDDEN, 0.1),
            w2: w(HIDDEN * HIDDEN, 0.15),
            b2: w(HIDDEN, 0.1),
            w3: w(2 * HIDDEN, 0.2),
            b3: w(2, 0.1),
            target: Target::Eps,
        }
    }

    #[test]
    fn forward_mode_jacobian_matches_finite_differences() {
        for target in Target::ALL {
        let mlp = toy_mlp(3).with_target(target);
        for (t, class) in [(0.05f32, None), (0.5, Some(1)), (0.95, None)] {
            let tb = mlp.time_bias(t);
            for x in [[0.0f32, 0.0], [1.3, -0.7], [-2.2, 2.9]] {
                let (eps, jac) = mlp.eps_hat_jacobian(x, &tb, class);
                let plain = mlp.eps_hat(x, t, class);
                assert!((eps[0] - plain[0]).abs() < 1e-4 && (eps[1] - plain[1]).abs() < 1e-4, "{eps:?} vs {plain:?}");
                // Central differences in f64 of the f32 network: step 1e-2 keeps rounding far below the tolerance.
                let h = 1e-2f32;
                for j in 0..2 {
                    let (mut xp, mut xm) = (x, x);
                    xp[j] += h;
                    xm[j] -= h;
                    let (ep, em) = (mlp.eps_hat(xp, t, class), mlp.eps_hat(xm, t, class));
                    for i in 0..2 {
                        let fd = (ep[i] as f64 - em[i] as f64) / (2.0 * h as f64);
                        assert!((jac[i][j] as f64 - fd).abs() < 2e-3 * (1.0 + fd.abs()), "{target:?} t={t} x={x:?} J[{i}][{j}] {} vs {fd}", jac[i][j]);
                    }
                }
            }
        }
        }
    }

    /// A network read as another target is `A x + B net(C x, t′)` of the
    /// ε-reading's network at `t′`, level by level (science::targets); an
    /// ε-network's row reads (0, 1, 1) and its ε̂ is the network's output
    /// bit for bit.
    #[test]
    fn every_target_reads_the_same_network() {
        let net = toy_mlp(2);
        let xs = [[0.3f32, -1.2], [2.0, 0.5], [-3.1, 3.3]];
        for target in Target::ALL {
            let m = net.clone().with_target(target);
            for t in [0.01f32, 0.3, 0.9] {
                let r = target.reading(t);
                let tb = m.time_bias(t);
                assert_eq!(tb.len(), TABLE_ROW);
                assert_eq!(&tb[HIDDEN..], &[r.a, r.b, r.c, 0.0]);
                let mut got = [[0.0f32; 2]; 3];
                m.eps_hat_block(&xs, &tb, Some(1), &mut got);
                let scaled: Vec<[f32; 2]> = xs.iter().map(|x| [r.c * x[0], r.c * x[1]]).collect();
                let mut raw = [[0.0f32; 2]; 3];
                net.eps_hat_block(&scaled, &net.time_bias(r.t), Some(1), &mut raw);
                for ((g, x), o) in got.iter().zip(&xs).zip(&raw) {
                    for c in 0..2 {
                        let want = r.a * x[c] + r.b * o[c];
                        assert!((g[c] - want).abs() <= 1e-5 * (1.0 + want.abs()), "{target:?} t={t}: {g:?} against {want}");
                    }
                }
                if target == Target::Eps {
                    assert_eq!(got, raw, "an ε-network is itself, bit for bit");
                }
            }
        }
    }

    #[test]
    fn gpu_weight_offsets_match_the_shader() {
        // shaders/mlp_common.wgsl, in vec4 units: W0X_Y = 32, W1 = 64, …, CLASS_BIAS = B3 + 1.
        let m = toy_mlp(4);
        let w = m.gpu_weights();
        let v = |vec4_index: usize| 4 * vec4_index;
        assert_eq!((w[v(0)], w[v(0) + 1], w[v(32)]), (m.w0x[0], m.w0x[2], m.w0x[1]));
        // W1 as the kernel loads it: row o = 4rg + i, inputs 4k.., at 64 + k·128 + i·32 + rg.
        for (o, k) in [(0, 0), (1, 0), (4, 0), (127, 31), (77, 5)] {
            let (rg, i) = (o / 4, o % 4);
            let at = v(64 + k * 128 + i * 32 + rg);
            assert_eq!(w[at..at + 4], m.w1[o * HIDDEN + 4 * k..][..4], "W1 row {o}, group {k}");
            let at = v(4192 + k * 128 + i * 32 + rg);
            assert_eq!(w[at..at + 4], m.w2[o * HIDDEN + 4 * k..][..4], "W2 row {o}, group {k}");
        }
        assert_eq!(w[v(4160)..v(4160) + 2], m.b1[..2]);
        assert_eq!(w[v(8288)..v(8288) + 2], m.b2[..2]);
        assert_eq!(w[v(8320)..v(8320) + 2], m.w3[..2]);
        assert_eq!(w[v(8384)..v(8384) + 4], [m.b3[0], m.b3[1], 0.0, 0.0]);
        assert_eq!(w[v(8385)..], m.class_bias[..]);
        assert_eq!(w.len() % 4, 0);
        let layout = include_str!(concat!(env!("OUT_DIR"), "/shaders/mlp_common.wgsl"));
        assert!(layout.contains("const HIDDEN: u32 = 128u;") && HIDDEN == 128);
        assert!(layout.contains("const V_CLASS_BIAS: u32 = V_B3 + 1u;"));
        let src = include_str!(concat!(env!("OUT_DIR"), "/shaders/score_mlp.wgsl"));
        assert!(src.contains("let at = w + k * HIDDEN + rg;"), "the kernel's load order of W1 and W2");
    }

    #[test]
    fn time_embedding_by_hand() {
        let e = time_embedding(0.25);
        // j = 0: f = 1, argument 250; j = 8: f = 10000^(-1/2) = 0.01, argument 2.5.
        assert!((e[0] - 250f32.sin()).abs() < 1e-4 && (e[16] - 250f32.cos()).abs() < 1e-4);
        assert!((e[8] - 2.5f32.sin()).abs() < 1e-5 && (e[24] - 2.5f32.cos()).abs() < 1e-5);
    }

    #[test]
    fn block_forward_matches_the_unfolded_network() {
        // The plain definition in f64, unfolded: h0 = SiLU(W0x x + W0t temb + B[c]).
        let m = toy_mlp(3);
        let xs: Vec<[f32; 2]> = (0..BLOCK).map(|i| [i as f32 * 0.2 - 3.0, 1.5 - i as f32 * 0.1]).collect();
        for class in [Some(0), Some(2), None] {
            let t = 0.37;
            let mut out = vec![[0.0; 2]; BLOCK];
            m.eps_hat_block(&xs, &m.time_bias(t), class, &mut out);
            let e = time_embedding(t);
            let row = m.class_row(class);
            let s = |v: f64| v / (1.0 + (-v).exp());
            for (x, got) in xs.iter().zip(&out) {
                let h0: Vec<f64> = (0..HIDDEN)
                    .map(|o| {
                        let mut a = m.class_bias[row * HIDDEN + o] as f64
                            + m.w0x[2 * o] as f64 * x[0] as f64
                            + m.w0x[2 * o + 1] as f64 * x[1] as f64;
                        for j in 0..TIME_DIM {
                            a += m.w0t[o * TIME_DIM + j] as f64 * e[j] as f64;
                        }
                        s(a)
                    })
                    .collect();
                let layer = |w: &[f32], b: &[f32], h: &[f64]| -> Vec<f64> {
                    (0..HIDDEN).map(|o| s(b[o] as f64 + (0..HIDDEN).map(|i| w[o * HIDDEN + i] as f64 * h[i]).sum::<f64>())).collect()
                };
                let h2 = layer(&m.w2, &m.b2, &layer(&m.w1, &m.b1, &h0));
                for c in 0..2 {
                    let want = m.b3[c] as f64 + (0..HIDDEN).map(|i| m.w3[c * HIDDEN + i] as f64 * h2[i]).sum::<f64>();
                    assert!((got[c] as f64 - want).abs() < 1e-4 * (1.0 + want.abs()), "{got:?} vs {want}");
                }
            }
        }
        // A partial block gives the same values as the full one.
        let mut part = vec![[0.0; 2]; 5];
        let mut full = vec![[0.0; 2]; BLOCK];
        m.eps_hat_block(&xs[..5], &m.time_bias(0.5), Some(1), &mut part);
        m.eps_hat_block(&xs, &m.time_bias(0.5), Some(1), &mut full);
        assert_eq!(part[..], full[..5]);
    }

    #[test]
    fn classifier_gradient_matches_finite_differences() {
        let mut k = 0u32;
        let mut w = |n: usize, scale: f32| -> Vec<f32> {
            (0..n)
                .map(|_| {
                    k += 1;
                    scale * (crate::science::rng::unit(crate::science::rng::pcg4d([k, 3, 5, 7])[0]) * 2.0 - 1.0)
                })
                .collect()
        };
        let c = 3;
        let clf = Classifier {
            num_classes: c,
            v0: w(CLF_HIDDEN * (2 + TIME_DIM), 0.8),
            c0: w(CLF_HIDDEN, 0.2),
            v1: w(CLF_HIDDEN * CLF_HIDDEN, 0.3),
            c1: w(CLF_HIDDEN, 0.2),
            v2: w(c * CLF_HIDDEN, 0.5),
            c2: w(c, 0.2),
        };
        let log_p = |x: [f32; 2], y: usize| {
            let l: Vec<f64> = clf.logits(x, 0.3).into_iter().map(f64::from).collect();
            let m = l.iter().cloned().fold(f64::MIN, f64::max);
            l[y] - m - l.iter().map(|v| (v - m).exp()).sum::<f64>().ln()
        };
        let tb = clf.time_bias(0.3);
        for (x, y) in [([0.3f32, -0.7f32], 0usize), ([1.2, 0.4], 2), ([-2.0, 1.5], 1)] {
            let g = clf.grad_log_prob(x, &tb, y as u32);
            let h = 1e-2f32;
            for d in 0..2 {
                let (mut xp, mut xm) = (x, x);
                xp[d] += h;
                xm[d] -= h;
                let fd = (log_p(xp, y) - log_p(xm, y)) / (2.0 * h as f64);
                // Central differences in f32 inputs: error O(h²) plus f32 rounding of log p / h.
                assert!((g[d] as f64 - fd).abs() < 2e-3 * (1.0 + fd.abs()), "x={x:?} y={y} d={d}: {} vs {fd}", g[d]);
            }
        }
    }

    #[test]
    fn exp_poly_matches_libm() {
        let mut worst = 0f64;
        let mut x = -87.0f32;
        while x <= 88.0 {
            let (got, want) = (exp_poly(x) as f64, (x as f64).exp());
            worst = worst.max(((got - want) / want).abs());
            x += 0.0137;
        }
        assert!(worst < 2e-7, "max relative error {worst:e}");
        // Clamped outside the finite range: no inf or NaN reaches SiLU.
        assert!(exp_poly(1e4).is_finite() && exp_poly(-1e4) >= 0.0);
        assert!(silu(-1e4).is_finite() && (silu(1e4) - 1e4).abs() < 1.0);
    }
}
