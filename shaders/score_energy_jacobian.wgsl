// The energy model's ε̂ = ∇ₓφ with its Jacobian J = ∂ε̂/∂x, the Hessian of
// φ (model=energy; core/src/model/energy.rs), as a cooperative workgroup
// kernel: twin of EnergyMlp::eps_hat_jacobian, the same sums in the same
// order. Forward-mode tangents along x₁ and x₂ ride through the forward
// pass and through the backward pass from φ to x (forward over reverse):
//   forward   h = SiLU(z),  ḣ = SiLU'(z) ż,  and the slope's tangent SiLU''(z) ż
//   backward  u = Wᵀ g,  g_below = SiLU'(z) ⊙ u,
//             ġ_below = SiLU''(z) ż ⊙ u + SiLU'(z) ⊙ u̇
//   ε̂ = W0xᵀ g0,  J[:, d] = W0xᵀ ġ0_d
// with SiLU''(z) = σ(z)(1 − σ(z))(2 + z(1 − 2σ(z))). For the likelihood
// through the probability-flow ODE (likelihood.wgsl: eps_trace_tile) and
// the score layers (jacobian.wgsl: eps_jacobian_tile), of the null class.
//
// Designed like score_mlp_jacobian.wgsl (read its header): WG = 128 threads
// own TILE = 8 particles, and each particle has three columns in workgroup
// memory (its activations, or on the way back its gradients, and their two
// tangents): 8 × 3 × 128 f32 = 12 KiB. Thread (rg, pg) computes rows
// 4rg … 4rg+3 of particles 2pg and 2pg+1, all three columns (6 vec4
// accumulators over one load of 4 weight vec4), in every product of the
// way there and back — so the rows whose slopes the backward pass needs
// are its own: layer 1's slopes and their tangents stay in its registers
// from the forward product to the backward one (6 vec4), and layer 0's are
// recomputed from x where they are needed. The backward products read Wᵀ
// in the coalesced layout (EnergyMlp::gpu_weights, as score_energy.wgsl).
//
// Contract: every thread calls the tile functions together (they contain
// barriers); thread lid < TILE passes its particle and gets the result.

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

fn d2silu(u: vec4<f32>) -> vec4<f32> {
    let s = 1.0 / (1.0 + exp(-u));
    return s * (1.0 - s) * (2.0 + u * (1.0 - 2.0 * s));
}

// Rows 4rg … 4rg+3 of one product for particles 2pg (a) and 2pg + 1 (b):
// the value column (z) and the two tangent columns (x, y).
struct Six {
    za: vec4<f32>,
    xa: vec4<f32>,
    ya: vec4<f32>,
    zb: vec4<f32>,
    xb: vec4<f32>,
    yb: vec4<f32>,
}

// start + M · column for all three columns of both particles (M at `w` in
// the coalesced layout; the tangents start at 0), then a barrier: every
// thread has read sh_h before the caller overwrites it.
fn product(w: u32, start: vec4<f32>, rg: u32, pg: u32) -> Six {
    let ca = 2u * pg * COLS * G;
    let cb = ca + COLS * G;
    var s = Six(start, vec4<f32>(0.0), vec4<f32>(0.0), start, vec4<f32>(0.0), vec4<f32>(0.0));
    for (var k = 0u; k < G; k++) {
        let at = w + k * HIDDEN + rg;
        let w0 = weights[at];
        let w1 = weights[at + G];
        let w2 = weights[at + 2u * G];
        let w3 = weights[at + 3u * G];
        s.za += rows(w0, w1, w2, w3, sh_h[ca + k]);
        s.xa += rows(w0, w1, w2, w3, sh_h[ca + G + k]);
        s.ya += rows(w0, w1, w2, w3, sh_h[ca + 2u * G + k]);
        s.zb += rows(w0, w1, w2, w3, sh_h[cb + k]);
        s.xb += rows(w0, w1, w2, w3, sh_h[cb + G + k]);
        s.yb += rows(w0, w1, w2, w3, sh_h[cb + 2u * G + k]);
    }
    workgroupBarrier();
    return s;
}

// Writes rows 4rg … 4rg+3 of particle p's three columns.
fn put(p: u32, rg: u32, v: vec4<f32>, x: vec4<f32>, y: vec4<f32>) {
    let c = p * COLS * G + rg;
    sh_h[c] = v;
    sh_h[c + G] = x;
    sh_h[c + 2u * G] = y;
}

// Layer 1's slopes SiLU'(z1) and their tangents SiLU''(z1) ż1, rows of
// thread (rg, pg), kept from the forward pass to the backward one.
struct Slopes {
    sa: vec4<f32>,
    xa: vec4<f32>,
    ya: vec4<f32>,
    sb: vec4<f32>,
    xb: vec4<f32>,
    yb: vec4<f32>,
}

// One layer-0 row group's pre-activation for particle p.
fn z0_of(p: u32, base: vec4<f32>, wx: vec4<f32>, wy: vec4<f32>) -> vec4<f32> {
    let xp = sh_x[p];
    return base + wx * xp.x + wy * xp.y;
}

// ε̂ and the two columns of J for thread lid < TILE's particle, of the null
// class (`n_classes` rows of B precede it) at time-table row `level`:
// (ε̂.x, ε̂.y, J11, J21) and (J12, J22, 0, 0).
struct EpsJacobian {
    eps_col1: vec4<f32>,
    col2: vec4<f32>,
}

