//! The GRF lab's page (web::labs::host runs it): the fields' Langevin steps
//! on WebGPU where the browser has it (engine::grf's kernels, the fields
//! kept on the GPU), else the CPU twin in time slices; the first 16 fields
//! drawn on a 2D canvas.

use std::rc::Rc;

use wasm_bindgen::prelude::*;

use super::{field_image, figures, pixel_sd, GrfConfig};
use crate::engine::gpu::GpuContext;
use crate::engine::grf::{GrfGpu, GrfRun};
use crate::web::js::{now_ms, to_js};
use crate::web::labs::host::{lab_page, Animation, Landing};

/// Most milliseconds of CPU steps in one animation frame.
const CPU_FRAME_MS: f64 = 20.0;

pub struct Fields {
    run: GrfRun,
    /// The run's buffers on the GPU (made with the run).
    on_gpu: Option<GrfGpu>,
    width: usize,
    sd: f64,
}

impl Animation for Fields {
    type Config = GrfConfig;
    const WHAT: &'static str = "fields";

    fn new(cfg: &GrfConfig, gpu: Option<&Rc<GpuContext>>, size: (u32, u32)) -> Self {
        let run = GrfRun::new(cfg.n, cfg.fields, cfg.alpha, cfg.seed, cfg.schedule());
        let on_gpu = gpu.map(|g| GrfGpu::new(g, &run));
        Fields { run, on_gpu, width: size.0.min(size.1) as usize, sd: pixel_sd(cfg.n, cfg.alpha) }
    }

    fn speed(cfg: &GrfConfig) -> usize {
        cfg.speed
    }

    fn restarts(old: &GrfConfig, new: &GrfConfig) -> bool {
        !new.same_run(old)
    }

    fn step(&self) -> usize {
        self.run.step
    }

    fn total(&self) -> Option<usize> {
        Some(self.run.schedule.steps.len())
    }

    /// CPU steps until the frame's budget is spent.
    fn advance_cpu(&mut self, count: usize) {
        let start = now_ms();
        for _ in 0..count {
            if self.run.run_steps(1) == 0 || now_ms() - start > CPU_FRAME_MS {
                break;
            }
        }
    }

    fn advance_gpu(&mut self, gpu: &Rc<GpuContext>, count: usize) -> Option<Landing<Self>> {
        let (ran, read) = self.on_gpu.as_ref()?.run_steps(gpu, &self.run, count);
        Some(Box::pin(async move {
            let x = read.await?;
            Ok(Box::new(move |a: &mut Fields| {
                a.run.x = x;
                a.run.step += ran;
            }) as Box<dyn FnOnce(&mut Fields)>)
        }))
    }

    fn image(&mut self, cfg: &GrfConfig) -> (Vec<u8>, u32, u32) {
        let w = self.width;
        (field_image(&self.run.x, cfg.n, self.sd, w), w as u32, w as u32)
    }

    /// The spectrum now (src/web/labs/grf.rs, `GrfFigures`).
    fn figures(&self, cfg: &GrfConfig) -> JsValue {
        to_js(&figures(cfg, &self.run.schedule, &self.run.x, self.run.step))
    }
}

lab_page!(
    /// The GRF lab as the page drives it (www/labs.js).
    GrfLab,
    Fields
);
