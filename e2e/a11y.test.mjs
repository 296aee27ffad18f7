// Findable and readable (issue 28, item 5). The header links every page mode
// (the playground, compare mode, each lab Rust lists), and each link opens
// its mode. The accessibility audit: axe-core (npm, pinned) on every page
// mode — the playground, compare mode, each lab, the embed — in the dark and
// the light theme, with every panel open and a notice on show, finds nothing
// serious or critical. A control injects what the labs' notices looked like
// before (dark text on a dark olive box) and must be flagged.
// Run: node --test e2e/a11y.test.mjs
import { before, after } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { serve, launch, open, test, DIST, LIMIT_MS } from "./harness.mjs";

const AXE = fileURLToPath(new URL("../node_modules/axe-core/axe.min.js", import.meta.url));
let server, browser;

before(async () => {
  server = await serve(DIST);
  browser = await launch({ webgpu: true });
}, { timeout: LIMIT_MS });
after(async () => {
  await browser?.close();
  await server?.close();
}, { timeout: LIMIT_MS });

// Every page mode, each with a key the page ignores (so a notice shows).
const MODES = [
  ["playground", "#v=1&dataset=moons&steps=20&n=500&bogus=1"],
  ["compare", "#compare=1&steps=20&n=500&b.sampler=ddim"],
  ["embed", "#embed=1&steps=20&n=500&autoplay=0"],
  ["Langevin lab", "#lab=langevin&n=400&bogus=1"],
  ["guidance lab", "#lab=guidance&bogus=1"],
  ["Fokker–Planck lab", "#lab=fokker_planck&bogus=1"],
  ["GRF lab", "#lab=grf&bogus=1"],
  ["AIS lab", "#lab=ais&bogus=1"],
];

/** Serious and critical findings of axe on the page as it is, every <details> opened first. */
async function audit(page) {
  await page.evaluate(() => { for (const d of document.querySelectorAll("details")) d.open = true; });
  await page.waitForTimeout(300);
  await page.addScriptTag({ path: AXE });
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => `${n.target.join(" ")}: ${(n.failureSummary || "").split("\n").slice(1, 2).join("").trim()}`).join(" | ")}`);
  });
}

for (const theme of ["dark", "light"]) {
  test(`axe finds nothing serious or critical on any page mode, ${theme} theme`, async () => {
    const found = [];
    for (const [name, frag] of MODES) {
      const { page, errors } = await open(browser, `${server.url}${frag}&theme=${theme}`);
      for (const v of await audit(page)) found.push(`${name}: ${v}`);
      assert.deepEqual(errors, [], `${name}: console errors`);
      await page.close();
    }
    assert.deepEqual(found, []);
  });
}

test("the header links every page mode, and each link opens its mode", async () => {
  const { page, errors } = await open(browser, `${server.url}#v=1&steps=20&n=500`);
  const { links, labs } = await page.evaluate(() => ({
    links: [...document.querySelectorAll("#modes a")].map((a) => ({ mode: a.dataset.mode, text: a.textContent, current: a.getAttribute("aria-current") })),
    labs: window.playground.options().labs,
  }));
  assert.deepEqual(links.map((l) => l.mode), ["playground", "compare", ...labs]);
  assert.ok(links.every((l) => l.text.trim().length > 0), "every link is named");
  assert.deepEqual(links.filter((l) => l.current).map((l) => l.mode), ["playground"]);
  // Each lab's link opens that lab; from there the playground's link comes back.
  for (const lab of labs) {
    await Promise.all([page.waitForEvent("load"), page.click(`#modes a[data-mode="${lab}"]`)]);
    await page.waitForFunction(() => window.playground && window.playground.ready);
    assert.equal(await page.evaluate(async () => (await window.playground.ready).lab), lab);
    assert.equal(await page.getAttribute(`#modes a[data-mode="${lab}"]`, "aria-current"), "page");
  }
  await Promise.all([page.waitForEvent("load"), page.click('#modes a[data-mode="compare"]')]);
  await page.waitForFunction(() => window.playground && window.playground.ready);
  assert.ok(await page.evaluate(async () => !!(await window.playground.ready).compare), "compare mode opens");
  await Promise.all([page.waitForEvent("load"), page.click('#modes a[data-mode="playground"]')]);
  await page.waitForFunction(() => window.playground && window.playground.ready);
  const st = await page.evaluate(async () => { await window.playground.ready; return { lab: window.playground.lab ?? null, compare: !!window.playground.compare }; });
  assert.deepEqual(st, { lab: null, compare: false });
  assert.deepEqual(errors, []);
  await page.close();
});

test("control: the audit flags dark text on a dark olive notice", async () => {
  const { page } = await open(browser, `${server.url}#lab=langevin&theme=light`);
  await page.evaluate(() => {
    const p = document.createElement("p");
    p.className = "notice";
    p.textContent = "ignored bogus=1: unknown key";
    p.style.cssText = "background:#2a2f1d;color:#1b2030";
    document.getElementById("lab-notices").append(p);
  });
  const found = await audit(page);
  assert.ok(found.some((f) => f.startsWith("color-contrast")), JSON.stringify(found));
  await page.close();
});
