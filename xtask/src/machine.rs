//! The machine a run shares: one benchmark run at a time ([`RunLock`]), and how much CPU other
//! processes used before and while each suite ran ([`CpuUse`]).
//!
//! Two `cargo xtask bench` runs at once on a 2-core machine measure each other, and both used to
//! exit 0 saying nothing. Now a run takes an exclusive lock on a file shared by every checkout
//! on the machine (`$TMPDIR/ggen-bench.lock`, or `GGEN_BENCH_LOCK`): a second run waits, saying
//! whose run it waits for, or with `--no-wait` stops at once (exit 2, nothing written). The lock
//! is an OS file lock (`File::try_lock`), so it is released when the holder exits, however it
//! exits; the file itself only names the holder.
//!
//! The lock cannot stop other programs (a build, a browser, an editor's test-on-save). So each
//! suite's run is bracketed by readings of `/proc/stat` (all CPUs' busy time) and
//! `/proc/self/stat` (this process and the children it has waited for, which include the suite's
//! bench binary): what is busy beyond our own share is other processes. A suite during which they
//! used more than [`UNDER_LOAD_CPUS`](bench_report::load::UNDER_LOAD_CPUS) of a CPU is reported
//! "measured under load" in the report's header and on stderr. Linux only; elsewhere nothing is sampled and the header says so.

use std::fs::{File, OpenOptions};
use std::io::{Read as _, Seek as _, Write as _};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// Environment variable naming the lock file (tests use their own).
pub const LOCK_ENV: &str = "GGEN_BENCH_LOCK";

// What a suite's reading is, and when it counts as "under load": in the pure half.
pub use bench_report::load::CpuUse;

/// Held for the whole run; dropping it (or exiting) releases the lock.
#[derive(Debug)]
pub struct RunLock {
    _file: File,
}

fn lock_path() -> PathBuf {
    std::env::var_os(LOCK_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("ggen-bench.lock"))
}

/// Takes the machine's benchmark lock. If another run holds it: with `wait`, says whose run
/// and waits (checking for SIGINT/SIGTERM); without, fails naming the holder (exit 2).
pub fn lock(wait: bool, me: &str) -> Result<RunLock> {
    lock_at(&lock_path(), wait, me)
}

fn lock_at(path: &std::path::Path, wait: bool, me: &str) -> Result<RunLock> {
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .with_context(|| format!("{}: cannot open the benchmark lock file", path.display()))?;
    let mut told = false;
    // A run that arrives while others wait queues behind them, even if the lock is free at
    // that instant (the waiter whose turn it is may be between two polls).
    let mut ticket: Option<Ticket> = None;
    if wait && Ticket::any_waiting(path) {
        ticket = Some(Ticket::take(path)?);
    }
    loop {
        // First come, first served: a run that waits takes a ticket, and tries the lock only when
        // no live waiter came before it. Without the queue a waiter polling the lock could starve
        // behind runs that follow each other closely (a bisect's probes: one waiting run got
        // no turn for 16 minutes while the probes took turns).
        let turn = ticket.as_ref().is_none_or(Ticket::first);
        let attempt = if turn {
            file.try_lock()
        } else {
            Err(std::fs::TryLockError::WouldBlock)
        };
        match attempt {
            Ok(()) => break,
            Err(std::fs::TryLockError::WouldBlock) => {
                let holder = holder(&mut file);
                if !wait {
                    bail!(
                        "another benchmark run is measuring on this machine ({holder}; lock {}); two runs at once would measure each other. Wait for it, or run without --no-wait to wait",
                        path.display()
                    );
                }
                if ticket.is_none() {
                    ticket = Some(Ticket::take(path)?);
                }
                if !told {
                    eprintln!(
                        "waiting for another benchmark run to finish ({holder}; lock {})...",
                        path.display()
                    );
                    told = true;
                }
                crate::interrupt::check()?;
                std::thread::sleep(Duration::from_millis(250));
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("{}: cannot lock", path.display()));
            }
        }
    }
    drop(ticket);
    // Ours now: say who holds it (for whoever waits).
    file.set_len(0)
        .and_then(|()| file.rewind())
        .and_then(|()| {
            write!(
                file,
                "pid {}, {me}, started {}",
                std::process::id(),
                humantime::format_rfc3339_seconds(std::time::SystemTime::now())
            )
        })
        .and_then(|()| file.flush())
        .with_context(|| format!("{}: writing the holder", path.display()))?;
    if told {
        eprintln!("the other run finished; starting");
    }
    Ok(RunLock { _file: file })
}

/// Who holds the lock, as its holder wrote it in the lock file ("another run" if it did not).
fn holder(file: &mut std::fs::File) -> String {
    let mut holder = String::new();
    let _ = file.rewind();
    let _ = file.read_to_string(&mut holder);
    match holder.trim() {
        "" => "another run".to_owned(),
        h => h.to_owned(),
    }
}

