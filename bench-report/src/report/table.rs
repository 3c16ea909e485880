//! The report's tables as data, rendered twice: the header and the claims are built once as rows
//! (`header`, `claims`) and written by [`Table::markdown`] and [`Table::html`], so the two
//! formats cannot drift apart (they had: the HTML header lacked the suites and filter rows and
//! the dirty-tree note of the A/B row).

use std::fmt::Write as _;

use super::{Report, esc};

/// One cell: plain text, code, or a verdict (coloured in HTML by its label's class).
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Plain text.
    Text(String),
    /// Code (backticks in markdown, `<code>` in HTML).
    Code(String),
    /// A verdict label (`PASS`, `FAIL`, …).
    Verdict(&'static str),
    /// A bench id: code in markdown, a link to its group's section in HTML.
    Bench(String),
    /// Code that links to `href` in HTML (plain code in markdown).
    Link {
        /// The code shown.
        code: String,
        /// Where it links in HTML.
        href: String,
    },
    /// Text with an HTML class (a comparison's verdict: `regressed`, `improved`, …).
    Class {
        /// The text shown.
        text: String,
        /// Its HTML class.
        class: String,
    },
}

impl Cell {
    fn markdown(&self) -> String {
        match self {
            Cell::Text(t) => t.replace('|', "\\|"),
            // GitHub's tables split on `|` even inside code spans, and show `\|` as `|` there.
            Cell::Code(c) => format!("`{}`", c.replace('|', "\\|")),
            Cell::Verdict(v) => (*v).to_owned(),
            Cell::Bench(id) | Cell::Link { code: id, .. } => Cell::Code(id.clone()).markdown(),
            Cell::Class { text, .. } => Cell::Text(text.clone()).markdown(),
        }
    }

    fn html(&self) -> String {
        match self {
            Cell::Text(t) => format!("<td>{}</td>", esc(t)),
            Cell::Code(c) => format!("<td><code>{}</code></td>", esc(c)),
            Cell::Verdict(v) => format!("<td class=\"{v}\">{v}</td>"),
            Cell::Bench(id) => format!("<td>{}</td>", super::bench_link(id)),
            Cell::Link { code, href } => {
                format!(
                    "<td><a href=\"{}\"><code>{}</code></a></td>",
                    esc(href),
                    esc(code)
                )
            }
            Cell::Class { text, class } => {
                format!("<td class=\"{}\">{}</td>", esc(class), esc(text))
            }
        }
    }
}

/// A table: column titles (none for a key/value table, whose first column is the key) and rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Column titles; empty for a key/value table.
    pub head: Vec<&'static str>,
    /// The rows, each as many cells as there are columns.
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// A GitHub-flavoured markdown table, ending with a blank line.
    pub fn markdown(&self) -> String {
        let columns = self.rows.first().map_or(self.head.len(), Vec::len);
        let mut s = String::new();
        if self.head.is_empty() {
            let _ = writeln!(s, "|{}", " |".repeat(columns));
        } else {
            let _ = writeln!(s, "| {} |", self.head.join(" | "));
        }
        let _ = writeln!(s, "|{}", "---|".repeat(columns));
        for row in &self.rows {
            let cells: Vec<String> = row.iter().map(Cell::markdown).collect();
            let _ = writeln!(s, "| {} |", cells.join(" | "));
        }
        s.push('\n');
        s
    }

    /// An HTML table; in a key/value table the key cells are headers.
    pub fn html(&self) -> String {
        let mut s = String::from("<table>");
        if !self.head.is_empty() {
            s.push_str("<tr>");
            for h in &self.head {
                let _ = write!(s, "<th>{}</th>", esc(h));
            }
            s.push_str("</tr>");
        }
        for row in &self.rows {
            s.push_str("<tr>");
            for (i, cell) in row.iter().enumerate() {
                match cell {
                    Cell::Text(k) if i == 0 && self.head.is_empty() => {
                        let _ = write!(s, "<th>{}</th>", esc(k));
                    }
                    _ => s.push_str(&cell.html()),
                }
            }
            s.push_str("</tr>");
        }
        s.push_str("</table>");
        s
    }
}

