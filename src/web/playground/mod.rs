//! The sampling playground: one session (`session`, wasm32) made of small
//! owned parts, each in its module — the run (`run`), the scrubber's
//! timeline (`timeline`), the overlays and their one invalidation rule
//! (`overlays`), the stage (`view`; drawn by `draw`, advanced by `frame`, wasm32) — with the one backend policy
//! (`backend`), what the page measures (`diagnostics`, `measure`, wasm32),
//! compare mode (`compare`), the user's points (`data`, `editor`, `custom`),
//! the in-page trainer (`train`), the PF-ODE likelihood (`likelihood`) and
//! backend=auto's calibration (`calibrate`, wasm32). The wasm32 parts are
//! the `app` feature's (the playground's own wasm; the labs' leaves them out).

pub mod backend;
pub mod compare;
pub mod data;
pub mod editor;
pub mod likelihood;
pub mod overlays;
pub mod run;
pub mod timeline;
pub mod train;
#[cfg(all(target_arch = "wasm32", feature = "app"))]
pub mod calibrate;
#[cfg(all(target_arch = "wasm32", feature = "app"))]
pub mod custom;
#[cfg(all(target_arch = "wasm32", feature = "app"))]
pub mod diagnostics;
#[cfg(all(target_arch = "wasm32", feature = "app"))]
pub mod draw;
#[cfg(all(target_arch = "wasm32", feature = "app"))]
pub mod frame;
#[cfg(all(target_arch = "wasm32", feature = "app"))]
pub mod measure;
#[cfg(all(target_arch = "wasm32", feature = "app"))]
pub mod session;
#[cfg(all(target_arch = "wasm32", feature = "app"))]
pub mod view;
