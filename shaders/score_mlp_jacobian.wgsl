// The score MLP's ε̂ with the trace of its Jacobian, tr ∂ε̂/∂x, by forward
// mode (the tangents along x₁ and x₂ go through every layer beside the
// activations, SiLU'(z) = σ(z)(1 + z(1 − σ(z)))), as a cooperative
// workgroup kernel: twin of ScoreMlp::eps_hat_jacobian (core/src/model/mlp.rs),
// the same sums in the same order (inputs in groups of four, each group
// summed left to right, then added to the accumulator). For the likelihood
// through the probability-flow ODE (likelihood.wgsl), unconditional (the
// null class).
//
// Designed like score_mlp.wgsl (read its header): WG = 128 threads own a
// tile of TILE = 8 particles. Each particle has three columns in workgroup
// memory — its activations and their two tangents — so the tile holds
// 8 × 3 × 128 f32 = 12 KiB (within WebGPU's default 16 KiB). Thread (rg, pg)
// computes rows 4rg … 4rg+3 of particles 2pg and 2pg+1, all three columns,
// so the pre-activation whose SiLU' scales the tangents stays in its
// registers: 6 vec4 accumulators and the 4 weight vec4 of one load.
//
// Contract with likelihood.wgsl: every thread calls eps_trace_tile together
// (it contains barriers); thread lid < TILE passes its particle and gets
// (ε̂, tr J); the others only help.

const TILE: u32 = 8u;
const WG: u32 = 128u;
// Columns per particle: value, ∂/∂x₁, ∂/∂x₂.
const COLS: u32 = 3u;

var<workgroup> sh_x: array<vec2<f32>, TILE>;
// Particle p's column c (0 value, 1 and 2 the tangents) at sh_h[(COLS·p + c)·G …].
var<workgroup> sh_h: array<vec4<f32>, TILE * COLS * G>;

fn rows(w0: vec4<f32>, w1: vec4<f32>, w2: vec4<f32>, w3: vec4<f32>, a: vec4<f32>) -> vec4<f32> {
    return vec4<f32>(dot4(w0, a), dot4(w1, a), dot4(w2, a), dot4(w3, a));
}

// One hidden layer in place: h ← SiLU(W h + b), t ← SiLU'(W h + b) ⊙ (W t) for both tangents.
fn dense_jacobian_tile(w: u32, bias: u32, rg: u32, pg: u32) {
    let b = weights[bias + rg];
    let ca = 2u * pg * COLS * G;   // particle 2pg's first column
    let cb = ca + COLS * G;        // particle 2pg + 1's
    var za = b;
    var xa = vec4<f32>(0.0);
    var ya = vec4<f32>(0.0);
    var zb = b;
    var xb = vec4<f32>(0.0);
    var yb = vec4<f32>(0.0);
    for (var k = 0u; k < G; k++) {
        let at = w + k * HIDDEN + rg;
        let w0 = weights[at];
        let w1 = weights[at + G];
        let w2 = weights[at + 2u * G];
        let w3 = weights[at + 3u * G];
        za += rows(w0, w1, w2, w3, sh_h[ca + k]);
        xa += rows(w0, w1, w2, w3, sh_h[ca + G + k]);
        ya += rows(w0, w1, w2, w3, sh_h[ca + 2u * G + k]);
        zb += rows(w0, w1, w2, w3, sh_h[cb + k]);
        xb += rows(w0, w1, w2, w3, sh_h[cb + G + k]);
        yb += rows(w0, w1, w2, w3, sh_h[cb + 2u * G + k]);
    }
    // Every thread has read the layer's input before any overwrites it.
    workgroupBarrier();
    let ga = dsilu(za);
    sh_h[ca + rg] = silu(za);
    sh_h[ca + G + rg] = ga * xa;
    sh_h[ca + 2u * G + rg] = ga * ya;
    let gb = dsilu(zb);
    sh_h[cb + rg] = silu(zb);
    sh_h[cb + G + rg] = gb * xb;
    sh_h[cb + 2u * G + rg] = gb * yb;
    workgroupBarrier();
}

