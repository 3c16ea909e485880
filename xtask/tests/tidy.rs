//! Tidy: checks on the codebase itself. Every `.rs` file starts with a `//!` comment saying what it
//! is for; no debugging or placeholder macros are left behind; relative links in the docs resolve.

use std::path::{Path, PathBuf};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_owned()
}

fn files_with_ext(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
    {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy();
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') {
                files_with_ext(&path, ext, out);
            }
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

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
