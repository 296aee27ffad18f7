//! Helpers for the native GPU tests (wgpu on Vulkan; lavapipe in CI).
#![allow(dead_code)]

use diffusion_playground::engine::gpu::GpuContext;

/// The GPU context, or a loud failure: these tests must not pass vacuously
/// on a machine without Vulkan. `tools/setup.sh test` installs lavapipe
/// (mesa-vulkan-drivers), which gives every machine a Vulkan device.
pub fn gpu() -> GpuContext {
    match pollster::block_on(GpuContext::new()) {
        Ok(ctx) => {
            eprintln!("GPU adapter: {}", ctx.describe());
            ctx
        }
        Err(e) => panic!("no Vulkan adapter ({e}); install mesa-vulkan-drivers (tools/setup.sh test)"),
    }
}

/// The RNG probe kernel: rng.wgsl prepended to rng_probe.wgsl.
pub fn rng_probe_source() -> String {
    format!("{}\n{}", include_str!("../../shaders/rng.wgsl"), include_str!("../../shaders/rng_probe.wgsl"))
}
