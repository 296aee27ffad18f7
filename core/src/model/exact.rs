//! The exact ε-prediction of an isotropic Gaussian mixture (or of an
//! empirical point set, `s_k = 0`), optionally restricted to one class's
//! components — the exact class-conditional score. f32, with exactly the
//! arithmetic of `shaders/score_mixture.wgsl`.

use crate::science::mixture::Mixture;

/// One mixture component as the GPU reads it (WGSL `Component`, 32 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct GpuComponent {
    pub mean: [f32; 2],
    /// Per-coordinate variance `s_k²` at t = 0.
    pub variance: f32,
    pub log_weight: f32,
    pub label: u32,
    pub _pad: [u32; 3],
}

/// The exact ε-prediction of a Gaussian mixture: `ε̂ = -σ_t · s_t(x)`.
#[derive(Clone, Debug)]
pub struct ExactMixture {
    pub components: Vec<GpuComponent>,
}

impl ExactMixture {
    pub fn new(mix: &Mixture) -> Self {
        Self {
            components: mix
                .components
                .iter()
                .map(|c| GpuComponent {
                    mean: [c.mean[0] as f32, c.mean[1] as f32],
                    variance: (c.std * c.std) as f32,
                    log_weight: c.weight.ln() as f32,
                    label: c.label as u32,
                    _pad: [0; 3],
                })
                .collect(),
        }
    }

    /// The same mixture in f64 (`science::mixture`, with its exact Jacobian).
    pub fn to_mixture(&self) -> Mixture {
        use crate::science::mixture::Component;
        Mixture {
            components: self
                .components
                .iter()
                .map(|c| Component {
                    mean: [c.mean[0] as f64, c.mean[1] as f64],
                    std: (c.variance as f64).sqrt(),
                    weight: (c.log_weight as f64).exp(),
                    label: c.label as usize,
                })
                .collect(),
        }
    }

    /// `log p_t(x)` (up to a constant) of the noised mixture at `a_t`, `σ_t`:
    /// `log Σ_k π_k N(x; a μ_k, (a² s_k² + σ²) I)` — the page's exact density layer.
    pub fn log_density(&self, x: [f32; 2], alpha: f32, sigma: f32) -> f32 {
        let mut m = f32::MIN;
        let mut z = 0.0f32;
        for c in &self.components {
            let var = alpha * alpha * c.variance + sigma * sigma;
            let d = [x[0] - alpha * c.mean[0], x[1] - alpha * c.mean[1]];
            let logit = c.log_weight - (d[0] * d[0] + d[1] * d[1]) / (2.0 * var) - var.ln();
            let m_new = m.max(logit);
            z = z * (m - m_new).exp() + (logit - m_new).exp();
            m = m_new;
        }
        m + z.ln()
    }

    /// `ε̂(x)` at signal scale `alpha = a_t` and noise scale `sigma = σ_t`,
    /// over the components of `class` (all of them for `None`).
    ///
    /// One pass with a running maximum (online log-sum-exp):
    /// `ε̂ = σ Σ r_k (x − a μ_k) / C_k`, `C_k = a² s_k² + σ²`. The weights are
    /// not renormalised within a class: the responsibilities are.
    #[inline]
    pub fn eps_hat(&self, x: [f32; 2], alpha: f32, sigma: f32, class: Option<u32>) -> [f32; 2] {
        // The lowest finite f32, as in the WGSL twin.
        let mut m = f32::MIN;
        let (mut acc, mut z) = ([0.0f32; 2], 0.0f32);
        for c in &self.components {
            if class.is_some_and(|k| k != c.label) {
                continue;
            }
            let var = alpha * alpha * c.variance + sigma * sigma;
            let d = [x[0] - alpha * c.mean[0], x[1] - alpha * c.mean[1]];
            let logit = c.log_weight - (d[0] * d[0] + d[1] * d[1]) / (2.0 * var) - var.ln();
            let m_new = m.max(logit);
            let rescale = (m - m_new).exp();
            let w = (logit - m_new).exp();
            acc = [acc[0] * rescale + w * d[0] / var, acc[1] * rescale + w * d[1] / var];
            z = z * rescale + w;
            m = m_new;
        }
        [sigma * acc[0] / z, sigma * acc[1] / z]
    }
}

