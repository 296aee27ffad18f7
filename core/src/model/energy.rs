//! The conservative model (`model=energy`; seed 003, SCIENCE.md §6): the
//! score MLP's architecture with one output, a scalar `φ(x, t, c)`, read as
//!
//! ```text
//! ε̂(x, t, c) = ∇_x φ(x, t, c),   E(x, t, c) = φ / σ_t,   s = −∇_x E = −ε̂ / σ_t
//! ```
//!
//! so at every level the score is the gradient of a scalar: its curl is zero
//! up to float error and its line integrals do not depend on the path. The
//! trainer (`tools/train --energy`, `EnergyNet`) fits `∇_x φ` to the noise
//! with the ε-network's loss; here `∇_x φ` is the MLP's backward pass from
//! its one output to its input:
//!
//! ```text
//! z0 = W0x x + W0t temb(t) + B[c],  z1 = W1 SiLU(z0) + b1,  z2 = W2 SiLU(z1) + b2
//! φ  = w3 · SiLU(z2) + b3
//! g2 = w3 ⊙ SiLU'(z2),  g1 = SiLU'(z1) ⊙ (W2ᵀ g2),  g0 = SiLU'(z0) ⊙ (W1ᵀ g1)
//! ε̂  = W0xᵀ g0
//! ```
//!
//! The first layer is folded as the ε-network's is ([`ScoreMlp`]'s time
//! table and class biases are reused as they are).

use super::mlp::{dense, gpu_matrix, silu, ScoreMlp, BLOCK, HIDDEN};

/// `SiLU(z)` and `SiLU'(z) = σ(z)(1 + z(1 − σ(z)))`, with the exponential
/// [`silu`] uses on this target.
#[inline(always)]
fn silu_and_grad(z: f32) -> (f32, f32) {
    let h = silu(z);
    // σ(z) = SiLU(z)/z away from 0; computed directly to stay exact at 0.
    #[cfg(target_arch = "wasm32")]
    let e = super::mlp::exp_poly(-z);
    #[cfg(not(target_arch = "wasm32"))]
    let e = (-z).exp();
    let sig = 1.0 / (1.0 + e);
    (h, sig * (1.0 + z * (1.0 - sig)))
}

/// The energy network. `net` holds the folded layers in [`ScoreMlp`]'s
/// form, except that its last layer has one row: `w3` is HIDDEN long and
/// `b3` one value. Its target is ε (the time table's reading is `(0, 1, 1)`).
#[derive(Clone, Debug, PartialEq)]
pub struct EnergyMlp {
    pub net: ScoreMlp,
}

/// `acc[k][b] += Σ_o w[o][k] · g[o][b]` — a transposed layer over a block,
/// the rows `o` in groups of four summed left to right, groups in increasing `o`.
fn transposed(w: &[f32], g: &[[f32; BLOCK]], acc: &mut [[f32; BLOCK]], n: usize) {
    let width = acc.len();
    for m in 0..g.len() / 4 {
        let rows = [&w[4 * m * width..], &w[(4 * m + 1) * width..], &w[(4 * m + 2) * width..], &w[(4 * m + 3) * width..]];
        let (ga, gb, gc, gd) = (&g[4 * m], &g[4 * m + 1], &g[4 * m + 2], &g[4 * m + 3]);
        for (k, a) in acc.iter_mut().enumerate() {
            let (wa, wb, wc, wd) = (rows[0][k], rows[1][k], rows[2][k], rows[3][k]);
            for b in 0..n {
                a[b] += wa * ga[b] + wb * gb[b] + wc * gc[b] + wd * gd[b];
            }
        }
    }
}

impl EnergyMlp {
    pub fn num_classes(&self) -> usize {
        self.net.num_classes
    }

    /// The level's time-table row (as [`ScoreMlp::time_bias`]).
    pub fn time_bias(&self, t: f32) -> Vec<f32> {
        self.net.time_bias(t)
    }

