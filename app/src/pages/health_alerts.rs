//! Module 9's metric alerts (issue #9, docs/alerts.md): what the anomaly detector and people's
//! threshold rules raised, with acknowledgement, and the rules themselves with a form to add one.
//! Detection, evaluation and delivery are the server's.

use leptos::prelude::*;

use analytics::metrics::MetricId;

use crate::api::{ChangeAlert, load_alert_rules, load_alerts, load_compliance_alerts};
use crate::components::panel::{EmptyState, ErrorState, Panel, Skeleton};
use crate::wire::{AlertRuleView, AlertView};

fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// The two panels, refreshed after each change.
#[component]
pub fn MetricAlerts() -> impl IntoView {
    let change = ServerAction::<ChangeAlert>::new();
    let alerts = Resource::new(move || change.version().get(), |_| load_alerts("status=all&limit=50".to_owned()));
    let rules = Resource::new(move || change.version().get(), |_| load_alert_rules());
    view! {
        {move || change.value().get().map(|outcome| match outcome {
            Ok(text) => view! { <p class="notice notice--info span-12" role="status">{text}</p> }.into_any(),
            Err(err) => view! { <p class="notice notice--error span-12" role="alert">{format!("Refused: {err}")}</p> }.into_any(),
        })}
        <Panel title="Metric alerts" subtitle="Anomalies (over 3σ from the hour-of-week baseline) and threshold rules, newest first" span=12>
            <Transition fallback=|| view! { <Skeleton lines=4/> }>
                {move || Suspend::new(async move {
                    match alerts.await {
                        Ok(list) if list.items.is_empty() => view! { <EmptyState title="No alert" detail="Nothing unusual was found and no rule has fired."/> }.into_any(),
                        Ok(list) => view! { <AlertTable label="Metric alerts" items=list.items change/> }.into_any(),
                        Err(err) => view! { <ErrorState message=err.to_string()/> }.into_any(),
                    }
                })}
            </Transition>
        </Panel>
        <Panel title="Alert rules" subtitle="Anyone may set one: a metric, a filter, a threshold and for how many days; it fires once while it holds" span=12>
            <Transition fallback=|| view! { <Skeleton lines=3/> }>
                {move || Suspend::new(async move {
                    match rules.await {
                        Ok(rules) if rules.is_empty() => view! { <p>"No rule yet."</p> }.into_any(),
                        Ok(rules) => view! {
                            <ul class="history" aria-label="Alert rules">{rules.into_iter().map(|r| view! { <RuleItem rule=r change/> }).collect_view()}</ul>
                        }.into_any(),
                        Err(err) => view! { <ErrorState message=err.to_string()/> }.into_any(),
                    }
                })}
            </Transition>
            <details class="menu__confirm">
                <summary>"New rule…"</summary>
                <ActionForm action=change attr:class="form form--inline">
                    <input type="hidden" name="verb" value="create_rule"/>
                    <label class="field"><span class="field__label">"Name"</span><input type="text" name="name" required=true minlength="3" maxlength="200"/></label>
                    <label class="field">
                        <span class="field__label">"Metric"</span>
                        <select name="metric">{MetricId::ALL.iter().map(|m| view! { <option value=m.as_str()>{m.definition().name}</option> }).collect_view()}</select>
                    </label>
                    <label class="field">
                        <span class="field__label">"When it is"</span>
                        <select name="comparison"><option value="below">"below"</option><option value="above">"above"</option></select>
                    </label>
                    <label class="field"><span class="field__label">"Threshold"</span><input type="number" name="threshold" step="any" required=true/></label>
                    <label class="field"><span class="field__label">"For days"</span><input type="number" name="for_days" min="1" max="30" value="1" required=true/></label>
                    <label class="field"><span class="field__label">"Filters (e.g. campaign=<id>&segment=HIGH_SPENDER)"</span><input type="text" name="filters" maxlength="2000"/></label>
                    <button type="submit" class="button">"Create rule"</button>
                </ActionForm>
            </details>
        </Panel>
    }
}

