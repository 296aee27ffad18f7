//! The one source of truth for what the playground shows, and its share-link form.
//!
//! A `Config` round-trips through the URL fragment
//! `#v=1&dataset=gaussians8&sampler=ddpm&steps=200&n=4096&seed=7&backend=auto&model=exact`.
//! Every key is declared once, in [`keys::KEYS`], with its values, help,
//! parser, printer and role (whether it restarts the run); enumerated keys
//! are enums ([`choices`]) and the layers a set. Parsing is forgiving: an
//! unknown key, or a value that fails validation, keeps the default (or the
//! current value) and is reported as an [`Ignored`] entry the page shows, so
//! a malformed link never breaks the page. Pure Rust (no wasm), unit-tested
//! natively; JS never parses state.

pub mod choices;
pub mod keys;
pub mod state;
#[cfg(test)]
mod tests;

use std::rc::Rc;

pub use self::choices::{BackendChoice, Choice, GuidanceMode, ModelKind, SamplerId, TSampling, Theme};
pub use self::keys::{options, Role, BATCH_RANGE, LANGEVIN_EPS, LANGEVIN_K_MAX, LR_RANGE, NOISE_MAX, N_MAX, PC_M_MAX, STEPS_MAX, TRAIN_STEPS_MAX, WD_MAX};
use crate::model::Conditioning;
use crate::science::datasets::PointSet;
use crate::science::guidance::Guidance;
use crate::science::plan::SamplerKind;
use crate::web::link::route::{self, COMPARE_PREFIX};
pub use crate::web::link::Ignored;
use crate::web::playground::data::Data;
pub use self::state::{Config, BATCH_DEFAULT, CPU_N_MAX, LR_DEFAULT, TRAIN_STEPS_DEFAULT, VERSION};

impl Config {
    /// Applies one key; on error the config is unchanged.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        match key {
            // Compare mode and the labs are chosen from the link before a
            // playground starts (web::link::route); a single playground only
            // accepts compare's off value, and says why it has no lab.
            "lab" => Err(match route::lab(value) {
                Err(e) => format!("{e}: the playground opened instead"),
                Ok(_) => "a lab opens from a link (lab=<id>); the playground has none".into(),
            }),
            "compare" if value.trim() == "0" => Ok(()),
            "compare" => Err("compare mode opens from a link (compare=1); a single playground has no second panel".into()),
            _ if key.starts_with(COMPARE_PREFIX) => Err("a key of compare mode's panel B (needs compare=1)".into()),
            _ => {
                let k = keys::key(key).ok_or("unknown key")?;
                let mut next = self.clone();
                (k.set)(&mut next, value)?;
                *self = next;
                Ok(())
            }
        }
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
            t_power: self.t_sampling.power(),
            seed: self.train_seed,
            target: self.target,
            classifier: self.clf,
        }
    }

    /// The sampler the config names, with its parameters.
    pub fn sampler_kind(&self) -> SamplerKind {
        match self.sampler {
            SamplerId::Ddpm => SamplerKind::Ddpm { variance: self.variance },
            SamplerId::Ddim => SamplerKind::Ddim { eta: self.eta },
            SamplerId::Em => SamplerKind::EulerMaruyama,
            SamplerId::OdeEuler => SamplerKind::OdeEuler,
            SamplerId::Heun => SamplerKind::Heun,
            SamplerId::DpmPp2m => SamplerKind::DpmPp2m,
            SamplerId::Langevin => SamplerKind::Langevin { per_level: self.k, step_size: self.eps },
            SamplerId::Pc => SamplerKind::PredictorCorrector { correctors: self.m, snr: self.snr },
        }
    }

    /// The class and guidance a run conditions on.
    pub fn conditioning(&self) -> Conditioning {
        let guidance = match self.guidance {
            GuidanceMode::Cfg => Guidance::ClassifierFree { w: self.w as f32 },
            GuidanceMode::Classifier => Guidance::Classifier { g: self.g as f32 },
            GuidanceMode::None => Guidance::None,
        };
        Conditioning { class: self.class, guidance }
    }

    /// The sampler's and the guidance's own keys that apply now (the page
    /// shows only these): DDIM's noise temperature only with η > 0.
    pub fn uses(&self) -> Vec<&'static str> {
        let deterministic_ddim = self.sampler == SamplerId::Ddim && self.eta == 0.0;
        self.sampler.uses().iter().chain(self.guidance.uses()).copied().filter(|k| !(deterministic_ddim && *k == "noise")).collect()
    }

    /// Whether two configs sample the same particles: every key of the run
    /// ([`Role::Run`]) equal. Presentation keys and the trainer's recipe
    /// (the next trained model, not this run's) may differ; the user's
    /// points count only while they are shown.
    pub fn same_run(&self, other: &Config) -> bool {
        keys::KEYS.iter().filter(|k| k.role == Role::Run && k.name != "points").all(|k| (k.get)(self) == (k.get)(other))
            && match (&self.dataset, &other.dataset) {
                (Data::Custom(a), Data::Custom(b)) => Rc::ptr_eq(a, b) || a == b,
                _ => true,
            }
    }

    /// Parses a URL fragment (with or without the leading `#`) over the defaults.
    pub fn from_fragment(fragment: &str) -> (Self, Vec<Ignored>) {
        let mut cfg = Self::default();
        let ignored = cfg.apply_fragment(fragment);
        (cfg, ignored)
    }

    /// Applies a fragment's keys over this config.
    pub fn apply_fragment(&mut self, fragment: &str) -> Vec<Ignored> {
        if fragment.strip_prefix('#').unwrap_or(fragment).trim().is_empty() {
            return Vec::new();
        }
        match crate::web::link::pairs(fragment) {
            Ok(pairs) => self.apply(pairs),
            Err(bad) => vec![bad],
        }
    }

    /// The fragment (without `#`) that reproduces this config, keys in the table's order.
    pub fn to_fragment(&self) -> String {
        let pairs: Vec<(&str, String)> = keys::KEYS.iter().filter_map(|k| (k.get)(self).map(|v| (k.name, v))).collect();
        serde_urlencoded::to_string(pairs).expect("string pairs always encode")
    }
}
