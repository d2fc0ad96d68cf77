//! The Action Center (Module 10, issue #9, docs/recommendations.md): the queue with the spec's
//! filters (View 1, `/actions`) and one recommendation in detail (View 2, `/actions/:id`): its
//! figures against their targets, why, similar campaigns, what acting and not acting project,
//! the alternatives, and the decisions, each behind a confirmation. The engine and every rule are
//! the server's; the page shows them and sends decisions.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{A, Form};
use leptos_router::hooks::{use_params_map, use_query_map};

use analytics::recommend::{Action, Figure, Level, Recommendation};

use super::action_outcomes::{ActionCenterTabs, KindSelect, OutcomePanel};
use crate::api::{ActOnRecommendation, RefreshRecommendations, load_recommendation, load_recommendations};
use crate::components::live::{LiveIndicator, NewRecommendations, use_live_feed};
use crate::components::panel::{EmptyState, ErrorState, Panel, Skeleton};
use crate::filters::QueryPairs;
use crate::format;
use crate::wire::{RecommendationStatus, RecommendationView};

/// The queue's filters, as `GET /api/v1/recommendations` takes them.
const FILTERS: [&str; 4] = ["kind", "priority", "status", "max_age_days"];

fn level_pill(level: Level) -> impl IntoView {
    view! { <span class=format!("pill pill--level-{}", level.as_str())>{level.as_str().to_uppercase()}</span> }
}

fn status_pill(status: RecommendationStatus) -> impl IntoView {
    view! { <span class=format!("pill pill--rec-{}", status.as_str())>{status.as_str().replace('_', " ")}</span> }
}

fn figure(f: &Figure) -> String {
    format::or_missing(f.value, |v| format::metric(v, f.unit, false))
}

fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn confidence(c: f64) -> String {
    format!("{}%", format::fixed(100.0 * c, 0))
}

/// The decision the recommendation's own action makes, in words for its button.
fn action_label(action: &Action) -> &'static str {
    match action {
        Action::PauseCampaign { .. } => "Pause campaign",
        Action::MoveBudget { .. } => "Move budget",
        Action::TestCreative { .. } => "Launch test",
        Action::AddTargetSegment { .. } => "Add segment",
        Action::RemoveTargetSegment { .. } => "Remove segment",
        Action::SetFrequencyCap { .. } => "Set frequency cap",
        Action::SetBudget { .. } => "Raise budget",
        Action::SetTargetSegments { .. } => "Change targeting",
        Action::SetHoldout { .. } => "Create holdout",
        Action::RefreshData => "Rebuild rollups",
    }
}

