//! Profile names: what `GGEN_BENCH_PROFILE` may say. What each profile *means* (warm-up,
//! measurement time, samples) lives with the Criterion configuration in `benches-common`.

/// Name of the environment variable that selects the profile.
pub const PROFILE_ENV: &str = "GGEN_BENCH_PROFILE";

/// A benchmark profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Short runs for a whole-workspace pass in about a minute.
    Quick,
    /// Criterion's default statistics.
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_known_profiles_and_rejects_others() {
        assert_eq!(Profile::parse("quick"), Ok(Profile::Quick));
        assert_eq!(Profile::parse(" FULL "), Ok(Profile::Full));
        for p in [Profile::Quick, Profile::Full] {
            assert_eq!(Profile::parse(p.name()), Ok(p));
        }
        let err = Profile::parse("fast").unwrap_err();
        assert!(err.to_string().contains("GGEN_BENCH_PROFILE"), "{err}");
        assert!(err.to_string().contains("`quick` or `full`"), "{err}");
    }
}
