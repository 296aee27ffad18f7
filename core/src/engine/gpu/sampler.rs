//! [`GpuSampler`]: one run's buffers on the GPU, advanced by dispatches of
//! the fused kernel; a [`Probe`] is what one frame reads back.

use wgpu::util::DeviceExt;

use super::*;
use crate::model::mlp::CLF_HIDDEN;

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
pub(super) struct HealthParams {
    pub(super) n: u32,
    pub(super) escape_radius: f32,
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
