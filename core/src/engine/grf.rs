//! The GRF lab's Langevin steps on many fields at once, on both backends
//! (science::grf has the maths): the CPU twin [`GrfRun::run_steps`] and the
//! WGSL kernels of `shaders/grf.wgsl` ([`GrfGpu`]) run the same f32 FFTs,
//! filter and update on the same noise, so they agree to float rounding.

use wgpu::util::DeviceExt;

use crate::engine::gpu::{grid, map_and_read, GpuContext, GpuError};
use crate::science::grf::{power_table, Fft, Schedule};
use crate::science::rng::gaussian2;

/// The kernels, after the RNG they draw from.
pub const GRF_WGSL: &str = concat!(include_str!(concat!(env!("OUT_DIR"), "/shaders/rng.wgsl")), "\n", include_str!(concat!(env!("OUT_DIR"), "/shaders/grf.wgsl")));

/// Threads of a line's workgroup (WGSL `THREADS`).
pub const GRF_THREADS: u32 = 64;

/// The RNG stream of the starting fields (never a step's).
const INIT_STEP: u32 = 0xFFFF_FFF2;

/// One run: `fields` fields of `n × n` under a schedule of Langevin steps.
#[derive(Clone, Debug)]
pub struct GrfRun {
    pub n: usize,
    pub fields: usize,
    pub alpha: f64,
    pub seed: u32,
    pub schedule: Schedule,
    /// Steps done.
    pub step: usize,
    /// The fields, row-major, one after another.
    pub x: Vec<f32>,
    pub fft: Fft,
    power: Vec<f32>,
}

/// One step's uniform (shaders/grf.wgsl, `GrfParams`).
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
pub struct GrfParams {
    pub n: u32,
    pub fields: u32,
    pub seed: u32,
    pub step: u32,
    pub sigma2: f32,
    pub eps: f32,
    pub noise: f32,
    pub pad: u32,
}

impl GrfRun {
    /// Fields of white noise with the schedule's starting variance.
    pub fn new(n: usize, fields: usize, alpha: f64, seed: u32, schedule: Schedule) -> Self {
        let half = n / 2;
        let scale = schedule.v0.sqrt() as f32;
        let mut x = vec![0.0f32; fields * n * n];
        for (line, row) in x.chunks_exact_mut(n).enumerate() {
            for j in 0..half {
                let z = gaussian2(seed, (line * half + j) as u32, INIT_STEP, 0);
                row[j] = scale * z[0];
                row[j + half] = scale * z[1];
            }
        }
        Self { n, fields, alpha, seed, schedule, step: 0, x, fft: Fft::new(n), power: power_table(n, alpha) }
    }

    pub fn done(&self) -> bool {
        self.step >= self.schedule.steps.len()
    }

    /// Step `s`'s uniform.
    pub fn params(&self, s: usize) -> GrfParams {
        let level = self.schedule.steps[s];
        let eps = level.eps as f32;
        GrfParams { n: self.n as u32, fields: self.fields as u32, seed: self.seed, step: s as u32, sigma2: level.sigma2 as f32, eps, noise: (2.0 * eps).sqrt(), pad: 0 }
    }

