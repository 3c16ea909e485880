//! `runtime_overhead`: what it costs to run async work from synchronous code, process-wide runtime
//! (`ggen_core::runtime::execute`) versus the old design of a new runtime per call
//! (`ggen_core::baseline`), with a bare `Handle::block_on` on a held runtime as the floor.
//!
//! Groups (ids are `runtime_overhead/<group>/<function>/<parameter>`, keys of `budgets.toml`):
//!
//! - `execute_baseline`: a ready future through `raw_block_on` (floor), `global`,
//!   `per_call_multi_thread`, `per_call_current_thread`.
//! - `execute_concurrent`: N ∈ {1, 4, 16, 64} spawned tasks, each hashing a 256-byte payload,
//!   joined inside one `execute` call: `global` vs `per_call` (multi-thread).
//! - `naive_vs_global`: a CLI-like sequence of 100 small commands (parse arguments, render a
//!   template, hash it), one `execute` per command: `global` vs `per_call`.
//! - `realistic_workloads`: JSON serialize + parse of a 64-record document with yields between
//!   steps, a 256-message channel ping-pong with a spawned echo task, and a fan-out of 64 spawned
//!   hashing tasks — each `*_global` vs `*_per_call`.
//! - `memory_pressure`: bytes allocated per small command (counting allocator, not wall time):
//!   `global`, `per_call_multi_thread`, `per_call_current_thread`.
//! - `startup_time`: build + first `block_on` + drop of a runtime (`iter_custom`):
//!   `multi_thread/{1,2}` workers, `current_thread/1`, and `global_warm/1` (the already-running
//!   global runtime, for comparison).
//! - `error_handling`: `ok` and `err` results through `execute`, `panic_caught` (`try_execute`
//!   catching a panic, with a silent panic hook during the group), and `nested_current_thread`
//!   (the typed error from `execute` inside a current-thread runtime, which includes that runtime's
//!   own `block_on`).
//!
//! Every function's result is checked once before timing, so a broken fast path cannot look fast.

use std::future::Future;
use std::hint::black_box;
use std::time::{Duration, Instant};

use benches_common::alloc::AllocatedBytes;
use benches_common::harness::{Routine, Suite};
use benches_common::side::{self, Unit};
use criterion::{BenchmarkId, Criterion};
use ggen_core::baseline::{execute_per_call, execute_per_call_current_thread};
use ggen_core::runtime::{self, RuntimeError};

benches_common::install_counting_allocator!();

const SUITE: &str = "runtime_overhead";

/// FNV-1a, the deterministic unit of "real work" in this suite.
use ggen_domain::hash::fnv1a64 as fnv1a;

fn payload(seed: u64, len: usize) -> Vec<u8> {
    let mut rng = benches_common::rng::SeededRng::new(seed);
    (0..len).map(|_| rng.next_u64() as u8).collect()
}

/// One small CLI-like command: parse its arguments, render a template, hash the result.
async fn small_command(i: u64) -> u64 {
    let args = format!("gen --template entity{i} --out src/gen/{i}.rs --force");
    let mut template = None;
    let mut out = None;
    let mut words = args.split_whitespace();
    while let Some(w) = words.next() {
        match w {
            "--template" => template = words.next(),
            "--out" => out = words.next(),
            _ => {}
        }
    }
    let (template, out) = (template.expect("template arg"), out.expect("out arg"));
    let rendered = format!("// {out}\npub struct {template} {{ pub id: u64 }}\n");
    tokio::task::yield_now().await;
    fnv1a(rendered.as_bytes())
}

fn expected_command(i: u64) -> u64 {
    let rendered = format!("// src/gen/{i}.rs\npub struct entity{i} {{ pub id: u64 }}\n");
    fnv1a(rendered.as_bytes())
}

fn global<F: Future>(f: F) -> F::Output {
    runtime::execute(f).expect("global runtime")
}

fn per_call<F: Future>(f: F) -> F::Output {
    execute_per_call(f).expect("per-call multi-thread runtime")
}

