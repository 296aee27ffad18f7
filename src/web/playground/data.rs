//! The data a run learns from and samples towards (`dataset=`): one of the
//! built-in sets, or the user's own points (`dataset=custom`, drawn in the
//! editor, pasted as CSV or set through `setData`), with everything that
//! moves user points in and out of the page: quantizing them to the link's
//! grid, the share-link codec (`points=`), and CSV.
//!
//! A user's set is kept in canonical form from the moment it enters: every
//! coordinate on the link's 4 096-step grid of the box, the points sorted by
//! class and then along a Z-order curve. A link therefore carries the set
//! exactly, and a retrained model from a link is the same model.

use std::io::Write as _;
use std::rc::Rc;

use base64::Engine as _;

use crate::science::datasets::{Dataset, PointSet, BOX_HALF_WIDTH, CUSTOM_CLASSES_MAX, CUSTOM_POINTS_MAX};
use crate::science::mixture::Mixture;

/// Grid steps per axis of the box a user's points are kept on (12 bits:
/// a step is 8/4 096 ≈ 0.002).
pub const GRID: u32 = 4096;
/// Longest `points=` value a link carries. 2 000 points take 4 478
/// characters as a two-moons set and 5 559 spread uniformly over the box
/// (the worst case for the Z-order deltas; the tests check both), so at
/// least 4 000 always fit; a larger set is thinned, with a notice.
pub const LINK_CHARS_MAX: usize = 12_000;
/// Longest `points=` value a link is read with (a hand-made link may be
/// longer than ours; nothing longer is decoded).
pub const LINK_CHARS_READ_MAX: usize = 64_000;
/// Points a built-in set lends the trainer (`model=trained` on it), and the
/// seed of their draw.
pub const BUILTIN_TRAIN_POINTS: usize = 1000;
pub const BUILTIN_TRAIN_SEED: u32 = 0x7a1;

/// The dataset a config names.
#[derive(Clone, Debug, PartialEq)]
pub enum Data {
    Builtin(Dataset),
    Custom(Rc<PointSet>),
}

impl Data {
    pub fn id(&self) -> &'static str {
        match self {
            Data::Builtin(d) => d.id(),
            Data::Custom(_) => "custom",
        }
    }

    pub fn builtin(&self) -> Option<Dataset> {
        match self {
            Data::Builtin(d) => Some(*d),
            Data::Custom(_) => None,
        }
    }

    pub fn num_classes(&self) -> usize {
        match self {
            Data::Builtin(d) => d.num_classes(),
            Data::Custom(s) => s.num_classes(),
        }
    }

    /// `n` draws with their labels (draw `i` depends only on `(seed, i)`).
    pub fn sample(&self, n: usize, seed: u32) -> (Vec<[f32; 2]>, Vec<i32>) {
        match self {
            Data::Builtin(d) => d.sample(n, seed),
            Data::Custom(s) => s.sample_range(0, n, seed),
        }
    }

    /// The distribution `model=exact` samples (science::datasets).
    pub fn exact_mixture(&self) -> Mixture {
        match self {
            Data::Builtin(d) => d.exact_mixture(),
            Data::Custom(s) => s.exact_mixture(),
        }
    }

    /// The points the in-page trainer learns: the user's set, or a fixed
    /// draw of [`BUILTIN_TRAIN_POINTS`] of a built-in one.
    pub fn training_set(&self) -> PointSet {
        match self {
            Data::Custom(s) => (**s).clone(),
            Data::Builtin(d) => {
                let (points, labels) = d.sample(BUILTIN_TRAIN_POINTS, BUILTIN_TRAIN_SEED);
                PointSet { points, labels: labels.into_iter().map(|l| l as u32).collect() }
            }
        }
    }
}

