//! Proof that a contended bench was contended: a sample counts only if its contenders (the
//! background reader or writer, the other committer, the other agents) made progress while it
//! was timed.
//!
//! Why: on a 2-core VM the OS may leave a freshly started background thread waiting for a CPU
//! for a whole sample, or run it on the measuring thread's CPU between samples. Such a sample
//! measures the *uncontended* operation and used to be counted anyway (`rwlock/readers` read
//! 12 ns, the idle figure, in 9 of 24 rounds of one run). Now:
//!
//! - each contender owns a [`Progress`] counter and [`Progress::tick`]s it once per operation
//!   (a plain store to its own cache line: no read-modify-write, no line shared with the measured
//!   data);
//! - the measured loop runs in [`CHUNKS`] chunks ([`timed_in_chunks`]); after each chunk a
//!   [`Watch`] reads every contender's counter; the sample is *proven* only if every contender
//!   advanced (or had finished its share) in every chunk, i.e. ran throughout the sample;
//! - an unproven sample is retaken by the harness ([`Routine::contended`](super::Routine::contended)),
//!   at most [`RETAKES`] times; the retakes, and samples still unproven after them, are counted
//!   and written to the bench's side file (`samples_retaken`, `samples_unproven`); serve mode
//!   marks an unproven sample on its reply, and the xtask never bases a verdict on it.
//!
//! Cost: one relaxed load per contender per chunk on the measuring side (eight per sample), and
//! one relaxed store per operation on the contender's side.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Chunks per sample: a contender must advance in each.
pub const CHUNKS: u64 = 8;

/// Times an unproven sample is retaken before it is reported as unproven.
pub const RETAKES: u32 = 10;

/// Counter value meaning "this contender finished its share of the work".
const DONE: u64 = u64::MAX;

/// One contender's operation counter, alone on its cache line (128 bytes: two 64-byte lines,
/// as adjacent-line prefetchers pair them).
#[repr(align(128))]
#[derive(Debug, Default)]
pub struct Progress {
    ops: AtomicU64,
}

impl Progress {
    /// A counter at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// One more operation. Only the owning thread calls it (a load and a store, both relaxed:
    /// the watcher needs to see the value change, not any data it guards).
    #[inline]
    pub fn tick(&self) {
        let n = self.ops.load(Ordering::Relaxed);
        if n != DONE {
            self.ops.store(n + 1, Ordering::Relaxed);
        }
    }

    /// The contender finished its share: from now on it counts as advancing (a thread that
    /// ends before the others is not starved).
    pub fn done(&self) {
        self.ops.store(DONE, Ordering::Relaxed);
    }

    /// Back to zero, before a new sample.
    pub fn reset(&self) {
        self.ops.store(0, Ordering::Relaxed);
    }

    /// Operations so far ([`u64::MAX`] once done).
    pub fn get(&self) -> u64 {
        self.ops.load(Ordering::Relaxed)
    }
}

/// A timed sample and whether its contenders were seen running throughout it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// Wall time of the sample's iterations.
    pub elapsed: Duration,
    /// Whether every contender was seen advancing in every chunk.
    pub proven: bool,
}

/// The shortest stretch a check covers. A chunk shorter than this is merged with the next:
/// over a few nanoseconds a contender that runs all along may not finish one operation (a
/// contended `RwLock` read takes ~100 ns, a swarm commit ~1 µs: ten of them fit), while a
/// contender waiting for a CPU waits for a scheduler time slice (milliseconds). A sample shorter
/// than this is not checked (see [`timed_in_chunks`]). It is short because Criterion may take
/// short samples: with a thread started per sample it chose 220–2200 iterations of a 15 ns read
/// (5–29 µs samples), which at 50 µs went unchecked.
pub const MIN_CHUNK: Duration = Duration::from_micros(10);

/// Watches contenders' progress from the measuring side: [`Watch::check`] after each chunk.
pub struct Watch<'a> {
    sources: Vec<&'a dyn Fn() -> u64>,
    last: Vec<u64>,
    last_at: Instant,
    min_chunk: Duration,
    proven: bool,
}

impl<'a> Watch<'a> {
    /// Starts watching: reads every source now.
    pub fn new(sources: Vec<&'a dyn Fn() -> u64>) -> Self {
        Self::with_min_chunk(sources, MIN_CHUNK)
    }

