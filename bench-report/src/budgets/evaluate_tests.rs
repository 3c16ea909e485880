//! Tests of the verdicts (`evaluate.rs`): intervals, paired ratios, counts, scaling, missing
//! and filtered data.

use super::*;
use crate::budgets::fixtures::*;
use crate::budgets::parse::parse;
use crate::results::Unit;
use std::path::Path;

fn with_interval(id: &str, mean: f64, half: f64) -> Bench {
    let mut b = bench(id, mean, Unit::Ns);
    b.mean.lower = mean - half;
    b.mean.upper = mean + half;
    b
}

/// `numerator / denominator` measured in turn: `[point, lower, upper]` over `pairs` pairs.
pub(super) fn paired_ratio(
    numerator: &str,
    denominator: &str,
    ci: [f64; 3],
    pairs: usize,
) -> PairedRatio {
    PairedRatio {
        numerator: numerator.into(),
        denominator: denominator.into(),
        ratio: crate::stats::RatioCi {
            point: ci[0],
            lower: ci[1],
            upper: ci[2],
        },
        pairs,
        how: crate::budgets::Pairing::OneProcess,
        machine: None,
        machine_benches: None,
        efficiency: None,
        shared_line: None,
        invalid: 0,
    }
}

/// An efficiency claim on `s/g/fast/1` (parallel) vs `s/g/slow/1` (serial), the machine's
/// benches `s/scale/f/100` (parallel) and `s/scale/f/10` (serial).
fn efficiency_entry(at_least: f64, cpus: Option<usize>) -> Entry {
    Entry {
        check: Check::Efficiency {
            parallel: "s/g/fast/1".into(),
            serial: "s/g/slow/1".into(),
            machine_parallel: "s/scale/f/100".into(),
            machine_serial: "s/scale/f/10".into(),
            at_least,
            shared_line_at_most: None,
        },
        note: None,
        cpus,
        gate: false,
        one_process: false,
    }
}

/// The separate means of [`efficiency_entry`]'s four benches: the code 1.67× faster in
/// parallel, the machine 2×.
fn efficiency_data() -> Vec<crate::results::Bench> {
    vec![
        bench("s/g/fast/1", 600.0, Unit::Ns),
        bench("s/g/slow/1", 1000.0, Unit::Ns),
        bench("s/scale/f/100", 500.0, Unit::Ns),
        bench("s/scale/f/10", 1000.0, Unit::Ns),
    ]
}

/// Rounds of an efficiency claim: the code's time ratio, the machine's speedup, the efficiency.
fn efficiency_rounds(eff: [f64; 3], invalid: usize, rounds: usize) -> PairedRatio {
    let ci = |[point, lower, upper]: [f64; 3]| crate::stats::RatioCi {
        point,
        lower,
        upper,
    };
    PairedRatio {
        machine: Some(ci([1.9, 1.8, 2.0])),
        efficiency: Some(ci(eff)),
        shared_line: Some(ci([1.4, 1.3, 1.5])),
        invalid,
        how: crate::budgets::Pairing::FreshProcesses,
        ..paired_ratio("s/g/fast/1", "s/g/slow/1", [0.6, 0.55, 0.65], rounds)
    }
}

