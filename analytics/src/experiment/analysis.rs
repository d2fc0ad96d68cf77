//! An experiment's results from per-arm sufficient statistics: the fixed-horizon tests (the
//! two-proportion z-test for rates, Welch's t-test for means), CUPED, the always-valid
//! (mSPRT) reading that makes daily looks safe, Holm's correction over the variants, the
//! Bayesian chance to beat control, the sample-ratio check, the planner and the verdict.
//!
//! Which reading decides: before the planned duration is over, only the always-valid one (so a
//! verdict reached by looking every day keeps its error rate); from the planned end on, the
//! fixed-horizon test. Either way the estimate is the CUPED-adjusted one when a covariate was
//! measured, and p-values over several variants are Holm-adjusted.

use serde::{Deserialize, Serialize};

use crate::metrics::views::thousands;
use crate::stats::{self, Interval, Moments, Summary, TestResult};

/// Confidence of every interval.
pub const CONFIDENCE: f64 = 0.95;
/// The sample-ratio check blocks a verdict below this p-value.
pub const SRM_ALPHA: f64 = 0.001;

/// Whether an outcome is a 0/1 per user or a number.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    Binary,
    Numeric,
}

/// One per-user outcome an experiment is judged on.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub key: String,
    pub name: String,
    pub kind: OutcomeKind,
    /// `%` (rates, shown in percent), `$`, `×` or a free label for imported columns.
    pub unit: String,
    pub higher_is_better: bool,
}

/// What the test was planned to be.
#[derive(Debug, Clone, PartialEq)]
pub struct Design {
    /// Arm labels and their planned shares (summing to 1).
    pub arms: Vec<(String, f64)>,
    pub control: usize,
    /// The primary outcome first, then the guardrails, then outcomes only reported (a native
    /// test reports every metric per arm; only the primary and the guardrails are judged).
    pub outcomes: Vec<Outcome>,
    /// How many outcomes after the primary are guardrails.
    pub guardrails: usize,
    pub alpha: f64,
    pub power: f64,
    /// The smallest relative change worth finding on the primary outcome (0.10 = 10%).
    pub minimum_effect: f64,
    /// The primary outcome's expected control value, when it was measured or given at planning;
    /// else the control's observed value stands in.
    pub baseline: Option<f64>,
    pub duration_days: f64,
    /// Days since the start (to the analysis's end).
    pub elapsed_days: f64,
}

/// What was observed: per arm (in the design's order), the members and, per outcome, their
/// sufficient statistics (`None` for an outcome that cannot be measured, with the reason).
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    pub users: Vec<u64>,
    pub outcomes: Vec<Result<Vec<Moments>, String>>,
    /// Whether the moments carry a pre-period covariate (else CUPED is skipped).
    pub covariate: bool,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerdictState {
    NoData,
    SampleRatioMismatch,
    Unmeasurable,
    Collecting,
    Winner,
    GuardrailHarmed,
    ControlWins,
    NoDifference,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub state: VerdictState,
    /// One sentence in plain words.
    pub headline: String,
    /// The winning arm's index, when one wins.
    pub winner: Option<usize>,
    /// Whether the winner may be shipped without review: it won, every guardrail was measured and
    /// none is harmed, and the split is sound. With `by_sequential`, reached before the planned end
    /// by the always-valid test: automatic shipping needs both.
    pub ship_ready: bool,
    pub by_sequential: bool,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArmResult {
    pub label: String,
    pub planned_share: f64,
    pub users: u64,
    pub observed_share: Option<f64>,
}

/// One arm's value of one outcome.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArmValue {
    pub n: u64,
    /// The rate (0–1) or the mean.
    pub mean: Option<f64>,
    /// Wilson's interval for a rate, the t interval for a mean.
    pub interval: Option<Interval>,
    /// Successes for a rate, the sum for a number.
    pub total: f64,
}

