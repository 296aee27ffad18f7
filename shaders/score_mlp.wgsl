// The pretrained score MLP's ε̂ as a cooperative workgroup kernel: twin of
// ScoreMlp::eps_hat_block (core/src/model/mlp.rs), the same sums in the same
// order (inputs in groups of four, each group summed left to right, then
// added to the accumulator).
//   h0 = SiLU(B[c] + T[level] + W0x x),  h1 = SiLU(W1 h0 + b1),
//   h2 = SiLU(W2 h1 + b2),               ε̂ = W3 h2 + b3
// B[c] is the folded class part of the first layer (row C = the null class,
// used for class = all), T[level] its time part, tabulated on the host per
// level of the step plan (StepPlan::levels).
//
// Designed for real GPUs (the "fully fused MLP" of tiny-cuda-nn): a
// workgroup of WG = 128 threads owns a tile of TILE = 16 particles (8
// threads a particle, so 4 096 particles are 256 workgroups). The tile's
// activations live in workgroup memory (16 × 128 f32 = 8 KiB); each thread
// accumulates a 4 × 4 register tile (4 output rows of 4 particles) while the
// weight matrix streams through from global memory in coalesced vec4 loads
// (ScoreMlp::gpu_weights stores W1 and W2 as [k][i][rg], mlp_common.wgsl). No
// per-thread hidden arrays: nothing for a compiler to spill.
//
// Also the noisy-input classifier's gradient ∇_x log p(y | x) for classifier
// guidance, cooperatively on the same tile: log_class_grad_tile, twin of
// Classifier::grad_log_prob.
//
// Contract with sample.wgsl: every thread of the workgroup calls eps_tile
// and log_class_grad_tile together (they contain barriers); thread lid <
// TILE passes its particle's input and gets its particle's result; the
// other threads only help.

// Particles per workgroup and threads per workgroup (engine/gpu.rs reads
// both through naga in tests/shaders.rs).
const TILE: u32 = 16u;
const WG: u32 = 128u;

// The tile's inputs, and its hidden layer: particle p's 128 values at
// sh_h[p·G …]. The classifier reuses sh_h for its pre-activations.
var<workgroup> sh_x: array<vec2<f32>, TILE>;
var<workgroup> sh_h: array<vec4<f32>, TILE * G>;

fn rows(w0: vec4<f32>, w1: vec4<f32>, w2: vec4<f32>, w3: vec4<f32>, a: vec4<f32>) -> vec4<f32> {
    return vec4<f32>(dot4(w0, a), dot4(w1, a), dot4(w2, a), dot4(w3, a));
}

// One hidden layer, h ← SiLU(W h + b), in place in sh_h: thread (rg, pg)
// computes rows 4rg … 4rg+3 of particles 4pg … 4pg+3 in registers.
fn dense_tile(w: u32, bias: u32, rg: u32, pg: u32) {
    let b = weights[bias + rg];
    var oa = b;
    var ob = b;
    var oc = b;
    var od = b;
    let pa = 4u * pg * G;
    for (var k = 0u; k < G; k++) {
        let at = w + k * HIDDEN + rg;
        let w0 = weights[at];
        let w1 = weights[at + G];
        let w2 = weights[at + 2u * G];
        let w3 = weights[at + 3u * G];
        oa += rows(w0, w1, w2, w3, sh_h[pa + k]);
        ob += rows(w0, w1, w2, w3, sh_h[pa + G + k]);
        oc += rows(w0, w1, w2, w3, sh_h[pa + 2u * G + k]);
        od += rows(w0, w1, w2, w3, sh_h[pa + 3u * G + k]);
    }
    // Every thread has read the layer's input before any overwrites it.
    workgroupBarrier();
    sh_h[pa + rg] = silu(oa);
    sh_h[pa + G + rg] = silu(ob);
    sh_h[pa + 2u * G + rg] = silu(oc);
    sh_h[pa + 3u * G + rg] = silu(od);
    workgroupBarrier();
}

