//! The playground's link keys, each declared once ([`KEYS`]): its name,
//! whether it changes the run, the values it takes, its help line, and how
//! it is read from and written to a link. `Config::set`, `to_fragment`,
//! `same_run` and `options()` all derive from this table (as TensorFlow
//! Playground's `state.ts` drives its (de)serialisation from one list).

use super::choices::{BackendChoice, Choice, GuidanceMode, ModelKind, SamplerId, TSampling, Theme};
use super::state::{Config, CPU_N_MAX, VERSION};
use crate::science::datasets::{Dataset, CUSTOM_CLASSES_MAX, CUSTOM_POINTS_MAX};
use crate::science::guidance::{CFG_W_MAX, CLASSIFIER_G_MAX};
use crate::science::plan::{DdpmVariance, Spacing};
use crate::science::schedule::ScheduleKind;
use crate::science::targets::Target;
use crate::web::link::{parse_float, parse_int, parse_origins};
use crate::web::playground::data::Data;
use crate::web::render::Layers;

/// Largest particle count a link may ask for.
pub const N_MAX: usize = 1_048_576;
pub const STEPS_MAX: usize = 1000;
/// Langevin iterations per level (`k`) and predictor–corrector corrector steps (`m`).
pub const LANGEVIN_K_MAX: usize = 100;
pub const PC_M_MAX: usize = 10;
/// Range of the annealed-Langevin step size ε (`eps`, the step at the last level).
pub const LANGEVIN_EPS: [f64; 2] = [1e-7, 1e-2];
/// The largest noise temperature (`noise` key).
pub const NOISE_MAX: f64 = 2.0;
/// The trainer's keys: most steps, the batch range, the learning-rate
/// range and the largest weight decay (the defaults: state.rs).
pub const TRAIN_STEPS_MAX: usize = 20_000;
pub const BATCH_RANGE: [usize; 2] = [16, 4096];
pub const LR_RANGE: [f64; 2] = [1e-5, 0.1];
pub const WD_MAX: f64 = 1.0;

/// What a key is to the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Changing it samples new particles (a restart).
    Run,
    /// Presentation only (embed, theme, layers, origins): a redraw.
    View,
    /// The trainer's recipe: the next trained model, not this run's.
    Recipe,
}

/// The values a key takes (`options()` publishes them).
#[derive(Clone, Copy, Debug)]
pub enum Values {
    /// One of these ids (each with its help line).
    Choice(fn() -> Vec<(&'static str, &'static str)>),
    Int(u64, u64),
    Float(f64, f64),
    Flag,
    /// Free text checked by the key's parser (points, origins, layers, class).
    Text,
}

/// One link key.
pub struct Key {
    pub name: &'static str,
    pub role: Role,
    pub values: Values,
    pub help: &'static str,
    /// Reads the key's value into the config; `Err` says why (the config keeps its value).
    pub set: fn(&mut Config, &str) -> Result<(), String>,
    /// The key's value in a link, or `None` where the link leaves it out.
    pub get: fn(&Config) -> Option<String>,
}

fn choices<C: Choice>() -> Vec<(&'static str, &'static str)> {
    C::ALL.iter().map(|(_, id, help)| (*id, *help)).collect()
}

fn flag(value: &str) -> Result<bool, String> {
    Ok(parse_int(value, 0, 1)? == 1)
}

fn int<T: TryFrom<u64>>(value: &str, lo: u64, hi: u64) -> Result<T, String> {
    parse_int(value, lo, hi).map(|v| T::try_from(v).ok().expect("in range"))
}

fn datasets() -> Vec<(&'static str, &'static str)> {
    Dataset::ALL.iter().map(|d| (d.id(), "")).chain([("custom", "your own points (Edit data)")]).collect()
}

/// Whether the recipe keys travel in the link (only with `model=trained`).
fn trained(c: &Config) -> bool {
    c.model == ModelKind::Trained
}

