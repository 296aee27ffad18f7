//! Labs: page modes beside the sampling playground (issue 14), each with its
//! own link keys, controls, figures and page logic in its own module. A link
//! opens one with `lab=<id>` (web::link::route lists them: the one registry
//! of ids); www/labs.js builds its page. The animated labs (Langevin, GRF)
//! run on one host (host.rs): each is a type implementing `Animation`.

pub mod ais;
pub mod fokker_planck;
pub mod grf;
pub mod guidance;
#[cfg(all(target_arch = "wasm32", feature = "labs"))]
pub mod host;
pub mod langevin;

use serde::Serialize;

use crate::web::link::{one_of, pairs, parse_float, parse_int, Ignored};

/// The values one of a lab's keys takes, declared once per key in the lab's
/// [`LabConfig::RANGES`]: its parser reads them, and the page's controls
/// take their limits from them (`labOptions(id)`).
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Range {
    Choice { ids: &'static [&'static str] },
    /// A built-in dataset's id.
    Dataset,
    Int { min: u64, max: u64 },
    Float { min: f64, max: f64 },
}

/// The keys every lab's page shares: the compact embed view and the theme.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Presentation {
    pub embed: bool,
    pub theme: String,
}

impl Default for Presentation {
    fn default() -> Self {
        Self { embed: false, theme: "auto".into() }
    }
}

/// A lab's link state: its own keys, and the shared `lab`, `embed`, `theme`.
/// The fragment, its parsing with reasons for what is ignored, and the
/// key-by-key setting are written once here.
pub trait LabConfig: Default + Clone + Sized {
    /// The lab's id in links (`lab=<id>`) and its name in messages.
    const ID: &'static str;
    const NAME: &'static str;

