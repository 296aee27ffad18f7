// The fused sampling kernel: per particle, for steps [step_begin, step_end)
// of the step plan (src/science/plan.rs), evaluate the guided ε̂ at the
// rescaled input c_in·x, apply x ← c_x x + c_eps ε̂ + c_z z (+ c_prev m on
// multistep plans) and draw z from the counter-based RNG — many steps in one
// dispatch, the particle kept in registers, no readback in between.
// Prepended at build time with rng.wgsl and one model (score_mixture.wgsl or
// score_mlp.wgsl), each of which defines
//   eps_hat4(x[4], level, a, σ, class_id, n_model)              (4 particles)
//   log_class_grad(x, eps_u, level, a, σ, class_id, n_model)   (∇ log p(y | x)).
// Each invocation advances PER_INVOCATION = 4 consecutive particles (the
// MLP shares every weight load among them); the arithmetic per particle is
// unchanged, so the CPU (one particle at a time) stays its twin.

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

// x_T ~ N(0, init_scale² I), the same draws as engine::cpu::initial_noise.
@compute @workgroup_size(64)
fn init_noise(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    if (i >= params.n) {
        return;
    }
    particles[i] = params.init_scale * gaussian2(params.seed, i, STEP_INITIAL_NOISE, 0u);
}

const PER_INVOCATION: u32 = 4u;

// The guided ε̂ of four particles (science/guidance.rs states the conventions).
fn guided_eps4(x: array<vec2<f32>, 4>, level: u32, alpha: f32, sigma: f32) -> array<vec2<f32>, 4> {
    if (GUIDANCE == 1u) {
        let eps_u = eps_hat4(x, level, alpha, sigma, CLASS_ALL, params.n_model);
        let eps_c = eps_hat4(x, level, alpha, sigma, params.class_id, params.n_model);
        var e: array<vec2<f32>, 4>;
        for (var q = 0u; q < 4u; q++) {
            e[q] = eps_u[q] + params.strength * (eps_c[q] - eps_u[q]);
        }
        return e;
    }
    if (GUIDANCE == 2u) {
        let eps_u = eps_hat4(x, level, alpha, sigma, CLASS_ALL, params.n_model);
        var e: array<vec2<f32>, 4>;
        let k = params.strength * sigma;
        for (var q = 0u; q < 4u; q++) {
            let grad = log_class_grad(x[q], eps_u[q], level, alpha, sigma, params.class_id, params.n_model);
            e[q] = eps_u[q] - k * grad;
        }
        return e;
    }
    return eps_hat4(x, level, alpha, sigma, params.class_id, params.n_model);
}

@compute @workgroup_size(64)
fn run_steps(@builtin(global_invocation_id) gid: vec3<u32>) {
    let first = gid.x * PER_INVOCATION;
    if (first >= params.n) {
        return;
    }
    // Past the end (n not a multiple of 4) the last particle is computed
    // again and not written back.
    var x: array<vec2<f32>, 4>;
    var m: array<vec2<f32>, 4>;
    for (var q = 0u; q < 4u; q++) {
        let i = min(first + q, params.n - 1u);
        x[q] = particles[i];
        if (MULTISTEP == 1u) {
            m[q] = memory[i];
        }
    }
    for (var s = params.step_begin; s < params.step_end; s++) {
        let st = plan[s];
        var xin: array<vec2<f32>, 4>;
        for (var q = 0u; q < 4u; q++) {
            xin[q] = st.c_in * x[q];
        }
        let eps = guided_eps4(xin, st.level, st.alpha, st.sigma);
        var next: array<vec2<f32>, 4>;
        for (var q = 0u; q < 4u; q++) {
            let z = gaussian2(params.seed, min(first + q, params.n - 1u), s, 0u);
            next[q] = st.c_x * x[q] + st.c_eps * eps[q] + st.c_z * z;
            if (MULTISTEP == 1u) {
                next[q] = next[q] + st.c_prev * m[q];
                m[q] = st.x0_x * x[q] + st.x0_eps * eps[q];
            }
        }
        if (HEUN == 1u && st.heun != 0u) {
            // Heun's corrector: average the drifts at both ends of the step.
            for (var q = 0u; q < 4u; q++) {
                xin[q] = st.c_in_end * next[q];
            }
            let eps2 = guided_eps4(xin, st.level_end, st.alpha_end, st.sigma_end);
            for (var q = 0u; q < 4u; q++) {
                let d1 = (st.c_x - 1.0) * x[q] + st.c_eps * eps[q];
                next[q] = x[q] + 0.5 * (d1 + (st.c_x_end - 1.0) * next[q] + st.c_eps_end * eps2[q]);
            }
        }
        x = next;
    }
    for (var q = 0u; q < 4u; q++) {
        let i = first + q;
        if (i < params.n) {
            particles[i] = x[q];
            if (MULTISTEP == 1u) {
                memory[i] = m[q];
            }
        }
    }
}
