//! The training-loss plot: a small self-contained SVG (log-scale loss against
//! step, 100-step moving means), one per dataset.

fn smooth(v: &[f32], window: usize) -> Vec<(usize, f64)> {
    v.chunks(window).enumerate().map(|(i, c)| (i * window + c.len() / 2, c.iter().map(|&x| x as f64).sum::<f64>() / c.len() as f64)).collect()
}

pub fn loss_svg(title: &str, score: &[f32], classifier: &[f32]) -> String {
    let (w, h, pad) = (640.0, 320.0, 48.0);
    let series = [("score ε-MSE", "#3b82f6", smooth(score, 100)), ("classifier cross-entropy", "#f97316", smooth(classifier, 100))];
    let all = series.iter().flat_map(|s| s.2.iter().map(|p| p.1)).filter(|v| *v > 0.0);
    let (lo, hi) = all.fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v.log10()), hi.max(v.log10())));
    let (lo, hi) = (lo.floor(), hi.ceil().max(lo.floor() + 1.0));
    let steps = score.len().max(classifier.len()).max(1) as f64;
    let x = |s: usize| pad + (w - 2.0 * pad) * s as f64 / steps;
    let y = |v: f64| h - pad - (h - 2.0 * pad) * (v.max(1e-12).log10() - lo) / (hi - lo);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"{w}\" height=\"{h}\" fill=\"white\"/>\n\
         <text x=\"{pad}\" y=\"24\" font-size=\"14\">{title}: training loss (log scale, 100-step means)</text>\n"
    );
    for e in (lo as i32)..=(hi as i32) {
        let yy = y(10f64.powi(e));
        svg += &format!("<line x1=\"{pad}\" x2=\"{}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" stroke=\"#ddd\"/><text x=\"4\" y=\"{:.1}\">1e{e}</text>\n", w - pad, yy + 4.0);
    }
    svg += &format!("<text x=\"{}\" y=\"{}\">step ({} score, {} classifier)</text>\n", w / 2.0 - 80.0, h - 12.0, score.len(), classifier.len());
    for (i, (name, colour, pts)) in series.iter().enumerate() {
        let path: Vec<String> = pts.iter().map(|&(s, v)| format!("{:.1},{:.1}", x(s), y(v))).collect();
        svg += &format!("<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\" points=\"{}\"/>\n", path.join(" "));
        svg += &format!("<text x=\"{}\" y=\"{}\" fill=\"{colour}\">{name}</text>\n", w - pad - 170.0, 44.0 + 16.0 * i as f64);
    }
    svg + "</svg>\n"
}
