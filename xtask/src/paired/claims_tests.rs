//! Tests of the claims measured in turn (`claims.rs`).
use super::plan::can_serve;
use super::*;

#[test]
fn only_benches_a_plan_lists_are_served() {
    use bench_format::harness::PlanLine;
    let mut catalog = crate::catalog::Catalog::default();
    catalog.plans.insert(
        "s".into(),
        vec![
            PlanLine::Counted {
                id: "g/a/1".into(),
                iterations: 10,
            },
            PlanLine::Excluded {
                id: "g/b/1".into(),
                reason: "threads".into(),
            },
            PlanLine::Group {
                group: "memory_pressure".into(),
                reason: "bytes".into(),
            },
        ],
    );
    assert!(can_serve(&catalog, "s/g/a/1"));
    assert!(can_serve(&catalog, "s/g/b/1"));
    // An allocation group's benches, another suite (`system`), a malformed id: not served.
    assert!(!can_serve(&catalog, "s/memory_pressure/global/1"));
    assert!(!can_serve(&catalog, "system/startup/version/1"));
    assert!(!can_serve(&catalog, "nosuite"));
}

#[test]
fn rounds_of_all_pairs_are_interleaved() {
    assert_eq!(
        interleaved(&[2, 3, 0, 1]),
        vec![(0, 0), (1, 0), (3, 0), (0, 1), (1, 1), (1, 2)]
    );
    assert!(interleaved(&[]).is_empty());
    // Each pair's rounds are spread over the whole order, not bunched: with 3 pairs of 8
    // rounds, a pair's first and last rounds are 21 places apart of 24.
    let order = interleaved(&[8, 8, 8]);
    let at: Vec<usize> = order
        .iter()
        .enumerate()
        .filter(|(_, (p, _))| *p == 1)
        .map(|(k, _)| k)
        .collect();
    assert_eq!((at.len(), at[0], at[7]), (8, 1, 22));
}

#[test]
fn efficiency_is_the_speedup_over_the_machines_speedup() {
    // Each round: num (parallel) 600 ns, den (serial) 1000 ns: speedup 1.667; the machine
    // 500 ns on two threads vs 1000 ns on one: 2.0; efficiency 0.833 in every round.
    let r = Rounds {
        v: [
            vec![600.0; 8],
            vec![1000.0; 8],
            vec![500.0; 8],
            vec![1000.0; 8],
            vec![],
            vec![],
        ],
        ..Rounds::default()
    };
    let (ratio, machine, eff) = round_intervals(&r, true).unwrap();
    assert!((ratio.point - 0.6).abs() < 1e-9, "{ratio:?}");
    assert!((machine.unwrap().point - 2.0).abs() < 1e-9);
    let eff = eff.unwrap();
    assert!((eff.point - 1.0 / 1.2).abs() < 1e-9, "{eff:?}");
    // A machine whose second CPU gives nothing (1.0x) makes the same code fully efficient.
    let r = Rounds {
        v: [
            vec![600.0; 8],
            vec![1000.0; 8],
            vec![1000.0; 8],
            vec![1000.0; 8],
            vec![],
            vec![],
        ],
        ..Rounds::default()
    };
    let (_, _, eff) = round_intervals(&r, true).unwrap();
    assert!((eff.unwrap().point - 1.0 / 0.6).abs() < 1e-9);
    assert!(round_intervals(&r, false).unwrap().1.is_none());
}

#[test]
fn an_interval_decides_a_pair_only_when_no_claim_on_it_is_unsure() {
    let ci = |lower, upper| crate::stats::RatioCi {
        point: (lower + upper) / 2.0,
        lower,
        upper,
    };
    // At most 1.05: [0.93, 1.04] passes, [1.06, 1.2] fails, [0.93, 1.05] passes (≤ holds at
    // the limit), [0.93, 1.06] is unsure.
    assert!(decides(&[(false, 1.05)], &ci(0.93, 1.04)));
    assert!(decides(&[(false, 1.05)], &ci(1.06, 1.2)));
    assert!(decides(&[(false, 1.05)], &ci(0.93, 1.05)));
    assert!(!decides(&[(false, 1.05)], &ci(0.93, 1.06)));
    // At least 1.6: [1.54, 1.87] is unsure.
    assert!(!decides(&[(true, 1.6)], &ci(1.54, 1.87)));
    assert!(decides(&[(true, 1.6)], &ci(1.61, 1.87)));
    // Two claims on one pair: both must be decided; none (a scaling series) is decided.
    assert!(!decides(&[(true, 1.3), (false, 1.5)], &ci(1.4, 1.6)));
    assert!(decides(&[(true, 1.3), (false, 1.7)], &ci(1.4, 1.6)));
    assert!(decides(&[], &ci(0.1, 10.0)));
}

#[test]
fn a_one_process_claim_marks_its_pair_and_shares_it() {
    use crate::claim::{Check, Entry, Metric};
    use bench_format::harness::PlanLine;
    let mut catalog = crate::catalog::Catalog::default();
    let threads = |id: &str| PlanLine::Excluded {
        id: id.into(),
        reason: "threads".into(),
    };
    catalog.plans.insert(
        "s".into(),
        vec![threads("g/a/2"), threads("g/b/2"), threads("g/c/2")],
    );
    catalog.ids = ["s/g/a/2", "s/g/b/2", "s/g/c/2"]
        .map(String::from)
        .into_iter()
        .collect();
    let within = |id: &str, of: &str, one_process: bool| Entry {
        check: Check::Within {
            id: id.into(),
            of: of.into(),
            factor: 1.5,
            on: Metric::Mean,
        },
        note: None,
        cpus: None,
        gate: false,
        one_process,
    };
    let entries = [
        within("s/g/a/2", "s/g/b/2", false),
        within("s/g/a/2", "s/g/b/2", true),
        within("s/g/c/2", "s/g/b/2", false),
    ];
    let pairs = plan(&entries, &catalog, &|_| true, 2);
    let marked: Vec<(&str, &str, bool, usize)> = pairs
        .iter()
        .map(|p| (p.num, p.den, p.one_process, p.limits.len()))
        .collect();
    // Two claims on a and b share one pair, measured in one process as the second asks; the
    // claim on c and b keeps fresh processes.
    assert_eq!(
        marked,
        vec![
            ("s/g/a/2", "s/g/b/2", true, 2),
            ("s/g/c/2", "s/g/b/2", false, 1)
        ]
    );
}