    /// `φ` and `ε̂ = ∇_x φ` for up to [`BLOCK`] particles sharing one level and class.
    pub fn phi_and_eps_block(&self, xs: &[[f32; 2]], time_bias: &[f32], class: Option<u32>, phi: &mut [f32], eps: &mut [[f32; 2]]) {
        let n = xs.len();
        assert!(n <= BLOCK && eps.len() >= n && phi.len() >= n);
        let p = &self.net;
        let cb = &p.class_bias[p.class_row(class) * HIDDEN..][..HIDDEN];
        // Forward: the activations h and the slopes SiLU'(z) of each hidden layer.
        let (mut h0, mut d0) = (vec![[0.0f32; BLOCK]; HIDDEN], vec![[0.0f32; BLOCK]; HIDDEN]);
        for o in 0..HIDDEN {
            let base = cb[o] + time_bias[o];
            let (wx, wy) = (p.w0x[2 * o], p.w0x[2 * o + 1]);
            for b in 0..n {
                (h0[o][b], d0[o][b]) = silu_and_grad(base + wx * xs[b][0] + wy * xs[b][1]);
            }
        }
        let (mut z, mut h1, mut d1) = (vec![[0.0f32; BLOCK]; HIDDEN], vec![[0.0f32; BLOCK]; HIDDEN], vec![[0.0f32; BLOCK]; HIDDEN]);
        dense(&p.w1, &p.b1, &h0, &mut z, n);
        for o in 0..HIDDEN {
            for b in 0..n {
                (h1[o][b], d1[o][b]) = silu_and_grad(z[o][b]);
            }
        }
        dense(&p.w2, &p.b2, &h1, &mut z, n);
        // φ = w3 · SiLU(z2) + b3 and, on the way back, g2 = w3 ⊙ SiLU'(z2) (reusing z).
        let mut total = [p.b3[0]; BLOCK];
        for o in 0..HIDDEN {
            for b in 0..n {
                let (h, d) = silu_and_grad(z[o][b]);
                total[b] += p.w3[o] * h;
                z[o][b] = p.w3[o] * d;
            }
        }
        // g1 = SiLU'(z1) ⊙ W2ᵀ g2, then g0 = SiLU'(z0) ⊙ W1ᵀ g1.
        let mut g1 = vec![[0.0f32; BLOCK]; HIDDEN];
        transposed(&p.w2, &z, &mut g1, n);
        for (g, d) in g1.iter_mut().zip(&d1) {
            for b in 0..n {
                g[b] *= d[b];
            }
        }
        let mut g0 = vec![[0.0f32; BLOCK]; HIDDEN];
        transposed(&p.w1, &g1, &mut g0, n);
        // ε̂ = W0xᵀ (SiLU'(z0) ⊙ g0), in groups of four (the kernel's order).
        for b in 0..n {
            let mut e = [0.0f32; 2];
            for r in 0..HIDDEN / 4 {
                let g: [f32; 4] = std::array::from_fn(|i| g0[4 * r + i][b] * d0[4 * r + i][b]);
                for (c, ec) in e.iter_mut().enumerate() {
                    let w: [f32; 4] = std::array::from_fn(|i| p.w0x[2 * (4 * r + i) + c]);
                    *ec += w[0] * g[0] + w[1] * g[1] + w[2] * g[2] + w[3] * g[3];
                }
            }
            eps[b] = e;
            phi[b] = total[b];
        }
    }

    /// The weights as `shaders/score_energy.wgsl` lays them out, in vec4
    /// units: the x and y columns of `W0x`, `W1, b1, W2, b2, w3`, then `W1ᵀ`
    /// and `W2ᵀ` (the backward pass's matrices, in the same coalesced layout
    /// as W1 and W2, [`gpu_matrix`]), then `B`.
    pub fn gpu_weights(&self) -> Vec<f32> {
        let p = &self.net;
        let transpose = |w: &[f32]| -> Vec<f32> { (0..HIDDEN * HIDDEN).map(|i| w[(i % HIDDEN) * HIDDEN + i / HIDDEN]).collect() };
        let (w1t, w2t) = (transpose(&p.w1), transpose(&p.w2));
        (0..HIDDEN)
            .map(|o| p.w0x[2 * o])
            .chain((0..HIDDEN).map(|o| p.w0x[2 * o + 1]))
            .chain(gpu_matrix(&p.w1))
            .chain(p.b1.iter().copied())
            .chain(gpu_matrix(&p.w2))
            .chain(p.b2.iter().copied())
            .chain(p.w3.iter().copied())
            .chain(gpu_matrix(&w1t))
            .chain(gpu_matrix(&w2t))
            .chain(p.class_bias.iter().copied())
            .collect()
    }

