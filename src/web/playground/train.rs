//! The in-page trainer (issue 12): a training run of engine::train on the
//! page's backend, cut into frame-sized slices, and what the page shows of
//! it — the loss, samples redrawn from the current weights every so often
//! with their energy distance to the data, progress and time left — and
//! the model it leaves behind (`model=trained`), or one loaded from a file.
//!
//! The CPU twin advances by rows of its batch ([`CpuTrainer::work`]) until
//! the frame's budget is spent, so no task runs long whatever the batch; the
//! GPU runs whole steps, many a submit, reading the weights back after each
//! submit (the chunk grows while a round trip stays short). Pure Rust except
//! the GPU's future, so the run's logic is tested natively.

use std::collections::BTreeMap;
use std::rc::Rc;

use serde::Serialize;

use crate::engine::cpu::CpuSampler;
use crate::engine::gpu::{GpuContext, GpuError};
use crate::engine::train::{data_hash, export_model, import_model, ClassifierParams, CpuTrainer, GpuTrainer, Recipe, ScoreParams, Watched};
use crate::model::{Conditioning, ScoreModel};
use crate::science::datasets::PointSet;
use crate::science::metrics::EnergyReference;
use crate::science::plan::{SamplerKind, Spacing, StepPlan};
use crate::science::schedule::ScheduleKind;
use crate::science::targets::Target;

/// Samples drawn from the current weights at each preview, the DDIM steps
/// they take, and their seed (fixed: previews differ only by the weights).
pub const PREVIEW_SAMPLES: usize = 400;
pub const PREVIEW_STEPS: usize = 20;
pub const PREVIEW_SEED: u32 = 0x9e37;
/// Share of a CPU task's budget the training slice takes; the preview's
/// blocks (model::mlp::BLOCK = 32 samples each) take the rest, at least one.
/// A 400-sample DDIM step (13 blocks) in one task took 8–28 ms of the page's
/// main thread in Chromium (wasm), beside the training slice.
const TRAIN_SHARE: f64 = 0.8;
/// Data points the previews are measured against (a draw of the set, when larger).
pub const REFERENCE_POINTS: usize = 1000;
/// Data draws whose distance to the reference is the previews' floor.
const NULL_DRAWS: usize = 4;
/// GPU steps per submit: the first chunk, and the cap.
const GPU_CHUNK_START: usize = 8;
const GPU_CHUNK_MAX: usize = 400;
/// A GPU round trip under this grows the chunk (×2).
const GPU_CHUNK_GROW_MS: f64 = 120.0;

/// Where a run stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Running,
    Paused,
    /// Stopped by the user before its last step: its weights so far are the model.
    Stopped,
    Done,
    Failed,
}

enum Runner {
    Cpu(CpuTrainer),
    Gpu { trainer: Rc<GpuTrainer>, step: u32, ema: ScoreParams, clf_ema: Option<ClassifierParams>, chunk: usize, in_flight: bool },
}

/// A model the page can sample from as `model=trained`.
#[derive(Clone, Debug)]
pub struct Trained {
    pub params: ScoreParams,
    /// The noisy-input classifier trained beside it (or in the file), for classifier guidance.
    pub classifier: Option<ClassifierParams>,
    /// What the network outputs (read as ε̂ by every sampler).
    pub target: Target,
    /// The file metadata: recipe, seed, data hash, losses, backend ("source": trained or imported).
    pub metadata: BTreeMap<String, String>,
}

impl Trained {
    pub fn model(&self) -> ScoreModel {
        ScoreModel::Mlp { score: self.params.score_mlp().with_target(self.target), classifier: self.classifier.as_ref().map(ClassifierParams::classifier) }
    }
}

