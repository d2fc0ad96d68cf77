//! The ten types' triggers, scores and projections (docs/recommendations.md, one function per
//! type). Every threshold comes from `Thresholds`.

use std::collections::HashMap;

use uuid::Uuid;

use super::facts::{CampaignFacts, Facts, SegmentFacts};
use super::response::{self, Curve, Point};
use super::{Action, Alternative, Figure, Projection, Recommendation, RecommendationKind as K, Score, ScorePart, Similar, Target, TargetKind, Thresholds};
use crate::domain::{CampaignStatus, CampaignType};
use crate::metrics::definitions::Unit;

fn part(name: &str, points: f64) -> ScorePart {
    ScorePart { name: name.to_owned(), points }
}

pub(crate) fn ratio(x: f64) -> String {
    format!("{x:.1}×")
}

pub(crate) fn money(x: f64) -> String {
    let rounded = x.abs().round() as i64;
    let digits = rounded.to_string();
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{}${grouped}", if x < -0.5 { "−" } else { "" })
}

pub(crate) fn percent(x: f64) -> String {
    format!("{x:.1}%")
}

fn campaign_target(c: &CampaignFacts) -> Target {
    Target { kind: TargetKind::Campaign, id: c.input.id.to_string(), name: c.input.name.clone(), campaign_id: None }
}

fn key(kind: K, target: &Target, trigger: &str) -> String {
    format!("{}:{}:{trigger}", kind.as_str(), target.key())
}

/// How the revenue a campaign truly causes was estimated.
struct Incremental {
    dollars: f64,
    method: String,
    /// Whether the campaign's own holdout measured it.
    measured: bool,
}

/// What every rule may consult: pooled incrementality ratios and the response curves.
struct Context<'a> {
    facts: &'a Facts,
    t: &'a Thresholds,
    /// Incremental ÷ treatment revenue over 28 days, pooled by type, and how many campaigns.
    ratio_by_type: HashMap<CampaignType, (f64, usize)>,
    curves: HashMap<Uuid, Curve>,
}

impl<'a> Context<'a> {
    fn new(facts: &'a Facts, t: &'a Thresholds) -> Context<'a> {
        let mut sums: HashMap<CampaignType, (f64, f64, usize)> = HashMap::new();
        for c in &facts.campaigns {
            if let Some(inc) = c.measured.incremental_month.filter(|_| c.measured.treated_revenue_month > 0.0) {
                let e = sums.entry(c.input.campaign_type).or_default();
                e.0 += inc;
                e.1 += c.measured.treated_revenue_month;
                e.2 += 1;
            }
        }
        let ratio_by_type = sums.into_iter().map(|(k, (inc, rev, n))| (k, ((inc / rev).clamp(0.0, 1.0), n))).collect();
        let mut ctx = Context { facts, t, ratio_by_type, curves: HashMap::new() };
        let points: Vec<Point> = facts
            .campaigns
            .iter()
            .filter(|c| c.measured.month_spend > 0.0)
            .map(|c| {
                let days = c.measured.days_active.clamp(1, 28) as f64;
                let revenue = ctx.incremental(c, false).dollars.max(0.0);
                Point { campaign: c.input.id, campaign_type: c.input.campaign_type, daily_spend: c.measured.month_spend / days, daily_revenue: revenue / days }
            })
            .collect();
        ctx.curves = response::fit(&points);
        ctx
    }

    /// The campaign's incremental revenue over the last 7 (`week`) or 28 days.
    fn incremental(&self, c: &CampaignFacts, week: bool) -> Incremental {
        let m = &c.measured;
        // Over 28 days the gross is the treatment users' revenue in their measurement windows: the
        // base the type's incremental share is measured on.
        let (own, gross, base) = if week { (m.incremental_week, m.week.revenue, "attributed revenue") } else { (m.incremental_month, m.treated_revenue_month, "treatment users' revenue") };
        if let Some(dollars) = own {
            return Incremental { dollars, method: "its own holdout comparison (treatment minus holdout, scaled to the treatment's size)".to_owned(), measured: true };
        }
        if let Some((ratio, n)) = self.ratio_by_type.get(&c.input.campaign_type) {
            return Incremental {
                dollars: gross * ratio,
                method: format!("its {base} × {:.0}%, the incremental share measured by the holdouts of {n} {} campaign{}", 100.0 * ratio, c.input.campaign_type, if *n == 1 { "" } else { "s" }),
                measured: false,
            };
        }
        let why = if c.input.holdout_percent > 0.0 {
            format!("its holdout has fewer than {} users in a group so far and no {} campaign has a measured one", super::facts::MIN_GROUP_USERS, c.input.campaign_type)
        } else {
            format!("it has no holdout and no {} campaign has a measured one", c.input.campaign_type)
        };
        Incremental { dollars: gross, method: format!("its gross {base}, an upper bound ({why})"), measured: false }
    }

    fn active(&self) -> impl Iterator<Item = &'a CampaignFacts> {
        self.facts.campaigns.iter().filter(|c| c.input.status == CampaignStatus::Active)
    }

    /// The other active campaigns of the same type, best 7-day ROAS first (at most three).
    fn similar(&self, c: &CampaignFacts) -> Vec<Similar> {
        let mut others: Vec<&CampaignFacts> = self.active().filter(|o| o.input.id != c.input.id && o.input.campaign_type == c.input.campaign_type && o.measured.week.roas.is_some()).collect();
        others.sort_by(|a, b| b.measured.week.roas.partial_cmp(&a.measured.week.roas).unwrap_or(std::cmp::Ordering::Equal));
        others
            .into_iter()
            .take(3)
            .map(|o| Similar { id: o.input.id.to_string(), name: o.input.name.clone(), figure: Figure::plain("ROAS (7 days)", o.measured.week.roas, Unit::Ratio) })
            .collect()
    }

    /// The active campaign with the best 7-day ROAS above the reallocation threshold, not `c`.
    fn best_other(&self, c: &CampaignFacts) -> Option<&'a CampaignFacts> {
        self.active()
            .filter(|o| o.input.id != c.input.id && o.measured.week.roas.is_some_and(|r| r > self.t.reallocate_to_roas_above))
            .max_by(|a, b| a.measured.week.roas.partial_cmp(&b.measured.week.roas).unwrap_or(std::cmp::Ordering::Equal))
    }

    /// Feasibility of a type that is otherwise immediate: lower when it waits for an approval.
    fn feasibility(&self, kind: K) -> (f64, &'static str) {
        if self.t.approval_required.contains(&kind) { (0.85, "needs a second person's approval") } else { (1.0, "can be executed at once") }
    }

    fn confidence(&self, base: f64) -> f64 {
        base.clamp(0.0, 1.0)
    }
}

/// Every recommendation the facts call for, highest priority first.
pub fn evaluate(facts: &Facts, t: &Thresholds) -> Vec<Recommendation> {
    let ctx = Context::new(facts, t);
    let mut out = Vec::new();
    for c in ctx.active() {
        out.extend(pause(&ctx, c));
        out.extend(test_creative(&ctx, c));
        out.extend(adjust_frequency(&ctx, c));
        out.extend(budget_increase(&ctx, c));
        out.extend(change_targeting(&ctx, c));
        out.extend(launch_holdout(&ctx, c));
    }
    for c in facts.campaigns.iter().filter(|c| matches!(c.input.status, CampaignStatus::Active | CampaignStatus::Scheduled)) {
        out.extend(compliance_flag(&ctx, c));
    }
    out.extend(reallocate(&ctx));
    out.extend(segments(&ctx));
    out.extend(data_quality(&ctx));
    // An open anomaly on the campaign a recommendation is about is part of its evidence.
    for rec in &mut out {
        let campaign = rec.target.campaign_id.or_else(|| Uuid::parse_str(&rec.target.id).ok());
        for a in facts.system.anomalies.iter().filter(|a| a.campaign_id.is_some() && a.campaign_id == campaign) {
            rec.evidence.push(format!("Anomaly detected: {}", a.message));
        }
    }
    out.sort_by(|a, b| b.score.priority.total_cmp(&a.score.priority).then_with(|| a.situation_key.cmp(&b.situation_key)));
    out
}

