//! [`HiveQueen::orchestrate`]: from offered packs to one resolved configuration.
//!
//! Phases (each timed, see [`PhaseTimings`]):
//!
//! 1. **spawn** — make sure the pool holds `agents_per_role` agents of each of the six roles.
//!    Agents are pooled between orchestrations, so this costs nothing after the first run. New
//!    agents are created sequentially or with rayon ([`SpawnMode`]); `Auto` uses rayon only from
//!    [`PARALLEL_SPAWN_THRESHOLD`] agents, because below that rayon's fork-join costs more than
//!    creating the agents (measured by `agent_spawn/{sequential,parallel}`; see the constant).
//! 2. **analyse** — drop exact duplicates (same name and version) and index the packs.
//! 3. **detect** — [`detect_indexed`].
//! 4. **resolve** — each conflict gets a [`Resolution`] according to the [`Strategy`]:
//!
//!    | conflict | Union | Intersection | Priority |
//!    |---|---|---|---|
//!    | incompatible versions | keep the higher (`UseSecond`) | `Exclude` both | keep the one offered first |
//!    | missing / unsatisfiable requirement | `Exclude` the pack | `Exclude` | `Exclude` |
//!    | namespace / class / property collision | `Merge` (keep both) | `Exclude` the second | keep the one offered first |
//!    | dependency cycle | `Merge` (keep all) | `Exclude` the last member | `Exclude` the last member |
//!
//!    Exclusions cascade: a kept pack whose requirement is no longer met by a kept pack is excluded
//!    too. Compatible versions of one pack collapse to the highest.
//! 5. **vote** — every agent analyses the plan and votes.
//! 6. **validate** — the [`ConsensusConfig`] tallies the votes into a [`Decision`].
//!
//! The result does not depend on the spawn mode or on timing: same packs, same configuration
//! (tested with sequential and parallel spawning).
//!
//! Publishing: every orchestration also commits its configuration to the queen's
//! [`Published`] store, ggen-domain's `SnapshotStore` (arc-swap). Readers — the swarm's agents —
//! [`load`](ggen_domain::snapshot::SnapshotStore::load) the current configuration without ever
//! blocking on a resolution in progress; they see the old one until the new one is committed.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use ggen_domain::hash::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ggen_domain::snapshot::{SnapshotStore, SnapshotWrite};

use rayon::prelude::*;
use semver::Version;
use serde::{Deserialize, Serialize};

use super::agent::{AgentRole, ConsensusConfig, Decision, HiveAgent, Plan, Tally, Vote};
use super::conflict::{PackConflict, detect_indexed};
use super::pack::{Pack, compatible};

/// From this many new agents on, `SpawnMode::Auto` creates them with rayon. Creating an agent
/// allocates a small scratch set (~50 ns), while a rayon fork-join costs ~13 µs on the 2-core
/// reference VM: in one quick run `agent_spawn` measured 0.23 / 0.62 / 3.3 µs sequential against
/// 13.0 / 14.4 / 14.7 µs parallel for 8 / 16 / 64 agents. Extrapolating (52 ns per agent, half of
/// it saved by two cores) the crossover is near 500 agents; the threshold is set well above that,
/// and above any council the hive uses by default, so `Auto` is sequential in practice.
pub const PARALLEL_SPAWN_THRESHOLD: usize = 4096;

/// How composing packs treats conflicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Strategy {
    /// Keep as much as possible: merge collisions, keep the newest version.
    Union,
    /// Keep only what no conflict touches.
    Intersection,
    /// Earlier packs win.
    Priority,
}

/// How one conflict was resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Resolution {
    /// The first party was kept, the second excluded.
    UseFirst,
    /// The second party was kept, the first excluded.
    UseSecond,
    /// Both kept; the shared terms are merged.
    Merge,
    /// The packs involved (or the named one) were excluded.
    Exclude,
}

/// How agents are created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SpawnMode {
    /// One after another.
    Sequential,
    /// With rayon.
    Parallel,
    /// Rayon from [`PARALLEL_SPAWN_THRESHOLD`] new agents on.
    Auto,
}

