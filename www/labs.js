// Labs (README: "Labs"): a page mode opened by `lab=<id>` in the link. The
// lab's state, maths and drawing live in Rust (src/web/labs); this file wires
// its controls, runs its animation loop, keeps the link current and charts
// its figures with uPlot. www/app.js calls start() instead of building the
// sampling playground.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  /** The class palette Rust draws with (options().palette), read when a lab starts. */
  let palette = [];
  /** The labs' wasm bindings (www/loader.js loads them for a lab's link). */
  let labBindings = null;
  /** Controls of the Langevin lab: element id → config key. */
  const KEYS = { "lab-target": "target", "lab-kappa": "kappa", "lab-angle": "angle", "lab-eps": "eps", "lab-precond": "precond", "lab-noise": "noise", "lab-lambda": "lambda", "lab-n": "n", "lab-speed": "speed" };
  const fmt = (v, d = 3) => (Number.isFinite(v) ? Number(v).toPrecision(d) : "–");
  const cov = (c) => (c ? `[${fmt(c.xx)}, ${fmt(c.xy)}; ${fmt(c.xy)}, ${fmt(c.yy)}]` : "–");

  function notice(text, kind = "", box = "lab-notices") {
    const p = document.createElement("p");
    p.className = `notice ${kind}`;
    p.textContent = text;
    $(box).appendChild(p);
  }

  /** Theme, embed view and the link, as every lab keeps them. */
  function present(c, fragment, fullLink) {
    document.documentElement.dataset.theme = c.theme;
    document.body.classList.toggle("embed", c.embed);
    $(fullLink).hidden = !c.embed;
    $(fullLink).href = `${location.pathname}#${window.wasmBindings.linkWith(fragment, "embed", "0")}`;
    history.replaceState(null, "", `#${fragment}`);
  }

  function themed() {
    const css = getComputedStyle(document.documentElement);
    const fg = css.getPropertyValue("--muted").trim(), grid = css.getPropertyValue("--border").trim();
    return (label) => ({ label, stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } });
  }

  /**
   * What every lab page wires alike: each control (element id → config key)
   * sets its key on change (or on input, for `live` ids), a refused value says
   * why in the lab's notices box; the share button copies the link; the
   * link's ignored keys are listed. Returns nothing: `set` and `sync` are the lab's.
   */
  function wire(prefix, app, keys, set, sync, live = []) {
    // Each number's limits come from the lab's own key table in Rust (labOptions).
    const ranges = labBindings.labOptions(labBindings.labOf(location.hash).lab) || {};
    for (const [id, key] of Object.entries(keys)) {
      const r = ranges[key];
      if (r && (r.kind === "int" || r.kind === "float")) { $(id).min = String(r.min); $(id).max = String(r.max); }
      $(id).addEventListener(live.includes(id) ? "input" : "change", () => {
        try { set({ [key]: $(id).value }); } catch (e) { notice(String(e.message || e), "error", `${prefix}-notices`); sync(); }
      });
    }
    $(`${prefix}-share`).addEventListener("click", () => navigator.clipboard?.writeText(location.href).catch(() => {}));
    for (const msg of app.status().ignored) notice(`Ignored from the link: ${msg}`, "", `${prefix}-notices`);
  }

  /** Space plays or pauses; S steps and R restarts where the lab has them. */
  function shortcuts(toggle, step, restart) {
    addEventListener("keydown", (e) => {
      if (e.target.closest("input, select, textarea")) return;
      if (e.key === " ") { e.preventDefault(); toggle(); }
      else if (step && (e.key === "s" || e.key === "S")) step();
      else if (restart && (e.key === "r" || e.key === "R")) restart();
    });
  }

  /** The automation API every lab has (README: "Labs"), plus the lab's own. */
  function api(lab, app, set, own) {
    return {
      lab,
      config: () => app.config(),
      setConfig: (partial) => { set(partial); return app.config(); },
      fragment: () => app.fragment(),
      shareUrl: () => `${location.origin}${location.pathname}#${app.fragment()}`,
      status: () => app.status(),
      ...own,
    };
  }

  /** Each lab's page, by its id in links (Rust's router lists the ids: options().labs). */
  const LAB_PAGES = { langevin: startLangevin, guidance: startGuidance, fokker_planck: startFokkerPlanck, grf: startGrf, ais: startAis };

  async function start(bindings, lab) {
    const page = LAB_PAGES[lab];
    if (!page) throw new Error(`no page for lab ${JSON.stringify(lab)} (labs: ${Object.keys(LAB_PAGES).join(", ")})`);
    document.body.classList.add("in-lab");
    labBindings = bindings;
    palette = bindings.pageOptions().palette;
    return page(bindings, lab);
  }

  /** A uPlot chart against one x with a left and a right axis (series: [label, stroke, side]). */
  function dualChart(el, xLabel, left, right, series, data, shade) {
    const axis = themed();
    return new uPlot({
      width: Math.max(240, Math.min(520, el.clientWidth || 320)),
      height: 200,
      scales: { x: { time: false }, l: {}, r: {} },
      axes: [axis(xLabel), { ...axis(left), scale: "l" }, { ...axis(right), scale: "r", side: 1, grid: { show: false } }],
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
      series: [{ label: xLabel }, ...series.map(([label, stroke, side]) => ({ label, stroke, width: 1.5, scale: side, points: { show: true, size: 5, fill: stroke } }))],
      hooks: { draw: [(u) => {
        const from = shade?.();
        if (from == null) return;
        const x0 = u.valToPos(from, "x", true), right = u.bbox.left + u.bbox.width;
        if (!(x0 < right)) return;
        u.ctx.save();
        u.ctx.fillStyle = "rgba(250, 110, 140, 0.14)";
        u.ctx.fillRect(x0, u.bbox.top, right - x0, u.bbox.height);
        u.ctx.restore();
      }] },
    }, data, el);
  }

  /** The guidance lab: the jobs run in the animation loop; the charts follow the figures. */
  async function startGuidance(bindings) {
    $("guidance-view").hidden = false;
    const app = await bindings.GuidanceLab.create($("guidance-canvas"), location.hash);
    const keys = { "guidance-dataset": "dataset", "guidance-class": "class", "guidance-model": "model", "guidance-guidance": "guidance", "guidance-max": "max", "guidance-n": "n", "guidance-steps": "steps", "guidance-backend": "backend", "guidance-groupA": "groupA", "guidance-groupB": "groupB", "guidance-angle": "angle" };
    let charts = {}, last = null, shownError = null;
    const sync = () => {
      const c = app.config();
      for (const [id, key] of Object.entries(keys)) $(id).value = c[key];
      present(c, app.fragment(), "guidance-open-full");
      const st = app.status();
      $("backend-badge").textContent = st.backend === "webgpu" ? "WebGPU" : "CPU";
      $("backend-badge").title = `The sweep samples on ${st.backend === "webgpu" ? "WebGPU" : "the CPU"}: ${st.backendReason}. The fairness toy runs on the CPU.`;
      if (st.error && st.error !== shownError) { shownError = st.error; notice(st.error, "error", "guidance-notices"); }
    };
    const showFigures = () => {
      const f = app.figures();
      last = f;
      const w = f.sweep.map((p) => p.strength);
      const over = () => f.overshootFrom;
      const fit = [w, f.sweep.map((p) => p.distance), f.sweep.map((p) => p.accuracy)];
      const shape = [w, f.sweep.map((p) => p.logDet), f.sweep.map((p) => (p.anisotropy ? Math.log(p.anisotropy) : null)), f.sweep.map((p) => p.meanNorm)];
      const fair = [...f.fairness].sort((a, b) => a.fidelity - b.fidelity);
      const fairData = [fair.map((p) => p.fidelity), fair.map((p) => p.gap)];
      for (const c of Object.values(charts)) c.destroy();
      const name = app.config().guidance === "cfg" ? "w" : "g";
      charts = {
        fit: dualChart($("guidance-chart-fit"), `strength ${name}`, "energy distance", "accuracy", [["distance to the class", palette[0], "l"], ["accuracy", palette[1], "r"]], fit, over),
        shape: dualChart($("guidance-chart-shape"), `strength ${name}`, "log", "mean |x|", [["log det Σ", palette[3], "l"], ["log eigenvalue ratio", palette[4], "l"], ["mean |x|", palette[2], "r"]], shape, over),
        fair: dualChart($("guidance-chart-fair"), "fidelity loss F(λ)", "gap D(λ)", "", [["D against F", palette[1], "l"]], fairData, null),
      };
      const st = app.status();
      const head = st.model === "loading" ? "loading the model… " : "";
      const at1 = f.sweep.find((p) => p.strength === 1);
      $("guidance-figures").textContent = `${head}${f.done} of ${f.total} runs done` + (f.sweep.length ? `; at ${name} = ${w[w.length - 1]}: distance ${fmt(f.sweep[f.sweep.length - 1].distance, 2)}, accuracy ${fmt(100 * f.sweep[f.sweep.length - 1].accuracy, 3)} %` : "") + (at1 ? `; at ${name} = 1: distance ${fmt(at1.distance, 2)}` : "") + (f.overshootFrom != null ? `; overshoot from ${name} = ${f.overshootFrom}` : "");
      $("guidance-fairness").textContent = f.fairness.map((p) => `λ = ${p.lambda}: D = ${fmt(p.gap, 2)}, F = ${fmt(p.fidelity, 2)}`).join("; ");
      const show = $("guidance-show");
      show.max = Math.max(0, f.sweep.length - 1);
      if (follow) show.value = show.max;
      $("guidance-show-value").textContent = f.sweep.length ? `${name} = ${w[Math.min(Number(show.value), w.length - 1)]}` : "–";
      return f;
    };
    let follow = true;
    // A new config restarts the sweep; the canvas and the slider follow the newest strength again.
    const set = (partial) => { const c = app.setConfig(partial); follow = true; app.show(-1); sync(); showFigures(); return c; };
    wire("guidance", app, keys, set, sync);
    $("guidance-show").addEventListener("input", () => {
      const v = Number($("guidance-show").value);
      follow = v >= Number($("guidance-show").max);
      app.show(follow ? -1 : v);
      showFigures();
    });
    sync();
    showFigures();
    let seen = "";
    const loop = () => {
      app.tick();
      const st = app.status();
      const now = `${st.done} ${st.model} ${st.error}`;
      if (now !== seen) {
        seen = now;
        sync();
        showFigures();
      }
      requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
    return api("guidance", app, set, { labFigures: () => showFigures(), show: (i) => { follow = i < 0; app.show(i); } });
  }

  /** The GRF lab: fields stepping each frame, their spectrum charted every few frames. */
  async function startGrf(bindings) {
    $("grf-view").hidden = false;
    const app = await bindings.GrfLab.create($("grf-canvas"), location.hash);
    const keys = { "grf-n": "n", "grf-alpha": "alpha", "grf-fields": "fields", "grf-sampler": "sampler", "grf-steps": "steps", "grf-levels": "levels", "grf-fraction": "fraction", "grf-speed": "speed" };
    let chart = null, shownFor = "";
    const sync = () => {
      const c = app.config();
      for (const [id, key] of Object.entries(keys)) $(id).value = c[key];
      $("grf-levels").disabled = c.sampler !== "annealed";
      present(c, app.fragment(), "grf-open-full");
      const st = app.status();
      $("grf-play").textContent = st.running && !st.done ? "Pause" : "Play";
      $("backend-badge").textContent = st.backend === "webgpu" ? "WebGPU" : "CPU";
      $("backend-badge").title = st.backend === "webgpu" ? "The fields' FFTs and steps run in WGSL kernels" : "The fields' FFTs and steps run on the CPU (no WebGPU here)";
      if (st.error && !$("grf-notices").querySelector(".failed")) notice(st.error, "error failed", "grf-notices");
    };
    const showFigures = () => {
      const f = app.figures();
      const data = [f.k, f.power, f.power.map((p, i) => Math.max(p - f.stderr[i], p * 1e-3)), f.power.map((p, i) => p + f.stderr[i]), f.targetPower, f.expectedPower];
      const c = app.config();
      const key = `${c.n}`;
      if (chart && shownFor === key) chart.setData(data);
      else {
        chart?.destroy();
        shownFor = key;
        const axis = themed();
        chart = new uPlot({
          width: Math.max(240, Math.min(520, $("grf-chart").clientWidth || 320)),
          height: 240,
          scales: { x: { time: false, distr: 3 }, y: { distr: 3 } },
          axes: [axis("|k|"), axis("power")],
          legend: { live: false },
          cursor: { drag: { x: false, y: false } },
          series: [
            { label: "|k|" },
            { label: "measured", stroke: palette[1], width: 0, points: { show: true, size: 5, fill: palette[1] } },
            { label: "− 1 s.e.", stroke: palette[1], width: 1, dash: [2, 3] },
            { label: "+ 1 s.e.", stroke: palette[1], width: 1, dash: [2, 3] },
            { label: "P(k)", stroke: getComputedStyle(document.documentElement).getPropertyValue("--fg").trim() || "#fff", width: 1.5 },
            { label: "expected now", stroke: palette[0], width: 1.5, dash: [1, 3] },
          ],
        }, data, $("grf-chart"));
      }
      $("grf-figures").textContent = `step ${f.step} of ${f.steps}, ${f.fields} fields: χ² of the spectrum against this run's expectation ${fmt(f.chi2, 3)} over ${f.shells} shells (about ${f.shells} ± ${fmt(Math.sqrt(2 * f.shells), 2)} when the sampler is right); the largest relative distance to P(k) on a shell ${fmt(f.worstRelativeError, 2)}`;
      return f;
    };
    const set = (partial) => { const c = app.setConfig(partial); sync(); showFigures(); return c; };
    wire("grf", app, keys, set, sync);
    const toggle = () => { if (app.status().running) app.pause(); else app.play(); sync(); };
    const step = () => { app.step(); sync(); showFigures(); };
    const restart = () => { app.restart(); sync(); showFigures(); };
    $("grf-play").addEventListener("click", toggle);
    $("grf-step").addEventListener("click", step);
    $("grf-restart").addEventListener("click", restart);
    shortcuts(toggle, step, restart);
    sync();
    showFigures();
    // The spectrum (an FFT of every field) is measured every 15 frames, and only when the fields moved.
    let frame = 0, shownStep = -1;
    const loop = () => {
      app.tick();
      const st = app.status();
      if ((++frame % 15 === 0 || st.done) && st.step !== shownStep) { shownStep = st.step; sync(); showFigures(); }
      requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
    return api("grf", app, set, {
      labFigures: () => showFigures(),
      play: () => { app.play(); sync(); },
      pause: () => { app.pause(); sync(); },
      step,
      restart,
    });
  }

  /** The AIS lab: the estimate at the configured temperatures, and a sweep over them, charted. */
  async function startAis(bindings) {
    $("ais-view").hidden = false;
    const app = await bindings.AisLab.create(location.hash);
    const keys = { "ais-from": "from", "ais-to": "to", "ais-temperatures": "temperatures", "ais-particles": "particles", "ais-steps": "steps", "ais-eps": "eps" };
    let chart = null, estimate = null, sweep = null, pending = Promise.resolve(), generation = 0;
    const gpu = app.status().backend === "webgpu";
    $("backend-badge").textContent = gpu ? "WebGPU" : "CPU";
    $("backend-badge").title = gpu ? "The particles run in a WGSL kernel" : "The particles run on the CPU (no WebGPU here)";
    const describe = (e) => `log Z₁/Z₀ ≈ ${fmt(e.logZ, 4)} ± ${fmt(e.stderr, 2)} (exact ${fmt(e.exactLogZ, 4)}; off by ${fmt(Math.abs(e.logZ - e.exactLogZ) / Math.max(e.stderr, 1e-12), 2)} standard errors), ESS ${fmt(e.ess, 3)} (${fmt(100 * e.essFraction, 2)} % of the particles), MALA acceptance ${fmt(100 * e.acceptance, 2)} %`;
    const drawSweep = () => {
      const k = sweep.map((p) => p.temperatures);
      const data = [k, sweep.map((p) => p.logZ), sweep.map((p) => p.logZ - p.stderr), sweep.map((p) => p.logZ + p.stderr), sweep.map((p) => p.exactLogZ)];
      chart?.destroy();
      const axis = themed();
      const fg = getComputedStyle(document.documentElement).getPropertyValue("--fg").trim() || "#fff";
      chart = new uPlot({
        width: Math.max(280, Math.min(640, $("ais-chart").clientWidth || 480)),
        height: 300,
        scales: { x: { time: false, distr: 3 } },
        axes: [axis("temperatures"), axis("log Z₁/Z₀")],
        legend: { live: false },
        cursor: { drag: { x: false, y: false } },
        series: [
          { label: "K" },
          { label: "AIS estimate", stroke: palette[1], width: 2, points: { show: true, size: 7 } },
          { label: "− 1 s.e.", stroke: palette[1], width: 1, dash: [3, 3] },
          { label: "+ 1 s.e.", stroke: palette[1], width: 1, dash: [3, 3] },
          { label: "exact", stroke: fg, width: 1.5, dash: [8, 4] },
        ],
      }, data, $("ais-chart"));
    };
    // Every change reruns the estimate, then the sweep for the same settings (a newer change
    // supersedes an older run's results, so the chart never shows another setting's sweep).
    const recompute = (estimateToo = true) => {
      const mine = ++generation;
      if (estimateToo) estimate = null;
      sweep = null;
      $("ais-run").disabled = true;
      pending = (async () => {
        if (estimateToo) {
          const e = await app.estimate();
          if (mine !== generation) return;
          estimate = e;
          $("ais-figures").textContent = `${app.config().temperatures} temperatures: ${describe(e)}`;
        }
        const s = await app.sweep();
        if (mine !== generation) return;
        sweep = s;
        drawSweep();
        $("ais-run").disabled = false;
      })().catch((e) => {
        if (mine !== generation) return;
        notice(String(e.message || e), "error", "ais-notices");
        $("ais-run").disabled = false;
        throw e;
      });
      return pending;
    };
    const sync = () => {
      const c = app.config();
      for (const [id, key] of Object.entries(keys)) $(id).value = c[key];
      present(c, app.fragment(), "ais-open-full");
    };
    const set = (partial) => { const c = app.setConfig(partial); sync(); recompute(); return c; };
    wire("ais", app, keys, set, sync);
    $("ais-run").addEventListener("click", () => recompute(false));
    sync();
    recompute();
    return api("ais", app, set, {
      // Rejects with the reason when the run failed.
      labFigures: async () => { await pending; return { ...estimate, sweep }; },
      sweep: async () => { await recompute(false); return sweep; },
    });
  }

  /** The Fokker–Planck lab: the densities at t, charted; Play sweeps t. */
  function startFokkerPlanck(bindings) {
    $("fp-view").hidden = false;
    const app = bindings.FokkerPlanckLab.create(location.hash);
    const keys = { "fp-mixture": "mixture", "fp-t": "t", "fp-n": "n", "fp-cells": "cells" };
    let chart = null, playing = false, last = null;
    $("backend-badge").textContent = "CPU";
    $("backend-badge").title = "1-D particles and the PDE grid take milliseconds on the CPU";
    const draw = () => {
      const f = app.figures();
      last = f;
      // uPlot needs one x: the histograms are drawn on the grid's cells as steps.
      const atCells = (bins, h) => { const w = bins[1] - bins[0], lo = bins[0] - w / 2; return f.x.map((x) => h[Math.min(h.length - 1, Math.max(0, Math.floor((x - lo) / w)))]); };
      const data = [f.x, f.exact, f.grid, atCells(f.bins, f.forwardSde), atCells(f.bins, f.reverseSde), atCells(f.bins, f.ode)];
      if (chart && chart.data[0].length === f.x.length) chart.setData(data);
      else {
        chart?.destroy();
        const axis = themed();
        chart = new uPlot({
          width: Math.max(280, Math.min(640, $("fp-chart").clientWidth || 480)),
          height: 320,
          scales: { x: { time: false }, y: { range: (u, lo, hi) => [0, Math.max(0.1, hi * 1.05)] } },
          axes: [axis("x"), axis("density")],
          legend: { live: false },
          cursor: { drag: { x: false, y: false } },
          series: [
            { label: "x" },
            { label: "exact", stroke: getComputedStyle(document.documentElement).getPropertyValue("--fg").trim() || "#fff", width: 2, dash: [6, 4] },
            { label: "PDE grid", stroke: palette[0], width: 2 },
            { label: "forward SDE", stroke: palette[1], width: 1 },
            { label: "reverse SDE", stroke: palette[2], width: 1 },
            { label: "PF-ODE", stroke: palette[3], width: 1 },
          ],
        }, data, $("fp-chart"));
      }
      const p = f.particleL1;
      $("fp-figures").textContent = `t = ${fmt(f.t, 2)}: the grid's L1 distance to the exact density ${fmt(f.l1Error, 2)}; the histograms' (${app.config().n} particles, 60 bins) forward SDE ${fmt(p.forwardSde, 2)}, reverse SDE ${fmt(p.reverseSde, 2)}, PF-ODE ${fmt(p.ode, 2)}`;
      return f;
    };
    const sync = () => {
      const c = app.config();
      for (const [id, key] of Object.entries(keys)) $(id).value = c[key];
      present(c, app.fragment(), "fp-open-full");
      $("fp-t-value").textContent = Number(c.t).toFixed(2);
      $("fp-play").textContent = playing ? "Pause" : "Play";
    };
    const set = (partial) => { const c = app.setConfig(partial); sync(); draw(); return c; };
    wire("fp", app, keys, set, sync, ["fp-t"]);
    const toggle = () => { playing = !playing; if (playing && app.config().t >= 1) set({ t: 0 }); sync(); };
    $("fp-play").addEventListener("click", toggle);
    shortcuts(toggle);
    sync();
    draw();
    const loop = () => {
      if (playing) {
        const t = Math.min(1, app.config().t + 0.01);
        set({ t });
        if (t >= 1) { playing = false; sync(); }
      }
      requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
    return api("fokker_planck", app, set, {
      labFigures: () => { const f = last ?? draw(); return { ...f }; },
      play: () => { if (!playing) toggle(); },
      pause: () => { if (playing) toggle(); },
    });
  }

  async function startLangevin(bindings, lab) {
    $("lab-view").hidden = false;
    const app = await bindings.LangevinLab.create($("lab-canvas"), location.hash);
    let chart = null, shownCurve = null;

    const sync = () => {
      const c = app.config();
      for (const [id, key] of Object.entries(KEYS)) $(id).value = c[key];
      present(c, app.fragment(), "lab-open-full");
      const st = app.status();
      $("lab-play").textContent = st.running ? "Pause" : "Play";
      $("backend-badge").textContent = st.backend === "webgpu" ? "WebGPU" : "CPU";
      $("backend-badge").title = st.backend === "webgpu" ? "The chains run in a WGSL kernel" : "The chains run on the CPU (no WebGPU here)";
    };

    const drawChart = (f) => {
      const key = JSON.stringify(f.essCurve.eps.slice(0, 2)) + f.essCurve.ess.length;
      const point = f.essCurve.eps.map(() => null);
      if (f.ess != null) {
        // The grid's point nearest the current ε carries the dot.
        let k = 0;
        f.essCurve.eps.forEach((e, i) => { if (Math.abs(Math.log(e / f.eps)) < Math.abs(Math.log(f.essCurve.eps[k] / f.eps))) k = i; });
        point[k] = f.ess;
      }
      const data = [f.essCurve.eps, f.essCurve.ess.length ? f.essCurve.ess : f.essCurve.eps.map(() => null), point];
      if (chart && shownCurve === key) { chart.setData(data); return; }
      chart?.destroy();
      shownCurve = key;
      const axis = themed();
      chart = new uPlot({
        width: Math.max(240, Math.min(520, $("lab-ess-chart").clientWidth || 320)),
        height: 180,
        scales: { x: { time: false, distr: 3 } },
        axes: [axis("step ε"), axis("ESS per 1 000 steps")],
        legend: { live: false },
        cursor: { drag: { x: false, y: false } },
        series: [{ label: "ε" }, { label: "analysis (Gaussian target)", stroke: palette[1], width: 1.5 }, { label: "current ε", stroke: palette[0], width: 0, points: { show: true, size: 8, fill: palette[0] } }],
      }, data, $("lab-ess-chart"));
    };

    const showFigures = () => {
      const f = { ...app.figures(), eps: app.config().eps };
      const parts = [
        `step ${f.step}, ${f.n} chains: covariance ${cov(f.covariance)} against the target's ${cov(f.targetCovariance)} (relative error ${fmt(f.covarianceError, 2)})`,
        f.stationaryCovariance ? `the analysis predicts ${cov(f.stationaryCovariance)} (first order ${cov(f.firstOrderCovariance)})` : "",
        `stability limit ε < ${fmt(f.stabilityLimit)}`,
        f.ess != null ? `ESS ${fmt(f.ess)} per 1 000 steps` : "",
        f.nonFinite ? `${f.nonFinite} chains diverged` : "",
      ];
      $("lab-figures").textContent = parts.filter(Boolean).join("; ");
      $("lab-figures").classList.toggle("warn", !f.stable);
      if (!f.stable && !$("lab-notices").querySelector(".unstable")) notice(`ε = ${f.eps} is past the stability limit ${fmt(f.stabilityLimit)}: the chains diverge. Lower ε, precondition, or smooth (λ < 1).`, "error unstable");
      if (f.stable) $("lab-notices").querySelector(".unstable")?.remove();
      drawChart(f);
      return f;
    };

    const set = (partial) => { const c = app.setConfig(partial); sync(); showFigures(); return c; };
    wire("lab", app, KEYS, set, sync);
    const toggle = () => { if (app.status().running) app.pause(); else app.play(); sync(); };
    const step = () => { app.step(); sync(); };
    const restart = () => { app.restart(); sync(); };
    $("lab-play").addEventListener("click", toggle);
    $("lab-step").addEventListener("click", step);
    $("lab-restart").addEventListener("click", restart);
    shortcuts(toggle, step, restart);
    sync();
    let frame = 0;
    const loop = () => {
      app.tick();
      if (++frame % 10 === 0) showFigures();
      requestAnimationFrame(loop);
    };
    showFigures();
    requestAnimationFrame(loop);
    return api(lab, app, set, {
      labFigures: () => showFigures(),
      play: () => { app.play(); sync(); },
      pause: () => { app.pause(); sync(); },
      step,
      restart,
    });
  }

  window.playgroundLab = { start };
})();
