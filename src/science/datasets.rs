//! The 2-D datasets, each with a stable id and class labels.
//!
//! Every dataset lives in the box `[-4, 4]²` (SCIENCE.md: σ_max and the view
//! are set for that box). Draws are deterministic in `(seed, index)` through
//! the counter-based RNG, so the page, the tests and the metrics see the same
//! points on every machine.

use super::mixture::Mixture;
use super::rng::{hash_key, unit, unit_open0, STEP_DATASET};

/// Half-width of the box every dataset lives in.
pub const BOX_HALF_WIDTH: f64 = 4.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dataset {
    /// Eight Gaussians on a circle of radius 3, std 0.25; class = mode.
    Gaussians8,
    /// A 5×5 grid of Gaussians at spacing 1.5, std 0.15; class = mode.
    Grid25,
}

impl Dataset {
    pub const ALL: [Dataset; 2] = [Dataset::Gaussians8, Dataset::Grid25];

    pub fn id(&self) -> &'static str {
        match self {
            Dataset::Gaussians8 => "gaussians8",
            Dataset::Grid25 => "grid25",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.id() == id)
    }

    /// The exact generating mixture.
    pub fn mixture(&self) -> Mixture {
        match self {
            Dataset::Gaussians8 => {
                let means: Vec<[f64; 2]> = (0..8)
                    .map(|k| {
                        let th = k as f64 * core::f64::consts::TAU / 8.0;
                        [3.0 * th.cos(), 3.0 * th.sin()]
                    })
                    .collect();
                Mixture::equal(&means, 0.25)
            }
            Dataset::Grid25 => {
                let means: Vec<[f64; 2]> =
                    (0..25).map(|k| [1.5 * ((k % 5) as f64 - 2.0), 1.5 * ((k / 5) as f64 - 2.0)]).collect();
                Mixture::equal(&means, 0.15)
            }
        }
    }

    pub fn num_classes(&self) -> usize {
        self.mixture().components.len()
    }

    /// `n` draws with their class labels; draw `i` depends only on `(seed, i)`.
    pub fn sample(&self, n: usize, seed: u32) -> (Vec<[f32; 2]>, Vec<i32>) {
        let mix = self.mixture();
        let cumulative: Vec<f64> = mix
            .components
            .iter()
            .scan(0.0, |acc, c| {
                *acc += c.weight;
                Some(*acc)
            })
            .collect();
        let mut xs = Vec::with_capacity(n);
        let mut labels = Vec::with_capacity(n);
        for i in 0..n {
            let h = hash_key(seed, i as u32, STEP_DATASET, 0);
            let u = unit(h[2]) as f64;
            let k = cumulative.iter().position(|&c| u < c).unwrap_or(cumulative.len() - 1);
            let r = (-2.0 * (unit_open0(h[0]) as f64).ln()).sqrt();
            let th = core::f64::consts::TAU * unit(h[1]) as f64;
            let c = &mix.components[k];
            xs.push([(c.mean[0] + c.std * r * th.cos()) as f32, (c.mean[1] + c.std * r * th.sin()) as f32]);
            labels.push(k as i32);
        }
        (xs, labels)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        for d in Dataset::ALL {
            assert_eq!(Dataset::from_id(d.id()), Some(d));
        }
        assert_eq!(Dataset::from_id("nope"), None);
    }

    #[test]
    fn draws_are_deterministic_and_in_the_box() {
        for d in Dataset::ALL {
            let (a, la) = d.sample(2000, 11);
            let (b, lb) = d.sample(2000, 11);
            assert_eq!(a, b);
            assert_eq!(la, lb);
            assert_ne!(a, d.sample(2000, 12).0);
            // 5σ from the outermost modes is still inside the box.
            assert!(a.iter().all(|p| p[0].abs() < 4.0 && p[1].abs() < 4.0));
        }
    }

    #[test]
    fn labels_match_components_and_are_balanced() {
        // Class counts are Binomial(n, 1/K): within 5 standard deviations.
        for d in Dataset::ALL {
            let n = 20_000;
            let (xs, labels) = d.sample(n, 5);
            let k = d.num_classes();
            let mix = d.mixture();
            let mut counts = vec![0usize; k];
            for (x, &l) in xs.iter().zip(&labels) {
                counts[l as usize] += 1;
                assert_eq!(mix.nearest_component([x[0] as f64, x[1] as f64]), l as usize);
            }
            let p = 1.0 / k as f64;
            let sd = (n as f64 * p * (1.0 - p)).sqrt();
            for c in counts {
                assert!((c as f64 - n as f64 * p).abs() < 5.0 * sd, "{d:?}: {c}");
            }
        }
    }
}