    /// [`Watch::new`] with another shortest stretch (tests).
    fn with_min_chunk(sources: Vec<&'a dyn Fn() -> u64>, min_chunk: Duration) -> Self {
        let last = sources.iter().map(|f| f()).collect();
        Self {
            sources,
            last,
            last_at: Instant::now(),
            min_chunk,
            proven: true,
        }
    }

    /// After a chunk: every source must have advanced since the last check (or be `DONE`).
    /// Within [`MIN_CHUNK`] of the last check, nothing is checked yet: the chunk is merged with
    /// the next.
    pub fn check(&mut self) {
        let now = Instant::now();
        if now.duration_since(self.last_at) < self.min_chunk {
            return;
        }
        self.last_at = now;
        for (f, last) in self.sources.iter().zip(&mut self.last) {
            let now = f();
            if now == *last && now != DONE {
                self.proven = false;
            }
            *last = now;
        }
    }

    /// Whether every check so far saw every source advance.
    pub fn proven(&self) -> bool {
        self.proven
    }
}

/// Runs `body(n)` over `iters` iterations in [`CHUNKS`] chunks (fewer when `iters` is smaller),
/// checking `contenders` after each, and times the whole.
pub fn timed_in_chunks(
    iters: u64,
    contenders: Vec<&dyn Fn() -> u64>,
    body: impl FnMut(u64),
) -> Sample {
    chunked(iters, Watch::new(contenders), body)
}

fn chunked(iters: u64, mut watch: Watch<'_>, mut body: impl FnMut(u64)) -> Sample {
    let chunks = CHUNKS.min(iters.max(1));
    let start = Instant::now();
    // A sample shorter than MIN_CHUNK is not checked at all: over so short a stretch a contender
    // that runs all along may not finish one operation. Such samples (Criterion's first warm-up
    // calls) are not retaken; the samples Criterion keeps and those the xtask's engines take
    // last milliseconds.
    for k in 0..chunks {
        // Chunk k runs iterations [iters*k/chunks, iters*(k+1)/chunks).
        let n = iters * (k + 1) / chunks - iters * k / chunks;
        body(n);
        watch.check();
    }
    Sample {
        elapsed: start.elapsed(),
        proven: watch.proven(),
    }
}

/// Waits until `contenders` are seen running *beside* the caller: the caller spins for
/// [`MIN_CHUNK`] without yielding, and every contender must advance meanwhile. A new thread
/// often starts on its parent's CPU and runs there only when the parent is preempted, until
/// the scheduler moves it; between tries the caller sleeps briefly, which lets the scheduler
/// place the two apart. Gives up after `tries`; returns whether they were seen together (the
/// samples' own checks decide in any case).
pub fn settle(contenders: &[&dyn Fn() -> u64], tries: u32) -> bool {
    for _ in 0..tries {
        let before: Vec<u64> = contenders.iter().map(|f| f()).collect();
        let t = Instant::now();
        while t.elapsed() < MIN_CHUNK {
            std::hint::spin_loop();
        }
        if contenders
            .iter()
            .zip(&before)
            .all(|(f, b)| f() != *b || *b == DONE)
        {
            return true;
        }
        // Back off between tries: a sleeping caller frees its CPU, so the scheduler can move
        // the contender there or place the two apart when the caller wakes. (A scheduling
        // back-off, not simulated work: nothing is timed across it.)
        std::thread::sleep(Duration::from_micros(200));
    }
    false
}

