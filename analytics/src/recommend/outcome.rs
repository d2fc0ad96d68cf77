//! Outcome tracking (docs/recommendations.md, "Outcomes"): once an executed recommendation's
//! evaluation window has passed, what really happened set against what was projected.
//!
//! The figures the engine projects are 7-day changes against the 7 days before acting, so the
//! actual ones are too: each is measured over the 7 days before the execution and over the
//! evaluation window after it (scaled to 7 days), and the change is the actual. Which figures a
//! type compares follows the order of its projection's `if_act` list in `rules` (tested).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::facts::{MIN_GROUP_USERS, reach};
use super::{Action, Recommendation, RecommendationKind as K};
use crate::domain::{CampaignType, SegmentType};
use crate::metrics::compute::{Config, Filter, Parts, tally_parts};
use crate::metrics::definitions::Unit;
use crate::metrics::store::Store;

const DAY: i64 = 86_400;

/// What an action touched, so its windows measure just that.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Subject {
    pub campaigns: Vec<Uuid>,
    pub segment: Option<SegmentType>,
    /// The challenger a creative test started (read from the experiment at the edge).
    pub creative: Option<Uuid>,
}

impl Subject {
    pub fn of(action: &Action) -> Subject {
        let campaigns = |ids: &[Uuid]| Subject { campaigns: ids.to_vec(), ..Subject::default() };
        match action {
            Action::PauseCampaign { campaign_id }
            | Action::SetFrequencyCap { campaign_id, .. }
            | Action::SetBudget { campaign_id, .. }
            | Action::SetTargetSegments { campaign_id, .. }
            | Action::SetHoldout { campaign_id, .. }
            | Action::TestCreative { campaign_id, .. } => campaigns(&[*campaign_id]),
            Action::MoveBudget { from_campaign_id, to_campaign_id, .. } => campaigns(&[*from_campaign_id, *to_campaign_id]),
            Action::AddTargetSegment { campaign_id, segment } => Subject { campaigns: vec![*campaign_id], segment: Some(*segment), creative: None },
            Action::RemoveTargetSegment { campaign_ids, segment } => Subject { campaigns: campaign_ids.clone(), segment: Some(*segment), creative: None },
            Action::RefreshData => Subject::default(),
        }
    }
}

/// One campaign over one window, every figure scaled to 7 days.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CampaignWindow {
    pub spend: f64,
    /// Attributed revenue, dollars.
    pub revenue: f64,
    /// Incremental revenue, dollars, estimated as the engine estimates it (see `incremental`).
    pub incremental: f64,
    pub sends: f64,
    pub impressions: f64,
    pub clicks: f64,
    /// Users who unsubscribed after one of its deliveries.
    pub unsubscribes: f64,
    /// The subject's segment: the campaign's spend and revenue on it, and users reached in it.
    pub segment_spend: f64,
    pub segment_revenue: f64,
    pub segment_reached: f64,
    /// The subject's creative: its impressions and clicks.
    pub creative_impressions: f64,
    pub creative_clicks: f64,
}

impl CampaignWindow {
    pub fn roas(&self) -> Option<f64> {
        (self.spend > 0.0).then(|| self.revenue / self.spend)
    }
}

/// The subject's campaigns over one window.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    pub from: i64,
    pub to: i64,
    pub campaigns: HashMap<Uuid, CampaignWindow>,
    /// How the incremental revenue was estimated, per campaign, in words.
    pub methods: HashMap<Uuid, String>,
}

impl Measurement {
    fn of(&self, id: Uuid) -> CampaignWindow {
        self.campaigns.get(&id).cloned().unwrap_or_default()
    }
}

