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

/// The interval of the incremental share 1 − p2 ÷ p1 (metric 18: incremental conversions ÷ the
/// treated group's conversions), from Katz's interval of the ratio p1 ÷ p2: the share rises with
/// the ratio, so the ratio's bounds map to the share's.
pub fn incremental_share(x1: u64, n1: u64, x2: u64, n2: u64, confidence: f64) -> Option<Interval> {
    relative_lift(x1, n1, x2, n2, confidence).map(|lift| Interval { low: 1.0 - 1.0 / (1.0 + lift.low), high: 1.0 - 1.0 / (1.0 + lift.high) })
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

/// The users needed per group to detect a difference `effect` in a mean with standard deviation
/// `sd` (two-sided test at `alpha` with `power`, equal groups, the same variance in both).
pub fn sample_size_for_means(sd: f64, effect: f64, alpha: f64, power: f64) -> Option<u64> {
    if effect == 0.0 || !(sd > 0.0) || !effect.is_finite() {
        return None;
    }
    let normal = standard_normal();
    let z = normal.inverse_cdf(1.0 - alpha / 2.0) + normal.inverse_cdf(power);
    Some((2.0 * (z * sd / effect).powi(2)).ceil() as u64)
}

/// Sufficient statistics of an outcome `y` and a pre-period covariate `x` over one group: enough
/// for means, variances, Welch's test and CUPED without keeping the rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Moments {
    pub n: u64,
    pub sum_y: f64,
    pub sum_yy: f64,
    pub sum_x: f64,
    pub sum_xx: f64,
    pub sum_xy: f64,
}

impl Moments {
    pub fn push(&mut self, y: f64, x: f64) {
        self.n += 1;
        self.sum_y += y;
        self.sum_yy += y * y;
        self.sum_x += x;
        self.sum_xx += x * x;
        self.sum_xy += x * y;
    }

    /// Every value multiplied by `k` (ROAS is revenue per user times users ÷ spend).
    pub fn scaled(&self, k: f64) -> Moments {
        Moments {
            sum_y: self.sum_y * k,
            sum_yy: self.sum_yy * k * k,
            sum_xy: self.sum_xy * k,
            ..*self
        }
    }

    /// The outcome alone.
    pub fn summary(&self) -> Summary {
        Summary::from_sums(self.n, self.sum_y, self.sum_yy)
    }

    /// Centred sums of squares and cross-products: (Syy, Sxx, Sxy).
    fn centred(&self) -> (f64, f64, f64) {
        if self.n == 0 {
            return (0.0, 0.0, 0.0);
        }
        let n = self.n as f64;
        (
            (self.sum_yy - self.sum_y * self.sum_y / n).max(0.0),
            (self.sum_xx - self.sum_x * self.sum_x / n).max(0.0),
            self.sum_xy - self.sum_x * self.sum_y / n,
        )
    }
}

/// CUPED (Deng, Xu, Kohavi, Walker 2013, "Improving the sensitivity of online controlled
/// experiments by utilizing pre-experiment data"): each group's mean of y − θ(x − x̄), with θ the
/// slope of y on x pooled within groups (so a treatment effect on y cannot leak into θ). Equals
/// the treatment coefficient of the regression y ~ group + x (ANCOVA).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cuped {
    pub theta: f64,
    /// 1 − the adjusted within-group variance ÷ the unadjusted one, pooled over the groups.
    pub variance_reduction: f64,
    /// Each group's adjusted outcome.
    #[serde(skip)]
    pub adjusted: Vec<Summary>,
}

/// CUPED over groups; `None` when the covariate does not vary within the groups.
pub fn cuped(groups: &[Moments]) -> Option<Cuped> {
    let (mut syy, mut sxx, mut sxy, mut n, mut sum_x) = (0.0, 0.0, 0.0, 0u64, 0.0);
    for g in groups {
        let (yy, xx, xy) = g.centred();
        syy += yy;
        sxx += xx;
        sxy += xy;
        n += g.n;
        sum_x += g.sum_x;
    }
    if n == 0 || !(sxx > 0.0) {
        return None;
    }
    let theta = sxy / sxx;
    let grand_x = sum_x / n as f64;
    let residual =
        |yy: f64, xx: f64, xy: f64| (yy - 2.0 * theta * xy + theta * theta * xx).max(0.0);
    let adjusted = groups
        .iter()
        .map(|g| {
            if g.n == 0 {
                return Summary::default();
            }
            let (yy, xx, xy) = g.centred();
            let nf = g.n as f64;
            let mean = g.sum_y / nf - theta * (g.sum_x / nf - grand_x);
            let variance = if g.n > 1 {
                residual(yy, xx, xy) / (nf - 1.0)
            } else {
                0.0
            };
            Summary {
                n: g.n,
                mean,
                variance,
            }
        })
        .collect();
    let variance_reduction = if syy > 0.0 {
        1.0 - residual(syy, sxx, sxy) / syy
    } else {
        0.0
    };
    Some(Cuped {
        theta,
        variance_reduction,
        adjusted,
    })
}

