//! Hive agents and consensus.
//!
//! Each [`HiveAgent`] has an [`AgentRole`] and analyses a resolved [`Plan`] its own way, casting a
//! [`Vote`] (approve, reject or abstain) with a confidence and reasons:
//!
//! | role | checks |
//! |---|---|
//! | Analyzer | the plan keeps packs at all; confidence = share of offered packs kept |
//! | VersionResolver | every requirement of a kept pack is met by a kept pack |
//! | ConflictDetector | re-detects conflicts among the kept packs; all must be accepted ones |
//! | Validator | names, namespaces (`scheme:` or `prefix:` form), no duplicate terms in a pack |
//! | Optimizer | counts terms defined by several kept packs (merged) |
//! | PerformanceManager | total terms within its budget |
//!
//! On an empty plan every role but the Analyzer abstains (nothing to check).
//!
//! Agents keep a scratch set between analyses, so a pooled agent allocates little per run.
//! [`ConsensusConfig`] turns votes into a [`Decision`].

use ggen_domain::hash::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::conflict::{PackConflict, detect_indexed};
use super::pack::Pack;

/// The six roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum AgentRole {
    /// Overall shape of the plan.
    Analyzer,
    /// Requirements against kept versions.
    VersionResolver,
    /// Conflicts left among kept packs.
    ConflictDetector,
    /// Well-formedness of kept packs.
    Validator,
    /// Redundancy across kept packs.
    Optimizer,
    /// Size of the configuration.
    PerformanceManager,
}

impl AgentRole {
    /// Every role, in a fixed order.
    pub const ALL: [AgentRole; 6] = [
        AgentRole::Analyzer,
        AgentRole::VersionResolver,
        AgentRole::ConflictDetector,
        AgentRole::Validator,
        AgentRole::Optimizer,
        AgentRole::PerformanceManager,
    ];
}

/// What an agent casts: approve, reject, or abstain (no opinion on this plan; an abstention
/// counts toward neither side, but toward the quorum's denominator).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ballot {
    /// For the plan.
    Approve,
    /// Against the plan.
    Reject,
    /// No vote.
    Abstain,
}

impl Ballot {
    /// `Approve` if `ok`, else `Reject`.
    pub fn from_approval(ok: bool) -> Self {
        if ok { Self::Approve } else { Self::Reject }
    }
}

/// One agent's verdict on a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vote {
    /// The voting agent.
    pub agent: u32,
    /// Its role.
    pub role: AgentRole,
    /// Approve, reject or abstain.
    pub ballot: Ballot,
    /// In `[0, 1]`.
    pub confidence: f64,
    /// Why.
    pub reasons: Vec<String>,
}

/// What agents analyse: the packs kept after resolution and the context of that choice.
#[derive(Debug, Clone, Copy)]
pub struct Plan<'a> {
    /// Packs kept.
    pub packs: &'a [Pack],
    /// How many packs were offered.
    pub offered: usize,
    /// Conflicts the resolution accepted (merged) rather than removed.
    pub accepted: &'a [PackConflict],
}

/// Default term budget of the PerformanceManager.
pub const TERM_BUDGET: usize = 1_000_000;

/// An agent: role, id, and reusable scratch state.
#[derive(Debug, Clone)]
pub struct HiveAgent {
    id: u32,
    role: AgentRole,
    scratch: HashSet<String>,
}

impl HiveAgent {
    /// A new agent with empty scratch state.
    pub fn spawn(id: u32, role: AgentRole) -> Self {
        Self {
            id,
            role,
            scratch: HashSet::with_capacity_and_hasher(16, Default::default()),
        }
    }

    /// The agent's id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The agent's role.
    pub fn role(&self) -> AgentRole {
        self.role
    }

    /// Approves with full confidence when `problems` is empty (giving `fine` as the reason),
    /// otherwise rejects with `reject_confidence`, listing the problems.
    fn approve_unless(&self, problems: Vec<String>, fine: &str, reject_confidence: f64) -> Vote {
        if problems.is_empty() {
            self.vote(Ballot::Approve, 1.0, vec![fine.to_owned()])
        } else {
            self.vote(Ballot::Reject, reject_confidence, problems)
        }
    }

