//! The router and the link helpers the page's JS calls before (or
//! without) a playground: which mode a link opens, a link with one key
//! changed (the embed form and back), and which parent origins may drive
//! an embed. JS never parses a link itself.

use wasm_bindgen::prelude::*;

use crate::web::link::route::{route, Route};

/// `{ lab, error }`: the lab a fragment opens (null: the playground), or why not.
#[wasm_bindgen(js_name = labOf)]
pub fn lab_of(fragment: String) -> JsValue {
    let out = js_sys::Object::new();
    let (lab, error) = match route(&fragment) {
        (Route::Lab(id), _) => (JsValue::from_str(id), JsValue::NULL),
        (_, why) => (JsValue::NULL, why.map_or(JsValue::NULL, |e| JsValue::from_str(&e))),
    };
    let _ = js_sys::Reflect::set(&out, &"lab".into(), &lab);
    let _ = js_sys::Reflect::set(&out, &"error".into(), &error);
    out.into()
}

/// The rules JS reads (the playground's `options()`: web::config::options),
/// for pages without the playground (the labs).
#[wasm_bindgen(js_name = pageOptions)]
pub fn page_options() -> JsValue {
    crate::web::js::to_js(&crate::web::config::options())
}

/// The fragment with `key` set to `value` (web::link::with_key).
#[wasm_bindgen(js_name = linkWith)]
pub fn link_with(fragment: String, key: String, value: String) -> String {
    crate::web::link::with_key(&fragment, &key, &value)
}

/// The origins allowed to drive this embed by postMessage, or null for any
/// (web::link::allowed_origins: an invalid `origins` value allows none).
#[wasm_bindgen(js_name = originsOf)]
pub fn origins_of(fragment: String) -> JsValue {
    match crate::web::link::allowed_origins(&fragment) {
        None => JsValue::NULL,
        Some(list) => crate::web::js::to_js(&list),
    }
}

#[cfg(feature = "labs")]
/// A lab's keys and the values each takes (`{ key: { kind, min, max } |
/// { kind: "choice", ids } }`), for its page's controls; null for an unknown lab.
#[wasm_bindgen(js_name = labOptions)]
pub fn lab_options(id: String) -> JsValue {
    match crate::web::labs::ranges(&id) {
        None => JsValue::NULL,
        Some(ranges) => crate::web::js::to_js(&ranges.iter().map(|(k, r)| (*k, *r)).collect::<std::collections::BTreeMap<_, _>>()),
    }
}
