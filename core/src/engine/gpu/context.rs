//! [`GpuContext`]: the adapter, device and compiled pipelines, built once per page.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::{emulation_of, GpuError, Kernel, Pipelines, Variant, HEALTH_WGSL};

pub struct GpuContext {
    /// The instance and adapter, kept to make and configure canvas surfaces.
    pub instance: wgpu::Instance,
    pub adapter: wgpu::Adapter,
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub adapter_info: wgpu::AdapterInfo,
    pub(super) layout: wgpu::BindGroupLayout,
    pub(super) pipeline_layout: wgpu::PipelineLayout,
    /// Shader modules, compiled on first use.
    pub(super) modules: Mutex<HashMap<Kernel, wgpu::ShaderModule>>,
    /// The CPU emulation this adapter is (SwiftShader, llvmpipe…), if any.
    pub(super) emulation: Option<String>,
    /// Which MLP kernel runs: per-thread on emulations, cooperative elsewhere.
    pub(super) mlp_per_thread: std::sync::atomic::AtomicBool,
    /// Compiled variants, built on first use.
    pub(super) pipelines: Mutex<HashMap<Variant, Pipelines>>,
    /// Other kernels' pipelines (auto layout), by source and entry point, built on first use.
    pub(super) other_pipelines: Mutex<HashMap<(&'static str, &'static str), wgpu::ComputePipeline>>,
    /// The health check's layout and pipeline.
    pub(super) health_layout: wgpu::BindGroupLayout,
    pub(super) health_pipeline: wgpu::ComputePipeline,
    /// The first error the device reported outside any error scope.
    pub(super) error: Arc<Mutex<Option<String>>>,
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
    pub(super) fn pipelines(&self, v: Variant) -> Pipelines {
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
