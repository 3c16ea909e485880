//! Change points in a series of measurements over commits: E-divisive means (Matteson & James,
//! 2014) with a Student t-test as its significance check, the method of Apache Otava (ex Hunter).
//!
//! A split of a segment is scored with the energy statistic of its two halves,
//! `Q(τ) = τ(n−τ)/n · (2·mean|xᵢ−yⱼ| − mean|xᵢ−xₖ| − mean|yⱼ−yₖ|)`, which grows with any
//! difference in distribution and needs no assumption about its shape. The best split is kept
//! when Welch's t-test between the two halves gives `p < max_p`, then each half is searched the
//! same way. Afterwards every change point is re-tested against its neighbours' segments only
//! (the weakest dropped first, until all pass), since a split found early in a long segment can
//! lose its support once the other steps are known.
//!
//! Long series are searched in windows of [`Settings::window`] points overlapping by half, so
//! an old, large step does not hide a recent, small one, and the cost stays O(window³).
//!
//! Pure: no I/O. The detector's false-alarm rate and power on real runs are in
//! docs/BENCHMARKS.md ("History").

/// How the search runs (`cargo xtask history --window N --max-p P --min-change PCT`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Points per window (Otava's default 50: long enough for a t-test on each side, short
    /// enough that an old step does not dominate).
    pub window: usize,
    /// Largest p-value of the t-test that still counts as a change (Otava's default 0.001: with
    /// a few dozen benches a run, 0.05 would flag one bench in most histories).
    pub max_p: f64,
    /// Smallest relative change of the mean reported (0 reports every significant one).
    pub min_change: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            window: 50,
            max_p: 0.001,
            min_change: 0.0,
        }
    }
}

/// Fewest points on either side of a change point: a t-test on fewer says little, and the best
/// of many short splits is too often an outlier.
pub const MIN_SEGMENT: usize = 4;

/// A change in the series: `index` is the first point after it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChangePoint {
    /// Index of the first point after the change.
    pub index: usize,
    /// Means of the segments on either side (between the neighbouring change points).
    pub before: f64,
    /// Mean of the segment after the change.
    pub after: f64,
    /// `after / before − 1`.
    pub change: f64,
    /// Two-sided p-value of Welch's t-test between the two segments.
    pub p: f64,
}

/// The change points of `xs`, in order.
pub fn detect(xs: &[f64], s: &Settings) -> Vec<ChangePoint> {
    let window = s.window.max(2 * MIN_SEGMENT);
    let mut found: Vec<usize> = Vec::new();
    let mut start = 0;
    loop {
        let end = (start + window).min(xs.len());
        split(&xs[start..end], start, s.max_p, &mut found);
        if end == xs.len() {
            break;
        }
        start += window / 2;
    }
    found.sort_unstable();
    found.dedup();
    // Overlapping windows can find one step at neighbouring points: keep the first of a run of
    // points closer than a segment.
    let mut cps: Vec<usize> = Vec::new();
    for i in found {
        if cps.last().is_none_or(|&l| i >= l + MIN_SEGMENT) {
            cps.push(i);
        }
    }
    prune(xs, &mut cps, s.max_p);
    let mut out = with_segments(xs, &cps);
    out.retain(|c| c.change.abs() >= s.min_change);
    out
}

/// Finds the best split of `xs` (which starts at `offset` in the series), keeps it if the t-test
/// agrees, and searches both halves.
fn split(xs: &[f64], offset: usize, max_p: f64, found: &mut Vec<usize>) {
    let Some(tau) = best_split(xs) else {
        return;
    };
    let (a, b) = xs.split_at(tau);
    if welch_p(a, b) * splits(xs.len()) >= max_p {
        return;
    }
    found.push(offset + tau);
    split(a, offset, max_p, found);
    split(b, offset + tau, max_p, found);
}

/// How many splits a segment of `n` points offers: the t-test's p-value of the best one is
/// multiplied by it (Bonferroni), since the best of many splits of pure noise looks significant
/// far more often than one split chosen in advance (the test's 200 normal-noise series of 30
/// points: 3 change points at `p < 0.001` without it, 1 with it).
fn splits(n: usize) -> f64 {
    (n + 1).saturating_sub(2 * MIN_SEGMENT).max(1) as f64
}

