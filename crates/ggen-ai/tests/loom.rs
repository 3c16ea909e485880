//! Loom models of the composed swarm's worlds. `SnapshotWorld::transact`: two agents commit at
//! once, in every interleaving of the store's loads and compare-and-swaps; a lost race is rebased
//! when nothing it read changed and redone when something did, and the result is always what one
//! of the two serial orders gives. `VersionedTable` (under `VersionedWorld`): a reader without a
//! lock sees one version of every key while writers turn the versions kept per key over, in
//! every interleaving of their atomic loads and stores (within a preemption bound). Compiled only with the workspace's
//! loom cfg (see ggen-domain's `tests/loom.rs` and `src/sync.rs`):
//!
//! ```text
//! RUSTFLAGS="--cfg ggen_loom" cargo test -p ggen-ai --test loom --release --target-dir target/loom
//! ```
#![cfg(ggen_loom)]

use std::sync::Arc;

use ggen_ai::sustained::{Op, SnapshotWorld, VersionedTable, World, work};
use ggen_domain::proposal::Key;

const SALT: u64 = 7;

fn op(id: u64, reads: [Key; 2], write: Key, counter: Key) -> Op {
    Op {
        id,
        agent: id as u32,
        reads,
        write,
        counter,
    }
}

/// The table after applying `ops` one after another to an empty one: the keys each writes.
fn serial(ops: &[Op]) -> Vec<(Key, i64)> {
    let mut values = std::collections::HashMap::<Key, i64>::new();
    for o in ops {
        let read = o.reads.map(|k| values.get(&k).copied().unwrap_or(0));
        values.insert(o.write, work(read, SALT));
    }
    let mut keys: Vec<Key> = ops.iter().map(|o| o.write).collect();
    keys.sort_unstable();
    keys.into_iter().map(|k| (k, values[&k])).collect()
}

/// Two agents commit `a` and `b` at once; the table must equal one of the serial orders, and
/// both counter adds must land. Unless `may_redo`, no interleaving may redo any work.
fn two_agents(a: Op, b: Op, may_redo: bool) {
    loom::model(move || {
        let world = Arc::new(SnapshotWorld::new());
        let other = {
            let world = Arc::clone(&world);
            loom::thread::spawn(move || world.transact(&b, SALT))
        };
        let mine = world.transact(&a, SALT);
        let theirs = other.join().unwrap();
        let mut keys: Vec<Key> = vec![a.write, b.write];
        keys.sort_unstable();
        let got: Vec<(Key, i64)> = keys.iter().map(|&k| (k, world.peek(k))).collect();
        assert!(
            got == serial(&[a, b]) || got == serial(&[b, a]),
            "{got:?} is neither serial order ({mine:?}, {theirs:?})"
        );
        assert_eq!(world.counters(), 2, "a counter add was lost");
        assert_eq!(world.version(), 2, "one commit per operation");
        assert!(mine.retries + theirs.retries <= 1, "one race, lost once");
        assert!(mine.conflicts <= mine.retries && theirs.conflicts <= theirs.retries);
        if !may_redo {
            assert_eq!(
                mine.conflicts + theirs.conflicts,
                0,
                "redone without a conflict"
            );
        }
    });
}

#[test]
fn a_lost_race_on_a_key_read_is_redone() {
    // b reads the key a writes: if a commits between b's read and b's commit, b must redo.
    two_agents(op(1, [20, 21], 30, 0), op(2, [30, 22], 40, 1), true);
}

#[test]
fn a_lost_race_on_disjoint_keys_is_rebased() {
    // Nothing shared but the counter key (commutative): a lost race rebases, never redoes.
    two_agents(op(1, [20, 21], 30, 3), op(2, [50, 51], 52, 3), false);
}

/// Runs `f` under loom with at most `preemptions` preemptions per execution.
fn bounded(preemptions: usize, f: impl Fn() + Sync + Send + 'static) {
    let mut b = loom::model::Builder::new();
    b.preemption_bound = Some(preemptions);
    b.check(f);
}

/// Two keys, two versions kept per key (so a commit that completes during a read already forces
/// a retry): one writer commits versions 1..=3, each writing `v` to key 0 and `-v` to key 1,
/// while the main thread reads both keys at one version. A read that answers must give exactly
/// version `v`'s values. Loom found one that did not (a slot's second version load was relaxed,
/// so seeing commit 3 begin did not make commit 2's publication visible: version 1 read as
/// `(1, 0)`); leaving out the reader's check of the published version breaks it too.
#[test]
fn a_versioned_read_sees_one_version_while_the_ring_turns_over() {
    bounded(3, || {
        let table = Arc::new(VersionedTable::<2, 2>::new());
        let writer = {
            let table = Arc::clone(&table);
            loom::thread::spawn(move || {
                for v in 1..=3i64 {
                    let mut c = table.begin();
                    assert_eq!(c.base() as i64, v - 1, "one writer: versions in order");
                    c.write(0, v);
                    c.write(1, -v);
                }
            })
        };
        // One attempt (the retry loop would multiply the interleavings): when it answers, the
        // answer is one version.
        if let Some((v, [a, b])) = table.try_read([0, 1]) {
            assert_eq!((a, b), (v as i64, -(v as i64)), "one version: {v}");
        }
        writer.join().unwrap();
        assert_eq!(table.version(), 3);
    });
}

/// Two writers commit at once through the commit word: each adds 1 to key 0 from its newest
/// value. No add is lost and each commit publishes its own version.
#[test]
fn versioned_commits_take_turns() {
    bounded(3, || {
        let table = Arc::new(VersionedTable::<1, 2>::new());
        let add = |t: &VersionedTable<1, 2>| {
            let mut c = t.begin();
            let x = c.latest(0);
            c.write(0, x + 1);
        };
        let other = {
            let table = Arc::clone(&table);
            loom::thread::spawn(move || add(&table))
        };
        add(&table);
        other.join().unwrap();
        assert_eq!(table.read([0]), (2, [2]));
    });
}