/// `/actions`: the queue, highest priority first.
#[component]
pub fn ActionCenter() -> impl IntoView {
    let query = use_query_map();
    let query_string = Memo::new(move |_| query.with(|q| QueryPairs::from_params(q, &FILTERS).encode()));
    let refresh = ServerAction::<RefreshRecommendations>::new();
    let act = ServerAction::<ActOnRecommendation>::new();
    // New recommendations are pushed over the live socket; "Show them" reloads the list.
    let feed = use_live_feed(Memo::new(|_| QueryPairs::default()));
    let pushed = RwSignal::new(0u32);
    let show = Callback::new(move |()| pushed.update(|n| *n += 1));
    let list = Resource::new(move || (query_string.get(), refresh.version().get(), act.version().get(), pushed.get()), |(q, _, _, _)| load_recommendations(q));
    let value = move |key: &str| query.with(|q| q.get(key).unwrap_or_default());
    view! {
        <Title text="Action Center"/>
        <div class="page-head">
            <h1 class="page-title">"Action Center"</h1>
            <p class="page-lede">"What the numbers call for, ranked by priority (impact × urgency × feasibility). Each recommendation says why, what acting and not acting would do, and how sure it is."</p>
        </div>
        <ActionCenterTabs outcomes=false/>
        <LiveIndicator feed/>
        <NewRecommendations feed show/>
        {move || refresh.value().get().map(|outcome| match outcome {
            Ok(run) => view! { <p class="notice notice--info" role="status">{format!("Refreshed: {} found, {} new, {} expired, {} kept quiet by a dismissal.", run.found, run.opened, run.expired, run.suppressed)}</p> }.into_any(),
            Err(err) => view! { <p class="notice notice--error" role="alert">{format!("The refresh failed: {err}")}</p> }.into_any(),
        })}
        <ActOutcome act/>
        <div class="grid">
            <Panel title="Recommendations" subtitle="Open ones by default; filter by type, priority, status and age" span=12>
                <div class="toolbar">
                    <Form method="GET" action="/actions" attr:class="form form--inline">
                        <KindSelect chosen=value("kind")/>
                        <label class="field">
                            <span class="field__label">"Priority"</span>
                            <select name="priority">
                                <option value="">"All"</option>
                                {Level::ALL.iter().map(|l| view! { <option value=l.as_str() selected=value("priority") == l.as_str()>{l.as_str()}</option> }).collect_view()}
                            </select>
                        </label>
                        <label class="field">
                            <span class="field__label">"Status"</span>
                            <select name="status">
                                <option value="">"Open, scheduled, awaiting approval"</option>
                                <option value="all" selected=value("status") == "all">"All"</option>
                                {RecommendationStatus::ALL.iter().map(|s| view! { <option value=s.as_str() selected=value("status") == s.as_str()>{s.as_str().replace('_', " ")}</option> }).collect_view()}
                            </select>
                        </label>
                        <label class="field">
                            <span class="field__label">"Age"</span>
                            <select name="max_age_days">
                                <option value="">"Any"</option>
                                {[1u32, 7, 30].iter().map(|d| view! { <option value=d.to_string() selected=value("max_age_days") == d.to_string()>{format!("Found in the last {d} day{}", if *d == 1 { "" } else { "s" })}</option> }).collect_view()}
                            </select>
                        </label>
                        <button type="submit" class="button">"Filter"</button>
                    </Form>
                    <ActionForm action=refresh attr:class="form form--inline">
                        <button type="submit" class="button button--quiet">"Refresh now"</button>
                    </ActionForm>
                </div>
                <Transition fallback=|| view! { <Skeleton lines=6/> }>
                    {move || Suspend::new(async move {
                        match list.await {
                            Ok(list) if list.items.is_empty() => view! { <EmptyState title="Nothing to act on" detail="No recommendation matches these filters. The engine runs every few minutes; Refresh runs it now."/> }.into_any(),
                            Ok(list) => view! {
                                <p class="freshness">{format!("{} recommendation{} · as of {}", list.total, if list.total == 1 { "" } else { "s" }, when(list.as_of))}</p>
                                <ul class="rec-list">
                                    {list.items.into_iter().map(|item| view! { <QueueItem item act/> }).collect_view()}
                                </ul>
                            }.into_any(),
                            Err(err) => view! { <ErrorState message=err.to_string()/> }.into_any(),
                        }
                    })}
                </Transition>
            </Panel>
        </div>
    }
}

/// What the last decision did, or why it was refused.
#[component]
fn ActOutcome(act: ServerAction<ActOnRecommendation>) -> impl IntoView {
    move || {
        act.value().get().map(|outcome| match outcome {
            Ok(view) => {
                let text = match view.status {
                    RecommendationStatus::Executed => format!("Done: \"{}\" was carried out; the change is in the audit log.", view.recommendation.title),
                    RecommendationStatus::AwaitingApproval => format!("\"{}\" now waits for a second person's approval.", view.recommendation.title),
                    RecommendationStatus::Scheduled => format!("\"{}\" is scheduled for {}.", view.recommendation.title, view.scheduled_for.map(when).unwrap_or_default()),
                    RecommendationStatus::Dismissed => format!("\"{}\" was dismissed; it stays quiet until its situation clears.", view.recommendation.title),
                    other => format!("\"{}\" is {}.", view.recommendation.title, other.as_str().replace('_', " ")),
                };
                view! { <p class="notice notice--info" role="status">{text}</p> }.into_any()
            }
            Err(err) => view! { <p class="notice notice--error" role="alert">{format!("Refused: {err}")}</p> }.into_any(),
        })
    }
}

