//! Gaussian mixtures and their exact scores under VP noise (SCIENCE.md §5).
//!
//! `p0 = Σ π_k N(μ_k, s_k² I)` noised to level t (`x_t = a_t x0 + σ_t ε`) is
//! `p_t = Σ π_k N(a_t μ_k, C_k I)` with `C_k = a_t² s_k² + σ_t²`, and its score is
//! `s_t(x) = Σ_k r_k(x) (a_t μ_k - x) / C_k`, `r_k` the posterior responsibilities.
//! This f64 version is the ground truth for tests and diagnostics; the
//! samplers use the f32 twin in `model::ExactMixture`.

/// One isotropic component.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Component {
    pub mean: [f64; 2],
    /// Standard deviation `s_k` of each coordinate.
    pub std: f64,
    /// Mixture weight `π_k` (the weights of a mixture sum to 1).
    pub weight: f64,
    /// Class label of the points this component generates.
    pub label: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Mixture {
    pub components: Vec<Component>,
}

impl Mixture {
    /// Equal-weight mixture of components with a shared standard deviation;
    /// component k has class label k.
    pub fn equal(means: &[[f64; 2]], std: f64) -> Self {
        let weight = 1.0 / means.len() as f64;
        Self { components: means.iter().enumerate().map(|(label, &mean)| Component { mean, std, weight, label }).collect() }
    }

    /// The empirical distribution of `points` (equal weights, `s_k = 0`): its
    /// exact score is the ideal denoiser that memorises them (SCIENCE.md §5).
    pub fn empirical(points: &[[f32; 2]], labels: &[i32]) -> Self {
        let weight = 1.0 / points.len() as f64;
        Self {
            components: points
                .iter()
                .zip(labels)
                .map(|(p, &l)| Component { mean: [p[0] as f64, p[1] as f64], std: 0.0, weight, label: l as usize })
                .collect(),
        }
    }

    /// Log-weights plus log-densities of each component at level `(a, σ)`.
    fn component_logits(&self, x: [f64; 2], a: f64, sigma: f64) -> Vec<f64> {
        self.components
            .iter()
            .map(|c| {
                let var = a * a * c.std * c.std + sigma * sigma;
                let d = [x[0] - a * c.mean[0], x[1] - a * c.mean[1]];
                c.weight.ln() - (d[0] * d[0] + d[1] * d[1]) / (2.0 * var) - (2.0 * core::f64::consts::PI * var).ln()
            })
            .collect()
    }

    /// `log p_t(x)` at signal scale `a` and noise scale `σ`.
    pub fn log_density(&self, x: [f64; 2], a: f64, sigma: f64) -> f64 {
        let l = self.component_logits(x, a, sigma);
        let m = l.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        m + l.iter().map(|v| (v - m).exp()).sum::<f64>().ln()
    }

    /// The exact score `∇_x log p_t(x)`.
    pub fn score(&self, x: [f64; 2], a: f64, sigma: f64) -> [f64; 2] {
        let l = self.component_logits(x, a, sigma);
        let m = l.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let (mut acc, mut z) = ([0.0; 2], 0.0);
        for (c, li) in self.components.iter().zip(&l) {
            let r = (li - m).exp();
            let var = a * a * c.std * c.std + sigma * sigma;
            acc[0] += r * (a * c.mean[0] - x[0]) / var;
            acc[1] += r * (a * c.mean[1] - x[1]) / var;
            z += r;
        }
        [acc[0] / z, acc[1] / z]
    }

    /// The exact score and its Jacobian `J_ij = ∂s_i/∂x_j` (SCIENCE.md §6):
    /// with `u_k = (a μ_k − x)/C_k`, `J = Σ r_k u_k u_kᵀ − s sᵀ − (Σ r_k/C_k) I`,
    /// symmetric (a gradient field has no curl), trace `∇·s = Δ log p_t`.
    pub fn score_jacobian(&self, x: [f64; 2], a: f64, sigma: f64) -> ([f64; 2], [[f64; 2]; 2]) {
        let l = self.component_logits(x, a, sigma);
        let m = l.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let (mut s, mut uu, mut inv_c, mut z) = ([0.0; 2], [[0.0; 2]; 2], 0.0, 0.0);
        for (c, li) in self.components.iter().zip(&l) {
            let r = (li - m).exp();
            let var = a * a * c.std * c.std + sigma * sigma;
            let u = [(a * c.mean[0] - x[0]) / var, (a * c.mean[1] - x[1]) / var];
            for i in 0..2 {
                s[i] += r * u[i];
                for j in 0..2 {
                    uu[i][j] += r * u[i] * u[j];
                }
            }
            inv_c += r / var;
            z += r;
        }
        let s = [s[0] / z, s[1] / z];
        let mut jac = [[0.0; 2]; 2];
        for i in 0..2 {
            for j in 0..2 {
                jac[i][j] = uu[i][j] / z - s[i] * s[j] - if i == j { inv_c / z } else { 0.0 };
            }
        }
        (s, jac)
    }