/// The run's facts, one row each: what ran, where, how, and what it was compared with.
pub(super) fn header(r: &Report) -> Table {
    let h = &r.header;
    let text = |s: String| Cell::Text(s);
    let mut rows = vec![
        ("host", text(format!("{} ({} cores)", h.host_cpu, h.cores))),
        ("os", text(h.os.clone())),
        ("rustc", text(h.rustc.clone())),
        (
            "git",
            text(format!(
                "{}{}",
                h.git_rev,
                if h.git_dirty { " (dirty)" } else { "" }
            )),
        ),
        (
            "profile",
            text(if h.repeat > 1 {
                format!("{}, {} repeats", h.profile, h.repeat)
            } else {
                h.profile.clone()
            }),
        ),
        ("time", text(h.timestamp.clone())),
    ];
    if let Some(a) = &h.against {
        rows.push((
            "A/B",
            text(format!(
                "against {a} (side A) vs the working tree{} (side B), sample by sample in turn",
                if h.git_dirty {
                    ", uncommitted changes included"
                } else {
                    ""
                }
            )),
        ));
    }
    if let Some(l) = h.load_line() {
        rows.push(("other load", text(l)));
    }
    rows.push(("suites", text(h.suites.join(", "))));
    if let Some(f) = &h.filter {
        rows.push(("filter", Cell::Code(f.clone())));
    }
    rows.push((
        "duration",
        text(format!("{:.1} s (excluding compilation)", h.duration_s)),
    ));
    if let Some(s) = &r.instructions {
        rows.push((
            "instruction counts",
            text(format!(
                "{} benches in {:.1} s (excluding compilation), {}, {} not counted",
                s.counted,
                s.duration_s,
                s.valgrind,
                s.uncounted.len()
            )),
        ));
    }
    Table {
        head: Vec::new(),
        rows: rows
            .into_iter()
            .map(|(k, v)| vec![Cell::Text(k.to_owned()), v])
            .collect(),
    }
}

/// A change as a comparison's verdict cell (`regressed`, `improved`, `unchanged`).
pub(super) fn change_cell(change: crate::stats::Change) -> Cell {
    let word = format!("{change:?}").to_lowercase();
    Cell::Class {
        text: word.clone(),
        class: word,
    }
}

/// A wall-clock comparison's rows: bench, means, change with its interval, the smallest change
/// the run could detect, and the verdict.
pub(super) fn comparison(c: &super::Comparison) -> Table {
    use super::pct;
    use crate::units::format;
    Table {
        head: vec![
            "bench",
            "baseline",
            "new",
            "change",
            "95% CI",
            "detectable",
            "verdict",
        ],
        rows: c
            .deltas
            .iter()
            .map(|d| {
                vec![
                    Cell::Bench(d.id.clone()),
                    Cell::Text(format(d.base_mean, d.unit)),
                    Cell::Text(format(d.new_mean, d.unit)),
                    Cell::Text(pct(d.ratio.point)),
                    Cell::Text(format!("[{}, {}]", pct(d.ratio.lower), pct(d.ratio.upper))),
                    Cell::Text(format!("±{:.1}%", d.min_detectable_change * 100.0)),
                    change_cell(d.change),
                ]
            })
            .collect(),
    }
}

/// Every evaluated budget and claim: verdict, what it claims, what was measured, its note.
pub(super) fn claims(r: &Report) -> Table {
    Table {
        head: vec!["verdict", "claim", "measured", "note"],
        rows: r
            .evaluations
            .iter()
            .map(|e| {
                vec![
                    Cell::Verdict(e.verdict.label()),
                    Cell::Text(e.entry.describe()),
                    Cell::Text(e.detail.clone()),
                    Cell::Text(e.entry.note.clone().unwrap_or_default()),
                ]
            })
            .collect(),
    }
}

