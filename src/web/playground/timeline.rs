//! The time scrubber: the run's frames as they were drawn (the first
//! particles of each), thinned to a fixed count however long the run, and
//! which frame the page shows; and the forward (noising) process at a
//! frame's time, for the scrubber's forward view.

use crate::science::plan::StepPlan;
use crate::web::playground::data::Data;

/// The scrubber keeps the first SNAP_PARTICLES particles of at most SNAP_MAX frames.
pub const SNAP_PARTICLES: usize = 16_384;
pub const SNAP_MAX: usize = 240;
/// The forward view noises data draws with this seed.
const FORWARD_SEED: u32 = 0xF0_3A4D;

/// The recorded frames: (plan steps done, the first particles, interleaved).
#[derive(Default)]
pub struct Timeline {
    pub snapshots: Vec<(usize, Vec<f32>)>,
    /// The frame the scrubber shows (None: the live particles).
    pub scrub: Option<usize>,
    /// Show the forward (noising) process at the scrubbed time instead.
    pub forward_view: bool,
}

impl Timeline {
    /// Forgets the last run's frames and shows the live particles.
    pub fn clear(&mut self) {
        self.snapshots.clear();
        self.scrub = None;
    }

    /// Records the particles after `step` plan steps, once per step count;
    /// past SNAP_MAX frames every other one goes, the first and the last kept.
    pub fn record(&mut self, step: usize, particles: &[f32]) {
        if particles.is_empty() || self.snapshots.last().is_some_and(|(s, _)| *s == step) {
            return;
        }
        let keep = particles.len().min(2 * SNAP_PARTICLES);
        self.snapshots.push((step, particles[..keep].to_vec()));
        if self.snapshots.len() > SNAP_MAX {
            let last = self.snapshots.pop();
            let mut k = 0;
            self.snapshots.retain(|_| {
                k += 1;
                k % 2 == 1
            });
            self.snapshots.extend(last);
        }
    }
}

/// The forward process at the level reached after `steps` plan steps:
/// `x = a x0 + σ ε` for `n` fresh data draws x0 and fixed noise ε.
pub fn forward_particles(plan: &StepPlan, data: &Data, steps: usize, n: usize) -> Vec<f32> {
    let (a, sigma) = match plan.steps.get(steps) {
        Some(st) => (st.alpha / st.c_in, st.sigma / st.c_in),
        None => (1.0, 0.0),
    };
    let (x0, _) = data.sample(n.clamp(1, SNAP_PARTICLES), FORWARD_SEED);
    x0.iter()
        .enumerate()
        .flat_map(|(i, p)| {
            let e = crate::science::rng::gaussian2(FORWARD_SEED, i as u32, 0, 0);
            [a * p[0] + sigma * e[0], a * p[1] + sigma * e[1]]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_run_is_thinned_keeping_its_first_and_last_frames() {
        let mut t = Timeline::default();
        t.record(0, &[]);
        assert!(t.snapshots.is_empty(), "nothing to record");
        for step in 0..1000 {
            t.record(step, &[step as f32, 0.0]);
            t.record(step, &[-1.0, -1.0]);
        }
        assert!(t.snapshots.len() <= SNAP_MAX && t.snapshots.len() > SNAP_MAX / 2, "{}", t.snapshots.len());
        assert_eq!(t.snapshots[0], (0, vec![0.0, 0.0]), "the first frame stays");
        assert_eq!(t.snapshots.last().unwrap().0, 999, "the last frame stays");
        assert!(t.snapshots.windows(2).all(|w| w[0].0 < w[1].0), "in order, once per step");
        // Only the first SNAP_PARTICLES particles of a frame are kept.
        let mut big = Timeline::default();
        big.record(1, &vec![0.5; 4 * SNAP_PARTICLES]);
        assert_eq!(big.snapshots[0].1.len(), 2 * SNAP_PARTICLES);
        t.scrub = Some(3);
        t.clear();
        assert!(t.snapshots.is_empty() && t.scrub.is_none());
    }

    #[test]
    fn the_forward_view_is_data_at_the_start_and_noise_at_the_end() {
        let cfg = crate::web::config::Config::default();
        let plan = crate::web::playground::run::plan_for(&cfg);
        let (x0, _) = cfg.dataset.sample(100, FORWARD_SEED);
        let clean = forward_particles(&plan, &cfg.dataset, plan.len(), 100);
        assert_eq!(clean, x0.iter().flatten().copied().collect::<Vec<_>>(), "after the last step: the data");
        let noisy = forward_particles(&plan, &cfg.dataset, 0, 4000);
        let var = noisy.iter().map(|v| (*v as f64).powi(2)).sum::<f64>() / noisy.len() as f64;
        assert!((var - 1.0).abs() < 0.1, "at t = 1 nearly the standard normal: {var}");
    }
}