/// One card of the queue: priority, title, the reason, the figures that rank it, and its actions.
#[component]
fn QueueItem(item: RecommendationView, act: ServerAction<ActOnRecommendation>) -> impl IntoView {
    let r = item.recommendation.clone();
    let headline = r.projection.net_weekly_dollars.map(|d| format!("Net effect over 7 days: {}", format::money(d)));
    let (title, label, class) = (r.title.clone(), r.title.clone(), format!("rec rec--{}", r.score.level.as_str()));
    let (href, details) = (format!("/actions/{}", item.id), format!("/actions/{}", item.id));
    view! {
        <li>
            <article class=class aria-label=label>
                <header class="rec__head">
                    {level_pill(r.score.level)}
                    <span class="rec__kind">{r.kind.title()}</span>
                    {(item.status != RecommendationStatus::Open).then(|| status_pill(item.status))}
                </header>
                <h2 class="rec__title"><A href=href>{title}</A></h2>
                <p class="rec__reason">{r.primary_reason.clone()}</p>
                <p class="rec__figures">
                    {format!(
                        "Score {}/100 · priority {} · confidence {}",
                        format::fixed(r.score.impact, 0),
                        format::fixed(r.score.priority, 0),
                        confidence(r.projection.confidence)
                    )}
                    {headline.map(|h| format!(" · {h}"))}
                </p>
                <div class="actions">
                    <A href=details attr:class="button button--quiet">"View details"</A>
                    <Decisions item=item act compact=true/>
                </div>
            </article>
        </li>
    }
}

/// The decisions the recommendation's status allows, each behind a confirmation; the server
/// checks who may take them.
#[component]
fn Decisions(item: RecommendationView, act: ServerAction<ActOnRecommendation>, #[prop(optional)] compact: bool) -> impl IntoView {
    let id = item.id.to_string();
    let r = item.recommendation.clone();
    let is_test = matches!(r.action, Action::TestCreative { .. });
    let label = action_label(&r.action);
    // Customize: the proposed action's number, editable before executing or scheduling.
    let adjustable = r.action.adjustable().map(|(what, value)| (what, value, serde_json::to_string(&r.action).unwrap_or_default()));
    let form = {
        let id = id.clone();
        let adjustable = adjustable.clone();
        move |verb: &'static str, summary: String, confirm: String, text_label: Option<&'static str>, with_time: bool, with_challenger: bool| {
            let id = id.clone();
            let adjustable = adjustable.clone();
            view! {
                <details class="menu__confirm">
                    <summary>{summary}</summary>
                    <ActionForm action=act attr:class="form">
                        <input type="hidden" name="id" value=id/>
                        <input type="hidden" name="verb" value=verb/>
                        {with_time.then(|| view! {
                            <label class="field">
                                <span class="field__label">"When (UTC)"</span>
                                <input type="datetime-local" name="at" required=true/>
                            </label>
                        })}
                        {(verb == "execute" || verb == "schedule").then_some(adjustable).flatten().map(|(what, value, base)| view! {
                            <input type="hidden" name="customize_base" value=base/>
                            <label class="field">
                                <span class="field__label">{format!("{what} (Customize)")}</span>
                                <input type="number" name="customize_value" step="any" min="0" value=value.to_string()/>
                            </label>
                        })}
                        {with_challenger.then(|| view! {
                            <label class="field"><span class="field__label">"Challenger headline"</span><input type="text" name="challenger_headline" required=true maxlength="200"/></label>
                            <label class="field"><span class="field__label">"Challenger body"</span><input type="text" name="challenger_body" required=true maxlength="500"/></label>
                            <label class="field"><span class="field__label">"Challenger call to action"</span><input type="text" name="challenger_call_to_action" required=true maxlength="60"/></label>
                        })}
                        {text_label.map(|l| view! {
                            <label class="field">
                                <span class="field__label">{l}</span>
                                <input type="text" name="text" maxlength="500" required=verb == "dismiss"/>
                            </label>
                        })}
                        <button type="submit" class="button">{confirm}</button>
                    </ActionForm>
                </details>
            }
            .into_any()
        }
    };
    let mut decisions = Vec::new();
    match item.status {
        RecommendationStatus::Open => {
            decisions.push(form("execute", format!("{label}…"), format!("Confirm: {}", label.to_lowercase()), Some("Note (kept in the audit log)"), false, is_test));
            if !compact {
                decisions.push(form("schedule", "Schedule…".to_owned(), "Confirm schedule".to_owned(), Some("Note (kept in the audit log)"), true, is_test));
            }
            decisions.push(form("dismiss", "Dismiss…".to_owned(), "Confirm dismissal".to_owned(), Some("Reason (kept in the audit log)"), false, false));
        }
        RecommendationStatus::Scheduled => {
            decisions.push(form("execute", format!("{label} now…"), format!("Confirm: {} now", label.to_lowercase()), Some("Note (kept in the audit log)"), false, is_test));
            decisions.push(form("dismiss", "Cancel and dismiss…".to_owned(), "Confirm dismissal".to_owned(), Some("Reason (kept in the audit log)"), false, false));
        }
        RecommendationStatus::AwaitingApproval => {
            decisions.push(form("approve", "Approve…".to_owned(), "Confirm approval".to_owned(), None, false, false));
        }
        _ => {}
    }
    view! { {decisions} }
}