/// A waiting run's place in the queue: a file `<lock>.queue/<nanoseconds>-<pid>`, removed when
/// the run gets the lock or stops waiting (also on an error or a signal, by drop).
struct Ticket {
    dir: PathBuf,
    name: String,
}

impl Ticket {
    fn take(lock: &std::path::Path) -> Result<Self> {
        let dir = PathBuf::from(format!("{}.queue", lock.display()));
        std::fs::create_dir_all(&dir).with_context(|| {
            format!("{}: cannot create the queue of waiting runs", dir.display())
        })?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let name = format!("{nanos:024}-{}", std::process::id());
        std::fs::write(dir.join(&name), b"")
            .with_context(|| format!("{}: cannot queue", dir.display()))?;
        Ok(Self { dir, name })
    }

    /// Whether no live waiter queued before this one.
    fn first(&self) -> bool {
        !live_tickets(&self.dir, Some(&self.name))
    }

    /// Whether any live run waits for the lock at `lock`.
    fn any_waiting(lock: &std::path::Path) -> bool {
        live_tickets(&PathBuf::from(format!("{}.queue", lock.display())), None)
    }
}

/// Whether `dir` holds a ticket of a live process (before `name`, if given). Tickets of
/// processes that no longer run (killed while waiting) are removed as they are found.
fn live_tickets(dir: &std::path::Path, before: Option<&str>) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    let mut live = false;
    for n in entries
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| before.is_none_or(|b| n.as_str() < b))
    {
        let alive = n
            .rsplit_once('-')
            .and_then(|(_, pid)| pid.parse::<u32>().ok())
            .is_none_or(process_alive);
        if alive {
            live = true;
        } else {
            let _ = std::fs::remove_file(dir.join(&n));
        }
    }
    live
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(self.dir.join(&self.name));
    }
}

/// Whether process `pid` runs (Linux: its `/proc` entry; elsewhere assumed alive, so a dead
/// waiter's ticket waits for its file to be removed by hand).
fn process_alive(pid: u32) -> bool {
    let proc = std::path::Path::new("/proc");
    !proc.is_dir() || proc.join(pid.to_string()).exists()
}

/// CPU time so far, in clock ticks: all CPUs' busy time, and this process's own with its
/// waited-for children.
#[derive(Debug, Clone, Copy)]
pub struct CpuTimes {
    busy: u64,
    ours: u64,
    at: Instant,
}

/// Clock ticks per second of `/proc` (USER_HZ; 100 on every Linux this runs on).
const TICKS: f64 = 100.0;

impl CpuTimes {
    /// Reads `/proc/stat` and `/proc/self/stat`; `None` where they do not exist or do not parse.
    pub fn now() -> Option<Self> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let own = std::fs::read_to_string("/proc/self/stat").ok()?;
        Some(Self {
            busy: busy_ticks(&stat)?,
            ours: own_ticks(&own)?,
            at: Instant::now(),
        })
    }

    /// CPUs other processes used on average between `self` and `later` (0.5: half of one CPU).
    pub fn others_since(&self, later: &CpuTimes) -> f64 {
        let wall = later.at.duration_since(self.at).as_secs_f64();
        if wall <= 0.0 {
            return 0.0;
        }
        let busy = later.busy.saturating_sub(self.busy);
        let ours = later.ours.saturating_sub(self.ours);
        busy.saturating_sub(ours) as f64 / TICKS / wall
    }
}

/// Busy ticks of all CPUs from `/proc/stat`'s first line: user, nice, system, irq, softirq
/// (not idle, iowait, or steal, which is time the hypervisor took).
fn busy_ticks(stat: &str) -> Option<u64> {
    let line = stat.lines().next()?.strip_prefix("cpu ")?;
    let v: Vec<u64> = line
        .split_whitespace()
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    let at = |i: usize| v.get(i).copied();
    Some(at(0)? + at(1)? + at(2)? + at(5)? + at(6)?)
}

/// utime + stime + cutime + cstime from `/proc/self/stat` (fields 14–17; the command name in
/// parentheses may hold spaces, so fields are counted after its closing parenthesis).
fn own_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // After ")": state is field 3, so field n is f[n - 3].
    (14..=17).map(|n| f.get(n - 3)?.parse::<u64>().ok()).sum()
}

/// Samples other processes' CPU use for 50 ms before a suite; returns the reading to pass to
/// [`after`] once it has run.
pub fn before() -> Option<(CpuTimes, f64)> {
    let a = CpuTimes::now()?;
    std::thread::sleep(Duration::from_millis(50));
    let b = CpuTimes::now()?;
    Some((b, a.others_since(&b)))
}

