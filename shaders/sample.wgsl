// The fused sampling kernel: per particle, for steps [step_begin, step_end)
// of the step plan (core/src/science/plan.rs), evaluate the guided ε̂ at the
// rescaled input c_in·x, apply x ← c_x x + c_eps ε̂ + c_z z (+ c_prev m on
// multistep plans) and draw z from the counter-based RNG — many steps in one
// dispatch, the particle kept in registers, no readback in between.
// Prepended at build time with rng.wgsl, one model (score_mixture.wgsl or
// score_mlp.wgsl) and sample_common.wgsl; the model defines the tile contract:
//   TILE, WG: particles and threads per workgroup;
//   eps_tile(lid, x, level, a, σ, class_id, n_model)               ε̂
//   log_class_grad_tile(lid, x, eps_u, level, a, σ, class_id, n_model)
//                                                      ∇ log p(y | x)
// called by every thread of the workgroup together (the MLP's contain
// barriers), where thread lid < TILE owns particle first + lid and gets its
// result. The MLP shares a workgroup of 128 threads among 16 particles; the
// mixture runs one particle a thread. The arithmetic per particle is the
// CPU's (engine::cpu), in the same order.

// The guided ε̂ (science/guidance.rs states the conventions), for the
// particle of thread lid < TILE.
fn guided_eps(lid: u32, x: vec2<f32>, level: u32, alpha: f32, sigma: f32) -> vec2<f32> {
    if (GUIDANCE == 1u) {
        let eps_u = eps_tile(lid, x, level, alpha, sigma, CLASS_ALL, params.n_model);
        let eps_c = eps_tile(lid, x, level, alpha, sigma, params.class_id, params.n_model);
        return eps_u + params.strength * (eps_c - eps_u);
    }
    if (GUIDANCE == 2u) {
        let eps_u = eps_tile(lid, x, level, alpha, sigma, CLASS_ALL, params.n_model);
        let grad = log_class_grad_tile(lid, x, eps_u, level, alpha, sigma, params.class_id, params.n_model);
        return eps_u - params.strength * sigma * grad;
    }
    return eps_tile(lid, x, level, alpha, sigma, params.class_id, params.n_model);
}

@compute @workgroup_size(WG)
fn run_steps(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
             @builtin(local_invocation_index) lid: u32) {
    // The grid covers ⌈n / TILE⌉ workgroups, padded to a rectangle: the
    // padding returns whole (a uniform exit, before any barrier).
    let first = group_index(wid, groups) * TILE;
    if (first >= params.n) {
        return;
    }
    // Past the end (n not a multiple of TILE), and on helper threads
    // (lid ≥ TILE), the last particle is computed again and not written.
    let i = min(first + lid, params.n - 1u);
    var x = particles[i];
    var m = vec2<f32>(0.0);
    if (MULTISTEP == 1u) {
        m = memory[i];
    }
    for (var s = params.step_begin; s < params.step_end; s++) {
        let st = plan[s];
        let eps = guided_eps(lid, st.c_in * x, st.level, st.alpha, st.sigma);
        let z = gaussian2(params.seed, i, s, 0u);
        var next = st.c_x * x + st.c_eps * eps + st.c_z * z;
        if (MULTISTEP == 1u) {
            next = next + st.c_prev * m;
            m = st.x0_x * x + st.x0_eps * eps;
        }
        if (HEUN == 1u && st.heun != 0u) {
            // Heun's corrector: average the drifts at both ends of the step.
            let eps2 = guided_eps(lid, st.c_in_end * next, st.level_end, st.alpha_end, st.sigma_end);
            let d1 = (st.c_x - 1.0) * x + st.c_eps * eps;
            next = x + 0.5 * (d1 + (st.c_x_end - 1.0) * next + st.c_eps_end * eps2);
        }
        x = next;
    }
    if (lid < TILE && first + lid < params.n) {
        particles[first + lid] = x;
        if (MULTISTEP == 1u) {
            memory[first + lid] = m;
        }
    }
}
