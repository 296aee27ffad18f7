// Thin glue between the page and the wasm app: wires controls to
// `setConfig`, runs the animation loop and publishes `window.playground`.
// All state parsing, validation and sampling live in Rust (src/web).
(() => {
  "use strict";
  let app = null;
  let readyResolve, readyReject;
  const ready = new Promise((res, rej) => { readyResolve = res; readyReject = rej; });
  let waiters = [];   // run() promises waiting for the current run to finish
  let trainWaiters = [];   // train() promises waiting for the training run to end
  let lastStatus = null;
  let opts = null;
  const $ = (id) => document.getElementById(id);
  // Per-frame writers change the DOM only when a value changes: an unchanged
  // write still restyles, repaints and recomposites the page every frame (an
  // idle page kept two cores busy in headless Chromium).
  const setText = (el, s) => { if (el.textContent !== s) el.textContent = s; };
  const setProp = (obj, key, v) => { if (obj[key] !== v) obj[key] = v; };
  /** Class k's colour: the palette Rust draws with (options().palette). */
  const classColour = (k) => opts.palette[k % opts.palette.length];
  const need = () => { if (!app) throw new Error("playground is not ready yet: await playground.ready"); return app; };
  /** A classic script of the page's, loaded once, when first wanted (the default page loads neither the charts, the labs, compare mode, the score check nor the video recorder). */
  const scripts = {};
  const loadScript = (src) => scripts[src] ||= new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = src;
    s.onload = resolve;
    s.onerror = () => reject(new Error(`${src} could not be loaded`));
    document.head.appendChild(s);
  });
  // The postMessage API (www/messages.js) where a page can hold this one: in a
  // frame (an embed), or opened by another window. Loaded now, beside the wasm:
  // it posts the "ready" event a host waits for before it sends a call.
  if (window.parent !== window || window.opener) loadScript("./messages.js").catch(() => {});
  /** uPlot (the charts): loaded the first time a chart is wanted. */
  window.needUplot = () => (window.uPlot ? Promise.resolve(window.uPlot) : loadScript("./uPlot.iife.min.js").then(() => window.uPlot));

  // The automation API (README: "Automation API"). Names are stable.
  window.playground = {
    ready,
    status: () => need().status(),
    options: () => { need(); return window.wasmBindings.App.options(); },
    config: () => need().config(),
    setConfig(partial) { const c = need().setConfig(partial); syncControls(); return c; },
    checkConfig: (partial) => need().checkConfig(partial),
    run() {
      need().restart();
      return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
    },
    samples: () => need().samples(),
    plan: () => need().plan(),
    data: (n, seed) => Promise.resolve().then(() => need().data(n >>> 0, seed >>> 0)),
    shareUrl: () => `${location.origin}${location.pathname}#${need().fragment()}`,
    bench: (backend, n, steps) => need().bench(String(backend), n >>> 0, steps >>> 0),
    /** Video of a run (www/record.js, loaded at the first recording). */
    record: (options) => loadScript("./record.js").then(() => window.playgroundRecord(options)),
    play: () => need().play(),
    pause: () => need().pause(),
    step: () => need().step(),
    scrub: (k) => { need().scrub(k | 0); },
    scrubState: () => need().scrubState(),
    setForwardView: (on) => need().setForwardView(!!on),
    metrics: () => need().metrics(),
    scoreDiagnostics: (t = 0, n = 1024) => need().scoreDiagnostics(Number(t), n >>> 0),
    lineIntegrals: ([x0, y0], [x1, y1], t = 0) => need().lineIntegrals(+x0, +y0, +x1, +y1, Number(t)),
    logDensityRays: ([x, y] = [0, 0], t = 0, rays = 6) => need().logDensityRays(+x, +y, Number(t), rays >>> 0),
    logLikelihood: (points, steps = 0) => need().logLikelihood(points, steps >>> 0),
    likelihoodReport: (n = 512, steps = 0) => need().likelihoodReport(n >>> 0, steps >>> 0),
    lineIntegral(p0, p1, path = "straight", t = 0) {
      if (path !== "straight" && path !== "L") throw new Error(`path must be "straight" or "L", not ${JSON.stringify(path)}`);
      const r = window.playground.lineIntegrals(p0, p1, t);
      return path === "L" ? r.lPath : r.straight;
    },
    // Your own data and the in-page trainer (README: "Your own data"; www/custom.js draws the panels).
    // Values from outside are handed to Rust as they are: it checks their kind and size before copying (src/web/input.rs).
    setData(data) {
      const r = need().setData(data);
      syncControls();
      return r;
    },
    train(options = {}) {
      if (Object.keys(options).length) need().setConfig(options);
      const started = need().startTraining();
      syncControls();
      return new Promise((resolve, reject) => trainWaiters.push({ resolve, reject, started }));
    },
    trainStatus: () => need().trainStatus(),
    pauseTraining: (on = true) => need().trainPause(!!on),
    stopTraining: () => need().trainStop(),
    exportModel: () => Promise.resolve().then(() => need().exportModel()),
    importModel: (bytes) => Promise.resolve().then(() => {
      const r = need().importModel(bytes);
      syncControls();
      return r;
    }),
    editor: {
      dab: (u, v, start = false) => need().editDab(+u, +v, !!start),
      end: () => { need().editEnd(); syncControls(); },
      brush: (partial) => need().brush(partial),
      undo: () => { const r = need().undoEdit(); syncControls(); return r; },
      clear: () => { const r = need().clearData(); syncControls(); return r; },
      preset: (id) => { const r = need().loadPreset(String(id)); syncControls(); return r; },
      importCsv: (text) => { const r = need().importCsv(text); syncControls(); return r; },
      csv: () => need().dataCsv(),
      status: () => need().dataStatus(),
      drawPreview: (canvas) => need().drawTrainPreview(canvas),
    },
    embedCode: () => embedCode(),
    exportCsv: () => samplesCsv(),
    canvas: () => visibleCanvas(),
    runs: () => runs.slice(),
  };

  /** The keys that belong to one sampler or guidance (options().samplerUses, guidanceUses). */
  const ownKeys = () => new Set([...Object.values(opts.samplerUses), ...Object.values(opts.guidanceUses)].flat());

  function notice(text, kind = "") {
    const p = document.createElement("p");
    p.className = `notice ${kind}`;
    p.textContent = text;
    $("notices").appendChild(p);
  }

  function embedCode() {
    const url = `${location.origin}${location.pathname}#${window.wasmBindings.linkWith(need().fragment(), "embed", "1")}`;
    return `<iframe src="${url}" width="480" height="560" style="border:0;max-width:100%" loading="lazy" title="Diffusion playground"></iframe>`;
  }

  // The canvas on show: the 2D one, or the WebGPU one during a WebGPU run.
  const visibleCanvas = () => ($("canvas-gpu").hidden ? $("canvas") : $("canvas-gpu"));

  async function samplesCsv() {
    const { x } = await need().samples();
    const lines = ["x,y"];
    for (let i = 0; i < x.length; i += 2) lines.push(`${x[i]},${x[i + 1]}`);
    return lines.join("\n") + "\n";
  }

  function download(name, blob) {
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }

  /** The layer checkboxes, from Rust's layer table (options().layerHelp). */
  function buildLayers() {
    const help = $("layers-help");
    for (const id of opts.layers) {
      const label = document.createElement("label");
      label.title = opts.layerHelp[id].help;
      const box = document.createElement("input");
      box.type = "checkbox";
      box.value = id;
      label.append(box, ` ${opts.layerHelp[id].label}`);
      help.before(label);
    }
  }

  // Dataset thumbnails: 600 draws each, coloured by class, as buttons.
  function drawThumbs() {
    const box = $("thumbs");
    for (const id of opts.dataset) {
      const b = document.createElement("button");
      if (id === "custom") {
        // Your own points: the data editor (www/custom.js).
        b.type = "button";
        b.dataset.dataset = id;
        b.title = "your own data: draw it";
        b.setAttribute("aria-label", "dataset custom: your own points");
        b.className = "thumb-custom";
        b.textContent = "✎";
        b.addEventListener("click", () => { window.playground.setConfig({ dataset: id }); $("data-editor").open = true; });
        box.appendChild(b);
        continue;
      }
      b.type = "button";
      b.dataset.dataset = id;
      b.title = id;
      b.setAttribute("aria-label", `dataset ${id}`);
      const c = document.createElement("canvas");
      c.width = c.height = 56;
      const g = c.getContext("2d");
      const { x, label } = window.wasmBindings.App.datasetSample(id, 600, 1);
      for (let i = 0; i < x.length; i += 2) {
        g.fillStyle = classColour(label[i / 2]);
        g.fillRect(28 + x[i] * 6.2, 28 - x[i + 1] * 6.2, 1.5, 1.5);
      }
      b.appendChild(c);
      b.addEventListener("click", () => window.playground.setConfig({ dataset: id }));
      box.appendChild(b);
    }
  }

  // Finished runs for the distance-against-NFE chart: { sampler, nfe, dist, base },
  // the latest RUNS_KEPT of them (the chart draws the latest run of each sampler
  // and NFE), so a page left running for hours keeps a bounded history.
  const RUNS_KEPT = 200;
  const runs = [];
  function recordRun(c, st, m) {
    if (m.energyDistance == null) return;
    runs.push({ sampler: c.sampler, nfe: st.nfe, dist: m.energyDistance, base: m.baseline });
    if (runs.length > RUNS_KEPT) runs.splice(0, runs.length - RUNS_KEPT);
    drawNfeChart();
  }
  // The chart (uPlot, from npm, pinned in package.json): one line per sampler,
  // distance against NFE on log scales, the latest run at each NFE; the dashed
  // line is what two data samples score.
  let nfeChart = null;
  function drawNfeChart() {
    const fig = $("nfe");
    fig.hidden = runs.length < 2;
    nfeChart?.destroy();
    nfeChart = null;
    // The chart library loads with the first finished run (the chart shows from the second).
    if (runs.length < 2) { if (runs.length) window.needUplot().catch(() => {}); return; }
    if (!window.uPlot) { window.needUplot().then(drawNfeChart, (e) => notice(String(e.message || e), "error")); return; }
    const css = getComputedStyle(document.documentElement);
    const fg = css.getPropertyValue("--muted").trim(), grid = css.getPropertyValue("--border").trim();
    const samplers = [...new Set(runs.map((r) => r.sampler))];
    const nfes = [...new Set(runs.map((r) => r.nfe))].sort((a, b) => a - b);
    const positive = (v) => Math.max(v, 1e-6); // log scale; an estimate can dip to 0
    const data = [nfes, ...samplers.map((s) => nfes.map((x) => {
      const r = runs.filter((r) => r.sampler === s && r.nfe === x).pop();
      return r ? positive(r.dist) : null;
    })), nfes.map(() => positive(runs[runs.length - 1].base))];
    const axis = (label, space) => ({ label, space, stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } });
    nfeChart = new uPlot({
      width: Math.max(240, Math.min(640, $("nfe-chart").clientWidth || 320)),
      height: 180,
      scales: { x: { time: false, distr: 3 }, y: { distr: 3 } },
      axes: [axis("NFE", 40), axis("distance to data", 24)],
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
      series: [
        { label: "NFE" },
        ...samplers.map((s, k) => ({
          label: s, stroke: classColour(k), width: 1.5, spanGaps: true,
          points: { show: true, size: 6, fill: classColour(k) },
        })),
        { label: "two data samples", stroke: fg, width: 1, dash: [4, 4], points: { show: false } },
      ],
    }, data, $("nfe-chart"));
  }

  const fmtNum = (v, digits = 3) => (v == null || !Number.isFinite(v) ? "–" : Number(v).toPrecision(digits));
  let metricsShownFor = -1;

  function showMetrics(st) {
    setText($("m-nfe"), st.nfe.toLocaleString("en"));
    setText($("m-time"), `${(st.elapsedMs / 1000).toFixed(2)} s`);
    setText($("m-rate"), st.particleStepsPerSecond ? st.particleStepsPerSecond.toExponential(2) : "–");
    // Distance and diversity once a run has finished (they cost a few ms).
    const finished = !st.running && st.totalSteps > 0 && st.step >= st.totalSteps;
    const key = finished ? st.nfe * 1e6 + st.n : -1;
    if (finished && key !== metricsShownFor) {
      metricsShownFor = key;
      const m = app.metrics();
      recordRun(app.config(), st, m);
      $("m-dist").textContent = `${fmtNum(m.energyDistance)} (${fmtNum(m.baseline, 2)})`;
      $("m-div").textContent = fmtNum(m.logDet);
      $("m-div").parentElement.title = `Diversity: log-determinant of the sample covariance; per class: ${m.logDetByClass.map((v, k) => `${k}: ${fmtNum(v)}`).join(", ")}`;
    } else if (!finished) {
      metricsShownFor = -1;
      setText($("m-dist"), "–");
      setText($("m-div"), "–");
    }
  }

  function fillSelect(el, ids) {
    el.replaceChildren(...ids.map((id) => new Option(id, id)));
  }

  function syncControls() {
    const c = app.config();
    for (const el of document.querySelectorAll("[data-key]")) {
      if (el.type === "checkbox") el.checked = Boolean(c[el.dataset.key]);
      else if (document.activeElement !== el || el.type === "range") el.value = String(c[el.dataset.key]);
    }
    $("steps-out").textContent = String(c.steps);
    $("eta-out").textContent = String(c.eta);
    // Each sampler's and guidance's own parameters show only when they apply (Rust's rule: app.uses()).
    const uses = new Set(app.uses());
    for (const key of ownKeys()) $(`${key}-field`).hidden = !uses.has(key);
    for (const key of ["w", "g", "snr", "noise"]) $(`${key}-out`).textContent = String(c[key]);
    $("schedule-help").textContent = opts.scheduleHelp[c.schedule] || "";
    const on = new Set(c.layers.split(",").filter(Boolean));
    for (const box of document.querySelectorAll("#layers input")) box.checked = on.has(box.value);
    // Presentation: theme, and the compact embed view with a link to the full page.
    document.documentElement.dataset.theme = c.theme;
    document.body.classList.toggle("embed", c.embed);
    $("open-full").hidden = !c.embed;
    $("open-full").href = `${location.pathname}#${window.wasmBindings.linkWith(app.fragment(), "embed", "0")}`;
    $("guidance-help").textContent = opts.guidanceHelp[c.guidance] || "";
    $("sampler-help").textContent = opts.samplerHelp[c.sampler] || "";
    $("model-help").textContent = opts.modelHelp[c.model] || "";
    $("target-help").textContent = opts.targetHelp[c.target] || "";
    // The class choices follow the dataset: all, or one of its classes.
    const k = c.dataset === "custom" ? app.dataStatus().classes : (opts.numClasses[c.dataset] || 0);
    const cls = $("class");
    if (cls.options.length !== k + 1) {
      fillSelect(cls, ["all", ...Array.from({ length: k }, (_, i) => String(i))]);
    }
    cls.value = String(c.class);
    for (const b of document.querySelectorAll("#thumbs button")) b.setAttribute("aria-pressed", String(b.dataset.dataset === c.dataset));
    // Keep the address bar shareable without adding a history entry per change.
    const frag = `#${app.fragment()}`;
    if (location.hash !== frag) history.replaceState(null, "", frag);
    // For a page that holds this one (compare mode's panels, www/compare.js).
    dispatchEvent(new CustomEvent("playground:config", { detail: { fragment: frag.slice(1) } }));
    showStatus(app.status(), true);
  }

  function showStatus(st, fresh = false) {
    lastStatus = st;
    const badge = $("backend-badge");
    setText(badge, st.backend === "webgpu" ? "WebGPU" : "CPU");
    setProp(badge, "className", `badge ${st.backend}`);
    setText($("backend-reason"), st.backendReason +
      (st.renderer === "webgpu" ? "; drawn by a WebGPU render pass straight from GPU memory" : ""));
    setProp($("progress-bar").style, "width", `${st.totalSteps ? (100 * st.step) / st.totalSteps : 0}%`);
    setText($("status-line"),
      `step ${st.step} / ${st.totalSteps} · NFE ${st.nfe} · ${st.n.toLocaleString()} particles` +
      (st.loading ? " · loading the model…" : st.running ? "" : st.step >= st.totalSteps ? " · done" : " · paused") +
      (st.escaped ? ` · ${st.escaped.toLocaleString()} escaped beyond ±100 (guidance overshoot)` : ""));
    setText($("play"), st.running ? "Pause" : "Play");
    showMetrics(st);
    // The scrubber follows the run while live.
    const sc = app.scrubState();
    const slider = $("scrub");
    setProp(slider, "max", String(Math.max(0, sc.frames - 1)));
    if (sc.index == null) setProp(slider, "value", slider.max);
    setText($("scrub-out"), sc.index == null ? "live" : `step ${sc.step} / ${sc.totalSteps}`);
    if (fresh) {
      $("notices").replaceChildren();
      for (const msg of st.ignored) notice(`Ignored ${msg}`);
      if (st.error) notice(st.error, "error");
    }
  }

  // The training pump: one task per slice, posted through a MessageChannel
  // (not a timer: no 4 ms clamp), so the CPU twin's ~10 ms slices fill the
  // time frames leave and the page still draws and answers input between
  // them; a WebGPU run awaits each submit's readback. It stops when the run
  // is paused or ends; the animation loop starts it again.
  let pumping = false, trainShown = null, sampling = false;
  const pump = new MessageChannel();
  pump.port1.onmessage = async () => {
    let ts = null;
    try {
      ts = await app.trainTick(sampling ? 6 : 12);
    } catch (e) {
      notice(`Internal error while training: ${e.message || e}`, "error");
    }
    trainShown = ts;
    if (ts && ts.phase === "running") pump.port2.postMessage(0);
    else pumping = false;
  };
  function pumpTraining(running) {
    sampling = running;
    if (!pumping) { pumping = true; pump.port2.postMessage(0); }
  }

  async function loop() {
    try {
      const before = lastStatus && lastStatus.error;
      const st = await app.tick(12);
      showStatus(st, st.error !== before);
      // Training runs in its own tasks between frames (pumpTraining); the panel follows once a frame.
      if (st.training) pumpTraining(st.running);
      if (trainShown) {
        dispatchEvent(new CustomEvent("playground:train", { detail: trainShown }));
        trainShown = null;
      }
      if (trainWaiters.length && !st.training) {
        const ts = app.trainStatus();
        if (ts.phase !== "running" && ts.phase !== "paused") {
          const done = trainWaiters; trainWaiters = [];
          for (const w of done) {
            if (ts.phase === "failed") w.reject(new Error(ts.error || "training failed"));
            else w.resolve({ steps: ts.step, loss: ts.loss, seconds: ts.seconds, backend: ts.backend, phase: ts.phase });
          }
          dispatchEvent(new CustomEvent("playground:train", { detail: ts }));
        }
      }
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
      el.addEventListener("change", () => window.playground.setConfig({ [el.dataset.key]: el.type === "checkbox" ? el.checked : el.value }));
    }
    $("steps").addEventListener("input", (e) => { $("steps-out").textContent = e.target.value; });
    $("eta").addEventListener("input", (e) => { $("eta-out").textContent = e.target.value; });
    for (const key of ["w", "g", "snr", "noise"]) $(key).addEventListener("input", (e) => { $(`${key}-out`).textContent = e.target.value; });
    $("reroll").addEventListener("click", () => {
      const seed = crypto.getRandomValues(new Uint32Array(1))[0];
      window.playground.setConfig({ seed });
    });
    $("play").addEventListener("click", () => (lastStatus && lastStatus.running ? app.pause() : app.play()));
    $("restart").addEventListener("click", () => app.restart());
    $("step").addEventListener("click", () => app.step());
    $("scrub").addEventListener("input", (e) => { app.scrub(Number(e.target.value)); showStatus(app.status()); });
    $("forward").addEventListener("change", (e) => { app.setForwardView(e.target.checked); showStatus(app.status()); });
    for (const box of document.querySelectorAll("#layers input")) {
      box.addEventListener("change", () => {
        const layers = [...document.querySelectorAll("#layers input")].filter((b) => b.checked).map((b) => b.value).join(",");
        window.playground.setConfig({ layers });
      });
    }
    $("embed").addEventListener("click", () => {
      $("embed-field").hidden = false;
      $("embed-code").value = embedCode();
      $("embed-code").select();
    });
    $("export-png").addEventListener("click", () => visibleCanvas().toBlob((b) => download("diffusion-playground.png", b), "image/png"));
    $("export-csv").addEventListener("click", async () => download("samples.csv", new Blob([await samplesCsv()], { type: "text/csv" })));
    $("record").addEventListener("click", async () => {
      const button = $("record"), label = button.textContent;
      button.disabled = true;
      try {
        const blob = await window.playground.record({ onProgress: (p) => { button.textContent = `Recording ${p.step}/${p.totalSteps}`; } });
        download("diffusion-playground.webm", blob);
        if (blob.truncated) notice(`The recording stopped at its limit (${blob.truncated}).`);
      } catch (e) {
        notice(`Recording failed: ${e.message || e}`, "error");
      } finally {
        button.textContent = label;
        button.disabled = false;
      }
    });
    $("export-json").addEventListener("click", () => download("config.json", new Blob([JSON.stringify(app.config(), null, 2) + "\n"], { type: "application/json" })));
    $("share").addEventListener("click", async () => {
      const url = window.playground.shareUrl();
      try { await navigator.clipboard.writeText(url); notice("Link copied."); }
      catch { notice(`Copy this link: ${url}`); }
    });
    // The score check panel's script (www/diagnostics.js), when the panel first opens.
    $("score-check").addEventListener("toggle", () => {
      if ($("score-check").open) loadScript("./diagnostics.js").catch((e) => notice(String(e.message || e), "error"));
    });
    $("compare-open").addEventListener("click", () => {
      // Compare mode starts from a link: B begins as a copy of A.
      history.pushState(null, "", `#${app.fragment()}&compare=1`);
      location.reload();
    });
    window.addEventListener("hashchange", () => {
      if (bindings().App.comparePanels(location.hash)) { location.reload(); return; }
      if (location.hash !== `#${app.fragment()}`) { app.loadFragment(location.hash); syncControls(); }
    });
    document.addEventListener("keydown", (e) => {
      if (e.target.closest("input, select, textarea") || e.metaKey || e.ctrlKey || e.altKey) return;
      if (e.key === " ") { e.preventDefault(); $("play").click(); }
      else if (e.key === "r" || e.key === "R") app.restart();
      else if (e.key === "s" || e.key === "S") app.step();
    });
  }

  const bindings = () => window.wasmBindings;

  /**
   * The header's links to every page mode: the playground, compare mode and
   * each lab Rust lists (options().labs), a lab named by its section's label.
   * A link that changes the mode reloads the page (each mode starts from its link).
   * `now`: the mode this page shows ("playground", "compare" or a lab's id).
   */
  function buildModes(now) {
    const nav = $("modes");
    for (const id of bindings().pageOptions().labs) {
      const section = document.querySelector(`section[data-lab="${id}"]`);
      const a = document.createElement("a");
      a.href = `#lab=${id}`;
      a.dataset.mode = id;
      a.textContent = section?.getAttribute("aria-label") ?? id;
      nav.append(a);
    }
    for (const a of nav.querySelectorAll("a")) {
      if (a.dataset.mode === now) a.setAttribute("aria-current", "page");
      a.addEventListener("click", (e) => {
        e.preventDefault();
        history.pushState(null, "", a.getAttribute("href"));
        location.reload();
      });
    }
  }

  async function start() {
    try {
      const bindings = window.wasmBindings;
      // lab=<id>: a lab (www/labs.js) instead of the sampling playground.
      const lab = bindings.labOf(location.hash);
      // compare=1: two playgrounds side by side (www/compare.js) instead of one (the labs' module has no App).
      const panels = lab.lab ? null : bindings.App.comparePanels(location.hash);
      buildModes(lab.lab || (panels ? "compare" : "playground"));
      if (lab.lab) {
        $("status-line").textContent = "";
        const [labBindings] = await Promise.all([window.loadLabBindings(), loadScript("./labs.js"), window.needUplot()]);
        const api = await window.playgroundLab.start(labBindings, lab.lab);
        window.playground = { ready, ...api };
        readyResolve(window.playground);
        return;
      }
      if (panels) {
        $("status-line").textContent = "";
        await loadScript("./compare.js");
        const api = await window.playgroundCompare.start(bindings, panels);
        window.playground = { ready, ...api };
        readyResolve(window.playground);
        return;
      }
      opts = bindings.App.options();
      // Every enumerated key with a menu on the page gets its ids from Rust's key table.
      for (const key of Object.keys(opts.keys)) {
        const el = $(key);
        if (el && el.tagName === "SELECT" && Array.isArray(opts[key])) fillSelect(el, opts[key]);
      }
      buildLayers();
      // Every number's limits come from the key table too (options().<key> = [min, max]).
      for (const el of document.querySelectorAll("input[data-key]")) {
        const r = opts[el.dataset.key];
        if (el.type !== "checkbox" && Array.isArray(r) && r.length === 2 && typeof r[0] === "number") { el.min = String(r[0]); el.max = String(r[1]); }
      }
      app = await bindings.App.create($("canvas"), $("canvas-gpu"), location.hash);
      drawThumbs();
      wire();
      $("nfe-clear").addEventListener("click", () => { runs.length = 0; drawNfeChart(); });
      syncControls();
      // Reduced motion: unless the link asks for autoplay, wait for Play.
      if (matchMedia("(prefers-reduced-motion: reduce)").matches && !/(^|[#&])autoplay=1/.test(location.hash)) {
        app.pause();
        notice("Your system asks for reduced motion, so sampling waits for Play (or Step).");
      }
      readyResolve(window.playground);
      requestAnimationFrame(loop);
    } catch (e) {
      $("status-line").textContent = "";
      notice(`The playground could not start: ${e.message || e}`, "error");
      readyReject(e);
    }
  }

  // www/loader.js sets window.wasmBindings and then fires this event (or says it failed).
  if (window.wasmBindings) start();
  else {
    addEventListener("TrunkApplicationStarted", start, { once: true });
    addEventListener("PlaygroundLoadFailed", (e) => {
      $("status-line").textContent = "";
      const err = e.detail && e.detail.error;
      notice(`The playground could not load its WebAssembly: ${(err && err.message) || err}`, "error");
      readyReject(err);
    }, { once: true });
  }
})();
