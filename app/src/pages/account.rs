//! The signed-in person's own page: who they are, what their role may do, their personal read
//! tokens (create: the secret is shown once; revoke) and their scheduled reports.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::access::Capability;
use crate::api::{CreateToken, RevokeToken, load_my_tokens};
use crate::components::panel::{EmptyState, ErrorState, Panel, Skeleton};
use crate::session::signed_in;
use crate::wire::{OneTimeSecret, TokenRow};

#[component]
pub fn Account() -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let me = signed_in();
    let tokens = Resource::new(move || (create.version().get(), revoke.version().get()), |_| load_my_tokens());
    view! {
        <Title text="Your account"/>
        <h1 class="page-title">"Your account"</h1>
        <div class="grid">
            <Panel title="Who you are" span=5>
                {match me {
                    Some(me) => view! {
                        <dl class="facts">
                            <dt>"Email"</dt><dd>{me.email.clone()}</dd>
                            <dt>"Role"</dt><dd>{me.role_title.clone()}</dd>
                        </dl>
                        <h3 class="subheading">"What your role may do"</h3>
                        <ul class="capabilities">
                            {Capability::all()
                                .into_iter()
                                .filter(|c| me.can(*c))
                                .map(|c| view! { <li>{c.describe()}</li> })
                                .collect_view()}
                        </ul>
                    }
                    .into_any(),
                    None => view! { <p>"You are not signed in."</p> }.into_any(),
                }}
            </Panel>
            <Panel title="Personal read tokens" subtitle="For scripts and notebooks: they read the API (GET /api/v1/…) as you" span=7>
                <ActionForm action=create attr:class="form form--inline">
                    <label class="field">
                        <span class="field__label">"Token name"</span>
                        <input type="text" name="name" maxlength="100" required placeholder="e.g. weekly notebook"/>
                    </label>
                    <button type="submit" class="button">"Create token"</button>
                </ActionForm>
                {move || create.value().get().map(|result| match result {
                    Ok(secret) => view! { <SecretNotice secret/> }.into_any(),
                    Err(err) => view! { <p class="notice notice--error" role="alert">{err.to_string()}</p> }.into_any(),
                })}
                {move || revoke.value().get().and_then(|r| r.err()).map(|err| {
                    view! { <p class="notice notice--error" role="alert">{err.to_string()}</p> }
                })}
                <Suspense fallback=|| view! { <Skeleton/> }>
                    {move || Suspend::new(async move {
                        match tokens.await {
                            Ok(tokens) => view! { <TokenTable tokens revoke show_owner=false/> }.into_any(),
                            Err(err) => view! { <ErrorState message=err.to_string()/> }.into_any(),
                        }
                    })}
                </Suspense>
            </Panel>
            <super::report_schedules::ReportSchedules/>
        </div>
    }
}

/// A secret shown once, with a warning that it will not be shown again.
#[component]
pub fn SecretNotice(secret: OneTimeSecret) -> impl IntoView {
    view! {
        <div class="notice notice--info secret" role="status">
            <p>"Copy the " {secret.label} " now; it will not be shown again:"</p>
            <code class="secret__value" data-testid="one-time-secret">{secret.secret}</code>
        </div>
    }
}

#[component]
pub fn TokenTable(tokens: Vec<TokenRow>, revoke: ServerAction<RevokeToken>, show_owner: bool) -> impl IntoView {
    if tokens.is_empty() {
        return view! { <EmptyState title="No tokens yet" detail="Create one above to read the API from a script."/> }.into_any();
    }
    let when = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
    view! {
        <div class="table-scroll" tabindex="0">
            <table class="table">
                <thead>
                    <tr>
                        {show_owner.then(|| view! { <th scope="col">"Owner"</th> })}
                        <th scope="col">"Name"</th><th scope="col">"Starts with"</th><th scope="col" class="num">"Created"</th>
                        <th scope="col" class="num">"Last used"</th><th scope="col">"Status"</th>
                    </tr>
                </thead>
                <tbody>
                    {tokens
                        .into_iter()
                        .map(|token| view! {
                            <tr>
                                {show_owner.then(|| view! { <td>{token.owner_email.clone()}</td> })}
                                <td>{token.name.clone()}</td>
                                <td><code>{token.prefix.clone()} "…"</code></td>
                                <td class="num">{when(token.created_at)}</td>
                                <td class="num">{token.last_used_at.map(when).unwrap_or_else(|| "never".to_owned())}</td>
                                <td>
                                    {if token.revoked {
                                        view! { <span>"Revoked"</span> }.into_any()
                                    } else {
                                        view! {
                                            <ActionForm action=revoke attr:class="form form--row">
                                                <input type="hidden" name="token_id" value=token.id.to_string()/>
                                                <button type="submit" class="button button--quiet">"Revoke"</button>
                                            </ActionForm>
                                        }
                                        .into_any()
                                    }}
                                </td>
                            </tr>
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
