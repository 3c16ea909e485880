//! Tests of reading budgets.toml (`parse.rs`): every input error names its entry; valid
//! files give the entries they say.

use super::*;
use crate::budgets::fixtures::*;

#[test]
fn instruction_entries_need_counted_benches_and_a_plain_count() {
    let k = known();
    let err = |t: &str| format!("{:#}", parse(Path::new("b.toml"), t, &k).unwrap_err());
    let entries = parse(
        Path::new("b.toml"),
        "[[budget]]\nid = \"s/g/fast/1\"\nstat = \"instructions\"\nmax = 1200\n\n\
         [[claim]]\nfaster = \"s/g/fast/1\"\nthan = \"s/g/slow/1\"\nby_at_least = 2\nstat = \"instructions\"\n",
        &k,
    )
    .unwrap();
    assert!(
        matches!(&entries[0].check, Check::Budget(b) if b.stat == Stat::Instructions && b.max == 1200.0)
    );
    assert!(matches!(
        &entries[1].check,
        Check::Faster {
            on: Metric::Instructions,
            ..
        }
    ));
    // s/lat/op/1 is timed only.
    let e = err("[[budget]]\nid = \"s/lat/op/1\"\nstat = \"instructions\"\nmax = 10\n");
    assert!(
        e.contains("timed only") && e.contains("[[budget]] #1"),
        "{e}"
    );
    let e = err("[[budget]]\nid = \"s/g/fast/1\"\nstat = \"instructions\"\nmax = \"1ms\"\n");
    assert!(e.contains("positive number of instructions"), "{e}");
    let e = err("[[budget]]\nid = \"s/g/fast/1\"\nmax = 5\n");
    assert!(e.contains("needs a unit"), "{e}");
    let e = err(
        "[[claim]]\nid = \"s/g/fast/1\"\nwithin = 2\nof = \"s/lat/op/1\"\nstat = \"instructions\"\n",
    );
    assert!(e.contains("timed only"), "{e}");
    let e =
        err("[[claim]]\nid = \"s/g/fast/1\"\nwithin = 2\nof = \"s/g/slow/1\"\nstat = \"p99\"\n");
    assert!(e.contains("not one of mean, instructions"), "{e}");
}

#[test]
fn entries_that_can_only_be_no_data_or_meaningless_are_refused_at_load() {
    let k = known();
    let err = |t: &str| format!("{:#}", parse(Path::new("b.toml"), t, &k).unwrap_err());
    // A time limit on a bytes bench.
    let e = err("[[budget]]\nid = \"s/mem/x/1\"\nmax = \"1ms\"\n");
    assert!(
        e.contains("[[budget]] #1") && e.contains("measures bytes"),
        "{e}"
    );
    // A latency percentile on a bench that records none.
    let e = err("[[budget]]\nid = \"s/g/fast/1\"\nstat = \"p99\"\nmax = \"1ms\"\n");
    assert!(e.contains("per-operation latency"), "{e}");
    parse(
        Path::new("b.toml"),
        "[[budget]]\nid = \"s/lat/op/1\"\nstat = \"p99\"\nmax = \"1ms\"\n",
        &k,
    )
    .unwrap();
    // A claim comparing bytes with time.
    let e = err("[[claim]]\nfaster = \"s/g/fast/1\"\nthan = \"s/mem/x/1\"\nby_at_least = 2\n");
    assert!(e.contains("means nothing"), "{e}");
    // A series whose parameters are not numbers.
    let e = err("[[scaling]]\nseries = \"s/names/f\"\nmax_exponent = 1.0\n");
    assert!(e.contains("numeric parameters, found 0"), "{e}");
    // A non-numeric member of an otherwise numeric series is left out of the fit.
    let entries = parse(
        Path::new("b.toml"),
        "[[scaling]]\nseries = \"s/scale/f\"\nmax_exponent = 1.1\n",
        &k,
    )
    .unwrap();
    assert_eq!(entries[0].ids(&k.ids).len(), 3);
}

