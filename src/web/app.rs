//! The `#[wasm_bindgen]` app behind `window.playground` (see www/app.js).
//!
//! State lives in an `Rc<RefCell<State>>`: exported methods borrow it only
//! for synchronous work, never across an `await`, so the page can call
//! `status()` or `setConfig()` while a GPU readback is in flight. A
//! `generation` counter makes a readback that finishes after a restart
//! drop its (stale) particles.
//!
//! Two canvases share the stage: a CPU run draws on the 2D one (`Raster`,
//! one `putImageData` a frame); a WebGPU run draws on the WebGPU one with a
//! render pass straight from the particle buffer (`GpuRenderer`) and reads
//! back only a small probe a frame (health and the first particles, for the
//! trails and the scrubber). All particles come back when the run ends, or
//! when `samples()` asks mid-run.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::{Rc, Weak};

use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen::Clamped;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

use crate::engine::cpu::CpuSampler;
use crate::engine::gpu::{GpuContext, GpuError, GpuSampler, Probe, PROBE_PARTICLES};
use crate::web::calibrate::{calibrate, Calibration};
use crate::engine::health::Health;
use crate::model::weights::{EnergyFile, ModelFile};
use crate::model::{Conditioning, ExactMixture, ScoreModel};
use crate::science::datasets::{Dataset, BOX_HALF_WIDTH};
use crate::science::plan::StepPlan;
use crate::science::likelihood::LikelihoodPlan;
use crate::web::compare;
use crate::web::likelihood;
use crate::web::data::Data;
use crate::web::editor::Editor;
use crate::web::train::Trainer;
use crate::web::config::{self, BackendChoice, Config, Ignored, CPU_N_MAX};
use crate::engine::jacobian::jacobians_gpu;
use crate::web::layers::{density_grid, field_arrows, score_grid_request, score_grids, score_grids_from, LabelGrid, ScoreGrids, Trails};
use crate::web::gpu_render::{GpuRenderer, Points};
use crate::web::render::{Layers, Overlay, Raster, Tints};

/// Points of the faint data layer behind the particles.
const DATA_LAYER_POINTS: usize = 3000;
/// The data draws (and their noise) of the score diagnostics.
const DIAGNOSTICS_DATA_SEED: u32 = 0x5c0e;
/// The data layer's draws use their own seed so they never equal the samples' noise.
const DATA_LAYER_SEED: u32 = 0xDA7A;
/// A run takes at least about this many animation frames on WebGPU (one
/// dispatch, one render pass and one probe per frame)…
const GPU_FRAMES_PER_RUN: usize = 90;
/// …but one step per frame once a frame (dispatch to probe landed) takes
/// longer than this, so a very slow GPU (a software one, a huge run) still
/// shows progress and answers Pause within about a step's time.
const GPU_SLOW_FRAME_MS: f64 = 1000.0;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Backend {
    Webgpu,
    Cpu,
}

impl Backend {
    fn id(self) -> &'static str {
        match self {
            Backend::Webgpu => "webgpu",
            Backend::Cpu => "cpu",
        }
    }
}

enum Engine {
    Cpu(CpuSampler),
    Gpu(GpuSampler),
}

impl Engine {
    /// An engine with no particles, shown while there is nothing to sample
    /// (before start-up, while weights load, after they failed).
    fn idle(plan: StepPlan, seed: u32) -> Self {
        Engine::Cpu(CpuSampler::new(plan, ScoreModel::Exact(ExactMixture { components: Vec::new() }), Conditioning::class(None), seed, 0))
    }

    fn step(&self) -> usize {
        match self {
            Engine::Cpu(s) => s.step_index(),
            Engine::Gpu(s) => s.step_index(),
        }
    }
    fn total(&self) -> usize {
        match self {
            Engine::Cpu(s) => s.total_steps(),
            Engine::Gpu(s) => s.total_steps(),
        }
    }
    fn done(&self) -> bool {
        self.step() >= self.total()
    }
}

/// A dataset's pretrained weights, fetched on first use.
enum ModelSlot<F> {
    Loading,
    Ready(Rc<F>),
    Failed(String),
}

/// Where the page finds a dataset's weights (relative to the page).
pub(crate) fn model_url(d: Dataset) -> String {
    format!("models/{}.safetensors", d.id())
}

/// Where the page finds a dataset's energy model (model::energy).
pub(crate) fn energy_url(d: Dataset) -> String {
    format!("models/{}.energy.safetensors", d.id())
}

pub(crate) async fn fetch_bytes(url: &str) -> Result<Vec<u8>, String> {
    use wasm_bindgen_futures::JsFuture;
    let window = web_sys::window().ok_or("no window")?;
    let resp: web_sys::Response = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|e| format!("the request failed ({})", e.as_string().unwrap_or_else(|| format!("{e:?}"))))?
        .dyn_into()
        .map_err(|_| "the fetch did not return a response".to_string())?;
    if !resp.ok() {
        return Err(format!("HTTP {} {}", resp.status(), resp.status_text()));
    }
    let buf = JsFuture::from(resp.array_buffer().map_err(|_| "the response has no body".to_string())?)
        .await
        .map_err(|_| "reading the response failed".to_string())?;
    Ok(js_sys::Uint8Array::new(&buf).to_vec())
}

/// The WebGPU canvas and what its render pass draws from.
struct GpuView {
    surface: wgpu::Surface<'static>,
    renderer: GpuRenderer,
    /// What the background image was composed for (data version, data
    /// layer, tints key); re-uploaded only when it changes.
    background_for: Option<(u64, bool, Option<(u64, usize, Layers, Option<usize>)>)>,
    /// The data version the label grid was uploaded for.
    labels_for: Option<u64>,
}

impl GpuView {
    /// Configures a surface on the WebGPU canvas: an 8-bit non-sRGB format
    /// (so colours are Raster's bytes), opaque.
    fn new(gpu: &GpuContext, canvas: &HtmlCanvasElement, half_width: f32) -> Result<Self, String> {
        let surface = gpu.instance.create_surface(wgpu::SurfaceTarget::Canvas(canvas.clone())).map_err(|e| e.to_string())?;
        let caps = surface.get_capabilities(&gpu.adapter);
        let format = caps
            .formats
            .iter()
            .copied()
            .find(|f| matches!(f, wgpu::TextureFormat::Bgra8Unorm | wgpu::TextureFormat::Rgba8Unorm))
            .ok_or_else(|| format!("the canvas offers no 8-bit linear format ({:?})", caps.formats))?;
        let (w, h) = (canvas.width(), canvas.height());
        surface.configure(
            &gpu.device,
            &wgpu::SurfaceConfiguration {
                usage: wgpu::TextureUsages::RENDER_ATTACHMENT,
                format,
                width: w,
                height: h,
                present_mode: wgpu::PresentMode::Fifo,
                desired_maximum_frame_latency: 2,
                alpha_mode: wgpu::CompositeAlphaMode::Opaque,
                view_formats: vec![],
                color_space: wgpu::SurfaceColorSpace::Auto,
            },
        );
        let renderer = GpuRenderer::new(&gpu.device, format, w, h, half_width);
        Ok(Self { surface, renderer, background_for: None, labels_for: None })
    }
}

