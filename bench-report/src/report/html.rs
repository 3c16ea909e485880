//! The HTML report: one self-contained page (inline SVG, no scripts, no external resources).
//! At the top, a summary of what needs attention (failed claims, regressions, benches that could
//! not be compared, the noisiest benches); then the claims, the comparison, and one section per
//! group with its charts and table. Every bench id links to its group's section.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::markdown::{bench_extra, comparison_method};
use super::svg::{bar_chart, scaling_chart};
use super::{GATE_CV, Report, bench_link, display_order, esc, gate_stability, pct, spread};
use crate::results::Bench;
use crate::stats::Change;
use crate::units::format;

/// How many of the noisiest benches the summary names.
const NOISIEST: usize = 5;

fn summary(r: &Report) -> String {
    let mut items = summary_claims(r);
    if let Some(c) = &r.comparison {
        items.push(summary_comparison(c));
    }
    items.extend(summary_noise(r));
    format!(
        "<h2>Summary</h2><ul class=\"summary\">{}</ul>",
        items.concat()
    )
}

/// The summary's claims items: the UNSURE ones, then the failed ones or that none failed.
fn summary_claims(r: &Report) -> Vec<String> {
    let mut items = Vec::new();
    let failed: Vec<_> = r.evaluations.iter().filter(|e| e.verdict.fails()).collect();
    let passed = r
        .evaluations
        .iter()
        .filter(|e| e.verdict == crate::budgets::Verdict::Pass)
        .count();
    let unsure: Vec<String> = r
        .evaluations
        .iter()
        .filter(|e| e.verdict == crate::budgets::Verdict::Unsure)
        .map(|e| format!("<li>{} — {}</li>", esc(&e.entry.describe()), esc(&e.detail)))
        .collect();
    if !unsure.is_empty() {
        items.push(format!(
            "<li class=\"UNSURE\">Unsure (interval straddles the limit): {}<ul>{}</ul></li>",
            unsure.len(),
            unsure.concat()
        ));
    }
    if failed.is_empty() {
        items.push(format!(
            "<li class=\"PASS\">Claims: {passed} of {} pass, none failed</li>",
            r.evaluations.len()
        ));
    } else {
        let list: Vec<String> = failed
            .iter()
            .map(|e| {
                format!(
                    "<li><span class=\"{v}\">{v}</span> {} — {}</li>",
                    esc(&e.entry.describe()),
                    esc(&e.detail),
                    v = e.verdict.label()
                )
            })
            .collect();
        items.push(format!(
            "<li class=\"FAIL\">Claims: {} failed, {passed} pass<ul>{}</ul></li>",
            failed.len(),
            list.concat()
        ));
    }
    items
}

/// The summary's comparison item: what regressed, improved or could not be compared.
fn summary_comparison(c: &super::Comparison) -> String {
    let of = |ch: Change| -> Vec<String> {
        c.deltas
            .iter()
            .filter(|d| d.change == ch)
            .map(|d| format!("{} {}", bench_link(&d.id), pct(d.ratio.point)))
            .collect()
    };
    let (reg, imp) = (of(Change::Regressed), of(Change::Improved));
    let mut line = format!(
        "<li class=\"{}\">Against <code>{}</code>: {} regressed, {} improved, {} unusable",
        if c.failed() { "regressed" } else { "PASS" },
        esc(&c.baseline),
        reg.len(),
        imp.len(),
        c.unusable.len()
    );
    if !reg.is_empty() {
        let _ = write!(line, "<br>regressed: {}", reg.join(", "));
    }
    if !imp.is_empty() {
        let _ = write!(line, "<br>improved: {}", imp.join(", "));
    }
    for u in &c.unusable {
        let _ = write!(
            line,
            "<br>could not compare {}: {}",
            bench_link(&u.id),
            esc(&u.why)
        );
    }
    line.push_str("</li>");
    line
}

