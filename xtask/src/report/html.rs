//! The HTML report: one self-contained page (inline SVG, no scripts, no external resources).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::Report;
use super::markdown::{bench_extra, comparison_method, pct};
use crate::results::Bench;
use crate::units::format;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A horizontal bar chart of one group's benches (mean, with CI whiskers), log-free linear scale.
fn group_chart(benches: &[&Bench]) -> String {
    let row = 22.0;
    let label_w = 260.0;
    let bar_w = 420.0;
    let height = row * benches.len() as f64 + 10.0;
    let max = benches
        .iter()
        .map(|b| b.mean.upper)
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\" role=\"img\">",
        label_w + bar_w + 120.0
    );
    for (i, b) in benches.iter().enumerate() {
        let y = i as f64 * row + 5.0;
        let w = b.mean.point / max * bar_w;
        let (lo, hi) = (b.mean.lower / max * bar_w, b.mean.upper / max * bar_w);
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"12\">{}/{}</text>\
             <rect x=\"{label_w}\" y=\"{y}\" width=\"{w:.1}\" height=\"{}\" fill=\"#4e79a7\"><title>{}</title></rect>\
             <line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{}\" y2=\"{}\" stroke=\"#222\"/>\
             <text x=\"{:.1}\" y=\"{}\" font-size=\"11\">{}</text>",
            label_w - 6.0,
            y + 14.0,
            esc(&b.function),
            esc(&b.parameter),
            row - 6.0,
            esc(&b.id),
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

/// A log-log plot of mean against the numeric parameter, one polyline per function.
fn scaling_chart(series: &BTreeMap<String, Vec<(f64, f64)>>) -> String {
    let (w, h, pad) = (520.0, 300.0, 50.0);
    let all: Vec<(f64, f64)> = series.values().flatten().copied().collect();
    let (x0, x1) = all.iter().fold((f64::MAX, f64::MIN), |(a, b), p| {
        (a.min(p.0.ln()), b.max(p.0.ln()))
    });
    let (y0, y1) = all.iter().fold((f64::MAX, f64::MIN), |(a, b), p| {
        (a.min(p.1.ln()), b.max(p.1.ln()))
    });
    let sx = |x: f64| pad + (x.ln() - x0) / (x1 - x0).max(1e-9) * (w - 2.0 * pad);
    let sy = |y: f64| h - pad - (y.ln() - y0) / (y1 - y0).max(1e-9) * (h - 2.0 * pad);
    let colors = [
        "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
    ];
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" role=\"img\">"
    );
    let _ = write!(
        s,
        "<line x1=\"{pad}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#888\"/><line x1=\"{pad}\" y1=\"{pad}\" x2=\"{pad}\" y2=\"{}\" stroke=\"#888\"/>\
         <text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">parameter (log)</text>\
         <text x=\"12\" y=\"{}\" font-size=\"11\" transform=\"rotate(-90 12 {})\" text-anchor=\"middle\">mean (log)</text>",
        h - pad,
        w - pad,
        h - pad,
        h - pad,
        w / 2.0,
        h - 12.0,
        h / 2.0,
        h / 2.0
    );
    for (i, (name, pts)) in series.iter().enumerate() {
        let c = colors[i % colors.len()];
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
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{c}\"><title>{name} {x}: {y:.1}</title></circle>",
                sx(x),
                sy(y)
            );
        }
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"{c}\">{}</text>",
            w - pad + 4.0,
            pad + 14.0 * i as f64,
            esc(name)
        );
    }
    s.push_str("</svg>");
    s
}

