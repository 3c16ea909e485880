//! The bench harness: each workload is defined once, as a [`Def`] (its id, throughput and a
//! lazy setup returning a [`Routine`]), and served both to Criterion (wall time) and to the
//! instruction counter (callgrind, through `cargo xtask bench --instructions`).
//!
//! A suite's `main` builds a [`Suite`] and calls [`Suite::main`]:
//!
//! ```ignore
//! fn main() {
//!     let mut s = Suite::new("swarm_primitives");
//!     s.bench("aggregation", "commutative", 100, || Routine::iter(move || work()))
//!         .throughput(100)
//!         .counted(2_000);
//!     s.allocations("memory_pressure", memory_pressure);
//!     s.main();
//! }
//! ```
//!
//! - Setup runs lazily, when the bench is measured (never for `--list` or a bench the filter
//!   leaves out), and [`Routine::finish`] runs once it is done: background threads stop there,
//!   after-run checks and side files go there.
//! - Every bench says whether it is counted ([`Def::counted`], with a fixed iteration count, so
//!   counts repeat) or why not ([`Def::uncounted`]); a suite that forgets either panics at start.
//! - Groups measured in bytes allocated stay plain Criterion functions
//!   ([`Suite::allocations`]); they are neither counted nor served.
//! - In serve mode (`GGEN_HARNESS=serve`) the xtask's paired engine sets benches up, runs
//!   samples and finishes them on request, to measure two processes in turn.
//!
//! The protocol with the xtask (modes, the measured symbol) is `bench_format::harness`.

pub mod contention;
mod count;
pub mod machine;
mod serve;

use std::cell::RefCell;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};

use crate::alloc::AllocatedBytes;
pub use bench_format::harness::PlanLine;

/// What a bench does per call: run `iters` iterations and say how long they took.
pub struct Routine {
    run: Box<dyn FnMut(u64) -> contention::Sample>,
    finish: Option<Box<dyn FnOnce()>>,
    /// Contended: samples are checked for their contenders' progress and retaken
    /// ([`contention`]); what the rule did so far.
    proof: Option<contention::Proof>,
}

impl Routine {
    /// `f` once per iteration, its result passed through `black_box` (Criterion's `iter`).
    pub fn iter<R>(mut f: impl FnMut() -> R + 'static) -> Self {
        Self::custom(move |iters| {
            let start = Instant::now();
            for _ in 0..iters {
                black_box(f());
            }
            start.elapsed()
        })
    }

    /// `f(iters)` runs `iters` iterations and returns the time they took (Criterion's
    /// `iter_custom`): for benches that time only part of the work or spread it over threads.
    pub fn custom(mut f: impl FnMut(u64) -> Duration + 'static) -> Self {
        Self {
            run: Box::new(move |iters| contention::Sample {
                elapsed: f(iters),
                proven: true,
            }),
            finish: None,
            proof: None,
        }
    }

    /// A contended bench: `f(iters)` runs `iters` iterations and says whether its contenders
    /// were seen running throughout ([`contention::timed_in_chunks`]). An unproven sample is
    /// retaken (at most [`contention::RETAKES`] times); the count of retaken and still-unproven
    /// samples goes to the bench's side file, and serve mode marks an unproven sample.
    pub fn contended(f: impl FnMut(u64) -> contention::Sample + 'static) -> Self {
        Self {
            run: Box::new(f),
            finish: None,
            proof: Some(contention::Proof::default()),
        }
    }

    /// Runs `f` once after the bench, whether it was timed, counted or served (after any
    /// `finish` given before).
    pub fn finish(mut self, f: impl FnOnce() + 'static) -> Self {
        self.finish = Some(match self.finish.take() {
            Some(first) => Box::new(move || {
                first();
                f();
            }),
            None => Box::new(f),
        });
        self
    }

    fn run(&mut self, iters: u64) -> Duration {
        self.sample(iters).elapsed
    }

    /// One sample; a contended routine's unproven samples are retaken first.
    fn sample(&mut self, iters: u64) -> contention::Sample {
        match &mut self.proof {
            Some(proof) => contention::take_proven(|| (self.run)(iters), proof),
            None => (self.run)(iters),
        }
    }

    /// Runs the after-run step; a contended routine's proof counts are added to the side file
    /// of bench `id` (`suite/group/function/parameter`).
    fn done(self, id: &str) {
        if let Some(f) = self.finish {
            f();
        }
        if let Some(p) = self.proof {
            crate::side::add_counters(
                id,
                &[
                    ("samples_retaken", p.retaken as f64),
                    ("samples_unproven", p.unproven as f64),
                ],
            );
        }
    }
}