/// Creates `count` agents with ids from `first_id`, roles cycling through [`AgentRole::ALL`].
pub fn spawn_agents(first_id: u32, count: usize, mode: SpawnMode) -> Vec<HiveAgent> {
    let make = |i: usize| {
        HiveAgent::spawn(
            first_id + i as u32,
            AgentRole::ALL[i % AgentRole::ALL.len()],
        )
    };
    let parallel = match mode {
        SpawnMode::Sequential => false,
        SpawnMode::Parallel => true,
        SpawnMode::Auto => count >= PARALLEL_SPAWN_THRESHOLD,
    };
    if parallel {
        (0..count).into_par_iter().map(make).collect()
    } else {
        (0..count).map(make).collect()
    }
}

/// Wall time of each phase.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseTimings {
    /// Creating missing agents.
    pub spawn: Duration,
    /// Deduplicating and indexing the offered packs.
    pub analyse: Duration,
    /// Conflict detection.
    pub detect: Duration,
    /// Applying the strategy.
    pub resolve: Duration,
    /// Agents analysing and voting.
    pub vote: Duration,
    /// Tallying and final checks.
    pub validate: Duration,
}

/// A conflict and what was done about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolvedConflict {
    /// The conflict.
    pub conflict: PackConflict,
    /// What was done.
    pub resolution: Resolution,
}

/// A pack in the resolved configuration.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ChosenPack {
    /// Pack name.
    pub name: String,
    /// The version kept.
    pub version: Version,
}

/// The outcome of an orchestration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResolvedConfiguration {
    /// Packs kept, sorted by name.
    pub packs: Vec<ChosenPack>,
    /// Every detected conflict with its resolution, in canonical order.
    pub conflicts: Vec<ResolvedConflict>,
    /// Packs excluded (`name@version`), sorted.
    pub excluded: Vec<String>,
    /// Every agent's vote, by agent id.
    pub votes: Vec<Vote>,
    /// The counts and the decision.
    pub tally: Tally,
    /// Per-phase wall time.
    pub timings: PhaseTimings,
}

impl ResolvedConfiguration {
    /// The decision.
    pub fn decision(&self) -> Decision {
        self.tally.decision
    }
}

/// Why orchestration could not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HiveError {
    /// No packs were offered.
    #[error("no packs to orchestrate")]
    NoPacks,
    /// `agents_per_role` was 0.
    #[error("the hive needs at least one agent per role")]
    NoAgents,
}

/// Where a queen publishes its configurations: `None` until the first orchestration.
pub type Published = SnapshotStore<Option<Arc<ResolvedConfiguration>>>;

/// Orchestrates packs into a configuration; keeps its agents between runs.
#[derive(Debug)]
pub struct HiveQueen {
    consensus: ConsensusConfig,
    strategy: Strategy,
    agents_per_role: usize,
    spawn_mode: SpawnMode,
    pool: Vec<HiveAgent>,
    published: Arc<Published>,
}

impl HiveQueen {
    /// A queen with one agent per role and `SpawnMode::Auto`.
    pub fn new(consensus: ConsensusConfig, strategy: Strategy) -> Self {
        Self {
            consensus,
            strategy,
            agents_per_role: 1,
            spawn_mode: SpawnMode::Auto,
            pool: Vec::new(),
            published: Arc::new(SnapshotStore::new(None)),
        }
    }

    /// The store this queen publishes every configuration to; clone the `Arc` to share it with
    /// readers on other threads.
    pub fn published(&self) -> Arc<Published> {
        Arc::clone(&self.published)
    }

    /// Sets the number of agents per role.
    pub fn agents_per_role(mut self, n: usize) -> Self {
        self.agents_per_role = n;
        self
    }

    /// Sets how new agents are created.
    pub fn spawn_mode(mut self, mode: SpawnMode) -> Self {
        self.spawn_mode = mode;
        self
    }

    /// Agents currently pooled.
    pub fn pooled(&self) -> usize {
        self.pool.len()
    }

