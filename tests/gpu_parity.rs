//! GPU (wgpu; lavapipe in CI) against the CPU reference: same plan, same seed,
//! same particles.

mod common;

use diffusion_playground::engine::cpu::CpuSampler;
use diffusion_playground::engine::gpu::{GpuSampler, Kernel};
use diffusion_playground::model::{Conditioning, ExactMixture, ScoreModel};
use diffusion_playground::science::guidance::Guidance;
use diffusion_playground::science::datasets::Dataset;
use diffusion_playground::science::plan::{DdpmVariance, SamplerKind, Spacing, StepPlan};
use diffusion_playground::science::schedule::ScheduleKind;

const DDPM: SamplerKind = SamplerKind::Ddpm { variance: DdpmVariance::BetaTilde };

/// |x_gpu − x_cpu| over all coordinates: its median (≈ 0 where both run the
/// same arithmetic: it bounds a systematic offset, which a tail bound alone
/// lets through), 99.9th percentile and maximum.
#[derive(Clone, Copy, Debug)]
struct Diffs {
    median: f32,
    p999: f32,
    max: f32,
}

impl Diffs {
    fn of(a: &[f32], b: &[f32]) -> Self {
        assert_eq!(a.len(), b.len());
        let mut d: Vec<f32> = a.iter().zip(b).map(|(p, q)| (p - q).abs()).collect();
        d.sort_by(f32::total_cmp);
        Self { median: d[d.len() / 2], p999: d[d.len() * 999 / 1000], max: d[d.len() - 1] }
    }

    /// Every figure under its bar; Err says which is not.
    fn within(&self, bars: Bars) -> Result<(), String> {
        let mut out = Vec::new();
        if !(self.median <= bars.median) {
            out.push(format!("median {:e} > {:e}", self.median, bars.median));
        }
        if !(self.p999 < bars.p999) {
            out.push(format!("99.9 % {:e} ≥ {:e}", self.p999, bars.p999));
        }
        if !(self.max < bars.max) {
            out.push(format!("max {:e} ≥ {:e}", self.max, bars.max));
        }
        if out.is_empty() { Ok(()) } else { Err(out.join(", ")) }
    }
}

#[derive(Clone, Copy, Debug)]
struct Bars {
    median: f32,
    p999: f32,
    max: f32,
}

/// The stated tolerance of every sampler (see `SAMPLERS`).
const BARS: Bars = Bars { median: MEDIAN_BAR, p999: 1e-4, max: 5e-3 };
/// Median bar: both backends run the same arithmetic, so the bulk agrees to
/// float rounding — up to the last bits of exp, log, sin and cos (the noise's
/// Box–Muller, the mixture's posterior), which stochastic samplers carry
/// along. Measured on lavapipe: every median ≤ 1.0e-6 (a lone particle's
/// two coordinates after 12 steps of DDIM η = 0.5), most 0 or ≤ 5e-7; 1e-5
/// still fails any systematic offset.
const MEDIAN_BAR: f32 = 1e-5;

fn parity(dataset: Dataset, steps: usize, chunks: &[usize], n: usize, seed: u32) -> Diffs {
    parity_for(DDPM, dataset, steps, chunks, n, seed)
}

fn parity_for(sampler: SamplerKind, dataset: Dataset, steps: usize, chunks: &[usize], n: usize, seed: u32) -> Diffs {
    let model = ScoreModel::Exact(ExactMixture::new(&dataset.exact_mixture()));
    parity_model(&model, Conditioning::class(None), sampler, steps, chunks, n, seed)
}

/// The MLP kernel the MLP tests run unless they say otherwise: the one real
/// GPUs run (lavapipe would pick the per-thread one, being a CPU emulation).
const MLP_KERNEL: Kernel = Kernel::MlpCooperative;

fn parity_model(model: &ScoreModel, cond: Conditioning, sampler: SamplerKind, steps: usize, chunks: &[usize], n: usize, seed: u32) -> Diffs {
    parity_kernel(MLP_KERNEL, model, cond, sampler, steps, chunks, n, seed)
}

#[allow(clippy::too_many_arguments)]
fn parity_kernel(kernel: Kernel, model: &ScoreModel, cond: Conditioning, sampler: SamplerKind, steps: usize, chunks: &[usize], n: usize, seed: u32) -> Diffs {
    parity_scheduled(kernel, ScheduleKind::VpLinear, Spacing::Uniform, model, cond, sampler, steps, chunks, n, seed)
}

#[allow(clippy::too_many_arguments)]
fn parity_scheduled(
    mlp_kernel: Kernel,
    schedule: ScheduleKind,
    spacing: Spacing,
    model: &ScoreModel,
    cond: Conditioning,
    sampler: SamplerKind,
    steps: usize,
    chunks: &[usize],
    n: usize,
    seed: u32,
) -> Diffs {
    let ctx = common::gpu();
    ctx.set_mlp_kernel(mlp_kernel);
    let plan = StepPlan::build(schedule, sampler, steps, spacing);
    let mut cpu = CpuSampler::new(plan.clone(), model.clone(), cond, seed, n);
    let mut gpu = GpuSampler::new(&ctx, &plan, model, cond, seed, n);

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
    cpu.run_steps(plan.len());
    let got = pollster::block_on(gpu.read_particles(&ctx)).unwrap();
    assert_eq!(got.len(), 2 * n);
    assert!(got.iter().all(|v| v.is_finite()));
    let cpu_flat: Vec<f32> = cpu.particles.iter().flatten().copied().collect();
    let d = Diffs::of(&cpu_flat, &got);
    eprintln!("{:?} {schedule:?} {sampler:?} {cond:?}: |x_gpu - x_cpu| max {:e}, 99.9% {:e}, median {:e} over {n} particles", ctx.mlp_kernel(), d.max, d.p999, d.median);
    d
}

/// Asserts the bars with a message naming the case.
fn assert_within(d: Diffs, bars: Bars, what: impl std::fmt::Display) {
    if let Err(why) = d.within(bars) {
        panic!("{what}: |x_gpu − x_cpu| {why}");
    }
}