/// Runs `iters` iterations of `op(thread)` split over `threads` scoped threads (started for
/// this sample, so the time includes starting them: about as long for one thread as for
/// several), each ticking its own [`Progress`] and checking the others' in chunks; proven only
/// if every thread saw every other advance (or finish) throughout.
pub fn crew(iters: u64, threads: usize, op: impl Fn(usize) + Sync) -> Sample {
    let threads = threads.max(1);
    let progress: Vec<Progress> = (0..threads).map(|_| Progress::new()).collect();
    // Every thread starts its share once all are running: a thread that started first would
    // otherwise see the others not yet advancing (they are still being created).
    let barrier = StartLine::new(threads);
    let start = Instant::now();
    let proven = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|k| {
                let (progress, op, barrier) = (&progress, &op, &barrier);
                let share =
                    iters * (k as u64 + 1) / threads as u64 - iters * k as u64 / threads as u64;
                s.spawn(move || {
                    let reads: Vec<_> = (0..threads)
                        .filter(|&j| j != k)
                        .map(|j| move || progress[j].get())
                        .collect();
                    let sources: Vec<&dyn Fn() -> u64> =
                        reads.iter().map(|r| r as &dyn Fn() -> u64).collect();
                    barrier.wait();
                    let sample = timed_in_chunks(share, sources, |n| {
                        for _ in 0..n {
                            op(k);
                            progress[k].tick();
                        }
                    });
                    progress[k].done();
                    sample.proven
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("crew thread"))
            .fold(true, |a, b| a & b)
    });
    Sample {
        elapsed: start.elapsed(),
        proven,
    }
}

/// Whether at least `at_least` sources were active in every stretch of `span`, from time
/// stamps of their operations (one list per source, each stamp an offset from the span's start,
/// taken every so many operations): the span is cut into [`CHUNKS`] chunks and each chunk needs
/// stamps of `at_least` sources. With as many sources as CPUs, pass their number (all of them
/// must run throughout); with more (16 agents on 2 CPUs take turns), the CPUs' count (that many
/// ran at once in every stretch). Chunks shorter than [`MIN_CHUNK`], or than four times the
/// stamps' expected spacing, cannot tell a pause from the gap between two stamps: then the span
/// is not checked (true).
pub fn stamps_cover(stamps: &[Vec<Duration>], span: Duration, at_least: usize) -> bool {
    let total: usize = stamps.iter().map(Vec::len).sum();
    if stamps.is_empty() || span.is_zero() {
        return true;
    }
    let chunk = span / CHUNKS as u32;
    // Expected spacing of one source's stamps if all were active all along.
    let spacing = span.mul_f64(stamps.len() as f64 / total.max(1) as f64);
    if chunk < MIN_CHUNK || chunk < spacing * 4 {
        return true;
    }
    let mut active = [0usize; CHUNKS as usize];
    for s in stamps {
        let mut seen = [false; CHUNKS as usize];
        for t in s {
            let k = (t.as_nanos() / chunk.as_nanos().max(1)) as usize;
            seen[k.min(CHUNKS as usize - 1)] = true;
        }
        for (a, s) in active.iter_mut().zip(seen) {
            *a += usize::from(s);
        }
    }
    active.iter().all(|&a| a >= at_least.min(stamps.len()))
}

/// Whether every source took part: once the sources have `turn` stamps each on average (enough
/// for each to have had a turn, were they served fairly), every one of them has at least one.
/// [`stamps_cover`] asks for so many sources at once in every stretch, which a few can meet
/// while others starve: 16 agents on 2 CPUs where 6 never commit cover every stretch with two.
pub fn all_took_part(stamps: &[Vec<Duration>], turn: usize) -> bool {
    let total: usize = stamps.iter().map(Vec::len).sum();
    total < turn * stamps.len() || stamps.iter().all(|s| !s.is_empty())
}

/// A start line for threads that must begin together: each [`StartLine::wait`] spins (yielding,
/// so threads that share a CPU still get there) until all have arrived. Unlike
/// `std::sync::Barrier`, nobody sleeps, so nobody starts a futex wake-up (tens of µs in a VM)
/// after the others.
pub struct StartLine {
    arrived: AtomicU64,
    threads: u64,
}

impl StartLine {
    /// A line for `threads` threads.
    pub fn new(threads: usize) -> Self {
        Self {
            arrived: AtomicU64::new(0),
            threads: threads as u64,
        }
    }

    /// Arrives, and returns once every thread has.
    pub fn wait(&self) {
        // AcqRel/Acquire: what each thread did before arriving is visible to all after.
        self.arrived.fetch_add(1, Ordering::AcqRel);
        while self.arrived.load(Ordering::Acquire) < self.threads {
            std::thread::yield_now();
        }
    }
}

/// What the retake rule did over a bench's samples.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Proof {
    /// Samples retaken because their contenders were not seen running throughout.
    pub retaken: u64,
    /// Samples still unproven after [`RETAKES`] retakes (reported as such, never judged).
    pub unproven: u64,
}

