// The WebGPU view of a run (src/web/gpu_render.rs): the particles are drawn
// straight from the sampler's storage buffer, bound as a per-instance vertex
// buffer, between two images composed on the CPU by web/render.rs — the
// background (data, density) and the strokes (trajectories, arrows;
// premultiplied alpha). No particle is read back to draw a frame.
// The twin of Raster::draw_layers: the same pixel for each particle, the
// same dot size, the same class colours, and "over" blending at
// coverage(1) per particle, which gives Raster's 1 − exp(−gain·count).

struct View {
    // Target size in pixels.
    size: vec2<f32>,
    // Half-width of the square view in data units.
    half_width: f32,
    // Side of a particle's dot in pixels.
    dot_px: f32,
    // Side of the class-label grid (0: no labels, every particle `plain`).
    label_g: u32,
    label_half_width: f32,
    // Opacity of one particle.
    alpha: f32,
    _pad: f32,
    plain: vec4<f32>,
    palette: array<vec4<f32>, 8>,
}

@group(0) @binding(0) var<uniform> view: View;
@group(0) @binding(1) var background: texture_2d<f32>;
@group(0) @binding(2) var strokes: texture_2d<f32>;
// Class of each label-grid cell, row 0 at the bottom (web/layers.rs, LabelGrid).
@group(0) @binding(3) var<storage, read> labels: array<u32>;

// One triangle that covers the target.
@vertex
fn full_vs(@builtin(vertex_index) v: u32) -> @builtin(position) vec4<f32> {
    let uv = vec2<f32>(f32((v << 1u) & 2u), f32(v & 2u));
    return vec4<f32>(uv * 2.0 - 1.0, 0.0, 1.0);
}

@fragment
fn background_fs(@builtin(position) pos: vec4<f32>) -> @location(0) vec4<f32> {
    return textureLoad(background, vec2<i32>(pos.xy), 0);
}

@fragment
fn strokes_fs(@builtin(position) pos: vec4<f32>) -> @location(0) vec4<f32> {
    return textureLoad(strokes, vec2<i32>(pos.xy), 0);
}

struct DotOut {
    @builtin(position) pos: vec4<f32>,
    // Premultiplied colour.
    @location(0) @interpolate(flat) colour: vec4<f32>,
}

// ±Inf and NaN have every exponent bit set (a bit test no optimiser folds away).
fn finite2(x: vec2<f32>) -> bool {
    let e = vec2<u32>(0x7f800000u);
    return all((bitcast<vec2<u32>>(x) & e) != e);
}

// Six vertices per particle: a dot_px × dot_px square from the particle's pixel.
@vertex
fn dot_vs(@builtin(vertex_index) v: u32, @location(0) x: vec2<f32>) -> DotOut {
    var out: DotOut;
    let hw = view.half_width;
    let px = vec2<f32>((x.x + hw) / (2.0 * hw) * view.size.x, (hw - x.y) / (2.0 * hw) * view.size.y);
    if (!finite2(x) || any(px < vec2<f32>(0.0)) || any(px >= view.size)) {
        // Off the view (or not a number): a degenerate triangle outside clip space.
        out.pos = vec4<f32>(-2.0, -2.0, 0.0, 1.0);
        out.colour = vec4<f32>(0.0);
        return out;
    }
    var corners = array<vec2<f32>, 6>(
        vec2<f32>(0.0, 0.0), vec2<f32>(1.0, 0.0), vec2<f32>(0.0, 1.0),
        vec2<f32>(0.0, 1.0), vec2<f32>(1.0, 0.0), vec2<f32>(1.0, 1.0),
    );
    let corner = floor(px) + corners[v] * view.dot_px;
    out.pos = vec4<f32>(corner.x / view.size.x * 2.0 - 1.0, 1.0 - corner.y / view.size.y * 2.0, 0.0, 1.0);
    var rgb = view.plain.rgb;
    if (view.label_g > 0u) {
        let g = i32(view.label_g);
        let lhw = view.label_half_width;
        let f = (x + lhw) / (2.0 * lhw) * f32(view.label_g);
        let cell = clamp(vec2<i32>(f), vec2<i32>(0), vec2<i32>(g - 1));
        rgb = view.palette[labels[cell.y * g + cell.x] % 8u].rgb;
    }
    out.colour = vec4<f32>(rgb * view.alpha, view.alpha);
    return out;
}

@fragment
fn dot_fs(in: DotOut) -> @location(0) vec4<f32> {
    return in.colour;
}
