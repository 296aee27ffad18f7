//! The AIS lab's particles on both backends (science::ais has the maths,
//! in f64, and is the reference): the CPU twin [`particle_steps`] runs the
//! WGSL kernel's f32 operations (`shaders/ais.wgsl`) on the same noise, so a
//! particle's path is the same on both up to float rounding — except where
//! rounding flips a Metropolis–Hastings decision that was on the edge, after
//! which that one particle's path differs (rare; tests/gpu_parity.rs counts).

use wgpu::util::DeviceExt;

use crate::engine::gpu::{grid, map_and_read, GpuContext, GpuError, LOOP_BUDGET};
use crate::science::ais::{summarise, AisEstimate, AisSettings, Energy};
use crate::science::rng::{gaussian2, hash_key, unit};

/// The kernel, after the RNG it draws from.
pub const AIS_WGSL: &str = concat!(include_str!(concat!(env!("OUT_DIR"), "/shaders/rng.wgsl")), "\n", include_str!(concat!(env!("OUT_DIR"), "/shaders/ais.wgsl")));

/// Most components an energy may have (WGSL `MAX_COMPONENTS`).
pub const MAX_COMPONENTS: usize = 8;

/// `(ln π, μx, μy, s²)` per component, as the kernel reads them.
pub fn components(e: &Energy) -> Vec<[f32; 4]> {
    assert!(e.components.len() <= MAX_COMPONENTS);
    e.components.iter().map(|(w, m, s)| [w.ln() as f32, m[0] as f32, m[1] as f32, (s * s) as f32]).collect()
}

/// `E(x)` and `∇E` in f32, the kernel's `energy`.
fn energy(x: [f32; 2], cs: &[[f32; 4]]) -> (f32, [f32; 2]) {
    let logit = |c: &[f32; 4]| {
        let d = [x[0] - c[1], x[1] - c[2]];
        c[0] - (d[0] * d[0] + d[1] * d[1]) / (2.0 * c[3])
    };
    let top = cs.iter().map(logit).fold(-3.0e38f32, f32::max);
    let (mut z, mut g) = (0.0f32, [0.0f32; 2]);
    for c in cs {
        let d = [x[0] - c[1], x[1] - c[2]];
        let r = (logit(c) - top).exp();
        z += r;
        g = [g[0] + r * d[0] / c[3], g[1] + r * d[1] / c[3]];
    }
    (-(top + z.ln()), [g[0] / z, g[1] / z])
}

/// The kernel's uniform (shaders/ais.wgsl, `AisParams`).
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
pub struct AisParams {
    pub particles: u32,
    pub seed: u32,
    pub temperatures: u32,
    pub steps: u32,
    pub k_begin: u32,
    pub k_end: u32,
    pub n0: u32,
    pub n1: u32,
    pub eps: f32,
    pub power: f32,
    pub pad: [u32; 2],
}

/// A run: the two energies' components, the settings, and every particle's
/// state `(x, y, log-weight, accepted moves)`, starting at exact draws of p₀.
#[derive(Clone, Debug)]
pub struct AisRun {
    pub c0: Vec<[f32; 4]>,
    pub c1: Vec<[f32; 4]>,
    pub set: AisSettings,
    pub exact: f64,
    pub state: Vec<[f32; 4]>,
}

impl AisRun {
    pub fn new(e0: &Energy, e1: &Energy, set: AisSettings) -> Self {
        let state = (0..set.particles as u32).map(|i| {
            let x = e0.sample(set.seed, i);
            [x[0] as f32, x[1] as f32, 0.0, 0.0]
        }).collect();
        Self { c0: components(e0), c1: components(e1), exact: e1.log_z() - e0.log_z(), set, state }
    }

    fn params(&self, k_begin: u32, k_end: u32) -> AisParams {
        AisParams {
            particles: self.state.len() as u32,
            seed: self.set.seed,
            temperatures: self.set.temperatures as u32,
            steps: self.set.steps as u32,
            k_begin,
            k_end,
            n0: self.c0.len() as u32,
            n1: self.c1.len() as u32,
            eps: self.set.eps as f32,
            power: self.set.power as f32,
            pad: [0; 2],
        }
    }

