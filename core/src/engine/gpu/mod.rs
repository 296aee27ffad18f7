//! The GPU backend: wgpu compute on WebGPU (browser) or Vulkan (native tests).
//!
//! [`GpuContext`] is built once (adapter, device, compiled pipelines) and
//! reused; a [`GpuSampler`] holds one run's buffers. `run_steps` records one
//! dispatch of the fused kernel over a range of plan steps; particles stay on
//! the GPU. The page draws them from there (web::gpu_render) and reads back
//! only a [`Probe`] each frame (their health and the first few particles);
//! `read_particles` copies all of them back, when a run ends or on request.

use std::sync::Mutex;

use crate::model::{Conditioning, ScoreModel};
use crate::science::guidance::Guidance;
use crate::science::plan::StepPlan;

/// The fused kernel with the exact mixture score: the RNG, the model and
/// the shared declarations are prepended to the sampler.
pub const SAMPLE_MIXTURE_WGSL: &str = concat!(
    include_str!(concat!(env!("OUT_DIR"), "/shaders/rng.wgsl")),
    "\n",
    include_str!(concat!(env!("OUT_DIR"), "/shaders/score_mixture.wgsl")),
    "\n",
    include_str!(concat!(env!("OUT_DIR"), "/shaders/sample_common.wgsl")),
    "\n",
    include_str!(concat!(env!("OUT_DIR"), "/shaders/sample.wgsl")),
);

/// The fused kernel with the pretrained score MLP, cooperative (real GPUs).
pub const SAMPLE_MLP_WGSL: &str = concat!(
    include_str!(concat!(env!("OUT_DIR"), "/shaders/rng.wgsl")),
    "\n",
    include_str!(concat!(env!("OUT_DIR"), "/shaders/mlp_common.wgsl")),
    "\n",
    include_str!(concat!(env!("OUT_DIR"), "/shaders/score_mlp.wgsl")),
    "\n",
    include_str!(concat!(env!("OUT_DIR"), "/shaders/sample_common.wgsl")),
    "\n",
    include_str!(concat!(env!("OUT_DIR"), "/shaders/sample.wgsl")),
);

/// The fused kernel with the energy model's ε̂ = ∇ₓφ (model::energy), cooperative.
pub const SAMPLE_ENERGY_WGSL: &str = concat!(
    include_str!(concat!(env!("OUT_DIR"), "/shaders/rng.wgsl")),
    "\n",
    include_str!(concat!(env!("OUT_DIR"), "/shaders/mlp_common.wgsl")),
    "\n",
    include_str!(concat!(env!("OUT_DIR"), "/shaders/score_energy.wgsl")),
    "\n",
    include_str!(concat!(env!("OUT_DIR"), "/shaders/sample_common.wgsl")),
    "\n",
    include_str!(concat!(env!("OUT_DIR"), "/shaders/sample.wgsl")),
);

/// The fused kernel with the MLP, 4 particles an invocation (CPU-emulated
/// adapters: SwiftShader, llvmpipe).
pub const SAMPLE_MLP_PER_THREAD_WGSL: &str = concat!(
    include_str!(concat!(env!("OUT_DIR"), "/shaders/rng.wgsl")),
    "\n",
    include_str!(concat!(env!("OUT_DIR"), "/shaders/mlp_common.wgsl")),
    "\n",
    include_str!(concat!(env!("OUT_DIR"), "/shaders/score_mlp_per_thread.wgsl")),
    "\n",
    include_str!(concat!(env!("OUT_DIR"), "/shaders/sample_common.wgsl")),
    "\n",
    include_str!(concat!(env!("OUT_DIR"), "/shaders/sample_per_thread.wgsl")),
);

/// Which sampling kernel a variant compiles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kernel {
    /// The exact mixture score, one particle a thread.
    Mixture,
    /// The MLP, a workgroup of 128 threads per 16 particles: for GPUs.
    MlpCooperative,
    /// The MLP, 4 particles an invocation with per-thread hidden arrays:
    /// for CPU emulations of a GPU, where it is several times faster.
    MlpPerThread,
    /// The energy model's gradient (backward pass through its MLP), a
    /// workgroup of 64 threads per 8 particles.
    Energy,
}

impl Kernel {
    pub const ALL: [Kernel; 4] = [Kernel::Mixture, Kernel::MlpCooperative, Kernel::MlpPerThread, Kernel::Energy];

    /// The composed WGSL the app compiles.
    pub fn source(self) -> &'static str {
        match self {
            Kernel::Mixture => SAMPLE_MIXTURE_WGSL,
            Kernel::MlpCooperative => SAMPLE_MLP_WGSL,
            Kernel::MlpPerThread => SAMPLE_MLP_PER_THREAD_WGSL,
            Kernel::Energy => SAMPLE_ENERGY_WGSL,
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Kernel::Mixture => "mixture",
            Kernel::MlpCooperative => "mlp_cooperative",
            Kernel::MlpPerThread => "mlp_per_thread",
            Kernel::Energy => "energy",
        }
    }

    /// Particles per workgroup of `run_steps` (WGSL `TILE`; the per-thread
    /// kernel: 64 invocations × 4).
    pub fn tile(self) -> u32 {
        match self {
            Kernel::Mixture => MIXTURE_TILE,
            Kernel::MlpCooperative => MLP_TILE,
            Kernel::MlpPerThread => 256,
            Kernel::Energy => ENERGY_TILE,
        }
    }
}

