// Bench: particle-steps and network evaluations per second for every sampler,
// per backend and particle count, in headless Chromium on the real page
// (playground.bench, no drawing) — and, in the same browser run, the same
// model and the same DDPM plan written with TensorFlow.js (webgpu and wasm
// backends; a plain and a fused variant, e2e/tfjs_baseline.js) as the peer
// baseline. Every configuration runs --runs times, in rounds that alternate
// ours and TF.js, and is reported as median (min–max). Writes its part of
// BENCHMARKS.md (between the browser-bench marker comments; the rest of the
// file is other tools') with the tables, the DDPM ratios and the machine.
// Then the animation itself: frames per second, frame gaps, main-thread time
// per frame, long tasks and bytes read back per frame while the page samples
// and draws.
//   node e2e/bench.mjs [--steps 16] [--runs 5] [--sizes 4096,65536,262144] [--dataset gaussians8]
//                      [--model learned|exact] [--no-write]
//                      [--smooth-only] [--dist DIR]   (the animation table only, of the build in DIR)
// --sizes: the WebGPU particle counts (the CPU runs 4 096). On SwiftShader the
// default takes about half an hour (TF.js-webgpu at 262 144 particles alone
// is minutes a run).
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { serve, launch, open, CHROMIUM } from "./harness.mjs";

const arg = (name, dflt) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : dflt; };
const STEPS = Number(arg("steps", 16));
const RUNS = Number(arg("runs", 5));
const DATASET = arg("dataset", "gaussians8");
const MODEL = arg("model", "learned");
if (!(Number.isInteger(RUNS) && RUNS >= 1)) throw new Error(`--runs takes a positive integer, not ${arg("runs")}`);
const GPU_SIZES = arg("sizes", "4096,65536,262144").split(",").map(Number);
if (!GPU_SIZES.every((n) => Number.isInteger(n) && n >= 1)) throw new Error(`--sizes takes particle counts, not ${arg("sizes")}`);
// Ours on each device kind against the TF.js backend of the same kind.
const DEVICES = [
  { ours: "webgpu", tf: "webgpu", sizes: GPU_SIZES },
  { ours: "cpu", tf: "wasm", sizes: [4096] },
];
const VARIANTS = ["plain", "fused"];
// Every sampler, with its own parameters (Langevin: k per level; PC: m correctors).
const SAMPLERS = [
  ["ddpm", {}], ["ddim", { eta: 0 }], ["em", {}], ["ode_euler", {}], ["heun", {}],
  ["dpmpp2m", {}], ["langevin", { k: 2 }], ["pc", { m: 1 }],
];
// TF.js runs the learned MLP; against the exact score there is nothing to compare.
const WITH_TFJS = MODEL === "learned";

const root = fileURLToPath(new URL("../", import.meta.url));
const server = await serve(arg("dist", root + "dist/"), {}, { "/tfjs/": root + "node_modules/@tensorflow/", "/bench/": root + "e2e/" });
const browser = await launch({ webgpu: true });

// The WebGPU adapter the page gets, and whether it is a CPU implementation.
async function queryAdapter(page) {
  return page.evaluate(async () => {
    const a = await navigator.gpu?.requestAdapter();
    if (!a) return null;
    const i = a.info || {};
    return { vendor: i.vendor || "", architecture: i.architecture || "", description: i.description || "", device: i.device || "", fallback: Boolean(a.isFallbackAdapter ?? i.isFallbackAdapter) };
  });
}
function adapterKind(a) {
  if (!a) return { name: "none", cpu: true, note: "no WebGPU adapter" };
  const name = `${a.vendor} ${a.architecture} ${a.description}`.replace(/\s+/g, " ").trim() || "unnamed adapter";
  const all = `${a.vendor} ${a.architecture} ${a.description} ${a.device}`.toLowerCase();
  const emulator = [["swiftshader", "SwiftShader"], ["llvmpipe", "llvmpipe"], ["lavapipe", "lavapipe"], ["microsoft basic render", "WARP"]]
    .find(([key]) => all.includes(key))?.[1] ?? (a.fallback ? "fallback adapter" : null);
  return emulator ? { name, cpu: true, note: `${emulator}: CPU emulation, not GPU speed` } : { name, cpu: false, note: name };
}
let adapter; // set by the first page opened

