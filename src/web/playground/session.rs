//! The playground's session: the page's state as a few owned parts —
//! the link (config and ignored keys), the backends, the model files, the
//! run, the timeline, the overlays and the view — with the trainer and the
//! data editor beside them. Exported methods (web::bindings) borrow it only
//! for synchronous work, never across an `await`, so the page can call
//! `status()` or `setConfig()` while a GPU readback is in flight; a result
//! that lands for an older run (its generation) is dropped (wasm32 only).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use serde::Serialize;
use wasm_bindgen::prelude::*;
use web_sys::HtmlCanvasElement;

use crate::engine::gpu::{GpuContext, GpuSampler, PROBE_PARTICLES};
use crate::engine::cpu::CpuSampler;
use crate::engine::health::Health;
use crate::model::weights::{EnergyFile, ModelFile};
use crate::model::{ExactMixture, ScoreModel};
use crate::science::datasets::Dataset;
use crate::science::likelihood::LikelihoodPlan;
use crate::science::plan::StepPlan;
use crate::web::assets::{Asset, Cache};
use crate::web::config::{self, Choice, Config, Ignored, ModelKind, CPU_N_MAX};
use crate::web::js::{context_2d, to_js};
use crate::web::playground::backend::{self, Backend, Calibration, GpuFacts};
use crate::web::playground::calibrate::calibrate;
use crate::web::playground::data::Data;
use crate::web::playground::editor::Editor;
use crate::web::playground::overlays::{LikelihoodLayer, Overlays};
use crate::web::playground::run::{plan_for, Engine, Run};
use crate::web::playground::timeline::Timeline;
use crate::web::playground::train::Trainer;
use crate::web::playground::view::{GpuView, View};
use crate::web::render::Raster;

/// The link: what the page shows, and the keys it could not use.
pub struct Link {
    pub config: Config,
    pub ignored: Vec<Ignored>,
}

/// The page's WebGPU (if any), the backend the run uses and why, and
/// `backend=auto`'s calibrations on a CPU emulation of a GPU.
pub struct Backends {
    pub gpu: Option<Rc<GpuContext>>,
    /// Why WebGPU is not available, when it is not.
    pub gpu_failure: Option<String>,
    pub chosen: Backend,
    pub reason: String,
    /// What each model kind's calibration found (keyed by the kernel:
    /// `State::kernel_kind`), for the page view; and whether one is running.
    pub calibrations: HashMap<&'static str, Result<Calibration, String>>,
    pub calibrating: bool,
}

/// The shipped model files fetched so far (web::assets).
#[derive(Default)]
pub struct Models {
    pub learned: Cache<ModelFile>,
    pub energy: Cache<EnergyFile>,
}

pub(crate) struct State {
    /// This state's own handle, for the work it starts.
    pub(crate) me: Weak<RefCell<State>>,
    pub(crate) link: Link,
    pub(crate) backends: Backends,
    pub(crate) models: Models,
    pub(crate) run: Run,
    pub(crate) timeline: Timeline,
    pub(crate) overlays: Overlays,
    pub(crate) view: View,
    /// The in-page trainer (`model=trained`) and the data editor (`dataset=custom`).
    pub(crate) trainer: Trainer,
    pub(crate) editor: Editor,
    /// What the last edit, import or link of the user's points left out, for the page.
    pub(crate) data_notice: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Status<'a> {
    backend: &'static str,
    backend_reason: &'a str,
    running: bool,
    /// Waiting for the learned model's weights; a run starts when they land.
    loading: bool,
    step: usize,
    total_steps: usize,
    nfe: u64,
    error: Option<&'a str>,
    /// Particles actually sampled (n, or the CPU cap).
    n: usize,
    /// Particles with a NaN/Inf coordinate in the last frame (the run stops).
    non_finite: usize,
    /// Finite particles beyond ±100 in the last frame (guidance overshoot).
    escaped: usize,
    /// Wall time spent sampling this run, and the particle-steps per second it gave.
    elapsed_ms: f64,
    particle_steps_per_second: f64,
    /// What draws the canvas: "webgpu" (a render pass from GPU memory) or "canvas2d".
    renderer: &'static str,
    /// Bytes read back from the GPU this run.
    readback_bytes: u64,
    /// The WebGPU sampling kernel of the current run ("mixture",
    /// "mlp_cooperative", "mlp_per_thread"), or null on the CPU.
    kernel: Option<&'static str>,
    /// The CPU emulation WebGPU runs on (e.g. "SwiftShader"), if any.
    emulation: Option<&'a str>,
    /// backend=auto on an emulation: the calibration of the current model
    /// kind, `{ cpuRate, gpuRate }` in particle-steps per second.
    calibration: Option<Calibration>,
    /// Frames that drew particles since the page started (x_T counts: 1
    /// means the first particles are on screen).
    frames_drawn: u64,
    ignored: Vec<String>,
    /// Which backend evaluated the score layers' Jacobians now drawn ("webgpu", "cpu"), or null.
    score_layers: Option<&'static str>,
    /// The likelihood layer: `{ state: "computing" | "ready" | "failed", n, meanLogP, error }`, or null.
    likelihood_layer: Option<LikelihoodLayerStatus<'a>>,
    /// A training run is running (the page ticks it: `trainTick`).
    training: bool,
    /// The dataset shown is the user's (`dataset=custom`), with this many points.
    custom_points: Option<usize>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LikelihoodLayerStatus<'a> {
    state: &'static str,
    n: usize,
    mean_log_p: Option<f64>,
    error: Option<&'a str>,
}

