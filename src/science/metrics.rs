//! Sample-quality metrics against known data (SCIENCE.md §6).

/// Energy distance (V-statistic) between two samples:
/// `2·mean|X−Y| − mean|X−X'| − mean|Y−Y'|`, the means over all pairs
/// including `i = j`. It is zero in expectation only for infinite samples:
/// under `X, Y` from the same law with sizes n and m,
/// `E[ED] = E|X−X'| · (1/n + 1/m)` — see [`energy_distance_null_mean`].
pub fn energy_distance(a: &[[f32; 2]], b: &[[f32; 2]]) -> f64 {
    2.0 * mean_cross_distance(a, b) - mean_cross_distance(a, a) - mean_cross_distance(b, b)
}

/// `E[ED]` when both samples come from the law of `reference`, estimated with
/// the reference's own mean pairwise distance `E|X−X'|`.
pub fn energy_distance_null_mean(reference: &[[f32; 2]], n: usize, m: usize) -> f64 {
    let k = reference.len() as f64;
    // Mean over i ≠ j from the V-statistic that includes the k zero diagonal terms.
    let mean_pair = mean_cross_distance(reference, reference) * k / (k - 1.0);
    mean_pair * (1.0 / n as f64 + 1.0 / m as f64)
}

/// Acceptance bound for "same law" tests: ED ≤ `ACCEPT_FACTOR` · E[ED].
///
/// Under the null, n·ED converges to a weighted sum of χ²₁ variables whose mean
/// is E[ED]; the heaviest upper tail for a given mean is all weight on one
/// term, whose 99.9 % quantile is 10.83 × the mean. So a correct sampler fails
/// this bound with probability below 0.1 % (any fixed seed either passes or
/// not, deterministically).
pub const ACCEPT_FACTOR: f64 = 11.0;

/// Diversity: `log det` of the sample covariance (the Gaussian entropy up to
/// constants, SCIENCE.md §4), `None` for fewer than 3 points or a degenerate
/// (collapsed) sample.
pub fn log_det_covariance(points: &[[f32; 2]]) -> Option<f64> {
    let n = points.len();
    if n < 3 {
        return None;
    }
    let (mut mx, mut my) = (0.0f64, 0.0f64);
    for p in points {
        mx += p[0] as f64;
        my += p[1] as f64;
    }
    let (mx, my) = (mx / n as f64, my / n as f64);
    let (mut sxx, mut sxy, mut syy) = (0.0f64, 0.0f64, 0.0f64);
    for p in points {
        let (dx, dy) = (p[0] as f64 - mx, p[1] as f64 - my);
        sxx += dx * dx;
        sxy += dx * dy;
        syy += dy * dy;
    }
    let k = 1.0 / (n as f64 - 1.0);
    let det = (sxx * syy - sxy * sxy) * k * k;
    (det > 0.0 && det.is_finite()).then(|| det.ln())
}

fn mean_cross_distance(a: &[[f32; 2]], b: &[[f32; 2]]) -> f64 {
    let mut total = 0.0f64;
    for p in a {
        let mut row = 0.0f64;
        for q in b {
            let (dx, dy) = ((p[0] - q[0]) as f64, (p[1] - q[1]) as f64);
            row += (dx * dx + dy * dy).sqrt();
        }
        total += row;
    }
    total / (a.len() as f64 * b.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::science::datasets::Dataset;

    #[test]
    fn null_mean_matches_repeated_draws() {
        // Average ED over 20 pairs of independent data draws, N = 500 each,
        // against the closed form E|X−X'|·(2/N). The spread of one ED is of the
        // order of its mean, so the mean of 20 is within ±50 % at > 4 sd.
        let d = Dataset::Gaussians8;
        let (reference, _) = d.sample(4000, 99);
        let expected = energy_distance_null_mean(&reference, 500, 500);
        let mut avg = 0.0;
        for r in 0..20 {
            let (a, _) = d.sample(500, 1000 + 2 * r);
            let (b, _) = d.sample(500, 1001 + 2 * r);
            avg += energy_distance(&a, &b) / 20.0;
        }
        assert!((avg / expected - 1.0).abs() < 0.5, "avg {avg} expected {expected}");
    }

    #[test]
    fn detects_a_shift() {
        // A shift by half the grid spacing (5 mode-widths) must clear the
        // acceptance bound the sampler tests use, 11 × the null mean.
        let (a, _) = Dataset::Grid25.sample(1000, 1);
        let b: Vec<[f32; 2]> = Dataset::Grid25.sample(1000, 2).0.iter().map(|p| [p[0] + 0.75, p[1]]).collect();
        let null = energy_distance_null_mean(&a, 1000, 1000);
        let ed = energy_distance(&a, &b);
        assert!(ed > ACCEPT_FACTOR * null, "ed {ed} null {null}");
    }

    #[test]
    fn log_det_of_a_known_covariance() {
        // Points (±a, 0), (0, ±b): covariance diag(2a²/3, 2b²/3) with n − 1 = 3.
        let (a, b) = (2.0f32, 0.5f32);
        let pts = [[a, 0.0], [-a, 0.0], [0.0, b], [0.0, -b]];
        let want = ((2.0 * 4.0 / 3.0) * (2.0 * 0.25 / 3.0) as f64).ln();
        assert!((log_det_covariance(&pts).unwrap() - want).abs() < 1e-9);
        assert_eq!(log_det_covariance(&[[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]), None, "collinear: det 0");
        assert_eq!(log_det_covariance(&[[1.0, 1.0]]), None);
    }
}
