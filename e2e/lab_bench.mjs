// Lab bench: how fast the labs that run kernels go on the real page, per
// backend — WebGPU (a Chromium with WebGPU) and the CPU twin (a Chromium
// without it) — as a user runs them: the GRF lab's Langevin steps, the
// Langevin lab's chains, the AIS lab's particles and the guidance lab's
// sweep, each timed from the lab's first frame to the end of its work
// (Langevin: steps over a fixed wall time) after a new seed restarts it,
// median of --runs fresh pages.
// Writes the lab-bench block of BENCHMARKS.md (between its marker comments).
//   node e2e/lab_bench.mjs [--runs 3] [--no-write]
import { execFileSync } from "node:child_process";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { serve, launch, open, writeBenchBlock } from "./harness.mjs";

const arg = (name, dflt) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : dflt; };
const RUNS = Number(arg("runs", 3));
if (!(Number.isInteger(RUNS) && RUNS >= 1)) throw new Error(`--runs takes a positive integer, not ${arg("runs")}`);
const root = fileURLToPath(new URL("../", import.meta.url));
const server = await serve(root + "dist/", {});
const browsers = { webgpu: await launch({ webgpu: true }), cpu: await launch({ webgpu: false }) };

// Each case: the link, when it is done, and the work it did (the rate's numerator).
const CASES = [
  { lab: "grf", size: "16 fields of 64², 40 annealed steps", unit: "steps/s", frag: "#lab=grf&n=64&fields=16&steps=40&levels=4&speed=10", done: "s.done", work: () => 40 },
  { lab: "grf", size: "16 fields of 128², 8 annealed steps", unit: "steps/s", frag: "#lab=grf&n=128&fields=16&steps=8&levels=2&speed=2", done: "s.done", work: () => 8 },
  { lab: "langevin", size: "65 536 chains, 5 s", unit: "steps/s", frag: "#lab=langevin&n=65536&speed=20", seconds: 5 },
  { lab: "ais", size: "2 000 particles, 100 temperatures and the sweep's 444, 3 MALA moves each", unit: "MALA moves/s", frag: "#lab=ais&particles=2000&temperatures=100&steps=3", figures: true, work: () => 2000 * 3 * (100 + 444) },
  { lab: "guidance", size: "gaussians8's network, 7 CFG strengths × 500 samples × 20 DDIM steps, then the fairness toy (CPU)", unit: "particle-steps/s (all)", frag: "#lab=guidance&dataset=gaussians8&model=learned&max=4&n=500&steps=20", done: "s.total > 0 && s.done === s.total", work: () => 7 * 500 * 20, backendKey: true },
];

async function timeCase(c, backend) {
  const frag = c.backendKey ? `${c.frag}&backend=${backend}` : c.frag;
  const { page } = await open(browsers[backend], server.url + frag);
  const got = await page.evaluate(() => window.playground.status().backend);
  if (got !== backend) throw new Error(`${c.lab} ran on ${got}, not ${backend}`);
  // The clock starts with a fresh run (a new seed restarts every lab), so work done while the page loaded is not counted.
  const t0 = await page.evaluate(() => { const t = performance.now(); window.playground.setConfig({ seed: 2 }); return t; });
  let seconds, work;
  if (c.seconds) {
    const s0 = await page.evaluate(() => window.playground.status().step);
    await page.waitForTimeout(c.seconds * 1000);
    const [s1, t1] = await page.evaluate(() => [window.playground.status().step, performance.now()]);
    seconds = (t1 - t0) / 1000;
    work = s1 - s0;
  } else if (c.figures) {
    await page.evaluate(() => window.playground.labFigures());
    seconds = (await page.evaluate(() => performance.now()) - t0) / 1000;
    work = c.work();
  } else {
    await page.waitForFunction(`(() => { const s = window.playground.status(); return ${c.done}; })()`, null, { timeout: 900_000 });
    seconds = (await page.evaluate(() => performance.now()) - t0) / 1000;
    work = c.work();
  }
  await page.close();
  return { seconds, rate: work / seconds };
}

const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const fmt = (v) => (v >= 1e6 ? `${(v / 1e6).toFixed(2)} M` : v >= 1e3 ? `${(v / 1e3).toFixed(1)} k` : v.toFixed(1));
const rows = [];
for (const c of CASES) {
  const out = {};
  for (const backend of ["webgpu", "cpu"]) {
    const runs = [];
    for (let r = 0; r < RUNS; r++) runs.push(await timeCase(c, backend));
    out[backend] = { seconds: median(runs.map((r) => r.seconds)), rate: median(runs.map((r) => r.rate)), lo: Math.min(...runs.map((r) => r.rate)), hi: Math.max(...runs.map((r) => r.rate)) };
    console.log(`${c.lab} ${c.size} ${backend}: ${out[backend].seconds.toFixed(2)} s, ${fmt(out[backend].rate)} ${c.unit}`);
  }
  rows.push(`| ${c.lab} | ${c.size} | ${c.unit} | ${out.webgpu.seconds.toFixed(2)} | ${fmt(out.webgpu.rate)} (${fmt(out.webgpu.lo)}–${fmt(out.webgpu.hi)}) | ${out.cpu.seconds.toFixed(2)} | ${fmt(out.cpu.rate)} (${fmt(out.cpu.lo)}–${fmt(out.cpu.hi)}) | ${(out.webgpu.rate / out.cpu.rate).toFixed(2)}× |`);
}
const adapter = await (async () => {
  const { page } = await open(browsers.webgpu, server.url + "#lab=ais&particles=10");
  const a = await page.evaluate(async () => { const x = await navigator.gpu?.requestAdapter(); const i = x?.info || {}; return `${i.vendor || ""} ${i.architecture || ""} ${i.description || ""}`.trim(); });
  await page.close();
  return a || "unnamed";
})();
for (const b of Object.values(browsers)) await b.close();
await server.close();

const rev = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root }).toString().trim();
const block = `## Labs in the browser

Written by \`tools/bench.sh\` (e2e/lab_bench.mjs) between the lab-bench marker
comments; rerun it rather than editing. Each lab as a user runs it on the real
page in headless Chromium, once with WebGPU (adapter: ${adapter}) and once
without (the CPU twins, compiled to wasm, on the page's thread in frame-sized
slices), timed from a restart (a new seed) to the end of its work (the
Langevin lab: the steps its chains took in a fixed time), median (min–max) of
${RUNS} fresh pages. The rates include what the page does around the kernels:
reading the state back and drawing every frame (GRF, Langevin), one readback a
run (AIS, guidance). ${/swiftshader/i.test(adapter) ? "**SwiftShader runs WGSL on the CPU**: these WebGPU figures say how the kernels port, not how fast a GPU runs them (lavapipe's native figures above agree: its barriers make the FFT kernel slower than the CPU twin)." : ""}

| lab | work | rate | WebGPU seconds | WebGPU rate | CPU seconds | CPU rate | WebGPU / CPU |
|---|---|---|---:|---:|---:|---:|---:|
${rows.join("\n")}

Machine: commit ${rev}, ${new Date().toISOString().slice(0, 10)}; ${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores.
`;
writeBenchBlock(root, "lab-bench", block);