/// The likelihood layer's particles (web::playground::likelihood): being measured, or
/// measured (each point with its value in [0, 1] over the 5th–95th

impl State {
    /// The session on the stage's canvases from a URL fragment: WebGPU is
    /// probed once, and samples only where it can also draw (no per-frame
    /// readback); the first run starts (autoplay=0: x_T shown, waiting for Play).
    pub(crate) async fn new(canvas: HtmlCanvasElement, gpu_canvas: HtmlCanvasElement, fragment: &str) -> Result<Rc<RefCell<State>>, JsError> {
        let ctx2d = context_2d(&canvas)?;
        let (config, ignored) = Config::from_fragment(fragment);
        let raster = Raster::new(canvas.width() as usize, canvas.height() as usize);
        let (gpu, gpu_failure, gpu_view) = match crate::web::js::probe_gpu().await {
            Ok(ctx) => match GpuView::new(&ctx, &gpu_canvas, raster.half_width()) {
                Ok(view) => (Some(Rc::new(ctx)), None, Some(view)),
                Err(e) => (None, Some(format!("WebGPU cannot draw on the canvas: {e}")), None),
            },
            Err(e) => (None, Some(e), None),
        };
        let plan = plan_for(&config);
        let run = Run::new(plan, config.seed);
        let state = Rc::new_cyclic(|me| {
            RefCell::new(State {
                me: me.clone(),
                link: Link { config, ignored },
                backends: Backends { gpu, gpu_failure, chosen: Backend::Cpu, reason: String::new(), calibrations: HashMap::new(), calibrating: false },
                models: Models::default(),
                run,
                timeline: Timeline::default(),
                overlays: Overlays::default(),
                view: View { ctx2d, raster, canvas, gpu_canvas, gpu: gpu_view, label_grid: None, data_version: 0, frames_drawn: 0 },
                trainer: Trainer::default(),
                editor: Editor::default(),
                data_notice: None,
            })
        });
        {
            let mut st = state.borrow_mut();
            st.restart();
            if !st.link.config.autoplay {
                st.run.running = false;
            }
        }
        Ok(state)
    }

    /// Picks the backend for the config and explains the choice (web::playground::backend).
    pub(crate) fn select_backend(&mut self) {
        let gpu = self.backends.gpu.as_deref().map(GpuFacts::of);
        let cfg = &self.link.config;
        let (chosen, reason) = backend::sampling(cfg.backend, gpu.as_ref(), self.calibration(), cfg.n, self.backends.gpu_failure.as_deref());
        self.backends.chosen = chosen;
        self.backends.reason = reason;
    }

    /// The calibration of the current model kind, if one has finished.
    pub(crate) fn calibration(&self) -> Option<&Result<Calibration, String>> {
        self.backends.calibrations.get(self.kernel_kind())
    }