/// A variant against the control on one outcome (differences are variant − control).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub arm: usize,
    /// Unadjusted: Newcombe's interval and the two-proportion z-test for a rate; Welch's interval
    /// and t-test for a mean.
    pub difference: Option<f64>,
    pub interval: Option<Interval>,
    pub test: Option<TestResult>,
    /// The relative lift (variant ÷ control − 1): Katz's log interval for a rate, the delta
    /// method for a mean.
    pub relative: Option<f64>,
    pub relative_interval: Option<Interval>,
    /// CUPED-adjusted difference, interval and p-value (normal theory), when a covariate exists.
    pub adjusted_difference: Option<f64>,
    pub adjusted_interval: Option<Interval>,
    pub adjusted_p_value: Option<f64>,
    /// The fixed-horizon p-value of the deciding estimate (adjusted when there is one), and Holm's
    /// adjustment over the variants.
    pub p_value: Option<f64>,
    pub holm_p_value: Option<f64>,
    /// The always-valid p-value and interval (mSPRT), and Holm's adjustment of that p-value.
    pub sequential_p_value: Option<f64>,
    pub sequential_interval: Option<Interval>,
    pub sequential_holm_p_value: Option<f64>,
    /// Chance the variant is better than control, and the expected loss of choosing it (in the
    /// outcome's unit), flat prior, normal approximation.
    pub chance_to_beat: Option<f64>,
    pub expected_loss: Option<f64>,
    /// Significantly better (+1), worse (−1) or neither (0), by the reading in force.
    pub direction: i8,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutcomeResult {
    pub outcome: Outcome,
    pub primary: bool,
    /// A guardrail: the verdict holds a winner back when it harms this outcome. Neither primary
    /// nor guardrail: reported with the same statistics, judging nothing.
    pub guardrail: bool,
    /// Why the outcome cannot be measured, when it cannot.
    pub unavailable: Option<String>,
    pub arms: Vec<ArmValue>,
    /// θ and the share of variance CUPED removed, when it ran.
    pub cuped_theta: Option<f64>,
    pub variance_reduction: Option<f64>,
    /// One per variant (every arm but the control), in arm order.
    pub comparisons: Vec<Comparison>,
}

/// The planner's figures for the primary outcome.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The baseline used and the absolute effect it implies.
    pub baseline: Option<f64>,
    pub absolute_effect: Option<f64>,
    /// α per comparison (Bonferroni over the variants, as Holm's first step).
    pub alpha_per_comparison: f64,
    pub users_per_arm: Option<u64>,
    /// Members per day so far (every arm together).
    pub daily_users: Option<f64>,
    pub days_needed: Option<f64>,
    pub days_remaining: Option<f64>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Results {
    pub verdict: Verdict,
    pub arms: Vec<ArmResult>,
    pub control: usize,
    /// Chi-square of the observed split against the planned one; `balanced` is false when
    /// p < 0.001, and then no verdict is given.
    pub sample_ratio: Option<TestResult>,
    pub balanced: bool,
    /// Whether the planned duration is over (the fixed-horizon test decides from then on).
    pub horizon_reached: bool,
    pub outcomes: Vec<OutcomeResult>,
    pub plan: Plan,
    /// The methods, named.
    pub methods: Vec<String>,
}

/// The methods used, for the results page.
pub fn methods() -> Vec<String> {
    [
        "Rates: two-proportion z-test (pooled), Newcombe's hybrid score interval for the difference, Katz's log interval for the relative lift.",
        "Means: Welch's t-test and interval; the delta method for the relative lift.",
        "CUPED (Deng et al. 2013): θ pooled within arms from the 28-day pre-period covariate; adjusted estimates use normal theory.",
        "Sequential: mixture SPRT with a normal mixing distribution (Johari et al. 2017), τ = the minimum effect; always-valid p-values and intervals decide before the planned end.",
        "Several variants: Holm's step-down correction of the variants' p-values on the primary outcome. Guardrails are judged by the fixed-horizon test, uncorrected, at every look, to err on the side of caution.",
        "Bayesian: chance to beat control and expected loss under a flat prior (normal approximation of the posterior).",
        "Sample ratio: chi-square against the planned split; p < 0.001 blocks a verdict.",
    ]
    .map(str::to_owned)
    .to_vec()
}

/// What the planner needs: the primary outcome's kind and baseline (a rate, or a mean with its
/// standard deviation), the relative minimum effect, α (split over the variants), power, the arms'
/// shares and the members expected per day across all arms.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanRequest {
    pub kind: OutcomeKind,
    pub baseline: Option<f64>,
    pub sd: Option<f64>,
    pub minimum_effect: f64,
    pub alpha: f64,
    pub power: f64,
    pub shares: Vec<f64>,
    pub daily_users: Option<f64>,
}

