//! Diagnostics of a score field against the exact one (SCIENCE.md §6,
//! seed 004): the error split into a scale, a magnitude error and a
//! direction error, and the curl and divergence of a 2-D field from its
//! Jacobian. Pure functions over already evaluated fields; the engine
//! (`engine::diagnostics`) evaluates the models.

use serde::Serialize;

/// How a model score `s_θ` differs from the exact `s*` over a set of points:
/// `c* = Σ|s_θ||s*| / Σ|s*|²` (the best scale of `|s*|` to `|s_θ|`), the
/// magnitude RMSE of `|s_θ| − c*|s*|`, and the direction error as the mean
/// cosine similarity and the mean angle (degrees).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScoreError {
    pub c_star: f64,
    pub magnitude_rmse: f64,
    pub mean_cosine: f64,
    pub mean_angle_deg: f64,
}

impl ScoreError {
    /// Over pairs `(s_θ, s*)`; pairs where either vector is zero or not
    /// finite have no direction and count only in the magnitudes.
    pub fn measure(pairs: &[([f64; 2], [f64; 2])]) -> Self {
        let norm = |v: [f64; 2]| v[0].hypot(v[1]);
        let (mut cross, mut exact2) = (0.0, 0.0);
        for &(m, e) in pairs {
            cross += norm(m) * norm(e);
            exact2 += norm(e) * norm(e);
        }
        let c_star = if exact2 > 0.0 { cross / exact2 } else { 0.0 };
        let mut sq = 0.0;
        let (mut cos_sum, mut angle_sum, mut directed) = (0.0, 0.0, 0usize);
        for &(m, e) in pairs {
            let (nm, ne) = (norm(m), norm(e));
            sq += (nm - c_star * ne).powi(2);
            if nm > 0.0 && ne > 0.0 && nm.is_finite() && ne.is_finite() {
                let cos = ((m[0] * e[0] + m[1] * e[1]) / (nm * ne)).clamp(-1.0, 1.0);
                cos_sum += cos;
                angle_sum += cos.acos().to_degrees();
                directed += 1;
            }
        }
        let n = pairs.len().max(1) as f64;
        let d = directed.max(1) as f64;
        Self { c_star, magnitude_rmse: (sq / n).sqrt(), mean_cosine: cos_sum / d, mean_angle_deg: angle_sum / d }
    }
}

/// The curl `∂s₂/∂x₁ − ∂s₁/∂x₂` of a 2-D field with Jacobian `J_ij = ∂s_i/∂x_j`
/// (zero for a true score, which is a gradient).
pub fn curl(jac: [[f64; 2]; 2]) -> f64 {
    jac[1][0] - jac[0][1]
}

/// The divergence `∂s₁/∂x₁ + ∂s₂/∂x₂` (for a score, `Δ log p`).
pub fn divergence(jac: [[f64; 2]; 2]) -> f64 {
    jac[0][0] + jac[1][1]
}

/// A path of a line integral from `x0` to `x1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Path {
    /// The straight segment.
    Straight,
    /// Along x₁ first, then along x₂ (through `(x1[0], x0[1])`).
    L,
}

impl Path {
    pub fn from_id(id: &str) -> Option<Self> {
        match id {
            "straight" => Some(Path::Straight),
            "L" | "l" => Some(Path::L),
            _ => None,
        }
    }
}

/// Composite Simpson segments per leg of a path.
pub const LINE_SEGMENTS: usize = 128;

/// `∫ s · dr` along `path` from `x0` to `x1` (SCIENCE.md §6): for a true
/// score `log p(x1) − log p(x0)` on every path; a path dependence exposes a
/// non-conservative field (by Stokes, the curl integrated over the area
/// between the paths). Composite Simpson, [`LINE_SEGMENTS`] per leg.
pub fn line_integral(mut score: impl FnMut([f64; 2]) -> [f64; 2], x0: [f64; 2], x1: [f64; 2], path: Path) -> f64 {
    let mut leg = |a: [f64; 2], b: [f64; 2]| {
        let d = [b[0] - a[0], b[1] - a[1]];
        let m = LINE_SEGMENTS;
        let mut sum = 0.0;
        for k in 0..=m {
            let u = k as f64 / m as f64;
            let s = score([a[0] + u * d[0], a[1] + u * d[1]]);
            let w = if k == 0 || k == m { 1.0 } else if k % 2 == 1 { 4.0 } else { 2.0 };
            sum += w * (s[0] * d[0] + s[1] * d[1]);
        }
        sum / (3.0 * m as f64)
    };
    match path {
        Path::Straight => leg(x0, x1),
        Path::L => {
            let corner = [x1[0], x0[1]];
            leg(x0, corner) + leg(corner, x1)
        }
    }
}

