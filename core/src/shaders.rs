//! The one kernel the web layer includes itself: the particle render pass
//! (`web::gpu_render`). Every shader is minified by this crate's build.rs,
//! so the web layer takes its source from here.

pub const RENDER_WGSL: &str = include_str!(concat!(env!("OUT_DIR"), "/shaders/render.wgsl"));
