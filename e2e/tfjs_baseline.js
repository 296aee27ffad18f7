// The bench's peer baseline: the same pretrained score MLP and the same step
// plan written with TensorFlow.js (its webgpu and wasm backends), run in the
// same page as the playground. Loaded by e2e/bench.mjs after tf.min.js and
// the backend bundles. Like the playground's kernel it gets the folded first
// layer (the time and class parts precomputed as one bias per level), so
// per step both do the same arithmetic: three dense layers of 128, SiLU, the
// output layer, and x ← c_x x + c_eps ε̂ + c_z z.
//
// Two variants of that arithmetic:
// - "plain": tf.matMul, then .add(bias), SiLU as x·sigmoid(x), and the update
//   as written above (the straightforward port);
// - "fused": tf.fused.matMul with the bias added in the matmul (TF.js has no
//   fused SiLU: its fusable activations are linear, relu, relu6, prelu,
//   leakyrelu, sigmoid and elu, so SiLU stays h·sigmoid(h) on the fused
//   matmul's output), c_eps folded into the last layer (W3 and b3 scaled by
//   c_eps of each step, before the clock), the step's scalars made tensors
//   before the clock, and the update as one addN of x·c_x, the scaled ε̂ and
//   z·c_z. The same math, fewer kernels per step.
//
// The noise is not part of what is timed: x_T and every step's z are drawn
// (tf.randomNormal, fixed seeds) and moved to the backend's memory before the
// clock starts, so both variants see the same noise and give the same
// samples up to float rounding (the bench checks that).
window.tfjsBaseline = (() => {
  "use strict";
  const TIME_FREQS = 16, TIME_DIM = 32, CLASS_DIM = 16;

  const weightCache = new Map();
  async function readSafetensors(url) {
    if (!weightCache.has(url)) {
      const buf = await (await fetch(url)).arrayBuffer();
      const n = Number(new DataView(buf).getBigUint64(0, true));
      const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 8, n)));
      weightCache.set(url, (name) => {
        const { data_offsets: [a, b], shape } = header[name];
        return { values: new Float32Array(buf.slice(8 + n + a, 8 + n + b)), shape };
      });
    }
    return weightCache.get(url);
  }

  // The sinusoidal time features of core/src/model/mlp.rs::time_embedding.
  function timeEmbedding(t) {
    const e = new Float32Array(TIME_DIM);
    for (let j = 0; j < TIME_FREQS; j++) {
      const arg = 1000 * t * Math.exp((-Math.log(10000) * j) / TIME_FREQS);
      e[j] = Math.sin(arg);
      e[TIME_FREQS + j] = Math.cos(arg);
    }
    return e;
  }

  const silu = (v) => v.mul(tf.sigmoid(v));

  /**
   * Puts tensors in the backend's memory now. TF.js's webgpu backend keeps a
   * tensor made from JS values (tf.randomNormal, tf.tensor) on the CPU until
   * a kernel first reads it, so without this the first step to use each z
   * would pay its upload inside the timed region. The wasm backend copies
   * into its heap at creation already.
   */
  async function materialize(tensors, matrix) {
    const backend = tf.backend();
    if (typeof backend.uploadToGPU === "function") {
      for (const t of tensors) backend.uploadToGPU(t.dataId);
    }
    // A tiny read after the uploads (`matrix`: any rank-2 tensor): the queue
    // runs in order, so when it resolves every upload before it has finished.
    const probe = tf.tidy(() => matrix.slice([0, 0], [1, 1]).add(0));
    await probe.data();
    probe.dispose();
  }

  /**
   * Times the steps of `plan` (playground.plan(): single-evaluation steps;
   * all of them unless `steps` says fewer) at n particles on TF.js backend
   * `backend` ("webgpu" or "wasm"), `variant` "plain" or "fused",
   * unconditional (the null class), after a one-step warm-up. Resolves to
   * { backend: "tfjs-<backend>[-fused]", variant, n, steps, seconds, head }
   * (head: the first 64 coordinates of the samples).
   */
  async function run({ backend, variant = "plain", weightsUrl, plan, n, steps = plan.cx.length }) {
    if (variant !== "plain" && variant !== "fused") throw new Error(`unknown TF.js variant ${variant}`);
    if (steps > plan.cx.length) throw new Error(`the plan has ${plan.cx.length} steps, ${steps} asked for`);
    if (tf.getBackend() !== backend) {
      if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend ${backend} is unavailable`);
    }
    await tf.ready();
    const fused = variant === "fused";
    const get = await readSafetensors(weightsUrl);
    const w0 = get("score.w0"), emb = get("score.class_emb");
    const hidden = w0.shape[0], input = w0.shape[1];
    if (input !== 2 + TIME_DIM + CLASS_DIM) throw new Error("unexpected score.w0 shape");
    const nullRow = emb.shape[0] - 1;
    // Everything made before the clock, in one tidy: what the steps use is
    // kept (and disposed at the end), the intermediates go at once.
    const w = tf.tidy(() => {
      const W0 = tf.tensor2d(w0.values, w0.shape);
      const W0t = W0.slice([0, 2], [hidden, TIME_DIM]);
      const W0c = W0.slice([0, 2 + TIME_DIM], [hidden, CLASS_DIM]);
      const eNull = tf.tensor2d(emb.values.slice(nullRow * CLASS_DIM, (nullRow + 1) * CLASS_DIM), [CLASS_DIM, 1]);
      const dense = (name) => { const m = get(name); return tf.tensor2d(m.values, m.shape).transpose(); };
      const bias = (name) => tf.tensor1d(get(name).values);
      const [W1T, W2T, W3T] = ["score.w1", "score.w2", "score.w3"].map(dense);
      const [b1, b2, b3] = ["score.b1", "score.b2", "score.b3"].map(bias);
      // One folded bias per step: b0 + W0t temb(t) + W0c e_null. Rank 1: the
      // wasm backend's fused matmul takes only a rank-1 bias.
      const classPart = W0c.matMul(eNull).reshape([hidden]).add(bias("score.b0"));
      const perStep = (f) => Array.from({ length: steps }, (_, s) => f(s));
      const biases = perStep((s) => W0t.matMul(tf.tensor2d(timeEmbedding(plan.t[s]), [TIME_DIM, 1])).reshape([hidden]).add(classPart));
      const common = {
        W0xT: W0.slice([0, 0], [hidden, 2]).transpose(), W1T, W2T, W3T, b1, b2, b3, biases,
        // The noise: x_T and one z per step, the same seeds for both variants.
        xT: tf.randomNormal([n, 2], 0, plan.initScale, "float32", 7),
        zs: perStep((s) => tf.randomNormal([n, 2], 0, 1, "float32", 1234 + s)),
      };
      if (!fused) return common;
      // c_eps folded into the output layer, and the scalars as tensors, per step.
      return {
        ...common,
        W3s: perStep((s) => W3T.mul(plan.ceps[s])), b3s: perStep((s) => b3.mul(plan.ceps[s])),
        cx: perStep((s) => tf.scalar(plan.cx[s])), cz: perStep((s) => tf.scalar(plan.cz[s])),
      };
    });
    const keep = Object.values(w).flat();
    const { W0xT, W1T, W2T, W3T, b1, b2, b3, biases, xT, zs } = w;

    let step;
    if (!fused) {
      step = (x, s) => tf.tidy(() => {
        const h0 = silu(x.matMul(W0xT).add(biases[s]));
        const h1 = silu(h0.matMul(W1T).add(b1));
        const h2 = silu(h1.matMul(W2T).add(b2));
        const eps = h2.matMul(W3T).add(b3);
        return x.mul(plan.cx[s]).add(eps.mul(plan.ceps[s])).add(zs[s].mul(plan.cz[s]));
      });
    } else {
      const { W3s, b3s, cx, cz } = w;
      const layer = (a, b, bias) => {
        const pre = tf.fused.matMul({ a, b, bias });
        return pre.mul(tf.sigmoid(pre));
      };
      step = (x, s) => tf.tidy(() => {
        const h0 = layer(x, W0xT, biases[s]);
        const h1 = layer(h0, W1T, b1);
        const h2 = layer(h1, W2T, b2);
        const epsScaled = tf.fused.matMul({ a: h2, b: W3s[s], bias: b3s[s] });
        return tf.addN([x.mul(cx[s]), epsScaled, zs[s].mul(cz[s])]);
      });
    }
    await materialize(keep, xT);

    // x_T and the z's stay (the warm-up uses them too): only the iterates are disposed.
    const runSteps = async (count) => {
      let x = xT;
      for (let s = 0; s < count; s++) {
        const next = step(x, s);
        if (x !== xT) x.dispose();
        x = next;
      }
      const out = await x.data();
      if (x !== xT) x.dispose();
      return out;
    };
    // Warm-up (shader compilation, buffer pools), then the timed run.
    await runSteps(1);
    const start = performance.now();
    const out = await runSteps(steps);
    const seconds = (performance.now() - start) / 1000;
    const finite = out.every(Number.isFinite);
    tf.dispose(keep);
    if (!finite) throw new Error(`the TF.js baseline (${variant}) produced non-finite samples`);
    return { backend: `tfjs-${backend}${fused ? "-fused" : ""}`, variant, n, steps, seconds, head: Array.from(out.subarray(0, 64)) };
  }

  /**
   * The training peer (issue 12): the playground's network — input
   * [x_t, temb(t), E[c]] (2 + 32 + 16), three SiLU layers of 128, 2 outputs,
   * the class table E with a null row — trained the way the page trains it
   * (engine::train): each step draws a batch on the device (uniform points,
   * t = T_MIN + (1 − T_MIN)u², ε, x_t on the VP SDE, labels dropped to the
   * null class at 15 %), takes the mean squared error of ε̂ − ε, an Adam step
   * (AdamW with λ = 0, as the recipe's default) and the weights' moving
   * average. `points` and `labels` are the data (2N coordinates, N classes).
   * Times `steps` steps after 3 warm-up steps; resolves to
   * { backend, batch, steps, seconds, loss }.
   */
  async function train({ backend, points, labels, numClasses, batch, steps, lr = 0.01 }) {
    if (tf.getBackend() !== backend) {
      if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend ${backend} is unavailable`);
    }
    await tf.ready();
    const T_MIN = 1e-3, BETA_MIN = 0.1, BETA_MAX = 20, DROPOUT = 0.15, HIDDEN = 128, INPUT = 2 + TIME_DIM + CLASS_DIM;
    const n = labels.length;
    const data = tf.tensor2d(points, [n, 2]);
    const lab = tf.tensor1d(labels, "int32");
    const freqs = tf.tensor2d(Array.from({ length: TIME_FREQS }, (_, j) => 1000 * Math.exp((-Math.log(10000) * j) / TIME_FREQS)), [1, TIME_FREQS]);
    // Uniform in ±1/√fan-in, the class table in ±√3 (engine::train::ScoreParams::init).
    const u = (shape, bound, seed) => tf.variable(tf.randomUniform(shape, -bound, bound, "float32", seed));
    const params = [
      u([INPUT, HIDDEN], 1 / Math.sqrt(INPUT), 1), u([HIDDEN], 1 / Math.sqrt(INPUT), 2),
      u([HIDDEN, HIDDEN], 1 / Math.sqrt(HIDDEN), 3), u([HIDDEN], 1 / Math.sqrt(HIDDEN), 4),
      u([HIDDEN, HIDDEN], 1 / Math.sqrt(HIDDEN), 5), u([HIDDEN], 1 / Math.sqrt(HIDDEN), 6),
      u([HIDDEN, 2], 1 / Math.sqrt(HIDDEN), 7), u([2], 1 / Math.sqrt(HIDDEN), 8),
      u([numClasses + 1, CLASS_DIM], Math.sqrt(3), 9),
    ];
    const ema = params.map((p) => tf.variable(p.clone(), false));
    const [W0, b0, W1, b1, W2, b2, W3, b3, E] = params;
    const opt = tf.train.adam(lr, 0.9, 0.999, 1e-8);
    let k = 0;
    const step = () => {
      k += 1;
      const loss = opt.minimize(() => {
        const idx = tf.randomUniform([batch], 0, n, "int32", 100 + k);
        const x0 = tf.gather(data, idx);
        const drop = tf.randomUniform([batch], 0, 1, "float32", 200 + k).less(DROPOUT);
        const c = tf.where(drop, tf.fill([batch], numClasses, "int32"), tf.gather(lab, idx));
        const t = tf.randomUniform([batch, 1], 0, 1, "float32", 300 + k).square().mul(1 - T_MIN).add(T_MIN);
        const logAb = t.mul(BETA_MIN).add(t.square().mul(0.5 * (BETA_MAX - BETA_MIN))).neg();
        const a = logAb.mul(0.5).exp(), s = tf.scalar(1).sub(logAb.exp()).sqrt();
        const eps = tf.randomNormal([batch, 2], 0, 1, "float32", 400 + k);
        const xt = x0.mul(a).add(eps.mul(s));
        const arg = t.matMul(freqs);
        // The class rows as a one-hot product (TF.js's wasm backend has no
        // gradient for gather: UnsortedSegmentSum is not registered there).
        const input = tf.concat([xt, arg.sin(), arg.cos(), tf.oneHot(c, numClasses + 1).matMul(E)], 1);
        const h0 = silu(input.matMul(W0).add(b0));
        const h1 = silu(h0.matMul(W1).add(b1));
        const h2 = silu(h1.matMul(W2).add(b2));
        return tf.losses.meanSquaredError(eps, h2.matMul(W3).add(b3));
      }, true, params);
      tf.tidy(() => {
        const d = Math.min(0.999, (1 + k) / (10 + k));
        ema.forEach((e, i) => e.assign(e.mul(d).add(params[i].mul(1 - d))));
      });
      return loss;
    };
    for (let i = 0; i < 3; i++) { const l = step(); await l.data(); l.dispose(); }
    const start = performance.now();
    let last = null;
    for (let i = 0; i < steps; i++) { last?.dispose(); last = step(); }
    const loss = (await last.data())[0];
    const seconds = (performance.now() - start) / 1000;
    last.dispose();
    tf.dispose([data, lab, freqs, ...params, ...ema]);
    opt.dispose();
    if (!Number.isFinite(loss)) throw new Error("the TF.js trainer's loss is not finite");
    return { backend: `tfjs-${backend}`, batch, steps, seconds, loss };
  }

  return { run, train };
})();