// `n_classes` rows of B precede the null row; class_id ≥ n_classes means all.
//
// Loop iterations matter: llvmpipe (lavapipe, the CI's Vulkan) silently
// stops looping after 65 535 iterations per invocation, shared by all
// loops; one evaluation takes MLP_LOOP_ITERATIONS (gpu.rs) of them.
fn eps_tile(lid: u32, x: vec2<f32>, level: u32, alpha: f32, sigma: f32, class_id: u32, n_classes: u32) -> vec2<f32> {
    let reading = time_bias[level * ROW + G];
    if (lid < TILE) {
        sh_x[lid] = reading.z * x;
    }
    workgroupBarrier();
    let rg = lid % G;
    let pg = lid / G;
    let row = select(n_classes, class_id, class_id < n_classes);
    let base = weights[V_CLASS_BIAS + row * G + rg] + time_bias[level * ROW + rg];
    let wx = weights[rg];
    let wy = weights[V_W0X_Y + rg];
    for (var q = 0u; q < 4u; q++) {
        let p = 4u * pg + q;
        let xp = sh_x[p];
        sh_h[p * G + rg] = silu(base + wx * xp.x + wy * xp.y);
    }
    workgroupBarrier();
    dense_tile(V_W1, V_B1, rg, pg);
    dense_tile(V_W2, V_B2, rg, pg);
    // The output layer: one thread a particle, the CPU's order.
    var e = vec2<f32>(0.0);
    if (lid < TILE) {
        e = weights[V_B3].xy;
        for (var r = 0u; r < G; r++) {
            let a = sh_h[lid * G + r];
            e += vec2<f32>(dot4(weights[V_W3 + r], a), dot4(weights[V_W3 + G + r], a));
        }
        e = reading.x * x + reading.y * e;
    }
    return e;
}

// ---- The classifier (mlp_common.wgsl has its layout).
const CG: u32 = 16u;                      // vec4 groups per classifier row
// Where the classifier keeps its pre-activations u0, u1 (then the
// gradients at them) in sh_h: TILE × CG vec4 each.
const U0: u32 = 0u;
const U1: u32 = TILE * CG;

// The tile's logits, then ∂ log p_y / ∂ logits.
var<workgroup> sh_logits: array<f32, TILE * MAX_CLASSES>;

