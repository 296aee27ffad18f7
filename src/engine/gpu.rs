//! The GPU backend: wgpu compute on WebGPU (browser) or Vulkan (native tests).
//!
//! [`GpuContext`] is built once (adapter, device, compiled pipelines) and
//! reused; a [`GpuSampler`] holds one run's buffers. `run_steps` records one
//! dispatch of the fused kernel over a range of plan steps; particles stay on
//! the GPU. The page draws them from there (web::gpu_render) and reads back
//! only a [`Probe`] each frame (their health and the first few particles);
//! `read_particles` copies all of them back, when a run ends or on request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use wgpu::util::DeviceExt;

use crate::model::mlp::CLF_HIDDEN;
use crate::model::{Conditioning, ScoreModel};
use crate::science::guidance::Guidance;
use crate::science::plan::StepPlan;

/// The fused kernel with the exact mixture score: the RNG, the model and
/// the shared declarations are prepended to the sampler.
pub const SAMPLE_MIXTURE_WGSL: &str = concat!(
    include_str!("../../shaders/rng.wgsl"),
    "\n",
    include_str!("../../shaders/score_mixture.wgsl"),
    "\n",
    include_str!("../../shaders/sample_common.wgsl"),
    "\n",
    include_str!("../../shaders/sample.wgsl"),
);

/// The fused kernel with the pretrained score MLP, cooperative (real GPUs).
pub const SAMPLE_MLP_WGSL: &str = concat!(
    include_str!("../../shaders/rng.wgsl"),
    "\n",
    include_str!("../../shaders/mlp_common.wgsl"),
    "\n",
    include_str!("../../shaders/score_mlp.wgsl"),
    "\n",
    include_str!("../../shaders/sample_common.wgsl"),
    "\n",
    include_str!("../../shaders/sample.wgsl"),
);

/// The fused kernel with the energy model's ε̂ = ∇ₓφ (model::energy), cooperative.
pub const SAMPLE_ENERGY_WGSL: &str = concat!(
    include_str!("../../shaders/rng.wgsl"),
    "\n",
    include_str!("../../shaders/mlp_common.wgsl"),
    "\n",
    include_str!("../../shaders/score_energy.wgsl"),
    "\n",
    include_str!("../../shaders/sample_common.wgsl"),
    "\n",
    include_str!("../../shaders/sample.wgsl"),
);

