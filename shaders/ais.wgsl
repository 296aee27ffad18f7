// The AIS lab's particles (science::ais): per particle, temperatures
// [k_begin, k_end) of annealed importance sampling between two unnormalised
// isotropic Gaussian mixtures E0 and E1 — at each β_k = (k/K)^power the
// log-weight gains (β_k − β_{k−1})(E0 − E1)(x), then `steps` MALA moves keep
// p_β ∝ exp(−(1−β)E0 − βE1). One particle a thread: the state is a vec4
// (x, log-weight, accepted moves), nothing to share. The noise and the
// acceptance draws come from the counter-based RNG (prepended rng.wgsl),
// keyed as the CPU twin keys them. Twin of engine::ais::particle_steps.

const MAX_COMPONENTS: u32 = 8u;

struct AisParams {
    particles: u32,
    seed: u32,
    temperatures: u32,
    steps: u32,
    k_begin: u32,
    k_end: u32,
    // Components of E0 and of E1.
    n0: u32,
    n1: u32,
    eps: f32,
    power: f32,
    pad0: u32,
    pad1: u32,
}

@group(0) @binding(0) var<uniform> ap: AisParams;
// (ln π, μx, μy, s²) per component: E0's, then E1's.
@group(0) @binding(1) var<storage, read> components: array<vec4<f32>>;
// (x, y, log-weight, accepted) per particle.
@group(0) @binding(2) var<storage, read_write> state: array<vec4<f32>>;

// E(x) and ∇E of the mixture whose components start at `first`.
fn energy(x: vec2<f32>, first: u32, count_in: u32) -> vec3<f32> {
    let count = min(count_in, MAX_COMPONENTS);
    var top = -3.0e38;
    for (var k = 0u; k < count; k++) {
        let c = components[first + k];
        let d = x - c.yz;
        top = max(top, c.x - dot(d, d) / (2.0 * c.w));
    }
    var z = 0.0;
    var g = vec2<f32>(0.0);
    for (var k = 0u; k < count; k++) {
        let c = components[first + k];
        let d = x - c.yz;
        let r = exp(c.x - dot(d, d) / (2.0 * c.w) - top);
        z += r;
        g += r * d / c.w;
    }
    return vec3<f32>(-(top + log(z)), g / z);
}

// The tempered energy and gradient at β, and E0 − E1.
fn tempered(x: vec2<f32>, b: f32) -> vec4<f32> {
    let e0 = energy(x, 0u, ap.n0);
    let e1 = energy(x, ap.n0, ap.n1);
    return vec4<f32>((1.0 - b) * e0.x + b * e1.x, (1.0 - b) * e0.yz + b * e1.yz, e0.x - e1.x);
}

fn beta(k: u32) -> f32 {
    return pow(f32(k) / f32(ap.temperatures), ap.power);
}

// log q(to | from) up to its constant, q(b | a) = N(b; a − ε∇E(a), 2εI).
fn log_q(to: vec2<f32>, origin: vec2<f32>, g: vec2<f32>) -> f32 {
    let d = to - origin + ap.eps * g;
    return -dot(d, d) / (4.0 * ap.eps);
}

@compute @workgroup_size(64)
fn ais_steps(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = gid.y * groups.x * 64u + gid.x;
    if (i >= ap.particles) {
        return;
    }
    var s = state[i];
    var x = s.xy;
    let r = sqrt(2.0 * ap.eps);
    for (var k = ap.k_begin; k < ap.k_end; k++) {
        let b = beta(k);
        s.z += (b - beta(k - 1u)) * tempered(x, b).w;
        for (var j = 0u; j < ap.steps; j++) {
            let draw = (k - 1u) * ap.steps + j;
            let tx = tempered(x, b);
            let z = gaussian2(ap.seed, i, draw, 1u);
            let u = unit(hash_key(ap.seed, i, draw, 2u).x);
            let y = x - ap.eps * tx.yz + r * z;
            let ty = tempered(y, b);
            let log_ratio = -ty.x + tx.x + log_q(x, y, ty.yz) - log_q(y, x, tx.yz);
            if (log(u) < log_ratio) {
                x = y;
                s.w += 1.0;
            }
        }
    }
    state[i] = vec4<f32>(x, s.z, s.w);
}
