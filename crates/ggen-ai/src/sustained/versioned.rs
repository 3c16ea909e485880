//! [`VersionedWorld`]: the shared table kept as a few versions per key (multi-version
//! concurrency control), so that a commit writes the two keys it changes in place instead of
//! publishing a copy of the whole table, and a reader still sees one consistent version of every
//! key without taking a lock.
//!
//! ```text
//!  version word: 2·v (v published, no commit under way) or 2·v + 1 (the commit of v + 1 writing)
//!  key k: [ (version, value) × RING ]   one cache line per key; the oldest slot is rewritten
//!
//!  read at snapshot s = v:  for each key, the slot with the highest version ≤ s
//!                           (valid if fewer than RING − 1 commits were published meanwhile)
//!  commit (writers in turn: compare-and-swap the word from even to odd; readers never wait):
//!       a key read or written since s? → conflict: read again, redo the work
//!       write value and counter at version v + 1, then store 2·(v + 1): publish and release
//! ```
//!
//! Why a snapshot read is consistent: every write of version `v` is in its key's ring before the
//! word publishes `v` (release/acquire), and a reader at `s` ignores versions above `s`. The
//! newest write `w ≤ s` of a key leaves the ring only when the key has been written `RING` times
//! after it, all at versions above `s`; the writer of the last of those started after the
//! `RING − 1` before it were published, so a reader that saw any trace of that rewrite — a slot
//! mid-write or holding a version above `s` where `w` was, seen through an acquire load of the
//! slot's version or its value followed by an acquire fence — then reads a published version
//! ≥ `s + RING − 1` and retries. Each slot is read like a sequence lock (version, value, version
//! again). The loom model in `tests/loom.rs` checks this on a table of 2 keys × 2 versions.

#[cfg(ggen_loom)]
use loom::sync::atomic::{AtomicI64, AtomicU64, Ordering, fence};
#[cfg(not(ggen_loom))]
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering, fence};
use std::time::Instant;

use ggen_domain::proposal::Key;

use super::{COUNTERS, KEYS, Op, OpCost, World, work};

/// Versions kept per key by [`VersionedWorld`]: 4 slots of 16 bytes, one 64-byte cache line.
pub const RING: usize = 4;
/// A slot's version while its value is being rewritten.
const WRITING: u64 = u64::MAX;

/// One version of one key.
#[derive(Debug)]
struct Slot {
    version: AtomicU64,
    value: AtomicI64,
}

impl Default for Slot {
    fn default() -> Self {
        Self {
            version: AtomicU64::new(0),
            value: AtomicI64::new(0),
        }
    }
}

impl Slot {
    /// The slot's `(version, value)`, or `None` if it was being rewritten meanwhile.
    fn read(&self) -> Option<(u64, i64)> {
        let before = self.version.load(Ordering::Acquire);
        let value = self.value.load(Ordering::Relaxed);
        fence(Ordering::Acquire);
        // Acquire, not relaxed: a reader that sees a rewrite begin here must then see the
        // versions published before it (the loom model found a stale read without it).
        let after = self.version.load(Ordering::Acquire);
        (before == after && before != WRITING).then_some((before, value))
    }

    /// Rewrites the slot as `version` of its key. Only a writer holding the commit lock calls it.
    fn write(&self, version: u64, value: i64) {
        self.version.store(WRITING, Ordering::Release);
        fence(Ordering::Release);
        self.value.store(value, Ordering::Relaxed);
        self.version.store(version, Ordering::Release);
    }
}

/// The last `R` versions of one key, on a cache line of its own.
#[derive(Debug)]
#[repr(align(64))]
struct Cell<const R: usize> {
    slots: [Slot; R],
}

impl<const R: usize> Default for Cell<R> {
    fn default() -> Self {
        Self {
            slots: std::array::from_fn(|_| Slot::default()),
        }
    }
}

impl<const R: usize> Cell<R> {
    /// The value at snapshot `s` (the slot with the highest version ≤ `s`), if still kept.
    fn at(&self, s: u64) -> Option<i64> {
        let mut best: Option<(u64, i64)> = None;
        for slot in &self.slots {
            if let Some((v, x)) = slot.read()
                && v <= s
                && best.is_none_or(|(b, _)| v > b)
            {
                best = Some((v, x));
            }
        }
        best.map(|(_, x)| x)
    }

    /// The newest slot's index and version. Only under the commit lock (no slot mid-write).
    fn newest(&self) -> (usize, u64) {
        let mut best = (0, 0);
        for (i, slot) in self.slots.iter().enumerate() {
            let v = slot.version.load(Ordering::Relaxed);
            if v > best.1 {
                best = (i, v);
            }
        }
        best
    }

    /// The newest value. Only under the commit lock.
    fn latest(&self) -> i64 {
        self.slots[self.newest().0].value.load(Ordering::Relaxed)
    }

    /// Writes `value` as `version`, over the oldest slot. Only under the commit lock.
    fn push(&self, version: u64, value: i64) {
        let (newest, _) = self.newest();
        self.slots[(newest + 1) % R].write(version, value);
    }
}

