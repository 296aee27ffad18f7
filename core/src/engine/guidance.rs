//! The guidance lab's runs (science::guidance has the conventions): a
//! class's samples at each strength of a sweep, with the playground's own
//! samplers (engine::cpu, engine::gpu), and seed 000's fairness toy, whose
//! guide couples the particles through their group means, so it steps all
//! of them together here on the CPU.

use crate::engine::cpu::initial_noise;
use crate::model::mlp::BLOCK;
use crate::model::{Conditioning, ScoreModel};
use crate::science::guidance::{fairness_eps_term, Guidance};
use crate::science::plan::{SamplerKind, Spacing, StepPlan};
use crate::science::schedule::ScheduleKind;

/// The lab's sampler: deterministic DDIM on the VP-linear schedule, so a
/// strength's samples differ from another's only by the guidance.
pub fn lab_plan(steps: usize) -> StepPlan {
    StepPlan::build(ScheduleKind::VpLinear, SamplerKind::Ddim { eta: 0.0 }, steps, Spacing::Uniform)
}

/// Classifier-free (`cfg`) or classifier guidance of `strength` towards `class`.
pub fn conditioning(classifier: bool, class: u32, strength: f64) -> Conditioning {
    let s = strength as f32;
    Conditioning { class: Some(class), guidance: if classifier { Guidance::Classifier { g: s } } else { Guidance::ClassifierFree { w: s } } }
}

/// The fairness toy's samples: `n` particles of class `classes[0]` (group
/// A) and `n` of `classes[1]` (group B), from the same noise at every λ,
/// guided by `λ` towards equal means of `u·x` (science::guidance::FairnessPoint).
pub fn fair_samples(model: &ScoreModel, plan: &StepPlan, classes: [u32; 2], u: [f32; 2], lambda: f64, n: usize, seed: u32) -> [Vec<[f32; 2]>; 2] {
    let mut x = initial_noise(seed, 2 * n, plan.init_scale);
    let mut eps = vec![[0.0f32; 2]; 2 * n];
    let mut x0 = vec![[0.0f32; 2]; 2 * n];
    for st in &plan.steps {
        debug_assert!(st.c_in == 1.0 && st.c_z == 0.0 && st.heun == 0, "a VP plan without noise or Heun steps");
        let level = model.level(plan.levels[st.level as usize], st.alpha, st.sigma);
        for (g, &class) in classes.iter().enumerate() {
            let range = g * n..(g + 1) * n;
            for (xs, out) in x[range.clone()].chunks(BLOCK).zip(eps[range].chunks_mut(BLOCK)) {
                model.eps_hat_block(xs, &level, Some(class), out);
            }
        }
        for ((p, e), o) in x.iter().zip(&eps).zip(x0.iter_mut()) {
            *o = [(p[0] - st.sigma * e[0]) / st.alpha, (p[1] - st.sigma * e[1]) / st.alpha];
        }
        let gap = crate::science::guidance::group_gap(&x0[..n], &x0[n..], u) as f32;
        for (i, (p, e)) in x.iter_mut().zip(&eps).enumerate() {
            let sign = if i < n { 1.0 } else { -1.0 };
            let t = fairness_eps_term(sign, lambda as f32, st.sigma, st.alpha, gap, u);
            let e = [e[0] + t[0], e[1] + t[1]];
            *p = [st.c_x * p[0] + st.c_eps * e[0], st.c_x * p[1] + st.c_eps * e[1]];
        }
    }
    let b = x.split_off(n);
    [x, b]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::cpu::CpuSampler;
    use crate::model::ExactMixture;
    use crate::science::datasets::Dataset;
    use crate::science::guidance::{fidelity_loss, group_gap, strengths, sweep_point};

    fn exact(d: Dataset) -> ScoreModel {
        ScoreModel::Exact(ExactMixture::new(&d.exact_mixture()))
    }

    /// Eight Gaussians, groups at (3, 0) and (−3, 0), feature x₁: the
    /// unguided gap is the means' 6 (to 0.2: 300 draws of sd 0.25 a
    /// group); the guide shrinks it monotonically while the fidelity loss
    /// grows from exactly 0, and by λ = 16 the gap is under a fifth. The
    /// guide's sign flipped (a plausible bug) widens the gap instead.
    #[test]
    fn fairness_guidance_trades_the_gap_for_fidelity() {
        let (model, plan) = (exact(Dataset::Gaussians8), lab_plan(25));
        let run = |lambda| fair_samples(&model, &plan, [0, 4], [1.0, 0.0], lambda, 300, 3);
        let base = run(0.0);
        let d0 = group_gap(&base[0], &base[1], [1.0, 0.0]);
        assert!((d0 - 6.0).abs() < 0.2, "{d0}");
        let mut last = (d0, 0.0);
        for lambda in [0.5, 2.0, 4.0, 16.0] {
            let g = run(lambda);
            let (d, f) = (group_gap(&g[0], &g[1], [1.0, 0.0]), fidelity_loss(&[&g[0][..], &g[1]].concat(), &[&base[0][..], &base[1]].concat()));
            eprintln!("λ = {lambda}: D = {d:.3}, F = {f:.3}");
            assert!(d < last.0 && f > last.1, "λ = {lambda}: D {d}, F {f} after {last:?}");
            last = (d, f);
        }
        assert!(last.0 < 0.2 * d0, "{last:?}");
        let flipped = run(-0.2);
        assert!(group_gap(&flipped[0], &flipped[1], [1.0, 0.0]) > d0 + 0.5);
    }

    /// CFG on the exact eight Gaussians' class 0: at w = 0 the samples are
    /// the whole mixture (accuracy about 1/8), at w = 1 the class (accuracy
    /// about 1, the distance to the class's data at its null level), and at
    /// large w the overshoot: far from the data, smaller diversity (log det).
    #[test]
    fn a_cfg_sweep_shows_the_overshoot() {
        let (model, plan) = (exact(Dataset::Gaussians8), lab_plan(25));
        let mix = Dataset::Gaussians8.exact_mixture();
        let (data, labels) = Dataset::Gaussians8.sample(8000, 5);
        let class_data: Vec<[f32; 2]> = data.iter().zip(&labels).filter(|(_, l)| **l == 0).map(|(p, _)| *p).take(600).collect();
        let points: Vec<_> = strengths(20.0).into_iter().map(|w| {
            let mut s = CpuSampler::new(plan.clone(), model.clone(), conditioning(false, 0, w), 9, 600);
            s.run_steps(plan.len());
            let lab: Vec<u32> = s.particles.iter().map(|p| mix.components[mix.nearest_component([p[0] as f64, p[1] as f64])].label as u32).collect();
            sweep_point(w, &s.particles, &lab, 0, &class_data)
        }).collect();
        for p in &points {
            eprintln!("w = {}: accuracy {:.3}, distance {:.4}, log det {:?}, mean norm {:.2}", p.strength, p.accuracy, p.distance, p.log_det, p.mean_norm);
        }
        assert!((points[0].accuracy - 0.125).abs() < 0.06, "{:?}", points[0]);
        let at1 = &points[2];
        assert!(at1.strength == 1.0 && at1.accuracy > 0.99 && at1.distance < 0.01, "{at1:?}");
        let last = points.last().unwrap();
        assert!(last.distance > 5.0 * at1.distance && last.log_det.unwrap() < at1.log_det.unwrap(), "{last:?}");
        assert!(crate::science::guidance::overshoot_start(&points).is_some());
    }
}
