//! What the canvas's extra layers show (issue 5): the class region each
//! particle is in, the paths of a subset of particles, the score field at the
//! current noise level, and the density. Pure Rust over the model and the
//! plan (tested natively); `render` draws them.

use crate::model::{mlp::BLOCK, ScoreModel};
use crate::science::plan::StepPlan;

use crate::science::diagnostics::{curl, divergence};
use crate::science::mixture::Mixture;

use super::render::{Layers, Raster};

/// Classes of the view as a `g × g` grid: each cell takes the label of the
/// nearest data point, so a particle's class is one lookup per frame.
pub struct LabelGrid {
    g: usize,
    half_width: f32,
    labels: Vec<u8>,
}

impl LabelGrid {
    pub fn new(data: &[[f32; 2]], labels: &[i32], g: usize, half_width: f32) -> Self {
        let cell = 2.0 * half_width / g as f32;
        let mut out = vec![0u8; g * g];
        for i in 0..g {
            for j in 0..g {
                let c = [-half_width + (j as f32 + 0.5) * cell, -half_width + (i as f32 + 0.5) * cell];
                let mut best = (f32::INFINITY, 0u8);
                for (p, l) in data.iter().zip(labels) {
                    let d = (p[0] - c[0]).powi(2) + (p[1] - c[1]).powi(2);
                    if d < best.0 {
                        best = (d, *l as u8);
                    }
                }
                out[i * g + j] = best.1;
            }
        }
        Self { g, half_width, labels: out }
    }

    /// The cells (row 0 at the bottom), the grid's side and its half-width
    /// (the GPU view looks labels up from these).
    pub fn cells(&self) -> (&[u8], usize, f32) {
        (&self.labels, self.g, self.half_width)
    }

    /// The class region of point `x` (clamped to the grid).
    pub fn label(&self, x: [f32; 2]) -> u8 {
        let f = |v: f32| (((v + self.half_width) / (2.0 * self.half_width) * self.g as f32) as isize).clamp(0, self.g as isize - 1) as usize;
        if !(x[0].is_finite() && x[1].is_finite()) {
            return 0;
        }
        self.labels[f(x[1]) * self.g + f(x[0])]
    }
}

/// Paths of the first `k` particles, one point per frame.
pub struct Trails {
    pub paths: Vec<Vec<[f32; 2]>>,
    max_points: usize,
}

impl Trails {
    pub fn new(k: usize, max_points: usize) -> Self {
        Self { paths: vec![Vec::new(); k], max_points }
    }

    pub fn clear(&mut self) {
        self.paths.iter_mut().for_each(Vec::clear);
    }

    /// Appends each tracked particle's position (interleaved x, y), skipping
    /// repeats and non-finite points; long paths drop every other point.
    pub fn push(&mut self, particles: &[f32]) {
        for (path, p) in self.paths.iter_mut().zip(particles.chunks_exact(2)) {
            let q = [p[0], p[1]];
            if !(q[0].is_finite() && q[1].is_finite()) || path.last() == Some(&q) {
                continue;
            }
            if path.len() >= self.max_points {
                let kept: Vec<[f32; 2]> = path.iter().step_by(2).copied().collect();
                *path = kept;
            }
            path.push(q);
        }
    }
}

/// The plan step whose start level the layers show: the next step to run
/// (the last one once the run is done).
fn shown_step(plan: &StepPlan, step: usize) -> Option<&crate::science::plan::PlanStep> {
    plan.steps.get(step.min(plan.len().saturating_sub(1)))
}

