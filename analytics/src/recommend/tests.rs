//! Each type fires for exactly the entities that meet its trigger (docs/recommendations.md).

use chrono::{TimeZone, Utc};
use uuid::Uuid;

use super::facts::{CampaignFacts, CreativeSlice, Measured, SegmentFacts, SegmentSlice};
use super::*;
use crate::domain::{CampaignStatus, CampaignType, SegmentType};
use crate::metrics::leaderboard::Performance;

fn perf(spend: f64, revenue: f64, impressions: u64, clicks: u64) -> Performance {
    Performance {
        spend,
        revenue,
        impressions,
        clicks,
        sends: impressions,
        conversions: clicks / 10,
        treated_users: 900,
        holdout_users: 100,
        roas: (spend > 0.0).then(|| revenue / spend),
        ctr: (impressions > 0).then(|| 100.0 * clicks as f64 / impressions as f64),
        ..Performance::default()
    }
}

/// A healthy campaign: 10 days old, ROAS 3.0, CTR 2%, a tenth of its budget spent, a measured
/// holdout, few unsubscribes. It triggers nothing.
fn healthy(name: &str) -> CampaignFacts {
    let id = Uuid::new_v4();
    CampaignFacts {
        input: CampaignInput {
            id,
            name: name.to_owned(),
            campaign_type: CampaignType::Cashback,
            status: CampaignStatus::Active,
            target_segments: vec![SegmentType::HighSpender, SegmentType::FrequentShopper],
            budget_cents: 1_000_000,
            holdout_percent: 10.0,
            frequency_cap_per_week: None,
            starts_at: None,
            launched_at: None,
            ends_at: None,
            creatives: Vec::new(),
            running_experiment: false,
            compliance: ComplianceFacts::default(),
        },
        measured: Measured {
            days_active: 10,
            week: perf(700.0, 2_100.0, 5_000, 100),
            ctr_5d: Some(2.0),
            impressions_5d: 3_500,
            spend_to_date: 1_000.0,
            incremental_week: Some(700.0),
            treated_revenue_week: 2_000.0,
            month_spend: 1_000.0,
            incremental_month: Some(1_000.0),
            treated_revenue_month: 2_900.0,
            held_month: 200,
            reached_week: 1_000,
            deliveries_week: 1_500,
            unsubscribes_week: 5,
            by_segment: Vec::new(),
            creatives: vec![CreativeSlice { id: Uuid::new_v4(), name: format!("{name} A"), active: true, impressions: 5_000, clicks: 100, ctr: Some(2.0) }],
        },
    }
}

fn world(campaigns: Vec<CampaignFacts>) -> Facts {
    Facts {
        now: Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap(),
        campaigns,
        segments: Vec::new(),
        system: SystemFacts { freshness_minutes: Some(1.0), events_expected: true, received_last_hour: 10_000, rejected_last_hour: 10, hours_affected: 0, anomalies: Vec::new() },
        margin_rate: 0.35,
    }
}

fn of_kind(facts: &Facts, kind: RecommendationKind) -> Vec<Recommendation> {
    evaluate(facts, &Thresholds::default()).into_iter().filter(|r| r.kind == kind).collect()
}

fn targets(recs: &[Recommendation]) -> Vec<String> {
    let mut names: Vec<String> = recs.iter().map(|r| r.target.name.clone()).collect();
    names.sort();
    names
}

#[test]
fn a_healthy_world_gets_no_recommendation() {
    let facts = world(vec![healthy("a"), healthy("b"), healthy("c")]);
    assert_eq!(evaluate(&facts, &Thresholds::default()), Vec::new());
}

