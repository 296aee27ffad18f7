//! The web surface, in layers that depend one way:
//!
//! - [`link`]: share links — the value parsers, the ignored-key notice and
//!   the router (which page mode a link opens). A leaf.
//! - [`config`]: the playground's config and its link form (on `link`).
//! - [`render`], [`layers`], [`gpu_render`]: drawing the stage (the 2D
//!   raster, the layers' grids, the WebGPU render pass), shared with the labs.
//! - [`playground`]: the sampling playground's session as owned parts (run,
//!   timeline, overlays, view…), its one backend policy, compare mode, the
//!   user's data, the trainer and the likelihood.
//! - [`labs`]: the labs, each a module behind one registry.
//! - `js`, `input`, `assets` and `bindings` (wasm32 only): the browser once
//!   (values, clock, fetch, canvas, the WebGPU probe), values from outside
//!   read without trusting them (kinds and sizes checked before a copy, no
//!   getter unwinding through Rust), the shipped model files, and the thin
//!   `#[wasm_bindgen]` surface.
//!
//! Pure parts compile and are tested natively; the rest is wasm32 only.

pub mod config;
pub mod gpu_render;
pub mod labs;
pub mod layers;
pub mod link;
pub mod playground;
pub mod render;
#[cfg(target_arch = "wasm32")]
pub mod assets;
#[cfg(target_arch = "wasm32")]
pub mod bindings;
#[cfg(target_arch = "wasm32")]
pub mod input;
#[cfg(target_arch = "wasm32")]
pub mod js;
