//! The Langevin lab's chains on both backends (science::langevin has the
//! maths): `x ← x + G s(x) + L z` on a fixed target, many chains at once.
//! The CPU twin and the WGSL kernel (`shaders/langevin.wgsl`) run the same
//! f32 operations on the same noise, so they agree to float rounding.

use wgpu::util::DeviceExt;

use crate::engine::gpu::{grid, map_and_read, GpuContext, GpuError, LOOP_BUDGET};
use crate::science::langevin::{Mat2, Sym2};
use crate::science::rng::gaussian2;

/// The kernel: the RNG, then the chains.
pub const LANGEVIN_WGSL: &str = concat!(include_str!(concat!(env!("OUT_DIR"), "/shaders/rng.wgsl")), "\n", include_str!(concat!(env!("OUT_DIR"), "/shaders/langevin.wgsl")));

/// The RNG stream of the chains' starting points (never a step's).
const INIT_STEP: u32 = 0xFFFF_FFF1;

/// What a chain samples.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Target {
    /// `N(0, Σ)`: `s(x) = −Σ⁻¹x`.
    Gaussian { sigma: Sym2 },
    /// Two isotropic components of variance `var` at `means`, equal weights.
    Mixture { means: [[f64; 2]; 2], var: f64 },
}

impl Target {
    /// The target's covariance (the mixture's: `s² I` plus the spread of its means).
    pub fn covariance(&self) -> Sym2 {
        match *self {
            Target::Gaussian { sigma } => sigma,
            Target::Mixture { means, var } => {
                let d = [0.5 * (means[0][0] - means[1][0]), 0.5 * (means[0][1] - means[1][1])];
                Sym2 { xx: var + d[0] * d[0], xy: d[0] * d[1], yy: var + d[1] * d[1] }
            }
        }
    }

    /// The score in f32, the kernel's operations.
    pub fn score(&self, x: [f32; 2]) -> [f32; 2] {
        match *self {
            Target::Gaussian { sigma } => {
                let p = sigma.inverse();
                let (pxx, pxy, pyy) = (p.xx as f32, p.xy as f32, p.yy as f32);
                [-(pxx * x[0] + pxy * x[1]), -(pxy * x[0] + pyy * x[1])]
            }
            Target::Mixture { means, var } => {
                let s2 = var as f32;
                let d1 = [means[0][0] as f32 - x[0], means[0][1] as f32 - x[1]];
                let d2 = [means[1][0] as f32 - x[0], means[1][1] as f32 - x[1]];
                let l1 = -(d1[0] * d1[0] + d1[1] * d1[1]) / (2.0 * s2);
                let l2 = -(d2[0] * d2[0] + d2[1] * d2[1]) / (2.0 * s2);
                let m = l1.max(l2);
                let (w1, w2) = ((l1 - m).exp(), (l2 - m).exp());
                let z = (w1 + w2) * s2;
                [(w1 * d1[0] + w2 * d2[0]) / z, (w1 * d1[1] + w2 * d2[1]) / z]
            }
        }
    }
}

/// One lab run: the target, the update's matrices, the chains.
#[derive(Clone, Debug)]
pub struct LangevinChain {
    pub target: Target,
    pub gain: Mat2,
    pub noise: Mat2,
    pub seed: u32,
    pub step: u32,
    /// The chains' current points.
    pub x: Vec<[f32; 2]>,
}

fn f32x4(m: Mat2) -> [f32; 4] {
    [m[0][0] as f32, m[0][1] as f32, m[1][0] as f32, m[1][1] as f32]
}

impl LangevinChain {
    /// `n` chains started at N(0, I) draws.
    pub fn new(target: Target, gain: Mat2, noise: Mat2, seed: u32, n: usize) -> Self {
        let x = (0..n as u32).map(|i| gaussian2(seed, i, INIT_STEP, 0)).collect();
        Self { target, gain, noise, seed, step: 0, x }
    }

