//! The process-wide async runtime.
//!
//! ggen's synchronous entry points (the CLI, the hive) need to run async code. The old design built
//! a new multi-thread tokio runtime for every call, which costs about a thousand times more than
//! the work of a small command (see `benches/runtime_overhead.rs`). This module keeps exactly one
//! multi-thread runtime for the whole process, created on first use.
//!
//! # Guarantees
//!
//! - **One runtime.** The first call to any function here (or to [`init`]) creates it; later calls
//!   reuse it. It is never shut down: it lives until the process exits.
//! - **Configuration.** [`init`] sets the configuration explicitly and fails with
//!   [`RuntimeError::AlreadyInitialized`] once the runtime exists. Without `init`, the worker count
//!   comes from `GGEN_WORKER_THREADS` (a positive integer; unset means one per core) and an invalid
//!   value is reported as [`RuntimeError::InvalidEnv`] on every call until it is fixed.
//! - **Nested calls.** [`execute`] called from a task on a *multi-thread* runtime (this one or
//!   another) runs the future with `tokio::task::block_in_place`, so the worker hands its other
//!   tasks to a sibling instead of deadlocking. Called from a *current-thread* runtime, where
//!   blocking the only thread would deadlock and tokio would panic, it returns
//!   [`RuntimeError::NestedCurrentThread`] instead.
//! - **Panics.** A panic inside the future passed to [`execute`] propagates to the caller as if the
//!   future had been a function call; the runtime stays usable. [`try_execute`] catches it and
//!   returns [`RuntimeError::Panicked`] with the panic message.
//! - **Slow operations (opt-in).** With a threshold set ([`RuntimeConfig::slow_threshold`],
//!   [`set_slow_threshold`], or `GGEN_SLOW_OP_MS` in milliseconds), every `execute`-family call is
//!   timed; calls slower than the threshold are counted in [`stats`], and logged at `warn` level
//!   through `tracing` when the `tracing` feature is on. It is off by default because timing is
//!   not free: one `Instant::now()` cost about 31 ns on the reference 2-core KVM guest, and the two
//!   readings per call would double the cost of a trivial `execute` (≈45 ns → ≈110 ns).
//!
//! # Costs
//!
//! The fast path of every call is one `OnceLock::get` (an acquire load), one relaxed load of the
//! telemetry threshold, a thread-local lookup of the current runtime context and
//! `Handle::block_on`. The `runtime_overhead` suite measures it against a bare `Handle::block_on`
//! on a runtime the caller holds (`execute_baseline/raw_block_on`): that ratio is a checked claim.

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use tokio::runtime::{Handle, Runtime, RuntimeFlavor};
use tokio::task::JoinHandle;

/// Environment variable giving the worker-thread count of the lazily created runtime.
pub const WORKER_THREADS_ENV: &str = "GGEN_WORKER_THREADS";

/// Environment variable enabling slow-operation telemetry with a threshold in milliseconds.
pub const SLOW_OP_ENV: &str = "GGEN_SLOW_OP_MS";

/// Threshold value meaning "telemetry off".
const TELEMETRY_OFF: u64 = u64::MAX;

/// Errors from the global runtime.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuntimeError {
    /// [`init`] was called after the runtime had been created (by `init` or by first use).
    #[error("the ggen runtime is already initialized; call `init` once, before any other use")]
    AlreadyInitialized,
    /// An environment variable (`GGEN_WORKER_THREADS`, `GGEN_SLOW_OP_MS`) holds something other
    /// than a positive integer.
    #[error("{var}={value:?} is invalid: expected {expected}")]
    InvalidEnv {
        /// The variable.
        var: &'static str,
        /// The offending value.
        value: String,
        /// What was expected instead.
        expected: &'static str,
    },
    /// A [`RuntimeConfig`] with zero worker threads.
    #[error("invalid runtime config: worker_threads must be at least 1")]
    ZeroWorkers,
    /// Tokio could not build the runtime (for example, threads could not be spawned).
    #[error("failed to build the ggen runtime: {0}")]
    Build(#[source] std::io::Error),
    /// `execute` was called from inside a current-thread runtime, where blocking would deadlock.
    #[error(
        "cannot block on the ggen runtime from inside a current-thread tokio runtime; \
         `.await` the future instead, or run the caller on a multi-thread runtime"
    )]
    NestedCurrentThread,
    /// `execute` was called from inside a runtime of a flavor this module does not know.
    #[error("cannot block on the ggen runtime from inside a tokio runtime of flavor {0}")]
    NestedUnsupported(String),
    /// The future did not finish within the deadline given to [`execute_with_timeout`].
    #[error("operation timed out after {0:?}")]
    Timeout(Duration),
    /// The future panicked (only [`try_execute`] catches panics).
    #[error("operation panicked: {0}")]
    Panicked(String),
}

