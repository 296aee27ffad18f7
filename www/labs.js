// Labs (README: "Labs"): a page mode opened by `lab=<id>` in the link. The
// lab's state, maths and drawing live in Rust (src/web/labs); this file wires
// its controls, runs its animation loop, keeps the link current and charts
// its figures with uPlot. www/app.js calls start() instead of building the
// sampling playground.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  /** Controls of the Langevin lab: element id → config key. */
  const KEYS = { "lab-target": "target", "lab-kappa": "kappa", "lab-angle": "angle", "lab-eps": "eps", "lab-precond": "precond", "lab-noise": "noise", "lab-lambda": "lambda", "lab-n": "n", "lab-speed": "speed" };
  const fmt = (v, d = 3) => (Number.isFinite(v) ? Number(v).toPrecision(d) : "–");
  const cov = (c) => (c ? `[${fmt(c.xx)}, ${fmt(c.xy)}; ${fmt(c.xy)}, ${fmt(c.yy)}]` : "–");

  function notice(text, kind = "") {
    const p = document.createElement("p");
    p.className = `notice ${kind}`;
    p.textContent = text;
    $("lab-notices").appendChild(p);
  }

  async function start(bindings, lab) {
    document.body.classList.add("in-lab");
    $("lab-view").hidden = false;
    const app = await bindings.LangevinLab.create($("lab-canvas"), location.hash);
    let chart = null, shownCurve = null;

    const sync = () => {
      const c = app.config();
      for (const [id, key] of Object.entries(KEYS)) $(id).value = c[key];
      document.documentElement.dataset.theme = c.theme;
      document.body.classList.toggle("embed", c.embed);
      $("lab-open-full").hidden = !c.embed;
      $("lab-open-full").href = `${location.pathname}#${app.fragment().replace(/(^|&)embed=1/, "$1embed=0")}`;
      history.replaceState(null, "", `#${app.fragment()}`);
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
      const css = getComputedStyle(document.documentElement);
      const fg = css.getPropertyValue("--muted").trim(), grid = css.getPropertyValue("--border").trim();
      const axis = (label) => ({ label, stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } });
      chart = new uPlot({
        width: Math.max(240, Math.min(520, $("lab-ess-chart").clientWidth || 320)),
        height: 180,
        scales: { x: { time: false, distr: 3 } },
        axes: [axis("step ε"), axis("ESS per 1 000 steps")],
        legend: { live: false },
        cursor: { drag: { x: false, y: false } },
        series: [{ label: "ε" }, { label: "analysis (Gaussian target)", stroke: "#5ac8fa", width: 1.5 }, { label: "current ε", stroke: "#ffb040", width: 0, points: { show: true, size: 8, fill: "#ffb040" } }],
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
    for (const [id, key] of Object.entries(KEYS)) {
      $(id).addEventListener("change", () => {
        try { set({ [key]: $(id).value }); } catch (e) { notice(String(e.message || e), "error"); sync(); }
      });
    }
    const toggle = () => { if (app.status().running) app.pause(); else app.play(); sync(); };
    $("lab-play").addEventListener("click", toggle);
    $("lab-step").addEventListener("click", () => { app.step(); sync(); });
    $("lab-restart").addEventListener("click", () => { app.restart(); sync(); });
    $("lab-share").addEventListener("click", () => navigator.clipboard?.writeText(location.href).catch(() => {}));
    addEventListener("keydown", (e) => {
      if (e.target.closest("input, select, textarea")) return;
      if (e.key === " ") { e.preventDefault(); toggle(); }
      else if (e.key === "s" || e.key === "S") { app.step(); sync(); }
      else if (e.key === "r" || e.key === "R") { app.restart(); sync(); }
    });
    for (const msg of app.status().ignored) notice(`Ignored from the link: ${msg}`);
    sync();
    let frame = 0;
    const loop = () => {
      app.tick();
      if (++frame % 10 === 0) showFigures();
      requestAnimationFrame(loop);
    };
    showFigures();
    requestAnimationFrame(loop);
    // The automation API in a lab (README: "Labs").
    return {
      lab,
      labFigures: () => showFigures(),
      config: () => app.config(),
      setConfig: (partial) => set(partial),
      fragment: () => app.fragment(),
      shareUrl: () => `${location.origin}${location.pathname}#${app.fragment()}`,
      status: () => app.status(),
      play: () => { app.play(); sync(); },
      pause: () => { app.pause(); sync(); },
      step: () => { app.step(); sync(); },
      restart: () => { app.restart(); sync(); },
    };
  }

  window.playgroundLab = { start };
})();
