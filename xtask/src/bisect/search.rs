//! The search of `cargo xtask bisect`, apart from how a commit is measured: check both ends,
//! then halve the range, each probed commit judged SAME (as the good end), DIFFERENT (as the bad
//! end) or UNKNOWN, and an UNKNOWN one measured again with twice the rounds, up to a limit
//! (Chromium Pinpoint's adaptive repeats).
//!
//! A commit is judged against the geometric midpoint `m = √(good·bad)` of the two ends: SAME if
//! its whole 95% interval is below `m`, DIFFERENT if above. Exact counts have a zero-width
//! interval, so they are never UNKNOWN; a wall-clock ratio is, until its interval clears `m`.

use std::time::Duration;

use anyhow::{Result, bail};

/// One measurement of one commit: a figure with its 95% interval (equal for exact counts).
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    pub point: f64,
    pub lower: f64,
    pub upper: f64,
    /// Paired rounds behind it (0 for counts).
    pub rounds: usize,
    pub took: Duration,
    /// Where its run is, for the culprit's function table.
    pub run: Option<std::path::PathBuf>,
}

/// How a commit compares with the ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Like the good end.
    Same,
    /// Like the bad end.
    Different,
    /// Its interval straddles the midpoint even with the most rounds; decided by the point
    /// estimate, and said so.
    Unknown,
}

impl Verdict {
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Same => "SAME",
            Verdict::Different => "DIFFERENT",
            Verdict::Unknown => "UNKNOWN",
        }
    }
}

/// Measures commits: `measure(index, rounds)` measures commit `index` of the range (0 is the good
/// end, the last the bad end). For wall time the figure is the commit's ratio to the good end (so
/// the good end itself is 1 and is not measured: `good()` says so).
pub trait Measurer {
    /// The good end's figure, when it is known without measuring (a ratio to itself: 1).
    fn good(&self) -> Option<f64>;
    fn measure(&mut self, index: usize, rounds: usize) -> Result<Measurement>;
}

/// A probed commit, as the verdict table shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    pub index: usize,
    pub m: Measurement,
    pub verdict: Verdict,
    /// Every attempt's rounds (more than one when it was UNKNOWN at first).
    pub attempts: Vec<usize>,
}

/// The search's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// Index of the first bad commit.
    pub first_bad: usize,
    pub good: f64,
    pub bad: f64,
    /// Every probe in the order taken, the ends first.
    pub probes: Vec<Probe>,
}

/// Settings of the search.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub rounds: usize,
    pub max_rounds: usize,
    /// Smallest relative slowdown between the ends that is bisected (below it: "no slowdown").
    pub min_change: f64,
}

/// Most probes a range of `commits` commits after the good end takes: both ends and a halving
/// per step.
pub fn max_probes(commits: usize) -> usize {
    (commits.max(1) as f64).log2().ceil() as usize + 2
}

fn judge(m: &Measurement, mid: f64) -> Verdict {
    if m.upper < mid {
        Verdict::Same
    } else if m.lower > mid {
        Verdict::Different
    } else {
        Verdict::Unknown
    }
}

/// Measures commit `index` until it is decided or has had `max_rounds`; `progress` is told of
/// each attempt.
fn probe(
    meas: &mut dyn Measurer,
    index: usize,
    mid: Option<f64>,
    s: &Settings,
    progress: &mut dyn FnMut(&Probe),
) -> Result<Probe> {
    let mut rounds = s.rounds;
    let mut attempts = Vec::new();
    loop {
        let m = meas.measure(index, rounds)?;
        attempts.push(m.rounds);
        let verdict = mid.map_or(Verdict::Unknown, |mid| judge(&m, mid));
        let p = Probe {
            index,
            m,
            verdict,
            attempts: attempts.clone(),
        };
        progress(&p);
        let exact = p.m.lower == p.m.upper;
        if verdict != Verdict::Unknown || mid.is_none() || exact || rounds >= s.max_rounds {
            return Ok(p);
        }
        rounds = (rounds * 2).min(s.max_rounds);
    }
}

