//! `backend=auto` on a CPU emulation of a GPU (SwiftShader, llvmpipe, a
//! fallback adapter): which backend samples faster here is measured, not
//! assumed. A short run of the current model on both backends (a few steps
//! at up to [`CALIBRATION_N`] particles, the GPU after a warm-up readback
//! that compiles its pipeline) gives each one's particle-steps per second;
//! the page keeps the result for the rest of the page view, per model kind
//! (the learned MLP, the exact score). On a hardware GPU nothing is timed:
//! WebGPU wins there by orders of magnitude.

use crate::engine::cpu::CpuSampler;
use crate::engine::gpu::{GpuContext, GpuError, GpuSampler};
use crate::web::js::now_ms;
use crate::model::{Conditioning, ScoreModel};
use crate::science::plan::StepPlan;
use crate::web::playground::backend::Calibration;

/// Most particles a calibration runs (half the page's default n: it delays the first run).
pub const CALIBRATION_N: usize = 2048;
/// Plan steps a calibration times on each backend.
pub const CALIBRATION_STEPS: usize = 1;

/// Times `plan`'s first steps of `model` on both backends at `n ≤
/// CALIBRATION_N` particles.
pub async fn calibrate(gpu: &GpuContext, plan: &StepPlan, model: &ScoreModel, cond: Conditioning, seed: u32, n: usize) -> Result<Calibration, GpuError> {
    let n = n.clamp(1, CALIBRATION_N);
    let steps = plan.len().min(CALIBRATION_STEPS);
    let mut cpu = CpuSampler::new(plan.clone(), model.clone(), cond, seed, n);
    let start = now_ms();
    cpu.run_steps(steps);
    let cpu_ms = (now_ms() - start).max(0.01);
    let mut sampler = GpuSampler::new(gpu, plan, model, cond, seed, n);
    // Warm-up: the pipeline is compiled and the buffers made by now.
    sampler.read_particles(gpu).await?;
    let start = now_ms();
    sampler.run_steps(gpu, steps);
    sampler.read_particles(gpu).await?;
    let gpu_ms = (now_ms() - start).max(0.01);
    let work = (n * steps) as f64 * 1000.0;
    Ok(Calibration { cpu_rate: work / cpu_ms, gpu_rate: work / gpu_ms })
}