#[test]
fn ddpm_gaussians8_gpu_matches_cpu_after_100_steps() {
    let d = parity(Dataset::Gaussians8, 100, &[1, 7, 30], 4096, 7);
    assert_within(d, Bars { max: 1e-3, ..BARS }, "DDPM gaussians8");
}

#[test]
fn ddpm_grid25_gpu_matches_cpu_after_100_steps() {
    let d = parity(Dataset::Grid25, 100, &[100], 4096, 1234);
    assert_within(d, Bars { max: 1e-3, ..BARS }, "DDPM grid25");
}

/// Stated tolerance for every sampler: most coordinates are bit-identical
/// (median 0) and 99.9 % agree within 1e-4; the maximum is bounded by 5e-3,
/// because a particle on the ridge between two modes amplifies ulp-level
/// differences of GPU and libm exp/log (measured max: 1.1e-3, DDIM η=0.5).
/// Every sampler of the playground (DDPM has its own tests above).
const SAMPLERS: [SamplerKind; 8] = [
    SamplerKind::Ddim { eta: 0.0 },
    SamplerKind::Ddim { eta: 0.5 },
    SamplerKind::EulerMaruyama,
    SamplerKind::OdeEuler,
    SamplerKind::Heun,
    SamplerKind::DpmPp2m,
    SamplerKind::Langevin { per_level: 2, step_size: 1e-4 },
    SamplerKind::PredictorCorrector { correctors: 1, snr: 0.16 },
];

#[test]
fn every_sampler_gpu_matches_cpu_after_100_steps() {
    for sampler in SAMPLERS {
        assert_within(parity_for(sampler, Dataset::Grid25, 100, &[13, 40], 4096, 77), BARS, format!("{sampler:?}"));
    }
}

/// The exact score restricted to one class runs the same on both backends.
#[test]
fn class_conditional_exact_score_gpu_matches_cpu() {
    let model = ScoreModel::Exact(ExactMixture::new(&Dataset::Gaussians8.exact_mixture()));
    for guidance in [Guidance::None, Guidance::ClassifierFree { w: 4.0 }, Guidance::Classifier { g: 4.0 }] {
        assert_within(parity_model(&model, Conditioning { class: Some(5), guidance }, DDPM, 100, &[100], 4096, 3), BARS, format!("{guidance:?}"));
    }
}

/// Every schedule (VE through the input rescaling, cosine's continuous
/// time) and both spacings, every sampler, with the exact score.
///
/// Tolerance: as above, except for the samplers that step through x̂0 on the
/// cosine schedule (DDPM, DDIM, DPM-Solver++). Its top level has
/// `a_T = sqrt(ᾱ_T) ≈ 4.9e-5` (β clipped at 0.999), so the first step's
/// `x̂0 = (x − σ ε̂)/a_T` multiplies the backends' ulp-level differences in ε̂
/// (exp and log differ in the last bits) by about 1/a_T; measured 99.9 % ≤ 9.2e-3,
/// max ≤ 2.2e-2 at N = 1024, so the stated bar there is 2e-2 / 5e-2 (the
/// linear schedule's a_T = 6.4e-3 is 130× better conditioned). The
/// continuous-time samplers on cosine start where β(t_max) = 999, so their
/// first step's `c_x = 1 + ½βΔt ≈ 9` (60 steps) amplifies the same
/// differences about tenfold: measured 99.9 % ≤ 1.0e-4, bar 1e-3.
#[test]
fn every_schedule_gpu_matches_cpu() {
    let model = ScoreModel::Exact(ExactMixture::new(&Dataset::Gaussians8.exact_mixture()));
    for schedule in [ScheduleKind::VpCosine, ScheduleKind::Ve] {
        for (i, sampler) in [DDPM].into_iter().chain(SAMPLERS).enumerate() {
            let spacing = if i % 2 == 0 { Spacing::Quadratic } else { Spacing::Uniform };
            let d = parity_scheduled(MLP_KERNEL, schedule, spacing, &model, Conditioning::class(None), sampler, 60, &[25], 1024, 5);
            assert_within(d, schedule_bars(schedule, sampler), format!("{schedule:?} {sampler:?}"));
        }
    }
}

/// The bars of `every_schedule_gpu_matches_cpu`: the tail is wider where the
/// conditioning amplifies ulps, the median stays near 0 everywhere.
fn schedule_bars(schedule: ScheduleKind, sampler: SamplerKind) -> Bars {
    let through_x0 = matches!(sampler, SamplerKind::Ddpm { .. } | SamplerKind::Ddim { .. } | SamplerKind::DpmPp2m);
    match schedule {
        ScheduleKind::VpCosine if through_x0 => Bars { median: COSINE_X0_MEDIAN_BAR, p999: 2e-2, max: 5e-2 },
        ScheduleKind::VpCosine => Bars { p999: 1e-3, ..BARS },
        _ => BARS,
    }
}

/// Median bar of the cosine samplers that step through x̂0: the 1/a_T
/// amplification reaches the bulk too (measured medians 1.0e-6 … 1.9e-5).
const COSINE_X0_MEDIAN_BAR: f32 = 1e-4;

/// The bars can fail: every particle off by a uniform 1e-2 (a plausible bug:
/// a wrong constant in a coefficient) fails the widest of them, the cosine
/// x̂0 samplers', by its median, though its tail bars would let it through.
#[test]
fn a_uniform_offset_fails_the_widest_bars() {
    let cpu: Vec<f32> = (0..2048).map(|i| (i as f32 * 0.37).sin() * 3.0).collect();
    let shifted: Vec<f32> = cpu.iter().map(|v| v + 1e-2).collect();
    let bars = schedule_bars(ScheduleKind::VpCosine, DDPM);
    let d = Diffs::of(&cpu, &shifted);
    assert!(d.p999 < bars.p999 && d.max < bars.max, "the tail bars alone pass it: {d:?}");
    assert!(d.within(bars).is_err(), "{d:?} passed {bars:?}");
    assert!(Diffs::of(&cpu, &cpu).within(BARS).is_ok());
}

