//! The playground's state as a link holds it: the [`Config`] struct, its
//! defaults and its form for JS (the keys' meaning and parsing: keys.rs).

use std::rc::Rc;

use serde::{Serialize, Serializer};

use super::choices::{self, BackendChoice, GuidanceMode, ModelKind, SamplerId, TSampling, Theme};
use crate::science::datasets::{Dataset, PointSet};
use crate::science::plan::{DdpmVariance, Spacing};
use crate::science::schedule::ScheduleKind;
use crate::science::targets::Target;
use crate::web::playground::data::Data;
use crate::web::render::Layers;

/// Share-link format version.
pub const VERSION: u32 = 1;
/// The trainer's defaults (engine::train::Recipe's).
pub const TRAIN_STEPS_DEFAULT: usize = 1200;
pub const BATCH_DEFAULT: usize = 256;
pub const LR_DEFAULT: f64 = 1e-2;

/// The CPU backend runs at most this many particles (the rest of a larger
/// `n` needs WebGPU); the page says so when it caps.
pub const CPU_N_MAX: usize = 65_536;

/// The playground's state as a link holds it (the keys' meaning: keys.rs).
/// It serializes for JS with the link's ids as strings.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Config {
    pub v: u32,
    #[serde(serialize_with = "dataset_id")]
    pub dataset: Data,
    /// The user's own points (`dataset=custom`; the link's `points=`), kept
    /// while another dataset is shown.
    #[serde(skip)]
    pub points: Rc<PointSet>,
    /// The in-page trainer's recipe (`model=trained`; engine::train::Recipe).
    pub train_steps: usize,
    pub batch: usize,
    pub lr: f64,
    pub wd: f64,
    pub t_sampling: TSampling,
    pub train_seed: u32,
    #[serde(serialize_with = "choices::as_id")]
    pub target: Target,
    pub clf: bool,
    pub sampler: SamplerId,
    pub steps: usize,
    pub n: usize,
    pub seed: u32,
    pub backend: BackendChoice,
    pub model: ModelKind,
    pub eta: f64,
    #[serde(serialize_with = "choices::as_id")]
    pub variance: DdpmVariance,
    pub guidance: GuidanceMode,
    pub w: f64,
    pub g: f64,
    #[serde(serialize_with = "choices::as_id")]
    pub schedule: ScheduleKind,
    #[serde(serialize_with = "choices::as_id")]
    pub spacing: Spacing,
    pub k: usize,
    pub eps: f64,
    pub m: usize,
    pub snr: f64,
    pub noise: f64,
    /// Presentation (no effect on the samples).
    pub embed: bool,
    pub autoplay: bool,
    pub theme: Theme,
    #[serde(serialize_with = "layer_list")]
    pub layers: Layers,
    pub origins: String,
    /// The class to generate (`class=2`), or every class (`class=all`, `None`).
    #[serde(serialize_with = "class_key")]
    pub class: Option<u32>,
}

fn class_key<S: Serializer>(c: &Option<u32>, s: S) -> Result<S::Ok, S::Error> {
    match c {
        Some(k) => s.serialize_u32(*k),
        None => s.serialize_str("all"),
    }
}

fn dataset_id<S: Serializer>(d: &Data, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(d.id())
}

fn layer_list<S: Serializer>(l: &Layers, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&l.to_list())
}

impl Default for Config {
    fn default() -> Self {
        Self {
            v: VERSION,
            dataset: Data::Builtin(Dataset::Gaussians8),
            points: Rc::new(PointSet::default()),
            train_steps: TRAIN_STEPS_DEFAULT,
            batch: BATCH_DEFAULT,
            lr: LR_DEFAULT,
            wd: 0.0,
            t_sampling: TSampling::U2,
            train_seed: 1,
            target: Target::Eps,
            clf: false,
            sampler: SamplerId::Ddpm,
            steps: 200,
            n: 4096,
            seed: 7,
            backend: BackendChoice::Auto,
            model: ModelKind::Learned,
            eta: 0.0,
            variance: DdpmVariance::BetaTilde,
            guidance: GuidanceMode::None,
            w: 3.0,
            g: 3.0,
            schedule: ScheduleKind::VpLinear,
            spacing: Spacing::Uniform,
            k: 5,
            eps: 2e-5,
            m: 1,
            snr: 0.16,
            noise: 1.0,
            embed: false,
            autoplay: true,
            theme: Theme::Auto,
            origins: String::new(),
            layers: Layers::DEFAULT,
            class: None,
        }
    }
}

