//! What every animated lab page shares (in the spirit of wgpu's example
//! framework: one runner, each lab a type implementing [`Animation`]): the
//! WebGPU probe, the link's config and its ignored keys, the frame loop
//! (`speed` steps a frame, one GPU batch in flight at a time, dropped when
//! a restart came in between: the generation), play / pause / step /
//! restart, `setConfig` all-or-nothing, the fragment and the status. A
//! lab's `#[wasm_bindgen]` class is [`lab_page!`]'s forwarding of these
//! (wasm32 only).

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};

use serde::Serialize;
use wasm_bindgen::prelude::*;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

use crate::engine::gpu::{GpuContext, GpuError};
use crate::web::js::{context_2d, put_rgba, to_js};
use crate::web::labs::js::set_config;
use crate::web::labs::LabConfig;
use crate::web::link::Ignored;

/// A GPU batch's result: what to apply to the animation when it lands.
pub type Landing<A> = Pin<Box<dyn Future<Output = Result<Box<dyn FnOnce(&mut A)>, GpuError>>>>;

/// One lab's simulation, as the host runs it.
pub trait Animation: Sized + 'static {
    type Config: LabConfig + Serialize;
    /// What is simulated, in messages ("chains", "fields").
    const WHAT: &'static str;

    /// A fresh run of `cfg` for a canvas of `size` pixels (with the GPU's buffers, if any).
    fn new(cfg: &Self::Config, gpu: Option<&Rc<GpuContext>>, size: (u32, u32)) -> Self;
    /// Steps per animation frame.
    fn speed(cfg: &Self::Config) -> usize;
    /// Whether going from `old` to `new` needs a fresh run (not for speed, embed or theme).
    fn restarts(old: &Self::Config, new: &Self::Config) -> bool;
    fn step(&self) -> usize;
    /// The run's length, for runs that end (`status().steps`, `done`).
    fn total(&self) -> Option<usize> {
        None
    }
    /// Up to `count` steps on the CPU, within a frame's time.
    fn advance_cpu(&mut self, count: usize);
    /// Up to `count` steps on the GPU; `None` where there is nothing to run there.
    fn advance_gpu(&mut self, gpu: &Rc<GpuContext>, count: usize) -> Option<Landing<Self>>;
    /// The canvas' image: RGBA bytes and their width and height.
    fn image(&mut self, cfg: &Self::Config) -> (Vec<u8>, u32, u32);
    /// The lab's figures now.
    fn figures(&self, cfg: &Self::Config) -> JsValue;
}

/// A lab page: the animation and everything around it.
pub struct Host<A: Animation> {
    cfg: A::Config,
    ignored: Vec<Ignored>,
    anim: A,
    gpu: Option<Rc<GpuContext>>,
    /// A GPU batch is in flight (its result lands on this generation).
    pending: bool,
    generation: u64,
    running: bool,
    error: Option<String>,
    ctx2d: CanvasRenderingContext2d,
    size: (u32, u32),
    me: Weak<RefCell<Host<A>>>,
}

impl<A: Animation> Host<A> {
    /// The lab on a canvas from a URL fragment; probes WebGPU once.
    pub async fn create(canvas: HtmlCanvasElement, fragment: &str) -> Result<Rc<RefCell<Self>>, JsError> {
        crate::web::input::install_panic_hook();
        let ctx2d = context_2d(&canvas)?;
        let (cfg, ignored) = A::Config::from_fragment(fragment);
        let gpu = crate::web::js::probe_gpu().await.ok().map(Rc::new);
        let size = (canvas.width(), canvas.height());
        let anim = A::new(&cfg, gpu.as_ref(), size);
        let host = Rc::new_cyclic(|me| RefCell::new(Host { cfg, ignored, anim, gpu, pending: false, generation: 0, running: true, error: None, ctx2d, size, me: me.clone() }));
        host.borrow_mut().draw();
        Ok(host)
    }

    fn fresh_run(&mut self) {
        self.anim = A::new(&self.cfg, self.gpu.as_ref(), self.size);
        self.generation += 1;
        self.pending = false;
        self.error = None;
    }

    fn done(&self) -> bool {
        self.anim.total().is_some_and(|t| self.anim.step() >= t)
    }

    /// Advances `count` steps: at once on the CPU, or a GPU batch (one at a
    /// time) that redraws when it lands.
    fn advance(&mut self, count: usize) {
        if self.done() {
            return;
        }
        let Some(gpu) = self.gpu.clone() else {
            self.anim.advance_cpu(count);
            self.draw();
            return;
        };
        if self.pending {
            return;
        }
        let Some(landing) = self.anim.advance_gpu(&gpu, count) else {
            self.anim.advance_cpu(count);
            self.draw();
            return;
        };
        self.pending = true;
        let (me, generation) = (self.me.clone(), self.generation);
        wasm_bindgen_futures::spawn_local(async move {
            let result = landing.await;
            let Some(host) = me.upgrade() else { return };
            let mut st = host.borrow_mut();
            if st.generation != generation {
                return;
            }
            st.pending = false;
            match result {
                Ok(apply) => apply(&mut st.anim),
                Err(e) => {
                    st.error = Some(format!("the {} failed on WebGPU: {e}", A::WHAT));
                    st.running = false;
                }
            }
            st.draw();
        });
    }

