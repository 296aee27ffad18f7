// The bench's peer baseline: the same pretrained score MLP and the same step
// plan written with TensorFlow.js (its webgpu and wasm backends), run in the
// same page as the playground. Loaded by e2e/bench.mjs after tf.min.js and
// the backend bundles. Like the playground's kernel it gets the folded first
// layer (the time and class parts precomputed as one bias per level), so
// per step both do the same arithmetic: three dense layers of 128, SiLU, the
// output layer, and x ← c_x x + c_eps ε̂ + c_z z.
window.tfjsBaseline = (() => {
  "use strict";
  const TIME_FREQS = 16, TIME_DIM = 32, CLASS_DIM = 16;

  async function readSafetensors(url) {
    const buf = await (await fetch(url)).arrayBuffer();
    const n = Number(new DataView(buf).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 8, n)));
    return (name) => {
      const { data_offsets: [a, b], shape } = header[name];
      return { values: new Float32Array(buf.slice(8 + n + a, 8 + n + b)), shape };
    };
  }

  // The sinusoidal time features of src/model/mlp.rs::time_embedding.
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
   * Times the first `steps` steps of `plan` (playground.plan():
   * single-evaluation steps) at n particles on TF.js backend `backend`
   * ("webgpu" or "wasm"), unconditional (the null class), after a one-step
   * warm-up. Resolves to { backend, n, steps, seconds }.
   */
  async function run({ backend, weightsUrl, plan, n, steps = plan.cx.length }) {
    if (tf.getBackend() !== backend) {
      if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend ${backend} is unavailable`);
    }
    await tf.ready();
    const get = await readSafetensors(weightsUrl);
    const w0 = get("score.w0"), emb = get("score.class_emb");
    const hidden = w0.shape[0], input = w0.shape[1];
    const nullRow = emb.shape[0] - 1;
    const W0 = tf.tensor2d(w0.values, w0.shape);
    const W0xT = W0.slice([0, 0], [hidden, 2]).transpose();
    const W0t = W0.slice([0, 2], [hidden, TIME_DIM]);
    const W0c = W0.slice([0, 2 + TIME_DIM], [hidden, CLASS_DIM]);
    const eNull = tf.tensor2d(emb.values.slice(nullRow * CLASS_DIM, (nullRow + 1) * CLASS_DIM), [CLASS_DIM, 1]);
    const b0 = tf.tensor1d(get("score.b0").values);
    const dense = (name) => { const w = get(name); return tf.tensor2d(w.values, w.shape).transpose(); };
    const [W1T, W2T, W3T] = ["score.w1", "score.w2", "score.w3"].map(dense);
    const [b1, b2, b3] = ["score.b1", "score.b2", "score.b3"].map((k) => tf.tensor1d(get(k).values));
    if (input !== 2 + TIME_DIM + CLASS_DIM) throw new Error("unexpected score.w0 shape");
    // One folded bias per step: b0 + W0t temb(t) + W0c e_null.
    const classPart = W0c.matMul(eNull).reshape([hidden]).add(b0);
    const biases = Array.from(plan.t, (t) => tf.tidy(() => W0t.matMul(tf.tensor2d(timeEmbedding(t), [TIME_DIM, 1])).reshape([1, hidden]).add(classPart)));

    const step = (x, s) => tf.tidy(() => {
      const h0 = silu(x.matMul(W0xT).add(biases[s]));
      const h1 = silu(h0.matMul(W1T).add(b1));
      const h2 = silu(h1.matMul(W2T).add(b2));
      const eps = h2.matMul(W3T).add(b3);
      const z = tf.randomNormal([n, 2], 0, 1, "float32", 1234 + s);
      return x.mul(plan.cx[s]).add(eps.mul(plan.ceps[s])).add(z.mul(plan.cz[s]));
    });
    const runSteps = async (count) => {
      let x = tf.randomNormal([n, 2], 0, plan.initScale, "float32", 7);
      for (let s = 0; s < count; s++) {
        const next = step(x, s);
        x.dispose();
        x = next;
      }
      const out = await x.data();
      x.dispose();
      return out;
    };
    // Warm-up (shader compilation, buffer pools), then the timed run.
    await runSteps(1);
    const start = performance.now();
    const out = await runSteps(steps);
    const seconds = (performance.now() - start) / 1000;
    const finite = out.every(Number.isFinite);
    tf.dispose([W0, W0xT, W0t, W0c, eNull, b0, W1T, W2T, W3T, b1, b2, b3, classPart, ...biases]);
    if (!finite) throw new Error("the TF.js baseline produced non-finite samples");
    return { backend: `tfjs-${backend}`, n, steps, seconds };
  }

  return { run };
})();
