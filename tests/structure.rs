//! The source tree's shape (issue 26): dependencies between `src/` modules
//! run one way (no import cycles), and no source file grows past 800 lines.
//! The numerical core is its own crate (`core/src/`: science, model, engine)
//! that the web crate re-exports at its root, so both trees are read as one
//! module namespace (`crate::engine::…` names the same module on both sides).
//!
//! The module graph is read from the text: every `crate::…`, `super::…` and
//! `self::…` path outside test modules (in `use` lines and inline paths),
//! resolved to the longest prefix that is a module file, is an edge from the
//! file that names it. A module's `mod child;` declaration is not an edge.
//! Cycles are the graph's strongly connected components with more than one
//! module (Tarjan). The negative controls feed the same reader a cycle and
//! a parent–child pair it must accept.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 800;

/// `src/web/labs/grf/page.rs` → `web::labs::grf::page`; `mod.rs` and `lib.rs` name their folder.
fn module_of(root: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(root).unwrap();
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let last = parts.pop().unwrap();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_string());
    }
    parts
}

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// Drops comments and string literals' contents (a path in a doc comment or
/// a message is not a dependency).
fn code_only(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let b: Vec<char> = src.chars().collect();
    let mut i = 0;
    while i < b.len() {
        if b[i] == '/' && b.get(i + 1) == Some(&'/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if b[i] == '/' && b.get(i + 1) == Some(&'*') {
            i += 2;
            while i + 1 < b.len() && !(b[i] == '*' && b[i + 1] == '/') {
                i += 1;
            }
            i += 2;
        } else if b[i] == '"' {
            out.push('"');
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    i += 1;
                }
                if b.get(i) == Some(&'\n') {
                    out.push('\n');
                }
                i += 1;
            }
            out.push('"');
            i += 1;
        } else if b[i] == '\'' && b.get(i + 2) == Some(&'\'') {
            // A char literal such as '{' (lifetimes have no closing quote).
            out.push_str("' '");
            i += 3;
        } else if b[i] == '\'' && b.get(i + 1) == Some(&'\\') {
            out.push_str("' '");
            i += 2;
            while i < b.len() && b[i] != '\'' {
                i += 1;
            }
            i += 1;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Expands the path tree at `s` (after `prefix::`): `a::b`, `a::{b, c::d}`, `{a, b::*}`.
fn expand(s: &[char], i: &mut usize, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    let skip_ws = |i: &mut usize| {
        while *i < s.len() && s[*i].is_whitespace() {
            *i += 1;
        }
    };
    skip_ws(i);
    if *i < s.len() && s[*i] == '{' {
        *i += 1;
        loop {
            skip_ws(i);
            if *i >= s.len() || s[*i] == '}' {
                *i += 1;
                out.push(prefix.clone());
                return;
            }
            expand(s, i, prefix.clone(), out);
            skip_ws(i);
            if *i < s.len() && s[*i] == ',' {
                *i += 1;
            }
        }
    }
    let start = *i;
    while *i < s.len() && is_ident(s[*i]) {
        *i += 1;
    }
    let mut path = prefix;
    if *i > start {
        path.push(s[start..*i].iter().collect());
    }
    if *i + 1 < s.len() && s[*i] == ':' && s[*i + 1] == ':' {
        *i += 2;
        expand(s, i, path, out);
    } else {
        out.push(path);
    }
}

/// The module paths one file names, each resolved against `modules`.
fn references(module: &[String], text: &str, modules: &BTreeSet<Vec<String>>) -> BTreeSet<Vec<String>> {
    let code: Vec<char> = code_only(text).chars().collect();
    let mut refs = BTreeSet::new();
    // Inline modules: (name, brace depth at which it opened, skipped as test code).
    let mut inline: Vec<(String, i32, bool)> = Vec::new();
    let mut depth = 0i32;
    let mut cfg_test_pending = false;
    let mut i = 0;
    while i < code.len() {
        let c = code[i];
        let word_start = i == 0 || !is_ident(code[i - 1]);
        if c == '{' {
            depth += 1;
            i += 1;
            continue;
        }
        if c == '}' {
            depth -= 1;
            while inline.last().is_some_and(|m| m.1 > depth) {
                inline.pop();
            }
            i += 1;
            continue;
        }
        let rest: String = code[i..(i + 16).min(code.len())].iter().collect();
        if rest.starts_with("#[cfg(test)]") {
            cfg_test_pending = true;
        }
        if word_start && rest.starts_with("mod ") {
            let mut j = i + 4;
            let s = j;
            while j < code.len() && is_ident(code[j]) {
                j += 1;
            }
            let name: String = code[s..j].iter().collect();
            while j < code.len() && code[j].is_whitespace() {
                j += 1;
            }
            if j < code.len() && code[j] == '{' {
                let skipped = cfg_test_pending || name == "tests" || inline.last().is_some_and(|m| m.2);
                inline.push((name, depth + 1, skipped));
            }
            cfg_test_pending = false;
            i = j;
            continue;
        }
        if c == ';' || c == '}' {
            cfg_test_pending = false;
        }
        let in_test = inline.last().is_some_and(|m| m.2);
        if word_start && !in_test {
            for (kw, base) in [("crate::", 0usize), ("super::", 1), ("self::", 2)] {
                if rest.starts_with(kw) {
                    let here: Vec<String> = module.iter().cloned().chain(inline.iter().map(|m| m.0.clone())).collect();
                    let prefix = match base {
                        0 => vec![],
                        1 => here[..here.len().saturating_sub(1)].to_vec(),
                        _ => here.clone(),
                    };
                    let mut j = i + kw.len();
                    let mut paths = Vec::new();
                    expand(&code, &mut j, prefix, &mut paths);
                    for p in paths {
                        let mut p = p;
                        while !p.is_empty() && !modules.contains(&p) {
                            p.pop();
                        }
                        refs.insert(p);
                    }
                    i = j;
                    break;
                }
            }
        }
        i += 1;
    }
    refs
}

/// Strongly connected components with more than one member (Tarjan).
fn cycles(graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<Vec<String>> {
    struct T<'a> {
        g: &'a BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        index: BTreeMap<&'a Vec<String>, usize>,
        low: BTreeMap<&'a Vec<String>, usize>,
        stack: Vec<&'a Vec<String>>,
        on: BTreeSet<&'a Vec<String>>,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a Vec<String>) {
        let n = t.index.len();
        t.index.insert(v, n);
        t.low.insert(v, n);
        t.stack.push(v);
        t.on.insert(v);
        if let Some(ws) = t.g.get(v) {
            for w in ws {
                let Some((w, _)) = t.g.get_key_value(w) else { continue };
                if !t.index.contains_key(w) {
                    visit(t, w);
                    let lw = t.low[w];
                    let lv = t.low.get_mut(v).unwrap();
                    *lv = (*lv).min(lw);
                } else if t.on.contains(w) {
                    let iw = t.index[w];
                    let lv = t.low.get_mut(v).unwrap();
                    *lv = (*lv).min(iw);
                }
            }
        }
        if t.low[v] == t.index[v] {
            let mut comp = Vec::new();
            loop {
                let w = t.stack.pop().unwrap();
                t.on.remove(w);
                comp.push(w.join("::"));
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                t.out.push(comp);
            }
        }
    }
    let mut t = T { g: graph, index: BTreeMap::new(), low: BTreeMap::new(), stack: vec![], on: BTreeSet::new(), out: vec![] };
    for v in graph.keys() {
        if !t.index.contains_key(v) {
            visit(&mut t, v);
        }
    }
    t.out
}

/// The module graph of a set of files given as (module path, text).
fn graph_of(files: &[(Vec<String>, String)]) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| f.0.clone()).collect();
    files
        .iter()
        .map(|(m, text)| {
            let mut refs = references(m, text, &modules);
            // A module naming itself or its ancestors' mod.rs files only to reach
            // down (`crate::web::x` from inside web) resolves to itself: not an edge.
            refs.remove(m);
            refs.remove(&Vec::new());
            (m.clone(), refs)
        })
        .collect()
}

