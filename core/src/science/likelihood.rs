//! Likelihood through the probability-flow ODE (SCIENCE.md §6; seeds 001/002).
//!
//! `log p_0(x0) = log p_T(x_T) + ∫ ∇·f̃(x_t, t) dt`, with `f̃` the ODE drift and
//! its divergence exact in 2-D (the trace of the 2×2 Jacobian).
//!
//! **Coordinates** (stated once). The ODE is integrated in DDIM's variables
//! `ȳ = x/a`, `σ̃ = σ/a` of the network's own VP process, where it reads
//! `dȳ/dσ̃ = ε̂(a ȳ, t)` (Song et al. 2021, DDIM §4.3) and the instantaneous
//! change of variables gives `d log q(ȳ)/dσ̃ = −∇_ȳ·ε̂ = −a tr(∂ε̂/∂x)`, q the
//! density of ȳ. With `p_t(x) = q(x/a)/a²`:
//!
//! ```text
//! log p_{t_ε}(x) = log N(a_1 ȳ_1; 0, I) + 2 log a_1 − 2 log a_{t_ε} + ∫_{σ̃(t_ε)}^{σ̃(1)} a tr J_ε̂ dσ̃
//! ```
//!
//! Time runs forward, data to noise: from `t_ε` = [`T_EPS`] (the lowest
//! time the networks were trained on; the density measured is the data's at
//! that level, `σ ≈ 0.01`) to `t = 1`, whose marginal is taken as `N(0, I)`
//! (exact up to `a_1² ≈ 4e-5` of the data's covariance). Steps are Heun's,
//! on EDM's `ρ = 7` grid in σ̃ (dense near the data, where the field bends);
//! each step evaluates `ε̂` and `tr J` twice. The state is f32 like the GPU
//! kernel's (`shaders/likelihood.wgsl`), which runs the same sums.

use super::schedule::VpSde;

/// The lowest network time: the trainer samples `t = 0.001 + 0.999 u^k`.
pub const T_EPS: f64 = 1e-3;
/// EDM's grid exponent.
pub const RHO: f64 = 7.0;
/// `ln(2π)`.
const LN_2PI: f64 = 1.837_877_066_409_345_3;

/// One level of the grid: the network time, the VP scales and `σ̃ = σ/a`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OdeLevel {
    pub t: f64,
    pub alpha: f64,
    pub sigma: f64,
    pub sigma_tilde: f64,
}

impl OdeLevel {
    fn at_sigma_tilde(sigma_tilde: f64) -> Self {
        let alpha_bar = 1.0 / (1.0 + sigma_tilde * sigma_tilde);
        let t = VpSde::default().t_of_alpha_bar(alpha_bar);
        Self { t, alpha: alpha_bar.sqrt(), sigma: (1.0 - alpha_bar).sqrt(), sigma_tilde }
    }
}

/// The integration grid of `steps` Heun steps: `steps + 1` levels from `t_ε` up to `t = 1`.
#[derive(Clone, Debug, PartialEq)]
pub struct LikelihoodPlan {
    pub levels: Vec<OdeLevel>,
}

impl LikelihoodPlan {
    pub fn new(steps: usize) -> Self {
        let steps = steps.max(1);
        let sde = VpSde::default();
        let tilde = |t: f64| {
            let ab = sde.alpha_bar(t);
            ((1.0 - ab) / ab).sqrt()
        };
        let (lo, hi) = (tilde(T_EPS).powf(1.0 / RHO), tilde(1.0).powf(1.0 / RHO));
        let levels = (0..=steps).map(|i| OdeLevel::at_sigma_tilde((lo + (hi - lo) * i as f64 / steps as f64).powf(RHO))).collect();
        Self { levels }
    }

    pub fn steps(&self) -> usize {
        self.levels.len() - 1
    }

    /// Network evaluations (each with its Jacobian's trace) per point.
    pub fn nfe(&self) -> usize {
        2 * self.steps()
    }