/// The score `s = −ε̂/σ` (in the schedule's coordinates) on a `g × g` grid at
/// the current level, as arrows: direction of s, length growing with |s|
/// (relative to the median) up to 1.2 cells.
pub fn field_arrows(model: &ScoreModel, plan: &StepPlan, step: usize, raster: &Raster, g: usize) -> Vec<([f32; 2], [f32; 2])> {
    let Some(st) = shown_step(plan, step) else { return Vec::new() };
    let level = model.level(plan.levels[st.level as usize], st.alpha, st.sigma);
    let sigma = st.sigma / st.c_in;
    let points: Vec<[f32; 2]> = (0..g * g).map(|k| raster.grid_point(g, k / g, k % g)).collect();
    let mut scores = Vec::with_capacity(points.len());
    for chunk in points.chunks(BLOCK) {
        let xin: Vec<[f32; 2]> = chunk.iter().map(|p| [st.c_in * p[0], st.c_in * p[1]]).collect();
        let mut eps = [[0.0f32; 2]; BLOCK];
        model.eps_hat_block(&xin, &level, None, &mut eps);
        scores.extend(eps[..chunk.len()].iter().map(|e| [-e[0] / sigma, -e[1] / sigma]));
    }
    let mut norms: Vec<f32> = scores.iter().map(|s| (s[0] * s[0] + s[1] * s[1]).sqrt()).filter(|v| v.is_finite()).collect();
    norms.sort_by(f32::total_cmp);
    let median = norms.get(norms.len() / 2).copied().unwrap_or(1.0).max(1e-12);
    let cell = (raster.grid_point(g, 0, 1)[0] - raster.grid_point(g, 0, 0)[0]).abs();
    points
        .iter()
        .zip(&scores)
        .filter_map(|(p, s)| {
            let n = (s[0] * s[0] + s[1] * s[1]).sqrt();
            if !n.is_finite() || n == 0.0 {
                return None;
            }
            let len = cell * (0.6 * n / median).min(1.2);
            Some((*p, [p[0] + s[0] / n * len, p[1] + s[1] / n * len]))
        })
        .collect()
}

/// The score layers over a `g × g` grid at the current level (SCIENCE.md
/// §6): what the model's score `s_θ` does against the exact score `s*` of
/// the dataset's distribution (`truth`: the mixture, or the empirical one).
/// Each grid is empty unless its layer is on in `want`; values are for the tints:
/// - `curl`: `∂s₂/∂x₁ − ∂s₁/∂x₂` of `s_θ` (forward-mode Jacobians through the
///   MLP) over the larger of its own 99th percentile and 5 % of the
///   divergence's, in [−1, 1], so a field that is nearly a gradient shows nearly nothing;
/// - `angle`: the angle between `s_θ` and `s*` over 90°, in [0, 1];
/// - `magnitude`: `log₂(|s_θ| / |s*|)`, in [−1, 1] (full colour at twice or half);
/// - `divergence`: `∇·s_θ − Δ log p_t` over the 99th percentile of `|Δ log p_t|`, in [−1, 1].
///
/// An exact model is the truth itself: every grid is zero.
pub fn score_grids(model: &ScoreModel, truth: &Mixture, plan: &StepPlan, step: usize, raster: &Raster, g: usize, want: Layers) -> ScoreGrids {
    let jacobians = match (model, score_grid_request(plan, step, raster, g, want)) {
        (ScoreModel::Mlp { score, .. }, Some(req)) => {
            let level = model.level(req.t, req.alpha, req.sigma);
            req.points.iter().map(|p| score.eps_hat_jacobian([req.c_in * p[0], req.c_in * p[1]], &level.time_bias, None)).collect()
        }
        (ScoreModel::Energy(energy), Some(req)) => {
            let level = model.level(req.t, req.alpha, req.sigma);
            req.points.iter().map(|p| energy.eps_hat_jacobian([req.c_in * p[0], req.c_in * p[1]], &level.time_bias, None)).collect()
        }
        _ => Vec::new(),
    };
    score_grids_from(&jacobians, truth, plan, step, raster, g, want)
}

/// What the score layers evaluate: the grid's cells `p` (the network's input
/// is `c_in · p`) at the shown level (network time `t`, VP scales), or none
/// when no score layer is on or there is no step.
pub struct GridRequest {
    pub points: Vec<[f32; 2]>,
    pub t: f32,
    pub alpha: f32,
    pub sigma: f32,
    pub c_in: f32,
}

pub fn score_grid_request(plan: &StepPlan, step: usize, raster: &Raster, g: usize, want: Layers) -> Option<GridRequest> {
    let any = want.curl || want.angle || want.magnitude || want.divergence;
    let st = shown_step(plan, step).filter(|_| any)?;
    let points = (0..g * g).map(|k| raster.grid_point(g, k / g, k % g)).collect();
    Some(GridRequest { points, t: plan.levels[st.level as usize], alpha: st.alpha, sigma: st.sigma, c_in: st.c_in })
}

