// Training the score MLP on the GPU (engine::train, issue 12): the CPU
// twin's step as a chain of dispatches over one storage arena (parameters,
// AdamW moments, gradients, the batch and every activation, at offsets the
// engine lays out):
//   draw_batch   the batch from the counter RNG (points, t, ε, x_t, temb,
//                label dropout), as engine::train::TrainBatch::draw;
//   gemm         C = A·B with arbitrary strides (so Aᵀ and Bᵀ are free), a
//                64×64 tile of C a workgroup of 16×16 threads, 4×4 of it a
//                thread, K in steps of 16 through 8 KiB of workgroup
//                memory; epilogues: + bias and SiLU (forward), × SiLU'(z)
//                (backward), or plain — every layer's forward, both
//                backward products, and the bias sums (ones·Δ);
//   loss_grad    the loss terms and ∂L/∂(the output), each weighted (science::targets);
//   clf_loss_grad  the noisy-input classifier's (when it trains beside the
//                score network, through the same gemm products) cross-entropy
//                and ∂L/∂logits;
//   class_grad   the class table's gradient from ∂L/∂u;
//   adamw        candle's AdamW on every parameter at the step's learning
//                rate (warm-up, cosine), and the weights' moving average;
//   advance      the step counter (read by draw_batch and adamw).
// Sums run over k in order, as the CPU twin's.

const TILE: u32 = 64u;
const KT: u32 = 16u;

// GemmParams.mode (engine::train::GemmMode).
const GEMM_PLAIN: u32 = 0u;
const GEMM_SILU: u32 = 1u;
const GEMM_SILU_GRAD: u32 = 2u;

struct GemmParams {
    m: u32,
    n: u32,
    k: u32,
    // GEMM_PLAIN: C = A·B (+ bias); GEMM_SILU: Z = A·B + bias, H = SiLU(Z); GEMM_SILU_GRAD: C = (A·B) · SiLU'(Z).
    mode: u32,
    a_off: u32,
    a_rs: u32,
    a_cs: u32,
    b_off: u32,
    b_rs: u32,
    b_cs: u32,
    c_off: u32,
    c_rs: u32,
    // Offsets of the bias (0xffffffff: none), of H (GEMM_SILU) and of Z (GEMM_SILU_GRAD, row stride c_rs).
    bias_off: u32,
    h_off: u32,
    z_off: u32,
    pad: u32,
}

struct TrainParams {
    batch: u32,
    points: u32,
    num_classes: u32,
    seed: u32,
    t_power: u32,
    // Arena offsets: the points (x, y, label), the frequencies, the batch's input rows u
    // (2 + 32 + 16), its targets (what the network should output) and labels,
    // the class table, the step counter.
    points_off: u32,
    freqs_off: u32,
    u_off: u32,
    target_off: u32,
    label_off: u32,
    emb_off: u32,
    step_off: u32,
    // The output ε̂ (B × 2), ∂L/∂ε̂, the per-sample loss terms.
    out_off: u32,
    dout_off: u32,
    loss_off: u32,
    // ∂L/∂u (B × 50) and the class table's gradient.
    du_off: u32,
    demb_off: u32,
    // AdamW over `params` values: θ, m, v, g at these offsets.
    params: u32,
    theta_off: u32,
    m_off: u32,
    v_off: u32,
    g_off: u32,
    // The EMA of θ; the learning rate's warm-up and total steps (peak `lr`).
    ema_off: u32,
    warmup: u32,
    total: u32,
    t_min: f32,
    beta_min: f32,
    beta_max: f32,
    dropout: f32,
    lr: f32,
    beta1: f32,
    beta2: f32,
    adam_eps: f32,
    weight_decay: f32,
    // What the network learns (science::targets): 0 ε, 1 x0, 2 v, 3 flow;
    // and where each row's loss weight lies.
    target_kind: u32,
    weight_off: u32,
    // 1 when the noisy-input classifier trains too (engine::train's
    // ClassifierParams, after the score network in θ, m, v, g and the EMA):
    // its input rows [x on the VP SDE, temb] (B × 34), the rows' own
    // classes, its logits and ∂L/∂logits (B × C), its loss terms.
    clf: u32,
    clf_u_off: u32,
    clf_label_off: u32,
    logits_off: u32,
    dlogits_off: u32,
    clf_loss_off: u32,
    pad: vec2<u32>,
}

@group(0) @binding(0) var<uniform> gp: GemmParams;
@group(0) @binding(1) var<uniform> tp: TrainParams;
@group(0) @binding(2) var<storage, read_write> arena: array<f32>;

var<workgroup> a_tile: array<f32, 1024>; // TILE × KT
var<workgroup> b_tile: array<f32, 1024>; // KT × TILE

const INPUT: u32 = 50u;
const TIME_FREQS: u32 = 16u;

fn sigmoid(z: f32) -> f32 {
    return 1.0 / (1.0 + exp(-z));
}