    /// Per step the f32 coefficients both backends use: `(a_i, a_{i+1}, h = σ̃_{i+1} − σ̃_i)`.
    pub fn step_coefficients(&self, i: usize) -> StepCoefficients {
        let (l, r) = (self.levels[i], self.levels[i + 1]);
        let du = (r.sigma_tilde / l.sigma_tilde).ln();
        StepCoefficients {
            a_start: l.alpha as f32,
            a_end: r.alpha as f32,
            h: (r.sigma_tilde - l.sigma_tilde) as f32,
            w_start: (du * l.sigma_tilde) as f32,
            w_end: (du * r.sigma_tilde) as f32,
        }
    }

    /// The end terms of the formula above, in f64: `2 log a_1 − 2 log a_{t_ε}`.
    pub fn log_scale_terms(&self) -> f64 {
        let (first, last) = (self.levels[0], self.levels[self.steps()]);
        2.0 * last.alpha.ln() - 2.0 * first.alpha.ln()
    }

    /// `log p_{t_ε}(x)` from the end state of [`heun_step`]s: `ȳ_1` and the accumulated integral.
    pub fn log_density(&self, y_end: [f32; 2], integral: f32) -> f64 {
        let a1 = self.levels[self.steps()].alpha;
        let z = [a1 * y_end[0] as f64, a1 * y_end[1] as f64];
        -0.5 * (z[0] * z[0] + z[1] * z[1]) - LN_2PI + self.log_scale_terms() + integral as f64
    }

    /// `log p_{t_ε}(x)` of one point, with `eval(x, level) = (ε̂, tr ∂ε̂/∂x)` at `x` and grid level `level`.
    pub fn integrate(&self, x: [f32; 2], mut eval: impl FnMut([f32; 2], usize) -> ([f32; 2], f32)) -> f64 {
        let a0 = self.levels[0].alpha as f32;
        let (mut y, mut acc) = ([x[0] / a0, x[1] / a0], 0.0f32);
        for i in 0..self.steps() {
            (y, acc) = heun_step(self.step_coefficients(i), y, acc, |x, end| eval(x, i + end as usize));
        }
        self.log_density(y, acc)
    }
}

/// One Heun step of the ODE and of the integral, in the order the WGSL kernel
/// computes it; `eval(x, end)` evaluates at the step's start (`end = false`) or end level.
pub fn heun_step(c: StepCoefficients, y: [f32; 2], acc: f32, mut eval: impl FnMut([f32; 2], bool) -> ([f32; 2], f32)) -> ([f32; 2], f32) {
    let (e1, d1) = eval([c.a_start * y[0], c.a_start * y[1]], false);
    let pred = [y[0] + c.h * e1[0], y[1] + c.h * e1[1]];
    let (e2, d2) = eval([c.a_end * pred[0], c.a_end * pred[1]], true);
    (
        [y[0] + 0.5 * c.h * (e1[0] + e2[0]), y[1] + 0.5 * c.h * (e1[1] + e2[1])],
        acc + 0.5 * (c.w_start * c.a_start * d1 + c.w_end * c.a_end * d2),
    )
}

/// The f32 coefficients of one Heun step in `u = ln σ̃` (both backends read
/// these): the scales `a` at its ends, and `Δu·σ̃` at its ends (`dȳ/du = σ̃ ε̂`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepCoefficients {
    pub a_start: f32,
    pub a_end: f32,
    pub h: f32,
    pub w_start: f32,
    pub w_end: f32,
}