/// [`score_grids`] from the network's `(ε̂, J_ε̂)` at every cell (row-major,
/// at the network input `c_in · p`) — computed on the CPU or by the GPU
/// kernel (engine::jacobian); empty `jacobians` means an exact model.
pub fn score_grids_from(jacobians: &[([f32; 2], [[f32; 2]; 2])], truth: &Mixture, plan: &StepPlan, step: usize, raster: &Raster, g: usize, want: Layers) -> ScoreGrids {
    let mut out = ScoreGrids::default();
    let any = want.curl || want.angle || want.magnitude || want.divergence;
    let Some(st) = shown_step(plan, step).filter(|_| any) else { return out };
    let zeros = || vec![0.0f32; g * g];
    let on = |b: bool| if b { zeros() } else { Vec::new() };
    (out.curl, out.angle, out.magnitude, out.divergence) = (on(want.curl), on(want.angle), on(want.magnitude), on(want.divergence));
    if jacobians.len() != g * g {
        return out;
    }
    // In the schedule's coordinates: a = α/c_in, σ = σ_vp/c_in; the model's
    // s(p) = −c_in ε̂(c_in p)/σ_vp and J_s = −c_in²/σ_vp J_ε̂.
    let (a, sigma) = ((st.alpha / st.c_in) as f64, (st.sigma / st.c_in) as f64);
    let (fs, fj) = (-(st.c_in / st.sigma) as f64, -(st.c_in * st.c_in / st.sigma) as f64);
    let (mut divs, mut exact_divs) = (Vec::with_capacity(g * g), Vec::with_capacity(g * g));
    for (k, (e, j)) in jacobians.iter().enumerate() {
        let p = raster.grid_point(g, k / g, k % g);
        let s = [fs * e[0] as f64, fs * e[1] as f64];
        let jac = [[fj * j[0][0] as f64, fj * j[0][1] as f64], [fj * j[1][0] as f64, fj * j[1][1] as f64]];
        let div = jac[0][0] + jac[1][1];
        if want.curl {
            out.curl[k] = curl(jac) as f32;
            divs.push(div.abs() as f32);
        }
        if !(want.angle || want.magnitude || want.divergence) {
            continue;
        }
        let (s_exact, j_exact) = truth.score_jacobian([p[0] as f64, p[1] as f64], a, sigma);
        let (n, n_exact) = (s[0].hypot(s[1]), s_exact[0].hypot(s_exact[1]));
        if want.angle && n > 0.0 && n_exact > 0.0 {
            let cos = ((s[0] * s_exact[0] + s[1] * s_exact[1]) / (n * n_exact)).clamp(-1.0, 1.0);
            out.angle[k] = (cos.acos().to_degrees() / 90.0).min(1.0) as f32;
        }
        if want.magnitude && n > 0.0 && n_exact > 0.0 {
            out.magnitude[k] = (n / n_exact).log2().clamp(-1.0, 1.0) as f32;
        }
        if want.divergence {
            let exact_div = divergence(j_exact);
            out.divergence[k] = (div - exact_div) as f32;
            exact_divs.push(exact_div.abs() as f32);
        }
    }
    let p99 = |mut v: Vec<f32>| {
        v.retain(|x| x.is_finite());
        v.sort_by(f32::total_cmp);
        v.get(v.len() * 99 / 100).copied().unwrap_or(0.0)
    };
    let normalise = |grid: &mut Vec<f32>, scale: f32| grid.iter_mut().for_each(|v| *v = if v.is_finite() { (*v / scale.max(1e-12)).clamp(-1.0, 1.0) } else { 0.0 });
    if want.curl {
        let scale = p99(out.curl.iter().map(|v| v.abs()).collect()).max(0.05 * p99(divs));
        normalise(&mut out.curl, scale);
    }
    if want.divergence {
        let scale = p99(exact_divs);
        normalise(&mut out.divergence, scale);
    }
    out
}

/// The grids of [`score_grids`] (empty where a layer is off).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScoreGrids {
    pub curl: Vec<f32>,
    pub angle: Vec<f32>,
    pub magnitude: Vec<f32>,
    pub divergence: Vec<f32>,
}

