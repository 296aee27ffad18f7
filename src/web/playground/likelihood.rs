//! The page's likelihood through the probability-flow ODE (README: "Score
//! diagnostics"; science::likelihood has the formula): the automation API's
//! `logLikelihood(points)` and the panel's report on data draws, on the
//! backend the run uses — the WGSL kernel on WebGPU, else the CPU twin in
//! slices that yield to the page between them.

use serde::Serialize;


use crate::science::likelihood::{bits_per_dim, LikelihoodPlan};

/// Most points one call measures.
pub const MAX_POINTS: usize = 65_536;
/// Points per CPU slice (a few ms each in the browser at 20 steps).
pub const CPU_SLICE: usize = 8;

/// Points from 2N interleaved coordinates, or why not.
pub fn points_from(flat: &[f64]) -> Result<Vec<[f32; 2]>, String> {
    if flat.is_empty() || flat.len() % 2 != 0 {
        return Err(format!("logLikelihood needs 2N interleaved coordinates (N ≥ 1); got {} numbers", flat.len()));
    }
    if flat.len() / 2 > MAX_POINTS {
        return Err(format!("logLikelihood measures at most {MAX_POINTS} points a call; got {}", flat.len() / 2));
    }
    if let Some(i) = flat.iter().position(|v| !v.is_finite()) {
        return Err(format!("point {} has a coordinate that is not a finite number", i / 2));
    }
    Ok(flat.chunks_exact(2).map(|p| [p[0] as f32, p[1] as f32]).collect())
}

/// The `lo`-th and `hi`-th quantiles of the finite values (the likelihood
/// layer's colour range); `(0, 1)` when there are none.
pub fn percentile_range(values: &[f64], lo: f64, hi: f64) -> (f64, f64) {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return (0.0, 1.0);
    }
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((q * (v.len() - 1) as f64).round() as usize).min(v.len() - 1)];
    (at(lo), at(hi))
}

/// What the panel shows for one step count.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub steps: usize,
    pub n: usize,
    /// Network evaluations per point (each with its Jacobian's trace).
    pub nfe: usize,
    pub mean_log_p: f64,
    /// `−mean log p` in nats, and in bits per dimension.
    pub nll: f64,
    pub bits_per_dim: f64,
    /// The exact mean `log p_{t_ε}` of the same points where the dataset's
    /// density is closed-form (a Gaussian mixture), else none.
    pub exact_mean_log_p: Option<f64>,
    pub backend: String,
    pub seconds: f64,
}

impl Report {
    pub fn new(gaussian_mixture: Option<crate::science::mixture::Mixture>, plan: &LikelihoodPlan, points: &[[f32; 2]], log_p: &[f64], backend: &str, seconds: f64) -> Self {
        let n = log_p.len().max(1) as f64;
        let mean_log_p = log_p.iter().sum::<f64>() / n;
        let l0 = plan.levels[0];
        let exact_mean_log_p = gaussian_mixture
            .map(|m| points.iter().map(|x| m.log_density([x[0] as f64, x[1] as f64], l0.alpha, l0.sigma)).sum::<f64>() / n);
        Self {
            steps: plan.steps(),
            n: log_p.len(),
            nfe: plan.nfe(),
            mean_log_p,
            nll: -mean_log_p,
            bits_per_dim: bits_per_dim(mean_log_p),
            exact_mean_log_p,
            backend: backend.to_string(),
            seconds,
        }
    }
}

#[cfg(target_arch = "wasm32")]
mod page {
    use std::rc::Rc;

    use wasm_bindgen::JsValue;

    use super::CPU_SLICE;
    use crate::engine::gpu::GpuContext;
    use crate::engine::likelihood::{log_likelihood_cpu, log_likelihood_gpu};
    use crate::model::ScoreModel;
    use crate::science::likelihood::LikelihoodPlan;

    /// Lets the page run (a macrotask) before the next CPU slice.
    async fn yield_to_page() {
        let p = js_sys::Promise::new(&mut |resolve, _| {
            if let Some(w) = web_sys::window() {
                let _ = w.set_timeout_with_callback(&resolve);
            }
        });
        let _ = wasm_bindgen_futures::JsFuture::from(p).await;
    }

    /// `log p_{t_ε}` of each point, on the GPU when `gpu` is given.
    pub async fn log_likelihood(model: ScoreModel, plan: LikelihoodPlan, points: Vec<[f32; 2]>, gpu: Option<Rc<GpuContext>>) -> Result<Vec<f64>, JsValue> {
        if let Some(gpu) = gpu {
            return log_likelihood_gpu(&gpu, &model, &plan, &points).await.map_err(|e| JsValue::from_str(&e.to_string()));
        }
        let mut out = Vec::with_capacity(points.len());
        for chunk in points.chunks(CPU_SLICE) {
            out.extend(log_likelihood_cpu(&model, &plan, chunk));
            yield_to_page().await;
        }
        Ok(out)
    }
}

#[cfg(target_arch = "wasm32")]
pub use page::log_likelihood;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::science::datasets::Dataset;

    #[test]
    fn points_are_checked() {
        assert_eq!(points_from(&[1.0, 2.0, -3.0, 0.5]).unwrap(), vec![[1.0, 2.0], [-3.0, 0.5]]);
        assert!(points_from(&[]).unwrap_err().contains("2N"));
        assert!(points_from(&[1.0, 2.0, 3.0]).unwrap_err().contains("got 3"));
        assert!(points_from(&[1.0, f64::NAN]).unwrap_err().contains("point 0"));
        assert!(points_from(&vec![0.0; 2 * MAX_POINTS + 2]).unwrap_err().contains("at most"));
    }

    #[test]
    fn percentile_range_skips_non_finite_values() {
        let v: Vec<f64> = (0..=100).map(|i| i as f64).chain([f64::NAN, f64::INFINITY]).collect();
        assert_eq!(percentile_range(&v, 0.05, 0.95), (5.0, 95.0));
        assert_eq!(percentile_range(&[f64::NAN], 0.05, 0.95), (0.0, 1.0));
    }

    #[test]
    fn the_report_has_the_exact_density_only_where_it_is_closed_form() {
        let plan = LikelihoodPlan::new(4);
        let pts = [[3.0f32, 0.0], [0.0, 3.0]];
        let r = Report::new(Dataset::Gaussians8.gaussian_mixture(), &plan, &pts, &[-2.0, -3.0], "cpu", 0.1);
        assert_eq!((r.n, r.nfe, r.mean_log_p, r.nll), (2, 8, -2.5, 2.5));
        assert!((r.bits_per_dim - 2.5 / (2.0 * std::f64::consts::LN_2)).abs() < 1e-12);
        let exact = r.exact_mean_log_p.unwrap();
        assert!(exact > -3.0 && exact < 0.0, "{exact}");
        assert_eq!(Report::new(Dataset::Moons.gaussian_mixture(), &plan, &pts, &[-2.0, -3.0], "cpu", 0.1).exact_mean_log_p, None);
    }
}