    fn vote(&self, ballot: Ballot, confidence: f64, reasons: Vec<String>) -> Vote {
        Vote {
            agent: self.id,
            role: self.role,
            ballot,
            confidence: confidence.clamp(0.0, 1.0),
            reasons,
        }
    }

    /// Analyses the plan according to the agent's role. Every role but the Analyzer abstains on
    /// an empty plan: there is nothing for it to check, and a vacuous approval would let the
    /// council endorse keeping nothing.
    pub fn analyse(&mut self, plan: &Plan<'_>) -> Vote {
        self.scratch.clear();
        if plan.packs.is_empty() && self.role != AgentRole::Analyzer {
            return self.vote(
                Ballot::Abstain,
                0.0,
                vec!["nothing to check: the plan keeps no pack".into()],
            );
        }
        match self.role {
            AgentRole::Analyzer => {
                let kept = plan.packs.len();
                let terms: usize = plan
                    .packs
                    .iter()
                    .map(|p| p.classes.len() + p.properties.len())
                    .sum();
                let share = if plan.offered == 0 {
                    0.0
                } else {
                    kept as f64 / plan.offered as f64
                };
                self.vote(
                    Ballot::from_approval(kept > 0),
                    share,
                    vec![format!(
                        "keeps {kept} of {} packs, {terms} terms",
                        plan.offered
                    )],
                )
            }
            AgentRole::VersionResolver => {
                let mut unmet = Vec::new();
                for p in plan.packs {
                    for (dep, req) in &p.requires {
                        if !plan
                            .packs
                            .iter()
                            .any(|q| &q.name == dep && req.matches(&q.version))
                        {
                            unmet.push(format!("{} needs {dep} {req}", p.id()));
                        }
                    }
                }
                self.approve_unless(unmet, "every requirement is met", 0.0)
            }
            AgentRole::ConflictDetector => {
                let remaining: Vec<String> = detect_indexed(plan.packs)
                    .into_iter()
                    .filter(|c| !plan.accepted.contains(c))
                    .map(|c| format!("{c:?}"))
                    .collect();
                self.approve_unless(remaining, "no unresolved conflicts", 0.0)
            }
            AgentRole::Validator => {
                let mut problems = Vec::new();
                for p in plan.packs {
                    if !p.namespace.contains(':') {
                        problems.push(format!(
                            "{}: namespace {:?} is neither an IRI nor a prefix",
                            p.id(),
                            p.namespace
                        ));
                    }
                    self.scratch.clear();
                    for term in p.classes.iter().chain(&p.properties) {
                        if !self.scratch.insert(term.clone()) {
                            problems.push(format!("{}: term {term:?} defined twice", p.id()));
                        }
                    }
                }
                self.approve_unless(problems, "packs are well-formed", 0.2)
            }
            AgentRole::Optimizer => {
                let mut owners: HashMap<&str, usize> = HashMap::default();
                for p in plan.packs {
                    for term in p.classes.iter().chain(&p.properties) {
                        *owners.entry(term.as_str()).or_default() += 1;
                    }
                }
                let shared = owners.values().filter(|&&n| n > 1).count();
                let confidence = 1.0 - shared as f64 / owners.len().max(1) as f64;
                self.vote(
                    Ballot::Approve,
                    confidence,
                    vec![format!(
                        "{shared} of {} terms are merged from several packs",
                        owners.len()
                    )],
                )
            }
            AgentRole::PerformanceManager => {
                let terms: usize = plan
                    .packs
                    .iter()
                    .map(|p| p.classes.len() + p.properties.len())
                    .sum();
                let ok = terms <= TERM_BUDGET;
                self.vote(
                    Ballot::from_approval(ok),
                    1.0 - (terms as f64 / TERM_BUDGET as f64).min(1.0),
                    vec![format!("{terms} terms, budget {}", TERM_BUDGET)],
                )
            }
        }
    }
}

