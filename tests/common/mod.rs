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

/// A shipped weights file, `models/<id>.safetensors`.
pub fn shipped(dataset: diffusion_playground::science::datasets::Dataset) -> diffusion_playground::model::weights::ModelFile {
    let path = format!("{}/models/{}.safetensors", env!("CARGO_MANIFEST_DIR"), dataset.id());
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e} (retrain with tools/train.sh)"));
    diffusion_playground::model::weights::ModelFile::from_bytes(&bytes, dataset).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A shipped energy-model file, `models/<id>.energy.safetensors` (model::energy).
pub fn shipped_energy(dataset: diffusion_playground::science::datasets::Dataset) -> diffusion_playground::model::weights::EnergyFile {
    let path = format!("{}/models/{}.energy.safetensors", env!("CARGO_MANIFEST_DIR"), dataset.id());
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e} (train with tools/train.sh --energy)"));
    diffusion_playground::model::weights::EnergyFile::from_bytes(&bytes, dataset).unwrap_or_else(|e| panic!("{path}: {e}"))
}
