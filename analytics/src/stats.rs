//! Statistical tests and intervals shared by incrementality (metrics 18–20, the ROI view) and
//! experiments. Distribution functions come from `statrs`; only the textbook formulas on top of
//! them are written here, each checked against published values in the tests.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ChiSquared, ContinuousCDF, Normal, StudentsT};

/// A two-sided interval.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

impl Interval {
    pub fn contains(&self, x: f64) -> bool {
        self.low <= x && x <= self.high
    }
}

/// A test statistic with its two-sided p-value.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TestResult {
    pub statistic: f64,
    pub p_value: f64,
    /// Degrees of freedom, where the test has them (Welch, chi-square).
    pub degrees_of_freedom: Option<f64>,
}

fn standard_normal() -> Normal {
    Normal::new(0.0, 1.0).expect("the standard normal is valid")
}

/// The z with `P(|Z| ≤ z) = confidence`, e.g. 1.959964 for 0.95.
pub fn z_for(confidence: f64) -> f64 {
    standard_normal().inverse_cdf(0.5 + confidence / 2.0)
}

/// Two-sided p-value of a standard normal statistic.
pub fn normal_p_value(z: f64) -> f64 {
    2.0 * standard_normal().sf(z.abs())
}

/// Wilson's score interval for a proportion (good for small counts and rates near 0 or 1).
pub fn wilson(successes: u64, n: u64, confidence: f64) -> Option<Interval> {
    if n == 0 || successes > n {
        return None;
    }
    let z = z_for(confidence);
    let (x, n) = (successes as f64, n as f64);
    let p = x / n;
    let z2 = z * z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = z / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Some(Interval { low: (centre - half).max(0.0), high: (centre + half).min(1.0) })
}

/// Newcombe's hybrid score interval (his method 10) for the difference p1 − p2 of two
/// independent proportions, built from the two Wilson intervals.
pub fn newcombe_difference(x1: u64, n1: u64, x2: u64, n2: u64, confidence: f64) -> Option<Interval> {
    let a = wilson(x1, n1, confidence)?;
    let b = wilson(x2, n2, confidence)?;
    let (p1, p2) = (x1 as f64 / n1 as f64, x2 as f64 / n2 as f64);
    let d = p1 - p2;
    let low = d - ((p1 - a.low).powi(2) + (b.high - p2).powi(2)).sqrt();
    let high = d + ((a.high - p1).powi(2) + (p2 - b.low).powi(2)).sqrt();
    Some(Interval { low, high })
}

/// The pooled two-proportion z-test of p1 = p2 (no continuity correction).
pub fn two_proportion_z(x1: u64, n1: u64, x2: u64, n2: u64) -> Option<TestResult> {
    if n1 == 0 || n2 == 0 {
        return None;
    }
    let (n1f, n2f) = (n1 as f64, n2 as f64);
    let pooled = (x1 + x2) as f64 / (n1f + n2f);
    let se = (pooled * (1.0 - pooled) * (1.0 / n1f + 1.0 / n2f)).sqrt();
    if se == 0.0 {
        return None;
    }
    let z = (x1 as f64 / n1f - x2 as f64 / n2f) / se;
    Some(TestResult { statistic: z, p_value: normal_p_value(z), degrees_of_freedom: None })
}

/// The interval of a relative lift p1 ÷ p2 − 1 by Katz's log method for the risk ratio:
/// ln(p1/p2) ± z·√((1 − p1)/x1 + (1 − p2)/x2).
pub fn relative_lift(x1: u64, n1: u64, x2: u64, n2: u64, confidence: f64) -> Option<Interval> {
    if x1 == 0 || x2 == 0 || n1 == 0 || n2 == 0 {
        return None;
    }
    let (p1, p2) = (x1 as f64 / n1 as f64, x2 as f64 / n2 as f64);
    let se = ((1.0 - p1) / x1 as f64 + (1.0 - p2) / x2 as f64).sqrt();
    let z = z_for(confidence);
    let log_ratio = (p1 / p2).ln();
    Some(Interval { low: (log_ratio - z * se).exp() - 1.0, high: (log_ratio + z * se).exp() - 1.0 })
}

/// Sample summary for Welch's test.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub n: u64,
    pub mean: f64,
    /// Sample variance (n − 1 in the denominator).
    pub variance: f64,
}

impl Summary {
    /// From a count, a sum and a sum of squares (how the rollups keep revenue per user).
    pub fn from_sums(n: u64, sum: f64, sum_of_squares: f64) -> Summary {
        if n == 0 {
            return Summary::default();
        }
        let nf = n as f64;
        let mean = sum / nf;
        let variance = if n > 1 { ((sum_of_squares - nf * mean * mean) / (nf - 1.0)).max(0.0) } else { 0.0 };
        Summary { n, mean, variance }
    }

    pub fn of(values: &[f64]) -> Summary {
        let sum: f64 = values.iter().sum();
        let n = values.len() as u64;
        if n == 0 {
            return Summary::default();
        }
        let mean = sum / n as f64;
        let variance = if n > 1 { values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64 } else { 0.0 };
        Summary { n, mean, variance }
    }
}

