//! Noise schedules of the forward process (SCIENCE.md §1).
//!
//! Every schedule is read by the samplers through one view, [`Schedule`]:
//! a signal scale `a` and a noise scale `σ` per level (`x_t = a_t x0 + σ_t ε`;
//! VP has `a² + σ² = 1`, VE has `a = 1`), and the SDE `dx = f(t) x dt + g(t) dW`
//! in continuous time. The VP-trained network serves VE levels by the
//! rescaling of SCIENCE.md §2 (see `science::plan`).
//!
//! Convention, stated once: time runs **forward from data to noise**. Discrete
//! index `t ∈ {0, …, T}` with `t = 0` the data (`ᾱ_0 = 1`) and `t = T` the
//! most-noised level; samplers walk `t` downwards. The network's time input
//! is the continuous VP time `t ∈ [0, 1]` of [`VpSde`] at the same noise level
//! (`ᾱ(t) = ᾱ_τ`, see [`VpSde::t_of_alpha_bar`]), so one trained network
//! serves every schedule. Values are computed in f64 and handed to the
//! kernels as f32 coefficients.

/// Number of discrete training timesteps of the DDPM schedules.
pub const T_TRAIN: usize = 1000;

/// Which noise schedule. Ids ([`ScheduleKind::id`]) are the share-link values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScheduleKind {
    /// β linear from 1e-4 to 0.02 over T = 1000 (Ho et al. 2020).
    VpLinear,
    /// Nichol & Dhariwal (2021): `ᾱ(t) = f(t)/f(0)`, `f(t) = cos²((t/T + s)/(1 + s) · π/2)`.
    VpCosine,
    /// Variance exploding (SMLD/NCSN): `x_t = x0 + σ(t) ε`, `σ(t) = σ_min (σ_max/σ_min)^t`.
    Ve,
}

impl ScheduleKind {
    pub const ALL: [ScheduleKind; 3] = [ScheduleKind::VpLinear, ScheduleKind::VpCosine, ScheduleKind::Ve];

    pub fn id(&self) -> &'static str {
        match self {
            ScheduleKind::VpLinear => "vp_linear",
            ScheduleKind::VpCosine => "vp_cosine",
            ScheduleKind::Ve => "ve",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.id() == id)
    }
}

/// VE noise range: σ_max exceeds the diameter of the toy sets (≈ 11.3 for
/// [−4, 4]²), σ_min is far below any feature of the data.
pub const VE_SIGMA_MIN: f64 = 0.01;
pub const VE_SIGMA_MAX: f64 = 20.0;

/// The cosine schedule's s, and its continuous-time cap: like DPM-Solver's
/// continuous cosine schedule, time ends where `β(t)` reaches 999 (the
/// discrete schedule's clip of β_t at 0.999 per step of 1/1000), at
/// `t_max = 2(1+s)/π · atan(999 (1+s)/π) − s ≈ 0.998`.
const COSINE_S: f64 = 0.008;
const COSINE_BETA_MAX: f64 = 999.0;

/// A discrete VP schedule: `β_1..β_T` and the cumulative `ᾱ_0..ᾱ_T`.
#[derive(Clone, Debug)]
pub struct VpSchedule {
    /// `betas[t]` is `β_t` for `t = 1..=T`; `betas[0] = 0` pads the index.
    pub betas: Vec<f64>,
    /// `alpha_bars[t] = Π_{s ≤ t} (1 - β_s)`, with `alpha_bars[0] = 1`.
    pub alpha_bars: Vec<f64>,
}

impl VpSchedule {
    pub fn new(kind: ScheduleKind, t_max: usize) -> Self {
        assert!(t_max >= 1);
        let mut betas = vec![0.0; t_max + 1];
        match kind {
            ScheduleKind::VpLinear => {
                // SCIENCE.md §1: rescale both ends by 1000/T for other T.
                let scale = 1000.0 / t_max as f64;
                let (b0, b1) = (1e-4 * scale, 0.02 * scale);
                for (t, beta) in betas.iter_mut().enumerate().skip(1) {
                    let frac = if t_max == 1 { 0.0 } else { (t - 1) as f64 / (t_max - 1) as f64 };
                    *beta = b0 + frac * (b1 - b0);
                }
            }
            ScheduleKind::Ve => panic!("VE has no discrete β-schedule (see Schedule)"),
            ScheduleKind::VpCosine => {
                let s = COSINE_S;
                let f = |t: f64| {
                    let v = ((t / t_max as f64 + s) / (1.0 + s) * core::f64::consts::FRAC_PI_2).cos();
                    v * v
                };
                for (t, beta) in betas.iter_mut().enumerate().skip(1) {
                    let ab_t = f(t as f64) / f(0.0);
                    let ab_prev = f((t - 1) as f64) / f(0.0);
                    *beta = (1.0 - ab_t / ab_prev).min(0.999);
                }
            }
        }
        let mut alpha_bars = vec![1.0; t_max + 1];
        for t in 1..=t_max {
            alpha_bars[t] = alpha_bars[t - 1] * (1.0 - betas[t]);
        }
        Self { betas, alpha_bars }
    }

