//! The playground's sampling surface: start-up, frames, the link, the
//! scrubber, the measurements and the bench.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use web_sys::HtmlCanvasElement;

use crate::science::datasets::Dataset;
use crate::web::config::{self, Config};
use crate::web::js::{config_pairs, points_to_js, to_js};
use crate::web::playground::compare;
use crate::web::playground::frame;
use crate::web::playground::session::State;

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
        crate::web::input::install_panic_hook();
        Ok(App { state: State::new(canvas, gpu_canvas, &fragment).await? })
    }

    /// Advances sampling by one animation frame and draws it; resolves to `status()`.
    /// CPU: as many steps as fit in `budget_ms`. WebGPU: one dispatch of a
    /// fixed share of the run, then one readback.
    pub fn tick(&self, budget_ms: f64) -> js_sys::Promise {
        crate::web::js::promise(frame::tick(self.state.clone(), budget_ms))
    }

    pub fn status(&self) -> JsValue {
        self.state.borrow().status()
    }

    /// `{ x, label }`: n draws of dataset `id` (the page's thumbnails).
    #[wasm_bindgen(js_name = datasetSample)]
    pub fn dataset_sample(id: String, n: u32, seed: u32) -> Result<JsValue, JsError> {
        let d = Dataset::from_id(&id).ok_or_else(|| JsError::new(&format!("unknown dataset {id}")))?;
        draws_checked(n, "datasetSample")?;
        let (xs, labels) = d.sample(n as usize, seed);
        let flat: Vec<f32> = xs.into_iter().flatten().collect();
        Ok(points_to_js(&flat, Some(&labels)))
    }

    /// Score diagnostics (engine::diagnostics) of the current model,
    /// unconditional, at network time `t` (not in (0, 1]: the level the run
    /// shows now) over `n` data draws (1–16 384) noised to it: `{ t, sigma,
    /// n, cStar, magnitudeRmse, meanCosine, meanAngleDeg, curlMeanAbs,
    /// divergenceRmse, exactDivergenceRms }`.
    #[wasm_bindgen(js_name = scoreDiagnostics)]
    pub fn score_diagnostics(&self, t: f64, n: u32) -> Result<JsValue, JsError> {
        self.state.borrow_mut().score_diagnostics(t, n)
    }

    /// Line integrals of the current model's score from `(x0, y0)` to
    /// `(x1, y1)` at network time `t` (as in `score_diagnostics`): `{ t,
    /// straight, lPath, exactLogRatio }`.
    #[wasm_bindgen(js_name = lineIntegrals)]
    pub fn line_integrals(&self, x0: f64, y0: f64, x1: f64, y1: f64, t: f64) -> Result<JsValue, JsError> {
        self.state.borrow_mut().line_integrals(x0, y0, x1, y1, t)
    }

    /// The log-density along `rays` rays (1–16) from `(x, y)`, reconstructed
    /// from the current model's score and exact, at network time `t` (as in
    /// `score_diagnostics`), 4 units long, 32 steps: `{ t, origin, r, rays:
    /// [{ angleDeg, model, exact }], rmse }` (engine::diagnostics).
    #[wasm_bindgen(js_name = logDensityRays)]
    pub fn log_density_rays(&self, x: f64, y: f64, t: f64, rays: u32) -> Result<JsValue, JsError> {
        self.state.borrow_mut().log_density_rays(x, y, t, rays)
    }

    /// Resolves to a Float64Array: per point `log p(x)` of the current model
    /// (unconditional) through the probability-flow ODE, `points` as 2N
    /// interleaved coordinates, at `steps` Heun steps (0: the run's steps),
    /// on the run's backend.
    #[wasm_bindgen(js_name = logLikelihood)]
    pub fn log_likelihood(&self, points: JsValue, steps: u32) -> js_sys::Promise {
        // Read without trusting it (web::input); one point past the limit, so the limit's own message names it.
        let max = 2 * crate::web::playground::likelihood::MAX_POINTS + 2;
        let points = match crate::web::input::numbers(&points, "logLikelihood: points", max) {
            Ok(p) => p,
            Err(e) => return js_sys::Promise::reject(&js_sys::Error::new(&e)),
        };
        crate::web::js::promise(self.state.borrow_mut().log_likelihood(points, steps))
    }

    /// Resolves to the likelihood panel's report (web::playground::likelihood,
    /// `Report`) over `n` data draws (1–4 096) at `steps` (0: the run's).
    #[wasm_bindgen(js_name = likelihoodReport)]
    pub fn likelihood_report(&self, n: u32, steps: u32) -> js_sys::Promise {
        crate::web::js::promise(self.state.borrow_mut().likelihood_report(n, steps))
    }

    /// Compare mode (web::playground::compare): `{ a, b, ignored }`, the two
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

    /// The sampler's and the guidance's own keys the current config uses
    /// (the page shows only their controls).
    pub fn uses(&self) -> JsValue {
        to_js(&self.state.borrow().link.config.uses())
    }

    pub fn config(&self) -> JsValue {
        to_js(&self.state.borrow().link.config)
    }

    /// Applies keys (as in the URL fragment); restarts sampling when anything
    /// changed. Invalid keys are reported in `status().ignored`.
    #[wasm_bindgen(js_name = setConfig)]
    pub fn set_config(&self, partial: JsValue) -> Result<JsValue, JsError> {
        let pairs = config_pairs(partial)?;
        Ok(self.state.borrow_mut().set_config(pairs))
    }

    /// The keys `setConfig(partial)` would ignore, with their reasons
    /// (`[{ key, value, reason }]`, empty when it would take them all),
    /// without applying anything.
    #[wasm_bindgen(js_name = checkConfig)]
    pub fn check_config(&self, partial: JsValue) -> Result<JsValue, JsError> {
        let pairs = config_pairs(partial)?;
        let mut config: Config = self.state.borrow().link.config.clone();
        Ok(to_js(&config.apply(pairs)))
    }

    /// Replaces the config with a URL fragment's (missing keys take defaults).
    #[wasm_bindgen(js_name = loadFragment)]
    pub fn load_fragment(&self, fragment: String) -> JsValue {
        self.state.borrow_mut().load_fragment(&fragment)
    }

    /// The fragment (without `#`) that reproduces the current config.
    pub fn fragment(&self) -> String {
        self.state.borrow().link.config.to_fragment()
    }

    pub fn restart(&self) {
        self.state.borrow_mut().restart();
    }

    pub fn pause(&self) {
        self.state.borrow_mut().run.running = false;
    }

    /// Resumes a paused run (restarts a finished one); leaves the scrubber.
    pub fn play(&self) {
        self.state.borrow_mut().play();
    }

    /// Shows recorded frame `k` of the run (pausing it), or the live
    /// particles for `k < 0`. Resolves nothing; see `scrubState()`.
    pub fn scrub(&self, k: i32) {
        self.state.borrow_mut().scrub(k);
    }

    /// Shows the forward (noising) process at the scrubbed time instead of the samples.
    #[wasm_bindgen(js_name = setForwardView)]
    pub fn set_forward_view(&self, on: bool) {
        let mut st = self.state.borrow_mut();
        st.timeline.forward_view = on;
        st.draw();
    }

    /// `{ frames, index, step, totalSteps, forward }`: the recorded frames, the one
    /// shown (`null`: live), its plan steps done, and whether the forward view is on.
    #[wasm_bindgen(js_name = scrubState)]
    pub fn scrub_state(&self) -> JsValue {
        self.state.borrow().scrub_state()
    }

    /// Advances exactly one plan step on the next frame, then pauses.
    pub fn step(&self) {
        self.state.borrow_mut().step_once();
    }

    /// Sample-quality metrics of the particles last drawn (SCIENCE.md §4, §6):
    /// `{ n, energyDistance, baseline, logDet, logDetByClass }`
    /// (web::playground::measure).
    pub fn metrics(&self) -> JsValue {
        self.state.borrow().metrics()
    }

    /// Resolves to `{ x: Float32Array (2N, interleaved), label: null }`, the
    /// run's particles now: on WebGPU mid-run this reads them all back first
    /// (frames read only a probe).
    pub fn samples(&self) -> js_sys::Promise {
        crate::web::js::promise(frame::samples(self.state.clone()))
    }

    /// The current run's step plan (science::plan): per step the network
    /// time of its level and the update's coefficients, as arrays —
    /// `{ t, cx, ceps, cz, cprev, heun, initScale }`. For teaching, and for
    /// the TF.js baseline of the bench, which replays the same plan.
    pub fn plan(&self) -> JsValue {
        self.state.borrow().plan_js()
    }

    /// `{ x, label }`: n fresh draws from the current dataset.
    pub fn data(&self, n: u32, seed: u32) -> Result<JsValue, JsError> {
        draws_checked(n, "data")?;
        let (xs, labels) = self.state.borrow().link.config.dataset.sample(n as usize, seed);
        let flat: Vec<f32> = xs.into_iter().flatten().collect();
        Ok(points_to_js(&flat, Some(&labels)))
    }

    /// Times a run of `steps` steps (the plan's steps: Langevin and
    /// predictor–corrector take more) of the current dataset, model, sampler
    /// and guidance at `n` particles on `backend` ("webgpu" or "cpu"), without
    /// drawing. Resolves to `{ backend, n, steps, planSteps, nfe, seconds,
    /// particleStepsPerSecond, nfePerSecond }` (NFE per particle; the rates
    /// count particle-steps and particle-evaluations).
    pub fn bench(&self, backend: String, n: u32, steps: u32) -> js_sys::Promise {
        crate::web::js::promise(self.state.borrow_mut().bench(backend, n, steps))
    }
}

/// `n` draws of a dataset are at most the particle limit (`config::N_MAX`).
fn draws_checked(n: u32, call: &str) -> Result<(), JsError> {
    let max = crate::web::config::N_MAX;
    if n as usize > max {
        return Err(JsError::new(&format!("{call} draws at most {max} points, not {n}")));
    }
    Ok(())
}
