//! The CPU sampler with the exact mixture score reproduces the mixture.
//!
//! Two checks per dataset, each with a tolerance derived from the sample size:
//! - energy distance to fresh data ≤ 11 × its null mean E|X−X'|·(1/n + 1/m)
//!   (`metrics::ACCEPT_FACTOR`: false-fail probability < 0.1 % for a correct sampler);
//! - mode occupancy: each mode's count is Binomial(n, π_k), within 5 sd.

use diffusion_playground::engine::cpu::CpuSampler;
use diffusion_playground::model::{Conditioning, ExactMixture, ScoreModel};
use diffusion_playground::science::datasets::Dataset;
use diffusion_playground::science::metrics::{energy_distance, energy_distance_null_mean, ACCEPT_FACTOR};
use diffusion_playground::science::plan::{DdpmVariance, SamplerKind, Spacing, StepPlan};
use diffusion_playground::science::schedule::ScheduleKind;

const N: usize = 4096;

fn sample(dataset: Dataset, sampler: SamplerKind, steps: usize, seed: u32) -> Vec<[f32; 2]> {
    sample_spaced(dataset, sampler, steps, Spacing::Uniform, seed)
}

fn sample_spaced(dataset: Dataset, sampler: SamplerKind, steps: usize, spacing: Spacing, seed: u32) -> Vec<[f32; 2]> {
    sample_scheduled(ScheduleKind::VpLinear, dataset, sampler, steps, spacing, seed)
}

fn sample_scheduled(schedule: ScheduleKind, dataset: Dataset, sampler: SamplerKind, steps: usize, spacing: Spacing, seed: u32) -> Vec<[f32; 2]> {
    let plan = StepPlan::build(schedule, sampler, steps, spacing);
    let mut s = CpuSampler::new(plan.clone(), ScoreModel::Exact(ExactMixture::new(&dataset.exact_mixture())), Conditioning::class(None), seed, N);
    assert_eq!(s.run_steps(plan.len()), plan.len());
    assert!(s.done());
    s.particles
}

fn check(dataset: Dataset, steps: usize, variance: DdpmVariance, seed: u32) {
    check_sampler(dataset, SamplerKind::Ddpm { variance }, steps, seed);
}

fn check_sampler(dataset: Dataset, sampler: SamplerKind, steps: usize, seed: u32) {
    check_scheduled(ScheduleKind::VpLinear, Spacing::Uniform, dataset, sampler, steps, seed);
}

fn check_scheduled(schedule: ScheduleKind, spacing: Spacing, dataset: Dataset, sampler: SamplerKind, steps: usize, seed: u32) {
    let mix = dataset.exact_mixture();
    let particles = sample_scheduled(schedule, dataset, sampler, steps, spacing, seed);
    let (data, _) = dataset.sample(N, seed ^ 0xDA7A);
    let ed = energy_distance(&particles, &data);
    let null = energy_distance_null_mean(&data, N, N);
    eprintln!("{schedule:?} {spacing:?} {dataset:?} {sampler:?} {steps} steps: ED / null mean = {:.2}", ed / null);
    assert!(ed < ACCEPT_FACTOR * null, "{schedule:?} {dataset:?} {sampler:?} {steps} steps: ED {ed:.5} vs bound {:.5}", ACCEPT_FACTOR * null);

    let k = mix.components.len();
    let mut counts = vec![0usize; k];
    for x in &particles {
        counts[mix.nearest_component([x[0] as f64, x[1] as f64])] += 1;
    }
    for (c, comp) in counts.iter().zip(&mix.components) {
        let (mean, sd) = (N as f64 * comp.weight, (N as f64 * comp.weight * (1.0 - comp.weight)).sqrt());
        assert!((*c as f64 - mean).abs() < 5.0 * sd, "{dataset:?}: mode count {c}, expected {mean:.0} ± {sd:.1}: {counts:?}");
    }
}

#[test]
fn ddpm_200_steps_reaches_gaussians8() {
    check(Dataset::Gaussians8, 200, DdpmVariance::BetaTilde, 7);
}

#[test]
fn ddpm_200_steps_reaches_grid25() {
    check(Dataset::Grid25, 200, DdpmVariance::BetaTilde, 8);
}

#[test]
fn ddpm_1000_steps_beta_variance_reaches_grid25() {
    check(Dataset::Grid25, 1000, DdpmVariance::Beta, 9);
}

#[test]
fn ddim_deterministic_and_stochastic_reach_the_mixtures() {
    check_sampler(Dataset::Gaussians8, SamplerKind::Ddim { eta: 0.0 }, 200, 21);
    check_sampler(Dataset::Grid25, SamplerKind::Ddim { eta: 0.0 }, 200, 22);
    check_sampler(Dataset::Grid25, SamplerKind::Ddim { eta: 0.5 }, 200, 23);
}

