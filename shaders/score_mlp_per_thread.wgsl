// The pretrained score MLP's ε̂ for CPU-emulated adapters (SwiftShader,
// llvmpipe; see sample_per_thread.wgsl), one invocation per 4 particles,
// each with its hidden layers in per-thread arrays. On a real GPU those
// arrays spill (score_mlp.wgsl is the kernel for GPUs). Twin of ScoreMlp::eps_hat_block
// (core/src/model/mlp.rs), the same sums in the same order (inputs in groups of
// four, each group summed left to right, then added to the accumulator).
//   h0 = SiLU(B[c] + T[level] + W0x x),  h1 = SiLU(W1 h0 + b1),
//   h2 = SiLU(W2 h1 + b2),               ε̂ = W3 h2 + b3
// B[c] is the folded class part of the first layer (row C = the null class,
// used for class = all), T[level] its time part, tabulated on the host per
// level of the step plan (StepPlan::levels).
//
// Also the noisy-input classifier's gradient ∇_x log p(y | x) for classifier
// guidance: log_class_grad, twin of Classifier::grad_log_prob.

// Four particles per invocation (sample_per_thread.wgsl): every weight loaded once
// serves all four, which matters where weight loads dominate (SwiftShader:
// about 70 % of the kernel's time with one particle per invocation). Each
// particle's sums run in the same order as before (and as the CPU's).
struct Acc4 {
    a: vec4<f32>,
    b: vec4<f32>,
    c: vec4<f32>,
    d: vec4<f32>,
}

// One dense layer's group of 4 outputs (rows 4r … 4r+3 of the matrix at
// `w`) for the four particles' hidden vectors.
fn rows4(w: u32, bias: u32, r: u32, ha: ptr<function, array<vec4<f32>, 32>>, hb: ptr<function, array<vec4<f32>, 32>>,
         hc: ptr<function, array<vec4<f32>, 32>>, hd: ptr<function, array<vec4<f32>, 32>>) -> Acc4 {
    let b = weights[bias + r];
    var o = Acc4(b, b, b, b);
    for (var k = 0u; k < G; k++) {
        // Row 4r + i, inputs 4k…: the cooperative kernel's layout (ScoreMlp::gpu_weights).
        let at = w + k * HIDDEN + r;
        let w0 = weights[at];
        let w1 = weights[at + G];
        let w2 = weights[at + 2u * G];
        let w3 = weights[at + 3u * G];
        let a = (*ha)[k];
        o.a += vec4<f32>(dot4(w0, a), dot4(w1, a), dot4(w2, a), dot4(w3, a));
        let bb = (*hb)[k];
        o.b += vec4<f32>(dot4(w0, bb), dot4(w1, bb), dot4(w2, bb), dot4(w3, bb));
        let c = (*hc)[k];
        o.c += vec4<f32>(dot4(w0, c), dot4(w1, c), dot4(w2, c), dot4(w3, c));
        let d = (*hd)[k];
        o.d += vec4<f32>(dot4(w0, d), dot4(w1, d), dot4(w2, d), dot4(w3, d));
    }
    return o;
}

// `n_classes` rows of B precede the null row; class_id ≥ n_classes means all.
//
// Loop iterations matter: llvmpipe (lavapipe, the CI's Vulkan) silently stops
// looping after 65 535 iterations per invocation, shared by all loops. Four
// outputs × four inputs per iteration make one evaluation (of four
// particles) ≈ 2 100 iterations, so the engine runs as many evaluations in
// one invocation as fit in LOOP_BUDGET (gpu.rs); scalar loops took 33 000.
fn eps_hat4(x: array<vec2<f32>, 4>, level: u32, alpha: f32, sigma: f32, class_id: u32, n_classes: u32) -> array<vec2<f32>, 4> {
    let row = select(n_classes, class_id, class_id < n_classes);
    let cb = V_CLASS_BIAS + row * G;
    let tb = level * ROW;
    // The target's reading: the network sees C·x (science::targets).
    let reading = time_bias[tb + G];
    let xin = array<vec2<f32>, 4>(reading.z * x[0], reading.z * x[1], reading.z * x[2], reading.z * x[3]);
    var h0a: array<vec4<f32>, 32>;
    var h0b: array<vec4<f32>, 32>;
    var h0c: array<vec4<f32>, 32>;
    var h0d: array<vec4<f32>, 32>;
    var h1a: array<vec4<f32>, 32>;
    var h1b: array<vec4<f32>, 32>;
    var h1c: array<vec4<f32>, 32>;
    var h1d: array<vec4<f32>, 32>;
    for (var r = 0u; r < G; r++) {
        let base = weights[cb + r] + time_bias[tb + r];
        let wx = weights[r];
        let wy = weights[V_W0X_Y + r];
        h0a[r] = silu(base + wx * xin[0].x + wy * xin[0].y);
        h0b[r] = silu(base + wx * xin[1].x + wy * xin[1].y);
        h0c[r] = silu(base + wx * xin[2].x + wy * xin[2].y);
        h0d[r] = silu(base + wx * xin[3].x + wy * xin[3].y);
    }
    for (var r = 0u; r < G; r++) {
        let o = rows4(V_W1, V_B1, r, &h0a, &h0b, &h0c, &h0d);
        h1a[r] = silu(o.a);
        h1b[r] = silu(o.b);
        h1c[r] = silu(o.c);
        h1d[r] = silu(o.d);
    }
    // The last hidden layer feeds the output as it goes: the same sums, in
    // the same order, as the CPU's separate output pass.
    let b3 = weights[V_B3];
    var e = array<vec2<f32>, 4>(b3.xy, b3.xy, b3.xy, b3.xy);
    for (var r = 0u; r < G; r++) {
        let o = rows4(V_W2, V_B2, r, &h1a, &h1b, &h1c, &h1d);
        let wx = weights[V_W3 + r];
        let wy = weights[V_W3 + G + r];
        let a = silu(o.a);
        e[0] += vec2<f32>(dot4(wx, a), dot4(wy, a));
        let b = silu(o.b);
        e[1] += vec2<f32>(dot4(wx, b), dot4(wy, b));
        let c = silu(o.c);
        e[2] += vec2<f32>(dot4(wx, c), dot4(wy, c));
        let d = silu(o.d);
        e[3] += vec2<f32>(dot4(wx, d), dot4(wy, d));
    }
    for (var i = 0u; i < 4u; i++) {
        e[i] = reading.x * x[i] + reading.y * e[i];
    }
    return e;
}

