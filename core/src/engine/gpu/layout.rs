//! One check of every host struct shared with a kernel against the WGSL
//! struct as naga lays it out (tests only: this crate's, and the web layer's through the `layout`
//! feature): the same size, and each WGSL
//! member that is not padding (`pad…`, `_pad…`) at the host field's offset,
//! with no member unnamed on either side.

/// (member name, byte offset) of a WGSL struct, and its size, as naga lays it out.
pub fn wgsl_layout(src: &str, name: &str) -> (Vec<(String, u32)>, u32) {
    let module = naga::front::wgsl::parse_str(src).expect("the kernel parses");
    let ty = module.types.iter().find(|(_, t)| t.name.as_deref() == Some(name)).unwrap_or_else(|| panic!("no struct {name}")).1;
    match &ty.inner {
        naga::TypeInner::Struct { members, span } => (members.iter().map(|m| (m.name.clone().unwrap_or_default(), m.offset)).collect(), *span),
        other => panic!("{name} is not a struct: {other:?}"),
    }
}

fn is_padding(name: &str) -> bool {
    name.trim_start_matches('_').starts_with("pad")
}

/// The host struct `(size, [(field, offset)])` against WGSL struct `name` in
/// `src`: panics naming the first difference. Padding may differ in shape
/// (`pad: [u32; 3]` against `pad0 … pad2`): the size covers it.
pub fn check_layout(src: &str, name: &str, size: usize, fields: &[(&str, usize)]) {
    let (members, span) = wgsl_layout(src, name);
    assert_eq!(span as usize, size, "{name}: WGSL size {span}, host size {size}");
    for (m, off) in members.iter().filter(|(m, _)| !is_padding(m)) {
        let host = fields.iter().find(|(f, _)| f == m).unwrap_or_else(|| panic!("{name}.{m}: a WGSL member the host struct does not name"));
        assert_eq!(host.1, *off as usize, "{name}.{m}: host offset {} against WGSL {off}", host.1);
    }
    for (f, o) in fields.iter().filter(|(f, _)| !is_padding(f)) {
        let wgsl = members.iter().find(|(m, _)| m == f).unwrap_or_else(|| panic!("{name}.{f}: a host field WGSL does not have"));
        assert_eq!(wgsl.1 as usize, *o, "{name}.{f}");
    }
}

/// `assert_wgsl_layout!(SOURCE, "WgslName" => HostType { field, … })`:
/// [`check_layout`] with the host's sizes and offsets taken by the compiler.
#[macro_export]
macro_rules! assert_wgsl_layout {
    ($src:expr, $name:literal => $t:ty { $($f:ident),* $(,)? }) => {
        $crate::engine::gpu::layout::check_layout($src, $name, ::std::mem::size_of::<$t>(), &[$((stringify!($f), ::std::mem::offset_of!($t, $f))),*])
    };
}
pub use crate::assert_wgsl_layout;

#[cfg(test)]
mod tests {
    const SRC: &str = "struct P { n: u32, seed: u32, scale: f32, pad0: u32, }\n@group(0) @binding(0) var<uniform> p: P;\n";

    #[repr(C)]
    struct Good {
        n: u32,
        seed: u32,
        scale: f32,
        pad: u32,
    }

    #[repr(C)]
    struct Swapped {
        seed: u32,
        n: u32,
        scale: f32,
        pad: u32,
    }

    #[repr(C)]
    struct Short {
        n: u32,
        seed: u32,
        scale: f32,
    }

    #[test]
    fn the_layout_check_accepts_a_twin_and_names_each_kind_of_drift() {
        assert_wgsl_layout!(SRC, "P" => Good { n, seed, scale, pad });
        let fails = |f: fn()| std::panic::catch_unwind(f).unwrap_err().downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(fails(|| assert_wgsl_layout!(SRC, "P" => Swapped { n, seed, scale })).contains("P.n"), "swapped fields");
        assert!(fails(|| assert_wgsl_layout!(SRC, "P" => Short { n, seed, scale })).contains("size"), "a missing padding word");
        assert!(fails(|| assert_wgsl_layout!(SRC, "P" => Good { n, seed })).contains("P.scale"), "an unnamed member");
    }
}
