//! Sampling engines: the CPU reference and the wgpu GPU backend execute the
//! same [`StepPlan`](crate::science::plan::StepPlan) with the same noise.

pub mod ais;
pub mod cpu;
pub mod diagnostics;
pub mod fokker_planck;
pub mod gpu;
pub mod grf;
pub mod guidance;
pub mod health;
pub mod jacobian;
pub mod langevin;
pub mod likelihood;
pub mod quality;
pub mod train;
