// Payload: what each page mode actually fetches — every JS and wasm file the
// browser loads until the page is ready and has drawn its first particles —
// with each file's gzip -9 size, in headless Chromium on the built dist/.
// Writes its block of BENCHMARKS.md (between the payload marker comments).
//   node e2e/payload.mjs [--dist DIR] [--no-write]
import { readFileSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { execFileSync } from "node:child_process";
import { cpus } from "node:os";
import { serve, launch, open } from "./harness.mjs";

const arg = (name, dflt) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : dflt; };
const root = fileURLToPath(new URL("../", import.meta.url));
const dist = arg("dist", root + "dist/");
const BUDGET = 400 * 1024;
const MODES = [
  ["the default page", ""],
  ["compare mode", "#compare=1&b.sampler=ddim"],
  ["a lab (Langevin)", "#lab=langevin"],
];

const server = await serve(dist);
const browser = await launch({ webgpu: false });
const rows = [];
for (const [name, hash] of MODES) {
  const page = await browser.newPage();
  const files = new Map();
  page.on("response", async (r) => {
    const url = new URL(r.url());
    if (!/\.(js|wasm)$/.test(url.pathname)) return;
    try { files.set(url.pathname.replace(/^\//, ""), await r.body()); } catch { /* a body the page dropped */ }
  });
  await page.goto(server.url + hash);
  await page.waitForFunction(() => window.playground && window.playground.ready, null, { timeout: 60_000 });
  await page.evaluate(() => window.playground.ready);
  await page.waitForTimeout(500);
  const list = [...files].map(([file, body]) => ({ file, raw: body.length, gz: gzipSync(body, { level: 9 }).length })).sort((a, b) => b.gz - a.gz);
  rows.push({ name, hash, list, gz: list.reduce((s, f) => s + f.gz, 0), raw: list.reduce((s, f) => s + f.raw, 0) });
  await page.close();
}
await browser.close();
await server.close();

const kb = (b) => `${(b / 1024).toFixed(1)} KB`;
const lines = [];
for (const r of rows) {
  lines.push(`**${r.name}** (\`${r.hash || "no fragment"}\`): ${kb(r.gz)} gzipped (${kb(r.raw)} raw)${r.name === "the default page" ? `, budget 400 KB: ${r.gz <= BUDGET ? "within" : `over by ${kb(r.gz - BUDGET)}`}` : ""}`);
  lines.push("");
  lines.push("| file | gzip -9 | raw |");
  lines.push("|---|---:|---:|");
  for (const f of r.list) lines.push(`| ${f.file} | ${kb(f.gz)} | ${kb(f.raw)} |`);
  lines.push("");
}
const cpu = (() => { try { return execFileSync("sh", ["-c", "lscpu | sed -n 's/^Model name: *//p'"]).toString().trim(); } catch { return cpus()[0]?.model ?? "?"; } })();
const block = [
  "<!-- payload:begin -->",
  "## Payload: what each page mode loads",
  "",
  `Written by \`node e2e/payload.mjs\` (after \`trunk build --release\`): every JS and wasm file headless Chromium fetched until the page was ready, each gzipped at level 9. Built on ${cpu}; ${new Date().toISOString().slice(0, 10)}.`,
  "",
  ...lines,
  "<!-- payload:end -->",
].join("\n");
console.log(block);
if (!process.argv.includes("--no-write")) {
  const path = root + "BENCHMARKS.md";
  const md = readFileSync(path, "utf8");
  const re = /<!-- payload:begin -->[\s\S]*<!-- payload:end -->/;
  writeFileSync(path, re.test(md) ? md.replace(re, block) : `${md.trimEnd()}\n\n${block}\n`);
}
