//! Drawing the stage and computing what it overlays: the data layer, the
//! particles (live or a scrubbed frame) with their layers on the 2D canvas
//! or by the WebGPU render pass, the field and density layers, the score
//! layers' grids (the Jacobian kernel during a WebGPU run) and the
//! likelihood layer once a run ends (wasm32 only).

use wasm_bindgen::Clamped;
use web_sys::ImageData;

use crate::engine::jacobian::jacobians_gpu;
use crate::model::ScoreModel;
use crate::science::datasets::BOX_HALF_WIDTH;
use crate::web::gpu_render::Points;
use crate::web::layers::{density_grid, field_arrows, score_grid_request, score_grids, score_grids_from, LabelGrid};
use crate::web::playground::data::Data;
use crate::web::playground::likelihood;
use crate::web::playground::overlays::{LikelihoodLayer, ScoreEntry, DENSITY_GRID, FIELD_GRID, LIKELIHOOD_LAYER_POINTS, LIKELIHOOD_LAYER_STEPS, SCORE_GRID};
use crate::web::playground::run::Engine;
use crate::web::playground::session::State;
use crate::web::playground::timeline::forward_particles;
use crate::web::render::{Layers, Overlay, Tints};

/// Points of the faint data layer behind the particles.
const DATA_LAYER_POINTS: usize = 3000;
/// The data layer's draws use their own seed so they never equal the samples' noise.
const DATA_LAYER_SEED: u32 = 0xDA7A;
/// The class regions' grid, from the first LABEL_POINTS data-layer draws.
const LABEL_GRID: usize = 128;
const LABEL_POINTS: usize = 1024;

impl State {
    /// Redraws the data layer and the class regions for the current data, then the stage.
    pub(crate) fn draw_data_layer(&mut self) {
        self.view.data_version += 1;
        // The user's own points are drawn as they are; a built-in set by a fixed draw.
        let (data, labels) = match &self.link.config.dataset {
            Data::Custom(set) => (set.points.clone(), set.labels.iter().map(|&l| l as i32).collect()),
            d => d.sample(DATA_LAYER_POINTS, DATA_LAYER_SEED),
        };
        match &self.link.config.dataset {
            Data::Custom(set) => self.view.raster.set_data_layer_classes(&data, Some(&set.labels)),
            _ => self.view.raster.set_data_layer(&data),
        }
        let k = data.len().min(LABEL_POINTS);
        self.view.label_grid = (self.link.config.dataset.num_classes() > 1 && k > 0).then(|| LabelGrid::new(&data[..k], &labels[..k], LABEL_GRID, BOX_HALF_WIDTH as f32 + 0.5));
        self.overlays.trails.push(&self.run.particles);
        self.draw();
    }

    /// Whether the WebGPU view draws (a WebGPU run), else the 2D canvas.
    pub(crate) fn gpu_view_draws(&self) -> bool {
        matches!(self.run.engine, Engine::Gpu(_)) && self.view.gpu.is_some()
    }

    /// Draws the stage: the live particles, or the scrubbed frame.
    pub(crate) fn draw(&mut self) {
        // A WebGPU run draws on the WebGPU canvas, anything else on the 2D one.
        let gpu_view = self.gpu_view_draws();
        if self.view.gpu_canvas.hidden() == gpu_view {
            self.view.gpu_canvas.set_hidden(!gpu_view);
            self.view.canvas.set_hidden(gpu_view);
        }
        // The scrubber shows a recorded frame (or the forward process there).
        if let Some(k) = self.timeline.scrub {
            let Some((step, snap)) = self.timeline.snapshots.get(k).cloned() else { return };
            let shown = if self.timeline.forward_view { forward_particles(&self.run.plan, &self.link.config.dataset, step, self.run.particles.len() / 2) } else { snap };
            let live = std::mem::replace(&mut self.run.particles, shown);
            self.draw_particles(step, gpu_view, true);
            self.run.particles = live;
            return;
        }
        self.draw_particles(self.run.engine.step(), gpu_view, false);
    }

    /// The layers the link asks for (the "layers" key: no string split per frame).
    pub(crate) fn layers(&self) -> Layers {
        self.link.config.layers
    }

