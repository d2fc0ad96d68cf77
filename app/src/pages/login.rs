//! The sign-in page: a plain form posted to `POST /api/v1/auth/login`, which answers with the
//! session cookie and a redirect to the role's landing view (or the page asked for).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn Login() -> impl IntoView {
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let message = move || {
        let query = query.read();
        match query.get("error").as_deref() {
            Some("credentials") => Some(("error", "The email or password is wrong.".to_owned())),
            Some("throttled") => {
                let wait = query.get("retry_after").and_then(|s| s.parse::<i64>().ok()).unwrap_or(60);
                Some(("error", format!("Too many attempts. Try again in {}.", crate::format::duration(wait))))
            }
            _ if query.get("signed_out").is_some() => Some(("info", "You have signed out.".to_owned())),
            _ => None,
        }
    };
    view! {
        <Title text="Sign in"/>
        <div class="login">
            <h1 class="page-title">"Sign in"</h1>
            {move || message().map(|(kind, text)| {
                let role = if kind == "error" { "alert" } else { "status" };
                view! { <p class=format!("notice notice--{kind}") role=role>{text}</p> }
            })}
            <form class="form" method="post" action="/api/v1/auth/login">
                <label class="field">
                    <span class="field__label">"Email"</span>
                    <input type="email" name="email" autocomplete="username" required/>
                </label>
                <label class="field">
                    <span class="field__label">"Password"</span>
                    <input type="password" name="password" autocomplete="current-password" required/>
                </label>
                <input type="hidden" name="next" prop:value=next/>
                <button type="submit" class="button">"Sign in"</button>
            </form>
        </div>
    }
}
