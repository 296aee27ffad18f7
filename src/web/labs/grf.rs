//! The Gaussian random field lab (`lab=grf`; issue 14, seed 004): many
//! `n × n` fields with power spectrum `P(k) = k^−α` sampled by Langevin or
//! annealed Langevin with the FFT score `s = −IDFT(DFT(x)/P)`
//! (science::grf), on WebGPU (shaders/grf.wgsl) or the CPU twin; the fields
//! drawn as images, and their measured isotropic spectrum against `P(k)` and
//! against the run's exact expectation. The config and figures are pure
//! (tested natively); the wasm part drives a canvas.

#[cfg(all(target_arch = "wasm32", feature = "labs"))]
mod page;

use serde::Serialize;

use crate::science::grf::{Fft, Sampler, Schedule, Shells, Spectrum};
use crate::web::labs::{unknown_key, LabConfig, Presentation, Range};

/// The lab's link state.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GrfConfig {
    /// Field side: 64 or 128.
    pub n: usize,
    /// The spectrum's exponent: `P(k) = k^−α`.
    pub alpha: f64,
    pub fields: usize,
    /// "annealed" or "langevin".
    pub sampler: String,
    pub steps: usize,
    /// Annealed Langevin's noise levels.
    pub levels: usize,
    /// The step as a fraction of each level's stability limit `2(P_min + σ²)`.
    pub fraction: f64,
    pub seed: u32,
    /// Steps per animation frame (the CPU takes fewer when a frame would run long).
    pub speed: usize,
    #[serde(flatten)]
    pub view: Presentation,
}

impl Default for GrfConfig {
    fn default() -> Self {
        Self { n: 64, alpha: 2.5, fields: 16, sampler: "annealed".into(), steps: 1000, levels: 20, fraction: 0.05, seed: 1, speed: 20, view: Presentation::default() }
    }
}

impl LabConfig for GrfConfig {
    const ID: &'static str = "grf";
    const NAME: &'static str = "Gaussian random field lab";
    const RANGES: &'static [(&'static str, Range)] = &[
        ("n", Range::Choice { ids: &["64", "128"] }),
        ("alpha", Range::Float { min: 0.0, max: 4.0 }),
        ("fields", Range::Int { min: 1, max: 64 }),
        ("sampler", Range::Choice { ids: &["annealed", "langevin"] }),
        ("steps", Range::Int { min: 1, max: 20_000 }),
        ("levels", Range::Int { min: 1, max: 100 }),
        ("fraction", Range::Float { min: 0.001, max: 0.99 }),
        ("seed", Range::Int { min: 0, max: u32::MAX as u64 }),
        ("speed", Range::Int { min: 1, max: 500 }),
    ];

    fn set_own(&mut self, key: &str, value: &str) -> Result<(), String> {
        match key {
            "n" => Self::choice(key, value).map(|v| self.n = v.parse().expect("a size")),
            "alpha" => Self::float(key, value).map(|v| self.alpha = v),
            "fields" => Self::int(key, value).map(|v| self.fields = v as usize),
            "sampler" => Self::choice(key, value).map(|v| self.sampler = v),
            "steps" => Self::int(key, value).map(|v| self.steps = v as usize),
            "levels" => Self::int(key, value).map(|v| self.levels = v as usize),
            "fraction" => Self::float(key, value).map(|v| self.fraction = v),
            "seed" => Self::int(key, value).map(|v| self.seed = v as u32),
            "speed" => Self::int(key, value).map(|v| self.speed = v as usize),
            _ => unknown_key::<Self>(),
        }
    }

    fn own_pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("n", self.n.to_string()),
            ("alpha", self.alpha.to_string()),
            ("fields", self.fields.to_string()),
            ("sampler", self.sampler.clone()),
            ("steps", self.steps.to_string()),
            ("levels", self.levels.to_string()),
            ("fraction", self.fraction.to_string()),
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

impl GrfConfig {
    pub fn sampler(&self) -> Sampler {
        match self.sampler.as_str() {
            "langevin" => Sampler::Langevin { fraction: self.fraction },
            _ => Sampler::Annealed { levels: self.levels, fraction: self.fraction },
        }
    }

    pub fn schedule(&self) -> Schedule {
        Schedule::new(self.sampler(), self.steps, self.n, self.alpha)
    }

    /// Whether two configs sample the same run (the speed and the view aside).
    pub fn same_run(&self, other: &Self) -> bool {
        let quiet = |c: &Self| Self { speed: 0, view: Presentation::default(), ..c.clone() };
        quiet(self) == quiet(other)
    }
}

/// What the lab reports (`labFigures()`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GrfFigures {
    pub step: usize,
    pub steps: usize,
    pub fields: usize,
    #[serde(flatten)]
    pub spectrum: Spectrum,
    /// `Σ z²` of the measured spectrum against the run's expectation, over `shells` shells.
    pub chi2: f64,
    pub shells: usize,
    /// The largest `|measured/P − 1|` over the shells (how far from the target it still is).
    pub worst_relative_error: f64,
}

