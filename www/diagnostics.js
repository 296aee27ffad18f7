// The score check panel (README: "Score diagnostics"): how far the running
// model's score is from the exact one, at every noise level, and whether it
// is a gradient field (its curl). The numbers come from Rust
// (`App.scoreDiagnostics`, core/src/engine/diagnostics.rs); this file runs the
// sweep a level per task (the page stays responsive) and draws it with uPlot.
// Loaded when the panel first opens (www/app.js); its controls stay disabled
// until this file has wired them.
(() => {
  "use strict";
  /** The class palette Rust draws with (options().palette), read once the page is ready. */
  let palette = [];
  const $ = (id) => document.getElementById(id);
  /** Network times of the sweep: log-spaced from 0.01 to 1. */
  const LEVELS = Array.from({ length: 16 }, (_, i) => 0.01 * Math.pow(100, i / 15));
  const SWEEP_POINTS = 512;
  let scoreChart = null;

  const fmt = (v, d = 3) => (Number.isFinite(v) ? Number(v).toPrecision(d) : "–");

  /** One line of numbers for a measurement. */
  function describe(r) {
    return `t = ${fmt(r.t, 2)} (σ = ${fmt(r.sigma, 2)}): c* ${fmt(r.cStar)}, magnitude RMSE ${fmt(r.magnitudeRmse)}, ` +
      `mean angle ${fmt(r.meanAngleDeg, 2)}° (cos ${fmt(r.meanCosine, 4)}), mean |curl| ${fmt(r.curlMeanAbs)}, ` +
      `divergence RMSE ${fmt(r.divergenceRmse)} (exact Δ log p RMS ${fmt(r.exactDivergenceRms)}), over ${r.n} noised data points`;
  }

  /** A uPlot chart in element `id` (replacing `old`): themed axes `[x, y, (y2)]` as `{ label, scale, side }`. */
  function chart(old, id, { axes, scales, series, data }) {
    old?.destroy();
    const css = getComputedStyle(document.documentElement);
    const fg = css.getPropertyValue("--muted").trim(), grid = css.getPropertyValue("--border").trim();
    return new uPlot({
      width: Math.max(240, Math.min(640, $(id).clientWidth || 320)),
      height: 180,
      scales,
      axes: axes.map(({ label, scale, side }) => ({
        label, scale, ...(side == null ? {} : { side }), stroke: fg,
        grid: { stroke: grid, width: 1, show: side !== 1 }, ticks: { stroke: grid, width: 1 },
      })),
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
      series,
    }, data, $(id));
  }

  function draw(rows) {
    scoreChart = chart(scoreChart, "score-chart", {
      scales: { x: { time: false, distr: 3 }, deg: { auto: true }, curl: { auto: true } },
      axes: [{ label: "network time t", scale: "x" }, { label: "mean angle (°)", scale: "deg", side: 3 }, { label: "mean |curl|", scale: "curl", side: 1 }],
      series: [
        { label: "t" },
        { label: "mean angle to the exact score (°)", scale: "deg", stroke: palette[1], width: 1.5, points: { show: true, size: 5 } },
        { label: "mean |curl|", scale: "curl", stroke: palette[0], width: 1.5, dash: [4, 3], points: { show: true, size: 5 } },
      ],
      data: [rows.map((r) => r.t), rows.map((r) => r.meanAngleDeg), rows.map((r) => r.curlMeanAbs)],
    });
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
    await window.needUplot();
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
    const hasExact = rows.some((r) => r.exactMeanLogP != null);
    llChart = chart(llChart, "ll-chart", {
      scales: { x: { time: false, distr: 3 } },
      axes: [{ label: "ODE steps" }, { label: "NLL (nats)" }],
      series: [
        { label: "steps" },
        { label: "model's NLL by the ODE", stroke: palette[1], width: 1.5, points: { show: true, size: 5 } },
        ...(hasExact ? [{ label: "exact NLL", stroke: palette[0], width: 1.5, dash: [4, 3] }] : []),
      ],
      data: [rows.map((r) => r.steps), rows.map((r) => r.nll), ...(hasExact ? [rows.map((r) => -r.exactMeanLogP)] : [])],
    });
  }

  /** Rays drawn, each in its class colour of the palette. */
  const RAY_COUNT = 6;
  let raysChart = null;

  async function drawRays() {
    await window.needUplot();
    const button = $("rays-run");
    try {
      const r = window.playground.logDensityRays([0, 0], 0, RAY_COUNT);
      $("rays-now").textContent = `t = ${fmt(r.t, 2)}: six rays of length 4 from (0, 0); the reconstruction (solid) against the exact log p_t (dashed) has an RMS error of ${fmt(r.rmse)} nats`;
      $("rays-chart-box").hidden = false;
      raysChart = chart(raysChart, "rays-chart", {
        scales: { x: { time: false } },
        axes: [{ label: "distance from the centre" }, { label: "log p − log p(centre)" }],
        series: [
          { label: "r" },
          ...r.rays.flatMap((ray, k) => [
            { label: `${Math.round(ray.angleDeg)}° model`, stroke: palette[k], width: 1.5 },
            { label: `${Math.round(ray.angleDeg)}° exact`, stroke: palette[k], width: 1, dash: [4, 3] },
          ]),
        ],
        data: [r.r, ...r.rays.flatMap((ray) => [ray.model, ray.exact])],
      });
    } catch (e) {
      $("rays-now").textContent = `The rays failed: ${e.message || e}`;
    }
    button.textContent = "log p along rays again (at the level shown now)";
  }

  async function measureLikelihood() {
    await window.needUplot();
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
    palette = window.playground.options().palette;
    $("score-run").addEventListener("click", measure);
    $("ll-run").addEventListener("click", measureLikelihood);
    $("rays-run").addEventListener("click", drawRays);
    wireLineIntegrals();
    for (const id of ["score-run", "ll-run", "rays-run", "li-mode"]) $(id).disabled = false;
  }, () => {});
})();
