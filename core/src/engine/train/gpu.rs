//! The training step on a GPU (shaders/train.wgsl): one storage arena, the
//! layers' products as tiled GEMMs, many steps per submit.

use super::{classifier_shapes, shapes, ClassifierParams, Recipe, ScoreParams, CLF_INPUT, INPUT, LABEL_DROPOUT};
use crate::engine::quality::T_MIN;
use crate::model::mlp::{CLASS_DIM, CLF_HIDDEN, HIDDEN};
use crate::science::schedule::VpSde;
use crate::science::targets::Target;


/// The training kernels (shaders/train.wgsl), after the RNG they draw from.
pub const TRAIN_WGSL: &str = concat!(include_str!(concat!(env!("OUT_DIR"), "/shaders/rng.wgsl")), "\n", include_str!(concat!(env!("OUT_DIR"), "/shaders/train.wgsl")));

/// What a `gemm` dispatch writes (shaders/train.wgsl's `GEMM_*` constants;
/// `GemmParams.mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum GemmMode {
    /// C = A·B (+ bias).
    Plain = 0,
    /// Z = A·B + bias and H = SiLU(Z): a hidden layer's forward pass.
    Silu = 1,
    /// C = (A·B) · SiLU'(Z): a delta back through a hidden layer.
    SiluGrad = 2,
}

/// The training kernels' entry points (shaders/train.wgsl), one pipeline each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    DrawBatch,
    Gemm,
    LossGrad,
    ClfLossGrad,
    ClassGrad,
    Adamw,
    Advance,
}

impl Entry {
    pub const ALL: [Entry; 7] = [Entry::DrawBatch, Entry::Gemm, Entry::LossGrad, Entry::ClfLossGrad, Entry::ClassGrad, Entry::Adamw, Entry::Advance];

    /// The WGSL function's name.
    pub fn name(self) -> &'static str {
        match self {
            Entry::DrawBatch => "draw_batch",
            Entry::Gemm => "gemm",
            Entry::LossGrad => "loss_grad",
            Entry::ClfLossGrad => "clf_loss_grad",
            Entry::ClassGrad => "class_grad",
            Entry::Adamw => "adamw",
            Entry::Advance => "advance",
        }
    }
}

/// One dispatch of a training step: its entry point, the `GemmParams` slot
/// it reads (gemm only) and its workgroup grid.
#[derive(Clone, Copy, Debug)]
struct Dispatch {
    entry: Entry,
    gemm: u32,
    groups: (u32, u32),
}

/// One `gemm` dispatch's uniform (shaders/train.wgsl, `GemmParams`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, bytemuck::Pod, bytemuck::Zeroable)]
pub struct GemmParams {
    pub m: u32,
    pub n: u32,
    pub k: u32,
    pub mode: u32,
    pub a_off: u32,
    pub a_rs: u32,
    pub a_cs: u32,
    pub b_off: u32,
    pub b_rs: u32,
    pub b_cs: u32,
    pub c_off: u32,
    pub c_rs: u32,
    pub bias_off: u32,
    pub h_off: u32,
    pub z_off: u32,
    pub pad: u32,
}

/// The run's uniform (shaders/train.wgsl, `TrainParams`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, bytemuck::Pod, bytemuck::Zeroable)]
pub struct TrainParams {
    pub batch: u32,
    pub points: u32,
    pub num_classes: u32,
    pub seed: u32,
    pub t_power: u32,
    pub points_off: u32,
    pub freqs_off: u32,
    pub u_off: u32,
    pub target_off: u32,
    pub label_off: u32,
    pub emb_off: u32,
    pub step_off: u32,
    pub out_off: u32,
    pub dout_off: u32,
    pub loss_off: u32,
    pub du_off: u32,
    pub demb_off: u32,
    pub params: u32,
    pub theta_off: u32,
    pub m_off: u32,
    pub v_off: u32,
    pub g_off: u32,
    pub ema_off: u32,
    pub warmup: u32,
    pub total: u32,
    pub t_min: f32,
    pub beta_min: f32,
    pub beta_max: f32,
    pub dropout: f32,
    pub lr: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub adam_eps: f32,
    pub weight_decay: f32,
    /// science::targets::Target: 0 ε, 1 x0, 2 v, 3 flow (`target` is a WGSL keyword); the loss weights' offset.
    pub target_kind: u32,
    pub weight_off: u32,
    /// 1 when the classifier trains too; its input rows `[x, temb]`, the
    /// rows' own classes, its logits, ∂L/∂logits and loss terms.
    pub clf: u32,
    pub clf_u_off: u32,
    pub clf_label_off: u32,
    pub logits_off: u32,
    pub dlogits_off: u32,
    pub clf_loss_off: u32,
    pub pad: [u32; 2],
}

