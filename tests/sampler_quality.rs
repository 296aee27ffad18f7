//! The CPU sampler with the exact mixture score reproduces the mixture.
//!
//! Two checks per dataset, each with a tolerance derived from the sample size:
//! - energy distance to fresh data ≤ 11 × its null mean E|X−X'|·(1/n + 1/m)
//!   (`metrics::ACCEPT_FACTOR`: false-fail probability < 0.1 % for a correct sampler);
//! - mode occupancy: each mode's count is Binomial(n, π_k), within 5 sd.

use diffusion_playground::engine::cpu::CpuSampler;
use diffusion_playground::model::ExactMixture;
use diffusion_playground::science::datasets::Dataset;
use diffusion_playground::science::metrics::{energy_distance, energy_distance_null_mean, ACCEPT_FACTOR};
use diffusion_playground::science::plan::{DdpmVariance, SamplerKind, Spacing, StepPlan};
use diffusion_playground::science::schedule::ScheduleKind;

const N: usize = 4096;

fn check(dataset: Dataset, steps: usize, variance: DdpmVariance, seed: u32) {
    let plan = StepPlan::build(ScheduleKind::VpLinear, SamplerKind::Ddpm { variance }, steps, Spacing::Uniform);
    let mix = dataset.mixture();
    let mut s = CpuSampler::new(plan, ExactMixture::new(&mix), seed, N);
    s.run_steps(steps);
    let (data, _) = dataset.sample(N, seed ^ 0xDA7A);
    let ed = energy_distance(&s.particles, &data);
    let null = energy_distance_null_mean(&data, N, N);
    assert!(ed < ACCEPT_FACTOR * null, "{dataset:?} {steps} steps: ED {ed:.5} vs bound {:.5}", ACCEPT_FACTOR * null);

    let k = mix.components.len();
    let mut counts = vec![0usize; k];
    for x in &s.particles {
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
fn one_step_is_detectably_wrong() {
    // The check must be able to fail: a single DDPM step from pure noise
    // returns E[x0 | x_T] ≈ the mixture mean for every particle.
    let plan = StepPlan::build(ScheduleKind::VpLinear, SamplerKind::Ddpm { variance: DdpmVariance::BetaTilde }, 1, Spacing::Uniform);
    let mix = Dataset::Gaussians8.mixture();
    let mut s = CpuSampler::new(plan, ExactMixture::new(&mix), 3, N);
    s.run_steps(1);
    let (data, _) = Dataset::Gaussians8.sample(N, 4);
    assert!(energy_distance(&s.particles, &data) > ACCEPT_FACTOR * energy_distance_null_mean(&data, N, N));
}
