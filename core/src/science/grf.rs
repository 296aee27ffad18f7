//! Gaussian random fields (SCIENCE.md §5, seed 004): the GRF lab's maths.
//!
//! A field is an `n × n` periodic image `x` whose covariance is diagonal in
//! Fourier space with the power spectrum `P(k) ∝ |k|^−α` (normalised here so
//! `P(k) = |k|^−α` for `|k| ≥ 1` and `P(0) = 1`). Conventions, stated once:
//! the DFT is unnormalised, `X_k = Σ_p x_p e^{−2πi k·p/n}`, the inverse
//! carries `1/n²`, and `E|X_k|²/n² = P(k)`. The score is then
//! `s(x) = −IDFT(DFT(x)/P)`, and at noise level σ (the field plus white noise
//! of variance σ²) `s_σ(x) = −IDFT(DFT(x)/(P + σ²))`.
//!
//! Langevin `x ← x + ε s_σ(x) + √(2ε) z` acts on each Fourier mode alone:
//! with `r = ε/(P + σ²)`, `v = E|X_k|²/n²` evolves as
//! `v ← (1 − r)² v + 2ε`, so every run's expected spectrum is known exactly
//! ([`Schedule::expected_power`]); its fixed point `(P + σ²)/(1 − r/2)`
//! is the target inflated by the step. Plain Langevin (σ = 0) must keep
//! `ε < 2 P_min`, so the large scales (`P ≈ 1`) crawl; annealed Langevin
//! (σ² falling geometrically, `ε` a fixed fraction of each level's
//! stability limit) settles each scale as σ² passes its power.

use std::f64::consts::TAU;

/// Field sizes the lab offers (powers of two; the kernel holds one line of
/// at most [`N_MAX`] complex values in workgroup memory).
pub const N_MAX: usize = 128;

/// `P(k)` at the signed frequency `(kx, ky)`: `|k|^−α`, and 1 at k = 0.
pub fn power(kx: i64, ky: i64, alpha: f64) -> f64 {
    let k2 = (kx * kx + ky * ky) as f64;
    if k2 == 0.0 {
        1.0
    } else {
        k2.powf(-0.5 * alpha)
    }
}

/// The signed frequency of DFT index `i` on a line of `n`.
pub fn signed(i: usize, n: usize) -> i64 {
    if i <= n / 2 {
        i as i64
    } else {
        i as i64 - n as i64
    }
}

/// `P` at every DFT index `(ky, kx)`, row-major (`ky·n + kx`), in f32 as the kernel reads it.
pub fn power_table(n: usize, alpha: f64) -> Vec<f32> {
    (0..n * n).map(|i| power(signed(i % n, n), signed(i / n, n), alpha) as f32).collect()
}

/// The smallest `P` on an `n × n` grid (at the corner frequency `(n/2, n/2)`).
pub fn power_min(n: usize, alpha: f64) -> f64 {
    power(n as i64 / 2, n as i64 / 2, alpha)
}

/// A radix-2 FFT of one line of `n` complex values, in f32: Stockham's
/// autosort form (Govindaraju et al. 2008), which the WGSL kernel
/// (`shaders/grf.wgsl`) runs with the same twiddles in the same order.
#[derive(Clone, Debug)]
pub struct Fft {
    pub n: usize,
    /// `e^{−2πik/n}`, `k < n/2`, rounded to f32 from f64.
    pub twiddles: Vec<[f32; 2]>,
}

#[inline]
pub fn cmul(a: [f32; 2], b: [f32; 2]) -> [f32; 2] {
    [a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]]
}

impl Fft {
    /// `n` a power of two, at least 2.
    pub fn new(n: usize) -> Self {
        assert!(n.is_power_of_two() && n >= 2, "FFT length {n} is not a power of two ≥ 2");
        let twiddles = (0..n / 2).map(|k| {
            let a = -TAU * k as f64 / n as f64;
            [a.cos() as f32, a.sin() as f32]
        }).collect();
        Self { n, twiddles }
    }

    /// The unnormalised DFT of `data` in place (`inverse`: with `e^{+2πi…}`,
    /// still without the `1/n`); `scratch` is a line of the same length.
    pub fn line(&self, data: &mut [[f32; 2]], scratch: &mut [[f32; 2]], inverse: bool) {
        let (n, half) = (self.n, self.n / 2);
        let mut in_data = true;
        let mut ns = 1;
        while ns < n {
            let (src, dst): (&[[f32; 2]], &mut [[f32; 2]]) = if in_data { (&*data, &mut *scratch) } else { (&*scratch, &mut *data) };
            for j in 0..half {
                let v0 = src[j];
                let mut w = self.twiddles[(j % ns) * (half / ns)];
                if inverse {
                    w[1] = -w[1];
                }
                let v1 = cmul(src[j + half], w);
                let idx = (j / ns) * ns * 2 + j % ns;
                dst[idx] = [v0[0] + v1[0], v0[1] + v1[1]];
                dst[idx + ns] = [v0[0] - v1[0], v0[1] - v1[1]];
            }
            in_data = !in_data;
            ns *= 2;
        }
        if !in_data {
            data.copy_from_slice(scratch);
        }
    }