/// One training run.
pub struct Job {
    pub recipe: Recipe,
    pub set: PointSet,
    pub backend: &'static str,
    runner: Runner,
    pub phase: Phase,
    /// (step, loss): the CPU's mean over each 10 steps; the GPU's last step of each submit.
    pub losses: Vec<[f64; 2]>,
    /// The classifier's cross-entropy likewise, when it trains.
    pub clf_losses: Vec<[f64; 2]>,
    /// (step, energy distance of a preview to the data).
    pub distances: Vec<[f64; 2]>,
    /// The latest preview's samples, and the preview under way (its step and sampler).
    pub preview: Vec<[f32; 2]>,
    preview_run: Option<(u32, CpuSampler)>,
    next_preview: u32,
    /// The data the previews are measured against (its own mean pairwise distance computed once).
    reference: EnergyReference,
    /// A data draw's distance is due (one follows each of the first
    /// NULL_DRAWS previews, in the task after it, so no task measures twice).
    null_due: bool,
    /// Energy distances of PREVIEW_SAMPLES data draws to the reference: the
    /// previews' floor is their mean. One is drawn after each of the first
    /// NULL_DRAWS previews ends, so no task of the page computes them all.
    null_draws: Vec<f64>,
    /// Milliseconds spent running (pauses excluded).
    pub ms: f64,
    pub error: Option<String>,
    /// The run's generation: a GPU readback of an older run is dropped.
    pub generation: u64,
}

/// What `trainStatus()` reports.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Status<'a> {
    pub phase: Option<Phase>,
    pub step: u32,
    pub steps: usize,
    pub loss: Option<f64>,
    pub seconds: f64,
    pub eta_seconds: Option<f64>,
    pub backend: Option<&'static str>,
    pub batch: usize,
    pub losses: &'a [[f64; 2]],
    /// The classifier's losses (empty unless the recipe trains it).
    pub clf_losses: &'a [[f64; 2]],
    pub distances: &'a [[f64; 2]],
    pub null_distance: Option<f64>,
    pub error: Option<&'a str>,
    /// The model `model=trained` samples, if there is one: where it came from and its metadata.
    pub trained: Option<&'a BTreeMap<String, String>>,
}

/// The trainer: the current run, if any, and the model it (or a file) left.
#[derive(Default)]
pub struct Trainer {
    pub job: Option<Job>,
    pub trained: Option<Trained>,
    generation: u64,
}

fn preview_plan() -> StepPlan {
    StepPlan::build(ScheduleKind::VpLinear, SamplerKind::Ddim { eta: 0.0 }, PREVIEW_STEPS, Spacing::Uniform)
}

impl Trainer {
    /// Starts a run of `recipe` on `set` (replacing any run), on the GPU when
    /// `gpu` is given. The previous model stays until this run ends.
    pub fn start(&mut self, set: PointSet, recipe: Recipe, gpu: Option<&GpuContext>) -> Result<(), String> {
        if set.is_empty() {
            return Err("there are no points to train on: draw some, load a preset or paste a CSV".into());
        }
        let classes = set.num_classes();
        let init = ScoreParams::init(classes, recipe.seed);
        let runner = match gpu {
            Some(ctx) => {
                let clf_ema = recipe.classifier.then(|| ClassifierParams::init(classes, recipe.seed));
                Runner::Gpu { trainer: Rc::new(GpuTrainer::new(ctx, &init, &set.points, &set.labels, &recipe)), step: 0, ema: init, clf_ema, chunk: GPU_CHUNK_START, in_flight: false }
            }
            None => Runner::Cpu(CpuTrainer::new(init, set.points.clone(), set.labels.clone(), recipe.clone())),
        };
        let reference = EnergyReference::new(&if set.points.len() <= REFERENCE_POINTS { set.points.clone() } else { set.sample_range(0, REFERENCE_POINTS, PREVIEW_SEED).0 });
        self.generation += 1;
        self.job = Some(Job {
            backend: if gpu.is_some() { "webgpu" } else { "cpu" },
            recipe,
            set,
            runner,
            phase: Phase::Running,
            losses: Vec::new(),
            clf_losses: Vec::new(),
            distances: Vec::new(),
            preview: Vec::new(),
            preview_run: None,
            next_preview: 0,
            reference,
            null_due: false,
            null_draws: Vec::new(),
            ms: 0.0,
            error: None,
            generation: self.generation,
        });
        Ok(())
    }

