//! Every file `cargo xtask bench` produces is written here, last and all together.
//!
//! The contract (docs/BENCHMARKS.md): exit 2 means nothing was written. So output paths are
//! checked before the first bench runs ([`check_target`]), and the files themselves are staged
//! ([`Outputs`]): all contents are rendered in memory, every file is first written under a
//! temporary name beside its target, and only when all of them were written are they renamed into
//! place. A failure removes the temporary files it made; no stray `.NAME.tmp` stays behind.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// Name of the marker file in a run folder that did not finish (`report` and `history import`
/// refuse or skip such a folder).
pub const INCOMPLETE: &str = "INCOMPLETE";

/// Checks, without writing anything that stays, that `path` can be written: it is not a
/// directory, and its nearest existing ancestor is a directory in which a file can be created.
/// `what` names the option or file for the error (`--export bmf`, `baseline "x"`).
pub fn check_target(path: &Path, what: &str) -> Result<()> {
    if path.is_dir() {
        bail!(
            "{what}: {} is a directory; expected a file path",
            path.display()
        );
    }
    let mut dir = path.parent().context("path has no parent")?;
    loop {
        if dir.as_os_str().is_empty() {
            dir = Path::new(".");
        }
        if dir.exists() {
            break;
        }
        dir = dir.parent().unwrap_or(Path::new("."));
    }
    if !dir.is_dir() {
        bail!(
            "{what}: cannot write {}: {} is not a directory",
            path.display(),
            dir.display()
        );
    }
    let probe = dir.join(format!(".ggen-write-probe-{}", std::process::id()));
    std::fs::write(&probe, b"").with_context(|| {
        format!(
            "{what}: cannot write {}: {} is not writable",
            path.display(),
            dir.display()
        )
    })?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

fn temp_name(path: &Path) -> Result<PathBuf> {
    let dir = path.parent().context("path has no parent")?;
    let name = path.file_name().context("path has no file name")?;
    Ok(dir.join(format!(".{}.tmp", name.to_string_lossy())))
}

/// Files to write together (see the module docs).
#[derive(Debug, Default)]
pub struct Outputs {
    files: Vec<(PathBuf, Vec<u8>)>,
}

impl Outputs {
    /// Adds a file; later additions for the same path replace earlier ones.
    pub fn add(&mut self, path: PathBuf, contents: Vec<u8>) {
        self.files.retain(|(p, _)| *p != path);
        self.files.push((path, contents));
    }

    /// Writes every file under a temporary name, then renames them all into place.
    pub fn commit(self) -> Result<()> {
        // A rename onto a directory is the one failure a rename can have here: refuse it first.
        for (path, _) in &self.files {
            if path.is_dir() {
                bail!("{} is a directory; expected a file path", path.display());
            }
        }
        let mut staged: Vec<(PathBuf, &Path)> = Vec::new();
        let result: Result<()> = (|| {
            for (path, contents) in &self.files {
                let dir = path.parent().context("path has no parent")?;
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
                let tmp = temp_name(path)?;
                staged.push((tmp.clone(), path));
                std::fs::write(&tmp, contents)
                    .with_context(|| format!("writing {}", tmp.display()))?;
            }
            Ok(())
        })();
        if let Err(e) = result {
            for (tmp, _) in &staged {
                let _ = std::fs::remove_file(tmp);
            }
            return Err(e);
        }
        let renamed = (|| {
            for (renamed, (tmp, path)) in staged.iter().enumerate() {
                if let Err(e) = std::fs::rename(tmp, path) {
                    return Err((renamed, e, path.to_path_buf()));
                }
            }
            Ok(())
        })();
        match renamed {
            Ok(()) => Ok(()),
            Err((done, e, path)) => {
                for (tmp, _) in &staged[done..] {
                    let _ = std::fs::remove_file(tmp);
                }
                Err(e).with_context(|| format!("renaming into {}", path.display()))
            }
        }
    }
}

/// Writes one file atomically (temporary name, then rename).
#[cfg(test)]
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    let mut out = Outputs::default();
    out.add(path.to_owned(), contents.to_vec());
    out.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("xtask-output-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn targets_that_are_directories_or_under_files_are_refused() {
        let d = temp("check");
        let err = check_target(&d, "--export bmf").unwrap_err().to_string();
        assert!(
            err.contains("--export bmf") && err.contains("is a directory"),
            "{err}"
        );
        std::fs::write(d.join("file"), b"x").unwrap();
        let err = format!(
            "{:#}",
            check_target(&d.join("file/sub/x.json"), "baseline").unwrap_err()
        );
        assert!(err.contains("is not a directory"), "{err}");
        check_target(&d.join("new/dir/x.json"), "ok").unwrap();
        assert_eq!(entries(&d), ["file"], "a check writes nothing that stays");
    }

    #[test]
    fn a_failed_commit_leaves_no_file_and_no_temporary() {
        let d = temp("commit");
        std::fs::create_dir_all(d.join("taken")).unwrap();
        std::fs::write(d.join("taken/inside"), b"x").unwrap();
        let mut out = Outputs::default();
        out.add(d.join("a.json"), b"a".to_vec());
        out.add(d.join("taken"), b"b".to_vec());
        assert!(out.commit().is_err());
        assert_eq!(entries(&d), ["taken"]);
        // A failure while staging (a parent that is a file) removes what was staged.
        std::fs::write(d.join("plain"), b"x").unwrap();
        let mut out = Outputs::default();
        out.add(d.join("a.json"), b"a".to_vec());
        out.add(d.join("plain/b.json"), b"b".to_vec());
        assert!(out.commit().is_err());
        assert_eq!(entries(&d), ["plain", "taken"]);
        std::fs::remove_file(d.join("plain")).unwrap();

        let mut out = Outputs::default();
        out.add(d.join("a.json"), b"a".to_vec());
        out.add(d.join("sub/b.json"), b"b".to_vec());
        out.commit().unwrap();
        assert_eq!(std::fs::read(d.join("sub/b.json")).unwrap(), b"b");
        assert_eq!(entries(&d), ["a.json", "sub", "taken"]);
    }
}
