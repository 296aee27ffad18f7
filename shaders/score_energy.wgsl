// The conservative model's ε̂ = ∇ₓφ (model=energy; core/src/model/energy.rs) as
// a cooperative workgroup kernel: twin of EnergyMlp::eps_hat_block, the
// same sums in the same order. φ(x, t, c) is the score MLP with one
// output; its gradient is the backward pass from that output to x:
//   h0 = SiLU(z0), z0 = B[c] + T[level] + W0x x
//   h1 = SiLU(z1), z1 = W1 h0 + b1;   z2 = W2 h1 + b2
//   g2 = w3 ⊙ SiLU'(z2),  g1 = SiLU'(z1) ⊙ W2ᵀ g2,  g0 = SiLU'(z0) ⊙ W1ᵀ g1
//   ε̂  = W0xᵀ g0
// (φ itself is not needed to sample, and is not computed here.)
//
// Designed for real GPUs like score_mlp.wgsl: a workgroup of WG = 64
// threads owns TILE = 8 particles; thread (rg, pg) accumulates 4 rows of 4
// particles in registers while the matrices stream through in coalesced
// vec4 loads. The backward products read Wᵀ, stored beside W in the same
// coalesced layout (EnergyMlp::gpu_weights), so they are the forward
// product's loop. Workgroup memory: only the activations (then the
// gradients), TILE × 128 f32 = 4 KiB. The slopes SiLU'(z0), SiLU'(z1) stay
// in registers (two Quads, 32 f32 a thread): each thread reads back exactly
// the rows and particles it wrote, so sharing them bought nothing and held
// 8 KiB more, which kept an RDNA SIMD at 6 subgroups (issue 30). An energy
// network reads as ε (its time table's reading is (0, 1, 1)), so the
// reading is not applied.
//
// Contract with sample.wgsl as score_mlp.wgsl's. The energy model has no
// classifier: the host never builds GUIDANCE = 2 for it (engine::gpu), and
// log_class_grad_tile below only completes the contract.

const TILE: u32 = 8u;
const WG: u32 = 64u;

var<workgroup> sh_x: array<vec2<f32>, TILE>;
// Particle p's 128 values at [p·G …]: h0, h1, then g2, g1, g0 in turn.
var<workgroup> sh_h: array<vec4<f32>, TILE * G>;

struct Quad {
    a: vec4<f32>,
    b: vec4<f32>,
    c: vec4<f32>,
    d: vec4<f32>,
}

fn rows4(w0: vec4<f32>, w1: vec4<f32>, w2: vec4<f32>, w3: vec4<f32>, a: vec4<f32>) -> vec4<f32> {
    return vec4<f32>(dot4(w0, a), dot4(w1, a), dot4(w2, a), dot4(w3, a));
}

// start + M · sh_h for rows 4rg … 4rg+3 of particles 4pg … 4pg+3 (M at
// `w` in the coalesced layout), then a barrier: every thread has read
// sh_h before the caller overwrites it.
fn product(w: u32, start: vec4<f32>, rg: u32, pg: u32) -> Quad {
    var q = Quad(start, start, start, start);
    let pa = 4u * pg * G;
    for (var k = 0u; k < G; k++) {
        let at = w + k * HIDDEN + rg;
        let w0 = weights[at];
        let w1 = weights[at + G];
        let w2 = weights[at + 2u * G];
        let w3 = weights[at + 3u * G];
        q.a += rows4(w0, w1, w2, w3, sh_h[pa + k]);
        q.b += rows4(w0, w1, w2, w3, sh_h[pa + G + k]);
        q.c += rows4(w0, w1, w2, w3, sh_h[pa + 2u * G + k]);
        q.d += rows4(w0, w1, w2, w3, sh_h[pa + 3u * G + k]);
    }
    workgroupBarrier();
    return q;
}

