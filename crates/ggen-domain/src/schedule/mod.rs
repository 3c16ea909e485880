//! Priority scheduling with bounded starvation.
//!
//! [`PriorityScheduler<T>`] keeps one FIFO lane (`VecDeque`) per [`Priority`]. `push`, `pop` and
//! `len` are O(1): a pop looks at four lane heads, never at the items behind them.
//!
//! # Ordering and the starvation bound
//!
//! - Within a lane, items leave in the order they arrived (FIFO).
//! - Normally `pop` serves the highest-priority non-empty lane.
//! - Each non-empty lane counts how many pops in a row served *another* lane (its head was
//!   "bypassed"). When a lane's count reaches `max_bypass`, it is starving and is served next,
//!   whatever its priority; among several starving lanes, the one bypassed longest goes first
//!   (ties to the higher priority). Serving a lane, or the lane becoming empty, resets its count.
//! - Hence the head of a non-empty lane is bypassed at most `max_bypass + 3` times in a row (the
//!   `+ 3` covers the other three lanes starving at the same moment; with two busy lanes the bound
//!   is exactly `max_bypass`). An item behind `p` others in its lane is served within
//!   `(p + 1) · (max_bypass + 4)` pops.
//! - `max_bypass = u32::MAX` disables the mechanism: strict priority, like the heap twin.
//!
//! # Twins (for the `scheduler` bench group; `twins` feature)
//!
//! - `HeapScheduler`: a `BinaryHeap` ordered by (priority, arrival sequence): O(log n), strict
//!   priority with FIFO ties, no starvation bound.
//! - `NaiveScheduler`: the old design — a `Vec` kept sorted by priority, `Vec::insert` on push and
//!   `Vec::remove(0)` on pop: O(n) per operation.
//!
//! [`SharedScheduler`] wraps the lanes in a `Mutex` with a `Condvar` for many producers and
//! consumers, with blocking pops and a close signal.

use crate::sync::{Condvar, Mutex, MutexGuard};
use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

#[cfg(feature = "twins")]
mod twins;
#[cfg(feature = "twins")]
pub use twins::{HeapScheduler, NaiveScheduler};

/// Priority of a task; `Critical` is served first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Priority {
    /// Served first.
    Critical = 0,
    /// Second.
    High = 1,
    /// Third.
    Normal = 2,
    /// Last.
    Low = 3,
}

impl Priority {
    /// All priorities, highest first.
    pub const ALL: [Priority; 4] = [
        Priority::Critical,
        Priority::High,
        Priority::Normal,
        Priority::Low,
    ];

    /// Lane index: 0 for `Critical` .. 3 for `Low`.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The priority of lane index `i` (0..4).
    pub fn from_index(i: usize) -> Option<Priority> {
        Self::ALL.get(i).copied()
    }
}

/// The operations every scheduler twin offers.
pub trait Scheduler<T> {
    /// Adds an item.
    fn push(&mut self, priority: Priority, item: T);
    /// Removes the next item, if any.
    fn pop(&mut self) -> Option<T>;
    /// Items queued.
    fn len(&self) -> usize;
    /// Whether nothing is queued.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Default starvation bound: a lane is served after at most this many consecutive bypasses.
pub const DEFAULT_MAX_BYPASS: u32 = 16;

/// FIFO lanes per priority with bounded starvation. See the module docs.
#[derive(Debug, Clone)]
pub struct PriorityScheduler<T> {
    lanes: [VecDeque<T>; 4],
    bypassed: [u32; 4],
    len: usize,
    max_bypass: u32,
}

impl<T> Default for PriorityScheduler<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> PriorityScheduler<T> {
    /// An empty scheduler with [`DEFAULT_MAX_BYPASS`].
    pub fn new() -> Self {
        Self::with_max_bypass(DEFAULT_MAX_BYPASS)
    }

    /// An empty scheduler whose lanes starve after `max_bypass` consecutive bypasses
    /// (`u32::MAX` = strict priority). `0` behaves as 1: a lane cannot be served before it waits.
    pub fn with_max_bypass(max_bypass: u32) -> Self {
        Self {
            lanes: Default::default(),
            bypassed: [0; 4],
            len: 0,
            max_bypass: max_bypass.max(1),
        }
    }

    /// The configured starvation bound.
    pub fn max_bypass(&self) -> u32 {
        self.max_bypass
    }

    /// Items queued in one lane.
    pub fn lane_len(&self, priority: Priority) -> usize {
        self.lanes[priority.index()].len()
    }

    fn push_item(&mut self, priority: Priority, item: T) {
        self.lanes[priority.index()].push_back(item);
        self.len += 1;
    }

    fn choose_lane(&self) -> Option<usize> {
        let mut starving: Option<usize> = None;
        let mut first = None;
        for i in 0..4 {
            if self.lanes[i].is_empty() {
                continue;
            }
            first.get_or_insert(i);
            if self.bypassed[i] >= self.max_bypass
                && starving.is_none_or(|s| self.bypassed[i] > self.bypassed[s])
            {
                starving = Some(i);
            }
        }
        starving.or(first)
    }

    fn pop_item(&mut self) -> Option<T> {
        let lane = self.choose_lane()?;
        let item = self.lanes[lane].pop_front();
        self.len -= 1;
        for i in 0..4 {
            if i == lane || self.lanes[i].is_empty() {
                self.bypassed[i] = 0;
            } else {
                self.bypassed[i] = self.bypassed[i].saturating_add(1);
            }
        }
        item
    }
}

impl<T> Scheduler<T> for PriorityScheduler<T> {
    fn push(&mut self, priority: Priority, item: T) {
        self.push_item(priority, item);
    }

