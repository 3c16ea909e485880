//! Tests of the command-line parser (`cli.rs`).
use super::*;

fn parse_str(s: &str) -> Result<Command> {
    parse(s.split_whitespace().map(OsString::from))
}

/// `args` is refused with an error saying `says`.
fn assert_err(args: &str, says: &str) {
    match parse_str(args) {
        Ok(c) => panic!("{args:?} was accepted: {c:?}"),
        Err(e) => {
            let e = format!("{e:#}");
            assert!(e.contains(says), "{args:?}: {e:?} does not say {says:?}");
        }
    }
}

#[test]
fn parses_bench_options() {
    let Command::Bench(a) = parse_str("bench --quick -p ggen-core --bench x --filter a/b").unwrap()
    else {
        panic!("not bench")
    };
    assert_eq!(a.profile, Profile::Quick);
    assert_eq!(a.packages, ["ggen-core"]);
    assert_eq!(a.suites, ["x"]);
    assert_eq!(a.filter.as_deref(), Some("a/b"));
    let Command::Bench(a) = parse_str("bench").unwrap() else {
        panic!()
    };
    assert_eq!(a.profile, Profile::Full);
}

#[test]
fn rejects_bad_usage() {
    assert_err(
        "bench --quick --full",
        "--quick and --full are mutually exclusive",
    );
    assert_err("bench --nope", "invalid option '--nope'");
    assert_err("bench -p", "missing argument for option '-p'");
    assert_err("frobnicate", "unknown subcommand \"frobnicate\"");
    assert_eq!(parse_str("").unwrap(), Command::Help);
    assert_err("bench --filter (", "--filter \"(\" is not a valid regex");
    assert_err(
        "bench --save-baseline ../x",
        "baseline name \"../x\" must be letters",
    );
    assert_err("bench --export csv=x", "expected bmf=PATH or github=PATH");
    assert_err(
        "bench --threshold lots",
        "--threshold \"lots\" is not a number",
    );
    assert_err(
        "compare onlyone",
        "compare takes two baselines or runs, got 1",
    );
    assert_err("report a b", "unexpected argument \"b\"");
    assert_err(
        "bench --repeat 0",
        "--repeat \"0\": expected a whole number from 1 to 100",
    );
    let Command::Bench(a) = parse_str("bench --repeat 3").unwrap() else {
        panic!()
    };
    assert_eq!(a.repeat, 3);
}

#[test]
fn help_anywhere_is_help() {
    for line in [
        "bench --help",
        "bench --quick -h",
        "compare a --help",
        "report -h",
        "help",
    ] {
        assert_eq!(parse_str(line).unwrap(), Command::Help, "{line}");
    }
}

#[test]
fn filters_starting_with_a_dash_stay_filters() {
    let Command::Bench(a) = parse_str("bench --filter -?execute_baseline/").unwrap() else {
        panic!()
    };
    let f = a.filter.unwrap();
    assert_eq!(f, "-?execute_baseline/");
    let passed = crate::suites::criterion_filter(&f);
    assert!(!passed.starts_with('-'), "{passed}");
    let (orig, wrapped) = (
        regex::Regex::new(&f).unwrap(),
        regex::Regex::new(&passed).unwrap(),
    );
    for id in [
        "execute_baseline/global/1",
        "-execute_baseline/x",
        "other/1",
    ] {
        assert_eq!(orig.is_match(id), wrapped.is_match(id), "{id}");
    }
}

#[test]
fn force_replaces_a_saved_baseline() {
    let Command::Bench(a) = parse_str("bench --save-baseline x --force").unwrap() else {
        panic!()
    };
    assert!(a.force);
}

#[test]
fn against_takes_its_own_threshold_rounds_and_setups_and_refuses_what_does_not_apply() {
    let Command::Bench(a) = parse_str("bench --against HEAD~1").unwrap() else {
        panic!()
    };
    assert_eq!(a.against.as_deref(), Some("HEAD~1"));
    assert_eq!(
        (a.repeat, a.threshold),
        (1, crate::against::DEFAULT_THRESHOLD)
    );
    assert_err(
        "bench --against HEAD --baseline x",
        "--against and --baseline are two comparisons",
    );
    assert_err("bench --against HEAD --repeat 3", "--repeat does not apply");
    let Command::Bench(a) = parse_str("bench --against HEAD --rounds 32").unwrap() else {
        panic!()
    };
    assert_eq!(a.rounds, Some(32));
    assert_err("bench --rounds 32", "--rounds applies to --against");
    assert_err(
        "bench --against HEAD --rounds 1",
        "--rounds \"1\": expected a whole number from 6",
    );
    assert_err(
        "bench --against HEAD --rounds 5",
        "--rounds \"5\": expected a whole number from 6",
    );
    assert!(parse_str("bench --against HEAD --rounds 6").is_ok());
    let Command::Bench(a) = parse_str("bench --against HEAD --setups 3").unwrap() else {
        panic!("bench");
    };
    assert_eq!(a.setups, Some(3));
    assert_err("bench --setups 3", "--setups applies to --against");
    assert_err(
        "bench --against HEAD --setups 0",
        "--setups \"0\": expected a whole number from 1 to 20",
    );
    assert_err(
        "bench --against HEAD --setups 21",
        "--setups \"21\": expected a whole number from 1 to 20",
    );
}