    /// The unnormalised 2-D DFT of a real `n × n` field (row-major).
    pub fn forward_2d(&self, field: &[f32]) -> Vec<[f32; 2]> {
        let n = self.n;
        let mut spec: Vec<[f32; 2]> = field.iter().map(|&v| [v, 0.0]).collect();
        let mut scratch = vec![[0.0f32; 2]; n];
        for row in spec.chunks_exact_mut(n) {
            self.line(row, &mut scratch, false);
        }
        let mut col = vec![[0.0f32; 2]; n];
        for c in 0..n {
            for r in 0..n {
                col[r] = spec[r * n + c];
            }
            self.line(&mut col, &mut scratch, false);
            for r in 0..n {
                spec[r * n + c] = col[r];
            }
        }
        spec
    }
}

/// How the lab samples: plain Langevin at one step size, or annealed
/// Langevin over `levels` noise levels. `fraction` is the step as a
/// fraction of the stability limit `2(P_min + σ²)` of its level.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Sampler {
    Langevin { fraction: f64 },
    Annealed { levels: usize, fraction: f64 },
}

/// One Langevin step's level: the noise variance σ² the score is taken at, and ε.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Level {
    pub sigma2: f64,
    pub eps: f64,
}

/// Every step of a run, and the white noise the fields start from.
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    pub steps: Vec<Level>,
    /// The starting fields' variance per pixel (so per mode): `P_max = 1`.
    pub v0: f64,
}

impl Schedule {
    /// `steps` steps of `sampler` on an `n × n` grid with exponent α. The
    /// annealed levels run from σ² = 1 (= P_max) down to σ² = P_min/100,
    /// geometrically, with the steps shared evenly among them.
    pub fn new(sampler: Sampler, steps: usize, n: usize, alpha: f64) -> Self {
        let p_min = power_min(n, alpha);
        let steps = match sampler {
            Sampler::Langevin { fraction } => vec![Level { sigma2: 0.0, eps: fraction * 2.0 * p_min }; steps],
            Sampler::Annealed { levels, fraction } => {
                let levels = levels.clamp(1, steps.max(1));
                let (hi, lo) = (1.0f64, 0.01 * p_min);
                (0..steps).map(|s| {
                    let l = s * levels / steps.max(1);
                    let sigma2 = if levels == 1 { lo } else { hi * (lo / hi).powf(l as f64 / (levels - 1) as f64) };
                    Level { sigma2, eps: fraction * 2.0 * (p_min + sigma2) }
                }).collect()
            }
        };
        Self { steps, v0: 1.0 }
    }

    /// The first `done` steps as runs of equal levels (each level, how many steps).
    pub fn runs(&self, done: usize) -> Vec<(Level, usize)> {
        let mut runs: Vec<(Level, usize)> = Vec::new();
        for l in &self.steps[..done.min(self.steps.len())] {
            match runs.last_mut() {
                Some((level, count)) if level == l => *count += 1,
                _ => runs.push((*l, 1)),
            }
        }
        runs
    }

    /// `E|X_k|²/n²` of a mode of power `p` after the first `done` steps
    /// (exact for the linear chain; runs of equal levels in closed form).
    pub fn expected_power(&self, p: f64, done: usize) -> f64 {
        self.expected_power_after(p, &self.runs(done))
    }

    /// The same after the given runs ([`Schedule::runs`], computed once for many modes).
    pub fn expected_power_after(&self, p: f64, runs: &[(Level, usize)]) -> f64 {
        let mut v = self.v0;
        for (level, run) in runs {
            let rho = 1.0 - level.eps / (p + level.sigma2);
            let v_inf = 2.0 * level.eps / (1.0 - rho * rho);
            v = v_inf + (v - v_inf) * rho.powi(2 * *run as i32);
        }
        v
    }
}

/// The isotropic power spectrum's shells: the DFT modes with `round|k| = b`
/// for `b = 1 … n/2 − 1`, one of each conjugate pair (`X_{−k} = X̄_k` for a
/// real field), without the self-conjugate Nyquist modes.
#[derive(Clone, Debug)]
pub struct Shells {
    pub n: usize,
    /// Per shell: its DFT indices `ky·n + kx` and their `|k|`.
    pub modes: Vec<Vec<(usize, f64)>>,
}

