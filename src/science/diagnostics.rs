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

#[cfg(test)]
mod tests {
    use super::*;

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
