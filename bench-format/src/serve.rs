//! The serve protocol's lines, typed (`GGEN_HARNESS=serve`, described at
//! [`MODE_SERVE`](crate::harness::MODE_SERVE)): the bench binary parses [`Request`]s and prints
//! [`Reply`]s; the xtask's paired engine prints requests and parses replies. One home for both
//! sides' spelling of the protocol.

use std::fmt;

/// A request, one per line on the bench binary's stdin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// `setup <id>`: set bench `id` (`group/function/parameter`) up once more.
    Setup(String),
    /// `run <iterations> [<id>]`: time that many iterations of the bench set up last (or of
    /// `id`'s latest set-up).
    #[allow(missing_docs)]
    Run { iterations: u64, id: Option<String> },
    /// `finish`: run every set-up's after-run checks and drop them.
    Finish,
}

/// Why a request line could not be read (the bench binary answers it with [`Reply::Error`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRequest(pub String);

impl fmt::Display for BadRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadRequest {}

impl Request {
    /// Reads one request line.
    pub fn parse(line: &str) -> Result<Self, BadRequest> {
        let (verb, arg) = line.split_once(' ').unwrap_or((line, ""));
        match verb {
            "setup" if !arg.is_empty() => Ok(Request::Setup(arg.to_owned())),
            "run" => {
                let (n, id) = arg
                    .split_once(' ')
                    .map_or((arg, None), |(n, id)| (n, Some(id.to_owned())));
                match n.parse::<u64>() {
                    Ok(iterations) if iterations > 0 => Ok(Request::Run { iterations, id }),
                    _ => Err(BadRequest(format!(
                        "run {arg:?}: expected a positive iteration count"
                    ))),
                }
            }
            "finish" if arg.is_empty() => Ok(Request::Finish),
            _ => Err(BadRequest(format!("unknown request {line:?}"))),
        }
    }
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Request::Setup(id) => write!(f, "setup {id}"),
            Request::Run {
                iterations,
                id: None,
            } => write!(f, "run {iterations}"),
            Request::Run {
                iterations,
                id: Some(id),
            } => write!(f, "run {iterations} {id}"),
            Request::Finish => f.write_str("finish"),
        }
    }
}

/// A reply, one line on the bench binary's stdout per request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// `ready <elements per iteration or ->`: the answer to `setup`.
    Ready(Option<u64>),
    /// `<nanoseconds>[ unproven]`: the answer to `run`; `unproven` marks a contended sample
    /// whose contenders were not seen running throughout, even after its retakes.
    #[allow(missing_docs)]
    Ran { nanos: u128, proven: bool },
    /// `done`: the answer to `finish`.
    Done,
    /// `error <why>`: a request that could not be served.
    Error(String),
}

impl Reply {
    /// Reads one reply line; `None` for a line that is no reply.
    pub fn parse(line: &str) -> Option<Self> {
        if let Some(why) = line.strip_prefix("error ") {
            return Some(Reply::Error(why.to_owned()));
        }
        if let Some(elements) = line.strip_prefix("ready ") {
            return match elements {
                "-" => Some(Reply::Ready(None)),
                n => n.parse().ok().map(|n| Reply::Ready(Some(n))),
            };
        }
        if line == "done" {
            return Some(Reply::Done);
        }
        let (nanos, proven) = match line.strip_suffix(" unproven") {
            Some(n) => (n, false),
            None => (line, true),
        };
        nanos.parse().ok().map(|nanos| Reply::Ran { nanos, proven })
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reply::Ready(None) => f.write_str("ready -"),
            Reply::Ready(Some(n)) => write!(f, "ready {n}"),
            Reply::Ran {
                nanos,
                proven: true,
            } => write!(f, "{nanos}"),
            Reply::Ran {
                nanos,
                proven: false,
            } => write!(f, "{nanos} unproven"),
            Reply::Done => f.write_str("done"),
            Reply::Error(why) => write!(f, "error {why}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_and_bad_ones_say_why() {
        for r in [
            Request::Setup("g/f/1".into()),
            Request::Run {
                iterations: 3,
                id: None,
            },
            Request::Run {
                iterations: 3,
                id: Some("g/f/1".into()),
            },
            Request::Finish,
        ] {
            assert_eq!(Request::parse(&r.to_string()), Ok(r));
        }
        for (bad, says) in [
            ("run 0", "expected a positive iteration count"),
            ("run x g/f/1", "expected a positive iteration count"),
            ("setup", "unknown request"),
            ("stop", "unknown request"),
            ("finish now", "unknown request"),
        ] {
            let e = Request::parse(bad).unwrap_err();
            assert!(e.0.contains(says), "{bad:?}: {e}");
        }
    }

    #[test]
    fn replies_round_trip_and_other_output_is_none() {
        for r in [
            Reply::Ready(None),
            Reply::Ready(Some(7)),
            Reply::Ran {
                nanos: 1234,
                proven: true,
            },
            Reply::Ran {
                nanos: 99,
                proven: false,
            },
            Reply::Done,
            Reply::Error("\"x\" is not a bench of s".into()),
        ] {
            assert_eq!(Reply::parse(&r.to_string()), Some(r));
        }
        for other in ["", "ready", "ready many", "12 ns", "-5"] {
            assert_eq!(Reply::parse(other), None, "{other:?}");
        }
    }
}