/// Completes a suite's reading (see [`before`]); warns on stderr when it ran under load.
pub fn after(suite: &str, started: Option<(CpuTimes, f64)>) -> Option<CpuUse> {
    let (start, others_before) = started?;
    let end = CpuTimes::now()?;
    let u = CpuUse {
        suite: suite.to_owned(),
        others_before,
        others_during: start.others_since(&end),
    };
    if u.under_load() {
        eprintln!(
            "warning: {suite} was measured under load: other processes used {:.2} CPUs before it and {:.2} while it ran",
            u.others_before, u.others_during
        );
    }
    Some(u)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_readings_parse() {
        let stat = "cpu  100 5 50 1000 7 3 2 9 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n";
        assert_eq!(busy_ticks(stat), Some(100 + 5 + 50 + 3 + 2));
        assert_eq!(busy_ticks("intr 1 2 3"), None);
        let own = "4242 (a (weird) name) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18";
        // Fields 14-17 are utime, stime, cutime, cstime: 11, 12, 13, 14 here.
        assert_eq!(own_ticks(own), Some(11 + 12 + 13 + 14));
        assert!(CpuTimes::now().is_some(), "this test runs on Linux");
    }

    #[test]
    fn a_busy_other_process_is_seen_and_our_own_work_is_not() {
        // What other processes use anyway (a build or a benchmark beside the tests): the
        // assertions below are relative to it, so the test holds on a busy machine too.
        let z = CpuTimes::now().unwrap();
        std::thread::sleep(Duration::from_millis(300));
        let a = CpuTimes::now().unwrap();
        let background = z.others_since(&a);
        // Our own work (this thread) is ours: not counted as others'.
        let t = Instant::now();
        let mut x = 0u64;
        while t.elapsed() < Duration::from_millis(300) {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        let b = CpuTimes::now().unwrap();
        // The test harness may run other tests beside this one; allow for them.
        assert!(
            a.others_since(&b) < background + 1.0,
            "{} with {background} in the background",
            a.others_since(&b)
        );
        // Another process burning a CPU is seen.
        let mut busy = std::process::Command::new("sh")
            .args(["-c", "while :; do :; done"])
            .spawn()
            .unwrap();
        let c = CpuTimes::now().unwrap();
        std::thread::sleep(Duration::from_millis(500));
        let d = CpuTimes::now().unwrap();
        busy.kill().unwrap();
        busy.wait().unwrap();
        let seen = c.others_since(&d);
        assert!(seen > 0.5, "a process spinning on a CPU: {seen} CPUs");
        let u = CpuUse {
            suite: "s".into(),
            others_before: 0.0,
            others_during: seen,
        };
        assert!(u.under_load());
    }

    #[test]
    fn a_second_holder_is_refused_without_waiting_and_named() {
        let path = std::env::temp_dir().join(format!("ggen-lock-test-{}", std::process::id()));
        let first = lock_at(&path, false, "first run").unwrap();
        let e = format!("{:#}", lock_at(&path, false, "second run").unwrap_err());
        assert!(
            e.starts_with("another benchmark run is measuring on this machine (pid "),
            "{e}"
        );
        assert!(e.contains("first run, started 20"), "{e}");
        drop(first);
        let again = lock_at(&path, false, "third run");
        assert!(again.is_ok(), "released when the holder is dropped");
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn a_waiting_run_is_not_starved_by_runs_that_follow_each_other() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let path = std::env::temp_dir().join(format!("ggen-lock-fair-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(PathBuf::from(format!("{}.queue", path.display())));
        let turns = Arc::new(AtomicUsize::new(0));
        const TURNS: usize = 12;
        // A bisect's probes: each takes the lock again right after the last released it.
        let first = lock_at(&path, true, "probe").unwrap();
        let (p, t) = (path.clone(), Arc::clone(&turns));
        let probes = std::thread::spawn(move || {
            let mut held = Some(first);
            for _ in 0..TURNS {
                let lock = held
                    .take()
                    .unwrap_or_else(|| lock_at(&p, true, "probe").unwrap());
                t.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(40));
                drop(lock);
            }
        });
        std::thread::sleep(Duration::from_millis(10));
        let waiting = lock_at(&path, true, "the waiting run").unwrap();
        let at = turns.load(Ordering::SeqCst);
        drop(waiting);
        probes.join().unwrap();
        assert!(
            at < TURNS,
            "the waiting run got the lock only after all {TURNS} probes ({at})"
        );
        let _ = std::fs::remove_file(&path);
        let _ = std::fs::remove_dir_all(PathBuf::from(format!("{}.queue", path.display())));
    }

    #[test]
    fn tickets_of_dead_waiters_are_cleared() {
        let dir = std::env::temp_dir().join(format!("ggen-lock-dead-{}.queue", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        // pid 0 runs no program /proc knows of: a waiter that is gone.
        std::fs::write(dir.join(format!("{:024}-0", 1)), b"").unwrap();
        assert!(
            !live_tickets(&dir, None),
            "a dead waiter's ticket does not hold the queue"
        );
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            0,
            "and is removed"
        );
        std::fs::write(dir.join(format!("{:024}-{}", 1, std::process::id())), b"").unwrap();
        assert!(live_tickets(&dir, None));
        assert!(!live_tickets(&dir, Some("000000000000000000000000-1")));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
