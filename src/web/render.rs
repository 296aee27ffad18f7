//! Draws the canvas's layers into RGBA images (pure Rust, tested natively).
//!
//! Particles are counted per pixel and the count maps to intensity
//! `1 − exp(−gain · count)`, so 4 096 particles read as dots and a million as
//! a density. A CPU run draws everything here and puts the image on the
//! canvas with one `putImageData`. A WebGPU run draws its particles straight
//! from GPU memory (web::gpu_render) between two images made here: the
//! background (data, density) and the strokes (trajectories, arrows), with
//! the same colours and the same intensity curve.

use crate::science::datasets::BOX_HALF_WIDTH;

pub const BACKGROUND: [u8; 3] = [14, 18, 28];
const DATA: [u8; 3] = [120, 140, 170];
/// Colour of particles without a class (one-class datasets).
pub const PARTICLE: [u8; 3] = [255, 176, 64];

pub struct Raster {
    pub width: usize,
    pub height: usize,
    /// Half-width of the square view, in data units.
    half_width: f32,
    base: Vec<u8>,
    /// The strokes layer of the GPU view (premultiplied RGBA).
    over: Vec<u8>,
    counts: Vec<u32>,
    /// Per pixel: 0 no class, else 1 + the largest class among its particles
    /// (an order-free rule, so the GPU's atomics give the same).
    class_of: Vec<u8>,
    pub rgba: Vec<u8>,
}

impl Raster {
    pub fn new(width: usize, height: usize) -> Self {
        let mut base = vec![255u8; width * height * 4];
        for px in base.chunks_exact_mut(4) {
            px[..3].copy_from_slice(&BACKGROUND);
        }
        Self {
            width,
            height,
            half_width: BOX_HALF_WIDTH as f32 + 0.5,
            rgba: base.clone(),
            base,
            over: Vec::new(),
            counts: vec![0; width * height],
            class_of: vec![0; width * height],
        }
    }

    fn pixel(&self, x: f32, y: f32) -> Option<usize> {
        let u = (x + self.half_width) / (2.0 * self.half_width) * self.width as f32;
        let v = (self.half_width - y) / (2.0 * self.half_width) * self.height as f32;
        // NaN fails both comparisons and is skipped.
        if u >= 0.0 && v >= 0.0 && u < self.width as f32 && v < self.height as f32 {
            Some(v as usize * self.width + u as usize)
        } else {
            None
        }
    }

    /// Draws the data points faintly into the background all frames share.
    pub fn set_data_layer(&mut self, data: &[[f32; 2]]) {
        self.set_data_layer_classes(data, None);
    }

    /// The data layer with each point in its class's colour (the user's own
    /// points in the editor), or all in the data colour.
    pub fn set_data_layer_classes(&mut self, data: &[[f32; 2]], labels: Option<&[u32]>) {
        for px in self.base.chunks_exact_mut(4) {
            px[..3].copy_from_slice(&BACKGROUND);
        }
        for (k, p) in data.iter().enumerate() {
            if let Some(i) = self.pixel(p[0], p[1]) {
                let colour = labels.map_or(DATA, |l| PALETTE[l[k] as usize % PALETTE.len()]);
                let px = &mut self.base[4 * i..4 * i + 3];
                for c in 0..3 {
                    px[c] = ((px[c] as u16 + colour[c] as u16) / 2) as u8;
                }
            }
        }
    }

    /// The data point under canvas pixel `(u, v)` (the editor's pointer).
    pub fn data_point(&self, u: f32, v: f32) -> [f32; 2] {
        let h = self.half_width;
        [-h + u / self.width as f32 * 2.0 * h, h - v / self.height as f32 * 2.0 * h]
    }

    /// Composes particles (interleaved x, y) over the data layer into `rgba`.
    pub fn draw(&mut self, particles: &[f32]) -> &[u8] {
        self.draw_layers(particles, Layers::DEFAULT, &Overlay::default())
    }
}
/// Which layers the page draws (`layers` link key), each toggleable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Layers {
    pub data: bool,
    pub particles: bool,
    pub trajectories: bool,
    pub field: bool,
    pub density: bool,
    pub curl: bool,
    /// The score's errors against the exact score (web::layers::score_grids).
    pub angle: bool,
    pub magnitude: bool,
    pub divergence: bool,
    /// Particles coloured by their log-likelihood (PF-ODE) once a run ends.
    pub likelihood: bool,
}

