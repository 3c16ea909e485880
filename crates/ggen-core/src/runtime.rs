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
//! - **Slow operations.** Every `execute`-family call is timed; calls slower than the configured
//!   threshold (default 100 ms, changeable with [`set_slow_threshold`]) are counted in
//!   [`stats`], and logged at `warn` level through `tracing` when the `tracing` feature is on.
//!
//! # Costs
//!
//! The fast path of every call is one `OnceLock::get` (an acquire load), a thread-local lookup for
//! the current runtime context, `Handle::block_on`, two `Instant::now()` readings and two relaxed
//! counter increments. The `runtime_overhead` suite measures it against a bare `Handle::block_on`
//! on a runtime the caller holds (`execute_baseline/raw_block_on`): that ratio is a checked claim.

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use tokio::runtime::{Handle, Runtime, RuntimeFlavor};
use tokio::task::JoinHandle;

/// Environment variable giving the worker-thread count of the lazily created runtime.
pub const WORKER_THREADS_ENV: &str = "GGEN_WORKER_THREADS";

/// Default threshold above which an operation counts as slow.
pub const DEFAULT_SLOW_THRESHOLD: Duration = Duration::from_millis(100);

/// Errors from the global runtime.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuntimeError {
    /// [`init`] was called after the runtime had been created (by `init` or by first use).
    #[error("the ggen runtime is already initialized; call `init` once, before any other use")]
    AlreadyInitialized,
    /// `GGEN_WORKER_THREADS` holds something other than a positive integer.
    #[error("{WORKER_THREADS_ENV}={value:?} is invalid: expected a positive integer number of worker threads")]
    InvalidEnv {
        /// The offending value.
        value: String,
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
    /// Operations slower than this are counted (and logged with the `tracing` feature).
    pub slow_threshold: Duration,
    /// Name given to the runtime's threads.
    pub thread_name: String,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            worker_threads: None,
            slow_threshold: DEFAULT_SLOW_THRESHOLD,
            thread_name: "ggen-worker".to_owned(),
        }
    }
}

impl RuntimeConfig {
    /// The default configuration with the worker count taken from `GGEN_WORKER_THREADS`.
    pub fn from_env() -> Result<Self, RuntimeError> {
        let worker_threads = match std::env::var(WORKER_THREADS_ENV) {
            Ok(v) => Some(parse_worker_threads(&v)?),
            Err(std::env::VarError::NotPresent) => None,
            Err(std::env::VarError::NotUnicode(v)) => {
                return Err(RuntimeError::InvalidEnv { value: v.to_string_lossy().into_owned() });
            }
        };
        Ok(Self { worker_threads, ..Self::default() })
    }

    /// Sets the worker-thread count.
    pub fn worker_threads(mut self, n: usize) -> Self {
        self.worker_threads = Some(n);
        self
    }

    /// Sets the slow-operation threshold.
    pub fn slow_threshold(mut self, threshold: Duration) -> Self {
        self.slow_threshold = threshold;
        self
    }
}

/// Parses a `GGEN_WORKER_THREADS` value: a positive integer, surrounding whitespace allowed.
pub fn parse_worker_threads(value: &str) -> Result<usize, RuntimeError> {
    match value.trim().parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(RuntimeError::InvalidEnv { value: value.to_owned() }),
    }
}

/// Counters of the process-wide runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuntimeStats {
    /// Worker threads of the runtime.
    pub worker_threads: usize,
    /// `execute`-family calls completed (successfully or not) since start.
    pub operations: u64,
    /// Of those, calls slower than the threshold.
    pub slow_operations: u64,
    /// The current slow-operation threshold.
    pub slow_threshold: Duration,
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
        slow_threshold_nanos: AtomicU64::new(duration_nanos(config.slow_threshold)),
        operations: AtomicU64::new(0),
        slow_operations: AtomicU64::new(0),
    })
}

fn duration_nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
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
        operations: g.operations.load(Ordering::Relaxed),
        slow_operations: g.slow_operations.load(Ordering::Relaxed),
        slow_threshold: Duration::from_nanos(g.slow_threshold_nanos.load(Ordering::Relaxed)),
    })
}

/// Changes the slow-operation threshold for subsequent calls.
pub fn set_slow_threshold(threshold: Duration) -> Result<(), RuntimeError> {
    global()?.slow_threshold_nanos.store(duration_nanos(threshold), Ordering::Relaxed);
    Ok(())
}

/// Runs `future` to completion on the process-wide runtime and returns its output.
///
/// Works from plain threads and from tasks of multi-thread runtimes (see the module docs); from a
/// current-thread runtime it returns [`RuntimeError::NestedCurrentThread`]. A panic in `future`
/// propagates to the caller.
pub fn execute<F: Future>(future: F) -> Result<F::Output, RuntimeError> {
    let g = global()?;
    let start = Instant::now();
    let result = run_blocking(g, future);
    g.record(start.elapsed());
    result
}

/// Like [`execute`], but a panic inside `future` is caught and returned as
/// [`RuntimeError::Panicked`] with the panic message.
pub fn try_execute<F: Future>(future: F) -> Result<F::Output, RuntimeError> {
    let g = global()?;
    let start = Instant::now();
    let result = match catch_unwind(AssertUnwindSafe(|| run_blocking(g, future))) {
        Ok(r) => r,
        Err(payload) => Err(RuntimeError::Panicked(panic_message(payload.as_ref()))),
    };
    g.record(start.elapsed());
    result
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
        Err(_) => Ok(g.runtime.block_on(future)),
        Ok(current) => match current.runtime_flavor() {
            // Inside a multi-thread runtime's worker: give the worker's other tasks to a sibling,
            // then block this thread. Handle::block_on is allowed inside block_in_place.
            RuntimeFlavor::MultiThread => {
                Ok(tokio::task::block_in_place(|| g.runtime.handle().block_on(future)))
            }
            RuntimeFlavor::CurrentThread => Err(RuntimeError::NestedCurrentThread),
            other => Err(RuntimeError::NestedUnsupported(format!("{other:?}"))),
        },
    }
}

impl Global {
    fn record(&self, elapsed: Duration) {
        self.operations.fetch_add(1, Ordering::Relaxed);
        if duration_nanos(elapsed) > self.slow_threshold_nanos.load(Ordering::Relaxed) {
            self.slow_operations.fetch_add(1, Ordering::Relaxed);
            #[cfg(feature = "tracing")]
            tracing::warn!(
                elapsed_ms = elapsed.as_secs_f64() * 1e3,
                threshold_ms = self.slow_threshold_nanos.load(Ordering::Relaxed) as f64 / 1e6,
                "slow ggen runtime operation"
            );
        }
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

/// Re-raises a panic payload caught elsewhere (for callers that collect and rethrow).
pub fn resume_panic(payload: Box<dyn Any + Send>) -> ! {
    resume_unwind(payload)
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
            assert!(matches!(err, RuntimeError::InvalidEnv { .. }), "{bad}: {err}");
            assert!(err.to_string().contains(WORKER_THREADS_ENV), "{err}");
            assert!(err.to_string().contains("positive integer"), "{err}");
        }
    }

    #[test]
    fn zero_workers_config_is_rejected() {
        let err = build(&RuntimeConfig::default().worker_threads(0)).err().unwrap();
        assert!(matches!(err, RuntimeError::ZeroWorkers));
    }

    #[test]
    fn panic_messages_are_extracted() {
        assert_eq!(panic_message(&"boom"), "boom");
        assert_eq!(panic_message(&String::from("bang")), "bang");
        assert_eq!(panic_message(&7u8), "<non-string panic payload>");
    }
}
