// The postMessage API of an embedded playground (README: "Driving an embed
// from the host page"): a page on any origin that holds the playground in an
// iframe sends `{ playground: 1, id, call, args }` and gets back
// `{ playground: 1, id, result }` or `{ playground: 1, id, error }`; the
// playground also posts the events `{ playground: 1, event: "ready" | "done" |
// "error", … }` to its parent. The calls are the automation API's
// (window.playground, www/app.js); a malformed message gets an error reply and
// changes nothing. The link key `origins` (comma-separated origins, e.g.
// `origins=https%3A%2F%2Fblog.example`) limits which parent origins may drive
// it; without it any origin may (the page holds nothing private). Loaded by
// www/app.js only where another window can hold the page (a frame, an opener).
(() => {
  "use strict";
  const CALLS = ["setConfig", "run", "play", "pause", "step", "status", "config", "samples", "metrics", "scrub"];
  const parentWindow = window.parent !== window ? window.parent : null;

  /** The origins allowed to drive this page, or null for any: the link's `origins` key, parsed and checked in Rust. */
  function originsNow() {
    return window.wasmBindings ? window.wasmBindings.originsOf(location.hash) : [];
  }

  /** The same, once the wasm module has loaded (a message may come first). */
  async function allowedOrigins() {
    if (!window.wasmBindings) await window.playground.ready.catch(() => {});
    return originsNow();
  }

  /** Whether `data` is a well-formed request; else the reason it is not. */
  function check(data) {
    if (data === null || typeof data !== "object" || Array.isArray(data)) return "a message must be an object";
    if (data.playground !== 1) return "not a playground message (playground: 1 is missing)";
    if (!(typeof data.id === "string" || Number.isFinite(data.id))) return "id must be a string or a number";
    if (typeof data.call !== "string" || !CALLS.includes(data.call)) return `unknown call ${JSON.stringify(data.call)}; the calls are ${CALLS.join(", ")}`;
    if (data.args !== undefined && !Array.isArray(data.args)) return "args must be an array";
    return null;
  }

  window.addEventListener("message", async (e) => {
    const data = e.data;
    // Only messages that claim to be ours get replies; anything else posted
    // to the window (other scripts' messages) is not our business.
    if (data === null || typeof data !== "object" || data.playground === undefined) return;
    const reply = (body) => e.source?.postMessage({ playground: 1, id: data.id ?? null, ...body }, e.origin === "null" ? "*" : e.origin);
    const allowed = await allowedOrigins();
    if (allowed && !allowed.includes(e.origin)) {
      reply({ error: `origin ${e.origin} may not drive this playground (the link allows ${allowed.join(", ")})` });
      return;
    }
    const bad = check(data);
    if (bad) { reply({ error: bad }); return; }
    try {
      const api = await window.playground.ready;
      if (data.call === "setConfig") {
        // All or nothing: a message with any key setConfig would ignore changes nothing.
        const ignored = api.checkConfig(data.args?.[0] ?? {});
        if (ignored.length) {
          reply({ error: `setConfig: ${ignored.map((i) => `${i.key}=${i.value}: ${i.reason}`).join("; ")}` });
          return;
        }
      }
      const result = await api[data.call](...(data.args ?? []));
      reply({ result: result === undefined ? null : result });
    } catch (err) {
      reply({ error: String(err?.message ?? err) });
    }
  });

  // Events to the parent: ready once, done after each finished run, error on a run's error.
  if (parentWindow) {
    // One allowed origin: post to it alone; any origin: to any; an invalid list allows none.
    const target = () => { const a = originsNow(); return a === null ? "*" : a.length === 1 ? a[0] : a.length === 0 ? null : "*"; };
    const post = (body) => { const t = target(); if (t === null) return; try { parentWindow.postMessage({ playground: 1, ...body }, t); } catch { /* a disallowed parent origin */ } };
    window.playground.ready.then((api) => {
      post({ event: "ready", config: api.config() });
      // Compare mode's page (www/compare.js) has no run of its own to watch: its panels post their own events.
      if (api.compare) return;
      let was = null;
      const watch = () => {
        const st = api.status();
        const key = `${st.running}|${st.step}|${st.error}`;
        if (was !== null && key !== was) {
          if (st.error && !was.endsWith(`|${st.error}`)) post({ event: "error", error: st.error });
          else if (!st.running && !st.loading && st.step >= st.totalSteps && st.totalSteps > 0 && !was.startsWith("false|" + st.step)) post({ event: "done", status: st });
        }
        was = key;
        requestAnimationFrame(watch);
      };
      requestAnimationFrame(watch);
    }, (err) => post({ event: "error", error: String(err?.message ?? err) }));
  }
})();
