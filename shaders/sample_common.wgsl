// What every sampling kernel shares: the step plan and parameters as the
// host lays them out (engine::gpu, science::plan), the bindings, the
// variant constants, and the initial noise. Prepended to a sampler
// (sample.wgsl or sample_per_thread.wgsl) after rng.wgsl and the model.

// Pipeline-overridable constants: one compiled variant per combination
// (engine/gpu.rs builds and caches them), so no run pays for another
// variant's branches.
// GUIDANCE: 0 none, 1 classifier-free, 2 classifier (science/guidance.rs).
override GUIDANCE: u32 = 0u;
// 1 when some step takes Heun's second evaluation.
override HEUN: u32 = 0u;
// 1 on multistep plans (DPM-Solver++ 2M): the memory m holds the last x̂0.
override MULTISTEP: u32 = 0u;

// Params.class_id value for "all classes".
const CLASS_ALL: u32 = 0xFFFFFFFFu;

struct PlanStep {
    level: u32,
    c_in: f32,
    alpha: f32,
    sigma: f32,
    c_x: f32,
    c_eps: f32,
    c_z: f32,
    c_prev: f32,
    x0_x: f32,
    x0_eps: f32,
    heun: u32,
    level_end: u32,
    c_in_end: f32,
    alpha_end: f32,
    sigma_end: f32,
    c_x_end: f32,
    c_eps_end: f32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

struct Params {
    n: u32,
    seed: u32,
    step_begin: u32,
    step_end: u32,
    // Mixture components, or the MLP's number of classes.
    n_model: u32,
    class_id: u32,
    // Guidance strength: w (classifier-free) or g (classifier).
    strength: f32,
    // Standard deviation of the initial noise (1 for VP, σ_max for VE).
    init_scale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> plan: array<PlanStep>;
@group(0) @binding(3) var<storage, read_write> particles: array<vec2<f32>>;
@group(0) @binding(5) var<storage, read_write> memory: array<vec2<f32>>;

// The workgroup's index in a 2-D grid of workgroups (engine::gpu::grid):
// one dimension holds at most 65 535 of them.
fn group_index(wid: vec3<u32>, groups: vec3<u32>) -> u32 {
    return wid.y * groups.x + wid.x;
}

// x_T ~ N(0, init_scale² I), the same draws as engine::cpu::initial_noise.
@compute @workgroup_size(64)
fn init_noise(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
              @builtin(local_invocation_index) lid: u32) {
    let i = group_index(wid, groups) * 64u + lid;
    if (i >= params.n) {
        return;
    }
    particles[i] = params.init_scale * gaussian2(params.seed, i, STEP_INITIAL_NOISE, 0u);
}