/// Configuration of the process-wide runtime, applied with [`init`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RuntimeConfig {
    /// Worker threads; `None` means one per available core.
    pub worker_threads: Option<usize>,
    /// When set, operations slower than this are counted (and logged with the `tracing`
    /// feature). `None` (the default) turns the timing off.
    pub slow_threshold: Option<Duration>,
    /// Name given to the runtime's threads.
    pub thread_name: String,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            worker_threads: None,
            slow_threshold: None,
            thread_name: "ggen-worker".to_owned(),
        }
    }
}

impl RuntimeConfig {
    /// The default configuration with the worker count taken from `GGEN_WORKER_THREADS` and the
    /// slow-operation threshold from `GGEN_SLOW_OP_MS` (both optional positive integers).
    pub fn from_env() -> Result<Self, RuntimeError> {
        let worker_threads = env_positive(WORKER_THREADS_ENV, WORKERS_EXPECTED)?;
        let slow_threshold =
            env_positive(SLOW_OP_ENV, SLOW_EXPECTED)?.map(|ms| Duration::from_millis(ms as u64));
        Ok(Self {
            worker_threads,
            slow_threshold,
            ..Self::default()
        })
    }

    /// Sets the worker-thread count.
    pub fn worker_threads(mut self, n: usize) -> Self {
        self.worker_threads = Some(n);
        self
    }

    /// Turns slow-operation telemetry on with this threshold.
    pub fn slow_threshold(mut self, threshold: Duration) -> Self {
        self.slow_threshold = Some(threshold);
        self
    }
}

const WORKERS_EXPECTED: &str = "a positive integer number of worker threads";
const SLOW_EXPECTED: &str = "a positive integer number of milliseconds";

fn env_positive(var: &'static str, expected: &'static str) -> Result<Option<usize>, RuntimeError> {
    match std::env::var(var) {
        Ok(v) => parse_positive(var, &v, expected).map(Some),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(v)) => Err(RuntimeError::InvalidEnv {
            var,
            value: v.to_string_lossy().into_owned(),
            expected,
        }),
    }
}

fn parse_positive(
    var: &'static str,
    value: &str,
    expected: &'static str,
) -> Result<usize, RuntimeError> {
    match value.trim().parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(RuntimeError::InvalidEnv {
            var,
            value: value.to_owned(),
            expected,
        }),
    }
}

/// Parses a `GGEN_WORKER_THREADS` value: a positive integer, surrounding whitespace allowed.
pub fn parse_worker_threads(value: &str) -> Result<usize, RuntimeError> {
    parse_positive(WORKER_THREADS_ENV, value, WORKERS_EXPECTED)
}

/// Counters of the process-wide runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuntimeStats {
    /// Worker threads of the runtime.
    pub worker_threads: usize,
    /// `execute`-family calls timed while telemetry was on (successfully or not).
    pub timed_operations: u64,
    /// Of those, calls slower than the threshold.
    pub slow_operations: u64,
    /// The current slow-operation threshold; `None` when telemetry is off.
    pub slow_threshold: Option<Duration>,
}

struct Global {
    runtime: Runtime,
    worker_threads: usize,
    slow_threshold_nanos: AtomicU64,
    operations: AtomicU64,
    slow_operations: AtomicU64,
}

static GLOBAL: OnceLock<Global> = OnceLock::new();
/// Serialises creation so that `init` and a concurrent first use cannot both build a runtime.
static INIT_LOCK: Mutex<()> = Mutex::new(());

