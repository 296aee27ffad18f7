//! The Fokker–Planck lab (`lab=fokker_planck`; issue 14, seeds 000, 002): a
//! 1-D mixture's density under the forward VP SDE, solved as a PDE on a grid
//! (science::fokker_planck), beside histograms of particles pushed forward by
//! the same SDE and carried back by the reverse SDE and the probability-flow
//! ODE (engine::fokker_planck), with the exact marginal at every t as the
//! reference. The config and figures are pure (tested natively); the page
//! charts them (www/labs.js).

use serde::Serialize;

use crate::engine::fokker_planck::{histogram, l1, particles, Carrier};
use crate::science::fokker_planck::{tau, DensityGrid, Mixture1d};
use crate::web::labs::{unknown_key, LabConfig, Presentation, Range};

/// The grid's half-width and its τ step.
const HALF_WIDTH: f64 = 6.0;
const TAU_STEP: f64 = 0.01;
/// Histogram bins over the grid's range, and integrator steps per unit of t.
const BINS: usize = 60;
const STEPS_PER_UNIT: usize = 100;

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FokkerPlanckConfig {
    /// "two", "three" or "skewed" (science::fokker_planck::Mixture1d::preset).
    pub mixture: String,
    /// The time shown, 0 (data) to 1 (noise).
    pub t: f64,
    pub n: usize,
    pub seed: u32,
    pub cells: usize,
    #[serde(flatten)]
    pub view: Presentation,
}

impl Default for FokkerPlanckConfig {
    fn default() -> Self {
        Self { mixture: "two".into(), t: 0.2, n: 4000, seed: 1, cells: 480, view: Presentation::default() }
    }
}

impl LabConfig for FokkerPlanckConfig {
    const ID: &'static str = "fokker_planck";
    const NAME: &'static str = "Fokker–Planck lab";
    const RANGES: &'static [(&'static str, Range)] = &[
        ("mixture", Range::Choice { ids: &["two", "three", "skewed"] }),
        ("t", Range::Float { min: 0.0, max: 1.0 }),
        ("n", Range::Int { min: 100, max: 20_000 }),
        ("seed", Range::Int { min: 0, max: u32::MAX as u64 }),
        ("cells", Range::Int { min: 120, max: 2000 }),
    ];

    fn set_own(&mut self, key: &str, value: &str) -> Result<(), String> {
        match key {
            "mixture" => Self::choice(key, value).map(|v| self.mixture = v),
            "t" => Self::float(key, value).map(|v| self.t = v),
            "n" => Self::int(key, value).map(|v| self.n = v as usize),
            "seed" => Self::int(key, value).map(|v| self.seed = v as u32),
            "cells" => Self::int(key, value).map(|v| self.cells = v as usize),
            _ => unknown_key::<Self>(),
        }
    }

    fn own_pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("mixture", self.mixture.clone()),
            ("t", self.t.to_string()),
            ("n", self.n.to_string()),
            ("seed", self.seed.to_string()),
            ("cells", self.cells.to_string()),
        ]
    }

    fn presentation(&self) -> &Presentation {
        &self.view
    }

    fn presentation_mut(&mut self) -> &mut Presentation {
        &mut self.view
    }
}

impl FokkerPlanckConfig {
    fn mixture(&self) -> Mixture1d {
        Mixture1d::preset(&self.mixture).unwrap_or_else(|| Mixture1d::preset("two").expect("a preset"))
    }
}

/// What the lab shows at one t (README: "Labs"; `labFigures()`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FokkerPlanckFigures {
    pub t: f64,
    /// Cell centres of the grid, and on them: the exact marginal, the PDE's solution.
    pub x: Vec<f64>,
    pub exact: Vec<f64>,
    pub grid: Vec<f64>,
    /// `∫ |p_grid − p_exact| dx` at t.
    pub l1_error: f64,
    /// Histogram bin centres, and the particles' densities there: forward SDE
    /// (from data), reverse SDE and probability-flow ODE (back from noise).
    pub bins: Vec<f64>,
    pub forward_sde: Vec<f64>,
    pub reverse_sde: Vec<f64>,
    pub ode: Vec<f64>,
    /// Their L1 distances to the exact marginal (binned).
    pub particle_l1: ParticleL1,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ParticleL1 {
    pub forward_sde: f64,
    pub reverse_sde: f64,
    pub ode: f64,
}

/// The lab's state: the grid advanced so far (re-solved from t = 0 when t goes back).
#[derive(Clone, Debug, Default)]
pub struct FokkerPlanck {
    grid: Option<(String, usize, DensityGrid)>,
}