/// Bisects commits `0..=last` (0 good, `last` bad).
pub fn bisect(
    meas: &mut dyn Measurer,
    last: usize,
    s: &Settings,
    progress: &mut dyn FnMut(&Probe),
) -> Result<Found> {
    if last == 0 {
        bail!("the good and the bad commit are the same commit");
    }
    let mut probes = Vec::new();
    let good = match meas.good() {
        Some(g) => g,
        None => {
            let p = probe(meas, 0, None, s, progress)?;
            let g = p.m.point;
            probes.push(Probe {
                verdict: Verdict::Same,
                ..p
            });
            g
        }
    };
    // The bad end: it must be slower than the good one by more than noise and `min_change`; a
    // wall-clock ratio that looks slower but whose interval reaches the good end gets more
    // rounds first.
    let slower = |m: &Measurement| m.lower > good && m.point > good * (1.0 + s.min_change);
    let mut rounds = s.rounds;
    let bad_probe = loop {
        let p = probe(meas, last, None, &Settings { rounds, ..*s }, progress)?;
        let undecided = !slower(&p.m) && p.m.point > good * (1.0 + s.min_change);
        if !undecided || p.m.lower == p.m.upper || rounds >= s.max_rounds {
            break p;
        }
        rounds = (rounds * 2).min(s.max_rounds);
    };
    let bad = bad_probe.m.point;
    if !slower(&bad_probe.m) {
        bail!(NoSlowdown {
            good,
            bad: bad_probe.m.clone(),
            min_change: s.min_change,
        });
    }
    probes.push(Probe {
        verdict: Verdict::Different,
        ..bad_probe
    });
    let mid = (good * bad).sqrt();
    let (mut lo, mut hi) = (0, last);
    while hi - lo > 1 {
        let at = lo + (hi - lo) / 2;
        let p = probe(meas, at, Some(mid), s, progress)?;
        let like_bad = match p.verdict {
            Verdict::Same => false,
            Verdict::Different => true,
            Verdict::Unknown => p.m.point > mid,
        };
        if like_bad {
            hi = at;
        } else {
            lo = at;
        }
        probes.push(p);
    }
    Ok(Found {
        first_bad: hi,
        good,
        bad,
        probes,
    })
}

/// The ends do not show a slowdown: exit 1, with the figures.
#[derive(Debug)]
pub struct NoSlowdown {
    pub good: f64,
    pub bad: Measurement,
    pub min_change: f64,
}

impl std::fmt::Display for NoSlowdown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "no slowdown to bisect: the good end measured {:.6}, the bad end {:.6} [{:.6}, {:.6}] \
             ({:+.2}%; needs its whole interval above the good end and at least {:+.2}%)",
            self.good,
            self.bad.point,
            self.bad.lower,
            self.bad.upper,
            (self.bad.point / self.good - 1.0) * 100.0,
            self.min_change * 100.0
        )
    }
}

