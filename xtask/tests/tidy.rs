//! Tidy: checks on the codebase itself. Every `.rs` file starts with a `//!` comment saying what it
//! is for; no debugging or placeholder macros are left behind; relative links in the docs resolve;
//! files stay small enough to hold one concept; `unsafe` appears only where ARCHITECTURE.md says,
//! each block with a `// SAFETY:` comment, and every library crate forbids it otherwise; ggen-domain
//! takes its locks and atomic pointer from its loom seam; the harness's functions over 80 lines
//! say why. The harness's module layers are checked in `layers.rs`.

use std::path::{Path, PathBuf};

mod common;

use common::{files_with_ext, root as workspace_root};

#[test]
fn every_rust_file_starts_with_a_module_doc_comment() {
    let mut files = Vec::new();
    files_with_ext(&workspace_root(), "rs", &mut files);
    assert!(
        files.len() > 10,
        "found only {} .rs files: is the walk broken?",
        files.len()
    );
    let missing: Vec<_> = files
        .iter()
        .filter(|f| {
            !std::fs::read_to_string(f)
                .unwrap()
                .trim_start()
                .starts_with("//!")
        })
        .collect();
    assert!(
        missing.is_empty(),
        "files without a leading `//!` comment: {missing:#?}"
    );
}

#[test]
fn no_debugging_or_placeholder_macros() {
    // Built at run time so this file does not trip its own check.
    let banned: Vec<String> = ["dbg", "todo", "unimplemented"]
        .iter()
        .map(|m| format!("{m}!("))
        .collect();
    let mut files = Vec::new();
    files_with_ext(&workspace_root(), "rs", &mut files);
    let mut hits = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for (n, line) in text.lines().enumerate() {
            if let Some(b) = banned.iter().find(|b| line.contains(b.as_str())) {
                hits.push(format!("{}:{}: {b}", f.display(), n + 1));
            }
        }
    }
    assert!(hits.is_empty(), "banned macros: {hits:#?}");
}

#[test]
fn relative_links_in_docs_resolve() {
    let root = workspace_root();
    let mut docs = vec![root.join("README.md")];
    files_with_ext(&root.join("docs"), "md", &mut docs);
    let mut broken = Vec::new();
    for doc in &docs {
        let text =
            std::fs::read_to_string(doc).unwrap_or_else(|e| panic!("{}: {e}", doc.display()));
        let mut rest = text.as_str();
        while let Some(i) = rest.find("](") {
            rest = &rest[i + 2..];
            let Some(end) = rest.find(')') else { break };
            let target = rest[..end].split('#').next().unwrap_or("");
            let external = target.contains("://") || target.starts_with("mailto:");
            if !target.is_empty() && !external && !doc.parent().unwrap().join(target).exists() {
                broken.push(format!("{} -> {target}", doc.display()));
            }
        }
    }
    assert!(broken.is_empty(), "broken relative links: {broken:#?}");
}

/// Every `.rs` file of the workspace's crates.
fn crate_sources(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in [
        "crates",
        "xtask",
        "benches-common",
        "bench-format",
        "bench-report",
    ] {
        files_with_ext(&root.join(dir), "rs", &mut files);
    }
    files
}

/// Files allowed over [`MAX_LINES`], each with the reason (kept empty: split instead).
const LONG_FILES: &[(&str, &str)] = &[];

/// One concept per file: past this, a file is usually doing two jobs.
const MAX_LINES: usize = 600;

#[test]
fn source_files_stay_under_the_line_limit() {
    let root = workspace_root();
    let files = crate_sources(&root);
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let rel = f
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let n = std::fs::read_to_string(f).unwrap().lines().count();
            (n > MAX_LINES && !LONG_FILES.iter().any(|(p, _)| *p == rel))
                .then(|| format!("{rel}: {n} lines"))
        })
        .collect();
    assert!(long.is_empty(), "files over {MAX_LINES} lines: {long:#?}");
}

/// Past this many lines a function is usually several steps that want names of their own.
const MAX_FN_LINES: usize = 80;

