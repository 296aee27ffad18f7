//! The WebGPU view of a run, with no readback (shaders/render.wgsl): a
//! compute pass splats the particles, read straight from the sampler's
//! storage buffer, into per-pixel counts and classes; a render pass composes
//! them over the background image and under the strokes image that
//! [`Raster`](super::render::Raster) makes on the CPU. Native tests render
//! it on lavapipe into a texture and compare it with `Raster::draw_layers`.
//!
//! Why splat and not one quad per particle: the picture is a per-pixel count
//! (the density look of a million particles), which atomics give exactly and
//! cheaply on any GPU; a quad per particle was 100× slower on SwiftShader
//! (the software WebGPU of headless browsers) at 262 144 particles.

use super::layers::LabelGrid;
use super::render::{dot_size, GAIN, PALETTE, PARTICLE};

/// The render shader.
pub use crate::shaders::RENDER_WGSL;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct View {
    size: [u32; 2],
    half_width: f32,
    dot_px: u32,
    label_g: u32,
    label_half_width: f32,
    gain: f32,
    n: u32,
    plain: [f32; 4],
    palette: [[f32; 4]; 8],
}

/// What to draw: a GPU run's particle buffer (`n` particles), or particles
/// held on the CPU (a scrubber frame; interleaved x, y), uploaded first.
pub enum Points<'a> {
    Gpu(&'a wgpu::Buffer, usize),
    Cpu(&'a [f32]),
}

pub struct GpuRenderer {
    width: u32,
    height: u32,
    half_width: f32,
    splat_layout: wgpu::BindGroupLayout,
    splat_pipeline: wgpu::ComputePipeline,
    compose_pipeline: wgpu::RenderPipeline,
    strokes_pipeline: wgpu::RenderPipeline,
    view: wgpu::Buffer,
    /// Per pixel: particle count, and 0 or 1 + the largest class.
    counts: wgpu::Buffer,
    classes: wgpu::Buffer,
    background: wgpu::Texture,
    strokes: wgpu::Texture,
    strokes_on: bool,
    labels: wgpu::Buffer,
    label_g: u32,
    label_half_width: f32,
    compose_group: wgpu::BindGroup,
    /// Upload space for CPU-held particles, grown on demand.
    scratch: Option<wgpu::Buffer>,
}

fn rgba(c: [u8; 3]) -> [f32; 4] {
    [c[0] as f32 / 255.0, c[1] as f32 / 255.0, c[2] as f32 / 255.0, 1.0]
}

fn buffer_entry(binding: u32, visibility: wgpu::ShaderStages, ty: wgpu::BufferBindingType) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry { binding, visibility, ty: wgpu::BindingType::Buffer { ty, has_dynamic_offset: false, min_binding_size: None }, count: None }
}