/// A coordinate's grid step, if it lies in the box.
fn grid_step(v: f32) -> Option<u32> {
    let h = BOX_HALF_WIDTH as f32;
    (v.is_finite() && (-h..=h).contains(&v)).then(|| ((((v + h) / (2.0 * h)) * GRID as f32) as u32).min(GRID - 1))
}

/// The centre of grid step `q`.
fn grid_value(q: u32) -> f32 {
    let h = BOX_HALF_WIDTH as f32;
    -h + (q as f32 + 0.5) * (2.0 * h / GRID as f32)
}

/// The Z-order (Morton) code of a grid cell: nearby cells get nearby codes.
fn morton(qx: u32, qy: u32) -> u32 {
    fn spread(mut v: u32) -> u32 {
        v &= 0xffff;
        v = (v | (v << 8)) & 0x00ff_00ff;
        v = (v | (v << 4)) & 0x0f0f_0f0f;
        v = (v | (v << 2)) & 0x3333_3333;
        (v | (v << 1)) & 0x5555_5555
    }
    spread(qx) | (spread(qy) << 1)
}

fn unmorton(code: u32) -> (u32, u32) {
    fn squeeze(mut v: u32) -> u32 {
        v &= 0x5555_5555;
        v = (v | (v >> 1)) & 0x3333_3333;
        v = (v | (v >> 2)) & 0x0f0f_0f0f;
        v = (v | (v >> 4)) & 0x00ff_00ff;
        (v | (v >> 8)) & 0xffff
    }
    (squeeze(code), squeeze(code >> 1))
}

/// How a batch of points entered the set: how many were kept, and how many
/// were left out and why (the page says so; nothing is moved silently).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Added {
    pub kept: usize,
    pub outside: usize,
    pub over_limit: usize,
}

impl Added {
    /// The notice for what was left out, if anything was.
    pub fn notice(&self) -> Option<String> {
        let mut parts = Vec::new();
        if self.outside > 0 {
            parts.push(format!("{} outside the box [−4, 4]² (or not finite)", self.outside));
        }
        if self.over_limit > 0 {
            parts.push(format!("{} past the limit of {CUSTOM_POINTS_MAX} points", self.over_limit));
        }
        (!parts.is_empty()).then(|| format!("{} points were left out: {}.", self.outside + self.over_limit, parts.join("; ")))
    }
}

/// Adds points to a set, in canonical form: those outside the box (or past
/// [`CUSTOM_POINTS_MAX`]) are left out and counted; labels must be below
/// [`CUSTOM_CLASSES_MAX`] (the caller checks).
pub fn add_points(set: &PointSet, points: &[[f32; 2]], labels: &[u32]) -> (PointSet, Added) {
    let mut cells: Vec<(u32, u32)> = set.points.iter().zip(&set.labels).map(|(p, &l)| (l, morton(grid_step(p[0]).unwrap_or(0), grid_step(p[1]).unwrap_or(0)))).collect();
    let mut added = Added::default();
    for (p, &l) in points.iter().zip(labels) {
        match (grid_step(p[0]), grid_step(p[1])) {
            (Some(qx), Some(qy)) if cells.len() < CUSTOM_POINTS_MAX => {
                cells.push((l.min(CUSTOM_CLASSES_MAX as u32 - 1), morton(qx, qy)));
                added.kept += 1;
            }
            (Some(_), Some(_)) => added.over_limit += 1,
            _ => added.outside += 1,
        }
    }
    (from_cells(cells), added)
}

/// The canonical set of `(label, Morton code)` cells.
fn from_cells(mut cells: Vec<(u32, u32)>) -> PointSet {
    cells.sort_unstable();
    let points = cells.iter().map(|&(_, m)| {
        let (qx, qy) = unmorton(m);
        [grid_value(qx), grid_value(qy)]
    });
    PointSet { points: points.collect(), labels: cells.iter().map(|c| c.0).collect() }
}

