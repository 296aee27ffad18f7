//! What the canvas draws over the particles and computes on the side: the
//! trails, the field and density layers, the score layers' grids and the
//! likelihood layer. One invalidation rule for every cache: an entry is
//! stored under the key it was computed for — always starting with the
//! run's generation — and read back only under the same key ([`Keyed`]),
//! so a restart (a new generation) retires all of them at once and a late
//! result for an older run is never drawn.

use crate::web::layers::{ScoreGrids, Trails};
use crate::web::render::Layers;

/// Particles whose paths the trajectories layer draws, and points kept per path.
const TRAIL_PARTICLES: usize = 64;
const TRAIL_POINTS: usize = 256;
/// Grid sizes of the field (arrows) and density layers.
pub const FIELD_GRID: usize = 21;
pub const DENSITY_GRID: usize = 96;
/// The score layers' grid (curl, angle, magnitude, divergence): a
/// forward-mode Jacobian of the MLP per cell (the 1 024 cost ~0.1–0.2 s per
/// redraw on the CPU in wasm, at every step of a run).
pub const SCORE_GRID: usize = 32;
/// Particles the likelihood layer measures (the first finite ones), and its ODE steps.
pub const LIKELIHOOD_LAYER_POINTS: usize = 1024;
pub const LIKELIHOOD_LAYER_STEPS: usize = 16;

/// A value stored with the key it was computed for.
#[derive(Debug)]
pub struct Keyed<K, V> {
    entry: Option<(K, V)>,
}

impl<K, V> Default for Keyed<K, V> {
    fn default() -> Self {
        Self { entry: None }
    }
}

impl<K: PartialEq, V> Keyed<K, V> {
    /// The value, if it was computed for `key`.
    pub fn get(&self, key: &K) -> Option<&V> {
        self.entry.as_ref().filter(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn holds(&self, key: &K) -> bool {
        self.get(key).is_some()
    }

    /// The entry whatever its key.
    pub fn entry(&self) -> Option<(&K, &V)> {
        self.entry.as_ref().map(|(k, v)| (k, v))
    }

    pub fn set(&mut self, key: K, value: V) {
        self.entry = Some((key, value));
    }
}

/// The field layer's arrows and the density layer's grid.
pub type FieldLayers = (Vec<([f32; 2], [f32; 2])>, Vec<f32>);

/// The score layers' grids, the step they were computed at (they are drawn
/// a step or two late while the GPU computes the next) and which backend
/// evaluated the network's Jacobians ("webgpu", "cpu").
pub struct ScoreEntry {
    pub step: usize,
    pub grids: ScoreGrids,
    pub backend: &'static str,
}

/// The likelihood layer's particles (web::playground::likelihood): being
/// measured, or measured (each point with its value in [0, 1] over the
/// 5th–95th percentile of log p, and the mean log p), or why not.
pub enum LikelihoodLayer {
    Computing,
    Ready { points: Vec<([f32; 2], f32)>, mean_log_p: f64 },
    Failed(String),
}

/// The overlays of the current run.
pub struct Overlays {
    pub trails: Trails,
    /// Field arrows and density, keyed by (generation, step, layers).
    pub field: Keyed<(u64, usize, Layers), FieldLayers>,
    /// The score layers, keyed by (generation, layers).
    pub score: Keyed<(u64, Layers), ScoreEntry>,
    /// The GPU is computing the next score grids.
    pub score_pending: bool,
    /// The score layers' Jacobian kernel failed once: they stay on the CPU.
    pub score_gpu_failed: bool,
    /// The likelihood layer of a finished run, keyed by its generation.
    pub likelihood: Keyed<u64, LikelihoodLayer>,
}

impl Default for Overlays {
    fn default() -> Self {
        Self {
            trails: Trails::new(TRAIL_PARTICLES, TRAIL_POINTS),
            field: Keyed::default(),
            score: Keyed::default(),
            score_pending: false,
            score_gpu_failed: false,
            likelihood: Keyed::default(),
        }
    }
}

impl Overlays {
    /// A new run starts: its trails start empty (the caches retire by their keys).
    pub fn restart(&mut self) {
        self.trails.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cache_entry_is_read_only_under_the_key_it_was_computed_for() {
        let mut o = Overlays::default();
        let layers = Layers { curl: true, ..Layers::NONE };
        o.score.set((3, layers), ScoreEntry { step: 10, grids: ScoreGrids::default(), backend: "cpu" });
        assert!(o.score.holds(&(3, layers)));
        assert!(o.score.get(&(4, layers)).is_none(), "a restart (generation 4) retires it");
        assert!(o.score.get(&(3, Layers { angle: true, ..Layers::NONE })).is_none(), "other layers ask again");
        o.field.set((3, 10, layers), (vec![([0.0, 0.0], [1.0, 0.0])], vec![]));
        assert!(o.field.get(&(3, 11, layers)).is_none(), "the field layers are per step");
        assert_eq!(o.field.get(&(3, 10, layers)).unwrap().0.len(), 1);
        o.likelihood.set(3, LikelihoodLayer::Computing);
        assert!(o.likelihood.holds(&3) && !o.likelihood.holds(&4));
        o.trails.push(&[1.0, 2.0]);
        o.restart();
        assert!(o.trails.paths.iter().all(Vec::is_empty), "trails start empty with the run");
    }
}