/// The fused kernel with the MLP, 4 particles an invocation (CPU-emulated
/// adapters: SwiftShader, llvmpipe).
pub const SAMPLE_MLP_PER_THREAD_WGSL: &str = concat!(
    include_str!("../../shaders/rng.wgsl"),
    "\n",
    include_str!("../../shaders/mlp_common.wgsl"),
    "\n",
    include_str!("../../shaders/score_mlp_per_thread.wgsl"),
    "\n",
    include_str!("../../shaders/sample_common.wgsl"),
    "\n",
    include_str!("../../shaders/sample_per_thread.wgsl"),
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
pub const HEALTH_WGSL: &str = include_str!("../../shaders/health.wgsl");

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
/// (shaders/score_energy.wgsl, `eps_tile`): 4 + 4 × 32 + 32.
pub const ENERGY_LOOP_ITERATIONS: usize = 164;
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
/// (any case), e.g. "SwiftShader", "llvmpipe".
pub fn emulation_named(text: &str) -> Option<String> {
    let lower = text.to_lowercase();
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

pub struct GpuContext {
    /// The instance and adapter, kept to make and configure canvas surfaces.
    pub instance: wgpu::Instance,
    pub adapter: wgpu::Adapter,
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub adapter_info: wgpu::AdapterInfo,
    layout: wgpu::BindGroupLayout,
    pipeline_layout: wgpu::PipelineLayout,
    /// Shader modules, compiled on first use.
    modules: Mutex<HashMap<Kernel, wgpu::ShaderModule>>,
    /// The CPU emulation this adapter is (SwiftShader, llvmpipe…), if any.
    emulation: Option<String>,
    /// Which MLP kernel runs: per-thread on emulations, cooperative elsewhere.
    mlp_per_thread: std::sync::atomic::AtomicBool,
    /// Compiled variants, built on first use.
    pipelines: Mutex<HashMap<Variant, Pipelines>>,
    /// Other kernels' pipelines (auto layout), by source and entry point, built on first use.
    other_pipelines: Mutex<HashMap<(&'static str, &'static str), wgpu::ComputePipeline>>,
    /// The health check's layout and pipeline.
    health_layout: wgpu::BindGroupLayout,
    health_pipeline: wgpu::ComputePipeline,
    /// The first error the device reported outside any error scope.
    error: Arc<Mutex<Option<String>>>,
}

impl GpuContext {
    /// Finds an adapter and builds the device and pipelines.
    pub async fn new() -> Result<Self, GpuError> {
        Self::with_features(wgpu::Features::empty()).await
    }

    /// As [`GpuContext::new`], also enabling those of `wanted` that the
    /// adapter has (the native bench asks for timestamp queries);
    /// `device.features()` says which it got.
    pub async fn with_features(wanted: wgpu::Features) -> Result<Self, GpuError> {
        #[cfg(target_arch = "wasm32")]
        let instance = {
            let desc = wgpu::InstanceDescriptor::new_without_display_handle();
            let instance = wgpu::util::new_instance_with_webgpu_detection(desc).await;
            if !wgpu::util::is_browser_webgpu_supported().await {
                return Err(GpuError::NoWebGpu);
            }
            instance
        };
        #[cfg(not(target_arch = "wasm32"))]
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle());

        let adapter = instance
            .request_adapter(&wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::HighPerformance,
                ..Default::default()
            })
            .await
            .map_err(|e| GpuError::NoAdapter(e.to_string()))?;
        let adapter_info = adapter.get_info();
        let emulation = emulation_of(&adapter_info);
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("playground"),
                required_features: wanted & adapter.features(),
                required_limits: wgpu::Limits::default().using_resolution(adapter.limits()),
                ..Default::default()
            })
            .await
            .map_err(|e| GpuError::Device(e.to_string()))?;

        let error = Arc::new(Mutex::new(None));
        let sink = error.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            let mut slot = sink.lock().unwrap_or_else(|p| p.into_inner());
            slot.get_or_insert_with(|| e.to_string());
        }));
        // A lost device fails every later map; say why instead.
        let sink = error.clone();
        device.set_device_lost_callback(move |reason, message| {
            let mut slot = sink.lock().unwrap_or_else(|p| p.into_inner());
            slot.get_or_insert_with(|| format!("the GPU device was lost ({reason:?}: {message})"));
        });

        let storage = |binding, read_only| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Storage { read_only },
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        };
        let uniform = |binding| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer { ty: wgpu::BufferBindingType::Uniform, has_dynamic_offset: false, min_binding_size: None },
            count: None,
        };
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("sample layout"),
            entries: &[
                uniform(0),
                storage(1, true),
                storage(2, true),
                storage(3, false),
                storage(4, true),
                storage(5, false),
                storage(6, true),
                storage(7, true),
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("sample pipeline layout"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let health_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("health layout"),
            entries: &[
                uniform(0),
                storage(1, true),
                storage(2, false),
            ],
        });
        let health_module =
            device.create_shader_module(wgpu::ShaderModuleDescriptor { label: Some("health"), source: wgpu::ShaderSource::Wgsl(HEALTH_WGSL.into()) });
        let health_pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some("check_health"),
            layout: Some(&device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some("health pipeline layout"),
                bind_group_layouts: &[Some(&health_layout)],
                immediate_size: 0,
            })),
            module: &health_module,
            entry_point: Some("check_health"),
            compilation_options: Default::default(),
            cache: None,
        });
        Ok(Self {
            instance,
            adapter,
            device,
            queue,
            adapter_info,
            layout,
            pipeline_layout,
            modules: Mutex::new(HashMap::new()),
            emulation: emulation.clone(),
            mlp_per_thread: std::sync::atomic::AtomicBool::new(emulation.is_some()),
            pipelines: Mutex::new(HashMap::new()),
            other_pipelines: Mutex::new(HashMap::new()),
            health_layout,
            health_pipeline,
            error,
        })
    }

    /// The compiled pipelines of a variant (built and cached on first use).
    fn pipelines(&self, v: Variant) -> Pipelines {
        let mut cache = self.pipelines.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(p) = cache.get(&v) {
            return p.clone();
        }
        let module = {
            let mut modules = self.modules.lock().unwrap_or_else(|p| p.into_inner());
            modules
                .entry(v.kernel)
                .or_insert_with(|| {
                    self.device.create_shader_module(wgpu::ShaderModuleDescriptor { label: Some(v.kernel.id()), source: wgpu::ShaderSource::Wgsl(v.kernel.source().into()) })
                })
                .clone()
        };
        let constants = v.constants();
        let pipeline = |entry: &str| {
            self.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(entry),
                layout: Some(&self.pipeline_layout),
                module: &module,
                entry_point: Some(entry),
                compilation_options: wgpu::PipelineCompilationOptions { constants: &constants, ..Default::default() },
                cache: None,
            })
        };
        let p = Pipelines { init: pipeline("init_noise"), step: pipeline("run_steps") };
        cache.insert(v, p.clone());
        p
    }

    /// The pipeline of `entry` in `source` with its layout derived from the
    /// shader (the kernels outside the sampler's fixed layout: the
    /// likelihood's), compiled on first use.
    pub fn cached_pipeline(&self, source: &'static str, entry: &'static str) -> wgpu::ComputePipeline {
        let mut cache = self.other_pipelines.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .entry((source, entry))
            .or_insert_with(|| {
                let module = self.device.create_shader_module(wgpu::ShaderModuleDescriptor { label: Some(entry), source: wgpu::ShaderSource::Wgsl(source.into()) });
                self.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                    label: Some(entry),
                    layout: None,
                    module: &module,
                    entry_point: Some(entry),
                    compilation_options: Default::default(),
                    cache: None,
                })
            })
            .clone()
    }

    /// The CPU emulation of a GPU this adapter is, if it is one: adapter
    /// info says so natively; a browser hides it from wgpu, so the page
    /// passes what `GPUAdapterInfo` tells it ([`GpuContext::set_emulation`]).
    pub fn emulation(&self) -> Option<&str> {
        self.emulation.as_deref()
    }

    /// Marks the adapter as a CPU emulation (or not), and picks the MLP
    /// kernel to match.
    pub fn set_emulation(&mut self, emulation: Option<String>) {
        self.set_mlp_kernel(if emulation.is_some() { Kernel::MlpPerThread } else { Kernel::MlpCooperative });
        self.emulation = emulation;
    }

    /// The MLP kernel samplers made from now on run.
    pub fn mlp_kernel(&self) -> Kernel {
        if self.mlp_per_thread.load(std::sync::atomic::Ordering::Relaxed) { Kernel::MlpPerThread } else { Kernel::MlpCooperative }
    }

    /// Chooses the MLP kernel (tests run both on one adapter).
    pub fn set_mlp_kernel(&self, kernel: Kernel) {
        assert!(kernel != Kernel::Mixture, "the mixture is not an MLP kernel");
        self.mlp_per_thread.store(kernel == Kernel::MlpPerThread, std::sync::atomic::Ordering::Relaxed);
    }

    /// A short human description, e.g. "llvmpipe (LLVM 15.0.6, 256 bits) via Vulkan".
    pub fn describe(&self) -> String {
        let i = &self.adapter_info;
        match i.backend {
            // Browsers hide the adapter's name from wgpu.
            wgpu::Backend::BrowserWebGpu if i.name.is_empty() => "the browser's WebGPU adapter".into(),
            wgpu::Backend::BrowserWebGpu => format!("{} (browser WebGPU)", i.name),
            backend => format!("{} via {backend:?}", i.name),
        }
    }

}