/// Measures the subject over `[from, to)`, scaled to 7 days. A campaign's incremental revenue is
/// its own holdout comparison when both groups have `MIN_GROUP_USERS`; else its revenue × the
/// incremental share the window's measured campaigns of its type show; else its revenue (the
/// engine's estimator, so projection and actual are measured alike).
pub fn measure(store: &Store, config: &Config, subject: &Subject, from: i64, to: i64) -> Measurement {
    let mut out = Measurement { from, to, ..Measurement::default() };
    if subject.campaigns.is_empty() || to <= from {
        return out;
    }
    let scale = 7.0 * DAY as f64 / (to - from) as f64;
    let both = Parts { engagement: true, incrementality: true, ..Parts::default() };
    let all = tally_parts(store, &Filter::default(), config, from, to, both);
    let segment = subject.segment.map(|s| tally_parts(store, &Filter { segments: vec![s], ..Filter::default() }, config, from, to, Parts { engagement: true, ..Parts::default() }));
    let reached = reach(store, from, to);

    // The incremental share by campaign type, from the campaigns whose holdout measures it.
    let mut shares: HashMap<CampaignType, (f64, f64, usize)> = HashMap::new();
    for (index, c) in &all.campaigns {
        let Some(info) = store.campaigns.get(*index as usize) else { continue };
        if c.treated >= MIN_GROUP_USERS && c.held >= MIN_GROUP_USERS && c.treated_cents > 0 {
            let e = shares.entry(info.campaign_type).or_default();
            e.0 += c.incremental_cents().unwrap_or(0.0);
            e.1 += c.treated_cents as f64;
            e.2 += 1;
        }
    }

    for id in &subject.campaigns {
        let Some(index) = store.campaign_index(*id) else {
            out.campaigns.insert(*id, CampaignWindow::default());
            out.methods.insert(*id, "no events".to_owned());
            continue;
        };
        let c = all.campaigns.get(&index).cloned().unwrap_or_default();
        let revenue = c.attributed_cents as f64 / 100.0;
        let campaign_type = store.campaigns[index as usize].campaign_type;
        let (incremental, method) = if c.treated >= MIN_GROUP_USERS && c.held >= MIN_GROUP_USERS {
            (c.incremental_cents().unwrap_or(0.0) / 100.0, "its own holdout comparison".to_owned())
        } else if let Some((inc, rev, n)) = shares.get(&campaign_type).filter(|s| s.1 > 0.0) {
            let share = (inc / rev).clamp(0.0, 1.0);
            (revenue * share, format!("its revenue × {:.0}%, the incremental share of {n} measured {campaign_type} campaign{}", 100.0 * share, if *n == 1 { "" } else { "s" }))
        } else {
            (revenue, "its gross attributed revenue (no measured holdout)".to_owned())
        };
        let (unsubscribes, users_in_segment) = (
            reached.by_campaign.get(&index).map_or(0, |r| r.2),
            subject.segment.map_or(0, |s| reached.by_campaign_segment.get(&(index, s)).copied().unwrap_or(0)),
        );
        let seg = segment.as_ref().and_then(|t| t.campaigns.get(&index)).cloned().unwrap_or_default();
        let creative = subject.creative.and_then(|k| store.creative_index(k)).and_then(|k| all.creatives.get(&k)).cloned().unwrap_or_default();
        out.campaigns.insert(
            *id,
            CampaignWindow {
                spend: c.spend_cents as f64 / 100.0 * scale,
                revenue: revenue * scale,
                incremental: incremental * scale,
                sends: c.sends_all as f64 * scale,
                impressions: c.impressions as f64 * scale,
                clicks: c.clicks as f64 * scale,
                unsubscribes: unsubscribes as f64 * scale,
                segment_spend: seg.spend(true) / 100.0 * scale,
                segment_revenue: seg.attributed_cents as f64 / 100.0 * scale,
                segment_reached: users_in_segment as f64 * scale,
                creative_impressions: creative.impressions as f64 * scale,
                creative_clicks: creative.clicks as f64 * scale,
            },
        );
        out.methods.insert(*id, method);
    }
    out
}

/// One projected figure beside what happened.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Compared {
    pub label: String,
    pub unit: Unit,
    pub projected: Option<f64>,
    pub actual: Option<f64>,
}