/// The normal-theory comparison of two group means: the difference a − b, its standard error,
/// the two-sided p-value and the interval (for large groups, where Welch's t is a z).
pub fn normal_difference(
    a: Summary,
    b: Summary,
    confidence: f64,
) -> Option<(f64, f64, TestResult, Interval)> {
    if a.n < 2 || b.n < 2 {
        return None;
    }
    let se = (a.variance / a.n as f64 + b.variance / b.n as f64).sqrt();
    if !(se > 0.0) {
        return None;
    }
    let d = a.mean - b.mean;
    let z = d / se;
    let q = z_for(confidence);
    Some((
        d,
        se,
        TestResult {
            statistic: z,
            p_value: normal_p_value(z),
            degrees_of_freedom: None,
        },
        Interval {
            low: d - q * se,
            high: d + q * se,
        },
    ))
}

/// An always-valid test and confidence sequence for a difference (the mixture sequential
/// probability ratio test with a normal mixing distribution N(0, τ²): Johari, Koomen, Pekelis,
/// Walsh 2017, "Peeking at A/B tests", and Robbins 1970). `estimate` and `variance` are the
/// current difference and its squared standard error. The p-value and interval stay valid however
/// often they are looked at; the p-value is min(1, 1/Λ) with
/// Λ = √(V/(V+τ²))·exp(τ²·d²/(2V(V+τ²))).
pub fn always_valid(
    estimate: f64,
    variance: f64,
    tau_squared: f64,
    alpha: f64,
) -> Option<(f64, Interval)> {
    if !(variance > 0.0) || !(tau_squared > 0.0) || !(0.0..1.0).contains(&alpha) || alpha == 0.0 {
        return None;
    }
    let (v, t) = (variance, tau_squared);
    let log_lambda = 0.5 * (v / (v + t)).ln() + t * estimate * estimate / (2.0 * v * (v + t));
    let p_value = (-log_lambda).exp().min(1.0);
    let half = (v * (v + t) / t * (2.0 * (1.0 / alpha).ln() + ((v + t) / v).ln())).sqrt();
    Some((
        p_value,
        Interval {
            low: estimate - half,
            high: estimate + half,
        },
    ))
}

/// Holm's step-down adjustment (Holm 1979) of a family of p-values, in their original order:
/// the i-th smallest is multiplied by (m − i + 1), then made monotone and capped at 1.
pub fn holm(p_values: &[f64]) -> Vec<f64> {
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    let mut adjusted = vec![1.0; m];
    let mut running = 0.0f64;
    for (rank, &i) in order.iter().enumerate() {
        running = running.max(((m - rank) as f64 * p_values[i]).min(1.0));
        adjusted[i] = running;
    }
    adjusted
}

