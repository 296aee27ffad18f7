//! The native GPU benchmark: the same WGSL sampling kernels the page runs
//! (`engine::gpu`), through wgpu on whatever Vulkan device is present, timed
//! with GPU timestamp queries around the sampling dispatches.
//!
//! ```text
//! cargo run --release -p gpu-bench -- [--sizes 4096,65536,…] [--steps 100] [--runs 3]
//!     [--dataset moons] [--kernel cooperative|per_thread|both] [--peak-gflops X]
//!     [--out FILE.md] [--write-benchmarks]
//! cargo run --release -p gpu-bench -- wgsl DIR     # the composed kernels, for tools/shader-stats.sh
//! ```
//!
//! Per configuration (DDIM and Heun, each without guidance and with
//! classifier-free guidance, on the learned MLP) and particle count: GPU
//! seconds for the whole run (median of `--runs`), particle-steps/s, network
//! evaluations/s, achieved GFLOP/s and the fraction of the device's FP32
//! peak. FLOPs count 2 per multiply-add of the MLP's matrix products
//! (66 560 an evaluation: 2·(2·128 + 2·128·128 + 128·2)); SiLU, the update
//! and the noise are not counted, so the figure understates the work done.
//! The peak is measured on the same device by an FMA loop (`src/peak.wgsl`:
//! 8 independent vec4 FMA chains a thread, enough threads to fill any GPU),
//! the attainable rate rather than a spec sheet's; `--peak-gflops` replaces
//! it with a stated figure.
//!
//! `cargo test -p gpu-bench` runs a smoke pass on the machine's Vulkan
//! (lavapipe in CI): the whole path, at 4 096 particles and a few steps, with
//! no timing asserted.

use std::time::Instant;

use diffusion_playground::engine::gpu::{GpuContext, GpuSampler, Kernel};
use diffusion_playground::model::weights::ModelFile;
use diffusion_playground::model::{Conditioning, ScoreModel};
use diffusion_playground::science::datasets::Dataset;
use diffusion_playground::science::guidance::Guidance;
use diffusion_playground::science::plan::{SamplerKind, Spacing, StepPlan};
use diffusion_playground::science::schedule::ScheduleKind;

/// FLOPs of one MLP evaluation counted by the bench (see the module docs).
const MLP_FLOPS: f64 = 2.0 * (2.0 * 128.0 + 2.0 * 128.0 * 128.0 + 128.0 * 2.0);

struct Args {
    sizes: Vec<usize>,
    steps: usize,
    runs: usize,
    dataset: Dataset,
    peak_gflops: Option<f64>,
    /// The peak kernel's loop length and workgroups (smaller in the smoke pass).
    peak_iter: u32,
    peak_groups: u32,
    out: Option<String>,
    write_benchmarks: bool,
    kernels: Vec<Kernel>,
}

impl Default for Args {
    fn default() -> Self {
        Self {
            sizes: vec![4_096, 16_384, 65_536, 262_144, 1_048_576, 4_194_304],
            steps: 100,
            runs: 3,
            dataset: Dataset::Moons,
            peak_gflops: None,
            peak_iter: 4096,
            peak_groups: 8192,
            out: None,
            write_benchmarks: false,
            kernels: vec![Kernel::MlpCooperative, Kernel::MlpPerThread],
        }
    }
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut a = Args::default();
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--sizes" => {
                a.sizes = value()?.split(',').map(|s| s.trim().parse().map_err(|_| format!("bad size {s}"))).collect::<Result<_, _>>()?
            }
            "--steps" => a.steps = value()?.parse().map_err(|_| "bad --steps")?,
            "--runs" => a.runs = value()?.parse().map_err(|_| "bad --runs")?,
            "--dataset" => {
                let id = value()?;
                a.dataset = Dataset::from_id(&id).ok_or_else(|| format!("unknown dataset {id}"))?
            }
            "--peak-gflops" => a.peak_gflops = Some(value()?.parse().map_err(|_| "bad --peak-gflops")?),
            "--out" => a.out = Some(value()?),
            "--write-benchmarks" => a.write_benchmarks = true,
            "--kernel" => {
                a.kernels = match value()?.as_str() {
                    "cooperative" => vec![Kernel::MlpCooperative],
                    "per_thread" => vec![Kernel::MlpPerThread],
                    "both" => vec![Kernel::MlpCooperative, Kernel::MlpPerThread],
                    other => return Err(format!("--kernel: cooperative, per_thread or both, not {other}")),
                }
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if a.runs == 0 || a.steps == 0 || a.sizes.is_empty() {
        return Err("--runs, --steps and --sizes must be positive".into());
    }
    Ok(a)
}

