// Shared harness for the browser tests and the bench: a static file server on
// loopback for dist/, and Debian's Chromium driven by playwright-core.
import { createServer } from "node:http";
import { readFile, mkdtemp } from "node:fs/promises";
import { readFileSync, writeFileSync } from "node:fs";
import { extname, join, normalize } from "node:path";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { test as nodeTest } from "node:test";
import { chromium } from "playwright-core";

/** The built page (trunk build --release) the browser tests serve. */
export const DIST = fileURLToPath(new URL("../dist/", import.meta.url));

// Every test and hook has a time limit, so that a hang fails the one test
// with its name (and the suite goes on) instead of stalling the whole run.
// The slowest test takes about 2 minutes on a busy 2-core machine.
export const LIMIT_MS = 6 * 60_000;
/** node:test's `test` under that limit. */
export const test = (name, fn) => nodeTest(name, { timeout: LIMIT_MS }, fn);

const TYPES = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".mjs": "text/javascript",
  ".css": "text/css", ".wasm": "application/wasm", ".json": "application/json", ".png": "image/png",
  ".safetensors": "application/octet-stream",
};

/**
 * Serves `root` on 127.0.0.1 at a free port; resolves to { url, close }.
 * `broken` maps URL paths to a status and body (and optionally a content
 * type) served instead of the file (the tests' corrupt and missing model
 * files, a host page); `mounts` maps URL prefixes to other folders (the
 * bench's TF.js files); `headers` go on every file served (e.g. a
 * Content-Security-Policy).
 */
export async function serve(root, broken = {}, mounts = {}, headers = {}) {
  const server = createServer(async (req, res) => {
    try {
      const urlPath = new URL(req.url, "http://x").pathname;
      if (broken[urlPath]) {
        const { status, body, type } = broken[urlPath];
        res.writeHead(status, { "content-type": type || "application/octet-stream" });
        res.end(body);
        return;
      }
      let path = normalize(decodeURIComponent(urlPath));
      if (path.includes("..")) throw new Error("bad path");
      if (path.endsWith("/")) path += "index.html";
      let base = root;
      for (const [prefix, dir] of Object.entries(mounts)) {
        if (path.startsWith(prefix)) { base = dir; path = path.slice(prefix.length); break; }
      }
      const body = await readFile(join(base, path));
      res.writeHead(200, { ...headers, "content-type": TYPES[extname(path)] || "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404); res.end("not found");
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  // close() drops open keep-alive connections too: the browser keeps idle
  // sockets open, and server.close() alone waits for them (minutes).
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((r) => { server.close(r); server.closeAllConnections(); }) };
}

export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

/** Headless Chromium; `webgpu: true` adds the SwiftShader WebGPU flags (TOOLCHAIN.md). */
export async function launch({ webgpu }) {
  const userDataDir = await mkdtemp(join(tmpdir(), "playground-chromium-"));
  const args = [
    "--headless", "--no-sandbox", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-gpu-watchdog",
  ];
  // WebGPU on SwiftShader. The last three flags let a WebGPU canvas present
  // headless: without them, Chromium 156 destroys the device on the first
  // getCurrentTexture() ("A valid external Instance reference no longer
  // exists" on every later mapAsync), which no real GPU setup does.
  if (webgpu) {
    args.push("--enable-unsafe-webgpu", "--use-webgpu-adapter=swiftshader",
      "--enable-features=Vulkan", "--use-vulkan=swiftshader", "--use-angle=vulkan");
  }
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM, headless: true, args, viewport: { width: 1100, height: 900 },
  });
  return context;
}

/** Opens the page and waits for `playground.ready`; collects console errors. */
export async function open(context, url) {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  await page.goto(url);
  await page.waitForFunction(() => window.playground && window.playground.ready, null, { timeout: 60_000 });
  await page.evaluate(() => window.playground.ready);
  return { page, errors };
}

/**
 * Replaces the block between `<!-- NAME:begin -->` and `<!-- NAME:end -->` of
 * BENCHMARKS.md under `root` with `block` (appended when the file has none),
 * unless the command line says --no-write; then prints the block.
 */
export function writeBenchBlock(root, name, block) {
  const BEGIN = `<!-- ${name}:begin -->`, END = `<!-- ${name}:end -->`;
  if (!process.argv.includes("--no-write")) {
    const path = root + "BENCHMARKS.md";
    const old = readFileSync(path, "utf8");
    const marked = `${BEGIN}\n${block.trim()}\n${END}`;
    const b = old.indexOf(BEGIN), e = old.indexOf(END);
    writeFileSync(path, b >= 0 && e > b ? old.slice(0, b) + marked + old.slice(e + END.length) : `${old.trimEnd()}\n\n${marked}\n`);
    console.log(`wrote the ${name} part of BENCHMARKS.md`);
  }
  console.log("\n" + block);
}

/**
 * A host page (served on a second loopback origin, another port) that embeds
 * the playground at `src` and drives it through postMessage (www/messages.js):
 * `window.call(name, ...args)` resolves to the reply, `window.events` collects
 * the events.
 */
export function hostPage(src) {
  return `<!doctype html><meta charset="utf-8"><title>host</title>
<iframe id="pg" src="${src}" width="480" height="560" title="Diffusion playground"></iframe>
<script>
  window.events = [];
  const waiting = new Map();
  addEventListener("message", (e) => {
    const d = e.data;
    if (!d || d.playground !== 1) return;
    if (d.event) window.events.push({ ...d, origin: e.origin });
    else if (waiting.has(d.id)) { waiting.get(d.id)(d); waiting.delete(d.id); }
  });
  let next = 1;
  // Resolves to the reply, or { none: true } when none came within 20 s.
  window.send = (msg) => new Promise((resolve) => {
    const id = "m" + next++;
    waiting.set(id, resolve);
    document.getElementById("pg").contentWindow.postMessage({ id, ...msg }, "*");
    setTimeout(() => { if (waiting.delete(id)) resolve({ none: true }); }, 20000);
  });
  window.call = (call, ...args) => window.send({ playground: 1, call, args });
</script>`;
}