/// Every key of the playground's links, in link order.
pub const KEYS: &[Key] = &[
    Key {
        name: "v",
        role: Role::View,
        values: Values::Int(VERSION as u64, VERSION as u64),
        help: "The link format's version.",
        set: |_, v| parse_int(v, VERSION as u64, VERSION as u64).map(|_| ()).map_err(|_| format!("unsupported link version (this page reads v={VERSION})")),
        get: |c| Some(c.v.to_string()),
    },
    Key {
        name: "dataset",
        role: Role::Run,
        values: Values::Choice(datasets),
        help: "The data the particles should reach.",
        set: |c, v| {
            c.dataset = match v {
                "custom" => Data::Custom(c.points.clone()),
                _ => Data::Builtin(Dataset::from_id(v).ok_or_else(|| crate::web::link::one_of(v, &datasets().iter().map(|d| d.0).collect::<Vec<_>>()).unwrap_err())?),
            };
            // A class index the new dataset does not have falls back to all classes.
            if c.class.is_some_and(|k| k as usize >= c.dataset.num_classes()) {
                c.class = None;
            }
            Ok(())
        },
        get: |c| Some(c.dataset.id().to_string()),
    },
    Key {
        name: "sampler",
        role: Role::Run,
        values: Values::Choice(choices::<SamplerId>),
        help: "How each step moves the particles towards the data.",
        set: |c, v| Ok(c.sampler = SamplerId::parse(v)?),
        get: |c| Some(c.sampler.id().into()),
    },
    Key {
        name: "steps",
        role: Role::Run,
        values: Values::Int(1, STEPS_MAX as u64),
        help: "Sampler steps from noise to data (network evaluations: more for Heun, Langevin and predictor–corrector).",
        set: |c, v| Ok(c.steps = int(v, 1, STEPS_MAX as u64)?),
        get: |c| Some(c.steps.to_string()),
    },
    Key {
        name: "n",
        role: Role::Run,
        values: Values::Int(1, N_MAX as u64),
        help: "Particles sampled together (the CPU takes at most its cap; more need WebGPU).",
        set: |c, v| Ok(c.n = int(v, 1, N_MAX as u64)?),
        get: |c| Some(c.n.to_string()),
    },
    Key {
        name: "seed",
        role: Role::Run,
        values: Values::Int(0, u32::MAX as u64),
        help: "The noise: the same seed and n give the same x_T and the same samples.",
        set: |c, v| Ok(c.seed = int(v, 0, u32::MAX as u64)?),
        get: |c| Some(c.seed.to_string()),
    },
    Key {
        name: "backend",
        role: Role::Run,
        values: Values::Choice(choices::<BackendChoice>),
        help: "Where the particles are computed: WebGPU, the CPU, or auto (the faster one here).",
        set: |c, v| Ok(c.backend = BackendChoice::parse(v)?),
        get: |c| Some(c.backend.id().into()),
    },
    Key {
        name: "model",
        role: Role::Run,
        values: Values::Choice(choices::<ModelKind>),
        help: "Which score the sampler follows.",
        set: |c, v| Ok(c.model = ModelKind::parse(v)?),
        get: |c| Some(c.model.id().into()),
    },
    Key {
        name: "eta",
        role: Role::Run,
        values: Values::Float(0.0, 1.0),
        help: "DDIM's stochasticity η: 0 deterministic, 1 as DDPM.",
        set: |c, v| Ok(c.eta = parse_float(v, 0.0, 1.0)?),
        get: |c| Some(c.eta.to_string()),
    },
    Key {
        name: "variance",
        role: Role::Run,
        values: Values::Choice(choices::<DdpmVariance>),
        help: "DDPM's ancestral variance: the posterior β̃ or the forward β.",
        set: |c, v| Ok(c.variance = DdpmVariance::parse(v)?),
        get: |c| Some(c.variance.id().into()),
    },
    Key {
        name: "guidance",
        role: Role::Run,
        values: Values::Choice(choices::<GuidanceMode>),
        help: "Steering the samples towards the class.",
        set: |c, v| Ok(c.guidance = GuidanceMode::parse(v)?),
        get: |c| Some(c.guidance.id().into()),
    },
    Key {
        name: "w",
        role: Role::Run,
        values: Values::Float(0.0, CFG_W_MAX),
        help: "Classifier-free guidance strength w (ε̂_u + w (ε̂_c − ε̂_u)).",
        set: |c, v| Ok(c.w = parse_float(v, 0.0, CFG_W_MAX)?),
        get: |c| Some(c.w.to_string()),
    },
    Key {
        name: "g",
        role: Role::Run,
        values: Values::Float(0.0, CLASSIFIER_G_MAX),
        help: "Classifier guidance strength g (ε̂_u − g σ ∇ log p(y|x)).",
        set: |c, v| Ok(c.g = parse_float(v, 0.0, CLASSIFIER_G_MAX)?),
        get: |c| Some(c.g.to_string()),
    },
    Key {
        name: "schedule",
        role: Role::Run,
        values: Values::Choice(choices::<ScheduleKind>),
        help: "The noise schedule the sampler walks down.",
        set: |c, v| Ok(c.schedule = ScheduleKind::parse(v)?),
        get: |c| Some(<ScheduleKind as Choice>::id(c.schedule).into()),
    },
    Key {
        name: "spacing",
        role: Role::Run,
        values: Values::Choice(choices::<Spacing>),
        help: "Where the steps fall in time.",
        set: |c, v| Ok(c.spacing = Spacing::parse(v)?),
        get: |c| Some(<Spacing as Choice>::id(c.spacing).into()),
    },
    Key {
        name: "k",
        role: Role::Run,
        values: Values::Int(1, LANGEVIN_K_MAX as u64),
        help: "Annealed Langevin: iterations per noise level.",
        set: |c, v| Ok(c.k = int(v, 1, LANGEVIN_K_MAX as u64)?),
        get: |c| Some(c.k.to_string()),
    },
    Key {
        name: "eps",
        role: Role::Run,
        values: Values::Float(LANGEVIN_EPS[0], LANGEVIN_EPS[1]),
        help: "Annealed Langevin: the step size ε at the last level.",
        set: |c, v| Ok(c.eps = parse_float(v, LANGEVIN_EPS[0], LANGEVIN_EPS[1])?),
        get: |c| Some(c.eps.to_string()),
    },
    Key {
        name: "m",
        role: Role::Run,
        values: Values::Int(0, PC_M_MAX as u64),
        help: "Predictor–corrector: Langevin corrector steps per level.",
        set: |c, v| Ok(c.m = int(v, 0, PC_M_MAX as u64)?),
        get: |c| Some(c.m.to_string()),
    },
    Key {
        name: "snr",
        role: Role::Run,
        values: Values::Float(0.01, 1.0),
        help: "Predictor–corrector: the corrector's signal-to-noise ratio r.",
        set: |c, v| Ok(c.snr = parse_float(v, 0.01, 1.0)?),
        get: |c| Some(c.snr.to_string()),
    },
    Key {
        name: "noise",
        role: Role::Run,
        values: Values::Float(0.0, NOISE_MAX),
        help: "Noise temperature: every step's injected noise scaled by this (1: as derived; below 1 the modes come out too narrow, above too wide).",
        set: |c, v| Ok(c.noise = parse_float(v, 0.0, NOISE_MAX)?),
        get: |c| Some(c.noise.to_string()),
    },
    Key {
        name: "embed",
        role: Role::View,
        values: Values::Flag,
        help: "The compact view for iframes.",
        set: |c, v| Ok(c.embed = flag(v)?),
        get: |c| Some((c.embed as u8).to_string()),
    },
    Key {
        name: "autoplay",
        role: Role::View,
        values: Values::Flag,
        help: "Sample on load (0: show x_T and wait for Play).",
        set: |c, v| Ok(c.autoplay = flag(v)?),
        get: |c| Some((c.autoplay as u8).to_string()),
    },
    Key {
        name: "theme",
        role: Role::View,
        values: Values::Choice(choices::<Theme>),
        help: "The colour theme.",
        set: |c, v| Ok(c.theme = Theme::parse(v)?),
        get: |c| Some(c.theme.id().into()),
    },
    Key {
        name: "layers",
        role: Role::View,
        values: Values::Text,
        help: "What the canvas draws; the field, density, curl and the score's errors follow the current noise level.",
        set: |c, v| Ok(c.layers = Layers::parse(v)?),
        get: |c| Some(c.layers.to_list()),
    },
    Key {
        name: "class",
        role: Role::Run,
        values: Values::Text,
        help: "The class to generate (0 … classes − 1), or all.",
        set: |c, v| {
            let n = c.dataset.num_classes();
            c.class = match v.trim() {
                "all" => None,
                v => Some(parse_int(v, 0, n as u64 - 1).map_err(|e| format!("{e}, or all; {} has {n} classes", c.dataset.id()))? as u32),
            };
            Ok(())
        },
        get: |c| Some(c.class.map_or("all".to_string(), |k| k.to_string())),
    },
    Key {
        name: "origins",
        role: Role::View,
        values: Values::Text,
        help: "Embeds: the parent origins allowed to drive the page by postMessage (comma-separated scheme://host[:port]; empty: any).",
        set: |c, v| Ok(c.origins = parse_origins(v)?),
        get: |c| (!c.origins.is_empty()).then(|| c.origins.clone()),
    },
    Key {
        name: "train_steps",
        role: Role::Recipe,
        values: Values::Int(1, TRAIN_STEPS_MAX as u64),
        help: "Training steps.",
        set: |c, v| Ok(c.train_steps = int(v, 1, TRAIN_STEPS_MAX as u64)?),
        get: |c| trained(c).then(|| c.train_steps.to_string()),
    },
    Key {
        name: "batch",
        role: Role::Recipe,
        values: Values::Int(BATCH_RANGE[0] as u64, BATCH_RANGE[1] as u64),
        help: "Points per training step.",
        set: |c, v| Ok(c.batch = int(v, BATCH_RANGE[0] as u64, BATCH_RANGE[1] as u64)?),
        get: |c| trained(c).then(|| c.batch.to_string()),
    },
    Key {
        name: "lr",
        role: Role::Recipe,
        values: Values::Float(LR_RANGE[0], LR_RANGE[1]),
        help: "The peak learning rate (after a warm-up, then a cosine decay).",
        set: |c, v| Ok(c.lr = parse_float(v, LR_RANGE[0], LR_RANGE[1])?),
        get: |c| trained(c).then(|| c.lr.to_string()),
    },
    Key {
        name: "wd",
        role: Role::Recipe,
        values: Values::Float(0.0, WD_MAX),
        help: "AdamW's weight decay λ.",
        set: |c, v| Ok(c.wd = parse_float(v, 0.0, WD_MAX)?),
        get: |c| trained(c).then(|| c.wd.to_string()),
    },
    Key {
        name: "t_sampling",
        role: Role::Recipe,
        values: Values::Choice(choices::<TSampling>),
        help: "How training times are drawn.",
        set: |c, v| Ok(c.t_sampling = TSampling::parse(v)?),
        get: |c| trained(c).then(|| c.t_sampling.id().into()),
    },
    Key {
        name: "train_seed",
        role: Role::Recipe,
        values: Values::Int(0, u32::MAX as u64),
        help: "The training run's seed (its batches and initial weights).",
        set: |c, v| Ok(c.train_seed = int(v, 0, u32::MAX as u64)?),
        get: |c| trained(c).then(|| c.train_seed.to_string()),
    },
    Key {
        name: "target",
        role: Role::Recipe,
        values: Values::Choice(choices::<Target>),
        help: "What the trained network predicts.",
        set: |c, v| Ok(c.target = Target::parse(v)?),
        get: |c| trained(c).then(|| <Target as Choice>::id(c.target).into()),
    },
    Key {
        name: "clf",
        role: Role::Recipe,
        values: Values::Flag,
        help: "Also train the noisy-input classifier, for classifier guidance.",
        set: |c, v| Ok(c.clf = flag(v)?),
        get: |c| trained(c).then(|| (c.clf as u8).to_string()),
    },
    Key {
        name: "points",
        role: Role::Run,
        values: Values::Text,
        help: "Your own points (dataset=custom), deflated and base64url-encoded.",
        set: |c, v| Ok(c.set_points(crate::web::playground::data::decode(v)?)),
        get: |c| match &c.dataset {
            Data::Custom(set) => Some(crate::web::playground::data::encode_for_link(set).0),
            Data::Builtin(_) => None,
        },
    },
];