impl Shells {
    pub fn new(n: usize) -> Self {
        let h = n as i64 / 2;
        let mut modes = vec![Vec::new(); n / 2 - 1];
        for ky in 0..n {
            for kx in 0..n {
                let (sx, sy) = (signed(kx, n), signed(ky, n));
                let upper = sy > 0 || (sy == 0 && sx > 0);
                if !upper || sx.abs() == h || sy.abs() == h {
                    continue;
                }
                let k = ((sx * sx + sy * sy) as f64).sqrt();
                let b = k.round() as usize;
                if (1..n / 2).contains(&b) {
                    modes[b - 1].push((ky * n + kx, k));
                }
            }
        }
        Self { n, modes }
    }
}

/// A measured spectrum beside what it should be, per shell.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Spectrum {
    /// The shells' mean |k|.
    pub k: Vec<f64>,
    /// Mean `|X_k|²/n²` over the shell's modes and the fields.
    pub power: Vec<f64>,
    /// Its standard error (the sample's spread / √count).
    pub stderr: Vec<f64>,
    /// Mean `P(k)` over the same modes.
    pub target_power: Vec<f64>,
    /// Mean expected power of the run so far ([`Schedule::expected_power`]).
    pub expected_power: Vec<f64>,
    /// The expected power's standard error for this many fields (each mode's
    /// `|X|²/n²` is exponential with mean v: variance v²).
    pub expected_stderr: Vec<f64>,
}

impl Spectrum {
    /// Measures `fields` (`m` fields of `n²`, row-major) after `done` steps of `schedule`.
    pub fn measure(fields: &[f32], shells: &Shells, fft: &Fft, alpha: f64, schedule: &Schedule, done: usize) -> Self {
        let n = shells.n;
        let m = fields.len() / (n * n);
        let specs: Vec<Vec<[f32; 2]>> = fields.chunks_exact(n * n).map(|f| fft.forward_2d(f)).collect();
        let nn = (n * n) as f64;
        let runs = schedule.runs(done);
        let mut out = Spectrum::default();
        for shell in &shells.modes {
            let count = (shell.len() * m) as f64;
            let (mut sum, mut sum2, mut target, mut expected, mut var) = (0.0, 0.0, 0.0, 0.0, 0.0);
            let mut k_mean = 0.0;
            for &(i, k) in shell {
                let (sx, sy) = (signed(i % n, n), signed(i / n, n));
                let p = power(sx, sy, alpha);
                let v = schedule.expected_power_after(p, &runs);
                k_mean += k / shell.len() as f64;
                target += p / shell.len() as f64;
                expected += v / shell.len() as f64;
                var += v * v * m as f64;
                for s in &specs {
                    let x = s[i];
                    let e = (x[0] as f64).powi(2) / nn + (x[1] as f64).powi(2) / nn;
                    sum += e;
                    sum2 += e * e;
                }
            }
            let mean = sum / count.max(1.0);
            let sd = ((sum2 / count.max(1.0) - mean * mean).max(0.0) * count / (count - 1.0).max(1.0)).sqrt();
            out.k.push(k_mean);
            out.power.push(mean);
            out.stderr.push(sd / count.max(1.0).sqrt());
            out.target_power.push(target);
            out.expected_power.push(expected);
            out.expected_stderr.push(var.sqrt() / count.max(1.0));
        }
        out
    }