impl Compared {
    fn new(label: &str, unit: Unit, projected: Option<f64>, actual: Option<f64>) -> Compared {
        Compared { label: label.to_owned(), unit, projected, actual }
    }

    /// Actual − projected.
    pub fn error(&self) -> Option<f64> {
        Some(self.actual? - self.projected?)
    }
}

/// What executing a recommendation did, against what it projected.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// How the actual figures were measured, in words.
    pub method: String,
    /// Unix seconds: the 7 days before the execution, and the evaluation window after it.
    pub before_from: i64,
    pub after_from: i64,
    pub after_to: i64,
    pub figures: Vec<Compared>,
    /// The figure the type is judged on (the net weekly effect where it has one).
    pub headline: Option<Compared>,
    /// (actual − projected) ÷ |projected| × 100 on the headline.
    pub error_percent: Option<f64>,
    /// Whether the headline came within the tolerance of its projection.
    pub hit: Option<bool>,
}

/// Compares what the recommendation projected with the two windows around its execution of
/// `executed` (the action as carried out, possibly customised). `tolerance`: the share of the
/// projection an actual may miss it by and still count as a hit.
pub fn compare(rec: &Recommendation, executed: &Action, before: &Measurement, after: &Measurement, margin_rate: f64, tolerance: f64) -> Outcome {
    // An alternative carried out instead has no projection of its own here.
    let alternative = std::mem::discriminant(executed) != std::mem::discriminant(&rec.action);
    let projected = |i: usize| rec.projection.if_act.get(i).and_then(|f| f.value).filter(|_| !alternative);
    let label = |i: usize, fallback: &str| rec.projection.if_act.get(i).map_or_else(|| fallback.to_owned(), |f| f.label.clone());
    let (b, a) = (|id: Uuid| before.of(id), |id: Uuid| after.of(id));
    let d = Unit::Dollars;
    let mut net: Option<Compared> = None;
    let mut extra = Vec::new();
    let figures: Vec<Compared> = match executed {
        Action::PauseCampaign { campaign_id } if rec.kind == K::ComplianceFlag => {
            let (b, a) = (b(*campaign_id), a(*campaign_id));
            vec![Compared::new(&label(0, "Deliveries stopped (7 days)"), Unit::Count, projected(0), Some(b.sends - a.sends))]
        }
        Action::PauseCampaign { campaign_id } => {
            let (b, a) = (b(*campaign_id), a(*campaign_id));
            let saved = b.spend - a.spend;
            let lost = b.incremental - a.incremental;
            let margin = lost * margin_rate;
            net = Some(Compared::new(&label(3, "Net effect (7 days)"), d, projected(3), Some(saved - margin)));
            vec![
                Compared::new(&label(0, "Spend saved (7 days)"), d, projected(0), Some(saved)),
                Compared::new(&label(1, "Incremental revenue lost (7 days)"), d, projected(1), Some(lost)),
                Compared::new(&label(2, "Gross margin lost (7 days)"), d, projected(2), Some(margin)),
            ]
        }
        Action::MoveBudget { from_campaign_id, to_campaign_id, .. } => {
            let (bf, af, bt, at) = (b(*from_campaign_id), a(*from_campaign_id), b(*to_campaign_id), a(*to_campaign_id));
            let gained = at.incremental - bt.incremental;
            let lost = bf.incremental - af.incremental;
            net = Some(Compared::new(&label(2, "Net effect (7 days)"), d, projected(2), Some(gained - lost)));
            // What the move did to the two campaigns' return, for the record.
            let pair_roas = |x: &CampaignWindow, y: &CampaignWindow| (x.spend + y.spend > 0.0).then(|| (x.revenue + y.revenue) / (x.spend + y.spend));
            extra.push(Compared::new("ROAS of the two campaigns together (7 days)", Unit::Ratio, pair_roas(&bf, &bt), pair_roas(&af, &at)));
            extra.push(Compared::new("ROAS of the receiving campaign (7 days)", Unit::Ratio, bt.roas(), at.roas()));
            vec![Compared::new(&label(0, "Incremental revenue gained (7 days)"), d, projected(0), Some(gained)), Compared::new(&label(1, "Incremental revenue lost (7 days)"), d, projected(1), Some(lost))]
        }
        Action::TestCreative { campaign_id, .. } => {
            let (b, a) = (b(*campaign_id), a(*campaign_id));
            let challenger_ctr = (a.creative_impressions > 0.0).then(|| 100.0 * a.creative_clicks / a.creative_impressions);
            // Revenue per click before the test turns the extra clicks into dollars, as projected.
            let gained = a.revenue - b.revenue;
            net = Some(Compared::new(&label(2, "Additional revenue (7 days)"), d, projected(2), Some(gained)));
            vec![Compared::new(&label(0, "Projected CTR"), Unit::Percent, projected(0), challenger_ctr), Compared::new(&label(1, "Additional clicks (7 days)"), Unit::Count, projected(1), Some(a.clicks - b.clicks))]
        }
        Action::AddTargetSegment { campaign_id, .. } => {
            let (b, a) = (b(*campaign_id), a(*campaign_id));
            net = Some(Compared::new(&label(1, "Additional revenue at most (7 days)"), d, projected(1), Some(a.revenue - b.revenue)));
            vec![Compared::new(&label(0, "Additional users reached"), Unit::Count, projected(0), Some(a.segment_reached - b.segment_reached))]
        }
        Action::RemoveTargetSegment { campaign_ids, .. } => {
            let sum = |m: &Measurement, f: fn(&CampaignWindow) -> f64| campaign_ids.iter().map(|id| f(&m.of(*id))).sum::<f64>();
            let saved = sum(before, |c| c.segment_spend) - sum(after, |c| c.segment_spend);
            let lost = sum(before, |c| c.segment_revenue) - sum(after, |c| c.segment_revenue);
            net = Some(Compared::new("Net effect (7 days)", d, rec.projection.net_weekly_dollars.filter(|_| !alternative), Some(saved - lost)));
            vec![Compared::new(&label(0, "Spend no longer on the segment (7 days)"), d, projected(0), Some(saved)), Compared::new(&label(1, "Revenue lost (7 days)"), d, projected(1), Some(lost))]
        }
        Action::SetFrequencyCap { campaign_id, .. } => {
            let (b, a) = (b(*campaign_id), a(*campaign_id));
            vec![
                Compared::new(&label(0, "Unsubscribes avoided (7 days)"), Unit::Count, projected(0), Some(b.unsubscribes - a.unsubscribes)),
                Compared::new(&label(1, "Revenue at risk from fewer sends (7 days)"), d, projected(1), Some(b.revenue - a.revenue)),
            ]
        }
        Action::SetBudget { campaign_id, .. } => {
            let (b, a) = (b(*campaign_id), a(*campaign_id));
            let (spent, gained) = (a.spend - b.spend, a.incremental - b.incremental);
            net = Some(Compared::new("Net effect (7 days)", d, rec.projection.net_weekly_dollars.filter(|_| !alternative), Some(gained - spent)));
            vec![Compared::new(&label(0, "Additional spend (7 days)"), d, projected(0), Some(spent)), Compared::new(&label(1, "Additional incremental revenue (7 days)"), d, projected(1), Some(gained))]
        }
        Action::SetTargetSegments { campaign_id, .. } => {
            let (b, a) = (b(*campaign_id), a(*campaign_id));
            // The revenue the before-window's spend earns at the after-window's return.
            let at_same_spend = a.roas().map(|r| r * b.spend);
            net = Some(Compared::new("Net effect (7 days)", d, rec.projection.net_weekly_dollars.filter(|_| !alternative), at_same_spend.map(|r| r - b.revenue)));
            vec![Compared::new(&label(0, "Revenue on the same spend (7 days)"), d, projected(0), at_same_spend)]
        }
        Action::SetHoldout { campaign_id, .. } => {
            let (b, a) = (b(*campaign_id), a(*campaign_id));
            let measured = after.methods.get(campaign_id).is_some_and(|m| m.starts_with("its own holdout"));
            vec![
                Compared::new(&label(0, "Attributed revenue forgone (7 days)"), d, projected(0), Some(b.revenue - a.revenue)),
                Compared::new("Incremental revenue measured (7 days)", d, None, measured.then_some(a.incremental)),
            ]
        }
        Action::RefreshData => Vec::new(),
    };
    let headline = net.clone().or_else(|| figures.iter().find(|f| f.projected.is_some() && f.actual.is_some()).cloned());
    let error_percent = headline.as_ref().and_then(|h| {
        let p = h.projected?;
        let error = h.error()?;
        (p.abs() > f64::EPSILON).then(|| 100.0 * error / p.abs())
    });
    let hit = headline.as_ref().and_then(|h| Some((h.actual? - h.projected?).abs() <= tolerance * h.projected?.abs().max(1.0)));
    let mut all = figures;
    all.extend(net);
    all.extend(extra);
    let methods: Vec<String> = {
        let mut m: Vec<(String, String)> = after.methods.iter().map(|(id, how)| (id.to_string(), how.clone())).collect();
        m.sort();
        m.into_iter().map(|(_, how)| how).collect()
    };
    let window_days = (after.to - after.from) as f64 / DAY as f64;
    let method = if matches!(executed, Action::RefreshData) {
        "A data refresh has no business figure to measure: its effect is the rebuilt rollups, recorded at execution.".to_owned()
    } else {
        format!(
            "Each figure over the {window_days:.0} days after the execution, scaled to 7 days, against the 7 days before it; incremental revenue from {}.{}",
            if methods.is_empty() { "no measurement".to_owned() } else { methods.join("; ") },
            if alternative {
                " An alternative was executed: the recommendation's projection does not apply to it."
            } else if executed != &rec.action {
                " The action was customised: the projection is for the recommended one."
            } else {
                ""
            }
        )
    };
    Outcome { method, before_from: before.from, after_from: after.from, after_to: after.to, figures: all, headline, error_percent, hit }
}

