//! Step plans: a sampler as data (DESIGN.md, "one idea carries the whole engine").
//!
//! For a schedule, a sampler and a step count, [`StepPlan::build`] computes,
//! per plan step, the scalar coefficients of one update
//!
//! ```text
//! ε̂ = model(c_in · x, level)                  (guided, see science::guidance)
//! x' = c_x · x + c_eps · ε̂ + c_z · z + c_prev · m,     z ~ N(0, I)
//! m' = x0_x · x + x0_eps · ε̂                  (multistep memory: the step's x̂0)
//! ```
//!
//! and, on Heun steps, a corrector with a second evaluation at the end level.
//! Both backends execute the same plan; neither knows which sampler made it.
//!
//! **Levels and the rescaling** (SCIENCE.md §2). A level of the schedule has
//! scales `(a, σ)` (`x = a x0 + σ ε`). The network was trained on VP levels
//! (`a² + σ² = 1`); any level is served by evaluating it at
//! `c_in · x` with `c_in = 1/sqrt(a² + σ²)`, which is the VP level
//! `(a c_in, σ c_in)` with the same ε. The network time is the continuous VP
//! time with that `ᾱ = (a c_in)²` ([`VpSde::t_of_alpha_bar`]). The score in the
//! schedule's own coordinates is `s = −ε̂/σ`. For VP, `c_in = 1`.
//!
//! The samplers (SCIENCE.md §3), stepping from level t to level s < t on the
//! subsequence `τ_S > … > τ_1 > τ_0 = 0` ([`timesteps`]); with
//! `α_{t|s} = a_t/a_s`, `σ²_{t|s} = σ_t² − α_{t|s}² σ_s²` (for VP:
//! `1 − ᾱ_t/ᾱ_s`, the respaced β) and `x̂0 = (x − σ_t ε̂)/a_t`:
//!
//! - **DDPM ancestral**: the posterior mean
//!   `μ̃ = α_{t|s} σ_s²/σ_t² · x + a_s σ²_{t|s}/σ_t² · x̂0`, plus `sqrt(v) z` with
//!   `v = β̃ = σ²_{t|s} σ_s²/σ_t²` (default) or `v = β = σ²_{t|s}`; no noise on the last step.
//!   For VP this is `x_s = (x_t − β/σ_t · ε̂)/sqrt(α) + sqrt(v) z`.
//! - **DDIM**: `x_s = a_s x̂0 + sqrt(σ_s² − c²) ε̂ + c z`, `c = η sqrt(β̃)`
//!   (for VP, SCIENCE.md's `η sqrt((1−ᾱ_s)/(1−ᾱ_t)) sqrt(1 − ᾱ_t/ᾱ_s)`).
//! - **DPM-Solver++ 2M** (Lu et al. 2022), with `λ = ln(a/σ)`, `h = λ_s − λ_t`:
//!   `x_s = (σ_s/σ_t) x + a_s (1 − e^{−h}) D`, `D = x̂0_t` on the first and
//!   the last step (first order, which is DDIM η = 0), else
//!   `D = (1 + 1/(2r)) x̂0_t − 1/(2r) x̂0_prev`, `r = h_prev/h`. The previous
//!   step's `x̂0` is the per-particle memory `m`.
//! - **Euler–Maruyama** on the reverse SDE and **Euler** on the
//!   probability-flow ODE, in the schedule's continuous time ([`Schedule::sde`]:
//!   `dx = f x dt + g dW`), stepping `Δt` backwards from t with the start
//!   level's values: `x ← (1 − fΔt) x + g² s Δt + g sqrt(Δt) z` (no noise on
//!   the last step) and `x ← (1 − fΔt) x + ½ g² s Δt`. For VP, `f = −½β`, `g² = β`.
//! - **Heun** on the PF-ODE: the Euler step is the predictor `x̃`; the
//!   corrector averages the drifts at both ends, `x ← x + ½(d(x, t) + d(x̃, s))`,
//!   `d(·, s)` from the `*_end` coefficients. Two evaluations a step; the last
//!   step (to τ = 0, where `σ` may vanish) is plain Euler.
//! - **Annealed Langevin** (Song & Ermon 2019) on the S levels `τ_S … τ_1`
//!   (τ = 0, where the score is undefined, is not a level): K iterations per
//!   level of `x ← x + (α_i/2) s + sqrt(α_i) z`, `α_i = ε σ_i²/σ_L²`.
//! - **Predictor–corrector** (Song et al. 2021): each step the Euler–Maruyama
//!   predictor to level s, then (unless s is the data) M Langevin corrector
//!   steps at s, `x ← x + ε s + sqrt(2ε) z` with `ε = 2 a_s² (r ||z|| / ||s||)²`.
//!   The reference code takes the two norms as batch means; here they are
//!   their expectations, `||z|| → sqrt(d)`, `||s|| → sqrt(d)/σ_s` (the noise's
//!   own score), so `ε = 2 a_s² r² σ_s²` is a plan constant and particles stay
//!   independent — the property that lets the kernel fuse many steps.