pub(crate) struct State {
    /// This state's own handle, for the model fetches it starts.
    me: Weak<RefCell<State>>,
    /// The in-page trainer (`model=trained`) and the data editor (`dataset=custom`; web::custom).
    pub(crate) trainer: Trainer,
    pub(crate) editor: Editor,
    /// What the last edit, import or link of the user's points left out, for the page.
    pub(crate) data_notice: Option<String>,
    /// backend=auto on a CPU emulation of a GPU: what each model kind's
    /// calibration found (keyed by the kernel: `State::kernel_kind`), for
    /// the page view; and whether one is running.
    calibrations: HashMap<&'static str, Result<Calibration, String>>,
    calibrating: bool,
    /// Frames that drew particles since the page started (status().framesDrawn).
    frames_drawn: u64,
    models: HashMap<Dataset, ModelSlot<ModelFile>>,
    /// The energy models (`model=energy`), fetched on first use likewise.
    energy_models: HashMap<Dataset, ModelSlot<EnergyFile>>,
    /// Waiting for the current dataset's weights.
    pub(crate) loading: bool,
    pub(crate) config: Config,
    ignored: Vec<Ignored>,
    pub(crate) gpu: Option<Rc<GpuContext>>,
    /// Why WebGPU is not available, when it is not.
    gpu_failure: Option<String>,
    backend: Backend,
    backend_reason: String,
    engine: Engine,
    /// The running plan (for NFE counts).
    plan: StepPlan,
    generation: u64,
    running: bool,
    /// The particles last read (interleaved x, y): all of them on the CPU;
    /// on WebGPU the probe's first PROBE_PARTICLES during a run, all of them
    /// once it ends (`has_all_particles` says which).
    particles: Vec<f32>,
    /// Plan steps per WebGPU frame this run (one on a very slow GPU).
    gpu_steps_per_frame: usize,
    /// Their check for NaN/Inf and escapes.
    health: Health,
    /// Wall time spent sampling this run (ticks, including GPU readbacks).
    elapsed_ms: f64,
    /// Run exactly one plan step on the next tick, then pause.
    single_step: bool,
    /// The running model (for the field and density layers).
    model_now: Option<ScoreModel>,
    /// Class regions of the current dataset (particle colours).
    label_grid: Option<LabelGrid>,
    trails: Trails,
    /// The run so far for the time scrubber: (steps done, the first
    /// SNAP_PARTICLES particles) per frame, thinned to at most SNAP_MAX.
    snapshots: Vec<(usize, Vec<f32>)>,
    /// The snapshot the scrubber shows (None: the live particles).
    scrub: Option<usize>,
    /// Show the forward (noising) process at the scrubbed time instead.
    forward_view: bool,
    /// Field arrows and the density grid, with the (generation, step, layers)
    /// they were computed for.
    layer_cache: Option<((u64, usize, Layers), Vec<([f32; 2], [f32; 2])>, Vec<f32>)>,
    /// The score layers' grids (web::layers::score_grids) and whether the GPU
    /// is computing the next ones.
    score_cache: Option<ScoreCache>,
    score_pending: bool,
    /// The plan step `particles` were read at (a WebGPU frame's read lands
    /// after its steps are recorded; the likelihood layer waits for the last).
    particles_at: usize,
    /// The score layers' Jacobian kernel failed once: they stay on the CPU.
    score_gpu_failed: bool,
    /// The likelihood layer of a finished run: its generation and what it has.
    likelihood_layer: Option<(u64, LikelihoodLayer)>,
    error: Option<String>,
    ctx2d: CanvasRenderingContext2d,
    pub(crate) raster: Raster,
    /// The 2D canvas and the WebGPU one (shown while a WebGPU run draws).
    canvas: HtmlCanvasElement,
    gpu_canvas: HtmlCanvasElement,
    view: Option<GpuView>,
    /// Bumped when the data layer and class regions are redrawn.
    data_version: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Status<'a> {
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

/// The likelihood layer's particles (web::likelihood): being measured, or
/// measured (each point with its value in [0, 1] over the 5th–95th
/// percentile of log p, and the mean log p), or why not.
enum LikelihoodLayer {
    Computing,
    Ready { points: Vec<([f32; 2], f32)>, mean_log_p: f64 },
    Failed(String),
}

/// The score layers' grids and what they were computed for.
struct ScoreCache {
    generation: u64,
    step: usize,
    layers: Layers,
    grids: ScoreGrids,
    /// Which backend evaluated the network's Jacobians ("webgpu", "cpu").
    backend: &'static str,
}

/// Particles the likelihood layer measures (the first finite ones), and its ODE steps.
const LIKELIHOOD_LAYER_POINTS: usize = 1024;
const LIKELIHOOD_LAYER_STEPS: usize = 16;

/// A config value from JS: `setConfig({steps: 50})` and `setConfig({steps: "50"})` are the same.
#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar {
    Num(f64),
    Bool(bool),
    Str(String),
}

impl Scalar {
    fn into_string(self) -> String {
        match self {
            Scalar::Num(v) if v.fract() == 0.0 && v.abs() < 1e18 => format!("{}", v as i64),
            Scalar::Num(v) => v.to_string(),
            Scalar::Bool(b) => (b as u8).to_string(),
            Scalar::Str(s) => s,
        }
    }
}

fn to_js<T: Serialize>(v: &T) -> JsValue {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).unwrap_or(JsValue::NULL)
}

/// `{ x: Float32Array, label: Int32Array | null }`, the shape of `samples()` and `data()`.
fn points_to_js(x: &[f32], label: Option<&[i32]>) -> JsValue {
    let out = js_sys::Object::new();
    let label = label.map_or(JsValue::NULL, |l| js_sys::Int32Array::from(l).into());
    let _ = js_sys::Reflect::set(&out, &"x".into(), &js_sys::Float32Array::from(x));
    let _ = js_sys::Reflect::set(&out, &"label".into(), &label);
    out.into()
}

/// Particles whose paths the trajectories layer draws, and points kept per path.
const TRAIL_PARTICLES: usize = 64;
const TRAIL_POINTS: usize = 256;
/// Grid sizes of the field (arrows) and density layers, and of the class regions
/// (from the first LABEL_POINTS data-layer draws).
const FIELD_GRID: usize = 21;
const DENSITY_GRID: usize = 96;
/// The score layers' grid (curl, angle, magnitude, divergence): a
/// forward-mode Jacobian of the MLP per cell (the 1 024 cost ~0.1–0.2 s per
/// redraw on the CPU in wasm, at every step of a run).
const SCORE_GRID: usize = 32;
const LABEL_GRID: usize = 128;
const LABEL_POINTS: usize = 1024;

/// The scrubber keeps the first SNAP_PARTICLES particles of at most SNAP_MAX
/// frames; the forward view noises data draws with this seed.
const SNAP_PARTICLES: usize = 16_384;
const SNAP_MAX: usize = 240;
const FORWARD_SEED: u32 = 0xF0_3A4D;

/// Particles and data draws the page's metrics use, and the data's seed.
const METRIC_POINTS: usize = 1024;
const METRIC_DATA_SEED: u32 = 0x5EED;

pub(crate) fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map(|p| p.now()).unwrap_or(0.0)
}

/// A GPU frame's read: the particles it brings (all, or the probe's first
/// ones) and, from a probe, the GPU's health count of all of them.
type FrameRead = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(Vec<f32>, Option<Health>), GpuError>>>>;

/// The `(key, value)` pairs of a `setConfig`/`checkConfig` argument.
pub(crate) fn config_pairs(partial: JsValue) -> Result<impl Iterator<Item = (String, String)>, JsError> {
    let map: BTreeMap<String, Scalar> = serde_wasm_bindgen::from_value(partial)
        .map_err(|e| JsError::new(&format!("setConfig takes an object of config keys: {e}")))?;
    Ok(map.into_iter().map(|(k, v)| (k, v.into_string())))
}

fn plan_for(cfg: &Config) -> StepPlan {
    let mut plan = StepPlan::build(cfg.schedule_kind(), cfg.sampler_kind(), cfg.steps, cfg.spacing_kind());
    // The noise temperature scales what every step injects (c_z·z).
    if cfg.noise != 1.0 {
        plan.steps.iter_mut().for_each(|st| st.c_z *= cfg.noise as f32);
    }
    plan
}

impl State {
    /// Picks the backend for the config and explains the choice.
    fn select_backend(&mut self) {
        let (backend, mut reason) = match (self.config.backend, &self.gpu) {
            (BackendChoice::Cpu, _) => (Backend::Cpu, "CPU, as the link asks (backend=cpu)".to_string()),
            (choice, Some(gpu)) => match (gpu.emulation(), self.calibration()) {
                (Some(e), Some(Ok(c))) if choice == BackendChoice::Auto && c.cpu_faster() && self.config.n <= CPU_N_MAX => (Backend::Cpu, c.describe(e)),
                (Some(e), Some(Err(why))) if choice == BackendChoice::Auto => (Backend::Cpu, format!("CPU: this browser's software WebGPU ({e}) failed its calibration: {why}")),
                (Some(e), calibration) => {
                    let measured = match calibration {
                        Some(Ok(c)) if choice == BackendChoice::Auto && c.cpu_faster() => format!(
                            "; the CPU measured {:.1}× faster here but samples at most {CPU_N_MAX} particles",
                            c.cpu_rate / c.gpu_rate
                        ),
                        Some(Ok(c)) if choice == BackendChoice::Auto => format!("; {}", c.describe(e)),
                        _ => String::new(),
                    };
                    (Backend::Webgpu, format!("WebGPU on {}, a CPU emulation of a GPU ({e}): the MLP runs its kernel for emulations{measured}", gpu.describe()))
                }
                (None, _) => (Backend::Webgpu, format!("WebGPU on {}", gpu.describe())),
            },
            (choice, None) => {
                let why = self.gpu_failure.clone().unwrap_or_else(|| "WebGPU is unavailable".into());
                let asked = if choice == BackendChoice::Webgpu { " although the link asks for backend=webgpu" } else { "" };
                (Backend::Cpu, format!("CPU{asked}: {why}"))
            }
        };
        if backend == Backend::Cpu && self.config.n > CPU_N_MAX {
            reason.push_str(&format!(
                "; the CPU samples {CPU_N_MAX} of the n={} particles asked for (more need WebGPU)",
                self.config.n
            ));
        }
        self.backend = backend;
        self.backend_reason = reason;
    }

    /// The calibration of the current model kind, if one has finished.
    fn calibration(&self) -> Option<&Result<Calibration, String>> {
        self.calibrations.get(self.kernel_kind())
    }