fn test_creative_alternative(c: &CampaignFacts) -> Option<Alternative> {
    let weakest = weakest_creative(c)?;
    Some(Alternative {
        kind: K::TestCreative,
        description: format!("Test a new challenger against \"{}\" instead", weakest.name),
        projected: "better data on what the audience responds to within 5 days".to_owned(),
        action: Action::TestCreative { campaign_id: c.input.id, creative_id: weakest.id },
    })
}

fn weakest_creative(c: &CampaignFacts) -> Option<&super::facts::CreativeSlice> {
    c.measured.creatives.iter().filter(|k| k.active).min_by(|a, b| a.ctr.unwrap_or(f64::MAX).total_cmp(&b.ctr.unwrap_or(f64::MAX)))
}

// 1. Pause campaign.
fn pause(ctx: &Context, c: &CampaignFacts) -> Option<Recommendation> {
    let (t, m) = (ctx.t, &c.measured);
    let roas = m.week.roas;
    let low_roas = m.days_active >= t.pause_min_days && roas.is_some_and(|r| r < t.pause_roas_below);
    let low_ctr = m.days_active >= t.pause_ctr_min_days && m.impressions_5d >= t.min_impressions && m.ctr_5d.is_some_and(|x| x < t.pause_ctr_below_percent);
    let budget = c.input.budget_cents as f64 / 100.0;
    let overspend = budget > 0.0 && m.spend_to_date > budget * (1.0 + t.overspend_share) && roas.is_some_and(|r| r < t.overspend_roas_below);
    let trigger = if low_roas {
        "low_roas"
    } else if low_ctr {
        "low_ctr"
    } else if overspend {
        "overspend"
    } else {
        return None;
    };
    let target = campaign_target(c);
    let r = roas.unwrap_or(f64::NAN);
    let ctr = m.week.ctr.or(m.ctr_5d);
    // The spec's scoring.
    let roas_points = match roas {
        Some(r) if r < 1.0 => 30.0,
        Some(r) if r < 2.0 => 20.0 + (2.0 - r) * 10.0,
        Some(r) if r < 3.0 => 10.0,
        _ => 0.0,
    };
    let days_points = match m.days_active {
        d if d < 3 => 0.0,
        d if d < 7 => 5.0,
        _ => 10.0,
    };
    let ctr_points = match ctr {
        Some(x) if x < 0.5 => 10.0,
        Some(x) if x < 1.0 => 5.0,
        _ => 0.0,
    };
    let urgency = match roas {
        Some(r) if r < 1.0 => (2.0, "revenue is haemorrhaging: ROAS below 1.0×"),
        Some(r) if r < t.pause_roas_below => (1.5, "poor performance: ROAS below the pause threshold"),
        _ => (1.0, "an optimisation opportunity"),
    };
    let score = Score::new(
        vec![part("base", 50.0), part("ROAS", roas_points), part("days running", days_points), part("CTR", ctr_points)],
        urgency,
        (1.0, "can be executed at once, no approval needed"),
    );
    let primary_reason = match trigger {
        "low_roas" => format!("ROAS of {} over the last 7 days is below the profitability threshold of {}", ratio(r), ratio(t.pause_roas_below)),
        "low_ctr" => format!("CTR of {} over the last 5 days is below the benchmark of {}", percent(m.ctr_5d.unwrap_or_default()), percent(t.pause_ctr_below_percent)),
        _ => format!("spend of {} is over the budget of {} by more than {:.0}% while ROAS is {}", money(m.spend_to_date), money(budget), 100.0 * t.overspend_share, ratio(r)),
    };
    let mut evidence = Vec::new();
    if let Some(r) = roas {
        evidence.push(format!("ROAS (7 days) is {}, {:.0}% {} the threshold of {}", ratio(r), 100.0 * (r - t.pause_roas_below).abs() / t.pause_roas_below, if r < t.pause_roas_below { "below" } else { "above" }, ratio(t.pause_roas_below)));
    }
    if let Some(x) = m.ctr_5d {
        evidence.push(format!("CTR (5 days) is {} over {} impressions; the benchmark is {}", percent(x), m.impressions_5d, percent(t.pause_ctr_below_percent)));
    }
    evidence.push(format!("Spend (7 days) is {}, {} a day; revenue (7 days) is {}", money(m.week.spend), money(m.daily_spend()), money(m.week.revenue)));
    if let Some(used) = m.budget_used(&c.input) {
        evidence.push(format!("Budget used is {:.0}% ({} of {})", 100.0 * used, money(m.spend_to_date), money(budget)));
    }
    evidence.push(format!("The campaign has run {} days ({} needed for a decision)", m.days_active, t.pause_min_days));

    let weekly_spend = m.daily_spend() * 7.0;
    let inc = ctx.incremental(c, true);
    let weekly_incremental = inc.dollars.max(0.0) / m.week_days() * 7.0;
    let weekly_gross = m.week.revenue / m.week_days() * 7.0;
    // What pausing gives up is the margin on the revenue it truly caused; what it keeps is the spend.
    let margin_lost = weekly_incremental * ctx.facts.margin_rate;
    let net = weekly_spend - margin_lost;
    let confidence = ctx.confidence((0.7 + days_points / 10.0 * 0.3) * if inc.measured { 1.0 } else { 0.85 });
    let projection = Projection {
        method: format!(
            "The next 7 days at the last 7 days' daily averages; the revenue at risk is the incremental revenue, from {}; the net effect is the spend saved minus the gross margin ({:.0}%) on that revenue.",
            inc.method,
            100.0 * ctx.facts.margin_rate
        ),
        if_act: vec![
            Figure::plain("Spend saved (7 days)", Some(weekly_spend), Unit::Dollars),
            Figure::plain("Incremental revenue lost (7 days)", Some(weekly_incremental), Unit::Dollars),
            Figure::plain("Gross margin lost (7 days)", Some(margin_lost), Unit::Dollars),
            Figure::plain("Net effect (7 days)", Some(net), Unit::Dollars),
        ],
        if_not: vec![
            Figure::plain("Additional spend (7 days)", Some(weekly_spend), Unit::Dollars),
            Figure::plain("Attributed revenue (7 days)", Some(weekly_gross), Unit::Dollars),
            Figure::plain("Of it incremental (7 days)", Some(weekly_incremental), Unit::Dollars),
        ],
        net_weekly_dollars: Some(net),
        confidence,
        track_record: None,
    };
    let mut alternatives = Vec::new();
    if let Some(best) = ctx.best_other(c) {
        let remaining = (c.input.budget_cents as f64 / 100.0 - m.spend_to_date).max(0.0);
        let amount = remaining.min(weekly_spend);
        if amount >= 1.0 {
            alternatives.push(Alternative {
                kind: K::ReallocateBudget,
                description: format!("Move {} of its budget to \"{}\" (ROAS {})", money(amount), best.input.name, ratio(best.measured.week.roas.unwrap_or_default())),
                projected: format!("about {} more revenue at {}'s ROAS", money(amount * best.measured.week.roas.unwrap_or_default()), best.input.name),
                action: Action::MoveBudget { from_campaign_id: c.input.id, to_campaign_id: best.input.id, amount_cents: (amount * 100.0).round() as i64 },
            });
        }
    }
    alternatives.extend(test_creative_alternative(c));
    Some(Recommendation {
        kind: K::PauseCampaign,
        situation_key: key(K::PauseCampaign, &target, trigger),
        trigger: trigger.to_owned(),
        title: format!("Pause \"{}\"", c.input.name),
        target,
        related: Vec::new(),
        current: vec![
            Figure::judged("ROAS (7 days)", roas, Unit::Ratio, format!("≥ {}", ratio(t.pause_roas_below)), roas.map(|r| r >= t.pause_roas_below)),
            Figure::judged("CTR (5 days)", m.ctr_5d, Unit::Percent, format!("≥ {}", percent(t.pause_ctr_below_percent)), m.ctr_5d.map(|x| x >= t.pause_ctr_below_percent)),
            Figure::plain("Daily spend", Some(m.daily_spend()), Unit::Dollars),
            Figure::plain("Spend to date", Some(m.spend_to_date), Unit::Dollars),
            Figure::plain("Conversions (7 days)", Some(m.week.conversions as f64), Unit::Count),
            Figure::plain("Cost per conversion", (m.week.conversions > 0).then(|| m.week.spend / m.week.conversions as f64), Unit::Dollars),
            Figure::judged("Days running", Some(m.days_active as f64), Unit::Count, format!("≥ {}", t.pause_min_days), Some(m.days_active >= t.pause_min_days)),
        ],
        primary_reason,
        evidence,
        similar: ctx.similar(c),
        projection,
        alternatives,
        action: Action::PauseCampaign { campaign_id: c.input.id },
        auto_execute: false,
        score,
    })
}