    pub fn t_max(&self) -> usize {
        self.betas.len() - 1
    }

    /// Signal scale `a_t = sqrt(ᾱ_t)`.
    pub fn alpha(&self, t: usize) -> f64 {
        self.alpha_bars[t].sqrt()
    }

    /// Noise scale `σ_t = sqrt(1 - ᾱ_t)`.
    pub fn sigma(&self, t: usize) -> f64 {
        (1.0 - self.alpha_bars[t]).sqrt()
    }
}

/// The continuous VP SDE (Song et al. 2021) `dx = −½β(t)x dt + sqrt(β(t)) dW`,
/// `β(t) = β_min + t(β_max − β_min)`, `t ∈ [0, 1]`: the continuous-time limit of
/// [`ScheduleKind::VpLinear`] (T·β_1 = 0.1, T·β_T = 20), used by the SDE/ODE samplers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VpSde {
    pub beta_min: f64,
    pub beta_max: f64,
}

impl Default for VpSde {
    fn default() -> Self {
        Self { beta_min: 0.1, beta_max: 20.0 }
    }
}

impl VpSde {
    pub fn beta(&self, t: f64) -> f64 {
        self.beta_min + t * (self.beta_max - self.beta_min)
    }

    /// `ᾱ(t) = exp(−(β_min t + ½(β_max − β_min) t²))`.
    pub fn alpha_bar(&self, t: f64) -> f64 {
        (-(self.beta_min * t + 0.5 * (self.beta_max - self.beta_min) * t * t)).exp()
    }

    /// The time at which `ᾱ(t)` equals `alpha_bar`: the positive root of
    /// `½Δ t² + β_min t = −ln ᾱ`, `Δ = β_max − β_min`, clamped to `[0, 1]`
    /// (levels noisier than `ᾱ(1) ≈ 4e-5` are pure noise to the network).
    pub fn t_of_alpha_bar(&self, alpha_bar: f64) -> f64 {
        let l = -alpha_bar.ln();
        let delta = self.beta_max - self.beta_min;
        let t = (-self.beta_min + (self.beta_min * self.beta_min + 2.0 * delta * l).sqrt()) / delta;
        t.clamp(0.0, 1.0)
    }
}

/// The view of a schedule every sampler reads (module docs): discrete levels
/// on the grid `τ ∈ {0, …, T}` (τ = 0 is the data) and the continuous SDE at
/// the grid's times.
#[derive(Clone, Debug)]
pub struct Schedule {
    pub kind: ScheduleKind,
    /// The discrete β-schedule (VP kinds only).
    discrete: Option<VpSchedule>,
}

impl Schedule {
    pub fn new(kind: ScheduleKind) -> Self {
        let discrete = (kind != ScheduleKind::Ve).then(|| VpSchedule::new(kind, T_TRAIN));
        Self { kind, discrete }
    }

    /// `(a_τ, σ_τ)` of discrete level τ: the β-schedule's `sqrt(ᾱ_τ)`,
    /// `sqrt(1 − ᾱ_τ)` for VP, `(1, σ(τ/T))` for VE; τ = 0 is the data `(1, 0)`.
    pub fn level(&self, tau: usize) -> (f64, f64) {
        match &self.discrete {
            Some(d) => (d.alpha(tau), d.sigma(tau)),
            None if tau == 0 => (1.0, 0.0),
            None => (1.0, self.continuous(self.time(tau)).1),
        }
    }

    /// Continuous time of grid index τ: `τ/T`, scaled by `t_max` for cosine.
    pub fn time(&self, tau: usize) -> f64 {
        let u = tau as f64 / T_TRAIN as f64;
        match self.kind {
            ScheduleKind::VpCosine => u * cosine_t_max(),
            _ => u,
        }
    }