#[test]
fn pause_fires_on_low_roas_after_7_days_low_ctr_after_5_and_overspend_and_scores_as_the_spec() {
    let mut low_roas = healthy("low roas");
    low_roas.measured.days_active = 7;
    low_roas.measured.week = perf(1_750.0, 3_150.0, 5_000, 40);
    low_roas.measured.ctr_5d = Some(0.8);
    let mut too_young = healthy("too young");
    too_young.measured.days_active = 6;
    too_young.measured.week = perf(1_750.0, 3_150.0, 5_000, 100);
    let mut low_ctr = healthy("low ctr");
    low_ctr.measured.days_active = 5;
    low_ctr.measured.ctr_5d = Some(0.9);
    let mut few_impressions = healthy("few impressions");
    few_impressions.measured.ctr_5d = Some(0.5);
    few_impressions.measured.impressions_5d = 500;
    let mut overspend = healthy("overspend");
    overspend.measured.days_active = 3;
    overspend.measured.week = perf(1_000.0, 1_400.0, 5_000, 100);
    overspend.measured.spend_to_date = 11_500.0;
    let facts = world(vec![low_roas, too_young, low_ctr, few_impressions, overspend, healthy("fine")]);
    let recs = of_kind(&facts, RecommendationKind::PauseCampaign);
    assert_eq!(targets(&recs), ["low ctr", "low roas", "overspend"]);
    let r = recs.iter().find(|r| r.target.name == "low roas").unwrap();
    assert_eq!(r.trigger, "low_roas");
    // The spec's example: ROAS 1.8, CTR 0.8%, 7 days → 50 + 22 + 10 + 5 = 87, confidence 100%.
    assert!((r.score.impact - 87.0).abs() < 1e-9, "{:?}", r.score);
    assert_eq!((r.score.urgency, r.score.feasibility), (1.5, 1.0));
    assert_eq!(r.score.level, Level::Critical);
    assert!((r.projection.confidence - 1.0).abs() < 1e-9);
    // Incremental, not gross: 700 of 3,150 over the week, and its margin (35%) against the spend.
    assert_eq!(r.projection.if_act[1].value, Some(700.0));
    assert_eq!(r.projection.net_weekly_dollars, Some(1_750.0 - 0.35 * 700.0));
    assert!(r.evidence.iter().any(|e| e.contains("1.8×") && e.contains("ROAS")));
    assert_eq!(r.situation_key, format!("pause_campaign:campaign/{}:low_roas", r.target.id));
    assert_eq!(recs.iter().find(|r| r.target.name == "overspend").unwrap().trigger, "overspend");
}

#[test]
fn a_pause_without_a_holdout_projects_with_the_pooled_incremental_share_of_its_type() {
    let mut weak = healthy("weak");
    weak.measured.week = perf(1_000.0, 1_500.0, 5_000, 100);
    weak.measured.incremental_week = None;
    let facts = world(vec![weak, healthy("measured")]);
    let r = &of_kind(&facts, RecommendationKind::PauseCampaign)[0];
    // "measured" earned 1,000 incremental of 2,900 treatment revenue over 28 days (34%); "weak" also has its own month figures.
    let ratio = (1_000.0 + 1_000.0) / (2_900.0 + 2_900.0);
    assert!((r.projection.if_act[1].value.unwrap() - 1_500.0 * ratio).abs() < 1e-6);
    assert!(r.projection.method.contains("incremental share measured by the holdouts of 2"), "{}", r.projection.method);
}

#[test]
fn reallocation_pairs_each_weak_campaign_with_a_strong_capped_one() {
    let mut strong = healthy("strong");
    strong.measured.week = perf(700.0, 2_940.0, 5_000, 100);
    strong.measured.spend_to_date = 9_500.0;
    strong.measured.incremental_month = Some(3_000.0);
    let mut uncapped = healthy("uncapped");
    uncapped.measured.week = perf(700.0, 3_500.0, 5_000, 100);
    let mut weak = healthy("weak");
    weak.measured.week = perf(700.0, 1_050.0, 5_000, 100);
    weak.measured.incremental_month = Some(300.0);
    let facts = world(vec![strong, uncapped, weak.clone(), healthy("fine")]);
    let recs = of_kind(&facts, RecommendationKind::ReallocateBudget);
    assert_eq!(recs.len(), 1, "{recs:#?}");
    let r = &recs[0];
    assert_eq!(r.target.name, "weak");
    assert_eq!(r.related[0].name, "strong");
    assert!(r.projection.net_weekly_dollars.unwrap() > 0.0);
    assert!(matches!(r.action, Action::MoveBudget { amount_cents: 70_000, .. }), "{:?}", r.action);
    assert_eq!(r.score.feasibility, 0.85);
    // Moving money between campaigns that cause the same revenue per dollar gains nothing.
    let mut twin = healthy("twin");
    twin.measured.week = perf(700.0, 2_940.0, 5_000, 100);
    twin.measured.spend_to_date = 9_500.0;
    weak.measured.incremental_month = Some(1_000.0);
    assert!(of_kind(&world(vec![twin, weak]), RecommendationKind::ReallocateBudget).is_empty());
}