// ---- The classifier's gradient (mlp_common.wgsl has its layout).
fn log_class_grad(x: vec2<f32>, eps_u: vec2<f32>, level: u32, alpha: f32, sigma: f32, class_id: u32, n_classes: u32) -> vec2<f32> {
    var u0: array<vec4<f32>, 16>;
    var h: array<vec4<f32>, 16>;
    var u1: array<vec4<f32>, 16>;
    var h1: array<vec4<f32>, 16>;
    let tb = level * CLF_HIDDEN;
    for (var r = 0u; r < 16u; r++) {
        let o = 4u * r;
        let wx = vec4<f32>(clf[2u * o], clf[2u * o + 2u], clf[2u * o + 4u], clf[2u * o + 6u]);
        let wy = vec4<f32>(clf[2u * o + 1u], clf[2u * o + 3u], clf[2u * o + 5u], clf[2u * o + 7u]);
        let base = vec4<f32>(clf_bias[tb + o], clf_bias[tb + o + 1u], clf_bias[tb + o + 2u], clf_bias[tb + o + 3u]);
        u0[r] = base + wx * x.x + wy * x.y;
        h[r] = silu(u0[r]);
    }
    for (var r = 0u; r < 16u; r++) {
        var acc = c4(CLF_C1 + 4u * r);
        let row = CLF_W1 + 4u * r * CLF_HIDDEN;
        for (var k = 0u; k < 16u; k++) {
            let hk = h[k];
            acc.x += dot4(c4(row + 4u * k), hk);
            acc.y += dot4(c4(row + CLF_HIDDEN + 4u * k), hk);
            acc.z += dot4(c4(row + 2u * CLF_HIDDEN + 4u * k), hk);
            acc.w += dot4(c4(row + 3u * CLF_HIDDEN + 4u * k), hk);
        }
        u1[r] = acc;
        h1[r] = silu(acc);
    }
    let w2 = CLF_W2;
    let c2 = CLF_W2 + n_classes * CLF_HIDDEN;
    var logits: array<f32, MAX_CLASSES>;
    var m = -0x1.fffffep+127f;
    for (var k = 0u; k < n_classes; k++) {
        var acc = clf[c2 + k];
        for (var j = 0u; j < 16u; j++) {
            acc += dot4(c4(w2 + k * CLF_HIDDEN + 4u * j), h1[j]);
        }
        logits[k] = acc;
        m = max(m, acc);
    }
    var z = 0.0;
    for (var k = 0u; k < n_classes; k++) {
        logits[k] = exp(logits[k] - m);
        z += logits[k];
    }
    // ∂ log p_y / ∂ logit_k = δ_yk − p_k, back through V2, V1, V0x.
    var g_h1: array<vec4<f32>, 16>;
    for (var k = 0u; k < n_classes; k++) {
        let g = select(0.0, 1.0, k == class_id) - logits[k] / z;
        for (var j = 0u; j < 16u; j++) {
            g_h1[j] += g * c4(w2 + k * CLF_HIDDEN + 4u * j);
        }
    }
    var g_h0: array<vec4<f32>, 16>;
    for (var i = 0u; i < 16u; i++) {
        let g = g_h1[i] * dsilu(u1[i]);
        let row = CLF_W1 + 4u * i * CLF_HIDDEN;
        for (var j = 0u; j < 16u; j++) {
            g_h0[j] += g.x * c4(row + 4u * j) + g.y * c4(row + CLF_HIDDEN + 4u * j)
                + g.z * c4(row + 2u * CLF_HIDDEN + 4u * j) + g.w * c4(row + 3u * CLF_HIDDEN + 4u * j);
        }
    }
    var gx = vec2<f32>(0.0);
    for (var r = 0u; r < 16u; r++) {
        let g = g_h0[r] * dsilu(u0[r]);
        let o = 4u * r;
        gx += g.x * vec2<f32>(clf[2u * o], clf[2u * o + 1u]);
        gx += g.y * vec2<f32>(clf[2u * o + 2u], clf[2u * o + 3u]);
        gx += g.z * vec2<f32>(clf[2u * o + 4u], clf[2u * o + 5u]);
        gx += g.w * vec2<f32>(clf[2u * o + 6u], clf[2u * o + 7u]);
    }
    return gx;
}