#[test]
fn efficiency_claims_are_judged_on_the_efficiency_interval_and_skipped_without_the_cpus() {
    let k = known();
    let data = efficiency_data();
    let judge = |entry: Entry, paired: &[PairedRatio], cpus: usize| {
        evaluate_with(&[entry], &data, &k.ids, &|_| true, paired, cpus).remove(0)
    };
    let rounds = [efficiency_rounds([0.85, 0.8, 0.9], 1, 8)];
    let ev = judge(efficiency_entry(0.7, Some(2)), &rounds, 2);
    assert_eq!(ev.verdict, Verdict::Pass, "{}", ev.detail);
    assert!(
        ev.detail.starts_with(
            "machine 1.90× [1.80, 2.00] on scale/f; code 1.67×: efficiency 0.85 [0.80, 0.90]"
        ),
        "{}",
        ev.detail
    );
    assert!(
        ev.detail.contains("8 rounds, 1 more not used"),
        "{}",
        ev.detail
    );
    assert_eq!(
        judge(efficiency_entry(0.95, Some(2)), &rounds, 2).verdict,
        Verdict::Fail
    );
    assert_eq!(
        judge(efficiency_entry(0.85, Some(2)), &rounds, 2).verdict,
        Verdict::Unsure
    );
    // Fewer CPUs than the claim needs: SKIPPED, saying so, whatever was measured.
    let ev = judge(efficiency_entry(0.7, Some(2)), &rounds, 1);
    assert_eq!(ev.verdict, Verdict::Skipped);
    assert_eq!(
        ev.detail,
        "needs 2 CPUs; this machine has 1, so it cannot show what the claim is about"
    );
    // Not measured in turn: the separate means' point (speedup 1.67 of the machine's 2.0).
    let ev = judge(efficiency_entry(0.8, None), &[], 1);
    assert_eq!(ev.verdict, Verdict::Pass, "{}", ev.detail);
    assert_eq!(ev.measured.map(|m| (m * 1000.0).round()), Some(833.0));
    assert_eq!(
        judge(efficiency_entry(0.9, None), &[], 1).verdict,
        Verdict::Fail
    );
}

#[test]
fn a_claim_whose_every_round_was_unproven_has_no_data() {
    let k = known();
    let data = vec![
        bench("s/g/fast/1", 600.0, Unit::Ns),
        bench("s/g/slow/1", 1000.0, Unit::Ns),
    ];
    let entry = Entry {
        check: Check::Faster {
            fast: "s/g/fast/1".into(),
            slow: "s/g/slow/1".into(),
            factor: 1.2,
            on: Metric::Mean,
        },
        note: None,
        cpus: Some(2),
        gate: false,
        one_process: false,
    };
    let nan = [f64::NAN; 3];
    let unproven = PairedRatio {
        invalid: 8,
        how: crate::budgets::Pairing::FreshProcesses,
        ..paired_ratio("s/g/slow/1", "s/g/fast/1", nan, 0)
    };
    let ev = evaluate_with(
        std::slice::from_ref(&entry),
        &data,
        &k.ids,
        &|_| true,
        &[unproven],
        2,
    )
    .remove(0);
    assert_eq!(ev.verdict, Verdict::NoData);
    assert!(
        ev.detail
            .starts_with("all 8 rounds measured in turn were unproven"),
        "{}",
        ev.detail
    );
    // Some rounds unproven, the rest decide, and the detail says how many were left out.
    let some = PairedRatio {
        invalid: 3,
        how: crate::budgets::Pairing::FreshProcesses,
        ..paired_ratio("s/g/slow/1", "s/g/fast/1", [1.6, 1.5, 1.7], 8)
    };
    let ev = evaluate_with(&[entry], &data, &k.ids, &|_| true, &[some], 2).remove(0);
    assert_eq!(ev.verdict, Verdict::Pass, "{}", ev.detail);
    assert!(
        ev.detail.contains("8 rounds, 3 more not used"),
        "{}",
        ev.detail
    );
}

#[test]
fn instruction_entries_are_exact_and_skipped_without_counts() {
    let k = known();
    let counted = |id: &str, ir: f64| {
        let mut b = bench(id, 100.0, crate::results::Unit::Ns);
        b.counts = Some(crate::instructions::Counts {
            iterations: 10,
            instructions: ir,
            estimated_cycles: ir,
            l1_hits: ir,
            ll_hits: 0.0,
            ram_hits: 0.0,
        });
        b
    };
    let entries = crate::budgets::parse::parse(
        std::path::Path::new("b.toml"),
        "[[budget]]\nid = \"s/g/fast/1\"\nstat = \"instructions\"\nmax = 1000\n\n\
         [[claim]]\nfaster = \"s/g/fast/1\"\nthan = \"s/g/slow/1\"\nby_at_least = 10\nstat = \"instructions\"\n",
        &k,
    )
    .unwrap();
    let verdicts = |benches: &[Bench]| -> Vec<Verdict> {
        evaluate(&entries, benches, &k.ids, &|_| true)
            .iter()
            .map(|e| e.verdict)
            .collect()
    };
    // 900 ≤ 1000; 9500 / 900 = 10.6× ≥ 10×. The wall-time means (equal) do not matter.
    let ok = [counted("s/g/fast/1", 900.0), counted("s/g/slow/1", 9500.0)];
    assert_eq!(verdicts(&ok), [Verdict::Pass, Verdict::Pass]);
    let bad = [counted("s/g/fast/1", 1001.0), counted("s/g/slow/1", 9500.0)];
    assert_eq!(verdicts(&bad), [Verdict::Fail, Verdict::Fail]);
    let plain = [
        bench("s/g/fast/1", 1.0, crate::results::Unit::Ns),
        bench("s/g/slow/1", 100.0, crate::results::Unit::Ns),
    ];
    assert_eq!(verdicts(&plain), [Verdict::Skipped, Verdict::Skipped]);
}