// 2. Reallocate budget: each weak campaign to the strong, capped campaign with the largest gain.
fn reallocate(ctx: &Context) -> Vec<Recommendation> {
    let t = ctx.t;
    let strong: Vec<&CampaignFacts> = ctx
        .active()
        .filter(|a| a.measured.week.roas.is_some_and(|r| r > t.reallocate_to_roas_above) && a.measured.budget_used(&a.input).is_some_and(|u| u >= t.budget_used_share))
        .collect();
    let mut out = Vec::new();
    for b in ctx.active() {
        let mb = &b.measured;
        let Some(roas_b) = mb.week.roas.filter(|r| *r < t.reallocate_from_roas_below) else { continue };
        let remaining = b.input.budget_cents as f64 / 100.0 - mb.spend_to_date;
        if mb.days_active < t.pause_min_days || mb.week.spend <= 0.0 || remaining < 1.0 {
            continue;
        }
        let amount = remaining.min(mb.daily_spend() * 7.0);
        let daily = amount / 7.0;
        let from_curve = ctx.curves.get(&b.input.id);
        let lost = from_curve.map_or(0.0, |c| -c.gain(mb.daily_spend(), -daily)) * 7.0;
        let best = strong
            .iter()
            .filter(|a| a.input.id != b.input.id)
            .filter_map(|a| {
                let curve = ctx.curves.get(&a.input.id)?;
                let gained = curve.gain(a.measured.daily_spend(), daily) * 7.0;
                Some((*a, curve, gained))
            })
            .max_by(|x, y| (x.2 - lost).total_cmp(&(y.2 - lost)));
        let Some((a, curve, gained)) = best else { continue };
        let net = gained - lost;
        if net <= 0.0 {
            continue;
        }
        let roas_a = a.measured.week.roas.unwrap_or_default();
        let gap = roas_a - roas_b;
        let gap_points = match gap {
            g if g > 2.5 => 40.0,
            g if g > 1.5 => 30.0,
            g if g > 0.5 => 15.0,
            _ => 0.0,
        };
        let quality = if mb.days_active >= 7 && a.measured.days_active >= 7 { 5.0 } else { 3.0 };
        let urgency = match roas_b {
            r if r < 1.0 => (2.0, "the source campaign loses money: ROAS below 1.0×"),
            r if r < 1.5 => (1.5, "the source campaign performs poorly: ROAS below 1.5×"),
            _ => (1.0, "an optimisation opportunity"),
        };
        let score = Score::new(
            vec![part("base", 40.0), part("performance gap", gap_points), part("feasibility", if gained > 0.0 { 15.0 } else { 10.0 }), part("data quality", quality)],
            urgency,
            ctx.feasibility(K::ReallocateBudget),
        );
        let target = campaign_target(b);
        let to = campaign_target(a);
        let confidence = ctx.confidence(0.6 + gap_points / 40.0 * 0.4);
        out.push(Recommendation {
            kind: K::ReallocateBudget,
            situation_key: format!("{}:{}:to/{}", K::ReallocateBudget.as_str(), target.key(), a.input.id),
            trigger: "roas_gap".to_owned(),
            title: format!("Move {} from \"{}\" to \"{}\"", money(amount), b.input.name, a.input.name),
            target,
            related: vec![to],
            current: vec![
                Figure::judged(&format!("ROAS of {} (7 days)", b.input.name), Some(roas_b), Unit::Ratio, format!("≥ {}", ratio(t.reallocate_from_roas_below)), Some(false)),
                Figure::plain(&format!("Daily spend of {}", b.input.name), Some(mb.daily_spend()), Unit::Dollars),
                Figure::plain(&format!("Budget left of {}", b.input.name), Some(remaining), Unit::Dollars),
                Figure::judged(&format!("ROAS of {} (7 days)", a.input.name), Some(roas_a), Unit::Ratio, format!("> {}", ratio(t.reallocate_to_roas_above)), Some(true)),
                Figure::judged(&format!("Budget used by {}", a.input.name), a.measured.budget_used(&a.input).map(|u| 100.0 * u), Unit::Percent, format!("≥ {:.0}%", 100.0 * t.budget_used_share), Some(true)),
            ],
            primary_reason: format!("\"{}\" returns {} and has used its budget while \"{}\" returns {}", a.input.name, ratio(roas_a), b.input.name, ratio(roas_b)),
            evidence: vec![
                format!("ROAS gap (7 days) is {:.1} points ({} against {})", gap, ratio(roas_a), ratio(roas_b)),
                format!("\"{}\" has used {:.0}% of its budget", a.input.name, 100.0 * a.measured.budget_used(&a.input).unwrap_or_default()),
                format!("\"{}\" still spends {} a day with {} of budget left", b.input.name, money(mb.daily_spend()), money(remaining)),
            ],
            similar: ctx.similar(b),
            projection: Projection {
                method: format!(
                    "{} a day moved for 7 days. The receiving campaign's gain follows {}; the source's loss follows {}.",
                    money(daily),
                    curve.describe(),
                    from_curve.map_or_else(|| "no curve (no spend to scale by)".to_owned(), Curve::describe)
                ),
                if_act: vec![
                    Figure::plain(&format!("Incremental revenue gained by {} (7 days)", a.input.name), Some(gained), Unit::Dollars),
                    Figure::plain(&format!("Incremental revenue lost by {} (7 days)", b.input.name), Some(lost), Unit::Dollars),
                    Figure::plain("Net effect (7 days)", Some(net), Unit::Dollars),
                ],
                if_not: vec![Figure::plain(&format!("Spend of {} at {} (7 days)", b.input.name, ratio(roas_b)), Some(amount), Unit::Dollars)],
                net_weekly_dollars: Some(net),
                confidence,
                track_record: None,
            },
            alternatives: vec![Alternative {
                kind: K::PauseCampaign,
                description: format!("Pause \"{}\" instead", b.input.name),
                projected: format!("saves {} of spend over 7 days", money(mb.daily_spend() * 7.0)),
                action: Action::PauseCampaign { campaign_id: b.input.id },
            }],
            action: Action::MoveBudget { from_campaign_id: b.input.id, to_campaign_id: a.input.id, amount_cents: (amount * 100.0).round() as i64 },
            auto_execute: false,
            score,
        });
    }
    out
}