/// Welch's unequal-variances t-test of mean1 = mean2, with the Welch–Satterthwaite degrees of
/// freedom, and the interval of the difference mean1 − mean2.
pub fn welch(a: Summary, b: Summary, confidence: f64) -> Option<(TestResult, Interval)> {
    if a.n < 2 || b.n < 2 {
        return None;
    }
    let (va, vb) = (a.variance / a.n as f64, b.variance / b.n as f64);
    let se = (va + vb).sqrt();
    if se == 0.0 {
        return None;
    }
    let df = (va + vb).powi(2) / (va.powi(2) / (a.n - 1) as f64 + vb.powi(2) / (b.n - 1) as f64);
    let t = (a.mean - b.mean) / se;
    let dist = StudentsT::new(0.0, 1.0, df).ok()?;
    let p = 2.0 * dist.sf(t.abs());
    let q = dist.inverse_cdf(0.5 + confidence / 2.0);
    let d = a.mean - b.mean;
    Some((TestResult { statistic: t, p_value: p, degrees_of_freedom: Some(df) }, Interval { low: d - q * se, high: d + q * se }))
}

/// Sample-ratio-mismatch check: chi-square goodness of fit of the observed group sizes against
/// the planned shares (which sum to 1).
pub fn sample_ratio(observed: &[u64], planned_shares: &[f64]) -> Option<TestResult> {
    if observed.len() != planned_shares.len() || observed.len() < 2 {
        return None;
    }
    let total: u64 = observed.iter().sum();
    if total == 0 || planned_shares.iter().any(|s| *s <= 0.0) {
        return None;
    }
    let statistic: f64 = observed
        .iter()
        .zip(planned_shares)
        .map(|(o, s)| {
            let expected = s * total as f64;
            (*o as f64 - expected).powi(2) / expected
        })
        .sum();
    let df = (observed.len() - 1) as f64;
    let p = ChiSquared::new(df).ok()?.sf(statistic);
    Some(TestResult { statistic, p_value: p, degrees_of_freedom: Some(df) })
}

/// The smallest absolute difference in proportions a two-sided test at `alpha` detects with
/// `power`, for a baseline rate and the two group sizes (normal approximation, the baseline's
/// variance in both groups).
pub fn minimum_detectable_effect(baseline: f64, n1: u64, n2: u64, alpha: f64, power: f64) -> Option<f64> {
    if n1 == 0 || n2 == 0 || !(0.0..1.0).contains(&baseline) || baseline == 0.0 {
        return None;
    }
    let normal = standard_normal();
    let z = normal.inverse_cdf(1.0 - alpha / 2.0) + normal.inverse_cdf(power);
    Some(z * (baseline * (1.0 - baseline) * (1.0 / n1 as f64 + 1.0 / n2 as f64)).sqrt())
}

/// Users needed per group to detect an absolute difference `effect` from `baseline` (two-sided
/// test at `alpha` with `power`; each group's own variance).
pub fn sample_size_per_group(baseline: f64, effect: f64, alpha: f64, power: f64) -> Option<u64> {
    let treated = baseline + effect;
    if effect == 0.0 || !(0.0..1.0).contains(&baseline) || !(0.0..=1.0).contains(&treated) {
        return None;
    }
    let normal = standard_normal();
    let z = normal.inverse_cdf(1.0 - alpha / 2.0) + normal.inverse_cdf(power);
    let variance = baseline * (1.0 - baseline) + treated * (1.0 - treated);
    Some((z * z * variance / (effect * effect)).ceil() as u64)
}

/// The median of a list (the mean of the two middle values for an even count).
pub fn median(values: &mut [f64]) -> Option<f64> {
    percentile(values, 0.5)
}

