//! The router: which page mode a link opens — the sampling playground,
//! compare mode (`compare=1`) or a lab (`lab=<id>`) — and which keys belong
//! to compare mode. The labs' own keys live with each lab (web::labs).

use super::pairs;

/// A page mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    Playground,
    Compare,
    Lab(&'static str),
}

/// The labs a link may open (`lab=<id>`), in the header's order.
pub const LABS: [&str; 5] = ["langevin", "guidance", "fokker_planck", "grf", "ais"];

/// The prefix of compare mode's panel-B keys (`b.steps=20`).
pub const COMPARE_PREFIX: &str = "b.";

/// Keys both compare panels take from A: the noise (seed, particle count)
/// and the page's presentation.
pub const COMPARE_SHARED: [&str; 6] = ["seed", "n", "embed", "autoplay", "theme", "origins"];

/// The lab a `lab=` value names, or why none (listing the labs).
pub fn lab(value: &str) -> Result<&'static str, String> {
    LABS.iter().find(|l| **l == value).copied().ok_or_else(|| format!("unknown lab {value:?} (labs: {})", LABS.join(", ")))
}

/// The page mode a fragment opens, and why it opened the playground
/// instead of what it asked for (an unknown lab). The last `lab=` counts;
/// a lab wins over `compare=1`; an unreadable fragment opens the playground
/// (its config says why).
pub fn route(fragment: &str) -> (Route, Option<String>) {
    let all = pairs(fragment).unwrap_or_default();
    if let Some((_, v)) = all.iter().rev().find(|(k, _)| k == "lab") {
        return match lab(v) {
            Ok(id) => (Route::Lab(id), None),
            Err(e) => (Route::Playground, Some(e)),
        };
    }
    if all.iter().any(|(k, v)| k == "compare" && v == "1") {
        return (Route::Compare, None);
    }
    (Route::Playground, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_opens_a_lab_compare_mode_or_the_playground() {
        assert_eq!(route("#v=1&dataset=moons"), (Route::Playground, None));
        assert_eq!(route("#lab=langevin&eps=0.01"), (Route::Lab("langevin"), None));
        assert_eq!(route("lab=grf&lab=ais"), (Route::Lab("ais"), None), "the last lab= counts");
        let (r, why) = route("lab=quantum");
        assert_eq!(r, Route::Playground);
        assert!(why.unwrap().contains(r#"unknown lab "quantum" (labs: langevin, guidance, fokker_planck, grf, ais)"#));
        assert_eq!(route("#%%%"), (Route::Playground, None));
        assert_eq!(route("compare=1&b.steps=3"), (Route::Compare, None));
        assert_eq!(route("compare=0"), (Route::Playground, None));
        assert_eq!(route("compare=1&lab=grf"), (Route::Lab("grf"), None));
    }
}
