//! The one source of truth for what the page shows, and its share-link form.
//!
//! A `Config` round-trips through the URL fragment
//! `#v=1&dataset=gaussians8&sampler=ddpm&steps=200&n=4096&seed=7&backend=auto&model=exact`.
//! Parsing is forgiving: an unknown key, or a value that fails validation,
//! keeps the default (or the current value) and is reported as an
//! [`Ignored`] entry the page shows, so a malformed link never breaks the page.
//! Pure Rust (no wasm) so it is unit-tested natively; JS never parses state.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize, Serializer};

use crate::model::Conditioning;
use std::rc::Rc;

use crate::science::datasets::{Dataset, PointSet};
use crate::web::data::Data;
use crate::science::guidance::{Guidance, CFG_W_MAX, CLASSIFIER_G_MAX};
use crate::science::plan::{DdpmVariance, SamplerKind, Spacing};
use crate::science::schedule::ScheduleKind;

/// Share-link format version.
pub const VERSION: u32 = 1;
/// Largest particle count a link may ask for.
pub const N_MAX: usize = 1_048_576;
/// The CPU backend runs at most this many particles (the rest of a larger
/// `n` needs WebGPU); the page says so when it caps.
pub const CPU_N_MAX: usize = 65_536;
pub const STEPS_MAX: usize = 1000;
/// Langevin iterations per level (`k`) and predictor–corrector corrector steps (`m`).
pub const LANGEVIN_K_MAX: usize = 100;
pub const PC_M_MAX: usize = 10;
/// Range of the annealed-Langevin step size ε (`eps`, the step at the last level).
pub const LANGEVIN_EPS: [f64; 2] = [1e-7, 1e-2];

/// Which backend the user asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendChoice {
    /// WebGPU when the browser has a working adapter, else the CPU.
    Auto,
    Webgpu,
    Cpu,
}

impl BackendChoice {
    pub const ALL: [BackendChoice; 3] = [BackendChoice::Auto, BackendChoice::Webgpu, BackendChoice::Cpu];
    pub fn id(&self) -> &'static str {
        match self {
            BackendChoice::Auto => "auto",
            BackendChoice::Webgpu => "webgpu",
            BackendChoice::Cpu => "cpu",
        }
    }
}

/// Sampler ids available in this version, with the line the page shows for each.
pub const SAMPLERS: [(&str, &str); 8] = [
    ("ddpm", "DDPM ancestral: x ← (x − β/σ·ε̂)/√α + √β̃·z, one network evaluation per step."),
    ("ddim", "DDIM: jump via the predicted x̂0; η = 0 is deterministic, η = 1 equals DDPM."),
    ("em", "Euler–Maruyama on the reverse SDE: x ← x − [f x − g² s]Δt + g√Δt·z (VP: f = −½β, g² = β)."),
    ("ode_euler", "Euler on the probability-flow ODE: x ← x − [f x − ½g² s]Δt, no noise: deterministic given x_T."),
    ("heun", "Heun on the probability-flow ODE: Euler, then average the drifts at both ends; 2 network evaluations a step."),
    ("dpmpp2m", "DPM-Solver++ 2M: exponential integrator on x̂0 with a second-order multistep correction; deterministic, 1 evaluation a step."),
    ("langevin", "Annealed Langevin: k steps per noise level of x ← x + (α/2)s + √α·z, α = ε σ²/σ_L² (ε: the step at the last level)."),
    ("pc", "Predictor–corrector: an Euler–Maruyama step, then m Langevin corrector steps with step 2a²(r σ)² (r: signal-to-noise ratio)."),
];
/// Guidance ids, with the line the page shows for each.
pub const GUIDANCES: [(&str, &str); 3] = [
    ("none", "none: the model conditioned on the class (all classes: unconditional)."),
    ("cfg", "cfg: classifier-free guidance ε̂ = ε̂_u + w (ε̂_c − ε̂_u) towards the class; w = 0 unconditional, 1 conditional, > 1 extrapolates. Needs a class."),
    ("classifier", "classifier: ε̂ = ε̂_u − g σ ∇ log p(class | x_t), the gradient of a classifier trained on noisy points (exact for model=exact). Needs a class."),
];
/// Schedules, with the line the page shows for each.
pub const SCHEDULES: [(&str, &str); 3] = [
    ("vp_linear", "VP linear: β from 1e-4 to 0.02 over 1000 steps (the continuous VP SDE with β from 0.1 to 20)."),
    ("vp_cosine", "VP cosine (Nichol & Dhariwal): ᾱ = cos² of a shifted time; gentler noise early, steeper late."),
    ("ve", "VE: x = x0 + σ ε, σ from 0.01 to 20, run on the VP-trained network by rescaling the input by 1/√(1+σ²)."),
];

/// Layers the canvas can draw (`layers=data,particles,…`, any subset).
pub const LAYERS: [&str; 10] = ["data", "particles", "trajectories", "field", "density", "curl", "angle", "magnitude", "divergence", "likelihood"];

/// Colour themes (`auto` follows the system's light/dark preference).
pub const THEMES: [&str; 3] = ["auto", "light", "dark"];

/// DDPM variance ids: the posterior variance β̃_t, or the forward β_t.
pub const VARIANCES: [&str; 2] = ["beta_tilde", "beta"];