/// The key named `name`.
pub fn key(name: &str) -> Option<&'static Key> {
    KEYS.iter().find(|k| k.name == name)
}

/// The rules JS reads and never copies (`playground.options()`): every
/// key's values (ids, or `[lo, hi]`), the help lines of the enumerated keys
/// (`<key>Help`), the table itself (`keys`: role and help per key), and
/// the page's other rules.
pub fn options() -> serde_json::Value {
    use serde_json::{json, Map, Value};
    let mut out = Map::new();
    let mut table = Map::new();
    for k in KEYS {
        match k.values {
            Values::Choice(all) => {
                let all = all();
                out.insert(k.name.into(), json!(all.iter().map(|c| c.0).collect::<Vec<_>>()));
                if all.iter().any(|c| !c.1.is_empty()) {
                    out.insert(format!("{}Help", k.name), Value::Object(all.iter().map(|(id, help)| (id.to_string(), json!(help))).collect()));
                }
            }
            Values::Int(lo, hi) => {
                out.insert(k.name.into(), json!([lo, hi]));
            }
            Values::Float(lo, hi) => {
                out.insert(k.name.into(), json!([lo, hi]));
            }
            Values::Flag | Values::Text => {}
        }
        table.insert(k.name.into(), json!({ "role": k.role, "help": k.help }));
    }
    out.insert("keys".into(), Value::Object(table));
    out.insert("layers".into(), json!(Layers::ids().collect::<Vec<_>>()));
    out.insert("layerHelp".into(), Value::Object(Layers::TABLE.iter().map(|(id, label, help)| (id.to_string(), json!({ "label": label, "help": help }))).collect()));
    out.insert("numClasses".into(), Value::Object(Dataset::ALL.iter().map(|d| (d.id().to_string(), json!(d.num_classes()))).collect()));
    out.insert("cpuMaxN".into(), json!(CPU_N_MAX));
    out.insert("customPointsMax".into(), json!(CUSTOM_POINTS_MAX));
    out.insert("customClassesMax".into(), json!(CUSTOM_CLASSES_MAX));
    out.insert("samplerUses".into(), Value::Object(SamplerId::ALL.iter().map(|(s, id, _)| (id.to_string(), json!(s.uses()))).collect()));
    out.insert("guidanceUses".into(), Value::Object(GuidanceMode::ALL.iter().map(|(g, id, _)| (id.to_string(), json!(g.uses()))).collect()));
    out.insert("compareShared".into(), json!(crate::web::link::route::COMPARE_SHARED));
    out.insert("palette".into(), json!(crate::web::render::PALETTE.iter().map(|c| format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])).collect::<Vec<_>>()));
    out.insert("labs".into(), json!(crate::web::link::route::LABS));
    Value::Object(out)
}
