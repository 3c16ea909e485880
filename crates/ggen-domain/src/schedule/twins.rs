//! Bench-only twins of [`PriorityScheduler`](super::PriorityScheduler), compiled with the
//! `twins` feature (the crate's own tests and benches turn it on):
//!
//! - [`HeapScheduler`]: a `BinaryHeap` ordered by (priority, arrival sequence): O(log n), strict
//!   priority, FIFO within a priority. The honest alternative the lanes are measured against.
//! - [`NaiveScheduler`]: the old design, a `Vec` kept sorted by priority with `Vec::remove(0)`
//!   on pop: O(n) per operation. Kept only to show what the lanes replaced.

use std::collections::BinaryHeap;

use super::{Priority, Scheduler};

#[derive(Debug)]
struct HeapEntry<T> {
    priority: Priority,
    seq: u64,
    item: T,
}

impl<T> PartialEq for HeapEntry<T> {
    fn eq(&self, other: &Self) -> bool {
        (self.priority, self.seq) == (other.priority, other.seq)
    }
}
impl<T> Eq for HeapEntry<T> {}
impl<T> PartialOrd for HeapEntry<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for HeapEntry<T> {
    // BinaryHeap is a max-heap: the "greatest" entry is the highest priority (smallest rank),
    // then the earliest arrival.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (other.priority, other.seq).cmp(&(self.priority, self.seq))
    }
}

/// Twin: a binary heap ordered by (priority, arrival). Strict priority, FIFO ties, O(log n).
#[derive(Debug)]
pub struct HeapScheduler<T> {
    heap: BinaryHeap<HeapEntry<T>>,
    seq: u64,
}

impl<T> Default for HeapScheduler<T> {
    fn default() -> Self {
        Self {
            heap: BinaryHeap::new(),
            seq: 0,
        }
    }
}

impl<T> HeapScheduler<T> {
    /// An empty heap scheduler.
    pub fn new() -> Self {
        Self::default()
    }
}

impl<T> Scheduler<T> for HeapScheduler<T> {
    fn push(&mut self, priority: Priority, item: T) {
        self.heap.push(HeapEntry {
            priority,
            seq: self.seq,
            item,
        });
        self.seq += 1;
    }

    fn pop(&mut self) -> Option<T> {
        self.heap.pop().map(|e| e.item)
    }

    fn len(&self) -> usize {
        self.heap.len()
    }
}

/// Twin: the old design. A `Vec` sorted by priority (stable), `insert` on push, `remove(0)` on pop.
#[derive(Debug)]
pub struct NaiveScheduler<T> {
    items: Vec<(Priority, T)>,
}

impl<T> Default for NaiveScheduler<T> {
    fn default() -> Self {
        Self { items: Vec::new() }
    }
}

impl<T> NaiveScheduler<T> {
    /// An empty naive scheduler.
    pub fn new() -> Self {
        Self::default()
    }
}

impl<T> Scheduler<T> for NaiveScheduler<T> {
    fn push(&mut self, priority: Priority, item: T) {
        // After every item of the same or higher priority: FIFO within a priority.
        let at = self
            .items
            .iter()
            .position(|(p, _)| *p > priority)
            .unwrap_or(self.items.len());
        self.items.insert(at, (priority, item));
    }

    fn pop(&mut self) -> Option<T> {
        if self.items.is_empty() {
            None
        } else {
            Some(self.items.remove(0).1)
        }
    }

    fn len(&self) -> usize {
        self.items.len()
    }
}
