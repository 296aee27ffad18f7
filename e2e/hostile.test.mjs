// Hostile inputs (issue 31): every entry point that takes outside values —
// the automation API's setData, importModel, importCsv, setConfig, brush,
// logLikelihood and data, a lab's setConfig, and postMessage's args — fed
// values a careless or hostile page passes: null, undefined, numbers and
// strings where objects go, an array-like claiming a billion entries, typed
// arrays of the wrong kind, objects whose getters throw and proxies whose
// traps throw. Each call must either work or throw an Error whose message
// names the call (never a raw TypeError, RangeError or a wasm trap); no
// Rust panic may happen (the module's panic counter, web::input), and the
// page must still sample afterwards. Run: node --test e2e/hostile.test.mjs
import { before, after } from "node:test";
import assert from "node:assert/strict";
import { serve, launch, open, hostPage, test, DIST, LIMIT_MS } from "./harness.mjs";

let server, browser;

before(async () => {
  server = await serve(DIST);
  browser = await launch({ webgpu: false });
}, { timeout: LIMIT_MS });
after(async () => {
  await browser?.close();
  await server?.close();
}, { timeout: LIMIT_MS });

const FRAG = "#v=1&dataset=gaussians8&model=exact&sampler=ddim&steps=20&n=500&seed=3&backend=cpu";

/**
 * In the page: `window.__hostile()`, the hostile values (made fresh each
 * call: a getter or trap that throws, an array-like with length 1e9…), and
 * `window.__classify(fn)`, which runs `fn` and says how it ended.
 */
const HELPERS = () => {
  window.__hostile = () => {
    const getter = {};
    Object.defineProperty(getter, "x", { get() { throw new Error("a getter that throws"); }, enumerable: true });
    Object.defineProperty(getter, "steps", { get() { throw new Error("a getter that throws"); }, enumerable: true });
    const lengthy = new Float64Array(4);
    Object.defineProperty(lengthy, "length", { get() { throw new Error("a length that throws"); } });
    return {
      null: null,
      undefined: undefined,
      number: 42,
      string: "text",
      arrayLike: { length: 1e9 },
      arrayLikeX: { x: { length: 1e9 } },
      bigints: new BigInt64Array(4),
      dataView: new DataView(new ArrayBuffer(8)),
      float32bytes: new Float32Array(3),
      getter,
      typedLengthGetter: lengthy,
      arrayProxy: new Proxy([], { get() { throw new Error("a trap that throws"); } }),
      objectProxy: new Proxy({}, { ownKeys() { throw new Error("a trap that throws"); } }),
      nested: { steps: { deep: 1 }, x: [[1, 2]] },
      symbolValue: { steps: Symbol("s") },
    };
  };
  window.__classify = async (fn) => {
    try {
      await fn();
      return { ok: true };
    } catch (e) {
      const kind = e instanceof WebAssembly.RuntimeError ? "RuntimeError" : e?.constructor?.name ?? typeof e;
      return { ok: false, kind, message: String(e?.message ?? e) };
    }
  };
};

/** A failure is clear when it is a plain Error whose message names the call. */
const unclear = (r, names) => !r.ok && (r.kind !== "Error" || !names.some((n) => r.message.includes(n)));

test("the playground's API answers hostile values with a message naming the call, never a panic, and keeps sampling", async () => {
  const { page, errors } = await open(browser, server.url + FRAG);
  await page.evaluate(HELPERS);
  const results = await page.evaluate(async () => {
    const pg = window.playground;
    const calls = {
      setData: [(v) => pg.setData(v), ["setData"]],
      "setData x": [(v) => pg.setData({ x: v }), ["setData"]],
      "setData label": [(v) => pg.setData({ x: [0, 0], label: v }), ["setData"]],
      // The file pickers show these two's messages: they name the file, not the call.
      importModel: [(v) => pg.importModel(v), ["importModel", "model file"]],
      importCsv: [(v) => pg.editor.importCsv(v), ["importCsv", "CSV"]],
      setConfig: [(v) => pg.setConfig(v), ["setConfig"]],
      "setConfig steps": [(v) => pg.setConfig({ steps: v }), ["setConfig", "steps"]],
      checkConfig: [(v) => pg.checkConfig(v), ["setConfig"]],
      brush: [(v) => pg.editor.brush(v), ["brush"]],
      logLikelihood: [(v) => pg.logLikelihood(v), ["logLikelihood"]],
    };
    const out = [];
    for (const [call, [fn, names]] of Object.entries(calls)) {
      for (const [value, v] of Object.entries(window.__hostile())) {
        out.push({ call, value, names, ...(await window.__classify(() => fn(v))) });
      }
    }
    // The calls that take a count: counts past every limit (JS makes them unsigned 32-bit first).
    const counts = { data: [(v) => pg.data(v), ["data"]], bench: [(v) => pg.bench("cpu", v, 2), ["bench"]] };
    for (const [call, [fn, names]] of Object.entries(counts)) {
      for (const v of [1e10, -1, 1e9, 2 ** 32 + 1, NaN, Infinity]) {
        out.push({ call, value: String(v), names, ...(await window.__classify(() => fn(v))) });
      }
    }
    return out;
  });
  const bad = results.filter((r) => unclear(r, r.names));
  assert.deepEqual(bad, [], "every refusal is an Error naming its call");
  // The values that must be refused are (a sample checked by name, so the classifier is not vacuous).
  const refused = (call, value) => results.find((r) => r.call === call && r.value === value)?.ok === false;
  for (const [call, value] of [["setData", "null"], ["setData x", "arrayLike"], ["setData x", "bigints"], ["setData x", "getter"],
    ["importModel", "arrayLike"], ["importModel", "float32bytes"], ["importModel", "getter"], ["importCsv", "number"], ["importCsv", "getter"],
    ["setConfig", "getter"], ["setConfig", "objectProxy"], ["setConfig", "string"], ["setConfig steps", "nested"], ["brush", "getter"],
    ["logLikelihood", "arrayLike"], ["logLikelihood", "arrayProxy"], ["data", "10000000000"], ["data", "-1"], ["bench", "1000000000"], ["bench", "NaN"]]) {
    assert.ok(refused(call, value), `${call}(${value}) is refused`);
  }
  console.log(`hostile inputs: ${results.length} calls, ${results.filter((r) => !r.ok).length} refused with a message, ${results.filter((r) => r.ok).length} accepted`);
  assert.equal(await page.evaluate(() => window.wasmBindings.panicCount()), 0, "no Rust panic");
  // The page still works: a setting changes, a run completes, its samples are numbers.
  await page.evaluate(() => window.playground.setConfig({ dataset: "gaussians8", model: "exact", steps: 20 }));
  const st = await page.evaluate(() => window.playground.run());
  assert.equal(st.step, 20);
  const finite = await page.evaluate(async () => Array.from((await window.playground.samples()).x).every(Number.isFinite));
  assert.ok(finite, "the samples are finite");
  assert.deepEqual(errors, []);
  await page.close();
});