/// Where everything lies in the kernels' one storage arena (f32 words).
#[derive(Clone, Debug)]
pub struct ArenaLayout {
    /// Each parameter tensor's offset within θ (and within m, v and g).
    pub tensor: [u32; 9],
    /// The classifier's tensors' offsets there, after the score network's
    /// (so one `adamw` dispatch runs over both).
    pub clf_tensor: [u32; 6],
    /// The score network's parameter count, and the span AdamW runs over (with the classifier's).
    pub score_params: u32,
    pub params: u32,
    pub theta: u32,
    pub m: u32,
    pub v: u32,
    pub g: u32,
    /// The EMA of θ.
    pub ema: u32,
    pub step: u32,
    pub freqs: u32,
    pub ones: u32,
    pub points: u32,
    pub u: u32,
    /// What each row should output, and its loss weight (science::targets).
    pub target: u32,
    pub weight: u32,
    pub label: u32,
    /// z0, h0, z1, h1, z2, h2.
    pub hidden: [u32; 6],
    pub out: u32,
    pub dout: u32,
    pub loss: u32,
    /// δ0, δ1, δ2.
    pub delta: [u32; 3],
    pub du: u32,
    /// The classifier's rows (empty without it): inputs `[x, temb]`, classes,
    /// z0, h0, z1, h1, logits, ∂L/∂logits, loss terms, δ0, δ1.
    pub clf_u: u32,
    pub clf_label: u32,
    pub clf_hidden: [u32; 4],
    pub logits: u32,
    pub dlogits: u32,
    pub clf_loss: u32,
    pub clf_delta: [u32; 2],
    pub total: u32,
}

impl ArenaLayout {
    pub fn new(num_classes: usize, batch: usize, points: usize, classifier: bool) -> Self {
        let mut tensor = [0u32; 9];
        let mut at = 0u32;
        for (k, (r, c)) in shapes(num_classes).into_iter().enumerate() {
            tensor[k] = at;
            at += (r * c) as u32;
        }
        let score_params = at;
        let mut clf_tensor = [0u32; 6];
        if classifier {
            for (k, (r, c)) in classifier_shapes(num_classes).into_iter().enumerate() {
                clf_tensor[k] = at;
                at += (r * c) as u32;
            }
        }
        let params = at;
        let b = batch as u32;
        let h = (batch * HIDDEN) as u32;
        let mut next = 0u32;
        let mut take = |n: u32| {
            let o = next;
            next += n;
            o
        };
        let (theta, m, v, g, ema) = (take(params), take(params), take(params), take(params), take(params));
        let (step, freqs, ones, points) = (take(1), take(crate::model::mlp::TIME_FREQS as u32), take(b), take(3 * points as u32));
        let (u, target, weight, label) = (take(b * INPUT as u32), take(2 * b), take(b), take(b));
        let hidden = [take(h), take(h), take(h), take(h), take(h), take(h)];
        let (out, dout, loss) = (take(2 * b), take(2 * b), take(b));
        let delta = [take(h), take(h), take(h)];
        let du = take(b * INPUT as u32);
        let on = u32::from(classifier);
        let (ch, nc) = (on * b * CLF_HIDDEN as u32, on * b * num_classes as u32);
        let (clf_u, clf_label) = (take(on * b * CLF_INPUT as u32), take(on * b));
        let clf_hidden = [take(ch), take(ch), take(ch), take(ch)];
        let (logits, dlogits, clf_loss) = (take(nc), take(nc), take(on * b));
        let clf_delta = [take(ch), take(ch)];
        Self {
            tensor, clf_tensor, score_params, params, theta, m, v, g, ema, step, freqs, ones, points, u, target, weight, label, hidden, out, dout, loss, delta, du,
            clf_u, clf_label, clf_hidden, logits, dlogits, clf_loss, clf_delta, total: next,
        }
    }
}

