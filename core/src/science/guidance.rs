//! Guidance towards a class (SCIENCE.md §4).
//!
//! Convention, stated once: **classifier-free guidance** combines the
//! unconditional and the conditional prediction as
//! `ε̂_w = ε̂_u + w (ε̂_c − ε̂_u)`: `w = 0` is the unconditional model, `w = 1`
//! the conditional one, `w > 1` extrapolates past it (sharper classes, less
//! diversity, and at large w samples that leave the data).
//!
//! **Classifier guidance** adds `g` times the gradient of a noisy-input
//! classifier's `log p_φ(y | x_t)` to the unconditional score; in ε terms
//! `ε̂_g = ε̂_u − g σ_t ∇_x log p_φ(y | x_t)` (σ_t of the level the network
//! sees). With an exact score the classifier is exact too:
//! `∇ log p_t(y | x) = s_y − s = (ε̂_u − ε̂_c)/σ_t`, so classifier guidance with
//! strength g equals classifier-free guidance with `w = g` (tested).

/// Largest classifier-free guidance strength a link may ask for.
pub const CFG_W_MAX: f64 = 20.0;
/// Largest classifier guidance strength a link may ask for.
pub const CLASSIFIER_G_MAX: f64 = 50.0;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Guidance {
    /// The model conditioned on the chosen class (or unconditional for all classes).
    None,
    /// `ε̂_u + w (ε̂_c − ε̂_u)`; needs a class (with all classes it is `None`).
    ClassifierFree { w: f32 },
    /// `ε̂_u − g σ ∇ log p(y | x)`; needs a class (with all classes it is `None`).
    Classifier { g: f32 },
}

/// `ε̂_u + w (ε̂_c − ε̂_u)`, per coordinate, in this order on every backend.
#[inline]
pub fn cfg_combine(eps_u: [f32; 2], eps_c: [f32; 2], w: f32) -> [f32; 2] {
    [eps_u[0] + w * (eps_c[0] - eps_u[0]), eps_u[1] + w * (eps_c[1] - eps_u[1])]
}

/// `ε̂_u − g σ ∇ log p(y | x)`, per coordinate, in this order on every backend.
#[inline]
pub fn classifier_combine(eps_u: [f32; 2], grad: [f32; 2], g: f32, sigma: f32) -> [f32; 2] {
    let k = g * sigma;
    [eps_u[0] - k * grad[0], eps_u[1] - k * grad[1]]
}


/// The guidance lab's strengths: this ladder up to the chosen maximum.
pub const STRENGTH_LADDER: [f64; 14] = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 20.0, 30.0, 50.0];

/// The ladder's strengths up to `max` (at least `0`).
pub fn strengths(max: f64) -> Vec<f64> {
    STRENGTH_LADDER.iter().copied().filter(|w| *w <= max + 1e-12).collect()
}

/// What guidance of one strength did to a class's samples (SCIENCE.md §4:
/// overshoot leaves the data, blows up norms, shrinks the variance
/// anisotropically and collapses diversity).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SweepPoint {
    pub strength: f64,
    /// `log det` of the sample covariance (the Gaussian entropy up to constants).
    pub log_det: Option<f64>,
    /// Mean `|x|`.
    pub mean_norm: f64,
    /// The covariance's eigenvalue ratio, larger over smaller (≥ 1).
    pub anisotropy: Option<f64>,
    /// Fraction of samples whose nearest exact component has the class's label.
    pub accuracy: f64,
    /// Energy distance to draws of the class's data.
    pub distance: f64,
}

/// The figures of `samples` drawn at `strength`, against `class_data`
/// (draws of the class) and `labels` (each sample's nearest class).
pub fn sweep_point(strength: f64, samples: &[[f32; 2]], labels: &[u32], class: u32, class_data: &[[f32; 2]]) -> SweepPoint {
    let n = samples.len().max(1) as f64;
    let mean_norm = samples.iter().map(|p| (p[0] as f64).hypot(p[1] as f64)).sum::<f64>() / n;
    let accuracy = labels.iter().filter(|l| **l == class).count() as f64 / n;
    SweepPoint {
        strength,
        log_det: super::metrics::log_det_covariance(samples),
        mean_norm,
        anisotropy: eigenvalue_ratio(samples),
        accuracy,
        distance: super::metrics::energy_distance(samples, class_data),
    }
}

/// The sample covariance's eigenvalue ratio (`None` when degenerate).
pub fn eigenvalue_ratio(points: &[[f32; 2]]) -> Option<f64> {
    let n = points.len() as f64;
    if n < 3.0 {
        return None;
    }
    let m = points.iter().fold([0.0f64; 2], |a, p| [a[0] + p[0] as f64 / n, a[1] + p[1] as f64 / n]);
    let (mut xx, mut xy, mut yy) = (0.0, 0.0, 0.0);
    for p in points {
        let d = [p[0] as f64 - m[0], p[1] as f64 - m[1]];
        xx += d[0] * d[0];
        xy += d[0] * d[1];
        yy += d[1] * d[1];
    }
    let (h, r) = (0.5 * (xx + yy), (0.25 * (xx - yy).powi(2) + xy * xy).sqrt());
    let (hi, lo) = (h + r, h - r);
    (lo > 0.0 && hi.is_finite()).then(|| hi / lo)
}

/// Where overshoot begins: the first strength past the one closest to the
/// class's data whose distance is more than twice that closest distance.
pub fn overshoot_start(points: &[SweepPoint]) -> Option<usize> {
    let best = (0..points.len()).filter(|&i| points[i].distance.is_finite()).min_by(|&a, &b| points[a].distance.total_cmp(&points[b].distance))?;
    let floor = points[best].distance.max(1e-12);
    (best + 1..points.len()).find(|&i| !(points[i].distance <= 2.0 * floor))
}

