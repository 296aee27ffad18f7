// The score MLP's ε̂ and Jacobian at one level for a batch of points (the
// score layers of web::layers on WebGPU: curl, divergence, the errors):
// twin of ScoreMlp::eps_hat_jacobian. Prepended with mlp_common.wgsl and
// score_mlp_jacobian.wgsl (its tile contract: every thread calls
// eps_jacobian_tile together; thread lid < TILE owns point first + lid).

struct JacobianParams {
    n: u32,
    // The time-table row (the table holds one level).
    level: u32,
    n_classes: u32,
    // Network input scale (VE levels: 1/sqrt(1 + σ²)).
    c_in: f32,
}

@group(0) @binding(0) var<uniform> jparams: JacobianParams;
@group(0) @binding(1) var<storage, read> points: array<vec2<f32>>;
// Per point two vec4: (ε̂, ∂ε̂/∂x₁) and (∂ε̂/∂x₂, 0, 0), at c_in·x.
@group(0) @binding(3) var<storage, read_write> jacobians: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn jacobians_at(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
                @builtin(local_invocation_index) lid: u32) {
    let first = (wid.y * groups.x + wid.x) * TILE;
    if (first >= jparams.n) {
        return;
    }
    let i = min(first + lid, jparams.n - 1u);
    let r = eps_jacobian_tile(lid, jparams.c_in * points[i], jparams.level, jparams.n_classes);
    if (lid < TILE && first + lid < jparams.n) {
        jacobians[2u * (first + lid)] = r.eps_col1;
        jacobians[2u * (first + lid) + 1u] = r.col2;
    }
}
