//! Property tests: the three conflict detectors agree on random batches (mixed kinds, duplicate
//! keys, hot keys, stale preconditions); the lane scheduler matches a simple model and keeps its
//! starvation bound over random operation sequences.

use std::collections::{HashMap, VecDeque};

use ggen_domain::proposal::{
    CommutativeOp, ConflictKind, Precondition, Proposal, ProposalKind, detect_indexed,
    detect_pairwise, detect_parallel,
};
use ggen_domain::schedule::{HeapScheduler, Priority, PriorityScheduler, Scheduler};
use proptest::prelude::*;

fn kind() -> impl Strategy<Value = ProposalKind> {
    prop_oneof![
        Just(ProposalKind::Exclusive),
        (-3i64..3).prop_map(|d| ProposalKind::Commutative(CommutativeOp::Add(d))),
        (-3i64..3).prop_map(|d| ProposalKind::Commutative(CommutativeOp::Max(d))),
        (0u64..12, 0i64..3)
            .prop_map(|(key, expected)| ProposalKind::Conditional(Precondition { key, expected })),
    ]
}

fn batch() -> impl Strategy<Value = Vec<Proposal>> {
    // A key space of 12 makes collisions and duplicate keys common.
    prop::collection::vec(
        (
            prop::collection::vec(0u64..12, 0..4),
            prop::collection::vec(0u64..12, 0..4),
            kind(),
            0u32..5,
        ),
        0..40,
    )
    .prop_map(|items| {
        items
            .into_iter()
            .enumerate()
            // Ids unique but not in index order, so canonical ordering is exercised.
            .map(|(i, (reads, writes, kind, agent))| Proposal {
                id: (i as u64 * 7919) % 1009,
                agent,
                reads,
                writes,
                kind,
            })
            .collect()
    })
}

fn state() -> impl Strategy<Value = HashMap<u64, i64>> {
    prop::collection::hash_map(0u64..12, 0i64..3, 0..12)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn detectors_agree(ps in batch(), st in state()) {
        let reference = detect_pairwise(&ps, &st);
        prop_assert_eq!(&detect_indexed(&ps, &st), &reference);
        prop_assert_eq!(&detect_parallel(&ps, &st), &reference);
        // Canonical form: sorted, unique, a < b, and each entry explainable from the rules.
        prop_assert!(reference.conflicts.windows(2).all(|w| w[0] < w[1]));
        let by_id: HashMap<u64, &Proposal> = ps.iter().map(|p| (p.id, p)).collect();
        for c in &reference.conflicts {
            prop_assert!(c.a < c.b);
            let (a, b) = (by_id[&c.a], by_id[&c.b]);
            match c.kind {
                ConflictKind::WriteWrite => prop_assert!(a.writes_key(c.key) && b.writes_key(c.key)),
                ConflictKind::ReadWrite => prop_assert!(
                    (a.writes_key(c.key) && b.reads_key(c.key)) || (b.writes_key(c.key) && a.reads_key(c.key))
                ),
            }
        }
    }

    #[test]
    fn mixed_kinds_on_a_shared_written_key_always_conflict(n in 2usize..10, key in 0u64..4) {
        // Regression for the old implementation, which reported nothing once kinds were mixed.
        let ps: Vec<Proposal> = (0..n as u64).map(|i| Proposal {
            id: i, agent: 0, reads: vec![], writes: vec![key],
            kind: if i % 2 == 0 { ProposalKind::Exclusive } else { ProposalKind::Commutative(CommutativeOp::Add(1)) },
        }).collect();
        let r = detect_indexed(&ps, &HashMap::new());
        // Every pair involving an exclusive writer conflicts.
        let exclusive = n.div_ceil(2);
        let expected = n * (n - 1) / 2 - (n - exclusive) * (n - exclusive).saturating_sub(1) / 2;
        prop_assert_eq!(r.conflicts.len(), expected);
    }
}

/// A deliberately simple model of the lane scheduler: one arrival-ordered list, O(n) scans.
struct Model {
    items: Vec<(usize, u64, u32)>, // (lane, arrival, value)
    bypassed: [u32; 4],
    max_bypass: u32,
    arrivals: u64,
}