#[test]
fn a_creative_test_targets_the_weakest_creative_of_a_low_ctr_campaign_without_a_running_test() {
    let mut dull = healthy("dull");
    dull.measured.week = perf(700.0, 2_100.0, 5_000, 50);
    dull.measured.creatives = vec![
        CreativeSlice { id: Uuid::new_v4(), name: "good".to_owned(), active: true, impressions: 2_500, clicks: 35, ctr: Some(1.4) },
        CreativeSlice { id: Uuid::new_v4(), name: "bad".to_owned(), active: true, impressions: 2_500, clicks: 15, ctr: Some(0.6) },
        CreativeSlice { id: Uuid::new_v4(), name: "paused".to_owned(), active: false, impressions: 0, clicks: 0, ctr: None },
    ];
    let mut testing = dull.clone();
    testing.input.id = Uuid::new_v4();
    testing.input.name = "testing".to_owned();
    testing.input.running_experiment = true;
    let facts = world(vec![dull, testing, healthy("fine")]);
    let recs = of_kind(&facts, RecommendationKind::TestCreative);
    assert_eq!(targets(&recs), ["bad"]);
    assert_eq!(recs[0].target.kind, TargetKind::Creative);
    assert!(recs[0].projection.if_act[0].value.unwrap() >= 1.5);
}

#[test]
fn segments_expand_when_strong_and_unreached_and_focus_when_weak_beside_a_strong_one() {
    let mut facts = world(vec![healthy("targets both"), {
        let mut c = healthy("targets others");
        c.input.target_segments = vec![SegmentType::FrequentShopper, SegmentType::Inactive];
        c
    }]);
    let seg = |segment, size, reached, spend, revenue| SegmentFacts { segment, size, reached, spend, revenue, impressions: 5_000, roas: Some(revenue / spend) };
    facts.segments = vec![
        seg(SegmentType::HighSpender, 5_000, 1_000, 500.0, 2_500.0),
        seg(SegmentType::FrequentShopper, 2_000, 1_900, 500.0, 900.0),
        seg(SegmentType::Inactive, 2_000, 1_000, 500.0, 1_500.0),
    ];
    let recs = of_kind(&facts, RecommendationKind::ExpandFocusSegment);
    let keys: Vec<&str> = recs.iter().map(|r| r.trigger.as_str()).collect();
    assert_eq!(targets(&recs), ["FREQUENT_SHOPPER", "HIGH_SPENDER"], "{keys:?}");
    let expand = recs.iter().find(|r| r.trigger == "expand").unwrap();
    assert!(matches!(expand.action, Action::AddTargetSegment { segment: SegmentType::HighSpender, .. }));
    let focus = recs.iter().find(|r| r.trigger == "focus").unwrap();
    assert!(matches!(&focus.action, Action::RemoveTargetSegment { campaign_ids, .. } if campaign_ids.len() == 2));
}

#[test]
fn frequency_is_capped_where_unsubscribes_and_sends_are_both_high() {
    let mut tired = healthy("tired");
    tired.measured.deliveries_week = 4_000;
    tired.measured.unsubscribes_week = 62;
    let mut rare = healthy("rare");
    rare.measured.unsubscribes_week = 80;
    let facts = world(vec![tired, rare, healthy("fine")]);
    let recs = of_kind(&facts, RecommendationKind::AdjustFrequency);
    assert_eq!(targets(&recs), ["tired"]);
    assert!(matches!(recs[0].action, Action::SetFrequencyCap { per_week: 2, .. }));
}

#[test]
fn a_budget_increase_goes_to_high_roas_campaigns_near_their_budget() {
    let mut star = healthy("star");
    star.measured.week = perf(700.0, 3_500.0, 5_000, 100);
    star.measured.spend_to_date = 9_200.0;
    let mut rich = healthy("rich");
    rich.measured.week = perf(700.0, 3_500.0, 5_000, 100);
    let facts = world(vec![star, rich, healthy("fine")]);
    let recs = of_kind(&facts, RecommendationKind::BudgetIncrease);
    assert_eq!(targets(&recs), ["star"]);
    assert!(matches!(recs[0].action, Action::SetBudget { budget_cents: 1_200_000, .. }));
}

