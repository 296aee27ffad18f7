// The Langevin lab's chains (science::langevin): per particle, steps
// [step_begin, step_end) of x ← x + G s(x) + L z on a fixed target, with
// G = λεM the drift's gain, L the noise's Cholesky factor (L Lᵀ = 2εM, or
// the wrong 2εM²) and z from the counter-based RNG (prepended rng.wgsl). One
// particle a thread: the state is one vec2, nothing to share. Twin of
// engine::langevin::LangevinChain::run_steps, the same f32 operations.

struct LangevinParams {
    n: u32,
    seed: u32,
    step_begin: u32,
    step_end: u32,
    // 0: the Gaussian N(0, Σ); 1: the two-component mixture.
    target_kind: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
    // Σ⁻¹ as (xx, xy, yy, 0).
    sigma_inv: vec4<f32>,
    // G and L, row-major (g11, g12, g21, g22).
    gain: vec4<f32>,
    noise: vec4<f32>,
    // The mixture's means (μ1, μ2) and (s², 0, 0, 0), equal weights.
    means: vec4<f32>,
    variance: vec4<f32>,
}

@group(0) @binding(0) var<uniform> lp: LangevinParams;
@group(0) @binding(1) var<storage, read_write> chains: array<vec2<f32>>;

fn score(x: vec2<f32>) -> vec2<f32> {
    if (lp.target_kind == 0u) {
        let p = lp.sigma_inv;
        return -vec2<f32>(p.x * x.x + p.y * x.y, p.y * x.x + p.z * x.y);
    }
    // Two isotropic components: s = Σ r_k (μ_k − x)/s², r by a stable softmax.
    let s2 = lp.variance.x;
    let d1 = lp.means.xy - x;
    let d2 = lp.means.zw - x;
    let l1 = -dot(d1, d1) / (2.0 * s2);
    let l2 = -dot(d2, d2) / (2.0 * s2);
    let m = max(l1, l2);
    let w1 = exp(l1 - m);
    let w2 = exp(l2 - m);
    return (w1 * d1 + w2 * d2) / ((w1 + w2) * s2);
}

@compute @workgroup_size(64)
fn langevin_steps(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = gid.y * groups.x * 64u + gid.x;
    if (i >= lp.n) {
        return;
    }
    var x = chains[i];
    let g = lp.gain;
    let l = lp.noise;
    for (var s = lp.step_begin; s < lp.step_end; s++) {
        let sc = score(x);
        let z = gaussian2(lp.seed, i, s, 0u);
        x = x + vec2<f32>(g.x * sc.x + g.y * sc.y, g.z * sc.x + g.w * sc.y) + vec2<f32>(l.x * z.x + l.y * z.y, l.z * z.x + l.w * z.y);
    }
    chains[i] = x;
}