/// Score models, with the line the page shows for each.
pub const MODELS: [(&str, &str); 4] = [
    ("learned", "learned: the pretrained ε-prediction MLP for this dataset (models/<dataset>.safetensors)."),
    ("energy", "energy: the conservative model — a network φ(x, t, c) whose gradient is ε̂, so its score is a gradient field (zero curl, path-independent line integrals); models/<dataset>.energy.safetensors."),
    ("trained", "trained: the MLP trained in this page (Train), or a model file you loaded; a link with it retrains from its recipe."),
    ("exact", "exact: the true score — analytic for the Gaussian mixtures, the memorising empirical score of 1 024 fixed draws otherwise."),
];

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Config {
    pub v: u32,
    #[serde(serialize_with = "dataset_id")]
    pub dataset: Data,
    /// The user's own points (`dataset=custom`; the link's `points=`), kept
    /// while another dataset is shown.
    #[serde(skip)]
    pub points: Rc<PointSet>,
    /// The in-page trainer's recipe (`model=trained`; engine::train::Recipe):
    /// steps, batch, peak learning rate, AdamW's weight decay λ, the time
    /// sampling (`uniform` or `u2`) and the seed.
    pub train_steps: usize,
    pub batch: usize,
    pub lr: f64,
    pub wd: f64,
    pub t_sampling: String,
    pub train_seed: u32,
    /// What the trained network predicts: `eps`, `x0`, `v` or `flow` (science::targets).
    pub target: String,
    /// Also train the noisy-input classifier, for classifier guidance (`clf=1`).
    pub clf: bool,
    pub sampler: String,
    pub steps: usize,
    pub n: usize,
    pub seed: u32,
    pub backend: BackendChoice,
    pub model: String,
    /// DDIM's stochasticity η ∈ [0, 1] (used by `sampler=ddim`).
    pub eta: f64,
    /// DDPM's ancestral variance: `beta_tilde` (posterior β̃, default) or `beta`.
    pub variance: String,
    /// `none` or `cfg` (classifier-free guidance towards `class`).
    pub guidance: String,
    /// Classifier-free guidance strength w ∈ [0, 20] (`ε̂_u + w (ε̂_c − ε̂_u)`).
    pub w: f64,
    /// Classifier guidance strength g ∈ [0, 50] (`ε̂_u − g σ ∇ log p(y|x)`).
    pub g: f64,
    /// Noise schedule id (`vp_linear`, `vp_cosine`, `ve`).
    pub schedule: String,
    /// Timestep spacing id (`uniform`, `quadratic`).
    pub spacing: String,
    /// Annealed Langevin: iterations per level, and the step size ε at the last level.
    pub k: usize,
    pub eps: f64,
    /// Predictor–corrector: corrector steps per level, and the signal-to-noise ratio r.
    pub m: usize,
    pub snr: f64,
    /// Noise temperature: every step's injected noise `c_z·z` is scaled by
    /// this (1: the sampler as derived; stochastic samplers only). A teaching
    /// knob — below 1 the modes come out too narrow, above 1 too wide.
    pub noise: f64,
    /// Presentation (no effect on the samples): the compact embed view,
    /// sampling on load, and the colour theme (`auto` follows the system).
    pub embed: bool,
    pub autoplay: bool,
    pub theme: String,
    /// Drawn layers, a comma-separated subset of [`LAYERS`] in that order.
    pub layers: String,
    /// Embeds: the parent origins allowed to drive the page by postMessage
    /// (`www/messages.js`), comma-separated; empty: any origin.
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
            t_sampling: "u2".into(),
            train_seed: 1,
            target: "eps".into(),
            clf: false,
            sampler: "ddpm".into(),
            steps: 200,
            n: 4096,
            seed: 7,
            backend: BackendChoice::Auto,
            model: "learned".into(),
            eta: 0.0,
            variance: "beta_tilde".into(),
            guidance: "none".into(),
            w: 3.0,
            g: 3.0,
            schedule: "vp_linear".into(),
            spacing: "uniform".into(),
            k: 5,
            eps: 2e-5,
            m: 1,
            snr: 0.16,
            noise: 1.0,
            embed: false,
            autoplay: true,
            theme: "auto".into(),
            origins: String::new(),
            layers: "data,particles".into(),
            class: None,
        }
    }
}

/// A key the page could not use, with the reason shown to the user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ignored {
    pub key: String,
    pub value: String,
    pub reason: String,
}

impl std::fmt::Display for Ignored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}={}: {}", self.key, self.value, self.reason)
    }
}