/// A percentile by linear interpolation between closest ranks (the "R-7" definition that
/// spreadsheets and PostgreSQL's `percentile_cont` use). Reorders `values` (linear time: only
/// the two ranks it needs are put in place).
pub fn percentile(values: &mut [f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let rank = q.clamp(0.0, 1.0) * (values.len() - 1) as f64;
    let below = rank.floor() as usize;
    let (_, low, upper) = values.select_nth_unstable_by(below, f64::total_cmp);
    let low = *low;
    let high = if rank > below as f64 { upper.iter().copied().min_by(f64::total_cmp).unwrap_or(low) } else { low };
    Some(low + (high - low) * (rank - below as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance
    }

    #[test]
    fn wilson_matches_newcombe_1998_single_proportion_example() {
        // Newcombe, R. G. (1998). Two-sided confidence intervals for the single proportion.
        // Statistics in Medicine 17, 857–872: 81/263, Wilson score interval 0.2553 to 0.3662.
        let i = wilson(81, 263, 0.95).unwrap();
        assert!(close(i.low, 0.2553, 5e-5) && close(i.high, 0.3662, 5e-5), "{i:?}");
    }

    #[test]
    fn newcombe_matches_newcombe_1998_difference_example() {
        // Newcombe, R. G. (1998). Interval estimation for the difference between independent
        // proportions. Statistics in Medicine 17, 873–890, example (a): 56/70 − 48/80,
        // method 10: 0.0524 to 0.3339.
        let i = newcombe_difference(56, 70, 48, 80, 0.95).unwrap();
        assert!(close(i.low, 0.0524, 5e-5) && close(i.high, 0.3339, 5e-5), "{i:?}");
    }

    #[test]
    fn two_proportion_z_matches_openintro_mammogram_example() {
        // Diez, Çetinkaya-Rundel, Barr: OpenIntro Statistics (4th ed.), section 6.2.3, the
        // mammogram study: 500 of 44,925 vs 505 of 44,910 deaths; Z ≈ −0.16, p-value ≈ 0.87.
        let t = two_proportion_z(500, 44_925, 505, 44_910).unwrap();
        assert!(close(t.statistic, -0.164, 1e-3), "{t:?}");
        assert!(close(t.p_value, 0.8698, 1e-4), "{t:?}");
        // And Newcombe's example (a) as a test: z = 2.650, p = 0.0080 (R: prop.test(c(56, 48),
        // c(70, 80), correct = FALSE) gives X-squared = 7.0234 = z², p-value = 0.008045).
        let t = two_proportion_z(56, 70, 48, 80).unwrap();
        assert!(close(t.statistic, 2.6502, 1e-4) && close(t.p_value, 0.008045, 1e-6), "{t:?}");
    }

    #[test]
    fn relative_lift_matches_the_katz_risk_ratio_interval() {
        // Katz, Baptista, Azen, Pike (1978), Biometrics 34, 469–474: the log interval of a risk
        // ratio. Newcombe's 56/70 vs 48/80 → ratio 1.3333, interval 1.0766 to 1.6512
        // (statsmodels `confint_proportions_2indep(compare="ratio", method="log")` agrees).
        let i = relative_lift(56, 70, 48, 80, 0.95).unwrap();
        assert!(close(i.low, 0.0766, 5e-5) && close(i.high, 0.6512, 5e-5), "{i:?}");
        assert!(relative_lift(0, 10, 3, 10, 0.95).is_none());
    }

    #[test]
    fn welch_matches_the_reference_example() {
        // Wikipedia, "Welch's t-test", example 1 (two samples of 15): t = −2.46, ν ≈ 25.0,
        // p = 0.021 (scipy.stats.ttest_ind(equal_var=False): −2.455356, 24.98853, 0.021378).
        let a = [27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4];
        let b = [27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4];
        let (t, interval) = welch(Summary::of(&a), Summary::of(&b), 0.95).unwrap();
        assert!(close(t.statistic, -2.455356, 1e-5), "{t:?}");
        assert!(close(t.degrees_of_freedom.unwrap(), 24.98853, 1e-4), "{t:?}");
        assert!(close(t.p_value, 0.021378, 1e-5), "{t:?}");
        assert!(interval.high < 0.0 && interval.contains(Summary::of(&a).mean - Summary::of(&b).mean));
        // The same from sums, as the rollups keep them.
        let sums = |v: &[f64]| Summary::from_sums(v.len() as u64, v.iter().sum(), v.iter().map(|x| x * x).sum());
        let (t2, _) = welch(sums(&a), sums(&b), 0.95).unwrap();
        assert!(close(t.statistic, t2.statistic, 1e-9));
    }

    #[test]
    fn sample_ratio_matches_the_chi_square_table() {
        // 4,950 vs 5,050 against 50/50: chi-square 1.0 on 1 df, p = 0.3173 (any chi-square
        // table; scipy.stats.chisquare gives 0.317311).
        let t = sample_ratio(&[4_950, 5_050], &[0.5, 0.5]).unwrap();
        assert!(close(t.statistic, 1.0, 1e-12) && close(t.p_value, 0.317311, 1e-6), "{t:?}");
        // A 10% holdout that came out at 12% of 10,000 users is a mismatch.
        assert!(sample_ratio(&[8_800, 1_200], &[0.9, 0.1]).unwrap().p_value < 0.001);
    }

    #[test]
    fn sample_size_matches_the_standard_formula() {
        // 10% → 12% at α = 0.05, 80% power: (1.95996 + 0.84162)² × (0.09 + 0.1056) / 0.02²
        // = 3,838.1 → 3,839 per group (Fleiss, Statistical Methods for Rates and Proportions,
        // the unpooled normal approximation without continuity correction).
        assert_eq!(sample_size_per_group(0.10, 0.02, 0.05, 0.80), Some(3_839));
        // And the detectable effect with 3,839 per group comes back to about 2 points.
        let mde = minimum_detectable_effect(0.10, 3_839, 3_839, 0.05, 0.80).unwrap();
        assert!(mde > 0.018 && mde < 0.0205, "{mde}");
    }

    #[test]
    fn percentiles_interpolate_like_percentile_cont() {
        let mut v = vec![4.0, 1.0, 3.0, 2.0];
        assert_eq!(median(&mut v), Some(2.5));
        assert!(close(percentile(&mut v, 0.95).unwrap(), 3.85, 1e-12));
        assert_eq!(median(&mut []), None);
    }
}
