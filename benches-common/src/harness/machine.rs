//! What the machine itself gives, measured beside the code it judges: `machine/independent/N`
//! (work that shares nothing, on N threads), `machine/shared_work/N` (the same work, each unit
//! also adding to one shared counter, as each commit of a swarm moves its version word between
//! CPUs) and `machine/shared_line/N` (N threads adding to one atomic counter and nothing else).
//!
//! A scaling claim about the code ("2 agents reach 1.7× the throughput of 1") silently assumes
//! a machine that gives 2× on independent work. A VM's second vCPU may give 1.9× (a full core)
//! or 1.2× (a hyperthread sibling, or a busy host); the same code then reads 1.7× or 1.1×. An
//! `[[efficiency]]` entry in `budgets.toml` divides the code's speedup by the machine's on a
//! reference work named in the entry (`independent` or `shared_work`), both measured in turn
//! in the same rounds, so the verdict is about the code. `shared_line` shows what one contended cache line costs on this machine; it is
//! reported, and no claim is judged on it.
//!
//! `shared_work` is what the efficiency entry of `swarm_e2e` divides by since 2026-12-08. The
//! host of a VM sometimes makes moving a line between its CPUs several times slower for
//! seconds to minutes (two threads handing a line back and forth: 60-80 ns a round trip, in
//! such stretches 200-390 ns) while work that shares nothing still scales 2×: a swarm, whose
//! every commit moves lines, then scales like one agent, and judged against `independent` it
//! FAILed on unchanged code. `shared_work` pays one line move per unit of work, as the swarm
//! pays one or two per operation, so the stretch lowers both (docs/BENCHMARKS.md). Hammering
//! the line with nothing between (`shared_line`) does not show it: the moves then batch.
//!
//! One iteration of `independent` is one unit of private work (a 64-step integer hash chain
//! over a 2 KiB thread-local table that stays in L1), split evenly over the N threads; one
//! iteration of `shared_line` is one `fetch_add`. Both start their threads per sample, so the
//! one-thread variant pays the same start-up as the others; both prove their threads ran
//! together ([`contention::crew`]).

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use super::contention;
use super::{Routine, Suite};

thread_local! {
    /// Each thread's private table for [`private_work`].
    static TABLE: std::cell::RefCell<[u64; 256]> = const { std::cell::RefCell::new([1; 256]) };
}

/// A unit of work that touches only thread-private data: a hash chain with loads and stores
/// into a small table. Deterministic; returns the chain's end so it cannot be optimized away.
pub fn private_work(table: &mut [u64; 256], seed: u64) -> u64 {
    let mut x = seed;
    for _ in 0..64 {
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        let slot = (z & 255) as usize;
        table[slot] = table[slot].wrapping_add(z ^ (z >> 31));
        x ^= table[(x & 255) as usize];
    }
    x
}

/// Adds `machine/{independent,shared_work,shared_line}/{threads}` for each count.
pub fn add(suite: &mut Suite, threads: &[usize]) {
    for &n in threads {
        suite
            .bench("machine", "independent", n, move || {
                Routine::contended(move |iters| {
                    contention::crew(iters, n, |k| {
                        // Each thread's table is its own (thread-local: no line is shared).
                        TABLE.with_borrow_mut(|t| black_box(private_work(t, k as u64)));
                    })
                })
            })
            .throughput(1)
            .uncounted("threads: measures the machine's parallel capacity");
        suite
            .bench("machine", "shared_work", n, move || {
                let counter = AtomicU64::new(0);
                Routine::contended(move |iters| {
                    contention::crew(iters, n, |k| {
                        TABLE.with_borrow_mut(|t| black_box(private_work(t, k as u64)));
                        counter.fetch_add(1, Ordering::Relaxed);
                    })
                })
            })
            .throughput(1)
            .uncounted("threads: measures the machine's capacity for work that shares a line");
        suite
            .bench("machine", "shared_line", n, move || {
                let counter = AtomicU64::new(0);
                Routine::contended(move |iters| {
                    contention::crew(iters, n, |_| {
                        counter.fetch_add(1, Ordering::Relaxed);
                    })
                })
            })
            .throughput(1)
            .uncounted("threads: measures one cache line shared between CPUs");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_work_is_deterministic_and_uses_its_table() {
        let (mut a, mut b) = ([1u64; 256], [1u64; 256]);
        assert_eq!(private_work(&mut a, 7), private_work(&mut b, 7));
        assert_eq!(a, b);
        assert_ne!(a, [1u64; 256]);
        assert_ne!(private_work(&mut a, 7), private_work(&mut [1u64; 256], 8));
    }

    #[test]
    fn a_crew_runs_every_iteration_once() {
        let done = AtomicU64::new(0);
        let s = contention::crew(1001, 3, |_| {
            done.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(done.load(Ordering::Relaxed), 1001);
        assert!(s.elapsed > std::time::Duration::ZERO);
    }
}