pub struct GpuSampler {
    n: usize,
    seed: u32,
    n_model: u32,
    class_id: u32,
    strength: f32,
    init_scale: f32,
    pipelines: Pipelines,
    /// The kernel this run's variant compiles.
    kernel: Kernel,
    /// Steps per dispatch, so one invocation stays inside [`LOOP_BUDGET`].
    steps_per_dispatch: usize,
    total_steps: usize,
    step: usize,
    params: wgpu::Buffer,
    particles: wgpu::Buffer,
    bind_group: wgpu::BindGroup,
    /// The health counters, the bind group that checks `particles` into them,
    /// and the probe's staging buffer (counters, then the first particles).
    health_counts: wgpu::Buffer,
    health_bind_group: wgpu::BindGroup,
    probe_staging: wgpu::Buffer,
    /// Bytes read back so far (probes and full reads).
    read_bytes: std::cell::Cell<u64>,
}

/// What one frame reads back from a GPU run: the health of all particles
/// and the first `min(n, PROBE_PARTICLES)` of them (interleaved x, y).
#[derive(Clone, Debug)]
pub struct Probe {
    pub health: crate::engine::health::Health,
    pub first: Vec<f32>,
}

/// Bytes of the health counters at the start of a probe.
const HEALTH_BYTES: u64 = 16;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct HealthParams {
    n: u32,
    escape_radius: f32,
    _pad: [u32; 2],
}