/// Simpson segments between consecutive points of a ray profile.
pub const RAY_SEGMENTS: usize = 8;

/// The log-density reconstructed along a ray (SCIENCE.md §6): from `origin`
/// in direction `dir` (a unit vector), `∫₀^{r_j} s(origin + r·dir)·dir dr` at
/// `r_j = length·j/m`, j = 0…m — for a true score `log p(x_j) − log p(origin)`.
/// Cumulative composite Simpson, [`RAY_SEGMENTS`] per step.
pub fn ray_profile(mut score: impl FnMut([f64; 2]) -> [f64; 2], origin: [f64; 2], dir: [f64; 2], length: f64, m: usize) -> Vec<f64> {
    let mut along = |r: f64| {
        let s = score([origin[0] + r * dir[0], origin[1] + r * dir[1]]);
        s[0] * dir[0] + s[1] * dir[1]
    };
    let h = length / m.max(1) as f64;
    let mut out = Vec::with_capacity(m + 1);
    let mut acc = 0.0;
    out.push(acc);
    let mut left = along(0.0);
    for j in 0..m {
        let r0 = j as f64 * h;
        let k = RAY_SEGMENTS;
        let mut sum = left;
        for i in 1..k {
            sum += if i % 2 == 1 { 4.0 } else { 2.0 } * along(r0 + h * i as f64 / k as f64);
        }
        let right = along(r0 + h);
        sum += right;
        acc += sum * h / (3.0 * k as f64);
        out.push(acc);
        left = right;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ray_profile_of_a_gaussian_score_is_its_log_density() {
        // s = −C⁻¹(x − μ), C = diag(1, 4): log p(x) − log p(o) in closed form.
        let (mu, c) = ([0.5, -1.0], [1.0, 4.0]);
        let score = |x: [f64; 2]| [-(x[0] - mu[0]) / c[0], -(x[1] - mu[1]) / c[1]];
        let log_p = |x: [f64; 2]| -0.5 * ((x[0] - mu[0]).powi(2) / c[0] + (x[1] - mu[1]).powi(2) / c[1]);
        let (o, dir) = ([-1.0, 0.5], [0.6, 0.8]);
        let prof = ray_profile(score, o, dir, 3.0, 12);
        assert_eq!(prof.len(), 13);
        for (j, v) in prof.iter().enumerate() {
            let x = [o[0] + 0.25 * j as f64 * dir[0], o[1] + 0.25 * j as f64 * dir[1]];
            assert!((v - (log_p(x) - log_p(o))).abs() < 1e-9, "{j}: {v}");
        }
        // A rotational field has no log-density: its profile is not the Gaussian's.
        let swirl = ray_profile(|x| [-x[1], x[0]], o, dir, 3.0, 12);
        assert!((swirl[12] - (log_p([o[0] + 1.8, o[1] + 2.4]) - log_p(o))).abs() > 0.5);
    }

    fn rotate(v: [f64; 2], deg: f64) -> [f64; 2] {
        let (s, c) = deg.to_radians().sin_cos();
        [c * v[0] - s * v[1], s * v[0] + c * v[1]]
    }

    fn exact_field() -> Vec<[f64; 2]> {
        (0..200).map(|i| { let t = i as f64 * 0.37; [t.cos() * (1.0 + 0.01 * i as f64), (1.3 * t).sin() - 0.2] }).collect()
    }

    #[test]
    fn the_exact_score_has_no_error() {
        let pairs: Vec<_> = exact_field().into_iter().map(|e| (e, e)).collect();
        let err = ScoreError::measure(&pairs);
        assert!((err.c_star - 1.0).abs() < 1e-12 && err.magnitude_rmse < 1e-12);
        assert!((err.mean_cosine - 1.0).abs() < 1e-12 && err.mean_angle_deg < 1e-5);
    }

    #[test]
    fn a_scaled_field_is_all_scale_and_a_rotated_one_all_direction() {
        let scaled: Vec<_> = exact_field().into_iter().map(|e| ([2.5 * e[0], 2.5 * e[1]], e)).collect();
        let err = ScoreError::measure(&scaled);
        assert!((err.c_star - 2.5).abs() < 1e-12 && err.magnitude_rmse < 1e-12 && (err.mean_cosine - 1.0).abs() < 1e-12);
        let rotated: Vec<_> = exact_field().into_iter().map(|e| (rotate(e, 30.0), e)).collect();
        let err = ScoreError::measure(&rotated);
        assert!((err.c_star - 1.0).abs() < 1e-12 && err.magnitude_rmse < 1e-12);
        assert!((err.mean_angle_deg - 30.0).abs() < 1e-9 && (err.mean_cosine - 30f64.to_radians().cos()).abs() < 1e-12);
        // Magnitudes off by ±0.1 in turn around the best scale: an RMSE of 0.1.
        let noisy: Vec<_> = exact_field()
            .into_iter()
            .enumerate()
            .map(|(i, e)| {
                let n = e[0].hypot(e[1]);
                let k = (n + if i % 2 == 0 { 0.1 } else { -0.1 }) / n;
                ([k * e[0], k * e[1]], e)
            })
            .collect();
        let err = ScoreError::measure(&noisy);
        assert!((err.magnitude_rmse - 0.1).abs() < 0.01, "{err:?}");
    }

    #[test]
    fn line_integrals_of_a_rotational_field_depend_on_the_path_as_stokes_says() {
        // s = (−ω y, ω x): straight ω(p_x q_y − p_y q_x), L-shaped ω(p_x p_y + q_x q_y − 2 p_y q_x);
        // their difference is the curl 2ω over the triangle between them, ω (q_x − p_x)(q_y − p_y).
        let omega = 0.8;
        let field = |x: [f64; 2]| [-omega * x[1], omega * x[0]];
        let (p, q) = ([-1.0, 0.5], [2.0, -1.5]);
        let straight = line_integral(field, p, q, Path::Straight);
        let l = line_integral(field, p, q, Path::L);
        assert!((straight - omega * (p[0] * q[1] - p[1] * q[0])).abs() < 1e-12, "{straight}");
        assert!((l - omega * (p[0] * p[1] + q[0] * q[1] - 2.0 * p[1] * q[0])).abs() < 1e-12, "{l}");
        assert!((l - straight - omega * (q[0] - p[0]) * (q[1] - p[1])).abs() < 1e-12);
    }

    #[test]
    fn line_integrals_of_an_exact_score_are_the_log_density_ratio_on_both_paths() {
        let mix = crate::science::datasets::Dataset::Gaussians8.exact_mixture();
        for &(a, sigma) in &[(0.9f64, (1.0f64 - 0.81).sqrt()), (0.999, 0.0447 * 4.0)] {
            for (p, q) in [([-2.0, 0.3], [2.5, 1.0]), ([0.1, -2.9], [-1.8, 1.9])] {
                let exact = mix.log_density(q, a, sigma) - mix.log_density(p, a, sigma);
                for path in [Path::Straight, Path::L] {
                    let v = line_integral(|x| mix.score(x, a, sigma), p, q, path);
                    assert!((v - exact).abs() < 1e-4 * (1.0 + exact.abs()), "{path:?} σ={sigma}: {v} vs {exact}");
                }
            }
        }
    }

    #[test]
    fn a_rotational_field_has_its_known_curl() {
        // s = (−ω y, ω x) + (a x, b y): curl 2ω, divergence a + b.
        let (omega, a, b) = (0.7, -1.5, 0.25);
        let jac = [[a, -omega], [omega, b]];
        assert_eq!(curl(jac), 2.0 * omega);
        assert_eq!(divergence(jac), a + b);
        // A gradient field's Jacobian is symmetric: no curl.
        assert_eq!(curl([[1.0, 0.3], [0.3, -2.0]]), 0.0);
    }
}
