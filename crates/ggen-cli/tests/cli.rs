//! The `ggen` binary end to end: every command's happy path, and every bad input of issue 15
//! (missing file, invalid JSON, a field of the wrong type, a cyclic DAG, an unsatisfiable pack set)
//! giving one line naming the file and the field or cycle, exit 2, and no output file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn ggen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ggen"))
        .args(args)
        .output()
        .expect("running ggen")
}

fn text(o: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Self {
        let d = std::env::temp_dir().join(format!("ggen-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Self(d)
    }

    fn file(&self, name: &str, contents: &str) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, contents).unwrap();
        p
    }

    fn entries(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(&self.0)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Exit 2, exactly one line on stderr, containing every needle.
fn refused(o: &Output, needles: &[&str]) {
    assert_eq!(o.status.code(), Some(2), "{}", text(o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{}", text(o));
    for n in needles {
        assert!(err.contains(n), "missing {n:?}: {}", text(o));
    }
    assert!(o.stdout.is_empty(), "{}", text(o));
}

#[test]
fn version_and_help() {
    let v = ggen(&["--version"]);
    assert!(v.status.success());
    assert_eq!(
        String::from_utf8_lossy(&v.stdout).trim(),
        concat!("ggen ", env!("CARGO_PKG_VERSION"))
    );
    let h = ggen(&["--help"]);
    assert!(h.status.success());
    let help = String::from_utf8_lossy(&h.stdout);
    for cmd in ["hive", "pipeline", "swarm", "gen"] {
        assert!(help.contains(cmd), "{help}");
    }
    assert_eq!(ggen(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn gen_then_hive_resolve_writes_the_configuration_atomically() {
    let d = Dir::new("hive");
    let packs = d.0.join("packs.json");
    let o = ggen(&[
        "gen",
        "packs",
        "--size",
        "20",
        "--seed",
        "3",
        "-o",
        s(&packs),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    // Same seed, same file.
    let again = ggen(&["gen", "packs", "--size", "20", "--seed", "3"]);
    assert_eq!(
        String::from_utf8_lossy(&again.stdout).trim(),
        std::fs::read_to_string(&packs).unwrap().trim()
    );
    let out = d.0.join("resolved.json");
    let o = ggen(&["hive", "resolve", s(&packs), "-o", s(&out)]);
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(v["decision"], "Accepted");
    assert_eq!(v["packs"].as_array().unwrap().len(), 20);
    assert!(
        !v["conflicts"].as_array().unwrap().is_empty(),
        "the generated set has class collisions"
    );
    assert_eq!(
        d.entries(),
        ["packs.json", "resolved.json"],
        "no temporary left"
    );
    // Without -o the JSON goes to stdout.
    let o = ggen(&["hive", "resolve", s(&packs)]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["decision"], "Accepted");
}

#[test]
fn pipeline_run_prints_every_stage() {
    let d = Dir::new("pipeline");
    let dag = d.0.join("dag.json");
    assert!(
        ggen(&["gen", "dag", "--size", "9", "-o", s(&dag)])
            .status
            .success()
    );
    let o = ggen(&["pipeline", "run", s(&dag)]);
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    for i in 0..9 {
        assert!(out.contains(&format!("s{i:03}  ok")), "{out}");
    }
    assert!(out.contains("9 stages in"), "{out}");
    let o = ggen(&["pipeline", "run", s(&dag), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["stages"].as_array().unwrap().len(), 9);
    assert_eq!(v["artifacts"].as_object().unwrap().len(), 9);
    // A validate stage with nothing to validate fails: exit 1, the failure shown.
    let lonely = d.file(
        "lonely.json",
        r#"{"stages":[{"name":"check","agent":"validate"}]}"#,
    );
    let o = ggen(&["pipeline", "run", s(&lonely)]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("failed: "));
}

#[test]
fn swarm_run_reports_throughput_and_latency() {
    let o = ggen(&[
        "swarm",
        "run",
        "--agents",
        "2",
        "--duration",
        "0.2",
        "--json",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["agents"], 2);
    assert!(v["pipelines"].as_u64().unwrap() > 0);
    assert_eq!(v["failed"], 0);
    assert!(v["latency_p99_us"].as_f64().unwrap() >= v["latency_p50_us"].as_f64().unwrap());
    refused(&ggen(&["swarm", "run", "--agents", "0"]), &["--agents 0"]);
    refused(
        &ggen(&["swarm", "run", "--duration", "0"]),
        &["--duration 0"],
    );
}

#[test]
fn bad_inputs_name_the_file_and_write_nothing() {
    let d = Dir::new("bad");
    let out = d.0.join("out.json");
    let o = s(&out);
    // A missing file.
    let missing = d.0.join("missing.json");
    refused(
        &ggen(&["hive", "resolve", s(&missing), "-o", o]),
        &["missing.json", "cannot read"],
    );
    refused(
        &ggen(&["pipeline", "run", s(&missing)]),
        &["missing.json", "cannot read"],
    );
    // Invalid JSON.
    let broken = d.file("broken.json", "[{\"name\": ");
    refused(
        &ggen(&["hive", "resolve", s(&broken), "-o", o]),
        &["broken.json", "not valid JSON"],
    );
    refused(
        &ggen(&["pipeline", "run", s(&broken)]),
        &["broken.json", "not valid JSON"],
    );
    // A field of the wrong type.
    let typed = d.file(
        "typed.json",
        r#"[{"name":"core","version":"1.0.0","namespace":"n:core","classes":["A", 3]}]"#,
    );
    refused(
        &ggen(&["hive", "resolve", s(&typed), "-o", o]),
        &["typed.json", "pack core", "classes[1]"],
    );
    let cost = d.file(
        "cost.json",
        r#"{"stages":[{"name":"a","agent":"hash","cost":"x"}]}"#,
    );
    refused(
        &ggen(&["pipeline", "run", s(&cost)]),
        &["cost.json", "stages[0].cost"],
    );
    let agent = d.file(
        "agent.json",
        r#"{"stages":[{"name":"a","agent":"oracle"}]}"#,
    );
    refused(
        &ggen(&["pipeline", "run", s(&agent)]),
        &["agent.json", "stages[0].agent"],
    );
    // A cyclic DAG names the cycle.
    let cyclic = d.file(
        "cyclic.json",
        r#"{"stages":[{"name":"a","deps":["c"],"agent":"hash"},{"name":"b","deps":["a"],"agent":"hash"},{"name":"c","deps":["b"],"agent":"hash"}]}"#,
    );
    refused(
        &ggen(&["pipeline", "run", s(&cyclic)]),
        &[
            "cyclic.json",
            "dependency cycle: ",
            "a -> ",
            "b -> ",
            "c -> ",
        ],
    );
    // Unsatisfiable pack sets: a version nobody offers, a pack nobody offers, a cycle.
    let unsat = d.file(
        "unsat.json",
        r#"[{"name":"app","version":"1.0.0","namespace":"n:app","requires":{"core":"^2"}},
            {"name":"core","version":"1.4.0","namespace":"n:core"}]"#,
    );
    refused(
        &ggen(&["hive", "resolve", s(&unsat), "-o", o]),
        &[
            "unsat.json",
            "pack app@1.0.0",
            "requires.core",
            "^2",
            "1.4.0",
        ],
    );
    let absent = d.file(
        "absent.json",
        r#"[{"name":"app","version":"1.0.0","namespace":"n:app","requires":{"ghost":"^1"}}]"#,
    );
    refused(
        &ggen(&["hive", "resolve", s(&absent), "-o", o]),
        &["absent.json", "requires.ghost"],
    );
    let cycle = d.file(
        "loop.json",
        r#"[{"name":"a","version":"1.0.0","namespace":"n:a","requires":{"b":"^1"}},
            {"name":"b","version":"1.0.0","namespace":"n:b","requires":{"a":"^1"}}]"#,
    );
    refused(
        &ggen(&["hive", "resolve", s(&cycle), "-o", o]),
        &["loop.json", "dependency cycle"],
    );
    // Not an array; an output path that is a directory.
    let object = d.file("object.json", "{}");
    refused(
        &ggen(&["hive", "resolve", s(&object), "-o", o]),
        &["object.json", "JSON array"],
    );
    let good = d.0.join("good.json");
    assert!(
        ggen(&["gen", "packs", "--size", "4", "-o", s(&good)])
            .status
            .success()
    );
    refused(
        &ggen(&["hive", "resolve", s(&good), "-o", s(&d.0)]),
        &["is a directory"],
    );
    refused(&ggen(&["gen", "dag", "--size", "0"]), &["--size 0"]);
    assert!(!out.exists(), "an output file was written on exit 2");
    assert!(
        d.entries().iter().all(|e| !e.ends_with(".tmp")),
        "a temporary file was left: {:?}",
        d.entries()
    );
}
