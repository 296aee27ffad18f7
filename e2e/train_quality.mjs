// Training quality in the browser (issue 12), per backend: the default
// drawn-set recipe (engine::train::Recipe::default(): 1 200 steps of batch
// 256) trained on the real page on a drawn 1 000-point two-moons set, then
// 1 000 DDIM samples (50 steps) from the trained model, their energy
// distance to the data against the data-vs-data distance of the same sizes
// (playground.metrics()). The CPU twin's run is a browser test
// (e2e/playground.test.mjs); the WebGPU run is here because on SwiftShader
// it takes about 15 minutes, more than CI can give it. Writes the
// train-quality block of BENCHMARKS.md.
//   node e2e/train_quality.mjs [--backends webgpu,cpu] [--no-write]
import { execFileSync } from "node:child_process";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { serve, launch, open, CHROMIUM, writeBenchBlock } from "./harness.mjs";

const arg = (name, dflt) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : dflt; };
const BACKENDS = arg("backends", "webgpu,cpu").split(",");
const root = fileURLToPath(new URL("../", import.meta.url));
const server = await serve(root + "dist/", {}, {});
const browser = await launch({ webgpu: true });
const rows = [];
let adapter = "";
for (const backend of BACKENDS) {
  const { page } = await open(browser, server.url + `#v=1&dataset=custom&model=exact&backend=${backend}&n=1000&steps=50&sampler=ddim&seed=3`);
  await page.evaluate(() => window.playground.editor.preset("moons"));
  const t0 = Date.now();
  const r = await page.evaluate(() => window.playground.train());
  const wall = (Date.now() - t0) / 1000;
  if (r.backend !== backend) throw new Error(`trained on ${r.backend}, not ${backend}`);
  // Sampled on the CPU, so only the training differs between the rows.
  await page.evaluate(() => window.playground.setConfig({ model: "trained", backend: "cpu" }));
  const st = await page.evaluate(() => window.playground.run());
  if (st.error) throw new Error(st.error);
  const m = await page.evaluate(() => window.playground.metrics());
  const ratio = m.energyDistance / m.baseline;
  console.log(`${backend}: ${r.steps} steps in ${wall.toFixed(0)} s; energy distance ${m.energyDistance.toFixed(4)} against data-vs-data ${m.baseline.toFixed(4)} (${ratio.toFixed(2)}×)`);
  rows.push(`| ${backend === "webgpu" ? "WebGPU" : "CPU (wasm)"} | ${r.steps} | ${wall.toFixed(0)} | ${m.energyDistance.toFixed(4)} | ${m.baseline.toFixed(4)} | ${ratio.toFixed(2)}× | ${ratio < 2 ? "yes" : "no"} |`);
  if (!adapter) adapter = await page.evaluate(async () => { const x = await navigator.gpu?.requestAdapter(); const i = x?.info || {}; return `${i.vendor || ""} ${i.architecture || ""} ${i.description || ""}`.trim() || "unnamed"; });
  await page.close();
}
await browser.close();
await server.close();

const rev = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root }).toString().trim();
const chromium = execFileSync(CHROMIUM, ["--version"]).toString().trim();
const block = `## Training quality in the browser

Written by \`node e2e/train_quality.mjs\` between the train-quality marker
comments; rerun it rather than editing. The default drawn-set recipe (1 200
steps of batch 256, peak rate 0.01, \`t ∝ u²\`) trained on the real page on
a drawn 1 000-point two-moons set, on each backend; then 1 000 DDIM samples
(50 steps, drawn on the CPU) from the trained model, and their energy
distance to the data beside the data-vs-data distance of the same sizes.
Issue 12's bar: within 2×. *Seconds*: from \`train()\` to its end.

| backend | steps | seconds | energy distance | data-vs-data | ratio | within 2× |
|---|---:|---:|---:|---:|---:|---|
${rows.join("\n")}

Machine: commit ${rev}, ${new Date().toISOString().slice(0, 10)}; ${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores; ${chromium}, headless; WebGPU adapter: ${adapter}.
`;
writeBenchBlock(root, "train-quality", block);
