//! The campaign report (Module 4's "Download report"): one campaign over a period — its set-up,
//! its figures, treatment against holdout, day by day, by segment, by creative and by how often
//! users saw it — from the campaign detail and ROI APIs for the same query.

use app::format;
use uuid::Uuid;

use super::pdf::{Align, AxisUnit, Bar, Bars, Block, Lines, Report, Table, Tone, column};
use super::{Period, caveats, describe_filters};
use crate::error::Result;
use crate::http::metrics::roi_view;
use crate::http::views::campaign_performance_view;
use crate::state::AppState;

fn or_dash(value: Option<f64>, show: impl Fn(f64) -> String) -> String {
    format::or_missing(value, show)
}

fn join<T: AsRef<str>>(items: &[T], none: &str) -> String {
    if items.is_empty() { none.to_owned() } else { items.iter().map(AsRef::as_ref).collect::<Vec<_>>().join(", ") }
}

/// The campaign report for a campaign and a query string (period as the board report's; the
/// filters but `campaign`).
pub async fn report(state: &AppState, id: Uuid, pairs: &[(String, String)]) -> Result<(Report, Period, String)> {
    let now = state.clock.now();
    let (pairs, period) = Period::of(pairs, now)?;
    let detail = campaign_performance_view(state, id, &pairs).await?;
    let mut with_campaign = pairs.clone();
    with_campaign.push(("campaign".to_owned(), id.to_string()));
    let roi = roi_view(state, &with_campaign).await?;
    let c = &detail.campaign;
    let t = &detail.totals;

    let mut blocks = Vec::new();
    blocks.push(Block::Heading("Performance in the period".into()));
    let pairs_of = |items: Vec<(&str, String)>| -> Vec<Vec<String>> {
        items.chunks(2).map(|pair| pair.iter().flat_map(|(label, value)| [(*label).to_owned(), value.clone()]).chain(std::iter::repeat_n(String::new(), 2 * (2 - pair.len()))).collect()).collect()
    };
    blocks.push(Block::Table(Table {
        columns: vec![column("Figure", Align::Left, 2.0), column("Value", Align::Right, 1.4), column("Figure", Align::Left, 2.0), column("Value", Align::Right, 1.4)],
        rows: pairs_of(vec![
            ("Spend", format::money(t.spend)),
            ("Attributed revenue", format::money(t.revenue)),
            ("ROAS", or_dash(t.roas, format::ratio)),
            ("CAC", or_dash(t.cac, format::money)),
            ("Sends", format::count(t.sends as i64)),
            ("Impressions", format::count(t.impressions as i64)),
            ("Clicks", format::count(t.clicks as i64)),
            ("CTR", or_dash(t.ctr, format::percent)),
            ("Conversions", format::count(t.conversions as i64)),
            ("Conversion rate", or_dash(t.conversion_rate, format::percent)),
            ("Orders", format::count(t.orders as i64)),
            ("AOV", or_dash(t.aov, format::money)),
            ("New customers", format::count(t.new_customers as i64)),
            ("Cost per click", or_dash(t.cost_per_click, format::money)),
            ("Incrementality", or_dash(t.incrementality, format::percent)),
            ("Budget spent to date", format!("{} of {}", format::money(detail.budget_spent), format::money(c.budget_cents as f64 / 100.0))),
        ]),
    }));

    // Treatment against holdout.
    blocks.push(Block::Heading("Incrementality: treatment against holdout".into()));
    match roi.campaigns.iter().find(|r| r.campaign_id == id) {
        Some(r) => {
            let pp = |v: f64| format!("{:+.2} pp", 100.0 * v);
            let interval = |i: Option<analytics::stats::Interval>, show: &dyn Fn(f64) -> String| i.map_or_else(String::new, |i| format!(" (95% CI {} to {})", show(i.low), show(i.high)));
            let rate = |v: f64| format::percent(100.0 * v);
            blocks.push(Block::Paragraph(format!(
                "{}. Of {} treated users {} converted ({}{}); of {} held out, {} ({}{}). Conversion lift {}{}, p = {}.",
                r.verdict().words(),
                format::count(r.treated_users as i64),
                format::count(r.treated_converted as i64),
                or_dash(r.treated_rate, rate),
                interval(r.treated_rate_interval, &rate),
                format::count(r.holdout_users as i64),
                format::count(r.holdout_converted as i64),
                or_dash(r.holdout_rate, rate),
                interval(r.holdout_rate_interval, &rate),
                or_dash(r.absolute_lift, pp),
                interval(r.absolute_lift_interval, &pp),
                r.lift_test.as_ref().map_or_else(|| format::MISSING.to_owned(), |t| format!("{:.3}", t.p_value)),
            )));
            blocks.push(Block::Paragraph(format!(
                "Revenue per user: {} treated against {} held out{}. Incremental revenue {}; after {} of spend, {} net.",
                or_dash(r.treated_revenue_per_user, format::money),
                or_dash(r.holdout_revenue_per_user, format::money),
                interval(r.revenue_per_user_interval, &format::money),
                or_dash(r.incremental_revenue, format::money),
                format::money(r.spend),
                or_dash(r.net_incremental_revenue, format::money),
            )));
            let balance = match r.balanced {
                Some(true) => format!("The split matches the planned {} holdout.", format::percent(100.0 * r.planned_holdout_share)),
                Some(false) => format!("The split differs from the planned {} holdout (sample-ratio test p < 0.001): check the assignment before trusting the lift.", format::percent(100.0 * r.planned_holdout_share)),
                None => "Too few users to check the split.".to_owned(),
            };
            let power = r.minimum_detectable_effect.map(|m| format!(" At these group sizes the smallest lift the test can detect (80% power, 5% significance) is {}.", pp(m))).unwrap_or_default();
            blocks.push(Block::Note(format!("{balance}{power}")));
        }
        None => blocks.push(Block::Note("No user was first assigned to this campaign's treatment or holdout group in the period.".into())),
    }

    // Day by day.
    if detail.daily.iter().any(|d| d.sends + d.impressions + d.clicks > 0 || d.revenue > 0.0) {
        let labels: Vec<String> = detail.daily.iter().map(|d| d.from.format("%d %b").to_string()).collect();
        blocks.push(Block::Lines(Lines {
            title: "Sends, impressions and clicks by day".into(),
            x_labels: labels.clone(),
            series: vec![
                ("Sends".into(), detail.daily.iter().map(|d| Some(d.sends as f64)).collect()),
                ("Impressions".into(), detail.daily.iter().map(|d| Some(d.impressions as f64)).collect()),
                ("Clicks".into(), detail.daily.iter().map(|d| Some(d.clicks as f64)).collect()),
            ],
            y_unit: AxisUnit::Count,
        }));
        blocks.push(Block::Lines(Lines {
            title: "Attributed revenue by day".into(),
            x_labels: labels,
            series: vec![("Revenue".into(), detail.daily.iter().map(|d| Some(d.revenue)).collect())],
            y_unit: AxisUnit::Dollars,
        }));
    } else {
        blocks.push(Block::Note("The campaign had no activity in the period: there is no daily series to draw.".into()));
    }

    // By segment and creative.
    blocks.push(Block::Heading("By segment".into()));
    let figures = |name: String, p: &analytics::metrics::Performance| {
        vec![
            name,
            format::count(p.sends as i64),
            format::count(p.clicks as i64),
            or_dash(p.ctr, format::percent),
            format::money(p.spend),
            format::money(p.revenue),
            or_dash(p.roas, format::ratio),
            or_dash(p.cac, format::money),
        ]
    };
    let columns = |first: &str| {
        vec![
            column(first, Align::Left, 2.4),
            column("Sends", Align::Right, 1.0),
            column("Clicks", Align::Right, 0.9),
            column("CTR", Align::Right, 0.8),
            column("Spend", Align::Right, 1.2),
            column("Revenue", Align::Right, 1.2),
            column("ROAS", Align::Right, 0.8),
            column("CAC", Align::Right, 1.0),
        ]
    };
    blocks.push(Block::Table(Table { columns: columns("Segment"), rows: detail.segments.iter().map(|s| figures(s.segment.as_str().to_owned(), &s.performance)).collect() }));
    blocks.push(Block::Heading("By creative".into()));
    if detail.creatives.is_empty() {
        blocks.push(Block::Note("The campaign has no creatives.".into()));
    } else {
        blocks.push(Block::Table(Table {
            columns: columns("Creative"),
            rows: detail.creatives.iter().map(|k| figures(format!("{} ({})", k.name, k.status.as_str()), &k.performance)).collect(),
        }));
    }
    blocks.push(Block::Bars(Bars {
        title: "How often users saw it".into(),
        axis: format!(
            "Users by impressions in the period; {} users, {} impressions, {} on average",
            format::count(detail.frequency.users as i64),
            format::count(detail.frequency.impressions as i64),
            or_dash(detail.frequency.average, |a| format::fixed(a, 1))
        ),
        bars: detail
            .frequency
            .buckets
            .iter()
            .map(|b| Bar {
                label: format!("{} impression{}", b.impressions, if b.impressions == "1" { "" } else { "s" }),
                value: b.users as f64,
                text: format!("{} ({})", format::count(b.users as i64), or_dash(b.share, format::percent)),
                interval: None,
                tone: Tone::Neutral,
            })
            .collect(),
    }));

    blocks.push(Block::Heading("Notes and caveats".into()));
    for note in &detail.notes {
        blocks.push(Block::Paragraph(note.clone()));
    }
    for caveat in caveats(state, std::iter::empty(), &roi.campaigns).await? {
        blocks.push(Block::Paragraph(caveat));
    }

    let schedule = match (c.starts_at, c.ends_at) {
        (Some(s), Some(e)) => format!("{} to {} UTC", s.format("%d %b %Y %H:%M"), e.format("%d %b %Y %H:%M")),
        (Some(s), None) => format!("from {} UTC, no end", s.format("%d %b %Y %H:%M")),
        (None, Some(e)) => format!("until {} UTC", e.format("%d %b %Y %H:%M")),
        (None, None) => "no schedule set".to_owned(),
    };
    let channels: Vec<&str> = c.channels.iter().map(|ch| ch.as_str()).collect();
    let segments: Vec<&str> = c.target_segments.iter().map(|s| s.as_str()).collect();
    let report = Report {
        title: format!("Campaign report: {}", c.name),
        subtitle: format!("{} campaign, {}", c.campaign_type.as_str().to_lowercase().replace('_', " "), c.status.as_str()),
        facts: vec![
            ("Period".into(), period.words()),
            ("Filters".into(), describe_filters(&pairs)),
            ("Campaign ID".into(), c.id.to_string()),
            ("Channels".into(), join(&channels, "none")),
            ("Segments targeted".into(), join(&segments, "every segment")),
            ("Regions".into(), join(&c.target_regions, "every region")),
            ("Budget".into(), format!("{} ({} spent to the period's end)", format::money(c.budget_cents as f64 / 100.0), format::money(detail.budget_spent))),
            ("Schedule".into(), schedule),
            ("Holdout".into(), format::percent(c.holdout_percent)),
            ("Frequency cap".into(), c.frequency_cap_per_week.map_or_else(|| "none".to_owned(), |n| format!("{n} per week"))),
            ("Generated".into(), format!("{} UTC", now.format("%d %b %Y %H:%M"))),
            ("Data as of".into(), super::freshness(state).await?),
        ],
        header: format!("{} · {}", c.name, period.words()),
        footer: format!("SwipeSavvy Analytics · generated {} UTC", now.format("%d %b %Y %H:%M")),
        blocks,
    };
    let slug: String = c.name.to_lowercase().chars().map(|ch| if ch.is_ascii_alphanumeric() { ch } else { '-' }).collect();
    let slug = slug.split('-').filter(|s| !s.is_empty()).collect::<Vec<_>>().join("-");
    Ok((report, period, format!("campaign-report_{slug}_{}.pdf", period.days())))
}
