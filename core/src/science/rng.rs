//! Counter-based Gaussian noise, keyed by `(seed, particle, step, draw)`.
//!
//! There is no generator state: every draw is a pure function of its key, so
//! the CPU backend, the WGSL kernel (`shaders/rng.wgsl`, a line-for-line
//! twin of this file) and any machine produce the same noise for the same
//! seed — which is what makes a shared link reproduce the same picture.
//!
//! The hash is `pcg4d` (Jarzynski & Olano, "Hash Functions for GPU Rendering",
//! JCGT 2020): a 4×u32 → 4×u32 bijection built from one LCG step and two
//! rounds of cross-lane multiply-adds. One key yields four 32-bit words; the
//! first two become one 2-D standard normal by Box–Muller.

/// Which stream a draw belongs to. `step` is a plan step index for sampler
/// noise; the sentinels below keep the initial noise and dataset draws from
/// ever colliding with a sampler step.
pub const STEP_INITIAL_NOISE: u32 = 0xFFFF_FFFF;
/// Step key for dataset draws (`data(n, seed)` and the faint data layer).
pub const STEP_DATASET: u32 = 0xFFFF_FFFE;

/// The pcg4d hash. Wrapping u32 arithmetic, exactly as WGSL's `u32` ops.
#[inline]
pub fn pcg4d(mut v: [u32; 4]) -> [u32; 4] {
    for x in v.iter_mut() {
        *x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
    }
    v[0] = v[0].wrapping_add(v[1].wrapping_mul(v[3]));
    v[1] = v[1].wrapping_add(v[2].wrapping_mul(v[0]));
    v[2] = v[2].wrapping_add(v[0].wrapping_mul(v[1]));
    v[3] = v[3].wrapping_add(v[1].wrapping_mul(v[2]));
    for x in v.iter_mut() {
        *x ^= *x >> 16;
    }
    v[0] = v[0].wrapping_add(v[1].wrapping_mul(v[3]));
    v[1] = v[1].wrapping_add(v[2].wrapping_mul(v[0]));
    v[2] = v[2].wrapping_add(v[0].wrapping_mul(v[1]));
    v[3] = v[3].wrapping_add(v[1].wrapping_mul(v[2]));
    v
}

/// The four hashed words for a key. Lane order matches the WGSL twin.
#[inline]
pub fn hash_key(seed: u32, particle: u32, step: u32, draw: u32) -> [u32; 4] {
    pcg4d([particle, step, draw, seed])
}

/// A uniform in (0, 1]: the top 24 bits, shifted by one ulp so `ln` is finite.
#[inline]
pub fn unit_open0(word: u32) -> f32 {
    ((word >> 8) + 1) as f32 * (1.0 / 16_777_216.0)
}

/// A uniform in [0, 1).
#[inline]
pub fn unit(word: u32) -> f32 {
    (word >> 8) as f32 * (1.0 / 16_777_216.0)
}

