//! Conflicts between ontology packs.
//!
//! Kinds ([`PackConflict`]):
//! - **incompatible versions**: two offered versions of one pack that are not semver-compatible;
//! - **missing dependency**: a pack requires a pack nobody offers;
//! - **unsatisfiable requirement**: the required pack is offered, but no offered version matches;
//! - **namespace / class / property collision**: two *different* packs claim the same namespace,
//!   class or property (versions of one pack naturally share theirs);
//! - **dependency cycle**: packs that require each other in a loop, named in order.
//!
//! Two detectors return the same canonical list (sorted, deduplicated): [`detect_pairwise`], the
//! naive twin that compares every pair of packs, and [`detect_indexed`], which indexes versions by
//! name and finds term collisions with ggen-domain's conflict index (one index implementation for
//! packs and proposals alike).
//! Cycles are found the same way for both (one depth-first search over the requirement graph).

use std::collections::{BTreeMap, BTreeSet};

use ggen_domain::hash::HashMap;

use semver::Version;
use serde::{Deserialize, Serialize};

use ggen_domain::proposal::{ConflictDetector, EmptyState, Key, Proposal, ProposalKind};

use super::pack::{Pack, compatible};

/// One conflict. Pack pairs are ordered (`a < b`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[allow(missing_docs)] // the fields are described on each variant
pub enum PackConflict {
    /// Two offered versions of `name` are not semver-compatible (`a < b`).
    IncompatibleVersions {
        name: String,
        a: Version,
        b: Version,
    },
    /// `pack` (`name@version`) requires `requires`, which is not offered.
    MissingDependency { pack: String, requires: String },
    /// `pack` requires `requires` matching `req`; none of `available` does.
    Unsatisfiable {
        pack: String,
        requires: String,
        req: String,
        available: Vec<Version>,
    },
    /// Packs `a` and `b` share a namespace.
    NamespaceCollision {
        namespace: String,
        a: String,
        b: String,
    },
    /// Packs `a` and `b` both define `class`.
    ClassCollision { class: String, a: String, b: String },
    /// Packs `a` and `b` both define `property`.
    PropertyCollision {
        property: String,
        a: String,
        b: String,
    },
    /// The packs require each other in this order; the first is repeated at the end.
    Cycle { packs: Vec<String> },
}

fn ordered(x: &str, y: &str) -> (String, String) {
    if x <= y {
        (x.to_owned(), y.to_owned())
    } else {
        (y.to_owned(), x.to_owned())
    }
}

/// The terms of `x` that `y` also defines (each returned owned, in `x`'s order).
fn shared<'a>(x: &'a [String], y: &'a [String]) -> impl Iterator<Item = String> + 'a {
    x.iter().filter(|t| y.contains(t)).cloned()
}

fn canonical(mut v: Vec<PackConflict>) -> Vec<PackConflict> {
    v.sort();
    v.dedup();
    v
}

fn requirement_conflicts(
    p: &Pack,
    versions_of: &dyn Fn(&str) -> Vec<Version>,
    out: &mut Vec<PackConflict>,
) {
    for (dep, req) in &p.requires {
        let mut available = versions_of(dep);
        if available.is_empty() {
            out.push(PackConflict::MissingDependency {
                pack: p.id(),
                requires: dep.clone(),
            });
        } else if !available.iter().any(|v| req.matches(v)) {
            available.sort();
            available.dedup();
            out.push(PackConflict::Unsatisfiable {
                pack: p.id(),
                requires: dep.clone(),
                req: req.to_string(),
                available,
            });
        }
    }
}

/// Dependency cycles among pack names (each cycle once, rotated to start at its smallest name).
pub fn cycles(packs: &[Pack]) -> Vec<PackConflict> {
    let mut edges: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for p in packs {
        edges.entry(p.name.as_str()).or_default();
    }
    for p in packs {
        for dep in p.requires.keys() {
            if edges.contains_key(dep.as_str()) {
                edges
                    .get_mut(p.name.as_str())
                    .expect("inserted")
                    .insert(dep.as_str());
            }
        }
    }
    // Iterative DFS with colours; a back edge closes a cycle along the current path.
    let mut colour: HashMap<&str, u8> = HashMap::default(); // 0 new, 1 on path, 2 done
    let mut found = BTreeSet::new();
    for &start in edges.keys() {
        if colour.get(start).copied().unwrap_or(0) != 0 {
            continue;
        }
        let mut path: Vec<&str> = vec![start];
        let mut iters = vec![edges[start].iter()];
        colour.insert(start, 1);
        while let Some(it) = iters.last_mut() {
            match it.next() {
                Some(&next) => match colour.get(next).copied().unwrap_or(0) {
                    0 => {
                        colour.insert(next, 1);
                        path.push(next);
                        iters.push(edges[next].iter());
                    }
                    1 => {
                        let at = path.iter().position(|&n| n == next).expect("on path");
                        let mut cycle: Vec<String> =
                            path[at..].iter().map(|s| s.to_string()).collect();
                        let min = cycle
                            .iter()
                            .enumerate()
                            .min_by_key(|(_, n)| n.as_str())
                            .map(|(i, _)| i)
                            .unwrap_or(0);
                        cycle.rotate_left(min);
                        cycle.push(cycle[0].clone());
                        found.insert(cycle);
                    }
                    _ => {}
                },
                None => {
                    let done = path.pop().expect("path matches iterators");
                    colour.insert(done, 2);
                    iters.pop();
                }
            }
        }
    }
    found
        .into_iter()
        .map(|packs| PackConflict::Cycle { packs })
        .collect()
}

