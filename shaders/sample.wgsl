// The fused sampling kernel: per particle, for steps [step_begin, step_end)
// of the step plan, evaluate ε̂, apply x ← c_x x + c_eps ε̂ + c_z z and draw z
// from the counter-based RNG — many steps in one dispatch, the particle kept
// in registers, no readback in between. Prepended at build time with
// rng.wgsl and one model (score_mixture.wgsl or score_mlp.wgsl), each of
// which defines eps_hat(x, level, a, σ, class_id, n).

// Params.class_id value for "all classes".
const CLASS_ALL: u32 = 0xFFFFFFFFu;

struct PlanStep {
    t: f32,
    alpha: f32,
    sigma: f32,
    c_x: f32,
    c_eps: f32,
    c_z: f32,
    alpha_end: f32,
    sigma_end: f32,
    c_x_end: f32,
    c_eps_end: f32,
    heun: f32,
    t_end: f32,
}

struct Params {
    n: u32,
    seed: u32,
    step_begin: u32,
    step_end: u32,
    // Mixture components, or the MLP's number of classes.
    n_model: u32,
    class_id: u32,
    // 1: classifier-free guidance ε̂_u + w (ε̂_c − ε̂_u) towards class_id.
    cfg: u32,
    cfg_w: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> plan: array<PlanStep>;
@group(0) @binding(3) var<storage, read_write> particles: array<vec2<f32>>;

// x_T ~ N(0, I), the same draws as engine::cpu::initial_noise.
@compute @workgroup_size(64)
fn init_noise(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    if (i >= params.n) {
        return;
    }
    particles[i] = gaussian2(params.seed, i, STEP_INITIAL_NOISE, 0u);
}

// The guided ε̂ (science/guidance.rs states the convention).
fn guided_eps(x: vec2<f32>, level: u32, alpha: f32, sigma: f32) -> vec2<f32> {
    if (params.cfg == 1u) {
        let eps_u = eps_hat(x, level, alpha, sigma, CLASS_ALL, params.n_model);
        let eps_c = eps_hat(x, level, alpha, sigma, params.class_id, params.n_model);
        return eps_u + params.cfg_w * (eps_c - eps_u);
    }
    return eps_hat(x, level, alpha, sigma, params.class_id, params.n_model);
}

@compute @workgroup_size(64)
fn run_steps(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    if (i >= params.n) {
        return;
    }
    var x = particles[i];
    for (var s = params.step_begin; s < params.step_end; s++) {
        let st = plan[s];
        let eps = guided_eps(x, 2u * s, st.alpha, st.sigma);
        let z = gaussian2(params.seed, i, s, 0u);
        var next = st.c_x * x + st.c_eps * eps + st.c_z * z;
        if (st.heun != 0.0) {
            // Heun's corrector: average the drifts at both ends of the step.
            let d1 = (st.c_x - 1.0) * x + st.c_eps * eps;
            let eps2 = guided_eps(next, 2u * s + 1u, st.alpha_end, st.sigma_end);
            next = x + 0.5 * (d1 + (st.c_x_end - 1.0) * next + st.c_eps_end * eps2);
        }
        x = next;
    }
    particles[i] = x;
}
