//! The CPU backend: the reference arithmetic of the fused kernel, in Rust.
//!
//! Per particle and step (`science::plan` gives the update): `ε̂ = model(c_in x,
//! level, class)` (guided, see `science::guidance`), `x ← c_x x + c_eps ε̂ + c_z z`
//! with `z` from the counter-based RNG keyed by (seed, particle, step, 0),
//! plus `c_prev m` and the memory update `m ← x̂0` on multistep plans, then,
//! on Heun steps, the corrector with a second evaluation at the end level.
//! The GPU kernel (`shaders/sample.wgsl`) does the same operations in the
//! same order. Particles are processed in blocks of [`BLOCK`] (the MLP's
//! weights stay in cache across a block); natively, blocks are spread over
//! the available cores (particles are independent, so the result does not
//! depend on the split).

use crate::model::mlp::BLOCK;
use crate::model::{Conditioning, Level, ScoreModel};
use crate::science::plan::{PlanStep, StepPlan};
use crate::science::rng::{gaussian2, STEP_INITIAL_NOISE};

/// Initial noise `x_T ~ N(0, scale² I)` (shared by both backends: `scale · z`).
pub fn initial_noise(seed: u32, n: usize, scale: f32) -> Vec<[f32; 2]> {
    (0..n as u32)
        .map(|i| {
            let z = gaussian2(seed, i, STEP_INITIAL_NOISE, 0);
            [scale * z[0], scale * z[1]]
        })
        .collect()
}

pub struct CpuSampler {
    pub particles: Vec<[f32; 2]>,
    /// Per-particle multistep memory (the previous step's x̂0); empty unless the plan is multistep.
    memory: Vec<[f32; 2]>,
    plan: StepPlan,
    model: ScoreModel,
    cond: Conditioning,
    seed: u32,
    /// Index of the next plan step to run.
    step: usize,
    /// Within a step run in slices ([`CpuSampler::run_slice`]): the first
    /// particle not yet advanced, and the step's prepared levels.
    cursor: usize,
    current: Option<PreparedStep>,
}

/// One plan step with its prepared levels (start, and Heun's end).
struct PreparedStep {
    index: u32,
    st: PlanStep,
    start: Level,
    end: Option<Level>,
}

impl CpuSampler {
    pub fn new(plan: StepPlan, model: ScoreModel, cond: Conditioning, seed: u32, n: usize) -> Self {
        let memory = if plan.multistep { vec![[0.0; 2]; n] } else { Vec::new() };
        Self { particles: initial_noise(seed, n, plan.init_scale), memory, plan, model, cond, seed, step: 0, cursor: 0, current: None }
    }

    fn prepare(&self, s: usize) -> PreparedStep {
        let st = self.plan.steps[s];
        let levels = &self.plan.levels;
        PreparedStep {
            index: s as u32,
            st,
            start: self.model.level(levels[st.level as usize], st.alpha, st.sigma),
            end: (st.heun != 0).then(|| self.model.level(levels[st.level_end as usize], st.alpha_end, st.sigma_end)),
        }
    }

    /// Advances one block of particles by the current step; true when that
    /// completed the step for every particle.
    fn advance_block(&mut self) -> bool {
        if self.current.is_none() {
            self.current = Some(self.prepare(self.step));
        }
        let end = (self.cursor + BLOCK).min(self.particles.len());
        if let Some(p) = &self.current {
            let memory = if self.memory.is_empty() { None } else { Some(&mut self.memory[self.cursor..end]) };
            run_block(&self.model, self.cond, self.seed, self.cursor, &mut self.particles[self.cursor..end], memory, std::slice::from_ref(p));
        }
        self.cursor = end;
        if self.cursor < self.particles.len() {
            return false;
        }
        self.cursor = 0;
        self.step += 1;
        self.current = None;
        true
    }

    /// Advances block by block (a step is finished for every particle before
    /// the next starts) until `out_of_time()` says stop or the plan is done;
    /// at least one block runs. This keeps each call short however heavy the
    /// model is: the page's time slices on the main thread.
    pub fn run_slice(&mut self, mut out_of_time: impl FnMut() -> bool) {
        while !self.done() {
            self.advance_block();
            if out_of_time() {
                break;
            }
        }
    }

    /// Steps every particle has completed.
    pub fn step_index(&self) -> usize {
        self.step
    }

    pub fn total_steps(&self) -> usize {
        self.plan.len()
    }

    pub fn done(&self) -> bool {
        self.step >= self.plan.len()
    }