    /// Which sampling kernel the model kind runs, the key of its calibration:
    /// the mixture's, the MLP's (learned and trained) or the energy model's.
    fn kernel_kind(&self) -> &'static str {
        match self.config.model.as_str() {
            "exact" => "exact",
            "energy" => "energy",
            _ => "mlp",
        }
    }

    /// Starts the calibration `backend=auto` needs on a CPU emulation of a
    /// GPU (web::calibrate), unless it has run for this model kind; true
    /// while one is running (the run waits, as for a model's weights).
    fn calibrate(&mut self, plan: &StepPlan, model: &ScoreModel) -> bool {
        let Some(gpu) = self.gpu.clone() else { return false };
        // Above the CPU's cap WebGPU samples whatever the timing says.
        if self.config.backend != BackendChoice::Auto || gpu.emulation().is_none() || self.config.n > CPU_N_MAX || self.calibration().is_some() {
            return false;
        }
        if !self.calibrating {
            self.calibrating = true;
            let (me, key) = (self.me.clone(), self.kernel_kind());
            let (plan, model, cond, seed, n) = (plan.clone(), model.clone(), self.config.conditioning(), self.config.seed, self.config.n);
            wasm_bindgen_futures::spawn_local(async move {
                let result = calibrate(&gpu, &plan, &model, cond, seed, n).await.map_err(|e| e.to_string());
                let Some(state) = me.upgrade() else { return };
                let mut st = state.borrow_mut();
                st.calibrating = false;
                st.calibrations.insert(key, result);
                // Start the run it was waiting for.
                if st.loading {
                    st.restart();
                }
            });
        }
        true
    }

    /// The score model the config asks for: `Ok(None)` while its weights load
    /// (the fetch is started here), `Err` with the reason when they failed.
    fn model(&mut self) -> Result<Option<ScoreModel>, String> {
        if let Data::Custom(set) = &self.config.dataset {
            if set.is_empty() && self.config.model != "trained" {
                return Err("dataset=custom has no points yet: draw some on the canvas (Edit data), load a preset or paste a CSV".into());
            }
        }
        match self.config.model.as_str() {
            "exact" => return Ok(Some(ScoreModel::Exact(ExactMixture::new(&self.config.dataset.exact_mixture())))),
            "trained" => return self.trained_model(),
            _ => {}
        }
        let Some(d) = self.config.dataset.builtin() else {
            return Err("dataset=custom has no pretrained model: train one on your points (model=trained, the Train button)".into());
        };
        if self.config.model == "energy" {
            return self.energy_model(d);
        }
        let file = self.fetched(d, "learned", |st| &mut st.models, model_url, ModelFile::from_bytes)?;
        Ok(file.map(|f| ScoreModel::learned(&f)))
    }

    /// `model=energy`: the dataset's energy model, fetched on first use.
    fn energy_model(&mut self, d: Dataset) -> Result<Option<ScoreModel>, String> {
        let file = self.fetched(d, "energy", |st| &mut st.energy_models, energy_url, EnergyFile::from_bytes)?;
        Ok(file.map(|f| ScoreModel::Energy(f.net.clone())))
    }

    /// A dataset's model file of kind `model` (`learned`, `energy`) from its
    /// slot in `slots`: `Ok(None)` while it loads (the fetch of `url(d)`,
    /// checked by `parse`, is started here); when it lands, the run waiting
    /// for it starts if the page still wants it.
    fn fetched<F: 'static>(
        &mut self,
        d: Dataset,
        model: &'static str,
        slots: fn(&mut State) -> &mut HashMap<Dataset, ModelSlot<F>>,
        url: fn(Dataset) -> String,
        parse: fn(&[u8], Dataset) -> Result<F, crate::model::weights::WeightsError>,
    ) -> Result<Option<Rc<F>>, String> {
        match slots(self).get(&d) {
            Some(ModelSlot::Ready(file)) => return Ok(Some(file.clone())),
            Some(ModelSlot::Failed(e)) => return Err(e.clone()),
            Some(ModelSlot::Loading) => return Ok(None),
            None => {}
        }
        slots(self).insert(d, ModelSlot::Loading);
        let me = self.me.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let url = url(d);
            let slot = match fetch_bytes(&url).await {
                Ok(bytes) => match parse(&bytes, d) {
                    Ok(file) => ModelSlot::Ready(Rc::new(file)),
                    Err(e) => ModelSlot::Failed(format!("the {model} model for {} ({url}) is unusable: {e}", d.id())),
                },
                Err(e) => ModelSlot::Failed(format!("the {model} model for {} ({url}) could not be loaded: {e}", d.id())),
            };
            let Some(state) = me.upgrade() else { return };
            let mut st = state.borrow_mut();
            slots(&mut st).insert(d, slot);
            if st.loading && st.config.dataset == Data::Builtin(d) && st.config.model == model {
                st.restart();
            }
        });
        Ok(None)
    }

    /// `model=trained`: the trained (or loaded) model; while none exists, a
    /// run of the config's recipe on the current data is started (a link
    /// with `model=trained` retrains) and the sampler waits for it.
    fn trained_model(&mut self) -> Result<Option<ScoreModel>, String> {
        if let Some(t) = &self.trainer.trained {
            return Ok(Some(t.model()));
        }
        match self.trainer.job.as_ref().map(|j| j.phase) {
            Some(crate::web::train::Phase::Running | crate::web::train::Phase::Paused) => Ok(None),
            Some(crate::web::train::Phase::Failed) => Err(self.trainer.job.as_ref().and_then(|j| j.error.clone()).unwrap_or_default()),
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
        let gpu = match (self.config.backend, &self.gpu) {
            (BackendChoice::Cpu, _) | (_, None) => None,
            (BackendChoice::Auto, Some(g)) if g.emulation().is_some() => None,
            (_, Some(g)) => Some(g.clone()),
        };
        self.trainer.start(self.config.dataset.training_set(), self.config.recipe(), gpu.as_deref())
    }

    /// A training run ended: `model=trained` samples the new model.
    pub(crate) fn on_trained(&mut self) {
        if self.config.model == "trained" {
            self.restart();
        }
    }

    /// Starts sampling the current config from fresh noise.
    pub(crate) fn restart(&mut self) {
        self.select_backend();
        let plan = plan_for(&self.config);
        let seed = self.config.seed;
        self.plan = plan.clone();
        self.generation += 1;
        self.particles_at = 0;
        self.error = None;
        self.health = Default::default();
        self.elapsed_ms = 0.0;
        self.gpu_steps_per_frame = self.plan.len().div_ceil(GPU_FRAMES_PER_RUN).max(1);
        self.single_step = false;
        self.model_now = None;
        self.layer_cache = None;
        self.trails.clear();
        self.snapshots.clear();
        self.scrub = None;
        self.loading = false;
        let model = match self.model() {
            Ok(Some(m)) if self.calibrate(&plan, &m) => {
                // While the backends are timed, x_T is already on screen:
                // the same noise on both, drawn by the CPU.
                let n = self.effective_n().min(PROBE_PARTICLES);
                self.particles = crate::engine::cpu::initial_noise(seed, n, plan.init_scale).into_iter().flatten().collect();
                self.engine = Engine::idle(plan, seed);
                self.running = false;
                self.loading = true;
                self.draw_data_layer();
                return;
            }
            Ok(Some(m)) if !m.has_classifier() && matches!(self.config.conditioning().active(), crate::science::guidance::Guidance::Classifier { .. }) => {
                let why = if matches!(m, ScoreModel::Energy(_)) {
                    "the energy model has no noisy-input classifier, so classifier guidance cannot run: pick guidance=cfg (its null class is trained) or none".to_string()
                } else {
                    "the trained model has no noisy-input classifier, so classifier guidance cannot run: retrain with the classifier ticked (clf=1), or pick guidance=cfg (its null class is trained) or none".to_string()
                };
                self.refuse(plan, seed, why);
                return;
            }
            Ok(Some(m)) if self.config.class.is_some_and(|c| m.num_classes().is_some_and(|n| c as usize >= n)) => {
                let why = format!("the model knows {} classes, so class={} is not one of them: pick class=all or a smaller class", m.num_classes().unwrap_or(0), self.config.class.unwrap_or(0));
                self.refuse(plan, seed, why);
                return;
            }
            Ok(Some(m)) => m,
            other => {
                // Nothing to sample yet (loading) or at all (failed): an empty
                // engine, the settings kept, and the reason on the page.
                self.engine = Engine::idle(plan, seed);
                self.running = false;
                self.particles.clear();
                match other {
                    Err(e) => self.error = Some(format!("{e}. Pick model=exact or another dataset; your other settings are kept.")),
                    _ => self.loading = true,
                }
                self.draw_data_layer();
                return;
            }
        };
        let cond = self.config.conditioning();
        let n = self.effective_n();
        self.model_now = Some(model.clone());
        self.engine = match (self.backend, &self.gpu) {
            (Backend::Webgpu, Some(gpu)) => Engine::Gpu(GpuSampler::new(gpu, &plan, &model, cond, seed, n)),
            _ => {
                Engine::Cpu(CpuSampler::new(plan, model, cond, seed, n))
            }
        };
        self.running = true;
        // x_T: the CPU engine holds it; for the GPU engine the CPU draws the
        // same noise for the first particles (the trails' and the scrubber's
        // first frame), and the GPU view draws all of them from GPU memory.
        self.particles = match &self.engine {
            Engine::Cpu(s) => s.particles.iter().flatten().copied().collect(),
            Engine::Gpu(s) => crate::engine::cpu::initial_noise(seed, s.len().min(PROBE_PARTICLES), self.plan.init_scale).into_iter().flatten().collect(),
        };
        self.snapshot();
        self.draw_data_layer();
    }

    /// No run: an empty engine, the settings kept, and the reason on the page.
    fn refuse(&mut self, plan: StepPlan, seed: u32, why: String) {
        self.engine = Engine::idle(plan, seed);
        self.running = false;
        self.particles.clear();
        self.error = Some(format!("{why}. Your other settings are kept."));
        self.draw_data_layer();
    }

    /// The model a diagnostic measures, or why there is none yet.
    fn diagnostics_model(&mut self) -> Result<ScoreModel, JsError> {
        self.model().map_err(|e| JsError::new(&e))?.ok_or_else(|| JsError::new("the learned model is still loading"))
    }

    /// What a likelihood computation needs: the model, the grid of `steps`
    /// (0: the run's steps), and the GPU when the run is on WebGPU.
    #[allow(clippy::type_complexity)]
    fn likelihood_job(&mut self, steps: u32) -> Result<(ScoreModel, LikelihoodPlan, Option<Rc<GpuContext>>, &'static str), JsValue> {
        let model = self.diagnostics_model().map_err(JsValue::from)?;
        let steps = if steps == 0 { self.config.steps } else { steps as usize }.clamp(1, config::STEPS_MAX);
        let gpu = match &self.engine {
            Engine::Gpu(_) => self.gpu.clone(),
            _ => None,
        };
        let backend = if gpu.is_some() { "webgpu" } else { "cpu" };
        Ok((model, LikelihoodPlan::new(steps), gpu, backend))
    }

    /// Brings the score layers' grids to `step`: at once on the CPU, or by
    /// the Jacobian kernel (engine::jacobian) during a WebGPU run of a network,
    /// one request at a time, redrawing when it lands.
    fn update_score_grids(&mut self, step: usize, want: Layers) {
        let fresh = |c: &ScoreCache| c.generation == self.generation && c.layers == want && c.step == step;
        if self.score_cache.as_ref().is_some_and(fresh) {
            return;
        }
        let needs_truth = want.angle || want.magnitude || want.divergence;
        let truth = move |d: &Data| if needs_truth { d.exact_mixture() } else { crate::science::mixture::Mixture { components: Vec::new() } };
        let Some(model) = &self.model_now else { return };
        let read = match (&self.engine, model, &self.gpu) {
            (Engine::Gpu(_), ScoreModel::Mlp { .. } | ScoreModel::Energy(_), Some(gpu)) if !self.score_gpu_failed => {
                if self.score_pending {
                    return;
                }
                let Some(req) = score_grid_request(&self.plan, step, &self.raster, SCORE_GRID, want) else { return };
                let level = model.level(req.t, req.alpha, req.sigma);
                jacobians_gpu(gpu, model, &level.time_bias, req.c_in, &req.points)
            }
            _ => {
                let grids = score_grids(model, &truth(&self.config.dataset), &self.plan, step, &self.raster, SCORE_GRID, want);
                self.score_cache = Some(ScoreCache { generation: self.generation, step, layers: want, grids, backend: "cpu" });
                return;
            }
        };
        self.score_pending = true;
        let (me, generation) = (self.me.clone(), self.generation);
        wasm_bindgen_futures::spawn_local(async move {
            let result = read.await;
            let Some(state) = me.upgrade() else { return };
            let mut st = state.borrow_mut();
            st.score_pending = false;
            match result {
                Ok(jacobians) if st.generation == generation => {
                    let grids = score_grids_from(&jacobians, &truth(&st.config.dataset), &st.plan, step, &st.raster, SCORE_GRID, want);
                    st.score_cache = Some(ScoreCache { generation, step, layers: want, grids, backend: "webgpu" });
                }
                // A restart came in between: the next draw asks again.
                Ok(_) => {}
                Err(e) => {
                    // The layers go on from the CPU; the run is not affected.
                    web_sys::console::warn_1(&format!("the score layers' Jacobian kernel failed on WebGPU ({e}); computing them on the CPU").into());
                    st.score_gpu_failed = true;
                }
            }
            st.draw();
        });
    }

    /// Starts measuring the likelihood layer's particles once the run has
    /// ended (once per run): PF-ODE log p on the run's backend, then a redraw.
    fn start_likelihood_layer(&mut self) {
        let final_particles = self.engine.done() && self.particles_at >= self.engine.total();
        if !final_particles || self.engine.total() == 0 || self.likelihood_layer.as_ref().is_some_and(|(g, _)| *g == self.generation) {
            return;
        }
        let points: Vec<[f32; 2]> =
            self.particles.chunks_exact(2).map(|p| [p[0], p[1]]).filter(|p| p[0].is_finite() && p[1].is_finite()).take(LIKELIHOOD_LAYER_POINTS).collect();
        if points.is_empty() {
            return;
        }
        let generation = self.generation;
        let job = self.likelihood_job(LIKELIHOOD_LAYER_STEPS as u32);
        self.likelihood_layer = Some((generation, LikelihoodLayer::Computing));
        let me = self.me.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let result = match job {
                Ok((model, plan, gpu, _)) => likelihood::log_likelihood(model, plan, points.clone(), gpu).await.map_err(|e| e.as_string().unwrap_or_else(|| format!("{e:?}"))),
                Err(e) => Err(e.as_string().unwrap_or_else(|| "no model".into())),
            };
            let Some(state) = me.upgrade() else { return };
            let mut st = state.borrow_mut();
            if st.generation != generation {
                return;
            }
            let layer = match result {
                Ok(log_p) => {
                    let (lo, hi) = likelihood::percentile_range(&log_p, 0.05, 0.95);
                    let points = points.iter().zip(&log_p).map(|(p, v)| (*p, ((v - lo) / (hi - lo).max(1e-9)) as f32)).collect();
                    LikelihoodLayer::Ready { points, mean_log_p: log_p.iter().sum::<f64>() / log_p.len() as f64 }
                }
                Err(e) => LikelihoodLayer::Failed(format!("the likelihood layer failed: {e}")),
            };
            st.likelihood_layer = Some((generation, layer));
            st.draw();
        });
    }

    /// The network time a diagnostic measures: `t` if in (0, 1], else the level the run shows.
    fn diagnostics_time(&self, t: f64) -> f64 {
        if t > 0.0 && t <= 1.0 {
            return t;
        }
        let plan = &self.plan;
        match plan.steps.get(self.engine.step().min(plan.len().saturating_sub(1))) {
            Some(ps) => plan.levels[ps.level as usize] as f64,
            None => 1.0,
        }
    }

    pub(crate) fn draw_data_layer(&mut self) {
        self.data_version += 1;
        // The user's own points are drawn as they are; a built-in set by a fixed draw.
        let (data, labels) = match &self.config.dataset {
            Data::Custom(set) => (set.points.clone(), set.labels.iter().map(|&l| l as i32).collect()),
            d => d.sample(DATA_LAYER_POINTS, DATA_LAYER_SEED),
        };
        match &self.config.dataset {
            Data::Custom(set) => self.raster.set_data_layer_classes(&data, Some(&set.labels)),
            _ => self.raster.set_data_layer(&data),
        }
        let k = data.len().min(LABEL_POINTS);
        self.label_grid = (self.config.dataset.num_classes() > 1 && k > 0).then(|| LabelGrid::new(&data[..k], &labels[..k], LABEL_GRID, BOX_HALF_WIDTH as f32 + 0.5));
        self.trails.push(&self.particles);
        self.draw();
    }

    /// Particles the run samples: n, or the CPU cap. Derived from the config
    /// and the backend, so it is right while the model's weights still load
    /// (when the engine holds no particles yet).
    fn effective_n(&self) -> usize {
        match self.backend {
            Backend::Webgpu => self.config.n,
            Backend::Cpu => self.config.n.min(CPU_N_MAX),
        }
    }

    /// Records the current particles for the scrubber (once per step count).
    fn snapshot(&mut self) {
        let step = self.engine.step();
        if self.particles.is_empty() || self.snapshots.last().is_some_and(|(s, _)| *s == step) {
            return;
        }
        let keep = self.particles.len().min(2 * SNAP_PARTICLES);
        self.snapshots.push((step, self.particles[..keep].to_vec()));
        if self.snapshots.len() > SNAP_MAX {
            // Drop every other snapshot but keep the first and the last.
            let last = self.snapshots.pop();
            let mut k = 0;
            self.snapshots.retain(|_| {
                k += 1;
                k % 2 == 1
            });
            self.snapshots.extend(last);
        }
    }

    /// The forward process at the level reached after `steps` plan steps:
    /// `x = a x0 + σ ε` for fresh data draws x0 and fixed noise ε.
    fn forward_particles(&self, steps: usize) -> Vec<f32> {
        let (a, sigma) = match self.plan.steps.get(steps) {
            Some(st) => (st.alpha / st.c_in, st.sigma / st.c_in),
            None => (1.0, 0.0),
        };
        let n = (self.particles.len() / 2).clamp(1, SNAP_PARTICLES);
        let (x0, _) = self.config.dataset.sample(n, FORWARD_SEED);
        x0.iter()
            .enumerate()
            .flat_map(|(i, p)| {
                let e = crate::science::rng::gaussian2(FORWARD_SEED, i as u32, 0, 0);
                [a * p[0] + sigma * e[0], a * p[1] + sigma * e[1]]
            })
            .collect()
    }

    /// Whether `self.particles` holds every particle of the run (a WebGPU
    /// run's frames bring only the probe's first ones).
    fn has_all_particles(&self) -> bool {
        self.particles.len() / 2 == self.effective_n()
    }

    /// Whether the WebGPU view draws (a WebGPU run), else the 2D canvas.
    fn gpu_view_draws(&self) -> bool {
        matches!(self.engine, Engine::Gpu(_)) && self.view.is_some()
    }

    fn draw(&mut self) {
        // A WebGPU run draws on the WebGPU canvas, anything else on the 2D one.
        let gpu_view = self.gpu_view_draws();
        if self.gpu_canvas.hidden() == gpu_view {
            self.gpu_canvas.set_hidden(!gpu_view);
            self.canvas.set_hidden(gpu_view);
        }
        // The scrubber shows a recorded frame (or the forward process there).
        if let Some(k) = self.scrub {
            let Some((step, snap)) = self.snapshots.get(k).cloned() else { return };
            let shown = if self.forward_view { self.forward_particles(step) } else { snap };
            let live = std::mem::replace(&mut self.particles, shown);
            self.draw_particles(step, gpu_view, true);
            self.particles = live;
            return;
        }
        self.draw_particles(self.engine.step(), gpu_view, false);
    }

    fn layers(&self) -> Layers {
        let c = &self.config;
        Layers {
            data: c.layer("data"),
            particles: c.layer("particles"),
            trajectories: c.layer("trajectories"),
            field: c.layer("field"),
            density: c.layer("density"),
            curl: c.layer("curl"),
            angle: c.layer("angle"),
            magnitude: c.layer("magnitude"),
            divergence: c.layer("divergence"),
            likelihood: c.layer("likelihood"),
        }
    }

    /// Draws the layers at the level after `step` plan steps: the particles
    /// in `self.particles` on the 2D canvas, or on the WebGPU canvas those in
    /// GPU memory (`self.particles` when `scrubbed`: a recorded frame).
    fn draw_particles(&mut self, step: usize, gpu_view: bool, scrubbed: bool) {
        let layers = self.layers();
        if layers.likelihood && !scrubbed {
            self.start_likelihood_layer();
        }
        // Field and density are recomputed when the step changes.
        let computed = Layers { field: layers.field, density: layers.density, ..Layers::NONE };
        let key = (self.generation, step, computed);
        if computed != Layers::NONE && self.layer_cache.as_ref().is_none_or(|(k, ..)| *k != key) {
            if let Some(model) = &self.model_now {
                let arrows = if layers.field { field_arrows(model, &self.plan, key.1, &self.raster, FIELD_GRID) } else { Vec::new() };
                let density = if layers.density { density_grid(model, &self.plan, key.1, &self.particles, &self.raster, DENSITY_GRID) } else { Vec::new() };
                self.layer_cache = Some((key, arrows, density));
            }
        }
        // The score layers likewise, on the GPU during a WebGPU run (drawn a
        // step or two late while the kernel runs), else on the CPU.
        let score_layers = Layers { curl: layers.curl, angle: layers.angle, magnitude: layers.magnitude, divergence: layers.divergence, ..Layers::NONE };
        if score_layers != Layers::NONE {
            self.update_score_grids(step, score_layers);
        }
        // Only what was computed for these layers (with all of them off, the
        // caches still hold the last ones: they must not be drawn).
        fn grid(v: &[f32]) -> Option<(&[f32], usize)> {
            (!v.is_empty()).then_some((v, SCORE_GRID))
        }
        let (arrows, density): (&[([f32; 2], [f32; 2])], Option<(&[f32], usize)>) = match &self.layer_cache {
            Some((k, a, d)) if *k == key => (a, (!d.is_empty()).then_some((d.as_slice(), DENSITY_GRID))),
            _ => (&[], None),
        };
        let mut tints = Tints { density, ..Tints::default() };
        let mut score_step = None;
        if let Some(c) = self.score_cache.as_ref().filter(|c| score_layers != Layers::NONE && c.generation == self.generation && c.layers == score_layers) {
            (tints.curl, tints.angle, tints.magnitude, tints.divergence) = (grid(&c.grids.curl), grid(&c.grids.angle), grid(&c.grids.magnitude), grid(&c.grids.divergence));
            score_step = Some(c.step);
        }
        let valued: &[([f32; 2], f32)] = match &self.likelihood_layer {
            Some((g, LikelihoodLayer::Ready { points, .. })) if *g == self.generation && layers.likelihood && !scrubbed => points,
            _ => &[],
        };
        if gpu_view {
            let (Engine::Gpu(sampler), Some(view), Some(gpu)) = (&self.engine, self.view.as_mut(), self.gpu.as_ref()) else { return };
            let background_for = (self.data_version, layers.data, tints.any().then_some((key.0, key.1, Layers { curl: layers.curl, angle: layers.angle, magnitude: layers.magnitude, divergence: layers.divergence, ..computed }, score_step)));
            if view.background_for != Some(background_for) {
                view.renderer.set_background(&gpu.queue, self.raster.compose_background(layers, tints));
                view.background_for = Some(background_for);
            }
            if view.labels_for != Some(self.data_version) {
                view.renderer.set_labels(&gpu.device, &gpu.queue, self.label_grid.as_ref());
                view.labels_for = Some(self.data_version);
            }
            let overlay = Overlay { labels: None, trails: &self.trails.paths, arrows, tints: Tints::default(), valued, curves: &[] };
            view.renderer.set_strokes(&gpu.queue, self.raster.compose_overlay(layers, &overlay));
            let texture = match view.surface.get_current_texture() {
                wgpu::CurrentSurfaceTexture::Success(t) | wgpu::CurrentSurfaceTexture::Suboptimal(t) => t,
                other => {
                    self.error = Some(format!("the WebGPU canvas gave no texture to draw on ({other:?})"));
                    return;
                }
            };
            let target = texture.texture.create_view(&Default::default());
            let points = if scrubbed { Points::Cpu(&self.particles) } else { Points::Gpu(sampler.particles(), sampler.len()) };
            let mut enc = gpu.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("draw") });
            view.renderer.encode(&gpu.device, &gpu.queue, &mut enc, &target, points, layers.particles);
            gpu.queue.submit(Some(enc.finish()));
            gpu.queue.present(texture);
            self.frames_drawn += 1;
            return;
        }
        let (w, h) = (self.raster.width as u32, self.raster.height as u32);
        let labels: Option<Vec<u8>> = match (&self.label_grid, layers.particles) {
            (Some(grid), true) => Some(self.particles.chunks_exact(2).map(|p| grid.label([p[0], p[1]])).collect()),
            _ => None,
        };
        let overlay = Overlay { labels: labels.as_deref(), trails: &self.trails.paths, arrows, tints, valued, curves: &[] };
        let img = self.raster.draw_layers(&self.particles, layers, &overlay);
        match ImageData::new_with_u8_clamped_array_and_sh(Clamped(img), w, h) {
            Ok(data) => {
                let _ = self.ctx2d.put_image_data(&data, 0.0, 0.0);
                if !self.particles.is_empty() && layers.particles {
                    self.frames_drawn += 1;
                }
            }
            Err(e) => self.error = Some(format!("drawing failed: {e:?}")),
        }
    }

    /// After new particles land: stop with a clear message on NaN/Inf, and
    /// count the particles that escaped far from the data.
    /// `health` is the GPU's count over all particles (a probe), or `None`
    /// to check `self.particles` here.
    fn check_finite(&mut self, health: Option<Health>) {
        self.health = health.unwrap_or_else(|| crate::engine::health::check(&self.particles));
        if let Some(i) = self.health.first_non_finite {
            self.running = false;
            self.error = Some(format!(
                "sampling diverged: {} of {} particles became NaN or infinite by step {} of {} (the first: particle {i}). \
                 Lower the guidance strength or the Langevin step size, or take more steps; your settings are kept, press restart after changing them",
                self.health.non_finite,
                self.effective_n(),
                self.engine.step(),
                self.engine.total()
            ));
        }
    }

    /// A class per particle: the learned classifier's at t ≈ 0 when this
    /// dataset's weights are loaded, else the label of the nearest exact component.
    fn class_labels(&self, pts: &[[f32; 2]]) -> Vec<u32> {
        if let Some(ModelSlot::Ready(file)) = self.config.dataset.builtin().and_then(|d| self.models.get(&d)) {
            return pts.iter().map(|x| file.classifier.predict(*x, 1e-3) as u32).collect();
        }
        let mix = self.config.dataset.exact_mixture();
        if mix.components.is_empty() {
            return vec![0; pts.len()];
        }
        pts.iter().map(|x| mix.components[mix.nearest_component([x[0] as f64, x[1] as f64])].label as u32).collect()
    }

    fn status(&self) -> JsValue {
        to_js(&Status {
            backend: self.backend.id(),
            backend_reason: &self.backend_reason,
            running: self.running,
            loading: self.loading,
            step: self.engine.step(),
            total_steps: self.engine.total(),
            // Network evaluations per particle: the plan's, twice under guidance.
            nfe: self.plan.nfe_through(self.engine.step()) as u64 * self.config.conditioning().evals() as u64,
            error: self.error.as_deref(),
            n: self.effective_n(),
            non_finite: self.health.non_finite,
            escaped: self.health.escaped,
            elapsed_ms: self.elapsed_ms,
            renderer: if self.gpu_view_draws() { "webgpu" } else { "canvas2d" },
            readback_bytes: match &self.engine {
                Engine::Gpu(s) => s.read_bytes(),
                Engine::Cpu(_) => 0,
            },
            particle_steps_per_second: if self.elapsed_ms > 0.0 {
                (self.engine.step() * self.effective_n()) as f64 / (self.elapsed_ms / 1000.0)
            } else {
                0.0
            },
            kernel: match &self.engine {
                Engine::Gpu(s) => Some(s.kernel().id()),
                Engine::Cpu(_) => None,
            },
            emulation: self.gpu.as_ref().and_then(|g| g.emulation()),
            calibration: self.calibration().and_then(|c| c.as_ref().ok()).copied(),
            frames_drawn: self.frames_drawn,
            ignored: self.ignored.iter().map(|i| i.to_string()).collect(),
            score_layers: self.score_cache.as_ref().filter(|c| c.generation == self.generation).map(|c| c.backend),
            likelihood_layer: self.likelihood_layer.as_ref().filter(|(g, _)| *g == self.generation).map(|(_, l)| match l {
                LikelihoodLayer::Computing => LikelihoodLayerStatus { state: "computing", n: 0, mean_log_p: None, error: None },
                LikelihoodLayer::Ready { points, mean_log_p } => LikelihoodLayerStatus { state: "ready", n: points.len(), mean_log_p: Some(*mean_log_p), error: None },
                LikelihoodLayer::Failed(e) => LikelihoodLayerStatus { state: "failed", n: 0, mean_log_p: None, error: Some(e) },
            }),
            training: self.trainer.running(),
            custom_points: match &self.config.dataset {
                Data::Custom(set) => Some(set.points.len()),
                Data::Builtin(_) => None,
            },
        })
    }
}