/// The functions of `text` longer than [`MAX_FN_LINES`] whose doc comment does not say why
/// they are long (a line with "Long"), as `name: lines`. A function runs from its `fn` line to
/// the first line that is `}` at the `fn` line's indentation.
fn long_functions_without_a_reason(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        let after_vis = trimmed
            .strip_prefix("pub(crate) ")
            .or_else(|| trimmed.strip_prefix("pub(super) "))
            .or_else(|| trimmed.strip_prefix("pub "))
            .unwrap_or(trimmed);
        let Some(rest) = after_vis.strip_prefix("fn ") else {
            continue;
        };
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let close = format!("{indent}}}");
        let Some(end) = (i..lines.len()).find(|&j| lines[j] == close) else {
            continue;
        };
        let n = end - i + 1;
        let explained = lines[..i]
            .iter()
            .rev()
            .take_while(|l| {
                let t = l.trim_start();
                t.starts_with("///") || t.starts_with("#[") || t.starts_with("//")
            })
            .any(|l| l.contains("Long"));
        if n > MAX_FN_LINES && !explained {
            out.push(format!("{name}: {n} lines"));
        }
    }
    out
}

#[test]
fn long_functions_say_why() {
    assert_eq!(
        long_functions_without_a_reason(&format!(
            "/// Long on purpose.\nfn a() {{\n{}}}\nfn b() {{\n{}}}\nfn c() {{\n}}\n",
            "    x;\n".repeat(90),
            "    y;\n".repeat(90)
        )),
        ["b: 92 lines"],
        "the detector itself"
    );
    let root = workspace_root();
    let mut files = Vec::new();
    for dir in ["xtask", "bench-report"] {
        files_with_ext(&root.join(dir), "rs", &mut files);
    }
    let mut problems = Vec::new();
    for f in files {
        let rel = f.strip_prefix(&root).unwrap().display().to_string();
        for p in long_functions_without_a_reason(&std::fs::read_to_string(&f).unwrap()) {
            problems.push(format!("{rel}: {p}"));
        }
    }
    assert!(
        problems.is_empty(),
        "harness functions (xtask, bench-report) over {MAX_FN_LINES} lines without a doc comment saying why they are \
         long (split them into named steps, or say why not): {problems:#?}"
    );
}

/// Where `unsafe` may appear (ARCHITECTURE.md, "Invariants").
const UNSAFE_ALLOWED: &[&str] = &[
    "crates/ggen-domain/src/snapshot/epoch.rs",
    "benches-common/src/alloc.rs",
];