    pub fn running(&self) -> bool {
        self.job.as_ref().is_some_and(|j| j.phase == Phase::Running)
    }

    pub fn pause(&mut self, on: bool) {
        if let Some(j) = self.job.as_mut() {
            match (j.phase, on) {
                (Phase::Running, true) => j.phase = Phase::Paused,
                (Phase::Paused, false) => j.phase = Phase::Running,
                _ => {}
            }
        }
    }

    /// Ends the run now; its weights so far become the model. True if a run was stopped.
    pub fn stop(&mut self) -> bool {
        let Some(j) = self.job.as_mut() else { return false };
        if !matches!(j.phase, Phase::Running | Phase::Paused) {
            return false;
        }
        j.phase = Phase::Stopped;
        j.preview_run = None;
        self.finish();
        true
    }

    /// CPU work for up to `budget_ms` (measured by `now`); returns true when
    /// the run ended in this slice. A GPU run does nothing here (see [`Trainer::gpu_submit`]).
    pub fn cpu_slice(&mut self, budget_ms: f64, now: &dyn Fn() -> f64) -> bool {
        let Some(j) = self.job.as_mut() else { return false };
        if j.phase != Phase::Running || !matches!(j.runner, Runner::Cpu(_)) {
            return false;
        }
        let start = now();
        if let Runner::Cpu(t) = &mut j.runner {
            // Rows in small pieces until the budget is spent (a piece is well under a millisecond a row).
            while !t.done() && now() - start < budget_ms * TRAIN_SHARE {
                let before = t.losses.len();
                t.work(16);
                for s in before..t.losses.len() {
                    if (s + 1) % 10 == 0 || s + 1 == t.recipe.steps {
                        let from = s + 1 - ((s % 10) + 1);
                        let mean = |v: &[f32]| v[from..=s].iter().map(|&l| l as f64).sum::<f64>() / (s + 1 - from) as f64;
                        j.losses.push([(s + 1) as f64, mean(&t.losses)]);
                        if !t.clf_losses.is_empty() {
                            j.clf_losses.push([(s + 1) as f64, mean(&t.clf_losses)]);
                        }
                    }
                }
            }
        }
        j.advance_preview(&mut || now() - start > budget_ms);
        j.ms += now() - start;
        let done = match &j.runner {
            Runner::Cpu(t) => t.done(),
            Runner::Gpu { .. } => false,
        };
        if done && j.previewed_end() {
            j.phase = Phase::Done;
            self.finish();
            return true;
        }
        false
    }

    /// The GPU's next submit, if a GPU run is running and none is in flight:
    /// the steps it runs and the readback's future (the weights' moving
    /// average and the loss), with the run's generation.
    #[allow(clippy::type_complexity)]
    pub fn gpu_submit(&mut self, ctx: &GpuContext) -> Option<(u64, usize, std::pin::Pin<Box<dyn std::future::Future<Output = Result<Watched, GpuError>>>>)> {
        let j = self.job.as_mut()?;
        if j.phase != Phase::Running {
            return None;
        }
        let total = j.recipe.steps;
        let Runner::Gpu { trainer, step, chunk, in_flight, .. } = &mut j.runner else { return None };
        if *in_flight || *step as usize >= total {
            return None;
        }
        let count = (*chunk).min(total - *step as usize);
        *in_flight = true;
        Some((j.generation, count, Box::pin(trainer.run_and_watch(ctx, count))))
    }

    /// A GPU submit's readback landed after `round_trip_ms`: the new weights,
    /// loss and step; a failure ends the run with the reason. Returns true when the run ended.
    pub fn gpu_landed(&mut self, generation: u64, count: usize, result: Result<Watched, GpuError>, round_trip_ms: f64) -> bool {
        let Some(j) = self.job.as_mut().filter(|j| j.generation == generation) else { return false };
        let Runner::Gpu { step, ema, clf_ema, chunk, in_flight, .. } = &mut j.runner else { return false };
        *in_flight = false;
        match result {
            Ok(watched) => {
                *step += count as u32;
                *ema = watched.ema;
                *clf_ema = watched.clf_ema;
                j.losses.push([*step as f64, watched.loss as f64]);
                if let Some(l) = watched.clf_loss {
                    j.clf_losses.push([*step as f64, l as f64]);
                }
                if round_trip_ms < GPU_CHUNK_GROW_MS {
                    *chunk = (*chunk * 2).min(GPU_CHUNK_MAX);
                }
                j.ms += round_trip_ms;
            }
            Err(e) => {
                j.phase = Phase::Failed;
                j.error = Some(format!("WebGPU failed while training ({e}); train on the CPU (backend=cpu) instead"));
                return true;
            }
        }
        false
    }

