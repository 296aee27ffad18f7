//! Shaders as the crate includes them: `shaders/*.wgsl` with their comments,
//! blank lines and indentation dropped, written to `$OUT_DIR/shaders/`
//! (WGSL has no string literals, so `//` always starts a comment). The
//! sources stay the readable files in `shaders/`; the wasm carries about
//! half the bytes (the sampling kernels include the shared parts several
//! times). naga validates the minified text in the native tests, so what
//! ships is what is tested.

use std::path::Path;

fn minify(src: &str) -> String {
    let mut out = String::with_capacity(src.len() / 2);
    for line in src.lines() {
        let code = line.split("//").next().unwrap_or("").trim();
        if !code.is_empty() {
            out.push_str(code);
            out.push('\n');
        }
    }
    out
}

fn main() {
    // shaders/ stays at the repository's top level, beside the web layer's
    // www/ (the render kernel is the web layer's: crate::shaders).
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shaders");
    println!("cargo::rerun-if-changed={}", dir.display());
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("shaders");
    std::fs::create_dir_all(&out).expect("OUT_DIR is writable");
    for entry in std::fs::read_dir(&dir).expect("shaders/ is beside core/") {
        let path = entry.expect("a readable entry").path();
        if path.extension().is_some_and(|e| e == "wgsl") {
            println!("cargo::rerun-if-changed={}", path.display());
            let text = std::fs::read_to_string(&path).expect("a readable shader");
            std::fs::write(out.join(path.file_name().unwrap()), minify(&text)).expect("the minified shader is written");
        }
    }
}
