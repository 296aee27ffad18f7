// Starts the wasm app. Trunk's own loader is an inline <script>, which a
// strict Content-Security-Policy (script-src 'self') blocks, so Trunk.toml
// turns it off (inject_scripts = false) and this module does its work: load
// the wasm-bindgen glue, instantiate the wasm, publish the bindings and tell
// www/app.js (which waits for this event).
import init, * as bindings from "./diffusion-playground.js";

try {
  const wasm = await init({ module_or_path: new URL("./diffusion-playground_bg.wasm", import.meta.url) });
  window.wasmBindings = bindings;
  dispatchEvent(new CustomEvent("TrunkApplicationStarted", { detail: { wasm } }));
} catch (e) {
  dispatchEvent(new CustomEvent("PlaygroundLoadFailed", { detail: { error: e } }));
}