    /// Work between GPU submits (the previews, for up to `budget_ms` by
    /// `now`), and the end of a GPU run once its last preview is drawn.
    /// Returns true when the run ended.
    pub fn gpu_between(&mut self, budget_ms: f64, now: &dyn Fn() -> f64) -> bool {
        let Some(j) = self.job.as_mut() else { return false };
        if j.phase != Phase::Running || !matches!(j.runner, Runner::Gpu { .. }) {
            return false;
        }
        let start = now();
        j.advance_preview(&mut || now() - start > budget_ms);
        if let Runner::Gpu { step, in_flight: false, .. } = j.runner {
            if step as usize >= j.recipe.steps && j.previewed_end() {
                j.phase = Phase::Done;
                self.finish();
                return true;
            }
        }
        false
    }

    /// The run's weights become the model.
    fn finish(&mut self) {
        let Some(j) = self.job.as_ref() else { return };
        let mut metadata = BTreeMap::new();
        let r = &j.recipe;
        metadata.insert("source".into(), "trained".into());
        metadata.insert("backend".into(), j.backend.into());
        metadata.insert("recipe".into(), format!("steps={} batch={} lr={} warmup={} wd={} t_power={} classifier={}", r.steps, r.batch, r.lr, r.warmup, r.weight_decay, r.t_power, u8::from(r.classifier)));
        metadata.insert("seed".into(), r.seed.to_string());
        metadata.insert("target".into(), r.target.id().into());
        metadata.insert("steps_done".into(), j.step().to_string());
        metadata.insert("data_hash".into(), data_hash(&j.set.points, &j.set.labels));
        metadata.insert("data_points".into(), j.set.points.len().to_string());
        let losses = |v: &[[f64; 2]]| v.iter().map(|l| format!("{}:{:.5}", l[0], l[1])).collect::<Vec<_>>().join(",");
        metadata.insert("losses".into(), losses(&j.losses));
        if !j.clf_losses.is_empty() {
            metadata.insert("classifier_losses".into(), losses(&j.clf_losses));
        }
        self.trained = Some(Trained { params: j.ema().clone(), classifier: j.clf_ema().cloned(), target: r.target, metadata });
    }

    /// Reads a model file (engine::train::import_model's checks); it becomes the model.
    pub fn import(&mut self, bytes: &[u8]) -> Result<&Trained, String> {
        let (params, classifier, mut metadata) = import_model(bytes).map_err(|e| format!("the model file is unusable: {e}"))?;
        // The shipped models predict ε and say nothing; a trained model's file names its target.
        let target = match metadata.get("target") {
            None => Target::Eps,
            Some(id) => Target::from_id(id).ok_or_else(|| format!("the model file is unusable: its target {id:?} is not one of eps, x0, v, flow"))?,
        };
        metadata.insert("source".into(), "imported".into());
        self.trained = Some(Trained { params, classifier, target, metadata });
        Ok(self.trained.as_ref().expect("just set"))
    }

    /// The model as a safetensors file in the shipped format.
    pub fn export(&self) -> Result<Vec<u8>, String> {
        let t = self.trained.as_ref().ok_or("there is no trained model yet: train one (or load a file) first")?;
        let mut meta = t.metadata.clone();
        meta.remove("source");
        export_model(&t.params, t.classifier.as_ref(), &meta).map_err(|e| e.to_string())
    }