#[test]
fn euler_maruyama_reaches_the_mixtures() {
    check_sampler(Dataset::Gaussians8, SamplerKind::EulerMaruyama, 1000, 31);
    check_sampler(Dataset::Grid25, SamplerKind::EulerMaruyama, 1000, 32);
}

#[test]
fn probability_flow_euler_reaches_the_mixtures() {
    check_sampler(Dataset::Gaussians8, SamplerKind::OdeEuler, 500, 41);
    check_sampler(Dataset::Grid25, SamplerKind::OdeEuler, 500, 42);
}

#[test]
fn heun_reaches_the_mixtures() {
    check_sampler(Dataset::Gaussians8, SamplerKind::Heun, 100, 51);
    check_sampler(Dataset::Grid25, SamplerKind::Heun, 100, 52);
}

#[test]
fn dpm_solver_pp_2m_reaches_the_mixtures_in_few_steps() {
    check_sampler(Dataset::Gaussians8, SamplerKind::DpmPp2m, 50, 61);
    check_scheduled(ScheduleKind::VpLinear, Spacing::Quadratic, Dataset::Grid25, SamplerKind::DpmPp2m, 50, 62);
}

#[test]
fn annealed_langevin_reaches_the_mixtures() {
    let langevin = SamplerKind::Langevin { per_level: 5, step_size: 2e-5 };
    check_scheduled(ScheduleKind::VpLinear, Spacing::Quadratic, Dataset::Gaussians8, langevin, 200, 71);
    check_scheduled(ScheduleKind::Ve, Spacing::Uniform, Dataset::Grid25, langevin, 200, 72);
}

#[test]
fn predictor_corrector_reaches_the_mixtures() {
    let pc = SamplerKind::PredictorCorrector { correctors: 1, snr: 0.16 };
    check_sampler(Dataset::Gaussians8, pc, 500, 81);
    check_scheduled(ScheduleKind::Ve, Spacing::Uniform, Dataset::Grid25, pc, 500, 82);
}

/// The cosine and VE schedules (VE on the VP-parameterised score by the
/// input rescaling): every sampler reaches gaussians8 at enough steps.
#[test]
fn every_sampler_reaches_gaussians8_on_cosine_and_ve() {
    let samplers = [
        (SamplerKind::Ddpm { variance: DdpmVariance::BetaTilde }, 200),
        (SamplerKind::Ddim { eta: 0.0 }, 200),
        (SamplerKind::EulerMaruyama, 1000),
        (SamplerKind::OdeEuler, 500),
        (SamplerKind::Heun, 100),
        (SamplerKind::DpmPp2m, 50),
        (SamplerKind::Langevin { per_level: 5, step_size: 2e-5 }, 200),
        (SamplerKind::PredictorCorrector { correctors: 1, snr: 0.16 }, 500),
    ];
    for schedule in [ScheduleKind::VpCosine, ScheduleKind::Ve] {
        for (i, (sampler, steps)) in samplers.into_iter().enumerate() {
            check_scheduled(schedule, Spacing::Uniform, Dataset::Gaussians8, sampler, steps, 90 + i as u32);
        }
    }
}

#[test]
fn heun_is_more_accurate_than_euler_on_the_same_ode() {
    // Reference: Heun with 1000 steps from the same x_T. At 50 steps, Heun's
    // second-order error must be well below Euler's first-order one. Quadratic
    // spacing, because Heun's last step (to t = 0) is plain Euler: with uniform
    // spacing that one first-order step of Δt = 0.02 dominates both errors.
    let q = Spacing::Quadratic;
    let reference = sample_spaced(Dataset::Gaussians8, SamplerKind::Heun, 1000, q, 6);
    let err = |xs: &[[f32; 2]]| {
        let mut d: Vec<f32> = xs.iter().zip(&reference).map(|(a, b)| ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()).collect();
        d.sort_by(f32::total_cmp);
        d[d.len() / 2]
    };
    let e_heun = err(&sample_spaced(Dataset::Gaussians8, SamplerKind::Heun, 50, q, 6));
    let e_euler = err(&sample_spaced(Dataset::Gaussians8, SamplerKind::OdeEuler, 50, q, 6));
    eprintln!("median error at 50 steps: Heun {e_heun}, Euler {e_euler}");
    assert!(e_heun < 0.25 * e_euler, "median error: Heun {e_heun}, Euler {e_euler}");
}