#[test]
fn a_paired_ratio_decides_the_claim_when_the_run_has_one() {
    let k = known();
    let entry = Entry {
        check: Check::Faster {
            fast: "s/g/fast/1".into(),
            slow: "s/g/slow/1".into(),
            factor: 1.5,
            on: Metric::Mean,
        },
        note: None,
        cpus: None,
        gate: false,
        one_process: false,
    };
    // The separate means say 1.0× (FAIL); measured in turn, slow/fast is 2.0× [1.9, 2.1].
    let data = [
        with_interval("s/g/fast/1", 100.0, 1.0),
        with_interval("s/g/slow/1", 100.0, 1.0),
    ];
    let unpaired = evaluate(std::slice::from_ref(&entry), &data, &k.ids, &|_| true);
    assert_eq!(unpaired[0].verdict, Verdict::Fail);
    let paired = [paired_ratio("s/g/slow/1", "s/g/fast/1", [2.0, 1.9, 2.1], 6)];
    let ev = evaluate_with(
        std::slice::from_ref(&entry),
        &data,
        &k.ids,
        &|_| true,
        &paired,
        2,
    );
    assert_eq!(ev[0].verdict, Verdict::Pass, "{}", ev[0].detail);
    assert!(
        ev[0].detail.contains("paired in one process, 6 pairs"),
        "{}",
        ev[0].detail
    );
    // The ratio measured in turn leads; the separate means (1.0×) follow, named as such.
    assert!(
        ev[0]
            .detail
            .starts_with("2.00× [1.90, 2.10] in turn (need ≥ 1.5×;")
            && ev[0].detail.contains("; separate means "),
        "{}",
        ev[0].detail
    );
    assert!(
        !unpaired[0].detail.contains("in turn"),
        "{}",
        unpaired[0].detail
    );
    // A multi-threaded claim's ratio from rounds of fresh processes says so.
    let rounds = [PairedRatio {
        how: crate::budgets::Pairing::FreshProcesses,
        ..paired_ratio("s/g/slow/1", "s/g/fast/1", [2.0, 1.9, 2.1], 8)
    }];
    let ev = evaluate_with(&[entry], &data, &k.ids, &|_| true, &rounds, 2);
    assert_eq!(ev[0].verdict, Verdict::Pass, "{}", ev[0].detail);
    assert!(
        ev[0]
            .detail
            .contains("in turn in fresh processes, 8 rounds"),
        "{}",
        ev[0].detail
    );
    // A report written before `how` existed reads as one process.
    let old: PairedRatio = serde_json::from_str(
        r#"{"numerator":"a","denominator":"b","ratio":{"point":1.0,"lower":0.9,"upper":1.1},"pairs":6}"#,
    )
    .unwrap();
    assert_eq!(old.how, crate::budgets::Pairing::OneProcess);
}

