// Energy distance, the same statistic and bound as src/science/metrics.rs:
// under "same law", E[ED] = E|X−X'|·(1/n + 1/m); a correct sampler stays
// below ACCEPT_FACTOR × that with probability > 99.9 % (χ²₁ tail bound).
export const ACCEPT_FACTOR = 11;

function meanCross(a, b) {
  let total = 0;
  const n = a.length / 2, m = b.length / 2;
  for (let i = 0; i < n; i++) {
    const x = a[2 * i], y = a[2 * i + 1];
    for (let j = 0; j < m; j++) total += Math.hypot(x - b[2 * j], y - b[2 * j + 1]);
  }
  return total / (n * m);
}

export function energyDistance(a, b) {
  return 2 * meanCross(a, b) - meanCross(a, a) - meanCross(b, b);
}

export function nullMean(reference, n, m) {
  const k = reference.length / 2;
  return meanCross(reference, reference) * (k / (k - 1)) * (1 / n + 1 / m);
}