/// One self-contained HTML page: header, claims, baseline deltas, and per group a bar chart, a
/// scaling plot for numeric parameter sweeps, and the table. No scripts, no external resources.
pub fn html(r: &Report) -> String {
    let h = &r.header;
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>ggen bench report {id}</title>\
         <style>body{{font-family:sans-serif;margin:2em;max-width:1100px}}table{{border-collapse:collapse;margin:1em 0}}\
         td,th{{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:left}}.PASS{{color:#1a7f37}}.FAIL,.NO_DATA,.regressed{{color:#cf222e;font-weight:bold}}\
         .SKIPPED{{color:#888}}.improved{{color:#1a7f37}}code{{font-size:12px}}</style></head><body>\
         <h1>ggen bench report <code>{id}</code></h1><table>",
        id = esc(&h.run_id)
    );
    for (k, v) in [
        ("host", format!("{} ({} cores)", h.host_cpu, h.cores)),
        ("os", h.os.clone()),
        ("rustc", h.rustc.clone()),
        (
            "git",
            format!("{}{}", h.git_rev, if h.git_dirty { " (dirty)" } else { "" }),
        ),
        ("profile", h.profile.clone()),
        ("time", h.timestamp.clone()),
        (
            "duration",
            format!("{:.1} s (excluding compilation)", h.duration_s),
        ),
    ] {
        let _ = write!(s, "<tr><th>{k}</th><td>{}</td></tr>", esc(&v));
    }
    s.push_str("</table><h2>Claims</h2><table><tr><th>verdict</th><th>claim</th><th>measured</th><th>note</th></tr>");
    for e in &r.evaluations {
        let _ = write!(
            s,
            "<tr><td class=\"{v}\">{v}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&e.entry.describe()),
            esc(&e.detail),
            esc(e.entry.note.as_deref().unwrap_or("")),
            v = e.verdict.label()
        );
    }
    s.push_str("</table>");
    if let Some(c) = &r.comparison {
        let _ = write!(
            s,
            "<h2>Compared with <code>{}</code> (threshold {:.0}%)</h2><p>{}</p><table><tr><th>bench</th><th>baseline</th><th>new</th><th>change</th><th>95% CI</th><th>detectable</th><th>verdict</th></tr>",
            esc(&c.baseline),
            c.threshold * 100.0,
            esc(&comparison_method(c).replace("**", ""))
        );
        for d in &c.deltas {
            let cls = format!("{:?}", d.change).to_lowercase();
            let _ = write!(
                s,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>[{}, {}]</td><td>±{:.1}%</td><td class=\"{cls}\">{cls}</td></tr>",
                esc(&d.id),
                format(d.base_mean, d.unit),
                format(d.new_mean, d.unit),
                pct(d.ratio.point),
                pct(d.ratio.lower),
                pct(d.ratio.upper),
                d.min_detectable_change * 100.0
            );
        }
        s.push_str("</table>");
        for u in &c.unusable {
            let _ = write!(
                s,
                "<p class=\"regressed\">could not be compared: <code>{}</code>: {}</p>",
                esc(&u.id),
                esc(&u.why)
            );
        }
        for (label, ids) in [
            ("only in baseline", &c.only_in_baseline),
            ("only in this run", &c.only_in_new),
        ] {
            if !ids.is_empty() {
                let _ = write!(s, "<p>{label}: {}</p>", esc(&ids.join(", ")));
            }
        }
    }
    let mut groups: BTreeMap<(String, String), Vec<&Bench>> = BTreeMap::new();
    for b in &r.benches {
        groups
            .entry((b.suite.clone(), b.group.clone()))
            .or_default()
            .push(b);
    }
    s.push_str("<h2>Groups</h2>");
    for ((suite, group), benches) in &groups {
        let _ = write!(
            s,
            "<section class=\"group\" id=\"{0}/{1}\"><h3>{0}/{1}</h3>",
            esc(suite),
            esc(group)
        );
        s.push_str(&group_chart(benches));
        let mut series: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
        for b in benches {
            if let Some(x) = b.parameter_value() {
                series
                    .entry(b.function.clone())
                    .or_default()
                    .push((x, b.mean.point));
            }
        }
        series.retain(|_, pts| {
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            pts.len() >= 2
        });
        if !series.is_empty() {
            s.push_str("<h4>Scaling (log-log)</h4>");
            s.push_str(&scaling_chart(&series));
        }
        s.push_str("<table><tr><th>bench</th><th>mean</th><th>95% CI</th><th>details</th></tr>");
        for b in benches {
            let _ = write!(
                s,
                "<tr><td><code>{}</code></td><td>{}</td><td>[{}, {}]</td><td>{}</td></tr>",
                esc(&b.id),
                format(b.mean.point, b.unit),
                format(b.mean.lower, b.unit),
                format(b.mean.upper, b.unit),
                esc(&bench_extra(b))
            );
        }
        s.push_str("</table></section>");
    }
    s.push_str("</body></html>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::sample_report;

    #[test]
    fn html_is_self_contained_and_shows_every_group() {
        let page = html(&sample_report());
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(!page.contains("<script"), "no scripts");
        assert!(
            !page.contains("http://")
                || page
                    .matches("http://")
                    .all(|_| page.contains("xmlns=\"http://www.w3.org/2000/svg\""))
        );
        for g in ["s/det", "s/mem", "s/orch"] {
            assert!(page.contains(&format!("id=\"{g}\"")), "group {g} missing");
        }
        assert!(page.contains("Scaling (log-log)"));
        assert!(page.contains("Test CPU &lt;x&gt;"), "escaped");
    }
}
