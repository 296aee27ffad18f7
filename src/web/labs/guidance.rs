//! The guidance lab (`lab=guidance`; issue 14, seeds 000, 003, 004): a
//! sweep of the guidance strength (`w` of classifier-free guidance or `g`
//! of classifier guidance) for one dataset and class, charted against
//! strength — diversity (log det), mean norm, anisotropy, class accuracy and
//! the distance to the class's data, with the overshoot region marked — and
//! seed 000's fairness toy: the group-mean gap `D(λ)` against the fidelity
//! loss `F(λ)` (science::guidance states both). The config, the job list and
//! the figures are pure (tested natively); the wasm part runs the jobs in
//! time slices (the sweep on WebGPU when the browser has it) and draws.

#[cfg(all(target_arch = "wasm32", feature = "labs"))]
mod page;

use serde::Serialize;

use crate::model::ScoreModel;
use crate::science::datasets::Dataset;
use crate::science::guidance::{fidelity_loss, group_gap, overshoot_start, strengths, sweep_point, FairnessPoint, SweepPoint, CFG_W_MAX, CLASSIFIER_G_MAX};
use crate::science::mixture::Mixture;
use crate::web::labs::{unknown_key, LabConfig, Presentation, Range};

/// The fairness toy's strengths λ.
pub const FAIRNESS_LAMBDAS: [f64; 8] = [0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0];
/// Particles per group in the fairness toy (it steps every particle together on the CPU).
pub const FAIRNESS_N: usize = 200;
/// Draws of the class's data the distance is measured against.
pub const REFERENCE_N: usize = 1000;

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GuidanceConfig {
    pub dataset: String,
    pub class: u32,
    /// "learned" (the pretrained network and its classifier) or "exact".
    pub model: String,
    /// "cfg" or "classifier".
    pub guidance: String,
    /// The sweep's largest strength.
    pub max: f64,
    /// Samples per strength.
    pub n: usize,
    /// DDIM steps.
    pub steps: usize,
    pub seed: u32,
    /// The fairness toy's groups (two classes) and the feature's direction in degrees.
    pub group_a: u32,
    pub group_b: u32,
    pub angle: f64,
    /// "auto" (WebGPU unless it is a CPU emulation, where the CPU is faster), "webgpu" or "cpu".
    pub backend: String,
    #[serde(flatten)]
    pub view: Presentation,
}

impl Default for GuidanceConfig {
    fn default() -> Self {
        Self {
            dataset: "gaussians8".into(),
            class: 0,
            model: "learned".into(),
            guidance: "cfg".into(),
            max: 12.0,
            n: 1000,
            steps: 25,
            seed: 1,
            group_a: 0,
            group_b: 4,
            angle: 0.0,
            backend: "auto".into(),
            view: Presentation::default(),
        }
    }
}

