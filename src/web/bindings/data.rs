//! `window.playground`'s own-data and training methods (issue 12): the data
//! editor on the stage canvas, CSV and `setData`, and the in-page trainer
//! with its status, preview and model files, forwarding to the session
//! (web::playground::custom).

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::science::datasets::{Dataset, PointSet, CUSTOM_CLASSES_MAX};
use crate::web::bindings::app::App;
use crate::engine::train::MODEL_BYTES_MAX;
use crate::web::input;
use crate::web::js::to_js;
use crate::web::playground::custom::train_tick;
use crate::web::playground::data::{self, Added, Data};

/// The most points one `setData` call reads (the set keeps
/// [`crate::science::datasets::CUSTOM_POINTS_MAX`]; those past it are
/// counted, up to this).
pub const SET_DATA_POINTS_READ_MAX: usize = 100_000;
/// The longest CSV `importCsv` reads, in UTF-16 units (10 000 points at
/// 40 characters a line fit 40 times over).
pub const CSV_CHARS_READ_MAX: usize = 16 << 20;

#[wasm_bindgen]
impl App {
    /// `setData({ x, label })`: the user's points (2N interleaved
    /// coordinates, optional labels 0–7) become `dataset=custom`; points
    /// outside the box are left out and counted. Resolves to the edit report.
    /// The argument is read without trusting it (web::input): at most
    /// [`SET_DATA_POINTS_READ_MAX`] points a call.
    #[wasm_bindgen(js_name = setData)]
    pub fn set_data(&self, data: JsValue) -> Result<JsValue, JsError> {
        let err = |e: String| JsError::new(&e);
        if !data.is_object() {
            return Err(err(format!("setData takes {{ x, label }}, not {}", input::kind_of(&data))));
        }
        let x = input::numbers(&input::get(&data, "x", "setData").map_err(err)?, "setData: x", 2 * SET_DATA_POINTS_READ_MAX).map_err(err)?;
        let label = input::get(&data, "label", "setData").map_err(err)?;
        let label = if label.is_null() || label.is_undefined() { None } else { Some(input::numbers(&label, "setData: label", SET_DATA_POINTS_READ_MAX).map_err(err)?) };
        if x.len() % 2 != 0 {
            return Err(JsError::new(&format!("setData: x has {} numbers; it takes 2N interleaved coordinates", x.len())));
        }
        let n = x.len() / 2;
        let labels: Vec<u32> = match label {
            None => vec![0; n],
            Some(l) if l.len() != n => return Err(JsError::new(&format!("setData: {} labels for {n} points", l.len()))),
            Some(l) => l
                .iter()
                .enumerate()
                .map(|(i, &v)| (v.fract() == 0.0 && (0.0..CUSTOM_CLASSES_MAX as f64).contains(&v)).then_some(v as u32).ok_or_else(|| JsError::new(&format!("setData: label {v} of point {i} is not a class 0–{}", CUSTOM_CLASSES_MAX - 1))))
                .collect::<Result<_, _>>()?,
        };
        let points: Vec<[f32; 2]> = x.chunks_exact(2).map(|p| [p[0] as f32, p[1] as f32]).collect();
        let (set, added) = data::canonical(&points, &labels);
        Ok(self.state.borrow_mut().put_points(set, &added))
    }

    /// One dab of the brush at canvas pixel `(u, v)` (the canvas' own
    /// pixels); `start` begins a stroke (one undo step). The run restarts
    /// at the stroke's end ([`App::edit_end`]), not at every dab.
    #[wasm_bindgen(js_name = editDab)]
    pub fn edit_dab(&self, u: f64, v: f64, start: bool) -> JsValue {
        let mut guard = self.state.borrow_mut();
        let st = &mut *guard;
        let at = st.view.raster.data_point(u as f32, v as f32);
        let current = st.link.config.points.clone();
        if start {
            st.editor.remember(&current);
        }
        let (set, added) = st.editor.dab(&current, at);
        st.show_points(set, &added);
        st.draw_data_layer();
        st.edit_report(&added)
    }

    /// A stroke ended: sample the edited data.
    #[wasm_bindgen(js_name = editEnd)]
    pub fn edit_end(&self) {
        self.state.borrow_mut().restart();
    }

    /// The brush (`{ erase, class, radius, density }`); `partial` sets some keys first.
    pub fn brush(&self, partial: JsValue) -> Result<JsValue, JsError> {
        // Read (web::input) before the state is borrowed.
        let keys: Vec<(String, f64)> = if partial.is_undefined() || partial.is_null() {
            Vec::new()
        } else {
            let entries = input::entries(&partial, "brush", 16).map_err(|e| JsError::new(&e))?;
            let mut keys = entries
                .into_iter()
                .map(|(k, v)| v.as_f64().map(|x| (k.clone(), x)).ok_or_else(|| JsError::new(&format!("brush: {k} must be a number, not {}", input::kind_of(&v)))))
                .collect::<Result<Vec<_>, _>>()?;
            keys.sort_by(|a, b| a.0.cmp(&b.0));
            keys
        };
        let mut st = self.state.borrow_mut();
        if !keys.is_empty() {
            st.editor.set_brush_keys(&keys).map_err(|e| JsError::new(&e))?;
        }
        Ok(to_js(&st.editor.brush))
    }

    #[wasm_bindgen(js_name = undoEdit)]
    pub fn undo_edit(&self) -> JsValue {
        let mut st = self.state.borrow_mut();
        if let Some(before) = st.editor.undo() {
            st.link.config.set_points((*before).clone());
            st.data_notice = None;
            st.restart();
        }
        st.edit_report(&Added::default())
    }