/// Per bench whose instruction count regressed or improved: a title and the functions whose
/// self cost per iteration changed most (or why there is no table).
pub(super) fn culprits(
    c: &crate::instructions::compare::CountComparison,
) -> Vec<(String, Result<Table, String>, &str)> {
    let ir = |v: Option<f64>| v.map_or_else(|| "—".to_owned(), |x| format!("{x:.1}"));
    let arrow = |a: Option<f64>, b: Option<f64>| format!("{} → {}", ir(a), ir(b));
    c.deltas
        .iter()
        .filter(|d| d.explained)
        .map(|d| {
            let title = format!(
                "{}: {:+.2}% instructions ({:.1} → {:.1} per iteration)",
                d.id,
                d.relative() * 100.0,
                d.base_instructions,
                d.new_instructions
            );
            let table = match &d.functions_missing {
                Some(why) => Err(format!("No function table: {why}.")),
                None if d.functions.is_empty() && d.base_instructions == d.new_instructions => Err(
                    "Same instructions on both sides: what changed is not the code that \
                         runs but how it runs (code or data layout, caches, memory)."
                        .into(),
                ),
                None if d.functions.is_empty() => Err("No function's own cost changed.".into()),
                None => Ok(Table {
                    head: vec![
                        "function",
                        "at",
                        "self Ir / iteration",
                        "inclusive Ir / iteration",
                        "self change",
                        "share of the change",
                    ],
                    rows: d
                        .functions
                        .iter()
                        .map(|f| {
                            let tag = match (f.base_self, f.new_self) {
                                (None, _) => " (new)",
                                (_, None) => " (gone)",
                                _ => "",
                            };
                            vec![
                                Cell::Code(format!("{}{tag}", f.function)),
                                Cell::Text(f.at.clone()),
                                Cell::Text(arrow(f.base_self, f.new_self)),
                                Cell::Text(arrow(f.base_inclusive, f.new_inclusive)),
                                Cell::Text(format!("{:+.1}", f.self_change())),
                                Cell::Text(format!("{:.0}%", f.share * 100.0)),
                            ]
                        })
                        .collect(),
                }),
            };
            (title, table, d.folded_diff.as_str())
        })
        .collect()
}

/// The `height` attribute of an SVG's root element, in pixels.
fn svg_height(svg: &str) -> Option<usize> {
    let tag = &svg[svg.find("<svg")?..];
    let tag = &tag[..tag.find('>')?];
    let at = tag.find(" height=\"")? + " height=\"".len();
    tag[at..].split('"').next()?.parse().ok()
}

/// A differential flame graph (inferno) of `folded_diff` (`stack before after` lines): widths
/// from this run, red where a frame costs more than in the baseline, blue where less. `None`
/// when there is nothing to draw or inferno fails.
pub(super) fn flame_svg(title: &str, folded_diff: &str) -> Option<String> {
    if folded_diff.trim().is_empty() {
        return None;
    }
    let mut opt = inferno::flamegraph::Options::default();
    opt.title = title.to_owned();
    opt.count_name = "instructions / iteration".into();
    opt.image_width = Some(1200);
    opt.deterministic = true;
    opt.hash = true;
    let mut svg = Vec::new();
    inferno::flamegraph::from_lines(&mut opt, folded_diff.lines(), &mut svg).ok()?;
    String::from_utf8(svg).ok()
}