/// The summary's noise items: the noisiest benches, and which are stable enough to gate on.
fn summary_noise(r: &Report) -> Vec<String> {
    let mut items = Vec::new();
    let mut noisy: Vec<(&Bench, f64, &str)> = r
        .benches
        .iter()
        .map(|b| {
            let (v, what) = spread(b);
            (b, v, what)
        })
        .collect();
    noisy.sort_by(|a, b| b.1.total_cmp(&a.1));
    let list: Vec<String> = noisy
        .iter()
        .take(NOISIEST)
        .map(|(b, v, what)| format!("{} ±{:.1}% ({what})", bench_link(&b.id), v * 100.0))
        .collect();
    if !list.is_empty() {
        items.push(format!("<li>Noisiest: {}</li>", list.join(", ")));
    }
    match gate_stability(r) {
        Some((stable, noisy)) => items.push(format!(
            "<li>Run-to-run CV under {:.0}% (stable enough to gate on): {stable} of {} benches{}</li>",
            GATE_CV * 100.0,
            r.benches.len(),
            if noisy.is_empty() {
                String::new()
            } else {
                format!(
                    "; too noisy to gate on: {}",
                    noisy
                        .iter()
                        .map(|(id, cv)| format!("{} {:.1}%", bench_link(id), cv * 100.0))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        )),
        None => items.push(
            "<li>Single run: the spread is within-run only; run with <code>--repeat 3</code> to see which benches are stable enough to gate on</li>"
                .into(),
        ),
    }
    items
}

/// One self-contained HTML page: header, summary, claims, baseline deltas, and per group a bar
/// chart, a scaling plot for numeric parameter sweeps, and the table.
pub fn html(r: &Report) -> String {
    let h = &r.header;
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>ggen bench report {id}</title>\
         <style>body{{font-family:sans-serif;margin:2em;max-width:1300px}}table{{border-collapse:collapse;margin:1em 0}}\
         td,th{{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:left}}.PASS{{color:#1a7f37}}.FAIL,.NO_DATA,.regressed{{color:#cf222e;font-weight:bold}}\
         .SKIPPED{{color:#888}}.UNSURE{{color:#9a6700;font-weight:bold}}.noisy{{color:#9a6700}}.improved{{color:#1a7f37}}code{{font-size:12px}}ul.summary li{{margin:.3em 0}}\
         ul.summary a,table a{{color:inherit}}svg{{display:block;margin:.5em 0;max-width:100%;height:auto}}</style></head><body>\
         <h1>ggen bench report <code>{id}</code></h1>",
        id = esc(&h.run_id)
    );
    s.push_str(&super::table::header(r).html());
    s.push_str(&summary(r));
    s.push_str("<h2>Claims</h2>");
    s.push_str(&super::table::claims(r).html());
    if let Some(c) = &r.comparison {
        s.push_str(&comparison_section(c));
    }
    s.push_str(&super::counts::html(r));
    let mut groups: Vec<((&str, &str), Vec<&Bench>)> = Vec::new();
    for b in display_order(&r.benches) {
        let key = (b.suite.as_str(), b.group.as_str());
        match groups.last_mut() {
            Some((k, v)) if *k == key => v.push(b),
            _ => groups.push((key, vec![b])),
        }
    }
    s.push_str("<h2>Groups</h2>");
    for ((suite, group), benches) in &groups {
        s.push_str(&group_section(suite, group, benches));
    }
    s.push_str("</body></html>\n");
    s
}

/// The comparison with a baseline or revision: its method, the table, what could not be
/// compared, and the instruction counts with their culprit tables.
fn comparison_section(c: &super::Comparison) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<h2>Compared with <code>{}</code> (threshold {}%)</h2><p>{}</p>",
        esc(&c.baseline),
        super::threshold_pct(c.threshold),
        esc(&comparison_method(c).replace("**", ""))
    );
    if c.nothing_in_common() {
        let _ = write!(
            s,
            "<p class=\"FAIL\">FAIL: {}</p>",
            esc(&c.nothing_in_common_message())
        );
    }
    s.push_str(&super::table::comparison(c).html());
    for u in &c.unusable {
        let _ = write!(
            s,
            "<p class=\"regressed\">could not be compared: {}: {}</p>",
            bench_link(&u.id),
            esc(&u.why)
        );
    }
    for (label, ids) in [
        ("only in baseline", &c.only_in_baseline),
        ("only in this run", &c.only_in_new),
        ("not paired", &c.unpaired),
    ] {
        if !ids.is_empty() {
            let _ = write!(s, "<p>{label}: {}</p>", esc(&ids.join("; ")));
        }
    }
    if let Some(ic) = &c.instructions {
        s.push_str(&super::counts::comparison_html(ic));
        s.push_str(&super::table::culprits_html(ic));
    }
    s
}

/// One group's section: its bar chart, its scaling chart when its functions have numeric
/// parameters, and its table of benches.
fn group_section(suite: &str, group: &str, benches: &[&Bench]) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<section class=\"group\" id=\"{0}/{1}\"><h3>{0}/{1}</h3>",
        esc(suite),
        esc(group)
    );
    s.push_str(&bar_chart(benches));
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
    let unit = benches[0].unit;
    if !series.is_empty() && benches.iter().all(|b| b.unit == unit) {
        s.push_str("<h4>Scaling (log-log)</h4>");
        s.push_str(&scaling_chart(&series, unit));
    }
    s.push_str(
        "<table><tr><th>bench</th><th>mean</th><th>95% CI</th><th>spread</th><th>details</th></tr>",
    );
    for b in benches {
        let (v, what) = spread(b);
        let gate = if b.run_means.len() >= 2 && v >= GATE_CV {
            " class=\"noisy\" title=\"too noisy to gate on\""
        } else {
            ""
        };
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>[{}, {}]</td><td{gate}>±{:.1}% ({what})</td><td>{}</td></tr>",
            bench_link(&b.id),
            format(b.mean.point, b.unit),
            format(b.mean.lower, b.unit),
            format(b.mean.upper, b.unit),
            v * 100.0,
            esc(&bench_extra(b))
        );
    }
    s.push_str("</table></section>");
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
        // Every address in the page is the SVG namespace: nothing is loaded from outside.
        assert_eq!(
            page.matches("http://").count(),
            page.matches("xmlns=\"http://www.w3.org/2000/svg\"").count()
        );
        assert!(!page.contains("https://") && !page.contains(" src="));
        for g in ["s/det", "s/mem", "s/orch"] {
            assert!(page.contains(&format!("id=\"{g}\"")), "group {g} missing");
        }
        assert!(page.contains("Scaling (log-log)"));
        assert!(page.contains("Test CPU &lt;x&gt;"), "escaped");
        // The summary comes before the claims and names the noisiest benches, linked.
        let summary = page.find("<h2>Summary</h2>").expect("summary");
        assert!(summary < page.find("<h2>Claims</h2>").unwrap());
        assert!(page.contains("Noisiest: <a href=\"#s/"), "{page}");
        assert!(page.contains("Single run: the spread is within-run only"));
        // With repeats, benches with a run-to-run CV of 5% or more are named as too noisy.
        let mut r = sample_report();
        r.header.repeat = 3;
        for b in &mut r.benches {
            b.run_means = vec![b.mean.point; 3];
        }
        r.benches[0].run_means = vec![100.0, 120.0, 80.0];
        let page = html(&r);
        assert!(
            page.contains("3 of 4 benches; too noisy to gate on: <a href=\"#s/det\"><code>s/det/indexed/10</code></a> 20.0%"),
            "{page}"
        );
        assert!(page.contains("class=\"noisy\""));
    }

    #[test]
    fn parameters_are_in_numeric_order_and_failures_are_summarised() {
        let mut r = sample_report();
        let base = r.benches[0].clone();
        r.benches = ["64", "8", "16"]
            .iter()
            .map(|p| Bench {
                id: format!("s/det/parallel/{p}"),
                parameter: (*p).into(),
                function: "parallel".into(),
                ..base.clone()
            })
            .collect();
        r.evaluations[0].verdict = crate::budgets::Verdict::Fail;
        let page = html(&r);
        let groups = page.find("<h2>Groups</h2>").unwrap();
        let at = |p: &str| {
            groups
                + page[groups..]
                    .find(&format!(">s/det/parallel/{p}<"))
                    .unwrap()
        };
        assert!(at("8") < at("16") && at("16") < at("64"), "text order");
        let summary =
            &page[page.find("<h2>Summary</h2>").unwrap()..page.find("<h2>Claims</h2>").unwrap()];
        assert!(
            summary.contains("1 failed") && summary.contains("scaling exponent"),
            "{summary}"
        );
    }
}