/// One benchmarked configuration.
struct Config {
    name: &'static str,
    sampler: SamplerKind,
    cond: Conditioning,
}

fn configs() -> Vec<Config> {
    let cfg = Conditioning { class: Some(0), guidance: Guidance::ClassifierFree { w: 3.0 } };
    vec![
        Config { name: "DDIM", sampler: SamplerKind::Ddim { eta: 0.0 }, cond: Conditioning::class(None) },
        Config { name: "DDIM + CFG", sampler: SamplerKind::Ddim { eta: 0.0 }, cond: cfg },
        Config { name: "Heun", sampler: SamplerKind::Heun, cond: Conditioning::class(None) },
        Config { name: "Heun + CFG", sampler: SamplerKind::Heun, cond: cfg },
    ]
}

/// A timestamp query set of 2 and the buffers that read it back.
struct Timer {
    queries: wgpu::QuerySet,
    resolve: wgpu::Buffer,
    staging: wgpu::Buffer,
    /// Nanoseconds per timestamp tick.
    period: f64,
}

impl Timer {
    fn new(ctx: &GpuContext) -> Option<Self> {
        if !ctx.device.features().contains(wgpu::Features::TIMESTAMP_QUERY) {
            return None;
        }
        let d = &ctx.device;
        Some(Self {
            queries: d.create_query_set(&wgpu::QuerySetDescriptor { label: Some("bench timestamps"), ty: wgpu::QueryType::Timestamp, count: 2 }),
            resolve: d.create_buffer(&wgpu::BufferDescriptor {
                label: Some("timestamp resolve"),
                size: 16,
                usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
                mapped_at_creation: false,
            }),
            staging: d.create_buffer(&wgpu::BufferDescriptor {
                label: Some("timestamp staging"),
                size: 16,
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            }),
            period: ctx.queue.get_timestamp_period() as f64,
        })
    }

    /// Seconds between the two timestamps written so far.
    fn read(&self, ctx: &GpuContext) -> f64 {
        let mut enc = ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("resolve") });
        enc.resolve_query_set(&self.queries, 0..2, &self.resolve, 0);
        enc.copy_buffer_to_buffer(&self.resolve, 0, &self.staging, 0, 16);
        ctx.queue.submit(Some(enc.finish()));
        self.staging.slice(..).map_async(wgpu::MapMode::Read, |r| r.expect("mapping the timestamps"));
        ctx.device.poll(wgpu::PollType::wait_indefinitely()).expect("poll");
        let ticks: [u64; 2] = {
            let view = self.staging.slice(..).get_mapped_range().expect("mapped timestamps");
            bytemuck::pod_read_unaligned(&view[..16])
        };
        self.staging.unmap();
        ticks[1].wrapping_sub(ticks[0]) as f64 * self.period * 1e-9
    }
}

fn wait(ctx: &GpuContext) {
    ctx.device.poll(wgpu::PollType::wait_indefinitely()).expect("poll");
}

