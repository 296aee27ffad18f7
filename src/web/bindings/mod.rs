//! The `#[wasm_bindgen]` surface behind `window.playground` (www/app.js):
//! thin `impl App` blocks that forward to the session (web::playground),
//! one per concern, and the router and module-wide calls both wasm modules
//! answer (`link`, `module`). Every exported JS name is kept as the page
//! knows it.

#[cfg(feature = "app")]
pub mod app;
#[cfg(feature = "app")]
pub mod data;
pub mod link;
pub mod module;
