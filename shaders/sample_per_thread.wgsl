// The fused sampling kernel for CPU-emulated WebGPU adapters (SwiftShader,
// llvmpipe): each invocation advances PER_INVOCATION = 4 consecutive
// particles on its own, sharing every MLP weight load among them — fast
// where per-thread arrays are cheap and workgroup barriers dear, and the
// opposite of what a real GPU wants (sample.wgsl with score_mlp.wgsl;
// engine::gpu picks by adapter). The same steps as sample.wgsl: x ← c_x x +
// c_eps ε̂ + c_z z (+ c_prev m), Heun's corrector, the same RNG draws.
// Prepended at build time with rng.wgsl, score_mlp_per_thread.wgsl (which
// defines eps_hat4 and log_class_grad) and sample_common.wgsl.

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
fn run_steps(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
             @builtin(local_invocation_index) lid: u32) {
    let first = (group_index(wid, groups) * 64u + lid) * PER_INVOCATION;
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