/// The device's attainable FP32 rate in GFLOP/s (src/peak.wgsl), best of 3.
fn measure_peak(ctx: &GpuContext, timer: Option<&Timer>, iter: u32, groups: u32) -> f64 {
    let d = &ctx.device;
    let module = d.create_shader_module(wgpu::ShaderModuleDescriptor { label: Some("peak"), source: wgpu::ShaderSource::Wgsl(include_str!("peak.wgsl").into()) });
    let constants = [("ITER", iter as f64)];
    let pipeline = d.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some("peak"),
        layout: None,
        module: &module,
        entry_point: Some("peak"),
        compilation_options: wgpu::PipelineCompilationOptions { constants: &constants, ..Default::default() },
        cache: None,
    });
    let (gx, gy) = diffusion_playground::engine::gpu::grid(groups);
    let threads = gx as u64 * gy as u64 * 256;
    let sink = d.create_buffer(&wgpu::BufferDescriptor { label: Some("peak sink"), size: threads * 16, usage: wgpu::BufferUsages::STORAGE, mapped_at_creation: false });
    let bind = d.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some("peak"),
        layout: &pipeline.get_bind_group_layout(0),
        entries: &[wgpu::BindGroupEntry { binding: 0, resource: sink.as_entire_binding() }],
    });
    let mut best = f64::INFINITY;
    for _ in 0..4 {
        let t0 = Instant::now();
        let mut enc = d.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("peak") });
        {
            let timestamp_writes = timer.map(|t| wgpu::ComputePassTimestampWrites {
                query_set: &t.queries,
                beginning_of_pass_write_index: Some(0),
                end_of_pass_write_index: Some(1),
            });
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("peak"), timestamp_writes });
            pass.set_pipeline(&pipeline);
            pass.set_bind_group(0, &bind, &[]);
            pass.dispatch_workgroups(gx, gy, 1);
        }
        ctx.queue.submit(Some(enc.finish()));
        wait(ctx);
        let wall = t0.elapsed().as_secs_f64();
        let seconds = timer.map_or(wall, |t| t.read(ctx));
        best = best.min(seconds);
    }
    // The first pass warms up; the best of the rest is the rate.
    threads as f64 * iter as f64 * 64.0 / best / 1e9
}

struct Row {
    kernel: Kernel,
    config: &'static str,
    n: usize,
    steps: usize,
    /// Network evaluations per particle for the run.
    nfe: u32,
    seconds: Vec<f64>,
}

impl Row {
    fn median(&self) -> f64 {
        let mut s = self.seconds.clone();
        s.sort_by(f64::total_cmp);
        s[s.len() / 2]
    }
}

/// Times one configuration at `n` particles: a fresh sampler per run, the
/// whole plan between two GPU timestamps (wall clock around submit and
/// wait where the device has no timestamps), then every particle read back
/// once (untimed) and checked finite.
fn time_config(ctx: &GpuContext, timer: Option<&Timer>, model: &ScoreModel, kernel: Kernel, c: &Config, n: usize, steps: usize, runs: usize) -> Row {
    ctx.set_mlp_kernel(kernel);
    let plan = StepPlan::build(ScheduleKind::VpLinear, c.sampler, steps, Spacing::Uniform);
    // Warm-up: compiles the variant's pipeline, touches every code path.
    let mut warm = GpuSampler::new(ctx, &plan, model, c.cond, 1, 64);
    warm.run_steps(ctx, plan.len());
    wait(ctx);
    let mut seconds = Vec::with_capacity(runs);
    for r in 0..runs {
        let mut s = GpuSampler::new(ctx, &plan, model, c.cond, 7 + r as u32, n);
        wait(ctx);
        let t0 = Instant::now();
        s.run_steps_timed(ctx, plan.len(), timer.map(|t| &t.queries));
        wait(ctx);
        let wall = t0.elapsed().as_secs_f64();
        seconds.push(timer.map_or(wall, |t| t.read(ctx)));
        let xs = pollster::block_on(s.read_particles(ctx)).expect("reading the particles back");
        assert!(xs.iter().all(|v| v.is_finite()), "{} at n = {n}: non-finite particles", c.name);
    }
    Row { kernel, config: c.name, n, steps: plan.len(), nfe: plan.nfe() * c.cond.evals() as u32, seconds }
}

fn fmt_rate(v: f64) -> String {
    if v >= 1e9 {
        format!("{:.2} G", v / 1e9)
    } else if v >= 1e6 {
        format!("{:.2} M", v / 1e6)
    } else {
        format!("{:.1} k", v / 1e3)
    }
}