/// The users per arm and the days a test needs.
pub fn plan(r: &PlanRequest) -> Plan {
    let variants = r.shares.len().saturating_sub(1).max(1);
    let alpha_per_comparison = r.alpha / variants as f64;
    let absolute_effect = r
        .baseline
        .map(|b| b * r.minimum_effect)
        .filter(|e| *e != 0.0 && e.is_finite());
    let users_per_arm = match (r.kind, r.baseline, absolute_effect) {
        (OutcomeKind::Binary, Some(b), Some(e)) => {
            stats::sample_size_per_group(b, e, alpha_per_comparison, r.power)
        }
        (OutcomeKind::Numeric, Some(_), Some(e)) => {
            r.sd.and_then(|sd| stats::sample_size_for_means(sd, e, alpha_per_comparison, r.power))
        }
        _ => None,
    };
    // The smallest arm fills last.
    let smallest = r.shares.iter().copied().fold(f64::INFINITY, f64::min);
    let days_needed = users_per_arm
        .zip(r.daily_users)
        .and_then(|(n, d)| (d > 0.0 && smallest > 0.0).then(|| n as f64 / (d * smallest)));
    Plan {
        baseline: r.baseline,
        absolute_effect,
        alpha_per_comparison,
        users_per_arm,
        daily_users: r.daily_users,
        days_needed,
        days_remaining: None,
    }
}

fn arm_value(kind: OutcomeKind, m: &Moments) -> ArmValue {
    let summary = m.summary();
    let mean = (m.n > 0).then_some(summary.mean);
    let interval = match kind {
        OutcomeKind::Binary => stats::wilson(m.sum_y.round() as u64, m.n, CONFIDENCE),
        OutcomeKind::Numeric => mean_interval(summary),
    };
    ArmValue {
        n: m.n,
        mean,
        interval,
        total: m.sum_y,
    }
}

fn mean_interval(s: Summary) -> Option<Interval> {
    if s.n < 2 {
        return None;
    }
    let t = statrs::distribution::StudentsT::new(0.0, 1.0, (s.n - 1) as f64).ok()?;
    let q = statrs::distribution::ContinuousCDF::inverse_cdf(&t, 0.5 + CONFIDENCE / 2.0);
    let half = q * (s.variance / s.n as f64).sqrt();
    Some(Interval {
        low: s.mean - half,
        high: s.mean + half,
    })
}

/// The relative lift of means v ÷ c − 1 with the delta method's interval.
fn relative_of_means(v: Summary, c: Summary) -> Option<(f64, Interval)> {
    if v.n < 2 || c.n < 2 || c.mean == 0.0 {
        return None;
    }
    let ratio = v.mean / c.mean;
    let se = ((v.variance / v.n as f64) / (c.mean * c.mean)
        + (v.mean * v.mean) * (c.variance / c.n as f64) / c.mean.powi(4))
    .sqrt();
    let z = stats::z_for(CONFIDENCE);
    Some((
        ratio - 1.0,
        Interval {
            low: ratio - 1.0 - z * se,
            high: ratio - 1.0 + z * se,
        },
    ))
}

