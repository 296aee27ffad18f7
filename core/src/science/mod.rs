//! Pure science: schedules, step plans, exact scores, datasets, metrics, the
//! counter-based RNG. No wasm, no GPU — everything here is unit-tested natively.

pub mod ais;
pub mod datasets;
pub mod diagnostics;
pub mod fokker_planck;
pub mod grf;
pub mod guidance;
pub mod langevin;
pub mod likelihood;
pub mod metrics;
pub mod mixture;
pub mod plan;
pub mod rng;
pub mod schedule;
pub mod targets;