// 3. Test creative.
fn test_creative(ctx: &Context, c: &CampaignFacts) -> Option<Recommendation> {
    let (t, m) = (ctx.t, &c.measured);
    let ctr = m.week.ctr?;
    if m.days_active < t.creative_min_days || m.week.impressions < t.min_impressions || ctr >= t.creative_ctr_benchmark_percent || c.input.running_experiment {
        return None;
    }
    let weakest = weakest_creative(c)?;
    let benchmark = t.creative_ctr_benchmark_percent;
    let gap = benchmark - ctr;
    let gap_points = match gap {
        g if g > 1.0 => 35.0,
        g if g > 0.5 => 25.0,
        g if g > 0.2 => 15.0,
        _ => 5.0,
    };
    let peers: Vec<&CampaignFacts> = ctx.facts.campaigns.iter().filter(|o| o.input.id != c.input.id && o.input.campaign_type == c.input.campaign_type && o.measured.week.ctr.is_some()).collect();
    let reaching = peers.iter().filter(|o| o.measured.week.ctr.is_some_and(|x| x >= benchmark)).count();
    let evidence_share = if peers.is_empty() { 0.0 } else { reaching as f64 / peers.len() as f64 };
    let evidence_points = 20.0 * evidence_share;
    let data_points = match m.days_active {
        d if d >= 5 => 10.0,
        d if d >= 3 => 5.0,
        _ => 0.0,
    };
    let score = Score::new(
        vec![part("base", 35.0), part("CTR gap", gap_points), part("peers reach the benchmark", evidence_points), part("data sufficiency", data_points)],
        (1.0, "an optimisation opportunity"),
        if ctx.t.approval_required.contains(&K::TestCreative) {
            (0.6, "the challenger's copy must be written, then approved by a second person")
        } else {
            (0.85, "the challenger's copy must be written first")
        },
    );
    // The challenger is projected to reach what the best creatives of its peers reach.
    let mut best_of_peers: Vec<f64> = peers.iter().filter_map(|o| o.measured.creatives.iter().filter_map(|k| k.ctr).reduce(f64::max)).collect();
    let projected_ctr = crate::stats::median(&mut best_of_peers).unwrap_or(benchmark).max(benchmark);
    let revenue_per_click = if m.week.clicks > 0 { m.week.revenue / m.week.clicks as f64 } else { 0.0 };
    let extra_clicks = weakest.impressions as f64 * (projected_ctr - weakest.ctr.unwrap_or(ctr)).max(0.0) / 100.0;
    let target = Target { kind: TargetKind::Creative, id: weakest.id.to_string(), name: weakest.name.clone(), campaign_id: Some(c.input.id) };
    Some(Recommendation {
        kind: K::TestCreative,
        situation_key: key(K::TestCreative, &target, "low_ctr"),
        trigger: "low_ctr".to_owned(),
        title: format!("Test a challenger against \"{}\" in \"{}\"", weakest.name, c.input.name),
        target,
        related: vec![campaign_target(c)],
        current: vec![
            Figure::judged("Campaign CTR (7 days)", Some(ctr), Unit::Percent, format!("≥ {}", percent(benchmark)), Some(false)),
            Figure::plain(&format!("CTR of {} (7 days)", weakest.name), weakest.ctr, Unit::Percent),
            Figure::plain(&format!("Impressions of {} (7 days)", weakest.name), Some(weakest.impressions as f64), Unit::Count),
            Figure::judged("Days running", Some(m.days_active as f64), Unit::Count, format!("≥ {}", t.creative_min_days), Some(true)),
        ],
        primary_reason: format!("CTR of {} over 7 days is below the {} benchmark; \"{}\" has the lowest CTR of its active creatives", percent(ctr), percent(benchmark), weakest.name),
        evidence: vec![
            format!("CTR gap is {:.1} points ({} against {})", gap, percent(ctr), percent(benchmark)),
            format!("{} of {} other {} campaigns reach the benchmark", reaching, peers.len(), c.input.campaign_type),
            format!("\"{}\" has {} impressions and {} clicks over 7 days", weakest.name, weakest.impressions, weakest.clicks),
        ],
        similar: ctx.similar(c),
        projection: Projection {
            method: format!("A challenger reaching {} CTR (the median of the best creatives of the same type's campaigns, at least the benchmark), on the weakest creative's 7-day impressions, at the campaign's revenue per click.", percent(projected_ctr)),
            if_act: vec![
                Figure::plain("Projected CTR", Some(projected_ctr), Unit::Percent),
                Figure::plain("Additional clicks (7 days)", Some(extra_clicks), Unit::Count),
                Figure::plain("Additional revenue (7 days)", Some(extra_clicks * revenue_per_click), Unit::Dollars),
            ],
            if_not: vec![Figure::plain("CTR", weakest.ctr, Unit::Percent)],
            net_weekly_dollars: Some(extra_clicks * revenue_per_click),
            confidence: ctx.confidence(0.65 + evidence_points / 20.0 * 0.35),
            track_record: None,
        },
        alternatives: Vec::new(),
        action: Action::TestCreative { campaign_id: c.input.id, creative_id: weakest.id },
        auto_execute: false,
        score,
    })
}