/// A set in canonical form (what the editor keeps), from any points in the box.
pub fn canonical(points: &[[f32; 2]], labels: &[u32]) -> (PointSet, Added) {
    add_points(&PointSet::default(), points, labels)
}

/// The set without the points within `radius` of `at` (the eraser).
pub fn erase(set: &PointSet, at: [f32; 2], radius: f32) -> PointSet {
    let keep = |p: &[f32; 2]| (p[0] - at[0]).powi(2) + (p[1] - at[1]).powi(2) > radius * radius;
    let (points, labels) = set.points.iter().zip(&set.labels).filter(|(p, _)| keep(p)).map(|(p, l)| (*p, *l)).unzip();
    PointSet { points, labels }
}

fn put_varint(out: &mut Vec<u8>, mut v: u32) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn get_varint(bytes: &[u8], at: &mut usize) -> Result<u32, String> {
    let mut v: u64 = 0;
    for shift in (0..35).step_by(7) {
        let b = *bytes.get(*at).ok_or("the point data ends early")?;
        *at += 1;
        v |= ((b & 0x7f) as u64) << shift;
        if b & 0x80 == 0 {
            return u32::try_from(v).map_err(|_| "a number in the point data is too large".to_string());
        }
    }
    Err("a number in the point data is too long".into())
}

/// Format byte of the `points=` payload.
const LINK_FORMAT: u8 = 1;

/// The set as a `points=` value: per class its count, then the Z-order code
/// deltas of its points as varints (the canonical order makes them small),
/// deflated, base64url without padding.
pub fn encode(set: &PointSet) -> String {
    let classes = set.num_classes();
    let mut raw = vec![LINK_FORMAT];
    put_varint(&mut raw, classes as u32);
    for c in 0..classes as u32 {
        put_varint(&mut raw, set.labels.iter().filter(|&&l| l == c).count() as u32);
    }
    let mut last = (u32::MAX, 0u32);
    for (p, &l) in set.points.iter().zip(&set.labels) {
        let code = morton(grid_step(p[0]).unwrap_or(0), grid_step(p[1]).unwrap_or(0));
        let prev = if last.0 == l { last.1 } else { 0 };
        put_varint(&mut raw, code - prev);
        last = (l, code);
    }
    let packed = miniz_oxide::deflate::compress_to_vec(&raw, 9);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(packed)
}

/// A `points=` value for a link: the whole set when it fits in
/// [`LINK_CHARS_MAX`], else every k-th point for the smallest k that fits,
/// with the notice saying so.
///
/// The page asks on every change of the config (the address bar, the data
/// panel's status), mostly for the same set: the last answer is kept and
/// reused while the set is equal (comparing is far cheaper than deflating).
pub fn encode_for_link(set: &PointSet) -> (String, Option<String>) {
    thread_local! {
        static LAST: std::cell::RefCell<Option<(PointSet, (String, Option<String>))>> = const { std::cell::RefCell::new(None) };
    }
    if let Some(hit) = LAST.with_borrow(|last| last.as_ref().filter(|(s, _)| s == set).map(|(_, v)| v.clone())) {
        return hit;
    }
    let value = encode_for_link_uncached(set);
    LAST.with_borrow_mut(|last| *last = Some((set.clone(), value.clone())));
    value
}

fn encode_for_link_uncached(set: &PointSet) -> (String, Option<String>) {
    let whole = encode(set);
    if whole.len() <= LINK_CHARS_MAX {
        return (whole, None);
    }
    for k in 2.. {
        let (points, labels): (Vec<[f32; 2]>, Vec<u32>) = set.points.iter().zip(&set.labels).step_by(k).map(|(p, l)| (*p, *l)).unzip();
        let thinned = PointSet { points, labels };
        let s = encode(&thinned);
        if s.len() <= LINK_CHARS_MAX {
            let note = format!("The link carries {} of the {} points (every {k}th): links hold at most {LINK_CHARS_MAX} characters of point data.", thinned.points.len(), set.points.len());
            return (s, Some(note));
        }
    }
    unreachable!("a single point always fits")
}