/// What the layers beyond the particles show this frame.
#[derive(Default)]
pub struct Overlay<'a> {
    /// Class of each particle (colours), or none (one colour).
    pub labels: Option<&'a [u8]>,
    /// Paths of a subset of particles, oldest point first.
    pub trails: &'a [Vec<[f32; 2]>],
    /// Arrows `(base, tip)` in data units.
    pub arrows: &'a [([f32; 2], [f32; 2])],
    /// What tints the background.
    pub tints: Tints<'a>,
    /// Points coloured by a value in [0, 1] (the likelihood layer).
    pub valued: &'a [([f32; 2], f32)],
    /// Polylines in data units with their colours, drawn whatever the layers (the labs' figures).
    pub curves: &'a [(Vec<[f32; 2]>, [u8; 3])],
}

/// The background's tints, each a `g × g` grid over the view (row 0 at the
/// top): the density and the angle error (values in [0, 1]), the curl, the
/// magnitude and divergence errors (signed, in [−1, 1]).
#[derive(Clone, Copy, Default)]
pub struct Tints<'a> {
    pub density: Option<(&'a [f32], usize)>,
    pub curl: Option<(&'a [f32], usize)>,
    pub angle: Option<(&'a [f32], usize)>,
    pub magnitude: Option<(&'a [f32], usize)>,
    pub divergence: Option<(&'a [f32], usize)>,
}

impl Tints<'_> {
    pub fn any(&self) -> bool {
        self.density.is_some() || self.curl.is_some() || self.angle.is_some() || self.magnitude.is_some() || self.divergence.is_some()
    }
}

/// Class colours (cycled for more classes), readable on both themes' canvas.
pub const PALETTE: [[u8; 3]; 8] = [
    [255, 176, 64],
    [90, 200, 250],
    [250, 110, 140],
    [130, 220, 120],
    [200, 150, 255],
    [255, 230, 100],
    [80, 220, 200],
    [240, 140, 80],
];
const TRAIL: [u8; 3] = [170, 190, 230];
const ARROW: [u8; 3] = [235, 240, 250];
const HEAT: [u8; 3] = [60, 110, 200];
/// The curl layer's colours, counter-clockwise (positive) and clockwise:
/// magenta and green, apart from the classes' first colours (orange, blue).
const CURL_POSITIVE: [u8; 3] = [220, 60, 200];
const CURL_NEGATIVE: [u8; 3] = [40, 190, 90];
/// The angle error's colour (red), the magnitude's (too strong: red-orange,
/// too weak: indigo) and the divergence error's (above the exact: amber,
/// below: azure).
const ANGLE: [u8; 3] = [235, 60, 50];
const MAGNITUDE_OVER: [u8; 3] = [240, 90, 40];
const MAGNITUDE_UNDER: [u8; 3] = [80, 90, 235];
const DIVERGENCE_OVER: [u8; 3] = [250, 170, 0];
const DIVERGENCE_UNDER: [u8; 3] = [0, 150, 250];

/// A perceptual ramp for values in [0, 1] (viridis' ends and middle):
/// dark purple, teal, yellow.
pub fn ramp(v: f32) -> [u8; 3] {
    const STOPS: [[f32; 3]; 3] = [[68.0, 1.0, 84.0], [33.0, 145.0, 140.0], [253.0, 231.0, 37.0]];
    let v = if v.is_finite() { v.clamp(0.0, 1.0) } else { 0.0 };
    let (i, f) = if v < 0.5 { (0, 2.0 * v) } else { (1, 2.0 * v - 1.0) };
    let mut out = [0u8; 3];
    for k in 0..3 {
        out[k] = (STOPS[i][k] + f * (STOPS[i + 1][k] - STOPS[i][k])).round() as u8;
    }
    out
}

impl Raster {
    /// Maps a data point to (column, row) in pixels (may be outside the image).
    fn to_px(&self, p: [f32; 2]) -> (f32, f32) {
        to_px(self.width, self.height, self.half_width, p)
    }

    /// Half-width of the square view, in data units.
    pub fn half_width(&self) -> f32 {
        self.half_width
    }

    /// The data point at the centre of grid cell (i, j) of a `g × g` grid over the view.
    pub fn grid_point(&self, g: usize, i: usize, j: usize) -> [f32; 2] {
        let cell = 2.0 * self.half_width / g as f32;
        [-self.half_width + (j as f32 + 0.5) * cell, self.half_width - (i as f32 + 0.5) * cell]
    }

    /// Fills `rgba` with what lies under the particles: the background, the
    /// data (when that layer is on) and the density and curl tints.
    pub fn compose_background(&mut self, layers: Layers, tints: Tints) -> &[u8] {
        let cell = |grid: &[f32], g: usize, i: usize| grid[((i / self.width) * g / self.height) * g + (i % self.width) * g / self.width];
        // Rounded, so a tint of float-error strength (an energy model's curl) leaves the background as it is.
        let tint = |bg: &mut [u8; 3], colour: [u8; 3], a: f32| {
            for k in 0..3 {
                bg[k] = (bg[k] as f32 * (1.0 - a) + colour[k] as f32 * a).round() as u8;
            }
        };
        for i in 0..self.width * self.height {
            let mut bg = if layers.data { [self.base[4 * i], self.base[4 * i + 1], self.base[4 * i + 2]] } else { BACKGROUND };
            if let Some((grid, g)) = tints.density {
                tint(&mut bg, HEAT, 0.85 * cell(grid, g, i).clamp(0.0, 1.0));
            }
            let signed = |bg: &mut [u8; 3], (grid, g): (&[f32], usize), (over, under): ([u8; 3], [u8; 3])| {
                let v = cell(grid, g, i).clamp(-1.0, 1.0);
                tint(bg, if v > 0.0 { over } else { under }, 0.6 * v.abs());
            };
            if let Some(t) = tints.curl {
                signed(&mut bg, t, (CURL_POSITIVE, CURL_NEGATIVE));
            }
            if let Some((grid, g)) = tints.angle {
                tint(&mut bg, ANGLE, 0.7 * cell(grid, g, i).clamp(0.0, 1.0));
            }
            if let Some(t) = tints.magnitude {
                signed(&mut bg, t, (MAGNITUDE_OVER, MAGNITUDE_UNDER));
            }
            if let Some(t) = tints.divergence {
                signed(&mut bg, t, (DIVERGENCE_OVER, DIVERGENCE_UNDER));
            }
            self.rgba[4 * i..4 * i + 3].copy_from_slice(&bg);
            self.rgba[4 * i + 3] = 255;
        }
        &self.rgba
    }

    /// The strokes above the particles (trajectories, field arrows) on a
    /// transparent image, premultiplied alpha; `None` when there are none.
    /// The GPU view blends it over its particles (premultiplied "over"), which
    /// gives what `draw_layers` draws in place.
    pub fn compose_overlay(&mut self, layers: Layers, overlay: &Overlay) -> Option<&[u8]> {
        let any = (layers.trajectories && overlay.trails.iter().any(|t| t.len() > 1))
            || (layers.field && !overlay.arrows.is_empty())
            || (layers.likelihood && !overlay.valued.is_empty())
            || !overlay.curves.is_empty();
        if !any {
            return None;
        }
        let mut over = std::mem::take(&mut self.over);
        over.clear();
        over.resize(self.width * self.height * 4, 0);
        self.strokes(&mut over, layers, overlay);
        self.over = over;
        Some(&self.over)
    }

    /// Composes the chosen layers: density under everything, then the data
    /// (part of the background), particles (by class when labelled),
    /// trajectories and the field's arrows on top.
    pub fn draw_layers(&mut self, particles: &[f32], layers: Layers, overlay: &Overlay) -> &[u8] {
        self.compose_background(layers, overlay.tints);
        if layers.particles {
            self.counts.iter_mut().for_each(|c| *c = 0);
            self.class_of.iter_mut().for_each(|c| *c = 0);
            let dot = dot_size(particles.len() / 2);
            for (j, p) in particles.chunks_exact(2).enumerate() {
                if let Some(i) = self.pixel(p[0], p[1]) {
                    let (row, col) = (i / self.width, i % self.width);
                    for dy in 0..dot {
                        for dx in 0..dot {
                            if row + dy < self.height && col + dx < self.width {
                                let k = i + dy * self.width + dx;
                                self.counts[k] += 1;
                                if let Some(l) = overlay.labels {
                                    self.class_of[k] = self.class_of[k].max(l[j].saturating_add(1));
                                }
                            }
                        }
                    }
                }
            }
            for i in 0..self.width * self.height {
                let c = self.counts[i];
                if c == 0 {
                    continue;
                }
                let colour = match self.class_of[i] {
                    0 => PARTICLE,
                    mark => PALETTE[(mark - 1) as usize % PALETTE.len()],
                };
                let a = coverage(c);
                let px = &mut self.rgba[4 * i..4 * i + 3];
                for k in 0..3 {
                    px[k] = (px[k] as f32 * (1.0 - a) + colour[k] as f32 * a) as u8;
                }
            }
        }
        let mut rgba = std::mem::take(&mut self.rgba);
        self.strokes(&mut rgba, layers, overlay);
        self.rgba = rgba;
        &self.rgba
    }

    /// Draws the trajectories, arrows and valued points (when their layers are on) into `buf`.
    fn strokes(&self, buf: &mut [u8], layers: Layers, overlay: &Overlay) {
        for (curve, rgb) in overlay.curves {
            for w in curve.windows(2) {
                self.line(buf, w[0], w[1], *rgb, 0.95);
            }
        }
        if layers.likelihood {
            for &(p, v) in overlay.valued {
                let (col, row) = self.to_px(p);
                let rgb = ramp(v);
                for (dc, dr) in [(0, 0), (1, 0), (0, 1), (1, 1), (-1, 0), (0, -1)] {
                    self.blend(buf, col as isize + dc, row as isize + dr, rgb, 1.0);
                }
            }
        }
        if layers.trajectories {
            for trail in overlay.trails {
                for w in trail.windows(2) {
                    self.line(buf, w[0], w[1], TRAIL, 0.55);
                }
            }
        }
        if layers.field {
            for &(base, tip) in overlay.arrows {
                self.line(buf, base, tip, ARROW, 0.9);
                // Arrow head: two short strokes back from the tip.
                let (dx, dy) = (tip[0] - base[0], tip[1] - base[1]);
                let len = (dx * dx + dy * dy).sqrt();
                if len > 1e-6 {
                    let (ux, uy) = (dx / len, dy / len);
                    let h = 0.35 * len;
                    for (sx, sy) in [(-uy, ux), (uy, -ux)] {
                        let back = [tip[0] - h * (ux - 0.5 * sx), tip[1] - h * (uy - 0.5 * sy)];
                        self.line(buf, tip, back, ARROW, 0.9);
                    }
                }
            }
        }
    }

    /// Blends `rgb` at opacity `a` over pixel (col, row) of `buf`: colour
    /// `c ← c(1−a) + rgb·a` and alpha `A ← A + (255−A)a`, which is "over" for
    /// an opaque image and for a premultiplied transparent one alike.
    fn blend(&self, buf: &mut [u8], col: isize, row: isize, rgb: [u8; 3], a: f32) {
        if col < 0 || row < 0 || col as usize >= self.width || row as usize >= self.height {
            return;
        }
        let i = 4 * (row as usize * self.width + col as usize);
        for k in 0..3 {
            buf[i + k] = (buf[i + k] as f32 * (1.0 - a) + rgb[k] as f32 * a) as u8;
        }
        buf[i + 3] = (buf[i + 3] as f32 + (255 - buf[i + 3]) as f32 * a) as u8;
    }

    /// A line from `a` to `b` (data units), one pixel wide.
    fn line(&self, buf: &mut [u8], a: [f32; 2], b: [f32; 2], rgb: [u8; 3], alpha: f32) {
        let ((x0, y0), (x1, y1)) = (self.to_px(a), self.to_px(b));
        if !(x0.is_finite() && y0.is_finite() && x1.is_finite() && y1.is_finite()) {
            return;
        }
        let steps = (x1 - x0).abs().max((y1 - y0).abs()).ceil().clamp(1.0, 4096.0) as usize;
        for s in 0..=steps {
            let f = s as f32 / steps as f32;
            self.blend(buf, (x0 + f * (x1 - x0)) as isize, (y0 + f * (y1 - y0)) as isize, rgb, alpha);
        }
    }
}

/// (column, row) in pixels of data point `p` in a `width × height` view of half-width `half_width`.
fn to_px(width: usize, height: usize, half_width: f32, p: [f32; 2]) -> (f32, f32) {
    (
        (p[0] + half_width) / (2.0 * half_width) * width as f32,
        (half_width - p[1]) / (2.0 * half_width) * height as f32,
    )
}

/// Side of a particle's dot in pixels: 2 while few enough to read as dots.
pub fn dot_size(n: usize) -> usize {
    if n <= 20_000 {
        2
    } else {
        1
    }
}

/// Gain of the particle intensity `1 − exp(−GAIN · count)`.
pub const GAIN: f32 = 0.7;

/// Opacity of a pixel that `count` particles cover.
pub fn coverage(count: u32) -> f32 {
    1.0 - (-GAIN * count as f32).exp()
}

impl Layers {
    /// The data and the particles; trajectories, field, density and curl off.
    /// Nothing drawn.
    pub const NONE: Layers =
        Layers { data: false, particles: false, trajectories: false, field: false, density: false, curl: false, angle: false, magnitude: false, divergence: false, likelihood: false };
    pub const DEFAULT: Layers =
        Layers { data: true, particles: true, trajectories: false, field: false, density: false, curl: false, angle: false, magnitude: false, divergence: false, likelihood: false };

    /// Each layer: its id in links (`layers=`, in this order), its label and what it shows.
    pub const TABLE: [(&'static str, &'static str, &'static str); 10] = [
        ("data", "data", "The dataset, drawn faintly behind"),
        ("particles", "particles", "The particles, coloured by the class region they are in"),
        ("trajectories", "trajectories", "The paths of 64 particles"),
        ("field", "score field", "The score s = −ε̂/σ at the current noise level, as arrows"),
        ("density", "density", "Exact log-density at the current level (model=exact), else a histogram of the particles"),
        ("curl", "curl", "The curl of the model's score at the current level (magenta counter-clockwise, green clockwise), relative to its own size: a true score has none, so the exact model shows nothing"),
        ("angle", "angle error", "Where the model's score points away from the exact score: the angle between them, full red at 90° or more (the exact score of the mixtures, or the empirical score of 1 024 draws)"),
        ("magnitude", "magnitude error", "Whether the model's score is too strong (red-orange) or too weak (indigo) against the exact score: log₂ of their length ratio, full colour at twice or half"),
        ("divergence", "divergence error", "The model's divergence ∇·s minus the exact Δ log p (amber above, azure below), relative to the exact one's size"),
        ("likelihood", "log-likelihood", "When a run ends: 1 024 particles coloured by their log-likelihood under the model, through the probability-flow ODE (16 steps): yellow likeliest, dark purple least (5th to 95th percentile)"),
    ];

    fn slot(&mut self, id: &str) -> Option<&mut bool> {
        Some(match id {
            "data" => &mut self.data,
            "particles" => &mut self.particles,
            "trajectories" => &mut self.trajectories,
            "field" => &mut self.field,
            "density" => &mut self.density,
            "curl" => &mut self.curl,
            "angle" => &mut self.angle,
            "magnitude" => &mut self.magnitude,
            "divergence" => &mut self.divergence,
            "likelihood" => &mut self.likelihood,
            _ => return None,
        })
    }

    /// Whether layer `id` is drawn.
    pub fn has(&self, id: &str) -> bool {
        let mut copy = *self;
        copy.slot(id).is_some_and(|on| *on)
    }

    pub fn ids() -> impl Iterator<Item = &'static str> {
        Self::TABLE.iter().map(|(id, ..)| *id)
    }

    /// A comma-separated list of layer ids, in any order (empty: none), or the first unknown one.
    pub fn parse(list: &str) -> Result<Layers, String> {
        let mut out = Layers::NONE;
        for id in list.split(',').map(str::trim).filter(|v| !v.is_empty()) {
            *out.slot(id).ok_or_else(|| format!("unknown layer {id} (allowed: {})", Self::ids().collect::<Vec<_>>().join(", ")))? = true;
        }
        Ok(out)
    }

    /// The drawn layers' ids, comma-separated, in [`Layers::TABLE`]'s order.
    pub fn to_list(&self) -> String {
        Self::ids().filter(|id| self.has(id)).collect::<Vec<_>>().join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn particles_light_their_pixels_and_nan_is_skipped() {
        let mut r = Raster::new(90, 90);
        let before = r.draw(&[]).to_vec();
        let after = r.draw(&[0.0, 0.0, f32::NAN, 1.0, 100.0, 0.0]).to_vec();
        let changed = before.chunks(4).zip(after.chunks(4)).filter(|(a, b)| a != b).count();
        assert_eq!(changed, 4, "one 2×2 dot for the single in-view particle");
        // The centre of the view is the centre of the image.
        assert_ne!(&after[4 * (45 * 90 + 45)..4 * (45 * 90 + 45) + 3], &BACKGROUND);
    }

    #[test]
    fn data_layer_is_faint_and_kept_between_frames() {
        let mut r = Raster::new(90, 90);
        r.set_data_layer(&[[2.0, 2.0]]);
        let img = r.draw(&[]).to_vec();
        let lit: Vec<_> = img.chunks(4).filter(|p| p[..3] != BACKGROUND).collect();
        assert_eq!(lit.len(), 1);
        assert!(lit[0][0] < PARTICLE[0]);
    }

    #[test]
    fn layers_draw_classes_trails_arrows_and_density() {
        let mut r = Raster::new(90, 90);
        let all = Layers { data: true, particles: true, trajectories: true, field: true, density: true, curl: true, angle: true, magnitude: true, divergence: true, likelihood: true };
        // A class-1 particle takes its palette colour.
        let img = r.draw_layers(&[0.0, 0.0], all, &Overlay { labels: Some(&[1]), ..Default::default() }).to_vec();
        let centre = &img[4 * (45 * 90 + 45)..4 * (45 * 90 + 45) + 3];
        assert!(centre[2] > centre[0], "class 1 is drawn blue-ish: {centre:?}");
        // Particles off: nothing but the background.
        let off = Layers { particles: false, ..all };
        assert!(r.draw_layers(&[0.0, 0.0], off, &Overlay::default()).chunks(4).all(|p| p[..3] == BACKGROUND));
        // A trail and an arrow light pixels along their lines; a full density tints everything.
        let trail = vec![vec![[-3.0f32, 0.0], [3.0, 0.0]]];
        let lit = |img: &[u8]| img.chunks(4).filter(|p| p[..3] != BACKGROUND).count();
        assert!(lit(r.draw_layers(&[], all, &Overlay { trails: &trail, ..Default::default() })) > 60);
        assert_eq!(lit(r.draw_layers(&[], Layers { trajectories: false, ..all }, &Overlay { trails: &trail, ..Default::default() })), 0);
        assert!(lit(r.draw_layers(&[], all, &Overlay { arrows: &[([0.0, 0.0], [0.0, 2.0])], ..Default::default() })) > 20);
        let grid = [1.0f32; 16];
        assert_eq!(lit(r.draw_layers(&[], all, &Overlay { tints: Tints { density: Some((&grid, 4)), ..Default::default() }, ..Default::default() })), 90 * 90);
        // The curl: its sign picks the colour, zero leaves the background.
        let curl = [1.0f32, -1.0, 0.0, 0.0];
        let img = r.draw_layers(&[], all, &Overlay { tints: Tints { curl: Some((&curl, 2)), ..Default::default() }, ..Default::default() }).to_vec();
        let px = |row: usize, col: usize| img[4 * (row * 90 + col)..4 * (row * 90 + col) + 3].to_vec();
        assert!(px(10, 10)[0] > px(10, 10)[1] + 40, "positive curl is magenta: {:?}", px(10, 10));
        assert!(px(10, 80)[1] > px(10, 80)[0] + 40, "negative curl is green: {:?}", px(10, 80));
        assert_eq!(px(80, 10), BACKGROUND.to_vec());
        // Valued points take the ramp's colour: low is dark purple, high is yellow; only with their layer on.
        let valued = [([-2.0f32, 0.0], 0.0f32), ([2.0, 0.0], 1.0)];
        let img = r.draw_layers(&[], all, &Overlay { valued: &valued, ..Default::default() }).to_vec();
        let at = |p: [f32; 2]| {
            let (c, rw) = r.to_px(p);
            img[4 * (rw as usize * 90 + c as usize)..][..3].to_vec()
        };
        assert_eq!((at([-2.0, 0.0]), at([2.0, 0.0])), (ramp(0.0).to_vec(), ramp(1.0).to_vec()));
        assert_eq!((ramp(0.0), ramp(0.5), ramp(1.0)), ([68, 1, 84], [33, 145, 140], [253, 231, 37]));
        assert_eq!(lit(r.draw_layers(&[], Layers { likelihood: false, ..all }, &Overlay { valued: &valued, ..Default::default() })), 0);
        // Grid cell centres: cell (0, 0) is the top-left.
        let p = r.grid_point(4, 0, 0);
        assert!(p[0] < 0.0 && p[1] > 0.0);
    }
}