impl FokkerPlanck {
    pub fn figures(&mut self, cfg: &FokkerPlanckConfig) -> FokkerPlanckFigures {
        let m = cfg.mixture();
        let target = tau(cfg.t);
        let fresh = match &self.grid {
            Some((id, cells, g)) => *id != cfg.mixture || *cells != cfg.cells || g.tau > target,
            None => true,
        };
        if fresh {
            self.grid = Some((cfg.mixture.clone(), cfg.cells, DensityGrid::new(&m, HALF_WIDTH, cfg.cells)));
        }
        let (_, _, g) = self.grid.as_mut().expect("set above");
        g.advance_to(target, TAU_STEP);
        let exact: Vec<f64> = g.x.iter().map(|&x| m.density(x, cfg.t)).collect();
        let dx = 2.0 * HALF_WIDTH / BINS as f64;
        let bins: Vec<f64> = (0..BINS).map(|i| -HALF_WIDTH + (i as f64 + 0.5) * dx).collect();
        let hist = |c: Carrier| histogram(&particles(&m, c, cfg.t, cfg.n, cfg.seed, STEPS_PER_UNIT), &bins, dx);
        let (forward_sde, reverse_sde, ode) = (hist(Carrier::ForwardSde), hist(Carrier::ReverseSde), hist(Carrier::Ode));
        let err = |h: &[f64]| l1(h, &bins, dx, |x| m.density(x, cfg.t));
        FokkerPlanckFigures {
            t: cfg.t,
            l1_error: g.l1_error(|x| m.density(x, cfg.t)),
            particle_l1: ParticleL1 { forward_sde: err(&forward_sde), reverse_sde: err(&reverse_sde), ode: err(&ode) },
            x: g.x.clone(),
            exact,
            grid: g.p.clone(),
            bins,
            forward_sde,
            reverse_sde,
            ode,
        }
    }
}

#[cfg(all(target_arch = "wasm32", feature = "labs"))]
mod page {
    use wasm_bindgen::prelude::*;

    use super::{FokkerPlanck, FokkerPlanckConfig};
    use crate::web::link::Ignored;
    use crate::web::js::to_js;
use crate::web::labs::js::{set_config, status};
    use crate::web::labs::LabConfig;

    /// The Fokker–Planck lab as the page drives it (www/labs.js).
    #[wasm_bindgen]
    pub struct FokkerPlanckLab {
        cfg: FokkerPlanckConfig,
        ignored: Vec<Ignored>,
        state: FokkerPlanck,
    }

    #[wasm_bindgen]
    impl FokkerPlanckLab {
        pub fn create(fragment: String) -> FokkerPlanckLab {
            crate::web::input::install_panic_hook();
            let (cfg, ignored) = FokkerPlanckConfig::from_fragment(&fragment);
            FokkerPlanckLab { cfg, ignored, state: FokkerPlanck::default() }
        }

        /// The figures at the config's t (src/web/labs/fokker_planck.rs).
        pub fn figures(&mut self) -> JsValue {
            to_js(&self.state.figures(&self.cfg))
        }

        pub fn config(&self) -> JsValue {
            to_js(&self.cfg)
        }

        /// Sets keys all-or-nothing; a refused value changes nothing and says why.
        #[wasm_bindgen(js_name = setConfig)]
        pub fn set_config(&mut self, partial: JsValue) -> Result<JsValue, JsError> {
            set_config(&mut self.cfg, partial)?;
            Ok(to_js(&self.cfg))
        }

        pub fn fragment(&self) -> String {
            self.cfg.to_fragment()
        }

        /// `{ backend, ignored }` (the lab runs on the CPU: 1-D particles take milliseconds).
        pub fn status(&self) -> JsValue {
            status("cpu", &self.ignored)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_link_round_trips_and_bad_values_are_ignored() {
        let (cfg, ignored) = FokkerPlanckConfig::from_fragment("#lab=fokker_planck&mixture=skewed&t=0.35&n=2000&seed=4&cells=600&embed=1");
        assert!(ignored.is_empty(), "{ignored:?}");
        assert_eq!(FokkerPlanckConfig::from_fragment(&cfg.to_fragment()).0, cfg);
        let (bad, ignored) = FokkerPlanckConfig::from_fragment("lab=fokker_planck&t=2&mixture=zig");
        assert_eq!(bad, FokkerPlanckConfig::default());
        assert_eq!(ignored.iter().map(|i| i.key.as_str()).collect::<Vec<_>>(), ["t", "mixture"]);
    }

    /// The figures at several t, going forward and back (the grid re-solves
    /// when t decreases): the PDE within 2e-3 L1 of the exact marginal
    /// (science::fokker_planck's bar), each particle histogram within 0.12:
    /// the L1 of 4 000 exact draws in these 60 bins is 0.037–0.093 over 8
    /// seeds and the three mixtures (measured), and the integrators' step
    /// error adds about 0.01.
    #[test]
    fn figures_track_the_exact_marginal_forward_and_back() {
        let mut lab = FokkerPlanck::default();
        let mut cfg = FokkerPlanckConfig::default();
        for t in [0.1, 0.6, 0.3, 1.0, 0.0] {
            cfg.t = t;
            let f = lab.figures(&cfg);
            assert_eq!((f.x.len(), f.exact.len(), f.grid.len(), f.bins.len()), (480, 480, 480, BINS));
            assert!(f.l1_error < 2e-3, "t = {t}: {}", f.l1_error);
            let p = &f.particle_l1;
            assert!(p.forward_sde < 0.12 && p.reverse_sde < 0.12 && p.ode < 0.12, "t = {t}: {p:?}");
        }
    }
}
