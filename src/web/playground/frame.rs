//! The run advanced frame by frame on the page: a frame's steps on the CPU
//! within its budget, or a WebGPU dispatch and its readback; and reading
//! all particles back on request (wasm32 only).

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsValue;

use crate::engine::health::Health;
use crate::web::playground::run::{Engine, GPU_SLOW_FRAME_MS};
use crate::engine::gpu::{GpuError, Probe};
use crate::web::js::{now_ms, points_to_js};
use crate::web::playground::session::State;

/// A GPU frame's read: the particles it brings (all, or the probe's first
/// ones) and, from a probe, the GPU's health count of all of them.
type FrameRead = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(Vec<f32>, Option<Health>), GpuError>>>>;

/// Advances sampling by one animation frame and draws it; resolves to `status()`.
/// CPU: as many steps as fit in `budget_ms`. WebGPU: one dispatch of a
/// fixed share of the run, then one readback.
pub(crate) async fn tick(state: Rc<RefCell<State>>, budget_ms: f64) -> Result<JsValue, JsValue> {
    let tick_start = now_ms();
    let pending = {
        let mut guard = state.borrow_mut();
        let st = &mut *guard;
        if !st.run.running {
            return Ok(st.status());
        }
        let single = std::mem::take(&mut st.run.single_step);
        if single {
            st.run.running = false;
        }
        if st.run.engine.done() {
            st.run.running = false;
            return Ok(st.status());
        }
        match (&mut st.run.engine, &st.backends.gpu) {
            (Engine::Cpu(s), _) => {
                if single {
                    s.run_steps(1);
                } else {
                    let start = now_ms();
                    // Blocks of particles until the budget is spent: one
                    // frame stays short even when one step is not.
                    s.run_slice(|| now_ms() - start >= budget_ms);
                }
                st.run.particles.clear();
                st.run.particles.extend(s.particles.iter().flatten());
                st.run.particles_at = s.step_index();
                None
            }
            (Engine::Gpu(s), Some(gpu)) => {
                let per_frame = if single { 1 } else { st.run.gpu_steps_per_frame };
                s.run_steps(gpu, per_frame);
                // The last frame of a run (or of a single step) reads
                // every particle back; the others only a probe.
                let read: FrameRead = if s.done() || single {
                    let all = s.read_particles(gpu);
                    Box::pin(async move { all.await.map(|p| (p, None)) })
                } else {
                    let probe = s.probe(gpu);
                    Box::pin(async move { probe.await.map(|Probe { health, first }| (first, Some(health))) })
                };
                Some((read, st.run.generation, now_ms(), s.step_index()))
            }
            (Engine::Gpu(_), None) => unreachable!("a GPU engine always has its context"),
        }
    };
    let mut gpu_health = None;
    if let Some((readback, generation, sent, read_at)) = pending {
        let result = readback.await;
        let mut st = state.borrow_mut();
        if st.run.generation != generation {
            return Ok(st.status());
        }
        match result {
            Ok((p, health)) => {
                st.run.particles = p;
                st.run.particles_at = read_at;
                gpu_health = health;
                if now_ms() - sent > GPU_SLOW_FRAME_MS {
                    st.run.gpu_steps_per_frame = 1;
                }
            }
            Err(e) => {
                // Fall back to the CPU and say why; the user's settings stay.
                st.backends.gpu = None;
                st.backends.gpu_failure = Some(format!("WebGPU failed while sampling ({e})"));
                st.restart();
                return Ok(st.status());
            }
        }
    }
    let mut guard = state.borrow_mut();
    let st = &mut *guard;
    st.run.elapsed_ms += now_ms() - tick_start;
    st.overlays.trails.push(&st.run.particles);
    let step = st.run.engine.step();
    st.timeline.record(step, &st.run.particles);
    st.check_finite(gpu_health);
    if st.run.engine.done() {
        st.run.running = false;
    }
    st.draw();
    Ok(st.status())
}

/// `{ x, label: null }`: the run's particles now; on WebGPU mid-run this
/// reads them all back first (frames read only a probe).
pub(crate) async fn samples(state: Rc<RefCell<State>>) -> Result<JsValue, JsValue> {
    let read = {
        let mut st = state.borrow_mut();
        let st = &mut *st;
        match (&st.run.engine, &st.backends.gpu) {
            (Engine::Gpu(s), Some(gpu)) if !st.has_all_particles() => Some((s.read_particles(gpu), st.run.generation, s.step_index())),
            _ => None,
        }
    };
    if let Some((read, generation, step)) = read {
        let p = read.await.map_err(|e| JsValue::from_str(&e.to_string()))?;
        let mut st = state.borrow_mut();
        // Keep them unless a restart or a later frame came in between.
        if st.run.generation == generation && st.run.engine.step() == step {
            st.run.particles = p;
        } else {
            return Ok(points_to_js(&p, None));
        }
    }
    Ok(points_to_js(&state.borrow().run.particles, None))
}
