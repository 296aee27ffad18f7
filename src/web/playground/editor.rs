//! The data editor (`dataset=custom`): a brush that sprays points of the
//! chosen class, an eraser, undo, clear, a built-in set as the start, CSV.
//! The points themselves live in the config (`Config::points`, in the
//! link); the editor keeps the brush and the undo history. Sprays are
//! deterministic: dab `k` of the session draws its points from the counter
//! RNG keyed by `k`, so a replayed sequence of dabs gives the same set.

use std::rc::Rc;

use serde::Serialize;

use crate::science::datasets::{Dataset, PointSet, CUSTOM_CLASSES_MAX};
use crate::science::rng::{gaussian2, hash_key, unit};
use crate::web::playground::data::{self, Added};

/// Brush radius range (data units), and points a dab sprays at most.
pub const RADIUS_RANGE: [f32; 2] = [0.05, 1.5];
pub const DENSITY_MAX: u32 = 50;
/// Undo steps kept.
const UNDO_MAX: usize = 50;
/// Points a built-in set lends the editor as a start (and its draw's seed).
pub const PRESET_POINTS: usize = 1000;
const PRESET_SEED: u32 = 0x5e7;
const SPRAY_SEED: u32 = 0xb205;

/// The brush: spray or erase, the class it paints, its radius, and the points a dab sprays.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Brush {
    pub erase: bool,
    pub class: u32,
    pub radius: f32,
    pub density: u32,
}

impl Default for Brush {
    fn default() -> Self {
        Self { erase: false, class: 0, radius: 0.3, density: 8 }
    }
}

#[derive(Default)]
pub struct Editor {
    pub brush: Brush,
    /// Sets before each change, newest last.
    undo: Vec<Rc<PointSet>>,
    dabs: u32,
}

impl Editor {
    /// Sets a brush key (`erase` 0/1, `class` 0–7, `radius`, `density`); `Err` says why not.
    pub fn set_brush(&mut self, key: &str, value: f64) -> Result<(), String> {
        let b = &mut self.brush;
        match key {
            "erase" => b.erase = value != 0.0,
            "class" if value.fract() == 0.0 && (0.0..CUSTOM_CLASSES_MAX as f64).contains(&value) => b.class = value as u32,
            "class" => return Err(format!("class {value} is not one of the brush's 0–{}", CUSTOM_CLASSES_MAX - 1)),
            "radius" if (RADIUS_RANGE[0] as f64..=RADIUS_RANGE[1] as f64).contains(&value) => b.radius = value as f32,
            "radius" => return Err(format!("radius {value} is outside {}–{}", RADIUS_RANGE[0], RADIUS_RANGE[1])),
            "density" if value.fract() == 0.0 && (1.0..=DENSITY_MAX as f64).contains(&value) => b.density = value as u32,
            "density" => return Err(format!("density {value} is not a whole number of points 1–{DENSITY_MAX}")),
            _ => return Err(format!("unknown brush key {key} (erase, class, radius, density)")),
        }
        Ok(())
    }

    /// Sets several brush keys: all or none.
    pub fn set_brush_keys(&mut self, keys: &[(String, f64)]) -> Result<(), String> {
        let before = self.brush.clone();
        for (k, v) in keys {
            if let Err(e) = self.set_brush(k, *v) {
                self.brush = before;
                return Err(e);
            }
        }
        Ok(())
    }

    /// Remembers `before` for undo (the caller then replaces the set).
    pub fn remember(&mut self, before: &Rc<PointSet>) {
        self.undo.push(before.clone());
        if self.undo.len() > UNDO_MAX {
            self.undo.remove(0);
        }
    }

    /// One dab of the brush at `at` (data coordinates) on `set`: sprayed
    /// points (Gaussian around `at` with the brush's radius as 2σ, those
    /// outside the box counted and left out) or the points under the eraser.
    /// The caller remembers the set for undo once per stroke.
    pub fn dab(&mut self, set: &PointSet, at: [f32; 2]) -> (PointSet, Added) {
        let b = self.brush.clone();
        if b.erase {
            return (data::erase(set, at, b.radius), Added::default());
        }
        self.dabs += 1;
        let pts: Vec<[f32; 2]> = (0..b.density)
            .map(|i| {
                let g = gaussian2(SPRAY_SEED, i, self.dabs, 0);
                // Truncated at the radius: a dab never lands far from the pointer.
                let r = 0.5 * b.radius;
                let (dx, dy) = (g[0] * r, g[1] * r);
                let scale = if (dx * dx + dy * dy).sqrt() > b.radius { b.radius * unit(hash_key(SPRAY_SEED, i, self.dabs, 1)[0]) / (dx * dx + dy * dy).sqrt() } else { 1.0 };
                [at[0] + dx * scale, at[1] + dy * scale]
            })
            .collect();
        data::add_points(set, &pts, &vec![b.class; pts.len()])
    }

    /// The set before the last change, if any.
    pub fn undo(&mut self) -> Option<Rc<PointSet>> {
        self.undo.pop()
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }
}

/// A built-in set's points as a start for editing (its first 8 classes; the
/// classes past them join class 7).
pub fn preset(d: Dataset) -> PointSet {
    let (xs, labels) = d.sample(PRESET_POINTS, PRESET_SEED);
    let labels: Vec<u32> = labels.iter().map(|&l| (l as u32).min(CUSTOM_CLASSES_MAX as u32 - 1)).collect();
    data::canonical(&xs, &labels).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dabs_spray_near_the_pointer_and_undo_restores() {
        let mut e = Editor::default();
        e.set_brush("class", 3.0).unwrap();
        e.set_brush("density", 20.0).unwrap();
        let empty = Rc::new(PointSet::default());
        e.remember(&empty);
        let (one, added) = e.dab(&empty, [1.0, 1.0]);
        assert_eq!(added.kept, 20);
        assert!(one.points.iter().all(|p| (p[0] - 1.0).hypot(p[1] - 1.0) <= 0.3 + 0.01));
        assert!(one.labels.iter().all(|&l| l == 3));
        let (two, _) = e.dab(&one, [1.0, 1.0]);
        assert_eq!(two.points.len(), 40, "each dab sprays its own points");
        // At the edge of the box some land outside: counted, not moved.
        let (edge, added) = e.dab(&PointSet::default(), [3.95, 0.0]);
        assert!(added.outside > 0 && edge.points.len() == added.kept && edge.points.iter().all(|p| p[0] <= 4.0));
        e.set_brush("erase", 1.0).unwrap();
        let (erased, _) = e.dab(&two, [1.0, 1.0]);
        assert!(erased.is_empty());
        assert_eq!(e.undo().unwrap(), empty);
        assert!(e.undo().is_none());
        for (k, v, why) in [("class", 8.0, "0–7"), ("radius", 9.0, "outside"), ("density", 0.5, "whole"), ("size", 1.0, "unknown")] {
            assert!(e.set_brush(k, v).unwrap_err().contains(why), "{k}");
        }
    }

    #[test]
    fn presets_are_canonical_sets_of_their_dataset() {
        let p = preset(Dataset::Grid25);
        assert_eq!(p.points.len(), PRESET_POINTS);
        assert_eq!(p.num_classes(), CUSTOM_CLASSES_MAX);
        assert_eq!(data::canonical(&p.points, &p.labels).0, p);
        assert_eq!(preset(Dataset::Moons).num_classes(), 2);
    }
}
