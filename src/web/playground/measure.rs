//! What the page measures of a run beside drawing it: the sample-quality
//! metrics, the step plan as arrays, and the sampling bench (wasm32 only).

use serde::Serialize;
use wasm_bindgen::JsValue;

use crate::engine::cpu::CpuSampler;
use crate::engine::gpu::GpuSampler;
use crate::web::config;
use crate::web::js::{now_ms, to_js};
use crate::web::playground::run::plan_for;
use crate::web::playground::session::State;

/// Particles and data draws the page's metrics use, and the data's seed.
const METRIC_POINTS: usize = 1024;
const METRIC_DATA_SEED: u32 = 0x5EED;

impl State {
    /// Sample-quality metrics of the particles last drawn (SCIENCE.md §4, §6):
    /// `{ n, energyDistance, baseline, logDet, logDetByClass }` — the energy
    /// distance to 1 024 fresh data draws (of up to 1 024 particles, evenly
    /// strided over those read back: all of them, or mid-run on WebGPU the
    /// probe's first 16 384, an equally random sample), the
    /// data-vs-data value expected at those sizes, and the log-determinant
    /// of the sample covariance overall and per class (classes by the
    /// learned classifier, or by the nearest exact component).
    pub(crate) fn metrics(&self) -> JsValue {
        let pts: Vec<[f32; 2]> = self.run.particles.chunks_exact(2).map(|p| [p[0], p[1]]).filter(|p| p[0].is_finite() && p[1].is_finite()).collect();
        let m = pts.len().min(METRIC_POINTS);
        let sub: Vec<[f32; 2]> = if m == 0 { Vec::new() } else { (0..m).map(|i| pts[i * pts.len() / m]).collect() };
        let (data, _) = self.link.config.dataset.sample(METRIC_POINTS, METRIC_DATA_SEED);
        // Labels and per-class spread on the evenly strided subsample, so a
        // million particles cost what 1 024 do (the page stays responsive).
        let labels = self.class_labels(&sub);
        let k = self.link.config.dataset.num_classes();
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


    /// The current run's step plan (science::plan): per step the network
    /// time of its level and the update's coefficients, as arrays —
    /// `{ t, cx, ceps, cz, cprev, heun, initScale }`. For teaching, and for
    /// the TF.js baseline of the bench, which replays the same plan.
    pub(crate) fn plan_js(&self) -> JsValue {
        let p = &self.run.plan;
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

    /// Times a run of `steps` steps (the plan's steps: Langevin and
    /// predictor–corrector take more) of the current dataset, model, sampler
    /// and guidance at `n` particles on `backend` ("webgpu" or "cpu"), without
    /// drawing. Resolves to `{ backend, n, steps, planSteps, nfe, seconds,
    /// particleStepsPerSecond, nfePerSecond }` (NFE per particle; the rates
    /// count particle-steps and particle-evaluations).
    pub(crate) fn bench(&mut self, backend: String, n: u32, steps: u32) -> impl std::future::Future<Output = Result<JsValue, JsValue>> + 'static {
        let model = self.model();
        let (cfg, gpu) = (self.link.config.clone(), self.backends.gpu.clone());
        async move {
            let model = match model {
                Ok(Some(m)) => m,
                Ok(None) => return Err(JsValue::from_str("the learned model is still loading; wait for status().loading to turn false")),
                Err(e) => return Err(JsValue::from_str(&e)),
            };
            let steps = (steps as usize).clamp(1, config::STEPS_MAX);
            let n = n as usize;
            if !(1..=config::N_MAX).contains(&n) {
                return Err(JsValue::from_str(&format!("bench takes 1–{} particles, not {n}", config::N_MAX)));
            }
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
        }
    }
}