// sin and cos of an f32 argument up to a few thousand, reduced by 2π in
// three parts (Cody–Waite) so the result matches a correctly rounded libm
// to about 1e-7.
fn sin_cos(x: f32) -> vec2<f32> {
    let k = round(x * 0.15915494309189535);
    let r = ((x - k * 6.28125) - k * 1.9350051879882812e-3) - k * 3.0199159819e-7;
    return vec2<f32>(sin(r), cos(r));
}

@compute @workgroup_size(64)
fn draw_batch(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    if (i >= tp.batch) {
        return;
    }
    let step = u32(arena[tp.step_off]);
    let h = hash_key(tp.seed, i, step, 3u);
    let k = min(u32(unit(h.z) * f32(tp.points)), tp.points - 1u);
    // u^p by multiplication (exact where the CPU's powi is).
    let u = unit(h.x);
    var up = 1.0;
    for (var q = 0u; q < tp.t_power; q++) {
        up *= u;
    }
    let t = tp.t_min + (1.0 - tp.t_min) * up;
    let e = gaussian2(tp.seed, i, step, 4u);
    let p = vec2<f32>(arena[tp.points_off + 3u * k], arena[tp.points_off + 3u * k + 1u]);
    // The input, target and loss weight of science::targets::Target::training_pair.
    let ab = exp(-(tp.beta_min * t + 0.5 * (tp.beta_max - tp.beta_min) * t * t));
    let a = sqrt(ab);
    let s = sqrt(1.0 - ab);
    let x_vp = a * p + s * e;
    var xt = (1.0 - t) * p + t * e;
    var y = e - p;
    var w = (1.0 - t) * (1.0 - t);
    if (tp.target_kind != 3u) {
        xt = x_vp;
        y = e;
        w = 1.0;
        if (tp.target_kind == 1u) {
            y = p;
            w = (a / s) * (a / s);
        } else if (tp.target_kind == 2u) {
            y = a * e - s * p;
            w = a * a;
        }
    }
    let own_class = u32(arena[tp.points_off + 3u * k + 2u]);
    var label = own_class;
    if (unit(h.y) < tp.dropout) {
        label = tp.num_classes;
    }
    let row = tp.u_off + i * INPUT;
    arena[row] = xt.x;
    arena[row + 1u] = xt.y;
    for (var j = 0u; j < TIME_FREQS; j++) {
        let sc = sin_cos(1000.0 * t * arena[tp.freqs_off + j]);
        arena[row + 2u + j] = sc.x;
        arena[row + 2u + TIME_FREQS + j] = sc.y;
    }
    for (var j = 0u; j < 16u; j++) {
        arena[row + 34u + j] = arena[tp.emb_off + label * 16u + j];
    }
    arena[tp.target_off + 2u * i] = y.x;
    arena[tp.target_off + 2u * i + 1u] = y.y;
    arena[tp.weight_off + i] = w;
    arena[tp.label_off + i] = f32(label);
    // The classifier's row: the same point, noise and time on the VP SDE, its own class.
    if (tp.clf != 0u) {
        let crow = tp.clf_u_off + i * 34u;
        arena[crow] = x_vp.x;
        arena[crow + 1u] = x_vp.y;
        for (var j = 0u; j < 32u; j++) {
            arena[crow + 2u + j] = arena[row + 2u + j];
        }
        arena[tp.clf_label_off + i] = f32(own_class);
    }
}

@compute @workgroup_size(16, 16)
fn gemm(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let row0 = wid.y * TILE;
    let col0 = wid.x * TILE;
    let tid = lid.y * 16u + lid.x;
    var acc: array<f32, 16>;
    for (var q = 0u; q < 16u; q++) {
        acc[q] = 0.0;
    }
    for (var k0 = 0u; k0 < gp.k; k0 += KT) {
        // 256 threads load the 64×16 slab of A and the 16×64 slab of B, 4 values each.
        for (var q = 0u; q < 4u; q++) {
            let e = tid + q * 256u;
            let ar = e / KT;
            let ak = e % KT;
            var av = 0.0;
            if (row0 + ar < gp.m && k0 + ak < gp.k) {
                av = arena[gp.a_off + (row0 + ar) * gp.a_rs + (k0 + ak) * gp.a_cs];
            }
            a_tile[e] = av;
            let bk = e / TILE;
            let bc = e % TILE;
            var bv = 0.0;
            if (k0 + bk < gp.k && col0 + bc < gp.n) {
                bv = arena[gp.b_off + (k0 + bk) * gp.b_rs + (col0 + bc) * gp.b_cs];
            }
            b_tile[e] = bv;
        }
        workgroupBarrier();
        let kk = min(KT, gp.k - k0);
        for (var k = 0u; k < kk; k++) {
            var a: array<f32, 4>;
            var b: array<f32, 4>;
            for (var r = 0u; r < 4u; r++) {
                a[r] = a_tile[(lid.y * 4u + r) * KT + k];
                b[r] = b_tile[k * TILE + lid.x * 4u + r];
            }
            for (var r = 0u; r < 4u; r++) {
                for (var c = 0u; c < 4u; c++) {
                    acc[r * 4u + c] = acc[r * 4u + c] + a[r] * b[c];
                }
            }
        }
        workgroupBarrier();
    }
    for (var r = 0u; r < 4u; r++) {
        let i = row0 + lid.y * 4u + r;
        for (var c = 0u; c < 4u; c++) {
            let j = col0 + lid.x * 4u + c;
            if (i >= gp.m || j >= gp.n) {
                continue;
            }
            var v = acc[r * 4u + c];
            if (gp.bias_off != 0xffffffffu) {
                v = arena[gp.bias_off + j] + v;
            }
            let at = i * gp.c_rs + j;
            if (gp.mode == GEMM_SILU) {
                arena[gp.c_off + at] = v;
                arena[gp.h_off + at] = v * sigmoid(v);
            } else if (gp.mode == GEMM_SILU_GRAD) {
                let z = arena[gp.z_off + at];
                let s = sigmoid(z);
                arena[gp.c_off + at] = v * s * (1.0 + z * (1.0 - s));
            } else {
                arena[gp.c_off + at] = v;
            }
        }
    }
}

