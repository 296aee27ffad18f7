//! The CPU backend: the reference arithmetic of the fused kernel, in Rust.
//!
//! Per particle and step: `ε̂ = model(x, t)`, `x ← c_x x + c_eps ε̂ + c_z z`
//! with `z` from the counter-based RNG keyed by (seed, particle, step, 0),
//! then, on Heun steps, the corrector with a second evaluation at the end level.
//! The GPU kernel (`shaders/sample.wgsl`) does the same operations in the
//! same order.

use crate::model::ExactMixture;
use crate::science::plan::StepPlan;
use crate::science::rng::{gaussian2, STEP_INITIAL_NOISE};

/// Initial noise `x_T ~ N(0, I)` for particle `i` (shared by both backends).
pub fn initial_noise(seed: u32, n: usize) -> Vec<[f32; 2]> {
    (0..n as u32).map(|i| gaussian2(seed, i, STEP_INITIAL_NOISE, 0)).collect()
}

pub struct CpuSampler {
    pub particles: Vec<[f32; 2]>,
    plan: StepPlan,
    model: ExactMixture,
    seed: u32,
    /// Index of the next plan step to run.
    step: usize,
}

impl CpuSampler {
    pub fn new(plan: StepPlan, model: ExactMixture, seed: u32, n: usize) -> Self {
        Self { particles: initial_noise(seed, n), plan, model, seed, step: 0 }
    }

    pub fn step_index(&self) -> usize {
        self.step
    }

    pub fn total_steps(&self) -> usize {
        self.plan.len()
    }

    pub fn done(&self) -> bool {
        self.step >= self.plan.len()
    }

    /// Run up to `count` steps; returns how many ran.
    pub fn run_steps(&mut self, count: usize) -> usize {
        let end = (self.step + count).min(self.plan.len());
        for s in self.step..end {
            let st = self.plan.steps[s];
            for (i, x) in self.particles.iter_mut().enumerate() {
                let eps = self.model.eps_hat(*x, st.alpha, st.sigma);
                let z = gaussian2(self.seed, i as u32, s as u32, 0);
                let mut next = [
                    st.c_x * x[0] + st.c_eps * eps[0] + st.c_z * z[0],
                    st.c_x * x[1] + st.c_eps * eps[1] + st.c_z * z[1],
                ];
                if st.heun != 0.0 {
                    let eps2 = self.model.eps_hat(next, st.alpha_end, st.sigma_end);
                    next = [
                        x[0] + 0.5 * ((st.c_x - 1.0) * x[0] + st.c_eps * eps[0] + (st.c_x_end - 1.0) * next[0] + st.c_eps_end * eps2[0]),
                        x[1] + 0.5 * ((st.c_x - 1.0) * x[1] + st.c_eps * eps[1] + (st.c_x_end - 1.0) * next[1] + st.c_eps_end * eps2[1]),
                    ];
                }
                *x = next;
            }
        }
        let ran = end - self.step;
        self.step = end;
        ran
    }
}