// The animation: the page plays a run and draws every frame, as a user sees
// it. Per configuration, a fresh page: frames drawn (step changes seen by
// requestAnimationFrame), their gaps, the main thread's busy time per frame
// (Chrome's TaskDuration, through the DevTools protocol), the main-thread
// tasks over 50 ms (the Long Tasks API reports no shorter ones) and the
// longest of them, and the bytes read back from the GPU per frame.
const SMOOTH = [
  ["webgpu", 65536], ["webgpu", 262144], ["webgpu", 1048576], ["cpu", 65536],
];
const SMOOTH_STEPS = 100;
async function smoothness(backend, n) {
  const { page } = await open(browser, `${server.url}#v=1&dataset=gaussians8&model=exact&sampler=ddpm&steps=${SMOOTH_STEPS}&n=${n}&seed=1&autoplay=0&backend=${backend}`);
  adapter ??= adapterKind(await queryAdapter(page));
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Performance.enable");
  const busy = async () => (await cdp.send("Performance.getMetrics")).metrics.find((m) => m.name === "TaskDuration").value;
  const b0 = await busy();
  const r = await page.evaluate(() => new Promise((resolve) => {
    const long = [], changes = [];
    const observer = new PerformanceObserver((l) => long.push(...l.getEntries().map((e) => e.duration)));
    observer.observe({ type: "longtask" });
    let last = -1;
    const t0 = performance.now();
    const poll = (t) => {
      const st = window.playground.status();
      if (st.step !== last) { changes.push(t); last = st.step; }
      if (!st.running && st.step >= st.totalSteps) {
        long.push(...observer.takeRecords().map((e) => e.duration));
        observer.disconnect();
        resolve({ long, changes, seconds: (performance.now() - t0) / 1000, st });
      } else requestAnimationFrame(poll);
    };
    window.playground.play();
    requestAnimationFrame(poll);
  }));
  const taskMs = ((await busy()) - b0) * 1000;
  await page.close();
  const frames = r.changes.length;
  const gaps = r.changes.slice(1).map((t, i) => t - r.changes[i]).sort((a, b) => a - b);
  const q = (p) => gaps[Math.min(gaps.length - 1, Math.floor(p * gaps.length))] ?? 0;
  return {
    backend, n, frames, seconds: r.seconds, fps: frames / r.seconds, median: q(0.5), p95: q(0.95),
    mainMs: taskMs / frames, longTasks: r.long.length, longest: Math.max(0, ...r.long), renderer: r.st.renderer ?? "canvas2d",
    readPerFrame: (r.st.readbackBytes ?? (backend === "webgpu" ? frames * n * 8 : 0)) / frames,
  };
}
const smooth = [];
for (const [backend, n] of SMOOTH) {
  const r = await smoothness(backend, n);
  smooth.push(r);
  console.log(`animation ${backend.padEnd(6)} n=${String(n).padStart(7)}  ${r.fps.toFixed(1)} frames/s, gap median ${r.median.toFixed(0)} ms p95 ${r.p95.toFixed(0)} ms, main thread ${r.mainMs.toFixed(1)} ms/frame, ${r.longTasks} tasks > 50 ms${r.longTasks ? ` (longest ${r.longest.toFixed(0)} ms)` : ""}, ${(r.readPerFrame / 1024).toFixed(0)} KiB read back/frame`);
}
// Cold start: a fresh page per configuration, from navigation to (a) the
// first picture of particles (status().framesDrawn ≥ 1: x_T drawn once the
// model is loaded; with backend=auto on a CPU emulation, drawn while the
// calibration runs) and (b) the first sampling step on screen (after the
// calibration). Timed in the page
// (performance.now(), zero at navigation) by a requestAnimationFrame poll
// installed before the page's own scripts run.
const COLD = [
  ["default page", ""],
  ["learned moons, backend=auto", "#v=1&dataset=moons&model=learned&n=4096&seed=1"],
  ["learned moons, backend=cpu", "#v=1&dataset=moons&model=learned&n=4096&seed=1&backend=cpu"],
  ["learned moons, backend=webgpu", "#v=1&dataset=moons&model=learned&n=4096&seed=1&backend=webgpu"],
];
async function coldStart(frag) {
  const page = await browser.newPage();
  await page.addInitScript(() => {
    window.__cold = { shown: null, stepped: null };
    const poll = () => {
      let st = null;
      try { st = window.playground ? window.playground.status() : null; } catch { /* not ready yet */ }
      if (st && st.framesDrawn >= 1 && window.__cold.shown === null) window.__cold.shown = performance.now();
      if (st && st.step >= 1 && window.__cold.stepped === null) window.__cold.stepped = performance.now();
      if (window.__cold.stepped === null) requestAnimationFrame(poll);
    };
    requestAnimationFrame(poll);
  });
  await page.goto(`${server.url}${frag}`);
  await page.waitForFunction(() => window.__cold && window.__cold.stepped !== null, null, { timeout: 120_000 });
  const r = await page.evaluate(() => ({ ...window.__cold, backend: window.playground.status().backend, reason: window.playground.status().backendReason }));
  await page.close();
  return r;
}
const cold = [];
for (const [name, frag] of COLD) {
  const runs = [];
  for (let i = 0; i < 3; i++) runs.push(await coldStart(frag));
  const med = (k) => runs.map((r) => r[k]).sort((a, b) => a - b)[1];
  cold.push({ name, shown: med("shown"), stepped: med("stepped"), backend: runs[0].backend });
  console.log(`cold start ${name}: particles shown ${med("shown").toFixed(0)} ms, first step ${med("stepped").toFixed(0)} ms (${runs[0].backend}: ${runs[0].reason})`);
}
const coldTable = [
  "| page | backend chosen | particles on screen (ms) | first step on screen (ms) |",
  "|---|---|---:|---:|",
  ...cold.map((r) => `| ${r.name} | ${r.backend} | ${r.shown.toFixed(0)} | ${r.stepped.toFixed(0)} |`),
].join("\n");

