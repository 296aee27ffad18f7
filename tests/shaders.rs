//! Every WGSL shader parses and validates under naga, with no adapter needed.

mod common;

use diffusion_playground::engine::gpu::{HEALTH_WGSL, SAMPLE_MIXTURE_WGSL, SAMPLE_MLP_WGSL};
use diffusion_playground::web::gpu_render::RENDER_WGSL;

fn validate(name: &str, src: &str) {
    let module = naga::front::wgsl::parse_str(src).unwrap_or_else(|e| panic!("{name}: {}", e.emit_to_string(src)));
    naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::empty())
        .validate(&module)
        .unwrap_or_else(|e| panic!("{name}: {e:?}"));
}

#[test]
fn sampling_kernel_validates() {
    validate("sample (rng + score_mixture + sample)", SAMPLE_MIXTURE_WGSL);
    validate("sample (rng + score_mlp + sample)", SAMPLE_MLP_WGSL);
}

#[test]
fn health_and_render_shaders_validate() {
    validate("health", HEALTH_WGSL);
    validate("render", RENDER_WGSL);
}

#[test]
fn rng_probe_validates() {
    validate("rng_probe", &common::rng_probe_source());
}

#[test]
fn every_shader_file_is_covered() {
    // A new .wgsl file must be added to one of the validated modules above.
    let covered = ["rng.wgsl", "score_mixture.wgsl", "score_mlp.wgsl", "sample.wgsl", "rng_probe.wgsl", "health.wgsl", "render.wgsl"];
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/shaders");
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".wgsl") {
            assert!(covered.contains(&name.as_str()), "{name} is not validated by tests/shaders.rs");
        }
    }
}