impl std::error::Error for NoSlowdown {}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake history: commits from `culprit` on are `step` slower; each measurement has a
    /// half-width of `noise / √(rounds / 8)` around the true value (plus `bias` on the first
    /// attempt at a commit, to force an UNKNOWN).
    struct Fake {
        culprit: usize,
        step: f64,
        exact: bool,
        noise: f64,
        bias: f64,
        calls: Vec<(usize, usize)>,
    }

    impl Measurer for Fake {
        fn good(&self) -> Option<f64> {
            (!self.exact).then_some(1.0)
        }
        fn measure(&mut self, index: usize, rounds: usize) -> Result<Measurement> {
            let first = !self.calls.iter().any(|(i, _)| *i == index);
            self.calls.push((index, rounds));
            let truth = if index >= self.culprit {
                1.0 + self.step
            } else {
                1.0
            };
            let truth = if self.exact { truth * 1e6 } else { truth };
            let point = truth + if first { self.bias } else { 0.0 };
            let half = if self.exact {
                0.0
            } else {
                self.noise / (rounds as f64 / 8.0).sqrt()
            };
            Ok(Measurement {
                point,
                lower: point - half,
                upper: point + half,
                rounds: if self.exact { 0 } else { rounds },
                took: Duration::from_secs(1),
                run: None,
            })
        }
    }

    fn settings() -> Settings {
        Settings {
            rounds: 24,
            max_rounds: 96,
            min_change: 0.001,
        }
    }

    fn fake(culprit: usize, exact: bool) -> Fake {
        Fake {
            culprit,
            step: 0.03,
            exact,
            noise: 0.005,
            bias: 0.0,
            calls: Vec::new(),
        }
    }

    #[test]
    fn every_culprit_in_32_commits_is_found_within_the_probe_limit() {
        for exact in [true, false] {
            for culprit in 1..=32 {
                let mut f = fake(culprit, exact);
                let found = bisect(&mut f, 32, &settings(), &mut |_| {}).unwrap();
                assert_eq!(found.first_bad, culprit, "exact {exact}");
                assert!(
                    found.probes.len() <= max_probes(32),
                    "{} probes for culprit {culprit}",
                    found.probes.len()
                );
            }
        }
        assert_eq!(max_probes(32), 7);
    }

    #[test]
    fn an_undecided_probe_gets_more_rounds() {
        let mut f = fake(10, false);
        // Intervals of ±2.3% at 24 rounds and ±1.6% at 48 straddle the midpoint 1.5% away;
        // ±1.2% at 96 rounds clear it.
        f.noise = 0.04;
        let found = bisect(&mut f, 32, &settings(), &mut |_| {}).unwrap();
        assert_eq!(found.first_bad, 10);
        let grown: Vec<&Probe> = found
            .probes
            .iter()
            .filter(|p| p.attempts.len() > 1)
            .collect();
        assert!(!grown.is_empty(), "{:?}", found.probes);
        assert!(
            grown
                .iter()
                .all(|p| p.attempts.windows(2).all(|w| w[1] == 2 * w[0]))
        );
        assert!(found.probes.iter().all(|p| p.m.rounds <= 96));
    }

    #[test]
    fn a_probe_still_undecided_at_the_limit_is_unknown_and_decided_by_its_point() {
        let mut f = fake(10, false);
        // ±24% at the most rounds, around a midpoint 22% away from either end.
        f.noise = 0.6;
        let s = Settings {
            max_rounds: 48,
            ..settings()
        };
        f.step = 0.5;
        let found = bisect(&mut f, 32, &s, &mut |_| {}).unwrap();
        assert_eq!(found.first_bad, 10);
        assert!(found.probes.iter().any(|p| p.verdict == Verdict::Unknown));
    }

    #[test]
    fn ends_without_a_slowdown_are_an_error_with_the_figures() {
        let mut f = fake(40, true);
        let e = bisect(&mut f, 32, &settings(), &mut |_| {}).unwrap_err();
        let ns = e.downcast_ref::<NoSlowdown>().expect("NoSlowdown");
        assert_eq!(ns.good, 1e6);
        assert_eq!(ns.bad.point, 1e6);
        assert!(e.to_string().contains("+0.00%"), "{e}");
        // A faster bad end is no slowdown either.
        let mut f = fake(1, false);
        f.step = -0.05;
        assert!(bisect(&mut f, 32, &settings(), &mut |_| {}).is_err());
    }

    #[test]
    fn progress_hears_of_every_attempt() {
        let mut f = fake(5, true);
        let mut seen = 0;
        let found = bisect(&mut f, 16, &settings(), &mut |_| seen += 1).unwrap();
        assert_eq!(seen, found.probes.len());
        assert_eq!(f.calls.len(), found.probes.len());
    }
}