/// The figures of `fields` (the run's current state) after `step` steps.
pub fn figures(cfg: &GrfConfig, schedule: &Schedule, fields: &[f32], step: usize) -> GrfFigures {
    let (shells, fft) = (Shells::new(cfg.n), Fft::new(cfg.n));
    let spectrum = Spectrum::measure(fields, &shells, &fft, cfg.alpha, schedule, step);
    let (chi2, _) = spectrum.chi_square(&spectrum.expected_power);
    let worst_relative_error = spectrum.power.iter().zip(&spectrum.target_power).map(|(p, t)| (p / t - 1.0).abs()).fold(0.0, f64::max);
    GrfFigures { step, steps: schedule.steps.len(), fields: fields.len() / (cfg.n * cfg.n), shells: spectrum.k.len(), spectrum, chi2, worst_relative_error }
}

/// The target's standard deviation per pixel: `√(Σ_k P(k))/n`.
pub fn pixel_sd(n: usize, alpha: f64) -> f64 {
    crate::science::grf::power_table(n, alpha).iter().map(|&p| p as f64).sum::<f64>().sqrt() / n as f64
}

/// The first fields (at most 16, in a square of tiles) as an RGBA image of
/// `width²` pixels, coloured by `x/σ_pixel` on the perceptual ramp (±3σ
/// at its ends).
pub fn field_image(fields: &[f32], n: usize, sd: f64, width: usize) -> Vec<u8> {
    let count = (fields.len() / (n * n)).min(16);
    let side = (1..=4).find(|t| t * t >= count).unwrap_or(4);
    let tile = width / side;
    let mut img = vec![0u8; width * width * 4];
    let scale = 1.0 / (6.0 * sd) as f32;
    for py in 0..width {
        for px in 0..width {
            let (tx, ty) = (px / tile, py / tile);
            let f = ty * side + tx;
            let at = (py * width + px) * 4;
            if tx >= side || ty >= side || f >= count {
                continue;
            }
            let (i, j) = ((py % tile) * n / tile, (px % tile) * n / tile);
            let rgb = crate::web::render::ramp(0.5 + fields[f * n * n + i * n + j] * scale);
            img[at..at + 3].copy_from_slice(&rgb);
            img[at + 3] = 255;
        }
    }
    img
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::grf::GrfRun;

    #[test]
    fn fields_are_drawn_as_tiles() {
        // Four 2 × 2 fields: tiles of 4 × 4 pixels in a 2 × 2 square; the value 0 is the ramp's middle.
        let mut fields = vec![0.0f32; 16];
        fields[4] = 100.0; // field 1, pixel (0, 0): the ramp's top end
        let img = field_image(&fields, 2, 1.0, 8);
        let px = |x: usize, y: usize| [img[(y * 8 + x) * 4], img[(y * 8 + x) * 4 + 1], img[(y * 8 + x) * 4 + 2], img[(y * 8 + x) * 4 + 3]];
        assert_eq!(px(0, 0)[..3], crate::web::render::ramp(0.5));
        assert_eq!(px(4, 0)[..3], crate::web::render::ramp(1.0));
        assert_eq!(px(6, 0)[..3], crate::web::render::ramp(0.5), "field 1's pixel (0, 1)");
        assert_eq!(px(7, 7)[3], 255);
        assert!((pixel_sd(64, 0.0) - 1.0).abs() < 1e-9, "white noise: P = 1 everywhere");
    }

    #[test]
    fn the_link_round_trips_and_bad_values_are_ignored() {
        let (cfg, ignored) = GrfConfig::from_fragment("#lab=grf&n=128&alpha=3&fields=8&sampler=langevin&steps=500&levels=10&fraction=0.2&seed=4&speed=5");
        assert!(ignored.is_empty(), "{ignored:?}");
        assert_eq!((cfg.n, cfg.fields, cfg.sampler.as_str()), (128, 8, "langevin"));
        assert_eq!(GrfConfig::from_fragment(&cfg.to_fragment()).0, cfg);
        let (bad, ignored) = GrfConfig::from_fragment("lab=grf&n=100&fields=0&sampler=gibbs&fraction=2");
        assert_eq!(bad, GrfConfig::default());
        assert_eq!(ignored.iter().map(|i| i.key.as_str()).collect::<Vec<_>>(), ["n", "fields", "sampler", "fraction"]);
    }

    /// The default lab, run to the end on the CPU twin: the spectrum is the
    /// run's closed form (χ² within its bar, as in engine::grf's test) and
    /// within the expected bias plus noise of P(k) on every shell.
    #[test]
    fn the_default_run_reaches_the_target_spectrum() {
        let cfg = GrfConfig::default();
        let schedule = cfg.schedule();
        let mut run = GrfRun::new(cfg.n, cfg.fields, cfg.alpha, cfg.seed, schedule.clone());
        run.run_steps(cfg.steps);
        let f = figures(&cfg, &schedule, &run.x, run.step);
        assert_eq!((f.step, f.steps, f.fields, f.shells), (1000, 1000, 16, 31));
        assert!(f.chi2 < 63.0, "{}", f.chi2);
        // Shell 1 holds 2 modes × 16 fields: its relative standard error is 1/√32 ≈ 0.18.
        assert!(f.worst_relative_error < 0.1 + 4.0 * 0.18, "{}", f.worst_relative_error);
    }
}
