//! The CPU backend: the reference arithmetic of the fused kernel, in Rust.
//!
//! Per particle and step: `ε̂ = model(x, t, class)`, `x ← c_x x + c_eps ε̂ + c_z z`
//! with `z` from the counter-based RNG keyed by (seed, particle, step, 0),
//! then, on Heun steps, the corrector with a second evaluation at the end level.
//! The GPU kernel (`shaders/sample.wgsl`) does the same operations in the
//! same order. Particles are processed in blocks of [`BLOCK`] (the MLP's
//! weights stay in cache across a block); natively, blocks are spread over
//! the available cores (particles are independent, so the result does not
//! depend on the split).

use crate::model::mlp::BLOCK;
use crate::model::{ClassChoice, Level, ScoreModel};
use crate::science::plan::{PlanStep, StepPlan};
use crate::science::rng::{gaussian2, STEP_INITIAL_NOISE};

/// Initial noise `x_T ~ N(0, I)` for particle `i` (shared by both backends).
pub fn initial_noise(seed: u32, n: usize) -> Vec<[f32; 2]> {
    (0..n as u32).map(|i| gaussian2(seed, i, STEP_INITIAL_NOISE, 0)).collect()
}

pub struct CpuSampler {
    pub particles: Vec<[f32; 2]>,
    plan: StepPlan,
    model: ScoreModel,
    class: ClassChoice,
    seed: u32,
    /// Index of the next plan step to run.
    step: usize,
}

/// One plan step with its prepared levels (start, and Heun's end).
struct PreparedStep {
    index: u32,
    st: PlanStep,
    start: Level,
    end: Option<Level>,
}

impl CpuSampler {
    pub fn new(plan: StepPlan, model: ScoreModel, class: ClassChoice, seed: u32, n: usize) -> Self {
        Self { particles: initial_noise(seed, n), plan, model, class, seed, step: 0 }
    }

    pub fn step_index(&self) -> usize {
        self.step
    }

    pub fn total_steps(&self) -> usize {
        self.plan.len()
    }

    pub fn plan(&self) -> &StepPlan {
        &self.plan
    }

    pub fn done(&self) -> bool {
        self.step >= self.plan.len()
    }

    /// Run up to `count` steps; returns how many ran.
    pub fn run_steps(&mut self, count: usize) -> usize {
        let end = (self.step + count).min(self.plan.len());
        let model = &self.model;
        let steps: Vec<PreparedStep> = (self.step..end)
            .map(|s| {
                let st = self.plan.steps[s];
                PreparedStep {
                    index: s as u32,
                    st,
                    start: model.level(st.t, st.alpha, st.sigma),
                    end: (st.heun != 0.0).then(|| model.level(st.t_end, st.alpha_end, st.sigma_end)),
                }
            })
            .collect();
        let (class, seed) = (self.class, self.seed);
        let run_chunk = |first: usize, chunk: &mut [[f32; 2]]| {
            for (b, block) in chunk.chunks_mut(BLOCK).enumerate() {
                run_block(model, class, seed, first + b * BLOCK, block, &steps);
            }
        };
        #[cfg(not(target_arch = "wasm32"))]
        {
            let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
            let per = self.particles.len().div_ceil(threads).div_ceil(BLOCK).max(1) * BLOCK;
            std::thread::scope(|scope| {
                for (c, chunk) in self.particles.chunks_mut(per).enumerate() {
                    let run_chunk = &run_chunk;
                    scope.spawn(move || run_chunk(c * per, chunk));
                }
            });
        }
        #[cfg(target_arch = "wasm32")]
        run_chunk(0, &mut self.particles);
        let ran = end - self.step;
        self.step = end;
        ran
    }
}

/// All prepared steps for one block of particles, the first with index `first`.
fn run_block(model: &ScoreModel, class: ClassChoice, seed: u32, first: usize, xs: &mut [[f32; 2]], steps: &[PreparedStep]) {
    let n = xs.len();
    let mut eps = [[0.0f32; 2]; BLOCK];
    let mut next = [[0.0f32; 2]; BLOCK];
    let mut eps2 = [[0.0f32; 2]; BLOCK];
    for p in steps {
        let st = &p.st;
        model.eps_hat_block(xs, &p.start, class, &mut eps);
        for b in 0..n {
            let (x, e) = (xs[b], eps[b]);
            let z = gaussian2(seed, (first + b) as u32, p.index, 0);
            next[b] = [st.c_x * x[0] + st.c_eps * e[0] + st.c_z * z[0], st.c_x * x[1] + st.c_eps * e[1] + st.c_z * z[1]];
        }
        if let Some(end) = &p.end {
            // Heun's corrector: average the drifts at both ends of the step.
            model.eps_hat_block(&next[..n], end, class, &mut eps2);
            for b in 0..n {
                let (x, e, y, e2) = (xs[b], eps[b], next[b], eps2[b]);
                next[b] = [
                    x[0] + 0.5 * ((st.c_x - 1.0) * x[0] + st.c_eps * e[0] + (st.c_x_end - 1.0) * y[0] + st.c_eps_end * e2[0]),
                    x[1] + 0.5 * ((st.c_x - 1.0) * x[1] + st.c_eps * e[1] + (st.c_x_end - 1.0) * y[1] + st.c_eps_end * e2[1]),
                ];
            }
        }
        xs.copy_from_slice(&next[..n]);
    }
}
