//! Behaviour of the process-wide runtime: plain and concurrent calls, timeouts, panics, and calls
//! nested inside other runtimes.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ggen_core::runtime::{self, RuntimeConfig, RuntimeError};

#[test]
fn execute_runs_a_future_from_a_plain_thread() {
    let v = runtime::execute(async {
        tokio::task::yield_now().await;
        (1..=10u64).sum::<u64>()
    })
    .unwrap();
    assert_eq!(v, 55);
    assert!(runtime::is_initialized());
}

#[test]
fn concurrent_execute_from_many_threads_shares_one_runtime() {
    let done = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..16u64)
        .map(|t| {
            let done = Arc::clone(&done);
            std::thread::spawn(move || {
                for i in 0..50u64 {
                    let out = runtime::execute(async move {
                        let h = runtime::spawn(async move { t * 1000 + i }).unwrap();
                        h.await.unwrap()
                    })
                    .unwrap();
                    assert_eq!(out, t * 1000 + i);
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(done.load(Ordering::Relaxed), 800);
}

#[test]
fn init_after_first_use_is_rejected() {
    runtime::execute(async {}).unwrap();
    let err = runtime::init(RuntimeConfig::default()).unwrap_err();
    assert!(matches!(err, RuntimeError::AlreadyInitialized), "{err}");
}

#[test]
fn execute_with_timeout_times_out_and_succeeds() {
    let err =
        runtime::execute_with_timeout(Duration::from_millis(20), std::future::pending::<()>())
            .unwrap_err();
    assert!(
        matches!(err, RuntimeError::Timeout(d) if d == Duration::from_millis(20)),
        "{err}"
    );
    assert!(err.to_string().contains("timed out"));
    let ok = runtime::execute_with_timeout(Duration::from_secs(5), async { "fast" }).unwrap();
    assert_eq!(ok, "fast");
}

#[test]
fn panic_in_execute_propagates_and_the_runtime_survives() {
    let caught = std::panic::catch_unwind(|| {
        runtime::execute(async {
            panic!("boom in future");
        })
    });
    let payload = caught.unwrap_err();
    assert_eq!(runtime::panic_message(payload.as_ref()), "boom in future");
    assert_eq!(runtime::execute(async { 5 }).unwrap(), 5);
}

#[test]
fn try_execute_turns_a_panic_into_a_typed_error() {
    let err = runtime::try_execute(async {
        panic!("kaput {}", 7);
    })
    .unwrap_err();
    match err {
        RuntimeError::Panicked(msg) => assert_eq!(msg, "kaput 7"),
        other => panic!("unexpected {other}"),
    }
    assert_eq!(runtime::try_execute(async { 1 }).unwrap(), 1);
}

#[test]
fn panic_in_a_spawned_task_is_reported_by_its_join_handle() {
    let res = runtime::execute(async {
        runtime::spawn(async {
            panic!("task panic");
        })
        .unwrap()
        .await
    })
    .unwrap();
    assert!(res.unwrap_err().is_panic());
}

#[test]
fn nested_execute_inside_a_foreign_multi_thread_runtime_works() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let out = rt.block_on(async {
        tokio::spawn(async { runtime::execute(async { 40 + 2 }).unwrap() })
            .await
            .unwrap()
    });
    assert_eq!(out, 42);
}

#[test]
fn nested_execute_inside_the_global_runtime_works() {
    // A task on the global runtime calling execute again (a sync helper used from async code).
    let out = runtime::execute(async {
        runtime::spawn(async { runtime::execute(async { "inner" }).unwrap() })
            .unwrap()
            .await
            .unwrap()
    })
    .unwrap();
    assert_eq!(out, "inner");
    // And directly from the future passed to execute (runs on the blocking caller, not a worker).
    let direct = runtime::execute(async { runtime::execute(async { 3 }).unwrap() }).unwrap();
    assert_eq!(direct, 3);
}

#[test]
fn nested_execute_inside_a_current_thread_runtime_is_a_typed_error() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let err = rt
        .block_on(async { runtime::execute(async { 1 }) })
        .unwrap_err();
    assert!(matches!(err, RuntimeError::NestedCurrentThread), "{err}");
    assert!(err.to_string().contains("current-thread"), "{err}");
    // The same through the other entry points.
    let err = rt
        .block_on(async { runtime::execute_with_timeout(Duration::from_secs(1), async { 1 }) })
        .unwrap_err();
    assert!(matches!(err, RuntimeError::NestedCurrentThread), "{err}");
    let err = rt
        .block_on(async { runtime::try_execute(async { 1 }) })
        .unwrap_err();
    assert!(matches!(err, RuntimeError::NestedCurrentThread), "{err}");
}

#[test]
fn spawn_and_handle_use_the_global_runtime() {
    let h = runtime::spawn(async { 9 }).unwrap();
    assert_eq!(runtime::handle().unwrap().block_on(h).unwrap(), 9);
}

#[test]
fn many_nested_calls_from_all_workers_do_not_deadlock() {
    // More concurrent nested calls than worker threads: block_in_place must hand work over.
    let out = runtime::execute(async {
        let mut set = tokio::task::JoinSet::new();
        for i in 0..32u64 {
            set.spawn(async move { runtime::execute(async move { i * 2 }).unwrap() });
        }
        let mut sum = 0;
        while let Some(r) = set.join_next().await {
            sum += r.unwrap();
        }
        sum
    })
    .unwrap();
    assert_eq!(out, (0..32u64).map(|i| i * 2).sum::<u64>());
}
