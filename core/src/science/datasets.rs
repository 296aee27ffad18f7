//! The 2-D datasets, each with a stable id and class labels.
//!
//! Every dataset lives in the box `[-4, 4]²` (SCIENCE.md: σ_max and the view
//! are set for that box; only Gaussian tails reach past ±3.6). Draws are
//! deterministic in `(seed, index)` through the counter-based RNG, so the
//! trainer, the page, the tests and the metrics see the same points on every
//! machine. Every dataset has balanced classes: each point first picks its
//! class (or, for `swissroll` and `checkerboard`, a position that determines
//! it) uniformly.

use super::mixture::Mixture;
use super::rng::{hash_key, unit, unit_open0, STEP_DATASET};
use core::f64::consts::{PI, TAU};

/// Half-width of the box every dataset lives in.
pub const BOX_HALF_WIDTH: f64 = 4.0;

/// Size and seed of the fixed draw whose empirical score is `model=exact` for
/// the datasets that are not Gaussian mixtures (SCIENCE.md §5).
pub const EMPIRICAL_POINTS: usize = 1024;
pub const EMPIRICAL_SEED: u32 = 0;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dataset {
    /// Two interleaved half-circles (sklearn's moons, ×2.2), noise 0.1; 2 classes.
    Moons,
    /// A swiss roll `θ(cos θ, sin θ)`, θ ∈ [1.5π, 4.5π], scaled to radius 3.5,
    /// noise 0.08; 3 classes by arc segment (equal θ thirds).
    Swissroll,
    /// Eight Gaussians on a circle of radius 3, std 0.25; class = mode.
    Gaussians8,
    /// A 5×5 grid of Gaussians at spacing 1.5, std 0.15; class = mode.
    Grid25,
    /// Concentric circles of radius 1, 2, 3, noise 0.08; class = ring.
    Rings,
    /// Uniform on the 8 dark squares (side 1.6) of a 4×4 board over
    /// `[-3.2, 3.2]²`; 4 classes by quadrant.
    Checkerboard,
    /// Five curved arms (radial std 0.3, tangential std 0.05, rate 0.25, ×1.5);
    /// class = arm.
    Pinwheel,
    /// Two interleaved spirals (1.5 turns, radius 0.3 → 3.5), noise 0.08; class = spiral.
    Spirals,
    /// A smiley: face circle (r 3), two eyes, a mouth arc; 4 classes.
    Smiley,
    /// The five Olympic rings (radius 1), noise 0.06; class = ring.
    Olympic,
}

/// Per-point randomness: eight uniforms and two standard normal pairs, from
/// two counter-RNG hashes keyed by `(seed, index)`.
struct Draw {
    u: [f64; 4],
    g: [[f64; 2]; 2],
}

fn draw(seed: u32, i: u32) -> Draw {
    let h0 = hash_key(seed, i, STEP_DATASET, 0);
    let h1 = hash_key(seed, i, STEP_DATASET, 1);
    let normal = |a: u32, b: u32| {
        let r = (-2.0 * (unit_open0(a) as f64).ln()).sqrt();
        let th = TAU * unit(b) as f64;
        [r * th.cos(), r * th.sin()]
    };
    Draw {
        u: [unit(h0[2]) as f64, unit(h0[3]) as f64, unit(h1[2]) as f64, unit(h1[3]) as f64],
        g: [normal(h0[0], h0[1]), normal(h1[0], h1[1])],
    }
}

/// Class `k ∈ [0, n)` from a uniform.
fn pick(u: f64, n: usize) -> usize {
    ((u * n as f64) as usize).min(n - 1)
}

fn polar(r: f64, th: f64) -> [f64; 2] {
    [r * th.cos(), r * th.sin()]
}

impl Dataset {
    pub const ALL: [Dataset; 10] = [
        Dataset::Moons,
        Dataset::Swissroll,
        Dataset::Gaussians8,
        Dataset::Grid25,
        Dataset::Rings,
        Dataset::Checkerboard,
        Dataset::Pinwheel,
        Dataset::Spirals,
        Dataset::Smiley,
        Dataset::Olympic,
    ];

