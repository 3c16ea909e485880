//! Reading a callgrind output file: the `events:` line and the `summary:`/`totals:` line, into
//! [`Events`]; and estimated cycles from them.
//!
//! Callgrind writes counters in the order its `events:` line names them and leaves trailing
//! zero counters out (`summary: 700153 200045 140031 1` when every later miss count is 0), so a
//! short line is padded with zeros; a missing line, an unknown layout, more values than events
//! or a value that is not a whole number is an error naming the file.

use std::path::Path;

use anyhow::{Context, Result, bail};

/// The events counted with `--cache-sim=yes`, whole-run totals of the counted region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Events {
    /// Instructions executed (Ir).
    pub ir: u64,
    /// Data reads and writes.
    pub dr: u64,
    /// Data writes.
    pub dw: u64,
    /// First-level misses: instruction fetch, data read, data write.
    pub i1mr: u64,
    /// First-level data read misses.
    pub d1mr: u64,
    /// First-level data write misses.
    pub d1mw: u64,
    /// Last-level misses (to RAM).
    pub ilmr: u64,
    /// Last-level data read misses.
    pub dlmr: u64,
    /// Last-level data write misses.
    pub dlmw: u64,
}

/// The events callgrind must report (with `--cache-sim=yes`), in the order it writes them.
const EVENTS: [&str; 9] = [
    "Ir", "Dr", "Dw", "I1mr", "D1mr", "D1mw", "ILmr", "DLmr", "DLmw",
];

impl Events {
    /// L1 hits, last-level hits and RAM accesses, as gungraun and cachegrind's tools count them.
    pub fn hits(&self) -> (u64, u64, u64) {
        let accesses = self.ir + self.dr + self.dw;
        let l1_misses = self.i1mr + self.d1mr + self.d1mw;
        let ram = self.ilmr + self.dlmr + self.dlmw;
        (
            accesses.saturating_sub(l1_misses),
            l1_misses.saturating_sub(ram),
            ram,
        )
    }

    /// Estimated cycles: L1 hits + 5 × last-level hits + 35 × RAM accesses (gungraun's and
    /// iai's model: a weighting of the simulated cache, not a measurement of time).
    pub fn estimated_cycles(&self) -> u64 {
        let (l1, ll, ram) = self.hits();
        l1 + 5 * ll + 35 * ram
    }
}

/// Parses the text of a callgrind output file (`what` names it in errors).
pub fn parse(text: &str, what: &str) -> Result<Events> {
    let events_line = text
        .lines()
        .find_map(|l| l.strip_prefix("events:"))
        .with_context(|| format!("{what}: no `events:` line (not a callgrind output file?)"))?;
    let names: Vec<&str> = events_line.split_whitespace().collect();
    if names != EVENTS {
        bail!(
            "{what}: events are {names:?}, expected {EVENTS:?} (callgrind run without --cache-sim=yes?)"
        );
    }
    let totals = text
        .lines()
        .find_map(|l| l.strip_prefix("summary:"))
        .or_else(|| text.lines().find_map(|l| l.strip_prefix("totals:")))
        .with_context(|| {
            format!(
                "{what}: no `summary:` or `totals:` line (truncated: callgrind did not finish?)"
            )
        })?;
    let values: Vec<u64> = totals
        .split_whitespace()
        .map(|v| {
            v.parse::<u64>()
                .with_context(|| format!("{what}: summary value {v:?} is not a whole number"))
        })
        .collect::<Result<_>>()?;
    if values.is_empty() || values.len() > EVENTS.len() {
        bail!(
            "{what}: summary has {} values for {} events",
            values.len(),
            EVENTS.len()
        );
    }
    let mut v = [0u64; 9];
    v[..values.len()].copy_from_slice(&values);
    Ok(Events {
        ir: v[0],
        dr: v[1],
        dw: v[2],
        i1mr: v[3],
        d1mr: v[4],
        d1mw: v[5],
        ilmr: v[6],
        dlmr: v[7],
        dlmw: v[8],
    })
}

/// Reads and parses one callgrind output file.
pub fn read(path: &Path) -> Result<Events> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading callgrind output {}", path.display()))?;
    parse(&text, &path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "# callgrind format\nversion: 1\ncreator: callgrind-3.19.0\n\
        cmd:  /t/release/deps/swarm_primitives-1\npart: 1\n\
        desc: Trigger: Program termination\n\
        positions: line\nevents: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw\n\
        summary: 2810421 511189 340319 3 317 31 1\n\nfl= (1)\nfn= (1)\n0 5\n\
        totals: 2810421 511189 340319 3 317 31 1\n";

    #[test]
    fn parses_a_summary_with_trailing_zeros_left_out() {
        let e = parse(GOOD, "good").unwrap();
        assert_eq!(e.ir, 2_810_421);
        assert_eq!((e.dr, e.dw), (511_189, 340_319));
        assert_eq!((e.i1mr, e.d1mr, e.d1mw, e.ilmr), (3, 317, 31, 1));
        assert_eq!((e.dlmr, e.dlmw), (0, 0));
        // accesses 3 661 929; L1 misses 351; RAM 1.
        assert_eq!(e.hits(), (3_661_578, 350, 1));
        assert_eq!(e.estimated_cycles(), 3_661_578 + 5 * 350 + 35);
    }

    #[test]
    fn a_file_cut_before_its_summary_is_an_error_naming_it() {
        let cut = &GOOD[..GOOD.find("summary:").unwrap()];
        let e = parse(cut, "x.out").unwrap_err().to_string();
        assert!(e.contains("x.out") && e.contains("truncated"), "{e}");
        let e = parse("summary: 1 2 3\n", "y.out").unwrap_err().to_string();
        assert!(e.contains("y.out") && e.contains("events:"), "{e}");
        let bad = GOOD.replace("summary: 2810421", "summary: 28x");
        assert!(parse(&bad, "z").unwrap_err().to_string().contains("28x"));
        let long = GOOD.replace("340319 3 317 31 1", "340319 3 317 31 1 0 0 0");
        assert!(parse(&long, "z").is_err());
        let no_cache = GOOD.replace(
            "events: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw",
            "events: Ir",
        );
        assert!(
            parse(&no_cache, "z")
                .unwrap_err()
                .to_string()
                .contains("--cache-sim")
        );
    }

    #[test]
    fn a_missing_file_is_an_error_naming_it() {
        let e = read(Path::new("/nonexistent/ggen.out")).unwrap_err();
        assert!(format!("{e:#}").contains("/nonexistent/ggen.out"), "{e:#}");
    }
}
