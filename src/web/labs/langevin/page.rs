//! The Langevin lab's page: chains on WebGPU where the browser has it (the
//! kernel of engine::langevin), else on the CPU, drawn on a 2D canvas with
//! the covariance ellipses: the target's (white), the chains' (blue) and the
//! analysis' prediction (magenta).

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use wasm_bindgen::prelude::*;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

use super::{ellipse, figures, LangevinConfig};
use crate::engine::gpu::GpuContext;
use crate::engine::langevin::LangevinChain;
use crate::web::config::Ignored;
use crate::web::labs::js::{context_2d, put_rgba, set_config, to_js};
use crate::web::labs::LabConfig;
use crate::web::render::{Layers, Overlay, Raster};

const TARGET: [u8; 3] = [240, 240, 245];
const EMPIRICAL: [u8; 3] = [90, 200, 250];
const PREDICTED: [u8; 3] = [220, 60, 200];

struct LabState {
    cfg: LangevinConfig,
    ignored: Vec<Ignored>,
    chain: LangevinChain,
    gpu: Option<Rc<GpuContext>>,
    /// A GPU batch of steps is in flight (its result lands on this generation).
    pending: bool,
    generation: u64,
    running: bool,
    error: Option<String>,
    raster: Raster,
    ctx2d: CanvasRenderingContext2d,
    me: Weak<RefCell<LabState>>,
}

impl LabState {
    fn restart(&mut self) {
        let (_, up) = self.cfg.update();
        self.chain = LangevinChain::new(self.cfg.target(), up.gain, up.noise, self.cfg.seed, self.cfg.n);
        self.generation += 1;
        self.pending = false;
        self.error = None;
    }

    /// Advances the chains `count` steps: at once on the CPU, or a GPU batch
    /// (one at a time) that redraws when it lands.
    fn advance(&mut self, count: u32) {
        let Some(gpu) = self.gpu.clone() else {
            self.chain.run_steps(count);
            self.draw();
            return;
        };
        if self.pending {
            return;
        }
        self.pending = true;
        let read = self.chain.run_steps_gpu(&gpu, count);
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
                    st.chain.x = x;
                    st.chain.step += count;
                }
                Err(e) => {
                    st.error = Some(format!("the chains failed on WebGPU: {e}"));
                    st.running = false;
                }
            }
            st.draw();
        });
    }

    fn draw(&mut self) {
        let f = figures(&self.cfg, &self.chain.x, self.chain.step);
        let mut curves = vec![(ellipse(&f.target_covariance, 96), TARGET), (ellipse(&f.covariance, 96), EMPIRICAL)];
        if let Some(s) = f.stationary_covariance {
            curves.push((ellipse(&s, 96), PREDICTED));
        }
        let flat: Vec<f32> = self.chain.x.iter().flatten().copied().collect();
        let overlay = Overlay { curves: &curves, ..Default::default() };
        let (w, h) = (self.raster.width as u32, self.raster.height as u32);
        let img = self.raster.draw_layers(&flat, Layers { particles: true, ..Layers::NONE }, &overlay);
        if let Err(e) = put_rgba(&self.ctx2d, img, w, h) {
            self.error = Some(e);
        }
    }
}

/// The Langevin lab as the page drives it (www/labs.js).
#[wasm_bindgen]
pub struct LangevinLab {
    state: Rc<RefCell<LabState>>,
}

#[wasm_bindgen]
impl LangevinLab {
    /// Builds the lab on a canvas from a URL fragment; probes WebGPU once.
    pub async fn create(canvas: HtmlCanvasElement, fragment: String) -> Result<LangevinLab, JsError> {
        console_error_panic_hook::set_once();
        let ctx2d = context_2d(&canvas)?;
        let (cfg, ignored) = LangevinConfig::from_fragment(&fragment);
        let gpu = GpuContext::new().await.ok().map(Rc::new);
        let (_, up) = cfg.update();
        let chain = LangevinChain::new(cfg.target(), up.gain, up.noise, cfg.seed, cfg.n);
        let state = Rc::new_cyclic(|me| {
            RefCell::new(LabState {
                cfg,
                ignored,
                chain,
                gpu,
                pending: false,
                generation: 0,
                running: true,
                error: None,
                raster: Raster::new(canvas.width() as usize, canvas.height() as usize),
                ctx2d,
                me: me.clone(),
            })
        });
        state.borrow_mut().draw();
        Ok(LangevinLab { state })
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

    /// New chains from the seed's starting points.
    pub fn restart(&self) {
        let mut st = self.state.borrow_mut();
        st.restart();
        st.running = true;
        st.draw();
    }

    /// The figures now (src/web/labs/langevin.rs, `LangevinFigures`).
    pub fn figures(&self) -> JsValue {
        let st = self.state.borrow();
        to_js(&figures(&st.cfg, &st.chain.x, st.chain.step))
    }

    pub fn config(&self) -> JsValue {
        to_js(&self.state.borrow().cfg)
    }

    /// Sets keys all-or-nothing (a refused value changes nothing and says
    /// why); restarts the chains unless only the speed, embed or theme changed.
    #[wasm_bindgen(js_name = setConfig)]
    pub fn set_config(&self, partial: JsValue) -> Result<JsValue, JsError> {
        let mut st = self.state.borrow_mut();
        let mut next = st.cfg.clone();
        set_config(&mut next, partial)?;
        let quiet = |c: &LangevinConfig| LangevinConfig { speed: 0, view: Default::default(), ..c.clone() };
        let restart = quiet(&next) != quiet(&st.cfg);
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

    /// `{ backend, running, step, error, ignored }`.
    pub fn status(&self) -> JsValue {
        let st = self.state.borrow();
        #[derive(serde::Serialize)]
        struct Status<'a> {
            backend: &'static str,
            running: bool,
            step: u32,
            error: Option<&'a str>,
            ignored: Vec<String>,
        }
        to_js(&Status {
            backend: if st.gpu.is_some() { "webgpu" } else { "cpu" },
            running: st.running,
            step: st.chain.step,
            error: st.error.as_deref(),
            ignored: st.ignored.iter().map(|i| i.to_string()).collect(),
        })
    }
}