/// How a type's executed recommendations turned out: its confidence learns from it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct TrackRecord {
    /// Outcomes with a judged headline.
    pub evaluated: u32,
    /// Of them, those within the tolerance.
    pub hits: u32,
}

impl TrackRecord {
    /// The engine's own confidence, shrunk towards the hit rate: `prior_weight` outcomes' worth
    /// of belief in the model, then each judged outcome counts once.
    pub fn blend(&self, base: f64, prior_weight: f64) -> f64 {
        if self.evaluated == 0 {
            return base;
        }
        ((prior_weight * base + f64::from(self.hits)) / (prior_weight + f64::from(self.evaluated))).clamp(0.0, 1.0)
    }
}

/// Applies each type's track record to the recommendations' confidences, and says so.
pub fn apply_track_records(found: &mut [Recommendation], records: &HashMap<K, TrackRecord>, prior_weight: f64, tolerance: f64) {
    for rec in found {
        let Some(record) = records.get(&rec.kind).filter(|r| r.evaluated > 0) else { continue };
        let model = rec.projection.confidence;
        rec.projection.confidence = record.blend(model, prior_weight);
        rec.projection.track_record = Some(format!(
            "{} of {} executed \"{}\" recommendation{} came within {:.0}% of the projection; the model's own confidence of {:.0}% counts as {prior_weight:.0} more, giving {:.0}%.",
            record.hits,
            record.evaluated,
            rec.kind.title(),
            if record.evaluated == 1 { "" } else { "s" },
            100.0 * tolerance,
            100.0 * model,
            100.0 * rec.projection.confidence
        ));
    }
}