// Thread (rg, pp) of the forward layers owns rows 4rg … 4rg+3 of particles
// 2pp and 2pp+1; the backward phases give each thread two (particle, row
// group) pairs, lid and lid + WG.
fn log_class_grad_tile(lid: u32, x: vec2<f32>, eps_u: vec2<f32>, level: u32, alpha: f32, sigma: f32, class_id: u32, n_classes: u32) -> vec2<f32> {
    if (lid < TILE) {
        sh_x[lid] = x;
    }
    workgroupBarrier();
    let rg = lid % CG;
    let pp = lid / CG;
    let o = 4u * rg;
    {
        let wx = vec4<f32>(clf[2u * o], clf[2u * o + 2u], clf[2u * o + 4u], clf[2u * o + 6u]);
        let wy = vec4<f32>(clf[2u * o + 1u], clf[2u * o + 3u], clf[2u * o + 5u], clf[2u * o + 7u]);
        let tb = level * CLF_HIDDEN + o;
        let base = vec4<f32>(clf_bias[tb], clf_bias[tb + 1u], clf_bias[tb + 2u], clf_bias[tb + 3u]);
        for (var q = 0u; q < 2u; q++) {
            let p = 2u * pp + q;
            let xp = sh_x[p];
            sh_h[U0 + p * CG + rg] = base + wx * xp.x + wy * xp.y;
        }
    }
    workgroupBarrier();
    {
        let row = CLF_W1 + o * CLF_HIDDEN;
        let c1 = c4(CLF_C1 + o);
        for (var q = 0u; q < 2u; q++) {
            let p = 2u * pp + q;
            var acc = c1;
            for (var k = 0u; k < CG; k++) {
                let hk = silu(sh_h[U0 + p * CG + k]);
                acc.x += dot4(c4(row + 4u * k), hk);
                acc.y += dot4(c4(row + CLF_HIDDEN + 4u * k), hk);
                acc.z += dot4(c4(row + 2u * CLF_HIDDEN + 4u * k), hk);
                acc.w += dot4(c4(row + 3u * CLF_HIDDEN + 4u * k), hk);
            }
            sh_h[U1 + p * CG + rg] = acc;
        }
    }
    workgroupBarrier();
    let w2 = CLF_W2;
    let c2 = CLF_W2 + n_classes * CLF_HIDDEN;
    for (var idx = lid; idx < TILE * n_classes; idx += WG) {
        let p = idx / n_classes;
        let k = idx % n_classes;
        var acc = clf[c2 + k];
        for (var j = 0u; j < CG; j++) {
            acc += dot4(c4(w2 + k * CLF_HIDDEN + 4u * j), silu(sh_h[U1 + p * CG + j]));
        }
        sh_logits[p * MAX_CLASSES + k] = acc;
    }
    workgroupBarrier();
    // Softmax, one thread a particle: ∂ log p_y / ∂ logit_k = δ_yk − p_k.
    if (lid < TILE) {
        let l = lid * MAX_CLASSES;
        var m = -0x1.fffffep+127f;
        for (var k = 0u; k < n_classes; k++) {
            m = max(m, sh_logits[l + k]);
        }
        var z = 0.0;
        for (var k = 0u; k < n_classes; k++) {
            let e = exp(sh_logits[l + k] - m);
            sh_logits[l + k] = e;
            z += e;
        }
        for (var k = 0u; k < n_classes; k++) {
            sh_logits[l + k] = select(0.0, 1.0, k == class_id) - sh_logits[l + k] / z;
        }
    }
    workgroupBarrier();
    // Back through V2, at u1: thread pairs (p, j) = idx / CG, idx % CG.
    for (var idx = lid; idx < TILE * CG; idx += WG) {
        let p = idx / CG;
        let j = idx % CG;
        var g = vec4<f32>(0.0);
        for (var k = 0u; k < n_classes; k++) {
            g += sh_logits[p * MAX_CLASSES + k] * c4(w2 + k * CLF_HIDDEN + 4u * j);
        }
        sh_h[U1 + idx] = g * dsilu(sh_h[U1 + idx]);
    }
    workgroupBarrier();
    // Back through V1, at u0.
    for (var idx = lid; idx < TILE * CG; idx += WG) {
        let p = idx / CG;
        let j = idx % CG;
        var g = vec4<f32>(0.0);
        for (var i = 0u; i < CG; i++) {
            let gi = sh_h[U1 + p * CG + i];
            let row = CLF_W1 + 4u * i * CLF_HIDDEN + 4u * j;
            g += gi.x * c4(row) + gi.y * c4(row + CLF_HIDDEN) + gi.z * c4(row + 2u * CLF_HIDDEN) + gi.w * c4(row + 3u * CLF_HIDDEN);
        }
        sh_h[U0 + idx] = g * dsilu(sh_h[U0 + idx]);
    }
    workgroupBarrier();
    // Back through V0x, one thread a particle, in the CPU's order.
    var gx = vec2<f32>(0.0);
    if (lid < TILE) {
        for (var r = 0u; r < CG; r++) {
            let g = sh_h[U0 + lid * CG + r];
            let o = 4u * r;
            gx += g.x * vec2<f32>(clf[2u * o], clf[2u * o + 1u]);
            gx += g.y * vec2<f32>(clf[2u * o + 2u], clf[2u * o + 3u]);
            gx += g.z * vec2<f32>(clf[2u * o + 4u], clf[2u * o + 5u]);
            gx += g.w * vec2<f32>(clf[2u * o + 6u], clf[2u * o + 7u]);
        }
    }
    return gx;
}