/// Maps `staging` for reading once the queue reaches it, then returns its
/// bytes (the future owns its handles, so no borrow is held across it).
pub(crate) fn map_and_read(ctx: &GpuContext, staging: wgpu::Buffer) -> impl std::future::Future<Output = Result<Vec<u8>, GpuError>> + 'static {
    let (tx, rx) = futures_channel::oneshot::channel();
    staging.slice(..).map_async(wgpu::MapMode::Read, move |r| {
        let _ = tx.send(r);
    });
    let (device, error) = (ctx.device.clone(), ctx.error.clone());
    async move {
        #[cfg(not(target_arch = "wasm32"))]
        device.poll(wgpu::PollType::wait_indefinitely()).map_err(|e| GpuError::Readback(e.to_string()))?;
        #[cfg(target_arch = "wasm32")]
        let _ = &device;
        let mapped = rx.await.map_err(|_| GpuError::Readback("the map callback was dropped".into()))?;
        if let Err(e) = mapped {
            // A recorded device error or loss explains a failed map better.
            return Err(take_error(&error).unwrap_or_else(|| GpuError::Readback(e.to_string())));
        }
        let out = staging.slice(..).get_mapped_range().map_err(|e| GpuError::Readback(e.to_string()))?.to_vec();
        staging.unmap();
        if let Some(e) = take_error(&error) {
            return Err(e);
        }
        Ok(out)
    }
}