/// One variant against the control; `tau_squared` scales the sequential test; the decision
/// fields (`direction`, Holm) are filled in by the caller.
fn compare(
    kind: OutcomeKind,
    arm: usize,
    v: &Moments,
    c: &Moments,
    adjusted: Option<(Summary, Summary)>,
    tau_squared: Option<f64>,
    alpha: f64,
) -> Comparison {
    let (sv, sc) = (v.summary(), c.summary());
    let mut out = Comparison {
        arm,
        difference: (v.n > 0 && c.n > 0).then_some(sv.mean - sc.mean),
        interval: None,
        test: None,
        relative: None,
        relative_interval: None,
        adjusted_difference: None,
        adjusted_interval: None,
        adjusted_p_value: None,
        p_value: None,
        holm_p_value: None,
        sequential_p_value: None,
        sequential_interval: None,
        sequential_holm_p_value: None,
        chance_to_beat: None,
        expected_loss: None,
        direction: 0,
    };
    match kind {
        OutcomeKind::Binary => {
            let (xv, xc) = (v.sum_y.round() as u64, c.sum_y.round() as u64);
            out.interval = stats::newcombe_difference(xv, v.n, xc, c.n, CONFIDENCE);
            out.test = stats::two_proportion_z(xv, v.n, xc, c.n);
            out.relative = (sc.mean > 0.0 && v.n > 0).then(|| sv.mean / sc.mean - 1.0);
            out.relative_interval = stats::relative_lift(xv, v.n, xc, c.n, CONFIDENCE);
        }
        OutcomeKind::Numeric => {
            if let Some((test, interval)) = stats::welch(sv, sc, CONFIDENCE) {
                out.test = Some(test);
                out.interval = Some(interval);
            }
            if let Some((relative, interval)) = relative_of_means(sv, sc) {
                out.relative = Some(relative);
                out.relative_interval = Some(interval);
            }
        }
    }
    // The deciding estimate and its standard error: adjusted when CUPED ran, else the plain one.
    let plain = stats::normal_difference(sv, sc, CONFIDENCE);
    let deciding = match adjusted.and_then(|(a, b)| stats::normal_difference(a, b, CONFIDENCE)) {
        Some((d, se, test, interval)) => {
            out.adjusted_difference = Some(d);
            out.adjusted_interval = Some(interval);
            out.adjusted_p_value = Some(test.p_value);
            Some((d, se, test.p_value))
        }
        None => plain.map(|(d, se, _, _)| (d, se, out.test.map_or(1.0, |t| t.p_value))),
    };
    if let Some((d, se, p)) = deciding {
        out.p_value = Some(p);
        if let Some((pv, interval)) =
            tau_squared.and_then(|t| stats::always_valid(d, se * se, t, alpha))
        {
            out.sequential_p_value = Some(pv);
            out.sequential_interval = Some(interval);
        }
        if let Some((chance, loss)) = stats::chance_to_beat(d, se) {
            out.chance_to_beat = Some(chance);
            out.expected_loss = Some(loss);
        }
    }
    out
}

