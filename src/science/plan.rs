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
//!
//! **DDIM** (Song, Meng, Ermon 2021) on the same subsequence:
//! `x_s = a_s x̂0 + sqrt(1 − ᾱ_s − c²) ε̂ + c z`, `x̂0 = (x_t − σ_t ε̂)/a_t`,
//! `c = η sqrt((1−ᾱ_s)/(1−ᾱ_t)) sqrt(1 − ᾱ_t/ᾱ_s)`; η = 1 is DDPM with β̃.
//!
//! **Euler–Maruyama** on the reverse VP SDE and **Euler** on the
//! probability-flow ODE use the continuous [`VpSde`] at `t = τ/T`, stepping
//! `Δt = (τ_i − τ_{i−1})/T` backwards with the score `s = −ε̂/σ_t`:
//! `x ← x + [½β x + β s] Δt + sqrt(β Δt) z` (no noise on the last step) and
//! `x ← x + [½β x + ½β s] Δt`.
//!
//! **Heun** on the probability-flow ODE: the Euler step above is the
//! predictor `x̃`; the corrector averages the drifts at both ends,
//! `x ← x + ½(d(x, t) + d(x̃, s))`, with `d(·, s)` from the `*_end`
//! coefficients. Two network evaluations a step; the last step (to `s = 0`,
//! where `σ_s = 0` and the drift's ε̂/σ form is undefined) is plain Euler.

use super::schedule::{ScheduleKind, VpSchedule, VpSde, T_TRAIN};

/// One step's coefficients, laid out exactly as the WGSL `PlanStep` struct.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct PlanStep {
    /// Network time input of the level the step starts from: the continuous
    /// VP time with the same `ᾱ` ([`VpSde::t_of_alpha_bar`]).
    pub t: f32,
    /// Signal scale `a_t = sqrt(ᾱ_t)` at the start level.
    pub alpha: f32,
    /// Noise scale `σ_t = sqrt(1 - ᾱ_t)` at the start level.
    pub sigma: f32,
    pub c_x: f32,
    pub c_eps: f32,
    pub c_z: f32,
    /// Heun's second evaluation, at the end level s: `a_s`, `σ_s`, and the
    /// drift coefficients there (`d = (c_x_end − 1)·x̃ + c_eps_end·ε̂(x̃, s)`).
    pub alpha_end: f32,
    pub sigma_end: f32,
    pub c_x_end: f32,
    pub c_eps_end: f32,
    /// 1.0 when the step takes Heun's second evaluation, else 0.0.
    pub heun: f32,
    /// Network time input of the end level (Heun's second evaluation).
    pub t_end: f32,
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
    /// DDIM with stochasticity η ∈ [0, 1].
    Ddim { eta: f64 },
    /// Euler–Maruyama on the reverse VP SDE.
    EulerMaruyama,
    /// Euler on the probability-flow ODE (deterministic).
    OdeEuler,
    /// Heun (2nd order) on the probability-flow ODE.
    Heun,
}

impl SamplerKind {
    pub fn id(&self) -> &'static str {
        match self {
            SamplerKind::Ddpm { .. } => "ddpm",
            SamplerKind::Ddim { .. } => "ddim",
            SamplerKind::EulerMaruyama => "em",
            SamplerKind::OdeEuler => "ode_euler",
            SamplerKind::Heun => "heun",
        }
    }
}