#[test]
fn a_series_with_paired_end_points_gets_an_exponent_interval() {
    let k = known();
    let entry = |max: f64| Entry {
        check: Check::Scaling {
            series: "s/scale/f".into(),
            max_exponent: max,
        },
        note: None,
        cpus: None,
        gate: false,
        one_process: false,
    };
    let data = [
        bench("s/scale/f/10", 10.0, crate::results::Unit::Ns),
        bench("s/scale/f/100", 100.0, crate::results::Unit::Ns),
        bench("s/scale/f/1000", 1000.0, crate::results::Unit::Ns),
    ];
    // 1000 / 10 measured in turn: 110× [105×, 115×] → exponent ln(110)/ln(100) = 1.021,
    // interval [1.011, 1.030].
    let paired = [paired_ratio(
        "s/scale/f/1000",
        "s/scale/f/10",
        [110.0, 105.0, 115.0],
        30,
    )];
    let v = |max: f64| evaluate_with(&[entry(max)], &data, &k.ids, &|_| true, &paired, 2);
    let ev = v(1.05);
    assert_eq!(ev[0].verdict, Verdict::Pass, "{}", ev[0].detail);
    assert!((ev[0].measured.unwrap() - 110f64.ln() / 100f64.ln()).abs() < 1e-12);
    assert_eq!(v(1.02)[0].verdict, Verdict::Unsure);
    assert_eq!(v(1.0)[0].verdict, Verdict::Fail);
    // Without the paired ratio the means' fit decides: exponent 1.0 exactly.
    let plain = evaluate(&[entry(1.0)], &data, &k.ids, &|_| true);
    assert_eq!(plain[0].verdict, Verdict::Pass, "{}", plain[0].detail);
}

#[test]
fn claims_are_judged_on_the_interval_of_the_ratio() {
    let k = known();
    let within = |factor: f64| Entry {
        check: Check::Within {
            id: "s/g/fast/1".into(),
            of: "s/g/slow/1".into(),
            factor,
            on: Metric::Mean,
        },
        note: None,
        cpus: None,
        gate: false,
        one_process: false,
    };
    // 150 ± 3 over 100 ± 2: ratio 1.5, interval about [1.44, 1.56].
    let data = [
        with_interval("s/g/fast/1", 150.0, 3.0),
        with_interval("s/g/slow/1", 100.0, 2.0),
    ];
    let verdict = |f: f64| evaluate(&[within(f)], &data, &k.ids, &|_| true)[0].verdict;
    assert_eq!(verdict(1.6), Verdict::Pass, "whole interval below 1.6");
    assert_eq!(verdict(1.5), Verdict::Unsure, "straddles 1.5");
    assert_eq!(verdict(1.4), Verdict::Fail, "whole interval above 1.4");
    assert!(!Verdict::Unsure.fails(), "UNSURE fails only with --strict");
    let ev = evaluate(&[within(1.5)], &data, &k.ids, &|_| true);
    assert!(
        ev[0].detail.contains("1.50× [1.44, 1.56]"),
        "{}",
        ev[0].detail
    );
    // With repeats, the interval is a Welch interval over the run means.
    let mut runs = data.clone();
    runs[0].run_means = vec![150.0, 151.0, 149.0];
    runs[1].run_means = vec![100.0, 100.5, 99.5];
    assert_eq!(
        evaluate(&[within(1.6)], &runs, &k.ids, &|_| true)[0].verdict,
        Verdict::Pass
    );
    // A budget on a mean uses the mean's interval.
    let budget = |max: f64| Entry {
        check: Check::Budget(Budget {
            id: "s/g/fast/1".into(),
            stat: Stat::Mean,
            max,
            unit: Unit::Ns,
        }),
        note: None,
        cpus: None,
        gate: false,
        one_process: false,
    };
    let v = |max: f64| evaluate(&[budget(max)], &data, &k.ids, &|_| true)[0].verdict;
    assert_eq!(
        (v(160.0), v(150.0), v(140.0)),
        (Verdict::Pass, Verdict::Unsure, Verdict::Fail)
    );
}

