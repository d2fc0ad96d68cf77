//! The board report (`GET /api/v1/reports/board.pdf`): for one period and set of filters, the
//! figures a CMO takes to the board — built from the same responses the dashboard's APIs give
//! for the same query, so the PDF and the screen never disagree.

use analytics::metrics::roi::Verdict;
use analytics::metrics::{Direction, KPI_CARDS, MetricId, MetricValue, Status};
use app::format;
use app::wire::{ExperimentStatus, LeaderboardRow};
use chrono::{DateTime, Utc};

use super::pdf::{Align, AxisUnit, Bar, Bars, Block, Kpi, Lines, Report, Table, Tone, column};
use super::{Period, caveats, describe_filters};
use crate::error::Result;
use crate::http::metrics::{leaderboard_all, metrics_of, revenue_by_day, roi_view};
use crate::http::views::{funnel_view, segments_view};
use crate::services::recommendation_outcomes::{self, OutcomeQuery};
use crate::state::AppState;

/// How many campaigns the top and bottom tables show.
const EACH_END: usize = 5;

/// A KPI card against its target, with the trend against the previous period of the same length
/// (the dashboard's cards also carry a day-by-day history; the report states the period's value).
fn kpi(m: &MetricValue) -> Kpi {
    let value = m.value.map_or_else(|| format::MISSING.to_owned(), |v| format::metric(v, m.unit, true));
    let delta = m.trend.filter(|t| t.is_finite()).map(|t| {
        let better = match m.direction {
            Direction::Higher => t > 0.0,
            Direction::Lower => t < 0.0,
            Direction::Range => false,
        };
        let arrow = if t > 0.0 { "▲" } else if t < 0.0 { "▼" } else { "•" };
        let tone = if t == 0.0 || m.direction == Direction::Range { Tone::Neutral } else if better { Tone::Good } else { Tone::Bad };
        (format!("{arrow} {} vs previous period", format::change(t)), tone)
    });
    let status = match m.status {
        Some(Status::OffTarget) => ("Off target".to_owned(), Tone::Bad),
        Some(Status::OnTarget) => ("On target".to_owned(), Tone::Good),
        None => (m.reason.clone().unwrap_or_else(|| "No value yet".to_owned()), Tone::Neutral),
    };
    let previous = m.previous.map(|p| format!(" · previously {}", format::metric(p, m.unit, true))).unwrap_or_default();
    Kpi { label: m.name.clone(), value, delta, target: format!("Target {}{previous}", format::target(m.target, m.unit)), status }
}

fn campaign_table(rows: &[&LeaderboardRow]) -> Table {
    Table {
        columns: vec![
            column("Campaign", Align::Left, 2.6),
            column("Spend", Align::Right, 1.3),
            column("Revenue", Align::Right, 1.3),
            column("ROAS", Align::Right, 0.8),
            column("CTR", Align::Right, 0.8),
            column("CAC", Align::Right, 1.2),
            column("Incrementality", Align::Right, 1.4),
        ],
        rows: rows
            .iter()
            .map(|r| {
                let p = &r.performance;
                vec![
                    format!("{} ({})", r.name, r.campaign_type.as_str().to_lowercase().replace('_', " ")),
                    format::money(p.spend),
                    format::money(p.revenue),
                    format::or_missing(p.roas, format::ratio),
                    format::or_missing(p.ctr, format::percent),
                    format::or_missing(p.cac, format::money),
                    format::or_missing(p.incrementality, format::percent),
                ]
            })
            .collect(),
    }
}

fn day_label(at: DateTime<Utc>) -> String {
    at.format("%d %b").to_string()
}

