// The pretrained score MLP's ε̂, per particle: twin of ScoreMlp::eps_hat_block
// (src/model/mlp.rs), the same sums in the same order.
//   h0 = SiLU(B[c] + T[level] + W0x x),  h1 = SiLU(W1 h0 + b1),
//   h2 = SiLU(W2 h1 + b2),               ε̂ = W3 h2 + b3
// B[c] is the folded class part of the first layer (row C = the null class,
// used for class = all), T[level] its time part, tabulated on the host per
// plan step (row 2s: the step's start level, row 2s + 1: Heun's end level).

const HIDDEN: u32 = 128u;
// Offsets into `weights`, the order of ScoreMlp::gpu_weights.
const OFF_W1: u32 = 256u;                 // after W0x (HIDDEN × 2)
const OFF_B1: u32 = OFF_W1 + HIDDEN * HIDDEN;
const OFF_W2: u32 = OFF_B1 + HIDDEN;
const OFF_B2: u32 = OFF_W2 + HIDDEN * HIDDEN;
const OFF_W3: u32 = OFF_B2 + HIDDEN;
const OFF_B3: u32 = OFF_W3 + 2u * HIDDEN;
const OFF_CLASS_BIAS: u32 = OFF_B3 + 2u;

@group(0) @binding(2) var<storage, read> weights: array<f32>;
@group(0) @binding(4) var<storage, read> time_bias: array<f32>;

fn silu(v: f32) -> f32 {
    return v / (1.0 + exp(-v));
}

// `n_classes` rows of B precede the null row; class_id ≥ n_classes means all.
// ≈ 33 000 loop iterations: the engine runs one evaluation per invocation
// (llvmpipe caps an invocation at 65 535; gpu.rs says more).
fn eps_hat(x: vec2<f32>, level: u32, alpha: f32, sigma: f32, class_id: u32, n_classes: u32) -> vec2<f32> {
    let row = select(n_classes, class_id, class_id < n_classes);
    let cb = OFF_CLASS_BIAS + row * HIDDEN;
    let tb = level * HIDDEN;
    var h0: array<f32, 128>;
    var h1: array<f32, 128>;
    for (var o = 0u; o < HIDDEN; o++) {
        h0[o] = silu((weights[cb + o] + time_bias[tb + o]) + weights[2u * o] * x.x + weights[2u * o + 1u] * x.y);
    }
    for (var o = 0u; o < HIDDEN; o++) {
        var acc = weights[OFF_B1 + o];
        let w = OFF_W1 + o * HIDDEN;
        for (var i = 0u; i < HIDDEN; i++) {
            acc += weights[w + i] * h0[i];
        }
        h1[o] = silu(acc);
    }
    // The last hidden layer feeds the output as it goes: the same sums, in
    // the same order, as the CPU's separate output pass.
    var ex = weights[OFF_B3];
    var ey = weights[OFF_B3 + 1u];
    for (var o = 0u; o < HIDDEN; o++) {
        var acc = weights[OFF_B2 + o];
        let w = OFF_W2 + o * HIDDEN;
        for (var i = 0u; i < HIDDEN; i++) {
            acc += weights[w + i] * h1[i];
        }
        let h2 = silu(acc);
        ex += weights[OFF_W3 + o] * h2;
        ey += weights[OFF_W3 + HIDDEN + o] * h2;
    }
    return vec2<f32>(ex, ey);
}

// Heun's second evaluation (see sample.wgsl): the same network.
fn eps_hat_end(x: vec2<f32>, level: u32, alpha: f32, sigma: f32, class_id: u32, n_classes: u32) -> vec2<f32> {
    return eps_hat(x, level, alpha, sigma, class_id, n_classes);
}