#[test]
fn targeting_changes_when_one_segment_returns_three_times_the_rest() {
    let slice = |segment, spend, revenue| SegmentSlice { segment, performance: perf(spend, revenue, 2_000, 40), reached: 300 };
    let mut skewed = healthy("skewed");
    skewed.measured.by_segment = vec![slice(SegmentType::HighSpender, 300.0, 2_400.0), slice(SegmentType::FrequentShopper, 400.0, 800.0)];
    let mut even = healthy("even");
    even.measured.by_segment = vec![slice(SegmentType::HighSpender, 300.0, 900.0), slice(SegmentType::FrequentShopper, 400.0, 1_000.0)];
    let facts = world(vec![skewed, even]);
    let recs = of_kind(&facts, RecommendationKind::ChangeTargeting);
    assert_eq!(targets(&recs), ["skewed"]);
    assert!(matches!(&recs[0].action, Action::SetTargetSegments { segments, .. } if segments == &[SegmentType::HighSpender]));
}

#[test]
fn a_holdout_is_proposed_for_campaigns_that_measure_nothing() {
    let mut blind = healthy("blind");
    blind.input.holdout_percent = 0.0;
    let mut empty = healthy("empty holdout");
    empty.measured.held_month = 0;
    let facts = world(vec![blind, empty, healthy("fine")]);
    let recs = of_kind(&facts, RecommendationKind::LaunchHoldout);
    assert_eq!(targets(&recs), ["blind", "empty holdout"]);
    assert!(matches!(recs[0].action, Action::SetHoldout { percent: 10.0, .. }));
}

#[test]
fn data_quality_fires_on_stale_data_while_events_are_expected_and_on_rejected_events() {
    let mut facts = world(vec![healthy("fine")]);
    facts.system.freshness_minutes = Some(45.0);
    let recs = of_kind(&facts, RecommendationKind::ImproveDataQuality);
    assert_eq!(recs.iter().map(|r| r.trigger.as_str()).collect::<Vec<_>>(), ["stale"]);
    assert_eq!(recs[0].target.kind, TargetKind::System);
    facts.system.events_expected = false;
    assert!(of_kind(&facts, RecommendationKind::ImproveDataQuality).is_empty(), "nothing is expected: not stale");
    facts.system.rejected_last_hour = 900;
    assert_eq!(of_kind(&facts, RecommendationKind::ImproveDataQuality)[0].trigger, "invalid_events");
}

#[test]
fn open_anomalies_feed_the_rules() {
    use super::facts::OpenAnomaly;
    let slice = |segment, spend, revenue| SegmentSlice { segment, performance: perf(spend, revenue, 2_000, 40), reached: 300 };
    let mut skewed = healthy("skewed");
    skewed.measured.by_segment = vec![slice(SegmentType::HighSpender, 300.0, 2_400.0), slice(SegmentType::FrequentShopper, 400.0, 800.0)];
    let skewed_id = skewed.input.id;
    let mut facts = world(vec![skewed, healthy("fine")]);
    let calm = of_kind(&facts, RecommendationKind::ChangeTargeting).remove(0);
    assert!(of_kind(&facts, RecommendationKind::ImproveDataQuality).is_empty());
    facts.system.anomalies = vec![
        OpenAnomaly { metric: "ctr".to_owned(), campaign_id: Some(skewed_id), kind: "drop".to_owned(), message: "CTR fell to 0.4% against 2.1% expected".to_owned() },
        OpenAnomaly { metric: "events".to_owned(), campaign_id: None, kind: "missing_data".to_owned(), message: "no events in the hour from 09:00".to_owned() },
    ];
    // The campaign's anomaly is evidence, and makes retargeting more urgent.
    let anomalous = of_kind(&facts, RecommendationKind::ChangeTargeting).remove(0);
    assert!(anomalous.evidence.iter().any(|e| e == "Anomaly detected: CTR fell to 0.4% against 2.1% expected"), "{:?}", anomalous.evidence);
    assert_eq!((calm.score.urgency, anomalous.score.urgency), (1.0, 1.5));
    // The events' own anomaly calls for the data pipeline.
    let pipeline = of_kind(&facts, RecommendationKind::ImproveDataQuality);
    assert_eq!(pipeline.iter().map(|r| r.trigger.as_str()).collect::<Vec<_>>(), ["event_anomaly"]);
    assert!(pipeline[0].evidence.iter().any(|e| e.contains("no events in the hour")));
    facts.system.events_expected = false;
    assert!(of_kind(&facts, RecommendationKind::ImproveDataQuality).is_empty(), "no campaign runs: nothing is missing");
}