    /// Up to `count` steps on the CPU (fewer at the end of the schedule); returns how many ran.
    pub fn run_steps(&mut self, count: usize) -> usize {
        let (n, half) = (self.n, self.n / 2);
        let end = (self.step + count).min(self.schedule.steps.len());
        let mut spec = vec![[0.0f32; 2]; self.x.len()];
        let mut scratch = vec![[0.0f32; 2]; n];
        let mut col = vec![[0.0f32; 2]; n];
        let nn = (n * n) as f32;
        for s in self.step..end {
            let p = self.params(s);
            for (row, out) in self.x.chunks_exact(n).zip(spec.chunks_exact_mut(n)) {
                for (o, v) in out.iter_mut().zip(row) {
                    *o = [*v, 0.0];
                }
                self.fft.line(out, &mut scratch, false);
            }
            for f in 0..self.fields {
                let base = f * n * n;
                for c in 0..n {
                    for r in 0..n {
                        col[r] = spec[base + r * n + c];
                    }
                    self.fft.line(&mut col, &mut scratch, false);
                    for (r, v) in col.iter_mut().enumerate() {
                        let h = -1.0 / ((self.power[r * n + c] + p.sigma2) * nn);
                        *v = [v[0] * h, v[1] * h];
                    }
                    self.fft.line(&mut col, &mut scratch, true);
                    for r in 0..n {
                        spec[base + r * n + c] = col[r];
                    }
                }
            }
            for (line, (row, sc)) in self.x.chunks_exact_mut(n).zip(spec.chunks_exact_mut(n)).enumerate() {
                self.fft.line(sc, &mut scratch, true);
                for j in 0..half {
                    let z = gaussian2(p.seed, (line * half + j) as u32, p.step, 0);
                    row[j] = row[j] + p.eps * sc[j][0] + p.noise * z[0];
                    row[j + half] = row[j + half] + p.eps * sc[j + half][0] + p.noise * z[1];
                }
            }
        }
        let ran = end - self.step;
        self.step = end;
        ran
    }
}

/// The run's buffers and pipelines on a GPU: the fields stay there between
/// batches of steps; each batch ends with a copy of them to read back.
pub struct GrfGpu {
    field: wgpu::Buffer,
    spec: wgpu::Buffer,
    power: wgpu::Buffer,
    twiddle: wgpu::Buffer,
    layout: wgpu::BindGroupLayout,
    pipelines: [wgpu::ComputePipeline; 3],
    bytes: u64,
}

/// The entry points, in a step's order.
const ENTRIES: [&str; 3] = ["rows_forward", "columns_filter", "rows_update"];