/// The ids allowed for each enumerated key (`playground.options()`).
#[derive(Clone, Debug, Serialize)]
pub struct Options {
    pub dataset: Vec<&'static str>,
    pub sampler: Vec<&'static str>,
    pub model: Vec<&'static str>,
    #[serde(rename = "modelHelp")]
    pub model_help: BTreeMap<&'static str, &'static str>,
    /// Number of classes of each dataset (`class` takes `all` or 0 … n−1).
    #[serde(rename = "numClasses")]
    pub num_classes: BTreeMap<&'static str, usize>,
    pub backend: Vec<&'static str>,
    /// One line of explanation per sampler id.
    #[serde(rename = "samplerHelp")]
    pub sampler_help: BTreeMap<&'static str, &'static str>,
    pub eta: [f64; 2],
    /// DDPM variance ids (`variance` key).
    pub variance: Vec<&'static str>,
    pub guidance: Vec<&'static str>,
    #[serde(rename = "guidanceHelp")]
    pub guidance_help: BTreeMap<&'static str, &'static str>,
    pub w: [f64; 2],
    pub g: [f64; 2],
    pub schedule: Vec<&'static str>,
    #[serde(rename = "scheduleHelp")]
    pub schedule_help: BTreeMap<&'static str, &'static str>,
    pub spacing: Vec<&'static str>,
    pub theme: Vec<&'static str>,
    pub layers: Vec<&'static str>,
    pub k: [usize; 2],
    pub eps: [f64; 2],
    pub m: [usize; 2],
    pub snr: [f64; 2],
    pub steps: [usize; 2],
    pub n: [usize; 2],
    #[serde(rename = "cpuMaxN")]
    pub cpu_max_n: usize,
    /// The trainer's keys' ranges and choices.
    pub train_steps: [usize; 2],
    pub batch: [usize; 2],
    pub lr: [f64; 2],
    pub wd: [f64; 2],
    pub t_sampling: Vec<&'static str>,
    pub target: Vec<&'static str>,
    #[serde(rename = "targetHelp")]
    pub target_help: BTreeMap<&'static str, &'static str>,
    /// Most points and classes of a user's set.
    #[serde(rename = "customPointsMax")]
    pub custom_points_max: usize,
    #[serde(rename = "customClassesMax")]
    pub custom_classes_max: usize,
}

pub fn options() -> Options {
    Options {
        dataset: Dataset::ALL.iter().map(|d| d.id()).chain(["custom"]).collect(),
        sampler: SAMPLERS.iter().map(|s| s.0).collect(),
        sampler_help: SAMPLERS.into_iter().collect(),
        eta: [0.0, 1.0],
        variance: VARIANCES.to_vec(),
        guidance: GUIDANCES.iter().map(|g| g.0).collect(),
        guidance_help: GUIDANCES.into_iter().collect(),
        w: [0.0, CFG_W_MAX],
        g: [0.0, CLASSIFIER_G_MAX],
        schedule: SCHEDULES.iter().map(|s| s.0).collect(),
        schedule_help: SCHEDULES.into_iter().collect(),
        spacing: Spacing::ALL.iter().map(|s| s.id()).collect(),
        theme: THEMES.to_vec(),
        layers: LAYERS.to_vec(),
        k: [1, LANGEVIN_K_MAX],
        eps: LANGEVIN_EPS,
        m: [0, PC_M_MAX],
        snr: [0.01, 1.0],
        model: MODELS.iter().map(|m| m.0).collect(),
        model_help: MODELS.into_iter().collect(),
        num_classes: Dataset::ALL.iter().map(|d| (d.id(), d.num_classes())).collect(),
        backend: BackendChoice::ALL.iter().map(|b| b.id()).collect(),
        steps: [1, STEPS_MAX],
        n: [1, N_MAX],
        cpu_max_n: CPU_N_MAX,
        train_steps: [1, TRAIN_STEPS_MAX],
        batch: BATCH_RANGE,
        lr: LR_RANGE,
        wd: [0.0, WD_MAX],
        t_sampling: T_SAMPLINGS.to_vec(),
        target: TARGETS.iter().map(|t| t.0).collect(),
        target_help: TARGETS.into_iter().collect(),
        custom_points_max: crate::science::datasets::CUSTOM_POINTS_MAX,
        custom_classes_max: crate::science::datasets::CUSTOM_CLASSES_MAX,
    }
}

pub(crate) fn parse_int(value: &str, lo: u64, hi: u64) -> Result<u64, String> {
    let v: u64 = value.trim().parse().map_err(|_| format!("not a whole number (allowed {lo}–{hi})"))?;
    if v < lo || v > hi {
        return Err(format!("out of range (allowed {lo}–{hi})"));
    }
    Ok(v)
}

/// A finite number in `[lo, hi]` (NaN and infinities are out of range).
pub(crate) fn parse_float(value: &str, lo: f64, hi: f64) -> Result<f64, String> {
    let v: f64 = value.trim().parse().map_err(|_| format!("not a number (allowed {lo}–{hi})"))?;
    if !(lo..=hi).contains(&v) {
        return Err(format!("out of range (allowed {lo}–{hi})"));
    }
    Ok(v)
}

fn one_of(value: &str, allowed: &[&str]) -> Result<String, String> {
    if allowed.contains(&value) {
        Ok(value.to_string())
    } else {
        Err(format!("unknown value (allowed: {})", allowed.join(", ")))
    }
}