/// Reads a `points=` value, checked at every step: its length, base64url,
/// the deflate stream (inflated to at most a bounded size), the format, the
/// class counts, the point count, every code on the grid, nothing left over.
pub fn decode(value: &str) -> Result<PointSet, String> {
    let value = value.trim();
    if value.len() > LINK_CHARS_READ_MAX {
        return Err(format!("the point data is {} characters, more than the {LINK_CHARS_READ_MAX} a link may carry", value.len()));
    }
    let packed = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(value).map_err(|e| format!("the point data is not base64url ({e})"))?;
    let raw = miniz_oxide::inflate::decompress_to_vec_with_limit(&packed, 8 * CUSTOM_POINTS_MAX).map_err(|e| format!("the point data does not inflate ({e:?})"))?;
    if raw.first() != Some(&LINK_FORMAT) {
        return Err(format!("the point data has an unknown format ({:?}; this page reads {LINK_FORMAT})", raw.first()));
    }
    let mut at = 1;
    let classes = get_varint(&raw, &mut at)? as usize;
    if !(1..=CUSTOM_CLASSES_MAX).contains(&classes) {
        return Err(format!("the point data has {classes} classes (allowed 1–{CUSTOM_CLASSES_MAX})"));
    }
    let mut counts = Vec::with_capacity(classes);
    for _ in 0..classes {
        counts.push(get_varint(&raw, &mut at)? as usize);
    }
    let total: usize = counts.iter().sum();
    if total > CUSTOM_POINTS_MAX {
        return Err(format!("the point data has {total} points, more than {CUSTOM_POINTS_MAX}"));
    }
    let mut cells = Vec::with_capacity(total);
    for (c, &count) in counts.iter().enumerate() {
        let mut code = 0u32;
        for _ in 0..count {
            code = code.checked_add(get_varint(&raw, &mut at)?).filter(|&m| m < GRID * GRID).ok_or("a point of the data lies outside the box")?;
            cells.push((c as u32, code));
        }
    }
    if at != raw.len() {
        return Err(format!("the point data has {} bytes left over", raw.len() - at));
    }
    Ok(from_cells(cells))
}

/// A CSV of points (`x,y` or `x,y,label`, one per line; an optional header
/// line naming the columns; blank lines and `#` comments skipped), into
/// canonical form. A line that is not a point is an error naming it; points
/// outside the box are left out and counted.
pub fn parse_csv(text: &str) -> Result<(PointSet, Added), String> {
    let (mut points, mut labels) = (Vec::new(), Vec::new());
    for (k, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if points.is_empty() && k == text.lines().position(|l| !l.trim().is_empty() && !l.trim().starts_with('#')).unwrap_or(0) && fields.iter().any(|f| f.parse::<f64>().is_err()) && fields.iter().all(|f| f.chars().all(|c| c.is_ascii_alphabetic() || c == '_')) {
            continue; // a header
        }
        let bad = |what: String| format!("line {}: {what} (expected x,y or x,y,label; got {:?})", k + 1, line.chars().take(60).collect::<String>());
        if !(2..=3).contains(&fields.len()) {
            return Err(bad(format!("{} fields", fields.len())));
        }
        let num = |f: &str, name: &str| f.parse::<f32>().ok().filter(|v| v.is_finite()).ok_or_else(|| bad(format!("{name} {f:?} is not a finite number")));
        let (x, y) = (num(fields[0], "x")?, num(fields[1], "y")?);
        let label = match fields.get(2) {
            None => 0,
            Some(f) => f.parse::<u32>().ok().filter(|&l| (l as usize) < CUSTOM_CLASSES_MAX).ok_or_else(|| bad(format!("label {f:?} is not a class 0–{}", CUSTOM_CLASSES_MAX - 1)))?,
        };
        points.push([x, y]);
        labels.push(label);
    }
    if points.is_empty() {
        return Err("the CSV has no points (expected lines x,y or x,y,label)".into());
    }
    Ok(canonical(&points, &labels))
}

