//! Step plans: a sampler as data (DESIGN.md, "one idea carries the whole engine").
//!
//! For a schedule, a sampler and a step count, [`StepPlan::build`] computes,
//! per step, the scalar coefficients of the update
//!
//! ```text
//! x' = c_x · x + c_eps · ε̂(x, t) + c_z · z,     z ~ N(0, I)
//! ```
//!
//! Both backends execute the same plan; neither knows which sampler made it.
//!
//! **DDPM ancestral** (SCIENCE.md §3) on a subsequence `τ_S > … > τ_1 > τ_0 = 0`
//! of the training timesteps: stepping from `t = τ_i` to `s = τ_{i-1}` uses the
//! respaced per-step quantities `α = ᾱ_t / ᾱ_s`, `β = 1 - α`, so
//! `x_s = (x_t - β/σ_t · ε̂) / sqrt(α) + sqrt(v) z` with `v = β̃ = (1-ᾱ_s)/(1-ᾱ_t) · β`
//! (default) or `v = β`; no noise on the last step.

use super::schedule::{ScheduleKind, VpSchedule, T_TRAIN};

/// One step's coefficients, laid out exactly as the WGSL `PlanStep` struct.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct PlanStep {
    /// Network time input of the level the step starts from, `t / T ∈ (0, 1]`.
    pub t: f32,
    /// Signal scale `a_t = sqrt(ᾱ_t)` at the start level.
    pub alpha: f32,
    /// Noise scale `σ_t = sqrt(1 - ᾱ_t)` at the start level.
    pub sigma: f32,
    pub c_x: f32,
    pub c_eps: f32,
    pub c_z: f32,
    pub _pad: [f32; 2],
}

/// How the S sampling levels are picked among the T training timesteps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spacing {
    /// `τ_i = round(i · T / S)`.
    Uniform,
    /// `τ_i = round((i / S)² · T)`: finer steps near the data.
    Quadratic,
}

/// The variance of DDPM's ancestral noise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DdpmVariance {
    /// `β̃_t`, the posterior variance (the better choice at few steps).
    BetaTilde,
    /// `β_t`, the forward variance.
    Beta,
}

/// A sampler with its own parameters. Share-link ids in [`SamplerKind::id`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SamplerKind {
    Ddpm { variance: DdpmVariance },
}

impl SamplerKind {
    pub fn id(&self) -> &'static str {
        match self {
            SamplerKind::Ddpm { .. } => "ddpm",
        }
    }
}

#[derive(Clone, Debug)]
pub struct StepPlan {
    /// Steps in execution order (from noise towards data).
    pub steps: Vec<PlanStep>,
    /// The training timesteps visited, `τ_S, …, τ_1, τ_0 = 0`.
    pub timesteps: Vec<usize>,
    /// Network evaluations per particle per step.
    pub nfe_per_step: u32,
}

/// Increasing timesteps `τ_1 < … < τ_S = T`, strictly increasing even when
/// rounding would repeat a value (so any `S ≤ T` gives S distinct levels).
pub fn timesteps(t_max: usize, steps: usize, spacing: Spacing) -> Vec<usize> {
    assert!(steps >= 1 && steps <= t_max, "steps must be in 1..=T");
    let mut out = Vec::with_capacity(steps);
    for i in 1..=steps {
        let frac = i as f64 / steps as f64;
        let f = match spacing {
            Spacing::Uniform => frac,
            Spacing::Quadratic => frac * frac,
        };
        out.push(((f * t_max as f64).round() as usize).clamp(1, t_max));
    }
    // Make strictly increasing from the bottom while keeping τ_S = T.
    for i in 1..steps {
        if out[i] <= out[i - 1] {
            out[i] = out[i - 1] + 1;
        }
    }
    for i in (0..steps - 1).rev() {
        if out[i] >= out[i + 1] {
            out[i] = out[i + 1] - 1;
        }
    }
    out
}

impl StepPlan {
    pub fn build(schedule: ScheduleKind, sampler: SamplerKind, steps: usize, spacing: Spacing) -> Self {
        let sched = VpSchedule::new(schedule, T_TRAIN);
        let mut taus = timesteps(T_TRAIN, steps, spacing);
        taus.reverse();
        taus.push(0);
        let mut plan_steps = Vec::with_capacity(steps);
        for w in taus.windows(2) {
            let (t, s) = (w[0], w[1]);
            let (ab_t, ab_s) = (sched.alpha_bars[t], sched.alpha_bars[s]);
            let sigma = sched.sigma(t);
            let step = match sampler {
                SamplerKind::Ddpm { variance } => {
                    let alpha_step = ab_t / ab_s;
                    let beta = 1.0 - alpha_step;
                    let last = s == 0;
                    let v = match variance {
                        DdpmVariance::BetaTilde => (1.0 - ab_s) / (1.0 - ab_t) * beta,
                        DdpmVariance::Beta if last => 0.0,
                        DdpmVariance::Beta => beta,
                    };
                    PlanStep {
                        t: t as f32 / T_TRAIN as f32,
                        alpha: sched.alpha(t) as f32,
                        sigma: sigma as f32,
                        c_x: (1.0 / alpha_step.sqrt()) as f32,
                        c_eps: (-beta / (sigma * alpha_step.sqrt())) as f32,
                        c_z: v.sqrt() as f32,
                        _pad: [0.0; 2],
                    }
                }
            };
            plan_steps.push(step);
        }
        StepPlan { steps: plan_steps, timesteps: taus, nfe_per_step: 1 }
    }

