//! The playground's numerical core: pure science → model → engine.
//!
//! Dependencies point down only (DESIGN.md): [`science`] knows nothing of
//! the others, [`model`] uses science, and [`engine`] runs models with CPU
//! and GPU backends (WGSL kernels with CPU twins) and trains them. The web
//! layer (the `diffusion-playground` crate) sits on top and re-exports these
//! three modules, so `crate::engine::…` reads the same on both sides.
//!
//! This crate is its own so that it keeps opt-level 3 (the CPU sampler's and
//! the trainer's vectorised loops) while the web layer above it is built for
//! size (Cargo.toml's release profile; BENCHMARKS.md, "Payload").

pub mod science;
pub mod model;
pub mod engine;
pub mod shaders;
