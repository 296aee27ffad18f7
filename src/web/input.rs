//! Values from outside — the automation API, postMessage, the labs'
//! `setConfig`, a file the user picks — read without trusting them
//! (issue 31): each one's kind and size are checked before any of it is
//! copied into wasm memory, and every property is read through
//! `Reflect` (a wasm-bindgen `catch` import), so a getter or a proxy trap
//! that throws comes back as a message instead of unwinding through Rust
//! frames (which would skip their destructors and leave a `RefCell`
//! borrowed: the next call would panic). Every failure names the call and
//! what was wrong; nothing here panics (wasm32 only).

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// A JS value as a short noun for messages: "null", "a string", "an object", "a Float32Array"…
pub fn kind_of(v: &JsValue) -> String {
    if v.is_null() {
        return "null".into();
    }
    if v.is_undefined() {
        return "undefined".into();
    }
    match v.js_typeof().as_string().as_deref() {
        Some("object") => {
            if js_sys::Array::is_array(v) {
                return "an array".into();
            }
            // The constructor's name is read through Reflect too: a hostile getter says "an object".
            let name = js_sys::Reflect::get(v, &"constructor".into())
                .ok()
                .and_then(|c| js_sys::Reflect::get(&c, &"name".into()).ok())
                .and_then(|n| n.as_string())
                .filter(|n| n.len() <= 40 && n.chars().all(|c| c.is_ascii_alphanumeric()));
            match name {
                Some(n) if n != "Object" => format!("a {n}"),
                _ => "an object".into(),
            }
        }
        Some(t @ ("boolean" | "number" | "string" | "bigint" | "symbol" | "function")) => format!("a {t}"),
        _ => "a value".into(),
    }
}

/// What a thrown JS value says, for a message.
fn thrown(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .map(|s| s.chars().take(200).collect())
        .unwrap_or_else(|| kind_of(e))
}

/// `v[key]`, or the message of what reading it threw.
pub fn get(v: &JsValue, key: &str, call: &str) -> Result<JsValue, String> {
    js_sys::Reflect::get(v, &key.into()).map_err(|e| format!("{call}: reading {key} threw ({})", thrown(&e)))
}

/// A plain object's own string keys and their values (read once each), or
/// why not. At most `max_keys` keys.
pub fn entries(v: &JsValue, call: &str, max_keys: usize) -> Result<Vec<(String, JsValue)>, String> {
    if !v.is_object() || js_sys::Array::is_array(v) || v.is_function() {
        return Err(format!("{call} takes an object of keys, not {}", kind_of(v)));
    }
    let keys = js_sys::Reflect::own_keys(v).map_err(|e| format!("{call}: listing the keys threw ({})", thrown(&e)))?;
    if keys.length() as usize > max_keys {
        return Err(format!("{call}: {} keys; it takes at most {max_keys}", keys.length()));
    }
    let mut out = Vec::with_capacity(keys.length() as usize);
    for k in keys.iter() {
        // Symbol keys are not config keys; they are skipped like non-enumerable ones.
        let Some(name) = k.as_string() else { continue };
        let enumerable = js_sys::Reflect::get_own_property_descriptor(v.unchecked_ref::<js_sys::Object>(), &k)
            .ok()
            .filter(|d| d.is_object())
            .and_then(|d| js_sys::Reflect::get(&d, &"enumerable".into()).ok())
            .is_some_and(|e| e.is_truthy());
        if enumerable {
            let value = get(v, &name, call)?;
            out.push((name, value));
        }
    }
    Ok(out)
}

/// The length of an `Array` (or a proxy of one), read through `Reflect`, at most `max`.
fn checked_length(v: &JsValue, what: &str, max: usize) -> Result<usize, String> {
    let len = get(v, "length", what)?.as_f64().ok_or_else(|| format!("{what} has no numeric length"))?;
    if !(len >= 0.0 && len.fract() == 0.0) {
        return Err(format!("{what} has length {len}"));
    }
    if len > max as f64 {
        return Err(format!("{what} has {len} entries; at most {max} are read"));
    }
    Ok(len as usize)
}