use super::schedule::{Schedule, ScheduleKind, VpSde, T_TRAIN};

/// One plan step's coefficients, laid out exactly as the WGSL `PlanStep` struct.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct PlanStep {
    /// Index into [`StepPlan::levels`] of the start level (the MLP's time-table row).
    pub level: u32,
    /// Network input scale `1/sqrt(a² + σ²)` at the start level (1 for VP).
    pub c_in: f32,
    /// The VP level the network sees: `a·c_in` and `σ·c_in`.
    pub alpha: f32,
    pub sigma: f32,
    pub c_x: f32,
    pub c_eps: f32,
    pub c_z: f32,
    /// Coefficient on the memory `m` (the previous step's x̂0; DPM-Solver++ 2M).
    pub c_prev: f32,
    /// The memory written by this step: `m' = x0_x · x + x0_eps · ε̂`.
    pub x0_x: f32,
    pub x0_eps: f32,
    /// 1 when the step takes Heun's second evaluation, else 0.
    pub heun: u32,
    /// Heun's second evaluation, at the end level s: its level index, input
    /// scale and VP scales, and the drift there,
    /// `d = (c_x_end − 1)·x̃ + c_eps_end·ε̂(x̃, s)`.
    pub level_end: u32,
    pub c_in_end: f32,
    pub alpha_end: f32,
    pub sigma_end: f32,
    pub c_x_end: f32,
    pub c_eps_end: f32,
    pub pad: [u32; 3],
}

/// How the S sampling levels are picked among the T training timesteps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spacing {
    /// `τ_i = round(i · T / S)`.
    Uniform,
    /// `τ_i = round((i / S)² · T)`: finer steps near the data.
    Quadratic,
}

impl Spacing {
    pub const ALL: [Spacing; 2] = [Spacing::Uniform, Spacing::Quadratic];

    pub fn id(&self) -> &'static str {
        match self {
            Spacing::Uniform => "uniform",
            Spacing::Quadratic => "quadratic",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.id() == id)
    }
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
    /// Euler–Maruyama on the reverse SDE.
    EulerMaruyama,
    /// Euler on the probability-flow ODE (deterministic).
    OdeEuler,
    /// Heun (2nd order) on the probability-flow ODE.
    Heun,
    /// DPM-Solver++ 2M (deterministic, multistep).
    DpmPp2m,
    /// Annealed Langevin: `per_level` iterations per level, step size ε.
    Langevin { per_level: usize, step_size: f64 },
    /// Euler–Maruyama predictor + `correctors` Langevin steps at signal-to-noise ratio `snr`.
    PredictorCorrector { correctors: usize, snr: f64 },
}

impl SamplerKind {
    pub fn id(&self) -> &'static str {
        match self {
            SamplerKind::Ddpm { .. } => "ddpm",
            SamplerKind::Ddim { .. } => "ddim",
            SamplerKind::EulerMaruyama => "em",
            SamplerKind::OdeEuler => "ode_euler",
            SamplerKind::Heun => "heun",
            SamplerKind::DpmPp2m => "dpmpp2m",
            SamplerKind::Langevin { .. } => "langevin",
            SamplerKind::PredictorCorrector { .. } => "pc",
        }
    }
}

