//! The WebGPU view (web::gpu_render, shaders/render.wgsl) and the per-frame
//! probe (shaders/health.wgsl) on a real wgpu device (lavapipe in CI),
//! against their CPU twins: `Raster::draw_layers` and `engine::health::check`.

mod common;

use diffusion_playground::engine::gpu::{GpuContext, GpuSampler, PROBE_PARTICLES};
use diffusion_playground::engine::health;
use diffusion_playground::model::{Conditioning, ExactMixture, ScoreModel};
use diffusion_playground::science::datasets::{Dataset, BOX_HALF_WIDTH};
use diffusion_playground::science::plan::{DdpmVariance, SamplerKind, Spacing, StepPlan};
use diffusion_playground::science::schedule::ScheduleKind;
use diffusion_playground::web::gpu_render::{GpuRenderer, Points};
use diffusion_playground::web::layers::{density_grid, field_arrows, LabelGrid, Trails};
use diffusion_playground::web::render::{Layers, Overlay, Raster, Tints, BACKGROUND};

/// 256 × 4 bytes per row: copies out of the texture need 256-byte rows.
const SIZE: u32 = 256;

fn exact(d: Dataset) -> ScoreModel {
    ScoreModel::Exact(ExactMixture::new(&d.exact_mixture()))
}

#[test]
fn the_probe_reports_what_a_full_readback_shows() {
    let ctx = common::gpu();
    // A Langevin run whose step is far too large: particles escape, then
    // overflow to ±Inf and NaN over a few steps, so the frames between see
    // every mix of healthy, escaped and non-finite particles.
    let plan = StepPlan::build(ScheduleKind::VpLinear, SamplerKind::Langevin { per_level: 5, step_size: 1e-2 }, 200, Spacing::Quadratic);
    let n = PROBE_PARTICLES + 3000; // more than a probe carries
    let mut s = GpuSampler::new(&ctx, &plan, &exact(Dataset::Moons), Conditioning::class(None), 1, n);
    let mut seen = (false, false, false);
    while !s.done() && !seen.2 {
        s.run_steps(&ctx, 1);
        let probe = pollster::block_on(s.probe(&ctx)).unwrap();
        let all = pollster::block_on(s.read_particles(&ctx)).unwrap();
        let want = health::check(&all);
        assert_eq!(probe.health, want, "after step {}", s.step_index());
        assert_eq!(probe.first.len(), 2 * PROBE_PARTICLES);
        let same = probe.first.iter().zip(&all).all(|(a, b)| a.to_bits() == b.to_bits());
        assert!(same, "the probe's particles are the first ones, bit for bit");
        seen.0 |= want.escaped > 0 && want.non_finite == 0;
        seen.1 |= want.escaped > 0 && want.non_finite > 0;
        seen.2 |= want.non_finite == n;
    }
    assert_eq!(seen, (true, true, true), "the run passed through escaped, mixed and all-NaN frames");
}

/// Renders one frame into a texture and reads it back (RGBA rows).
fn render(ctx: &GpuContext, r: &mut GpuRenderer, points: Points, particles: bool) -> Vec<u8> {
    let target = ctx.device.create_texture(&wgpu::TextureDescriptor {
        label: Some("target"),
        size: wgpu::Extent3d { width: SIZE, height: SIZE, depth_or_array_layers: 1 },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format: wgpu::TextureFormat::Rgba8Unorm,
        usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
        view_formats: &[],
    });
    let staging = ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("staging"),
        size: (SIZE * SIZE * 4) as u64,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let mut enc = ctx.device.create_command_encoder(&Default::default());
    r.encode(&ctx.device, &ctx.queue, &mut enc, &target.create_view(&Default::default()), points, particles);
    enc.copy_texture_to_buffer(
        target.as_image_copy(),
        wgpu::TexelCopyBufferInfo {
            buffer: &staging,
            layout: wgpu::TexelCopyBufferLayout { offset: 0, bytes_per_row: Some(SIZE * 4), rows_per_image: Some(SIZE) },
        },
        wgpu::Extent3d { width: SIZE, height: SIZE, depth_or_array_layers: 1 },
    );
    ctx.queue.submit(Some(enc.finish()));
    staging.slice(..).map_async(wgpu::MapMode::Read, |r| r.unwrap());
    ctx.device.poll(wgpu::PollType::wait_indefinitely()).unwrap();
    let out = staging.slice(..).get_mapped_range().unwrap().to_vec();
    out
}

/// (pixels whose largest channel difference exceeds `tol`, largest difference).
fn compare(gpu: &[u8], cpu: &[u8], tol: u8) -> (usize, u8) {
    let mut off = 0;
    let mut worst = 0;
    for (g, c) in gpu.chunks(4).zip(cpu.chunks(4)) {
        let d = (0..3).map(|k| g[k].abs_diff(c[k])).max().unwrap_or(0);
        worst = worst.max(d);
        off += (d > tol) as usize;
    }
    (off, worst)
}