/// The split `τ` (points `..τ` and `τ..`) with the largest energy statistic, each side at least
/// [`MIN_SEGMENT`] long; `None` if the segment is too short or constant.
pub fn best_split(xs: &[f64]) -> Option<usize> {
    let n = xs.len();
    if n < 2 * MIN_SEGMENT {
        return None;
    }
    // Pairwise distances once; prefix sums over rows make each τ cheap enough for a window.
    let d = |i: usize, j: usize| (xs[i] - xs[j]).abs();
    let mut best: Option<(usize, f64)> = None;
    for tau in MIN_SEGMENT..=n - MIN_SEGMENT {
        let (m, k) = (tau as f64, (n - tau) as f64);
        let mut between = 0.0;
        for i in 0..tau {
            for j in tau..n {
                between += d(i, j);
            }
        }
        let within = |lo: usize, hi: usize| {
            let mut s = 0.0;
            for i in lo..hi {
                for j in i + 1..hi {
                    s += d(i, j);
                }
            }
            let pairs = ((hi - lo) * (hi - lo - 1) / 2) as f64;
            s / pairs
        };
        let e = 2.0 * between / (m * k) - within(0, tau) - within(tau, n);
        let q = m * k / (m + k) * e;
        if q > 0.0 && best.is_none_or(|(_, b)| q > b) {
            best = Some((tau, q));
        }
    }
    best.map(|(t, _)| t)
}

/// Two-sided p-value of Welch's t-test for a difference of means between `a` and `b`: 1 when it
/// cannot tell (a side with fewer than two points, or no variance on either side and equal
/// means); 0 when neither side varies and the means differ (a deterministic series that moved).
pub fn welch_p(a: &[f64], b: &[f64]) -> f64 {
    if a.len() < 2 || b.len() < 2 {
        return 1.0;
    }
    let (ma, sa) = crate::stats::mean_and_sd(a);
    let (mb, sb) = crate::stats::mean_and_sd(b);
    let (va, vb) = (sa * sa / a.len() as f64, sb * sb / b.len() as f64);
    let se2 = va + vb;
    // A difference below the values' own rounding is no difference (deterministic counts read
    // back from text differ in the last digits).
    let scale = ma.abs().max(mb.abs()).max(f64::MIN_POSITIVE);
    if se2 <= (scale * 1e-12).powi(2) {
        return if (ma - mb).abs() <= scale * 1e-12 {
            1.0
        } else {
            0.0
        };
    }
    let t = (ma - mb) / se2.sqrt();
    let df = se2 * se2
        / (va * va / (a.len() - 1) as f64 + vb * vb / (b.len() - 1) as f64).max(f64::MIN_POSITIVE);
    let p = 2.0 * (1.0 - distrs::StudentsT::cdf(t.abs(), df.max(1.0)));
    p.clamp(0.0, 1.0)
}

/// Drops the change point whose t-test between its neighbouring segments is weakest, while any
/// is not significant.
fn prune(xs: &[f64], cps: &mut Vec<usize>, max_p: f64) {
    loop {
        let weakest = with_segments(xs, cps)
            .iter()
            .enumerate()
            .map(|(k, c)| (k, c.p))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        match weakest {
            Some((k, p)) if p >= max_p => {
                cps.remove(k);
            }
            _ => return,
        }
    }
}

