// Compare mode (`compare=1`, README: "Compare two settings"): two panels, A
// and B, each a whole playground in a same-origin iframe, sampling from the
// same noise (the same seed and particle count, hence the same x_T). The
// link's keys and their `b.` forms are split and rejoined in Rust
// (src/web/compare.rs); this file lays the panels out, keeps their shared
// keys equal, drives both from one bar and keeps the address bar's link
// current. www/app.js loads this file and calls `playgroundCompare.start`
// instead of starting a playground when the link asks for compare mode.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);

  function notice(text, kind = "") {
    const p = document.createElement("p");
    p.className = `notice ${kind}`;
    p.textContent = text;
    $("compare-notices").appendChild(p);
  }

  /** "sampler ddpm, steps 100": the keys where fragment `a` differs from `b`. */
  function differences(a, b) {
    const pa = new URLSearchParams(a), pb = new URLSearchParams(b);
    const out = [];
    for (const [k, v] of pa) if (pb.get(k) !== v) out.push(`${k} ${v}`);
    return out.join(", ");
  }

  /** Loads panel `id`'s iframe at `fragment`; resolves to its window.playground once ready. */
  function openPanel(id, fragment) {
    const frame = $(`cmp-${id}`);
    return new Promise((resolve, reject) => {
      frame.addEventListener("load", () => {
        const win = frame.contentWindow;
        win.document.body.classList.add("in-compare");
        win.playground.ready.then(resolve, reject);
      }, { once: true });
      frame.src = `${location.pathname}#${fragment}`;
    });
  }

  /**
   * Starts compare mode for `panels` ({ a, b, ignored }: App.comparePanels).
   * Resolves to the page's automation API in compare mode.
   */
  async function start(bindings, panels) {
    /** Keys both panels share (Rust's options().compareShared): a change in one panel is copied to the other. */
    const shared = bindings.App.options().compareShared;
    document.body.classList.add("comparing");
    $("compare-view").hidden = false;
    const embed = new URLSearchParams(panels.a).get("embed") === "1";
    document.documentElement.dataset.theme = new URLSearchParams(panels.a).get("theme") || "auto";
    document.body.classList.toggle("embed", embed);
    for (const i of panels.ignored) notice(`Ignored ${i.key}=${i.value}: ${i.reason}`);
    const fragments = { a: panels.a, b: panels.b };
    let link = "";
    const captions = () => {
      const da = differences(fragments.a, fragments.b), db = differences(fragments.b, fragments.a);
      $("cmp-a-caption").textContent = `A · ${da || "the same settings as B: change either panel's controls"}`;
      $("cmp-b-caption").textContent = `B · ${db || "the same settings as A"}`;
    };
    const showLink = () => {
      link = bindings.App.compareFragment(fragments.a, fragments.b);
      if (location.hash !== `#${link}`) history.replaceState(null, "", `#${link}`);
      const exit = $("cmp-exit");
      if (embed) {
        exit.textContent = "Open the full playground ↗";
        exit.target = "_blank";
        exit.href = `${location.pathname}#${bindings.linkWith(link, "embed", "0")}`;
      } else {
        exit.href = `${location.pathname}#${fragments.a}`;
      }
      captions();
    };
    showLink();
    const [pa, pb] = await Promise.all([openPanel("a", panels.a), openPanel("b", panels.b)]);
    const api = { a: pa, b: pb };
    // A change in one panel: copy its shared keys to the other (the same
    // noise), then rewrite the link.
    for (const [id, other] of [["a", "b"], ["b", "a"]]) {
      $(`cmp-${id}`).contentWindow.addEventListener("playground:config", (e) => {
        fragments[id] = e.detail.fragment;
        const mine = api[id].config(), theirs = api[other].config();
        const copy = {};
        for (const key of shared) if (mine[key] !== theirs[key]) copy[key] = mine[key];
        if (Object.keys(copy).length) api[other].setConfig(copy);
        document.documentElement.dataset.theme = mine.theme;
        showLink();
      });
    }
    // The panels may have normalised their links (e.g. dropped an ignored key).
    fragments.a = new URL(pa.shareUrl()).hash.slice(1);
    fragments.b = new URL(pb.shareUrl()).hash.slice(1);
    showLink();

    const both = (f) => [pa, pb].map(f);
    $("cmp-play").addEventListener("click", () => {
      if (pa.status().running || pb.status().running) both((p) => p.pause());
      else both((p) => p.play());
    });
    $("cmp-step").addEventListener("click", () => both((p) => p.step()));
    $("cmp-restart").addEventListener("click", () => both((p) => p.run().catch(() => {})));
    $("cmp-share").addEventListener("click", async () => {
      const url = `${location.origin}${location.pathname}#${link}`;
      try { await navigator.clipboard.writeText(url); notice("Link copied."); }
      catch { notice(`Copy this link: ${url}`); }
    });
    const label = () => {
      $("cmp-play").textContent = pa.status().running || pb.status().running ? "Pause both" : "Play both";
      requestAnimationFrame(label);
    };
    requestAnimationFrame(label);
    // Another link typed into the address bar (or "Leave compare"): start over from it.
    addEventListener("hashchange", () => { if (location.hash !== `#${link}`) location.reload(); });
    document.addEventListener("keydown", (e) => {
      if (e.target.closest("input, select, textarea") || e.metaKey || e.ctrlKey || e.altKey) return;
      if (e.key === " ") { e.preventDefault(); $("cmp-play").click(); }
      else if (e.key === "r" || e.key === "R") $("cmp-restart").click();
      else if (e.key === "s" || e.key === "S") $("cmp-step").click();
    });

    return {
      compare: true,
      /** The two panels' automation APIs (each a whole playground's window.playground). */
      panels: () => [pa, pb],
      run: () => Promise.all(both((p) => p.run())),
      play: () => { both((p) => p.play()); },
      pause: () => { both((p) => p.pause()); },
      step: () => { both((p) => p.step()); },
      config: () => ({ a: pa.config(), b: pb.config() }),
      shareUrl: () => `${location.origin}${location.pathname}#${link}`,
    };
  }

  window.playgroundCompare = { start };
})();
