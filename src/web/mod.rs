//! The web surface: share-link config (pure, tested natively) and, on
//! wasm32, the `#[wasm_bindgen]` app that drives the page.

pub mod compare;
pub mod config;
pub mod data;
pub mod editor;
#[cfg(target_arch = "wasm32")]
pub mod adapter;
#[cfg(target_arch = "wasm32")]
pub mod app;
#[cfg(target_arch = "wasm32")]
pub mod calibrate;
#[cfg(target_arch = "wasm32")]
pub mod custom;
pub mod gpu_render;
pub mod labs;
pub mod layers;
pub mod likelihood;
pub mod render;
pub mod train;
