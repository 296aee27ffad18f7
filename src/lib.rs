//! The diffusion playground: pure science → model → engine → web surface.
//!
//! Dependencies point down only (DESIGN.md): [`science`] knows nothing of
//! the others, [`model`] uses science, [`engine`] runs models with CPU and
//! GPU backends, and `web` (wasm32 only) is the `#[wasm_bindgen]` surface.

pub mod science;
pub mod model;
pub mod engine;
pub mod web;