/// The pretrained MLP and its classifier (the shipped moons weights): every
/// sampler × {all classes, one class, classifier-free guidance w = 3,
/// classifier guidance g = 3}. Same tolerance as the mixture samplers above;
/// the MLP's and the classifier's sums run in the same order on both, and
/// their time tables are computed on the host. The chunks of 50 steps are
/// cut to the loop budget's dispatch size (gpu.rs), so full-size dispatches run.
#[test]
fn every_sampler_and_guidance_with_the_mlp_gpu_matches_cpu() {
    let model = ScoreModel::learned(&common::shipped(Dataset::Moons));
    let conds = [
        Conditioning::class(None),
        Conditioning::class(Some(1)),
        Conditioning { class: Some(0), guidance: Guidance::ClassifierFree { w: 3.0 } },
        Conditioning { class: Some(1), guidance: Guidance::Classifier { g: 3.0 } },
    ];
    for sampler in [DDPM].into_iter().chain(SAMPLERS) {
        for cond in conds {
            assert_within(parity_model(&model, cond, sampler, 30, &[17, 50], 512, 21), BARS, format!("{sampler:?} {cond:?}"));
        }
    }
}

/// The energy model's kernel (shaders/score_energy.wgsl: ε̂ = ∇ₓφ by the
/// backward pass through its MLP, 8 particles a workgroup) against its CPU
/// twin (model::energy), every sampler, unguided, one class and
/// classifier-free guidance, at the common bars; a count off the tile (8)
/// and a lone particle. The network: the shipped moons energy model.
/// Measured on lavapipe (512 particles; the test runs 256): max 1.4e-5, 99.9 % ≤ 7.7e-6,
/// medians ≤ 4.8e-7 — not 0 as for the ε-network, since every layer's slope
/// SiLU'(z) carries the GPU's exp into the gradient.
#[test]
fn the_energy_kernel_matches_the_cpu() {
    let energy = ScoreModel::Energy(common::shipped_energy(Dataset::Moons).net);
    let conds = [Conditioning::class(None), Conditioning::class(Some(1)), Conditioning { class: Some(0), guidance: Guidance::ClassifierFree { w: 3.0 } }];
    for sampler in [DDPM].into_iter().chain(SAMPLERS) {
        for cond in conds {
            assert_within(parity_kernel(Kernel::Energy, &energy, cond, sampler, 30, &[17, 50], 256, 21), BARS, format!("energy {sampler:?} {cond:?}"));
        }
    }
    for n in [1, 13] {
        assert_within(parity_kernel(Kernel::Energy, &energy, conds[2], SamplerKind::Heun, 12, &[5], n, 3), BARS, format!("energy, {n} particles"));
    }
}

/// Particle counts that are not multiples of the kernels' tiles (16 for the
/// MLP, 64 for the mixture) or of 4: the last workgroup's missing particles
/// are recomputed from the last one and not written, and a lone particle
/// fills a workgroup on its own. Every MLP kernel variant (guidance × Heun ×
/// multistep) and the mixture's, against the CPU at the tolerance above.
#[test]
fn particle_counts_off_the_tile_match_the_cpu() {
    let mlp = ScoreModel::learned(&common::shipped(Dataset::Moons));
    let mixture = ScoreModel::Exact(ExactMixture::new(&Dataset::Gaussians8.exact_mixture()));
    let conds = [
        Conditioning::class(None),
        Conditioning { class: Some(0), guidance: Guidance::ClassifierFree { w: 3.0 } },
        Conditioning { class: Some(1), guidance: Guidance::Classifier { g: 3.0 } },
    ];
    // DDIM: the plain variant; Heun: the corrector's second evaluation; DPM-Solver++: the multistep memory.
    let samplers = [SamplerKind::Ddim { eta: 0.5 }, SamplerKind::Heun, SamplerKind::DpmPp2m];
    let counts = [1usize, 3, 17, 1001];
    let mut k = 0;
    for cond in conds {
        for sampler in samplers {
            for (model, name) in [(&mlp, "mlp"), (&mixture, "mixture")] {
                let n = counts[k % counts.len()];
                k += 1;
                assert_within(parity_model(model, cond, sampler, 12, &[5], n, 40 + k as u32), BARS, format!("{name} n = {n} {sampler:?} {cond:?}"));
            }
        }
    }
    // Past a multiple of both tiles by one.
    assert_within(parity_model(&mlp, conds[1], SamplerKind::Heun, 6, &[6], 4097, 9), BARS, "mlp n = 4097");
}

/// The per-thread MLP kernel (CPU-emulated adapters: the browser tests'
/// SwiftShader runs it) against the CPU, every guidance with a plain, a
/// Heun and a multistep sampler (its every variant), at counts off its
/// 4-particle invocations and 256-particle workgroups (1, 3, 515, 1 001).
#[test]
fn per_thread_mlp_kernel_matches_the_cpu() {
    let model = ScoreModel::learned(&common::shipped(Dataset::Moons));
    let conds = [
        Conditioning::class(None),
        Conditioning { class: Some(0), guidance: Guidance::ClassifierFree { w: 3.0 } },
        Conditioning { class: Some(1), guidance: Guidance::Classifier { g: 3.0 } },
    ];
    let counts = [515usize, 1, 1001, 3];
    let mut k = 0;
    for cond in conds {
        for sampler in [DDPM, SamplerKind::Heun, SamplerKind::DpmPp2m] {
            let n = counts[k % counts.len()];
            k += 1;
            assert_within(parity_kernel(Kernel::MlpPerThread, &model, cond, sampler, 20, &[7, 50], n, 8), BARS, format!("per-thread n = {n} {sampler:?} {cond:?}"));
        }
    }
}