#[test]
fn a_claim_on_one_bench_twice_and_bad_efficiency_entries_are_refused() {
    let k = known();
    let err = |t: &str| format!("{:#}", parse(Path::new("b.toml"), t, &k).unwrap_err());
    let e = err("[[claim]]\nfaster = \"s/g/fast/1\"\nthan = \"s/g/fast/1\"\nby_at_least = 2\n");
    assert_eq!(
        e,
        "b.toml: [[claim]] #1: compares s/g/fast/1 with itself; a claim needs two different benches"
    );
    let e = err("[[claim]]\nid = \"s/g/slow/1\"\nwithin = 1.5\nof = \"s/g/slow/1\"\n");
    assert!(
        e.contains("[[claim]] #1: compares s/g/slow/1 with itself"),
        "{e}"
    );
    let eff = |parallel: &str, at_least: &str, cpus: &str| {
        format!(
            "[[efficiency]]\nparallel = \"{parallel}\"\nserial = \"s/g/slow/1\"\nmachine_parallel = \"s/scale/f/100\"\nmachine_serial = \"s/scale/f/10\"\nat_least = {at_least}\n{cpus}"
        )
    };
    let e = err(&eff("s/g/slow/1", "0.7", ""));
    assert!(e.contains("parallel and serial must be different"), "{e}");
    let e = err(&eff("s/g/fast/1", "0", ""));
    assert!(
        e.contains("at_least must be a positive number, got 0"),
        "{e}"
    );
    let e = err(&eff("s/mem/x/1", "0.7", ""));
    assert!(e.contains("s/mem/x/1 is not a time bench"), "{e}");
    let e = err(&eff("s/g/fast/1", "0.7", "cpus = 0\n"));
    assert!(e.contains("cpus must be at least 1"), "{e}");
    let e = err(&eff("s/g/fast/1", "0.7", "shared_line_at_most = 0.5\n"));
    assert!(
        e.contains("shared_line_at_most must be a number of at least 1"),
        "{e}"
    );
    let e = err(&eff("s/g/fast/1", "0.7", "shared_line_at_most = 1.8\n"));
    assert!(
        e.contains(
            "shared_line_at_most needs machine_parallel to be a `machine/independent/N` bench"
        ),
        "{e}"
    );
    let ok = parse(
        Path::new("b.toml"),
        &eff("s/g/fast/1", "0.7", "cpus = 2\n"),
        &k,
    )
    .unwrap();
    assert_eq!(ok[0].cpus, Some(2));
    assert!(
        !ok[0].gates(),
        "a wall-clock entry does not gate with --gate-deterministic"
    );
}

#[test]
fn only_deterministic_entries_and_those_marked_gate_gate() {
    let k = known();
    let entries = parse(
        Path::new("b.toml"),
        r#"
[[budget]]
id = "s/mem/x/1"
max = "1KiB"

[[budget]]
id = "s/g/fast/1"
stat = "instructions"
max = 100

[[budget]]
id = "s/g/fast/1"
max = "1ms"

[[claim]]
faster = "s/g/fast/1"
than = "s/g/slow/1"
by_at_least = 2
gate = true

[[claim]]
faster = "s/g/fast/1"
than = "s/g/slow/1"
by_at_least = 2
stat = "instructions"

[[claim]]
faster = "s/g/fast/1"
than = "s/g/slow/1"
by_at_least = 2
"#,
        &k,
    )
    .unwrap();
    let gates: Vec<bool> = entries.iter().map(Entry::gates).collect();
    assert_eq!(gates, [true, true, false, true, true, false]);
}

#[test]
fn bad_files_name_the_entry_and_suggest_ids() {
    let k = known();
    let p = Path::new("budgets.toml");
    let err = |t: &str| format!("{:#}", parse(p, t, &k).unwrap_err());
    let e = err("[[budget]]\nid = \"s/g/fats/1\"\nmax = \"1ns\"\n");
    assert!(
        e.contains("budgets.toml") && e.contains("did you mean \"s/g/fast/1\""),
        "{e}"
    );
    let e = err("[[budget]]\nid = \"s/g/fast/1\"\nmax = \"1 parsec\"\n");
    assert!(
        e.contains("[[budget]] #1") && e.contains("unknown unit"),
        "{e}"
    );
    let e = err("[[budget]]\nid = \"s/g/fast/1\"\nmax = \"1ns\"\nstat = \"p42\"\n");
    assert!(e.contains("p42"), "{e}");
    let e = err("[[claim]]\nfaster = \"s/g/fast/1\"\nof = \"s/g/slow/1\"\n");
    assert!(e.contains("[[claim]] #1"), "{e}");
    let e = err("[[budgets]]\nid = \"x\"\n");
    assert!(e.contains("invalid budgets file"), "{e}");
    let e = err("[[scaling]]\nseries = \"s/scale/g\"\nmax_exponent = 1.0\n");
    assert!(e.contains("did you mean \"s/scale/f\""), "{e}");
    let e = err("[[claim]]\nfaster = \"s/g/fast/1\"\nthan = \"s/g/slow/1\"\nby_at_least = -2\n");
    assert!(e.contains("positive"), "{e}");
}

#[test]
fn one_process_is_read_on_wall_clock_claims_only() {
    let k = known();
    let entries = parse(
        Path::new("b.toml"),
        "[[claim]]\nid = \"s/g/fast/1\"\nwithin = 2\nof = \"s/g/slow/1\"\none_process = true\n\n\
         [[claim]]\nid = \"s/g/fast/1\"\nwithin = 3\nof = \"s/g/slow/1\"\n",
        &k,
    )
    .unwrap();
    assert!(entries[0].one_process);
    assert!(!entries[1].one_process);
    let e = format!(
        "{:#}",
        parse(
            Path::new("b.toml"),
            "[[claim]]\nid = \"s/g/fast/1\"\nwithin = 2\nof = \"s/g/slow/1\"\nstat = \"instructions\"\none_process = true\n",
            &k,
        )
        .unwrap_err()
    );
    assert!(
        e.contains("[[claim]] #1") && e.contains("one_process"),
        "{e}"
    );
    // Not a field of budgets, scaling or efficiency entries.
    let e = format!(
        "{:#}",
        parse(
            Path::new("b.toml"),
            "[[budget]]\nid = \"s/g/fast/1\"\nmax = \"1ms\"\none_process = true\n",
            &k,
        )
        .unwrap_err()
    );
    assert!(e.contains("one_process"), "{e}");
}
