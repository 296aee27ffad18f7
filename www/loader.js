// Starts the wasm app. Trunk's own loader is an inline <script>, which a
// strict Content-Security-Policy (script-src 'self') blocks, so Trunk.toml
// turns it off (inject_scripts = false) and this module does its work: load
// the wasm-bindgen glue, instantiate the wasm, publish the bindings and tell
// www/app.js (which waits for this event).
import init, * as bindings from "./diffusion-playground.js";

// The labs' classes live in a module of their own (tools/build-labs.sh),
// loaded only when a link opens a lab: the playground's page loads less.
window.loadLabBindings = async () => {
  const labs = await import("./diffusion-playground-labs.js");
  await labs.default({ module_or_path: new URL("./diffusion-playground-labs_bg.wasm", import.meta.url) });
  return labs;
};

try {
  const wasm = await init({ module_or_path: new URL("./diffusion-playground_bg.wasm", import.meta.url) });
  window.wasmBindings = bindings;
  dispatchEvent(new CustomEvent("TrunkApplicationStarted", { detail: { wasm } }));
} catch (e) {
  dispatchEvent(new CustomEvent("PlaygroundLoadFailed", { detail: { error: e } }));
}