impl ExactMixture {
    /// `ε̂(x)` over all components and `tr ∂ε̂/∂x`, for the likelihood
    /// (science::likelihood): with `d_k = x − a μ_k`, the score's Jacobian is
    /// `Σ r_k d_k d_kᵀ/C_k² − s sᵀ − (Σ r_k/C_k) I` and `ε̂ = −σ s`. One online
    /// pass as in [`ExactMixture::eps_hat`]; twin of `eps_trace` in shaders/score_mixture.wgsl.
    pub fn eps_hat_trace(&self, x: [f32; 2], alpha: f32, sigma: f32) -> ([f32; 2], f32) {
        let mut m = f32::MIN;
        let (mut acc, mut q, mut ic, mut z) = ([0.0f32; 2], 0.0f32, 0.0f32, 0.0f32);
        for c in &self.components {
            let var = alpha * alpha * c.variance + sigma * sigma;
            let d = [x[0] - alpha * c.mean[0], x[1] - alpha * c.mean[1]];
            let dd = d[0] * d[0] + d[1] * d[1];
            let logit = c.log_weight - dd / (2.0 * var) - var.ln();
            let m_new = m.max(logit);
            let rescale = (m - m_new).exp();
            let w = (logit - m_new).exp();
            acc = [acc[0] * rescale + w * d[0] / var, acc[1] * rescale + w * d[1] / var];
            q = q * rescale + w * dd / (var * var);
            ic = ic * rescale + w / var;
            z = z * rescale + w;
            m = m_new;
        }
        let s = [acc[0] / z, acc[1] / z];
        ([sigma * s[0], sigma * s[1]], -sigma * (q / z - (s[0] * s[0] + s[1] * s[1]) - 2.0 * ic / z))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::science::datasets::Dataset;

    #[test]
    fn matches_f64_exact_score() {
        for d in [Dataset::Gaussians8, Dataset::Grid25] {
            let mix = d.exact_mixture();
            let model = ExactMixture::new(&mix);
            for &(a, s) in &[(0.999f64, 0.0447f64), (0.7, 0.714), (0.05, 0.9987)] {
                for &x in &[[0.1f32, 0.2], [2.9, 0.1], [-3.0, -3.0], [5.0, -6.0]] {
                    let e = model.eps_hat(x, a as f32, s as f32, None);
                    let sc = mix.score([x[0] as f64, x[1] as f64], a, s);
                    let (ex, ey) = (-s * sc[0], -s * sc[1]);
                    let tol = 1e-4 * (1.0 + ex.abs().max(ey.abs()));
                    assert!((e[0] as f64 - ex).abs() < tol && (e[1] as f64 - ey).abs() < tol, "{d:?} a={a} x={x:?}: {e:?} vs [{ex}, {ey}]");
                }
            }
        }
    }

    #[test]
    fn eps_hat_trace_matches_the_f64_jacobian() {
        for d in [Dataset::Gaussians8, Dataset::Moons] {
            let mix = d.exact_mixture();
            let model = ExactMixture::new(&mix);
            for &(a, s) in &[(0.9999f64, 0.01f64), (0.7, 0.714), (0.05, 0.9987)] {
                for &x in &[[0.1f32, 0.2], [2.9, 0.1], [-1.0, 0.4]] {
                    let (e, tr) = model.eps_hat_trace(x, a as f32, s as f32);
                    let (sc, j) = mix.score_jacobian([x[0] as f64, x[1] as f64], a, s);
                    let want = -s * (j[0][0] + j[1][1]);
                    assert!((tr as f64 - want).abs() < 1e-3 * (1.0 + want.abs()), "{d:?} a={a} x={x:?}: {tr} vs {want}");
                    assert!((e[0] as f64 + s * sc[0]).abs() < 1e-3 * (1.0 + s * sc[0].abs()), "{d:?} {e:?}");
                }
            }
        }
    }

    #[test]
    fn class_restriction_is_the_conditional_score() {
        // Conditioning on class k is the exact score of component k alone.
        let mix = Dataset::Gaussians8.exact_mixture();
        let model = ExactMixture::new(&mix);
        let single = crate::science::mixture::Mixture { components: vec![mix.components[3]] };
        for &x in &[[0.0f32, 0.0], [-2.0, 2.1], [3.0, -1.0]] {
            let e = model.eps_hat(x, 0.8, 0.6, Some(3));
            let sc = single.score([x[0] as f64, x[1] as f64], 0.8, 0.6);
            assert!((e[0] as f64 + 0.6 * sc[0]).abs() < 1e-5 && (e[1] as f64 + 0.6 * sc[1]).abs() < 1e-5);
        }
    }
}