/// One 2-D standard normal `z ~ N(0, I₂)` for the key, by Box–Muller.
#[inline]
pub fn gaussian2(seed: u32, particle: u32, step: u32, draw: u32) -> [f32; 2] {
    let h = hash_key(seed, particle, step, draw);
    let r = (-2.0 * unit_open0(h[0]).ln()).sqrt();
    // The angle spans [-π, π): WGSL guarantees sin/cos accuracy only there.
    let theta = core::f32::consts::TAU * unit(h[1]) - core::f32::consts::PI;
    [r * theta.cos(), r * theta.sin()]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Literal values, pinned: a refactor that changes the stream (and so
    /// the picture of every shared link) fails here. The words were computed
    /// outside this code, in Python from the published definition
    /// (Jarzynski & Olano 2020, listing of `pcg4d`: `v = v * 1664525u +
    /// 1013904223u; v.x += v.y*v.w; …; v ^= v >> 16u; …`), and the Gaussians
    /// by Box–Muller in f64 from those words with this file's lane use
    /// (`u0 = ((w0 >> 8) + 1)/2^24`, `θ = 2π·(w1 >> 8)/2^24 − π`); f32
    /// arithmetic here is within 1e-5 of them.
    #[test]
    fn pcg4d_and_gaussians_match_published_values() {
        assert_eq!(pcg4d([0, 0, 0, 0]), [0x0F02_F829, 0x2D56_8769, 0x32B0_C43B, 0xD325_48EA]);
        assert_eq!(pcg4d([1, 2, 3, 4]), [0x3622_CD16, 0xF114_71D8, 0xE110_9B3F, 0x02B9_4C2F]);
        assert_eq!(pcg4d([7, 0xFFFF_FFFF, 0, 42]), [0xFC55_B742, 0x8D25_FA60, 0xDCBD_D27F, 0xC698_A975]);
        let cases: [((u32, u32, u32, u32), [f32; 2]); 4] = [
            ((7, 0, STEP_INITIAL_NOISE, 0), [-0.559665, -0.510301]),
            ((7, 1, STEP_INITIAL_NOISE, 0), [-1.033638, 1.410086]),
            ((42, 1000, 3, 0), [0.959092, 2.223852]),
            ((0x5EED_1234, 123_456, 17, 1), [-1.176783, 0.628033]),
        ];
        for ((seed, particle, step, draw), want) in cases {
            let z = gaussian2(seed, particle, step, draw);
            assert!((z[0] - want[0]).abs() < 1e-5 && (z[1] - want[1]).abs() < 1e-5, "key {:?}: {z:?} vs {want:?}", (seed, particle, step, draw));
        }
    }

    /// An independent formulation with u64 arithmetic and explicit masking.
    fn reference_pcg4d(v: [u32; 4]) -> [u32; 4] {
        const M: u64 = 0xFFFF_FFFF;
        let mut w: [u64; 4] = v.map(|x| (x as u64 * 1_664_525 + 1_013_904_223) & M);
        let round = |w: &mut [u64; 4]| {
            w[0] = (w[0] + w[1] * w[3]) & M;
            w[1] = (w[1] + w[2] * w[0]) & M;
            w[2] = (w[2] + w[0] * w[1]) & M;
            w[3] = (w[3] + w[1] * w[2]) & M;
        };
        round(&mut w);
        for x in w.iter_mut() {
            *x ^= *x >> 16;
        }
        round(&mut w);
        w.map(|x| x as u32)
    }

    #[test]
    fn pcg4d_matches_u64_reference() {
        for i in 0..10_000u32 {
            let k = [i, i.wrapping_mul(7919), 3, 0xDEAD_BEEF ^ i];
            assert_eq!(pcg4d(k), reference_pcg4d(k));
        }
    }

    #[test]
    fn gaussian_moments() {
        // 200 000 draws → 400 000 scalar normals. Standard errors:
        // mean 1/sqrt(n) = 0.0016, variance sqrt(2/n) = 0.0022, E[z^4]=3 has
        // sd sqrt(96/n) = 0.0155. Tolerances are 5 standard errors.
        let n = 200_000u32;
        let (mut s1, mut s2, mut s4, mut cross) = (0f64, 0f64, 0f64, 0f64);
        for p in 0..n {
            let z = gaussian2(7, p, p % 17, 0);
            for &c in &z {
                let c = c as f64;
                s1 += c;
                s2 += c * c;
                s4 += c * c * c * c;
            }
            cross += z[0] as f64 * z[1] as f64;
        }
        let m = 2.0 * n as f64;
        let se = 1.0 / m.sqrt();
        assert!((s1 / m).abs() < 5.0 * se, "mean {}", s1 / m);
        assert!((s2 / m - 1.0).abs() < 5.0 * (2.0 / m).sqrt(), "var {}", s2 / m);
        assert!((s4 / m - 3.0).abs() < 5.0 * (96.0 / m).sqrt(), "kurtosis {}", s4 / m);
        let c = cross / n as f64;
        assert!(c.abs() < 5.0 / (n as f64).sqrt(), "cross-correlation {c}");
    }

    #[test]
    fn keys_give_independent_streams() {
        // Neighbouring keys in every lane must not give correlated normals.
        let n = 50_000u32;
        for (dk, name) in [([0, 1, 0, 0], "particle"), ([0, 0, 1, 0], "step"), ([0, 0, 0, 1], "draw"), ([1, 0, 0, 0], "seed")] {
            let mut corr = 0f64;
            for i in 0..n {
                let a = gaussian2(3, i, 5, 0);
                let b = gaussian2(3 + dk[0], i + dk[1], 5 + dk[2], dk[3]);
                corr += a[0] as f64 * b[0] as f64;
            }
            let c = corr / n as f64;
            assert!(c.abs() < 5.0 / (n as f64).sqrt(), "{name}: correlation {c}");
        }
    }
}
