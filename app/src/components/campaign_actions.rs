//! The forms that change a campaign or a creative, shared by the leaderboard's row menu and the
//! campaign page: each goes through a server function, the server's permission check and the
//! audit log, and asks for confirmation (and a reason) before it acts.

use leptos::prelude::*;

use analytics::CampaignStatus;

use crate::api::{ChangeCampaign, ChangeCreative};
use crate::format;
use crate::wire::CreativeStatus;

/// The next step of a campaign's lifecycle from its status, with its wording. The server checks
/// the person's capability for it (approval is compliance's).
fn next_status(status: CampaignStatus) -> Option<(CampaignStatus, &'static str, &'static str)> {
    match status {
        CampaignStatus::Draft => Some((CampaignStatus::PendingApproval, "Submit for approval", "Confirm submission")),
        CampaignStatus::PendingApproval => Some((CampaignStatus::Scheduled, "Approve", "Confirm approval")),
        CampaignStatus::Scheduled => Some((CampaignStatus::Active, "Launch campaign", "Confirm launch")),
        CampaignStatus::Active => Some((CampaignStatus::Paused, "Pause campaign", "Confirm pause")),
        CampaignStatus::Paused => Some((CampaignStatus::Active, "Resume campaign", "Confirm resume")),
        _ => None,
    }
}

/// "Pause campaign…" (or the status's next step): opens to a reason field and a confirm button.
#[component]
pub fn StatusForm(campaign_id: uuid::Uuid, status: CampaignStatus, change: ServerAction<ChangeCampaign>) -> impl IntoView {
    next_status(status).map(|(to, label, confirm)| {
        view! {
            <details class="menu__confirm">
                <summary>{label}"…"</summary>
                <ActionForm action=change attr:class="form">
                    <input type="hidden" name="campaign_id" value=campaign_id.to_string()/>
                    <input type="hidden" name="status" value=to.as_str()/>
                    <label class="field">
                        <span class="field__label">"Reason (kept in the audit log)"</span>
                        <input type="text" name="reason" maxlength="500"/>
                    </label>
                    <button type="submit" class="button">{confirm}</button>
                </ActionForm>
            </details>
        }
    })
}

/// "Adjust budget…": the new budget in dollars and a reason.
#[component]
pub fn BudgetForm(campaign_id: uuid::Uuid, budget: f64, change: ServerAction<ChangeCampaign>) -> impl IntoView {
    view! {
        <details class="menu__confirm">
            <summary>"Adjust budget…"</summary>
            <ActionForm action=change attr:class="form">
                <input type="hidden" name="campaign_id" value=campaign_id.to_string()/>
                <label class="field">
                    <span class="field__label">"New budget (US$)"</span>
                    <input type="text" inputmode="decimal" name="budget" required=true value=format!("{budget:.2}")/>
                </label>
                <label class="field">
                    <span class="field__label">"Reason"</span>
                    <input type="text" name="reason" maxlength="500"/>
                </label>
                <button type="submit" class="button">"Save budget"</button>
            </ActionForm>
        </details>
    }
}

/// "Pause creative…" or "Resume creative…" with a reason.
#[component]
pub fn CreativeStatusForm(creative_id: uuid::Uuid, name: String, status: CreativeStatus, change: ServerAction<ChangeCreative>) -> impl IntoView {
    let (to, label, confirm) = match status {
        CreativeStatus::Active => (CreativeStatus::Paused, "Pause creative", "Confirm pause"),
        CreativeStatus::Paused => (CreativeStatus::Active, "Resume creative", "Confirm resume"),
    };
    view! {
        <details class="menu__confirm">
            <summary aria-label=format!("{label} {name}")>{label}"…"</summary>
            <ActionForm action=change attr:class="form">
                <input type="hidden" name="creative_id" value=creative_id.to_string()/>
                <input type="hidden" name="status" value=to.as_str()/>
                <label class="field">
                    <span class="field__label">"Reason (kept in the audit log)"</span>
                    <input type="text" name="reason" maxlength="500"/>
                </label>
                <button type="submit" class="button">{confirm}</button>
            </ActionForm>
        </details>
    }
}

/// What the last campaign change did, or why it was refused.
#[component]
pub fn ChangeOutcome(change: ServerAction<ChangeCampaign>) -> impl IntoView {
    move || {
        change.value().get().map(|outcome| match outcome {
            Ok(campaign) => view! {
                <p class="notice notice--info" role="status">
                    {format!("{} is now {}; budget {}.", campaign.name, campaign.status, format::money(campaign.budget_cents as f64 / 100.0))}
                </p>
            }
            .into_any(),
            Err(err) => view! { <p class="notice notice--error" role="alert">{format!("The change was refused: {err}")}</p> }.into_any(),
        })
    }
}

/// What the last creative change did, or why it was refused.
#[component]
pub fn CreativeOutcome(change: ServerAction<ChangeCreative>) -> impl IntoView {
    move || {
        change.value().get().map(|outcome| match outcome {
            Ok(creative) => view! {
                <p class="notice notice--info" role="status">{format!("Creative {} is now {}.", creative.name, creative.status.as_str())}</p>
            }
            .into_any(),
            Err(err) => view! { <p class="notice notice--error" role="alert">{format!("The change was refused: {err}")}</p> }.into_any(),
        })
    }
}
