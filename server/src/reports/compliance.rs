//! The compliance report (Module 11's "Generate compliance report"): for legal and audit, over a
//! period — the audit chain's verification with its newest checkpoint, the regulatory checks and
//! audience consent of every campaign that ran in the period or is live, the consent picture, the
//! erasure requests handled and the audit log itself.

use analytics::regulation::CheckStatus;
use app::format;

use super::pdf::{Align, Block, Report, Table, column};
use super::Period;
use crate::error::Result;
use crate::http::privacy::consent_overview_view;
use crate::services::{audit, audit_query, regulatory};
use crate::state::AppState;

/// The most audit entries the PDF lists; a longer period says so and points to the export.
const MAX_ENTRIES: u64 = 5_000;

fn status_word(status: CheckStatus) -> &'static str {
    match status {
        CheckStatus::Pass => "pass",
        CheckStatus::Warn => "warning",
        CheckStatus::Fail => "fail",
    }
}

async fn entries(state: &AppState, period: Period, action: Option<&str>, limit: u64) -> Result<(u64, Vec<app::wire::AuditRow>)> {
    let query = audit_query::Query { from: Some(period.from), to: Some(period.to), action: action.map(str::to_owned), page: 1, per_page: limit, ..audit_query::Query::default() };
    let page = audit_query::page(&state.db, &query).await?;
    let mut rows = page.rows;
    // The log reads oldest first.
    rows.reverse();
    Ok((page.total, rows))
}