impl LabConfig for GuidanceConfig {
    const ID: &'static str = "guidance";
    const NAME: &'static str = "guidance lab";
    const RANGES: &'static [(&'static str, Range)] = &[
        ("dataset", Range::Dataset),
        ("class", Range::Int { min: 0, max: 24 }),
        ("model", Range::Choice { ids: &["learned", "exact"] }),
        ("guidance", Range::Choice { ids: &["cfg", "classifier"] }),
        ("max", Range::Float { min: 0.5, max: CLASSIFIER_G_MAX }),
        ("n", Range::Int { min: 50, max: 5000 }),
        ("steps", Range::Int { min: 2, max: 200 }),
        ("seed", Range::Int { min: 0, max: u32::MAX as u64 }),
        ("groupA", Range::Int { min: 0, max: 24 }),
        ("groupB", Range::Int { min: 0, max: 24 }),
        ("angle", Range::Float { min: -180.0, max: 180.0 }),
        ("backend", Range::Choice { ids: &["auto", "webgpu", "cpu"] }),
    ];

    fn set_own(&mut self, key: &str, value: &str) -> Result<(), String> {
        match key {
            "dataset" => {
                self.dataset = Self::choice(key, value)?;
                // A new dataset keeps the class and groups it has, else takes its first ones.
                let classes = self.dataset().num_classes() as u32;
                if self.class >= classes {
                    self.class = 0;
                }
                if self.group_a >= classes || self.group_b >= classes {
                    (self.group_a, self.group_b) = (0, 1);
                }
                Ok(())
            }
            "class" => Self::int(key, value).map(|v| self.class = v as u32),
            "model" => Self::choice(key, value).map(|v| self.model = v),
            "guidance" => Self::choice(key, value).map(|v| self.guidance = v),
            "max" => Self::float(key, value).map(|v| self.max = v),
            "n" => Self::int(key, value).map(|v| self.n = v as usize),
            "steps" => Self::int(key, value).map(|v| self.steps = v as usize),
            "seed" => Self::int(key, value).map(|v| self.seed = v as u32),
            // Choosing the other group's class swaps the two (they stay different).
            "groupA" => Self::int(key, value).map(|v| {
                if v as u32 == self.group_b {
                    self.group_b = self.group_a;
                }
                self.group_a = v as u32;
            }),
            "groupB" => Self::int(key, value).map(|v| {
                if v as u32 == self.group_a {
                    self.group_a = self.group_b;
                }
                self.group_b = v as u32;
            }),
            "angle" => Self::float(key, value).map(|v| self.angle = v),
            "backend" => Self::choice(key, value).map(|v| self.backend = v),
            _ => unknown_key::<Self>(),
        }
    }

    fn own_pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("dataset", self.dataset.clone()),
            ("class", self.class.to_string()),
            ("model", self.model.clone()),
            ("guidance", self.guidance.clone()),
            ("max", self.max.to_string()),
            ("n", self.n.to_string()),
            ("steps", self.steps.to_string()),
            ("seed", self.seed.to_string()),
            ("groupA", self.group_a.to_string()),
            ("groupB", self.group_b.to_string()),
            ("angle", self.angle.to_string()),
            ("backend", self.backend.clone()),
        ]
    }

    fn presentation(&self) -> &Presentation {
        &self.view
    }

    fn presentation_mut(&mut self) -> &mut Presentation {
        &mut self.view
    }

    /// The classes exist in the dataset and classifier-free
    /// guidance stays within the playground's limit.
    fn check(&self) -> Result<(), String> {
        let classes = self.dataset().num_classes() as u32;
        if let Some(c) = [("class", self.class), ("groupA", self.group_a), ("groupB", self.group_b)].iter().find(|(_, c)| *c >= classes) {
            return Err(format!("{} {} is not a class of {} (it has {classes})", c.0, c.1, self.dataset));
        }
        if self.guidance == "cfg" && self.max > CFG_W_MAX {
            return Err(format!("classifier-free guidance goes up to w = {CFG_W_MAX}"));
        }
        Ok(())
    }
}

impl GuidanceConfig {
    pub fn dataset(&self) -> Dataset {
        Dataset::from_id(&self.dataset).unwrap_or(Dataset::Gaussians8)
    }

    pub fn strengths(&self) -> Vec<f64> {
        strengths(self.max)
    }

    pub fn classifier(&self) -> bool {
        self.guidance == "classifier"
    }

    /// The fairness feature's direction `u`.
    pub fn direction(&self) -> [f32; 2] {
        let a = self.angle.to_radians();
        [a.cos() as f32, a.sin() as f32]
    }

    /// Whether another config needs a new model (dataset or model kind changed).
    pub fn same_model(&self, other: &Self) -> bool {
        self.dataset == other.dataset && self.model == other.model
    }
}

/// What the sweep compares against: the class's data, and each point's
/// nearest class under the dataset's exact distribution.
pub struct Reference {
    pub class_data: Vec<[f32; 2]>,
    pub all_data: Vec<[f32; 2]>,
    mixture: Mixture,
}

impl Reference {
    pub fn new(cfg: &GuidanceConfig) -> Self {
        let d = cfg.dataset();
        let (xs, labels) = d.sample(REFERENCE_N * d.num_classes() * 2, cfg.seed ^ 0x5EED);
        let class_data = xs.iter().zip(&labels).filter(|(_, l)| **l == cfg.class as i32).map(|(p, _)| *p).take(REFERENCE_N).collect();
        Self { class_data, all_data: xs.into_iter().take(4 * REFERENCE_N).collect(), mixture: d.exact_mixture() }
    }

    /// Each point's nearest class; a point that is not finite (a run that
    /// blew up) has none (`u32::MAX`), so it never counts as accurate.
    pub fn labels(&self, points: &[[f32; 2]]) -> Vec<u32> {
        points
            .iter()
            .map(|p| if p[0].is_finite() && p[1].is_finite() { self.mixture.components[self.mixture.nearest_component([p[0] as f64, p[1] as f64])].label as u32 } else { u32::MAX })
            .collect()
    }

    pub fn sweep_point(&self, strength: f64, samples: &[[f32; 2]], class: u32) -> SweepPoint {
        sweep_point(strength, samples, &self.labels(samples), class, &self.class_data)
    }
}

