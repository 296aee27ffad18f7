//! A network's `ε̂` and Jacobian `J_ij = ∂ε̂_i/∂x_j` at one level for a
//! batch of points, on the GPU (`shaders/jacobian.wgsl` with the forward-mode
//! tile of `score_mlp_jacobian.wgsl`, or the energy model's forward-over-reverse
//! tile of `score_energy_jacobian.wgsl`): the score layers' evaluations on
//! WebGPU (web::layers). The CPU twins are `ScoreMlp::eps_hat_jacobian` and
//! `EnergyMlp::eps_hat_jacobian`.

use wgpu::util::DeviceExt;

use crate::engine::gpu::{grid, map_and_read, GpuContext, GpuError};
use crate::engine::likelihood::{LIKELIHOOD_ENERGY_TILE, LIKELIHOOD_MLP_TILE};
use crate::model::ScoreModel;

/// The Jacobian kernel: the MLP's common part, the forward-mode tile, the entry point.
pub const JACOBIAN_WGSL: &str = concat!(
    include_str!(concat!(env!("OUT_DIR"), "/shaders/mlp_common.wgsl")),
    "\n",
    include_str!(concat!(env!("OUT_DIR"), "/shaders/score_mlp_jacobian.wgsl")),
    "\n",
    include_str!(concat!(env!("OUT_DIR"), "/shaders/jacobian.wgsl")),
);

/// The Jacobian kernel of the energy model (the Hessian of φ).
pub const JACOBIAN_ENERGY_WGSL: &str = concat!(
    include_str!(concat!(env!("OUT_DIR"), "/shaders/mlp_common.wgsl")),
    "\n",
    include_str!(concat!(env!("OUT_DIR"), "/shaders/score_energy_jacobian.wgsl")),
    "\n",
    include_str!(concat!(env!("OUT_DIR"), "/shaders/jacobian.wgsl")),
);

/// `ε̂` and its Jacobian, as `ScoreMlp::eps_hat_jacobian` returns them.
pub type EpsJacobian = ([f32; 2], [[f32; 2]; 2]);

#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
pub struct JacobianParams {
    pub n: u32,
    pub level: u32,
    pub n_classes: u32,
    pub c_in: f32,
}

/// Resolves to `ε̂` and `J` of the null class at `c_in · p` for every point,
/// at the level whose first-layer time part is `time_bias`, for the score
/// MLP or the energy model (the exact mixture's is analytic, on the CPU).
/// One dispatch (a few hundred loop iterations a thread, far inside
/// lavapipe's budget).
pub fn jacobians_gpu(
    ctx: &GpuContext,
    model: &ScoreModel,
    time_bias: &[f32],
    c_in: f32,
    points: &[[f32; 2]],
) -> impl std::future::Future<Output = Result<Vec<EpsJacobian>, GpuError>> + 'static {
    let d = &ctx.device;
    let n = points.len().max(1);
    let (source, tile, gpu_weights, n_classes) = match model {
        ScoreModel::Mlp { score, .. } => (JACOBIAN_WGSL, LIKELIHOOD_MLP_TILE, score.gpu_weights(), score.num_classes),
        ScoreModel::Energy(net) => (JACOBIAN_ENERGY_WGSL, LIKELIHOOD_ENERGY_TILE, net.gpu_weights(), net.num_classes()),
        ScoreModel::Exact(_) => panic!("the exact mixture's Jacobian is analytic: the CPU computes it"),
    };
    let pipeline = ctx.cached_pipeline(source, "jacobians_at");
    let init = |label: &str, contents: &[u8], usage: wgpu::BufferUsages| d.create_buffer_init(&wgpu::util::BufferInitDescriptor { label: Some(label), contents, usage });
    let params = JacobianParams { n: points.len() as u32, level: 0, n_classes: n_classes as u32, c_in };
    let params = init("jacobian params", bytemuck::bytes_of(&params), wgpu::BufferUsages::UNIFORM);
    let mut pts = points.to_vec();
    pts.resize(n, [0.0; 2]);
    let pts = init("jacobian points", bytemuck::cast_slice(&pts), wgpu::BufferUsages::STORAGE);
    let weights = init("network weights", bytemuck::cast_slice(&gpu_weights), wgpu::BufferUsages::STORAGE);
    let table = init("jacobian time table", bytemuck::cast_slice(time_bias), wgpu::BufferUsages::STORAGE);
    let bytes = (n * 32) as u64;
    let out = d.create_buffer(&wgpu::BufferDescriptor { label: Some("jacobians"), size: bytes, usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC, mapped_at_creation: false });
    let bind_group = d.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some("jacobian bind group"),
        layout: &pipeline.get_bind_group_layout(0),
        entries: &[
            wgpu::BindGroupEntry { binding: 0, resource: params.as_entire_binding() },
            wgpu::BindGroupEntry { binding: 1, resource: pts.as_entire_binding() },
            wgpu::BindGroupEntry { binding: 2, resource: weights.as_entire_binding() },
            wgpu::BindGroupEntry { binding: 3, resource: out.as_entire_binding() },
            wgpu::BindGroupEntry { binding: 4, resource: table.as_entire_binding() },
        ],
    });
    let staging = d.create_buffer(&wgpu::BufferDescriptor { label: Some("jacobian readback"), size: bytes, usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST, mapped_at_creation: false });
    let mut enc = d.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("jacobians") });
    {
        let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("jacobian pass"), timestamp_writes: None });
        pass.set_pipeline(&pipeline);
        pass.set_bind_group(0, &bind_group, &[]);
        let (x, y) = grid((points.len() as u32).div_ceil(tile));
        pass.dispatch_workgroups(x, y, 1);
    }
    enc.copy_buffer_to_buffer(&out, 0, &staging, 0, bytes);
    ctx.queue.submit(Some(enc.finish()));
    let read = map_and_read(ctx, staging);
    let count = points.len();
    async move {
        let v: Vec<[f32; 8]> = bytemuck::pod_collect_to_vec(&read.await?);
        Ok(v.iter().take(count).map(|r| ([r[0], r[1]], [[r[2], r[4]], [r[3], r[5]]])).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::gpu::layout::assert_wgsl_layout;

    #[test]
    fn params_match_the_wgsl_layout() {
        for source in [JACOBIAN_WGSL, JACOBIAN_ENERGY_WGSL] {
            assert_wgsl_layout!(source, "JacobianParams" => JacobianParams { n, level, n_classes, c_in });
        }
    }
}
