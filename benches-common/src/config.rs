//! Criterion configuration shared by every suite, selected by `GGEN_BENCH_PROFILE`.
//!
//! | profile | warm-up | measurement | samples | bootstrap resamples | plots |
//! |---------|---------|-------------|---------|---------------------|-------|
//! | `quick` | 100 ms  | 300 ms      | 10      | 10 000              | off   |
//! | `full`  | 3 s     | 5 s         | 100     | 100 000             | off   |
//!
//! `full` is Criterion's own default statistics; it is also what an unset variable means.
//! Plots are always off: the workspace builds Criterion without `plotters`, and `cargo xtask bench`
//! draws its own SVG report. `quick` keeps 10 samples (Criterion's minimum) rather than using
//! `--quick`, which keeps only 2 and so gives no usable confidence interval. Command-line flags
//! given to the bench binary (`--sample-size`, `--warm-up-time`, ...) still override these values,
//! because `criterion_group!` applies `configure_from_args` after this config.

use std::time::Duration;

use criterion::Criterion;
use criterion::measurement::Measurement;

pub use bench_format::{PROFILE_ENV, Profile, UnknownProfile};

/// What a profile means for Criterion (the names live in `bench_format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// Warm-up time per benchmark.
    pub warm_up: Duration,
    /// Measurement time per benchmark.
    pub measurement: Duration,
    /// Samples per benchmark (Criterion requires at least 10).
    pub sample_size: usize,
    /// Bootstrap resamples for Criterion's confidence intervals.
    pub nresamples: usize,
}

/// The Criterion settings of `profile`.
pub fn timing(profile: Profile) -> Timing {
    match profile {
        Profile::Quick => Timing {
            warm_up: Duration::from_millis(100),
            measurement: Duration::from_millis(300),
            sample_size: 10,
            nresamples: 10_000,
        },
        Profile::Full => Timing {
            warm_up: Duration::from_secs(3),
            measurement: Duration::from_secs(5),
            sample_size: 100,
            nresamples: 100_000,
        },
    }
}

/// Applies `profile` to any Criterion (wall time or a custom measurement).
pub fn apply<M: Measurement>(profile: Profile, c: Criterion<M>) -> Criterion<M> {
    let t = timing(profile);
    c.warm_up_time(t.warm_up)
        .measurement_time(t.measurement)
        .sample_size(t.sample_size)
        .nresamples(t.nresamples)
        .without_plots()
}
/// The Criterion config every suite uses: the profile from `GGEN_BENCH_PROFILE`.
///
/// # Panics
/// On an unknown profile name, with a message naming the variable and the accepted values: a bench
/// run with a misspelt profile must not silently take minutes longer than asked for.
pub fn criterion_config() -> Criterion {
    apply(profile_or_exit(), Criterion::default())
}

/// The config for allocation benches: the same profile, measuring bytes allocated per iteration
/// with [`AllocatedBytes`](crate::alloc::AllocatedBytes) (the binary must install the counting
/// allocator).
pub fn allocation_config() -> Criterion<crate::alloc::AllocatedBytes> {
    apply(
        profile_or_exit(),
        Criterion::default().with_measurement(crate::alloc::AllocatedBytes::new()),
    )
}

/// The profile from the environment; an invalid value is reported and the bench binary exits 2.
pub fn profile_or_exit() -> Profile {
    match Profile::from_env() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_is_much_shorter_than_full_and_keeps_a_usable_sample() {
        let q = timing(Profile::Quick);
        let f = timing(Profile::Full);
        assert!(q.warm_up + q.measurement <= Duration::from_millis(500));
        assert!(q.measurement * 10 <= f.measurement);
        // Fewer than 10 samples would make Criterion panic and give no confidence interval.
        assert!(q.sample_size >= 10);
        assert_eq!(f.sample_size, 100);
    }
}