    /// `ε̂ = ∇_x φ` for a block (the samplers' contract).
    pub fn eps_hat_block(&self, xs: &[[f32; 2]], time_bias: &[f32], class: Option<u32>, out: &mut [[f32; 2]]) {
        let mut phi = [0.0f32; BLOCK];
        self.phi_and_eps_block(xs, time_bias, class, &mut phi, out);
    }

    /// `ε̂` of one point and its Jacobian `J_ij = ∂ε̂_i/∂x_j = ∂²φ/∂x_i∂x_j`
    /// (the Hessian of φ, symmetric, so the field's curl `J_21 − J_12` is
    /// zero up to float error): forward-mode tangents along x₁ and x₂ carried
    /// through the forward and the backward pass, with
    /// `SiLU''(z) = σ(z)(1 − σ(z))(2 + z(1 − 2σ(z)))`. For the score
    /// diagnostics and the likelihood's divergence.
    pub fn eps_hat_jacobian(&self, x: [f32; 2], time_bias: &[f32], class: Option<u32>) -> ([f32; 2], [[f32; 2]; 2]) {
        let p = &self.net;
        let cb = &p.class_bias[p.class_row(class) * HIDDEN..][..HIDDEN];
        let slopes = |z: f32| {
            let sig = 1.0 / (1.0 + (-z).exp());
            (silu(z), sig * (1.0 + z * (1.0 - sig)), sig * (1.0 - sig) * (2.0 + z * (1.0 - 2.0 * sig)))
        };
        // Per hidden layer: h, SiLU'(z), and the tangents of h and of SiLU'(z) along x₁, x₂.
        struct Layer {
            h: [f32; HIDDEN],
            s: [f32; HIDDEN],
            dh: [[f32; HIDDEN]; 2],
            ds: [[f32; HIDDEN]; 2],
        }
        let empty = || Layer { h: [0.0; HIDDEN], s: [0.0; HIDDEN], dh: [[0.0; HIDDEN]; 2], ds: [[0.0; HIDDEN]; 2] };
        let mut l0 = empty();
        for o in 0..HIDDEN {
            let (wx, wy) = (p.w0x[2 * o], p.w0x[2 * o + 1]);
            let (h, s, s2) = slopes(cb[o] + time_bias[o] + wx * x[0] + wy * x[1]);
            (l0.h[o], l0.s[o]) = (h, s);
            for (d, w) in [wx, wy].into_iter().enumerate() {
                l0.dh[d][o] = s * w;
                l0.ds[d][o] = s2 * w;
            }
        }
        // Sums in groups of four, each summed left to right, then added to
        // the accumulator: the order of the kernel (score_energy_jacobian.wgsl).
        let dot = |acc: f32, w: &[f32], v: &[f32]| {
            w.chunks_exact(4).zip(v.chunks_exact(4)).fold(acc, |a, (w, v)| a + (w[0] * v[0] + w[1] * v[1] + w[2] * v[2] + w[3] * v[3]))
        };
        let next = |w: &[f32], b: &[f32], prev: &Layer| {
            let mut l = empty();
            for o in 0..HIDDEN {
                let row = &w[o * HIDDEN..(o + 1) * HIDDEN];
                let z = dot(b[o], row, &prev.h);
                let (h, s, s2) = slopes(z);
                (l.h[o], l.s[o]) = (h, s);
                for d in 0..2 {
                    let dz = dot(0.0, row, &prev.dh[d]);
                    l.dh[d][o] = s * dz;
                    l.ds[d][o] = s2 * dz;
                }
            }
            l
        };
        let l1 = next(&p.w1, &p.b1, &l0);
        let l2 = next(&p.w2, &p.b2, &l1);
        // Back: g = w3 ⊙ s2, and through each layer g ← s ⊙ (Wᵀ g); tangents by the product rule.
        let mut g: [f32; HIDDEN] = std::array::from_fn(|o| p.w3[o] * l2.s[o]);
        let mut dg: [[f32; HIDDEN]; 2] = std::array::from_fn(|d| std::array::from_fn(|o| p.w3[o] * l2.ds[d][o]));
        for (w, below) in [(&p.w2, &l1), (&p.w1, &l0)] {
            // (Wᵀ v)_k, the kernel's order: Wᵀ's row k is W's column k.
            let back = |v: &[f32; HIDDEN]| -> [f32; HIDDEN] {
                std::array::from_fn(|k| {
                    let column: [f32; HIDDEN] = std::array::from_fn(|o| w[o * HIDDEN + k]);
                    dot(0.0, &column, v)
                })
            };
            let (u, du) = (back(&g), [back(&dg[0]), back(&dg[1])]);
            g = std::array::from_fn(|k| below.s[k] * u[k]);
            dg = std::array::from_fn(|d| std::array::from_fn(|k| below.ds[d][k] * u[k] + below.s[k] * du[d][k]));
        }
        let (mut eps, mut jac) = ([0.0f32; 2], [[0.0f32; 2]; 2]);
        for c in 0..2 {
            let w: [f32; HIDDEN] = std::array::from_fn(|o| p.w0x[2 * o + c]);
            eps[c] = dot(0.0, &w, &g);
            for d in 0..2 {
                jac[c][d] = dot(0.0, &w, &dg[d]);
            }
        }
        (eps, jac)
    }