/// The benchmark's Markdown: the device, how it was timed, and the table.
fn run(args: &Args) -> String {
    let ctx = pollster::block_on(GpuContext::with_features(wgpu::Features::TIMESTAMP_QUERY)).unwrap_or_else(|e| panic!("no Vulkan device: {e}"));
    let timer = Timer::new(&ctx);
    let info = ctx.adapter_info.clone();
    eprintln!("device: {} ({:?}, {:?}, driver {} {})", info.name, info.device_type, info.backend, info.driver, info.driver_info);
    let measured_peak = measure_peak(&ctx, timer.as_ref(), args.peak_iter, args.peak_groups);
    let (peak, peak_how) = match args.peak_gflops {
        Some(p) => (p, format!("stated with --peak-gflops (the FMA loop measured {measured_peak:.0} GFLOP/s)")),
        None => (measured_peak, "measured on this device by the FMA loop of tools/bench/src/peak.wgsl".to_string()),
    };
    eprintln!("FP32 peak: {peak:.0} GFLOP/s ({peak_how})");
    let bytes = std::fs::read(format!("{}/../../models/{}.safetensors", env!("CARGO_MANIFEST_DIR"), args.dataset.id())).expect("the shipped weights");
    let model = ScoreModel::learned(&ModelFile::from_bytes(&bytes, args.dataset).expect("valid weights"));
    let mut rows = Vec::new();
    for &kernel in &args.kernels {
        for c in configs() {
            for &n in &args.sizes {
                let row = time_config(&ctx, timer.as_ref(), &model, kernel, &c, n, args.steps, args.runs);
                let t = row.median();
                eprintln!("{:<15} {:<11} n = {:>9}: {:.4} s, {} particle-steps/s", kernel.id(), row.config, n, t, fmt_rate((n * row.steps) as f64 / t));
                rows.push(row);
            }
        }
    }
    let mut md = String::new();
    md += &format!(
        "Device: **{}** ({:?}, {:?}; driver {} {}). Timing: {}. FP32 peak {:.0} GFLOP/s, {}.\n\n",
        info.name,
        info.device_type,
        info.backend,
        info.driver,
        info.driver_info,
        if timer.is_some() { "GPU timestamps around the sampling dispatches" } else { "wall clock around submit and wait (no timestamp queries on this device)" },
        peak,
        peak_how,
    );
    md += "| kernel | sampler | particles | steps | NFE | seconds (median; min–max) | particle-steps/s | evaluations/s | GFLOP/s | of FP32 peak |\n";
    md += "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    for r in &rows {
        let t = r.median();
        let (lo, hi) = r.seconds.iter().fold((f64::INFINITY, 0f64), |(lo, hi), &s| (lo.min(s), hi.max(s)));
        let evals = r.n as f64 * r.nfe as f64 / t;
        let gflops = evals * MLP_FLOPS / 1e9;
        md += &format!(
            "| {} | {} | {} | {} | {} | {:.4} ({:.4}–{:.4}) | {} | {} | {:.1} | {:.1} % |\n",
            r.kernel.id(),
            r.config,
            r.n,
            r.steps,
            r.nfe,
            t,
            lo,
            hi,
            fmt_rate((r.n * r.steps) as f64 / t),
            fmt_rate(evals),
            gflops,
            100.0 * gflops / peak
        );
    }
    md += &lab_table(&ctx, args);
    md
}