/// [`culprits`] as markdown sections.
pub(super) fn culprits_markdown(c: &crate::instructions::compare::CountComparison) -> String {
    let mut s = String::new();
    for (title, table, folded) in culprits(c) {
        let _ = writeln!(s, "### Functions behind `{title}`\n");
        match table {
            Ok(t) => s.push_str(&t.markdown()),
            Err(said) => {
                let _ = writeln!(s, "{said}\n");
            }
        }
        if !folded.trim().is_empty() {
            let _ = writeln!(s, "Its differential flame graph is in report.html.\n");
        }
    }
    if !s.is_empty() {
        s.push_str(CULPRIT_NOTE);
        s.push_str("\n\n");
    }
    s
}

/// [`culprits`] as HTML sections.
pub(super) fn culprits_html(c: &crate::instructions::compare::CountComparison) -> String {
    let mut s = String::new();
    for (title, table, folded) in culprits(c) {
        let _ = write!(s, "<h3>Functions behind <code>{}</code></h3>", esc(&title));
        match table {
            Ok(t) => s.push_str(&t.html()),
            Err(said) => {
                let _ = write!(s, "<p>{}</p>", esc(&said));
            }
        }
        if let Some(svg) = flame_svg(&title, folded) {
            // Each graph in a frame of its own: inferno's SVG carries its own script and element
            // ids (search, zoom), which would clash between two graphs inline in one page.
            let height = svg_height(&svg).unwrap_or(600) + 20;
            let _ = write!(
                s,
                "<details><summary>differential flame graph (red: more instructions than the baseline, blue: fewer; widths: this run; hover or click a frame)</summary>\
                 <iframe title=\"{}\" style=\"width:100%;height:{height}px;border:0\" srcdoc=\"{}\"></iframe></details>",
                esc(&title),
                esc(&svg)
            );
        }
    }
    if !s.is_empty() {
        let _ = write!(s, "<p>{}</p>", esc(CULPRIT_NOTE));
    }
    s
}

