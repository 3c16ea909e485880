//! The harness's serve mode (`GGEN_HARNESS=serve`, protocol in `bench_format::harness`): the
//! xtask's paired engine drives one bench at a time over stdin and stdout, so two processes (two
//! revisions of a suite, or the two sides of a claim) are measured sample by sample, in turn.

use std::io::{BufRead as _, Write as _};

use super::{Def, Routine, Suite};

/// Answers one request per line until stdin closes; benches left set up are finished at the end.
/// Several benches may be set up at once (the two sides of a claim), and one bench several times
/// (each set-up is a new draw of where its data lands in memory; the earlier ones stay alive
/// until `finish`, so a new one cannot reuse their memory): `run N` runs the one set up last,
/// `run N ID` the one of that id set up last.
pub(super) fn serve(suite: Suite) {
    let defs: Vec<Def> = suite.defs;
    let mut current: Vec<(String, Routine)> = Vec::new();
    let finish_all = |current: &mut Vec<(String, Routine)>| {
        for (_, r) in current.drain(..) {
            r.done();
        }
    };
    let mut out = std::io::stdout().lock();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let (command, arg) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        let reply = match command {
            "setup" => match defs.iter().find(|d| d.id() == arg) {
                Some(def) => {
                    let elements = def.throughput.map_or("-".to_owned(), |t| t.to_string());
                    current.push((arg.to_owned(), (def.setup)()));
                    format!("ready {elements}")
                }
                None => format!("error {arg:?} is not a bench of {}", suite.name),
            },
            "run" => {
                let (n, id) = arg
                    .split_once(' ')
                    .map_or((arg, None), |(n, id)| (n, Some(id)));
                let routine = match id {
                    Some(id) => current.iter_mut().rev().find(|(i, _)| i == id),
                    None => current.last_mut(),
                };
                match (routine, n.parse::<u64>()) {
                    (Some((_, r)), Ok(n)) if n > 0 => r.run(n).as_nanos().to_string(),
                    (None, _) => format!("error run {arg:?}: no such bench set up"),
                    _ => format!("error run {arg:?}: expected a positive iteration count"),
                }
            }
            "finish" => {
                finish_all(&mut current);
                "done".to_owned()
            }
            _ => format!("error unknown request {line:?}"),
        };
        if writeln!(out, "{reply}").and_then(|()| out.flush()).is_err() {
            break;
        }
    }
    finish_all(&mut current);
}
