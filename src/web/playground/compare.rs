//! Compare mode's link (`compare=1`): two panels, A and B, sampling two
//! configurations from the same noise. The link holds panel A's keys as
//! usual and, prefixed `b.`, the keys where panel B differs from A (e.g.
//! `compare=1&sampler=ddpm&steps=100&b.sampler=dpmpp2m&b.steps=20`). The noise
//! x_T depends only on the seed and the particle count, so those are shared,
//! as are the page's presentation keys; a `b.` form of them is ignored with
//! the reason. The page (www/compare.js) shows each panel as a playground of
//! its own and keeps the shared keys equal.

use crate::web::config::Config;
use crate::web::link::route::{route, Route, COMPARE_PREFIX as PREFIX, COMPARE_SHARED as SHARED};
use crate::web::link::{pairs, Ignored};

/// The two panels' configs (each a full fragment a playground reads) and the keys neither could use.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Panels {
    pub a: String,
    pub b: String,
    pub ignored: Vec<Ignored>,
}

/// Whether the fragment asks for compare mode (`compare=1`).
pub fn is_compare(fragment: &str) -> bool {
    route(fragment).0 == Route::Compare
}

/// Splits a compare link into the panels' fragments.
pub fn panels(fragment: &str) -> Panels {
    let all = match pairs(fragment) {
        Ok(p) => p,
        Err(bad) => {
            let a = Config::default().to_fragment();
            return Panels { b: a.clone(), a, ignored: vec![bad] };
        }
    };
    let mut ignored = Vec::new();
    let (mut a_pairs, mut b_only) = (Vec::new(), Vec::new());
    for (k, v) in all {
        if k == "compare" {
            if v != "1" && v != "0" {
                ignored.push(Ignored { key: k, value: v, reason: "must be 0 or 1".into() });
            }
        } else if let Some(key) = k.strip_prefix(PREFIX) {
            if SHARED.contains(&key) {
                let reason = format!("both panels use A's {key} (compare mode samples them from the same noise; set {key} without b.)");
                ignored.push(Ignored { key: k.clone(), value: v, reason });
            } else {
                b_only.push((key.to_string(), v, k));
            }
        } else {
            a_pairs.push((k, v));
        }
    }
    let (a, a_ignored) = {
        let mut cfg = Config::default();
        let bad = cfg.apply(a_pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        (cfg, bad)
    };
    ignored.extend(a_ignored);
    // B starts from A's valid config, so A's ignored keys are not reported twice.
    let mut b = a.clone();
    for (key, v, full) in b_only {
        for mut bad in b.apply([(key.as_str(), v.as_str())]) {
            bad.key = full.clone();
            ignored.push(bad);
        }
    }
    Panels { a: a.to_fragment(), b: b.to_fragment(), ignored }
}

/// The compare link for panels whose configs are the fragments `a` and `b`:
/// A's keys, `compare=1`, and B's keys that differ from A's, prefixed (B's
/// shared keys are A's by definition and never written).
pub fn fragment(a: &str, b: &str) -> String {
    let (a, _) = Config::from_fragment(a);
    let (b, _) = Config::from_fragment(b);
    let a_frag = a.to_fragment();
    let a_pairs = pairs(&a_frag).unwrap_or_default();
    let b_pairs = pairs(&b.to_fragment()).unwrap_or_default();
    let mut out = vec![("compare".to_string(), "1".to_string())];
    for (k, v) in b_pairs {
        if SHARED.contains(&k.as_str()) {
            continue;
        }
        if !a_pairs.iter().any(|(ak, av)| *ak == k && *av == v) {
            out.push((format!("{PREFIX}{k}"), v));
        }
    }
    let tail = serde_urlencoded::to_string(out).expect("string pairs always encode");
    format!("{a_frag}&{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::config::SamplerId;

    fn cfg(fragment: &str) -> Config {
        let (c, ignored) = Config::from_fragment(fragment);
        assert_eq!(ignored, vec![], "{fragment}");
        c
    }

    #[test]
    fn b_keys_override_a_and_shared_keys_come_from_a() {
        let p = panels("#v=1&compare=1&dataset=moons&sampler=ddpm&steps=100&seed=9&n=3000&b.sampler=dpmpp2m&b.steps=20&b.w=5");
        assert_eq!(p.ignored, vec![]);
        let (a, b) = (cfg(&p.a), cfg(&p.b));
        assert_eq!((a.sampler, a.steps), (SamplerId::Ddpm, 100));
        assert_eq!((b.sampler, b.steps, b.w), (SamplerId::DpmPp2m, 20, 5.0));
        assert_eq!(b.dataset, a.dataset);
        assert_eq!((a.seed, a.n), (9, 3000));
        assert_eq!((b.seed, b.n), (a.seed, a.n), "the same noise");
        // Only where they differ.
        assert!(Config { sampler: SamplerId::Ddpm, steps: 100, w: a.w, ..b.clone() } == a);
    }

    #[test]
    fn shared_and_bad_b_keys_are_ignored_with_a_reason() {
        let p = panels("compare=1&seed=4&b.seed=5&b.n=10&b.sampler=nope&b.theme=dark&steps=0&compare=2");
        let keys: Vec<&str> = p.ignored.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(keys, ["b.seed", "b.n", "b.theme", "compare", "steps", "b.sampler"]);
        assert!(p.ignored[0].reason.contains("same noise"), "{}", p.ignored[0].reason);
        assert_eq!(cfg(&p.b).seed, 4);
        assert_eq!(cfg(&p.b).sampler, Config::default().sampler);
        // An unreadable fragment leaves both panels at the defaults.
        let bad = panels("compare=1&%zz");
        assert_eq!(bad.ignored.len(), 1);
        assert_eq!(bad.a, Config::default().to_fragment());
    }

    #[test]
    fn the_link_round_trips_and_names_only_the_differences() {
        let a = "v=1&dataset=gaussians8&sampler=ddpm&steps=100&seed=3&guidance=cfg&w=1";
        let b = "v=1&dataset=gaussians8&sampler=ddpm&steps=100&seed=77&guidance=cfg&w=5&theme=dark";
        let link = fragment(a, b);
        assert!(is_compare(&link));
        assert!(!is_compare(a));
        let b_keys: Vec<&str> = link.split('&').filter(|kv| kv.starts_with(PREFIX)).collect();
        assert_eq!(b_keys, ["b.w=5"], "{link}");
        let p = panels(&link);
        assert_eq!(p.ignored, vec![]);
        assert_eq!(cfg(&p.a), cfg(a));
        // B as given, except that it shares A's noise and presentation.
        assert_eq!(cfg(&p.b), Config { seed: 3, theme: cfg(a).theme, ..cfg(b) });
        assert_eq!(fragment(&p.a, &p.b), link);
    }

    #[test]
    fn a_single_playground_says_why_it_ignores_compare_keys() {
        let (c, ignored) = Config::from_fragment("compare=0&steps=9&compare=1&b.w=3");
        assert_eq!(c.steps, 9);
        let reasons: Vec<(&str, &str)> = ignored.iter().map(|i| (i.key.as_str(), i.reason.as_str())).collect();
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert_eq!(reasons[0].0, "compare");
        assert!(reasons[0].1.contains("second panel"));
        assert_eq!(reasons[1], ("b.w", "a key of compare mode's panel B (needs compare=1)"));
    }
}