#[test]
fn evaluates_every_kind() {
    let k = known();
    let entries = parse(Path::new("budgets.toml"), GOOD, &k).unwrap();
    assert_eq!(entries.len(), 5);
    let ev = evaluate(&entries, &results(10.0), &k.ids, &|_| true);
    let verdicts: Vec<Verdict> = ev.iter().map(|e| e.verdict).collect();
    // 10 ns ≤ 20 ns; 2 KiB > 1 KiB; 150× ≥ 100×; 10/1500 ≤ 1.5; exponent 1.0 ≤ 1.1
    assert_eq!(
        verdicts,
        [
            Verdict::Pass,
            Verdict::Fail,
            Verdict::Pass,
            Verdict::Pass,
            Verdict::Pass
        ]
    );
    assert!(ev[2].detail.contains("150.00×"), "{}", ev[2].detail);
    assert!((ev[4].measured.unwrap() - 1.0).abs() < 1e-9);
    let ev = evaluate(&entries, &results(30.0), &k.ids, &|_| true);
    assert_eq!(ev[0].verdict, Verdict::Fail);
    assert_eq!(ev[2].verdict, Verdict::Fail, "50× < 100×");
}

#[test]
fn missing_data_fails_and_filtered_data_is_skipped() {
    let k = known();
    let entries = parse(Path::new("b.toml"), GOOD, &k).unwrap();
    let partial: Vec<Bench> = results(10.0)
        .into_iter()
        .filter(|b| b.id != "s/g/slow/1")
        .collect();
    let ev = evaluate(&entries, &partial, &k.ids, &|_| true);
    assert_eq!(ev[2].verdict, Verdict::NoData);
    assert!(ev[2].verdict.fails());
    assert!(ev[2].detail.contains("s/g/slow/1"), "{}", ev[2].detail);
    let only_mem = |id: &str| id.starts_with("s/mem/");
    let ev = evaluate(
        &entries,
        &[bench("s/mem/x/1", 10.0, Unit::Bytes)],
        &k.ids,
        &only_mem,
    );
    let v: Vec<Verdict> = ev.iter().map(|e| e.verdict).collect();
    assert_eq!(
        v,
        [
            Verdict::Skipped,
            Verdict::Pass,
            Verdict::Skipped,
            Verdict::Skipped,
            Verdict::Skipped
        ]
    );
    assert!(!Verdict::Skipped.fails());
    // A filter that keeps only one side of a claim skips it, naming the side left out.
    let ev = evaluate(&entries, &results(10.0), &k.ids, &|id| id != "s/g/slow/1");
    assert_eq!(ev[2].verdict, Verdict::Skipped);
    assert!(
        ev[2].detail.contains("s/g/slow/1 not selected"),
        "{}",
        ev[2].detail
    );
    // A selected point of a series without a result is missing data, not a smaller fit.
    let no_mid: Vec<Bench> = results(10.0)
        .into_iter()
        .filter(|b| b.id != "s/scale/f/100")
        .collect();
    let ev = evaluate(&entries, &no_mid, &k.ids, &|_| true);
    assert_eq!(ev[4].verdict, Verdict::NoData, "{}", ev[4].detail);
    let ev = evaluate(&entries, &no_mid, &k.ids, &|id| id != "s/scale/f/100");
    assert_eq!(ev[4].verdict, Verdict::Pass, "{}", ev[4].detail);
}

#[test]
fn evaluation_still_guards_units_and_latency() {
    let k = known();
    let entries = vec![
        Entry {
            check: Check::Budget(Budget {
                id: "s/mem/x/1".into(),
                stat: Stat::Mean,
                max: 1e6,
                unit: Unit::Ns,
            }),
            note: None,
            cpus: None,
            gate: false,
            one_process: false,
        },
        Entry {
            check: Check::Budget(Budget {
                id: "s/g/fast/1".into(),
                stat: Stat::P99,
                max: 1e6,
                unit: Unit::Ns,
            }),
            note: None,
            cpus: None,
            gate: false,
            one_process: false,
        },
    ];
    let ev = evaluate(&entries, &results(10.0), &k.ids, &|_| true);
    assert_eq!(ev[0].verdict, Verdict::Fail);
    assert!(ev[0].detail.contains("Bytes"), "{}", ev[0].detail);
    assert_eq!(ev[1].verdict, Verdict::NoData);
}