#[test]
fn compliance_flags_auto_execute_and_outrank_everything() {
    let mut refused = healthy("refused");
    refused.input.compliance.refusals_week = 12;
    let mut no_opt_out = healthy("no opt-out");
    no_opt_out.input.compliance.missing_opt_out = true;
    no_opt_out.input.status = CampaignStatus::Scheduled;
    let mut weak = healthy("weak");
    weak.measured.week = perf(1_000.0, 500.0, 5_000, 100);
    let facts = world(vec![refused, no_opt_out, weak, healthy("fine")]);
    let all = evaluate(&facts, &Thresholds::default());
    let flags: Vec<&Recommendation> = all.iter().filter(|r| r.kind == RecommendationKind::ComplianceFlag).collect();
    assert_eq!(flags.len(), 2);
    assert!(flags.iter().all(|r| r.auto_execute && r.score.level == Level::Critical));
    assert_eq!(all[0].kind, RecommendationKind::ComplianceFlag, "ranked first");
    let manual = Thresholds { auto_execute_compliance: false, ..Thresholds::default() };
    assert!(evaluate(&facts, &manual).iter().all(|r| !r.auto_execute));
}

#[test]
fn each_compliance_trigger_flags_its_campaign_only() {
    let mut no_method = healthy("no method");
    no_method.input.compliance.missing_consent_method = true;
    let mut unapproved = healthy("unapproved");
    unapproved.input.compliance.no_approval = true;
    // Not live: an unapproved scheduled campaign is the approval workflow's business, not a flag.
    let mut waiting = healthy("waiting");
    waiting.input.compliance.no_approval = true;
    waiting.input.status = CampaignStatus::Scheduled;
    let facts = world(vec![no_method, unapproved, waiting, healthy("fine")]);
    let flags = of_kind(&facts, RecommendationKind::ComplianceFlag);
    let mut found: Vec<(String, String)> = flags.iter().map(|r| (r.target.name.clone(), r.trigger.clone())).collect();
    found.sort();
    assert_eq!(found, [("no method".to_owned(), "missing_consent_method".to_owned()), ("unapproved".to_owned(), "no_approval".to_owned())]);
    assert!(flags.iter().all(|r| matches!(r.action, Action::PauseCampaign { .. })));
}

#[test]
fn thresholds_are_checked_by_name() {
    let bad = Thresholds { pause_roas_below: -1.0, holdout_percent: 80.0, budget_used_share: 1.5, ..Thresholds::default() };
    let problems = bad.problems().join("; ");
    for name in ["pause_roas_below", "holdout_percent", "budget_used_share"] {
        assert!(problems.contains(name), "{problems}");
    }
    assert!(Thresholds::default().problems().is_empty());
}

mod outcomes {
    use std::collections::HashMap;

    use super::*;
    use crate::recommend::outcome::{CampaignWindow, Measurement, TrackRecord, apply_track_records, compare};

    fn window(from: i64, campaigns: &[(Uuid, CampaignWindow)], method: &str) -> Measurement {
        Measurement {
            from,
            to: from + 7 * 86_400,
            campaigns: campaigns.iter().cloned().collect(),
            methods: campaigns.iter().map(|(id, _)| (*id, method.to_owned())).collect(),
        }
    }

    fn spent(spend: f64, revenue: f64, incremental: f64) -> CampaignWindow {
        CampaignWindow { spend, revenue, incremental, sends: 1_000.0, ..CampaignWindow::default() }
    }

    /// The low-ROAS campaign of the pause test: $1,750 a week, $700 of it incremental.
    fn pause_recommendation() -> Recommendation {
        let mut low = healthy("low");
        low.measured.days_active = 7;
        low.measured.week = perf(1_750.0, 3_150.0, 5_000, 40);
        of_kind(&world(vec![low, healthy("fine")]), RecommendationKind::PauseCampaign).remove(0)
    }