// Loop iterations (lavapipe's budget, engine::likelihood::LIKELIHOOD_ENERGY_LOOP_ITERATIONS):
// 2 + 4 × 32 + 32.
fn eps_jacobian_tile(lid: u32, x: vec2<f32>, level: u32, n_classes: u32) -> EpsJacobian {
    if (lid < TILE) {
        sh_x[lid] = x;
    }
    workgroupBarrier();
    let rg = lid % G;
    let pg = lid / G;
    let pa = 2u * pg;
    let pb = 2u * pg + 1u;
    let base = weights[E_CLASS_BIAS + n_classes * G + rg] + time_bias[level * ROW + rg];
    let wx = weights[rg];
    let wy = weights[V_W0X_Y + rg];
    // Layer 0: h0 and its tangents SiLU'(z0) w_d (z0's tangent along x_d is w_d).
    for (var q = 0u; q < 2u; q++) {
        let z = z0_of(pa + q, base, wx, wy);
        let s = dsilu(z);
        put(pa + q, rg, silu(z), s * wx, s * wy);
    }
    workgroupBarrier();
    // Layer 1: keep SiLU'(z1) and SiLU''(z1) ż1.
    let z1 = product(E_W1, weights[E_B1 + rg], rg, pg);
    let sa = dsilu(z1.za);
    let sb = dsilu(z1.zb);
    let ta = d2silu(z1.za);
    let tb = d2silu(z1.zb);
    let l1 = Slopes(sa, ta * z1.xa, ta * z1.ya, sb, tb * z1.xb, tb * z1.yb);
    put(pa, rg, silu(z1.za), sa * z1.xa, sa * z1.ya);
    put(pb, rg, silu(z1.zb), sb * z1.xb, sb * z1.yb);
    workgroupBarrier();
    // Layer 2 and the way back from φ = w3 · SiLU(z2) + b3:
    // g2 = w3 ⊙ SiLU'(z2), ġ2 = w3 ⊙ (SiLU''(z2) ż2).
    let z2 = product(E_W2, weights[E_B2 + rg], rg, pg);
    let w3 = weights[E_W3 + rg];
    let t2a = d2silu(z2.za);
    let t2b = d2silu(z2.zb);
    put(pa, rg, w3 * dsilu(z2.za), w3 * (t2a * z2.xa), w3 * (t2a * z2.ya));
    put(pb, rg, w3 * dsilu(z2.zb), w3 * (t2b * z2.xb), w3 * (t2b * z2.yb));
    workgroupBarrier();
    // g1 = SiLU'(z1) ⊙ W2ᵀ g2 and its tangents by the product rule.
    let u1 = product(E_W2T, vec4<f32>(0.0), rg, pg);
    put(pa, rg, l1.sa * u1.za, l1.xa * u1.za + l1.sa * u1.xa, l1.ya * u1.za + l1.sa * u1.ya);
    put(pb, rg, l1.sb * u1.zb, l1.xb * u1.zb + l1.sb * u1.xb, l1.yb * u1.zb + l1.sb * u1.yb);
    workgroupBarrier();
    // g0 = SiLU'(z0) ⊙ W1ᵀ g1, layer 0's slopes recomputed from x.
    let u0 = product(E_W1T, vec4<f32>(0.0), rg, pg);
    let z0a = z0_of(pa, base, wx, wy);
    let z0b = z0_of(pb, base, wx, wy);
    let s0a = dsilu(z0a);
    let s0b = dsilu(z0b);
    let t0a = d2silu(z0a);
    let t0b = d2silu(z0b);
    put(pa, rg, s0a * u0.za, (t0a * wx) * u0.za + s0a * u0.xa, (t0a * wy) * u0.za + s0a * u0.ya);
    put(pb, rg, s0b * u0.zb, (t0b * wx) * u0.zb + s0b * u0.xb, (t0b * wy) * u0.zb + s0b * u0.yb);
    workgroupBarrier();
    // ε̂ = W0xᵀ g0 and J's columns W0xᵀ ġ0_d: one thread a particle, the CPU's order.
    var out = EpsJacobian(vec4<f32>(0.0), vec4<f32>(0.0));
    if (lid < TILE) {
        var e = vec2<f32>(0.0);
        var c1 = vec2<f32>(0.0);
        var c2 = vec2<f32>(0.0);
        let c = lid * COLS * G;
        for (var r = 0u; r < G; r++) {
            let w1 = weights[r];
            let w2 = weights[V_W0X_Y + r];
            let g = sh_h[c + r];
            let gx = sh_h[c + G + r];
            let gy = sh_h[c + 2u * G + r];
            e += vec2<f32>(dot4(w1, g), dot4(w2, g));
            c1 += vec2<f32>(dot4(w1, gx), dot4(w2, gx));
            c2 += vec2<f32>(dot4(w1, gy), dot4(w2, gy));
        }
        out = EpsJacobian(vec4<f32>(e, c1), vec4<f32>(c2, 0.0, 0.0));
    }
    return out;
}

// (ε̂.x, ε̂.y, tr ∂ε̂/∂x) of the null class (the likelihood's evaluation; an
// energy network reads as ε, so no reading is applied).
fn eps_trace_tile(lid: u32, x: vec2<f32>, level: u32, alpha: f32, sigma: f32, n_classes: u32) -> vec3<f32> {
    let r = eps_jacobian_tile(lid, x, level, n_classes);
    return vec3<f32>(r.eps_col1.xy, r.eps_col1.z + r.col2.y);
}