    #[wasm_bindgen(js_name = clearData)]
    pub fn clear_data(&self) -> JsValue {
        self.state.borrow_mut().put_points(PointSet::default(), &Added::default())
    }

    /// Starts the user's set from a built-in dataset's points.
    #[wasm_bindgen(js_name = loadPreset)]
    pub fn load_preset(&self, id: String) -> Result<JsValue, JsError> {
        let d = Dataset::from_id(&id).ok_or_else(|| JsError::new(&format!("unknown dataset {id}")))?;
        let set = crate::web::playground::editor::preset(d);
        let added = Added { kept: set.points.len(), ..Default::default() };
        Ok(self.state.borrow_mut().put_points(set, &added))
    }

    /// A CSV (`x,y[,label]` lines) replaces the user's points; a bad line
    /// is an error naming it and the points already there are kept.
    #[wasm_bindgen(js_name = importCsv)]
    pub fn import_csv(&self, text: JsValue) -> Result<JsValue, JsError> {
        let text = input::text(&text, "importCsv", CSV_CHARS_READ_MAX).map_err(|e| JsError::new(&e))?;
        let (set, added) = data::parse_csv(&text).map_err(|e| JsError::new(&format!("the CSV was not read, your points are kept: {e}")))?;
        Ok(self.state.borrow_mut().put_points(set, &added))
    }

    /// The user's points as CSV (`x,y,label`).
    #[wasm_bindgen(js_name = dataCsv)]
    pub fn data_csv(&self) -> String {
        data::to_csv(&self.state.borrow().link.config.points)
    }

    /// `{ points, classes, notice, canUndo, linkNotice }`: the user's set now.
    #[wasm_bindgen(js_name = dataStatus)]
    pub fn data_status(&self) -> JsValue {
        let st = self.state.borrow();
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct DataStatus<'a> {
            points: usize,
            classes: usize,
            shown: bool,
            notice: Option<&'a str>,
            can_undo: bool,
            /// Whether (and how) a link thins the set.
            link_notice: Option<String>,
            link_chars: usize,
        }
        let p = &st.link.config.points;
        let (value, link_notice) = data::encode_for_link(p);
        to_js(&DataStatus {
            points: p.points.len(),
            classes: if p.is_empty() { 0 } else { p.num_classes() },
            shown: matches!(st.link.config.dataset, Data::Custom(_)),
            notice: st.data_notice.as_deref(),
            can_undo: st.editor.can_undo(),
            link_notice,
            link_chars: value.len(),
        })
    }

    /// Starts training on the current data with the config's recipe (a
    /// fresh run; the previous model serves `model=trained` until it ends).
    #[wasm_bindgen(js_name = startTraining)]
    pub fn start_training(&self) -> Result<JsValue, JsError> {
        let mut st = self.state.borrow_mut();
        st.start_training().map_err(|e| JsError::new(&e))?;
        Ok(to_js(&st.trainer.status()))
    }

    /// One frame of training: CPU slices for up to `budget_ms`, or one GPU
    /// submit and its readback. Resolves to `trainStatus()`.
    #[wasm_bindgen(js_name = trainTick)]
    pub fn train_tick(&self, budget_ms: f64) -> js_sys::Promise {
        crate::web::js::promise(train_tick(self.state.clone(), budget_ms))
    }

    /// `trainStatus()`: `{ phase, step, steps, loss, seconds, etaSeconds,
    /// backend, batch, losses, distances, nullDistance, error, trained }`.
    #[wasm_bindgen(js_name = trainStatus)]
    pub fn train_status(&self) -> JsValue {
        to_js(&self.state.borrow().trainer.status())
    }

    #[wasm_bindgen(js_name = trainPause)]
    pub fn train_pause(&self, on: bool) {
        self.state.borrow_mut().trainer.pause(on);
    }

    /// Ends the run now; its weights so far become the model.
    #[wasm_bindgen(js_name = trainStop)]
    pub fn train_stop(&self) {
        let mut st = self.state.borrow_mut();
        if st.trainer.stop() {
            st.on_trained();
        }
    }

    /// The trained model as safetensors bytes (the shipped format).
    #[wasm_bindgen(js_name = exportModel)]
    pub fn export_model(&self) -> Result<Vec<u8>, JsError> {
        self.state.borrow().trainer.export().map_err(|e| JsError::new(&e))
    }

    /// Loads a model file (checked: size, format, names, shapes, f32,
    /// finite); it becomes `model=trained`. A bad file changes nothing.
    #[wasm_bindgen(js_name = importModel)]
    pub fn import_model(&self, bytes: JsValue) -> Result<JsValue, JsError> {
        // One byte past the limit is read, so the file's own check names the size.
        let bytes = input::bytes(&bytes, "importModel", MODEL_BYTES_MAX + 1).map_err(|e| JsError::new(&e))?;
        let mut st = self.state.borrow_mut();
        let meta = st.trainer.import(&bytes).map_err(|e| JsError::new(&e))?.metadata.clone();
        if st.link.config.model == crate::web::config::ModelKind::Trained {
            st.restart();
        }
        Ok(to_js(&meta))
    }

    /// Draws the latest preview (samples from the current weights, in the
    /// accent colour, over the training points in grey) on `canvas`.
    #[wasm_bindgen(js_name = drawTrainPreview)]
    pub fn draw_train_preview(&self, canvas: web_sys::HtmlCanvasElement) -> Result<(), JsError> {
        self.state.borrow().draw_train_preview(&canvas)
    }
}