#[test]
fn unsafe_only_where_documented_and_always_justified() {
    let root = workspace_root();
    let files = crate_sources(&root);
    // Built at run time so this file does not trip its own check.
    let (block, implementation) = (format!("{} {{", "unsafe"), format!("{} impl", "unsafe"));
    let mut problems = Vec::new();
    for f in &files {
        let rel = f
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let text = std::fs::read_to_string(f).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if !code.contains(&block) && !code.contains(&implementation) {
                continue;
            }
            if !UNSAFE_ALLOWED.contains(&rel.as_str()) {
                problems.push(format!("{rel}:{}: unsafe outside the allowed files", i + 1));
            }
            let justified = lines[i.saturating_sub(4)..=i]
                .iter()
                .any(|l| l.contains("SAFETY:"));
            if !justified {
                problems.push(format!(
                    "{rel}:{}: unsafe without a // SAFETY: comment",
                    i + 1
                ));
            }
        }
    }
    for lib in [
        "crates/ggen-domain/src/lib.rs",
        "crates/ggen-core/src/lib.rs",
        "crates/ggen-ai/src/lib.rs",
        "bench-format/src/lib.rs",
        "bench-report/src/lib.rs",
    ] {
        let text = std::fs::read_to_string(root.join(lib)).unwrap();
        if !text.contains("forbid(unsafe_code)") {
            problems.push(format!("{lib}: library crate without forbid(unsafe_code)"));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// The library layers, bottom first (ARCHITECTURE.md: domain ← core ← ai ← cli).
const LAYERS: &[&str] = &["ggen-domain", "ggen-core", "ggen-ai", "ggen-cli"];

/// Crates that must depend on no ggen crate at all.
const TOOLING: &[&str] = &["benches-common", "bench-format", "bench-report", "xtask"];

#[test]
fn ggen_dependencies_point_down_and_are_used() {
    let root = workspace_root();
    let mut problems = Vec::new();
    let manifests: Vec<(String, PathBuf)> = LAYERS
        .iter()
        .map(|c| (c.to_string(), root.join("crates").join(c)))
        .chain(TOOLING.iter().map(|c| (c.to_string(), root.join(c))))
        .collect();
    for (name, dir) in &manifests {
        let text = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        let manifest: toml::Table = toml::from_str(&text).unwrap();
        let deps = manifest
            .get("dependencies")
            .and_then(|d| d.as_table())
            .cloned()
            .unwrap_or_default();
        let mut sources = Vec::new();
        files_with_ext(&dir.join("src"), "rs", &mut sources);
        let code: String = sources
            .iter()
            .map(|f| std::fs::read_to_string(f).unwrap())
            .collect();
        for dep in deps.keys().filter(|d| d.starts_with("ggen-")) {
            let level = |c: &str| LAYERS.iter().position(|l| *l == c);
            match (level(name), level(dep)) {
                (Some(me), Some(it)) if it < me => {}
                _ => problems.push(format!("{name} depends on {dep}: layers point down only")),
            }
            if !code.contains(&format!("{}::", dep.replace('-', "_"))) {
                problems.push(format!("{name} declares {dep} but its src/ never uses it"));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn every_bench_suite_is_a_harness_suite() {
    // Each bench defined once, in `benches_common::harness` (see docs/ARCHITECTURE.md): a suite
    // with its own `criterion_main!` would bypass the plan and count modes `--instructions` uses.
    let root = workspace_root();
    let banned = ["criterion_", "main!"].concat();
    let mut problems = Vec::new();
    let mut suites = 0;
    for entry in std::fs::read_dir(root.join("crates")).unwrap() {
        let benches = entry.unwrap().path().join("benches");
        let Ok(dir) = std::fs::read_dir(&benches) else {
            continue;
        };
        for f in dir {
            let path = f.unwrap().path();
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            suites += 1;
            let text = std::fs::read_to_string(&path).unwrap();
            if text.contains(&banned) || !text.contains("Suite::new(") || !text.contains(".main()")
            {
                problems.push(path.display().to_string());
            }
        }
    }
    assert!(suites >= 5, "found only {suites} bench suites");
    assert!(
        problems.is_empty(),
        "bench suites not built on benches_common::harness::Suite: {problems:?}"
    );
}

#[test]
fn ggen_domain_takes_its_locks_and_atomic_pointer_from_the_sync_seam() {
    // The loom models (`tests/loom.rs`) check the store and the shared scheduler only if they
    // are built on `crate::sync`; a `std::sync::Mutex` or `arc_swap::ArcSwap` used directly would
    // be invisible to loom and silently unchecked.
    let root = workspace_root();
    let src = root.join("crates/ggen-domain/src");
    let mut files = Vec::new();
    files_with_ext(&src, "rs", &mut files);
    let seam = src.join("sync.rs");
    // The bench-only twins are not modelled: they keep their own primitives.
    let exempt = ["snapshot/epoch.rs", "snapshot/locked.rs"];
    let mut offenders = Vec::new();
    for f in files.iter().filter(|f| **f != seam) {
        let rel = f
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if exempt.contains(&rel.as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(f).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            let direct = code.contains("arc_swap::")
                || (code.contains("std::sync")
                    && ["Mutex", "Condvar", "RwLock"]
                        .iter()
                        .any(|p| code.contains(p)));
            if direct {
                offenders.push(format!("{rel}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "ggen-domain code must take locks and atomic pointers from `crate::sync` (the loom seam):\n{}",
        offenders.join("\n")
    );
}
