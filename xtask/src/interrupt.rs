//! SIGINT and SIGTERM during `cargo xtask bench`: stop the child process, mark the run, exit
//! 130/143.
//!
//! [`install`] replaces the default "die at once" action with a flag (signal-hook; the handler
//! only stores a number, which is async-signal-safe). Every child the bench command starts goes
//! through [`run`], which polls the child and the flag; on a signal it kills the child, reaps it,
//! and returns [`Interrupted`], so the runner can mark its run folder incomplete and `main` can
//! exit with 128 + the signal number. The bench binaries are started directly (not through
//! `cargo bench`), so killing the child leaves no grandchild running.
//!
//! Only the `bench` command installs the handler; `compare` and `report` keep the default action.

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Context, Result};

/// The signal received so far (0: none). Written by the handler, read by [`received`].
static SIGNAL: OnceLock<Arc<AtomicUsize>> = OnceLock::new();

/// How often a running child is checked for exit or a pending signal.
const POLL: Duration = Duration::from_millis(20);

/// The bench command was stopped by a signal; `main` exits with [`Interrupted::exit_code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interrupted(pub i32);

impl Interrupted {
    /// 130 for SIGINT, 143 for SIGTERM (128 + the signal number, as shells report it).
    pub fn exit_code(self) -> u8 {
        u8::try_from(128 + self.0).unwrap_or(130)
    }

    fn name(self) -> &'static str {
        match self.0 {
            signal_hook::consts::SIGINT => "SIGINT",
            signal_hook::consts::SIGTERM => "SIGTERM",
            _ => "a signal",
        }
    }
}

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "interrupted by {}", self.name())
    }
}

impl std::error::Error for Interrupted {}

/// Catches SIGINT and SIGTERM from now on (idempotent).
pub fn install() -> Result<()> {
    let flag = SIGNAL.get_or_init(|| Arc::new(AtomicUsize::new(0)));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        let value = usize::try_from(sig).unwrap_or(2);
        signal_hook::flag::register_usize(sig, Arc::clone(flag), value)
            .context("installing the SIGINT/SIGTERM handler")?;
    }
    Ok(())
}

/// The signal received since [`install`], if any.
pub fn received() -> Option<Interrupted> {
    let sig = SIGNAL.get()?.load(Ordering::SeqCst);
    (sig != 0).then(|| Interrupted(i32::try_from(sig).unwrap_or(2)))
}

/// Fails with [`Interrupted`] if a signal has arrived.
pub fn check() -> Result<()> {
    match received() {
        Some(i) => Err(i.into()),
        None => Ok(()),
    }
}

/// What a finished child printed on stdout (when stdout was piped) and how it ended.
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
}

/// Runs `cmd` to completion, unless a signal arrives: then the child is killed and reaped and the
/// result is [`Interrupted`]. Set `capture` to collect stdout (otherwise `cmd`'s own stdout
/// setting is kept).
pub fn run(cmd: &mut Command, capture: bool, what: &str) -> Result<Finished> {
    check()?;
    if capture {
        cmd.stdout(Stdio::piped());
    }
    let mut child = cmd.spawn().with_context(|| format!("starting {what}"))?;
    let reader = child.stdout.take().map(|mut out| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = out.read_to_end(&mut buf);
            buf
        })
    });
    let status = wait_or_kill(&mut child).with_context(|| format!("waiting for {what}"))?;
    let stdout = reader
        .map(|r| r.join().unwrap_or_default())
        .unwrap_or_default();
    match (status, received()) {
        (_, Some(sig)) => Err(sig.into()),
        (Some(status), None) => Ok(Finished { status, stdout }),
        (None, None) => unreachable!("wait_or_kill returns None only after a signal"),
    }
}

/// `Some(status)` when the child exits by itself; `None` after killing it on a signal.
fn wait_or_kill(child: &mut Child) -> std::io::Result<Option<ExitStatus>> {
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if received().is_some() {
            let _ = child.kill();
            child.wait()?;
            return Ok(None);
        }
        std::thread::sleep(POLL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_shell_convention() {
        assert_eq!(Interrupted(signal_hook::consts::SIGINT).exit_code(), 130);
        assert_eq!(Interrupted(signal_hook::consts::SIGTERM).exit_code(), 143);
        assert_eq!(
            Interrupted(signal_hook::consts::SIGTERM).to_string(),
            "interrupted by SIGTERM"
        );
    }

    #[test]
    fn a_child_runs_to_completion_and_its_stdout_is_captured() {
        let done = run(
            Command::new("sh").args(["-c", "echo hello; exit 3"]),
            true,
            "sh",
        )
        .unwrap();
        assert_eq!(done.status.code(), Some(3));
        assert_eq!(String::from_utf8_lossy(&done.stdout), "hello\n");
    }
}
