//! Tidy, layers: the modules of the harness's two crates (`bench-report`, the pure half, and
//! `xtask`, which measures) form layers without circles, and the pure half starts no process.
//! docs/ARCHITECTURE.md ("xtask") draws the layers these tables state.

mod common;

use common::{files_with_ext, root};

/// The layers of the harness's pure half, `bench-report`, bottom first (docs/ARCHITECTURE.md,
/// "xtask"): a module may use modules of its own layer or below, never above, and no two modules
/// may use each other, directly or round a circle. Nothing here starts a process (checked by
/// [`the_pure_half_starts_no_process`]).
const REPORT_LAYERS: &[(&str, &[&str])] = &[
    // What a run is: benches, units, the catalog of ids, claims and verdicts, statistics, the
    // machine's load, instruction counts. No I/O but reading the files a run measured.
    (
        "model",
        &[
            "results",
            "units",
            "catalog",
            "claim",
            "stats",
            "load",
            "instructions",
        ],
    ),
    // Verdicts from measurements.
    ("judge", &["budgets", "changepoint"]),
    // Rendering and writing what was judged.
    ("report", &["report", "output"]),
    // The unit tests' fixtures (a whole report), above all they build.
    ("fixtures", &["testing"]),
];

/// The xtask's layers, bottom first, on top of `bench-report` (whose modules it re-exports at
/// its root, so `crate::results` in the xtask is `bench_report::results`): the same rule.
const XTASK_LAYERS: &[(&str, &[&str])] = &[
    // The pure half, re-exported: below everything the xtask has.
    (
        "bench-report",
        &[
            "results",
            "units",
            "catalog",
            "claim",
            "stats",
            "budgets",
            "changepoint",
            "report",
            "output",
            "testing",
        ],
    ),
    // Starting processes and reading what they measured.
    (
        "measure",
        &[
            "interrupt",
            "host",
            "machine",
            "workspace",
            "system",
            "suites",
            "instructions",
            "paired",
            "against",
        ],
    ),
    // The run history: recorded after the report, read by `history` and rendered.
    ("record", &["history"]),
    // The command line and the commands.
    ("cli", &["cli", "runner", "bisect"]),
];

/// A file without its test module. Its comments stay: a doc link or a path named in a comment
/// (`crate::paired::claims`) is knowledge of that module too, and an upward one is as much a
/// layering error as an import.
fn code_of(text: &str) -> String {
    // The test module is the `#[cfg(test)]` item that is a `mod` (after any other attributes);
    // a `#[cfg(test)]` helper function before it is code like the rest.
    let mut at = 0;
    while let Some(i) = text[at..].find("#[cfg(test)]") {
        let start = at + i;
        let rest = &text[start + "#[cfg(test)]".len()..];
        let item = rest
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with("#["))
            .unwrap_or("");
        if item.starts_with("mod ") || item.contains(" mod ") {
            return text[..start].to_owned();
        }
        at = start + 1;
    }
    text.to_owned()
}

