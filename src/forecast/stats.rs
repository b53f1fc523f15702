//! Small statistics of the forecast: nearest-rank percentiles over runs and a binomial draw.
//!
//! Percentiles follow docs/events.md's nearest-rank rule (sort ascending, take the value at index ⌈p·n⌉ − 1), here with p
//! in per mille so that the central intervals (2.5 %, 97.5 %) are exact too. Values that mean "not within the
//! horizon" are encoded as [`NEVER`], which sorts after every real day, so a percentile landing on it reads as
//! "not within the horizon" rather than as a date.

use rand::Rng;

/// The encoding of "not within the horizon" (or "no free slot within H days") in per-run arrays.
pub(crate) const NEVER: u32 = u32::MAX;

/// The nearest-rank percentile `per_mille / 1000` of `sorted` (ascending); `None` when empty or when the rank
/// lands on [`NEVER`].
pub(crate) fn nearest_rank_per_mille(sorted: &[u32], per_mille: u32) -> Option<u32> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let rank = (per_mille as usize * n).div_ceil(1000).clamp(1, n);
    Some(sorted[rank - 1]).filter(|&v| v != NEVER)
}

/// A draw from Binomial(n, p).
///
/// Exact by inversion (walking the probability mass function from 0) while the mean is small, which is the usual
/// case for daily cancellations; above a mean of 30 the normal approximation with continuity correction, whose
/// error there is far below the resampling noise of demand. Clamped to 0..=n.
///
/// Every draw takes two uniforms, whichever branch it takes and whatever `n` and `p` are, so that the stream stays
/// in step between runs whose states differ (common random numbers, see `sim`); for the same uniforms the draw
/// grows with `n` and with `p`.
pub(crate) fn binomial<R: Rng>(rng: &mut R, n: u32, p: f64) -> u32 {
    let (u1, u2): (f64, f64) = (rng.random(), rng.random());
    if n == 0 || p <= 0.0 {
        return 0;
    }
    if p >= 1.0 {
        return n;
    }
    let mean = n as f64 * p;
    let q = 1.0 - p;
    // P(X = 0) = qⁿ; it underflows only for p within about 1e-10 of 1, where the normal branch is fine.
    let p_zero = q.powi(n as i32);
    if mean < 30.0 && p_zero > 0.0 {
        let ratio = p / q;
        let mut pmf = p_zero;
        let mut cdf = pmf;
        let u = u1;
        let mut k = 0;
        // Rounding can leave the summed cdf a hair below 1; the k < n bound ends the walk then.
        while u > cdf && k < n {
            pmf *= ratio * (n - k) as f64 / (k + 1) as f64;
            k += 1;
            cdf += pmf;
        }
        k
    } else {
        let sd = (mean * q).sqrt();
        let z = standard_normal(u1, u2);
        (mean + sd * z).round().clamp(0.0, n as f64) as u32
    }
}

/// A draw from Poisson(mean): exact by inversion below a mean of 30, the normal approximation above (as
/// [`binomial`]), two uniforms a draw whatever the mean.
pub(crate) fn poisson<R: Rng>(rng: &mut R, mean: f64) -> u32 {
    let (u1, u2): (f64, f64) = (rng.random(), rng.random());
    if mean <= 0.0 {
        return 0;
    }
    if mean < 30.0 {
        let mut pmf = (-mean).exp();
        let mut cdf = pmf;
        let u = u1;
        let mut k = 0u32;
        // The tail beyond 30 + 10·√30 has no mass worth a draw; the bound ends a walk that rounding left short.
        while u > cdf && k < 100 {
            k += 1;
            pmf *= mean / k as f64;
            cdf += pmf;
        }
        k
    } else {
        (mean + mean.sqrt() * standard_normal(u1, u2)).round().max(0.0) as u32
    }
}

/// A standard normal draw by the Box–Muller transform from two uniforms in [0, 1).
fn standard_normal(u1: f64, u2: f64) -> f64 {
    // 1 − u keeps the logarithm's argument in (0, 1].
    (-2.0 * (1.0 - u1).ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn nearest_rank_matches_the_domain_rule_and_reads_never_as_none() {
        assert_eq!(nearest_rank_per_mille(&[], 500), None);
        let ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        // ⌈0.5·10⌉ − 1 = 4, ⌈0.85·10⌉ − 1 = 8, ⌈0.025·10⌉ − 1 = 0, ⌈0.975·10⌉ − 1 = 9.
        assert_eq!(nearest_rank_per_mille(&ten, 500), Some(5));
        assert_eq!(nearest_rank_per_mille(&ten, 850), Some(9));
        assert_eq!(nearest_rank_per_mille(&ten, 25), Some(1));
        assert_eq!(nearest_rank_per_mille(&ten, 975), Some(10));
        let half_never = [3, 4, NEVER, NEVER];
        assert_eq!(nearest_rank_per_mille(&half_never, 500), Some(4));
        assert_eq!(nearest_rank_per_mille(&half_never, 510), None);
    }

    #[test]
    fn binomial_has_the_right_mean_in_both_branches() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for (n, p) in [(1000_u32, 0.01_f64), (1000, 0.2), (5, 0.9)] {
            let draws = 20_000;
            let sum: u64 = (0..draws).map(|_| binomial(&mut rng, n, p) as u64).sum();
            let mean = sum as f64 / draws as f64;
            let expected = n as f64 * p;
            let sd_of_mean = (expected * (1.0 - p) / draws as f64).sqrt();
            assert!((mean - expected).abs() < 5.0 * sd_of_mean + 0.01, "n={n} p={p}: mean {mean}, expected {expected}");
        }
        assert_eq!(binomial(&mut rng, 0, 0.5), 0);
        assert_eq!(binomial(&mut rng, 7, 0.0), 0);
        assert_eq!(binomial(&mut rng, 7, 1.0), 7);
    }

    #[test]
    fn poisson_has_the_right_mean_and_variance_in_both_branches() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        for mean in [0.3_f64, 4.0, 17.5, 80.0] {
            let draws = 20_000;
            let values: Vec<f64> = (0..draws).map(|_| poisson(&mut rng, mean) as f64).collect();
            let m = values.iter().sum::<f64>() / draws as f64;
            let var = values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (draws - 1) as f64;
            assert!((m - mean).abs() < 5.0 * (mean / draws as f64).sqrt(), "mean {mean}: got {m}");
            assert!((var / mean - 1.0).abs() < 0.1, "mean {mean}: variance {var}");
        }
        assert_eq!(poisson(&mut rng, 0.0), 0);
    }
}