    pub fn id(&self) -> &'static str {
        match self {
            Dataset::Moons => "moons",
            Dataset::Swissroll => "swissroll",
            Dataset::Gaussians8 => "gaussians8",
            Dataset::Grid25 => "grid25",
            Dataset::Rings => "rings",
            Dataset::Checkerboard => "checkerboard",
            Dataset::Pinwheel => "pinwheel",
            Dataset::Spirals => "spirals",
            Dataset::Smiley => "smiley",
            Dataset::Olympic => "olympic",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.id() == id)
    }

    pub fn num_classes(&self) -> usize {
        match self {
            Dataset::Moons | Dataset::Spirals => 2,
            Dataset::Swissroll | Dataset::Rings => 3,
            Dataset::Gaussians8 => 8,
            Dataset::Grid25 => 25,
            Dataset::Checkerboard | Dataset::Smiley => 4,
            Dataset::Pinwheel | Dataset::Olympic => 5,
        }
    }

    /// The generating Gaussian mixture, for the two datasets that are one.
    pub fn gaussian_mixture(&self) -> Option<Mixture> {
        match self {
            Dataset::Gaussians8 => {
                let means: Vec<[f64; 2]> = (0..8).map(|k| polar(3.0, k as f64 * TAU / 8.0)).collect();
                Some(Mixture::equal(&means, 0.25))
            }
            Dataset::Grid25 => {
                let means: Vec<[f64; 2]> =
                    (0..25).map(|k| [1.5 * ((k % 5) as f64 - 2.0), 1.5 * ((k / 5) as f64 - 2.0)]).collect();
                Some(Mixture::equal(&means, 0.15))
            }
            _ => None,
        }
    }

    /// The distribution whose exact score `model=exact` samples: the
    /// generating mixture where there is one, else the empirical distribution
    /// of a fixed draw of [`EMPIRICAL_POINTS`] points.
    pub fn exact_mixture(&self) -> Mixture {
        self.gaussian_mixture().unwrap_or_else(|| {
            let (xs, labels) = self.sample(EMPIRICAL_POINTS, EMPIRICAL_SEED);
            Mixture::empirical(&xs, &labels)
        })
    }

    /// `n` draws with their class labels; draw `i` depends only on `(seed, i)`.
    pub fn sample(&self, n: usize, seed: u32) -> (Vec<[f32; 2]>, Vec<i32>) {
        self.sample_range(0, n, seed)
    }

    /// Draws `first .. first + n` of the stream for `seed` (the trainer's batches).
    pub fn sample_range(&self, first: usize, n: usize, seed: u32) -> (Vec<[f32; 2]>, Vec<i32>) {
        let mixture = self.gaussian_mixture();
        let mut xs = Vec::with_capacity(n);
        let mut labels = Vec::with_capacity(n);
        for i in first..first + n {
            let d = draw(seed, i as u32);
            let (p, k) = match &mixture {
                Some(mix) => {
                    let k = pick(d.u[0], mix.components.len());
                    let c = &mix.components[k];
                    ([c.mean[0] + c.std * d.g[0][0], c.mean[1] + c.std * d.g[0][1]], k)
                }
                None => self.shape_point(&d),
            };
            xs.push([p[0] as f32, p[1] as f32]);
            labels.push(k as i32);
        }
        (xs, labels)
    }

    /// A point of a non-mixture dataset and its class, before rounding to f32.
    fn shape_point(&self, d: &Draw) -> ([f64; 2], usize) {
        let noisy = |p: [f64; 2], std: f64| [p[0] + std * d.g[0][0], p[1] + std * d.g[0][1]];
        match self {
            Dataset::Moons => {
                let k = pick(d.u[0], 2);
                let th = PI * d.u[1];
                let p = if k == 0 { [th.cos(), th.sin()] } else { [1.0 - th.cos(), 0.5 - th.sin()] };
                (noisy([2.2 * (p[0] - 0.5), 2.2 * (p[1] - 0.25)], 0.1), k)
            }
            Dataset::Swissroll => {
                let s = d.u[1];
                let th = 1.5 * PI * (1.0 + 2.0 * s);
                (noisy(polar(th * 3.5 / (4.5 * PI), th), 0.08), pick(s, 3))
            }
            Dataset::Rings => {
                let k = pick(d.u[0], 3);
                (noisy(polar(1.0 + k as f64, TAU * d.u[1]), 0.08), k)
            }
            Dataset::Checkerboard => {
                let square = pick(d.u[0], 8);
                let row = square / 2;
                let col = 2 * (square % 2) + row % 2;
                let p = [-3.2 + 1.6 * (col as f64 + d.u[1]), -3.2 + 1.6 * (row as f64 + d.u[2])];
                (p, (col >= 2) as usize + 2 * (row >= 2) as usize)
            }
            Dataset::Pinwheel => {
                let k = pick(d.u[0], 5);
                let f = [1.0 + 0.3 * d.g[0][0], 0.05 * d.g[0][1]];
                let ang = k as f64 * TAU / 5.0 + 0.25 * f[0].exp();
                let (c, s) = (ang.cos(), ang.sin());
                ([1.5 * (c * f[0] - s * f[1]), 1.5 * (s * f[0] + c * f[1])], k)
            }
            Dataset::Spirals => {
                let k = pick(d.u[0], 2);
                let s = d.u[1];
                (noisy(polar(0.3 + 3.2 * s, 3.0 * PI * s + PI * k as f64), 0.08), k)
            }
            Dataset::Smiley => {
                let k = pick(d.u[0], 4);
                let p = match k {
                    0 => noisy(polar(3.0, TAU * d.u[1]), 0.06),
                    1 => noisy([-1.1, 1.0], 0.2),
                    2 => noisy([1.1, 1.0], 0.2),
                    _ => {
                        let th = (-150.0 + 120.0 * d.u[1]).to_radians();
                        let p = polar(1.7, th);
                        noisy([p[0], p[1] + 0.2], 0.06)
                    }
                };
                (p, k)
            }
            Dataset::Olympic => {
                const CENTERS: [[f64; 2]; 5] = [[-2.2, 0.5], [0.0, 0.5], [2.2, 0.5], [-1.1, -0.6], [1.1, -0.6]];
                let k = pick(d.u[0], 5);
                let p = polar(1.0, TAU * d.u[1]);
                (noisy([CENTERS[k][0] + p[0], CENTERS[k][1] + p[1]], 0.06), k)
            }
            Dataset::Gaussians8 | Dataset::Grid25 => unreachable!("mixtures are drawn from their components"),
        }
    }
}