/// Names following `prefix` in `code` (`crate::` → the top-level modules a file uses).
fn names_after(code: &str, prefix: &str) -> std::collections::BTreeSet<String> {
    code.match_indices(prefix)
        .filter(|(i, _)| {
            // `crate::x` but not `some_crate::x`
            !code[..*i]
                .chars()
                .last()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
        .map(|(i, _)| {
            code[i + prefix.len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .filter(|n| !n.is_empty())
        .collect()
}

/// A circle in `edges`, if any, as the modules along it.
fn find_circle(
    edges: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        edges: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut std::collections::BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == n) {
            let mut circle = path[at..].to_vec();
            circle.push(n.to_owned());
            return Some(circle);
        }
        if done.contains(n) {
            return None;
        }
        path.push(n.to_owned());
        for m in edges.get(n).into_iter().flatten() {
            if let Some(c) = visit(m, edges, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(n.to_owned());
        None
    }
    let mut done = std::collections::BTreeSet::new();
    edges
        .keys()
        .find_map(|n| visit(n, edges, &mut Vec::new(), &mut done))
}

/// The `use crate::` edges between one crate's top-level modules, and per directory the
/// `super::` edges between sibling files; problems found on the way (a module in no layer).
struct Edges {
    top: std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
    siblings: std::collections::BTreeMap<
        String,
        std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
    >,
    problems: Vec<String>,
}

/// Reads the edges of the crate in `dir` (`xtask`, `bench-report`) against its `layers`.
fn edges_of(dir: &str, layers: &[(&str, &[&str])]) -> Edges {
    let src = root().join(dir).join("src");
    let mut files = Vec::new();
    files_with_ext(&src, "rs", &mut files);
    let layer_of = |m: &str| layers.iter().position(|(_, ms)| ms.contains(&m));
    let mut e = Edges {
        top: Default::default(),
        siblings: Default::default(),
        problems: Vec::new(),
    };
    for f in &files {
        let rel = f
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if rel == "main.rs" || rel == "lib.rs" || rel.ends_with("_tests.rs") {
            continue; // the root declares everything; test files are not layers
        }
        let module = rel
            .split('/')
            .next()
            .unwrap()
            .trim_end_matches(".rs")
            .to_owned();
        if layer_of(&module).is_none() {
            e.problems.push(format!(
                "{dir}/src/{rel}: module `{module}` is in no layer (tidy.rs)"
            ));
            continue;
        }
        let code = code_of(&std::fs::read_to_string(f).unwrap());
        for used in names_after(&code, "crate::") {
            if used != module && layer_of(&used).is_some() {
                e.top.entry(module.clone()).or_default().insert(used);
            }
        }
        if let Some((sub, file)) = rel.rsplit_once('/') {
            let me = file.trim_end_matches(".rs");
            if me != "mod" {
                let sub_path = src.join(sub);
                for used in names_after(&code, "super::") {
                    if used != me && sub_path.join(format!("{used}.rs")).exists() {
                        e.siblings
                            .entry(sub.to_owned())
                            .or_default()
                            .entry(me.to_owned())
                            .or_default()
                            .insert(used);
                    }
                }
            }
        }
    }
    for (from, tos) in &e.top {
        for to in tos {
            let (a, b) = (layer_of(from).unwrap(), layer_of(to).unwrap());
            if b > a {
                e.problems.push(format!(
                    "{dir}: upward: `{from}` ({}) uses `{to}` ({})",
                    layers[a].0, layers[b].0
                ));
            }
        }
    }
    if let Some(c) = find_circle(&e.top) {
        e.problems
            .push(format!("{dir}: circle of modules: {}", c.join(" → ")));
    }
    for (sub, edges) in &e.siblings {
        if let Some(c) = find_circle(edges) {
            e.problems
                .push(format!("circle in {dir}/src/{sub}/: {}", c.join(" → ")));
        }
    }
    e
}

#[test]
fn modules_form_layers_without_circles() {
    let pure = edges_of("bench-report", REPORT_LAYERS);
    let xtask = edges_of("xtask", XTASK_LAYERS);
    let problems: Vec<&String> = pure.problems.iter().chain(&xtask.problems).collect();
    assert!(
        problems.is_empty(),
        "{}",
        problems
            .iter()
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    // The check sees what it must: the report's renderers use the counts tables, the report
    // uses the budgets, and the xtask's runner uses its command line.
    assert!(
        pure.siblings["report"]["markdown"].contains("counts"),
        "sibling edges not read: {:?}",
        pure.siblings
    );
    assert!(
        pure.top["report"].contains("budgets"),
        "module edges not read: {:?}",
        pure.top
    );
    assert!(
        xtask.top["runner"].contains("cli"),
        "module edges not read: {:?}",
        xtask.top
    );
}

/// The pure half's promise (bench-report's lib.rs): judging and rendering start no process. Its
/// code never names `Command` (the only way std starts one) or a crate that runs processes.
#[test]
fn the_pure_half_starts_no_process() {
    let mut files = Vec::new();
    files_with_ext(&root().join("bench-report/src"), "rs", &mut files);
    assert!(files.len() > 20, "bench-report/src not found: {files:?}");
    let mut problems = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if code.contains("Command")
                || code.contains("process::") && !code.contains("process::id")
            {
                problems.push(format!("{}:{}: {}", f.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "bench-report must not start processes (that is the xtask's half):\n{}",
        problems.join("\n")
    );
}