/// The two crates' source trees: the web layer's `src/` and the core's `core/src/`.
const SOURCE_ROOTS: [&str; 2] = ["src", "core/src"];

fn src_files() -> Vec<(PathBuf, Vec<String>, String)> {
    let mut out = Vec::new();
    for dir in SOURCE_ROOTS {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        let mut files = Vec::new();
        rs_files(&root, &mut files);
        files.sort();
        out.extend(files.into_iter().map(|f| {
            let text = std::fs::read_to_string(&f).unwrap();
            (f.clone(), module_of(&root, &f), text)
        }));
    }
    out
}

#[test]
fn no_import_cycles_among_src_modules() {
    let files: Vec<(Vec<String>, String)> = src_files().into_iter().map(|(_, m, t)| (m, t)).collect();
    let graph = graph_of(&files);
    let edges: usize = graph.values().map(|s| s.len()).sum();
    assert!(edges > 50, "the reader found only {edges} edges: it is not reading the tree");
    // Spot checks that the reader sees real dependencies, grouped `use` trees included.
    let has = |a: &str, b: &str| graph[&a.split("::").map(String::from).collect::<Vec<_>>()].contains(&b.split("::").map(String::from).collect::<Vec<_>>());
    assert!(has("engine::cpu", "science::plan"), "engine::cpu uses science::plan");
    assert!(has("model::exact", "science::mixture"), "model::exact uses science::mixture");
    let found = cycles(&graph);
    assert!(found.is_empty(), "import cycles among src/ modules (each line one cycle's modules):\n{}", found.iter().map(|c| c.join(" ↔ ")).collect::<Vec<_>>().join("\n"));
}