    #[test]
    fn a_pause_is_judged_on_the_spend_it_saved_and_the_incremental_revenue_it_lost() {
        let rec = pause_recommendation();
        let id = Uuid::parse_str(&rec.target.id).unwrap();
        let before = window(0, &[(id, spent(1_750.0, 3_150.0, 700.0))], "its own holdout comparison");
        // Paused: nothing spent, and the revenue it truly caused is gone.
        let after = window(7 * 86_400, &[(id, spent(0.0, 0.0, 0.0))], "its own holdout comparison");
        let outcome = compare(&rec, &rec.action, &before, &after, 0.35, 0.5);
        let labels: Vec<&str> = outcome.figures.iter().map(|f| f.label.as_str()).collect();
        assert_eq!(labels, ["Spend saved (7 days)", "Incremental revenue lost (7 days)", "Gross margin lost (7 days)", "Net effect (7 days)"]);
        assert_eq!(outcome.figures[0].actual, Some(1_750.0));
        assert_eq!(outcome.figures[0].projected, Some(1_750.0));
        assert_eq!(outcome.figures[1].actual, Some(700.0));
        let headline = outcome.headline.as_ref().unwrap();
        assert_eq!(headline.actual, Some(1_750.0 - 0.35 * 700.0));
        assert!(outcome.error_percent.unwrap().abs() < 1e-9);
        assert_eq!(outcome.hit, Some(true));
        assert!(outcome.method.contains("its own holdout comparison"), "{}", outcome.method);

        // The campaign went on spending (somebody resumed it): far from the projection.
        let resumed = window(7 * 86_400, &[(id, spent(1_600.0, 3_000.0, 650.0))], "its own holdout comparison");
        let missed = compare(&rec, &rec.action, &before, &resumed, 0.35, 0.5);
        assert_eq!(missed.hit, Some(false));
        assert!(missed.error_percent.unwrap() < -80.0, "{:?}", missed.error_percent);
    }

    #[test]
    fn a_budget_move_is_judged_on_both_campaigns_incremental_revenue_and_shows_their_roas() {
        let mut strong = healthy("strong");
        strong.measured.week = perf(700.0, 2_940.0, 5_000, 100);
        strong.measured.spend_to_date = 9_500.0;
        strong.measured.incremental_month = Some(3_000.0);
        let mut weak = healthy("weak");
        weak.measured.week = perf(700.0, 1_050.0, 5_000, 100);
        weak.measured.incremental_month = Some(300.0);
        let rec = of_kind(&world(vec![strong, weak, healthy("fine")]), RecommendationKind::ReallocateBudget).remove(0);
        let Action::MoveBudget { from_campaign_id, to_campaign_id, .. } = rec.action else { panic!("{:?}", rec.action) };
        let before = window(0, &[(from_campaign_id, spent(700.0, 1_050.0, 75.0)), (to_campaign_id, spent(700.0, 2_940.0, 750.0))], "m");
        let after = window(7 * 86_400, &[(from_campaign_id, spent(0.0, 0.0, 0.0)), (to_campaign_id, spent(1_400.0, 4_900.0, 1_300.0))], "m");
        let outcome = compare(&rec, &rec.action, &before, &after, 0.35, 0.5);
        let net = outcome.headline.clone().unwrap();
        assert_eq!(net.label, "Net effect (7 days)");
        assert_eq!(net.actual, Some((1_300.0 - 750.0) - 75.0));
        assert_eq!(net.projected, rec.projection.net_weekly_dollars);
        let pair = outcome.figures.iter().find(|f| f.label.starts_with("ROAS of the two")).unwrap();
        assert_eq!((pair.projected, pair.actual), (Some(3_990.0 / 1_400.0), Some(3.5)));
        // Another action carried out instead: the projection does not apply.
        let instead = Action::PauseCampaign { campaign_id: from_campaign_id };
        let alternative = compare(&rec, &instead, &before, &after, 0.35, 0.5);
        assert!(alternative.figures.iter().all(|f| f.projected.is_none()));
        assert_eq!(alternative.hit, None);
        assert!(alternative.method.contains("An alternative was executed"));
    }

