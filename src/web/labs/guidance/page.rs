//! The guidance lab's page: the jobs (one sweep strength, or one fairness
//! λ, at a time) run in time slices of the animation frames — the sweep's
//! samples on WebGPU when the lab's backend is it, else on the CPU — and
//! the samples of the chosen strength are drawn over the dataset.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use wasm_bindgen::prelude::*;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

use super::{fair_groups, fairness_point, GuidanceConfig, GuidanceFigures, Reference, FAIRNESS_LAMBDAS};
use crate::engine::cpu::CpuSampler;
use crate::engine::gpu::{GpuContext, GpuSampler};
use crate::engine::guidance::{conditioning, lab_plan};
use crate::model::weights::ModelFile;
use crate::model::{ExactMixture, ScoreModel};
use crate::web::config::{BackendChoice, Choice};
use crate::web::link::Ignored;
use crate::web::playground::backend::{self, Backend, GpuFacts};
use crate::web::js::{context_2d, put_rgba, to_js};
use crate::web::labs::js::set_config;
use crate::web::labs::LabConfig;
use crate::web::render::{Layers, Overlay, Raster};

/// Most milliseconds of CPU sampling in one animation frame.
const CPU_FRAME_MS: f64 = 12.0;

enum ModelState {
    Loading,
    Ready(ScoreModel),
    /// Why (also in the lab's error line).
    Failed,
}

struct LabState {
    cfg: GuidanceConfig,
    ignored: Vec<Ignored>,
    model: ModelState,
    /// The model's dataset and kind, to know when a config change needs another.
    model_for: GuidanceConfig,
    reference: Reference,
    figures: GuidanceFigures,
    /// The next job: strengths first, then the fairness λs.
    job: usize,
    cpu: Option<CpuSampler>,
    pending: bool,
    /// The fairness toy's unguided groups (λ = 0).
    fair_base: Option<[Vec<[f32; 2]>; 2]>,
    /// Each finished strength's samples, for drawing.
    samples: Vec<Vec<[f32; 2]>>,
    shown: Option<usize>,
    gpu: Option<Rc<GpuContext>>,
    /// WebGPU failed during this page view: the jobs go on on the CPU.
    gpu_failed: bool,
    backend_reason: String,
    generation: u64,
    error: Option<String>,
    raster: Raster,
    ctx2d: CanvasRenderingContext2d,
    me: Weak<RefCell<LabState>>,
}

impl LabState {
    /// The one backend policy's choice for the sweep (web::playground::backend), and why.
    fn backend(&self) -> (Backend, String) {
        if self.gpu_failed {
            return (Backend::Cpu, "WebGPU failed during this page view: the sweep goes on on the CPU".into());
        }
        let choice = BackendChoice::parse(&self.cfg.backend).unwrap_or(BackendChoice::Auto);
        backend::uncalibrated(choice, self.gpu.as_deref().map(GpuFacts::of).as_ref())
    }

    fn use_gpu(&self) -> bool {
        self.backend().0 == Backend::Webgpu
    }

    fn backend_reason(&self) -> String {
        self.backend().1
    }

    fn total(&self) -> usize {
        self.cfg.strengths().len() + FAIRNESS_LAMBDAS.len()
    }

    /// Starts the jobs again (the model kept if the dataset and kind did not change).
    fn restart(&mut self) {
        if !self.cfg.same_model(&self.model_for) || matches!(self.model, ModelState::Failed) {
            self.load_model();
        }
        self.reference = Reference::new(&self.cfg);
        self.raster.set_data_layer(&self.reference.all_data);
        self.figures = GuidanceFigures { total: self.total(), model: self.cfg.model.clone(), backend: if self.use_gpu() { "webgpu" } else { "cpu" }, ..Default::default() };
        self.backend_reason = self.backend_reason();
        self.job = 0;
        self.cpu = None;
        self.pending = false;
        self.fair_base = None;
        self.samples.clear();
        self.shown = None;
        self.generation += 1;
        if !matches!(self.model, ModelState::Failed) {
            self.error = None;
        }
    }