/// What a function table can and cannot tell (docs/BENCHMARKS.md, "Instruction counts").
const CULPRIT_NOTE: &str = "Self cost is a function's own instructions, inclusive adds the functions it calls; both per iteration of the bench, from callgrind's outputs of both sides. Code inlined into a function counts as that function's own, so a change inside an inlined function shows in its caller.";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::sample_report;

    /// The keys of a key/value table as each format shows them.
    fn md_keys(md: &str) -> Vec<String> {
        md.lines()
            .skip(2)
            .filter_map(|l| l.strip_prefix("| "))
            .filter_map(|l| l.split(" | ").next())
            .map(str::to_owned)
            .collect()
    }

    fn html_keys(html: &str) -> Vec<String> {
        html.split("<th>")
            .skip(1)
            .filter_map(|p| p.split("</th>").next())
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn the_header_has_the_same_rows_in_markdown_and_html() {
        let mut r = sample_report();
        r.header.filter = Some("^a|b$".into());
        r.header.against = Some("main".into());
        r.header.git_dirty = true;
        let t = header(&r);
        let (md, html) = (t.markdown(), t.html());
        let keys = md_keys(&md);
        assert_eq!(keys, html_keys(&html));
        for k in ["host", "git", "A/B", "suites", "filter", "duration"] {
            assert!(keys.iter().any(|x| x == k), "{k} missing: {keys:?}");
        }
        // The dirty-tree note of the A/B row, in both.
        assert!(
            md.contains("the working tree, uncommitted changes included"),
            "{md}"
        );
        assert!(
            html.contains("the working tree, uncommitted changes included"),
            "{html}"
        );
        // A filter is code, and its `|` does not split the markdown row.
        assert!(md.contains("| filter | `^a\\|b$` |"), "{md}");
        assert!(
            html.contains("<th>filter</th><td><code>^a|b$</code></td>"),
            "{html}"
        );
    }

    #[test]
    fn golden_header_and_claims() {
        let mut r = sample_report();
        r.header.filter = Some("^s/det/".into());
        r.header.against = Some("main".into());
        let got = format!(
            "{}{}\n{}\n{}\n",
            header(&r).markdown(),
            claims(&r).markdown(),
            header(&r).html(),
            claims(&r).html()
        );
        let want = include_str!("golden_tables.txt");
        assert_eq!(
            got, want,
            "the rendered tables changed; if on purpose, update bench-report/src/report/golden_tables.txt to:\n{got}"
        );
    }

    #[test]
    fn an_explained_bench_gets_its_differential_flame_graph_in_html() {
        use crate::instructions::compare::{CountComparison, CountDelta};
        use crate::instructions::functions::FunctionDelta;
        let d = CountDelta {
            id: "s/g/f/1".into(),
            base_instructions: 100.0,
            new_instructions: 150.0,
            base_estimated_cycles: 100.0,
            new_estimated_cycles: 150.0,
            change: crate::stats::Change::Regressed,
            functions: vec![FunctionDelta {
                function: "x::hot".into(),
                at: "src/x.rs:3".into(),
                base_self: Some(50.0),
                new_self: Some(100.0),
                base_inclusive: Some(100.0),
                new_inclusive: Some(150.0),
                share: 1.0,
            }],
            functions_missing: None,
            folded_diff: "root 50 50\nroot;x::hot 50 100\n".into(),
            explained: true,
        };
        let c = CountComparison {
            threshold: 0.01,
            deltas: vec![d],
            only_in_baseline: vec![],
            only_in_new: vec![],
            scope: None,
        };
        let html = culprits_html(&c);
        assert!(
            html.contains("<details><summary>differential flame graph"),
            "{html}"
        );
        assert!(
            html.contains("srcdoc=\"") && html.contains("x::hot"),
            "{html}"
        );
        assert!(
            !html.contains("<svg"),
            "the graph is escaped into its frame: {html}"
        );
        let svg = flame_svg("t", "root 50 50\nroot;x::hot 50 100\n").unwrap();
        assert!(svg_height(&svg).is_some_and(|h| h > 0), "{svg}");
        let md = culprits_markdown(&c);
        assert!(
            md.contains("| `x::hot` | src/x.rs:3 | 50.0 → 100.0 | 100.0 → 150.0 | +50.0 | 100% |"),
            "{md}"
        );
        assert!(
            md.contains("differential flame graph is in report.html"),
            "{md}"
        );
        assert_eq!(flame_svg("t", "  \n"), None);
    }

    #[test]
    fn a_comparison_shows_the_same_cells_in_markdown_and_html() {
        use crate::results::Unit;
        use crate::testing::bench_fixture;
        let base = [bench_fixture("s/g/a/1", 100.0, Unit::Ns)];
        let new = [bench_fixture("s/g/a/1", 150.0, Unit::Ns)];
        let c = super::super::compare("base", &base, &new, 0.1);
        let t = comparison(&c);
        let (md, html) = (t.markdown(), t.html());
        let row = md.lines().nth(2).unwrap();
        assert!(
            row.starts_with("| `s/g/a/1` | 100 ns | 150 ns | +50.0% |"),
            "{md}"
        );
        // The same cells in HTML: the bench linked to its group, the verdict with its class.
        assert!(
            html.contains("<a href=\"#s/g\"><code>s/g/a/1</code></a>"),
            "{html}"
        );
        assert!(
            html.contains("<td>100 ns</td><td>150 ns</td><td>+50.0%</td>"),
            "{html}"
        );
        let verdict = row.rsplit(" | ").next().unwrap().trim_end_matches(" |");
        assert!(
            html.contains(&format!("class=\"{verdict}\">{verdict}</td>")),
            "{verdict}: {html}"
        );
    }

    #[test]
    fn text_cells_escape_html_and_markdown_pipes() {
        let t = Table {
            head: vec!["a"],
            rows: vec![vec![Cell::Text("x | <y>".into())]],
        };
        assert!(t.markdown().contains("| x \\| <y> |"), "{}", t.markdown());
        assert!(t.html().contains("<td>x | &lt;y&gt;</td>"), "{}", t.html());
    }
}