/// The results of an experiment.
pub fn analyse(design: &Design, observed: &Analysis) -> Results {
    let control = design.control;
    let total: u64 = observed.users.iter().sum();
    let arms: Vec<ArmResult> = design
        .arms
        .iter()
        .zip(&observed.users)
        .map(|((label, share), users)| ArmResult {
            label: label.clone(),
            planned_share: *share,
            users: *users,
            observed_share: (total > 0).then(|| *users as f64 / total as f64),
        })
        .collect();
    let shares: Vec<f64> = design.arms.iter().map(|(_, s)| *s).collect();
    let sample_ratio = stats::sample_ratio(&observed.users, &shares);
    let balanced = sample_ratio.is_none_or(|t| t.p_value >= SRM_ALPHA);
    let horizon_reached = design.elapsed_days >= design.duration_days;

    let mut outcomes = Vec::new();
    for (index, (outcome, moments)) in design.outcomes.iter().zip(&observed.outcomes).enumerate() {
        let primary = index == 0;
        let guardrail = index >= 1 && index <= design.guardrails;
        let moments = match moments {
            Ok(m) => m,
            Err(reason) => {
                outcomes.push(OutcomeResult {
                    outcome: outcome.clone(),
                    primary,
                    guardrail,
                    unavailable: Some(reason.clone()),
                    arms: Vec::new(),
                    cuped_theta: None,
                    variance_reduction: None,
                    comparisons: Vec::new(),
                });
                continue;
            }
        };
        let cuped = if observed.covariate {
            stats::cuped(moments)
        } else {
            None
        };
        let control_mean = moments
            .get(control)
            .filter(|m| m.n > 0)
            .map(|m| m.summary().mean);
        // τ: the minimum effect, in the outcome's units, on the planned baseline (else the
        // control's). Guardrails use the same relative size.
        // A zero baseline gives no scale at all: the control's observed value stands in.
        let baseline = if primary {
            design.baseline.filter(|b| *b > 0.0).or(control_mean)
        } else {
            control_mean
        };
        let tau_squared = baseline
            .map(|b| (b * design.minimum_effect).powi(2))
            .filter(|t| *t > 0.0);
        let mut comparisons: Vec<Comparison> = (0..moments.len())
            .filter(|arm| *arm != control)
            .map(|arm| {
                let adjusted = cuped
                    .as_ref()
                    .map(|c| (c.adjusted[arm], c.adjusted[control]));
                compare(
                    outcome.kind,
                    arm,
                    &moments[arm],
                    &moments[control],
                    adjusted,
                    tau_squared,
                    design.alpha,
                )
            })
            .collect();
        // Holm over the variants (the primary outcome's family; guardrails stay uncorrected).
        let fixed: Vec<f64> = comparisons
            .iter()
            .map(|c| c.p_value.unwrap_or(1.0))
            .collect();
        let sequential: Vec<f64> = comparisons
            .iter()
            .map(|c| c.sequential_p_value.unwrap_or(1.0))
            .collect();
        let (fixed, sequential) = if primary {
            (stats::holm(&fixed), stats::holm(&sequential))
        } else {
            (fixed, sequential)
        };
        for (c, (f, s)) in comparisons
            .iter_mut()
            .zip(fixed.into_iter().zip(sequential))
        {
            c.holm_p_value = c.p_value.map(|_| f);
            c.sequential_holm_p_value = c.sequential_p_value.map(|_| s);
            // The primary outcome: the always-valid reading before the planned end, the
            // fixed-horizon one from then on. Guardrails: always the (more sensitive) fixed-horizon
            // test, uncorrected, so harm is caught early rather than late.
            let p = if horizon_reached || !primary {
                c.holm_p_value
            } else {
                c.sequential_holm_p_value
            };
            let estimate = c.adjusted_difference.or(c.difference).unwrap_or(0.0);
            let better = if outcome.higher_is_better {
                estimate > 0.0
            } else {
                estimate < 0.0
            };
            c.direction = match p {
                Some(p) if p < design.alpha && estimate != 0.0 => {
                    if better {
                        1
                    } else {
                        -1
                    }
                }
                _ => 0,
            };
            // The Bayesian reading, turned so that "beat" means better for this outcome.
            if let (false, Some(chance), Some(d)) = (
                outcome.higher_is_better,
                c.chance_to_beat,
                c.adjusted_difference.or(c.difference),
            ) {
                c.chance_to_beat = Some(1.0 - chance);
                c.expected_loss = c.expected_loss.map(|loss| loss + d);
            }
        }
        outcomes.push(OutcomeResult {
            outcome: outcome.clone(),
            primary,
            guardrail,
            unavailable: None,
            arms: moments.iter().map(|m| arm_value(outcome.kind, m)).collect(),
            cuped_theta: cuped.as_ref().map(|c| c.theta),
            variance_reduction: cuped.as_ref().map(|c| c.variance_reduction),
            comparisons,
        });
    }

    let mut plan = {
        let (kind, control_summary) = match (design.outcomes.first(), observed.outcomes.first()) {
            (Some(outcome), Some(Ok(moments))) => (
                outcome.kind,
                moments
                    .get(control)
                    .map(|m| m.summary())
                    .unwrap_or_default(),
            ),
            (Some(outcome), _) => (outcome.kind, Summary::default()),
            _ => (OutcomeKind::Binary, Summary::default()),
        };
        let c = control_summary;
        plan(&PlanRequest {
            kind,
            baseline: design.baseline.or((c.n > 0).then_some(c.mean)),
            sd: (c.n > 1).then(|| c.variance.sqrt()),
            minimum_effect: design.minimum_effect,
            alpha: design.alpha,
            power: design.power,
            shares: shares.clone(),
            // Under a day, the members so far stand for a day's: a few hours do not extrapolate.
            daily_users: (design.elapsed_days > 0.0 && total > 0).then(|| total as f64 / design.elapsed_days.max(1.0)),
        })
    };
    plan.days_remaining = plan.days_needed.map(|d| (d - design.elapsed_days).max(0.0));
    let verdict = verdict(
        design,
        &arms,
        balanced,
        sample_ratio,
        horizon_reached,
        &outcomes,
        &plan,
    );
    Results {
        verdict,
        arms,
        control,
        sample_ratio,
        balanced,
        horizon_reached,
        outcomes,
        plan,
        methods: methods(),
    }
}

/// A difference in the outcome's terms: points for a rate, dollars, × or the unit.
pub fn describe_difference(outcome: &Outcome, d: f64) -> String {
    let sign = if d >= 0.0 { "+" } else { "−" };
    let a = d.abs();
    match (outcome.kind, outcome.unit.as_str()) {
        (OutcomeKind::Binary, _) => format!("{sign}{:.2} points", a * 100.0),
        (_, "$") => format!("{sign}${a:.2} per user"),
        (_, "×") => format!("{sign}{a:.2}×"),
        (_, unit) if !unit.is_empty() => format!("{sign}{a:.3} {unit}"),
        _ => format!("{sign}{a:.3}"),
    }
}