// The hidden layers of the null class at time-table row `level`, with their
// tangents, into sh_h; `n_classes` rows of B precede the null row.
fn hidden_jacobian_tile(lid: u32, x: vec2<f32>, level: u32, n_classes: u32) {
    // The network's input is C·x (the target's reading); the tangents are along it.
    if (lid < TILE) {
        sh_x[lid] = time_bias[level * ROW + G].z * x;
    }
    workgroupBarrier();
    let rg = lid % G;
    let pg = lid / G;
    let base = weights[V_CLASS_BIAS + n_classes * G + rg] + time_bias[level * ROW + rg];
    let wx = weights[rg];
    let wy = weights[V_W0X_Y + rg];
    for (var q = 0u; q < 2u; q++) {
        let p = 2u * pg + q;
        let xp = sh_x[p];
        let z = base + wx * xp.x + wy * xp.y;
        let g = dsilu(z);
        let c = p * COLS * G;
        sh_h[c + rg] = silu(z);
        sh_h[c + G + rg] = g * wx;
        sh_h[c + 2u * G + rg] = g * wy;
    }
    workgroupBarrier();
    dense_jacobian_tile(V_W1, V_B1, rg, pg);
    dense_jacobian_tile(V_W2, V_B2, rg, pg);
}

// (ε̂.x, ε̂.y, tr ∂ε̂/∂x) of the null class (the likelihood's evaluation).
fn eps_trace_tile(lid: u32, x: vec2<f32>, level: u32, alpha: f32, sigma: f32, n_classes: u32) -> vec3<f32> {
    hidden_jacobian_tile(lid, x, level, n_classes);
    // The output layer: one thread a particle, the CPU's order. Only the
    // diagonal of the Jacobian is needed: row 1 against the x₁ tangent, row 2 against the x₂ one.
    var out = vec3<f32>(0.0);
    if (lid < TILE) {
        var e = weights[V_B3].xy;
        var j11 = 0.0;
        var j22 = 0.0;
        let c = lid * COLS * G;
        for (var r = 0u; r < G; r++) {
            let a = sh_h[c + r];
            let w1 = weights[V_W3 + r];
            let w2 = weights[V_W3 + G + r];
            e += vec2<f32>(dot4(w1, a), dot4(w2, a));
            j11 += dot4(w1, sh_h[c + G + r]);
            j22 += dot4(w2, sh_h[c + 2u * G + r]);
        }
        // ε̂ = A x + B net(C x): tr J = 2A + B C tr J_net.
        let reading = time_bias[level * ROW + G];
        out = vec3<f32>(reading.x * x + reading.y * e, 2.0 * reading.x + reading.y * (reading.z * (j11 + j22)));
    }
    return out;
}

// ε̂ and its whole Jacobian J_ij = ∂ε̂_i/∂x_j (the score layers' evaluation):
// (ε̂.x, ε̂.y, J11, J21) and (J12, J22, 0, 0) — the columns along x₁ and x₂.
struct EpsJacobian {
    eps_col1: vec4<f32>,
    col2: vec4<f32>,
}

fn eps_jacobian_tile(lid: u32, x: vec2<f32>, level: u32, n_classes: u32) -> EpsJacobian {
    hidden_jacobian_tile(lid, x, level, n_classes);
    var out = EpsJacobian(vec4<f32>(0.0), vec4<f32>(0.0));
    if (lid < TILE) {
        var e = weights[V_B3].xy;
        var c1 = vec2<f32>(0.0);
        var c2 = vec2<f32>(0.0);
        let c = lid * COLS * G;
        for (var r = 0u; r < G; r++) {
            let w1 = weights[V_W3 + r];
            let w2 = weights[V_W3 + G + r];
            let a = sh_h[c + r];
            let tx = sh_h[c + G + r];
            let ty = sh_h[c + 2u * G + r];
            e += vec2<f32>(dot4(w1, a), dot4(w2, a));
            c1 += vec2<f32>(dot4(w1, tx), dot4(w2, tx));
            c2 += vec2<f32>(dot4(w1, ty), dot4(w2, ty));
        }
        // ε̂ = A x + B net(C x): J = A I + B C J_net.
        let reading = time_bias[level * ROW + G];
        let bc = reading.y * reading.z;
        out = EpsJacobian(vec4<f32>(reading.x * x + reading.y * e, bc * c1 + vec2<f32>(reading.x, 0.0)), vec4<f32>(bc * c2 + vec2<f32>(0.0, reading.x), 0.0, 0.0));
    }
    return out;
}
