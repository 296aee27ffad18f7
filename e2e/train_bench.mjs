// Training bench (issue 12): training steps per second of the playground's
// score network at batch 1 024 on the real page, per backend — WebGPU (the
// hand-written kernels) and the CPU twin (wasm, in frame slices) — beside
// TensorFlow.js training the same network with the same batch, draws and
// optimizer (e2e/tfjs_baseline.js `train`) on its backend of the same kind,
// in the same page. Ours is timed as a user sees it, from train() to its
// end (previews and frames included), and by the trainer's own busy time;
// the CPU run also records the page's long tasks (over 50 ms).
// Writes the train-bench block of BENCHMARKS.md (between its marker comments).
//   node e2e/train_bench.mjs [--runs 2] [--gpu-steps 20] [--cpu-steps 40] [--no-write]
import { execFileSync } from "node:child_process";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { serve, launch, open, CHROMIUM, writeBenchBlock } from "./harness.mjs";

const arg = (name, dflt) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : dflt; };
const RUNS = Number(arg("runs", 2));
const STEPS = { webgpu: Number(arg("gpu-steps", 20)), cpu: Number(arg("cpu-steps", 40)) };
const BATCH = 1024;
const root = fileURLToPath(new URL("../", import.meta.url));
const server = await serve(root + "dist/", {}, { "/tfjs/": root + "node_modules/@tensorflow/", "/bench/": root + "e2e/" });
const browser = await launch({ webgpu: true });
// Ours and TF.js in pages of their own (the same browser): TF.js's work and
// garbage do not land in our long-task count.
const { page } = await open(browser, server.url + "#v=1&dataset=custom&model=exact&backend=webgpu&autoplay=0&n=100&steps=10");
await page.evaluate(() => window.playground.editor.preset("moons"));
const tfPage = (await open(browser, server.url + "#v=1&dataset=moons&model=exact&autoplay=0&n=100&steps=10")).page;
await tfPage.addScriptTag({ url: `${server.url}tfjs/tfjs/dist/tf.min.js` });
await tfPage.addScriptTag({ url: `${server.url}tfjs/tfjs-backend-webgpu/dist/tf-backend-webgpu.min.js` });
await tfPage.addScriptTag({ url: `${server.url}tfjs/tfjs-backend-wasm/dist/tf-backend-wasm.min.js` });
await tfPage.addScriptTag({ url: `${server.url}bench/tfjs_baseline.js` });
const tfjsVersion = await tfPage.evaluate((base) => { tf.wasm.setWasmPaths(base); return tf.version.tfjs; }, `${server.url}tfjs/tfjs-backend-wasm/dist/`);

async function ours(backend) {
  // The backend first (it restarts the page's sampling run), outside the clock.
  await page.evaluate((backend) => window.playground.setConfig({ backend }), backend);
  await page.waitForTimeout(500);
  return page.evaluate(async ([backend, steps, batch]) => {
    const long = [];
    const obs = new PerformanceObserver((l) => { for (const e of l.getEntries()) long.push(e.duration); });
    obs.observe({ type: "longtask" });
    const t0 = performance.now();
    const r = await window.playground.train({ backend, train_steps: steps, batch, train_seed: 1 });
    const wall = (performance.now() - t0) / 1000;
    await new Promise((res) => setTimeout(res, 50));
    obs.disconnect();
    if (r.backend !== backend) throw new Error(`trained on ${r.backend}, not ${backend}`);
    return { wall, busy: r.seconds, steps: r.steps, long: long.filter((d) => d > 50).length, longest: Math.max(0, ...long) };
  }, [backend, STEPS[backend], BATCH]);
}
async function tfjs(backend, steps) {
  return tfPage.evaluate(async ([backend, steps, batch]) => {
    const { x, label } = await window.playground.data(1000, 1);
    return window.tfjsBaseline.train({ backend, points: Array.from(x), labels: Array.from(label), numClasses: 2, batch, steps });
  }, [backend, steps, BATCH]);
}