fn per_call_current<F: Future>(f: F) -> F::Output {
    execute_per_call_current_thread(f).expect("per-call current-thread runtime")
}

async fn ready(x: u64) -> u64 {
    black_box(x).wrapping_mul(3)
}

/// Why a bench that builds a multi-thread runtime, or spawns onto one, is timed only.
const THREADS: &str = "runtime worker threads take part, so the count depends on scheduling";

fn execute_baseline(s: &mut Suite) {
    const G: &str = "execute_baseline";
    s.bench(G, "raw_block_on", 1, || {
        let held = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        assert_eq!(held.handle().block_on(ready(5)), 15);
        Routine::iter(move || held.handle().block_on(ready(7)))
    })
    .counted(20_000);
    s.bench(G, "global", 1, || {
        assert_eq!(global(ready(5)), 15);
        Routine::iter(|| global(ready(7)))
    })
    .counted(20_000);
    s.bench(G, "per_call_multi_thread", 1, || {
        assert_eq!(per_call(ready(5)), 15);
        Routine::iter(|| per_call(ready(7)))
    })
    .uncounted("starts and joins a multi-thread runtime's worker threads per call");
    s.bench(G, "per_call_current_thread", 1, || {
        assert_eq!(per_call_current(ready(5)), 15);
        Routine::iter(|| per_call_current(ready(7)))
    })
    .counted(2_000);
}

async fn concurrent_hashes(n: u64, payload: &'static [u8]) -> u64 {
    let mut set = tokio::task::JoinSet::new();
    for k in 0..n {
        set.spawn(async move {
            tokio::task::yield_now().await;
            fnv1a(payload) ^ k
        });
    }
    let mut acc = 0u64;
    while let Some(r) = set.join_next().await {
        acc = acc.wrapping_add(r.expect("hash task"));
    }
    acc
}

fn execute_concurrent(s: &mut Suite) {
    const G: &str = "execute_concurrent";
    const WHY: &str = "spawned tasks run on the runtime's worker threads";
    /// The payload and the sum every run must produce.
    fn input(n: u64) -> (&'static [u8], u64) {
        let data: &'static [u8] = Box::leak(payload(1, 256).into_boxed_slice());
        (
            data,
            (0..n).fold(0u64, |a, k| a.wrapping_add(fnv1a(data) ^ k)),
        )
    }
    for n in [1u64, 4, 16, 64] {
        s.bench(G, "global", n, move || {
            let (data, expected) = input(n);
            assert_eq!(global(concurrent_hashes(n, data)), expected);
            Routine::iter(move || global(concurrent_hashes(n, data)))
        })
        .throughput(n)
        .uncounted(WHY);
        s.bench(G, "per_call", n, move || {
            let (data, expected) = input(n);
            assert_eq!(per_call(concurrent_hashes(n, data)), expected);
            Routine::iter(move || per_call(concurrent_hashes(n, data)))
        })
        .throughput(n)
        .uncounted(WHY);
    }
}

fn naive_vs_global(s: &mut Suite) {
    const COMMANDS: u64 = 100;
    type Exec = fn(std::pin::Pin<Box<dyn Future<Output = u64>>>) -> u64;
    let run = |exec: Exec| {
        (0..COMMANDS)
            .map(|i| exec(Box::pin(small_command(i))))
            .fold(0, u64::wrapping_add)
    };
    let expected: u64 = (0..COMMANDS)
        .map(expected_command)
        .fold(0, u64::wrapping_add);
    let twins: [(&str, Exec); 2] = [("global", global), ("per_call", per_call)];
    for (name, exec) in twins {
        let def = s
            .bench("naive_vs_global", name, COMMANDS, move || {
                assert_eq!(run(exec), expected);
                Routine::iter(move || run(exec))
            })
            .throughput(COMMANDS);
        if name == "global" {
            def.counted(200);
        } else {
            def.uncounted(THREADS);
        }
    }
}

