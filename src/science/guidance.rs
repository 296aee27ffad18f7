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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cfg_endpoints_and_extrapolation() {
        let (u, c) = ([0.5f32, -1.0], [1.5f32, 2.0]);
        assert_eq!(cfg_combine(u, c, 0.0), u);
        assert_eq!(cfg_combine(u, c, 1.0), c);
        assert_eq!(cfg_combine(u, c, 3.0), [3.5, 8.0]);
    }
}