impl GrfGpu {
    /// Uploads the run's current fields, `P` and the twiddles.
    pub fn new(ctx: &GpuContext, run: &GrfRun) -> Self {
        let d = &ctx.device;
        let storage = |label, contents: &[u8], extra| {
            d.create_buffer_init(&wgpu::util::BufferInitDescriptor { label: Some(label), contents, usage: wgpu::BufferUsages::STORAGE | extra })
        };
        let field = storage("grf fields", bytemuck::cast_slice(&run.x), wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST);
        let spec = storage("grf spectra", &vec![0u8; run.x.len() * 8], wgpu::BufferUsages::empty());
        let power = storage("grf power", bytemuck::cast_slice(&run.power), wgpu::BufferUsages::empty());
        let twiddle = storage("grf twiddles", bytemuck::cast_slice(&run.fft.twiddles), wgpu::BufferUsages::empty());
        let entry = |binding, ty| wgpu::BindGroupLayoutEntry { binding, visibility: wgpu::ShaderStages::COMPUTE, ty, count: None };
        let buffer = |ty, dynamic| wgpu::BindingType::Buffer { ty, has_dynamic_offset: dynamic, min_binding_size: None };
        let layout = d.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("grf layout"),
            entries: &[
                entry(0, buffer(wgpu::BufferBindingType::Uniform, true)),
                entry(1, buffer(wgpu::BufferBindingType::Storage { read_only: false }, false)),
                entry(2, buffer(wgpu::BufferBindingType::Storage { read_only: false }, false)),
                entry(3, buffer(wgpu::BufferBindingType::Storage { read_only: true }, false)),
                entry(4, buffer(wgpu::BufferBindingType::Storage { read_only: true }, false)),
            ],
        });
        let pipeline_layout = d.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor { label: Some("grf pipeline layout"), bind_group_layouts: &[Some(&layout)], immediate_size: 0 });
        let module = d.create_shader_module(wgpu::ShaderModuleDescriptor { label: Some("grf"), source: wgpu::ShaderSource::Wgsl(GRF_WGSL.into()) });
        let pipelines = ENTRIES.map(|e| {
            d.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(e),
                layout: Some(&pipeline_layout),
                module: &module,
                entry_point: Some(e),
                compilation_options: Default::default(),
                cache: None,
            })
        });
        Self { field, spec, power, twiddle, layout, pipelines, bytes: (run.x.len() * 4) as u64 }
    }

    /// Encodes steps `[begin, end)` of `run`'s schedule (not yet submitted).
    pub fn encode_steps(&self, ctx: &GpuContext, run: &GrfRun, begin: usize, end: usize, enc: &mut wgpu::CommandEncoder) {
        if begin >= end {
            return;
        }
        let d = &ctx.device;
        let stride = (std::mem::size_of::<GrfParams>() as u64).next_multiple_of(d.limits().min_uniform_buffer_offset_alignment as u64);
        let mut table = vec![0u8; stride as usize * (end - begin)];
        for (k, s) in (begin..end).enumerate() {
            let at = k * stride as usize;
            table[at..at + std::mem::size_of::<GrfParams>()].copy_from_slice(bytemuck::bytes_of(&run.params(s)));
        }
        let params = d.create_buffer_init(&wgpu::util::BufferInitDescriptor { label: Some("grf params"), contents: &table, usage: wgpu::BufferUsages::UNIFORM });
        let bind_group = d.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("grf bind group"),
            layout: &self.layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding { buffer: &params, offset: 0, size: wgpu::BufferSize::new(std::mem::size_of::<GrfParams>() as u64) }),
                },
                wgpu::BindGroupEntry { binding: 1, resource: self.field.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 2, resource: self.spec.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 3, resource: self.power.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 4, resource: self.twiddle.as_entire_binding() },
            ],
        });
        let (gx, gy) = grid((run.fields * run.n) as u32);
        let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("grf steps"), timestamp_writes: None });
        for k in 0..(end - begin) {
            for pipeline in &self.pipelines {
                pass.set_pipeline(pipeline);
                pass.set_bind_group(0, &bind_group, &[(k as u64 * stride) as u32]);
                pass.dispatch_workgroups(gx, gy, 1);
            }
        }
    }

    /// Up to `count` steps of `run` on the GPU; resolves to the fields after
    /// them (the caller keeps them in `run.x` and advances `run.step`).
    pub fn run_steps(&self, ctx: &GpuContext, run: &GrfRun, count: usize) -> (usize, impl std::future::Future<Output = Result<Vec<f32>, GpuError>> + 'static) {
        let end = (run.step + count).min(run.schedule.steps.len());
        let d = &ctx.device;
        let mut enc = d.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("grf") });
        self.encode_steps(ctx, run, run.step, end, &mut enc);
        let staging = d.create_buffer(&wgpu::BufferDescriptor { label: Some("grf readback"), size: self.bytes, usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST, mapped_at_creation: false });
        enc.copy_buffer_to_buffer(&self.field, 0, &staging, 0, self.bytes);
        ctx.queue.submit(Some(enc.finish()));
        let read = map_and_read(ctx, staging);
        (end - run.step, async move { Ok(bytemuck::pod_collect_to_vec(&read.await?)) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::gpu::layout::assert_wgsl_layout;
    use crate::science::grf::{Sampler, Shells, Spectrum};

    #[test]
    fn params_match_the_wgsl_layout() {
        assert_wgsl_layout!(GRF_WGSL, "GrfParams" => GrfParams { n, fields, seed, step, sigma2, eps, noise, pad });
    }

    /// The Langevin step's score is `−IDFT(DFT(x)/(P + σ²))`: one step with
    /// ε = 1 is `x + s + √2 z`, checked against the score by direct sums over
    /// an 8 × 8 field (f64) and the step's own noise, to 1e-5.
    #[test]
    fn a_step_applies_the_fourier_score() {
        use std::f64::consts::TAU;
        let (n, alpha) = (8usize, 2.0);
        let mut schedule = Schedule::new(Sampler::Langevin { fraction: 0.1 }, 1, n, alpha);
        schedule.steps[0] = crate::science::grf::Level { sigma2: 0.3, eps: 1.0 };
        let mut run = GrfRun::new(n, 1, alpha, 4, schedule);
        let x0: Vec<f64> = run.x.iter().map(|&v| v as f64).collect();
        run.run_steps(1);
        let half = n / 2;
        let p = crate::science::grf::power_table(n, alpha);
        for py in 0..n {
            for px in 0..n {
                let mut s = 0.0;
                for ky in 0..n {
                    for kx in 0..n {
                        let (mut re, mut im) = (0.0, 0.0);
                        for qy in 0..n {
                            for qx in 0..n {
                                let a = -TAU * ((kx * qx + ky * qy) % n) as f64 / n as f64;
                                re += x0[qy * n + qx] * a.cos();
                                im += x0[qy * n + qx] * a.sin();
                            }
                        }
                        let h = -1.0 / (p[ky * n + kx] as f64 + 0.3);
                        let b = TAU * ((kx * px + ky * py) % n) as f64 / n as f64;
                        s += h * (re * b.cos() - im * b.sin()) / (n * n) as f64;
                    }
                }
                let line = py;
                let j = px % half;
                let z = gaussian2(4, (line * half + j) as u32, 0, 0)[usize::from(px >= half)] as f64;
                let want = x0[py * n + px] + s + 2f64.sqrt() * z;
                assert!((run.x[py * n + px] as f64 - want).abs() < 1e-5, "({px}, {py}): {} against {want}", run.x[py * n + px]);
            }
        }
    }

    /// The sampled spectrum against the closed form of the run (science::grf:
    /// `E|X_k|²/n²` after the schedule): 16 fields of 64², annealed, the lab's
    /// default recipe. Each shell's mean is a mean of `count` exponentials of
    /// known mean v, so `z = (mean − v)/se` is close to N(0, 1) and `Σz²` over
    /// the 31 shells to χ²₃₁ (mean 31, sd 7.9): the bar is 31 + 4 sd = 63 and
    /// max |z| < 4.5 (measured: see the printout). Negative control: the
    /// same measurement against the spectrum of a √ε-noise bug (half the
    /// noise variance) fails by far.
    #[test]
    fn sampled_fields_have_the_expected_spectrum() {
        let (n, alpha) = (64, 2.5);
        let steps = 1000;
        let schedule = Schedule::new(Sampler::Annealed { levels: 20, fraction: 0.05 }, steps, n, alpha);
        let mut run = GrfRun::new(n, 16, alpha, 9, schedule.clone());
        run.run_steps(steps);
        let shells = Shells::new(n);
        let spectrum = Spectrum::measure(&run.x, &shells, &run.fft, alpha, &schedule, steps);
        let (chi2, zmax) = spectrum.chi_square(&spectrum.expected_power);
        eprintln!("χ² = {chi2:.1} over {} shells, max |z| = {zmax:.2}", spectrum.k.len());
        assert!(chi2 < 63.0 && zmax < 4.5, "χ² {chi2}, max |z| {zmax}");
        // And that expectation is P(k) to within the step's known bias (10 %).
        for (e, t) in spectrum.expected_power.iter().zip(&spectrum.target_power) {
            assert!((e / t - 1.0).abs() < 0.1);
        }
        // The √ε bug's stationary power is about half: compare against that spectrum.
        let wrong: Vec<f64> = spectrum.expected_power.iter().map(|v| 0.5 * v).collect();
        let (bad, _) = spectrum.chi_square(&wrong);
        eprintln!("against the √ε-noise bug's spectrum: χ² = {bad:.0}");
        assert!(bad > 1000.0, "{bad}");
    }
}