/// The health check (shaders/health.wgsl), the CPU twin of engine::health.
pub const HEALTH_WGSL: &str = include_str!(concat!(env!("OUT_DIR"), "/shaders/health.wgsl"));

/// Most particles a [`Probe`] carries back (the page's trails and scrubber frames).
pub const PROBE_PARTICLES: usize = 16_384;

/// Loop iterations one invocation may run. llvmpipe (lavapipe, the CI's
/// Vulkan) silently stops looping after 65 535 iterations per invocation,
/// shared by all loops, so a dispatch takes only as many steps as fit in
/// this budget (tests/gpu_parity.rs runs dispatches of this size against the CPU).
pub const LOOP_BUDGET: usize = 50_000;
/// Loop iterations of one MLP evaluation by one thread
/// (shaders/score_mlp.wgsl, `eps_tile`): 4 + 2 × 32 + 32.
pub const MLP_LOOP_ITERATIONS: usize = 100;
/// Loop iterations of one energy-model evaluation by one thread
/// (shaders/score_energy.wgsl, `eps_tile`): 4 × 32 + 32 (layer 0 is unrolled).
pub const ENERGY_LOOP_ITERATIONS: usize = 160;
/// Loop iterations of one classifier gradient with C classes by one thread
/// (shaders/score_mlp.wgsl, `log_class_grad_tile`): 2 + 2 × 17 for the
/// forward layers, 17 per round of logits, 3C for the softmax, 2(C + 1) +
/// 2 × 17 + 16 back through the layers.
pub fn clf_loop_iterations(classes: usize) -> usize {
    88 + 5 * classes + 17 * classes.div_ceil(8)
}
/// The per-thread kernel (shaders/score_mlp_per_thread.wgsl), per
/// invocation of 4 particles: one MLP evaluation of all four, 32 + 2 × (32 +
/// 32 × 32); one classifier gradient of one particle, 16 + 2 × (16 + 16 ×
/// 16) + 16 × 4 + C × (2 × 16 + 4).
pub const PER_THREAD_MLP_LOOP_ITERATIONS: usize = 2_144;
pub fn per_thread_clf_loop_iterations(classes: usize) -> usize {
    16 + 2 * (16 + 256) + 64 + classes * 36
}
/// Largest class count the classifier kernel holds (WGSL `MAX_CLASSES`).
pub const MAX_CLASSES: usize = 32;

/// `Params.class_id` for "all classes" (WGSL `CLASS_ALL`).
const CLASS_ALL: u32 = u32::MAX;

/// Threads of `init_noise`'s and `check_health`'s workgroups (one particle each).
const INIT_WORKGROUP: u32 = 64;
const HEALTH_WORKGROUP: u32 = 64;
/// Particles one `run_steps` workgroup advances (WGSL `TILE` of
/// score_mlp.wgsl and score_mixture.wgsl; tests/shaders.rs checks both).
pub const MLP_TILE: u32 = 16;
pub const MIXTURE_TILE: u32 = 64;
/// Particles one `run_steps` workgroup of the energy kernel advances (shaders/score_energy.wgsl).
pub const ENERGY_TILE: u32 = 8;
/// Largest particle count a sampler takes (the page allows 1 048 576; the
/// native bench goes to 4 194 304).
pub const MAX_PARTICLES: usize = 1 << 22;
/// Most workgroups in one dimension of a dispatch (WebGPU's default limit).
const MAX_GROUPS_PER_DIM: u32 = 65_535;

/// A 2-D grid of at least `groups` workgroups (WGSL `group_index` flattens it;
/// the padding past `groups` returns at once).
pub fn grid(groups: u32) -> (u32, u32) {
    let x = groups.clamp(1, MAX_GROUPS_PER_DIM);
    (x, groups.div_ceil(x).max(1))
}

#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    #[error("this browser exposes no WebGPU (navigator.gpu is missing)")]
    NoWebGpu,
    #[error("no GPU adapter was found: {0}")]
    NoAdapter(String),
    #[error("the GPU device could not be created: {0}")]
    Device(String),
    #[error("reading particles back from the GPU failed: {0}")]
    Readback(String),
    #[error("the GPU reported an error: {0}")]
    Uncaptured(String),
}

#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    n: u32,
    seed: u32,
    step_begin: u32,
    step_end: u32,
    /// Mixture components, or the MLP's number of classes.
    n_model: u32,
    class_id: u32,
    /// Guidance strength: w (classifier-free) or g (classifier).
    strength: f32,
    /// Standard deviation of the initial noise.
    init_scale: f32,
}