    pub fn len(&self) -> usize {
        self.steps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Network evaluations per particle for the whole run.
    pub fn nfe(&self) -> u32 {
        self.nfe_per_step * self.steps.len() as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DDPM: SamplerKind = SamplerKind::Ddpm { variance: DdpmVariance::BetaTilde };

    #[test]
    fn timesteps_are_strict_and_end_at_t() {
        for spacing in [Spacing::Uniform, Spacing::Quadratic] {
            for steps in [1, 2, 3, 7, 50, 200, 999, 1000] {
                let ts = timesteps(1000, steps, spacing);
                assert_eq!(ts.len(), steps);
                assert_eq!(*ts.last().unwrap(), 1000);
                assert!(ts[0] >= 1);
                assert!(ts.windows(2).all(|w| w[0] < w[1]), "{spacing:?} {steps}: {ts:?}");
            }
        }
        assert_eq!(timesteps(1000, 4, Spacing::Uniform), vec![250, 500, 750, 1000]);
        assert_eq!(timesteps(1000, 4, Spacing::Quadratic), vec![63, 250, 563, 1000]);
        assert_eq!(timesteps(1000, 1000, Spacing::Quadratic), (1..=1000).collect::<Vec<_>>());
    }

    #[test]
    fn ddpm_full_steps_match_textbook() {
        // With S = T the respaced step is the textbook one: α = α_t, β = β_t.
        let sched = VpSchedule::new(ScheduleKind::VpLinear, 1000);
        let plan = StepPlan::build(ScheduleKind::VpLinear, DDPM, 1000, Spacing::Uniform);
        assert_eq!(plan.len(), 1000);
        assert_eq!(plan.nfe(), 1000);
        let t = 600;
        let st = plan.steps[1000 - t];
        let beta = sched.betas[t];
        let ab = sched.alpha_bars[t];
        let ab_prev = sched.alpha_bars[t - 1];
        assert!((st.t - 0.6).abs() < 1e-7);
        assert!((st.c_x as f64 - 1.0 / (1.0 - beta).sqrt()).abs() < 1e-6);
        assert!((st.c_eps as f64 + beta / ((1.0 - ab).sqrt() * (1.0 - beta).sqrt())).abs() < 1e-6);
        let beta_tilde = (1.0 - ab_prev) / (1.0 - ab) * beta;
        assert!((st.c_z as f64 - beta_tilde.sqrt()).abs() < 1e-6);
        // The last step adds no noise.
        assert_eq!(plan.steps[999].c_z, 0.0);
        let plan_beta = StepPlan::build(ScheduleKind::VpLinear, SamplerKind::Ddpm { variance: DdpmVariance::Beta }, 1000, Spacing::Uniform);
        assert!((plan_beta.steps[1000 - t].c_z as f64 - beta.sqrt()).abs() < 1e-6);
        assert_eq!(plan_beta.steps[999].c_z, 0.0);
    }

    #[test]
    fn ddpm_posterior_mean_identity() {
        // c_x·x + c_eps·ε equals the posterior mean μ̃_t(x_t, x0) of SCIENCE.md §3
        // when ε is the true noise of x_t = a_t x0 + σ_t ε (checked on a skipped step).
        let sched = VpSchedule::new(ScheduleKind::VpLinear, 1000);
        let plan = StepPlan::build(ScheduleKind::VpLinear, DDPM, 10, Spacing::Uniform);
        let (t, s) = (plan.timesteps[3], plan.timesteps[4]);
        let st = plan.steps[3];
        let (ab_t, ab_s) = (sched.alpha_bars[t], sched.alpha_bars[s]);
        let (alpha_step, x0, eps) = (ab_t / ab_s, 1.3_f64, -0.7_f64);
        let beta = 1.0 - alpha_step;
        let xt = ab_t.sqrt() * x0 + (1.0 - ab_t).sqrt() * eps;
        let mu = ab_s.sqrt() * beta / (1.0 - ab_t) * x0 + alpha_step.sqrt() * (1.0 - ab_s) / (1.0 - ab_t) * xt;
        let ours = st.c_x as f64 * xt + st.c_eps as f64 * eps;
        assert!((ours - mu).abs() < 1e-5, "{ours} vs {mu}");
    }

    #[test]
    fn single_step_is_x0_prediction() {
        // S = 1 jumps from T to 0: x0 = (x_T - σ_T ε̂) / a_T, no noise.
        let sched = VpSchedule::new(ScheduleKind::VpLinear, 1000);
        let plan = StepPlan::build(ScheduleKind::VpLinear, DDPM, 1, Spacing::Uniform);
        let st = plan.steps[0];
        assert!((st.c_x as f64 - 1.0 / sched.alpha(1000)).abs() / st.c_x as f64 <= 1e-6);
        assert!((st.c_eps as f64 + sched.sigma(1000) / sched.alpha(1000)).abs() / (st.c_eps.abs() as f64) < 1e-6);
        assert_eq!(st.c_z, 0.0);
    }
}
