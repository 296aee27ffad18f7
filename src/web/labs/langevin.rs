//! The Langevin lab (`lab=langevin`; issue 14, seed 004): chains of
//! preconditioned Langevin dynamics on an anisotropic Gaussian (or a
//! two-component mixture), with the right noise `2εM` or the tempting wrong
//! `2εM²`, a smoothing strength λ on the drift, and what the analysis of
//! science::langevin predicts beside what the chains do. The config and the
//! figures are pure (tested natively); the wasm part drives a canvas.

use serde::Serialize;

use crate::engine::langevin::Target;
use crate::science::langevin::{ess_per_step, first_order_covariance, stability_limit, stationary_covariance, Preconditioner, Sym2, Update};
use crate::web::labs::{unknown_key, LabConfig, Presentation, Range};

/// Most chains.
pub const N_MAX: usize = 262_144;

/// The lab's link state.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LangevinConfig {
    /// "gaussian" or "mixture".
    pub target: String,
    /// The Gaussian's condition number: variances 1 and 1/κ.
    pub kappa: f64,
    /// The long axis' angle in degrees.
    pub angle: f64,
    pub eps: f64,
    /// "none", "diagonal" or "covariance" (science::langevin::Preconditioner).
    pub precond: String,
    /// "right" (2εM) or "wrong" (2εM²).
    pub noise: String,
    /// The drift's smoothing strength.
    pub lambda: f64,
    pub n: usize,
    pub seed: u32,
    /// Chain steps per animation frame.
    pub speed: u32,
    #[serde(flatten)]
    pub view: Presentation,
}

impl Default for LangevinConfig {
    fn default() -> Self {
        Self {
            target: "gaussian".into(),
            kappa: 25.0,
            angle: 30.0,
            eps: 0.02,
            precond: "none".into(),
            noise: "right".into(),
            lambda: 1.0,
            n: 4000,
            seed: 1,
            speed: 4,
            view: Presentation::default(),
        }
    }
}

impl LabConfig for LangevinConfig {
    const ID: &'static str = "langevin";
    const NAME: &'static str = "Langevin lab";
    const RANGES: &'static [(&'static str, Range)] = &[
        ("target", Range::Choice { ids: &["gaussian", "mixture"] }),
        ("kappa", Range::Float { min: 1.0, max: 1000.0 }),
        ("angle", Range::Float { min: -90.0, max: 90.0 }),
        ("eps", Range::Float { min: 1e-5, max: 10.0 }),
        ("precond", Range::Choice { ids: &["none", "diagonal", "covariance"] }),
        ("noise", Range::Choice { ids: &["right", "wrong"] }),
        ("lambda", Range::Float { min: 0.05, max: 1.0 }),
        ("n", Range::Int { min: 1, max: N_MAX as u64 }),
        ("seed", Range::Int { min: 0, max: u32::MAX as u64 }),
        ("speed", Range::Int { min: 1, max: 1000 }),
    ];

    fn set_own(&mut self, key: &str, value: &str) -> Result<(), String> {
        match key {
            "target" => Self::choice(key, value).map(|v| self.target = v),
            "kappa" => Self::float(key, value).map(|v| self.kappa = v),
            "angle" => Self::float(key, value).map(|v| self.angle = v),
            "eps" => Self::float(key, value).map(|v| self.eps = v),
            "precond" => Self::choice(key, value).map(|v| self.precond = v),
            "noise" => Self::choice(key, value).map(|v| self.noise = v),
            "lambda" => Self::float(key, value).map(|v| self.lambda = v),
            "n" => Self::int(key, value).map(|v| self.n = v as usize),
            "seed" => Self::int(key, value).map(|v| self.seed = v as u32),
            "speed" => Self::int(key, value).map(|v| self.speed = v as u32),
            _ => unknown_key::<Self>(),
        }
    }

    fn own_pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("target", self.target.clone()),
            ("kappa", self.kappa.to_string()),
            ("angle", self.angle.to_string()),
            ("eps", self.eps.to_string()),
            ("precond", self.precond.clone()),
            ("noise", self.noise.clone()),
            ("lambda", self.lambda.to_string()),
            ("n", self.n.to_string()),
            ("seed", self.seed.to_string()),
            ("speed", self.speed.to_string()),
        ]
    }

    fn presentation(&self) -> &Presentation {
        &self.view
    }

    fn presentation_mut(&mut self) -> &mut Presentation {
        &mut self.view
    }
}

impl LangevinConfig {
    /// What the chains sample: the Gaussian of variances 1 and 1/κ along the
    /// angle, or two components of variance 0.1 at ±1.5 along it.
    pub fn target(&self) -> Target {
        let a = self.angle.to_radians();
        match self.target.as_str() {
            "mixture" => {
                let u = [1.5 * a.cos(), 1.5 * a.sin()];
                Target::Mixture { means: [u, [-u[0], -u[1]]], var: 0.1 }
            }
            _ => Target::Gaussian { sigma: Sym2::from_eigen(1.0, 1.0 / self.kappa, a) },
        }
    }