/// The Bayesian reading of a difference d (variant − control, in the direction where higher is
/// better) with standard error `se`, under a flat prior and the normal approximation of the
/// posterior: the chance that the variant is better, Φ(d/se), and the expected loss of choosing
/// it, E[max(−D, 0)] = se·φ(d/se) − d·Φ(−d/se).
pub fn chance_to_beat(d: f64, se: f64) -> Option<(f64, f64)> {
    if !(se > 0.0) {
        return None;
    }
    let normal = standard_normal();
    let z = d / se;
    let density = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
    Some((normal.cdf(z), (se * density - d * normal.cdf(-z)).max(0.0)))
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
    fn the_incremental_share_interval_maps_the_katz_ratio_bounds() {
        // The same example: share 1 − 0.6 ÷ 0.8 = 0.25; ratio bounds 1.0766 and 1.6512 give
        // 1 − 1/1.0766 = 0.0712 and 1 − 1/1.6512 = 0.3944.
        let i = incremental_share(56, 70, 48, 80, 0.95).unwrap();
        assert!(close(i.low, 0.0712, 1e-4) && close(i.high, 0.3944, 1e-4), "{i:?}");
        assert!(i.contains(0.25));
        assert!(incremental_share(5, 10, 0, 10, 0.95).is_none());
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

    #[test]
    fn cuped_equals_the_ancova_treatment_coefficient_on_a_worked_example() {
        // Deng, Xu, Kohavi, Walker (2013), eq. 3–4: Ŷcv = Ȳ − θ(X̄ − E X), θ = cov(X, Y) ÷ var(X).
        // With θ pooled within groups the adjusted difference is the treatment coefficient of the
        // least-squares fit y ~ 1 + group + x (ANCOVA). Worked by hand for these eight rows
        // (x, y): control (2,3) (4,5) (6,8) (8,8); variant (1,4) (3,5) (5,8) (7,9):
        // Syy = 18 + 17 = 35, Sxx = 20 + 20 = 40, Sxy = 18 + 18 = 36, so θ = 0.9; the fit's
        // normal equations give intercept 1.5, group 1.4, slope 0.9; unadjusted difference
        // 6.5 − 6.0 = 0.5, adjusted 0.5 − 0.9 × (4 − 5) = 1.4; residual 35 − 2·0.9·36 + 0.81·40
        // = 2.6, so the variance falls by 1 − 2.6/35 = 92.57%.
        let group = |rows: &[(f64, f64)]| {
            let mut m = Moments::default();
            for (x, y) in rows {
                m.push(*y, *x);
            }
            m
        };
        let control = group(&[(2.0, 3.0), (4.0, 5.0), (6.0, 8.0), (8.0, 8.0)]);
        let variant = group(&[(1.0, 4.0), (3.0, 5.0), (5.0, 8.0), (7.0, 9.0)]);
        let c = cuped(&[control, variant]).unwrap();
        assert!(close(c.theta, 0.9, 1e-12), "{c:?}");
        assert!(
            close(c.adjusted[1].mean - c.adjusted[0].mean, 1.4, 1e-12),
            "{c:?}"
        );
        assert!(
            close(c.variance_reduction, 1.0 - 2.6 / 35.0, 1e-12),
            "{c:?}"
        );
        assert!(close(
            variant.summary().mean - control.summary().mean,
            0.5,
            1e-12
        ));
        // A covariate that never varies gives nothing to adjust with.
        let flat = group(&[(1.0, 3.0), (1.0, 5.0)]);
        assert!(cuped(&[flat, flat]).is_none());
    }

    #[test]
    fn sample_size_for_means_matches_the_textbook_half_sd_effect() {
        // n = 2(z₀.₉₇₅ + z₀.₈)²σ² ÷ δ² (e.g. Chow, Shao, Wang, Sample Size Calculations in
        // Clinical Research, 2nd ed., 3.2.1): δ = σ/2 at α = 0.05 and 80% power needs
        // 2 × 2.8016² × 4 = 62.79 → 63 per group.
        assert_eq!(sample_size_for_means(10.0, 5.0, 0.05, 0.80), Some(63));
        assert_eq!(sample_size_for_means(10.0, 0.0, 0.05, 0.80), None);
    }

    #[test]
    fn holm_matches_r_p_adjust() {
        // R: p.adjust(c(0.01, 0.04, 0.03, 0.005), method = "holm") → 0.03 0.06 0.06 0.02
        // (Holm 1979, "A simple sequentially rejective multiple test procedure").
        let adjusted = holm(&[0.01, 0.04, 0.03, 0.005]);
        for (a, b) in adjusted.iter().zip([0.03, 0.06, 0.06, 0.02]) {
            assert!(close(*a, b, 1e-12), "{adjusted:?}");
        }
        assert!(holm(&[]).is_empty());
    }

    #[test]
    fn the_always_valid_interval_is_where_the_mixture_ratio_reaches_one_over_alpha() {
        // Johari et al. (2017), section 4: reject θ₀ when Λ(θ₀) ≥ 1/α; the confidence sequence is
        // the set of θ₀ not rejected. At the interval's edge the p-value of testing that edge is α.
        let (estimate, variance, tau2, alpha) = (0.02, 0.0001, 0.0004, 0.05);
        let (_, interval) = always_valid(estimate, variance, tau2, alpha).unwrap();
        let (p_at_edge, _) = always_valid(estimate - interval.low, variance, tau2, alpha).unwrap();
        assert!(close(p_at_edge, alpha, 1e-9), "{p_at_edge}");
        // By hand: Λ = √(1/5)·exp(0.0004·0.0004/(2·0.0001·0.0005)) = 0.447214·e^1.6 = 2.215063.
        let (p, _) = always_valid(estimate, variance, tau2, alpha).unwrap();
        assert!(close(p, 1.0 / 2.215063, 1e-6), "{p}");
        // Wider than the fixed-horizon interval, as the price of looking any time.
        let fixed_half = z_for(0.95) * variance.sqrt();
        assert!(interval.high - estimate > fixed_half);
    }

    #[test]
    fn chance_to_beat_matches_the_standard_normal_loss_function() {
        // The unit normal loss G(z) = φ(z) − z(1 − Φ(z)); tables give G(1.00) = 0.0833 and
        // Φ(1) = 0.8413 (e.g. Silver, Pyke, Peterson, Inventory Management and Production
        // Planning and Scheduling, 3rd ed., appendix B). A variant one standard error ahead:
        let (chance, loss) = chance_to_beat(0.5, 0.5).unwrap();
        assert!(
            close(chance, 0.841345, 1e-6) && close(loss, 0.5 * 0.083315, 1e-6),
            "{chance} {loss}"
        );
        // A variant one standard error behind loses a full difference plus the same tail.
        let (chance, loss) = chance_to_beat(-0.5, 0.5).unwrap();
        assert!(close(chance, 0.158655, 1e-6) && close(loss, 0.5 + 0.5 * 0.083315, 1e-6));
    }
}
