// Whether a run's particles are still numbers (core/src/engine/health.rs is the
// CPU twin): counts the non-finite particles, the first of them, and the
// finite ones beyond ESCAPE_RADIUS — so the page learns of a NaN blow-up from
// a 16-byte readback instead of copying every particle back each frame.

struct HealthParams {
    n: u32,
    escape_radius: f32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> hp: HealthParams;
@group(0) @binding(1) var<storage, read> xs: array<vec2<f32>>;
// [non-finite count, escaped count, first non-finite index (0xFFFFFFFF: none), unused];
// the host zeroes it (and sets the index to 0xFFFFFFFF) before each check.
@group(0) @binding(2) var<storage, read_write> counts: array<atomic<u32>, 4>;

// Dispatched as a 2-D grid of workgroups (engine::gpu::grid), so any n fits.
@compute @workgroup_size(64)
fn check_health(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
                @builtin(local_invocation_index) lid: u32) {
    let i = (wid.y * groups.x + wid.x) * 64u + lid;
    if (i >= hp.n) {
        return;
    }
    let p = xs[i];
    // Exponent bits all set: ±Inf or NaN (a bit test, which no optimiser folds away).
    let bits = bitcast<vec2<u32>>(p);
    let exponent = vec2<u32>(0x7f800000u);
    if (any((bits & exponent) == exponent)) {
        atomicAdd(&counts[0], 1u);
        atomicMin(&counts[2], i);
    } else if (abs(p.x) > hp.escape_radius || abs(p.y) > hp.escape_radius) {
        atomicAdd(&counts[1], 1u);
    }
}
