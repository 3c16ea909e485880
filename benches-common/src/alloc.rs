//! A counting global allocator: bytes and allocations per scope, and a Criterion measurement in
//! bytes allocated per iteration.
//!
//! Install it once per bench (or test) binary with [`install_counting_allocator!`](crate::install_counting_allocator); then
//! [`AllocScope`] reports what a piece of code allocated, and [`AllocatedBytes`] is a Criterion
//! [`Measurement`] whose "time" is bytes allocated, so `estimates.json` holds bytes per iteration.
//!
//! What is counted: every `alloc`, `alloc_zeroed` and `realloc` (a `realloc` counts as one
//! allocation of its new size) made by *any* thread while at least one scope is open. That is
//! deliberate: a runtime created per call allocates on the worker threads it starts, and those bytes
//! are part of its cost. Frees are not subtracted: the figure is allocation traffic, not live memory.
//!
//! Cost: when no scope is open an allocation pays one relaxed atomic load on top of the system
//! allocator; inside a scope it pays two relaxed `fetch_add`s on shared counters, so allocation-heavy
//! multi-threaded code is slightly perturbed while measured. Wall-time benches are unaffected.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use criterion::Throughput;
use criterion::measurement::{Measurement, ValueFormatter};

/// Open scopes; counting happens only while this is non-zero.
static ACTIVE: AtomicUsize = AtomicUsize::new(0);
/// Bytes requested since process start (while counting).
static BYTES: AtomicU64 = AtomicU64::new(0);
/// Allocations since process start (while counting).
static COUNT: AtomicU64 = AtomicU64::new(0);

/// The system allocator, plus counters. Zero-sized; install with [`install_counting_allocator!`](crate::install_counting_allocator).
#[derive(Debug, Default, Clone, Copy)]
pub struct CountingAllocator;