/// The labs' kernels beside their CPU twins (one native thread), timed by
/// the wall clock around submit and wait (the readback is not timed):
/// the GRF lab's Langevin steps (three FFT passes a step, engine::grf) and
/// the Langevin lab's chains (engine::langevin). Each rate is the median of
/// `--runs`, over `--steps` GRF steps, ten times as many chain steps and
/// twice as many AIS temperatures;
/// the CPU twin runs fewer steps (its rate does not depend on how many).
fn lab_table(ctx: &GpuContext, args: &Args) -> String {
    use diffusion_playground::engine::grf::{GrfGpu, GrfRun};
    use diffusion_playground::engine::langevin::{LangevinChain, Target};
    use diffusion_playground::science::grf::{Sampler, Schedule};
    use diffusion_playground::science::langevin::{Sym2, Update};
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let smoke = args.steps < 10;
    let mut md = String::from("\n### The labs' kernels\n\n| lab | size | GPU steps | GPU seconds | GPU steps/s | CPU twin steps/s (one thread) | GPU / CPU |\n|---|---|---:|---:|---:|---:|---:|\n");
    let mut row = |lab: &str, size: String, steps: usize, gpu: f64, cpu_rate: f64| {
        let rate = steps as f64 / gpu;
        eprintln!("{lab} {size}: GPU {rate:.1} steps/s, CPU {cpu_rate:.1} steps/s");
        md += &format!("| {lab} | {size} | {steps} | {gpu:.4} | {rate:.1} | {cpu_rate:.1} | {:.2}× |\n", rate / cpu_rate);
    };
    for (n, fields, cpu_steps) in [(64usize, 16usize, 20usize), (128, 64, 2)] {
        let steps = if smoke { 2 } else { args.steps };
        let cpu_steps = if smoke { 1 } else { cpu_steps };
        let schedule = Schedule::new(Sampler::Annealed { levels: 20, fraction: 0.05 }, steps, n, 2.5);
        let run = GrfRun::new(n, fields, 2.5, 1, schedule);
        let on_gpu = GrfGpu::new(ctx, &run);
        let time_gpu = || {
            let mut enc = ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("grf bench") });
            on_gpu.encode_steps(ctx, &run, 0, steps, &mut enc);
            let t0 = Instant::now();
            ctx.queue.submit(Some(enc.finish()));
            wait(ctx);
            t0.elapsed().as_secs_f64()
        };
        time_gpu();
        let gpu = median((0..args.runs).map(|_| time_gpu()).collect());
        let cpu = median((0..args.runs).map(|_| {
            let mut r = run.clone();
            let t0 = Instant::now();
            r.run_steps(cpu_steps);
            cpu_steps as f64 / t0.elapsed().as_secs_f64()
        }).collect());
        row("grf", format!("{fields} fields of {n}²"), steps, gpu, cpu);
    }
    let up = Update::new(&Sym2::identity(), 0.02, 1.0, false);
    let target = Target::Gaussian { sigma: Sym2::from_eigen(1.0, 0.04, 0.5) };
    for chains in [65_536usize, 1_048_576] {
        let (steps, cpu_steps) = if smoke { (4, 1) } else { (10 * args.steps, 20) };
        let chain = LangevinChain::new(target, up.gain, up.noise, 1, chains);
        let time_gpu = || {
            let t0 = Instant::now();
            pollster::block_on(chain.run_steps_gpu(ctx, steps as u32)).expect("the chains come back");
            t0.elapsed().as_secs_f64()
        };
        time_gpu();
        let gpu = median((0..args.runs).map(|_| time_gpu()).collect());
        let cpu = median((0..args.runs).map(|_| {
            let mut c = chain.clone();
            let t0 = Instant::now();
            c.run_steps(cpu_steps as u32);
            cpu_steps as f64 / t0.elapsed().as_secs_f64()
        }).collect());
        row("langevin", format!("{chains} chains"), steps, gpu, cpu);
    }
    // AIS (engine::ais): a "step" is one temperature of every particle (3 MALA moves each).
    use diffusion_playground::engine::ais::AisRun;
    use diffusion_playground::science::ais::{AisSettings, Energy};
    let (e0, e1) = (Energy::preset("gaussian").unwrap(), Energy::preset("ring").unwrap());
    for particles in [20_000usize, 100_000] {
        let temperatures = if smoke { 2 } else { 2 * args.steps };
        let run = AisRun::new(&e0, &e1, AisSettings { temperatures, power: 2.0, steps: 3, eps: 0.1, particles, seed: 1 });
        let time_gpu = || {
            let t0 = Instant::now();
            pollster::block_on(run.run_gpu(ctx)).expect("the particles come back");
            t0.elapsed().as_secs_f64()
        };
        time_gpu();
        let gpu = median((0..args.runs).map(|_| time_gpu()).collect());
        let cpu_temperatures = if smoke { 1 } else { 10 };
        let cpu = median((0..args.runs).map(|_| {
            let mut r = AisRun::new(&e0, &e1, AisSettings { temperatures: cpu_temperatures, ..run.set.clone() });
            let t0 = Instant::now();
            r.run_cpu();
            cpu_temperatures as f64 / t0.elapsed().as_secs_f64()
        }).collect());
        row("ais", format!("{particles} particles, 3 MALA moves a temperature"), temperatures, gpu, cpu);
    }
    // Training (engine::train, issue 12): steps of the score MLP at batch 1 024.
    // With `clf`, the noisy-input classifier trains beside it (the recipe's classifier).
    use diffusion_playground::engine::train::{classifier_loss_and_grads, loss_and_grads, AdamW as TwinAdamW, ClassifierParams, GpuTrainer, Recipe, ScoreParams, TrainBatch};
    let (pts, labs) = Dataset::Moons.sample(1000, 1);
    let labs: Vec<u32> = labs.iter().map(|&l| l as u32).collect();
    let start = ScoreParams::init(2, 1);
    let steps = if smoke { 1 } else { args.steps };
    for classifier in [false, true] {
        let trainer = GpuTrainer::new(ctx, &start, &pts, &labs, &Recipe { batch: 1024, classifier, ..Recipe::default() });
        let time_gpu = || {
            let mut enc = ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("train bench") });
            trainer.encode_steps(&mut enc, steps);
            let t0 = Instant::now();
            ctx.queue.submit(Some(enc.finish()));
            wait(ctx);
            t0.elapsed().as_secs_f64()
        };
        time_gpu();
        let gpu = median((0..args.runs).map(|_| time_gpu()).collect());
        let cpu = median((0..args.runs).map(|_| {
            let (mut p, mut opt, mut c) = (start.clone(), TwinAdamW::new(2, 2e-3, 0.0), ClassifierParams::init(2, 1));
            let t0 = Instant::now();
            let b = TrainBatch::draw(&pts, &labs, 2, 1024, 0, 1, 1, Default::default());
            let (_, g) = loss_and_grads(&p, &b);
            if classifier {
                let (_, cg) = classifier_loss_and_grads(&c, &b);
                opt.update_both(&mut p, &g, Some((&mut c, &cg)));
            } else {
                opt.update(&mut p, &g);
            }
            1.0 / t0.elapsed().as_secs_f64()
        }).collect());
        let what = if classifier { "score MLP and classifier, batch 1 024" } else { "score MLP, batch 1 024" };
        row("train", what.into(), steps, gpu, cpu);
    }
    md += "\nA GRF step is three FFT passes over every field; an AIS step one temperature of every particle. The Langevin and AIS rows' GPU time includes uploading the state and reading it back (the labs do both each frame or run).\n";
    md
}