    fn pop(&mut self) -> Option<T> {
        self.pop_item()
    }

    fn len(&self) -> usize {
        self.len
    }
}

/// A [`PriorityScheduler`] shared by many producers and consumers.
///
/// A `Mutex` guards the lanes (each operation holds it for O(1) work); a `Condvar` wakes blocked
/// consumers. After [`close`](SharedScheduler::close), pushes are refused and blocked consumers
/// drain what is left, then get `None`.
#[derive(Debug)]
pub struct SharedScheduler<T> {
    state: Mutex<SharedState<T>>,
    available: Condvar,
}

#[derive(Debug)]
struct SharedState<T> {
    lanes: PriorityScheduler<T>,
    closed: bool,
}

/// A push to a closed [`SharedScheduler`]; returns the item.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the scheduler is closed")]
pub struct Closed<T>(pub T);

impl<T> SharedScheduler<T> {
    /// An empty shared scheduler with the given starvation bound.
    pub fn new(max_bypass: u32) -> Self {
        Self {
            state: Mutex::new(SharedState {
                lanes: PriorityScheduler::with_max_bypass(max_bypass),
                closed: false,
            }),
            available: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, SharedState<T>> {
        // The lanes are consistent after every operation (no user code runs under the lock), so a
        // poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds an item; fails if the scheduler is closed.
    pub fn push(&self, priority: Priority, item: T) -> Result<(), Closed<T>> {
        let mut s = self.lock();
        if s.closed {
            return Err(Closed(item));
        }
        s.lanes.push(priority, item);
        drop(s);
        self.available.notify_one();
        Ok(())
    }

    /// Removes the next item without waiting.
    pub fn try_pop(&self) -> Option<T> {
        self.lock().lanes.pop()
    }

    /// Removes the next item, waiting for one; `None` once closed and empty.
    pub fn pop(&self) -> Option<T> {
        let mut s = self.lock();
        loop {
            if let Some(item) = s.lanes.pop() {
                return Some(item);
            }
            if s.closed {
                return None;
            }
            s = self.available.wait(s).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Refuses further pushes and wakes every waiting consumer.
    pub fn close(&self) {
        self.lock().closed = true;
        self.available.notify_all();
    }

    /// Items queued.
    pub fn len(&self) -> usize {
        self.lock().lanes.len()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain<S: Scheduler<u32>>(s: &mut S) -> Vec<u32> {
        std::iter::from_fn(|| s.pop()).collect()
    }

    #[test]
    fn all_twins_serve_by_priority_then_fifo_without_starvation() {
        let input = [
            (Priority::Low, 1),
            (Priority::High, 2),
            (Priority::Low, 3),
            (Priority::Critical, 4),
            (Priority::High, 5),
        ];
        let expected = vec![4, 2, 5, 1, 3];
        let mut lanes = PriorityScheduler::with_max_bypass(u32::MAX);
        let mut heap = HeapScheduler::new();
        let mut naive = NaiveScheduler::new();
        for (p, v) in input {
            lanes.push(p, v);
            heap.push(p, v);
            naive.push(p, v);
        }
        assert_eq!((lanes.len(), heap.len(), naive.len()), (5, 5, 5));
        assert_eq!(drain(&mut lanes), expected);
        assert_eq!(drain(&mut heap), expected);
        assert_eq!(drain(&mut naive), expected);
        assert!(lanes.is_empty() && heap.is_empty() && naive.is_empty());
    }

    #[test]
    fn a_low_lane_is_served_after_max_bypass_pops() {
        let mut s = PriorityScheduler::with_max_bypass(3);
        s.push(Priority::Low, 1000);
        for i in 0..10 {
            s.push(Priority::Critical, i);
        }
        let order = drain(&mut s);
        // Three critical items bypass the low one, then it is served.
        assert_eq!(order[..5], [0, 1, 2, 1000, 3]);
        assert_eq!(order.len(), 11);
    }

    #[test]
    fn lane_lengths() {
        let mut s = PriorityScheduler::new();
        assert_eq!(s.max_bypass(), DEFAULT_MAX_BYPASS);
        s.push(Priority::Normal, 'x');
        assert_eq!(s.lane_len(Priority::Normal), 1);
        assert_eq!(s.lane_len(Priority::High), 0);
        assert_eq!(Priority::from_index(3), Some(Priority::Low));
        assert_eq!(Priority::from_index(4), None);
        assert_eq!(PriorityScheduler::<u8>::with_max_bypass(0).max_bypass(), 1);
    }

    #[test]
    fn shared_scheduler_close_semantics() {
        let s = SharedScheduler::new(4);
        s.push(Priority::High, 1).unwrap();
        s.close();
        assert_eq!(s.push(Priority::High, 2), Err(Closed(2)));
        assert_eq!(s.pop(), Some(1));
        assert_eq!(s.pop(), None);
        assert!(s.is_empty());
    }

    #[test]
    fn schedulers_are_send_and_sync_where_shared() {
        fn assert_send_sync<X: Send + Sync>() {}
        assert_send_sync::<SharedScheduler<String>>();
        assert_send_sync::<PriorityScheduler<String>>();
    }
}