    /// The metric M (from the target's covariance) and the update's matrices.
    pub fn update(&self) -> (Sym2, Update) {
        let pre = Preconditioner::from_id(&self.precond).unwrap_or(Preconditioner::Identity);
        let m = pre.metric(&self.target().covariance());
        (m, Update::new(&m, self.eps, self.lambda, self.noise == "wrong"))
    }
}

/// The lab's figures (README: "Labs"; the automation API's `labFigures()`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LangevinFigures {
    pub step: u32,
    pub n: usize,
    /// The chains' empirical covariance, the target's, and what the analysis
    /// predicts: the exact stationary covariance of the linear chain and its
    /// first-order approximation (Gaussian target only; none when unstable).
    pub covariance: Sym2,
    pub target_covariance: Sym2,
    pub stationary_covariance: Option<Sym2>,
    pub first_order_covariance: Option<Sym2>,
    /// Relative Frobenius error of the empirical covariance against the target's.
    pub covariance_error: f64,
    /// The largest stable step (for the mixture: inside one component, where
    /// −log p curves most), and whether ε is below it.
    pub stability_limit: f64,
    pub stable: bool,
    /// Effective samples per 1 000 steps of one chain along its slowest
    /// direction (Gaussian target; 0 when unstable), and the curve against ε.
    pub ess: Option<f64>,
    pub ess_curve: EssCurve,
    pub non_finite: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EssCurve {
    pub eps: Vec<f64>,
    pub ess: Vec<f64>,
}

/// The figures of `cfg` for chains at `points` after `step` steps.
pub fn figures(cfg: &LangevinConfig, points: &[[f32; 2]], step: u32) -> LangevinFigures {
    let target = cfg.target();
    let sigma = target.covariance();
    let (m, up) = cfg.update();
    // The step's limit comes from the stiffest curvature of −log p: the
    // Gaussian's Σ⁻¹, or inside one of the mixture's components (var·I)⁻¹
    // (the mixture's global covariance would overstate it many times).
    let stiffness = match target {
        Target::Gaussian { sigma } => sigma,
        Target::Mixture { var, .. } => Sym2 { xx: var, xy: 0.0, yy: var },
    };
    let limit = stability_limit(&stiffness, &m, cfg.lambda);
    let gaussian = matches!(target, Target::Gaussian { .. });
    let chain = crate::engine::langevin::LangevinChain { target, gain: up.gain, noise: up.noise, seed: cfg.seed, step, x: points.to_vec() };
    let (covariance, non_finite) = chain.covariance();
    let ess_at = |eps: f64| 1000.0 * ess_per_step(Update::new(&m, eps, cfg.lambda, cfg.noise == "wrong").transition(&sigma));
    let eps: Vec<f64> = (0..=48).map(|k| limit * 10f64.powf(-3.0 + 3.1 * k as f64 / 48.0)).collect();
    LangevinFigures {
        step,
        n: points.len(),
        covariance,
        target_covariance: sigma,
        stationary_covariance: if gaussian { stationary_covariance(up.transition(&sigma), &up.noise_cov) } else { None },
        first_order_covariance: gaussian.then(|| first_order_covariance(&sigma, &m, cfg.lambda, cfg.noise == "wrong")),
        covariance_error: covariance.relative_error(&sigma),
        stability_limit: limit,
        stable: cfg.eps < limit,
        ess: gaussian.then(|| ess_at(cfg.eps)),
        ess_curve: EssCurve { ess: if gaussian { eps.iter().map(|&e| ess_at(e)).collect() } else { Vec::new() }, eps },
        non_finite,
    }
}

/// The 2σ ellipse of a covariance as a closed polyline (finite entries only).
pub fn ellipse(c: &Sym2, segments: usize) -> Vec<[f32; 2]> {
    if !(c.xx.is_finite() && c.xy.is_finite() && c.yy.is_finite()) || c.xx <= 0.0 || c.yy <= 0.0 {
        return Vec::new();
    }
    let (l1, l2) = c.eigenvalues();
    let angle = if c.xy.abs() < 1e-300 && c.xx >= c.yy { 0.0 } else { (l1 - c.xx).atan2(c.xy) };
    let (a, b) = (2.0 * l1.max(0.0).sqrt(), 2.0 * l2.max(0.0).sqrt());
    let (s, co) = angle.sin_cos();
    (0..=segments)
        .map(|k| {
            let t = std::f64::consts::TAU * k as f64 / segments as f64;
            let (x, y) = (a * t.cos(), b * t.sin());
            [(co * x - s * y) as f32, (s * x + co * y) as f32]
        })
        .collect()
}

