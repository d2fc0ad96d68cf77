//! Compliance (spec Module 11): the regulatory checks of every live or pending campaign, the
//! consent dashboard, the audit log with its filters and CSV export, the retention runs, and the
//! privacy audit interface (a user's consent trail, the campaigns that targeted a segment,
//! region or channel). Everything reads the same APIs `docs/compliance.md` lists; lookups of a
//! person are written to the data-access log by the server.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{A, Form};
use leptos_router::hooks::use_query_map;

use analytics::regulation::CheckStatus;

use crate::api::{load_compliance, load_consent_trail, load_privacy_query};
use crate::components::chart::{Chart, ChartData, ChartKind, Series};
use crate::components::panel::{EmptyState, ErrorState, Panel, Skeleton};
use crate::filters::QueryPairs;
use crate::format;
use crate::wire::{AuditPage, ComplianceOverview, ConsentOverview, ConsentTrail, LabelledCount, PrivacyQueryResult, RetentionStatus};

/// The audit table's filters (and the consent window, `range`).
const AUDIT_KEYS: &[&str] = &["from", "to", "actor", "action", "campaign", "status", "q", "page", "range"];
/// The privacy lookups: a consent trail by user id or email, and the privacy query's filters.
const TRAIL_KEY: &str = "trail";
/// Set by "Run compliance scan" to the time of the scan shown, so the page asks for a new one.
const SCAN_KEY: &str = "scan";
const QUERY_KEYS: &[(&str, &str)] = &[("pq_segment", "segment"), ("pq_region", "region"), ("pq_channel", "channel"), ("pq_from", "from"), ("pq_to", "to")];

fn status_class(status: CheckStatus) -> &'static str {
    match status {
        CheckStatus::Pass => "status status--good",
        CheckStatus::Warn => "status status--warning",
        CheckStatus::Fail => "status status--bad",
    }
}

fn status_word(status: CheckStatus) -> &'static str {
    match status {
        CheckStatus::Pass => "pass",
        CheckStatus::Warn => "warning",
        CheckStatus::Fail => "fail",
    }
}

fn share(value: Option<f64>) -> String {
    format::or_missing(value.map(|s| 100.0 * s), format::percent)
}

#[component]
pub fn Compliance() -> impl IntoView {
    let query = use_query_map();
    let pairs = Memo::new(move |_| {
        let mut keys: Vec<&str> = AUDIT_KEYS.to_vec();
        keys.push(TRAIL_KEY);
        keys.push(SCAN_KEY);
        keys.extend(QUERY_KEYS.iter().map(|(k, _)| *k));
        query.with(|params| QueryPairs::from_params(params, &keys))
    });
    let overview = Resource::new(
        move || pairs.with(|p| (p.only(AUDIT_KEYS).encode(), p.get(SCAN_KEY).map(str::to_owned))),
        |(query, _)| load_compliance(query),
    );
    let trail = Resource::new(
        move || pairs.with(|p| p.get(TRAIL_KEY).map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned)),
        |asked| async move {
            match asked {
                None => None,
                Some(who) => {
                    let key = if who.contains('@') { "email" } else { "user_id" };
                    Some(load_consent_trail(QueryPairs(vec![(key.to_owned(), who)]).encode()).await)
                }
            }
        },
    );
    let privacy = Resource::new(
        move || {
            pairs.with(|p| {
                let asked: Vec<(String, String)> = QUERY_KEYS.iter().filter_map(|(page_key, api_key)| p.get(page_key).map(|v| ((*api_key).to_owned(), v.to_owned()))).collect();
                (!asked.is_empty()).then(|| QueryPairs(asked).encode())
            })
        },
        |asked| async move {
            match asked {
                None => None,
                Some(query) => Some(load_privacy_query(query).await),
            }
        },
    );
    view! {
        <Title text="Compliance"/>
        <h1 class="page-title">"Compliance"</h1>
        <div class="toolbar">
            <a class="button button--quiet" href="/api/v1/reports/compliance.pdf?range=30d" download="">"Compliance report, last 30 days (PDF)"</a>
            <a class="button button--quiet" href="/api/v1/reports/compliance.pdf?range=90d" download="">"Last 90 days (PDF)"</a>
        </div>
        <div class="grid">
            <super::health_alerts::ComplianceAlerts/>
            <Transition fallback=|| view! { <Panel title="Regulatory checks" span=12><Skeleton lines=6/></Panel> }>
                {move || {
                    let pairs = pairs.get();
                    Suspend::new(async move {
                        match overview.await {
                            Ok(data) => view! { <OverviewPanels data pairs/> }.into_any(),
                            Err(err) => view! { <Panel title="Regulatory checks" span=12><ErrorState message=err.to_string()/></Panel> }.into_any(),
                        }
                    })
                }}
            </Transition>
            <Panel title="Privacy audit" subtitle="Each lookup is written to the data-access log" span=12>
                <PrivacyForms pairs/>
                <Transition fallback=|| view! { <Skeleton/> }>
                    {move || Suspend::new(async move {
                        match trail.await {
                            None => ().into_any(),
                            Some(Ok(trail)) => view! { <TrailView trail/> }.into_any(),
                            Some(Err(err)) => view! { <ErrorState message=err.to_string()/> }.into_any(),
                        }
                    })}
                </Transition>
                <Transition fallback=|| view! { <Skeleton/> }>
                    {move || Suspend::new(async move {
                        match privacy.await {
                            None => ().into_any(),
                            Some(Ok(result)) => view! { <PrivacyResult result/> }.into_any(),
                            Some(Err(err)) => view! { <ErrorState message=err.to_string()/> }.into_any(),
                        }
                    })}
                </Transition>
            </Panel>
        </div>
    }
}