/// The compliance report for a period (`from`/`to` or `range`; default the last 30 days).
pub async fn report(state: &AppState, pairs: &[(String, String)]) -> Result<(Report, Period)> {
    let now = state.clock.now();
    if let Some((key, _)) = pairs.iter().find(|(k, _)| !matches!(k.as_str(), "range" | "from" | "to")) {
        return Err(crate::error::AppError::invalid(key, "unknown parameter; the compliance report takes range, from, to"));
    }
    let (window, period) = Period::of(pairs, now)?;
    let verification = audit::verify(&state.db, &state.audit).await?;
    let scan = regulatory::scan_period(state, period.from, period.to).await?;
    let consent = consent_overview_view(state, &window).await?;
    let (_, erasures) = entries(state, period, Some("privacy.erasure"), MAX_ENTRIES).await?;
    let (total, log) = entries(state, period, None, MAX_ENTRIES).await?;

    let mut blocks = Vec::new();
    blocks.push(Block::Heading("Audit chain".into()));
    let chain = match &verification.first_bad {
        None if verification.ok => format!(
            "Verified intact: every one of the {} entries links to the one before it and carries a valid signature, up to entry #{}; {} signed checkpoints match the chain{}.",
            format::count(verification.entries as i64),
            verification.head.map_or_else(|| format::MISSING.to_owned(), |h| h.to_string()),
            format::count(verification.checkpoints as i64),
            verification.last_checkpoint.as_ref().map_or_else(
                || " (none written yet: the server writes one an hour)".to_owned(),
                |c| format!(", the newest sealing entry #{} at {} UTC (MAC {}…)", c.seq, c.at.format("%d %b %Y %H:%M:%S"), c.mac_prefix)
            )
        ),
        None => "The verification did not complete.".to_owned(),
        Some(bad) => format!("NOT intact: entry #{} fails ({}). Entries from there on cannot be relied on until this is explained.", bad.seq, bad.reason),
    };
    blocks.push(Block::Paragraph(chain));

    blocks.push(Block::Heading("Regulatory checks per campaign".into()));
    if scan.campaigns.is_empty() {
        blocks.push(Block::Note("No campaign ran in the period or is live now: there is nothing to check.".into()));
    } else {
        let failing = scan.campaigns.iter().filter(|c| c.overall == CheckStatus::Fail).count();
        blocks.push(Block::Paragraph(format!(
            "{} checked as of {} UTC: {} pass every check, {} have warnings, {failing} fail one or more.",
            if scan.campaigns.len() == 1 { "1 campaign".to_owned() } else { format!("{} campaigns", scan.campaigns.len()) },
            scan.as_of.format("%d %b %Y %H:%M"),
            scan.campaigns.iter().filter(|c| c.overall == CheckStatus::Pass).count(),
            scan.campaigns.iter().filter(|c| c.overall == CheckStatus::Warn).count(),
        )));
        blocks.push(Block::Table(Table {
            columns: vec![
                column("Campaign", Align::Left, 2.2),
                column("Status", Align::Left, 1.1),
                column("Overall", Align::Left, 0.9),
                column("Consented", Align::Right, 1.5),
                column("Findings", Align::Left, 4.0),
            ],
            rows: scan
                .campaigns
                .iter()
                .map(|c| {
                    let findings: Vec<String> = c.checks.iter().filter(|k| k.status != CheckStatus::Pass).map(|k| format!("{} ({}): {}", k.law, status_word(k.status), k.requirement)).collect();
                    vec![
                        c.name.clone(),
                        c.status.as_str().to_owned(),
                        status_word(c.overall).to_owned(),
                        format!("{} of {}", c.audience.share.map_or_else(|| format::MISSING.to_owned(), |s| format::percent(100.0 * s)), format::count(c.audience.audience as i64)),
                        if findings.is_empty() { "every check passes".to_owned() } else { findings.join("; ") },
                    ]
                })
                .collect(),
        }));
    }

    blocks.push(Block::Heading("Consent".into()));
    let unsubscribes: u64 = consent.unsubscribes_by_day.iter().map(|d| d.count).sum();
    let refused: u64 = consent.violations_by_campaign.iter().map(|c| c.count).sum();
    blocks.push(Block::Paragraph(format!(
        "Of {} known users, by channel: {}. In the period {} users unsubscribed and {} deliveries were refused because the user was not eligible.",
        format::count(consent.users as i64),
        consent.by_channel.iter().map(|c| format!("{} {} eligible", c.channel.as_str(), c.share.map_or_else(|| format::MISSING.to_owned(), |s| format::percent(100.0 * s)))).collect::<Vec<_>>().join(", "),
        format::count(unsubscribes as i64),
        format::count(refused as i64),
    )));
    if !consent.unsubscribes_by_reason.is_empty() {
        blocks.push(Block::Table(Table {
            columns: vec![column("Unsubscribe reason", Align::Left, 3.0), column("Users", Align::Right, 1.0)],
            rows: consent.unsubscribes_by_reason.iter().map(|r| vec![r.label.clone(), format::count(r.count as i64)]).collect(),
        }));
    }
    if !consent.violations_by_campaign.is_empty() {
        blocks.push(Block::Table(Table {
            columns: vec![column("Campaign with refused deliveries", Align::Left, 3.0), column("Refused", Align::Right, 1.0)],
            rows: consent.violations_by_campaign.iter().map(|r| vec![r.label.clone(), format::count(r.count as i64)]).collect(),
        }));
    }

    blocks.push(Block::Heading("Erasure requests handled".into()));
    if erasures.is_empty() {
        blocks.push(Block::Note("No erasure request was carried out in the period.".into()));
    } else {
        blocks.push(Block::Table(Table {
            columns: vec![column("When (UTC)", Align::Left, 1.5), column("By", Align::Left, 2.0), column("Subject (pseudonym)", Align::Left, 2.2), column("Reason", Align::Left, 3.0)],
            rows: erasures
                .iter()
                .map(|e| vec![e.at.format("%d %b %Y %H:%M").to_string(), format!("{} ({})", e.actor, e.actor_role), e.target.clone(), e.reason.clone().unwrap_or_default()])
                .collect(),
        }));
    }

    blocks.push(Block::Heading("Audit log for the period".into()));
    blocks.push(Block::Note(if total > log.len() as u64 {
        format!("{} entries in the period; the newest {} are listed. The whole log is in the audit export (/api/v1/exports/audit.csv).", format::count(total as i64), format::count(log.len() as i64))
    } else {
        format!("{} entries, oldest first.", format::count(total as i64))
    }));
    if !log.is_empty() {
        blocks.push(Block::Table(Table {
            columns: vec![
                column("#", Align::Right, 0.5),
                column("When (UTC)", Align::Left, 1.4),
                column("Actor", Align::Left, 2.0),
                column("Action", Align::Left, 2.1),
                column("Target", Align::Left, 2.0),
                column("Reason", Align::Left, 2.0),
            ],
            rows: log
                .iter()
                .map(|e| {
                    let target = e.campaign_name.clone().unwrap_or_else(|| e.target.clone());
                    vec![e.seq.to_string(), e.at.format("%d %b %Y %H:%M").to_string(), format!("{} ({})", e.actor, e.actor_role), e.action.clone(), target, e.reason.clone().unwrap_or_default()]
                })
                .collect(),
        }));
    }

    let report = Report {
        title: "Compliance report".into(),
        subtitle: "Audit trail, regulatory checks, consent and erasure".into(),
        facts: vec![
            ("Period".into(), period.words()),
            ("Audit chain".into(), if verification.ok { format!("intact ({} entries, {} checkpoints)", format::count(verification.entries as i64), format::count(verification.checkpoints as i64)) } else { "NOT intact: see the first section".to_owned() }),
            ("Generated".into(), format!("{} UTC", now.format("%d %b %Y %H:%M"))),
            ("Data as of".into(), super::freshness(state).await?),
        ],
        header: period.words(),
        footer: format!("SwipeSavvy Analytics · compliance report · generated {} UTC", now.format("%d %b %Y %H:%M")),
        blocks,
    };
    Ok((report, period))
}