/// The board report for a query string (`from`/`to` or `range`, default the last 30 days, and
/// the dashboard's filters).
pub async fn report(state: &AppState, pairs: &[(String, String)]) -> Result<(Report, Period)> {
    let now = state.clock.now();
    let (pairs, period) = Period::of(pairs, now)?;
    let pairs = &pairs[..];

    let kpis = metrics_of(state, pairs, &KPI_CARDS).await?;
    let board = leaderboard_all(state, pairs).await?;
    let roi = roi_view(state, pairs).await?;
    let segments = segments_view(state, pairs, &[]).await?;
    let funnel = funnel_view(state, pairs).await?;
    let revenue_daily = revenue_by_day(state, pairs, period.from, period.to).await?;
    let experiments = crate::services::experiments::list(&state.db, &state.metrics, now).await?;
    let outcomes = recommendation_outcomes::report(state, &OutcomeQuery { kind: None, from: Some(period.from), to: Some(period.to) }).await?;

    let mut blocks = Vec::new();

    // Headline figures.
    blocks.push(Block::Heading("Key figures against target".into()));
    blocks.push(Block::Kpis(kpis.iter().map(kpi).collect()));
    let metric = |id: MetricId| kpis.iter().find(|m| m.id == id);
    if let Some(roas) = metric(MetricId::Roas) {
        let spend: f64 = board.rows.iter().map(|r| r.performance.spend).sum();
        let revenue: f64 = board.rows.iter().map(|r| r.performance.revenue).sum();
        blocks.push(Block::Paragraph(format!(
            "Over the period, {} campaigns spent {} and brought {} of attributed revenue (last touch, 7-day lookback). ROAS stands at {} against a target of {}.",
            board.rows.len(),
            format::money(spend),
            format::money(revenue),
            format::or_missing(roas.value, format::ratio),
            format::target(roas.target, roas.unit),
        )));
    }
    if revenue_daily.iter().any(|(_, revenue)| *revenue > 0.0) {
        blocks.push(Block::Lines(Lines {
            title: "Attributed revenue by day (UTC)".into(),
            x_labels: revenue_daily.iter().map(|(day, _)| day_label(*day)).collect(),
            series: vec![("Revenue".into(), revenue_daily.iter().map(|(_, revenue)| Some(*revenue)).collect())],
            y_unit: AxisUnit::Dollars,
        }));
    }

    // Campaigns.
    blocks.push(Block::Heading("Campaigns: top and bottom by ROAS".into()));
    let mut ranked: Vec<&LeaderboardRow> = board.rows.iter().filter(|r| r.performance.roas.is_some()).collect();
    ranked.sort_by(|a, b| b.performance.roas.unwrap_or(0.0).total_cmp(&a.performance.roas.unwrap_or(0.0)));
    if ranked.is_empty() {
        blocks.push(Block::Note("No campaign had spend in the period, so none has a ROAS to rank.".into()));
    } else {
        let top: Vec<&LeaderboardRow> = ranked.iter().take(EACH_END).copied().collect();
        blocks.push(Block::Paragraph(format!("Top {} of {} campaigns with spend:", top.len(), ranked.len())));
        blocks.push(Block::Table(campaign_table(&top)));
        if ranked.len() > EACH_END {
            let bottom: Vec<&LeaderboardRow> = ranked.iter().rev().take(EACH_END.min(ranked.len() - EACH_END)).copied().collect();
            blocks.push(Block::Paragraph(format!("Bottom {}, weakest first:", bottom.len())));
            blocks.push(Block::Table(campaign_table(&bottom)));
        }
    }

    // Incrementality.
    blocks.push(Block::Heading("Incrementality: what the campaigns truly caused".into()));
    blocks.push(Block::Note(format!(
        "Users first assigned between {} and {} UTC: each campaign's treatment group against its holdout, on purchases within 7 days of assignment (intent to treat). Intervals are 95%.",
        roi.from.format("%d %b %Y"),
        roi.to.format("%d %b %Y")
    )));
    let compared: Vec<_> = roi.campaigns.iter().filter(|r| r.absolute_lift.is_some()).collect();
    if compared.is_empty() {
        blocks.push(Block::Note("No campaign had users in both groups in this period: there is no comparison to report.".into()));
    } else {
        let count = |wanted: Verdict| compared.iter().filter(|r| r.verdict() == wanted).count();
        let unbalanced = count(Verdict::Unbalanced);
        let net: f64 = compared.iter().filter_map(|r| r.net_incremental_revenue).sum();
        blocks.push(Block::Paragraph(format!(
            "{} campaigns had users in both groups: {} show a likely positive lift, {} a likely negative one, and {} not enough evidence of a lift yet{}. Together, their incremental revenue after spend comes to {}.",
            compared.len(),
            count(Verdict::LikelyPositive),
            count(Verdict::LikelyNegative),
            count(Verdict::NoEvidenceYet) + count(Verdict::NotEnoughData),
            if unbalanced > 0 { format!("; {unbalanced} have an unbalanced split to check first") } else { String::new() },
            format::money(net)
        )));
        let pp = |v: f64| format!("{:+.2} pp", 100.0 * v);
        blocks.push(Block::Table(Table {
            columns: vec![
                column("Campaign", Align::Left, 2.3),
                column("Verdict", Align::Left, 3.3),
                column("Lift", Align::Right, 1.1),
                column("95% interval", Align::Right, 2.1),
                column("Net after spend", Align::Right, 1.8),
            ],
            rows: compared
                .iter()
                .map(|r| {
                    vec![
                        r.name.clone(),
                        r.verdict().words().to_owned(),
                        format::or_missing(r.absolute_lift, pp),
                        r.absolute_lift_interval.map_or_else(|| format::MISSING.to_owned(), |i| format!("{:+.2} to {:+.2} pp", 100.0 * i.low, 100.0 * i.high)),
                        format::or_missing(r.net_incremental_revenue, format::money),
                    ]
                })
                .collect(),
        }));
        blocks.push(Block::Bars(Bars {
            title: "Conversion lift by campaign, with 95% intervals".into(),
            axis: "Treatment minus holdout conversion rate, percentage points".into(),
            bars: compared
                .iter()
                .map(|r| Bar {
                    label: r.name.clone(),
                    value: 100.0 * r.absolute_lift.unwrap_or(0.0),
                    text: format!("{:+.2} pp", 100.0 * r.absolute_lift.unwrap_or(0.0)),
                    interval: r.absolute_lift_interval.map(|i| (100.0 * i.low, 100.0 * i.high)),
                    tone: match r.verdict() {
                        Verdict::LikelyPositive => Tone::Good,
                        Verdict::LikelyNegative | Verdict::Unbalanced => Tone::Bad,
                        _ => Tone::Neutral,
                    },
                })
                .collect(),
        }));
    }

    // Segment economics.
    blocks.push(Block::Heading("Segment economics: acquisition cost against lifetime value".into()));
    blocks.push(Block::Table(Table {
        columns: vec![
            column("Segment", Align::Left, 2.2),
            column("Users", Align::Right, 0.9),
            column("CAC", Align::Right, 1.0),
            column("LTV", Align::Right, 1.0),
            column("LTV ÷ CAC", Align::Right, 1.2),
            column("AOV", Align::Right, 0.9),
            column("Revenue", Align::Right, 1.2),
            column("Trend", Align::Right, 0.8),
        ],
        rows: segments
            .segments
            .iter()
            .map(|s| {
                let ratio = s.ltv.zip(s.cac).filter(|(_, cac)| *cac > 0.0).map(|(ltv, cac)| ltv / cac);
                vec![
                    s.segment.as_str().to_owned(),
                    format::count(s.size as i64),
                    format::or_missing(s.cac, format::money),
                    format::or_missing(s.ltv, format::money),
                    format::or_missing(ratio, format::ratio),
                    format::or_missing(s.aov, format::money),
                    format::money(s.revenue),
                    format::or_missing(s.trend, format::change),
                ]
            })
            .collect(),
    }));

    // Funnel.
    blocks.push(Block::Heading("Conversion funnel".into()));
    blocks.push(Block::Paragraph(funnel.funnel.insight.clone()));
    blocks.push(Block::Bars(Bars {
        title: "Users at each step".into(),
        axis: "Distinct users; the share of the step before in brackets".into(),
        bars: funnel
            .funnel
            .steps
            .iter()
            .map(|s| Bar {
                label: s.label.clone(),
                value: s.users as f64,
                text: match s.rate {
                    Some(rate) => format!("{} ({})", format::count(s.users as i64), format::percent(rate)),
                    None => format::count(s.users as i64),
                },
                interval: None,
                tone: Tone::Neutral,
            })
            .collect(),
    }));

    // Experiments.
    blocks.push(Block::Heading("Experiments concluded".into()));
    let concluded: Vec<_> = experiments
        .iter()
        .filter(|e| matches!(e.status, ExperimentStatus::Stopped | ExperimentStatus::Shipped))
        // Concluded in the period: stopped or shipped within it.
        .filter(|e| e.stopped_at.is_some_and(|end| end >= period.from && end < period.to))
        .collect();
    if concluded.is_empty() {
        blocks.push(Block::Note("No experiment concluded in the period.".into()));
    } else {
        blocks.push(Block::Table(Table {
            columns: vec![column("Experiment", Align::Left, 2.4), column("Campaign", Align::Left, 1.6), column("Status", Align::Left, 0.9), column("Members", Align::Right, 1.1), column("Verdict", Align::Left, 3.8)],
            rows: concluded
                .iter()
                .map(|e| {
                    vec![
                        e.name.clone(),
                        e.campaign_name.clone().unwrap_or_else(|| format::MISSING.to_owned()),
                        e.status.as_str().to_owned(),
                        format::count(e.users as i64),
                        e.verdict.clone().unwrap_or_else(|| format::MISSING.to_owned()),
                    ]
                })
                .collect(),
        }));
    }

    // Recommendations.
    blocks.push(Block::Heading("Recommendations executed: projected against actual".into()));
    let a = &outcomes.acceptance;
    blocks.push(Block::Paragraph(format!(
        "{} recommendations were shown in the period and {} executed ({} taken up, against a target of {}).",
        a.shown,
        a.executed,
        format::or_missing(a.rate.map(|r| 100.0 * r), format::percent),
        format::percent(100.0 * outcomes.acceptance_target)
    )));
    if outcomes.items.is_empty() {
        blocks.push(Block::Note("No recommendation was executed in the period.".into()));
    } else {
        blocks.push(Block::Table(Table {
            columns: vec![
                column("Recommendation", Align::Left, 3.4),
                column("Executed", Align::Left, 1.1),
                column("Figure", Align::Left, 2.0),
                column("Projected", Align::Right, 1.1),
                column("Actual", Align::Right, 1.1),
                column("Error", Align::Right, 0.8),
            ],
            rows: outcomes
                .items
                .iter()
                .map(|item| {
                    let headline = item.outcome.as_ref().and_then(|o| o.headline.as_ref());
                    let show = |v: Option<f64>| headline.zip(v).map_or_else(|| format::MISSING.to_owned(), |(h, v)| format::metric(v, h.unit, false));
                    vec![
                        item.title.clone(),
                        item.executed_at.format("%d %b %Y").to_string(),
                        headline.map_or_else(|| format!("measured from {}", item.due_at.format("%d %b")), |h| h.label.clone()),
                        show(headline.and_then(|h| h.projected)),
                        show(headline.and_then(|h| h.actual)),
                        format::or_missing(item.outcome.as_ref().and_then(|o| o.error_percent), |e| format!("{e:+.0}%")),
                    ]
                })
                .collect(),
        }));
    }

    // Caveats.
    blocks.push(Block::Heading("Data quality and caveats".into()));
    for caveat in caveats(state, kpis.iter(), &roi.campaigns).await? {
        blocks.push(Block::Paragraph(caveat));
    }

    let filters = describe_filters(pairs);
    let report = Report {
        title: "Board report".into(),
        subtitle: "Marketing performance, incrementality and actions".into(),
        facts: vec![
            ("Period".into(), period.words()),
            ("Filters".into(), filters),
            ("Generated".into(), format!("{} UTC", now.format("%d %b %Y %H:%M"))),
            ("Data as of".into(), super::freshness(state).await?),
        ],
        header: period.words(),
        footer: format!("SwipeSavvy Analytics · generated {} UTC", now.format("%d %b %Y %H:%M")),
        blocks,
    };
    Ok((report, period))
}