#[test]
fn instructions_take_their_own_threshold_and_no_pairing() {
    let Command::Bench(a) = parse_str("bench --instructions --ir-threshold 0.5").unwrap() else {
        panic!()
    };
    assert!(a.instructions);
    assert_eq!(a.ir_threshold, 0.005);
    assert_err(
        "bench --instructions --against HEAD",
        "--against and --instructions: counts need no pairing",
    );
    assert_err(
        "bench --ir-threshold x",
        "--ir-threshold \"x\" is not a number",
    );
    let Command::Bench(a) = parse_str("bench --instructions --baseline b --explain ^s/g/").unwrap()
    else {
        panic!()
    };
    assert_eq!(a.explain.as_deref(), Some("^s/g/"));
    let e = parse_str("bench --instructions --explain x")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("--explain needs --instructions and --baseline"),
        "{e}"
    );
    let e = parse_str("compare a b --explain (")
        .unwrap_err()
        .to_string();
    assert!(e.contains("--explain \"(\": not a regex"), "{e}");
    let Command::Compare { explain, .. } = parse_str("compare a b --explain x").unwrap() else {
        panic!()
    };
    assert_eq!(explain.as_deref(), Some("x"));
}

#[test]
fn history_takes_its_settings_and_import_takes_folders() {
    let Command::History(h) = parse_str(
        "history --bench ^s/ --window 30 --max-p 0.01 --min-change 2 --include-dirty --out o --history h.sqlite",
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!(h.bench.as_deref(), Some("^s/"));
    assert_eq!(h.settings.window, 30);
    assert_eq!(h.settings.max_p, 0.01);
    assert_eq!(h.settings.min_change, 0.02);
    assert!(h.include_dirty);
    assert_eq!(h.out, Some(PathBuf::from("o")));
    assert_eq!(h.history, Some(PathBuf::from("h.sqlite")));
    let Command::History(h) = parse_str("history").unwrap() else {
        panic!()
    };
    assert_eq!(h.settings, crate::changepoint::Settings::default());
    assert_eq!(
        parse_str("history import a b --history h").unwrap(),
        Command::HistoryImport {
            dirs: vec!["a".into(), "b".into()],
            history: Some("h".into()),
        }
    );
    assert_err("history import", "give the run folders");
    assert_err(
        "history import a --window 9",
        "history import takes only folders",
    );
    assert_err("history stuff", "did you mean `history import DIR`");
    assert_err(
        "history --window 3",
        "--window \"3\": expected a whole number from 8",
    );
    assert_err("history --max-p 1", "--max-p \"1\": expected a p-value");
    assert_err("history --bench (", "--bench \"(\" is not a valid regex");
    assert_err(
        "bench --history h --no-history",
        "--history and --no-history: give one",
    );
    let Command::Bench(b) = parse_str("bench --history h").unwrap() else {
        panic!()
    };
    assert_eq!(b.history, Some(PathBuf::from("h")));
}

#[test]
fn bisect_needs_a_bench_id_and_both_ends() {
    let Command::Bisect(b) = parse_str("bisect s/g/f/1 --good a --bad b").unwrap() else {
        panic!()
    };
    assert_eq!(
        (b.bench.as_str(), b.good.as_str(), b.bad.as_str()),
        ("s/g/f/1", "a", "b")
    );
    assert_eq!(
        (b.profile, b.rounds, b.max_rounds),
        (Profile::Quick, 24, 96)
    );
    assert!(!b.instructions);
    let Command::Bisect(b) =
        parse_str("bisect s/g/f/1 --good a --bad b --full --rounds 10 --max-rounds 20").unwrap()
    else {
        panic!()
    };
    assert_eq!((b.profile, b.rounds, b.max_rounds), (Profile::Full, 10, 20));
    assert_err("bisect --good a --bad b", "give the bench");
    assert_err("bisect s/g/f --good a --bad b", "is not a bench id");
    assert_err("bisect s/g/f/1 --good a", "needs --good REV and --bad REV");
    assert_err(
        "bisect s/g/f/1 --good a --bad b --instructions --rounds 10",
        "--rounds and --max-rounds do not apply",
    );
    assert_err(
        "bisect s/g/f/1 --good a --bad b --rounds 10 --max-rounds 8",
        "--max-rounds 8 is fewer than --rounds 10",
    );
}
