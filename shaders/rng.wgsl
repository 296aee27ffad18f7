// Counter-based Gaussian noise keyed by (seed, particle, step, draw).
// Line-for-line twin of core/src/science/rng.rs — change both or neither.

const STEP_INITIAL_NOISE: u32 = 0xFFFFFFFFu;
const TAU: f32 = 6.2831855;
const PI: f32 = 3.1415927;

// pcg4d (Jarzynski & Olano 2020); u32 arithmetic wraps in WGSL.
fn pcg4d(v_in: vec4<u32>) -> vec4<u32> {
    var v = v_in * 1664525u + vec4<u32>(1013904223u);
    v.x += v.y * v.w;
    v.y += v.z * v.x;
    v.z += v.x * v.y;
    v.w += v.y * v.z;
    v = v ^ (v >> vec4<u32>(16u));
    v.x += v.y * v.w;
    v.y += v.z * v.x;
    v.z += v.x * v.y;
    v.w += v.y * v.z;
    return v;
}

fn hash_key(seed: u32, particle: u32, step: u32, draw: u32) -> vec4<u32> {
    return pcg4d(vec4<u32>(particle, step, draw, seed));
}

// Uniform in (0, 1]: top 24 bits plus one ulp, so log() is finite.
fn unit_open0(word: u32) -> f32 {
    return f32((word >> 8u) + 1u) * (1.0 / 16777216.0);
}

// Uniform in [0, 1).
fn unit(word: u32) -> f32 {
    return f32(word >> 8u) * (1.0 / 16777216.0);
}

// One 2-D standard normal by Box–Muller.
fn gaussian2(seed: u32, particle: u32, step: u32, draw: u32) -> vec2<f32> {
    let h = hash_key(seed, particle, step, draw);
    let r = sqrt(-2.0 * log(unit_open0(h.x)));
    // The angle spans [-π, π): WGSL guarantees sin/cos accuracy only there.
    let theta = TAU * unit(h.y) - PI;
    return vec2<f32>(r * cos(theta), r * sin(theta));
}