/// Replaces the text between `<!-- native-bench:begin -->` and
/// `<!-- native-bench:end -->` in BENCHMARKS.md (appending the block if missing).
fn write_benchmarks(md: &str) {
    let path = format!("{}/../../BENCHMARKS.md", env!("CARGO_MANIFEST_DIR"));
    let old = std::fs::read_to_string(&path).unwrap_or_else(|_| "# Benchmarks\n".into());
    let (begin, end) = ("<!-- native-bench:begin -->", "<!-- native-bench:end -->");
    let block = format!("{begin}\n{md}{end}");
    let new = match (old.find(begin), old.find(end)) {
        (Some(a), Some(b)) if a < b => format!("{}{}{}", &old[..a], block, &old[b + end.len()..]),
        _ => format!("{}\n## Native GPU benchmark (tools/bench)\n\n{block}\n", old.trim_end()),
    };
    std::fs::write(&path, new).expect("writing BENCHMARKS.md");
}

/// Writes the kernels exactly as the app compiles them (engine::gpu's
/// composed sources), one file per model.
fn write_wgsl(dir: &str) {
    std::fs::create_dir_all(dir).expect("creating the output folder");
    for kernel in Kernel::ALL {
        std::fs::write(format!("{dir}/{}.wgsl", kernel.id()), kernel.source()).expect("writing WGSL");
    }
    use diffusion_playground::engine::jacobian::{JACOBIAN_ENERGY_WGSL, JACOBIAN_WGSL};
    use diffusion_playground::engine::likelihood::{LIKELIHOOD_ENERGY_WGSL, LIKELIHOOD_MIXTURE_WGSL, LIKELIHOOD_MLP_WGSL};
    for (id, source) in [("likelihood_mlp", LIKELIHOOD_MLP_WGSL), ("likelihood_energy", LIKELIHOOD_ENERGY_WGSL), ("likelihood_mixture", LIKELIHOOD_MIXTURE_WGSL), ("jacobian", JACOBIAN_WGSL), ("jacobian_energy", JACOBIAN_ENERGY_WGSL), ("langevin", diffusion_playground::engine::langevin::LANGEVIN_WGSL), ("grf", diffusion_playground::engine::grf::GRF_WGSL), ("ais", diffusion_playground::engine::ais::AIS_WGSL), ("train", diffusion_playground::engine::train::TRAIN_WGSL)] {
        std::fs::write(format!("{dir}/{id}.wgsl"), source).expect("writing WGSL");
    }
}