impl GpuRenderer {
    /// A renderer for `width × height` targets of `format` (8-bit unorm, not
    /// sRGB, so colours are Raster's bytes) over a view of `half_width`.
    pub fn new(device: &wgpu::Device, format: wgpu::TextureFormat, width: u32, height: u32, half_width: f32) -> Self {
        use wgpu::BufferBindingType::{Storage, Uniform};
        use wgpu::ShaderStages as S;
        let texture_entry = |binding| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: S::FRAGMENT,
            ty: wgpu::BindingType::Texture {
                sample_type: wgpu::TextureSampleType::Float { filterable: false },
                view_dimension: wgpu::TextureViewDimension::D2,
                multisampled: false,
            },
            count: None,
        };
        let compose_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("compose layout"),
            entries: &[
                buffer_entry(0, S::FRAGMENT, Uniform),
                texture_entry(1),
                texture_entry(2),
                buffer_entry(3, S::FRAGMENT, Storage { read_only: true }),
                buffer_entry(4, S::FRAGMENT, Storage { read_only: true }),
            ],
        });
        let splat_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("splat layout"),
            entries: &[
                buffer_entry(0, S::COMPUTE, Uniform),
                buffer_entry(5, S::COMPUTE, Storage { read_only: true }),
                buffer_entry(6, S::COMPUTE, Storage { read_only: false }),
                buffer_entry(7, S::COMPUTE, Storage { read_only: false }),
                buffer_entry(8, S::COMPUTE, Storage { read_only: true }),
            ],
        });
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor { label: Some("render"), source: wgpu::ShaderSource::Wgsl(RENDER_WGSL.into()) });
        let compose_pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("compose pipeline layout"),
            bind_group_layouts: &[Some(&compose_layout)],
            immediate_size: 0,
        });
        let splat_pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some("splat"),
            layout: Some(&device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some("splat pipeline layout"),
                bind_group_layouts: &[Some(&splat_layout)],
                immediate_size: 0,
            })),
            module: &module,
            entry_point: Some("splat"),
            compilation_options: Default::default(),
            cache: None,
        });
        // Premultiplied "over": the composed frame is opaque and replaces;
        // the strokes blend as Raster blends them.
        let over = wgpu::BlendState {
            color: wgpu::BlendComponent { src_factor: wgpu::BlendFactor::One, dst_factor: wgpu::BlendFactor::OneMinusSrcAlpha, operation: wgpu::BlendOperation::Add },
            alpha: wgpu::BlendComponent { src_factor: wgpu::BlendFactor::One, dst_factor: wgpu::BlendFactor::OneMinusSrcAlpha, operation: wgpu::BlendOperation::Add },
        };
        let pipeline = |label: &str, fs: &str| {
            device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                label: Some(label),
                layout: Some(&compose_pipeline_layout),
                vertex: wgpu::VertexState { module: &module, entry_point: Some("full_vs"), compilation_options: Default::default(), buffers: &[] },
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
        let buffer = |label, size, usage| device.create_buffer(&wgpu::BufferDescriptor { label: Some(label), size, usage, mapped_at_creation: false });
        let pixels = (width * height * 4) as u64;
        let view = buffer("render view", std::mem::size_of::<View>() as u64, wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST);
        let counts = buffer("pixel counts", pixels, wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST);
        let classes = buffer("pixel classes", pixels, wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST);
        let labels = buffer("labels", 4, wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST);
        let (background, strokes) = (texture("background"), texture("strokes"));
        let compose_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("compose bind group"),
            layout: &compose_layout,
            entries: &[
                wgpu::BindGroupEntry { binding: 0, resource: view.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 1, resource: wgpu::BindingResource::TextureView(&background.create_view(&Default::default())) },
                wgpu::BindGroupEntry { binding: 2, resource: wgpu::BindingResource::TextureView(&strokes.create_view(&Default::default())) },
                wgpu::BindGroupEntry { binding: 3, resource: counts.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 4, resource: classes.as_entire_binding() },
            ],
        });
        Self {
            width,
            height,
            half_width,
            splat_layout,
            splat_pipeline,
            compose_pipeline: pipeline("compose", "compose_fs"),
            strokes_pipeline: pipeline("strokes", "strokes_fs"),
            view,
            counts,
            classes,
            background,
            strokes,
            strokes_on: false,
            labels,
            label_g: 0,
            label_half_width: 1.0,
            compose_group,
            scratch: None,
        }
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
        }
        queue.write_buffer(&self.labels, 0, bytemuck::cast_slice(&words));
        self.label_g = g as u32;
        self.label_half_width = half_width;
    }

    /// Records the frame into `encoder`: the splat (unless the particles
    /// layer is off), then the render pass (background with the particles,
    /// then the strokes). Particles take their class colours while a label
    /// grid is set.
    pub fn encode(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, encoder: &mut wgpu::CommandEncoder, target: &wgpu::TextureView, points: Points, particles: bool) {
        let (buffer, n) = match points {
            Points::Gpu(b, n) => (b.clone(), n),
            Points::Cpu(xy) => {
                let bytes = (xy.len() * 4).max(8) as u64;
                if self.scratch.as_ref().is_none_or(|b| b.size() < bytes) {
                    self.scratch = Some(device.create_buffer(&wgpu::BufferDescriptor {
                        label: Some("points"),
                        size: bytes.next_power_of_two(),
                        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
                        mapped_at_creation: false,
                    }));
                }
                let b = self.scratch.clone().expect("scratch buffer was just made");
                queue.write_buffer(&b, 0, bytemuck::cast_slice(xy));
                (b, xy.len() / 2)
            }
        };
        let n = if particles { n } else { 0 };
        let mut palette = [[0.0; 4]; 8];
        for (p, c) in palette.iter_mut().zip(PALETTE) {
            *p = rgba(c);
        }
        let view = View {
            size: [self.width, self.height],
            half_width: self.half_width,
            dot_px: dot_size(n) as u32,
            label_g: self.label_g,
            label_half_width: self.label_half_width,
            gain: GAIN,
            n: n as u32,
            plain: rgba(PARTICLE),
            palette,
        };
        queue.write_buffer(&self.view, 0, bytemuck::bytes_of(&view));
        encoder.clear_buffer(&self.counts, 0, None);
        encoder.clear_buffer(&self.classes, 0, None);
        if n > 0 {
            let group = device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("splat bind group"),
                layout: &self.splat_layout,
                entries: &[
                    wgpu::BindGroupEntry { binding: 0, resource: self.view.as_entire_binding() },
                    wgpu::BindGroupEntry { binding: 5, resource: buffer.as_entire_binding() },
                    wgpu::BindGroupEntry { binding: 6, resource: self.counts.as_entire_binding() },
                    wgpu::BindGroupEntry { binding: 7, resource: self.classes.as_entire_binding() },
                    wgpu::BindGroupEntry { binding: 8, resource: self.labels.as_entire_binding() },
                ],
            });
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("splat"), timestamp_writes: None });
            pass.set_pipeline(&self.splat_pipeline);
            pass.set_bind_group(0, &group, &[]);
            pass.dispatch_workgroups((n as u32).div_ceil(64), 1, 1);
        }
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
        pass.set_bind_group(0, &self.compose_group, &[]);
        pass.set_pipeline(&self.compose_pipeline);
        pass.draw(0..3, 0..1);
        if self.strokes_on {
            pass.set_pipeline(&self.strokes_pipeline);
            pass.draw(0..3, 0..1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diffusion_core::assert_wgsl_layout;

    #[test]
    fn the_view_matches_the_wgsl_layout() {
        assert_wgsl_layout!(RENDER_WGSL, "View" => View { size, half_width, dot_px, label_g, label_half_width, gain, n, plain, palette });
    }
}
