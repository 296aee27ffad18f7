//! Whether a run's particles are still numbers: extreme guidance or a too
//! large Langevin step can overflow to ±Inf and then NaN. The page checks
//! each frame's particles and stops with a clear message instead of drawing
//! nothing forever.

/// A particle farther than this from the origin (in either coordinate) has
/// left the data's box [−4, 4]² by far: reported as escaped, not an error.
pub const ESCAPE_RADIUS: f32 = 100.0;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Health {
    /// Particles with a NaN or infinite coordinate.
    pub non_finite: usize,
    /// The first such particle.
    pub first_non_finite: Option<usize>,
    /// Finite particles with a coordinate beyond [`ESCAPE_RADIUS`].
    pub escaped: usize,
}

/// Checks interleaved `x, y` coordinates.
pub fn check(xy: &[f32]) -> Health {
    let mut h = Health::default();
    for (i, p) in xy.chunks_exact(2).enumerate() {
        if !(p[0].is_finite() && p[1].is_finite()) {
            h.non_finite += 1;
            h.first_non_finite.get_or_insert(i);
        } else if p[0].abs() > ESCAPE_RADIUS || p[1].abs() > ESCAPE_RADIUS {
            h.escaped += 1;
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::cpu::CpuSampler;
    use crate::model::{Conditioning, ExactMixture, ScoreModel};
    use crate::science::datasets::Dataset;
    use crate::science::plan::{SamplerKind, Spacing, StepPlan};
    use crate::science::schedule::ScheduleKind;

    #[test]
    fn counts_non_finite_and_escaped_particles() {
        let xy = [0.5, -1.0, f32::NAN, 0.0, 1e3, 2.0, 0.0, f32::INFINITY, -3.9, 3.9];
        assert_eq!(check(&xy), Health { non_finite: 2, first_non_finite: Some(1), escaped: 1 });
        assert_eq!(check(&[0.0, 0.0]), Health::default());
    }

    #[test]
    fn a_blown_up_langevin_run_is_detected() {
        // ε/σ_L² = 1e-2/1e-4 = 100: each Langevin step multiplies the distance
        // to a mode by about 1 − 50, so every particle overflows within the run.
        let plan = StepPlan::build(ScheduleKind::VpLinear, SamplerKind::Langevin { per_level: 5, step_size: 1e-2 }, 200, Spacing::Quadratic);
        let model = ScoreModel::Exact(ExactMixture::new(&Dataset::Moons.exact_mixture()));
        let mut s = CpuSampler::new(plan.clone(), model.clone(), Conditioning::class(None), 1, 256);
        s.run_steps(plan.len());
        let flat: Vec<f32> = s.particles.iter().flatten().copied().collect();
        assert_eq!(check(&flat).non_finite, 256);
        // The same sampler at a sane step size stays healthy.
        let plan = StepPlan::build(ScheduleKind::VpLinear, SamplerKind::Langevin { per_level: 5, step_size: 2e-5 }, 200, Spacing::Quadratic);
        let mut s = CpuSampler::new(plan.clone(), model, Conditioning::class(None), 1, 256);
        s.run_steps(plan.len());
        let flat: Vec<f32> = s.particles.iter().flatten().copied().collect();
        assert_eq!(check(&flat), Health::default());
    }
}
