//! The stage's parts: the 2D canvas a CPU run draws on (`Raster`, one
//! `putImageData` a frame) and the WebGPU canvas a WebGPU run draws on with
//! a render pass straight from the particle buffer (`GpuRenderer`); drawing
//! them is draw.rs's (wasm32 only).

use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

use crate::engine::gpu::GpuContext;
use crate::web::gpu_render::GpuRenderer;
use crate::web::layers::LabelGrid;
use crate::web::render::{Layers, Raster};

/// The stage's canvases and what they were last drawn from.
pub struct View {
    pub ctx2d: CanvasRenderingContext2d,
    pub raster: Raster,
    /// The 2D canvas and the WebGPU one (shown while a WebGPU run draws).
    pub canvas: HtmlCanvasElement,
    pub gpu_canvas: HtmlCanvasElement,
    pub gpu: Option<GpuView>,
    /// Class regions of the current dataset (particle colours).
    pub label_grid: Option<LabelGrid>,
    /// Bumped when the data layer and class regions are redrawn.
    pub data_version: u64,
    /// Frames that drew particles since the page started (status().framesDrawn).
    pub frames_drawn: u64,
}


/// The WebGPU canvas and what its render pass draws from.
pub struct GpuView {
    pub surface: wgpu::Surface<'static>,
    pub renderer: GpuRenderer,
    /// What the background image was composed for (data version, data
    /// layer, tints key); re-uploaded only when it changes.
    pub background_for: Option<(u64, bool, Option<(u64, usize, Layers, Option<usize>)>)>,
    /// The data version the label grid was uploaded for.
    pub labels_for: Option<u64>,
}

impl GpuView {
    /// Configures a surface on the WebGPU canvas: an 8-bit non-sRGB format
    /// (so colours are Raster's bytes), opaque.
    pub fn new(gpu: &GpuContext, canvas: &HtmlCanvasElement, half_width: f32) -> Result<Self, String> {
        let surface = gpu.instance.create_surface(wgpu::SurfaceTarget::Canvas(canvas.clone())).map_err(|e| e.to_string())?;
        let caps = surface.get_capabilities(&gpu.adapter);
        let format = caps
            .formats
            .iter()
            .copied()
            .find(|f| matches!(f, wgpu::TextureFormat::Bgra8Unorm | wgpu::TextureFormat::Rgba8Unorm))
            .ok_or_else(|| format!("the canvas offers no 8-bit linear format ({:?})", caps.formats))?;
        let (w, h) = (canvas.width(), canvas.height());
        surface.configure(
            &gpu.device,
            &wgpu::SurfaceConfiguration {
                usage: wgpu::TextureUsages::RENDER_ATTACHMENT,
                format,
                width: w,
                height: h,
                present_mode: wgpu::PresentMode::Fifo,
                desired_maximum_frame_latency: 2,
                alpha_mode: wgpu::CompositeAlphaMode::Opaque,
                view_formats: vec![],
                color_space: wgpu::SurfaceColorSpace::Auto,
            },
        );
        let renderer = GpuRenderer::new(&gpu.device, format, w, h, half_width);
        Ok(Self { surface, renderer, background_for: None, labels_for: None })
    }
}