impl Config {
    /// Applies one key; on error the config is unchanged.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        match key {
            "v" => {
                if parse_int(value, VERSION as u64, VERSION as u64).is_err() {
                    return Err(format!("unsupported link version (this page reads v={VERSION})"));
                }
            }
            "dataset" => {
                self.dataset = match value {
                    "custom" => Data::Custom(self.points.clone()),
                    _ => Data::Builtin(Dataset::from_id(value).ok_or_else(|| one_of(value, &options().dataset).unwrap_err())?),
                };
                // A class index the new dataset does not have falls back to all classes.
                if self.class.is_some_and(|k| k as usize >= self.dataset.num_classes()) {
                    self.class = None;
                }
            }
            "class" => {
                let c = self.dataset.num_classes();
                self.class = match value.trim() {
                    "all" => None,
                    v => Some(parse_int(v, 0, c as u64 - 1).map_err(|e| format!("{e}, or all; {} has {c} classes", self.dataset.id()))? as u32),
                };
            }
            "points" => self.set_points(crate::web::data::decode(value)?),
            "train_steps" => self.train_steps = parse_int(value, 1, TRAIN_STEPS_MAX as u64)? as usize,
            "batch" => self.batch = parse_int(value, BATCH_RANGE[0] as u64, BATCH_RANGE[1] as u64)? as usize,
            "lr" => self.lr = parse_float(value, LR_RANGE[0], LR_RANGE[1])?,
            "wd" => self.wd = parse_float(value, 0.0, WD_MAX)?,
            "t_sampling" => self.t_sampling = one_of(value, &T_SAMPLINGS)?,
            "train_seed" => self.train_seed = parse_int(value, 0, u32::MAX as u64)? as u32,
            "target" => self.target = one_of(value, &TARGETS.map(|t| t.0))?,
            "clf" => self.clf = parse_int(value, 0, 1)? == 1,
            "sampler" => self.sampler = one_of(value, &options().sampler)?,
            "eta" => self.eta = parse_float(value, 0.0, 1.0)?,
            "model" => self.model = one_of(value, &options().model)?,
            "variance" => self.variance = one_of(value, &VARIANCES)?,
            "guidance" => self.guidance = one_of(value, &options().guidance)?,
            "w" => self.w = parse_float(value, 0.0, CFG_W_MAX)?,
            "g" => self.g = parse_float(value, 0.0, CLASSIFIER_G_MAX)?,
            "schedule" => self.schedule = one_of(value, &options().schedule)?,
            "spacing" => self.spacing = one_of(value, &options().spacing)?,
            "k" => self.k = parse_int(value, 1, LANGEVIN_K_MAX as u64)? as usize,
            "eps" => self.eps = parse_float(value, LANGEVIN_EPS[0], LANGEVIN_EPS[1])?,
            "m" => self.m = parse_int(value, 0, PC_M_MAX as u64)? as usize,
            "snr" => self.snr = parse_float(value, 0.01, 1.0)?,
            "noise" => self.noise = parse_float(value, 0.0, NOISE_MAX)?,
            "embed" => self.embed = parse_int(value, 0, 1)? == 1,
            "autoplay" => self.autoplay = parse_int(value, 0, 1)? == 1,
            "theme" => self.theme = one_of(value, &THEMES)?,
            "origins" => self.origins = parse_origins(value)?,
            "layers" => {
                let chosen: Vec<&str> = value.split(',').map(str::trim).filter(|v| !v.is_empty()).collect();
                if let Some(bad) = chosen.iter().find(|v| !LAYERS.contains(v)) {
                    return Err(format!("unknown layer {bad} (allowed: {})", LAYERS.join(", ")));
                }
                self.layers = LAYERS.iter().filter(|l| chosen.contains(l)).copied().collect::<Vec<_>>().join(",");
            }
            "steps" => self.steps = parse_int(value, 1, STEPS_MAX as u64)? as usize,
            "n" => self.n = parse_int(value, 1, N_MAX as u64)? as usize,
            "seed" => self.seed = parse_int(value, 0, u32::MAX as u64)? as u32,
            "backend" => {
                self.backend = BackendChoice::ALL
                    .into_iter()
                    .find(|b| b.id() == value)
                    .ok_or_else(|| one_of(value, &options().backend).unwrap_err())?;
            }
            // Compare mode is chosen from the link before a playground starts
            // (src/web/compare.rs); a single playground only accepts its off value.
            "lab" => {
                return Err(match crate::web::labs::lab_of(&format!("lab={value}")) {
                    Err(e) => format!("{e}: the playground opened instead"),
                    Ok(_) => "a lab opens from a link (lab=<id>); the playground has none".into(),
                });
            }
            "compare" => {
                if value.trim() != "0" {
                    return Err("compare mode opens from a link (compare=1); a single playground has no second panel".into());
                }
            }
            _ if key.starts_with(crate::web::compare::PREFIX) => return Err("a key of compare mode's panel B (needs compare=1)".into()),
            _ => return Err("unknown key".into()),
        }
        Ok(())
    }

    /// Applies `(key, value)` pairs in order, except that `class` keys come
    /// after the others (a class index is checked against the dataset);
    /// returns the ones it ignored.
    pub fn apply<K: AsRef<str>, V: AsRef<str>>(&mut self, pairs: impl IntoIterator<Item = (K, V)>) -> Vec<Ignored> {
        let mut ignored = Vec::new();
        let (class, rest): (Vec<(K, V)>, Vec<(K, V)>) = pairs.into_iter().partition(|(k, _)| k.as_ref() == "class");
        for (k, v) in rest.into_iter().chain(class) {
            let (k, v) = (k.as_ref(), v.as_ref());
            if let Err(reason) = self.set(k, v) {
                ignored.push(Ignored { key: k.to_string(), value: v.to_string(), reason });
            }
        }
        ignored
    }

    /// Replaces the user's points (and the shown data, when it is theirs).
    /// A class the new set does not have falls back to all classes.
    pub fn set_points(&mut self, set: PointSet) {
        self.points = Rc::new(set);
        if let Data::Custom(_) = self.dataset {
            self.dataset = Data::Custom(self.points.clone());
            if self.class.is_some_and(|k| k as usize >= self.dataset.num_classes()) {
                self.class = None;
            }
        }
    }

    /// The in-page trainer's recipe.
    pub fn recipe(&self) -> crate::engine::train::Recipe {
        crate::engine::train::Recipe {
            steps: self.train_steps,
            batch: self.batch,
            lr: self.lr,
            warmup: (self.train_steps / 12).clamp(1, 100),
            weight_decay: self.wd,
            t_power: if self.t_sampling == "uniform" { 1 } else { 2 },
            seed: self.train_seed,
            target: crate::science::targets::Target::from_id(&self.target).unwrap_or_default(),
            classifier: self.clf,
        }
    }

    /// The sampler the config names, with its parameters.
    pub fn sampler_kind(&self) -> SamplerKind {
        match self.sampler.as_str() {
            "ddim" => SamplerKind::Ddim { eta: self.eta },
            "em" => SamplerKind::EulerMaruyama,
            "ode_euler" => SamplerKind::OdeEuler,
            "heun" => SamplerKind::Heun,
            "dpmpp2m" => SamplerKind::DpmPp2m,
            "langevin" => SamplerKind::Langevin { per_level: self.k, step_size: self.eps },
            "pc" => SamplerKind::PredictorCorrector { correctors: self.m, snr: self.snr },
            _ => SamplerKind::Ddpm {
                variance: if self.variance == "beta" { DdpmVariance::Beta } else { DdpmVariance::BetaTilde },
            },
        }
    }

    /// The class and guidance a run conditions on.
    pub fn conditioning(&self) -> Conditioning {
        let guidance = match self.guidance.as_str() {
            "cfg" => Guidance::ClassifierFree { w: self.w as f32 },
            "classifier" => Guidance::Classifier { g: self.g as f32 },
            _ => Guidance::None,
        };
        Conditioning { class: self.class, guidance }
    }

    /// Whether two configs sample the same particles (they may differ in
    /// presentation: embed, autoplay, theme). Changing only those keeps the run.
    pub fn same_run(&self, other: &Config) -> bool {
        let strip = |c: &Config| Config {
            embed: false,
            autoplay: true,
            theme: String::new(),
            layers: String::new(),
            origins: String::new(),
            points: if c.dataset.builtin().is_some() { Rc::default() } else { c.points.clone() },
            // The recipe makes the next trained model, not this run's.
            train_steps: 0,
            batch: 0,
            lr: 0.0,
            wd: 0.0,
            t_sampling: String::new(),
            train_seed: 0,
            target: String::new(),
            clf: false,
            ..c.clone()
        };
        strip(self) == strip(other)
    }

    /// Whether layer `id` is drawn.
    pub fn layer(&self, id: &str) -> bool {
        self.layers.split(',').any(|l| l == id)
    }

    pub fn schedule_kind(&self) -> ScheduleKind {
        ScheduleKind::from_id(&self.schedule).unwrap_or(ScheduleKind::VpLinear)
    }

    pub fn spacing_kind(&self) -> Spacing {
        Spacing::from_id(&self.spacing).unwrap_or(Spacing::Uniform)
    }

    /// Parses a URL fragment (with or without the leading `#`) over the defaults.
    pub fn from_fragment(fragment: &str) -> (Self, Vec<Ignored>) {
        let mut cfg = Self::default();
        let ignored = cfg.apply_fragment(fragment);
        (cfg, ignored)
    }

    /// Applies a fragment's keys over this config.
    pub fn apply_fragment(&mut self, fragment: &str) -> Vec<Ignored> {
        let body = fragment.strip_prefix('#').unwrap_or(fragment);
        if body.trim().is_empty() {
            return Vec::new();
        }
        match serde_urlencoded::from_str::<Vec<(String, String)>>(body) {
            Ok(pairs) => self.apply(pairs),
            Err(e) => vec![Ignored { key: "#".into(), value: body.chars().take(80).collect(), reason: format!("unreadable link fragment ({e})") }],
        }
    }

    /// The fragment (without `#`) that reproduces this config, keys in a fixed order.
    pub fn to_fragment(&self) -> String {
        let mut pairs: Vec<(&str, String)> = vec![
            ("v", self.v.to_string()),
            ("dataset", self.dataset.id().to_string()),
            ("sampler", self.sampler.clone()),
            ("steps", self.steps.to_string()),
            ("n", self.n.to_string()),
            ("seed", self.seed.to_string()),
            ("backend", self.backend.id().to_string()),
            ("model", self.model.clone()),
            ("eta", self.eta.to_string()),
            ("variance", self.variance.clone()),
            ("guidance", self.guidance.clone()),
            ("w", self.w.to_string()),
            ("g", self.g.to_string()),
            ("schedule", self.schedule.clone()),
            ("spacing", self.spacing.clone()),
            ("k", self.k.to_string()),
            ("eps", self.eps.to_string()),
            ("m", self.m.to_string()),
            ("snr", self.snr.to_string()),
            ("noise", self.noise.to_string()),
            ("embed", (self.embed as u8).to_string()),
            ("autoplay", (self.autoplay as u8).to_string()),
            ("theme", self.theme.clone()),
            ("layers", self.layers.clone()),
            ("class", self.class.map_or("all".to_string(), |k| k.to_string())),
        ];
        if !self.origins.is_empty() {
            pairs.push(("origins", self.origins.clone()));
        }
        if self.model == "trained" {
            pairs.extend([
                ("train_steps", self.train_steps.to_string()),
                ("batch", self.batch.to_string()),
                ("lr", self.lr.to_string()),
                ("wd", self.wd.to_string()),
                ("t_sampling", self.t_sampling.clone()),
                ("train_seed", self.train_seed.to_string()),
                ("target", self.target.clone()),
                ("clf", (self.clf as u8).to_string()),
            ]);
        }
        if let Data::Custom(set) = &self.dataset {
            pairs.push(("points", crate::web::data::encode_for_link(set).0));
        }
        serde_urlencoded::to_string(pairs).expect("string pairs always encode")
    }
}