impl GpuSampler {
    /// Uploads the plan and the model and draws the initial noise on the GPU.
    pub fn new(ctx: &GpuContext, plan: &StepPlan, model: &ScoreModel, cond: Conditioning, seed: u32, n: usize) -> Self {
        assert!(n >= 1 && n <= MAX_PARTICLES, "particle count out of range");
        let d = &ctx.device;
        let storage = |label: &str, contents: &[u8]| {
            d.create_buffer_init(&wgpu::util::BufferInitDescriptor { label: Some(label), contents, usage: wgpu::BufferUsages::STORAGE })
        };
        let plan_buf = storage("plan", bytemuck::cast_slice(&plan.steps));
        let stub = || storage("unused", &[0u8; 16]);
        // Binding 2 is the model; 4 the MLP's time table (a row per plan
        // level); 6 and 7 the classifier and its time table; stubs where unused.
        let (model_buf, table_buf, clf_buf, clf_table_buf, n_model) = match model {
            ScoreModel::Energy(energy) => {
                assert!(energy.num_classes() <= MAX_CLASSES, "at most {MAX_CLASSES} classes");
                assert!(!matches!(cond.active(), Guidance::Classifier { .. }), "the energy model has no classifier");
                let table: Vec<f32> = plan.levels.iter().flat_map(|&t| energy.time_bias(t)).collect();
                (storage("energy weights", bytemuck::cast_slice(&energy.gpu_weights())), storage("time table", bytemuck::cast_slice(&table)), stub(), stub(), energy.num_classes())
            }
            ScoreModel::Exact(m) => (storage("components", bytemuck::cast_slice(&m.components)), stub(), stub(), stub(), m.components.len()),
            ScoreModel::Mlp { score, classifier } => {
                assert!(score.num_classes <= MAX_CLASSES, "the classifier kernel holds at most {MAX_CLASSES} classes");
                let table: Vec<f32> = plan.levels.iter().flat_map(|&t| score.time_bias(t)).collect();
                let (clf_buf, clf_table_buf) = match classifier {
                    Some(classifier) => {
                        let clf_table: Vec<f32> = plan.levels.iter().flat_map(|&t| classifier.time_bias(t)).collect();
                        debug_assert_eq!(clf_table.len(), plan.levels.len() * CLF_HIDDEN);
                        (storage("classifier weights", bytemuck::cast_slice(&classifier.gpu_weights())), storage("classifier time table", bytemuck::cast_slice(&clf_table)))
                    }
                    None => {
                        assert!(!matches!(cond.active(), Guidance::Classifier { .. }), "classifier guidance needs the model's classifier");
                        (stub(), stub())
                    }
                };
                (storage("mlp weights", bytemuck::cast_slice(&score.gpu_weights())), storage("time table", bytemuck::cast_slice(&table)), clf_buf, clf_table_buf, score.num_classes)
            }
        };
        let variant = Variant::of(plan, model, cond, ctx.mlp_kernel());
        // The multistep memory starts at zero (the first step's c_prev is 0).
        let memory = if variant.multistep {
            d.create_buffer(&wgpu::BufferDescriptor { label: Some("memory"), size: (n * 8) as u64, usage: wgpu::BufferUsages::STORAGE, mapped_at_creation: false })
        } else {
            stub()
        };
        let params = d.create_buffer(&wgpu::BufferDescriptor {
            label: Some("params"),
            size: std::mem::size_of::<Params>() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let bytes = (n * 8) as u64;
        let particles = d.create_buffer(&wgpu::BufferDescriptor {
            label: Some("particles"),
            size: bytes,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let health_params = d.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("health params"),
            contents: bytemuck::bytes_of(&HealthParams { n: n as u32, escape_radius: crate::engine::health::ESCAPE_RADIUS, _pad: [0; 2] }),
            usage: wgpu::BufferUsages::UNIFORM,
        });
        let health_counts = d.create_buffer(&wgpu::BufferDescriptor {
            label: Some("health counts"),
            size: HEALTH_BYTES,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let health_bind_group = d.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("health bind group"),
            layout: &ctx.health_layout,
            entries: &[
                wgpu::BindGroupEntry { binding: 0, resource: health_params.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 1, resource: particles.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 2, resource: health_counts.as_entire_binding() },
            ],
        });
        let probe_staging = d.create_buffer(&wgpu::BufferDescriptor {
            label: Some("probe staging"),
            size: HEALTH_BYTES + (n.min(PROBE_PARTICLES) * 8) as u64,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let bind_group = d.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("sample bind group"),
            layout: &ctx.layout,
            entries: &[
                wgpu::BindGroupEntry { binding: 0, resource: params.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 1, resource: plan_buf.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 2, resource: model_buf.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 3, resource: particles.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 4, resource: table_buf.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 5, resource: memory.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 6, resource: clf_buf.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 7, resource: clf_table_buf.as_entire_binding() },
            ],
        });
        let s = Self {
            n,
            seed,
            n_model: n_model as u32,
            class_id: cond.class.unwrap_or(CLASS_ALL),
            strength: match cond.active() {
                Guidance::ClassifierFree { w } => w,
                Guidance::Classifier { g } => g,
                Guidance::None => 0.0,
            },
            init_scale: plan.init_scale,
            pipelines: ctx.pipelines(variant),
            kernel: variant.kernel,
            steps_per_dispatch: {
                // Loop iterations of one guided ε̂ by one thread: the MLP's
                // and the classifier's cooperative loops, or the mixture's
                // loop over its components (one particle a thread); plus
                // the kernel's own per-step loops (a few).
                let per_thread = variant.kernel == Kernel::MlpPerThread;
                let score = match model {
                    ScoreModel::Exact(m) => m.components.len().max(1),
                    ScoreModel::Mlp { .. } if per_thread => PER_THREAD_MLP_LOOP_ITERATIONS,
                    ScoreModel::Mlp { .. } => MLP_LOOP_ITERATIONS,
                    ScoreModel::Energy(_) => ENERGY_LOOP_ITERATIONS,
                };
                let per_eps = match (cond.active(), model) {
                    (Guidance::None, _) => score,
                    (Guidance::Classifier { .. }, ScoreModel::Mlp { score: s, .. }) if per_thread => score + 4 * per_thread_clf_loop_iterations(s.num_classes),
                    (Guidance::Classifier { .. }, ScoreModel::Mlp { score: s, .. }) => score + clf_loop_iterations(s.num_classes),
                    _ => 2 * score,
                } + 32;
                let heun = if variant.heun { 2 } else { 1 };
                (LOOP_BUDGET / (per_eps * heun)).max(1)
            },
            total_steps: plan.len(),
            step: 0,
            params,
            particles,
            bind_group,
            health_counts,
            health_bind_group,
            probe_staging,
            read_bytes: std::cell::Cell::new(0),
        };
        s.dispatch(ctx, &s.pipelines.init, 0, 0, INIT_WORKGROUP, None);
        s
    }

    pub fn len(&self) -> usize {
        self.n
    }

    /// The sampling kernel this run compiled.
    pub fn kernel(&self) -> Kernel {
        self.kernel
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    pub fn step_index(&self) -> usize {
        self.step
    }

    pub fn total_steps(&self) -> usize {
        self.total_steps
    }

    pub fn done(&self) -> bool {
        self.step >= self.total_steps
    }

    /// The particle buffer (n × vec2<f32>, storage), which the page's view
    /// draws from.
    pub fn particles(&self) -> &wgpu::Buffer {
        &self.particles
    }

    /// Bytes this sampler has read back from the GPU (probes and full reads).
    pub fn read_bytes(&self) -> u64 {
        self.read_bytes.get()
    }

    /// One dispatch of `pipeline` over the particles, `per_group` a workgroup,
    /// with the pass's timestamp writes, if any.
    fn dispatch(
        &self,
        ctx: &GpuContext,
        pipeline: &wgpu::ComputePipeline,
        begin: usize,
        end: usize,
        per_group: u32,
        timestamps: Option<wgpu::ComputePassTimestampWrites>,
    ) {
        let p = Params {
            n: self.n as u32,
            seed: self.seed,
            step_begin: begin as u32,
            step_end: end as u32,
            n_model: self.n_model,
            class_id: self.class_id,
            strength: self.strength,
            init_scale: self.init_scale,
        };
        // One dispatch per submit: the uniform written here is the one it reads.
        ctx.queue.write_buffer(&self.params, 0, bytemuck::bytes_of(&p));
        let mut enc = ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("sample") });
        {
            let mut pass =
                enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("sample pass"), timestamp_writes: timestamps });
            pass.set_pipeline(pipeline);
            pass.set_bind_group(0, &self.bind_group, &[]);
            let (x, y) = grid((self.n as u32).div_ceil(per_group));
            pass.dispatch_workgroups(x, y, 1);
        }
        ctx.queue.submit(Some(enc.finish()));
    }

    /// Runs up to `count` plan steps (in as few dispatches as the loop
    /// budget allows); returns how many.
    pub fn run_steps(&mut self, ctx: &GpuContext, count: usize) -> usize {
        self.run_steps_timed(ctx, count, None)
    }

    /// As [`GpuSampler::run_steps`], writing a GPU timestamp into `queries`
    /// (a timestamp query set of at least 2) at index 0 when the first
    /// dispatch begins and at index 1 when the last one ends (the native
    /// bench times the kernel this way).
    pub fn run_steps_timed(&mut self, ctx: &GpuContext, count: usize, queries: Option<&wgpu::QuerySet>) -> usize {
        let end = (self.step + count).min(self.total_steps);
        let step = &self.pipelines.step;
        let mut begin = self.step;
        while begin < end {
            let stop = end.min(begin.saturating_add(self.steps_per_dispatch));
            let timestamps = queries.map(|query_set| wgpu::ComputePassTimestampWrites {
                query_set,
                beginning_of_pass_write_index: (begin == self.step).then_some(0),
                end_of_pass_write_index: (stop == end).then_some(1),
            });
            self.dispatch(ctx, step, begin, stop, self.kernel.tile(), timestamps);
            begin = stop;
        }
        let ran = end - self.step;
        self.step = end;
        ran
    }

    /// Copies all the particles back (interleaved x, y) through a staging
    /// buffer of its own, so several reads may be in flight. The returned
    /// future owns what it needs (wgpu handles are reference-counted), so a
    /// caller may await it without holding a borrow of the sampler.
    pub fn read_particles(&self, ctx: &GpuContext) -> impl std::future::Future<Output = Result<Vec<f32>, GpuError>> + 'static {
        let bytes = (self.n * 8) as u64;
        self.read_bytes.set(self.read_bytes.get() + bytes);
        let staging = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback"),
            size: bytes,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut enc = ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("readback") });
        enc.copy_buffer_to_buffer(&self.particles, 0, &staging, 0, bytes);
        ctx.queue.submit(Some(enc.finish()));
        let read = map_and_read(ctx, staging);
        async move { Ok(bytemuck::pod_collect_to_vec::<u8, f32>(&read.await?)) }
    }

    /// Checks every particle on the GPU (shaders/health.wgsl) and reads back
    /// the counts with the first particles: a frame's readback, at most
    /// 16 + 8 × PROBE_PARTICLES bytes whatever n is. One probe at a time
    /// (await it before the next).
    pub fn probe(&self, ctx: &GpuContext) -> impl std::future::Future<Output = Result<Probe, GpuError>> + 'static {
        let first = self.n.min(PROBE_PARTICLES);
        ctx.queue.write_buffer(&self.health_counts, 0, bytemuck::cast_slice(&[0u32, 0, u32::MAX, 0]));
        let mut enc = ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("probe") });
        {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("health pass"), timestamp_writes: None });
            pass.set_pipeline(&ctx.health_pipeline);
            pass.set_bind_group(0, &self.health_bind_group, &[]);
            let (x, y) = grid((self.n as u32).div_ceil(HEALTH_WORKGROUP));
            pass.dispatch_workgroups(x, y, 1);
        }
        enc.copy_buffer_to_buffer(&self.health_counts, 0, &self.probe_staging, 0, HEALTH_BYTES);
        enc.copy_buffer_to_buffer(&self.particles, 0, &self.probe_staging, HEALTH_BYTES, (first * 8) as u64);
        ctx.queue.submit(Some(enc.finish()));
        self.read_bytes.set(self.read_bytes.get() + self.probe_staging.size());
        let read = map_and_read(ctx, self.probe_staging.clone());
        async move {
            let bytes = read.await?;
            let words: Vec<u32> = bytemuck::pod_collect_to_vec(&bytes[..HEALTH_BYTES as usize]);
            Ok(Probe {
                health: crate::engine::health::Health {
                    non_finite: words[0] as usize,
                    first_non_finite: (words[2] != u32::MAX).then_some(words[2] as usize),
                    escaped: words[1] as usize,
                },
                first: bytemuck::pod_collect_to_vec(&bytes[HEALTH_BYTES as usize..]),
            })
        }
    }
}

