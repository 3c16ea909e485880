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

/// Name of the environment variable that selects the profile.
pub const PROFILE_ENV: &str = "GGEN_BENCH_PROFILE";

/// A benchmark profile: how long and how many samples each benchmark gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Short runs for a whole-workspace pass in about a minute: 10 samples per bench.
    Quick,
    /// Criterion's default statistics: 100 samples, 3 s warm-up, 5 s measurement.
    Full,
}

/// A `GGEN_BENCH_PROFILE` value that is neither `quick` nor `full`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownProfile(pub String);

impl std::fmt::Display for UnknownProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{PROFILE_ENV}={:?} is not a profile; expected `quick` or `full`",
            self.0
        )
    }
}

impl std::error::Error for UnknownProfile {}

impl Profile {
    /// Parses a profile name (`quick` or `full`, case-insensitive, surrounding spaces ignored).
    pub fn parse(s: &str) -> Result<Self, UnknownProfile> {
        match s.trim().to_ascii_lowercase().as_str() {
            "quick" => Ok(Self::Quick),
            "full" => Ok(Self::Full),
            _ => Err(UnknownProfile(s.to_owned())),
        }
    }

    /// Reads `GGEN_BENCH_PROFILE`; unset or empty means [`Profile::Full`].
    pub fn from_env() -> Result<Self, UnknownProfile> {
        match std::env::var(PROFILE_ENV) {
            Ok(v) if !v.trim().is_empty() => Self::parse(&v),
            _ => Ok(Self::Full),
        }
    }

    /// The profile's name as `GGEN_BENCH_PROFILE` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Quick => "quick",
            Self::Full => "full",
        }
    }

    /// Warm-up time per benchmark.
    pub fn warm_up_time(self) -> Duration {
        match self {
            Self::Quick => Duration::from_millis(100),
            Self::Full => Duration::from_secs(3),
        }
    }

    /// Measurement time per benchmark.
    pub fn measurement_time(self) -> Duration {
        match self {
            Self::Quick => Duration::from_millis(300),
            Self::Full => Duration::from_secs(5),
        }
    }

    /// Samples per benchmark (Criterion requires at least 10).
    pub fn sample_size(self) -> usize {
        match self {
            Self::Quick => 10,
            Self::Full => 100,
        }
    }

    /// Bootstrap resamples for Criterion's confidence intervals.
    pub fn nresamples(self) -> usize {
        match self {
            Self::Quick => 10_000,
            Self::Full => 100_000,
        }
    }

    /// Applies this profile to any Criterion (wall time or a custom measurement).
    pub fn apply<M: Measurement>(self, c: Criterion<M>) -> Criterion<M> {
        c.warm_up_time(self.warm_up_time())
            .measurement_time(self.measurement_time())
            .sample_size(self.sample_size())
            .nresamples(self.nresamples())
            .without_plots()
    }
}

/// The Criterion config every suite uses: the profile from `GGEN_BENCH_PROFILE`.
///
/// # Panics
/// On an unknown profile name, with a message naming the variable and the accepted values: a bench
/// run with a misspelt profile must not silently take minutes longer than asked for.
pub fn criterion_config() -> Criterion {
    profile_or_exit().apply(Criterion::default())
}

/// The config for allocation benches: the same profile, measuring bytes allocated per iteration
/// with [`AllocatedBytes`](crate::alloc::AllocatedBytes) (the binary must install the counting
/// allocator).
pub fn allocation_config() -> Criterion<crate::alloc::AllocatedBytes> {
    profile_or_exit()
        .apply(Criterion::default().with_measurement(crate::alloc::AllocatedBytes::new()))
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
    fn parses_known_profiles_and_rejects_others() {
        assert_eq!(Profile::parse("quick"), Ok(Profile::Quick));
        assert_eq!(Profile::parse(" FULL "), Ok(Profile::Full));
        let err = Profile::parse("fast").unwrap_err();
        assert!(err.to_string().contains("GGEN_BENCH_PROFILE"), "{err}");
        assert!(err.to_string().contains("`quick` or `full`"), "{err}");
    }

    #[test]
    fn quick_is_much_shorter_than_full_and_keeps_a_usable_sample() {
        let q = Profile::Quick;
        let f = Profile::Full;
        assert!(q.warm_up_time() + q.measurement_time() <= Duration::from_millis(500));
        assert!(q.measurement_time() * 10 <= f.measurement_time());
        // Fewer than 10 samples would make Criterion panic and give no confidence interval.
        assert!(q.sample_size() >= 10);
        assert_eq!(f.sample_size(), 100);
    }
}
