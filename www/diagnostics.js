// The score check panel (README: "Score diagnostics"): how far the running
// model's score is from the exact one, at every noise level, and whether it
// is a gradient field (its curl). The numbers come from Rust
// (`App.scoreDiagnostics`, src/engine/diagnostics.rs); this file runs the
// sweep a level per task (the page stays responsive) and draws it with uPlot.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  /** Network times of the sweep: log-spaced from 0.01 to 1. */
  const LEVELS = Array.from({ length: 16 }, (_, i) => 0.01 * Math.pow(100, i / 15));
  const SWEEP_POINTS = 512;
  let chart = null;

  const fmt = (v, d = 3) => (Number.isFinite(v) ? Number(v).toPrecision(d) : "–");

  /** One line of numbers for a measurement. */
  function describe(r) {
    return `t = ${fmt(r.t, 2)} (σ = ${fmt(r.sigma, 2)}): c* ${fmt(r.cStar)}, magnitude RMSE ${fmt(r.magnitudeRmse)}, ` +
      `mean angle ${fmt(r.meanAngleDeg, 2)}° (cos ${fmt(r.meanCosine, 4)}), mean |curl| ${fmt(r.curlMeanAbs)}, ` +
      `divergence RMSE ${fmt(r.divergenceRmse)} (exact Δ log p RMS ${fmt(r.exactDivergenceRms)}), over ${r.n} noised data points`;
  }

  function draw(rows) {
    chart?.destroy();
    const css = getComputedStyle(document.documentElement);
    const fg = css.getPropertyValue("--muted").trim(), grid = css.getPropertyValue("--border").trim();
    const axis = (label, scale, side = null) => ({
      label, scale, ...(side == null ? {} : { side }), stroke: fg,
      grid: { stroke: grid, width: 1, show: side !== 1 }, ticks: { stroke: grid, width: 1 },
    });
    chart = new uPlot({
      width: Math.max(240, Math.min(640, $("score-chart").clientWidth || 320)),
      height: 180,
      scales: { x: { time: false, distr: 3 }, deg: { auto: true }, curl: { auto: true } },
      axes: [axis("network time t", "x"), axis("mean angle (°)", "deg", 3), axis("mean |curl|", "curl", 1)],
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
      series: [
        { label: "t" },
        { label: "mean angle to the exact score (°)", scale: "deg", stroke: "#5ac8fa", width: 1.5, points: { show: true, size: 5 } },
        { label: "mean |curl|", scale: "curl", stroke: "#ffb040", width: 1.5, dash: [4, 3], points: { show: true, size: 5 } },
      ],
    }, [rows.map((r) => r.t), rows.map((r) => r.meanAngleDeg), rows.map((r) => r.curlMeanAbs)], $("score-chart"));
  }

  /** Measures every level of the sweep, one per task; resolves to the rows. */
  async function sweep(api) {
    const rows = [];
    for (const t of LEVELS) {
      rows.push(api.scoreDiagnostics(t, SWEEP_POINTS));
      $("score-run").textContent = `Measuring… ${rows.length}/${LEVELS.length}`;
      await new Promise((r) => setTimeout(r, 0));
    }
    return rows;
  }

  async function measure() {
    const api = window.playground;
    const button = $("score-run");
    button.disabled = true;
    try {
      $("score-now").textContent = `Now: ${describe(api.scoreDiagnostics(0, 1024))}`;
      const rows = await sweep(api);
      $("score-chart-box").hidden = false;
      draw(rows);
    } catch (e) {
      $("score-now").textContent = `The score check failed: ${e.message || e}`;
    } finally {
      button.textContent = "Measure again";
      button.disabled = false;
    }
  }

  /** Step counts of the likelihood chart. */
  const LL_STEPS = [4, 8, 16, 32, 64];
  const LL_POINTS = 256;
  let llChart = null;

  function describeLikelihood(r) {
    const exact = r.exactMeanLogP == null ? "no closed-form density for this dataset"
      : `exact ${fmt(-r.exactMeanLogP, 4)} nats (error ${fmt(r.nll + r.exactMeanLogP, 2)})`;
    return `${r.steps} steps (${r.nfe} evaluations with their divergence a point), ${r.n} data points on ${r.backend}, ${fmt(r.seconds, 2)} s: ` +
      `NLL ${fmt(r.nll, 4)} nats = ${fmt(r.bitsPerDim, 3)} bits/dim; ${exact}`;
  }

  function drawLikelihood(rows) {
    llChart?.destroy();
    const css = getComputedStyle(document.documentElement);
    const fg = css.getPropertyValue("--muted").trim(), grid = css.getPropertyValue("--border").trim();
    const axis = (label) => ({ label, stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } });
    const hasExact = rows.some((r) => r.exactMeanLogP != null);
    llChart = new uPlot({
      width: Math.max(240, Math.min(640, $("ll-chart").clientWidth || 320)),
      height: 180,
      scales: { x: { time: false, distr: 3 } },
      axes: [axis("ODE steps"), axis("NLL (nats)")],
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
      series: [
        { label: "steps" },
        { label: "model's NLL by the ODE", stroke: "#5ac8fa", width: 1.5, points: { show: true, size: 5 } },
        ...(hasExact ? [{ label: "exact NLL", stroke: "#ffb040", width: 1.5, dash: [4, 3] }] : []),
      ],
    }, [rows.map((r) => r.steps), rows.map((r) => r.nll), ...(hasExact ? [rows.map((r) => -r.exactMeanLogP)] : [])], $("ll-chart"));
  }

  async function measureLikelihood() {
    const api = window.playground;
    const button = $("ll-run");
    button.disabled = true;
    try {
      const rows = [];
      for (const steps of LL_STEPS) {
        button.textContent = `Measuring… ${rows.length}/${LL_STEPS.length}`;
        rows.push(await api.likelihoodReport(LL_POINTS, steps));
        $("ll-now").textContent = describeLikelihood(rows[rows.length - 1]);
      }
      $("ll-chart-box").hidden = false;
      drawLikelihood(rows);
    } catch (e) {
      $("ll-now").textContent = `The likelihood failed: ${e.message || e}`;
    } finally {
      button.textContent = "Measure again";
      button.disabled = false;
    }
  }

  /** Data coordinates of a pointer event on a canvas (the view spans ±4.5, y up; src/web/render.rs). */
  function toData(e) {
    const r = e.currentTarget.getBoundingClientRect(), hw = 4.5;
    return [-hw + ((e.clientX - r.left) / r.width) * 2 * hw, hw - ((e.clientY - r.top) / r.height) * 2 * hw];
  }

  /** Line integrals by dragging on the canvas while the checkbox is on. */
  function wireLineIntegrals() {
    let start = null;
    const on = () => $("li-mode").checked;
    $("li-mode").addEventListener("change", () => document.body.classList.toggle("integrating", on()));
    for (const c of [$("canvas"), $("canvas-gpu")]) {
      c.addEventListener("pointerdown", (e) => { if (on()) { start = toData(e); e.preventDefault(); } });
      c.addEventListener("pointerup", (e) => {
        if (!on() || !start) return;
        const end = toData(e), p0 = start;
        start = null;
        try {
          const r = window.playground.lineIntegrals(p0, end);
          $("li-out").textContent = `From (${p0.map((v) => v.toFixed(2)).join(", ")}) to (${end.map((v) => v.toFixed(2)).join(", ")}) at t = ${fmt(r.t, 2)}: ` +
            `∫ s·dr straight ${fmt(r.straight)}, L-shaped ${fmt(r.lPath)} (difference ${fmt(r.lPath - r.straight, 2)}: the field's curl between the paths); ` +
            `exact log p(end) − log p(start) ${fmt(r.exactLogRatio)}`;
        } catch (err) {
          $("li-out").textContent = `The line integral failed: ${err.message || err}`;
        }
      });
    }
  }

  window.playground.ready.then(() => {
    if (!window.playground.scoreDiagnostics) return; // compare mode: each panel has its own
    $("score-run").addEventListener("click", measure);
    $("ll-run").addEventListener("click", measureLikelihood);
    wireLineIntegrals();
  }, () => {});
})();
