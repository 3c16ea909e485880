//! The report's charts as inline SVG: a bar chart per group (mean with its 95% interval, an axis
//! with tick values in the bench's unit) and a log-log scaling plot per parameter sweep (ticks at
//! the measured parameters and at 1-2-5 steps of the unit, legend beside the plot). Text widths
//! are estimated from character counts, so long names widen the chart instead of being clipped.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::esc;
use crate::results::{Bench, Unit};
use crate::units::format;

/// Approximate width of `text` in pixels at `size` px (sans-serif averages ~0.6 em per char).
fn text_width(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * size * 0.6
}

const COLORS: [&str; 8] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#9c755f",
];

/// "Nice" linear ticks from 0 to at least `max`: 1, 2 or 5 times a power of ten per step.
fn linear_ticks(max: f64) -> Vec<f64> {
    if !(max > 0.0 && max.is_finite()) {
        return vec![0.0];
    }
    let raw = max / 4.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    (0..=((max / step).ceil() as usize))
        .map(|i| i as f64 * step)
        .collect()
}

/// Log-scale ticks (1, 2, 5 × 10^k) between `lo` and `hi`; at least the two ends.
fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let mut out = Vec::new();
    let (a, b) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    for e in a..=b {
        for m in [1.0, 2.0, 5.0] {
            let v = m * 10f64.powi(e);
            if v >= lo * 0.999 && v <= hi * 1.001 {
                out.push(v);
            }
        }
    }
    if out.len() < 2 {
        out = vec![lo, hi];
    }
    out
}

/// A horizontal bar chart of one group's benches (mean, with 95% interval whiskers).
pub fn bar_chart(benches: &[&Bench]) -> String {
    let row = 22.0;
    let labels: Vec<String> = benches
        .iter()
        .map(|b| format!("{}/{}", b.function, b.parameter))
        .collect();
    let label_w = labels
        .iter()
        .map(|l| text_width(l, 12.0))
        .fold(80.0, f64::max)
        + 12.0;
    let bar_w = 420.0;
    let value_w = 90.0;
    let axis_h = 30.0;
    let height = row * benches.len() as f64 + 10.0 + axis_h;
    let unit = benches.first().map_or(Unit::Ns, |b| b.unit);
    let one_unit = benches.iter().all(|b| b.unit == unit);
    let max = benches
        .iter()
        .map(|b| b.mean.upper)
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let ticks = linear_ticks(max);
    let scale = ticks.last().copied().unwrap_or(max).max(max);
    let width = label_w + bar_w + value_w;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" role=\"img\" font-family=\"sans-serif\">"
    );
    let plot_bottom = row * benches.len() as f64 + 5.0;
    if one_unit {
        for t in &ticks {
            let x = label_w + t / scale * bar_w;
            let _ = write!(
                s,
                "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"0\" y2=\"{plot_bottom:.1}\" stroke=\"#e3e3e3\"/>\
                 <text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#555\">{}</text>",
                plot_bottom + 14.0,
                esc(&format(*t, unit))
            );
        }
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#555\">mean per iteration</text>",
            label_w + bar_w / 2.0,
            plot_bottom + 27.0
        );
    }
    for (i, (b, label)) in benches.iter().zip(&labels).enumerate() {
        let y = i as f64 * row + 5.0;
        let w = b.mean.point / scale * bar_w;
        let (lo, hi) = (b.mean.lower / scale * bar_w, b.mean.upper / scale * bar_w);
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"12\">{}</text>\
             <rect x=\"{label_w:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{:.1}\" fill=\"#4e79a7\"><title>{}: {}</title></rect>\
             <line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#222\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\">{}</text>",
            label_w - 6.0,
            y + 14.0,
            esc(label),
            row - 6.0,
            esc(&b.id),
            esc(&format(b.mean.point, b.unit)),
            label_w + lo,
            label_w + hi,
            y + 8.0,
            y + 8.0,
            label_w + hi.max(w) + 6.0,
            y + 14.0,
            esc(&format(b.mean.point, b.unit))
        );
    }
    s.push_str("</svg>");
    s
}

