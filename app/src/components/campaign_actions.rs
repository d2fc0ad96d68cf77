//! The forms that change a campaign or a creative, shared by the leaderboard's row menu and the
//! campaign page: each goes through a server function, the server's permission check and the
//! audit log, and asks for confirmation (and a reason) before it acts.

use leptos::prelude::*;

use analytics::CampaignStatus;

use crate::api::{ChangeCampaign, ChangeCreative};
use crate::format;
use crate::wire::CreativeStatus;

/// The wording of a lifecycle step: the control's label and its confirm button.
fn step_words(from: CampaignStatus, to: CampaignStatus) -> (&'static str, &'static str) {
    match to {
        CampaignStatus::Draft => ("Return to draft", "Confirm return to draft"),
        CampaignStatus::PendingApproval => ("Submit for approval", "Confirm submission"),
        CampaignStatus::Scheduled => ("Approve", "Confirm approval"),
        CampaignStatus::Active if from == CampaignStatus::Paused => ("Resume campaign", "Confirm resume"),
        CampaignStatus::Active => ("Launch campaign", "Confirm launch"),
        CampaignStatus::Paused => ("Pause campaign", "Confirm pause"),
        CampaignStatus::Completed => ("End campaign", "Confirm end"),
        CampaignStatus::Archived => ("Archive campaign", "Confirm archive"),
    }
}

/// The usual next step from a status (the leaderboard's row offers only this one).
fn next_status(status: CampaignStatus) -> Option<CampaignStatus> {
    match status {
        CampaignStatus::Draft => Some(CampaignStatus::PendingApproval),
        CampaignStatus::PendingApproval => Some(CampaignStatus::Scheduled),
        CampaignStatus::Scheduled => Some(CampaignStatus::Active),
        CampaignStatus::Active => Some(CampaignStatus::Paused),
        CampaignStatus::Paused => Some(CampaignStatus::Active),
        _ => None,
    }
}

/// One lifecycle step ("Pause campaign…"): opens to a reason field and a confirm button. The
/// server checks the person's capability for it (approval is compliance's).
#[component]
pub fn StepForm(campaign_id: uuid::Uuid, from: CampaignStatus, to: CampaignStatus, change: ServerAction<ChangeCampaign>) -> impl IntoView {
    let (label, confirm) = step_words(from, to);
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
}

/// The usual next step of a campaign from its status, if it has one.
#[component]
pub fn StatusForm(campaign_id: uuid::Uuid, status: CampaignStatus, change: ServerAction<ChangeCampaign>) -> impl IntoView {
    next_status(status).map(|to| view! { <StepForm campaign_id from=status to change/> })
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

/// "Boost (+30% share)…", and "Reset share…" for a creative whose weight is not normal.
#[component]
pub fn CreativeWeightForms(creative_id: uuid::Uuid, name: String, weight_percent: u32, change: ServerAction<ChangeCreative>) -> impl IntoView {
    let boosted = ((f64::from(weight_percent) * crate::wire::BOOST_FACTOR).round() as u32).min(1_000);
    let form = move |label: &'static str, confirm: &'static str, weight: u32| {
        view! {
            <details class="menu__confirm">
                <summary aria-label=format!("{label} {name}")>{label}"…"</summary>
                <ActionForm action=change attr:class="form">
                    <input type="hidden" name="creative_id" value=creative_id.to_string()/>
                    <input type="hidden" name="weight_percent" value=weight.to_string()/>
                    <label class="field">
                        <span class="field__label">"Reason (kept in the audit log)"</span>
                        <input type="text" name="reason" maxlength="500"/>
                    </label>
                    <button type="submit" class="button">{confirm}</button>
                </ActionForm>
            </details>
        }
    };
    view! {
        {(boosted > weight_percent).then(|| form("Boost (+30% share)", "Confirm boost", boosted))}
        {(weight_percent != 100).then(|| form("Reset share", "Confirm reset", 100))}
    }
}

/// Closes every open action menu each time `versions` changes (an action completed), so the
/// page shows the result rather than the form that asked for it.
pub fn close_menus_after(versions: impl Fn() -> usize + Send + Sync + 'static) {
    #[cfg(feature = "hydrate")]
    Effect::new(move |previous: Option<usize>| {
        let now = versions();
        if previous.is_some_and(|p| p != now) {
            let open = web_sys::window().and_then(|w| w.document()).and_then(|d| d.query_selector_all("details[open]").ok());
            if let Some(open) = open {
                for i in 0..open.length() {
                    if let Some(element) = open.item(i).and_then(|n| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(n).ok()) {
                        let _ = element.remove_attribute("open");
                    }
                }
            }
        }
        now
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = versions;
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
                <p class="notice notice--info" role="status">
                    {format!("Creative {} is now {}, weight {}% of a normal share.", creative.name, creative.status.as_str(), creative.weight_percent)}
                </p>
            }
            .into_any(),
            Err(err) => view! { <p class="notice notice--error" role="alert">{format!("The change was refused: {err}")}</p> }.into_any(),
        })
    }
}