    /// `(a(t), σ(t))` of the continuous process.
    pub fn continuous(&self, t: f64) -> (f64, f64) {
        match self.kind {
            ScheduleKind::Ve => (1.0, VE_SIGMA_MIN * (VE_SIGMA_MAX / VE_SIGMA_MIN).powf(t)),
            _ => {
                let ab = self.alpha_bar(t);
                (ab.sqrt(), (1.0 - ab).sqrt())
            }
        }
    }

    fn alpha_bar(&self, t: f64) -> f64 {
        match self.kind {
            ScheduleKind::VpCosine => cosine_f(t) / cosine_f(0.0),
            _ => VpSde::default().alpha_bar(t),
        }
    }

    /// The forward SDE `dx = f(t) x dt + g(t) dW` at time t: `(f, g²)`, with
    /// `f = d ln a/dt` and `g² = dσ²/dt − 2 f σ²` (SCIENCE.md §1): VP has
    /// `f = −½β(t)`, `g² = β(t)`; VE has `f = 0`, `g² = 2σ² ln(σ_max/σ_min)`.
    pub fn sde(&self, t: f64) -> (f64, f64) {
        match self.kind {
            ScheduleKind::VpLinear => {
                let beta = VpSde::default().beta(t);
                (-0.5 * beta, beta)
            }
            ScheduleKind::VpCosine => {
                let phi = (t + COSINE_S) / (1.0 + COSINE_S) * core::f64::consts::FRAC_PI_2;
                let beta = core::f64::consts::PI * phi.tan() / (1.0 + COSINE_S);
                (-0.5 * beta, beta)
            }
            ScheduleKind::Ve => {
                let sigma = self.continuous(t).1;
                (0.0, 2.0 * sigma * sigma * (VE_SIGMA_MAX / VE_SIGMA_MIN).ln())
            }
        }
    }

    /// Standard deviation of the prior `x_T ~ N(0, s² I)` the samplers start from:
    /// 1 for VP, σ_max for VE.
    pub fn prior_scale(&self) -> f64 {
        match self.kind {
            ScheduleKind::Ve => VE_SIGMA_MAX,
            _ => 1.0,
        }
    }
}

fn cosine_f(t: f64) -> f64 {
    let v = ((t + COSINE_S) / (1.0 + COSINE_S) * core::f64::consts::FRAC_PI_2).cos();
    v * v
}