const smoothTable = [
  "| backend | drawn by | particles | frames | seconds | frames/s | frame gap median / p95 (ms) | main thread per frame (ms) | tasks over 50 ms | longest task (ms) | read back per frame |",
  "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ...smooth.map((r) => `| ${r.backend} | ${r.renderer} | ${r.n.toLocaleString("en")} | ${r.frames} | ${r.seconds.toFixed(2)} | ${r.fps.toFixed(1)} | ${r.median.toFixed(0)} / ${r.p95.toFixed(0)} | ${r.mainMs.toFixed(1)} | ${r.longTasks} | ${r.longTasks ? r.longest.toFixed(0) : "< 50"} | ${(r.readPerFrame / 1024).toFixed(0)} KiB |`),
].join("\n");
if (process.argv.includes("--smooth-only")) {
  console.log(`\nWebGPU adapter: ${adapter.name} (${adapter.note})\n\n${smoothTable}\n\nCold start (median of 3 fresh pages):\n\n${coldTable}`);
  await browser.close();
  await server.close();
  process.exit(0);
}

const { page } = await open(browser, `${server.url}#dataset=${DATASET}&model=${MODEL}&steps=${STEPS}&n=256&autoplay=0`);
await page.waitForFunction(() => !window.playground.status().loading);
await page.evaluate(() => window.playground.pause());