    /// `count` steps of every chain on the CPU.
    pub fn run_steps(&mut self, count: u32) {
        let (g, l) = (f32x4(self.gain), f32x4(self.noise));
        for (i, x) in self.x.iter_mut().enumerate() {
            for s in self.step..self.step + count {
                let sc = self.target.score(*x);
                let z = gaussian2(self.seed, i as u32, s, 0);
                *x = [
                    x[0] + (g[0] * sc[0] + g[1] * sc[1]) + (l[0] * z[0] + l[1] * z[1]),
                    x[1] + (g[2] * sc[0] + g[3] * sc[1]) + (l[2] * z[0] + l[3] * z[1]),
                ];
            }
        }
        self.step += count;
    }

    /// The kernel's uniform for steps `[begin, end)`.
    pub fn params(&self, begin: u32, end: u32) -> LangevinParams {
        let (target_kind, sigma_inv, means, var) = match self.target {
            Target::Gaussian { sigma } => {
                let p = sigma.inverse();
                (0, [p.xx as f32, p.xy as f32, p.yy as f32, 0.0], [0.0; 4], [1.0, 0.0, 0.0, 0.0])
            }
            Target::Mixture { means, var } => (1, [0.0; 4], [means[0][0] as f32, means[0][1] as f32, means[1][0] as f32, means[1][1] as f32], [var as f32, 0.0, 0.0, 0.0]),
        };
        LangevinParams {
            n: self.x.len() as u32,
            seed: self.seed,
            step_begin: begin,
            step_end: end,
            target_kind,
            pad: [0; 3],
            sigma_inv,
            gain: f32x4(self.gain),
            noise: f32x4(self.noise),
            means,
            variance: var,
        }
    }

    /// `count` steps of every chain on the GPU; resolves to the chains' new
    /// points (also kept in `self.x` by the caller: the future owns copies).
    pub fn run_steps_gpu(&self, ctx: &GpuContext, count: u32) -> impl std::future::Future<Output = Result<Vec<[f32; 2]>, GpuError>> + 'static {
        let d = &ctx.device;
        let n = self.x.len().max(1);
        let pipeline = ctx.cached_pipeline(LANGEVIN_WGSL, "langevin_steps");
        let mut init = self.x.clone();
        init.resize(n, [0.0; 2]);
        let chains = d.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("langevin chains"),
            contents: bytemuck::cast_slice(&init),
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
        });
        let layout = pipeline.get_bind_group_layout(0);
        let mut enc = d.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("langevin") });
        // Dispatches inside lavapipe's loop budget (engine::gpu::LOOP_BUDGET).
        let per_dispatch = (LOOP_BUDGET / 16) as u32;
        let mut begin = self.step;
        while begin < self.step + count {
            let end = (self.step + count).min(begin + per_dispatch);
            let params = d.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("langevin params"),
                contents: bytemuck::bytes_of(&self.params(begin, end)),
                usage: wgpu::BufferUsages::UNIFORM,
            });
            let bind_group = d.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("langevin bind group"),
                layout: &layout,
                entries: &[
                    wgpu::BindGroupEntry { binding: 0, resource: params.as_entire_binding() },
                    wgpu::BindGroupEntry { binding: 1, resource: chains.as_entire_binding() },
                ],
            });
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("langevin pass"), timestamp_writes: None });
            pass.set_pipeline(&pipeline);
            pass.set_bind_group(0, &bind_group, &[]);
            let (gx, gy) = grid((self.x.len() as u32).div_ceil(64));
            pass.dispatch_workgroups(gx, gy, 1);
            drop(pass);
            begin = end;
        }
        let bytes = (n * 8) as u64;
        let staging = d.create_buffer(&wgpu::BufferDescriptor { label: Some("langevin readback"), size: bytes, usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST, mapped_at_creation: false });
        enc.copy_buffer_to_buffer(&chains, 0, &staging, 0, bytes);
        ctx.queue.submit(Some(enc.finish()));
        let read = map_and_read(ctx, staging);
        let count = self.x.len();
        async move {
            let v: Vec<[f32; 2]> = bytemuck::pod_collect_to_vec(&read.await?);
            Ok(v.into_iter().take(count).collect())
        }
    }

    /// The empirical covariance of the chains' finite points, and how many are not finite.
    pub fn covariance(&self) -> (Sym2, usize) {
        let finite: Vec<[f64; 2]> = self.x.iter().filter(|p| p[0].is_finite() && p[1].is_finite()).map(|p| [p[0] as f64, p[1] as f64]).collect();
        let n = finite.len().max(2) as f64;
        let mean = finite.iter().fold([0.0; 2], |a, p| [a[0] + p[0] / n, a[1] + p[1] / n]);
        let mut c = Sym2 { xx: 0.0, xy: 0.0, yy: 0.0 };
        for p in &finite {
            let d = [p[0] - mean[0], p[1] - mean[1]];
            c.xx += d[0] * d[0] / (n - 1.0);
            c.xy += d[0] * d[1] / (n - 1.0);
            c.yy += d[1] * d[1] / (n - 1.0);
        }
        (c, self.x.len() - finite.len())
    }
}

