//! Reading input files and writing output files: an input error names the file; an output file
//! is written whole or not at all (temporary file beside it, then rename).

use std::path::Path;

use anyhow::{Context, Result, bail};

/// The text of `path`, or an error naming it.
pub fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("{}: cannot read", path.display()))
}

/// Writes `contents` to `path` atomically. A directory in the way is an error, and a failed write
/// leaves neither `path` nor a temporary file behind.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    if path.is_dir() {
        bail!("{}: is a directory; expected a file path", path.display());
    }
    let name = path
        .file_name()
        .with_context(|| format!("{}: not a file path", path.display()))?;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    let tmp = dir
        .unwrap_or(Path::new("."))
        .join(format!(".{}.tmp", name.to_string_lossy()));
    let written = std::fs::write(&tmp, contents)
        .with_context(|| format!("{}: cannot write", path.display()))
        .and_then(|()| {
            std::fs::rename(&tmp, path).with_context(|| format!("{}: cannot write", path.display()))
        });
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Prints `contents` or writes it to `output`.
pub fn emit(output: Option<&Path>, contents: &str) -> Result<()> {
    match output {
        Some(path) => write_atomic(path, contents.as_bytes()),
        None => {
            println!("{contents}");
            Ok(())
        }
    }
}
