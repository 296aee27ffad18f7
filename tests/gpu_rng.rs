//! The WGSL RNG on a real wgpu device (lavapipe in CI) against the Rust one:
//! bit-identical hash words for 131 072 keys and close Gaussians with the
//! right moments.

mod common;

use diffusion_playground::science::rng::{gaussian2, hash_key};
use wgpu::util::DeviceExt;

const N: u32 = 131_072;
const SEED: u32 = 0x5EED_1234;
const STEP: u32 = 40;
const DRAW: u32 = 2;

#[test]
fn wgsl_rng_matches_rust_bit_for_bit() {
    let ctx = common::gpu();
    let d = &ctx.device;
    let src = common::rng_probe_source();
    let module = d.create_shader_module(wgpu::ShaderModuleDescriptor { label: Some("rng_probe"), source: wgpu::ShaderSource::Wgsl(src.into()) });
    let pipeline = d.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some("rng_probe"),
        layout: None,
        module: &module,
        entry_point: Some("probe_rng"),
        compilation_options: Default::default(),
        cache: None,
    });
    let params = d.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: None,
        contents: bytemuck::cast_slice(&[N, SEED, STEP, DRAW]),
        usage: wgpu::BufferUsages::UNIFORM,
    });
    let storage = |size: u64| {
        d.create_buffer(&wgpu::BufferDescriptor { label: None, size, usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC, mapped_at_creation: false })
    };
    let words = storage(N as u64 * 16);
    let normals = storage(N as u64 * 8);
    let bg = d.create_bind_group(&wgpu::BindGroupDescriptor {
        label: None,
        layout: &pipeline.get_bind_group_layout(0),
        entries: &[
            wgpu::BindGroupEntry { binding: 0, resource: params.as_entire_binding() },
            wgpu::BindGroupEntry { binding: 1, resource: words.as_entire_binding() },
            wgpu::BindGroupEntry { binding: 2, resource: normals.as_entire_binding() },
        ],
    });
    let mut enc = d.create_command_encoder(&Default::default());
    {
        let mut pass = enc.begin_compute_pass(&Default::default());
        pass.set_pipeline(&pipeline);
        pass.set_bind_group(0, &bg, &[]);
        pass.dispatch_workgroups(N.div_ceil(64), 1, 1);
    }
    let got_words: Vec<u32> = read(&ctx, &mut enc, &words);
    let got_normals: Vec<f32> = read(&ctx, &mut d.create_command_encoder(&Default::default()), &normals);

    let mut mismatches = 0;
    let (mut max_err, mut s1, mut s2) = (0f32, 0f64, 0f64);
    for i in 0..N {
        let (step, draw) = (STEP + i % 7, DRAW + i % 3);
        let want = hash_key(SEED, i, step, draw);
        if got_words[4 * i as usize..4 * i as usize + 4] != want {
            mismatches += 1;
        }
        let z = gaussian2(SEED, i, step, draw);
        for c in 0..2 {
            let g = got_normals[2 * i as usize + c];
            max_err = max_err.max((g - z[c]).abs());
            s1 += g as f64;
            s2 += (g as f64) * (g as f64);
        }
    }
    assert_eq!(mismatches, 0, "hash words differ between WGSL and Rust");
    // Box–Muller through log/cos/sin: GPU transcendental ulps differ from libm;
    // 1e-4 absolute covers |z| ≤ 6 with a few ulps of error.
    assert!(max_err < 1e-4, "max |z_gpu - z_cpu| = {max_err}");
    // 2N scalar normals: standard error of the mean 1/sqrt(2N) = 0.002, of the
    // variance sqrt(2/(2N)) = 0.0028; tolerances are 5 standard errors.
    let m = 2.0 * N as f64;
    let (mean, var) = (s1 / m, s2 / m - (s1 / m).powi(2));
    assert!(mean.abs() < 5.0 / m.sqrt(), "mean {mean}");
    assert!((var - 1.0).abs() < 5.0 * (2.0 / m).sqrt(), "variance {var}");
}

fn read<T: bytemuck::Pod>(ctx: &diffusion_playground::engine::gpu::GpuContext, enc: &mut wgpu::CommandEncoder, src: &wgpu::Buffer) -> Vec<T> {
    let d = &ctx.device;
    let dst = d.create_buffer(&wgpu::BufferDescriptor { label: None, size: src.size(), usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST, mapped_at_creation: false });
    let enc = std::mem::replace(enc, d.create_command_encoder(&Default::default()));
    let mut enc = enc;
    enc.copy_buffer_to_buffer(src, 0, &dst, 0, src.size());
    ctx.queue.submit(Some(enc.finish()));
    dst.slice(..).map_async(wgpu::MapMode::Read, |r| r.expect("map failed"));
    d.poll(wgpu::PollType::wait_indefinitely()).expect("poll failed");
    let out = bytemuck::cast_slice::<u8, T>(&dst.slice(..).get_mapped_range().expect("mapped range")).to_vec();
    dst.unmap();
    out
}