/// The trainer's keys: most steps, the batch range, the learning-rate
/// range, the largest weight decay, the time samplings (`t = T_MIN + (1 −
/// T_MIN) u^p` with p = 1 or 2), and the defaults (engine::train::Recipe's).
pub const TRAIN_STEPS_MAX: usize = 20_000;
pub const TRAIN_STEPS_DEFAULT: usize = 1200;
pub const BATCH_RANGE: [usize; 2] = [16, 4096];
pub const BATCH_DEFAULT: usize = 256;
pub const LR_RANGE: [f64; 2] = [1e-5, 0.1];
pub const LR_DEFAULT: f64 = 1e-2;
pub const WD_MAX: f64 = 1.0;
pub const T_SAMPLINGS: [&str; 2] = ["uniform", "u2"];
/// The trained network's targets (science::targets), with the line the page shows for each.
pub const TARGETS: [(&str, &str); 4] = [
    ("eps", "ε: the noise (the shipped models' target)."),
    ("x0", "x0: the clean point, its loss weighted by (a/σ)² so that it is the ε-loss; read as ε̂ = (x − a x̂0)/σ."),
    ("v", "v = a ε − σ x0, its loss weighted by a²; read as ε̂ = σ x + a v̂."),
    ("flow", "flow matching: the velocity ε − x0 on the straight path (1−s) x0 + s ε, weighted by (1−s)²; read at the VP level's s = σ/(a+σ)."),
];