#[cfg(all(target_arch = "wasm32", feature = "labs"))]
mod page;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::langevin::LangevinChain;

    #[test]
    fn the_link_round_trips_and_bad_values_are_ignored_with_reasons() {
        let (cfg, ignored) = LangevinConfig::from_fragment("#lab=langevin&kappa=100&eps=0.005&precond=covariance&noise=wrong&lambda=0.5&n=500&seed=9&embed=1");
        assert!(ignored.is_empty(), "{ignored:?}");
        assert_eq!((cfg.kappa, cfg.eps, cfg.precond.as_str(), cfg.noise.as_str(), cfg.lambda, cfg.n, cfg.seed, cfg.view.embed), (100.0, 0.005, "covariance", "wrong", 0.5, 500, 9, true));
        assert_eq!(LangevinConfig::from_fragment(&cfg.to_fragment()).0, cfg);
        let (bad, ignored) = LangevinConfig::from_fragment("lab=langevin&eps=-1&precond=magic&kappa=abc&dataset=moons");
        assert_eq!(bad, LangevinConfig::default());
        let keys: Vec<&str> = ignored.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(keys, ["eps", "precond", "kappa", "dataset"]);
        assert!(ignored[1].reason.contains("none, diagonal, covariance"));
    }

    /// The default lab: chains at stationarity match the exact prediction
    /// within 4 standard errors (20 000 chains); ε past the limit is flagged
    /// unstable with no stationary covariance and no ESS; the mixture target
    /// has no linear analysis.
    #[test]
    fn figures_follow_the_analysis() {
        let mut cfg = LangevinConfig { n: 20_000, ..Default::default() };
        let (_, up) = cfg.update();
        let mut chain = LangevinChain::new(cfg.target(), up.gain, up.noise, cfg.seed, cfg.n);
        chain.run_steps(600);
        let f = figures(&cfg, &chain.x, chain.step);
        let want = f.stationary_covariance.unwrap();
        let se = ((want.xx * want.xx * 2.0) / cfg.n as f64).sqrt();
        assert!(f.stable && (f.covariance.xx - want.xx).abs() < 4.0 * se, "{f:?}");
        assert!(f.ess.unwrap() > 0.0 && f.ess_curve.eps.len() == 49 && f.ess_curve.ess.iter().any(|v| *v == 0.0));
        assert!((f.stability_limit - 2.0 / cfg.kappa).abs() < 1e-9);
        cfg.eps = 1.5 * f.stability_limit;
        let g = figures(&cfg, &chain.x, 0);
        assert!(!g.stable && g.stationary_covariance.is_none() && g.ess == Some(0.0));
        cfg.target = "mixture".into();
        let h = figures(&cfg, &chain.x, 0);
        assert!(h.stationary_covariance.is_none() && h.ess.is_none() && h.ess_curve.ess.is_empty());
        // The mixture's limit is its components' (variance 0.1): with M = Σ (global,
        // 2.35 along the axis) ε = 0.2 is past it, and the chains do diverge.
        cfg.precond = "covariance".into();
        cfg.eps = 0.2;
        let (_, up) = cfg.update();
        let mut wild = LangevinChain::new(cfg.target(), up.gain, up.noise, 1, 500);
        wild.run_steps(300);
        let f = figures(&cfg, &wild.x, wild.step);
        assert!(!f.stable && f.stability_limit < 0.1, "{}", f.stability_limit);
        assert!(f.non_finite > 0 || wild.x.iter().any(|p| p[0].abs() > 1e3), "the chains should diverge");
        cfg.eps = 0.5 * f.stability_limit;
        let (_, up) = cfg.update();
        let mut calm = LangevinChain::new(cfg.target(), up.gain, up.noise, 1, 500);
        calm.run_steps(300);
        assert!(figures(&cfg, &calm.x, calm.step).stable && calm.x.iter().all(|p| p[0].abs() < 10.0));
    }

    #[test]
    fn the_ellipse_is_two_standard_deviations_along_the_axes() {
        let c = Sym2::from_eigen(4.0, 1.0, 0.3);
        let e = ellipse(&c, 64);
        let r: Vec<f32> = e.iter().map(|p| (p[0] * p[0] + p[1] * p[1]).sqrt()).collect();
        let (lo, hi) = (r.iter().cloned().fold(f32::MAX, f32::min), r.iter().cloned().fold(0.0f32, f32::max));
        assert!((hi - 4.0).abs() < 0.01 && (lo - 2.0).abs() < 0.05, "{lo} {hi}");
        let far = e.iter().max_by(|a, b| (a[0].hypot(a[1])).total_cmp(&b[0].hypot(b[1]))).unwrap();
        assert!((far[1].atan2(far[0]).rem_euclid(std::f32::consts::PI) - 0.3).abs() < 0.05, "{far:?}");
        assert!(ellipse(&Sym2 { xx: f64::NAN, xy: 0.0, yy: 1.0 }, 8).is_empty());
    }
}