#[inline]
fn record(size: usize) {
    // Relaxed everywhere: the counters are statistics, not synchronisation. A scope reads them
    // after the measured code returned on the same thread, and allocations on other threads are
    // ordered with respect to that read by whatever join/await the measured code itself used.
    if ACTIVE.load(Ordering::Relaxed) != 0 {
        BYTES.fetch_add(size as u64, Ordering::Relaxed);
        COUNT.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so the
// `GlobalAlloc` contract (layout validity, pointer provenance, alignment) is exactly `System`'s.
// The only extra work is updating atomics, which never allocates and never unwinds.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        // SAFETY: forwarded unchanged; the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        // SAFETY: forwarded unchanged; the caller upholds `GlobalAlloc::alloc_zeroed`'s contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was returned by `System` (every allocation above forwards to it) with
        // this `layout`, as the caller guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        record(new_size);
        // SAFETY: `ptr`/`layout` come from `System` as above; the caller upholds `realloc`'s
        // contract for `new_size`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Installs [`CountingAllocator`] as the binary's `#[global_allocator]`.
///
/// Use it once, at the top level of a bench or test binary:
/// `benches_common::install_counting_allocator!();`
#[macro_export]
macro_rules! install_counting_allocator {
    () => {
        #[global_allocator]
        static GGEN_COUNTING_ALLOCATOR: $crate::alloc::CountingAllocator =
            $crate::alloc::CountingAllocator;
    };
}

/// Totals observed by a scope.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AllocStats {
    /// Bytes requested (frees not subtracted).
    pub bytes: u64,
    /// Number of allocations (including reallocations).
    pub allocations: u64,
}

/// Counts allocations from [`AllocScope::start`] until [`AllocScope::finish`] (or drop).
#[derive(Debug)]
#[must_use = "a scope measures until `finish` is called"]
pub struct AllocScope {
    bytes0: u64,
    count0: u64,
    open: bool,
}

impl AllocScope {
    /// Opens a scope and starts counting.
    pub fn start() -> Self {
        ACTIVE.fetch_add(1, Ordering::SeqCst);
        Self {
            bytes0: BYTES.load(Ordering::SeqCst),
            count0: COUNT.load(Ordering::SeqCst),
            open: true,
        }
    }

    /// Closes the scope and returns what was allocated while it was open (by any thread).
    pub fn finish(mut self) -> AllocStats {
        let stats = AllocStats {
            bytes: BYTES.load(Ordering::SeqCst) - self.bytes0,
            allocations: COUNT.load(Ordering::SeqCst) - self.count0,
        };
        self.close();
        stats
    }

    fn close(&mut self) {
        if std::mem::replace(&mut self.open, false) {
            ACTIVE.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

impl Drop for AllocScope {
    fn drop(&mut self) {
        self.close();
    }
}

/// Measures the allocations made by `f`, returning its result and the counts.
pub fn measure<R>(f: impl FnOnce() -> R) -> (R, AllocStats) {
    let scope = AllocScope::start();
    let r = f();
    (r, scope.finish())
}

/// Whether [`CountingAllocator`] is this binary's global allocator.
pub fn is_installed() -> bool {
    let (_, stats) = measure(|| std::hint::black_box(Box::new(std::hint::black_box(7u64))));
    stats.allocations > 0
}

/// A Criterion measurement of bytes allocated (by any thread) while the routine runs.
///
/// With it, Criterion's "time" per iteration is bytes per iteration, and its estimates are in bytes.
/// `Criterion::default().with_measurement(AllocatedBytes::new())`.
#[derive(Debug, Clone, Copy)]
pub struct AllocatedBytes(());

impl AllocatedBytes {
    /// The measurement.
    ///
    /// # Panics
    /// If [`CountingAllocator`] is not installed: every figure would be 0 bytes, which is a wrong
    /// answer rather than a measurement.
    pub fn new() -> Self {
        assert!(
            is_installed(),
            "AllocatedBytes needs the counting allocator: add \
             `benches_common::install_counting_allocator!();` to this bench binary"
        );
        Self(())
    }
}

impl Default for AllocatedBytes {
    fn default() -> Self {
        Self::new()
    }
}

impl Measurement for AllocatedBytes {
    type Intermediate = AllocScope;
    type Value = u64;

    fn start(&self) -> AllocScope {
        AllocScope::start()
    }

    fn end(&self, scope: AllocScope) -> u64 {
        scope.finish().bytes
    }

    fn add(&self, v1: &u64, v2: &u64) -> u64 {
        v1 + v2
    }

    fn zero(&self) -> u64 {
        0
    }

    fn to_f64(&self, value: &u64) -> f64 {
        *value as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        &BytesFormatter
    }
}

/// Formats measured values as bytes (B, KiB, MiB, GiB).
#[derive(Debug, Clone, Copy)]
pub struct BytesFormatter;

fn bytes_scale(typical: f64) -> (f64, &'static str) {
    const K: f64 = 1024.0;
    if typical < K {
        (1.0, "B")
    } else if typical < K * K {
        (K, "KiB")
    } else if typical < K * K * K {
        (K * K, "MiB")
    } else {
        (K * K * K, "GiB")
    }
}

impl ValueFormatter for BytesFormatter {
    fn scale_values(&self, typical_value: f64, values: &mut [f64]) -> &'static str {
        let (div, unit) = bytes_scale(typical_value);
        values.iter_mut().for_each(|v| *v /= div);
        unit
    }

    fn scale_throughputs(
        &self,
        _typical_value: f64,
        throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        let per = match throughput {
            Throughput::Bytes(n) | Throughput::BytesDecimal(n) | Throughput::Elements(n) => *n,
            Throughput::Bits(n) => *n,
            Throughput::ElementsAndBytes { elements, .. } => *elements,
        }
        .max(1) as f64;
        values.iter_mut().for_each(|v| *v /= per);
        "B/elem"
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "B"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocator_is_installed_in_the_test_binary() {
        assert!(is_installed());
    }

    #[test]
    fn scope_counts_bytes_and_allocations() {
        let (v, stats) = measure(|| std::hint::black_box(vec![0u8; 4096]));
        assert_eq!(v.len(), 4096);
        // Other test threads may allocate concurrently while this scope is open, so only lower
        // bounds are exact here.
        assert!(stats.bytes >= 4096, "{stats:?}");
        assert!(stats.allocations >= 1, "{stats:?}");
    }

    #[test]
    fn closed_scope_stops_counting() {
        let scope = AllocScope::start();
        drop(scope);
        let (_, outer) = measure(|| ());
        // An empty closure allocates nothing by itself; concurrent tests could, so allow slack.
        assert!(outer.bytes < 1 << 20, "{outer:?}");
    }

    #[test]
    fn measurement_reports_bytes_per_sample() {
        let m = AllocatedBytes::new();
        let i = m.start();
        let v: Vec<u64> = std::hint::black_box((0..1000).collect());
        let bytes = m.end(i);
        assert_eq!(v.len(), 1000);
        assert!(bytes >= 8000, "{bytes}");
        assert_eq!(m.add(&3, &4), 7);
        assert_eq!(m.zero(), 0);
    }

    #[test]
    fn bytes_formatter_picks_readable_units() {
        let mut v = [2048.0];
        assert_eq!(BytesFormatter.scale_values(2048.0, &mut v), "KiB");
        assert_eq!(v[0], 2.0);
        let mut v = [100.0];
        assert_eq!(BytesFormatter.scale_values(100.0, &mut v), "B");
        let mut v = [3.0 * 1024.0 * 1024.0];
        assert_eq!(BytesFormatter.scale_values(v[0], &mut v), "MiB");
        assert_eq!(v[0], 3.0);
    }
}
