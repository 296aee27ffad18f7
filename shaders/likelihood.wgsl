// Likelihood through the probability-flow ODE: per point, Heun steps
// [step_begin, step_end) of the ODE dȳ/dσ̃ = ε̂(a ȳ, t) and of the integral
// of a tr ∂ε̂/∂x (in u = ln σ̃), data to noise — twin of
// science::likelihood::heun_step (core/src/science/likelihood.rs states the
// coordinates and the formula; the host finishes log p from the end state).
// Prepended with a model that provides the tile contract:
//   TILE, WG: points and threads per workgroup;
//   eps_trace_tile(lid, x, level, a, σ, n_model) -> (ε̂, tr ∂ε̂/∂x), unconditional,
// called by every thread together; thread lid < TILE owns point first + lid.
// score_mlp_jacobian.wgsl (cooperative, 8 points a workgroup of 128) or
// score_mixture.wgsl (one point a thread).

// What the mixture's eps_hat compares class ids with.
const CLASS_ALL: u32 = 0xFFFFFFFFu;

// One step's coefficients (science::likelihood::StepCoefficients): the
// VP scales of its two ends, the step h in σ̃, the weights Δu·σ̃ of the
// integral, and the time-table rows of its ends (the MLP's).
struct OdeStep {
    a_start: f32,
    a_end: f32,
    h: f32,
    w_start: f32,
    w_end: f32,
    sigma_start: f32,
    sigma_end: f32,
    level_start: u32,
    level_end: u32,
}

struct OdeParams {
    n: u32,
    step_begin: u32,
    step_end: u32,
    // Mixture components, or the MLP's number of classes.
    n_model: u32,
}

@group(0) @binding(0) var<uniform> params: OdeParams;
@group(0) @binding(1) var<storage, read> steps: array<OdeStep>;
// Per point (ȳ.x, ȳ.y, the integral so far, unused).
@group(0) @binding(3) var<storage, read_write> state: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn integrate(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
             @builtin(local_invocation_index) lid: u32) {
    let first = (wid.y * groups.x + wid.x) * TILE;
    if (first >= params.n) {
        return;
    }
    // Helper threads (lid ≥ TILE) read their workgroup's last point, never
    // another workgroup's (state is written in this dispatch).
    let i = min(first + min(lid, TILE - 1u), params.n - 1u);
    let s0 = state[i];
    var y = s0.xy;
    var acc = s0.z;
    for (var s = params.step_begin; s < params.step_end; s++) {
        let st = steps[s];
        let r1 = eps_trace_tile(lid, st.a_start * y, st.level_start, st.a_start, st.sigma_start, params.n_model);
        let pred = y + st.h * r1.xy;
        let r2 = eps_trace_tile(lid, st.a_end * pred, st.level_end, st.a_end, st.sigma_end, params.n_model);
        y = y + 0.5 * st.h * (r1.xy + r2.xy);
        acc = acc + 0.5 * (st.w_start * st.a_start * r1.z + st.w_end * st.a_end * r2.z);
    }
    if (lid < TILE && first + lid < params.n) {
        state[first + lid] = vec4<f32>(y, acc, 0.0);
    }
}
