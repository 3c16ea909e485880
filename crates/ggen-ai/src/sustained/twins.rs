//! The twins of the design ([`VersionedWorld`](super::VersionedWorld)) other than the earlier
//! design ([`SnapshotWorld`](super::SnapshotWorld)), measured beside them by `swarm_e2e`:
//! [`MutexWorld`] (one `Mutex<HashMap>`), [`MutexArrayWorld`] (one `Mutex` over an array),
//! [`ShardedWorld`] (a `DashMap`) and [`NullWorld`] (the engine's floor: stores nothing).

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use dashmap::DashMap;
use ggen_domain::proposal::Key;

use super::{COUNTERS, KEYS, Op, OpCost, World, work};

/// The lock, taken even if a panicking holder poisoned it (the table is still whole: every
/// write under it is a single store).
fn locked<T>(table: &Mutex<T>) -> MutexGuard<'_, T> {
    table.lock().unwrap_or_else(|e| e.into_inner())
}

/// One operation of a lock twin: under the lock, `read` the operation's two keys, then `write`
/// given what was read; timed as every world times its read and its commit.
fn under_lock<T>(
    table: &Mutex<T>,
    read: impl FnOnce(&T) -> [i64; 2],
    write: impl FnOnce(&mut T, [i64; 2]),
) -> OpCost {
    let start = Instant::now();
    let mut t = locked(table);
    let values = read(&t);
    let read_ns = start.elapsed().as_nanos() as u64;
    write(&mut t, values);
    drop(t);
    OpCost {
        read_ns,
        commit_ns: start.elapsed().as_nanos() as u64,
        ..OpCost::default()
    }
}

/// The twin: one `Mutex<HashMap>`; read, work and write all under the lock.
#[derive(Debug, Default)]
#[repr(align(128))] // alone on its cache lines: see `Padded`
pub struct MutexWorld {
    table: Mutex<HashMap<Key, i64>>,
}

impl World for MutexWorld {
    fn transact(&self, op: &Op, salt: u64) -> OpCost {
        under_lock(
            &self.table,
            |t| op.reads.map(|k| t.get(&k).copied().unwrap_or(0)),
            |t, read| {
                t.insert(op.write, work(read, salt));
                *t.entry(op.counter).or_insert(0) += 1;
            },
        )
    }

    fn counters(&self) -> i64 {
        let t = locked(&self.table);
        (0..COUNTERS as Key)
            .map(|k| t.get(&k).copied().unwrap_or(0))
            .sum()
    }

    fn peek(&self, key: Key) -> i64 {
        locked(&self.table).get(&key).copied().unwrap_or(0)
    }

    fn name(&self) -> &'static str {
        "mutex"
    }
}

/// The lock twin on the design's own layout: one `Mutex` over the table as an array (no hashing),
/// read, work and write under the lock. The best simple alternative to a versioned table for a
/// fixed set of keys, and faster than [`MutexWorld`] (its critical section hashes four keys).
#[derive(Debug)]
#[repr(align(128))] // alone on its cache lines: see `Padded`
pub struct MutexArrayWorld {
    table: Mutex<[i64; KEYS]>,
}

impl Default for MutexArrayWorld {
    fn default() -> Self {
        Self {
            table: Mutex::new([0; KEYS]),
        }
    }
}

impl World for MutexArrayWorld {
    fn transact(&self, op: &Op, salt: u64) -> OpCost {
        under_lock(
            &self.table,
            |t| op.reads.map(|k| t[k as usize]),
            |t, read| {
                t[op.write as usize] = work(read, salt);
                t[op.counter as usize] += 1;
            },
        )
    }

    fn counters(&self) -> i64 {
        locked(&self.table)[..COUNTERS].iter().sum()
    }

    fn peek(&self, key: Key) -> i64 {
        locked(&self.table)[key as usize % KEYS]
    }

    fn name(&self) -> &'static str {
        "mutex_array"
    }
}

/// A sharded map (`DashMap`): each key behind its shard's lock, no consistent view across keys
/// (an operation may compute its write from reads another agent has since overwritten). Counter
/// adds hold their entry's lock, so none is lost.
#[derive(Debug, Default)]
#[repr(align(128))] // alone on its cache lines: see `Padded`
pub struct ShardedWorld {
    table: DashMap<Key, i64>,
}

impl World for ShardedWorld {
    fn transact(&self, op: &Op, salt: u64) -> OpCost {
        let start = Instant::now();
        let read = op.reads.map(|k| self.table.get(&k).map_or(0, |v| *v));
        let read_ns = start.elapsed().as_nanos() as u64;
        self.table.insert(op.write, work(read, salt));
        *self.table.entry(op.counter).or_insert(0) += 1;
        OpCost {
            read_ns,
            commit_ns: start.elapsed().as_nanos() as u64,
            ..OpCost::default()
        }
    }

    fn counters(&self) -> i64 {
        (0..COUNTERS as Key)
            .map(|k| self.table.get(&k).map_or(0, |v| *v))
            .sum()
    }

    fn peek(&self, key: Key) -> i64 {
        self.table.get(&key).map_or(0, |v| *v)
    }

    fn name(&self) -> &'static str {
        "dashmap"
    }
}

/// The engine's floor: a world that stores nothing. An operation still computes its work from
/// two zero reads and adds 1 to one shared counter (what the lost-update check needs), so the
/// time per operation against this world is the pipeline engine's cost (stage start, semaphore,
/// ready queue, hand-offs, the agent's bookkeeping) plus one shared atomic add; the difference
/// from another world is what that world's transaction costs.
#[derive(Debug, Default)]
#[repr(align(128))] // alone on its cache lines: see `Padded`
pub struct NullWorld {
    counter: std::sync::atomic::AtomicI64,
}

impl World for NullWorld {
    fn transact(&self, _op: &Op, salt: u64) -> OpCost {
        std::hint::black_box(work([0, 0], salt));
        self.counter.fetch_add(1, Ordering::Relaxed);
        OpCost::default()
    }

    fn counters(&self) -> i64 {
        self.counter.load(Ordering::Relaxed)
    }

    fn peek(&self, _key: Key) -> i64 {
        0
    }

    fn name(&self) -> &'static str {
        "null"
    }
}