/// Networks read as the other targets (science::targets: ε̂ = A x + B
/// net(C x, t′), the reading in each level's time-table row) on both MLP
/// kernels, with and without classifier-free guidance, plain and Heun, and
/// in the likelihood and Jacobian kernels: against the CPU at the same bars.
/// The shipped moons network stands in for a trained one (parity needs the
/// same arithmetic, not a good model). The x0 reading multiplies the
/// network's rounding by a/σ (up to 64 at the last level), so its 99.9 %
/// bar is 1e-3 (measured 1.7e-4 with guidance and Heun; the others stay
/// within the common bars, e.g. v and flow 7e-5).
#[test]
fn every_target_reads_alike_on_the_gpu() {
    use diffusion_playground::engine::jacobian::jacobians_gpu;
    use diffusion_playground::engine::likelihood::{log_likelihood_cpu, log_likelihood_gpu};
    use diffusion_playground::science::likelihood::LikelihoodPlan;
    use diffusion_playground::science::targets::Target;
    let ctx = common::gpu();
    let file = common::shipped(Dataset::Moons);
    let (points, _) = Dataset::Moons.sample(37, 3);
    for target in [Target::X0, Target::V, Target::Flow] {
        let score = file.score.clone().with_target(target);
        let model = ScoreModel::Mlp { score: score.clone(), classifier: None };
        for cond in [Conditioning::class(None), Conditioning { class: Some(0), guidance: Guidance::ClassifierFree { w: 2.0 } }] {
            for sampler in [SamplerKind::Ddim { eta: 0.0 }, SamplerKind::Heun] {
                let bars = if target == Target::X0 { Bars { p999: 1e-3, ..BARS } } else { BARS };
                assert_within(parity_model(&model, cond, sampler, 20, &[7, 50], 515, 3), bars, format!("{target:?} cooperative {sampler:?} {cond:?}"));
                assert_within(parity_kernel(Kernel::MlpPerThread, &model, cond, sampler, 20, &[7, 50], 515, 3), bars, format!("{target:?} per-thread {sampler:?} {cond:?}"));
            }
        }
        let plan = LikelihoodPlan::new(12);
        let cpu = log_likelihood_cpu(&model, &plan, &points);
        let gpu = pollster::block_on(log_likelihood_gpu(&ctx, &model, &plan, &points)).unwrap();
        let worst = cpu.iter().zip(&gpu).map(|(a, b)| (a - b).abs() / (1.0 + a.abs())).fold(0.0, f64::max);
        eprintln!("{target:?} likelihood: worst relative |Δ log p| {worst:e}");
        assert!(cpu.iter().all(|v| v.is_finite()) && worst < 2e-4, "{target:?}: {worst}");
        let tb = score.time_bias(0.3);
        let jac = pollster::block_on(jacobians_gpu(&ctx, &model, &tb, 1.0, &points)).unwrap();
        let mut worst = 0.0f32;
        for (p, (e, j)) in points.iter().zip(&jac) {
            let (ce, cj) = score.eps_hat_jacobian(*p, &tb, None);
            let scale = 1.0 + cj.iter().flatten().chain(&ce).fold(0.0f32, |a, v| a.max(v.abs()));
            for (a, b) in e.iter().chain(j.iter().flatten()).zip(ce.iter().chain(cj.iter().flatten())) {
                worst = worst.max((a - b).abs() / scale);
            }
        }
        eprintln!("{target:?} Jacobians: worst relative difference {worst:e}");
        assert!(worst < 1e-5, "{target:?}: {worst}");
    }
}

/// The likelihood kernels (shaders/likelihood.wgsl) against the CPU twin
/// (engine::likelihood): the same f32 Heun steps, so `log p` agrees to float
/// rounding accumulated over the steps. Stated tolerance: 2e-4 nats on every
/// point (|log p| is a few nats; measured on lavapipe: ≤ 4.3e-6 for the
/// MLP's forward-mode Jacobian and the analytic mixture, 4.9e-5 for the
/// empirical one of 1 024 components, whose exp/log sums are longest, at 64
/// steps across three dispatches; 2.9e-6 for the energy model's
/// forward-over-reverse Hessian).
#[test]
fn likelihood_kernels_match_the_cpu() {
    use diffusion_playground::engine::likelihood::{log_likelihood_cpu, log_likelihood_gpu};
    use diffusion_playground::science::likelihood::LikelihoodPlan;
    let ctx = common::gpu();
    let plan = LikelihoodPlan::new(12);
    for (name, d, model) in [
        ("mlp gaussians8", Dataset::Gaussians8, ScoreModel::learned(&common::shipped(Dataset::Gaussians8))),
        ("mlp moons", Dataset::Moons, ScoreModel::learned(&common::shipped(Dataset::Moons))),
        ("energy moons", Dataset::Moons, ScoreModel::Energy(common::shipped_energy(Dataset::Moons).net)),
        ("exact gaussians8", Dataset::Gaussians8, ScoreModel::Exact(ExactMixture::new(&Dataset::Gaussians8.exact_mixture()))),
        ("exact moons", Dataset::Moons, ScoreModel::Exact(ExactMixture::new(&Dataset::Moons.exact_mixture()))),
    ] {
        // 37 points: not a multiple of either tile.
        let (data, _) = d.sample(37, 5);
        // The empirical mixture (1 024 components) fits 24 steps in a dispatch:
        // at 64 steps the state crosses three dispatches.
        let plan = if name == "exact moons" { LikelihoodPlan::new(64) } else { plan.clone() };
        let cpu = log_likelihood_cpu(&model, &plan, &data);
        let gpu = pollster::block_on(log_likelihood_gpu(&ctx, &model, &plan, &data)).unwrap();
        assert_eq!(gpu.len(), 37);
        let worst = cpu.iter().zip(&gpu).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        eprintln!("{name}: worst |Δ log p| {worst:e} (cpu[0] {}, gpu[0] {})", cpu[0], gpu[0]);
        assert!(cpu.iter().all(|v| v.is_finite()), "{name}: {cpu:?}");
        assert!(worst < 2e-4, "{name}: {worst}");
    }
}