const median = (a) => { const s = [...a].sort((x, y) => x - y), m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const rate = (runs, f) => { const v = runs.map(f); return `${median(v).toFixed(2)} (${Math.min(...v).toFixed(2)}–${Math.max(...v).toFixed(2)})`; };
const rows = [];
for (const [backend, tfBackend] of [["webgpu", "webgpu"], ["cpu", "wasm"]]) {
  const mine = [], theirs = [];
  for (let r = 0; r < RUNS; r++) {
    mine.push(await ours(backend));
    theirs.push(await tfjs(tfBackend, STEPS[backend]));
    console.log(`${backend}: ours ${(mine.at(-1).steps / mine.at(-1).wall).toFixed(2)} steps/s (busy ${(mine.at(-1).steps / mine.at(-1).busy).toFixed(2)}), long tasks ${mine.at(-1).long}, longest ${mine.at(-1).longest.toFixed(0)} ms; tfjs-${tfBackend} ${(theirs.at(-1).steps / theirs.at(-1).seconds).toFixed(2)} steps/s`);
  }
  const ratio = median(mine.map((m, i) => (m.steps / m.wall) / (theirs[i].steps / theirs[i].seconds)));
  rows.push(`| ${backend === "webgpu" ? "WebGPU" : "CPU (wasm)"} | ${STEPS[backend]} | ${rate(mine, (m) => m.steps / m.wall)} | ${rate(mine, (m) => m.steps / m.busy)} | tfjs-${tfBackend}: ${rate(theirs, (t) => t.steps / t.seconds)} | ${ratio.toFixed(2)}× | ${mine.reduce((n, m) => n + m.long, 0)} in ${RUNS} runs (longest ${Math.max(...mine.map((m) => m.longest)).toFixed(0)} ms) |`);
}
const adapter = await page.evaluate(async () => { const x = await navigator.gpu?.requestAdapter(); const i = x?.info || {}; return `${i.vendor || ""} ${i.architecture || ""} ${i.description || ""}`.trim() || "unnamed"; });
await browser.close();
await server.close();

const rev = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root }).toString().trim();
const chromium = execFileSync(CHROMIUM, ["--version"]).toString().trim();
const block = `## Training in the browser

Written by \`tools/bench.sh\` (e2e/train_bench.mjs) between the train-bench
marker comments; rerun it rather than editing. The playground's score network
trained on a 1 000-point two-moons set at batch ${BATCH.toLocaleString("en")} on the real page
(\`playground.train\`), against TensorFlow.js ${tfjsVersion} training the same
network with the same batch draws, loss, Adam(W) and moving average in
another page of the same browser (e2e/tfjs_baseline.js), on its backend of
the same kind, in rounds alternating with ours. Ours is
timed from \`train()\` to its end as a user sees it (frames, previews and
readbacks included: *steps/s*) and by the trainer's own time (*busy*); TF.js
runs its steps back to back. Median (min–max) of ${RUNS} runs. *Long tasks*:
the page's main-thread tasks over 50 ms during our runs, all runs together,
and the longest (the CPU twin trains in ~10 ms slices of the batch, one task
each, between frames; WebGPU awaits its readbacks). ${/swiftshader/i.test(adapter) ? "**The WebGPU adapter is SwiftShader, which runs WGSL on the CPU**: these WebGPU figures say how the kernels port, not how fast a GPU trains; the targets (WebGPU ≥ 5× TF.js-webgpu) are for a real GPU, which no session has been lent yet." : ""}

| backend | steps | ours, steps/s | ours busy, steps/s | peer, steps/s | ours ÷ peer | long tasks |
|---|---:|---:|---:|---:|---:|---:|
${rows.join("\n")}

Machine: commit ${rev}, ${new Date().toISOString().slice(0, 10)}; ${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores; ${chromium}, headless; WebGPU adapter: ${adapter}.
`;
writeBenchBlock(root, "train-bench", block);