fn verdict(
    design: &Design,
    arms: &[ArmResult],
    balanced: bool,
    sample_ratio: Option<TestResult>,
    horizon_reached: bool,
    outcomes: &[OutcomeResult],
    plan: &Plan,
) -> Verdict {
    let say = |state, headline: String| Verdict {
        state,
        headline,
        winner: None,
        ship_ready: false,
        by_sequential: false,
    };
    let total: u64 = arms.iter().map(|a| a.users).sum();
    if total == 0 {
        return say(VerdictState::NoData, "No members yet: users join when the campaign is delivered to them while the test runs.".to_owned());
    }
    if !balanced {
        let observed = arms
            .iter()
            .map(|a| thousands(a.users))
            .collect::<Vec<_>>()
            .join(" vs ");
        let planned = arms
            .iter()
            .map(|a| format!("{:.0}", a.planned_share * 100.0))
            .collect::<Vec<_>>()
            .join("/");
        let p = sample_ratio.map_or(String::new(), |t| format!(" (p = {})", format_p(t.p_value)));
        return say(
            VerdictState::SampleRatioMismatch,
            format!(
                "Sample ratio mismatch: {observed} users against a planned {planned} split{p}. No verdict until the assignment is fixed."
            ),
        );
    }
    let Some(primary) = outcomes.first() else {
        return say(
            VerdictState::Unmeasurable,
            "The test has no primary metric.".to_owned(),
        );
    };
    if let Some(reason) = &primary.unavailable {
        return say(
            VerdictState::Unmeasurable,
            format!("Cannot judge {}: {reason}", primary.outcome.name),
        );
    }
    let label = |arm: usize| arms.get(arm).map_or("?", |a| a.label.as_str()).to_owned();
    let winners: Vec<&Comparison> = primary
        .comparisons
        .iter()
        .filter(|c| c.direction > 0)
        .collect();
    if let Some(best) = winners.iter().max_by(|a, b| {
        let key = |c: &Comparison| {
            c.adjusted_difference.or(c.difference).unwrap_or(0.0)
                * if primary.outcome.higher_is_better {
                    1.0
                } else {
                    -1.0
                }
        };
        key(a).total_cmp(&key(b))
    }) {
        let d = best.adjusted_difference.or(best.difference).unwrap_or(0.0);
        // The relative lift of the same (adjusted) difference, on the control's value.
        let control_value = primary.arms.get(design.control).and_then(|a| a.mean).filter(|m| *m != 0.0);
        let lift = match control_value.map(|m| d / m) {
            Some(r) => format!(
                "{}, {}{:.1}%",
                describe_difference(&primary.outcome, d),
                if r >= 0.0 { "+" } else { "−" },
                r.abs() * 100.0
            ),
            None => describe_difference(&primary.outcome, d),
        };
        let harmed: Vec<&str> = outcomes
            .iter()
            .filter(|o| o.guardrail)
            .filter(|o| {
                o.comparisons
                    .iter()
                    .any(|c| c.arm == best.arm && c.direction < 0)
            })
            .map(|o| o.outcome.name.as_str())
            .collect();
        let when = if horizon_reached {
            String::new()
        } else {
            " (always-valid test, before the planned end)".to_owned()
        };
        let unmeasured: Vec<&str> = outcomes.iter().filter(|o| o.guardrail && o.unavailable.is_some()).map(|o| o.outcome.name.as_str()).collect();
        if harmed.is_empty() && !unmeasured.is_empty() {
            return Verdict {
                state: VerdictState::Winner,
                headline: format!(
                    "{} wins on {} ({lift}){when}, but {} cannot be measured; review before shipping.",
                    label(best.arm),
                    primary.outcome.name,
                    unmeasured.join(" and ")
                ),
                winner: Some(best.arm),
                ship_ready: false,
                by_sequential: !horizon_reached,
            };
        }
        return if harmed.is_empty() {
            Verdict {
                state: VerdictState::Winner,
                headline: format!(
                    "{} wins on {} ({lift}){when}; no guardrail harmed.",
                    label(best.arm),
                    primary.outcome.name
                ),
                winner: Some(best.arm),
                ship_ready: true,
                by_sequential: !horizon_reached,
            }
        } else {
            Verdict {
                state: VerdictState::GuardrailHarmed,
                headline: format!(
                    "{} wins on {} ({lift}) but harms {}; review before shipping.",
                    label(best.arm),
                    primary.outcome.name,
                    harmed.join(" and ")
                ),
                winner: Some(best.arm),
                ship_ready: false,
                by_sequential: !horizon_reached,
            }
        };
    }
    if !primary.comparisons.is_empty() && primary.comparisons.iter().all(|c| c.direction < 0) {
        return Verdict {
            state: VerdictState::ControlWins,
            headline: format!(
                "{} beats every variant on {}; keep it.",
                label(design.control),
                primary.outcome.name
            ),
            winner: Some(design.control),
            ship_ready: false,
            by_sequential: !horizon_reached,
        };
    }
    if horizon_reached {
        let planned = plan.users_per_arm.map_or(String::new(), |n| {
            let smallest = arms.iter().map(|a| a.users).min().unwrap_or(0);
            if smallest < n {
                format!(
                    " with {} of the {} users per arm the plan needs",
                    thousands(smallest),
                    thousands(n)
                )
            } else {
                String::new()
            }
        });
        return say(
            VerdictState::NoDifference,
            format!(
                "No clear difference on {} after {:.0} days{planned}; keep the control or extend the test.",
                primary.outcome.name,
                design.elapsed_days.floor()
            ),
        );
    }
    let more = match plan.days_remaining {
        Some(d) if d > 0.0 => format!(
            ": ~{} more {} at current traffic",
            d.ceil(),
            if d.ceil() == 1.0 { "day" } else { "days" }
        ),
        _ => {
            let left = (design.duration_days - design.elapsed_days).max(0.0).ceil();
            format!(
                ": {left:.0} planned {} left",
                if left == 1.0 { "day" } else { "days" }
            )
        }
    };
    say(
        VerdictState::Collecting,
        format!("Not enough data yet{more}."),
    )
}