fn json_document(records: usize) -> serde_json::Value {
    let mut rng = benches_common::rng::SeededRng::new(2);
    let items: Vec<serde_json::Value> = (0..records)
        .map(|i| {
            serde_json::json!({
                "id": i,
                "name": format!("pack-{i}"),
                "version": [rng.below(5), rng.below(20), rng.below(100)],
                "tags": ["rdf", "owl", format!("t{}", rng.below(50))],
                "score": rng.unit_f64(),
            })
        })
        .collect();
    serde_json::json!({ "records": items })
}

async fn json_roundtrip(doc: &serde_json::Value) -> usize {
    let text = serde_json::to_string(doc).expect("serialize");
    tokio::task::yield_now().await;
    let back: serde_json::Value = serde_json::from_str(&text).expect("parse");
    tokio::task::yield_now().await;
    back["records"].as_array().map_or(0, Vec::len) + text.len()
}

async fn ping_pong(messages: u64) -> u64 {
    let (to_echo, mut echo_rx) = tokio::sync::mpsc::channel::<u64>(1);
    let (to_main, mut main_rx) = tokio::sync::mpsc::channel::<u64>(1);
    let echo = tokio::spawn(async move {
        while let Some(v) = echo_rx.recv().await {
            if to_main.send(v + 1).await.is_err() {
                break;
            }
        }
    });
    let mut sum = 0;
    for m in 0..messages {
        to_echo.send(m).await.expect("echo alive");
        sum += main_rx.recv().await.expect("echo reply");
    }
    drop(to_echo);
    echo.await.expect("echo task");
    sum
}

async fn fan_out(tasks: u64, data: &'static [u8]) -> u64 {
    let handles: Vec<_> = (0..tasks)
        .map(|k| tokio::spawn(async move { fnv1a(&data[(k as usize) % 64..]) }))
        .collect();
    let mut acc = 0u64;
    for h in handles {
        acc ^= h.await.expect("fan-out task");
    }
    acc
}

fn realistic_workloads(s: &mut Suite) {
    const RECORDS: u64 = 64;
    const MESSAGES: u64 = 256;
    const TASKS: u64 = 64;
    const G: &str = "realistic_workloads";
    let fan_data = || -> &'static [u8] { Box::leak(payload(3, 1024).into_boxed_slice()) };
    let json_check = |doc: &serde_json::Value| {
        let len = global(json_roundtrip(doc));
        assert_eq!(len, per_call(json_roundtrip(doc)));
        assert!(len > RECORDS as usize * 50, "document too small: {len}");
    };
    s.bench(G, "json_global", RECORDS, move || {
        let doc = json_document(RECORDS as usize);
        json_check(&doc);
        Routine::iter(move || global(json_roundtrip(&doc)))
    })
    .throughput(RECORDS)
    .counted(200);
    s.bench(G, "json_per_call", RECORDS, move || {
        let doc = json_document(RECORDS as usize);
        json_check(&doc);
        Routine::iter(move || per_call(json_roundtrip(&doc)))
    })
    .throughput(RECORDS)
    .uncounted(THREADS);
    let pp_expected = (1..=MESSAGES).sum::<u64>();
    s.bench(G, "pingpong_global", MESSAGES, move || {
        assert_eq!(global(ping_pong(MESSAGES)), pp_expected);
        Routine::iter(|| global(ping_pong(MESSAGES)))
    })
    .throughput(MESSAGES)
    .uncounted(THREADS);
    s.bench(G, "pingpong_per_call", MESSAGES, move || {
        assert_eq!(per_call(ping_pong(MESSAGES)), pp_expected);
        Routine::iter(|| per_call(ping_pong(MESSAGES)))
    })
    .throughput(MESSAGES)
    .uncounted(THREADS);
    let fan_expected =
        |data: &[u8]| (0..TASKS).fold(0, |a, k| a ^ fnv1a(&data[(k as usize) % 64..]));
    s.bench(G, "fanout_global", TASKS, move || {
        let data = fan_data();
        assert_eq!(global(fan_out(TASKS, data)), fan_expected(data));
        Routine::iter(move || global(fan_out(TASKS, data)))
    })
    .throughput(TASKS)
    .uncounted(THREADS);
    s.bench(G, "fanout_per_call", TASKS, move || {
        let data = fan_data();
        assert_eq!(per_call(fan_out(TASKS, data)), fan_expected(data));
        Routine::iter(move || per_call(fan_out(TASKS, data)))
    })
    .throughput(TASKS)
    .uncounted(THREADS);
}