    fn load_model(&mut self) {
        self.model_for = self.cfg.clone();
        let d = self.cfg.dataset();
        if self.cfg.model == "exact" {
            self.model = ModelState::Ready(ScoreModel::Exact(ExactMixture::new(&d.exact_mixture())));
            return;
        }
        self.model = ModelState::Loading;
        let me = self.me.clone();
        let wanted = self.cfg.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let loaded = crate::web::assets::load::<ModelFile>(d).await.map(|f| ScoreModel::learned(&f));
            let Some(state) = me.upgrade() else { return };
            let mut st = state.borrow_mut();
            if !st.cfg.same_model(&wanted) {
                return;
            }
            match loaded {
                Ok(m) => st.model = ModelState::Ready(m),
                Err(e) => {
                    st.error = Some(format!("{e}. Choose the exact model, or another dataset."));
                    st.model = ModelState::Failed;
                }
            }
        });
    }

    /// Does up to a frame's work on the current job.
    fn tick(&mut self) {
        let ModelState::Ready(model) = &self.model else { return };
        let model = model.clone();
        let strengths = self.cfg.strengths();
        if self.job < strengths.len() {
            let w = strengths[self.job];
            let cond = conditioning(self.cfg.classifier(), self.cfg.class, w);
            let plan = lab_plan(self.cfg.steps);
            if let (true, Some(gpu)) = (self.use_gpu(), self.gpu.clone()) {
                if self.pending {
                    return;
                }
                self.pending = true;
                let mut sampler = GpuSampler::new(&gpu, &plan, &model, cond, self.cfg.seed, self.cfg.n);
                sampler.run_steps(&gpu, plan.len());
                let read = sampler.read_particles(&gpu);
                let (me, generation, n) = (self.me.clone(), self.generation, self.cfg.n);
                wasm_bindgen_futures::spawn_local(async move {
                    let result = read.await;
                    let Some(state) = me.upgrade() else { return };
                    let mut st = state.borrow_mut();
                    if st.generation != generation {
                        return;
                    }
                    st.pending = false;
                    match result {
                        Ok(flat) => {
                            let pts: Vec<[f32; 2]> = flat.chunks_exact(2).take(n).map(|p| [p[0], p[1]]).collect();
                            st.finish_strength(w, pts);
                        }
                        Err(e) => {
                            // The job is not lost: it and the rest run on the CPU.
                            st.error = Some(format!("sampling on WebGPU failed ({e}); the sweep goes on on the CPU"));
                            st.gpu_failed = true;
                            st.figures.backend = "cpu";
                            st.backend_reason = st.backend_reason();
                        }
                    }
                });
                return;
            }
            let start = js_sys::Date::now();
            let sampler = self.cpu.get_or_insert_with(|| CpuSampler::new(plan, model.clone(), cond, self.cfg.seed, self.cfg.n));
            sampler.run_slice(|| js_sys::Date::now() - start > CPU_FRAME_MS);
            if sampler.done() {
                let pts = std::mem::take(&mut sampler.particles);
                self.cpu = None;
                self.finish_strength(w, pts);
            }
            return;
        }
        let j = self.job - strengths.len();
        if j < FAIRNESS_LAMBDAS.len() {
            let lambda = FAIRNESS_LAMBDAS[j];
            let groups = fair_groups(&self.cfg, &model, lambda);
            let base = self.fair_base.get_or_insert_with(|| groups.clone());
            let point = fairness_point(lambda, &groups, base, self.cfg.direction());
            self.figures.fairness.push(point);
            self.job += 1;
            self.figures.finish();
        }
    }

    fn finish_strength(&mut self, w: f64, pts: Vec<[f32; 2]>) {
        let point = self.reference.sweep_point(w, &pts, self.cfg.class);
        self.figures.sweep.push(point);
        self.samples.push(pts);
        self.job += 1;
        self.figures.finish();
        self.draw();
    }

    fn draw(&mut self) {
        let newest = self.samples.len().checked_sub(1);
        let Some(pts) = self.shown.map(|i| i.min(newest.unwrap_or(0))).or(newest).and_then(|i| self.samples.get(i)) else {
            let img = self.raster.draw_layers(&[], Layers { data: true, ..Layers::NONE }, &Overlay::default()).to_vec();
            self.put(&img);
            return;
        };
        let labels: Vec<u8> = self.reference.labels(pts).into_iter().map(|l| l as u8).collect();
        let flat: Vec<f32> = pts.iter().flatten().copied().collect();
        let overlay = Overlay { labels: Some(&labels), ..Default::default() };
        let img = self.raster.draw_layers(&flat, Layers { data: true, particles: true, ..Layers::NONE }, &overlay).to_vec();
        self.put(&img);
    }

    fn put(&mut self, img: &[u8]) {
        if let Err(e) = put_rgba(&self.ctx2d, img, self.raster.width as u32, self.raster.height as u32) {
            self.error = Some(e);
        }
    }
}

