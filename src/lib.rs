//! The diffusion playground: pure science → model → engine → web surface.
//!
//! Dependencies point down only (DESIGN.md). The numerical core — [`science`],
//! [`model`], [`engine`] — is the `diffusion-core` crate (core/), built at
//! opt-level 3; this crate is the web surface over it (`web`, wasm32 for
//! the page, its pure parts tested natively), built for size. The core's
//! modules are re-exported here, so `crate::engine::…` and
//! `diffusion_playground::engine::…` read as they did.

pub use diffusion_core::{engine, model, science, shaders};
pub mod web;