/// Consensus parameters. Deserializing goes through [`ConsensusConfig::new`], so a config read
/// from a file is validated like one built in code.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ConsensusFields")]
pub struct ConsensusConfig {
    quorum: f64,
    threshold: f64,
}

/// The fields of a [`ConsensusConfig`] as they appear in a file, before validation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsensusFields {
    quorum: f64,
    threshold: f64,
}

impl TryFrom<ConsensusFields> for ConsensusConfig {
    type Error = ConsensusError;

    fn try_from(f: ConsensusFields) -> Result<Self, ConsensusError> {
        Self::new(f.quorum, f.threshold)
    }
}

/// Invalid consensus parameters.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid consensus config: {0}")]
pub struct ConsensusError(pub String);

/// The outcome of a vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Decision {
    /// At least `threshold` of the cast votes approve.
    Accepted,
    /// Fewer than `threshold` approve.
    Rejected,
    /// Fewer than `quorum` of the agents cast a vote (or there were no agents).
    NoQuorum,
}

/// Counts behind a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Votes to approve.
    pub approvals: usize,
    /// Votes to reject.
    pub rejections: usize,
    /// Agents that abstained.
    pub abstentions: usize,
    /// The outcome.
    pub decision: Decision,
}

impl ConsensusConfig {
    /// `quorum`: share of agents that must cast a vote (not abstain), in `(0, 1]`.
    /// `threshold`: share of cast votes that must approve, in `(0, 1]`; exactly reaching it
    /// accepts.
    pub fn new(quorum: f64, threshold: f64) -> Result<Self, ConsensusError> {
        if !(quorum > 0.0 && quorum <= 1.0) {
            return Err(ConsensusError(format!("quorum {quorum} must be in (0, 1]")));
        }
        if !(threshold > 0.0 && threshold <= 1.0) {
            return Err(ConsensusError(format!(
                "threshold {threshold} must be in (0, 1]"
            )));
        }
        Ok(Self { quorum, threshold })
    }

    /// Two thirds of the agents vote, two thirds of the votes approve.
    pub fn two_thirds() -> Self {
        Self {
            quorum: 2.0 / 3.0,
            threshold: 2.0 / 3.0,
        }
    }