/// Naive twin: compares every pair of packs. O(n² · k).
pub fn detect_pairwise(packs: &[Pack]) -> Vec<PackConflict> {
    let mut out = Vec::new();
    for (i, a) in packs.iter().enumerate() {
        for b in &packs[i + 1..] {
            if a.name == b.name {
                if !compatible(&a.version, &b.version) {
                    let (lo, hi) = if a.version <= b.version {
                        (&a.version, &b.version)
                    } else {
                        (&b.version, &a.version)
                    };
                    out.push(PackConflict::IncompatibleVersions {
                        name: a.name.clone(),
                        a: lo.clone(),
                        b: hi.clone(),
                    });
                }
                continue;
            }
            let (x, y) = ordered(&a.name, &b.name);
            if a.namespace == b.namespace {
                out.push(PackConflict::NamespaceCollision {
                    namespace: a.namespace.clone(),
                    a: x.clone(),
                    b: y.clone(),
                });
            }
            let pair = || (x.clone(), y.clone());
            for class in shared(&a.classes, &b.classes) {
                let (a, b) = pair();
                out.push(PackConflict::ClassCollision { class, a, b });
            }
            for property in shared(&a.properties, &b.properties) {
                let (a, b) = pair();
                out.push(PackConflict::PropertyCollision { property, a, b });
            }
        }
    }
    for p in packs {
        let versions_of = |name: &str| {
            packs
                .iter()
                .filter(|q| q.name == name)
                .map(|q| q.version.clone())
                .collect()
        };
        requirement_conflicts(p, &versions_of, &mut out);
    }
    out.extend(cycles(packs));
    canonical(out)
}