    /// Which sampling kernel the model kind runs, the key of its calibration:
    /// the mixture's, the MLP's (learned and trained) or the energy model's.
    pub(crate) fn kernel_kind(&self) -> &'static str {
        match self.link.config.model {
            ModelKind::Exact => "exact",
            ModelKind::Energy => "energy",
            ModelKind::Learned | ModelKind::Trained => "mlp",
        }
    }

    /// Starts the calibration `backend=auto` needs on a CPU emulation of a
    /// GPU (web::playground::calibrate), unless it has run for this model kind; true
    /// while one is running (the run waits, as for a model's weights).
    fn calibrate(&mut self, plan: &StepPlan, model: &ScoreModel) -> bool {
        let Some(gpu) = self.backends.gpu.clone() else { return false };
        if !backend::needs_calibration(self.link.config.backend, Some(&GpuFacts::of(&gpu)), self.calibration().is_some(), self.link.config.n) {
            return false;
        }
        if !self.backends.calibrating {
            self.backends.calibrating = true;
            let (me, key) = (self.me.clone(), self.kernel_kind());
            let (plan, model, cond, seed, n) = (plan.clone(), model.clone(), self.link.config.conditioning(), self.link.config.seed, self.link.config.n);
            wasm_bindgen_futures::spawn_local(async move {
                let result = calibrate(&gpu, &plan, &model, cond, seed, n).await.map_err(|e| e.to_string());
                let Some(state) = me.upgrade() else { return };
                let mut st = state.borrow_mut();
                st.backends.calibrating = false;
                st.backends.calibrations.insert(key, result);
                // Start the run it was waiting for.
                if st.run.loading {
                    st.restart();
                }
            });
        }
        true
    }

    /// The score model the config asks for: `Ok(None)` while its weights load
    /// (the fetch is started here), `Err` with the reason when they failed.
    pub(crate) fn model(&mut self) -> Result<Option<ScoreModel>, String> {
        if let Data::Custom(set) = &self.link.config.dataset {
            if set.is_empty() && self.link.config.model != ModelKind::Trained {
                return Err("dataset=custom has no points yet: draw some on the canvas (Edit data), load a preset or paste a CSV".into());
            }
        }
        match self.link.config.model {
            ModelKind::Exact => return Ok(Some(ScoreModel::Exact(ExactMixture::new(&self.link.config.dataset.exact_mixture())))),
            ModelKind::Trained => return self.trained_model(),
            _ => {}
        }
        let Some(d) = self.link.config.dataset.builtin() else {
            return Err("dataset=custom has no pretrained model: train one on your points (model=trained, the Train button)".into());
        };
        if self.link.config.model == ModelKind::Energy {
            return self.energy_model(d);
        }
        let file = self.fetched(&self.models.learned.clone(), d)?;
        Ok(file.map(|f| ScoreModel::learned(&f)))
    }

    /// `model=energy`: the dataset's energy model, fetched on first use.
    fn energy_model(&mut self, d: Dataset) -> Result<Option<ScoreModel>, String> {
        let file = self.fetched(&self.models.energy.clone(), d)?;
        Ok(file.map(|f| ScoreModel::Energy(f.net.clone())))
    }

    /// A dataset's model file from its cache: `Ok(None)` while it loads;
    /// when it lands, the run waiting for it starts if the page still wants it.
    fn fetched<F: Asset>(&self, cache: &Cache<F>, d: Dataset) -> Result<Option<Rc<F>>, String> {
        let me = self.me.clone();
        cache.get(d, move || {
            let Some(state) = me.upgrade() else { return };
            let mut st = state.borrow_mut();
            if st.run.loading && st.link.config.dataset == Data::Builtin(d) && st.link.config.model.id() == F::KIND {
                st.restart();
            }
        })
    }

    /// `model=trained`: the trained (or loaded) model; while none exists, a
    /// run of the config's recipe on the current data is started (a link
    /// with `model=trained` retrains) and the sampler waits for it.
    fn trained_model(&mut self) -> Result<Option<ScoreModel>, String> {
        if let Some(t) = &self.trainer.trained {
            return Ok(Some(t.model()));
        }
        match self.trainer.job.as_ref().map(|j| j.phase) {
            Some(crate::web::playground::train::Phase::Running | crate::web::playground::train::Phase::Paused) => Ok(None),
            Some(crate::web::playground::train::Phase::Failed) => Err(self.trainer.job.as_ref().and_then(|j| j.error.clone()).unwrap_or_default()),
            _ => {
                self.start_training()?;
                Ok(None)
            }
        }
    }

    /// Starts a training run of the config's recipe on the current data:
    /// on WebGPU unless the link asks for the CPU, or (backend=auto) WebGPU
    /// is a CPU emulation, where the CPU twin trains faster.
    pub(crate) fn start_training(&mut self) -> Result<(), String> {
        let gpu = self.backends.gpu.clone().filter(|g| backend::uncalibrated(self.link.config.backend, Some(&GpuFacts::of(g))).0 == Backend::Webgpu);
        self.trainer.start(self.link.config.dataset.training_set(), self.link.config.recipe(), gpu.as_deref())
    }

    /// A training run ended: `model=trained` samples the new model.
    pub(crate) fn on_trained(&mut self) {
        if self.link.config.model == ModelKind::Trained {
            self.restart();
        }
    }

    /// Starts sampling the current config from fresh noise.
    pub(crate) fn restart(&mut self) {
        self.select_backend();
        let plan = plan_for(&self.link.config);
        let seed = self.link.config.seed;
        self.run.reset(plan.clone(), seed);
        self.overlays.restart();
        self.timeline.clear();
        let model = match self.model() {
            Ok(Some(m)) if self.calibrate(&plan, &m) => {
                // While the backends are timed, x_T is already on screen:
                // the same noise on both, drawn by the CPU.
                let n = self.effective_n().min(PROBE_PARTICLES);
                self.run.particles = crate::engine::cpu::initial_noise(seed, n, plan.init_scale).into_iter().flatten().collect();
                self.run.loading = true;
                self.draw_data_layer();
                return;
            }
            Ok(Some(m)) if !m.has_classifier() && matches!(self.link.config.conditioning().active(), crate::science::guidance::Guidance::Classifier { .. }) => {
                let why = if matches!(m, ScoreModel::Energy(_)) {
                    "the energy model has no noisy-input classifier, so classifier guidance cannot run: pick guidance=cfg (its null class is trained) or none".to_string()
                } else {
                    "the trained model has no noisy-input classifier, so classifier guidance cannot run: retrain with the classifier ticked (clf=1), or pick guidance=cfg (its null class is trained) or none".to_string()
                };
                self.refuse(why);
                return;
            }
            Ok(Some(m)) if self.link.config.class.is_some_and(|c| m.num_classes().is_some_and(|n| c as usize >= n)) => {
                let why = format!("the model knows {} classes, so class={} is not one of them: pick class=all or a smaller class", m.num_classes().unwrap_or(0), self.link.config.class.unwrap_or(0));
                self.refuse(why);
                return;
            }
            Ok(Some(m)) => m,
            other => {
                // Nothing to sample yet (loading) or at all (failed): an empty
                // engine, the settings kept, and the reason on the page.
                match other {
                    Err(e) => self.run.error = Some(format!("{e}. Pick model=exact or another dataset; your other settings are kept.")),
                    _ => self.run.loading = true,
                }
                self.draw_data_layer();
                return;
            }
        };
        let cond = self.link.config.conditioning();
        let n = self.effective_n();
        self.run.model_now = Some(model.clone());
        self.run.engine = match (self.backends.chosen, &self.backends.gpu) {
            (Backend::Webgpu, Some(gpu)) => Engine::Gpu(GpuSampler::new(gpu, &plan, &model, cond, seed, n)),
            _ => Engine::Cpu(CpuSampler::new(plan, model, cond, seed, n)),
        };
        self.run.running = true;
        // x_T: the CPU engine holds it; for the GPU engine the CPU draws the
        // same noise for the first particles (the trails' and the scrubber's
        // first frame), and the GPU view draws all of them from GPU memory.
        self.run.particles = match &self.run.engine {
            Engine::Cpu(s) => s.particles.iter().flatten().copied().collect(),
            Engine::Gpu(s) => crate::engine::cpu::initial_noise(seed, s.len().min(PROBE_PARTICLES), self.run.plan.init_scale).into_iter().flatten().collect(),
        };
        self.timeline.record(self.run.engine.step(), &self.run.particles);
        self.draw_data_layer();
    }

    /// No run: an empty engine, the settings kept, and the reason on the page.
    pub(crate) fn refuse(&mut self, why: String) {
        self.run.error = Some(format!("{why}. Your other settings are kept."));
        self.draw_data_layer();
    }

    /// The model a diagnostic measures, or why there is none yet.
    pub(crate) fn diagnostics_model(&mut self) -> Result<ScoreModel, JsError> {
        self.model().map_err(|e| JsError::new(&e))?.ok_or_else(|| JsError::new("the learned model is still loading"))
    }

    /// What a likelihood computation needs: the model, the grid of `steps`
    /// (0: the run's steps), and the GPU when the run is on WebGPU.
    #[allow(clippy::type_complexity)]
    pub(crate) fn likelihood_job(&mut self, steps: u32) -> Result<(ScoreModel, LikelihoodPlan, Option<Rc<GpuContext>>, &'static str), JsValue> {
        let model = self.diagnostics_model().map_err(JsValue::from)?;
        let steps = if steps == 0 { self.link.config.steps } else { steps as usize }.clamp(1, config::STEPS_MAX);
        let gpu = match &self.run.engine {
            Engine::Gpu(_) => self.backends.gpu.clone(),
            _ => None,
        };
        let backend = if gpu.is_some() { "webgpu" } else { "cpu" };
        Ok((model, LikelihoodPlan::new(steps), gpu, backend))
    }

    /// The network time a diagnostic measures: `t` if in (0, 1], else the level the run shows.
    pub(crate) fn diagnostics_time(&self, t: f64) -> f64 {
        if t > 0.0 && t <= 1.0 {
            return t;
        }
        let plan = &self.run.plan;
        match plan.steps.get(self.run.engine.step().min(plan.len().saturating_sub(1))) {
            Some(ps) => plan.levels[ps.level as usize] as f64,
            None => 1.0,
        }
    }

    /// Particles the run samples: n, or the CPU cap. Derived from the config
    /// and the backend, so it is right while the model's weights still load
    /// (when the engine holds no particles yet).
    pub(crate) fn effective_n(&self) -> usize {
        match self.backends.chosen {
            Backend::Webgpu => self.link.config.n,
            Backend::Cpu => self.link.config.n.min(CPU_N_MAX),
        }
    }

    /// Whether `self.run.particles` holds every particle of the run (a WebGPU
    /// run's frames bring only the probe's first ones).
    pub(crate) fn has_all_particles(&self) -> bool {
        self.run.particles.len() / 2 == self.effective_n()
    }

    /// After new particles land: stop with a clear message on NaN/Inf, and
    /// count the particles that escaped far from the data.
    /// `health` is the GPU's count over all particles (a probe), or `None`
    /// to check `self.run.particles` here.
    pub(crate) fn check_finite(&mut self, health: Option<Health>) {
        self.run.health = health.unwrap_or_else(|| crate::engine::health::check(&self.run.particles));
        if let Some(i) = self.run.health.first_non_finite {
            self.run.running = false;
            self.run.error = Some(format!(
                "sampling diverged: {} of {} particles became NaN or infinite by step {} of {} (the first: particle {i}). \
                 Lower the guidance strength or the Langevin step size, or take more steps; your settings are kept, press restart after changing them",
                self.run.health.non_finite,
                self.effective_n(),
                self.run.engine.step(),
                self.run.engine.total()
            ));
        }
    }

    /// A class per particle: the learned classifier's at t ≈ 0 when this
    /// dataset's weights are loaded, else the label of the nearest exact component.
    pub(crate) fn class_labels(&self, pts: &[[f32; 2]]) -> Vec<u32> {
        if let Some(file) = self.link.config.dataset.builtin().and_then(|d| self.models.learned.ready(d)) {
            return pts.iter().map(|x| file.classifier.predict(*x, 1e-3) as u32).collect();
        }
        let mix = self.link.config.dataset.exact_mixture();
        if mix.components.is_empty() {
            return vec![0; pts.len()];
        }
        pts.iter().map(|x| mix.components[mix.nearest_component([x[0] as f64, x[1] as f64])].label as u32).collect()
    }

    pub(crate) fn status(&self) -> JsValue {
        to_js(&Status {
            backend: self.backends.chosen.id(),
            backend_reason: &self.backends.reason,
            running: self.run.running,
            loading: self.run.loading,
            step: self.run.engine.step(),
            total_steps: self.run.engine.total(),
            // Network evaluations per particle: the plan's, twice under guidance.
            nfe: self.run.nfe(self.link.config.conditioning().evals()),
            error: self.run.error.as_deref(),
            n: self.effective_n(),
            non_finite: self.run.health.non_finite,
            escaped: self.run.health.escaped,
            elapsed_ms: self.run.elapsed_ms,
            renderer: if self.gpu_view_draws() { "webgpu" } else { "canvas2d" },
            readback_bytes: match &self.run.engine {
                Engine::Gpu(s) => s.read_bytes(),
                Engine::Cpu(_) => 0,
            },
            particle_steps_per_second: if self.run.elapsed_ms > 0.0 {
                (self.run.engine.step() * self.effective_n()) as f64 / (self.run.elapsed_ms / 1000.0)
            } else {
                0.0
            },
            kernel: match &self.run.engine {
                Engine::Gpu(s) => Some(s.kernel().id()),
                Engine::Cpu(_) => None,
            },
            emulation: self.backends.gpu.as_ref().and_then(|g| g.emulation()),
            calibration: self.calibration().and_then(|c| c.as_ref().ok()).copied(),
            frames_drawn: self.view.frames_drawn,
            ignored: self.link.ignored.iter().map(|i| i.to_string()).collect(),
            score_layers: self.overlays.score.entry().filter(|((g, _), _)| *g == self.run.generation).map(|(_, c)| c.backend),
            likelihood_layer: self.overlays.likelihood.get(&self.run.generation).map(|l| match l {
                LikelihoodLayer::Computing => LikelihoodLayerStatus { state: "computing", n: 0, mean_log_p: None, error: None },
                LikelihoodLayer::Ready { points, mean_log_p } => LikelihoodLayerStatus { state: "ready", n: points.len(), mean_log_p: Some(*mean_log_p), error: None },
                LikelihoodLayer::Failed(e) => LikelihoodLayerStatus { state: "failed", n: 0, mean_log_p: None, error: Some(e) },
            }),
            training: self.trainer.running(),
            custom_points: match &self.link.config.dataset {
                Data::Custom(set) => Some(set.points.len()),
                Data::Builtin(_) => None,
            },
        })
    }

    /// Applies `(key, value)` pairs; restarts sampling when the run changed,
    /// redraws when only the presentation did. Bad keys go to `link.ignored`.
    pub(crate) fn set_config(&mut self, pairs: impl IntoIterator<Item = (String, String)>) -> JsValue {
        let before = self.link.config.clone();
        self.link.ignored = self.link.config.apply(pairs);
        if !self.link.config.same_run(&before) {
            self.restart();
        } else if self.link.config != before {
            self.draw();
        }
        to_js(&self.link.config)
    }

    /// Replaces the config with a URL fragment's (missing keys take defaults).
    pub(crate) fn load_fragment(&mut self, fragment: &str) -> JsValue {
        let (config, ignored) = Config::from_fragment(fragment);
        self.link.ignored = ignored;
        let same = config.same_run(&self.link.config);
        self.link.config = config;
        if !same {
            self.restart();
        } else {
            self.draw();
        }
        to_js(&self.link.config)
    }

    /// Resumes a paused run (restarts a finished one); leaves the scrubber.
    pub(crate) fn play(&mut self) {
        if self.run.loading {
            return;
        }
        self.timeline.scrub = None;
        if self.run.engine.done() {
            self.restart();
        } else if self.run.error.is_none() {
            self.run.running = true;
        }
    }

    /// Advances exactly one plan step on the next frame, then pauses.
    pub(crate) fn step_once(&mut self) {
        if self.run.loading || self.run.error.is_some() {
            return;
        }
        if self.run.engine.done() {
            self.restart();
        }
        self.run.running = true;
        self.run.single_step = true;
    }

    /// Shows recorded frame `k` of the run (pausing it), or the live particles for `k < 0`.
    pub(crate) fn scrub(&mut self, k: i32) {
        if k < 0 || self.timeline.snapshots.is_empty() {
            self.timeline.scrub = None;
        } else {
            self.run.running = false;
            self.timeline.scrub = Some((k as usize).min(self.timeline.snapshots.len() - 1));
        }
        self.draw();
    }

    /// `{ frames, index, step, totalSteps, forward }`: the recorded frames, the one
    /// shown (`null`: live), its plan steps done, and whether the forward view is on.
    pub(crate) fn scrub_state(&self) -> JsValue {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Scrub {
            frames: usize,
            index: Option<usize>,
            step: usize,
            total_steps: usize,
            forward: bool,
        }
        let t = &self.timeline;
        let step = t.scrub.and_then(|k| t.snapshots.get(k)).map_or(self.run.engine.step(), |(s, _)| *s);
        to_js(&Scrub { frames: t.snapshots.len(), index: t.scrub, step, total_steps: self.run.engine.total(), forward: t.forward_view })
    }
}
