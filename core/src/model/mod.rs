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

pub mod energy;
pub mod exact;
pub mod mlp;
pub mod weights;

pub use energy::EnergyMlp;
pub use exact::{ExactMixture, GpuComponent};
pub use mlp::{Classifier, ScoreMlp};

use crate::science::guidance::{cfg_combine, classifier_combine, Guidance};

/// Which class the network is conditioned on: one class, or all classes
/// (the unconditional model — the MLP's null class, the whole mixture).
pub type ClassChoice = Option<u32>;

/// What a run conditions on: a class, and how strongly to guide towards it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Conditioning {
    pub class: ClassChoice,
    pub guidance: Guidance,
}

impl Conditioning {
    /// Conditioned on `class`, no guidance.
    pub fn class(class: ClassChoice) -> Self {
        Self { class, guidance: Guidance::None }
    }

    /// The guidance that applies: none without a class.
    pub fn active(&self) -> Guidance {
        match self.class {
            Some(_) => self.guidance,
            None => Guidance::None,
        }
    }

    /// Network evaluations per ε̂: 2 under either guidance (two score
    /// evaluations, or the score and the classifier's gradient).
    pub fn evals(&self) -> usize {
        match self.active() {
            Guidance::None => 1,
            _ => 2,
        }
    }
}

/// The noise level of one network evaluation, prepared once per step and
/// shared by every particle: the VP scales `a_t`, `σ_t` the network sees,
/// and for the MLP the time parts of its first layer (`W_t · temb(t)`) and
/// of the classifier's.
#[derive(Clone, Debug)]
pub struct Level {
    pub alpha: f32,
    pub sigma: f32,
    pub time_bias: Vec<f32>,
    pub clf_bias: Vec<f32>,
}

#[derive(Clone, Debug)]
pub enum ScoreModel {
    Exact(ExactMixture),
    /// A score MLP and its noisy-input classifier (for classifier guidance):
    /// the pretrained models have one; a model trained in the page has none
    /// (the page refuses classifier guidance for it).
    Mlp { score: ScoreMlp, classifier: Option<Classifier> },
    /// The conservative model: `ε̂ = ∇_x φ` of a scalar network
    /// ([`energy`]). No classifier of its own.
    Energy(EnergyMlp),
}

impl ScoreModel {
    /// The learned model of a weights file.
    pub fn learned(file: &weights::ModelFile) -> Self {
        ScoreModel::Mlp { score: file.score.clone(), classifier: Some(file.classifier.clone()) }
    }

    /// Prepare the evaluations at network time `t`, VP scales `a_t`, `σ_t`.
    pub fn level(&self, t: f32, alpha: f32, sigma: f32) -> Level {
        let (time_bias, clf_bias) = match self {
            ScoreModel::Exact(_) => (Vec::new(), Vec::new()),
            ScoreModel::Mlp { score, classifier } => (score.time_bias(t), classifier.as_ref().map_or_else(Vec::new, |c| c.time_bias(t))),
            ScoreModel::Energy(e) => (e.time_bias(t), Vec::new()),
        };
        Level { alpha, sigma, time_bias, clf_bias }
    }

    /// The guided `ε̂` for a block of particles (at most [`mlp::BLOCK`]).
    pub fn guided_eps_block(&self, xs: &[[f32; 2]], level: &Level, cond: Conditioning, out: &mut [[f32; 2]]) {
        match (cond.active(), cond.class) {
            (Guidance::ClassifierFree { w }, _) => {
                let mut eps_u = [[0.0f32; 2]; mlp::BLOCK];
                self.eps_hat_block(xs, level, None, &mut eps_u);
                self.eps_hat_block(xs, level, cond.class, out);
                for (o, u) in out.iter_mut().zip(&eps_u).take(xs.len()) {
                    *o = cfg_combine(*u, *o, w);
                }
            }
            (Guidance::Classifier { g }, Some(class)) => {
                let mut eps_u = [[0.0f32; 2]; mlp::BLOCK];
                self.eps_hat_block(xs, level, None, &mut eps_u);
                let mut grad = [[0.0f32; 2]; mlp::BLOCK];
                self.log_class_grad_block(xs, &eps_u, level, class, &mut grad);
                for ((o, u), gr) in out.iter_mut().zip(&eps_u).zip(&grad).take(xs.len()) {
                    *o = classifier_combine(*u, *gr, g, level.sigma);
                }
            }
            _ => self.eps_hat_block(xs, level, cond.class, out),
        }
    }

    /// `∇_x log p_t(class | x)` for a block: the learned classifier's
    /// gradient, or for an exact mixture the exact `(ε̂_u − ε̂_c)/σ` (given `ε̂_u`).
    pub fn log_class_grad_block(&self, xs: &[[f32; 2]], eps_u: &[[f32; 2]], level: &Level, class: u32, out: &mut [[f32; 2]]) {
        match self {
            ScoreModel::Exact(m) => {
                for ((x, u), o) in xs.iter().zip(eps_u).zip(out.iter_mut()) {
                    let c = m.eps_hat(*x, level.alpha, level.sigma, Some(class));
                    *o = [(u[0] - c[0]) / level.sigma, (u[1] - c[1]) / level.sigma];
                }
            }
            ScoreModel::Mlp { classifier: Some(classifier), .. } => {
                for (x, o) in xs.iter().zip(out.iter_mut()) {
                    *o = classifier.grad_log_prob(*x, &level.clf_bias, class);
                }
            }
            // No classifier: no guidance gradient (the page refuses the combination first).
            ScoreModel::Mlp { classifier: None, .. } | ScoreModel::Energy(_) => out.iter_mut().take(xs.len()).for_each(|o| *o = [0.0; 2]),
        }
    }

    /// The classes a network knows (none for the exact model, which knows its dataset's).
    pub fn num_classes(&self) -> Option<usize> {
        match self {
            ScoreModel::Exact(_) => None,
            ScoreModel::Mlp { score, .. } => Some(score.num_classes),
            ScoreModel::Energy(e) => Some(e.num_classes()),
        }
    }

    /// Whether classifier guidance can run: the exact model and a network with its classifier.
    pub fn has_classifier(&self) -> bool {
        !matches!(self, ScoreModel::Mlp { classifier: None, .. } | ScoreModel::Energy(_))
    }

    /// `ε̂` for a block of particles (at most [`mlp::BLOCK`] of them).
    pub fn eps_hat_block(&self, xs: &[[f32; 2]], level: &Level, class: ClassChoice, out: &mut [[f32; 2]]) {
        match self {
            ScoreModel::Exact(m) => {
                for (x, o) in xs.iter().zip(out.iter_mut()) {
                    *o = m.eps_hat(*x, level.alpha, level.sigma, class);
                }
            }
            ScoreModel::Mlp { score, .. } => score.eps_hat_block(xs, &level.time_bias, class, out),
            ScoreModel::Energy(e) => e.eps_hat_block(xs, &level.time_bias, class, out),
        }
    }
}