impl Model {
    fn push(&mut self, lane: usize, v: u32) {
        self.items.push((lane, self.arrivals, v));
        self.arrivals += 1;
    }
    fn nonempty(&self, lane: usize) -> bool {
        self.items.iter().any(|x| x.0 == lane)
    }
    fn pop(&mut self) -> Option<u32> {
        let lanes: Vec<usize> = (0..4).filter(|&l| self.nonempty(l)).collect();
        let first = *lanes.first()?;
        let starving = lanes
            .iter()
            .copied()
            .filter(|&l| self.bypassed[l] >= self.max_bypass)
            .max_by(|&x, &y| self.bypassed[x].cmp(&self.bypassed[y]).then(y.cmp(&x)));
        let lane = starving.unwrap_or(first);
        let pos = self.items.iter().position(|x| x.0 == lane).unwrap();
        let (_, _, v) = self.items.remove(pos);
        for l in 0..4 {
            self.bypassed[l] = if l == lane || !self.nonempty(l) {
                0
            } else {
                self.bypassed[l] + 1
            };
        }
        Some(v)
    }
}

#[derive(Debug, Clone)]
enum Op {
    Push(usize),
    Pop,
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        prop_oneof![3 => (0usize..4).prop_map(Op::Push), 2 => Just(Op::Pop)],
        0..300,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn lanes_match_the_model_and_keep_the_starvation_bound(ops in ops(), max_bypass in 1u32..6) {
        let mut lanes = PriorityScheduler::with_max_bypass(max_bypass);
        let mut model = Model { items: vec![], bypassed: [0; 4], max_bypass, arrivals: 0 };
        // Consecutive bypasses of each lane's current head, tracked independently of both.
        let mut queued: [VecDeque<u32>; 4] = Default::default();
        let mut streak = [0u32; 4];
        let mut next = 0u32;
        for op in ops {
            match op {
                Op::Push(lane) => {
                    lanes.push(Priority::from_index(lane).unwrap(), next);
                    model.push(lane, next);
                    queued[lane].push_back(next);
                    next += 1;
                }
                Op::Pop => {
                    let got = lanes.pop();
                    prop_assert_eq!(got, model.pop());
                    if let Some(v) = got {
                        let served = (0..4).find(|&l| queued[l].front() == Some(&v));
                        prop_assert!(served.is_some(), "popped {} which was not a lane head (FIFO broken)", v);
                        let served = served.unwrap();
                        queued[served].pop_front();
                        for l in 0..4 {
                            streak[l] = if l == served || queued[l].is_empty() { 0 } else { streak[l] + 1 };
                            prop_assert!(streak[l] <= max_bypass + 3, "lane {} bypassed {} times", l, streak[l]);
                        }
                    }
                }
            }
            prop_assert_eq!(lanes.len(), model.items.len());
        }
    }

    #[test]
    fn without_the_bound_lanes_order_equals_the_heap(ops in ops()) {
        let mut lanes = PriorityScheduler::with_max_bypass(u32::MAX);
        let mut heap = HeapScheduler::new();
        for (i, op) in ops.into_iter().enumerate() {
            match op {
                Op::Push(l) => {
                    lanes.push(Priority::from_index(l).unwrap(), i);
                    heap.push(Priority::from_index(l).unwrap(), i);
                }
                Op::Pop => prop_assert_eq!(lanes.pop(), heap.pop()),
            }
        }
    }
}

#[test]
fn two_busy_lanes_are_bounded_by_exactly_max_bypass() {
    for max_bypass in [1u32, 2, 5, 16] {
        let mut s = PriorityScheduler::with_max_bypass(max_bypass);
        for i in 0..200 {
            s.push(Priority::Critical, (0u8, i));
            s.push(Priority::Low, (3u8, i));
        }
        let mut streak = 0;
        let mut worst = 0;
        while let Some((lane, _)) = s.pop() {
            if lane == 3 {
                streak = 0
            } else {
                streak += 1
            }
            if s.lane_len(Priority::Low) > 0 {
                worst = worst.max(streak);
            }
        }
        assert_eq!(worst, max_bypass, "max_bypass {max_bypass}");
    }
}