fn main() {
    let mut argv = std::env::args().skip(1).peekable();
    if argv.peek().map(String::as_str) == Some("wgsl") {
        argv.next();
        write_wgsl(&argv.next().unwrap_or_else(|| "target/wgsl".into()));
        return;
    }
    let args = parse_args(argv).unwrap_or_else(|e| {
        eprintln!("gpu-bench: {e}");
        std::process::exit(2);
    });
    let md = run(&args);
    println!("{md}");
    if let Some(out) = &args.out {
        std::fs::write(out, &md).expect("writing --out");
    }
    if args.write_benchmarks {
        write_benchmarks(&md);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole bench path on this machine's Vulkan (lavapipe in CI) at a
    /// small size: pipelines build, timestamps (or the wall clock) read,
    /// every run's particles come back finite, the table has a row per
    /// configuration. A smoke run: no timing is asserted.
    #[test]
    fn smoke_run_on_this_machines_vulkan() {
        let args = Args { sizes: vec![4_096], steps: 4, runs: 1, peak_iter: 64, peak_groups: 16, ..Args::default() };
        let md = run(&args);
        eprintln!("{md}");
        assert_eq!(md.lines().filter(|l| l.contains("| DDIM") || l.contains("| Heun")).count(), 2 * configs().len());
        assert!(md.contains("GFLOP/s"));
        assert_eq!(md.lines().filter(|l| l.starts_with("| grf |") || l.starts_with("| langevin |") || l.starts_with("| ais |") || l.starts_with("| train |")).count(), 8);
    }

    #[test]
    fn arguments_parse_and_bad_ones_are_refused() {
        let a = parse_args(["--sizes", "4096,8192", "--steps", "10", "--runs", "5"].map(String::from).into_iter()).unwrap();
        assert_eq!((a.sizes, a.steps, a.runs), (vec![4096, 8192], 10, 5));
        assert!(parse_args(["--sizes", "x"].map(String::from).into_iter()).is_err());
        assert!(parse_args(["--runs", "0"].map(String::from).into_iter()).is_err());
        assert!(parse_args(["--bogus"].map(String::from).into_iter()).is_err());
        assert_eq!(parse_args(["--kernel", "per_thread"].map(String::from).into_iter()).unwrap().kernels, [Kernel::MlpPerThread]);
        assert!(parse_args(["--kernel", "fast"].map(String::from).into_iter()).is_err());
    }

    #[test]
    fn flops_per_evaluation_count_the_matrix_products() {
        assert_eq!(MLP_FLOPS, 66_560.0);
    }
}
