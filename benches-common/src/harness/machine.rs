//! What the machine itself gives, measured beside the code it judges: `machine/independent/N`
//! (work that shares nothing, on N threads) and `machine/shared_line/N` (N threads adding to
//! one atomic counter, so every operation moves one cache line between CPUs).
//!
//! A scaling claim about the code ("2 agents reach 1.7× the throughput of 1") silently assumes
//! a machine that gives 2× on independent work. A VM's second vCPU may give 1.9× (a full core)
//! or 1.2× (a hyperthread sibling, or a busy host); the same code then reads 1.7× or 1.1×. An
//! `[[efficiency]]` entry in `budgets.toml` divides the code's speedup by
//! `machine/independent`'s, both measured in turn in the same rounds, so the verdict is about
//! the code. `shared_line` shows what one contended cache line costs on this machine; it is
//! reported, and no claim is judged on it yet.
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

/// Adds `machine/independent/{threads}` and `machine/shared_line/{threads}` for each count.
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
