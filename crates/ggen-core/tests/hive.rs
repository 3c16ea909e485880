//! Hive behaviour: the two conflict detectors agree on random pack sets; orchestration gives the
//! same configuration whether agents are spawned sequentially or in parallel; pack files load
//! with clear errors.

use ggen_core::hive::agent::{ConsensusConfig, Decision};
use ggen_core::hive::conflict::{detect_indexed, detect_pairwise};
use ggen_core::hive::pack::Pack;
use ggen_core::hive::queen::{
    HiveQueen, ResolvedConfiguration, SpawnMode, Strategy as Composition,
};
use proptest::prelude::*;
use semver::{Version, VersionReq};

fn arb_pack() -> impl Strategy<Value = Pack> {
    (
        0usize..6,
        (0u64..3, 0u64..3, 0u64..2),
        0usize..4,
        prop::collection::vec(0usize..8, 0..4),
        prop::collection::vec(0usize..5, 0..3),
        prop::collection::vec((0usize..6, 0usize..4), 0..3),
    )
        .prop_map(|(name, (maj, min, pat), ns, classes, props, reqs)| {
            let mut p = Pack::new(
                &format!("p{name}"),
                &format!("{maj}.{min}.{pat}"),
                &format!("ns:{ns}"),
            );
            p.classes = classes.iter().map(|c| format!("C{c}")).collect();
            p.properties = props.iter().map(|c| format!("q{c}")).collect();
            let req_texts = ["^1", "~0.1", ">=1, <2", "*"];
            for (dep, r) in reqs {
                p.requires
                    .insert(format!("p{dep}"), VersionReq::parse(req_texts[r]).unwrap());
            }
            p
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn pairwise_and_indexed_detectors_agree(packs in prop::collection::vec(arb_pack(), 0..14)) {
        prop_assert_eq!(detect_indexed(&packs), detect_pairwise(&packs));
    }

    #[test]
    fn orchestration_is_deterministic_across_spawn_modes(packs in prop::collection::vec(arb_pack(), 1..10)) {
        for strategy in [Composition::Union, Composition::Intersection, Composition::Priority] {
            let run = |mode| {
                let mut q = HiveQueen::new(ConsensusConfig::two_thirds(), strategy).agents_per_role(3).spawn_mode(mode);
                without_timings(q.orchestrate(&packs).unwrap())
            };
            prop_assert_eq!(run(SpawnMode::Sequential), run(SpawnMode::Parallel));
        }
    }
}

fn without_timings(mut r: ResolvedConfiguration) -> ResolvedConfiguration {
    r.timings = Default::default();
    r
}

#[test]
fn a_clean_set_is_accepted_and_serialises() {
    let mut base = Pack::new("base", "1.3.0", "https://ex.org/base#");
    base.classes = vec!["Thing".into()];
    let mut app = Pack::new("app", "0.2.0", "app:");
    app.classes = vec!["Order".into()];
    app.requires
        .insert("base".into(), VersionReq::parse("^1.2").unwrap());
    let mut q = HiveQueen::new(ConsensusConfig::two_thirds(), Composition::Union);
    let r = q.orchestrate(&[base, app]).unwrap();
    assert_eq!(r.decision(), Decision::Accepted, "{:#?}", r.votes);
    assert!(r.conflicts.is_empty());
    assert_eq!(r.packs.len(), 2);
    assert_eq!(r.tally.approvals, 6);
    let json = serde_json::to_string(&r).unwrap();
    let back: ResolvedConfiguration = serde_json::from_str(&json).unwrap();
    assert_eq!(back, r);
}

#[test]
fn packs_load_from_files_with_errors_naming_file_pack_and_field() {
    let dir = std::env::temp_dir().join(format!("ggen-packs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.json");
    std::fs::write(
        &good,
        r#"{"name":"base","version":"1.0.0","namespace":"ns:base","classes":["A"]}"#,
    )
    .unwrap();
    let p = Pack::load(&good).unwrap();
    assert_eq!(p.version, Version::new(1, 0, 0));
    let bad = dir.join("bad.json");
    std::fs::write(
        &bad,
        r#"{"name":"base","version":"one","namespace":"ns:base"}"#,
    )
    .unwrap();
    let e = Pack::load(&bad).unwrap_err();
    assert_eq!(e.pack, "base");
    assert_eq!(e.field, "version");
    assert!(
        e.to_string()
            .starts_with(&format!("{}: pack base: field `version`", bad.display())),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
