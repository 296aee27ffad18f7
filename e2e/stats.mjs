// The statistics of the browser tests, the same as native (core/src/science/metrics.rs,
// tests/sampler_quality.rs): the energy distance, its null distribution
// measured from repeated data-vs-data draws (a scaled χ² fitted to their mean
// and variance; its 99.99 % quantile is the 99.9 % bound, as the fit's far
// tail is light), and the per-mode checks of a Gaussian mixture.

/** Mean distance over all pairs of a × b (flat [x0, y0, x1, y1, …]). */
function meanCross(a, b) {
  let total = 0;
  const n = a.length / 2, m = b.length / 2;
  for (let i = 0; i < n; i++) {
    const x = a[2 * i], y = a[2 * i + 1];
    let row = 0;
    for (let j = 0; j < m; j++) {
      const dx = x - b[2 * j], dy = y - b[2 * j + 1];
      row += Math.sqrt(dx * dx + dy * dy);
    }
    total += row;
  }
  return total / (n * m);
}

/** Mean distance over all pairs of a × a, diagonal included (each unordered pair once, doubled). */
function meanSelf(a) {
  let total = 0;
  const n = a.length / 2;
  for (let i = 0; i < n; i++) {
    const x = a[2 * i], y = a[2 * i + 1];
    for (let j = i + 1; j < n; j++) {
      const dx = x - a[2 * j], dy = y - a[2 * j + 1];
      total += Math.sqrt(dx * dx + dy * dy);
    }
  }
  return (2 * total) / (n * n);
}

export function energyDistance(a, b) {
  return 2 * meanCross(a, b) - meanSelf(a) - meanSelf(b);
}

/** E[ED] under the null, from the reference's mean pairwise distance. */
export function nullMean(reference, n, m) {
  const k = reference.length / 2;
  return meanSelf(reference) * (k / (k - 1)) * (1 / n + 1 / m);
}

/** Standard normal quantile of 0.9999. */
export const Z_9999 = 3.719016485;

/** Fit of the null: mean, variance, largest draw; quantile(z) of the scaled χ² (Welch–Satterthwaite, Wilson–Hilferty). */
export function nullCalibration(eds) {
  const r = eds.length;
  const mean = eds.reduce((s, v) => s + v, 0) / r;
  const variance = eds.reduce((s, v) => s + (v - mean) ** 2, 0) / (r - 1);
  const g = variance / (2 * mean), h = (2 * mean * mean) / variance, c = 2 / (9 * h);
  return { draws: r, mean, variance, max: Math.max(...eds), quantile: (z) => g * h * (1 - c + z * Math.sqrt(c)) ** 3 };
}

/** Standard deviations allowed to each count and covariance check (as native). */
const Z = 5;

/**
 * The per-mode checks of tests/sampler_quality.rs for samples `x` of a
 * mixture of isotropic Gaussians with equal weights (`centres`, std `s`):
 * counts Binomial(N, 1/K) within 5 sd, each mode's covariance against s²I
 * (sd √(2/(n_k−1)) of the variance ratios, 1/√(n_k−1) of the covariance)
 * within 5 sd, and the pooled within-mode variance within 5 sd.
 * Returns the list of failures (empty: passed).
 */
export function modeFailures(x, centres, s) {
  const n = x.length / 2, k = centres.length, w = 1 / k;
  const modes = centres.map(() => []);
  for (let i = 0; i < n; i++) {
    let best = 0, bd = Infinity;
    centres.forEach(([cx, cy], j) => {
      const d = (x[2 * i] - cx) ** 2 + (x[2 * i + 1] - cy) ** 2;
      if (d < bd) { bd = d; best = j; }
    });
    modes[best].push([x[2 * i], x[2 * i + 1]]);
  }
  const out = [];
  const s2 = s * s;
  let ss = 0, dofAll = 0;
  modes.forEach((pts, j) => {
    const c = pts.length, mean = n * w, sd = Math.sqrt(n * w * (1 - w));
    if (Math.abs(c - mean) >= Z * sd) out.push(`mode ${j}: count ${c}, expected ${mean.toFixed(0)} ± ${sd.toFixed(1)}`);
    if (c < 10) return;
    const mx = pts.reduce((a, p) => a + p[0], 0) / c, my = pts.reduce((a, p) => a + p[1], 0) / c;
    let sxx = 0, syy = 0, sxy = 0;
    for (const [px, py] of pts) { sxx += (px - mx) ** 2; syy += (py - my) ** 2; sxy += (px - mx) * (py - my); }
    const dof = c - 1;
    ss += (sxx + syy) / s2;
    dofAll += 2 * dof;
    const [vx, vy, cxy] = [sxx / dof / s2, syy / dof / s2, sxy / dof / s2];
    const [sdVar, sdCov] = [Math.sqrt(2 / dof), Math.sqrt(1 / dof)];
    if (Math.abs(vx - 1) >= Z * sdVar || Math.abs(vy - 1) >= Z * sdVar || Math.abs(cxy) >= Z * sdCov) {
      out.push(`mode ${j} (${c} points): covariance / s² = [${vx.toFixed(3)} ${cxy.toFixed(3)}; ${vy.toFixed(3)}], allowed 1 ± ${(Z * sdVar).toFixed(3)}`);
    }
  });
  const pooled = ss / dofAll, sdPooled = Math.sqrt(2 / dofAll);
  if (!(Math.abs(pooled - 1) < Z * sdPooled)) out.push(`pooled within-mode variance / s² = ${pooled.toFixed(4)}, allowed 1 ± ${(Z * sdPooled).toFixed(4)}`);
  return out;
}

/** gaussians8 (core/src/science/datasets.rs): 8 modes on the circle of radius 3, std 0.25. */
export const GAUSSIANS8 = {
  centres: Array.from({ length: 8 }, (_, k) => [3 * Math.cos((k * 2 * Math.PI) / 8), 3 * Math.sin((k * 2 * Math.PI) / 8)]),
  std: 0.25,
};
