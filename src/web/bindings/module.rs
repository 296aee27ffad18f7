//! What the wasm module answers whichever page it serves (the playground's
//! or the labs'): how many times Rust panicked in it. A panic is a bug (bad
//! input gets a message, never a trap); the hostile-input test reads this.

use wasm_bindgen::prelude::*;

/// Panics so far in this module instance (web::input::install_panic_hook).
#[wasm_bindgen(js_name = panicCount)]
pub fn panic_count() -> u32 {
    crate::web::input::panic_count()
}

/// The hostile-input test's control (e2e/hostile.test.mjs): one deliberate
/// panic, so the test sees the counter count it (a counter that never moves
/// would pass every check). The page never calls it.
#[wasm_bindgen(js_name = panicForTest)]
pub fn panic_for_test() {
    panic!("a deliberate panic (panicForTest)");
}
