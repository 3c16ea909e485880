//! Which functions a change in instruction counts came from: per-function costs read from two
//! callgrind outputs of one bench (the baseline's and this run's), per iteration, and the
//! functions whose cost changed most.
//!
//! A callgrind output lists, per function (`fn=`), cost lines (`<position> <Ir> <Dr> …`) of its
//! own instructions, and per call it makes (`cfn=`, `calls=`) one line with the callee's whole
//! cost for those calls. So a function's *self* cost is the sum of its own lines and its
//! *inclusive* cost adds its calls (direct recursion is not added twice; a cycle through other
//! functions is). Names arrive demangled by valgrind; `--compress-strings=no` is what the xtask
//! passes, and compressed names (`(3) name`, then `(3)`) are read too.
//!
//! What the table can and cannot tell: an inlined function's instructions belong to its caller
//! (callgrind sees machine code, and the bench profile keeps only line tables), so a change inside
//! an inlined function shows up as a change of the function it was inlined into; its line numbers
//! (`fi=` lines) still point into the inlined source. Instruction counts say nothing of cache or
//! branch behaviour: the same counts with a slower wall time is a layout or memory effect.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

/// One function's cost over the whole counted region.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Function {
    /// Source file of its first `fl=` and the smallest line of its own cost lines in that file.
    pub file: String,
    /// That smallest line, when the function has cost lines in its file.
    pub line: Option<u64>,
    /// Instructions executed in the function itself.
    pub self_ir: u64,
    /// Instructions executed in it and in everything it calls.
    pub inclusive_ir: u64,
    /// The functions it calls, with the whole cost of those calls.
    pub calls: BTreeMap<String, u64>,
}

/// Reads the per-function costs of a callgrind output file.
pub fn read(path: &Path) -> Result<BTreeMap<String, Function>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading callgrind output {}", path.display()))?;
    parse(&text, &path.display().to_string())
}

/// Resolves a possibly compressed name (`(id) name` defines, `(id)` refers).
fn name(table: &mut BTreeMap<String, String>, v: &str) -> String {
    let v = v.trim();
    if let Some(rest) = v.strip_prefix('(')
        && let Some((id, tail)) = rest.split_once(')')
    {
        let tail = tail.trim();
        if tail.is_empty() {
            return table.get(id).cloned().unwrap_or_default();
        }
        table.insert(id.to_owned(), tail.to_owned());
        return tail.to_owned();
    }
    v.to_owned()
}