/// The Jacobian kernels (shaders/jacobian.wgsl, the score layers on WebGPU)
/// against `ScoreMlp::eps_hat_jacobian` and `EnergyMlp::eps_hat_jacobian`:
/// the same sums in the same order. Stated tolerance: 1e-5 relative to the
/// largest entry (measured on lavapipe: 1.7e-7 for the ε-network,
/// 3.2e-7 for the energy model's Hessian, whose curl the kernel
/// also keeps at float error: J₁₂ = J₂₁ within the same bar).
#[test]
fn jacobian_kernel_matches_the_cpu() {
    use diffusion_playground::engine::jacobian::jacobians_gpu;
    let ctx = common::gpu();
    let learned = ScoreModel::learned(&common::shipped(Dataset::Moons));
    let energy = ScoreModel::Energy(common::shipped_energy(Dataset::Moons).net);
    let (points, _) = Dataset::Moons.sample(37, 3);
    for (name, model, t, c_in) in [("mlp", &learned, 0.02f32, 1.0f32), ("mlp", &learned, 0.5, 0.8), ("energy", &energy, 0.02, 1.0), ("energy", &energy, 0.5, 0.8)] {
        let tb = model.level(t, 1.0, 1.0).time_bias;
        let gpu = pollster::block_on(jacobians_gpu(&ctx, model, &tb, c_in, &points)).unwrap();
        assert_eq!(gpu.len(), 37);
        let mut worst = 0.0f32;
        for (p, (e, j)) in points.iter().zip(&gpu) {
            let x = [c_in * p[0], c_in * p[1]];
            let (ce, cj) = match model {
                ScoreModel::Mlp { score, .. } => score.eps_hat_jacobian(x, &tb, None),
                ScoreModel::Energy(net) => {
                    let scale = 1.0 + j.iter().flatten().fold(0.0f32, |a, v| a.max(v.abs()));
                    assert!((j[0][1] - j[1][0]).abs() < 1e-5 * scale, "the kernel's energy Jacobian is not symmetric: {j:?}");
                    net.eps_hat_jacobian(x, &tb, None)
                }
                ScoreModel::Exact(_) => unreachable!(),
            };
            let scale = 1.0 + cj.iter().flatten().fold(0.0f32, |a, v| a.max(v.abs()));
            for (a, b) in e.iter().chain(j.iter().flatten()).zip(ce.iter().chain(cj.iter().flatten())) {
                worst = worst.max((a - b).abs() / scale);
            }
        }
        eprintln!("{name} t = {t}: worst relative difference {worst:e}");
        assert!(worst < 1e-5, "{name} t = {t}: {worst}");
    }
}

/// The Langevin lab's kernel (shaders/langevin.wgsl) against its CPU twin:
/// the same f32 steps on the same noise, for the Gaussian target with the
/// wrong noise and the mixture with plain Langevin. Stated tolerance: 1e-4
/// on every coordinate after 3 200 steps, across two dispatches (O(1)
/// values; rounding accumulates through the contraction; measured on
/// lavapipe: 1.8e-6 and 2.4e-7).
#[test]
fn langevin_kernel_matches_the_cpu() {
    use diffusion_playground::engine::langevin::{LangevinChain, Target};
    use diffusion_playground::science::langevin::{Preconditioner, Sym2, Update};
    let ctx = common::gpu();
    let sigma = Sym2::from_eigen(2.0, 0.05, 0.6);
    let mix = Target::Mixture { means: [[1.2, 0.4], [-1.2, -0.4]], var: 0.1 };
    for (name, target, m, wrong) in [
        ("gaussian, M = Σ, wrong noise", Target::Gaussian { sigma }, Preconditioner::Covariance.metric(&sigma), true),
        ("mixture, M = I", mix, Sym2::identity(), false),
    ] {
        let up = Update::new(&m, 0.02, 1.0, wrong);
        let mut cpu = LangevinChain::new(target, up.gain, up.noise, 3, 257);
        // 3 200 steps: two dispatches (3 125 a dispatch inside the loop budget).
        let gpu = pollster::block_on(cpu.run_steps_gpu(&ctx, 3200)).unwrap();
        cpu.run_steps(3200);
        let worst = cpu.x.iter().zip(&gpu).map(|(a, b)| (a[0] - b[0]).abs().max((a[1] - b[1]).abs())).fold(0.0f32, f32::max);
        eprintln!("{name}: worst |Δx| {worst:e}");
        assert!(worst < 1e-4, "{name}: {worst}");
    }
}

/// The GRF lab's kernels (shaders/grf.wgsl) against their CPU twin: the
/// same FFTs, filter and update on the same noise, 3 fields of 64² (a
/// line's FFT uses 32 of the 64 threads) and 2 of 128² (all 64), 40
/// annealed steps in two batches. Stated tolerance: 1e-4 of the fields'
/// largest value (the FFTs' f32 rounding, O(log n · 1e-7) a pass, through
/// 40 contracting steps; measured on lavapipe: 2.7e-7 and 2.9e-7).
#[test]
fn grf_kernels_match_the_cpu() {
    use diffusion_playground::engine::grf::{GrfGpu, GrfRun};
    use diffusion_playground::science::grf::{Sampler, Schedule};
    let ctx = common::gpu();
    for (n, fields) in [(64, 3), (128, 2)] {
        let schedule = Schedule::new(Sampler::Annealed { levels: 4, fraction: 0.3 }, 40, n, 2.5);
        let mut cpu = GrfRun::new(n, fields, 2.5, 7, schedule);
        let gpu = GrfGpu::new(&ctx, &cpu);
        let mut on_gpu = cpu.clone();
        for batch in [15, 25] {
            let (ran, read) = gpu.run_steps(&ctx, &on_gpu, batch);
            on_gpu.x = pollster::block_on(read).unwrap();
            on_gpu.step += ran;
        }
        cpu.run_steps(40);
        assert_eq!(on_gpu.step, 40);
        let scale = cpu.x.iter().fold(0.0f32, |a, v| a.max(v.abs()));
        let worst = cpu.x.iter().zip(&on_gpu.x).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max) / scale;
        eprintln!("GRF {n}²: worst relative difference {worst:e}");
        assert!(worst < 1e-4, "{n}: {worst}");
    }
}

