//! The sampling playground: one session (`session`, wasm32) made of small
//! owned parts, each in its module — the run (`run`), the scrubber's
//! timeline (`timeline`), the overlays and their one invalidation rule
//! (`overlays`), the stage (`view`; drawn by `draw`, advanced by `frame`, wasm32) — with the one backend policy
//! (`backend`), what the page measures (`diagnostics`, `measure`, wasm32),
//! compare mode (`compare`), the user's points (`data`, `editor`, `custom`),
//! the in-page trainer (`train`), the PF-ODE likelihood (`likelihood`) and
//! backend=auto's calibration (`calibrate`, wasm32).

pub mod backend;
pub mod compare;
pub mod data;
pub mod editor;
pub mod likelihood;
pub mod overlays;
pub mod run;
pub mod timeline;
pub mod train;
#[cfg(target_arch = "wasm32")]
pub mod calibrate;
#[cfg(target_arch = "wasm32")]
pub mod custom;
#[cfg(target_arch = "wasm32")]
pub mod diagnostics;
#[cfg(target_arch = "wasm32")]
pub mod draw;
#[cfg(target_arch = "wasm32")]
pub mod frame;
#[cfg(target_arch = "wasm32")]
pub mod measure;
#[cfg(target_arch = "wasm32")]
pub mod session;
#[cfg(target_arch = "wasm32")]
pub mod view;
