//! The harness's serve mode (`GGEN_HARNESS=serve`, protocol in `bench_format::harness`): the
//! xtask's paired engine drives one bench at a time over stdin and stdout, so two processes (two
//! revisions of a suite, or the two sides of a claim) are measured sample by sample, in turn.

use std::io::{BufRead, Write};

use bench_format::serve::{Reply, Request};

use super::{Def, Routine, Suite};

/// Answers one request per line until stdin closes; benches left set up are finished at the end.
/// Several benches may be set up at once (the two sides of a claim), and one bench several times
/// (each set-up is a new draw of where its data lands in memory; the earlier ones stay alive
/// until `finish`, so a new one cannot reuse their memory): `run N` runs the one set up last,
/// `run N ID` the one of that id set up last.
pub(super) fn serve(suite: Suite) {
    serve_with(suite, std::io::stdin().lock(), std::io::stdout().lock());
}

/// [`serve`] over any input and output.
fn serve_with(suite: Suite, input: impl BufRead, mut out: impl Write) {
    let defs: Vec<Def> = suite.defs;
    let name = suite.name;
    let mut current: Vec<(String, Routine)> = Vec::new();
    let finish_all = |current: &mut Vec<(String, Routine)>| {
        for (id, r) in current.drain(..) {
            r.done(&format!("{name}/{id}"));
        }
    };
    for line in input.lines() {
        let Ok(line) = line else { break };
        let reply = match Request::parse(&line) {
            Ok(Request::Setup(id)) => match defs.iter().find(|d| d.id() == id) {
                Some(def) => {
                    current.push((id, (def.setup)()));
                    Reply::Ready(def.throughput)
                }
                None => Reply::Error(format!("{id:?} is not a bench of {}", suite.name)),
            },
            Ok(Request::Run { iterations, id }) => {
                let routine = match &id {
                    Some(id) => current.iter_mut().rev().find(|(i, _)| i == id),
                    None => current.last_mut(),
                };
                match routine {
                    Some((_, r)) => {
                        let s = r.sample(iterations);
                        Reply::Ran {
                            nanos: s.elapsed.as_nanos(),
                            proven: s.proven,
                        }
                    }
                    None => Reply::Error(format!(
                        "run {iterations}{}: no such bench set up",
                        id.map_or(String::new(), |id| format!(" {id}"))
                    )),
                }
            }
            Ok(Request::Finish) => {
                finish_all(&mut current);
                Reply::Done
            }
            Err(e) => Reply::Error(e.0),
        };
        if writeln!(out, "{reply}").and_then(|()| out.flush()).is_err() {
            break;
        }
    }
    finish_all(&mut current);
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::rc::Rc;

    use super::*;

    #[test]
    fn a_bench_set_up_twice_keeps_both_set_ups_until_finish() {
        let set_ups = Rc::new(Cell::new(0u32));
        let finished = Rc::new(Cell::new(0u32));
        let mut suite = Suite::new("t");
        let (s, f) = (Rc::clone(&set_ups), Rc::clone(&finished));
        suite
            .bench("g", "f", 1, move || {
                s.set(s.get() + 1);
                let f = Rc::clone(&f);
                Routine::iter(|| 1).finish(move || f.set(f.get() + 1))
            })
            .throughput(7)
            .counted(1);
        let input = "setup g/f/1\nsetup g/f/1\nrun 3 g/f/1\nrun 0\nsetup nope\nfinish\n";
        let mut out = Vec::new();
        serve_with(suite, input.as_bytes(), &mut out);
        let out = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 6, "{out}");
        assert_eq!(&lines[..2], ["ready 7", "ready 7"]);
        assert!(lines[2].parse::<u64>().is_ok(), "{out}");
        assert!(lines[3].starts_with("error run"), "{out}");
        assert_eq!(lines[4], "error \"nope\" is not a bench of t");
        assert_eq!(lines[5], "done");
        assert_eq!((set_ups.get(), finished.get()), (2, 2));
    }
}