    /// Runs the phases over `packs` (see the module docs).
    pub fn orchestrate(&mut self, packs: &[Pack]) -> Result<ResolvedConfiguration, HiveError> {
        if packs.is_empty() {
            return Err(HiveError::NoPacks);
        }
        if self.agents_per_role == 0 {
            return Err(HiveError::NoAgents);
        }
        let mut timings = PhaseTimings::default();

        let t = Instant::now();
        let wanted = self.agents_per_role * AgentRole::ALL.len();
        if self.pool.len() < wanted {
            let first = self.pool.len() as u32;
            let more = spawn_agents(first, wanted - self.pool.len(), self.spawn_mode);
            self.pool.extend(more);
        }
        timings.spawn = t.elapsed();

        let t = Instant::now();
        let mut seen = BTreeSet::new();
        let offered: Vec<&Pack> = packs
            .iter()
            .filter(|p| seen.insert((p.name.as_str(), &p.version)))
            .collect();
        let first_offer: BTreeMap<String, usize> = offered
            .iter()
            .enumerate()
            .rev()
            .map(|(i, p)| (p.id(), i))
            .collect();
        timings.analyse = t.elapsed();

        let t = Instant::now();
        // Borrow the packs as given; copy only when exact duplicates had to be dropped.
        let owned: Cow<'_, [Pack]> = if offered.len() == packs.len() {
            Cow::Borrowed(packs)
        } else {
            Cow::Owned(offered.iter().map(|&p| p.clone()).collect())
        };
        let conflicts = detect_indexed(&owned);
        timings.detect = t.elapsed();

        let t = Instant::now();
        let (kept, resolved, excluded) = self.resolve(&owned, &conflicts, &first_offer);
        timings.resolve = t.elapsed();

        let t = Instant::now();
        let accepted: Vec<PackConflict> = resolved
            .iter()
            .filter(|r| r.resolution == Resolution::Merge)
            .map(|r| r.conflict.clone())
            .collect();
        let plan = Plan {
            packs: &kept,
            offered: offered.len(),
            accepted: &accepted,
        };
        let votes: Vec<Vote> = self.pool[..wanted]
            .iter_mut()
            .map(|a| a.analyse(&plan))
            .collect();
        timings.vote = t.elapsed();

        let t = Instant::now();
        let tally = self.consensus.tally(&votes);
        let mut chosen: Vec<ChosenPack> = kept
            .iter()
            .map(|p| ChosenPack {
                name: p.name.clone(),
                version: p.version.clone(),
            })
            .collect();
        chosen.sort();
        debug_assert!(
            chosen.windows(2).all(|w| w[0].name != w[1].name),
            "one version per pack"
        );
        timings.validate = t.elapsed();