    pub fn status(&self) -> Status<'_> {
        let j = self.job.as_ref();
        let step = j.map_or(0, |j| j.step());
        let steps = j.map_or(0, |j| j.recipe.steps);
        let seconds = j.map_or(0.0, |j| j.ms / 1000.0);
        let eta_seconds = j.filter(|j| step > 0 && matches!(j.phase, Phase::Running | Phase::Paused)).map(|_| seconds / step as f64 * (steps - step as usize) as f64);
        Status {
            phase: j.map(|j| j.phase),
            step,
            steps,
            loss: j.and_then(|j| j.losses.last()).map(|l| l[1]),
            seconds,
            eta_seconds,
            backend: j.map(|j| j.backend),
            batch: j.map_or(0, |j| j.recipe.batch),
            losses: j.map_or(&[], |j| &j.losses),
            clf_losses: j.map_or(&[], |j| &j.clf_losses),
            distances: j.map_or(&[], |j| &j.distances),
            null_distance: j.and_then(|j| j.null_distance()),
            error: j.and_then(|j| j.error.as_deref()),
            trained: self.trained.as_ref().map(|t| &t.metadata),
        }
    }
}

impl Job {
    pub fn step(&self) -> u32 {
        match &self.runner {
            Runner::Cpu(t) => t.step,
            Runner::Gpu { step, .. } => *step,
        }
    }

    fn ema(&self) -> &ScoreParams {
        match &self.runner {
            Runner::Cpu(t) => &t.ema,
            Runner::Gpu { ema, .. } => ema,
        }
    }

    /// The classifier's moving average, when it trains.
    fn clf_ema(&self) -> Option<&ClassifierParams> {
        match &self.runner {
            Runner::Cpu(t) => t.clf.as_ref().map(|c| &c.1),
            Runner::Gpu { clf_ema, .. } => clf_ema.as_ref(),
        }
    }

    /// The mean energy distance of data draws to the reference, once one is measured.
    pub fn null_distance(&self) -> Option<f64> {
        (!self.null_draws.is_empty()).then(|| self.null_draws.iter().sum::<f64>() / self.null_draws.len() as f64)
    }

    /// Whether the last step's preview is drawn and measured (a run ends with it).
    fn previewed_end(&self) -> bool {
        self.preview_run.is_none() && !self.null_due && self.distances.last().is_some_and(|d| d[0] as u32 == self.step())
    }