// Steps timed at n particles: STEPS at 4 096, fewer (at least 2) for larger n,
// so every measurement moves about the same number of particle-steps (rates
// do not depend on the step count: every step costs the same). Ours and
// TF.js run the same plan at every size: the one of stepsFor(n) steps.
const stepsFor = (n) => Math.max(2, Math.round((STEPS * 4096) / n));
const fmt = (v) => (v >= 1e6 ? `${(v / 1e6).toFixed(2)} M` : `${(v / 1e3).toFixed(1)} k`);
const median = (a) => { const s = [...a].sort((x, y) => x - y), m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
/** "median (min–max)" of `values`, each written by `f`. */
const spread = (values, f) => `${f(median(values))} (${f(Math.min(...values))}–${f(Math.max(...values))})`;
const sec = (v) => v.toFixed(3);
const times = (v) => `${v.toFixed(1)}×`;

let tfjsVersion = null;
if (WITH_TFJS) {
  await page.addScriptTag({ url: `${server.url}tfjs/tfjs/dist/tf.min.js` });
  await page.addScriptTag({ url: `${server.url}tfjs/tfjs-backend-webgpu/dist/tf-backend-webgpu.min.js` });
  await page.addScriptTag({ url: `${server.url}tfjs/tfjs-backend-wasm/dist/tf-backend-wasm.min.js` });
  await page.addScriptTag({ url: `${server.url}bench/tfjs_baseline.js` });
  tfjsVersion = await page.evaluate((base) => { tf.wasm.setWasmPaths(base); return tf.version.tfjs; }, `${server.url}tfjs/tfjs-backend-wasm/dist/`);
}
const weightsUrl = `${server.url}models/${DATASET}.safetensors`;

/** Ours: `sampler` on `backend` at n particles, the plan of `steps` steps. */
async function ours([sampler, extra], backend, n, steps) {
  await page.evaluate(([sampler, extra, steps]) => { window.playground.setConfig({ sampler, steps, ...extra }); window.playground.pause(); }, [sampler, extra, steps]);
  const r = await page.evaluate(([b, n, s]) => window.playground.bench(b, n, s), [backend, n, steps]);
  console.log(`${sampler.padEnd(9)} ${backend.padEnd(6)} n=${String(n).padStart(7)}  ${fmt(r.particleStepsPerSecond)} particle-steps/s, ${fmt(r.nfePerSecond)} NFE/s (${r.seconds.toFixed(3)} s)`);
  return { sampler, ...r };
}
/** TF.js: the page's DDPM plan of `steps` steps (the one ours runs), on TF.js backend `backend`. */
async function tfjs(backend, variant, n, steps) {
  const r = await page.evaluate(async ([backend, variant, n, weightsUrl, steps]) => {
    window.playground.setConfig({ sampler: "ddpm", steps });
    window.playground.pause();
    const plan = window.playground.plan();
    if (plan.cx.length !== steps) throw new Error(`the page's DDPM plan has ${plan.cx.length} steps, not ${steps}`);
    return window.tfjsBaseline.run({ backend, variant, n, weightsUrl, plan });
  }, [backend, variant, n, weightsUrl, steps]);
  r.rate = (n * r.steps) / r.seconds;
  console.log(`tfjs ddpm ${r.backend.padEnd(17)} n=${String(n).padStart(7)}  ${fmt(r.rate)} particle-steps/s = NFE/s (${r.seconds.toFixed(3)} s)`);
  return r;
}

// Rounds: per device kind and size, RUNS rounds; in each, ours (DDPM) and
// the two TF.js variants back to back, in an order that rotates from round
// to round, then our other samplers — so drift on the machine hits all of
// them alike.
const results = []; // { device, n, steps, ours: { sampler: [runs] }, tf: { variant: [runs] }, rounds: [{ ours, plain, fused }] }
for (const device of DEVICES) {
  for (const n of device.sizes) {
    const steps = stepsFor(n);
    const res = { device, n, steps, ours: Object.fromEntries(SAMPLERS.map(([s]) => [s, []])), tf: { plain: [], fused: [] }, rounds: [] };
    results.push(res);
    for (let round = 0; round < RUNS; round++) {
      console.log(`-- ${device.ours} n=${n}, ${steps} steps, round ${round + 1} of ${RUNS}`);
      const paired = WITH_TFJS ? ["ours", ...VARIANTS] : ["ours"];
      const order = paired.map((_, i) => paired[(i + round) % paired.length]);
      const got = {};
      for (const which of order) {
        if (which === "ours") {
          got.ours = await ours(SAMPLERS[0], device.ours, n, steps);
          if (got.ours.planSteps !== steps) throw new Error(`our DDPM plan has ${got.ours.planSteps} steps, not ${steps}`);
          res.ours.ddpm.push(got.ours);
        } else {
          got[which] = await tfjs(device.tf, which, n, steps);
          res.tf[which].push(got[which]);
        }
      }
      if (WITH_TFJS) {
        // Same noise, same plan: the two TF.js variants must give the same
        // samples up to float rounding, or they are not the same math.
        const worst = Math.max(...got.plain.head.map((v, i) => Math.abs(v - got.fused.head[i]) / Math.max(1, Math.abs(v))));
        if (!(worst <= 1e-3)) throw new Error(`TF.js plain and fused samples differ by ${worst} (relative) at n=${n}: not the same math`);
        res.rounds.push(got);
      }
      for (const s of SAMPLERS.slice(1)) res.ours[s[0]].push(await ours(s, device.ours, n, steps));
    }
  }
}
await browser.close();
await server.close();

// Tables, one per device kind; the first column's header names the device
// (for WebGPU, the adapter and whether it is a CPU emulation).
const deviceLabel = (d) => (d.ours === "webgpu" ? `WebGPU (${adapter.note})` : "CPU (wasm, one thread)");
const tfName = (d, v) => `tfjs-${d.tf}${v === "fused" ? "-fused" : ""}`;
const perDevice = (fn) => DEVICES.map((d) => fn(d, results.filter((r) => r.device === d))).join("\n\n");

// DDPM: ours against TF.js, NFE/s ratios per round (paired runs).
const compare = WITH_TFJS && perDevice((d, rs) => [
  `| ${deviceLabel(d)} | particles | plan steps = NFE | seconds | particle-steps/s = NFE/s | ours ÷ this (NFE/s) |`,
  "|---|---:|---:|---:|---:|---:|",
  ...rs.flatMap((r) => [
    `| ours, ddpm | ${r.n.toLocaleString("en")} | ${r.steps} | ${spread(r.ours.ddpm.map((x) => x.seconds), sec)} | ${spread(r.ours.ddpm.map((x) => x.nfePerSecond), fmt)} | |`,
    ...VARIANTS.map((v) => `| ${tfName(d, v)} | ${r.n.toLocaleString("en")} | ${r.steps} | ${spread(r.tf[v].map((x) => x.seconds), sec)} | ${spread(r.tf[v].map((x) => x.rate), fmt)} | ${spread(r.rounds.map((g) => g.ours.nfePerSecond / g[v].rate), times)} |`),
  ]),
].join("\n"));
// Every sampler, ours only (the ratios above are DDPM's alone: TF.js runs DDPM).
const table = perDevice((d, rs) => [
  `| ${deviceLabel(d)} | particles | plan steps | NFE | seconds | particle-steps/s | NFE/s |`,
  "|---|---:|---:|---:|---:|---:|---:|",
  ...SAMPLERS.flatMap(([s]) => rs.map((r) => {
    const runs = r.ours[s];
    return `| ${s} | ${r.n.toLocaleString("en")} | ${runs[0].planSteps} | ${runs[0].nfe} | ${spread(runs.map((x) => x.seconds), sec)} | ${spread(runs.map((x) => x.particleStepsPerSecond), fmt)} | ${spread(runs.map((x) => x.nfePerSecond), fmt)} |`;
  })),
].join("\n"));

const cpuModel = (readFileSync("/proc/cpuinfo", "utf8").match(/model name\s*:\s*(.*)/) || [, "unknown"])[1];
const chromium = execFileSync(CHROMIUM, ["--version"]).toString().trim();
const git = (...a) => execFileSync("git", a, { cwd: root }).toString().trim();
const rev = git("rev-parse", "--short", "HEAD") + (git("status", "--porcelain", "--untracked-files=no") ? " with uncommitted changes" : "");
const sizesText = [...new Set(DEVICES.flatMap((d) => d.sizes))].sort((a, b) => a - b).map((n) => `${stepsFor(n)} at ${n.toLocaleString("en")}`).join(", ");
const peer = WITH_TFJS ? `### DDPM against TensorFlow.js

Same weights, same folded first layer, same DDPM plan at every size (see
above), on TF.js ${tfjsVersion}'s backend of the same device kind, in the same
page (e2e/tfjs_baseline.js). Two TF.js variants of the same math:
\`tfjs-*\` is the straightforward port (\`tf.matMul\`, \`.add(bias)\`, SiLU as
\`x·sigmoid(x)\`, \`x·c_x + (ε̂·c_eps) + z·c_z\`); \`tfjs-*-fused\` uses
\`tf.fused.matMul\` with the bias (TF.js has no fused SiLU, so SiLU stays
\`h·sigmoid(h)\`), c_eps folded into the last layer (W3 and b3 scaled per
step before the clock) and the update as one \`addN\` of \`x·c_x\`, the scaled
ε̂ and \`z·c_z\`. The bench checks that the two give the same samples (they
get the same noise) up to float rounding. TF.js's initial noise and every
step's noise are drawn and moved to its device before the clock starts; ours
draws each step's noise inside the timed kernel (so that difference favours
TF.js). The wasm backend runs with SIMD and no threads: the page is not
cross-origin isolated, and the playground's CPU path is single-threaded too.
"ours ÷ this" is the median (min–max) over the ${RUNS} rounds of the ratio
of the two runs of the same round. Only DDPM is compared: TF.js runs DDPM,
and other samplers do other work per step. Targets (issue 4): WebGPU ≥ 10×
TF.js-webgpu, CPU ≥ TF.js-wasm.

${compare}
` : `### DDPM against TensorFlow.js

Not run: the bench ran the ${MODEL} score model, and the TF.js baseline is
the learned MLP (run with \`--model learned\`).
`;
const block = `## Browser benchmark

Written by \`tools/bench.sh\` (e2e/bench.mjs) between the browser-bench marker
comments; do not edit this part by hand — rerun it.

What is measured: \`playground.bench(backend, n, steps)\` on the real page in
headless Chromium, for every sampler, with the ${MODEL} score model of
\`${DATASET}\`, all classes, no guidance, no drawing. Plan steps per size:
${sizesText} particles — max(2, round(${STEPS} · 4 096 / n)), so each run
moves about the same number of particle-steps (Langevin: k = 2 per level;
predictor–corrector: m = 1, so both take more plan steps).${WITH_TFJS ? ` At every size
ours and TF.js run the same DDPM plan: ours builds it from the page's config
with that step count, TF.js gets it from \`playground.plan()\` after the same
\`setConfig\`, and the bench checks both have that many steps.` : ""}
WebGPU runs the fused WGSL kernel in dispatches of 25 plan steps and ends with
one readback (timed after a warm-up readback); the CPU runs the Rust reference
compiled to wasm (SIMD) on the main thread (one thread). NFE/s counts network
evaluations of all particles per second (Heun: 2 a step). Each figure is the
median (min–max) of ${RUNS} runs, taken in ${RUNS} rounds: per device kind
and size, each round runs ours (DDPM) and the TF.js variants back to back,
in an order that rotates from round to round, then our other samplers, so
drift on the machine hits all of them alike.

