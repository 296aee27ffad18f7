//! Share links: the fragment's `key=value` pairs, the value parsers every
//! page mode uses, the [`Ignored`] notice a bad key becomes, and the router
//! ([`route`]): which page mode a link opens and which keys belong to it.
//!
//! A leaf of the web layer: it imports nothing above it, so the playground's
//! config, compare mode and the labs all build on it without reaching into
//! each other.

pub mod route;

use serde::Serialize;

/// A key the page could not use, with the reason shown to the user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ignored {
    pub key: String,
    pub value: String,
    pub reason: String,
}

impl std::fmt::Display for Ignored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}={}: {}", self.key, self.value, self.reason)
    }
}

/// A fragment's (with or without `#`) decoded `key=value` pairs, in order,
/// or the notice that it is unreadable.
pub fn pairs(fragment: &str) -> Result<Vec<(String, String)>, Ignored> {
    let body = fragment.strip_prefix('#').unwrap_or(fragment);
    serde_urlencoded::from_str::<Vec<(String, String)>>(body).map_err(|e| Ignored {
        key: "#".into(),
        value: body.chars().take(80).collect(),
        reason: format!("unreadable link fragment ({e})"),
    })
}

/// A whole number in `[lo, hi]`.
pub fn parse_int(value: &str, lo: u64, hi: u64) -> Result<u64, String> {
    let v: u64 = value.trim().parse().map_err(|_| format!("not a whole number (allowed {lo}–{hi})"))?;
    if v < lo || v > hi {
        return Err(format!("out of range (allowed {lo}–{hi})"));
    }
    Ok(v)
}

/// A finite number in `[lo, hi]` (NaN and infinities are out of range).
pub fn parse_float(value: &str, lo: f64, hi: f64) -> Result<f64, String> {
    let v: f64 = value.trim().parse().map_err(|_| format!("not a number (allowed {lo}–{hi})"))?;
    if !(lo..=hi).contains(&v) {
        return Err(format!("out of range (allowed {lo}–{hi})"));
    }
    Ok(v)
}

/// `value` if it is one of `allowed`, else why not (naming them).
pub fn one_of(value: &str, allowed: &[&str]) -> Result<String, String> {
    allowed.iter().find(|a| **a == value).map(|a| a.to_string()).ok_or_else(|| format!("not one of {}", allowed.join(", ")))
}

/// The `origins` key: comma-separated origins (`scheme://host[:port]`, no
/// path), normalised to lower case; empty for any origin.
pub fn parse_origins(value: &str) -> Result<String, String> {
    let mut out = Vec::new();
    for o in value.split(',').map(str::trim).filter(|o| !o.is_empty()) {
        let (scheme, rest) = o.split_once("://").ok_or_else(|| format!("{o} is not an origin (scheme://host[:port])"))?;
        let ok_scheme = !scheme.is_empty() && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
        let ok_host = !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c));
        if !ok_scheme || !ok_host {
            return Err(format!("{o} is not an origin (scheme://host[:port], no path)"));
        }
        out.push(o.to_ascii_lowercase());
    }
    Ok(out.join(","))
}

/// The fragment with `key` set to `value` (its first occurrence replaced
/// and any later ones dropped, or appended), re-encoded: how the page turns
/// a link into its embed form and back (`embed=1` / `embed=0`).
pub fn with_key(fragment: &str, key: &str, value: &str) -> String {
    let mut all = pairs(fragment).unwrap_or_default();
    match all.iter().position(|(k, _)| k == key) {
        Some(i) => {
            all[i].1 = value.to_string();
            let mut seen = false;
            all.retain(|(k, _)| k != key || !std::mem::replace(&mut seen, true));
        }
        None => all.push((key.to_string(), value.to_string())),
    }
    serde_urlencoded::to_string(all).expect("string pairs always encode")
}

/// The parent origins allowed to drive an embed by postMessage (the link's
/// last `origins` key, checked as the config checks it): `None` for any
/// origin (no key, or an empty one); an invalid value allows none (the
/// page's notice says it was ignored).
pub fn allowed_origins(fragment: &str) -> Option<Vec<String>> {
    let value = pairs(fragment).ok()?.into_iter().rev().find(|(k, _)| k == "origins")?.1;
    match parse_origins(&value) {
        Ok(list) if list.is_empty() => None,
        Ok(list) => Some(list.split(',').map(String::from).collect()),
        Err(_) => Some(Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsers_check_ranges_and_name_what_is_allowed() {
        assert_eq!(parse_int(" 7 ", 1, 10), Ok(7));
        assert!(parse_int("11", 1, 10).unwrap_err().contains("1–10"));
        assert!(parse_int("-1", 0, 10).unwrap_err().contains("whole number"));
        assert_eq!(parse_float("0.5", 0.0, 1.0), Ok(0.5));
        for bad in ["NaN", "inf", "-inf", "1.5", "x"] {
            assert!(parse_float(bad, 0.0, 1.0).is_err(), "{bad}");
        }
        assert_eq!(one_of("b", &["a", "b"]), Ok("b".into()));
        assert_eq!(one_of("c", &["a", "b"]), Err("not one of a, b".into()));
        assert_eq!(parse_origins("https://A.example, http://127.0.0.1:8000"), Ok("https://a.example,http://127.0.0.1:8000".into()));
        assert!(parse_origins("https://a.example/path").is_err());
        assert!(parse_origins("a.example").is_err());
        assert_eq!(pairs("#a=1&b=x%20y").unwrap(), vec![("a".into(), "1".into()), ("b".into(), "x y".into())]);
        // The decoder is lenient: a bad escape stays text, and the key is then reported as unknown.
        assert_eq!(pairs("%zz=1").unwrap(), vec![("%zz".into(), "1".into())]);
    }

    #[test]
    fn links_change_one_key_and_say_which_origins_may_drive_them() {
        assert_eq!(with_key("v=1&embed=1&theme=dark", "embed", "0"), "v=1&embed=0&theme=dark");
        assert_eq!(with_key("v=1&embed=1&x=2&embed=1", "embed", "0"), "v=1&embed=0&x=2", "one embed key stays");
        assert_eq!(with_key("lab=grf", "embed", "1"), "lab=grf&embed=1");
        assert_eq!(with_key("#layers=data%2Cparticles", "embed", "1"), "layers=data%2Cparticles&embed=1");
        assert_eq!(allowed_origins("v=1"), None);
        assert_eq!(allowed_origins("origins="), None);
        assert_eq!(allowed_origins("origins=https://A.example,http://127.0.0.1:8000"), Some(vec!["https://a.example".into(), "http://127.0.0.1:8000".into()]));
        assert_eq!(allowed_origins("origins=https://a.example/path"), Some(vec![]), "an invalid list allows no origin");
    }
}
