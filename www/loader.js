// Starts the wasm app. Trunk's own loader is an inline <script>, which a
// strict Content-Security-Policy (script-src 'self') blocks, so Trunk.toml
// turns it off (inject_scripts = false) and this module does its work: load
// the wasm-bindgen glue, instantiate the wasm, publish the bindings and tell
// www/app.js (which waits for this event).
//
// The page is two modules of one crate: the playground's and the labs'
// (tools/build-labs.sh). Each holds the router (labOf). A link that may open
// a lab asks the labs' module first, and keeps it when Rust's router says
// it is a lab; anything else loads the playground's. The substring test is
// only which module to ask: the decision is Rust's.
const MODULES = {
  playground: ["./diffusion-playground.js", "./diffusion-playground_bg.wasm"],
  labs: ["./diffusion-playground-labs.js", "./diffusion-playground-labs_bg.wasm"],
};
const loaded = {};
const load = (name) => (loaded[name] ||= (async () => {
  const [glue, wasm] = MODULES[name];
  const bindings = await import(glue);
  await bindings.default({ module_or_path: new URL(wasm, import.meta.url) });
  return bindings;
})());

// The labs' classes, for www/app.js when the router opens a lab.
window.loadLabBindings = () => load("labs");

try {
  let bindings = null;
  if (location.hash.includes("lab=")) {
    const labs = await load("labs");
    if (labs.labOf(location.hash).lab) bindings = labs;
  }
  bindings ||= await load("playground");
  window.wasmBindings = bindings;
  dispatchEvent(new CustomEvent("TrunkApplicationStarted", { detail: {} }));
} catch (e) {
  dispatchEvent(new CustomEvent("PlaygroundLoadFailed", { detail: { error: e } }));
}
