//! The WebGPU view of a run: a render pass that draws the particles straight
//! from the sampler's storage buffer (no readback), between the background
//! and strokes images that [`Raster`](super::render::Raster) composes on the
//! CPU (shaders/render.wgsl). Native tests render it on lavapipe into a
//! texture and compare it with `Raster::draw_layers`, pixel for pixel.

use super::layers::LabelGrid;
use super::render::{coverage, dot_size, PALETTE, PARTICLE};

/// The render shader.
pub const RENDER_WGSL: &str = include_str!("../../shaders/render.wgsl");

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct View {
    size: [f32; 2],
    half_width: f32,
    dot_px: f32,
    label_g: u32,
    label_half_width: f32,
    alpha: f32,
    _pad: f32,
    plain: [f32; 4],
    palette: [[f32; 4]; 8],
}

/// What to draw: a GPU run's particle buffer (`n` particles), or particles
/// held on the CPU (a scrubber frame; interleaved x, y), uploaded first.
pub enum Points<'a> {
    Gpu(&'a wgpu::Buffer, usize),
    Cpu(&'a [f32]),
}

/// Which of the renderer's parts a frame draws.
#[derive(Clone, Copy)]
pub struct Frame {
    pub particles: bool,
    pub labels: bool,
}

pub struct GpuRenderer {
    width: u32,
    height: u32,
    half_width: f32,
    layout: wgpu::BindGroupLayout,
    background_pipeline: wgpu::RenderPipeline,
    strokes_pipeline: wgpu::RenderPipeline,
    dots_pipeline: wgpu::RenderPipeline,
    view: wgpu::Buffer,
    background: wgpu::Texture,
    strokes: wgpu::Texture,
    strokes_on: bool,
    labels: wgpu::Buffer,
    label_g: u32,
    label_half_width: f32,
    bind_group: wgpu::BindGroup,
    /// Upload space for CPU-held particles, grown on demand.
    scratch: Option<wgpu::Buffer>,
}

fn rgba(c: [u8; 3]) -> [f32; 4] {
    [c[0] as f32 / 255.0, c[1] as f32 / 255.0, c[2] as f32 / 255.0, 1.0]
}

impl GpuRenderer {
    /// A renderer for `width × height` targets of `format` (8-bit unorm, not
    /// sRGB, so colours are Raster's bytes) over a view of `half_width`.
    pub fn new(device: &wgpu::Device, format: wgpu::TextureFormat, width: u32, height: u32, half_width: f32) -> Self {
        let texture_entry = |binding| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::FRAGMENT,
            ty: wgpu::BindingType::Texture {
                sample_type: wgpu::TextureSampleType::Float { filterable: false },
                view_dimension: wgpu::TextureViewDimension::D2,
                multisampled: false,
            },
            count: None,
        };
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("render layout"),
            entries: &[
                wgpu::BindGroupLayoutEntry {
                    binding: 0,
                    visibility: wgpu::ShaderStages::VERTEX_FRAGMENT,
                    ty: wgpu::BindingType::Buffer { ty: wgpu::BufferBindingType::Uniform, has_dynamic_offset: false, min_binding_size: None },
                    count: None,
                },
                texture_entry(1),
                texture_entry(2),
                wgpu::BindGroupLayoutEntry {
                    binding: 3,
                    visibility: wgpu::ShaderStages::VERTEX,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Storage { read_only: true },
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    },
                    count: None,
                },
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("render pipeline layout"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor { label: Some("render"), source: wgpu::ShaderSource::Wgsl(RENDER_WGSL.into()) });
        // Premultiplied "over" for everything: the opaque background replaces,
        // the dots and strokes blend as Raster blends them.
        let over = wgpu::BlendState {
            color: wgpu::BlendComponent { src_factor: wgpu::BlendFactor::One, dst_factor: wgpu::BlendFactor::OneMinusSrcAlpha, operation: wgpu::BlendOperation::Add },
            alpha: wgpu::BlendComponent { src_factor: wgpu::BlendFactor::One, dst_factor: wgpu::BlendFactor::OneMinusSrcAlpha, operation: wgpu::BlendOperation::Add },
        };
        let pipeline = |label: &str, vs: &str, fs: &str, buffers: &[Option<wgpu::VertexBufferLayout>]| {
            device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                label: Some(label),
                layout: Some(&pipeline_layout),
                vertex: wgpu::VertexState { module: &module, entry_point: Some(vs), compilation_options: Default::default(), buffers },
                fragment: Some(wgpu::FragmentState {
                    module: &module,
                    entry_point: Some(fs),
                    compilation_options: Default::default(),
                    targets: &[Some(wgpu::ColorTargetState { format, blend: Some(over), write_mask: wgpu::ColorWrites::ALL })],
                }),
                primitive: wgpu::PrimitiveState::default(),
                depth_stencil: None,
                multisample: wgpu::MultisampleState::default(),
                multiview_mask: None,
                cache: None,
            })
        };
        let particle = [Some(wgpu::VertexBufferLayout {
            array_stride: 8,
            step_mode: wgpu::VertexStepMode::Instance,
            attributes: &[wgpu::VertexAttribute { format: wgpu::VertexFormat::Float32x2, offset: 0, shader_location: 0 }],
        })];
        let texture = |label| {
            device.create_texture(&wgpu::TextureDescriptor {
                label: Some(label),
                size: wgpu::Extent3d { width, height, depth_or_array_layers: 1 },
                mip_level_count: 1,
                sample_count: 1,
                dimension: wgpu::TextureDimension::D2,
                format: wgpu::TextureFormat::Rgba8Unorm,
                usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
                view_formats: &[],
            })
        };
        let view = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("render view"),
            size: std::mem::size_of::<View>() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let labels = device.create_buffer(&wgpu::BufferDescriptor { label: Some("labels"), size: 4, usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST, mapped_at_creation: false });
        let (background, strokes) = (texture("background"), texture("strokes"));
        let bind_group = Self::bind(device, &layout, &view, &background, &strokes, &labels);
        Self {
            width,
            height,
            half_width,
            background_pipeline: pipeline("background", "full_vs", "background_fs", &[]),
            strokes_pipeline: pipeline("strokes", "full_vs", "strokes_fs", &[]),
            dots_pipeline: pipeline("dots", "dot_vs", "dot_fs", &particle),
            layout,
            view,
            background,
            strokes,
            strokes_on: false,
            labels,
            label_g: 0,
            label_half_width: 1.0,
            bind_group,
            scratch: None,
        }
    }

    fn bind(device: &wgpu::Device, layout: &wgpu::BindGroupLayout, view: &wgpu::Buffer, background: &wgpu::Texture, strokes: &wgpu::Texture, labels: &wgpu::Buffer) -> wgpu::BindGroup {
        device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("render bind group"),
            layout,
            entries: &[
                wgpu::BindGroupEntry { binding: 0, resource: view.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 1, resource: wgpu::BindingResource::TextureView(&background.create_view(&Default::default())) },
                wgpu::BindGroupEntry { binding: 2, resource: wgpu::BindingResource::TextureView(&strokes.create_view(&Default::default())) },
                wgpu::BindGroupEntry { binding: 3, resource: labels.as_entire_binding() },
            ],
        })
    }

    fn write_image(&self, queue: &wgpu::Queue, texture: &wgpu::Texture, rgba: &[u8]) {
        assert_eq!(rgba.len(), (4 * self.width * self.height) as usize, "image size differs from the renderer's");
        queue.write_texture(
            texture.as_image_copy(),
            rgba,
            wgpu::TexelCopyBufferLayout { offset: 0, bytes_per_row: Some(4 * self.width), rows_per_image: Some(self.height) },
            wgpu::Extent3d { width: self.width, height: self.height, depth_or_array_layers: 1 },
        );
    }

    /// The image under the particles (opaque RGBA, `Raster::compose_background`).
    pub fn set_background(&self, queue: &wgpu::Queue, rgba: &[u8]) {
        self.write_image(queue, &self.background, rgba);
    }

    /// The strokes over the particles (premultiplied RGBA,
    /// `Raster::compose_overlay`), or none.
    pub fn set_strokes(&mut self, queue: &wgpu::Queue, rgba: Option<&[u8]>) {
        self.strokes_on = rgba.is_some();
        if let Some(img) = rgba {
            self.write_image(queue, &self.strokes, img);
        }
    }

    /// The class regions that colour the particles (none: one colour).
    pub fn set_labels(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, grid: Option<&LabelGrid>) {
        let Some(grid) = grid else {
            self.label_g = 0;
            return;
        };
        let (cells, g, half_width) = grid.cells();
        let words: Vec<u32> = cells.iter().map(|&l| l as u32).collect();
        if self.labels.size() < (words.len() * 4) as u64 {
            self.labels = device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("labels"),
                size: (words.len() * 4) as u64,
                usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            self.bind_group = Self::bind(device, &self.layout, &self.view, &self.background, &self.strokes, &self.labels);
        }
        queue.write_buffer(&self.labels, 0, bytemuck::cast_slice(&words));
        self.label_g = g as u32;
        self.label_half_width = half_width;
    }

    /// Records the frame into `encoder`: background, particles, strokes.
    pub fn encode(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, encoder: &mut wgpu::CommandEncoder, target: &wgpu::TextureView, points: Points, frame: Frame) {
        let (buffer, n) = match points {
            Points::Gpu(b, n) => (b.clone(), n),
            Points::Cpu(xy) => {
                let bytes = (xy.len() * 4).max(8) as u64;
                if self.scratch.as_ref().is_none_or(|b| b.size() < bytes) {
                    self.scratch = Some(device.create_buffer(&wgpu::BufferDescriptor {
                        label: Some("points"),
                        size: bytes.next_power_of_two(),
                        usage: wgpu::BufferUsages::VERTEX | wgpu::BufferUsages::COPY_DST,
                        mapped_at_creation: false,
                    }));
                }
                let b = self.scratch.clone().expect("scratch buffer was just made");
                queue.write_buffer(&b, 0, bytemuck::cast_slice(xy));
                (b, xy.len() / 2)
            }
        };
        let mut palette = [[0.0; 4]; 8];
        for (p, c) in palette.iter_mut().zip(PALETTE) {
            *p = rgba(c);
        }
        let view = View {
            size: [self.width as f32, self.height as f32],
            half_width: self.half_width,
            dot_px: dot_size(n) as f32,
            label_g: if frame.labels { self.label_g } else { 0 },
            label_half_width: self.label_half_width,
            alpha: coverage(1),
            _pad: 0.0,
            plain: rgba(PARTICLE),
            palette,
        };
        queue.write_buffer(&self.view, 0, bytemuck::bytes_of(&view));
        let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: Some("particles view"),
            color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                view: target,
                depth_slice: None,
                resolve_target: None,
                ops: wgpu::Operations { load: wgpu::LoadOp::Clear(wgpu::Color::BLACK), store: wgpu::StoreOp::Store },
            })],
            depth_stencil_attachment: None,
            timestamp_writes: None,
            occlusion_query_set: None,
            multiview_mask: None,
        });
        pass.set_bind_group(0, &self.bind_group, &[]);
        pass.set_pipeline(&self.background_pipeline);
        pass.draw(0..3, 0..1);
        if frame.particles && n > 0 {
            pass.set_pipeline(&self.dots_pipeline);
            pass.set_vertex_buffer(0, buffer.slice(..(n * 8) as u64));
            pass.draw(0..6, 0..n as u32);
        }
        if self.strokes_on {
            pass.set_pipeline(&self.strokes_pipeline);
            pass.draw(0..3, 0..1);
        }
    }
}