    /// Index of the component with the largest responsibility at t = 0; for
    /// an empirical distribution (points, zero variance: the responsibility's
    /// limit) the nearest point.
    pub fn nearest_component(&self, x: [f64; 2]) -> usize {
        if self.components.iter().any(|c| c.std == 0.0) {
            let d2 = |c: &Component| (x[0] - c.mean[0]).powi(2) + (x[1] - c.mean[1]).powi(2);
            return (0..self.components.len()).fold(0, |best, k| if d2(&self.components[k]) < d2(&self.components[best]) { k } else { best });
        }
        let l = self.component_logits(x, 1.0, 0.0);
        l.iter().enumerate().fold(0, |best, (k, v)| if *v > l[best] { k } else { best })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An empirical distribution's nearest component is the nearest point
    /// (its zero variance would make every logit NaN).
    #[test]
    fn nearest_point_of_an_empirical_distribution() {
        let mix = Mixture::empirical(&[[0.0, 0.0], [2.0, 0.0], [0.0, 3.0]], &[0, 1, 2]);
        assert_eq!(mix.nearest_component([1.8, 0.3]), 1);
        assert_eq!(mix.nearest_component([0.2, 2.0]), 2);
        assert_eq!(mix.nearest_component([0.1, 0.1]), 0);
    }

    fn two() -> Mixture {
        Mixture {
            components: vec![
                Component { mean: [1.0, -0.5], std: 0.3, weight: 0.25, label: 0 },
                Component { mean: [-2.0, 1.0], std: 0.6, weight: 0.75, label: 1 },
            ],
        }
    }

    #[test]
    fn score_is_gradient_of_log_density() {
        let m = two();
        let h = 1e-5;
        for &(a, sigma) in &[(1.0, 0.0), (0.8, 0.6), (0.1, (1.0f64 - 0.01).sqrt())] {
            for &x in &[[0.0, 0.0], [1.1, -0.3], [-2.5, 2.0], [3.0, 3.0]] {
                let s = m.score(x, a, sigma);
                let gx = (m.log_density([x[0] + h, x[1]], a, sigma) - m.log_density([x[0] - h, x[1]], a, sigma)) / (2.0 * h);
                let gy = (m.log_density([x[0], x[1] + h], a, sigma) - m.log_density([x[0], x[1] - h], a, sigma)) / (2.0 * h);
                assert!((s[0] - gx).abs() < 1e-6 && (s[1] - gy).abs() < 1e-6, "{s:?} vs [{gx}, {gy}]");
            }
        }
    }

    #[test]
    fn density_integrates_to_one() {
        // Midpoint rule on [-8, 8]² with h = 0.02 — error far below 1e-4 for these widths.
        let m = two();
        let (h, mut total) = (0.02, 0.0);
        for i in 0..800 {
            for j in 0..800 {
                let x = [-8.0 + (i as f64 + 0.5) * h, -8.0 + (j as f64 + 0.5) * h];
                total += m.log_density(x, 0.9, (1.0f64 - 0.81).sqrt()).exp() * h * h;
            }
        }
        assert!((total - 1.0).abs() < 1e-4, "{total}");
    }

    #[test]
    fn score_jacobian_matches_finite_differences_and_a_gaussian_in_closed_form() {
        let m = two();
        let h = 1e-5;
        for &(a, sigma) in &[(0.8, 0.6), (0.3, (1.0f64 - 0.09).sqrt()), (0.999, 0.0447)] {
            for &x in &[[0.0, 0.0], [1.1, -0.3], [-2.5, 2.0], [-0.4, 0.3]] {
                let (s, jac) = m.score_jacobian(x, a, sigma);
                let want = m.score(x, a, sigma);
                assert!((s[0] - want[0]).abs() < 1e-12 && (s[1] - want[1]).abs() < 1e-12, "{s:?} vs {want:?}");
                for j in 0..2 {
                    let (mut xp, mut xm) = (x, x);
                    xp[j] += h;
                    xm[j] -= h;
                    let (sp, sm) = (m.score(xp, a, sigma), m.score(xm, a, sigma));
                    for i in 0..2 {
                        let fd = (sp[i] - sm[i]) / (2.0 * h);
                        assert!((jac[i][j] - fd).abs() < 1e-5 * (1.0 + fd.abs()), "J[{i}][{j}] {} vs {fd} at {x:?}", jac[i][j]);
                    }
                }
                assert_eq!(jac[0][1], jac[1][0], "a score has no curl");
            }
        }
        // One Gaussian N(μ, s² I) at level (a, σ): J = −I/C, so curl 0 and ∇·s = −tr(C⁻¹) = −2/C.
        let g = Mixture { components: vec![Component { mean: [0.5, -1.0], std: 0.4, weight: 1.0, label: 0 }] };
        let (a, sigma) = (0.6, 0.8);
        let c = a * a * 0.16 + sigma * sigma;
        let (_, jac) = g.score_jacobian([2.0, 1.5], a, sigma);
        assert!((jac[0][0] + 1.0 / c).abs() < 1e-12 && (jac[1][1] + 1.0 / c).abs() < 1e-12);
        assert!(jac[0][1].abs() < 1e-12 && jac[1][0].abs() < 1e-12);
    }

    #[test]
    fn pure_noise_score_is_standard_normal() {
        // At a = 0, σ = 1 every component is N(0, I): s(x) = -x.
        let s = two().score([0.7, -1.9], 0.0, 1.0);
        assert!((s[0] + 0.7).abs() < 1e-12 && (s[1] - 1.9).abs() < 1e-12);
    }
}