/// What [`GpuTrainer::run_and_watch`] reads back after a submit.
#[derive(Clone, Debug)]
pub struct Watched {
    /// The moving average of the weights after the submit's last step.
    pub ema: ScoreParams,
    /// That step's loss (the mean of its terms, as [`GpuTrainer::loss`]).
    pub loss: f32,
    /// The classifier's moving average and last loss, when it trains.
    pub clf_ema: Option<ClassifierParams>,
    pub clf_loss: Option<f32>,
}

/// The training run on a GPU: the arena, the pipelines, and the step's
/// dispatches (their uniforms fixed for the run; the step counter lives in
/// the arena), encoded as many steps per submit as asked.
pub struct GpuTrainer {
    arena: wgpu::Buffer,
    gemm_uniforms: wgpu::Buffer,
    bind_group: wgpu::BindGroup,
    /// One pipeline per [`Entry`], in [`Entry::ALL`]'s order.
    pipelines: Vec<wgpu::ComputePipeline>,
    /// A step's dispatches, in order.
    dispatches: Vec<Dispatch>,
    stride: u64,
    pub layout: ArenaLayout,
    pub num_classes: usize,
    pub batch: usize,
    pub classifier: bool,
}

impl GpuTrainer {
    /// A run of `recipe` from `params` on the points (labels `labels`); with
    /// the recipe's classifier, it starts from [`ClassifierParams::init`].
    pub fn new(ctx: &crate::engine::gpu::GpuContext, params: &ScoreParams, points: &[[f32; 2]], labels: &[u32], recipe: &Recipe) -> Self {
        let (batch, seed, t_power, lr, weight_decay) = (recipe.batch, recipe.seed, recipe.t_power, recipe.lr, recipe.weight_decay);
        use wgpu::util::DeviceExt;
        let d = &ctx.device;
        let c = params.num_classes;
        let l = ArenaLayout::new(c, batch, points.len(), recipe.classifier);
        // The arena starts zeroed (WebGPU and wgpu zero new buffers); only
        // what is not zero is written: θ, then its average, the step counter,
        // the frequencies, the ones and the points (laid out in a row). At
        // batch 1 024 the whole arena is 6 MB, this 0.4 MB: uploading all
        // of it made the page's first training task 50 ms long.
        let clf_start = recipe.classifier.then(|| ClassifierParams::init(c, seed));
        let clf_tensors = clf_start.iter().flat_map(|p| p.tensors.iter());
        let theta: Vec<f32> = params.tensors.iter().chain(clf_tensors).flatten().copied().collect();
        let mut tail = theta.clone();
        debug_assert_eq!((l.ema + l.params, l.freqs, l.ones, l.points), (l.step, l.step + 1, l.freqs + crate::model::mlp::TIME_FREQS as u32, l.ones + batch as u32));
        tail.push(0.0);
        tail.extend((0..crate::model::mlp::TIME_FREQS).map(|j| (-(10000f32.ln()) * j as f32 / crate::model::mlp::TIME_FREQS as f32).exp()));
        tail.extend(std::iter::repeat_n(1.0, batch));
        tail.extend(points.iter().zip(labels).flat_map(|(p, lab)| [p[0], p[1], *lab as f32]));
        let buffer = d.create_buffer(&wgpu::BufferDescriptor {
            label: Some("train arena"),
            size: l.total as u64 * 4,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        ctx.queue.write_buffer(&buffer, l.theta as u64 * 4, bytemuck::cast_slice(&theta));
        ctx.queue.write_buffer(&buffer, l.ema as u64 * 4, bytemuck::cast_slice(&tail));
        let sde = VpSde::default();
        let tp = TrainParams {
            batch: batch as u32,
            points: points.len() as u32,
            num_classes: c as u32,
            seed,
            t_power: t_power as u32,
            points_off: l.points,
            freqs_off: l.freqs,
            u_off: l.u,
            target_off: l.target,
            label_off: l.label,
            emb_off: l.theta + l.tensor[8],
            step_off: l.step,
            out_off: l.out,
            dout_off: l.dout,
            loss_off: l.loss,
            du_off: l.du,
            demb_off: l.g + l.tensor[8],
            params: l.params,
            theta_off: l.theta,
            m_off: l.m,
            v_off: l.v,
            g_off: l.g,
            ema_off: l.ema,
            warmup: recipe.warmup as u32,
            total: recipe.steps as u32,
            t_min: T_MIN,
            beta_min: sde.beta_min as f32,
            beta_max: sde.beta_max as f32,
            dropout: LABEL_DROPOUT,
            lr: lr as f32,
            beta1: 0.9,
            beta2: 0.999,
            adam_eps: 1e-8,
            weight_decay: weight_decay as f32,
            target_kind: match recipe.target {
                Target::Eps => 0,
                Target::X0 => 1,
                Target::V => 2,
                Target::Flow => 3,
            },
            weight_off: l.weight,
            clf: u32::from(recipe.classifier),
            clf_u_off: l.clf_u,
            clf_label_off: l.clf_label,
            logits_off: l.logits,
            dlogits_off: l.dlogits,
            clf_loss_off: l.clf_loss,
            pad: [0; 2],
        };
        // The step's GEMMs.
        let (b, hid) = (batch as u32, HIDDEN as u32);
        let none = u32::MAX;
        let th = |k: usize| l.theta + l.tensor[k];
        let gr = |k: usize| l.g + l.tensor[k];
        let [z0, h0, z1, h1, z2, h2] = l.hidden;
        let [d0, d1, d2] = l.delta;
        let input = INPUT as u32;
        use GemmMode::{Plain, Silu, SiluGrad};
        let g = |m, n, k, mode: GemmMode, a: (u32, u32, u32), bm: (u32, u32, u32), c_off, c_rs, bias_off, h_off, z_off| GemmParams {
            m, n, k, mode: mode as u32, a_off: a.0, a_rs: a.1, a_cs: a.2, b_off: bm.0, b_rs: bm.1, b_cs: bm.2, c_off, c_rs, bias_off, h_off, z_off, pad: 0,
        };
        let score_forward = [
            // Forward: Z = U Wᵀ + b, H = SiLU(Z).
            g(b, hid, input, Silu, (l.u, input, 1), (th(0), 1, input), z0, hid, th(1), h0, 0),
            g(b, hid, hid, Silu, (h0, hid, 1), (th(2), 1, hid), z1, hid, th(3), h1, 0),
            g(b, hid, hid, Silu, (h1, hid, 1), (th(4), 1, hid), z2, hid, th(5), h2, 0),
            g(b, 2, hid, Plain, (h2, hid, 1), (th(6), 1, hid), l.out, 2, th(7), 0, 0),
        ];
        let score_backward = [
            // Backward through layer 3: dW3 = δoutᵀ H2, db3 = 1ᵀ δout, δ2 = δout W3 · SiLU'(Z2).
            g(2, hid, b, Plain, (l.dout, 1, 2), (h2, hid, 1), gr(6), hid, none, 0, 0),
            g(1, 2, b, Plain, (l.ones, 0, 1), (l.dout, 2, 1), gr(7), 2, none, 0, 0),
            g(b, hid, 2, SiluGrad, (l.dout, 2, 1), (th(6), hid, 1), d2, hid, none, 0, z2),
            // Layer 2.
            g(hid, hid, b, Plain, (d2, 1, hid), (h1, hid, 1), gr(4), hid, none, 0, 0),
            g(1, hid, b, Plain, (l.ones, 0, 1), (d2, hid, 1), gr(5), hid, none, 0, 0),
            g(b, hid, hid, SiluGrad, (d2, hid, 1), (th(4), hid, 1), d1, hid, none, 0, z1),
            // Layer 1.
            g(hid, hid, b, Plain, (d1, 1, hid), (h0, hid, 1), gr(2), hid, none, 0, 0),
            g(1, hid, b, Plain, (l.ones, 0, 1), (d1, hid, 1), gr(3), hid, none, 0, 0),
            g(b, hid, hid, SiluGrad, (d1, hid, 1), (th(2), hid, 1), d0, hid, none, 0, z0),
            // Layer 0, and ∂L/∂u for the class table.
            g(hid, input, b, Plain, (d0, 1, hid), (l.u, input, 1), gr(0), input, none, 0, 0),
            g(1, hid, b, Plain, (l.ones, 0, 1), (d0, hid, 1), gr(1), hid, none, 0, 0),
            g(b, input, hid, Plain, (d0, hid, 1), (th(0), input, 1), l.du, input, none, 0, 0),
        ];
        // The classifier's GEMMs (when it trains): the same products for its
        // three layers, 34 → 64 → 64 → C, with the cross-entropy between.
        let (ch, ci, nc) = (CLF_HIDDEN as u32, CLF_INPUT as u32, c as u32);
        let cth = |k: usize| l.theta + l.clf_tensor[k];
        let cgr = |k: usize| l.g + l.clf_tensor[k];
        let [cz0, ch0, cz1, ch1] = l.clf_hidden;
        let [cd0, cd1] = l.clf_delta;
        let clf_forward = [
            g(b, ch, ci, Silu, (l.clf_u, ci, 1), (cth(0), 1, ci), cz0, ch, cth(1), ch0, 0),
            g(b, ch, ch, Silu, (ch0, ch, 1), (cth(2), 1, ch), cz1, ch, cth(3), ch1, 0),
            g(b, nc, ch, Plain, (ch1, ch, 1), (cth(4), 1, ch), l.logits, nc, cth(5), 0, 0),
        ];
        let clf_backward = [
            g(nc, ch, b, Plain, (l.dlogits, 1, nc), (ch1, ch, 1), cgr(4), ch, none, 0, 0),
            g(1, nc, b, Plain, (l.ones, 0, 1), (l.dlogits, nc, 1), cgr(5), nc, none, 0, 0),
            g(b, ch, nc, SiluGrad, (l.dlogits, nc, 1), (cth(4), ch, 1), cd1, ch, none, 0, cz1),
            g(ch, ch, b, Plain, (cd1, 1, ch), (ch0, ch, 1), cgr(2), ch, none, 0, 0),
            g(1, ch, b, Plain, (l.ones, 0, 1), (cd1, ch, 1), cgr(3), ch, none, 0, 0),
            g(b, ch, ch, SiluGrad, (cd1, ch, 1), (cth(2), ch, 1), cd0, ch, none, 0, cz0),
            g(ch, ci, b, Plain, (cd0, 1, ch), (l.clf_u, ci, 1), cgr(0), ci, none, 0, 0),
            g(1, ch, b, Plain, (l.ones, 0, 1), (cd0, ch, 1), cgr(1), ch, none, 0, 0),
        ];
        // A step: the batch, each network's forward pass, its loss and
        // ∂L/∂(output), its backward pass; then the class table's gradient,
        // AdamW over both networks, and the step counter.
        let per = |n: u32| crate::engine::gpu::grid(n.div_ceil(64));
        let mut gemms: Vec<GemmParams> = Vec::new();
        let mut dispatches = vec![Dispatch { entry: Entry::DrawBatch, gemm: 0, groups: (b.div_ceil(64), 1) }];
        let mut products = |list: &[GemmParams], dispatches: &mut Vec<Dispatch>| {
            for p in list {
                dispatches.push(Dispatch { entry: Entry::Gemm, gemm: gemms.len() as u32, groups: (p.n.div_ceil(64), p.m.div_ceil(64)) });
                gemms.push(*p);
            }
        };
        products(&score_forward, &mut dispatches);
        dispatches.push(Dispatch { entry: Entry::LossGrad, gemm: 0, groups: (b.div_ceil(64), 1) });
        products(&score_backward, &mut dispatches);
        if recipe.classifier {
            products(&clf_forward, &mut dispatches);
            dispatches.push(Dispatch { entry: Entry::ClfLossGrad, gemm: 0, groups: (b.div_ceil(64), 1) });
            products(&clf_backward, &mut dispatches);
        }
        dispatches.push(Dispatch { entry: Entry::ClassGrad, gemm: 0, groups: (((c as u32 + 1) * CLASS_DIM as u32).div_ceil(64), 1) });
        dispatches.push(Dispatch { entry: Entry::Adamw, gemm: 0, groups: per(l.params) });
        dispatches.push(Dispatch { entry: Entry::Advance, gemm: 0, groups: (1, 1) });
        let stride = (std::mem::size_of::<GemmParams>() as u64).next_multiple_of(d.limits().min_uniform_buffer_offset_alignment as u64);
        let mut table = vec![0u8; stride as usize * gemms.len()];
        for (k, p) in gemms.iter().enumerate() {
            table[k * stride as usize..k * stride as usize + std::mem::size_of::<GemmParams>()].copy_from_slice(bytemuck::bytes_of(p));
        }
        let gemm_uniforms = d.create_buffer_init(&wgpu::util::BufferInitDescriptor { label: Some("train gemms"), contents: &table, usage: wgpu::BufferUsages::UNIFORM });
        let train_uniform = d.create_buffer_init(&wgpu::util::BufferInitDescriptor { label: Some("train params"), contents: bytemuck::bytes_of(&tp), usage: wgpu::BufferUsages::UNIFORM });
        let entry = |binding, ty| wgpu::BindGroupLayoutEntry { binding, visibility: wgpu::ShaderStages::COMPUTE, ty, count: None };
        let uniform = |dynamic| wgpu::BindingType::Buffer { ty: wgpu::BufferBindingType::Uniform, has_dynamic_offset: dynamic, min_binding_size: None };
        let bgl = d.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("train layout"),
            entries: &[
                entry(0, uniform(true)),
                entry(1, uniform(false)),
                entry(2, wgpu::BindingType::Buffer { ty: wgpu::BufferBindingType::Storage { read_only: false }, has_dynamic_offset: false, min_binding_size: None }),
            ],
        });
        let bind_group = d.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("train bind group"),
            layout: &bgl,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding { buffer: &gemm_uniforms, offset: 0, size: wgpu::BufferSize::new(std::mem::size_of::<GemmParams>() as u64) }),
                },
                wgpu::BindGroupEntry { binding: 1, resource: train_uniform.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 2, resource: buffer.as_entire_binding() },
            ],
        });
        let pipeline_layout = d.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor { label: Some("train pipeline layout"), bind_group_layouts: &[Some(&bgl)], immediate_size: 0 });
        let module = d.create_shader_module(wgpu::ShaderModuleDescriptor { label: Some("train"), source: wgpu::ShaderSource::Wgsl(TRAIN_WGSL.into()) });
        let pipelines = Entry::ALL
            .iter()
            .map(|e| d.create_compute_pipeline(&wgpu::ComputePipelineDescriptor { label: Some(e.name()), layout: Some(&pipeline_layout), module: &module, entry_point: Some(e.name()), compilation_options: Default::default(), cache: None }))
            .collect();
        Self { arena: buffer, gemm_uniforms, bind_group, pipelines, dispatches, stride, layout: l, num_classes: c, batch, classifier: recipe.classifier }
    }

    /// Encodes `count` whole training steps.
    pub fn encode_steps(&self, enc: &mut wgpu::CommandEncoder, count: usize) {
        let _ = &self.gemm_uniforms;
        let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("train steps"), timestamp_writes: None });
        for _ in 0..count {
            for d in &self.dispatches {
                pass.set_pipeline(&self.pipelines[d.entry as usize]);
                pass.set_bind_group(0, &self.bind_group, &[(d.gemm as u64 * self.stride) as u32]);
                pass.dispatch_workgroups(d.groups.0, d.groups.1, 1);
            }
        }
    }

    /// `count` steps, then the whole arena read back.
    pub fn run(&self, ctx: &crate::engine::gpu::GpuContext, count: usize) -> impl std::future::Future<Output = Result<Vec<f32>, crate::engine::gpu::GpuError>> + 'static {
        let d = &ctx.device;
        let mut enc = d.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("train") });
        self.encode_steps(&mut enc, count);
        let bytes = self.layout.total as u64 * 4;
        let staging = d.create_buffer(&wgpu::BufferDescriptor { label: Some("train readback"), size: bytes, usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST, mapped_at_creation: false });
        enc.copy_buffer_to_buffer(&self.arena, 0, &staging, 0, bytes);
        ctx.queue.submit(Some(enc.finish()));
        let read = crate::engine::gpu::map_and_read(ctx, staging);
        async move { Ok(bytemuck::pod_collect_to_vec(&read.await?)) }
    }

    /// `count` steps, then only what a run watches read back: the moving
    /// average of the weights (the model it keeps) and the last step's loss
    /// (the classifier's too, when it trains) — about 1/30 of the arena at
    /// batch 1 024 (its activations and Adam's moments stay on the GPU).
    pub fn run_and_watch(&self, ctx: &crate::engine::gpu::GpuContext, count: usize) -> impl std::future::Future<Output = Result<Watched, crate::engine::gpu::GpuError>> + 'static {
        let d = &ctx.device;
        let mut enc = d.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("train") });
        self.encode_steps(&mut enc, count);
        let l = &self.layout;
        let (ema_words, loss_words) = (l.params as u64, self.batch as u64);
        let clf_words = if self.classifier { loss_words } else { 0 };
        let staging = d.create_buffer(&wgpu::BufferDescriptor { label: Some("train watch"), size: 4 * (ema_words + loss_words + clf_words), usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST, mapped_at_creation: false });
        enc.copy_buffer_to_buffer(&self.arena, 4 * l.ema as u64, &staging, 0, 4 * ema_words);
        enc.copy_buffer_to_buffer(&self.arena, 4 * l.loss as u64, &staging, 4 * ema_words, 4 * loss_words);
        if self.classifier {
            enc.copy_buffer_to_buffer(&self.arena, 4 * l.clf_loss as u64, &staging, 4 * (ema_words + loss_words), 4 * clf_words);
        }
        ctx.queue.submit(Some(enc.finish()));
        let read = crate::engine::gpu::map_and_read(ctx, staging);
        let (layout, num_classes, classifier, batch) = (l.clone(), self.num_classes, self.classifier, self.batch);
        async move {
            let words: Vec<f32> = bytemuck::pod_collect_to_vec(&read.await?);
            let params = layout.params as usize;
            let ema = read_score(&layout, num_classes, &words, 0);
            let clf_ema = classifier.then(|| read_classifier(&layout, num_classes, &words, 0));
            let mean = |terms: &[f32], per: usize| (terms.iter().map(|&v| v as f64).sum::<f64>() / (per * terms.len()) as f64) as f32;
            let loss = mean(&words[params..params + batch], 2);
            let clf_loss = classifier.then(|| mean(&words[params + batch..], 1));
            Ok(Watched { ema, loss, clf_ema, clf_loss })
        }
    }

    /// The parameters (or, with `at = layout.g`, the last step's gradients) in an arena read back.
    pub fn tensors(&self, arena: &[f32], at: u32) -> ScoreParams {
        read_score(&self.layout, self.num_classes, arena, at as usize)
    }

    /// The classifier's parameters (or gradients) likewise, when it trains.
    pub fn classifier(&self, arena: &[f32], at: u32) -> Option<ClassifierParams> {
        self.classifier.then(|| read_classifier(&self.layout, self.num_classes, arena, at as usize))
    }

    /// The last step's loss (the mean of its terms) in an arena read back.
    pub fn loss(&self, arena: &[f32]) -> f32 {
        let o = self.layout.loss as usize;
        (arena[o..o + self.batch].iter().map(|&v| v as f64).sum::<f64>() / (2 * self.batch) as f64) as f32
    }

    /// The last step's classifier loss (the mean cross-entropy), when it trains.
    pub fn clf_loss(&self, arena: &[f32]) -> Option<f32> {
        let o = self.layout.clf_loss as usize;
        self.classifier.then(|| (arena[o..o + self.batch].iter().map(|&v| v as f64).sum::<f64>() / self.batch as f64) as f32)
    }
}

/// The score network's tensors from a block of `words` laid out as θ (starting at `at`).
fn read_score(l: &ArenaLayout, num_classes: usize, words: &[f32], at: usize) -> ScoreParams {
    let mut p = ScoreParams::zeros(num_classes);
    for (k, t) in p.tensors.iter_mut().enumerate() {
        let o = at + l.tensor[k] as usize;
        let n = t.len();
        t.copy_from_slice(&words[o..o + n]);
    }
    p
}

/// The classifier's tensors likewise.
fn read_classifier(l: &ArenaLayout, num_classes: usize, words: &[f32], at: usize) -> ClassifierParams {
    let mut p = ClassifierParams::zeros(num_classes);
    for (k, t) in p.tensors.iter_mut().enumerate() {
        let o = at + l.clf_tensor[k] as usize;
        let n = t.len();
        t.copy_from_slice(&words[o..o + n]);
    }
    p
}