#[derive(Clone, Debug)]
pub struct StepPlan {
    /// Steps in execution order (from noise towards data).
    pub steps: Vec<PlanStep>,
    /// Network time of each level the steps refer to ([`PlanStep::level`]).
    pub levels: Vec<f32>,
    /// The training timesteps visited, `τ_S, …, τ_1, τ_0 = 0`.
    pub timesteps: Vec<usize>,
    /// Standard deviation of the initial noise `x_T` (1 for VP, σ_max for VE).
    pub init_scale: f32,
    /// Whether steps read and write the multistep memory (DPM-Solver++ 2M).
    pub multistep: bool,
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

/// Collects steps and the levels they evaluate at.
struct Builder {
    steps: Vec<PlanStep>,
    levels: Vec<f32>,
    last_level: Option<(f64, f64)>,
}

/// The network's view of level `(a, σ)`: `(t_net, c_in, a·c_in, σ·c_in)`.
fn network_level(a: f64, sigma: f64) -> (f32, f32, f32, f32) {
    let c_in = 1.0 / (a * a + sigma * sigma).sqrt();
    let alpha = a * c_in;
    let t = VpSde::default().t_of_alpha_bar(alpha * alpha);
    (t as f32, c_in as f32, alpha as f32, (sigma * c_in) as f32)
}

impl Builder {
    /// Index of level `(a, σ)`, reusing the previous one when it is the same.
    fn level(&mut self, a: f64, sigma: f64) -> u32 {
        if self.last_level != Some((a, sigma)) {
            self.levels.push(network_level(a, sigma).0);
            self.last_level = Some((a, sigma));
        }
        (self.levels.len() - 1) as u32
    }