    #[test]
    fn the_track_record_pulls_the_confidence_towards_the_hit_rate() {
        assert_eq!(TrackRecord::default().blend(0.9, 5.0), 0.9);
        // 5 outcomes' worth of 0.9 and 5 misses: 4.5 / 10.
        assert!((TrackRecord { evaluated: 5, hits: 0 }.blend(0.9, 5.0) - 0.45).abs() < 1e-12);
        assert!((TrackRecord { evaluated: 15, hits: 15 }.blend(0.6, 5.0) - 0.9).abs() < 1e-12);
        let mut recs = vec![pause_recommendation()];
        let model = recs[0].projection.confidence;
        apply_track_records(&mut recs, &HashMap::from([(RecommendationKind::PauseCampaign, TrackRecord { evaluated: 3, hits: 1 })]), 5.0, 0.5);
        assert!((recs[0].projection.confidence - (5.0 * model + 1.0) / 8.0).abs() < 1e-12);
        assert!(recs[0].projection.track_record.as_deref().unwrap().starts_with("1 of 3 executed \"Pause campaign\" recommendations"));
    }
}

#[test]
fn customize_changes_only_the_adjustable_number() {
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    let moved = Action::MoveBudget { from_campaign_id: a, to_campaign_id: b, amount_cents: 70_000 };
    assert_eq!(moved.adjustable(), Some(("Amount to move ($)", 700.0)));
    assert_eq!(moved.adjusted(450.5), Some(Action::MoveBudget { from_campaign_id: a, to_campaign_id: b, amount_cents: 45_050 }));
    assert_eq!(Action::SetFrequencyCap { campaign_id: a, per_week: 3 }.adjusted(2.0), Some(Action::SetFrequencyCap { campaign_id: a, per_week: 2 }));
    assert_eq!(Action::SetFrequencyCap { campaign_id: a, per_week: 3 }.adjusted(2.5), None, "a cap is whole deliveries");
    assert_eq!(moved.adjusted(-1.0), None);
    assert_eq!(Action::PauseCampaign { campaign_id: a }.adjustable(), None);
}

#[test]
fn the_one_pass_over_segments_gives_what_a_tally_filtered_on_each_segment_gives() {
    use crate::metrics::compute::{Config, Filter, Parts, tally_parts};
    use crate::simulator::{Faults, SimConfig};
    let sim = SimConfig { seed: 5, users: 3_000, days: 14, campaigns: 6, start: Utc.with_ymd_and_hms(2026, 9, 1, 0, 0, 0).unwrap(), holdout_share: 0.1, faults: Faults::default(), experiments: 0 };
    let world = crate::simulator::world(&sim);
    let (mut store, _) = crate::metrics::Store::from_simulation(&world);
    for line in &world.spend {
        store.add_spend(line.campaign_id, line.day_start, line.amount_cents);
    }
    let config = Config::default();
    let to = (sim.start + chrono::Duration::days(14)).timestamp();
    let from = sim.start.timestamp();
    let recent_from = to - 5 * 86_400;
    let walked = super::facts::walk(&store, &config, from, to, recent_from);
    let five = tally_parts(&store, &Filter::default(), &config, recent_from, to, Parts { engagement: true, ..Parts::default() });
    for (campaign, c) in &five.campaigns {
        assert_eq!(walked.recent.get(campaign).copied().unwrap_or_default(), (c.impressions, c.clicks), "the last 5 days of campaign {campaign}");
    }
    let engagement = Parts { engagement: true, ..Parts::default() };
    let mut compared = 0;
    for segment in SegmentType::ALL.iter().copied() {
        let t = tally_parts(&store, &Filter { segments: vec![segment], ..Filter::default() }, &config, from, to, engagement);
        let (spend, revenue, impressions) = walked.segment_totals(segment);
        assert!((spend - t.spend_cents).abs() < 1e-6, "{segment}: spend {spend} against {}", t.spend_cents);
        assert_eq!((revenue, impressions), (t.attributed_cents, t.impressions), "{segment}");
        for (campaign, c) in &t.campaigns {
            let mine = walked.slices.get(&(*campaign, segment)).cloned().unwrap_or_default();
            let (a, b) = (Performance::of(c, true), Performance::of(&mine, true));
            assert_eq!((a.sends, a.impressions, a.clicks, a.revenue, a.orders), (b.sends, b.impressions, b.clicks, b.revenue, b.orders), "{segment}, campaign {campaign}");
            assert!((a.spend - b.spend).abs() < 1e-9, "{segment}, campaign {campaign}: {} against {}", a.spend, b.spend);
            compared += usize::from(a.sends > 0);
        }
    }
    assert!(compared >= 6, "the simulation reaches segments of several campaigns ({compared})");
}