/// `/actions/:id`: one recommendation, as the spec's View 2.
#[component]
pub fn RecommendationPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let act = ServerAction::<ActOnRecommendation>::new();
    let item = Resource::new(
        move || (id.get(), act.version().get()),
        |(id, _)| async move {
            let id = uuid::Uuid::parse_str(&id).map_err(|_| ServerFnError::new(format!("'{id}' is not a recommendation id")))?;
            load_recommendation(id).await
        },
    );
    view! {
        <Title text="Recommendation"/>
        <p><A href="/actions">"← Back to the queue"</A></p>
        <ActOutcome act/>
        <Transition fallback=|| view! { <div class="grid"><Panel title="Recommendation" span=12><Skeleton lines=8/></Panel></div> }>
            {move || Suspend::new(async move {
                match item.await {
                    Ok(item) => view! { <RecommendationDetail item act/> }.into_any(),
                    Err(err) => view! { <div class="grid"><Panel title="Recommendation" span=12><ErrorState message=err.to_string()/></Panel></div> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn RecommendationDetail(item: RecommendationView, act: ServerAction<ActOnRecommendation>) -> impl IntoView {
    let r: Recommendation = item.recommendation.clone();
    let meta = format!(
        "Recommendation {} · found {} · updated {} · {}",
        item.id,
        when(item.created_at),
        when(item.updated_at),
        if r.auto_execute { "executed automatically when found" } else { "executed only by a person" }
    );
    let outcome = match item.status {
        RecommendationStatus::Executed => Some(format!("Executed by {} at {}.", item.executed_by.clone().unwrap_or_default(), item.executed_at.map(when).unwrap_or_default())),
        RecommendationStatus::Dismissed => Some(format!("Dismissed by {}: {} (quiet until {}).", item.dismissed_by.clone().unwrap_or_default(), item.dismissed_reason.clone().unwrap_or_default(), item.suppress_until.map(when).unwrap_or_default())),
        RecommendationStatus::Expired | RecommendationStatus::Failed => item.closed_reason.clone(),
        RecommendationStatus::Scheduled => Some(format!("Scheduled for {} by {}.", item.scheduled_for.map(when).unwrap_or_default(), item.scheduled_by.clone().unwrap_or_default())),
        RecommendationStatus::AwaitingApproval => Some("Waiting for a second person's approval.".to_owned()),
        RecommendationStatus::Open => None,
    };
    let projection = r.projection.clone();
    let confidence_note = projection.track_record.clone().map_or_else(String::new, |t| format!(" · {t}"));
    let measured = (item.status == RecommendationStatus::Executed).then(|| item.outcome.clone());
    let (status, id) = (item.status, item.id.to_string());
    let decisions = view! { <Decisions item=item.clone() act/> };
    view! {
        <div class="page-head">
            <h1 class="page-title">{level_pill(r.score.level)}" "{r.title.clone()}" "{status_pill(status)}</h1>
            <p class="page-lede">{meta}</p>
        </div>
        {outcome.map(|text| view! { <p class="verdict" role="status">{text}</p> })}
        <div class="grid">
            <Panel title="Current performance" subtitle="The figures the rule judged, against their targets" span=6>
                <div class="table-scroll" tabindex="0">
                    <table class="table" aria-label="Current performance">
                        <thead><tr><th scope="col">"KPI"</th><th scope="col" class="num">"Current"</th><th scope="col" class="num">"Target"</th><th scope="col">"Status"</th></tr></thead>
                        <tbody>
                            {r.current.iter().map(|f| view! {
                                <tr>
                                    <th scope="row">{f.label.clone()}</th>
                                    <td class="num">{figure(f)}</td>
                                    <td class="num">{f.target.clone().unwrap_or_else(|| "—".to_owned())}</td>
                                    <td>{match f.ok { Some(true) => "✓ OK", Some(false) => "✗ Off target", None => "—" }}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            </Panel>
            <Panel title="Why this recommendation?" subtitle="The rule that fired and the evidence, each from a measured figure" span=6>
                <p><strong>"Primary reason: "</strong>{r.primary_reason.clone()}</p>
                <ul class="history">{r.evidence.iter().map(|e| view! { <li>{e.clone()}</li> }).collect_view()}</ul>
                {(!r.similar.is_empty()).then(|| view! {
                    <p><strong>"Similar campaigns"</strong></p>
                    <ul class="history">{r.similar.iter().map(|s| view! { <li>{format!("{} ({}: {})", s.name, s.figure.label, figure(&s.figure))}</li> }).collect_view()}</ul>
                })}
            </Panel>
            <Panel title="Projected impact" subtitle=format!("Confidence {} · {}{}", confidence(projection.confidence), projection.method.clone(), confidence_note) span=12>
                <div class="impact">
                    <section aria-label="If you act">
                        <h3>"If you act"</h3>
                        <dl class="facts">{projection.if_act.iter().map(|f| view! { <dt>{f.label.clone()}</dt><dd>{figure(f)}</dd> }).collect_view()}</dl>
                    </section>
                    <section aria-label="If you don't">
                        <h3>"If you don't"</h3>
                        <dl class="facts">{projection.if_not.iter().map(|f| view! { <dt>{f.label.clone()}</dt><dd>{figure(f)}</dd> }).collect_view()}</dl>
                    </section>
                </div>
            </Panel>
            {measured.map(|outcome| view! { <OutcomePanel outcome/> })}
            {status.is_pending().then(|| view! {
                <Panel title="Decide" subtitle="Each decision asks for confirmation and is written to the audit log" span=12>
                    <div class="actions">{decisions}</div>
                </Panel>
            })}
            {(!r.alternatives.is_empty() && status == RecommendationStatus::Open).then(|| {
                view! {
                    <Panel title="Alternative actions" subtitle="Instead of the recommendation, you could:" span=12>
                        <ul class="history">
                            {r.alternatives.iter().enumerate().map(|(i, alt)| {
                                let id = id.clone();
                                view! {
                                    <li>
                                        <strong>{alt.kind.title()}</strong>" — "{alt.description.clone()}" ("{alt.projected.clone()}")"
                                        <details class="menu__confirm">
                                            <summary>"Choose this action…"</summary>
                                            <ActionForm action=act attr:class="form">
                                                <input type="hidden" name="id" value=id/>
                                                <input type="hidden" name="verb" value="execute"/>
                                                <input type="hidden" name="alternative" value=i.to_string()/>
                                                <label class="field"><span class="field__label">"Note (kept in the audit log)"</span><input type="text" name="text" maxlength="500"/></label>
                                                <button type="submit" class="button">"Confirm this action"</button>
                                            </ActionForm>
                                        </details>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    </Panel>
                }
            })}
            <Panel title="Priority" subtitle="Priority = impact × urgency × feasibility" span=12>
                <dl class="facts">
                    {r.score.impact_parts.iter().map(|p| view! { <dt>{format!("Impact: {}", p.name)}</dt><dd>{format::fixed(p.points, 1)}</dd> }).collect_view()}
                    <dt>"Impact (0–100)"</dt><dd>{format::fixed(r.score.impact, 1)}</dd>
                    <dt>{format!("Urgency ({})", r.score.urgency_reason)}</dt><dd>{format!("× {}", format::fixed(r.score.urgency, 2))}</dd>
                    <dt>{format!("Feasibility ({})", r.score.feasibility_reason)}</dt><dd>{format!("× {}", format::fixed(r.score.feasibility, 2))}</dd>
                    <dt>"Priority"</dt><dd>{format::fixed(r.score.priority, 1)}</dd>
                </dl>
            </Panel>
        </div>
    }
    .into_any()
}