@compute @workgroup_size(64)
fn loss_grad(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    if (i >= tp.batch) {
        return;
    }
    let scale = 2.0 / f32(2u * tp.batch);
    let w = arena[tp.weight_off + i];
    let r = vec2<f32>(arena[tp.out_off + 2u * i] - arena[tp.target_off + 2u * i], arena[tp.out_off + 2u * i + 1u] - arena[tp.target_off + 2u * i + 1u]);
    arena[tp.loss_off + i] = w * dot(r, r);
    arena[tp.dout_off + 2u * i] = scale * w * r.x;
    arena[tp.dout_off + 2u * i + 1u] = scale * w * r.y;
}

// The classifier's cross-entropy (candle's cross_entropy: the mean over
// the batch) and ∂L/∂logits = (softmax − onehot)/B, a row a thread.
@compute @workgroup_size(64)
fn clf_loss_grad(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    if (i >= tp.batch) {
        return;
    }
    let c = tp.num_classes;
    let row = tp.logits_off + i * c;
    var m = arena[row];
    for (var k = 1u; k < c; k++) {
        m = max(m, arena[row + k]);
    }
    var sum = 0.0;
    for (var k = 0u; k < c; k++) {
        sum += exp(arena[row + k] - m);
    }
    let y = u32(arena[tp.clf_label_off + i]);
    arena[tp.clf_loss_off + i] = m + log(sum) - arena[row + y];
    let inv_b = 1.0 / f32(tp.batch);
    for (var k = 0u; k < c; k++) {
        arena[tp.dlogits_off + i * c + k] = (exp(arena[row + k] - m) / sum - select(0.0, 1.0, k == y)) * inv_b;
    }
}

@compute @workgroup_size(64)
fn class_grad(@builtin(global_invocation_id) gid: vec3<u32>) {
    let e = gid.x;
    if (e >= (tp.num_classes + 1u) * 16u) {
        return;
    }
    let c = e / 16u;
    let j = e % 16u;
    var g = 0.0;
    for (var b = 0u; b < tp.batch; b++) {
        if (u32(arena[tp.label_off + b]) == c) {
            g += arena[tp.du_off + b * INPUT + 34u + j];
        }
    }
    arena[tp.demb_off + e] = g;
}

// Step `step`'s learning rate: linear warm-up, then a cosine decay to 0.5 % (engine::train::Recipe::lr_at).
fn lr_at(step: u32) -> f32 {
    if (step < tp.warmup) {
        return tp.lr * f32(step + 1u) / f32(tp.warmup);
    }
    let p = min(f32(step - tp.warmup) / f32(max(tp.total - min(tp.total, tp.warmup), 1u)), 1.0);
    return tp.lr * 0.5 * max(1.0 + cos(3.14159265358979 * p), 0.01);
}

@compute @workgroup_size(64)
fn adamw(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let p = gid.y * groups.x * 64u + gid.x;
    if (p >= tp.params) {
        return;
    }
    let step = u32(arena[tp.step_off]);
    let t = f32(step + 1u);
    let lr = lr_at(step);
    let scale_m = 1.0 / (1.0 - pow(tp.beta1, t));
    let scale_v = 1.0 / (1.0 - pow(tp.beta2, t));
    let g = arena[tp.g_off + p];
    let m = arena[tp.m_off + p] * tp.beta1 + g * (1.0 - tp.beta1);
    let v = arena[tp.v_off + p] * tp.beta2 + g * g * (1.0 - tp.beta2);
    arena[tp.m_off + p] = m;
    arena[tp.v_off + p] = v;
    let adjusted = (m * scale_m) / (sqrt(v * scale_v) + tp.adam_eps);
    let theta = arena[tp.theta_off + p] * (1.0 - lr * tp.weight_decay) - adjusted * lr;
    arena[tp.theta_off + p] = theta;
    // The EMA the run keeps: min(0.999, (1 + step)/(10 + step)).
    let decay = min(f32(1u + step) / f32(10u + step), 0.999);
    arena[tp.ema_off + p] = decay * arena[tp.ema_off + p] + (1.0 - decay) * theta;
}

@compute @workgroup_size(1)
fn advance() {
    arena[tp.step_off] = arena[tp.step_off] + 1.0;
}