/// The kernel's uniform (shaders/langevin.wgsl, `LangevinParams`).
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
pub struct LangevinParams {
    pub n: u32,
    pub seed: u32,
    pub step_begin: u32,
    pub step_end: u32,
    pub target_kind: u32,
    pub pad: [u32; 3],
    pub sigma_inv: [f32; 4],
    pub gain: [f32; 4],
    pub noise: [f32; 4],
    pub means: [f32; 4],
    pub variance: [f32; 4],
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::gpu::layout::assert_wgsl_layout;
    use crate::science::langevin::{first_order_covariance, stationary_covariance, Preconditioner, Update};

    #[test]
    fn params_match_the_wgsl_layout() {
        assert_wgsl_layout!(LANGEVIN_WGSL, "LangevinParams" => LangevinParams { n, seed, step_begin, step_end, target_kind, sigma_inv, gain, noise, means, variance });
    }

    /// 20 000 chains after 400 steps against the exact stationary covariance
    /// of the linear chain (science::langevin): each entry within 4 standard
    /// errors of a sample covariance of that size (var(ŝ_ij) = (s_ii s_jj + s_ij²)/N,
    /// the Gaussian null), for the right noise with M = Σ; the wrong noise
    /// (the negative control) lands on MΣ instead, far outside those errors.
    #[test]
    fn the_chains_reach_the_stationary_covariance() {
        let sigma = Sym2::from_eigen(2.0, 0.05, 0.6);
        let m = Preconditioner::Covariance.metric(&sigma);
        let n = 20_000;
        for wrong in [false, true] {
            let up = Update::new(&m, 0.1, 1.0, wrong);
            let want = stationary_covariance(up.transition(&sigma), &up.noise_cov).unwrap();
            let mut chain = LangevinChain::new(Target::Gaussian { sigma }, up.gain, up.noise, 7, n);
            chain.run_steps(400);
            let (got, bad) = chain.covariance();
            assert_eq!(bad, 0);
            let se = |a: f64, b: f64, c: f64| ((a * b + c * c) / n as f64).sqrt();
            assert!((got.xx - want.xx).abs() < 4.0 * se(want.xx, want.xx, want.xx), "{wrong}: {got:?} vs {want:?}");
            assert!((got.yy - want.yy).abs() < 4.0 * se(want.yy, want.yy, want.yy), "{wrong}: {got:?} vs {want:?}");
            assert!((got.xy - want.xy).abs() < 4.0 * se(want.xx, want.yy, want.xy), "{wrong}: {got:?} vs {want:?}");
            let far = (got.xx - sigma.xx).abs() > 10.0 * se(sigma.xx, sigma.xx, sigma.xx);
            assert_eq!(far, wrong, "only the wrong noise misses Σ: {got:?}");
            if wrong {
                assert!(got.relative_error(&first_order_covariance(&sigma, &m, 1.0, true)) < 0.1);
            }
        }
    }

    #[test]
    fn the_mixture_score_points_at_the_nearer_mode() {
        let t = Target::Mixture { means: [[1.5, 0.0], [-1.5, 0.0]], var: 0.1 };
        let s = t.score([1.0, 0.2]);
        assert!(s[0] > 0.0 && s[1] < 0.0, "{s:?}");
        let c = t.covariance();
        assert!((c.xx - (0.1 + 2.25)).abs() < 1e-12 && c.xy == 0.0 && (c.yy - 0.1).abs() < 1e-12);
    }
}