test("a lab's setConfig answers hostile values with a message and the lab keeps working", async () => {
  const { page, errors } = await open(browser, server.url + "#lab=langevin&kappa=25&angle=30&eps=0.02&precond=none&n=400&seed=3");
  await page.evaluate(HELPERS);
  const results = await page.evaluate(async () => {
    const out = [];
    for (const [value, v] of Object.entries(window.__hostile())) {
      out.push({ value, ...(await window.__classify(() => window.playground.setConfig(v))) });
      out.push({ value: `eps ${value}`, ...(await window.__classify(() => window.playground.setConfig({ eps: v }))) });
    }
    return out;
  });
  const bad = results.filter((r) => unclear(r, ["setConfig"]));
  assert.deepEqual(bad, []);
  assert.ok(results.find((r) => r.value === "getter").ok === false && results.find((r) => r.value === "objectProxy").ok === false);
  assert.equal(await page.evaluate(() => window.wasmBindings.panicCount()), 0, "no Rust panic");
  const c = await page.evaluate(() => window.playground.setConfig({ eps: 0.05 }));
  assert.equal(c.eps, 0.05, "the lab still takes a setting");
  assert.deepEqual(errors, []);
  await page.close();
});

test("postMessage args that are not what a call takes get an error reply and the embed keeps working", async (t) => {
  const origin = server.url.replace(/\/$/, "");
  const host = await serve(DIST, { "/host.html": { status: 200, type: "text/html; charset=utf-8", body: hostPage(`${origin}/${FRAG}&embed=1&autoplay=0`) } });
  t.after(() => host.close());
  const page = await browser.newPage();
  t.after(() => page.close());
  await page.goto(`${host.url}host.html`);
  await page.waitForFunction(() => window.events.some((e) => e.event === "ready"), null, { timeout: 60_000 });
  // Structured clone strips getters and proxies; what remains is the wrong shape or size.
  const replies = await page.evaluate(async () => {
    const out = [];
    for (const args of [[null], [42], ["steps=5"], [[1, 2]], [{ length: 1e9 }], [{ steps: { deep: 1 } }], [{ steps: [1] }], [{ steps: null }], [new BigInt64Array(2)]]) {
      out.push({ args: JSON.stringify(args, (k, v) => (typeof v === "bigint" ? String(v) : v)), reply: await window.call("setConfig", ...args) });
    }
    out.push({ args: "scrub {}", reply: await window.call("scrub", {}) });
    return out;
  });
  for (const r of replies.slice(0, -1)) {
    assert.ok(typeof r.reply.error === "string" && r.reply.error.includes("setConfig"), `setConfig(${r.args}) gets an error reply: ${JSON.stringify(r.reply)}`);
  }
  assert.ok(!replies.at(-1).reply.none, "scrub with an object gets a reply");
  const frame = page.frames().find((f) => f.url().startsWith(origin));
  assert.equal(await frame.evaluate(() => window.wasmBindings.panicCount()), 0, "no Rust panic in the embed");
  const run = await page.evaluate(() => window.call("run"));
  assert.equal(run.result?.step, 20, JSON.stringify(run));
});

test("control: the panic counter counts a real panic (so the checks above can fail)", async () => {
  const { page } = await open(browser, server.url + FRAG);
  const r = await page.evaluate(() => { try { window.wasmBindings.panicForTest(); return "returned"; } catch (e) { return e instanceof WebAssembly.RuntimeError ? "trap" : String(e); } });
  assert.equal(r, "trap", "a panic ends in a wasm trap");
  assert.equal(await page.evaluate(() => window.wasmBindings.panicCount()), 1);
  // …and the classifier calls a raw TypeError (what setData(null) threw before) unclear.
  const raw = await page.evaluate(() => { try { const { x } = null; return x; } catch (e) { return { ok: false, kind: e.constructor.name, message: e.message }; } });
  assert.ok(unclear(raw, ["setData"]));
  await page.close();
});
