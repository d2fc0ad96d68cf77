//! New campaign: the form behind `POST /api/v1/campaigns` (name, type, channels, segments,
//! regions, budget, schedule, holdout share, consent, frequency cap and up to three creatives).
//! The server reads and validates it; every refused field shows its reason beside the field, and
//! what was typed stays in the form. A created campaign starts as a draft, with a link to it.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use analytics::{CampaignType, DeliveryChannel, SegmentType};

use crate::api::CreateCampaign;
use crate::campaign_form::{CONSENT_METHODS, form_field};
use crate::wire::{CreateOutcome, FieldError};

/// Creative slots in the form (a campaign needs at least one).
const CREATIVE_SLOTS: usize = 3;

#[component]
pub fn NewCampaign() -> impl IntoView {
    let create = ServerAction::<CreateCampaign>::new();
    let errors = Memo::new(move |_| match create.value().get() {
        Some(Ok(CreateOutcome::Invalid(fields))) => fields,
        _ => Vec::new(),
    });
    // The reasons for one form field (and its sub-fields, for `creatives[0].name`…).
    let reasons = move |field: &'static str| {
        move || {
            errors
                .get()
                .into_iter()
                .filter(|e: &FieldError| form_field(&e.field) == field)
                .map(|e| view! { <span class="field__error" role="alert">{e.reason}</span> })
                .collect_view()
        }
    };
    let invalid = move |field: &'static str| move || errors.with(|e| e.iter().any(|e| form_field(&e.field) == field)).then_some("true");
    view! {
        <Title text="New campaign"/>
        <div class="page-head">
            <h1 class="page-title">"New campaign"</h1>
        </div>
        {move || match create.value().get() {
            Some(Ok(CreateOutcome::Created(campaign))) => view! {
                <p class="notice notice--info" role="status">
                    {format!("{} was created as a draft. ", campaign.name)}
                    <A href=format!("/campaigns/{}", campaign.id)>"Open it to submit it for approval"</A>
                </p>
            }
            .into_any(),
            Some(Ok(CreateOutcome::Invalid(fields))) => view! {
                <p class="notice notice--error" role="alert">{format!("{} field(s) need attention; see the reasons below.", fields.len())}</p>
            }
            .into_any(),
            Some(Err(err)) => view! { <p class="notice notice--error" role="alert">{format!("The campaign was not created: {err}")}</p> }.into_any(),
            None => ().into_any(),
        }}
        <div class="grid">
            <section class="panel span-12" aria-label="Campaign form">
                <ActionForm action=create attr:class="form campaign-form">
                    <fieldset class="form-section">
                        <legend>"Campaign"</legend>
                        <label class="field">
                            <span class="field__label">"Name"</span>
                            <input type="text" name="name" required=true maxlength="200" aria-invalid=invalid("name")/>
                            {reasons("name")}
                        </label>
                        <label class="field">
                            <span class="field__label">"Type"</span>
                            <select name="campaign_type" aria-invalid=invalid("campaign_type")>
                                <option value="">"Choose…"</option>
                                {CampaignType::ALL.iter().map(|t| view! { <option value=t.as_str()>{t.as_str()}</option> }).collect_view()}
                            </select>
                            {reasons("campaign_type")}
                        </label>
                        <fieldset class="checks" aria-invalid=invalid("channels")>
                            <legend>"Channels"</legend>
                            {DeliveryChannel::ALL.iter().enumerate().map(|(i, c)| view! {
                                <label><input type="checkbox" name=format!("channels[{i}]") value=c.as_str()/>{c.as_str()}</label>
                            }).collect_view()}
                            {reasons("channels")}
                        </fieldset>
                        <fieldset class="checks">
                            <legend>"Segments targeted (none: every segment)"</legend>
                            {SegmentType::ALL.iter().enumerate().map(|(i, s)| view! {
                                <label><input type="checkbox" name=format!("target_segments[{i}]") value=s.as_str()/>{s.as_str()}</label>
                            }).collect_view()}
                            {reasons("target_segments")}
                        </fieldset>
                        <label class="field">
                            <span class="field__label">"Regions (comma-separated codes such as US-CA; empty: every region)"</span>
                            <input type="text" name="target_regions" aria-invalid=invalid("target_regions")/>
                            {reasons("target_regions")}
                        </label>
                    </fieldset>
                    <fieldset class="form-section">
                        <legend>"Budget and schedule"</legend>
                        <label class="field">
                            <span class="field__label">"Budget (US$)"</span>
                            <input type="text" inputmode="decimal" name="budget" required=true aria-invalid=invalid("budget")/>
                            {reasons("budget")}
                        </label>
                        <label class="field">
                            <span class="field__label">"Starts (UTC, optional)"</span>
                            <input type="datetime-local" name="starts_at" aria-invalid=invalid("starts_at")/>
                            {reasons("starts_at")}
                        </label>
                        <label class="field">
                            <span class="field__label">"Ends (UTC, optional)"</span>
                            <input type="datetime-local" name="ends_at" aria-invalid=invalid("ends_at")/>
                            {reasons("ends_at")}
                        </label>
                        <label class="field">
                            <span class="field__label">"Holdout share, % (0 to 50; default 10)"</span>
                            <input type="text" inputmode="decimal" name="holdout_percent" aria-invalid=invalid("holdout_percent")/>
                            {reasons("holdout_percent")}
                        </label>
                        <label class="field">
                            <span class="field__label">"Frequency cap, deliveries per user per week (optional)"</span>
                            <input type="text" inputmode="numeric" name="frequency_cap_per_week" aria-invalid=invalid("frequency_cap_per_week")/>
                            {reasons("frequency_cap_per_week")}
                        </label>
                    </fieldset>
                    <fieldset class="form-section">
                        <legend>"Consent"</legend>
                        <label class="field">
                            <span class="field__label">"Consent method of the audience"</span>
                            <select name="consent_method" aria-invalid=invalid("consent_method")>
                                <option value="">"Not declared"</option>
                                {CONSENT_METHODS.iter().map(|(value, label)| view! { <option value=*value>{*label}</option> }).collect_view()}
                            </select>
                            {reasons("consent_method")}
                        </label>
                        <label class="check">
                            <input type="checkbox" name="has_opt_out_link" value="true"/>
                            "Every message carries an opt-out link"
                        </label>
                        <label class="check">
                            <input type="checkbox" name="shares_data_with_third_parties" value="true"/>
                            "Shares personal data with third parties (CCPA/CPRA sale or sharing)"
                        </label>
                    </fieldset>
                    {(0..CREATIVE_SLOTS).map(|i| {
                        let field = move |name: &str| format!("creatives[{i}][{name}]");
                        let problems = move || errors.get().into_iter().filter(|e| e.field.starts_with(&format!("creatives[{i}]")) || (i == 0 && e.field == "creatives")).map(|e| view! { <span class="field__error" role="alert">{format!("{}: {}", e.field, e.reason)}</span> }).collect_view();
                        view! {
                            <fieldset class="form-section">
                                <legend>{if i == 0 { "Creative 1".to_owned() } else { format!("Creative {} (optional)", i + 1) }}</legend>
                                <label class="field"><span class="field__label">"Name"</span><input type="text" name=field("name") maxlength="200" required=i == 0/></label>
                                <label class="field"><span class="field__label">"Headline"</span><input type="text" name=field("headline") maxlength="200" required=i == 0/></label>
                                <label class="field"><span class="field__label">"Body"</span><textarea name=field("body") rows="2" maxlength="5000" required=i == 0></textarea></label>
                                <label class="field"><span class="field__label">"Call to action"</span><input type="text" name=field("call_to_action") maxlength="100" required=i == 0/></label>
                                {problems}
                            </fieldset>
                        }
                    }).collect_view()}
                    <button type="submit" class="button">"Create campaign"</button>
                </ActionForm>
            </section>
        </div>
    }
}