#[test]
fn the_cycle_reader_catches_cycles_and_accepts_one_way_trees() {
    let m = |s: &str| s.split("::").map(String::from).collect::<Vec<_>>();
    // A cycle through a grouped use and an inline path.
    let bad = vec![
        (m("a"), "use crate::{b::Thing, c};\n".to_string()),
        (m("b"), "fn f() { crate::c::g(); }\n".to_string()),
        (m("c"), "use super::a::X;\n#[cfg(test)]\nmod tests { use crate::b::Y; }\n".to_string()),
    ];
    let c = cycles(&graph_of(&bad));
    assert_eq!(c, vec![vec!["a".to_string(), "b".to_string(), "c".to_string()]]);
    // The same without the back edge, a path in a comment or string, and test-only uses: no cycle.
    let good = vec![
        (m("a"), "use crate::{b::Thing, c};\n".to_string()),
        (m("b"), "fn f() { crate::c::g(); }\n".to_string()),
        (m("c"), "// crate::a::X\nconst S: &str = \"crate::a\";\n#[cfg(test)]\nmod tests { use crate::a::Y; }\n".to_string()),
    ];
    assert!(cycles(&graph_of(&good)).is_empty());
    // A child using its parent's items while the parent only declares it: one way.
    let tree = vec![(m("p"), "pub mod page;\npub fn helper() {}\n".to_string()), (m("p::page"), "use super::helper;\n".to_string())];
    assert!(cycles(&graph_of(&tree)).is_empty());
    // …but a parent that also uses the child's items closes a cycle.
    let both = vec![(m("p"), "pub mod page;\nuse self::page::run;\n".to_string()), (m("p::page"), "use super::helper;\n".to_string())];
    assert_eq!(cycles(&graph_of(&both)).len(), 1);
}