        let config = ResolvedConfiguration {
            packs: chosen,
            conflicts: resolved,
            excluded,
            votes,
            tally,
            timings,
        };
        // One writer per queen (`&mut self`), so the update never retries.
        let snapshot = Some(Arc::new(config.clone()));
        self.published.update(|_| snapshot.clone());
        Ok(config)
    }

    fn resolve(
        &self,
        packs: &[Pack],
        conflicts: &[PackConflict],
        first_offer: &BTreeMap<String, usize>,
    ) -> (Vec<Pack>, Vec<ResolvedConflict>, Vec<String>) {
        let mut excluded: BTreeSet<String> = BTreeSet::new();
        // name -> ids of its offered versions, and the earliest offer position per name: built
        // once so that resolving stays linear in the number of packs and conflicts.
        let mut ids_by_name: HashMap<&str, Vec<String>> = HashMap::default();
        for p in packs {
            ids_by_name.entry(p.name.as_str()).or_default().push(p.id());
        }
        let versions_of =
            |name: &str| -> Vec<String> { ids_by_name.get(name).cloned().unwrap_or_default() };
        let earliest = |name: &str| {
            ids_by_name.get(name).and_then(|ids| {
                ids.iter()
                    .filter_map(|id| first_offer.get(id).copied())
                    .min()
            })
        };
        let mut out = Vec::with_capacity(conflicts.len());
        for c in conflicts {
            let resolution = match (c, self.strategy) {
                (PackConflict::IncompatibleVersions { name, a, b }, strategy) => {
                    let (ida, idb) = (format!("{name}@{a}"), format!("{name}@{b}"));
                    match strategy {
                        Strategy::Union => {
                            excluded.insert(ida);
                            Resolution::UseSecond
                        }
                        Strategy::Intersection => {
                            excluded.insert(ida);
                            excluded.insert(idb);
                            Resolution::Exclude
                        }
                        Strategy::Priority => {
                            if first_offer.get(&ida) <= first_offer.get(&idb) {
                                excluded.insert(idb);
                                Resolution::UseFirst
                            } else {
                                excluded.insert(ida);
                                Resolution::UseSecond
                            }
                        }
                    }
                }
                (
                    PackConflict::MissingDependency { pack, .. }
                    | PackConflict::Unsatisfiable { pack, .. },
                    _,
                ) => {
                    excluded.insert(pack.clone());
                    Resolution::Exclude
                }
                (
                    PackConflict::NamespaceCollision { a, b, .. }
                    | PackConflict::ClassCollision { a, b, .. }
                    | PackConflict::PropertyCollision { a, b, .. },
                    strategy,
                ) => match strategy {
                    Strategy::Union => Resolution::Merge,
                    Strategy::Intersection => {
                        excluded.extend(versions_of(b));
                        Resolution::Exclude
                    }
                    Strategy::Priority => {
                        if earliest(a) <= earliest(b) {
                            excluded.extend(versions_of(b));
                            Resolution::UseFirst
                        } else {
                            excluded.extend(versions_of(a));
                            Resolution::UseSecond
                        }
                    }
                },
                (PackConflict::Cycle { packs: members }, strategy) => match strategy {
                    Strategy::Union => Resolution::Merge,
                    Strategy::Intersection | Strategy::Priority => {
                        let last = &members[members.len().saturating_sub(2)];
                        excluded.extend(versions_of(last));
                        Resolution::Exclude
                    }
                },
            };
            out.push(ResolvedConflict {
                conflict: c.clone(),
                resolution,
            });
        }
        // Compatible versions of one pack collapse to the highest.
        let mut best: BTreeMap<&str, &Pack> = BTreeMap::new();
        for p in packs.iter().filter(|p| !excluded.contains(&p.id())) {
            let e = best.entry(p.name.as_str()).or_insert(p);
            if compatible(&e.version, &p.version) && p.version > e.version {
                *e = p;
            }
        }
        let mut kept: Vec<Pack> = best.values().map(|&p| p.clone()).collect();
        let kept_ids: HashSet<String> = kept.iter().map(Pack::id).collect();
        excluded.extend(
            packs
                .iter()
                .map(Pack::id)
                .filter(|id| !kept_ids.contains(id)),
        );
        // Cascade: drop packs whose requirements are no longer met (cycles merged under Union
        // keep each other alive). One pass per level of the dependency chains.
        loop {
            let version_of: HashMap<&str, &Version> =
                kept.iter().map(|p| (p.name.as_str(), &p.version)).collect();
            let (ok, dropped): (Vec<bool>, Vec<String>) = kept
                .iter()
                .map(|p| {
                    let met = p.requires.iter().all(|(dep, req)| {
                        version_of.get(dep.as_str()).is_some_and(|v| req.matches(v))
                    });
                    (met, if met { String::new() } else { p.id() })
                })
                .unzip();
            if ok.iter().all(|&m| m) {
                break;
            }
            excluded.extend(dropped.into_iter().filter(|id| !id.is_empty()));
            let mut flags = ok.into_iter();
            kept.retain(|_| flags.next().unwrap_or(false));
        }
        (kept, out, excluded.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> Vec<Pack> {
        let mut core1 = Pack::new("core", "1.2.0", "ns:core");
        core1.classes = vec!["Thing".into()];
        let mut core2 = Pack::new("core", "2.0.0", "ns:core");
        core2.classes = vec!["Thing".into()];
        let mut shop = Pack::new("shop", "1.0.0", "ns:shop");
        shop.classes = vec!["Thing".into(), "Order".into()];
        shop.requires.insert("core".into(), ">=1".parse().unwrap());
        let mut orphan = Pack::new("orphan", "1.0.0", "ns:orphan");
        orphan.requires.insert("ghost".into(), "*".parse().unwrap());
        vec![core1, core2, shop, orphan]
    }

    #[test]
    fn union_keeps_newest_and_merges_collisions() {
        let mut q = HiveQueen::new(ConsensusConfig::two_thirds(), Strategy::Union);
        let r = q.orchestrate(&fixture()).unwrap();
        let names: Vec<String> = r
            .packs
            .iter()
            .map(|p| format!("{}@{}", p.name, p.version))
            .collect();
        assert_eq!(names, ["core@2.0.0", "shop@1.0.0"]);
        assert_eq!(r.excluded, ["core@1.2.0", "orphan@1.0.0"]);
        assert!(r.conflicts.iter().any(|c| matches!(
            c.conflict,
            PackConflict::ClassCollision { .. }
        ) && c.resolution == Resolution::Merge));
        assert_eq!(r.votes.len(), 6);
        assert_eq!(r.decision(), Decision::Accepted, "{:?}", r.votes);
    }

    #[test]
    fn priority_and_intersection_exclude() {
        let mut q = HiveQueen::new(ConsensusConfig::two_thirds(), Strategy::Priority);
        let r = q.orchestrate(&fixture()).unwrap();
        // core@1.2.0 was offered first and wins; its class collides with shop's; core first.
        assert_eq!(
            r.packs.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
            ["core"]
        );
        assert_eq!(r.packs[0].version, Version::new(1, 2, 0));
        let mut q = HiveQueen::new(ConsensusConfig::two_thirds(), Strategy::Intersection);
        let r = q.orchestrate(&fixture()).unwrap();
        assert!(r.packs.is_empty(), "{:?}", r.packs);
        // Only the Analyzer votes on an empty plan (reject); the others abstain: no quorum.
        assert_eq!(r.decision(), Decision::NoQuorum, "{:?}", r.votes);
        assert_eq!(r.tally.rejections, 1);
    }

    #[test]
    fn errors_and_pooling() {
        let mut q =
            HiveQueen::new(ConsensusConfig::two_thirds(), Strategy::Union).agents_per_role(3);
        assert_eq!(q.orchestrate(&[]).unwrap_err(), HiveError::NoPacks);
        q.orchestrate(&fixture()).unwrap();
        assert_eq!(q.pooled(), 18);
        q.orchestrate(&fixture()).unwrap();
        assert_eq!(q.pooled(), 18, "agents are reused");
        let mut none =
            HiveQueen::new(ConsensusConfig::two_thirds(), Strategy::Union).agents_per_role(0);
        assert_eq!(
            none.orchestrate(&fixture()).unwrap_err(),
            HiveError::NoAgents
        );
    }

    #[test]
    fn every_orchestration_is_published_and_readers_never_block() {
        let mut q = HiveQueen::new(ConsensusConfig::two_thirds(), Strategy::Union);
        let store = q.published();
        assert!(
            store.load().value.is_none(),
            "nothing before the first orchestration"
        );
        let first = q.orchestrate(&fixture()).unwrap();
        let snap = store.load_full();
        assert_eq!(snap.version, 1);
        assert_eq!(snap.value.as_deref(), Some(&first));
        // A reader holding the old snapshot keeps it while a new configuration is committed.
        let held = store.load_full();
        let mut smaller = fixture();
        smaller.truncate(1);
        let second = q.orchestrate(&smaller).unwrap();
        assert_eq!(held.value.as_deref(), Some(&first));
        assert_eq!(store.load().version, 2);
        assert_eq!(store.load().value.as_deref(), Some(&second));
    }

    #[test]
    fn spawn_modes_create_the_same_agents() {
        let a = spawn_agents(10, 64, SpawnMode::Sequential);
        let b = spawn_agents(10, 64, SpawnMode::Parallel);
        let ids = |v: &[HiveAgent]| v.iter().map(|x| (x.id(), x.role())).collect::<Vec<_>>();
        assert_eq!(ids(&a), ids(&b));
        assert_eq!(a[7].role(), AgentRole::VersionResolver);
    }
}