#[wasm_bindgen]
pub struct App {
    pub(crate) state: Rc<RefCell<State>>,
}

#[wasm_bindgen]
impl App {
    /// Builds the app on a canvas from a URL fragment; probes WebGPU once.
    /// `gpu_canvas` is the WebGPU canvas the render pass draws on; it is
    /// shown in place of `canvas` while a WebGPU run draws.
    pub async fn create(canvas: HtmlCanvasElement, gpu_canvas: HtmlCanvasElement, fragment: String) -> Result<App, JsError> {
        console_error_panic_hook::set_once();
        let ctx2d = canvas
            .get_context("2d")
            .map_err(|_| JsError::new("the canvas has no 2D context"))?
            .ok_or_else(|| JsError::new("the canvas has no 2D context"))?
            .dyn_into::<CanvasRenderingContext2d>()
            .map_err(|_| JsError::new("the canvas has no 2D context"))?;
        let (config, ignored) = Config::from_fragment(&fragment);
        let raster = Raster::new(canvas.width() as usize, canvas.height() as usize);
        // WebGPU samples only where it can also draw (no per-frame readback).
        let (gpu, gpu_failure, view) = match GpuContext::new().await {
            Ok(mut ctx) => {
                // A CPU emulation of a GPU runs the MLP kernel made for it.
                if let Some(name) = crate::web::adapter::emulation().await {
                    ctx.set_emulation(Some(name));
                }
                match GpuView::new(&ctx, &gpu_canvas, raster.half_width()) {
                Ok(view) => (Some(Rc::new(ctx)), None, Some(view)),
                Err(e) => (None, Some(format!("WebGPU cannot draw on the canvas: {e}")), None),
                }
            }
            Err(e) => (None, Some(e.to_string()), None),
        };
        let plan = plan_for(&config);
        let placeholder = Engine::idle(plan.clone(), config.seed);
        let state = Rc::new_cyclic(|me| RefCell::new(State {
            me: me.clone(),
            trainer: Trainer::default(),
            editor: Editor::default(),
            data_notice: None,
            calibrations: HashMap::new(),
            calibrating: false,
            frames_drawn: 0,
            models: HashMap::new(),
            energy_models: HashMap::new(),
            loading: false,
            config,
            ignored,
            gpu,
            gpu_failure,
            backend: Backend::Cpu,
            backend_reason: String::new(),
            engine: placeholder,
            plan,
            generation: 0,
            running: false,
            particles: Vec::new(),
            gpu_steps_per_frame: 1,
            health: Default::default(),
            elapsed_ms: 0.0,
            single_step: false,
            model_now: None,
            label_grid: None,
            trails: Trails::new(TRAIL_PARTICLES, TRAIL_POINTS),
            layer_cache: None,
            score_cache: None,
            score_pending: false,
            likelihood_layer: None,
            particles_at: 0,
            score_gpu_failed: false,
            snapshots: Vec::new(),
            scrub: None,
            forward_view: false,
            error: None,
            ctx2d,
            raster,
            canvas,
            gpu_canvas,
            view,
            data_version: 0,
        }));
        {
            let mut st = state.borrow_mut();
            st.restart();
            // autoplay=0: show x_T and wait for Play.
            if !st.config.autoplay {
                st.running = false;
            }
        }
        Ok(App { state })
    }

