//! The annealed importance sampling lab (`lab=ais`; issue 14, seed 004):
//! `log Z₁/Z₀` between two unnormalised 2-D mixtures by AIS
//! (science::ais), its standard error against the exact value, the weights'
//! effective sample size, and how the estimate tightens as the number of
//! temperatures grows. The config and figures are pure (tested natively);
//! the page charts them (www/labs.js). The particles run in a WGSL kernel
//! where the browser has WebGPU, else on its f32 CPU twin (engine::ais).

use serde::Serialize;

use crate::engine::ais::AisRun;
use crate::science::ais::{AisEstimate, AisSettings, Energy};
use crate::web::labs::{unknown_key, LabConfig, Presentation, Range};

/// The temperature counts of the sweep.
pub const SWEEP: [usize; 6] = [1, 3, 10, 30, 100, 300];
/// Most MALA moves one run (or the sweep) may take: a couple of seconds of the page's thread.
pub const WORK_MAX: usize = 2_000_000;

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AisConfig {
    /// The densities at β = 0 and 1: "gaussian", "ring" or "pair".
    pub from: String,
    pub to: String,
    pub temperatures: usize,
    pub particles: usize,
    /// MALA steps per temperature and their step size.
    pub steps: usize,
    pub eps: f64,
    pub seed: u32,
    #[serde(flatten)]
    pub view: Presentation,
}

impl Default for AisConfig {
    fn default() -> Self {
        Self { from: "gaussian".into(), to: "ring".into(), temperatures: 100, particles: 500, steps: 3, eps: 0.1, seed: 1, view: Presentation::default() }
    }
}

impl LabConfig for AisConfig {
    const ID: &'static str = "ais";
    const NAME: &'static str = "AIS lab";
    const RANGES: &'static [(&'static str, Range)] = &[
        ("from", Range::Choice { ids: &["gaussian", "ring", "pair"] }),
        ("to", Range::Choice { ids: &["gaussian", "ring", "pair"] }),
        ("temperatures", Range::Int { min: 1, max: 5000 }),
        ("particles", Range::Int { min: 10, max: 20_000 }),
        ("steps", Range::Int { min: 1, max: 50 }),
        ("eps", Range::Float { min: 1e-4, max: 1.0 }),
        ("seed", Range::Int { min: 0, max: u32::MAX as u64 }),
    ];

    fn set_own(&mut self, key: &str, value: &str) -> Result<(), String> {
        match key {
            "from" => Self::choice(key, value).map(|v| self.from = v),
            "to" => Self::choice(key, value).map(|v| self.to = v),
            "temperatures" => Self::int(key, value).map(|v| self.temperatures = v as usize),
            "particles" => Self::int(key, value).map(|v| self.particles = v as usize),
            "steps" => Self::int(key, value).map(|v| self.steps = v as usize),
            "eps" => Self::float(key, value).map(|v| self.eps = v),
            "seed" => Self::int(key, value).map(|v| self.seed = v as u32),
            _ => unknown_key::<Self>(),
        }
    }

    fn own_pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("from", self.from.clone()),
            ("to", self.to.clone()),
            ("temperatures", self.temperatures.to_string()),
            ("particles", self.particles.to_string()),
            ("steps", self.steps.to_string()),
            ("eps", self.eps.to_string()),
            ("seed", self.seed.to_string()),
        ]
    }

    fn presentation(&self) -> &Presentation {
        &self.view
    }

    fn presentation_mut(&mut self) -> &mut Presentation {
        &mut self.view
    }

    fn check(&self) -> Result<(), String> {
        let sweep: usize = SWEEP.iter().sum();
        let work = self.particles * self.steps * self.temperatures.max(sweep);
        if work > WORK_MAX {
            return Err(format!(
                "too much work for the page: particles × MALA steps × temperatures (the sweep's {sweep} or more) = {work}, at most {WORK_MAX}"
            ));
        }
        Ok(())
    }
}

impl AisConfig {
    fn settings(&self, temperatures: usize) -> AisSettings {
        AisSettings { temperatures, power: 2.0, steps: self.steps, eps: self.eps, particles: self.particles, seed: self.seed }
    }

    fn energies(&self) -> (Energy, Energy) {
        let e = |id: &str| Energy::preset(id).unwrap_or_else(|| Energy::preset("gaussian").expect("a preset"));
        (e(&self.from), e(&self.to))
    }

    /// A run at `temperatures` (not yet run: engine::ais runs it on either backend).
    pub fn run(&self, temperatures: usize) -> AisRun {
        let (e0, e1) = self.energies();
        AisRun::new(&e0, &e1, self.settings(temperatures))
    }

    /// The run at the configured number of temperatures, on the CPU.
    pub fn estimate(&self) -> AisEstimate {
        let mut run = self.run(self.temperatures);
        run.run_cpu();
        run.estimate()
    }