    fn draw(&mut self) {
        let (img, w, h) = self.anim.image(&self.cfg);
        if let Err(e) = put_rgba(&self.ctx2d, &img, w, h) {
            self.error = Some(e);
        }
    }

    /// One animation frame: `speed` steps while running.
    pub fn tick(&mut self) {
        if self.running {
            self.advance(A::speed(&self.cfg));
        }
    }

    /// Advances one step and pauses.
    pub fn step(&mut self) {
        self.running = false;
        self.advance(1);
    }

    pub fn play(&mut self) {
        self.running = true;
    }

    pub fn pause(&mut self) {
        self.running = false;
    }

    /// A fresh run from the seed, playing.
    pub fn restart(&mut self) {
        self.fresh_run();
        self.running = true;
        self.draw();
    }

    pub fn figures(&self) -> JsValue {
        self.anim.figures(&self.cfg)
    }

    pub fn config(&self) -> JsValue {
        to_js(&self.cfg)
    }

    /// Sets keys all-or-nothing (a refused value changes nothing and says
    /// why); a fresh run unless only the speed, embed or theme changed.
    pub fn set_config(&mut self, partial: JsValue) -> Result<JsValue, JsError> {
        let mut next = self.cfg.clone();
        set_config(&mut next, partial)?;
        let restart = A::restarts(&self.cfg, &next);
        self.cfg = next;
        if restart {
            self.fresh_run();
            self.draw();
        }
        Ok(to_js(&self.cfg))
    }

    pub fn fragment(&self) -> String {
        self.cfg.to_fragment()
    }

    /// `{ backend, running, step, steps?, done?, error, ignored }` (`steps`
    /// and `done` for runs that end).
    pub fn status(&self) -> JsValue {
        #[derive(Serialize)]
        struct Status<'a> {
            backend: &'static str,
            running: bool,
            step: usize,
            #[serde(skip_serializing_if = "Option::is_none")]
            steps: Option<usize>,
            #[serde(skip_serializing_if = "Option::is_none")]
            done: Option<bool>,
            error: Option<&'a str>,
            ignored: Vec<String>,
        }
        let steps = self.anim.total();
        to_js(&Status {
            backend: if self.gpu.is_some() { "webgpu" } else { "cpu" },
            running: self.running,
            step: self.anim.step(),
            steps,
            done: steps.map(|_| self.done() && !self.pending),
            error: self.error.as_deref(),
            ignored: self.ignored.iter().map(|i| i.to_string()).collect(),
        })
    }
}

/// A lab's `#[wasm_bindgen]` class over [`Host`]: `create`, `tick`, `step`,
/// `play`, `pause`, `restart`, `figures`, `config`, `setConfig`,
/// `fragment`, `status`.
macro_rules! lab_page {
    ($(#[$m:meta])* $name:ident, $anim:ty) => {
        $(#[$m])*
        #[wasm_bindgen::prelude::wasm_bindgen]
        pub struct $name {
            host: std::rc::Rc<std::cell::RefCell<$crate::web::labs::host::Host<$anim>>>,
        }

        #[wasm_bindgen::prelude::wasm_bindgen]
        impl $name {
            /// Builds the lab on a canvas from a URL fragment; probes WebGPU once.
            pub async fn create(canvas: web_sys::HtmlCanvasElement, fragment: String) -> Result<$name, wasm_bindgen::JsError> {
                Ok($name { host: $crate::web::labs::host::Host::create(canvas, &fragment).await? })
            }

            /// One animation frame: `speed` steps while running.
            pub fn tick(&self) {
                self.host.borrow_mut().tick();
            }

            /// Advances one step and pauses.
            pub fn step(&self) {
                self.host.borrow_mut().step();
            }

            pub fn play(&self) {
                self.host.borrow_mut().play();
            }

            pub fn pause(&self) {
                self.host.borrow_mut().pause();
            }

            /// A fresh run from the seed.
            pub fn restart(&self) {
                self.host.borrow_mut().restart();
            }

            /// The lab's figures now.
            pub fn figures(&self) -> wasm_bindgen::JsValue {
                self.host.borrow().figures()
            }

            pub fn config(&self) -> wasm_bindgen::JsValue {
                self.host.borrow().config()
            }

            /// Sets keys all-or-nothing (a refused value changes nothing and says why).
            #[wasm_bindgen(js_name = setConfig)]
            pub fn set_config(&self, partial: wasm_bindgen::JsValue) -> Result<wasm_bindgen::JsValue, wasm_bindgen::JsError> {
                self.host.borrow_mut().set_config(partial)
            }

            pub fn fragment(&self) -> String {
                self.host.borrow().fragment()
            }

            pub fn status(&self) -> wasm_bindgen::JsValue {
                self.host.borrow().status()
            }
        }
    };
}
pub(crate) use lab_page;