/// Each change point with the segments between its neighbours.
fn with_segments(xs: &[f64], cps: &[usize]) -> Vec<ChangePoint> {
    let mut out = Vec::with_capacity(cps.len());
    for (k, &i) in cps.iter().enumerate() {
        let lo = if k == 0 { 0 } else { cps[k - 1] };
        let hi = cps.get(k + 1).copied().unwrap_or(xs.len());
        let (a, b) = (&xs[lo..i], &xs[i..hi]);
        let (before, after) = (mean(a), mean(b));
        out.push(ChangePoint {
            index: i,
            before,
            after,
            change: if before != 0.0 {
                after / before - 1.0
            } else {
                0.0
            },
            p: welch_p(a, b),
        });
    }
    out
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic normal noise (splitmix64 + Box–Muller), so the tests' counts are exact.
    struct Noise(u64);
    impl Noise {
        fn uniform(&mut self) -> f64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            ((z >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        }
        fn normal(&mut self) -> f64 {
            let (u, v) = (self.uniform(), self.uniform());
            (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
        }
        /// `n` values around `level` with relative standard deviation `cv`.
        fn series(&mut self, n: usize, level: f64, cv: f64) -> Vec<f64> {
            (0..n).map(|_| level * (1.0 + cv * self.normal())).collect()
        }
    }

    #[test]
    fn a_step_is_found_where_it_is() {
        let mut hits = 0;
        let mut misses = Vec::new();
        for seed in 1..=20u64 {
            let mut noise = Noise(seed * 7919);
            let mut xs = noise.series(15, 100.0, 0.01);
            xs.extend(noise.series(15, 103.0, 0.01));
            let cps = detect(&xs, &Settings::default());
            if cps.len() == 1 && cps[0].index == 15 {
                hits += 1;
                assert!((cps[0].change - 0.03).abs() < 0.01, "{cps:?}");
            } else {
                misses.push(cps);
            }
        }
        // A 3% step in 1% noise, 15 points each side: found at the right point almost always.
        assert!(
            hits >= 18,
            "found at 15 in {hits} of 20 series; the others: {misses:?}"
        );
    }

    #[test]
    fn noise_has_no_change_points() {
        let mut false_alarms = 0;
        for seed in 1..=200u64 {
            let xs = Noise(seed * 104_729).series(30, 100.0, 0.01);
            false_alarms += detect(&xs, &Settings::default()).len();
        }
        assert!(
            false_alarms <= 2,
            "{false_alarms} change points in 200 noise series"
        );
    }

    #[test]
    fn deterministic_series_change_exactly_where_they_move() {
        let mut xs = vec![1000.0; 12];
        xs.extend(vec![1010.0; 12]);
        let cps = detect(&xs, &Settings::default());
        assert_eq!(cps.len(), 1);
        assert_eq!(cps[0].index, 12);
        assert_eq!(cps[0].p, 0.0);
        assert!((cps[0].change - 0.01).abs() < 1e-12);
        assert!(detect(&[1000.0; 30], &Settings::default()).is_empty());
    }

    #[test]
    fn two_steps_in_one_series_are_both_found() {
        let mut noise = Noise(42);
        let mut xs = noise.series(20, 100.0, 0.005);
        xs.extend(noise.series(20, 105.0, 0.005));
        xs.extend(noise.series(20, 101.0, 0.005));
        let at: Vec<usize> = detect(&xs, &Settings::default())
            .iter()
            .map(|c| c.index)
            .collect();
        assert_eq!(at, vec![20, 40]);
    }

    #[test]
    fn windows_find_a_recent_step_in_a_long_series() {
        let mut noise = Noise(9);
        let mut xs = noise.series(110, 100.0, 0.01);
        xs.extend(noise.series(10, 104.0, 0.01));
        let cps = detect(&xs, &Settings::default());
        assert_eq!(cps.len(), 1, "{cps:?}");
        assert_eq!(cps[0].index, 110);
    }

    #[test]
    fn a_creep_in_exact_counts_is_found_inside_it() {
        // 10 runs flat, 10 runs each 0.5% above the last, 10 runs flat at the top.
        let xs: Vec<f64> = (0..30)
            .map(|i: i32| 1e6 * 1.005f64.powi(i.clamp(9, 19) - 9))
            .collect();
        let cps = detect(&xs, &Settings::default());
        assert!(!cps.is_empty(), "a 5% creep over 10 runs is found");
        assert!(
            cps.iter().all(|c| (10..=19).contains(&c.index)),
            "inside the creep: {cps:?}"
        );
    }

    #[test]
    fn min_change_drops_small_significant_changes() {
        let mut xs = vec![1000.0; 12];
        xs.extend(vec![1001.0; 12]);
        let s = Settings {
            min_change: 0.005,
            ..Settings::default()
        };
        assert!(detect(&xs, &s).is_empty());
        assert_eq!(detect(&xs, &Settings::default()).len(), 1);
    }

    #[test]
    fn short_series_have_none() {
        assert!(detect(&[1.0, 2.0, 3.0], &Settings::default()).is_empty());
        assert!(detect(&[], &Settings::default()).is_empty());
        assert_eq!(best_split(&[1.0; 7]), None);
    }

    #[test]
    fn welch_p_is_small_for_separated_samples_and_one_for_equal_ones() {
        assert!(welch_p(&[1.0, 1.1, 0.9, 1.0], &[2.0, 2.1, 1.9, 2.0]) < 1e-4);
        assert!(welch_p(&[1.0, 1.1, 0.9, 1.0], &[1.0, 1.1, 0.9, 1.0]) > 0.99);
        assert_eq!(welch_p(&[1.0], &[2.0, 3.0]), 1.0);
    }
}
