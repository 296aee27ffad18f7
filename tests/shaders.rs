//! Every WGSL shader parses and validates under naga, with no adapter needed.

mod common;

use diffusion_playground::engine::gpu::{Kernel, ENERGY_TILE, HEALTH_WGSL, MIXTURE_TILE, MLP_TILE, SAMPLE_ENERGY_WGSL, SAMPLE_MIXTURE_WGSL, SAMPLE_MLP_WGSL};
use diffusion_playground::engine::likelihood::{LIKELIHOOD_ENERGY_TILE, LIKELIHOOD_ENERGY_WGSL, LIKELIHOOD_MIXTURE_TILE, LIKELIHOOD_MIXTURE_WGSL, LIKELIHOOD_MLP_TILE, LIKELIHOOD_MLP_WGSL};
use diffusion_playground::web::gpu_render::RENDER_WGSL;

fn validate(name: &str, src: &str) -> naga::Module {
    let module = naga::front::wgsl::parse_str(src).unwrap_or_else(|e| panic!("{name}: {}", e.emit_to_string(src)));
    naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::empty())
        .validate(&module)
        .unwrap_or_else(|e| panic!("{name}: {e:?}"));
    module
}

/// The value of a `const NAME: u32` of a module.
fn const_u32(module: &naga::Module, name: &str) -> u32 {
    let (_, c) = module.constants.iter().find(|(_, c)| c.name.as_deref() == Some(name)).unwrap_or_else(|| panic!("no const {name}"));
    match module.global_expressions[c.init] {
        naga::Expression::Literal(naga::Literal::U32(v)) => v,
        ref e => panic!("const {name} is not a u32 literal: {e:?}"),
    }
}

/// Bytes of workgroup memory the module declares.
fn workgroup_bytes(module: &naga::Module) -> u32 {
    let mut layouter = naga::proc::Layouter::default();
    layouter.update(module.to_ctx()).unwrap();
    module.global_variables.iter().filter(|(_, g)| g.space == naga::AddressSpace::WorkGroup).map(|(_, g)| layouter[g.ty].size).sum()
}

/// The engine's dispatch sizes are the kernels' tiles, the workgroup size
/// is the entry point's, and workgroup memory stays within WebGPU's default
/// limit (16 KiB) so no adapter has to grant more.
#[test]
fn tiles_and_workgroup_memory_match_the_engine() {
    for (name, src, tile) in [("mlp", SAMPLE_MLP_WGSL, MLP_TILE), ("mixture", SAMPLE_MIXTURE_WGSL, MIXTURE_TILE), ("energy", SAMPLE_ENERGY_WGSL, ENERGY_TILE)] {
        assert_eq!(Kernel::ALL.iter().find(|k| k.source() == src).map(|k| k.tile()), Some(tile));
        let module = validate(name, src);
        assert_eq!(const_u32(&module, "TILE"), tile, "{name}: TILE");
        let wg = const_u32(&module, "WG");
        let entry = module.entry_points.iter().find(|e| e.name == "run_steps").unwrap();
        assert_eq!(entry.workgroup_size, [wg, 1, 1], "{name}: run_steps's workgroup size");
        assert!(wg >= tile, "{name}: a thread per particle at least");
        let bytes = workgroup_bytes(&module);
        eprintln!("{name}: TILE {tile}, WG {wg}, workgroup memory {bytes} B");
        assert!(bytes <= 16_384, "{name}: {bytes} B of workgroup memory");
    }
}

/// The likelihood kernels likewise (engine::likelihood).
#[test]
fn likelihood_tiles_and_workgroup_memory_match_the_engine() {
    for (name, src, tile) in [
        ("likelihood mlp", LIKELIHOOD_MLP_WGSL, LIKELIHOOD_MLP_TILE),
        ("likelihood energy", LIKELIHOOD_ENERGY_WGSL, LIKELIHOOD_ENERGY_TILE),
        ("likelihood mixture", LIKELIHOOD_MIXTURE_WGSL, LIKELIHOOD_MIXTURE_TILE),
    ] {
        let module = validate(name, src);
        assert_eq!(const_u32(&module, "TILE"), tile, "{name}: TILE");
        let wg = const_u32(&module, "WG");
        let entry = module.entry_points.iter().find(|e| e.name == "integrate").unwrap();
        assert_eq!(entry.workgroup_size, [wg, 1, 1], "{name}: integrate's workgroup size");
        let bytes = workgroup_bytes(&module);
        eprintln!("{name}: TILE {tile}, WG {wg}, workgroup memory {bytes} B");
        assert!(bytes <= 16_384, "{name}: {bytes} B of workgroup memory");
    }
}