/// The set as CSV (`x,y,label`), the format [`parse_csv`] reads.
pub fn to_csv(set: &PointSet) -> String {
    let mut out = Vec::new();
    writeln!(out, "x,y,label").unwrap();
    for (p, l) in set.points.iter().zip(&set.labels) {
        writeln!(out, "{},{},{l}", p[0], p[1]).unwrap();
    }
    String::from_utf8(out).expect("ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A drawn-looking set: brush strokes of sprayed points along curves, in several classes.
    fn strokes(n: usize, classes: u32) -> (Vec<[f32; 2]>, Vec<u32>) {
        let (xs, _) = Dataset::Moons.sample(n, 3);
        let (jit, _) = Dataset::Gaussians8.sample(n, 4);
        let pts = xs.iter().zip(&jit).map(|(p, j)| [p[0] + 0.02 * j[0], p[1] + 0.02 * j[1]]).collect();
        (pts, (0..n as u32).map(|i| (i * classes / n as u32).min(classes - 1)).collect())
    }

    #[test]
    fn the_grid_keeps_points_in_the_box_and_round_trips() {
        for v in [-4.0f32, -3.999, -0.001, 0.0, 1.234_567, 3.999, 4.0] {
            let q = grid_step(v).unwrap();
            assert!((grid_value(q) - v).abs() <= 8.0 / GRID as f32, "{v}");
            assert_eq!(grid_step(grid_value(q)), Some(q), "a grid value is its own step");
        }
        assert_eq!(grid_step(4.01), None);
        assert_eq!(grid_step(f32::NAN), None);
        for (x, y) in [(0, 0), (4095, 4095), (1234, 3001), (7, 4000)] {
            assert_eq!(unmorton(morton(x, y)), (x, y));
        }
    }

    #[test]
    fn a_set_round_trips_through_the_link_exactly() {
        let (pts, labels) = strokes(2000, 3);
        let (set, added) = canonical(&pts, &labels);
        assert_eq!(added, Added { kept: 2000, outside: 0, over_limit: 0 });
        let value = encode(&set);
        assert!(value.len() <= LINK_CHARS_MAX, "2 000 drawn points take {} characters", value.len());
        assert_eq!(decode(&value).unwrap(), set);
        // Canonical form is a fixed point: the set is the same whatever order it came in.
        let (rev, _) = canonical(&pts.iter().rev().copied().collect::<Vec<_>>(), &labels.iter().rev().copied().collect::<Vec<_>>());
        assert_eq!(rev, set);
        let (again, _) = canonical(&set.points, &set.labels);
        assert_eq!(again, set);
    }

    #[test]
    fn at_least_two_thousand_scattered_points_fit_and_more_are_thinned() {
        // Uniform over the box: the worst case for the Z-order deltas.
        let pts: Vec<[f32; 2]> = (0..2000u32).map(|i| {
            let h = crate::science::rng::hash_key(1, i, 0, 0);
            [crate::science::rng::unit(h[0]) * 8.0 - 4.0, crate::science::rng::unit(h[1]) * 8.0 - 4.0]
        }).collect();
        let (set, _) = canonical(&pts, &vec![0; 2000]);
        let (value, note) = encode_for_link(&set);
        assert!(note.is_none() && value.len() <= LINK_CHARS_MAX, "{}", value.len());
        let big: Vec<[f32; 2]> = (0..CUSTOM_POINTS_MAX as u32).map(|i| {
            let h = crate::science::rng::hash_key(2, i, 0, 0);
            [crate::science::rng::unit(h[0]) * 8.0 - 4.0, crate::science::rng::unit(h[1]) * 8.0 - 4.0]
        }).collect();
        let (big, _) = canonical(&big, &vec![1; CUSTOM_POINTS_MAX]);
        let (value, note) = encode_for_link(&big);
        assert!(value.len() <= LINK_CHARS_MAX);
        let back = decode(&value).unwrap();
        assert!(back.points.len() < big.points.len() && back.points.len() >= 2000, "{}", back.points.len());
        assert!(note.unwrap().contains(&format!("of the {CUSTOM_POINTS_MAX} points")));
    }

    #[test]
    fn bad_link_data_is_refused_with_a_reason() {
        let (set, _) = canonical(&[[0.5, 0.5], [1.0, -1.0]], &[0, 1]);
        let good = encode(&set);
        let raw = miniz_oxide::inflate::decompress_to_vec(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&good).unwrap()).unwrap();
        let pack = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec(bytes, 6));
        let mut extra = raw.clone();
        extra.push(0);
        let mut short = raw.clone();
        short.pop();
        let mut wrong_format = raw.clone();
        wrong_format[0] = 9;
        let mut too_many = vec![LINK_FORMAT, 1];
        put_varint(&mut too_many, CUSTOM_POINTS_MAX as u32 + 1);
        let outside = [LINK_FORMAT, 1, 1, 0xff, 0xff, 0xff, 0x7f];
        for (value, why) in [
            ("***".to_string(), "not base64url"),
            ("AAAA".to_string(), "does not inflate"),
            (pack(&extra), "left over"),
            (pack(&short), "ends early"),
            (pack(&wrong_format), "unknown format"),
            (pack(&too_many), "more than"),
            (pack(&outside), "outside the box"),
            (pack(&[LINK_FORMAT, 9]), "9 classes"),
            ("A".repeat(LINK_CHARS_READ_MAX + 1), "more than the"),
        ] {
            let e = decode(&value).unwrap_err();
            assert!(e.contains(why), "{why}: {e}");
        }
        assert_eq!(decode(&good).unwrap(), set, "the control decodes");
    }

    #[test]
    fn csv_reads_points_and_names_the_bad_line() {
        let (set, added) = parse_csv("x,y,label\n0.5, 1\n\n# a comment\n-1,2,3\n9,0,1\n").unwrap();
        assert_eq!(set.points.len(), 2);
        assert_eq!(added.outside, 1);
        assert!(added.notice().unwrap().contains("1 outside the box"));
        assert_eq!(set.num_classes(), 4);
        for (text, why) in [
            ("0,0\n1,2\n1;2\n", "line 3: 1 fields"),
            ("0,0\n1,x\n", "line 2: y \"x\""),
            ("0,0,8\n", "line 1: label \"8\""),
            ("0,0\nnan,1\n", "line 2: x \"nan\""),
            ("0,0,1,2\n", "line 1: 4 fields"),
            ("x,y\n", "no points"),
        ] {
            let e = parse_csv(text).unwrap_err();
            assert!(e.contains(why), "{why}: {e}");
        }
        let (back, _) = parse_csv(&to_csv(&set)).unwrap();
        assert_eq!(back, set, "to_csv is read back exactly");
    }

    #[test]
    fn erasing_removes_only_the_points_under_the_brush() {
        let (set, _) = canonical(&[[0.0, 0.0], [0.1, 0.0], [2.0, 2.0]], &[0, 1, 0]);
        let left = erase(&set, [0.0, 0.0], 0.5);
        assert_eq!(left.points.len(), 1);
        assert!((left.points[0][0] - 2.0).abs() < 0.01);
    }

    #[test]
    fn points_past_the_limit_are_counted() {
        let pts = vec![[0.0f32, 0.0]; CUSTOM_POINTS_MAX + 5];
        let (set, added) = canonical(&pts, &vec![0; pts.len()]);
        assert_eq!((set.points.len(), added.over_limit), (CUSTOM_POINTS_MAX, 5));
    }
}
