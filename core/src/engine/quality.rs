//! The quality gate of the pretrained models (issue 3), in one place so the
//! trainer records exactly what the tests check.
//!
//! - **Samples**: [`GATE_N`] particles from the learned model with
//!   [`GATE_STEPS`] uniform steps of DDPM (β̃) and of Heun on the PF-ODE (the
//!   two samplers the gate names), `class=all`, seed [`GATE_SAMPLE_SEED`], on
//!   the CPU engine. Both figures are recorded; the model passes when either
//!   sampler reproduces the data (the learned thin structures come out
//!   sharper on the deterministic ODE for some datasets, on DDPM for others).
//! - **Distance**: energy distance to [`GATE_N`] fresh data draws (seed
//!   [`GATE_DATA_SEED`], a stream the trainer never sees).
//! - **Baseline**: the same distance between two fresh data samples of the
//!   same N, averaged over [`BASELINE_PAIRS`] independent pairs (one pair's
//!   value is itself a noisy χ²-like variable; the mean of 8 estimates its
//!   expectation `E|X−X'|(2/N)` to about ±25 %).
//! - **Pass**: the smaller distance ≤ [`GATE_RATIO`] × baseline.
//! - **Classifier**: accuracy on [`GATE_N`] clean data draws at the smallest
//!   training time, ≥ [`GATE_ACCURACY`] where the classes are separable
//!   ([`classes_separable`]).

use super::cpu::CpuSampler;
use crate::model::weights::{EnergyFile, ModelFile};
use crate::model::{Conditioning, ScoreModel};
use crate::science::datasets::Dataset;
use crate::science::metrics::energy_distance;
use crate::science::plan::{DdpmVariance, SamplerKind, Spacing, StepPlan};
use crate::science::schedule::ScheduleKind;

pub const GATE_N: usize = 4096;
pub const GATE_STEPS: usize = 200;
pub const GATE_SAMPLE_SEED: u32 = 0x5EED_0001;
pub const GATE_DATA_SEED: u32 = 0x5EED_0002;
pub const BASELINE_PAIRS: u32 = 8;
pub const GATE_RATIO: f64 = 2.0;
pub const GATE_ACCURACY: f64 = 0.95;
/// Smallest network time the trainer draws (`ᾱ ≈ 0.9999`).
pub const T_MIN: f32 = 1e-3;

/// Whether a dataset's classes are separable up to its small noise. Olympic's
/// five rings interlock: near their eight crossings the rings' points overlap,
/// and even the Bayes-optimal classifier (the true class posterior) is right
/// only ≈ 94.8 % of the time (tests/model_quality.rs computes it), so the 95 %
/// bar cannot apply; its classifier is held to the Bayes rate instead.
pub fn classes_separable(d: Dataset) -> bool {
    !matches!(d, Dataset::Olympic)
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QualityReport {
    /// Energy distance of the model's DDPM samples to fresh data.
    pub ddpm_distance: f64,
    /// The same for Heun on the probability-flow ODE.
    pub heun_distance: f64,
    /// Mean data-vs-data energy distance at the same N.
    pub baseline: f64,
    /// Classifier accuracy on clean data (none for the energy model, which has no classifier).
    pub classifier_accuracy: Option<f64>,
}

impl QualityReport {
    /// The gate's ratio: the better sampler's distance over the baseline.
    pub fn ratio(&self) -> f64 {
        self.ddpm_distance.min(self.heun_distance) / self.baseline
    }
}

/// The gate's data-vs-data baseline for `dataset`.
pub fn baseline(dataset: Dataset) -> f64 {
    (0..BASELINE_PAIRS)
        .map(|p| {
            let a = dataset.sample(GATE_N, 0xBA5E_0000 + 2 * p).0;
            let b = dataset.sample(GATE_N, 0xBA5E_0001 + 2 * p).0;
            energy_distance(&a, &b)
        })
        .sum::<f64>()
        / BASELINE_PAIRS as f64
}

/// The gate's DDPM sampler.
pub const GATE_DDPM: SamplerKind = SamplerKind::Ddpm { variance: DdpmVariance::BetaTilde };

/// The gate's samples from a model file with `sampler`.
pub fn gate_samples(file: &ModelFile, sampler: SamplerKind) -> Vec<[f32; 2]> {
    gate_samples_of(ScoreModel::learned(file), sampler)
}

/// The gate's samples from any model with `sampler`.
pub fn gate_samples_of(model: ScoreModel, sampler: SamplerKind) -> Vec<[f32; 2]> {
    let plan = StepPlan::build(ScheduleKind::VpLinear, sampler, GATE_STEPS, Spacing::Uniform);
    let mut sampler = CpuSampler::new(plan, model, Conditioning::class(None), GATE_SAMPLE_SEED, GATE_N);
    sampler.run_steps(GATE_STEPS);
    sampler.particles
}

/// Classifier accuracy on the gate's clean data draws.
pub fn classifier_accuracy(file: &ModelFile, xs: &[[f32; 2]], labels: &[i32]) -> f64 {
    let right = xs.iter().zip(labels).filter(|(x, &l)| file.classifier.predict(**x, T_MIN) == l as usize).count();
    right as f64 / xs.len() as f64
}

/// The gate's figures for the samples of `model`, a model of `dataset`.
fn sampling_report(model: ScoreModel, dataset: Dataset) -> QualityReport {
    let data = dataset.sample(GATE_N, GATE_DATA_SEED).0;
    QualityReport {
        ddpm_distance: energy_distance(&gate_samples_of(model.clone(), GATE_DDPM), &data),
        heun_distance: energy_distance(&gate_samples_of(model, SamplerKind::Heun), &data),
        baseline: baseline(dataset),
        classifier_accuracy: None,
    }
}

/// The gate of a score-model file: its samples and its classifier.
pub fn evaluate(file: &ModelFile) -> QualityReport {
    let (data, labels) = file.dataset.sample(GATE_N, GATE_DATA_SEED);
    QualityReport { classifier_accuracy: Some(classifier_accuracy(file, &data, &labels)), ..sampling_report(ScoreModel::learned(file), file.dataset) }
}

/// The gate of an energy-model file (model::energy): the same samples and
/// bar as the score models'; it has no classifier.
pub fn evaluate_energy(file: &EnergyFile) -> QualityReport {
    sampling_report(ScoreModel::Energy(file.net.clone()), file.dataset)
}