/// One compiled variant of the kernel: the WGSL override constants
/// (`GUIDANCE`, `HEUN`, `MULTISTEP`) and the kernel they are built into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Variant {
    pub kernel: Kernel,
    /// 0 none, 1 classifier-free, 2 classifier.
    pub guidance: u32,
    pub heun: bool,
    pub multistep: bool,
}

impl Variant {
    /// The variant a run needs; `mlp_kernel` is the context's choice of
    /// MLP kernel ([`GpuContext::mlp_kernel`]).
    pub fn of(plan: &StepPlan, model: &ScoreModel, cond: Conditioning, mlp_kernel: Kernel) -> Self {
        Self {
            kernel: match model {
                ScoreModel::Mlp { .. } => mlp_kernel,
                ScoreModel::Exact(_) => Kernel::Mixture,
                ScoreModel::Energy(_) => Kernel::Energy,
            },
            guidance: match cond.active() {
                Guidance::None => 0,
                Guidance::ClassifierFree { .. } => 1,
                Guidance::Classifier { .. } => 2,
            },
            heun: plan.steps.iter().any(|st| st.heun != 0),
            multistep: plan.multistep,
        }
    }

    /// The WGSL override constants of the variant.
    pub fn constants(&self) -> [(&'static str, f64); 3] {
        [("GUIDANCE", self.guidance as f64), ("HEUN", self.heun as u32 as f64), ("MULTISTEP", self.multistep as u32 as f64)]
    }
}

/// The two entry points of one variant.
#[derive(Clone)]
struct Pipelines {
    init: wgpu::ComputePipeline,
    step: wgpu::ComputePipeline,
}

/// Takes the first uncaptured device error recorded in `slot`, if any.
fn take_error(slot: &Mutex<Option<String>>) -> Option<GpuError> {
    slot.lock().unwrap_or_else(|p| p.into_inner()).take().map(GpuError::Uncaptured)
}

/// The name of a known software rasterizer in an adapter's description
/// (any ASCII case), e.g. "SwiftShader", "llvmpipe".
pub fn emulation_named(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let known = ["swiftshader", "llvmpipe", "lavapipe", "softpipe", "warp", "basic render"].into_iter().find(|k| lower.contains(k))?;
    Some(match known {
        "swiftshader" => "SwiftShader".to_string(),
        "llvmpipe" | "lavapipe" => "llvmpipe".to_string(),
        _ => text.trim().to_string(),
    })
}

/// The name of the CPU emulation an adapter is, from its info: a known
/// software rasterizer's name, or a CPU device type (lavapipe, WARP, a
/// browser's fallback adapter).
pub fn emulation_of(info: &wgpu::AdapterInfo) -> Option<String> {
    emulation_named(&info.name)
        .or_else(|| (info.device_type == wgpu::DeviceType::Cpu).then(|| if info.name.is_empty() { "a software adapter".to_string() } else { info.name.clone() }))
}

mod context;
#[cfg(any(test, feature = "layout"))]
pub mod layout;
mod sampler;

pub use context::GpuContext;
pub(crate) use sampler::map_and_read;
pub use sampler::{GpuSampler, Probe};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::gpu::layout::assert_wgsl_layout;
    use crate::science::plan::PlanStep;

    #[test]
    fn software_rasterizers_are_named() {
        assert_eq!(emulation_named("google swiftshader ").as_deref(), Some("SwiftShader"));
        assert_eq!(emulation_named("llvmpipe (LLVM 15.0.6, 256 bits)").as_deref(), Some("llvmpipe"));
        assert_eq!(emulation_named("nvidia ampere NVIDIA GeForce RTX 3080"), None);
    }

    /// The host's `Params` and `PlanStep` are every sampling kernel's
    /// structs (shaders/sample_common.wgsl), `HealthParams` the health check's
    /// (shaders/health.wgsl) and `GpuComponent` the exact mixture's.
    #[test]
    fn host_structs_match_the_wgsl_layout() {
        for kernel in Kernel::ALL {
            assert_wgsl_layout!(kernel.source(), "Params" => Params { n, seed, step_begin, step_end, n_model, class_id, strength, init_scale });
            assert_wgsl_layout!(kernel.source(), "PlanStep" => PlanStep {
                level, c_in, alpha, sigma, c_x, c_eps, c_z, c_prev, x0_x, x0_eps, heun, level_end, c_in_end, alpha_end, sigma_end, c_x_end, c_eps_end
            });
        }
        assert_wgsl_layout!(HEALTH_WGSL, "HealthParams" => sampler::HealthParams { n, escape_radius });
        assert_wgsl_layout!(SAMPLE_MIXTURE_WGSL, "Component" => crate::model::exact::GpuComponent { mean, variance, log_weight, label });
    }
}

