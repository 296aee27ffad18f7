// The data editor and the trainer panels (README: "Your own data"). The
// points, the brush, the training run and its figures all live in Rust
// (src/web/custom.rs, src/web/editor.rs, src/web/train.rs); this file turns
// pointer and key events into brush dabs and draws the trainer's charts
// with uPlot.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  /** The class palette Rust draws with (options().palette), read once: the charts redraw several times a second. */
  let palette = null;
  const classes = () => (palette ||= window.wasmBindings.App.options().palette);
  const fmt = (v, d = 3) => (v == null || !Number.isFinite(v) ? "–" : Number(v).toPrecision(d));
  let pg = null;
  let lossChart = null, distChart = null, chartedAt = -1;

  const editing = () => $("edit-mode").checked;

  /** The canvas' own pixel under a pointer event (the canvas may be scaled by CSS). */
  function canvasPixel(e, c) {
    const r = c.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * c.width, ((e.clientY - r.top) / r.height) * c.height];
  }

  function showEdit(r) {
    const s = pg.editor.status();
    const parts = [`${s.points.toLocaleString("en")} points in ${s.classes} ${s.classes === 1 ? "class" : "classes"}`];
    if (!s.shown && s.points) parts.push("(not shown: pick dataset custom)");
    if (r && r.notice) parts.push(r.notice);
    if (s.linkNotice) parts.push(s.linkNotice);
    $("edit-status").textContent = parts.join(" · ");
    $("edit-undo").disabled = !s.canUndo;
  }

  function refreshBrush() {
    const b = pg.editor.brush();
    for (const sw of document.querySelectorAll("#edit-classes button")) sw.setAttribute("aria-checked", String(Number(sw.dataset.k) === b.class));
    $("edit-erase").checked = b.erase;
    $("edit-radius").value = String(b.radius);
    $("edit-density").value = String(b.density);
    return b;
  }

  function setBrush(partial) {
    try { pg.editor.brush(partial); } catch (e) { $("edit-status").textContent = e.message || String(e); }
    refreshBrush();
  }

  // A dashed ring over the canvas where the keyboard's brush is.
  const ring = document.createElement("div");
  ring.className = "brush-ring";
  let cursor = null; // the keyboard brush, in canvas pixels

  function placeRing(c) {
    if (!cursor) { ring.classList.remove("on"); return; }
    const r = c.getBoundingClientRect(), stage = c.parentElement.getBoundingClientRect();
    const scale = r.width / c.width;
    const px = (pg.editor.brush().radius / 9) * c.width * scale * 2; // the view spans 9 data units
    Object.assign(ring.style, { left: `${r.left - stage.left + cursor[0] * scale}px`, top: `${r.top - stage.top + cursor[1] * scale}px`, width: `${px}px`, height: `${px}px` });
    ring.classList.add("on");
  }

  function wireEditor() {
    const swatches = $("edit-classes");
    classes().forEach((colour, k) => {
      const b = document.createElement("button");
      b.type = "button";
      b.dataset.k = String(k);
      b.style.background = colour;
      b.setAttribute("role", "radio");
      b.setAttribute("aria-label", `class ${k}`);
      b.title = `class ${k} (key ${k + 1})`;
      b.addEventListener("click", () => setBrush({ class: k, erase: 0 }));
      swatches.appendChild(b);
    });
    $("edit-erase").addEventListener("change", (e) => setBrush({ erase: e.target.checked ? 1 : 0 }));
    $("edit-radius").addEventListener("input", (e) => setBrush({ radius: Number(e.target.value) }));
    $("edit-density").addEventListener("input", (e) => setBrush({ density: Number(e.target.value) }));
    $("edit-mode").addEventListener("change", () => {
      document.body.classList.toggle("editing", editing());
      for (const c of [$("canvas"), $("canvas-gpu")]) c.tabIndex = editing() ? 0 : -1;
      if (editing()) {
        // Editing shows your data.
        if (window.playground.config().dataset !== "custom") window.playground.setConfig({ dataset: "custom" });
        $("canvas").focus();
      }
      cursor = null;
      placeRing($("canvas"));
      showEdit();
    });
    $("edit-undo").addEventListener("click", () => showEdit(pg.editor.undo()));
    $("edit-clear").addEventListener("click", () => showEdit(pg.editor.clear()));
    $("edit-preset").replaceChildren(...window.playground.options().dataset.filter((d) => d !== "custom").map((d) => new Option(d, d)));
    $("edit-preset-load").addEventListener("click", () => showEdit(pg.editor.preset($("edit-preset").value)));
    $("edit-csv-download").addEventListener("click", () => {
      const a = document.createElement("a");
      a.href = URL.createObjectURL(new Blob([pg.editor.csv()], { type: "text/csv" }));
      a.download = "points.csv";
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 1000);
    });
    const loadCsv = (text) => {
      try { showEdit(pg.editor.importCsv(text)); }
      catch (e) { $("edit-status").textContent = e.message || String(e); }
    };
    $("edit-csv-load").addEventListener("click", () => loadCsv($("edit-csv").value));
    $("edit-csv-file").addEventListener("change", async (e) => {
      const f = e.target.files[0];
      if (!f) return;
      if (f.size > 4 << 20) { $("edit-status").textContent = `The file is ${f.size.toLocaleString("en")} bytes; a CSV of points is read up to 4 MiB. Your points are kept.`; return; }
      loadCsv(await f.text());
      e.target.value = "";
    });

    for (const c of [$("canvas"), $("canvas-gpu")]) {
      let drawing = false;
      c.addEventListener("pointerdown", (e) => {
        if (!editing()) return;
        e.preventDefault();
        c.setPointerCapture?.(e.pointerId);
        drawing = true;
        const [u, v] = canvasPixel(e, c);
        showEdit(pg.editor.dab(u, v, true));
      });
      c.addEventListener("pointermove", (e) => {
        if (!editing() || !drawing) return;
        e.preventDefault();
        for (const ev of e.getCoalescedEvents?.() ?? [e]) {
          const [u, v] = canvasPixel(ev, c);
          pg.editor.dab(u, v, false);
        }
        showEdit();
      });
      const end = () => { if (drawing) { drawing = false; pg.editor.end(); showEdit(); } };
      c.addEventListener("pointerup", end);
      c.addEventListener("pointercancel", end);
      // Keyboard editing: the canvas takes the keys while editing.
      c.addEventListener("keydown", (e) => {
        if (!editing()) return;
        const step = e.shiftKey ? 40 : 10;
        const move = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] }[e.key];
        let handled = true;
        if (move) {
          cursor = cursor ?? [c.width / 2, c.height / 2];
          cursor = [Math.min(c.width, Math.max(0, cursor[0] + move[0])), Math.min(c.height, Math.max(0, cursor[1] + move[1]))];
        } else if (e.key === "Enter" || e.key === " ") {
          cursor = cursor ?? [c.width / 2, c.height / 2];
          showEdit(pg.editor.dab(cursor[0], cursor[1], true));
          pg.editor.end();
        } else if (/^[1-8]$/.test(e.key)) setBrush({ class: Number(e.key) - 1, erase: 0 });
        else if (e.key === "e" || e.key === "E") setBrush({ erase: pg.editor.brush().erase ? 0 : 1 });
        else if (e.key === "[" || e.key === "]") setBrush({ radius: Math.min(1.5, Math.max(0.05, Math.round((pg.editor.brush().radius + (e.key === "]" ? 0.05 : -0.05)) * 100) / 100)) });
        else if ((e.ctrlKey || e.metaKey) && (e.key === "z" || e.key === "Z")) showEdit(pg.editor.undo());
        else handled = false;
        if (handled) { e.preventDefault(); e.stopPropagation(); placeRing(c); }
      });
    }
    $("canvas").parentElement.appendChild(ring);
    refreshBrush();
    showEdit();
  }

  function chart(old, id, label, series, data, yLog) {
    // The chart library loads when first wanted; the next status draws the chart.
    if (!window.uPlot) { window.needUplot().then(() => showTraining(pg.trainStatus())).catch(() => {}); return old; }
    old?.destroy();
    const css = getComputedStyle(document.documentElement);
    const fg = css.getPropertyValue("--muted").trim(), grid = css.getPropertyValue("--border").trim();
    const axis = (l) => ({ label: l, stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } });
    return new uPlot({
      width: Math.max(200, Math.min(400, $(id).clientWidth || 300)),
      height: 140,
      scales: { x: { time: false }, y: yLog ? { distr: 3 } : {} },
      axes: [axis("step"), axis(label)],
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
      series: [{ label: "step" }, ...series],
    }, data, $(id));
  }

  function showTraining(ts) {
    const active = ts.phase === "running" || ts.phase === "paused";
    $("train-pause").disabled = !active;
    $("train-stop").disabled = !active;
    $("train-pause").textContent = ts.phase === "paused" ? "Resume" : "Pause";
    $("train-download").disabled = !ts.trained;
    $("train-bar").style.width = `${ts.steps ? (100 * ts.step) / ts.steps : 0}%`;
    const parts = [];
    if (ts.phase) {
      parts.push(`${ts.phase}: step ${ts.step} / ${ts.steps} at batch ${ts.batch} on ${ts.backend === "webgpu" ? "WebGPU" : "the CPU"}`);
      parts.push(`loss ${fmt(ts.loss)}`);
      const clf = ts.clfLosses[ts.clfLosses.length - 1];
      if (clf) parts.push(`classifier's cross-entropy ${fmt(clf[1])}`);
      parts.push(`${ts.seconds.toFixed(1)} s${ts.etaSeconds != null ? `, about ${Math.ceil(ts.etaSeconds)} s left` : ""}`);
      const d = ts.distances[ts.distances.length - 1];
      if (d) parts.push(`samples' distance to the data ${fmt(d[1])} (data samples score ${fmt(ts.nullDistance)})`);
    }
    if (ts.error) parts.push(ts.error);
    if (ts.trained) parts.push(`model=trained: ${ts.trained.source === "imported" ? "a loaded file" : "this page's run"} (data ${ts.trained.data_hash ?? "?"}, ${ts.trained.steps_done ?? "?"} steps${ts.trained.classifier_losses ? ", with its classifier" : ""})`);
    $("train-now").textContent = parts.length ? parts.join(" · ") : "No model trained yet.";
    if ($("trainer").open && ts.phase) {
      pg.editor.drawPreview($("train-preview"));
      // The charts follow the run a few times a second, not every frame.
      const now = performance.now();
      if (now - chartedAt > 400 || !active) {
        chartedAt = now;
        if (ts.losses.length > 1) {
          // The classifier's cross-entropy shares the steps (it trains in the same steps).
          const series = [{ label: "loss", stroke: classes()[1], width: 1.5 }];
          const data = [ts.losses.map((l) => l[0]), ts.losses.map((l) => l[1])];
          if (ts.clfLosses.length === ts.losses.length) {
            series.push({ label: "classifier", stroke: classes()[2], width: 1.5 });
            data.push(ts.clfLosses.map((l) => l[1]));
          }
          lossChart = chart(lossChart, "train-loss-chart", "loss", series, data, true);
        }
        if (ts.distances.length > 1) {
          const xs = ts.distances.map((d) => d[0]);
          distChart = chart(distChart, "train-dist-chart", "distance to data", [
            { label: "samples", stroke: classes()[0], width: 1.5, points: { show: true, size: 5 } },
            { label: "data samples", stroke: getComputedStyle(document.documentElement).getPropertyValue("--muted").trim(), dash: [4, 4], width: 1, points: { show: false } },
          ], [xs, ts.distances.map((d) => Math.max(d[1], 1e-6)), xs.map(() => Math.max(ts.nullDistance, 1e-6))], true);
        }
      }
    }
  }

  function wireTrainer() {
    $("train-start").addEventListener("click", async () => {
      try {
        pg.train().catch((e) => { $("train-now").textContent = e.message || String(e); });
        // The Train button also samples the result (model=trained).
        if (pg.config().model !== "trained") pg.setConfig({ model: "trained" });
        showTraining(pg.trainStatus());
      } catch (e) {
        $("train-now").textContent = e.message || String(e);
      }
    });
    $("train-pause").addEventListener("click", () => {
      pg.pauseTraining(pg.trainStatus().phase !== "paused");
      showTraining(pg.trainStatus());
    });
    $("train-stop").addEventListener("click", () => { pg.stopTraining(); showTraining(pg.trainStatus()); });
    $("train-download").addEventListener("click", async () => {
      try {
        const bytes = await pg.exportModel();
        const a = document.createElement("a");
        a.href = URL.createObjectURL(new Blob([bytes], { type: "application/octet-stream" }));
        a.download = "trained.safetensors";
        a.click();
        setTimeout(() => URL.revokeObjectURL(a.href), 1000);
      } catch (e) {
        $("train-now").textContent = e.message || String(e);
      }
    });
    $("train-upload").addEventListener("change", async (e) => {
      const f = e.target.files[0];
      if (!f) return;
      try {
        await pg.importModel(new Uint8Array(await f.arrayBuffer()));
        if (pg.config().model !== "trained") pg.setConfig({ model: "trained" });
        showTraining(pg.trainStatus());
      } catch (err) {
        $("train-now").textContent = `${err.message || err} Nothing else changed.`;
      }
      e.target.value = "";
    });
    addEventListener("playground:train", (e) => showTraining(e.detail));
    $("trainer").addEventListener("toggle", () => showTraining(pg.trainStatus()));
    showTraining(pg.trainStatus());
  }

  window.playground.ready.then((api) => {
    if (!api.editor) return; // compare mode and the labs have no editor
    pg = api;
    wireEditor();
    wireTrainer();
    addEventListener("playground:config", () => showEdit());
  }, () => {});
})();
