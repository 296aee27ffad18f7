//! Draws particles over the faint data layer into an RGBA image.
//!
//! Pure Rust (tested natively): each frame counts particles per pixel and
//! maps the count to intensity `1 − exp(−gain · count)`, so 4 096 particles
//! read as dots and a million as a density. The page puts the image on its
//! canvas with one `putImageData` call; both backends draw through here, so
//! they look the same.

use crate::science::datasets::BOX_HALF_WIDTH;

const BACKGROUND: [u8; 3] = [14, 18, 28];
const DATA: [u8; 3] = [120, 140, 170];
const PARTICLE: [u8; 3] = [255, 176, 64];

pub struct Raster {
    pub width: usize,
    pub height: usize,
    /// Half-width of the square view, in data units.
    half_width: f32,
    base: Vec<u8>,
    counts: Vec<u32>,
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
            counts: vec![0; width * height],
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
        for px in self.base.chunks_exact_mut(4) {
            px[..3].copy_from_slice(&BACKGROUND);
        }
        for p in data {
            if let Some(i) = self.pixel(p[0], p[1]) {
                let px = &mut self.base[4 * i..4 * i + 3];
                for c in 0..3 {
                    px[c] = ((px[c] as u16 + DATA[c] as u16) / 2) as u8;
                }
            }
        }
    }

    /// Composes particles (interleaved x, y) over the background into `rgba`.
    pub fn draw(&mut self, particles: &[f32]) -> &[u8] {
        self.counts.iter_mut().for_each(|c| *c = 0);
        let n = particles.len() / 2;
        // Few particles: 2×2 dots so each one is visible.
        let dot = if n <= 20_000 { 2 } else { 1 };
        for p in particles.chunks_exact(2) {
            if let Some(i) = self.pixel(p[0], p[1]) {
                let (row, col) = (i / self.width, i % self.width);
                for dy in 0..dot {
                    for dx in 0..dot {
                        if row + dy < self.height && col + dx < self.width {
                            self.counts[i + dy * self.width + dx] += 1;
                        }
                    }
                }
            }
        }
        // Gain so that one particle is clearly visible and the density saturates
        // only where many particles overlap.
        let gain = 0.7f32;
        for (i, &c) in self.counts.iter().enumerate() {
            let px = &mut self.rgba[4 * i..4 * i + 4];
            let b = &self.base[4 * i..4 * i + 4];
            if c == 0 {
                px.copy_from_slice(b);
            } else {
                let a = 1.0 - (-gain * c as f32).exp();
                for k in 0..3 {
                    px[k] = (b[k] as f32 * (1.0 - a) + PARTICLE[k] as f32 * a) as u8;
                }
                px[3] = 255;
            }
        }
        &self.rgba
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
}