    /// `φ(x, t, c)` and `ε̂` of one point.
    pub fn phi_and_eps(&self, x: [f32; 2], t: f32, class: Option<u32>) -> (f32, [f32; 2]) {
        let (mut phi, mut eps) = ([0.0f32], [[0.0f32; 2]]);
        self.phi_and_eps_block(&[x], &self.time_bias(t), class, &mut phi, &mut eps);
        (phi[0], eps[0])
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A small energy network with reproducible non-trivial weights (the
    /// toy ε-network's, with a one-row last layer).
    pub(crate) fn toy_energy(num_classes: usize) -> EnergyMlp {
        let mut net = crate::model::mlp::tests::toy_mlp(num_classes);
        net.w3.truncate(HIDDEN);
        net.b3.truncate(1);
        EnergyMlp { net }
    }

    /// `ε̂` is the gradient of `φ`: against central differences of φ in f64
    /// terms (step 1e-2, where f32 rounding of φ ≈ 1e-7·|φ|/h and the
    /// truncation error h²·|φ'''| are both below 1e-4), at points across the
    /// box, levels and classes. Measured 3.0e-5; bar 3e-4. Control: the gradient of a different class's φ differs.
    #[test]
    fn eps_is_the_gradient_of_phi() {
        let m = toy_energy(3);
        let h = 1e-2f32;
        let mut worst = 0.0f32;
        for (i, &t) in [0.01f32, 0.2, 0.7].iter().enumerate() {
            for class in [None, Some(0), Some(2)] {
                for k in 0..8 {
                    let x = [-3.0 + 0.8 * k as f32, 2.5 - 0.6 * k as f32 + 0.3 * i as f32];
                    let (_, eps) = m.phi_and_eps(x, t, class);
                    let phi = |x: [f32; 2]| m.phi_and_eps(x, t, class).0;
                    let fd = [(phi([x[0] + h, x[1]]) - phi([x[0] - h, x[1]])) / (2.0 * h), (phi([x[0], x[1] + h]) - phi([x[0], x[1] - h])) / (2.0 * h)];
                    let scale = 1.0 + eps[0].abs().max(eps[1].abs());
                    worst = worst.max((fd[0] - eps[0]).abs().max((fd[1] - eps[1]).abs()) / scale);
                }
            }
        }
        eprintln!("ε̂ against the finite-difference gradient of φ: {worst:e}");
        assert!(worst < 3e-4, "{worst}");
        let (a, b) = (m.phi_and_eps([0.5, 0.5], 0.1, Some(0)).1, m.phi_and_eps([0.5, 0.5], 0.1, Some(1)).1);
        assert!((a[0] - b[0]).abs() + (a[1] - b[1]).abs() > 1e-3, "the control");
    }

    /// The Jacobian is symmetric (a Hessian: the curl is zero to float
    /// error, measured against the field's scale) and matches central
    /// differences of ε̂; its ε̂ is the block's. Measured: finite differences
    /// 5.5e-6 and curl 1.5e-8 of the Jacobian's scale; bars 1e-4 and 1e-6. Control: the ε-network with
    /// the same hidden layers has a curl far from zero.
    #[test]
    fn the_jacobian_is_the_hessian_and_symmetric() {
        let m = toy_energy(2);
        let (h, mut worst_fd, mut worst_curl) = (1e-2f32, 0.0f32, 0.0f32);
        for k in 0..12 {
            let (x, t) = ([-3.0 + 0.5 * k as f32, 1.5 - 0.3 * k as f32], 0.05 + 0.08 * k as f32);
            let tb = m.time_bias(t);
            let (eps, j) = m.eps_hat_jacobian(x, &tb, Some(1));
            let single = m.phi_and_eps(x, t, Some(1)).1;
            let scale = 1.0 + j.iter().flatten().fold(0.0f32, |a, v| a.max(v.abs()));
            assert!((eps[0] - single[0]).abs() + (eps[1] - single[1]).abs() < 1e-4 * (1.0 + eps[0].abs() + eps[1].abs()));
            let e = |x: [f32; 2]| m.eps_hat_jacobian(x, &tb, Some(1)).0;
            for d in 0..2 {
                let (mut up, mut down) = (x, x);
                up[d] += h;
                down[d] -= h;
                let (a, b) = (e(up), e(down));
                for c in 0..2 {
                    worst_fd = worst_fd.max(((a[c] - b[c]) / (2.0 * h) - j[c][d]).abs() / scale);
                }
            }
            worst_curl = worst_curl.max((j[1][0] - j[0][1]).abs() / scale);
        }
        eprintln!("energy Jacobian: finite differences within {worst_fd:e}, curl within {worst_curl:e} of its scale");
        assert!(worst_fd < 1e-4 && worst_curl < 1e-6, "{worst_fd} {worst_curl}");
        let mut eps_net = crate::model::mlp::tests::toy_mlp(2);
        eps_net.w3 = (0..2 * HIDDEN).map(|k| m.net.w3[k % HIDDEN] * if k < HIDDEN { 1.0 } else { -0.7 }).collect();
        let (_, j) = eps_net.eps_hat_jacobian([0.3, -0.4], &eps_net.time_bias(0.2), Some(1));
        assert!((j[1][0] - j[0][1]).abs() > 1e-2 * (1.0 + j.iter().flatten().fold(0.0f32, |a, v| a.max(v.abs()))), "the control: {j:?}");
    }

    /// A block gives each particle the same bits as one particle at a time.
    #[test]
    fn blocks_match_single_points() {
        let m = toy_energy(2);
        let xs: Vec<[f32; 2]> = (0..BLOCK).map(|k| [-2.0 + 0.13 * k as f32, 1.0 - 0.07 * k as f32]).collect();
        let tb = m.time_bias(0.3);
        let (mut phi, mut eps) = (vec![0.0f32; BLOCK], vec![[0.0f32; 2]; BLOCK]);
        m.phi_and_eps_block(&xs, &tb, Some(1), &mut phi, &mut eps);
        for (k, x) in xs.iter().enumerate() {
            assert_eq!((phi[k], eps[k]), m.phi_and_eps(*x, 0.3, Some(1)));
        }
    }
}
