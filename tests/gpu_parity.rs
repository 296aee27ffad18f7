//! GPU (wgpu; lavapipe in CI) against the CPU reference: same plan, same seed,
//! same particles.

mod common;

use diffusion_playground::engine::cpu::CpuSampler;
use diffusion_playground::engine::gpu::GpuSampler;
use diffusion_playground::model::ExactMixture;
use diffusion_playground::science::datasets::Dataset;
use diffusion_playground::science::plan::{DdpmVariance, SamplerKind, Spacing, StepPlan};
use diffusion_playground::science::schedule::ScheduleKind;

fn parity(dataset: Dataset, steps: usize, chunks: &[usize], n: usize, seed: u32) -> f32 {
    let ctx = common::gpu();
    let plan = StepPlan::build(ScheduleKind::VpLinear, SamplerKind::Ddpm { variance: DdpmVariance::BetaTilde }, steps, Spacing::Uniform);
    let model = ExactMixture::new(&dataset.mixture());
    let mut cpu = CpuSampler::new(plan.clone(), model.clone(), seed, n);
    let mut gpu = GpuSampler::new(&ctx, &plan, &model, seed, n);

    // The initial noise is the same draw on both.
    let x_t = pollster::block_on(gpu.read_particles(&ctx)).unwrap();
    let init_err = cpu.particles.iter().flatten().zip(&x_t).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
    assert!(init_err < 1e-4, "initial noise differs by {init_err}");

    // The GPU runs the plan in uneven chunks (several dispatches), the CPU in one go.
    let mut i = 0;
    while !gpu.done() {
        gpu.run_steps(&ctx, chunks[i % chunks.len()]);
        i += 1;
    }
    cpu.run_steps(steps);
    let got = pollster::block_on(gpu.read_particles(&ctx)).unwrap();
    assert_eq!(got.len(), 2 * n);
    assert!(got.iter().all(|v| v.is_finite()));
    let err = cpu.particles.iter().flatten().zip(&got).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
    eprintln!("{dataset:?}: max |x_gpu - x_cpu| = {err:e} over {n} particles");
    err
}

#[test]
fn ddpm_gaussians8_gpu_matches_cpu_after_100_steps() {
    let err = parity(Dataset::Gaussians8, 100, &[1, 7, 30], 4096, 7);
    assert!(err < 1e-3, "max |x_gpu - x_cpu| = {err}");
}

#[test]
fn ddpm_grid25_gpu_matches_cpu_after_100_steps() {
    let err = parity(Dataset::Grid25, 100, &[100], 4096, 1234);
    assert!(err < 1e-3, "max |x_gpu - x_cpu| = {err}");
}