// Loop iterations (lavapipe's budget, engine::gpu::ENERGY_LOOP_ITERATIONS):
// 4 × 32 + 32.
fn eps_tile(lid: u32, x: vec2<f32>, level: u32, alpha: f32, sigma: f32, class_id: u32, n_classes: u32) -> vec2<f32> {
    if (lid < TILE) {
        sh_x[lid] = x;
    }
    workgroupBarrier();
    let rg = lid % G;
    let pg = lid / G;
    let pa = 4u * pg * G + rg;
    let row = select(n_classes, class_id, class_id < n_classes);
    let base = weights[E_CLASS_BIAS + row * G + rg] + time_bias[level * ROW + rg];
    let wx = weights[rg];
    let wy = weights[V_W0X_Y + rg];
    // Layer 0, particles 4pg … 4pg+3 (unrolled: the slopes stay in registers).
    let x0 = sh_x[4u * pg];
    let x1 = sh_x[4u * pg + 1u];
    let x2 = sh_x[4u * pg + 2u];
    let x3 = sh_x[4u * pg + 3u];
    let z0 = Quad(base + wx * x0.x + wy * x0.y, base + wx * x1.x + wy * x1.y, base + wx * x2.x + wy * x2.y, base + wx * x3.x + wy * x3.y);
    sh_h[pa] = silu(z0.a);
    sh_h[pa + G] = silu(z0.b);
    sh_h[pa + 2u * G] = silu(z0.c);
    sh_h[pa + 3u * G] = silu(z0.d);
    let s0 = Quad(dsilu(z0.a), dsilu(z0.b), dsilu(z0.c), dsilu(z0.d));
    workgroupBarrier();
    // Layer 1: h1 and SiLU'(z1).
    let z1 = product(E_W1, weights[E_B1 + rg], rg, pg);
    sh_h[pa] = silu(z1.a);
    sh_h[pa + G] = silu(z1.b);
    sh_h[pa + 2u * G] = silu(z1.c);
    sh_h[pa + 3u * G] = silu(z1.d);
    let s1 = Quad(dsilu(z1.a), dsilu(z1.b), dsilu(z1.c), dsilu(z1.d));
    workgroupBarrier();
    // Layer 2 and the way back from φ: g2 = w3 ⊙ SiLU'(z2).
    let z2 = product(E_W2, weights[E_B2 + rg], rg, pg);
    let w3 = weights[E_W3 + rg];
    sh_h[pa] = w3 * dsilu(z2.a);
    sh_h[pa + G] = w3 * dsilu(z2.b);
    sh_h[pa + 2u * G] = w3 * dsilu(z2.c);
    sh_h[pa + 3u * G] = w3 * dsilu(z2.d);
    workgroupBarrier();
    // g1 = SiLU'(z1) ⊙ W2ᵀ g2.
    let u1 = product(E_W2T, vec4<f32>(0.0), rg, pg);
    sh_h[pa] = u1.a * s1.a;
    sh_h[pa + G] = u1.b * s1.b;
    sh_h[pa + 2u * G] = u1.c * s1.c;
    sh_h[pa + 3u * G] = u1.d * s1.d;
    workgroupBarrier();
    // g0 = SiLU'(z0) ⊙ W1ᵀ g1.
    let u0 = product(E_W1T, vec4<f32>(0.0), rg, pg);
    sh_h[pa] = u0.a * s0.a;
    sh_h[pa + G] = u0.b * s0.b;
    sh_h[pa + 2u * G] = u0.c * s0.c;
    sh_h[pa + 3u * G] = u0.d * s0.d;
    workgroupBarrier();
    // ε̂ = W0xᵀ g0: one thread a particle, the CPU's order.
    var e = vec2<f32>(0.0);
    if (lid < TILE) {
        for (var r = 0u; r < G; r++) {
            let g = sh_h[lid * G + r];
            e += vec2<f32>(dot4(weights[r], g), dot4(weights[V_W0X_Y + r], g));
        }
    }
    return e;
}

// No classifier (see the top): never called.
fn log_class_grad_tile(lid: u32, x: vec2<f32>, eps_u: vec2<f32>, level: u32, alpha: f32, sigma: f32, class_id: u32, n_classes: u32) -> vec2<f32> {
    return vec2<f32>(0.0);
}