/// The published version and the commit lock in one word, on cache lines of its own: `2 v`
/// while version `v` is the newest and no commit is under way, `2 v + 1` while the commit of
/// `v + 1` writes its slots. A writer takes it by compare-and-swap from even to odd and
/// publishes and releases it with one store; readers only load it (an odd value is fine for
/// them: they read version `v`).
#[derive(Debug)]
#[repr(align(128))]
struct Head(AtomicU64);

impl Head {
    /// The newest published version.
    fn version(&self) -> u64 {
        self.0.load(Ordering::Acquire) >> 1
    }

    /// Waits for no commit to be under way and takes the word: returns the newest version.
    fn lock(&self) -> u64 {
        let mut spins = 0u32;
        loop {
            let word = self.0.load(Ordering::Relaxed);
            if word & 1 == 0
                && self
                    .0
                    .compare_exchange_weak(word, word | 1, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
            {
                return word >> 1;
            }
            spins += 1;
            backoff(spins);
        }
    }

    /// Publishes `version` (the one after what [`Head::lock`] returned, or that one if nothing
    /// was written) and releases the word.
    fn publish(&self, version: u64) {
        self.0.store(version << 1, Ordering::Release);
    }
}

/// A writer waiting for the commit word: spins briefly, then lets the holder's thread run.
#[cfg(not(ggen_loom))]
fn backoff(spins: u32) {
    if spins < 64 {
        std::hint::spin_loop();
    } else {
        std::thread::yield_now();
    }
}

/// Under loom a waiting writer must yield for the model to run the holder.
#[cfg(ggen_loom)]
fn backoff(_: u32) {
    loom::thread::yield_now();
}

/// `K` keys of `i64`, each keeping its last `R` versions: reads at one version of the whole
/// table without a lock ([`read`](Self::read)), and commits by one writer at a time
/// ([`begin`](Self::begin)) that write only the keys they change. The store under
/// [`VersionedWorld`]; public so that its protocol can be model-checked on a small table
/// (`tests/loom.rs`).
#[derive(Debug)]
#[repr(align(128))] // alone on its cache lines: see `Padded`
pub struct VersionedTable<const K: usize, const R: usize> {
    head: Head,
    cells: [Cell<R>; K],
}

impl<const K: usize, const R: usize> Default for VersionedTable<K, R> {
    fn default() -> Self {
        const {
            assert!(
                R >= 2,
                "a reader needs a version kept while the next is written"
            )
        };
        Self {
            head: Head(AtomicU64::new(0)),
            cells: std::array::from_fn(|_| Cell::default()),
        }
    }
}

impl<const K: usize, const R: usize> VersionedTable<K, R> {
    /// Every key 0 at version 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// The newest published version (commits so far).
    pub fn version(&self) -> u64 {
        self.head.version()
    }

    /// Reads `keys` (each `< K`) at one version without taking a lock: returns that version and
    /// the values. Retries while `R − 1` or more commits overtake it, never while none are under
    /// way.
    pub fn read<const N: usize>(&self, keys: [usize; N]) -> (u64, [i64; N]) {
        loop {
            if let Some(read) = self.try_read(keys) {
                return read;
            }
        }
    }

    /// One attempt of [`read`](Self::read): `None` if `R − 1` or more commits overtook it (a
    /// key's version at the snapshot may have been rewritten while it was read).
    pub fn try_read<const N: usize>(&self, keys: [usize; N]) -> Option<(u64, [i64; N])> {
        let s = self.head.version();
        let values = keys.map(|k| self.cells[k].at(s));
        let e = self.head.version();
        (e - s < R as u64 - 1 && values.iter().all(Option::is_some))
            .then(|| (s, values.map(|v| v.unwrap_or_default())))
    }

    /// Takes the commit word (waiting for a commit under way to publish): the returned commit
    /// writes version [`Commit::base`]` + 1` and publishes it when dropped.
    pub fn begin(&self) -> Commit<'_, K, R> {
        Commit {
            base: self.head.lock(),
            wrote: false,
            table: self,
        }
    }
}

/// One commit under way on a [`VersionedTable`]: the only writer until dropped, which publishes
/// what it wrote as one version (or releases the word unchanged if it wrote nothing).
#[derive(Debug)]
pub struct Commit<'a, const K: usize, const R: usize> {
    base: u64,
    wrote: bool,
    table: &'a VersionedTable<K, R>,
}

impl<const K: usize, const R: usize> Commit<'_, K, R> {
    /// The newest version when the commit began; it writes the next.
    pub fn base(&self) -> u64 {
        self.base
    }

    /// The version `key` was last written at.
    pub fn written_at(&self, key: usize) -> u64 {
        self.table.cells[key].newest().1
    }

    /// `key`'s newest value.
    pub fn latest(&self, key: usize) -> i64 {
        self.table.cells[key].latest()
    }

    /// Writes `value` to `key` at this commit's version (at most once per key per commit).
    pub fn write(&mut self, key: usize, value: i64) {
        debug_assert!(
            self.written_at(key) <= self.base,
            "key {key} written twice in one commit"
        );
        self.table.cells[key].push(self.base + 1, value);
        self.wrote = true;
    }
}