    /// A one-evaluation step at level `(a, σ)`.
    fn push(&mut self, a: f64, sigma: f64, c_x: f64, c_eps: f64, c_z: f64) -> &mut PlanStep {
        let level = self.level(a, sigma);
        let (_, c_in, alpha, sig) = network_level(a, sigma);
        self.steps.push(PlanStep {
            level,
            c_in,
            alpha,
            sigma: sig,
            c_x: c_x as f32,
            c_eps: c_eps as f32,
            c_z: c_z as f32,
            ..Default::default()
        });
        self.steps.last_mut().unwrap()
    }
}

impl StepPlan {
    pub fn build(schedule: ScheduleKind, sampler: SamplerKind, steps: usize, spacing: Spacing) -> Self {
        let sched = Schedule::new(schedule);
        let mut taus = timesteps(T_TRAIN, steps, spacing);
        taus.reverse();
        taus.push(0);
        let mut b = Builder { steps: Vec::with_capacity(steps), levels: Vec::new(), last_level: None };
        if let SamplerKind::Langevin { per_level, step_size } = sampler {
            let sigma_l = sched.level(taus[steps - 1]).1;
            for &tau in &taus[..steps] {
                let (a, sigma) = sched.level(tau);
                let alpha_i = step_size * sigma * sigma / (sigma_l * sigma_l);
                for _ in 0..per_level {
                    b.push(a, sigma, 1.0, -0.5 * alpha_i / sigma, alpha_i.sqrt());
                }
            }
        }
        // DPM-Solver++: λ of the previous step's start level.
        let mut lambda_prev: Option<f64> = None;
        for w in taus.windows(2) {
            let (t, s) = (w[0], w[1]);
            let last = s == 0;
            let ((a_t, sigma_t), (a_s, sigma_s)) = (sched.level(t), sched.level(s));
            // Respaced one-step quantities: α_{t|s} and σ²_{t|s}.
            let alpha_ts = a_t / a_s;
            let var_ts = sigma_t * sigma_t - alpha_ts * alpha_ts * sigma_s * sigma_s;
            let beta_tilde = var_ts * sigma_s * sigma_s / (sigma_t * sigma_t);
            match sampler {
                SamplerKind::Langevin { .. } => break,
                SamplerKind::Ddpm { variance } => {
                    let v = match variance {
                        DdpmVariance::BetaTilde => beta_tilde,
                        DdpmVariance::Beta if last => 0.0,
                        DdpmVariance::Beta => var_ts,
                    };
                    let c_x = alpha_ts * sigma_s * sigma_s / (sigma_t * sigma_t) + a_s * var_ts / (sigma_t * sigma_t * a_t);
                    b.push(a_t, sigma_t, c_x, -a_s * var_ts / (sigma_t * a_t), v.max(0.0).sqrt());
                }
                SamplerKind::Ddim { eta } => {
                    let c = eta * beta_tilde.max(0.0).sqrt();
                    // max(0): rounding can make σ_s² − c² a hair negative at η = 1.
                    let dir = (sigma_s * sigma_s - c * c).max(0.0).sqrt();
                    b.push(a_t, sigma_t, a_s / a_t, dir - a_s * sigma_t / a_t, c);
                }
                SamplerKind::DpmPp2m => {
                    let lambda_t = (a_t / sigma_t).ln();
                    // K = a_s (1 − e^{−h}), e^{−h} = a_t σ_s / (a_s σ_t).
                    let k = a_s - a_t * sigma_s / sigma_t;
                    let (c_d, c_prev) = match lambda_prev {
                        Some(lp) if !last => {
                            let h = (a_s / sigma_s).ln() - lambda_t;
                            let r = (lambda_t - lp) / h;
                            (k * (1.0 + 0.5 / r), -k * 0.5 / r)
                        }
                        _ => (k, 0.0),
                    };
                    let st = b.push(a_t, sigma_t, sigma_s / sigma_t + c_d / a_t, -c_d * sigma_t / a_t, 0.0);
                    st.c_prev = c_prev as f32;
                    st.x0_x = (1.0 / a_t) as f32;
                    st.x0_eps = (-sigma_t / a_t) as f32;
                    lambda_prev = Some(lambda_t);
                }
                SamplerKind::EulerMaruyama | SamplerKind::OdeEuler | SamplerKind::Heun | SamplerKind::PredictorCorrector { .. } => {
                    let (tc, ts) = (sched.time(t), sched.time(s));
                    let dt = tc - ts;
                    let (f, g2) = sched.sde(tc);
                    let (a, sigma) = sched.continuous(tc);
                    // Drift weight on the score: g² for the SDE, ½g² for the ODE.
                    let (score_w, noise) = match sampler {
                        SamplerKind::OdeEuler | SamplerKind::Heun => (0.5 * g2, 0.0),
                        _ if last => (g2, 0.0),
                        _ => (g2, (g2 * dt).sqrt()),
                    };
                    b.push(a, sigma, 1.0 - f * dt, -score_w * dt / sigma, noise);
                    if sampler == SamplerKind::Heun && !last {
                        let (f_s, g2_s) = sched.sde(ts);
                        let (a_e, sigma_e) = sched.continuous(ts);
                        let level_end = b.level(a_e, sigma_e);
                        let (_, c_in, alpha, sig) = network_level(a_e, sigma_e);
                        let st = b.steps.last_mut().unwrap();
                        st.heun = 1;
                        st.level_end = level_end;
                        st.c_in_end = c_in;
                        st.alpha_end = alpha;
                        st.sigma_end = sig;
                        st.c_x_end = (1.0 - f_s * dt) as f32;
                        st.c_eps_end = (-0.5 * g2_s * dt / sigma_e) as f32;
                    }
                    if let SamplerKind::PredictorCorrector { correctors, snr } = sampler {
                        if !last {
                            let (a_e, sigma_e) = sched.continuous(ts);
                            let eps = 2.0 * a_e * a_e * snr * snr * sigma_e * sigma_e;
                            for _ in 0..correctors {
                                b.push(a_e, sigma_e, 1.0, -eps / sigma_e, (2.0 * eps).sqrt());
                            }
                        }
                    }
                }
            }
        }
        StepPlan {
            steps: b.steps,
            levels: b.levels,
            timesteps: taus,
            init_scale: sched.prior_scale() as f32,
            multistep: sampler == SamplerKind::DpmPp2m,
        }
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
        self.steps[..steps_done.min(self.steps.len())].iter().map(|s| 1 + s.heun).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::science::schedule::VpSchedule;

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
        assert!((plan.levels[st.level as usize] - 0.6).abs() < 2e-3);
        assert_eq!((st.c_in, st.c_prev, st.heun), (1.0, 0.0, 0));
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
        assert_eq!(heun.steps[49].heun, 0);
        // The levels are shared: step i ends where step i + 1 starts.
        assert_eq!(heun.levels, euler.levels);
        // The predictor is the Euler step; the end coefficients are Euler's at the next level.
        for i in 0..49 {
            let (h, e, e_next) = (heun.steps[i], euler.steps[i], euler.steps[i + 1]);
            assert_eq!((h.c_x, h.c_eps, h.c_z), (e.c_x, e.c_eps, e.c_z));
            assert_eq!((h.alpha_end, h.sigma_end, h.level_end), (e_next.alpha, e_next.sigma, e_next.level));
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

    /// `x_τ = a_τ x0 + σ_τ ε` on the schedule's discrete levels.
    fn on_path(sched: &Schedule, tau: usize, x0: f64, eps: f64) -> f64 {
        let (a, s) = sched.level(tau);
        a * x0 + s * eps
    }

    #[test]
    fn first_order_and_dpmpp_land_on_the_path_with_true_noise() {
        // With ε̂ the true noise of x_t = a_t x0 + σ_t ε, DDIM(η=0) and
        // DPM-Solver++ 2M land exactly on x_s = a_s x0 + σ_s ε, on every schedule
        // (x̂0 is the true x0 at every step, so the 2M extrapolation is exact too).
        for kind in ScheduleKind::ALL {
            let sched = Schedule::new(kind);
            for sampler in [SamplerKind::Ddim { eta: 0.0 }, SamplerKind::DpmPp2m] {
                let plan = StepPlan::build(kind, sampler, 12, Spacing::Quadratic);
                let (x0, eps) = (0.8f64, 1.7f64);
                let mut memory = 0.0;
                for (i, st) in plan.steps.iter().enumerate() {
                    let (t, s) = (plan.timesteps[i], plan.timesteps[i + 1]);
                    let xt = on_path(&sched, t, x0, eps);
                    let xs = st.c_x as f64 * xt + st.c_eps as f64 * eps + st.c_prev as f64 * memory;
                    memory = st.x0_x as f64 * xt + st.x0_eps as f64 * eps;
                    let want = on_path(&sched, s, x0, eps);
                    let tol = 2e-5 * (1.0 + xt.abs() + (st.c_x as f64 * xt).abs());
                    assert!((xs - want).abs() < tol, "{kind:?} {sampler:?} step {i}: {xs} vs {want}");
                    if sampler == SamplerKind::DpmPp2m {
                        assert!((memory - x0).abs() < 1e-4 * (1.0 + xt.abs() / sched.level(t).0), "memory is x̂0");
                    }
                }
                assert_eq!(plan.multistep, sampler == SamplerKind::DpmPp2m);
            }
        }
    }

    #[test]
    fn dpmpp2m_second_order_coefficients_by_hand() {
        // Step 2 of 4 uniform VP-linear steps: t = 500, s = 250, previous start 750.
        let sched = Schedule::new(ScheduleKind::VpLinear);
        let plan = StepPlan::build(ScheduleKind::VpLinear, SamplerKind::DpmPp2m, 4, Spacing::Uniform);
        assert_eq!(plan.timesteps, vec![1000, 750, 500, 250, 0]);
        let lam = |tau| {
            let (a, s) = sched.level(tau);
            f64::ln(a / s)
        };
        let ((a_t, s_t), (a_s, s_s)) = (sched.level(500), sched.level(250));
        let h = lam(250) - lam(500);
        let r = (lam(500) - lam(750)) / h;
        let k = a_s * (1.0 - (-h).exp());
        let st = plan.steps[2];
        assert!((st.c_x as f64 - (s_s / s_t + k * (1.0 + 0.5 / r) / a_t)).abs() < 1e-5);
        assert!((st.c_eps as f64 + k * (1.0 + 0.5 / r) * s_t / a_t).abs() < 1e-5);
        assert!((st.c_prev as f64 + k * 0.5 / r).abs() < 1e-5);
        // First and last steps are first order (no memory term).
        assert_eq!((plan.steps[0].c_prev, plan.steps[3].c_prev), (0.0, 0.0));
        assert_eq!(plan.nfe(), 4);
    }

    #[test]
    fn langevin_levels_and_step_sizes() {
        let (k, eps) = (3, 2e-5);
        let plan = StepPlan::build(ScheduleKind::Ve, SamplerKind::Langevin { per_level: k, step_size: eps }, 10, Spacing::Uniform);
        let sched = Schedule::new(ScheduleKind::Ve);
        assert_eq!((plan.len(), plan.nfe(), plan.levels.len()), (30, 30, 10));
        assert_eq!(plan.init_scale, 20.0);
        let sigma_l = sched.level(100).1;
        for (i, tau) in (1..=10).rev().map(|j| j * 100).enumerate() {
            let sigma = sched.level(tau).1;
            let alpha_i = eps * sigma * sigma / (sigma_l * sigma_l);
            for st in &plan.steps[k * i..k * (i + 1)] {
                assert_eq!(st.level as usize, i);
                assert_eq!(st.c_x, 1.0);
                assert!((st.c_z as f64 - alpha_i.sqrt()).abs() < 1e-6 * alpha_i.sqrt());
                // (α_i/2)·s with s = −ε̂/σ.
                assert!((st.c_eps as f64 + 0.5 * alpha_i / sigma).abs() < 1e-6 * (0.5 * alpha_i / sigma));
                // VE rescaling: the network sees x / sqrt(1 + σ²) at VP level (c_in, σ c_in).
                let c_in = 1.0 / (1.0 + sigma * sigma).sqrt();
                assert!((st.c_in as f64 - c_in).abs() < 1e-6 * c_in && (st.alpha - st.c_in).abs() == 0.0);
                assert!((st.sigma as f64 - sigma * c_in).abs() < 1e-6);
            }
        }
        // The last level's step is ε itself.
        assert!((plan.steps[29].c_z as f64 - eps.sqrt()).abs() < 1e-9);
    }

    #[test]
    fn predictor_corrector_steps() {
        let (m, r) = (2, 0.16);
        let pc = StepPlan::build(ScheduleKind::VpLinear, SamplerKind::PredictorCorrector { correctors: m, snr: r }, 10, Spacing::Uniform);
        let em = StepPlan::build(ScheduleKind::VpLinear, SamplerKind::EulerMaruyama, 10, Spacing::Uniform);
        // S predictors, M correctors after each but the last.
        assert_eq!((pc.len(), pc.nfe()), (10 + 2 * 9, 28));
        let sched = Schedule::new(ScheduleKind::VpLinear);
        for i in 0..10 {
            let p = pc.steps[i * (m + 1)];
            assert_eq!((p.c_x, p.c_eps, p.c_z), (em.steps[i].c_x, em.steps[i].c_eps, em.steps[i].c_z));
            if i < 9 {
                let (a, sigma) = sched.continuous(sched.time(em.timesteps[i + 1]));
                let eps = 2.0 * a * a * r * r * sigma * sigma;
                for c in &pc.steps[i * (m + 1) + 1..(i + 1) * (m + 1)] {
                    assert_eq!((c.level, c.c_x), (em.steps[i + 1].level, 1.0));
                    assert!((c.c_eps as f64 + eps / sigma).abs() < 1e-6 * eps / sigma);
                    assert!((c.c_z as f64 - (2.0 * eps).sqrt()).abs() < 1e-6 * (2.0 * eps).sqrt());
                }
            }
        }
    }

    #[test]
    fn ve_and_cosine_coefficients_by_hand() {
        // VE DDPM is SMLD's reverse diffusion: x_s = x + (σ_t² − σ_s²) s + sqrt(β̃) z.
        let ve = Schedule::new(ScheduleKind::Ve);
        let plan = StepPlan::build(ScheduleKind::Ve, DDPM, 5, Spacing::Uniform);
        let ((_, st_), (_, ss)) = (ve.level(600), ve.level(400));
        let step = plan.steps[2];
        assert!((step.c_x - 1.0).abs() < 1e-6);
        assert!((step.c_eps as f64 + (st_ * st_ - ss * ss) / st_).abs() < 1e-5 * st_);
        assert!((step.c_z as f64 - ((st_ * st_ - ss * ss) * ss * ss / (st_ * st_)).sqrt()).abs() < 1e-5);
        // VE Euler–Maruyama: g² = 2σ² ln(σ_max/σ_min), no drift on x.
        let em = StepPlan::build(ScheduleKind::Ve, SamplerKind::EulerMaruyama, 5, Spacing::Uniform);
        let g2 = 2.0 * st_ * st_ * (20.0f64 / 0.01).ln();
        assert_eq!(em.steps[2].c_x, 1.0);
        assert!((em.steps[2].c_eps as f64 + g2 * 0.2 / st_).abs() < 1e-5 * g2 * 0.2 / st_);
        assert!((em.steps[2].c_z as f64 - (g2 * 0.2).sqrt()).abs() < 1e-5);
        // Cosine DDPM uses the discrete cosine ᾱ; its network time is the VP time of that ᾱ.
        let cos = VpSchedule::new(ScheduleKind::VpCosine, 1000);
        let plan = StepPlan::build(ScheduleKind::VpCosine, DDPM, 4, Spacing::Uniform);
        let st = plan.steps[1];
        assert!((st.alpha as f64 - cos.alpha(750)).abs() < 1e-6);
        let t_net = VpSde::default().t_of_alpha_bar(cos.alpha_bars[750]);
        assert!((plan.levels[st.level as usize] as f64 - t_net).abs() < 1e-6);
        // Cosine ODE: β(t) = π tan(φ)/(1 + s) at t = τ/T · t_max.
        let ode = StepPlan::build(ScheduleKind::VpCosine, SamplerKind::OdeEuler, 4, Spacing::Uniform);
        let tm = crate::science::schedule::cosine_t_max();
        let t = 0.5 * tm;
        let beta = std::f64::consts::PI * ((t + 0.008) / 1.008 * std::f64::consts::FRAC_PI_2).tan() / 1.008;
        assert!((ode.steps[2].c_x as f64 - (1.0 + 0.5 * beta * 0.25 * tm)).abs() < 1e-6);
    }
}