/// Module 11's share of the alerts: campaigns the product paused at once for a compliance flag.
#[component]
pub fn ComplianceAlerts() -> impl IntoView {
    let change = ServerAction::<ChangeAlert>::new();
    let alerts = Resource::new(move || change.version().get(), |_| load_compliance_alerts());
    view! {
        {move || change.value().get().map(|outcome| match outcome {
            Ok(text) => view! { <p class="notice notice--info span-12" role="status">{text}</p> }.into_any(),
            Err(err) => view! { <p class="notice notice--error span-12" role="alert">{format!("Refused: {err}")}</p> }.into_any(),
        })}
        <Panel title="Automatic compliance pauses" subtitle="Campaigns the product paused at once for a compliance flag, for you to review and acknowledge" span=12>
            <Transition fallback=|| view! { <Skeleton lines=2/> }>
                {move || Suspend::new(async move {
                    match alerts.await {
                        Ok(list) if list.items.is_empty() => view! { <p>"No campaign was paused automatically."</p> }.into_any(),
                        Ok(list) => view! { <AlertTable label="Automatic compliance pauses" items=list.items change/> }.into_any(),
                        Err(err) => view! { <ErrorState message=err.to_string()/> }.into_any(),
                    }
                })}
            </Transition>
        </Panel>
    }
}

/// Alerts as a table, each acknowledgeable from its row.
#[component]
fn AlertTable(label: &'static str, items: Vec<AlertView>, change: ServerAction<ChangeAlert>) -> impl IntoView {
    view! {
        <div class="table-scroll" tabindex="0">
            <table class="table" aria-label=label>
                <thead><tr>
                    <th scope="col">"Alert"</th>
                    <th scope="col">"Severity"</th>
                    <th scope="col">"Fired"</th>
                    <th scope="col">"State"</th>
                    <th scope="col">"Webhook"</th>
                    <th scope="col">"Acknowledged"</th>
                </tr></thead>
                <tbody>{items.into_iter().map(|a| view! { <AlertRow alert=a change/> }).collect_view()}</tbody>
            </table>
        </div>
    }
}

#[component]
fn AlertRow(alert: AlertView, change: ServerAction<ChangeAlert>) -> impl IntoView {
    let tone = match alert.severity.as_str() {
        "critical" => "bad",
        "warning" => "warning",
        _ => "good",
    };
    let state = match alert.cleared_at {
        Some(at) => format!("closed {}", when(at)),
        None if alert.source == "recommendation" => "open until acknowledged".to_owned(),
        None => format!("open (last seen {})", when(alert.last_seen_at)),
    };
    let acknowledged = alert.acknowledged_by.clone().map(|by| format!("{by}, {}{}", alert.acknowledged_at.map(when).unwrap_or_default(), alert.acknowledge_note.clone().map(|n| format!(": {n}")).unwrap_or_default()));
    let id = alert.id.to_string();
    view! {
        <tr>
            <th scope="row">{format!("{} · {}", match alert.source.as_str() { "anomaly" => "Anomaly", "threshold" => "Rule", _ => "Recommendation" }, alert.message)}</th>
            <td><span class=format!("status status--{tone}")>{alert.severity.clone()}</span></td>
            <td>{when(alert.fired_at)}</td>
            <td>{state}</td>
            <td>{alert.delivery.clone().unwrap_or_else(|| "not sent".to_owned())}</td>
            <td>
                {match acknowledged {
                    Some(text) => view! { <span>{text}</span> }.into_any(),
                    None => view! {
                        <details class="menu__confirm">
                            <summary>"Acknowledge…"</summary>
                            <ActionForm action=change attr:class="form">
                                <input type="hidden" name="verb" value="acknowledge"/>
                                <input type="hidden" name="id" value=id/>
                                <label class="field"><span class="field__label">"Note (kept in the audit log)"</span><input type="text" name="note" maxlength="500"/></label>
                                <button type="submit" class="button">"Confirm acknowledgement"</button>
                            </ActionForm>
                        </details>
                    }.into_any(),
                }}
            </td>
        </tr>
    }
}

#[component]
fn RuleItem(rule: AlertRuleView, change: ServerAction<ChangeAlert>) -> impl IntoView {
    let text = format!(
        "{}: {} {} {} for {} day{}{} · by {}{}",
        rule.name,
        rule.metric_name,
        rule.comparison,
        rule.threshold,
        rule.for_days,
        if rule.for_days == 1 { "" } else { "s" },
        if rule.filters.is_empty() { String::new() } else { format!(" ({})", rule.filters) },
        rule.created_by,
        if rule.firing.is_some() { " · FIRING" } else { "" }
    );
    let id = rule.id.to_string();
    view! {
        <li>
            {text}
            <ActionForm action=change attr:class="form form--inline">
                <input type="hidden" name="verb" value="delete_rule"/>
                <input type="hidden" name="id" value=id/>
                <button type="submit" class="button button--quiet">"Delete"</button>
            </ActionForm>
        </li>
    }
}