/// Parses the text of a callgrind output file (`what` names it in errors). Long (~90 lines) on
/// purpose: one loop over the lines with the parser's state (current file, function, call
/// target) in a few variables reads as callgrind's format does; split, the state would have to
/// travel between the pieces.
pub fn parse(text: &str, what: &str) -> Result<BTreeMap<String, Function>> {
    let mut positions = 1usize;
    let mut line_at = Some(0usize);
    let mut ir_at = None;
    let (mut files, mut fns) = (BTreeMap::new(), BTreeMap::new());
    let mut out: BTreeMap<String, Function> = BTreeMap::new();
    let (mut fn_file, mut file) = (String::new(), String::new());
    let mut current: Option<String> = None;
    let mut callee = String::new();
    let mut in_call = false;
    let mut last = Vec::<u64>::new();
    for (n, raw) in text.lines().enumerate() {
        let l = raw.trim_end();
        if let Some(p) = l.strip_prefix("positions:") {
            let p: Vec<&str> = p.split_whitespace().collect();
            positions = p.len();
            line_at = p.iter().position(|x| *x == "line");
        } else if let Some(e) = l.strip_prefix("events:") {
            ir_at = e.split_whitespace().position(|x| x == "Ir");
        } else if let Some(v) = l.strip_prefix("fl=") {
            fn_file = name(&mut files, v);
            file.clone_from(&fn_file);
        } else if let Some(v) = l.strip_prefix("fi=").or_else(|| l.strip_prefix("fe=")) {
            file = name(&mut files, v);
        } else if let Some(v) = l.strip_prefix("cfi=").or_else(|| l.strip_prefix("cfl=")) {
            name(&mut files, v);
        } else if let Some(v) = l.strip_prefix("fn=") {
            let f = name(&mut fns, v);
            file.clone_from(&fn_file);
            out.entry(f.clone()).or_insert_with(|| Function {
                file: fn_file.clone(),
                ..Function::default()
            });
            current = Some(f);
        } else if let Some(v) = l.strip_prefix("cfn=") {
            callee = name(&mut fns, v);
        } else if l.starts_with("calls=") {
            in_call = true;
        } else if l.starts_with(|c: char| c.is_ascii_digit() || c == '+' || c == '-' || c == '*') {
            let Some(ir_at) = ir_at else {
                bail!("{what}: a cost line before the `events:` line, or no Ir event");
            };
            let fields: Vec<&str> = l.split_whitespace().collect();
            last.resize(positions, 0);
            for (i, p) in fields.iter().take(positions).enumerate() {
                last[i] = match p.as_bytes().first() {
                    Some(b'*') => last[i],
                    Some(b'+') => last[i] + p[1..].parse::<u64>().unwrap_or(0),
                    Some(b'-') => last[i].saturating_sub(p[1..].parse::<u64>().unwrap_or(0)),
                    _ => p.parse().with_context(|| {
                        format!("{what}:{}: position {p:?} is not a number", n + 1)
                    })?,
                };
            }
            let ir: u64 = match fields.get(positions + ir_at) {
                Some(v) => v
                    .parse()
                    .with_context(|| format!("{what}:{}: cost {v:?} is not a number", n + 1))?,
                None => 0,
            };
            let Some(f) = current.as_ref() else {
                bail!("{what}:{}: a cost line before any `fn=` line", n + 1);
            };
            let entry = out.get_mut(f).expect("inserted at fn=");
            if std::mem::take(&mut in_call) {
                if callee != *f {
                    entry.inclusive_ir += ir;
                    *entry.calls.entry(callee.clone()).or_default() += ir;
                }
            } else {
                entry.self_ir += ir;
                entry.inclusive_ir += ir;
                // Line 0 is callgrind's "no line information".
                if file == entry.file
                    && let Some(at) = line_at
                    && last[at] > 0
                {
                    let line = last[at];
                    entry.line = Some(entry.line.map_or(line, |x| x.min(line)));
                }
            }
        }
    }
    if ir_at.is_none() {
        bail!("{what}: no `events:` line naming Ir (not a callgrind output?)");
    }
    Ok(out)
}

/// Folded stacks (`root;caller;callee count`, one line per stack, counts per iteration) for a
/// flame graph. Callgrind keeps caller → callee edges, not whole stacks, so the stacks are
/// rebuilt from the functions nobody calls: a function's self cost and its calls are split
/// among the paths that reach it in proportion to the cost each path brings (the usual
/// approximation for call-graph profiles); a path stops at a function already on it, and at
/// depth 48.
pub fn folded(m: &BTreeMap<String, Function>, iterations: u64) -> String {
    fn walk(
        m: &BTreeMap<String, Function>,
        name: &str,
        budget: f64,
        path: &mut Vec<String>,
        out: &mut BTreeMap<String, f64>,
    ) {
        let Some(f) = m.get(name) else { return };
        if f.inclusive_ir == 0 || path.len() >= 48 || path.iter().any(|p| p == name) {
            return;
        }
        let scale = budget / f.inclusive_ir as f64;
        path.push(name.to_owned());
        *out.entry(path.join(";")).or_default() += f.self_ir as f64 * scale;
        for (callee, cost) in &f.calls {
            walk(m, callee, *cost as f64 * scale, path, out);
        }
        path.pop();
    }
    let called: std::collections::BTreeSet<&String> = m
        .iter()
        .flat_map(|(caller, f)| f.calls.keys().filter(move |c| *c != caller))
        .collect();
    let mut stacks = BTreeMap::new();
    for (name, f) in m.iter().filter(|(n, _)| !called.contains(n)) {
        walk(m, name, f.inclusive_ir as f64, &mut Vec::new(), &mut stacks);
    }
    let per = iterations.max(1) as f64;
    stacks
        .into_iter()
        .filter_map(|(stack, ir)| {
            let n = (ir / per).round() as u64;
            (n > 0).then(|| format!("{stack} {n}\n"))
        })
        .collect()
}

