//! The account page's scheduled reports (docs/reports.md, "Scheduled delivery"): the person's
//! schedules with their latest delivery, a form to add one, and deletion. The server checks the
//! report's right, sends, retries and keeps each delivery.

use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::api::{ChangeReportSchedule, load_report_schedules};
use crate::components::panel::{EmptyState, ErrorState, Panel, Skeleton};
use crate::wire::ReportScheduleView;

const WEEKDAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
/// Offered in the zone field (any IANA zone is accepted).
const ZONES: [&str; 10] = ["UTC", "Europe/London", "Europe/Paris", "Europe/Berlin", "America/New_York", "America/Chicago", "America/Los_Angeles", "Asia/Singapore", "Asia/Tokyo", "Australia/Sydney"];

fn when(s: &ReportScheduleView) -> String {
    let r = &s.schedule;
    let day = match r.frequency.as_str() {
        "weekly" => format!("every {}", r.weekday.and_then(|d| WEEKDAYS.get(usize::from(d).saturating_sub(1))).unwrap_or(&"week")),
        "monthly" => format!("monthly on day {}", r.day_of_month.unwrap_or(1)),
        _ => "daily".to_owned(),
    };
    format!("{day} at {:02}:{:02} {}", r.hour, r.minute, r.time_zone)
}

#[component]
pub fn ReportSchedules() -> impl IntoView {
    let change = ServerAction::<ChangeReportSchedule>::new();
    let schedules = Resource::new(move || change.version().get(), |_| load_report_schedules());
    view! {
        <Panel title="Scheduled reports" subtitle="The board, campaign or compliance report as a PDF, by e-mail or to a webhook, at a local time in your zone" span=12>
            {move || change.value().get().map(|outcome| match outcome {
                Ok(text) => view! { <p class="notice notice--info" role="status">{text}</p> }.into_any(),
                Err(err) => view! { <p class="notice notice--error" role="alert">{format!("Refused: {err}")}</p> }.into_any(),
            })}
            <Transition fallback=|| view! { <Skeleton lines=3/> }>
                {move || Suspend::new(async move {
                    match schedules.await {
                        Ok(list) if list.is_empty() => view! { <EmptyState title="No scheduled report" detail="Add one below: a weekly board report every Monday at 08:00, say."/> }.into_any(),
                        Ok(list) => view! { <ScheduleTable list change/> }.into_any(),
                        Err(err) => view! { <ErrorState message=err.to_string()/> }.into_any(),
                    }
                })}
            </Transition>
            <details class="menu__confirm">
                <summary>"New scheduled report…"</summary>
                <ActionForm action=change attr:class="form form--inline">
                    <input type="hidden" name="verb" value="create"/>
                    <label class="field"><span class="field__label">"Name"</span><input type="text" name="name" required=true maxlength="200" placeholder="Weekly board report"/></label>
                    <label class="field">
                        <span class="field__label">"Report"</span>
                        <select name="report">
                            <option value="board">"Board report"</option>
                            <option value="campaign">"Campaign report"</option>
                            <option value="compliance">"Compliance report"</option>
                        </select>
                    </label>
                    <label class="field"><span class="field__label">"Campaign id (campaign report)"</span><input type="text" name="campaign_id" maxlength="36"/></label>
                    <label class="field"><span class="field__label">"Period and filters"</span><input type="text" name="query" value="range=7d" maxlength="2000"/></label>
                    <label class="field">
                        <span class="field__label">"How often"</span>
                        <select name="frequency">
                            <option value="weekly">"Weekly"</option>
                            <option value="daily">"Daily"</option>
                            <option value="monthly">"Monthly"</option>
                        </select>
                    </label>
                    <label class="field">
                        <span class="field__label">"Weekday (weekly)"</span>
                        <select name="weekday">{WEEKDAYS.iter().enumerate().map(|(i, d)| view! { <option value=(i + 1).to_string()>{*d}</option> }).collect_view()}</select>
                    </label>
                    <label class="field"><span class="field__label">"Day of month (monthly)"</span><input type="number" name="day_of_month" min="1" max="28" value="1"/></label>
                    <label class="field"><span class="field__label">"Time"</span><input type="time" name="time" value="08:00" required=true/></label>
                    <label class="field">
                        <span class="field__label">"Time zone"</span>
                        <input type="text" name="time_zone" value="UTC" list="report-zones" required=true/>
                        <datalist id="report-zones">{ZONES.iter().map(|z| view! { <option value=*z/> }).collect_view()}</datalist>
                    </label>
                    <label class="field">
                        <span class="field__label">"Send by"</span>
                        <select name="channel"><option value="email">"E-mail"</option><option value="webhook">"Webhook"</option></select>
                    </label>
                    <label class="field"><span class="field__label">"To (addresses, or the webhook URL)"</span><input type="text" name="destination" required=true maxlength="2000"/></label>
                    <button type="submit" class="button">"Schedule report"</button>
                </ActionForm>
            </details>
        </Panel>
    }
}

#[component]
fn ScheduleTable(list: Vec<ReportScheduleView>, change: ServerAction<ChangeReportSchedule>) -> impl IntoView {
    let stamp = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
    view! {
        <div class="table-scroll" tabindex="0">
            <table class="table" aria-label="Scheduled reports">
                <thead><tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Report"</th>
                    <th scope="col">"When"</th>
                    <th scope="col">"To"</th>
                    <th scope="col" class="num">"Next"</th>
                    <th scope="col">"Last delivery"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr></thead>
                <tbody>
                    {list.into_iter().map(|s| {
                        let last = s.deliveries.first().map(|d| match d.status.as_str() {
                            "delivered" => format!("delivered {}", d.delivered_at.map(stamp).unwrap_or_default()),
                            "failed" => format!("failed after {} attempts: {}", d.attempts, d.last_error.clone().unwrap_or_default()),
                            _ => format!("pending ({} attempts so far{})", d.attempts, d.last_error.clone().map(|e| format!("; {e}")).unwrap_or_default()),
                        }).unwrap_or_else(|| "none yet".to_owned());
                        let to = format!("{} {}", s.schedule.channel, s.schedule.destination.join(", "));
                        let report = if s.schedule.query.is_empty() { s.schedule.report.clone() } else { format!("{} ({})", s.schedule.report, s.schedule.query) };
                        view! {
                            <tr>
                                <th scope="row">{s.schedule.name.clone()}</th>
                                <td>{report}</td>
                                <td>{when(&s)}</td>
                                <td>{to}</td>
                                <td class="num">{stamp(s.next_run_at)}</td>
                                <td>{last}</td>
                                <td>
                                    <ActionForm action=change attr:class="form form--row">
                                        <input type="hidden" name="verb" value="delete"/>
                                        <input type="hidden" name="id" value=s.id.to_string()/>
                                        <button type="submit" class="button button--quiet">"Delete"</button>
                                    </ActionForm>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
