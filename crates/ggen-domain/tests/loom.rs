//! Loom models: the snapshot store's commit and retry, and the shared scheduler, checked under
//! every interleaving of small models (2–3 threads, a few operations), not sampled like the
//! stress tests. Compiled only with the crate's own cfg:
//!
//! ```text
//! RUSTFLAGS="--cfg ggen_loom" cargo test -p ggen-domain --test loom --release --target-dir target/loom
//! ```
//!
//! (`.ci/run` does this.) Under that cfg the store's `ArcSwap` and the scheduler's `Mutex` and
//! `Condvar` are loom's models (`src/sync.rs`): each load, compare-and-swap, lock and wait is a
//! point where loom switches threads, in every order, up to `LOOM_MAX_PREEMPTIONS` (default here 3)
//! preemptions per execution.
#![cfg(ggen_loom)]

use std::sync::Arc;

use ggen_domain::schedule::{Priority, SharedScheduler};
use ggen_domain::snapshot::{CommitConflict, SnapshotRead, SnapshotStore, SnapshotWrite};

/// Runs `f` under loom with a preemption bound (3 unless `LOOM_MAX_PREEMPTIONS` says otherwise):
/// every execution with at most that many forced switches is explored.
fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut b = loom::model::Builder::new();
    if b.preemption_bound.is_none() {
        b.preemption_bound = Some(3);
    }
    b.check(f);
}

#[test]
fn two_commits_on_one_version_one_wins_and_the_other_conflicts() {
    model(|| {
        let store = Arc::new(SnapshotStore::new(0u64));
        let other = {
            let store = Arc::clone(&store);
            loom::thread::spawn(move || store.commit_at(0, 20))
        };
        let mine = store.commit_at(0, 10);
        let theirs = other.join().unwrap();
        let won = match (mine, theirs) {
            (
                Ok(1),
                Err(CommitConflict {
                    base: 0,
                    current: 1,
                }),
            ) => 10,
            (
                Err(CommitConflict {
                    base: 0,
                    current: 1,
                }),
                Ok(1),
            ) => 20,
            outcome => panic!("exactly one commit on version 0 must win: {outcome:?}"),
        };
        assert_eq!(store.read(|s| (s.version, s.value)), (1, won));
    });
}

#[test]
fn concurrent_updates_retry_and_lose_nothing() {
    model(|| {
        let store = Arc::new(SnapshotStore::new(0u64));
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let store = Arc::clone(&store);
                loom::thread::spawn(move || store.update(|v| v + 1))
            })
            .collect();
        let mine = store.update(|v| v + 1);
        let mut versions = vec![mine.version];
        let mut retries = mine.retries;
        for t in threads {
            let up = t.join().unwrap();
            versions.push(up.version);
            retries += up.retries;
        }
        versions.sort_unstable();
        assert_eq!(versions, [1, 2, 3], "each update gets its own version");
        assert_eq!(
            store.read(|s| (s.version, s.value)),
            (3, 3),
            "no update lost"
        );
        // Each retry is caused by another thread's commit: at most 2 per update here.
        assert!(retries <= 6, "{retries} retries");
    });
}

#[test]
fn a_reader_sees_whole_snapshots_in_version_order() {
    model(|| {
        // The value is (n, 2n): a torn read, or a value with another's version, breaks it.
        let store = Arc::new(SnapshotStore::new((0u64, 0u64)));
        let writer = {
            let store = Arc::clone(&store);
            loom::thread::spawn(move || {
                for _ in 0..2 {
                    store.update(|&(n, _)| (n + 1, 2 * (n + 1)));
                }
            })
        };
        let mut last = 0;
        for _ in 0..3 {
            let (version, (n, twice)) = store.read(|s| (s.version, s.value));
            assert_eq!((n, twice), (version, 2 * version), "a whole snapshot");
            assert!(version >= last, "versions never go back");
            last = version;
        }
        writer.join().unwrap();
    });
}

#[test]
fn every_pushed_item_is_popped_once_and_close_wakes_the_consumer() {
    model(|| {
        let queue = Arc::new(SharedScheduler::new(2));
        let producer = {
            let queue = Arc::clone(&queue);
            loom::thread::spawn(move || {
                queue.push(Priority::Low, 1u32).unwrap();
                queue.push(Priority::High, 2).unwrap();
            })
        };
        let consumer = {
            let queue = Arc::clone(&queue);
            // Blocks in `pop` until an item or the close: a lost wake-up is a loom deadlock.
            loom::thread::spawn(move || std::iter::from_fn(|| queue.pop()).collect::<Vec<_>>())
        };
        producer.join().unwrap();
        queue.close();
        assert!(queue.push(Priority::Critical, 3).is_err(), "closed");
        // The consumer may take the low item before the high one is pushed; what it must never
        // do is lose or repeat one, or sleep through the close.
        let mut got = consumer.join().unwrap();
        got.sort_unstable();
        assert_eq!(got, [1, 2]);
    });
}

#[test]
fn two_consumers_share_the_items_and_both_end_after_close() {
    model(|| {
        let queue = Arc::new(SharedScheduler::new(2));
        let consumers: Vec<_> = (0..2)
            .map(|_| {
                let queue = Arc::clone(&queue);
                loom::thread::spawn(move || std::iter::from_fn(|| queue.pop()).collect::<Vec<_>>())
            })
            .collect();
        queue.push(Priority::Normal, 7u32).unwrap();
        queue.push(Priority::Critical, 8).unwrap();
        queue.close();
        let mut got: Vec<u32> = consumers
            .into_iter()
            .flat_map(|c| c.join().unwrap())
            .collect();
        got.sort_unstable();
        assert_eq!(got, [7, 8], "each item popped exactly once");
    });
}