fn format_p(p: f64) -> String {
    if p < 0.0001 {
        "< 0.0001".to_owned()
    } else {
        format!("{p:.4}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::Metric;

    fn rate_arm(n: u64, successes: u64) -> Moments {
        Moments {
            n,
            sum_y: successes as f64,
            sum_yy: successes as f64,
            ..Moments::default()
        }
    }

    fn design(elapsed: f64, guardrail: bool) -> Design {
        let mut outcomes = vec![Metric::ClickRate.outcome()];
        if guardrail {
            outcomes.push(Metric::UnsubscribeRate.outcome());
        }
        Design {
            arms: vec![("Control".to_owned(), 0.5), ("Variant B".to_owned(), 0.5)],
            control: 0,
            outcomes,
            guardrails: usize::from(guardrail),
            alpha: 0.05,
            power: 0.8,
            minimum_effect: 0.10,
            baseline: None,
            duration_days: 14.0,
            elapsed_days: elapsed,
        }
    }

    fn observed(arms: [(u64, u64); 2], unsubscribes: Option<[u64; 2]>) -> Analysis {
        let mut outcomes = vec![Ok(arms.iter().map(|(n, x)| rate_arm(*n, *x)).collect())];
        if let Some(u) = unsubscribes {
            outcomes.push(Ok(arms
                .iter()
                .zip(u)
                .map(|((n, _), x)| rate_arm(*n, x))
                .collect()));
        }
        Analysis {
            users: arms.iter().map(|(n, _)| *n).collect(),
            outcomes,
            covariate: false,
        }
    }

    #[test]
    fn a_clear_winner_is_named_with_its_lift() {
        // 10% vs 13% on 10,000 users each: far past any boundary, even before the planned end.
        let r = analyse(
            &design(5.0, true),
            &observed([(10_000, 1_000), (10_000, 1_300)], Some([50, 52])),
        );
        assert_eq!(
            r.verdict.state,
            VerdictState::Winner,
            "{}",
            r.verdict.headline
        );
        assert_eq!(r.verdict.winner, Some(1));
        assert!(r.verdict.ship_ready && r.verdict.by_sequential);
        assert!(
            r.verdict
                .headline
                .starts_with("Variant B wins on click rate (+3.00 points, +30.0%)"),
            "{}",
            r.verdict.headline
        );
        assert!(
            r.verdict.headline.ends_with("no guardrail harmed."),
            "{}",
            r.verdict.headline
        );
        let c = &r.outcomes[0].comparisons[0];
        assert!(c.chance_to_beat.unwrap() > 0.999 && c.expected_loss.unwrap() < 1e-6);
    }

    #[test]
    fn an_outcome_only_reported_is_compared_but_judges_nothing() {
        // The same data as below, with the unsubscribe rate reported rather than a guardrail.
        let mut d = design(15.0, true);
        d.guardrails = 0;
        let r = analyse(&d, &observed([(10_000, 1_000), (10_000, 1_300)], Some([50, 150])));
        assert_eq!(r.verdict.state, VerdictState::Winner, "{}", r.verdict.headline);
        assert!(r.verdict.ship_ready);
        let reported = &r.outcomes[1];
        assert!(!reported.primary && !reported.guardrail);
        assert_eq!(reported.comparisons[0].direction, -1, "still compared, with its intervals and p");
    }

    #[test]
    fn a_harmed_guardrail_stops_automatic_shipping() {
        let r = analyse(
            &design(15.0, true),
            &observed([(10_000, 1_000), (10_000, 1_300)], Some([50, 150])),
        );
        assert_eq!(
            r.verdict.state,
            VerdictState::GuardrailHarmed,
            "{}",
            r.verdict.headline
        );
        assert!(!r.verdict.ship_ready);
        assert!(
            r.verdict.headline.contains("harms unsubscribe rate"),
            "{}",
            r.verdict.headline
        );
        // Lower is better for unsubscribes: the variant's chance to beat control is small.
        assert!(r.outcomes[1].comparisons[0].chance_to_beat.unwrap() < 0.01);
    }

    #[test]
    fn a_sample_ratio_mismatch_blocks_the_verdict() {
        let r = analyse(
            &design(15.0, false),
            &observed([(10_000, 1_000), (11_000, 1_500)], None),
        );
        assert!(!r.balanced);
        assert_eq!(r.verdict.state, VerdictState::SampleRatioMismatch);
        assert!(
            r.verdict
                .headline
                .contains("10,000 vs 11,000 users against a planned 50/50 split"),
            "{}",
            r.verdict.headline
        );
        assert_eq!(r.verdict.winner, None);
    }

    #[test]
    fn too_little_data_says_how_many_more_days() {
        // 200 users a day for 2 days at 10%: a 10% relative lift needs ~14,750 per arm.
        let r = analyse(&design(2.0, false), &observed([(200, 20), (200, 22)], None));
        assert_eq!(
            r.verdict.state,
            VerdictState::Collecting,
            "{}",
            r.verdict.headline
        );
        let remaining = r.plan.days_remaining.unwrap();
        assert!(
            r.verdict
                .headline
                .contains(&format!("~{} more days", remaining.ceil())),
            "{}",
            r.verdict.headline
        );
        assert_eq!(
            r.plan.users_per_arm,
            stats::sample_size_per_group(0.10, 0.01, 0.05, 0.8)
        );
        // At the planned end with no difference, the verdict says so.
        let r = analyse(
            &design(14.0, false),
            &observed([(2_000, 200), (2_000, 204)], None),
        );
        assert_eq!(
            r.verdict.state,
            VerdictState::NoDifference,
            "{}",
            r.verdict.headline
        );
    }

    #[test]
    fn the_planner_splits_alpha_over_the_variants() {
        let two = plan(&PlanRequest {
            kind: OutcomeKind::Binary,
            baseline: Some(0.10),
            sd: None,
            minimum_effect: 0.2,
            alpha: 0.05,
            power: 0.8,
            shares: vec![0.5, 0.5],
            daily_users: Some(1_000.0),
        });
        assert_eq!(two.users_per_arm, Some(3_839));
        assert!((two.days_needed.unwrap() - 3_839.0 / 500.0).abs() < 1e-9);
        let three = plan(&PlanRequest {
            shares: vec![1.0 / 3.0; 3],
            ..PlanRequest {
                kind: OutcomeKind::Binary,
                baseline: Some(0.10),
                sd: None,
                minimum_effect: 0.2,
                alpha: 0.05,
                power: 0.8,
                shares: vec![],
                daily_users: None,
            }
        });
        assert!((three.alpha_per_comparison - 0.025).abs() < 1e-12);
        assert!(three.users_per_arm.unwrap() > 3_839);
        let means = plan(&PlanRequest {
            kind: OutcomeKind::Numeric,
            baseline: Some(20.0),
            sd: Some(10.0),
            minimum_effect: 0.25,
            alpha: 0.05,
            power: 0.8,
            shares: vec![0.5, 0.5],
            daily_users: None,
        });
        assert_eq!(means.users_per_arm, Some(63));
    }
}