/// What an interned term key stands for.
#[derive(Clone, Copy)]
enum Term<'a> {
    Namespace(&'a str),
    Class(&'a str),
    Property(&'a str),
}

/// Indexed detector. Versions and requirements are checked through a name → versions index.
/// Namespace, class and property collisions go through ggen-domain's conflict index, the same one
/// that checks the swarm's proposals: every term is interned to an integer key, every pack becomes
/// a proposal that writes its terms' keys, and two packs that write one key collide (versions of
/// one pack share their terms and are not collisions).
pub fn detect_indexed(packs: &[Pack]) -> Vec<PackConflict> {
    let mut by_name: HashMap<&str, Vec<&Version>> = HashMap::default();
    let mut keys: HashMap<(u8, &str), Key> = HashMap::default();
    let mut terms: Vec<Term<'_>> = Vec::new();
    let mut proposals = Vec::with_capacity(packs.len());
    for (i, p) in packs.iter().enumerate() {
        by_name.entry(&p.name).or_default().push(&p.version);
        let own = std::iter::once(Term::Namespace(&p.namespace))
            .chain(p.classes.iter().map(|c| Term::Class(c)))
            .chain(p.properties.iter().map(|c| Term::Property(c)));
        let writes: Vec<Key> = own
            .map(|t| {
                let tag = match t {
                    Term::Namespace(s) => (0, s),
                    Term::Class(s) => (1, s),
                    Term::Property(s) => (2, s),
                };
                *keys.entry(tag).or_insert_with(|| {
                    terms.push(t);
                    (terms.len() - 1) as Key
                })
            })
            .collect();
        proposals.push(Proposal {
            id: i as u64,
            agent: 0,
            reads: Vec::new(),
            writes,
            kind: ProposalKind::Exclusive,
        });
    }
    let mut out = Vec::new();
    for c in ConflictDetector::new()
        .detect_indexed(&proposals, &EmptyState)
        .conflicts
    {
        let (pa, pb) = (&packs[c.a as usize], &packs[c.b as usize]);
        if pa.name == pb.name {
            continue;
        }
        let (a, b) = ordered(&pa.name, &pb.name);
        out.push(match terms[c.key as usize] {
            Term::Namespace(n) => PackConflict::NamespaceCollision {
                namespace: n.to_owned(),
                a,
                b,
            },
            Term::Class(n) => PackConflict::ClassCollision {
                class: n.to_owned(),
                a,
                b,
            },
            Term::Property(n) => PackConflict::PropertyCollision {
                property: n.to_owned(),
                a,
                b,
            },
        });
    }
    for (name, versions) in &by_name {
        for (i, a) in versions.iter().enumerate() {
            for b in &versions[i + 1..] {
                if !compatible(a, b) {
                    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
                    out.push(PackConflict::IncompatibleVersions {
                        name: (*name).to_owned(),
                        a: (*lo).clone(),
                        b: (*hi).clone(),
                    });
                }
            }
        }
    }
    let versions_of = |name: &str| {
        by_name
            .get(name)
            .map(|v| v.iter().map(|&x| x.clone()).collect())
            .unwrap_or_default()
    };
    for p in packs {
        requirement_conflicts(p, &versions_of, &mut out);
    }
    out.extend(cycles(packs));
    canonical(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pack(name: &str, version: &str, ns: &str) -> Pack {
        Pack::new(name, version, ns)
    }

    fn both(packs: &[Pack]) -> Vec<PackConflict> {
        let naive = detect_pairwise(packs);
        assert_eq!(detect_indexed(packs), naive, "detectors disagree");
        naive
    }

    #[test]
    fn each_conflict_kind_on_a_small_fixture() {
        let mut core1 = pack("core", "1.2.0", "ns:core");
        core1.classes = vec!["Thing".into()];
        let core2 = pack("core", "2.0.0", "ns:core");
        let core1b = pack("core", "1.5.0", "ns:core");
        let mut shop = pack("shop", "1.0.0", "ns:shop");
        shop.classes = vec!["Thing".into(), "Order".into()];
        shop.properties = vec!["price".into()];
        shop.requires.insert("core".into(), "^3".parse().unwrap());
        shop.requires.insert("ghost".into(), "*".parse().unwrap());
        let mut billing = pack("billing", "0.1.0", "ns:shop");
        billing.properties = vec!["price".into()];
        let found = both(&[core1, core2, core1b, shop, billing]);
        let v = |s: &str| Version::parse(s).unwrap();
        assert_eq!(
            found,
            vec![
                PackConflict::IncompatibleVersions {
                    name: "core".into(),
                    a: v("1.2.0"),
                    b: v("2.0.0")
                },
                PackConflict::IncompatibleVersions {
                    name: "core".into(),
                    a: v("1.5.0"),
                    b: v("2.0.0")
                },
                PackConflict::MissingDependency {
                    pack: "shop@1.0.0".into(),
                    requires: "ghost".into()
                },
                PackConflict::Unsatisfiable {
                    pack: "shop@1.0.0".into(),
                    requires: "core".into(),
                    req: "^3".into(),
                    available: vec![v("1.2.0"), v("1.5.0"), v("2.0.0")],
                },
                PackConflict::NamespaceCollision {
                    namespace: "ns:shop".into(),
                    a: "billing".into(),
                    b: "shop".into()
                },
                PackConflict::ClassCollision {
                    class: "Thing".into(),
                    a: "core".into(),
                    b: "shop".into()
                },
                PackConflict::PropertyCollision {
                    property: "price".into(),
                    a: "billing".into(),
                    b: "shop".into()
                },
            ]
        );
    }

    #[test]
    fn cycles_are_named_in_order() {
        let mut a = pack("a", "1.0.0", "ns:a");
        let mut b = pack("b", "1.0.0", "ns:b");
        let mut c = pack("c", "1.0.0", "ns:c");
        a.requires.insert("b".into(), "^1".parse().unwrap());
        b.requires.insert("c".into(), "^1".parse().unwrap());
        c.requires.insert("a".into(), "^1".parse().unwrap());
        let mut selfish = pack("s", "1.0.0", "ns:s");
        selfish.requires.insert("s".into(), "^1".parse().unwrap());
        let found = both(&[c, a, b, selfish]);
        assert_eq!(
            found,
            vec![
                PackConflict::Cycle {
                    packs: vec!["a".into(), "b".into(), "c".into(), "a".into()]
                },
                PackConflict::Cycle {
                    packs: vec!["s".into(), "s".into()]
                },
            ]
        );
    }

    #[test]
    fn compatible_versions_and_clean_sets_have_no_conflicts() {
        let mut app = pack("app", "1.0.0", "ns:app");
        app.requires.insert("core".into(), "^1.2".parse().unwrap());
        let found = both(&[
            pack("core", "1.2.0", "ns:core"),
            pack("core", "1.9.0", "ns:core"),
            app,
        ]);
        assert!(found.is_empty(), "{found:?}");
        assert!(both(&[]).is_empty());
    }
}