    /// Run up to `count` whole steps; returns how many ran.
    pub fn run_steps(&mut self, count: usize) -> usize {
        // Finish a step left part-way by run_slice first.
        let mut finished = 0;
        if self.cursor > 0 && count > 0 {
            while !self.advance_block() {}
            finished = 1;
        }
        let count = count - finished;
        let end = (self.step + count).min(self.plan.len());
        let steps: Vec<PreparedStep> = (self.step..end).map(|s| self.prepare(s)).collect();
        let model = &self.model;
        let (cond, seed) = (self.cond, self.seed);
        let run_chunk = |first: usize, chunk: &mut [[f32; 2]], mut memory: Option<&mut [[f32; 2]]>| {
            for (b, block) in chunk.chunks_mut(BLOCK).enumerate() {
                let mem = memory.as_deref_mut().map(|m| &mut m[b * BLOCK..b * BLOCK + block.len()]);
                run_block(model, cond, seed, first + b * BLOCK, block, mem, &steps);
            }
        };
        let multistep = !self.memory.is_empty();
        #[cfg(not(target_arch = "wasm32"))]
        {
            let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
            let per = self.particles.len().div_ceil(threads).div_ceil(BLOCK).max(1) * BLOCK;
            let mut memory_chunks = self.memory.chunks_mut(per);
            std::thread::scope(|scope| {
                for (c, chunk) in self.particles.chunks_mut(per).enumerate() {
                    let run_chunk = &run_chunk;
                    let mem = if multistep { memory_chunks.next() } else { None };
                    scope.spawn(move || run_chunk(c * per, chunk, mem));
                }
            });
        }
        #[cfg(target_arch = "wasm32")]
        run_chunk(0, &mut self.particles, multistep.then_some(&mut self.memory[..]));
        let ran = end - self.step;
        self.step = end;
        ran + finished
    }
}

/// All prepared steps for one block of particles, the first with index `first`.
fn run_block(
    model: &ScoreModel,
    cond: Conditioning,
    seed: u32,
    first: usize,
    xs: &mut [[f32; 2]],
    mut memory: Option<&mut [[f32; 2]]>,
    steps: &[PreparedStep],
) {
    let n = xs.len();
    let mut xin = [[0.0f32; 2]; BLOCK];
    let mut eps = [[0.0f32; 2]; BLOCK];
    let mut next = [[0.0f32; 2]; BLOCK];
    let mut eps2 = [[0.0f32; 2]; BLOCK];
    for p in steps {
        let st = &p.st;
        for b in 0..n {
            xin[b] = [st.c_in * xs[b][0], st.c_in * xs[b][1]];
        }
        model.guided_eps_block(&xin[..n], &p.start, cond, &mut eps);
        for b in 0..n {
            let (x, e) = (xs[b], eps[b]);
            let z = gaussian2(seed, (first + b) as u32, p.index, 0);
            next[b] = [st.c_x * x[0] + st.c_eps * e[0] + st.c_z * z[0], st.c_x * x[1] + st.c_eps * e[1] + st.c_z * z[1]];
        }
        if let Some(m) = memory.as_deref_mut() {
            // Multistep: the previous x̂0 enters, this step's x̂0 is remembered.
            for b in 0..n {
                let (x, e) = (xs[b], eps[b]);
                next[b] = [next[b][0] + st.c_prev * m[b][0], next[b][1] + st.c_prev * m[b][1]];
                m[b] = [st.x0_x * x[0] + st.x0_eps * e[0], st.x0_x * x[1] + st.x0_eps * e[1]];
            }
        }
        if let Some(end) = &p.end {
            // Heun's corrector: average the drifts at both ends of the step.
            for b in 0..n {
                xin[b] = [st.c_in_end * next[b][0], st.c_in_end * next[b][1]];
            }
            model.guided_eps_block(&xin[..n], end, cond, &mut eps2);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ExactMixture;
    use crate::science::datasets::Dataset;
    use crate::science::plan::{SamplerKind, Spacing};
    use crate::science::schedule::ScheduleKind;

    #[test]
    fn slices_and_whole_steps_give_identical_particles() {
        for sampler in [SamplerKind::Heun, SamplerKind::DpmPp2m] {
            slices_match(sampler);
        }
    }

    fn slices_match(sampler: SamplerKind) {
        let plan = StepPlan::build(ScheduleKind::VpLinear, sampler, 12, Spacing::Uniform);
        let model = ScoreModel::Exact(ExactMixture::new(&Dataset::Smiley.exact_mixture()));
        let mut whole = CpuSampler::new(plan.clone(), model.clone(), Conditioning::class(Some(2)), 9, 1000);
        whole.run_steps(12);
        let mut sliced = CpuSampler::new(plan, model, Conditioning::class(Some(2)), 9, 1000);
        // Slices of 3 blocks, then a whole-step call that finishes a part-done step.
        let mut k = 0;
        sliced.run_slice(|| { k += 1; k % 3 == 0 });
        assert_eq!((sliced.step_index(), sliced.cursor), (0, 3 * BLOCK));
        assert_eq!(sliced.run_steps(2), 2);
        while !sliced.done() {
            sliced.run_slice(|| { k += 1; k % 5 == 0 });
        }
        assert_eq!(sliced.particles, whole.particles);
    }
}