impl<const K: usize, const R: usize> Drop for Commit<'_, K, R> {
    fn drop(&mut self) {
        self.table.head.publish(self.base + u64::from(self.wrote));
    }
}

/// The multi-version design: readers never block and see one version of the whole table;
/// a commit writes only the keys it changes.
#[derive(Debug, Default)]
pub struct VersionedWorld {
    table: VersionedTable<KEYS, RING>,
}

impl VersionedWorld {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Committed operations so far (the published version).
    pub fn version(&self) -> u64 {
        self.table.version()
    }

    /// Reads `keys` at one version without taking a lock ([`VersionedTable::read`]).
    pub fn read<const N: usize>(&self, keys: [Key; N]) -> (u64, [i64; N]) {
        self.table.read(keys.map(|k| k as usize % KEYS))
    }
}

impl World for VersionedWorld {
    fn transact(&self, op: &Op, salt: u64) -> OpCost {
        let start = Instant::now();
        let mut cost = OpCost::default();
        let (base, read) = self.read(op.reads);
        cost.read_ns = start.elapsed().as_nanos() as u64;
        let mut value = work(read, salt);
        let mut commit = self.table.begin();
        if commit.base() != base {
            cost.retries += 1;
            // Did anything committed since our read touch what we read or write?
            let touched = |k: Key| commit.written_at(k as usize) > base;
            if op.reads.into_iter().chain([op.write]).any(touched) {
                cost.conflicts += 1;
                value = work(op.reads.map(|k| commit.latest(k as usize)), salt);
            }
        }
        commit.write(op.write as usize, value);
        let counter = op.counter as usize;
        commit.write(counter, commit.latest(counter) + 1);
        drop(commit);
        cost.commit_ns = start.elapsed().as_nanos() as u64;
        cost
    }

    fn counters(&self) -> i64 {
        let (_, v) = self.read(std::array::from_fn::<Key, COUNTERS, _>(|k| k as Key));
        v.iter().sum()
    }

    fn peek(&self, key: Key) -> i64 {
        self.read([key]).1[0]
    }

    fn name(&self) -> &'static str {
        "versioned"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_keeps_the_last_ring_versions_and_answers_for_any_snapshot_among_them() {
        let cell = Cell::<RING>::default();
        assert_eq!(cell.at(0), Some(0), "an empty key reads 0 at any snapshot");
        // Key written at versions 3, 5, 9, 10, 12 (other keys took the versions between).
        for v in [3u64, 5, 9, 10, 12] {
            cell.push(v, v as i64 * 100);
        }
        assert_eq!(
            cell.newest(),
            ((5 % RING), 12),
            "five pushes wrap the ring once"
        );
        assert_eq!(cell.latest(), 1_200);
        assert_eq!(cell.at(12), Some(1_200));
        assert_eq!(
            cell.at(11),
            Some(1_000),
            "the newest version at or below the snapshot"
        );
        assert_eq!(cell.at(9), Some(900));
        assert_eq!(cell.at(8), Some(500));
        assert_eq!(cell.at(5), Some(500));
        assert_eq!(
            cell.at(4),
            None,
            "version 3 was rewritten: no answer, not a wrong one"
        );
    }

    #[test]
    fn a_slot_mid_write_is_not_read() {
        let slot = Slot::default();
        slot.write(4, 40);
        assert_eq!(slot.read(), Some((4, 40)));
        slot.version.store(WRITING, Ordering::Relaxed);
        assert_eq!(slot.read(), None);
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "written twice")]
    fn a_key_written_twice_in_one_commit_is_caught() {
        let t = VersionedTable::<2, 2>::new();
        let mut c = t.begin();
        c.write(1, 5);
        c.write(1, 6);
    }

    #[test]
    fn each_commit_publishes_one_version_and_leaves_the_word_free() {
        let w = VersionedWorld::new();
        let ops: Vec<Op> = (0..10).map(|seq| Op::new(1, seq)).collect();
        let mut table = [0i64; KEYS];
        for (i, op) in ops.iter().enumerate() {
            let cost = w.transact(op, 7);
            assert_eq!((cost.retries, cost.conflicts), (0, 0), "alone: no race");
            table[op.write as usize] = work(op.reads.map(|k| table[k as usize]), 7);
            table[op.counter as usize] += 1;
            assert_eq!(w.version(), i as u64 + 1);
        }
        for k in 0..KEYS as Key {
            assert_eq!(w.peek(k), table[k as usize], "key {k}");
        }
        assert_eq!(w.counters(), 10);
        let c = w.table.begin();
        assert_eq!(c.base(), 10, "no commit left the word taken");
        drop(c);
        assert_eq!(
            w.version(),
            10,
            "a commit that writes nothing publishes nothing"
        );
    }
}