    /// Every temperature for every particle on the CPU.
    pub fn run_cpu(&mut self) {
        let p = self.params(1, self.set.temperatures as u32 + 1);
        for (i, s) in self.state.iter_mut().enumerate() {
            particle_steps(&p, &self.c0, &self.c1, i as u32, s);
        }
    }

    /// Temperatures per dispatch, inside lavapipe's loop budget (engine::gpu::LOOP_BUDGET):
    /// per temperature `(1 + 2·steps)` tempered energies of `2(n0 + n1)` iterations, and the moves.
    pub fn temperatures_per_dispatch(&self) -> usize {
        let per = (1 + 2 * self.set.steps) * 2 * (self.c0.len() + self.c1.len()) + self.set.steps;
        (LOOP_BUDGET / per).max(1)
    }

    /// Every temperature for every particle on the GPU; resolves to the final states.
    pub fn run_gpu(&self, ctx: &GpuContext) -> impl std::future::Future<Output = Result<Vec<[f32; 4]>, GpuError>> + 'static {
        let d = &ctx.device;
        let pipeline = ctx.cached_pipeline(AIS_WGSL, "ais_steps");
        let n = self.state.len().max(1);
        let mut init = self.state.clone();
        init.resize(n, [0.0; 4]);
        let storage = |label, contents: &[u8], usage| d.create_buffer_init(&wgpu::util::BufferInitDescriptor { label: Some(label), contents, usage });
        let all: Vec<[f32; 4]> = self.c0.iter().chain(&self.c1).copied().collect();
        let comps = storage("ais components", bytemuck::cast_slice(&all), wgpu::BufferUsages::STORAGE);
        let state = storage("ais state", bytemuck::cast_slice(&init), wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC);
        let layout = pipeline.get_bind_group_layout(0);
        let mut enc = d.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("ais") });
        let per = self.temperatures_per_dispatch() as u32;
        let last = self.set.temperatures as u32 + 1;
        let mut k = 1;
        while k < last {
            let end = (k + per).min(last);
            let params = storage("ais params", bytemuck::bytes_of(&self.params(k, end)), wgpu::BufferUsages::UNIFORM);
            let bind_group = d.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("ais bind group"),
                layout: &layout,
                entries: &[
                    wgpu::BindGroupEntry { binding: 0, resource: params.as_entire_binding() },
                    wgpu::BindGroupEntry { binding: 1, resource: comps.as_entire_binding() },
                    wgpu::BindGroupEntry { binding: 2, resource: state.as_entire_binding() },
                ],
            });
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("ais pass"), timestamp_writes: None });
            pass.set_pipeline(&pipeline);
            pass.set_bind_group(0, &bind_group, &[]);
            let (gx, gy) = grid((n as u32).div_ceil(64));
            pass.dispatch_workgroups(gx, gy, 1);
            drop(pass);
            k = end;
        }
        let bytes = (n * 16) as u64;
        let staging = d.create_buffer(&wgpu::BufferDescriptor { label: Some("ais readback"), size: bytes, usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST, mapped_at_creation: false });
        enc.copy_buffer_to_buffer(&state, 0, &staging, 0, bytes);
        ctx.queue.submit(Some(enc.finish()));
        let read = map_and_read(ctx, staging);
        let count = self.state.len();
        async move { Ok(bytemuck::pod_collect_to_vec::<u8, [f32; 4]>(&read.await?).into_iter().take(count).collect()) }
    }

    /// The estimate of the states (after a run).
    pub fn estimate(&self) -> AisEstimate {
        let log_w: Vec<f64> = self.state.iter().map(|s| s[2] as f64).collect();
        let accepted: f64 = self.state.iter().map(|s| s[3] as f64).sum();
        let proposed = (self.state.len() * self.set.steps * self.set.temperatures).max(1) as f64;
        summarise(&log_w, self.exact, accepted / proposed)
    }
}

