//! Parsing of `cargo xtask history` and `cargo xtask bisect` (the run history's commands).

use std::path::PathBuf;

use anyhow::{Result, bail};

use super::{Command, Profile, parse_count, parse_threshold, set_profile};

/// Options of `cargo xtask history`.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryArgs {
    pub history: Option<PathBuf>,
    pub bench: Option<String>,
    pub settings: crate::changepoint::Settings,
    pub include_dirty: bool,
    pub out: Option<PathBuf>,
}

/// Options of `cargo xtask bisect`.
#[derive(Debug, Clone, PartialEq)]
pub struct BisectArgs {
    /// `suite/group/function/parameter`.
    pub bench: String,
    pub good: String,
    pub bad: String,
    pub instructions: bool,
    pub profile: Profile,
    /// Paired rounds per probe (wall time), and the most an undecided probe grows to.
    pub rounds: usize,
    pub max_rounds: usize,
}

pub(super) fn parse_history(p: &mut lexopt::Parser) -> Result<Command> {
    use lexopt::prelude::*;
    let mut a = HistoryArgs {
        history: None,
        bench: None,
        settings: crate::changepoint::Settings::default(),
        include_dirty: false,
        out: None,
    };
    let mut import: Option<Vec<PathBuf>> = None;
    while let Some(arg) = p.next()? {
        match arg {
            Short('h') | Long("help") => return Ok(Command::Help),
            Value(v) if import.is_none() && v == "import" => import = Some(Vec::new()),
            Value(v) => match import.as_mut() {
                Some(dirs) => dirs.push(v.into()),
                None => {
                    bail!("history: unexpected argument {v:?} (did you mean `history import DIR`?)")
                }
            },
            Long("history") => a.history = Some(p.value()?.into()),
            Long("bench") => {
                let v = p.value()?.string()?;
                regex::Regex::new(&v)
                    .map_err(|e| anyhow::anyhow!("--bench {v:?} is not a valid regex: {e}"))?;
                a.bench = Some(v);
            }
            Long("window") => {
                a.settings.window = parse_count(
                    "--window",
                    &p.value()?.string()?,
                    2 * crate::changepoint::MIN_SEGMENT,
                    10_000,
                )?
            }
            Long("max-p") => {
                let v = p.value()?.string()?;
                a.settings.max_p = match v.parse::<f64>() {
                    Ok(x) if x > 0.0 && x < 1.0 => x,
                    _ => bail!("--max-p {v:?}: expected a p-value between 0 and 1 (exclusive)"),
                };
            }
            Long("min-change") => {
                a.settings.min_change = parse_threshold("--min-change", &p.value()?.string()?)?
            }
            Long("include-dirty") => a.include_dirty = true,
            Long("out") => a.out = Some(p.value()?.into()),
            other => bail!("{}", other.unexpected()),
        }
    }
    match import {
        Some(dirs) => {
            if dirs.is_empty() {
                bail!("history import: give the run folders (or folders of runs) to import");
            }
            if a.bench.is_some()
                || a.out.is_some()
                || a.include_dirty
                || a.settings != Default::default()
            {
                bail!("history import takes only folders and --history");
            }
            Ok(Command::HistoryImport {
                dirs,
                history: a.history,
            })
        }
        None => Ok(Command::History(a)),
    }
}

/// Default paired rounds per bisect probe: fewer than `--against`'s 48, since an undecided
/// probe gets more.
const BISECT_ROUNDS: usize = 24;

pub(super) fn parse_bisect(p: &mut lexopt::Parser) -> Result<Command> {
    use lexopt::prelude::*;
    let (mut bench, mut good, mut bad) = (None, None, None);
    let mut instructions = false;
    let mut profile = None;
    let (mut rounds, mut max_rounds) = (None, None);
    while let Some(arg) = p.next()? {
        match arg {
            Short('h') | Long("help") => return Ok(Command::Help),
            Value(v) if bench.is_none() => bench = Some(v.string()?),
            Long("good") => good = Some(p.value()?.string()?),
            Long("bad") => bad = Some(p.value()?.string()?),
            Long("instructions") => instructions = true,
            Long("quick") => set_profile(&mut profile, Profile::Quick)?,
            Long("full") => set_profile(&mut profile, Profile::Full)?,
            Long("rounds") => {
                rounds = Some(parse_count("--rounds", &p.value()?.string()?, 6, 1000)?)
            }
            Long("max-rounds") => {
                max_rounds = Some(parse_count("--max-rounds", &p.value()?.string()?, 6, 4000)?)
            }
            other => bail!("{}", other.unexpected()),
        }
    }
    let Some(bench) = bench else {
        bail!("bisect: give the bench (suite/group/function/parameter)");
    };
    if bench.split('/').count() != 4 || bench.split('/').any(str::is_empty) {
        bail!("bisect: {bench:?} is not a bench id (suite/group/function/parameter)");
    }
    let (Some(good), Some(bad)) = (good, bad) else {
        bail!("bisect needs --good REV and --bad REV");
    };
    if instructions && (rounds.is_some() || max_rounds.is_some()) {
        bail!("bisect --instructions counts exactly: --rounds and --max-rounds do not apply");
    }
    let profile = profile.unwrap_or(Profile::Quick);
    let rounds = rounds.unwrap_or(match profile {
        Profile::Quick => BISECT_ROUNDS,
        Profile::Full => BISECT_ROUNDS * 4 / 3,
    });
    let max_rounds = max_rounds.unwrap_or(rounds * 4);
    if max_rounds < rounds {
        bail!("--max-rounds {max_rounds} is fewer than --rounds {rounds}");
    }
    Ok(Command::Bisect(BisectArgs {
        bench,
        good,
        bad,
        instructions,
        profile,
        rounds,
        max_rounds,
    }))
}