/// The largest noise temperature (`noise` key).
pub const NOISE_MAX: f64 = 2.0;

/// The `origins` key: comma-separated origins (`scheme://host[:port]`, no
/// path), normalised to lower case; empty for any origin.
fn parse_origins(value: &str) -> Result<String, String> {
    let mut out = Vec::new();
    for o in value.split(',').map(str::trim).filter(|o| !o.is_empty()) {
        let (scheme, rest) = o.split_once("://").ok_or_else(|| format!("{o} is not an origin (scheme://host[:port])"))?;
        let ok_scheme = !scheme.is_empty() && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
        let ok_host = !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c));
        if !ok_scheme || !ok_host {
            return Err(format!("{o} is not an origin (scheme://host[:port], no path)"));
        }
        out.push(o.to_ascii_lowercase());
    }
    Ok(out.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_round_trips() {
        let c = Config::default();
        let (back, ignored) = Config::from_fragment(&format!("#{}", c.to_fragment()));
        assert!(ignored.is_empty());
        assert_eq!(back, c);
        assert_eq!(c.to_fragment(), "v=1&dataset=gaussians8&sampler=ddpm&steps=200&n=4096&seed=7&backend=auto&model=learned&eta=0&variance=beta_tilde&guidance=none&w=3&g=3&schedule=vp_linear&spacing=uniform&k=5&eps=0.00002&m=1&snr=0.16&noise=1&embed=0&autoplay=1&theme=auto&layers=data%2Cparticles&class=all");
    }

    #[test]
    fn every_value_round_trips() {
        let (c, ignored) = Config::from_fragment("v=1&class=24&dataset=grid25&sampler=ddim&steps=1000&n=1048576&seed=4294967295&backend=cpu&model=exact&eta=0.35");
        assert!(ignored.is_empty(), "{ignored:?}");
        assert_eq!((c.dataset.clone(), c.steps, c.n, c.seed, c.backend), (Data::Builtin(Dataset::Grid25), 1000, N_MAX, u32::MAX, BackendChoice::Cpu));
        assert_eq!((c.model.as_str(), c.class), ("exact", Some(24)));
        assert_eq!(Config::from_fragment(&c.to_fragment()).0, c);
        assert_eq!(c.sampler_kind(), SamplerKind::Ddim { eta: 0.35 });
    }

    #[test]
    fn every_sampler_id_maps_to_its_kind() {
        for (id, _) in SAMPLERS {
            let (c, ignored) = Config::from_fragment(&format!("sampler={id}"));
            assert!(ignored.is_empty());
            assert_eq!(c.sampler_kind().id(), id);
        }
        for bad in ["eta=1.5", "eta=-0.1", "eta=NaN", "eta=inf", "eta=x"] {
            let (c, ignored) = Config::from_fragment(bad);
            assert_eq!(c.eta, 0.0);
            assert_eq!(ignored.len(), 1, "{bad}");
        }
    }

    #[test]
    fn invalid_values_fall_back_and_are_reported() {
        let (c, ignored) = Config::from_fragment("#v=1&dataset=nope&steps=0&n=abc&seed=-3&backend=cuda&foo=bar&steps=50");
        let keys: Vec<&str> = ignored.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(keys, ["dataset", "steps", "n", "seed", "backend", "foo"]);
        assert!(ignored[0].reason.contains("gaussians8"), "the reason lists the allowed ids: {}", ignored[0].reason);
        assert!(ignored[1].reason.contains("1–1000"));
        assert_eq!(ignored[5].reason, "unknown key");
        // Valid keys still apply, the later steps=50 included; the rest keep defaults.
        let d = Config::default();
        assert_eq!((c.dataset, c.steps, c.n, c.seed, c.backend), (d.dataset, 50, d.n, d.seed, d.backend));
    }

    #[test]
    fn huge_and_garbage_links_never_panic() {
        for frag in ["", "#", "&&&", "=", "v=2", "n=99999999999999999999999", "steps=1e3", "%ZZ", "dataset=%00", "#v=1&v=1&v=x"] {
            let (c, _) = Config::from_fragment(frag);
            assert!(c.steps >= 1 && c.n >= 1);
        }
        let (_, ignored) = Config::from_fragment("v=2");
        assert!(ignored[0].reason.contains("version"));
        let (c, ignored) = Config::from_fragment("n=2000000");
        assert_eq!(c.n, Config::default().n);
        assert!(ignored[0].reason.contains("1048576"));
    }

    #[test]
    fn class_is_checked_against_the_dataset() {
        let (c, ignored) = Config::from_fragment("dataset=moons&class=2");
        assert_eq!(c.class, None);
        assert!(ignored[0].reason.contains("moons has 2 classes"), "{}", ignored[0].reason);
        let (mut c, ignored) = Config::from_fragment("dataset=grid25&class=20");
        assert!(ignored.is_empty());
        // Switching to a dataset without that class falls back to all classes.
        assert!(c.set("dataset", "moons").is_ok());
        assert_eq!(c.class, None);
        assert!(c.set("class", "1").is_ok() && c.set("class", "all").is_ok());
        assert_eq!(c.class, None);
        assert!(c.set("model", "learned").is_ok() && c.set("model", "magic").is_err());
        // DDPM's variance key picks β̃ or β.
        assert_eq!(c.sampler_kind(), SamplerKind::Ddpm { variance: DdpmVariance::BetaTilde });
        assert!(c.set("variance", "beta").is_ok() && c.set("variance", "sigma").is_err());
        assert_eq!(c.sampler_kind(), SamplerKind::Ddpm { variance: DdpmVariance::Beta });
        // Guidance: cfg with w, checked ranges; it applies only with a class.
        assert!(c.set("guidance", "cfg").is_ok() && c.set("w", "7.5").is_ok());
        assert!(c.set("w", "21").is_err() && c.set("w", "-1").is_err() && c.set("guidance", "magic").is_err());
        assert_eq!(c.conditioning().active(), Guidance::None, "class=all: nothing to guide towards");
        assert_eq!(c.conditioning().evals(), 1);
        assert!(c.set("class", "1").is_ok());
        assert_eq!(c.conditioning().active(), Guidance::ClassifierFree { w: 7.5 });
        // Classifier guidance with g ∈ [0, 50]; 2 evaluations per ε̂.
        assert!(c.set("guidance", "classifier").is_ok() && c.set("g", "50").is_ok() && c.set("g", "50.5").is_err());
        assert_eq!(c.conditioning().active(), Guidance::Classifier { g: 50.0 });
        assert_eq!(c.conditioning().evals(), 2);
    }

    #[test]
    fn schedule_spacing_and_sampler_parameters() {
        let (c, ignored) = Config::from_fragment("sampler=langevin&k=7&eps=0.0001&schedule=ve&spacing=quadratic");
        assert!(ignored.is_empty(), "{ignored:?}");
        assert_eq!(c.sampler_kind(), SamplerKind::Langevin { per_level: 7, step_size: 1e-4 });
        assert_eq!((c.schedule_kind(), c.spacing_kind()), (ScheduleKind::Ve, Spacing::Quadratic));
        let (c, ignored) = Config::from_fragment("sampler=pc&m=3&snr=0.2&schedule=vp_cosine");
        assert!(ignored.is_empty());
        assert_eq!(c.sampler_kind(), SamplerKind::PredictorCorrector { correctors: 3, snr: 0.2 });
        assert_eq!(c.schedule_kind(), ScheduleKind::VpCosine);
        assert_eq!(Config::from_fragment("sampler=dpmpp2m").0.sampler_kind(), SamplerKind::DpmPp2m);
        // Out-of-range or unknown values are reported and keep the defaults.
        let (c, ignored) = Config::from_fragment("k=0&eps=1&m=11&snr=0&schedule=vp_sigmoid&spacing=log");
        assert_eq!(ignored.iter().map(|i| i.key.as_str()).collect::<Vec<_>>(), ["k", "eps", "m", "snr", "schedule", "spacing"]);
        assert_eq!(c, Config::default());
        // Every sampler id of the page maps to a sampler with that id.
        for (id, _) in SAMPLERS {
            let (c, ignored) = Config::from_fragment(&format!("sampler={id}"));
            assert!(ignored.is_empty());
            assert_eq!(c.sampler_kind().id(), id);
        }
        // Presentation keys: checked, round-tripped, and not part of the run.
        let (c, ignored) = Config::from_fragment("origins=https://Blog.example,http://127.0.0.1:8000");
        assert!(ignored.is_empty(), "{ignored:?}");
        assert_eq!(c.origins, "https://blog.example,http://127.0.0.1:8000");
        assert!(c.to_fragment().ends_with("&origins=https%3A%2F%2Fblog.example%2Chttp%3A%2F%2F127.0.0.1%3A8000"), "{}", c.to_fragment());
        assert!(c.same_run(&Config::default()), "origins do not change the run");
        let (c, ignored) = Config::from_fragment("origins=https://blog.example/post");
        assert_eq!((c.origins.as_str(), ignored.len()), ("", 1), "a path is not an origin");
        let (c, ignored) = Config::from_fragment("embed=1&autoplay=0&theme=light");
        assert!(ignored.is_empty());
        assert!(c.embed && !c.autoplay && c.theme == "light");
        assert!(c.same_run(&Config::default()) && !c.same_run(&Config { seed: 8, ..Config::default() }));
        let (_, ignored) = Config::from_fragment("embed=2&autoplay=yes&theme=pink&layers=data,sparkles");
        assert_eq!(ignored.len(), 4);
        // Layers: any subset, stored in a fixed order; an empty list draws nothing.
        let (c, _) = Config::from_fragment("layers=field,data,trajectories");
        assert_eq!(c.layers, "data,trajectories,field");
        assert!(c.layer("field") && !c.layer("particles") && c.same_run(&Config::default()));
        assert_eq!(Config::from_fragment("layers=").0.layers, "");
        // The new keys round-trip.
        let (c, _) = Config::from_fragment("sampler=pc&m=0&snr=0.3&g=12.5&schedule=ve&spacing=quadratic&k=2&eps=0.000003");
        assert_eq!(Config::from_fragment(&c.to_fragment()).0, c);
    }

    #[test]
    fn percent_encoding_is_decoded() {
        let (c, ignored) = Config::from_fragment("dataset=grid%32%35&steps=%31%30");
        assert!(ignored.is_empty());
        assert_eq!((c.dataset, c.steps), (Data::Builtin(Dataset::Grid25), 10));
    }

    #[test]
    fn the_trainer_keys_round_trip_and_default_to_the_engine_recipe() {
        assert_eq!(Config::default().recipe(), crate::engine::train::Recipe::default());
        let frag = "model=trained&train_steps=300&batch=1024&lr=0.003&wd=0.01&t_sampling=uniform&train_seed=5&target=v&clf=1";
        let (c, ignored) = Config::from_fragment(frag);
        assert!(ignored.is_empty(), "{ignored:?}");
        let r = c.recipe();
        assert_eq!((r.steps, r.batch, r.lr, r.weight_decay, r.t_power, r.seed, r.warmup), (300, 1024, 0.003, 0.01, 1, 5, 25));
        assert_eq!((r.target, r.classifier), (crate::science::targets::Target::V, true));
        assert_eq!(Config::from_fragment(&c.to_fragment()).0, c);
        assert!(!Config::default().to_fragment().contains("train_steps"), "the recipe travels only with model=trained");
        let (_, ignored) = Config::from_fragment("batch=8&lr=2&t_sampling=cubic&train_steps=0&target=score&clf=yes");
        assert_eq!(ignored.iter().map(|i| i.key.as_str()).collect::<Vec<_>>(), ["batch", "lr", "t_sampling", "train_steps", "target", "clf"]);
    }

    #[test]
    fn custom_points_travel_in_the_link_and_survive_switching_datasets() {
        let (set, _) = crate::web::data::canonical(&[[0.5, 0.5], [-1.0, 2.0], [3.0, -3.0]], &[0, 2, 1]);
        let mut c = Config::default();
        c.set_points(set.clone());
        assert!(c.set("dataset", "custom").is_ok());
        assert!(c.set("class", "2").is_ok());
        let frag = c.to_fragment();
        assert!(frag.contains("dataset=custom") && frag.contains("points="), "{frag}");
        let (back, ignored) = Config::from_fragment(&frag);
        assert!(ignored.is_empty(), "{ignored:?}");
        assert_eq!(back, c);
        assert_eq!(back.dataset.num_classes(), 3);
        // Showing moons keeps the drawing; coming back shows it again.
        assert!(c.set("dataset", "moons").is_ok());
        assert!(!c.to_fragment().contains("points="));
        assert!(c.set("dataset", "custom").is_ok());
        assert_eq!(c.dataset, Data::Custom(Rc::new(set)));
        // Malformed point data: a notice, the points kept.
        let (bad, ignored) = Config::from_fragment("dataset=custom&points=%%%&class=1");
        assert_eq!(ignored.iter().map(|i| i.key.as_str()).collect::<Vec<_>>(), ["points", "class"]);
        assert!(ignored[0].reason.contains("base64url"), "{}", ignored[0].reason);
        assert!(bad.points.is_empty() && bad.dataset.id() == "custom");
        // Points set after the dataset key and before it read the same.
        let value = crate::web::data::encode(&c.points);
        let a = Config::from_fragment(&format!("dataset=custom&points={value}")).0;
        let b = Config::from_fragment(&format!("points={value}&dataset=custom")).0;
        assert_eq!(a, b);
    }
}