fn build(config: &RuntimeConfig) -> Result<Global, RuntimeError> {
    let workers = match config.worker_threads {
        Some(0) => return Err(RuntimeError::ZeroWorkers),
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, usize::from),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name(config.thread_name.clone())
        .enable_all()
        .build()
        .map_err(RuntimeError::Build)?;
    Ok(Global {
        runtime,
        worker_threads: workers,
        slow_threshold_nanos: AtomicU64::new(threshold_nanos(config.slow_threshold)),
        operations: AtomicU64::new(0),
        slow_operations: AtomicU64::new(0),
    })
}

/// Nanoseconds of a threshold; `None` (and absurdly long thresholds) mean "off".
fn threshold_nanos(d: Option<Duration>) -> u64 {
    d.map_or(TELEMETRY_OFF, |d| {
        u64::try_from(d.as_nanos()).unwrap_or(TELEMETRY_OFF)
    })
}

/// Initializes the process-wide runtime with `config`.
///
/// Call it once, before anything else in this module. Fails with
/// [`RuntimeError::AlreadyInitialized`] if the runtime exists already, and with
/// [`RuntimeError::ZeroWorkers`] / [`RuntimeError::Build`] if it cannot be built.
pub fn init(config: RuntimeConfig) -> Result<(), RuntimeError> {
    let _guard = INIT_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    if GLOBAL.get().is_some() {
        return Err(RuntimeError::AlreadyInitialized);
    }
    let global = build(&config)?;
    // Cannot fail: creation is serialised by INIT_LOCK and we checked under it.
    let _ = GLOBAL.set(global);
    Ok(())
}

/// Whether the process-wide runtime has been created.
pub fn is_initialized() -> bool {
    GLOBAL.get().is_some()
}

fn global() -> Result<&'static Global, RuntimeError> {
    // Fast path: OnceLock::get is an acquire load that pairs with the release in `set`.
    if let Some(g) = GLOBAL.get() {
        return Ok(g);
    }
    let _guard = INIT_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(g) = GLOBAL.get() {
        return Ok(g);
    }
    let global = build(&RuntimeConfig::from_env()?)?;
    let _ = GLOBAL.set(global);
    Ok(GLOBAL.get().expect("set just above under the init lock"))
}

/// The handle of the process-wide runtime (created on first use).
pub fn handle() -> Result<&'static Handle, RuntimeError> {
    global().map(|g| g.runtime.handle())
}

/// Spawns a task on the process-wide runtime.
pub fn spawn<F>(future: F) -> Result<JoinHandle<F::Output>, RuntimeError>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Ok(global()?.runtime.spawn(future))
}

/// Counters of the process-wide runtime (creating it if needed).
pub fn stats() -> Result<RuntimeStats, RuntimeError> {
    let g = global()?;
    Ok(RuntimeStats {
        worker_threads: g.worker_threads,
        timed_operations: g.operations.load(Ordering::Relaxed),
        slow_operations: g.slow_operations.load(Ordering::Relaxed),
        slow_threshold: match g.slow_threshold_nanos.load(Ordering::Relaxed) {
            TELEMETRY_OFF => None,
            nanos => Some(Duration::from_nanos(nanos)),
        },
    })
}

/// Turns slow-operation telemetry on with `threshold` (or off with `None`) for subsequent calls.
pub fn set_slow_threshold(threshold: Option<Duration>) -> Result<(), RuntimeError> {
    global()?
        .slow_threshold_nanos
        .store(threshold_nanos(threshold), Ordering::Relaxed);
    Ok(())
}

/// Runs `future` to completion on the process-wide runtime and returns its output.
///
/// Works from plain threads and from tasks of multi-thread runtimes (see the module docs); from a
/// current-thread runtime it returns [`RuntimeError::NestedCurrentThread`]. A panic in `future`
/// propagates to the caller.
pub fn execute<F: Future>(future: F) -> Result<F::Output, RuntimeError> {
    let g = global()?;
    g.timed(|| run_blocking(g, future))
}

