//! The CPU twin's forward and backward passes, written out by hand: the
//! score network in blocks of rows, the classifier row by row; the sums are
//! the same however the rows are cut.

use super::params::{ClassifierParams, ScoreParams, TrainBatch, CLF_INPUT, INPUT};
use crate::model::mlp::{CLASS_DIM, CLF_HIDDEN, HIDDEN, TIME_DIM};

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