/// A fresh `new <class>(v)` made in the JS heap, or why not. Built from a
/// typed array or a buffer, it reads their internal slots, not properties
/// an own getter could fake; the copy's own length is then trusted.
fn typed_copy(v: &JsValue, class: &str, what: &str) -> Result<JsValue, String> {
    let ctor = js_sys::Reflect::get(&js_sys::global(), &class.into()).map_err(|e| format!("{what}: no {class} ({})", thrown(&e)))?;
    let ctor: &js_sys::Function = ctor.dyn_ref().ok_or_else(|| format!("{what}: no {class} constructor"))?;
    js_sys::Reflect::construct(ctor, &js_sys::Array::of1(v)).map_err(|e| format!("{what}: {} does not convert to a {class} ({})", kind_of(v), thrown(&e)))
}

/// Numbers from an `Array` of numbers or a numeric typed array (not a
/// BigInt64Array, a DataView or an array-like object), at most `max` of
/// them, every one checked. `what` names it in messages ("setData: x").
pub fn numbers(v: &JsValue, what: &str, max: usize) -> Result<Vec<f64>, String> {
    if js_sys::ArrayBuffer::is_view(v) {
        if v.is_instance_of::<js_sys::DataView>() || v.is_instance_of::<js_sys::BigInt64Array>() || v.is_instance_of::<js_sys::BigUint64Array>() {
            return Err(format!("{what} must be an array or a typed array of numbers, not {}", kind_of(v)));
        }
        let copy: js_sys::Float64Array = typed_copy(v, "Float64Array", what)?.unchecked_into();
        let n = copy.length() as usize;
        if n > max {
            return Err(format!("{what} has {n} entries; at most {max} are read"));
        }
        return Ok(copy.to_vec());
    }
    if !js_sys::Array::is_array(v) {
        return Err(format!("{what} must be an array or a typed array of numbers, not {}", kind_of(v)));
    }
    let n = checked_length(v, what, max)?;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let x = js_sys::Reflect::get_u32(v, i as u32).map_err(|e| format!("{what}: reading [{i}] threw ({})", thrown(&e)))?;
        out.push(x.as_f64().ok_or_else(|| format!("{what}[{i}] is {}, not a number", kind_of(&x)))?);
    }
    Ok(out)
}

/// A file's bytes from a `Uint8Array` or an `ArrayBuffer`, at most `max`
/// bytes (checked before the copy into wasm memory).
pub fn bytes(v: &JsValue, what: &str, max: usize) -> Result<Vec<u8>, String> {
    let bytes_like = (v.is_instance_of::<js_sys::Uint8Array>() && js_sys::ArrayBuffer::is_view(v)) || v.is_instance_of::<js_sys::ArrayBuffer>();
    if !bytes_like {
        return Err(format!("{what} takes the file's bytes (a Uint8Array or an ArrayBuffer), not {}", kind_of(v)));
    }
    let view = typed_copy(v, "Uint8Array", what)?;
    let view: js_sys::Uint8Array = view.unchecked_into();
    let n = view.length() as usize;
    if n > max {
        return Err(format!("{what} is {n} bytes; at most {max} are read"));
    }
    Ok(view.to_vec())
}

/// A string of at most `max` UTF-16 units (checked before the copy).
pub fn text(v: &JsValue, what: &str, max: usize) -> Result<String, String> {
    let Some(s) = v.dyn_ref::<js_sys::JsString>() else {
        return Err(format!("{what} takes a string, not {}", kind_of(v)));
    };
    let n = s.length() as usize;
    if n > max {
        return Err(format!("{what} is {n} characters; at most {max} are read"));
    }
    Ok(String::from(s))
}

/// A config value from outside as the link would write it: numbers as
/// their shortest form (integers without a point), booleans as 0/1,
/// strings as they are; anything else is refused.
pub fn scalar(v: &JsValue, key: &str, call: &str) -> Result<String, String> {
    if let Some(x) = v.as_f64() {
        return Ok(if x.fract() == 0.0 && x.abs() < 1e18 { format!("{}", x as i64) } else { x.to_string() });
    }
    if let Some(b) = v.as_bool() {
        return Ok((b as u8).to_string());
    }
    if v.is_string() {
        return text(v, &format!("{call}: {key}"), 4096);
    }
    Err(format!("{call}: {key} must be a number, a string or a boolean, not {}", kind_of(v)))
}

/// Installs the panic hook once: the message on the console (as
/// console_error_panic_hook writes it) and a count a test can read
/// ([`panic_count`]). A panic is a bug: after one the module's state is not
/// to be trusted, and the hostile-input test checks none happened.
pub fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            PANICS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            console_error_panic_hook::hook(info);
        }));
    });
}

static PANICS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// How many times Rust panicked in this module instance.
pub fn panic_count() -> u32 {
    PANICS.load(std::sync::atomic::Ordering::Relaxed)
}
