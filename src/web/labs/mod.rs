//! Labs: page modes beside the sampling playground (issue 14), each with its
//! own link keys, controls, figures and page logic in its own module. A link
//! opens one with `lab=<id>`; www/labs.js builds its page.

pub mod ais;
pub mod fokker_planck;
pub mod langevin;

/// The labs a link may open.
pub const LABS: [&str; 3] = ["langevin", "fokker_planck", "ais"];

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
mod js {
    use wasm_bindgen::prelude::*;

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
        assert!(lab_of("lab=quantum").unwrap_err().contains(r#"unknown lab "quantum" (labs: langevin, fokker_planck, ais)"#));
        assert_eq!(lab_of("#%%%"), Ok(None));
    }
}