    /// Previews: one is started from the current weights each twelfth of
    /// the run (or as soon as the last one ends, when they take longer) and
    /// at its end, and advances blocks of its samples until `out_of_time`;
    /// when it ends its samples are shown and measured against the data. A
    /// task measures one thing at most: a preview's distance, or (in the
    /// next task) a data draw's.
    fn advance_preview(&mut self, out_of_time: &mut dyn FnMut() -> bool) {
        if self.null_due {
            self.null_due = false;
            let draw = self.set.sample_range(0, PREVIEW_SAMPLES, PREVIEW_SEED + 1 + self.null_draws.len() as u32).0;
            self.null_draws.push(self.reference.distance(&draw));
            return;
        }
        let step = self.step();
        let every = (self.recipe.steps as u32 / 12).max(1);
        let end = step as usize >= self.recipe.steps;
        if self.preview_run.is_none() && (step >= self.next_preview || end) && !(end && self.distances.last().is_some_and(|d| d[0] as u32 == step)) {
            let model = ScoreModel::Mlp { score: self.ema().score_mlp().with_target(self.recipe.target), classifier: None };
            self.preview_run = Some((step, CpuSampler::new(preview_plan(), model, Conditioning::class(None), PREVIEW_SEED, PREVIEW_SAMPLES)));
            self.next_preview = step + every;
        }
        if let Some((at, s)) = self.preview_run.as_mut() {
            s.run_slice(&mut *out_of_time);
            if s.done() {
                let healthy: Vec<[f32; 2]> = s.particles.iter().copied().filter(|p| p[0].is_finite() && p[1].is_finite()).collect();
                let d = if healthy.len() == s.particles.len() { self.reference.distance(&healthy) } else { f64::INFINITY };
                self.distances.push([*at as f64, d]);
                self.preview = healthy;
                self.preview_run = None;
                self.null_due = self.null_draws.len() < NULL_DRAWS;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::science::datasets::Dataset;

    fn moons(n: usize) -> PointSet {
        let (points, labels) = Dataset::Moons.sample(n, 11);
        PointSet { points, labels: labels.into_iter().map(|l| l as u32).collect() }
    }

    /// A run in frame slices ends with the same weights as the CPU twin's
    /// whole steps (the link's promise) — its classifier too — draws
    /// previews whose distance falls, and leaves a model; stop keeps the
    /// weights so far.
    #[test]
    fn a_sliced_run_is_the_twin_run_and_leaves_a_model() {
        let set = moons(500);
        let recipe = Recipe { steps: 240, batch: 128, classifier: true, ..Recipe::default() };
        let mut tr = Trainer::default();
        assert!(tr.start(PointSet::default(), recipe.clone(), None).unwrap_err().contains("no points"));
        tr.start(set.clone(), recipe.clone(), None).unwrap();
        let clock = std::cell::Cell::new(0.0);
        // A fake clock that advances a millisecond a reading: each slice does a few pieces.
        let now = || {
            clock.set(clock.get() + 1.0);
            clock.get()
        };
        let mut slices = 0;
        while !tr.cpu_slice(8.0, &now) {
            slices += 1;
            assert!(slices < 100_000);
        }
        let mut twin = CpuTrainer::new(ScoreParams::init(2, recipe.seed), set.points.clone(), set.labels.clone(), recipe.clone());
        twin.run_steps(recipe.steps);
        let t = tr.trained.as_ref().unwrap();
        assert_eq!(t.params, twin.ema, "bit-identical to whole steps");
        assert_eq!(t.classifier.as_ref(), twin.clf.as_ref().map(|c| &c.1), "and its classifier");
        assert!(t.model().has_classifier(), "the trained model offers classifier guidance");
        let j = tr.job.as_ref().unwrap();
        assert_eq!((j.phase, j.step()), (Phase::Done, 240));
        assert_eq!((j.losses.len(), j.clf_losses.len()), (24, 24));
        // Previews at least a twelfth of the run apart (the last one at the
        // end), as often as their slices allow: this clock leaves a preview
        // one or two blocks a task, so one spans about 100 steps (4 previews:
        // at steps 0, 99, 197 and the end).
        let at: Vec<f64> = j.distances.iter().map(|d| d[0]).collect();
        assert!(at.len() >= 4 && at.windows(2).rev().skip(1).all(|w| w[1] - w[0] >= 20.0), "{at:?}");
        assert_eq!(j.distances.last().unwrap()[0], 240.0, "the run ends with its last step's preview");
        let (first, last) = (j.distances[0][1], j.distances.last().unwrap()[1]);
        assert!(last < first / 4.0, "the previews approach the data: {first} → {last}");
        assert_eq!(t.metadata["data_hash"], data_hash(&set.points, &set.labels));
        // Export and import give the same weights back.
        let bytes = tr.export().unwrap();
        let mut other = Trainer::default();
        let back = other.import(&bytes).unwrap();
        assert_eq!((&back.params, back.classifier.as_ref()), (&twin.ema, twin.clf.as_ref().map(|c| &c.1)));
        assert!(other.import(b"not a model").unwrap_err().contains("unusable"));
        assert_eq!(other.trained.as_ref().unwrap().params, twin.ema, "a bad file keeps the model");
        // Stop: the weights so far.
        tr.start(set, Recipe { steps: 1000, ..recipe }, None).unwrap();
        for _ in 0..10 {
            tr.cpu_slice(8.0, &now);
        }
        tr.pause(true);
        assert!(!tr.cpu_slice(8.0, &now));
        let step = tr.job.as_ref().unwrap().step();
        assert!(step > 0 && step < 1000);
        assert!(tr.stop());
        assert_eq!(tr.job.as_ref().unwrap().phase, Phase::Stopped);
        assert_eq!(tr.trained.as_ref().unwrap().metadata["steps_done"], step.to_string());
    }
}