#[test]
fn no_source_file_over_800_lines() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in SOURCE_ROOTS {
        rs_files(&root.join(dir), &mut files);
    }
    for dir in ["www", "shaders"] {
        for e in std::fs::read_dir(root.join(dir)).unwrap() {
            files.push(e.unwrap().path());
        }
    }
    assert!(files.len() > 40);
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let n = std::fs::read_to_string(f).ok()?.lines().count();
            (n > MAX_LINES).then(|| format!("{} ({n} lines)", f.strip_prefix(root).unwrap().display()))
        })
        .collect();
    assert!(long.is_empty(), "files over {MAX_LINES} lines: {}", long.join(", "));
}

/// Array literals of quoted strings in JS text: each literal's strings.
fn string_arrays(js: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let b: Vec<char> = js.chars().collect();
    let mut i = 0;
    while i < b.len() {
        if b[i] == '[' {
            // Collect "…" or '…' strings up to the matching ']' if the literal holds only strings.
            let (mut j, mut items, mut only_strings) = (i + 1, Vec::new(), true);
            while j < b.len() && b[j] != ']' {
                match b[j] {
                    '"' | '\'' => {
                        let q = b[j];
                        let s = j + 1;
                        j += 1;
                        while j < b.len() && b[j] != q {
                            j += 1;
                        }
                        items.push(b[s..j.min(b.len())].iter().collect::<String>());
                    }
                    c if c.is_whitespace() || c == ',' => {}
                    _ => only_strings = false,
                }
                j += 1;
            }
            if only_strings && items.len() >= 2 {
                out.push(items);
            }
        }
        i += 1;
    }
    out
}

/// What JS must read from `options()` instead of copying: each list Rust
/// owns (every enumerated key's ids, the layers, the compare-shared keys,
/// the labs) and the palette. A JS array literal holding three or more of
/// one list's ids (all of a shorter list) is a copy; so is any palette colour.
fn copies_of_rust_rules(name: &str, text: &str) -> Vec<String> {
    let options = diffusion_playground::web::config::options();
    let mut lists: Vec<(String, Vec<String>)> = Vec::new();
    for (key, v) in options.as_object().unwrap() {
        if let Some(a) = v.as_array() {
            let ids: Vec<String> = a.iter().filter_map(|x| x.as_str().map(String::from)).collect();
            if ids.len() >= 2 && key != "palette" {
                lists.push((key.clone(), ids));
            }
        }
    }
    let mut found = Vec::new();
    for arr in string_arrays(text) {
        for (key, ids) in &lists {
            let hits = arr.iter().filter(|s| ids.contains(s)).count();
            if hits >= 3.min(ids.len()) && hits >= 2 {
                found.push(format!("{name}: [{}] copies options().{key}", arr.join(", ")));
            }
        }
    }
    let lower = text.to_ascii_lowercase();
    for c in options["palette"].as_array().unwrap() {
        if lower.contains(c.as_str().unwrap()) {
            found.push(format!("{name}: the palette colour {c} (read options().palette)"));
        }
    }
    found
}

#[test]
fn js_reads_the_rules_rust_owns_and_never_copies_them() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("www")).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "js")).collect();
    files.push(root.join("index.html"));
    assert!(files.len() >= 9, "{files:?}");
    let found: Vec<String> = files.iter().flat_map(|f| copies_of_rust_rules(&f.file_name().unwrap().to_string_lossy(), &std::fs::read_to_string(f).unwrap())).collect();
    assert!(found.is_empty(), "JS copies rules Rust owns:\n{}", found.join("\n"));
    // Negative controls: the copies this issue removed are caught.
    assert_eq!(copies_of_rust_rules("compare.js", r#"const SHARED = ["seed", "n", "embed", "autoplay", "theme"];"#).len(), 1);
    assert!(!copies_of_rust_rules("app.js", r##"const CLASS_COLOURS = ["#FFB040", "#5ac8fa"];"##).is_empty());
    assert!(!copies_of_rust_rules("app.js", r#"["ddpm", "em", "langevin", "pc"].includes(c.sampler)"#).is_empty());
    assert!(copies_of_rust_rules("messages.js", r#"const CALLS = ["setConfig", "run", "play"];"#).is_empty(), "lists JS owns are fine");
}