#[component]
fn OverviewPanels(data: ComplianceOverview, pairs: QueryPairs) -> AnyView {
    let ComplianceOverview { scan, consent, retention, audit, chain } = data;
    let chain_line = match &chain.first_bad {
        None => format!("Audit chain verified: {} entries, {} checkpoints", format::count(chain.entries as i64), chain.checkpoints),
        Some(bad) => format!("Audit chain broken at {bad}"),
    };
    let scan_again: Vec<(String, String)> = pairs.only(AUDIT_KEYS).0;
    view! {
        <Panel title="Regulatory checks" subtitle=format!("Every active, scheduled or pending campaign, by the laws of the regions it targets · scanned {} UTC", scan.as_of.format("%d %b %H:%M")) span=12>
            <div class="toolbar">
                <p class=if chain.ok { "status status--text status--good" } else { "status status--text status--bad" } data-testid="audit-chain">
                    <span class="status__dot" aria-hidden="true"></span>{chain_line}
                </p>
                <Form method="GET" action="/compliance" attr:class="form form--row">
                    {scan_again.into_iter().map(|(k, v)| view! { <input type="hidden" name=k value=v/> }).collect_view()}
                    <input type="hidden" name=SCAN_KEY value=scan.as_of.timestamp_millis().to_string()/>
                    <button type="submit" class="button">"Run compliance scan"</button>
                </Form>
            </div>
            {if scan.campaigns.is_empty() {
                view! { <EmptyState title="No campaign to check" detail="Campaigns are checked once they are submitted for approval, scheduled or live."/> }.into_any()
            } else {
                scan.campaigns.into_iter().map(|c| {
                    let label = format!("Checks of {}", c.name);
                    view! {
                        <details class="check-group" open=c.overall != CheckStatus::Pass>
                            // A summary holds no link (nested controls); the campaign's link follows it.
                            <summary>
                                <span class=status_class(c.overall)><span class="status__dot" aria-hidden="true"></span>{status_word(c.overall)}</span>
                                <strong>{c.name.clone()}</strong>
                                <span class="table__sub">{format!(" · {} · {}", c.status.as_str(), c.audience.summary)}</span>
                            </summary>
                            <p><A href=format!("/campaigns/{}", c.campaign_id)>{format!("Open {}", c.name)}</A></p>
                            <div class="table-scroll" tabindex="0">
                                <table class="table" aria-label=label>
                                    <thead><tr><th scope="col">"Law"</th><th scope="col">"Requirement"</th><th scope="col">"Result"</th><th scope="col">"Fact"</th><th scope="col">"Recorded"</th></tr></thead>
                                    <tbody>
                                        {c.checks.into_iter().map(|check| view! {
                                            <tr>
                                                <td>{check.law}</td>
                                                <td>{check.requirement}</td>
                                                <td><span class=status_class(check.status)>{status_word(check.status)}</span></td>
                                                <td>{check.fact}</td>
                                                <td>{check.fact_at.map(|t| t.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_else(|| format::MISSING.to_owned())}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        </details>
                    }
                }).collect_view().into_any()
            }}
        </Panel>
        <ConsentPanels consent/>
        <AuditPanel audit pairs/>
        <RetentionPanel retention/>
    }
    .into_any()
}

#[component]
fn Counts(title: &'static str, rows: Vec<LabelledCount>) -> impl IntoView {
    view! {
        <div class="table-scroll" tabindex="0"><table class="table" aria-label=title>
            <thead><tr><th scope="col">{title}</th><th scope="col" class="num">"Count"</th></tr></thead>
            <tbody>
                {if rows.is_empty() {
                    view! { <tr><td colspan="2">"None in the period"</td></tr> }.into_any()
                } else {
                    rows.into_iter().take(10).map(|r| view! { <tr><td>{r.label}</td><td class="num">{format::count(r.count as i64)}</td></tr> }).collect_view().into_any()
                }}
            </tbody>
        </table></div>
    }
}

#[component]
fn ConsentPanels(consent: ConsentOverview) -> AnyView {
    let period = format!("{} to {} UTC", consent.from.format("%d %b %Y"), consent.to.format("%d %b %Y"));
    let trend = ChartData {
        kind: ChartKind::Bar,
        labels: consent.unsubscribes_by_day.iter().map(|d| d.day.format("%d %b").to_string()).collect(),
        series: vec![Series { name: "Unsubscribes".into(), values: consent.unsubscribes_by_day.iter().map(|d| Some(d.count as f64)).collect() }],
        y_unit: "users".into(),
    };
    view! {
        <Panel title="Consent by channel" subtitle=format!("Reachable now, of {} users with a consent record", format::count(consent.users as i64)) span=4>
            <div class="table-scroll" tabindex="0"><table class="table" aria-label="Reachable users by channel">
                <thead><tr><th scope="col">"Channel"</th><th scope="col" class="num">"Reachable"</th><th scope="col" class="num">"Share"</th></tr></thead>
                <tbody>
                    {consent.by_channel.into_iter().map(|c| view! {
                        <tr><td>{c.channel.as_str()}</td><td class="num">{format::count(c.eligible as i64)}</td><td class="num">{share(c.share)}</td></tr>
                    }).collect_view()}
                </tbody>
            </table></div>
        </Panel>
        <Panel title="Consent by region" subtitle="Reachable on at least one channel, by the region's regime" span=8>
            <div class="table-scroll" tabindex="0">
                <table class="table" aria-label="Reachable users by region">
                    <thead><tr><th scope="col">"Region"</th><th scope="col">"Regime"</th><th scope="col" class="num">"Users"</th><th scope="col" class="num">"Reachable"</th><th scope="col" class="num">"Share"</th></tr></thead>
                    <tbody>
                        {consent.by_region.into_iter().map(|r| view! {
                            <tr><td>{r.region}</td><td>{r.regime}</td><td class="num">{format::count(r.users as i64)}</td><td class="num">{format::count(r.eligible as i64)}</td><td class="num">{share(r.share)}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </Panel>
        <Panel title="Unsubscribes" subtitle=period span=12>
            <Chart id="unsubscribes-by-day" data=trend label="Unsubscribes per day" empty="No user unsubscribed in the period."/>
            <div class="compliance-columns">
                <div><Counts title="Campaign" rows=consent.unsubscribes_by_campaign/></div>
                <div><Counts title="Region" rows=consent.unsubscribes_by_region/></div>
                <div><Counts title="Reason" rows=consent.unsubscribes_by_reason/></div>
            </div>
            <Counts title="Deliveries refused for want of consent, by campaign" rows=consent.violations_by_campaign/>
        </Panel>
    }
    .into_any()
}

#[component]
fn AuditPanel(audit: AuditPage, pairs: QueryPairs) -> AnyView {
    let current = pairs.only(AUDIT_KEYS);
    let value = move |key: &str| current.get(key).unwrap_or_default().to_owned();
    let export = {
        let filters = pairs.only(&["from", "to", "actor", "action", "campaign", "status", "q"]);
        move |path: &str| if filters.0.is_empty() { path.to_owned() } else { format!("{path}?{}", filters.encode()) }
    };
    let pages = audit.total.div_ceil(audit.per_page).max(1);
    let at = audit.page;
    let link_to = {
        let base = pairs.only(AUDIT_KEYS);
        move |page: u64| base.with_param("page", Some(&page.to_string())).href("/compliance")
    };
    let statuses = ["draft", "pending_approval", "scheduled", "active", "paused", "completed", "archived"];
    let status_now = value("status");
    view! {
        <Panel title="Audit log" subtitle="Every state-changing action, newest first; the log is append-only and chained" span=12>
            <Form method="GET" action="/compliance" attr:class="form form--inline">
                <label class="field"><span class="field__label">"From"</span><input type="date" name="from" value=value("from")/></label>
                <label class="field"><span class="field__label">"To"</span><input type="date" name="to" value=value("to")/></label>
                <label class="field"><span class="field__label">"User"</span><input type="text" name="actor" value=value("actor") maxlength="300"/></label>
                <label class="field"><span class="field__label">"Action"</span><input type="text" name="action" value=value("action") placeholder="campaign.approve" maxlength="64"/></label>
                <label class="field"><span class="field__label">"Campaign id"</span><input type="text" name="campaign" value=value("campaign") maxlength="36"/></label>
                <label class="field">
                    <span class="field__label">"Status"</span>
                    <select name="status">
                        <option value="">"Any"</option>
                        {statuses.iter().map(|s| view! { <option value=*s selected=status_now == *s>{*s}</option> }).collect_view()}
                    </select>
                </label>
                <label class="field"><span class="field__label">"Search"</span><input type="search" name="q" value=value("q") maxlength="200"/></label>
                <button type="submit" class="button">"Filter"</button>
                <a class="button button--quiet" href=export("/api/v1/exports/audit.csv") download="">"Export CSV"</a>
                <a class="button button--quiet" href=export("/api/v1/exports/audit.xlsx") download="">"Export Excel"</a>
                <a class="button button--quiet" href="/api/v1/exports/access-log.csv" download="">"Data-access log (CSV)"</a>
                <a class="button button--quiet" href="/api/v1/exports/access-log.xlsx" download="">"Data-access log (Excel)"</a>
            </Form>
            {if audit.rows.is_empty() {
                view! { <EmptyState title="No entries match" detail="Change or clear the filters to see more of the log."/> }.into_any()
            } else {
                view! {
                    <div class="table-scroll" tabindex="0">
                        <table class="table" aria-label="Audit log">
                            <thead>
                                <tr>
                                    <th scope="col">"Timestamp (UTC)"</th><th scope="col">"User"</th><th scope="col">"Action"</th><th scope="col">"Campaign"</th>
                                    <th scope="col">"Target segments"</th><th scope="col">"Consent check"</th><th scope="col">"Status"</th><th scope="col">"Reason"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {audit.rows.into_iter().map(|row| {
                                    let consent = match (row.consent_check.clone(), row.consent_ok) {
                                        (Some(words), Some(true)) => view! { <span class="status status--text status--good">{format!("✓ {words}")}</span> }.into_any(),
                                        (Some(words), _) => view! { <span class="status status--text status--warning">{format!("⚠ {words}")}</span> }.into_any(),
                                        (None, _) => view! { <span>"N/A"</span> }.into_any(),
                                    };
                                    let campaign = match (row.campaign_id, row.campaign_name.clone()) {
                                        (Some(id), Some(name)) => view! { <A href=format!("/campaigns/{id}")>{name}</A> }.into_any(),
                                        _ => view! { <span class="table__sub">{row.target.clone()}</span> }.into_any(),
                                    };
                                    let segments: Vec<&str> = row.target_segments.iter().map(|s| s.as_str()).collect();
                                    view! {
                                        <tr>
                                            <td>{row.at.format("%Y-%m-%d %H:%M:%S").to_string()}</td>
                                            <td>{row.actor.clone()}<span class="table__sub">{format!(" ({})", row.actor_role)}</span></td>
                                            <td>{row.action.clone()}</td>
                                            <td>{campaign}</td>
                                            <td>{if segments.is_empty() { "—".to_owned() } else { segments.join(", ") }}</td>
                                            <td>{consent}</td>
                                            <td>{row.status.clone().unwrap_or_else(|| "—".to_owned())}</td>
                                            <td>{row.reason.clone().unwrap_or_default()}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                    <nav class="pager" aria-label="Audit log pages">
                        <span>{format!("Page {at} of {pages} · {} entries", format::count(audit.total as i64))}</span>
                        {(at > 1).then(|| view! { <A href=link_to(at - 1) attr:class="button button--quiet">"Previous"</A> })}
                        {(at < pages).then(|| view! { <A href=link_to(at + 1) attr:class="button button--quiet">"Next"</A> })}
                    </nav>
                }.into_any()
            }}
        </Panel>
    }
    .into_any()
}

#[component]
fn RetentionPanel(retention: RetentionStatus) -> AnyView {
    let subtitle = format!(
        "Raw events kept {} days; the audit and data-access logs at least {} years (never deleted)",
        retention.raw_event_retention_days, retention.log_retention_years
    );
    view! {
        <Panel title="Retention" subtitle=subtitle span=12>
            {if retention.runs.is_empty() {
                view! { <EmptyState title="The retention job has not run yet" detail="It runs when the server starts and then once a day."/> }.into_any()
            } else {
                view! {
                    <div class="table-scroll" tabindex="0"><table class="table" aria-label="Retention runs">
                        <thead><tr><th scope="col">"Run (UTC)"</th><th scope="col">"Outcome"</th><th scope="col">"Events before"</th><th scope="col" class="num">"Deleted"</th><th scope="col">"Oldest audit entry"</th></tr></thead>
                        <tbody>
                            {retention.runs.into_iter().take(7).map(|run| view! {
                                <tr>
                                    <td>{run.started_at.format("%Y-%m-%d %H:%M").to_string()}</td>
                                    <td><span class=if run.outcome == "ok" { "status status--text status--good" } else { "status status--text status--bad" }>{run.error.clone().unwrap_or(run.outcome.clone())}</span></td>
                                    <td>{run.events_cutoff.format("%Y-%m-%d").to_string()}</td>
                                    <td class="num">{format::count(run.events_deleted)}</td>
                                    <td>{run.oldest_audit_entry.map(|t| t.format("%Y-%m-%d").to_string()).unwrap_or_else(|| "—".to_owned())}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table></div>
                }.into_any()
            }}
        </Panel>
    }
    .into_any()
}

/// The two lookups, each a GET form so a lookup is a link (and works before hydration).
#[component]
fn PrivacyForms(pairs: Memo<QueryPairs>) -> impl IntoView {
    let value = move |key: &str| pairs.with_untracked(|p| p.get(key).unwrap_or_default().to_owned());
    let channels = ["push", "email", "sms", "in_app"];
    let channel_now = value("pq_channel");
    let segment_now = value("pq_segment");
    view! {
        <div class="compliance-columns">
            <div>
            <h3 class="form__title">"User consent trail"</h3>
            <Form method="GET" action="/compliance" attr:class="form" attr:aria-label="Consent trail">
                <label class="field"><span class="field__label">"User id or email"</span><input type="search" name="trail" value=value("trail") maxlength="254" required=true/></label>
                <button type="submit" class="button">"Show consent trail"</button>
            </Form>
            </div>
            <div>
            <h3 class="form__title">"Campaigns that targeted…"</h3>
            <Form method="GET" action="/compliance" attr:class="form form--inline" attr:aria-label="Privacy query">
                <label class="field">
                    <span class="field__label">"Segment"</span>
                    <select name="pq_segment">
                        <option value="">"Any"</option>
                        {analytics::SegmentType::ALL.iter().map(|s| view! { <option value=s.as_str() selected=segment_now == s.as_str()>{s.as_str()}</option> }).collect_view()}
                    </select>
                </label>
                <label class="field"><span class="field__label">"Region"</span><input type="text" name="pq_region" value=value("pq_region") placeholder="EU-DE" maxlength="32"/></label>
                <label class="field">
                    <span class="field__label">"Channel"</span>
                    <select name="pq_channel">
                        <option value="">"Any"</option>
                        {channels.iter().map(|c| view! { <option value=*c selected=channel_now == *c>{*c}</option> }).collect_view()}
                    </select>
                </label>
                <label class="field"><span class="field__label">"From"</span><input type="date" name="pq_from" value=value("pq_from")/></label>
                <label class="field"><span class="field__label">"To"</span><input type="date" name="pq_to" value=value("pq_to")/></label>
                <button type="submit" class="button">"Run privacy query"</button>
            </Form>
            </div>
        </div>
    }
}

#[component]
fn TrailView(trail: ConsentTrail) -> AnyView {
    let title = format!("Consent trail of {}", trail.user_id);
    let regime = format!("Region {} · {}", trail.region.clone().unwrap_or_else(|| "unknown".to_owned()), trail.regime.clone().unwrap_or_else(|| "no regime".to_owned()));
    view! {
        <section class="lookup" aria-label=title.clone()>
            <h3>{title.clone()}</h3>
            <p class="table__sub">{regime}</p>
            <ul class="chips">
                {trail.channels.into_iter().map(|c| {
                    let class = if c.eligible { "chip status--good" } else { "chip status--bad" };
                    view! { <li class=class title=c.reason.clone()>{format!("{}: {}", c.channel.as_str(), if c.eligible { "reachable" } else { "not reachable" })}</li> }
                }).collect_view()}
            </ul>
            {if trail.history.is_empty() {
                view! { <EmptyState title="No consent record" detail="No consent_updated or user_unsubscribed event has been stored for this user."/> }.into_any()
            } else {
                view! {
                    <div class="table-scroll" tabindex="0"><table class="table" aria-label="Consent history">
                        <thead><tr><th scope="col">"When (UTC)"</th><th scope="col">"Channel"</th><th scope="col">"Status"</th><th scope="col">"Method"</th><th scope="col">"Source"</th><th scope="col">"Region"</th></tr></thead>
                        <tbody>
                            {trail.history.into_iter().map(|f| view! {
                                <tr>
                                    <td>{f.occurred_at.format("%Y-%m-%d %H:%M").to_string()}</td>
                                    <td>{f.channel.as_str()}</td>
                                    <td>{f.status}</td>
                                    <td>{f.method.replace('_', " ")}</td>
                                    <td>{f.source.unwrap_or_default()}</td>
                                    <td>{f.region.unwrap_or_default()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table></div>
                }.into_any()
            }}
        </section>
    }
    .into_any()
}

#[component]
fn PrivacyResult(result: PrivacyQueryResult) -> AnyView {
    view! {
        <section class="lookup" aria-label="Privacy query result">
            <h3>{format!("{} campaigns", result.campaigns.len())}</h3>
            {if result.campaigns.is_empty() {
                view! { <EmptyState title="No campaign matches" detail="No campaign targeted that segment, region and channel in the period."/> }.into_any()
            } else {
                view! {
                    <div class="table-scroll" tabindex="0"><table class="table" aria-label="Campaigns that targeted the query">
                        <thead><tr><th scope="col">"Campaign"</th><th scope="col">"Status"</th><th scope="col">"Channels"</th><th scope="col">"Segments"</th><th scope="col">"Regions"</th><th scope="col">"From"</th><th scope="col">"Consent method"</th><th scope="col">"Opt-out link"</th></tr></thead>
                        <tbody>
                            {result.campaigns.into_iter().map(|c| view! {
                                <tr>
                                    <td><A href=format!("/campaigns/{}", c.campaign_id)>{c.name}</A></td>
                                    <td>{c.status.as_str()}</td>
                                    <td>{c.channels.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(", ")}</td>
                                    <td>{c.target_segments.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(", ")}</td>
                                    <td>{if c.target_regions.is_empty() { "all".to_owned() } else { c.target_regions.join(", ") }}</td>
                                    <td>{c.from.format("%Y-%m-%d").to_string()}</td>
                                    <td>{c.consent_method.map(|m| analytics::consent::method_name(m).to_owned()).unwrap_or_else(|| "not declared".to_owned())}</td>
                                    <td>{if c.has_opt_out_link { "yes" } else { "no" }}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table></div>
                }.into_any()
            }}
        </section>
    }
    .into_any()
}
