//! Stress tests: many threads updating snapshots lose no increment; every item pushed to a
//! `SharedScheduler` by several producers is popped exactly once. The default sizes run in well
//! under a second; the `#[ignore]`d variants are the long versions (`cargo test -- --ignored`).

use std::sync::Arc;

use ggen_domain::schedule::{Priority, SharedScheduler};
use ggen_domain::snapshot::{EpochStore, LockedStore, SnapshotRead, SnapshotStore, SnapshotWrite};

fn no_lost_update<S>(store: Arc<S>, threads: u64, per_thread: u64)
where
    S: SnapshotRead<u64> + SnapshotWrite<u64> + Send + Sync + 'static,
{
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                let mut retries = 0u64;
                let mut last = 0;
                for _ in 0..per_thread {
                    let up = store.update(|v| v + 1);
                    assert!(up.version > last, "versions must grow");
                    last = up.version;
                    retries += u64::from(up.retries);
                }
                retries
            })
        })
        .collect();
    let retries: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    let total = threads * per_thread;
    assert_eq!(store.read(|s| (s.version, s.value)), (total, total));
    // A retry means another thread committed first; one commit can fail at most one in-flight
    // attempt of each other thread, so the count is bounded (and exactly 0 with one thread).
    assert!(
        retries <= total * (threads - 1),
        "{retries} retries for {total} commits by {threads} threads"
    );
}

fn all_stores(threads: u64, per_thread: u64) {
    no_lost_update(Arc::new(SnapshotStore::new(0u64)), threads, per_thread);
    no_lost_update(Arc::new(EpochStore::new(0u64)), threads, per_thread);
    no_lost_update(Arc::new(LockedStore::new(0u64)), threads, per_thread);
}

#[test]
fn concurrent_updates_lose_nothing() {
    all_stores(4, 2_000);
}

#[test]
#[ignore = "long stress variant"]
fn concurrent_updates_lose_nothing_long() {
    all_stores(8, 200_000);
}

#[test]
fn readers_see_consistent_snapshots_while_writers_commit() {
    // The value is (n, 2n): a torn read would break the relation.
    let store = Arc::new(SnapshotStore::new((0u64, 0u64)));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (store, stop) = (Arc::clone(&store), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut last = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let s = store.load();
                assert_eq!(s.value.1, 2 * s.value.0);
                assert_eq!(s.version, s.value.0);
                assert!(s.version >= last);
                last = s.version;
            }
        })
    };
    for _ in 0..20_000 {
        store.update(|&(n, _)| (n + 1, 2 * (n + 1)));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    reader.join().unwrap();
}

fn every_item_exactly_once(producers: u64, consumers: usize, per_producer: u64) {
    let s = Arc::new(SharedScheduler::new(8));
    let consumer_handles: Vec<_> = (0..consumers)
        .map(|_| {
            let s = Arc::clone(&s);
            std::thread::spawn(move || std::iter::from_fn(|| s.pop()).collect::<Vec<u64>>())
        })
        .collect();
    let producer_handles: Vec<_> = (0..producers)
        .map(|p| {
            let s = Arc::clone(&s);
            std::thread::spawn(move || {
                for i in 0..per_producer {
                    let prio = Priority::from_index((i % 4) as usize).unwrap();
                    s.push(prio, p * per_producer + i).unwrap();
                }
            })
        })
        .collect();
    for h in producer_handles {
        h.join().unwrap();
    }
    s.close();
    let mut all: Vec<u64> = consumer_handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    all.sort_unstable();
    assert_eq!(all, (0..producers * per_producer).collect::<Vec<_>>());
}

#[test]
fn shared_scheduler_pops_every_item_exactly_once() {
    every_item_exactly_once(3, 3, 5_000);
}

#[test]
#[ignore = "long stress variant"]
fn shared_scheduler_pops_every_item_exactly_once_long() {
    every_item_exactly_once(8, 8, 200_000);
}
