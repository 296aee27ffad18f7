//! Score models: what the samplers evaluate as `ε̂(x, t, class)`.
//!
//! Two kinds, one contract ([`ScoreModel`]):
//! - [`ExactMixture`]: the exact score of a Gaussian mixture or of an
//!   empirical point set (`model=exact`, SCIENCE.md §5);
//! - [`ScoreMlp`]: the pretrained class-conditional ε-prediction MLP
//!   (`model=learned`), loaded from a safetensors file ([`weights`]).
//!
//! Both are written in f32 with exactly the arithmetic of their WGSL twins
//! (`shaders/score_mixture.wgsl`, `shaders/score_mlp.wgsl`), so the CPU
//! backend and the GPU kernel agree.

pub mod exact;
pub mod mlp;
pub mod weights;

pub use exact::{ExactMixture, GpuComponent};
pub use mlp::{Classifier, ScoreMlp};

/// Which class the network is conditioned on: one class, or all classes
/// (the unconditional model — the MLP's null class, the whole mixture).
pub type ClassChoice = Option<u32>;

/// The noise level of one network evaluation, prepared once per step and
/// shared by every particle: `a_t`, `σ_t`, and for the MLP the time part of
/// its first layer (`W_t · temb(t)`).
#[derive(Clone, Debug)]
pub struct Level {
    pub alpha: f32,
    pub sigma: f32,
    pub time_bias: Vec<f32>,
}

#[derive(Clone, Debug)]
pub enum ScoreModel {
    Exact(ExactMixture),
    Mlp(ScoreMlp),
}

impl ScoreModel {
    /// Prepare the evaluations at network time `t`, scales `a_t`, `σ_t`.
    pub fn level(&self, t: f32, alpha: f32, sigma: f32) -> Level {
        let time_bias = match self {
            ScoreModel::Exact(_) => Vec::new(),
            ScoreModel::Mlp(m) => m.time_bias(t),
        };
        Level { alpha, sigma, time_bias }
    }

    /// `ε̂` for a block of particles (at most [`mlp::BLOCK`] of them).
    pub fn eps_hat_block(&self, xs: &[[f32; 2]], level: &Level, class: ClassChoice, out: &mut [[f32; 2]]) {
        match self {
            ScoreModel::Exact(m) => {
                for (x, o) in xs.iter().zip(out.iter_mut()) {
                    *o = m.eps_hat(*x, level.alpha, level.sigma, class);
                }
            }
            ScoreModel::Mlp(m) => m.eps_hat_block(xs, &level.time_bias, class, out),
        }
    }
}
