// Thin glue between the page and the wasm app: wires controls to
// `setConfig`, runs the animation loop and publishes `window.playground`.
// All state parsing, validation and sampling live in Rust (src/web).
(() => {
  "use strict";
  let app = null;
  let readyResolve, readyReject;
  const ready = new Promise((res, rej) => { readyResolve = res; readyReject = rej; });
  let waiters = [];   // run() promises waiting for the current run to finish
  let lastStatus = null;
  let opts = null;
  const $ = (id) => document.getElementById(id);
  const need = () => { if (!app) throw new Error("playground is not ready yet: await playground.ready"); return app; };

  // The automation API (README: "Automation API"). Names are stable.
  window.playground = {
    ready,
    status: () => need().status(),
    options: () => { need(); return window.wasmBindings.App.options(); },
    config: () => need().config(),
    setConfig(partial) { const c = need().setConfig(partial); syncControls(); return c; },
    run() {
      need().restart();
      return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
    },
    samples: () => Promise.resolve(need().samples()),
    plan: () => need().plan(),
    data: (n, seed) => Promise.resolve(need().data(n >>> 0, seed >>> 0)),
    shareUrl: () => `${location.origin}${location.pathname}#${need().fragment()}`,
    bench: (backend, n, steps) => need().bench(String(backend), n >>> 0, steps >>> 0),
    play: () => need().play(),
    pause: () => need().pause(),
  };

  function notice(text, kind = "") {
    const p = document.createElement("p");
    p.className = `notice ${kind}`;
    p.textContent = text;
    $("notices").appendChild(p);
  }

  function fillSelect(el, ids) {
    el.replaceChildren(...ids.map((id) => new Option(id, id)));
  }

  function syncControls() {
    const c = app.config();
    for (const el of document.querySelectorAll("[data-key]")) {
      if (document.activeElement !== el || el.type === "range") el.value = String(c[el.dataset.key]);
    }
    $("steps-out").textContent = String(c.steps);
    $("eta-out").textContent = String(c.eta);
    // Each sampler's and guidance's own parameters show only when they apply.
    const shown = { eta: c.sampler === "ddim", variance: c.sampler === "ddpm", k: c.sampler === "langevin",
      eps: c.sampler === "langevin", m: c.sampler === "pc", snr: c.sampler === "pc",
      w: c.guidance === "cfg", g: c.guidance === "classifier" };
    for (const [key, on] of Object.entries(shown)) $(`${key}-field`).hidden = !on;
    for (const key of ["w", "g", "snr"]) $(`${key}-out`).textContent = String(c[key]);
    $("schedule-help").textContent = opts.scheduleHelp[c.schedule] || "";
    $("guidance-help").textContent = opts.guidanceHelp[c.guidance] || "";
    $("sampler-help").textContent = opts.samplerHelp[c.sampler] || "";
    $("model-help").textContent = opts.modelHelp[c.model] || "";
    // The class choices follow the dataset: all, or one of its classes.
    const k = opts.numClasses[c.dataset] || 0;
    const cls = $("class");
    if (cls.options.length !== k + 1) {
      fillSelect(cls, ["all", ...Array.from({ length: k }, (_, i) => String(i))]);
    }
    cls.value = String(c.class);
    // Keep the address bar shareable without adding a history entry per change.
    const frag = `#${app.fragment()}`;
    if (location.hash !== frag) history.replaceState(null, "", frag);
    showStatus(app.status(), true);
  }

  function showStatus(st, fresh = false) {
    lastStatus = st;
    const badge = $("backend-badge");
    badge.textContent = st.backend === "webgpu" ? "WebGPU" : "CPU";
    badge.className = `badge ${st.backend}`;
    $("backend-reason").textContent = st.backendReason;
    $("progress-bar").style.width = `${st.totalSteps ? (100 * st.step) / st.totalSteps : 0}%`;
    $("status-line").textContent =
      `step ${st.step} / ${st.totalSteps} · NFE ${st.nfe} · ${st.n.toLocaleString()} particles` +
      (st.loading ? " · loading the model…" : st.running ? "" : st.step >= st.totalSteps ? " · done" : " · paused") +
      (st.escaped ? ` · ${st.escaped.toLocaleString()} escaped beyond ±100 (guidance overshoot)` : "");
    $("play").textContent = st.running ? "Pause" : "Play";
    if (fresh) {
      $("notices").replaceChildren();
      for (const msg of st.ignored) notice(`Ignored ${msg}`);
      if (st.error) notice(st.error, "error");
    }
  }

  async function loop() {
    try {
      const before = lastStatus && lastStatus.error;
      const st = await app.tick(12);
      showStatus(st, st.error !== before);
      if (!st.running && !st.loading && waiters.length) {
        const done = waiters; waiters = [];
        for (const w of done) st.error ? w.reject(new Error(st.error)) : w.resolve(st);
      }
    } catch (e) {
      notice(`Internal error: ${e.message || e}`, "error");
      for (const w of waiters) w.reject(e);
      waiters = [];
    }
    requestAnimationFrame(loop);
  }

  function wire() {
    for (const el of document.querySelectorAll("[data-key]")) {
      el.addEventListener("change", () => window.playground.setConfig({ [el.dataset.key]: el.value }));
    }
    $("steps").addEventListener("input", (e) => { $("steps-out").textContent = e.target.value; });
    $("eta").addEventListener("input", (e) => { $("eta-out").textContent = e.target.value; });
    for (const key of ["w", "g", "snr"]) $(key).addEventListener("input", (e) => { $(`${key}-out`).textContent = e.target.value; });
    $("reroll").addEventListener("click", () => {
      const seed = crypto.getRandomValues(new Uint32Array(1))[0];
      window.playground.setConfig({ seed });
    });
    $("play").addEventListener("click", () => (lastStatus && lastStatus.running ? app.pause() : app.play()));
    $("restart").addEventListener("click", () => app.restart());
    $("share").addEventListener("click", async () => {
      const url = window.playground.shareUrl();
      try { await navigator.clipboard.writeText(url); notice("Link copied."); }
      catch { notice(`Copy this link: ${url}`); }
    });
    window.addEventListener("hashchange", () => {
      if (location.hash !== `#${app.fragment()}`) { app.loadFragment(location.hash); syncControls(); }
    });
    document.addEventListener("keydown", (e) => {
      if (e.target.closest("input, select, textarea") || e.metaKey || e.ctrlKey || e.altKey) return;
      if (e.key === " ") { e.preventDefault(); $("play").click(); }
      else if (e.key === "r" || e.key === "R") app.restart();
    });
  }

  async function start() {
    try {
      const bindings = window.wasmBindings;
      opts = bindings.App.options();
      for (const key of ["dataset", "sampler", "variance", "schedule", "spacing", "model", "guidance", "backend"]) fillSelect($(key), opts[key]);
      $("steps").min = opts.steps[0]; $("steps").max = opts.steps[1];
      $("n").min = opts.n[0]; $("n").max = opts.n[1];
      app = await bindings.App.create($("canvas"), location.hash);
      wire();
      syncControls();
      readyResolve(window.playground);
      requestAnimationFrame(loop);
    } catch (e) {
      $("status-line").textContent = "";
      notice(`The playground could not start: ${e.message || e}`, "error");
      readyReject(e);
    }
  }

  // Trunk's loader sets window.wasmBindings and then fires this event.
  if (window.wasmBindings) start();
  else addEventListener("TrunkApplicationStarted", start, { once: true });
})();