WebGPU adapter: ${adapter.name} — ${adapter.cpu ? `**${adapter.note}**: the WebGPU figures measure the kernels' portability and their efficiency relative to TF.js on the same device, not GPU speed.` : "a hardware GPU."}

${peer}
### Every sampler (ours)

${table}

### Animation (the page playing and drawing a run)

${smoothTable}

The page plays a ${SMOOTH_STEPS}-step DDPM run of gaussians8 with the exact
score (so SwiftShader's slow MLP does not hide the drawing costs) and draws
every frame, as a user sees it. A frame is a new step count seen by
\`requestAnimationFrame\`; "main thread" is Chrome's TaskDuration per frame
(DevTools protocol); "tasks over 50 ms" counts the Long Tasks API's entries
(it reports no shorter task, hence "< 50" when there is none). The browser
tests assert no timing at all (a loaded machine could breach any bound);
these columns are where task lengths are kept. WebGPU runs draw from GPU memory (a
compute splat and a render pass) and read back only a probe a frame — the
health counters and the first 16 384 particles (128 KiB) — and every particle
once at the end (the column averages that in); the CPU runs draw on a 2D
canvas (at most 65 536 particles). ${adapter.cpu ? `On ${adapter.note.split(":")[0]} a frame's time is the GPU's work (one sampling step of n particles, then the splat), done by the CPU; on a real GPU both take well under a millisecond at these sizes.` : ""}

### Cold start (median of 3 fresh pages)

${coldTable}

From navigation to the first picture of particles (\`status().framesDrawn\`
≥ 1: x_T drawn once the weights are in; with \`backend=auto\` on a CPU
emulation it is drawn while both backends are timed) and to the first
sampling step on screen (after that calibration), timed in the page (\`performance.now()\`, zero at navigation) by a
\`requestAnimationFrame\` poll installed before the page's scripts.

### Machine

- commit ${rev}, ${new Date().toISOString().slice(0, 10)}
- CPU: ${cpuModel}, ${cpus().length} cores
- browser: ${chromium}, headless, WebGPU adapter: ${adapter.name}${adapter.cpu ? ` (${adapter.note})` : ""}
`;

// BENCHMARKS.md: replace only the part between the markers (other tools
// write other sections of the file). A file without the markers holds the
// old bench's whole output: keep its title and any section it did not write.
const BEGIN = "<!-- browser-bench:begin -->", END = "<!-- browser-bench:end -->";
const OLD_SECTIONS = /^## (Latest numbers|Ratios|Animation|Machine)\b/;
function splice(old, body) {
  const marked = `${BEGIN}\n${body.trim()}\n${END}`;
  if (old == null || !old.trim()) return `# Benchmarks\n\n${marked}\n`;
  const b = old.indexOf(BEGIN), e = old.indexOf(END);
  if (b >= 0 && e > b) return old.slice(0, b) + marked + old.slice(e + END.length);
  if (b >= 0 || e >= 0) throw new Error("BENCHMARKS.md has one browser-bench marker without the other; fix it by hand");
  // Other tools' marked blocks stay whole, wherever they are.
  const blocks = [];
  const text = old.replace(/<!-- ([\w-]+):begin -->[\s\S]*?<!-- \1:end -->/g, (m) => `\u0000${blocks.push(m) - 1}\u0000`);
  const restore = (s) => s.replace(/\u0000(\d+)\u0000/g, (_, i) => blocks[i]);
  const [head, ...sections] = text.split(/^(?=## )/m); // head: the title and the old intro
  const kept = [];
  for (const [i, s] of [head, ...sections].entries()) {
    if (i > 0 && !OLD_SECTIONS.test(s)) kept.push(restore(s).trim());
    else for (const [m] of s.matchAll(/\u0000\d+\u0000/g)) kept.push(restore(m));
  }
  return ["# Benchmarks", marked, ...kept].join("\n\n") + "\n";
}
if (!process.argv.includes("--no-write")) {
  const path = root + "BENCHMARKS.md";
  writeFileSync(path, splice(existsSync(path) ? readFileSync(path, "utf8") : null, block));
  console.log("wrote the browser-bench part of BENCHMARKS.md");
}
console.log("\n" + block);
