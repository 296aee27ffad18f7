//! The GRF lab's page: the fields' Langevin steps on WebGPU where the
//! browser has it (engine::grf's kernels, the fields kept on the GPU), else
//! the CPU twin in time slices; the first 16 fields drawn on a 2D canvas.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use wasm_bindgen::prelude::*;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

use super::{field_image, figures, pixel_sd, GrfConfig};
use crate::engine::gpu::GpuContext;
use crate::engine::grf::{GrfGpu, GrfRun};
use crate::web::config::Ignored;
use crate::web::labs::js::{context_2d, put_rgba, set_config, to_js};
use crate::web::labs::LabConfig;

/// Most milliseconds of CPU steps in one animation frame.
const CPU_FRAME_MS: f64 = 20.0;

struct LabState {
    cfg: GrfConfig,
    ignored: Vec<Ignored>,
    run: GrfRun,
    gpu: Option<Rc<GpuContext>>,
    /// The run's buffers on the GPU (made with the run).
    on_gpu: Option<GrfGpu>,
    pending: bool,
    generation: u64,
    running: bool,
    error: Option<String>,
    ctx2d: CanvasRenderingContext2d,
    width: usize,
    sd: f64,
    me: Weak<RefCell<LabState>>,
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

impl LabState {
    fn restart(&mut self) {
        self.run = GrfRun::new(self.cfg.n, self.cfg.fields, self.cfg.alpha, self.cfg.seed, self.cfg.schedule());
        self.on_gpu = self.gpu.as_ref().map(|g| GrfGpu::new(g, &self.run));
        self.sd = pixel_sd(self.cfg.n, self.cfg.alpha);
        self.generation += 1;
        self.pending = false;
        self.error = None;
    }

    /// Up to `count` steps: a GPU batch (one at a time) that redraws when
    /// it lands, or CPU steps until the frame's budget is spent.
    fn advance(&mut self, count: usize) {
        if self.run.done() {
            return;
        }
        let (Some(gpu), Some(on_gpu)) = (self.gpu.clone(), self.on_gpu.as_ref()) else {
            let start = now_ms();
            for _ in 0..count {
                if self.run.run_steps(1) == 0 || now_ms() - start > CPU_FRAME_MS {
                    break;
                }
            }
            self.draw();
            return;
        };
        if self.pending {
            return;
        }
        self.pending = true;
        let (ran, read) = on_gpu.run_steps(&gpu, &self.run, count);
        let (me, generation) = (self.me.clone(), self.generation);
        wasm_bindgen_futures::spawn_local(async move {
            let result = read.await;
            let Some(state) = me.upgrade() else { return };
            let mut st = state.borrow_mut();
            if st.generation != generation {
                return;
            }
            st.pending = false;
            match result {
                Ok(x) => {
                    st.run.x = x;
                    st.run.step += ran;
                }
                Err(e) => {
                    st.error = Some(format!("the fields failed on WebGPU: {e}"));
                    st.running = false;
                }
            }
            st.draw();
        });
    }

    fn draw(&mut self) {
        let w = self.width;
        let img = field_image(&self.run.x, self.cfg.n, self.sd, w);
        if let Err(e) = put_rgba(&self.ctx2d, &img, w as u32, w as u32) {
            self.error = Some(e);
        }
    }
}

/// The GRF lab as the page drives it (www/labs.js).
#[wasm_bindgen]
pub struct GrfLab {
    state: Rc<RefCell<LabState>>,
}

#[wasm_bindgen]
impl GrfLab {
    /// Builds the lab on a canvas from a URL fragment; probes WebGPU once.
    pub async fn create(canvas: HtmlCanvasElement, fragment: String) -> Result<GrfLab, JsError> {
        console_error_panic_hook::set_once();
        let ctx2d = context_2d(&canvas)?;
        let (cfg, ignored) = GrfConfig::from_fragment(&fragment);
        let gpu = GpuContext::new().await.ok().map(Rc::new);
        let run = GrfRun::new(cfg.n, cfg.fields, cfg.alpha, cfg.seed, cfg.schedule());
        let state = Rc::new_cyclic(|me| {
            RefCell::new(LabState {
                cfg,
                ignored,
                run,
                gpu,
                on_gpu: None,
                pending: false,
                generation: 0,
                running: true,
                error: None,
                ctx2d,
                width: canvas.width().min(canvas.height()) as usize,
                sd: 1.0,
                me: me.clone(),
            })
        });
        {
            let mut st = state.borrow_mut();
            st.restart();
            st.draw();
        }
        Ok(GrfLab { state })
    }

    /// One animation frame: `speed` steps while running.
    pub fn tick(&self) {
        let mut st = self.state.borrow_mut();
        if st.running {
            let speed = st.cfg.speed;
            st.advance(speed);
        }
    }

    /// Advances one step and pauses.
    pub fn step(&self) {
        let mut st = self.state.borrow_mut();
        st.running = false;
        st.advance(1);
    }

    pub fn play(&self) {
        self.state.borrow_mut().running = true;
    }

    pub fn pause(&self) {
        self.state.borrow_mut().running = false;
    }

    /// New fields from the seed's white noise.
    pub fn restart(&self) {
        let mut st = self.state.borrow_mut();
        st.restart();
        st.running = true;
        st.draw();
    }

    /// The spectrum now (src/web/labs/grf.rs, `GrfFigures`).
    pub fn figures(&self) -> JsValue {
        let st = self.state.borrow();
        to_js(&figures(&st.cfg, &st.run.schedule, &st.run.x, st.run.step))
    }

    pub fn config(&self) -> JsValue {
        to_js(&self.state.borrow().cfg)
    }

    /// Sets keys all-or-nothing (a refused value changes nothing and says
    /// why); restarts the run unless only the speed, embed or theme changed.
    #[wasm_bindgen(js_name = setConfig)]
    pub fn set_config(&self, partial: JsValue) -> Result<JsValue, JsError> {
        let mut st = self.state.borrow_mut();
        let mut next = st.cfg.clone();
        set_config(&mut next, partial)?;
        let restart = !next.same_run(&st.cfg);
        st.cfg = next;
        if restart {
            st.restart();
            st.draw();
        }
        Ok(to_js(&st.cfg))
    }

    pub fn fragment(&self) -> String {
        self.state.borrow().cfg.to_fragment()
    }

    /// `{ backend, running, step, steps, done, error, ignored }`.
    pub fn status(&self) -> JsValue {
        let st = self.state.borrow();
        #[derive(serde::Serialize)]
        struct Status<'a> {
            backend: &'static str,
            running: bool,
            step: usize,
            steps: usize,
            done: bool,
            error: Option<&'a str>,
            ignored: Vec<String>,
        }
        to_js(&Status {
            backend: if st.gpu.is_some() { "webgpu" } else { "cpu" },
            running: st.running,
            step: st.run.step,
            steps: st.run.schedule.steps.len(),
            done: st.run.done() && !st.pending,
            error: st.error.as_deref(),
            ignored: st.ignored.iter().map(|i| i.to_string()).collect(),
        })
    }
}
