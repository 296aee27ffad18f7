//! The Langevin lab's page (web::labs::host runs it): chains on WebGPU
//! where the browser has it (the kernel of engine::langevin), else on the
//! CPU, drawn on a 2D canvas with the covariance ellipses: the target's
//! (white), the chains' (blue) and the analysis' prediction (magenta).

use std::rc::Rc;

use wasm_bindgen::prelude::*;

use super::{ellipse, figures, LangevinConfig};
use crate::engine::gpu::GpuContext;
use crate::engine::langevin::LangevinChain;
use crate::web::js::to_js;
use crate::web::labs::host::{lab_page, Animation, Landing};
use crate::web::render::{Layers, Overlay, Raster};

const TARGET: [u8; 3] = [240, 240, 245];
const EMPIRICAL: [u8; 3] = [90, 200, 250];
const PREDICTED: [u8; 3] = [220, 60, 200];

pub struct Chains {
    chain: LangevinChain,
    raster: Raster,
}

impl Animation for Chains {
    type Config = LangevinConfig;
    const WHAT: &'static str = "chains";

    fn new(cfg: &LangevinConfig, _gpu: Option<&Rc<GpuContext>>, size: (u32, u32)) -> Self {
        let (_, up) = cfg.update();
        Chains { chain: LangevinChain::new(cfg.target(), up.gain, up.noise, cfg.seed, cfg.n), raster: Raster::new(size.0 as usize, size.1 as usize) }
    }

    fn speed(cfg: &LangevinConfig) -> usize {
        cfg.speed as usize
    }

    fn restarts(old: &LangevinConfig, new: &LangevinConfig) -> bool {
        let quiet = |c: &LangevinConfig| LangevinConfig { speed: 0, view: Default::default(), ..c.clone() };
        quiet(old) != quiet(new)
    }

    fn step(&self) -> usize {
        self.chain.step as usize
    }

    fn advance_cpu(&mut self, count: usize) {
        self.chain.run_steps(count as u32);
    }

    fn advance_gpu(&mut self, gpu: &Rc<GpuContext>, count: usize) -> Option<Landing<Self>> {
        let read = self.chain.run_steps_gpu(gpu, count as u32);
        Some(Box::pin(async move {
            let x = read.await?;
            Ok(Box::new(move |a: &mut Chains| {
                a.chain.x = x;
                a.chain.step += count as u32;
            }) as Box<dyn FnOnce(&mut Chains)>)
        }))
    }

    fn image(&mut self, cfg: &LangevinConfig) -> (Vec<u8>, u32, u32) {
        let f = figures(cfg, &self.chain.x, self.chain.step);
        let mut curves = vec![(ellipse(&f.target_covariance, 96), TARGET), (ellipse(&f.covariance, 96), EMPIRICAL)];
        if let Some(s) = f.stationary_covariance {
            curves.push((ellipse(&s, 96), PREDICTED));
        }
        let flat: Vec<f32> = self.chain.x.iter().flatten().copied().collect();
        let overlay = Overlay { curves: &curves, ..Default::default() };
        let (w, h) = (self.raster.width as u32, self.raster.height as u32);
        (self.raster.draw_layers(&flat, Layers { particles: true, ..Layers::NONE }, &overlay).to_vec(), w, h)
    }

    /// The figures now (src/web/labs/langevin.rs, `LangevinFigures`).
    fn figures(&self, cfg: &LangevinConfig) -> JsValue {
        to_js(&figures(cfg, &self.chain.x, self.chain.step))
    }
}

lab_page!(
    /// The Langevin lab as the page drives it (www/labs.js).
    LangevinLab,
    Chains
);
