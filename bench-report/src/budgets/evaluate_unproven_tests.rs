//! Tests of the verdicts on benches whose contended samples were not all proven
//! (`evaluate.rs`: `no_data_reason`, `unproven_envelope`).

use super::*;
use crate::budgets::fixtures::*;
use crate::budgets::parse::parse;
use crate::results::Unit;
use std::path::Path;

use super::tests::paired_ratio;

#[test]
fn a_mean_with_unproven_samples_is_not_judged() {
    let k = known();
    let mut fast = bench("s/g/fast/1", 10.0, Unit::Ns);
    fast.counters.insert(super::UNPROVEN.into(), 2.0);
    // Samples on both sides of the budget's 20 ns: the proven ones' mean is not known.
    fast.samples = vec![5.0, 10.0, 25.0];
    let data = vec![fast, bench("s/g/slow/1", 1000.0, Unit::Ns)];
    let entries = parse(Path::new("b.toml"), GOOD, &k).unwrap();
    let ev = evaluate(&entries[..1], &data, &k.ids, &|_| true).remove(0);
    assert_eq!(ev.verdict, Verdict::NoData);
    assert!(
        ev.detail
            .starts_with("unproven samples: s/g/fast/1 (2 samples)"),
        "{}",
        ev.detail
    );
    // Measured in turn, the claim is judged on its own rounds.
    let paired = [paired_ratio(
        "s/g/slow/1",
        "s/g/fast/1",
        [150.0, 140.0, 160.0],
        8,
    )];
    let ev = evaluate_with(&entries[2..3], &data, &k.ids, &|_| true, &paired, 2).remove(0);
    assert_eq!(ev.verdict, Verdict::Pass, "{}", ev.detail);
}

#[test]
fn a_mean_budget_with_unproven_samples_is_judged_when_every_sample_is_on_one_side() {
    // `s/g/fast/1` has a budget of 20 ns on its mean; one of its samples is unproven. Which one
    // is not known, but the mean of any of its samples lies within their range.
    let k = known();
    let entries = parse(Path::new("b.toml"), GOOD, &k).unwrap();
    let with = |samples: &[f64]| {
        let mut b = bench(
            "s/g/fast/1",
            samples.iter().sum::<f64>() / samples.len() as f64,
            Unit::Ns,
        );
        b.samples = samples.to_vec();
        b.counters.insert(super::UNPROVEN.into(), 1.0);
        let ev = evaluate(&entries[..1], &[b], &k.ids, &|_| true).remove(0);
        (ev.verdict, ev.detail, ev.measured)
    };
    // Every sample, proven or not, under the limit: so is the proven samples' mean.
    let (v, detail, measured) = with(&[9.0, 10.0, 14.0, 11.0]);
    assert_eq!(v, Verdict::Pass, "{detail}");
    assert!(
        detail.contains("1 of its 4 samples unproven")
            && detail.contains("9.00 ns–14.0 ns")
            && detail.contains("limit 20.0 ns"),
        "{detail}"
    );
    assert_eq!(
        measured, None,
        "a mean with an unproven sample in it is not a figure"
    );
    // Every sample over it: so is the proven samples' mean.
    let (v, detail, _) = with(&[25.0, 30.0, 21.0]);
    assert_eq!(v, Verdict::Fail, "{detail}");
    assert!(detail.contains("21.0 ns–30.0 ns"), "{detail}");
    // Samples on both sides: the proven ones' mean could be either, so it is not judged.
    let (v, detail, _) = with(&[15.0, 25.0, 18.0]);
    assert_eq!(v, Verdict::NoData, "{detail}");
    assert!(
        detail.starts_with("unproven samples: s/g/fast/1 (1 samples)"),
        "{detail}"
    );
}