/// Most points a user's set (`dataset=custom`) holds.
pub const CUSTOM_POINTS_MAX: usize = 10_000;
/// Most classes a user's set has (the brush's colours).
pub const CUSTOM_CLASSES_MAX: usize = 8;

/// A user's point set (`dataset=custom`): points in the box, each with a
/// class in `0..CUSTOM_CLASSES_MAX`, in the order they were drawn (the
/// trainer's draws index them, so the order is part of the data).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PointSet {
    pub points: Vec<[f32; 2]>,
    pub labels: Vec<u32>,
}

impl PointSet {
    /// Classes the set spans: one more than its largest label (at least 1).
    pub fn num_classes(&self) -> usize {
        self.labels.iter().max().map_or(1, |&m| m as usize + 1)
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// Draws `first .. first + n` for `seed`: draw `i` is point `k` with `k`
    /// uniform over the set from the counter RNG keyed by `(seed, i)`. An
    /// empty set draws nothing.
    pub fn sample_range(&self, first: usize, n: usize, seed: u32) -> (Vec<[f32; 2]>, Vec<i32>) {
        if self.points.is_empty() {
            return (Vec::new(), Vec::new());
        }
        (first..first + n)
            .map(|i| {
                let k = pick(unit(hash_key(seed, i as u32, STEP_DATASET, 2)[0]) as f64, self.points.len());
                (self.points[k], self.labels[k] as i32)
            })
            .unzip()
    }

    /// The empirical distribution whose exact score `model=exact` samples:
    /// the whole set up to [`EMPIRICAL_POINTS`] points, else that many
    /// draws of it (the same cost bound as the built-in sets).
    pub fn exact_mixture(&self) -> Mixture {
        if self.points.len() <= EMPIRICAL_POINTS {
            let labels: Vec<i32> = self.labels.iter().map(|&l| l as i32).collect();
            return Mixture::empirical(&self.points, &labels);
        }
        let (xs, labels) = self.sample_range(0, EMPIRICAL_POINTS, EMPIRICAL_SEED);
        Mixture::empirical(&xs, &labels)
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
            assert_eq!(d.sample_range(500, 100, 11).0, a[500..600].to_vec());
            // The widest tails (pinwheel's radial std 0.45) stay inside the box over 2 000 draws.
            assert!(a.iter().all(|p| p[0].abs() < 4.0 && p[1].abs() < 4.0), "{d:?}");
        }
    }