    /// Draws the layers at the level after `step` plan steps: the particles
    /// in `self.run.particles` on the 2D canvas, or on the WebGPU canvas those in
    /// GPU memory (`self.run.particles` when `scrubbed`: a recorded frame).
    fn draw_particles(&mut self, step: usize, gpu_view: bool, scrubbed: bool) {
        let layers = self.layers();
        if layers.likelihood && !scrubbed {
            self.start_likelihood_layer();
        }
        // Field and density are recomputed when the step changes.
        let computed = Layers { field: layers.field, density: layers.density, ..Layers::NONE };
        let key = (self.run.generation, step, computed);
        if computed != Layers::NONE && !self.overlays.field.holds(&key) {
            if let Some(model) = &self.run.model_now {
                let arrows = if layers.field { field_arrows(model, &self.run.plan, key.1, &self.view.raster, FIELD_GRID) } else { Vec::new() };
                let density = if layers.density { density_grid(model, &self.run.plan, key.1, &self.run.particles, &self.view.raster, DENSITY_GRID) } else { Vec::new() };
                self.overlays.field.set(key, (arrows, density));
            }
        }
        // The score layers likewise, on the GPU during a WebGPU run (drawn a
        // step or two late while the kernel runs), else on the CPU.
        let score_layers = Layers { curl: layers.curl, angle: layers.angle, magnitude: layers.magnitude, divergence: layers.divergence, ..Layers::NONE };
        if score_layers != Layers::NONE {
            self.update_score_grids(step, score_layers);
        }
        // Only what was computed for these layers (with all of them off, the
        // caches still hold the last ones: they must not be drawn).
        fn grid(v: &[f32]) -> Option<(&[f32], usize)> {
            (!v.is_empty()).then_some((v, SCORE_GRID))
        }
        let (arrows, density): (&[([f32; 2], [f32; 2])], Option<(&[f32], usize)>) = match self.overlays.field.get(&key) {
            Some((a, d)) => (a, (!d.is_empty()).then_some((d.as_slice(), DENSITY_GRID))),
            None => (&[], None),
        };
        let mut tints = Tints { density, ..Tints::default() };
        let mut score_step = None;
        if let Some(c) = self.overlays.score.get(&(self.run.generation, score_layers)).filter(|_| score_layers != Layers::NONE) {
            (tints.curl, tints.angle, tints.magnitude, tints.divergence) = (grid(&c.grids.curl), grid(&c.grids.angle), grid(&c.grids.magnitude), grid(&c.grids.divergence));
            score_step = Some(c.step);
        }
        let valued: &[([f32; 2], f32)] = match self.overlays.likelihood.get(&self.run.generation) {
            Some(LikelihoodLayer::Ready { points, .. }) if layers.likelihood && !scrubbed => points,
            _ => &[],
        };
        if gpu_view {
            let (Engine::Gpu(sampler), Some(view), Some(gpu)) = (&self.run.engine, self.view.gpu.as_mut(), self.backends.gpu.as_ref()) else { return };
            let background_for = (self.view.data_version, layers.data, tints.any().then_some((key.0, key.1, Layers { curl: layers.curl, angle: layers.angle, magnitude: layers.magnitude, divergence: layers.divergence, ..computed }, score_step)));
            if view.background_for != Some(background_for) {
                view.renderer.set_background(&gpu.queue, self.view.raster.compose_background(layers, tints));
                view.background_for = Some(background_for);
            }
            if view.labels_for != Some(self.view.data_version) {
                view.renderer.set_labels(&gpu.device, &gpu.queue, self.view.label_grid.as_ref());
                view.labels_for = Some(self.view.data_version);
            }
            let overlay = Overlay { labels: None, trails: &self.overlays.trails.paths, arrows, tints: Tints::default(), valued, curves: &[] };
            view.renderer.set_strokes(&gpu.queue, self.view.raster.compose_overlay(layers, &overlay));
            let texture = match view.surface.get_current_texture() {
                wgpu::CurrentSurfaceTexture::Success(t) | wgpu::CurrentSurfaceTexture::Suboptimal(t) => t,
                other => {
                    self.run.error = Some(format!("the WebGPU canvas gave no texture to draw on ({other:?})"));
                    return;
                }
            };
            let target = texture.texture.create_view(&Default::default());
            let points = if scrubbed { Points::Cpu(&self.run.particles) } else { Points::Gpu(sampler.particles(), sampler.len()) };
            let mut enc = gpu.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("draw") });
            view.renderer.encode(&gpu.device, &gpu.queue, &mut enc, &target, points, layers.particles);
            gpu.queue.submit(Some(enc.finish()));
            gpu.queue.present(texture);
            self.view.frames_drawn += 1;
            return;
        }
        let (w, h) = (self.view.raster.width as u32, self.view.raster.height as u32);
        let labels: Option<Vec<u8>> = match (&self.view.label_grid, layers.particles) {
            (Some(grid), true) => Some(self.run.particles.chunks_exact(2).map(|p| grid.label([p[0], p[1]])).collect()),
            _ => None,
        };
        let overlay = Overlay { labels: labels.as_deref(), trails: &self.overlays.trails.paths, arrows, tints, valued, curves: &[] };
        let img = self.view.raster.draw_layers(&self.run.particles, layers, &overlay);
        match ImageData::new_with_u8_clamped_array_and_sh(Clamped(img), w, h) {
            Ok(data) => {
                let _ = self.view.ctx2d.put_image_data(&data, 0.0, 0.0);
                if !self.run.particles.is_empty() && layers.particles {
                    self.view.frames_drawn += 1;
                }
            }
            Err(e) => self.run.error = Some(format!("drawing failed: {e:?}")),
        }
    }

    /// After new particles land: stop with a clear message on NaN/Inf, and
    /// count the particles that escaped far from the data.

    /// Brings the score layers' grids to `step`: at once on the CPU, or by
    /// the Jacobian kernel (engine::jacobian) during a WebGPU run of a network,
    /// one request at a time, redrawing when it lands.
    pub(crate) fn update_score_grids(&mut self, step: usize, want: Layers) {
        let generation = self.run.generation;
        if self.overlays.score.get(&(generation, want)).is_some_and(|c| c.step == step) {
            return;
        }
        let needs_truth = want.angle || want.magnitude || want.divergence;
        let truth = move |d: &Data| if needs_truth { d.exact_mixture() } else { crate::science::mixture::Mixture { components: Vec::new() } };
        let Some(model) = &self.run.model_now else { return };
        let read = match (&self.run.engine, model, &self.backends.gpu) {
            (Engine::Gpu(_), ScoreModel::Mlp { .. } | ScoreModel::Energy(_), Some(gpu)) if !self.overlays.score_gpu_failed => {
                if self.overlays.score_pending {
                    return;
                }
                let Some(req) = score_grid_request(&self.run.plan, step, &self.view.raster, SCORE_GRID, want) else { return };
                let level = model.level(req.t, req.alpha, req.sigma);
                jacobians_gpu(gpu, model, &level.time_bias, req.c_in, &req.points)
            }
            _ => {
                let grids = score_grids(model, &truth(&self.link.config.dataset), &self.run.plan, step, &self.view.raster, SCORE_GRID, want);
                self.overlays.score.set((generation, want), ScoreEntry { step, grids, backend: "cpu" });
                return;
            }
        };
        self.overlays.score_pending = true;
        let me = self.me.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let result = read.await;
            let Some(state) = me.upgrade() else { return };
            let mut st = state.borrow_mut();
            st.overlays.score_pending = false;
            match result {
                Ok(jacobians) if st.run.generation == generation => {
                    let grids = score_grids_from(&jacobians, &truth(&st.link.config.dataset), &st.run.plan, step, &st.view.raster, SCORE_GRID, want);
                    st.overlays.score.set((generation, want), ScoreEntry { step, grids, backend: "webgpu" });
                }
                // A restart came in between: the next draw asks again.
                Ok(_) => {}
                Err(e) => {
                    // The layers go on from the CPU; the run is not affected.
                    web_sys::console::warn_1(&format!("the score layers' Jacobian kernel failed on WebGPU ({e}); computing them on the CPU").into());
                    st.overlays.score_gpu_failed = true;
                }
            }
            st.draw();
        });
    }

    /// Starts measuring the likelihood layer's particles once the run has
    /// ended (once per run): PF-ODE log p on the run's backend, then a redraw.
    pub(crate) fn start_likelihood_layer(&mut self) {
        let run = &self.run;
        let final_particles = run.engine.done() && run.particles_at >= run.engine.total();
        if !final_particles || run.engine.total() == 0 || self.overlays.likelihood.holds(&run.generation) {
            return;
        }
        let points: Vec<[f32; 2]> =
            run.particles.chunks_exact(2).map(|p| [p[0], p[1]]).filter(|p| p[0].is_finite() && p[1].is_finite()).take(LIKELIHOOD_LAYER_POINTS).collect();
        if points.is_empty() {
            return;
        }
        let generation = run.generation;
        let job = self.likelihood_job(LIKELIHOOD_LAYER_STEPS as u32);
        self.overlays.likelihood.set(generation, LikelihoodLayer::Computing);
        let me = self.me.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let result = match job {
                Ok((model, plan, gpu, _)) => likelihood::log_likelihood(model, plan, points.clone(), gpu).await.map_err(|e| e.as_string().unwrap_or_else(|| format!("{e:?}"))),
                Err(e) => Err(e.as_string().unwrap_or_else(|| "no model".into())),
            };
            let Some(state) = me.upgrade() else { return };
            let mut st = state.borrow_mut();
            if st.run.generation != generation {
                return;
            }
            let layer = match result {
                Ok(log_p) => {
                    let (lo, hi) = likelihood::percentile_range(&log_p, 0.05, 0.95);
                    let points = points.iter().zip(&log_p).map(|(p, v)| (*p, ((v - lo) / (hi - lo).max(1e-9)) as f32)).collect();
                    LikelihoodLayer::Ready { points, mean_log_p: log_p.iter().sum::<f64>() / log_p.len() as f64 }
                }
                Err(e) => LikelihoodLayer::Failed(format!("the likelihood layer failed: {e}")),
            };
            st.overlays.likelihood.set(generation, layer);
            st.draw();
        });
    }
}