/// How a bench takes part in instruction counting.
#[derive(Debug, Clone)]
enum Counting {
    Undeclared,
    Counted(u64),
    Uncounted(&'static str),
}

/// One bench: `group/function/parameter`, its throughput and its setup.
pub struct Def {
    group: String,
    function: String,
    parameter: String,
    throughput: Option<u64>,
    counting: Counting,
    records_latency: bool,
    setup: Box<dyn Fn() -> Routine>,
}

impl Def {
    /// Throughput in elements per iteration (Criterion's `Throughput::Elements`).
    pub fn throughput(&mut self, elements: u64) -> &mut Self {
        self.throughput = Some(elements);
        self
    }

    /// Counted under callgrind over `iterations` iterations (after one warm-up). Pick enough for
    /// about 10⁵ instructions or more, and few enough that the whole run stays quick.
    pub fn counted(&mut self, iterations: u64) -> &mut Self {
        assert!(iterations > 0, "{}: counted(0)", self.id());
        self.counting = Counting::Counted(iterations);
        self
    }

    /// Timed only; `reason` is shown in the report (threads, timers, system calls...).
    pub fn uncounted(&mut self, reason: &'static str) -> &mut Self {
        self.counting = Counting::Uncounted(reason);
        self
    }

    /// The routine writes per-operation latency to its side file in [`Routine::finish`]; when
    /// the bench does not run (listing, filtered out) the harness declares it with no samples.
    pub fn records_latency(&mut self) -> &mut Self {
        self.records_latency = true;
        self
    }

    /// `group/function/parameter`.
    pub fn id(&self) -> String {
        format!("{}/{}/{}", self.group, self.function, self.parameter)
    }
}

type AllocationFn = fn(&mut Criterion<AllocatedBytes>);

/// A bench suite: its defs in order, and its allocation groups.
pub struct Suite {
    name: &'static str,
    defs: Vec<Def>,
    allocations: Vec<(&'static str, AllocationFn)>,
}

impl Suite {
    /// An empty suite; `name` is its bench target name (the first part of every id).
    pub fn new(name: &'static str) -> Self {
        Self {
            name,
            defs: Vec::new(),
            allocations: Vec::new(),
        }
    }

    /// Adds a bench; `setup` runs only when it is measured. Declare it counted or uncounted.
    pub fn bench(
        &mut self,
        group: &str,
        function: &str,
        parameter: impl std::fmt::Display,
        setup: impl Fn() -> Routine + 'static,
    ) -> &mut Def {
        self.defs.push(Def {
            group: group.to_owned(),
            function: function.to_owned(),
            parameter: parameter.to_string(),
            throughput: None,
            counting: Counting::Undeclared,
            records_latency: false,
            setup: Box::new(setup),
        });
        self.defs.last_mut().expect("just pushed")
    }

    /// A group measured in bytes allocated (not counted: its unit is bytes, not time).
    pub fn allocations(&mut self, group: &'static str, f: AllocationFn) {
        self.allocations.push((group, f));
    }

    /// Runs the suite: Criterion by default, the plan or the counting run when the xtask asks
    /// for them (`bench_format::harness`).
    pub fn main(self) {
        if let Some(missing) = self
            .defs
            .iter()
            .find(|d| matches!(d.counting, Counting::Undeclared))
        {
            panic!(
                "{}/{}: declare it .counted(iterations) or .uncounted(reason)",
                self.name,
                missing.id()
            );
        }
        match count::mode() {
            count::Mode::Plan => count::plan(&self),
            count::Mode::Count(ids) => count::count(self, &ids),
            count::Mode::Serve => serve::serve(self),
            count::Mode::Criterion => self.criterion_main(),
        }
    }

    fn criterion_main(self) {
        let mut c = crate::criterion_config().configure_from_args();
        let mut chunks: Vec<Vec<Def>> = Vec::new();
        for def in self.defs {
            match chunks.last_mut() {
                Some(chunk) if chunk[0].group == def.group => chunk.push(def),
                _ => chunks.push(vec![def]),
            }
        }
        for chunk in chunks {
            let mut g = c.benchmark_group(chunk[0].group.clone());
            for def in chunk {
                if let Some(n) = def.throughput {
                    g.throughput(Throughput::Elements(n));
                }
                let id = format!("{}/{}", self.name, def.id());
                let setup = RefCell::new(Some(def.setup));
                let routine: RefCell<Option<Routine>> = RefCell::new(None);
                g.bench_function(BenchmarkId::new(&def.function, &def.parameter), |b| {
                    let mut slot = routine.borrow_mut();
                    let r = slot.get_or_insert_with(|| {
                        (setup.borrow_mut().take().expect("setup runs once"))()
                    });
                    b.iter_custom(|iters| r.run(iters));
                });
                match routine.into_inner() {
                    Some(r) => r.done(&id),
                    None if def.records_latency => crate::side::record_latency(&id, &mut []),
                    None => {}
                }
            }
            g.finish();
        }
        c.final_summary();
        if !self.allocations.is_empty() {
            let mut c = crate::config::allocation_config().configure_from_args();
            for (_, f) in &self.allocations {
                f(&mut c);
            }
            c.final_summary();
        }
    }
}