    /// The runs at every count of [`SWEEP`], on the CPU.
    pub fn sweep(&self) -> Vec<SweepPoint> {
        SWEEP.iter().map(|&k| {
            let mut run = self.run(k);
            run.run_cpu();
            SweepPoint { temperatures: k, estimate: run.estimate() }
        }).collect()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SweepPoint {
    pub temperatures: usize,
    #[serde(flatten)]
    pub estimate: AisEstimate,
}

#[cfg(all(target_arch = "wasm32", feature = "labs"))]
mod page {
    use std::rc::Rc;

    use wasm_bindgen::prelude::*;

    use super::{AisConfig, SweepPoint, SWEEP};
    use crate::engine::gpu::GpuContext;
    use crate::web::link::Ignored;
    use crate::web::js::to_js;
use crate::web::labs::js::set_config;
    use crate::web::labs::LabConfig;

    /// The AIS lab as the page drives it (www/labs.js): the particles run in
    /// the WGSL kernel (engine::ais) where the browser has WebGPU, else on
    /// the CPU twin; each run resolves a Promise.
    #[wasm_bindgen]
    pub struct AisLab {
        cfg: AisConfig,
        ignored: Vec<Ignored>,
        gpu: Option<Rc<GpuContext>>,
    }

    impl AisLab {
        /// The run at `k` temperatures, on the lab's backend.
        async fn estimate_at(cfg: AisConfig, gpu: Option<Rc<GpuContext>>, k: usize) -> Result<crate::science::ais::AisEstimate, JsValue> {
            let mut run = cfg.run(k);
            match gpu {
                Some(gpu) => run.state = run.run_gpu(&gpu).await.map_err(|e| JsValue::from_str(&format!("AIS on WebGPU failed: {e}")))?,
                None => run.run_cpu(),
            }
            Ok(run.estimate())
        }
    }

    #[wasm_bindgen]
    impl AisLab {
        pub async fn create(fragment: String) -> AisLab {
            crate::web::input::install_panic_hook();
            let (cfg, ignored) = AisConfig::from_fragment(&fragment);
            let gpu = crate::web::js::probe_gpu().await.ok().map(Rc::new);
            AisLab { cfg, ignored, gpu }
        }

        /// A Promise of `{ logZ, stderr, exactLogZ, ess, essFraction, acceptance }` at the configured temperatures.
        pub fn estimate(&self) -> js_sys::Promise {
            let (cfg, gpu) = (self.cfg.clone(), self.gpu.clone());
            crate::web::js::promise(async move { Ok(to_js(&Self::estimate_at(cfg.clone(), gpu, cfg.temperatures).await?)) })
        }

        /// A Promise of the estimates at 1, 3, 10, 30, 100 and 300 temperatures.
        pub fn sweep(&self) -> js_sys::Promise {
            let (cfg, gpu) = (self.cfg.clone(), self.gpu.clone());
            crate::web::js::promise(async move {
                let mut out = Vec::new();
                for k in SWEEP {
                    out.push(SweepPoint { temperatures: k, estimate: Self::estimate_at(cfg.clone(), gpu.clone(), k).await? });
                }
                Ok(to_js(&out))
            })
        }

        pub fn config(&self) -> JsValue {
            to_js(&self.cfg)
        }

        #[wasm_bindgen(js_name = setConfig)]
        pub fn set_config(&mut self, partial: JsValue) -> Result<JsValue, JsError> {
            set_config(&mut self.cfg, partial)?;
            Ok(to_js(&self.cfg))
        }

        pub fn fragment(&self) -> String {
            self.cfg.to_fragment()
        }

        /// `{ backend, ignored }`.
        pub fn status(&self) -> JsValue {
            crate::web::labs::js::status(if self.gpu.is_some() { "webgpu" } else { "cpu" }, &self.ignored)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_link_round_trips_and_bad_values_are_ignored() {
        let (cfg, ignored) = AisConfig::from_fragment("#lab=ais&from=ring&to=pair&temperatures=50&particles=200&steps=2&eps=0.05&seed=3");
        assert!(ignored.is_empty(), "{ignored:?}");
        assert_eq!(AisConfig::from_fragment(&cfg.to_fragment()).0, cfg);
        let (bad, ignored) = AisConfig::from_fragment("lab=ais&from=moons&particles=5");
        assert_eq!(bad, AisConfig::default());
        assert_eq!(ignored.iter().map(|i| i.key.as_str()).collect::<Vec<_>>(), ["from", "particles"]);
        // Each key within its range, together too much work for the page: refused with the reason.
        let (big, ignored) = AisConfig::from_fragment("lab=ais&particles=20000&steps=50");
        assert_eq!(big.steps, AisConfig::default().steps);
        assert!(ignored[0].reason.contains("too much work"), "{ignored:?}");
    }

    /// The default lab's sweep: one temperature is plain importance sampling
    /// from N(0, I) (a poor ESS); by 100 temperatures the estimate is within
    /// 4 standard errors of the exact value and the error is smaller.
    #[test]
    fn the_sweep_tightens_with_temperatures() {
        let cfg = AisConfig { particles: 200, ..Default::default() };
        let sweep = cfg.sweep();
        assert_eq!(sweep.iter().map(|p| p.temperatures).collect::<Vec<_>>(), SWEEP);
        let (first, at100) = (&sweep[0].estimate, &sweep[4].estimate);
        assert!(at100.stderr < first.stderr && at100.ess_fraction > first.ess_fraction, "{first:?} {at100:?}");
        assert!((at100.log_z - at100.exact_log_z).abs() < 4.0 * at100.stderr, "{at100:?}");
    }
}
