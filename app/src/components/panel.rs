//! Cards and their states: every module sits in a [`Panel`]; no data gets an [`EmptyState`] that
//! says why, a failure an [`ErrorState`] that says what went wrong.

use leptos::prelude::*;

#[component]
pub fn Panel(
    #[prop(into)] title: String,
    /// What the panel shows and over what period, under the title.
    #[prop(into, optional)]
    subtitle: Option<String>,
    /// Grid columns out of 12 on wide screens.
    #[prop(default = 12)]
    span: u8,
    children: Children,
) -> impl IntoView {
    let label = title.clone();
    view! {
        <section class=format!("panel span-{span}") aria-label=label>
            <header class="panel__header">
                <h2 class="panel__title">{title}</h2>
                {subtitle.map(|s| view! { <p class="panel__subtitle">{s}</p> })}
            </header>
            <div class="panel__body">{children()}</div>
        </section>
    }
}

#[component]
pub fn EmptyState(#[prop(into)] title: String, #[prop(into)] detail: String) -> impl IntoView {
    view! {
        <div class="empty-state" role="status">
            <p class="empty-state__title">{title}</p>
            <p class="empty-state__detail">{detail}</p>
        </div>
    }
}

#[component]
pub fn ErrorState(#[prop(into)] message: String) -> impl IntoView {
    view! {
        <div class="error-state" role="alert">
            <p class="error-state__title">"Could not load this module"</p>
            <p class="error-state__detail">{message}</p>
        </div>
    }
}

/// Skeleton lines shown while a module loads (no spinners).
#[component]
pub fn Skeleton(#[prop(default = 3)] lines: usize) -> impl IntoView {
    view! {
        <div class="skeleton" aria-busy="true" aria-label="Loading">
            {(0..lines).map(|_| view! { <div class="skeleton__line"></div> }).collect_view()}
        </div>
    }
}