/// The density layer on a `g × g` grid, values in [0, 1]: the exact
/// `log p_t` at the current level when the score is exact (shown over 8 nats
/// below its maximum), else a histogram of the particles (square-root scaled).
pub fn density_grid(model: &ScoreModel, plan: &StepPlan, step: usize, particles: &[f32], raster: &Raster, g: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; g * g];
    match (model, shown_step(plan, step)) {
        (ScoreModel::Exact(m), Some(st)) => {
            for (k, v) in out.iter_mut().enumerate() {
                let p = raster.grid_point(g, k / g, k % g);
                *v = m.log_density([st.c_in * p[0], st.c_in * p[1]], st.alpha, st.sigma);
            }
            let max = out.iter().copied().filter(|v| v.is_finite()).fold(f32::MIN, f32::max);
            out.iter_mut().for_each(|v| *v = if v.is_finite() { (1.0 + (*v - max) / 8.0).clamp(0.0, 1.0) } else { 0.0 });
        }
        _ => {
            let (lo, hi) = (raster.grid_point(g, g - 1, 0), raster.grid_point(g, 0, g - 1));
            let cell = (hi[0] - lo[0]) / (g as f32 - 1.0);
            let (x0, y1) = (lo[0] - 0.5 * cell, hi[1] + 0.5 * cell);
            for p in particles.chunks_exact(2) {
                let (j, i) = ((p[0] - x0) / cell, (y1 - p[1]) / cell);
                if i >= 0.0 && j >= 0.0 && (i as usize) < g && (j as usize) < g {
                    out[i as usize * g + j as usize] += 1.0;
                }
            }
            let max = out.iter().copied().fold(0.0f32, f32::max).max(1.0);
            out.iter_mut().for_each(|v| *v = (*v / max).sqrt());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ExactMixture;
    use crate::science::datasets::Dataset;
    use crate::science::plan::{SamplerKind, Spacing};
    use crate::science::schedule::ScheduleKind;

    #[test]
    fn label_grid_takes_the_nearest_class() {
        let grid = LabelGrid::new(&[[-2.0, 0.0], [2.0, 0.0]], &[0, 1], 16, 4.5);
        assert_eq!((grid.label([-3.0, 1.0]), grid.label([2.5, -1.0]), grid.label([99.0, 0.0])), (0, 1, 1));
        assert_eq!(grid.label([f32::NAN, 0.0]), 0);
    }

    #[test]
    fn trails_record_thin_and_skip_repeats() {
        let mut t = Trails::new(2, 4);
        for k in 0..10 {
            t.push(&[k as f32, 0.0, 5.0, 5.0, 9.0, 9.0]);
        }
        assert_eq!(t.paths.len(), 2, "only the first 2 particles are tracked");
        assert!(t.paths[0].len() <= 4 && t.paths[0].last() == Some(&[9.0, 0.0]));
        assert_eq!(t.paths[1], vec![[5.0, 5.0]]);
    }

    #[test]
    fn the_field_points_at_the_modes_and_the_exact_density_peaks_there() {
        let mix = Dataset::Gaussians8.exact_mixture();
        let model = ScoreModel::Exact(ExactMixture::new(&mix));
        let plan = StepPlan::build(ScheduleKind::VpLinear, SamplerKind::Ddpm { variance: crate::science::plan::DdpmVariance::BetaTilde }, 10, Spacing::Uniform);
        let raster = Raster::new(64, 64);
        let centres: Vec<[f32; 2]> = mix.components.iter().map(|c| [c.mean[0] as f32, c.mean[1] as f32]).collect();
        let dist = |p: [f32; 2], q: [f32; 2]| ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2)).sqrt();
        // Near the data (the last step's level, σ ≈ 0.1) the posterior is the
        // nearest mode's, so every arrow points at its nearest mode centre:
        // checked for every grid point whose nearest mode is clearly nearer
        // than the second (ties, like the ring's centre, have no direction).
        let arrows = field_arrows(&model, &plan, 9, &raster, 9);
        assert_eq!(arrows.len(), 81);
        let mut checked = 0;
        for (base, tip) in &arrows {
            let mut d: Vec<(f32, usize)> = centres.iter().enumerate().map(|(k, c)| (dist(*base, *c), k)).collect();
            d.sort_by(|a, b| a.0.total_cmp(&b.0));
            if d[1].0 - d[0].0 < 0.3 || d[0].0 < 0.3 {
                continue;
            }
            let (c, v) = (centres[d[0].1], [tip[0] - base[0], tip[1] - base[1]]);
            let to_mode = [c[0] - base[0], c[1] - base[1]];
            let cos = (v[0] * to_mode[0] + v[1] * to_mode[1]) / (dist(*tip, *base) * dist(c, *base));
            assert!(cos > 0.95, "the arrow at {base:?} points {v:?}, not at its nearest mode {c:?} (cos {cos})");
            checked += 1;
        }
        assert!(checked >= 60, "only {checked} of 81 arrows checked");
        // The exact density: high at every mode centre, the global maximum
        // within 1.5 cells of one, low at the ring's centre.
        let g = 32;
        let density = density_grid(&model, &plan, 9, &[], &raster, g);
        let cell = dist(raster.grid_point(g, 0, 0), raster.grid_point(g, 0, 1));
        let nearest_cell = |c: [f32; 2]| (0..g * g).min_by(|&a, &b| dist(raster.grid_point(g, a / g, a % g), c).total_cmp(&dist(raster.grid_point(g, b / g, b % g), c))).unwrap();
        for c in &centres {
            let k = nearest_cell(*c);
            assert!(density[k] > 0.9, "density {} at the mode {c:?}", density[k]);
        }
        let argmax = (0..g * g).max_by(|&a, &b| density[a].total_cmp(&density[b])).unwrap();
        let peak = raster.grid_point(g, argmax / g, argmax % g);
        assert!(centres.iter().any(|c| dist(*c, peak) < 1.5 * cell), "the density peaks at {peak:?}, on no mode");
        assert!(density[nearest_cell([0.0, 0.0])] < 0.5, "density {} at the ring's centre", density[nearest_cell([0.0, 0.0])]);
        // Without an exact score, the density is the particles' histogram.
        let hist = density_grid(&model, &StepPlan { steps: Vec::new(), ..plan.clone() }, 0, &[0.1, 0.1, 0.1, 0.1, 3.0, 3.0], &raster, 8);
        assert_eq!(hist.iter().filter(|v| **v > 0.0).count(), 2);
        assert_eq!(hist.iter().copied().fold(0.0f32, f32::max), 1.0);
    }

    /// The scaling from the network's `(ε̂, J_ε̂)` at `c_in·p` to the score in
    /// the schedule's coordinates, on a VE plan (c_in ≠ 1) and a VP one: the
    /// mixture's own exact score, written as a network would give it
    /// (`ε̂ = −σ_vp s*(p)/c_in`, `J_ε̂ = −σ_vp J_s*(p)/c_in²`), measures no
    /// error in any layer. A slip in a factor (c_in for c_in²) is the control.
    #[test]
    fn the_score_layers_scale_the_network_s_output_right_at_every_schedule() {
        let truth = Dataset::Gaussians8.exact_mixture();
        let raster = Raster::new(64, 64);
        let all = Layers { curl: true, angle: true, magnitude: true, divergence: true, ..Layers::DEFAULT };
        for kind in [ScheduleKind::Ve, ScheduleKind::VpLinear] {
            let plan = StepPlan::build(kind, SamplerKind::Ddim { eta: 0.0 }, 10, Spacing::Uniform);
            let st = shown_step(&plan, 2).unwrap();
            assert_eq!(kind == ScheduleKind::Ve, st.c_in < 0.99, "{kind:?}: c_in {}", st.c_in);
            let (a, sigma) = ((st.alpha / st.c_in) as f64, (st.sigma / st.c_in) as f64);
            let as_network = |jac_power: i32| -> Vec<([f32; 2], [[f32; 2]; 2])> {
                (0..144)
                    .map(|k| {
                        let p = raster.grid_point(12, k / 12, k % 12);
                        let (s, j) = truth.score_jacobian([p[0] as f64, p[1] as f64], a, sigma);
                        let (fe, fj) = (-(st.sigma as f64) / st.c_in as f64, -(st.sigma as f64) / (st.c_in as f64).powi(jac_power));
                        ([(fe * s[0]) as f32, (fe * s[1]) as f32], [[(fj * j[0][0]) as f32, (fj * j[0][1]) as f32], [(fj * j[1][0]) as f32, (fj * j[1][1]) as f32]])
                    })
                    .collect()
            };
            let g = score_grids_from(&as_network(2), &truth, &plan, 2, &raster, 12, all);
            for (name, grid) in [("angle", &g.angle), ("magnitude", &g.magnitude), ("divergence", &g.divergence)] {
                let worst = grid.iter().fold(0.0f32, |m, v| m.max(v.abs()));
                assert!(worst < 1e-3, "{kind:?} {name}: {worst}");
            }
            if kind == ScheduleKind::Ve {
                let bad = score_grids_from(&as_network(1), &truth, &plan, 2, &raster, 12, all);
                assert!(bad.divergence.iter().any(|v| v.abs() > 0.3), "the control (J scaled by c_in, not c_in², c_in {}): {:?}", st.c_in, bad.divergence);
            }
        }
    }

    #[test]
    fn the_score_layers_are_empty_for_the_exact_score_and_show_the_network_s_errors() {
        let d = Dataset::Gaussians8;
        let truth = d.exact_mixture();
        let plan = StepPlan::build(ScheduleKind::VpLinear, SamplerKind::Ddpm { variance: crate::science::plan::DdpmVariance::BetaTilde }, 10, Spacing::Uniform);
        let raster = Raster::new(64, 64);
        let all = Layers { curl: true, angle: true, magnitude: true, divergence: true, ..Layers::DEFAULT };
        let exact = ScoreModel::Exact(ExactMixture::new(&truth));
        let grids = score_grids(&exact, &truth, &plan, 9, &raster, 12, all);
        for g in [&grids.curl, &grids.angle, &grids.magnitude, &grids.divergence] {
            assert!(g.len() == 144 && g.iter().all(|v| *v == 0.0));
        }
        // Off layers are not computed.
        assert_eq!(score_grids(&exact, &truth, &plan, 9, &raster, 12, Layers::DEFAULT), ScoreGrids::default());
        let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/models/gaussians8.safetensors")).unwrap();
        let learned = ScoreModel::learned(&crate::model::weights::ModelFile::from_bytes(&bytes, d).unwrap());
        let grids = score_grids(&learned, &truth, &plan, 9, &raster, 12, all);
        for g in [&grids.curl, &grids.magnitude, &grids.divergence] {
            assert!(g.iter().all(|v| (-1.0..=1.0).contains(v)));
        }
        assert!(grids.angle.iter().all(|v| (0.0..=1.0).contains(v)));
        // The curl: both signs, clearly visible against the scale (its 99th
        // percentile, or 5 % of the divergence's when that is larger).
        let c = &grids.curl;
        assert!(c.iter().any(|v| *v > 0.2) && c.iter().any(|v| *v < -0.2), "{c:?}");
        // Near the data (σ ≈ 0.1) the network is right where the data are and
        // off away from them: the angle error is small at the mode centres
        // (under 18°) and several times that elsewhere (measured: up to 40°);
        // the magnitude errs both ways, and the divergence error is not zero.
        let cell_of = |p: [f64; 2]| (0..144).min_by(|&a, &b| {
            let (pa, pb) = (raster.grid_point(12, a / 12, a % 12), raster.grid_point(12, b / 12, b % 12));
            let d = |q: [f32; 2]| (q[0] as f64 - p[0]).powi(2) + (q[1] as f64 - p[1]).powi(2);
            d(pa).total_cmp(&d(pb))
        }).unwrap();
        let at_modes: Vec<f32> = truth.components.iter().map(|m| grids.angle[cell_of(m.mean)]).collect();
        assert!(at_modes.iter().all(|v| *v < 0.2), "angle errors at the modes {at_modes:?}");
        assert!(grids.angle.iter().any(|v| *v > 0.3), "{:?}", grids.angle);
        assert!(grids.magnitude.iter().any(|v| *v > 0.05) && grids.magnitude.iter().any(|v| *v < -0.05), "{:?}", grids.magnitude);
        assert!(grids.divergence.iter().any(|v| v.abs() > 0.05), "{:?}", grids.divergence);
    }
}