/// The AIS lab's kernel (shaders/ais.wgsl) against its f32 CPU twin on the
/// same noise: 500 particles from N(0, I) to the ring, 150 temperatures of
/// 10 MALA moves, across two dispatches (the loop budget's). A particle
/// whose Metropolis decision sat on the edge may flip under the GPU's
/// rounding and take another path, so the bar is on the rest: at least 98 %
/// of the particles end within 1e-3 (position and log-weight), and the
/// estimates agree to a tenth of their standard error (measured on
/// lavapipe: all 500 alike, the estimates 4e-8 apart).
#[test]
fn ais_kernel_matches_the_cpu() {
    use diffusion_playground::engine::ais::AisRun;
    use diffusion_playground::science::ais::{AisSettings, Energy};
    let ctx = common::gpu();
    let (e0, e1) = (Energy::preset("gaussian").unwrap(), Energy::preset("ring").unwrap());
    let mut cpu = AisRun::new(&e0, &e1, AisSettings { temperatures: 150, power: 2.0, steps: 10, eps: 0.1, particles: 500, seed: 4 });
    assert!(cpu.temperatures_per_dispatch() < 150, "several dispatches");
    let mut gpu = cpu.clone();
    gpu.state = pollster::block_on(cpu.run_gpu(&ctx)).unwrap();
    cpu.run_cpu();
    let same = cpu.state.iter().zip(&gpu.state).filter(|(a, b)| a.iter().zip(b.iter()).take(3).all(|(x, y)| (x - y).abs() < 1e-3)).count();
    let (c, g) = (cpu.estimate(), gpu.estimate());
    eprintln!("AIS: {same} of 500 particles alike; CPU {c:?}, GPU {g:?}");
    assert!(same >= 490, "{same}");
    assert!((c.log_z - g.log_z).abs() < 0.1 * c.stderr, "{c:?} {g:?}");
}

/// The training kernels (shaders/train.wgsl) against the CPU twin
/// (engine::train, itself checked against candle in tools/train): the batch
/// the GPU draws, every parameter's gradient and one AdamW step, then 20
/// more steps. Two-moons points, batch 96 (two GEMM tiles with a ragged
/// edge), u² time sampling, weight decay. Stated tolerances: the batch's
/// inputs within 1e-4 (the GPU's exp and its reduced sin/cos against
/// libm); each gradient tensor within 1e-3 of its largest entry (those
/// inputs, then f32 sums in the same order); after the first AdamW step
/// every parameter within 1e-5 except at most 1 in 1 000 (a gradient within
/// float error of 0 may take Adam's first step the other way); after 21
/// steps of the recipe (its learning-rate schedule) the loss within 1e-4
/// relative, the parameters and their moving averages within 2e-5 (a step
/// moves a parameter by up to lr = 2e-3; measured on lavapipe: inputs
/// 2.7e-6, gradients 8.4e-7, no parameter apart after the first step; after
/// 21 the loss 8.5e-6 apart relative, the averages 3.5e-6; see the printout).
/// The largest difference of two parameter sets, each tensor's relative to its largest entry.
fn worst_relative(a: &diffusion_playground::engine::train::ScoreParams, b: &diffusion_playground::engine::train::ScoreParams) -> f32 {
    let mut worst = 0.0f32;
    for (a, b) in a.tensors.iter().zip(&b.tensors) {
        let scale = b.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        worst = worst.max(a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max) / scale);
    }
    worst
}