    /// Each own key's values, in link order.
    const RANGES: &'static [(&'static str, Range)];

    /// Key `key`'s range.
    fn range(key: &str) -> Result<Range, String> {
        Self::RANGES.iter().find(|(k, _)| *k == key).map(|(_, r)| *r).ok_or_else(|| format!("not a key of the {}", Self::NAME))
    }
    /// `value` as key `key`'s number (its range checked).
    fn float(key: &str, value: &str) -> Result<f64, String> {
        match Self::range(key)? {
            Range::Float { min, max } => parse_float(value, min, max),
            Range::Int { min, max } => parse_int(value, min, max).map(|v| v as f64),
            other => panic!("{key} is {other:?}, not a number"),
        }
    }
    /// `value` as key `key`'s whole number (its range checked).
    fn int(key: &str, value: &str) -> Result<u64, String> {
        match Self::range(key)? {
            Range::Int { min, max } => parse_int(value, min, max),
            other => panic!("{key} is {other:?}, not a whole number"),
        }
    }
    /// `value` as one of key `key`'s ids.
    fn choice(key: &str, value: &str) -> Result<String, String> {
        match Self::range(key)? {
            Range::Choice { ids } => one_of(value, ids),
            Range::Dataset => one_of(value, &crate::science::datasets::Dataset::ALL.iter().map(|d| d.id()).collect::<Vec<_>>()),
            other => panic!("{key} is {other:?}, not a choice"),
        }
    }

    /// Sets one of the lab's own keys; `Err` says why (the config keeps its value).
    fn set_own(&mut self, key: &str, value: &str) -> Result<(), String>;
    /// The lab's own keys, in link order.
    fn own_pairs(&self) -> Vec<(&'static str, String)>;
    fn presentation(&self) -> &Presentation;
    fn presentation_mut(&mut self) -> &mut Presentation;
    /// Whether the settings together are acceptable (a lab with a work
    /// budget refuses what would freeze the page); checked after every key.
    fn check(&self) -> Result<(), String> {
        Ok(())
    }

    fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        match key {
            "lab" => one_of(value, &[Self::ID]).map(|_| ()),
            "embed" => one_of(value, &["0", "1"]).map(|v| self.presentation_mut().embed = v == "1"),
            "theme" => one_of(value, &["auto", "light", "dark"]).map(|v| self.presentation_mut().theme = v),
            _ => {
                let mut next = self.clone();
                next.set_own(key, value)?;
                next.check()?;
                *self = next;
                Ok(())
            }
        }
    }

    /// Applies `key=value` pairs; returns the ones ignored, with the reason.
    fn apply(&mut self, pairs: impl IntoIterator<Item = (String, String)>) -> Vec<Ignored> {
        pairs.into_iter().filter_map(|(key, value)| self.set(&key, &value).err().map(|reason| Ignored { key, value, reason })).collect()
    }

    fn from_fragment(fragment: &str) -> (Self, Vec<Ignored>) {
        let mut cfg = Self::default();
        let ignored = match pairs(fragment) {
            Ok(pairs) => cfg.apply(pairs),
            Err(bad) => vec![bad],
        };
        (cfg, ignored)
    }

    /// The fragment (without `#`) that reproduces this lab.
    fn to_fragment(&self) -> String {
        let mut pairs = vec![("lab", Self::ID.to_string())];
        pairs.extend(self.own_pairs());
        let view = self.presentation();
        if view.embed {
            pairs.push(("embed", "1".into()));
        }
        if view.theme != "auto" {
            pairs.push(("theme", view.theme.clone()));
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

/// The reason for a key no lab of this kind has.
pub fn unknown_key<C: LabConfig>() -> Result<(), String> {
    Err(format!("not a key of the {}", C::NAME))
}

#[cfg(all(target_arch = "wasm32", feature = "labs"))]
pub(crate) mod js {
    use wasm_bindgen::prelude::*;

    use super::LabConfig;
    use crate::web::js::{config_pairs, to_js};
    use crate::web::link::Ignored;

    /// A lab's `setConfig`: all keys or none (a refused value changes nothing and says why).
    pub fn set_config<C: LabConfig + Clone>(cfg: &mut C, partial: JsValue) -> Result<(), JsError> {
        let pairs: Vec<(String, String)> = config_pairs(partial)?.collect();
        let mut next = cfg.clone();
        if let Some(bad) = next.apply(pairs).into_iter().next() {
            return Err(JsError::new(&format!("setConfig: {bad}")));
        }
        *cfg = next;
        Ok(())
    }

    /// A lab's `status()` where it has no more to say: `{ backend, ignored }`.
    pub fn status(backend: &'static str, ignored: &[Ignored]) -> JsValue {
        #[derive(serde::Serialize)]
        struct Status {
            backend: &'static str,
            ignored: Vec<String>,
        }
        to_js(&Status { backend, ignored: ignored.iter().map(|i| i.to_string()).collect() })
    }
}

/// Each lab's keys and their values (`labOptions(id)`: the page's controls
/// take their limits from here), by lab id; `None` for an unknown lab.
pub fn ranges(id: &str) -> Option<&'static [(&'static str, Range)]> {
    Some(match id {
        "langevin" => langevin::LangevinConfig::RANGES,
        "guidance" => guidance::GuidanceConfig::RANGES,
        "fokker_planck" => fokker_planck::FokkerPlanckConfig::RANGES,
        "grf" => grf::GrfConfig::RANGES,
        "ais" => ais::AisConfig::RANGES,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every lab the router opens has its ranges, and they are exactly the
    /// keys its links write, each parsed by its range: a value at a range's
    /// ends is taken and one past it is refused.
    #[test]
    fn each_lab_key_has_one_range_and_the_parser_follows_it() {
        fn check<C: LabConfig>() {
            let own: Vec<&str> = C::default().own_pairs().iter().map(|(k, _)| *k).collect();
            let declared: Vec<&str> = C::RANGES.iter().map(|(k, _)| *k).collect();
            assert_eq!(own, declared, "{}: the link's keys and the ranges", C::ID);
            for (key, range) in C::RANGES {
                let mut c = C::default();
                match *range {
                    Range::Int { min, max } => {
                        for v in [min, max] {
                            assert_eq!(c.set_own(key, &v.to_string()), Ok(()), "{}.{key}={v}", C::ID);
                        }
                        assert!(c.set_own(key, &(max as u128 + 1).to_string()).is_err(), "{}.{key} above {max}", C::ID);
                    }
                    Range::Float { min, max } => {
                        assert!(c.set_own(key, &(max + (max.abs() + 1.0) * 1e-3).to_string()).is_err(), "{}.{key} above {max}", C::ID);
                        assert!(c.set_own(key, &(min - (min.abs() + 1.0) * 1e-3).to_string()).is_err(), "{}.{key} below {min}", C::ID);
                    }
                    Range::Choice { ids } => {
                        assert!(c.set_own(key, "not-an-id").unwrap_err().contains(&ids.join(", ")), "{}.{key}", C::ID);
                    }
                    Range::Dataset => assert!(c.set_own(key, "moons").is_ok()),
                }
            }
        }
        check::<langevin::LangevinConfig>();
        check::<guidance::GuidanceConfig>();
        check::<fokker_planck::FokkerPlanckConfig>();
        check::<grf::GrfConfig>();
        check::<ais::AisConfig>();
        for id in crate::web::link::route::LABS {
            assert!(ranges(id).is_some(), "{id}");
        }
        assert!(ranges("quantum").is_none());
    }
}