    /// Counts the votes.
    pub fn tally(&self, votes: &[Vote]) -> Tally {
        let approvals = votes.iter().filter(|v| v.ballot == Ballot::Approve).count();
        let rejections = votes.iter().filter(|v| v.ballot == Ballot::Reject).count();
        let abstentions = votes.len() - approvals - rejections;
        let cast = approvals + rejections;
        // A tiny tolerance so that "exactly at the threshold" survives floating point (4 of 6 at
        // 2/3 must accept).
        const EPS: f64 = 1e-9;
        let decision = if cast == 0 || (cast as f64) < self.quorum * votes.len() as f64 - EPS {
            Decision::NoQuorum
        } else if approvals as f64 >= self.threshold * cast as f64 - EPS {
            Decision::Accepted
        } else {
            Decision::Rejected
        };
        Tally {
            approvals,
            rejections,
            abstentions,
            decision,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deserializing_a_config_validates_it() {
        let ok: ConsensusConfig =
            serde_json::from_str(r#"{"quorum":0.5,"threshold":1.0}"#).unwrap();
        assert_eq!(ok, ConsensusConfig::new(0.5, 1.0).unwrap());
        let back: ConsensusConfig =
            serde_json::from_str(&serde_json::to_string(&ok).unwrap()).unwrap();
        assert_eq!(back, ok);
        for bad in [
            r#"{"quorum":2.0,"threshold":0.5}"#,
            r#"{"quorum":0.5,"threshold":0.0}"#,
            r#"{"quorum":0.5,"threshold":-1}"#,
        ] {
            let err = serde_json::from_str::<ConsensusConfig>(bad)
                .unwrap_err()
                .to_string();
            assert!(err.contains("must be in (0, 1]"), "{bad}: {err}");
        }
        assert!(serde_json::from_str::<ConsensusConfig>(r#"{"quorum":0.5}"#).is_err());
    }

    fn votes(approve: usize, reject: usize, abstain: usize) -> Vec<Vote> {
        let v = |a| Vote {
            agent: 0,
            role: AgentRole::Analyzer,
            ballot: a,
            confidence: 1.0,
            reasons: vec![],
        };
        std::iter::repeat_n(v(Ballot::Approve), approve)
            .chain(std::iter::repeat_n(v(Ballot::Reject), reject))
            .chain(std::iter::repeat_n(v(Ballot::Abstain), abstain))
            .collect()
    }

    #[test]
    fn consensus_edges() {
        let c = ConsensusConfig::two_thirds();
        assert_eq!(
            c.tally(&votes(4, 2, 0)).decision,
            Decision::Accepted,
            "exactly at the threshold"
        );
        assert_eq!(c.tally(&votes(3, 3, 0)).decision, Decision::Rejected);
        assert_eq!(c.tally(&[]).decision, Decision::NoQuorum, "zero agents");
        assert_eq!(
            c.tally(&votes(0, 0, 6)).decision,
            Decision::NoQuorum,
            "all abstain"
        );
        assert_eq!(
            c.tally(&votes(3, 0, 3)).decision,
            Decision::NoQuorum,
            "half voted, quorum 2/3"
        );
        let t = c.tally(&votes(4, 0, 2));
        assert_eq!(
            (t.decision, t.approvals, t.abstentions),
            (Decision::Accepted, 4, 2),
            "exactly at quorum"
        );
        let unanimous = ConsensusConfig::new(1.0, 1.0).unwrap();
        assert_eq!(
            unanimous.tally(&votes(5, 1, 0)).decision,
            Decision::Rejected
        );
        assert_eq!(
            unanimous.tally(&votes(6, 0, 0)).decision,
            Decision::Accepted
        );
    }

    #[test]
    fn consensus_ranges_are_validated() {
        for (q, t) in [
            (0.0, 0.5),
            (1.5, 0.5),
            (0.5, 0.0),
            (0.5, 1.01),
            (f64::NAN, 0.5),
            (0.5, f64::NAN),
        ] {
            let e = ConsensusConfig::new(q, t).unwrap_err().to_string();
            assert!(e.starts_with("invalid consensus config"), "{e}");
        }
        assert!(ConsensusConfig::new(0.5, 0.5).is_ok());
    }

    #[test]
    fn roles_analyse_for_real() {
        let mut core = Pack::new("core", "1.2.0", "ns:core");
        core.classes = vec!["Thing".into(), "Thing".into()];
        let mut app = Pack::new("app", "1.0.0", "no-prefix");
        app.requires.insert("core".into(), "^2".parse().unwrap());
        let packs = vec![core, app];
        let plan = Plan {
            packs: &packs,
            offered: 3,
            accepted: &[],
        };
        let vote = |role| HiveAgent::spawn(1, role).analyse(&plan);
        let v = vote(AgentRole::VersionResolver);
        assert_eq!(v.ballot, Ballot::Reject);
        assert_eq!(v.reasons, vec!["app@1.0.0 needs core ^2".to_string()]);
        let v = vote(AgentRole::Validator);
        assert_eq!(v.ballot, Ballot::Reject);
        assert_eq!(v.reasons.len(), 2, "{:?}", v.reasons);
        let v = vote(AgentRole::Analyzer);
        assert_eq!(v.ballot, Ballot::Approve);
        assert!((v.confidence - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(
            vote(AgentRole::ConflictDetector).ballot,
            Ballot::Reject,
            "unsatisfiable requirement remains"
        );
        let empty = Plan {
            packs: &[],
            offered: 0,
            accepted: &[],
        };
        for role in AgentRole::ALL {
            let expected = if role == AgentRole::Analyzer {
                Ballot::Reject
            } else {
                Ballot::Abstain
            };
            assert_eq!(
                HiveAgent::spawn(2, role).analyse(&empty).ballot,
                expected,
                "{role:?}"
            );
        }
        assert_eq!(
            HiveAgent::spawn(3, AgentRole::PerformanceManager)
                .analyse(&plan)
                .ballot,
            Ballot::Approve
        );
    }
}