#[test]
fn training_kernels_match_the_cpu_twin() {
    use diffusion_playground::engine::train::{loss_and_grads, AdamW, CpuTrainer, GpuTrainer, Recipe, ScoreParams, TrainBatch, INPUT};
    use diffusion_playground::science::datasets::Dataset;
    let ctx = common::gpu();
    let (xs, labels) = Dataset::Moons.sample(500, 4);
    let labels: Vec<u32> = labels.iter().map(|&l| l as u32).collect();
    let (batch, seed, wd) = (96, 3, 0.01);
    // One warm-up step, so the first step runs at the peak rate.
    let recipe = Recipe { steps: 21, batch, lr: 2e-3, warmup: 1, weight_decay: wd, t_power: 2, seed, target: Default::default(), classifier: false };
    let lr = recipe.lr;
    let start = ScoreParams::init(2, 7);
    let gpu = GpuTrainer::new(&ctx, &start, &xs, &labels, &recipe);
    let arena = pollster::block_on(gpu.run(&ctx, 1)).unwrap();
    let cpu_batch = TrainBatch::draw(&xs, &labels, 2, batch, 0, seed, 2, recipe.target);
    let l = &gpu.layout;
    let mut worst_input = 0.0f32;
    for i in 0..batch {
        let row = &arena[l.u as usize + i * INPUT..l.u as usize + (i + 1) * INPUT];
        assert_eq!(arena[l.label as usize + i] as u32, cpu_batch.labels[i], "label {i}");
        for (a, b) in row[..2].iter().zip(&cpu_batch.x_t[i]).chain(row[2..34].iter().zip(&cpu_batch.temb[i])) {
            worst_input = worst_input.max((a - b).abs());
        }
    }
    let (cpu_loss, cpu_grads) = loss_and_grads(&start, &cpu_batch);
    let gpu_grads = gpu.tensors(&arena, l.g);
    let worst_grad = worst_relative(&gpu_grads, &cpu_grads);
    let mut cpu = start.clone();
    let mut opt = AdamW::new(2, lr, wd);
    opt.update(&mut cpu, &cpu_grads);
    let after = gpu.tensors(&arena, l.theta);
    let (mut far, mut total) = (0, 0);
    for (a, b) in after.tensors.iter().flatten().zip(cpu.tensors.iter().flatten()) {
        total += 1;
        far += usize::from((a - b).abs() > 1e-5);
    }
    eprintln!("training: inputs within {worst_input:e}, gradients within {worst_grad:e} of each tensor's largest, {far} of {total} parameters apart after AdamW; loss GPU {} CPU {cpu_loss}", gpu.loss(&arena));
    assert!(worst_input < 1e-4 && worst_grad < 1e-3 && far * 1000 <= total);
    // The whole recipe (its cosine decay, the weights' moving average) on each side.
    let later = pollster::block_on(gpu.run(&ctx, 20)).unwrap();
    let mut twin = CpuTrainer::new(start.clone(), xs.clone(), labels.clone(), recipe.clone());
    twin.run_steps(21);
    let last = *twin.losses.last().unwrap();
    let apart = |a: &ScoreParams, b: &ScoreParams| a.tensors.iter().flatten().zip(b.tensors.iter().flatten()).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
    let (theta_worst, ema_worst) = (apart(&gpu.tensors(&later, l.theta), &twin.params), apart(&gpu.tensors(&later, l.ema), &twin.ema));
    eprintln!("after 21 steps: loss GPU {} CPU {last}; parameters within {theta_worst:e}, moving averages within {ema_worst:e}", gpu.loss(&later));
    assert!((gpu.loss(&later) - last).abs() < 1e-4 * last && theta_worst < 2e-5 && ema_worst < 2e-5);
    // The other targets (science::targets): their inputs, targets and loss
    // weights drawn on the GPU, and the weighted gradients, against the twin.
    for target in [diffusion_playground::science::targets::Target::X0, diffusion_playground::science::targets::Target::V, diffusion_playground::science::targets::Target::Flow] {
        let recipe = Recipe { target, ..recipe.clone() };
        let gpu = GpuTrainer::new(&ctx, &start, &xs, &labels, &recipe);
        let arena = pollster::block_on(gpu.run(&ctx, 1)).unwrap();
        let cpu_batch = TrainBatch::draw(&xs, &labels, 2, batch, 0, seed, 2, target);
        let l = &gpu.layout;
        let mut worst_input = 0.0f32;
        for i in 0..batch {
            let x = &arena[l.u as usize + i * INPUT..][..2];
            let y = &arena[l.target as usize + 2 * i..][..2];
            let w = arena[l.weight as usize + i];
            let scale = 1.0 + cpu_batch.weight[i];
            worst_input = worst_input.max((x[0] - cpu_batch.x_t[i][0]).abs().max((x[1] - cpu_batch.x_t[i][1]).abs()));
            worst_input = worst_input.max((y[0] - cpu_batch.target[i][0]).abs().max((y[1] - cpu_batch.target[i][1]).abs()));
            worst_input = worst_input.max((w - cpu_batch.weight[i]).abs() / scale);
        }
        let (cpu_loss, cpu_grads) = loss_and_grads(&start, &cpu_batch);
        let gpu_grads = gpu.tensors(&arena, l.g);
        let worst_grad = worst_relative(&gpu_grads, &cpu_grads);
        eprintln!("{target:?}: inputs, targets and weights within {worst_input:e}, gradients within {worst_grad:e}; loss GPU {} CPU {cpu_loss}", gpu.loss(&arena));
        assert!(worst_input < 1e-4 && worst_grad < 1e-3 && (gpu.loss(&arena) - cpu_loss).abs() < 1e-4 * cpu_loss, "{target:?}");
    }
}

/// The classifier's training kernels (train.wgsl's `clf_loss_grad` and
/// the `gemm` products of its three layers, when the recipe trains it
/// beside the score network) against the CPU twin (itself checked against
/// candle in tools/train), on four-class pinwheel points with the flow
/// target (so the classifier's VP rows differ from the score network's
/// straight-path inputs): its input rows and classes, each gradient tensor
/// after one step, then after 21 steps its parameters, their moving
/// average and its loss, with the score network's. Tolerances as the
/// score network's above (inputs 1e-4, gradients 1e-3 of each tensor's
/// largest entry, parameters 2e-5, loss 1e-4 relative). Measured on
/// lavapipe: inputs 2.7e-6, gradients 4.3e-7, the same first loss; after 21
/// steps the cross-entropy 1.4e-6 apart relative, the classifier and its
/// average within 1.7e-6, the score network within 2.2e-6.
#[test]
fn classifier_training_kernels_match_the_cpu_twin() {
    use diffusion_playground::engine::train::{classifier_loss_and_grads, CpuTrainer, GpuTrainer, Recipe, ScoreParams, TrainBatch, CLF_INPUT};
    use diffusion_playground::science::targets::Target;
    let ctx = common::gpu();
    let (xs, labels) = Dataset::Pinwheel.sample(400, 6);
    let labels: Vec<u32> = labels.iter().map(|&l| l as u32).collect();
    let c = Dataset::Pinwheel.num_classes();
    let recipe = Recipe { steps: 21, batch: 96, lr: 2e-3, warmup: 1, weight_decay: 0.01, t_power: 2, seed: 3, target: Target::Flow, classifier: true };
    let start = ScoreParams::init(c, 7);
    let gpu = GpuTrainer::new(&ctx, &start, &xs, &labels, &recipe);
    let arena = pollster::block_on(gpu.run(&ctx, 1)).unwrap();
    let cpu_batch = TrainBatch::draw(&xs, &labels, c, recipe.batch, 0, recipe.seed, recipe.t_power, recipe.target);
    let l = &gpu.layout;
    let mut worst_input = 0.0f32;
    for i in 0..recipe.batch {
        let row = &arena[l.clf_u as usize + i * CLF_INPUT..][..CLF_INPUT];
        assert_eq!(arena[l.clf_label as usize + i] as u32, cpu_batch.classes[i], "class {i}");
        for (a, b) in row[..2].iter().zip(&cpu_batch.clf_x[i]).chain(row[2..].iter().zip(&cpu_batch.temb[i])) {
            worst_input = worst_input.max((a - b).abs());
        }
    }
    assert!(cpu_batch.clf_x.iter().zip(&cpu_batch.x_t).any(|(a, b)| (a[0] - b[0]).abs() > 0.1), "flow's inputs are not the VP rows");
    let twin_start = diffusion_playground::engine::train::ClassifierParams::init(c, recipe.seed);
    let (cpu_loss, cpu_grads) = classifier_loss_and_grads(&twin_start, &cpu_batch);
    let gpu_grads = gpu.classifier(&arena, l.g).unwrap();
    let mut worst_grad = 0.0f32;
    for (a, b) in gpu_grads.tensors.iter().zip(&cpu_grads.tensors) {
        let scale = b.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        worst_grad = worst_grad.max(a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max) / scale);
    }
    let gpu_loss = gpu.clf_loss(&arena).unwrap();
    eprintln!("classifier training: inputs within {worst_input:e}, gradients within {worst_grad:e} of each tensor's largest; cross-entropy GPU {gpu_loss} CPU {cpu_loss}");
    assert!(worst_input < 1e-4 && worst_grad < 1e-3 && (gpu_loss - cpu_loss).abs() < 1e-4 * cpu_loss);
    let later = pollster::block_on(gpu.run(&ctx, 20)).unwrap();
    let mut twin = CpuTrainer::new(start.clone(), xs.clone(), labels.clone(), recipe.clone());
    twin.run_steps(21);
    let (clf, clf_ema) = twin.clf.clone().unwrap();
    let apart = |a: &[Vec<f32>], b: &[Vec<f32>]| a.iter().flatten().zip(b.iter().flatten()).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
    let theta = apart(&gpu.classifier(&later, l.theta).unwrap().tensors, &clf.tensors);
    let ema = apart(&gpu.classifier(&later, l.ema).unwrap().tensors, &clf_ema.tensors);
    let score = apart(&gpu.tensors(&later, l.theta).tensors, &twin.params.tensors);
    let (gl, cl) = (gpu.clf_loss(&later).unwrap(), *twin.clf_losses.last().unwrap());
    eprintln!("after 21 steps: cross-entropy GPU {gl} CPU {cl}; classifier within {theta:e}, its average within {ema:e}; score network within {score:e}");
    assert!((gl - cl).abs() < 1e-4 * cl && theta < 2e-5 && ema < 2e-5 && score < 2e-5);
    // The watched readback carries the classifier too.
    let w = pollster::block_on(gpu.run_and_watch(&ctx, 0)).unwrap();
    assert_eq!((w.clf_ema.as_ref(), w.clf_loss), (gpu.classifier(&later, l.ema).as_ref(), Some(gl)));
}

