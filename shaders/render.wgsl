// The WebGPU view of a run (src/web/gpu_render.rs), twin of
// Raster::draw_layers, in two passes and no readback:
//   1. `splat` (compute): each particle, read straight from the sampler's
//      storage buffer, adds one to the count of the dot_px × dot_px pixels of
//      its dot (and marks their class);
//   2. a render pass: `compose_fs` lays the particle intensity
//      1 − exp(−gain·count) in its class colour over the background image
//      (data, density), then `strokes_fs` blends the strokes image
//      (trajectories, arrows; premultiplied alpha) over that.
// Counting per pixel, as Raster does, costs one atomic per covered pixel
// whatever the rasteriser (a software one included), and gives the same
// picture at a thousand particles and at a million.

struct View {
    // Target size in pixels.
    size: vec2<u32>,
    // Half-width of the square view in data units.
    half_width: f32,
    // Side of a particle's dot in pixels.
    dot_px: u32,
    // Side of the class-label grid (0: no labels, every particle `plain`).
    label_g: u32,
    label_half_width: f32,
    // 1 − exp(−gain·count) takes this gain.
    gain: f32,
    // Particles in `points`.
    n: u32,
    plain: vec4<f32>,
    palette: array<vec4<f32>, 8>,
}

@group(0) @binding(0) var<uniform> view: View;

// Render pass.
@group(0) @binding(1) var background: texture_2d<f32>;
@group(0) @binding(2) var strokes: texture_2d<f32>;
@group(0) @binding(3) var<storage, read> counts: array<u32>;
// Per pixel: 0 no class, else 1 + the largest class among its particles.
@group(0) @binding(4) var<storage, read> classes: array<u32>;

// Splat pass.
@group(0) @binding(5) var<storage, read> points: array<vec2<f32>>;
@group(0) @binding(6) var<storage, read_write> counts_rw: array<atomic<u32>>;
@group(0) @binding(7) var<storage, read_write> classes_rw: array<atomic<u32>>;
// Class of each label-grid cell, row 0 at the bottom (web/layers.rs, LabelGrid).
@group(0) @binding(8) var<storage, read> labels: array<u32>;

// ±Inf and NaN have every exponent bit set (a bit test no optimiser folds away).
fn finite2(x: vec2<f32>) -> bool {
    let e = vec2<u32>(0x7f800000u);
    return all((bitcast<vec2<u32>>(x) & e) != e);
}

@compute @workgroup_size(64)
fn splat(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    if (i >= view.n) {
        return;
    }
    let x = points[i];
    let size = vec2<f32>(view.size);
    let hw = view.half_width;
    // Raster::pixel: NaN, ±Inf and points off the view light nothing.
    let px = vec2<f32>((x.x + hw) / (2.0 * hw) * size.x, (hw - x.y) / (2.0 * hw) * size.y);
    if (!finite2(x) || any(px < vec2<f32>(0.0)) || any(px >= size)) {
        return;
    }
    var class_mark = 0u;
    if (view.label_g > 0u) {
        let g = i32(view.label_g);
        let lhw = view.label_half_width;
        let f = (x + lhw) / (2.0 * lhw) * f32(view.label_g);
        let cell = clamp(vec2<i32>(f), vec2<i32>(0), vec2<i32>(g - 1));
        class_mark = 1u + labels[cell.y * g + cell.x];
    }
    let base = vec2<u32>(px);
    for (var dy = 0u; dy < view.dot_px; dy++) {
        for (var dx = 0u; dx < view.dot_px; dx++) {
            let p = base + vec2<u32>(dx, dy);
            if (p.x < view.size.x && p.y < view.size.y) {
                let k = p.y * view.size.x + p.x;
                atomicAdd(&counts_rw[k], 1u);
                if (class_mark > 0u) {
                    atomicMax(&classes_rw[k], class_mark);
                }
            }
        }
    }
}

// One triangle that covers the target.
@vertex
fn full_vs(@builtin(vertex_index) v: u32) -> @builtin(position) vec4<f32> {
    let uv = vec2<f32>(f32((v << 1u) & 2u), f32(v & 2u));
    return vec4<f32>(uv * 2.0 - 1.0, 0.0, 1.0);
}

@fragment
fn compose_fs(@builtin(position) pos: vec4<f32>) -> @location(0) vec4<f32> {
    let p = vec2<u32>(pos.xy);
    let bg = textureLoad(background, vec2<i32>(p), 0);
    let k = p.y * view.size.x + p.x;
    let c = counts[k];
    if (c == 0u) {
        return vec4<f32>(bg.rgb, 1.0);
    }
    var colour = view.plain.rgb;
    let mark = classes[k];
    if (mark > 0u) {
        colour = view.palette[(mark - 1u) % 8u].rgb;
    }
    let a = 1.0 - exp(-view.gain * f32(c));
    return vec4<f32>(mix(bg.rgb, colour, a), 1.0);
}

@fragment
fn strokes_fs(@builtin(position) pos: vec4<f32>) -> @location(0) vec4<f32> {
    return textureLoad(strokes, vec2<i32>(pos.xy), 0);
}