/// Seed 000's fairness toy, stated once: two groups (two classes) are
/// sampled together; the guide is the group-mean gap of a feature
/// `f(x) = u·x`, `D = mean_A f(x̂0) − mean_B f(x̂0)` over the particles'
/// current x̂0, with the loss `λ·½D²`. At each step the predictions take
/// a proximal (implicit gradient) step: group A's x̂0s move by `−c u` and
/// B's by `+c u`, with `c` minimising `½c² + ½c² + (λ/2)(D − 2c)²` (the
/// move costed once a group, against the gap it leaves), so
/// `c = λD/(1 + 2λ)` and the predicted gap becomes `D/(1 + 2λ)` — the
/// optimal-control form `x* = (x + λ·target)/(1 + λ)` of seed 000; stable
/// for every λ ≥ 0, where the explicit step `c = λD` overshoots for λ > 1
/// (and the x_t-gradient of classifier guidance, `(σ/a)²` times larger in
/// x̂0, blows up at high noise).
/// In ε terms, with `x̂0 = (x − σε̂)/a`: `ε̂ += ± (a/σ) c u`. `D(λ)` is the
/// final samples' gap and `F(λ)` the fidelity loss: the mean squared
/// distance of each guided sample from the unguided sample of the same noise.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FairnessPoint {
    pub lambda: f64,
    /// `|D(λ)|`.
    pub gap: f64,
    /// `F(λ)`.
    pub fidelity: f64,
}

/// The fairness guide's ε̂ term for one particle: `sign · (a/σ) · λD/(1 + 2λ) · u`.
#[inline]
pub fn fairness_eps_term(sign: f32, lambda: f32, sigma: f32, alpha: f32, gap: f32, u: [f32; 2]) -> [f32; 2] {
    let k = sign * (alpha / sigma) * lambda * gap / (1.0 + 2.0 * lambda);
    [k * u[0], k * u[1]]
}

/// `D` of two groups' points along `u`.
pub fn group_gap(a: &[[f32; 2]], b: &[[f32; 2]], u: [f32; 2]) -> f64 {
    let mean = |g: &[[f32; 2]]| g.iter().map(|p| (u[0] * p[0] + u[1] * p[1]) as f64).sum::<f64>() / g.len().max(1) as f64;
    mean(a) - mean(b)
}

/// `F`: mean squared distance between guided and unguided samples of the same noise.
pub fn fidelity_loss(guided: &[[f32; 2]], unguided: &[[f32; 2]]) -> f64 {
    guided.iter().zip(unguided).map(|(g, u)| ((g[0] - u[0]) as f64).powi(2) + ((g[1] - u[1]) as f64).powi(2)).sum::<f64>() / guided.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweep_figures_of_known_samples() {
        // An axis-aligned cross of variances 4 and 1 (about): anisotropy 4, mean norm known.
        let pts: Vec<[f32; 2]> = [[2.0, 0.0], [-2.0, 0.0], [0.0, 1.0], [0.0, -1.0]].repeat(10);
        let p = sweep_point(1.0, &pts, &[0, 1, 0, 0].repeat(10), 0, &pts);
        assert!((p.anisotropy.unwrap() - 4.0).abs() < 1e-9 && (p.mean_norm - 1.5).abs() < 1e-9 && (p.accuracy - 0.75).abs() < 1e-12);
        assert!(p.distance.abs() < 1e-12, "the same points: distance 0");
        assert_eq!(eigenvalue_ratio(&[[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]), None, "collinear");
        assert_eq!(strengths(4.0), [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0]);
    }

    #[test]
    fn overshoot_starts_past_the_best_strength() {
        let at = |d: &[f64]| overshoot_start(&d.iter().enumerate().map(|(i, &distance)| SweepPoint { strength: i as f64, log_det: None, mean_norm: 0.0, anisotropy: None, accuracy: 0.0, distance }).collect::<Vec<_>>());
        assert_eq!(at(&[0.5, 0.1, 0.15, 0.19, 0.25, 0.9]), Some(4));
        assert_eq!(at(&[0.5, 0.1, 0.15]), None);
        assert_eq!(at(&[0.1, f64::NAN]), Some(1), "a blown-up run overshoots");
    }

    #[test]
    fn the_fairness_term_pushes_the_groups_together() {
        // Group A above B along u by D = 3, λ = 2: A's x̂0 moves by −(σ/a)·term = −λD/(1 + 2λ) = −1.2 along u,
        // B's by +1.2, so the predicted gap becomes 3 − 2.4 = D/(1 + 2λ).
        let (sigma, alpha) = (0.5f32, 0.8f32);
        let t = fairness_eps_term(1.0, 2.0, sigma, alpha, 3.0, [1.0, 0.0]);
        assert!((-(sigma / alpha) * t[0] + 1.2).abs() < 1e-6 && t[1] == 0.0, "{t:?}");
        assert_eq!(group_gap(&[[2.0, 0.0], [4.0, 1.0]], &[[-1.0, 5.0]], [1.0, 0.0]), 4.0);
        assert_eq!(fidelity_loss(&[[1.0, 1.0]], &[[0.0, 0.0]]), 2.0);
    }

    #[test]
    fn cfg_endpoints_and_extrapolation() {
        let (u, c) = ([0.5f32, -1.0], [1.5f32, 2.0]);
        assert_eq!(cfg_combine(u, c, 0.0), u);
        assert_eq!(cfg_combine(u, c, 1.0), c);
        assert_eq!(cfg_combine(u, c, 3.0), [3.5, 8.0]);
    }
}