/// A log-log plot of mean against the numeric parameter, one line per function, with tick values
/// on both axes and the legend beside the plot. Long (~100 lines) on purpose: it draws in the
/// order the picture is layered (frame, ticks, lines, points, legend) from one set of scales.
pub fn scaling_chart(series: &BTreeMap<String, Vec<(f64, f64)>>, unit: Unit) -> String {
    let (plot_w, plot_h) = (440.0, 260.0);
    let (left, top, bottom) = (72.0, 12.0, 42.0);
    let legend_w = series
        .keys()
        .map(|k| text_width(k, 11.0))
        .fold(60.0, f64::max)
        + 30.0;
    let (w, h) = (left + plot_w + 16.0 + legend_w, top + plot_h + bottom);
    let all: Vec<(f64, f64)> = series.values().flatten().copied().collect();
    let (xmin, xmax) = all
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
    let (ymin, ymax) = all
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.1), b.max(p.1)));
    // Pad the y range a little so points do not sit on the frame.
    let (ymin, ymax) = (ymin / 1.15, ymax * 1.15);
    let span = |a: f64, b: f64| (b.ln() - a.ln()).max(1e-9);
    let sx = |x: f64| left + (x.ln() - xmin.ln()) / span(xmin, xmax) * plot_w;
    let sy = |y: f64| top + plot_h - (y.ln() - ymin.ln()) / span(ymin, ymax) * plot_h;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w:.0}\" height=\"{h:.0}\" role=\"img\" font-family=\"sans-serif\">"
    );
    let _ = write!(
        s,
        "<rect x=\"{left}\" y=\"{top}\" width=\"{plot_w}\" height=\"{plot_h}\" fill=\"none\" stroke=\"#888\"/>"
    );
    let mut xs: Vec<f64> = all.iter().map(|p| p.0).collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    for x in xs {
        let px = sx(x);
        let _ = write!(
            s,
            "<line x1=\"{px:.1}\" x2=\"{px:.1}\" y1=\"{top}\" y2=\"{:.1}\" stroke=\"#eee\"/>\
             <text x=\"{px:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#555\">{x}</text>",
            top + plot_h,
            top + plot_h + 14.0
        );
    }
    for y in log_ticks(ymin, ymax) {
        let py = sy(y);
        let _ = write!(
            s,
            "<line x1=\"{left}\" x2=\"{:.1}\" y1=\"{py:.1}\" y2=\"{py:.1}\" stroke=\"#eee\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"end\" fill=\"#555\">{}</text>",
            left + plot_w,
            left - 4.0,
            py + 3.0,
            esc(&format(y, unit))
        );
    }
    let _ = write!(
        s,
        "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\">parameter (log scale)</text>\
         <text x=\"12\" y=\"{:.1}\" font-size=\"11\" transform=\"rotate(-90 12 {:.1})\" text-anchor=\"middle\">mean per iteration (log scale)</text>",
        left + plot_w / 2.0,
        top + plot_h + 32.0,
        top + plot_h / 2.0,
        top + plot_h / 2.0
    );
    for (i, (name, pts)) in series.iter().enumerate() {
        let c = COLORS[i % COLORS.len()];
        let path: Vec<String> = pts
            .iter()
            .map(|&(x, y)| format!("{:.1},{:.1}", sx(x), sy(y)))
            .collect();
        let _ = write!(
            s,
            "<polyline fill=\"none\" stroke=\"{c}\" stroke-width=\"2\" points=\"{}\"/>",
            path.join(" ")
        );
        for &(x, y) in pts {
            let _ = write!(
                s,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{c}\"><title>{} at {x}: {}</title></circle>",
                sx(x),
                sy(y),
                esc(name),
                esc(&format(y, unit))
            );
        }
        let ly = top + 10.0 + 16.0 * i as f64;
        let lx = left + plot_w + 16.0;
        let _ = write!(
            s,
            "<line x1=\"{lx:.1}\" x2=\"{:.1}\" y1=\"{ly:.1}\" y2=\"{ly:.1}\" stroke=\"{c}\" stroke-width=\"2\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\">{}</text>",
            lx + 18.0,
            lx + 24.0,
            ly + 4.0,
            esc(name)
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(linear_ticks(95.0), [0.0, 50.0, 100.0]);
        assert_eq!(linear_ticks(7.3), [0.0, 2.0, 4.0, 6.0, 8.0]);
        assert_eq!(log_ticks(3.0, 60.0), [5.0, 10.0, 20.0, 50.0]);
        assert_eq!(log_ticks(3.0, 4.0), [3.0, 4.0]);
    }

    #[test]
    fn scaling_chart_labels_axes_and_keeps_long_legends_inside() {
        let mut series = BTreeMap::new();
        series.insert(
            "sequential_with_a_long_name".to_string(),
            vec![(8.0, 100.0), (16.0, 200.0), (64.0, 800.0)],
        );
        let svg = scaling_chart(&series, Unit::Ns);
        for tick in [">8<", ">16<", ">64<", ">100 ns<", ">200 ns<", ">500 ns<"] {
            assert!(svg.contains(tick), "missing tick {tick}");
        }
        let width: f64 = svg
            .split("width=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .and_then(|v| v.parse().ok())
            .unwrap();
        assert!(
            width >= 72.0 + 440.0 + 16.0 + text_width("sequential_with_a_long_name", 11.0),
            "legend clipped: width {width}"
        );
    }
}