#[test]
fn an_efficiency_claim_is_skipped_where_a_shared_cache_line_costs_more_than_it_assumes() {
    let k = known();
    let data = efficiency_data();
    let entry = |limit: f64, at_least: f64| {
        let mut e = efficiency_entry(at_least, Some(2));
        if let Check::Efficiency {
            shared_line_at_most,
            ..
        } = &mut e.check
        {
            *shared_line_at_most = Some(limit);
        }
        e
    };
    let judge = |entry: Entry, paired: &[PairedRatio]| {
        evaluate_with(&[entry], &data, &k.ids, &|_| true, paired, 2).remove(0)
    };
    // The rounds' shared line reads 1.4× [1.3, 1.5].
    let rounds = [efficiency_rounds([0.5, 0.45, 0.55], 0, 8)];
    // Above the limit (whole interval): SKIPPED, with the line's cost and the efficiency.
    let ev = judge(entry(1.2, 0.7), &rounds);
    assert_eq!(ev.verdict, Verdict::Skipped, "{}", ev.detail);
    assert!(
        ev.detail.starts_with("needs a machine where one shared cache line costs at most 1.2× per operation on 2 threads as on 1; this one 1.40× [1.30, 1.50]"),
        "{}",
        ev.detail
    );
    assert!(
        ev.detail.contains("efficiency 0.50 [0.45, 0.55]"),
        "{}",
        ev.detail
    );
    assert_eq!(
        ev.detail.matches("shared cache line").count(),
        1,
        "the line's cost is said once: {}",
        ev.detail
    );
    // Straddling or below the limit: judged as usual (here a FAIL).
    assert_eq!(judge(entry(1.45, 0.7), &rounds).verdict, Verdict::Fail);
    assert_eq!(judge(entry(1.8, 0.7), &rounds).verdict, Verdict::Fail);
    assert_eq!(judge(entry(1.8, 0.4), &rounds).verdict, Verdict::Pass);
    // A limit with no shared line measured cannot be honoured: NO_DATA, never a silent PASS.
    let no_line = [PairedRatio {
        shared_line: None,
        ..efficiency_rounds([0.85, 0.8, 0.9], 0, 8)
    }];
    let ev = judge(entry(1.8, 0.7), &no_line);
    assert_eq!(ev.verdict, Verdict::NoData, "{}", ev.detail);
}

#[test]
fn two_efficiency_entries_on_one_pair_each_find_the_rounds_of_their_machine() {
    let (k, mut data) = (known(), efficiency_data());
    data.extend([
        bench("s/g/m/2", 500.0, Unit::Ns),
        bench("s/g/m/1", 1000.0, Unit::Ns),
    ]);
    let with = |mp: &str, ms: &str| {
        let mut e = efficiency_entry(0.7, Some(2));
        if let Check::Efficiency {
            machine_parallel: p,
            machine_serial: s,
            ..
        } = &mut e.check
        {
            (*p, *s) = (mp.into(), ms.into());
        }
        e
    };
    let rounds_of = |mp: &str, ms: &str, eff: [f64; 3]| PairedRatio {
        machine_benches: Some((mp.into(), ms.into())),
        ..efficiency_rounds(eff, 0, 8)
    };
    // The entry's own rounds come second: a match on the code's benches alone takes the first.
    let rounds = [
        rounds_of("s/scale/f/100", "s/scale/f/10", [0.4, 0.35, 0.45]),
        rounds_of("s/g/m/2", "s/g/m/1", [0.85, 0.8, 0.9]),
    ];
    let entries = [
        with("s/g/m/2", "s/g/m/1"),
        with("s/scale/f/100", "s/scale/f/10"),
    ];
    let ev = evaluate_with(&entries, &data, &k.ids, &|_| true, &rounds, 2);
    assert_eq!(ev[0].verdict, Verdict::Pass, "{}", ev[0].detail);
    assert!(ev[0].detail.contains("efficiency 0.85"), "{}", ev[0].detail);
    assert_eq!(ev[1].verdict, Verdict::Fail, "{}", ev[1].detail);
    assert!(ev[1].detail.contains("efficiency 0.40"), "{}", ev[1].detail);
}