/// Like [`execute`], but a panic inside `future` is caught and returned as
/// [`RuntimeError::Panicked`] with the panic message.
pub fn try_execute<F: Future>(future: F) -> Result<F::Output, RuntimeError> {
    let g = global()?;
    g.timed(
        || match catch_unwind(AssertUnwindSafe(|| run_blocking(g, future))) {
            Ok(r) => r,
            Err(payload) => Err(RuntimeError::Panicked(panic_message(payload.as_ref()))),
        },
    )
}

/// Runs `future` with a deadline; returns [`RuntimeError::Timeout`] if it does not finish in time.
///
/// On timeout the future is dropped (cancelled) at its current `.await` point.
pub fn execute_with_timeout<F: Future>(
    timeout: Duration,
    future: F,
) -> Result<F::Output, RuntimeError> {
    execute(async move { tokio::time::timeout(timeout, future).await })?
        .map_err(|_| RuntimeError::Timeout(timeout))
}

fn run_blocking<F: Future>(g: &'static Global, future: F) -> Result<F::Output, RuntimeError> {
    match Handle::try_current() {
        // A plain thread: block the calling thread on our runtime.
        // Handle::block_on enters the runtime context itself; Runtime::block_on would enter it a
        // second time, which measurably costs more on every call.
        Err(_) => Ok(g.runtime.handle().block_on(future)),
        Ok(current) => match current.runtime_flavor() {
            // Inside a multi-thread runtime's worker: give the worker's other tasks to a sibling,
            // then block this thread. Handle::block_on is allowed inside block_in_place.
            RuntimeFlavor::MultiThread => Ok(tokio::task::block_in_place(|| {
                g.runtime.handle().block_on(future)
            })),
            RuntimeFlavor::CurrentThread => Err(RuntimeError::NestedCurrentThread),
            other => Err(RuntimeError::NestedUnsupported(format!("{other:?}"))),
        },
    }
}

impl Global {
    /// Runs `op`, timing it only when telemetry is on. The threshold is read once, relaxed: a
    /// concurrent `set_slow_threshold` applies from the next call on.
    #[inline]
    fn timed<R>(&self, op: impl FnOnce() -> R) -> R {
        let threshold = self.slow_threshold_nanos.load(Ordering::Relaxed);
        if threshold == TELEMETRY_OFF {
            return op();
        }
        let start = Instant::now();
        let result = op();
        let elapsed = start.elapsed();
        self.operations.fetch_add(1, Ordering::Relaxed);
        if u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX) > threshold {
            self.slow_operations.fetch_add(1, Ordering::Relaxed);
            #[cfg(feature = "tracing")]
            tracing::warn!(
                elapsed_ms = elapsed.as_secs_f64() * 1e3,
                threshold_ms = threshold as f64 / 1e6,
                "slow ggen runtime operation"
            );
        }
        result
    }
}

/// Extracts the message of a panic payload (`&str` or `String`), or a placeholder.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic payload>".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worker_threads_env_values_are_validated() {
        assert_eq!(parse_worker_threads("4").unwrap(), 4);
        assert_eq!(parse_worker_threads(" 2 ").unwrap(), 2);
        for bad in ["0", "-1", "two", "", "1.5"] {
            let err = parse_worker_threads(bad).unwrap_err();
            assert!(
                matches!(err, RuntimeError::InvalidEnv { .. }),
                "{bad}: {err}"
            );
            assert!(err.to_string().contains(WORKER_THREADS_ENV), "{err}");
            assert!(err.to_string().contains("positive integer"), "{err}");
        }
    }

    #[test]
    fn zero_workers_config_is_rejected() {
        let err = build(&RuntimeConfig::default().worker_threads(0))
            .err()
            .unwrap();
        assert!(matches!(err, RuntimeError::ZeroWorkers));
    }

    #[test]
    fn panic_messages_are_extracted() {
        assert_eq!(panic_message(&"boom"), "boom");
        assert_eq!(panic_message(&String::from("bang")), "bang");
        assert_eq!(panic_message(&7u8), "<non-string panic payload>");
    }
}
