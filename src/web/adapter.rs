//! What the browser says of its WebGPU adapter that wgpu does not pass on:
//! whether it is a CPU emulation of a GPU (SwiftShader in headless Chrome,
//! a fallback adapter). The engine then runs the MLP kernel made for
//! emulations (`engine::gpu::Kernel::MlpPerThread`), several times faster
//! there than the cooperative kernel made for GPUs.

use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

fn get(v: &JsValue, key: &str) -> Option<JsValue> {
    Reflect::get(v, &JsValue::from_str(key)).ok().filter(|x| !x.is_undefined() && !x.is_null())
}

/// The emulation's name ("SwiftShader", "a fallback adapter"), or `None`
/// for a hardware GPU or when the browser will not say.
pub async fn emulation() -> Option<String> {
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