/// The fairness point of guided groups against the unguided ones (λ = 0, same noise).
pub fn fairness_point(lambda: f64, guided: &[Vec<[f32; 2]>; 2], unguided: &[Vec<[f32; 2]>; 2], u: [f32; 2]) -> FairnessPoint {
    let g: Vec<[f32; 2]> = guided.concat();
    let b: Vec<[f32; 2]> = unguided.concat();
    FairnessPoint { lambda, gap: group_gap(&guided[0], &guided[1], u).abs(), fidelity: fidelity_loss(&g, &b) }
}

/// The lab's figures (`labFigures()`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GuidanceFigures {
    pub sweep: Vec<SweepPoint>,
    /// The strength where overshoot begins (science::guidance::overshoot_start), if it does.
    pub overshoot_from: Option<f64>,
    pub fairness: Vec<FairnessPoint>,
    /// Jobs done and in all (strengths, then fairness strengths).
    pub done: usize,
    pub total: usize,
    pub model: String,
    pub backend: &'static str,
}

impl GuidanceFigures {
    pub fn finish(&mut self) {
        self.overshoot_from = overshoot_start(&self.sweep).map(|i| self.sweep[i].strength);
        self.done = self.sweep.len() + self.fairness.len();
    }
}

/// The fairness toy's groups sampled at λ with the lab's plan.
pub fn fair_groups(cfg: &GuidanceConfig, model: &ScoreModel, lambda: f64) -> [Vec<[f32; 2]>; 2] {
    crate::engine::guidance::fair_samples(model, &crate::engine::guidance::lab_plan(cfg.steps), [cfg.group_a, cfg.group_b], cfg.direction(), lambda, FAIRNESS_N, cfg.seed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::cpu::CpuSampler;
    use crate::engine::guidance::{conditioning, lab_plan};
    use crate::model::ExactMixture;

    #[test]
    fn the_link_round_trips_and_bad_values_say_why() {
        let (cfg, ignored) = GuidanceConfig::from_fragment("#lab=guidance&dataset=moons&class=1&model=exact&guidance=classifier&max=30&n=500&steps=20&seed=3&groupA=1&groupB=0&angle=90&backend=cpu");
        assert!(ignored.is_empty(), "{ignored:?}");
        assert_eq!(GuidanceConfig::from_fragment(&cfg.to_fragment()).0, cfg);
        // A new dataset takes its first class and groups where the old ones do not exist.
        let (bad, ignored) = GuidanceConfig::from_fragment("lab=guidance&class=5&dataset=moons&class=5&guidance=cfg&max=30&groupA=1&groupB=7");
        assert_eq!((bad.dataset.as_str(), bad.class, bad.max, bad.group_a, bad.group_b), ("moons", 0, 12.0, 1, 0), "groupA = 1 swapped the groups");
        let reasons: Vec<String> = ignored.iter().map(|i| format!("{}: {}", i.key, i.reason)).collect();
        assert_eq!(reasons, [
            "class: class 5 is not a class of moons (it has 2)".to_string(),
            "max: classifier-free guidance goes up to w = 20".into(),
            "groupB: groupB 7 is not a class of moons (it has 2)".into(),
        ]);
    }

    /// The lab's pipeline on the exact model, a small sweep: the figures
    /// have a point per strength and mark an overshoot; the fairness points
    /// trade the gap for fidelity.
    #[test]
    fn figures_of_a_small_run() {
        let cfg = GuidanceConfig { model: "exact".into(), max: 16.0, n: 300, steps: 20, ..Default::default() };
        let model = ScoreModel::Exact(ExactMixture::new(&cfg.dataset().exact_mixture()));
        let reference = Reference::new(&cfg);
        assert_eq!(reference.class_data.len(), REFERENCE_N);
        let plan = lab_plan(cfg.steps);
        let mut figures = GuidanceFigures::default();
        for w in cfg.strengths() {
            let mut s = CpuSampler::new(plan.clone(), model.clone(), conditioning(false, cfg.class, w), cfg.seed, cfg.n);
            s.run_steps(plan.len());
            figures.sweep.push(reference.sweep_point(w, &s.particles, cfg.class));
        }
        let base = fair_groups(&cfg, &model, 0.0);
        for lambda in [0.0, 4.0] {
            figures.fairness.push(fairness_point(lambda, &fair_groups(&cfg, &model, lambda), &base, cfg.direction()));
        }
        figures.finish();
        assert_eq!(figures.sweep.len(), 11);
        assert!(figures.overshoot_from.is_some_and(|w| w > 1.0), "{:?}", figures.overshoot_from);
        assert_eq!(figures.fairness[0].fidelity, 0.0);
        assert!(figures.fairness[1].gap < 0.2 * figures.fairness[0].gap && figures.fairness[1].fidelity > 1.0, "{:?}", figures.fairness);
    }
}
