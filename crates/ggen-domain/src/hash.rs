//! FNV-1a, the workspace's one deterministic, seedless hash of bytes: agents digest their output
//! with it and the runtime suite uses it as its unit of real work. Unlike `std`'s `RandomState`
//! it has no per-process seed, so a digest (and an instruction count) repeats across runs.
//! Cost: one xor and one multiply per byte. Also the seedless [`HashMap`] and [`HashSet`] the
//! workspace's code uses, for the same reason.

/// The workspace's hasher for in-process maps: std's SipHash-1-3 with its fixed zero keys
/// (`DefaultHasher::new`), so the same keys land in the same buckets in every process. std's
/// `RandomState` seeds each process differently, which made instruction counts of the hive's
/// benches differ by about 0.05% between identical runs. None of these maps hold untrusted keys
/// chosen to collide (the reason for a random seed).
pub type FixedState = std::hash::BuildHasherDefault<std::hash::DefaultHasher>;
/// A `HashMap` with [`FixedState`]: build it with `HashMap::default()` or `collect()`.
pub type HashMap<K, V> = std::collections::HashMap<K, V, FixedState>;
/// A `HashSet` with [`FixedState`].
pub type HashSet<T> = std::collections::HashSet<T, FixedState>;

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

    #[test]
    fn fixed_maps_iterate_in_the_same_order_every_time() {
        use std::hash::BuildHasher as _;
        // Two separately built states hash alike (RandomState would not, across processes).
        assert_eq!(
            FixedState::default().hash_one("pack-7"),
            FixedState::default().hash_one("pack-7")
        );
        let order = || {
            (0..64)
                .map(|i| (format!("k{i}"), i))
                .collect::<HashMap<_, _>>()
                .into_keys()
                .collect::<Vec<_>>()
        };
        assert_eq!(order(), order());
    }
}
