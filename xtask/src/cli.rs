//! Command-line parsing for `cargo xtask` (lexopt: small, no proc macros).

use std::ffi::OsString;

use anyhow::{Result, bail};

/// Printed for `--help` and after usage errors.
pub const USAGE: &str = "\
usage: cargo xtask bench [--quick|--full] [-p CRATE]... [--bench SUITE]... [--filter REGEX]

Runs the workspace's Criterion suites and reports where the results are.

  --quick           quick profile (GGEN_BENCH_PROFILE=quick: 10 samples, ~0.4 s per bench)
  --full            full profile (the default: Criterion's 100 samples, 3 s + 5 s per bench)
  -p, --package     only the suites of this crate (repeatable)
  --bench SUITE     only this suite (bench target name; repeatable)
  --filter REGEX    only benches whose id matches (passed to Criterion)
  -h, --help        this text

exit status: 0 success, 1 a bench failed, 2 usage or input error";

/// Benchmark profile, forwarded to the suites as `GGEN_BENCH_PROFILE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Short runs.
    Quick,
    /// Criterion's default statistics.
    Full,
}

impl Profile {
    pub fn name(self) -> &'static str {
        match self {
            Profile::Quick => "quick",
            Profile::Full => "full",
        }
    }
}

/// Options of `cargo xtask bench`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchArgs {
    pub profile: Profile,
    pub packages: Vec<String>,
    pub suites: Vec<String>,
    pub filter: Option<String>,
}

/// A parsed command line.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Help,
    Bench(BenchArgs),
}

pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command> {
    use lexopt::prelude::*;
    let mut p = lexopt::Parser::from_args(args);
    let sub = match p.next()? {
        None | Some(Short('h') | Long("help")) => return Ok(Command::Help),
        Some(Value(v)) => v.string()?,
        Some(other) => bail!("expected a subcommand, found {}", other.unexpected()),
    };
    match sub.as_str() {
        "bench" => parse_bench(&mut p).map(Command::Bench),
        "help" => Ok(Command::Help),
        other => bail!("unknown subcommand {other:?} (expected `bench`)"),
    }
}

fn parse_bench(p: &mut lexopt::Parser) -> Result<BenchArgs> {
    use lexopt::prelude::*;
    let mut args = BenchArgs {
        profile: Profile::Full,
        packages: vec![],
        suites: vec![],
        filter: None,
    };
    let mut profile_set: Option<Profile> = None;
    while let Some(arg) = p.next()? {
        match arg {
            Long("quick") | Long("full") => {
                let chosen = if arg == Long("quick") {
                    Profile::Quick
                } else {
                    Profile::Full
                };
                if profile_set.is_some_and(|prev| prev != chosen) {
                    bail!("--quick and --full are mutually exclusive");
                }
                profile_set = Some(chosen);
            }
            Short('p') | Long("package") => args.packages.push(p.value()?.string()?),
            Long("bench") => args.suites.push(p.value()?.string()?),
            Long("filter") => {
                if args.filter.replace(p.value()?.string()?).is_some() {
                    bail!("--filter given twice");
                }
            }
            Short('h') | Long("help") => bail!("see usage"),
            other => bail!("{}", other.unexpected()),
        }
    }
    if let Some(profile) = profile_set {
        args.profile = profile;
    }
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(s: &str) -> Result<Command> {
        parse(s.split_whitespace().map(OsString::from))
    }

    #[test]
    fn parses_bench_options() {
        let Command::Bench(a) =
            parse_str("bench --quick -p ggen-core --bench x --filter a/b").unwrap()
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
        assert!(parse_str("bench --quick --full").is_err());
        assert!(parse_str("bench --nope").is_err());
        assert!(parse_str("bench -p").is_err());
        assert!(parse_str("frobnicate").is_err());
        assert_eq!(parse_str("").unwrap(), Command::Help);
    }
}
