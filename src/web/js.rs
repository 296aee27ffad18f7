//! The browser, once: values to and from JS, the clock, fetching a file,
//! the 2D canvas, and the one WebGPU probe every page mode uses. Every
//! other web module goes through these (wasm32 only).

use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::engine::gpu::GpuContext;

/// A Rust value as a plain JS value (maps as objects, numbers as numbers).
pub fn to_js<T: Serialize>(v: &T) -> JsValue {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).unwrap_or(JsValue::NULL)
}

/// `{ x: Float32Array, label: Int32Array | null }`, the shape of `samples()` and `data()`.
pub fn points_to_js(x: &[f32], label: Option<&[i32]>) -> JsValue {
    let out = js_sys::Object::new();
    let label = label.map_or(JsValue::NULL, |l| js_sys::Int32Array::from(l).into());
    let _ = js_sys::Reflect::set(&out, &"x".into(), &js_sys::Float32Array::from(x));
    let _ = js_sys::Reflect::set(&out, &"label".into(), &label);
    out.into()
}

/// A future as a Promise whose rejections are `Error`s (a message string
/// becomes `new Error(message)`), so every caller can read `e.message`.
/// (Boxed, so the wrapper is compiled once, not once per caller.)
pub fn promise<F: std::future::Future<Output = Result<JsValue, JsValue>> + 'static>(f: F) -> js_sys::Promise {
    to_promise(Box::pin(f))
}

fn to_promise(f: std::pin::Pin<Box<dyn std::future::Future<Output = Result<JsValue, JsValue>>>>) -> js_sys::Promise {
    wasm_bindgen_futures::future_to_promise(async move { f.await.map_err(|e| e.as_string().map_or(e, |s| js_sys::Error::new(&s).into())) })
}

/// The page's monotonic clock in milliseconds (`performance.now()`).
pub fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map(|p| p.now()).unwrap_or(0.0)
}

/// The most keys a `setConfig`/`checkConfig` argument may have (the table has about 40).
const CONFIG_KEYS_READ_MAX: usize = 256;

/// The `(key, value)` pairs of a `setConfig`/`checkConfig` argument, read
/// safely (web::input): `setConfig({steps: 50})` and `setConfig({steps:
/// "50"})` are the same; a value that is not a number, string or boolean,
/// or a key whose getter throws, is an error naming it.
pub fn config_pairs(partial: JsValue) -> Result<impl Iterator<Item = (String, String)>, JsError> {
    // In key order, as the link writes them (and as setConfig always applied them).
    let pairs: std::collections::BTreeMap<String, String> = crate::web::input::entries(&partial, "setConfig", CONFIG_KEYS_READ_MAX)
        .and_then(|e| e.into_iter().map(|(k, v)| crate::web::input::scalar(&v, &k, "setConfig").map(|s| (k, s))).collect())
        .map_err(|e| JsError::new(&e))?;
    Ok(pairs.into_iter())
}

/// The bytes at `url` (relative to the page), or why not.
pub async fn fetch_bytes(url: &str) -> Result<Vec<u8>, String> {
    let window = web_sys::window().ok_or("no window")?;
    let resp: web_sys::Response = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|e| format!("the request failed ({})", e.as_string().unwrap_or_else(|| format!("{e:?}"))))?
        .dyn_into()
        .map_err(|_| "the fetch did not return a response".to_string())?;
    if !resp.ok() {
        return Err(format!("HTTP {} {}", resp.status(), resp.status_text()));
    }
    let buf = JsFuture::from(resp.array_buffer().map_err(|_| "the response has no body".to_string())?)
        .await
        .map_err(|_| "reading the response failed".to_string())?;
    Ok(js_sys::Uint8Array::new(&buf).to_vec())
}

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

/// The page's WebGPU, probed once per page mode: the context, with the CPU
/// emulation it is (SwiftShader, a fallback adapter) recorded so that every
/// caller's backend policy sees it; or why there is none.
pub async fn probe_gpu() -> Result<GpuContext, String> {
    let mut ctx = GpuContext::new().await.map_err(|e| e.to_string())?;
    if let Some(name) = emulation().await {
        ctx.set_emulation(Some(name));
    }
    Ok(ctx)
}

fn get(v: &JsValue, key: &str) -> Option<JsValue> {
    js_sys::Reflect::get(v, &JsValue::from_str(key)).ok().filter(|x| !x.is_undefined() && !x.is_null())
}

/// What the browser says of its WebGPU adapter that wgpu does not pass on:
/// the name of the CPU emulation it is ("SwiftShader", "a fallback
/// adapter"), or `None` for a hardware GPU or when the browser will not say.
/// The engine then runs the MLP kernel made for emulations
/// (`engine::gpu::Kernel::MlpPerThread`), several times faster there.
async fn emulation() -> Option<String> {
    let gpu = get(&get(&js_sys::global(), "navigator")?, "gpu")?;
    let request = get(&gpu, "requestAdapter")?.dyn_into::<js_sys::Function>().ok()?;
    let adapter = JsFuture::from(request.call0(&gpu).ok()?.dyn_into::<js_sys::Promise>().ok()?).await.ok()?;
    let info = get(&adapter, "info")?;
    let text = |k: &str| get(&info, k).and_then(|v| v.as_string()).unwrap_or_default();
    if let Some(name) = crate::engine::gpu::emulation_named(&format!("{} {} {}", text("vendor"), text("architecture"), text("description"))) {
        return Some(name);
    }
    let fallback = get(&info, "isFallbackAdapter").or_else(|| get(&adapter, "isFallbackAdapter")).and_then(|v| v.as_bool()).unwrap_or(false);
    fallback.then(|| "a fallback adapter".into())
}