/// Takes a sample with `take`, retaking it up to [`RETAKES`] times while it is unproven;
/// updates `proof` and returns the last sample taken.
pub fn take_proven(mut take: impl FnMut() -> Sample, proof: &mut Proof) -> Sample {
    let mut s = take();
    let mut tries = 0;
    while !s.proven && tries < RETAKES {
        proof.retaken += 1;
        tries += 1;
        s = take();
    }
    if !s.proven {
        proof.unproven += 1;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;

    /// A watch that checks after every chunk, however short.
    fn zero(sources: Vec<&dyn Fn() -> u64>) -> Watch<'_> {
        Watch::with_min_chunk(sources, Duration::ZERO)
    }

    #[test]
    fn chunks_shorter_than_the_minimum_are_merged() {
        // The contender advances only in every other chunk; with chunks far shorter than
        // MIN_CHUNK, the checks cover several chunks each and the sample is proven.
        let p = Progress::new();
        let read = || p.get();
        let mut chunk = 0;
        let s = timed_in_chunks(8, vec![&read], |_| {
            chunk += 1;
            if chunk % 2 == 0 {
                p.tick();
            }
        });
        assert!(s.proven, "shorter than MIN_CHUNK: not checked");
        // Checked after every chunk, the same pattern is unproven.
        let mut chunk = 0;
        let s = chunked(8, zero(vec![&read]), |_| {
            chunk += 1;
            if chunk % 2 == 0 {
                p.tick();
            }
        });
        assert!(!s.proven);
    }

    #[test]
    fn a_contender_that_never_runs_leaves_the_sample_unproven() {
        let idle = Progress::new();
        let read = || idle.get();
        let s = chunked(1000, zero(vec![&read]), |n| {
            std::hint::black_box(n);
        });
        assert!(!s.proven);
        // The same over chunks of MIN_CHUNK or more.
        let s = timed_in_chunks(8, vec![&read], |_| {
            let t = Instant::now();
            while t.elapsed() < MIN_CHUNK {
                std::hint::spin_loop();
            }
        });
        assert!(!s.proven);
    }

    #[test]
    fn a_contender_that_stops_halfway_leaves_the_sample_unproven() {
        let p = Progress::new();
        let read = || p.get();
        let mut chunk = 0;
        let s = chunked(800, zero(vec![&read]), |_| {
            chunk += 1;
            if chunk <= 4 {
                p.tick();
            }
        });
        assert_eq!(chunk, 8);
        assert!(!s.proven);
    }

    #[test]
    fn a_contender_advancing_every_chunk_or_done_proves_the_sample() {
        let (a, b) = (Progress::new(), Progress::new());
        let (ra, rb) = (|| a.get(), || b.get());
        let mut chunk = 0;
        let s = chunked(8, zero(vec![&ra, &rb]), |n| {
            assert_eq!(n, 1);
            chunk += 1;
            a.tick();
            // b finishes its share after three chunks: finished is not starved.
            if chunk < 3 {
                b.tick();
            } else {
                b.done();
            }
        });
        assert!(s.proven);
        // Fewer iterations than chunks: one chunk per iteration.
        a.done();
        let mut calls = 0;
        let s = chunked(3, zero(vec![&ra]), |_| calls += 1);
        assert_eq!(calls, 3);
        assert!(s.proven, "a is done, so it counts as advancing");
    }

    #[test]
    fn a_real_background_thread_proves_its_samples() {
        let p = Arc::new(Progress::new());
        let stop = Arc::new(AtomicBool::new(false));
        let (bp, bs) = (Arc::clone(&p), Arc::clone(&stop));
        let h = std::thread::spawn(move || {
            while !bs.load(Ordering::Relaxed) {
                bp.tick();
            }
        });
        while p.get() == 0 {
            std::thread::yield_now();
        }
        let read = || p.get();
        let mut proof = Proof::default();
        // Each chunk lasts ~20 ms, several of the scheduler's time slices: ample time for the
        // running thread to tick on a machine with two CPUs or with one, and also when the
        // other tests of a parallel `cargo test` keep the CPUs busy or the VM's host is slow to
        // run a thread that became runnable (2 ms chunks failed all eleven tries once in CI).
        let s = take_proven(
            || {
                timed_in_chunks(8, vec![&read], |_| {
                    let t = Instant::now();
                    while t.elapsed() < Duration::from_millis(20) {
                        std::thread::yield_now();
                    }
                })
            },
            &mut proof,
        );
        stop.store(true, Ordering::Relaxed);
        h.join().unwrap();
        assert!(s.proven, "{proof:?}");
    }

    #[test]
    fn stamps_must_cover_every_chunk_of_a_long_enough_span() {
        let ms = Duration::from_millis;
        let every = |step: u64, until: u64| -> Vec<Duration> {
            (0..until / step)
                .map(|k| Duration::from_micros(k * step))
                .collect()
        };
        let span = ms(10);
        // Two agents stamping every 20 µs throughout: covered.
        assert!(stamps_cover(
            &[every(20, 10_000), every(20, 10_000)],
            span,
            2
        ));
        // The second stops after 6 ms: the last chunks have none of its stamps.
        assert!(!stamps_cover(
            &[every(20, 10_000), every(20, 6_000)],
            span,
            2
        ));
        // One that never committed.
        assert!(!stamps_cover(&[every(20, 10_000), vec![]], span, 2));
        // Only one of the two needs to run throughout when one is asked for.
        assert!(stamps_cover(&[every(20, 10_000), vec![]], span, 1));
        // Three taking turns (each active in two thirds of the span, one at a time never): two
        // at once in every chunk is met only where the turns overlap.
        let from = |a: u64, b: u64| -> Vec<Duration> {
            (a / 20..b / 20)
                .map(|k| Duration::from_micros(k * 20))
                .collect()
        };
        let turns = [from(0, 6_700), from(3_300, 10_000), from(0, 10_000)];
        assert!(stamps_cover(&turns, span, 2));
        assert!(!stamps_cover(&turns, span, 3));
        // A span too short to tell (chunks under MIN_CHUNK): not checked.
        assert!(stamps_cover(
            &[every(1, 60), vec![]],
            Duration::from_micros(60),
            2
        ));
        // Stamps too sparse for the chunks (a stamp every 2 ms, chunks of 1.25 ms): not checked.
        assert!(stamps_cover(
            &[every(2_000, 10_000), every(2_000, 10_000)],
            span,
            2
        ));
    }

    #[test]
    fn every_source_must_take_part_once_the_stamps_suffice() {
        let stamps = |n: usize| vec![Duration::ZERO; n];
        assert!(all_took_part(&[stamps(40), stamps(30)], 32));
        // One starved while the other has enough for both: caught.
        assert!(!all_took_part(&[stamps(80), vec![]], 32));
        // Too few stamps to tell a starved source from one not yet served.
        assert!(all_took_part(&[stamps(40), vec![]], 32));
    }

    #[test]
    fn no_thread_passes_the_start_line_before_all_arrive() {
        let line = StartLine::new(3);
        let passed = AtomicU64::new(0);
        std::thread::scope(|s| {
            for k in 0..3u64 {
                let (line, passed) = (&line, &passed);
                s.spawn(move || {
                    if k == 2 {
                        // The last one arrives only once the other two are waiting at the
                        // line; nobody may have passed before it.
                        while line.arrived.load(Ordering::SeqCst) < 2 {
                            std::thread::yield_now();
                        }
                        assert_eq!(passed.load(Ordering::SeqCst), 0);
                    }
                    line.wait();
                    passed.fetch_add(1, Ordering::SeqCst);
                });
            }
        });
        assert_eq!(passed.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn unproven_samples_are_retaken_then_counted() {
        let mut proof = Proof::default();
        let mut calls = 0;
        let s = take_proven(
            || {
                calls += 1;
                Sample {
                    elapsed: Duration::from_nanos(calls),
                    proven: calls == 3,
                }
            },
            &mut proof,
        );
        assert_eq!((s.proven, calls), (true, 3));
        assert_eq!(
            proof,
            Proof {
                retaken: 2,
                unproven: 0
            }
        );
        let s = take_proven(
            || Sample {
                elapsed: Duration::ZERO,
                proven: false,
            },
            &mut proof,
        );
        assert!(!s.proven);
        assert_eq!(proof.retaken, 2 + u64::from(RETAKES));
        assert_eq!(proof.unproven, 1);
    }
}
