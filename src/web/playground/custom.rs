//! The user's own points and the in-page trainer on the session: an edit,
//! an import or a link's points become `dataset=custom` (with what was left
//! out, for the page), and a training run advances frame by frame (wasm32 only).

use std::cell::RefCell;
use std::rc::Rc;

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::science::datasets::PointSet;
use crate::web::js::{context_2d, now_ms, put_rgba, to_js};
use crate::web::playground::data::Added;
use crate::web::playground::session::State;
use crate::web::render::PALETTE;

/// What an edit left: the set's size and classes, and what was left out.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EditReport {
    points: usize,
    classes: usize,
    kept: usize,
    outside: usize,
    over_limit: usize,
    notice: Option<String>,
    can_undo: bool,
}

impl State {
    /// Replaces the user's points (remembering the old ones for undo),
    /// shows them (`dataset=custom`) and starts a run on them.
    pub(crate) fn put_points(&mut self, set: PointSet, added: &Added) -> JsValue {
        let before = self.link.config.points.clone();
        self.editor.remember(&before);
        self.show_points(set, added);
        self.restart();
        self.edit_report(added)
    }

    /// The user's points become `set`, shown (`dataset=custom`), with the
    /// notice of what `added` left out; the run is left as it is.
    pub(crate) fn show_points(&mut self, set: PointSet, added: &Added) {
        self.link.config.set_points(set);
        if self.link.config.dataset.builtin().is_some() {
            self.link.config.set("dataset", "custom").expect("custom is a dataset");
        }
        self.data_notice = added.notice();
    }

    pub(crate) fn edit_report(&self, added: &Added) -> JsValue {
        let p = &self.link.config.points;
        to_js(&EditReport {
            points: p.points.len(),
            classes: if p.is_empty() { 0 } else { p.num_classes() },
            kept: added.kept,
            outside: added.outside,
            over_limit: added.over_limit,
            notice: added.notice(),
            can_undo: self.editor.can_undo(),
        })
    }

    /// Draws the trainer's latest preview (samples from the current weights,
    /// in the accent colour, over the training points in grey) on `canvas`.
    pub(crate) fn draw_train_preview(&self, canvas: &web_sys::HtmlCanvasElement) -> Result<(), JsError> {
        let (w, h) = (canvas.width() as usize, canvas.height() as usize);
        let mut rgba = vec![0u8; w * h * 4];
        let half = self.view.raster.half_width();
        let mut dot = |p: &[f32; 2], c: [u8; 3], r: i32| {
            let u = ((p[0] + half) / (2.0 * half) * w as f32) as i32;
            let v = ((half - p[1]) / (2.0 * half) * h as f32) as i32;
            for dy in 0..r {
                for dx in 0..r {
                    let (x, y) = (u + dx, v + dy);
                    if x >= 0 && y >= 0 && (x as usize) < w && (y as usize) < h {
                        let i = 4 * (y as usize * w + x as usize);
                        rgba[i..i + 4].copy_from_slice(&[c[0], c[1], c[2], 255]);
                    }
                }
            }
        };
        if let Some(j) = self.trainer.job.as_ref() {
            for p in &j.set.points {
                dot(p, [110, 120, 140], 1);
            }
            for p in &j.preview {
                dot(p, PALETTE[0], 2);
            }
        }
        put_rgba(&context_2d(canvas)?, &rgba, w as u32, h as u32).map_err(|e| JsError::new(&e))
    }
}

/// One frame of training: CPU slices for up to `budget_ms`, or one GPU
/// submit and its readback; resolves to `trainStatus()`.
pub(crate) async fn train_tick(state: Rc<RefCell<State>>, budget_ms: f64) -> Result<JsValue, JsValue> {
    let submit = {
        let mut guard = state.borrow_mut();
        let st = &mut *guard;
        if !st.trainer.running() {
            return Ok(to_js(&st.trainer.status()));
        }
        let gpu = st.backends.gpu.clone();
        let ended = st.trainer.cpu_slice(budget_ms, &now_ms) || st.trainer.gpu_between(budget_ms, &now_ms);
        if ended {
            st.on_trained();
            return Ok(to_js(&st.trainer.status()));
        }
        gpu.and_then(|g| st.trainer.gpu_submit(&g))
    };
    if let Some((generation, count, read)) = submit {
        let sent = now_ms();
        let result = read.await;
        let mut guard = state.borrow_mut();
        let st = &mut *guard;
        // A failed submit ends the run with the reason (trainStatus().error, the
        // panel); the sampler finds out about a lost device on its own readback.
        if st.trainer.gpu_landed(generation, count, result, now_ms() - sent) || st.trainer.gpu_between(budget_ms, &now_ms) {
            st.on_trained();
        }
    }
    let st = state.borrow();
    Ok(to_js(&st.trainer.status()))
}