/// The cosine schedule's continuous end time, where `β(t) = 999`.
pub fn cosine_t_max() -> f64 {
    2.0 * (1.0 + COSINE_S) / core::f64::consts::PI * (COSINE_BETA_MAX * (1.0 + COSINE_S) / core::f64::consts::PI).atan() - COSINE_S
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_of_alpha_bar_inverts_alpha_bar() {
        let sde = VpSde::default();
        for t in [0.0, 1e-3, 0.1, 0.5, 0.93, 1.0] {
            assert!((sde.t_of_alpha_bar(sde.alpha_bar(t)) - t).abs() < 1e-9, "{t}");
        }
        assert_eq!(sde.t_of_alpha_bar(1e-9), 1.0);
        // The discrete linear schedule sits within 1e-3 of its continuous limit.
        let sched = VpSchedule::new(ScheduleKind::VpLinear, 1000);
        for tau in [1, 10, 500, 1000] {
            assert!((sde.t_of_alpha_bar(sched.alpha_bars[tau]) - tau as f64 / 1000.0).abs() < 1e-3, "{tau}");
        }
    }

    #[test]
    fn linear_closed_form() {
        let s = VpSchedule::new(ScheduleKind::VpLinear, T_TRAIN);
        assert_eq!(s.t_max(), 1000);
        assert!((s.betas[1] - 1e-4).abs() < 1e-15);
        assert!((s.betas[1000] - 0.02).abs() < 1e-15);
        assert!((s.betas[500] - (1e-4 + 499.0 / 999.0 * (0.02 - 1e-4))).abs() < 1e-15);
        // ᾱ_T for the linear schedule: log ᾱ_T = Σ log(1-β_t) ≈ -10.0 (ᾱ_T ≈ 4.04e-5).
        let log_ab: f64 = (1..=1000).map(|t| (1.0 - s.betas[t]).ln()).sum();
        assert!((s.alpha_bars[1000].ln() - log_ab).abs() < 1e-9);
        assert!((s.alpha_bars[1000] - 4.036e-5).abs() < 1e-7, "{}", s.alpha_bars[1000]);
        for t in 0..=1000 {
            let (a, sg) = (s.alpha(t), s.sigma(t));
            assert!((a * a + sg * sg - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn vp_sde_is_the_limit_of_the_linear_schedule() {
        let (sde, disc) = (VpSde::default(), VpSchedule::new(ScheduleKind::VpLinear, T_TRAIN));
        // log ᾱ_disc = Σ log(1 − β_s) = −Σ β_s − O(Σ β_s²), and Σ β_s is a Riemann sum
        // of ∫β(u)du whose per-step error is below (β_max − β_min)/T² (β_s samples
        // β at (s−1)/(T−1), not over [(s−1)/T, s/T]). So |log ratio| ≤ Σ β_s² + t·19.9/T².
        for t in [0usize, 1, 100, 500, 1000] {
            let (a, b) = (sde.alpha_bar(t as f64 / 1000.0), disc.alpha_bars[t]);
            let bound: f64 = disc.betas[1..=t].iter().map(|b| b * b).sum::<f64>() + t as f64 * 19.9 / 1e6;
            assert!((a.ln() - b.ln()).abs() <= bound, "t={t}: {a} vs {b}, bound {bound}");
        }
        // dᾱ/dt = −β(t) ᾱ(t), checked by central differences.
        let (t, h) = (0.37, 1e-6);
        let d = (sde.alpha_bar(t + h) - sde.alpha_bar(t - h)) / (2.0 * h);
        assert!((d + sde.beta(t) * sde.alpha_bar(t)).abs() < 1e-8);
    }

    #[test]
    fn linear_rescaled_for_other_t() {
        let s = VpSchedule::new(ScheduleKind::VpLinear, 100);
        assert!((s.betas[1] - 1e-3).abs() < 1e-15);
        assert!((s.betas[100] - 0.2).abs() < 1e-15);
    }

    #[test]
    fn continuous_sde_matches_its_scales() {
        // f = d ln a/dt and g² = dσ²/dt − 2fσ², by central differences, for every kind.
        for kind in ScheduleKind::ALL {
            let s = Schedule::new(kind);
            for t in [0.05, 0.3, 0.7, 0.95] {
                let h = 1e-6;
                let ((a1, s1), (a2, s2)) = (s.continuous(t - h), s.continuous(t + h));
                let f = (a2.ln() - a1.ln()) / (2.0 * h);
                let (_, sg) = s.continuous(t);
                let g2 = (s2 * s2 - s1 * s1) / (2.0 * h) - 2.0 * f * sg * sg;
                let (f_want, g2_want) = s.sde(t);
                assert!((f - f_want).abs() < 1e-5 * (1.0 + f.abs()), "{kind:?} t={t}: f {f} vs {f_want}");
                assert!((g2 - g2_want).abs() < 1e-5 * (1.0 + g2.abs()), "{kind:?} t={t}: g² {g2} vs {g2_want}");
            }
        }
        let t_max = cosine_t_max();
        assert!((t_max - 0.998).abs() < 1e-4, "{t_max}");
        assert!((Schedule::new(ScheduleKind::VpCosine).sde(t_max).1 - 999.0).abs() < 1e-6);
        let ve = Schedule::new(ScheduleKind::Ve);
        assert_eq!(ve.level(0), (1.0, 0.0));
        assert!((ve.level(1000).1 - 20.0).abs() < 1e-9 && (ve.continuous(0.0).1 - 0.01).abs() < 1e-12);
        assert_eq!((ve.prior_scale(), Schedule::new(ScheduleKind::VpCosine).prior_scale()), (20.0, 1.0));
        assert_eq!(ScheduleKind::from_id("vp_cosine"), Some(ScheduleKind::VpCosine));
        assert_eq!(ScheduleKind::from_id("nope"), None);
    }

    #[test]
    fn cosine_closed_form() {
        let s = VpSchedule::new(ScheduleKind::VpCosine, T_TRAIN);
        let f = |t: f64| ((t / 1000.0 + 0.008) / 1.008 * core::f64::consts::FRAC_PI_2).cos().powi(2);
        // Away from the clipped end the cumulative product equals f(t)/f(0).
        for t in [1usize, 10, 250, 500, 900] {
            assert!((s.alpha_bars[t] - f(t as f64) / f(0.0)).abs() < 1e-12, "t={t}");
        }
        assert!(s.betas.iter().all(|&b| b <= 0.999));
        assert!((s.betas[1000] - 0.999).abs() < 1e-12, "last β is clipped");
    }
}
