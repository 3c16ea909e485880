//! Merging commutative proposals into one effect per key and operation kind.

use crate::hash::HashMap;

use serde::{Deserialize, Serialize};

use super::{CommutativeOp, Key, Proposal, ProposalId};

/// The combined effect of the commutative proposals on one key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Effect {
    /// The key.
    pub key: Key,
    /// One operation equivalent to applying all of them (in any order).
    pub op: CommutativeOp,
    /// Proposals merged into it, sorted.
    pub contributors: Vec<ProposalId>,
}

/// Merges the commutative proposals into one effect per `(key, operation kind)`: `Add`s sum
/// (wrapping), `Max`es take the maximum. Non-commutative proposals are ignored. The result is
/// sorted by key, `Add` before `Max`. A key written twice by one proposal counts once.
pub fn aggregate_commutative(proposals: &[Proposal]) -> Vec<Effect> {
    let mut effects: HashMap<(Key, bool), Effect> = HashMap::default();
    for p in proposals {
        let Some(op) = p.commutative_op() else {
            continue;
        };
        let is_max = matches!(op, CommutativeOp::Max(_));
        let mut keys = p.writes.clone();
        keys.sort_unstable();
        keys.dedup();
        for k in keys {
            effects
                .entry((k, is_max))
                .and_modify(|e| {
                    e.op = match (e.op, op) {
                        (CommutativeOp::Add(x), CommutativeOp::Add(y)) => {
                            CommutativeOp::Add(x.wrapping_add(y))
                        }
                        (CommutativeOp::Max(x), CommutativeOp::Max(y)) => {
                            CommutativeOp::Max(x.max(y))
                        }
                        _ => unreachable!("effects are keyed by operation kind"),
                    };
                    e.contributors.push(p.id);
                })
                .or_insert_with(|| Effect {
                    key: k,
                    op,
                    contributors: vec![p.id],
                });
        }
    }
    let mut out: Vec<Effect> = effects.into_values().collect();
    for e in &mut out {
        e.contributors.sort_unstable();
    }
    out.sort_unstable_by_key(|e| (e.key, matches!(e.op, CommutativeOp::Max(_))));
    out
}