    #[test]
    fn classes_are_balanced() {
        // Class counts are Binomial(n, 1/K): within 5 standard deviations.
        for d in Dataset::ALL {
            let n = 20_000;
            let (_, labels) = d.sample(n, 5);
            let k = d.num_classes();
            let mut counts = vec![0usize; k];
            for &l in &labels {
                counts[l as usize] += 1;
            }
            let p = 1.0 / k as f64;
            let sd = (n as f64 * p * (1.0 - p)).sqrt();
            for c in counts {
                assert!((c as f64 - n as f64 * p).abs() < 5.0 * sd, "{d:?}: {c}");
            }
        }
    }

    #[test]
    fn mixture_labels_are_their_components() {
        for d in [Dataset::Gaussians8, Dataset::Grid25] {
            let mix = d.gaussian_mixture().unwrap();
            let (xs, labels) = d.sample(5000, 5);
            for (x, &l) in xs.iter().zip(&labels) {
                assert_eq!(mix.nearest_component([x[0] as f64, x[1] as f64]), l as usize);
            }
        }
    }

    #[test]
    fn shapes_have_their_geometry() {
        let r = |p: &[f32; 2]| ((p[0] * p[0] + p[1] * p[1]) as f64).sqrt();
        let (xs, ls) = Dataset::Rings.sample(5000, 1);
        // Noise 0.08: 6σ = 0.48 < half the ring gap.
        assert!(xs.iter().zip(&ls).all(|(p, &k)| (r(p) - (k as f64 + 1.0)).abs() < 0.48));
        let (xs, ls) = Dataset::Checkerboard.sample(5000, 1);
        for (p, &k) in xs.iter().zip(&ls) {
            let (col, row) = (((p[0] + 3.2) / 1.6).floor() as i32, ((p[1] + 3.2) / 1.6).floor() as i32);
            assert_eq!((col + row) % 2, 0, "{p:?} is on a light square");
            assert_eq!(k, (col >= 2) as i32 + 2 * (row >= 2) as i32);
        }
        let (xs, _) = Dataset::Spirals.sample(5000, 1);
        assert!(xs.iter().all(|p| r(p) < 3.5 + 0.48));
        let (xs, ls) = Dataset::Olympic.sample(5000, 1);
        let centers = [[-2.2, 0.5], [0.0, 0.5], [2.2, 0.5], [-1.1, -0.6], [1.1, -0.6]];
        assert!(xs.iter().zip(&ls).all(|(p, &k)| {
            let c = centers[k as usize];
            (r(&[p[0] - c[0] as f32, p[1] - c[1] as f32]) - 1.0).abs() < 0.36
        }));
    }

    #[test]
    fn exact_mixture_is_analytic_or_empirical() {
        assert_eq!(Dataset::Grid25.exact_mixture(), Dataset::Grid25.gaussian_mixture().unwrap());
        let emp = Dataset::Moons.exact_mixture();
        assert_eq!(emp.components.len(), EMPIRICAL_POINTS);
        let (xs, ls) = Dataset::Moons.sample(EMPIRICAL_POINTS, EMPIRICAL_SEED);
        assert!(emp.components.iter().zip(xs.iter().zip(&ls)).all(|(c, (x, &l))| c.std == 0.0
            && c.mean == [x[0] as f64, x[1] as f64]
            && c.label == l as usize));
    }

    #[test]
    fn a_point_set_draws_its_own_points_uniformly() {
        let set = PointSet { points: vec![[0.0, 0.0], [1.0, 1.0], [-2.0, 3.0], [3.0, -1.0]], labels: vec![0, 0, 3, 1] };
        assert_eq!(set.num_classes(), 4);
        let n = 40_000;
        let (xs, labels) = set.sample_range(0, n, 9);
        let mut counts = [0usize; 4];
        for (x, l) in xs.iter().zip(&labels) {
            let k = set.points.iter().position(|p| p == x).expect("a drawn point is one of the set's");
            assert_eq!(set.labels[k] as i32, *l);
            counts[k] += 1;
        }
        // Each count is Binomial(n, 1/4): 5 standard deviations.
        let sd = (n as f64 * 0.25 * 0.75).sqrt();
        assert!(counts.iter().all(|&c| (c as f64 - n as f64 / 4.0).abs() < 5.0 * sd), "{counts:?}");
        assert_eq!(set.sample_range(7, 3, 9).0, xs[7..10], "draw i depends only on (seed, i)");
        assert_eq!(PointSet::default().sample_range(0, 5, 1).0.len(), 0);
        assert_eq!(PointSet::default().num_classes(), 1);
        assert_eq!(set.exact_mixture().components.len(), 4);
    }
}
