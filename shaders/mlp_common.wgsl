// What the network kernels (score_mlp.wgsl for GPUs and
// score_mlp_per_thread.wgsl for CPU emulations, score_mlp_jacobian.wgsl,
// and the energy model's score_energy.wgsl and score_energy_jacobian.wgsl)
// read: the weight layouts of ScoreMlp::gpu_weights, EnergyMlp::gpu_weights
// and Classifier::gpu_weights, their bindings, and the elementwise helpers.
// Prepended before each.

const HIDDEN: u32 = 128u;
// Offsets into `weights` in vec4 units (16-byte loads), the order of
// ScoreMlp::gpu_weights: the x and y columns of W0x, W1, b1, W2, b2, W3,
// b3 (padded to 4), B. W1 and W2 hold row o = 4·rg + i, inputs 4k … 4k+3,
// at vec4 index k·HIDDEN + i·G + rg, so the 32 row groups of one load are
// 32 consecutive vec4.
const G: u32 = 32u;                       // vec4 groups per row of HIDDEN
const V_W0X_Y: u32 = G;
const V_W1: u32 = 2u * G;
const V_B1: u32 = V_W1 + HIDDEN * G;
const V_W2: u32 = V_B1 + G;
const V_B2: u32 = V_W2 + HIDDEN * G;
const V_W3: u32 = V_B2 + G;
const V_B3: u32 = V_W3 + 2u * G;
const V_CLASS_BIAS: u32 = V_B3 + 1u;

// The energy model's (model::energy; score_energy.wgsl and
// score_energy_jacobian.wgsl) instead, the order of EnergyMlp::gpu_weights:
// the x and y columns of W0x, W1, b1, W2, b2, w3, then W1ᵀ and W2ᵀ (in W's
// coalesced layout), then B.
const E_W1: u32 = 2u * G;
const E_B1: u32 = E_W1 + HIDDEN * G;
const E_W2: u32 = E_B1 + G;
const E_B2: u32 = E_W2 + HIDDEN * G;
const E_W3: u32 = E_B2 + G;
const E_W1T: u32 = E_W3 + G;
const E_W2T: u32 = E_W1T + HIDDEN * G;
const E_CLASS_BIAS: u32 = E_W2T + HIDDEN * G;

@group(0) @binding(2) var<storage, read> weights: array<vec4<f32>>;
// T[level]: ROW vec4 per level, G of W0t·temb(t′), then the target's
// reading (A, B, C, 0): ε̂ = A x + B net(C x, t′) (science::targets; an
// ε-network reads (0, 1, 1), exactly itself).
@group(0) @binding(4) var<storage, read> time_bias: array<vec4<f32>>;
const ROW: u32 = G + 1u;

fn silu(v: vec4<f32>) -> vec4<f32> {
    return v / (1.0 + exp(-v));
}

// Left to right, as the CPU sums it.
fn dot4(a: vec4<f32>, b: vec4<f32>) -> f32 {
    return a.x * b.x + a.y * b.y + a.z * b.z + a.w * b.w;
}

// ---- The classifier: logits = V2 SiLU(V1 SiLU(V0x x + Tc[level]) + c1) + c2.
const CLF_HIDDEN: u32 = 64u;
// Offsets into `clf`, the order of Classifier::gpu_weights: V0x, V1, c1, V2, c2.
const CLF_W1: u32 = 128u;                 // after V0x (CLF_HIDDEN × 2)
const CLF_C1: u32 = CLF_W1 + CLF_HIDDEN * CLF_HIDDEN;
const CLF_W2: u32 = CLF_C1 + CLF_HIDDEN;
// Largest class count (grid25 has 25).
const MAX_CLASSES: u32 = 32u;

@group(0) @binding(6) var<storage, read> clf: array<f32>;
// Tc[level] = V0t · temb(t) + c0, CLF_HIDDEN per level.
@group(0) @binding(7) var<storage, read> clf_bias: array<f32>;

fn c4(at: u32) -> vec4<f32> {
    return vec4<f32>(clf[at], clf[at + 1u], clf[at + 2u], clf[at + 3u]);
}

fn dsilu(u: vec4<f32>) -> vec4<f32> {
    let s = 1.0 / (1.0 + exp(-u));
    return s * (1.0 + u * (1.0 - s));
}
