//! Labs: page modes beside the sampling playground (issue 14), each with its
//! own link keys, controls, figures and page logic in its own module. A link
//! opens one with `lab=<id>`; www/labs.js builds its page.

pub mod ais;
pub mod fokker_planck;
pub mod grf;
pub mod guidance;
pub mod langevin;

use serde::Serialize;

use crate::web::config::Ignored;

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

/// `value` if it is one of `allowed`, else why not.
pub fn one_of(value: &str, allowed: &[&str]) -> Result<String, String> {
    allowed.iter().find(|a| **a == value).map(|a| a.to_string()).ok_or_else(|| format!("not one of {}", allowed.join(", ")))
}

/// A lab's link state: its own keys, and the shared `lab`, `embed`, `theme`.
/// The fragment, its parsing with reasons for what is ignored, and the
/// key-by-key setting are written once here.
pub trait LabConfig: Default + Clone + Sized {
    /// The lab's id in links (`lab=<id>`) and its name in messages.
    const ID: &'static str;
    const NAME: &'static str;

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
        let body = fragment.strip_prefix('#').unwrap_or(fragment);
        let ignored = match serde_urlencoded::from_str::<Vec<(String, String)>>(body) {
            Ok(pairs) => cfg.apply(pairs),
            Err(e) => vec![Ignored { key: "#".into(), value: body.chars().take(80).collect(), reason: format!("unreadable link fragment ({e})") }],
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

/// The labs a link may open.
pub const LABS: [&str; 5] = ["langevin", "guidance", "fokker_planck", "grf", "ais"];

/// The lab a fragment asks for: `Ok(None)` for the sampling playground,
/// `Err` with the reason for an unknown lab (the page then opens the
/// playground and says why).
pub fn lab_of(fragment: &str) -> Result<Option<&'static str>, String> {
    let body = fragment.strip_prefix('#').unwrap_or(fragment);
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(body).unwrap_or_default();
    match pairs.iter().rev().find(|(k, _)| k == "lab") {
        None => Ok(None),
        Some((_, v)) => LABS.iter().find(|l| **l == v).map(|l| Some(*l)).ok_or_else(|| format!("unknown lab {v:?} (labs: {})", LABS.join(", "))),
    }
}

#[cfg(target_arch = "wasm32")]
pub(crate) mod js {
    use wasm_bindgen::prelude::*;

    use super::LabConfig;
    use crate::web::app::config_pairs;
    use crate::web::config::Ignored;

    /// The canvas' 2D context, or why not.
    pub fn context_2d(canvas: &web_sys::HtmlCanvasElement) -> Result<web_sys::CanvasRenderingContext2d, JsError> {
        canvas
            .get_context("2d")
            .ok()
            .flatten()
            .and_then(|c| c.dyn_into::<web_sys::CanvasRenderingContext2d>().ok())
            .ok_or_else(|| JsError::new("the canvas has no 2D context"))
    }

    /// Puts an RGBA image of `width × height` on the canvas at its origin; `Err` says why not.
    pub fn put_rgba(ctx: &web_sys::CanvasRenderingContext2d, rgba: &[u8], width: u32, height: u32) -> Result<(), String> {
        let data = web_sys::ImageData::new_with_u8_clamped_array_and_sh(wasm_bindgen::Clamped(rgba), width, height).map_err(|e| format!("drawing failed: {e:?}"))?;
        ctx.put_image_data(&data, 0.0, 0.0).map_err(|e| format!("drawing failed: {e:?}"))
    }

    pub fn to_js<T: serde::Serialize>(v: &T) -> JsValue {
        v.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).unwrap_or(JsValue::NULL)
    }

    /// A lab's `setConfig`: all keys or none (a refused value changes nothing and says why).
    pub fn set_config<C: LabConfig + Clone>(cfg: &mut C, partial: JsValue) -> Result<(), JsError> {
        let pairs: Vec<(String, String)> = config_pairs(partial)?.collect();
        let mut next = cfg.clone();
        if let Some(bad) = next.apply(pairs).into_iter().next() {
            return Err(JsError::new(&bad.to_string()));
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

    /// `{ lab, error }`: the lab a fragment opens (null: the playground), or why not.
    #[wasm_bindgen(js_name = labOf)]
    pub fn lab_of_js(fragment: String) -> JsValue {
        let out = js_sys::Object::new();
        let (lab, error) = match super::lab_of(&fragment) {
            Ok(l) => (l.map_or(JsValue::NULL, JsValue::from_str), JsValue::NULL),
            Err(e) => (JsValue::NULL, JsValue::from_str(&e)),
        };
        let _ = js_sys::Reflect::set(&out, &"lab".into(), &lab);
        let _ = js_sys::Reflect::set(&out, &"error".into(), &error);
        out.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_opens_a_lab_or_the_playground() {
        assert_eq!(lab_of("#v=1&dataset=moons"), Ok(None));
        assert_eq!(lab_of("#lab=langevin&eps=0.01"), Ok(Some("langevin")));
        assert!(lab_of("lab=quantum").unwrap_err().contains(r#"unknown lab "quantum" (labs: langevin, guidance, fokker_planck, grf, ais)"#));
        assert_eq!(lab_of("#%%%"), Ok(None));
    }
}