/// (member name, byte offset) of a WGSL struct, and its size, as naga lays
/// it out: the layout tests of the host structs shared with kernels.
#[cfg(test)]
pub(crate) fn wgsl_layout(src: &str, name: &str) -> (Vec<(String, u32)>, u32) {
    let module = naga::front::wgsl::parse_str(src).expect("the kernel parses");
    let ty = module.types.iter().find(|(_, t)| t.name.as_deref() == Some(name)).unwrap_or_else(|| panic!("no struct {name}")).1;
    match &ty.inner {
        naga::TypeInner::Struct { members, span } => (members.iter().map(|m| (m.name.clone().unwrap_or_default(), m.offset)).collect(), *span),
        other => panic!("{name} is not a struct: {other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::science::plan::PlanStep;
    use std::mem::{offset_of, size_of};


    /// The host's `Params` and `PlanStep` are the kernels' structs
    /// (shaders/sample_common.wgsl): every field at the WGSL member's offset,
    /// and the same size; the padding fields are named differently
    /// (`pad: [u32; 3]` against `pad0 … pad2`) and checked by the size.
    #[test]
    fn software_rasterizers_are_named() {
        assert_eq!(emulation_named("google swiftshader ").as_deref(), Some("SwiftShader"));
        assert_eq!(emulation_named("llvmpipe (LLVM 15.0.6, 256 bits)").as_deref(), Some("llvmpipe"));
        assert_eq!(emulation_named("nvidia ampere NVIDIA GeForce RTX 3080"), None);
    }

    #[test]
    fn host_structs_match_the_wgsl_layout() {
        macro_rules! offsets {
            ($t:ty: $($f:ident),*) => { vec![$((stringify!($f), offset_of!($t, $f) as u32)),*] };
        }
        let params = offsets!(Params: n, seed, step_begin, step_end, n_model, class_id, strength, init_scale);
        let plan = offsets!(PlanStep: level, c_in, alpha, sigma, c_x, c_eps, c_z, c_prev, x0_x, x0_eps, heun, level_end, c_in_end, alpha_end, sigma_end, c_x_end, c_eps_end);
        for kernel in Kernel::ALL {
            for (name, rust, size) in [("Params", &params, size_of::<Params>()), ("PlanStep", &plan, size_of::<PlanStep>())] {
                let (members, span) = wgsl_layout(kernel.source(), name);
                assert_eq!(span as usize, size, "{} {name}: size", kernel.id());
                for (field, offset) in rust {
                    let wgsl = members.iter().find(|(m, _)| m == field).unwrap_or_else(|| panic!("{} {name}: no member {field}", kernel.id()));
                    assert_eq!(wgsl.1, *offset, "{} {name}.{field}: offset", kernel.id());
                }
                let named = members.iter().filter(|(m, _)| !m.starts_with("pad")).count();
                assert_eq!(named, rust.len(), "{} {name}: members beyond the host's fields", kernel.id());
            }
        }
    }
}
