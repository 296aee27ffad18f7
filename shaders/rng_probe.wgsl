// Test kernel: exposes the RNG to native tests, which compare it bit for bit
// with core/src/science/rng.rs. Prepended with rng.wgsl.

struct ProbeParams {
    n: u32,
    seed: u32,
    step: u32,
    draw: u32,
}

@group(0) @binding(0) var<uniform> probe: ProbeParams;
@group(0) @binding(1) var<storage, read_write> words: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> normals: array<vec2<f32>>;

@compute @workgroup_size(64)
fn probe_rng(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    if (i >= probe.n) {
        return;
    }
    // Vary every key lane with i so all four lanes are exercised.
    let step = probe.step + (i % 7u);
    let draw = probe.draw + (i % 3u);
    words[i] = hash_key(probe.seed, i, step, draw);
    normals[i] = gaussian2(probe.seed, i, step, draw);
}
