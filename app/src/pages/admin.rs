//! Administration: accounts (create, change role, disable), live sessions (revoke), and every
//! personal token (revoke). Each control is a server function the server checks again; a
//! generated password is shown once, right after creation.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::access::Role;
use crate::api::{
    CreateAccount, CreateApiKey, RevokeApiKey, RevokeSession, RevokeToken, SetAccountDisabled, SetAccountRole, load_admin,
};
use crate::components::panel::{EmptyState, ErrorState, Panel, Skeleton};
use crate::pages::account::{SecretNotice, TokenTable};
use crate::wire::{AccountRow, ApiKeyRow, SessionRow};

fn when(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

#[component]
pub fn Admin() -> impl IntoView {
    let create = ServerAction::<CreateAccount>::new();
    let set_role = ServerAction::<SetAccountRole>::new();
    let set_disabled = ServerAction::<SetAccountDisabled>::new();
    let revoke_session = ServerAction::<RevokeSession>::new();
    let revoke_token = ServerAction::<RevokeToken>::new();
    let create_key = ServerAction::<CreateApiKey>::new();
    let revoke_key = ServerAction::<RevokeApiKey>::new();
    let overview = Resource::new(
        move || {
            (
                create.version().get(),
                set_role.version().get(),
                set_disabled.version().get(),
                revoke_session.version().get(),
                revoke_token.version().get(),
                create_key.version().get(),
                revoke_key.version().get(),
            )
        },
        |_| load_admin(),
    );
    let action_error = move || {
        [
            set_role.value().get().and_then(|r| r.err()),
            set_disabled.value().get().and_then(|r| r.err()),
            revoke_session.value().get().and_then(|r| r.err()),
            revoke_token.value().get().and_then(|r| r.err()),
            revoke_key.value().get().and_then(|r| r.err()),
        ]
        .into_iter()
        .flatten()
        .next()
        .map(|err| view! { <p class="notice notice--error" role="alert">{err.to_string()}</p> })
    };

    view! {
        <Title text="Administration"/>
        <h1 class="page-title">"Administration"</h1>
        {action_error}
        <div class="grid">
            <Panel title="Create an account" subtitle="Leave the password empty to generate one; it is shown once" span=12>
                <ActionForm action=create attr:class="form form--inline">
                    <label class="field">
                        <span class="field__label">"Email"</span>
                        <input type="email" name="email" required/>
                    </label>
                    <label class="field">
                        <span class="field__label">"Role"</span>
                        <RoleSelect name="role" selected=Role::Cmo/>
                    </label>
                    <label class="field">
                        <span class="field__label">"Password (optional)"</span>
                        <input type="password" name="password" autocomplete="new-password" minlength="12"/>
                    </label>
                    <button type="submit" class="button">"Create account"</button>
                </ActionForm>
                {move || create.value().get().map(|result| match result {
                    Ok(Some(secret)) => view! { <SecretNotice secret/> }.into_any(),
                    Ok(None) => view! { <p class="notice notice--info" role="status">"Account created."</p> }.into_any(),
                    Err(err) => view! { <p class="notice notice--error" role="alert">{err.to_string()}</p> }.into_any(),
                })}
            </Panel>
            <Suspense fallback=|| view! { <Panel title="Accounts"><Skeleton/></Panel> }>
                {move || Suspend::new(async move {
                    match overview.await {
                        Ok(overview) => view! {
                            <Panel title="Accounts" span=12>
                                <AccountTable accounts=overview.accounts set_role set_disabled/>
                            </Panel>
                            <Panel title="Live sessions" subtitle="Revoking signs the person out at once" span=12>
                                <SessionTable sessions=overview.sessions revoke=revoke_session/>
                            </Panel>
                            <Panel title="Personal tokens" subtitle="Read-only API tokens of every account" span=12>
                                <TokenTable tokens=overview.tokens revoke=revoke_token show_owner=true/>
                            </Panel>
                            <Panel title="API keys" subtitle="Keys producers use to send events and manage campaigns" span=12>
                                <ActionForm action=create_key attr:class="form form--inline">
                                    <label class="field">
                                        <span class="field__label">"Key name"</span>
                                        <input type="text" name="name" maxlength="100" required placeholder="e.g. mobile app"/>
                                    </label>
                                    <fieldset class="checks">
                                        <legend class="field__label">"Scopes"</legend>
                                        <label><input type="checkbox" name="scope_events" checked/>" events"</label>
                                        <label><input type="checkbox" name="scope_catalogue"/>" catalogue"</label>
                                        <label><input type="checkbox" name="scope_backfill"/>" backfill"</label>
                                    </fieldset>
                                    <button type="submit" class="button">"Create key"</button>
                                </ActionForm>
                                {move || create_key.value().get().map(|result| match result {
                                    Ok(secret) => view! { <SecretNotice secret/> }.into_any(),
                                    Err(err) => view! { <p class="notice notice--error" role="alert">{err.to_string()}</p> }.into_any(),
                                })}
                                <ApiKeyTable keys=overview.api_keys revoke=revoke_key/>
                            </Panel>
                        }
                        .into_any(),
                        Err(err) => view! { <Panel title="Accounts"><ErrorState message=err.to_string()/></Panel> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

/// A `<select>` of every role.
#[component]
pub fn RoleSelect(
    name: &'static str,
    selected: Role,
    /// The accessible name, when no visible label wraps the select.
    #[prop(optional, into)]
    label: Option<String>,
) -> impl IntoView {
    view! {
        <select name=name aria-label=label>
            {Role::ALL
                .into_iter()
                .map(|role| view! { <option value=role.as_str() selected=role == selected>{role.title()}</option> })
                .collect_view()}
        </select>
    }
}

#[component]
fn AccountTable(
    accounts: Vec<AccountRow>,
    set_role: ServerAction<SetAccountRole>,
    set_disabled: ServerAction<SetAccountDisabled>,
) -> impl IntoView {
    view! {
        <div class="table-scroll" tabindex="0">
            <table class="table">
                <thead>
                    <tr><th scope="col">"Email"</th><th scope="col">"Role"</th><th scope="col">"Status"</th><th scope="col" class="num">"Created"</th><th scope="col">"Actions"</th></tr>
                </thead>
                <tbody>
                    {accounts
                        .into_iter()
                        .map(|account| {
                            let id_for_role = account.id.to_string();
                            let id_for_status = account.id.to_string();
                            view! {
                                <tr>
                                    <td>{account.email.clone()}</td>
                                    <td>
                                        <ActionForm action=set_role attr:class="form form--row">
                                            <input type="hidden" name="account_id" value=id_for_role/>
                                            <RoleSelect name="role" selected=account.role label=format!("Role of {}", account.email)/>
                                            <button type="submit" class="button button--quiet">"Change role"</button>
                                        </ActionForm>
                                    </td>
                                    <td>{if account.disabled { "Disabled" } else { "Active" }}</td>
                                    <td class="num">{when(account.created_at)}</td>
                                    <td>
                                        <ActionForm action=set_disabled attr:class="form form--row">
                                            <input type="hidden" name="account_id" value=id_for_status/>
                                            <input type="hidden" name="disabled" value=if account.disabled { "false" } else { "true" }/>
                                            <button type="submit" class="button button--quiet">
                                                {if account.disabled { "Enable" } else { "Disable" }}
                                            </button>
                                        </ActionForm>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn SessionTable(sessions: Vec<SessionRow>, revoke: ServerAction<RevokeSession>) -> impl IntoView {
    if sessions.is_empty() {
        return view! { <EmptyState title="No live sessions" detail="Nobody is signed in right now."/> }.into_any();
    }
    view! {
        <div class="table-scroll" tabindex="0">
            <table class="table">
                <thead>
                    <tr><th scope="col">"Account"</th><th scope="col" class="num">"Signed in"</th><th scope="col" class="num">"Expires"</th><th scope="col">"From"</th><th scope="col">"Actions"</th></tr>
                </thead>
                <tbody>
                    {sessions
                        .into_iter()
                        .map(|session| view! {
                            <tr>
                                <td>{session.email}</td>
                                <td class="num">{when(session.created_at)}</td>
                                <td class="num">{when(session.expires_at)}</td>
                                <td>{session.client_ip.unwrap_or_else(|| crate::format::MISSING.to_owned())}</td>
                                <td>
                                    <ActionForm action=revoke attr:class="form form--row">
                                        <input type="hidden" name="session_id" value=session.id.to_string()/>
                                        <button type="submit" class="button button--quiet">"Revoke"</button>
                                    </ActionForm>
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

#[component]
fn ApiKeyTable(keys: Vec<ApiKeyRow>, revoke: ServerAction<RevokeApiKey>) -> impl IntoView {
    if keys.is_empty() {
        return view! { <EmptyState title="No API keys yet" detail="Create one above for each producer that sends events."/> }.into_any();
    }
    view! {
        <div class="table-scroll" tabindex="0">
            <table class="table">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th><th scope="col">"Starts with"</th><th scope="col">"Scopes"</th>
                        <th scope="col" class="num">"Created"</th><th scope="col" class="num">"Last used"</th><th scope="col">"Status"</th>
                    </tr>
                </thead>
                <tbody>
                    {keys
                        .into_iter()
                        .map(|key| view! {
                            <tr>
                                <td>{key.name.clone()}</td>
                                <td><code>{key.prefix.clone()} "…"</code></td>
                                <td>{key.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")}</td>
                                <td class="num">{when(key.created_at)}</td>
                                <td class="num">{key.last_used_at.map(when).unwrap_or_else(|| "never".to_owned())}</td>
                                <td>
                                    {if key.revoked {
                                        view! { <span>"Revoked"</span> }.into_any()
                                    } else {
                                        view! {
                                            <ActionForm action=revoke attr:class="form form--row">
                                                <input type="hidden" name="key_id" value=key.id.to_string()/>
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