    /// Advances sampling by one animation frame and draws it; resolves to `status()`.
    /// CPU: as many steps as fit in `budget_ms`. WebGPU: one dispatch of a
    /// fixed share of the run, then one readback.
    pub fn tick(&self, budget_ms: f64) -> js_sys::Promise {
        let state = self.state.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            let tick_start = now_ms();
            let pending = {
                let mut guard = state.borrow_mut();
                let st = &mut *guard;
                if !st.running {
                    return Ok(st.status());
                }
                let single = std::mem::take(&mut st.single_step);
                if single {
                    st.running = false;
                }
                if st.engine.done() {
                    st.running = false;
                    return Ok(st.status());
                }
                match (&mut st.engine, &st.gpu) {
                    (Engine::Cpu(s), _) => {
                        if single {
                            s.run_steps(1);
                        } else {
                            let start = now_ms();
                            // Blocks of particles until the budget is spent: one
                            // frame stays short even when one step is not.
                            s.run_slice(|| now_ms() - start >= budget_ms);
                        }
                        st.particles.clear();
                        st.particles.extend(s.particles.iter().flatten());
                        st.particles_at = s.step_index();
                        None
                    }
                    (Engine::Gpu(s), Some(gpu)) => {
                        let per_frame = if single { 1 } else { st.gpu_steps_per_frame };
                        s.run_steps(gpu, per_frame);
                        // The last frame of a run (or of a single step) reads
                        // every particle back; the others only a probe.
                        let read: FrameRead = if s.done() || single {
                            let all = s.read_particles(gpu);
                            Box::pin(async move { all.await.map(|p| (p, None)) })
                        } else {
                            let probe = s.probe(gpu);
                            Box::pin(async move { probe.await.map(|Probe { health, first }| (first, Some(health))) })
                        };
                        Some((read, st.generation, now_ms(), s.step_index()))
                    }
                    (Engine::Gpu(_), None) => unreachable!("a GPU engine always has its context"),
                }
            };
            let mut gpu_health = None;
            if let Some((readback, generation, sent, read_at)) = pending {
                let result = readback.await;
                let mut st = state.borrow_mut();
                if st.generation != generation {
                    return Ok(st.status());
                }
                match result {
                    Ok((p, health)) => {
                        st.particles = p;
                        st.particles_at = read_at;
                        gpu_health = health;
                        if now_ms() - sent > GPU_SLOW_FRAME_MS {
                            st.gpu_steps_per_frame = 1;
                        }
                    }
                    Err(e) => {
                        // Fall back to the CPU and say why; the user's settings stay.
                        st.gpu = None;
                        st.gpu_failure = Some(format!("WebGPU failed while sampling ({e})"));
                        st.restart();
                        return Ok(st.status());
                    }
                }
            }
            let mut guard = state.borrow_mut();
            let st = &mut *guard;
            st.elapsed_ms += now_ms() - tick_start;
            st.trails.push(&st.particles);
            st.snapshot();
            st.check_finite(gpu_health);
            if st.engine.done() {
                st.running = false;
            }
            st.draw();
            Ok(st.status())
        })
    }

    pub fn status(&self) -> JsValue {
        self.state.borrow().status()
    }

    /// `{ x, label }`: n draws of dataset `id` (the page's thumbnails).
    #[wasm_bindgen(js_name = datasetSample)]
    pub fn dataset_sample(id: String, n: u32, seed: u32) -> Result<JsValue, JsError> {
        let d = Dataset::from_id(&id).ok_or_else(|| JsError::new(&format!("unknown dataset {id}")))?;
        let (xs, labels) = d.sample(n as usize, seed);
        let flat: Vec<f32> = xs.into_iter().flatten().collect();
        Ok(points_to_js(&flat, Some(&labels)))
    }

    /// Score diagnostics (src/engine/diagnostics.rs) of the current model,
    /// unconditional, at network time `t` (not in (0, 1]: the level the run
    /// shows now) over `n` data draws (1–16 384) noised to it: `{ t, sigma,
    /// n, cStar, magnitudeRmse, meanCosine, meanAngleDeg, curlMeanAbs,
    /// divergenceRmse, exactDivergenceRms }`.
    #[wasm_bindgen(js_name = scoreDiagnostics)]
    pub fn score_diagnostics(&self, t: f64, n: u32) -> Result<JsValue, JsError> {
        let mut st = self.state.borrow_mut();
        let model = st.diagnostics_model()?;
        let t = st.diagnostics_time(t);
        let d = st.config.dataset.clone();
        let (data, _) = d.sample(n.clamp(1, 16_384) as usize, DIAGNOSTICS_DATA_SEED);
        Ok(to_js(&crate::engine::diagnostics::score_diagnostics(&model, &d.exact_mixture(), &data, t, DIAGNOSTICS_DATA_SEED)))
    }

    /// Line integrals of the current model's score from `(x0, y0)` to
    /// `(x1, y1)` at network time `t` (as in `score_diagnostics`): `{ t,
    /// straight, lPath, exactLogRatio }`.
    #[wasm_bindgen(js_name = lineIntegrals)]
    pub fn line_integrals(&self, x0: f64, y0: f64, x1: f64, y1: f64, t: f64) -> Result<JsValue, JsError> {
        if ![x0, y0, x1, y1].iter().all(|v| v.is_finite()) {
            return Err(JsError::new("lineIntegral needs two points of finite coordinates"));
        }
        let mut st = self.state.borrow_mut();
        let model = st.diagnostics_model()?;
        let t = st.diagnostics_time(t);
        let truth = st.config.dataset.exact_mixture();
        Ok(to_js(&crate::engine::diagnostics::line_integrals(&model, &truth, t, [x0, y0], [x1, y1])))
    }

    /// The log-density along `rays` rays (1–16) from `(x, y)`, reconstructed
    /// from the current model's score and exact, at network time `t` (as in
    /// `score_diagnostics`), 4 units long, 32 steps: `{ t, origin, r, rays:
    /// [{ angleDeg, model, exact }], rmse }` (src/engine/diagnostics.rs).
    #[wasm_bindgen(js_name = logDensityRays)]
    pub fn log_density_rays(&self, x: f64, y: f64, t: f64, rays: u32) -> Result<JsValue, JsError> {
        if !(x.is_finite() && y.is_finite()) {
            return Err(JsError::new("logDensityRays needs a reference point of finite coordinates"));
        }
        let mut st = self.state.borrow_mut();
        let model = st.diagnostics_model()?;
        let t = st.diagnostics_time(t);
        let truth = st.config.dataset.exact_mixture();
        Ok(to_js(&crate::engine::diagnostics::log_density_rays(&model, &truth, t, [x, y], rays.clamp(1, 16) as usize, 4.0, 32)))
    }

    /// Resolves to a Float64Array: per point `log p(x)` of the current model
    /// (unconditional) through the probability-flow ODE (src/web/likelihood.rs,
    /// science::likelihood), `points` as 2N interleaved coordinates, at
    /// `steps` Heun steps (0: the run's steps), on the run's backend.
    #[wasm_bindgen(js_name = logLikelihood)]
    pub fn log_likelihood(&self, points: Vec<f64>, steps: u32) -> js_sys::Promise {
        let job = self.state.borrow_mut().likelihood_job(steps);
        let points = likelihood::points_from(&points);
        wasm_bindgen_futures::future_to_promise(async move {
            let (model, plan, gpu, _) = job?;
            let points = points.map_err(|e| JsValue::from_str(&e))?;
            let log_p = likelihood::log_likelihood(model, plan, points, gpu).await?;
            Ok(js_sys::Float64Array::from(&log_p[..]).into())
        })
    }

    /// Resolves to the likelihood panel's report (src/web/likelihood.rs,
    /// `Report`) over `n` data draws (1–4 096) at `steps` (0: the run's).
    #[wasm_bindgen(js_name = likelihoodReport)]
    pub fn likelihood_report(&self, n: u32, steps: u32) -> js_sys::Promise {
        let job = self.state.borrow_mut().likelihood_job(steps);
        let dataset = self.state.borrow().config.dataset.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            let (model, plan, gpu, backend) = job?;
            let (data, _) = dataset.sample(n.clamp(1, 4096) as usize, DIAGNOSTICS_DATA_SEED);
            let start = now_ms();
            let log_p = likelihood::log_likelihood(model, plan.clone(), data.clone(), gpu).await?;
            Ok(to_js(&likelihood::Report::new(dataset.builtin().and_then(|d| d.gaussian_mixture()), &plan, &data, &log_p, backend, (now_ms() - start) / 1000.0)))
        })
    }

    /// Compare mode (src/web/compare.rs): `{ a, b, ignored }`, the two
    /// panels' fragments, when the fragment asks for it (`compare=1`), else null.
    #[wasm_bindgen(js_name = comparePanels)]
    pub fn compare_panels(fragment: String) -> JsValue {
        if compare::is_compare(&fragment) { to_js(&compare::panels(&fragment)) } else { JsValue::NULL }
    }

    /// The compare link for two panels' fragments.
    #[wasm_bindgen(js_name = compareFragment)]
    pub fn compare_fragment(a: String, b: String) -> String {
        compare::fragment(&a, &b)
    }

    /// The ids allowed for each enumerated config key.
    pub fn options() -> JsValue {
        to_js(&config::options())
    }

    pub fn config(&self) -> JsValue {
        to_js(&self.state.borrow().config)
    }

    /// Applies keys (as in the URL fragment); restarts sampling when anything
    /// changed. Invalid keys are reported in `status().ignored`.
    #[wasm_bindgen(js_name = setConfig)]
    pub fn set_config(&self, partial: JsValue) -> Result<JsValue, JsError> {
        let pairs = config_pairs(partial)?;
        let mut st = self.state.borrow_mut();
        let before = st.config.clone();
        st.ignored = st.config.apply(pairs);
        if !st.config.same_run(&before) {
            st.restart();
        } else if st.config != before {
            // Presentation only (layers, theme…): redraw, keep the run.
            st.draw();
        }
        Ok(to_js(&st.config))
    }

    /// The keys `setConfig(partial)` would ignore, with their reasons
    /// (`[{ key, value, reason }]`, empty when it would take them all),
    /// without applying anything.
    #[wasm_bindgen(js_name = checkConfig)]
    pub fn check_config(&self, partial: JsValue) -> Result<JsValue, JsError> {
        let pairs = config_pairs(partial)?;
        let mut config = self.state.borrow().config.clone();
        Ok(to_js(&config.apply(pairs)))
    }

    /// Replaces the config with a URL fragment's (missing keys take defaults).
    #[wasm_bindgen(js_name = loadFragment)]
    pub fn load_fragment(&self, fragment: String) -> JsValue {
        let mut st = self.state.borrow_mut();
        let (config, ignored) = Config::from_fragment(&fragment);
        st.ignored = ignored;
        let same = config.same_run(&st.config);
        st.config = config;
        if !same {
            st.restart();
        } else {
            st.draw();
        }
        to_js(&st.config)
    }

    /// The fragment (without `#`) that reproduces the current config.
    pub fn fragment(&self) -> String {
        self.state.borrow().config.to_fragment()
    }

    pub fn restart(&self) {
        self.state.borrow_mut().restart();
    }

    pub fn pause(&self) {
        self.state.borrow_mut().running = false;
    }

    /// Resumes a paused run (restarts a finished one); leaves the scrubber.
    pub fn play(&self) {
        let mut st = self.state.borrow_mut();
        if st.loading {
            return;
        }
        st.scrub = None;
        if st.engine.done() {
            st.restart();
        } else if st.error.is_none() {
            st.running = true;
        }
    }

    /// Shows recorded frame `k` of the run (pausing it), or the live
    /// particles for `k < 0`. Resolves nothing; see `scrubState()`.
    pub fn scrub(&self, k: i32) {
        let mut st = self.state.borrow_mut();
        if k < 0 || st.snapshots.is_empty() {
            st.scrub = None;
        } else {
            st.running = false;
            st.scrub = Some((k as usize).min(st.snapshots.len() - 1));
        }
        st.draw();
    }

    /// Shows the forward (noising) process at the scrubbed time instead of the samples.
    #[wasm_bindgen(js_name = setForwardView)]
    pub fn set_forward_view(&self, on: bool) {
        let mut st = self.state.borrow_mut();
        st.forward_view = on;
        st.draw();
    }

    /// `{ frames, index, step, totalSteps, forward }`: the recorded frames, the one
    /// shown (`null`: live), its plan steps done, and whether the forward view is on.
    #[wasm_bindgen(js_name = scrubState)]
    pub fn scrub_state(&self) -> JsValue {
        let st = self.state.borrow();
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Scrub {
            frames: usize,
            index: Option<usize>,
            step: usize,
            total_steps: usize,
            forward: bool,
        }
        let step = st.scrub.and_then(|k| st.snapshots.get(k)).map_or(st.engine.step(), |(s, _)| *s);
        to_js(&Scrub { frames: st.snapshots.len(), index: st.scrub, step, total_steps: st.engine.total(), forward: st.forward_view })
    }

    /// Advances exactly one plan step on the next frame, then pauses.
    pub fn step(&self) {
        let mut st = self.state.borrow_mut();
        if st.loading || st.error.is_some() {
            return;
        }
        if st.engine.done() {
            st.restart();
        }
        st.running = true;
        st.single_step = true;
    }

    /// Sample-quality metrics of the particles last drawn (SCIENCE.md §4, §6):
    /// `{ n, energyDistance, baseline, logDet, logDetByClass }` — the energy
    /// distance to 1 024 fresh data draws (of up to 1 024 particles, evenly
    /// strided over those read back: all of them, or mid-run on WebGPU the
    /// probe's first 16 384, an equally random sample), the
    /// data-vs-data value expected at those sizes, and the log-determinant
    /// of the sample covariance overall and per class (classes by the
    /// learned classifier, or by the nearest exact component).
    pub fn metrics(&self) -> JsValue {
        let st = self.state.borrow();
        let pts: Vec<[f32; 2]> = st.particles.chunks_exact(2).map(|p| [p[0], p[1]]).filter(|p| p[0].is_finite() && p[1].is_finite()).collect();
        let m = pts.len().min(METRIC_POINTS);
        let sub: Vec<[f32; 2]> = if m == 0 { Vec::new() } else { (0..m).map(|i| pts[i * pts.len() / m]).collect() };
        let (data, _) = st.config.dataset.sample(METRIC_POINTS, METRIC_DATA_SEED);
        // Labels and per-class spread on the evenly strided subsample, so a
        // million particles cost what 1 024 do (the page stays responsive).
        let labels = st.class_labels(&sub);
        let k = st.config.dataset.num_classes();
        let by_class: Vec<Option<f64>> = (0..k as u32)
            .map(|c| {
                let members: Vec<[f32; 2]> = sub.iter().zip(&labels).filter(|(_, l)| **l == c).map(|(p, _)| *p).collect();
                crate::science::metrics::log_det_covariance(&members)
            })
            .collect();
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Metrics {
            n: usize,
            energy_distance: Option<f64>,
            baseline: f64,
            log_det: Option<f64>,
            log_det_by_class: Vec<Option<f64>>,
        }
        to_js(&Metrics {
            n: m,
            energy_distance: (m > 0 && !data.is_empty()).then(|| crate::science::metrics::energy_distance(&sub, &data)),
            baseline: if data.is_empty() { f64::NAN } else { crate::science::metrics::energy_distance_null_mean(&data, m.max(1), data.len()) },
            log_det: crate::science::metrics::log_det_covariance(&sub),
            log_det_by_class: by_class,
        })
    }

    /// Resolves to `{ x: Float32Array (2N, interleaved), label: null }`, the
    /// run's particles now: on WebGPU mid-run this reads them all back first
    /// (frames read only a probe).
    pub fn samples(&self) -> js_sys::Promise {
        let state = self.state.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            let read = {
                let mut st = state.borrow_mut();
                let st = &mut *st;
                match (&st.engine, &st.gpu) {
                    (Engine::Gpu(s), Some(gpu)) if !st.has_all_particles() => Some((s.read_particles(gpu), st.generation, s.step_index())),
                    _ => None,
                }
            };
            if let Some((read, generation, step)) = read {
                let p = read.await.map_err(|e| JsValue::from_str(&e.to_string()))?;
                let mut st = state.borrow_mut();
                // Keep them unless a restart or a later frame came in between.
                if st.generation == generation && st.engine.step() == step {
                    st.particles = p;
                } else {
                    return Ok(points_to_js(&p, None));
                }
            }
            Ok(points_to_js(&state.borrow().particles, None))
        })
    }

    /// The current run's step plan (science::plan): per step the network
    /// time of its level and the update's coefficients, as arrays —
    /// `{ t, cx, ceps, cz, cprev, heun, initScale }`. For teaching, and for
    /// the TF.js baseline of the bench, which replays the same plan.
    pub fn plan(&self) -> JsValue {
        let st = self.state.borrow();
        let p = &st.plan;
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct PlanJs {
            t: Vec<f32>,
            cx: Vec<f32>,
            ceps: Vec<f32>,
            cz: Vec<f32>,
            cprev: Vec<f32>,
            heun: Vec<u32>,
            init_scale: f32,
        }
        let f = |g: fn(&crate::science::plan::PlanStep) -> f32| p.steps.iter().map(g).collect::<Vec<f32>>();
        to_js(&PlanJs {
            t: p.steps.iter().map(|s| p.levels[s.level as usize]).collect(),
            cx: f(|s| s.c_x),
            ceps: f(|s| s.c_eps),
            cz: f(|s| s.c_z),
            cprev: f(|s| s.c_prev),
            heun: p.steps.iter().map(|s| s.heun).collect(),
            init_scale: p.init_scale,
        })
    }

    /// `{ x, label }`: n fresh draws from the current dataset.
    pub fn data(&self, n: u32, seed: u32) -> JsValue {
        let (xs, labels) = self.state.borrow().config.dataset.sample(n as usize, seed);
        let flat: Vec<f32> = xs.into_iter().flatten().collect();
        points_to_js(&flat, Some(&labels))
    }

    /// Times a run of `steps` steps (the plan's steps: Langevin and
    /// predictor–corrector take more) of the current dataset, model, sampler
    /// and guidance at `n` particles on `backend` ("webgpu" or "cpu"), without
    /// drawing. Resolves to `{ backend, n, steps, planSteps, nfe, seconds,
    /// particleStepsPerSecond, nfePerSecond }` (NFE per particle; the rates
    /// count particle-steps and particle-evaluations).
    pub fn bench(&self, backend: String, n: u32, steps: u32) -> js_sys::Promise {
        let (cfg, gpu, model) = {
            let mut st = self.state.borrow_mut();
            let model = st.model();
            (st.config.clone(), st.gpu.clone(), model)
        };
        wasm_bindgen_futures::future_to_promise(async move {
            let model = match model {
                Ok(Some(m)) => m,
                Ok(None) => return Err(JsValue::from_str("the learned model is still loading; wait for status().loading to turn false")),
                Err(e) => return Err(JsValue::from_str(&e)),
            };
            let steps = (steps as usize).clamp(1, config::STEPS_MAX);
            let n = n as usize;
            let mut c = cfg;
            c.steps = steps;
            let plan = plan_for(&c);
            let (plan_steps, nfe) = (plan.len(), plan.nfe() as usize * c.conditioning().evals());
            let start;
            match backend.as_str() {
                "cpu" => {
                    let mut s = CpuSampler::new(plan, model, c.conditioning(), c.seed, n);
                    start = now_ms();
                    s.run_steps(plan_steps);
                }
                "webgpu" => {
                    let gpu = gpu.ok_or_else(|| JsValue::from_str("WebGPU is unavailable"))?;
                    let mut s = GpuSampler::new(&gpu, &plan, &model, c.conditioning(), c.seed, n);
                    // Warm-up: the first readback includes pipeline and buffer set-up.
                    s.read_particles(&gpu).await.map_err(|e| JsValue::from_str(&e.to_string()))?;
                    start = now_ms();
                    // Several dispatches, as the animation does, so no single
                    // dispatch runs long enough to trip a GPU watchdog.
                    while !s.done() {
                        s.run_steps(&gpu, 25);
                    }
                    s.read_particles(&gpu).await.map_err(|e| JsValue::from_str(&e.to_string()))?;
                }
                other => return Err(JsValue::from_str(&format!("unknown backend {other}"))),
            }
            let seconds = (now_ms() - start) / 1000.0;
            #[derive(Serialize)]
            #[serde(rename_all = "camelCase")]
            struct Bench {
                backend: String,
                n: usize,
                steps: usize,
                plan_steps: usize,
                nfe: usize,
                seconds: f64,
                particle_steps_per_second: f64,
                nfe_per_second: f64,
            }
            let secs = seconds.max(1e-9);
            Ok(to_js(&Bench {
                backend,
                n,
                steps,
                plan_steps,
                nfe,
                seconds,
                particle_steps_per_second: (n * plan_steps) as f64 / secs,
                nfe_per_second: (n * nfe) as f64 / secs,
            }))
        })
    }
}