#[test]
fn jacobian_kernels_validate_with_the_likelihood_tiles() {
    use diffusion_playground::engine::jacobian::{JACOBIAN_ENERGY_WGSL, JACOBIAN_WGSL};
    for (name, src, tile) in [("jacobian", JACOBIAN_WGSL, LIKELIHOOD_MLP_TILE), ("jacobian energy", JACOBIAN_ENERGY_WGSL, LIKELIHOOD_ENERGY_TILE)] {
        let module = validate(name, src);
        assert_eq!(const_u32(&module, "TILE"), tile, "{name}");
        assert!(workgroup_bytes(&module) <= 16_384, "{name}");
    }
}

#[test]
fn langevin_kernel_validates() {
    validate("langevin", diffusion_playground::engine::langevin::LANGEVIN_WGSL);
}

/// The GRF kernels: a line of at most 128 complex values twice (2 KiB), and
/// the engine's thread count.
#[test]
fn grf_kernels_validate_with_the_engine_line() {
    let module = validate("grf", diffusion_playground::engine::grf::GRF_WGSL);
    assert_eq!(const_u32(&module, "THREADS"), diffusion_playground::engine::grf::GRF_THREADS);
    assert_eq!(const_u32(&module, "MAX_N") as usize, diffusion_playground::science::grf::N_MAX);
    assert_eq!(workgroup_bytes(&module), 2 * 128 * 8);
}

#[test]
fn ais_kernel_validates() {
    let module = validate("ais", diffusion_playground::engine::ais::AIS_WGSL);
    assert_eq!(const_u32(&module, "MAX_COMPONENTS") as usize, diffusion_playground::engine::ais::MAX_COMPONENTS);
}

/// The training kernels: the GEMM's two 64 × 16 slabs (8 KiB).
#[test]
fn training_kernels_validate() {
    let module = validate("train", diffusion_playground::engine::train::TRAIN_WGSL);
    assert_eq!(workgroup_bytes(&module), 2 * 64 * 16 * 4);
}

#[test]
fn sampling_kernel_validates() {
    for kernel in Kernel::ALL {
        validate(kernel.id(), kernel.source());
    }
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
    let covered = [
        "rng.wgsl",
        "score_mixture.wgsl",
        "mlp_common.wgsl",
        "score_mlp.wgsl",
        "score_mlp_per_thread.wgsl",
        "score_mlp_jacobian.wgsl",
        "score_energy.wgsl",
        "score_energy_jacobian.wgsl",
        "likelihood.wgsl",
        "jacobian.wgsl",
        "langevin.wgsl",
        "grf.wgsl",
        "ais.wgsl",
        "train.wgsl",
        "sample_common.wgsl",
        "sample.wgsl",
        "sample_per_thread.wgsl",
        "rng_probe.wgsl",
        "health.wgsl",
        "render.wgsl",
    ];
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/shaders");
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".wgsl") {
            assert!(covered.contains(&name.as_str()), "{name} is not validated by tests/shaders.rs");
        }
    }
}

/// The per-thread kernel's dispatch tile: 64 invocations of PER_INVOCATION particles.
#[test]
fn per_thread_tile_matches_the_engine() {
    let module = validate("mlp_per_thread", Kernel::MlpPerThread.source());
    let entry = module.entry_points.iter().find(|e| e.name == "run_steps").unwrap();
    assert_eq!(entry.workgroup_size[0] * const_u32(&module, "PER_INVOCATION"), Kernel::MlpPerThread.tile());
}
