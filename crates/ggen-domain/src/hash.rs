//! FNV-1a, the workspace's one deterministic, seedless hash of bytes: agents digest their output
//! with it and the runtime suite uses it as its unit of real work. Unlike `std`'s `RandomState`
//! it has no per-process seed, so a digest (and an instruction count) repeats across runs.
//! Cost: one xor and one multiply per byte.

/// FNV-1a's 64-bit offset basis: the state of an empty digest.
pub const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

const FNV_PRIME: u64 = 0x100_0000_01b3;

/// FNV-1a over `bytes`, continuing from state `h` (start from [`FNV_OFFSET`]).
pub fn fnv1a(h: u64, bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(h, |h, &b| (h ^ u64::from(b)).wrapping_mul(FNV_PRIME))
}

/// FNV-1a of `bytes` from the offset basis.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    fnv1a(FNV_OFFSET, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_published_test_vectors() {
        // From the FNV reference test suite (64-bit FNV-1a).
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
        assert_eq!(fnv1a(fnv1a64(b"foo"), b"bar"), fnv1a64(b"foobar"));
    }
}