/// Temperatures `[k_begin, k_end)` of one particle: the kernel's loop, in f32.
pub fn particle_steps(p: &AisParams, c0: &[[f32; 4]], c1: &[[f32; 4]], i: u32, s: &mut [f32; 4]) {
    let beta = |k: u32| (k as f32 / p.temperatures as f32).powf(p.power);
    let tempered = |x: [f32; 2], b: f32| {
        let ((a0, g0), (a1, g1)) = (energy(x, c0), energy(x, c1));
        ((1.0 - b) * a0 + b * a1, [(1.0 - b) * g0[0] + b * g1[0], (1.0 - b) * g0[1] + b * g1[1]], a0 - a1)
    };
    let log_q = |to: [f32; 2], from: [f32; 2], g: [f32; 2]| {
        let d = [to[0] - from[0] + p.eps * g[0], to[1] - from[1] + p.eps * g[1]];
        -(d[0] * d[0] + d[1] * d[1]) / (4.0 * p.eps)
    };
    let mut x = [s[0], s[1]];
    let r = (2.0 * p.eps).sqrt();
    for k in p.k_begin..p.k_end {
        let b = beta(k);
        s[2] += (b - beta(k - 1)) * tempered(x, b).2;
        for j in 0..p.steps {
            let draw = (k - 1) * p.steps + j;
            let (ex, gx, _) = tempered(x, b);
            let z = gaussian2(p.seed, i, draw, 1);
            let u = unit(hash_key(p.seed, i, draw, 2)[0]);
            let y = [x[0] - p.eps * gx[0] + r * z[0], x[1] - p.eps * gx[1] + r * z[1]];
            let (ey, gy, _) = tempered(y, b);
            let log_ratio = -ey + ex + log_q(x, y, gy) - log_q(y, x, gx);
            if u.ln() < log_ratio {
                x = y;
                s[3] += 1.0;
            }
        }
    }
    s[0] = x[0];
    s[1] = x[1];
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::gpu::layout::assert_wgsl_layout;

    #[test]
    fn params_match_the_wgsl_layout() {
        assert_wgsl_layout!(AIS_WGSL, "AisParams" => AisParams { particles, seed, temperatures, steps, k_begin, k_end, n0, n1, eps, power });
    }

    /// The f32 twin against science::ais's f64 reference on the same noise:
    /// the same particles (most paths identical to rounding; a flipped
    /// Metropolis decision changes one particle's path), so the estimates
    /// agree to a small fraction of their standard error, and the twin's
    /// lands within 4 standard errors of the exact value like the reference.
    #[test]
    fn the_f32_twin_follows_the_f64_reference() {
        for (from, to) in [("gaussian", "ring"), ("ring", "pair")] {
            let (e0, e1) = (Energy::preset(from).unwrap(), Energy::preset(to).unwrap());
            let set = AisSettings { temperatures: 200, power: 2.0, steps: 3, eps: 0.1, particles: 300, seed: 2 };
            let reference = crate::science::ais::ais(&e0, &e1, &set);
            let mut run = AisRun::new(&e0, &e1, set.clone());
            run.run_cpu();
            let twin = run.estimate();
            let same = (0..300u32).filter(|&i| (crate::science::ais::ais_particle(&e0, &e1, &set, i, 1.0).0 - run.state[i as usize][2] as f64).abs() < 1e-3).count();
            eprintln!("{from}→{to}: twin {twin:?}, reference {reference:?}, {same} of 300 particles' log-weights within 1e-3");
            assert!(same >= 285, "{same}");
            assert!((twin.log_z - reference.log_z).abs() < 0.25 * reference.stderr, "{twin:?} {reference:?}");
            assert!((twin.log_z - twin.exact_log_z).abs() < 4.0 * twin.stderr, "{twin:?}");
            assert!((twin.acceptance - reference.acceptance).abs() < 0.01);
        }
    }
}