// 4. Expand or focus a segment.
fn segments(ctx: &Context) -> Vec<Recommendation> {
    let t = ctx.t;
    let mut out = Vec::new();
    let best = ctx.facts.segments.iter().filter(|s| s.roas.is_some()).max_by(|a, b| a.roas.partial_cmp(&b.roas).unwrap_or(std::cmp::Ordering::Equal));
    for s in &ctx.facts.segments {
        let Some(roas) = s.roas else { continue };
        let target = Target { kind: TargetKind::Segment, id: s.segment.as_str().to_owned(), name: s.segment.as_str().to_owned(), campaign_id: None };
        let targeting = |c: &&CampaignFacts| c.input.target_segments.is_empty() || c.input.target_segments.contains(&s.segment);
        if roas > t.segment_expand_roas_above && s.reached > 0 && s.size as f64 >= (1.0 + t.segment_growth_share) * s.reached as f64 {
            // The best active campaign that does not target it yet takes it on.
            let Some(taker) = ctx.active().filter(|c| !targeting(c)).max_by(|a, b| a.measured.week.roas.partial_cmp(&b.measured.week.roas).unwrap_or(std::cmp::Ordering::Equal)) else { continue };
            let unreached = s.size - s.reached;
            let revenue_per_reached = s.revenue / s.reached as f64;
            let score = Score::new(
                vec![
                    part("base", 30.0),
                    part("ROAS above threshold", 40.0 * ((roas - t.segment_expand_roas_above) / t.segment_expand_roas_above).min(1.0)),
                    part("room to grow", 20.0 * (unreached as f64 / s.size as f64).min(1.0)),
                    part("data sufficiency", if s.impressions >= t.min_impressions { 10.0 } else { 0.0 }),
                ],
                (1.0, "an optimisation opportunity"),
                (0.85, "retargeting a live campaign is checked against consent first"),
            );
            out.push(segment_recommendation(s, target, "expand", score, roas, format!("{} returns {} over 7 days and {} of its {} users were not reached", s.segment, ratio(roas), unreached, s.size), vec![campaign_target(taker)], Projection {
                method: "The unreached users at the revenue per reached user of the last 7 days, scaled by the share the taking campaign would reach (its own reach rate); an optimistic upper bound on the segment's lower tier.".to_owned(),
                if_act: vec![Figure::plain("Additional users addressable", Some(unreached as f64), Unit::Count), Figure::plain("Additional revenue at most (7 days)", Some(unreached as f64 * revenue_per_reached), Unit::Dollars)],
                if_not: vec![Figure::plain("Users reached (7 days)", Some(s.reached as f64), Unit::Count)],
                net_weekly_dollars: Some(unreached as f64 * revenue_per_reached),
                confidence: ctx.confidence(0.6 + 0.2 * f64::from(u8::from(s.impressions >= t.min_impressions))),
                track_record: None,
            }, Action::AddTargetSegment { campaign_id: taker.input.id, segment: s.segment }, format!("\"{}\" (ROAS {}) takes it on", taker.input.name, ratio(taker.measured.week.roas.unwrap_or_default()))));
        } else if roas < t.segment_focus_roas_below
            && let Some(alt) = best.filter(|b| b.segment != s.segment && b.roas.is_some_and(|r| r >= t.segment_expand_roas_above))
        {
            let campaigns: Vec<&CampaignFacts> = ctx.active().filter(|c| c.input.target_segments.contains(&s.segment) && c.input.target_segments.len() > 1).collect();
            if campaigns.is_empty() {
                continue;
            }
            let score = Score::new(
                vec![
                    part("base", 30.0),
                    part("ROAS below threshold", 40.0 * ((t.segment_focus_roas_below - roas) / t.segment_focus_roas_below).min(1.0)),
                    part("spend at stake", 20.0 * (s.spend / ctx.facts.segments.iter().map(|x| x.spend).sum::<f64>().max(1.0)).min(1.0)),
                    part("data sufficiency", if s.impressions >= t.min_impressions { 10.0 } else { 0.0 }),
                ],
                (1.0, "an optimisation opportunity"),
                (0.85, "several campaigns change"),
            );
            out.push(segment_recommendation(s, target, "focus", score, roas, format!("{} returns {} over 7 days while {} returns {}", s.segment, ratio(roas), alt.segment, ratio(alt.roas.unwrap_or_default())), campaigns.iter().map(|c| campaign_target(c)).collect(), Projection {
                method: "The segment's 7-day spend is no longer spent on it; the revenue it brought is lost.".to_owned(),
                if_act: vec![Figure::plain("Spend no longer on the segment (7 days)", Some(s.spend), Unit::Dollars), Figure::plain("Revenue lost (7 days)", Some(s.revenue), Unit::Dollars)],
                if_not: vec![Figure::plain("Segment ROAS (7 days)", Some(roas), Unit::Ratio)],
                net_weekly_dollars: Some(s.spend - s.revenue),
                confidence: ctx.confidence(0.7),
                track_record: None,
            }, Action::RemoveTargetSegment { campaign_ids: campaigns.iter().map(|c| c.input.id).collect(), segment: s.segment }, format!("{} campaign{} stop targeting it", campaigns.len(), if campaigns.len() == 1 { "" } else { "s" })));
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn segment_recommendation(s: &SegmentFacts, target: Target, trigger: &str, score: Score, roas: f64, reason: String, related: Vec<Target>, projection: Projection, action: Action, how: String) -> Recommendation {
    Recommendation {
        kind: K::ExpandFocusSegment,
        situation_key: key(K::ExpandFocusSegment, &target, trigger),
        trigger: trigger.to_owned(),
        title: format!("{} {}: {how}", if trigger == "expand" { "Expand" } else { "Focus away from" }, s.segment),
        target,
        related,
        current: vec![
            Figure::plain("Segment ROAS (7 days)", Some(roas), Unit::Ratio),
            Figure::plain("Segment size", Some(s.size as f64), Unit::Count),
            Figure::plain("Users reached (7 days)", Some(s.reached as f64), Unit::Count),
            Figure::plain("Spend (7 days)", Some(s.spend), Unit::Dollars),
            Figure::plain("Revenue (7 days)", Some(s.revenue), Unit::Dollars),
        ],
        primary_reason: reason,
        evidence: vec![format!("ROAS of {} (7 days) is {}", s.segment, ratio(roas)), format!("{} users reached of {} in the segment", s.reached, s.size), format!("{} impressions over 7 days", s.impressions)],
        similar: Vec::new(),
        projection,
        alternatives: Vec::new(),
        action,
        auto_execute: false,
        score,
    }
}

// 5. Adjust frequency.
fn adjust_frequency(ctx: &Context, c: &CampaignFacts) -> Option<Recommendation> {
    let (t, m) = (ctx.t, &c.measured);
    if m.reached_week == 0 {
        return None;
    }
    let rate = 100.0 * m.unsubscribes_week as f64 / m.reached_week as f64;
    let per_week = m.deliveries_week as f64 / m.reached_week as f64 * 7.0 / m.week_days();
    if rate <= t.unsubscribe_rate_above_percent || per_week < t.frequency_per_week_at_least {
        return None;
    }
    let cap = ((per_week / 2.0).round() as u32).max(1);
    let target = campaign_target(c);
    let threshold = t.unsubscribe_rate_above_percent;
    let score = Score::new(
        vec![
            part("base", 30.0),
            part("unsubscribe rate", 40.0 * ((rate - threshold) / threshold).min(1.0)),
            part("frequency", 20.0 * ((per_week - t.frequency_per_week_at_least + 1.0) / 3.0).min(1.0)),
            part("data sufficiency", if m.reached_week >= 100 { 10.0 } else { 0.0 }),
        ],
        if rate > 2.0 * threshold { (1.5, "unsubscribes at twice the threshold erode the audience") } else { (1.0, "an optimisation opportunity") },
        (1.0, "a frequency cap applies at once"),
    );
    // Unsubscribes assumed in proportion to deliveries: halving them halves the losses.
    let kept = m.unsubscribes_week as f64 * (1.0 - f64::from(cap) / per_week).max(0.0);
    Some(Recommendation {
        kind: K::AdjustFrequency,
        situation_key: key(K::AdjustFrequency, &target, "fatigue"),
        trigger: "fatigue".to_owned(),
        title: format!("Cap \"{}\" at {cap} a week", c.input.name),
        target,
        related: Vec::new(),
        current: vec![
            Figure::judged("Unsubscribe rate (7 days)", Some(rate), Unit::Percent, format!("≤ {}", percent(threshold)), Some(false)),
            Figure::judged("Deliveries per user per week", Some(per_week), Unit::Count, format!("< {}", t.frequency_per_week_at_least), Some(false)),
            Figure::plain("Users reached (7 days)", Some(m.reached_week as f64), Unit::Count),
            Figure::plain("Frequency cap", c.input.frequency_cap_per_week.map(f64::from), Unit::Count),
        ],
        primary_reason: format!("{} of the users it reached unsubscribed in 7 days at {:.1} deliveries a week each", percent(rate), per_week),
        evidence: vec![
            format!("Unsubscribes (7 days): {} of {} users reached ({})", m.unsubscribes_week, m.reached_week, percent(rate)),
            format!("Deliveries (7 days): {} to {} users, {:.1} per user per week", m.deliveries_week, m.reached_week, per_week),
        ],
        similar: ctx.similar(c),
        projection: Projection {
            method: format!("Unsubscribes in proportion to deliveries: at {cap} a week instead of {per_week:.1}, the unsubscribes fall by the same share; revenue follows deliveries."),
            if_act: vec![
                Figure::plain("Unsubscribes avoided (7 days)", Some(kept), Unit::Count),
                Figure::plain("Revenue at risk from fewer sends (7 days)", Some(m.week.revenue * (1.0 - f64::from(cap) / per_week).max(0.0)), Unit::Dollars),
            ],
            if_not: vec![Figure::plain("Unsubscribes (7 days)", Some(m.unsubscribes_week as f64), Unit::Count)],
            net_weekly_dollars: None,
            confidence: ctx.confidence(if m.reached_week >= 100 { 0.75 } else { 0.6 }),
            track_record: None,
        },
        alternatives: Vec::new(),
        action: Action::SetFrequencyCap { campaign_id: c.input.id, per_week: cap },
        auto_execute: false,
        score,
    })
}

// 6. Budget increase.
fn budget_increase(ctx: &Context, c: &CampaignFacts) -> Option<Recommendation> {
    let (t, m) = (ctx.t, &c.measured);
    let roas = m.week.roas.filter(|r| *r > t.increase_roas_above)?;
    let used = m.budget_used(&c.input).filter(|u| *u >= t.budget_used_share)?;
    let target = campaign_target(c);
    let days_points = match m.days_active {
        d if d >= 7 => 10.0,
        d if d >= 3 => 5.0,
        _ => 0.0,
    };
    let score = Score::new(
        vec![
            part("base", 10.0),
            part("performance", 40.0 * ((roas - t.increase_roas_above) / t.increase_roas_above).min(1.0)),
            part("budget used", 20.0 * ((used - t.budget_used_share) / (1.0 - t.budget_used_share).max(0.01)).clamp(0.0, 1.0)),
            part("days running", days_points),
        ],
        (1.0, "an optimisation opportunity"),
        ctx.feasibility(K::BudgetIncrease),
    );
    let increase = c.input.budget_cents as f64 / 100.0 * t.increase_share;
    let daily = (increase / 7.0).min(m.daily_spend() * t.increase_share.max(0.0) * 7.0);
    let curve = ctx.curves.get(&c.input.id);
    let gained = curve.map_or(0.0, |k| k.gain(m.daily_spend(), daily)) * 7.0;
    Some(Recommendation {
        kind: K::BudgetIncrease,
        situation_key: key(K::BudgetIncrease, &target, "headroom"),
        trigger: "headroom".to_owned(),
        title: format!("Raise the budget of \"{}\" by {:.0}%", c.input.name, 100.0 * t.increase_share),
        target,
        related: Vec::new(),
        current: vec![
            Figure::judged("ROAS (7 days)", Some(roas), Unit::Ratio, format!("> {}", ratio(t.increase_roas_above)), Some(true)),
            Figure::judged("Budget used", Some(100.0 * used), Unit::Percent, format!("≥ {:.0}%", 100.0 * t.budget_used_share), Some(true)),
            Figure::plain("Budget", Some(c.input.budget_cents as f64 / 100.0), Unit::Dollars),
            Figure::plain("Daily spend", Some(m.daily_spend()), Unit::Dollars),
        ],
        primary_reason: format!("ROAS of {} over 7 days with {:.0}% of its budget used: it will stop while it still pays", ratio(roas), 100.0 * used),
        evidence: vec![format!("ROAS (7 days) is {}, above {}", ratio(roas), ratio(t.increase_roas_above)), format!("{} of {} budget spent", money(m.spend_to_date), money(c.input.budget_cents as f64 / 100.0))],
        similar: ctx.similar(c),
        projection: Projection {
            method: format!("{} more budget, spent over 7 days; the gain follows {}.", money(increase), curve.map_or_else(|| "no curve".to_owned(), Curve::describe)),
            if_act: vec![Figure::plain("Additional spend (7 days)", Some(daily * 7.0), Unit::Dollars), Figure::plain("Additional incremental revenue (7 days)", Some(gained), Unit::Dollars)],
            if_not: vec![Figure::plain("Budget left", Some((c.input.budget_cents as f64 / 100.0 - m.spend_to_date).max(0.0)), Unit::Dollars)],
            net_weekly_dollars: Some(gained - daily * 7.0),
            confidence: ctx.confidence(0.6 + days_points / 10.0 * 0.25),
            track_record: None,
        },
        alternatives: Vec::new(),
        action: Action::SetBudget { campaign_id: c.input.id, budget_cents: (c.input.budget_cents as f64 * (1.0 + t.increase_share)).round() as i64 },
        auto_execute: false,
        score,
    })
}

// 7. Change targeting.
fn change_targeting(ctx: &Context, c: &CampaignFacts) -> Option<Recommendation> {
    let (t, m) = (ctx.t, &c.measured);
    if m.days_active < t.targeting_min_days {
        return None;
    }
    let spent: Vec<&super::facts::SegmentSlice> = m.by_segment.iter().filter(|s| s.performance.spend > 0.0).collect();
    if spent.len() < 2 {
        return None;
    }
    let best = spent.iter().max_by(|a, b| a.performance.roas.partial_cmp(&b.performance.roas).unwrap_or(std::cmp::Ordering::Equal))?;
    let best_roas = best.performance.roas?;
    let (rest_spend, rest_revenue) = spent.iter().filter(|s| s.segment != best.segment).fold((0.0, 0.0), |(s, r), x| (s + x.performance.spend, r + x.performance.revenue));
    let rest_roas = rest_revenue / rest_spend;
    if !(rest_roas > 0.0) || best_roas < t.targeting_ratio_at_least * rest_roas {
        return None;
    }
    let times = best_roas / rest_roas;
    let reach_share = if m.reached_week > 0 { best.reached as f64 / m.reached_week as f64 } else { 0.0 };
    let target = campaign_target(c);
    let score = Score::new(
        vec![
            part("base", 20.0),
            part("performance anomaly", 40.0 * ((times - t.targeting_ratio_at_least) / t.targeting_ratio_at_least + 0.5).min(1.0)),
            part("data quality", if best.performance.impressions >= t.min_impressions { 15.0 } else { 7.0 }),
            part("risk", if reach_share >= 0.2 { 10.0 } else { 5.0 }),
        ],
        if ctx.facts.system.anomalies.iter().any(|a| a.campaign_id == Some(c.input.id)) {
            (1.5, "an anomaly is open on this campaign")
        } else {
            (1.0, "exploratory")
        },
        (0.85, "retargeting a live campaign is checked against consent first"),
    );
    Some(Recommendation {
        kind: K::ChangeTargeting,
        situation_key: format!("{}:{}:segment/{}", K::ChangeTargeting.as_str(), target.key(), best.segment),
        trigger: "segment_outperforms".to_owned(),
        title: format!("Focus \"{}\" on {}", c.input.name, best.segment),
        target,
        related: Vec::new(),
        current: spent.iter().map(|s| Figure::plain(&format!("ROAS in {} (7 days)", s.segment), s.performance.roas, Unit::Ratio)).collect(),
        primary_reason: format!("\"{}\" returns {} in {}, {:.1} times its {} in its other segments", c.input.name, ratio(best_roas), best.segment, times, ratio(rest_roas)),
        evidence: vec![
            format!("ROAS in {} (7 days) is {} on {} of spend", best.segment, ratio(best_roas), money(best.performance.spend)),
            format!("ROAS in its other segments (7 days) is {} on {} of spend", ratio(rest_roas), money(rest_spend)),
            format!("{} reached {:.0}% of its users", best.segment, 100.0 * reach_share),
        ],
        similar: Vec::new(),
        projection: Projection {
            method: "The spend now on the other segments earns the outperforming segment's ROAS instead (an upper bound: the segment's returns diminish as more is spent on it).".to_owned(),
            if_act: vec![Figure::plain("Revenue on the same spend at most (7 days)", Some(rest_spend * best_roas), Unit::Dollars)],
            if_not: vec![Figure::plain("Revenue from the other segments (7 days)", Some(rest_revenue), Unit::Dollars)],
            net_weekly_dollars: Some(rest_spend * best_roas - rest_revenue),
            confidence: ctx.confidence(if best.performance.impressions >= t.min_impressions { 0.7 } else { 0.55 }),
            track_record: None,
        },
        alternatives: Vec::new(),
        action: Action::SetTargetSegments { campaign_id: c.input.id, segments: vec![best.segment] },
        auto_execute: false,
        score,
    })
}

// 8. Launch holdout.
fn launch_holdout(ctx: &Context, c: &CampaignFacts) -> Option<Recommendation> {
    let (t, m) = (ctx.t, &c.measured);
    let without = c.input.holdout_percent <= 0.0;
    let unmeasured = !without && m.held_month == 0 && m.days_active >= 1;
    if !(without || unmeasured) || m.week.sends == 0 {
        return None;
    }
    let total_spend: f64 = ctx.active().map(|o| o.measured.week.spend).sum();
    let share = if total_spend > 0.0 { m.week.spend / total_spend } else { 0.0 };
    let days_left = c.input.ends_at.map(|e| (e - ctx.facts.now).num_days());
    let target = campaign_target(c);
    let score = Score::new(
        vec![
            part("base", 20.0),
            part("business impact (share of spend)", 40.0 * share),
            part("data completeness", 20.0 * (m.week.treated_users as f64 / 1_000.0).min(1.0)),
            part("time to measure", if days_left.is_none_or(|d| d >= 14) { 10.0 } else { 5.0 }),
        ],
        (1.0, "a measurement gap"),
        (1.0, "a holdout applies at once"),
    );
    Some(Recommendation {
        kind: K::LaunchHoldout,
        situation_key: key(K::LaunchHoldout, &target, "no_holdout"),
        trigger: "no_holdout".to_owned(),
        title: format!("Hold out {:.0}% of \"{}\"", t.holdout_percent, c.input.name),
        target,
        related: Vec::new(),
        current: vec![
            Figure::plain("Holdout share", Some(c.input.holdout_percent), Unit::Percent),
            Figure::plain("Held-out users (28 days)", Some(m.held_month as f64), Unit::Count),
            Figure::plain("Spend (7 days)", Some(m.week.spend), Unit::Dollars),
            Figure::plain("Share of all active spend (7 days)", Some(100.0 * share), Unit::Percent),
        ],
        primary_reason: if without { format!("\"{}\" runs with no holdout, so what it truly causes is unknown", c.input.name) } else { format!("\"{}\" has a holdout share but no held-out user in 28 days", c.input.name) },
        evidence: vec![format!("{} of spend over 7 days ({:.0}% of all active spend) with no incrementality measurement", money(m.week.spend), 100.0 * share), format!("{} deliveries over 7 days", m.week.sends)],
        similar: Vec::new(),
        projection: Projection {
            method: format!("{:.0}% of its new users are held out; the revenue they would have brought is forgone, in exchange for a measured incremental ROAS.", t.holdout_percent),
            if_act: vec![Figure::plain("Attributed revenue forgone at most (7 days)", Some(m.week.revenue * t.holdout_percent / 100.0), Unit::Dollars)],
            if_not: vec![Figure::plain("Incremental revenue measured", None, Unit::Dollars)],
            net_weekly_dollars: None,
            confidence: ctx.confidence(0.9),
            track_record: None,
        },
        alternatives: Vec::new(),
        action: Action::SetHoldout { campaign_id: c.input.id, percent: t.holdout_percent },
        auto_execute: false,
        score,
    })
}

// 9. Improve data quality.
fn data_quality(ctx: &Context) -> Option<Recommendation> {
    let (t, s) = (ctx.t, &ctx.facts.system);
    let error_share = if s.received_last_hour >= t.validation_min_events { Some(100.0 * s.rejected_last_hour as f64 / s.received_last_hour as f64) } else { None };
    let stale = s.events_expected && s.freshness_minutes.is_some_and(|f| f > t.freshness_minutes_above);
    let invalid = error_share.is_some_and(|e| e > t.validation_errors_above_percent);
    // The detector found the events overall falling away from their hour-of-week baseline.
    let anomaly = s.anomalies.iter().find(|a| a.campaign_id.is_none() && a.metric == "events" && matches!(a.kind.as_str(), "missing_data" | "drop" | "zero_value"));
    let trigger = if invalid {
        "invalid_events"
    } else if stale {
        "stale"
    } else if anomaly.is_some() && s.events_expected {
        "event_anomaly"
    } else {
        return None;
    };
    let freshness = s.freshness_minutes.unwrap_or_default();
    let urgency_points = if invalid { 50.0 * (error_share.unwrap_or_default() / 20.0).min(1.0) } else { 50.0 * (freshness / (4.0 * t.freshness_minutes_above)).min(1.0) };
    let severe = error_share.is_some_and(|e| e > 20.0) || freshness > 120.0;
    let score = Score::new(
        vec![part("base", 25.0), part("urgency", urgency_points), part("system reliability", 25.0 * (f64::from(s.hours_affected) / 6.0).min(1.0))],
        if severe { (2.0, "the dashboards are wrong or stale for everyone") } else { (1.5, "the dashboards lag or miss events") },
        (1.0, "a rebuild runs at once"),
    );
    let target = Target { kind: TargetKind::System, id: "system".to_owned(), name: "Data pipeline".to_owned(), campaign_id: None };
    Some(Recommendation {
        kind: K::ImproveDataQuality,
        situation_key: key(K::ImproveDataQuality, &target, trigger),
        trigger: trigger.to_owned(),
        title: match trigger {
            "invalid_events" => "Fix the rejected events".to_owned(),
            "stale" => "The data is stale".to_owned(),
            _ => "Events stopped arriving as usual".to_owned(),
        },
        target,
        related: Vec::new(),
        current: vec![
            Figure::judged("Freshness", s.freshness_minutes, Unit::Minutes, format!("≤ {:.0} min", t.freshness_minutes_above), s.freshness_minutes.map(|f| f <= t.freshness_minutes_above)),
            Figure::judged("Validation errors (last hour)", error_share, Unit::Percent, format!("≤ {}", percent(t.validation_errors_above_percent)), error_share.map(|e| e <= t.validation_errors_above_percent)),
            Figure::plain("Events received (last hour)", Some(s.received_last_hour as f64), Unit::Count),
        ],
        primary_reason: match trigger {
            "invalid_events" => format!("{} of the events received in the last hour were rejected", percent(error_share.unwrap_or_default())),
            "stale" => format!("The newest event is {freshness:.0} minutes old while campaigns are active"),
            _ => "Fewer events arrived in the last complete hour than its hour of the week leads to expect".to_owned(),
        },
        evidence: [
            format!("{} of {} events rejected in the last hour", s.rejected_last_hour, s.received_last_hour),
            format!("Freshness is {freshness:.0} minutes (target {:.0})", t.freshness_minutes_above),
            format!("{} of the last 6 hours showed the problem", s.hours_affected),
        ]
        .into_iter()
        .chain(anomaly.map(|a| format!("Anomaly detected: {}", a.message)))
        .collect(),
        similar: Vec::new(),
        projection: Projection {
            method: "A rebuild recomputes every rollup from the durable event log; the data team is alerted with the counters to fix the producer.".to_owned(),
            if_act: vec![Figure::plain("Rollups rebuilt from the log", None, Unit::Count)],
            if_not: vec![Figure::plain("Minutes of staleness", s.freshness_minutes, Unit::Minutes)],
            net_weekly_dollars: None,
            confidence: ctx.confidence(0.8),
            track_record: None,
        },
        alternatives: Vec::new(),
        action: Action::RefreshData,
        auto_execute: false,
        score,
    })
}

// 10. Compliance flag.
fn compliance_flag(ctx: &Context, c: &CampaignFacts) -> Option<Recommendation> {
    let k = &c.input.compliance;
    let (trigger, reason, exposure) = if k.refusals_week > 0 {
        ("ineligible_deliveries", format!("{} deliveries of \"{}\" were refused in 7 days because the users were not eligible under the consent rules", k.refusals_week, c.input.name), 5.0 * (k.refusals_week as f64 / 100.0).min(1.0))
    } else if k.missing_consent_method {
        ("missing_consent_method", format!("\"{}\" declares no consent method", c.input.name), 5.0)
    } else if k.missing_opt_out {
        ("missing_opt_out", format!("\"{}\" has no opt-out link", c.input.name), 5.0)
    } else if k.no_approval && c.input.status == CampaignStatus::Active {
        ("no_approval", format!("\"{}\" is live with no approval in the audit log", c.input.name), 5.0)
    } else {
        return None;
    };
    let target = campaign_target(c);
    let score = Score::new(vec![part("risk severity", 95.0), part("user exposure", exposure)], (2.0, "a regulatory risk"), (1.0, "a pause applies at once"));
    Some(Recommendation {
        kind: K::ComplianceFlag,
        situation_key: key(K::ComplianceFlag, &target, trigger),
        trigger: trigger.to_owned(),
        title: format!("Compliance: pause \"{}\"", c.input.name),
        target,
        related: Vec::new(),
        current: vec![
            Figure::judged("Ineligible deliveries refused (7 days)", Some(k.refusals_week as f64), Unit::Count, "0".to_owned(), Some(k.refusals_week == 0)),
            Figure::judged("Consent method declared", Some(f64::from(u8::from(!k.missing_consent_method))), Unit::Count, "yes".to_owned(), Some(!k.missing_consent_method)),
            Figure::judged("Opt-out link", Some(f64::from(u8::from(!k.missing_opt_out))), Unit::Count, "yes".to_owned(), Some(!k.missing_opt_out)),
            Figure::judged("Approval recorded", Some(f64::from(u8::from(!k.no_approval))), Unit::Count, "yes".to_owned(), Some(!k.no_approval)),
        ],
        primary_reason: reason,
        evidence: vec![format!("Refused ineligible deliveries (7 days): {}", k.refusals_week), format!("Deliveries (7 days): {}", c.measured.week.sends)],
        similar: Vec::new(),
        projection: Projection {
            method: "Pausing stops every delivery at once; the compliance officer reviews before it resumes.".to_owned(),
            if_act: vec![Figure::plain("Deliveries stopped (7 days at the current rate)", Some(c.measured.week.sends as f64), Unit::Count)],
            if_not: vec![Figure::plain("Deliveries at risk (7 days)", Some(c.measured.week.sends as f64), Unit::Count)],
            net_weekly_dollars: None,
            confidence: ctx.confidence(0.95),
            track_record: None,
        },
        alternatives: Vec::new(),
        action: Action::PauseCampaign { campaign_id: c.input.id },
        auto_execute: ctx.t.auto_execute_compliance,
        score,
    })
}

/// A trigger in words, for the reason a recommendation expired.
pub fn describe_trigger(kind: K, trigger: &str, t: &Thresholds) -> String {
    match (kind, trigger) {
        (K::PauseCampaign, "low_roas") => format!("7-day ROAS below {} after {} days", ratio(t.pause_roas_below), t.pause_min_days),
        (K::PauseCampaign, "low_ctr") => format!("5-day CTR below {} after {} days", percent(t.pause_ctr_below_percent), t.pause_ctr_min_days),
        (K::PauseCampaign, "overspend") => format!("spend over budget by {:.0}% with ROAS below {}", 100.0 * t.overspend_share, ratio(t.overspend_roas_below)),
        (K::ReallocateBudget, _) => format!("a campaign below {} beside one above {} that has used its budget, with a projected gain", ratio(t.reallocate_from_roas_below), ratio(t.reallocate_to_roas_above)),
        (K::TestCreative, _) => format!("7-day CTR below {} after {} days with no test running", percent(t.creative_ctr_benchmark_percent), t.creative_min_days),
        (K::ExpandFocusSegment, "expand") => format!("segment ROAS above {} with {:.0}% more users to reach", ratio(t.segment_expand_roas_above), 100.0 * t.segment_growth_share),
        (K::ExpandFocusSegment, _) => format!("segment ROAS below {} beside a segment above {}", ratio(t.segment_focus_roas_below), ratio(t.segment_expand_roas_above)),
        (K::AdjustFrequency, _) => format!("unsubscribes above {} at {} or more deliveries a week", percent(t.unsubscribe_rate_above_percent), t.frequency_per_week_at_least),
        (K::BudgetIncrease, _) => format!("ROAS above {} with {:.0}% of the budget used", ratio(t.increase_roas_above), 100.0 * t.budget_used_share),
        (K::ChangeTargeting, _) => format!("one segment returning {}× the others", t.targeting_ratio_at_least),
        (K::LaunchHoldout, _) => "a live campaign without a measuring holdout".to_owned(),
        (K::ImproveDataQuality, "stale") => format!("data older than {:.0} minutes while campaigns run", t.freshness_minutes_above),
        (K::ImproveDataQuality, "event_anomaly") => "an open anomaly: events overall missing or falling against their hour of the week".to_owned(),
        (K::ImproveDataQuality, _) => format!("over {} of the last hour's events rejected", percent(t.validation_errors_above_percent)),
        (K::ComplianceFlag, "ineligible_deliveries") => "deliveries refused to ineligible users in the last 7 days".to_owned(),
        (K::ComplianceFlag, "missing_consent_method") => "no consent method declared".to_owned(),
        (K::ComplianceFlag, "missing_opt_out") => "no opt-out link".to_owned(),
        (K::ComplianceFlag, _) => "live without a recorded approval".to_owned(),
        (_, other) => other.to_owned(),
    }
}