/// Draws one scene both ways: the GPU view (background and strokes images
/// from Raster, particles from `gpu_points`) and Raster alone.
#[allow(clippy::too_many_arguments)]
fn both(ctx: &GpuContext, gpu_points: Points, xy: &[f32], layers: Layers, labels: Option<&LabelGrid>, trails: &[Vec<[f32; 2]>], arrows: &[([f32; 2], [f32; 2])], tints: Tints) -> (Vec<u8>, Vec<u8>) {
    let mut raster = Raster::new(SIZE as usize, SIZE as usize);
    let (data, _) = Dataset::Gaussians8.sample(3000, 0xDA7A);
    raster.set_data_layer(&data);
    let mut view = GpuRenderer::new(&ctx.device, wgpu::TextureFormat::Rgba8Unorm, SIZE, SIZE, raster.half_width());
    view.set_labels(&ctx.device, &ctx.queue, labels.filter(|_| layers.particles));
    let overlay = Overlay { labels: None, trails, arrows, tints, valued: &[], curves: &[] };
    view.set_background(&ctx.queue, raster.compose_background(layers, tints));
    let strokes = raster.compose_overlay(layers, &overlay).map(<[u8]>::to_vec);
    view.set_strokes(&ctx.queue, strokes.as_deref());
    let gpu = render(ctx, &mut view, gpu_points, layers.particles);
    let label_of: Option<Vec<u8>> = labels.map(|g| xy.chunks_exact(2).map(|p| g.label([p[0], p[1]])).collect());
    let cpu = raster.draw_layers(xy, layers, &Overlay { labels: label_of.as_deref(), ..overlay }).to_vec();
    (gpu, cpu)
}

#[test]
fn the_gpu_view_draws_what_the_raster_draws() {
    let ctx = common::gpu();
    let d = Dataset::Gaussians8;
    let model = exact(d);
    let plan = StepPlan::build(ScheduleKind::VpLinear, SamplerKind::Ddpm { variance: DdpmVariance::BetaTilde }, 20, Spacing::Uniform);
    let (data, labels) = d.sample(1024, 0xDA7A);
    let grid = LabelGrid::new(&data, &labels, 128, BOX_HALF_WIDTH as f32 + 0.5);
    let all = Layers { data: true, particles: true, trajectories: true, field: true, density: true, curl: true, ..Layers::NONE };
    let plain = Layers { data: false, particles: true, trajectories: false, field: false, density: false, ..Layers::NONE };

    // Tolerance: both count particles per pixel and take the largest class
    // there; the CPU truncates each blend to a byte where the GPU rounds,
    // and the strokes blend once more on the GPU, so a pixel may differ by
    // a unit or two (the bar: 2; measured: 1). A misplaced dot, a wrong count, a wrong
    // colour or a missing layer differ by tens to hundreds.
    for (n, layers, labelled) in [(3000, all, true), (30_000, plain, false), (30_000, all, true)] {
        let mut s = GpuSampler::new(&ctx, &plan, &model, Conditioning::class(None), 5, n);
        s.run_steps(&ctx, 12); // mid-run: particles still spread out
        let xy = pollster::block_on(s.read_particles(&ctx)).unwrap();
        let raster = Raster::new(SIZE as usize, SIZE as usize);
        let mut trails = Trails::new(64, 256);
        trails.push(&xy);
        trails.push(&xy.iter().map(|v| v * 0.5).collect::<Vec<_>>());
        let arrows = field_arrows(&model, &plan, 12, &raster, 21);
        let density = density_grid(&model, &plan, 12, &xy, &raster, 96);
        // A signed pattern for the curl tint (the exact model has no curl).
        let curl: Vec<f32> = (0..32 * 32).map(|k| ((k % 32) as f32 / 15.5 - 1.0) * ((k / 32) as f32 / 31.0)).collect();
        let tints = Tints {
            density: Some((density.as_slice(), 96usize)).filter(|_| layers.density),
            curl: Some((curl.as_slice(), 32usize)).filter(|_| layers.curl),
            ..Default::default()
        };
        let (gpu, cpu) = both(&ctx, Points::Gpu(s.particles(), n), &xy, layers, labelled.then_some(&grid), &trails.paths, &arrows, tints);
        let (off, worst) = compare(&gpu, &cpu, 2);
        eprintln!("n={n}: {off} of {} pixels differ by more than 2 (worst {worst})", SIZE * SIZE);
        assert_eq!(off, 0, "n={n}: {off} pixels differ by more than 2 (worst {worst})");
    }

    // Points held on the CPU (a scrubber frame) with NaN, ±Inf, far-off and
    // edge points: drawn where Raster draws them, and nowhere else.
    let hw = BOX_HALF_WIDTH as f32 + 0.5;
    let xy = [0.0, 0.0, f32::NAN, 1.0, f32::INFINITY, 0.0, 1e9, -1e9, -hw, hw - 1e-3, hw, 0.0, 1.3, -2.2, 1.3, -2.2];
    let (gpu, cpu) = both(&ctx, Points::Cpu(&xy), &xy, plain, None, &[], &[], Tints::default());
    let (off, worst) = compare(&gpu, &cpu, 1);
    assert_eq!(off, 0, "CPU-held points: worst difference {worst}");
    let lit = cpu.chunks(4).filter(|p| p[..3] != BACKGROUND).count();
    assert_eq!(lit, 3 * 4, "three 2×2 dots: the centre, the top-left corner and the doubled point");
}
