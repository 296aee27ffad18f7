//! What the page measures of the current model beside the run (wasm32
//! only): the score diagnostics, line integrals, log-density rays
//! (engine::diagnostics) and the PF-ODE likelihood (web::playground::likelihood).

use wasm_bindgen::prelude::*;

use crate::web::js::{now_ms, to_js};
use crate::web::playground::likelihood;
use crate::web::playground::session::State;

/// The data draws (and their noise) of the score diagnostics.
const DIAGNOSTICS_DATA_SEED: u32 = 0x5c0e;

impl State {
    /// Score diagnostics (engine::diagnostics) of the current model,
    /// unconditional, at network time `t` (not in (0, 1]: the level the run
    /// shows now) over `n` data draws (1–16 384) noised to it: `{ t, sigma,
    /// n, cStar, magnitudeRmse, meanCosine, meanAngleDeg, curlMeanAbs,
    /// divergenceRmse, exactDivergenceRms }`.
    pub(crate) fn score_diagnostics(&mut self, t: f64, n: u32) -> Result<JsValue, JsError> {
        let model = self.diagnostics_model()?;
        let t = self.diagnostics_time(t);
        let d = self.link.config.dataset.clone();
        let (data, _) = d.sample(n.clamp(1, 16_384) as usize, DIAGNOSTICS_DATA_SEED);
        Ok(to_js(&crate::engine::diagnostics::score_diagnostics(&model, &d.exact_mixture(), &data, t, DIAGNOSTICS_DATA_SEED)))
    }

    /// Line integrals of the current model's score from `(x0, y0)` to
    /// `(x1, y1)` at network time `t` (as in `score_diagnostics`): `{ t,
    /// straight, lPath, exactLogRatio }`.
    pub(crate) fn line_integrals(&mut self, x0: f64, y0: f64, x1: f64, y1: f64, t: f64) -> Result<JsValue, JsError> {
        if ![x0, y0, x1, y1].iter().all(|v| v.is_finite()) {
            return Err(JsError::new("lineIntegral needs two points of finite coordinates"));
        }
        let model = self.diagnostics_model()?;
        let t = self.diagnostics_time(t);
        let truth = self.link.config.dataset.exact_mixture();
        Ok(to_js(&crate::engine::diagnostics::line_integrals(&model, &truth, t, [x0, y0], [x1, y1])))
    }

    /// The log-density along `rays` rays (1–16) from `(x, y)`, reconstructed
    /// from the current model's score and exact, at network time `t` (as in
    /// `score_diagnostics`), 4 units long, 32 steps: `{ t, origin, r, rays:
    /// [{ angleDeg, model, exact }], rmse }` (engine::diagnostics).
    pub(crate) fn log_density_rays(&mut self, x: f64, y: f64, t: f64, rays: u32) -> Result<JsValue, JsError> {
        if !(x.is_finite() && y.is_finite()) {
            return Err(JsError::new("logDensityRays needs a reference point of finite coordinates"));
        }
        let model = self.diagnostics_model()?;
        let t = self.diagnostics_time(t);
        let truth = self.link.config.dataset.exact_mixture();
        Ok(to_js(&crate::engine::diagnostics::log_density_rays(&model, &truth, t, [x, y], rays.clamp(1, 16) as usize, 4.0, 32)))
    }

    /// Resolves to a Float64Array: per point `log p(x)` of the current model
    /// (unconditional) through the probability-flow ODE (src/web/likelihood.rs,
    /// science::likelihood), `points` as 2N interleaved coordinates, at
    /// `steps` Heun steps (0: the run's steps), on the run's backend.
    pub(crate) fn log_likelihood(&mut self, points: Vec<f64>, steps: u32) -> impl std::future::Future<Output = Result<JsValue, JsValue>> + 'static {
        let job = self.likelihood_job(steps);
        let points = likelihood::points_from(&points);
        async move {
            let (model, plan, gpu, _) = job?;
            let points = points.map_err(|e| JsValue::from_str(&e))?;
            let log_p = likelihood::log_likelihood(model, plan, points, gpu).await?;
            Ok(js_sys::Float64Array::from(&log_p[..]).into())
        }
    }

    /// Resolves to the likelihood panel's report (src/web/likelihood.rs,
    /// `Report`) over `n` data draws (1–4 096) at `steps` (0: the run's).
    pub(crate) fn likelihood_report(&mut self, n: u32, steps: u32) -> impl std::future::Future<Output = Result<JsValue, JsValue>> + 'static {
        let job = self.likelihood_job(steps);
        let dataset = self.link.config.dataset.clone();
        async move {
            let (model, plan, gpu, backend) = job?;
            let (data, _) = dataset.sample(n.clamp(1, 4096) as usize, DIAGNOSTICS_DATA_SEED);
            let start = now_ms();
            let log_p = likelihood::log_likelihood(model, plan.clone(), data.clone(), gpu).await?;
            Ok(to_js(&likelihood::Report::new(dataset.builtin().and_then(|d| d.gaussian_mixture()), &plan, &data, &log_p, backend, (now_ms() - start) / 1000.0)))
        }
    }
}