/// Issue 12's quality bar on the GPU path: the drawn-set recipe
/// (engine::train's `Recipe::default()`, 1 200 steps of batch 256 — a tenth
/// of a shipped model's steps) run by the WGSL training kernels on a
/// 1 000-point two-moons set, then sampled (DDIM, 50 steps, all classes) on
/// the CPU from the moving-average weights the GPU kept. Bar: the energy
/// distance of 1 000 samples to the points within 2× the data-vs-data
/// distance at the same sizes (its mean over 20 fresh pairs). The CPU twin
/// on the same set and recipe measures 1.19× (engine::train's
/// `a_short_recipe_learns_a_drawn_set`); shorter recipes measured there do
/// not reach 2× (1 000 steps 1.8×, 800 2.6×), so this is the shortest run
/// that shows the bar. Control: the starting weights, far outside. About
/// 6 minutes on lavapipe (3.5 steps/s at batch 256 on 2 cores). Measured
/// there: 1.19× (0.0050 against 0.0042), the twin's figure; untrained 25 794×.
#[test]
fn the_gpu_trainer_learns_a_drawn_set() {
    use diffusion_playground::engine::train::{GpuTrainer, Recipe, ScoreParams};
    use diffusion_playground::science::metrics::energy_distance;
    let ctx = common::gpu();
    let (xs, labels) = Dataset::Moons.sample(1000, 11);
    let labels: Vec<u32> = labels.iter().map(|&l| l as u32).collect();
    let recipe = Recipe::default();
    let start = ScoreParams::init(2, 1);
    let gpu = GpuTrainer::new(&ctx, &start, &xs, &labels, &recipe);
    // As the page runs it: submits of 100 steps, each reading back only the
    // moving average and the loss (run_and_watch), which must be the arena's.
    let (mut done, mut first_loss, mut watched) = (0, None, None);
    while done < recipe.steps {
        let n = 100.min(recipe.steps - done);
        let w = pollster::block_on(gpu.run_and_watch(&ctx, n)).unwrap();
        first_loss.get_or_insert(w.loss);
        watched = Some(w);
        done += n;
    }
    let watched = watched.unwrap();
    let arena = pollster::block_on(gpu.run(&ctx, 0)).unwrap();
    let trained = gpu.tensors(&arena, gpu.layout.ema);
    assert!(trained == watched.ema && gpu.loss(&arena) == watched.loss, "the watched readback is the arena's");
    let sample = |p: &ScoreParams| {
        let model = ScoreModel::Mlp { score: p.score_mlp(), classifier: None };
        let plan = StepPlan::build(ScheduleKind::VpLinear, SamplerKind::Ddim { eta: 0.0 }, 50, Spacing::Uniform);
        let mut s = CpuSampler::new(plan.clone(), model, Conditioning::class(None), 5, 1000);
        s.run_steps(plan.len());
        energy_distance(&s.particles, &xs)
    };
    let null = (0..20).map(|r| energy_distance(&Dataset::Moons.sample(1000, 100 + 2 * r).0, &Dataset::Moons.sample(1000, 101 + 2 * r).0)).sum::<f64>() / 20.0;
    let (ed, control) = (sample(&trained), sample(&start));
    eprintln!("GPU training, {} steps: loss {:.3} after 100 → {:.3}; energy distance {ed:.4} = {:.2}× the data-vs-data {null:.4}; untrained {:.0}×", recipe.steps, first_loss.unwrap(), gpu.loss(&arena), ed / null, control / null);
    assert!(ed < 2.0 * null, "{ed} against {null}");
    assert!(control > 10.0 * null, "the control: {control}");
}