/// One function's cost per iteration in the baseline and in this run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionDelta {
    /// The function's name, as callgrind reports it.
    pub function: String,
    /// `file:line` of the function (this run's, else the baseline's).
    pub at: String,
    /// Per iteration; `None` on the side where the function did not run (new / gone).
    pub base_self: Option<f64>,
    /// This run's self cost per iteration.
    pub new_self: Option<f64>,
    /// The baseline's inclusive cost per iteration.
    pub base_inclusive: Option<f64>,
    /// This run's inclusive cost per iteration.
    pub new_inclusive: Option<f64>,
    /// This function's change of self cost over the bench's whole change of instructions.
    pub share: f64,
}

impl FunctionDelta {
    /// Change of self cost per iteration.
    pub fn self_change(&self) -> f64 {
        self.new_self.unwrap_or(0.0) - self.base_self.unwrap_or(0.0)
    }
}

/// How many functions a table shows.
pub const TOP: usize = 10;

/// The functions whose self cost per iteration changed most between two outputs of one bench
/// (`base` over `base_iterations`, `new` over `new_iterations`), largest change first; at most
/// [`TOP`], and none whose cost did not change.
pub fn deltas(
    base: &BTreeMap<String, Function>,
    base_iterations: u64,
    new: &BTreeMap<String, Function>,
    new_iterations: u64,
) -> Vec<FunctionDelta> {
    let (bi, ni) = (base_iterations.max(1) as f64, new_iterations.max(1) as f64);
    let total = |m: &BTreeMap<String, Function>| m.values().map(|f| f.self_ir).sum::<u64>() as f64;
    let bench_change = total(new) / ni - total(base) / bi;
    let names: std::collections::BTreeSet<&String> = base.keys().chain(new.keys()).collect();
    let at = |f: &Function| match f.line {
        Some(l) => format!("{}:{l}", f.file),
        None => f.file.clone(),
    };
    let mut rows: Vec<FunctionDelta> = names
        .into_iter()
        .map(|n| {
            let (b, w) = (base.get(n), new.get(n));
            let (base_self, new_self) = (
                b.map(|f| f.self_ir as f64 / bi),
                w.map(|f| f.self_ir as f64 / ni),
            );
            let change = new_self.unwrap_or(0.0) - base_self.unwrap_or(0.0);
            FunctionDelta {
                function: n.clone(),
                at: w.or(b).map(at).unwrap_or_default(),
                base_self,
                new_self,
                base_inclusive: b.map(|f| f.inclusive_ir as f64 / bi),
                new_inclusive: w.map(|f| f.inclusive_ir as f64 / ni),
                share: if bench_change == 0.0 {
                    0.0
                } else {
                    change / bench_change
                },
            }
        })
        .filter(|d| d.self_change().abs() > 1e-9 || d.base_self.is_none() || d.new_self.is_none())
        .collect();
    rows.sort_by(|a, b| {
        b.self_change()
            .abs()
            .total_cmp(&a.self_change().abs())
            .then_with(|| a.function.cmp(&b.function))
    });
    rows.truncate(TOP);
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUT: &str = "# callgrind format\nversion: 1\npositions: line\nevents: Ir Dr\nsummary: 1000 10\n\n\
        ob=/bin/x\nfl=src/a.rs\nfn=a::outer\n10 100 1\n+2 50\ncfi=src/b.rs\ncfn=b::inner\ncalls=3 5\n* 600 2\n\
        fi=src/inl.rs\n40 7\nfe=src/a.rs\n-4 3\ncfn=a::outer\ncalls=1 10\n12 999\n\
        fl=src/b.rs\nfn=b::inner\n5 600\n\
        fn=(7) c::compressed\n0 20\nfn=(7)\n2 5\n";

    #[test]
    fn self_and_inclusive_costs_and_first_lines() {
        let m = parse(OUT, "t.out").unwrap();
        let outer = &m["a::outer"];
        // Own lines 100 + 50 + 7 (inlined from inl.rs) + 3; the call to inner adds 600; the
        // recursive call to itself is not added again.
        assert_eq!((outer.self_ir, outer.inclusive_ir), (160, 760));
        // Its own lines in a.rs: 10, +2 → 12, and -4 from the inlined 40 → 36 (positions are
        // relative to the previous line whatever its file); inl.rs's 40 is not its own.
        assert_eq!((outer.file.as_str(), outer.line), ("src/a.rs", Some(10)));
        assert_eq!(
            (m["b::inner"].self_ir, m["b::inner"].inclusive_ir),
            (600, 600)
        );
        assert_eq!(
            m["c::compressed"].self_ir, 25,
            "a compressed name is one function"
        );
        assert_eq!(m["c::compressed"].line, Some(2), "line 0 is no line");
        assert_eq!(outer.calls.get("b::inner"), Some(&600));
        assert!(!outer.calls.contains_key("a::outer"), "no self edge");
        // Stacks from the roots (outer and compressed; inner is called): outer's own 160, its
        // call into inner 600, per iteration of 2.
        assert_eq!(
            folded(&m, 2),
            "a::outer 80\na::outer;b::inner 300\nc::compressed 13\n"
        );
    }

    #[test]
    fn names_with_generics_closures_and_spaces_are_kept_whole() {
        let out = "events: Ir\nfl=src/g.rs\n\
            fn=<alloc::vec::Vec<T,A> as core::clone::Clone>::clone\n3 10\n\
            fn=ggen_ai::pipeline::run::Run::report::{{closure}}\n4 20\n\
            fn=(9) <(u8, &str) as core::hash::Hash>::hash\n5 30\nfn=(9)\n6 1\n";
        let m = parse(out, "g.out").unwrap();
        assert_eq!(
            m["<alloc::vec::Vec<T,A> as core::clone::Clone>::clone"].self_ir,
            10
        );
        assert_eq!(
            m["ggen_ai::pipeline::run::Run::report::{{closure}}"].self_ir,
            20
        );
        assert_eq!(m["<(u8, &str) as core::hash::Hash>::hash"].self_ir, 31);
        assert_eq!(m.len(), 3, "{m:?}");
    }

    #[test]
    fn bad_outputs_are_errors_naming_the_file() {
        let e = parse("fn=x\n1 2\n", "u.out").unwrap_err().to_string();
        assert!(e.contains("u.out") && e.contains("events:"), "{e}");
        let e = parse("events: Ir\n1 2\n", "v.out").unwrap_err().to_string();
        assert!(
            e.contains("v.out:2") && e.contains("before any `fn=`"),
            "{e}"
        );
        let e = parse("events: Ir\nfn=x\n1 zz\n", "w.out")
            .unwrap_err()
            .to_string();
        assert!(e.contains("w.out:3") && e.contains("\"zz\""), "{e}");
    }

    #[test]
    fn deltas_name_the_changed_functions_first_per_iteration() {
        let f = |s: u64, i: u64| Function {
            file: "f.rs".into(),
            line: Some(1),
            self_ir: s,
            inclusive_ir: i,
            calls: BTreeMap::new(),
        };
        let base: BTreeMap<String, Function> = [
            ("same".to_owned(), f(1000, 1000)),
            ("slower".to_owned(), f(2000, 3000)),
            ("gone".to_owned(), f(100, 100)),
        ]
        .into();
        // Twice the iterations: "same" is unchanged per iteration.
        let new: BTreeMap<String, Function> = [
            ("same".to_owned(), f(2000, 2000)),
            ("slower".to_owned(), f(6000, 8000)),
            ("new".to_owned(), f(40, 40)),
        ]
        .into();
        let d = deltas(&base, 10, &new, 20);
        let names: Vec<&str> = d.iter().map(|x| x.function.as_str()).collect();
        assert_eq!(names, ["slower", "gone", "new"], "{d:?}");
        assert_eq!((d[0].base_self, d[0].new_self), (Some(200.0), Some(300.0)));
        assert_eq!(
            (d[0].base_inclusive, d[0].new_inclusive),
            (Some(300.0), Some(400.0))
        );
        // Bench: 310 → 402 per iteration (+92); slower +100, gone −10, new +2.
        assert!((d[0].share - 100.0 / 92.0).abs() < 1e-9, "{}", d[0].share);
        assert_eq!((d[1].new_self, d[2].base_self), (None, None));
        assert!(deltas(&base, 10, &base, 10).is_empty(), "A/A: no rows");
    }
}