#[derive(Clone, Debug)]
pub struct StepPlan {
    /// Steps in execution order (from noise towards data).
    pub steps: Vec<PlanStep>,
    /// The training timesteps visited, `τ_S, …, τ_1, τ_0 = 0`.
    pub timesteps: Vec<usize>,
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

fn step_at(alpha: f64, sigma: f64, c_x: f64, c_eps: f64, c_z: f64) -> PlanStep {
    PlanStep {
        t: VpSde::default().t_of_alpha_bar(alpha * alpha) as f32,
        alpha: alpha as f32,
        sigma: sigma as f32,
        c_x: c_x as f32,
        c_eps: c_eps as f32,
        c_z: c_z as f32,
        alpha_end: 0.0,
        sigma_end: 0.0,
        c_x_end: 0.0,
        c_eps_end: 0.0,
        heun: 0.0,
        t_end: 0.0,
    }
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
                    step_at(sched.alpha(t), sigma, 1.0 / alpha_step.sqrt(), -beta / (sigma * alpha_step.sqrt()), v.sqrt())
                }
                SamplerKind::Ddim { eta } => {
                    let c = eta * ((1.0 - ab_s) / (1.0 - ab_t)).sqrt() * (1.0 - ab_t / ab_s).sqrt();
                    let (a_t, a_s) = (ab_t.sqrt(), ab_s.sqrt());
                    // max(0): rounding can make 1 − ᾱ_s − c² a hair negative at η = 1.
                    let dir = (1.0 - ab_s - c * c).max(0.0).sqrt();
                    step_at(a_t, sigma, a_s / a_t, dir - a_s * sigma / a_t, c)
                }
                SamplerKind::EulerMaruyama | SamplerKind::OdeEuler | SamplerKind::Heun => {
                    let sde = VpSde::default();
                    let tc = t as f64 / T_TRAIN as f64;
                    let dt = (t - s) as f64 / T_TRAIN as f64;
                    let beta = sde.beta(tc);
                    let ab = sde.alpha_bar(tc);
                    let sig = (1.0 - ab).sqrt();
                    // Drift weight on the score: β for the SDE, ½β for the ODE.
                    let (score_w, noise) = match sampler {
                        SamplerKind::EulerMaruyama if s > 0 => (beta, (beta * dt).sqrt()),
                        SamplerKind::EulerMaruyama => (beta, 0.0),
                        _ => (0.5 * beta, 0.0),
                    };
                    let mut st = step_at(ab.sqrt(), sig, 1.0 + 0.5 * beta * dt, -score_w * dt / sig, noise);
                    if sampler == SamplerKind::Heun && s > 0 {
                        let ts = s as f64 / T_TRAIN as f64;
                        let (beta_s, ab_s) = (sde.beta(ts), sde.alpha_bar(ts));
                        let sig_s = (1.0 - ab_s).sqrt();
                        st.alpha_end = ab_s.sqrt() as f32;
                        st.sigma_end = sig_s as f32;
                        st.c_x_end = (1.0 + 0.5 * beta_s * dt) as f32;
                        st.c_eps_end = (-0.5 * beta_s * dt / sig_s) as f32;
                        st.heun = 1.0;
                        st.t_end = ts as f32;
                    }
                    st
                }
            };
            plan_steps.push(step);
        }
        StepPlan { steps: plan_steps, timesteps: taus }
    }

    pub fn len(&self) -> usize {
        self.steps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Network evaluations per particle for the whole run.
    pub fn nfe(&self) -> u32 {
        self.nfe_through(self.steps.len())
    }

    /// Network evaluations per particle for the first `steps_done` steps.
    pub fn nfe_through(&self, steps_done: usize) -> u32 {
        self.steps[..steps_done.min(self.steps.len())].iter().map(|s| 1 + (s.heun != 0.0) as u32).sum()
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
        // The network time is the continuous VP time at the same ᾱ: close to t/T
        // (the discrete Σ −ln(1 − β) exceeds ∫β by about Σβ²/2 ≈ 0.014 here, i.e. 1.2e-3 in t).
        assert!((st.t - 0.6).abs() < 2e-3);
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
    fn ddim_eta_one_is_ddpm_with_posterior_variance() {
        for steps in [1, 7, 100] {
            let a = StepPlan::build(ScheduleKind::VpLinear, DDPM, steps, Spacing::Quadratic);
            let b = StepPlan::build(ScheduleKind::VpLinear, SamplerKind::Ddim { eta: 1.0 }, steps, Spacing::Quadratic);
            for (x, y) in a.steps.iter().zip(&b.steps) {
                for (u, v) in [(x.c_x, y.c_x), (x.c_eps, y.c_eps), (x.c_z, y.c_z)] {
                    assert!((u - v).abs() <= 2e-5 * (1.0 + u.abs()), "{steps} steps: {x:?} vs {y:?}");
                }
            }
        }
    }

    #[test]
    fn ddim_eta_zero_is_deterministic_and_exact_on_true_noise() {
        // With ε̂ the true noise of x_t = a_t x0 + σ_t ε, DDIM(η=0) lands exactly on
        // x_s = a_s x0 + σ_s ε (SCIENCE.md §3).
        let sched = VpSchedule::new(ScheduleKind::VpLinear, 1000);
        let plan = StepPlan::build(ScheduleKind::VpLinear, SamplerKind::Ddim { eta: 0.0 }, 10, Spacing::Uniform);
        assert!(plan.steps.iter().all(|s| s.c_z == 0.0));
        let (x0, eps) = (0.8f64, 1.7f64);
        for (i, st) in plan.steps.iter().enumerate() {
            let (t, s) = (plan.timesteps[i], plan.timesteps[i + 1]);
            let xt = sched.alpha(t) * x0 + sched.sigma(t) * eps;
            let xs = st.c_x as f64 * xt + st.c_eps as f64 * eps;
            let want = sched.alpha(s) * x0 + sched.sigma(s) * eps;
            assert!((xs - want).abs() < 1e-4, "step {i}: {xs} vs {want}");
        }
    }

    #[test]
    fn em_and_ode_coefficients_by_hand() {
        // t = 0.5, Δt = 0.01 (100 uniform steps): β = 0.1 + 0.5·19.9 = 10.05.
        let sde = VpSde::default();
        let (beta, dt) = (10.05f64, 0.01f64);
        let ab = sde.alpha_bar(0.5);
        let sig = (1.0 - ab).sqrt();
        let em = StepPlan::build(ScheduleKind::VpLinear, SamplerKind::EulerMaruyama, 100, Spacing::Uniform);
        let ode = StepPlan::build(ScheduleKind::VpLinear, SamplerKind::OdeEuler, 100, Spacing::Uniform);
        let (e, o) = (em.steps[50], ode.steps[50]);
        assert_eq!(em.timesteps[50], 500);
        assert!((e.c_x as f64 - (1.0 + 0.5 * beta * dt)).abs() < 1e-6);
        assert!((e.c_eps as f64 + beta * dt / sig).abs() < 1e-6);
        assert!((e.c_z as f64 - (beta * dt).sqrt()).abs() < 1e-6);
        assert!((o.c_x - e.c_x).abs() < 1e-7);
        assert!((o.c_eps as f64 + 0.5 * beta * dt / sig).abs() < 1e-6);
        assert!(ode.steps.iter().all(|s| s.c_z == 0.0), "the PF-ODE is deterministic");
        assert_eq!(em.steps[99].c_z, 0.0, "no noise on the last EM step");
    }

    #[test]
    fn heun_takes_two_evaluations_except_the_last_step() {
        let heun = StepPlan::build(ScheduleKind::VpLinear, SamplerKind::Heun, 50, Spacing::Uniform);
        let euler = StepPlan::build(ScheduleKind::VpLinear, SamplerKind::OdeEuler, 50, Spacing::Uniform);
        assert_eq!(heun.nfe(), 99);
        assert_eq!(heun.nfe_through(10), 20);
        assert_eq!(heun.steps[49].heun, 0.0);
        // The predictor is the Euler step; the end coefficients are Euler's at the next level.
        for i in 0..49 {
            let (h, e, e_next) = (heun.steps[i], euler.steps[i], euler.steps[i + 1]);
            assert_eq!((h.c_x, h.c_eps, h.c_z), (e.c_x, e.c_eps, e.c_z));
            assert_eq!((h.alpha_end, h.sigma_end), (e_next.alpha, e_next.sigma));
            assert!((h.t_end - e_next.t).abs() < 1e-6);
            // Uniform spacing: the same Δt at both ends, so the end drift is the next Euler step's.
            assert!((h.c_x_end - e_next.c_x).abs() < 1e-6 && (h.c_eps_end - e_next.c_eps).abs() < 1e-5 * e_next.c_eps.abs());
        }
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