    /// `Σ_b z_b²` and `max |z_b|` of the measured power against `reference`
    /// (per shell), in units of the expected standard error.
    pub fn chi_square(&self, reference: &[f64]) -> (f64, f64) {
        let z = self.power.iter().zip(reference).zip(&self.expected_stderr).map(|((p, r), se)| (p - r) / se);
        z.fold((0.0, 0.0), |(c, m), z| (c + z * z, f64::max(m, z.abs())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::science::rng::gaussian2;

    fn direct_dft(x: &[[f64; 2]], inverse: bool) -> Vec<[f64; 2]> {
        let n = x.len();
        let sign = if inverse { 1.0 } else { -1.0 };
        (0..n).map(|k| {
            x.iter().enumerate().fold([0.0, 0.0], |acc, (p, v)| {
                let a = sign * TAU * ((k * p) % n) as f64 / n as f64;
                [acc[0] + v[0] * a.cos() - v[1] * a.sin(), acc[1] + v[0] * a.sin() + v[1] * a.cos()]
            })
        }).collect()
    }

    /// The f32 FFT against a direct DFT in f64 on Gaussian lines: relative
    /// error (to the largest output) below 1e-5 at n up to 128 (f32 rounding
    /// grows with log n; measured at most 1.1e-7, at n = 64), both directions.
    #[test]
    fn fft_matches_a_direct_dft() {
        for n in [2, 4, 8, 64, 128] {
            let fft = Fft::new(n);
            let x: Vec<[f32; 2]> = (0..n as u32).map(|i| gaussian2(5, i, n as u32, 0)).collect();
            for inverse in [false, true] {
                let mut got = x.clone();
                fft.line(&mut got, &mut vec![[0.0; 2]; n], inverse);
                let want = direct_dft(&x.iter().map(|v| [v[0] as f64, v[1] as f64]).collect::<Vec<_>>(), inverse);
                let scale = want.iter().map(|v| v[0].hypot(v[1])).fold(0.0, f64::max);
                let err = got.iter().zip(&want).map(|(g, w)| (g[0] as f64 - w[0]).hypot(g[1] as f64 - w[1])).fold(0.0, f64::max) / scale;
                assert!(err < 1e-5, "n = {n}, inverse = {inverse}: {err}");
            }
        }
    }

    /// The inverse undoes the forward (up to n), and a pure tone lands in its bin.
    #[test]
    fn fft_round_trip_and_a_tone() {
        let n = 64;
        let fft = Fft::new(n);
        let tone: Vec<[f32; 2]> = (0..n).map(|p| [(TAU * 5.0 * p as f64 / n as f64).cos() as f32, 0.0]).collect();
        let mut x = tone.clone();
        let mut scratch = vec![[0.0; 2]; n];
        fft.line(&mut x, &mut scratch, false);
        for (k, v) in x.iter().enumerate() {
            let want = if k == 5 || k == n - 5 { n as f32 / 2.0 } else { 0.0 };
            assert!((v[0] - want).abs() < 1e-4 && v[1].abs() < 1e-4, "bin {k}: {v:?}");
        }
        fft.line(&mut x, &mut scratch, true);
        for (a, b) in x.iter().zip(&tone) {
            assert!((a[0] / n as f32 - b[0]).abs() < 1e-6 && (a[1] / n as f32).abs() < 1e-6);
        }
    }

    #[test]
    fn shells_hold_each_conjugate_pair_once() {
        let n = 16;
        let shells = Shells::new(n);
        let all: Vec<usize> = shells.modes.iter().flatten().map(|m| m.0).collect();
        for &i in &all {
            let (kx, ky) = (i % n, i / n);
            let conj = ((n - ky) % n) * n + (n - kx) % n;
            assert!(!all.contains(&conj), "{i} and its conjugate {conj}");
        }
        assert_eq!(shells.modes[0].iter().map(|m| m.0).collect::<Vec<_>>(), vec![1, n, n + 1, 2 * n - 1], "|k| = 1 and √2 (rounds to 1)");
    }

    /// The closed form of the expected power: a long plain run settles at
    /// the inflated fixed point `P/(1 − ε/(2P))`; the lab's default annealing
    /// (20 levels, 1 000 steps, 5 % of each level's stability limit) ends
    /// within 10 % of P for every mode of a 64² grid at α = 2.5 (the closed
    /// form gives 8.7 % at worst: the step's own inflation `1/(1 − r/2)` at
    /// the smallest scales, plus what the last levels leave of σ²).
    #[test]
    fn the_expected_power_settles_where_the_analysis_says() {
        let p = 0.01;
        let eps = 0.004;
        let plain = Schedule { steps: vec![Level { sigma2: 0.0, eps }; 20_000], v0: 1.0 };
        assert!((plain.expected_power(p, 20_000) - p / (1.0 - eps / (2.0 * p))).abs() < 1e-12);
        // One step by hand.
        let r = eps / p;
        assert!((plain.expected_power(p, 1) - ((1.0 - r) * (1.0 - r) + 2.0 * eps)).abs() < 1e-15);
        let (n, alpha) = (64, 2.5);
        let annealed = Schedule::new(Sampler::Annealed { levels: 20, fraction: 0.05 }, 1000, n, alpha);
        for ky in 0..n {
            for kx in 0..n {
                let p = power(signed(kx, n), signed(ky, n), alpha);
                let v = annealed.expected_power(p, 1000);
                assert!((v / p - 1.0).abs() < 0.1, "({kx}, {ky}): {v} against {p}");
            }
        }
        // Plain Langevin with as many steps leaves the large scales far from P.
        let plain = Schedule::new(Sampler::Langevin { fraction: 0.05 }, 1000, n, alpha);
        let p = power(2, 1, alpha);
        assert!((plain.expected_power(p, 1000) / p - 1.0).abs() > 0.5, "{}", plain.expected_power(p, 1000) / p);
    }
}