fn memory_pressure(c: &mut Criterion<AllocatedBytes>) {
    let mut g = c.benchmark_group("memory_pressure");
    assert_eq!(global(small_command(1)), expected_command(1));
    assert_eq!(per_call(small_command(1)), expected_command(1));
    assert_eq!(per_call_current(small_command(1)), expected_command(1));
    type Command = fn(u64) -> u64;
    let funcs: [(&str, Command); 3] = [
        ("global", |i| global(small_command(i))),
        ("per_call_multi_thread", |i| per_call(small_command(i))),
        ("per_call_current_thread", |i| {
            per_call_current(small_command(i))
        }),
    ];
    for (name, f) in funcs {
        side::record_unit(&format!("{SUITE}/memory_pressure/{name}/1"), Unit::Bytes);
        g.bench_function(BenchmarkId::new(name, 1), |b| b.iter(|| f(black_box(1))));
    }
    g.finish();
}

fn time_runtime_start(iters: u64, build: impl Fn() -> tokio::runtime::Runtime) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        let rt = build();
        black_box(rt.block_on(ready(1)));
        drop(rt);
    }
    start.elapsed()
}

fn startup_time(s: &mut Suite) {
    const WHY: &str = "starting a runtime starts threads and reads timers";
    let multi = |workers: usize| {
        move || {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(workers)
                .enable_all()
                .build()
                .unwrap()
        }
    };
    let current = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    };
    for workers in [1usize, 2] {
        s.bench("startup_time", "multi_thread", workers, move || {
            assert_eq!(multi(workers)().block_on(ready(2)), 6);
            Routine::custom(move |iters| time_runtime_start(iters, multi(workers)))
        })
        .uncounted(WHY);
    }
    s.bench("startup_time", "current_thread", 1, move || {
        assert_eq!(current().block_on(ready(2)), 6);
        Routine::custom(move |iters| time_runtime_start(iters, current))
    })
    .uncounted(WHY);
    s.bench("startup_time", "global_warm", 1, || {
        Routine::custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                black_box(global(ready(1)));
            }
            start.elapsed()
        })
    })
    .uncounted(WHY);
}

fn error_handling(s: &mut Suite) {
    const G: &str = "error_handling";
    let parse = |s: &'static str| async move { black_box(s).parse::<u64>() };
    s.bench(G, "ok", 1, move || {
        assert_eq!(global(parse("123")), Ok(123));
        Routine::iter(move || global(parse("123")))
    })
    .counted(20_000);
    s.bench(G, "err", 1, move || {
        assert!(global(parse("12x")).is_err());
        Routine::iter(move || global(parse("12x")))
    })
    .counted(20_000);
    s.bench(G, "panic_caught", 1, || {
        // Silent while the bench runs; the previous hook is restored when it finishes.
        let previous_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let boom = || runtime::try_execute(async { panic!("bench panic") });
        assert!(matches!(boom(), Err(RuntimeError::Panicked(ref m)) if m == "bench panic"));
        Routine::iter(boom).finish(move || std::panic::set_hook(previous_hook))
    })
    .counted(2_000);
    s.bench(G, "nested_current_thread", 1, || {
        let current = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let nested = move || current.block_on(async { runtime::execute(ready(1)) });
        assert!(matches!(nested(), Err(RuntimeError::NestedCurrentThread)));
        Routine::iter(nested)
    })
    .counted(20_000);
}

fn main() {
    let mut s = Suite::new(SUITE);
    execute_baseline(&mut s);
    execute_concurrent(&mut s);
    naive_vs_global(&mut s);
    realistic_workloads(&mut s);
    startup_time(&mut s);
    error_handling(&mut s);
    s.allocations("memory_pressure", memory_pressure);
    s.main();
}