/// Negative log-likelihood in bits per dimension from a mean `log p` in nats (2-D data).
pub fn bits_per_dim(mean_log_p: f64) -> f64 {
    -mean_log_p / (2.0 * std::f64::consts::LN_2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::science::mixture::Mixture;

    /// `(ε̂, tr J_ε̂)` of a mixture's exact score: `ε̂ = −σ s`, `J_ε̂ = −σ J_s`.
    fn exact_eval<'a>(m: &'a Mixture, plan: &LikelihoodPlan) -> impl FnMut([f32; 2], usize) -> ([f32; 2], f32) + 'a {
        let levels = plan.levels.clone();
        move |x, i| {
            let l = levels[i];
            let (s, j) = m.score_jacobian([x[0] as f64, x[1] as f64], l.alpha, l.sigma);
            ([(-l.sigma * s[0]) as f32, (-l.sigma * s[1]) as f32], (-l.sigma * (j[0][0] + j[1][1])) as f32)
        }
    }

    #[test]
    fn the_grid_runs_from_t_eps_to_one() {
        let p = LikelihoodPlan::new(10);
        assert_eq!(p.steps(), 10);
        assert!((p.levels[0].t - T_EPS).abs() < 1e-9 && (p.levels[10].t - 1.0).abs() < 1e-9, "{:?}", p.levels);
        assert!(p.levels.windows(2).all(|w| w[1].sigma_tilde > w[0].sigma_tilde && w[1].t > w[0].t));
    }

    /// A centred Gaussian's log-density is closed-form, `log N(x; 0, (a²s² + σ²) I)`
    /// at `t_ε`: the integral converges to it at second order (Heun). Measured
    /// at (2, 1): 0.36, 0.026, 0.0017 nats at 16, 64, 256 steps.
    #[test]
    fn a_gaussian_gets_its_exact_log_density() {
        let m = Mixture::equal(&[[0.0, 0.0]], 0.8);
        let err = |steps: usize, x: [f32; 2]| {
            let plan = LikelihoodPlan::new(steps);
            let l0 = plan.levels[0];
            (plan.integrate(x, exact_eval(&m, &plan)) - m.log_density([x[0] as f64, x[1] as f64], l0.alpha, l0.sigma)).abs()
        };
        for x in [[0.0f32, 0.0], [2.0, 1.0], [-1.5, -3.0]] {
            let (e64, e256) = (err(64, x), err(256, x));
            assert!(e256 < 5e-3 && e256 < e64 / 8.0, "{x:?}: {e64} {e256}");
        }
    }

    /// A mean away from the origin leaves `a_1 μ` in the t = 1 marginal that
    /// the N(0, I) prior ignores: the error stops falling at about `a_1 |μ| |x_1|` (≈ 0.01 here).
    #[test]
    fn an_off_centre_mean_bounds_the_error_by_the_prior() {
        let m = Mixture::equal(&[[0.5, -1.0]], 0.8);
        let plan = LikelihoodPlan::new(1024);
        let l0 = plan.levels[0];
        let got = plan.integrate([2.0, 1.0], exact_eval(&m, &plan));
        let err = (got - m.log_density([2.0, 1.0], l0.alpha, l0.sigma)).abs();
        assert!(err > 5e-3 && err < 2e-2, "{err}");
    }

    /// The eight-Gaussian mixture: the error falls with the step count (Heun
    /// is second order) and is below 0.01 nats at 128 steps (worst of the four
    /// points, measured: 3.36, 3.06, 0.0034 nats at 8, 32, 128 steps). Negative
    /// control: dropping the divergence term (the plausible bug) is off by nats.
    #[test]
    fn a_mixture_converges_with_steps_and_the_divergence_term_matters() {
        let means: Vec<[f64; 2]> = (0..8).map(|k| [3.0 * (k as f64 * 0.785).cos(), 3.0 * (k as f64 * 0.785).sin()]).collect();
        let m = Mixture::equal(&means, 0.25);
        let xs = [[3.0f32, 0.1], [0.1, 2.8], [-2.0, -2.2], [0.0, 0.0]];
        let err = |steps: usize| {
            let plan = LikelihoodPlan::new(steps);
            let l0 = plan.levels[0];
            xs.iter()
                .map(|x| (plan.integrate(*x, exact_eval(&m, &plan)) - m.log_density([x[0] as f64, x[1] as f64], l0.alpha, l0.sigma)).abs())
                .fold(0.0, f64::max)
        };
        let (e8, e32, e128) = (err(8), err(32), err(128));
        assert!(e128 < 1e-2 && e32 < e8 && e128 < e32, "{e8} {e32} {e128}");
        let plan = LikelihoodPlan::new(128);
        let mut eval = exact_eval(&m, &plan);
        let no_div = plan.integrate(xs[0], |x, i| (eval(x, i).0, 0.0));
        let l0 = plan.levels[0];
        assert!((no_div - m.log_density([3.0, 0.1], l0.alpha, l0.sigma)).abs() > 1.0);
    }

    #[test]
    fn bits_per_dim_of_a_uniform_unit_square_is_zero() {
        assert_eq!(bits_per_dim(0.0), 0.0);
        assert!((bits_per_dim(-2.0 * std::f64::consts::LN_2) - 1.0).abs() < 1e-12);
    }
}