/// The guidance lab as the page drives it (www/labs.js).
#[wasm_bindgen]
pub struct GuidanceLab {
    state: Rc<RefCell<LabState>>,
}

#[wasm_bindgen]
impl GuidanceLab {
    /// Builds the lab on a canvas from a URL fragment; probes WebGPU once.
    pub async fn create(canvas: HtmlCanvasElement, fragment: String) -> Result<GuidanceLab, JsError> {
        crate::web::input::install_panic_hook();
        let ctx2d = context_2d(&canvas)?;
        let (cfg, ignored) = GuidanceConfig::from_fragment(&fragment);
        let gpu = crate::web::js::probe_gpu().await.ok().map(Rc::new);
        let reference = Reference::new(&cfg);
        let state = Rc::new_cyclic(|me| {
            RefCell::new(LabState {
                model_for: GuidanceConfig { dataset: String::new(), ..cfg.clone() },
                cfg,
                ignored,
                model: ModelState::Loading,
                reference,
                figures: GuidanceFigures::default(),
                job: 0,
                cpu: None,
                pending: false,
                fair_base: None,
                samples: Vec::new(),
                shown: None,
                gpu,
                gpu_failed: false,
                backend_reason: String::new(),
                generation: 0,
                error: None,
                raster: Raster::new(canvas.width() as usize, canvas.height() as usize),
                ctx2d,
                me: me.clone(),
            })
        });
        {
            let mut st = state.borrow_mut();
            st.restart();
            st.draw();
        }
        Ok(GuidanceLab { state })
    }

    /// One animation frame's work.
    pub fn tick(&self) {
        self.state.borrow_mut().tick();
    }

    /// Draws the samples of the sweep's `index`-th strength (clamped to
    /// those done); a negative index follows the newest strength.
    pub fn show(&self, index: i32) {
        let mut st = self.state.borrow_mut();
        st.shown = usize::try_from(index).ok();
        st.draw();
    }

    /// The figures so far (src/web/labs/guidance.rs, `GuidanceFigures`).
    pub fn figures(&self) -> JsValue {
        to_js(&self.state.borrow().figures)
    }

    pub fn config(&self) -> JsValue {
        to_js(&self.state.borrow().cfg)
    }

    /// Sets keys all-or-nothing (a refused value changes nothing and says
    /// why); reruns the jobs unless only embed or theme changed.
    #[wasm_bindgen(js_name = setConfig)]
    pub fn set_config(&self, partial: JsValue) -> Result<JsValue, JsError> {
        let mut st = self.state.borrow_mut();
        let mut next = st.cfg.clone();
        set_config(&mut next, partial)?;
        let quiet = |c: &GuidanceConfig| GuidanceConfig { view: Default::default(), ..c.clone() };
        let rerun = quiet(&next) != quiet(&st.cfg);
        st.cfg = next;
        if rerun {
            st.restart();
            st.draw();
        }
        Ok(to_js(&st.cfg))
    }

    pub fn fragment(&self) -> String {
        self.state.borrow().cfg.to_fragment()
    }

    /// `{ backend, backendReason, model, done, total, error, ignored }`.
    pub fn status(&self) -> JsValue {
        let st = self.state.borrow();
        #[derive(serde::Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Status<'a> {
            backend: &'static str,
            backend_reason: &'a str,
            model: &'static str,
            done: usize,
            total: usize,
            error: Option<&'a str>,
            ignored: Vec<String>,
        }
        to_js(&Status {
            backend: st.figures.backend,
            backend_reason: &st.backend_reason,
            model: match st.model {
                ModelState::Loading => "loading",
                ModelState::Ready(_) => "ready",
                ModelState::Failed => "failed",
            },
            done: st.figures.done,
            total: st.figures.total,
            error: st.error.as_deref(),
            ignored: st.ignored.iter().map(|i| i.to_string()).collect(),
        })
    }
}