#[test]
fn pf_ode_is_deterministic_given_x_t_and_ddim_eta0_approaches_it() {
    // Same seed → same x_T. The ODE adds no noise, so a different seed for the
    // (unused) step noise cannot matter: only x_T does.
    let ode = sample(Dataset::Gaussians8, SamplerKind::OdeEuler, 1000, 5);
    assert_eq!(ode, sample(Dataset::Gaussians8, SamplerKind::OdeEuler, 1000, 5));
    // DDIM(η=0) is a first-order solver of the same ODE (in other coordinates):
    // at 1000 steps the two maps agree closely for almost every particle.
    let ddim = sample(Dataset::Gaussians8, SamplerKind::Ddim { eta: 0.0 }, 1000, 5);
    let mut d: Vec<f32> = ode.iter().zip(&ddim).map(|(a, b)| ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()).collect();
    d.sort_by(f32::total_cmp);
    let (median, p95) = (d[d.len() / 2], d[d.len() * 95 / 100]);
    // The mode spacing is 2.3; both solvers' O(1/S) errors are ~1e-2 here.
    assert!(median < 0.02 && p95 < 0.05, "median {median}, 95th percentile {p95}");
    // And a stochastic sampler from the same x_T does not: the check can fail.
    let ddpm = sample(Dataset::Gaussians8, SamplerKind::Ddpm { variance: DdpmVariance::BetaTilde }, 1000, 5);
    let far = ode.iter().zip(&ddpm).filter(|(a, b)| (a[0] - b[0]).abs() + (a[1] - b[1]).abs() > 0.1).count();
    assert!(far > N / 4, "only {far} of {N} DDPM particles differ from the ODE's");
}

#[test]
fn one_step_is_detectably_wrong() {
    // The check must be able to fail: a single DDPM step from pure noise
    // returns E[x0 | x_T] ≈ the mixture mean for every particle.
    let plan = StepPlan::build(ScheduleKind::VpLinear, SamplerKind::Ddpm { variance: DdpmVariance::BetaTilde }, 1, Spacing::Uniform);
    let mix = Dataset::Gaussians8.exact_mixture();
    let mut s = CpuSampler::new(plan, ScoreModel::Exact(ExactMixture::new(&mix)), Conditioning::class(None), 3, N);
    s.run_steps(1);
    let (data, _) = Dataset::Gaussians8.sample(N, 4);
    assert!(energy_distance(&s.particles, &data) > ACCEPT_FACTOR * energy_distance_null_mean(&data, N, N));
}

/// Classifier-free guidance with the exact scores (SCIENCE.md §4): w = 0 is
/// the unconditional run and w = 1 the conditional one (the same particles up
/// to float rounding, DDIM η = 0); w = 3 towards mode 3 of gaussians8 puts
/// every particle in that mode.
#[test]
fn classifier_free_guidance_endpoints_and_pull() {
    use diffusion_playground::science::guidance::Guidance;
    let plan = StepPlan::build(ScheduleKind::VpLinear, SamplerKind::Ddim { eta: 0.0 }, 100, Spacing::Uniform);
    let model = ScoreModel::Exact(ExactMixture::new(&Dataset::Gaussians8.exact_mixture()));
    let run = |cond: Conditioning| {
        let mut s = CpuSampler::new(plan.clone(), model.clone(), cond, 5, 2000);
        s.run_steps(100);
        s.particles
    };
    let max_diff = |a: &[[f32; 2]], b: &[[f32; 2]]| a.iter().flatten().zip(b.iter().flatten()).map(|(p, q)| (p - q).abs()).fold(0f32, f32::max);
    let cfg = |w| Conditioning { class: Some(3), guidance: Guidance::ClassifierFree { w } };
    assert!(max_diff(&run(cfg(0.0)), &run(Conditioning::class(None))) < 1e-4);
    assert!(max_diff(&run(cfg(1.0)), &run(Conditioning::class(Some(3)))) < 1e-4);
    let mix = Dataset::Gaussians8.gaussian_mixture().unwrap();
    let guided = run(cfg(3.0));
    assert!(guided.iter().all(|x| mix.nearest_component([x[0] as f64, x[1] as f64]) == 3));
}

/// With the exact score the classifier is exact too, and classifier guidance
/// with strength g is classifier-free guidance with w = g (science::guidance):
/// the same particles up to float rounding.
#[test]
fn exact_classifier_guidance_equals_classifier_free_guidance() {
    use diffusion_playground::science::guidance::Guidance;
    let plan = StepPlan::build(ScheduleKind::VpLinear, SamplerKind::Ddim { eta: 0.0 }, 50, Spacing::Uniform);
    let model = ScoreModel::Exact(ExactMixture::new(&Dataset::Gaussians8.exact_mixture()));
    let run = |guidance| {
        let mut s = CpuSampler::new(plan.clone(), model.clone(), Conditioning { class: Some(2), guidance }, 8, 2000);
        s.run_steps(50);
        s.particles
    };
    let (a, b) = (run(Guidance::Classifier { g: 2.5 }), run(Guidance::ClassifierFree { w: 2.5 }));
    let max = a.iter().flatten().zip(b.iter().flatten()).map(|(p, q)| (p - q).abs()).fold(0f32, f32::max);
    assert!(max < 1e-3, "max difference {max}");
    // And it can fail: a different strength moves the particles.
    let c = run(Guidance::Classifier { g: 1.0 });
    assert!(a.iter().flatten().zip(c.iter().flatten()).any(|(p, q)| (p - q).abs() > 1e-2));
}
