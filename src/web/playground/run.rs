//! One sampling run: its engine (the CPU sampler or the GPU one), its plan,
//! the particles last read, and what the page reports of it. A restart
//! replaces all of it at once ([`Run::reset`]) and bumps the generation,
//! which is the key every overlay cache is checked against (overlays.rs).

use crate::engine::cpu::CpuSampler;
use crate::engine::gpu::GpuSampler;
use crate::engine::health::Health;
use crate::model::{Conditioning, ExactMixture, ScoreModel};
use crate::science::plan::StepPlan;
use crate::web::config::Config;

/// A run takes at least about this many animation frames on WebGPU (one
/// dispatch, one render pass and one probe per frame)…
pub const GPU_FRAMES_PER_RUN: usize = 90;
/// …but one step per frame once a frame (dispatch to probe landed) takes
/// longer than this, so a very slow GPU (a software one, a huge run) still
/// shows progress and answers Pause within about a step's time.
pub const GPU_SLOW_FRAME_MS: f64 = 1000.0;

pub enum Engine {
    Cpu(CpuSampler),
    Gpu(GpuSampler),
}

impl Engine {
    /// An engine with no particles, shown while there is nothing to sample
    /// (before start-up, while weights load, after they failed).
    pub fn idle(plan: StepPlan, seed: u32) -> Self {
        Engine::Cpu(CpuSampler::new(plan, ScoreModel::Exact(ExactMixture { components: Vec::new() }), Conditioning::class(None), seed, 0))
    }

    pub fn step(&self) -> usize {
        match self {
            Engine::Cpu(s) => s.step_index(),
            Engine::Gpu(s) => s.step_index(),
        }
    }

    pub fn total(&self) -> usize {
        match self {
            Engine::Cpu(s) => s.total_steps(),
            Engine::Gpu(s) => s.total_steps(),
        }
    }

    pub fn done(&self) -> bool {
        self.step() >= self.total()
    }
}

/// The step plan a config samples with: its schedule, sampler, steps and
/// spacing, every step's injected noise scaled by the noise temperature.
pub fn plan_for(cfg: &Config) -> StepPlan {
    let mut plan = StepPlan::build(cfg.schedule, cfg.sampler_kind(), cfg.steps, cfg.spacing);
    if cfg.noise != 1.0 {
        plan.steps.iter_mut().for_each(|st| st.c_z *= cfg.noise as f32);
    }
    plan
}

/// The current run.
pub struct Run {
    pub engine: Engine,
    /// The running plan (for NFE counts).
    pub plan: StepPlan,
    /// Bumped by every restart: a result computed for an older run (a GPU
    /// readback, an overlay) is dropped when it lands.
    pub generation: u64,
    pub running: bool,
    /// Waiting for something before sampling: a model's weights, a
    /// training run, the backends' calibration.
    pub loading: bool,
    /// The particles last read (interleaved x, y): all of them on the CPU;
    /// on WebGPU the probe's first ones during a run, all of them once it
    /// ends (`State::has_all_particles` says which).
    pub particles: Vec<f32>,
    /// The plan step `particles` were read at (a WebGPU frame's read lands
    /// after its steps are recorded; the likelihood layer waits for the last).
    pub particles_at: usize,
    /// Plan steps per WebGPU frame this run (one on a very slow GPU).
    pub gpu_steps_per_frame: usize,
    /// The particles' check for NaN/Inf and escapes.
    pub health: Health,
    /// Wall time spent sampling this run (ticks, including GPU readbacks).
    pub elapsed_ms: f64,
    /// Run exactly one plan step on the next tick, then pause.
    pub single_step: bool,
    /// The running model (for the field, density and score layers).
    pub model_now: Option<ScoreModel>,
    /// Why the run stopped or never started.
    pub error: Option<String>,
}

impl Run {
    /// No run yet: an idle engine on `plan`.
    pub fn new(plan: StepPlan, seed: u32) -> Self {
        Self {
            engine: Engine::idle(plan.clone(), seed),
            plan,
            generation: 0,
            running: false,
            loading: false,
            particles: Vec::new(),
            particles_at: 0,
            gpu_steps_per_frame: 1,
            health: Health::default(),
            elapsed_ms: 0.0,
            single_step: false,
            model_now: None,
            error: None,
        }
    }

    /// A fresh run of `plan` (idle until the session gives it an engine):
    /// everything of the last run goes, and the generation moves on.
    pub fn reset(&mut self, plan: StepPlan, seed: u32) {
        let generation = self.generation + 1;
        *self = Run::new(plan, seed);
        self.generation = generation;
        self.gpu_steps_per_frame = self.plan.len().div_ceil(GPU_FRAMES_PER_RUN).max(1);
    }

    /// Network evaluations per particle so far: the plan's, times `evals` under guidance.
    pub fn nfe(&self, evals: usize) -> u64 {
        self.plan.nfe_through(self.engine.step()) as u64 * evals as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_restart_resets_the_whole_run_and_moves_the_generation_on() {
        let cfg = Config::default();
        let mut run = Run::new(plan_for(&cfg), cfg.seed);
        // A run in progress, with everything a run accumulates.
        run.engine = Engine::Cpu(CpuSampler::new(plan_for(&cfg), ScoreModel::Exact(ExactMixture::new(&cfg.dataset.exact_mixture())), Conditioning::class(None), 7, 64));
        if let Engine::Cpu(s) = &mut run.engine {
            s.run_steps(10);
        }
        run.running = true;
        run.loading = true;
        run.particles = vec![1.0; 128];
        run.particles_at = 10;
        run.health.non_finite = 3;
        run.elapsed_ms = 12.0;
        run.single_step = true;
        run.error = Some("diverged".into());
        run.model_now = Some(ScoreModel::Exact(ExactMixture { components: Vec::new() }));
        let g = run.generation;
        let steps = Config { steps: 450, ..Config::default() };
        run.reset(plan_for(&steps), 9);
        assert_eq!(run.generation, g + 1);
        assert!(matches!(&run.engine, Engine::Cpu(s) if s.particles.is_empty() && s.step_index() == 0), "an idle engine until the session starts one");
        assert!(!run.running && !run.loading && !run.single_step);
        assert!(run.particles.is_empty() && run.particles_at == 0 && run.elapsed_ms == 0.0);
        assert_eq!(run.health, Health::default());
        assert!(run.error.is_none() && run.model_now.is_none());
        assert_eq!(run.plan.len(), 450);
        assert_eq!(run.gpu_steps_per_frame, 5, "450 steps over about 90 frames");
    }

    #[test]
    fn the_noise_temperature_scales_only_the_injected_noise() {
        let base = plan_for(&Config::default());
        let hot = plan_for(&Config { noise: 1.5, ..Config::default() });
        for (a, b) in base.steps.iter().zip(&hot.steps) {
            assert_eq!(b.c_z, a.c_z * 1.5);
            assert_eq!((a.c_x, a.c_eps), (b.c_x, b.c_eps));
        }
    }
}
