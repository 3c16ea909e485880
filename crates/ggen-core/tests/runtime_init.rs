//! `init` in its own process: an explicit configuration is applied, and only once.

use std::time::Duration;

use ggen_core::runtime::{self, RuntimeConfig, RuntimeError};

#[test]
fn init_applies_config_once_and_counts_slow_operations() {
    assert!(!runtime::is_initialized());
    runtime::init(
        RuntimeConfig::default()
            .worker_threads(3)
            .slow_threshold(Duration::from_secs(60)),
    )
    .unwrap();
    let stats = runtime::stats().unwrap();
    assert_eq!(stats.worker_threads, 3);
    assert_eq!(stats.slow_threshold, Some(Duration::from_secs(60)));

    let err = runtime::init(RuntimeConfig::default()).unwrap_err();
    assert!(matches!(err, RuntimeError::AlreadyInitialized), "{err}");

    // A fast operation is not slow at a 60 s threshold.
    runtime::execute(async {}).unwrap();
    assert_eq!(runtime::stats().unwrap().slow_operations, 0);

    // An operation that waits 20 ms is slow at a 1 ms threshold (timer wait is the point here).
    runtime::set_slow_threshold(Some(Duration::from_millis(1))).unwrap();
    runtime::execute(async { tokio::time::sleep(Duration::from_millis(20)).await }).unwrap();
    let stats = runtime::stats().unwrap();
    assert_eq!(stats.slow_operations, 1);
    assert_eq!(stats.timed_operations, 2);

    // Off again: nothing more is timed or counted.
    runtime::set_slow_threshold(None).unwrap();
    runtime::execute(async { tokio::time::sleep(Duration::from_millis(5)).await }).unwrap();
    let stats = runtime::stats().unwrap();
    assert_eq!((stats.timed_operations, stats.slow_operations), (2, 1));
    assert_eq!(stats.slow_threshold, None);
}
